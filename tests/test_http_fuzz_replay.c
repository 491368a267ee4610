/*
 * Replays every fuzz target's seed corpus (tests/fuzz/corpus/<target>/) and
 * regression inputs (tests/fuzz/regress/<target>/, crashes found by
 * `make fuzz` and fixed) through the target, compiled with the ordinary
 * compiler (tests/fuzz/fuzz.mk renames LLVMFuzzerTestOneInput). A target
 * aborts on a broken property, which fails this suite with the file named
 * on stderr just before.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

int durable_fuzz_wire_one(const uint8_t *data, size_t size);
int durable_fuzz_ids_one(const uint8_t *data, size_t size);
int durable_fuzz_checkpoint_one(const uint8_t *data, size_t size);
int durable_fuzz_sigv4_one(const uint8_t *data, size_t size);
int durable_fuzz_http_one(const uint8_t *data, size_t size);

typedef int (*fuzz_entry)(const uint8_t *data, size_t size);

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every file of dir through fn, in name order; returns the count (0 if
 * the folder does not exist). */
static int replay_dir(const char *dir, fuzz_entry fn)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(ent->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, compare_names);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        /* Exactly len bytes, like libFuzzer: a read past them is a bug ASan sees. */
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        CU_ASSERT_FATAL(fread(buf, 1, (size_t)len, f) == (size_t)len);
        fclose(f);
        fprintf(stderr, "%s\n", path);
        CU_ASSERT(fn(buf, (size_t)len) == 0);
        free(buf);
        free(names[i]);
        count++;
    }
    free(names);
    return count;
}

static void replay(const char *target, fuzz_entry fn)
{
    char dir[256];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", target);
    int seeds = replay_dir(dir, fn);
    snprintf(dir, sizeof dir, "tests/fuzz/regress/%s", target);
    int regress = replay_dir(dir, fn);
    printf("\n    %s: %d seeds, %d regression inputs ", target, seeds, regress);
    CU_ASSERT(seeds > 0);
}

static void test_wire(void) { replay("wire", durable_fuzz_wire_one); }
static void test_ids(void) { replay("ids", durable_fuzz_ids_one); }
static void test_checkpoint(void) { replay("checkpoint", durable_fuzz_checkpoint_one); }
static void test_sigv4(void) { replay("sigv4", durable_fuzz_sigv4_one); }
static void test_http(void) { replay("http", durable_fuzz_http_one); }

int main(void)
{
    CU_pSuite s = dt_suite("http_fuzz_replay");
    DT_ADD(s, test_wire);
    DT_ADD(s, test_ids);
    DT_ADD(s, test_checkpoint);
    DT_ADD(s, test_sigv4);
    DT_ADD(s, test_http);
    return dt_run();
}
