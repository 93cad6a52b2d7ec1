/*
 * approval.c - the approval gate: requests with one-time tokens, signed
 * replies, M-of-N quorum per plan class, expiry.
 *
 * Ownership: the gate owns its parsed public keys; publications, outcomes
 * and expired lists own their strings and JSON and are cleaned up by their
 * _cleanup/_free. The token is returned once, inside the publication, and
 * cleansed (OPENSSL_cleanse) when the publication is cleaned up; the store
 * only ever sees its SHA-256, and no event or error text carries it.
 * Errors: a refused reply is not an error (DG_OK with a refused outcome);
 * dg_rc reports store failures (DG_ETRANSIENT: leave the input
 * unacknowledged), a bad random source or key (DG_EFATAL / DG_EINVALID).
 *
 * DESIGN: approval_verify checks a reply in a fixed order, cheapest and
 * least state-dependent first, and stops at the first failure:
 *   malformed -> unknown_approver -> bad_signature (with THAT approver's
 *   key) -> unknown_plan -> digest_mismatch -> already_finished (request
 *   not pending) -> expired (now >= expires) -> wrong_token (SHA-256,
 *   CRYPTO_memcmp) -> bad_signed_at -> duplicate_approver ->
 *   data_loss_not_accepted.
 * signed_at must lie in [request created - 5 min, now + 5 min]: a
 * legitimate reply cannot predate the token it carries, and a clock more
 * than five minutes ahead is a configuration problem worth refusing
 * loudly. The quorum applied is the larger of the one stored with the
 * request and the one the current configuration gives the class, and
 * only approvals by approvers still listed count, so a config change can
 * tighten but never loosen a pending request. Nothing outside this file
 * can move a request to "approved": only a counted reply that completes
 * the quorum does, and approval_is_approved re-counts before saying yes.
 */
#include "approval.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "buf.h"
#include "config.h"
#include "decode.h"
#include "digest.h"
#include "json.h"
#include "mem.h"
#include "plan.h"
#include "record.h"
#include "store_approval.h"
#include "timefmt.h"

#define ED25519_SIG_LEN 64
#define MAX_PLAN_ID 256
#define MAX_APPROVER 128

struct approval_gate {
    size_t n;
    char **names;
    EVP_PKEY **keys;
    int quorum_planned;
    int quorum_unplanned;
    int ttl_seconds;
};

/* ---- base64 ------------------------------------------------------------- */

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes n bytes; pad adds '='. out needs 4 * ((n + 2) / 3) + 1 bytes. */
static void
b64_encode(const unsigned char *in, size_t n, const char *alphabet, int pad,
           char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = alphabet[(v >> 6) & 63];
        else if (pad)
            out[o++] = '=';
        if (i + 2 < n)
            out[o++] = alphabet[v & 63];
        else if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
}

static int
b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Strict decoder for standard or url alphabet, padding optional. Returns
 * the decoded length, or -1 for bad characters, bad padding or more than
 * max bytes. */
static long
b64_decode(const char *s, unsigned char *out, size_t max)
{
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == '=')
        len--;
    size_t padded = strlen(s) - len;
    if (padded > 2 || len % 4 == 1 || (padded && (len + padded) % 4 != 0))
        return -1;
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= max)
                return -1;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1; /* non-canonical trailing bits */
    return (long)o;
}

/* ---- gate --------------------------------------------------------------- */

int
approval_random_openssl(unsigned char *buf, size_t n, void *ctx)
{
    (void)ctx;
    return n <= (size_t)INT32_MAX && RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

dg_rc
approval_gate_new(const struct cfg_approval *cfg, struct approval_gate **out,
                  struct dg_err *err)
{
    struct approval_gate *g = dg_calloc(1, sizeof(*g));
    *out = NULL;
    g->quorum_planned = cfg->quorum_planned;
    g->quorum_unplanned = cfg->quorum_unplanned;
    g->ttl_seconds = cfg->ttl_seconds > 0 ? cfg->ttl_seconds : 1800;
    g->names = dg_calloc(cfg->napprovers + 1, sizeof(*g->names));
    g->keys = dg_calloc(cfg->napprovers + 1, sizeof(*g->keys));
    for (size_t i = 0; i < cfg->napprovers; i++) {
        const struct cfg_approver *a = &cfg->approvers[i];
        BIO *bio = a->public_key ? BIO_new_mem_buf(a->public_key, -1) : NULL;
        EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        ERR_clear_error();
        if (!a->name || !k || !EVP_PKEY_is_a(k, "ED25519")) {
            EVP_PKEY_free(k);
            approval_gate_free(g);
            return dg_err_setc(err, DG_EINVALID, "bad_key",
                               "approval.approvers[%zu] (%s): public_key is "
                               "not an Ed25519 PEM public key",
                               i, a->name ? a->name : "?");
        }
        g->names[g->n] = dg_strdup(a->name);
        g->keys[g->n] = k;
        g->n++;
    }
    *out = g;
    return DG_OK;
}

void
approval_gate_free(struct approval_gate *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++) {
        dg_free(g->names[i]);
        EVP_PKEY_free(g->keys[i]);
    }
    dg_free(g->names);
    dg_free(g->keys);
    dg_free(g);
}

