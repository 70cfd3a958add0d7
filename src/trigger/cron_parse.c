/* Lexing and validation helpers shared by the field API parser and the crontab parser. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "asyncz/error.h"
#include "trigger/cron.h"
#include "trigger/trigger_internal.h"

int az_cron_fail(const az_cron_ctx *ctx, const char *at, int rc, const char *fmt, ...)
{
    char reason[sizeof((asyncz_trigger_error *)0)->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    int column = ctx->col_base + (int)(at - ctx->text) + 1;
    az_trigger_error_set(ctx->err, ctx->field->name, ctx->expr, column, "%s", reason);
    return rc;
}

bool az_cron_scan_number(const char **p, int *out)
{
    const char *s = *p;
    int v = 0, n = 0;
    while (isdigit((unsigned char)s[n])) {
        if (n < 9)
            v = v * 10 + (s[n] - '0');
        else
            v = 1000000000; /* saturate: reported as out of range by the caller */
        n++;
    }
    if (n == 0)
        return false;
    *p = s + n;
    *out = v;
    return true;
}

int az_cron_scan_name(const az_cron_ctx *ctx, const char **p, int *out)
{
    const char *s = *p;
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    const az_cron_field *f = ctx->field;
    if (n == 0 || !f->names)
        return 0;
    for (int i = 0; n == 3 && i < f->names_count; i++) {
        if (strncasecmp(s, f->names[i], 3) == 0) {
            *out = f->names_base + i;
            *p = s + n;
            return 1;
        }
    }
    return az_cron_fail(ctx, s, ASYNCZ_EPARSE, "unknown %s name \"%.*s\"", f->names_kind,
                        (int)(n > 16 ? 16 : n), s);
}

/* A value as the user typed it: the digits at `at` (az_cron_scan_number saturates long numbers, which must
 * not be quoted as if typed), or the number itself when it came from a name. */
const char *az_cron_value_text(const char *at, int v, char buf[AZ_CRON_VALUE_TEXT_SIZE])
{
    size_t n = 0;
    while (isdigit((unsigned char)at[n]))
        n++;
    if (n == 0)
        snprintf(buf, AZ_CRON_VALUE_TEXT_SIZE, "%d", v);
    else if (n < AZ_CRON_VALUE_TEXT_SIZE)
        snprintf(buf, AZ_CRON_VALUE_TEXT_SIZE, "%.*s", (int)n, at);
    else
        snprintf(buf, AZ_CRON_VALUE_TEXT_SIZE, "%.20s... (%d digits)", at, n > 9999 ? 9999 : (int)n);
    return buf;
}

int az_cron_check_range(const az_cron_ctx *ctx, const char *at_lo, const char *at_hi, int lo, int hi)
{
    const az_cron_field *f = ctx->field;
    char text[AZ_CRON_VALUE_TEXT_SIZE];
    if (lo < f->min)
        return az_cron_fail(ctx, at_lo, ASYNCZ_ERANGE, "value %s is below the minimum %d",
                            az_cron_value_text(at_lo, lo, text), f->min);
    if (lo > f->max)
        return az_cron_fail(ctx, at_lo, ASYNCZ_ERANGE, "value %s is above the maximum %d",
                            az_cron_value_text(at_lo, lo, text), f->max);
    if (hi < f->min)
        return az_cron_fail(ctx, at_hi, ASYNCZ_ERANGE, "value %s is below the minimum %d",
                            az_cron_value_text(at_hi, hi, text), f->min);
    if (hi > f->max)
        return az_cron_fail(ctx, at_hi, ASYNCZ_ERANGE, "value %s is above the maximum %d",
                            az_cron_value_text(at_hi, hi, text), f->max);
    if (lo > hi)
        return az_cron_fail(ctx, at_lo, ASYNCZ_ERANGE, "range start %d is above its end %d", lo, hi);
    return 0;
}

int az_cron_star_first(const az_cron_field *f, int step)
{
    if (step <= 1 || strcmp(f->name, "year") != 0)
        return f->min;
    return f->min + (AZ_CRON_YEAR_STEP_ORIGIN - f->min) % step;
}

int az_cron_check_step(const az_cron_ctx *ctx, const char *at, int lo, int hi, int step, bool strict)
{
    if (step < 1)
        return az_cron_fail(ctx, at, ASYNCZ_ERANGE, "step must be at least 1");
    char text[AZ_CRON_VALUE_TEXT_SIZE];
    if (strict && step > hi - lo)
        return az_cron_fail(ctx, at, ASYNCZ_ERANGE, "step %s is larger than the range %d-%d it applies to",
                            az_cron_value_text(at, step, text), lo, hi);
    int span = ctx->field->max - ctx->field->min + 1;
    if (step > span)
        return az_cron_fail(ctx, at, ASYNCZ_ERANGE, "step %s is larger than the %d values of the field",
                            az_cron_value_text(at, step, text), span);
    return 0;
}

bool az_cron_at_item_end(const char *p, const char *end)
{
    return p == end || *p == ',';
}

int az_cron_unexpected(const az_cron_ctx *ctx, const char *p, const char *end, const char *what)
{
    if (az_cron_at_item_end(p, end))
        return az_cron_fail(ctx, p, ASYNCZ_EPARSE, "expected %s", what);
    return az_cron_fail(ctx, p, ASYNCZ_EPARSE, "unexpected '%c', expected %s", *p, what);
}
