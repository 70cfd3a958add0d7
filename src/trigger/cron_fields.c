/* The field API parser: APScheduler 3's CronTrigger fields and expressions.
 *
 * Fields year, month, day, week, day_of_week, hour, minute, second. Each is a comma list of "*", "*\/n",
 * "a", "a-b", "a-b/n", "a/n" (a to the field's end), with month names in `month`, weekday names (0 = Monday)
 * in `day_of_week`, and "last", "1st".."5th <weekday>", "last <weekday>" in `day`. A step may not exceed the
 * range it applies to, as APScheduler 3 validates. */
#include <ctype.h>
#include <string.h>

#include "asyncz/error.h"
#include "trigger/cron.h"

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const weekday_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static const az_cron_field fields[AZ_CRON_NFIELDS] = {
    [AZ_CRON_YEAR] = {"year", AZ_CRON_YEAR_MIN, AZ_CRON_YEAR_MAX, NULL, 0, 0, NULL},
    [AZ_CRON_MONTH] = {"month", 1, 12, month_names, 12, 1, "month"},
    [AZ_CRON_DAY] = {"day", 1, 31, NULL, 0, 0, NULL},
    [AZ_CRON_WEEK] = {"week", 1, 53, NULL, 0, 0, NULL},
    [AZ_CRON_DOW] = {"day_of_week", 0, 6, weekday_names, 7, 0, "weekday"},
    [AZ_CRON_HOUR] = {"hour", 0, 23, NULL, 0, 0, NULL},
    [AZ_CRON_MINUTE] = {"minute", 0, 59, NULL, 0, 0, NULL},
    [AZ_CRON_SECOND] = {"second", 0, 59, NULL, 0, 0, NULL},
};

/* APScheduler 3's defaults for the fields less significant than the least significant one given. */
static const char *const defaults[AZ_CRON_NFIELDS] = {"*", "1", "1", "*", "*", "0", "0", "0"};

/* A number or a name of the field. */
static int scan_value(const az_cron_ctx *ctx, const char **p, const char *end, int *out)
{
    if (az_cron_scan_number(p, out))
        return 0;
    int rc = az_cron_scan_name(ctx, p, out);
    if (rc < 0)
        return rc;
    return rc ? 0 : az_cron_unexpected(ctx, *p, end, "a number");
}

static int scan_step(const az_cron_ctx *ctx, const char **p, const char *end, int *step)
{
    *step = -1; /* none */
    if (**p != '/')
        return 0;
    (*p)++;
    if (!az_cron_scan_number(p, step))
        return az_cron_unexpected(ctx, *p, end, "a step number after '/'");
    return 0;
}

/* "*", "*\/n", "a", "a-b", "a-b/n", "a/n". */
static int parse_range_item(const az_cron_ctx *ctx, az_cron_spec *s, int fi, const char **pp, const char *end)
{
    const az_cron_field *f = ctx->field;
    const char *p = *pp, *at_lo = p, *at_hi = p, *at_step;
    int lo = f->min, hi = f->max, step, rc;
    if (*p == '*') {
        p++;
    } else {
        if ((rc = scan_value(ctx, &p, end, &lo)) < 0)
            return rc;
        hi = lo;
        if (*p == '-') {
            at_hi = ++p;
            if ((rc = scan_value(ctx, &p, end, &hi)) < 0)
                return rc;
        } else if (*p == '/') {
            hi = f->max;
        }
    }
    at_step = p + 1;
    if ((rc = scan_step(ctx, &p, end, &step)) < 0)
        return rc;
    if (**pp == '*')
        lo = az_cron_star_first(f, step);
    if (!az_cron_at_item_end(p, end))
        return az_cron_unexpected(ctx, p, end, "',' or the end of the expression");
    if ((rc = az_cron_check_range(ctx, at_lo, at_hi, lo, hi)) < 0)
        return rc;
    if (step >= 0 && (rc = az_cron_check_step(ctx, at_step, lo, hi, step, true)) < 0)
        return rc;
    az_cron_set_range(s, fi, lo, hi, step > 0 ? step : 1);
    *pp = p;
    return 0;
}

static bool word_is(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && strncasecmp(p, word, n) == 0 && !isalnum((unsigned char)p[n]);
}

/* A weekday name after "1st ".."5th " or "last " in the day field. */
static int scan_weekday(const az_cron_ctx *ctx, const char **p, const char *end, int *wd)
{
    const char *s = *p;
    while (*p < end && isalpha((unsigned char)**p))
        (*p)++;
    size_t n = (size_t)(*p - s);
    for (int i = 0; n == 3 && i < 7; i++)
        if (strncasecmp(s, weekday_names[i], 3) == 0) {
            *wd = i;
            return 0;
        }
    if (n == 0)
        return az_cron_unexpected(ctx, s, end, "a weekday name (mon..sun)");
    return az_cron_fail(ctx, s, ASYNCZ_EPARSE, "unknown weekday name \"%.*s\"", (int)(n > 16 ? 16 : n), s);
}

