#ifndef DRGATE_TIMEFMT_H
#define DRGATE_TIMEFMT_H
/*
 * Timestamps as int64 milliseconds since the Unix epoch (UTC). Pure.
 */
#include <stdint.h>

#define DG_TIME_STR_LEN 32 /* "2026-01-01T00:00:00.000Z" + NUL, with slack */

/* Parses ISO 8601 / RFC 3339 as AWS writes it: "YYYY-MM-DDTHH:MM:SS" with
 * optional fraction (any digits, kept to ms) and a zone "Z", "+hhmm" or
 * "+hh:mm". Returns 0 and sets *ms, or -1 for anything else (including
 * out-of-range fields and years outside 1970..9999). */
int timefmt_parse(const char *s, int64_t *ms);
/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void timefmt_format(int64_t ms, char out[DG_TIME_STR_LEN]);

#endif
