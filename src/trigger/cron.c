/* The cron trigger kind: both the field API and crontab strings, matched in wall-clock time of the
 * trigger's zone under the DST policy of docs/triggers.md.
 *
 * The search walks the zone span by span (stretches of constant UTC offset). Within a span, wall time and
 * instants differ by a constant, so the civil matcher answers directly; only at span edges does the policy
 * decide: a fixed-time expression fires at the end of a spring gap for a wall time inside it, and skips the
 * second pass over an autumn overlap; a periodic expression skips the gap and fires in both passes. */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "time/civil.h"
#include "time/zone.h"
#include "trigger/cron.h"
#include "trigger/trigger_codec.h"
#include "trigger/trigger_internal.h"

typedef struct cron_trigger {
    asyncz_trigger_base base; /* first: the trigger is its base */
    az_cron_spec spec;
    /* The source, kept so the trigger can be written out and read back (src/codec): the crontab string, or
     * NULL and the field API's expressions (NULL: not given). Both point into text. */
    const char *crontab;
    const char *fields[AZ_CRON_NFIELDS];
    char text[]; /* what describe() prints for the kind's parameters, then the source strings */
} cron_trigger;

/* Offsets from UTC stay within a day and two hours either way (real zones within 15 hours). */
#define MAX_OFFSET (26 * 3600)

/* Where the span walk may continue when the first match is far ahead. Every wall time from the start's
 * up to first_match is known not to match. Three days past the start, every instant before
 * first_match - MAX_OFFSET has a wall time in that stretch (even after an autumn overlap, which moves wall
 * time back by less than the margin), and no gap there can hold a matching wall time either; so the walk
 * can jump there instead of visiting every span of the years between (a rare date, such as a 29 February
 * or a far year, would otherwise cost two zone lookups per year). */
static int64_t skip_ahead(int64_t t, int64_t t_start, int64_t first_match)
{
    if (t - t_start >= 3 * 86400 && first_match - MAX_OFFSET > t)
        return first_match - MAX_OFFSET;
    return t;
}

/* Whether a fixed-time expression fires at second t, the first of span sp, because t is the end of a
 * spring gap that holds a matching wall time. The walk in search() sees a gap only from the span before it;
 * a search that starts right at the gap's end (a start in the last second before it rounds up to there,
 * and every wall time inside the gap resolves to there) would otherwise begin after the gap and miss the
 * run the policy moves to t. */
static bool fires_at_gap_end(const cron_trigger *c, const az_zone_span *sp, int64_t t)
{
    if (c->spec.periodic || t != sp->start || sp->prev_offset >= sp->offset)
        return false;
    int64_t match;
    return az_cron_next_wall(&c->spec, t + sp->prev_offset, &match) && match < t + sp->offset;
}

/* The first matching instant (seconds) at or after second t, applying the DST policy. The matcher's answer
 * is reused across spans while it stays valid: no wall time in [known_from, match) matches, so a later
 * span whose first wall time falls in that stretch has the same answer without another search. */
static bool search(const cron_trigger *c, int64_t t, int64_t *out)
{
    const az_cron_spec *s = &c->spec;
    const int64_t t_start = t;
    int64_t match = 0, known_from = INT64_MAX, first_match = INT64_MIN;
    for (;;) {
        az_zone_span sp;
        az_zone_span_at(c->base.zone, t, &sp);
        if (t == t_start && fires_at_gap_end(c, &sp, t)) {
            *out = t;
            return true;
        }
        int64_t wall = t + sp.offset;
        if (wall < known_from || wall > match) {
            if (!az_cron_next_wall(s, wall, &match))
                return false;
            known_from = wall;
            if (first_match == INT64_MIN)
                first_match = match;
        }
        int64_t at = match - sp.offset;
        if (at < sp.end) {
            /* A repeated wall time: a fixed-time expression already had its first occurrence. */
            if (!s->periodic && sp.prev_offset > sp.offset && match < sp.start + sp.prev_offset) {
                t = sp.start + sp.prev_offset - sp.offset;
                continue;
            }
            *out = at;
            return true;
        }
        /* The match lies past this span; inside the spring gap a fixed time fires when the gap ends. */
        if (!s->periodic && sp.next_offset > sp.offset && match < sp.end + sp.next_offset) {
            *out = sp.end;
            return true;
        }
        t = sp.end;
        t = skip_ahead(t, t_start, first_match);
    }
}

