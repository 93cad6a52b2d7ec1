/*
 * test_orchestrator.c - the orchestrator's gate in front of the executor:
 * a mutating plan never starts unless approval_is_approved says so
 * (pending, rejected, unknown and digest-mismatched plans are refused); a
 * read-only plan passes the gate. The replication lag an approval request
 * states: the observed figure, "unknown (why)" when the observation fails
 * or outlasts its bound, the recorded figure when a request is published
 * again. The whole lifecycle through the daemon is
 * tests/e2e/test_orchestrator.py.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "approval.h"
#include "config.h"
#include "engine.h"
#include "mem.h"
#include "orchestrator.h"
#include "plan.h"
#include "store.h"
#include "store_approval.h"
#include "store_steps.h"
#include "testsupport.h"

#define T0 1767225600000LL

static struct {
    char dir[64], path[96];
    struct event_base *base;
    struct store *s;
    struct dg_config *cfg;
    struct orchestrator *o;
    int appended;
} F;

static dg_rc
h_append(const char *type, const char *subject, cJSON *data, struct dg_err *err,
         void *ctx)
{
    (void)type, (void)subject, (void)err, (void)ctx;
    cJSON_Delete(data);
    F.appended++;
    return DG_OK;
}
static void
h_committed(void *ctx)
{
    (void)ctx;
}
static dg_rc
h_rearm(int64_t now_ms, struct dg_err *err, void *ctx)
{
    (void)now_ms, (void)err, (void)ctx;
    return DG_OK;
}
static int64_t
h_now(void *ctx)
{
    (void)ctx;
    return T0 + 1000;
}
static const struct action_ops *
no_actions(const char *type, void *ctx)
{
    (void)type, (void)ctx;
    return NULL;
}

static struct plan *
store_plan(const char *type, int64_t when)
{
    struct plan *p = ts_plan("planned", type, "x", when);
    cJSON *line = plan_json(p);
    char *json = cJSON_PrintUnformatted(line);
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_begin(F.s, &err) == DG_OK);
    ck_assert(store_plan_put(F.s, p->id, p->digest, p->plan_class, "proposed",
                             json, when, &err) == DG_OK);
    ck_assert(store_commit(F.s, &err) == DG_OK);
    cJSON_free(json);
    cJSON_Delete(line);
    return p;
}

static void
request(struct plan *p)
{
    struct approval_gate *g = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(approval_gate_new(&F.cfg->approval, &g, &err) == DG_OK);
    struct approval_request_in in = {.plan = p,
                                     .now_ms = T0,
                                     .random = approval_random_openssl,
                                     .lag_ms = -1};
    struct approval_publication pub;
    ck_assert(store_begin(F.s, &err) == DG_OK);
    ck_assert_msg(approval_request_create(g, F.s, &in, &pub, &err) == DG_OK,
                  "%s", err.msg);
    ck_assert(store_commit(F.s, &err) == DG_OK);
    approval_publication_cleanup(&pub);
    approval_gate_free(g);
}

static int
count_exec(const struct store_exec_rec *r, void *ctx)
{
    (void)r;
    (*(long long *)ctx)++;
    return 0;
}

/* executor_start inserts its row before it returns: none means it never
 * ran. */
static long long
executions(void)
{
    long long n = 0;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_exec_list(F.s, NULL, count_exec, &n, &err) == DG_OK);
    return n;
}

