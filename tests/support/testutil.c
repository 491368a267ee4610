#include "support/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

CU_pSuite dt_suite(const char *name)
{
    if (!CU_get_registry() && CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: cannot initialize registry\n");
        exit(2);
    }
    CU_pSuite s = CU_add_suite(name, NULL, NULL);
    if (!s) {
        fprintf(stderr, "CUnit: cannot add suite %s\n", name);
        exit(2);
    }
    return s;
}

int dt_run(void)
{
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}

uint64_t dt_seed(void)
{
    static int printed;
    static uint64_t seed;
    if (!printed) {
        const char *env = getenv("DURABLE_TEST_SEED");
        seed = env && *env ? strtoull(env, NULL, 10)
                           : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
        printf("\n[seed] DURABLE_TEST_SEED=%llu\n", (unsigned long long)seed);
        printed = 1;
    }
    return seed;
}

void dt_rng_init(dt_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t dt_rng_next(dt_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t dt_rng_below(dt_rng *r, uint64_t n)
{
    return n ? dt_rng_next(r) % n : 0;
}

char *dt_temp_path(const char *stem)
{
    static unsigned counter;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t len = strlen(dir) + strlen(stem) + 64;
    char *p = malloc(len);
    snprintf(p, len, "%s/durable-%s-%ld-%u.db", dir, stem, (long)getpid(), counter++);
    return p;
}

int dt_sqlite_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

void dt_remove_db(const char *path)
{
    char buf[4096];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-journal", path);
    unlink(buf);
}
