/* The task object (src/core/task.c): defaults, every setter's accepted and refused values, copies, and
 * generated ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "az_test.h"

static asyncz_task *new_task(const char *func)
{
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, func), 0);
    assert_non_null(t);
    return t;
}

/* A string of n copies of c (malloc'd). */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void task_new_defaults(void **state)
{
    asyncz_task *t = new_task("send_report");
    assert_null(asyncz_task_id(t));
    assert_string_equal(asyncz_task_name(t), "send_report");
    assert_string_equal(asyncz_task_func(t), "send_report");
    assert_null(asyncz_task_trigger(t));
    assert_string_equal(asyncz_task_args_json(t), "[]");
    assert_string_equal(asyncz_task_kwargs_json(t), "{}");
    assert_string_equal(asyncz_task_executor(t), "default");
    assert_string_equal(asyncz_task_store(t), "default");
    assert_int_equal(asyncz_task_misfire_grace_time(t), ASYNCZ_USEC_PER_SEC);
    assert_true(asyncz_task_coalesce(t));
    assert_int_equal(asyncz_task_max_instances(t), 1);
    assert_true(asyncz_task_next_run_time(t) == ASYNCZ_TIME_NONE);
    assert_false(asyncz_task_has_next_run_time(t));
    assert_false(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_validate(t, NULL, 0), 0);
    asyncz_task_free(t);
}

static void task_new_rejects_bad_func(void **state)
{
    asyncz_task *t = NULL;
    char *long_func = repeat('f', ASYNCZ_TASK_FUNC_MAX + 1);
    assert_int_equal(asyncz_task_new(&t, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_new(&t, ""), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_new(&t, long_func), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_new(&t, "a\tb"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_new(&t, "a\nb"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_new(NULL, "f"), ASYNCZ_EINVAL);
    assert_null(t);
    long_func[ASYNCZ_TASK_FUNC_MAX] = '\0';
    t = new_task(long_func);
    asyncz_task_free(t);
    free(long_func);
}

static void task_id_charset(void **state)
{
    asyncz_task *t = new_task("f");
    static const char *const good[] = {"a",   "Z9", "task_1", "a.b-c", "user@host",
                                       "a+b", "0",  "_x",     "@x",    "+x"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(asyncz_task_id_valid(good[i]));
        assert_int_equal(asyncz_task_set_id(t, good[i]), 0);
        assert_string_equal(asyncz_task_id(t), good[i]);
    }
    static const char *const bad[] = {"", "a/b", "a b", "a:b", "a\\b", "ä", "a*", "a\n", "a%", "a~", "$x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(asyncz_task_id_valid(bad[i]));
        assert_int_equal(asyncz_task_set_id(t, bad[i]), ASYNCZ_EINVAL);
    }
    assert_string_equal(asyncz_task_id(t), "+x"); /* unchanged by the refusals */
    asyncz_task_free(t);
}

static void task_id_length_limit(void **state)
{
    asyncz_task *t = new_task("f");
    char *id = repeat('a', 256);
    assert_false(asyncz_task_id_valid(id));
    assert_int_equal(asyncz_task_set_id(t, id), ASYNCZ_EINVAL);
    id[255] = '\0';
    assert_true(asyncz_task_id_valid(id));
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    assert_int_equal(strlen(asyncz_task_id(t)), 255);
    free(id);
    asyncz_task_free(t);
}

static void task_id_leading_dot_or_dash(void **state)
{
    asyncz_task *t = new_task("f");
    assert_false(asyncz_task_id_valid(".hidden"));
    assert_false(asyncz_task_id_valid("-rf"));
    assert_false(asyncz_task_id_valid("."));
    assert_false(asyncz_task_id_valid(".."));
    assert_int_equal(asyncz_task_set_id(t, "-x"), ASYNCZ_EINVAL);
    assert_true(asyncz_task_id_valid("a.-"));
    assert_int_equal(asyncz_task_set_id(t, "a.-"), 0);
    asyncz_task_free(t);
}

static void task_id_null_clears(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_id(t, "x"), 0);
    assert_int_equal(asyncz_task_set_id(t, NULL), 0);
    assert_null(asyncz_task_id(t));
    assert_false(asyncz_task_id_valid(NULL));
    asyncz_task_free(t);
}

static void task_name_utf8(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_name(t, "Bericht für Köln \xe2\x82\xac \xf0\x9f\x93\x85"), 0);
    assert_string_equal(asyncz_task_name(t), "Bericht für Köln € 📅");
    assert_int_equal(asyncz_task_set_name(t, "tab\tallowed"), 0);
    char *name = repeat('n', ASYNCZ_TASK_NAME_MAX);
    assert_int_equal(asyncz_task_set_name(t, name), 0);
    free(name);
    name = repeat('n', ASYNCZ_TASK_NAME_MAX + 1);
    assert_int_equal(asyncz_task_set_name(t, name), ASYNCZ_EINVAL);
    free(name);
    assert_int_equal(asyncz_task_set_name(t, ""), ASYNCZ_EINVAL);
    asyncz_task_free(t);
}

static void task_name_overlong_utf8(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_name(t, "a\xc0\x80"), ASYNCZ_EINVAL);         /* NUL, 2 bytes */
    assert_int_equal(asyncz_task_set_name(t, "a\xc1\xbf"), ASYNCZ_EINVAL);         /* U+007F, 2 bytes */
    assert_int_equal(asyncz_task_set_name(t, "a\xe0\x80\xaf"), ASYNCZ_EINVAL);     /* '/', 3 bytes */
    assert_int_equal(asyncz_task_set_name(t, "a\xf0\x80\x80\xaf"), ASYNCZ_EINVAL); /* '/', 4 bytes */
    assert_int_equal(asyncz_task_set_name(t, "a\xf4\x90\x80\x80"), ASYNCZ_EINVAL); /* past U+10FFFF */
    assert_int_equal(asyncz_task_set_name(t, "a\xe2\x82"), ASYNCZ_EINVAL);         /* truncated */
    assert_int_equal(asyncz_task_set_name(t, "a\x80"), ASYNCZ_EINVAL);             /* stray continuation */
    assert_int_equal(asyncz_task_set_name(t, "\xf4\x8f\xbf\xbf"), 0);              /* U+10FFFF itself */
    asyncz_task_free(t);
}

