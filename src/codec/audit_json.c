/* Audit entries to and from their stored JSON document (audit_codec.h). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "asyncz/error.h"
#include "codec/audit_codec.h"
#include "core/audit.h"

int az_audit_encode(const asyncz_audit_entry *e, char **out, size_t *len)
{
    json_t *changes = json_loads(e->changes ? e->changes : "{}", JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(changes)) {
        json_decref(changes);
        return ASYNCZ_EINVAL;
    }
    json_t *doc = json_pack("{sisssIsssssssssIso}", "v", AZ_AUDIT_DOC_VERSION, "id", e->id, "at",
                            (json_int_t)e->at, "action", asyncz_audit_action_name(e->action), "task_id",
                            e->task_id ? e->task_id : "", "actor", e->actor ? e->actor : "", "host",
                            e->host ? e->host : "", "pid", (json_int_t)e->pid, "changes", changes);
    if (!doc)
        return ASYNCZ_EINVAL;
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return ASYNCZ_ENOMEM;
    *out = text;
    *len = strlen(text);
    return 0;
}

static int bad(char *why, size_t size, const char *what)
{
    snprintf(why, size, "audit document: %s", what);
    return ASYNCZ_EPARSE;
}

int az_audit_decode(const char *text, size_t len, asyncz_audit_entry *e, char *why, size_t size)
{
    memset(e, 0, sizeof *e);
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    json_int_t v = 0, at = 0, pid = 0;
    const char *id = NULL, *action = NULL, *task_id = NULL, *actor = NULL, *host = NULL;
    json_t *changes = NULL;
    if (!doc || json_unpack(doc, "{sI sI ss ss ss ss s?s sI so}", "v", &v, "at", &at, "id", &id, "action",
                            &action, "task_id", &task_id, "actor", &actor, "host", &host, "pid", &pid,
                            "changes", &changes) != 0) {
        json_decref(doc);
        return bad(why, size, "not an object with v, id, at, action, task_id, actor, host, pid, changes");
    }
    asyncz_audit_entry view = {.at = at, .task_id = task_id, .actor = actor, .host = host, .pid = pid};
    int rc = 0;
    if (v != AZ_AUDIT_DOC_VERSION)
        rc = bad(why, size, "an unknown version");
    else if (strlen(id) != ASYNCZ_RUN_ID_SIZE - 1)
        rc = bad(why, size, "\"id\" is not an entry id");
    else if (asyncz_audit_action_parse(action, &view.action) != 0)
        rc = bad(why, size, "\"action\" is not a known action");
    else if (!json_is_object(changes))
        rc = bad(why, size, "\"changes\" is not an object");
    char *changes_text = rc ? NULL : json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS);
    if (rc == 0 && !changes_text)
        rc = ASYNCZ_ENOMEM;
    if (rc == 0) {
        memcpy(view.id, id, ASYNCZ_RUN_ID_SIZE);
        view.changes = changes_text;
        rc = az_audit_entry_copy_into(e, &view);
    }
    free(changes_text);
    json_decref(doc);
    return rc;
}
