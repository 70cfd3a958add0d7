/* The util layer (src/util): the string hash, the growable array, the string-keyed map, the SQL table name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "az_test.h"
#include "util/array.h"
#include "util/hash.h"
#include "util/map.h"
#include "util/sql.h"

/* ---- allocation failures: the next allocation of the program fails when fail_next is set ------------- */

static bool fail_next;

static bool failing(void)
{
    bool f = fail_next;
    fail_next = false;
    return f;
}

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *__wrap_malloc(size_t size)
{
    return failing() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return failing() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return failing() ? NULL : __real_realloc(p, size);
}

/* ---- the hash ------------------------------------------------------------------------------------ */

static void test_hash_is_fnv1a_64(void **state)
{
    /* The published FNV-1a 64-bit test vectors. */
    assert_true(az_hash_str("") == UINT64_C(0xcbf29ce484222325));
    assert_true(az_hash_str("a") == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(az_hash_str("foobar") == UINT64_C(0x85944171f73967e8));
    /* Bytes above 0x7f are hashed as unsigned. */
    assert_true(az_hash_str("\xff") == ((UINT64_C(0xcbf29ce484222325) ^ 0xff) * UINT64_C(1099511628211)));
}

/* ---- the array ----------------------------------------------------------------------------------- */

static void test_array_grows_and_keeps_elements(void **state)
{
    int *items = NULL;
    size_t cap = 0;
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(az_array_reserve((void **)&items, &cap, (size_t)i + 1, sizeof *items), 0);
        assert_true(cap >= (size_t)i + 1);
        items[i] = i * 3;
    }
    for (int i = 0; i < 10000; i++)
        assert_int_equal(items[i], i * 3);
    size_t before = cap;
    assert_int_equal(az_array_reserve((void **)&items, &cap, 5, sizeof *items), 0);
    assert_int_equal(cap, before); /* never shrinks */
    free(items);
}

static void test_array_first_capacity_and_doubling(void **state)
{
    char *items = NULL;
    size_t cap = 0;
    assert_int_equal(az_array_reserve((void **)&items, &cap, 1, 1), 0);
    assert_int_equal(cap, 16);
    assert_int_equal(az_array_reserve((void **)&items, &cap, 17, 1), 0);
    assert_int_equal(cap, 32);
    assert_int_equal(az_array_reserve((void **)&items, &cap, 1000, 1), 0);
    assert_int_equal(cap, 1024);
    free(items);
}

static void test_array_reports_allocation_failure(void **state)
{
    long *items = NULL;
    size_t cap = 0;
    assert_int_equal(az_array_reserve((void **)&items, &cap, 4, sizeof *items), 0);
    items[3] = 42;
    long *kept = items;
    /* More than a size_t can count in bytes. */
    assert_int_equal(az_array_reserve((void **)&items, &cap, SIZE_MAX / 2, sizeof *items), ASYNCZ_ENOMEM);
    assert_int_equal(az_array_reserve((void **)&items, &cap, SIZE_MAX / sizeof *items + 1, sizeof *items),
                     ASYNCZ_ENOMEM);
    /* The allocator fails. */
    fail_next = true;
    assert_int_equal(az_array_reserve((void **)&items, &cap, 17, sizeof *items), ASYNCZ_ENOMEM);
    assert_false(fail_next);
    assert_ptr_equal(items, kept);
    assert_int_equal(cap, 16);
    assert_int_equal(items[3], 42);
    free(items);
}

/* ---- the map ------------------------------------------------------------------------------------- */

/* The owner of a test map: keys in an array, ref = index + 1. A forced hash files every key under it. */
typedef struct keys {
    char **key;
    size_t n;
    int forced; /* -1: the real hash; else every key's hash */
} keys;

static const char *key_of(const void *ctx, uint32_t ref)
{
    return ((const keys *)ctx)->key[ref - 1];
}

static uint32_t hash_of(const keys *k, const char *key)
{
    return k->forced < 0 ? az_map_hash(key) : (uint32_t)k->forced;
}

static keys make_keys(size_t n, int forced)
{
    keys k = {.key = calloc(n, sizeof(char *)), .n = n, .forced = forced};
    assert_non_null(k.key);
    for (size_t i = 0; i < n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "task-%zu", i);
        k.key[i] = strdup(buf);
        assert_non_null(k.key[i]);
    }
    return k;
}

