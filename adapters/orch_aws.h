#ifndef DRGATE_ORCH_AWS_H
#define DRGATE_ORCH_AWS_H
/*
 * The AWS side of the orchestrator (consumer/orchestrator.h) over the
 * daemon's shared AWS client, exposed as struct orch_services (the action
 * catalog, the parameter resolver, SNS Publish, the SNS certificate
 * fetcher on an HTTP engine of its own).
 */
#include "orchestrator.h"

struct event_base;
struct dg_config;
struct svc_client;
struct orch_aws;

/* Never NULL. base and sc are borrowed and must outlive it. */
struct orch_aws *orch_aws_new(struct event_base *base,
                              const struct svc_client *sc);
/* Cancels certificate fetches in flight. Accepts NULL. */
void orch_aws_free(struct orch_aws *a);
/* The services over a (valid while a and its client live). */
void orch_aws_services(struct orch_aws *a, struct orch_services *out);

/* Publishes message to topic_arn (SNS Publish, plain structure) on a
 * private loop and waits for the answer: `drgate approve` and `reject`.
 * *message_id (dg_free) on DG_OK; else err says why. */
dg_rc orch_aws_publish_once(const struct dg_config *cfg, const char *topic_arn,
                            const char *subject, const char *message,
                            const char *type, const char *plan_id,
                            char **message_id, struct dg_err *err);

#endif
