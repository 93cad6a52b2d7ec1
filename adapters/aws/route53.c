/*
 * route53.c - Amazon Route 53 over REST-XML: record set UPSERT, change
 * status, record listing and hosted zone lookup. Pure builders and
 * parsers, thin asynchronous wrappers.
 *
 * Ids go into URL paths, so they are checked to be plain ids (letters and
 * digits) rather than escaped.
 *
 * Errors: DG_EINVALID "bad_request" / "bad_response".
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "awsxml.h"
#include "client.h"
#include "mem.h"
#include "route53.h"

#define R53_MAX_VALUES 100

const char *
route53_strip_id(const char *id)
{
    static const char *const prefixes[] = {"/hostedzone/", "/change/",
                                           "hostedzone/", "change/"};
    if (!id)
        return NULL;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(id, prefixes[i], n) == 0)
            return id + n;
    }
    return id;
}

static dg_rc
plain_id(const char *op, const char *what, const char *raw, const char **id,
         struct dg_err *err)
{
    const char *s = route53_strip_id(raw);
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: %s is required (1..64 characters)", op, what);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]))
            return dg_err_setc(err, DG_EINVALID, "bad_request",
                               "%s: %s must be letters and digits", op, what);
    *id = s;
    return DG_OK;
}

static dg_rc
xml_text(struct dg_buf *b, const char *elem, const char *text)
{
    dg_rc rc = dg_buf_printf(b, "<%s>", elem);
    for (const char *p = text; !rc && *p; p++) {
        if (*p == '&')
            rc = dg_buf_addstr(b, "&amp;");
        else if (*p == '<')
            rc = dg_buf_addstr(b, "&lt;");
        else if (*p == '>')
            rc = dg_buf_addstr(b, "&gt;");
        else if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' &&
                 *p != '\r')
            return DG_EINVALID; /* not representable in XML 1.0 */
        else
            rc = dg_buf_addc(b, *p);
    }
    return rc ? rc : dg_buf_printf(b, "</%s>", elem);
}

dg_rc
route53_build_upsert(const char *zone_id, const struct route53_record *r,
                     const char *comment, struct route53_http *http,
                     struct dg_buf *body, struct dg_err *err)
{
    static const char op[] = "ChangeResourceRecordSets";
    const char *zone;
    char ttl[32];
    dg_rc rc;
    if (plain_id(op, "HostedZoneId", zone_id, &zone, err) ||
        svc_need(op, "Name", r->name, err) ||
        svc_need(op, "Type", r->type, err))
        return DG_EINVALID;
    if (r->ttl < 0 || r->ttl > 2147483647L || r->nvalues < 1 ||
        r->nvalues > R53_MAX_VALUES)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: TTL 0..2147483647 and 1..100 values", op);
    for (size_t i = 0; i < r->nvalues; i++)
        if (svc_need(op, "Value", r->values[i], err))
            return DG_EINVALID;
    http->method = "POST";
    snprintf(http->path, sizeof(http->path), "/2013-04-01/hostedzone/%s/rrset/",
             zone);
    http->query[0] = '\0';
    snprintf(ttl, sizeof(ttl), "%ld", r->ttl);
    dg_buf_reset(body);
    rc = dg_buf_addstr(body,
                       "<ChangeResourceRecordSetsRequest xmlns=\"" ROUTE53_NS
                       "\"><ChangeBatch>");
    if (!rc && comment)
        rc = xml_text(body, "Comment", comment);
    if (!rc)
        rc = dg_buf_addstr(body, "<Changes><Change><Action>UPSERT</Action>"
                                 "<ResourceRecordSet>");
    if (!rc)
        rc = xml_text(body, "Name", r->name);
    if (!rc)
        rc = xml_text(body, "Type", r->type);
    if (!rc)
        rc = xml_text(body, "TTL", ttl);
    if (!rc)
        rc = dg_buf_addstr(body, "<ResourceRecords>");
    for (size_t i = 0; !rc && i < r->nvalues; i++) {
        rc = dg_buf_addstr(body, "<ResourceRecord>");
        if (!rc)
            rc = xml_text(body, "Value", r->values[i]);
        if (!rc)
            rc = dg_buf_addstr(body, "</ResourceRecord>");
    }
    if (!rc)
        rc = dg_buf_addstr(body, "</ResourceRecords></ResourceRecordSet>"
                                 "</Change></Changes></ChangeBatch>"
                                 "</ChangeResourceRecordSetsRequest>");
    if (rc)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: a value cannot be written as XML or the "
                           "request is too large",
                           op);
    return DG_OK;
}

