/*
 * cli_status.c - `drgate status`: plans and their execution, read from the
 * store (WAL lets this run while the daemon writes).
 *
 *   drgate status [--config FILE] [--db PATH] [--json] [PLAN_ID]
 *   drgate status --watch [--plan PLAN_ID] [--config FILE] [--db PATH]
 *
 * Lists every plan (newest first) with its state and, for executed plans,
 * each step: state, mutation record, calls, duration (so far, for a
 * running step), deadline and what was last seen. --json prints one
 * object {"plans": [...]} for machines. The store path is --db, else the
 * config's store.path (relative to service.state_dir, itself relative to
 * the config file's directory).
 *
 * --watch follows one plan (--plan, else the newest executing plan, else
 * the most recent one; with no plan yet it waits for the first) once a
 * second until it finishes: on a terminal it redraws the plan, its layers
 * and steps with their state and elapsed time (ANSI clear and home); on
 * anything else it prints one plain line per change, without escape
 * codes. Exit status: 0 when the plan succeeded, 1 when it failed or was
 * rejected or expired (or the store cannot be read), 130 on Ctrl-C.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_internal.h"
#include "clock.h"
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

/* Reads the plans (only sc->only when set) into a fresh sc->plans. */
static dg_rc
collect(struct status_ctx *sc)
{
    cJSON_Delete(sc->plans);
    sc->plans = cJSON_CreateArray();
    sc->now = dg_clock_wall_ms();
    sc->rc = DG_OK;
    dg_err_clear(&sc->err);
    dg_rc rc = store_plan_rows(sc->store, on_plan, sc, &sc->err);
    return rc != DG_OK ? rc : sc->rc;
}

/* ---- --watch ---------------------------------------------------------- */

static volatile sig_atomic_t watch_stop;

static void
on_stop_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

/* The plan's state for people: the execution's when there is one. */
static const char *
watch_state(const cJSON *p)
{
    const cJSON *e = dg_json_obj(p, "execution");
    const char *st = e ? dg_json_str(e, "state") : dg_json_str(p, "plan_state");
    return st ? st : "-";
}

/* 0 while running; else the exit status (0 succeeded, 1 otherwise). */
static int
watch_final(const cJSON *p)
{
    const char *st = watch_state(p);
    if (strcmp(st, "succeeded") == 0)
        return 0;
    if (strcmp(st, "failed") == 0 || strcmp(st, "rejected") == 0 ||
        strcmp(st, "expired") == 0)
        return 1;
    return -1;
}

static void
watch_counts(const cJSON *p, int *done, int *total)
{
    const cJSON *steps = dg_json_arr(p, "steps");
    *done = 0;
    *total = cJSON_GetArraySize(steps);
    for (const cJSON *s = steps ? steps->child : NULL; s; s = s->next)
        *done += strcmp(dg_json_str(s, "state"), "succeeded") == 0;
}

static double
watch_elapsed_s(const cJSON *p, int64_t now)
{
    const cJSON *e = dg_json_obj(p, "execution");
    long long ms = 0;
    if (e && dg_json_int(e, "duration_ms", &ms))
        return (double)ms / 1000.0;
    int64_t created = 0;
    const char *c = dg_json_str(p, "created");
    if (c && timefmt_parse(c, &created) == 0 && now > created)
        return (double)(now - created) / 1000.0;
    return 0;
}

/* "HH:MM:SS" (UTC) of ms. */
static void
clock_str(int64_t ms, char out[16])
{
    char t[DG_TIME_STR_LEN];
    timefmt_format(ms, t);
    snprintf(out, 16, "%.8s", t + 11);
}

