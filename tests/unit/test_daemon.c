/*
 * test_daemon.c - the daemon against scripted sources and the file sink:
 * every message is acked exactly once (committed), refused input does not
 * block, the events reach the sink in seq order, the daemon ends on its own
 * when every source has ended, and a second run is all duplicates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "mem.h"
#include "registry_io.h"
#include "source.h"
#include "store.h"
#include "testsupport.h"

#define NMSG 4
static const char *const msgs[NMSG] = {
    "{\"type\": \"drgate.probe\", \"probe\": \"primary-writer\", \"region\": "
    "\"us-east-1\", \"ok\": false, \"time\": \"2026-03-04T10:00:10.000Z\", "
    "\"detail\": \"refused\"}",
    "not json at all",
    "{\"Action\": \"failover\", \"GlobalClusterIdentifier\": \"g\", "
    "\"TargetDbClusterIdentifier\": \"arn:aws:rds:us-west-2:123456789012:"
    "cluster:c\"}",
    "not json at all",
};

struct fsrc {
    struct source hdr;
    struct source_host host;
    struct event *ev;
    int first;
    int acks[NMSG];
    int committed;
    int stopped;
};

static int instances;
static struct fsrc *sources[4];

static void
fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsrc *f = arg;
    if (f->stopped)
        return;
    if (f->first)
        for (int i = 0; i < NMSG; i++)
            f->host.deliver(&f->hdr, &f->acks[i], msgs[i], strlen(msgs[i]),
                            "scripted", f->host.ctx);
    f->host.ended(&f->hdr, f->host.ctx);
}

static void
started(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsrc *f = arg;
    f->host.started(&f->hdr, f->host.ctx);
    event_assign(f->ev, event_get_base(f->ev), -1, 0, fire, f);
    event_active(f->ev, 0, 0);
}

static const struct source_ops fake_ops;

static dg_rc
f_create(struct event_base *base, const cJSON *conf,
         const struct source_host *host, struct source **out,
         struct dg_err *err)
{
    (void)conf;
    (void)err;
    struct fsrc *f = dg_calloc(1, sizeof(*f));
    f->hdr.ops = &fake_ops;
    f->host = *host;
    f->first = instances == 0;
    f->ev = event_new(base, -1, 0, started, f);
    sources[instances++] = f;
    *out = &f->hdr;
    return DG_OK;
}

static void
f_start(struct source *s)
{
    event_active(((struct fsrc *)s)->ev, 0, 0);
}

static void
f_stopped(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsrc *f = arg;
    f->host.stopped(&f->hdr, f->host.ctx);
}

static void
f_stop(struct source *s)
{
    struct fsrc *f = (struct fsrc *)s;
    f->stopped = 1;
    event_del(f->ev);
    event_assign(f->ev, event_get_base(f->ev), -1, 0, f_stopped, f);
    event_active(f->ev, 0, 0);
}

static void
f_noop(struct source *s)
{
    (void)s;
}

static void
f_ack(struct source *s, void *handle, enum source_outcome o)
{
    struct fsrc *f = (struct fsrc *)s;
    (*(int *)handle)++;
    f->committed += o == SOURCE_COMMITTED;
}

static void
f_destroy(struct source *s)
{
    struct fsrc *f = (struct fsrc *)s;
    /* Exactly one ack per delivered message by now. */
    for (int i = 0; f->first && i < NMSG; i++)
        ck_assert_int_eq(f->acks[i], 1);
    event_free(f->ev);
    dg_free(f);
}

static const struct source_ops fake_ops = {
    .type = "fake",
    .create = f_create,
    .start = f_start,
    .stop = f_stop,
    .pause = f_noop,
    .resume = f_noop,
    .ack = f_ack,
    .destroy = f_destroy,
};

static const struct source_ops *
find_fake(const char *type)
{
    (void)type;
    return &fake_ops;
}

static char db[256];

static int
run_once(struct dg_config *cfg, int *committed)
{
    instances = 0;
    struct event_base *base = event_base_new();
    struct daemon_opts o = {.source_find = find_fake,
                            .sink_find = registry_sink_find,
                            .store_path = db,
                            .drain_deadline_ms = 5000};
    struct daemon *d = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(daemon_new(base, cfg, &o, &d, &err) == DG_OK, "%s", err.msg);
    daemon_start(d);
    event_base_dispatch(base);
    ck_assert(daemon_ready(d));
    int status = daemon_status(d);
    *committed = sources[0]->committed;
    daemon_free(d);
    event_base_free(base);
    return status;
}

START_TEST(scripted_run)
{
    dg_mem_init();
    snprintf(db, sizeof(db), "/tmp/drgate-test-daemon-%d.db", getpid());
    char sinkfile[300];
    snprintf(sinkfile, sizeof(sinkfile), "%s.events", db);
    unlink(db);
    unlink(sinkfile);
    struct dg_config *cfg = NULL;
    struct dg_buf errors;
    dg_buf_init(&errors, 1 << 16);
    ck_assert_int_eq(
        config_load(ts_data("scenarios/config.json"), &cfg, &errors), DG_OK);
    dg_buf_cleanup(&errors);
    cJSON_ReplaceItemInObject(cfg->sinks[0].conf, "path",
                              cJSON_CreateString(sinkfile));
    int committed = 0;
    ck_assert_int_eq(run_once(cfg, &committed), 0);
    ck_assert_int_eq(committed, NMSG);
    size_t len = 0;
    char *out = ts_read_file(sinkfile, &len);
    ck_assert_ptr_nonnull(out);
    /* probe fail -> decision; garbage -> rejected (once: the repeat is a
     * duplicate); command -> plan. */
    ck_assert_ptr_nonnull(strstr(out, "\"type\":\"drgate.decision.made\""));
    ck_assert_ptr_nonnull(strstr(out, "\"type\":\"drgate.input.rejected\""));
    ck_assert_ptr_nonnull(strstr(out, "\"type\":\"drgate.plan.proposed\""));
    int lines = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    ck_assert_int_eq(lines, 3);
    free(out);
    /* Again: every message is a duplicate, nothing new is published. */
    ck_assert_int_eq(run_once(cfg, &committed), 0);
    ck_assert_int_eq(committed, NMSG);
    out = ts_read_file(sinkfile, &len);
    lines = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    ck_assert_int_eq(lines, 3);
    free(out);
    config_free(cfg);
    unlink(sinkfile);
    unlink(db);
    char side[300];
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("daemon");
    TCase *tc = tcase_create("daemon");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, scripted_run);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
