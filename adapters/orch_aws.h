#ifndef DRGATE_ORCH_AWS_H
#define DRGATE_ORCH_AWS_H
/*
 * The AWS side of the orchestrator (consumer/orchestrator.h): one HTTP
 * engine, the standard credentials chain and one AWS client per daemon,
 * exposed as struct orch_services (the action catalog, the parameter
 * resolver, SNS Publish, the SNS certificate fetcher).
 */
#include "orchestrator.h"

struct event_base;
struct dg_config;
struct orch_aws;

/* The daemon_opts factory (daemon.h): a struct orch_aws, never NULL. base
 * and cfg are borrowed and must outlive it. */
void *orch_aws_new(struct event_base *base, const struct dg_config *cfg);
/* Cancels every call in flight (completions run with DG_ECANCELLED before
 * it returns). Accepts NULL. */
void orch_aws_free(void *a);
/* The services over a (valid while a lives). */
void orch_aws_services(void *a, struct orch_services *out);

/* Publishes message to topic_arn (SNS Publish, plain structure) on a
 * private loop and waits for the answer: `drgate approve` and `reject`.
 * *message_id (dg_free) on DG_OK; else err says why. */
dg_rc orch_aws_publish_once(const struct dg_config *cfg, const char *topic_arn,
                            const char *subject, const char *message,
                            const char *type, const char *plan_id,
                            char **message_id, struct dg_err *err);

#endif