static void task_name_surrogates(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_name(t, "\xed\xa0\x80"), ASYNCZ_EINVAL); /* U+D800 */
    assert_int_equal(asyncz_task_set_name(t, "\xed\xbf\xbf"), ASYNCZ_EINVAL); /* U+DFFF */
    assert_int_equal(asyncz_task_set_name(t, "\xed\x9f\xbf"), 0);             /* U+D7FF */
    assert_int_equal(asyncz_task_set_name(t, "\xee\x80\x80"), 0);             /* U+E000 */
    asyncz_task_free(t);
}

static void task_name_control_chars(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_name(t, "line\nbreak"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_name(t, "cr\r"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_name(t, "\x01"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_name(t, "del\x7f"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_name(t, "esc\x1b[1m"), ASYNCZ_EINVAL);
    assert_string_equal(asyncz_task_name(t), "f");
    asyncz_task_free(t);
}

static void task_name_null_follows_func(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_name(t, "named"), 0);
    assert_int_equal(asyncz_task_set_name(t, NULL), 0);
    assert_int_equal(asyncz_task_set_func(t, "g"), 0);
    assert_string_equal(asyncz_task_name(t), "g");
    assert_int_equal(asyncz_task_set_func(t, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_func(t, "bad\x01"), ASYNCZ_EINVAL);
    assert_string_equal(asyncz_task_func(t), "g");
    asyncz_task_free(t);
}

static void task_grace_edges(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, 0), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, -2), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, INT64_MIN), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_misfire_grace_time(t), ASYNCZ_USEC_PER_SEC);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, -1), 0);
    assert_int_equal(asyncz_task_misfire_grace_time(t), ASYNCZ_GRACE_UNLIMITED);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, 1), 0);
    assert_int_equal(asyncz_task_misfire_grace_time(t), 1);
    asyncz_task_free(t);
}

