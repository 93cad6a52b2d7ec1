/*
 * svc.c - helpers shared by the AWS service modules: bounded typed field
 * extraction from XML (awsxml) and JSON (cJSON) replies, the list readers
 * every Describe and List parser goes through (count, allocate, parse each
 * item with the module's item function), request building helpers, and
 * svc_call, the one asynchronous path every service wrapper takes (build,
 * aws_call, parse, complete).
 *
 * Ownership: extracted strings are dg_malloc'ed copies owned by the
 * caller's result struct. svc_call owns the request body and the parsed
 * result until its completion returns.
 *
 * Errors: DG_EINVALID with err->code "bad_response" for malformed replies
 * (the message names the operation and the field), "bad_request" for
 * requests refused before sending.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "awsxml.h"
#include "client.h"
#include "json.h"
#include "mem.h"
#include "svc.h"

void
svc_map_cleanup(struct svc_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        dg_free(m->keys[i]);
        dg_free(m->values[i]);
    }
    dg_free(m->keys);
    dg_free(m->values);
    memset(m, 0, sizeof(*m));
}

const char *
svc_map_get(const struct svc_map *m, const char *key)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (strcmp(m->keys[i], key) == 0)
            return m->values[i];
    return NULL;
}

void
svc_map_add(struct svc_map *m, const char *key, const char *value)
{
    m->keys = dg_realloc(m->keys, (m->n + 1) * sizeof(*m->keys));
    m->values = dg_realloc(m->values, (m->n + 1) * sizeof(*m->values));
    m->keys[m->n] = dg_strdup(key);
    m->values[m->n] = dg_strdup(value);
    m->n++;
}

void
svc_strv_cleanup(struct svc_strv *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        dg_free(s->v[i]);
    dg_free(s->v);
    memset(s, 0, sizeof(*s));
}

dg_rc
svc_bad(struct dg_err *err, const char *op, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return dg_err_setc(err, DG_EINVALID, "bad_response", "%s reply: %s", op,
                       detail);
}

/* --- XML --- */

dg_rc
svc_xml_open(const char *op, const char *body, size_t len,
             struct awsxml_node **root, const struct awsxml_node **result,
             struct dg_err *err)
{
    char name[128];
    struct dg_err xe;
    *root = NULL;
    if (result)
        *result = NULL;
    if (!body || len == 0)
        return svc_bad(err, op, "empty body");
    dg_err_clear(&xe);
    if (awsxml_parse(body, len, root, &xe) != DG_OK)
        return svc_bad(err, op, "not XML (%s: %s)", xe.code, xe.msg);
    snprintf(name, sizeof(name), "%sResponse", op);
    if (strcmp((*root)->name, name) != 0) {
        svc_bad(err, op, "document element is <%.64s>, expected <%s>",
                (*root)->name, name);
        goto fail;
    }
    if (result) {
        snprintf(name, sizeof(name), "%sResult", op);
        *result = awsxml_child(*root, name);
        if (!*result) {
            svc_bad(err, op, "no <%s>", name);
            goto fail;
        }
    }
    return DG_OK;
fail:
    awsxml_free(*root);
    *root = NULL;
    return DG_EINVALID;
}

dg_rc
svc_xml_str(const char *op, const struct awsxml_node *n, const char *path,
            size_t max, int required, char **out, struct dg_err *err)
{
    const char *t = n ? awsxml_text(n, path) : NULL;
    size_t len;
    *out = NULL;
    if (!t)
        return required ? svc_bad(err, op, "missing %s", path) : DG_OK;
    len = strlen(t);
    if (len > max)
        return svc_bad(err, op, "%s longer than %zu bytes", path, max);
    *out = dg_strndup(t, len);
    return DG_OK;
}

dg_rc
svc_xml_bool(const char *op, const struct awsxml_node *n, const char *path,
             int required, int dflt, int *out, struct dg_err *err)
{
    const char *t = n ? awsxml_text(n, path) : NULL;
    *out = dflt;
    if (!t)
        return required ? svc_bad(err, op, "missing %s", path) : DG_OK;
    if (strcmp(t, "true") == 0)
        *out = 1;
    else if (strcmp(t, "false") == 0)
        *out = 0;
    else
        return svc_bad(err, op, "%s is not true or false", path);
    return DG_OK;
}

static int
parse_ll(const char *t, long long *v)
{
    char *end;
    if (!*t || (*t != '-' && (*t < '0' || *t > '9')))
        return 0;
    errno = 0;
    *v = strtoll(t, &end, 10);
    return errno == 0 && *end == '\0';
}

