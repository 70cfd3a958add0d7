/* The real-time clock. */
#include <time.h>

#include "asyncz/time.h"

asyncz_time_t asyncz_now(void)
{
    struct timespec ts;
    /* CLOCK_REALTIME cannot fail with a valid pointer; a zeroed value is the safe answer if it ever did. */
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (asyncz_time_t)ts.tv_sec * ASYNCZ_USEC_PER_SEC + ts.tv_nsec / 1000;
}
