/*
 * sqs.c - Amazon SQS over the JSON 1.0 protocol: request builders and reply
 * parsers (pure), and thin asynchronous wrappers over svc_call.
 *
 * Ownership: result structs own their strings; _cleanup frees them.
 * Errors: builders answer DG_EINVALID "bad_request"; parsers DG_EINVALID
 * "bad_response", or "md5_mismatch" when a body does not match its MD5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "client.h"
#include "mem.h"
#include "sqs.h"

#define SQS_MAX_MSG_BODY (1024 * 1024) /* the SQS message size limit */

void
sqs_md5_hex(const char *s, size_t len, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(s, len, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16) {
        out[0] = '\0';
        return;
    }
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = '\0';
}

/* --- builders --- */

static dg_rc
bad_request(struct dg_err *err, const char *op, const char *what)
{
    return dg_err_setc(err, DG_EINVALID, "bad_request", "%s: %s", op, what);
}

static cJSON *
doc_with_queue(const char *queue_url)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "QueueUrl", queue_url);
    return doc;
}

dg_rc
sqs_build_receive(const struct sqs_receive_params *p, struct dg_buf *out,
                  struct dg_err *err)
{
    static const char *const sys[] = {"ApproximateReceiveCount",
                                      "SentTimestamp"};
    cJSON *doc, *a;
    if (svc_need("ReceiveMessage", "QueueUrl", p->queue_url, err) != DG_OK)
        return DG_EINVALID;
    if (p->max_messages < 1 || p->max_messages > SQS_MAX_MESSAGES)
        return bad_request(err, "ReceiveMessage",
                           "MaxNumberOfMessages must be 1..10");
    if (p->wait_seconds < 0 || p->wait_seconds > 20)
        return bad_request(err, "ReceiveMessage",
                           "WaitTimeSeconds must be 0..20");
    if (p->visibility_timeout < -1 || p->visibility_timeout > 43200)
        return bad_request(err, "ReceiveMessage",
                           "VisibilityTimeout must be 0..43200");
    doc = doc_with_queue(p->queue_url);
    a = cJSON_AddArrayToObject(doc, "MessageSystemAttributeNames");
    for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sys[i]));
    a = cJSON_AddArrayToObject(doc, "MessageAttributeNames");
    cJSON_AddItemToArray(a, cJSON_CreateString("All"));
    cJSON_AddNumberToObject(doc, "MaxNumberOfMessages", p->max_messages);
    if (p->visibility_timeout >= 0)
        cJSON_AddNumberToObject(doc, "VisibilityTimeout",
                                p->visibility_timeout);
    cJSON_AddNumberToObject(doc, "WaitTimeSeconds", p->wait_seconds);
    return svc_json_emit(doc, out, err);
}

static dg_rc
build_batch(const char *op, const char *queue_url,
            const struct sqs_entry *entries, size_t n, int with_timeout,
            struct dg_buf *out, struct dg_err *err)
{
    cJSON *doc, *arr;
    if (svc_need(op, "QueueUrl", queue_url, err) != DG_OK)
        return DG_EINVALID;
    if (n < 1 || n > SQS_MAX_MESSAGES)
        return bad_request(err, op, "a batch has 1..10 entries");
    for (size_t i = 0; i < n; i++) {
        if (!entries[i].id || !*entries[i].id || !entries[i].receipt_handle ||
            !*entries[i].receipt_handle)
            return bad_request(err, op,
                               "every entry needs Id and "
                               "ReceiptHandle");
        if (with_timeout && (entries[i].visibility_timeout < 0 ||
                             entries[i].visibility_timeout > 43200))
            return bad_request(err, op, "VisibilityTimeout must be 0..43200");
        for (size_t j = 0; j < i; j++)
            if (strcmp(entries[i].id, entries[j].id) == 0)
                return bad_request(err, op, "entry ids must be distinct");
    }
    doc = doc_with_queue(queue_url);
    arr = cJSON_AddArrayToObject(doc, "Entries");
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Id", entries[i].id);
        cJSON_AddStringToObject(e, "ReceiptHandle", entries[i].receipt_handle);
        if (with_timeout)
            cJSON_AddNumberToObject(e, "VisibilityTimeout",
                                    entries[i].visibility_timeout);
        cJSON_AddItemToArray(arr, e);
    }
    return svc_json_emit(doc, out, err);
}

dg_rc
sqs_build_delete_batch(const char *queue_url, const struct sqs_entry *entries,
                       size_t n, struct dg_buf *out, struct dg_err *err)
{
    return build_batch("DeleteMessageBatch", queue_url, entries, n, 0, out,
                       err);
}

dg_rc
sqs_build_change_visibility_batch(const char *queue_url,
                                  const struct sqs_entry *entries, size_t n,
                                  struct dg_buf *out, struct dg_err *err)
{
    return build_batch("ChangeMessageVisibilityBatch", queue_url, entries, n, 1,
                       out, err);
}