dg_rc
svc_xml_int(const char *op, const struct awsxml_node *n, const char *path,
            int required, long long dflt, long long *out, struct dg_err *err)
{
    const char *t = n ? awsxml_text(n, path) : NULL;
    *out = dflt;
    if (!t)
        return required ? svc_bad(err, op, "missing %s", path) : DG_OK;
    if (!parse_ll(t, out))
        return svc_bad(err, op, "%s is not an integer", path);
    return DG_OK;
}

dg_rc
svc_xml_count(const char *op, const struct awsxml_node *list, const char *item,
              size_t max, size_t *n, struct dg_err *err)
{
    *n = 0;
    for (const struct awsxml_node *c = list ? awsxml_first(list, item) : NULL;
         c; c = awsxml_next(c))
        if (++*n > max)
            return svc_bad(err, op, "more than %zu <%s> entries", max, item);
    return DG_OK;
}

dg_rc
svc_xml_strv(const char *op, const struct awsxml_node *list, const char *item,
             size_t max_items, size_t max_len, struct svc_strv *out,
             struct dg_err *err)
{
    size_t n;
    dg_rc rc = svc_xml_count(op, list, item, max_items, &n, err);
    memset(out, 0, sizeof(*out));
    if (rc != DG_OK || n == 0)
        return rc;
    out->v = dg_calloc(n, sizeof(*out->v));
    for (const struct awsxml_node *c = awsxml_first(list, item); c;
         c = awsxml_next(c)) {
        if (strlen(c->text) > max_len) {
            svc_strv_cleanup(out);
            return svc_bad(err, op, "<%s> longer than %zu bytes", item,
                           max_len);
        }
        out->v[out->n++] = dg_strdup(c->text);
    }
    return DG_OK;
}

dg_rc
svc_xml_items(const char *op, const struct awsxml_node *list, const char *item,
              size_t max, size_t item_size, svc_xml_item_fn fn, void **v,
              size_t *n, struct dg_err *err)
{
    size_t count;
    dg_rc rc = svc_xml_count(op, list, item, max, &count, err);
    if (rc != DG_OK || count == 0)
        return rc;
    *v = dg_calloc(count, item_size);
    for (const struct awsxml_node *c = awsxml_first(list, item); c;
         c = awsxml_next(c))
        if ((rc = fn(op, c, (char *)*v + item_size * (*n)++, err)))
            return rc;
    return DG_OK;
}

dg_rc
svc_xml_list(const char *op, const char *body, size_t len, const char *list,
             const char *item, size_t item_size, svc_xml_item_fn fn, void **v,
             size_t *n, char **marker, struct dg_err *err)
{
    struct awsxml_node *root;
    const struct awsxml_node *res, *l;
    size_t count;
    dg_rc rc;
    *v = NULL;
    *n = 0;
    *marker = NULL;
    if ((rc = svc_xml_open(op, body, len, &root, &res, err)))
        return rc;
    l = awsxml_child(res, list);
    /* The count first: a reply too long is refused before anything else. */
    if (!(rc = svc_xml_count(op, l, item, SVC_MAX_ITEMS, &count, err)) &&
        !(rc = svc_xml_str(op, res, "Marker", SVC_MAX_ID, 0, marker, err)))
        rc =
            svc_xml_items(op, l, item, SVC_MAX_ITEMS, item_size, fn, v, n, err);
    awsxml_free(root);
    return rc;
}

dg_rc
svc_xml_single(const char *op, const char *body, size_t len, const char *elem,
               svc_xml_item_fn fn, void *out, struct dg_err *err)
{
    struct awsxml_node *root;
    const struct awsxml_node *res, *n;
    dg_rc rc;
    if ((rc = svc_xml_open(op, body, len, &root, &res, err)))
        return rc;
    n = awsxml_child(res, elem);
    rc = n ? fn(op, n, out, err) : svc_bad(err, op, "no <%s>", elem);
    awsxml_free(root);
    return rc;
}

/* --- JSON --- */

dg_rc
svc_json_open(const char *op, const char *body, size_t len, cJSON **root,
              struct dg_err *err)
{
    struct dg_err je;
    *root = NULL;
    if (!body || len == 0)
        return svc_bad(err, op, "empty body");
    dg_err_clear(&je);
    *root = dg_json_parse(body, len, SVC_MAX_BODY, DG_JSON_MAX_DEPTH, &je);
    if (!*root)
        return svc_bad(err, op, "not JSON (%s: %s)", je.code, je.msg);
    if (!cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        *root = NULL;
        return svc_bad(err, op, "not a JSON object");
    }
    return DG_OK;
}