int
approval_gate_quorum(const struct approval_gate *g, const char *plan_class)
{
    int q;
    if (plan_class && strcmp(plan_class, "planned") == 0)
        q = g->quorum_planned;
    else if (plan_class && strcmp(plan_class, "unplanned") == 0)
        q = g->quorum_unplanned;
    else
        q = g->quorum_planned > g->quorum_unplanned ? g->quorum_planned
                                                    : g->quorum_unplanned;
    return q < 1 ? 1 : q;
}

static long
gate_find(const struct approval_gate *g, const char *name)
{
    for (size_t i = 0; name && i < g->n; i++)
        if (strcmp(g->names[i], name) == 0)
            return (long)i;
    return -1;
}

/* ---- requests ----------------------------------------------------------- */

static void
token_hash_hex(const char *token, char out[DG_SHA256_HEX_LEN + 1])
{
    digest_sha256_hex(token, strlen(token), out);
}

/* Seconds-precision RFC 3339 UTC: "2026-03-04T10:05:00Z". */
static void
rfc3339_seconds(int64_t ms, char out[DG_TIME_STR_LEN])
{
    timefmt_format(ms, out);
    out[19] = 'Z';
    out[20] = '\0';
}

/* Cleanses every string in a (shallow) JSON tree, then deletes it. */
static void
json_cleanse_delete(cJSON *root)
{
    for (cJSON *a = root ? root->child : NULL; a; a = a->next) {
        if (a->valuestring)
            OPENSSL_cleanse(a->valuestring, strlen(a->valuestring));
        for (cJSON *b = a->child; b; b = b->next)
            if (b->valuestring)
                OPENSSL_cleanse(b->valuestring, strlen(b->valuestring));
    }
    cJSON_Delete(root);
}

static void
cleanse_free(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
    dg_free(s);
}

static cJSON *
approvers_json(const struct approval_gate *g)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < g->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(g->names[i]));
    return a;
}

static dg_rc
email_text(const struct approval_gate *g, const struct approval_request_in *in,
           const struct approval_publication *pub, const char *summary,
           struct dg_buf *b)
{
    const struct plan *p = in->plan;
    char exp[DG_TIME_STR_LEN], obs[DG_TIME_STR_LEN];
    timefmt_format(pub->expires_ms, exp);
    dg_rc rc = dg_buf_printf(b,
                             "drgate asks for approval of plan %s (%s).\n\n"
                             "What will change, where, in this order:\n%s\n",
                             p->id, p->plan_class, summary);
    if (rc == DG_OK && p->data_loss)
        rc = dg_buf_addstr(b, "DATA AT RISK: this plan can lose writes that "
                              "were not yet replicated.\n");
    else if (rc == DG_OK)
        rc = dg_buf_addstr(b, "Data at risk: none expected.\n");
    if (rc == DG_OK && in->lag_ms >= 0) {
        timefmt_format(in->lag_observed_ms, obs);
        rc = dg_buf_printf(
            b, "Last observed replication lag: %lld ms%s%s%s%s%s.\n",
            (long long)in->lag_ms, in->lag_observed_ms > 0 ? " at " : "",
            in->lag_observed_ms > 0 ? obs : "", in->lag_note ? " (" : "",
            in->lag_note ? in->lag_note : "", in->lag_note ? ")" : "");
    } else if (rc == DG_OK) {
        rc = dg_buf_printf(b, "Last observed replication lag: unknown%s%s%s.\n",
                           in->lag_note ? " (" : "",
                           in->lag_note ? in->lag_note : "",
                           in->lag_note ? ")" : "");
    }
    if (rc == DG_OK && p->data_loss)
        rc = dg_buf_addstr(b, "Each approval must say --accept-data-loss.\n");
    if (rc == DG_OK)
        rc = dg_buf_printf(b,
                           "\nApprovals needed: %d distinct approver%s "
                           "(listed: ",
                           pub->quorum, pub->quorum == 1 ? "" : "s");
    for (size_t i = 0; rc == DG_OK && i < g->n; i++)
        rc = dg_buf_printf(b, "%s%s", i ? ", " : "", g->names[i]);
    if (rc == DG_OK)
        rc = dg_buf_printf(
            b,
            ").\nOne rejection cancels the plan.\n"
            "This request expires at %s; after that the plan is dropped.\n\n"
            "Plan digest: %s\n\n"
            "To approve:\n"
            "  drgate approve --plan %s --digest %s --token %s "
            "--approver YOUR_NAME --key YOUR_KEY.key%s\n\n"
            "To reject:\n"
            "  drgate reject --plan %s --digest %s --token %s "
            "--approver YOUR_NAME --key YOUR_KEY.key\n\n"
            "Add --print to get the signed reply instead of publishing it.\n",
            exp, p->digest, p->id, p->digest, pub->token,
            p->data_loss ? " --accept-data-loss" : "", p->id, p->digest,
            pub->token);
    return rc;
}

/* "replication_lag_ms" (integer or null), "replication_lag_observed_at"
 * (RFC 3339 or null) and "replication_lag_note" (string or null). */
static void
add_lag(cJSON *o, const struct approval_request_in *in)
{
    char obs[DG_TIME_STR_LEN];
    if (in->lag_ms >= 0)
        cJSON_AddNumberToObject(o, "replication_lag_ms", (double)in->lag_ms);
    else
        cJSON_AddNullToObject(o, "replication_lag_ms");
    if (in->lag_ms >= 0 && in->lag_observed_ms > 0) {
        timefmt_format(in->lag_observed_ms, obs);
        cJSON_AddStringToObject(o, "replication_lag_observed_at", obs);
    } else {
        cJSON_AddNullToObject(o, "replication_lag_observed_at");
    }
    if (in->lag_note)
        cJSON_AddStringToObject(o, "replication_lag_note", in->lag_note);
    else
        cJSON_AddNullToObject(o, "replication_lag_note");
}

