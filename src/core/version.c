/* The version of the linked library, for comparison with the headers a program was built against. */
#include "asyncz/common.h"

const char *asyncz_version(void)
{
    return ASYNCZ_VERSION_STRING;
}