dg_rc
route53_build_get_change(const char *change_id, struct route53_http *http,
                         struct dg_err *err)
{
    const char *id;
    if (plain_id("GetChange", "Id", change_id, &id, err))
        return DG_EINVALID;
    http->method = "GET";
    snprintf(http->path, sizeof(http->path), "/2013-04-01/change/%s", id);
    http->query[0] = '\0';
    return DG_OK;
}

dg_rc
route53_build_list_rrsets(const char *zone_id, const char *start_name,
                          const char *start_type, int max_items,
                          struct route53_http *http, struct dg_err *err)
{
    static const char op[] = "ListResourceRecordSets";
    const char *zone;
    struct dg_buf q;
    dg_rc rc = DG_OK;
    if (plain_id(op, "HostedZoneId", zone_id, &zone, err))
        return DG_EINVALID;
    if (start_type && !start_name)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: StartRecordType needs StartRecordName", op);
    if (max_items < 0 || max_items > 300)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: MaxItems must be 1..300", op);
    http->method = "GET";
    snprintf(http->path, sizeof(http->path), "/2013-04-01/hostedzone/%s/rrset",
             zone);
    dg_buf_init(&q, sizeof(http->query) - 1);
    if (start_name)
        rc = aws_query_add(&q, "name", start_name);
    if (!rc && start_type)
        rc = aws_query_add(&q, "type", start_type);
    if (!rc && max_items > 0)
        rc = svc_query_int(&q, "maxitems", max_items);
    snprintf(http->query, sizeof(http->query), "%s", dg_buf_str(&q));
    dg_buf_cleanup(&q);
    if (rc)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: query too long", op);
    return DG_OK;
}

dg_rc
route53_build_get_hosted_zone(const char *zone_id, struct route53_http *http,
                              struct dg_err *err)
{
    const char *zone;
    if (plain_id("GetHostedZone", "Id", zone_id, &zone, err))
        return DG_EINVALID;
    http->method = "GET";
    snprintf(http->path, sizeof(http->path), "/2013-04-01/hostedzone/%s", zone);
    http->query[0] = '\0';
    return DG_OK;
}

/* --- parsers --- */

void
route53_change_cleanup(struct route53_change *c)
{
    if (!c)
        return;
    dg_free(c->id);
    dg_free(c->status);
    dg_free(c->submitted_at);
    memset(c, 0, sizeof(*c));
}

void
route53_rrsets_cleanup(struct route53_rrsets *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        dg_free(l->v[i].name);
        dg_free(l->v[i].type);
        svc_strv_cleanup(&l->v[i].values);
        dg_free(l->v[i].alias_dns_name);
        dg_free(l->v[i].set_identifier);
    }
    dg_free(l->v);
    dg_free(l->next_name);
    dg_free(l->next_type);
    memset(l, 0, sizeof(*l));
}

void
route53_zone_cleanup(struct route53_zone *z)
{
    if (!z)
        return;
    dg_free(z->id);
    dg_free(z->name);
    memset(z, 0, sizeof(*z));
}

/* Replaces *s by its copy without the id prefix. */
static void
strip_owned(char **s)
{
    const char *t = route53_strip_id(*s);
    if (t != *s) {
        char *c = dg_strdup(t);
        dg_free(*s);
        *s = c;
    }
}

