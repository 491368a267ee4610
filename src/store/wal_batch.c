/*
 * WAL write gathering: a VFS shim over the process's default VFS.
 *
 * Why: SQLite writes every WAL frame with two writes, its 24-byte header and
 * then its page, and with synchronous=NORMAL nothing else happens at COMMIT.
 * An engine step writes about 5 frames, so 10 pwrite calls; measured on the
 * 2-core VM, two pwrites per 2 KiB frame cost 2.44 us a frame and one write
 * of 5 frames 0.56 us a frame: about a quarter of a step on a file.
 *
 * What: for a WAL file only, writes that append to the bytes gathered so far
 * are copied into a per-file buffer and handed to the OS as one write of the
 * whole run. The rules that keep it as durable as SQLite alone:
 *  - A COMMIT's bytes reach the OS before COMMIT returns. A frame header
 *    sits at 32 + k * (24 + page_size); its bytes 4..7 (the database size
 *    after the commit) are non-zero only in a commit frame. When a write
 *    completes a commit frame (SQLite writes the header, then the page), the
 *    buffer is written before that write returns, and a failure is that
 *    write's error: the commit fails as a whole, and SQLite writes those
 *    frames again next time. Bytes whose write failed are dropped, never
 *    retried (that could complete a failed COMMIT on disk); until the
 *    transaction ends, reading them and any WAL write fail. A header whose
 *    bytes 4..7 are split between two
 *    writes counts as a commit (SQLite never splits one; it only costs a
 *    write). So an application crash after COMMIT loses nothing, and another
 *    process, which reads frames only after SQLite has updated the wal-index
 *    (after the frame writes), finds them in the file.
 *  - Everything else on the WAL file (read, sync, truncate, size, locks,
 *    file controls, shared memory, close), a write that does not append, and
 *    a full buffer write the buffer out first, so SQLite never sees the file
 *    other than it would without the shim.
 *  - Frames of a transaction that rolls back after spilling pages stay in
 *    the buffer (nothing else touches the WAL file at a rollback). They are
 *    written out when the connection releases the WAL write lock (an
 *    xShmLock on the main database file, which this shim wraps for that),
 *    as SQLite would have written them: written later they could land on
 *    frames another writer has committed in the meantime. The release is
 *    not where commits go out: between SQLite's update of the wal-index and
 *    the release, another process may already read the commit's frames.
 *  - No page size (the WAL header, bytes 8..11, read from the write at offset
 *    0 or else from the file once per transaction), no link to the database
 *    file, or no memory: writes go straight through, as without the shim.
 * Other files (database, journals, temporary files) are the wrapped VFS's
 * own objects, except that the main database file forwards through the
 * shim to see the lock release.
 *
 * The store opens its files in SQLite's normal locking mode; in exclusive
 * locking mode (no xShmLock calls) gathered rollback frames would wait for
 * the next operation on the file, and a failed write would fail the
 * connection's WAL writes until it closes.
 *
 * One shim per wrapped VFS ("durable-walbatch-N:<name>"), made when a store
 * opens with that VFS as the default and kept for the life of the process:
 * tests that install a fault-injecting VFS as the default still see every
 * write (the shim sits above it). A file belongs to one connection, used by
 * one thread at a time; the list of shims is guarded by a mutex.
 */
#include "store/wal_batch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

enum {
    WAL_HEADER = 32,
    FRAME_HEADER = 24,
    /* Room for a commit of 60 frames of 2 KiB (an engine step writes about
     * 5); a bigger commit goes out in 128 KiB writes. */
    GATHER_CAP = 128 * 1024,
};

typedef struct shim_vfs {
    sqlite3_vfs base;
    sqlite3_vfs *real;
    struct shim_vfs *next;
    char name[96];
} shim_vfs;

typedef struct wal_file wal_file;

typedef struct db_file {
    sqlite3_file base;
    sqlite3_file *real;
    wal_file *wal; /* this connection's WAL file while both are open */
} db_file;

struct wal_file {
    sqlite3_file base;
    sqlite3_file *real;
    db_file *db;             /* the main database file; NULL: write through */
    unsigned char *buf;      /* GATHER_CAP bytes, allocated at the first gather */
    int len;                 /* bytes gathered */
    sqlite3_int64 start;     /* file offset of buf[0] */
    int page_size;           /* 0 while unknown: write through */
    bool header_tried;       /* read the WAL header from the file in this transaction */
    sqlite3_int64 commit_end; /* end of a commit frame whose page is still to come; 0 none */
    sqlite3_int64 written_end; /* end of the furthest write in this transaction */
    /* Bytes whose write failed, dropped: [lost_start, lost_end), until the
     * transaction ends; empty when lost_end == 0. */
    sqlite3_int64 lost_start, lost_end;
};

