/*
 * Shared helpers of the libFuzzer targets (tests/fuzz/fuzz_<target>.c; not
 * API). Each target defines LLVMFuzzerTestOneInput. `make fuzz` links it
 * with libFuzzer (clang -fsanitize=fuzzer,address,undefined); `make test`
 * compiles the same file with the entry renamed to durable_fuzz_<target>_one
 * and replays the seed corpus and every regression input through it
 * (tests/test_http_fuzz_replay.c), so a crash once found stays fixed.
 *
 * A property that does not hold calls fuzz_fail, which prints what broke
 * and aborts: libFuzzer saves the input as a crash, and the replay suite
 * dies naming the file.
 */
#ifndef DURABLE_TESTS_FUZZ_H
#define DURABLE_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "durable/clock.h"
#include "durable/engine.h"
#include "durable/model.h"

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            fuzz_fail(__FILE__, __LINE__, #cond);                                          \
    } while (0)

_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* Compact JSON of a tree (NULL tree -> NULL); malloc'd text, free(). */
char *fuzz_print(const cJSON *json);

/* Every row of every table of the store, ordered, as one text (malloc'd;
 * free()). Two equal dumps mean an unchanged database. */
char *fuzz_dump(durable_store *store);

/* A byte image of a ":memory:" store (sqlite3_serialize), to tell cheaply
 * whether a call changed anything: equal images mean equal tables; when the
 * bytes differ, fuzz_image_same compares the tables' rows (the image loaded
 * into a second connection, both dumped) before saying so. */
typedef struct fuzz_image {
    unsigned char *bytes; /* sqlite3_malloc'd */
    int64_t size;
} fuzz_image;

void fuzz_image_take(fuzz_image *out, durable_store *store);
bool fuzz_image_same(const fuzz_image *before, durable_store *store);
void fuzz_image_free(fuzz_image *img);

/* Rows the store's connection has inserted, updated or deleted so far: a
 * cheap "nothing was written" check for calls that must only read. */
int64_t fuzz_changes(durable_store *store);

/* A fresh engine on ":memory:" with a fixed virtual clock; fuzz_env_close
 * releases everything (accepts a zeroed env). */
typedef struct fuzz_env {
    durable_vclock *vc;
    durable_store *store;
    durable_engine *eng;
} fuzz_env;

int fuzz_env_open(fuzz_env *f);
void fuzz_env_close(fuzz_env *f);

/* Reads the input bytes as a little stream. */
typedef struct fuzz_reader {
    const uint8_t *data;
    size_t size;
    size_t at;
} fuzz_reader;

/* Next byte (0 once the input is used up). */
uint8_t fuzz_byte(fuzz_reader *r);
/* True while bytes are left. */
int fuzz_more(const fuzz_reader *r);

#endif
