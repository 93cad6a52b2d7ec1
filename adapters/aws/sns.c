/*
 * sns.c - Amazon SNS over the query protocol: Publish (with message
 * attributes) and GetTopicAttributes. Pure builders and parsers, thin
 * asynchronous wrappers.
 *
 * Ownership: parsed strings belong to the caller (dg_free / svc_map_cleanup).
 * Errors: DG_EINVALID "bad_request" / "bad_response".
 */
#include <string.h>

#include "awsxml.h"
#include "client.h"
#include "mem.h"
#include "sns.h"

#define SNS_MAX_MESSAGE (256 * 1024)

dg_rc
sns_build_publish(const struct sns_publish_params *p, struct dg_buf *out,
                  struct dg_err *err)
{
    static const char op[] = "Publish";
    dg_rc rc;
    if (svc_need(op, "TopicArn", p->topic_arn, err) ||
        svc_need(op, "Message", p->message, err))
        return DG_EINVALID;
    if (strlen(p->message) > SNS_MAX_MESSAGE)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "Publish: Message exceeds 256 KiB");
    if (p->subject && (strlen(p->subject) > 100 || !*p->subject))
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "Publish: Subject must be 1..100 characters");
    if (p->nattrs > SNS_MAX_ATTRS)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "Publish: at most 10 message attributes");
    for (size_t i = 0; i < p->nattrs; i++)
        if (!p->attrs[i].name || !*p->attrs[i].name || !p->attrs[i].data_type ||
            !*p->attrs[i].data_type || !p->attrs[i].value)
            return dg_err_setc(err, DG_EINVALID, "bad_request",
                               "Publish: attribute %zu needs a name, a data "
                               "type and a value",
                               i + 1);
    dg_buf_reset(out);
    rc = aws_query_add(out, "TopicArn", p->topic_arn);
    if (!rc)
        rc = aws_query_add(out, "Message", p->message);
    if (!rc && p->subject)
        rc = aws_query_add(out, "Subject", p->subject);
    if (!rc && p->message_structure)
        rc = aws_query_add(out, "MessageStructure", "json");
    for (size_t i = 0; !rc && i < p->nattrs; i++) {
        rc = svc_query_addk(out, p->attrs[i].name,
                            "MessageAttributes.entry.%zu.Name", i + 1);
        if (!rc)
            rc = svc_query_addk(out, p->attrs[i].data_type,
                                "MessageAttributes.entry.%zu.Value.DataType",
                                i + 1);
        if (!rc)
            rc = svc_query_addk(out, p->attrs[i].value,
                                "MessageAttributes.entry.%zu.Value.StringValue",
                                i + 1);
    }
    if (rc)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "Publish: request too large");
    return DG_OK;
}

dg_rc
sns_build_get_topic_attributes(const char *topic_arn, struct dg_buf *out,
                               struct dg_err *err)
{
    if (svc_need("GetTopicAttributes", "TopicArn", topic_arn, err))
        return DG_EINVALID;
    dg_buf_reset(out);
    if (aws_query_add(out, "TopicArn", topic_arn))
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "GetTopicAttributes: request too large");
    return DG_OK;
}

dg_rc
sns_parse_publish(const char *body, size_t len, char **message_id,
                  struct dg_err *err)
{
    struct awsxml_node *root;
    const struct awsxml_node *res;
    dg_rc rc;
    *message_id = NULL;
    if ((rc = svc_xml_open("Publish", body, len, &root, &res, err)))
        return rc;
    rc = svc_xml_str("Publish", res, "MessageId", SVC_MAX_ID, 1, message_id,
                     err);
    awsxml_free(root);
    return rc;
}

dg_rc
sns_parse_get_topic_attributes(const char *body, size_t len,
                               struct svc_map *out, struct dg_err *err)
{
    static const char op[] = "GetTopicAttributes";
    struct awsxml_node *root;
    const struct awsxml_node *res, *attrs, *e;
    dg_rc rc;
    size_t n;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_xml_open(op, body, len, &root, &res, err)))
        return rc;
    attrs = awsxml_child(res, "Attributes");
    if ((rc = svc_xml_count(op, attrs, "entry", 100, &n, err)))
        goto out;
    for (e = attrs ? awsxml_first(attrs, "entry") : NULL; e;
         e = awsxml_next(e)) {
        const char *k = awsxml_text(e, "key");
        const char *v = awsxml_text(e, "value");
        if (!k || !v) {
            rc = svc_bad(err, op, "an attribute entry lacks key or value");
            goto out;
        }
        if (strlen(k) > SVC_MAX_ID || strlen(v) > SVC_MAX_VALUE) {
            rc = svc_bad(err, op, "attribute too long");
            goto out;
        }
        svc_map_add(out, k, v);
    }
    if (!svc_map_get(out, "TopicArn"))
        rc = svc_bad(err, op, "no TopicArn attribute");
out:
    awsxml_free(root);
    if (rc)
        svc_map_cleanup(out);
    return rc;
}

/* --- asynchronous wrappers --- */

struct sns_id {
    char *message_id;
};

static dg_rc
p_publish(const char *b, size_t n, const char *arg, void *out, struct dg_err *e)
{
    (void)arg;
    return sns_parse_publish(b, n, &((struct sns_id *)out)->message_id, e);
}
static void
c_publish(void *r)
{
    dg_free(((struct sns_id *)r)->message_id);
}

/* The result of Publish is the MessageId string itself: the struct's
 * first and only member. */
static const struct svc_op op_publish = {p_publish, c_publish,
                                         sizeof(struct sns_id)};
SVC_OP(op_attrs, struct svc_map, sns_parse_get_topic_attributes,
       svc_map_cleanup);

struct publish_ctx {
    svc_done_fn done;
    void *ctx;
};

static void
on_publish(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct publish_ctx pc = *(struct publish_ctx *)ctx;
    dg_free(ctx);
    pc.done(result ? ((const struct sns_id *)result)->message_id : NULL, rc,
            err, pc.ctx);
}

void
sns_publish(const struct svc_client *c, const char *region,
            const struct sns_publish_params *p, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    struct publish_ctx *pc = dg_malloc(sizeof(*pc));
    dg_rc rc;
    pc->done = done;
    pc->ctx = ctx;
    svc_build_init(&b);
    rc = sns_build_publish(p, &b.body, &b.err);
    svc_send(c, &aws_svc_sns, region, "Publish", 0, &b, rc, &op_publish,
             on_publish, pc);
}

void
sns_get_topic_attributes(const struct svc_client *c, const char *region,
                         const char *topic_arn, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = sns_build_get_topic_attributes(topic_arn, &b.body, &b.err);
    svc_send(c, &aws_svc_sns, region, "GetTopicAttributes", 1, &b, rc,
             &op_attrs, done, ctx);
}
