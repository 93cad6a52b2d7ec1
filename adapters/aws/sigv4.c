/*
 * sigv4.c - AWS Signature Version 4 header signing, pure and staged.
 *
 * The stages are the ones AWS documents: canonical request, string to sign,
 * signing key (HMAC chain), signature, Authorization value. Each is public
 * so the conformance tests compare it with the official suite byte for
 * byte; sigv4_sign() chains them and lists the headers the caller adds.
 *
 * Ownership: every input is borrowed. Outputs go into caller-owned dg_bufs
 * with a maximum, or fixed arrays. The signing key is secret: callers that
 * ask for it cleanse it; keys derived here live on the stack and are
 * cleansed with OPENSSL_cleanse before return, as are the intermediate
 * HMAC keys and the "AWS4"+secret buffer.
 *
 * Errors: DG_EINVALID with a message in struct dg_err for malformed input
 * (bad escapes, control bytes, bad date) or a size past one of the
 * SIGV4_MAX_* bounds; DG_EFATAL if OpenSSL fails. Nothing here logs.
 *
 * DESIGN. The rules are the union of the suite (aws-c-auth) and botocore,
 * which agree where both define behaviour:
 * - path: the wire path (already percent-encoded) has ".", ".." and empty
 *   segments removed (NORMALIZE_PATH), then is percent-encoded once more
 *   (ENCODE_PATH); S3 does neither.
 * - query: split on '&' (empty pieces dropped), then on the first '=',
 *   each side percent-decoded and re-encoded with the unreserved set, and
 *   sorted by encoded key, then encoded value.
 * - headers: names lower-cased, hop-by-hop and agent headers excluded as
 *   botocore does (SIGNED_HEADERS_BLACKLIST), values trimmed with white
 *   space runs collapsed (this also unfolds multi-line values), repeats
 *   joined with ',' in request order, then sorted by name (stable).
 * - the signer owns X-Amz-Date, Authorization and (with a token)
 *   X-Amz-Security-Token; a caller header of those names is rejected
 *   rather than silently replaced.
 */
#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "digest.h"
#include "mem.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"

static const char *const excluded_headers[] = {
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

/* A header after canonicalization; idx keeps sorting stable. */
struct hent {
    char *name;
    char *value;
    size_t idx;
};

struct qparam {
    char *key;
    char *value;
};

static int
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

/* RFC 7230 tchar. */
static int
is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static dg_rc
too_big(struct dg_err *err, const char *what)
{
    return dg_err_setc(err, DG_EINVALID, "sigv4_too_large",
                       "sigv4: %s exceeds its size limit", what);
}

/* Non-empty, at most max bytes, printable ASCII without space (and without
 * '/' unless slash_ok). */
static dg_rc
check_chars(const char *s, size_t max, int slash_ok, const char *what,
            struct dg_err *err)
{
    if (!s || !*s)
        return dg_err_set(err, DG_EINVALID, "sigv4: %s is missing", what);
    size_t n = strnlen(s, max + 1);
    if (n > max)
        return too_big(err, what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || (c == '/' && !slash_ok))
            return dg_err_set(err, DG_EINVALID,
                              "sigv4: %s has a forbidden byte 0x%02x", what, c);
    }
    return DG_OK;
}

static dg_rc
check_field(const char *s, size_t max, const char *what, struct dg_err *err)
{
    return check_chars(s, max, 0, what, err);
}

static dg_rc
check_amz_date(const char *d, struct dg_err *err)
{
    if (!d || strnlen(d, SIGV4_AMZ_DATE_LEN + 1) != SIGV4_AMZ_DATE_LEN)
        goto bad;
    for (size_t i = 0; i < SIGV4_AMZ_DATE_LEN; i++) {
        char want = i == 8 ? 'T' : i == 15 ? 'Z' : '0';
        if (want == '0' ? (d[i] < '0' || d[i] > '9') : d[i] != want)
            goto bad;
    }
    return DG_OK;
bad:
    return dg_err_set(err, DG_EINVALID,
                      "sigv4: date must be ISO 8601 basic "
                      "(YYYYMMDDTHHMMSSZ)");
}

