/* asyncz_task_list: the list of tasks the scheduler's and the store's listings hand out (scheduler.h). */
#include <stdlib.h>

#include "asyncz/error.h"
#include "core/task_internal.h"

asyncz_task_list *az_task_list_new(void)
{
    return calloc(1, sizeof(asyncz_task_list));
}

int az_task_list_push(asyncz_task_list *l, asyncz_task *task)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        asyncz_task **items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            asyncz_task_free(task);
            return ASYNCZ_ENOMEM;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = task;
    return 0;
}

size_t asyncz_task_list_count(const asyncz_task_list *l)
{
    return l ? l->n : 0;
}

const asyncz_task *asyncz_task_list_at(const asyncz_task_list *l, size_t i)
{
    return l && i < l->n ? l->items[i] : NULL;
}

size_t asyncz_task_list_stored(const asyncz_task_list *l)
{
    return !l ? 0 : l->counted ? l->stored : l->n;
}

size_t asyncz_task_list_matched(const asyncz_task_list *l)
{
    return !l ? 0 : l->counted ? l->matched : l->n;
}

void asyncz_task_list_free(asyncz_task_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        asyncz_task_free(l->items[i]);
    free(l->items);
    free(l);
}
