/*
 * test_outbox.c - backoff bounds, in-order delivery, cursors, retries
 * after failures, resume after a restart, with a scripted sink on a fresh
 * event base and an injected clock and random source.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "events.h"
#include "mem.h"
#include "outbox.h"
#include "sink.h"
#include "store.h"
#include "store_events.h"
#include "testsupport.h"

static char path[256];

static void
setup(void)
{
    dg_mem_init();
    ts_db_path(path, sizeof(path), "/tmp", "outbox");
}

static void
teardown(void)
{
    ts_db_remove(path);
}

START_TEST(backoff_bounds)
{
    for (unsigned a = 0; a < 40; a++) {
        uint64_t d = 100;
        for (unsigned i = 0; i < a && d < 30000; i++)
            d *= 2;
        if (d > 30000)
            d = 30000;
        uint32_t rs[] = {0, 1, 12345, 0xffffffffu};
        for (size_t r = 0; r < 4; r++) {
            uint64_t ms = outbox_backoff_ms(a, rs[r], 100, 30000);
            ck_assert_uint_ge(ms, d / 2);
            ck_assert_uint_le(ms, d);
        }
    }
}
END_TEST

/* A scripted sink: records each submit, completes from a deferred event,
 * fails the submits whose number (from 0) is listed in fail_at. */
struct fake {
    struct sink hdr;
    struct event_base *base;
    struct event *ev;
    int64_t submitted[64];
    int nsub;
    int fail_at[8];
    int nfail;
    struct {
        int64_t seq;
        sink_done_fn fn;
        void *ctx;
        int fail;
    } pend[64];
    int npend;
    int completions;
};

static void
fake_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fake *f = arg;
    int n = f->npend;
    f->npend = 0;
    for (int i = 0; i < n; i++) {
        struct dg_err err;
        dg_err_clear(&err);
        f->completions++;
        if (f->pend[i].fail) {
            dg_err_set(&err, DG_ETRANSIENT, "scripted failure");
            f->pend[i].fn(&f->hdr, f->pend[i].seq, DG_ETRANSIENT, &err,
                          f->pend[i].ctx);
        } else {
            f->pend[i].fn(&f->hdr, f->pend[i].seq, DG_OK, NULL, f->pend[i].ctx);
        }
    }
}

static void
fake_submit(struct sink *snk, const char *json, size_t len, int64_t seq,
            sink_done_fn done, void *ctx)
{
    (void)json;
    (void)len;
    struct fake *f = (struct fake *)snk;
    int fail = 0;
    for (int i = 0; i < f->nfail; i++)
        fail |= f->fail_at[i] == f->nsub;
    f->submitted[f->nsub++] = seq;
    f->pend[f->npend].seq = seq;
    f->pend[f->npend].fn = done;
    f->pend[f->npend].ctx = ctx;
    f->pend[f->npend].fail = fail;
    f->npend++;
    event_active(f->ev, 0, 0);
}

static const struct sink_ops fake_ops = {.type = "fake", .submit = fake_submit};

static int64_t fake_now;
static int64_t
clock_now(void *ctx)
{
    (void)ctx;
    return fake_now;
}
static uint32_t
rnd(void *ctx)
{
    (void)ctx;
    return 0;
}

static void
append_events(struct store *s, int n)
{
    static int serial;
    struct dg_err err;
    ck_assert_int_eq(store_begin(s, &err), DG_OK);
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", serial++);
        cJSON *ev = events_new("t", EVENTS_DECISION_MADE, id, i, NULL, NULL);
        ck_assert_int_eq(store_events_append(s, ev, i, NULL, &err), DG_OK);
        cJSON_Delete(ev);
    }
    ck_assert_int_eq(store_commit(s, &err), DG_OK);
}

static void
drain(struct event_base *base, struct outbox *ob)
{
    for (int i = 0; i < 2000 && !outbox_idle(ob); i++)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert(outbox_idle(ob));
}

