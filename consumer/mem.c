/*
 * mem.c - allocation wrappers that abort on exhaustion.
 *
 * drgate treats an allocation failure as fatal (Redis zmalloc): a DR daemon
 * that limps on without memory is worse than one that restarts and resumes
 * from its store. Sizes from outside are bounded before allocation.
 */
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static void
oom(size_t n)
{
    fprintf(stderr,
            "{\"level\":\"fatal\",\"msg\":\"out of memory\","
            "\"bytes\":%zu}\n",
            n);
    abort();
}

void *
dg_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *
dg_calloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        oom(count * n);
    return p;
}

void *
dg_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *
dg_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = dg_malloc(n);
    memcpy(d, s, n);
    return d;
}

char *
dg_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = dg_malloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void
dg_free(void *p)
{
    free(p);
}

char *
dg_sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom(0);
    char *s = dg_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void
dg_mem_init(void)
{
    cJSON_Hooks hooks = {.malloc_fn = dg_malloc, .free_fn = dg_free};
    cJSON_InitHooks(&hooks);
}
