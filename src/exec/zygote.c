/* The process pool's helper process and its workers (see zygote.h). Everything after a fork here ends with
 * _exit: a copy of the parent must neither run its atexit handlers nor flush its stdio buffers. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/sys/executor.h"
#include "core/log_internal.h"
#include "core/run_internal.h"
#include "core/run_output.h"
#include "core/scheduler_internal.h"
#include "exec/zygote.h"

/* ---- control messages ----------------------------------------------------------------------------- */

int az_zygote_send(int ctl, const az_zygote_msg *m, int fd, int flags)
{
    struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof *m};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&cm, 0, sizeof cm);
        mh.msg_control = cm.buf;
        mh.msg_controllen = sizeof cm.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    do
        n = sendmsg(ctl, &mh, flags | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : 0;
}

/* The descriptor passed with a message, or -1. */
static int received_fd(struct msghdr *mh)
{
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int)))
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

int az_zygote_recv(int ctl, az_zygote_msg *m, int *fd, int flags)
{
    struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf};
    ssize_t n;
    do
        n = recvmsg(ctl, &mh, flags | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    *fd = n > 0 ? received_fd(&mh) : -1;
    if (n < 0)
        return -errno;
    if (n == 0)
        return 0;
    if ((size_t)n != sizeof *m) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return -EPROTO;
    }
    return 1;
}

/* ---- the worker ---------------------------------------------------------------------------------- */

/* Blocking I/O of exactly len bytes; false at end of stream or on error. */
static bool read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* The lines a function writes, sent to the pool while it runs (zygote.h, AZ_FRAME_OUTPUT). */
typedef struct shipper {
    int fd;
    int64_t last_ns; /* monotonic, of the last output frame; 0: none this run */
    bool broken;     /* a send failed: the rest goes with the outcome, which will fail too */
} shipper;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* az_output_ship_fn: send the waiting lines when the last frame is old enough or enough of them wait. */
static bool ship_output(asyncz_run *run, size_t index, asyncz_time_t started, const struct az_output *pending,
                        void *userdata)
{
    (void)run;
    shipper *sh = userdata;
    int64_t now = mono_ns();
    if (sh->broken || (pending->bytes < AZ_OUTPUT_SHIP_BYTES && sh->last_ns != 0 &&
                       now - sh->last_ns < AZ_OUTPUT_SHIP_NSEC))
        return false;
    char *msg = NULL;
    size_t len = 0;
    if (az_run_output_encode(index, started, pending, &msg, &len) != 0 || len > AZ_FRAME_MAX) {
        free(msg);
        return false;
    }
    uint32_t n = (uint32_t)len | AZ_FRAME_OUTPUT;
    bool ok = write_all(sh->fd, &n, sizeof n) && write_all(sh->fd, msg, len);
    free(msg);
    sh->broken = !ok;
    sh->last_ns = now;
    return ok;
}

/* One run: read its frame, invoke it (its lines going out as it writes them), answer with the outcome's
 * frame. False when the pool is gone. */
static bool serve_one(asyncz_scheduler *s, int fd)
{
    uint32_t len;
    if (!read_all(fd, &len, sizeof len) || len > AZ_FRAME_MAX)
        return false;
    char *msg = malloc(len ? len : 1);
    if (!msg || !read_all(fd, msg, len)) {
        free(msg);
        return false;
    }
    char *out = NULL;
    size_t out_len = 0;
    shipper sh = {.fd = fd};
    if (az_run_invoke_streaming(s, msg, len, ship_output, &sh, &out, &out_len) != 0 || out_len > AZ_FRAME_MAX)
        out_len = 0;
    free(msg);
    /* Functions may print: their output must not wait in this process's buffers until it dies. */
    fflush(stdout);
    fflush(stderr);
    uint32_t n = (uint32_t)out_len;
    bool ok = write_all(fd, &n, sizeof n) && write_all(fd, out, out_len);
    free(out);
    return ok;
}

static _Noreturn void worker_main(asyncz_scheduler *s, int fd)
{
    while (serve_one(s, fd))
        ;
    _exit(0);
}

/* ---- the helper ---------------------------------------------------------------------------------- */

typedef struct zygote {
    asyncz_scheduler *scheduler;
    int ctl;
    int sigfd;
    sigset_t worker_mask; /* the signal mask workers get back */
    pid_t *kids;          /* live (unreaped) workers */
    size_t n_kids, cap_kids;
} zygote;

