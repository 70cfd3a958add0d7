/* asyncz-cli-fixture: prepares stores for the command-line tests, through the public API:
 *   asyncz-cli-fixture load URL N           add N shell-command tasks (ids t0000000...) in batches
 *   asyncz-cli-fixture heartbeat URL ID S   register scheduler ID whose heartbeat expires in S seconds
 *                                           (negative: already expired), with one run in flight
 *   asyncz-cli-fixture scan URL             connect and read every task as a scheduler does, which
 *                                           quarantines the records that cannot be read
 *   asyncz-cli-fixture get URL ID           write the stored bytes of record ID to standard output
 *   asyncz-cli-fixture put URL ID NEXT      store the bytes read from standard input as record ID (replaced,
 *                                           or inserted when there is none), its index (next run time)
 *                                           NEXT microseconds since the epoch, or "none" (paused)
 *   asyncz-cli-fixture runs URL             write the run records read from standard input (history_put), one
 *                                           per line, oldest first, and print their run ids: tab-separated
 *                                           RUN_ID TASK OUTCOME AGO LATE DURATION SCHEDULER ERROR OUTPUT
 *                                           RUN_ID "-" for a new one (else that record is replaced); AGO the
 *                                           scheduled time, in seconds before now (may have a fraction);
 *                                           LATE and DURATION milliseconds ("-": never started / finished);
 *                                           ERROR "-" for none; OUTPUT "-" or lines split by '|', each
 *                                           "o:TEXT" (stdout), "e:TEXT" (stderr) or "n:TEXT", a leading '!'
 *                                           marking the output truncated; ASYNCZ_FIXTURE_NOW (microseconds
 *                                           since the epoch) is "now" when set
 * get and put reach the raw records under a persistent store (through the library's record backend, as
 * tests/stores/persist_suite.c does), on every backend alike: put writes what a test needs in place of what
 * the store would write (a plaintext record in a sealed store, an index that disagrees with the document,
 * bytes that are no task document), for a scheduler's read (scan) to quarantine.
 * Exit status 0, or 1 with the store's message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "asyncz/sys/store.h"
#include "store/backend.h"
#include "util/ids.h"

#define BATCH 10000

static int fail(const char *what, int rc)
{
    fprintf(stderr, "asyncz-cli-fixture: %s: %s (%s)\n", what, asyncz_store_errmsg(), asyncz_strerror(rc));
    return 1;
}

static int make_task(asyncz_task **out, size_t i, asyncz_trigger *trig, asyncz_time_t next)
{
    char id[32], args[64];
    snprintf(id, sizeof id, "t%07zu", i);
    snprintf(args, sizeof args, "[\"echo task %zu\"]", i);
    int rc = asyncz_task_new(out, "asyncz.shell");
    if (rc == 0)
        rc = asyncz_task_set_id(*out, id);
    if (rc == 0)
        rc = asyncz_task_set_args_json(*out, args);
    if (rc == 0)
        rc = asyncz_task_set_trigger(*out, trig);
    if (rc == 0)
        rc = asyncz_task_set_next_run_time(
            *out, i % 10 == 9 ? ASYNCZ_TIME_NONE : next + (asyncz_time_t)(i % 60) * ASYNCZ_USEC_PER_MIN);
    return rc;
}

static int add_batch(asyncz_store *st, size_t from, size_t n, asyncz_trigger *trig, asyncz_time_t next)
{
    asyncz_task **tasks = calloc(n, sizeof *tasks);
    int rc = tasks ? 0 : ASYNCZ_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = make_task(&tasks[i], from + i, trig, next);
    if (rc == 0)
        rc = asyncz_store_add_tasks(st, tasks, n);
    for (size_t i = 0; tasks && i < n; i++)
        asyncz_task_free(tasks[i]);
    free(tasks);
    return rc;
}

static int load(asyncz_store *st, size_t n)
{
    asyncz_trigger *trig;
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    int rc = asyncz_trigger_crontab_new(&trig, "0 * * * *", &o, NULL);
    if (rc)
        return fail("cannot make the trigger", rc);
    asyncz_time_t next;
    asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, asyncz_now(), &next);
    for (size_t from = 0; rc == 0 && from < n; from += BATCH)
        rc = add_batch(st, from, n - from < BATCH ? n - from : BATCH, trig, next);
    asyncz_trigger_unref(trig);
    return rc ? fail("cannot add the tasks", rc) : 0;
}

static int heartbeat(asyncz_store *st, const char *id, long seconds)
{
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(st)->ops;
    if (!ops->heartbeat) {
        fprintf(stderr, "asyncz-cli-fixture: the %s store keeps no heartbeats\n", ops->name);
        return 1;
    }
    asyncz_time_t now = asyncz_now();
    asyncz_inflight run = {"t0000001", now - ASYNCZ_USEC_PER_SEC};
    asyncz_instance self = {.id = id,
                            .hostname = "fixture-host",
                            .pid = 4242,
                            .version = asyncz_version(),
                            .started_at = now - 60 * ASYNCZ_USEC_PER_SEC,
                            .heartbeat_at = now - (seconds < 0 ? 30 : 0) * ASYNCZ_USEC_PER_SEC,
                            .expires_at = now + seconds * ASYNCZ_USEC_PER_SEC,
                            .running = &run,
                            .n_running = 1};
    int rc = ops->heartbeat(st, &self);
    return rc ? fail("cannot write the heartbeat", rc) : 0;
}

static int count_one(asyncz_task *task, void *userdata)
{
    (void)task;
    ++*(size_t *)userdata;
    return 0;
}

static int scan(asyncz_store *st)
{
    size_t n = 0;
    int rc = ASYNCZ_STORE_BASE(st)->ops->list(st, count_one, &n);
    return rc ? fail("cannot list the tasks", rc) : 0;
}

static int write_raw(const az_found *rec, void *userdata)
{
    (void)userdata;
    return fwrite(rec->data, 1, rec->len, stdout) == rec->len ? 0 : ASYNCZ_EIO;
}

static int get_raw(asyncz_store *st, const char *id)
{
    az_backend *b = az_persist_backend(st);
    if (!b) {
        fprintf(stderr, "asyncz-cli-fixture: not a persistent store\n");
        return 1;
    }
    int rc = b->ops->get(b, id, write_raw, NULL);
    if (rc == 0 && fflush(stdout) != 0)
        rc = ASYNCZ_EIO;
    return rc ? fail("cannot get the record", rc) : 0;
}

/* Standard input, whole, into *data (malloc'd). */
static int read_stdin(unsigned char **data, size_t *len)
{
    size_t cap = 4096;
    *len = 0;
    *data = malloc(cap);
    while (*data) {
        *len += fread(*data + *len, 1, cap - *len, stdin);
        if (*len < cap)
            return ferror(stdin) ? ASYNCZ_EIO : 0;
        unsigned char *grown = realloc(*data, cap *= 2);
        if (!grown)
            free(*data);
        *data = grown;
    }
    return ASYNCZ_ENOMEM;
}

