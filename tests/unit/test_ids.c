#define _GNU_SOURCE /* memmem */
/* Ids: the buffered random source (src/util/ids.c), task ids (UUIDv4 hex) and run ids (UUIDv7). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asyncz.h"
#include "az_test.h"
#include "core/run_internal.h"
#include "util/chacha.h"
#include "util/ids.h"

#define MILLION 1000000

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, 33);
}

static void test_task_ids_unique_over_a_million(void **state)
{
    char(*ids)[33] = malloc((size_t)MILLION * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < MILLION; i++)
        assert_int_equal(asyncz_task_id_generate(ids[i], sizeof ids[i]), 0);
    qsort(ids, MILLION, sizeof *ids, cmp_id);
    for (size_t i = 1; i < MILLION; i++)
        assert_true(memcmp(ids[i - 1], ids[i], 33) != 0);
    free(ids);
}

static void test_task_id_format(void **state)
{
    char id[33];
    assert_int_equal(asyncz_task_id_generate(id, sizeof id), 0);
    assert_int_equal(strlen(id), 32);
    assert_int_equal(id[12], '4'); /* version 4 */
    assert_non_null(strchr("89ab", id[16]));
    assert_true(asyncz_task_id_valid(id));
    assert_int_equal(asyncz_task_id_generate(id, 32), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_id_generate(NULL, 33), ASYNCZ_EINVAL);
}

/* A million run ids made in a row are strictly increasing as text, hence unique. */
static void test_run_ids_increase_over_a_million(void **state)
{
    char prev[AZ_RUN_ID_SIZE], id[AZ_RUN_ID_SIZE];
    assert_int_equal(az_run_id_generate(prev), 0);
    for (size_t i = 0; i < MILLION; i++) {
        assert_int_equal(az_run_id_generate(id), 0);
        assert_true(strcmp(prev, id) < 0);
        memcpy(prev, id, sizeof id);
    }
}

static uint64_t stamp_ms(const char *id)
{
    char hex[13];
    memcpy(hex, id, 8);
    memcpy(hex + 8, id + 9, 4);
    hex[12] = '\0';
    return strtoull(hex, NULL, 16);
}

static unsigned counter(const char *id)
{
    char hex[4] = {id[15], id[16], id[17], '\0'};
    return (unsigned)strtoul(hex, NULL, 16);
}

static void test_run_id_format_and_version_bits(void **state)
{
    char id[AZ_RUN_ID_SIZE];
    assert_int_equal(az_uuid7_at(id, UINT64_C(0x0191a2b3c4d5)), 0);
    assert_int_equal(strlen(id), 36);
    assert_true(az_run_id_valid(id));
    assert_int_equal(id[8], '-');
    assert_int_equal(id[13], '-');
    assert_int_equal(id[14], '7');
    assert_int_equal(id[18], '-');
    assert_non_null(strchr("89ab", id[19]));
    assert_int_equal(id[23], '-');
    assert_false(az_run_id_valid("0191a2b3-c4d5-4abc-8def-0123456789ab"));  /* version 4 */
    assert_false(az_run_id_valid("0191a2b3-c4d5-7abc-cdef-0123456789ab"));  /* another variant */
    assert_false(az_run_id_valid("0191A2B3-c4d5-7abc-8def-0123456789ab"));  /* upper case */
    assert_false(az_run_id_valid("0191a2b3-c4d5-7abc-8def-0123456789a"));   /* short */
    assert_false(az_run_id_valid("0191a2b3-c4d5-7abc-8def-0123456789abc")); /* long */
    assert_false(az_run_id_valid(NULL));
}

/* The array form (vector compares) says what the string form says: for a valid id and for every one-byte
 * change of it (any byte value at any of its 37 positions, the NUL included). */
static void test_run_id_valid_buf_agrees(void **state)
{
    (void)state;
    char id[AZ_RUN_ID_SIZE];
    for (int k = 0; k < 4; k++) {
        assert_int_equal(az_run_id_generate(id), 0);
        assert_true(az_run_id_valid_buf(id));
        for (int pos = 0; pos < AZ_RUN_ID_SIZE; pos++) {
            for (int c = 0; c < 256; c++) {
                char t[AZ_RUN_ID_SIZE];
                memcpy(t, id, sizeof t);
                t[pos] = (char)c;
                if (az_run_id_valid_buf(t) != az_run_id_valid(t))
                    fail_msg("position %d byte 0x%02x: the two checks differ on %.36s", pos, c, t);
            }
        }
    }
    char upper[AZ_RUN_ID_SIZE] = "0191A2B3-c4d5-7abc-8def-0123456789ab";
    assert_false(az_run_id_valid_buf(upper));
    assert_false(az_run_id_valid_buf(NULL));
}

