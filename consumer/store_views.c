/*
 * store_views.c - read-only JSON views of plans for the HTTP endpoint.
 *
 * Ownership: statements are prepared and finalized per call (the endpoint
 * is not hot, and this keeps the store's statement cache untouched); the
 * JSON is built with cJSON and appended to the caller's bounded buffer.
 * Errors: SQLite failures go through store_sqlite_error (busy ->
 * DG_ETRANSIENT); an answer larger than out->max is DG_EINVALID.
 *
 * Columns that may be NULL (a plan without an approval request, an
 * execution not finished) come out as JSON null or are left out as
 * documented in store_views.h. Token hashes and signed replies are never
 * selected.
 */
#include "store_views.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "mem.h"
#include "store_internal.h"
#include "timefmt.h"

#define SUMMARY_SQL                                                            \
    "SELECT p.plan_id, p.digest, p.class, p.state, p.created_ms,"              \
    " p.updated_ms, r.state, r.quorum, r.expires_ms,"                          \
    " (SELECT count(*) FROM approvals a WHERE a.plan_id = p.plan_id"           \
    "   AND a.decision = 'approve'),"                                          \
    " (SELECT count(*) FROM approvals a WHERE a.plan_id = p.plan_id"           \
    "   AND a.decision <> 'approve'),"                                         \
    " e.state, e.started_ms, e.updated_ms, e.finished_ms,"                     \
    " p.json, r.data_loss, r.created_ms, r.decided_ms, e.detail"               \
    " FROM plans p"                                                            \
    " LEFT JOIN approval_requests r ON r.plan_id = p.plan_id"                  \
    " LEFT JOIN executions e ON e.plan_id = p.plan_id "

enum {
    C_ID,
    C_DIGEST,
    C_CLASS,
    C_STATE,
    C_CREATED,
    C_UPDATED,
    C_R_STATE,
    C_R_QUORUM,
    C_R_EXPIRES,
    C_N_APPROVE,
    C_N_REJECT,
    C_E_STATE,
    C_E_STARTED,
    C_E_UPDATED,
    C_E_FINISHED,
    C_JSON,
    C_R_DATA_LOSS,
    C_R_CREATED,
    C_R_DECIDED,
    C_E_DETAIL,
};

static void
add_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t)
        cJSON_AddStringToObject(o, key, (const char *)t);
    else
        cJSON_AddNullToObject(o, key);
}

static void
add_time(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char iso[DG_TIME_STR_LEN];
    timefmt_format(sqlite3_column_int64(st, col), iso);
    cJSON_AddStringToObject(o, key, iso);
}

static dg_rc
prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct dg_err *err)
{
    int rc = sqlite3_prepare_v2(store_sqlite(s), sql, -1, st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_error(s, rc, err, "preparing a plans view");
    return DG_OK;
}

/* progress {total, <state>: n} of plan_id's steps, or nothing when the
 * plan has no steps. */
static dg_rc
add_progress(struct store *s, cJSON *o, const char *plan_id, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc r = prepare(s,
                      "SELECT state, count(*) FROM steps WHERE plan_id = ?1 "
                      "GROUP BY state ORDER BY state",
                      &st, err);
    if (r != DG_OK)
        return r;
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_TRANSIENT);
    cJSON *pr = cJSON_CreateObject();
    long long total = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long n = sqlite3_column_int64(st, 1);
        const char *state = (const char *)sqlite3_column_text(st, 0);
        total += n;
        if (state && !cJSON_GetObjectItemCaseSensitive(pr, state))
            cJSON_AddNumberToObject(pr, state, (double)n);
    }
    if (rc != SQLITE_DONE) {
        r = store_sqlite_error(s, rc, err, "reading step progress");
        cJSON_Delete(pr);
    } else if (total == 0) {
        cJSON_Delete(pr);
    } else {
        cJSON_AddNumberToObject(pr, "total", (double)total);
        cJSON_AddItemToObject(o, "progress", pr);
    }
    sqlite3_finalize(st);
    return r;
}

/* The summary of the current row of a SUMMARY_SQL statement; detail adds
 * the plan body and the approval request's and execution's extra fields. */