dg_rc
sqs_build_change_visibility(const char *queue_url, const char *receipt_handle,
                            int timeout, struct dg_buf *out, struct dg_err *err)
{
    static const char op[] = "ChangeMessageVisibility";
    cJSON *doc;
    if (svc_need(op, "QueueUrl", queue_url, err) != DG_OK ||
        svc_need(op, "ReceiptHandle", receipt_handle, err) != DG_OK)
        return DG_EINVALID;
    if (timeout < 0 || timeout > 43200)
        return bad_request(err, op, "VisibilityTimeout must be 0..43200");
    doc = doc_with_queue(queue_url);
    cJSON_AddStringToObject(doc, "ReceiptHandle", receipt_handle);
    cJSON_AddNumberToObject(doc, "VisibilityTimeout", timeout);
    return svc_json_emit(doc, out, err);
}

dg_rc
sqs_build_get_queue_attributes(const char *queue_url, const char *const *names,
                               size_t n, struct dg_buf *out, struct dg_err *err)
{
    cJSON *doc, *arr;
    if (svc_need("GetQueueAttributes", "QueueUrl", queue_url, err) != DG_OK)
        return DG_EINVALID;
    doc = doc_with_queue(queue_url);
    arr = cJSON_AddArrayToObject(doc, "AttributeNames");
    if (!names || n == 0)
        cJSON_AddItemToArray(arr, cJSON_CreateString("All"));
    for (size_t i = 0; names && i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
    return svc_json_emit(doc, out, err);
}

dg_rc
sqs_build_send(const char *queue_url, const char *body, struct dg_buf *out,
               struct dg_err *err)
{
    cJSON *doc;
    if (svc_need("SendMessage", "QueueUrl", queue_url, err) != DG_OK ||
        svc_need("SendMessage", "MessageBody", body, err) != DG_OK)
        return DG_EINVALID;
    if (strlen(body) > SQS_MAX_MSG_BODY)
        return bad_request(err, "SendMessage", "MessageBody exceeds 1 MiB");
    doc = doc_with_queue(queue_url);
    cJSON_AddStringToObject(doc, "MessageBody", body);
    return svc_json_emit(doc, out, err);
}

/* --- parsers --- */

static void
message_cleanup(struct sqs_message *m)
{
    dg_free(m->message_id);
    dg_free(m->receipt_handle);
    dg_free(m->body);
    dg_free(m->md5_of_body);
    svc_map_cleanup(&m->attributes);
}

void
sqs_receive_result_cleanup(struct sqs_receive_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        message_cleanup(&r->messages[i]);
    dg_free(r->messages);
    memset(r, 0, sizeof(*r));
}

static dg_rc
attr_number(const char *op, const struct svc_map *attrs, const char *name,
            long long *out, struct dg_err *err)
{
    const char *v = svc_map_get(attrs, name);
    char *end;
    *out = 0;
    if (!v)
        return DG_OK;
    if (*v < '0' || *v > '9' || strlen(v) > 19)
        return svc_bad(err, op, "attribute %s is not a number", name);
    *out = strtoll(v, &end, 10);
    if (*end)
        return svc_bad(err, op, "attribute %s is not a number", name);
    return DG_OK;
}

static dg_rc
parse_message(const char *op, const cJSON *j, void *item, struct dg_err *err)
{
    struct sqs_message *m = item;
    const cJSON *attrs;
    long long ts;
    char md5[33];
    if (!cJSON_IsObject(j))
        return svc_bad(err, op, "a message is not an object");
    if (svc_json_str(op, j, "MessageId", SVC_MAX_ID, 1, &m->message_id, err) ||
        svc_json_str(op, j, "ReceiptHandle", SVC_MAX_ID, 1, &m->receipt_handle,
                     err) ||
        svc_json_str(op, j, "Body", SQS_MAX_MSG_BODY, 1, &m->body, err) ||
        svc_json_str(op, j, "MD5OfBody", 64, 1, &m->md5_of_body, err) ||
        svc_json_object(op, j, "Attributes", &attrs, err))
        return DG_EINVALID;
    m->body_len = strlen(m->body);
    if (svc_json_strmap(op, attrs, SVC_MAX_ID, "a short string", &m->attributes,
                        err) ||
        attr_number(op, &m->attributes, "ApproximateReceiveCount",
                    &m->receive_count, err) ||
        attr_number(op, &m->attributes, "SentTimestamp", &ts, err))
        return DG_EINVALID;
    m->sent_timestamp_ms = ts;
    sqs_md5_hex(m->body, m->body_len, md5);
    if (strcmp(md5, m->md5_of_body) != 0)
        return dg_err_setc(err, DG_EINVALID, "md5_mismatch",
                           "ReceiveMessage reply: message %.100s: MD5OfBody "
                           "%.40s does not match the body (%s)",
                           m->message_id, m->md5_of_body, md5);
    return DG_OK;
}

dg_rc
sqs_parse_receive(const char *body, size_t len, struct sqs_receive_result *out,
                  struct dg_err *err)
{
    static const char op[] = "ReceiveMessage";
    cJSON *root;
    const cJSON *arr;
    void *v = NULL;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_json_open(op, body, len, &root, err)) != DG_OK)
        return rc;
    rc = svc_json_array(op, root, "Messages", SQS_MAX_MESSAGES, &arr, err);
    if (rc == DG_OK)
        rc = svc_json_items(op, arr, sizeof(*out->messages), parse_message, &v,
                            &out->n, err);
    out->messages = v;
    cJSON_Delete(root);
    if (rc != DG_OK)
        sqs_receive_result_cleanup(out);
    return rc;
}

