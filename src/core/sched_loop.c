/* The loop: an epoll fd watching an eventfd (wake-ups from other threads) and a timerfd (the next due time).
 * All Linux-specific code of the scheduler is here. The system clock uses an absolute CLOCK_REALTIME timer
 * with TFD_TIMER_CANCEL_ON_SET, so a wall-clock jump (or a resume from suspend) wakes the loop and the
 * schedule is worked out again; an injected clock uses a relative CLOCK_MONOTONIC timer. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "core/scheduler_internal.h"

int az_loop_open(asyncz_scheduler *s)
{
    s->tfd_realtime = s->opts.clock == NULL;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->tfd = timerfd_create(s->tfd_realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s->epfd < 0 || s->evfd < 0 || s->tfd < 0)
        return ASYNCZ_EIO;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s->evfd};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) != 0)
        return ASYNCZ_EIO;
    ev.data.fd = s->tfd;
    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd, &ev) == 0 ? 0 : ASYNCZ_EIO;
}

void az_loop_close(asyncz_scheduler *s)
{
    int *fds[] = {&s->tfd, &s->evfd, &s->epfd};
    for (size_t i = 0; i < 3; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}

void az_loop_wake(asyncz_scheduler *s)
{
    /* One write is enough until the loop reads the eventfd: later wakes would find the same round. */
    if (atomic_exchange(&s->woken, true))
        return;
    uint64_t one = 1;
    if (s->evfd >= 0 && write(s->evfd, &one, sizeof one) < 0 && errno != EAGAIN)
        asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "cannot wake the loop: %s", strerror(errno));
}

bool az_loop_is_owner(asyncz_scheduler *s)
{
    _Static_assert(sizeof(pthread_t) <= sizeof(unsigned long), "pthread_t fits an unsigned long");
    return atomic_load(&s->in_loop) && pthread_equal((pthread_t)atomic_load(&s->owner), pthread_self());
}

static struct timespec to_timespec(int64_t usec)
{
    if (usec < 0)
        usec = 0;
    return (struct timespec){.tv_sec = usec / ASYNCZ_USEC_PER_SEC,
                             .tv_nsec = (usec % ASYNCZ_USEC_PER_SEC) * 1000};
}

/* Set the timer to fire at `when` (ASYNCZ_TIME_NONE: disarm). A time already past fires at once. */
static void arm(asyncz_scheduler *s, asyncz_time_t when)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    int flags = 0;
    if (when != ASYNCZ_TIME_NONE && s->tfd_realtime) {
        its.it_value = to_timespec(when);
        flags = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET;
    } else if (when != ASYNCZ_TIME_NONE) {
        its.it_value = to_timespec(when - az_sched_now(s));
    }
    if (when != ASYNCZ_TIME_NONE && its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1; /* zero would disarm */
    if (timerfd_settime(s->tfd, flags, &its, NULL) != 0)
        asyncz_log(ASYNCZ_LOG_ERROR, AZ_LOGGER, "cannot set the timer: %s", strerror(errno));
    s->armed = when;
}

/* Read the timer; ECANCELED means the wall clock was set (or the host resumed and the clock stepped). */
static void read_timer(asyncz_scheduler *s, az_event_buf *events)
{
    uint64_t ticks;
    if (read(s->tfd, &ticks, sizeof ticks) >= 0 || errno != ECANCELED)
        return;
    asyncz_log(ASYNCZ_LOG_INFO, AZ_LOGGER, "the system clock changed; working out the schedule again");
    az_events_add(s, events, ASYNCZ_EVENT_SCHEDULER_WAKEUP_CLOCK, NULL, NULL);
    s->armed = ASYNCZ_TIME_NONE;
}

static void wait_ready(asyncz_scheduler *s, bool block, az_event_buf *events)
{
    struct epoll_event evs[4];
    int n = epoll_wait(s->epfd, evs, 4, block ? -1 : 0);
    for (int i = 0; i < n; i++) {
        uint64_t count;
        if (evs[i].data.fd == s->evfd) {
            /* Clear after reading: a waker that still saw the flag set made its change before this
             * point, so the round that follows sees it; a later waker writes again. */
            (void)!read(s->evfd, &count, sizeof count);
            atomic_store(&s->woken, false);
        } else if (evs[i].data.fd == s->tfd)
            read_timer(s, events);
    }
}

bool az_loop_round(asyncz_scheduler *s, bool block)
{
    az_event_buf events = {0};
    wait_ready(s, block, &events);
    atomic_store(&s->owner, (unsigned long)pthread_self());
    atomic_store(&s->in_loop, true);
    az_events_deliver(s, &events);
    az_drain_done(s);
    az_sub_buf subs = {0};
    asyncz_time_t now = az_sched_now(s);
    asyncz_time_t wake = atomic_load(&s->stop) ? ASYNCZ_TIME_NONE : az_process_round(s, now, &subs, &events);
    az_events_deliver(s, &events);
    az_submit_all(s, &subs);
    if (!atomic_load(&s->stop))
        wake = az_round_output(s, now, wake);
    az_drain_done(s);
    pthread_mutex_lock(&s->lock);
    if (!atomic_load(&s->stop))
        arm(s, wake);
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->in_loop, false);
    return atomic_load(&s->stop);
}

int asyncz_scheduler_dispatch(asyncz_scheduler *s, int *next_timeout_ms)
{
    if (next_timeout_ms)
        *next_timeout_ms = -1;
    if (!s || s->mode != AZ_MODE_EMBEDDED)
        return az_sched_fail(ASYNCZ_ESTATE, "the scheduler was not started embedded");
    if (az_loop_round(s, false)) {
        az_sched_stop_sequence(s);
        return 0;
    }
    if (next_timeout_ms && s->armed != ASYNCZ_TIME_NONE) {
        int64_t ms = (s->armed - az_sched_now(s) + 999) / 1000;
        *next_timeout_ms = ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
    }
    return 0;
}
