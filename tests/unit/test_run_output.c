/* A run's kept output (src/core/run_output.c): the newest bytes, whole lines dropped from the front, a long
 * line cut to its end on a character boundary, text made valid UTF-8, and the worker's JSON form. */
#include "az_test.h"
#include "core/run_output.h"

static void add(az_output *o, const char *text)
{
    assert_int_equal(az_output_add(o, 1, ASYNCZ_OUTPUT_STDOUT, text, strlen(text)), 0);
}

static const char *line(const az_output *o, size_t i)
{
    size_t n;
    const asyncz_output_line *l = az_output_lines(o, &n);
    assert_true(i < n);
    return l[i].text;
}

static void keeps_the_newest_bytes(void **state)
{
    (void)state;
    az_output *o = az_output_new(10);
    add(o, "aaaa\n");
    add(o, "bbbb");
    assert_false(o->truncated);
    add(o, "cccc");
    size_t n;
    az_output_lines(o, &n);
    assert_int_equal(n, 2);
    assert_string_equal(line(o, 0), "bbbb");
    assert_true(o->truncated);
    for (int i = 0; i < 1000; i++) /* the window slides without growing */
        add(o, "dd");
    az_output_lines(o, &n);
    assert_int_equal(n, 5);
    assert_true(o->cap <= 64);
    az_output_free(o);
}

static void long_line_keeps_its_end(void **state)
{
    (void)state;
    az_output *o = az_output_new(5);
    add(o, "0123456789");
    assert_string_equal(line(o, 0), "56789");
    assert_true(o->truncated);
    az_output_free(o);
    o = az_output_new(4);
    add(o, "ab\xc3\xa9\xc3\xa9"); /* "abéé": the last 4 bytes are "éé" */
    assert_string_equal(line(o, 0), "\xc3\xa9\xc3\xa9");
    az_output_free(o);
    o = az_output_new(3);
    add(o, "ab\xc3\xa9\xc3\xa9"); /* 3 bytes would start inside "é": the cut moves to the next character */
    assert_string_equal(line(o, 0), "\xc3\xa9");
    az_output_free(o);
}

static void text_becomes_utf8(void **state)
{
    (void)state;
    az_output *o = az_output_new(100);
    add(o, "ok \xc3\xa9 \xff \xc3 \xed\xa0\x80 \xf4\x90\x80\x80");
    assert_string_equal(line(o, 0),
                        "ok \xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    az_output_free(o);
}

static void json_round_trip(void **state)
{
    (void)state;
    az_output *o = az_output_new(100);
    assert_int_equal(az_output_add(o, 7, ASYNCZ_OUTPUT_STDERR, "err", 3), 0);
    add(o, "out");
    json_t *j = az_output_to_json(o);
    assert_non_null(j);
    az_output *back = NULL;
    assert_int_equal(az_output_from_json(j, true, 100, &back), 0);
    size_t n;
    const asyncz_output_line *l = az_output_lines(back, &n);
    assert_int_equal(n, 2);
    assert_true(l[0].time == 7);
    assert_int_equal(l[0].stream, ASYNCZ_OUTPUT_STDERR);
    assert_string_equal(l[1].text, "out");
    assert_true(back->truncated);
    az_output_free(back);
    json_decref(j);
    j = json_pack("[[Iis]]", (json_int_t)1, 9, "x");
    assert_int_equal(az_output_from_json(j, false, 100, &back), ASYNCZ_EPARSE);
    assert_null(back);
    json_decref(j);
    az_output_free(o);
}

/* A copy (what the scheduler publishes of a running run) is independent of the output it came from; lines
 * added from JSON (a worker's) go after the kept ones, within the same bound. */
static void copy_and_add_json(void **state)
{
    (void)state;
    assert_null(az_output_copy(NULL));
    az_output *o = az_output_new(8);
    add(o, "one");
    add(o, "two");
    az_output *c = az_output_copy(o);
    assert_non_null(c);
    add(o, "three"); /* pushes "one" and "two" out of o */
    size_t n;
    const asyncz_output_line *l = az_output_lines(c, &n);
    assert_int_equal(n, 2);
    assert_string_equal(l[1].text, "two");
    assert_false(c->truncated);
    assert_true(o->truncated);
    json_t *j = json_pack("[[Iis]]", (json_int_t)5, (int)ASYNCZ_OUTPUT_STDOUT, "four");
    assert_int_equal(az_output_add_json(c, j, false), 0);
    json_decref(j);
    l = az_output_lines(c, &n);
    assert_int_equal(n, 2); /* "two" + "four" fit 8 bytes; "one" went */
    assert_string_equal(l[0].text, "two");
    assert_string_equal(l[1].text, "four");
    assert_true(l[1].time == 5);
    assert_true(c->truncated);
    j = json_pack("[]");
    assert_int_equal(az_output_add_json(c, j, true), 0);
    assert_true(c->truncated);
    json_decref(j);
    az_output_free(c);
    az_output_free(o);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(keeps_the_newest_bytes), cmocka_unit_test(long_line_keeps_its_end),
    cmocka_unit_test(text_becomes_utf8),      cmocka_unit_test(json_round_trip),
    cmocka_unit_test(copy_and_add_json),
};

AZ_TEST_MAIN(tests)
