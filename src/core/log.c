/* Leveled, named logging to one sink at a time (docs/design.md, Error channels).
 *
 * The logger is process-wide by nature (the header's API has no handle), so this file keeps the one piece
 * of documented global state in the library: the level (an atomic, read without locking on every call) and
 * the sink (guarded by a mutex, so lines from several threads never interleave, a user's sink is never
 * called concurrently with itself, and a sink is never swapped while another thread writes to it).
 *
 * A sink may use the log API from inside (asyncz/log.h says what it may call): a message it logs is
 * dropped (inside_sink), the level is an atomic, and a sink replaced from inside a sink call is replaced
 * by the thread that holds the mutex already, without taking it again (lock_sink): the call in progress
 * goes on with the arguments it was given. A replacement from another thread takes the mutex, so it waits
 * for a call in progress to return: after it, the old sink's userdata is the caller's to free.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "asyncz/time.h"
#include "core/log_internal.h"

/* Messages longer than this are cut: a log line must never make the library allocate without bound. */
#define LOG_MESSAGE_MAX 4096
#define LOG_TRUNCATION_MARK "..."

typedef enum sink_kind { SINK_STDERR, SINK_FILE, SINK_SYSLOG, SINK_JSON, SINK_CALLBACK } sink_kind;

typedef struct log_sink {
    sink_kind kind;
    int color;        /* stderr: 1 always, 0 never, -1 on a terminal unless NO_COLOR */
    FILE *stream;     /* file (owned) or json (borrowed) */
    asyncz_log_fn fn; /* callback */
    void *userdata;   /* callback */
    char ident[64];   /* syslog keeps the pointer given to openlog(), so the ident lives here */
} log_sink;

static _Atomic int log_level = ASYNCZ_LOG_WARNING;
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static log_sink sink = {.kind = SINK_STDERR, .color = -1};

/* This thread is calling the sink, holding sink_lock. A sink that logs (a callback calling asyncz_log)
 * would deadlock on sink_lock: such nested messages are dropped instead; a sink that replaces the sink
 * does so under the sink_lock this thread holds. */
static _Thread_local bool inside_sink;

/* Take sink_lock to change the sink, unless this thread holds it already: it is inside the sink. */
static void lock_sink(void)
{
    if (!inside_sink)
        pthread_mutex_lock(&sink_lock);
}

static void unlock_sink(void)
{
    if (!inside_sink)
        pthread_mutex_unlock(&sink_lock);
}