static _Noreturn void start_worker(zygote *z, int fd, int other, pid_t helper)
{
    close(z->ctl);
    close(z->sigfd);
    close(other);
    sigprocmask(SIG_SETMASK, &z->worker_mask, NULL);
    /* Die with the helper, which dies with the pool. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != helper)
        _exit(1);
    worker_main(z->scheduler, fd);
}

/* Room for one more worker, so that recording it after the fork cannot fail. */
static bool reserve_kid(zygote *z)
{
    if (z->n_kids < z->cap_kids)
        return true;
    size_t cap = z->cap_kids ? z->cap_kids * 2 : 16;
    pid_t *k = realloc(z->kids, cap * sizeof *k);
    if (!k)
        return false;
    z->kids = k;
    z->cap_kids = cap;
    return true;
}

/* Forget a reaped worker; false if it was not ours. */
static bool forget_kid(zygote *z, pid_t pid)
{
    for (size_t i = 0; i < z->n_kids; i++)
        if (z->kids[i] == pid) {
            z->kids[i] = z->kids[--z->n_kids];
            return true;
        }
    return false;
}

static void spawn(zygote *z, int32_t slot)
{
    az_zygote_msg m = {.kind = AZ_ZYGOTE_SPAWN_FAILED, .slot = slot, .value = ENOMEM};
    int sv[2];
    if (!reserve_kid(z) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        m.value = errno ? errno : ENOMEM;
        az_zygote_send(z->ctl, &m, -1, 0);
        return;
    }
    pid_t helper = getpid();
    pid_t pid = fork();
    if (pid == 0)
        start_worker(z, sv[1], sv[0], helper);
    if (pid > 0) {
        z->kids[z->n_kids++] = pid;
        m.kind = AZ_ZYGOTE_SPAWNED;
        m.pid = pid;
    } else {
        m.value = errno;
    }
    close(sv[1]);
    az_zygote_send(z->ctl, &m, pid > 0 ? sv[0] : -1, 0);
    close(sv[0]);
}

static void report_exit(zygote *z, pid_t pid, int status)
{
    if (!forget_kid(z, pid))
        return;
    az_zygote_msg m = {.kind = AZ_ZYGOTE_EXITED, .slot = -1, .pid = pid, .value = status};
    az_zygote_send(z->ctl, &m, -1, 0);
}

static void reap(zygote *z, int options)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, options)) > 0)
        report_exit(z, pid, status);
}

static _Noreturn void quit(zygote *z)
{
    for (size_t i = 0; i < z->n_kids; i++)
        kill(z->kids[i], SIGKILL);
    reap(z, 0);
    _exit(0);
}

static void kill_kid(zygote *z, pid_t pid, int sig)
{
    /* Only a child not yet reaped: its pid cannot have been reused. */
    for (size_t i = 0; i < z->n_kids; i++)
        if (z->kids[i] == pid && pid > 0)
            kill(pid, sig);
}

static void handle_request(zygote *z)
{
    az_zygote_msg m;
    int fd;
    int rc = az_zygote_recv(z->ctl, &m, &fd, 0);
    if (fd >= 0)
        close(fd);
    if (rc == 0 || (rc < 0 && rc != -EAGAIN && rc != -EPROTO))
        quit(z); /* the pool is gone */
    if (rc != 1)
        return;
    if (m.kind == AZ_ZYGOTE_SPAWN)
        spawn(z, m.slot);
    else if (m.kind == AZ_ZYGOTE_KILL)
        kill_kid(z, m.pid, m.value);
    else if (m.kind == AZ_ZYGOTE_QUIT)
        quit(z);
}

static void drain_sigfd(int fd)
{
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) > 0)
        ;
}

static _Noreturn void serve(zygote *z)
{
    for (;;) {
        struct pollfd pf[2] = {{.fd = z->ctl, .events = POLLIN}, {.fd = z->sigfd, .events = POLLIN}};
        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            quit(z);
        if (pf[1].revents) {
            drain_sigfd(z->sigfd);
            reap(z, WNOHANG);
        }
        if (pf[0].revents)
            handle_request(z);
    }
}

/* Close what the process had marked close-on-exec: the library's own descriptors (other pools' sockets,
 * the scheduler's eventfd...) so that they see end-of-file when their owner closes them, as after an exec.
 * Descriptors without the flag stay, for functions that use them. */
static void close_cloexec_fds(int keep)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int *fds = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        int flags = fd > 2 && fd != keep && fd != dirfd(d) ? fcntl(fd, F_GETFD) : -1;
        if (flags < 0 || !(flags & FD_CLOEXEC))
            continue;
        if (n == cap) {
            int *grown = realloc(fds, (cap = cap ? cap * 2 : 32) * sizeof *grown);
            if (!grown)
                break;
            fds = grown;
        }
        fds[n++] = fd;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
}

/* Reset every caught signal to its default action, as an exec would: the parent's handlers (a test
 * framework's, a sanitizer's) belong to the parent, and a worker that crashes must die of its signal. */
static void reset_signal_handlers(void)
{
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) != 0)
            continue;
        bool caught = (sa.sa_flags & SA_SIGINFO) ? sa.sa_sigaction != NULL
                                                 : sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
        if (caught || sig == SIGCHLD)
            signal(sig, SIG_DFL);
    }
}

/* The helper learns that the pool's process died from end-of-file on the control socket, not from
 * PR_SET_PDEATHSIG: that signal follows the thread that forked, which may be an application thread that
 * ends long before the process does. The workers' parent is the single-threaded helper, so they use it. */
static _Noreturn void zygote_main(asyncz_scheduler *s, int ctl)
{
    zygote z = {.scheduler = s, .ctl = ctl};
    /* The scheduler starts its executors under its own lock, and workers look functions up under it. */
    az_scheduler_after_fork(s);
    az_log_after_fork(); /* another thread of the parent may have been logging at the fork */
    /* Out of the terminal's process group: Ctrl-C is for the application, which decides what to stop. */
    setpgid(0, 0);
    close_cloexec_fds(ctl);
    /* Whatever the parent had buffered is the parent's to write, not every worker's. */
    __fpurge(stdout);
    __fpurge(stderr);
    reset_signal_handlers();
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &z.worker_mask);
    z.sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (z.sigfd < 0)
        _exit(1);
    serve(&z);
}

int az_zygote_fork(asyncz_scheduler *s, pid_t *pid, int *ctl)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return ASYNCZ_EIO;
    pid_t child = fork();
    if (child < 0) {
        close(sv[0]);
        close(sv[1]);
        return ASYNCZ_EIO;
    }
    if (child == 0) {
        close(sv[0]);
        zygote_main(s, sv[1]);
    }
    close(sv[1]);
    *pid = child;
    *ctl = sv[0];
    return 0;
}