static int cron_next(const asyncz_trigger *t, asyncz_time_t previous, asyncz_time_t now, asyncz_time_t *out)
{
    const cron_trigger *c = (const cron_trigger *)t;
    asyncz_time_t start = az_trigger_search_start(&c->base, previous, now);
    *out = ASYNCZ_TIME_NONE;
    /* Fire times are whole seconds: round the start up. */
    int64_t sec = az_floor_div(start, ASYNCZ_USEC_PER_SEC);
    if (sec * ASYNCZ_USEC_PER_SEC != start)
        sec++;
    if (sec > ASYNCZ_TIME_MAX / ASYNCZ_USEC_PER_SEC)
        return 0;
    if (sec < ASYNCZ_TIME_MIN / ASYNCZ_USEC_PER_SEC)
        sec = ASYNCZ_TIME_MIN / ASYNCZ_USEC_PER_SEC;
    int64_t found;
    if (search(c, sec, &found) && found <= ASYNCZ_TIME_MAX / ASYNCZ_USEC_PER_SEC)
        *out = found * ASYNCZ_USEC_PER_SEC;
    return 0;
}

static int cron_describe(const asyncz_trigger *t, char *buf, size_t size)
{
    const cron_trigger *c = (const cron_trigger *)t;
    int len = 0;
    az_describe_append(buf, size, &len, "%s", c->text);
    return len;
}

static void cron_destroy(asyncz_trigger *t)
{
    free(t);
}

static const asyncz_trigger_ops cron_ops = {
    .version = ASYNCZ_TRIGGER_OPS_VERSION,
    .name = "cron",
    .next = cron_next,
    .describe = cron_describe,
    .destroy = cron_destroy,
};

/* Where a cron trigger comes from: a crontab string (without its surrounding blanks) or field expressions. */
typedef struct cron_source {
    const char *crontab; /* NULL for the field API */
    size_t crontab_len;
    const char *fields[AZ_CRON_NFIELDS];
} cron_source;

static const char *const field_names[AZ_CRON_NFIELDS] = {"year",        "month", "day",    "week",
                                                         "day_of_week", "hour",  "minute", "second"};

/* Append n bytes to buf (NULL: only count them). */
static void put(char *buf, size_t *len, const char *text, size_t n)
{
    if (buf)
        memcpy(buf + *len, text, n);
    *len += n;
}

/* The description: APScheduler 3's for fields (the fields given, in field order, as name='expression'),
 * crontab='...' for a crontab string. Built with plain copies since it is made for every trigger. Returns
 * its length; buf (NULL: only measure) receives it with a NUL. */
static size_t describe_source(char *buf, const cron_source *src)
{
    size_t len = 0;
    if (src->crontab) {
        put(buf, &len, "crontab='", 9);
        put(buf, &len, src->crontab, src->crontab_len);
        put(buf, &len, "'", 1);
    }
    for (int i = 0; !src->crontab && i < AZ_CRON_NFIELDS; i++) {
        if (!src->fields[i])
            continue;
        if (len)
            put(buf, &len, ", ", 2);
        put(buf, &len, field_names[i], strlen(field_names[i]));
        put(buf, &len, "='", 2);
        put(buf, &len, src->fields[i], strlen(src->fields[i]));
        put(buf, &len, "'", 1);
    }
    if (buf)
        buf[len] = '\0';
    return len;
}

/* Bytes the source strings need in the trigger's text, NULs included. */
static size_t source_size(const cron_source *src)
{
    if (src->crontab)
        return src->crontab_len + 1;
    size_t n = 0;
    for (int i = 0; i < AZ_CRON_NFIELDS; i++)
        n += src->fields[i] ? strlen(src->fields[i]) + 1 : 0;
    return n;
}