static void
run_case(const int *fail_at, int nfail, int window, int64_t *want, int nwant)
{
    struct store *s = NULL;
    struct dg_err err;
    ck_assert_int_eq(store_open(path, STORE_SYNC_OFF, &s, &err), DG_OK);
    append_events(s, 5);
    struct event_base *base = event_base_new();
    struct fake f;
    memset(&f, 0, sizeof(f));
    f.hdr.ops = &fake_ops;
    f.ev = event_new(base, -1, 0, fake_fire, &f);
    if (nfail)
        memcpy(f.fail_at, fail_at, sizeof(int) * (size_t)nfail);
    f.nfail = nfail;
    struct outbox_opts o = {.window = (size_t)window,
                            .backoff_base_ms = 1,
                            .backoff_max_ms = 4,
                            .now_ms = clock_now,
                            .rand32 = rnd};
    struct outbox *ob = outbox_new(base, s, &o);
    ck_assert_int_eq(outbox_add_sink(ob, &f.hdr, "fake", &err), DG_OK);
    outbox_kick(ob, 5);
    drain(base, ob);
    ck_assert_int_eq(f.nsub, nwant);
    for (int i = 0; i < nwant; i++)
        ck_assert_int_eq(f.submitted[i], want[i]);
    /* Each submit completed exactly once. */
    ck_assert_int_eq(f.completions, f.nsub);
    int64_t acked = 0;
    ck_assert_int_eq(store_cursor_get(s, "fake", &acked, NULL, &err), DG_OK);
    ck_assert_int_eq(acked, 5);
    struct outbox_sink_stats st;
    outbox_sink_stats(ob, 0, &st);
    ck_assert_uint_eq(st.failures, (unsigned)nfail);
    ck_assert_int_eq(st.failing_since_ms, 0);
    outbox_free(ob);
    event_free(f.ev);

    /* A restart resumes after the cursor: two more events, only they go. */
    append_events(s, 2);
    memset(&f, 0, sizeof(f));
    f.hdr.ops = &fake_ops;
    f.ev = event_new(base, -1, 0, fake_fire, &f);
    ob = outbox_new(base, s, &o);
    ck_assert_int_eq(outbox_add_sink(ob, &f.hdr, "fake", &err), DG_OK);
    outbox_kick(ob, 7);
    drain(base, ob);
    ck_assert_int_eq(f.nsub, 2);
    ck_assert_int_eq(f.submitted[0], 6);
    ck_assert_int_eq(f.submitted[1], 7);
    outbox_free(ob);
    event_free(f.ev);
    event_base_free(base);
    store_close(s);
}

START_TEST(in_order_no_failures)
{
    int64_t want[] = {1, 2, 3, 4, 5};
    run_case(NULL, 0, 256, want, 5);
}
END_TEST

START_TEST(window_of_two)
{
    int64_t want[] = {1, 2, 3, 4, 5};
    run_case(NULL, 0, 2, want, 5);
}
END_TEST

START_TEST(failure_resends_from_cursor)
{
    /* Submit #1 (seq 2) fails: everything sent after it is sent again
     * from seq 2 after the backoff. */
    int fail_at[] = {1};
    int64_t want[] = {1, 2, 3, 4, 5, 2, 3, 4, 5};
    run_case(fail_at, 1, 256, want, 9);
}
END_TEST

START_TEST(failing_sink_warns_after_a_minute)
{
    struct store *s = NULL;
    struct dg_err err;
    ck_assert_int_eq(store_open(path, STORE_SYNC_OFF, &s, &err), DG_OK);
    append_events(s, 1);
    struct event_base *base = event_base_new();
    struct fake f;
    memset(&f, 0, sizeof(f));
    f.hdr.ops = &fake_ops;
    f.ev = event_new(base, -1, 0, fake_fire, &f);
    for (int i = 0; i < 8; i++)
        f.fail_at[i] = i;
    f.nfail = 8;
    fake_now = 1000;
    struct outbox_opts o = {.backoff_base_ms = 1,
                            .backoff_max_ms = 2,
                            .now_ms = clock_now,
                            .rand32 = rnd};
    struct outbox *ob = outbox_new(base, s, &o);
    ck_assert_int_eq(outbox_add_sink(ob, &f.hdr, "fake", &err), DG_OK);
    outbox_kick(ob, 1);
    struct outbox_sink_stats st;
    for (int i = 0; i < 500 && f.nsub < 4; i++)
        event_base_loop(base, EVLOOP_ONCE);
    outbox_sink_stats(ob, 0, &st);
    ck_assert_int_eq(st.failing_since_ms, 1000);
    ck_assert_uint_eq(st.warnings, 0);
    ck_assert_int_eq(outbox_backlog(ob), 1);
    fake_now = 1000 + 60001;
    for (int i = 0; i < 500 && f.nsub < 8; i++)
        event_base_loop(base, EVLOOP_ONCE);
    outbox_sink_stats(ob, 0, &st);
    ck_assert_uint_eq(st.warnings, 1);
    drain(base, ob); /* the 9th submit succeeds */
    outbox_sink_stats(ob, 0, &st);
    ck_assert_int_eq(st.failing_since_ms, 0);
    outbox_free(ob);
    event_free(f.ev);
    event_base_free(base);
    store_close(s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("outbox");
    TCase *tc = tcase_create("outbox");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, backoff_bounds);
    tcase_add_test(tc, in_order_no_failures);
    tcase_add_test(tc, window_of_two);
    tcase_add_test(tc, failure_resends_from_cursor);
    tcase_add_test(tc, failing_sink_warns_after_a_minute);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
