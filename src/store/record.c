/* Tasks to records and back (see record.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "codec/task_decode.h"
#include "core/task_internal.h"
#include "store/record.h"

asyncz_time_t az_record_next_run_time(const asyncz_task *task)
{
    return task->has_next ? task->next_run_time : ASYNCZ_TIME_NONE;
}

int az_record_encode(const az_sealer *sealer, const asyncz_task *task, unsigned char **out, size_t *len)
{
    char *doc = NULL;
    size_t doc_len = 0;
    int rc = asyncz_task_to_json(task, &doc, &doc_len);
    if (rc)
        return rc;
    if (!sealer->enabled) {
        *out = (unsigned char *)doc;
        *len = doc_len;
        return 0;
    }
    rc = az_seal(sealer, task->id, (const unsigned char *)doc, doc_len, out, len);
    free(doc);
    return rc;
}

/* The plaintext document of a record: the bytes themselves, or the opened envelope (*owned set). */
static int open_record(const az_sealer *sealer, const char *id, const unsigned char *data, size_t len,
                       const unsigned char **doc, size_t *doc_len, unsigned char **owned, char *reason,
                       size_t size)
{
    bool sealed = az_seal_looks_sealed(data, len);
    *owned = NULL;
    if (sealed && !sealer->enabled) {
        snprintf(reason, size, "the record is sealed but " ASYNCZ_STORE_KEY_ENV " is not set");
        return AZ_RECORD_NO_KEY;
    }
    if (!sealed && sealer->enabled) {
        snprintf(reason, size, "the record is not sealed although " ASYNCZ_STORE_KEY_ENV " is set");
        return ASYNCZ_ECRYPTO;
    }
    if (!sealed) {
        *doc = data;
        *doc_len = len;
        return 0;
    }
    int rc = az_unseal(sealer, id, data, len, owned, doc_len);
    if (rc == ASYNCZ_ECRYPTO)
        snprintf(reason, size,
                 "the sealed record does not open: another key, altered bytes, or a record of another task");
    *doc = *owned;
    return rc;
}

/* A valid document that must also agree with where it was found. */
static int check_place(const asyncz_task *t, const char *id, asyncz_time_t next_run_time, char *reason,
                       size_t size)
{
    if (strcmp(t->id, id) != 0) {
        snprintf(reason, size, "the document is the task \"%.64s\", stored under another id", t->id);
        return ASYNCZ_ESTATE;
    }
    if (az_record_next_run_time(t) != next_run_time) {
        snprintf(reason, size, "the index says next run time %lld but the document says %lld",
                 (long long)next_run_time, (long long)az_record_next_run_time(t));
        return ASYNCZ_ESTATE;
    }
    return 0;
}

int az_record_decode(const az_sealer *sealer, const char *id, asyncz_time_t next_run_time,
                     const unsigned char *data, size_t len, const char *alias, az_trigger_memo *memo,
                     asyncz_task **out, char *reason, size_t size)
{
    const unsigned char *doc = NULL;
    size_t doc_len = 0;
    unsigned char *owned = NULL;
    *out = NULL;
    int rc = open_record(sealer, id, data, len, &doc, &doc_len, &owned, reason, size);
    asyncz_doc_error err = {0};
    if (!rc) {
        rc = az_task_from_json_memo(out, (const char *)doc, doc_len, memo, &err);
        if (rc && rc != ASYNCZ_ENOMEM) {
            char where[300];
            asyncz_doc_error_format(&err, where, sizeof where);
            if (az_record_zone_missing(rc)) /* the document is fine: this host lacks its zone */
                snprintf(reason, size, "%s", where);
            else
                snprintf(reason, size, "the task document is invalid: %s", where);
        }
    }
    if (owned) {
        memset(owned, 0, doc_len);
        free(owned);
    }
    if (!rc && (rc = check_place(*out, id, next_run_time, reason, size)) == 0 && alias &&
        strcmp(alias, "default") != 0)
        rc = asyncz_task_set_store(*out, alias);
    if (rc && *out) {
        asyncz_task_free(*out);
        *out = NULL;
    }
    return rc;
}

bool az_record_zone_missing(int rc)
{
    return rc == ASYNCZ_EZONE || rc == ASYNCZ_ETZDATA;
}

/* The plaintext as a NUL-terminated copy (documents may be shown or written out by the caller). */
static int copy_document(const unsigned char *doc, size_t doc_len, char **out)
{
    *out = malloc(doc_len + 1);
    if (!*out)
        return ASYNCZ_ENOMEM;
    memcpy(*out, doc, doc_len);
    (*out)[doc_len] = '\0';
    return 0;
}

