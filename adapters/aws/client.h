#ifndef DRGATE_CLIENT_H
#define DRGATE_CLIENT_H
/*
 * The AWS call pipeline: endpoint resolution, credentials, SigV4 signing,
 * the HTTP call, AWS error parsing for every protocol, and the SDKs'
 * standard retry mode (exponential backoff with full jitter, throttling,
 * 5xx, timeouts and resets; never blindly retrying a non-idempotent call
 * whose outcome is unknown), with clock-skew correction from the server's
 * Date. Service modules (sqs.c, rds.c, ...) build requests and parse
 * responses; this module moves them.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct event_base;
struct http_engine;
struct http_header;
struct aws_creds_provider;
struct cfg_kv;

enum aws_protocol {
    AWS_QUERY = 1, /* form-encoded Action=...&Version=..., XML replies */
    AWS_JSON_1_0,  /* X-Amz-Target, application/x-amz-json-1.0 */
    AWS_JSON_1_1,
    AWS_REST_XML, /* Route53 */
};

struct aws_service {
    const char *name;            /* endpoint key and env suffix: "sqs", "rds" */
    const char *signing_name;    /* SigV4 service: "sqs", "rds", "route53" */
    const char *endpoint_prefix; /* host prefix: "sqs", "rds", "route53" */
    enum aws_protocol protocol;
    const char *target_prefix; /* JSON: "AmazonSQS"; else NULL */
    const char *api_version;   /* query: "2014-10-31"; else NULL */
    int global;                /* one endpoint; signed for us-east-1 */
    /* The model's serviceId ("Route 53"): AWS_ENDPOINT_URL_<ID> upper-cased
     * with spaces as '_' (AWS_ENDPOINT_URL_ROUTE_53). */
    const char *service_id;
    /* JSON service with awsQueryCompatible (SQS): send x-amzn-query-mode and
     * take the error code from x-amzn-query-error, as botocore does. */
    int query_compatible;
};

/* The services drgate uses (defined in endpoint.c). */
extern const struct aws_service aws_svc_sqs, aws_svc_sns, aws_svc_rds,
    aws_svc_elasticache, aws_svc_route53, aws_svc_ecs, aws_svc_ssm,
    aws_svc_cloudformation, aws_svc_sts, aws_svc_events, aws_svc_dynamodb,
    aws_svc_cloudwatch, aws_svc_sso;

struct aws_request {
    const struct aws_service *svc;
    const char *region;    /* NULL: the client's region */
    const char *operation; /* "DescribeGlobalClusters": query Action, JSON
                              target suffix, metrics label */
    /* Query: the parameters without Action and Version, already
     * form-encoded (aws_query_add). JSON: the JSON document. REST-XML: the
     * XML body or NULL. */
    const char *body;
    size_t body_len;
    const char *method; /* REST-XML only: "GET", "POST" */
    const char *path;   /* REST-XML only: "/2013-04-01/hostedzone/Z1/rrset" */
    const char *query;  /* REST-XML only, encoded, or NULL */
    int idempotent;     /* safe to resend when the outcome is unknown */
    long timeout_ms;    /* 0: the client's default */
};

struct aws_response {
    long status;
    const char *body; /* NUL-terminated */
    size_t body_len;
    const char *request_id; /* "" when the service sent none */
    int attempts;
    const struct http_header *headers; /* names lower-cased; borrowed */
    size_t nheaders;
};

/* resp is borrowed for the call (NULL when no response). rc: DG_OK for
 * 2xx; DG_EREMOTE for an AWS error (err->code, err->msg, err->http_status,
 * err->request_id); DG_ETRANSIENT when retries ran out on transient
 * failures, with err->code "unknown_outcome" when a non-idempotent call
 * may have taken effect; DG_EINVALID for a request drgate refused to send;
 * DG_ECANCELLED at shutdown. Called exactly once, never from aws_call. */
typedef void (*aws_done_fn)(const struct aws_response *resp, dg_rc rc,
                            const struct dg_err *err, void *ctx);

struct aws_client_opts {
    const char *region;             /* default region */
    const struct cfg_kv *endpoints; /* config aws.endpoints */
    size_t nendpoints;
    int max_attempts; /* default 3 */
    /* Injected for tests; NULL: real clock and RAND_bytes. */
    int64_t (*now_ms)(void *ctx); /* wall clock, ms since the epoch */
    uint32_t (*random)(void *ctx);
    void *hook_ctx;
    /* Environment for endpoint resolution (AWS_ENDPOINT_URL...); NULL:
     * getenv. Same signature as endpoint_env_fn. */
    const char *(*env)(const char *name, void *ctx);
    /* Backoff: delay = random * min(base * 2^(attempt-1), max); 0: the
     * standard mode's 1000 ms and 20000 ms (retry.h). */
    int64_t retry_base_ms;
    int64_t retry_max_ms;
    /* Observer, called when a retry is scheduled (attempt = the attempt
     * that failed, 1-based; why = its error). May be NULL. */
    void (*on_retry)(const char *operation, int attempt, int64_t delay_ms,
                     const struct dg_err *why, void *ctx);
    /* Observer, called once per call just before its completion (not for
     * calls cancelled by aws_client_free): the service's name ("sqs"), the
     * operation, the result, the attempts made (0 when none was sent) and
     * the time from aws_call to completion by now_ms. May be NULL. */
    void (*on_complete)(const char *service, const char *operation, dg_rc rc,
                        int attempts, int64_t latency_ms, void *ctx);
};

struct aws_client *aws_client_new(struct event_base *base,
                                  struct http_engine *http,
                                  struct aws_creds_provider *creds,
                                  const struct aws_client_opts *opts);
/* Cancels outstanding calls (callbacks run with DG_ECANCELLED). */
void aws_client_free(struct aws_client *c);
void aws_call(struct aws_client *c, const struct aws_request *req,
              aws_done_fn done, void *ctx);

/* Appends "&key=value" (or "key=value" first) form-encoded as AWS query
 * expects (RFC 3986 unreserved kept, everything else %XX). */
dg_rc aws_query_add(struct dg_buf *b, const char *key, const char *value);

/* Pure: fills err->code, err->msg, err->request_id and err->http_status
 * from an AWS error reply of any protocol (query and REST-XML
 * ErrorResponse/Error, EC2-style Response/Errors/Error, JSON __type or
 * X-Amzn-Errortype with "namespace#" and ":..." stripped, SQS's
 * x-amzn-query-error when query_compatible; an XML body is accepted for
 * JSON services too, as moto sends auth errors that way). err->code is
 * "HTTP<status>" when the reply names no code. Returns DG_EREMOTE. */
dg_rc aws_error_parse(enum aws_protocol proto, int query_compatible,
                      long status, const struct http_header *headers,
                      size_t nheaders, const char *body, size_t body_len,
                      struct dg_err *err);

struct aws_call_stats {
    uint64_t calls, ok, remote_errors, transient_errors, retries;
    uint64_t throttled;       /* attempts answered with a throttling error */
    uint64_t unknown_outcome; /* non-idempotent calls failed, not resent */
    uint64_t skew_corrections;
};
const struct aws_call_stats *aws_client_stats(const struct aws_client *c);

#endif