/* A publish that answers later from the loop, as SNS would. */
struct fake_pub {
    orch_published_fn done;
    void *ctx;
};
static int published;
static char *last_message;        /* the last request published */
static int publish_mode;          /* 0 answer OK, 1 never answer, 2 fail */
static struct fake_pub *lost_pub; /* the call "in flight" when drgate died */
static void
fire_pub(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct fake_pub *fp = arg;
    if (publish_mode == 2) {
        struct dg_err e;
        dg_err_clear(&e);
        dg_err_setc(&e, DG_ETRANSIENT, "Throttling", "rate exceeded");
        fp->done(NULL, DG_ETRANSIENT, &e, fp->ctx);
    } else {
        fp->done("fake-message-id", DG_OK, NULL, fp->ctx);
    }
    dg_free(fp);
}
static void
fake_publish(void *impl, const char *topic_arn, const char *subject,
             const char *message, int json_structure, const char *type,
             const char *plan_id, const char *severity, orch_published_fn done,
             void *ctx)
{
    (void)impl, (void)topic_arn, (void)subject, (void)message;
    (void)json_structure, (void)type, (void)plan_id, (void)severity;
    struct fake_pub *fp = dg_calloc(1, sizeof(*fp));
    fp->done = done;
    fp->ctx = ctx;
    published++;
    dg_free(last_message);
    last_message = dg_strdup(message);
    if (publish_mode == 1) { /* lost: drgate dies before SNS answers */
        lost_pub = fp;
        return;
    }
    struct timeval zero = {0, 0};
    ck_assert(event_base_once(F.base, -1, EV_TIMEOUT, fire_pub, fp, &zero) ==
              0);
}

/* The lag hook: 0 absent, 1 answers 1234 ms, 2 fails, 3 never answers
 * (until the test hands the answer over). Answers come from the loop. */
static int lag_mode;
static int lag_calls;
static char lag_seen[160]; /* "cluster region source" of the last call */
struct fake_lag {
    orch_lag_fn done;
    void *ctx;
};
static struct fake_lag *held_lag;
static void
fire_lag(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct fake_lag *fl = arg;
    if (lag_mode == 1)
        fl->done(1234, T0 - 30000, "AuroraGlobalDBReplicationLag of w",
                 fl->ctx);
    else
        fl->done(-1, 0, "CloudWatch: Throttling: rate exceeded", fl->ctx);
    dg_free(fl);
}
static void
fake_observe_lag(void *impl, const struct orch_lag_target *t, orch_lag_fn done,
                 void *ctx)
{
    (void)impl;
    lag_calls++;
    snprintf(lag_seen, sizeof(lag_seen), "%s %s %s", t->cluster_id,
             t->region ? t->region : "-",
             t->source_region ? t->source_region : "-");
    struct fake_lag *fl = dg_calloc(1, sizeof(*fl));
    fl->done = done;
    fl->ctx = ctx;
    if (lag_mode == 3) {
        held_lag = fl;
        return;
    }
    struct timeval zero = {0, 0};
    ck_assert(event_base_once(F.base, -1, EV_TIMEOUT, fire_lag, fl, &zero) ==
              0);
}

static struct orchestrator *
new_orch(void)
{
    struct orch_opts o = {
        .base = F.base,
        .store = F.s,
        .cfg = F.cfg,
        .services = {.actions = {.find = no_actions},
                     .publish = fake_publish,
                     .observe_lag = lag_mode ? fake_observe_lag : NULL},
        .lag_timeout_ms = 200,
        .host = {.append = h_append,
                 .committed = h_committed,
                 .rearm = h_rearm,
                 .now_ms = h_now},
    };
    struct orchestrator *out = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(orch_new(&o, &out, &err) == DG_OK, "%s", err.msg);
    return out;
}

static void
count_prop(int64_t id, const char *json, void *ctx)
{
    (void)id, (void)json;
    (*(int *)ctx)++;
}

static int
pending_proposals(void)
{
    int n = 0;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_proposal_each(F.s, count_prop, &n, &err) == DG_OK);
    return n;
}

static void
setup(void)
{
    memset(&F, 0, sizeof(F));
    snprintf(F.dir, sizeof(F.dir), "/tmp/drgate-orch-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(F.dir));
    snprintf(F.path, sizeof(F.path), "%s/state.db", F.dir);
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_open(F.path, STORE_SYNC_OFF, &F.s, &err) == DG_OK);
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    ck_assert_msg(config_load(DRGATE_TEST_DATA "/scenarios/config.json", &F.cfg,
                              &errors) == DG_OK,
                  "%s", dg_buf_str(&errors));
    dg_buf_cleanup(&errors);
    F.base = event_base_new();
    published = 0;
    publish_mode = 0;
    lag_calls = 0;
    held_lag = NULL;
    F.o = new_orch();
}

