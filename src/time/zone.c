/* Zones: a sorted table of transitions, extended at build time with the footer rule's transitions up to
 * the year 2500 (or 405 years past the table, whichever is later), so that a lookup is one binary search.
 * Past the extended table the rule repeats every 400 Gregorian years (146097 days, a whole number of
 * weeks), so a lookup there is shifted back by whole cycles into the table and the span shifted forward. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "time/civil.h"
#include "time/zone_internal.h"

#define CYCLE_SECONDS (INT64_C(146097) * 86400)
#define RULE_MIN_LAST_YEAR 2500
#define RULE_LAST_TABLE_MAX (INT64_C(3155695200) * 1000) /* about the year 100000 */
/* Wider than any offset TZif allows, so a window of this size around a wall time holds every candidate. */
#define OFFSET_WINDOW 93600

struct asyncz_zone {
    atomic_int refs;
    const char *name;
    uint32_t n;           /* transitions */
    const int64_t *at;    /* n instants, strictly ascending */
    const int32_t *off;   /* n + 1 offsets: off[0] before at[0], off[i + 1] from at[i] on */
    const uint16_t *type; /* n + 1 type indexes, laid out as off */
    const az_tzif_type *types;
    bool periodic;       /* the rule repeats past cycle_end */
    uint32_t rule_first; /* index of the first transition generated from the rule */
    int64_t cycle_start; /* cycle_end - CYCLE_SECONDS */
    int64_t cycle_end;
};

static const int64_t utc_at[1] = {0};
static const int32_t utc_off[1] = {0};
static const uint16_t utc_type[1] = {0};
static const az_tzif_type utc_types[1] = {{0, false, "UTC"}};
static asyncz_zone utc_zone = {
    .refs = 1,
    .name = "UTC",
    .n = 0,
    .at = utc_at,
    .off = utc_off,
    .type = utc_type,
    .types = utc_types,
};

/* ---- building ------------------------------------------------------------------------------- */

typedef struct rule_event {
    int64_t at;
    int64_t order; /* generation order, so equal instants keep the later rule's effect */
    uint16_t type;
} rule_event;

typedef struct builder {
    int64_t *at;
    uint16_t *type; /* type[i] is in effect from at[i]; initial separately */
    uint32_t n, cap;
    uint16_t initial;
    az_tzif_type *types;
    uint32_t ntypes;
    uint16_t std_type, dst_type;
    uint32_t rule_first;
    bool periodic;
    int64_t cycle_start, cycle_end;
} builder;

static int push(builder *b, int64_t at, uint16_t type)
{
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 64;
        int64_t *a = realloc(b->at, sizeof *a * cap);
        if (!a)
            return ASYNCZ_ENOMEM;
        b->at = a;
        uint16_t *t = realloc(b->type, sizeof *t * cap);
        if (!t)
            return ASYNCZ_ENOMEM;
        b->type = t;
        b->cap = cap;
    }
    b->at[b->n] = at;
    b->type[b->n] = type;
    b->n++;
    return 0;
}

/* The index of a type equal to *t, appended when there is none. */
static uint16_t intern_type(builder *b, const az_tzif_type *t)
{
    for (uint32_t i = 0; i < b->ntypes; i++)
        if (b->types[i].utoff == t->utoff && b->types[i].isdst == t->isdst &&
            strcmp(b->types[i].abbr, t->abbr) == 0)
            return (uint16_t)i;
    b->types[b->ntypes] = *t;
    return (uint16_t)b->ntypes++;
}

static void intern_rule_types(builder *b, const az_posix_tz *tz)
{
    az_tzif_type std = {tz->std_offset, false, ""};
    az_tzif_type dst = {tz->dst_offset, true, ""};
    strcpy(std.abbr, tz->std_abbr);
    strcpy(dst.abbr, tz->dst_abbr);
    b->std_type = intern_type(b, &std);
    b->dst_type = tz->has_dst ? intern_type(b, &dst) : b->std_type;
}

