/*
 * engine.c - decode, dedup, policy and plans for one message at a time.
 *
 * DESIGN: the engine is pure apart from the store it was given: the clock
 * is the signals' own timestamps (replay) or the caller's now_ms (daemon),
 * runbooks are loaded once at creation, and everything it decides is both
 * written to the store and handed to the emit callback as the JSON line
 * ARCHITECTURE.md section 12 defines. The dedup key is the record's event
 * id, or the SHA-256 of the raw bytes when the message carries none.
 */
#include "engine.h"

#include <string.h>

#include "decode.h"
#include "digest.h"
#include "json.h"
#include "mem.h"
#include "plan.h"
#include "policy.h"
#include "runbook.h"

struct engine {
    const struct dg_config *cfg;
    struct store *st;
    engine_emit_fn emit;
    void *emit_ctx;
    struct policy *policy;
    cJSON *runbook_planned; /* documents with "StatePayload" */
    cJSON *runbook_unplanned;
    char *name_planned; /* file stems for people */
    char *name_unplanned;
    int64_t clock_ms;    /* latest signal time seen: replay's clock */
    const char *cur_key; /* the message being processed: its dedup key */
    engine_proposal_fn propose_fn; /* the daemon's; NULL: synchronous */
    void *propose_ctx;
    engine_approval_fn approval_fn;
    void *approval_ctx;
    engine_command_fn command_hook; /* status/validate; NULL in replay */
    void *command_ctx;
    struct engine_stats stats;
};

static char *
file_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dg_strndup(base, dot ? (size_t)(dot - base) : strlen(base));
}

dg_rc
engine_new(const struct dg_config *cfg, struct store *st, engine_emit_fn emit,
           void *emit_ctx, struct engine **out, struct dg_buf *errors)
{
    *out = NULL;
    struct engine *e = dg_calloc(1, sizeof(*e));
    e->cfg = cfg;
    e->st = st;
    e->emit = emit;
    e->emit_ctx = emit_ctx;
    dg_rc rc =
        runbook_load(cfg->policy.runbook_planned, &e->runbook_planned, errors);
    dg_rc rc2 = runbook_load(cfg->policy.runbook_unplanned,
                             &e->runbook_unplanned, errors);
    if (rc != DG_OK || rc2 != DG_OK) {
        engine_free(e);
        return DG_EINVALID;
    }
    e->name_planned = file_stem(cfg->policy.runbook_planned);
    e->name_unplanned = file_stem(cfg->policy.runbook_unplanned);
    e->policy = policy_new(&cfg->policy);
    struct dg_err err;
    dg_err_clear(&err);
    rc = engine_reload(e, &err);
    if (rc != DG_OK) {
        (void)dg_buf_printf(errors, "%s\n", err.msg);
        engine_free(e);
        return rc;
    }
    *out = e;
    return DG_OK;
}

void
engine_free(struct engine *e)
{
    if (!e)
        return;
    policy_free(e->policy);
    cJSON_Delete(e->runbook_planned);
    cJSON_Delete(e->runbook_unplanned);
    dg_free(e->name_planned);
    dg_free(e->name_unplanned);
    dg_free(e);
}

const char *
engine_message_id(const struct engine *e)
{
    return e->cur_key;
}

const struct engine_stats *
engine_stats(const struct engine *e)
{
    return &e->stats;
}

dg_rc
engine_reload(struct engine *e, struct dg_err *err)
{
    char *json = NULL;
    dg_rc rc = store_policy_state_get(e->st, &json, err);
    if (rc != DG_OK)
        return rc;
    if (!json) {
        /* Nothing committed yet (a first batch rolled back): back to the
         * initial state, not the rolled-back batch's. */
        policy_free(e->policy);
        e->policy = policy_new(&e->cfg->policy);
        return DG_OK;
    }
    cJSON *state = cJSON_Parse(json);
    dg_free(json);
    if (!state)
        return dg_err_setc(err, DG_EFATAL, "store",
                           "store: the saved policy state is not JSON");
    rc = policy_state_load(e->policy, state, err);
    cJSON_Delete(state);
    if (rc != DG_OK)
        return dg_err_setc(err, DG_EFATAL, "store",
                           "store: the saved policy state is unreadable: %s",
                           err->msg);
    return DG_OK;
}

