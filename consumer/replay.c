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

    /* Bounded line reader. */
    size_t cap = DG_JSON_MAX_MESSAGE + 2, len = 0, lineno = 0, pending = 0;
    line = dg_malloc(cap);
    int c, too_long = 0;
    if (store_begin(st, &err) != DG_OK)
        goto fail;
    for (;;) {
        c = getc(in);
        if (c != EOF && c != '\n') {
            if (len < cap - 1)
                line[len++] = (char)c;
            else
                too_long = 1;
            continue;
        }
        if (len > 0 || too_long) {
            lineno++;
            char origin[48];
            snprintf(origin, sizeof(origin), "line %zu", lineno);
            /* An oversized line is passed on truncated past the limit so
             * the decoder refuses it as too_large. */
            dg_rc rc = engine_process(eng, line, too_long ? cap - 1 : len,
                                      "file", origin, 0, &err);
            if (rc != DG_OK)
                goto fail;
            if (++pending >= batch) {
                if (engine_checkpoint(eng, &err) != DG_OK ||
                    store_commit(st, &err) != DG_OK ||
                    store_begin(st, &err) != DG_OK)
                    goto fail;
                pending = 0;
            }
        }
        len = 0;
        too_long = 0;
        if (c == EOF)
            break;
    }
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
