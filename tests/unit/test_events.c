/*
 * test_events.c - CloudEvents shape, UUIDs, the chain hash, and appending
 * to the store's events table.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "json.h"
#include "mem.h"
#include "store.h"
#include "store_events.h"
#include "testsupport.h"

static char path[256];

static void
setup(void)
{
    dg_mem_init();
    ts_db_path(path, sizeof(path), "/tmp", "events");
}

static void
teardown(void)
{
    ts_db_remove(path);
}

START_TEST(uuid_v4_format)
{
    unsigned char r[16];
    memset(r, 0xff, sizeof(r));
    char id[EVENTS_UUID_LEN + 1];
    events_uuid4(r, id);
    ck_assert_str_eq(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    memset(r, 0, sizeof(r));
    events_uuid4(r, id);
    ck_assert_str_eq(id, "00000000-0000-4000-8000-000000000000");
}
END_TEST

static const struct {
    const char *kind, *type;
} kinds[] = {
    {"decision", EVENTS_DECISION_MADE},
    {"plan", EVENTS_PLAN_PROPOSED},
    {"rejected", EVENTS_INPUT_REJECTED},
    {"reply", EVENTS_COMMAND_REPLIED},
    {"nonsense", NULL},
};

START_TEST(kind_to_type)
{
    const char *t = events_type_for_kind(kinds[_i].kind);
    if (kinds[_i].type)
        ck_assert_str_eq(t, kinds[_i].type);
    else
        ck_assert_ptr_null(t);
}
END_TEST

START_TEST(cloudevent_shape_and_seal)
{
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "plan_id", "p1");
    cJSON *ev = events_new("svc", EVENTS_PLAN_PROPOSED, "id-1", 1767225600000LL,
                           "p1", data);
    ck_assert_str_eq(dg_json_str(ev, "specversion"), "1.0");
    ck_assert_str_eq(dg_json_str(ev, "source"), "drgate/svc");
    ck_assert_str_eq(dg_json_str(ev, "time"), "2026-01-01T00:00:00.000Z");
    ck_assert_str_eq(dg_json_str(ev, "subject"), "p1");
    ck_assert_str_eq(dg_json_str(ev, "datacontenttype"), "application/json");
    char h[DG_SHA256_HEX_LEN + 1], h2[DG_SHA256_HEX_LEN + 1];
    struct dg_err err;
    char *text = events_seal(ev, 7, EVENTS_GENESIS, h, &err);
    ck_assert_ptr_nonnull(text);
    /* The hash is SHA-256(prev || canonical(event without drgatehash)). */
    cJSON *copy = cJSON_Duplicate(ev, 1);
    cJSON_DeleteItemFromObject(copy, "drgatehash");
    char *canon = dg_json_canonical_str(copy, 1 << 20);
    char *pre = dg_sprintf("%s%s", EVENTS_GENESIS, canon);
    digest_sha256_hex(pre, strlen(pre), h2);
    ck_assert_str_eq(h, h2);
    ck_assert_str_eq(dg_json_str(ev, "drgatehash"), h);
    long long seq = 0;
    ck_assert(dg_json_int(ev, "drgateseq", &seq) && seq == 7);
    /* The sealed text is canonical and hashes the same when parsed. */
    cJSON *back = cJSON_Parse(text);
    ck_assert_int_eq(events_hash(back, EVENTS_GENESIS, h2, &err), DG_OK);
    ck_assert_str_eq(h, h2);
    /* Any change changes the hash. */
    cJSON_ReplaceItemInObject(back, "subject", cJSON_CreateString("p2"));
    ck_assert_int_eq(events_hash(back, EVENTS_GENESIS, h2, &err), DG_OK);
    ck_assert_str_ne(h, h2);
    cJSON_Delete(back);
    dg_free(pre);
    dg_free(canon);
    cJSON_Delete(copy);
    dg_free(text);
    cJSON_Delete(ev);
}
END_TEST

struct collect {
    int n;
    int64_t seq[8];
    char prev[8][65], hash[8][65];
};

static int
collect(const struct store_event_row *r, void *ctx)
{
    struct collect *c = ctx;
    c->seq[c->n] = r->seq;
    snprintf(c->prev[c->n], 65, "%s", r->prev_hash);
    snprintf(c->hash[c->n], 65, "%s", r->hash);
    c->n++;
    return 0;
}

START_TEST(store_append_chains)
{
    struct store *s = NULL;
    struct dg_err err;
    ck_assert_int_eq(store_open(path, STORE_SYNC_OFF, &s, &err), DG_OK);
    ck_assert_int_eq(store_begin(s, &err), DG_OK);
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof(id), "e%d", i);
        cJSON *ev =
            events_new("svc", EVENTS_DECISION_MADE, id, 1000 + i, NULL, NULL);
        int64_t seq = 0;
        ck_assert_int_eq(store_events_append(s, ev, 1000 + i, &seq, &err),
                         DG_OK);
        ck_assert_int_eq(seq, i + 1);
        cJSON_Delete(ev);
    }
    ck_assert_int_eq(store_commit(s, &err), DG_OK);
    /* A rolled-back append leaves the head where it was. */
    ck_assert_int_eq(store_begin(s, &err), DG_OK);
    cJSON *ev = events_new("svc", EVENTS_DECISION_MADE, "gone", 1, NULL, NULL);
    ck_assert_int_eq(store_events_append(s, ev, 1, NULL, &err), DG_OK);
    cJSON_Delete(ev);
    store_rollback(s);
    struct collect c = {0};
    ck_assert_int_eq(store_events_scan(s, 0, 0, collect, &c, &err), DG_OK);
    ck_assert_int_eq(c.n, 3);
    ck_assert_str_eq(c.prev[0], EVENTS_GENESIS);
    ck_assert_str_eq(c.prev[1], c.hash[0]);
    ck_assert_str_eq(c.prev[2], c.hash[1]);
    int64_t head = 0;
    char hh[65];
    ck_assert_int_eq(store_events_head(s, &head, hh, &err), DG_OK);
    ck_assert_int_eq(head, 3);
    ck_assert_str_eq(hh, c.hash[2]);
    /* Scan with a limit and an offset. */
    struct collect c2 = {0};
    ck_assert_int_eq(store_events_scan(s, 1, 1, collect, &c2, &err), DG_OK);
    ck_assert_int_eq(c2.n, 1);
    ck_assert_int_eq(c2.seq[0], 2);
    /* Cursors never move backwards. */
    int64_t acked = -1, failing = -1;
    ck_assert_int_eq(store_cursor_get(s, "k", &acked, &failing, &err), DG_OK);
    ck_assert_int_eq(acked, 0);
    ck_assert_int_eq(store_cursor_put(s, "k", 3, 0, NULL, &err), DG_OK);
    ck_assert_int_eq(store_cursor_put(s, "k", 2, 55, "x", &err), DG_OK);
    ck_assert_int_eq(store_cursor_get(s, "k", &acked, &failing, &err), DG_OK);
    ck_assert_int_eq(acked, 3);
    ck_assert_int_eq(failing, 55);
    store_close(s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, uuid_v4_format);
    tcase_add_loop_test(tc, kind_to_type, 0,
                        (int)(sizeof(kinds) / sizeof(kinds[0])));
    tcase_add_test(tc, cloudevent_shape_and_seal);
    tcase_add_test(tc, store_append_chains);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
