/* The `http` suite's load generator (bench_http.h): wrk (Debian package wrk; $ASYNCZ_BENCH_WRK names another)
 * run as a child process with --latency, and what it prints parsed:
 *
 *     Thread Stats   Avg      Stdev     Max   +/- Stdev
 *       Latency   635.91us    0.89ms  12.92ms   93.69%
 *     Latency Distribution
 *        50%  250.00us
 *        ...
 *        99%    5.00ms
 *     1117557 requests in 10.01s, 123.45MB read
 *     Socket errors: connect 0, read 0, write 0, timeout 0
 *     Non-2xx or 3xx responses: 12
 *     Requests/sec: 111700.12 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_http.h"

extern char **environ;

/* A duration as wrk prints it ("250.00us", "0.88ms", "1.20s", "2.00m") in µs; -1 when not one. */
static double duration_us(const char *text)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text)
        return -1;
    if (strncmp(end, "us", 2) == 0)
        return v;
    if (strncmp(end, "ms", 2) == 0)
        return v * 1e3;
    if (strncmp(end, "s", 1) == 0)
        return v * 1e6;
    if (strncmp(end, "m", 1) == 0)
        return v * 60e6;
    if (strncmp(end, "h", 1) == 0)
        return v * 3600e6;
    return -1;
}

static int parse_line(const char *line, bh_wrk_result *r)
{
    const char *p = line + strspn(line, " \t");
    char a[32], b[32], c[32];
    unsigned long long n1, n2, n3, n4;
    if (sscanf(p, "Latency %31s %31s %31s", a, b, c) == 3 && strncmp(p, "Latency D", 9) != 0)
        r->max_us = duration_us(c);
    else if (sscanf(p, "50%% %31s", a) == 1)
        r->p50_us = duration_us(a);
    else if (sscanf(p, "75%% %31s", a) == 1)
        r->p75_us = duration_us(a);
    else if (sscanf(p, "90%% %31s", a) == 1)
        r->p90_us = duration_us(a);
    else if (sscanf(p, "99%% %31s", a) == 1)
        r->p99_us = duration_us(a);
    else if (sscanf(p, "%llu requests in", &n1) == 1)
        r->requests = n1;
    else if (sscanf(p, "Socket errors: connect %llu, read %llu, write %llu, timeout %llu", &n1, &n2, &n3,
                    &n4) == 4)
        r->socket_errors = n1 + n2 + n3 + n4;
    else if (sscanf(p, "Non-2xx or 3xx responses: %llu", &n1) == 1)
        r->bad_status = n1;
    else if (sscanf(p, "Requests/sec: %lf", &r->requests_per_sec) == 1)
        return 1;
    return 0;
}

int bh_wrk(const char *url, const char *token, int threads, int connections, int seconds, bh_wrk_result *out)
{
    const char *wrk = getenv("ASYNCZ_BENCH_WRK");
    wrk = wrk && *wrk ? wrk : "wrk";
    char t[16], c[16], d[16], auth[512];
    snprintf(t, sizeof t, "%d", threads);
    snprintf(c, sizeof c, "%d", connections);
    snprintf(d, sizeof d, "%ds", seconds);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    /* --timeout: a slow answer is measured, not counted as an error (wrk's default gives up after 2 s) */
    char *argv[] = {(char *)wrk, "-t",        t,     "-c", c,    "-d",        d,
                    "--latency", "--timeout", "30s", "-H", auth, (char *)url, NULL};
    if (!token) {
        argv[10] = (char *)url;
        argv[11] = NULL;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, wrk, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        fprintf(stderr, "asyncz-bench http: cannot run %s: %s (Debian: apt-get install wrk)\n", wrk,
                strerror(rc));
        return -1;
    }
    *out = (bh_wrk_result){.p50_us = -1, .p99_us = -1};
    FILE *f = fdopen(fds[0], "r");
    char line[512];
    int done = 0;
    while (f && fgets(line, sizeof line, f))
        done |= parse_line(line, out);
    if (f)
        fclose(f);
    else
        close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !done || out->p99_us < 0) {
        fprintf(stderr, "asyncz-bench http: %s on %s failed or printed what this program does not read\n",
                wrk, url);
        return -1;
    }
    return 0;
}
