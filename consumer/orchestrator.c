/*
 * orchestrator.c - the plan lifecycle in the running daemon: proposal,
 * approval, expiry, execution and resume (ARCHITECTURE.md sections 5-7).
 *
 * Ownership: the orchestrator owns the approval gate, the executor, the
 * SNS verifier, its pending proposals and publications, and its timers;
 * it borrows the loop, the store, the config and the daemon's host
 * callbacks. Errors of asynchronous work are logged here (this is where
 * drgate decides) and, where a plan or an input is concerned, recorded as
 * events; the synchronous entry points report through dg_err.
 *
 * DESIGN: the engine hands proposals over inside the message's
 * transaction (orch_on_proposal copies them); the references of the
 * runbook ("!Import", "resolve:ssm:") are resolved on the loop, then one
 * transaction binds the plan (so the digest covers concrete values),
 * stores it, writes drgate.plan.proposed, creates the approval request
 * and writes drgate.approval.requested; after the commit the request
 * (with its one-time token) is published to approval.request_topic_arn.
 * Replies are verified inside their message's transaction
 * (orch_on_approval); a plan that reaches its quorum is queued and
 * started from a deferred event after that transaction commits, because
 * the executor opens transactions of its own. The executor's events are
 * written through its hook inside its transactions; a deferred "kick"
 * tells the daemon to deliver them once the transaction is over. One
 * timer fires at the next request expiry. Read-only plans run without
 * approval; orch_execute refuses any mutating plan that
 * approval_is_approved does not confirm, and it is the only path to the
 * executor.
 */
#include "orchestrator.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "approval.h"
#include "store_approval.h"
#include "arn.h"
#include "clock.h"
#include "config.h"
#include "decode.h"
#include "engine.h"
#include "executor.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "plan.h"
#include "record.h"
#include "store.h"

#define ORCH_MAX_PLAN_JSON (4u << 20)

struct prop {
    struct orchestrator *o;
    struct prop *next;
    cJSON *payload;
    char *runbook, *plan_class, *trigger;
    char *global_cluster, *target_cluster;
    char *source, *origin;
    char *message_id, *decision_id;
    int64_t when_ms, detected_ms;
    int64_t row; /* its row in the store's proposals table */
    /* The replication lag its approval request states (lag_ms < 0:
     * unknown, lag_note says why). While it is being observed, resolved
     * waits here, lr is the observation and lag_ev its bound. */
    int64_t lag_ms, lag_observed_ms;
    char *lag_note;
    cJSON *resolved;
    struct lagreq *lr;
    struct event *lag_ev;
};

/* One lag observation in flight: the hook's context. It outlives the
 * proposal when the bound passes first (p NULL) and the orchestrator when
 * it is freed first (o NULL). */
struct lagreq {
    struct orchestrator *o;
    struct prop *p;
    struct lagreq *next;
};

struct pub {
    struct orchestrator *o;
    struct pub *next;
    char *plan_id;
    char *subject;
    char *message;          /* SECRET: holds the token */
    struct event *retry_ev; /* set while waiting to publish again */
    int retry_s;
};

struct startq {
    struct startq *next;
    char *plan_id;
    int64_t approved_ms;
};

struct orchestrator {
    struct orch_opts o;
    struct approval_gate *gate;
    struct executor *ex;
    struct snsverify *sv;
    struct prop *props; /* being resolved (or their lag observed) */
    struct lagreq *lagreqs;
    struct pub *pubs; /* being published */
    struct startq *starts;
    struct event *start_ev, *kick_ev, *expiry_ev;
    /* The SNS pre-check of the message being processed. */
    dg_rc sns_rc;
    char sns_why[256];
};

/* ---- small helpers ---------------------------------------------------- */

static int64_t
now(struct orchestrator *o)
{
    return o->o.host.now_ms(o->o.host.ctx);
}

static dg_rc
append(struct orchestrator *o, const char *type, const char *subject,
       cJSON *data, struct dg_err *err)
{
    return o->o.host.append(type, subject, data, err, o->o.host.ctx);
}

static void
progress(struct orchestrator *o)
{
    if (o->o.host.progress)
        o->o.host.progress(o->o.host.ctx);
}

/* Moves plan_id to state in the plans table (inside a transaction). */
static dg_rc
set_plan_state(struct orchestrator *o, const char *plan_id, const char *state,
               struct dg_err *err)
{
    char *json = NULL;
    dg_rc rc = store_plan_json(o->o.store, plan_id, &json, err);
    if (rc != DG_OK || !json) {
        dg_free(json);
        return rc;
    }
    cJSON *line =
        dg_json_parse(json, strlen(json), ORCH_MAX_PLAN_JSON, 64, NULL);
    const char *digest = dg_json_str(line, "digest");
    const char *cls = dg_json_str(line, "class");
    rc = store_plan_put(o->o.store, plan_id, digest ? digest : "?",
                        cls ? cls : "?", state, json, now(o), err);
    cJSON_Delete(line);
    dg_free(json);
    return rc;
}

/* The stored plan line of plan_id (NULL when unknown or unreadable). */
static cJSON *
load_plan(struct orchestrator *o, const char *plan_id, struct dg_err *err)
{
    char *json = NULL;
    if (store_plan_json(o->o.store, plan_id, &json, err) != DG_OK || !json)
        return NULL;
    cJSON *line =
        dg_json_parse(json, strlen(json), ORCH_MAX_PLAN_JSON, 64, NULL);
    dg_free(json);
    return line;
}

