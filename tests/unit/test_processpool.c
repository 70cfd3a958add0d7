/* The process pool executor, driven directly with runs made by az_run_new. */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "az_exec_test.h"
#include "exec/zygote.h"

static int fn_mul(asyncz_run *run, void *userdata)
{
    int64_t a = 0, b = 0;
    if (asyncz_run_arg_int(run, 0, &a) || asyncz_run_arg_int(run, 1, &b))
        return ASYNCZ_EINVAL;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)(a * b));
    return asyncz_run_set_result(run, buf);
}

static int fn_pid(asyncz_run *run, void *userdata)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)getpid());
    return asyncz_run_set_result(run, buf);
}

static int fn_segv(asyncz_run *run, void *userdata)
{
    raise(SIGSEGV);
    return ASYNCZ_RUN_DONE;
}

static int fn_exit3(asyncz_run *run, void *userdata)
{
    _exit(3);
}

/* Tells the test its pid through the pipe given as userdata, then hangs. */
static int fn_hang(asyncz_run *run, void *userdata)
{
    int fd = *(int *)userdata;
    int pid = (int)getpid();
    if (write(fd, &pid, sizeof pid) != (ssize_t)sizeof pid)
        return ASYNCZ_EIO;
    for (int i = 0; i < 300; i++)
        sleep_ms(100);
    return ASYNCZ_RUN_DONE;
}

static int fn_echo(asyncz_run *run, void *userdata)
{
    const char *text = NULL;
    if (asyncz_run_arg_string(run, 0, &text))
        return ASYNCZ_EINVAL;
    size_t len = strlen(text);
    char *json = malloc(len + 3);
    if (!json)
        return ASYNCZ_ENOMEM;
    snprintf(json, len + 3, "\"%s\"", text);
    int rc = asyncz_run_set_result(run, json);
    free(json);
    return rc;
}

/* Whether the descriptor given as userdata is open in the worker. */
static int fn_fd_open(asyncz_run *run, void *userdata)
{
    return asyncz_run_set_result(run, fcntl(*(int *)userdata, F_GETFD) >= 0 ? "true" : "false");
}

/* Reports the id of the occurrence it runs as its result (a JSON string). */
static int fn_run_id(asyncz_run *run, void *userdata)
{
    char json[64];
    snprintf(json, sizeof json, "\"%s\"", asyncz_run_id(run));
    return asyncz_run_set_result(run, json);
}

static int fn_print(asyncz_run *run, void *userdata)
{
    char line[64];
    snprintf(line, sizeof line, "printed by %d", (int)getpid());
    asyncz_run_output(run, ASYNCZ_OUTPUT_STDOUT, "first");
    return asyncz_run_output(run, ASYNCZ_OUTPUT_STDERR, line) == 0 ? ASYNCZ_RUN_DONE : ASYNCZ_EINVAL;
}

/* A function that supervised a process which exited 3 after its time limit. */
static int fn_supervised(asyncz_run *run, void *userdata)
{
    assert_int_equal(asyncz_run_set_failure(run, ASYNCZ_RUN_SUCCEEDED, -1, 0), ASYNCZ_EINVAL);
    asyncz_run_set_error(run, ASYNCZ_EIO, "timed out after 1s");
    asyncz_run_set_failure(run, ASYNCZ_RUN_TIMED_OUT, 3, 0);
    return ASYNCZ_EIO;
}

static int fn_pend(asyncz_run *run, void *userdata)
{
    return ASYNCZ_RUN_PENDING;
}

typedef struct fixture {
    asyncz_scheduler *s;
    asyncz_executor *ex;
    const asyncz_executor_ops *ops;
    sink k;
    int pipe[2]; /* workers inherit it: no close-on-exec */
    int cloexec; /* workers do not: an eventfd marked close-on-exec */
} fixture;

