#ifndef DRGATE_REGISTRY_ACTIONS_H
#define DRGATE_REGISTRY_ACTIONS_H
/*
 * The action registry: the one place that names every action type
 * implemented over the AWS services, and the AWS-backed parameter
 * resolver (CloudFormation ListExports, SSM GetParameter).
 */
#include "action.h"
#include "resolve.h"

struct svc_client;

/* The descriptor of type, or NULL (ctx unused). */
const struct action_ops *actions_aws_find(const char *type, void *ctx);
/* The catalog the executor takes; sc (borrowed) must outlive it. */
struct action_catalog actions_aws_catalog(const struct svc_client *sc);
/* Every descriptor, NULL-terminated (tests check the catalog is covered). */
const struct action_ops *const *actions_aws_all(void);

/* The resolver over sc (borrowed). */
struct resolver actions_aws_resolver(const struct svc_client *sc);

#endif
