#ifndef DRGATE_STACK_H
#define DRGATE_STACK_H
/*
 * The daemon's one AWS stack: an HTTP engine, the standard credentials
 * chain and an aws_client bound to the daemon's event base, built from the
 * config's aws section (region, endpoints, max_attempts). Every adapter
 * and the executor share it through its svc_client. Also the read-only
 * seed 000 commands ("status", "validate") answered from it.
 */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "svc.h"

struct event_base;
struct dg_config;
struct aws_stack;

/* Observer of every completed call (aws_client_opts.on_complete). */
typedef void (*aws_stack_observer_fn)(const char *service,
                                      const char *operation, dg_rc rc,
                                      int attempts, int64_t latency_ms,
                                      void *ctx);

/* Builds the stack (no I/O yet; credentials are resolved at the first
 * call). Borrows base and cfg, which must outlive it; observe (may be
 * NULL) is called with ctx for each completed call. Never NULL. */
struct aws_stack *aws_stack_new(struct event_base *base,
                                const struct dg_config *cfg,
                                aws_stack_observer_fn observe, void *ctx);
/* What the service wrappers take; valid until aws_stack_free. */
const struct svc_client *aws_stack_svc(const struct aws_stack *s);
/* Cancels every outstanding call (completions run with DG_ECANCELLED
 * before it returns), then frees. Accepts NULL. */
void aws_stack_free(struct aws_stack *s);

/* The answer of a seed 000 command: reply is the document
 * {"statusCode": N, "body": "{\"Message\": ..., \"Output\": ...}"}
 * (borrowed for the call). Called exactly once, never from inside
 * aws_stack_command; with DG_ECANCELLED (reply NULL) at shutdown. */
typedef void (*aws_command_fn)(const cJSON *reply, dg_rc rc, void *ctx);

/* Answers "status" (DescribeGlobalClusters, then DescribeDBClusters of the
 * target in its region: the global cluster's status and members, the
 * target's status) or "validate" (DescribeGlobalClusters: is the target a
 * member). AWS errors become statusCode 404 (not found) or 500 with the
 * error in Message; only cancellation is reported through rc. */
void aws_stack_command(const struct svc_client *c, const char *action,
                       const char *global_cluster, const char *target_cluster,
                       aws_command_fn done, void *ctx);

#endif
