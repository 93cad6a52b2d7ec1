/*
 * testsupport.c - helpers for the Check suites.
 */
#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "creds.h"
#include "mem.h"
#include "plan.h"
#include "profile.h"

const char *
ts_data(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", DRGATE_TEST_DATA, rel);
    return path;
}

char *
ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

int
ts_run(Suite *s)
{
    dg_mem_init();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void
ts_db_path(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/drgate-test-%s-%d.db", dir, name, getpid());
    unlink(buf);
}

void
ts_db_remove(const char *db)
{
    char side[4096];
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
}

struct dg_config *
ts_scenario_config(const char *sinkfile)
{
    struct dg_config *cfg = NULL;
    struct dg_buf errors;
    dg_buf_init(&errors, 1 << 16);
    ck_assert_int_eq(
        config_load(ts_data("scenarios/config.json"), &cfg, &errors), DG_OK);
    dg_buf_cleanup(&errors);
    cJSON_ReplaceItemInObject(cfg->sinks[0].conf, "path",
                              cJSON_CreateString(sinkfile));
    return cfg;
}

void
ts_source_init(struct ts_source *t, const struct source_ops *ops,
               struct event_base *base, const struct source_host *host,
               event_callback_fn started)
{
    t->hdr.ops = ops;
    t->host = *host;
    t->ev = event_new(base, -1, 0, started, t);
}

void
ts_source_started(struct ts_source *t, event_callback_fn next)
{
    t->host.started(&t->hdr, t->host.ctx);
    event_assign(t->ev, event_get_base(t->ev), -1, 0, next, t);
    event_active(t->ev, 0, 0);
}

void
ts_source_start(struct source *s)
{
    event_active(((struct ts_source *)s)->ev, 0, 0);
}

static void
source_stopped(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ts_source *t = arg;
    t->host.stopped(&t->hdr, t->host.ctx);
}

void
ts_source_stop(struct source *s)
{
    struct ts_source *t = (struct ts_source *)s;
    t->stopped = 1;
    event_del(t->ev);
    event_assign(t->ev, event_get_base(t->ev), -1, 0, source_stopped, t);
    event_active(t->ev, 0, 0);
}

void
ts_source_noop(struct source *s)
{
    (void)s;
}

void
ts_source_free(struct ts_source *t)
{
    event_free(t->ev);
}

struct plan *
ts_plan(const char *plan_class, const char *type, const char *resource_name,
        int64_t when)
{
    char *text = dg_sprintf(
        "[{\"layer\":1,\"resources\":[{\"resourceType\":\"%s\","
        "\"resourceName\":\"%s\",\"parameters\":{"
        "\"GlobalClusterIdentifier\":\"orders-global\","
        "\"DBClusterIdentifier\":\"arn:aws:rds:us-west-2:123456789012:"
        "cluster:w\"}}]}]",
        type, resource_name);
    cJSON *payload = cJSON_Parse(text);
    dg_free(text);
    ck_assert_ptr_nonnull(payload);
    struct plan_input in = {
        .payload = payload,
        .runbook = "test",
        .plan_class = plan_class,
        .trigger = "policy",
        .proposed_ms = when,
        .primary_region = "us-east-1",
        .secondary_region = "us-west-2",
    };
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    struct plan *p = NULL;
    ck_assert_msg(plan_build(&in, "test", &p, &errors) == DG_OK, "%s",
                  dg_buf_str(&errors));
    dg_buf_cleanup(&errors);
    cJSON_Delete(payload);
    return p;
}

const char *
ts_env_get(const char *name, void *ctx)
{
    struct ts_env *e = ctx;
    for (size_t i = 0; i < 32 && e->kv[i][0]; i++)
        if (strcmp(e->kv[i][0], name) == 0)
            return e->kv[i][1];
    return NULL;
}

void
ts_env_set(struct ts_env *e, const char *k, const char *v)
{
    size_t i = 0;
    for (; i < 31 && e->kv[i][0]; i++)
        if (strcmp(e->kv[i][0], k) == 0)
            break;
    e->kv[i][0] = k;
    e->kv[i][1] = v;
}

static void
run_until_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

void
ts_run_until(struct event_base *b, const int *n, int want)
{
    int expired = 0;
    struct event *t = evtimer_new(b, run_until_deadline, &expired);
    dg_clock_arm(t, 20000);
    while (*n < want && !expired)
        event_base_loop(b, EVLOOP_ONCE);
    event_free(t);
    ck_assert_msg(*n >= want, "timed out waiting for completions");
}

struct profile_file *
ts_profile(const char *text, int kind)
{
    struct profile_file *f = NULL;
    struct dg_err e;
    dg_err_clear(&e);
    if (!text)
        return NULL;
    ck_assert_msg(profile_file_parse(text, strlen(text),
                                     (enum profile_kind)kind, &f, &e) == DG_OK,
                  "%s", e.msg);
    return f;
}

const char *
ts_no_env(const char *name, void *ctx)
{
    (void)name;
    (void)ctx;
    return NULL;
}

void
ts_creds_get(struct aws_creds_provider *p, struct event_base *b, int64_t now_ms,
             struct ts_creds_got *g)
{
    int want = g->calls + 1;
    aws_creds_get(p, now_ms, ts_creds_got_cb, g);
    ts_run_until(b, &g->calls, want);
}

void
ts_creds_got_cb(struct aws_creds *c, dg_rc rc, const struct dg_err *err,
                void *ctx)
{
    struct ts_creds_got *g = ctx;
    g->calls++;
    g->rc = rc;
    if (c) {
        snprintf(g->ak, sizeof(g->ak), "%s", c->access_key_id);
        snprintf(g->sk, sizeof(g->sk), "%s", c->secret_access_key);
        snprintf(g->source, sizeof(g->source), "%s", c->source);
        g->expires = c->expires_ms;
    } else {
        g->ak[0] = g->sk[0] = g->source[0] = '\0';
    }
    if (err)
        g->err = *err;
}