/* The wrapped VFS's file object lives after ours, 8-byte aligned. */
#define HEAD_SIZE                                                                                \
    (((sizeof(db_file) > sizeof(wal_file) ? sizeof(db_file) : sizeof(wal_file)) + 7) & ~(size_t)7)
#define REAL_OF(f) ((sqlite3_file *)((char *)(f) + HEAD_SIZE))
#define REAL_VFS(v) (((shim_vfs *)(v))->real)

static pthread_mutex_t shims_lock = PTHREAD_MUTEX_INITIALIZER;
static shim_vfs *shims;
static int shim_count;

/* ---- the gathering ------------------------------------------------------ */

static unsigned get32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | (unsigned)p[3];
}

/* Page size from a WAL header, or 0 when it is not one. */
static int header_page_size(const unsigned char *h)
{
    unsigned magic = get32(h), size = get32(h + 8);
    if (magic != 0x377f0682u && magic != 0x377f0683u)
        return 0;
    if (size < 512 || size > 65536 || (size & (size - 1)) != 0)
        return 0;
    return (int)size;
}

/* A failed write drops the bytes and remembers where they were: written
 * later (retried), they could complete on disk a COMMIT that has failed, for
 * a crash to bring back. Until the transaction ends, its reads of those
 * bytes and all its WAL writes fail, so SQLite can neither read what is not
 * there nor commit frames that are not in the file (after some errors, a
 * statement rollback on SQLITE_FULL, it would go on with the transaction). */
static int flush(wal_file *w)
{
    if (w->len == 0)
        return SQLITE_OK;
    int rc = w->real->pMethods->xWrite(w->real, w->buf, w->len, w->start);
    if (rc != SQLITE_OK) {
        sqlite3_int64 end = w->start + w->len;
        if (w->lost_end == 0 || w->start < w->lost_start)
            w->lost_start = w->start;
        if (end > w->lost_end)
            w->lost_end = end;
    }
    w->len = 0;
    return rc;
}

/* Before anything but a write: the file must be what SQLite wrote. */
#define FLUSH_FIRST(w)                                                                           \
    do {                                                                                         \
        int frc_ = flush(w);                                                                     \
        if (frc_ != SQLITE_OK)                                                                   \
            return frc_;                                                                         \
    } while (0)

/* Learn the page size from the file's WAL header when SQLite has not
 * written one through this file object (the WAL existed before it). */
static void read_page_size(wal_file *w)
{
    unsigned char h[WAL_HEADER];
    if (!w->db || w->page_size || w->header_tried || w->len > 0)
        return;
    w->header_tried = true;
    if (w->real->pMethods->xRead(w->real, h, WAL_HEADER, 0) == SQLITE_OK)
        w->page_size = header_page_size(h);
}

/* Look at the frame headers whose bytes 4..7 meet the write [off, off+amt):
 * true when the write completes a commit frame (its buffer must go out now);
 * a commit frame still missing bytes is remembered in commit_end. A header
 * written over a frame this transaction wrote whole before is complete at
 * once: at COMMIT, after overwriting a spilled page in place, SQLite
 * rewrites the checksums of the frames from there on, headers only, the
 * commit frame's last. */
static bool completes_commit(wal_file *w, const unsigned char *data, int amt, sqlite3_int64 off)
{
    sqlite3_int64 end = off + amt;
    bool complete = w->commit_end != 0 && end >= w->commit_end;
    if (complete)
        w->commit_end = 0;
    if (end > w->written_end)
        w->written_end = end;
    if (w->page_size == 0)
        return complete;
    sqlite3_int64 frame = (sqlite3_int64)w->page_size + FRAME_HEADER;
    /* The first header b with b + 8 > off. */
    sqlite3_int64 k = off < WAL_HEADER + 8 ? 0 : (off - WAL_HEADER - 8) / frame + 1;
    for (sqlite3_int64 b = WAL_HEADER + k * frame; b + 4 < end; b += frame) {
        bool commit;
        if (b + 4 >= off && b + 8 <= end)
            commit = get32(data + (b + 4 - off)) != 0;
        else
            commit = true; /* split between writes: assume the worst */
        if (!commit)
            continue;
        if (b + frame <= end) {
            complete = true;
            continue;
        }
        /* Its page is still to come, unless the header overwrites a frame
         * written whole before: then now, and again if a page follows
         * (after ROLLBACK TO, a commit may append over spilled frames). */
        w->commit_end = b + frame;
        if (b + frame <= w->written_end)
            complete = true;
    }
    return complete;
}

