/*
 * store.c - SQLite state store.
 *
 * DESIGN: one connection owned by the loop thread; WAL journal so readers
 * (drgate status) never block the daemon; synchronous=FULL for the daemon
 * so a kill -9 or power loss after a commit loses nothing acknowledged.
 * Schema changes are an append-only list of migrations; the file's
 * PRAGMA user_version says how many ran, and each runs in its own
 * transaction together with the version bump. A file newer than the binary
 * is refused rather than guessed at. Prepared statements are cached per
 * handle. Feature tables (events and sink cursors, approvals) are read and
 * written by store_events.c and store_approval.c through store_internal.h;
 * every migration lives here, in one list. Errors:
 * SQLITE_BUSY/LOCKED/IOERR/FULL are transient (the caller leaves the input
 * unacknowledged); anything else is fatal.
 */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "mem.h"
#include "store_internal.h"

static const char *const migrations[] = {
    /* 1: the offline brain: dedup, policy state, decisions, plans */
    "CREATE TABLE messages ("
    "  id TEXT PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  seen_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE policy_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  json TEXT NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE TABLE decisions ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time_ms INTEGER NOT NULL,"
    "  verdict TEXT NOT NULL,"
    "  json TEXT NOT NULL);"
    "CREATE TABLE plans ("
    "  plan_id TEXT PRIMARY KEY,"
    "  digest TEXT NOT NULL UNIQUE,"
    "  class TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  json TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);",
    /* 2: events: the outbox and the hash-chained audit log in one table.
     * Rows are never deleted while a sink has not acknowledged them;
     * sink_cursors holds each sink's last acknowledged seq. */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  type TEXT NOT NULL,"
    "  plan_id TEXT,"
    "  time_ms INTEGER NOT NULL,"
    "  json TEXT NOT NULL,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    "CREATE INDEX events_plan ON events (plan_id);"
    "CREATE TABLE sink_cursors ("
    "  sink TEXT PRIMARY KEY,"
    "  acked_seq INTEGER NOT NULL,"
    "  failing_since_ms INTEGER,"
    "  last_error TEXT) WITHOUT ROWID;",
    /* 3: the approval gate. Only the token's SHA-256 is stored. */
    "CREATE TABLE approval_requests ("
    "  plan_id TEXT PRIMARY KEY,"
    "  digest TEXT NOT NULL,"
    "  class TEXT NOT NULL,"
    "  quorum INTEGER NOT NULL,"
    "  token_hash TEXT NOT NULL,"
    "  data_loss INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  decided_ms INTEGER);"
    "CREATE TABLE approvals ("
    "  plan_id TEXT NOT NULL,"
    "  approver TEXT NOT NULL,"
    "  decision TEXT NOT NULL,"
    "  signed_at TEXT NOT NULL,"
    "  received_ms INTEGER NOT NULL,"
    "  reply_json TEXT NOT NULL,"
    "  PRIMARY KEY (plan_id, approver)) WITHOUT ROWID;",
    /* 4: the executor. One row per approved plan being carried out and
     * one per step; mutation records "intent" before a mutating call and
     * "sent" after its answer, so a restart knows to re-check first. */
    "CREATE TABLE executions ("
    "  plan_id TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL,"
    "  started_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  finished_ms INTEGER,"
    "  detail TEXT);"
    "CREATE TABLE steps ("
    "  plan_id TEXT NOT NULL,"
    "  step TEXT NOT NULL,"
    "  layer INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  mutation TEXT NOT NULL DEFAULT 'none',"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  started_ms INTEGER,"
    "  updated_ms INTEGER NOT NULL,"
    "  deadline_ms INTEGER,"
    "  finished_ms INTEGER,"
    "  detail TEXT,"
    "  observed TEXT,"
    "  PRIMARY KEY (plan_id, step)) WITHOUT ROWID;",
    /* 5: proposals accepted with their message but not yet recorded as
     * plans (their references are being resolved). Written in the
     * message's transaction, deleted in the one that records the plan, so
     * a crash in between loses nothing: start-up resolves them again. */
    "CREATE TABLE proposals ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  json TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL);",
    /* 6: whether an approval request reached the request topic; a pending
     * request never published is published again (with a new token) at
     * start-up, and a failed publish is retried while it is pending. */
    ("ALTER TABLE approval_requests ADD COLUMN published INTEGER NOT NULL "
     "DEFAULT 0;"),
    /* 7: the replication lag the request stated (NULL: unknown) and why it
     * is unknown or where it was read, so a request published again
     * states the same figure. */
    ("ALTER TABLE approval_requests ADD COLUMN lag_ms INTEGER;"
     "ALTER TABLE approval_requests ADD COLUMN lag_observed_ms INTEGER;"
     "ALTER TABLE approval_requests ADD COLUMN lag_note TEXT;"),
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt_id {
    ST_SEEN,
    ST_POLICY_PUT,
    ST_POLICY_GET,
    ST_DECISION,
    ST_PLAN_INSERT,
    ST_PLAN_UPDATE,
    ST_PLAN_STATE,
    ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    "INSERT OR IGNORE INTO messages (id, source, seen_ms) VALUES (?, ?, ?)",
    "INSERT INTO policy_state (id, json, updated_ms) VALUES (1, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET json = excluded.json, "
    "updated_ms = excluded.updated_ms",
    "SELECT json FROM policy_state WHERE id = 1",
    "INSERT INTO decisions (time_ms, verdict, json) VALUES (?, ?, ?)",
    "INSERT INTO plans (plan_id, digest, class, state, json, created_ms, "
    "updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (plan_id) DO "
    "NOTHING",
    "UPDATE plans SET state = ?, updated_ms = ? WHERE plan_id = ?",
    "SELECT state FROM plans WHERE plan_id = ?",
};

static dg_rc fail(struct store *s, int rc, struct dg_err *err,
                  const char *what);

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT_];
};

