/* Multi-threaded stress (run under ThreadSanitizer in CI): four threads add, modify, pause, resume and
 * remove one-shot tasks while the scheduler's own thread fires them. Afterwards every task that was not
 * removed has run exactly once and every task that was removed never ran: nothing lost, nothing doubled. */
#include <stdatomic.h>
#include <time.h>

#include "sched_harness.h"

#define THREADS 4
#define PER_THREAD 400
#define MS ASYNCZ_USEC_PER_MSEC

typedef struct shared {
    asyncz_scheduler *s;
    atomic_int fired[THREADS][PER_THREAD];
    bool removed[THREADS][PER_THREAD];
    atomic_int ticks;
    int expected;
} shared;

static shared *g; /* the task functions find the counters here */

static int fn_fire(asyncz_run *run, void *ud)
{
    (void)ud;
    int64_t k = -1, i = -1;
    assert_int_equal(asyncz_run_arg_int(run, 0, &k), 0);
    assert_int_equal(asyncz_run_arg_int(run, 1, &i), 0);
    atomic_fetch_add(&g->fired[k][i], 1);
    return ASYNCZ_RUN_DONE;
}

static int fn_tick(asyncz_run *run, void *ud)
{
    (void)run;
    (void)ud;
    atomic_fetch_add(&g->ticks, 1);
    return ASYNCZ_RUN_DONE;
}

static asyncz_trigger *in_ms(int ms)
{
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    asyncz_trigger *t;
    assert_int_equal(asyncz_trigger_date_new(&t, asyncz_now() + ms * MS, &o), 0);
    return t;
}

static void add_one(shared *sh, int k, int i, unsigned *seed)
{
    char id[32], args[32];
    snprintf(id, sizeof id, "w%d-%d", k, i);
    snprintf(args, sizeof args, "[%d,%d]", k, i);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "fire"), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    assert_int_equal(asyncz_task_set_args_json(t, args), 0);
    assert_int_equal(asyncz_task_set_misfire_grace_time(t, ASYNCZ_GRACE_UNLIMITED), 0);
    asyncz_trigger *trig = in_ms((int)(rand_r(seed) % 30));
    asyncz_task_set_trigger(t, trig);
    asyncz_trigger_unref(trig);
    assert_int_equal(asyncz_scheduler_add_task(sh->s, t, 0), 0);
    asyncz_task_free(t);
}

/* Change a task at random; a change to a task that already ran and was removed finds nothing. */
static void change_one(shared *sh, int k, int i, unsigned *seed)
{
    char id[32];
    snprintf(id, sizeof id, "w%d-%d", k, i);
    int rc = 0;
    switch (rand_r(seed) % 4) {
    case 0: {
        asyncz_trigger *trig = in_ms(5);
        rc = asyncz_scheduler_reschedule_task(sh->s, id, NULL, trig);
        asyncz_trigger_unref(trig);
        break;
    }
    case 1:
        rc = asyncz_scheduler_pause_task(sh->s, id, NULL);
        if (rc == 0)
            rc = asyncz_scheduler_resume_task(sh->s, id, NULL);
        break;
    case 2: {
        asyncz_task *t;
        rc = asyncz_scheduler_get_task(sh->s, &t, id, NULL);
        if (rc == 0) {
            asyncz_task_set_name(t, "changed");
            rc = asyncz_scheduler_update_task(sh->s, t);
            asyncz_task_free(t);
        }
        break;
    }
    default:
        rc = asyncz_scheduler_remove_task(sh->s, id, NULL);
        if (rc == 0)
            sh->removed[k][i] = true;
        break;
    }
    assert_true(rc == 0 || rc == ASYNCZ_ENOTFOUND);
}

typedef struct worker_arg {
    shared *sh;
    int k;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    unsigned seed = (unsigned)a->k * 7919u + 1;
    for (int i = 0; i < PER_THREAD; i++) {
        add_one(a->sh, a->k, i, &seed);
        if (i > 0 && rand_r(&seed) % 2)
            change_one(a->sh, a->k, (int)(rand_r(&seed) % (unsigned)i), &seed);
        if (i % 50 == 0) {
            asyncz_task_list *l;
            assert_int_equal(asyncz_scheduler_list_tasks(a->sh->s, &l, NULL), 0);
            asyncz_task_list_free(l);
        }
    }
    return NULL;
}

static int total_fired(shared *sh)
{
    int n = 0;
    for (int k = 0; k < THREADS; k++)
        for (int i = 0; i < PER_THREAD; i++)
            n += atomic_load(&sh->fired[k][i]);
    return n;
}

static void wait_all_fired(shared *sh, int expected)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    for (int waited = 0; total_fired(sh) < expected; waited += 10) {
        if (waited > 60000)
            fail_msg("only %d of %d tasks fired after 60 s", total_fired(sh), expected);
        nanosleep(&ts, NULL);
    }
}

static void run_stress(asyncz_executor *ex)
{
    shared *sh = calloc(1, sizeof *sh);
    assert_non_null(sh);
    g = sh;
    assert_int_equal(asyncz_scheduler_new(&sh->s, NULL), 0);
    if (ex)
        assert_int_equal(asyncz_scheduler_add_executor(sh->s, "default", ex), 0);
    assert_int_equal(asyncz_scheduler_register(sh->s, "fire", fn_fire, NULL), 0);
    assert_int_equal(asyncz_scheduler_register(sh->s, "tick", fn_tick, NULL), 0);
    assert_int_equal(asyncz_scheduler_start(sh->s, 0), 0);
    asyncz_trigger *every;
    assert_int_equal(asyncz_trigger_interval_new(&every, 2 * MS, NULL, NULL), 0);
    asyncz_task *t;
    assert_int_equal(asyncz_task_new(&t, "tick"), 0);
    asyncz_task_set_trigger(t, every);
    asyncz_trigger_unref(every);
    assert_int_equal(asyncz_scheduler_add_task(sh->s, t, 0), 0);
    asyncz_task_free(t);

    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int k = 0; k < THREADS; k++) {
        args[k] = (worker_arg){.sh = sh, .k = k};
        assert_int_equal(pthread_create(&th[k], NULL, worker, &args[k]), 0);
    }
    for (int k = 0; k < THREADS; k++)
        pthread_join(th[k], NULL);
    int expected = 0;
    for (int k = 0; k < THREADS; k++)
        for (int i = 0; i < PER_THREAD; i++)
            expected += !sh->removed[k][i];
    wait_all_fired(sh, expected);
    asyncz_scheduler_shutdown(sh->s, true);
    for (int k = 0; k < THREADS; k++)
        for (int i = 0; i < PER_THREAD; i++)
            assert_int_equal(atomic_load(&sh->fired[k][i]), sh->removed[k][i] ? 0 : 1);
    assert_true(atomic_load(&sh->ticks) > 0);
    asyncz_scheduler_free(sh->s);
    free(sh);
}

static void four_threads_change_tasks_while_they_fire_inline(void **state)
{
    run_stress(inline_exec_new());
}

static void four_threads_change_tasks_while_they_fire_threadpool(void **state)
{
    run_stress(NULL); /* the default executor: a thread pool of 10 */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_threads_change_tasks_while_they_fire_inline),
        cmocka_unit_test(four_threads_change_tasks_while_they_fire_threadpool),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
