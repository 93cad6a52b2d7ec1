/*
 * test_audit.c - the chain verifier: a clean chain verifies, and edited,
 * dropped, reordered and inserted records are each named.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "events.h"
#include "json.h"
#include "mem.h"
#include "testsupport.h"

#define N 6
static char *chain[N];

static void
setup(void)
{
    dg_mem_init();
    char prev[DG_SHA256_HEX_LEN + 1] = EVENTS_GENESIS;
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof(id), "ev-%d", i + 1);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "n", i);
        cJSON *ev = events_new("t", EVENTS_DECISION_MADE, id, 1000 * i, id, d);
        char h[DG_SHA256_HEX_LEN + 1];
        struct dg_err err;
        chain[i] = events_seal(ev, i + 1, prev, h, &err);
        ck_assert_ptr_nonnull(chain[i]);
        memcpy(prev, h, sizeof(prev));
        cJSON_Delete(ev);
    }
}

static void
teardown(void)
{
    for (int i = 0; i < N; i++)
        dg_free(chain[i]);
}

/* Runs the verifier over lines given as indexes into chain (-1 = the
 * replacement text). */
static size_t
verify(const int *idx, int n, const char *replacement, struct dg_buf *rep)
{
    struct audit *a = audit_new();
    for (int i = 0; i < n; i++) {
        const char *t = idx[i] < 0 ? replacement : chain[idx[i]];
        audit_feed_bytes(a, t, strlen(t));
        audit_feed_bytes(a, "\n", 1);
    }
    audit_feed_eof(a);
    struct audit_summary s;
    size_t p = audit_finish(a, rep, 50, &s);
    audit_free(a);
    return p;
}

START_TEST(clean_and_redelivered)
{
    struct dg_buf r;
    dg_buf_init(&r, 1 << 20);
    int all[] = {0, 1, 2, 3, 4, 5};
    ck_assert_uint_eq(verify(all, 6, NULL, &r), 0);
    int again[] = {0, 1, 2, 3, 2, 3, 4, 5, 5};
    ck_assert_uint_eq(verify(again, 9, NULL, &r), 0);
    ck_assert_uint_eq(r.len, 0);
    dg_buf_cleanup(&r);
}
END_TEST

START_TEST(edited)
{
    char *e = dg_strdup(chain[2]);
    char *p = strstr(e, "\"n\":2");
    ck_assert_ptr_nonnull(p);
    p[4] = '9';
    struct dg_buf r;
    dg_buf_init(&r, 1 << 20);
    int idx[] = {0, 1, -1, 3, 4, 5};
    ck_assert_uint_eq(verify(idx, 6, e, &r), 1);
    ck_assert_ptr_nonnull(
        strstr(dg_buf_str(&r), "line 3: id ev-3, seq 3: edited"));
    dg_buf_cleanup(&r);
    dg_free(e);
}
END_TEST

START_TEST(dropped)
{
    struct dg_buf r;
    dg_buf_init(&r, 1 << 20);
    int idx[] = {0, 1, 3, 4, 5};
    ck_assert_uint_eq(verify(idx, 5, NULL, &r), 1);
    ck_assert_ptr_nonnull(strstr(dg_buf_str(&r),
                                 "line 3: id ev-4, seq 4: seq 3 is missing "
                                 "before it (dropped)"));
    dg_buf_reset(&r);
    int tail[] = {2, 3};
    ck_assert_uint_eq(verify(tail, 2, NULL, &r), 1);
    ck_assert_ptr_nonnull(strstr(dg_buf_str(&r), "seqs 1..2 are missing"));
    dg_buf_cleanup(&r);
}
END_TEST

START_TEST(reordered)
{
    struct dg_buf r;
    dg_buf_init(&r, 1 << 20);
    int idx[] = {0, 1, 3, 2, 4, 5};
    ck_assert_uint_eq(verify(idx, 6, NULL, &r), 1);
    ck_assert_ptr_nonnull(strstr(dg_buf_str(&r),
                                 "line 4: id ev-3, seq 3: out of order: it "
                                 "comes after seq 4 (line 3)"));
    dg_buf_cleanup(&r);
}
END_TEST

START_TEST(inserted)
{
    /* A forged record with seq 3, sealed properly after seq 2. */
    cJSON *ev = events_new("t", EVENTS_DECISION_MADE, "forged", 0, NULL, NULL);
    cJSON *two = cJSON_Parse(chain[1]);
    char h[DG_SHA256_HEX_LEN + 1];
    struct dg_err err;
    char *forged = events_seal(ev, 3, dg_json_str(two, "drgatehash"), h, &err);
    struct dg_buf r;
    dg_buf_init(&r, 1 << 20);
    int idx[] = {0, 1, -1, 2, 3, 4, 5};
    ck_assert_uint_eq(verify(idx, 7, forged, &r), 1);
    ck_assert_ptr_nonnull(
        strstr(dg_buf_str(&r), "line 3: id forged, seq 3: conflicting"));
    dg_buf_reset(&r);
    /* Inserted and renumbered after it: the next link breaks. */
    int idx2[] = {0, 1, -1, 3, 4, 5};
    ck_assert_uint_ge(verify(idx2, 6, forged, &r), 1);
    ck_assert_ptr_nonnull(
        strstr(dg_buf_str(&r), "id ev-4, seq 4: broken link"));
    dg_buf_cleanup(&r);
    dg_free(forged);
    cJSON_Delete(two);
    cJSON_Delete(ev);
}
END_TEST

START_TEST(garbage_lines)
{
    struct dg_buf r;
    dg_buf_init(&r, 1 << 20);
    int idx[] = {0, -1};
    ck_assert_uint_eq(verify(idx, 2, "{\"x\":1}", &r), 1);
    ck_assert_ptr_nonnull(strstr(dg_buf_str(&r), "line 2: not a drgate event"));
    dg_buf_cleanup(&r);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("audit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, clean_and_redelivered);
    tcase_add_test(tc, edited);
    tcase_add_test(tc, dropped);
    tcase_add_test(tc, reordered);
    tcase_add_test(tc, inserted);
    tcase_add_test(tc, garbage_lines);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
