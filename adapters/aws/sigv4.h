#ifndef DRGATE_SIGV4_H
#define DRGATE_SIGV4_H
/*
 * AWS Signature Version 4, header signing. Pure: no clock, no I/O, no
 * globals. Every stage is public so tests can compare it with the official
 * suite; sigv4_sign() runs them all. All inputs are borrowed; outputs go
 * into caller buffers. Errors come back as dg_rc with detail in struct
 * dg_err (NULL allowed).
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define SIGV4_KEY_LEN 32
#define SIGV4_SIG_HEX_LEN 64
#define SIGV4_AMZ_DATE_LEN 16 /* "20150830T123600Z" */
#define SIGV4_DATE_LEN 8      /* "20150830" */

/* Bounds on untrusted sizes; exceeding one fails with DG_EINVALID. */
#define SIGV4_MAX_PATH 4096
#define SIGV4_MAX_QUERY 16384
#define SIGV4_MAX_QUERY_PARAMS 512
#define SIGV4_MAX_HEADERS 64
#define SIGV4_MAX_HEADER_NAME 128
#define SIGV4_MAX_HEADER_VALUE 8192
#define SIGV4_MAX_CREQ 65536 /* canonical request */
#define SIGV4_MAX_FIELD 256  /* method, region, service, access key id */
#define SIGV4_MAX_TOKEN 4096 /* session token */

/* Service quirks. Every service but S3 uses SIGV4_FLAGS_DEFAULT. */
enum sigv4_flags {
    /* Remove "." and ".." and empty segments from the path (not S3). */
    SIGV4_NORMALIZE_PATH = 1u << 0,
    /* Percent-encode the wire path once more, so "%2F" becomes "%252F"
     * (not S3). Without it the path is used exactly as given. */
    SIGV4_ENCODE_PATH = 1u << 1,
    /* Add and sign x-amz-content-sha256 with the payload hash (S3). */
    SIGV4_SIGN_CONTENT_SHA256 = 1u << 2,
    /* Add X-Amz-Security-Token to the request but leave it out of the
     * signature (the suite's omit_session_token; some STS calls). */
    SIGV4_OMIT_SESSION_TOKEN = 1u << 3,
};

#define SIGV4_FLAGS_DEFAULT (SIGV4_NORMALIZE_PATH | SIGV4_ENCODE_PATH)
#define SIGV4_FLAGS_S3 (SIGV4_SIGN_CONTENT_SHA256)

/* One request header; both strings NUL-terminated. Names may repeat and
 * be in any case; values may hold folded or repeated white space. */
struct sigv4_header {
    const char *name;
    const char *value;
};

/* The request to sign, as it goes on the wire. */
struct sigv4_request {
    const char *method; /* "GET", ... */
    const char *path;   /* wire path, percent-encoded; "" means "/" */
    const char *query;  /* wire query without '?'; NULL or "" for none */
    const char *host;   /* signed as host when headers have no Host */
    const struct sigv4_header *headers;
    size_t n_headers;
    const void *body; /* hashed when payload_hash is NULL */
    size_t body_len;
    /* 64 lower-case hex digits or "UNSIGNED-PAYLOAD"; NULL: hash body. */
    const char *payload_hash;
};

/* Borrowed credentials snapshot. */
struct sigv4_creds {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "" for none */
};

struct sigv4_params {
    const char *service;  /* "sqs" */
    const char *region;   /* "eu-west-1" */
    const char *amz_date; /* ISO 8601 basic: "20150830T123600Z" */
    unsigned flags;       /* enum sigv4_flags */
    struct sigv4_creds creds;
    /* Optional cached key from sigv4_signing_key() for the same secret,
     * date, region and service; NULL derives it (and cleanses it). */
    const unsigned char *signing_key;
};

/* Headers sigv4_sign() asks the caller to add, in this order. */
#define SIGV4_MAX_ADD 5

struct sigv4_result {
    struct dg_buf creq; /* canonical request */
    struct dg_buf sts;  /* string to sign */
    struct dg_buf signed_headers;
    struct dg_buf authorization; /* the Authorization header value */
    char signature[SIGV4_SIG_HEX_LEN + 1];
    size_t n_add;
    struct sigv4_header add[SIGV4_MAX_ADD]; /* point into the result */
    char payload_hash[SIGV4_SIG_HEX_LEN + 1];
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    char *host;  /* owned; set when Host is added */
    char *token; /* owned copy of the session token */
};