/* Copy n bytes of s to *p as a string and move *p past it. */
static const char *keep(char **p, const char *s, size_t n)
{
    char *copy = *p;
    memcpy(copy, s, n);
    copy[n] = '\0';
    *p += n + 1;
    return copy;
}

/* Lay the description and the source out in c->text, which has room for them. */
static void store_source(cron_trigger *c, const cron_source *src, size_t desc_len)
{
    describe_source(c->text, src);
    char *p = c->text + desc_len + 1;
    c->crontab = src->crontab ? keep(&p, src->crontab, src->crontab_len) : NULL;
    for (int i = 0; i < AZ_CRON_NFIELDS; i++)
        c->fields[i] =
            !src->crontab && src->fields[i] ? keep(&p, src->fields[i], strlen(src->fields[i])) : NULL;
}

/* Make the trigger from a parsed spec: one allocation holding the spec, the description and the source. */
static int cron_make(asyncz_trigger **out, const az_cron_spec *spec, const cron_source *src,
                     const asyncz_trigger_options *opts, asyncz_trigger_error *err)
{
    asyncz_trigger_options read;
    int rc = az_trigger_options_read(opts, &read, err);
    if (rc < 0)
        return rc;
    size_t desc_len = describe_source(NULL, src);
    cron_trigger *c = malloc(sizeof *c + desc_len + 1 + source_size(src));
    if (!c) {
        az_trigger_error_set(err, "", "", 0, "out of memory");
        return ASYNCZ_ENOMEM;
    }
    c->spec = *spec;
    store_source(c, src, desc_len);
    rc = asyncz_trigger_base_init(&c->base, &cron_ops, &read);
    if (rc < 0) {
        az_trigger_error_set(err, "", "", 0, "invalid trigger options: %s", asyncz_strerror(rc));
        free(c);
        return rc;
    }
    *out = (asyncz_trigger *)c;
    return 0;
}

int asyncz_trigger_cron_new(asyncz_trigger **out, const asyncz_cron_fields *fields,
                            const asyncz_trigger_options *opts, asyncz_trigger_error *err)
{
    if (!out || !fields) {
        az_trigger_error_set(err, "", "", 0, "%s is NULL", out ? "fields" : "out");
        return ASYNCZ_EINVAL;
    }
    *out = NULL;
    az_cron_spec spec;
    az_cron_spec_init(&spec);
    int rc = az_cron_parse_fields(&spec, fields, err);
    if (rc < 0)
        return rc;
    cron_source src = {NULL,
                       0,
                       {fields->year, fields->month, fields->day, fields->week, fields->day_of_week,
                        fields->hour, fields->minute, fields->second}};
    return cron_make(out, &spec, &src, opts, err);
}

int asyncz_trigger_crontab_new(asyncz_trigger **out, const char *crontab, const asyncz_trigger_options *opts,
                               asyncz_trigger_error *err)
{
    if (!out || !crontab) {
        az_trigger_error_set(err, "crontab", "", 0, "%s is NULL", out ? "the crontab string" : "out");
        return ASYNCZ_EINVAL;
    }
    *out = NULL;
    az_cron_spec spec;
    az_cron_spec_init(&spec);
    int rc = az_cron_parse_crontab(&spec, crontab, err);
    if (rc < 0)
        return rc;
    cron_source src = {crontab, strlen(crontab), {0}};
    while (*src.crontab == ' ' || *src.crontab == '\t')
        src.crontab++, src.crontab_len--;
    while (src.crontab_len &&
           (src.crontab[src.crontab_len - 1] == ' ' || src.crontab[src.crontab_len - 1] == '\t'))
        src.crontab_len--;
    return cron_make(out, &spec, &src, opts, err);
}

bool az_trigger_cron_source(const asyncz_trigger *t, const char **crontab, asyncz_cron_fields *fields)
{
    if (!t || ASYNCZ_TRIGGER_CBASE(t)->ops != &cron_ops)
        return false;
    const cron_trigger *c = (const cron_trigger *)t;
    *crontab = c->crontab;
    const char *const *f = c->fields;
    *fields = (asyncz_cron_fields){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]};
    return true;
}
