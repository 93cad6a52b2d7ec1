/*
 * exec_driver.c - TEST BUILD ONLY: runs one plan through the executor
 * against the AWS endpoints of the environment (the sandbox's env file),
 * the way the daemon will, and can be told to die at a named point.
 *
 *   exec_driver --db DB --events FILE --report FILE
 *               (--runbook RUNBOOK.json --vars VARS.json [--resolve]
 *                [--plan-out FILE] | --resume)
 *
 * VARS.json: {"primary_region", "secondary_region", "variables": {...}}.
 * --resolve resolves "!Import" and "resolve:ssm:" references (CloudFormation
 * exports, SSM) before plan_build, as the daemon's proposal path does.
 * DRGATE_TEST_CRASH_AT=after_intent|after_call|mid_wait (and optionally
 * DRGATE_TEST_CRASH_STEP=1.1) makes the process abort() at that point of
 * that step: nothing after it is written, as with kill -9. This hook lives
 * here, in a test program; the drgate binary has none.
 *
 * Exit: 0 plan succeeded, 1 plan failed, 2 usage or setup error, 3 nothing
 * to resume.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "client.h"
#include "creds.h"
#include "executor.h"
#include "http.h"
#include "json.h"
#include "mem.h"
#include "plan.h"
#include "actions/registry_actions.h"
#include "resolve.h"
#include "runbook.h"
#include "store.h"
#include "svc.h"

struct drv {
    struct event_base *base;
    FILE *events;
    const char *report_path;
    int result; /* -1 running, 0 ok, 1 failed */
    const char *crash_at, *crash_step;
    cJSON *vars;
    cJSON *resolved;
    dg_rc resolve_rc;
    char resolve_msg[1024];
};

static dg_rc
on_event(struct store *s, const char *type, const cJSON *data,
         struct dg_err *err, void *ctx)
{
    (void)s;
    (void)err;
    struct drv *d = ctx;
    char *j = cJSON_PrintUnformatted(data);
    fprintf(d->events, "{\"type\":\"%s\",\"data\":%s}\n", type, j);
    fflush(d->events);
    cJSON_free(j);
    return DG_OK;
}

static void
on_done(const char *plan_id, int ok, const cJSON *report, void *ctx)
{
    (void)plan_id;
    struct drv *d = ctx;
    FILE *f = fopen(d->report_path, "w");
    if (f) {
        char *j = cJSON_Print(report);
        fprintf(f, "%s\n", j);
        cJSON_free(j);
        fclose(f);
    }
    d->result = ok ? 0 : 1;
    event_base_loopbreak(d->base);
}

static int
on_checkpoint(const char *point, const char *plan_id, const char *step,
              void *ctx)
{
    (void)plan_id;
    struct drv *d = ctx;
    if (d->crash_at && strcmp(point, d->crash_at) == 0 &&
        (!d->crash_step || strcmp(step, d->crash_step) == 0)) {
        fprintf(stderr, "exec_driver: crashing at %s of step %s\n", point,
                step);
        abort();
    }
    return 0;
}

static const char *
lookup(const char *name, void *ctx)
{
    struct drv *d = ctx;
    return dg_json_str(dg_json_obj(d->vars, "variables"), name);
}

static cJSON *
read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct dg_err err;
    return dg_json_parse(buf, n, sizeof(buf), 64, &err);
}

static void
on_resolved(cJSON *resolved, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct drv *d = ctx;
    d->resolved = resolved;
    d->resolve_rc = rc;
    if (err)
        snprintf(d->resolve_msg, sizeof(d->resolve_msg), "%s", err->msg);
    event_base_loopbreak(d->base);
}

