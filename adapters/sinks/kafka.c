/* stub */
#include "sink.h"

extern const struct sink_ops sink_kafka_ops;

static dg_rc
stub_create(struct event_base *base, const cJSON *conf, struct sink **out,
            struct dg_err *err)
{
    (void)base;
    (void)conf;
    *out = NULL;
    return dg_err_set(err, DG_EINVALID, "kafka sink: not yet");
}

const struct sink_ops sink_kafka_ops = {.type = "kafka", .create = stub_create};