static void
arm_expiry(struct orchestrator *o)
{
    struct dg_err err;
    dg_err_clear(&err);
    int64_t at = 0;
    int found = 0;
    if (approval_next_expiry(o->o.store, &at, &found, &err) != DG_OK) {
        log_kv(DG_LOG_ERROR, "cannot read the next approval expiry", "error",
               err.msg, NULL);
        at = now(o) + 5000, found = 1; /* try again soon */
    }
    evtimer_del(o->expiry_ev);
    if (!found)
        return;
    int64_t delay = at - now(o);
    if (delay < 0)
        delay = 0;
    delay += 50; /* past the instant, so it counts as due */
    dg_clock_arm(o->expiry_ev, delay);
}

/* ---- publishing the request ------------------------------------------ */

static void
pub_free(struct pub *p)
{
    if (!p)
        return;
    if (p->retry_ev)
        event_free(p->retry_ev);
    if (p->message) {
        OPENSSL_cleanse(p->message, strlen(p->message));
        dg_free(p->message);
    }
    dg_free(p->subject);
    dg_free(p->plan_id);
    dg_free(p);
}

static void
pub_unlink(struct pub *p)
{
    for (struct pub **pp = &p->o->pubs; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

static void publish_again(struct pub *p);

static void
published(const char *message_id, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct pub *p = ctx;
    struct orchestrator *o = p->o;
    if (!o) {
        pub_free(p);
        return;
    }
    if (rc == DG_OK) {
        log_kv(DG_LOG_INFO, "approval request published", "plan_id", p->plan_id,
               "message_id", message_id ? message_id : "", NULL);
        struct dg_err e;
        dg_err_clear(&e);
        if (store_begin(o->o.store, &e) != DG_OK ||
            store_appr_req_set_published(o->o.store, p->plan_id, &e) != DG_OK ||
            store_commit(o->o.store, &e) != DG_OK) {
            store_rollback(o->o.store);
            /* Not fatal: at worst a restart publishes it once more. */
            log_kv(DG_LOG_WARN, "cannot mark the approval request published",
                   "plan_id", p->plan_id, "error", e.msg, NULL);
        }
    } else if (rc != DG_ECANCELLED) {
        log_kv(DG_LOG_ERROR,
               "cannot publish the approval request: trying again while it "
               "is pending",
               "plan_id", p->plan_id, "error", err ? err->msg : "", NULL);
        publish_again(p); /* keeps p */
        progress(o);      /* a publication waiting to retry is not busy */
        return;
    }
    pub_unlink(p);
    pub_free(p);
    progress(o);
}

static void
publish_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pub *p = arg;
    struct orchestrator *o = p->o;
    event_free(p->retry_ev);
    p->retry_ev = NULL;
    struct store_appr_req row;
    int found = 0;
    struct dg_err e;
    dg_err_clear(&e);
    int pending =
        store_appr_req_get(o->o.store, p->plan_id, &row, &found, &e) == DG_OK &&
        found && strcmp(row.state, STORE_APPR_PENDING) == 0 &&
        row.expires_ms > now(o);
    if (found)
        store_appr_req_cleanup(&row);
    if (!pending) {
        pub_unlink(p);
        pub_free(p);
        progress(o);
        return;
    }
    o->o.services.publish(o->o.services.impl,
                          o->o.cfg->approval.request_topic_arn, p->subject,
                          p->message, 1, "drgate.approval.requested",
                          p->plan_id, "critical", published, p);
}

/* A failed publish is tried again (5 s, doubling to 60 s) while the request
 * is pending and unexpired: approvers must see it. */
static void
publish_again(struct pub *p)
{
    int delay = p->retry_s ? p->retry_s * 2 : 5;
    p->retry_s = delay > 60 ? 60 : delay;
    p->retry_ev = evtimer_new(p->o->o.base, publish_retry_cb, p);
    dg_clock_arm(p->retry_ev, (int64_t)p->retry_s * 1000);
}

static void
publish_request(struct orchestrator *o, const char *plan_id,
                const struct approval_publication *ap)
{
    const char *topic = o->o.cfg->approval.request_topic_arn;
    if (!topic || !*topic || !o->o.services.publish) {
        log_kv(DG_LOG_ERROR,
               "no approval.request_topic_arn or SNS client: the approval "
               "request was not published",
               "plan_id", plan_id, NULL);
        return;
    }
    struct pub *p = dg_calloc(1, sizeof(*p));
    p->o = o;
    p->plan_id = dg_strdup(plan_id);
    p->subject = dg_strdup(ap->sns_subject);
    p->message = dg_strdup(ap->sns_message);
    p->next = o->pubs;
    o->pubs = p;
    o->o.services.publish(o->o.services.impl, topic, p->subject, p->message, 1,
                          "drgate.approval.requested", plan_id, "critical",
                          published, p);
}

/* ---- proposals -------------------------------------------------------- */

static void
prop_free(struct prop *p)
{
    if (!p)
        return;
    cJSON_Delete(p->payload);
    cJSON_Delete(p->resolved);
    if (p->lag_ev)
        event_free(p->lag_ev);
    dg_free(p->lag_note);
    dg_free(p->runbook);
    dg_free(p->plan_class);
    dg_free(p->trigger);
    dg_free(p->global_cluster);
    dg_free(p->target_cluster);
    dg_free(p->source);
    dg_free(p->origin);
    dg_free(p->message_id);
    dg_free(p->decision_id);
    dg_free(p);
}

static void
prop_unlink(struct prop *p)
{
    for (struct prop **pp = &p->o->props; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

/* drgate.input.rejected for a proposal that cannot become a plan. */
static dg_rc
refuse_proposal(struct orchestrator *o, const struct prop *p, const char *code,
                const char *why, struct dg_err *err)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "kind", "rejected");
    cJSON_AddStringToObject(d, "reason", why);
    cJSON_AddStringToObject(d, "reason_code", code);
    cJSON_AddStringToObject(d, "source", p->source ? p->source : "");
    if (p->origin)
        cJSON_AddStringToObject(d, "origin", p->origin);
    cJSON_AddStringToObject(d, "runbook", p->runbook);
    cJSON_AddStringToObject(d, "class", p->plan_class);
    cJSON_AddStringToObject(d, "trigger", p->trigger);
    if (p->message_id)
        cJSON_AddStringToObject(d, "message_id", p->message_id);
    return append(o, "drgate.input.rejected",
                  p->message_id ? p->message_id : "proposal", d, err);
}

static void queue_start(struct orchestrator *o, const char *plan_id,
                        int64_t approved_ms);

/* One transaction: bind, store, events, approval request. On success
 * *ap holds the publication (mutating plans) and *plan the plan. */
static dg_rc
build_plan(struct orchestrator *o, const struct prop *p, const cJSON *resolved,
           struct plan **plan, struct dg_buf *errors)
{
    struct engine_lookup_ctx lc = {o->o.cfg, p->global_cluster,
                                   p->target_cluster};
    struct plan_input in = {
        .payload = resolved,
        .runbook = p->runbook,
        .plan_class = p->plan_class,
        .trigger = p->trigger,
        .proposed_ms = p->when_ms,
        .primary_region = o->o.cfg->topology.primary_region,
        .secondary_region = o->o.cfg->topology.secondary_region,
        .lookup = engine_lookup,
        .lookup_ctx = &lc,
    };
    return plan_build(&in, p->runbook, plan, errors);
}

static dg_rc
record_proposal(struct orchestrator *o, struct prop *p, const cJSON *resolved,
                struct plan **plan, struct approval_publication *ap,
                int *requested, struct dg_err *err)
{
    struct dg_buf errors;
    dg_buf_init(&errors, 8192);
    dg_rc rc = build_plan(o, p, resolved, plan, &errors);
    if (rc != DG_OK) {
        char *why = dg_buf_detach(&errors);
        size_t n = strlen(why);
        if (n && why[n - 1] == '\n')
            why[n - 1] = '\0';
        rc = refuse_proposal(o, p, "bad_plan", why, err);
        dg_free(why);
        return rc;
    }
    dg_buf_cleanup(&errors);
    struct plan *pl = *plan;
    cJSON *line = plan_json(pl);
    cJSON_AddNumberToObject(line, "detected_ms", (double)p->detected_ms);
    cJSON_AddNumberToObject(line, "proposed_ms", (double)p->when_ms);
    char *json = cJSON_PrintUnformatted(line);
    rc = store_plan_put(o->o.store, pl->id, pl->digest, pl->plan_class,
                        pl->mutating ? "proposed" : "approved", json,
                        p->when_ms, err);
    cJSON_free(json);
    if (rc == DG_OK) {
        cJSON_AddStringToObject(line, "source", p->source ? p->source : "");
        if (p->origin)
            cJSON_AddStringToObject(line, "origin", p->origin);
        if (p->message_id)
            cJSON_AddStringToObject(line, "message_id", p->message_id);
        if (p->decision_id)
            cJSON_AddStringToObject(line, "decision_id", p->decision_id);
        rc = append(o, "drgate.plan.proposed", pl->id, line, err);
        line = NULL;
    }
    cJSON_Delete(line);
    if (rc != DG_OK || !pl->mutating)
        return rc;
    struct approval_request_in ri = {
        .plan = pl,
        .now_ms = now(o),
        .random = approval_random_openssl,
        .lag_ms = p->lag_ms,
        .lag_observed_ms = p->lag_observed_ms,
        .lag_note = p->lag_note,
    };
    rc = approval_request_create(o->gate, o->o.store, &ri, ap, err);
    if (rc != DG_OK)
        return rc;
    *requested = 1;
    rc = append(o, "drgate.approval.requested", pl->id, ap->event, err);
    ap->event = NULL; /* consumed */
    return rc;
}

/* Records the proposal (or its refusal) and publishes its request. */
static void
finish_proposal(struct prop *p, cJSON *resolved, dg_rc rc,
                const struct dg_err *rerr)
{
    struct orchestrator *o = p->o;
    prop_unlink(p);
    struct dg_err err;
    dg_err_clear(&err);
    struct plan *plan = NULL;
    struct approval_publication ap;
    memset(&ap, 0, sizeof(ap));
    int requested = 0;
    if (rc == DG_ECANCELLED)
        goto out;
    dg_rc trc = store_begin(o->o.store, &err);
    int taken = 0;
    if (trc == DG_OK)
        trc = store_proposal_take(o->o.store, p->row, &taken, &err);
    if (trc == DG_OK && !taken) {
        /* The message that made it was rolled back (it will come again),
         * or it was recorded already: nothing to do. */
        store_rollback(o->o.store);
        goto out;
    }
    if (trc == DG_OK) {
        if (rc != DG_OK) {
            log_kv(DG_LOG_WARN, "proposal refused: unresolved references",
                   "runbook", p->runbook, "error", rerr ? rerr->msg : "", NULL);
            trc = refuse_proposal(o, p, "unresolved",
                                  rerr ? rerr->msg : "unresolved reference",
                                  &err);
        } else {
            trc = record_proposal(o, p, resolved, &plan, &ap, &requested, &err);
        }
    }
    if (trc == DG_OK)
        trc = store_commit(o->o.store, &err);
    if (trc != DG_OK) {
        store_rollback(o->o.store);
        log_kv(DG_LOG_ERROR, "cannot record a proposed plan", "error", err.msg,
               "rc", dg_rc_name(trc), NULL);
        goto out;
    }
    o->o.host.committed(o->o.host.ctx);
    if (plan && requested) {
        log_kv(DG_LOG_INFO, "plan proposed: approval requested", "plan_id",
               plan->id, "digest", plan->digest, NULL);
        publish_request(o, plan->id, &ap);
        arm_expiry(o);
    } else if (plan && !plan->mutating) {
        log_kv(DG_LOG_INFO, "read-only plan proposed: runs without approval",
               "plan_id", plan->id, NULL);
        queue_start(o, plan->id, now(o));
    }
out:
    approval_publication_cleanup(&ap);
    plan_free(plan);
    cJSON_Delete(resolved);
    prop_free(p);
    progress(o);
}

/* ---- the replication lag a request states ---------------------------- */

static int
is_aurora_target_step(const char *type)
{
    static const char *const types[] = {
        "ManagedFailoverAurora", "UnPlannedFailoverAurora",
        "PlannedFailoverAurora", "SwitchoverAurora"};
    for (size_t i = 0; type && i < sizeof(types) / sizeof(*types); i++)
        if (strcmp(type, types[i]) == 0)
            return 1;
    return 0;
}

/* The Aurora cluster a plan fails or switches over to: the first such
 * step's DBClusterIdentifier. An ARN (arn:PARTITION:rds:REGION:ACCOUNT:
 * cluster:ID) names its region; otherwise UnPlannedFailoverAurora's step
 * region, or the plan's secondary. 0 when the plan has none; else *id and
 * *region are dg_malloc'ed and *source (the primary) borrowed. */
static int
lag_target(const struct plan *pl, char **id, char **region, const char **source)
{
    const cJSON *regions = dg_json_obj(pl->body, "regions");
    const cJSON *layers = dg_json_arr(pl->body, "layers");
    for (const cJSON *l = layers ? layers->child : NULL; l; l = l->next) {
        const cJSON *steps = dg_json_arr(l, "steps");
        for (const cJSON *st = steps ? steps->child : NULL; st; st = st->next) {
            const char *type = dg_json_str(st, "type");
            const char *c = dg_json_str(dg_json_obj(st, "parameters"),
                                        "DBClusterIdentifier");
            if (!is_aurora_target_step(type) || !c || !*c)
                continue;
            *source = dg_json_str(regions, "primary");
            const char *r = strcmp(type, "UnPlannedFailoverAurora") == 0
                                ? dg_json_str(st, "region")
                                : dg_json_str(regions, "secondary");
            struct dg_arn a;
            if (dg_arn_parse(c, &a) && dg_arn_is(&a, DG_ARN_SERVICE, "rds") &&
                a.len[DG_ARN_REGION] &&
                strncmp(a.f[DG_ARN_RESOURCE], "cluster:", 8) == 0 &&
                a.f[DG_ARN_RESOURCE][8]) {
                *id = dg_strdup(a.f[DG_ARN_RESOURCE] + 8);
                *region = dg_strndup(a.f[DG_ARN_REGION], a.len[DG_ARN_REGION]);
                return 1;
            }
            if (strncmp(c, "arn:", 4) == 0)
                continue; /* an ARN of something else */
            *id = dg_strdup(c);
            *region = dg_strdup(r ? r : "");
            return 1;
        }
    }
    return 0;
}

static void
lagreq_unlink(struct lagreq *r)
{
    for (struct lagreq **pp = &r->o->lagreqs; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

static void
set_lag_note(struct prop *p, const char *note)
{
    dg_free(p->lag_note);
    p->lag_note = note ? dg_strndup(note, strnlen(note, 240)) : NULL;
}

static void
lag_settle(struct prop *p, int64_t lag_ms, int64_t observed_ms,
           const char *note)
{
    p->lag_ms = lag_ms >= 0 ? lag_ms : -1;
    p->lag_observed_ms = lag_ms >= 0 ? observed_ms : 0;
    set_lag_note(p, note);
    if (p->lag_ev) {
        event_free(p->lag_ev);
        p->lag_ev = NULL;
    }
    p->lr = NULL;
    cJSON *resolved = p->resolved;
    p->resolved = NULL;
    finish_proposal(p, resolved, DG_OK, NULL);
}

static void
lag_done(int64_t lag_ms, int64_t observed_ms, const char *note, void *ctx)
{
    struct lagreq *r = ctx;
    struct prop *p = r->p;
    if (r->o)
        lagreq_unlink(r);
    if (p && !r->o) /* the orchestrator is gone: p was waiting for us */
        prop_free(p);
    else if (p)
        lag_settle(p, lag_ms, observed_ms, note ? note : "");
    dg_free(r);
}

static void
lag_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct prop *p = arg;
    char note[96];
    snprintf(note, sizeof(note), "not observed within %lld ms",
             (long long)p->o->o.lag_timeout_ms);
    p->lr->p = NULL; /* its answer, when it comes, is dropped */
    lag_settle(p, -1, 0, note);
}

/* Starts observing the lag for p's plan; 1 when started (lag_done or
 * lag_timeout_cb continues with finish_proposal, which gets resolved), 0
 * when there is nothing to observe (p->lag_note says why). */
static int
observe_lag(struct orchestrator *o, struct prop *p, cJSON *resolved)
{
    struct plan *pl = NULL;
    struct dg_buf errors;
    dg_buf_init(&errors, 8192);
    dg_rc rc = build_plan(o, p, resolved, &pl, &errors);
    dg_buf_cleanup(&errors);
    if (rc != DG_OK || !pl->mutating) {
        plan_free(pl);
        return 0; /* refused, or no request: finish_proposal says so */
    }
    char *id = NULL, *region = NULL;
    const char *source = NULL;
    int found = lag_target(pl, &id, &region, &source);
    if (!found)
        set_lag_note(p, "the plan has no Aurora global database step");
    else if (!o->o.services.observe_lag)
        set_lag_note(p, "not observed: no CloudWatch client");
    if (!found || !o->o.services.observe_lag) {
        plan_free(pl);
        dg_free(id);
        dg_free(region);
        return 0;
    }
    struct lagreq *r = dg_calloc(1, sizeof(*r));
    r->o = o;
    r->p = p;
    r->next = o->lagreqs;
    o->lagreqs = r;
    p->lr = r;
    p->resolved = resolved;
    p->lag_ev = evtimer_new(o->o.base, lag_timeout_cb, p);
    dg_clock_arm(p->lag_ev, o->o.lag_timeout_ms);
    struct orch_lag_target t = {.cluster_id = id,
                                .region = region,
                                .source_region = source,
                                .now_ms = now(o)};
    /* Last: p may be settled before this returns if the hook breaks its
     * contract and answers at once. */
    o->o.services.observe_lag(o->o.services.impl, &t, lag_done, r);
    dg_free(id);
    dg_free(region);
    plan_free(pl);
    return 1;
}

/* The resolver's completion: observe the lag, then record. */
static void
resolved_cb(cJSON *resolved, dg_rc rc, const struct dg_err *rerr, void *ctx)
{
    struct prop *p = ctx;
    struct orchestrator *o = p->o;
    if (!o) { /* the orchestrator is gone (shutdown) */
        cJSON_Delete(resolved);
        prop_free(p);
        return;
    }
    p->lag_ms = -1;
    if (rc == DG_OK && observe_lag(o, p, resolved))
        return;
    finish_proposal(p, resolved, rc, rerr);
}

static void
start_resolution(struct orchestrator *o, struct prop *p)
{
    p->next = o->props;
    o->props = p;
    /* The resolver reads regions (and their ${variables}) while it walks
     * the payload, before it returns: a stack context is enough. */
    struct engine_lookup_ctx l = {o->o.cfg, p->global_cluster,
                                  p->target_cluster};
    struct resolve_regions regions = {
        .primary = o->o.cfg->topology.primary_region,
        .secondary = o->o.cfg->topology.secondary_region,
        .lookup = engine_lookup,
        .lookup_ctx = &l,
    };
    resolve_plan_payload(o->o.base, p->payload, &regions,
                         &o->o.services.resolver, resolved_cb, p);
}

static void
add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
}

static char *
get_str(const cJSON *o, const char *k)
{
    return dg_strdup(dg_json_str(o, k));
}

/* The proposal as a row of the proposals table, and back. */
static char *
prop_to_json(const struct prop *p)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "payload", cJSON_Duplicate(p->payload, 1));
    add_str(j, "runbook", p->runbook);
    add_str(j, "plan_class", p->plan_class);
    add_str(j, "trigger", p->trigger);
    add_str(j, "global_cluster", p->global_cluster);
    add_str(j, "target_cluster", p->target_cluster);
    add_str(j, "source", p->source);
    add_str(j, "origin", p->origin);
    add_str(j, "message_id", p->message_id);
    add_str(j, "decision_id", p->decision_id);
    cJSON_AddNumberToObject(j, "when_ms", (double)p->when_ms);
    cJSON_AddNumberToObject(j, "detected_ms", (double)p->detected_ms);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static struct prop *
