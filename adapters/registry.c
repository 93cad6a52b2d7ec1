/*
 * registry.c - names the adapters for the core (STYLE.md: one registry
 * file). For now: the live validation entry point.
 */
#include "registry.h"

#include "live.h"

int
registry_live_validate(const struct dg_config *cfg, FILE *out)
{
    return live_validate(cfg, out);
}
