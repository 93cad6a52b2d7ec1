/* stub: replaced below */
#include "source.h"

extern const struct source_ops source_probe_ops;

static dg_rc
stub_create(struct event_base *base, const cJSON *conf,
            const struct source_host *host, struct source **out,
            struct dg_err *err)
{
    (void)base;
    (void)conf;
    (void)host;
    *out = NULL;
    return dg_err_set(err, DG_EINVALID, "probe source: not yet");
}

const struct source_ops source_probe_ops = {.type = "probe", .create = stub_create};
