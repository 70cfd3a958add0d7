/* The file store's journal ops (backend.h, "journals"; layout in file_internal.h): run history and the
 * audit trail as append-only segment files under runs/ and audit/, read through the per-process index of
 * file_jindex.c, which file_jseg.c keeps in line with the files under the journal's flock. */
#ifdef ASYNCZ_WITH_FILE
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/file_internal.h"

static fs_backend *FB(az_backend *b)
{
    return (fs_backend *)b;
}

static int check_journal(fs_backend *fb, az_journal j)
{
    if (j != AZ_JOURNAL_RUNS && j != AZ_JOURNAL_AUDIT)
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0, "no journal number %d", (int)j);
    return 0;
}

/* ---- put ------------------------------------------------------------------------------------------- */

static int check_entry(fs_backend *fb, const az_jentry *e)
{
    size_t tl = e->task_id ? strlen(e->task_id) : 0;
    if (!e->id || strlen(e->id) != AZ_JOURNAL_ID_LEN)
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0, "journal entry: the id must be %d characters",
                          AZ_JOURNAL_ID_LEN);
    if (tl == 0 || tl > 255 || (e->who && strlen(e->who) > 255))
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0,
                          "journal entry %s: task id of 1-255 bytes and who of at most 255", e->id);
    if (e->status < 0 || e->status >= FJ_STATUS_N)
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0, "journal entry %s: status %d (0-31)", e->id, e->status);
    if (!e->data || e->len == 0 || e->len > AZ_JOURNAL_MAX)
        return az_fs_fail(fb, e->len > AZ_JOURNAL_MAX ? ASYNCZ_ETOOBIG : ASYNCZ_EINVAL, 0,
                          "journal entry %s: %zu bytes (1-%u)", e->id, e->len, (unsigned)AZ_JOURNAL_MAX);
    return 0;
}

int az_fs_journal_put(az_backend *b, az_journal jn, const az_jentry *entries, size_t n)
{
    fs_backend *fb = FB(b);
    int rc = check_journal(fb, jn);
    for (size_t i = 0; !rc && i < n; i++)
        rc = check_entry(fb, &entries[i]);
    if (rc || n == 0)
        return rc;
    fj_journal *j = &fb->jr[jn];
    if ((rc = az_fj_begin(fb, j, true, "journal put")) != 0)
        return rc;
    rc = az_fj_append(fb, j, entries, n);
    az_fj_end(j);
    return rc;
}

/* ---- reads ----------------------------------------------------------------------------------------- */

/* Hand entry e out: its frame read back, its columns from the index. */
static int pass_entry(fs_backend *fb, fj_journal *j, const fj_entry *e, az_jentry_fn each, void *userdata)
{
    fj_cols c;
    int rc = az_fj_read(fb, j, e, &c);
    if (rc)
        return rc;
    az_jentry out = {.id = e->id,
                     .task_id = az_fj_task_name(j, e->task),
                     .at = e->at,
                     .end_at = e->end_at,
                     .status = e->status,
                     .who = az_fj_who(j, e->who),
                     .data = c.data,
                     .len = c.len};
    return each(&out, userdata);
}

int az_fs_journal_get(az_backend *b, az_journal jn, const char *id, az_jentry_fn each, void *userdata)
{
    fs_backend *fb = FB(b);
    int rc = check_journal(fb, jn);
    if (rc)
        return rc;
    fj_journal *j = &fb->jr[jn];
    if ((rc = az_fj_begin(fb, j, false, "journal get")) != 0)
        return rc;
    const fj_entry *e = id ? az_fj_find(j, id) : NULL;
    rc = e ? pass_entry(fb, j, e, each, userdata) : ASYNCZ_ENOTFOUND;
    az_fj_end(j);
    return rc;
}

/* A walk over lists of entries sorted by id, newest first: one list, or several merged (a status set). */
typedef struct walk {
    const fj_journal *j;
    const fj_refs *lists[FJ_STATUS_N];
    size_t next[FJ_STATUS_N]; /* how many of each list are left to hand out */
    int n;
} walk;

static void walk_add(walk *w, const fj_refs *r, const char *before)
{
    w->lists[w->n] = r;
    w->next[w->n] = before ? az_fj_refs_lower(w->j, r, before) : r->n;
    w->n++;
}

/* The next entry, newest first, or NULL. */
static const fj_entry *walk_next(walk *w)
{
    int best = -1;
    for (int i = 0; i < w->n; i++) {
        if (!w->next[i])
            continue;
        const char *id = w->j->e[w->lists[i]->v[w->next[i] - 1]].id;
        if (best < 0 || strcmp(id, w->j->e[w->lists[best]->v[w->next[best] - 1]].id) > 0)
            best = i;
    }
    if (best < 0)
        return NULL;
    return &w->j->e[w->lists[best]->v[--w->next[best]]];
}

/* The lists a query walks: its task's, its statuses', or every entry's. False when nothing can match. */
static bool walk_start(walk *w, const fj_journal *j, const az_jquery *q)
{
    *w = (walk){.j = j};
    if (q->task_id) {
        long t = az_fj_task_find(j, q->task_id);
        if (t < 0)
            return false;
        walk_add(w, &j->tasks[t].refs, q->before);
    } else if (q->statuses) {
        for (int s = 0; s < FJ_STATUS_N; s++)
            if (q->statuses & (1u << s))
                walk_add(w, &j->by_status[s], q->before);
    } else {
        walk_add(w, &j->all, q->before);
    }
    return true;
}