static char *
request_json(const struct approval_request_in *in,
             const struct approval_publication *pub, const char *summary)
{
    const struct plan *p = in->plan;
    char exp[DG_TIME_STR_LEN];
    timefmt_format(pub->expires_ms, exp);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "drgate.approval.request");
    cJSON_AddStringToObject(o, "plan_id", p->id);
    cJSON_AddStringToObject(o, "plan_digest", p->digest);
    cJSON_AddStringToObject(o, "class", p->plan_class);
    cJSON_AddStringToObject(o, "token", pub->token);
    cJSON_AddStringToObject(o, "expires_at", exp);
    cJSON_AddBoolToObject(o, "data_loss", p->data_loss != 0);
    cJSON_AddNumberToObject(o, "quorum", pub->quorum);
    cJSON_AddStringToObject(o, "summary", summary);
    add_lag(o, in);
    char *s = cJSON_PrintUnformatted(o);
    json_cleanse_delete(o);
    return s;
}

static cJSON *
requested_event(const struct approval_gate *g,
                const struct approval_request_in *in,
                const struct approval_publication *pub)
{
    const struct plan *p = in->plan;
    char exp[DG_TIME_STR_LEN];
    timefmt_format(pub->expires_ms, exp);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "plan_id", p->id);
    cJSON_AddStringToObject(e, "plan_digest", p->digest);
    cJSON_AddStringToObject(e, "class", p->plan_class);
    cJSON_AddNumberToObject(e, "quorum", pub->quorum);
    cJSON_AddBoolToObject(e, "data_loss", p->data_loss != 0);
    cJSON_AddStringToObject(e, "expires_at", exp);
    cJSON_AddItemToObject(e, "approvers", approvers_json(g));
    add_lag(e, in);
    return e;
}

static dg_rc
build_publication(const struct approval_gate *g,
                  const struct approval_request_in *in,
                  struct approval_publication *out, struct dg_err *err)
{
    const struct plan *p = in->plan;
    struct dg_buf sum, text;
    dg_buf_init(&sum, 64 * 1024);
    dg_buf_init(&text, 96 * 1024);
    dg_rc rc = plan_summary(p, &sum);
    if (rc == DG_OK)
        rc = email_text(g, in, out, dg_buf_str(&sum), &text);
    char *req = rc == DG_OK ? request_json(in, out, dg_buf_str(&sum)) : NULL;
    if (rc != DG_OK || !req) {
        dg_buf_cleanup(&sum);
        if (text.data)
            OPENSSL_cleanse(text.data, text.len);
        dg_buf_cleanup(&text);
        cleanse_free(req);
        return dg_err_setc(err, DG_EINVALID, "too_large",
                           "plan %s: the approval request is too large", p->id);
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "default", dg_buf_str(&text));
    cJSON_AddStringToObject(m, "email", dg_buf_str(&text));
    cJSON_AddStringToObject(m, "sqs", req);
    cJSON_AddStringToObject(m, "lambda", req);
    cJSON_AddStringToObject(m, "https", req);
    out->sns_message = cJSON_PrintUnformatted(m);
    json_cleanse_delete(m);
    cleanse_free(req);
    OPENSSL_cleanse(text.data, text.len);
    dg_buf_cleanup(&text);
    dg_buf_cleanup(&sum);
    out->sns_subject = dg_sprintf(
        "drgate: approve %.60s (%s%s)?", p->id,
        strcmp(p->plan_class, "planned") == 0 ? "planned" : "unplanned",
        p->data_loss ? ", DATA LOSS" : "");
    out->event = requested_event(g, in, out);
    return DG_OK;
}

dg_rc
approval_request_create(const struct approval_gate *g, struct store *s,
                        const struct approval_request_in *in,
                        struct approval_publication *out, struct dg_err *err)
{
    unsigned char raw[APPROVAL_TOKEN_BYTES];
    char hash[DG_SHA256_HEX_LEN + 1];
    memset(out, 0, sizeof(*out));
    const struct plan *p = in->plan;
    if (!p || !p->id || !p->digest || !p->plan_class || !in->random)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "approval request: plan and random source needed");
    if (in->random(raw, sizeof(raw), in->random_ctx) != 0) {
        OPENSSL_cleanse(raw, sizeof(raw));
        return dg_err_setc(err, DG_EFATAL, "random",
                           "approval request: no random bytes for the token");
    }
    b64_encode(raw, sizeof(raw), b64url, 0, out->token);
    OPENSSL_cleanse(raw, sizeof(raw));
    token_hash_hex(out->token, hash);
    out->quorum = approval_gate_quorum(g, p->plan_class);
    out->expires_ms = in->now_ms + (int64_t)g->ttl_seconds * 1000;
    struct store_appr_req row = {
        .plan_id = p->id,
        .digest = p->digest,
        .plan_class = p->plan_class,
        .token_hash = hash,
        .state = STORE_APPR_PENDING,
        .quorum = out->quorum,
        .data_loss = p->data_loss,
        .created_ms = in->now_ms,
        .expires_ms = out->expires_ms,
        .has_lag = in->lag_ms >= 0,
        .lag_ms = in->lag_ms,
        .lag_observed_ms = in->lag_observed_ms,
        .lag_note = (char *)in->lag_note, /* borrowed for the insert */
    };
    dg_rc rc = build_publication(g, in, out, err);
    if (rc == DG_OK)
        rc = store_appr_req_add(s, &row, err);
    if (rc != DG_OK)
        approval_publication_cleanup(out);
    return rc;
}