/* Days since 1970-01-01 to civil date (H. Hinnant's algorithm). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

dg_rc
sigv4_format_date(int64_t ms, char out[SIGV4_AMZ_DATE_LEN + 1],
                  struct dg_err *err)
{
    /* 9999-12-31T23:59:59.999Z */
    if (ms < 0 || ms > INT64_C(253402300799999))
        return dg_err_set(err, DG_EINVALID,
                          "sigv4: time %lld ms is outside 1970..9999",
                          (long long)ms);
    int64_t secs = ms / 1000;
    int64_t days = secs / 86400;
    int64_t rem = secs % 86400;
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    unsigned hh = (unsigned)(rem / 3600);
    unsigned mi = (unsigned)(rem / 60 % 60);
    unsigned ss = (unsigned)(rem % 60);
    int n = snprintf(out, SIGV4_AMZ_DATE_LEN + 1, "%04u%02u%02uT%02u%02u%02uZ",
                     (unsigned)y, mo, d, hh, mi, ss);
    if (n != SIGV4_AMZ_DATE_LEN)
        return dg_err_set(err, DG_EINVALID, "sigv4: cannot format date");
    return DG_OK;
}

dg_rc
sigv4_uri_encode(const char *s, size_t len, int keep_slash, struct dg_buf *out,
                 struct dg_err *err)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        dg_rc rc;
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            rc = dg_buf_addc(out, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = dg_buf_add(out, esc, sizeof(esc));
        }
        if (rc != DG_OK)
            return too_big(err, "encoded string");
    }
    return DG_OK;
}

/* botocore's remove_dot_segments: drops "", "." and (with its parent) "..";
 * keeps a leading '/', and a trailing '/' when anything is left. */
static dg_rc
normalize_path(const char *path, size_t len, struct dg_buf *out,
               struct dg_err *err)
{
    size_t *starts = dg_malloc(sizeof(*starts) * (len / 2 + 1));
    size_t *lens = dg_malloc(sizeof(*lens) * (len / 2 + 1));
    size_t n = 0;
    dg_rc rc = DG_OK;

    for (size_t i = 0; i <= len;) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t sl = j - i;
        if (sl == 0 || (sl == 1 && path[i] == '.')) {
            /* skip */
        } else if (sl == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (n > 0)
                n--;
        } else {
            starts[n] = i;
            lens[n] = sl;
            n++;
        }
        i = j + 1;
    }
    if (len > 0 && path[0] == '/')
        rc = dg_buf_addc(out, '/');
    for (size_t k = 0; k < n && rc == DG_OK; k++) {
        if (k > 0)
            rc = dg_buf_addc(out, '/');
        if (rc == DG_OK)
            rc = dg_buf_add(out, path + starts[k], lens[k]);
    }
    if (rc == DG_OK && len > 0 && path[len - 1] == '/' && n > 0)
        rc = dg_buf_addc(out, '/');
    dg_free(starts);
    dg_free(lens);
    if (rc != DG_OK)
        return too_big(err, "path");
    return DG_OK;
}

dg_rc
sigv4_canonical_path(const char *path, unsigned flags, struct dg_buf *out,
                     struct dg_err *err)
{
    if (!path || !*path)
        path = "/";
    size_t len = strnlen(path, SIGV4_MAX_PATH + 1);
    if (len > SIGV4_MAX_PATH)
        return too_big(err, "path");
    if (path[0] != '/')
        return dg_err_set(err, DG_EINVALID, "sigv4: path must start with '/'");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f)
            return dg_err_set(err, DG_EINVALID,
                              "sigv4: path has a control byte 0x%02x", c);
    }

    struct dg_buf norm;
    dg_buf_init(&norm, SIGV4_MAX_PATH);
    const char *p = path;
    size_t plen = len;
    dg_rc rc = DG_OK;
    if (flags & SIGV4_NORMALIZE_PATH) {
        rc = normalize_path(path, len, &norm, err);
        if (rc != DG_OK)
            goto out;
        p = dg_buf_str(&norm);
        plen = norm.len;
    }
    if (flags & SIGV4_ENCODE_PATH) {
        rc = sigv4_uri_encode(p, plen, 1, out, err);
    } else if (dg_buf_add(out, p, plen) != DG_OK) {
        rc = too_big(err, "path");
    }
out:
    dg_buf_cleanup(&norm);
    return rc;
}

