/* The crontab parser: cron(5) as cronie reads it, plus the Quartz/Cronos extensions.
 *
 * 5 fields "m h dom mon dow", 6 fields (seconds first), 7 fields (seconds first, year last); names jan-dec
 * and sun-sat in any case; day-of-week 0 and 7 are Sunday and a range ending at Sunday may be written
 * "fri-sun" (5-0); the @ macros. Extensions: "a/n" (a to the field's end every n), "?" (any, day fields
 * only), and in day-of-month "L", "L-n", "nW", "LW", "L-nW", in day-of-week "nL" and "n#k". When neither day
 * field starts with '*' (or '?'), a day matches if either field matches, as cron(8) does. */
#include <ctype.h>
#include <string.h>

#include "asyncz/error.h"
#include "trigger/cron.h"

enum { CT_SECOND, CT_MINUTE, CT_HOUR, CT_DOM, CT_MONTH, CT_DOW, CT_YEAR, CT_NFIELDS };

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const az_cron_field ct_fields[CT_NFIELDS] = {
    [CT_SECOND] = {"second", 0, 59, NULL, 0, 0, NULL},
    [CT_MINUTE] = {"minute", 0, 59, NULL, 0, 0, NULL},
    [CT_HOUR] = {"hour", 0, 23, NULL, 0, 0, NULL},
    [CT_DOM] = {"day_of_month", 1, 31, NULL, 0, 0, NULL},
    [CT_MONTH] = {"month", 1, 12, month_names, 12, 1, "month"},
    [CT_DOW] = {"day_of_week", 0, 7, dow_names, 7, 0, "weekday"},
    [CT_YEAR] = {"year", AZ_CRON_YEAR_MIN, AZ_CRON_YEAR_MAX, NULL, 0, 0, NULL},
};

/* Errors about the string as a whole (field count, macros, length) name it "crontab". */
static const az_cron_field whole_string = {"crontab", 0, 0, NULL, 0, 0, NULL};

/* Which spec field each crontab field fills (day-of-week is converted separately). */
static const int spec_index[CT_NFIELDS] = {AZ_CRON_SECOND, AZ_CRON_MINUTE, AZ_CRON_HOUR, AZ_CRON_DAY,
                                           AZ_CRON_MONTH,  AZ_CRON_DOW,    AZ_CRON_YEAR};

static const struct {
    const char *name, *expansion;
} macros[] = {
    {"yearly", "0 0 1 1 *"}, {"annually", "0 0 1 1 *"}, {"monthly", "0 0 1 * *"}, {"weekly", "0 0 * * 0"},
    {"daily", "0 0 * * *"},  {"midnight", "0 0 * * *"}, {"hourly", "0 * * * *"},
};

/* cron numbers day-of-week 0 = Sunday (7 too); the spec numbers 0 = Monday. */
static int iso_weekday(int cron_dow)
{
    return (cron_dow + 6) % 7;
}

/* A number, or a name of the field. In day-of-week a name may be followed directly by 'L' ("friL"). */
static int scan_value(const az_cron_ctx *ctx, const char **p, const char *end, int *out)
{
    if (az_cron_scan_number(p, out))
        return 0;
    const char *s = *p;
    size_t n = 0;
    while (s + n < end && isalpha((unsigned char)s[n]))
        n++;
    if (n == 4 && ctx->field->names == dow_names && (s[3] == 'L' || s[3] == 'l')) {
        for (int i = 0; i < 7; i++)
            if (strncasecmp(s, dow_names[i], 3) == 0) {
                *out = i;
                *p = s + 3;
                return 0;
            }
    }
    int rc = az_cron_scan_name(ctx, p, out);
    if (rc < 0)
        return rc;
    return rc ? 0 : az_cron_unexpected(ctx, *p, end, "a number");
}

static void set_values(az_cron_spec *s, int ct, int lo, int hi, int step)
{
    if (ct != CT_DOW) {
        az_cron_set_range(s, spec_index[ct], lo, hi, step);
        return;
    }
    for (int v = lo; v <= hi; v += step)
        s->dow.weekdays |= (uint8_t)(1u << iso_weekday(v));
}

