#ifndef DRGATE_SVC_H
#define DRGATE_SVC_H
/*
 * Shared helpers of the AWS service modules (sqs.c, rds.c, ...): bounded
 * typed field extraction from AWS XML and JSON replies, list readers
 * driven by per-item parse functions, query and JSON request building, a
 * small string map, and the generic asynchronous call (build -> aws_call ->
 * parse -> completion) with SVC_OP to describe an operation's reply.
 *
 * Parsers are pure: they copy what they keep into plain C structs (every
 * string dg_malloc'ed, freed by the struct's _cleanup), check types and
 * bounds, ignore unknown fields, and answer a malformed body with
 * DG_EINVALID, err->code "bad_response" and a message naming the operation
 * and the field.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

struct awsxml_node;
struct aws_client;
struct event_base;
struct aws_request;
struct aws_service;

#define SVC_MAX_ID 2048         /* ids, ARNs, names, statuses */
#define SVC_MAX_VALUE 262144    /* message bodies, parameter values */
#define SVC_MAX_ITEMS 1000      /* list entries kept per reply */
#define SVC_MAX_BODY (8u << 20) /* request and reply bodies */

/* A list of string pairs (SQS/SNS attributes, CloudFormation exports). */
struct svc_map {
    char **keys;
    char **values;
    size_t n;
};
void svc_map_cleanup(struct svc_map *m); /* accepts zeroed maps */
/* NULL when absent. */
const char *svc_map_get(const struct svc_map *m, const char *key);
/* Appends copies of key and value. */
void svc_map_add(struct svc_map *m, const char *key, const char *value);

/* A list of strings. */
struct svc_strv {
    char **v;
    size_t n;
};
void svc_strv_cleanup(struct svc_strv *s);

/* --- XML replies (query and REST-XML) --- */

/* Parses body, checks the document element is "<op>Response" and, when
 * result is not NULL, finds "<op>Result" under it (REST-XML: pass NULL and
 * use *root). On DG_OK *root must be freed with awsxml_free. */
dg_rc svc_xml_open(const char *op, const char *body, size_t len,
                   struct awsxml_node **root, const struct awsxml_node **result,
                   struct dg_err *err);
/* Copies the text at path under n into *out (dg_malloc'ed). A missing
 * element leaves *out NULL, which is an error when required. Longer than
 * max: DG_EINVALID. */
dg_rc svc_xml_str(const char *op, const struct awsxml_node *n, const char *path,
                  size_t max, int required, char **out, struct dg_err *err);
/* "true"/"false" at path into *out (1/0); missing: *out = dflt, an error
 * when required. */
dg_rc svc_xml_bool(const char *op, const struct awsxml_node *n,
                   const char *path, int required, int dflt, int *out,
                   struct dg_err *err);
/* Decimal integer at path; missing: *out = dflt. */
dg_rc svc_xml_int(const char *op, const struct awsxml_node *n, const char *path,
                  int required, long long dflt, long long *out,
                  struct dg_err *err);
/* Counts the same-named children of list, refusing more than max. */
dg_rc svc_xml_count(const char *op, const struct awsxml_node *list,
                    const char *item, size_t max, size_t *n,
                    struct dg_err *err);
/* Collects the text of list's children named item into out (bounded). */
dg_rc svc_xml_strv(const char *op, const struct awsxml_node *list,
                   const char *item, size_t max_items, size_t max_len,
                   struct svc_strv *out, struct dg_err *err);
/* Parses one element n into the zeroed item (an element of an array of
 * item_size bytes each). */
typedef dg_rc (*svc_xml_item_fn)(const char *op, const struct awsxml_node *n,
                                 void *item, struct dg_err *err);
/* The children of list named item (at most max; list may be NULL) into a
 * dg_calloc'ed array *v of item_size each, parsed by fn; *n counts the
 * entries started, so on failure the caller's _cleanup frees them all.
 * *v and *n must be zero on entry. */