/* Decodes %XX escapes of s[0..len) and re-encodes into a new string. */
static dg_rc
reencode(const char *s, size_t len, char **res, struct dg_err *err)
{
    struct dg_buf dec, enc;
    dg_buf_init(&dec, SIGV4_MAX_QUERY);
    dg_buf_init(&enc, 3 * SIGV4_MAX_QUERY);
    dg_rc rc = DG_OK;
    for (size_t i = 0; i < len && rc == DG_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int h1 = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
            int h2 = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
            if (h1 < 0 || h2 < 0) {
                rc = dg_err_set(err, DG_EINVALID,
                                "sigv4: bad percent escape in query");
                goto out;
            }
            c = (unsigned char)(h1 * 16 + h2);
            i += 2;
        } else if (c < 0x20 || c == 0x7f) {
            rc = dg_err_set(err, DG_EINVALID,
                            "sigv4: query has a control byte 0x%02x", c);
            goto out;
        }
        rc = dg_buf_addc(&dec, (char)c);
    }
    if (rc != DG_OK) {
        rc = too_big(err, "query");
        goto out;
    }
    rc = sigv4_uri_encode(dec.data ? dec.data : "", dec.len, 0, &enc, err);
    if (rc != DG_OK)
        goto out;
    *res = dg_buf_detach(&enc);
out:
    dg_buf_cleanup(&dec);
    dg_buf_cleanup(&enc);
    return rc;
}

static int
qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a;
    const struct qparam *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

dg_rc
sigv4_canonical_query(const char *query, struct dg_buf *out, struct dg_err *err)
{
    if (!query || !*query)
        return DG_OK;
    size_t len = strnlen(query, SIGV4_MAX_QUERY + 1);
    if (len > SIGV4_MAX_QUERY)
        return too_big(err, "query");

    struct qparam *qp = dg_calloc(SIGV4_MAX_QUERY_PARAMS, sizeof(*qp));
    size_t n = 0;
    dg_rc rc = DG_OK;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && query[j] != '&')
            j++;
        if (j > i) {
            if (n == SIGV4_MAX_QUERY_PARAMS) {
                rc = too_big(err, "query parameter count");
                goto out;
            }
            const char *eq = memchr(query + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (query + i)) : j - i;
            rc = reencode(query + i, klen, &qp[n].key, err);
            if (rc == DG_OK && eq)
                rc = reencode(eq + 1, j - klen - i - 1, &qp[n].value, err);
            else if (rc == DG_OK)
                qp[n].value = dg_strdup("");
            n++;
            if (rc != DG_OK)
                goto out;
        }
        i = j + 1;
    }
    qsort(qp, n, sizeof(*qp), qparam_cmp);
    for (size_t k = 0; k < n; k++) {
        if ((k > 0 && dg_buf_addc(out, '&') != DG_OK) ||
            dg_buf_addstr(out, qp[k].key) != DG_OK ||
            dg_buf_addc(out, '=') != DG_OK ||
            dg_buf_addstr(out, qp[k].value) != DG_OK) {
            rc = too_big(err, "canonical query");
            goto out;
        }
    }
out:
    for (size_t k = 0; k < n; k++) {
        dg_free(qp[k].key);
        dg_free(qp[k].value);
    }
    dg_free(qp);
    return rc;
}

dg_rc
sigv4_canonical_header_value(const char *value, struct dg_buf *out,
                             struct dg_err *err)
{
    size_t len = strnlen(value, SIGV4_MAX_HEADER_VALUE + 1);
    if (len > SIGV4_MAX_HEADER_VALUE)
        return too_big(err, "header value");
    int pending = 0;
    int any = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (is_space(c)) {
            pending = any;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            return dg_err_set(err, DG_EINVALID,
                              "sigv4: header value has a control byte 0x%02x",
                              c);
        if ((pending && dg_buf_addc(out, ' ') != DG_OK) ||
            dg_buf_addc(out, (char)c) != DG_OK)
            return too_big(err, "canonical header value");
        pending = 0;
        any = 1;
    }
    return DG_OK;
}

int
sigv4_header_excluded(const char *name)
{
    for (size_t i = 0;
         i < sizeof(excluded_headers) / sizeof(excluded_headers[0]); i++) {
        if (strcasecmp(name, excluded_headers[i]) == 0)
            return 1;
    }
    return 0;
}

