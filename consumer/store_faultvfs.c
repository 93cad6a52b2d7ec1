/*
 * store_faultvfs.c - a fault-injecting SQLite VFS shim for tests.
 *
 * Ownership: one static instance; the name is copied at registration and
 * freed at unregistration. Errors: registration failures come back through
 * dg_err; injected faults come back to SQLite as the I/O error or
 * SQLITE_FULL the armed plan names, and from there through the store's
 * usual mapping (DG_ETRANSIENT).
 *
 * DESIGN: the VFS object is a copy of the default ("root") VFS whose file
 * size leaves room for our file header in front of the real file; xOpen
 * opens the real file behind the header and answers with io methods of
 * the same version whose xWrite / xSync / xTruncate consult the plan and
 * whose other methods forward. The VFS-level methods forward to the root
 * with the root as their VFS argument. Shared memory (WAL index) and
 * memory maps pass through untouched: SQLite never writes database content
 * through them, only through xWrite.
 */
#include "store_faultvfs.h"

#include <string.h>

#include <sqlite3.h>

#include "mem.h"

struct ffile {
    sqlite3_file base;  /* our methods */
    sqlite3_file *real; /* the root VFS's file, right behind this struct */
};

static struct {
    sqlite3_vfs vfs;
    sqlite3_vfs *root;
    char *name;
    int registered;
    enum store_fault_kind kind;
    enum store_fault_error error;
    long n;
    int spent; /* the one-shot fault has fired */
    struct store_faultvfs_stats stats;
} fv;

#define ROOT (fv.root)
#define REAL(f) (((struct ffile *)(f))->real)

/* 1 when this write (already counted) must fail. */
static int
write_fails(void)
{
    if (fv.kind == STORE_FAULT_WRITE_NTH && !fv.spent &&
        fv.stats.writes == fv.n) {
        fv.spent = 1;
        return 1;
    }
    return fv.kind == STORE_FAULT_WRITES_AFTER && fv.stats.writes > fv.n;
}

static int
injected(int ioerr)
{
    fv.stats.injected++;
    return fv.error == STORE_FAULT_FULL ? SQLITE_FULL : ioerr;
}

/* ---- io methods ------------------------------------------------------ */

static int
f_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    f->pMethods = NULL;
    return rc;
}

static int
f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

static int
f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    fv.stats.writes++;
    if (write_fails())
        return injected(SQLITE_IOERR_WRITE);
    return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int
f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    if (fv.kind == STORE_FAULT_WRITES_AFTER && fv.stats.writes >= fv.n)
        return injected(SQLITE_IOERR_TRUNCATE);
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
f_sync(sqlite3_file *f, int flags)
{
    fv.stats.syncs++;
    if (fv.kind == STORE_FAULT_SYNC_NTH && !fv.spent &&
        fv.stats.syncs == fv.n) {
        fv.spent = 1;
        return injected(SQLITE_IOERR_FSYNC);
    }
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
f_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
f_lock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int
f_unlock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int
f_check_lock(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
f_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
f_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
f_devchar(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int
f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
f_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
f_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int
f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

#define FAULT_IO_METHODS(ver)                                                  \
    {                                                                          \
        ver, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock,     \
            f_unlock, f_check_lock, f_control, f_sector, f_devchar, f_shm_map, \
            f_shm_lock, f_shm_barrier, f_shm_unmap, f_fetch, f_unfetch         \
    }

/* One table per version, so SQLite uses exactly what the real file has. */
static const sqlite3_io_methods io_methods[3] = {
    FAULT_IO_METHODS(1), FAULT_IO_METHODS(2), FAULT_IO_METHODS(3)};

/* ---- vfs methods ----------------------------------------------------- */

static int
v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
       int *out_flags)
{
    (void)vfs;
    struct ffile *ff = (struct ffile *)file;
    ff->real = (sqlite3_file *)(ff + 1);
    ff->real->pMethods = NULL;
    int rc = ROOT->xOpen(ROOT, name, ff->real, flags, out_flags);
    /* SQLite calls xClose whenever pMethods is set, even after a failed
     * open: mirror the real file. */
    const sqlite3_io_methods *m = ff->real->pMethods;
    if (m) {
        int v = m->iVersion < 1 ? 1 : m->iVersion > 3 ? 3 : m->iVersion;
        ff->base.pMethods = &io_methods[v - 1];
    } else {
        ff->base.pMethods = NULL;
    }
    return rc;
}

static int
v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return ROOT->xDelete(ROOT, name, sync_dir);
}

static int
v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return ROOT->xAccess(ROOT, name, flags, out);
}

static int
v_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return ROOT->xFullPathname(ROOT, name, n, out);
}

