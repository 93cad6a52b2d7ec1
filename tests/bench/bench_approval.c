/*
 * bench_approval.c - how long the approval gate takes per reply.
 *
 * Usage: bench_approval [N]   (default 20000)
 * Prints microseconds per operation for: Ed25519 verification alone;
 * approval_verify of a reply that counts (store read, checks, approvals
 * insert, quorum re-count, state update; each in a transaction rolled back
 * so every iteration does the same work); a reply refused for its token
 * (read-only path); and decode_message plus approval_verify_record of the
 * wire text. The store is a temporary SQLite file with synchronous=OFF.
 * Asserts nothing about speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "approval.h"
#include "config.h"
#include "decode.h"
#include "mem.h"
#include "plan.h"
#include "record.h"
#include "store.h"

#define T0 1767225600000LL

static double
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char *
pub_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    if (!b || PEM_write_bio_PUBKEY(b, k) != 1)
        abort();
    long n = BIO_get_mem_data(b, &data);
    char *s = dg_strndup(data, (size_t)n);
    BIO_free(b);
    return s;
}

static char *
sign(EVP_PKEY *k, const char *who, const char *token, const struct plan *p)
{
    struct approval_reply_in in = {p->id, p->digest, "approve", token,
                                   who,   T0 + 1000, 0};
    cJSON *o = NULL;
    struct dg_err err;
    if (approval_reply_sign(&in, k, &o, &err) != DG_OK)
        abort();
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    if (n <= 0)
        n = 20000;
    dg_mem_init();
    char dir[] = "/tmp/drgate-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[128];
    snprintf(path, sizeof(path), "%s/state.db", dir);
    struct store *s = NULL;
    struct dg_err err;
    if (store_open(path, STORE_SYNC_OFF, &s, &err) != DG_OK)
        return 1;
    EVP_PKEY *keys[3];
    struct cfg_approver ap[3] = {
        {.name = "alice"}, {.name = "bob"}, {.name = "carol"}};
    for (int i = 0; i < 3; i++) {
        keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        ap[i].public_key = pub_pem(keys[i]);
    }
    struct cfg_approval cfg = {.ttl_seconds = 1800,
                               .approvers = ap,
                               .napprovers = 3,
                               .quorum_planned = 1,
                               .quorum_unplanned = 2};
    struct approval_gate *g = NULL;
    if (approval_gate_new(&cfg, &g, &err) != DG_OK)
        return 1;
    struct plan p = {
        .id = "plan-bench-1",
        .digest = "sha256:abababababababababababababababababababababababab"
                  "abababababababab",
        .plan_class = "unplanned",
        .body = cJSON_Parse("{\"runbook\":\"bench\",\"regions\":{\"primary\":"
                            "\"us-east-1\",\"secondary\":\"us-west-2\"},"
                            "\"layers\":[]}"),
        .mutating = 1,
    };
    struct approval_request_in in = {.plan = &p,
                                     .now_ms = T0,
                                     .random = approval_random_openssl,
                                     .lag_ms = -1};
    struct approval_publication pub;
    if (approval_request_create(g, s, &in, &pub, &err) != DG_OK)
        return 1;
    char *good = sign(keys[0], "alice", pub.token, &p);
    char *badtok =
        sign(keys[1], "bob", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", &p);
    struct dg_record rg, rb;
    decode_message(good, strlen(good), &rg);
    decode_message(badtok, strlen(badtok), &rb);
    if (rg.kind != DG_REC_APPROVAL || rb.kind != DG_REC_APPROVAL)
        return 1;
    char *text = approval_signed_text(rg.u.appr.body);
    int64_t now = T0 + 60000;
    struct approval_outcome o;
    long ok = 0;

    double t = now_us();
    for (long i = 0; i < n; i++)
        ok += approval_ed25519_verify(keys[0], text, rg.u.appr.signature);
    double ed = (now_us() - t) / (double)n;

    t = now_us();
    for (long i = 0; i < n; i++) {
        store_begin(s, &err);
        if (approval_verify(g, s, &rg.u.appr, now, &o, &err) != DG_OK)
            return 1;
        ok += o.verdict == APPROVAL_ACCEPTED;
        approval_outcome_cleanup(&o);
        store_rollback(s);
    }
    double acc = (now_us() - t) / (double)n;

    t = now_us();
    for (long i = 0; i < n; i++) {
        if (approval_verify(g, s, &rb.u.appr, now, &o, &err) != DG_OK)
            return 1;
        ok += o.verdict == APPROVAL_REFUSED;
        approval_outcome_cleanup(&o);
    }
    double ref = (now_us() - t) / (double)n;

    t = now_us();
    for (long i = 0; i < n; i++) {
        struct dg_record r;
        decode_message(good, strlen(good), &r);
        store_begin(s, &err);
        if (approval_verify_record(g, s, &r, now, &o, &err) != DG_OK)
            return 1;
        ok += o.verdict == APPROVAL_ACCEPTED;
        approval_outcome_cleanup(&o);
        store_rollback(s);
        decode_record_cleanup(&r);
    }
    double full = (now_us() - t) / (double)n;

    printf("approval bench: %ld replies each\n", n);
    printf("  ed25519 verify alone        %8.2f us\n", ed);
    printf(
        "  approval_verify, counted    %8.2f us (store write, rolled back)\n",
        acc);
    printf("  approval_verify, refused    %8.2f us (wrong token)\n", ref);
    printf("  decode + verify, counted    %8.2f us\n", full);
    int status = ok == 4 * n ? 0 : 1;
    if (status)
        fprintf(stderr, "bench: %ld of %ld outcomes as expected\n", ok, 4 * n);
    dg_free(text);
    decode_record_cleanup(&rg);
    decode_record_cleanup(&rb);
    dg_free(good);
    dg_free(badtok);
    approval_publication_cleanup(&pub);
    cJSON_Delete(p.body);
    approval_gate_free(g);
    for (int i = 0; i < 3; i++) {
        EVP_PKEY_free(keys[i]);
        dg_free(ap[i].public_key);
    }
    store_close(s);
    char f[160];
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(f, sizeof(f), "%s%s", path, sfx[i]);
        unlink(f);
    }
    rmdir(dir);
    return status;
}
