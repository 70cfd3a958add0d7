/* Writing results to stdout: one JSON document (an object, or an array streamed element by element so a
 * listing of 100,000 tasks never sits in memory twice), or a table. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "manage.h"

int az_cli_json_print(json_t *doc)
{
    int rc = doc && json_dumpf(doc, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT) == 0 && putchar('\n') != EOF
                 ? 0
                 : -1;
    json_decref(doc);
    return rc == 0 ? 0 : az_cli_failure("cannot write the JSON output");
}

void az_cli_json_begin(az_json_stream *js)
{
    js->n = 0;
    js->failed = putchar('[') == EOF;
}

void az_cli_json_item(az_json_stream *js, json_t *item)
{
    if (!item || (js->n && putchar(',') == EOF) ||
        json_dumpf(item, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT))
        js->failed = true;
    js->n++;
    json_decref(item);
}

int az_cli_json_end(az_json_stream *js)
{
    if (fputs("]\n", stdout) == EOF || js->failed)
        return az_cli_failure("cannot write the JSON output");
    return 0;
}

/* ---- a long array, made on several threads ------------------------------------------------------------
 * Items are made and dumped in chunks, a round of chunks at a time on up to ARRAY_THREADS threads, then
 * written in order: the text of one round is all that is held at once. */

#define ARRAY_CHUNK 1024
#define ARRAY_THREADS 8
#define ARRAY_ROUND (2 * ARRAY_THREADS)

typedef struct chunk_text {
    char *text; /* the chunk's items, comma-separated, without brackets */
    size_t len, size;
    bool failed;
} chunk_text;

typedef struct array_job {
    size_t n, first_chunk, n_chunks;
    az_cli_item_fn item;
    void *ctx;
    chunk_text chunks[ARRAY_ROUND];
    atomic_size_t next; /* the next chunk of the round to make */
} array_job;

static bool chunk_put(chunk_text *c, const char *text, size_t len)
{
    if (c->size - c->len < len) {
        size_t size = c->size ? c->size : 64 * 1024;
        while (size - c->len < len)
            size *= 2;
        char *grown = realloc(c->text, size);
        if (!grown)
            return false;
        c->text = grown;
        c->size = size;
    }
    memcpy(c->text + c->len, text, len);
    c->len += len;
    return true;
}

static bool chunk_put_item(chunk_text *c, json_t *item, bool comma)
{
    char *text = item ? json_dumps(item, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
    bool ok = text && (!comma || chunk_put(c, ",", 1)) && chunk_put(c, text, strlen(text));
    free(text);
    json_decref(item);
    return ok;
}

static void *make_chunks(void *arg)
{
    array_job *j = arg;
    for (size_t k; (k = atomic_fetch_add(&j->next, 1)) < j->n_chunks;) {
        chunk_text *c = &j->chunks[k];
        size_t first = (j->first_chunk + k) * ARRAY_CHUNK;
        size_t end = j->n - first < ARRAY_CHUNK ? j->n : first + ARRAY_CHUNK;
        for (size_t i = first; !c->failed && i < end; i++)
            c->failed = !chunk_put_item(c, j->item(i, j->ctx), i > 0);
    }
    return NULL;
}

static size_t array_helpers(size_t n)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = cpus < 1 ? 1 : cpus > ARRAY_THREADS ? ARRAY_THREADS : (size_t)cpus;
    size_t chunks = (n + ARRAY_CHUNK - 1) / ARRAY_CHUNK;
    return (threads < chunks ? threads : chunks) - (chunks > 0);
}

/* Make the chunks of one round, on the helpers and this thread. Helpers block every signal. */
static void make_round(array_job *j, size_t helpers)
{
    pthread_t threads[ARRAY_THREADS];
    size_t started = 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (started < helpers && pthread_create(&threads[started], NULL, make_chunks, j) == 0)
        started++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    make_chunks(j);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
}

int az_cli_json_array(size_t n, az_cli_item_fn item, void *ctx)
{
    array_job *j = calloc(1, sizeof *j);
    if (!j)
        return az_cli_failure("out of memory");
    *j = (array_job){.n = n, .item = item, .ctx = ctx};
    size_t helpers = array_helpers(n), total = (n + ARRAY_CHUNK - 1) / ARRAY_CHUNK;
    bool failed = putchar('[') == EOF;
    for (size_t done = 0; !failed && done < total; done += j->n_chunks) {
        j->first_chunk = done;
        j->n_chunks = total - done < ARRAY_ROUND ? total - done : ARRAY_ROUND;
        atomic_store(&j->next, 0);
        make_round(j, helpers);
        for (size_t k = 0; k < j->n_chunks; k++) {
            chunk_text *c = &j->chunks[k];
            failed = failed || c->failed || fwrite(c->text, 1, c->len, stdout) != c->len;
            free(c->text);
            *c = (chunk_text){0};
        }
    }
    free(j);
    if (failed || fputs("]\n", stdout) == EOF)
        return az_cli_failure("cannot write the JSON output");
    return 0;
}

/* COLUMNS when it holds a whole number from 1 up (an explicit choice, also for a pipe), else the width of
 * the terminal on stdout, else 0: piped output keeps whole cells. */
size_t az_cli_output_width(void)
{
    const char *columns = getenv("COLUMNS");
    if (columns && columns[0] >= '0' && columns[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long n = strtoul(columns, &end, 10);
        if (!*end && errno == 0 && n > 0 && n <= 100000)
            return (size_t)n;
    }
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

int az_cli_table_print(const az_table *t, const az_cli_common *common)
{
    if (az_table_print(t, stdout, az_cli_use_color(common), az_cli_output_width()) != 0)
        return az_cli_failure("cannot write to standard output");
    return 0;
}