static void task_max_instances_and_coalesce(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_max_instances(t, 0), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_max_instances(t), 1);
    assert_int_equal(asyncz_task_set_max_instances(t, UINT32_MAX), 0);
    assert_int_equal(asyncz_task_max_instances(t), UINT32_MAX);
    assert_int_equal(asyncz_task_set_coalesce(t, false), 0);
    assert_false(asyncz_task_coalesce(t));
    asyncz_task_free(t);
}

static void task_args_not_array(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_args_json(t, "{}"), ASYNCZ_EPARSE);
    assert_int_equal(asyncz_task_set_args_json(t, "1"), ASYNCZ_EPARSE);
    assert_int_equal(asyncz_task_set_args_json(t, "\"x\""), ASYNCZ_EPARSE);
    assert_int_equal(asyncz_task_set_args_json(t, "[1,"), ASYNCZ_EPARSE);
    assert_int_equal(asyncz_task_set_args_json(t, ""), ASYNCZ_EPARSE);
    assert_int_equal(asyncz_task_set_args_json(t, "[1, 2.5, \"x\", null, {\"k\": [true]}]"), 0);
    assert_string_equal(asyncz_task_args_json(t), "[1,2.5,\"x\",null,{\"k\":[true]}]");
    assert_int_equal(asyncz_task_set_args_json(t, "[]"), 0);
    assert_string_equal(asyncz_task_args_json(t), "[]");
    asyncz_task_free(t);
}

static void task_kwargs_not_object(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_kwargs_json(t, "[]"), ASYNCZ_EPARSE);
    assert_int_equal(asyncz_task_set_kwargs_json(t, "null"), ASYNCZ_EPARSE);
    assert_int_equal(asyncz_task_set_kwargs_json(t, "{\"a\":1,\"a\":2}"), ASYNCZ_EPARSE); /* duplicate key */
    assert_int_equal(asyncz_task_set_kwargs_json(t, "{\"to\": \"ops\"}"), 0);
    assert_string_equal(asyncz_task_kwargs_json(t), "{\"to\":\"ops\"}");
    assert_int_equal(asyncz_task_set_kwargs_json(t, NULL), 0);
    assert_string_equal(asyncz_task_kwargs_json(t), "{}");
    asyncz_task_free(t);
}

/* A JSON array holding one string, exactly `size` bytes of compact JSON. */
static char *array_of_size(size_t size)
{
    char *s = repeat('x', size);
    s[0] = '[';
    s[1] = '"';
    s[size - 2] = '"';
    s[size - 1] = ']';
    return s;
}

static void task_args_too_big(void **state)
{
    asyncz_task *t = new_task("f");
    char *args = array_of_size(ASYNCZ_TASK_ARGS_MAX);
    assert_int_equal(asyncz_task_set_args_json(t, args), 0);
    assert_int_equal(strlen(asyncz_task_args_json(t)), ASYNCZ_TASK_ARGS_MAX);
    free(args);
    args = array_of_size(ASYNCZ_TASK_ARGS_MAX + 1);
    assert_int_equal(asyncz_task_set_args_json(t, args), ASYNCZ_ETOOBIG);
    assert_int_equal(strlen(asyncz_task_args_json(t)), ASYNCZ_TASK_ARGS_MAX); /* unchanged */
    free(args);
    /* Spaces do not count against the limit once compacted, but the text given is bounded too. */
    char *spaced = repeat(' ', ASYNCZ_TASK_ARGS_MAX + 10);
    spaced[0] = '[';
    spaced[ASYNCZ_TASK_ARGS_MAX + 9] = ']';
    assert_int_equal(asyncz_task_set_kwargs_json(t, spaced), ASYNCZ_ETOOBIG);
    free(spaced);
    asyncz_task_free(t);
}

