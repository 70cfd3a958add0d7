/* The asyncz tool's table printer (src/cli/table.c): alignment, no trailing blanks, UTF-8 widths,
 * truncation, colors only when asked. */
#include <stdlib.h>
#include <string.h>

#include "az_test.h"

#include "cli/table.h"

/* Print t into a string (freed by the caller). */
static char *render(const az_table *t, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(az_table_print(t, f, color, 0), 0);
    fclose(f);
    return buf;
}

static az_table *sample(void)
{
    az_table *t = az_table_new(3);
    assert_non_null(t);
    assert_int_equal(az_table_header(t, (const char *const[]){"ID", "NAME", "NEXT"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"a", "backup", "09:00"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_DIM, (const char *const[]){"long-id", "x", "paused"}), 0);
    return t;
}

static void table_aligns_columns(void **state)
{
    (void)state;
    az_table *t = sample();
    char *out = render(t, false);
    assert_string_equal(out, "ID       NAME    NEXT\n"
                             "a        backup  09:00\n"
                             "long-id  x       paused\n");
    free(out);
    az_table_free(t);
}

static void table_colors_header_and_styles(void **state)
{
    (void)state;
    az_table *t = sample();
    char *out = render(t, true);
    assert_string_equal(out, "\033[1mID       NAME    NEXT\033[0m\n"
                             "a        backup  09:00\n"
                             "\033[2mlong-id  x       paused\033[0m\n");
    free(out);
    az_table_free(t);
}

static void table_without_color_has_no_escape(void **state)
{
    (void)state;
    az_table *t = az_table_new(2);
    assert_int_equal(az_table_row(t, AZ_TABLE_ERROR, (const char *const[]){"error", "bad"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_WARN, (const char *const[]){"warning", "hmm"}), 0);
    char *out = render(t, false);
    assert_null(strchr(out, '\033'));
    assert_string_equal(out, "error    bad\nwarning  hmm\n");
    free(out);
    out = render(t, true);
    assert_string_equal(out, "\033[31merror    bad\033[0m\n\033[33mwarning  hmm\033[0m\n");
    free(out);
    az_table_free(t);
}

static void table_no_trailing_blanks(void **state)
{
    (void)state;
    az_table *t = az_table_new(3);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"aaaa", "", ""}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"b", NULL, "c"}), 0);
    char *out = render(t, false);
    assert_string_equal(out, "aaaa\nb       c\n"); /* the empty middle column is 0 wide */
    free(out);
    az_table_free(t);
}

static void table_counts_utf8_as_columns(void **state)
{
    (void)state;
    assert_int_equal(az_table_text_width("na\xc3\xafve"), 5); /* naïve */
    assert_int_equal(az_table_text_width("\xe2\x86\x92"), 1); /* → */
    az_table *t = az_table_new(2);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"\xc3\xa9t\xc3\xa9", "x"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"abcd", "y"}), 0);
    char *out = render(t, false);
    assert_string_equal(out, "\xc3\xa9t\xc3\xa9   x\nabcd  y\n");
    free(out);
    az_table_free(t);
}

static void table_truncates_with_ellipsis(void **state)
{
    (void)state;
    az_table *t = az_table_new(2);
    az_table_max_width(t, 0, 5);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"abcdefgh", "1"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"abc", "2"}), 0);
    char *out = render(t, false);
    assert_string_equal(out, "abcd\xe2\x80\xa6  1\nabc    2\n");
    free(out);
    az_table_free(t);
}

/* Item 18 of issue 12: a newline, a tab or an escape sequence in a cell (a task's command or name) is shown
 * escaped, so a row stays one line and a task cannot act on the operator's terminal. */
static void table_escapes_control_characters(void **state)
{
    (void)state;
    az_table *t = az_table_new(2);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"a\nb", "x\ty"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"\033[2J\033]0;pwn\a", "\r\x7f"}),
                     0);
    char *out = render(t, false);
    assert_string_equal(out, "a\\nb                   x\\ty\n"
                             "\\x1b[2J\\x1b]0;pwn\\x07  \\r\\x7f\n");
    free(out);
    az_table_free(t);
}

