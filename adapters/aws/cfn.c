/*
 * cfn.c - AWS CloudFormation ListExports over the query protocol, with
 * NextToken pagination in the asynchronous wrapper.
 *
 * Ownership: struct cfn_exports owns its map and token.
 * Errors: DG_EINVALID "bad_request" / "bad_response"; a pagination loop
 * past CFN_MAX_PAGES is "bad_response".
 */
#include <string.h>

#include "awsxml.h"
#include "cfn.h"
#include "client.h"
#include "mem.h"

dg_rc
cfn_build_list_exports(const char *next_token, struct dg_buf *out,
                       struct dg_err *err)
{
    dg_buf_reset(out);
    if (next_token && aws_query_add(out, "NextToken", next_token))
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "ListExports: request too large");
    return DG_OK;
}

void
cfn_exports_cleanup(struct cfn_exports *e)
{
    if (!e)
        return;
    svc_map_cleanup(&e->exports);
    dg_free(e->next_token);
    e->next_token = NULL;
}

dg_rc
cfn_parse_list_exports(const char *body, size_t len, struct cfn_exports *out,
                       struct dg_err *err)
{
    static const char op[] = "ListExports";
    struct awsxml_node *root;
    const struct awsxml_node *res, *l, *m;
    size_t count;
    dg_rc rc;
    dg_free(out->next_token);
    out->next_token = NULL;
    if ((rc = svc_xml_open(op, body, len, &root, &res, err)))
        return rc;
    l = awsxml_child(res, "Exports");
    if ((rc = svc_xml_count(op, l, "member", SVC_MAX_ITEMS, &count, err)) ||
        (rc = svc_xml_str(op, res, "NextToken", SVC_MAX_ID, 0, &out->next_token,
                          err)))
        goto out;
    if (out->exports.n + count > SVC_MAX_ITEMS * 10) {
        rc = svc_bad(err, op, "too many exports");
        goto out;
    }
    for (m = count ? awsxml_first(l, "member") : NULL; m; m = awsxml_next(m)) {
        const char *name = awsxml_text(m, "Name");
        const char *value = awsxml_text(m, "Value");
        if (!name || !value || !*name) {
            rc = svc_bad(err, op, "an export lacks Name or Value");
            goto out;
        }
        if (strlen(name) > SVC_MAX_ID || strlen(value) > SVC_MAX_VALUE) {
            rc = svc_bad(err, op, "export too long");
            goto out;
        }
        svc_map_add(&out->exports, name, value);
    }
out:
    awsxml_free(root);
    if (rc) {
        dg_free(out->next_token);
        out->next_token = NULL;
    }
    return rc;
}

/* --- the paginating wrapper --- */

struct list_ctx {
    struct svc_client client;
    char *region;
    struct cfn_exports acc;
    int pages;
    svc_done_fn done;
    void *ctx;
};

static void next_page(struct list_ctx *lc);

static void
list_finish(struct list_ctx *lc, dg_rc rc, const struct dg_err *err)
{
    lc->done(rc == DG_OK ? &lc->acc : NULL, rc, err, lc->ctx);
    cfn_exports_cleanup(&lc->acc);
    dg_free(lc->region);
    dg_free(lc);
}

static void
on_page(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct list_ctx *lc = ctx;
    const struct cfn_exports *page = result;
    if (rc != DG_OK) {
        list_finish(lc, rc, err);
        return;
    }
    for (size_t i = 0; i < page->exports.n; i++)
        svc_map_add(&lc->acc.exports, page->exports.keys[i],
                    page->exports.values[i]);
    dg_free(lc->acc.next_token);
    lc->acc.next_token = dg_strdup(page->next_token);
    if (!lc->acc.next_token) {
        list_finish(lc, DG_OK, NULL);
        return;
    }
    if (++lc->pages >= CFN_MAX_PAGES) {
        struct dg_err e;
        dg_err_clear(&e);
        svc_bad(&e, "ListExports", "more than %d pages", CFN_MAX_PAGES);
        list_finish(lc, DG_EINVALID, &e);
        return;
    }
    next_page(lc);
}

SVC_OP(op_list, struct cfn_exports, cfn_parse_list_exports,
       cfn_exports_cleanup);

static void
next_page(struct list_ctx *lc)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = cfn_build_list_exports(lc->acc.next_token, &b.body, &b.err);
    svc_send(&lc->client, &aws_svc_cloudformation, lc->region, "ListExports", 1,
             &b, rc, &op_list, on_page, lc);
}

void
cfn_list_exports(const struct svc_client *c, const char *region,
                 svc_done_fn done, void *ctx)
{
    struct list_ctx *lc = dg_calloc(1, sizeof(*lc));
    lc->client = *c;
    lc->region = dg_strdup(region);
    lc->done = done;
    lc->ctx = ctx;
    next_page(lc);
}
