/*
 * route53.c - UpdateRoute53Record: ChangeResourceRecordSets UPSERT of one
 * record (Route53 is global). Observation: {"record": R|null, "change":
 * {"id","status"}|null}: the record as ListResourceRecordSets shows it and,
 * once a change was sent (its id is the memo), GetChange. Done when the
 * record's value is the target AND the change is INSYNC (or no change of
 * ours exists because the record already held the value).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "actions_internal.h"
#include "json.h"
#include "mem.h"
#include "route53.h"

struct job {
    const struct svc_client *sc;
    char *name, *type, *change_id;
    cJSON *obs;
    action_observe_fn odone;
    action_mutate_fn mdone;
    void *ctx;
};

static const char *
rtype(const struct action_step *st)
{
    const char *t = act_param(st, "RecordType");
    return t ? t : "CNAME";
}

static void
job_free(struct job *j)
{
    dg_free(j->name);
    dg_free(j->type);
    dg_free(j->change_id);
    dg_free(j);
}

static void
obs_finish(struct job *j, dg_rc rc, const struct dg_err *err)
{
    action_observe_fn done = j->odone;
    void *c = j->ctx;
    cJSON *obs = j->obs;
    job_free(j);
    if (rc != DG_OK) {
        cJSON_Delete(obs);
        obs = NULL;
    }
    done(obs, rc, err, c);
}

static void
on_change(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct job *j = ctx;
    if (rc != DG_OK) {
        obs_finish(j, rc, err);
        return;
    }
    cJSON_AddItemToObject(j->obs, "change", act_obs_change(result));
    obs_finish(j, DG_OK, NULL);
}

static void
on_list(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct job *j = ctx;
    if (rc != DG_OK) {
        obs_finish(j, rc, err);
        return;
    }
    const struct route53_rrset *r =
        route53_rrsets_find(result, j->name, j->type);
    cJSON_AddItemToObject(j->obs, "record", act_obs_rrset(r));
    if (j->change_id) {
        route53_get_change(j->sc, j->change_id, on_change, j);
        return;
    }
    cJSON_AddNullToObject(j->obs, "change");
    obs_finish(j, DG_OK, NULL);
}

static void
r53_observe(void *impl, const struct action_step *st, action_observe_fn done,
            void *ctx)
{
    struct job *j = dg_calloc(1, sizeof(*j));
    j->sc = impl;
    j->name = dg_strdup(act_param(st, "RecordName"));
    j->type = dg_strdup(rtype(st));
    j->change_id = dg_strdup(dg_json_str(st->memo, "change_id"));
    j->obs = cJSON_CreateObject();
    j->odone = done;
    j->ctx = ctx;
    route53_list_rrsets(impl, act_param(st, "HostedZoneId"), j->name, j->type,
                        10, on_list, j);
}

/* DNS names compare case-insensitively, with or without the final dot. */
static int
same_value(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

static enum action_assess
r53_assess(const struct action_step *st, const cJSON *obs, char *why, size_t n,
           int64_t *hint)
{
    (void)hint;
    const cJSON *r = dg_json_obj(obs, "record");
    const cJSON *c = dg_json_obj(obs, "change");
    const char *want = act_param(st, "RecordValue");
    const cJSON *vals = dg_json_arr(r, "values");
    int equal = vals && cJSON_GetArraySize(vals) == 1 &&
                cJSON_IsString(vals->child) &&
                same_value(vals->child->valuestring, want);
    int insync = !c || act_str_is(c, "status", "INSYNC");
    if (equal && insync) {
        snprintf(why, n, "%s %s = %s%s", act_param(st, "RecordName"), rtype(st),
                 want, c ? ", change INSYNC" : "");
        return ACTION_GOAL_HOLDS;
    }
    if (c && !insync) {
        snprintf(why, n, "change %s is %s", dg_json_str(c, "id"),
                 dg_json_str(c, "status"));
        return ACTION_IN_PROGRESS;
    }
    snprintf(why, n, "%s %s is %s, want %s", act_param(st, "RecordName"),
             rtype(st),
             vals && cJSON_IsString(vals->child) ? vals->child->valuestring
                                                 : "absent",
             want);
    return ACTION_NOT_STARTED;
}

static dg_rc
r53_precheck(const struct action_step *st, const cJSON *obs, char *why,
             size_t n)
{
    (void)obs;
    if (!act_param(st, "RecordValue") || !act_param(st, "RecordName")) {
        snprintf(why, n, "RecordName and RecordValue are required");
        return DG_EINVALID;
    }
    return DG_OK;
}

static void
on_upsert(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct job *j = ctx;
    const struct route53_change *c = result;
    cJSON *memo = NULL;
    if (rc == DG_OK && c && c->id) {
        memo = cJSON_CreateObject();
        cJSON_AddStringToObject(memo, "change_id", c->id);
        /* Already INSYNC in the answer: look again right away. */
        if (c->status && strcmp(c->status, "INSYNC") == 0)
            cJSON_AddNumberToObject(memo, "expect_ms", 0);
    }
    action_mutate_fn done = j->mdone;
    void *x = j->ctx;
    job_free(j);
    done(memo, rc, err, x);
}

static void
r53_mutate(void *impl, const struct action_step *st, const cJSON *obs,
           action_mutate_fn done, void *ctx)
{
    (void)obs;
    struct job *j = dg_calloc(1, sizeof(*j));
    j->mdone = done;
    j->ctx = ctx;
    const char *value = act_param(st, "RecordValue");
    const char *values[1] = {value};
    struct route53_record r = {
        .name = act_param(st, "RecordName"),
        .type = rtype(st),
        .ttl = (long)act_param_int(st, "TTL", 60),
        .values = values,
        .nvalues = 1,
    };
    char comment[160];
    snprintf(comment, sizeof(comment), "drgate %s step %s", st->plan_id,
             st->step);
    route53_upsert(impl, act_param(st, "HostedZoneId"), &r, comment, on_upsert,
                   j);
}

const struct action_ops act_update_route53 = {
    .type = "UpdateRoute53Record",
    .observe = r53_observe,
    .precheck = r53_precheck,
    .assess = r53_assess,
    .mutate = r53_mutate,
};