prop_from_json(struct orchestrator *o, int64_t row, const char *json)
{
    cJSON *j = cJSON_Parse(json);
    const cJSON *payload = dg_json_arr(j, "payload");
    long long when = 0, detected = 0;
    if (!payload || !dg_json_str(j, "runbook") ||
        !dg_json_str(j, "plan_class") || !dg_json_int(j, "when_ms", &when)) {
        cJSON_Delete(j);
        return NULL;
    }
    (void)dg_json_int(j, "detected_ms", &detected);
    struct prop *p = dg_calloc(1, sizeof(*p));
    p->o = o;
    p->row = row;
    p->payload = cJSON_Duplicate(payload, 1);
    p->runbook = get_str(j, "runbook");
    p->plan_class = get_str(j, "plan_class");
    p->trigger = get_str(j, "trigger");
    p->global_cluster = get_str(j, "global_cluster");
    p->target_cluster = get_str(j, "target_cluster");
    p->source = get_str(j, "source");
    p->origin = get_str(j, "origin");
    p->message_id = get_str(j, "message_id");
    p->decision_id = get_str(j, "decision_id");
    p->when_ms = when;
    p->detected_ms = detected;
    cJSON_Delete(j);
    return p;
}

dg_rc
orch_on_proposal(const struct engine_proposal *ep, struct dg_err *err,
                 void *ctx)
{
    struct orchestrator *o = ctx;
    struct prop *p = dg_calloc(1, sizeof(*p));
    p->o = o;
    p->payload = cJSON_Duplicate(ep->payload, 1);
    p->runbook = dg_strdup(ep->runbook);
    p->plan_class = dg_strdup(ep->plan_class);
    p->trigger = dg_strdup(ep->trigger);
    p->global_cluster = dg_strdup(ep->global_cluster);
    p->target_cluster = dg_strdup(ep->target_cluster);
    p->source = dg_strdup(ep->source);
    p->origin = dg_strdup(ep->origin);
    p->when_ms = ep->when_ms;
    p->detected_ms = ep->detected_ms;
    if (o->o.host.cause) {
        const char *mid = NULL, *did = NULL;
        o->o.host.cause(&mid, &did, o->o.host.ctx);
        p->message_id = dg_strdup(mid);
        p->decision_id = dg_strdup(did);
    }
    /* Durable before the message is acknowledged (same transaction). */
    char *json = prop_to_json(p);
    dg_rc rc = store_proposal_add(o->o.store, json, now(o), &p->row, err);
    dg_free(json);
    if (rc != DG_OK) {
        prop_free(p);
        return rc;
    }
    start_resolution(o, p);
    return DG_OK;
}