/* The position in "1st fri", "last fri": 1..5, or 0 for last. */
static int scan_position(const az_cron_ctx *ctx, const char **p, const char *end, int *pos)
{
    static const char *const ordinals[] = {"1st", "2nd", "3rd", "4th", "5th"};
    const char *s = *p;
    if (word_is(s, end, "last")) {
        *p = s + 4;
        *pos = 0;
        return 0;
    }
    for (int i = 0; i < 5; i++)
        if (word_is(s, end, ordinals[i])) {
            *p = s + 3;
            *pos = i + 1;
            return 0;
        }
    size_t n = 0;
    while (s + n < end && isalnum((unsigned char)s[n]))
        n++;
    return az_cron_fail(ctx, s, ASYNCZ_EPARSE, "\"%.*s\" is not a weekday position (1st..5th or last)",
                        (int)(n > 16 ? 16 : n), s);
}

/* Day-only forms: "last", "1st".."5th <weekday>", "last <weekday>". */
static int parse_day_position(const az_cron_ctx *ctx, az_cron_spec *s, const char **pp, const char *end)
{
    const char *p = *pp;
    int pos = 0, wd = 0, rc;
    if ((rc = scan_position(ctx, &p, end, &pos)) < 0)
        return rc;
    if (pos == 0 && az_cron_at_item_end(p, end)) {
        s->dom.from_end |= UINT32_C(1) << 31;
        *pp = p;
        return 0;
    }
    if (*p != ' ' && *p != '\t')
        return az_cron_unexpected(ctx, p, end, "a space and a weekday name");
    while (*p == ' ' || *p == '\t')
        p++;
    if ((rc = scan_weekday(ctx, &p, end, &wd)) < 0)
        return rc;
    if (!az_cron_at_item_end(p, end))
        return az_cron_unexpected(ctx, p, end, "',' or the end of the expression");
    if (pos == 0)
        s->dom.last_of |= (uint8_t)(1u << wd);
    else
        s->dom.nth[pos - 1] |= (uint8_t)(1u << wd);
    *pp = p;
    return 0;
}

/* A day item is positional when it is "last..." or starts with digits followed by a letter ("2nd"). */
static bool is_day_position(const char *p, const char *end)
{
    if (end - p >= 4 && strncasecmp(p, "last", 4) == 0)
        return true;
    const char *q = p;
    while (q < end && isdigit((unsigned char)*q))
        q++;
    return q > p && q < end && isalpha((unsigned char)*q);
}

static int parse_item(const az_cron_ctx *ctx, az_cron_spec *s, int fi, const char **p, const char *end)
{
    if (az_cron_at_item_end(*p, end))
        return az_cron_fail(ctx, *p, ASYNCZ_EPARSE, "empty expression");
    if (fi == AZ_CRON_DAY && is_day_position(*p, end))
        return parse_day_position(ctx, s, p, end);
    return parse_range_item(ctx, s, fi, p, end);
}

/* Parse one field's expression (a comma list) into the spec. */
static int parse_field(az_cron_spec *s, int fi, const char *expr, asyncz_trigger_error *err)
{
    az_cron_ctx ctx = {&fields[fi], expr, expr, 0, err};
    size_t len = strlen(expr);
    if (len > AZ_CRON_EXPR_MAX)
        return az_cron_fail(&ctx, expr + AZ_CRON_EXPR_MAX, ASYNCZ_EPARSE,
                            "expression is longer than %d characters", AZ_CRON_EXPR_MAX);
    const char *p = expr, *end = expr + len;
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    for (;;) {
        int rc = parse_item(&ctx, s, fi, &p, end);
        if (rc < 0)
            return rc;
        if (p == end)
            return 0;
        p++; /* the comma */
    }
}

static bool starts_with_star(const char *expr)
{
    while (isspace((unsigned char)*expr))
        expr++;
    return *expr == '*';
}

int az_cron_parse_fields(az_cron_spec *s, const asyncz_cron_fields *f, asyncz_trigger_error *err)
{
    const char *given[AZ_CRON_NFIELDS] = {f->year,        f->month, f->day,    f->week,
                                          f->day_of_week, f->hour,  f->minute, f->second};
    int last_given = -1;
    for (int i = 0; i < AZ_CRON_NFIELDS; i++)
        if (given[i])
            last_given = i;
    const char *exprs[AZ_CRON_NFIELDS];
    for (int i = 0; i < AZ_CRON_NFIELDS; i++) {
        exprs[i] = given[i] ? given[i] : i > last_given ? defaults[i] : "*";
        int rc = parse_field(s, i, exprs[i], err);
        if (rc < 0)
            return rc;
    }
    s->either_day = false;
    s->periodic = starts_with_star(exprs[AZ_CRON_HOUR]) || starts_with_star(exprs[AZ_CRON_MINUTE]);
    az_cron_spec_finish(s);
    return 0;
}
