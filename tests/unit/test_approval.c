/*
 * test_approval.c - the approval gate: requests and their publication,
 * signed replies through decode_message, every refusal (none moves the
 * plan), quorum, rejection, restart, expiry, and that nothing reaches
 * "approved" without a quorum of counted replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "approval.h"
#include "config.h"
#include "decode.h"
#include "digest.h"
#include "json.h"
#include "mem.h"
#include "plan.h"
#include "store.h"
#include "store_approval.h"
#include "testsupport.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define MIN 60000LL

enum { ALICE, BOB, CAROL, MALLORY, NKEYS };
static const char *const names[NKEYS] = {"alice", "bob", "carol", "mallory"};

struct fx {
    char dir[64];
    char path[128];
    struct store *s;
    EVP_PKEY *keys[NKEYS];
    struct cfg_approver approvers[3];
    struct cfg_approval cfg;
    struct approval_gate *g;
    struct plan *planned;   /* quorum 1 */
    struct plan *unplanned; /* quorum 2 */
    struct plan *lossy;     /* unplanned, data loss */
    struct plan *other;     /* never requested */
    char tok_planned[APPROVAL_TOKEN_LEN + 1];
    char tok_unplanned[APPROVAL_TOKEN_LEN + 1];
    char tok_lossy[APPROVAL_TOKEN_LEN + 1];
};

static struct fx F;

static char *
pub_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    ck_assert(PEM_write_bio_PUBKEY(b, k) == 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = dg_strndup(data, (size_t)n);
    BIO_free(b);
    return s;
}

static struct plan *
make_plan(const char *plan_class, const char *type, int64_t when)
{
    return ts_plan(plan_class, type, "Move the global database", when);
}

static void
request(struct plan *p, char *token_out, int64_t now)
{
    struct approval_request_in in = {
        .plan = p,
        .now_ms = now,
        .random = approval_random_openssl,
        .lag_ms = 1234,
        .lag_observed_ms = now - 5000,
    };
    struct approval_publication pub;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(approval_request_create(F.g, F.s, &in, &pub, &err) == DG_OK,
                  "%s", err.msg);
    memcpy(token_out, pub.token, APPROVAL_TOKEN_LEN + 1);
    approval_publication_cleanup(&pub);
}

static void
open_store(void)
{
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(store_open(F.path, STORE_SYNC_OFF, &F.s, &err) == DG_OK, "%s",
                  err.msg);
}

static void
setup(void)
{
    memset(&F, 0, sizeof(F));
    snprintf(F.dir, sizeof(F.dir), "/tmp/drgate-approval-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(F.dir));
    snprintf(F.path, sizeof(F.path), "%s/state.db", F.dir);
    open_store();
    for (int i = 0; i < NKEYS; i++) {
        F.keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        ck_assert_ptr_nonnull(F.keys[i]);
    }
    for (int i = 0; i < 3; i++) {
        F.approvers[i].name = dg_strdup(names[i]);
        F.approvers[i].public_key = pub_pem(F.keys[i]);
    }
    F.cfg = (struct cfg_approval){
        .ttl_seconds = 1800,
        .approvers = F.approvers,
        .napprovers = 3,
        .quorum_planned = 1,
        .quorum_unplanned = 2,
        .verify_sns_signatures = 1,
    };
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(approval_gate_new(&F.cfg, &F.g, &err) == DG_OK, "%s",
                  err.msg);
    F.planned = make_plan("planned", "SwitchoverAurora", T0);
    F.unplanned = make_plan("unplanned", "SwitchoverAurora", T0 + 1000);
    F.lossy = make_plan("unplanned", "ManagedFailoverAurora", T0 + 2000);
    F.other = make_plan("unplanned", "SwitchoverAurora", T0 + 3000);
    ck_assert(F.lossy->data_loss && !F.unplanned->data_loss);
    request(F.planned, F.tok_planned, T0);
    request(F.unplanned, F.tok_unplanned, T0);
    request(F.lossy, F.tok_lossy, T0);
}

static void
teardown(void)
{
    approval_gate_free(F.g);
    store_close(F.s);
    for (int i = 0; i < NKEYS; i++)
        EVP_PKEY_free(F.keys[i]);
    for (int i = 0; i < 3; i++) {
        dg_free(F.approvers[i].name);
        dg_free(F.approvers[i].public_key);
    }
    plan_free(F.planned);
    plan_free(F.unplanned);
    plan_free(F.lossy);
    plan_free(F.other);
    char p[192];
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", F.path, sfx[i]);
        (void)unlink(p);
    }
    (void)rmdir(F.dir);
}

