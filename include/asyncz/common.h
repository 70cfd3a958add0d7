/* Shared definitions for the public headers: the export macro and the library version query. */
#ifndef ASYNCZ_COMMON_H
#define ASYNCZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asyncz/version.h"

#if defined(ASYNCZ_BUILDING)
#define ASYNCZ_API __attribute__((visibility("default")))
#else
#define ASYNCZ_API
#endif

#ifdef __cplusplus
#define ASYNCZ_BEGIN_DECLS extern "C" {
#define ASYNCZ_END_DECLS }
#else
#define ASYNCZ_BEGIN_DECLS
#define ASYNCZ_END_DECLS
#endif

ASYNCZ_BEGIN_DECLS

/* The version of the library actually linked, as "MAJOR.MINOR.PATCH" (static storage). Compare with
 * ASYNCZ_VERSION_STRING to detect a header/library mismatch. */
ASYNCZ_API const char *asyncz_version(void);

ASYNCZ_END_DECLS

#endif
