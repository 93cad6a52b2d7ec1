/*
 * test_store.c - migrations, dedup, plans, policy state, persistence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mem.h"
#include "store.h"
#include "testsupport.h"

static char path[256];

static void
setup(void)
{
    ts_db_path(path, sizeof(path), "/tmp", "store");
}

static void
teardown(void)
{
    ts_db_remove(path);
}

START_TEST(open_migrates_and_is_wal)
{
    struct store *s = NULL;
    struct dg_err err;
    ck_assert_int_eq(store_open(path, STORE_SYNC_FULL, &s, &err), DG_OK);
    ck_assert_int_eq(store_schema_version(s), store_schema_latest());
    ck_assert_int_ge(store_schema_latest(), 1);
    ck_assert_int_eq(store_integrity_ok(s), 1);
    store_close(s);
    /* journal mode persists in the file */
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}
END_TEST

START_TEST(dedup_survives_reopen)
{
    struct store *s = NULL;
    struct dg_err err;
    int is_new = -1;
    ck_assert_int_eq(store_open(path, STORE_SYNC_FULL, &s, &err), DG_OK);
    ck_assert_int_eq(store_begin(s, &err), DG_OK);
    ck_assert_int_eq(store_message_seen(s, "eb:1", "sqs", 10, &is_new, &err),
                     DG_OK);
    ck_assert_int_eq(is_new, 1);
    ck_assert_int_eq(store_message_seen(s, "eb:1", "sqs", 11, &is_new, &err),
                     DG_OK);
    ck_assert_int_eq(is_new, 0);
    ck_assert_int_eq(store_commit(s, &err), DG_OK);
    /* a rolled-back insert is not remembered */
    ck_assert_int_eq(store_begin(s, &err), DG_OK);
    ck_assert_int_eq(store_message_seen(s, "eb:2", "sqs", 12, &is_new, &err),
                     DG_OK);
    store_rollback(s);
    store_close(s);
    ck_assert_int_eq(store_open(path, STORE_SYNC_FULL, &s, &err), DG_OK);
    ck_assert_int_eq(store_message_seen(s, "eb:1", "sqs", 13, &is_new, &err),
                     DG_OK);
    ck_assert_int_eq(is_new, 0);
    ck_assert_int_eq(store_message_seen(s, "eb:2", "sqs", 13, &is_new, &err),
                     DG_OK);
    ck_assert_int_eq(is_new, 1);
    ck_assert_int_eq(store_count(s, "messages"), 2);
    ck_assert_int_eq(store_count(s, "nope"), -1);
    store_close(s);
}
END_TEST

START_TEST(plans_and_policy_state)
{
    struct store *s = NULL;
    struct dg_err err;
    char *out = NULL;
    ck_assert_int_eq(store_open(path, STORE_SYNC_FULL, &s, &err), DG_OK);
    ck_assert_int_eq(store_policy_state_get(s, &out, &err), DG_OK);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(store_policy_state_put(s, "{\"a\":1}", 5, &err), DG_OK);
    ck_assert_int_eq(store_policy_state_put(s, "{\"a\":2}", 6, &err), DG_OK);
    ck_assert_int_eq(store_policy_state_get(s, &out, &err), DG_OK);
    ck_assert_str_eq(out, "{\"a\":2}");
    dg_free(out);
    ck_assert_int_eq(store_plan_put(s, "plan-1", "sha256:aa", "planned",
                                    "proposed", "{}", 1, &err),
                     DG_OK);
    ck_assert_int_eq(store_plan_put(s, "plan-1", "sha256:aa", "planned",
                                    "approved", "{}", 2, &err),
                     DG_OK);
    ck_assert_int_eq(store_plan_state(s, "plan-1", &out, &err), DG_OK);
    ck_assert_str_eq(out, "approved");
    dg_free(out);
    ck_assert_int_eq(store_plan_state(s, "plan-x", &out, &err), DG_OK);
    ck_assert_ptr_null(out);
    /* a second plan may not reuse a digest */
    ck_assert_int_ne(store_plan_put(s, "plan-2", "sha256:aa", "planned",
                                    "proposed", "{}", 3, &err),
                     DG_OK);
    ck_assert_int_eq(store_decision_add(s, 1, "hold", "{}", &err), DG_OK);
    ck_assert_int_eq(store_count(s, "decisions"), 1);
    ck_assert_int_eq(store_count(s, "plans"), 1);
    store_close(s);
}
END_TEST

START_TEST(newer_schema_refused)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
             store_schema_latest() + 1);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct store *s = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(store_open(path, STORE_SYNC_FULL, &s, &err), DG_EFATAL);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err.msg, "newer than this drgate"));
}
END_TEST

START_TEST(unopenable_path_is_an_error)
{
    struct store *s = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_ne(
        store_open("/nonexistent-dir/x.db", STORE_SYNC_FULL, &s, &err), DG_OK);
    ck_assert_ptr_null(s);
    ck_assert_int_gt(strlen(err.msg), 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, open_migrates_and_is_wal);
    tcase_add_test(tc, dedup_survives_reopen);
    tcase_add_test(tc, plans_and_policy_state);
    tcase_add_test(tc, newer_schema_refused);
    tcase_add_test(tc, unopenable_path_is_an_error);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
