/*
 * store_events.c - SQL for the events table and sink_cursors (migration 2).
 *
 * DESIGN: the chain head is read from the table itself (the row with the
 * highest seq) on every append, never cached, so a rollback cannot leave a
 * stale head behind. seq is given explicitly (head + 1): the sealed JSON
 * names its seq before the row exists. Statements are prepared per call;
 * SQLite's own cache makes that cheap next to a durable commit. Errors map
 * through store_sqlite_error.
 */
#include "store_events.h"

#include <string.h>

#include "events.h"
#include "json.h"
#include "mem.h"
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

dg_rc
store_events_head(struct store *s, int64_t *seq,
                  char hash[DG_SHA256_HEX_LEN + 1], struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *seq = 0;
    memcpy(hash, EVENTS_GENESIS, DG_SHA256_HEX_LEN + 1);
    dg_rc rc = prepare(
        s, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &st, err);
    if (rc != DG_OK)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        const char *h = (const char *)sqlite3_column_text(st, 1);
        if (h && strlen(h) == DG_SHA256_HEX_LEN)
            memcpy(hash, h, DG_SHA256_HEX_LEN + 1);
        else
            rc = dg_err_setc(err, DG_EFATAL, "store",
                             "store: event %lld has no valid hash",
                             (long long)*seq);
    } else if (r != SQLITE_DONE) {
        rc = store_sqlite_error(s, r, err, "events head");
    }
    sqlite3_finalize(st);
    return rc;
}

dg_rc
store_events_append(struct store *s, cJSON *ev, int64_t time_ms,
                    int64_t *seq_out, struct dg_err *err)
{
    int64_t head = 0;
    char prev[DG_SHA256_HEX_LEN + 1], hash[DG_SHA256_HEX_LEN + 1];
    dg_rc rc = store_events_head(s, &head, prev, err);
    if (rc != DG_OK)
        return rc;
    char *json = events_seal(ev, head + 1, prev, hash, err);
    if (!json)
        return err ? err->rc : DG_EINVALID;
    const char *id = dg_json_str(ev, "id");
    const char *type = dg_json_str(ev, "type");
    const char *plan_id = dg_json_str(dg_json_obj(ev, "data"), "plan_id");
    sqlite3_stmt *st = NULL;
    rc = prepare(s,
                 "INSERT INTO events (seq, id, type, plan_id, time_ms, json, "
                 "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 &st, err);
    if (rc == DG_OK) {
        sqlite3_bind_int64(st, 1, head + 1);
        sqlite3_bind_text(st, 2, id ? id : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, type ? type : "", -1, SQLITE_STATIC);
        if (plan_id)
            sqlite3_bind_text(st, 4, plan_id, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 4);
        sqlite3_bind_int64(st, 5, time_ms);
        sqlite3_bind_text(st, 6, json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, prev, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        if (r != SQLITE_DONE)
            rc = store_sqlite_error(s, r, err, "events insert");
    }
    sqlite3_finalize(st);
    dg_free(json);
    if (rc == DG_OK && seq_out)
        *seq_out = head + 1;
    return rc;
}

dg_rc
store_events_scan(struct store *s, int64_t after_seq, size_t limit,
                  store_event_fn fn, void *ctx, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prepare(s,
                       "SELECT seq, id, type, json, prev_hash, hash FROM "
                       "events WHERE seq > ? ORDER BY seq LIMIT ?",
                       &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, after_seq);
    sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
    for (;;) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = store_sqlite_error(s, r, err, "events scan");
            break;
        }
        struct store_event_row row = {
            .seq = sqlite3_column_int64(st, 0),
            .id = (const char *)sqlite3_column_text(st, 1),
            .type = (const char *)sqlite3_column_text(st, 2),
            .json = (const char *)sqlite3_column_text(st, 3),
            .prev_hash = (const char *)sqlite3_column_text(st, 4),
            .hash = (const char *)sqlite3_column_text(st, 5),
        };
        if (fn(&row, ctx))
            break;
    }
    sqlite3_finalize(st);
    return rc;
}

dg_rc
store_cursor_get(struct store *s, const char *sink, int64_t *acked_seq,
                 int64_t *failing_since_ms, struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    *acked_seq = 0;
    if (failing_since_ms)
        *failing_since_ms = 0;
    dg_rc rc = prepare(s,
                       "SELECT acked_seq, failing_since_ms FROM sink_cursors "
                       "WHERE sink = ?",
                       &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, sink, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *acked_seq = sqlite3_column_int64(st, 0);
        if (failing_since_ms)
            *failing_since_ms = sqlite3_column_int64(st, 1);
    } else if (r != SQLITE_DONE) {
        rc = store_sqlite_error(s, r, err, "cursor get");
    }
    sqlite3_finalize(st);
    return rc;
}

dg_rc
store_cursor_put(struct store *s, const char *sink, int64_t acked_seq,
                 int64_t failing_since_ms, const char *last_error,
                 struct dg_err *err)
{
    sqlite3_stmt *st = NULL;
    dg_rc rc = prepare(
        s,
        "INSERT INTO sink_cursors (sink, acked_seq, failing_since_ms, "
        "last_error) VALUES (?, ?, ?, ?) ON CONFLICT (sink) DO UPDATE SET "
        "acked_seq = max(acked_seq, excluded.acked_seq), "
        "failing_since_ms = excluded.failing_since_ms, "
        "last_error = excluded.last_error",
        &st, err);
    if (rc != DG_OK)
        return rc;
    sqlite3_bind_text(st, 1, sink, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, acked_seq);
    if (failing_since_ms)
        sqlite3_bind_int64(st, 3, failing_since_ms);
    else
        sqlite3_bind_null(st, 3);
    if (last_error)
        sqlite3_bind_text(st, 4, last_error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    int r = sqlite3_step(st);
    if (r != SQLITE_DONE)
        rc = store_sqlite_error(s, r, err, "cursor put");
    sqlite3_finalize(st);
    return rc;
}