static void
resume_proposal(int64_t row, const char *json, void *ctx)
{
    struct orchestrator *o = ctx;
    struct prop *p = prop_from_json(o, row, json);
    if (!p) {
        log_kv(DG_LOG_ERROR, "unreadable pending proposal left in the store",
               NULL);
        return;
    }
    log_kv(DG_LOG_INFO, "resuming a proposal recorded before a restart",
           "runbook", p->runbook, "class", p->plan_class, NULL);
    start_resolution(o, p);
}

/* ---- execution -------------------------------------------------------- */

static void
queue_start(struct orchestrator *o, const char *plan_id, int64_t approved_ms)
{
    struct startq *q = dg_calloc(1, sizeof(*q));
    q->plan_id = dg_strdup(plan_id);
    q->approved_ms = approved_ms;
    struct startq **tail = &o->starts;
    while (*tail)
        tail = &(*tail)->next;
    *tail = q;
    event_active(o->start_ev, 0, 0);
}

static dg_rc
execute(struct orchestrator *o, const char *plan_id, int64_t approved_ms,
        struct dg_err *err)
{
    cJSON *line = load_plan(o, plan_id, err);
    if (!line)
        return err->rc != DG_OK ? err->rc
                                : dg_err_setc(err, DG_EINVALID, "unknown_plan",
                                              "%s: no such plan", plan_id);
    const cJSON *body = dg_json_obj(line, "plan");
    const char *digest = dg_json_str(line, "digest");
    const cJSON *mut = cJSON_GetObjectItemCaseSensitive(body, "mutating");
    dg_rc rc = DG_OK;
    if (!body || !digest) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_plan",
                         "%s: the stored plan is unreadable", plan_id);
        goto out;
    }
    if (!cJSON_IsFalse(mut)) {
        int approved = 0;
        rc = approval_is_approved(o->gate, o->o.store, plan_id, digest,
                                  &approved, err);
        if (rc == DG_OK && !approved)
            rc = dg_err_setc(err, DG_EINVALID, "not_approved",
                             "%s: a mutating plan runs only once approved",
                             plan_id);
        if (rc != DG_OK)
            goto out;
    }
    long long v = 0;
    struct executor_times t = {0};
    if (dg_json_int(line, "detected_ms", &v))
        t.detected_ms = v;
    if (dg_json_int(line, "proposed_ms", &v))
        t.proposed_ms = v;
    t.approved_ms = approved_ms;
    rc = executor_start(o->ex, plan_id, body, &t, err);
