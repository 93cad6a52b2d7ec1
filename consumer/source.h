#ifndef DRGATE_SOURCE_H
#define DRGATE_SOURCE_H
/*
 * The source adapter interface (STYLE.md "adapter descriptors"). A source
 * (file, probe, kafka, sqs) hands raw messages to its host, the daemon,
 * and gets exactly one ack per message: SOURCE_COMMITTED once the
 * message's effects are durably committed (delete it, store its offset),
 * SOURCE_RETRY when drgate could not process it (leave it for
 * redelivery). The message bytes and origin stay valid until that ack.
 *
 * Lifecycle: create (validates conf, no I/O) -> start (async; calls
 * host->started once, or host->failed) -> messages -> stop (async; after it
 * no message is delivered, every delivered message still gets its ack from
 * the host, and host->stopped is called once, never from inside stop) ->
 * destroy. pause/resume are hints that take effect at the next read; a
 * paused source may still deliver what it has already read.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

struct event_base;
struct source;
struct svc_client;

enum source_outcome {
    SOURCE_COMMITTED = 0,
    SOURCE_RETRY, /* transient failure of drgate: redeliver later */
};

/* What the daemon gives a source; every callback gets ctx last. */
struct source_host {
    /* A message: handle is the source's own, passed back to ack. data and
     * origin (the transport id: "line 17", "topic/0@42", a message id) are
     * borrowed until the ack. */
    void (*deliver)(struct source *src, void *handle, const char *data,
                    size_t len, const char *origin, void *ctx);
    void (*started)(struct source *src, void *ctx);
    /* The source cannot go on (bad path, fatal client error); err says
     * why. The host stops it. */
    void (*failed)(struct source *src, const struct dg_err *err, void *ctx);
    /* No more messages will come (a non-following file at its end); acks
     * are still expected for what was delivered. */
    void (*ended)(struct source *src, void *ctx);
    void (*stopped)(struct source *src, void *ctx);
    void *ctx;
    /* The daemon's shared AWS stack (adapters/aws/svc.h) for sources whose
     * ops set needs_aws; NULL otherwise. Borrowed: it outlives the
     * source. */
    const struct svc_client *aws;
};

struct source_ops {
    const char *type; /* "file", "probe", "kafka", "sqs" */
    /* Builds the source from its validated config object (borrowed) and
     * the host (copied). No I/O yet. */
    dg_rc (*create)(struct event_base *base, const cJSON *conf,
                    const struct source_host *host, struct source **out,
                    struct dg_err *err);
    void (*start)(struct source *src);
    void (*stop)(struct source *src);
    void (*pause)(struct source *src);
    void (*resume)(struct source *src);
    void (*ack)(struct source *src, void *handle, enum source_outcome outcome);
    /* Frees a created, never started or stopped source. Accepts NULL. */
    void (*destroy)(struct source *src);
    int needs_aws; /* 1: the host must fill host->aws */
};

/* Every source struct starts with this header so the host can find its
 * descriptor. */
struct source {
    const struct source_ops *ops;
    char *name; /* "sources[0] (file)", for logs; set and owned by the host */
};

static inline void
source_start(struct source *s)
{
    s->ops->start(s);
}
static inline void
source_stop(struct source *s)
{
    s->ops->stop(s);
}
static inline void
source_pause(struct source *s)
{
    s->ops->pause(s);
}
static inline void
source_resume(struct source *s)
{
    s->ops->resume(s);
}
static inline void
source_ack(struct source *s, void *handle, enum source_outcome o)
{
    s->ops->ack(s, handle, o);
}
static inline void
source_destroy(struct source *s)
{
    if (s)
        s->ops->destroy(s);
}

#endif