static void free_keys(keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->key[i]);
    free(k->key);
}

static void put(az_map *m, const keys *k, size_t i)
{
    assert_int_equal(az_map_reserve(m, m->count + 1), 0);
    uint32_t h = hash_of(k, k->key[i]);
    size_t at = az_map_find(m, h, k->key[i], key_of, k);
    assert_int_equal(m->slots[at].ref, 0);
    az_map_put_at(m, at, h, (uint32_t)i + 1);
}

static uint32_t get(const az_map *m, const keys *k, const char *key)
{
    if (!m->cap)
        return 0;
    return m->slots[az_map_find(m, hash_of(k, key), key, key_of, k)].ref;
}

static void del(az_map *m, const keys *k, size_t i)
{
    size_t at = az_map_find(m, hash_of(k, k->key[i]), k->key[i], key_of, k);
    assert_int_equal(m->slots[at].ref, i + 1);
    az_map_del_at(m, at);
}

/* Every key i with present[i] is found with its ref; every other is not. */
static void check_all(const az_map *m, const keys *k, const bool *present)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++) {
        assert_int_equal(get(m, k, k->key[i]), present[i] ? i + 1 : 0);
        n += present[i];
    }
    assert_int_equal(m->count, n);
}

static void test_map_empty(void **state)
{
    az_map m = {0};
    keys k = make_keys(1, -1);
    assert_int_equal(az_map_get(&m, "x", key_of, &k), 0);
    assert_int_equal(m.count, 0);
    az_map_rebind(&m, 1, 1, 2); /* no capacity: nothing */
    az_map_free(&m);
    free_keys(&k);
}

static void test_map_many_keys_grow(void **state)
{
    enum { N = 100000 };
    keys k = make_keys(N, -1);
    bool *present = calloc(N, sizeof *present);
    az_map m = {0};
    for (size_t i = 0; i < N; i++) {
        put(&m, &k, i);
        present[i] = true;
        assert_true(m.count * 4 <= m.cap * 3); /* load factor at most 3/4 */
    }
    check_all(&m, &k, present);
    assert_int_equal(az_map_get(&m, "task-100000", key_of, &k), 0);
    assert_int_equal(az_map_get(&m, "", key_of, &k), 0);
    az_map_free(&m);
    assert_null(m.slots);
    free(present);
    free_keys(&k);
}

/* Delete in a scrambled order, checking every key after each step of a batch: backward shifting never
 * loses a key behind an emptied slot. */
static void churn(keys *k, size_t rounds)
{
    bool *present = calloc(k->n, sizeof *present);
    az_map m = {0};
    for (size_t i = 0; i < k->n; i++) {
        put(&m, k, i);
        present[i] = true;
    }
    size_t cap = m.cap;
    uint64_t x = 88172645463325252u;
    for (size_t r = 0; r < rounds; r++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t i = (size_t)(x % k->n);
        if (present[i])
            del(&m, k, i);
        else
            put(&m, k, i);
        present[i] = !present[i];
        if (r % 97 == 0)
            check_all(&m, k, present);
    }
    check_all(&m, k, present);
    assert_int_equal(m.cap, cap); /* keys that come and go leave no tombstones to grow the table */
    for (size_t i = 0; i < k->n; i++)
        if (present[i])
            del(&m, k, i);
    assert_int_equal(m.count, 0);
    for (size_t i = 0; i < m.cap; i++)
        assert_int_equal(m.slots[i].ref, 0);
    az_map_free(&m);
    free(present);
}

static void test_map_deletion_keeps_every_other_key(void **state)
{
    keys k = make_keys(3000, -1);
    churn(&k, 20000);
    free_keys(&k);
}

static void test_map_collisions(void **state)
{
    /* Every key under one hash: one probe run, compared by key. */
    keys same = make_keys(200, 5);
    churn(&same, 3000);
    free_keys(&same);
    /* A hash at the table's last slot: the run wraps around to slot 0, and deletion shifts across it. */
    keys wrap = make_keys(10, 15);
    az_map m = {0};
    bool present[10] = {0};
    for (size_t i = 0; i < 10; i++) {
        put(&m, &wrap, i);
        present[i] = true;
    }
    assert_int_equal(m.cap, 16);
    assert_int_equal(m.slots[15].ref, 1);
    assert_int_equal(m.slots[0].ref, 2);
    del(&m, &wrap, 0);
    present[0] = false;
    assert_int_equal(m.slots[15].ref, 2); /* shifted back across the end */
    check_all(&m, &wrap, present);
    del(&m, &wrap, 5);
    present[5] = false;
    check_all(&m, &wrap, present);
    az_map_free(&m);
    free_keys(&wrap);
}