out:
    cJSON_Delete(line);
    return rc;
}

dg_rc
orch_execute(struct orchestrator *o, const char *plan_id, struct dg_err *err)
{
    return execute(o, plan_id, now(o), err);
}

static void
start_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct orchestrator *o = arg;
    while (o->starts) {
        struct startq *q = o->starts;
        o->starts = q->next;
        struct dg_err err;
        dg_err_clear(&err);
        if (execute(o, q->plan_id, q->approved_ms, &err) == DG_OK)
            log_kv(DG_LOG_INFO, "plan executing", "plan_id", q->plan_id, NULL);
        else
            log_kv(DG_LOG_ERROR, "cannot start the plan", "plan_id", q->plan_id,
                   "error", err.msg, NULL);
        dg_free(q->plan_id);
        dg_free(q);
    }
    o->o.host.committed(o->o.host.ctx);
    progress(o);
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct orchestrator *o = arg;
    o->o.host.committed(o->o.host.ctx);
}

static dg_rc
ex_event(struct store *s, const char *type, const cJSON *data,
         struct dg_err *err, void *ctx)
{
    (void)s;
    struct orchestrator *o = ctx;
    const char *plan_id = dg_json_str(data, "plan_id");
    dg_rc rc = append(o, type, plan_id, cJSON_Duplicate(data, 1), err);
    if (rc == DG_OK && plan_id &&
        (strcmp(type, "drgate.plan.succeeded") == 0 ||
         strcmp(type, "drgate.plan.failed") == 0))
        rc = set_plan_state(
            o, plan_id,
            strcmp(type, "drgate.plan.succeeded") == 0 ? "succeeded" : "failed",
            err);
    if (rc == DG_OK)
        event_active(o->kick_ev, 0, 0); /* after the executor's commit */
    return rc;
}