static void task_aliases(void **state)
{
    asyncz_task *t = new_task("f");
    assert_int_equal(asyncz_task_set_executor(t, "threadpool"), 0);
    assert_string_equal(asyncz_task_executor(t), "threadpool");
    assert_int_equal(asyncz_task_set_executor(t, "thread pool"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_executor(t, ""), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_executor(t, "a@b"), ASYNCZ_EINVAL);
    char *alias = repeat('s', ASYNCZ_TASK_ALIAS_MAX + 1);
    assert_int_equal(asyncz_task_set_store(t, alias), ASYNCZ_EINVAL);
    alias[ASYNCZ_TASK_ALIAS_MAX] = '\0';
    assert_int_equal(asyncz_task_set_store(t, alias), 0);
    assert_string_equal(asyncz_task_store(t), alias);
    free(alias);
    assert_int_equal(asyncz_task_set_store(t, NULL), 0);
    assert_string_equal(asyncz_task_store(t), "default");
    assert_int_equal(asyncz_task_set_executor(t, "default"), 0);
    assert_string_equal(asyncz_task_executor(t), "default");
    asyncz_task_free(t);
}

static void task_next_run_time(void **state)
{
    asyncz_task *t = new_task("f");
    asyncz_time_t when = az_test_time("2026-03-29T03:00:00+02:00", NULL);
    assert_int_equal(asyncz_task_set_next_run_time(t, when), 0);
    assert_true(asyncz_task_next_run_time(t) == when);
    assert_true(asyncz_task_has_next_run_time(t));
    assert_false(asyncz_task_paused(t));
    assert_int_equal(asyncz_task_set_next_run_time(t, ASYNCZ_TIME_MAX + 1), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_next_run_time(t, ASYNCZ_TIME_MIN - 1), ASYNCZ_EINVAL);
    assert_true(asyncz_task_next_run_time(t) == when);
    assert_int_equal(asyncz_task_set_next_run_time(t, ASYNCZ_TIME_NONE), 0);
    assert_true(asyncz_task_paused(t));
    asyncz_task_free(t);
}

static void task_trigger_reference(void **state)
{
    asyncz_task *t = new_task("f");
    asyncz_trigger *trigger = NULL;
    assert_int_equal(asyncz_trigger_shutdown_new(&trigger), 0);
    assert_int_equal(asyncz_task_set_trigger(t, trigger), 0);
    asyncz_trigger_unref(trigger); /* the task holds its own reference */
    assert_string_equal(asyncz_trigger_kind(asyncz_task_trigger(t)), "shutdown");
    assert_int_equal(asyncz_task_set_trigger(t, NULL), 0);
    assert_null(asyncz_task_trigger(t));
    asyncz_task_free(t);
}

static void task_copy_is_independent(void **state)
{
    asyncz_task *t = new_task("f");
    asyncz_trigger *trigger = NULL;
    assert_int_equal(asyncz_trigger_shutdown_new(&trigger), 0);
    assert_int_equal(asyncz_task_set_id(t, "orig"), 0);
    assert_int_equal(asyncz_task_set_name(t, "Original"), 0);
    assert_int_equal(asyncz_task_set_args_json(t, "[1]"), 0);
    assert_int_equal(asyncz_task_set_kwargs_json(t, "{\"k\":1}"), 0);
    assert_int_equal(asyncz_task_set_trigger(t, trigger), 0);
    assert_int_equal(asyncz_task_set_executor(t, "pool"), 0);
    asyncz_task *c = NULL;
    assert_int_equal(asyncz_task_copy(&c, t), 0);
    assert_int_equal(asyncz_task_set_id(c, "copy"), 0);
    assert_int_equal(asyncz_task_set_name(c, "Copy"), 0);
    assert_int_equal(asyncz_task_set_args_json(c, "[2]"), 0);
    assert_int_equal(asyncz_task_set_kwargs_json(c, "{}"), 0);
    assert_int_equal(asyncz_task_set_executor(c, NULL), 0);
    assert_int_equal(asyncz_task_set_max_instances(c, 9), 0);
    assert_string_equal(asyncz_task_id(t), "orig");
    assert_string_equal(asyncz_task_name(t), "Original");
    assert_string_equal(asyncz_task_args_json(t), "[1]");
    assert_string_equal(asyncz_task_kwargs_json(t), "{\"k\":1}");
    assert_string_equal(asyncz_task_executor(t), "pool");
    assert_int_equal(asyncz_task_max_instances(t), 1);
    assert_ptr_equal(asyncz_task_trigger(c), trigger); /* shared by reference */
    asyncz_task_free(t);
    assert_string_equal(asyncz_trigger_kind(asyncz_task_trigger(c)), "shutdown");
    asyncz_task_free(c);
    asyncz_trigger_unref(trigger);
    assert_int_equal(asyncz_task_copy(NULL, c), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_copy(&c, NULL), ASYNCZ_EINVAL);
}

static void task_id_generate_format(void **state)
{
    char a[33], b[33];
    assert_int_equal(asyncz_task_id_generate(a, sizeof a), 0);
    assert_int_equal(asyncz_task_id_generate(b, sizeof b), 0);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_int_equal(a[12], '4');           /* UUID version 4 */
    assert_non_null(strchr("89ab", a[16])); /* RFC 4122 variant */
    assert_string_not_equal(a, b);
    assert_true(asyncz_task_id_valid(a));
    assert_int_equal(asyncz_task_id_generate(a, 32), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_id_generate(NULL, 33), ASYNCZ_EINVAL);
}

static void task_null_arguments(void **state)
{
    assert_int_equal(asyncz_task_set_id(NULL, "x"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_name(NULL, "x"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_trigger(NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_args_json(NULL, "[]"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_kwargs_json(NULL, "{}"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_misfire_grace_time(NULL, 1), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_coalesce(NULL, true), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_max_instances(NULL, 1), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_task_set_next_run_time(NULL, 0), ASYNCZ_EINVAL);
    assert_null(asyncz_task_name(NULL));
    assert_string_equal(asyncz_task_args_json(NULL), "[]");
    char msg[64] = "";
    assert_int_equal(asyncz_task_validate(NULL, msg, sizeof msg), ASYNCZ_EINVAL);
    assert_string_equal(msg, "no task");
    asyncz_task_free(NULL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(task_new_defaults),
    cmocka_unit_test(task_new_rejects_bad_func),
    cmocka_unit_test(task_id_charset),
    cmocka_unit_test(task_id_length_limit),
    cmocka_unit_test(task_id_leading_dot_or_dash),
    cmocka_unit_test(task_id_null_clears),
    cmocka_unit_test(task_name_utf8),
    cmocka_unit_test(task_name_overlong_utf8),
    cmocka_unit_test(task_name_surrogates),
    cmocka_unit_test(task_name_control_chars),
    cmocka_unit_test(task_name_null_follows_func),
    cmocka_unit_test(task_grace_edges),
    cmocka_unit_test(task_max_instances_and_coalesce),
    cmocka_unit_test(task_args_not_array),
    cmocka_unit_test(task_kwargs_not_object),
    cmocka_unit_test(task_args_too_big),
    cmocka_unit_test(task_aliases),
    cmocka_unit_test(task_next_run_time),
    cmocka_unit_test(task_trigger_reference),
    cmocka_unit_test(task_copy_is_independent),
    cmocka_unit_test(task_id_generate_format),
    cmocka_unit_test(task_null_arguments),
};

AZ_TEST_MAIN(tests)
