/* The one list of the store conformance tests (store_conformance.c), as an X-macro: X(NAME) for each.
 * store_conformance.h declares them from it and makes AZ_STORE_CONFORMANCE_TESTS, the entries of a cmocka
 * table, from it; tests/CMakeLists.txt reads the names from it (one X(NAME) per line) to make each test of a
 * program that lists AZ_STORE_CONFORMANCE_TESTS its own CTest test. A new conformance test is one line here
 * (and its body in store_conformance.c): every store's program runs it. */
#ifndef AZ_STORE_CONFORMANCE_LIST_H
#define AZ_STORE_CONFORMANCE_LIST_H

// clang-format off
#define AZ_STORE_CONFORMANCE_LIST(X) \
    /* Basic operations. */ \
    X(conformance_empty_store) \
    X(conformance_add_lookup) \
    X(conformance_add_duplicate) \
    X(conformance_update) \
    X(conformance_update_missing) \
    X(conformance_remove) \
    X(conformance_remove_missing) \
    X(conformance_remove_all) \
    X(conformance_count) \
    /* Order. */ \
    X(conformance_order_microseconds) \
    X(conformance_order_ties_insertion) \
    X(conformance_order_update_reschedules) \
    X(conformance_order_paused_last) \
    X(conformance_list_stops) \
    X(conformance_list_reentrant) \
    /* Due and earliest. */ \
    X(conformance_due) \
    X(conformance_due_max) \
    X(conformance_due_excludes_claimed) \
    X(conformance_due_stops) \
    X(conformance_earliest) \
    X(conformance_earliest_lease) \
    /* Claims. */ \
    X(conformance_claim_max) \
    X(conformance_claim_tokens_increase) \
    X(conformance_claim_lease) \
    X(conformance_claim_nothing_due) \
    X(conformance_release_update) \
    X(conformance_release_remove) \
    X(conformance_release_stale_token) \
    X(conformance_release_twice) \
    X(conformance_release_repeat_after_change) \
    X(conformance_release_unclaimed) \
    X(conformance_release_after_update) \
    X(conformance_release_after_remove) \
    /* Adding many at once (asyncz_store_add_tasks). */ \
    X(conformance_add_many) \
    X(conformance_add_many_order) \
    X(conformance_add_many_conflict) \
    X(conformance_add_many_duplicate) \
    X(conformance_add_many_invalid) \
    /* The public store API (store_api_conformance.c). */ \
    X(conformance_api_get_task) \
    X(conformance_api_add_task) \
    X(conformance_api_update_task) \
    X(conformance_api_remove_task) \
    X(conformance_api_pause_task) \
    X(conformance_api_resume_task) \
    X(conformance_api_resume_exhausted) \
    X(conformance_api_request_run) \
    X(conformance_api_list_filters) \
    X(conformance_api_list_sort_limit) \
    /* Volume, text, threads. */ \
    X(conformance_many_tasks) \
    X(conformance_non_ascii) \
    X(conformance_threads) \
    /* Run history (history_conformance.c; skipped by a store without the history ops). */ \
    X(history_record_and_complete) \
    X(history_get_missing) \
    X(history_filters) \
    X(history_pagination) \
    X(history_list_stops) \
    X(history_retention_per_task) \
    X(history_prune_bounded) \
    X(history_prune_age) \
    X(history_mark_lost) \
    X(history_output) \
    X(history_batch) \
    X(history_batch_repeats) \
    /* The audit trail (audit_conformance.c; skipped by a store without the audit ops). */ \
    X(audit_record_and_filter) \
    X(audit_pagination) \
    X(audit_refuses_bad_entries) \
    X(audit_store_api_records) \
    X(audit_actor_checks)
// clang-format on

#endif