static int
hent_cmp(const void *a, const void *b)
{
    const struct hent *x = a;
    const struct hent *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
has_token(const struct sigv4_params *p)
{
    return p->creds.session_token && *p->creds.session_token;
}

/* Lower-cased copy of a valid header name, or NULL (err set). */
static char *
header_name(const char *name, struct dg_err *err)
{
    size_t n = name ? strnlen(name, SIGV4_MAX_HEADER_NAME + 1) : 0;
    if (n == 0 || n > SIGV4_MAX_HEADER_NAME) {
        if (n == 0)
            dg_err_set(err, DG_EINVALID, "sigv4: empty header name");
        else
            too_big(err, "header name");
        return NULL;
    }
    char *l = dg_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!is_tchar(c)) {
            dg_err_set(err, DG_EINVALID,
                       "sigv4: header name has a forbidden byte 0x%02x", c);
            dg_free(l);
            return NULL;
        }
        l[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    l[n] = '\0';
    return l;
}

/* Rejects headers the signer owns. */
static dg_rc
check_reserved(const char *lname, const struct sigv4_params *p,
               struct dg_err *err)
{
    if (strcmp(lname, "x-amz-date") == 0 ||
        strcmp(lname, "authorization") == 0 ||
        (strcmp(lname, "x-amz-security-token") == 0 && has_token(p)) ||
        (strcmp(lname, "x-amz-content-sha256") == 0 &&
         (p->flags & SIGV4_SIGN_CONTENT_SHA256)))
        return dg_err_set(err, DG_EINVALID,
                          "sigv4: header %s is set by the signer", lname);
    return DG_OK;
}

static int
request_has_host(const struct sigv4_request *req)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        if (req->headers[i].name &&
            strcasecmp(req->headers[i].name, "host") == 0)
            return 1;
    }
    return 0;
}

static dg_rc
payload_hash(const struct sigv4_request *req, char out[SIGV4_SIG_HEX_LEN + 1],
             struct dg_err *err)
{
    if (!req->payload_hash) {
        digest_sha256_hex(req->body ? req->body : "",
                          req->body ? req->body_len : 0, out);
        return DG_OK;
    }
    size_t n = strnlen(req->payload_hash, SIGV4_SIG_HEX_LEN + 1);
    if (n == 0 || n > SIGV4_SIG_HEX_LEN)
        return dg_err_set(err, DG_EINVALID, "sigv4: bad payload hash");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)req->payload_hash[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || c == '-'))
            return dg_err_set(err, DG_EINVALID, "sigv4: bad payload hash");
    }
    memcpy(out, req->payload_hash, n + 1);
    return DG_OK;
}

static void
hent_add(struct hent *h, size_t *n, const char *name, const char *value)
{
    h[*n].name = dg_strdup(name);
    h[*n].value = dg_strdup(value);
    h[*n].idx = *n;
    (*n)++;
}

/* Canonical, sorted header entries; *out_n set even on failure. */
static dg_rc
collect_headers(const struct sigv4_request *req, const struct sigv4_params *p,
                const char *phash, struct hent *h, size_t *out_n,
                struct dg_err *err)
{
    struct dg_buf val;
    dg_buf_init(&val, SIGV4_MAX_HEADER_VALUE);
    dg_rc rc = DG_OK;
    size_t n = 0;

    if (req->n_headers > SIGV4_MAX_HEADERS) {
        rc = too_big(err, "header count");
        goto out;
    }
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct sigv4_header *hd = &req->headers[i];
        char *lname = header_name(hd->name, err);
        if (!lname) {
            rc = DG_EINVALID;
            goto out;
        }
        rc = check_reserved(lname, p, err);
        if (rc == DG_OK && !hd->value)
            rc = dg_err_set(err, DG_EINVALID, "sigv4: header %s has no value",
                            lname);
        dg_buf_reset(&val);
        if (rc == DG_OK)
            rc = sigv4_canonical_header_value(hd->value, &val, err);
        if (rc == DG_OK && !sigv4_header_excluded(lname)) {
            h[n].name = lname;
            h[n].value = dg_strdup(dg_buf_str(&val));
            h[n].idx = n;
            n++;
            lname = NULL;
        }
        dg_free(lname);
        if (rc != DG_OK)
            goto out;
    }
    if (!request_has_host(req)) {
        if (!req->host || !*req->host) {
            rc = dg_err_set(err, DG_EINVALID,
                            "sigv4: no Host header and no host given");
            goto out;
        }
        rc = check_field(req->host, SIGV4_MAX_FIELD, "host", err);
        if (rc != DG_OK)
            goto out;
        hent_add(h, &n, "host", req->host);
    }
    if (p->flags & SIGV4_SIGN_CONTENT_SHA256)
        hent_add(h, &n, "x-amz-content-sha256", phash);
    hent_add(h, &n, "x-amz-date", p->amz_date);
    if (has_token(p) && !(p->flags & SIGV4_OMIT_SESSION_TOKEN))
        hent_add(h, &n, "x-amz-security-token", p->creds.session_token);
    qsort(h, n, sizeof(*h), hent_cmp);