/* A signed reply as the wire text `drgate approve --print` produces. */
static char *
reply_text(const struct plan *p, const char *digest, const char *token,
           const char *approver, EVP_PKEY *key, const char *decision,
           int64_t signed_ms, int adl)
{
    struct approval_reply_in in = {
        .plan_id = p->id,
        .plan_digest = digest ? digest : p->digest,
        .decision = decision,
        .token = token,
        .approver = approver,
        .signed_ms = signed_ms,
        .accept_data_loss = adl,
    };
    cJSON *o = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(approval_reply_sign(&in, key, &o, &err) == DG_OK, "%s",
                  err.msg);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* decode_message -> approval_verify_record. */
static void
deliver(const char *text, size_t len, int64_t now, struct approval_outcome *o)
{
    struct dg_record r;
    struct dg_err err;
    dg_err_clear(&err);
    decode_message(text, len, &r);
    ck_assert_msg(approval_verify_record(F.g, F.s, &r, now, o, &err) == DG_OK,
                  "%s", err.msg);
    decode_record_cleanup(&r);
    ck_assert_ptr_nonnull(o->event);
    ck_assert_ptr_nonnull(o->event_type);
}

static void
deliver_str(char *text, int64_t now, struct approval_outcome *o)
{
    deliver(text, strlen(text), now, o);
    dg_free(text);
}

static void
expect_accepted(struct approval_outcome *o)
{
    ck_assert_msg(o->verdict == APPROVAL_ACCEPTED, "refused: %s (%s)",
                  approval_reason_code(o->reason), o->reason_text);
    ck_assert_str_eq(o->event_type, "drgate.approval.accepted");
}

static char *
state_of(const struct plan *p)
{
    struct store_appr_req r;
    int found = 0;
    struct dg_err err;
    ck_assert(store_appr_req_get(F.s, p->id, &r, &found, &err) == DG_OK);
    ck_assert(found);
    char *st = dg_strdup(r.state);
    store_appr_req_cleanup(&r);
    return st;
}

static void
assert_state(const struct plan *p, const char *want)
{
    char *st = state_of(p);
    ck_assert_str_eq(st, want);
    dg_free(st);
}

static int
is_approved(const struct plan *p)
{
    int yes = -1;
    struct dg_err err;
    ck_assert(approval_is_approved(F.g, F.s, p->id, p->digest, &yes, &err) ==
              DG_OK);
    return yes;
}

static void
approve_ok(const struct plan *p, const char *tok, int who, int64_t now)
{
    struct approval_outcome o;
    deliver_str(reply_text(p, NULL, tok, names[who], F.keys[who], "approve",
                           now, p->data_loss),
                now, &o);
    expect_accepted(&o);
    approval_outcome_cleanup(&o);
}

/* ---- the refusals ------------------------------------------------------ */

struct refusal {
    const char *name;
    const char *code;
};

static const struct refusal refusals[] = {
    {"unknown approver", "unknown_approver"},
    {"bad signature", "bad_signature"},
    {"signature by another approver's key", "bad_signature"},
    {"digest of another plan", "digest_mismatch"},
    {"wrong token", "wrong_token"},
    {"expired token", "expired"},
    {"reused token after the plan finished", "already_finished"},
    {"same approver twice toward a quorum of 2", "duplicate_approver"},
    {"missing data-loss acceptance", "data_loss_not_accepted"},
    {"reply for an already finished plan", "already_finished"},
    {"malformed reply", "malformed"},
    {"oversized reply", "malformed"},
    {"unknown plan", "unknown_plan"},
    {"signed_at far in the future", "bad_signed_at"},
    {"data loss explicitly refused", "data_loss_not_accepted"},
    {"token of another plan", "wrong_token"},
    {"signature valid but body altered", "bad_signature"},
    {"token echoed as the approver", "unknown_approver"},
    {"token echoed in an unknown key", "malformed"},
};
#define NREFUSALS ((int)(sizeof(refusals) / sizeof(refusals[0])))

/* Builds case i; returns the reply text (owned), the delivery time, the
 * plan it concerns and the state that plan must keep. */
static char *
refusal_case(int i, int64_t *now, const struct plan **p, const char **keep)
{
    const int64_t t = T0 + MIN;
    *now = t;
    *p = F.unplanned;
    *keep = STORE_APPR_PENDING;
    const char *tok = F.tok_unplanned;
    char *s, *q;
    cJSON *o;
    switch (i) {
    case 0:
        return reply_text(F.unplanned, NULL, tok, "mallory", F.keys[MALLORY],
                          "approve", t, 0);
    case 1:
        s = reply_text(F.unplanned, NULL, tok, "alice", F.keys[ALICE],
                       "approve", t, 0);
        q = strstr(s, "\"signature\":\"") + 13;
        *q = *q == 'A' ? 'B' : 'A';
        return s;
    case 2:
        return reply_text(F.unplanned, NULL, tok, "alice", F.keys[BOB],
                          "approve", t, 0);
    case 3:
        return reply_text(F.unplanned, F.planned->digest, tok, "alice",
                          F.keys[ALICE], "approve", t, 0);
    case 4:
        return reply_text(F.unplanned, NULL,
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                          "alice", F.keys[ALICE], "approve", t, 0);
    case 5:
        *now = T0 + 1800 * 1000LL;
        return reply_text(F.unplanned, NULL, tok, "alice", F.keys[ALICE],
                          "approve", *now - 1000, 0);
    case 6:
        /* planned needs 1: alice approves, bob reuses the token. */
        approve_ok(F.planned, F.tok_planned, ALICE, t);
        *p = F.planned;
        *keep = STORE_APPR_APPROVED;
        return reply_text(F.planned, NULL, F.tok_planned, "bob", F.keys[BOB],
                          "approve", t, 0);
    case 7:
        approve_ok(F.unplanned, tok, ALICE, t);
        return reply_text(F.unplanned, NULL, tok, "alice", F.keys[ALICE],
                          "approve", t + 1000, 0);
    case 8:
        *p = F.lossy;
        return reply_text(F.lossy, NULL, F.tok_lossy, "alice", F.keys[ALICE],
                          "approve", t, 0);
    case 9: {
        struct approval_outcome o2;
        deliver_str(reply_text(F.unplanned, NULL, tok, "bob", F.keys[BOB],
                               "reject", t, 0),
                    t, &o2);
        expect_accepted(&o2);
        ck_assert(o2.now_rejected);
        approval_outcome_cleanup(&o2);
        *keep = STORE_APPR_REJECTED;
        return reply_text(F.unplanned, NULL, tok, "alice", F.keys[ALICE],
                          "approve", t, 0);
    }
    case 10:
        /* Signed, then its signature removed: the decoder refuses. */
        o = cJSON_Parse(s = reply_text(F.unplanned, NULL, tok, "alice",
                                       F.keys[ALICE], "approve", t, 0));
        dg_free(s);
        cJSON_DeleteItemFromObject(o, "signature");
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
    case 11: {
        size_t n = 300 * 1024;
        s = dg_malloc(n + 1);
        memset(s, ' ', n);
        s[n] = '\0';
        q = reply_text(F.unplanned, NULL, tok, "alice", F.keys[ALICE],
                       "approve", t, 0);
        memcpy(s, q, strlen(q));
        dg_free(q);
        return s;
    }
    case 12:
        *p = F.other;
        *keep = NULL;
        return reply_text(F.other, NULL, tok, "alice", F.keys[ALICE], "approve",
                          t, 0);
    case 13:
        return reply_text(F.unplanned, NULL, tok, "alice", F.keys[ALICE],
                          "approve", t + 6 * MIN, 0);
    case 14:
        /* "accept_data_loss": false, signed as such. */
        *p = F.lossy;
        {
            struct approval_reply_in in = {
                .plan_id = F.lossy->id,
                .plan_digest = F.lossy->digest,
                .decision = "approve",
                .token = F.tok_lossy,
                .approver = "alice",
                .signed_ms = t,
            };
            struct dg_err err;
            cJSON *r = NULL;
            ck_assert(approval_reply_sign(&in, F.keys[ALICE], &r, &err) ==
                      DG_OK);
            /* Re-sign with the explicit false included. */
            cJSON_DeleteItemFromObject(r, "signature");
            cJSON_AddFalseToObject(r, "accept_data_loss");
            char *text = approval_signed_text(r);
            unsigned char sig[64];
            size_t sl = sizeof(sig);
            EVP_MD_CTX *ctx = EVP_MD_CTX_new();
            ck_assert(EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL,
                                            F.keys[ALICE], NULL) == 1);
            ck_assert(EVP_DigestSign(ctx, sig, &sl, (unsigned char *)text,
                                     strlen(text)) == 1);
            EVP_MD_CTX_free(ctx);
            dg_free(text);
            char b64[100];
            ck_assert(EVP_EncodeBlock((unsigned char *)b64, sig, 64) == 88);
            cJSON_AddStringToObject(r, "signature", b64);
            s = cJSON_PrintUnformatted(r);
            cJSON_Delete(r);
            return s;
        }
    case 15:
        return reply_text(F.unplanned, NULL, F.tok_planned, "alice",
                          F.keys[ALICE], "approve", t, 0);
    case 16:
        /* Signed as a rejection, delivered as an approval. */
        s = reply_text(F.unplanned, NULL, tok, "alice", F.keys[ALICE], "reject",
                       t, 0);
        q = strstr(s, "\"reject\"");
        ck_assert_ptr_nonnull(q);
        o = cJSON_Parse(s);
        dg_free(s);
        cJSON_ReplaceItemInObject(o, "decision", cJSON_CreateString("approve"));
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
    case 17:
        return reply_text(F.unplanned, NULL, tok, tok, F.keys[MALLORY],
                          "approve", t, 0);
    case 18:
        s = reply_text(F.unplanned, NULL, tok, "alice", F.keys[ALICE],
                       "approve", t, 0);
        q = dg_sprintf("{\"x%sx\":1,%s", tok, s + 1);
        dg_free(s);
        return q;
    }
    ck_abort_msg("no case %d", i);
    return NULL;
}