dg_rc svc_xml_items(const char *op, const struct awsxml_node *list,
                    const char *item, size_t max, size_t item_size,
                    svc_xml_item_fn fn, void **v, size_t *n,
                    struct dg_err *err);
/* A Describe* reply: <op>Result/<list>/<item>... (at most SVC_MAX_ITEMS)
 * through svc_xml_items, and Marker into *marker. *v, *n, *marker are set
 * (possibly partly) even on failure: the caller cleans up. */
dg_rc svc_xml_list(const char *op, const char *body, size_t len,
                   const char *list, const char *item, size_t item_size,
                   svc_xml_item_fn fn, void **v, size_t *n, char **marker,
                   struct dg_err *err);
/* A reply holding one <elem> under <op>Result, parsed by fn into out. */
dg_rc svc_xml_single(const char *op, const char *body, size_t len,
                     const char *elem, svc_xml_item_fn fn, void *out,
                     struct dg_err *err);

/* --- JSON replies --- */

/* Parses body (bounded, depth 64), requires an object. *root freed with
 * cJSON_Delete. */
dg_rc svc_json_open(const char *op, const char *body, size_t len, cJSON **root,
                    struct dg_err *err);
/* Copies the string member key of obj; a missing member leaves *out NULL
 * (an error when required); another type is always an error. */
dg_rc svc_json_str(const char *op, const cJSON *obj, const char *key,
                   size_t max, int required, char **out, struct dg_err *err);
/* Integer member (JSON number without fraction). */
dg_rc svc_json_int(const char *op, const cJSON *obj, const char *key,
                   int required, long long dflt, long long *out,
                   struct dg_err *err);
/* Boolean member. */
dg_rc svc_json_bool(const char *op, const cJSON *obj, const char *key,
                    int required, int dflt, int *out, struct dg_err *err);
/* Epoch seconds with fraction (ECS, SSM timestamps) as milliseconds. */
dg_rc svc_json_time_ms(const char *op, const cJSON *obj, const char *key,
                       int64_t *out, struct dg_err *err);
/* Array member (NULL when missing, an error when another type or longer
 * than max). */
dg_rc svc_json_array(const char *op, const cJSON *obj, const char *key,
                     size_t max, const cJSON **out, struct dg_err *err);
/* Object member (NULL when missing). */
dg_rc svc_json_object(const char *op, const cJSON *obj, const char *key,
                      const cJSON **out, struct dg_err *err);
/* Parses one array element j into the zeroed item (an element of an array
 * of item_size bytes each). */
typedef dg_rc (*svc_json_item_fn)(const char *op, const cJSON *j, void *item,
                                  struct dg_err *err);
/* The elements of arr (from svc_json_array; may be NULL) into a
 * dg_calloc'ed array *v of item_size each, parsed by fn; *n counts the
 * entries started, so on failure the caller's _cleanup frees them all.
 * *v and *n must be zero on entry. */
dg_rc svc_json_items(const char *op, const cJSON *arr, size_t item_size,
                     svc_json_item_fn fn, void **v, size_t *n,
                     struct dg_err *err);
/* Adds the members of obj (may be NULL), each a string of at most max_len
 * bytes, to out; at most 64. what names the expected value in the error
 * ("a string"). */
dg_rc svc_json_strmap(const char *op, const cJSON *obj, size_t max_len,
                      const char *what, struct svc_map *out,
                      struct dg_err *err);