dg_rc
approval_request_reissue(const struct approval_gate *g, struct store *s,
                         const struct approval_request_in *in,
                         struct approval_publication *out, struct dg_err *err)
{
    unsigned char raw[APPROVAL_TOKEN_BYTES];
    char hash[DG_SHA256_HEX_LEN + 1];
    memset(out, 0, sizeof(*out));
    const struct plan *p = in->plan;
    if (!p || !p->id || !in->random)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "approval request: plan and random source needed");
    struct store_appr_req row;
    int found = 0;
    dg_rc rc = store_appr_req_get(s, p->id, &row, &found, err);
    if (rc != DG_OK)
        return rc;
    if (!found || strcmp(row.state, STORE_APPR_PENDING) != 0 ||
        strcmp(row.digest, p->digest) != 0) {
        store_appr_req_cleanup(&row);
        return dg_err_setc(err, DG_EINVALID, "not_pending",
                           "approval request of %s is not pending", p->id);
    }
    out->quorum = row.quorum;
    out->expires_ms = row.expires_ms;
    /* The figure the request stated when it was recorded. */
    struct approval_request_in again = *in;
    again.lag_ms = row.has_lag ? row.lag_ms : -1;
    again.lag_observed_ms = row.has_lag ? row.lag_observed_ms : 0;
    again.lag_note = row.lag_note;
    if (in->random(raw, sizeof(raw), in->random_ctx) != 0) {
        OPENSSL_cleanse(raw, sizeof(raw));
        store_appr_req_cleanup(&row);
        return dg_err_setc(err, DG_EFATAL, "random",
                           "approval request: no random bytes for the token");
    }
    b64_encode(raw, sizeof(raw), b64url, 0, out->token);
    OPENSSL_cleanse(raw, sizeof(raw));
    token_hash_hex(out->token, hash);
    int changed = 0;
    rc = build_publication(g, &again, out, err);
    store_appr_req_cleanup(&row);
    if (rc == DG_OK)
        rc = store_appr_req_set_token(s, p->id, hash, &changed, err);
    if (rc == DG_OK && !changed)
        rc = dg_err_setc(err, DG_EINVALID, "not_pending",
                         "approval request of %s is not pending", p->id);
    if (rc != DG_OK)
        approval_publication_cleanup(out);
    return rc;
}

void
approval_publication_cleanup(struct approval_publication *p)
{
    if (!p)
        return;
    cleanse_free(p->sns_message);
    dg_free(p->sns_subject);
    cJSON_Delete(p->event);
    OPENSSL_cleanse(p, sizeof(*p));
    memset(p, 0, sizeof(*p));
}

dg_rc
approval_cancel(struct store *s, const char *plan_id, int64_t now_ms,
                int *changed, struct dg_err *err)
{
    return store_appr_req_finish(s, plan_id, STORE_APPR_CANCELLED, now_ms,
                                 changed, err);
}

/* Distinct approvals by approvers listed in g. */
static dg_rc
count_listed(const struct approval_gate *g, struct store *s,
             const char *plan_id, int *count, const char *also, int *has_also,
             struct dg_err *err)
{
    char **names = NULL;
    size_t n = 0;
    *count = 0;
    if (has_also)
        *has_also = 0;
    dg_rc rc = store_appr_names(s, plan_id, "approve", &names, &n, err);
    if (rc != DG_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (gate_find(g, names[i]) >= 0)
            (*count)++;
        if (also && has_also && strcmp(names[i], also) == 0)
            *has_also = 1;
    }
    store_appr_names_free(names, n);
    return DG_OK;
}

static int
effective_quorum(const struct approval_gate *g, const struct store_appr_req *r)
{
    int q = approval_gate_quorum(g, r->plan_class);
    return r->quorum > q ? r->quorum : q;
}

dg_rc
approval_is_approved(const struct approval_gate *g, struct store *s,
                     const char *plan_id, const char *digest, int *approved,
                     struct dg_err *err)
{
    struct store_appr_req r;
    int found, count = 0;
    *approved = 0;
    dg_rc rc = store_appr_req_get(s, plan_id, &r, &found, err);
    if (rc != DG_OK || !found)
        return rc;
    if (strcmp(r.state, STORE_APPR_APPROVED) == 0 && digest &&
        strcmp(r.digest, digest) == 0) {
        rc = count_listed(g, s, plan_id, &count, NULL, NULL, err);
        *approved = rc == DG_OK && count >= effective_quorum(g, &r);
    }
    store_appr_req_cleanup(&r);
    return rc;
}

/* ---- replies ------------------------------------------------------------ */

char *
approval_signed_text(const cJSON *body)
{
    if (!cJSON_IsObject(body))
        return NULL;
    cJSON *copy = cJSON_Duplicate(body, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "signature");
    char *s = dg_json_canonical_str(copy, APPROVAL_MAX_REPLY);
    cJSON_Delete(copy);
    return s;
}

