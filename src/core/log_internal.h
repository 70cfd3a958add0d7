/* What the rest of the library needs from the logger beyond the public API. */
#ifndef AZ_LOG_INTERNAL_H
#define AZ_LOG_INTERNAL_H

/* In a child just forked from a threaded process: make the logger's lock usable again (another thread of
 * the parent may have held it at the moment of the fork). */
void az_log_after_fork(void);

#endif