/* "*", "*\/n", "?", "a", "a-b", "a-b/n", "a/n". */
static int parse_range_item(const az_cron_ctx *ctx, az_cron_spec *s, int ct, const char **pp, const char *end)
{
    const az_cron_field *f = ctx->field;
    const char *p = *pp, *at_lo = p, *at_hi = p;
    int lo = f->min, hi = f->max, step = -1, rc; /* step -1: none */
    if (*p == '*' || *p == '?') {
        if (*p == '?' && ct != CT_DOM && ct != CT_DOW)
            return az_cron_fail(ctx, p, ASYNCZ_EPARSE, "'?' is only allowed in day_of_month and day_of_week");
        p++;
    } else {
        if ((rc = scan_value(ctx, &p, end, &lo)) < 0)
            return rc;
        hi = lo;
        if (*p == '-') {
            at_hi = ++p;
            if ((rc = scan_value(ctx, &p, end, &hi)) < 0)
                return rc;
            if (ct == CT_DOW && hi == 0 && lo > 0)
                hi = 7; /* "fri-sun" */
        } else if (*p == '/') {
            hi = f->max;
        }
    }
    const char *at_step = p + 1;
    if (*p == '/' && **pp != '?') {
        p++;
        if (!az_cron_scan_number(&p, &step))
            return az_cron_unexpected(ctx, p, end, "a step number after '/'");
    }
    if (**pp == '*')
        lo = az_cron_star_first(f, step);
    if (!az_cron_at_item_end(p, end))
        return az_cron_unexpected(ctx, p, end, "',' or the end of the field");
    if ((rc = az_cron_check_range(ctx, at_lo, at_hi, lo, hi)) < 0)
        return rc;
    if (step >= 0 && (rc = az_cron_check_step(ctx, at_step, lo, hi, step, false)) < 0)
        return rc;
    set_values(s, ct, lo, hi, step > 0 ? step : 1);
    *pp = p;
    return 0;
}

/* Day-of-month "L", "L-n", "LW", "L-nW" (any case): the last day, n days before it, or the Monday-Friday
 * nearest to one of them within the month (LW is L-0W). */
static int parse_last_day(const az_cron_ctx *ctx, az_cron_spec *s, const char **pp, const char *end)
{
    const char *p = *pp + 1;
    int n = 0;
    if (*p == '-') {
        const char *at = ++p;
        if (!az_cron_scan_number(&p, &n))
            return az_cron_unexpected(ctx, p, end, "a number of days after 'L-'");
        char text[AZ_CRON_VALUE_TEXT_SIZE];
        if (n > 30)
            return az_cron_fail(ctx, at, ASYNCZ_ERANGE,
                                "'L-%s' reaches before the start of every month (at most L-30)",
                                az_cron_value_text(at, n, text));
    }
    bool nearest = *p == 'W' || *p == 'w';
    if (nearest)
        p++;
    if (!az_cron_at_item_end(p, end))
        return az_cron_unexpected(ctx, p, end,
                                  "',' or the end of the field after 'L', 'L-n', 'LW' or 'L-nW'");
    if (nearest)
        s->dom.nearest_from_end |= UINT32_C(1) << n;
    else
        s->dom.from_end |= UINT32_C(1) << (31 - n);
    *pp = p;
    return 0;
}

/* Day-of-month "nW": the Monday-Friday nearest to day n, within the month. */
static int parse_nearest(const az_cron_ctx *ctx, az_cron_spec *s, const char **pp, const char *end)
{
    const char *p = *pp;
    int n;
    az_cron_scan_number(&p, &n);
    int rc = az_cron_check_range(ctx, *pp, *pp, n, n);
    if (rc < 0)
        return rc;
    p++; /* the 'W' */
    if (!az_cron_at_item_end(p, end))
        return az_cron_unexpected(ctx, p, end, "',' or the end of the field after 'W'");
    s->dom.nearest |= UINT32_C(1) << n;
    *pp = p;
    return 0;
}

