/*
 * arn.c - splits ARNs into partition, service, region, account and
 * resource. Pure: no allocation, the fields point into the input.
 */
#include "arn.h"

#include <string.h>

int
dg_arn_parse(const char *s, struct dg_arn *a)
{
    if (!s || strncmp(s, "arn:", 4) != 0)
        return 0;
    const char *p = s + 4;
    for (int i = 0; i < DG_ARN_RESOURCE; i++) {
        const char *c = strchr(p, ':');
        if (!c)
            return 0;
        a->f[i] = p;
        a->len[i] = (size_t)(c - p);
        p = c + 1;
    }
    a->f[DG_ARN_RESOURCE] = p;
    a->len[DG_ARN_RESOURCE] = strlen(p);
    return a->len[DG_ARN_PARTITION] && a->len[DG_ARN_SERVICE] &&
           a->len[DG_ARN_RESOURCE];
}

int
dg_arn_copy(const struct dg_arn *a, enum dg_arn_field i, char *out, size_t n)
{
    if (!a->len[i] || a->len[i] >= n)
        return 0;
    memcpy(out, a->f[i], a->len[i]);
    out[a->len[i]] = '\0';
    return 1;
}

int
dg_arn_is(const struct dg_arn *a, enum dg_arn_field i, const char *s)
{
    return strlen(s) == a->len[i] && strncmp(a->f[i], s, a->len[i]) == 0;
}
