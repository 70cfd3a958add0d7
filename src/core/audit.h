/* The audit trail's model and recording, shared by the store API, the scheduler and the stores (audit.c).
 * Internal. */
#ifndef AZ_CORE_AUDIT_H
#define AZ_CORE_AUDIT_H

#include "asyncz/audit.h"
#include "asyncz/sys/store.h"

/* The store's two audit ops when it has them both (a table of version 4 or later), else false. */
bool az_store_has_audit(const asyncz_store_ops *ops);

/* Check a query and copy it into *out as the library's version, limit filled in, cursor "" when none.
 * NULL: the defaults. Errors: ASYNCZ_EINVAL with why in why (size bytes). */
int az_audit_query_read(const asyncz_audit_query *in, asyncz_audit_query *out, char *why, size_t size);

/* Whether e matches q's filters (task, actor, actions, time range; not the cursor or limit). */
bool az_audit_matches(const asyncz_audit_entry *e, const asyncz_audit_query *q);

/* Deep-copy src into dst (its strings owned). Errors: ASYNCZ_ENOMEM (dst then holds nothing to free). */
int az_audit_entry_copy_into(asyncz_audit_entry *dst, const asyncz_audit_entry *src);
/* Free what dst owns and zero it. */
void az_audit_entry_clear(asyncz_audit_entry *e);

/* Record in st's audit trail, when it keeps one, that this thread's actor did `action` to task_id: before
 * and after are the task as it was and as it now is (borrowed; NULL before an add, after a remove). The
 * changes are the fields of their documents that differ. Called where the change was written, with what
 * serialises calls into st held (the scheduler's slot io, or nothing for the store API). A failure is
 * logged (logger "asyncz.audit") and otherwise ignored: the change itself was made. */
void az_audit_task_change(asyncz_store *st, asyncz_audit_action action, const char *task_id,
                          const asyncz_task *before, const asyncz_task *after);

#endif
