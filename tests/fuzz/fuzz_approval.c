/*
 * fuzz_approval.c - libFuzzer target for the approval path: any bytes go
 * through decode_message and approval_verify_record against a fixed
 * in-memory setup (two Ed25519 approvers from fixed seeds, one pending
 * request for plan "plan-fuzz-1" with the all-zero token, quorum 2). Each
 * input runs in a transaction rolled back afterwards, so inputs do not
 * influence each other. Invariants: an outcome always has an event; an
 * accepted reply names a listed approver whose key verifies its
 * signature; no event carries the token. Seeds: tests/data/approval/
 * make_seeds.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "approval.h"
#include "config.h"
#include "decode.h"
#include "mem.h"
#include "plan.h"
#include "record.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1767225660000LL /* 2026-01-01T00:01:00Z, a minute in */

static struct store *st;
static struct approval_gate *gate;
static EVP_PKEY *keys[2];
static char token[APPROVAL_TOKEN_LEN + 1];

static int
zero_random(unsigned char *buf, size_t n, void *ctx)
{
    (void)ctx;
    memset(buf, 0, n);
    return 0;
}

static char *
pub_pem(EVP_PKEY *k)
{
    unsigned char raw[32];
    size_t n = sizeof(raw);
    if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1)
        abort();
    /* SubjectPublicKeyInfo for Ed25519: fixed 12-byte prefix + key. */
    static const unsigned char pfx[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                          0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    unsigned char der[44];
    memcpy(der, pfx, 12);
    memcpy(der + 12, raw, 32);
    char b64[64];
    EVP_EncodeBlock((unsigned char *)b64, der, 44);
    return dg_sprintf("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC "
                      "KEY-----\n",
                      b64);
}

static void
init(void)
{
    dg_mem_init();
    struct dg_err err;
    if (store_open(":memory:", STORE_SYNC_OFF, &st, &err) != DG_OK)
        abort();
    struct cfg_approver ap[2] = {{.name = "alice"}, {.name = "bob"}};
    for (int i = 0; i < 2; i++) {
        unsigned char seed[32];
        memset(seed, 'a' + i, sizeof(seed));
        keys[i] = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                               sizeof(seed));
        if (!keys[i])
            abort();
        ap[i].public_key = pub_pem(keys[i]);
    }
    struct cfg_approval cfg = {.ttl_seconds = 1800,
                               .approvers = ap,
                               .napprovers = 2,
                               .quorum_planned = 1,
                               .quorum_unplanned = 2};
    if (approval_gate_new(&cfg, &gate, &err) != DG_OK)
        abort();
    for (int i = 0; i < 2; i++)
        dg_free(ap[i].public_key);
    struct plan p = {
        .id = "plan-fuzz-1",
        .digest = "sha256:abababababababababababababababababababababababab"
                  "abababababababab",
        .plan_class = "unplanned",
        .body = cJSON_Parse("{\"runbook\":\"fuzz\",\"regions\":{\"primary\":"
                            "\"us-east-1\",\"secondary\":\"us-west-2\"},"
                            "\"layers\":[]}"),
        .mutating = 1,
        .data_loss = 1,
    };
    struct approval_request_in in = {
        .plan = &p, .now_ms = NOW - 60000, .random = zero_random, .lag_ms = -1};
    struct approval_publication pub;
    if (approval_request_create(gate, st, &in, &pub, &err) != DG_OK)
        abort();
    memcpy(token, pub.token, sizeof(token));
    approval_publication_cleanup(&pub);
    cJSON_Delete(p.body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int done;
    if (!done) {
        init();
        done = 1;
    }
    struct dg_record r;
    struct dg_err err;
    struct approval_outcome o;
    decode_message((const char *)data, size, &r);
    if (store_begin(st, &err) != DG_OK)
        abort();
    dg_rc rc = approval_verify_record(gate, st, &r, NOW, &o, &err);
    if (rc != DG_OK && rc != DG_EINVALID)
        abort();
    if (!o.event || !o.event_type)
        abort();
    char *ev = cJSON_PrintUnformatted(o.event);
    if (strstr(ev, token))
        abort();
    dg_free(ev);
    if (o.verdict == APPROVAL_ACCEPTED) {
        const struct dg_approval_msg *m = &r.u.appr;
        int idx = strcmp(m->approver, "alice") == 0 ? 0
                  : strcmp(m->approver, "bob") == 0 ? 1
                                                    : -1;
        char *text = approval_signed_text(m->body);
        if (idx < 0 || r.kind != DG_REC_APPROVAL ||
            !approval_ed25519_verify(keys[idx], text, m->signature) ||
            strcmp(m->token, token) != 0)
            abort();
        dg_free(text);
    }
    approval_outcome_cleanup(&o);
    store_rollback(st);
    decode_record_cleanup(&r);
    return 0;
}