int
approval_ed25519_verify(EVP_PKEY *pub, const char *text, const char *sig_b64)
{
    unsigned char sig[ED25519_SIG_LEN + 1];
    if (!pub || !text || !sig_b64 ||
        b64_decode(sig_b64, sig, sizeof(sig)) != ED25519_SIG_LEN)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok =
        ctx &&
        EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, pub, NULL) == 1 &&
        EVP_DigestVerify(ctx, sig, ED25519_SIG_LEN, (const unsigned char *)text,
                         strlen(text)) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

dg_rc
approval_reply_sign(const struct approval_reply_in *in, EVP_PKEY *key,
                    cJSON **out, struct dg_err *err)
{
    *out = NULL;
    if (!in->plan_id || !in->plan_digest || !in->decision || !in->token ||
        !in->approver)
        return dg_err_setc(err, DG_EINVALID, "missing_field",
                           "a reply needs plan_id, plan_digest, decision, "
                           "token and approver");
    if (strcmp(in->decision, "approve") != 0 &&
        strcmp(in->decision, "reject") != 0)
        return dg_err_setc(err, DG_EINVALID, "bad_field",
                           "decision must be approve or reject");
    if (!key || !EVP_PKEY_is_a(key, "ED25519"))
        return dg_err_setc(err, DG_EINVALID, "bad_key",
                           "the signing key is not an Ed25519 private key");
    char at[DG_TIME_STR_LEN];
    rfc3339_seconds(in->signed_ms, at);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "drgate.approval");
    cJSON_AddStringToObject(o, "plan_id", in->plan_id);
    cJSON_AddStringToObject(o, "plan_digest", in->plan_digest);
    cJSON_AddStringToObject(o, "decision", in->decision);
    cJSON_AddStringToObject(o, "token", in->token);
    cJSON_AddStringToObject(o, "approver", in->approver);
    cJSON_AddStringToObject(o, "signed_at", at);
    if (in->accept_data_loss)
        cJSON_AddTrueToObject(o, "accept_data_loss");
    char *text = approval_signed_text(o);
    unsigned char sig[ED25519_SIG_LEN];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok =
        text && ctx &&
        EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, key, NULL) == 1 &&
        EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)text,
                       strlen(text)) == 1 &&
        siglen == ED25519_SIG_LEN;
    EVP_MD_CTX_free(ctx);
    dg_free(text);
    if (!ok) {
        ERR_clear_error();
        cJSON_Delete(o);
        return dg_err_setc(err, DG_EINVALID, "sign_failed",
                           "signing the reply failed (is the key a private "
                           "Ed25519 key?)");
    }
    char b64[4 * ((ED25519_SIG_LEN + 2) / 3) + 1];
    b64_encode(sig, siglen, b64std, 1, b64);
    cJSON_AddStringToObject(o, "signature", b64);
    *out = o;
    return DG_OK;
}

const char *
approval_reason_code(enum approval_reason r)
{
    switch (r) {
    case APPROVAL_OK:
        return "ok";
    case APPROVAL_MALFORMED:
        return "malformed";
    case APPROVAL_UNKNOWN_APPROVER:
        return "unknown_approver";
    case APPROVAL_BAD_SIGNATURE:
        return "bad_signature";
    case APPROVAL_UNKNOWN_PLAN:
        return "unknown_plan";
    case APPROVAL_DIGEST_MISMATCH:
        return "digest_mismatch";
    case APPROVAL_ALREADY_FINISHED:
        return "already_finished";
    case APPROVAL_EXPIRED:
        return "expired";
    case APPROVAL_WRONG_TOKEN:
        return "wrong_token";
    case APPROVAL_BAD_SIGNED_AT:
        return "bad_signed_at";
    case APPROVAL_DUPLICATE_APPROVER:
        return "duplicate_approver";
    case APPROVAL_DATA_LOSS_NOT_ACCEPTED:
        return "data_loss_not_accepted";
    case APPROVAL_BAD_SNS_SIGNATURE:
        return "bad_sns_signature";
    }
    return "?";
}

void
approval_outcome_cleanup(struct approval_outcome *o)
{
    if (!o)
        return;
    cJSON_Delete(o->event);
    memset(o, 0, sizeof(*o));
}

static int
is_b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Copies in to out, replacing every run of APPROVAL_TOKEN_LEN or more
 * base64url characters (what a token looks like; lower-case hex runs,
 * digests, excepted) with "[redacted]": a
 * refused reply may carry a token anywhere (a key, the approver), and
 * events and reasons echo what was sent. */
static void
redact(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 1 < n;) {
        size_t run = 0;
        while (is_b64url_char(in[i + run]))
            run++;
        int hex = 1;
        for (size_t k = 0; k < run && hex; k++)
            hex = (in[i + k] >= '0' && in[i + k] <= '9') ||
                  (in[i + k] >= 'a' && in[i + k] <= 'f');
        if (run >= APPROVAL_TOKEN_LEN && !hex) { /* digests stay */
            int w = snprintf(out + o, n - o, "[redacted]");
            o = w > 0 && (size_t)w < n - o ? o + (size_t)w : n - 1;
            i += run;
        } else if (run > 0) {
            for (size_t k = 0; k < run && o + 1 < n; k++)
                out[o++] = in[i + k];
            i += run;
        } else {
            out[o++] = in[i++];
        }
    }
    out[o < n ? o : n - 1] = '\0';
}

