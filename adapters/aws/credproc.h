#ifndef DRGATE_CREDPROC_H
#define DRGATE_CREDPROC_H
/*
 * credential_process: runs a profile's external credentials command
 * asynchronously on the event loop and parses its JSON answer (the AWS
 * CLI's "sourcing credentials with an external process" contract). The
 * command's output holds secrets: nothing here ever copies it, or its
 * stderr, into an error message.
 */
#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "err.h"

struct event_base;

#define CREDPROC_MAX_OUTPUT (64u * 1024) /* stdout bytes kept */
#define CREDPROC_TIMEOUT_MS 30000        /* default run time limit */
#define CREDPROC_MAX_ARGS 256
#define CREDPROC_MAX_CMD 4096 /* bytes of the command line */

/* ---- pure parts, public for tests ---- */

/* Splits cmd as Python's shlex.split (POSIX mode, no comments) does, the
 * way botocore's compat_shell_split does on POSIX: white space separates,
 * '...' is literal, "..." honours \\ \" (and keeps other backslashes), a
 * bare backslash escapes the next character. On DG_OK *argv is a
 * NULL-terminated vector of *argc >= 1 strings: free it with
 * credproc_argv_free. DG_EINVALID, err->code "bad_command" for an empty
 * command, an unclosed quote, a trailing backslash or too many words. */
dg_rc credproc_split(const char *cmd, char ***argv, size_t *argc,
                     struct dg_err *err);
void credproc_argv_free(char **argv); /* accepts NULL */

/* Parses the command's stdout: {"Version": 1, "AccessKeyId",
 * "SecretAccessKey", "SessionToken"?, "Expiration"? (ISO 8601)}. No
 * Expiration: the credentials never expire. On DG_OK *out is a new
 * snapshot (refs 1) labelled source. DG_EINVALID with err->code
 * "bad_credentials" and a message naming the problem (not JSON, Version
 * not 1, missing key, bad Expiration), never a value; the caller adds
 * which command it was. */
dg_rc credproc_parse(const char *out, size_t len, const char *source,
                     struct aws_creds **creds, struct dg_err *err);

/* The program's base name (last '/'-separated part of argv[0]) of cmd,
 * copied into buf; "?" when cmd does not split. For messages: the rest of
 * the command line may carry secrets (tokens as arguments). */
void credproc_program_name(const char *cmd, char *buf, size_t len);

/* ---- running ---- */

struct credproc;

/* On DG_OK out/len is the command's stdout (owned by the callee; the
 * callback may read it, it is cleansed and freed after the callback
 * returns). Errors (err->code): "bad_command" (does not split, program
 * not found or not executable), "spawn" (fork/pipe failure), "exit"
 * (non-zero status or killed by a signal), "timeout", "too_large"
 * (stdout over CREDPROC_MAX_OUTPUT), "cancelled". */
typedef void (*credproc_fn)(const char *out, size_t len, dg_rc rc,
                            const struct dg_err *err, void *ctx);

/* Starts cmd: split (no shell), the program looked up in PATH, run with
 * stdin and stderr on /dev/null, stdout on a pipe, every other descriptor
 * closed, in its own process group, with drgate's environment. The whole
 * group is killed (SIGKILL) at timeout_ms (<= 0: CREDPROC_TIMEOUT_MS) and
 * when stdout passes CREDPROC_MAX_OUTPUT. cb runs exactly once, from the
 * loop, after the child has been reaped. The handle is valid until then. */
struct credproc *credproc_start(struct event_base *base, const char *cmd,
                                long timeout_ms, credproc_fn cb, void *ctx);

/* Kills the process group, reaps the child and calls cb with DG_ECANCELLED
 * before it returns. For shutdown. */
void credproc_cancel(struct credproc *p);

#endif
