/* Shared test helpers: the cmocka main that runs one named test (CTest runs each in its own process) or
 * all of them, and the loader for JSON vector files in tests/vectors. */
#ifndef AZ_TEST_H
#define AZ_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "asyncz.h"

/* Run the tests; argv[1], when given, is a filter pattern (a test name) as cmocka_set_test_filter takes. */
#define AZ_TEST_MAIN(tests)                                                                                  \
    int main(int argc, char **argv)                                                                          \
    {                                                                                                        \
        if (argc > 1)                                                                                        \
            cmocka_set_test_filter(argv[1]);                                                                 \
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

#endif