/* The whole view, for a terminal. */
static void
watch_draw(const cJSON *p, int64_t now)
{
    char t[DG_TIME_STR_LEN];
    timefmt_format(now, t);
    printf("\033[H\033[2Jdrgate status --watch   %s   (Ctrl-C to stop)\n\n", t);
    if (!p) {
        printf("waiting for a plan...\n");
        return;
    }
    int done, total;
    watch_counts(p, &done, &total);
    const char *cls = dg_json_str(p, "class");
    printf("plan %s  %s  %s  %d/%d steps done  elapsed %.1f s\n\n",
           dg_json_str(p, "plan_id"), cls ? cls : "-", watch_state(p), done,
           total, watch_elapsed_s(p, now));
    long long layer = -1;
    const cJSON *steps = dg_json_arr(p, "steps");
    if (!steps || !steps->child)
        printf("  (no steps yet: the plan has not started)\n");
    for (const cJSON *s = steps ? steps->child : NULL; s; s = s->next) {
        long long l = 0, sd = -1;
        (void)dg_json_int(s, "layer", &l);
        if (l != layer) {
            printf("layer %lld\n", l);
            layer = l;
        }
        (void)dg_json_int(s, "duration_ms", &sd);
        const char *detail = dg_json_str(s, "detail");
        printf("  %-5s %-30s %-10s %-10s", dg_json_str(s, "step"),
               dg_json_str(s, "type"), dg_json_str(s, "region"),
               dg_json_str(s, "state"));
        if (sd >= 0)
            printf(" %7.1f s", (double)sd / 1000.0);
        else
            printf("        -");
        if (detail && *detail)
            printf("  %.60s", detail);
        printf("\n");
    }
}

/* The plan's line when its state changed (seen["plan"]). */
static void
watch_plan_line(const cJSON *p, int64_t now, const char *c, cJSON *seen)
{
    const char *st = watch_state(p);
    const char *was = dg_json_str(seen, "plan");
    if (was && strcmp(was, st) == 0)
        return;
    int done, total;
    watch_counts(p, &done, &total);
    const char *cls = dg_json_str(p, "class");
    printf("%s plan %s %s: %s", c, dg_json_str(p, "plan_id"), cls ? cls : "-",
           st);
    if (watch_final(p) >= 0)
        printf(" (%d/%d steps succeeded, %.1f s)", done, total,
               watch_elapsed_s(p, now));
    printf("\n");
    cJSON_DeleteItemFromObjectCaseSensitive(seen, "plan");
    cJSON_AddStringToObject(seen, "plan", st);
}

/* One plain line per change since the last call (seen: key -> state);
 * the plan's final line comes after its steps'. */
static void
watch_lines(const cJSON *p, int64_t now, cJSON *seen)
{
    char c[16];
    clock_str(now, c);
    if (watch_final(p) < 0)
        watch_plan_line(p, now, c, seen);
    const cJSON *steps = dg_json_arr(p, "steps");
    for (const cJSON *s = steps ? steps->child : NULL; s; s = s->next) {
        const char *step = dg_json_str(s, "step");
        const char *sst = dg_json_str(s, "state");
        const char *prev = dg_json_str(seen, step);
        if (prev && strcmp(prev, sst) == 0)
            continue;
        long long layer = 0, sd = -1;
        (void)dg_json_int(s, "layer", &layer);
        (void)dg_json_int(s, "duration_ms", &sd);
        printf("%s step %s layer %lld %s %s: %s", c, step, layer,
               dg_json_str(s, "type"), dg_json_str(s, "region"), sst);
        if ((strcmp(sst, "succeeded") == 0 || strcmp(sst, "failed") == 0) &&
            sd >= 0)
            printf(" in %.1f s", (double)sd / 1000.0);
        const char *detail = dg_json_str(s, "detail");
        if (strcmp(sst, "failed") == 0 && detail && *detail)
            printf(" (%s)", detail);
        printf("\n");
        cJSON_DeleteItemFromObjectCaseSensitive(seen, step);
        cJSON_AddStringToObject(seen, step, sst);
    }
    watch_plan_line(p, now, c, seen);
}

/* The plan to follow: the named one, else the newest executing, else the
 * most recent (plans come newest first). */
