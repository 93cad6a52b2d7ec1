#ifndef DRGATE_SHLEX_H
#define DRGATE_SHLEX_H
/*
 * shlex: Python's shlex.split (POSIX mode, no comments), the splitter
 * botocore uses for credential_process (compat_shell_split) and for
 * "[profile NAME]" / "[sso-session NAME]" section names. Pure.
 */
#include <stddef.h>

#include "err.h"

/* Splits s: white space (space, tab, CR, LF) separates, '...' is literal,
 * "..." honours \\ and \" (and keeps other backslashes), a bare backslash
 * escapes the next character. On DG_OK *words is a NULL-terminated vector
 * of *n <= max_words strings (*n may be 0): free it with shlex_free.
 * DG_EINVALID, err->code "shlex", err->msg the reason alone ("an unclosed
 * quote", "a trailing backslash", "too many words"); *words is NULL. */
dg_rc shlex_split(const char *s, size_t max_words, char ***words, size_t *n,
                  struct dg_err *err);
void shlex_free(char **words); /* accepts NULL */

#endif