/* The 48-bit prefix is the millisecond; within one and across a clock step back the ids keep increasing. */
static void test_run_id_ms_prefix_is_monotonic(void **state)
{
    /* Far in the future so no id made before by this process is later. */
    uint64_t ms = UINT64_C(0x7f0000000000);
    char a[AZ_RUN_ID_SIZE], b[AZ_RUN_ID_SIZE], c[AZ_RUN_ID_SIZE], d[AZ_RUN_ID_SIZE];
    assert_int_equal(az_uuid7_at(a, ms), 0);
    assert_true(stamp_ms(a) == ms);
    assert_int_equal(counter(a), 0);
    assert_int_equal(az_uuid7_at(b, ms), 0); /* same millisecond: the counter moves on */
    assert_true(stamp_ms(b) == ms);
    assert_int_equal(counter(b), 1);
    assert_int_equal(az_uuid7_at(c, ms - 5000), 0); /* the clock stepped back: still after b */
    assert_true(stamp_ms(c) == ms);
    assert_int_equal(counter(c), 2);
    assert_int_equal(az_uuid7_at(d, ms + 1), 0); /* the next millisecond starts its counter again */
    assert_true(stamp_ms(d) == ms + 1);
    assert_int_equal(counter(d), 0);
    assert_true(strcmp(a, b) < 0 && strcmp(b, c) < 0 && strcmp(c, d) < 0);
    /* 4096 ids in one millisecond overflow the counter into the timestamp, still increasing. */
    char prev[AZ_RUN_ID_SIZE], id[AZ_RUN_ID_SIZE];
    memcpy(prev, d, sizeof d);
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(az_uuid7_at(id, ms + 1), 0);
        assert_true(strcmp(prev, id) < 0);
        memcpy(prev, id, sizeof id);
    }
    assert_true(stamp_ms(id) == ms + 2);
}

/* A forked child never hands out the bytes its parent buffered, nor bytes derived from its parent's key: its
 * first bytes appear nowhere in what the parent hands out next, across the parent's next refill. */
static void test_child_bytes_differ_from_parents(void **state)
{
    uint8_t first[16];
    assert_int_equal(az_random_bytes(first, sizeof first), 0); /* the parent's buffer is now full */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint8_t child[64];
        int ok =
            az_random_bytes(child, sizeof child) == 0 && write(fds[1], child, sizeof child) == sizeof child;
        _exit(ok ? 0 : 1);
    }
    size_t n = 3 * AZ_RANDOM_BLOCK;
    uint8_t *parent = malloc(n), child[64];
    assert_non_null(parent);
    assert_int_equal(az_random_bytes(parent, n), 0);
    assert_int_equal(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_null(memmem(parent, n, child, 16));
    assert_null(memmem(parent, n, child + 32, 16));
    free(parent);
    close(fds[0]);
    close(fds[1]);
}

/* The block function is ChaCha20's (RFC 8439 appendix A.1, test vector 1: zero key, counter and nonce); the
 * four lanes are four consecutive blocks. */
static void test_chacha20_known_answer(void **state)
{
    static const uint8_t want[64] = {
        0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28,
        0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc, 0x8b, 0x77, 0x0d, 0xc7,
        0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d, 0x77, 0x24, 0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37,
        0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1, 0x1c, 0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86};
    uint32_t key[8] = {0};
    uint8_t out[AZ_CHACHA_OUT], next[AZ_CHACHA_OUT];
    az_chacha_blocks(key, 0, 20, out);
    assert_memory_equal(out, want, 64);
    az_chacha_blocks(key, 1, 20, next); /* lane 1 of the first call is block 1 */
    assert_memory_equal(out + 64, next, 64);
}

/* Bytes come out as asked for, across refills, and do not repeat across blocks. */
static void test_random_bytes_across_refills(void **state)
{
    size_t n = 3 * AZ_RANDOM_BLOCK + 123;
    uint8_t *a = malloc(n), *b = malloc(n);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(az_random_bytes(a, n), 0);
    assert_int_equal(az_random_bytes(b, n), 0);
    assert_true(memcmp(a, b, n) != 0);
    assert_true(memcmp(a, a + AZ_RANDOM_BLOCK, AZ_RANDOM_BLOCK) != 0);
    assert_int_equal(az_random_bytes(a, 0), 0);
    free(a);
    free(b);
}

/* ---- threads: each has its own source; run ids stay unique and increasing per thread ------------------ */

#define THREADS 4
#define PER_THREAD 20000

typedef struct worker {
    pthread_t thread;
    char (*ids)[AZ_RUN_ID_SIZE];
    bool ok;
} worker;