static void
ex_done(const char *plan_id, int succeeded, const cJSON *report, void *ctx)
{
    struct orchestrator *o = ctx;
    (void)report;
    log_kv(succeeded ? DG_LOG_INFO : DG_LOG_WARN, "plan finished", "plan_id",
           plan_id, "outcome", succeeded ? "succeeded" : "failed", NULL);
    event_active(o->kick_ev, 0, 0);
    progress(o);
}

/* ---- replies ---------------------------------------------------------- */

void
orch_set_sns_result(struct orchestrator *o, dg_rc rc, const char *why)
{
    o->sns_rc = rc;
    snprintf(o->sns_why, sizeof(o->sns_why), "%s", why ? why : "");
}

dg_rc
orch_on_approval(const struct dg_record *rec, int64_t now_ms,
                 struct dg_err *err, void *ctx)
{
    struct orchestrator *o = ctx;
    struct approval_outcome out;
    memset(&out, 0, sizeof(out));
    dg_rc rc = DG_OK;
    if (o->sns_rc != DG_OK) {
        char why[300];
        snprintf(why, sizeof(why),
                 "the SNS message signature does not "
                 "verify: %s",
                 o->sns_why);
        approval_refuse(rec->kind == DG_REC_APPROVAL ? &rec->u.appr : NULL,
                        APPROVAL_BAD_SNS_SIGNATURE, why, &out);
    } else {
        rc =
            approval_verify_record(o->gate, o->o.store, rec, now_ms, &out, err);
        if (rc != DG_OK)
            goto out;
    }
    const char *plan_id =
        rec->kind == DG_REC_APPROVAL ? rec->u.appr.plan_id : NULL;
    log_kv(out.verdict == APPROVAL_ACCEPTED ? DG_LOG_INFO : DG_LOG_WARN,
           out.verdict == APPROVAL_ACCEPTED ? "approval reply accepted"
                                            : "approval reply refused",
           "plan_id", plan_id ? plan_id : "", "reason",
           approval_reason_code(out.reason), NULL);
    rc = append(o, out.event_type, plan_id, out.event, err);
    out.event = NULL;
    if (rc != DG_OK)
        goto out;
    if (out.now_approved) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "plan_id", plan_id);
        cJSON_AddStringToObject(d, "plan_digest", rec->u.appr.plan_digest);
        cJSON_AddNumberToObject(d, "approvals", out.approvals);
        cJSON_AddNumberToObject(d, "quorum", out.quorum);
        rc = append(o, "drgate.plan.approved", plan_id, d, err);
        if (rc == DG_OK)
            rc = set_plan_state(o, plan_id, "approved", err);
        if (rc == DG_OK)
            queue_start(o, plan_id, now_ms); /* after this commit */
    } else if (out.now_rejected) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "plan_id", plan_id);
        cJSON_AddStringToObject(d, "reason", "rejected");
        cJSON_AddStringToObject(d, "rejected_by", rec->u.appr.approver);
        rc = append(o, "drgate.plan.rejected", plan_id, d, err);
        if (rc == DG_OK)
            rc = set_plan_state(o, plan_id, "rejected", err);
        if (rc == DG_OK)
            rc = o->o.host.rearm(now_ms, err, o->o.host.ctx);
    }
