/* Listing the tasks of an application-connected store with the filters of `asyncz list` (asyncz/store.h):
 * the filter struct and its versions, a task's state, which tasks match, their order, offset and limit. */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/sys/store.h"
#include "core/task_internal.h"
#include "store/backend.h"
#include "store/store_api.h"
#include "util/options.h"

/* The function of the asyncz tool's command tasks (src/cli/shell_task.h): what such a task runs is the
 * command line, its first argument. */
#define SHELL_FUNC "asyncz.shell"

/* The bytes of each version of asyncz_task_filter: up to the end of that version's last field. A new field
 * goes at the end of the struct, with a new version and its size here. */
static const size_t FILTER_SIZE[ASYNCZ_TASK_FILTER_VERSION + 1] = {
    [1] = offsetof(asyncz_task_filter, limit) + sizeof(size_t),
};

static void filter_defaults(asyncz_task_filter *f)
{
    memset(f, 0, sizeof *f);
    f->version = ASYNCZ_TASK_FILTER_VERSION;
    f->states = ASYNCZ_TASK_STATE_ALL;
    f->sort = ASYNCZ_TASK_SORT_NEXT;
    f->limit = ASYNCZ_TASK_FILTER_NO_LIMIT;
}

static int check_version(uint32_t version)
{
    char why[320];
    if (az_options_version_problem("asyncz_task_filter", "asyncz_task_filter_init", version,
                                   ASYNCZ_TASK_FILTER_VERSION, why, sizeof why))
        return az_store_fail(ASYNCZ_EINVAL, "%s", why);
    return 0;
}

int asyncz_task_filter_init_version(asyncz_task_filter *f, uint32_t version)
{
    if (!f)
        return az_store_fail(ASYNCZ_EINVAL, "no filter");
    int rc = check_version(version);
    if (rc) {
        f->version = version; /* the first member of every version */
        return rc;
    }
    asyncz_task_filter defaults;
    filter_defaults(&defaults);
    az_options_fill(f, &defaults, FILTER_SIZE, version);
    return 0;
}

/* The caller's filter (NULL: defaults) over the defaults, checked. */
static int read_filter(const asyncz_task_filter *in, asyncz_task_filter *out)
{
    filter_defaults(out);
    if (!in)
        return 0;
    int rc = check_version(in->version);
    if (rc)
        return rc;
    az_options_copy(out, in, FILTER_SIZE, ASYNCZ_TASK_FILTER_VERSION);
    if (out->states & ~ASYNCZ_TASK_STATE_ALL)
        return az_store_fail(
            ASYNCZ_EINVAL,
            "asyncz_task_filter.states is 0x%x: only ASYNCZ_TASK_STATE_SCHEDULED, _PAUSED and "
            "_SHUTDOWN (0x7) are known",
            out->states);
    if (out->sort != ASYNCZ_TASK_SORT_NEXT && out->sort != ASYNCZ_TASK_SORT_ID &&
        out->sort != ASYNCZ_TASK_SORT_NAME)
        return az_store_fail(ASYNCZ_EINVAL,
                             "asyncz_task_filter.sort is %d: must be ASYNCZ_TASK_SORT_NEXT, _ID or _NAME",
                             (int)out->sort);
    if (out->states == 0)
        out->states = ASYNCZ_TASK_STATE_ALL;
    return 0;
}

/* ---- which tasks -----------------------------------------------------------------------------------------
 */

unsigned asyncz_task_state(const asyncz_task *t)
{
    if (!t)
        return 0;
    if (t->trigger && strcmp(asyncz_trigger_kind(t->trigger), "shutdown") == 0 &&
        t->next_run_time == ASYNCZ_TIME_NONE)
        return ASYNCZ_TASK_STATE_SHUTDOWN;
    /* A paused task with a queued run is paused: it stays so after that run. */
    return asyncz_task_paused(t) || t->next_run_time == ASYNCZ_TIME_NONE ? ASYNCZ_TASK_STATE_PAUSED
                                                                         : ASYNCZ_TASK_STATE_SCHEDULED;
}

static bool kind_matches(const asyncz_task *t, const char *want)
{
    if (!t->trigger)
        return strcmp(want, "date") == 0;
    const char *kind = asyncz_trigger_kind(t->trigger);
    return strcmp(want, kind) == 0 ||
           (strcmp(kind, "calendarinterval") == 0 && strcmp(want, "calendar") == 0);
}

