/*
 * err.c - result codes and error buffers. See err.h.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
dg_err_clear(struct dg_err *e)
{
    if (e)
        memset(e, 0, sizeof(*e));
}

static void
vset(struct dg_err *e, dg_rc rc, const char *fmt, va_list ap)
{
    e->rc = rc;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

dg_rc
dg_err_set(struct dg_err *e, dg_rc rc, const char *fmt, ...)
{
    if (!e)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    vset(e, rc, fmt, ap);
    va_end(ap);
    return rc;
}

dg_rc
dg_err_setc(struct dg_err *e, dg_rc rc, const char *code, const char *fmt, ...)
{
    if (!e)
        return rc;
    snprintf(e->code, sizeof(e->code), "%s", code ? code : "");
    va_list ap;
    va_start(ap, fmt);
    vset(e, rc, fmt, ap);
    va_end(ap);
    return rc;
}

const char *
dg_rc_name(dg_rc rc)
{
    switch (rc) {
    case DG_OK:
        return "ok";
    case DG_ETRANSIENT:
        return "transient";
    case DG_EINVALID:
        return "invalid";
    case DG_EREMOTE:
        return "remote";
    case DG_ECANCELLED:
        return "cancelled";
    case DG_EFATAL:
        return "fatal";
    }
    return "unknown";
}