static dg_rc
summary(struct store *s, sqlite3_stmt *st, int detail, cJSON **out,
        struct dg_err *err)
{
    cJSON *o = cJSON_CreateObject();
    add_text(o, "plan_id", st, C_ID);
    add_text(o, "digest", st, C_DIGEST);
    add_text(o, "class", st, C_CLASS);
    add_text(o, "state", st, C_STATE);
    add_time(o, "created", st, C_CREATED);
    add_time(o, "updated", st, C_UPDATED);
    if (sqlite3_column_type(st, C_R_STATE) != SQLITE_NULL) {
        cJSON *a = cJSON_AddObjectToObject(o, detail ? "approval_request"
                                                     : "approval");
        add_text(a, "state", st, C_R_STATE);
        cJSON_AddNumberToObject(a, "quorum",
                                (double)sqlite3_column_int64(st, C_R_QUORUM));
        cJSON_AddNumberToObject(a, "approvals",
                                (double)sqlite3_column_int64(st, C_N_APPROVE));
        cJSON_AddNumberToObject(a, "rejections",
                                (double)sqlite3_column_int64(st, C_N_REJECT));
        add_time(a, "expires", st, C_R_EXPIRES);
        if (detail) {
            cJSON_AddBoolToObject(a, "data_loss",
                                  sqlite3_column_int(st, C_R_DATA_LOSS) != 0);
            add_time(a, "created", st, C_R_CREATED);
            add_time(a, "decided", st, C_R_DECIDED);
        }
    }
    if (sqlite3_column_type(st, C_E_STATE) != SQLITE_NULL) {
        cJSON *e = cJSON_AddObjectToObject(o, "execution");
        add_text(e, "state", st, C_E_STATE);
        add_time(e, "started", st, C_E_STARTED);
        add_time(e, "updated", st, C_E_UPDATED);
        add_time(e, "finished", st, C_E_FINISHED);
        if (detail)
            add_text(e, "detail", st, C_E_DETAIL);
    }
    if (detail) {
        const char *json = (const char *)sqlite3_column_text(st, C_JSON);
        cJSON *body = json ? dg_json_parse(json, strlen(json),
                                           (size_t)DG_JSON_MAX_MESSAGE * 4,
                                           DG_JSON_MAX_DEPTH, NULL)
                           : NULL;
        if (body)
            cJSON_AddItemToObject(o, "plan", body);
        else
            cJSON_AddNullToObject(o, "plan");
    }
    char *id = dg_strdup((const char *)sqlite3_column_text(st, C_ID));
    dg_rc r = add_progress(s, o, id ? id : "", err);
    dg_free(id);
    if (r != DG_OK) {
        cJSON_Delete(o);
        return r;
    }
    *out = o;
    return DG_OK;
}

static dg_rc
append_json(const cJSON *v, struct dg_buf *out, struct dg_err *err)
{
    char *text = cJSON_PrintUnformatted(v);
    dg_rc r = text ? dg_buf_addstr(out, text) : DG_EINVALID;
    if (text)
        cJSON_free(text);
    if (r != DG_OK)
        return dg_err_setc(err, DG_EINVALID, "too_large",
                           "the answer exceeds %zu bytes", out->max);
    return DG_OK;
}

dg_rc
store_views_plans(struct store *s, int limit, const char *state,
                  struct dg_buf *out, struct dg_err *err)
{
    if (limit < 1 || limit > STORE_VIEWS_MAX_LIMIT)
        return dg_err_setc(err, DG_EINVALID, "bad_limit", "limit must be 1..%d",
                           STORE_VIEWS_MAX_LIMIT);
    sqlite3_stmt *st = NULL;
    dg_rc r = prepare(s,
                      SUMMARY_SQL "WHERE (?1 IS NULL OR p.state = ?1) "
                                  "ORDER BY p.created_ms DESC, p.plan_id "
                                  "LIMIT ?2",
                      &st, err);
    if (r != DG_OK)
        return r;
    if (state)
        sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    cJSON *arr = cJSON_CreateArray();
    int rc = SQLITE_DONE;
    while (r == DG_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = NULL;
        r = summary(s, st, 0, &o, err);
        if (r == DG_OK)
            cJSON_AddItemToArray(arr, o);
    }
    if (r == DG_OK && rc != SQLITE_DONE)
        r = store_sqlite_error(s, rc, err, "listing plans");
    sqlite3_finalize(st);
    if (r == DG_OK)
        r = append_json(arr, out, err);
    cJSON_Delete(arr);
    return r;
}

/* A column of a per-plan list: its JSON key and how it is read. */
enum col_kind { COL_TEXT, COL_INT, COL_TIME };
struct col {
    const char *key;
    enum col_kind kind;
};

static const struct col approval_cols[] = {
    {"approver", COL_TEXT},
    {"decision", COL_TEXT},
    {"signed_at", COL_TEXT},
    {"received", COL_TIME},
};

