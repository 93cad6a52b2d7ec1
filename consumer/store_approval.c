/*
 * store_approval.c - SQL for the approval gate: approval_requests and
 * approvals (created by migration 3 in store.c).
 *
 * Ownership: rows read come back as owned strings (store_appr_req_cleanup,
 * store_appr_names_free); arguments are borrowed. Statements are prepared
 * per call: the gate handles a few replies per plan, not a stream.
 * Errors: SQLite failures map through store_sqlite_error (DG_ETRANSIENT for
 * busy and I/O, DG_EFATAL otherwise); a duplicate request is DG_EINVALID.
 * Only the token's SHA-256 ever reaches this file.
 */
#include "store_approval.h"

#include <string.h>

#include "mem.h"
#include "store_internal.h"

static dg_rc
prep(struct store *s, const char *sql, sqlite3_stmt **st, struct dg_err *err)
{
    int rc = sqlite3_prepare_v2(store_sqlite(s), sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return store_sqlite_error(s, rc, err, "preparing an approval query");
    }
    return DG_OK;
}

static char *
col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? dg_strdup((const char *)t) : NULL;
}

void
store_appr_req_cleanup(struct store_appr_req *r)
{
    if (!r)
        return;
    dg_free(r->plan_id);
    dg_free(r->digest);
    dg_free(r->plan_class);
    dg_free(r->token_hash);
    dg_free(r->state);
    dg_free(r->lag_note);
    memset(r, 0, sizeof(*r));
}

void
store_appr_req_free_all(struct store_appr_req *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        store_appr_req_cleanup(&rows[i]);
    dg_free(rows);
}

dg_rc
store_appr_req_add(struct store *s, const struct store_appr_req *r,
                   struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prep(s,
                    "INSERT INTO approval_requests (plan_id, digest, class, "
                    "quorum, token_hash, data_loss, created_ms, expires_ms, "
                    "state, lag_ms, lag_observed_ms, lag_note) VALUES (?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (plan_id) DO NOTHING",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, r->plan_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->plan_class, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, r->quorum);
    sqlite3_bind_text(st, 5, r->token_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, r->data_loss ? 1 : 0);
    sqlite3_bind_int64(st, 7, r->created_ms);
    sqlite3_bind_int64(st, 8, r->expires_ms);
    sqlite3_bind_text(st, 9, r->state ? r->state : STORE_APPR_PENDING, -1,
                      SQLITE_STATIC);
    if (r->has_lag) {
        sqlite3_bind_int64(st, 10, r->lag_ms);
        sqlite3_bind_int64(st, 11, r->lag_observed_ms);
    } else {
        sqlite3_bind_null(st, 10);
        sqlite3_bind_null(st, 11);
    }
    if (r->lag_note)
        sqlite3_bind_text(st, 12, r->lag_note, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 12);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return store_sqlite_error(s, src, err, "recording an approval request");
    if (sqlite3_changes(store_sqlite(s)) != 1)
        return dg_err_setc(err, DG_EINVALID, "exists",
                           "plan %s already has an approval request",
                           r->plan_id);
    return DG_OK;
}

#define REQ_COLS                                                               \
    "plan_id, digest, class, token_hash, state, quorum, data_loss, "           \
    "created_ms, expires_ms, decided_ms, lag_ms, lag_observed_ms, lag_note"

static void
read_req(sqlite3_stmt *st, struct store_appr_req *r)
{
    r->plan_id = col_str(st, 0);
    r->digest = col_str(st, 1);
    r->plan_class = col_str(st, 2);
    r->token_hash = col_str(st, 3);
    r->state = col_str(st, 4);
    r->quorum = sqlite3_column_int(st, 5);
    r->data_loss = sqlite3_column_int(st, 6) != 0;
    r->created_ms = sqlite3_column_int64(st, 7);
    r->expires_ms = sqlite3_column_int64(st, 8);
    r->decided_ms = sqlite3_column_int64(st, 9); /* NULL reads as 0 */
    r->has_lag = sqlite3_column_type(st, 10) != SQLITE_NULL;
    r->lag_ms = sqlite3_column_int64(st, 10);
    r->lag_observed_ms = sqlite3_column_int64(st, 11);
    r->lag_note = col_str(st, 12);
}

dg_rc
store_appr_req_get(struct store *s, const char *plan_id,
                   struct store_appr_req *out, int *found, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof(*out));
    *found = 0;
    dg_rc rc =
        prep(s, "SELECT " REQ_COLS " FROM approval_requests WHERE plan_id = ?",
             &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        read_req(st, out);
        *found = 1;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return store_sqlite_error(s, src, err, "reading an approval request");
    return DG_OK;
}

