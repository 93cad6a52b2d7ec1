/*
 * sinks/file.c - the `file` sink: events appended as JSON lines.
 *
 * Ownership: the sink owns its descriptor and its list of completions
 * waiting to be called. Errors: a file that cannot be opened fails the
 * start; a failed write or fsync fails those submits (DG_ETRANSIENT) and
 * the outbox retries them.
 *
 * DESIGN: each event is written with one writev (the line and its newline
 * together, O_APPEND), so a kill -9 never leaves half a line. Completions
 * are collected and called from a deferred event, never from submit. The
 * "fsync" option says when a success is reported: "always" fsyncs every
 * line before its completion; "batch" (the default) fsyncs once per loop
 * iteration for everything submitted in it, then completes all of it;
 * "never" leaves the data to the page cache (a power loss may lose
 * acknowledged lines; a crash of drgate does not). The writes and fsyncs
 * block the loop briefly: local disk only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/event.h>

#include "json.h"
#include "mem.h"
#include "sink.h"

extern const struct sink_ops sink_file_ops;

enum fsync_mode { FS_ALWAYS, FS_BATCH, FS_NEVER };

struct done {
    int64_t seq;
    dg_rc rc;
    sink_done_fn fn;
    void *ctx;
};

struct fsink {
    struct sink hdr;
    struct event_base *base;
    char *path;
    enum fsync_mode mode;
    int fd;
    int dirty; /* written since the last fsync */
    struct done *v;
    size_t n, cap;
    struct event *flush_ev;
    struct event *state_ev;
    sink_state_fn state_cb;
    void *state_ctx;
    dg_rc state_rc;
    struct dg_err state_err;
    int stopping;
    char errmsg[256];
};

static void
complete_all(struct fsink *f, dg_rc force)
{
    /* Swap the list out first: a completion may submit again. */
    struct done *v = f->v;
    size_t n = f->n;
    f->v = NULL;
    f->n = f->cap = 0;
    struct dg_err err;
    dg_err_clear(&err);
    for (size_t i = 0; i < n; i++) {
        dg_rc rc = force != DG_OK ? force : v[i].rc;
        if (rc != DG_OK)
            dg_err_set(&err, rc, "file sink %s: %s", f->path,
                       f->errmsg[0] ? f->errmsg : dg_rc_name(rc));
        v[i].fn(&f->hdr, v[i].seq, rc, rc == DG_OK ? NULL : &err, v[i].ctx);
    }
    dg_free(v);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsink *f = arg;
    dg_rc force = DG_OK;
    if (f->mode == FS_BATCH && f->dirty) {
        if (fdatasync(f->fd) != 0) {
            snprintf(f->errmsg, sizeof(f->errmsg), "fsync: %s",
                     strerror(errno));
            force = DG_ETRANSIENT;
        }
        f->dirty = 0;
    }
    complete_all(f, force);
}

static void
state_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsink *f = arg;
    if (f->stopping) {
        flush_cb(-1, 0, f);
        if (f->fd >= 0)
            close(f->fd);
        f->fd = -1;
    }
    f->state_cb(&f->hdr, f->state_rc,
                f->state_rc == DG_OK ? NULL : &f->state_err, f->state_ctx);
}

static dg_rc
fsink_create(struct event_base *base, const cJSON *conf, struct sink **out,
             struct dg_err *err)
{
    const char *path = dg_json_str(conf, "path");
    if (!path || !*path)
        return dg_err_set(err, DG_EINVALID, "file sink: path is required");
    const char *m = dg_json_str(conf, "fsync");
    struct fsink *f = dg_calloc(1, sizeof(*f));
    f->hdr.ops = &sink_file_ops;
    f->base = base;
    f->path = dg_strdup(path);
    f->mode = !m || strcmp(m, "batch") == 0 ? FS_BATCH
              : strcmp(m, "always") == 0    ? FS_ALWAYS
                                            : FS_NEVER;
    f->fd = -1;
    f->flush_ev = event_new(base, -1, 0, flush_cb, f);
    f->state_ev = event_new(base, -1, 0, state_cb, f);
    *out = &f->hdr;
    return DG_OK;
}

static void
fsink_start(struct sink *snk, sink_state_fn cb, void *ctx)
{
    struct fsink *f = (struct fsink *)snk;
    f->state_cb = cb;
    f->state_ctx = ctx;
    f->state_rc = DG_OK;
    dg_err_clear(&f->state_err);
    f->fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (f->fd < 0)
        f->state_rc = dg_err_set(&f->state_err, DG_EFATAL,
                                 "%s: cannot be opened for appending: %s",
                                 f->path, strerror(errno));
    event_active(f->state_ev, 0, 0);
}

static void
fsink_submit(struct sink *snk, const char *json, size_t len, int64_t seq,
             sink_done_fn done, void *ctx)
{
    struct fsink *f = (struct fsink *)snk;
    dg_rc rc = DG_OK;
    if (f->fd < 0 || f->stopping) {
        rc = DG_ECANCELLED;
    } else {
        struct iovec iov[2] = {{(void *)json, len}, {(void *)"\n", 1}};
        size_t want = len + 1;
        ssize_t n;
        do
            n = writev(f->fd, iov, 2);
        while (n < 0 && errno == EINTR);
        if (n < 0 || (size_t)n != want) {
            snprintf(f->errmsg, sizeof(f->errmsg), "write: %s",
                     n < 0 ? strerror(errno) : "short write");
            rc = DG_ETRANSIENT;
        } else if (f->mode == FS_ALWAYS && fdatasync(f->fd) != 0) {
            snprintf(f->errmsg, sizeof(f->errmsg), "fsync: %s",
                     strerror(errno));
            rc = DG_ETRANSIENT;
        } else {
            f->dirty = 1;
        }
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->v = dg_realloc(f->v, f->cap * sizeof(*f->v));
    }
    f->v[f->n++] = (struct done){seq, rc, done, ctx};
    event_active(f->flush_ev, 0, 0);
}

static void
fsink_stop(struct sink *snk, sink_state_fn cb, void *ctx)
{
    struct fsink *f = (struct fsink *)snk;
    f->stopping = 1;
    f->state_cb = cb;
    f->state_ctx = ctx;
    f->state_rc = DG_OK;
    event_active(f->state_ev, 0, 0);
}

static void
fsink_destroy(struct sink *snk)
{
    struct fsink *f = (struct fsink *)snk;
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    event_free(f->flush_ev);
    event_free(f->state_ev);
    dg_free(f->v);
    dg_free(f->path);
    dg_free(f);
}

const struct sink_ops sink_file_ops = {
    .type = "file",
    .create = fsink_create,
    .submit = fsink_submit,
    .start = fsink_start,
    .stop = fsink_stop,
    .destroy = fsink_destroy,
};