out:
    approval_outcome_cleanup(&out);
    return rc;
}

/* ---- SNS pre-check ---------------------------------------------------- */

static int
contains(const char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (data[i] == needle[0] && memcmp(data + i, needle, n) == 0)
            return 1;
    return 0;
}

int
orch_sns_needed(const struct orchestrator *o, const char *data, size_t len)
{
    if (!o->o.cfg->approval.verify_sns_signatures)
        return 0;
    /* Cheap filter first: only SNS notifications that mention the reply
     * type are decoded. */
    if (!contains(data, len, "drgate.approval") ||
        !contains(data, len, "Notification"))
        return 0;
    struct dg_record rec;
    memset(&rec, 0, sizeof(rec));
    decode_message(data, len, &rec);
    int need = rec.kind == DG_REC_APPROVAL && rec.sns;
    decode_record_cleanup(&rec);
    return need;
}

struct snsjob {
    void (*done)(dg_rc rc, const char *why, void *ctx);
    void *ctx;
};

static void
sns_verified(dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct snsjob *j = ctx;
    j->done(rc, err ? err->msg : "", j->ctx);
    dg_free(j);
}

static void
no_verifier(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct snsjob *j = arg;
    j->done(DG_EINVALID, "no certificate fetcher: cannot verify", j->ctx);
    dg_free(j);
}

void
orch_sns_verify(struct orchestrator *o, const char *data, size_t len,
                void (*done)(dg_rc rc, const char *why, void *ctx), void *ctx)
{
    struct dg_record rec;
    memset(&rec, 0, sizeof(rec));
    decode_message(data, len, &rec);
    struct snsjob *j = dg_calloc(1, sizeof(*j));
    j->done = done;
    j->ctx = ctx;
    if (!o->sv || !rec.sns) {
        struct timeval zero = {0, 0};
        if (event_base_once(o->o.base, -1, EV_TIMEOUT, no_verifier, j, &zero) !=
            0)
            abort(); /* a one-shot event cannot fail but for OOM */
    } else {
        snsverify_verify(o->sv, rec.sns, now(o), sns_verified, j);
    }
    decode_record_cleanup(&rec);
}

/* ---- expiry ----------------------------------------------------------- */

static void
expiry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct orchestrator *o = arg;
    struct dg_err err;
    dg_err_clear(&err);
    struct approval_expired *v = NULL;
    size_t n = 0;
    int64_t t = now(o);
    dg_rc rc = store_begin(o->o.store, &err);
    if (rc == DG_OK)
        rc = approval_expire_due(o->o.store, t, 64, &v, &n, &err);
    for (size_t i = 0; rc == DG_OK && i < n; i++) {
        log_kv(DG_LOG_WARN, "approval request expired", "plan_id", v[i].plan_id,
               NULL);
        rc = append(o, "drgate.plan.expired", v[i].plan_id, v[i].event, &err);
        v[i].event = NULL;
        if (rc == DG_OK)
            rc = set_plan_state(o, v[i].plan_id, "expired", &err);
    }
    if (rc == DG_OK && n)
        rc = o->o.host.rearm(t, &err, o->o.host.ctx);
    if (rc == DG_OK)
        rc = store_commit(o->o.store, &err);
    if (rc != DG_OK) {
        store_rollback(o->o.store);
        log_kv(DG_LOG_ERROR, "cannot expire approval requests", "error",
               err.msg, NULL);
    } else if (n) {
        o->o.host.committed(o->o.host.ctx);
    }
    approval_expired_free(v, n);
    arm_expiry(o);
    progress(o);
}

/* ---- lifecycle -------------------------------------------------------- */

