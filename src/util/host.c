/* This machine's host name, once per process (host.h): run records and audit entries name the host of
 * every write, and a lookup per write would be a system call on every flush. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "util/host.h"

static char host[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void look_up(void)
{
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "unknown");
}

const char *az_host_name(void)
{
    pthread_once(&once, look_up);
    return host;
}
