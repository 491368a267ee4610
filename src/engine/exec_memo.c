/* The execution row kept between write calls (engine_internal.h, "exec
 * memo"). A checkpoint reads its execution's row before anything else, and
 * the row it leaves behind is exactly what the next checkpoint of that
 * execution reads: keeping it saves that read (a statement through the key
 * index and the table, 27 columns decoded, 10 strings copied: about a tenth
 * of a checkpoint's CPU).
 *
 * A kept row must be what the file holds, so it is used only when nothing
 * can have changed the row since:
 *   - it is taken over only from a call that loaded exactly one execution
 *     and left it saved (exec_clear finds it clean): a call that loaded two
 *     could have saved either through either copy, so it drops the memo;
 *   - it is taken over when that call commits; a call that fails (its
 *     ROLLBACK, or ROLLBACK TO inside a group) and a group that ends
 *     without its COMMIT drop it;
 *   - the connection's data version (SQLITE_FCNTL_DATA_VERSION) is noted
 *     after each of this engine's commits, and every write call compares
 *     it once it holds the write lock: the version moves with every commit
 *     on the file, by another process or connection (seen when the write
 *     lock is taken), another engine on the same store, or plain SQL on the
 *     store's connection, so any of them drops the memo. Read transactions
 *     and rollbacks do not move it; a write call's own commit does, and is
 *     noted. A group's calls run inside its one write transaction, whose
 *     COMMIT is noted when the group ends.
 * Every other column of executions (result, error, the stored ClientToken
 * response) is read by its own statements. */
#include <string.h>

#include "engine/engine_internal.h"

struct durable__exec_memo {
    eng_exec row;      /* owned; valid when has */
    bool has;
    unsigned version;  /* data version after this engine's last commit */
    eng_exec pending;  /* this call's row, kept when the call commits */
    bool has_pending;
    bool write;        /* the call in progress is a write call */
    int loads;         /* executions this call loaded */
};

static unsigned data_version(durable_engine *e)
{
    unsigned v = 0;
    sqlite3_file_control(durable__store_db(e->store), "main", SQLITE_FCNTL_DATA_VERSION, &v);
    return v;
}

static void drop_row(struct durable__exec_memo *m)
{
    if (m->has)
        durable__exec_clear(&m->row);
    m->has = false;
}

static void drop_pending(struct durable__exec_memo *m)
{
    if (m->has_pending)
        durable__exec_clear(&m->pending);
    m->has_pending = false;
}

void durable__exec_memo_free(durable_engine *e)
{
    if (!e->memo)
        return;
    drop_row(e->memo);
    drop_pending(e->memo);
    durable_free(e->memo);
    e->memo = NULL;
}

void durable__exec_memo_begin(durable_engine *e, bool write)
{
    struct durable__exec_memo *m = e->memo;
    if (!m && write && !(m = e->memo = durable__calloc(1, sizeof *m)))
        return; /* no memo: every load reads the row */
    if (!m)
        return;
    drop_pending(m);
    m->write = write;
    m->loads = 0;
    if (write && m->has && data_version(e) != m->version)
        drop_row(m); /* a commit since this engine's last one */
}

bool durable__exec_memo_take(durable_engine *e, eng_exec *x, const char *arn, int64_t rowid)
{
    struct durable__exec_memo *m = e->memo;
    if (!m || !m->write || m->loads++ != 0 || !m->has ||
        (arn ? strcmp(m->row.arn, arn) != 0 : m->row.rowid != rowid))
        return false;
    *x = m->row;
    memset(&m->row, 0, sizeof m->row);
    m->has = false;
    x->memo = e;
    return true;
}

void durable__exec_memo_loaded(durable_engine *e, eng_exec *x)
{
    struct durable__exec_memo *m = e->memo;
    if (m && m->write)
        x->memo = e;
}

bool durable__exec_memo_park(eng_exec *x, bool clean)
{
    durable_engine *e = x->memo;
    struct durable__exec_memo *m = e ? e->memo : NULL;
    x->memo = NULL;
    if (!clean || !m || !m->write)
        return false;
    drop_pending(m);
    m->pending = *x;
    m->pending.inflight_start_ms = 0; /* what this call read, not the row */
    m->has_pending = true;
    memset(x, 0, sizeof *x);
    return true;
}

void durable__exec_memo_committed(durable_engine *e)
{
    struct durable__exec_memo *m = e->memo;
    if (!m || !m->write)
        return;
    if (m->loads > 1) {
        drop_row(m);
        drop_pending(m);
    } else if (m->has_pending) {
        drop_row(m);
        m->row = m->pending;
        m->has = true;
        m->has_pending = false;
        memset(&m->pending, 0, sizeof m->pending);
    }
    /* Otherwise a kept row is of an execution this call did not load, so
     * did not write (rows are written only through a loaded copy; a created
     * one is new): it stays, checked at this call's start. */
    m->version = data_version(e);
    m->write = false;
}

void durable__exec_memo_group_committed(durable_engine *e)
{
    if (e->memo)
        e->memo->version = data_version(e); /* the group's own COMMIT */
}

void durable__exec_memo_forget(durable_engine *e)
{
    struct durable__exec_memo *m = e->memo;
    if (!m)
        return;
    drop_row(m);
    drop_pending(m);
    m->write = false;
}
