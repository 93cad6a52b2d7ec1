#ifndef DRGATE_CFN_H
#define DRGATE_CFN_H
/*
 * AWS CloudFormation (query protocol, 2010-05-15): ListExports, the source
 * of runbook "!Import name" values. Pure builder and parser; the
 * asynchronous wrapper follows NextToken to the end.
 */
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

#define CFN_MAX_PAGES 100

struct cfn_exports {
    struct svc_map exports; /* Name -> Value */
    char *next_token;       /* NULL on the last page */
};

dg_rc cfn_build_list_exports(const char *next_token, struct dg_buf *out,
                             struct dg_err *err);
/* Appends this page's exports to out->exports and replaces next_token. */
dg_rc cfn_parse_list_exports(const char *body, size_t len,
                             struct cfn_exports *out, struct dg_err *err);
void cfn_exports_cleanup(struct cfn_exports *e);

/* Every export of the region (all pages, at most CFN_MAX_PAGES). Result:
 * struct cfn_exports (next_token NULL). */
void cfn_list_exports(const struct svc_client *c, const char *region,
                      svc_done_fn done, void *ctx);

#endif