static int put_raw(asyncz_store *st, const char *id, const char *next)
{
    az_backend *b = az_persist_backend(st);
    if (!b) {
        fprintf(stderr, "asyncz-cli-fixture: not a persistent store\n");
        return 1;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_stdin(&data, &len);
    if (rc) {
        free(data);
        return fail("cannot read standard input", rc);
    }
    az_record rec = {.id = id,
                     .next_run_time = strcmp(next, "none") == 0 ? ASYNCZ_TIME_NONE : strtoll(next, NULL, 10),
                     .data = data,
                     .len = len};
    rc = b->ops->replace(b, &rec);
    if (rc == ASYNCZ_ENOTFOUND)
        rc = b->ops->insert(b, &rec);
    free(data);
    return rc ? fail("cannot put the record", rc) : 0;
}

/* ---- run records (runs) ------------------------------------------------------------------------------ */

#define RUN_FIELDS 9
#define MAX_LINES 64

/* Split line at tabs into at most n fields (in place); returns how many. */
static size_t split_tabs(char *line, char **fields, size_t n)
{
    size_t k = 0;
    for (char *p = line; k < n;) {
        fields[k++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    return k;
}

/* The output field into lines (in place), their times from start one millisecond apart. */
static size_t parse_output(char *text, asyncz_time_t start, asyncz_output_line *lines, bool *truncated)
{
    size_t n = 0;
    *truncated = text[0] == '!';
    for (char *p = text + *truncated, *next; p && n < MAX_LINES; p = next) {
        next = strchr(p, '|');
        if (next)
            *next++ = '\0';
        asyncz_output_stream stream = p[0] == 'e'   ? ASYNCZ_OUTPUT_STDERR
                                      : p[0] == 'n' ? ASYNCZ_OUTPUT_NOTE
                                                    : ASYNCZ_OUTPUT_STDOUT;
        lines[n] =
            (asyncz_output_line){start + (asyncz_time_t)n * 1000, stream, p[0] && p[1] == ':' ? p + 2 : p};
        n++;
    }
    return n;
}

/* One record from its fields; the run id is made from the submission time when it is "-". */
static int make_run(char **f, asyncz_run_record *r, asyncz_output_line *lines, asyncz_time_t now)
{
    asyncz_run_record_init(r);
    if (asyncz_run_outcome_parse(f[2], &r->outcome) != 0)
        return ASYNCZ_EINVAL;
    r->task_id = f[1];
    r->task_name = f[1];
    r->store_alias = "default";
    r->scheduled_time = now - (asyncz_time_t)(strtod(f[3], NULL) * 1e6);
    r->submitted_at = r->scheduled_time + (strcmp(f[4], "-") ? strtoll(f[4], NULL, 10) * 1000 : 0);
    bool ran = r->outcome != ASYNCZ_RUN_MISSED && r->outcome != ASYNCZ_RUN_SKIPPED && strcmp(f[4], "-");
    r->started_at = ran ? r->submitted_at : ASYNCZ_TIME_NONE;
    if (ran && strcmp(f[5], "-") != 0)
        r->finished_at = r->started_at + strtoll(f[5], NULL, 10) * 1000;
    r->scheduler = f[6];
    r->host = "fixture-host";
    r->pid = 4242;
    r->error_message = strcmp(f[7], "-") ? f[7] : NULL;
    if (r->outcome == ASYNCZ_RUN_FAILED)
        r->exit_status = 1;
    if (strcmp(f[8], "-") != 0)
        r->n_output = parse_output(f[8], r->started_at != ASYNCZ_TIME_NONE ? r->started_at : r->submitted_at,
                                   lines, &r->output_truncated);
    r->output = lines;
    if (strcmp(f[0], "-") != 0) {
        snprintf(r->run_id, sizeof r->run_id, "%s", f[0]);
        return 0;
    }
    return az_uuid7_at(r->run_id, (uint64_t)(r->submitted_at / 1000)) ? ASYNCZ_EIO : 0;
}

static int put_runs(asyncz_store *st)
{
    const asyncz_store_ops *ops = ASYNCZ_STORE_BASE(st)->ops;
    if (!ops->history_put) {
        fprintf(stderr, "asyncz-cli-fixture: the %s store keeps no run history\n", ops->name);
        return 1;
    }
    char line[8192];
    /* ASYNCZ_FIXTURE_NOW (microseconds) fixes "now", so a record written again keeps its times. */
    const char *fixed = getenv("ASYNCZ_FIXTURE_NOW");
    asyncz_time_t now = fixed ? strtoll(fixed, NULL, 10) : asyncz_now();
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        char *f[RUN_FIELDS];
        asyncz_output_line lines[MAX_LINES];
        asyncz_run_record r;
        if (split_tabs(line, f, RUN_FIELDS) != RUN_FIELDS || make_run(f, &r, lines, now) != 0) {
            fprintf(stderr, "asyncz-cli-fixture: bad run line: %s\n", line);
            return 1;
        }
        int rc = ops->history_put(st, &r, 1);
        if (rc)
            return fail("cannot write the run", rc);
        puts(r.run_id);
    }
    return 0;
}

static bool usage_ok(int argc, char **argv)
{
    if (argc < 3)
        return false;
    if (strcmp(argv[1], "scan") == 0 || strcmp(argv[1], "runs") == 0)
        return true;
    if (strcmp(argv[1], "load") == 0 || strcmp(argv[1], "get") == 0)
        return argc >= 4;
    return (strcmp(argv[1], "heartbeat") == 0 || strcmp(argv[1], "put") == 0) && argc >= 5;
}

int main(int argc, char **argv)
{
    if (!usage_ok(argc, argv)) {
        fprintf(stderr,
                "usage: asyncz-cli-fixture load URL N | heartbeat URL ID SECONDS | scan URL | get URL ID "
                "| put URL ID NEXT | runs URL\n");
        return 2;
    }
    asyncz_store *st;
    int rc = asyncz_store_open(&st, argv[2]);
    if (rc)
        return fail("cannot open the store", rc);
    rc = asyncz_store_connect(st);
    if (rc == 0 && strcmp(argv[1], "scan") == 0)
        rc = scan(st);
    else if (rc == 0 && strcmp(argv[1], "runs") == 0)
        rc = put_runs(st);
    else if (rc == 0 && strcmp(argv[1], "get") == 0)
        rc = get_raw(st, argv[3]);
    else if (rc == 0 && strcmp(argv[1], "put") == 0)
        rc = put_raw(st, argv[3], argv[4]);
    else if (rc == 0 && strcmp(argv[1], "load") == 0)
        rc = load(st, (size_t)strtoul(argv[3], NULL, 10));
    else if (rc == 0)
        rc = heartbeat(st, argv[3], strtol(argv[4], NULL, 10));
    else
        rc = fail("cannot connect to the store", rc);
    asyncz_store_free(st);
    return rc ? 1 : 0;
}