START_TEST(refusal_moves_nothing)
{
    int64_t now;
    const struct plan *p;
    const char *keep;
    long long before;
    char *text = refusal_case(_i, &now, &p, &keep);
    before = store_count(F.s, "plans"); /* unused table: sanity only */
    (void)before;
    int approved_before = keep ? is_approved(p) : 0;
    struct approval_outcome o;
    deliver_str(text, now, &o);
    ck_assert_msg(o.verdict == APPROVAL_REFUSED, "%s: accepted",
                  refusals[_i].name);
    ck_assert_msg(
        strcmp(approval_reason_code(o.reason), refusals[_i].code) == 0,
        "%s: got %s (%s), want %s", refusals[_i].name,
        approval_reason_code(o.reason), o.reason_text, refusals[_i].code);
    ck_assert_str_eq(o.event_type, "drgate.approval.refused");
    ck_assert_str_eq(dg_json_str(o.event, "reason_code"), refusals[_i].code);
    ck_assert_ptr_nonnull(dg_json_str(o.event, "reason"));
    ck_assert(!o.now_approved && !o.now_rejected);
    /* No event carries a token. */
    char *ev = cJSON_PrintUnformatted(o.event);
    ck_assert_ptr_null(strstr(ev, F.tok_unplanned));
    ck_assert_ptr_null(strstr(ev, F.tok_planned));
    ck_assert_ptr_null(strstr(ev, F.tok_lossy));
    ck_assert_ptr_null(strstr(ev, "\"token\""));
    dg_free(ev);
    approval_outcome_cleanup(&o);
    if (keep) {
        assert_state(p, keep);
        ck_assert_int_eq(is_approved(p), approved_before);
    }
    assert_state(F.lossy, STORE_APPR_PENDING);
    ck_assert_int_eq(is_approved(F.unplanned), 0);
    ck_assert_int_eq(is_approved(F.lossy), 0);
}
END_TEST

