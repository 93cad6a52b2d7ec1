/*
 * sources/file.c - the `file` source: JSON lines from a file or stdin.
 *
 * Ownership: each delivered line is a heap copy (struct fline) owned by
 * the source; the daemon borrows its bytes until the ack, which frees it
 * (SOURCE_COMMITTED) or queues it for redelivery a second later
 * (SOURCE_RETRY). Errors: a path that cannot be opened fails the start
 * (host->failed); a read error fails the source.
 *
 * DESIGN: never block the loop and never read a whole file at once. A
 * regular file (also stdin redirected from one) is read in 64 KiB chunks,
 * one chunk per loop iteration through a zero timer, and not at all while
 * paused; at its end it either ends (follow false: host->ended once) or
 * polls for appended data every 250 ms (follow true; a file that shrank is
 * read again from its start). A pipe or terminal on stdin is made
 * non-blocking and read from an EV_READ event. Lines are cut like
 * `drgate replay` cuts them: blank ones skipped, the line number counted
 * for every line, an overlong line passed on cut just past the message
 * limit so the decoder refuses it as too_large.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "json.h"
#include "mem.h"
#include "source.h"

extern const struct source_ops source_file_ops;

#define CHUNK (64 * 1024)
#define FOLLOW_POLL_MS 250
#define RETRY_MS 1000

struct fline {
    struct fline *next;
    size_t len;
    char origin[40];
    char data[]; /* len bytes + NUL */
};

struct fsrc {
    struct source hdr;
    struct event_base *base;
    struct source_host host;
    char *path;
    int follow;
    int fd;
    int regular; /* read by timer; else EV_READ */
    off_t offset;
    struct event *read_ev;
    struct event *retry_ev;
    struct event *stopped_ev;
    char *line;
    size_t len, cap;
    int too_long;
    size_t lineno;
    int paused, stopping, eof;
    struct fline *retry_head, *retry_tail;
};

static void
deliver_line(struct fsrc *f, struct fline *l)
{
    f->host.deliver(&f->hdr, l, l->data, l->len, l->origin, f->host.ctx);
}

/* The line gathered so far is complete. */
static void
line_done(struct fsrc *f)
{
    f->lineno++;
    size_t i = 0;
    while (i < f->len &&
           (f->line[i] == ' ' || f->line[i] == '\t' || f->line[i] == '\r'))
        i++;
    if (i < f->len || f->too_long) {
        struct fline *l = dg_malloc(sizeof(*l) + f->len + 1);
        l->next = NULL;
        l->len = f->len;
        memcpy(l->data, f->line, f->len);
        l->data[f->len] = '\0';
        snprintf(l->origin, sizeof(l->origin), "line %zu", f->lineno);
        deliver_line(f, l);
    }
    f->len = 0;
    f->too_long = 0;
}

static void
split(struct fsrc *f, const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t take = (size_t)((nl ? nl : end) - p);
        size_t room = f->cap - 1 - f->len;
        if (take > room) {
            f->too_long = 1;
            take = room;
        }
        memcpy(f->line + f->len, p, take);
        f->len += take;
        p = nl ? nl + 1 : end;
        if (nl)
            line_done(f);
    }
}

static void
fail(struct fsrc *f, const char *what)
{
    struct dg_err err;
    dg_err_clear(&err);
    dg_err_set(&err, DG_EFATAL, "%s: %s: %s", f->path, what, strerror(errno));
    f->stopping = 1;
    event_del(f->read_ev);
    f->host.failed(&f->hdr, &err, f->host.ctx);
}

static void
at_eof(struct fsrc *f)
{
    if (f->follow && f->regular) {
        struct stat sb;
        if (fstat(f->fd, &sb) == 0 && sb.st_size < f->offset) {
            /* Truncated or replaced in place: start over. */
            f->offset = 0;
            (void)lseek(f->fd, 0, SEEK_SET);
        }
        dg_clock_arm(f->read_ev, FOLLOW_POLL_MS);
        return;
    }
    if (f->len > 0 || f->too_long)
        line_done(f); /* a last line without its newline */
    f->eof = 1;
    event_del(f->read_ev);
    f->host.ended(&f->hdr, f->host.ctx);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsrc *f = arg;
    if (f->stopping || f->eof || f->paused)
        return;
    char buf[CHUNK];
    ssize_t n = read(f->fd, buf, sizeof(buf));
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (f->regular)
                dg_clock_arm(f->read_ev, 0);
            return;
        }
        fail(f, "read error");
        return;
    }
    if (n == 0) {
        at_eof(f);
        return;
    }
    f->offset += n;
    split(f, buf, (size_t)n);
    if (f->regular && !f->stopping && !f->paused)
        dg_clock_arm(f->read_ev, 0); /* next chunk on the next loop iteration */
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsrc *f = arg;
    struct fline *l = f->retry_head;
    f->retry_head = f->retry_tail = NULL;
    while (l) {
        struct fline *next = l->next;
        l->next = NULL;
        deliver_line(f, l);
        l = next;
    }
}

