/* The run-record model: outcome and source names, records (init, deep copy, free), queries (defaults,
 * checks, filters). See asyncz/history.h. */
#define _GNU_SOURCE
#include "core/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "util/ids.h"
#include "util/options.h"

_Static_assert(ASYNCZ_RUN_ID_SIZE == AZ_RUN_ID_SIZE, "the public and internal run id sizes agree");

static const char *const OUTCOME_NAMES[ASYNCZ_RUN_OUTCOME_COUNT] = {
    "running", "succeeded", "failed", "timed_out", "crashed", "missed", "skipped", "lost", "cancelled"};
static const char *const SOURCE_NAMES[] = {"schedule", "request", "shutdown", "hook"};
#define N_SOURCES (sizeof SOURCE_NAMES / sizeof SOURCE_NAMES[0])

const char *asyncz_run_outcome_name(asyncz_run_outcome o)
{
    return (unsigned)o < ASYNCZ_RUN_OUTCOME_COUNT ? OUTCOME_NAMES[o] : "unknown";
}

const char *asyncz_run_source_name(asyncz_run_source s)
{
    return (unsigned)s < N_SOURCES ? SOURCE_NAMES[s] : "unknown";
}

static int find_name(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

int asyncz_run_outcome_parse(const char *name, asyncz_run_outcome *out)
{
    int i = find_name(OUTCOME_NAMES, ASYNCZ_RUN_OUTCOME_COUNT, name);
    if (i < 0 || !out)
        return ASYNCZ_EINVAL;
    *out = (asyncz_run_outcome)i;
    return 0;
}

int asyncz_run_source_parse(const char *name, asyncz_run_source *out)
{
    int i = find_name(SOURCE_NAMES, N_SOURCES, name);
    if (i < 0 || !out)
        return ASYNCZ_EINVAL;
    *out = (asyncz_run_source)i;
    return 0;
}

/* ---- records ------------------------------------------------------------------------------------------ */

void asyncz_run_record_init(asyncz_run_record *rec)
{
    if (!rec)
        return;
    memset(rec, 0, sizeof *rec);
    rec->scheduled_time = rec->submitted_at = rec->started_at = rec->finished_at = ASYNCZ_TIME_NONE;
    rec->coalesced = 1;
    rec->exit_status = -1;
    rec->outcome = ASYNCZ_RUN_RUNNING;
    rec->source = ASYNCZ_RUN_SOURCE_SCHEDULE;
}

static bool dup_field(const char **dst, const char *src)
{
    *dst = NULL;
    return !src || (*dst = strdup(src)) != NULL;
}

static bool copy_output(asyncz_run_record *dst, const asyncz_run_record *src)
{
    if (src->n_output == 0 || !src->output)
        return true;
    asyncz_output_line *lines = calloc(src->n_output, sizeof *lines);
    if (!lines)
        return false;
    dst->output = lines;
    for (size_t i = 0; i < src->n_output; i++) {
        lines[i] = src->output[i];
        if (!dup_field(&lines[i].text, src->output[i].text ? src->output[i].text : ""))
            return false;
        dst->n_output = i + 1;
    }
    return true;
}

int az_run_record_copy_into(asyncz_run_record *dst, const asyncz_run_record *src, bool skip_output)
{
    *dst = *src;
    dst->output = NULL;
    dst->n_output = 0;
    /* Every field is duplicated (or set NULL) even after one fails, so that the clear below frees only
     * copies, never src's strings. */
    const char **fields[] = {&dst->task_id, &dst->task_name,     &dst->store_alias, &dst->scheduler,
                             &dst->host,    &dst->error_message, &dst->result};
    bool ok = true;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        ok = dup_field(fields[i], *fields[i]) && ok;
    if (ok && !skip_output)
        ok = copy_output(dst, src);
    if (!skip_output)
        dst->output_truncated = src->output_truncated;
    if (!ok) {
        az_run_record_clear(dst);
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

void az_run_record_clear(asyncz_run_record *rec)
{
    free((char *)rec->task_id);
    free((char *)rec->task_name);
    free((char *)rec->store_alias);
    free((char *)rec->scheduler);
    free((char *)rec->host);
    free((char *)rec->error_message);
    free((char *)rec->result);
    for (size_t i = 0; i < rec->n_output; i++)
        free((char *)rec->output[i].text);
    free((asyncz_output_line *)rec->output);
    asyncz_run_record_init(rec);
}

int asyncz_run_record_copy(asyncz_run_record **out, const asyncz_run_record *rec)
{
    if (!out || !rec)
        return ASYNCZ_EINVAL;
    asyncz_run_record *r = malloc(sizeof *r);
    if (!r)
        return ASYNCZ_ENOMEM;
    if (az_run_record_copy_into(r, rec, false) != 0) {
        free(r);
        return ASYNCZ_ENOMEM;
    }
    *out = r;
    return 0;
}

void asyncz_run_record_free(asyncz_run_record *rec)
{
    if (!rec)
        return;
    az_run_record_clear(rec);
    free(rec);
}

/* ---- queries ------------------------------------------------------------------------------------------ */

static const size_t QUERY_SIZE[] = {0, sizeof(asyncz_history_query)};

static void query_defaults(asyncz_history_query *q)
{
    memset(q, 0, sizeof *q);
    q->version = ASYNCZ_HISTORY_QUERY_VERSION;
    q->since = q->until = ASYNCZ_TIME_NONE;
    q->limit = ASYNCZ_HISTORY_DEFAULT_LIMIT;
}

int asyncz_history_query_init_version(asyncz_history_query *q, uint32_t version)
{
    char why[256];
    if (!q)
        return ASYNCZ_EINVAL;
    if (az_options_version_problem("asyncz_history_query", "asyncz_history_query_init", version,
                                   ASYNCZ_HISTORY_QUERY_VERSION, why, sizeof why) != 0) {
        q->version = version;
        return ASYNCZ_EINVAL;
    }
    asyncz_history_query d;
    query_defaults(&d);
    az_options_fill(q, &d, QUERY_SIZE, version);
    return 0;
}

int az_history_query_read(const asyncz_history_query *in, asyncz_history_query *out, char *why, size_t size)
{
    query_defaults(out);
    out->cursor = "";
    if (!in)
        return 0;
    if (az_options_version_problem("asyncz_history_query", "asyncz_history_query_init", in->version,
                                   ASYNCZ_HISTORY_QUERY_VERSION, why, size) != 0)
        return ASYNCZ_EINVAL;
    az_options_copy(out, in, QUERY_SIZE, ASYNCZ_HISTORY_QUERY_VERSION);
    if (out->outcomes >> ASYNCZ_RUN_OUTCOME_COUNT) {
        snprintf(why, size, "the query's outcomes 0x%x hold bits of no outcome", (unsigned)out->outcomes);
        return ASYNCZ_EINVAL;
    }
    return az_page_read(&out->limit, &out->cursor, why, size);
}

int az_page_read(size_t *limit, const char **cursor, char *why, size_t size)
{
    if (*limit == 0)
        *limit = ASYNCZ_HISTORY_DEFAULT_LIMIT;
    if (*limit > ASYNCZ_HISTORY_MAX_LIMIT) {
        snprintf(why, size, "the query's limit %zu is over the most a page may hold (%d)", *limit,
                 ASYNCZ_HISTORY_MAX_LIMIT);
        return ASYNCZ_EINVAL;
    }
    if (!*cursor)
        *cursor = "";
    if (strlen(*cursor) >= ASYNCZ_HISTORY_CURSOR_SIZE) {
        snprintf(why, size, "the query's cursor is longer than any cursor a listing hands out");
        return ASYNCZ_EINVAL;
    }
    return 0;
}

bool az_history_matches(const asyncz_run_record *rec, const asyncz_history_query *q)
{
    if (q->task_id && (!rec->task_id || strcmp(q->task_id, rec->task_id) != 0))
        return false;
    if (q->outcomes && !(q->outcomes & ASYNCZ_RUN_OUTCOME_BIT(rec->outcome)))
        return false;
    if (q->since != ASYNCZ_TIME_NONE &&
        (rec->submitted_at == ASYNCZ_TIME_NONE || rec->submitted_at < q->since))
        return false;
    if (q->until != ASYNCZ_TIME_NONE &&
        (rec->submitted_at == ASYNCZ_TIME_NONE || rec->submitted_at >= q->until))
        return false;
    if (q->scheduler && (!rec->scheduler || strcmp(q->scheduler, rec->scheduler) != 0))
        return false;
    return true;
}

bool az_store_has_history(const asyncz_store_ops *ops)
{
    return ops->version >= 4 && ops->history_put && ops->history_list && ops->history_get &&
           ops->history_prune && ops->history_mark_lost;
}