static void start(fixture *f)
{
    asyncz_executor_host host = {.scheduler = f->s, .alias = "test"};
    assert_int_equal(f->ops->start(f->ex, &host), 0);
}

/* Everything but starting the pool. */
static void prepare(fixture *f, unsigned workers, int64_t timeout_usec)
{
    memset(f, 0, sizeof *f);
    sink_init(&f->k);
    assert_int_equal(pipe(f->pipe), 0);
    f->cloexec = eventfd(0, EFD_CLOEXEC);
    assert_true(f->cloexec >= 0);
    assert_int_equal(asyncz_scheduler_new(&f->s, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "mul", fn_mul, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "pid", fn_pid, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "segv", fn_segv, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "exit3", fn_exit3, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "hang", fn_hang, &f->pipe[1]), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "echo", fn_echo, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "pend", fn_pend, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "run_id", fn_run_id, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "print", fn_print, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "supervised", fn_supervised, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "pipe_open", fn_fd_open, &f->pipe[1]), 0);
    assert_int_equal(asyncz_scheduler_register(f->s, "cloexec_open", fn_fd_open, &f->cloexec), 0);
    asyncz_processpool_options o;
    asyncz_processpool_options_init(&o);
    o.max_workers = workers;
    o.timeout_usec = timeout_usec;
    assert_int_equal(asyncz_executor_processpool_new(&f->ex, &o), 0);
    f->ops = ASYNCZ_EXECUTOR_BASE(f->ex)->ops;
}

static void setup_opts(fixture *f, unsigned workers, int64_t timeout_usec)
{
    prepare(f, workers, timeout_usec);
    start(f);
}

static void teardown(fixture *f)
{
    f->ops->shutdown(f->ex, true);
    asyncz_executor_free(f->ex);
    asyncz_scheduler_free(f->s);
    close(f->pipe[0]);
    close(f->pipe[1]);
    close(f->cloexec);
    sink_close(&f->k);
}

static void submit(fixture *f, const char *func, const char *id, const char *args, size_t n_times)
{
    assert_int_equal(f->ops->submit(f->ex, make_run(f->s, &f->k, func, id, args, n_times)), 0);
}