dg_rc
svc_json_str(const char *op, const cJSON *obj, const char *key, size_t max,
             int required, char **out, struct dg_err *err)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    size_t len;
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return required ? svc_bad(err, op, "missing %s", key) : DG_OK;
    if (!cJSON_IsString(v) || !v->valuestring)
        return svc_bad(err, op, "%s is not a string", key);
    len = strlen(v->valuestring);
    if (len > max)
        return svc_bad(err, op, "%s longer than %zu bytes", key, max);
    *out = dg_strndup(v->valuestring, len);
    return DG_OK;
}

dg_rc
svc_json_int(const char *op, const cJSON *obj, const char *key, int required,
             long long dflt, long long *out, struct dg_err *err)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    *out = dflt;
    if (!v || cJSON_IsNull(v))
        return required ? svc_bad(err, op, "missing %s", key) : DG_OK;
    if (!dg_json_int(obj, key, out))
        return svc_bad(err, op, "%s is not an integer", key);
    return DG_OK;
}

dg_rc
svc_json_bool(const char *op, const cJSON *obj, const char *key, int required,
              int dflt, int *out, struct dg_err *err)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    *out = dflt;
    if (!v || cJSON_IsNull(v))
        return required ? svc_bad(err, op, "missing %s", key) : DG_OK;
    if (!cJSON_IsBool(v))
        return svc_bad(err, op, "%s is not a boolean", key);
    *out = cJSON_IsTrue(v);
    return DG_OK;
}

dg_rc
svc_json_time_ms(const char *op, const cJSON *obj, const char *key,
                 int64_t *out, struct dg_err *err)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    *out = 0;
    if (!v || cJSON_IsNull(v))
        return DG_OK;
    /* Epoch seconds between 1970 and 9999. */
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble > 253402300799.0)
        return svc_bad(err, op, "%s is not an epoch timestamp", key);
    *out = (int64_t)llround(v->valuedouble * 1000.0);
    return DG_OK;
}

dg_rc
svc_json_array(const char *op, const cJSON *obj, const char *key, size_t max,
               const cJSON **out, struct dg_err *err)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return DG_OK;
    if (!cJSON_IsArray(v))
        return svc_bad(err, op, "%s is not an array", key);
    if ((size_t)cJSON_GetArraySize(v) > max)
        return svc_bad(err, op, "%s has more than %zu entries", key, max);
    *out = v;
    return DG_OK;
}

dg_rc
svc_json_object(const char *op, const cJSON *obj, const char *key,
                const cJSON **out, struct dg_err *err)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return DG_OK;
    if (!cJSON_IsObject(v))
        return svc_bad(err, op, "%s is not an object", key);
    *out = v;
    return DG_OK;
}

dg_rc
svc_json_items(const char *op, const cJSON *arr, size_t item_size,
               svc_json_item_fn fn, void **v, size_t *n, struct dg_err *err)
{
    const cJSON *j;
    dg_rc rc;
    if (!arr || cJSON_GetArraySize(arr) <= 0)
        return DG_OK;
    *v = dg_calloc((size_t)cJSON_GetArraySize(arr), item_size);
    cJSON_ArrayForEach(j, arr)
    {
        if ((rc = fn(op, j, (char *)*v + item_size * (*n)++, err)))
            return rc;
    }
    return DG_OK;
}

dg_rc
svc_json_strmap(const char *op, const cJSON *obj, size_t max_len,
                const char *what, struct svc_map *out, struct dg_err *err)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, obj)
    {
        if (!cJSON_IsString(a) || strlen(a->valuestring) > max_len)
            return svc_bad(err, op, "attribute %.64s is not %s", a->string,
                           what);
        if (out->n >= 64)
            return svc_bad(err, op, "too many attributes");
        svc_map_add(out, a->string, a->valuestring);
    }
    return DG_OK;
}

/* --- requests --- */

dg_rc
svc_query_int(struct dg_buf *b, const char *key, long long v)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", v);
    return aws_query_add(b, key, num);
}

dg_rc
svc_query_addk(struct dg_buf *b, const char *value, const char *fmt, ...)
{
    char key[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(key, sizeof(key), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(key))
        return DG_EINVALID;
    return aws_query_add(b, key, value);
}

dg_rc
svc_json_emit(cJSON *doc, struct dg_buf *out, struct dg_err *err)
{
    char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;
    dg_rc rc;
    cJSON_Delete(doc);
    if (!s)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "cannot serialize the request");
    dg_buf_reset(out);
    rc = dg_buf_addstr(out, s);
    cJSON_free(s);
    if (rc != DG_OK)
        return dg_err_setc(err, rc, "bad_request", "request body too large");
    return DG_OK;
}

