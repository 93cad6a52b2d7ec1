/*
 * test_store_faults.c - storage faults under the store and the running
 * daemon, through the fault-injecting VFS (store_faultvfs.h):
 *
 * - the store alone: a failed write or sync or a full disk is
 *   DG_ETRANSIENT, nothing of the failed transaction remains, the same work
 *   succeeds once the fault clears, integrity holds;
 * - the daemon with every write failing: it stops acknowledging (the
 *   scripted source only ever sees SOURCE_RETRY), and once the fault
 *   clears everything is processed exactly once, the same as a run without
 *   faults;
 * - "fail the Nth write" (and the Nth sync, and disk full) for every N
 *   over a whole short run, migrations and the closing checkpoint
 *   included: afterwards every acknowledged message is in the store, the
 *   effects equal the fault-free run's, the audit chain verifies and
 *   PRAGMA integrity_check is "ok".
 *
 * The scripted source behaves like a queue with redelivery: it delivers a
 * round of `ROUND` messages at once (the daemon takes them as one batch,
 * one transaction), waits for every ack, and redelivers the round when any
 * ack was SOURCE_RETRY, so the order of effects is the fault-free order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "audit.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "mem.h"
#include "registry_io.h"
#include "source.h"
#include "store.h"
#include "store_faultvfs.h"
#include "testsupport.h"

#define VFS "drgate-fault"
#define ROUND 3
#define MAXMSG 64

/* ---- the scenario ---------------------------------------------------- */

static char *msgs[MAXMSG];
static size_t nmsgs;
static int idx[MAXMSG];
static char origins[MAXMSG][32];

static void
add_file(const char *rel)
{
    size_t len = 0;
    char *text = ts_read_file(ts_data(rel), &len);
    ck_assert_ptr_nonnull(text);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!*line)
            continue;
        ck_assert_uint_lt(nmsgs, MAXMSG);
        msgs[nmsgs] = dg_strdup(line);
        idx[nmsgs] = (int)nmsgs;
        snprintf(origins[nmsgs], sizeof(origins[0]), "msg %zu", nmsgs);
        nmsgs++;
    }
    free(text);
}

static void
load_scenario(void)
{
    nmsgs = 0;
    /* alarms with SNS-wrapped duplicates (one plan), then garbage and
     * more duplicates */
    add_file("scenarios/two-alarms-duplicates.jsonl");
    add_file("scenarios/mixed-garbage.jsonl");
    ck_assert_uint_gt(nmsgs, ROUND * 3);
}

static void
free_scenario(void)
{
    for (size_t i = 0; i < nmsgs; i++)
        dg_free(msgs[i]);
    nmsgs = 0;
}

/* ---- the scripted source --------------------------------------------- */

struct run {
    int commits[MAXMSG];     /* SOURCE_COMMITTED acks per message */
    long retry_rounds;       /* rounds redelivered */
    long clear_after;        /* clear the fault after so many (0: never) */
    int persistent;          /* a WRITES_AFTER fault is armed */
    long committed_in_fault; /* COMMITTED acks after a fault fired while
                                the persistent fault was armed */
    long rounds;             /* rounds delivered */
};

static struct run g;

struct rsrc {
    struct ts_source base;
    int primary;
    size_t next, round_n, pending;
    int retry, ended;
};

static int instances;
static const struct source_ops rs_ops;

static void
deliver_round(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rsrc *r = arg;
    struct ts_source *b = &r->base;
    if (b->stopped || r->pending)
        return;
    if (!r->primary || r->next >= nmsgs) {
        if (!r->ended) {
            r->ended = 1;
            b->host.ended(&b->hdr, b->host.ctx);
        }
        return;
    }
    r->round_n = nmsgs - r->next < ROUND ? nmsgs - r->next : ROUND;
    r->pending = r->round_n;
    r->retry = 0;
    g.rounds++;
    for (size_t i = r->next; i < r->next + r->round_n; i++)
        b->host.deliver(&b->hdr, &idx[i], msgs[i], strlen(msgs[i]), origins[i],
                        b->host.ctx);
}

