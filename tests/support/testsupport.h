#ifndef DRGATE_TESTSUPPORT_H
#define DRGATE_TESTSUPPORT_H
/*
 * Shared helpers for the Check suites: data paths and file reading, scratch
 * SQLite files, the scenario config, and the common part of a scripted
 * source.
 */
#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <event2/event.h>

#include "config.h"
#include "err.h"
#include "source.h"

/* Returns DRGATE_TEST_DATA "/" rel in a static buffer. */
const char *ts_data(const char *rel);
/* Reads a whole file; caller frees with free(). NULL when missing. */
char *ts_read_file(const char *path, size_t *len);
/* Runs the suite with CK_NORMAL output; returns the process exit status. */
int ts_run(Suite *s);

/* A fake process environment for injected getenv callbacks: up to 31
 * variables; ts_env_set replaces a variable's value (NULL: unset). */
struct ts_env {
    const char *kv[32][2];
};
const char *ts_env_get(const char *name, void *ctx); /* ctx: struct ts_env */
void ts_env_set(struct ts_env *e, const char *k, const char *v);

/* Loops b until *n >= want; fails the test after 20 s (a lost
 * completion). */
void ts_run_until(struct event_base *b, const int *n, int want);

struct aws_creds;
/* What an aws_creds_fn delivered, for the credentials tests: pass
 * ts_creds_got_cb with a zeroed struct ts_creds_got as ctx. Without
 * credentials ak, sk and source are emptied; err is copied when given. */
struct ts_creds_got {
    int calls;
    dg_rc rc;
    char ak[64], sk[64], source[32];
    int64_t expires;
    struct dg_err err;
};
void ts_creds_got_cb(struct aws_creds *c, dg_rc rc, const struct dg_err *err,
                     void *ctx);
struct profile_file;
/* The profile file text parsed as kind (enum profile_kind), asserting it
 * parses; NULL text gives NULL. */
struct profile_file *ts_profile(const char *text, int kind);
/* An environment lookup that finds nothing. */
const char *ts_no_env(const char *name, void *ctx);
struct aws_creds_provider;
/* aws_creds_get(p, now_ms) into g, then runs b until that one answered. */
void ts_creds_get(struct aws_creds_provider *p, struct event_base *b,
                  int64_t now_ms, struct ts_creds_got *g);

struct plan;
/* Builds a one-layer, one-step plan (runbook "test", trigger "policy",
 * us-east-1 to us-west-2) of this class whose step is a resource of this
 * type and name with orders-global's parameters; free with plan_free. */
struct plan *ts_plan(const char *plan_class, const char *type,
                     const char *resource_name, int64_t when);

/* Writes DIR/drgate-test-NAME-PID.db to buf and removes a file left there. */
void ts_db_path(char *buf, size_t size, const char *dir, const char *name);
/* Removes a SQLite database and its -wal and -shm files. */
void ts_db_remove(const char *db);
/* Loads tests/data/scenarios/config.json (asserting it is valid) with the
 * first sink's path set to sinkfile; free with config_free. */
struct dg_config *ts_scenario_config(const char *sinkfile);

/* The common part of a scripted source, the first member of a test's own
 * source struct (so one pointer serves as both). ts_source_started runs
 * host.started and then next on the source's event; ts_source_stop sets
 * stopped and reports it from the loop; ts_source_free frees the event. */
struct ts_source {
    struct source hdr;
    struct source_host host;
    struct event *ev;
    int stopped;
};
void ts_source_init(struct ts_source *t, const struct source_ops *ops,
                    struct event_base *base, const struct source_host *host,
                    event_callback_fn started);
void ts_source_started(struct ts_source *t, event_callback_fn next);
void ts_source_start(struct source *s);
void ts_source_stop(struct source *s);
void ts_source_noop(struct source *s);
void ts_source_free(struct ts_source *t);

#endif