dg_rc
orch_new(const struct orch_opts *opts, struct orchestrator **out,
         struct dg_err *err)
{
    *out = NULL;
    struct orchestrator *o = dg_calloc(1, sizeof(*o));
    o->o = *opts;
    if (o->o.lag_timeout_ms <= 0)
        o->o.lag_timeout_ms = ORCH_LAG_TIMEOUT_MS;
    dg_rc rc = approval_gate_new(&opts->cfg->approval, &o->gate, err);
    if (rc != DG_OK) {
        dg_free(o);
        return rc;
    }
    if (opts->services.fetch) {
        struct snsverify_opts so = {
            .base = opts->base,
            .fetch = opts->services.fetch,
            .fetch_ctx = opts->services.fetch_ctx,
        };
        rc = snsverify_new(&so, &o->sv, err);
        if (rc != DG_OK) {
            approval_gate_free(o->gate);
            dg_free(o);
            return rc;
        }
    }
    struct executor_opts eo = {
        .base = opts->base,
        .store = opts->store,
        .actions = opts->services.actions,
        .hooks = {.event = ex_event, .plan_done = ex_done, .ctx = o},
        .poll_first_ms = opts->poll_first_ms,
        .poll_max_ms = opts->poll_max_ms,
    };
    o->ex = executor_new(&eo);
    o->start_ev = event_new(opts->base, -1, 0, start_cb, o);
    o->kick_ev = event_new(opts->base, -1, 0, kick_cb, o);
    o->expiry_ev = evtimer_new(opts->base, expiry_cb, o);
    *out = o;
    return DG_OK;
}

/* Requests recorded but never published (drgate stopped before SNS took
 * them): their token is gone with the process, so each gets a new one and
 * is published now. */
static dg_rc
republish_unpublished(struct orchestrator *o, struct dg_err *err)
{
    char **ids = NULL;
    size_t n = 0;
    dg_rc rc = store_appr_req_unpublished(o->o.store, now(o), &ids, &n, err);
    if (rc != DG_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct dg_err e;
        dg_err_clear(&e);
        cJSON *line = load_plan(o, ids[i], &e);
        struct plan *plan = NULL;
        if (!line || plan_from_json(line, &plan, &e) != DG_OK) {
            log_kv(DG_LOG_ERROR, "cannot republish an approval request",
                   "plan_id", ids[i], "error", e.msg, NULL);
            cJSON_Delete(line);
            continue;
        }
        cJSON_Delete(line);
        struct approval_request_in ri = {.plan = plan,
                                         .now_ms = now(o),
                                         .random = approval_random_openssl,
                                         .lag_ms = -1};
        struct approval_publication ap;
        memset(&ap, 0, sizeof(ap));
        dg_rc r = store_begin(o->o.store, &e);
        if (r == DG_OK)
            r = approval_request_reissue(o->gate, o->o.store, &ri, &ap, &e);
        if (r == DG_OK)
            r = store_commit(o->o.store, &e);
        if (r != DG_OK) {
            store_rollback(o->o.store);
            log_kv(DG_LOG_ERROR, "cannot republish an approval request",
                   "plan_id", ids[i], "error", e.msg, NULL);
        } else {
            log_kv(DG_LOG_INFO,
                   "approval request was never published: publishing it "
                   "with a new token",
                   "plan_id", ids[i], NULL);
            publish_request(o, plan->id, &ap);
        }
        approval_publication_cleanup(&ap);
        plan_free(plan);
    }
    store_appr_names_free(ids, n);
    return DG_OK;
}

dg_rc
orch_start(struct orchestrator *o, struct dg_err *err)
{
    int resumed = 0;
    dg_rc rc = store_proposal_each(o->o.store, resume_proposal, o, err);
    if (rc != DG_OK)
        return rc;
    if (rc == DG_OK)
        rc = republish_unpublished(o, err);
    if (rc != DG_OK)
        return rc;
    rc = executor_resume(o->ex, &resumed, err);
    if (rc != DG_OK)
        return rc;
    if (resumed) {
        char b[16];
        snprintf(b, sizeof(b), "%d", resumed);
        log_kv(DG_LOG_INFO, "resumed executing plans", "plans", b, NULL);
    }
    arm_expiry(o);
    return DG_OK;
}

int
orch_busy(const struct orchestrator *o)
{
    /* A publication waiting to be retried is not in flight: the request
     * stays unpublished in the store and the next start publishes it. */
    int publishing = 0;
    for (const struct pub *p = o->pubs; p; p = p->next)
        publishing |= p->retry_ev == NULL;
    return o->props != NULL || publishing || o->starts != NULL ||
           executor_active(o->ex) > 0;
}

void
orch_free(struct orchestrator *o)
{
    if (!o)
        return;
    executor_free(o->ex);
    snsverify_free(o->sv);
    event_free(o->start_ev);
    event_free(o->kick_ev);
    event_free(o->expiry_ev);
    while (o->starts) {
        struct startq *q = o->starts;
        o->starts = q->next;
        dg_free(q->plan_id);
        dg_free(q);
    }
    /* Proposals and publications in flight complete with DG_ECANCELLED
     * when the AWS client is freed (after us); detach them so their
     * completions only free themselves. */
    for (struct prop *p = o->props; p; p = p->next) {
        p->o = NULL;
        if (p->lag_ev) { /* its observation's completion frees it */
            event_free(p->lag_ev);
            p->lag_ev = NULL;
        }
    }
    for (struct lagreq *r = o->lagreqs; r; r = r->next)
        r->o = NULL;
    while (o->pubs) {
        struct pub *p = o->pubs;
        o->pubs = p->next;
        if (p->retry_ev) /* waiting for its timer: nothing in flight */
            pub_free(p);
        else
            p->o = NULL;
    }
    approval_gate_free(o->gate);
    dg_free(o);
}