/* ---- acceptance -------------------------------------------------------- */

START_TEST(quorum_of_two_distinct_approvers)
{
    struct approval_outcome o;
    int64_t t = T0 + MIN;
    deliver_str(reply_text(F.unplanned, NULL, F.tok_unplanned, "alice",
                           F.keys[ALICE], "approve", t, 0),
                t, &o);
    expect_accepted(&o);
    ck_assert_int_eq(o.approvals, 1);
    ck_assert_int_eq(o.quorum, 2);
    ck_assert(!o.now_approved);
    ck_assert_str_eq(o.plan_state, "pending");
    ck_assert_str_eq(dg_json_str(o.event, "approver"), "alice");
    approval_outcome_cleanup(&o);
    ck_assert_int_eq(is_approved(F.unplanned), 0);
    deliver_str(reply_text(F.unplanned, NULL, F.tok_unplanned, "bob",
                           F.keys[BOB], "approve", t + 1000, 0),
                t + 2000, &o);
    expect_accepted(&o);
    ck_assert_int_eq(o.approvals, 2);
    ck_assert(o.now_approved);
    ck_assert_str_eq(o.plan_state, "approved");
    ck_assert_str_eq(dg_json_str(o.event, "plan_state"), "approved");
    approval_outcome_cleanup(&o);
    assert_state(F.unplanned, STORE_APPR_APPROVED);
    ck_assert_int_eq(is_approved(F.unplanned), 1);
    /* Another plan's digest does not ride along. */
    int yes = -1;
    struct dg_err err;
    ck_assert(approval_is_approved(F.g, F.s, F.unplanned->id, F.planned->digest,
                                   &yes, &err) == DG_OK);
    ck_assert_int_eq(yes, 0);
}
END_TEST

START_TEST(data_loss_plan_needs_acceptance_in_each_approval)
{
    approve_ok(F.lossy, F.tok_lossy, ALICE, T0 + MIN);
    struct approval_outcome o;
    deliver_str(reply_text(F.lossy, NULL, F.tok_lossy, "bob", F.keys[BOB],
                           "approve", T0 + MIN, 0),
                T0 + MIN, &o);
    ck_assert_str_eq(approval_reason_code(o.reason), "data_loss_not_accepted");
    approval_outcome_cleanup(&o);
    approve_ok(F.lossy, F.tok_lossy, BOB, T0 + MIN);
    assert_state(F.lossy, STORE_APPR_APPROVED);
    ck_assert_int_eq(is_approved(F.lossy), 1);
}
END_TEST