static void *
v_dlopen(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return ROOT->xDlOpen(ROOT, name);
}

static void
v_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    ROOT->xDlError(ROOT, n, out);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return ROOT->xDlSym(ROOT, h, sym);
}

static void
v_dlclose(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    ROOT->xDlClose(ROOT, h);
}

static int
v_random(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return ROOT->xRandomness(ROOT, n, out);
}

static int
v_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return ROOT->xSleep(ROOT, us);
}

static int
v_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return ROOT->xCurrentTime(ROOT, out);
}

static int
v_lasterr(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return ROOT->xGetLastError ? ROOT->xGetLastError(ROOT, n, out) : 0;
}

static int
v_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return ROOT->xCurrentTimeInt64(ROOT, out);
}

static int
v_set_syscall(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
    (void)vfs;
    return ROOT->xSetSystemCall(ROOT, name, p);
}

static sqlite3_syscall_ptr
v_get_syscall(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return ROOT->xGetSystemCall(ROOT, name);
}

static const char *
v_next_syscall(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return ROOT->xNextSystemCall(ROOT, name);
}

/* ---- control --------------------------------------------------------- */

dg_rc
store_faultvfs_register(const char *name, int make_default, struct dg_err *err)
{
    if (fv.registered)
        return dg_err_setc(err, DG_EINVALID, "store",
                           "store: fault VFS already registered as %s",
                           fv.name);
    if (sqlite3_initialize() != SQLITE_OK)
        return dg_err_setc(err, DG_EFATAL, "store",
                           "store: sqlite3_initialize failed");
    sqlite3_vfs *root = sqlite3_vfs_find(NULL);
    if (!root || root->iVersion < 2)
        return dg_err_setc(err, DG_EFATAL, "store",
                           "store: no usable default VFS");
    fv.root = root;
    fv.name = dg_strdup(name);
    memset(&fv.vfs, 0, sizeof(fv.vfs));
    fv.vfs.iVersion = root->iVersion > 3 ? 3 : root->iVersion;
    fv.vfs.szOsFile = (int)sizeof(struct ffile) + root->szOsFile;
    fv.vfs.mxPathname = root->mxPathname;
    fv.vfs.zName = fv.name;
    fv.vfs.xOpen = v_open;
    fv.vfs.xDelete = v_delete;
    fv.vfs.xAccess = v_access;
    fv.vfs.xFullPathname = v_fullpath;
    fv.vfs.xDlOpen = root->xDlOpen ? v_dlopen : NULL;
    fv.vfs.xDlError = root->xDlError ? v_dlerror : NULL;
    fv.vfs.xDlSym = root->xDlSym ? v_dlsym : NULL;
    fv.vfs.xDlClose = root->xDlClose ? v_dlclose : NULL;
    fv.vfs.xRandomness = v_random;
    fv.vfs.xSleep = v_sleep;
    fv.vfs.xCurrentTime = v_time;
    fv.vfs.xGetLastError = v_lasterr;
    fv.vfs.xCurrentTimeInt64 = v_time64;
    if (fv.vfs.iVersion >= 3) {
        fv.vfs.xSetSystemCall = root->xSetSystemCall ? v_set_syscall : NULL;
        fv.vfs.xGetSystemCall = root->xGetSystemCall ? v_get_syscall : NULL;
        fv.vfs.xNextSystemCall = root->xNextSystemCall ? v_next_syscall : NULL;
    }
    store_faultvfs_arm(STORE_FAULT_NONE, 0, STORE_FAULT_IOERR);
    if (sqlite3_vfs_register(&fv.vfs, make_default ? 1 : 0) != SQLITE_OK) {
        dg_free(fv.name);
        fv.name = NULL;
        return dg_err_setc(err, DG_EFATAL, "store",
                           "store: cannot register the fault VFS");
    }
    fv.registered = 1;
    return DG_OK;
}

void
store_faultvfs_unregister(void)
{
    if (!fv.registered)
        return;
    sqlite3_vfs_unregister(&fv.vfs);
    /* Unregistering the default makes some other VFS the default: put the
     * root back. */
    sqlite3_vfs_register(fv.root, 1);
    dg_free(fv.name);
    fv.name = NULL;
    fv.registered = 0;
}

void
store_faultvfs_arm(enum store_fault_kind kind, long n,
                   enum store_fault_error error)
{
    fv.kind = kind;
    fv.n = n;
    fv.error = error;
    fv.spent = 0;
    memset(&fv.stats, 0, sizeof(fv.stats));
}

void
store_faultvfs_clear(void)
{
    fv.kind = STORE_FAULT_NONE;
}

void
store_faultvfs_stats(struct store_faultvfs_stats *out)
{
    *out = fv.stats;
}