sqlite3 *
store_sqlite(struct store *s)
{
    return s->db;
}

dg_rc
store_sqlite_error(struct store *s, int rc, struct dg_err *err,
                   const char *what)
{
    return fail(s, rc, err, what);
}

/* Busy, locked, I/O, disk full, cannot open: the caller leaves the input
 * for later (the same classification for statements and for BEGIN/COMMIT
 * and migrations, which go through exec). */
static int
transient_rc(int rc)
{
    int p = rc & 0xff;
    return p == SQLITE_BUSY || p == SQLITE_LOCKED || p == SQLITE_IOERR ||
           p == SQLITE_FULL || rc == SQLITE_CANTOPEN;
}

static dg_rc
fail(struct store *s, int rc, struct dg_err *err, const char *what)
{
    int transient = transient_rc(rc);
    return dg_err_setc(err, transient ? DG_ETRANSIENT : DG_EFATAL, "store",
                       "store: %s: %s", what,
                       s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

static dg_rc
exec(struct store *s, const char *sql, struct dg_err *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        dg_rc r = dg_err_setc(err, transient_rc(rc) ? DG_ETRANSIENT : DG_EFATAL,
                              "store", "store: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return r;
    }
    return DG_OK;
}

int
store_schema_latest(void)
{
    return NMIGRATIONS;
}

int
store_schema_version(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static dg_rc
migrate(struct store *s, struct dg_err *err)
{
    int v = store_schema_version(s);
    if (v < 0)
        return fail(s, SQLITE_ERROR, err, "reading the schema version");
    if (v > NMIGRATIONS)
        return dg_err_setc(err, DG_EFATAL, "store",
                           "store: schema version %d is newer than this "
                           "drgate (%d); upgrade drgate",
                           v, NMIGRATIONS);
    for (; v < NMIGRATIONS; v++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
        dg_rc rc = exec(s, "BEGIN IMMEDIATE", err);
        if (rc == DG_OK)
            rc = exec(s, migrations[v], err);
        if (rc == DG_OK)
            rc = exec(s, bump, err);
        if (rc == DG_OK)
            rc = exec(s, "COMMIT", err);
        if (rc != DG_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    return DG_OK;
}

dg_rc
store_open(const char *path, enum store_sync sync, struct store **out,
           struct dg_err *err)
{
    return store_open_v2(path, sync, NULL, out, err);
}

dg_rc
store_open_v2(const char *path, enum store_sync sync, const char *vfs,
              struct store **out, struct dg_err *err)
{
    *out = NULL;
    struct store *s = dg_calloc(1, sizeof(*s));
    int rc = sqlite3_open_v2(
        path, &s->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
    dg_rc r;
    if (rc != SQLITE_OK) {
        r = fail(s, rc, err, path);
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 2000);
    sqlite3_extended_result_codes(s->db, 1);
    r = exec(s, "PRAGMA journal_mode = WAL", err);
    if (r == DG_OK)
        r = exec(s,
                 sync == STORE_SYNC_FULL ? "PRAGMA synchronous = FULL"
                                         : "PRAGMA synchronous = OFF",
                 err);
    if (r == DG_OK)
        r = exec(s, "PRAGMA foreign_keys = ON", err);
    if (r == DG_OK)
        r = migrate(s, err);
    if (r != DG_OK)
        goto fail;
    for (int i = 0; i < ST_COUNT_; i++) {
        rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            r = fail(s, rc, err, "preparing statements");
            goto fail;
        }
    }
    *out = s;
    return DG_OK;
fail:
    store_close(s);
    return r;
}

void
store_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT_; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    dg_free(s);
}

dg_rc
store_begin(struct store *s, struct dg_err *err)
{
    return exec(s, "BEGIN IMMEDIATE", err);
}

dg_rc
store_commit(struct store *s, struct dg_err *err)
{
    dg_rc rc = exec(s, "COMMIT", err);
    if (rc != DG_OK)
        store_rollback(s);
    return rc;
}

void
store_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Steps a bound statement to completion and resets it. */
static dg_rc
run(struct store *s, sqlite3_stmt *st, struct dg_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    dg_rc r =
        rc == SQLITE_DONE || rc == SQLITE_ROW ? DG_OK : fail(s, rc, err, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return r;
}

dg_rc
store_message_seen(struct store *s, const char *id, const char *source,
                   int64_t now_ms, int *is_new, struct dg_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_SEEN];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_ms);
    dg_rc r = run(s, st, err, "recording a message");
    *is_new = r == DG_OK && sqlite3_changes(s->db) == 1;
    return r;
}

dg_rc
store_policy_state_put(struct store *s, const char *json, int64_t now_ms,
                       struct dg_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_POLICY_PUT];
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return run(s, st, err, "saving the policy state");
}

dg_rc
store_policy_state_get(struct store *s, char **json, struct dg_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_POLICY_GET];
    *json = NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *json = dg_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, rc, err, "reading the policy state");
    return DG_OK;
}

