/*
 * shlex.c - Python's shlex.split in POSIX mode (whitespace_split, no
 * comments): the state machine of shlex.read_token, reduced to the
 * states a POSIX split reaches.
 *
 * Ownership: the vector and its strings belong to the caller (shlex_free).
 * Errors: DG_EINVALID with code "shlex" and the reason as the message, so
 * callers can say what did not split in their own words.
 *
 * DESIGN: state ' ' is between words, 'a' inside an unquoted word, '\'' and
 * '"' inside quotes, '\\' after a backslash (esc_state is where to go
 * back). A word may be empty ('' or ""), so in_tok, not the buffer's
 * length, says whether one is pending. A word is never longer than the
 * input, which bounds the buffer.
 */
#include "shlex.h"

#include <string.h>

#include "buf.h"
#include "mem.h"

void
shlex_free(char **words)
{
    if (!words)
        return;
    for (char **w = words; *w; w++)
        dg_free(*w);
    dg_free(words);
}

dg_rc
shlex_split(const char *s, size_t max_words, char ***words, size_t *n,
            struct dg_err *err)
{
    char **v = dg_calloc(max_words + 1, sizeof(*v));
    size_t nw = 0;
    struct dg_buf tok;
    dg_buf_init(&tok, strlen(s) + 1);
    int in_tok = 0;
    char state = ' ', esc_state = 'a';
    const char *bad = NULL;
    *words = NULL;
    *n = 0;
    for (const char *p = s;; p++) {
        char c = *p;
        int ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
        if (c == '\0') {
            if (state == '\'' || state == '"') {
                bad = "an unclosed quote";
                break;
            }
            if (state == '\\') {
                bad = "a trailing backslash";
                break;
            }
            ws = 1; /* flush the last word */
        }
        if (state == ' ' || state == 'a') {
            if (ws) {
                if (in_tok) {
                    if (nw == max_words) {
                        bad = "too many words";
                        break;
                    }
                    v[nw++] = dg_strdup(dg_buf_str(&tok));
                    dg_buf_reset(&tok);
                    in_tok = 0;
                }
                state = ' ';
                if (c == '\0')
                    break;
            } else if (c == '\\') {
                esc_state = 'a';
                state = '\\';
                in_tok = 1;
            } else if (c == '\'' || c == '"') {
                state = c;
                in_tok = 1;
            } else {
                (void)dg_buf_addc(&tok, c);
                state = 'a';
                in_tok = 1;
            }
        } else if (state == '\'' || state == '"') {
            if (c == state) {
                state = 'a';
            } else if (state == '"' && c == '\\') {
                esc_state = '"';
                state = '\\';
            } else {
                (void)dg_buf_addc(&tok, c);
            }
        } else { /* after a backslash */
            if (esc_state == '"' && c != '\\' && c != '"')
                (void)dg_buf_addc(&tok, '\\');
            (void)dg_buf_addc(&tok, c);
            state = esc_state;
        }
    }
    dg_buf_cleanup(&tok);
    if (bad) {
        shlex_free(v);
        return dg_err_setc(err, DG_EINVALID, "shlex", "%s", bad);
    }
    *words = v;
    *n = nw;
    return DG_OK;
}