START_TEST(one_rejection_cancels)
{
    approve_ok(F.unplanned, F.tok_unplanned, ALICE, T0 + MIN);
    struct approval_outcome o;
    /* alice changes her mind: her rejection counts and cancels. */
    deliver_str(reply_text(F.unplanned, NULL, F.tok_unplanned, "alice",
                           F.keys[ALICE], "reject", T0 + 2 * MIN, 0),
                T0 + 2 * MIN, &o);
    expect_accepted(&o);
    ck_assert(o.now_rejected && !o.now_approved);
    ck_assert_str_eq(o.plan_state, "rejected");
    approval_outcome_cleanup(&o);
    assert_state(F.unplanned, STORE_APPR_REJECTED);
    ck_assert_int_eq(is_approved(F.unplanned), 0);
    deliver_str(reply_text(F.unplanned, NULL, F.tok_unplanned, "bob",
                           F.keys[BOB], "approve", T0 + 3 * MIN, 0),
                T0 + 3 * MIN, &o);
    ck_assert_str_eq(approval_reason_code(o.reason), "already_finished");
    approval_outcome_cleanup(&o);
    ck_assert_int_eq(is_approved(F.unplanned), 0);
}
END_TEST

START_TEST(approvals_survive_a_restart)
{
    approve_ok(F.unplanned, F.tok_unplanned, ALICE, T0 + MIN);
    store_close(F.s);
    F.s = NULL;
    open_store();
    struct approval_outcome o;
    /* The first approval is still there: alice again is a duplicate. */
    deliver_str(reply_text(F.unplanned, NULL, F.tok_unplanned, "alice",
                           F.keys[ALICE], "approve", T0 + MIN, 0),
                T0 + MIN, &o);
    ck_assert_str_eq(approval_reason_code(o.reason), "duplicate_approver");
    approval_outcome_cleanup(&o);
    deliver_str(reply_text(F.unplanned, NULL, F.tok_unplanned, "carol",
                           F.keys[CAROL], "approve", T0 + 2 * MIN, 0),
                T0 + 2 * MIN, &o);
    expect_accepted(&o);
    ck_assert_int_eq(o.approvals, 2);
    ck_assert(o.now_approved);
    approval_outcome_cleanup(&o);
    ck_assert_int_eq(is_approved(F.unplanned), 1);
    ck_assert(store_integrity_ok(F.s));
}
END_TEST