void
sqs_batch_result_cleanup(struct sqs_batch_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        dg_free(r->entries[i].id);
        dg_free(r->entries[i].code);
        dg_free(r->entries[i].message);
    }
    dg_free(r->entries);
    memset(r, 0, sizeof(*r));
}

dg_rc
sqs_parse_batch(const char *body, size_t len, struct sqs_batch_result *out,
                struct dg_err *err)
{
    static const char op[] = "batch";
    cJSON *root;
    const cJSON *ok, *failed, *j;
    dg_rc rc;
    size_t n;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_json_open(op, body, len, &root, err)) != DG_OK)
        return rc;
    if ((rc = svc_json_array(op, root, "Successful", SQS_MAX_MESSAGES, &ok,
                             err)) != DG_OK ||
        (rc = svc_json_array(op, root, "Failed", SQS_MAX_MESSAGES, &failed,
                             err)) != DG_OK)
        goto out;
    n = (size_t)(ok ? cJSON_GetArraySize(ok) : 0) +
        (size_t)(failed ? cJSON_GetArraySize(failed) : 0);
    if (n > SQS_MAX_MESSAGES) {
        rc = svc_bad(err, op, "more than 10 entries");
        goto out;
    }
    out->entries = dg_calloc(n ? n : 1, sizeof(*out->entries));
    cJSON_ArrayForEach(j, ok)
    {
        struct sqs_batch_outcome *e = &out->entries[out->n++];
        e->ok = 1;
        if (!cJSON_IsObject(j)) {
            rc = svc_bad(err, op, "a Successful entry is not an object");
            goto out;
        }
        if ((rc = svc_json_str(op, j, "Id", SVC_MAX_ID, 1, &e->id, err)))
            goto out;
    }
    cJSON_ArrayForEach(j, failed)
    {
        struct sqs_batch_outcome *e = &out->entries[out->n++];
        out->failed++;
        if (!cJSON_IsObject(j)) {
            rc = svc_bad(err, op, "a Failed entry is not an object");
            goto out;
        }
        if ((rc = svc_json_str(op, j, "Id", SVC_MAX_ID, 1, &e->id, err)) ||
            (rc = svc_json_str(op, j, "Code", SVC_MAX_ID, 1, &e->code, err)) ||
            (rc = svc_json_str(op, j, "Message", SVC_MAX_ID, 0, &e->message,
                               err)) ||
            (rc = svc_json_bool(op, j, "SenderFault", 1, 0, &e->sender_fault,
                                err)))
            goto out;
    }
out:
    cJSON_Delete(root);
    if (rc != DG_OK)
        sqs_batch_result_cleanup(out);
    return rc;
}

dg_rc
sqs_parse_get_queue_attributes(const char *body, size_t len,
                               struct svc_map *out, struct dg_err *err)
{
    static const char op[] = "GetQueueAttributes";
    cJSON *root;
    const cJSON *attrs;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_json_open(op, body, len, &root, err)) != DG_OK)
        return rc;
    if ((rc = svc_json_object(op, root, "Attributes", &attrs, err)) == DG_OK)
        rc = svc_json_strmap(op, attrs, SVC_MAX_VALUE, "a string", out, err);
    cJSON_Delete(root);
    if (rc != DG_OK)
        svc_map_cleanup(out);
    return rc;
}

void
sqs_send_result_cleanup(struct sqs_send_result *r)
{
    if (!r)
        return;
    dg_free(r->message_id);
    dg_free(r->md5_of_body);
    memset(r, 0, sizeof(*r));
}

