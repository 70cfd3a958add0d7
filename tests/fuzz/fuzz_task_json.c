/* libFuzzer target: the task document and the trigger document. The input is read as both; whatever is
 * accepted must write, read back, and write again to the same bytes (the writer's output is a fixed point
 * of reading). A refusal must say why. Writing may only fail with ASYNCZ_ETOOBIG, when the canonical form
 * of an accepted document grows past the size limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "fuzz_common.h"

static void check_refusal(int rc, const asyncz_doc_error *err)
{
    if (rc >= 0 || err->reason[0] == '\0' || err->line < 0 || err->column < 0)
        abort();
}

static void check_task(const uint8_t *data, size_t size)
{
    asyncz_task *task = NULL;
    asyncz_doc_error err;
    int rc = asyncz_task_from_json(&task, (const char *)data, size, &err);
    if (rc < 0) {
        check_refusal(rc, &err);
        return;
    }
    char *first = NULL, *second = NULL;
    size_t first_len = 0, second_len = 0;
    rc = asyncz_task_to_json(task, &first, &first_len);
    asyncz_task_free(task);
    if (rc == ASYNCZ_ETOOBIG)
        return;
    if (rc < 0 || asyncz_task_from_json(&task, first, first_len, &err) < 0)
        abort();
    if (asyncz_task_to_json(task, &second, &second_len) < 0 || first_len != second_len ||
        memcmp(first, second, first_len) != 0)
        abort();
    asyncz_task_free(task);
    free(first);
    free(second);
}

static void check_trigger(const uint8_t *data, size_t size)
{
    asyncz_trigger *trigger = NULL;
    asyncz_doc_error err;
    int rc = asyncz_trigger_from_json(&trigger, (const char *)data, size, &err);
    if (rc < 0) {
        check_refusal(rc, &err);
        return;
    }
    char *first = NULL, *second = NULL;
    size_t first_len = 0, second_len = 0;
    rc = asyncz_trigger_to_json(trigger, &first, &first_len);
    asyncz_trigger_unref(trigger);
    if (rc == ASYNCZ_ETOOBIG)
        return;
    if (rc < 0 || asyncz_trigger_from_json(&trigger, first, first_len, &err) < 0)
        abort();
    if (asyncz_trigger_to_json(trigger, &second, &second_len) < 0 || first_len != second_len ||
        memcmp(first, second, first_len) != 0)
        abort();
    asyncz_trigger_unref(trigger);
    free(first);
    free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_task(data, size);
    check_trigger(data, size);
    return 0;
}
