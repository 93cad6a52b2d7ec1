/*
 * buf.c - bounded growable buffer. See buf.h.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

void
dg_buf_init(struct dg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void
dg_buf_cleanup(struct dg_buf *b)
{
    dg_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
dg_buf_reset(struct dg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

dg_rc
dg_buf_add(struct dg_buf *b, const void *p, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return DG_EINVALID;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        b->data = dg_realloc(b->data, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return DG_OK;
}

dg_rc
dg_buf_addstr(struct dg_buf *b, const char *s)
{
    return dg_buf_add(b, s, strlen(s));
}

dg_rc
dg_buf_addc(struct dg_buf *b, char c)
{
    return dg_buf_add(b, &c, 1);
}

dg_rc
dg_buf_printf(struct dg_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return DG_EINVALID;
    if ((size_t)n < sizeof(small))
        return dg_buf_add(b, small, (size_t)n);
    char *big = dg_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    dg_rc rc = dg_buf_add(b, big, (size_t)n);
    dg_free(big);
    return rc;
}

char *
dg_buf_detach(struct dg_buf *b)
{
    char *s = b->data ? b->data : dg_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

const char *
dg_buf_str(const struct dg_buf *b)
{
    return b->data ? b->data : "";
}
