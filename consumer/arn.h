#ifndef DRGATE_ARN_H
#define DRGATE_ARN_H
/*
 * ARNs ("arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE") split into their
 * fields. Pure; the fields point into the caller's string.
 */
#include <stddef.h>

enum dg_arn_field {
    DG_ARN_PARTITION,
    DG_ARN_SERVICE,
    DG_ARN_REGION,
    DG_ARN_ACCOUNT,
    DG_ARN_RESOURCE, /* the rest, colons included */
    DG_ARN_NFIELDS
};

struct dg_arn {
    const char *f[DG_ARN_NFIELDS];
    size_t len[DG_ARN_NFIELDS];
};

/* 1 when s has the six colon-separated parts (partition, service and
 * resource non-empty), filling a; 0 otherwise. */
int dg_arn_parse(const char *s, struct dg_arn *a);

/* Field i as a string into out; 1 when it is non-empty and fits. */
int dg_arn_copy(const struct dg_arn *a, enum dg_arn_field i, char *out,
                size_t n);

/* 1 when field i equals s exactly. */
int dg_arn_is(const struct dg_arn *a, enum dg_arn_field i, const char *s);

#endif
