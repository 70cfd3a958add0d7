/* Run an embedded scheduler inside a libuv loop. Header-only: include it in the program that owns the loop
 * and link libuv yourself; libasyncz does not depend on libuv.
 *
 *     asyncz_scheduler_start_embedded(s, 0);
 *     asyncz_uv *watch;
 *     asyncz_uv_attach(&watch, s, loop);    // the loop now fires the scheduler's tasks
 *     uv_run(loop, UV_RUN_DEFAULT);
 *     ...                                   // later, on the loop's thread:
 *     asyncz_scheduler_shutdown(s, true);
 *     asyncz_uv_detach(watch);              // the loop frees the watch in its next iteration
 *
 * The adapter watches asyncz_scheduler_fd() with a uv_poll_t and calls asyncz_scheduler_dispatch() whenever
 * it is readable. No uv timer is needed: the fd becomes readable by itself when a task falls due. When the
 * scheduler shuts down (from a task, a listener or any callback of the loop) the adapter stops watching, so
 * the loop is not kept alive by it; the watch must still be detached to release it.
 *
 * Threads: attach, detach and everything the adapter does run on the loop's thread only (libuv handles are
 * not thread-safe). Other threads may keep calling the scheduler's API: it wakes the fd.
 */
#ifndef ASYNCZ_ADAPTERS_LIBUV_H
#define ASYNCZ_ADAPTERS_LIBUV_H

#include <stdlib.h>
#include <uv.h>

#include "asyncz/error.h"
#include "asyncz/scheduler.h"

/* A scheduler attached to a loop. Owned by the adapter: made by asyncz_uv_attach, released by
 * asyncz_uv_detach. The fields are private. */
typedef struct asyncz_uv {
    uv_poll_t poll;
    asyncz_scheduler *scheduler; /* borrowed */
} asyncz_uv;

static inline void asyncz_uv_on_close_(uv_handle_t *handle)
{
    free(handle->data);
}

/* Stop watching, unless the handle is already being closed (uv_poll_stop refuses closing handles). */
static inline void asyncz_uv_stop_(asyncz_uv *w)
{
    if (!uv_is_closing((uv_handle_t *)&w->poll))
        uv_poll_stop(&w->poll);
}

static inline void asyncz_uv_on_poll_(uv_poll_t *handle, int status, int events)
{
    asyncz_uv *w = (asyncz_uv *)handle->data;
    (void)status;
    (void)events;
    /* Dispatch even on a poll error: it never blocks, and it is what tells whether the scheduler still runs.
     * A task or listener may detach the watch during the call; the memory stays valid until the close
     * callback, which libuv runs later in this iteration. */
    int rc = asyncz_scheduler_dispatch(w->scheduler, NULL);
    if (rc != 0 || asyncz_scheduler_get_state(w->scheduler) == ASYNCZ_STATE_STOPPED)
        asyncz_uv_stop_(w);
}

/* Watch the scheduler s (started with asyncz_scheduler_start_embedded(); borrowed, must outlive the watch
 * or at least be detached before it is freed) on loop (borrowed). *out receives the watch.
 * Errors: ASYNCZ_EINVAL (a NULL argument), ASYNCZ_ESTATE (s not started embedded), ASYNCZ_ENOMEM,
 * ASYNCZ_EIO (libuv refused the poll handle). */
static inline int asyncz_uv_attach(asyncz_uv **out, asyncz_scheduler *s, uv_loop_t *loop)
{
    if (!out || !s || !loop)
        return ASYNCZ_EINVAL;
    int fd = asyncz_scheduler_fd(s);
    if (fd < 0)
        return ASYNCZ_ESTATE;
    asyncz_uv *w = (asyncz_uv *)calloc(1, sizeof *w);
    if (!w)
        return ASYNCZ_ENOMEM;
    if (uv_poll_init(loop, &w->poll, fd) != 0) {
        free(w); /* a handle whose init failed is not registered with the loop */
        return ASYNCZ_EIO;
    }
    w->poll.data = w;
    w->scheduler = s;
    if (uv_poll_start(&w->poll, UV_READABLE, asyncz_uv_on_poll_) != 0) {
        uv_close((uv_handle_t *)&w->poll, asyncz_uv_on_close_);
        return ASYNCZ_EIO;
    }
    *out = w;
    return 0;
}

/* Stop watching and release the watch (NULL-safe). libuv closes handles asynchronously: the watch stops at
 * once, and its memory is freed by the loop in its next iteration, so run the loop (uv_run) before
 * uv_loop_close(). May be called from a task or listener that dispatch is running. Call it before
 * asyncz_scheduler_free(), which closes the fd; after it, the scheduler is not used by the adapter. */
static inline void asyncz_uv_detach(asyncz_uv *w)
{
    if (!w || uv_is_closing((uv_handle_t *)&w->poll))
        return;
    uv_close((uv_handle_t *)&w->poll, asyncz_uv_on_close_);
}

#endif
