/*
 * registry.c - names the adapters for the core (STYLE.md: one registry
 * file). The live validation entry point and the daemon's shared AWS
 * stack.
 */
#include "registry.h"

#include "live.h"
#include "stack.h"

int
registry_live_validate(const struct dg_config *cfg, FILE *out)
{
    return live_validate(cfg, out);
}

struct aws_stack *
registry_aws_new(struct event_base *base, const struct dg_config *cfg,
                 registry_aws_observer_fn observe, void *ctx)
{
    return aws_stack_new(base, cfg, observe, ctx);
}

const struct svc_client *
registry_aws_svc(const struct aws_stack *s)
{
    return aws_stack_svc(s);
}

void
registry_aws_free(struct aws_stack *s)
{
    aws_stack_free(s);
}

void
registry_aws_command(const struct svc_client *c, const char *action,
                     const char *global_cluster, const char *target_cluster,
                     void (*done)(const cJSON *reply, dg_rc rc, void *ctx),
                     void *ctx)
{
    aws_stack_command(c, action, global_cluster, target_cluster, done, ctx);
}