START_TEST(expiry_ends_pending_requests)
{
    struct approval_expired *v = NULL;
    size_t n = 9;
    struct dg_err err;
    int64_t next = 0;
    int found = 0;
    approve_ok(F.planned, F.tok_planned, ALICE, T0 + MIN); /* finished */
    ck_assert(approval_next_expiry(F.s, &next, &found, &err) == DG_OK);
    ck_assert(found);
    ck_assert_int_eq(next, T0 + 1800 * 1000LL);
    ck_assert(approval_expire_due(F.s, next - 1, 16, &v, &n, &err) == DG_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(v);
    ck_assert(approval_expire_due(F.s, next, 16, &v, &n, &err) == DG_OK);
    ck_assert_uint_eq(n, 2); /* unplanned and lossy; planned was approved */
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(v[i].event);
        ck_assert_str_eq(dg_json_str(v[i].event, "plan_id"), v[i].plan_id);
        ck_assert(strcmp(v[i].plan_id, F.unplanned->id) == 0 ||
                  strcmp(v[i].plan_id, F.lossy->id) == 0);
    }
    approval_expired_free(v, n);
    assert_state(F.unplanned, STORE_APPR_EXPIRED);
    assert_state(F.planned, STORE_APPR_APPROVED);
    ck_assert(approval_expire_due(F.s, next + MIN, 16, &v, &n, &err) == DG_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert(approval_next_expiry(F.s, &next, &found, &err) == DG_OK);
    ck_assert(!found);
    /* A reply after expiry, even backdated, is refused. */
    struct approval_outcome o;
    deliver_str(reply_text(F.unplanned, NULL, F.tok_unplanned, "bob",
                           F.keys[BOB], "approve", T0 + MIN, 0),
                T0 + 2 * MIN, &o);
    ck_assert_str_eq(approval_reason_code(o.reason), "already_finished");
    approval_outcome_cleanup(&o);
}
END_TEST

/* ---- requests ---------------------------------------------------------- */

static int
fixed_random(unsigned char *buf, size_t n, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(0xf0 + i);
    return 0;
}

static int
failing_random(unsigned char *buf, size_t n, void *ctx)
{
    (void)buf;
    (void)n;
    (void)ctx;
    return -1;
}

START_TEST(request_publication)
{
    struct plan *p = make_plan("unplanned", "ManagedFailoverAurora", T0 + 9);
    struct approval_request_in in = {
        .plan = p,
        .now_ms = T0,
        .random = fixed_random,
        .lag_ms = 4321,
        .lag_observed_ms = T0 - 1000,
    };
    struct approval_publication pub;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(approval_request_create(F.g, F.s, &in, &pub, &err) == DG_OK,
                  "%s", err.msg);
    /* base64url of f0 f1 ... ff 00 .. 0f, 43 characters, no padding */
    ck_assert_uint_eq(strlen(pub.token), 43);
    ck_assert_str_eq(pub.token, "8PHy8_T19vf4-fr7_P3-_wABAgMEBQYHCAkKCwwNDg8");
    ck_assert_int_eq(pub.quorum, 2);
    ck_assert_int_eq(pub.expires_ms, T0 + 1800 * 1000LL);
    ck_assert_ptr_nonnull(strstr(pub.sns_subject, "DATA LOSS"));
    ck_assert_uint_le(strlen(pub.sns_subject), 100);
    /* MessageStructure json: every value a string. */
    cJSON *m = cJSON_Parse(pub.sns_message);
    ck_assert_ptr_nonnull(m);
    const char *keys[] = {"default", "email", "sqs", "lambda", "https"};
    for (int i = 0; i < 5; i++)
        ck_assert_msg(dg_json_str(m, keys[i]) != NULL, "%s", keys[i]);
    ck_assert_int_eq(cJSON_GetArraySize(m), 5);
    const char *mail = dg_json_str(m, "email");
    ck_assert_ptr_nonnull(strstr(mail, "DATA AT RISK"));
    ck_assert_ptr_nonnull(strstr(mail, "4321 ms"));
    ck_assert_ptr_nonnull(strstr(mail, "drgate approve --plan"));
    ck_assert_ptr_nonnull(strstr(mail, "drgate reject --plan"));
    ck_assert_ptr_nonnull(strstr(mail, "--accept-data-loss"));
    ck_assert_ptr_nonnull(strstr(mail, p->digest));
    ck_assert_ptr_nonnull(strstr(mail, pub.token));
    ck_assert_ptr_nonnull(strstr(mail, "2026-01-01T00:30:00.000Z"));
    ck_assert_ptr_nonnull(strstr(mail, "alice, bob, carol"));
    cJSON *req = cJSON_Parse(dg_json_str(m, "sqs"));
    ck_assert_ptr_nonnull(req);
    ck_assert_str_eq(dg_json_str(req, "type"), "drgate.approval.request");
    ck_assert_str_eq(dg_json_str(req, "plan_id"), p->id);
    ck_assert_str_eq(dg_json_str(req, "plan_digest"), p->digest);
    ck_assert_str_eq(dg_json_str(req, "class"), "unplanned");
    ck_assert_str_eq(dg_json_str(req, "token"), pub.token);
    ck_assert_str_eq(dg_json_str(req, "expires_at"),
                     "2026-01-01T00:30:00.000Z");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(req, "data_loss")));
    long long q = 0;
    ck_assert(dg_json_int(req, "quorum", &q) && q == 2);
    ck_assert_ptr_nonnull(dg_json_str(req, "summary"));
    ck_assert_str_eq(dg_json_str(m, "lambda"), dg_json_str(m, "sqs"));
    cJSON_Delete(req);
    cJSON_Delete(m);
    /* The event has no token. */
    char *ev = cJSON_PrintUnformatted(pub.event);
    ck_assert_ptr_null(strstr(ev, pub.token));
    ck_assert_ptr_null(strstr(ev, "token"));
    ck_assert_str_eq(dg_json_str(pub.event, "plan_id"), p->id);
    dg_free(ev);
    /* Only the token's SHA-256 is stored. */
    struct store_appr_req r;
    int found = 0;
    char hex[DG_SHA256_HEX_LEN + 1];
    digest_sha256_hex(pub.token, strlen(pub.token), hex);
    ck_assert(store_appr_req_get(F.s, p->id, &r, &found, &err) == DG_OK);
    ck_assert(found);
    ck_assert_str_eq(r.token_hash, hex);
    ck_assert_int_eq(r.data_loss, 1);
    ck_assert_int_eq(r.quorum, 2);
    ck_assert_str_eq(r.state, "pending");
    store_appr_req_cleanup(&r);
    approval_publication_cleanup(&pub);
    ck_assert_ptr_null(pub.sns_message);
    ck_assert_int_eq(pub.token[0], 0);
    /* A second request for the same plan is refused. */
    ck_assert(approval_request_create(F.g, F.s, &in, &pub, &err) ==
              DG_EINVALID);
    ck_assert_str_eq(err.code, "exists");
    plan_free(p);
    /* A failing random source creates nothing. */
    p = make_plan("planned", "SwitchoverAurora", T0 + 77);
    in.plan = p;
    in.random = failing_random;
    ck_assert(approval_request_create(F.g, F.s, &in, &pub, &err) == DG_EFATAL);
    ck_assert(store_appr_req_get(F.s, p->id, &r, &found, &err) == DG_OK);
    ck_assert(!found);
    plan_free(p);
}
END_TEST

