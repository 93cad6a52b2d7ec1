/*
 * replay.c - offline replay of a JSON-lines file.
 *
 * Lines are read with a bounded reader: a line longer than the message
 * limit is refused as too_large and skipped to its end, never buffered
 * whole. Work is committed in batches (one transaction per `batch` lines);
 * the temporary store runs with synchronous=OFF since it is thrown away.
 */
#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mem.h"
#include "store.h"

struct emit_ctx {
    FILE *out;
};

static void
emit_line(const cJSON *line, void *ctx)
{
    struct emit_ctx *c = ctx;
    char *s = cJSON_PrintUnformatted(line);
    if (s) {
        fputs(s, c->out);
        fputc('\n', c->out);
        cJSON_free(s);
    }
}

struct reader {
    struct engine *eng;
    struct store *st;
    struct dg_err *err;
    char *line;
    size_t cap, len, lineno, pending, batch;
    int too_long;
};

/* Processes the line gathered so far (every line counts toward the line
 * number; blank ones, white space only, are skipped) and commits every
 * batch lines. */
static dg_rc
reader_line(struct reader *r)
{
    r->lineno++;
    dg_rc rc = DG_OK;
    size_t i = 0;
    while (i < r->len &&
           (r->line[i] == ' ' || r->line[i] == '\t' || r->line[i] == '\r'))
        i++;
    if (i < r->len || r->too_long) {
        char origin[48];
        snprintf(origin, sizeof(origin), "line %zu", r->lineno);
        /* An oversized line is passed on cut just past the limit so the
         * decoder refuses it as too_large. */
        rc = engine_process(r->eng, r->line, r->len, "file", origin, 0, r->err);
        if (rc == DG_OK && ++r->pending >= r->batch) {
            r->pending = 0;
            if ((rc = engine_checkpoint(r->eng, r->err)) == DG_OK &&
                (rc = store_commit(r->st, r->err)) == DG_OK)
                rc = store_begin(r->st, r->err);
        }
    }
    r->len = 0;
    r->too_long = 0;
    return rc;
}

static void
remove_store(const char *path)
{
    char side[4200];
    (void)unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    (void)unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    (void)unlink(side);
}

int
replay_run(const struct dg_config *cfg, const struct replay_opts *opts,
           FILE *out, struct engine_stats *stats)
{
    int status = 1;
    FILE *in = NULL;
    struct store *st = NULL;
    struct engine *eng = NULL;
    char tmp[4096] = "";
    char *line = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    size_t batch = opts->batch ? opts->batch : 1000;

    in = strcmp(opts->input, "-") == 0 ? stdin : fopen(opts->input, "rb");
    if (!in) {
        fprintf(stderr, "%s: cannot be read: %s\n", opts->input,
                strerror(errno));
        goto out;
    }
    const char *path = opts->store_path;
    if (!path) {
        const char *dir = getenv("TMPDIR");
        snprintf(tmp, sizeof(tmp), "%s/drgate-replay-XXXXXX",
                 dir && *dir ? dir : "/tmp");
        int fd = mkstemp(tmp);
        if (fd < 0) {
            fprintf(stderr, "%s: cannot create a temporary store: %s\n", tmp,
                    strerror(errno));
            tmp[0] = '\0';
            goto out;
        }
        close(fd);
        path = tmp;
    }
    if (store_open(path, opts->store_path ? STORE_SYNC_FULL : STORE_SYNC_OFF,
                   &st, &err) != DG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    struct emit_ctx ec = {out};
    struct dg_buf errors;
    dg_buf_init(&errors, 64 * 1024);
    if (engine_new(cfg, st, emit_line, &ec, &eng, &errors) != DG_OK) {
        fputs(dg_buf_str(&errors), stderr);
        dg_buf_cleanup(&errors);
        goto out;
    }
    dg_buf_cleanup(&errors);

    /* Bounded line reader over fread chunks. */
    struct reader r = {.eng = eng, .st = st, .batch = batch, .err = &err};
    r.cap = DG_JSON_MAX_MESSAGE + 2;
    line = dg_malloc(r.cap);
    r.line = line;
    if (store_begin(st, &err) != DG_OK)
        goto fail;
    char chunk[64 * 1024];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
        const char *p = chunk, *end = chunk + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t take = (size_t)((nl ? nl : end) - p);
            size_t room = r.cap - 1 - r.len;
            if (take > room) {
                r.too_long = 1;
                memcpy(r.line + r.len, p, room);
                r.len += room;
            } else {
                memcpy(r.line + r.len, p, take);
                r.len += take;
            }
            p += take;
            if (nl) {
                if (reader_line(&r) != DG_OK)
                    goto fail;
                p = nl + 1;
            }
        }
    }
    if ((r.len > 0 || r.too_long) && reader_line(&r) != DG_OK)
        goto fail;
    if (ferror(in)) {
        fprintf(stderr, "%s: read error\n", opts->input);
        goto out;
    }
    if (engine_checkpoint(eng, &err) != DG_OK ||
        store_commit(st, &err) != DG_OK)
        goto fail;
    if (fflush(out) != 0) {
        fprintf(stderr, "replay: cannot write the output\n");
        goto out;
    }
    if (stats)
        *stats = *engine_stats(eng);
    status = 0;
    goto out;
fail:
    fprintf(stderr, "replay: %s\n", err.msg);
    if (st)
        store_rollback(st);
out:
    dg_free(line);
    engine_free(eng);
    store_close(st);
    if (tmp[0])
        remove_store(tmp);
    if (in && in != stdin)
        fclose(in);
    return status;
}
