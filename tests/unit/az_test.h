/* Shared test helpers: the cmocka main that runs one named test (CTest runs each in its own process) or
 * all of them, the loader for JSON vector files in tests/vectors, and the tasks the store tests add. The
 * functions are in the test-support library (asyncz_testsupport, tests/CMakeLists.txt). */
#ifndef AZ_TEST_H
#define AZ_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "asyncz.h"

/* Whether one of tests[0..n) is called name. */
static inline bool az_test_named(const struct CMUnitTest *tests, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tests[i].name, name) == 0)
            return true;
    return false;
}

/* In main: argv[1], when given, is the name of the one test to run (CTest runs each test on its own). A
 * name that is not in the list fails (return 1 from main) rather than running nothing and passing. */
#define AZ_TEST_FILTER(tests, argc, argv)                                                                    \
    do {                                                                                                     \
        if ((argc) > 1) {                                                                                    \
            if (!az_test_named((tests), sizeof(tests) / sizeof((tests)[0]), (argv)[1])) {                    \
                fprintf(stderr, "%s: no test named \"%s\"\n", (argv)[0], (argv)[1]);                         \
                return 1;                                                                                    \
            }                                                                                                \
            cmocka_set_test_filter((argv)[1]);                                                               \
        }                                                                                                    \
    } while (0)

/* Run the tests; argv[1], when given, names the one to run (see AZ_TEST_FILTER). */
#define AZ_TEST_MAIN(tests)                                                                                  \
    int main(int argc, char **argv)                                                                          \
    {                                                                                                        \
        AZ_TEST_FILTER(tests, argc, argv);                                                                   \
        return cmocka_run_group_tests(tests, NULL, NULL);                                                    \
    }

/* Load tests/vectors/<name> (or $ASYNCZ_VECTORS_DIR/<name>) as JSON; fails the test on error. New ref. */
json_t *az_test_load_vectors(const char *name);

/* Parse an ISO-8601 value in zone `zone` (naive values) and fail the test on error. */
asyncz_time_t az_test_time(const char *text, const asyncz_zone *zone);

/* Look a zone up by name and fail the test on error. New reference. */
asyncz_zone *az_test_zone(const char *name);

/* A time from a vector: ASYNCZ_TIME_NONE for null or absent, naive values in zone. */
asyncz_time_t az_test_json_time(const json_t *v, const asyncz_zone *zone);

/* A cron trigger from vector arguments: {"crontab": "..."} or field-API fields (strings or numbers), plus
 * optional start_at/end_at (naive values in zone). Fails the test if the trigger is rejected. New ref. */
asyncz_trigger *az_test_cron_from_json(const json_t *args, asyncz_zone *zone);

/* Format an instant into a static buffer (not thread-safe; for messages). */
const char *az_test_fmt(asyncz_time_t t, const asyncz_zone *zone);

/* A task calling "job" with this id (NULL: none) and next run time (ASYNCZ_TIME_NONE: paused); fails the
 * test on error. New; the caller frees it. (az_tasks.c) */
asyncz_task *az_test_task(const char *id, asyncz_time_t when);

/* Add such a task to st through its ops table (as the scheduler does); fails the test on error, with the
 * store's message. */
void az_test_add(asyncz_store *st, const char *id, asyncz_time_t when);

#endif
