/* Status codes, the thread-local last error and the allocator. */
#include <pthread.h>
#include <string.h>

#include "durable/common.h"
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "model/internal.h"
#include "support/testutil.h"

static void test_strerror_known_and_unknown(void)
{
    CU_ASSERT_STRING_EQUAL(durable_strerror(DURABLE_ETOKEN), "invalid checkpoint token");
    CU_ASSERT_STRING_EQUAL(durable_code_name(DURABLE_ECALLBACK_DONE), "DURABLE_ECALLBACK_DONE");
    CU_ASSERT_STRING_EQUAL(durable_strerror(-9999), "unknown error code");
    for (int c = DURABLE_PENDING; c >= DURABLE_EACCESS; c--)
        CU_ASSERT(strcmp(durable_code_name(c), "DURABLE_UNKNOWN") != 0);
}

static void test_last_error_set_and_clear(void)
{
    durable_error_clear();
    CU_ASSERT_EQUAL(durable_error_last()->code, 0);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "");
    CU_ASSERT_EQUAL(durable__error_set(DURABLE_EINVAL, "field %s: bad", "Id"), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_EINVAL);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "field Id: bad");
    durable__error_prefix("Updates[%d]", 3);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "Updates[3]: field Id: bad");
    /* A message built from the previous message must not corrupt itself. */
    durable__error_set(DURABLE_EDB, "again: %s", durable_error_last()->message);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "again: Updates[3]: field Id: bad");
}

static void *other_thread(void *arg)
{
    (void)arg;
    durable__error_set(DURABLE_ENOTFOUND, "other thread");
    return (void *)(intptr_t)durable_error_last()->code;
}

static void test_last_error_is_thread_local(void)
{
    durable__error_set(DURABLE_EINVAL, "main thread");
    pthread_t t;
    void *ret = NULL;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, &ret);
    CU_ASSERT_EQUAL((intptr_t)ret, DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "main thread");
}

static size_t allocs;
static void *count_malloc(size_t n, void *u) { (void)u; allocs++; return malloc(n); }
static void *count_realloc(void *p, size_t n, void *u) { (void)u; return realloc(p, n); }
static void count_free(void *p, void *u) { (void)u; free(p); }

static void test_allocator_is_used(void)
{
    durable_allocator a = {count_malloc, count_realloc, count_free, NULL};
    durable_set_allocator(&a);
    char *s = durable__sprintf("%d-%s", 42, "x");
    CU_ASSERT_STRING_EQUAL(s, "42-x");
    durable_free(s);
    cJSON *j = cJSON_CreateString("through the hooks");
    cJSON_Delete(j);
    CU_ASSERT(allocs >= 2);
    durable_set_allocator(NULL);
}

int main(void)
{
    CU_pSuite s = dt_suite("model_common");
    DT_ADD(s, test_strerror_known_and_unknown);
    DT_ADD(s, test_last_error_set_and_clear);
    DT_ADD(s, test_last_error_is_thread_local);
    DT_ADD(s, test_allocator_is_used);
    return dt_run();
}