int
main(int argc, char **argv)
{
    const char *db = NULL, *events = NULL, *runbook = NULL, *vars = NULL,
               *plan_out = NULL;
    int resume = 0, resolve = 0;
    struct drv d = {.result = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--resume") == 0) {
            resume = 1;
        } else if (strcmp(a, "--resolve") == 0) {
            resolve = 1;
        } else if (v && strcmp(a, "--db") == 0) {
            db = v, i++;
        } else if (v && strcmp(a, "--events") == 0) {
            events = v, i++;
        } else if (v && strcmp(a, "--report") == 0) {
            d.report_path = v, i++;
        } else if (v && strcmp(a, "--runbook") == 0) {
            runbook = v, i++;
        } else if (v && strcmp(a, "--vars") == 0) {
            vars = v, i++;
        } else if (v && strcmp(a, "--plan-out") == 0) {
            plan_out = v, i++;
        } else {
            fprintf(stderr, "exec_driver: bad argument %s\n", a);
            return 2;
        }
    }
    if (!db || !events || !d.report_path || (!resume && (!runbook || !vars))) {
        fprintf(stderr, "exec_driver: usage: see the source\n");
        return 2;
    }
    dg_mem_init();
    d.crash_at = getenv("DRGATE_TEST_CRASH_AT");
    d.crash_step = getenv("DRGATE_TEST_CRASH_STEP");
    d.events = fopen(events, "a");
    if (!d.events)
        return 2;
    d.base = event_base_new();
    struct dg_err err;
    dg_err_clear(&err);
    struct store *store = NULL;
    if (store_open(db, STORE_SYNC_FULL, &store, &err) != DG_OK) {
        fprintf(stderr, "exec_driver: %s\n", err.msg);
        return 2;
    }
    const char *ak = getenv("AWS_ACCESS_KEY_ID");
    const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (!ak || !sk) {
        fprintf(stderr, "exec_driver: no credentials in the environment\n");
        return 2;
    }
    struct aws_creds *c = aws_creds_new(ak, sk, NULL, 0, "env");
    struct aws_creds_provider *creds = aws_creds_static_new(d.base, c);
    aws_creds_unref(c);
    struct http_engine *http = http_engine_new(d.base, NULL);
    const char *region = getenv("AWS_REGION");
    struct aws_client_opts o = {.region = region ? region : "us-west-2",
                                .max_attempts = 3,
                                .retry_base_ms = 100,
                                .retry_max_ms = 1000};
    struct svc_client sc = {d.base, aws_client_new(d.base, http, creds, &o)};

    struct executor_opts eo = {
        .base = d.base,
        .store = store,
        .actions = actions_aws_catalog(&sc),
        .hooks = {on_event, on_done, NULL, on_checkpoint, &d},
    };
    const char *g = getenv("DRGATE_TEST_SENT_GRACE_MS");
    if (g)
        eo.sent_grace_ms = atoll(g);
    struct executor *ex = executor_new(&eo);
    int rc = 2;
    if (resume) {
        int n = 0;
        if (executor_resume(ex, &n, &err) != DG_OK) {
            fprintf(stderr, "exec_driver: resume: %s\n", err.msg);
            goto out;
        }
        if (n == 0) {
            rc = 3;
            goto out;
        }
    } else {
        d.vars = read_json(vars);
        struct dg_buf errors;
        dg_buf_init(&errors, 65536);
        cJSON *doc = NULL;
        if (!d.vars || runbook_load(runbook, &doc, &errors) != DG_OK) {
            fprintf(stderr, "exec_driver: %s\n", dg_buf_str(&errors));
            dg_buf_cleanup(&errors);
            goto out;
        }
        const char *pr = dg_json_str(d.vars, "primary_region");
        const char *sr = dg_json_str(d.vars, "secondary_region");
        const cJSON *payload = dg_json_arr(doc, "StatePayload");
        if (resolve) {
            struct resolve_regions rg = {pr, sr, lookup, &d};
            struct resolver r = actions_aws_resolver(&sc);
            resolve_plan_payload(d.base, payload, &rg, &r, on_resolved, &d);
            event_base_dispatch(d.base);
            if (d.resolve_rc != DG_OK) {
                fprintf(stderr, "exec_driver: resolve: %s\n", d.resolve_msg);
                cJSON_Delete(doc);
                dg_buf_cleanup(&errors);
                rc = 1;
                goto out;
            }
            payload = d.resolved;
        }
        struct plan_input in = {.payload = payload,
                                .runbook = runbook,
                                .plan_class = "planned",
                                .trigger = "command",
                                .proposed_ms = 1767225600000LL,
                                .primary_region = pr,
                                .secondary_region = sr,
                                .lookup = lookup,
                                .lookup_ctx = &d};
        struct plan *p = NULL;
        if (plan_build(&in, runbook, &p, &errors) != DG_OK) {
            fprintf(stderr, "exec_driver: %s\n", dg_buf_str(&errors));
            cJSON_Delete(doc);
            dg_buf_cleanup(&errors);
            goto out;
        }
        if (plan_out) {
            FILE *f = fopen(plan_out, "w");
            if (f) {
                fprintf(f, "%s\n", p->canonical);
                fclose(f);
            }
        }
        dg_rc r = executor_start(ex, p->id, p->body, NULL, &err);
        plan_free(p);
        cJSON_Delete(doc);
        dg_buf_cleanup(&errors);
        if (r != DG_OK) {
            fprintf(stderr, "exec_driver: start: %s\n", err.msg);
            goto out;
        }
    }
    event_base_dispatch(d.base);
    rc = d.result < 0 ? 2 : d.result;
out:
    executor_free(ex);
    aws_client_free(sc.aws);
    http_engine_free(http);
    aws_creds_provider_free(creds);
    store_close(store);
    cJSON_Delete(d.vars);
    cJSON_Delete(d.resolved);
    event_base_free(d.base);
    fclose(d.events);
    return rc;
}