/* The pid a hanging function reported; fails the test after WAIT_SECONDS. */
static pid_t hang_pid(fixture *f)
{
    struct pollfd pf = {.fd = f->pipe[0], .events = POLLIN};
    assert_int_equal(poll(&pf, 1, WAIT_SECONDS * 1000), 1);
    int pid = 0;
    assert_int_equal(read(f->pipe[0], &pid, sizeof pid), (ssize_t)sizeof pid);
    assert_true(pid > 0);
    return (pid_t)pid;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Whether this process has any child, running or not yet reaped (without reaping it). */
static bool has_children(void)
{
    siginfo_t info;
    return !(waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD);
}

static void test_new_validates(void **state)
{
    asyncz_executor *ex = NULL;
    asyncz_processpool_options bad_timeout, too_many;
    asyncz_processpool_options_init(&bad_timeout);
    asyncz_processpool_options_init(&too_many);
    bad_timeout.timeout_usec = -1;
    too_many.max_workers = 100000;
    assert_int_equal(asyncz_executor_processpool_new(NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_executor_processpool_new(&ex, &bad_timeout), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_executor_processpool_new(&ex, &too_many), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_executor_processpool_new(&ex, NULL), 0);
    assert_string_equal(asyncz_executor_kind(ex), "processpool");
    /* Not started: submit is refused, free needs no shutdown. */
    assert_int_equal(ASYNCZ_EXECUTOR_BASE(ex)->ops->submit(ex, NULL), ASYNCZ_EINVAL);
    asyncz_executor_free(ex);
}

static void test_result_computed_from_args(void **state)
{
    fixture f;
    setup_opts(&f, 2, 0);
    submit(&f, "mul", "t1", "[6,7]", 1);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_string_equal(f.k.recs[0].result, "42");
    teardown(&f);
}

static void test_runs_in_another_process(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "pid", "t1", NULL, 1);
    submit(&f, "pid", "t2", NULL, 1);
    assert_true(sink_wait(&f.k, 2));
    int a = atoi(f.k.recs[0].result), b = atoi(f.k.recs[1].result);
    assert_true(a > 0);
    assert_int_not_equal(a, (int)getpid());
    /* One worker serves both runs. */
    assert_int_equal(a, b);
    teardown(&f);
}

static void test_segfault_is_reported_and_worker_replaced(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "segv", "t1", NULL, 1);
    assert_true(sink_wait(&f.k, 1));
    const sink_rec *r = &f.k.recs[0];
    assert_int_equal(r->code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(r->error_code, ASYNCZ_EIO);
    assert_int_equal(r->signal, SIGSEGV);
    assert_non_null(strstr(r->message, "was killed by signal 11 (SIGSEGV)"));
    assert_int_equal(r->fail_kind, AZ_FAIL_CRASH); /* the run history's "crashed" */
    assert_int_equal(r->exit_status, -1);
    submit(&f, "mul", "t2", "[3,5]", 1);
    assert_true(sink_wait(&f.k, 2));
    assert_int_equal(f.k.recs[1].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_string_equal(f.k.recs[1].result, "15");
    assert_true(f.k.recs[1].timed); /* the worker's started and finished times came back */
    teardown(&f);
}

static void test_worker_exit_is_reported(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "exit3", "t1", NULL, 1);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].signal, 0);
    assert_non_null(strstr(f.k.recs[0].message, "exited with status 3"));
    assert_int_equal(f.k.recs[0].fail_kind, AZ_FAIL_CRASH);
    assert_int_equal(f.k.recs[0].exit_status, 3);
    submit(&f, "mul", "t2", "[2,2]", 1);
    assert_true(sink_wait(&f.k, 2));
    assert_string_equal(f.k.recs[1].result, "4");
    teardown(&f);
}

static void test_timeout_kills_worker(void **state)
{
    fixture f;
    setup_opts(&f, 1, 300000);
    submit(&f, "hang", "t1", NULL, 1);
    assert_true(sink_wait(&f.k, 1));
    const sink_rec *r = &f.k.recs[0];
    assert_int_equal(r->code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(r->signal, SIGKILL);
    assert_non_null(strstr(r->message, "timed out after 0.300 s"));
    assert_int_equal(r->fail_kind, AZ_FAIL_TIMEOUT); /* the run history's "timed_out" */
    submit(&f, "mul", "t2", "[4,4]", 1);
    assert_true(sink_wait(&f.k, 2));
    assert_string_equal(f.k.recs[1].result, "16");
    teardown(&f);
}

static void test_worker_killed_externally(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "hang", "t1", NULL, 1);
    pid_t pid = hang_pid(&f);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_true(sink_wait(&f.k, 1));
    const sink_rec *r = &f.k.recs[0];
    assert_int_equal(r->code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(r->signal, SIGKILL);
    char expect[96];
    snprintf(expect, sizeof expect, "worker process %d was killed by signal 9 (SIGKILL)", (int)pid);
    assert_string_equal(r->message, expect);
    submit(&f, "mul", "t2", "[1,9]", 1);
    assert_true(sink_wait(&f.k, 2));
    assert_string_equal(f.k.recs[1].result, "9");
    teardown(&f);
}

static void test_multiple_times_all_get_outcomes(void **state)
{
    fixture f;
    setup_opts(&f, 2, 0);
    submit(&f, "mul", "t1", "[6,7]", 3);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f.k.recs[i].code, ASYNCZ_EVENT_TASK_EXECUTED);
        assert_string_equal(f.k.recs[i].result, "42");
    }
    teardown(&f);
}

