/* The process pool executor: runs go to worker processes forked by a helper (zygote.c).
 *
 * start() forks the helper, then starts one monitor thread. The monitor owns the workers: it asks the helper
 * for them, sends each idle one the next queued run (a frame on its stream socket), adds the output lines the
 * worker sends while the function runs to the run (output frames), reads the outcome back and finishes the
 * run, kills workers past the timeout, and learns from the helper how each worker ended. A
 * worker's run is settled only once the helper reports the worker reaped: by then everything it wrote is in
 * its socket, so a run that completed just before its worker died still counts as completed, and a run
 * whose worker died gets the signal that ended it. Submit only queues and wakes the monitor.
 *
 * All I/O on the monitor is non-blocking, so a stopped or hung worker never holds up the others. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "core/run_internal.h"
#include "exec/zygote.h"
#include "util/options.h"

#define PROC_MAX_WORKERS 1024
#define NSEC_PER_USEC 1000
/* A worker that died while idle is replaced after this pause, so one that cannot even start does not make
 * the helper fork in a tight loop. */
#define IDLE_DEATH_RESPAWN_NSEC (100 * 1000 * 1000LL)
#define SPAWN_RETRY_NSEC (1000 * 1000 * 1000LL)

static const char LOGGER[] = "asyncz.executor";

typedef enum slot_state {
    SLOT_EMPTY,    /* no worker; one is asked for at respawn_at */
    SLOT_SPAWNING, /* asked the helper for a worker */
    SLOT_IDLE,
    SLOT_BUSY,
} slot_state;

typedef struct slot {
    slot_state state;
    pid_t pid;
    int fd;      /* -1: none */
    bool closed; /* end of stream or an I/O error: nothing more is read or written */
    asyncz_run *run;
    size_t base;      /* run->current when it was sent: the worker's time 0 */
    int64_t deadline; /* monotonic ns; 0: none */
    int64_t respawn_at;
    bool timed_out;
    bool shut_down; /* killed because the pool shut down without waiting */
    bool kill_wanted, kill_sent;
    /* Outgoing frame. */
    char *out;
    size_t out_len, out_off;
    /* Incoming frame: header, then body. */
    uint32_t in_hdr; /* the body's length (AZ_FRAME_OUTPUT cleared into in_output) */
    bool in_output;  /* an output frame, not the outcome */
    size_t in_got;   /* bytes of header + body received */
    char *in;
} slot;

typedef struct proc_exec {
    asyncz_executor_base base;
    unsigned max_workers;
    int64_t timeout_usec;
    /* The session, from start to shutdown. */
    asyncz_scheduler *scheduler;
    pid_t helper;
    int ctl;
    int wake; /* eventfd: submit and shutdown wake the monitor */
    pthread_t monitor;
    slot *slots;
    bool quit_sent; /* monitor only */
    bool ctl_want_out;
    /* Shared with submit and shutdown. */
    pthread_mutex_t lock;
    asyncz_run *head, *tail;
    bool started;
    bool accepting;
    bool stopping;
    bool kill_running; /* shutdown without waiting */
} proc_exec;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the queue ---------------------------------------------------------------------------------- */

