#ifndef DRGATE_STORE_H
#define DRGATE_STORE_H
/*
 * The state store: SQLite in WAL mode with versioned schema migrations
 * (ARCHITECTURE.md section 8). This is the only module that includes
 * sqlite3.h. Every state change happens inside store_begin/store_commit;
 * failures come back as DG_ETRANSIENT (busy, I/O: do not acknowledge the
 * input) or DG_EFATAL (corrupt, schema newer than this binary).
 */
#include <stdint.h>

#include "err.h"

struct store;

enum store_sync {
    STORE_SYNC_FULL = 0, /* the daemon: durable at every commit */
    STORE_SYNC_OFF,      /* throw-away stores (replay's temporary store) */
};

/* Opens or creates the database at path and migrates it to the newest
 * schema. On DG_OK *out is a handle the caller closes with store_close. */
dg_rc store_open(const char *path, enum store_sync sync, struct store **out,
                 struct dg_err *err);
/* As store_open, through the SQLite VFS registered under vfs (NULL: the
 * default). Tests use it with store_faultvfs.h; drgate itself never names
 * a VFS. */
dg_rc store_open_v2(const char *path, enum store_sync sync, const char *vfs,
                    struct store **out, struct dg_err *err);
void store_close(struct store *s); /* accepts NULL */
/* The schema version in the file (PRAGMA user_version). */
int store_schema_version(struct store *s);
/* Number of migrations this binary knows (the newest version). */
int store_schema_latest(void);

dg_rc store_begin(struct store *s, struct dg_err *err);
dg_rc store_commit(struct store *s, struct dg_err *err);
void store_rollback(struct store *s);

/* Records a message id; *is_new is 1 the first time, 0 for a duplicate. */
dg_rc store_message_seen(struct store *s, const char *id, const char *source,
                         int64_t now_ms, int *is_new, struct dg_err *err);

/* The policy's exported state (JSON text), one row. *json is NULL when
 * none was saved; caller frees with dg_free. */
dg_rc store_policy_state_put(struct store *s, const char *json, int64_t now_ms,
                             struct dg_err *err);
dg_rc store_policy_state_get(struct store *s, char **json, struct dg_err *err);

/* Appends a decision record (the replay line's JSON). */
dg_rc store_decision_add(struct store *s, int64_t time_ms, const char *verdict,
                         const char *json, struct dg_err *err);

/* Inserts a plan, or updates its state when plan_id exists. */
dg_rc store_plan_put(struct store *s, const char *plan_id, const char *digest,
                     const char *plan_class, const char *state,
                     const char *json, int64_t now_ms, struct dg_err *err);
/* The plan's stored JSON (the plan line) into *json, NULL when the plan is
 * unknown; caller frees with dg_free. */
dg_rc store_plan_json(struct store *s, const char *plan_id, char **json,
                      struct dg_err *err);
/* *state is NULL when the plan is unknown; caller frees. */
dg_rc store_plan_state(struct store *s, const char *plan_id, char **state,
                       struct dg_err *err);
/* Counts rows of a table by name (tests, status): "messages", "decisions",
 * "plans". -1 on error or unknown table. */
long long store_count(struct store *s, const char *table);
/* Pending proposals (references being resolved): add returns the row id;
 * take deletes it and says whether it was there (0: it was rolled back or
 * already recorded); each calls fn for every pending row in order. */
dg_rc store_proposal_add(struct store *s, const char *json, int64_t now_ms,
                         int64_t *id, struct dg_err *err);
dg_rc store_proposal_take(struct store *s, int64_t id, int *taken,
                          struct dg_err *err);
dg_rc store_proposal_each(struct store *s,
                          void (*fn)(int64_t id, const char *json, void *ctx),
                          void *ctx, struct dg_err *err);
/* PRAGMA integrity_check == "ok": 1, else 0. */
int store_integrity_ok(struct store *s);

#endif