static const struct col step_cols[] = {
    {"step", COL_TEXT},     {"layer", COL_INT},     {"type", COL_TEXT},
    {"region", COL_TEXT},   {"state", COL_TEXT},    {"mutation", COL_TEXT},
    {"attempts", COL_INT},  {"started", COL_TIME},  {"updated", COL_TIME},
    {"deadline", COL_TIME}, {"finished", COL_TIME}, {"detail", COL_TEXT},
    {"observed", COL_TEXT},
};

/* Adds array key to o: one object per row of sql (which selects the
 * columns cols names, in order, for plan_id as ?1); what names the rows in
 * an error. */
static dg_rc
add_rows(struct store *s, cJSON *o, const char *key, const char *sql,
         const struct col *cols, size_t ncols, const char *plan_id,
         const char *what, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc r = prepare(s, sql, &st, err);
    if (r != DG_OK)
        return r;
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_TRANSIENT);
    cJSON *arr = cJSON_AddArrayToObject(o, key);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *a = cJSON_CreateObject();
        for (int c = 0; c < (int)ncols; c++) {
            if (cols[c].kind == COL_TEXT)
                add_text(a, cols[c].key, st, c);
            else if (cols[c].kind == COL_TIME)
                add_time(a, cols[c].key, st, c);
            else
                cJSON_AddNumberToObject(a, cols[c].key,
                                        (double)sqlite3_column_int64(st, c));
        }
        cJSON_AddItemToArray(arr, a);
    }
    if (rc != SQLITE_DONE)
        r = store_sqlite_error(s, rc, err, what);
    sqlite3_finalize(st);
    return r;
}

static dg_rc
add_approvals(struct store *s, cJSON *o, const char *plan_id,
              struct dg_err *err)
{
    return add_rows(s, o, "approvals",
                    "SELECT approver, decision, signed_at, received_ms "
                    "FROM approvals WHERE plan_id = ?1 "
                    "ORDER BY received_ms, approver",
                    approval_cols,
                    sizeof(approval_cols) / sizeof(approval_cols[0]), plan_id,
                    "reading approvals", err);
}

static dg_rc
add_steps(struct store *s, cJSON *o, const char *plan_id, struct dg_err *err)
{
    return add_rows(s, o, "steps",
                    "SELECT step, layer, type, region, state, mutation, "
                    "attempts, started_ms, updated_ms, deadline_ms, "
                    "finished_ms, detail, observed FROM steps "
                    "WHERE plan_id = ?1 ORDER BY layer, step",
                    step_cols, sizeof(step_cols) / sizeof(step_cols[0]),
                    plan_id, "reading steps", err);
}

dg_rc
store_views_plan(struct store *s, const char *plan_id, struct dg_buf *out,
                 int *found, struct dg_err *err)
{
    *found = 0;
    sqlite3_stmt *st = NULL;
    dg_rc r = prepare(s, SUMMARY_SQL "WHERE p.plan_id = ?1", &st, err);
    if (r != DG_OK)
        return r;
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_TRANSIENT);
    cJSON *o = NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        r = summary(s, st, 1, &o, err);
    else if (rc != SQLITE_DONE)
        r = store_sqlite_error(s, rc, err, "reading a plan");
    sqlite3_finalize(st);
    if (r == DG_OK && o)
        r = add_approvals(s, o, plan_id, err);
    if (r == DG_OK && o)
        r = add_steps(s, o, plan_id, err);
    if (r == DG_OK && o) {
        r = append_json(o, out, err);
        *found = r == DG_OK;
    }
    cJSON_Delete(o);
    return r;
}

dg_rc
store_views_plan_counts(struct store *s,
                        void (*fn)(const char *state, int64_t n, void *ctx),
                        void *ctx, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc r = prepare(s,
                      "SELECT state, count(*) FROM plans GROUP BY state "
                      "ORDER BY state",
                      &st, err);
    if (r != DG_OK)
        return r;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        if (state)
            fn(state, sqlite3_column_int64(st, 1), ctx);
    }
    if (rc != SQLITE_DONE)
        r = store_sqlite_error(s, rc, err, "counting plans");
    sqlite3_finalize(st);
    return r;
}

dg_rc
store_views_event_time(struct store *s, int64_t seq, int64_t *time_ms,
                       int *found, struct dg_err *err)
{
    *found = 0;
    sqlite3_stmt *st = NULL;
    dg_rc r = prepare(s, "SELECT time_ms FROM events WHERE seq = ?1", &st, err);
    if (r != DG_OK)
        return r;
    sqlite3_bind_int64(st, 1, seq);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *time_ms = sqlite3_column_int64(st, 0);
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        r = store_sqlite_error(s, rc, err, "reading an event time");
    }
    sqlite3_finalize(st);
    return r;
}