int az_record_open_quarantined(const az_sealer *sealer, const char *id, const unsigned char *data, size_t len,
                               char **document, size_t *doc_len, asyncz_task **out, char *reason, size_t size)
{
    const unsigned char *doc = NULL;
    unsigned char *owned = NULL;
    *out = NULL;
    *document = NULL;
    *doc_len = 0;
    bool sealed = az_seal_looks_sealed(data, len);
    /* A plaintext record while a key is set is refused below, but its document can still be shown. */
    int rc = !sealed && sealer->enabled
                 ? 0
                 : open_record(sealer, id, data, len, &doc, doc_len, &owned, reason, size);
    if (!sealed && sealer->enabled) {
        doc = data;
        *doc_len = len;
    }
    if (!rc && doc)
        rc = copy_document(doc, *doc_len, document);
    if (owned) {
        memset(owned, 0, *doc_len);
        free(owned);
    }
    if (!*document)
        *doc_len = 0; /* nothing opened: no length to go with it */
    if (rc)
        return rc;
    if (!sealed && sealer->enabled) {
        snprintf(reason, size, "the record is not sealed although " ASYNCZ_STORE_KEY_ENV " is set");
        return ASYNCZ_ECRYPTO;
    }
    asyncz_doc_error err = {0};
    rc = az_task_from_json_memo(out, *document, *doc_len, NULL, &err);
    if (rc && rc != ASYNCZ_ENOMEM) {
        char where[300];
        asyncz_doc_error_format(&err, where, sizeof where);
        snprintf(reason, size, "the task document is invalid: %s", where);
    }
    if (!rc && strcmp((*out)->id, id) != 0) {
        snprintf(reason, size, "the document is the task \"%.64s\", stored under another id", (*out)->id);
        rc = ASYNCZ_ESTATE;
    }
    if (rc && *out) {
        asyncz_task_free(*out);
        *out = NULL;
    }
    return rc;
}

bool az_record_quarantines(int rc)
{
    return rc != 0 && rc != ASYNCZ_ENOMEM && rc != AZ_RECORD_NO_KEY && !az_record_zone_missing(rc);
}

/* ---- instances --------------------------------------------------------------------------------- */

static json_t *running_json(const asyncz_instance *inst)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < inst->n_running; i++) {
        json_t *one = json_pack("{s:s, s:I}", "task", inst->running[i].task_id, "run_time",
                                (json_int_t)inst->running[i].run_time);
        if (!one || json_array_append_new(arr, one) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

int az_instance_encode(const asyncz_instance *inst, char **out, size_t *len)
{
    json_t *running = running_json(inst);
    json_t *doc =
        running ? json_pack("{s:i, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:o}", "v", 1, "id", inst->id,
                            "hostname", inst->hostname ? inst->hostname : "", "pid", (json_int_t)inst->pid,
                            "version", inst->version ? inst->version : "", "started_at",
                            (json_int_t)inst->started_at, "heartbeat_at", (json_int_t)inst->heartbeat_at,
                            "expires_at", (json_int_t)inst->expires_at, "running", running)
                : NULL;
    if (!doc)
        return ASYNCZ_ENOMEM;
    *out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!*out)
        return ASYNCZ_ENOMEM;
    *len = strlen(*out);
    return 0;
}

static int decode_running(json_t *arr, az_instance_doc *out)
{
    size_t n = json_array_size(arr);
    out->running = n ? calloc(n, sizeof *out->running) : NULL;
    if (n && !out->running)
        return ASYNCZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_int_t t = 0;
        const char *task = NULL;
        if (json_unpack(json_array_get(arr, i), "{s:s, s:I}", "task", &task, "run_time", &t) != 0)
            return ASYNCZ_EPARSE;
        out->running[i] = (asyncz_inflight){.task_id = task, .run_time = t};
    }
    out->inst.running = out->running;
    out->inst.n_running = n;
    return 0;
}

int az_instance_decode(const unsigned char *data, size_t len, az_instance_doc *out)
{
    *out = (az_instance_doc){0};
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return ASYNCZ_EPARSE;
    out->root = root;
    json_int_t v = 0, pid = 0, started = 0, beat = 0, expires = 0;
    json_t *running = NULL;
    asyncz_instance *i = &out->inst;
    int rc = json_unpack(root, "{s:I, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:o}", "v", &v, "id", &i->id,
                         "hostname", &i->hostname, "pid", &pid, "version", &i->version, "started_at",
                         &started, "heartbeat_at", &beat, "expires_at", &expires, "running", &running) == 0 &&
                     v == 1 && json_is_array(running)
                 ? decode_running(running, out)
                 : ASYNCZ_EPARSE;
    i->pid = pid;
    i->started_at = started;
    i->heartbeat_at = beat;
    i->expires_at = expires;
    if (rc)
        az_instance_doc_free(out);
    return rc;
}

void az_instance_doc_free(az_instance_doc *doc)
{
    free(doc->running);
    json_decref(doc->root);
    *doc = (az_instance_doc){0};
}