static int cmp_event(const void *a, const void *b)
{
    const rule_event *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int64_t year_of(int64_t t)
{
    int32_t y;
    int m, d;
    az_civil_from_days(az_floor_div(t, 86400), &y, &m, &d);
    return y;
}

/* All DST starts and ends of years [from, to], sorted. New array in *out. */
static int rule_events(const builder *b, const az_posix_tz *tz, int64_t from, int64_t to, rule_event **out,
                       size_t *count)
{
    size_t n = (size_t)(to - from + 1) * 2;
    rule_event *ev = malloc(sizeof *ev * n);
    if (!ev)
        return ASYNCZ_ENOMEM;
    for (int64_t y = from; y <= to; y++) {
        size_t i = (size_t)(y - from) * 2;
        az_posix_tz_year(tz, y, &ev[i].at, &ev[i + 1].at);
        ev[i].type = b->dst_type;
        ev[i + 1].type = b->std_type;
        ev[i].order = (int64_t)i;
        ev[i + 1].order = (int64_t)i + 1;
    }
    qsort(ev, n, sizeof *ev, cmp_event);
    *out = ev;
    *count = n;
    return 0;
}

/* Append the rule's changes after the table: equal instants keep the later event, and events that
 * change nothing (DST all year) are dropped. */
static int append_rule(builder *b, const az_posix_tz *tz, int64_t from, int64_t to)
{
    rule_event *ev;
    size_t count;
    /* One year more is generated than kept, so that an end of DST at the table's end that coincides with
     * the next year's start (DST all year) is resolved the same way as every other year's. */
    int rc = rule_events(b, tz, from, to + 1, &ev, &count);
    if (rc < 0)
        return rc;
    int64_t last = b->n ? b->at[b->n - 1] : INT64_MIN;
    int64_t kept_orders = (to - from + 1) * 2;
    uint16_t cur = b->n ? b->type[b->n - 1] : b->initial;
    b->rule_first = b->n;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (ev[i].at <= last || (i + 1 < count && ev[i + 1].at == ev[i].at) || ev[i].type == cur ||
            ev[i].order >= kept_orders)
            continue;
        rc = push(b, ev[i].at, ev[i].type);
        cur = ev[i].type;
    }
    free(ev);
    return rc;
}

/* The table is extended with the rule; past cycle_end lookups repeat the cycle before it. The cycle
 * starts at least four years after the first generated year so every span in it begins at a rule event. */
static int extend_with_rule(builder *b, const az_posix_tz *tz)
{
    int64_t from = b->n ? year_of(b->at[b->n - 1]) - 1 : 1;
    int64_t to = from + 405 > RULE_MIN_LAST_YEAR ? from + 405 : RULE_MIN_LAST_YEAR;
    if (b->n == 0) {
        /* Before the first change the other half of the rule was in effect. */
        int64_t s, e;
        az_posix_tz_year(tz, from, &s, &e);
        b->initial = s < e ? b->std_type : b->dst_type;
    }
    int rc = append_rule(b, tz, from, to);
    if (rc < 0)
        return rc;
    b->cycle_end = az_days_from_civil(to - 1, 1, 1) * 86400;
    b->cycle_start = b->cycle_end - CYCLE_SECONDS;
    uint32_t in_cycle = 0;
    for (uint32_t i = b->rule_first; i < b->n; i++)
        in_cycle += b->at[i] >= b->cycle_start && b->at[i] < b->cycle_end;
    b->periodic = in_cycle >= 2 && b->at[b->n - 1] >= b->cycle_end;
    return 0;
}

static int load_table(builder *b, const az_tzif *data)
{
    memcpy(b->types, data->types, sizeof *b->types * data->ntypes);
    b->ntypes = data->ntypes;
    /* RFC 8536 §3.2: type 0 is in effect before the first transition. */
    b->initial = 0;
    for (uint32_t i = 0; i < data->ntrans; i++) {
        int rc = push(b, data->trans[i], data->trans_type[i]);
        if (rc < 0)
            return rc;
    }
    if (!data->has_footer)
        return 0;
    intern_rule_types(b, &data->footer);
    /* RFC 8536 §3.3: with no transitions, the footer describes all instants. */
    if (data->ntrans == 0)
        b->initial = b->std_type;
    /* A table reaching past year 100000 (only crafted data does) has no use for the rule, and stopping
     * there keeps every computation on years far from overflow. */
    if (b->n && b->at[b->n - 1] > RULE_LAST_TABLE_MAX)
        return 0;
    return data->footer.has_dst ? extend_with_rule(b, &data->footer) : 0;
}