static bool can_gather(wal_file *w, int amt, sqlite3_int64 off)
{
    if (!w->db || w->page_size == 0 || amt > GATHER_CAP)
        return false;
    if (w->len > 0)
        return off == w->start + w->len && w->len + amt <= GATHER_CAP;
    if (!w->buf)
        w->buf = sqlite3_malloc(GATHER_CAP);
    return w->buf != NULL;
}

static int wal_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
    wal_file *w = (wal_file *)f;
    const unsigned char *p = data;
    if (w->lost_end != 0)
        return SQLITE_IOERR_WRITE;
    if (off == 0 && amt >= 12) {
        /* SQLite (re)starting the log: its header carries the page size. */
        FLUSH_FIRST(w);
        w->page_size = header_page_size(p);
        w->commit_end = 0;
        w->written_end = 0;
    } else if (off >= WAL_HEADER) {
        read_page_size(w);
    }
    bool complete = completes_commit(w, p, amt, off);
    if (!can_gather(w, amt, off)) {
        FLUSH_FIRST(w);
        if (!can_gather(w, amt, off))
            return w->real->pMethods->xWrite(w->real, data, amt, off);
    }
    if (w->len == 0)
        w->start = off;
    memcpy(w->buf + w->len, data, (size_t)amt);
    w->len += amt;
    return complete ? flush(w) : SQLITE_OK;
}

/* The connection releases the WAL write lock: whatever is still gathered
 * belongs to no commit (a rolled-back transaction's spilled pages). Write it
 * as SQLite would have, while the lock still keeps other writers out; its
 * failure does not matter (those frames are past the log's end). */
static void wal_release(wal_file *w)
{
    if (w->lost_end == 0)
        flush(w);
    w->len = 0;
    w->lost_start = w->lost_end = 0;
    w->commit_end = 0;
    w->written_end = 0;
    w->header_tried = false;
}

/* ---- the WAL file's methods --------------------------------------------- */

#define WREAL(f) (((wal_file *)(f))->real)

static int wal_close(sqlite3_file *f)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    if (w->db)
        w->db->wal = NULL;
    sqlite3_free(w->buf);
    w->buf = NULL;
    int crc = w->real->pMethods->xClose(w->real);
    return rc != SQLITE_OK ? rc : crc;
}

static int wal_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    wal_file *w = (wal_file *)f;
    FLUSH_FIRST(w);
    if (w->lost_end != 0 && off < w->lost_end && off + amt > w->lost_start)
        return SQLITE_IOERR_READ;
    return w->real->pMethods->xRead(w->real, buf, amt, off);
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xTruncate(WREAL(f), size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xSync(WREAL(f), flags);
}

static int wal_size(sqlite3_file *f, sqlite3_int64 *out)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xFileSize(WREAL(f), out);
}

static int wal_lock(sqlite3_file *f, int level)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xLock(WREAL(f), level);
}

static int wal_unlock(sqlite3_file *f, int level)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xUnlock(WREAL(f), level);
}

static int wal_reserved(sqlite3_file *f, int *out)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xCheckReservedLock(WREAL(f), out);
}

static int wal_control(sqlite3_file *f, int op, void *arg)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xFileControl(WREAL(f), op, arg);
}

static int wal_sector(sqlite3_file *f)
{
    return WREAL(f)->pMethods->xSectorSize(WREAL(f));
}

static int wal_device(sqlite3_file *f)
{
    return WREAL(f)->pMethods->xDeviceCharacteristics(WREAL(f));
}

static int wal_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **out)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xShmMap(WREAL(f), pg, sz, extend, out);
}

static int wal_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xShmLock(WREAL(f), off, n, flags);
}

static void wal_shm_barrier(sqlite3_file *f)
{
    flush((wal_file *)f);
    WREAL(f)->pMethods->xShmBarrier(WREAL(f));
}

static int wal_shm_unmap(sqlite3_file *f, int del)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xShmUnmap(WREAL(f), del);
}

static int wal_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
    *out = NULL;
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xFetch(WREAL(f), off, amt, out);
}

static int wal_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    FLUSH_FIRST((wal_file *)f);
    return WREAL(f)->pMethods->xUnfetch(WREAL(f), off, p);
}

/* ---- the main database file's methods: forwarded ------------------------ */

#define DREAL(f) (((db_file *)(f))->real)