static const char *const level_names[] = {"trace", "debug", "info", "warning", "error", "critical", "off"};
static const char *const level_labels[] = {"TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "OFF"};

/* ANSI colors per level: dim, cyan, green, yellow, red, bold red. */
static const char *const level_colors[] = {"\033[2m",  "\033[36m", "\033[32m",
                                           "\033[33m", "\033[31m", "\033[1;31m"};
#define COLOR_RESET "\033[0m"

static bool level_valid(int level)
{
    return level >= ASYNCZ_LOG_TRACE && level <= ASYNCZ_LOG_OFF;
}

/* ---- levels ------------------------------------------------------------------------------------ */

void asyncz_log_set_level(asyncz_log_level level)
{
    if (level_valid((int)level))
        atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

asyncz_log_level asyncz_log_get_level(void)
{
    return (asyncz_log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

bool asyncz_log_enabled(asyncz_log_level level)
{
    return level_valid((int)level) && level != ASYNCZ_LOG_OFF && (int)level >= (int)asyncz_log_get_level();
}

const char *asyncz_log_level_name(asyncz_log_level level)
{
    return level_valid((int)level) ? level_names[level] : "unknown";
}

int asyncz_log_level_parse(const char *name, asyncz_log_level *out)
{
    if (!name || !out)
        return ASYNCZ_EINVAL;
    if (strcasecmp(name, "warn") == 0) {
        *out = ASYNCZ_LOG_WARNING;
        return 0;
    }
    for (int i = ASYNCZ_LOG_TRACE; i <= ASYNCZ_LOG_OFF; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (asyncz_log_level)i;
            return 0;
        }
    }
    return ASYNCZ_EINVAL;
}

/* ---- sink selection ------------------------------------------------------------------------------ */

/* Release what the current sink owns. Called with sink_lock held (a callback's call may be in progress on
 * this thread: a callback sink owns nothing). */
static void sink_close(void)
{
    if (sink.kind == SINK_FILE && sink.stream)
        fclose(sink.stream);
    if (sink.kind == SINK_SYSLOG)
        closelog();
    sink = (log_sink){.kind = SINK_STDERR, .color = -1};
}

/* Replace the sink by next; a syslog sink opens the log (its ident lives in the sink). */
static void sink_replace(const log_sink *next)
{
    lock_sink();
    sink_close();
    sink = *next;
    if (sink.kind == SINK_SYSLOG)
        openlog(sink.ident, LOG_PID, LOG_USER);
    unlock_sink();
}

void asyncz_log_to_stderr(int color)
{
    sink_replace(&(log_sink){.kind = SINK_STDERR, .color = color < 0 ? -1 : color > 0});
}

int asyncz_log_to_file(const char *path)
{
    if (!path || !*path)
        return ASYNCZ_EINVAL;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return ASYNCZ_EIO;
    FILE *f = fdopen(fd, "a");
    if (!f) {
        close(fd);
        return ASYNCZ_EIO;
    }
    sink_replace(&(log_sink){.kind = SINK_FILE, .stream = f});
    return 0;
}

void asyncz_log_to_syslog(const char *ident)
{
    log_sink next = {.kind = SINK_SYSLOG};
    snprintf(next.ident, sizeof next.ident, "%s", ident ? ident : "asyncz");
    sink_replace(&next);
}

void asyncz_log_to_json(FILE *stream)
{
    if (!stream) {
        asyncz_log_to_stderr(-1);
        return;
    }
    sink_replace(&(log_sink){.kind = SINK_JSON, .stream = stream});
}

void asyncz_log_to_callback(asyncz_log_fn fn, void *userdata)
{
    if (!fn) {
        asyncz_log_to_stderr(-1);
        return;
    }
    sink_replace(&(log_sink){.kind = SINK_CALLBACK, .fn = fn, .userdata = userdata});
}

/* ---- formatting ---------------------------------------------------------------------------------- */

/* The current UTC time as "2026-11-21T05:50:00.123+00:00": always with milliseconds, so lines align. */
static void format_timestamp(char *buf, size_t size)
{
    asyncz_time_t now = asyncz_now();
    int64_t msec = (now % ASYNCZ_USEC_PER_SEC) / ASYNCZ_USEC_PER_MSEC;
    char whole[ASYNCZ_TIME_FORMAT_SIZE];
    int n = asyncz_time_format(whole, sizeof whole, now - now % ASYNCZ_USEC_PER_SEC, NULL);
    /* The UTC suffix is always "+00:00" (six characters); the milliseconds go just before it. */
    if (n < 6 || msec < 0) {
        snprintf(buf, size, "%s", n > 0 ? whole : "?");
        return;
    }
    snprintf(buf, size, "%.*s.%03d%s", n - 6, whole, (int)msec, whole + n - 6);
}

/* Cut a truncated message at a UTF-8 character boundary and mark it, so the line stays valid text. */
static void mark_truncated(char *msg, size_t size)
{
    size_t keep = size - sizeof LOG_TRUNCATION_MARK;
    while (keep > 0 && ((unsigned char)msg[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(msg + keep, LOG_TRUNCATION_MARK, sizeof LOG_TRUNCATION_MARK);
}

static void format_message(char *msg, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(msg, size, fmt, ap);
    if (n < 0)
        snprintf(msg, size, "(unformattable log message)");
    else if ((size_t)n >= size)
        mark_truncated(msg, size);
}

static bool stderr_wants_color(int color)
{
    if (color >= 0)
        return color == 1;
    const char *no_color = getenv("NO_COLOR");
    if (no_color && *no_color)
        return false;
    return isatty(STDERR_FILENO) == 1;
}

/* ---- sinks --------------------------------------------------------------------------------------- */

static void write_text_line(FILE *f, bool color, asyncz_log_level level, const char *logger, const char *msg)
{
    char when[ASYNCZ_TIME_FORMAT_SIZE + 8];
    format_timestamp(when, sizeof when);
    if (color)
        fprintf(f, "%s %s%s%s %s: %s\n", when, level_colors[level], level_labels[level], COLOR_RESET, logger,
                msg);
    else
        fprintf(f, "%s %s %s: %s\n", when, level_labels[level], logger, msg);
    fflush(f);
}

/* Length of the valid UTF-8 sequence at s, or 0 if the bytes there are not one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
    size_t len = s[0] < 0x80                    ? 1
                 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                                : 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0; /* overlong form, or a UTF-16 surrogate */
    if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0; /* overlong form, or past U+10FFFF */
    return len;
}

/* Write s as a JSON string. Invalid UTF-8 becomes U+FFFD, so every line is a valid JSON document. */
static void write_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    while (*p) {
        size_t len = utf8_sequence_length(p);
        if (len == 0) {
            fputs("\\ufffd", f);
            p++;
        } else if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p++);
        } else if (*p < 0x20) {
            fprintf(f, "\\u%04x", *p++);
        } else {
            fwrite(p, 1, len, f);
            p += len;
        }
    }
    fputc('"', f);
}

static void write_json_line(FILE *f, asyncz_log_level level, const char *logger, const char *msg)
{
    char when[ASYNCZ_TIME_FORMAT_SIZE + 8];
    format_timestamp(when, sizeof when);
    fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",\"logger\":", when, level_names[level]);
    write_json_string(f, logger);
    fputs(",\"message\":", f);
    write_json_string(f, msg);
    fputs("}\n", f);
    fflush(f);
}

static int syslog_priority(asyncz_log_level level)
{
    static const int priorities[] = {LOG_DEBUG, LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT};
    return priorities[level];
}

/* Hand one formatted message to the current sink. Called with sink_lock held. */
static void sink_write(asyncz_log_level level, const char *logger, const char *msg)
{
    switch (sink.kind) {
    case SINK_STDERR:
        write_text_line(stderr, stderr_wants_color(sink.color), level, logger, msg);
        break;
    case SINK_FILE:
        write_text_line(sink.stream, false, level, logger, msg);
        break;
    case SINK_SYSLOG:
        syslog(syslog_priority(level), "%s: %s", logger, msg);
        break;
    case SINK_JSON:
        write_json_line(sink.stream, level, logger, msg);
        break;
    case SINK_CALLBACK:
        sink.fn(level, logger, msg, sink.userdata);
        break;
    }
}

void asyncz_log(asyncz_log_level level, const char *logger, const char *fmt, ...)
{
    if (!asyncz_log_enabled(level) || !fmt || inside_sink)
        return;
    int saved_errno = errno; /* logging must not disturb the caller's errno (and %m needs it) */
    char msg[LOG_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    format_message(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&sink_lock);
    inside_sink = true;
    sink_write(level, logger && *logger ? logger : "asyncz", msg);
    inside_sink = false;
    pthread_mutex_unlock(&sink_lock);
    errno = saved_errno;
}

void az_log_after_fork(void)
{
    pthread_mutex_init(&sink_lock, NULL);
}

/* ---- texts for messages ------------------------------------------------------------------------------ */

void az_log_duration(char *buf, size_t size, int64_t usec)
{
    const char *sign = usec < 0 ? "-" : "";
    uint64_t u = usec < 0 ? -(uint64_t)usec : (uint64_t)usec;
    if (u < 1000) {
        snprintf(buf, size, "%s%llu µs", sign, (unsigned long long)u);
        return;
    }
    if (u < 1000000) {
        snprintf(buf, size, "%s%llu ms", sign, (unsigned long long)(u / 1000));
        return;
    }
    if (u < 60000000) {
        snprintf(buf, size, "%s%.2f s", sign, (double)u / 1e6);
        return;
    }
    /* Whole seconds from here: the three largest units from the first one that is not zero. */
    static const struct {
        uint64_t sec;
        const char *name;
    } units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    uint64_t left = u / 1000000;
    size_t used = (size_t)snprintf(buf, size, "%s", sign);
    int shown = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && shown < 3 && used < size; i++) {
        uint64_t n = left / units[i].sec;
        left %= units[i].sec;
        if (n == 0 && shown == 0)
            continue;
        used += (size_t)snprintf(buf + used, size - used, "%s%llu%s", shown ? " " : "", (unsigned long long)n,
                                 units[i].name);
        shown++;
    }
}

void az_log_time(char *buf, size_t size, int64_t usec)
{
    if (asyncz_time_format(buf, size, usec, NULL) < 0)
        snprintf(buf, size, "%lld µs since 1970", (long long)usec);
}
