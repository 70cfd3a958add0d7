/* asyncz-bench: measures asyncz. `asyncz-bench SUITE [--json] [--repeats N] [--seconds S] [--filter TEXT]`.
 * Figures are medians of several measurements; these machines are shared and noisy. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asyncz.h"
#include "bench.h"

typedef struct suite {
    const char *name;
    const char *what;
    int (*run)(const bench_ctx *ctx);
} suite;

static const suite suites[] = {
    {"triggers", "next() chained from each fire time, and parse cost, in UTC and Europe/Berlin",
     bench_triggers},
    {"ids", "task ids and run ids from the buffered random source (target: <= 50 ns per id)", bench_ids},
    {"history",
     "run history on the memory store: batched writes, upserts, last 50 of a task, failed of a day, "
     "prune",
     bench_history},
    {"history-stores",
     "run history of the persistent stores (ASYNCZ_BENCH_STORES URLs): batched writes, last 50 of a task, "
     "failed of a day, prune calls; ASYNCZ_BENCH_HISTORY_RUNS records (default 100,000)",
     bench_history_stores},
    {"memstore", "the memory store with 1,000,000 tasks: add, make+add, bytes per task, pop due, lookup",
     bench_memstore},
    {"dispatch", "1,000,000 due no-op tasks through the core: runs/s on the loop executor and a thread pool",
     bench_dispatch},
    {"latency", "10,000 interval tasks at 1 s with spread phases for 20 s: lateness p50, p99, max",
     bench_latency},
    {"stores",
     "persistent stores (ASYNCZ_BENCH_STORES URLs): add (single and batched), update, due, claim+release, "
     "claim at 10,000 tasks; start-up at "
     "100,000",
     bench_stores},
    {"cli",
     "the asyncz tool on a SQLite store of 100,000 tasks: list --json, list (table), status; wall time "
     "per command",
     bench_cli},
    {"http",
     "the daemon's HTTP API as a user runs it (wrk and clients of its own): status requests/s, pages of "
     "100,000 "
     "tasks and 1,000,000 runs, 100 event streams, lateness of 10,000 tasks a second under 5,000 requests/s",
     bench_http},
};

#define N_SUITES (sizeof suites / sizeof suites[0])

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool bench_selected(const bench_ctx *ctx, const char *case_name)
{
    return !ctx->filter || strstr(case_name, ctx->filter);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Grow the iteration count until one measurement lasts about ctx->seconds. */
static uint64_t calibrate(const bench_ctx *ctx, bench_body body, void *state)
{
    uint64_t n = 16;
    for (;;) {
        uint64_t t0 = bench_now_ns();
        uint64_t done = body(state, n);
        uint64_t dt = bench_now_ns() - t0;
        if (done < n)
            return done ? done : 1;
        if (dt >= ctx->seconds * 1e9 / 4 || n >= (UINT64_C(1) << 40))
            return (uint64_t)((double)n * (ctx->seconds * 1e9) / (double)(dt ? dt : 1)) + 1;
        n *= 4;
    }
}

double bench_report(const bench_ctx *ctx, const char *suite_name, const char *case_name, double *samples,
                    int n, uint64_t iterations, const char *extra)
{
    qsort(samples, (size_t)n, sizeof samples[0], compare_double);
    double median = samples[n / 2], lo = samples[0], hi = samples[n - 1];
    if (ctx->json)
        printf("{\"suite\":\"%s\",\"case\":\"%s\",\"ns_per_op\":%.1f,\"ns_per_op_min\":%.1f,"
               "\"ns_per_op_max\":%.1f,\"iterations\":%llu,\"repeats\":%d%s}\n",
               suite_name, case_name, median, lo, hi, (unsigned long long)iterations, n, extra ? extra : "");
    else
        printf("%-10s %-32s %10.1f ns/op  (min %.1f, max %.1f, %d x %llu)%s%s\n", suite_name, case_name,
               median, lo, hi, n, (unsigned long long)iterations, extra ? "  " : "", extra ? extra + 1 : "");
    fflush(stdout);
    return median;
}

double bench_run(const bench_ctx *ctx, const char *suite_name, const char *case_name, bench_body body,
                 void *state)
{
    uint64_t n = calibrate(ctx, body, state);
    double samples[64];
    int repeats = ctx->repeats < 64 ? ctx->repeats : 64;
    for (int i = 0; i < repeats; i++) {
        uint64_t t0 = bench_now_ns();
        uint64_t done = body(state, n);
        uint64_t dt = bench_now_ns() - t0;
        samples[i] = (double)dt / (double)(done ? done : 1);
    }
    return bench_report(ctx, suite_name, case_name, samples, repeats, n, NULL);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: asyncz-bench SUITE [--json] [--repeats N] [--seconds S] [--filter TEXT]\n\n"
                 "Suites:\n");
    for (size_t i = 0; i < N_SUITES; i++)
        fprintf(out, "  %-10s %s\n", suites[i].name, suites[i].what);
    fprintf(out, "  all        every suite\n\n"
                 "Each case reports the median of --repeats measurements (default 5) of about --seconds\n"
                 "each (default 0.2). --json prints one object per line with suite, case and ns_per_op.\n");
}

static int parse_args(int argc, char **argv, bench_ctx *ctx, const char **suite_name)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},          {"repeats", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'}, {"filter", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "jr:s:f:h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'j':
            ctx->json = true;
            break;
        case 'r':
            ctx->repeats = (int)strtol(optarg, &end, 10);
            if (*end || ctx->repeats < 1 || ctx->repeats > 64) {
                fprintf(stderr, "asyncz-bench: --repeats '%s': expected a whole number 1..64\n", optarg);
                return 2;
            }
            break;
        case 's':
            ctx->seconds = strtod(optarg, &end);
            if (*end || !(ctx->seconds > 0 && ctx->seconds <= 60)) {
                fprintf(stderr, "asyncz-bench: --seconds '%s': expected a number of seconds in (0, 60]\n",
                        optarg);
                return 2;
            }
            break;
        case 'f':
            ctx->filter = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    *suite_name = argv[optind];
    return 0;
}

int main(int argc, char **argv)
{
    bench_ctx ctx = {.json = false, .repeats = 5, .seconds = 0.2, .filter = NULL};
    const char *name = NULL;
    int rc = parse_args(argc, argv, &ctx, &name);
    if (rc)
        return rc;
    bool all = strcmp(name, "all") == 0, found = all;
    for (size_t i = 0; i < N_SUITES; i++) {
        if (!all && strcmp(name, suites[i].name) != 0)
            continue;
        found = true;
        if (suites[i].run(&ctx) != 0)
            return 1;
    }
    if (!found) {
        fprintf(stderr, "asyncz-bench: unknown suite '%s'\n", name);
        usage(stderr);
        return 2;
    }
    return 0;
}
