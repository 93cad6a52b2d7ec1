/*
 * plan.c - binding runbooks into plans, canonical form and digest.
 *
 * A plan's body holds everything that will happen: every step's type,
 * region, deadline and concrete parameters, the class, the regions and the
 * proposal time. The digest is SHA-256 over the canonical JSON of that body
 * (json.c), so two proposals at different times never share a digest and an
 * approval can never be carried over to another plan. The plan id is for
 * people and logs; the digest is what binds.
 */
#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "json.h"
#include "mem.h"
#include "runbook.h"
#include "timefmt.h"

#define PLAN_MAX_CANONICAL (1024 * 1024)

struct bind {
    const struct plan_input *in;
    const char *label;
    struct dg_buf *errors;
    int failed;
};

/* Substitutes ${name} in s; returns a new string or NULL (problem logged). */
static char *
substitute(struct bind *b, const char *s, const char *ptr)
{
    struct dg_buf out;
    dg_buf_init(&out, 16384);
    const char *p = s;
    for (;;) {
        const char *start = strstr(p, "${");
        if (!start) {
            (void)dg_buf_addstr(&out, p);
            break;
        }
        (void)dg_buf_add(&out, p, (size_t)(start - p));
        const char *end = strchr(start + 2, '}');
        if (!end)
            goto bad;
        char name[80];
        size_t len = (size_t)(end - start - 2);
        if (len == 0 || len >= sizeof(name))
            goto bad;
        memcpy(name, start + 2, len);
        name[len] = '\0';
        const char *val = NULL;
        if (strcmp(name, "primary_region") == 0)
            val = b->in->primary_region;
        else if (strcmp(name, "secondary_region") == 0)
            val = b->in->secondary_region;
        else if (b->in->lookup)
            val = b->in->lookup(name, b->in->lookup_ctx);
        if (!val) {
            (void)dg_buf_printf(b->errors,
                                "%s: %s: unbound variable ${%s} (define it "
                                "in topology.variables)\n",
                                b->label, ptr, name);
            b->failed = 1;
            dg_buf_cleanup(&out);
            return NULL;
        }
        if (dg_buf_addstr(&out, val) != DG_OK)
            goto bad;
        p = end + 1;
    }
    return dg_buf_detach(&out);
bad:
    (void)dg_buf_printf(b->errors, "%s: %s: malformed ${variable}\n", b->label,
                        ptr);
    b->failed = 1;
    dg_buf_cleanup(&out);
    return NULL;
}

static cJSON *
bind_value(struct bind *b, const cJSON *v, const char *ptr)
{
    if (cJSON_IsString(v)) {
        char *s = substitute(b, v->valuestring, ptr);
        if (!s)
            return NULL;
        cJSON *r = cJSON_CreateString(s);
        dg_free(s);
        return r;
    }
    if (cJSON_IsArray(v)) {
        cJSON *arr = cJSON_CreateArray();
        int i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            char cp[1100];
            snprintf(cp, sizeof(cp), "%s/%d", ptr, i);
            cJSON *x = bind_value(b, c, cp);
            if (!x) {
                cJSON_Delete(arr);
                return NULL;
            }
            cJSON_AddItemToArray(arr, x);
        }
        return arr;
    }
    return cJSON_Duplicate(v, 1);
}

static int
is_reference(const char *s)
{
    return strncmp(s, "!Import ", 8) == 0 ||
           strncmp(s, "resolve:ssm:", 12) == 0;
}

