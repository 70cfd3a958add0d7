/* What the rest of the library needs from the logger beyond the public API. */
#ifndef AZ_LOG_INTERNAL_H
#define AZ_LOG_INTERNAL_H

/* In a child just forked from a threaded process: make the logger's lock usable again (another thread of
 * the parent may have held it at the moment of the fork). */
void az_log_after_fork(void);

#include <stddef.h>
#include <stdint.h>

/* Room for the texts below. */
#define AZ_LOG_TEXT_SIZE 64

/* For messages: a duration as a person reads it ("250 ms", "3.01 s", "12m 3s", "2532d 5h 12m"). */
void az_log_duration(char *buf, size_t size, int64_t usec);

/* For messages: an instant (µs since the epoch) as ISO-8601 in UTC. */
void az_log_time(char *buf, size_t size, int64_t usec);

#endif
