/* Running one shell command line (shell_job.h): /bin/sh -c in its own process group, each line it prints
 * logged with its tag (stdout at info, stderr at warning), a timeout, and a watchdog.
 *
 * A command's processes must not outlive the run when the caller is killed (a process pool's timeout, the
 * daemon stopping without waiting): a small watchdog process holds the read end of a "lifeline" pipe whose
 * write end only the caller holds. The caller writes one byte when the command is done; end-of-file without
 * that byte means the caller died, and the watchdog then stops the command's process group.
 *
 * Both children are forked from a caller that may be threaded (the daemon's hook threads): up to exec (or
 * _exit) they only make async-signal-safe calls, and everything they need (the environment) is built
 * before the fork. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asyncz.h"
#include "shell_job.h"

#define LINE_MAX_BYTES 4096
/* After the shell exits, what is left in the pipes is read for this long: a process the command left in
 * the background may keep them open for ever. */
#define DRAIN_AFTER_EXIT_MS 1000

typedef struct line_buf {
    char data[LINE_MAX_BYTES + 1];
    size_t len;
} line_buf;

typedef struct job {
    const az_shell_job_spec *spec;
    pid_t pid; /* the shell, leader of the job's process group */
    pid_t watchdog;
    int fd[2];    /* read ends of stdout and stderr; -1 once closed */
    int lifeline; /* write end, to the watchdog */
    line_buf buf[2];
    bool exited;
    int status;
    bool timed_out;
    bool stopped;
} job;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the child processes ------------------------------------------------------------------------------ */

/* Close every descriptor from `from` up: the daemon's (log file, stores' sockets) are not the command's. */
static void close_from(unsigned from)
{
    if (close_range(from, ~0u, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = from; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
        close((int)fd);
}

/* A command starts as from a login shell: default signal actions and nothing blocked (the daemon blocks
 * SIGTERM, SIGINT and SIGHUP and ignores SIGPIPE; both would be inherited through exec). */
static void reset_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static _Noreturn void exec_shell(const az_shell_job_spec *spec, int out, int err)
{
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    close_from(3);
    reset_signals();
    char *const argv[] = {"sh", "-c", (char *)spec->line, NULL};
    execve("/bin/sh", argv, spec->envp);
    _exit(127);
}

static _Noreturn void watch(pid_t group, int lifeline)
{
    if (dup2(lifeline, 0) < 0)
        _exit(1);
    close_from(3);
    char c;
    ssize_t n;
    do
        n = read(0, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n <= 0) { /* the worker died with the command running */
        kill(-group, SIGTERM);
        sleep(AZ_SHELL_KILL_GRACE_SEC);
        kill(-group, SIGKILL);
    }
    _exit(0);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int start_watchdog(job *j)
{
    int life[2];
    if (pipe2(life, O_CLOEXEC) != 0)
        return -errno;
    pid_t pid = fork();
    if (pid == 0)
        watch(j->pid, life[0]);
    int saved = errno;
    close(life[0]);
    if (pid < 0) {
        close(life[1]);
        return -saved;
    }
    j->watchdog = pid;
    j->lifeline = life[1];
    return 0;
}

/* Start the shell and its watchdog. Returns 0 or a negative errno. */
static int start_job(job *j)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        int saved = errno;
        close_fd(&out[0]);
        close_fd(&out[1]);
        return -saved;
    }
    fflush(NULL); /* nothing buffered may be written twice */
    j->pid = fork();
    if (j->pid == 0)
        exec_shell(j->spec, out[1], err[1]);
    int saved = errno;
    close(out[1]);
    close(err[1]);
    j->fd[0] = out[0];
    j->fd[1] = err[0];
    if (j->pid < 0) {
        close_fd(&j->fd[0]);
        close_fd(&j->fd[1]);
        return -saved;
    }
    setpgid(j->pid, j->pid); /* also here: a kill(-pid) must not miss a child that has not run yet */
    int rc = start_watchdog(j);
    if (rc)
        asyncz_log(ASYNCZ_LOG_WARNING, j->spec->logger, "[%s] no watchdog for the command: %s", j->spec->tag,
                   strerror(-rc));
    return 0;
}

/* ---- output ---------------------------------------------------------------------------------------------
 */

/* Whether the bytes at p (n left) are a control character: C0 but tab, DEL, or C1 in UTF-8 (U+0080..U+009F,
 * which some terminals take as escape sequences). Returns its length in bytes, or 0. */
static size_t control_at(const unsigned char *p, size_t n)
{
    if ((p[0] < 0x20 && p[0] != '\t') || p[0] == 0x7f)
        return 1;
    if (n >= 2 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        return 2;
    return 0;
}

/* A line as it is logged: control bytes written as \xNN, so that a command can neither forge log lines
 * (a carriage return, a NUL cutting the line) nor send escape sequences to whoever reads the log on a
 * terminal. out has room for 4 bytes per byte of text, plus one. */
static void escape_controls(const char *text, size_t len, char *out)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t c = control_at(p + i, len - i);
        if (c == 0) {
            out[o++] = (char)p[i++];
            continue;
        }
        for (; c > 0; c--, i++)
            o += (size_t)snprintf(out + o, 5, "\\x%02x", p[i]);
    }
    out[o] = '\0';
}

