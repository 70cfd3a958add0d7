/* The tasks the store tests add (see az_test.h): one copy for the conformance and persistent-store suites
 * and the backends' own tests. */
#include <stdlib.h>

#include "asyncz/sys/store.h"
#include "az_test.h"

asyncz_task *az_test_task(const char *id, asyncz_time_t when)
{
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, "job"), 0);
    if (id)
        assert_int_equal(asyncz_task_set_id(t, id), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, when), 0);
    return t;
}

void az_test_add(asyncz_store *st, const char *id, asyncz_time_t when)
{
    asyncz_task *t = az_test_task(id, when);
    int rc = ASYNCZ_STORE_BASE(st)->ops->add(st, t);
    if (rc)
        fail_msg("add %s: %s: %s", id ? id : "(no id)", asyncz_strerror(rc), asyncz_store_errmsg());
    asyncz_task_free(t);
}