static void *make_ids(void *p)
{
    worker *w = p;
    w->ok = true;
    for (size_t i = 0; i < PER_THREAD; i++) {
        w->ok =
            w->ok && az_run_id_generate(w->ids[i]) == 0 && (i == 0 || strcmp(w->ids[i - 1], w->ids[i]) < 0);
        char task[33];
        w->ok = w->ok && asyncz_task_id_generate(task, sizeof task) == 0;
    }
    return NULL;
}

static int cmp_run_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_ids_from_threads(void **state)
{
    char(*all)[AZ_RUN_ID_SIZE] = malloc(THREADS * PER_THREAD * sizeof *all);
    assert_non_null(all);
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i].ids = all + i * PER_THREAD;
        assert_int_equal(pthread_create(&w[i].thread, NULL, make_ids, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(w[i].thread, NULL), 0);
        assert_true(w[i].ok);
    }
    qsort(all, THREADS * PER_THREAD, sizeof *all, cmp_run_id);
    for (size_t i = 1; i < THREADS * PER_THREAD; i++)
        assert_true(strcmp(all[i - 1], all[i]) < 0);
    free(all);
}

/* ---- the run's ids ---------------------------------------------------------------------------------- */

typedef struct seen {
    char ids[4][AZ_RUN_ID_SIZE];
    int n;
} seen;

static int fn_note_id(asyncz_run *run, void *userdata)
{
    seen *s = userdata;
    snprintf(s->ids[s->n++], AZ_RUN_ID_SIZE, "%s", asyncz_run_id(run));
    return ASYNCZ_RUN_DONE;
}

static asyncz_run *new_run(asyncz_task *t, seen *s, const char *const *ids)
{
    asyncz_time_t now = asyncz_now();
    asyncz_time_t times[3] = {now, now + 1, now + 2}; /* none past the grace */
    az_run_init init = {
        .task = t, .fn = fn_note_id, .fn_userdata = s, .times = times, .n_times = 3, .run_ids = ids};
    asyncz_run *r = NULL;
    int rc = az_run_new(&r, &init);
    return rc == 0 ? r : NULL;
}

static void test_each_time_of_a_run_has_its_own_id(void **state)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "f"), 0);
    seen s = {0};
    asyncz_run *r = new_run(t, &s, NULL);
    assert_non_null(r);
    assert_true(az_run_id_valid(asyncz_run_id(r))); /* before it runs: the first time's */
    assert_string_equal(asyncz_run_id(r), r->outcomes[0].run_id);
    char kept[3][AZ_RUN_ID_SIZE];
    for (int i = 0; i < 3; i++)
        memcpy(kept[i], r->outcomes[i].run_id, AZ_RUN_ID_SIZE);
    assert_int_equal(asyncz_run_execute(r), ASYNCZ_RUN_DONE); /* no done callback: the run is freed */
    assert_int_equal(s.n, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(s.ids[i], kept[i]);
    assert_true(strcmp(s.ids[0], s.ids[1]) < 0 && strcmp(s.ids[1], s.ids[2]) < 0);
    asyncz_task_free(t);
}

/* A rebuilt run keeps the ids it is given; a malformed one is refused. */
static void test_given_run_ids_are_kept_and_checked(void **state)
{
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "f"), 0);
    const char *ids[3] = {"0191a2b3-c4d5-7000-8000-000000000001", "0191a2b3-c4d5-7000-8000-000000000002",
                          "0191a2b3-c4d5-7000-8000-000000000003"};
    seen s = {0};
    asyncz_run *r = new_run(t, &s, ids);
    assert_non_null(r);
    asyncz_run_execute(r);
    for (int i = 0; i < 3; i++)
        assert_string_equal(s.ids[i], ids[i]);
    ids[1] = "not-a-run-id";
    assert_null(new_run(t, &s, ids));
    asyncz_task_free(t);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_task_ids_unique_over_a_million),
    cmocka_unit_test(test_task_id_format),
    cmocka_unit_test(test_run_ids_increase_over_a_million),
    cmocka_unit_test(test_run_id_format_and_version_bits),
    cmocka_unit_test(test_run_id_valid_buf_agrees),
    cmocka_unit_test(test_run_id_ms_prefix_is_monotonic),
    cmocka_unit_test(test_child_bytes_differ_from_parents),
    cmocka_unit_test(test_random_bytes_across_refills),
    cmocka_unit_test(test_chacha20_known_answer),
    cmocka_unit_test(test_ids_from_threads),
    cmocka_unit_test(test_each_time_of_a_run_has_its_own_id),
    cmocka_unit_test(test_given_run_ids_are_kept_and_checked),
};

AZ_TEST_MAIN(tests)
