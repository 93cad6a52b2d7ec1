/*
 * resolve.c - replaces "!Import" and "resolve:ssm:" references in a
 * StatePayload with their values, through an injected resolver.
 *
 * DESIGN: one pass collects every reference with its JSON pointer and the
 * region of its resource; exports are fetched once per region and SSM
 * parameters once per (region, path); when every lookup has answered, the
 * copy is patched or, if anything is missing, refused with one message
 * naming every unresolved reference. Values are never logged (SSM values
 * may be secret; SecureStrings are refused outright).
 *
 * Ownership: struct job owns the payload copy and the lookups; it frees
 * itself after calling done exactly once, from the loop.
 */
#include "resolve.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "buf.h"
#include "json.h"
#include "mem.h"
#include "runbook.h"

#define RESOLVE_MAX_REFS 1024

struct ref {
    cJSON *item; /* the string in the copy */
    int kind;    /* 1 import, 2 ssm */
    char *name;
    char *region;
    char *ptr;
    int lookup; /* index into job->lookups */
};

struct lookup {
    struct job *job;
    int kind;
    char *region;
    char *name;     /* ssm only */
    cJSON *exports; /* import: name -> value */
    char *value;    /* ssm */
    int secure;
    int done;
    struct dg_err err;
    dg_rc rc;
};

struct job {
    struct event_base *base;
    cJSON *copy;
    struct ref *refs;
    size_t nrefs;
    struct lookup **lookups;
    size_t nlookups;
    size_t pending;
    resolve_done_fn done;
    void *ctx;
    struct dg_buf problems;
};

int
resolve_reference(const char *s, const char **name)
{
    if (!s)
        return 0;
    if (strncmp(s, "!Import ", 8) == 0) {
        const char *n = s + 8;
        while (*n == ' ')
            n++;
        if (name)
            *name = n;
        return 1;
    }
    if (strncmp(s, "resolve:ssm:", 12) == 0) {
        if (name)
            *name = s + 12;
        return 2;
    }
    return 0;
}

/* ${name} substitution for a region string; NULL when unbound. */
static char *
subst(const char *s, const struct resolve_regions *rg)
{
    struct dg_buf b;
    dg_buf_init(&b, 256);
    const char *p = s;
    while (*p) {
        const char *st = strstr(p, "${");
        const char *en = st ? strchr(st, '}') : NULL;
        if (!st || !en) {
            (void)dg_buf_addstr(&b, p);
            break;
        }
        (void)dg_buf_add(&b, p, (size_t)(st - p));
        char name[80];
        size_t len = (size_t)(en - st - 2);
        if (len >= sizeof(name))
            len = sizeof(name) - 1;
        memcpy(name, st + 2, len);
        name[len] = '\0';
        const char *v = strcmp(name, "primary_region") == 0     ? rg->primary
                        : strcmp(name, "secondary_region") == 0 ? rg->secondary
                        : rg->lookup ? rg->lookup(name, rg->lookup_ctx)
                                     : NULL;
        if (!v) {
            dg_buf_cleanup(&b);
            return NULL;
        }
        (void)dg_buf_addstr(&b, v);
        p = en + 1;
    }
    return dg_buf_detach(&b);
}

static char *
resource_region(const cJSON *res, const struct resolve_regions *rg)
{
    const char *r = dg_json_str(res, "region");
    if (r) {
        char *s = subst(r, rg);
        if (s)
            return s;
    }
    const struct runbook_type *t =
        runbook_type_find(dg_json_str(res, "resourceType"));
    if (t && t->region_param) {
        const char *pv =
            dg_json_str(dg_json_obj(res, "parameters"), t->region_param);
        if (pv && !resolve_reference(pv, NULL)) {
            char *s = subst(pv, rg);
            if (s)
                return s;
        }
    }
    if (t && t->region_rule == RB_REGION_PRIMARY)
        return dg_strdup(rg->primary);
    return dg_strdup(rg->secondary);
}