dg_rc
sqs_parse_send(const char *body, size_t len, const char *sent,
               struct sqs_send_result *out, struct dg_err *err)
{
    static const char op[] = "SendMessage";
    cJSON *root;
    dg_rc rc;
    char md5[33];
    memset(out, 0, sizeof(*out));
    if ((rc = svc_json_open(op, body, len, &root, err)) != DG_OK)
        return rc;
    if ((rc = svc_json_str(op, root, "MessageId", SVC_MAX_ID, 1,
                           &out->message_id, err)) == DG_OK)
        rc = svc_json_str(op, root, "MD5OfMessageBody", 64, 1,
                          &out->md5_of_body, err);
    cJSON_Delete(root);
    if (rc == DG_OK && sent) {
        sqs_md5_hex(sent, strlen(sent), md5);
        if (strcmp(md5, out->md5_of_body) != 0)
            rc = dg_err_setc(err, DG_EINVALID, "md5_mismatch",
                             "SendMessage reply: MD5OfMessageBody %.40s does "
                             "not match the body sent (%s)",
                             out->md5_of_body, md5);
    }
    if (rc != DG_OK)
        sqs_send_result_cleanup(out);
    return rc;
}

dg_rc
sqs_parse_empty(const char *body, size_t len, struct dg_err *err)
{
    cJSON *root;
    dg_rc rc = svc_json_open("ChangeMessageVisibility", body, len, &root, err);
    cJSON_Delete(root);
    return rc;
}

/* --- asynchronous wrappers --- */

SVC_OP(op_receive, struct sqs_receive_result, sqs_parse_receive,
       sqs_receive_result_cleanup);
SVC_OP(op_batch, struct sqs_batch_result, sqs_parse_batch,
       sqs_batch_result_cleanup);
SVC_OP(op_attrs, struct svc_map, sqs_parse_get_queue_attributes,
       svc_map_cleanup);
/* SendMessage: the svc_call arg is the body sent, to check its MD5. */
static dg_rc
p_send(const char *b, size_t n, const char *arg, void *out, struct dg_err *e)
{
    return sqs_parse_send(b, n, arg, out, e);
}
static void
c_send(void *r)
{
    sqs_send_result_cleanup(r);
}

static const struct svc_op op_send = {p_send, c_send,
                                      sizeof(struct sqs_send_result)};
static const struct svc_op op_none = {NULL, NULL, 0};

static void
start(const struct svc_client *c, const char *region, const char *op,
      int idempotent, long timeout_ms, struct svc_build *b, dg_rc rc,
      const struct svc_op *sop, char *arg, svc_done_fn done, void *ctx)
{
    struct aws_request req = {.svc = &aws_svc_sqs,
                              .region = region,
                              .operation = op,
                              .idempotent = idempotent,
                              .timeout_ms = timeout_ms};
    svc_call(c, &req, &b->body, rc, &b->err, sop, arg, done, ctx);
}

void
sqs_receive(const struct svc_client *c, const char *region,
            const struct sqs_receive_params *p, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = sqs_build_receive(p, &b.body, &b.err);
    /* A long poll must not hit the call timeout. */
    start(c, region, "ReceiveMessage", 1, (p->wait_seconds + 15) * 1000L, &b,
          rc, &op_receive, NULL, done, ctx);
}

void
sqs_delete_batch(const struct svc_client *c, const char *region,
                 const char *queue_url, const struct sqs_entry *entries,
                 size_t n, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = sqs_build_delete_batch(queue_url, entries, n, &b.body, &b.err);
    start(c, region, "DeleteMessageBatch", 1, 0, &b, rc, &op_batch, NULL, done,
          ctx);
}

void
sqs_change_visibility(const struct svc_client *c, const char *region,
                      const char *queue_url, const char *receipt_handle,
                      int timeout, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = sqs_build_change_visibility(queue_url, receipt_handle, timeout,
                                     &b.body, &b.err);
    start(c, region, "ChangeMessageVisibility", 1, 0, &b, rc, &op_none, NULL,
          done, ctx);
}

void
sqs_change_visibility_batch(const struct svc_client *c, const char *region,
                            const char *queue_url,
                            const struct sqs_entry *entries, size_t n,
                            svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = sqs_build_change_visibility_batch(queue_url, entries, n, &b.body,
                                           &b.err);
    start(c, region, "ChangeMessageVisibilityBatch", 1, 0, &b, rc, &op_batch,
          NULL, done, ctx);
}

void
sqs_get_queue_attributes(const struct svc_client *c, const char *region,
                         const char *queue_url, const char *const *names,
                         size_t n, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = sqs_build_get_queue_attributes(queue_url, names, n, &b.body, &b.err);
    start(c, region, "GetQueueAttributes", 1, 0, &b, rc, &op_attrs, NULL, done,
          ctx);
}

void
sqs_send(const struct svc_client *c, const char *region, const char *queue_url,
         const char *body, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = sqs_build_send(queue_url, body, &b.body, &b.err);
    start(c, region, "SendMessage", 0, 0, &b, rc, &op_send,
          rc == DG_OK ? dg_strdup(body) : NULL, done, ctx);
}
