/* asyncz-bench: shared helpers. A suite measures cases and reports each through bench_report(). */
#ifndef AZ_BENCH_H
#define AZ_BENCH_H

#include <stdbool.h>
#include <stdint.h>

typedef struct bench_ctx {
    bool json;          /* one JSON object per line instead of a table */
    int repeats;        /* measurements per case; the median is reported */
    double seconds;     /* target duration of one measurement */
    const char *filter; /* only cases whose name contains this (NULL: all) */
} bench_ctx;

/* A measured body: perform `iterations` operations and return how many were really done. */
typedef uint64_t (*bench_body)(void *state, uint64_t iterations);

/* Calibrate the iteration count to ctx->seconds, measure ctx->repeats times, and report the median
 * nanoseconds per operation for suite/case_name. Returns the median. */
double bench_run(const bench_ctx *ctx, const char *suite, const char *case_name, bench_body body,
                 void *state);

/* Report measured samples (ns per operation; sorted in place) as bench_run does: the median, with the
 * minimum and maximum. extra (may be NULL) is appended to the JSON object, e.g. ",\"bytes_per_task\":301.5",
 * and to the table line. Returns the median. */
double bench_report(const bench_ctx *ctx, const char *suite, const char *case_name, double *samples, int n,
                    uint64_t iterations, const char *extra);

/* Whether a case passes the filter. */
bool bench_selected(const bench_ctx *ctx, const char *case_name);

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

int bench_triggers(const bench_ctx *ctx);
int bench_memstore(const bench_ctx *ctx);
int bench_history_stores(const bench_ctx *ctx);
int bench_dispatch(const bench_ctx *ctx);
int bench_latency(const bench_ctx *ctx);
int bench_stores(const bench_ctx *ctx);
int bench_cli(const bench_ctx *ctx);
int bench_ids(const bench_ctx *ctx);
int bench_history(const bench_ctx *ctx);
int bench_dispatch_history(const bench_ctx *ctx);
int bench_http(const bench_ctx *ctx);

#endif
