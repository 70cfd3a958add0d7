/* The journals of a record backend (backend.h): their names. */
#include "store/backend.h"

const char *az_journal_name(az_journal j)
{
    return j == AZ_JOURNAL_AUDIT ? "audit" : "runs";
}