static int
contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

START_TEST(token_file_scan)
{
    /* The database file never holds a token in clear. */
    store_close(F.s);
    F.s = NULL;
    size_t len = 0;
    char *db = ts_read_file(F.path, &len);
    ck_assert_ptr_nonnull(db);
    const char *toks[] = {F.tok_planned, F.tok_unplanned, F.tok_lossy};
    for (int i = 0; i < 3; i++)
        ck_assert(!contains(db, len, toks[i]));
    free(db);
    open_store();
}
END_TEST

/* ---- no bypass --------------------------------------------------------- */

/* Whatever the configuration says, the request reaches "approved" only
 * after quorum counted replies. */
START_TEST(no_configuration_approves_without_quorum)
{
    static const struct {
        int qp, qu;
        size_t napprovers;
        int need; /* counted approvals the unplanned plan needs */
    } cases[] = {
        {0, 0, 3, 1}, {-5, -5, 3, 1}, {1, 1, 3, 1}, {1, 2, 3, 2},
        {3, 3, 3, 3}, {1, 9, 3, 4},   {1, 1, 0, 4},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct cfg_approval cfg = F.cfg;
        cfg.quorum_planned = cases[c].qp;
        cfg.quorum_unplanned = cases[c].qu;
        cfg.napprovers = cases[c].napprovers;
        struct approval_gate *g = NULL;
        struct dg_err err;
        ck_assert(approval_gate_new(&cfg, &g, &err) == DG_OK);
        struct plan *p =
            make_plan("unplanned", "SwitchoverAurora", T0 + 100 + (int)c);
        struct approval_request_in in = {
            .plan = p, .now_ms = T0, .random = approval_random_openssl};
        struct approval_publication pub;
        ck_assert(approval_request_create(g, F.s, &in, &pub, &err) == DG_OK);
        int yes = -1;
        ck_assert(approval_is_approved(g, F.s, p->id, p->digest, &yes, &err) ==
                  DG_OK);
        ck_assert_int_eq(yes, 0);
        int counted = 0;
        for (int who = 0; who < 3; who++) {
            struct approval_outcome o;
            char *text = reply_text(p, NULL, pub.token, names[who], F.keys[who],
                                    "approve", T0 + MIN, 0);
            struct dg_record r;
            decode_message(text, strlen(text), &r);
            dg_free(text);
            ck_assert(approval_verify_record(g, F.s, &r, T0 + MIN, &o, &err) ==
                      DG_OK);
            decode_record_cleanup(&r);
            if (o.verdict == APPROVAL_ACCEPTED)
                counted++;
            ck_assert(approval_is_approved(g, F.s, p->id, p->digest, &yes,
                                           &err) == DG_OK);
            ck_assert_msg(yes == (counted >= cases[c].need),
                          "case %zu: %d counted, approved=%d", c, counted, yes);
            approval_outcome_cleanup(&o);
            if (yes)
                break;
        }
        if (cases[c].need > 3)
            ck_assert_int_eq(yes, 0);
        approval_publication_cleanup(&pub);
        plan_free(p);
        approval_gate_free(g);
    }
}
END_TEST

START_TEST(tightened_config_applies_to_pending_requests)
{
    /* F.planned was requested with quorum 1; the config now says 2. */
    struct cfg_approval cfg = F.cfg;
    cfg.quorum_planned = 2;
    struct approval_gate *old = F.g, *g = NULL;
    struct dg_err err;
    ck_assert(approval_gate_new(&cfg, &g, &err) == DG_OK);
    F.g = g;
    approve_ok(F.planned, F.tok_planned, ALICE, T0 + MIN);
    assert_state(F.planned, STORE_APPR_PENDING);
    ck_assert_int_eq(is_approved(F.planned), 0);
    approve_ok(F.planned, F.tok_planned, BOB, T0 + MIN);
    ck_assert_int_eq(is_approved(F.planned), 1);
    /* bob leaves the list: the approval no longer stands. */
    cfg.approvers = &F.approvers[0];
    cfg.napprovers = 1;
    struct approval_gate *g2 = NULL;
    ck_assert(approval_gate_new(&cfg, &g2, &err) == DG_OK);
    F.g = g2;
    ck_assert_int_eq(is_approved(F.planned), 0);
    F.g = old;
    approval_gate_free(g);
    approval_gate_free(g2);
}
END_TEST