static int db_close(sqlite3_file *f)
{
    db_file *d = (db_file *)f;
    if (d->wal)
        d->wal->db = NULL;
    return d->real->pMethods->xClose(d->real);
}

static int db_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    return DREAL(f)->pMethods->xRead(DREAL(f), buf, amt, off);
}

static int db_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    return DREAL(f)->pMethods->xWrite(DREAL(f), buf, amt, off);
}

static int db_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return DREAL(f)->pMethods->xTruncate(DREAL(f), size);
}

static int db_sync(sqlite3_file *f, int flags)
{
    return DREAL(f)->pMethods->xSync(DREAL(f), flags);
}

static int db_size(sqlite3_file *f, sqlite3_int64 *out)
{
    return DREAL(f)->pMethods->xFileSize(DREAL(f), out);
}

static int db_lock(sqlite3_file *f, int level)
{
    return DREAL(f)->pMethods->xLock(DREAL(f), level);
}

static int db_unlock(sqlite3_file *f, int level)
{
    return DREAL(f)->pMethods->xUnlock(DREAL(f), level);
}

static int db_reserved(sqlite3_file *f, int *out)
{
    return DREAL(f)->pMethods->xCheckReservedLock(DREAL(f), out);
}

static int db_control(sqlite3_file *f, int op, void *arg)
{
    return DREAL(f)->pMethods->xFileControl(DREAL(f), op, arg);
}

static int db_sector(sqlite3_file *f)
{
    return DREAL(f)->pMethods->xSectorSize(DREAL(f));
}

static int db_device(sqlite3_file *f)
{
    return DREAL(f)->pMethods->xDeviceCharacteristics(DREAL(f));
}

static int db_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **out)
{
    return DREAL(f)->pMethods->xShmMap(DREAL(f), pg, sz, extend, out);
}

/* WAL_WRITE_LOCK is slot 0 of the wal-index locks. */
static int db_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    db_file *d = (db_file *)f;
    if (d->wal && (flags & SQLITE_SHM_UNLOCK) && (flags & SQLITE_SHM_EXCLUSIVE) && off <= 0 &&
        off + n > 0)
        wal_release(d->wal);
    return d->real->pMethods->xShmLock(d->real, off, n, flags);
}

static void db_shm_barrier(sqlite3_file *f)
{
    DREAL(f)->pMethods->xShmBarrier(DREAL(f));
}

static int db_shm_unmap(sqlite3_file *f, int del)
{
    return DREAL(f)->pMethods->xShmUnmap(DREAL(f), del);
}

static int db_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
    return DREAL(f)->pMethods->xFetch(DREAL(f), off, amt, out);
}

static int db_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return DREAL(f)->pMethods->xUnfetch(DREAL(f), off, p);
}

/* One table per io_methods version, so SQLite calls only what the wrapped
 * file has (a version-1 file has no shared memory). */
#define METHODS(v, x)                                                                            \
    {                                                                                            \
        v, x##_close, x##_read, x##_write, x##_truncate, x##_sync, x##_size, x##_lock,           \
            x##_unlock, x##_reserved, x##_control, x##_sector, x##_device, x##_shm_map,          \
            x##_shm_lock, x##_shm_barrier, x##_shm_unmap, x##_fetch, x##_unfetch,                \
    }
static const sqlite3_io_methods wal_methods[3] = {METHODS(1, wal), METHODS(2, wal),
                                                  METHODS(3, wal)};
static const sqlite3_io_methods db_methods[3] = {METHODS(1, db), METHODS(2, db), METHODS(3, db)};

static const sqlite3_io_methods *version_of(const sqlite3_io_methods *table,
                                            const sqlite3_io_methods *real)
{
    if (!real)
        return NULL;
    int v = real->iVersion < 1 ? 1 : real->iVersion > 3 ? 3 : real->iVersion;
    return &table[v - 1];
}