/* A worker sees the run ids the scheduler made at submission, each time its own. */
static void test_worker_sees_each_times_run_id(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "run_id", "t1", "[]", 3);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.n, 3);
    for (int i = 0; i < 3; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"%s\"", f.k.recs[i].run_id);
        assert_int_equal(f.k.recs[i].code, ASYNCZ_EVENT_TASK_EXECUTED);
        assert_true(az_run_id_valid(f.k.recs[i].run_id));
        assert_string_equal(f.k.recs[i].result, want);
    }
    assert_true(strcmp(f.k.recs[0].run_id, f.k.recs[1].run_id) < 0);
    assert_true(strcmp(f.k.recs[1].run_id, f.k.recs[2].run_id) < 0);
    teardown(&f);
}

/* What a function prints in a worker comes back with its outcome. */
static void test_worker_output_comes_back(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "print", "p", "[]", 2);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(f.k.recs[i].code, ASYNCZ_EVENT_TASK_EXECUTED);
        assert_int_equal(f.k.recs[i].n_output, 2);
        assert_non_null(strstr(f.k.recs[i].last_output, "printed by "));
        assert_null(strstr(f.k.recs[i].last_output, "printed by 0")); /* a pid */
    }
    char mine[64];
    snprintf(mine, sizeof mine, "printed by %d", (int)getpid());
    assert_string_not_equal(f.k.recs[0].last_output, mine); /* in another process */
    teardown(&f);
}

/* Writes a line for its time, then waits for a byte on the pipe given as userdata before it ends. */
static int fn_gated(asyncz_run *run, void *userdata)
{
    char line[32];
    snprintf(line, sizeof line, "waiting %d", (int)(asyncz_run_scheduled_time(run) % 8));
    asyncz_run_output(run, ASYNCZ_OUTPUT_STDOUT, line);
    char byte;
    return read(*(int *)userdata, &byte, 1) == 1 ? ASYNCZ_RUN_DONE : ASYNCZ_EIO;
}

/* The text of the last line time i of run has in the pool so far ("" when none), read under the run's lock
 * as the scheduler would. */
static void pool_line(asyncz_run *run, size_t i, char *buf, size_t size)
{
    pthread_mutex_lock(&run->output_lock);
    size_t n = 0;
    const asyncz_output_line *lines = az_output_lines(run->outcomes[i].output, &n);
    snprintf(buf, size, "%s", n ? lines[n - 1].text : "");
    pthread_mutex_unlock(&run->output_lock);
}

/* Waits until time i of run has a line in the pool (fails the test after WAIT_SECONDS). */
static void wait_pool_line(asyncz_run *run, size_t i, const char *want)
{
    char got[64] = "";
    for (int tries = 0; tries < WAIT_SECONDS * 100 && strcmp(got, want) != 0; tries++) {
        pool_line(run, i, got, sizeof got);
        if (strcmp(got, want) != 0)
            sleep_ms(10);
    }
    assert_string_equal(got, want);
}

/* What a function writes reaches the pool while it still runs (it waits for the test to have seen it),
 * each line with the time it was written for, and the run's outcome then has them once. */
static void test_worker_output_arrives_while_it_runs(void **state)
{
    fixture f;
    prepare(&f, 1, 0);
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    assert_int_equal(asyncz_scheduler_register(f.s, "gated", fn_gated, &gate[0]), 0);
    start(&f);
    asyncz_run *run = make_run(f.s, &f.k, "gated", "g", "[]", 2);
    char first[32], second[32];
    snprintf(first, sizeof first, "waiting %d", (int)(run->outcomes[0].scheduled % 8));
    snprintf(second, sizeof second, "waiting %d", (int)(run->outcomes[1].scheduled % 8));
    assert_int_equal(f.ops->submit(f.ex, run), 0);
    wait_pool_line(run, 0, first);
    /* The worker sends at most one frame per AZ_OUTPUT_SHIP_NSEC: let that pass before the next line. */
    sleep_ms(AZ_OUTPUT_SHIP_NSEC / 1000000 + 50);
    assert_int_equal(write(gate[1], "x", 1), 1);
    wait_pool_line(run, 1, second);
    assert_int_equal(sink_runs(&f.k), 0); /* still running */
    assert_int_equal(write(gate[1], "x", 1), 1);
    assert_true(sink_wait(&f.k, 1));
    for (int i = 0; i < 2; i++) {
        assert_int_equal(f.k.recs[i].code, ASYNCZ_EVENT_TASK_EXECUTED);
        assert_int_equal(f.k.recs[i].n_output, 1);
        assert_true(f.k.recs[i].timed);
    }
    assert_string_equal(f.k.recs[1].last_output, second);
    teardown(&f);
    close(gate[0]);
    close(gate[1]);
}