dg_rc
svc_need(const char *op, const char *field, const char *value,
         struct dg_err *err)
{
    if (value && *value)
        return DG_OK;
    return dg_err_setc(err, DG_EINVALID, "bad_request", "%s: %s is required",
                       op, field);
}

/* --- the asynchronous pipeline --- */

void
svc_build_init(struct svc_build *b)
{
    dg_buf_init(&b->body, SVC_MAX_BODY);
    dg_err_clear(&b->err);
}

struct svc_pending {
    struct dg_buf body;
    const struct svc_op *op;
    char *arg;
    svc_done_fn done;
    void *ctx;
    struct dg_err err; /* build failure, reported from the loop */
    dg_rc rc;
};

static void
pending_free(struct svc_pending *p)
{
    dg_buf_cleanup(&p->body);
    dg_free(p->arg);
    dg_free(p);
}

static void
on_reply(const struct aws_response *resp, dg_rc rc, const struct dg_err *err,
         void *ctx)
{
    struct svc_pending *p = ctx;
    struct dg_err perr;
    void *result = NULL;
    if (rc != DG_OK || !p->op->parse) {
        p->done(NULL, rc, err, p->ctx);
        pending_free(p);
        return;
    }
    dg_err_clear(&perr);
    result = dg_calloc(1, p->op->result_size ? p->op->result_size : 1);
    rc = p->op->parse(resp ? resp->body : NULL, resp ? resp->body_len : 0,
                      p->arg, result, &perr);
    if (rc == DG_OK) {
        p->done(result, DG_OK, NULL, p->ctx);
    } else {
        if (resp) {
            perr.http_status = resp->status;
            snprintf(perr.request_id, sizeof(perr.request_id), "%s",
                     resp->request_id ? resp->request_id : "");
        }
        p->done(NULL, rc, &perr, p->ctx);
    }
    if (p->op->cleanup)
        p->op->cleanup(result);
    dg_free(result);
    pending_free(p);
}

static void
on_build_failed(evutil_socket_t fd, short what, void *ctx)
{
    struct svc_pending *p = ctx;
    (void)fd;
    (void)what;
    p->done(NULL, p->rc, &p->err, p->ctx);
    pending_free(p);
}

void
svc_call(const struct svc_client *c, const struct aws_request *req,
         struct dg_buf *body, dg_rc build_rc, const struct dg_err *build_err,
         const struct svc_op *op, char *arg, svc_done_fn done, void *ctx)
{
    struct svc_pending *p = dg_calloc(1, sizeof(*p));
    struct aws_request r = *req;
    p->body = *body; /* consumed */
    dg_buf_init(body, body->max);
    p->op = op;
    p->arg = arg;
    p->done = done;
    p->ctx = ctx;
    if (build_rc != DG_OK) {
        p->rc = build_rc;
        if (build_err)
            p->err = *build_err;
        else
            dg_err_setc(&p->err, build_rc, "bad_request", "%s: bad request",
                        req->operation);
        if (event_base_once(c->base, -1, EV_TIMEOUT, on_build_failed, p,
                            NULL) != 0)
            abort(); /* only fails on allocation failure */
        return;
    }
    if (r.svc->protocol == AWS_REST_XML && p->body.len == 0) {
        r.body = NULL;
        r.body_len = 0;
    } else {
        r.body = dg_buf_str(&p->body);
        r.body_len = p->body.len;
    }
    aws_call(c->aws, &r, on_reply, p);
}

void
svc_start(const struct svc_client *c, const struct aws_service *svc,
          const char *region, const char *operation, int idempotent,
          struct dg_buf *body, dg_rc build_rc, const struct dg_err *build_err,
          const struct svc_op *op, svc_done_fn done, void *ctx)
{
    struct aws_request req = {.svc = svc,
                              .region = region,
                              .operation = operation,
                              .idempotent = idempotent};
    svc_call(c, &req, body, build_rc, build_err, op, NULL, done, ctx);
}

void
svc_send(const struct svc_client *c, const struct aws_service *svc,
         const char *region, const char *operation, int idempotent,
         struct svc_build *b, dg_rc build_rc, const struct svc_op *op,
         svc_done_fn done, void *ctx)
{
    svc_start(c, svc, region, operation, idempotent, &b->body, build_rc,
              &b->err, op, done, ctx);
}
