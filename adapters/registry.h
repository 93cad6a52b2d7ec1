#ifndef DRGATE_REGISTRY_H
#define DRGATE_REGISTRY_H
/*
 * The composition root's view of the adapters: the one place the core
 * reaches adapter functionality by name.
 */
#include <stdio.h>

struct dg_config;

/* `drgate validate --live`: checks the AWS topology cfg names. Returns 0
 * when every check passed, 1 otherwise; the report goes to out. */
int registry_live_validate(const struct dg_config *cfg, FILE *out);

#endif
