#ifndef DRGATE_SNS_H
#define DRGATE_SNS_H
/*
 * Amazon SNS (query protocol, 2010-03-31): Publish and GetTopicAttributes.
 * Builders and parsers are pure; see svc.h for the conventions.
 */
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

#define SNS_MAX_ATTRS 10 /* the SNS message attribute limit */

struct sns_attr {
    const char *name;
    const char *data_type; /* "String", "Number", "String.Array" */
    const char *value;
};

struct sns_publish_params {
    const char *topic_arn;
    const char *message;
    const char *subject;   /* NULL: none */
    int message_structure; /* 1: MessageStructure=json */
    const struct sns_attr *attrs;
    size_t nattrs;
};

/* Write the form-encoded parameters (without Action and Version). */
dg_rc sns_build_publish(const struct sns_publish_params *p, struct dg_buf *out,
                        struct dg_err *err);
dg_rc sns_build_get_topic_attributes(const char *topic_arn, struct dg_buf *out,
                                     struct dg_err *err);

/* *message_id is dg_malloc'ed. */
dg_rc sns_parse_publish(const char *body, size_t len, char **message_id,
                        struct dg_err *err);
dg_rc sns_parse_get_topic_attributes(const char *body, size_t len,
                                     struct svc_map *out, struct dg_err *err);

/* Asynchronous wrappers (region NULL: the client's). Publish's result is a
 * const char * (the MessageId); GetTopicAttributes' a struct svc_map. */
void sns_publish(const struct svc_client *c, const char *region,
                 const struct sns_publish_params *p, svc_done_fn done,
                 void *ctx);
void sns_get_topic_attributes(const struct svc_client *c, const char *region,
                              const char *topic_arn, svc_done_fn done,
                              void *ctx);

#endif