dg_rc
route53_parse_change(const char *op, const char *body, size_t len,
                     struct route53_change *out, struct dg_err *err)
{
    struct awsxml_node *root;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_xml_open(op, body, len, &root, NULL, err)))
        return rc;
    if ((rc = svc_xml_str(op, root, "ChangeInfo/Id", SVC_MAX_ID, 1, &out->id,
                          err)) ||
        (rc = svc_xml_str(op, root, "ChangeInfo/Status", 64, 1, &out->status,
                          err)) ||
        (rc = svc_xml_str(op, root, "ChangeInfo/SubmittedAt", 64, 0,
                          &out->submitted_at, err)))
        goto out;
    strip_owned(&out->id);
    if (strcmp(out->status, "PENDING") != 0 &&
        strcmp(out->status, "INSYNC") != 0)
        rc = svc_bad(err, op,
                     "ChangeInfo/Status is neither PENDING nor "
                     "INSYNC");
out:
    awsxml_free(root);
    if (rc)
        route53_change_cleanup(out);
    return rc;
}

/* <ResourceRecord><Value>x</Value></ResourceRecord> */
static dg_rc
parse_value(const char *op, const struct awsxml_node *r, void *item,
            struct dg_err *err)
{
    return svc_xml_str(op, r, "Value", SVC_MAX_ID, 1, item, err);
}

static dg_rc
parse_rrset(const char *op, const struct awsxml_node *c, void *item,
            struct dg_err *err)
{
    struct route53_rrset *s = item;
    void *values = NULL;
    dg_rc rc;
    if ((rc = svc_xml_str(op, c, "Name", SVC_MAX_ID, 1, &s->name, err)) ||
        (rc = svc_xml_str(op, c, "Type", 64, 1, &s->type, err)) ||
        (rc = svc_xml_int(op, c, "TTL", 0, -1, &s->ttl, err)) ||
        (rc = svc_xml_str(op, c, "AliasTarget/DNSName", SVC_MAX_ID, 0,
                          &s->alias_dns_name, err)) ||
        (rc = svc_xml_str(op, c, "SetIdentifier", SVC_MAX_ID, 0,
                          &s->set_identifier, err)))
        return rc;
    rc = svc_xml_items(op, awsxml_child(c, "ResourceRecords"), "ResourceRecord",
                       R53_MAX_VALUES, sizeof(*s->values.v), parse_value,
                       &values, &s->values.n, err);
    s->values.v = values;
    return rc;
}

dg_rc
route53_parse_list_rrsets(const char *body, size_t len,
                          struct route53_rrsets *out, struct dg_err *err)
{
    static const char op[] = "ListResourceRecordSets";
    struct awsxml_node *root;
    const struct awsxml_node *l;
    void *v = NULL;
    size_t count;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_xml_open(op, body, len, &root, NULL, err)))
        return rc;
    l = awsxml_child(root, "ResourceRecordSets");
    /* The count first: a reply too long is refused before anything else. */
    if ((rc = svc_xml_count(op, l, "ResourceRecordSet", SVC_MAX_ITEMS, &count,
                            err)) ||
        (rc = svc_xml_bool(op, root, "IsTruncated", 1, 0, &out->truncated,
                           err)) ||
        (rc = svc_xml_str(op, root, "NextRecordName", SVC_MAX_ID, 0,
                          &out->next_name, err)) ||
        (rc = svc_xml_str(op, root, "NextRecordType", 64, 0, &out->next_type,
                          err)))
        goto out;
    rc = svc_xml_items(op, l, "ResourceRecordSet", SVC_MAX_ITEMS,
                       sizeof(*out->v), parse_rrset, &v, &out->n, err);
    out->v = v;
out:
    awsxml_free(root);
    if (rc)
        route53_rrsets_cleanup(out);
    return rc;
}