static void
rs_started(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ts_source_started(arg, deliver_round);
}

static dg_rc
rs_create(struct event_base *base, const cJSON *conf,
          const struct source_host *host, struct source **out,
          struct dg_err *err)
{
    (void)conf;
    (void)err;
    struct rsrc *r = dg_calloc(1, sizeof(*r));
    ts_source_init(&r->base, &rs_ops, base, host, rs_started);
    r->primary = instances++ == 0;
    *out = &r->base.hdr;
    return DG_OK;
}

static void
rs_ack(struct source *s, void *handle, enum source_outcome o)
{
    struct rsrc *r = (struct rsrc *)s;
    int i = *(int *)handle;
    ck_assert_uint_gt(r->pending, 0);
    r->pending--;
    if (o == SOURCE_COMMITTED) {
        g.commits[i]++;
        struct store_faultvfs_stats st;
        store_faultvfs_stats(&st);
        if (g.persistent && st.injected > 0)
            g.committed_in_fault++;
    } else {
        r->retry = 1;
    }
    if (r->pending)
        return;
    if (r->retry) {
        g.retry_rounds++;
        if (g.persistent && g.clear_after && g.retry_rounds >= g.clear_after) {
            store_faultvfs_clear();
            g.persistent = 0;
        }
    } else {
        r->next += r->round_n;
    }
    if (!r->base.stopped)
        event_active(r->base.ev, 0, 0);
}

static void
rs_destroy(struct source *s)
{
    struct rsrc *r = (struct rsrc *)s;
    ts_source_free(&r->base);
    dg_free(r);
}

static const struct source_ops rs_ops = {
    .type = "file",
    .create = rs_create,
    .start = ts_source_start,
    .stop = ts_source_stop,
    .pause = ts_source_noop,
    .resume = ts_source_noop,
    .ack = rs_ack,
    .destroy = rs_destroy,
};

static const struct source_ops *
find_scripted(const char *type)
{
    (void)type;
    return &rs_ops;
}

/* ---- running and checking -------------------------------------------- */

static char db[256], sinkfile[300];
static struct dg_config *cfg;

static void
remove_files(void)
{
    ts_db_remove(db);
    unlink(sinkfile);
}