static void emit(const job *j, int which, const char *text, size_t len)
{
    char escaped[4 * LINE_MAX_BYTES + 1];
    if (len > 0 && text[len - 1] == '\r')
        len--;
    if (j->spec->on_line) {
        char line[LINE_MAX_BYTES + 1];
        memcpy(line, text, len);
        line[len] = '\0';
        j->spec->on_line(j->spec->line_data, which, line);
    }
    escape_controls(text, len, escaped);
    asyncz_log(which == 0 ? ASYNCZ_LOG_INFO : ASYNCZ_LOG_WARNING, j->spec->logger, "[%s] %s", j->spec->tag,
               escaped);
}

/* Log every complete line of a buffer; a line longer than the buffer is logged in pieces. */
static void emit_lines(job *j, int which, bool at_end)
{
    line_buf *b = &j->buf[which];
    size_t start = 0;
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] == '\n') {
            emit(j, which, b->data + start, i - start);
            start = i + 1;
        }
    if ((at_end || (start == 0 && b->len == LINE_MAX_BYTES)) && start < b->len) {
        emit(j, which, b->data + start, b->len - start);
        start = b->len;
    }
    memmove(b->data, b->data + start, b->len - start);
    b->len -= start;
}

static void read_output(job *j, int which)
{
    line_buf *b = &j->buf[which];
    ssize_t n;
    do
        n = read(j->fd[which], b->data + b->len, LINE_MAX_BYTES - b->len);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        b->len += (size_t)n;
        emit_lines(j, which, false);
        return;
    }
    emit_lines(j, which, true);
    close_fd(&j->fd[which]);
}

/* ---- supervising ------------------------------------------------------------------------------------------
 */

typedef struct clock_plan {
    int64_t deadline;  /* timeout: SIGTERM at this time (0: none) */
    int64_t kill_at;   /* SIGKILL at this time (0: not yet planned) */
    int64_t drain_end; /* after the shell exited: stop reading at this time */
} clock_plan;

static int poll_timeout(const job *j, const clock_plan *c, int64_t now)
{
    int64_t next = INT64_MAX;
    if (c->deadline && !j->timed_out)
        next = c->deadline;
    if (c->kill_at && c->kill_at < next)
        next = c->kill_at;
    if (c->drain_end && c->drain_end < next)
        next = c->drain_end;
    int64_t wait = next == INT64_MAX ? 200 : next - now;
    /* The shell's exit is looked for between polls, so they stay short; shortest once its output is closed,
     * when the exit is all there is left to wait for. */
    int64_t tick = j->fd[0] < 0 && j->fd[1] < 0 ? 10 : 200;
    return (int)(wait < 0 ? 0 : wait > tick ? tick : wait);
}

static void reap(job *j)
{
    if (j->exited)
        return;
    pid_t r;
    do
        r = waitpid(j->pid, &j->status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == j->pid || (r < 0 && errno == ECHILD))
        j->exited = true;
}

/* The timeout, or a stop asked for by another thread: SIGTERM to the group, SIGKILL after the grace. */
static void enforce_timeout(job *j, clock_plan *c, int64_t now)
{
    bool stop = j->spec->stop && atomic_load(j->spec->stop) && !j->stopped && !j->timed_out;
    if (stop && !j->exited) {
        j->stopped = true;
        kill(-j->pid, SIGTERM);
        c->kill_at = now + AZ_SHELL_KILL_GRACE_SEC * 1000;
    }
    if (c->deadline && !j->timed_out && !j->stopped && now >= c->deadline && !j->exited) {
        j->timed_out = true;
        kill(-j->pid, SIGTERM);
        c->kill_at = now + AZ_SHELL_KILL_GRACE_SEC * 1000;
    }
    if (c->kill_at && now >= c->kill_at) {
        kill(-j->pid, SIGKILL);
        c->kill_at = 0;
    }
}

static void supervise(job *j, int64_t timeout_ms)
{
    clock_plan c = {.deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0};
    while (!j->exited || j->fd[0] >= 0 || j->fd[1] >= 0) {
        int64_t now = mono_ms();
        struct pollfd pf[2] = {{.fd = j->fd[0], .events = POLLIN}, {.fd = j->fd[1], .events = POLLIN}};
        if (poll(pf, 2, poll_timeout(j, &c, now)) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++)
            if (pf[i].revents && j->fd[i] >= 0)
                read_output(j, i);
        reap(j);
        now = mono_ms();
        enforce_timeout(j, &c, now);
        if (j->exited && !c.drain_end)
            c.drain_end = now + DRAIN_AFTER_EXIT_MS;
        if (c.drain_end && now >= c.drain_end)
            for (int i = 0; i < 2; i++)
                if (j->fd[i] >= 0) {
                    emit_lines(j, i, true);
                    close_fd(&j->fd[i]);
                }
    }
}

static void stop_watchdog(job *j)
{
    if (j->lifeline < 0)
        return;
    ssize_t n;
    do
        n = write(j->lifeline, "x", 1);
    while (n < 0 && errno == EINTR);
    close_fd(&j->lifeline);
    while (waitpid(j->watchdog, NULL, 0) < 0 && errno == EINTR)
        ;
}

int az_shell_job_run(const az_shell_job_spec *spec, az_shell_job_result *out)
{
    job j = {.spec = spec, .fd = {-1, -1}, .lifeline = -1};
    int rc = start_job(&j);
    if (rc)
        return rc;
    supervise(&j, spec->timeout_ms);
    stop_watchdog(&j);
    *out = (az_shell_job_result){.status = j.status, .timed_out = j.timed_out, .stopped = j.stopped};
    return 0;
}
