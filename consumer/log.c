/*
 * log.c - one JSON object per line on stderr. Keys and values are escaped
 * through cJSON so any byte sequence yields valid JSON.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "timefmt.h"

static enum dg_log_level log_level = DG_LOG_INFO;

int
log_level_parse(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

void
log_set_level(enum dg_log_level lvl)
{
    log_level = lvl;
}

void
log_kv(enum dg_log_level lvl, const char *msg, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (lvl < log_level)
        return;
    char when[DG_TIME_STR_LEN];
    timefmt_format(dg_clock_wall_ms(), when);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddStringToObject(o, "level", names[lvl]);
    cJSON_AddStringToObject(o, "msg", msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        cJSON_AddStringToObject(o, k, v ? v : "");
    }
    va_end(ap);
    char *s = cJSON_PrintUnformatted(o);
    if (s) {
        fprintf(stderr, "%s\n", s);
        cJSON_free(s);
    }
    cJSON_Delete(o);
}
