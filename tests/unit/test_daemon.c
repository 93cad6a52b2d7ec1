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
    struct ts_source base;
    int first;
    int acks[NMSG];
    int committed;
};

static int instances;
static struct fsrc *sources[4];

static void
fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsrc *f = arg;
    struct ts_source *b = &f->base;
    if (b->stopped)
        return;
    if (f->first)
        for (int i = 0; i < NMSG; i++)
            b->host.deliver(&b->hdr, &f->acks[i], msgs[i], strlen(msgs[i]),
                            "scripted", b->host.ctx);
    b->host.ended(&b->hdr, b->host.ctx);
}

static void
started(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ts_source_started(arg, fire);
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
    ts_source_init(&f->base, &fake_ops, base, host, started);
    f->first = instances == 0;
    sources[instances++] = f;
    *out = &f->base.hdr;
    return DG_OK;
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
    ts_source_free(&f->base);
    dg_free(f);
}

static const struct source_ops fake_ops = {
    .type = "fake",
    .create = f_create,
    .start = ts_source_start,
    .stop = ts_source_stop,
    .pause = ts_source_noop,
    .resume = ts_source_noop,
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
    ts_db_path(db, sizeof(db), "/tmp", "daemon");
    char sinkfile[300];
    snprintf(sinkfile, sizeof(sinkfile), "%s.events", db);
    unlink(sinkfile);
    struct dg_config *cfg = ts_scenario_config(sinkfile);
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
    ts_db_remove(db);
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