/* How a function says its failure is to be recorded crosses the worker boundary too. */
static void test_worker_failure_kind_comes_back(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "supervised", "s", "[]", 1);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].fail_kind, AZ_FAIL_TIMEOUT);
    assert_int_equal(f.k.recs[0].exit_status, 3);
    assert_string_equal(f.k.recs[0].message, "timed out after 1s");
    teardown(&f);
}

static void test_large_messages(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    /* 60 000 bytes each way per time, three times: far beyond one datagram. */
    size_t len = 60000;
    char *args = malloc(len + 5);
    assert_non_null(args);
    args[0] = '[';
    args[1] = '"';
    memset(args + 2, 'x', len);
    strcpy(args + 2 + len, "\"]");
    submit(&f, "echo", "t1", args, 3);
    free(args);
    assert_true(sink_wait(&f.k, 1));
    assert_int_equal(f.k.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f.k.recs[i].code, ASYNCZ_EVENT_TASK_EXECUTED);
        assert_int_equal(strncmp(f.k.recs[i].result, "\"xxxxxxxx", 9), 0);
        assert_int_equal(strlen(f.k.recs[i].result), sizeof f.k.recs[i].result - 1);
    }
    teardown(&f);
}

static void test_unregistered_and_pending_in_worker(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "nope", "t1", NULL, 1);
    submit(&f, "pend", "t2", NULL, 1);
    assert_true(sink_wait(&f.k, 2));
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[0].error_code, ASYNCZ_ENOTFOUND);
    assert_string_equal(f.k.recs[0].message, "function \"nope\" is not registered");
    assert_int_equal(f.k.recs[1].code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(f.k.recs[1].error_code, ASYNCZ_EUNSUPPORTED);
    teardown(&f);
}

static void test_many_runs_across_workers(void **state)
{
    fixture f;
    setup_opts(&f, 3, 0);
    for (int i = 0; i < 50; i++) {
        char id[16], args[32];
        snprintf(id, sizeof id, "t%d", i);
        snprintf(args, sizeof args, "[%d,2]", i);
        submit(&f, "mul", id, args, 1);
    }
    assert_true(sink_wait(&f.k, 50));
    for (int i = 0; i < 50; i++) {
        char id[16], want[16];
        snprintf(id, sizeof id, "t%d", i);
        snprintf(want, sizeof want, "%d", i * 2);
        const sink_rec *r = sink_find(&f.k, id);
        assert_non_null(r);
        assert_int_equal(r->code, ASYNCZ_EVENT_TASK_EXECUTED);
        assert_string_equal(r->result, want);
    }
    teardown(&f);
}

static void test_shutdown_leaves_no_children_or_fds(void **state)
{
    fixture f;
    prepare(&f, 4, 0);
    int before = count_fds();
    start(&f);
    for (int i = 0; i < 8; i++)
        submit(&f, "mul", "t", "[2,3]", 1);
    assert_true(sink_wait(&f.k, 8));
    assert_true(has_children());
    assert_true(count_fds() > before);
    f.ops->shutdown(f.ex, true);
    assert_int_equal(count_fds(), before);
    assert_false(has_children());
    /* Twice, and after a restart, the same. */
    f.ops->shutdown(f.ex, true);
    start(&f);
    submit(&f, "mul", "t", "[2,3]", 1);
    assert_true(sink_wait(&f.k, 9));
    f.ops->shutdown(f.ex, false);
    assert_int_equal(count_fds(), before);
    assert_false(has_children());
    teardown(&f);
}

