/*
 * json.c - bounded parsing and canonical serialization.
 *
 * cJSON parses; this module adds what outside input needs around it: a size
 * cap, a depth cap checked before cJSON recurses, a duplicate-key check
 * (an approval reply with two "decision" keys must not mean different
 * things to different readers), and one canonical writer used for plan
 * digests and signatures.
 */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Depth scan that skips string contents; returns the maximum depth. */
static int
scan_depth(const char *s, size_t len)
{
    int depth = 0, max = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
        } else if (c == '}' || c == ']')
            depth--;
    }
    return max;
}

static int
compare_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* 1 when some object in the tree repeats a key. */
static int
has_duplicate_key(const cJSON *v, const char **dup)
{
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return 0;
    if (cJSON_IsObject(v)) {
        int n = cJSON_GetArraySize(v);
        if (n > 1) {
            const cJSON **items = dg_malloc(sizeof(*items) * (size_t)n);
            int i = 0;
            for (const cJSON *c = v->child; c; c = c->next)
                items[i++] = c;
            qsort(items, (size_t)n, sizeof(*items), compare_keys);
            for (i = 1; i < n; i++)
                if (strcmp(items[i - 1]->string, items[i]->string) == 0) {
                    *dup = items[i]->string;
                    dg_free(items);
                    return 1;
                }
            dg_free(items);
        }
    }
    for (const cJSON *c = v->child; c; c = c->next)
        if (has_duplicate_key(c, dup))
            return 1;
    return 0;
}

cJSON *
dg_json_parse(const char *s, size_t len, size_t max_len, int max_depth,
              struct dg_err *err)
{
    if (len > max_len) {
        dg_err_setc(err, DG_EINVALID, "too_large",
                    "message is %zu bytes, more than the limit of %zu", len,
                    max_len);
        return NULL;
    }
    if (memchr(s, '\0', len)) {
        dg_err_setc(err, DG_EINVALID, "bad_json",
                    "message contains a NUL byte");
        return NULL;
    }
    int depth = scan_depth(s, len);
    if (depth > max_depth) {
        dg_err_setc(err, DG_EINVALID, "too_deep",
                    "JSON nesting depth %d exceeds the limit of %d", depth,
                    max_depth);
        return NULL;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    if (!v) {
        size_t at = end && end >= s ? (size_t)(end - s) : 0;
        if (!end) {
            const char *ep = cJSON_GetErrorPtr();
            at = ep && ep >= s && ep <= s + len ? (size_t)(ep - s) : 0;
        }
        dg_err_setc(err, DG_EINVALID, "bad_json",
                    "not valid JSON (error near byte %zu)", at);
        return NULL;
    }
    /* Only white space may follow the value. */
    for (const char *p = end; p && p < s + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(v);
            dg_err_setc(err, DG_EINVALID, "bad_json",
                        "trailing data after the JSON value at byte %zu",
                        (size_t)(p - s));
            return NULL;
        }
    const char *dup = NULL;
    if (has_duplicate_key(v, &dup)) {
        dg_err_setc(err, DG_EINVALID, "duplicate_key",
                    "duplicate object key \"%.64s\"", dup);
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

static dg_rc
add_string(struct dg_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    dg_rc rc = dg_buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; rc == DG_OK && *p;
         p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            rc = dg_buf_add(b, esc, 2);
        } else if (*p < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            rc = dg_buf_add(b, esc, 6);
        } else {
            rc = dg_buf_addc(b, (char)*p);
        }
    }
    return rc == DG_OK ? dg_buf_addc(b, '"') : rc;
}

static dg_rc
add_number(struct dg_buf *b, double d)
{
    if (!isfinite(d))
        return DG_EINVALID;
    if (d == floor(d) && fabs(d) < 9007199254740992.0)
        return dg_buf_printf(b, "%lld", (long long)d);
    return dg_buf_printf(b, "%.17g", d);
}

dg_rc
dg_json_canonical(const cJSON *v, struct dg_buf *b)
{
    if (cJSON_IsNull(v))
        return dg_buf_addstr(b, "null");
    if (cJSON_IsTrue(v))
        return dg_buf_addstr(b, "true");
    if (cJSON_IsFalse(v))
        return dg_buf_addstr(b, "false");
    if (cJSON_IsNumber(v))
        return add_number(b, v->valuedouble);
    if (cJSON_IsString(v))
        return add_string(b, v->valuestring ? v->valuestring : "");
    if (cJSON_IsArray(v)) {
        dg_rc rc = dg_buf_addc(b, '[');
        for (const cJSON *c = v->child; rc == DG_OK && c; c = c->next) {
            if (c != v->child)
                rc = dg_buf_addc(b, ',');
            if (rc == DG_OK)
                rc = dg_json_canonical(c, b);
        }
        return rc == DG_OK ? dg_buf_addc(b, ']') : rc;
    }
    if (cJSON_IsObject(v)) {
        int n = cJSON_GetArraySize(v);
        const cJSON **items = dg_malloc(sizeof(*items) * (size_t)(n ? n : 1));
        int i = 0;
        for (const cJSON *c = v->child; c; c = c->next)
            items[i++] = c;
        qsort(items, (size_t)n, sizeof(*items), compare_keys);
        dg_rc rc = dg_buf_addc(b, '{');
        for (i = 0; rc == DG_OK && i < n; i++) {
            if (i)
                rc = dg_buf_addc(b, ',');
            if (rc == DG_OK)
                rc = add_string(b, items[i]->string);
            if (rc == DG_OK)
                rc = dg_buf_addc(b, ':');
            if (rc == DG_OK)
                rc = dg_json_canonical(items[i], b);
        }
        dg_free(items);
        return rc == DG_OK ? dg_buf_addc(b, '}') : rc;
    }
    return DG_EINVALID; /* raw or invalid nodes have no canonical form */
}

char *
dg_json_canonical_str(const cJSON *v, size_t max)
{
    struct dg_buf b;
    dg_buf_init(&b, max);
    if (dg_json_canonical(v, &b) != DG_OK) {
        dg_buf_cleanup(&b);
        return NULL;
    }
    return dg_buf_detach(&b);
}

dg_rc
dg_json_ptr_add(struct dg_buf *b, const char *token)
{
    dg_rc rc = dg_buf_addc(b, '/');
    for (const char *p = token; rc == DG_OK && *p; p++) {
        if (*p == '~')
            rc = dg_buf_addstr(b, "~0");
        else if (*p == '/')
            rc = dg_buf_addstr(b, "~1");
        else
            rc = dg_buf_addc(b, *p);
    }
    return rc;
}

const char *
dg_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *
dg_json_obj(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *
dg_json_arr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

int
dg_json_int(const cJSON *obj, const char *key, long long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return 0;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
        return 0;
    *out = (long long)d;
    return 1;
}