START_TEST(gate_refuses_bad_keys)
{
    struct cfg_approver a = {.name = "x", .public_key = "not a key"};
    struct cfg_approval cfg = {.approvers = &a, .napprovers = 1};
    struct approval_gate *g = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(approval_gate_new(&cfg, &g, &err) == DG_EINVALID);
    ck_assert_ptr_null(g);
    ck_assert_str_eq(err.code, "bad_key");
    /* An RSA key is not an approver key either. */
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ck_assert_ptr_nonnull(rsa);
    a.public_key = pub_pem(rsa);
    ck_assert(approval_gate_new(&cfg, &g, &err) == DG_EINVALID);
    struct approval_reply_in in = {"p", "sha256:x", "approve", "t", "a", 0, 0};
    cJSON *o = NULL;
    ck_assert(approval_reply_sign(&in, rsa, &o, &err) == DG_EINVALID);
    ck_assert_ptr_null(o);
    dg_free(a.public_key);
    EVP_PKEY_free(rsa);
}
END_TEST

START_TEST(signature_covers_canonical_reply)
{
    /* Key order and white space do not matter; content does. */
    char *text = reply_text(F.unplanned, NULL, F.tok_unplanned, "alice",
                            F.keys[ALICE], "approve", T0 + MIN, 0);
    cJSON *o = cJSON_Parse(text);
    dg_free(text);
    cJSON *rev = cJSON_CreateObject();
    int n = cJSON_GetArraySize(o);
    for (int i = n - 1; i >= 0; i--)
        cJSON_AddItemToObject(rev, cJSON_GetArrayItem(o, i)->string,
                              cJSON_Duplicate(cJSON_GetArrayItem(o, i), 1));
    cJSON_Delete(o);
    text = cJSON_Print(rev); /* formatted, reversed keys */
    cJSON_Delete(rev);
    struct approval_outcome out;
    deliver_str(text, T0 + MIN, &out);
    expect_accepted(&out);
    approval_outcome_cleanup(&out);
    /* The standard base64 signature also verifies in url form. */
    char *t2 = reply_text(F.unplanned, NULL, F.tok_unplanned, "bob",
                          F.keys[BOB], "approve", T0 + MIN, 0);
    o = cJSON_Parse(t2);
    dg_free(t2);
    char *sig = dg_strdup(dg_json_str(o, "signature"));
    size_t k = 0;
    for (size_t i = 0; sig[i]; i++) {
        char ch = sig[i];
        if (ch == '=')
            continue;
        sig[k++] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
    }
    sig[k] = '\0';
    cJSON_ReplaceItemInObject(o, "signature", cJSON_CreateString(sig));
    dg_free(sig);
    t2 = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    deliver_str(t2, T0 + MIN, &out);
    expect_accepted(&out);
    ck_assert(out.now_approved);
    approval_outcome_cleanup(&out);
}
END_TEST

START_TEST(record_of_other_kind_is_not_an_approval)
{
    const char *sig = "{\"source\":\"aws.cloudwatch\"}";
    struct dg_record r;
    decode_message(sig, strlen(sig), &r);
    struct approval_outcome o;
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc = approval_verify_record(F.g, F.s, &r, T0, &o, &err);
    /* An unrecognized shape is a refused record: malformed. */
    ck_assert(rc == DG_OK || rc == DG_EINVALID);
    ck_assert(o.verdict == APPROVAL_REFUSED);
    approval_outcome_cleanup(&o);
    decode_record_cleanup(&r);
}
END_TEST

START_TEST(cancel_ends_a_request)
{
    int changed = 0;
    struct dg_err err;
    ck_assert(approval_cancel(F.s, F.unplanned->id, T0 + MIN, &changed, &err) ==
              DG_OK);
    ck_assert(changed);
    ck_assert(approval_cancel(F.s, F.unplanned->id, T0 + MIN, &changed, &err) ==
              DG_OK);
    ck_assert(!changed);
    assert_state(F.unplanned, STORE_APPR_CANCELLED);
    struct approval_outcome o;
    deliver_str(reply_text(F.unplanned, NULL, F.tok_unplanned, "bob",
                           F.keys[BOB], "approve", T0 + MIN, 0),
                T0 + MIN, &o);
    ck_assert_str_eq(approval_reason_code(o.reason), "already_finished");
    approval_outcome_cleanup(&o);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("approval");
    TCase *tc = tcase_create("gate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, refusal_moves_nothing, 0, NREFUSALS);
    tcase_add_test(tc, quorum_of_two_distinct_approvers);
    tcase_add_test(tc, data_loss_plan_needs_acceptance_in_each_approval);
    tcase_add_test(tc, one_rejection_cancels);
    tcase_add_test(tc, approvals_survive_a_restart);
    tcase_add_test(tc, expiry_ends_pending_requests);
    tcase_add_test(tc, request_publication);
    tcase_add_test(tc, token_file_scan);
    tcase_add_test(tc, no_configuration_approves_without_quorum);
    tcase_add_test(tc, tightened_config_applies_to_pending_requests);
    tcase_add_test(tc, gate_refuses_bad_keys);
    tcase_add_test(tc, signature_covers_canonical_reply);
    tcase_add_test(tc, record_of_other_kind_is_not_an_approval);
    tcase_add_test(tc, cancel_ends_a_request);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