static void
setup(void)
{
    dg_mem_init();
    log_set_level(DG_LOG_ERROR);
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(store_faultvfs_register(VFS, 1, &err) == DG_OK, "%s",
                  err.msg);
    /* tmpfs when there is one: the sweeps make thousands of fsyncs, which
     * a disk makes slow and a fault VFS makes no more interesting. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    ts_db_path(db, sizeof(db), dir, "faults");
    snprintf(sinkfile, sizeof(sinkfile), "%s.events", db);
    cfg = ts_scenario_config(sinkfile);
    load_scenario();
}

static void
teardown(void)
{
    free_scenario();
    config_free(cfg);
    cfg = NULL;
    remove_files();
    store_faultvfs_unregister();
}

/* What a run left behind, to compare with the fault-free run. */
struct outcome {
    long long messages, decisions, plans;
    size_t events;
    char types[4096]; /* the sink's event types, in order */
};

/* One daemon run over a fresh store. The fault is armed before daemon_new
 * (so migrations see it) unless after_open; a daemon_new that fails on it
 * must say transient and is retried, as systemd would restart drgate. */
static int
run_daemon(enum store_fault_kind kind, long n, enum store_fault_error e,
           int after_open, long clear_after, int *open_failures)
{
    remove_files();
    memset(&g, 0, sizeof(g));
    g.clear_after = clear_after;
    *open_failures = 0;
    struct event_base *base = event_base_new();
    struct daemon_opts o = {.source_find = find_scripted,
                            .sink_find = registry_sink_find,
                            .store_path = db,
                            .batch = ROUND,
                            .drain_deadline_ms = 5000};
    struct daemon *d = NULL;
    struct dg_err err;
    if (!after_open)
        store_faultvfs_arm(kind, n, e);
    for (int tries = 0;; tries++) {
        instances = 0;
        dg_err_clear(&err);
        if (daemon_new(base, cfg, &o, &d, &err) == DG_OK)
            break;
        ck_assert_msg(err.rc == DG_ETRANSIENT,
                      "daemon_new: %s (%s), want transient", err.msg,
                      dg_rc_name(err.rc));
        ck_assert_int_lt(tries, 3);
        (*open_failures)++;
    }
    if (after_open) {
        store_faultvfs_arm(kind, n, e);
        g.persistent = kind == STORE_FAULT_WRITES_AFTER;
    }
    daemon_start(d);
    event_base_dispatch(base);
    ck_assert(daemon_ready(d));
    int status = daemon_status(d);
    daemon_free(d);
    event_base_free(base);
    store_faultvfs_clear();
    return status;
}

static void
collect(struct outcome *out)
{
    memset(out, 0, sizeof(*out));
    struct store *s = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    /* The fault is cleared: the shim passes everything through. */
    ck_assert_msg(store_open_v2(db, STORE_SYNC_FULL, VFS, &s, &err) == DG_OK,
                  "%s", err.msg);
    ck_assert_msg(store_integrity_ok(s), "integrity_check failed");
    out->messages = store_count(s, "messages");
    out->decisions = store_count(s, "decisions");
    out->plans = store_count(s, "plans");
    struct dg_buf report;
    dg_buf_init(&report, 1 << 16);
    size_t problems = 0;
    struct audit_summary sum;
    ck_assert(audit_verify_store(s, &report, 10, &problems, &sum, &err) ==
              DG_OK);
    ck_assert_msg(problems == 0, "audit chain: %s", dg_buf_str(&report));
    out->events = sum.records;
    dg_buf_cleanup(&report);
    store_close(s);
    size_t len = 0;
    char *text = ts_read_file(sinkfile, &len);
    ck_assert_ptr_nonnull(text);
    size_t lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *ev = cJSON_Parse(line);
        ck_assert_ptr_nonnull(ev);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
        ck_assert(cJSON_IsString(type));
        size_t used = strlen(out->types), tl = strlen(type->valuestring);
        ck_assert_uint_lt(used + tl + 2, sizeof(out->types));
        memcpy(out->types + used, type->valuestring, tl);
        out->types[used + tl] = ' ';
        cJSON_Delete(ev);
        lines++;
    }
    free(text);
    /* Every stored event reached the sink exactly once. */
    ck_assert_uint_eq(lines, out->events);
}

static void
assert_same(const struct outcome *want, const struct outcome *got,
            const char *what)
{
    ck_assert_msg(
        got->messages == want->messages && got->decisions == want->decisions &&
            got->plans == want->plans && got->events == want->events,
        "%s: messages %lld/%lld decisions %lld/%lld plans %lld/%lld "
        "events %zu/%zu (got/want)",
        what, got->messages, want->messages, got->decisions, want->decisions,
        got->plans, want->plans, got->events, want->events);
    ck_assert_msg(strcmp(got->types, want->types) == 0,
                  "%s: events differ:\n got %s\nwant %s", what, got->types,
                  want->types);
    /* Every message acknowledged exactly once as committed. */
    for (size_t i = 0; i < nmsgs; i++)
        ck_assert_msg(g.commits[i] == 1, "%s: message %zu committed %d times",
                      what, i, g.commits[i]);
}

static struct outcome baseline;
static struct store_faultvfs_stats base_io;

