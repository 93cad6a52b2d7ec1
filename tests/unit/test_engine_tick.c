/*
 * test_engine_tick.c - the policy timer (engine_tick, engine_next_deadline,
 * policy_next_deadline) and the status/validate command hook.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "json.h"
#include "mem.h"
#include "store.h"
#include "testsupport.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

struct seen {
    int decisions, plans, proposes;
    char last_msgid[64];
    int64_t propose_time;
    struct engine *e;
};

static void
on_emit(const cJSON *line, void *ctx)
{
    struct seen *s = ctx;
    const char *kind = dg_json_str(line, "kind");
    const char *id = engine_message_id(s->e);
    snprintf(s->last_msgid, sizeof(s->last_msgid), "%s", id ? id : "");
    if (kind && strcmp(kind, "decision") == 0) {
        s->decisions++;
        const char *v = dg_json_str(line, "verdict");
        if (v && strcmp(v, "propose") == 0)
            s->proposes++;
    } else if (kind && strcmp(kind, "plan") == 0) {
        s->plans++;
    }
}

static char db[256];
static struct dg_config *cfg;
static struct store *st;

static void
setup(void)
{
    dg_mem_init();
    snprintf(db, sizeof(db), "/tmp/drgate-test-tick-%d.db", getpid());
    unlink(db);
    struct dg_buf errors;
    dg_buf_init(&errors, 1 << 16);
    ck_assert_int_eq(
        config_load(ts_data("scenarios/config.json"), &cfg, &errors), DG_OK);
    dg_buf_cleanup(&errors);
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(store_open(db, STORE_SYNC_OFF, &st, &err), DG_OK);
}

static void
teardown(void)
{
    store_close(st);
    config_free(cfg);
    char side[300];
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
}

static struct engine *
new_engine(struct seen *s)
{
    struct dg_buf errors;
    dg_buf_init(&errors, 1 << 16);
    struct engine *e = NULL;
    ck_assert_int_eq(engine_new(cfg, st, on_emit, s, &e, &errors), DG_OK);
    dg_buf_cleanup(&errors);
    s->e = e;
    return e;
}

static void
feed(struct engine *e, const char *line, int64_t now)
{
    struct dg_err err;
    dg_err_clear(&err);
    struct dg_err e2;
    dg_err_clear(&e2);
    ck_assert_int_eq(store_begin(st, &e2), DG_OK);
    ck_assert_int_eq(
        engine_process(e, line, strlen(line), "test", "t", now, &err), DG_OK);
    ck_assert_int_eq(engine_checkpoint(e, &err), DG_OK);
    ck_assert_int_eq(store_commit(st, &err), DG_OK);
}

static void
tick(struct engine *e, int64_t now)
{
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(store_begin(st, &err), DG_OK);
    ck_assert_int_eq(engine_tick(e, now, &err), DG_OK);
    ck_assert_int_eq(engine_checkpoint(e, &err), DG_OK);
    ck_assert_int_eq(store_commit(st, &err), DG_OK);
}

/* The first two lines of two-alarms.jsonl: ALARM at T0 and T0+5 s. */
static char *
scenario_line(int n)
{
    size_t len = 0;
    char *all = ts_read_file(ts_data("scenarios/two-alarms.jsonl"), &len);
    ck_assert_ptr_nonnull(all);
    char *p = all;
    for (int i = 0; i < n; i++) {
        p = strchr(p, '\n');
        ck_assert_ptr_nonnull(p);
        p++;
    }
    char *end = strchr(p, '\n');
    char *out = dg_strndup(p, end ? (size_t)(end - p) : strlen(p));
    free(all);
    return out;
}

START_TEST(tick_proposes_at_sustain)
{
    struct seen s = {0};
    struct engine *e = new_engine(&s);
    ck_assert(engine_next_deadline(e) == INT64_MAX);
    char *a = scenario_line(0), *b = scenario_line(1);
    feed(e, a, T0 + 100);
    feed(e, b, T0 + 5100);
    int before = s.decisions;
    ck_assert_int_eq(s.proposes, 0);
    /* writer-alarm's window ends first (T0+30 s): quorum 2 not met yet. */
    ck_assert(engine_next_deadline(e) == T0 + 30000);
    tick(e, T0 + 29999); /* not due: nothing, the clock stays */
    ck_assert_int_eq(s.decisions, before);
    ck_assert(engine_next_deadline(e) == T0 + 30000);
    tick(e, T0 + 30000);
    ck_assert_int_eq(s.proposes, 0);
    ck_assert(engine_next_deadline(e) == T0 + 35000);
    /* No further message: the timer proposes at T0+35 s exactly. */
    tick(e, T0 + 36000);
    ck_assert_int_eq(s.proposes, 1);
    ck_assert_int_eq(s.plans, 1);
    ck_assert_str_eq(s.last_msgid, ENGINE_TIMER_ID);
    ck_assert(engine_message_id(e) == NULL);
    /* Awaiting recovery: nothing more is due while the alarms hold. */
    int n = s.decisions;
    tick(e, T0 + 3600000);
    ck_assert_int_eq(s.proposes, 1);
    ck_assert_int_ge(s.decisions, n);
    engine_free(e);
    /* The state survives a restart: no second proposal. */
    struct seen s2 = {0};
    e = new_engine(&s2);
    tick(e, T0 + 3700000);
    ck_assert_int_eq(s2.proposes, 0);
    engine_free(e);
    dg_free(a);
    dg_free(b);
}
END_TEST

struct hook_seen {
    int calls;
    char action[16];
    char gc[64];
    char msgid[80];
};

static dg_rc
hook(const struct engine_command *c, void *ctx, struct dg_err *err)
{
    (void)err;
    struct hook_seen *h = ctx;
    h->calls++;
    snprintf(h->action, sizeof(h->action), "%s", c->action);
    snprintf(h->gc, sizeof(h->gc), "%s",
             c->global_cluster ? c->global_cluster : "");
    snprintf(h->msgid, sizeof(h->msgid), "%s",
             c->message_id ? c->message_id : "");
    return DG_OK;
}

START_TEST(command_hook)
{
    struct seen s = {0};
    struct engine *e = new_engine(&s);
    const char *status = "{\"Action\": \"Status\", \"GlobalClusterIdentifier\":"
                         " \"orders-global\", \"TargetDbClusterIdentifier\": "
                         "\"orders-west\"}";
    const char *validate = "{\"Action\": \"validate\", "
                           "\"GlobalClusterIdentifier\": \"orders-global\", "
                           "\"TargetDbClusterIdentifier\": \"orders-west\"}";
    /* Without a hook (replay): counted, nothing emitted. */
    feed(e, status, T0);
    ck_assert_int_eq(s.decisions + s.plans, 0);
    struct hook_seen h = {0};
    engine_set_command_hook(e, hook, &h);
    feed(e, status, T0); /* a duplicate: no hook */
    ck_assert_int_eq(h.calls, 0);
    feed(e, validate, T0);
    ck_assert_int_eq(h.calls, 1);
    ck_assert_str_eq(h.action, "validate");
    ck_assert_str_eq(h.gc, "orders-global");
    ck_assert(strncmp(h.msgid, "sha256:", 7) == 0);
    ck_assert_int_eq(s.decisions + s.plans, 0);
    engine_free(e);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("engine_tick");
    TCase *tc = tcase_create("engine_tick");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, tick_proposes_at_sustain);
    tcase_add_test(tc, command_hook);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