dg_rc
route53_parse_get_hosted_zone(const char *body, size_t len,
                              struct route53_zone *out, struct dg_err *err)
{
    static const char op[] = "GetHostedZone";
    struct awsxml_node *root;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_xml_open(op, body, len, &root, NULL, err)))
        return rc;
    if ((rc = svc_xml_str(op, root, "HostedZone/Id", SVC_MAX_ID, 1, &out->id,
                          err)) ||
        (rc = svc_xml_str(op, root, "HostedZone/Name", SVC_MAX_ID, 1,
                          &out->name, err)) ||
        (rc = svc_xml_bool(op, root, "HostedZone/Config/PrivateZone", 0, 0,
                           &out->private_zone, err)) ||
        (rc = svc_xml_int(op, root, "HostedZone/ResourceRecordSetCount", 0, -1,
                          &out->record_count, err)))
        goto out;
    strip_owned(&out->id);
out:
    awsxml_free(root);
    if (rc)
        route53_zone_cleanup(out);
    return rc;
}

static int
name_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

const struct route53_rrset *
route53_rrsets_find(const struct route53_rrsets *l, const char *name,
                    const char *type)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (name_eq(l->v[i].name, name) &&
            (!type || strcmp(l->v[i].type, type) == 0))
            return &l->v[i];
    return NULL;
}

/* --- asynchronous wrappers --- */

SVC_OP_NAMED(op_change, struct route53_change, route53_parse_change,
             route53_change_cleanup);
SVC_OP(op_list, struct route53_rrsets, route53_parse_list_rrsets,
       route53_rrsets_cleanup);
SVC_OP(op_zone, struct route53_zone, route53_parse_get_hosted_zone,
       route53_zone_cleanup);

static void
start(const struct svc_client *c, const char *op, int idempotent,
      const struct route53_http *http, struct svc_build *b, dg_rc rc,
      const struct svc_op *sop, svc_done_fn done, void *ctx)
{
    struct aws_request req = {.svc = &aws_svc_route53,
                              .operation = op,
                              .method = http->method ? http->method : "GET",
                              .path = http->path,
                              .query = http->query[0] ? http->query : NULL,
                              .idempotent = idempotent};
    svc_call(c, &req, &b->body, rc, &b->err, sop, dg_strdup(op), done, ctx);
}

void
route53_upsert(const struct svc_client *c, const char *zone_id,
               const struct route53_record *r, const char *comment,
               svc_done_fn done, void *ctx)
{
    struct route53_http http = {0};
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = route53_build_upsert(zone_id, r, comment, &http, &b.body, &b.err);
    /* An UPSERT of the same record set is idempotent. */
    start(c, "ChangeResourceRecordSets", 1, &http, &b, rc, &op_change, done,
          ctx);
}

void
route53_get_change(const struct svc_client *c, const char *change_id,
                   svc_done_fn done, void *ctx)
{
    struct route53_http http = {0};
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = route53_build_get_change(change_id, &http, &b.err);
    start(c, "GetChange", 1, &http, &b, rc, &op_change, done, ctx);
}

void
route53_list_rrsets(const struct svc_client *c, const char *zone_id,
                    const char *start_name, const char *start_type,
                    int max_items, svc_done_fn done, void *ctx)
{
    struct route53_http http = {0};
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = route53_build_list_rrsets(zone_id, start_name, start_type, max_items,
                                   &http, &b.err);
    start(c, "ListResourceRecordSets", 1, &http, &b, rc, &op_list, done, ctx);
}

void
route53_get_hosted_zone(const struct svc_client *c, const char *zone_id,
                        svc_done_fn done, void *ctx)
{
    struct route53_http http = {0};
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = route53_build_get_hosted_zone(zone_id, &http, &b.err);
    start(c, "GetHostedZone", 1, &http, &b, rc, &op_zone, done, ctx);
}