/* Formats ms since the epoch (UTC) as "YYYYMMDDTHHMMSSZ". Returns DG_OK, or
 * DG_EINVALID for years outside 1970..9999. */
dg_rc sigv4_format_date(int64_t ms, char out[SIGV4_AMZ_DATE_LEN + 1],
                        struct dg_err *err);

/* Percent-encodes len bytes of s into out: unreserved bytes
 * (A-Z a-z 0-9 - . _ ~) stay, '/' stays when keep_slash, everything else
 * becomes %XX (upper-case hex). Fails only when out's maximum is hit. */
dg_rc sigv4_uri_encode(const char *s, size_t len, int keep_slash,
                       struct dg_buf *out, struct dg_err *err);

/* Appends the canonical path of a wire path under flags (NORMALIZE_PATH,
 * ENCODE_PATH) to out. */
dg_rc sigv4_canonical_path(const char *path, unsigned flags, struct dg_buf *out,
                           struct dg_err *err);

/* Appends the canonical query string of a wire query (NULL allowed): pairs
 * are percent-decoded, re-encoded, and sorted by key, then value. */
dg_rc sigv4_canonical_query(const char *query, struct dg_buf *out,
                            struct dg_err *err);

/* Appends the trimmed value: leading and trailing white space dropped,
 * runs of SP, HT, CR, LF, VT, FF collapsed to one space. Other control
 * bytes are DG_EINVALID. */
dg_rc sigv4_canonical_header_value(const char *value, struct dg_buf *out,
                                   struct dg_err *err);

/* 1 when a header is never signed (hop-by-hop and agent headers, as
 * botocore: connection, expect, keep-alive, proxy-authenticate,
 * proxy-authorization, te, trailer, transfer-encoding, upgrade,
 * user-agent, x-amzn-trace-id); name in any case. */
int sigv4_header_excluded(const char *name);

/* Builds the canonical request into creq and the signed header list
 * ("host;x-amz-date") into signed_headers (either may be NULL), after the
 * suite's rules. payload_hash_out (may be NULL) gets the payload hash. */
dg_rc sigv4_canonical_request(const struct sigv4_request *req,
                              const struct sigv4_params *p, struct dg_buf *creq,
                              struct dg_buf *signed_headers,
                              char payload_hash_out[SIGV4_SIG_HEX_LEN + 1],
                              struct dg_err *err);

/* Appends "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex(sha256(creq))>". */
dg_rc sigv4_string_to_sign(const char *amz_date, const char *region,
                           const char *service, const char *creq,
                           size_t creq_len, struct dg_buf *out,
                           struct dg_err *err);

/* Derives the signing key (HMAC chain) for date "YYYYMMDD" (only the first
 * 8 bytes are read, so an amz_date works too). out is secret:
 * the caller cleanses it (OPENSSL_cleanse) when done. */
dg_rc sigv4_signing_key(const char *secret, const char *date,
                        const char *region, const char *service,
                        unsigned char out[SIGV4_KEY_LEN], struct dg_err *err);

/* Hex HMAC-SHA256 of the string to sign under key. */
dg_rc sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *sts,
                      size_t sts_len, char out[SIGV4_SIG_HEX_LEN + 1],
                      struct dg_err *err);

/* Appends "AWS4-HMAC-SHA256 Credential=<id>/<scope>, SignedHeaders=<sh>,
 * Signature=<sig>". */
dg_rc sigv4_authorization(const char *access_key_id, const char *amz_date,
                          const char *region, const char *service,
                          const char *signed_headers, const char *signature,
                          struct dg_buf *out, struct dg_err *err);

/* Cannot fail. */
void sigv4_result_init(struct sigv4_result *r);
/* Frees what the result owns; accepts a result never signed into. */
void sigv4_result_cleanup(struct sigv4_result *r);

/* Runs every stage. On DG_OK, r holds the intermediate strings, the
 * Authorization value and the headers to add (Host when absent and
 * req->host set, X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256),
 * valid until sigv4_result_cleanup(). r must come from sigv4_result_init;
 * it may be reused (it is reset first). */
dg_rc sigv4_sign(const struct sigv4_request *req, const struct sigv4_params *p,
                 struct sigv4_result *r, struct dg_err *err);

#endif