static int
find_lookup(struct job *j, int kind, const char *region, const char *name)
{
    for (size_t i = 0; i < j->nlookups; i++) {
        const struct lookup *l = j->lookups[i];
        if (l->kind == kind && strcmp(l->region, region) == 0 &&
            (kind == 1 || strcmp(l->name, name) == 0))
            return (int)i;
    }
    struct lookup *l = dg_calloc(1, sizeof(*l));
    l->job = j;
    l->kind = kind;
    l->region = dg_strdup(region);
    l->name = kind == 2 ? dg_strdup(name) : NULL;
    j->lookups =
        dg_realloc(j->lookups, (j->nlookups + 1) * sizeof(*j->lookups));
    j->lookups[j->nlookups] = l;
    return (int)j->nlookups++;
}

static void
add_ref(struct job *j, cJSON *item, const char *region, const char *ptr)
{
    const char *name = NULL;
    int kind = resolve_reference(item->valuestring, &name);
    if (!kind)
        return;
    if (j->nrefs >= RESOLVE_MAX_REFS) {
        (void)dg_buf_printf(&j->problems, "%s: more than %d references\n", ptr,
                            RESOLVE_MAX_REFS);
        return;
    }
    j->refs = dg_realloc(j->refs, (j->nrefs + 1) * sizeof(*j->refs));
    struct ref *r = &j->refs[j->nrefs++];
    r->item = item;
    r->kind = kind;
    r->name = dg_strdup(name);
    r->region = dg_strdup(region);
    r->ptr = dg_strdup(ptr);
    r->lookup = find_lookup(j, kind, region, name);
}

static void
collect(struct job *j, const struct resolve_regions *rg)
{
    int li = 0;
    for (cJSON *layer = j->copy ? j->copy->child : NULL; layer;
         layer = layer->next, li++) {
        cJSON *res = cJSON_GetObjectItemCaseSensitive(layer, "resources");
        int ri = 0;
        for (cJSON *r = cJSON_IsArray(res) ? res->child : NULL; r;
             r = r->next, ri++) {
            cJSON *params = cJSON_GetObjectItemCaseSensitive(r, "parameters");
            if (!cJSON_IsObject(params))
                continue;
            char *region = resource_region(r, rg);
            for (cJSON *p = params->child; p; p = p->next) {
                struct dg_buf ptr;
                dg_buf_init(&ptr, 2048);
                (void)dg_buf_printf(&ptr, "/%d/resources/%d/parameters", li,
                                    ri);
                (void)dg_json_ptr_add(&ptr, p->string);
                if (cJSON_IsString(p)) {
                    add_ref(j, p, region, dg_buf_str(&ptr));
                } else if (cJSON_IsArray(p)) {
                    int k = 0;
                    for (cJSON *x = p->child; x; x = x->next, k++) {
                        if (!cJSON_IsString(x))
                            continue;
                        char sub[2100];
                        snprintf(sub, sizeof(sub), "%s/%d", dg_buf_str(&ptr),
                                 k);
                        add_ref(j, x, region, sub);
                    }
                }
                dg_buf_cleanup(&ptr);
            }
            dg_free(region);
        }
    }
}

static void
job_free(struct job *j)
{
    for (size_t i = 0; i < j->nrefs; i++) {
        dg_free(j->refs[i].name);
        dg_free(j->refs[i].region);
        dg_free(j->refs[i].ptr);
    }
    dg_free(j->refs);
    for (size_t i = 0; i < j->nlookups; i++) {
        struct lookup *l = j->lookups[i];
        dg_free(l->region);
        dg_free(l->name);
        cJSON_Delete(l->exports);
        dg_free(l->value);
        dg_free(l);
    }
    dg_free(j->lookups);
    cJSON_Delete(j->copy);
    dg_buf_cleanup(&j->problems);
    dg_free(j);
}