static bool matches(const fj_journal *j, const fj_entry *e, const az_jquery *q)
{
    if (q->statuses && !(q->statuses & (1u << e->status)))
        return false;
    if (q->since != ASYNCZ_TIME_NONE && e->at < q->since)
        return false;
    if (q->until != ASYNCZ_TIME_NONE && e->at >= q->until)
        return false;
    if (q->who && strcmp(az_fj_who(j, e->who), q->who) != 0)
        return false;
    return !q->task_id || strcmp(az_fj_task_name(j, e->task), q->task_id) == 0;
}

int az_fs_journal_list(az_backend *b, az_journal jn, const az_jquery *q, az_jentry_fn each, void *userdata)
{
    fs_backend *fb = FB(b);
    int rc = check_journal(fb, jn);
    if (rc)
        return rc;
    fj_journal *j = &fb->jr[jn];
    if ((rc = az_fj_begin(fb, j, false, "journal list")) != 0)
        return rc;
    walk w;
    size_t handed = 0;
    if (walk_start(&w, j, q)) {
        for (const fj_entry *e; !rc && handed < q->limit && (e = walk_next(&w)) != NULL;) {
            if (!matches(j, e, q))
                continue;
            rc = pass_entry(fb, j, e, each, userdata);
            handed++;
        }
    }
    az_fj_end(j);
    return rc;
}

/* ---- removals -------------------------------------------------------------------------------------- */

static int by_end_at(const void *a, const void *b)
{
    const fj_entry *x = *(fj_entry *const *)a, *y = *(fj_entry *const *)b;
    if (x->end_at != y->end_at)
        return x->end_at < y->end_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Every live entry with end_at < cutoff, from the segments that may hold one, into *out (malloc'd). */
static int old_entries(fj_journal *j, asyncz_time_t cutoff, fj_entry ***out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < j->n_segs; i++) {
        const fj_seg *s = &j->segs[i];
        if (s->min_end >= cutoff)
            continue;
        for (size_t k = 0; k < s->n_frames; k++) {
            fj_entry *e = &j->e[s->frames[k].ref];
            if (!e->live || e->seg != s->num || e->off != s->frames[k].off || e->end_at >= cutoff)
                continue;
            if (*n == cap) {
                size_t grown = cap ? cap * 2 : 256;
                fj_entry **p = realloc(*out, grown * sizeof *p);
                if (!p)
                    return ASYNCZ_ENOMEM;
                *out = p;
                cap = grown;
            }
            (*out)[(*n)++] = e;
        }
    }
    return 0;
}

/* Remove the first n of doomed (marked here) and say how many went. */
static int remove_these(fs_backend *fb, fj_journal *j, fj_entry **doomed, size_t n, size_t *removed)
{
    for (size_t i = 0; i < n; i++)
        doomed[i]->doomed = true;
    int rc = n ? az_fj_remove_doomed(fb, j, doomed, n) : 0;
    *removed = rc ? 0 : n;
    return rc;
}

int az_fs_journal_prune_age(az_backend *b, az_journal jn, asyncz_time_t cutoff, size_t max, size_t *removed)
{
    fs_backend *fb = FB(b);
    *removed = 0;
    int rc = check_journal(fb, jn);
    if (rc || max == 0)
        return rc;
    fj_journal *j = &fb->jr[jn];
    if ((rc = az_fj_begin(fb, j, true, "journal prune")) != 0)
        return rc;
    fj_entry **old = NULL;
    size_t n = 0;
    rc = old_entries(j, cutoff, &old, &n);
    if (!rc && n > max)
        qsort(old, n, sizeof *old, by_end_at);
    if (!rc)
        rc = remove_these(fb, j, old, n < max ? n : max, removed);
    free(old);
    az_fj_end(j);
    return rc;
}

int az_fs_journal_trim_task(az_backend *b, az_journal jn, const char *task_id, size_t keep, size_t max,
                            size_t *removed)
{
    fs_backend *fb = FB(b);
    *removed = 0;
    int rc = check_journal(fb, jn);
    if (rc || max == 0 || !task_id)
        return rc;
    fj_journal *j = &fb->jr[jn];
    if ((rc = az_fj_begin(fb, j, true, "journal trim")) != 0)
        return rc;
    long t = az_fj_task_find(j, task_id);
    const fj_refs *r = t >= 0 ? &j->tasks[t].refs : NULL;
    size_t excess = r && r->n > keep ? r->n - keep : 0, k = excess < max ? excess : max;
    fj_entry **doomed = k ? malloc(k * sizeof *doomed) : NULL;
    if (k && !doomed)
        rc = ASYNCZ_ENOMEM;
    for (size_t i = 0; !rc && i < k; i++)
        doomed[i] = &j->e[r->v[i]]; /* oldest first */
    if (!rc)
        rc = remove_these(fb, j, doomed, k, removed);
    free(doomed);
    az_fj_end(j);
    return rc;
}
#endif