static void table_escapes_c1_bidi_and_bad_utf8(void **state)
{
    (void)state;
    char buf[64];
    /* U+009B (CSI as one code point), U+202E (right-to-left override), U+2028 (line separator) */
    assert_int_equal(az_table_escape(buf, sizeof buf,
                                     "a\xc2\x9b"
                                     "b\xe2\x80\xae"
                                     "c\xe2\x80\xa8"),
                     21);
    assert_string_equal(buf, "a\\u009bb\\u202ec\\u2028");
    /* a Latin-1 byte, a stray continuation byte, an overlong '/' and a cut sequence are bytes, not text */
    assert_int_equal(az_table_escape(buf, sizeof buf, "caf\xe9 \x80 \xc0\xaf \xe2\x82"), 30);
    assert_string_equal(buf, "caf\\xe9 \\x80 \\xc0\\xaf \\xe2\\x82");
    /* valid text and backslashes pass unchanged */
    assert_int_equal(az_table_escape(buf, sizeof buf, "na\xc3\xafve \\n \xe2\x86\x92"), 13);
    assert_string_equal(buf, "na\xc3\xafve \\n \xe2\x86\x92");
    /* cut like snprintf: the length is the whole escaped text's */
    assert_int_equal(az_table_escape(buf, 4, "a\nb"), 4);
    assert_string_equal(buf, "a\\n");
    assert_int_equal(az_table_escape(NULL, 0, "\t"), 2);
}

static void table_counts_wide_and_zero_width(void **state)
{
    (void)state;
    assert_int_equal(az_table_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* 日本 */
    assert_int_equal(az_table_text_width("e\xcc\x81"), 1);                /* e + combining acute */
    assert_int_equal(az_table_text_width("\xf0\x9f\x98\x80!"), 3);        /* 😀! */
    az_table *t = az_table_new(2);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"\xe6\x97\xa5\xe6\x9c\xac", "x"}),
                     0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"abc", "y"}), 0);
    char *out = render(t, false);
    assert_string_equal(out, "\xe6\x97\xa5\xe6\x9c\xac  x\nabc   y\n");
    free(out);
    az_table_free(t);
}

/* Print t fitted to width columns. */
static char *render_width(const az_table *t, size_t width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(az_table_print(t, f, false, width), 0);
    fclose(f);
    return buf;
}

/* The widest line of out, in display columns. */
static size_t widest_line(const char *out)
{
    size_t widest = 0;
    char line[1024];
    for (const char *p = out; *p;) {
        size_t n = strcspn(p, "\n");
        assert_true(n < sizeof line);
        memcpy(line, p, n);
        line[n] = '\0';
        size_t w = az_table_text_width(line);
        widest = w > widest ? w : widest;
        p += n + (p[n] == '\n');
    }
    return widest;
}

static az_table *wide_sample(void)
{
    az_table *t = az_table_new(4);
    assert_int_equal(az_table_header(t, (const char *const[]){"ID", "NAME", "TRIGGER", "NEXT"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN,
                                  (const char *const[]){"backup-home", "nightly",
                                                        "cron[crontab='30 2 * * *', "
                                                        "timezone='Europe/Berlin']",
                                                        "2030-03-01T02:30"}),
                     0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"b", "x", "date[now]", "-"}), 0);
    az_table_flexible(t, 1);
    az_table_flexible(t, 2);
    return t;
}

/* Item 18: the flexible columns share what the others leave; the short one keeps its width, the long one
 * is cut with an ellipsis; ids and times are never cut. */
static void table_fits_flexible_columns_to_width(void **state)
{
    (void)state;
    az_table *t = wide_sample();
    char *out = render_width(t, 60);
    /* fixed: 11 + 16 + 3 separators of 2 = 33; 27 left: NAME keeps its 7, TRIGGER gets 20 */
    assert_string_equal(out, "ID           NAME     TRIGGER               NEXT\n"
                             "backup-home  nightly  cron[crontab='30 2 \xe2\x80\xa6  2030-03-01T02:30\n"
                             "b            x        date[now]             -\n");
    assert_int_equal(widest_line(out), 60);
    free(out);
    /* 0 (no terminal) and a width the table fits in change nothing */
    char *whole = render_width(t, 0);
    assert_non_null(strstr(whole, "timezone='Europe/Berlin']  2030-03-01T02:30\n"));
    out = render_width(t, 200);
    assert_string_equal(out, whole);
    free(out);
    out = render_width(t, widest_line(whole));
    assert_string_equal(out, whole);
    free(out);
    free(whole);
    az_table_free(t);
}