static void
finish(struct job *j)
{
    for (size_t i = 0; i < j->nrefs; i++) {
        struct ref *r = &j->refs[i];
        struct lookup *l = j->lookups[r->lookup];
        const char *what = r->kind == 1 ? "!Import" : "resolve:ssm:";
        const char *value = NULL;
        if (l->rc != DG_OK) {
            (void)dg_buf_printf(&j->problems, "%s: %s%s%s: %s in %s (%s)\n",
                                r->ptr, what, r->kind == 1 ? " " : "", r->name,
                                l->err.code[0] ? l->err.code : "failed",
                                r->region, l->err.msg);
            continue;
        }
        if (r->kind == 1) {
            value = dg_json_str(l->exports, r->name);
            if (!value) {
                (void)dg_buf_printf(&j->problems,
                                    "%s: !Import %s: no such export in %s\n",
                                    r->ptr, r->name, r->region);
                continue;
            }
        } else if (l->secure) {
            (void)dg_buf_printf(&j->problems,
                                "%s: resolve:ssm:%s: a SecureString cannot be "
                                "bound into a plan (plans are stored and "
                                "shown to approvers)\n",
                                r->ptr, r->name);
            continue;
        } else {
            value = l->value;
        }
        if (!cJSON_SetValuestring(r->item, value ? value : ""))
            (void)dg_buf_printf(&j->problems, "%s: cannot set value\n", r->ptr);
    }
    struct dg_err err;
    dg_err_clear(&err);
    cJSON *out = NULL;
    dg_rc rc = DG_OK;
    if (j->problems.len) {
        rc = dg_err_setc(&err, DG_EINVALID, "unresolved", "%s",
                         dg_buf_str(&j->problems));
        /* a transient lookup failure makes the whole answer transient */
        for (size_t i = 0; i < j->nlookups; i++)
            if (j->lookups[i]->rc == DG_ETRANSIENT)
                err.rc = rc = DG_ETRANSIENT;
    } else {
        out = j->copy;
        j->copy = NULL;
    }
    resolve_done_fn done = j->done;
    void *ctx = j->ctx;
    job_free(j);
    done(out, rc, rc == DG_OK ? NULL : &err, ctx);
}

static void
lookup_done(struct lookup *l)
{
    l->done = 1;
    if (--l->job->pending == 0)
        finish(l->job);
}

static void
on_exports(cJSON *exports, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct lookup *l = ctx;
    l->rc = rc;
    if (err)
        l->err = *err;
    l->exports = exports;
    lookup_done(l);
}

static void
on_param(const char *value, int secure, dg_rc rc, const struct dg_err *err,
         void *ctx)
{
    struct lookup *l = ctx;
    l->rc = rc;
    if (err)
        l->err = *err;
    l->secure = secure;
    if (rc == DG_OK && !secure)
        l->value = dg_strdup(value ? value : "");
    lookup_done(l);
}

static void
on_nothing(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    finish(arg);
}

void
resolve_plan_payload(struct event_base *base, const cJSON *payload,
                     const struct resolve_regions *regions,
                     const struct resolver *r, resolve_done_fn done, void *ctx)
{
    struct job *j = dg_calloc(1, sizeof(*j));
    j->base = base;
    j->copy = cJSON_Duplicate(payload, 1);
    j->done = done;
    j->ctx = ctx;
    dg_buf_init(&j->problems, 64 * 1024);
    collect(j, regions);
    if (j->nlookups == 0) {
        struct timeval zero = {0, 0};
        if (event_base_once(base, -1, EV_TIMEOUT, on_nothing, j, &zero) != 0)
            finish(j); /* cannot defer: the loop is gone */
        return;
    }
    j->pending = j->nlookups;
    /* Start every lookup; each answers from the loop. */
    size_t n = j->nlookups;
    for (size_t i = 0; i < n; i++) {
        struct lookup *l = j->lookups[i];
        if (l->kind == 1)
            r->ops->exports(r->impl, l->region, on_exports, l);
        else
            r->ops->parameter(r->impl, l->region, l->name, on_param, l);
    }
}
