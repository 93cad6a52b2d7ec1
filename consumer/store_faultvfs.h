#ifndef DRGATE_STORE_FAULTVFS_H
#define DRGATE_STORE_FAULTVFS_H
/*
 * A fault-injecting SQLite VFS for tests ("How SQLite Is Tested": I/O error
 * and disk-full simulation). A shim over the default VFS that counts every
 * write and sync on every file SQLite opens through it (database, WAL,
 * journal) and fails the ones the armed plan names. Nothing in drgate
 * itself calls this module and no setting or environment variable reaches
 * it: only test programs register it, and the linker leaves it out of the
 * drgate binary. One process-wide instance, single-threaded use.
 */
#include "err.h"

enum store_fault_kind {
    STORE_FAULT_NONE = 0,
    STORE_FAULT_WRITE_NTH,    /* fail the Nth write after arming, once */
    STORE_FAULT_SYNC_NTH,     /* fail the Nth sync after arming, once */
    STORE_FAULT_WRITES_AFTER, /* fail every write (and truncate) after the
                                 Nth (N = 0: all) until cleared */
};

enum store_fault_error {
    STORE_FAULT_IOERR = 0, /* SQLITE_IOERR_WRITE / _FSYNC / _TRUNCATE */
    STORE_FAULT_FULL,      /* SQLITE_FULL (disk full) */
};

struct store_faultvfs_stats {
    long writes;   /* writes attempted since arming */
    long syncs;    /* syncs attempted since arming */
    long injected; /* failures returned since arming */
};

/* Registers the shim under name (copied) over the current default VFS;
 * make_default 1 makes it the default, so code that opens its own store
 * (the daemon) goes through it. Calling again while registered fails. */
dg_rc store_faultvfs_register(const char *name, int make_default,
                              struct dg_err *err);
/* Unregisters it (the previous default is the default again); every
 * connection through it must be closed first. No-op when not registered. */
void store_faultvfs_unregister(void);
/* Arms a plan and zeroes the counters. n counts from 1. */
void store_faultvfs_arm(enum store_fault_kind kind, long n,
                        enum store_fault_error error);
/* Disarms (counting goes on). */
void store_faultvfs_clear(void);
/* The counters since the last arm. */
void store_faultvfs_stats(struct store_faultvfs_stats *out);

#endif
