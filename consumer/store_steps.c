/*
 * store_steps.c - SQL for the executor's tables (migration 4: executions,
 * steps) and the plan listing `drgate status` reads.
 *
 * Ownership: records passed in are borrowed; records handed to callbacks
 * point into SQLite's row buffers and are valid only during the callback.
 * Errors map through store_sqlite_error (DG_ETRANSIENT for busy and I/O,
 * DG_EFATAL otherwise). Statements are prepared per call with
 * SQLITE_PREPARE_PERSISTENT; SQLite's cache makes that cheap next to a
 * durable commit.
 */
#include "store_steps.h"

#include <string.h>

#include "store_internal.h"

static dg_rc
prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct dg_err *err)
{
    int rc = sqlite3_prepare_v3(store_sqlite(s), sql, -1,
                                SQLITE_PREPARE_PERSISTENT, st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_error(s, rc, err, "prepare");
    return DG_OK;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void
bind_ms(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static dg_rc
run_done(struct store *s, sqlite3_stmt *st, struct dg_err *err,
         const char *what)
{
    int r = sqlite3_step(st);
    dg_rc rc = DG_OK;
    if (r != SQLITE_DONE)
        rc = store_sqlite_error(s, r, err, what);
    sqlite3_finalize(st);
    return rc;
}

dg_rc
store_exec_insert(struct store *s, const struct store_exec_rec *r,
                  struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prepare(s,
                       "INSERT INTO executions (plan_id, state, started_ms, "
                       "updated_ms, finished_ms, detail) VALUES "
                       "(?, ?, ?, ?, ?, ?) ON CONFLICT (plan_id) DO NOTHING",
                       &st, err);
    if (rc != DG_OK)
        return rc;
    bind_text(st, 1, r->plan_id);
    bind_text(st, 2, r->state);
    sqlite3_bind_int64(st, 3, r->started_ms);
    sqlite3_bind_int64(st, 4, r->updated_ms);
    bind_ms(st, 5, r->finished_ms);
    bind_text(st, 6, r->detail);
    rc = run_done(s, st, err, "execution insert");
    if (rc == DG_OK && sqlite3_changes(store_sqlite(s)) == 0)
        rc = dg_err_setc(err, DG_EINVALID, "exists",
                         "plan %s has already been executed or is executing",
                         r->plan_id);
    return rc;
}

dg_rc
store_exec_set_state(struct store *s, const char *plan_id, const char *state,
                     int64_t now_ms, int64_t finished_ms, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prepare(s,
                       "UPDATE executions SET state = ?, updated_ms = ?, "
                       "finished_ms = ? WHERE plan_id = ?",
                       &st, err);
    if (rc != DG_OK)
        return rc;
    bind_text(st, 1, state);
    sqlite3_bind_int64(st, 2, now_ms);
    bind_ms(st, 3, finished_ms);
    bind_text(st, 4, plan_id);
    return run_done(s, st, err, "execution update");
}

dg_rc
store_exec_list(struct store *s, const char *state,
                int (*fn)(const struct store_exec_rec *r, void *ctx), void *ctx,
                struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prepare(s,
                       "SELECT plan_id, state, started_ms, updated_ms, "
                       "finished_ms, detail FROM executions WHERE ?1 IS NULL "
                       "OR state = ?1 ORDER BY started_ms, plan_id",
                       &st, err);
    if (rc != DG_OK)
        return rc;
    bind_text(st, 1, state);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_exec_rec e = {
            .plan_id = col_text(st, 0),
            .state = col_text(st, 1),
            .started_ms = sqlite3_column_int64(st, 2),
            .updated_ms = sqlite3_column_int64(st, 3),
            .finished_ms = sqlite3_column_int64(st, 4),
            .detail = col_text(st, 5),
        };
        if (fn(&e, ctx))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = store_sqlite_error(s, r, err, "execution list");
    sqlite3_finalize(st);
    return rc;
}

dg_rc
store_step_put(struct store *s, const struct store_step_rec *r,
               struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prepare(
        s,
        "INSERT OR REPLACE INTO steps (plan_id, step, layer, type, region, "
        "state, mutation, attempts, started_ms, updated_ms, deadline_ms, "
        "finished_ms, detail, observed) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &st, err);
    if (rc != DG_OK)
        return rc;
    bind_text(st, 1, r->plan_id);
    bind_text(st, 2, r->step);
    sqlite3_bind_int(st, 3, r->layer);
    bind_text(st, 4, r->type);
    bind_text(st, 5, r->region);
    bind_text(st, 6, r->state);
    bind_text(st, 7, r->mutation ? r->mutation : "none");
    sqlite3_bind_int(st, 8, r->attempts);
    bind_ms(st, 9, r->started_ms);
    sqlite3_bind_int64(st, 10, r->updated_ms);
    bind_ms(st, 11, r->deadline_ms);
    bind_ms(st, 12, r->finished_ms);
    bind_text(st, 13, r->detail);
    bind_text(st, 14, r->observed);
    return run_done(s, st, err, "step put");
}

dg_rc
store_step_list(struct store *s, const char *plan_id,
                int (*fn)(const struct store_step_rec *r, void *ctx), void *ctx,
                struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prepare(s,
                       "SELECT plan_id, step, layer, type, region, state, "
                       "mutation, attempts, started_ms, updated_ms, "
                       "deadline_ms, finished_ms, detail, observed FROM steps "
                       "WHERE plan_id = ? ORDER BY layer, step",
                       &st, err);
    if (rc != DG_OK)
        return rc;
    bind_text(st, 1, plan_id);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_step_rec e = {
            .plan_id = col_text(st, 0),
            .step = col_text(st, 1),
            .layer = sqlite3_column_int(st, 2),
            .type = col_text(st, 3),
            .region = col_text(st, 4),
            .state = col_text(st, 5),
            .mutation = col_text(st, 6),
            .attempts = sqlite3_column_int(st, 7),
            .started_ms = sqlite3_column_int64(st, 8),
            .updated_ms = sqlite3_column_int64(st, 9),
            .deadline_ms = sqlite3_column_int64(st, 10),
            .finished_ms = sqlite3_column_int64(st, 11),
            .detail = col_text(st, 12),
            .observed = col_text(st, 13),
        };
        if (fn(&e, ctx))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = store_sqlite_error(s, r, err, "step list");
    sqlite3_finalize(st);
    return rc;
}

dg_rc
store_plan_rows(struct store *s,
                int (*fn)(const struct store_plan_row *r, void *ctx), void *ctx,
                struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prepare(
        s,
        "SELECT p.plan_id, p.class, p.state, p.created_ms, e.state, "
        "e.started_ms, e.finished_ms FROM plans p LEFT JOIN executions e "
        "ON e.plan_id = p.plan_id "
        "UNION ALL "
        "SELECT e.plan_id, NULL, NULL, e.started_ms, e.state, e.started_ms, "
        "e.finished_ms FROM executions e WHERE e.plan_id NOT IN "
        "(SELECT plan_id FROM plans) "
        "ORDER BY 4 DESC, 1",
        &st, err);
    if (rc != DG_OK)
        return rc;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_plan_row e = {
            .plan_id = col_text(st, 0),
            .plan_class = col_text(st, 1),
            .plan_state = col_text(st, 2),
            .created_ms = sqlite3_column_int64(st, 3),
            .exec_state = col_text(st, 4),
            .exec_started_ms = sqlite3_column_int64(st, 5),
            .exec_finished_ms = sqlite3_column_int64(st, 6),
        };
        if (fn(&e, ctx))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = store_sqlite_error(s, r, err, "plan list");
    sqlite3_finalize(st);
    return rc;
}
