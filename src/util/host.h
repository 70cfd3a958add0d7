/* This machine's host name, looked up once per process (host.c). Internal. */
#ifndef AZ_UTIL_HOST_H
#define AZ_UTIL_HOST_H

/* The host name (gethostname), or "unknown" when it cannot be had. Static storage, any thread: the first
 * call looks it up, later ones return it. */
const char *az_host_name(void);

#endif