out:
    *out_n = n;
    dg_buf_cleanup(&val);
    return rc;
}

static dg_rc
emit_headers(const struct hent *h, size_t n, struct dg_buf *creq,
             struct dg_buf *sh, struct dg_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
        int last = i + 1 == n || strcmp(h[i].name, h[i + 1].name) != 0;
        if (first) {
            if (creq && (dg_buf_addstr(creq, h[i].name) != DG_OK ||
                         dg_buf_addc(creq, ':') != DG_OK))
                return too_big(err, "canonical request");
            if (sh && ((i > 0 && dg_buf_addc(sh, ';') != DG_OK) ||
                       dg_buf_addstr(sh, h[i].name) != DG_OK))
                return too_big(err, "signed headers");
        } else if (creq && dg_buf_addc(creq, ',') != DG_OK) {
            return too_big(err, "canonical request");
        }
        if (creq && (dg_buf_addstr(creq, h[i].value) != DG_OK ||
                     (last && dg_buf_addc(creq, '\n') != DG_OK)))
            return too_big(err, "canonical request");
    }
    return DG_OK;
}

dg_rc
sigv4_canonical_request(const struct sigv4_request *req,
                        const struct sigv4_params *p, struct dg_buf *creq,
                        struct dg_buf *signed_headers,
                        char payload_hash_out[SIGV4_SIG_HEX_LEN + 1],
                        struct dg_err *err)
{
    char phash[SIGV4_SIG_HEX_LEN + 1];
    struct hent *h = NULL;
    size_t n = 0;
    struct dg_buf tmp;
    dg_buf_init(&tmp, SIGV4_MAX_CREQ);
    struct dg_buf *cr = creq ? creq : &tmp;

    dg_rc rc = check_field(req->method, SIGV4_MAX_FIELD, "method", err);
    if (rc == DG_OK)
        rc = check_amz_date(p->amz_date, err);
    if (rc == DG_OK && has_token(p))
        rc = check_chars(p->creds.session_token, SIGV4_MAX_TOKEN, 1,
                         "session token", err);
    if (rc == DG_OK)
        rc = payload_hash(req, phash, err);
    if (rc != DG_OK)
        goto out;

    if (dg_buf_addstr(cr, req->method) != DG_OK ||
        dg_buf_addc(cr, '\n') != DG_OK) {
        rc = too_big(err, "canonical request");
        goto out;
    }
    rc = sigv4_canonical_path(req->path, p->flags, cr, err);
    if (rc == DG_OK && dg_buf_addc(cr, '\n') != DG_OK)
        rc = too_big(err, "canonical request");
    if (rc == DG_OK)
        rc = sigv4_canonical_query(req->query, cr, err);
    if (rc == DG_OK && dg_buf_addc(cr, '\n') != DG_OK)
        rc = too_big(err, "canonical request");
    if (rc != DG_OK)
        goto out;

    h = dg_calloc(SIGV4_MAX_HEADERS + 4, sizeof(*h));
    rc = collect_headers(req, p, phash, h, &n, err);
    if (rc == DG_OK)
        rc = emit_headers(h, n, cr, signed_headers, err);
    if (rc != DG_OK)
        goto out;
    if (dg_buf_addc(cr, '\n') != DG_OK ||
        emit_headers(h, n, NULL, cr, err) != DG_OK ||
        dg_buf_addc(cr, '\n') != DG_OK || dg_buf_addstr(cr, phash) != DG_OK) {
        rc = too_big(err, "canonical request");
        goto out;
    }
    if (payload_hash_out)
        memcpy(payload_hash_out, phash, sizeof(phash));
out:
    for (size_t i = 0; i < n; i++) {
        dg_free(h[i].name);
        dg_free(h[i].value);
    }
    dg_free(h);
    dg_buf_cleanup(&tmp);
    return rc;
}

