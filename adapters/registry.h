#ifndef DRGATE_REGISTRY_H
#define DRGATE_REGISTRY_H
/*
 * The composition root's view of the adapters: the one place the core
 * reaches adapter functionality by name.
 */
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "err.h"

struct dg_config;
struct event_base;
struct svc_client;
struct aws_stack;

/* `drgate validate --live`: checks the AWS topology cfg names. Returns 0
 * when every check passed, 1 otherwise; the report goes to out. */
int registry_live_validate(const struct dg_config *cfg, FILE *out);

/* Called for each completed AWS call: the service ("sqs"), the operation,
 * the result, the attempts made and the latency in ms (for metrics). */
typedef void (*registry_aws_observer_fn)(const char *service,
                                         const char *operation, dg_rc rc,
                                         int attempts, int64_t latency_ms,
                                         void *ctx);

/* The daemon's shared AWS stack (adapters/aws/stack.h): HTTP engine,
 * credentials chain and client from cfg's aws section, bound to base;
 * observe (may be NULL) sees every completed call. */
struct aws_stack *registry_aws_new(struct event_base *base,
                                   const struct dg_config *cfg,
                                   registry_aws_observer_fn observe, void *ctx);
const struct svc_client *registry_aws_svc(const struct aws_stack *s);
void registry_aws_free(struct aws_stack *s);
/* A seed 000 read-only command ("status", "validate") answered through c:
 * done gets {"statusCode", "body"} (see aws_stack_command). */
void registry_aws_command(const struct svc_client *c, const char *action,
                          const char *global_cluster,
                          const char *target_cluster,
                          void (*done)(const cJSON *reply, dg_rc rc, void *ctx),
                          void *ctx);

#endif