static void test_shutdown_without_wait_kills_running_and_fails_queued(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "hang", "t1", NULL, 1);
    hang_pid(&f);
    submit(&f, "mul", "t2", "[1,1]", 1);
    submit(&f, "mul", "t3", "[1,1]", 1);
    f.ops->shutdown(f.ex, false);
    assert_int_equal(sink_runs(&f.k), 3);
    const sink_rec *queued = sink_find(&f.k, "t2");
    assert_non_null(queued);
    assert_int_equal(queued->error_code, ASYNCZ_ESTATE);
    assert_string_equal(queued->message, "executor shut down before the run started");
    assert_int_equal(sink_find(&f.k, "t3")->error_code, ASYNCZ_ESTATE);
    const sink_rec *running = sink_find(&f.k, "t1");
    assert_non_null(running);
    assert_int_equal(running->code, ASYNCZ_EVENT_TASK_ERROR);
    assert_int_equal(running->error_code, ASYNCZ_ESTATE);
    assert_int_equal(running->signal, SIGKILL);
    assert_false(has_children());
    teardown(&f);
}

static void test_submit_after_shutdown_and_restart(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "pid", "t1", NULL, 1);
    assert_true(sink_wait(&f.k, 1));
    f.ops->shutdown(f.ex, true);
    asyncz_run *run = make_run(f.s, &f.k, "mul", "t2", "[1,2]", 1);
    assert_int_equal(f.ops->submit(f.ex, run), ASYNCZ_ESTATE);
    az_run_free(run);
    start(&f);
    asyncz_executor_host host = {.scheduler = f.s, .alias = "test"};
    assert_int_equal(f.ops->start(f.ex, &host), ASYNCZ_ESTATE);
    submit(&f, "pid", "t3", NULL, 1);
    assert_true(sink_wait(&f.k, 2));
    assert_int_equal(f.k.recs[1].code, ASYNCZ_EVENT_TASK_EXECUTED);
    /* A new helper made a new worker. */
    assert_int_not_equal(atoi(f.k.recs[1].result), atoi(f.k.recs[0].result));
    teardown(&f);
}

static void test_workers_keep_only_inheritable_fds(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    submit(&f, "pipe_open", "t1", NULL, 1);
    submit(&f, "cloexec_open", "t2", NULL, 1);
    assert_true(sink_wait(&f.k, 2));
    assert_string_equal(sink_find(&f.k, "t1")->result, "true");
    assert_string_equal(sink_find(&f.k, "t2")->result, "false");
    teardown(&f);
}

/* In a child: start a pool, start a hanging run, and wait to be killed. */
static _Noreturn void doomed_owner(int report_fd)
{
    fixture f;
    prepare(&f, 2, 0);
    /* The hanging function reports to the test's pipe. */
    dup2(report_fd, f.pipe[1]);
    start(&f);
    submit(&f, "hang", "t1", NULL, 1);
    for (;;)
        pause();
}

static void test_workers_die_with_the_owner(void **state)
{
    /* Orphans come to this process, so it can see every descendant end. */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    fixture f;
    memset(&f, 0, sizeof f);
    assert_int_equal(pipe(f.pipe), 0);
    pid_t owner = fork();
    assert_true(owner >= 0);
    if (owner == 0) {
        close(f.pipe[0]);
        doomed_owner(f.pipe[1]);
    }
    pid_t worker = hang_pid(&f);
    assert_int_equal(kill(owner, SIGKILL), 0);
    assert_int_equal(waitpid(owner, NULL, 0), owner);
    /* The helper sees its control socket close, kills and reaps the worker, and exits. */
    int reaped = 0;
    for (int i = 0; i < WAIT_SECONDS * 20 && has_children(); i++) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            reaped++;
        sleep_ms(50);
    }
    assert_false(has_children());
    assert_true(reaped >= 1);
    assert_true(kill(worker, 0) < 0 && errno == ESRCH);
    close(f.pipe[0]);
    close(f.pipe[1]);
}