static dg_rc
check_scope(const char *amz_date, const char *region, const char *service,
            struct dg_err *err)
{
    dg_rc rc = check_amz_date(amz_date, err);
    if (rc == DG_OK)
        rc = check_field(region, SIGV4_MAX_FIELD, "region", err);
    if (rc == DG_OK)
        rc = check_field(service, SIGV4_MAX_FIELD, "service", err);
    return rc;
}

dg_rc
sigv4_string_to_sign(const char *amz_date, const char *region,
                     const char *service, const char *creq, size_t creq_len,
                     struct dg_buf *out, struct dg_err *err)
{
    dg_rc rc = check_scope(amz_date, region, service, err);
    if (rc != DG_OK)
        return rc;
    char hash[DG_SHA256_HEX_LEN + 1];
    digest_sha256_hex(creq, creq_len, hash);
    if (dg_buf_printf(out, ALGORITHM "\n%s\n%.8s/%s/%s/" TERMINATOR "\n%s",
                      amz_date, amz_date, region, service, hash) != DG_OK)
        return too_big(err, "string to sign");
    return DG_OK;
}

static dg_rc
hmac(const unsigned char *key, size_t key_len, const void *msg, size_t msg_len,
     unsigned char out[SIGV4_KEY_LEN], struct dg_err *err)
{
    unsigned int n = 0;
    if (key_len > (size_t)INT32_MAX ||
        !HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &n) ||
        n != SIGV4_KEY_LEN)
        return dg_err_set(err, DG_EFATAL, "sigv4: HMAC-SHA256 failed");
    return DG_OK;
}

dg_rc
sigv4_signing_key(const char *secret, const char *date, const char *region,
                  const char *service, unsigned char out[SIGV4_KEY_LEN],
                  struct dg_err *err)
{
    unsigned char kb[4 + SIGV4_MAX_FIELD];
    unsigned char k1[SIGV4_KEY_LEN];
    unsigned char k2[SIGV4_KEY_LEN];
    unsigned char k3[SIGV4_KEY_LEN];

    if (!secret || !*secret)
        return dg_err_set(err, DG_EINVALID, "sigv4: secret key is missing");
    size_t slen = strnlen(secret, SIGV4_MAX_FIELD + 1);
    if (slen > SIGV4_MAX_FIELD)
        return too_big(err, "secret key");
    if (!date || strnlen(date, SIGV4_DATE_LEN + 1) < SIGV4_DATE_LEN)
        return dg_err_set(err, DG_EINVALID, "sigv4: date must be YYYYMMDD");
    for (size_t i = 0; i < SIGV4_DATE_LEN; i++) {
        if (date[i] < '0' || date[i] > '9')
            return dg_err_set(err, DG_EINVALID, "sigv4: date must be YYYYMMDD");
    }
    dg_rc rc = check_field(region, SIGV4_MAX_FIELD, "region", err);
    if (rc == DG_OK)
        rc = check_field(service, SIGV4_MAX_FIELD, "service", err);
    if (rc != DG_OK)
        return rc;

    memcpy(kb, "AWS4", 4);
    memcpy(kb + 4, secret, slen);
    rc = hmac(kb, 4 + slen, date, SIGV4_DATE_LEN, k1, err);
    if (rc == DG_OK)
        rc = hmac(k1, sizeof(k1), region, strlen(region), k2, err);
    if (rc == DG_OK)
        rc = hmac(k2, sizeof(k2), service, strlen(service), k3, err);
    if (rc == DG_OK)
        rc = hmac(k3, sizeof(k3), TERMINATOR, strlen(TERMINATOR), out, err);
    OPENSSL_cleanse(kb, sizeof(kb));
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k3, sizeof(k3));
    if (rc != DG_OK)
        OPENSSL_cleanse(out, SIGV4_KEY_LEN);
    return rc;
}

dg_rc
sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *sts,
                size_t sts_len, char out[SIGV4_SIG_HEX_LEN + 1],
                struct dg_err *err)
{
    unsigned char mac[SIGV4_KEY_LEN];
    dg_rc rc = hmac(key, SIGV4_KEY_LEN, sts, sts_len, mac, err);
    if (rc == DG_OK)
        digest_hex(mac, sizeof(mac), out);
    return rc;
}