static cJSON *
bind_step(struct bind *b, const cJSON *res, const char *ptr, int layer_no,
          int idx, int *mutating, int *data_loss)
{
    const char *type = dg_json_str(res, "resourceType");
    const struct runbook_type *t = runbook_type_find(type);
    if (!t)
        return NULL; /* validated earlier */
    cJSON *step = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof(id), "%d.%d", layer_no, idx + 1);
    cJSON_AddStringToObject(step, "step", id);
    cJSON_AddStringToObject(step, "type", t->name);
    const char *name = dg_json_str(res, "resourceName");
    cJSON_AddStringToObject(step, "name", name ? name : t->name);
    cJSON *params = cJSON_AddObjectToObject(step, "parameters");
    const cJSON *in = dg_json_obj(res, "parameters");
    for (const cJSON *c = in ? in->child : NULL; c; c = c->next) {
        struct dg_buf p;
        dg_buf_init(&p, 2048);
        (void)dg_buf_printf(&p, "%s/parameters", ptr);
        (void)dg_json_ptr_add(&p, c->string);
        cJSON *v = bind_value(b, c, dg_buf_str(&p));
        dg_buf_cleanup(&p);
        if (v)
            cJSON_AddItemToObject(params, c->string, v);
    }
    /* Region: explicit, else the type's region parameter, else its rule. */
    const char *region = NULL;
    char *owned = NULL;
    const char *r = dg_json_str(res, "region");
    if (r) {
        char rp[1100];
        snprintf(rp, sizeof(rp), "%s/region", ptr);
        owned = substitute(b, r, rp);
        region = owned;
    } else if (t->region_param) {
        const char *pv = dg_json_str(params, t->region_param);
        if (pv && !is_reference(pv))
            region = pv;
    }
    if (!region)
        region = t->region_rule == RB_REGION_PRIMARY ? b->in->primary_region
                 : t->region_rule == RB_REGION_SECONDARY
                     ? b->in->secondary_region
                     : "global";
    cJSON_AddStringToObject(step, "region", region ? region : "global");
    dg_free(owned);
    long long timeout = t->timeout_seconds;
    (void)dg_json_int(res, "timeout_seconds", &timeout);
    cJSON_AddNumberToObject(step, "timeout_seconds", (double)timeout);
    cJSON_AddBoolToObject(step, "mutating", t->mutating);
    cJSON_AddBoolToObject(step, "data_loss", t->data_loss);
    *mutating |= t->mutating;
    *data_loss |= t->data_loss;
    return step;
}

static void
compact_time(int64_t ms, char *out, size_t n)
{
    char iso[DG_TIME_STR_LEN];
    timefmt_format(ms, iso);
    /* 2026-01-01T00:00:35.000Z -> 20260101T000035Z */
    snprintf(out, n, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8,
             iso + 11, iso + 14, iso + 17);
}

dg_rc
plan_build(const struct plan_input *in, const char *label, struct plan **out,
           struct dg_buf *errors)
{
    *out = NULL;
    struct bind b = {in, label, errors, 0};
    if (runbook_validate(in->payload, 1, label, errors) != DG_OK)
        return DG_EINVALID;
    cJSON *body = cJSON_CreateObject();
    char when[DG_TIME_STR_LEN];
    timefmt_format(in->proposed_ms, when);
    cJSON_AddStringToObject(body, "class", in->plan_class);
    cJSON_AddStringToObject(body, "runbook", in->runbook ? in->runbook : "");
    cJSON_AddStringToObject(body, "trigger", in->trigger ? in->trigger : "");
    cJSON_AddStringToObject(body, "proposed_at", when);
    cJSON *regions = cJSON_AddObjectToObject(body, "regions");
    cJSON_AddStringToObject(regions, "primary", in->primary_region);
    cJSON_AddStringToObject(regions, "secondary", in->secondary_region);
    cJSON *layers = cJSON_AddArrayToObject(body, "layers");
    int mutating = 0, data_loss = 0, li = 0;
    size_t nsteps = 0;
    for (const cJSON *layer = in->payload->child; layer;
         layer = layer->next, li++) {
        long long no = 0;
        (void)dg_json_int(layer, "layer", &no);
        cJSON *lo = cJSON_CreateObject();
        cJSON_AddNumberToObject(lo, "layer", (double)no);
        cJSON *steps = cJSON_AddArrayToObject(lo, "steps");
        int ri = 0;
        const cJSON *res = dg_json_arr(layer, "resources");
        for (const cJSON *r = res ? res->child : NULL; r; r = r->next, ri++) {
            char ptr[256];
            snprintf(ptr, sizeof(ptr), "/StatePayload/%d/resources/%d", li, ri);
            cJSON *step =
                bind_step(&b, r, ptr, (int)no, ri, &mutating, &data_loss);
            if (step) {
                cJSON_AddItemToArray(steps, step);
                nsteps++;
            }
        }
        cJSON_AddItemToArray(layers, lo);
    }
    cJSON_AddBoolToObject(body, "mutating", mutating);
    cJSON_AddBoolToObject(body, "data_loss", data_loss);
    if (b.failed) {
        cJSON_Delete(body);
        return DG_EINVALID;
    }
    char *canon = dg_json_canonical_str(body, PLAN_MAX_CANONICAL);
    if (!canon) {
        (void)dg_buf_printf(errors, "%s: plan larger than 1 MiB\n", label);
        cJSON_Delete(body);
        return DG_EINVALID;
    }
    struct plan *p = dg_calloc(1, sizeof(*p));
    char hex[DG_SHA256_HEX_LEN + 1], ts[32];
    digest_sha256_hex(canon, strlen(canon), hex);
    compact_time(in->proposed_ms, ts, sizeof(ts));
    p->digest = dg_sprintf("sha256:%s", hex);
    p->id = dg_sprintf("plan-%s-%.8s", ts, hex);
    p->plan_class = dg_strdup(in->plan_class);
    p->body = body;
    p->canonical = canon;
    p->mutating = mutating;
    p->data_loss = data_loss;
    p->nsteps = nsteps;
    *out = p;
    return DG_OK;
}

