#ifndef DRGATE_STORE_INTERNAL_H
#define DRGATE_STORE_INTERNAL_H
/*
 * For the store's own feature files only (store_*.c): the SQLite handle and
 * error mapping. Nothing outside consumer/store*.c includes this or
 * sqlite3.h. Schema changes go into the migration list in store.c.
 */
#include <sqlite3.h>

#include "err.h"
#include "store.h"

/* The connection; owned by the store. */
sqlite3 *store_sqlite(struct store *s);
/* Maps an SQLite result to DG_ETRANSIENT (busy, I/O, full) or DG_EFATAL
 * and fills err; returns the dg_rc. */
dg_rc store_sqlite_error(struct store *s, int rc, struct dg_err *err,
                         const char *what);

#endif