dg_rc
sigv4_authorization(const char *access_key_id, const char *amz_date,
                    const char *region, const char *service,
                    const char *signed_headers, const char *signature,
                    struct dg_buf *out, struct dg_err *err)
{
    dg_rc rc =
        check_field(access_key_id, SIGV4_MAX_FIELD, "access key id", err);
    if (rc == DG_OK)
        rc = check_scope(amz_date, region, service, err);
    if (rc != DG_OK)
        return rc;
    if (dg_buf_printf(out,
                      ALGORITHM " Credential=%s/%.8s/%s/%s/" TERMINATOR
                                ", SignedHeaders=%s, Signature=%s",
                      access_key_id, amz_date, region, service, signed_headers,
                      signature) != DG_OK)
        return too_big(err, "authorization");
    return DG_OK;
}

void
sigv4_result_init(struct sigv4_result *r)
{
    memset(r, 0, sizeof(*r));
    dg_buf_init(&r->creq, SIGV4_MAX_CREQ);
    dg_buf_init(&r->sts, 1024);
    dg_buf_init(&r->signed_headers,
                (SIGV4_MAX_HEADERS + 4) * (SIGV4_MAX_HEADER_NAME + 1));
    dg_buf_init(&r->authorization,
                1024 + (SIGV4_MAX_HEADERS + 4) * (SIGV4_MAX_HEADER_NAME + 1));
}

void
sigv4_result_cleanup(struct sigv4_result *r)
{
    dg_buf_cleanup(&r->creq);
    dg_buf_cleanup(&r->sts);
    dg_buf_cleanup(&r->signed_headers);
    dg_buf_cleanup(&r->authorization);
    dg_free(r->host);
    r->host = NULL;
    dg_free(r->token);
    r->token = NULL;
    r->n_add = 0;
}

static void
result_add(struct sigv4_result *r, const char *name, const char *value)
{
    r->add[r->n_add].name = name;
    r->add[r->n_add].value = value;
    r->n_add++;
}

dg_rc
sigv4_sign(const struct sigv4_request *req, const struct sigv4_params *p,
           struct sigv4_result *r, struct dg_err *err)
{
    unsigned char key[SIGV4_KEY_LEN];
    dg_rc rc;

    dg_buf_reset(&r->creq);
    dg_buf_reset(&r->sts);
    dg_buf_reset(&r->signed_headers);
    dg_buf_reset(&r->authorization);
    dg_free(r->host);
    r->host = NULL;
    dg_free(r->token);
    r->token = NULL;
    r->n_add = 0;
    r->signature[0] = '\0';

    rc = check_scope(p->amz_date, p->region, p->service, err);
    if (rc == DG_OK)
        rc = check_field(p->creds.access_key_id, SIGV4_MAX_FIELD,
                         "access key id", err);
    if (rc == DG_OK)
        rc = sigv4_canonical_request(req, p, &r->creq, &r->signed_headers,
                                     r->payload_hash, err);
    if (rc == DG_OK)
        rc = sigv4_string_to_sign(p->amz_date, p->region, p->service,
                                  dg_buf_str(&r->creq), r->creq.len, &r->sts,
                                  err);
    if (rc != DG_OK)
        return rc;

    if (p->signing_key) {
        memcpy(key, p->signing_key, sizeof(key));
    } else {
        rc = sigv4_signing_key(p->creds.secret_access_key, p->amz_date,
                               p->region, p->service, key, err);
    }
    if (rc == DG_OK)
        rc = sigv4_signature(key, dg_buf_str(&r->sts), r->sts.len, r->signature,
                             err);
    OPENSSL_cleanse(key, sizeof(key));
    if (rc == DG_OK)
        rc = sigv4_authorization(p->creds.access_key_id, p->amz_date, p->region,
                                 p->service, dg_buf_str(&r->signed_headers),
                                 r->signature, &r->authorization, err);
    if (rc != DG_OK)
        return rc;

    memcpy(r->amz_date, p->amz_date, sizeof(r->amz_date));
    if (!request_has_host(req)) {
        r->host = dg_strdup(req->host);
        result_add(r, "Host", r->host);
    }
    result_add(r, "X-Amz-Date", r->amz_date);
    if (has_token(p)) {
        r->token = dg_strdup(p->creds.session_token);
        result_add(r, "X-Amz-Security-Token", r->token);
    }
    if (p->flags & SIGV4_SIGN_CONTENT_SHA256)
        result_add(r, "x-amz-content-sha256", r->payload_hash);
    result_add(r, "Authorization", dg_buf_str(&r->authorization));
    return DG_OK;
}
