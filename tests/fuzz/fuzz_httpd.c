/*
 * fuzz_httpd.c - libFuzzer target for what parses request data in the
 * HTTP endpoint: httpd_parse_target (path router, plan id validator, query
 * parser) on any bytes, and metrics label values from any bytes through
 * the exposition (every rendered line must stay a comment or a sample:
 * label escaping may never let a value break a line).
 *
 * Input: first byte even -> the rest is a request-target; odd -> the rest
 * is a label value.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "httpd.h"
#include "mem.h"
#include "metrics.h"
#include "store_views.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
target(const char *s)
{
    struct httpd_target t;
    int st = httpd_parse_target(s, &t);
    if (st != 200 && st != 400 && st != 404)
        __builtin_trap();
    if (st != 200) {
        if (t.route != HTTPD_ROUTE_NONE || !t.error)
            __builtin_trap();
        return;
    }
    if (t.route == HTTPD_ROUTE_NONE || t.error)
        __builtin_trap();
    if (t.limit < 1 || t.limit > STORE_VIEWS_MAX_LIMIT)
        __builtin_trap();
    if (t.route == HTTPD_ROUTE_PLAN) {
        size_t n = strlen(t.plan_id);
        if (!httpd_plan_id_ok(t.plan_id, n) ||
            strncmp(s, "/v1/plans/", 10) != 0 ||
            strncmp(s + 10, t.plan_id, n) != 0)
            __builtin_trap();
    }
    for (const char *p = t.state; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
            __builtin_trap();
}

static void
label(const char *v)
{
    struct metrics *m = metrics_new();
    struct dg_buf b;
    dg_buf_init(&b, 1 << 20);
    if (metrics_inc(m, MET_MESSAGES_REJECTED, ML(v, "x")) != DG_OK ||
        metrics_render(m, &b) != DG_OK)
        __builtin_trap();
    for (const char *line = b.data; line && *line;) {
        if (strncmp(line, "# ", 2) != 0 && strncmp(line, "drgate_", 7) != 0)
            __builtin_trap();
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (metrics_value(m, MET_MESSAGES_REJECTED, ML(v, "x")) != 1 &&
        metrics_value(m, MET_MESSAGES_REJECTED, ML("other", "other")) != 1)
        __builtin_trap();
    dg_buf_cleanup(&b);
    metrics_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        dg_mem_init();
        init = 1;
    }
    if (size == 0 || size > 64 * 1024)
        return 0;
    char *s = dg_strndup((const char *)data + 1, size - 1);
    if (data[0] % 2 == 0)
        target(s);
    else
        label(s);
    dg_free(s);
    return 0;
}