/* A run of "mul" [2,3] for the given times, with the default grace time (1 s). */
static asyncz_run *run_at(fixture *f, const asyncz_time_t *times, size_t n)
{
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, "mul"), 0);
    assert_int_equal(asyncz_task_set_id(t, "late"), 0);
    assert_int_equal(asyncz_task_set_args_json(t, "[2,3]"), 0);
    asyncz_task_fn fn = NULL;
    void *ud = NULL;
    az_scheduler_lookup_fn(f->s, "mul", &fn, &ud);
    az_run_init init = {.scheduler = f->s,
                        .task = t,
                        .fn = fn,
                        .fn_userdata = ud,
                        .times = times,
                        .n_times = n,
                        .done = sink_done,
                        .done_userdata = &f->k};
    asyncz_run *run = NULL;
    assert_int_equal(az_run_new(&run, &init), 0);
    asyncz_task_free(t);
    return run;
}

static void test_runs_past_grace_are_missed(void **state)
{
    fixture f;
    setup_opts(&f, 1, 0);
    asyncz_time_t now = asyncz_now();
    asyncz_time_t mixed[2] = {now - 10 * ASYNCZ_USEC_PER_SEC, now + 5 * ASYNCZ_USEC_PER_SEC};
    asyncz_time_t stale[1] = {now - 10 * ASYNCZ_USEC_PER_SEC};
    assert_int_equal(f.ops->submit(f.ex, run_at(&f, mixed, 2)), 0);
    assert_int_equal(f.ops->submit(f.ex, run_at(&f, stale, 1)), 0);
    assert_true(sink_wait(&f.k, 2));
    assert_int_equal(f.k.n, 3);
    assert_int_equal(f.k.recs[0].code, ASYNCZ_EVENT_TASK_MISSED);
    assert_int_equal(f.k.recs[1].code, ASYNCZ_EVENT_TASK_EXECUTED);
    assert_string_equal(f.k.recs[1].result, "6");
    assert_int_equal(f.k.recs[2].code, ASYNCZ_EVENT_TASK_MISSED);
    teardown(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_new_validates),
    cmocka_unit_test(test_result_computed_from_args),
    cmocka_unit_test(test_runs_in_another_process),
    cmocka_unit_test(test_segfault_is_reported_and_worker_replaced),
    cmocka_unit_test(test_worker_exit_is_reported),
    cmocka_unit_test(test_timeout_kills_worker),
    cmocka_unit_test(test_worker_killed_externally),
    cmocka_unit_test(test_multiple_times_all_get_outcomes),
    cmocka_unit_test(test_worker_sees_each_times_run_id),
    cmocka_unit_test(test_runs_past_grace_are_missed),
    cmocka_unit_test(test_large_messages),
    cmocka_unit_test(test_worker_output_comes_back),
    cmocka_unit_test(test_worker_output_arrives_while_it_runs),
    cmocka_unit_test(test_worker_failure_kind_comes_back),
    cmocka_unit_test(test_unregistered_and_pending_in_worker),
    cmocka_unit_test(test_many_runs_across_workers),
    cmocka_unit_test(test_shutdown_leaves_no_children_or_fds),
    cmocka_unit_test(test_shutdown_without_wait_kills_running_and_fails_queued),
    cmocka_unit_test(test_submit_after_shutdown_and_restart),
    cmocka_unit_test(test_workers_keep_only_inheritable_fds),
    cmocka_unit_test(test_workers_die_with_the_owner),
};

AZ_TEST_MAIN(tests)
