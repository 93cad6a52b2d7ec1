/*
 * test_httpd_server.c - the fixture behind test_httpd_client.py: the HTTP
 * endpoint on a fresh event_base over a store in a temporary directory
 * (plans written through the store API, approvals, executions and steps
 * rows through SQL), with a metrics registry and a readiness flag.
 *
 * Usage: test_httpd_server DIR LISTEN [--allow-remote]
 * Prints "port N" once serving, or "error CODE MESSAGE" and exits 2 when
 * httpd_start refuses. Then reads commands on stdin, one per line, and
 * answers each with "ok" (or "bad") on stdout:
 *   ready 0|1 REASON     readiness the /readyz callback reports
 *   inc SOURCE           drgate_messages_received_total{source}++
 *   observe SERVICE SEC  drgate_aws_call_seconds{service} observation
 *   quit                 stop the loop (EOF on stdin does the same)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "httpd.h"
#include "mem.h"
#include "metrics.h"
#include "store.h"
#include "store_internal.h"

struct fixture {
    struct event_base *base;
    struct store *store;
    struct metrics *metrics;
    int ready;
    char reason[128];
    char line[512];
    size_t len;
};

static int
ready_cb(char *reason, size_t n, void *ctx)
{
    struct fixture *f = ctx;
    if (!f->ready)
        snprintf(reason, n, "%s", f->reason);
    return f->ready;
}

/* The scrape hook: drgate_plans{state} from the store. */
static void
scrape_cb(struct metrics *m, void *ctx)
{
    struct fixture *f = ctx;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_sqlite(f->store),
                           "SELECT state, count(*) FROM plans GROUP BY state",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW)
        metrics_set(m, MET_PLANS, ML((const char *)sqlite3_column_text(st, 0)),
                    (double)sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
}

static void
command(struct fixture *f, char *line)
{
    char *save = NULL;
    char *verb = strtok_r(line, " ", &save);
    char *a = strtok_r(NULL, " ", &save);
    char *b = strtok_r(NULL, "", &save);
    int ok = 0;
    if (verb && strcmp(verb, "quit") == 0) {
        event_base_loopbreak(f->base);
        ok = 1;
    } else if (verb && a && strcmp(verb, "ready") == 0) {
        f->ready = atoi(a);
        snprintf(f->reason, sizeof(f->reason), "%s", b ? b : "");
        ok = 1;
    } else if (verb && a && strcmp(verb, "inc") == 0) {
        ok = metrics_inc(f->metrics, MET_MESSAGES_RECEIVED, ML(a)) == DG_OK;
    } else if (verb && a && b && strcmp(verb, "observe") == 0) {
        ok = metrics_observe(f->metrics, MET_AWS_CALL_SECONDS, ML(a),
                             strtod(b, NULL)) == DG_OK;
    }
    printf("%s\n", ok ? "ok" : "bad");
    fflush(stdout);
}

static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
    struct fixture *f = arg;
    (void)what;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
        event_base_loopbreak(f->base);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            f->line[f->len] = '\0';
            command(f, f->line);
            f->len = 0;
        } else if (f->len < sizeof(f->line) - 1) {
            f->line[f->len++] = buf[i];
        }
    }
}

static int
fill(struct store *s)
{
    static const struct {
        const char *id, *digest, *cls, *state;
        long long t;
    } plans[] = {
        {"plan-20260101T000000Z-aaaaaaaa", "sha256:aa", "planned",
         "awaiting_approval", 1767225600000LL},
        {"plan-20260101T000100Z-bbbbbbbb", "sha256:bb", "unplanned",
         "executing", 1767225660000LL},
        {"plan-20260101T000200Z-cccccccc", "sha256:cc", "planned", "rejected",
         1767225720000LL},
    };
    struct dg_err err;
    for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json),
                 "{\"plan_id\":\"%s\",\"class\":\"%s\",\"layers\":[]}",
                 plans[i].id, plans[i].cls);
        if (store_plan_put(s, plans[i].id, plans[i].digest, plans[i].cls,
                           plans[i].state, json, plans[i].t, &err) != DG_OK) {
            fprintf(stderr, "store_plan_put: %s\n", err.msg);
            return -1;
        }
    }
    const char *sql =
        "INSERT INTO approval_requests "
        "(plan_id,digest,class,quorum,token_hash,data_loss,created_ms,expires_"
        "ms,state,decided_ms) VALUES "
        "('plan-20260101T000000Z-aaaaaaaa','sha256:aa','planned',2,"
        "'TOKENHASH',0,1767225600000,1767229200000,'pending',NULL),"
        "('plan-20260101T000200Z-cccccccc','sha256:cc','planned',1,"
        "'TOKENHASH',1,1767225720000,1767229320000,'rejected',"
        "1767225780000);"
        "INSERT INTO approvals VALUES "
        "('plan-20260101T000000Z-aaaaaaaa','alice','approve',"
        "'2026-01-01T00:00:30Z',1767225630000,'{\"signature\":\"SIGNATURE\"}'),"
        "('plan-20260101T000200Z-cccccccc','bob','reject',"
        "'2026-01-01T00:03:00Z',1767225780000,'{\"signature\":\"SIGNATURE\"}');"
        "INSERT INTO executions VALUES ('plan-20260101T000100Z-bbbbbbbb',"
        "'running',1767225670000,1767225700000,NULL,NULL);"
        "INSERT INTO steps (plan_id,step,layer,type,region,state,updated_ms) "
        "VALUES ('plan-20260101T000100Z-bbbbbbbb','1.1',1,'rds-failover',"
        "'us-west-2','succeeded',1767225690000),"
        "('plan-20260101T000100Z-bbbbbbbb','2.1',2,'route53-failover',"
        "'us-west-2','running',1767225700000);";
    char *msg = NULL;
    if (sqlite3_exec(store_sqlite(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fill: %s\n", msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DIR LISTEN [--allow-remote]\n", argv[0]);
        return 2;
    }
    dg_mem_init();
    struct fixture f = {0};
    snprintf(f.reason, sizeof(f.reason), "starting");
    char path[512];
    snprintf(path, sizeof(path), "%s/drgate.db", argv[1]);
    struct dg_err err;
    dg_err_clear(&err);
    if (store_open(path, STORE_SYNC_OFF, &f.store, &err) != DG_OK ||
        fill(f.store) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        store_close(f.store);
        return 1;
    }
    f.base = event_base_new();
    f.metrics = metrics_new();
    metrics_init_process(f.metrics, DRGATE_VERSION, 1767225600000LL);
    struct httpd_opts o = {
        .listen = argv[2],
        .allow_remote = argc > 3 && strcmp(argv[3], "--allow-remote") == 0,
        .timeout_s = 2,
        .metrics = f.metrics,
        .scrape = scrape_cb,
        .scrape_ctx = &f,
        .ready = ready_cb,
        .ready_ctx = &f,
        .plans = httpd_plans_from_store,
        .plans_ctx = f.store,
    };
    struct httpd *h = NULL;
    int status = 0;
    if (httpd_start(f.base, &o, &h, &err) != DG_OK) {
        printf("error %s %s\n", err.code, err.msg);
        status = 2;
        goto out;
    }
    printf("port %d\n", httpd_port(h));
    fflush(stdout);
    struct event *in = event_new(f.base, 0, EV_READ | EV_PERSIST, on_stdin, &f);
    event_add(in, NULL);
    event_base_dispatch(f.base);
    event_free(in);
out:
    httpd_free(h);
    metrics_free(f.metrics);
    event_base_free(f.base);
    store_close(f.store);
    return status;
}
