#ifndef DRGATE_ERR_H
#define DRGATE_ERR_H
/*
 * Result codes and the caller-supplied error buffer (STYLE.md "Errors").
 * A function that fills a dg_err does not also log; the caller that decides
 * (retry, reject, stop) logs once.
 */
#include <stddef.h>

typedef enum dg_rc {
    DG_OK = 0,
    DG_ETRANSIENT, /* try again later: network, throttling, store busy */
    DG_EINVALID,   /* the input is wrong; retrying will not help */
    DG_EREMOTE,    /* a remote service refused (AWS error code in err) */
    DG_ECANCELLED, /* shut down or cancelled before completion */
    DG_EFATAL,     /* drgate itself cannot go on */
} dg_rc;

struct dg_err {
    dg_rc rc;
    long http_status; /* 0 when not an HTTP error */
    char code[64];    /* AWS error code or drgate reason code */
    char request_id[96];
    char msg[512];
};

/* Clears e (NULL allowed). */
void dg_err_clear(struct dg_err *e);
/* Fills e->rc and e->msg (NULL e allowed); returns rc for tail calls. */
dg_rc dg_err_set(struct dg_err *e, dg_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets e->code as well (reason codes such as "bad_signature"). */
dg_rc dg_err_setc(struct dg_err *e, dg_rc rc, const char *code, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
/* Static name: "ok", "transient", "invalid", "remote", "cancelled", "fatal". */
const char *dg_rc_name(dg_rc rc);

#endif
