/* The versioned public option structs (docs/design.md, "Option structs"): asyncz_scheduler_options,
 * asyncz_trigger_options, asyncz_processpool_options. Each starts with `uint32_t version`; each version's
 * layout ends at a known size, and a new field goes at the end with a new version. */
#ifndef AZ_UTIL_OPTIONS_H
#define AZ_UTIL_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Whether version is one of 1..newest. If not, write into why (size bytes) what is wrong with the struct
 * named name, whose init function is init, and return -1; else return 0. */
int az_options_version_problem(const char *name, const char *init, uint32_t version, uint32_t newest,
                               char *why, size_t size);

/* Copy what the caller's version of a struct holds over *out, which holds the defaults: the first
 * sizes[version] bytes of in (version known: checked first), then set out's version to newest. */
void az_options_copy(void *out, const void *in, const size_t *sizes, uint32_t newest);

/* The body of every asyncz_*_init_version: fill the caller's struct of layout `version` (known: checked
 * first) with the first sizes[version] bytes of defaults, then set its version. Nothing past that layout is
 * written. */
void az_options_fill(void *out, const void *defaults, const size_t *sizes, uint32_t version);

#endif
