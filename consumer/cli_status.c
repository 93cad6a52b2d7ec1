/*
 * cli_status.c - `drgate status`: plans and their execution, read from the
 * store (WAL lets this run while the daemon writes).
 *
 *   drgate status [--config FILE] [--db PATH] [--json] [PLAN_ID]
 *
 * Lists every plan (newest first) with its state and, for executed plans,
 * each step: state, mutation record, calls, duration (so far, for a
 * running step), deadline and what was last seen. --json prints one
 * object {"plans": [...]} for machines. The store path is --db, else the
 * config's store.path (relative to service.state_dir, itself relative to
 * the config file's directory).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_internal.h"
#include "config.h"
#include "json.h"
#include "mem.h"
#include "store.h"
#include "store_steps.h"
#include "timefmt.h"

struct status_ctx {
    struct store *store;
    const char *only;
    cJSON *plans;
    int64_t now;
    dg_rc rc;
    struct dg_err err;
};

static void
add_time(cJSON *o, const char *key, int64_t ms)
{
    if (ms <= 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char t[DG_TIME_STR_LEN];
    timefmt_format(ms, t);
    cJSON_AddStringToObject(o, key, t);
}

static int
on_step(const struct store_step_rec *r, void *ctx)
{
    struct status_ctx *sc = ctx;
    cJSON *plan =
        cJSON_GetArrayItem(sc->plans, cJSON_GetArraySize(sc->plans) - 1);
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(plan, "steps");
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "step", r->step);
    cJSON_AddNumberToObject(s, "layer", r->layer);
    cJSON_AddStringToObject(s, "type", r->type);
    cJSON_AddStringToObject(s, "region", r->region);
    cJSON_AddStringToObject(s, "state", r->state);
    cJSON_AddStringToObject(s, "mutation", r->mutation);
    cJSON_AddNumberToObject(s, "mutating_calls", r->attempts);
    add_time(s, "started", r->started_ms);
    add_time(s, "finished", r->finished_ms);
    add_time(s, "deadline", r->deadline_ms);
    int64_t end = r->finished_ms ? r->finished_ms : sc->now;
    if (r->started_ms)
        cJSON_AddNumberToObject(s, "duration_ms",
                                (double)(end - r->started_ms));
    struct dg_err err;
    cJSON *d = r->detail ? dg_json_parse(r->detail, strlen(r->detail), 1u << 24,
                                         64, &err)
                         : NULL;
    const char *name = dg_json_str(d, "name");
    const char *reason = dg_json_str(d, "reason");
    if (name)
        cJSON_AddStringToObject(s, "name", name);
    cJSON_AddBoolToObject(
        s, "already_satisfied",
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "already_satisfied")));
    if (reason)
        cJSON_AddStringToObject(s, "detail", reason);
    cJSON_Delete(d);
    cJSON_AddItemToArray(steps, s);
    return 0;
}

static int
on_plan(const struct store_plan_row *r, void *ctx)
{
    struct status_ctx *sc = ctx;
    if (sc->only && strcmp(sc->only, r->plan_id) != 0)
        return 0;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "plan_id", r->plan_id);
    if (r->plan_class)
        cJSON_AddStringToObject(p, "class", r->plan_class);
    if (r->plan_state)
        cJSON_AddStringToObject(p, "plan_state", r->plan_state);
    add_time(p, "created", r->created_ms);
    if (r->exec_state) {
        cJSON *e = cJSON_AddObjectToObject(p, "execution");
        cJSON_AddStringToObject(e, "state", r->exec_state);
        add_time(e, "started", r->exec_started_ms);
        add_time(e, "finished", r->exec_finished_ms);
        int64_t end = r->exec_finished_ms ? r->exec_finished_ms : sc->now;
        cJSON_AddNumberToObject(e, "duration_ms",
                                (double)(end - r->exec_started_ms));
    }
    cJSON_AddArrayToObject(p, "steps");
    cJSON_AddItemToArray(sc->plans, p);
    if (r->exec_state)
        sc->rc = store_step_list(sc->store, r->plan_id, on_step, sc, &sc->err);
    return sc->rc != DG_OK;
}

static void
print_text(const cJSON *plans)
{
    if (!cJSON_GetArraySize(plans)) {
        printf("no plans\n");
        return;
    }
    for (const cJSON *p = plans->child; p; p = p->next) {
        const cJSON *e = dg_json_obj(p, "execution");
        const cJSON *steps = dg_json_arr(p, "steps");
        int done = 0, total = cJSON_GetArraySize(steps);
        for (const cJSON *s = steps ? steps->child : NULL; s; s = s->next)
            done += strcmp(dg_json_str(s, "state"), "succeeded") == 0;
        long long dur = 0;
        (void)dg_json_int(e, "duration_ms", &dur);
        const char *cls = dg_json_str(p, "class");
        const char *pst = dg_json_str(p, "plan_state");
        printf("%s  %s  %s", dg_json_str(p, "plan_id"), cls ? cls : "-",
               e     ? dg_json_str(e, "state")
               : pst ? pst
                     : "-");
        if (e)
            printf("  %d/%d steps done  %.1f s", done, total,
                   (double)dur / 1000.0);
        printf("\n");
        for (const cJSON *s = steps ? steps->child : NULL; s; s = s->next) {
            long long sd = -1, calls = 0;
            (void)dg_json_int(s, "duration_ms", &sd);
            (void)dg_json_int(s, "mutating_calls", &calls);
            const char *detail = dg_json_str(s, "detail");
            printf("  %-5s %-30s %-10s %-10s", dg_json_str(s, "step"),
                   dg_json_str(s, "type"), dg_json_str(s, "region"),
                   dg_json_str(s, "state"));
            if (sd >= 0)
                printf(" %7.1f s", (double)sd / 1000.0);
            else
                printf("        -");
            printf("  calls %lld%s", calls,
                   cJSON_IsTrue(
                       cJSON_GetObjectItemCaseSensitive(s, "already_satisfied"))
                       ? "  (already satisfied)"
                       : "");
            if (detail && *detail)
                printf("  %s", detail);
            printf("\n");
        }
    }
}

static char *
store_path(const char *config)
{
    struct dg_config *cfg = cli_load_config(cli_default_config(config));
    if (!cfg)
        return NULL;
    const char *p = cfg->store.path ? cfg->store.path : "drgate.db";
    char *out;
    if (p[0] == '/') {
        out = dg_strdup(p);
    } else {
        const char *sd = cfg->service.state_dir ? cfg->service.state_dir : ".";
        if (sd[0] == '/')
            out = dg_sprintf("%s/%s", sd, p);
        else
            out = dg_sprintf("%s/%s/%s", cfg->dir ? cfg->dir : ".", sd, p);
    }
    config_free(cfg);
    return out;
}

int
cli_cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *db = NULL;
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            printf("usage: drgate status [--config FILE] [--db PATH] [--json] "
                   "[PLAN_ID]\n"
                   "Lists plans and the progress of their steps, read from "
                   "the store.\n");
            return 0;
        default:
            return cli_usage_error("status", "unknown option");
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("status", "at most one PLAN_ID");
    char *path = db ? dg_strdup(db) : store_path(config);
    if (!path)
        return 1;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "drgate status: no store at %s\n", path);
        dg_free(path);
        return 1;
    }
    struct status_ctx sc = {.only = optind < argc ? argv[optind] : NULL};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sc.now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    dg_err_clear(&sc.err);
    if (store_open(path, STORE_SYNC_FULL, &sc.store, &sc.err) != DG_OK) {
        fprintf(stderr, "drgate status: %s\n", sc.err.msg);
        dg_free(path);
        return 1;
    }
    sc.plans = cJSON_CreateArray();
    dg_rc rc = store_plan_rows(sc.store, on_plan, &sc, &sc.err);
    if (rc == DG_OK)
        rc = sc.rc;
    int status = 0;
    if (rc != DG_OK) {
        fprintf(stderr, "drgate status: %s\n", sc.err.msg);
        status = 1;
    } else if (sc.only && !cJSON_GetArraySize(sc.plans)) {
        fprintf(stderr, "drgate status: no plan %s\n", sc.only);
        status = 1;
    } else if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "plans", sc.plans);
        sc.plans = NULL;
        char *s = cJSON_PrintUnformatted(o);
        printf("%s\n", s);
        cJSON_free(s);
        cJSON_Delete(o);
    } else {
        print_text(sc.plans);
    }
    cJSON_Delete(sc.plans);
    store_close(sc.store);
    dg_free(path);
    return status;
}