/* Whether what t runs contains query: a command task's command line, else "FUNC ARGS KWARGS". */
static bool runs_match(const asyncz_task *t, const char *query)
{
    json_t *first = json_array_get(t->args, 0);
    if (strcmp(t->func, SHELL_FUNC) == 0 && json_is_string(first))
        return strstr(json_string_value(first), query) != NULL;
    const char *args = asyncz_task_args_json(t), *kwargs = asyncz_task_kwargs_json(t);
    bool has_args = strcmp(args, "[]") != 0, has_kwargs = strcmp(kwargs, "{}") != 0;
    size_t len = strlen(t->func) + strlen(args) + strlen(kwargs) + 3;
    char *what = malloc(len);
    if (!what) /* only the separate parts, then */
        return strstr(t->func, query) || (has_args && strstr(args, query)) ||
               (has_kwargs && strstr(kwargs, query));
    snprintf(what, len, "%s%s%s%s%s", t->func, has_args ? " " : "", has_args ? args : "",
             has_kwargs ? " " : "", has_kwargs ? kwargs : "");
    bool found = strstr(what, query) != NULL;
    free(what);
    return found;
}

static bool matches(const asyncz_task_filter *f, const asyncz_task *t)
{
    if (!(asyncz_task_state(t) & f->states))
        return false;
    if (f->trigger && !kind_matches(t, f->trigger))
        return false;
    if (f->executor && strcmp(f->executor, asyncz_task_executor(t)) != 0)
        return false;
    if (!f->query || !f->query[0])
        return true;
    return strstr(t->id, f->query) || strstr(asyncz_task_name(t), f->query) || runs_match(t, f->query);
}

/* ---- the listing -----------------------------------------------------------------------------------------
 */

typedef struct gather {
    const asyncz_task_filter *filter;
    asyncz_task_list *list;
    size_t stored;
} gather;

static int gather_one(asyncz_task *task, void *userdata)
{
    gather *g = userdata;
    g->stored++;
    return matches(g->filter, task) ? az_task_list_push(g->list, asyncz_task_ref(task)) : 0;
}

static int by_id(const void *x, const void *y)
{
    return strcmp((*(asyncz_task *const *)x)->id, (*(asyncz_task *const *)y)->id);
}

static int by_name(const void *x, const void *y)
{
    int c = strcmp(asyncz_task_name(*(asyncz_task *const *)x), asyncz_task_name(*(asyncz_task *const *)y));
    return c ? c : by_id(x, y);
}

static void reverse(asyncz_task_list *l)
{
    for (size_t i = 0, j = l->n; i + 1 < j; i++, j--) {
        asyncz_task *tmp = l->items[i];
        l->items[i] = l->items[j - 1];
        l->items[j - 1] = tmp;
    }
}

/* Sort, reverse, then keep [offset, offset + limit). */
static void order_and_cut(const asyncz_task_filter *f, asyncz_task_list *l)
{
    if (l->n == 0) /* items may be NULL */
        return;
    if (f->sort == ASYNCZ_TASK_SORT_ID)
        qsort(l->items, l->n, sizeof *l->items, by_id);
    else if (f->sort == ASYNCZ_TASK_SORT_NAME)
        qsort(l->items, l->n, sizeof *l->items, by_name);
    if (f->descending)
        reverse(l);
    size_t skip = f->offset < l->n ? f->offset : l->n;
    for (size_t i = 0; i < skip; i++)
        asyncz_task_free(l->items[i]);
    memmove(l->items, l->items + skip, (l->n - skip) * sizeof *l->items);
    l->n -= skip;
    while (l->n > f->limit)
        asyncz_task_free(l->items[--l->n]);
}

int asyncz_store_list_tasks(asyncz_store *st, const asyncz_task_filter *filter, asyncz_task_list **out)
{
    if (out)
        *out = NULL;
    int rc = az_store_api_check(st);
    if (rc == 0 && !out)
        rc = az_store_fail(ASYNCZ_EINVAL, "no out");
    asyncz_task_filter f;
    if (rc == 0)
        rc = read_filter(filter, &f);
    if (rc)
        return rc;
    gather g = {.filter = &f, .list = az_task_list_new()};
    if (!g.list)
        return az_store_fail(ASYNCZ_ENOMEM, "out of memory while listing the tasks of the %s store",
                             asyncz_store_kind(st));
    rc = ASYNCZ_STORE_BASE(st)->ops->list(st, gather_one, &g);
    if (rc == ASYNCZ_ENOMEM && !asyncz_store_errmsg()[0])
        az_store_fail(rc, "out of memory while listing the tasks of the %s store", asyncz_store_kind(st));
    else if (rc)
        az_store_api_failed(st, rc, NULL, "list the tasks of");
    if (rc) {
        asyncz_task_list_free(g.list);
        return rc;
    }
    g.list->stored = g.stored;
    g.list->matched = g.list->n;
    g.list->counted = true;
    order_and_cut(&f, g.list);
    *out = g.list;
    return 0;
}
