#ifndef DRGATE_BUF_H
#define DRGATE_BUF_H
/*
 * Growable byte buffer with a mandatory maximum (curl's dynbuf). The data
 * is always NUL-terminated. Appending past the maximum fails with
 * DG_EINVALID and leaves the buffer unchanged.
 */
#include <stddef.h>

#include "err.h"

struct dg_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;
};

/* Cannot fail. */
void dg_buf_init(struct dg_buf *b, size_t max);
void dg_buf_cleanup(struct dg_buf *b);
/* Keeps the allocation, sets len to 0. */
void dg_buf_reset(struct dg_buf *b);
dg_rc dg_buf_add(struct dg_buf *b, const void *p, size_t n);
dg_rc dg_buf_addstr(struct dg_buf *b, const char *s);
dg_rc dg_buf_addc(struct dg_buf *b, char c);
dg_rc dg_buf_printf(struct dg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns the contents ("" when empty) as a string the caller frees; the
 * buffer is left empty. */
char *dg_buf_detach(struct dg_buf *b);
/* Never NULL: "" when empty. */
const char *dg_buf_str(const struct dg_buf *b);

#endif