/* One allocation holds the zone, its name and its arrays, so freeing is one call. */
static int finish(builder *b, const char *name, asyncz_zone **out)
{
    size_t nlen = strlen(name) + 1;
    size_t size = sizeof(asyncz_zone) + sizeof(int64_t) * b->n + sizeof(int32_t) * (b->n + 1) +
                  sizeof(az_tzif_type) * b->ntypes + sizeof(uint16_t) * (b->n + 1) + nlen;
    char *mem = malloc(size);
    if (!mem)
        return ASYNCZ_ENOMEM;
    asyncz_zone *z = (asyncz_zone *)mem;
    int64_t *at = (int64_t *)(z + 1);
    int32_t *off = (int32_t *)(at + b->n);
    az_tzif_type *types = (az_tzif_type *)(off + b->n + 1);
    uint16_t *type = (uint16_t *)(types + b->ntypes);
    char *zname = (char *)(type + b->n + 1);
    memcpy(types, b->types, sizeof *types * b->ntypes);
    type[0] = b->initial;
    if (b->n) {
        memcpy(at, b->at, sizeof *at * b->n);
        memcpy(type + 1, b->type, sizeof *type * b->n);
    }
    for (uint32_t i = 0; i <= b->n; i++)
        off[i] = types[type[i]].utoff;
    memcpy(zname, name, nlen);
    *z = (asyncz_zone){.name = zname,
                       .n = b->n,
                       .at = at,
                       .off = off,
                       .type = type,
                       .types = types,
                       .periodic = b->periodic,
                       .rule_first = b->rule_first,
                       .cycle_start = b->cycle_start,
                       .cycle_end = b->cycle_end};
    atomic_init(&z->refs, 1);
    *out = z;
    return 0;
}

int az_zone_build(asyncz_zone **out, const char *name, const az_tzif *data)
{
    az_tzif_type types[258];
    builder b = {.types = types};
    int rc = load_table(&b, data);
    if (rc == 0)
        rc = finish(&b, name, out);
    free(b.at);
    free(b.type);
    return rc;
}

void az_zone_free(asyncz_zone *z)
{
    if (z && z != &utc_zone)
        free(z);
}

int az_zone_refcount(const asyncz_zone *z)
{
    return atomic_load(&((asyncz_zone *)z)->refs);
}

/* ---- lookups -------------------------------------------------------------------------------- */

