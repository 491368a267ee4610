/*
 * An SQLite VFS for tests that fails chosen I/O (not API; tests and tools
 * only). fault_vfs_install registers "durable-fault" as the default VFS,
 * wrapping the one that was the default; every file SQLite opens after that
 * (database, WAL, journal) goes through it, so the library under test needs
 * no change. While active, it counts writes, syncs and reads, and fails the
 * Nth of one kind with the code asked for (SQLITE_IOERR becomes the kind's
 * extended code, SQLITE_IOERR_WRITE/_FSYNC/_READ; SQLITE_FULL stays). The
 * fault fires once; later calls pass through.
 *
 * Not thread-safe: one test thread drives it.
 */
#ifndef DURABLE_TESTS_FAULT_VFS_H
#define DURABLE_TESTS_FAULT_VFS_H

#include <stdbool.h>

typedef enum fault_kind { FAULT_WRITE = 0, FAULT_SYNC, FAULT_READ, FAULT_KINDS } fault_kind;

/* Register as the default VFS (idempotent); SQLITE_OK or an SQLite code. */
int fault_vfs_install(void);
/* Make the wrapped VFS the default again (files already open keep working). */
void fault_vfs_uninstall(void);

/* Start counting from zero; fail the nth (1-based) operation of `kind` with
 * `code`. n = 0 only counts. */
void fault_vfs_arm(fault_kind kind, long n, int code);
/* No fault pending; counting stops. */
void fault_vfs_disarm(void);
/* Pause / resume counting and the fault (e.g. while a test inspects the
 * file); returns the previous state. */
bool fault_vfs_set_active(bool active);
/* Operations of `kind` counted since the last arm. */
long fault_vfs_count(fault_kind kind);
/* Faults injected since the last arm (0 or 1), and in total. */
int fault_vfs_fired(void);
long fault_vfs_fired_total(void);

#endif
