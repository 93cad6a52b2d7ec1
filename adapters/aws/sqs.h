#ifndef DRGATE_SQS_H
#define DRGATE_SQS_H
/*
 * Amazon SQS (JSON 1.0 protocol): request builders, reply parsers and
 * asynchronous wrappers for ReceiveMessage, DeleteMessageBatch,
 * ChangeMessageVisibility(Batch), GetQueueAttributes and SendMessage.
 * Builders and parsers are pure; see svc.h for the conventions.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

#define SQS_MAX_MESSAGES 10 /* per ReceiveMessage and per batch */

struct sqs_receive_params {
    const char *queue_url;
    int max_messages;       /* 1..10 */
    int wait_seconds;       /* 0..20 */
    int visibility_timeout; /* -1: the queue's default */
};

struct sqs_message {
    char *message_id;
    char *receipt_handle;
    char *body;
    size_t body_len;
    char *md5_of_body;         /* verified against body by the parser */
    long long receive_count;   /* ApproximateReceiveCount; 0 if absent */
    int64_t sent_timestamp_ms; /* SentTimestamp; 0 if absent */
    struct svc_map attributes; /* every system attribute, as sent */
};

struct sqs_receive_result {
    struct sqs_message *messages;
    size_t n;
};

/* One entry of a batch call; visibility_timeout only for
 * ChangeMessageVisibilityBatch. */
struct sqs_entry {
    const char *id;
    const char *receipt_handle;
    int visibility_timeout;
};

struct sqs_batch_outcome {
    char *id;
    int ok;           /* listed under Successful */
    int sender_fault; /* Failed entries */
    char *code;
    char *message;
};

struct sqs_batch_result {
    struct sqs_batch_outcome *entries;
    size_t n;
    size_t failed;
};

struct sqs_send_result {
    char *message_id;
    char *md5_of_body;
};

/* Builders: write the JSON document into out (replaced). DG_EINVALID
 * (code "bad_request") for missing fields or out-of-range values. */
dg_rc sqs_build_receive(const struct sqs_receive_params *p, struct dg_buf *out,
                        struct dg_err *err);
dg_rc sqs_build_delete_batch(const char *queue_url,
                             const struct sqs_entry *entries, size_t n,
                             struct dg_buf *out, struct dg_err *err);
dg_rc sqs_build_change_visibility(const char *queue_url,
                                  const char *receipt_handle, int timeout,
                                  struct dg_buf *out, struct dg_err *err);
dg_rc sqs_build_change_visibility_batch(const char *queue_url,
                                        const struct sqs_entry *entries,
                                        size_t n, struct dg_buf *out,
                                        struct dg_err *err);
/* names: attribute names (NULL or n == 0: "All"). */
dg_rc sqs_build_get_queue_attributes(const char *queue_url,
                                     const char *const *names, size_t n,
                                     struct dg_buf *out, struct dg_err *err);
dg_rc sqs_build_send(const char *queue_url, const char *body,
                     struct dg_buf *out, struct dg_err *err);

/* Parsers. A message whose MD5OfBody does not match its body fails the
 * whole reply (DG_EINVALID, code "md5_mismatch", naming the MessageId): the
 * messages return to the queue after their visibility timeout. */
dg_rc sqs_parse_receive(const char *body, size_t len,
                        struct sqs_receive_result *out, struct dg_err *err);
void sqs_receive_result_cleanup(struct sqs_receive_result *r);
/* DeleteMessageBatch and ChangeMessageVisibilityBatch replies. */
dg_rc sqs_parse_batch(const char *body, size_t len,
                      struct sqs_batch_result *out, struct dg_err *err);
void sqs_batch_result_cleanup(struct sqs_batch_result *r);
dg_rc sqs_parse_get_queue_attributes(const char *body, size_t len,
                                     struct svc_map *out, struct dg_err *err);
/* sent: the message body that was sent, verified against MD5OfMessageBody
 * (NULL skips the check). */
dg_rc sqs_parse_send(const char *body, size_t len, const char *sent,
                     struct sqs_send_result *out, struct dg_err *err);
void sqs_send_result_cleanup(struct sqs_send_result *r);
/* ChangeMessageVisibility answers an empty object. */
dg_rc sqs_parse_empty(const char *body, size_t len, struct dg_err *err);

/* Hex MD5 of s (33 bytes with the NUL). */
void sqs_md5_hex(const char *s, size_t len, char out[33]);

/* Asynchronous wrappers: region NULL means the client's region. result is
 * the matching result struct above (struct svc_map for attributes, NULL for
 * ChangeMessageVisibility). */
void sqs_receive(const struct svc_client *c, const char *region,
                 const struct sqs_receive_params *p, svc_done_fn done,
                 void *ctx);
void sqs_delete_batch(const struct svc_client *c, const char *region,
                      const char *queue_url, const struct sqs_entry *entries,
                      size_t n, svc_done_fn done, void *ctx);
void sqs_change_visibility(const struct svc_client *c, const char *region,
                           const char *queue_url, const char *receipt_handle,
                           int timeout, svc_done_fn done, void *ctx);
void sqs_change_visibility_batch(const struct svc_client *c, const char *region,
                                 const char *queue_url,
                                 const struct sqs_entry *entries, size_t n,
                                 svc_done_fn done, void *ctx);
void sqs_get_queue_attributes(const struct svc_client *c, const char *region,
                              const char *queue_url, const char *const *names,
                              size_t n, svc_done_fn done, void *ctx);
/* Verifies MD5OfMessageBody against body. */
void sqs_send(const struct svc_client *c, const char *region,
              const char *queue_url, const char *body, svc_done_fn done,
              void *ctx);

#endif