/* The number of transitions at or before t, which is also the index of the span holding t. */
static uint32_t upper_bound(const asyncz_zone *z, int64_t t)
{
    uint32_t lo = 0, hi = z->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void span_of(const asyncz_zone *z, uint32_t i, az_zone_span *out)
{
    out->start = i ? z->at[i - 1] : INT64_MIN;
    out->end = i < z->n ? z->at[i] : INT64_MAX;
    out->offset = z->off[i];
    out->prev_offset = i ? z->off[i - 1] : z->off[i];
    out->next_offset = i < z->n ? z->off[i + 1] : z->off[i];
}

static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* The span holding t and the index of its type. */
static uint16_t lookup(const asyncz_zone *z, int64_t t, az_zone_span *out)
{
    if (z->periodic && t >= z->cycle_end) {
        int64_t shift = (t - z->cycle_start) / CYCLE_SECONDS * CYCLE_SECONDS;
        uint32_t i = upper_bound(z, t - shift);
        if (i > z->rule_first && i < z->n) {
            span_of(z, i, out);
            out->start += shift;
            out->end = add_sat(out->end, shift);
            /* Near the end of int64 the span is cut off; an unbounded span has no next offset. */
            if (out->end == INT64_MAX)
                out->next_offset = out->offset;
            return z->type[i];
        }
    }
    uint32_t i = upper_bound(z, t);
    span_of(z, i, out);
    return z->type[i];
}

void az_zone_span_at(const asyncz_zone *z, int64_t t, az_zone_span *out)
{
    lookup(z ? z : &utc_zone, t, out);
}

static int64_t seconds_of(asyncz_time_t t)
{
    return az_floor_div(t, ASYNCZ_USEC_PER_SEC);
}

int32_t asyncz_zone_offset(const asyncz_zone *z, asyncz_time_t t)
{
    az_zone_span s;
    az_zone_span_at(z, seconds_of(t), &s);
    return s.offset;
}

int asyncz_zone_info_at(const asyncz_zone *z, asyncz_time_t t, asyncz_zone_info *out)
{
    if (!z || !out)
        return ASYNCZ_EINVAL;
    az_zone_span s;
    const az_tzif_type *type = &z->types[lookup(z, seconds_of(t), &s)];
    out->utc_offset = type->utoff;
    out->is_dst = type->isdst;
    memcpy(out->abbr, type->abbr, sizeof out->abbr);
    return 0;
}

int asyncz_zone_to_civil(const asyncz_zone *z, asyncz_time_t t, asyncz_civil *out, int32_t *utc_offset)
{
    if (!z || !out)
        return ASYNCZ_EINVAL;
    if (t < ASYNCZ_TIME_MIN || t > ASYNCZ_TIME_MAX)
        return ASYNCZ_ERANGE;
    int64_t s = seconds_of(t);
    az_zone_span span;
    lookup(z, s, &span);
    az_seconds_to_civil(s + span.offset, out);
    out->usec = (int32_t)(t - s * ASYNCZ_USEC_PER_SEC);
    /* Near the ends of the range the local date can fall in year 0 or 10000, which asyncz_civil cannot
     * carry. */
    if (out->year < 1 || out->year > 9999)
        return ASYNCZ_ERANGE;
    if (utc_offset)
        *utc_offset = span.offset;
    return 0;
}

/* Candidates for wall time `local`: t = local - offset for every span whose offset puts t inside it.
 * When there is none, the gap ends at the start of the first span whose wall clock starts after local. */
static void scan_wall(const asyncz_zone *z, int64_t local, asyncz_local_result *r)
{
    az_zone_span s;
    int found = 0;
    int64_t gap = INT64_MIN;
    az_zone_span_at(z, local - OFFSET_WINDOW, &s);
    for (;;) {
        int64_t t = local - s.offset;
        if (t >= s.start && t < s.end) {
            r->second = t;
            if (found++ == 0)
                r->first = t;
        } else if (gap == INT64_MIN && s.start != INT64_MIN && s.start > local - s.offset) {
            gap = s.start;
        }
        if (s.end == INT64_MAX || s.end > local + OFFSET_WINDOW)
            break;
        az_zone_span_at(z, s.end, &s);
    }
    if (found)
        r->kind = found == 1 ? ASYNCZ_LOCAL_UNIQUE : ASYNCZ_LOCAL_OVERLAP;
    else {
        r->kind = ASYNCZ_LOCAL_GAP;
        /* Inconsistent data could leave no gap end; the wall time read with the offset at local is as
         * good an answer as any and keeps the result defined. */
        r->first = r->second = gap != INT64_MIN ? gap : local - asyncz_zone_offset(z, local * 1000000);
    }
}

static bool in_range(asyncz_time_t t)
{
    return t >= ASYNCZ_TIME_MIN && t <= ASYNCZ_TIME_MAX;
}

int asyncz_zone_from_civil(const asyncz_zone *z, const asyncz_civil *c, asyncz_local_result *out)
{
    if (!z || !c || !out || !asyncz_civil_valid(c))
        return ASYNCZ_EINVAL;
    asyncz_local_result r;
    scan_wall(z, az_civil_to_seconds(c), &r);
    int64_t usec = r.kind == ASYNCZ_LOCAL_GAP ? 0 : c->usec;
    r.first = r.first * ASYNCZ_USEC_PER_SEC + usec;
    r.second = r.second * ASYNCZ_USEC_PER_SEC + usec;
    if (!in_range(r.first) || !in_range(r.second))
        return ASYNCZ_ERANGE;
    *out = r;
    return 0;
}

int asyncz_zone_resolve(const asyncz_zone *z, const asyncz_civil *c, asyncz_time_t *out)
{
    asyncz_local_result r;
    if (!out)
        return ASYNCZ_EINVAL;
    int rc = asyncz_zone_from_civil(z, c, &r);
    if (rc == 0)
        *out = r.first;
    return rc;
}

/* ---- references ----------------------------------------------------------------------------- */

asyncz_zone *asyncz_zone_utc(void)
{
    return &utc_zone;
}

asyncz_zone *asyncz_zone_ref(asyncz_zone *z)
{
    if (z)
        atomic_fetch_add_explicit(&z->refs, 1, memory_order_relaxed);
    return z;
}

/* Zones handed out by asyncz_zone_get live in the cache for the life of the process, so the count only
 * tracks use; dropping the last reference frees nothing. */
void asyncz_zone_unref(asyncz_zone *z)
{
    if (z)
        atomic_fetch_sub_explicit(&z->refs, 1, memory_order_relaxed);
}

const char *asyncz_zone_name(const asyncz_zone *z)
{
    return z ? z->name : NULL;
}