static void
run_baseline(void)
{
    int openfail = 0;
    store_faultvfs_arm(STORE_FAULT_NONE, 0, STORE_FAULT_IOERR);
    ck_assert_int_eq(
        run_daemon(STORE_FAULT_NONE, 0, STORE_FAULT_IOERR, 0, 0, &openfail), 0);
    store_faultvfs_stats(&base_io);
    ck_assert_int_eq(g.retry_rounds, 0);
    collect(&baseline);
    assert_same(&baseline, &baseline, "baseline");
    ck_assert_int_eq(baseline.plans, 1);
    ck_assert_ptr_nonnull(strstr(baseline.types, "drgate.plan.proposed"));
    ck_assert_ptr_nonnull(strstr(baseline.types, "drgate.input.rejected"));
    ck_assert_int_gt(base_io.writes, 10);
    ck_assert_int_gt(base_io.syncs, 2);
}

/* ---- tests ----------------------------------------------------------- */

/* The store alone: each fault is transient and leaves nothing behind. */
START_TEST(store_faults_transient)
{
    static const struct {
        enum store_fault_kind kind;
        long n;
        enum store_fault_error e;
    } plans[] = {
        {STORE_FAULT_WRITE_NTH, 1, STORE_FAULT_IOERR},
        {STORE_FAULT_WRITE_NTH, 2, STORE_FAULT_FULL},
        {STORE_FAULT_SYNC_NTH, 1, STORE_FAULT_IOERR},
        {STORE_FAULT_WRITES_AFTER, 0, STORE_FAULT_FULL},
    };
    for (size_t p = 0; p < sizeof(plans) / sizeof(plans[0]); p++) {
        remove_files();
        struct store *s = NULL;
        struct dg_err err;
        dg_err_clear(&err);
        ck_assert(store_open_v2(db, STORE_SYNC_FULL, VFS, &s, &err) == DG_OK);
        int is_new = 0;
        ck_assert(store_begin(s, &err) == DG_OK);
        ck_assert(store_message_seen(s, "m0", "t", 1, &is_new, &err) == DG_OK);
        ck_assert(store_commit(s, &err) == DG_OK);
        store_faultvfs_arm(plans[p].kind, plans[p].n, plans[p].e);
        dg_rc rc = store_begin(s, &err);
        for (int i = 1; rc == DG_OK && i <= 50; i++) {
            char id[16];
            snprintf(id, sizeof(id), "m%d", i);
            rc = store_message_seen(s, id, "t", 1, &is_new, &err);
        }
        if (rc == DG_OK)
            rc = store_commit(s, &err);
        else
            store_rollback(s);
        struct store_faultvfs_stats st;
        store_faultvfs_stats(&st);
        ck_assert_msg(st.injected >= 1, "plan %zu: no fault fired", p);
        ck_assert_msg(rc == DG_ETRANSIENT, "plan %zu: %s (%s)", p,
                      dg_rc_name(rc), err.msg);
        ck_assert_int_eq(store_count(s, "messages"), 1);
        store_faultvfs_clear();
        /* The same work now succeeds. */
        ck_assert(store_begin(s, &err) == DG_OK);
        for (int i = 1; i <= 50; i++) {
            char id[16];
            snprintf(id, sizeof(id), "m%d", i);
            ck_assert(store_message_seen(s, id, "t", 1, &is_new, &err) ==
                      DG_OK);
            ck_assert_int_eq(is_new, 1);
        }
        ck_assert_msg(store_commit(s, &err) == DG_OK, "%s", err.msg);
        ck_assert_int_eq(store_count(s, "messages"), 51);
        ck_assert(store_integrity_ok(s));
        store_close(s);
        /* And it is on disk. */
        ck_assert(store_open_v2(db, STORE_SYNC_FULL, VFS, &s, &err) == DG_OK);
        ck_assert_int_eq(store_count(s, "messages"), 51);
        ck_assert(store_integrity_ok(s));
        store_close(s);
    }
}
END_TEST

/* Every write fails: the daemon acknowledges nothing as committed, only
 * retries; once the fault clears, the run ends exactly like a fault-free
 * one. Also with the disk full, and with the fault starting mid-run. */