/* The error every parser returns for a malformed reply. */
dg_rc svc_bad(struct dg_err *err, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- requests --- */

/* aws_query_add for an integer. */
dg_rc svc_query_int(struct dg_buf *b, const char *key, long long v);
/* aws_query_add with a printf-formatted key ("Entries.member.%zu.Id"). */
dg_rc svc_query_addk(struct dg_buf *b, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Serializes doc compactly (cJSON_PrintUnformatted) into out (replacing its
 * contents). Consumes doc. */
dg_rc svc_json_emit(cJSON *doc, struct dg_buf *out, struct dg_err *err);
/* Refuses NULL or empty required request fields. */
dg_rc svc_need(const char *op, const char *field, const char *value,
               struct dg_err *err);

/* --- the asynchronous pipeline --- */

/* What the asynchronous wrappers of every service module take: the loop
 * (for deferred completions) and the call pipeline. Both borrowed. */
struct svc_client {
    struct event_base *base;
    struct aws_client *aws;
};

/* result points at the parsed reply struct (borrowed for the call; NULL on
 * failure). Called exactly once, never from inside the starting call. */
typedef void (*svc_done_fn)(const void *result, dg_rc rc,
                            const struct dg_err *err, void *ctx);
/* arg: the string given to svc_call (NULL when none). */
typedef dg_rc (*svc_parse_fn)(const char *body, size_t len, const char *arg,
                              void *out, struct dg_err *err);
typedef void (*svc_cleanup_fn)(void *out);

struct svc_op {
    svc_parse_fn parse; /* NULL: no reply body to parse */
    svc_cleanup_fn cleanup;
    size_t result_size;
};

/* Defines `static const struct svc_op name` over a typed parser
 * `dg_rc parse(const char *body, size_t len, T *out, struct dg_err *)` and
 * `void cleanup(T *)` (the svc_call arg is not used). */
#define SVC_OP(name, T, parse, cleanup)                                        \
    SVC_OP_(name, T, cleanup, parse(b_, n_, (T *)o_, e_))
/* The same for parsers that take the operation name (the svc_call arg)
 * first: `parse(const char *op, const char *body, size_t len, T *out,
 * struct dg_err *)`. */
#define SVC_OP_NAMED(name, T, parse, cleanup)                                  \
    SVC_OP_(name, T, cleanup, parse(arg_, b_, n_, (T *)o_, e_))
/* Private to the two above: the parse shim returns call. */
#define SVC_OP_(name, T, cleanup, call)                                        \
    static dg_rc name##_parse(const char *b_, size_t n_, const char *arg_,     \
                              void *o_, struct dg_err *e_)                     \
    {                                                                          \
        (void)arg_;                                                            \
        return call;                                                           \
    }                                                                          \
    static void name##_cleanup(void *r_)                                       \
    {                                                                          \
        cleanup((T *)r_);                                                      \
    }                                                                          \
    static const struct svc_op name = {name##_parse, name##_cleanup, sizeof(T)}

/* What an asynchronous wrapper builds its request into: the body and the
 * builder's error, both handed to svc_send. */
struct svc_build {
    struct dg_buf body;
    struct dg_err err;
};
/* An empty body bounded by SVC_MAX_BODY and a cleared error. */
void svc_build_init(struct svc_build *b);

/* Sends req (its body is taken from *body, which is consumed) and parses
 * the reply with op, passing it arg (consumed, dg_free'd; may be NULL).
 * When build failed (build_rc != DG_OK) the completion still runs later,
 * from the loop, with build_err. */
void svc_call(const struct svc_client *c, const struct aws_request *req,
              struct dg_buf *body, dg_rc build_rc,
              const struct dg_err *build_err, const struct svc_op *op,
              char *arg, svc_done_fn done, void *ctx);

/* svc_call for a query or JSON operation of svc. */
void svc_start(const struct svc_client *c, const struct aws_service *svc,
               const char *region, const char *operation, int idempotent,
               struct dg_buf *body, dg_rc build_rc,
               const struct dg_err *build_err, const struct svc_op *op,
               svc_done_fn done, void *ctx);

/* svc_start with b's body (consumed) and, when build_rc is not DG_OK,
 * b's error. */
void svc_send(const struct svc_client *c, const struct aws_service *svc,
              const char *region, const char *operation, int idempotent,
              struct svc_build *b, dg_rc build_rc, const struct svc_op *op,
              svc_done_fn done, void *ctx);

#endif