/* Day-of-week "nL" (the last weekday n of the month) and "n#k" (its k-th occurrence). */
static int parse_dow_position(const az_cron_ctx *ctx, az_cron_spec *s, const char **pp, const char *end)
{
    const char *p = *pp;
    int wd, k = 0, rc;
    if ((rc = scan_value(ctx, &p, end, &wd)) < 0)
        return rc;
    if ((rc = az_cron_check_range(ctx, *pp, *pp, wd, wd)) < 0)
        return rc;
    bool last = *p == 'L' || *p == 'l';
    const char *at_k = ++p;
    if (!last && !az_cron_scan_number(&p, &k))
        return az_cron_unexpected(ctx, p, end, "an occurrence number 1..5 after '#'");
    char text[AZ_CRON_VALUE_TEXT_SIZE];
    if (!last && (k < 1 || k > 5))
        return az_cron_fail(ctx, at_k, ASYNCZ_ERANGE, "occurrence %s is out of range 1..5",
                            az_cron_value_text(at_k, k, text));
    if (!az_cron_at_item_end(p, end))
        return az_cron_unexpected(
            ctx, p, end, last ? "',' or the end of the field after 'L'" : "',' or the end of the field");
    if (last)
        s->dow.last_of |= (uint8_t)(1u << iso_weekday(wd));
    else
        s->dow.nth[k - 1] |= (uint8_t)(1u << iso_weekday(wd));
    *pp = p;
    return 0;
}

/* The character after a leading value (number or name) of an item. */
static char after_value(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && isdigit((unsigned char)*q))
        q++;
    if (q == p)
        while (q < end && q - p < 3 && isalpha((unsigned char)*q))
            q++;
    return q < end ? *q : '\0';
}

static int parse_item(const az_cron_ctx *ctx, az_cron_spec *s, int ct, const char **p, const char *end)
{
    if (az_cron_at_item_end(*p, end))
        return az_cron_fail(ctx, *p, ASYNCZ_EPARSE, "empty list item");
    char next = after_value(*p, end);
    if (ct == CT_DOM && (**p == 'L' || **p == 'l'))
        return parse_last_day(ctx, s, p, end);
    if (ct == CT_DOM && isdigit((unsigned char)**p) && (next == 'W' || next == 'w'))
        return parse_nearest(ctx, s, p, end);
    if (ct == CT_DOW && (**p == 'L' || **p == 'l') && (next == '\0' || next == ','))
        return az_cron_fail(ctx, *p, ASYNCZ_EPARSE,
                            "'L' needs a weekday in day_of_week: write nL, such as "
                            "5L for the last Friday");
    if (ct == CT_DOW && (next == 'L' || next == 'l' || next == '#'))
        return parse_dow_position(ctx, s, p, end);
    return parse_range_item(ctx, s, ct, p, end);
}

