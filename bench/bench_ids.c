/* The `ids` suite: the ids every task and every run needs, from the buffered random source (src/util/ids.c).
 *
 *   task_id             asyncz_task_id_generate: a UUIDv4 as 32 hex digits
 *   run_id              a run id: a UUIDv7 of the wall clock's millisecond, 36 characters
 *   random_16           16 bytes from the buffered source alone
 *
 * Target (issue 14): <= 50 ns per id. */
#include <stdint.h>

#include "asyncz.h"
#include "bench.h"
#include "util/ids.h"

static uint64_t task_id_body(void *p, uint64_t iterations)
{
    (void)p;
    char id[33];
    for (uint64_t i = 0; i < iterations; i++)
        if (asyncz_task_id_generate(id, sizeof id) < 0)
            return i;
    return iterations;
}

static uint64_t run_id_body(void *p, uint64_t iterations)
{
    (void)p;
    char id[AZ_RUN_ID_SIZE];
    for (uint64_t i = 0; i < iterations; i++)
        if (az_run_id_generate(id) != 0)
            return i;
    return iterations;
}

static uint64_t random_body(void *p, uint64_t iterations)
{
    (void)p;
    uint8_t b[16];
    for (uint64_t i = 0; i < iterations; i++)
        if (az_random_bytes(b, sizeof b) != 0)
            return i;
    return iterations;
}

int bench_ids(const bench_ctx *ctx)
{
    if (bench_selected(ctx, "task_id"))
        bench_run(ctx, "ids", "task_id", task_id_body, NULL);
    if (bench_selected(ctx, "run_id"))
        bench_run(ctx, "ids", "run_id", run_id_body, NULL);
    if (bench_selected(ctx, "random_16"))
        bench_run(ctx, "ids", "random_16", random_body, NULL);
    return 0;
}
