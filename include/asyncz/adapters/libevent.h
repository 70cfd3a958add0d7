/* Run an embedded scheduler inside a libevent event_base. Header-only: include it in the program that owns
 * the event_base and link libevent yourself; libasyncz does not depend on libevent.
 *
 *     asyncz_scheduler_start_embedded(s, 0);
 *     asyncz_libevent *watch;
 *     asyncz_libevent_attach(&watch, s, base);   // the base now fires the scheduler's tasks
 *     event_base_dispatch(base);
 *     ...                                        // later, on the base's thread:
 *     asyncz_scheduler_shutdown(s, true);
 *     asyncz_libevent_detach(watch);
 *
 * The adapter watches asyncz_scheduler_fd() with a persistent read event and calls
 * asyncz_scheduler_dispatch() whenever it is readable. No timer event is needed: the fd becomes readable by
 * itself when a task falls due. When the scheduler shuts down (from a task, a listener or any callback of
 * the base) the adapter stops watching, so event_base_dispatch() can return; the watch must still be
 * detached to release it.
 *
 * Threads: attach, detach and everything the adapter does run on the thread that runs the event_base. Other
 * threads may keep calling the scheduler's API: it wakes the fd.
 */
#ifndef ASYNCZ_ADAPTERS_LIBEVENT_H
#define ASYNCZ_ADAPTERS_LIBEVENT_H

#include <stdbool.h>
#include <stdlib.h>
#include <event2/event.h>

#include "asyncz/error.h"
#include "asyncz/scheduler.h"

/* A scheduler attached to an event_base. Owned by the adapter: made by asyncz_libevent_attach, released by
 * asyncz_libevent_detach. The fields are private. */
typedef struct asyncz_libevent {
    struct event *ev;
    asyncz_scheduler *scheduler; /* borrowed */
    bool dispatching;            /* inside asyncz_scheduler_dispatch(), called from the event's callback */
    bool detached;               /* detach was called while dispatching: the callback frees the watch */
} asyncz_libevent;

static inline void asyncz_libevent_release_(asyncz_libevent *w)
{
    event_free(w->ev); /* also removes the event from its base */
    free(w);
}

static inline void asyncz_libevent_on_read_(evutil_socket_t fd, short what, void *arg)
{
    asyncz_libevent *w = (asyncz_libevent *)arg;
    (void)fd;
    (void)what;
    w->dispatching = true;
    int rc = asyncz_scheduler_dispatch(w->scheduler, NULL);
    w->dispatching = false;
    /* A task or listener run by dispatch may have detached the watch: it is released here, now that
     * nothing below uses it any more. */
    if (w->detached) {
        asyncz_libevent_release_(w);
        return;
    }
    if (rc != 0 || asyncz_scheduler_get_state(w->scheduler) == ASYNCZ_STATE_STOPPED)
        event_del(w->ev);
}

/* Watch the scheduler s (started with asyncz_scheduler_start_embedded(); borrowed, must be detached before
 * it is freed) on base (borrowed, must outlive the watch). *out receives the watch.
 * Errors: ASYNCZ_EINVAL (a NULL argument), ASYNCZ_ESTATE (s not started embedded), ASYNCZ_ENOMEM,
 * ASYNCZ_EIO (libevent refused the event). */
static inline int asyncz_libevent_attach(asyncz_libevent **out, asyncz_scheduler *s, struct event_base *base)
{
    if (!out || !s || !base)
        return ASYNCZ_EINVAL;
    int fd = asyncz_scheduler_fd(s);
    if (fd < 0)
        return ASYNCZ_ESTATE;
    asyncz_libevent *w = (asyncz_libevent *)calloc(1, sizeof *w);
    if (!w)
        return ASYNCZ_ENOMEM;
    w->scheduler = s;
    w->ev = event_new(base, fd, EV_READ | EV_PERSIST, asyncz_libevent_on_read_, w);
    if (!w->ev) {
        free(w);
        return ASYNCZ_ENOMEM;
    }
    if (event_add(w->ev, NULL) != 0) {
        asyncz_libevent_release_(w);
        return ASYNCZ_EIO;
    }
    *out = w;
    return 0;
}

/* Stop watching and free the watch (NULL-safe), at once; may also be called from a task or listener that
 * dispatch is running (the watch is then freed when dispatch returns). Call it before
 * asyncz_scheduler_free(), which closes the fd, and before event_base_free(). */
static inline void asyncz_libevent_detach(asyncz_libevent *w)
{
    if (!w || w->detached)
        return;
    if (w->dispatching) {
        event_del(w->ev);
        w->detached = true;
        return;
    }
    asyncz_libevent_release_(w);
}

#endif