static asyncz_run *queue_pop(proc_exec *p)
{
    pthread_mutex_lock(&p->lock);
    asyncz_run *run = p->stopping ? NULL : p->head;
    if (run) {
        p->head = run->next;
        if (!p->head)
            p->tail = NULL;
        run->next = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    return run;
}

/* Fail a detached list of runs that never started. */
static void fail_list(asyncz_run *run, int code, const char *why)
{
    while (run) {
        asyncz_run *next = run->next;
        run->next = NULL;
        asyncz_run_fail(run, code, 0, "%s", why);
        run = next;
    }
}

static void wake_monitor(proc_exec *p)
{
    uint64_t one = 1;
    ssize_t n = write(p->wake, &one, sizeof one);
    (void)n; /* a full counter already means "wake up" */
}

/* ---- control messages to the helper ------------------------------------------------------------ */

/* Send without blocking; on a full socket, remember to poll for room and try again. */
static bool ctl_send(proc_exec *p, az_zygote_kind kind, int32_t index, pid_t pid, int32_t value)
{
    az_zygote_msg m = {.kind = kind, .slot = index, .pid = pid, .value = value};
    int rc = az_zygote_send(p->ctl, &m, -1, MSG_DONTWAIT);
    if (rc == -EAGAIN)
        p->ctl_want_out = true;
    return rc == 0;
}

/* Ask for workers for empty slots, and for the kills decided since the last round. */
static void send_requests(proc_exec *p, int64_t now, bool stopping)
{
    p->ctl_want_out = false;
    for (unsigned i = 0; i < p->max_workers; i++) {
        slot *w = &p->slots[i];
        if (!stopping && w->state == SLOT_EMPTY && now >= w->respawn_at &&
            ctl_send(p, AZ_ZYGOTE_SPAWN, (int32_t)i, 0, 0))
            w->state = SLOT_SPAWNING;
        if (w->kill_wanted && !w->kill_sent && w->pid > 0 && ctl_send(p, AZ_ZYGOTE_KILL, -1, w->pid, SIGKILL))
            w->kill_sent = true;
    }
}

/* ---- worker I/O --------------------------------------------------------------------------------- */

static void slot_reset_in(slot *w)
{
    free(w->in);
    w->in = NULL;
    w->in_got = 0;
    w->in_hdr = 0;
    w->in_output = false;
}

static void slot_reset_io(slot *w)
{
    free(w->out);
    w->out = NULL;
    w->out_len = w->out_off = 0;
    slot_reset_in(w);
}

/* A worker that broke the protocol or whose stream failed: stop talking to it and have it killed. Its run
 * is settled when the helper reports it reaped. */
static void slot_abandon(slot *w)
{
    w->closed = true;
    w->kill_wanted = true;
}

static void slot_flush(slot *w)
{
    while (!w->closed && w->out_off < w->out_len) {
        ssize_t n = send(w->fd, w->out + w->out_off, w->out_len - w->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            slot_abandon(w);
            return;
        }
        w->out_off += (size_t)n;
    }
}

/* Output lines arrived: they go to the run's output at once (the scheduler publishes them while it runs); a
 * malformed frame loses its lines only. */
static void slot_output_done(slot *w)
{
    if (!w->run) {
        slot_reset_in(w);
        slot_abandon(w);
        return;
    }
    az_run_output_received(w->run, w->base, w->in, w->in_hdr);
    slot_reset_in(w);
}

/* A whole outcome arrived: finish the run and make the worker idle. */
static void slot_frame_done(slot *w)
{
    if (w->in_output) {
        slot_output_done(w);
        return;
    }
    asyncz_run *run = w->run;
    char *body = w->in;
    size_t len = w->in_hdr;
    w->in = NULL;
    slot_reset_io(w);
    if (!run) {
        free(body);
        slot_abandon(w);
        return;
    }
    w->run = NULL;
    w->state = SLOT_IDLE;
    w->deadline = 0;
    asyncz_run_finish_encoded(run, body, len);
    free(body);
}

/* Read what is there; returns false when nothing more will come (end of stream or an error). */
static bool slot_read_some(slot *w)
{
    bool in_header = w->in_got < sizeof w->in_hdr;
    char *dst = in_header ? (char *)&w->in_hdr + w->in_got : w->in + (w->in_got - sizeof w->in_hdr);
    size_t want = in_header ? sizeof w->in_hdr - w->in_got : w->in_hdr - (w->in_got - sizeof w->in_hdr);
    ssize_t n = want ? read(w->fd, dst, want) : 0;
    if (want && n < 0 && errno == EINTR)
        return true;
    if (want && n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        w->closed = true;
        return false;
    }
    w->in_got += (size_t)n;
    if (in_header && w->in_got == sizeof w->in_hdr) {
        w->in_output = (w->in_hdr & AZ_FRAME_OUTPUT) != 0;
        w->in_hdr &= ~AZ_FRAME_OUTPUT;
        if (w->in_hdr > AZ_FRAME_MAX || !(w->in = malloc(w->in_hdr ? w->in_hdr : 1))) {
            slot_abandon(w);
            return false;
        }
    }
    if (w->in_got >= sizeof w->in_hdr && w->in_got == sizeof w->in_hdr + w->in_hdr)
        slot_frame_done(w);
    return true;
}

static void slot_read(slot *w)
{
    while (!w->closed && w->fd >= 0 && slot_read_some(w))
        ;
}

/* ---- dispatching and timeouts ------------------------------------------------------------------- */

/* Give a run to an idle worker: its frame goes out now or as the socket takes it. */
static void slot_assign(proc_exec *p, slot *w, asyncz_run *run)
{
    char *msg = NULL;
    size_t len = 0;
    int rc = asyncz_run_encode(run, &msg, &len);
    if (rc == 0 && len > AZ_FRAME_MAX)
        rc = ASYNCZ_ETOOBIG;
    char *frame = rc == 0 ? malloc(len + sizeof(uint32_t)) : NULL;
    if (rc == 0 && !frame)
        rc = ASYNCZ_ENOMEM;
    if (rc) {
        free(msg);
        asyncz_run_fail(run, rc, 0, "could not send the run to a worker process: %s", asyncz_strerror(rc));
        return;
    }
    uint32_t n = (uint32_t)len;
    memcpy(frame, &n, sizeof n);
    memcpy(frame + sizeof n, msg, len);
    free(msg);
    w->out = frame;
    w->out_len = len + sizeof n;
    w->run = run;
    w->base = run->current;
    w->state = SLOT_BUSY;
    w->deadline = p->timeout_usec > 0 ? mono_ns() + p->timeout_usec * NSEC_PER_USEC : 0;
    slot_flush(w);
}

static void dispatch(proc_exec *p)
{
    for (unsigned i = 0; i < p->max_workers; i++) {
        slot *w = &p->slots[i];
        if (w->state != SLOT_IDLE || w->closed)
            continue;
        asyncz_run *run;
        do
            run = queue_pop(p);
        while (run && az_run_skip_missed(run));
        if (!run)
            return;
        slot_assign(p, w, run);
    }
}

static void check_timeouts(proc_exec *p, int64_t now)
{
    for (unsigned i = 0; i < p->max_workers; i++) {
        slot *w = &p->slots[i];
        if (w->state == SLOT_BUSY && w->deadline && now >= w->deadline && !w->timed_out) {
            w->timed_out = true;
            slot_abandon(w);
        }
    }
}

/* ---- a worker ended ----------------------------------------------------------------------------- */

static void fail_run_of(proc_exec *p, slot *w, int status)
{
    asyncz_run *run = w->run;
    w->run = NULL;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    const char *abbrev = sig ? sigabbrev_np(sig) : NULL;
    run->fail_kind = w->timed_out ? AZ_FAIL_TIMEOUT : w->shut_down ? AZ_FAIL_CANCELLED : AZ_FAIL_CRASH;
    run->fail_exit_status = !sig && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (w->timed_out)
        asyncz_run_fail(run, ASYNCZ_EIO, sig, "timed out after %.3f s (worker process %d was killed)",
                        (double)p->timeout_usec / 1e6, (int)w->pid);
    else if (w->shut_down)
        asyncz_run_fail(run, ASYNCZ_ESTATE, sig,
                        "executor shut down while the run was in progress (worker process %d was killed)",
                        (int)w->pid);
    else if (sig)
        asyncz_run_fail(run, ASYNCZ_EIO, sig, "worker process %d was killed by signal %d (SIG%s)",
                        (int)w->pid, sig, abbrev ? abbrev : "?");
    else
        asyncz_run_fail(run, ASYNCZ_EIO, 0, "worker process %d exited with status %d", (int)w->pid,
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void slot_clear(slot *w, int64_t respawn_at)
{
    if (w->fd >= 0)
        close(w->fd);
    slot_reset_io(w);
    *w = (slot){.state = SLOT_EMPTY, .fd = -1, .respawn_at = respawn_at};
}

static void on_exited(proc_exec *p, pid_t pid, int status)
{
    for (unsigned i = 0; i < p->max_workers; i++) {
        slot *w = &p->slots[i];
        if (w->pid != pid || w->state == SLOT_EMPTY || w->state == SLOT_SPAWNING)
            continue;
        /* The worker is gone, so whatever it wrote is already in its socket: take that first. */
        slot_read(w);
        bool was_busy = w->run != NULL;
        if (was_busy)
            fail_run_of(p, w, status);
        slot_clear(w, was_busy ? 0 : mono_ns() + IDLE_DEATH_RESPAWN_NSEC);
        return;
    }
}

static void on_spawned(proc_exec *p, const az_zygote_msg *m, int fd)
{
    slot *w = m->slot >= 0 && (unsigned)m->slot < p->max_workers ? &p->slots[m->slot] : NULL;
    if (!w || w->state != SLOT_SPAWNING || fd < 0) {
        if (fd >= 0)
            close(fd);
        if (m->pid > 0)
            ctl_send(p, AZ_ZYGOTE_KILL, -1, m->pid, SIGKILL);
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    w->state = SLOT_IDLE;
    w->pid = m->pid;
    w->fd = fd;
}

/* Read every control message there is; returns false once the helper is gone. */
static bool read_control(proc_exec *p)
{
    for (;;) {
        az_zygote_msg m;
        int fd;
        int rc = az_zygote_recv(p->ctl, &m, &fd, MSG_DONTWAIT);
        if (rc == -EAGAIN || rc == -EWOULDBLOCK)
            return true;
        if (rc == 0 || (rc < 0 && rc != -EPROTO))
            return false;
        if (rc < 0)
            continue;
        if (m.kind == AZ_ZYGOTE_SPAWNED) {
            on_spawned(p, &m, fd);
            continue;
        }
        if (fd >= 0)
            close(fd);
        if (m.kind == AZ_ZYGOTE_EXITED)
            on_exited(p, m.pid, m.value);
        else if (m.kind == AZ_ZYGOTE_SPAWN_FAILED && m.slot >= 0 && (unsigned)m.slot < p->max_workers) {
            asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "could not start a worker process: %s", strerror(m.value));
            slot_clear(&p->slots[m.slot], mono_ns() + SPAWN_RETRY_NSEC);
        }
    }
}

/* ---- the monitor -------------------------------------------------------------------------------- */

static bool any_busy(const proc_exec *p)
{
    for (unsigned i = 0; i < p->max_workers; i++)
        if (p->slots[i].state == SLOT_BUSY)
            return true;
    return false;
}

/* The poll timeout (ms) until the next deadline or respawn. */
static int next_timeout(const proc_exec *p, int64_t now, bool stopping)
{
    int64_t next = INT64_MAX;
    for (unsigned i = 0; i < p->max_workers; i++) {
        const slot *w = &p->slots[i];
        if (w->state == SLOT_BUSY && w->deadline && !w->timed_out && w->deadline < next)
            next = w->deadline;
        if (!stopping && w->state == SLOT_EMPTY && w->respawn_at < next)
            next = w->respawn_at;
    }
    if (next == INT64_MAX)
        return -1;
    int64_t ms = (next - now + 999999) / 1000000;
    return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* Wait for something to do, and do the I/O that came. Returns false once the helper is gone. */
static bool poll_once(proc_exec *p, int64_t now, bool stopping)
{
    struct pollfd pf[PROC_MAX_WORKERS + 2];
    slot *owner[PROC_MAX_WORKERS + 2];
    nfds_t n = 0;
    pf[n++] = (struct pollfd){.fd = p->wake, .events = POLLIN};
    pf[n++] = (struct pollfd){.fd = p->ctl, .events = (short)(POLLIN | (p->ctl_want_out ? POLLOUT : 0))};
    for (unsigned i = 0; i < p->max_workers; i++) {
        slot *w = &p->slots[i];
        if (w->fd < 0 || w->closed)
            continue;
        owner[n] = w;
        pf[n++] =
            (struct pollfd){.fd = w->fd, .events = (short)(POLLIN | (w->out_off < w->out_len ? POLLOUT : 0))};
    }
    if (poll(pf, n, next_timeout(p, now, stopping)) < 0)
        return true;
    if (pf[0].revents) {
        uint64_t v;
        ssize_t r = read(p->wake, &v, sizeof v);
        (void)r;
    }
    for (nfds_t i = 2; i < n; i++) {
        if (pf[i].revents & POLLOUT)
            slot_flush(owner[i]);
        if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
            slot_read(owner[i]);
    }
    return !pf[1].revents || read_control(p);
}

/* Shutting down: once nothing runs (or at once, without waiting), tell the helper to kill and reap every
 * worker; it reports each, then exits, which ends the monitor. */
static void maybe_quit(proc_exec *p, bool kill_running)
{
    if (p->quit_sent || (!kill_running && any_busy(p)))
        return;
    for (unsigned i = 0; i < p->max_workers; i++)
        if (p->slots[i].state == SLOT_BUSY)
            p->slots[i].shut_down = true;
    p->quit_sent = ctl_send(p, AZ_ZYGOTE_QUIT, -1, 0, 0);
}

/* The helper is gone (the pool shut down, or it died): settle every run still here. */
static void settle_all(proc_exec *p, bool stopping)
{
    for (unsigned i = 0; i < p->max_workers; i++) {
        slot *w = &p->slots[i];
        slot_read(w);
        if (w->run)
            asyncz_run_fail(w->run, ASYNCZ_EIO, 0, "the process pool's helper process exited");
        w->run = NULL;
        slot_clear(w, 0);
    }
    if (stopping)
        return;
    asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "the process pool's helper process (pid %d) exited; the pool stops",
               (int)p->helper);
    pthread_mutex_lock(&p->lock);
    p->accepting = false;
    asyncz_run *queued = p->head;
    p->head = p->tail = NULL;
    pthread_mutex_unlock(&p->lock);
    fail_list(queued, ASYNCZ_EIO, "the process pool's helper process exited");
}

static void *monitor_main(void *arg)
{
    proc_exec *p = arg;
    bool stopping = false;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        stopping = p->stopping;
        bool kill_running = p->kill_running;
        pthread_mutex_unlock(&p->lock);
        int64_t now = mono_ns();
        check_timeouts(p, now);
        send_requests(p, now, stopping);
        if (stopping)
            maybe_quit(p, kill_running);
        else
            dispatch(p);
        if (!poll_once(p, now, stopping))
            break;
    }
    settle_all(p, stopping);
    return NULL;
}

/* ---- the executor ------------------------------------------------------------------------------- */

static void session_close(proc_exec *p)
{
    if (p->ctl >= 0)
        close(p->ctl);
    if (p->wake >= 0)
        close(p->wake);
    p->ctl = p->wake = -1;
    free(p->slots);
    p->slots = NULL;
}

static void reap_helper(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

static int proc_start(asyncz_executor *ex, const asyncz_executor_host *host)
{
    proc_exec *p = (proc_exec *)ex;
    if (!host || !host->scheduler)
        return ASYNCZ_EINVAL;
    if (p->started)
        return ASYNCZ_ESTATE;
    p->slots = calloc(p->max_workers, sizeof *p->slots);
    p->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!p->slots || p->wake < 0) {
        session_close(p);
        return p->slots ? ASYNCZ_EIO : ASYNCZ_ENOMEM;
    }
    for (unsigned i = 0; i < p->max_workers; i++)
        p->slots[i] = (slot){.state = SLOT_EMPTY, .fd = -1};
    int rc = az_zygote_fork(host->scheduler, &p->helper, &p->ctl);
    if (rc) {
        session_close(p);
        return rc;
    }
    p->scheduler = host->scheduler;
    p->quit_sent = p->ctl_want_out = false;
    p->accepting = true;
    p->stopping = p->kill_running = false;
    if (pthread_create(&p->monitor, NULL, monitor_main, p) != 0) {
        kill(p->helper, SIGKILL);
        reap_helper(p->helper);
        session_close(p);
        p->accepting = false;
        return ASYNCZ_ENOMEM;
    }
    p->started = true;
    return 0;
}

static int proc_submit(asyncz_executor *ex, asyncz_run *run)
{
    proc_exec *p = (proc_exec *)ex;
    if (!run)
        return ASYNCZ_EINVAL;
    run->next = NULL;
    pthread_mutex_lock(&p->lock);
    bool ok = p->accepting;
    if (ok) {
        if (p->tail)
            p->tail->next = run;
        else
            p->head = run;
        p->tail = run;
    }
    pthread_mutex_unlock(&p->lock);
    if (!ok)
        return ASYNCZ_ESTATE;
    wake_monitor(p);
    return 0;
}

static void proc_shutdown(asyncz_executor *ex, bool wait)
{
    proc_exec *p = (proc_exec *)ex;
    if (!p->started)
        return;
    pthread_mutex_lock(&p->lock);
    p->accepting = false;
    p->stopping = true;
    p->kill_running = !wait;
    asyncz_run *queued = p->head;
    p->head = p->tail = NULL;
    pthread_mutex_unlock(&p->lock);
    fail_list(queued, ASYNCZ_ESTATE, "executor shut down before the run started");
    wake_monitor(p);
    pthread_join(p->monitor, NULL);
    reap_helper(p->helper);
    session_close(p);
    p->started = false;
}

static void proc_destroy(asyncz_executor *ex)
{
    proc_exec *p = (proc_exec *)ex;
    proc_shutdown(ex, true);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static const asyncz_executor_ops PROC_OPS = {
    .version = ASYNCZ_EXECUTOR_OPS_VERSION,
    .name = "processpool",
    .flags = 0,
    .start = proc_start,
    .submit = proc_submit,
    .shutdown = proc_shutdown,
    .destroy = proc_destroy,
};

/* The bytes of each version of asyncz_processpool_options: up to the end of that version's last field. A new
 * field goes at the end of the struct, with a new version and its size here. */
static const size_t OPTIONS_SIZE[ASYNCZ_PROCESSPOOL_OPTIONS_VERSION + 1] = {
    [1] = offsetof(asyncz_processpool_options, timeout_usec) + sizeof(int64_t),
};

/* Whether version is one this library knows; if not, log why (executors have no message channel). */
static int check_options_version(uint32_t version)
{
    char why[320];
    if (!az_options_version_problem("asyncz_processpool_options", "asyncz_processpool_options_init", version,
                                    ASYNCZ_PROCESSPOOL_OPTIONS_VERSION, why, sizeof why))
        return 0;
    asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "%s", why);
    return ASYNCZ_EINVAL;
}

int asyncz_processpool_options_init_version(asyncz_processpool_options *opts, uint32_t version)
{
    if (!opts)
        return ASYNCZ_EINVAL;
    int rc = check_options_version(version);
    if (rc == 0) {
        asyncz_processpool_options defaults = {.version = version};
        az_options_fill(opts, &defaults, OPTIONS_SIZE, version);
    }
    opts->version = version; /* the first member of every version */
    return rc;
}

int asyncz_executor_processpool_new(asyncz_executor **out, const asyncz_processpool_options *opts)
{
    if (!out)
        return ASYNCZ_EINVAL;
    asyncz_processpool_options o = {.version = ASYNCZ_PROCESSPOOL_OPTIONS_VERSION};
    if (opts && check_options_version(opts->version) != 0)
        return ASYNCZ_EINVAL;
    if (opts)
        az_options_copy(&o, opts, OPTIONS_SIZE, ASYNCZ_PROCESSPOOL_OPTIONS_VERSION);
    if (o.max_workers > PROC_MAX_WORKERS || o.timeout_usec < 0)
        return ASYNCZ_EINVAL;
    proc_exec *p = calloc(1, sizeof *p);
    if (!p)
        return ASYNCZ_ENOMEM;
    p->max_workers = o.max_workers ? o.max_workers : ASYNCZ_DEFAULT_MAX_WORKERS;
    p->timeout_usec = o.timeout_usec;
    p->ctl = p->wake = -1;
    pthread_mutex_init(&p->lock, NULL);
    asyncz_executor_base_init(&p->base, &PROC_OPS);
    *out = (asyncz_executor *)p;
    return 0;
}