START_TEST(daemon_stops_acking_while_writes_fail)
{
    run_baseline();
    static const struct {
        long n;
        enum store_fault_error e;
    } plans[] = {
        {0, STORE_FAULT_IOERR},
        {0, STORE_FAULT_FULL},
        {3, STORE_FAULT_IOERR},
        {12, STORE_FAULT_FULL},
    };
    for (size_t p = 0; p < sizeof(plans) / sizeof(plans[0]); p++) {
        int openfail = 0;
        int status = run_daemon(STORE_FAULT_WRITES_AFTER, plans[p].n,
                                plans[p].e, 1, 5, &openfail);
        ck_assert_int_eq(status, 0);
        ck_assert_msg(g.retry_rounds >= 5, "plan %zu: %ld retry rounds", p,
                      g.retry_rounds);
        ck_assert_msg(g.committed_in_fault == 0,
                      "plan %zu: %ld messages acked as committed while the "
                      "store was failing",
                      p, g.committed_in_fault);
        struct outcome got;
        collect(&got);
        assert_same(&baseline, &got, "writes failing");
    }
}
END_TEST

static long
stride(void)
{
    /* Under valgrind (CI runs every unit test under it too) every 5th
     * position; DRGATE_FAULT_STRIDE overrides. */
    const char *s = getenv("DRGATE_FAULT_STRIDE");
    const char *pre = getenv("LD_PRELOAD");
    long v = s ? atol(s) : pre && strstr(pre, "vgpreload") ? 5 : 1;
    return v > 0 ? v : 1;
}

static void
sweep(enum store_fault_kind kind, long upto, enum store_fault_error e,
      const char *what)
{
    long fired = 0, retried = 0, openfails = 0;
    for (long n = 1; n <= upto; n += stride()) {
        int openfail = 0;
        int status = run_daemon(kind, n, e, 0, 0, &openfail);
        struct store_faultvfs_stats st;
        store_faultvfs_stats(&st);
        ck_assert_msg(status == 0, "%s n=%ld: exit status %d", what, n, status);
        char label[64];
        snprintf(label, sizeof(label), "%s n=%ld", what, n);
        struct outcome got;
        collect(&got);
        assert_same(&baseline, &got, label);
        fired += st.injected > 0 || openfail;
        retried += g.retry_rounds > 0;
        openfails += openfail;
    }
    /* The sweep did hit: most positions fired, some during processing. */
    ck_assert_msg(fired > 0 && retried > 0, "%s: fired %ld, retried %ld", what,
                  fired, retried);
    printf("%s: %ld positions, %ld fired, %ld made the daemon retry, %ld "
           "failed the open\n",
           what, (upto + stride() - 1) / stride(), fired, retried, openfails);
}

START_TEST(daemon_nth_write_fails)
{
    run_baseline();
    printf("fault-free run: %ld writes, %ld syncs\n", base_io.writes,
           base_io.syncs);
    /* A few past the end reach the closing checkpoint. */
    sweep(STORE_FAULT_WRITE_NTH, base_io.writes + 2, STORE_FAULT_IOERR,
          "nth write (EIO)");
}
END_TEST

START_TEST(daemon_nth_sync_fails)
{
    run_baseline();
    sweep(STORE_FAULT_SYNC_NTH, base_io.syncs + 1, STORE_FAULT_IOERR,
          "nth sync (EIO)");
}
END_TEST

START_TEST(daemon_nth_write_disk_full)
{
    run_baseline();
    sweep(STORE_FAULT_WRITE_NTH, base_io.writes + 2, STORE_FAULT_FULL,
          "nth write (disk full)");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("store_faults");
    TCase *tc = tcase_create("store_faults");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, store_faults_transient);
    tcase_add_test(tc, daemon_stops_acking_while_writes_fail);
    tcase_add_test(tc, daemon_nth_write_fails);
    tcase_add_test(tc, daemon_nth_sync_fails);
    tcase_add_test(tc, daemon_nth_write_disk_full);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