/* Adds a string field, redacted, when it is present and short. */
static void
add_short(cJSON *e, const char *key, const char *v, size_t max)
{
    char buf[300];
    if (!v || strlen(v) > max)
        return;
    redact(v, buf, sizeof(buf));
    cJSON_AddStringToObject(e, key, buf);
}

static int
digest_shape_ok(const char *d)
{
    if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
        return 0;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

void
approval_refuse(const struct dg_approval_msg *m, enum approval_reason r,
                const char *text, struct approval_outcome *out)
{
    cJSON_Delete(out->event);
    out->verdict = APPROVAL_REFUSED;
    out->reason = r;
    out->now_approved = 0;
    out->now_rejected = 0;
    redact(text ? text : approval_reason_code(r), out->reason_text,
           sizeof(out->reason_text));
    out->event_type = "drgate.approval.refused";
    cJSON *e = cJSON_CreateObject();
    if (m) {
        add_short(e, "plan_id", m->plan_id, MAX_PLAN_ID);
        if (digest_shape_ok(m->plan_digest))
            cJSON_AddStringToObject(e, "plan_digest", m->plan_digest);
        add_short(e, "approver", m->approver, MAX_APPROVER);
        add_short(e, "decision", m->decision, 16);
        add_short(e, "signed_at", m->signed_at, 64);
    }
    cJSON_AddStringToObject(e, "reason_code", approval_reason_code(r));
    cJSON_AddStringToObject(e, "reason", out->reason_text);
    if (out->plan_state[0])
        cJSON_AddStringToObject(e, "plan_state", out->plan_state);
    out->event = e;
}

static void refusef(const struct dg_approval_msg *m, enum approval_reason r,
                    struct approval_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
refusef(const struct dg_approval_msg *m, enum approval_reason r,
        struct approval_outcome *out, const char *fmt, ...)
{
    char text[sizeof(out->reason_text)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    approval_refuse(m, r, text, out);
}

static void
accepted_event(const struct dg_approval_msg *m, struct approval_outcome *out)
{
    out->verdict = APPROVAL_ACCEPTED;
    out->reason = APPROVAL_OK;
    out->event_type = "drgate.approval.accepted";
    snprintf(out->reason_text, sizeof(out->reason_text),
             "%s counted (%d of %d)",
             strcmp(m->decision, "reject") == 0 ? "rejection" : "approval",
             out->approvals, out->quorum);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "plan_id", m->plan_id);
    cJSON_AddStringToObject(e, "plan_digest", m->plan_digest);
    cJSON_AddStringToObject(e, "approver", m->approver);
    cJSON_AddStringToObject(e, "decision", m->decision);
    cJSON_AddStringToObject(e, "signed_at", m->signed_at);
    cJSON_AddBoolToObject(e, "accept_data_loss", m->accept_data_loss != 0);
    cJSON_AddNumberToObject(e, "approvals", out->approvals);
    cJSON_AddNumberToObject(e, "quorum", out->quorum);
    cJSON_AddStringToObject(e, "plan_state", out->plan_state);
    cJSON_AddStringToObject(e, "reason", out->reason_text);
    out->event = e;
}

static int
streq_field(const cJSON *body, const char *key, const char *v)
{
    const char *b = dg_json_str(body, key);
    return b && v && strcmp(b, v) == 0;
}

/* Shape and bounds, and that m agrees with the signed body. */
static int
well_formed(const struct dg_approval_msg *m, char *why, size_t n)
{
    int64_t t;
    const cJSON *b = m->body;
    if (!b || !m->plan_id || !m->plan_digest || !m->decision || !m->token ||
        !m->approver || !m->signed_at || !m->signature) {
        snprintf(why, n, "the reply lacks a required field");
        return 0;
    }
    if (strlen(m->plan_id) > MAX_PLAN_ID ||
        strlen(m->approver) > MAX_APPROVER || strlen(m->token) > 64 ||
        strlen(m->signature) > 200) {
        snprintf(why, n, "a field of the reply is too long");
        return 0;
    }
    if (strcmp(m->decision, "approve") != 0 &&
        strcmp(m->decision, "reject") != 0) {
        snprintf(why, n, "decision must be approve or reject");
        return 0;
    }
    if (timefmt_parse(m->signed_at, &t) != 0) {
        snprintf(why, n, "signed_at is not an RFC 3339 time");
        return 0;
    }
    const cJSON *adl = cJSON_GetObjectItemCaseSensitive(b, "accept_data_loss");
    if (!streq_field(b, "type", "drgate.approval") ||
        !streq_field(b, "plan_id", m->plan_id) ||
        !streq_field(b, "plan_digest", m->plan_digest) ||
        !streq_field(b, "decision", m->decision) ||
        !streq_field(b, "token", m->token) ||
        !streq_field(b, "approver", m->approver) ||
        !streq_field(b, "signed_at", m->signed_at) ||
        !streq_field(b, "signature", m->signature) ||
        (adl && !cJSON_IsBool(adl)) ||
        (cJSON_IsTrue(adl) ? 1 : 0) != (m->accept_data_loss ? 1 : 0)) {
        snprintf(why, n, "the reply's fields do not match its signed body");
        return 0;
    }
    return 1;
}

/* Everything that does not need the request row. Returns 1 when the reply
 * passed (signature verified with the named approver's key). */
static int
check_signed(const struct approval_gate *g, const struct dg_approval_msg *m,
             struct approval_outcome *out)
{
    char why[200];
    if (!well_formed(m, why, sizeof(why))) {
        refusef(m, APPROVAL_MALFORMED, out, "%s", why);
        return 0;
    }
    long idx = gate_find(g, m->approver);
    if (idx < 0) {
        refusef(m, APPROVAL_UNKNOWN_APPROVER, out,
                "%s is not listed in approval.approvers", m->approver);
        return 0;
    }
    char *text = approval_signed_text(m->body);
    if (!text) {
        refusef(m, APPROVAL_MALFORMED, out, "the reply is larger than %d bytes",
                APPROVAL_MAX_REPLY);
        return 0;
    }
    int ok = approval_ed25519_verify(g->keys[idx], text, m->signature);
    dg_free(text);
    if (!ok)
        refusef(m, APPROVAL_BAD_SIGNATURE, out,
                "the signature does not verify with %s's public key",
                m->approver);
    return ok;
}

/* The request-dependent checks. Returns 1 when the reply counts. */
static int
check_request(const struct approval_gate *g, struct store *s,
              const struct dg_approval_msg *m, const struct store_appr_req *r,
              int64_t now_ms, struct approval_outcome *out, dg_rc *rc,
              struct dg_err *err)
{
    char hash[DG_SHA256_HEX_LEN + 1];
    int64_t signed_ms = 0;
    int dup = 0;
    if (strcmp(r->digest, m->plan_digest) != 0) {
        refusef(m, APPROVAL_DIGEST_MISMATCH, out,
                "the reply names digest %s; plan %s has %s", m->plan_digest,
                m->plan_id, r->digest);
        return 0;
    }
    if (strcmp(r->state, STORE_APPR_PENDING) != 0) {
        refusef(m, APPROVAL_ALREADY_FINISHED, out,
                "plan already finished: its approval request is %s", r->state);
        return 0;
    }
    if (now_ms >= r->expires_ms) {
        char exp[DG_TIME_STR_LEN];
        timefmt_format(r->expires_ms, exp);
        refusef(m, APPROVAL_EXPIRED, out, "the approval request expired at %s",
                exp);
        return 0;
    }
    token_hash_hex(m->token, hash);
    if (strlen(r->token_hash) != DG_SHA256_HEX_LEN ||
        CRYPTO_memcmp(hash, r->token_hash, DG_SHA256_HEX_LEN) != 0) {
        refusef(m, APPROVAL_WRONG_TOKEN, out,
                "the token is not the one issued for plan %s", m->plan_id);
        return 0;
    }
    (void)timefmt_parse(m->signed_at, &signed_ms);
    if (signed_ms > now_ms + APPROVAL_MAX_SKEW_MS ||
        signed_ms < r->created_ms - APPROVAL_MAX_SKEW_MS) {
        refusef(m, APPROVAL_BAD_SIGNED_AT, out,
                "signed_at %s is outside [request created - 5 min, now + "
                "5 min] (check the signer's clock)",
                m->signed_at);
        return 0;
    }
    *rc =
        count_listed(g, s, m->plan_id, &out->approvals, m->approver, &dup, err);
    if (*rc != DG_OK)
        return 0;
    int approve = strcmp(m->decision, "approve") == 0;
    if (approve && dup) {
        refusef(m, APPROVAL_DUPLICATE_APPROVER, out,
                "%s has already approved plan %s; approvals must come from "
                "distinct approvers",
                m->approver, m->plan_id);
        return 0;
    }
    if (approve && r->data_loss && !m->accept_data_loss) {
        refusef(m, APPROVAL_DATA_LOSS_NOT_ACCEPTED, out,
                "plan %s can lose data: an approval must carry "
                "\"accept_data_loss\": true",
                m->plan_id);
        return 0;
    }
    return 1;
}

/* Records a counted reply and moves the request when it decides. */
static dg_rc
record_reply(const struct approval_gate *g, struct store *s,
             const struct dg_approval_msg *m, const struct store_appr_req *r,
             int64_t now_ms, struct approval_outcome *out, struct dg_err *err)
{
    int inserted = 0, changed = 0;
    int approve = strcmp(m->decision, "approve") == 0;
    char *json = cJSON_PrintUnformatted(m->body);
    dg_rc rc = store_appr_savepoint(s, err);
    if (rc != DG_OK) {
        dg_free(json);
        return rc;
    }
    rc = store_appr_add(s, m->plan_id, m->approver, m->decision, m->signed_at,
                        now_ms, json, &inserted, err);
    dg_free(json);
    if (rc == DG_OK && approve)
        rc = count_listed(g, s, m->plan_id, &out->approvals, NULL, NULL, err);
    snprintf(out->plan_state, sizeof(out->plan_state), "%s", r->state);
    if (rc == DG_OK && (!approve || out->approvals >= out->quorum)) {
        const char *to = approve ? STORE_APPR_APPROVED : STORE_APPR_REJECTED;
        rc = store_appr_req_finish(s, m->plan_id, to, now_ms, &changed, err);
        if (rc == DG_OK && changed) {
            snprintf(out->plan_state, sizeof(out->plan_state), "%s", to);
            out->now_approved = approve;
            out->now_rejected = !approve;
        }
    }
    if (rc == DG_OK && approve && !inserted)
        rc = dg_err_setc(err, DG_EFATAL, "store",
                         "approval of %s by %s was not recorded", m->plan_id,
                         m->approver);
    if (rc == DG_OK)
        rc = store_appr_release(s, err);
    if (rc != DG_OK) {
        store_appr_rollback(s);
        out->now_approved = out->now_rejected = 0;
    }
    return rc;
}

dg_rc
approval_verify(const struct approval_gate *g, struct store *s,
                const struct dg_approval_msg *m, int64_t now_ms,
                struct approval_outcome *out, struct dg_err *err)
{
    struct store_appr_req r;
    int found = 0;
    dg_rc rc = DG_OK;
    memset(out, 0, sizeof(*out));
    if (!check_signed(g, m, out))
        return DG_OK;
    rc = store_appr_req_get(s, m->plan_id, &r, &found, err);
    if (rc != DG_OK) {
        approval_refuse(m, APPROVAL_UNKNOWN_PLAN, "store unavailable", out);
        return rc;
    }
    if (!found) {
        refusef(m, APPROVAL_UNKNOWN_PLAN, out,
                "no approval request for plan %s", m->plan_id);
        return DG_OK;
    }
    out->quorum = effective_quorum(g, &r);
    snprintf(out->plan_state, sizeof(out->plan_state), "%s", r.state);
    if (check_request(g, s, m, &r, now_ms, out, &rc, err)) {
        rc = record_reply(g, s, m, &r, now_ms, out, err);
        if (rc == DG_OK)
            accepted_event(m, out);
        else
            approval_refuse(m, APPROVAL_MALFORMED, "store unavailable", out);
    } else if (rc != DG_OK) {
        approval_refuse(m, APPROVAL_MALFORMED, "store unavailable", out);
    }
    store_appr_req_cleanup(&r);
    return rc;
}

dg_rc
approval_verify_record(const struct approval_gate *g, struct store *s,
                       const struct dg_record *r, int64_t now_ms,
                       struct approval_outcome *out, struct dg_err *err)
{
    memset(out, 0, sizeof(*out));
    if (r->kind == DG_REC_APPROVAL)
        return approval_verify(g, s, &r->u.appr, now_ms, out, err);
    if (r->kind == DG_REC_INVALID) {
        refusef(NULL, APPROVAL_MALFORMED, out, "%s: %s",
                r->reason_code ? r->reason_code : "invalid",
                r->reason ? r->reason : "refused by the decoder");
        return DG_OK;
    }
    refusef(NULL, APPROVAL_MALFORMED, out, "not an approval reply (%s)",
            decode_kind_name(r->kind));
    return dg_err_setc(err, DG_EINVALID, "not_approval",
                       "record is a %s, not an approval reply",
                       decode_kind_name(r->kind));
}

/* ---- expiry ------------------------------------------------------------- */

dg_rc
approval_expire_due(struct store *s, int64_t now_ms, size_t max,
                    struct approval_expired **out, size_t *n,
                    struct dg_err *err)
{
    struct store_appr_req *rows = NULL;
    size_t cnt = 0, k = 0;
    *out = NULL;
    *n = 0;
    dg_rc rc = store_appr_savepoint(s, err);
    if (rc == DG_OK)
        rc = store_appr_req_due(s, now_ms, max, &rows, &cnt, err);
    struct approval_expired *v = cnt ? dg_calloc(cnt, sizeof(*v)) : NULL;
    for (size_t i = 0; rc == DG_OK && i < cnt; i++) {
        int changed = 0;
        rc = store_appr_req_finish(s, rows[i].plan_id, STORE_APPR_EXPIRED,
                                   now_ms, &changed, err);
        if (rc != DG_OK || !changed)
            continue;
        char exp[DG_TIME_STR_LEN];
        timefmt_format(rows[i].expires_ms, exp);
        struct approval_expired *x = &v[k++];
        x->plan_id = dg_strdup(rows[i].plan_id);
        x->digest = dg_strdup(rows[i].digest);
        x->plan_class = dg_strdup(rows[i].plan_class);
        x->expires_ms = rows[i].expires_ms;
        x->event = cJSON_CreateObject();
        cJSON_AddStringToObject(x->event, "plan_id", x->plan_id);
        cJSON_AddStringToObject(x->event, "plan_digest", x->digest);
        cJSON_AddStringToObject(x->event, "class", x->plan_class);
        cJSON_AddStringToObject(x->event, "expired_at", exp);
        cJSON_AddStringToObject(x->event, "reason",
                                "no quorum of approvals before the request "
                                "expired");
    }
    store_appr_req_free_all(rows, cnt);
    if (rc == DG_OK)
        rc = store_appr_release(s, err);
    if (rc != DG_OK) {
        store_appr_rollback(s);
        approval_expired_free(v, k);
        return rc;
    }
    if (k == 0) {
        dg_free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return DG_OK;
}

void
approval_expired_free(struct approval_expired *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        dg_free(v[i].plan_id);
        dg_free(v[i].digest);
        dg_free(v[i].plan_class);
        cJSON_Delete(v[i].event);
    }
    dg_free(v);
}

dg_rc
approval_next_expiry(struct store *s, int64_t *ms, int *found,
                     struct dg_err *err)
{
    return store_appr_req_next_expiry(s, ms, found, err);
}
