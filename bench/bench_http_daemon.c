/* The `http` suite's daemon (bench_http.h): the asyncz tool found as the `cli` suite finds it, an API token
 * made with `asyncz auth token`, and `asyncz start --config` run as a child process, waited for through its
 * [http] port_file and /healthz, and stopped with SIGTERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_http.h"

extern char **environ;

static void self_dir(char *buf, size_t size)
{
    char self[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    snprintf(buf, size, "%s", dirname(self));
}

void bh_tool_path(char *buf, size_t size)
{
    const char *env = getenv("ASYNCZ_BENCH_CLI");
    char dir[PATH_MAX];
    self_dir(dir, sizeof dir);
    if (env && env[0])
        snprintf(buf, size, "%s", env);
    else
        snprintf(buf, size, "%s/asyncz", dir);
}

int bh_plugin_path(char *buf, size_t size)
{
    const char *env = getenv("ASYNCZ_BENCH_PLUGIN");
    char dir[PATH_MAX];
    self_dir(dir, sizeof dir);
    if (env && env[0])
        snprintf(buf, size, "%s", env);
    else
        snprintf(buf, size, "%s/examples/plugin/libasyncz-greet.so", dir);
    return access(buf, R_OK) == 0 ? 0 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int bh_make_token(const char *tool, const char *tokens_file, const char *name, char *token, size_t size)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    char *argv[] = {(char *)tool,        "auth", "token", (char *)name, "--role", "viewer", "--file",
                    (char *)tokens_file, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        fprintf(stderr, "asyncz-bench http: cannot run %s: %s\n", tool, strerror(rc));
        return -1;
    }
    size_t len = 0;
    ssize_t n;
    while (len + 1 < size && (n = read(fds[0], token + len, size - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    close(fds[0]);
    token[len] = '\0';
    token[strcspn(token, "\r\n")] = '\0';
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !token[0]) {
        fprintf(stderr, "asyncz-bench http: %s auth token %s --file %s failed\n", tool, name, tokens_file);
        return -1;
    }
    return 0;
}

static unsigned read_port(const char *port_file)
{
    FILE *f = fopen(port_file, "r");
    unsigned port = 0;
    if (f) {
        if (fscanf(f, "%u", &port) != 1)
            port = 0;
        fclose(f);
    }
    return port < 65536 ? port : 0;
}

/* Whether the daemon has exited (reaped then). */
static bool exited(bh_daemon *d)
{
    int status;
    if (d->pid > 0 && waitpid(d->pid, &status, WNOHANG) == d->pid) {
        d->pid = 0;
        return true;
    }
    return d->pid <= 0;
}

int bh_daemon_start(bh_daemon *d, const char *tool, const char *config, const char *port_file,
                    const char *log)
{
    *d = (bh_daemon){0};
    snprintf(d->log, sizeof d->log, "%s", log);
    unlink(port_file);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    char *argv[] = {(char *)tool, "start", "--config", (char *)config, NULL};
    int rc = posix_spawn(&d->pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "asyncz-bench http: cannot run %s: %s\n", tool, strerror(rc));
        d->pid = 0;
        return -1;
    }
    for (int waited = 0; waited < 60000; waited += 20) {
        if (exited(d)) {
            fprintf(stderr, "asyncz-bench http: the daemon (%s) stopped while starting; its log:\n", config);
            bh_daemon_log_tail(d);
            return -1;
        }
        if ((d->port = read_port(port_file)) != 0)
            break;
        sleep_ms(20);
    }
    for (int tries = 0; d->port && tries < 500; tries++) {
        bh_answer a;
        if (bh_get_once(d->port, "/healthz", NULL, &a) == 0 && a.status == 200) {
            bh_answer_clear(&a);
            return 0;
        }
        bh_answer_clear(&a);
        sleep_ms(20);
    }
    fprintf(stderr, "asyncz-bench http: the daemon (%s) did not answer /healthz in time; its log:\n", config);
    bh_daemon_log_tail(d);
    bh_daemon_stop(d);
    return -1;
}

int bh_daemon_stop(bh_daemon *d)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, SIGTERM);
    int status = 0;
    for (int waited = 0;; waited += 20) {
        pid_t r = waitpid(d->pid, &status, WNOHANG);
        if (r == d->pid)
            break;
        if (r < 0) {
            d->pid = 0;
            return -1;
        }
        if (waited == 60000)
            kill(d->pid, SIGKILL);
        sleep_ms(20);
    }
    d->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void bh_daemon_log_tail(const bh_daemon *d)
{
    FILE *f = fopen(d->log, "r");
    if (!f)
        return;
    char lines[20][512];
    int n = 0;
    while (fgets(lines[n % 20], sizeof lines[0], f))
        n++;
    fclose(f);
    for (int i = n > 20 ? n - 20 : 0; i < n; i++)
        fprintf(stderr, "  %s", lines[i % 20]);
}