dg_rc
store_appr_req_finish(struct store *s, const char *plan_id, const char *state,
                      int64_t now_ms, int *changed, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *changed = 0;
    dg_rc rc = prep(s,
                    "UPDATE approval_requests SET state = ?, decided_ms = ? "
                    "WHERE plan_id = ? AND state = 'pending'",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_text(st, 3, plan_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return store_sqlite_error(s, src, err, "finishing an approval request");
    *changed = sqlite3_changes(store_sqlite(s)) == 1;
    return DG_OK;
}

dg_rc
store_appr_req_due(struct store *s, int64_t now_ms, size_t max,
                   struct store_appr_req **out, size_t *n, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    dg_rc rc = prep(s,
                    "SELECT " REQ_COLS " FROM approval_requests WHERE state = "
                    "'pending' AND expires_ms <= ? ORDER BY expires_ms, "
                    "plan_id LIMIT ?",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    struct store_appr_req *rows = NULL;
    size_t cnt = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rows = dg_realloc(rows, (cnt + 1) * sizeof(*rows));
        memset(&rows[cnt], 0, sizeof(rows[cnt]));
        read_req(st, &rows[cnt]);
        cnt++;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE) {
        store_appr_req_free_all(rows, cnt);
        return store_sqlite_error(s, src, err, "listing expired requests");
    }
    *out = rows;
    *n = cnt;
    return DG_OK;
}

dg_rc
store_appr_req_next_expiry(struct store *s, int64_t *ms, int *found,
                           struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *found = 0;
    *ms = 0;
    dg_rc rc = prep(s,
                    "SELECT min(expires_ms) FROM approval_requests WHERE "
                    "state = 'pending'",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *ms = sqlite3_column_int64(st, 0);
        *found = 1;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_ROW)
        return store_sqlite_error(s, src, err, "reading the next expiry");
    return DG_OK;
}

dg_rc
store_appr_add(struct store *s, const char *plan_id, const char *approver,
               const char *decision, const char *signed_at, int64_t received_ms,
               const char *reply_json, int *inserted, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    int reject = strcmp(decision, "reject") == 0;
    *inserted = 0;
    dg_rc rc = prep(s,
                    reject ? "INSERT INTO approvals (plan_id, approver, "
                             "decision, signed_at, received_ms, reply_json) "
                             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (plan_id, "
                             "approver) DO UPDATE SET decision = "
                             "excluded.decision, signed_at = "
                             "excluded.signed_at, received_ms = "
                             "excluded.received_ms, reply_json = "
                             "excluded.reply_json"
                           : "INSERT INTO approvals (plan_id, approver, "
                             "decision, signed_at, received_ms, reply_json) "
                             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (plan_id, "
                             "approver) DO NOTHING",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, approver, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, decision, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, signed_at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, received_ms);
    sqlite3_bind_text(st, 6, reply_json, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return store_sqlite_error(s, src, err, "recording an approval");
    *inserted = sqlite3_changes(store_sqlite(s)) == 1;
    return DG_OK;
}

dg_rc
store_appr_names(struct store *s, const char *plan_id, const char *decision,
                 char ***names, size_t *n, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *names = NULL;
    *n = 0;
    dg_rc rc = prep(s,
                    "SELECT approver FROM approvals WHERE plan_id = ? AND "
                    "decision = ? ORDER BY approver",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, decision, -1, SQLITE_STATIC);
    char **v = NULL;
    size_t cnt = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        v = dg_realloc(v, (cnt + 1) * sizeof(*v));
        v[cnt++] = col_str(st, 0);
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE) {
        store_appr_names_free(v, cnt);
        return store_sqlite_error(s, src, err, "reading approvals");
    }
    *names = v;
    *n = cnt;
    return DG_OK;
}

void
store_appr_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        dg_free(names[i]);
    dg_free(names);
}

static dg_rc
exec_sql(struct store *s, const char *sql, struct dg_err *err)
{
    int rc = sqlite3_exec(store_sqlite(s), sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? DG_OK : store_sqlite_error(s, rc, err, sql);
}

dg_rc
store_appr_savepoint(struct store *s, struct dg_err *err)
{
    return exec_sql(s, "SAVEPOINT approval", err);
}

dg_rc
store_appr_release(struct store *s, struct dg_err *err)
{
    return exec_sql(s, "RELEASE approval", err);
}

void
store_appr_rollback(struct store *s)
{
    sqlite3 *db = store_sqlite(s);
    if (sqlite3_exec(db, "ROLLBACK TO approval", NULL, NULL, NULL) == SQLITE_OK)
        (void)sqlite3_exec(db, "RELEASE approval", NULL, NULL, NULL);
}

dg_rc
store_appr_req_set_token(struct store *s, const char *plan_id,
                         const char *token_hash, int *changed,
                         struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *changed = 0;
    dg_rc rc = prep(s,
                    "UPDATE approval_requests SET token_hash = ?, "
                    "published = 0 WHERE plan_id = ? AND state = 'pending'",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, plan_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return store_sqlite_error(s, src, err, "renewing a request token");
    *changed = sqlite3_changes(store_sqlite(s)) == 1;
    return DG_OK;
}

dg_rc
store_appr_req_set_published(struct store *s, const char *plan_id,
                             struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prep(s,
                    "UPDATE approval_requests SET published = 1 WHERE "
                    "plan_id = ?",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return store_sqlite_error(s, src, err, "marking a request published");
    return DG_OK;
}

dg_rc
store_appr_req_unpublished(struct store *s, int64_t now_ms, char ***ids,
                           size_t *n, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *ids = NULL;
    *n = 0;
    dg_rc rc = prep(s,
                    "SELECT plan_id FROM approval_requests WHERE state = "
                    "'pending' AND published = 0 AND expires_ms > ? ORDER BY "
                    "created_ms LIMIT 1000",
                    &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, now_ms);
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        *ids = dg_realloc(*ids, sizeof(**ids) * (*n + 1));
        (*ids)[(*n)++] = dg_strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE) {
        store_appr_names_free(*ids, *n);
        *ids = NULL;
        *n = 0;
        return store_sqlite_error(s, src, err, "listing unpublished requests");
    }
    return DG_OK;
}