dg_rc
engine_checkpoint(struct engine *e, struct dg_err *err)
{
    cJSON *state = policy_state_json(e->policy);
    char *json = cJSON_PrintUnformatted(state);
    cJSON_Delete(state);
    dg_rc rc = store_policy_state_put(e->st, json, e->clock_ms, err);
    cJSON_free(json);
    return rc;
}

void
engine_set_proposal_fn(struct engine *e, engine_proposal_fn fn, void *ctx)
{
    e->propose_fn = fn;
    e->propose_ctx = ctx;
}

void
engine_set_approval_fn(struct engine *e, engine_approval_fn fn, void *ctx)
{
    e->approval_fn = fn;
    e->approval_ctx = ctx;
}

/* Variables for ${name}: command overrides, then topology.variables;
 * target_cluster falls back to secondary_cluster_arn. */
const char *
engine_lookup(const char *name, void *ctx)
{
    const struct engine_lookup_ctx *l = ctx;
    if (l->global_cluster && strcmp(name, "global_cluster_id") == 0)
        return l->global_cluster;
    if (l->target_cluster && strcmp(name, "target_cluster") == 0)
        return l->target_cluster;
    const char *v = config_variable(l->cfg, name);
    if (!v && strcmp(name, "target_cluster") == 0)
        v = config_variable(l->cfg, "secondary_cluster_arn");
    return v;
}

static void
emit(struct engine *e, const cJSON *line)
{
    if (e->emit)
        e->emit(line, e->emit_ctx);
}

static dg_rc
emit_rejected(struct engine *e, const char *code, const char *reason,
              const char *source, const char *origin)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "rejected");
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddStringToObject(o, "reason_code", code);
    cJSON_AddStringToObject(o, "source", source);
    if (origin)
        cJSON_AddStringToObject(o, "origin", origin);
    emit(e, o);
    cJSON_Delete(o);
    e->stats.rejected++;
    return DG_OK;
}

/* The earliest start of a failing run among the failing signals (the
 * policy's view), else dflt: "detection" in the recovery figures. */
static int64_t
detected_since(struct engine *e, int64_t dflt)
{
    cJSON *st = policy_state_json(e->policy);
    int64_t best = dflt;
    const cJSON *sigs = dg_json_arr(st, "signals");
    for (const cJSON *s = sigs ? sigs->child : NULL; s; s = s->next) {
        const cJSON *f =
            cJSON_GetObjectItemCaseSensitive(s, "failing_since_ms");
        if (cJSON_IsNumber(f) && (int64_t)f->valuedouble < best)
            best = (int64_t)f->valuedouble;
    }
    cJSON_Delete(st);
    return best;
}

/* Binds a runbook into a plan, records and emits it. */
static dg_rc
propose(struct engine *e, const cJSON *payload, const char *runbook,
        const char *plan_class, const char *trigger, int64_t when,
        const char *global_cluster, const char *target_cluster,
        const char *source, const char *origin, struct dg_err *err)
{
    if (e->propose_fn) {
        struct engine_proposal pr = {
            .payload = payload,
            .runbook = runbook,
            .plan_class = plan_class,
            .trigger = trigger,
            .when_ms = when,
            .detected_ms = detected_since(e, when),
            .global_cluster = global_cluster,
            .target_cluster = target_cluster,
            .source = source,
            .origin = origin,
        };
        dg_rc rc = e->propose_fn(&pr, err, e->propose_ctx);
        if (rc == DG_OK)
            e->stats.plans++;
        return rc;
    }
    struct engine_lookup_ctx lc = {e->cfg, global_cluster, target_cluster};
    struct plan_input in = {
        .payload = payload,
        .runbook = runbook,
        .plan_class = plan_class,
        .trigger = trigger,
        .proposed_ms = when,
        .primary_region = e->cfg->topology.primary_region,
        .secondary_region = e->cfg->topology.secondary_region,
        .lookup = engine_lookup,
        .lookup_ctx = &lc,
    };
    struct dg_buf errors;
    dg_buf_init(&errors, 8192);
    struct plan *p = NULL;
    if (plan_build(&in, runbook, &p, &errors) != DG_OK) {
        /* A manifest or command that cannot be bound is refused input. */
        char *why = dg_buf_detach(&errors);
        size_t n = strlen(why);
        if (n && why[n - 1] == '\n')
            why[n - 1] = '\0';
        emit_rejected(e, "bad_plan", why, source, origin);
        dg_free(why);
        return DG_OK;
    }
    dg_buf_cleanup(&errors);
    cJSON *line = plan_json(p);
    char *json = cJSON_PrintUnformatted(line);
    dg_rc rc = store_plan_put(e->st, p->id, p->digest, p->plan_class,
                              "proposed", json, when, err);
    cJSON_free(json);
    if (rc == DG_OK) {
        emit(e, line);
        e->stats.plans++;
    }
    cJSON_Delete(line);
    plan_free(p);
    return rc;
}

