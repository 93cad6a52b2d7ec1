#ifndef DRGATE_SINK_H
#define DRGATE_SINK_H
/*
 * The sink adapter interface (STYLE.md "adapter descriptors"). The outbox
 * submits sealed events (canonical CloudEvents JSON, events.h) in seq
 * order; each submit's completion is called exactly once, never from
 * inside submit: DG_OK when the event is durably delivered (file written
 * per its fsync policy, Kafka delivery report, SNS publish answered),
 * anything else when it was not (the outbox retries from there).
 *
 * Lifecycle: create (validates conf, no I/O) -> start (async; started_cb
 * once) -> submits -> stop (async: completes every pending submit, with
 * DG_ECANCELLED if it must give up, then stopped_cb once) -> destroy.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

struct event_base;
struct sink;
struct svc_client;

/* Completion of one submit; err is NULL on success, borrowed otherwise. */
typedef void (*sink_done_fn)(struct sink *snk, int64_t seq, dg_rc rc,
                             const struct dg_err *err, void *ctx);
/* Start or stop finished; rc != DG_OK when start failed. */
typedef void (*sink_state_fn)(struct sink *snk, dg_rc rc,
                              const struct dg_err *err, void *ctx);

struct sink_ops {
    const char *type; /* "file", "kafka", "sns" */
    dg_rc (*create)(struct event_base *base, const cJSON *conf,
                    struct sink **out, struct dg_err *err);
    void (*start)(struct sink *snk, sink_state_fn started, void *ctx);
    /* json (len bytes, no newline) is copied if the sink needs it later. */
    void (*submit)(struct sink *snk, const char *json, size_t len, int64_t seq,
                   sink_done_fn done, void *ctx);
    void (*stop)(struct sink *snk, sink_state_fn stopped, void *ctx);
    /* Frees the sink without calling any completion. Accepts NULL. */
    void (*destroy)(struct sink *snk);
    /* Sinks that call AWS (sns) set this instead of create: the host
     * passes its shared AWS stack (adapters/aws/svc.h), borrowed, which
     * outlives the sink. */
    dg_rc (*create_aws)(struct event_base *base, const cJSON *conf,
                        const struct svc_client *aws, struct sink **out,
                        struct dg_err *err);
};

/* Every sink struct starts with this header. */
struct sink {
    const struct sink_ops *ops;
    char *name; /* its cursor key, for logs; set and owned by the host */
};

static inline void
sink_start(struct sink *s, sink_state_fn cb, void *ctx)
{
    s->ops->start(s, cb, ctx);
}
static inline void
sink_submit(struct sink *s, const char *json, size_t len, int64_t seq,
            sink_done_fn done, void *ctx)
{
    s->ops->submit(s, json, len, seq, done, ctx);
}
static inline void
sink_stop(struct sink *s, sink_state_fn cb, void *ctx)
{
    s->ops->stop(s, cb, ctx);
}
static inline void
sink_destroy(struct sink *s)
{
    if (s)
        s->ops->destroy(s);
}

#endif
