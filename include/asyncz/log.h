/* Leveled, named logging (docs/design.md, Error channels).
 *
 * Messages have a level and a logger name per component ("asyncz.scheduler", "asyncz.store.redis"). They
 * go to one sink at a time: stderr (the default; colored on a terminal unless NO_COLOR is set), a file,
 * syslog, JSON lines on a stream, or a user callback. The library prints nothing below WARNING unless the
 * level is lowered. All functions are thread-safe; configure the sink before starting threads that log.
 */
#ifndef ASYNCZ_LOG_H
#define ASYNCZ_LOG_H

#include <stdio.h>

#include "asyncz/common.h"

ASYNCZ_BEGIN_DECLS

typedef enum asyncz_log_level {
    ASYNCZ_LOG_TRACE = 0,
    ASYNCZ_LOG_DEBUG = 1,
    ASYNCZ_LOG_INFO = 2,
    ASYNCZ_LOG_WARNING = 3,
    ASYNCZ_LOG_ERROR = 4,
    ASYNCZ_LOG_CRITICAL = 5,
    ASYNCZ_LOG_OFF = 6,
} asyncz_log_level;

/* A user sink. logger and message are borrowed and valid only during the call. It may be called from any
 * thread, never concurrently with itself (the logger's lock is held during the call; other threads that
 * log wait for it).
 *
 * What a sink may call: the log API only. asyncz_log (and so anything that logs) from inside the sink is
 * dropped on that thread; asyncz_log_set_level takes effect at once; asyncz_log_to_* replaces the sink
 * (this call keeps its arguments; the next message goes to the new sink). A sink must NOT call scheduler
 * or store functions, or anything that waits for them: the library logs while holding the scheduler's
 * lock, a store's lock or an executor's lock, on the thread that then calls the sink, so such a call can
 * deadlock. Nor may it wait for another thread that logs. */
typedef void (*asyncz_log_fn)(asyncz_log_level level, const char *logger, const char *message,
                              void *userdata);

/* The lowest level that is emitted (default ASYNCZ_LOG_WARNING). */
ASYNCZ_API void asyncz_log_set_level(asyncz_log_level level);
ASYNCZ_API asyncz_log_level asyncz_log_get_level(void);

/* Parse "trace", "debug", "info", "warning" (or "warn"), "error", "critical", "off" (any case).
 * Errors: ASYNCZ_EINVAL. */
ASYNCZ_API int asyncz_log_level_parse(const char *name, asyncz_log_level *out);

/* The lower-case name of a level ("warning"). Static storage. */
ASYNCZ_API const char *asyncz_log_level_name(asyncz_log_level level);

/* Sinks: each call replaces the current sink (closing a file the previous one opened). Called from a
 * thread other than the sink's, it waits until a call of the old sink in progress has returned: after it
 * returns, the old sink is not called again and its userdata may be freed. Called from inside the sink
 * (see asyncz_log_fn), it does not wait for that call, which goes on to its end.
 * stderr: color 1 = always, 0 = never, -1 = on a terminal unless NO_COLOR is set.
 * file: appended to, created with mode 0640; path borrowed. Errors: ASYNCZ_EIO (cannot open).
 * syslog: ident borrowed (NULL: "asyncz"); levels map to syslog priorities.
 * json: one JSON object per line on `stream` (borrowed; the caller keeps it open):
 *       {"time":"...","level":"info","logger":"asyncz.scheduler","message":"..."}.
 * callback: fn and userdata as above; fn NULL restores the stderr sink. */
ASYNCZ_API void asyncz_log_to_stderr(int color);
ASYNCZ_API int asyncz_log_to_file(const char *path);
ASYNCZ_API void asyncz_log_to_syslog(const char *ident);
ASYNCZ_API void asyncz_log_to_json(FILE *stream);
ASYNCZ_API void asyncz_log_to_callback(asyncz_log_fn fn, void *userdata);

/* Emit a message (printf format) if level is enabled. logger: borrowed component name. */
ASYNCZ_API void asyncz_log(asyncz_log_level level, const char *logger, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether a level would be emitted (cheap; use it to skip building expensive messages). */
ASYNCZ_API bool asyncz_log_enabled(asyncz_log_level level);

ASYNCZ_END_DECLS

#endif