dg_rc
store_decision_add(struct store *s, int64_t time_ms, const char *verdict,
                   const char *json, struct dg_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_DECISION];
    sqlite3_bind_int64(st, 1, time_ms);
    sqlite3_bind_text(st, 2, verdict, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
    return run(s, st, err, "recording a decision");
}

dg_rc
store_plan_put(struct store *s, const char *plan_id, const char *digest,
               const char *plan_class, const char *state, const char *json,
               int64_t now_ms, struct dg_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_PLAN_INSERT];
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, plan_class, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_ms);
    sqlite3_bind_int64(st, 7, now_ms);
    dg_rc r = run(s, st, err, "recording a plan");
    if (r != DG_OK || sqlite3_changes(s->db) == 1)
        return r;
    st = s->stmt[ST_PLAN_UPDATE];
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_text(st, 3, plan_id, -1, SQLITE_STATIC);
    return run(s, st, err, "updating a plan");
}

dg_rc
store_plan_state(struct store *s, const char *plan_id, char **state,
                 struct dg_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_PLAN_STATE];
    *state = NULL;
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *state = dg_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, rc, err, "reading a plan");
    return DG_OK;
}

dg_rc
store_plan_json(struct store *s, const char *plan_id, char **json,
                struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *json = NULL;
    int rc = sqlite3_prepare_v2(
        s->db, "SELECT json FROM plans WHERE plan_id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc, err, "reading a plan");
    sqlite3_bind_text(st, 1, plan_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *json = dg_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, rc, err, "reading a plan");
    return DG_OK;
}

long long
store_count(struct store *s, const char *table)
{
    static const char *const known[] = {"messages", "decisions", "plans", NULL};
    int ok = 0;
    for (int i = 0; known[i]; i++)
        ok |= strcmp(known[i], table) == 0;
    if (!ok)
        return -1;
    char sql[64];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int
store_integrity_ok(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    return ok;
}

dg_rc
store_proposal_add(struct store *s, const char *json, int64_t now_ms,
                   int64_t *id, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        s->db, "INSERT INTO proposals (json, created_ms) VALUES (?, ?)", -1,
        &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now_ms);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, rc, err, "recording a proposal");
    *id = sqlite3_last_insert_rowid(s->db);
    return DG_OK;
}

dg_rc
store_proposal_take(struct store *s, int64_t id, int *taken, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "DELETE FROM proposals WHERE id = ?", -1,
                                &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, rc, err, "taking a proposal");
    *taken = sqlite3_changes(s->db) == 1;
    return DG_OK;
}

dg_rc
store_proposal_each(struct store *s,
                    void (*fn)(int64_t id, const char *json, void *ctx),
                    void *ctx, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        s->db, "SELECT id, json FROM proposals ORDER BY id", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        fn(sqlite3_column_int64(st, 0),
           (const char *)sqlite3_column_text(st, 1), ctx);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, rc, err, "reading proposals");
    return DG_OK;
}
