/*
 * Shared helpers for the CUnit suites (not API).
 *
 * Each tests/test_<module>.c is its own program:
 *     int main(void) {
 *         CU_pSuite s = dt_suite("model_json");
 *         DT_ADD(s, test_roundtrip);
 *         return dt_run();
 *     }
 * dt_run() runs every registered suite in verbose mode, prints CUnit's
 * summary, and returns non-zero on any failure.
 *
 * Property tests take their seed from dt_seed(): DURABLE_TEST_SEED from the
 * environment, else the time. The seed is printed so a failure reproduces.
 */
#ifndef DURABLE_TESTS_TESTUTIL_H
#define DURABLE_TESTS_TESTUTIL_H

#include <stdint.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

CU_pSuite dt_suite(const char *name);
#define DT_ADD(suite, fn) CU_add_test((suite), #fn, (fn))
int dt_run(void);

/* Seed for property tests (printed once per process). */
uint64_t dt_seed(void);

/* splitmix64-based PRNG: deterministic from its seed. */
typedef struct dt_rng {
    uint64_t state;
} dt_rng;
void dt_rng_init(dt_rng *r, uint64_t seed);
uint64_t dt_rng_next(dt_rng *r);
/* Uniform in [0, n). */
uint64_t dt_rng_below(dt_rng *r, uint64_t n);

/* Fail the current test with the seed in the message when cond is false. */
#define DT_PROP(cond, seed, case_no)                                                    \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "property failed: %s (seed=%llu case=%d)\n", #cond,        \
                    (unsigned long long)(seed), (int)(case_no));                        \
            CU_FAIL(#cond);                                                             \
        }                                                                               \
    } while (0)

/* Path of a fresh temporary file name under $TMPDIR (not created); free(). */
char *dt_temp_path(const char *stem);
/* Remove a database file and its -wal/-shm companions. */
void dt_remove_db(const char *path);
/* Run sql on the file at path with plain SQLite, bypassing the store (how a
 * foreign tool, or an older library, would write it). Returns SQLite's code. */
int dt_sqlite_exec(const char *path, const char *sql);

#endif