static void
stopped_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsrc *f = arg;
    f->host.stopped(&f->hdr, f->host.ctx);
}

static dg_rc
file_create(struct event_base *base, const cJSON *conf,
            const struct source_host *host, struct source **out,
            struct dg_err *err)
{
    const char *path = dg_json_str(conf, "path");
    if (!path || !*path)
        return dg_err_set(err, DG_EINVALID, "file source: path is required");
    struct fsrc *f = dg_calloc(1, sizeof(*f));
    f->hdr.ops = &source_file_ops;
    f->base = base;
    f->host = *host;
    f->path = dg_strdup(path);
    f->follow = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf, "follow"));
    f->fd = -1;
    f->cap = DG_JSON_MAX_MESSAGE + 2;
    f->line = dg_malloc(f->cap);
    f->retry_ev = evtimer_new(base, retry_cb, f);
    f->stopped_ev = event_new(base, -1, 0, stopped_cb, f);
    *out = &f->hdr;
    return DG_OK;
}

static void
started_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fsrc *f = arg;
    if (f->stopping)
        return;
    int is_stdin = strcmp(f->path, "-") == 0;
    f->fd = is_stdin ? STDIN_FILENO
                     : open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f->fd < 0) {
        fail(f, "cannot be opened");
        return;
    }
    struct stat sb;
    if (fstat(f->fd, &sb) != 0) {
        fail(f, "cannot be examined");
        return;
    }
    f->regular = S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode);
    if (f->regular) {
        f->read_ev = evtimer_new(f->base, read_cb, f);
        dg_clock_arm(f->read_ev, 0);
    } else {
        int fl = fcntl(f->fd, F_GETFL);
        if (fl >= 0)
            (void)fcntl(f->fd, F_SETFL, fl | O_NONBLOCK);
        f->read_ev =
            event_new(f->base, f->fd, EV_READ | EV_PERSIST, read_cb, f);
        if (!f->paused)
            event_add(f->read_ev, NULL);
    }
    f->host.started(&f->hdr, f->host.ctx);
}

static void
file_start(struct source *src)
{
    struct fsrc *f = (struct fsrc *)src;
    struct timeval zero = {0, 0};
    /* Opening happens from the loop so started/failed never run inside
     * start. */
    (void)event_base_once(f->base, -1, EV_TIMEOUT, started_cb, f, &zero);
}

static void
file_stop(struct source *src)
{
    struct fsrc *f = (struct fsrc *)src;
    f->stopping = 1;
    if (f->read_ev)
        event_del(f->read_ev);
    event_del(f->retry_ev);
    event_active(f->stopped_ev, 0, 0);
}

static void
file_pause(struct source *src)
{
    struct fsrc *f = (struct fsrc *)src;
    f->paused = 1;
    if (f->read_ev)
        event_del(f->read_ev);
}

static void
file_resume(struct source *src)
{
    struct fsrc *f = (struct fsrc *)src;
    if (!f->paused)
        return;
    f->paused = 0;
    if (!f->read_ev || f->stopping || f->eof)
        return;
    if (f->regular)
        dg_clock_arm(f->read_ev, 0);
    else
        event_add(f->read_ev, NULL);
}

static void
file_ack(struct source *src, void *handle, enum source_outcome o)
{
    struct fsrc *f = (struct fsrc *)src;
    struct fline *l = handle;
    if (o == SOURCE_COMMITTED || f->stopping) {
        /* At shutdown a retry is left to the next run, which reads the
         * file again (dedup keeps the effects single). */
        dg_free(l);
        return;
    }
    l->next = NULL;
    if (f->retry_tail)
        f->retry_tail->next = l;
    else
        f->retry_head = l;
    f->retry_tail = l;
    if (!evtimer_pending(f->retry_ev, NULL)) {
        dg_clock_arm(f->retry_ev, RETRY_MS);
    }
}

static void
file_destroy(struct source *src)
{
    struct fsrc *f = (struct fsrc *)src;
    if (!f)
        return;
    if (f->read_ev)
        event_free(f->read_ev);
    event_free(f->retry_ev);
    event_free(f->stopped_ev);
    for (struct fline *l = f->retry_head, *n; l; l = n) {
        n = l->next;
        dg_free(l);
    }
    if (f->fd > STDIN_FILENO)
        close(f->fd);
    dg_free(f->line);
    dg_free(f->path);
    dg_free(f);
}

const struct source_ops source_file_ops = {
    .type = "file",
    .create = file_create,
    .start = file_start,
    .stop = file_stop,
    .pause = file_pause,
    .resume = file_resume,
    .ack = file_ack,
    .destroy = file_destroy,
};