static const cJSON *
watch_pick(const cJSON *plans, const char *id)
{
    for (const cJSON *p = plans->child; p; p = p->next)
        if (id && strcmp(dg_json_str(p, "plan_id"), id) == 0)
            return p;
    if (id)
        return NULL;
    for (const cJSON *p = plans->child; p; p = p->next)
        if (strcmp(watch_state(p), "executing") == 0)
            return p;
    return plans->child;
}

static int
watch(struct status_ctx *sc, const char *only)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    int tty = isatty(STDOUT_FILENO);
    char *id = only ? dg_strdup(only) : NULL;
    cJSON *seen = cJSON_CreateObject();
    int status = -1, waiting = 0;
    while (status < 0 && !watch_stop) {
        sc->only = id;
        dg_rc rc = collect(sc);
        if (rc != DG_OK && rc != DG_ETRANSIENT) {
            fprintf(stderr, "drgate status: %s\n", sc->err.msg);
            status = 1;
            break;
        }
        const cJSON *p = rc == DG_OK ? watch_pick(sc->plans, id) : NULL;
        if (rc == DG_OK && !p && only) {
            fprintf(stderr, "drgate status: no plan %s\n", only);
            status = 1;
            break;
        }
        if (p && !id)
            id = dg_strdup(dg_json_str(p, "plan_id")); /* follow this one */
        if (tty) {
            if (rc == DG_OK)
                watch_draw(p, sc->now);
        } else if (p) {
            watch_lines(p, sc->now, seen);
        } else if (rc == DG_OK && !waiting) {
            char c[16];
            clock_str(sc->now, c);
            printf("%s waiting for a plan\n", c);
            waiting = 1;
        }
        fflush(stdout);
        if (p && watch_final(p) >= 0) {
            status = watch_final(p);
            break;
        }
        struct timespec one = {1, 0};
        while (nanosleep(&one, &one) != 0 && errno == EINTR && !watch_stop)
            ;
    }
    if (status < 0) { /* Ctrl-C */
        if (tty)
            printf("\n");
        status = 130;
    }
    fflush(stdout);
    cJSON_Delete(seen);
    dg_free(id);
    return status;
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
        {"watch", no_argument, NULL, 'w'},
        {"plan", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *db = NULL, *plan = NULL;
    int json = 0, watching = 0, c;
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
        case 'w':
            watching = 1;
            break;
        case 'p':
            plan = optarg;
            break;
        case 'h':
            printf("usage: drgate status [--config FILE] [--db PATH] [--json] "
                   "[PLAN_ID]\n"
                   "       drgate status --watch [--plan PLAN_ID] [--config "
                   "FILE] [--db PATH]\n"
                   "Lists plans and the progress of their steps, read from "
                   "the store.\n"
                   "--watch follows one plan (default: the newest executing, "
                   "else the most\nrecent) every second until it finishes; "
                   "exits 0 when it succeeded.\n");
            return 0;
        default:
            return cli_usage_error("status", "unknown option");
        }
    }
    if (argc - optind > 1 || (plan && optind < argc))
        return cli_usage_error("status", "at most one PLAN_ID");
    if (watching && json)
        return cli_usage_error("status", "--watch and --json do not combine");
    if (!plan && optind < argc)
        plan = argv[optind];
    char *path = db ? dg_strdup(db) : store_path(config);
    if (!path)
        return 1;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "drgate status: no store at %s\n", path);
        dg_free(path);
        return 1;
    }
    struct status_ctx sc = {.only = plan};
    dg_err_clear(&sc.err);
    if (store_open(path, STORE_SYNC_FULL, &sc.store, &sc.err) != DG_OK) {
        fprintf(stderr, "drgate status: %s\n", sc.err.msg);
        dg_free(path);
        return 1;
    }
    if (watching) {
        int st = watch(&sc, plan);
        cJSON_Delete(sc.plans);
        store_close(sc.store);
        dg_free(path);
        return st;
    }
    dg_rc rc = collect(&sc);
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
