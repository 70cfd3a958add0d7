/* The file store's journal index (see file_internal.h): per process and journal, every entry's columns and
 * where its current frame is, found by id (a map) and listed newest first overall, per task and per status
 * (arrays of entry indexes sorted by id). Built from the segment files by file_jseg.c.
 *
 * Removal is in two steps: az_fj_kill takes an entry out of the map at once, az_fj_purge then drops the
 * references to every killed entry from the lists in one pass each, so that removing many entries costs
 * one pass rather than one move per entry. A killed entry's slot is reused only after the purge. */
#ifdef ASYNCZ_WITH_FILE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "store/file_internal.h"
#include "util/array.h"

static const char *entry_key(const void *ctx, uint32_t ref)
{
    return ((const fj_journal *)ctx)->e[ref - 1].id;
}

static const char *task_key(const void *ctx, uint32_t ref)
{
    return ((const fj_journal *)ctx)->tasks[ref - 1].name;
}

static const char *who_key(const void *ctx, uint32_t ref)
{
    return ((const fj_journal *)ctx)->whos[ref - 1];
}

/* ---- the lists ----------------------------------------------------------------------------------- */

size_t az_fj_refs_lower(const fj_journal *j, const fj_refs *r, const char *id)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(j->e[r->v[mid]].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Insert entry ref in its place; ids come mostly in ascending order, so mostly at the end. */
static int refs_insert(fj_journal *j, fj_refs *r, uint32_t ref)
{
    if (az_array_reserve((void **)&r->v, &r->cap, r->n + 1, sizeof *r->v))
        return ASYNCZ_ENOMEM;
    const char *id = j->e[ref].id;
    size_t pos = r->n;
    if (pos && strcmp(j->e[r->v[pos - 1]].id, id) > 0)
        pos = az_fj_refs_lower(j, r, id);
    memmove(r->v + pos + 1, r->v + pos, (r->n - pos) * sizeof *r->v);
    r->v[pos] = ref;
    r->n++;
    return 0;
}

static void refs_remove(fj_journal *j, fj_refs *r, uint32_t ref)
{
    size_t pos = az_fj_refs_lower(j, r, j->e[ref].id);
    if (pos < r->n && r->v[pos] == ref) {
        memmove(r->v + pos, r->v + pos + 1, (r->n - pos - 1) * sizeof *r->v);
        r->n--;
    }
}

/* Keep only the references to live entries. */
static void refs_filter(const fj_journal *j, fj_refs *r)
{
    size_t w = 0;
    for (size_t i = 0; i < r->n; i++)
        if (j->e[r->v[i]].live)
            r->v[w++] = r->v[i];
    r->n = w;
}

/* ---- interned names -------------------------------------------------------------------------------- */

static int intern(az_map *m, az_map_key_fn *key, fj_journal *j, const char *name, uint32_t *out, bool task)
{
    uint32_t hash = az_map_hash(name);
    if (az_map_reserve(m, m->count + 1))
        return ASYNCZ_ENOMEM;
    size_t slot = az_map_find(m, hash, name, key, j);
    if (m->slots[slot].ref) {
        *out = m->slots[slot].ref - 1;
        return 0;
    }
    char *copy = strdup(name);
    size_t n = task ? j->n_tasks : j->n_whos;
    int rc = copy ? 0 : ASYNCZ_ENOMEM;
    if (!rc && task)
        rc = az_array_reserve((void **)&j->tasks, &j->cap_tasks, n + 1, sizeof *j->tasks);
    else if (!rc)
        rc = az_array_reserve((void **)&j->whos, &j->cap_whos, n + 1, sizeof *j->whos);
    if (rc) {
        free(copy);
        return ASYNCZ_ENOMEM;
    }
    if (task)
        j->tasks[j->n_tasks++] = (fj_task){.name = copy};
    else
        j->whos[j->n_whos++] = copy;
    az_map_put_at(m, slot, hash, (uint32_t)n + 1);
    *out = (uint32_t)n;
    return 0;
}

/* Intern the n bytes at s (at most 255) as a task or a who. */
static int intern_bytes(fj_journal *j, const char *s, size_t n, bool task, uint32_t *out)
{
    char name[256];
    memcpy(name, s, n);
    name[n] = '\0';
    return task ? intern(&j->task_map, task_key, j, name, out, true)
                : intern(&j->who_map, who_key, j, name, out, false);
}

const char *az_fj_task_name(const fj_journal *j, uint32_t task)
{
    return j->tasks[task].name;
}

const char *az_fj_who(const fj_journal *j, uint32_t who)
{
    return j->whos[who];
}

long az_fj_task_find(const fj_journal *j, const char *name)
{
    uint32_t ref = az_map_get(&j->task_map, name, task_key, j);
    return ref ? (long)ref - 1 : -1;
}

/* ---- entries --------------------------------------------------------------------------------------- */

fj_entry *az_fj_find(const fj_journal *j, const char *id)
{
    uint32_t ref = az_map_get(&j->by_id, id, entry_key, j);
    return ref ? &j->e[ref - 1] : NULL;
}

static int alloc_entry(fj_journal *j, uint32_t *out)
{
    if (j->n_killed)
        az_fj_purge(j);
    if (j->n_free) {
        *out = j->free_e[--j->n_free];
        return 0;
    }
    if (j->n_e >= UINT32_MAX - 1 || az_array_reserve((void **)&j->e, &j->cap_e, j->n_e + 1, sizeof *j->e))
        return ASYNCZ_ENOMEM;
    *out = (uint32_t)j->n_e++;
    return 0;
}

/* Link entry ref (columns set, not yet listed) into the map and the lists. */
static int link_new(fj_journal *j, uint32_t ref)
{
    fj_entry *e = &j->e[ref];
    uint32_t hash = az_map_hash(e->id);
    if (az_map_reserve(&j->by_id, j->by_id.count + 1))
        return ASYNCZ_ENOMEM;
    size_t slot = az_map_find(&j->by_id, hash, e->id, entry_key, j);
    int rc = refs_insert(j, &j->all, ref);
    if (!rc && (rc = refs_insert(j, &j->tasks[e->task].refs, ref)) != 0)
        refs_remove(j, &j->all, ref);
    if (!rc && (rc = refs_insert(j, &j->by_status[e->status], ref)) != 0) {
        refs_remove(j, &j->all, ref);
        refs_remove(j, &j->tasks[e->task].refs, ref);
    }
    if (rc)
        return rc;
    az_map_put_at(&j->by_id, slot, hash, ref + 1);
    e->live = true;
    return 0;
}

static int add_entry(fj_journal *j, fj_seg *seg, uint32_t off, const fj_cols *c, uint32_t task, uint32_t who)
{
    uint32_t ref = 0;
    int rc = alloc_entry(j, &ref);
    if (rc)
        return rc;
    fj_entry *e = &j->e[ref];
    *e = (fj_entry){.status = (uint8_t)c->status,
                    .task = task,
                    .who = who,
                    .at = c->at,
                    .end_at = c->end_at,
                    .seg = seg->num,
                    .first_seg = seg->num,
                    .off = off,
                    .flen = c->flen};
    memcpy(e->id, c->id, AZ_JOURNAL_ID_LEN);
    e->id[AZ_JOURNAL_ID_LEN] = '\0';
    if ((rc = link_new(j, ref)) != 0 || (rc = az_fj_seg_note(seg, ref, off)) != 0) {
        if (e->live)
            az_fj_kill(j, e);
        else if (az_array_reserve((void **)&j->free_e, &j->cap_free, j->n_free + 1, sizeof *j->free_e) == 0)
            j->free_e[j->n_free++] = ref;
    }
    return rc;
}

/* Move entry ref from one list to another when its task or status changed. */
static int relist(fj_journal *j, fj_refs *from, fj_refs *to, uint32_t ref)
{
    if (from == to)
        return 0;
    int rc = refs_insert(j, to, ref);
    if (!rc)
        refs_remove(j, from, ref);
    return rc;
}

/* A newer frame of entry e: its columns and place. */
static int update_entry(fj_journal *j, fj_entry *e, fj_seg *seg, uint32_t off, const fj_cols *c,
                        uint32_t task, uint32_t who)
{
    uint32_t ref = (uint32_t)(e - j->e);
    int rc = relist(j, &j->tasks[e->task].refs, &j->tasks[task].refs, ref);
    if (!rc)
        rc = relist(j, &j->by_status[e->status], &j->by_status[c->status], ref);
    if (!rc)
        rc = az_fj_seg_note(seg, ref, off);
    if (rc)
        return rc;
    e->task = task;
    e->status = (uint8_t)c->status;
    e->who = who;
    e->at = c->at;
    e->end_at = c->end_at;
    if (e->seg < e->first_seg)
        e->first_seg = e->seg;
    e->seg = seg->num;
    e->off = off;
    e->flen = c->flen;
    return 0;
}

int az_fj_apply(fj_journal *j, fj_seg *seg, uint32_t off, const fj_cols *c)
{
    char id[AZ_JOURNAL_ID_LEN + 1];
    memcpy(id, c->id, AZ_JOURNAL_ID_LEN);
    id[AZ_JOURNAL_ID_LEN] = '\0';
    if (c->end_at < seg->min_end)
        seg->min_end = c->end_at;
    fj_entry *e = az_fj_find(j, id);
    /* Found again in the new version of its segment (offsets changed): this frame is its place. */
    bool refound = e && e->unplaced && seg->num >= e->seg;
    if (refound)
        e->unplaced = false;
    if (e && !refound && seg->num == e->seg && off == e->off)
        return 0; /* the frame the index already has */
    if (e && !refound && (seg->num < e->seg || (seg->num == e->seg && off < e->off))) {
        /* An older frame (a rescan of an older segment): superseded, but still one of this id's. */
        if (seg->num < e->first_seg)
            e->first_seg = seg->num;
        return az_fj_seg_note(seg, (uint32_t)(e - j->e), off);
    }
    uint32_t task = 0, who = 0;
    int rc = intern_bytes(j, c->task, c->task_len, true, &task);
    if (!rc)
        rc = intern_bytes(j, c->who, c->who_len, false, &who);
    if (rc)
        return rc;
    return e ? update_entry(j, e, seg, off, c, task, who) : add_entry(j, seg, off, c, task, who);
}

void az_fj_kill(fj_journal *j, fj_entry *e)
{
    if (!e->live)
        return;
    uint32_t hash = az_map_hash(e->id);
    size_t slot = az_map_find(&j->by_id, hash, e->id, entry_key, j);
    if (j->by_id.slots[slot].ref)
        az_map_del_at(&j->by_id, slot);
    e->live = false;
    e->doomed = false;
    j->tasks[e->task].dirty = true;
    j->n_killed++;
}

void az_fj_purge(fj_journal *j)
{
    if (!j->n_killed)
        return;
    refs_filter(j, &j->all);
    for (int s = 0; s < FJ_STATUS_N; s++)
        refs_filter(j, &j->by_status[s]);
    for (size_t t = 0; t < j->n_tasks; t++) {
        if (j->tasks[t].dirty)
            refs_filter(j, &j->tasks[t].refs);
        j->tasks[t].dirty = false;
    }
    /* The slots of the dead become free; a slot already free is not live either, so look for them in the
     * free list's absence: collect every dead slot anew. */
    j->n_free = 0;
    if (az_array_reserve((void **)&j->free_e, &j->cap_free, j->n_e, sizeof *j->free_e) == 0)
        for (size_t i = j->n_e; i-- > 0;)
            if (!j->e[i].live)
                j->free_e[j->n_free++] = (uint32_t)i;
    j->n_killed = 0;
}

/* ---- segments -------------------------------------------------------------------------------------- */

fj_seg *az_fj_seg(const fj_journal *j, uint64_t num)
{
    size_t lo = 0, hi = j->n_segs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (j->segs[mid].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < j->n_segs && j->segs[lo].num == num ? &j->segs[lo] : NULL;
}

fj_seg *az_fj_seg_add(fj_journal *j, uint64_t num)
{
    if (az_array_reserve((void **)&j->segs, &j->cap_segs, j->n_segs + 1, sizeof *j->segs))
        return NULL;
    size_t pos = j->n_segs;
    while (pos && j->segs[pos - 1].num > num)
        pos--;
    memmove(j->segs + pos + 1, j->segs + pos, (j->n_segs - pos) * sizeof *j->segs);
    j->n_segs++;
    j->segs[pos] = (fj_seg){.num = num, .fd = -1, .min_end = INT64_MAX};
    return &j->segs[pos];
}

void az_fj_seg_forget(fj_journal *j, fj_seg *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->frames);
    free(s->dead);
    size_t pos = (size_t)(s - j->segs);
    memmove(j->segs + pos, j->segs + pos + 1, (j->n_segs - pos - 1) * sizeof *j->segs);
    j->n_segs--;
}

int az_fj_seg_unplace(fj_journal *j, fj_seg *s)
{
    for (size_t i = 0; i < s->n_frames; i++) {
        uint32_t ref = s->frames[i].ref;
        fj_entry *e = &j->e[ref];
        if (!e->live || e->unplaced || e->seg != s->num || e->off != s->frames[i].off)
            continue;
        if (az_array_reserve((void **)&j->unplaced, &j->cap_unplaced, j->n_unplaced + 1, sizeof *j->unplaced))
            return ASYNCZ_ENOMEM;
        e->unplaced = true;
        j->unplaced[j->n_unplaced++] = ref;
    }
    s->n_frames = s->n_dead = 0;
    s->end = s->size_seen = 0;
    s->min_end = INT64_MAX;
    return 0;
}

void az_fj_kill_unplaced(fj_journal *j)
{
    for (size_t i = 0; i < j->n_unplaced; i++) {
        fj_entry *e = &j->e[j->unplaced[i]];
        if (e->live && e->unplaced)
            az_fj_kill(j, e);
        e->unplaced = false;
    }
    j->n_unplaced = 0;
}

fj_frame *az_fj_seg_frame(const fj_seg *s, uint32_t off)
{
    size_t lo = 0, hi = s->n_frames;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->frames[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_frames && s->frames[lo].off == off ? &s->frames[lo] : NULL;
}

int az_fj_seg_note(fj_seg *s, uint32_t ref, uint32_t off)
{
    if (az_array_reserve((void **)&s->frames, &s->cap_frames, s->n_frames + 1, sizeof *s->frames))
        return ASYNCZ_ENOMEM;
    s->frames[s->n_frames++] = (fj_frame){.ref = ref, .off = off};
    return 0;
}

/* ---- the whole index ------------------------------------------------------------------------------- */

void az_fj_index_clear(fj_journal *j)
{
    while (j->n_segs)
        az_fj_seg_forget(j, &j->segs[j->n_segs - 1]);
    free(j->segs);
    j->segs = NULL;
    j->cap_segs = 0;
    free(j->e);
    free(j->free_e);
    free(j->all.v);
    for (int s = 0; s < FJ_STATUS_N; s++)
        free(j->by_status[s].v);
    for (size_t t = 0; t < j->n_tasks; t++) {
        free(j->tasks[t].name);
        free(j->tasks[t].refs.v);
    }
    free(j->tasks);
    for (size_t w = 0; w < j->n_whos; w++)
        free(j->whos[w]);
    free(j->whos);
    az_map_free(&j->by_id);
    az_map_free(&j->task_map);
    az_map_free(&j->who_map);
    free(j->buf);
    free(j->unplaced);
    int dfd = j->dfd, lockfd = j->lockfd, logfd = j->logfd;
    az_journal which = j->which;
    *j = (fj_journal){.which = which, .dfd = dfd, .lockfd = lockfd, .logfd = logfd, .log_ino = j->log_ino};
}
#endif