/* Parse one whitespace-delimited field [start, end) of the crontab string. */
static int parse_field(az_cron_spec *s, int ct, const char *crontab, const char *start, const char *end,
                       asyncz_trigger_error *err)
{
    az_cron_ctx ctx = {&ct_fields[ct], crontab, start, (int)(start - crontab), err};
    const char *p = start;
    for (;;) {
        int rc = parse_item(&ctx, s, ct, &p, end);
        if (rc < 0)
            return rc;
        if (p == end)
            return 0;
        p++; /* the comma */
    }
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Split into at most 8 fields; *count receives how many there are (8 meaning "more than 7"). */
static void split_fields(const char *text, const char *start[8], const char *end[8], int *count)
{
    int n = 0;
    const char *p = text;
    for (;;) {
        while (is_blank(*p))
            p++;
        if (!*p || n == 8)
            break;
        start[n] = p;
        while (*p && !is_blank(*p))
            p++;
        end[n++] = p;
    }
    *count = n;
}

static int parse_fields(az_cron_spec *s, const char *crontab, const char *text, asyncz_trigger_error *err)
{
    const char *start[8], *end[8];
    int n;
    split_fields(text, start, end, &n);
    if (n < 5 || n > 7) {
        const char *at = n > 7 ? start[7] : text + strlen(text);
        az_cron_ctx ctx = {&whole_string, crontab, crontab, 0, err};
        return az_cron_fail(&ctx, at, ASYNCZ_EPARSE,
                            "found %s%d fields; expected 5 (minute hour day_of_month month day_of_week), "
                            "6 (second first) or 7 (second first, year last)",
                            n > 7 ? "more than " : "", n > 7 ? 7 : n);
    }
    static const int order5[] = {CT_MINUTE, CT_HOUR, CT_DOM, CT_MONTH, CT_DOW};
    static const int order7[] = {CT_SECOND, CT_MINUTE, CT_HOUR, CT_DOM, CT_MONTH, CT_DOW, CT_YEAR};
    const int *order = n == 5 ? order5 : order7;
    for (int i = 0; i < n; i++) {
        int rc = parse_field(s, order[i], crontab, start[i], end[i], err);
        if (rc < 0)
            return rc;
    }
    if (n == 5)
        az_cron_set_range(s, AZ_CRON_SECOND, 0, 0, 1);
    if (n < 7)
        az_cron_set_range(s, AZ_CRON_YEAR, AZ_CRON_YEAR_MIN, AZ_CRON_YEAR_MAX, 1);
    az_cron_set_range(s, AZ_CRON_WEEK, 1, 53, 1); /* crontab strings have no week field */
    s->dom.star = *start[n == 5 ? 2 : 3] == '*' || *start[n == 5 ? 2 : 3] == '?';
    s->dow.star = *start[n == 5 ? 4 : 5] == '*' || *start[n == 5 ? 4 : 5] == '?';
    s->periodic = *start[n == 5 ? 0 : 1] == '*' || *start[n == 5 ? 1 : 2] == '*';
    return 0;
}

/* "@daily" and friends; @reboot names no time and is refused. */
static int expand_macro(const char *crontab, const char *text, const char **out, asyncz_trigger_error *err)
{
    az_cron_ctx ctx = {&whole_string, crontab, crontab, 0, err};
    const char *name = text + 1, *p = name;
    while (*p && !is_blank(*p))
        p++;
    size_t n = (size_t)(p - name);
    const char *q = p;
    while (is_blank(*q))
        q++;
    if (*q)
        return az_cron_fail(&ctx, q, ASYNCZ_EPARSE, "unexpected text after the macro");
    for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
        if (strlen(macros[i].name) == n && strncmp(name, macros[i].name, n) == 0) {
            *out = macros[i].expansion;
            return 0;
        }
    if (n == 6 && strncmp(name, "reboot", 6) == 0)
        return az_cron_fail(&ctx, text, ASYNCZ_EPARSE,
                            "@reboot names no time of day and is not supported "
                            "(use a shutdown trigger or run the task once at start)");
    return az_cron_fail(&ctx, text, ASYNCZ_EPARSE,
                        "unknown macro \"@%.*s\"; expected @yearly, @annually, "
                        "@monthly, @weekly, @daily, @midnight or @hourly",
                        (int)(n > 16 ? 16 : n), name);
}

int az_cron_parse_crontab(az_cron_spec *s, const char *crontab, asyncz_trigger_error *err)
{
    az_cron_ctx ctx = {&whole_string, crontab, crontab, 0, err};
    size_t len = strlen(crontab);
    if (len > AZ_CRON_EXPR_MAX)
        return az_cron_fail(&ctx, crontab + AZ_CRON_EXPR_MAX, ASYNCZ_EPARSE,
                            "crontab string is longer than %d characters", AZ_CRON_EXPR_MAX);
    const char *text = crontab;
    while (is_blank(*text))
        text++;
    if (*text == '@') {
        int rc = expand_macro(crontab, text, &text, err);
        if (rc < 0)
            return rc;
        crontab = text; /* columns now count within the expansion, which always parses */
    }
    int rc = parse_fields(s, crontab, text, err);
    if (rc < 0)
        return rc;
    s->either_day = !s->dom.star && !s->dow.star;
    az_cron_spec_finish(s);
    return 0;
}