static dg_rc
handle_decisions(struct engine *e, struct policy_decisions *ds,
                 const char *source, const char *origin, struct dg_err *err)
{
    dg_rc rc = DG_OK;
    for (size_t i = 0; rc == DG_OK && i < ds->n; i++) {
        const struct policy_decision *d = &ds->v[i];
        cJSON *line = policy_decision_json(d);
        char *json = cJSON_PrintUnformatted(line);
        const char *verdict = dg_json_str(line, "verdict");
        rc = store_decision_add(e->st, d->time_ms, verdict ? verdict : "", json,
                                err);
        cJSON_free(json);
        if (rc == DG_OK) {
            emit(e, line);
            e->stats.decisions++;
        }
        cJSON_Delete(line);
        if (rc == DG_OK && d->verdict == POLICY_PROPOSE) {
            int unplanned = d->plan_class == POLICY_UNPLANNED;
            const cJSON *doc =
                unplanned ? e->runbook_unplanned : e->runbook_planned;
            rc = propose(e, dg_json_arr(doc, "StatePayload"),
                         unplanned ? e->name_unplanned : e->name_planned,
                         unplanned ? "unplanned" : "planned", "policy",
                         d->time_ms, NULL, NULL, source, origin, err);
        }
    }
    return rc;
}

static dg_rc
handle_command(struct engine *e, const struct dg_command *c, int64_t when,
               const char *source, const char *origin, struct dg_err *err)
{
    e->stats.commands++;
    switch (c->action) {
    case DG_CMD_FAILOVER:
        return propose(e, dg_json_arr(e->runbook_unplanned, "StatePayload"),
                       e->name_unplanned, "unplanned", "command", when,
                       c->global_cluster, c->target_cluster, source, origin,
                       err);
    case DG_CMD_FAILBACK:
        return propose(e, dg_json_arr(e->runbook_planned, "StatePayload"),
                       e->name_planned, "planned", "command", when,
                       c->global_cluster, c->target_cluster, source, origin,
                       err);
    case DG_CMD_RUNBOOK: {
        /* A manifest's class follows what it can do: any data-loss step
         * needs the unplanned quorum. */
        int data_loss = 0;
        for (const cJSON *l = c->state_payload ? c->state_payload->child : NULL;
             l; l = l->next) {
            const cJSON *res = dg_json_arr(l, "resources");
            for (const cJSON *r = res ? res->child : NULL; r; r = r->next) {
                const struct runbook_type *t =
                    runbook_type_find(dg_json_str(r, "resourceType"));
                data_loss |= t && t->data_loss;
            }
        }
        return propose(e, c->state_payload, "manifest",
                       data_loss ? "unplanned" : "planned", "manifest", when,
                       NULL, NULL, source, origin, err);
    }
    case DG_CMD_STATUS:
    case DG_CMD_VALIDATE:
        /* Read-only: answered by the running daemon, ignored by replay. */
        if (e->command_hook) {
            struct engine_command ec = {
                .action = c->action == DG_CMD_STATUS ? "status" : "validate",
                .global_cluster = c->global_cluster,
                .target_cluster = c->target_cluster,
                .message_id = e->cur_key,
                .source = source,
                .origin = origin,
                .when_ms = when,
            };
            return e->command_hook(&ec, e->command_ctx, err);
        }
        return DG_OK;
    }
    return DG_OK;
}

dg_rc
engine_process(struct engine *e, const char *data, size_t len,
               const char *source, const char *origin, int64_t now_ms,
               struct dg_err *err)
{
    e->stats.messages++;
    struct dg_record rec;
    memset(&rec, 0, sizeof(rec));
    decode_message(data, len, &rec);
    dg_rc rc = DG_OK;

