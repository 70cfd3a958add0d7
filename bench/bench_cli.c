/* The `cli` suite: the asyncz tool's commands on a store of 100,000 tasks, each run as its own process
 * (as a user runs it) with stdout to /dev/null; the figure is the wall time of one command. The tool is
 * $ASYNCZ_BENCH_CLI, else the `asyncz` next to this program. Cases:
 *   list_json_sqlite_100k   asyncz list --json
 *   list_table_sqlite_100k  asyncz list (the aligned table)
 *   status_sqlite_100k      asyncz status (reads every task, prints a summary: the cost of reading alone) */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asyncz.h"
#include "bench.h"

#define N_TASKS 100000
#define BATCH 10000

extern char **environ;

static int load(asyncz_store *st, asyncz_trigger *trig, asyncz_time_t next)
{
    asyncz_task **tasks = calloc(BATCH, sizeof *tasks);
    int rc = tasks ? 0 : ASYNCZ_ENOMEM;
    for (size_t from = 0; rc == 0 && from < N_TASKS; from += BATCH) {
        for (size_t i = 0; rc == 0 && i < BATCH; i++) {
            char id[32], args[64];
            snprintf(id, sizeof id, "t%07zu", from + i);
            snprintf(args, sizeof args, "[\"echo task %zu\"]", from + i);
            rc = asyncz_task_new(&tasks[i], "asyncz.shell");
            rc = rc ? rc : asyncz_task_set_id(tasks[i], id);
            rc = rc ? rc : asyncz_task_set_args_json(tasks[i], args);
            rc = rc ? rc : asyncz_task_set_trigger(tasks[i], trig);
            rc = rc ? rc
                    : asyncz_task_set_next_run_time(tasks[i],
                                                    next + (asyncz_time_t)(i % 60) * ASYNCZ_USEC_PER_MIN);
        }
        if (rc == 0)
            rc = asyncz_store_add_tasks(st, tasks, BATCH);
        for (size_t i = 0; i < BATCH; i++) {
            asyncz_task_free(tasks[i]);
            tasks[i] = NULL;
        }
    }
    free(tasks);
    return rc;
}

static int fill_store(const char *url)
{
    asyncz_store *st = NULL;
    asyncz_trigger *trig = NULL;
    int rc = asyncz_store_open(&st, url);
    rc = rc ? rc : asyncz_store_connect(st);
    rc = rc ? rc : asyncz_trigger_crontab_new(&trig, "0 * * * *", NULL, NULL);
    asyncz_time_t next = 0;
    if (rc == 0)
        asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, asyncz_now(), &next);
    rc = rc ? rc : load(st, trig, next);
    if (rc)
        fprintf(stderr, "asyncz-bench cli: cannot fill %s: %s\n", url, asyncz_store_errmsg());
    asyncz_trigger_unref(trig);
    asyncz_store_free(st);
    return rc;
}

static void tool_path(char *buf, size_t size)
{
    const char *env = getenv("ASYNCZ_BENCH_CLI");
    char self[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    if (env && env[0])
        snprintf(buf, size, "%s", env);
    else
        snprintf(buf, size, "%s/asyncz", dirname(self));
}

/* Run the tool once with stdout and stderr to /dev/null; returns the wall time in ns, or 0 on failure. */
static double run_once(char *const *argv)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    uint64_t t0 = bench_now_ns();
    pid_t pid;
    int status = -1;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0)
        waitpid(pid, &status, 0);
    uint64_t dt = bench_now_ns() - t0;
    posix_spawn_file_actions_destroy(&fa);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? (double)dt : 0;
}

static int measure(const bench_ctx *ctx, const char *case_name, char *const *argv)
{
    if (!bench_selected(ctx, case_name))
        return 0;
    double samples[64];
    int n = ctx->repeats < 64 ? ctx->repeats : 64;
    for (int i = 0; i < n; i++)
        if ((samples[i] = run_once(argv)) == 0) {
            fprintf(stderr, "asyncz-bench cli: %s %s failed\n", argv[0], argv[1]);
            return 1;
        }
    bench_report(ctx, "cli", case_name, samples, n, 1, ",\"tasks\":100000");
    return 0;
}

int bench_cli(const bench_ctx *ctx)
{
    char dir[] = "/tmp/asyncz-bench-cli-XXXXXX", url[PATH_MAX + 16], tool[PATH_MAX], db[PATH_MAX];
    if (!mkdtemp(dir))
        return 1;
    snprintf(db, sizeof db, "%s/tasks.db", dir);
    snprintf(url, sizeof url, "sqlite:///%s", db);
    tool_path(tool, sizeof tool);
    int rc = fill_store(url);
    char *list_json[] = {tool, "list", "--json", "--store", url, NULL};
    char *list_table[] = {tool, "list", "--store", url, NULL};
    char *status[] = {tool, "status", "--store", url, NULL};
    rc = rc ? rc : measure(ctx, "list_json_sqlite_100k", list_json);
    rc = rc ? rc : measure(ctx, "list_table_sqlite_100k", list_table);
    rc = rc ? rc : measure(ctx, "status_sqlite_100k", status);
    unlink(db);
    rmdir(dir);
    return rc;
}