/* ---- the VFS ------------------------------------------------------------ */

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    sqlite3_vfs *real = REAL_VFS(vfs);
    if (flags & SQLITE_OPEN_MAIN_DB) {
        db_file *d = (db_file *)f;
        memset(d, 0, sizeof *d);
        d->real = REAL_OF(f);
        int rc = real->xOpen(real, name, d->real, flags, out_flags);
        /* SQLite calls xClose only when pMethods is set. */
        d->base.pMethods = version_of(db_methods, d->real->pMethods);
        return rc;
    }
    if (flags & SQLITE_OPEN_WAL) {
        wal_file *w = (wal_file *)f;
        memset(w, 0, sizeof *w);
        w->real = REAL_OF(f);
        int rc = real->xOpen(real, name, w->real, flags, out_flags);
        w->base.pMethods = version_of(wal_methods, w->real->pMethods);
        if (rc == SQLITE_OK && w->base.pMethods && name) {
            /* The database file of this WAL (same connection): gather only
             * when its lock release is seen. */
            sqlite3_file *main = sqlite3_database_file_object(name);
            if (main && (main->pMethods == &db_methods[0] || main->pMethods == &db_methods[1] ||
                         main->pMethods == &db_methods[2])) {
                w->db = (db_file *)main;
                w->db->wal = w;
            }
        }
        return rc;
    }
    /* Anything else is the wrapped VFS's own object, in place. */
    return real->xOpen(real, name, f, flags, out_flags);
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    return REAL_VFS(vfs)->xDelete(REAL_VFS(vfs), name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    return REAL_VFS(vfs)->xAccess(REAL_VFS(vfs), name, flags, out);
}

static int v_full(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    return REAL_VFS(vfs)->xFullPathname(REAL_VFS(vfs), name, n, out);
}

static void *v_dlopen(sqlite3_vfs *vfs, const char *name)
{
    return REAL_VFS(vfs)->xDlOpen(REAL_VFS(vfs), name);
}

static void v_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    REAL_VFS(vfs)->xDlError(REAL_VFS(vfs), n, out);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    return REAL_VFS(vfs)->xDlSym(REAL_VFS(vfs), h, sym);
}

static void v_dlclose(sqlite3_vfs *vfs, void *h)
{
    REAL_VFS(vfs)->xDlClose(REAL_VFS(vfs), h);
}

static int v_random(sqlite3_vfs *vfs, int n, char *out)
{
    return REAL_VFS(vfs)->xRandomness(REAL_VFS(vfs), n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    return REAL_VFS(vfs)->xSleep(REAL_VFS(vfs), us);
}

static int v_time(sqlite3_vfs *vfs, double *out)
{
    return REAL_VFS(vfs)->xCurrentTime(REAL_VFS(vfs), out);
}

static int v_lasterr(sqlite3_vfs *vfs, int n, char *out)
{
    return REAL_VFS(vfs)->xGetLastError ? REAL_VFS(vfs)->xGetLastError(REAL_VFS(vfs), n, out) : 0;
}

static int v_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    return REAL_VFS(vfs)->xCurrentTimeInt64(REAL_VFS(vfs), out);
}

static bool is_shim(const sqlite3_vfs *v)
{
    return v->xOpen == v_open;
}

/* A new shim over real, registered (not as the default). Called locked. */
static shim_vfs *make_shim(sqlite3_vfs *real)
{
    shim_vfs *s = sqlite3_malloc(sizeof *s);
    if (!s)
        return NULL;
    memset(s, 0, sizeof *s);
    s->real = real;
    snprintf(s->name, sizeof s->name, "durable-walbatch-%d:%s", shim_count,
             real->zName ? real->zName : "");
    sqlite3_vfs *v = &s->base;
    v->iVersion = real->iVersion >= 2 ? 2 : 1;
    v->szOsFile = (int)HEAD_SIZE + real->szOsFile;
    v->mxPathname = real->mxPathname;
    v->zName = s->name;
    v->xOpen = v_open;
    v->xDelete = v_delete;
    v->xAccess = v_access;
    v->xFullPathname = v_full;
    v->xDlOpen = v_dlopen;
    v->xDlError = v_dlerror;
    v->xDlSym = v_dlsym;
    v->xDlClose = v_dlclose;
    v->xRandomness = v_random;
    v->xSleep = v_sleep;
    v->xCurrentTime = v_time;
    v->xGetLastError = v_lasterr;
    if (v->iVersion >= 2)
        v->xCurrentTimeInt64 = v_time64;
    if (sqlite3_vfs_register(v, 0) != SQLITE_OK) {
        sqlite3_free(s);
        return NULL;
    }
    shim_count++;
    s->next = shims;
    shims = s;
    return s;
}

const char *durable__wal_batch_vfs(void)
{
    sqlite3_vfs *dflt = sqlite3_vfs_find(NULL);
    if (!dflt)
        return NULL;
    if (is_shim(dflt))
        return dflt->zName;
    pthread_mutex_lock(&shims_lock);
    shim_vfs *s = shims;
    while (s && s->real != dflt)
        s = s->next;
    if (!s)
        s = make_shim(dflt);
    pthread_mutex_unlock(&shims_lock);
    return s ? s->name : NULL;
}