void
plan_free(struct plan *p)
{
    if (!p)
        return;
    dg_free(p->id);
    dg_free(p->digest);
    dg_free(p->plan_class);
    cJSON_Delete(p->body);
    dg_free(p->canonical);
    dg_free(p);
}

cJSON *
plan_json(const struct plan *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "plan");
    cJSON_AddStringToObject(o, "plan_id", p->id);
    cJSON_AddStringToObject(o, "digest", p->digest);
    cJSON_AddStringToObject(o, "class", p->plan_class);
    const char *rb = dg_json_str(p->body, "runbook");
    cJSON_AddStringToObject(o, "runbook", rb ? rb : "");
    cJSON_AddItemToObject(o, "plan", cJSON_Duplicate(p->body, 1));
    return o;
}

dg_rc
plan_summary(const struct plan *p, struct dg_buf *b)
{
    const cJSON *regions = dg_json_obj(p->body, "regions");
    dg_rc rc = dg_buf_printf(
        b, "Plan %s (%s, runbook %s): fail over from %s to %s in %zu steps.\n",
        p->id, p->plan_class, dg_json_str(p->body, "runbook"),
        dg_json_str(regions, "primary"), dg_json_str(regions, "secondary"),
        p->nsteps);
    if (rc == DG_OK && p->data_loss)
        rc = dg_buf_addstr(b, "DATA CAN BE LOST: at least one step gives up "
                              "writes not yet replicated.\n");
    const cJSON *layers = dg_json_arr(p->body, "layers");
    for (const cJSON *l = layers ? layers->child : NULL; rc == DG_OK && l;
         l = l->next) {
        const cJSON *steps = dg_json_arr(l, "steps");
        for (const cJSON *s = steps ? steps->child : NULL; rc == DG_OK && s;
             s = s->next) {
            const struct runbook_type *t =
                runbook_type_find(dg_json_str(s, "type"));
            rc = dg_buf_printf(b, "  %s [%s in %s] %s: %s\n",
                               dg_json_str(s, "step"), dg_json_str(s, "type"),
                               dg_json_str(s, "region"), dg_json_str(s, "name"),
                               t ? t->summary : "");
        }
    }
    return rc;
}

dg_rc
plan_from_json(const cJSON *line, struct plan **out, struct dg_err *err)
{
    *out = NULL;
    const char *id = dg_json_str(line, "plan_id");
    const char *digest = dg_json_str(line, "digest");
    const char *klass = dg_json_str(line, "class");
    const cJSON *body = dg_json_obj(line, "plan");
    if (!id || !digest || !klass || !body)
        return dg_err_setc(err, DG_EINVALID, "bad_plan",
                           "stored plan lacks plan_id, digest, class or plan");
    char *canon = dg_json_canonical_str(body, PLAN_MAX_CANONICAL);
    if (!canon)
        return dg_err_setc(err, DG_EINVALID, "bad_plan",
                           "stored plan %s has no canonical form", id);
    char hex[DG_SHA256_HEX_LEN + 1], want[8 + DG_SHA256_HEX_LEN + 1];
    digest_sha256_hex(canon, strlen(canon), hex);
    snprintf(want, sizeof(want), "sha256:%s", hex);
    if (strcmp(want, digest) != 0) {
        dg_free(canon);
        return dg_err_setc(err, DG_EINVALID, "digest_mismatch",
                           "stored plan %s does not match its digest", id);
    }
    struct plan *p = dg_calloc(1, sizeof(*p));
    p->id = dg_strdup(id);
    p->digest = dg_strdup(digest);
    p->plan_class = dg_strdup(klass);
    p->body = cJSON_Duplicate(body, 1);
    p->canonical = canon;
    p->mutating =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "mutating"));
    p->data_loss =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "data_loss"));
    const cJSON *layers = dg_json_arr(body, "layers");
    for (const cJSON *l = layers ? layers->child : NULL; l; l = l->next) {
        const cJSON *steps = dg_json_arr(l, "steps");
        p->nsteps += steps ? (size_t)cJSON_GetArraySize(steps) : 0;
    }
    *out = p;
    return DG_OK;
}
