/* See options.h. */
#include "util/options.h"

#include <stdio.h>
#include <string.h>

#include "asyncz/common.h"

int az_options_version_problem(const char *name, const char *init, uint32_t version, uint32_t newest,
                               char *why, size_t size)
{
    if (version == 0)
        snprintf(why, size, "%s.version is 0: fill the options with %s() before setting them", name, init);
    else if (version > newest)
        snprintf(why, size,
                 "%s.version is %u, but this library (asyncz %s) knows versions up to %u: the program was "
                 "built against a newer asyncz header than the library it runs with; run it with that "
                 "library or rebuild it",
                 name, (unsigned)version, asyncz_version(), (unsigned)newest);
    else
        return 0;
    return -1;
}

void az_options_fill(void *out, const void *defaults, const size_t *sizes, uint32_t version)
{
    memcpy(out, defaults, sizes[version]);
    memcpy(out, &version, sizeof version); /* the first member of every version */
}

void az_options_copy(void *out, const void *in, const size_t *sizes, uint32_t newest)
{
    uint32_t version;
    memcpy(&version, in, sizeof version); /* the first member of every version */
    memcpy(out, in, sizes[version]);
    memcpy(out, &newest, sizeof newest);
}
