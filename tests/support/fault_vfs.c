/* The fault-injecting VFS of fault_vfs.h: a shim that forwards every call to
 * the wrapped VFS and its files, counting and failing reads, writes and
 * syncs on request. */
#include "support/fault_vfs.h"

#include <string.h>

#include <sqlite3.h>

typedef struct fault_file {
    sqlite3_file base;
    sqlite3_file *real; /* lives right after this struct */
} fault_file;

static struct {
    sqlite3_vfs vfs;
    sqlite3_vfs *real;
    bool installed;
    bool active;
    fault_kind kind;
    long target;
    int code;
    long counts[FAULT_KINDS];
    int fired;
    long fired_total;
} st;

/* The fault for this call, or SQLITE_OK to forward it. */
static int hit(fault_kind kind)
{
    if (!st.active)
        return SQLITE_OK;
    long n = ++st.counts[kind];
    if (kind != st.kind || st.target <= 0 || n != st.target)
        return SQLITE_OK;
    st.fired++;
    st.fired_total++;
    if (st.code != SQLITE_IOERR)
        return st.code;
    static const int ext[FAULT_KINDS] = {SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, SQLITE_IOERR_READ};
    return ext[kind];
}

#define REAL(f) (((fault_file *)(f))->real)

static int f_close(sqlite3_file *f)
{
    return REAL(f)->pMethods->xClose(REAL(f));
}

static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    int rc = hit(FAULT_READ);
    return rc ? rc : REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    int rc = hit(FAULT_WRITE);
    return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), buf, amt, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    int rc = hit(FAULT_SYNC);
    return rc ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *out)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), out);
}

static int f_lock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int f_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int f_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **out)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, out);
}

static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* No memory-mapped pages: every read goes through f_read and is counted. */
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
    (void)f;
    (void)off;
    (void)amt;
    *out = NULL;
    return SQLITE_OK;
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    (void)f;
    (void)off;
    (void)p;
    return SQLITE_OK;
}

static const sqlite3_io_methods methods = {
    3,         f_close,    f_read,       f_write,         f_truncate,  f_sync,
    f_size,    f_lock,     f_unlock,     f_reserved,      f_control,   f_sector,
    f_device,  f_shm_map,  f_shm_lock,   f_shm_barrier,   f_shm_unmap, f_fetch,
    f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    fault_file *ff = (fault_file *)f;
    ff->real = (sqlite3_file *)(ff + 1);
    int rc = st.real->xOpen(st.real, name, ff->real, flags, out_flags);
    /* SQLite calls xClose only when pMethods is set. */
    ff->base.pMethods = ff->real->pMethods ? &methods : NULL;
    return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return st.real->xDelete(st.real, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return st.real->xAccess(st.real, name, flags, out);
}

static int v_full(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return st.real->xFullPathname(st.real, name, n, out);
}

static void *v_dlopen(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return st.real->xDlOpen(st.real, name);
}

static void v_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    st.real->xDlError(st.real, n, out);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return st.real->xDlSym(st.real, h, sym);
}

static void v_dlclose(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    st.real->xDlClose(st.real, h);
}

static int v_random(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return st.real->xRandomness(st.real, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return st.real->xSleep(st.real, us);
}

static int v_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return st.real->xCurrentTime(st.real, out);
}

static int v_lasterr(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return st.real->xGetLastError ? st.real->xGetLastError(st.real, n, out) : 0;
}

static int v_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return st.real->xCurrentTimeInt64(st.real, out);
}

int fault_vfs_install(void)
{
    if (st.installed)
        return sqlite3_vfs_register(&st.vfs, 1);
    int rc = sqlite3_initialize();
    if (rc != SQLITE_OK)
        return rc;
    st.real = sqlite3_vfs_find(NULL);
    if (!st.real)
        return SQLITE_ERROR;
    memset(&st.vfs, 0, sizeof st.vfs);
    st.vfs.iVersion = 2;
    st.vfs.szOsFile = (int)sizeof(fault_file) + st.real->szOsFile;
    st.vfs.mxPathname = st.real->mxPathname;
    st.vfs.zName = "durable-fault";
    st.vfs.xOpen = v_open;
    st.vfs.xDelete = v_delete;
    st.vfs.xAccess = v_access;
    st.vfs.xFullPathname = v_full;
    st.vfs.xDlOpen = v_dlopen;
    st.vfs.xDlError = v_dlerror;
    st.vfs.xDlSym = v_dlsym;
    st.vfs.xDlClose = v_dlclose;
    st.vfs.xRandomness = v_random;
    st.vfs.xSleep = v_sleep;
    st.vfs.xCurrentTime = v_time;
    st.vfs.xGetLastError = v_lasterr;
    st.vfs.xCurrentTimeInt64 = v_time64;
    rc = sqlite3_vfs_register(&st.vfs, 1);
    st.installed = rc == SQLITE_OK;
    return rc;
}

void fault_vfs_uninstall(void)
{
    if (st.installed)
        sqlite3_vfs_register(st.real, 1);
}

void fault_vfs_arm(fault_kind kind, long n, int code)
{
    st.kind = kind;
    st.target = n;
    st.code = code;
    memset(st.counts, 0, sizeof st.counts);
    st.fired = 0;
    st.active = true;
}

void fault_vfs_disarm(void)
{
    st.target = 0;
    st.active = false;
}

bool fault_vfs_set_active(bool active)
{
    bool was = st.active;
    st.active = active;
    return was;
}

long fault_vfs_count(fault_kind kind)
{
    return st.counts[kind];
}

int fault_vfs_fired(void)
{
    return st.fired;
}

long fault_vfs_fired_total(void)
{
    return st.fired_total;
}