    /* Dedup before anything else, refused input included, so a redelivered
     * bad message is not reported twice. */
    char hashed[8 + DG_SHA256_HEX_LEN + 1];
    const char *key = rec.event_id;
    if (!key) {
        memcpy(hashed, "sha256:", 7);
        digest_sha256_hex(data, len, hashed + 7);
        key = hashed;
    }
    e->cur_key = key;
    int is_new = 0;
    int64_t seen_at = now_ms ? now_ms : e->clock_ms;
    rc = store_message_seen(e->st, key, source, seen_at, &is_new, err);
    if (rc != DG_OK)
        goto out;
    if (!is_new) {
        e->stats.duplicates++;
        goto out;
    }

    int64_t when = now_ms ? now_ms : e->clock_ms;
    switch (rec.kind) {
    case DG_REC_INVALID:
        rc = emit_rejected(e, rec.reason_code ? rec.reason_code : "invalid",
                           rec.reason ? rec.reason : "refused", source, origin);
        break;
    case DG_REC_SIGNAL: {
        e->stats.signals++;
        if (rec.u.sig.time_ms > e->clock_ms)
            e->clock_ms = rec.u.sig.time_ms;
        struct policy_decisions ds = {0};
        enum policy_observe_result r =
            policy_observe(e->policy, &rec.u.sig, &ds);
        if (r == POLICY_UNMATCHED)
            e->stats.unmatched++;
        else if (r == POLICY_STALE)
            e->stats.stale++;
        rc = handle_decisions(e, &ds, source, origin, err);
        policy_decisions_cleanup(&ds);
        break;
    }
    case DG_REC_COMMAND:
        rc = handle_command(e, &rec.u.cmd, when, source, origin, err);
        break;
    case DG_REC_APPROVAL:
        e->stats.approvals++; /* verified by the approval gate */
        if (e->approval_fn)
            rc = e->approval_fn(&rec, when, err, e->approval_ctx);
        break;
    }
out:
    e->cur_key = NULL;
    decode_record_cleanup(&rec);
    return rc;
}

void
engine_set_command_hook(struct engine *e, engine_command_fn fn, void *ctx)
{
    e->command_hook = fn;
    e->command_ctx = ctx;
}

int64_t
engine_next_deadline(const struct engine *e)
{
    return policy_next_deadline(e->policy);
}

dg_rc
engine_tick(struct engine *e, int64_t now_ms, struct dg_err *err)
{
    if (policy_next_deadline(e->policy) > now_ms)
        return DG_OK;
    struct policy_decisions ds = {0};
    policy_advance(e->policy, now_ms, &ds);
    if (now_ms > e->clock_ms)
        e->clock_ms = now_ms;
    e->cur_key = ENGINE_TIMER_ID;
    dg_rc rc = handle_decisions(e, &ds, "timer", NULL, err);
    e->cur_key = NULL;
    policy_decisions_cleanup(&ds);
    return rc;
}

dg_rc
engine_rearm(struct engine *e, int64_t now_ms, struct dg_err *err)
{
    struct policy_decisions ds = {0};
    policy_rearm(e->policy, now_ms, &ds);
    dg_rc rc = handle_decisions(e, &ds, "policy", NULL, err);
    policy_decisions_cleanup(&ds);
    return rc;
}

dg_rc
engine_check_runbooks(const struct dg_config *cfg, struct dg_buf *errors)
{
    const char *paths[2] = {cfg->policy.runbook_planned,
                            cfg->policy.runbook_unplanned};
    const char *classes[2] = {"planned", "unplanned"};
    dg_rc result = DG_OK;
    for (int i = 0; i < 2; i++) {
        cJSON *doc = NULL;
        if (runbook_load(paths[i], &doc, errors) != DG_OK) {
            result = DG_EINVALID;
            continue;
        }
        struct engine_lookup_ctx lc = {cfg, NULL, NULL};
        struct plan_input in = {
            .payload = dg_json_arr(doc, "StatePayload"),
            .runbook = paths[i],
            .plan_class = classes[i],
            .trigger = "validate",
            .proposed_ms = 0,
            .primary_region = cfg->topology.primary_region,
            .secondary_region = cfg->topology.secondary_region,
            .lookup = engine_lookup,
            .lookup_ctx = &lc,
        };
        struct plan *p = NULL;
        if (plan_build(&in, paths[i], &p, errors) != DG_OK)
            result = DG_EINVALID;
        plan_free(p);
        cJSON_Delete(doc);
    }
    return result;
}