static void
teardown(void)
{
    orch_free(F.o);
    dg_free(last_message);
    last_message = NULL;
    lag_mode = 0;
    store_close(F.s);
    event_base_free(F.base);
    config_free(F.cfg);
    char *cmd = dg_sprintf("rm -rf %s", F.dir);
    ck_assert_int_eq(system(cmd), 0);
    dg_free(cmd);
}

START_TEST(mutating_unapproved_refused)
{
    struct plan *p = store_plan("SwitchoverAurora", T0);
    struct dg_err err;
    dg_err_clear(&err);
    /* no request at all */
    ck_assert_int_eq(orch_execute(F.o, p->id, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "not_approved");
    /* a pending request */
    request(p);
    dg_err_clear(&err);
    ck_assert_int_eq(orch_execute(F.o, p->id, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "not_approved");
    /* the request rejected */
    int changed = 0;
    ck_assert(store_appr_req_finish(F.s, p->id, STORE_APPR_REJECTED, T0,
                                    &changed, &err) == DG_OK);
    ck_assert_int_eq(changed, 1);
    dg_err_clear(&err);
    ck_assert_int_eq(orch_execute(F.o, p->id, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "not_approved");
    ck_assert_int_eq(executions(), 0);
    plan_free(p);
}
END_TEST

START_TEST(approved_state_without_approvals_refused)
{
    /* The request row says approved, but no approvals were recorded: the
     * gate counts approvers, not states. */
    struct plan *p = store_plan("ManagedFailoverAurora", T0);
    request(p);
    struct dg_err err;
    dg_err_clear(&err);
    int changed = 0;
    ck_assert(store_appr_req_finish(F.s, p->id, STORE_APPR_APPROVED, T0,
                                    &changed, &err) == DG_OK);
    ck_assert_int_eq(orch_execute(F.o, p->id, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "not_approved");
    ck_assert_int_eq(executions(), 0);
    plan_free(p);
}
END_TEST

START_TEST(unknown_plan_refused)
{
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(orch_execute(F.o, "plan-nope", &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "unknown_plan");
}
END_TEST

static const char switchover[] =
    "[{\"layer\":1,\"resources\":[{\"resourceType\":\"SwitchoverAurora\","
    "\"resourceName\":\"x\",\"parameters\":{"
    "\"GlobalClusterIdentifier\":\"orders-global\","
    "\"DBClusterIdentifier\":\"arn:aws:rds:us-west-2:123456789012:"
    "cluster:w\"}}]}]";

static void
propose(int commit)
{
    cJSON *payload = cJSON_Parse(switchover);
    struct engine_proposal ep = {.payload = payload,
                                 .runbook = "test",
                                 .plan_class = "planned",
                                 .trigger = "policy",
                                 .when_ms = T0,
                                 .detected_ms = T0,
                                 .source = "file",
                                 .origin = "line 1"};
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_begin(F.s, &err) == DG_OK);
    ck_assert_msg(orch_on_proposal(&ep, &err, F.o) == DG_OK, "%s", err.msg);
    if (commit)
        ck_assert(store_commit(F.s, &err) == DG_OK);
    else
        store_rollback(F.s);
    cJSON_Delete(payload);
}

/* A proposal acknowledged with its message survives a crash before its
 * plan is recorded: the restarted orchestrator records it. */
START_TEST(proposal_survives_a_crash)
{
    propose(1);
    ck_assert_int_eq(pending_proposals(), 1);
    /* crash: the orchestrator goes away before resolution answers */
    orch_free(F.o);
    F.o = NULL;
    event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(store_count(F.s, "plans"), 0);
    ck_assert_int_eq(pending_proposals(), 1);
    /* restart */
    F.o = new_orch();
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(orch_start(F.o, &err) == DG_OK);
    for (int i = 0; i < 20 && store_count(F.s, "plans") == 0; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(store_count(F.s, "plans"), 1);
    ck_assert_int_eq(pending_proposals(), 0);
    ck_assert_int_ge(F.appended, 2); /* plan.proposed, approval.requested */
    ck_assert_int_eq(published, 1);
    /* a second restart records nothing twice */
    orch_free(F.o);
    F.o = new_orch();
    ck_assert(orch_start(F.o, &err) == DG_OK);
    for (int i = 0; i < 5; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(store_count(F.s, "plans"), 1);
}
END_TEST

/* A proposal whose message was rolled back is not recorded: the message
 * comes again and proposes again. */
START_TEST(rolled_back_proposal_is_dropped)
{
    propose(0);
    for (int i = 0; i < 20; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(store_count(F.s, "plans"), 0);
    ck_assert_int_eq(pending_proposals(), 0);
    ck_assert_int_eq(published, 0);
}
END_TEST

static int
unpublished(void)
{
    char **ids = NULL;
    size_t n = 0;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_appr_req_unpublished(F.s, T0, &ids, &n, &err) == DG_OK);
    store_appr_names_free(ids, n);
    return (int)n;
}

static char *
token_hash_of(const char *plan_id)
{
    struct store_appr_req r;
    int found = 0;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_appr_req_get(F.s, plan_id, &r, &found, &err) == DG_OK);
    ck_assert(found);
    char *h = dg_strdup(r.token_hash);
    store_appr_req_cleanup(&r);
    return h;
}

/* The request was recorded but its publication was lost (drgate died
 * before SNS answered): the restart publishes it again with a new token,
 * so the old token (gone with the process) cannot be used. */
START_TEST(lost_request_is_republished_with_a_new_token)
{
    publish_mode = 1;
    propose(1);
    for (int i = 0; i < 20 && store_count(F.s, "plans") == 0; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(store_count(F.s, "plans"), 1);
    ck_assert_int_eq(published, 1);
    ck_assert_int_eq(unpublished(), 1);
    char **ids = NULL;
    size_t n = 0;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_appr_req_unpublished(F.s, T0, &ids, &n, &err) == DG_OK);
    char *before = token_hash_of(ids[0]);
    /* crash and restart (the SNS client cancels what was in flight) */
    orch_free(F.o);
    ck_assert_ptr_nonnull(lost_pub);
    lost_pub->done(NULL, DG_ECANCELLED, NULL, lost_pub->ctx);
    dg_free(lost_pub);
    lost_pub = NULL;
    publish_mode = 0;
    F.o = new_orch();
    ck_assert(orch_start(F.o, &err) == DG_OK);
    for (int i = 0; i < 20 && unpublished() > 0; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(published, 2);
    ck_assert_int_eq(unpublished(), 0);
    char *after = token_hash_of(ids[0]);
    ck_assert_str_ne(before, after);
    /* published requests are not published again */
    orch_free(F.o);
    F.o = new_orch();
    ck_assert(orch_start(F.o, &err) == DG_OK);
    for (int i = 0; i < 5; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(published, 2);
    dg_free(before);
    dg_free(after);
    store_appr_names_free(ids, n);
}
END_TEST

/* A publish that fails is tried again while the request is pending. */
START_TEST(failed_publish_is_retried)
{
    publish_mode = 2;
    propose(1);
    for (int i = 0; i < 20 && published == 0; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(published, 1);
    ck_assert_int_eq(unpublished(), 1);
    publish_mode = 0;
    /* the retry timer (5 s) fires: run the loop until it has */
    struct timeval limit = {8, 0};
    event_base_loopexit(F.base, &limit);
    while (unpublished() > 0 && !event_base_got_exit(F.base))
        event_base_loop(F.base, EVLOOP_ONCE);
    ck_assert_int_eq(published, 2);
    ck_assert_int_eq(unpublished(), 0);
}
END_TEST

/* The request JSON (the "sqs" member) and the text of the last message. */
static cJSON *
last_request(char **text)
{
    ck_assert_ptr_nonnull(last_message);
    cJSON *m = cJSON_Parse(last_message);
    ck_assert_ptr_nonnull(m);
    const cJSON *sqs = cJSON_GetObjectItemCaseSensitive(m, "sqs");
    ck_assert(cJSON_IsString(sqs));
    cJSON *req = cJSON_Parse(sqs->valuestring);
    ck_assert_ptr_nonnull(req);
    *text =
        dg_strdup(cJSON_GetObjectItemCaseSensitive(m, "default")->valuestring);
    cJSON_Delete(m);
    return req;
}

static void
run_until_published(int n)
{
    struct timeval limit = {5, 0};
    event_base_loopexit(F.base, &limit);
    while (published < n && !event_base_got_exit(F.base))
        event_base_loop(F.base, EVLOOP_ONCE);
    ck_assert_int_eq(published, n);
    for (int i = 0; i < 5; i++) /* the publish's answer */
        event_base_loop(F.base, EVLOOP_NONBLOCK);
}

static void
lag_setup(int mode)
{
    orch_free(F.o);
    lag_mode = mode;
    F.o = new_orch();
}

START_TEST(request_states_the_observed_lag)
{
    lag_setup(1);
    propose(1);
    run_until_published(1);
    ck_assert_int_eq(lag_calls, 1);
    /* the cluster and region of the target ARN, the primary as source */
    ck_assert_str_eq(lag_seen, "w us-west-2 us-east-1");
    char *text = NULL;
    cJSON *req = last_request(&text);
    const cJSON *lag =
        cJSON_GetObjectItemCaseSensitive(req, "replication_lag_ms");
    ck_assert(cJSON_IsNumber(lag));
    ck_assert_int_eq((int)lag->valuedouble, 1234);
    const cJSON *at =
        cJSON_GetObjectItemCaseSensitive(req, "replication_lag_observed_at");
    ck_assert(cJSON_IsString(at));
    ck_assert_str_eq(at->valuestring, "2025-12-31T23:59:30.000Z");
    ck_assert_msg(strstr(text, "Last observed replication lag: 1234 ms at "
                               "2025-12-31T23:59:30.000Z"),
                  "%s", text);
    ck_assert_msg(strstr(text, "Data at risk: none expected."), "%s", text);
    /* recorded with the request */
    struct store_appr_req r;
    int found = 0;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(store_appr_req_get(
                  F.s,
                  cJSON_GetObjectItemCaseSensitive(req, "plan_id")->valuestring,
                  &r, &found, &err) == DG_OK);
    ck_assert(found && r.has_lag);
    ck_assert_int_eq(r.lag_ms, 1234);
    store_appr_req_cleanup(&r);
    cJSON_Delete(req);
    dg_free(text);
}
END_TEST

START_TEST(failed_observation_says_unknown)
{
    lag_setup(2);
    propose(1);
    run_until_published(1);
    char *text = NULL;
    cJSON *req = last_request(&text);
    ck_assert(cJSON_IsNull(
        cJSON_GetObjectItemCaseSensitive(req, "replication_lag_ms")));
    ck_assert(cJSON_IsNull(
        cJSON_GetObjectItemCaseSensitive(req, "replication_lag_observed_at")));
    ck_assert_msg(strstr(text, "Last observed replication lag: unknown "
                               "(CloudWatch: Throttling: rate exceeded)."),
                  "%s", text);
    cJSON_Delete(req);
    dg_free(text);
}
END_TEST

/* An observation that never answers delays the request by the bound
 * only; its late answer is dropped. */
START_TEST(slow_observation_is_bounded)
{
    lag_setup(3);
    propose(1);
    run_until_published(1);
    ck_assert_ptr_nonnull(held_lag);
    char *text = NULL;
    cJSON *req = last_request(&text);
    ck_assert(cJSON_IsNull(
        cJSON_GetObjectItemCaseSensitive(req, "replication_lag_ms")));
    ck_assert_msg(strstr(text, "Last observed replication lag: unknown (not "
                               "observed within 200 ms)."),
                  "%s", text);
    /* the late answer */
    held_lag->done(99, T0, "late", held_lag->ctx);
    dg_free(held_lag);
    held_lag = NULL;
    for (int i = 0; i < 5; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(published, 1);
    cJSON_Delete(req);
    dg_free(text);
}
END_TEST

/* drgate stops while the lag is being observed: the answer that comes
 * with the cancellation frees the proposal; the restart proposes again. */
START_TEST(stop_while_observing)
{
    lag_setup(3);
    propose(1);
    for (int i = 0; i < 20 && !held_lag; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_ptr_nonnull(held_lag);
    ck_assert(orch_busy(F.o));
    orch_free(F.o);
    F.o = NULL;
    held_lag->done(-1, 0, "cancelled", held_lag->ctx);
    dg_free(held_lag);
    held_lag = NULL;
    ck_assert_int_eq(published, 0);
    ck_assert_int_eq(pending_proposals(), 1);
    lag_mode = 1;
    F.o = new_orch();
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(orch_start(F.o, &err) == DG_OK);
    run_until_published(1);
}
END_TEST

/* A request published again after a restart states the figure recorded
 * with it, not a new observation. */
START_TEST(republished_request_keeps_the_lag)
{
    lag_setup(1);
    publish_mode = 1;
    propose(1);
    for (int i = 0; i < 20 && published == 0; i++)
        event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(published, 1);
    orch_free(F.o);
    lost_pub->done(NULL, DG_ECANCELLED, NULL, lost_pub->ctx);
    dg_free(lost_pub);
    lost_pub = NULL;
    publish_mode = 0;
    lag_mode = 2; /* a new observation would fail */
    F.o = new_orch();
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(orch_start(F.o, &err) == DG_OK);
    run_until_published(2);
    char *text = NULL;
    cJSON *req = last_request(&text);
    const cJSON *lag =
        cJSON_GetObjectItemCaseSensitive(req, "replication_lag_ms");
    ck_assert(cJSON_IsNumber(lag));
    ck_assert_int_eq((int)lag->valuedouble, 1234);
    ck_assert_ptr_nonnull(strstr(text, "1234 ms"));
    cJSON_Delete(req);
    dg_free(text);
}
END_TEST

START_TEST(read_only_passes_the_gate)
{
    struct plan *p = store_plan("ValidateAuroraGlobal", T0);
    ck_assert(!p->mutating);
    struct dg_err err;
    dg_err_clear(&err);
    /* past the gate the executor refuses for its own reason (this catalog
     * knows no type), never "not_approved" */
    dg_rc rc = orch_execute(F.o, p->id, &err);
    ck_assert(rc != DG_OK);
    ck_assert_str_ne(err.code, "not_approved");
    plan_free(p);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("orchestrator");
    TCase *tc = tcase_create("gate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, mutating_unapproved_refused);
    tcase_add_test(tc, approved_state_without_approvals_refused);
    tcase_add_test(tc, unknown_plan_refused);
    tcase_add_test(tc, read_only_passes_the_gate);
    tcase_add_test(tc, proposal_survives_a_crash);
    tcase_add_test(tc, rolled_back_proposal_is_dropped);
    tcase_add_test(tc, lost_request_is_republished_with_a_new_token);
    tcase_add_test(tc, failed_publish_is_retried);
    tcase_add_test(tc, request_states_the_observed_lag);
    tcase_add_test(tc, failed_observation_says_unknown);
    tcase_add_test(tc, slow_observation_is_bounded);
    tcase_add_test(tc, stop_while_observing);
    tcase_add_test(tc, republished_request_keeps_the_lag);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    dg_mem_init();
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