static void table_fits_by_equal_shares(void **state)
{
    (void)state;
    az_table *t = wide_sample();
    /* 22 left: NAME needs less than half (7 of 11), TRIGGER gets the other 15 */
    char *out = render_width(t, 55);
    assert_string_equal(out, "ID           NAME     TRIGGER          NEXT\n"
                             "backup-home  nightly  cron[crontab='\xe2\x80\xa6  2030-03-01T02:30\n"
                             "b            x        date[now]        -\n");
    free(out);
    /* 14 left: 7 each, the name just fits */
    out = render_width(t, 47);
    assert_string_equal(out, "ID           NAME     TRIGGER  NEXT\n"
                             "backup-home  nightly  cron[c\xe2\x80\xa6  2030-03-01T02:30\n"
                             "b            x        date[n\xe2\x80\xa6  -\n");
    assert_int_equal(widest_line(out), 47);
    free(out);
    az_table_free(t);
}

/* Too narrow for the fixed columns: flexible ones keep AZ_TABLE_MIN_CUT columns, the id stays whole. */
static void table_never_cuts_fixed_columns(void **state)
{
    (void)state;
    az_table *t = wide_sample();
    char *out = render_width(t, 20);
    assert_string_equal(out, "ID           NA\xe2\x80\xa6  TR\xe2\x80\xa6  NEXT\n"
                             "backup-home  ni\xe2\x80\xa6  cr\xe2\x80\xa6  2030-03-01T02:30\n"
                             "b            x    da\xe2\x80\xa6  -\n");
    free(out);
    az_table_free(t);
}

static void table_cuts_wide_characters_whole(void **state)
{
    (void)state;
    az_table *t = az_table_new(2);
    az_table_flexible(t, 1);
    assert_int_equal(
        az_table_row(t, AZ_TABLE_PLAIN,
                     (const char *const[]){"id", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7"}),
        0); /* 日本語で: 8 columns */
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"id2", "abc"}), 0);
    /* 3 + 2 + 5: 4 columns of text then the ellipsis; with 4 the last character does not fit half */
    char *out = render_width(t, 10);
    assert_string_equal(out, "id   \xe6\x97\xa5\xe6\x9c\xac\xe2\x80\xa6\nid2  abc\n");
    free(out);
    out = render_width(t, 9); /* 4 for the column: one wide character, the ellipsis, one blank short */
    assert_string_equal(out, "id   \xe6\x97\xa5\xe2\x80\xa6\nid2  abc\n");
    free(out);
    az_table_free(t);
}

static void table_rejects_bad_column_counts(void **state)
{
    (void)state;
    assert_null(az_table_new(0));
    assert_null(az_table_new(33));
    az_table_free(NULL);
}

static void table_many_rows(void **state)
{
    (void)state;
    az_table *t = az_table_new(2);
    char id[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "%d", i);
        assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){id, "x"}), 0);
    }
    assert_int_equal(az_table_rows(t), 1000);
    char *out = render(t, false);
    assert_int_equal(strlen(out), 1000 * 7); /* every id padded to 3 columns, two blanks, "x\n" */
    free(out);
    az_table_free(t);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_aligns_columns),
        cmocka_unit_test(table_colors_header_and_styles),
        cmocka_unit_test(table_without_color_has_no_escape),
        cmocka_unit_test(table_no_trailing_blanks),
        cmocka_unit_test(table_counts_utf8_as_columns),
        cmocka_unit_test(table_truncates_with_ellipsis),
        cmocka_unit_test(table_escapes_control_characters),
        cmocka_unit_test(table_escapes_c1_bidi_and_bad_utf8),
        cmocka_unit_test(table_counts_wide_and_zero_width),
        cmocka_unit_test(table_fits_flexible_columns_to_width),
        cmocka_unit_test(table_fits_by_equal_shares),
        cmocka_unit_test(table_never_cuts_fixed_columns),
        cmocka_unit_test(table_cuts_wide_characters_whole),
        cmocka_unit_test(table_rejects_bad_column_counts),
        cmocka_unit_test(table_many_rows),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