static void test_map_rebind_and_clear(void **state)
{
    keys k = make_keys(4, 3);
    az_map m = {0};
    put(&m, &k, 0);
    put(&m, &k, 1);
    put(&m, &k, 2);
    /* The owner moves key 2 to index 3 (as a swap-remove does): refile it. */
    free(k.key[3]);
    k.key[3] = strdup(k.key[2]);
    az_map_rebind(&m, 3, 3, 4);
    assert_int_equal(get(&m, &k, "task-2"), 4);
    az_map_rebind(&m, 3, 99, 5); /* not filed: nothing changes */
    assert_int_equal(get(&m, &k, "task-0"), 1);
    assert_int_equal(get(&m, &k, "task-1"), 2);
    assert_int_equal(get(&m, &k, "task-2"), 4);
    size_t cap = m.cap;
    az_map_clear(&m);
    assert_int_equal(m.count, 0);
    assert_int_equal(m.cap, cap);
    assert_int_equal(get(&m, &k, "task-0"), 0);
    put(&m, &k, 0);
    assert_int_equal(get(&m, &k, "task-0"), 1);
    az_map_free(&m);
    free_keys(&k);
}

static void test_map_reports_allocation_failure(void **state)
{
    keys k = make_keys(3, -1);
    az_map m = {0};
    put(&m, &k, 0);
    az_map_slot *slots = m.slots;
    size_t cap = m.cap;
    /* More slots than a size_t can count in bytes. */
    assert_int_equal(az_map_reserve(&m, SIZE_MAX / 2), ASYNCZ_ENOMEM);
    assert_int_equal(az_map_reserve(&m, SIZE_MAX / 4 / sizeof(az_map_slot) + 1), ASYNCZ_ENOMEM);
    /* The allocator fails while the map grows. */
    fail_next = true;
    assert_int_equal(az_map_reserve(&m, cap), ASYNCZ_ENOMEM);
    assert_false(fail_next);
    assert_ptr_equal(m.slots, slots); /* unchanged */
    assert_int_equal(m.cap, cap);
    assert_int_equal(get(&m, &k, "task-0"), 1);
    az_map_free(&m);
    free_keys(&k);
}

/* ---- SQL table names ----------------------------------------------------------------------------- */

static void test_sql_with_table(void **state)
{
    char *s = az_sql_with_table("SELECT id FROM \"{T}\" WHERE x IN (SELECT nextval('{T}_seq'))", "jobs");
    assert_string_equal(s, "SELECT id FROM \"jobs\" WHERE x IN (SELECT nextval('jobs_seq'))");
    free(s);
    s = az_sql_with_table("no table $1 @ $ {T", "t");
    assert_string_equal(s, "no table $1 @ $ {T"); /* the other syntaxes are no placeholders */
    free(s);
    s = az_sql_with_table("{T}{T}", "a_longer_table_name");
    assert_string_equal(s, "a_longer_table_namea_longer_table_name");
    free(s);
    s = az_sql_with_table("{T}", "");
    assert_string_equal(s, "");
    free(s);
    fail_next = true;
    assert_null(az_sql_with_table("FROM {T}", "t")); /* out of memory */
    assert_false(fail_next);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_is_fnv1a_64),
        cmocka_unit_test(test_array_grows_and_keeps_elements),
        cmocka_unit_test(test_array_first_capacity_and_doubling),
        cmocka_unit_test(test_array_reports_allocation_failure),
        cmocka_unit_test(test_map_empty),
        cmocka_unit_test(test_map_many_keys_grow),
        cmocka_unit_test(test_map_deletion_keeps_every_other_key),
        cmocka_unit_test(test_map_collisions),
        cmocka_unit_test(test_map_rebind_and_clear),
        cmocka_unit_test(test_map_reports_allocation_failure),
        cmocka_unit_test(test_sql_with_table),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
