/*
 * credproc.c - credential_process: the command line split as shlex does
 * (shlex.c),
 * the child run on the event loop, its JSON answer parsed.
 *
 * Ownership: a running credproc owns the child (until reaped), the read
 * end of its stdout pipe, two events and the output buffer (cleansed on
 * free: it holds secrets). Errors reach the callback as dg_rc + dg_err;
 * messages name the program (argv[0]'s base name) and the exit status,
 * never the command's arguments, output or stderr.
 *
 * DESIGN: the program is looked up in PATH here (as execvp would), then
 * posix_spawn (vfork-like, safe next to librdkafka's threads)
 * with stdin and stderr on /dev/null, stdout on a non-blocking pipe and
 * every descriptor above 2 closed (glibc's addclosefrom_np; the pipe is
 * close-on-exec anyway), signal dispositions and mask reset, and a new
 * process group so a timeout kills the helpers the command started. stderr
 * is discarded, not captured: it is the command's own diagnostics, may
 * echo secrets, and would otherwise land in drgate's log (botocore puts it
 * in the exception; we tell the operator to run the command by hand). No
 * SIGCHLD handler: a libevent read event drains stdout; at EOF the child
 * is reaped with waitpid(WNOHANG) polled from a timer (5 ms, backing off to
 * 100 ms). The same timer enforces the deadline: at timeout (or when
 * stdout passes its bound) the group gets SIGKILL and polling goes on until
 * the child is reaped, so no zombie is left; a child that a SIGKILL cannot
 * end within 5 s (stuck in the kernel) is given up on and reported.
 * credproc_cancel (shutdown) kills and reaps with a blocking waitpid.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np */
#include "credproc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "clock.h"
#include "json.h"
#include "mem.h"
#include "shlex.h"
#include "timefmt.h"

extern char **environ;

#define REAP_GIVE_UP_MS 5000

/* ---- pure parts ---------------------------------------------------------- */

void
credproc_argv_free(char **argv)
{
    shlex_free(argv);
}

dg_rc
credproc_split(const char *cmd, char ***argv, size_t *argc, struct dg_err *err)
{
    *argv = NULL;
    *argc = 0;
    if (!cmd || strlen(cmd) > CREDPROC_MAX_CMD)
        return dg_err_setc(err, DG_EINVALID, "bad_command",
                           "credential_process is missing or longer than %u "
                           "bytes",
                           CREDPROC_MAX_CMD);
    char **v;
    size_t n;
    struct dg_err why;
    dg_err_clear(&why);
    if (shlex_split(cmd, CREDPROC_MAX_ARGS, &v, &n, &why) != DG_OK)
        return dg_err_setc(err, DG_EINVALID, "bad_command",
                           "credential_process does not split: %s", why.msg);
    if (n == 0) {
        shlex_free(v);
        return dg_err_setc(err, DG_EINVALID, "bad_command",
                           "credential_process does not split: no program");
    }
    *argv = v;
    *argc = n;
    return DG_OK;
}

void
credproc_program_name(const char *cmd, char *buf, size_t len)
{
    char **v;
    size_t n;
    struct dg_err e;
    dg_err_clear(&e);
    if (credproc_split(cmd, &v, &n, &e) != DG_OK) {
        snprintf(buf, len, "?");
        return;
    }
    const char *slash = strrchr(v[0], '/');
    snprintf(buf, len, "%.63s", slash && slash[1] ? slash + 1 : v[0]);
    credproc_argv_free(v);
}

static void
cleanse_str(cJSON *obj, const char *key)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(it) && it->valuestring)
        OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
}

dg_rc
credproc_parse(const char *out, size_t len, const char *source,
               struct aws_creds **creds, struct dg_err *err)
{
    *creds = NULL;
    struct dg_err jerr;
    dg_err_clear(&jerr);
    cJSON *doc = dg_json_parse(out, len, CREDPROC_MAX_OUTPUT, 8, &jerr);
    if (!doc || !cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return dg_err_setc(err, DG_EINVALID, "bad_credentials",
                           "output is not a JSON object (%s)",
                           doc ? "not an object" : jerr.code);
    }
    dg_rc rc = DG_OK;
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "Version");
    const cJSON *akj = cJSON_GetObjectItemCaseSensitive(doc, "AccessKeyId");
    const cJSON *skj = cJSON_GetObjectItemCaseSensitive(doc, "SecretAccessKey");
    const cJSON *tokj = cJSON_GetObjectItemCaseSensitive(doc, "SessionToken");
    const cJSON *expj = cJSON_GetObjectItemCaseSensitive(doc, "Expiration");
    int64_t exp_ms = 0;
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1.0) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "unsupported Version (%s), supported: 1",
                         !ver                  ? "missing"
                         : cJSON_IsNumber(ver) ? "not 1"
                                               : "not a number");
    } else if (!cJSON_IsString(akj) || !*akj->valuestring) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "output lacks the required key AccessKeyId");
    } else if (!cJSON_IsString(skj) || !*skj->valuestring) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "output lacks the required key SecretAccessKey");
    } else if (tokj && !cJSON_IsNull(tokj) && !cJSON_IsString(tokj)) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "SessionToken is not a string");
    } else if (expj && !cJSON_IsNull(expj) &&
               (!cJSON_IsString(expj) ||
                timefmt_parse(expj->valuestring, &exp_ms) != 0)) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "Expiration is not an ISO 8601 time");
    } else {
        const char *tok = cJSON_IsString(tokj) && *tokj->valuestring
                              ? tokj->valuestring
                              : NULL;
        *creds = aws_creds_new(akj->valuestring, skj->valuestring, tok, exp_ms,
                               source);
    }
    cleanse_str(doc, "SecretAccessKey");
    cleanse_str(doc, "SessionToken");
    cJSON_Delete(doc);
    return rc;
}

/* ---- running --------------------------------------------------------------
 */

struct credproc {
    struct event_base *base;
    credproc_fn cb;
    void *ctx;
    pid_t pid; /* 0 once reaped (or never started) */
    int fd;    /* stdout, -1 after EOF */
    struct event *rd, *timer;
    struct dg_buf out;
    int64_t deadline_ms, killed_ms;
    long timeout_ms;
    int killed, status;
    long poll_ms;
    dg_rc rc; /* decided before the reap: timeout, too_large, spawn... */
    struct dg_err err;
    char prog[64];
};

static void
close_out(struct credproc *p)
{
    if (p->rd) {
        event_free(p->rd);
        p->rd = NULL;
    }
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
}

static void
kill_group(struct credproc *p)
{
    if (p->pid > 0 && !p->killed) {
        (void)kill(-p->pid, SIGKILL);
        (void)kill(p->pid, SIGKILL); /* in case setpgid lost a race */
        p->killed = 1;
        p->killed_ms = dg_clock_mono_ms();
    }
}

/* 1 when the child has been reaped (status in p->status). */
static int
try_reap(struct credproc *p, int options)
{
    if (p->pid <= 0)
        return 1;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(p->pid, &st, options);
        if (r == p->pid) {
            p->status = st;
            p->pid = 0;
            return 1;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) { /* ECHILD: someone else reaped it (SIGCHLD ignored) */
            p->status = -1;
            p->pid = 0;
            return 1;
        }
        return 0;
    }
}

static void
credproc_free(struct credproc *p)
{
    close_out(p);
    if (p->timer)
        event_free(p->timer);
    if (p->out.data)
        OPENSSL_cleanse(p->out.data, p->out.cap);
    dg_buf_cleanup(&p->out);
    dg_free(p);
}

static void
finish(struct credproc *p)
{
    dg_rc rc = p->rc;
    if (rc == DG_OK) {
        if (p->status == -1)
            rc = dg_err_setc(&p->err, DG_ETRANSIENT, "exit",
                             "credential_process %s: its exit status was "
                             "lost (is SIGCHLD ignored?)",
                             p->prog);
        else if (WIFEXITED(p->status) && WEXITSTATUS(p->status) != 0)
            rc = dg_err_setc(&p->err, DG_EINVALID, "exit",
                             "credential_process %s exited with status %d "
                             "(its output and stderr are not shown: run it "
                             "by hand to see them)",
                             p->prog, WEXITSTATUS(p->status));
        else if (WIFSIGNALED(p->status))
            rc = dg_err_setc(&p->err, DG_EINVALID, "exit",
                             "credential_process %s was killed by signal %d",
                             p->prog, WTERMSIG(p->status));
    }
    if (rc == DG_OK)
        p->cb(dg_buf_str(&p->out), p->out.len, DG_OK, NULL, p->ctx);
    else
        p->cb(NULL, 0, rc, &p->err, p->ctx);
    credproc_free(p);
}

static void
fail_kill(struct credproc *p, dg_rc rc, const char *code, const char *what)
{
    if (p->rc == DG_OK)
        dg_err_setc(&p->err, rc, code, "credential_process %s %s", p->prog,
                    what);
    if (p->rc == DG_OK)
        p->rc = rc;
    close_out(p);
    kill_group(p);
    p->poll_ms = 5;
    dg_clock_arm(p->timer, p->poll_ms);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct credproc *p = arg;
    int64_t now = dg_clock_mono_ms();
    if (p->fd < 0 && try_reap(p, WNOHANG)) {
        finish(p);
        return;
    }
    if (!p->killed && now >= p->deadline_ms) {
        char msg[64];
        snprintf(msg, sizeof(msg), "timed out after %ld ms; killed",
                 p->timeout_ms);
        fail_kill(p, DG_ETRANSIENT, "timeout", msg);
        return;
    }
    if (p->killed && now - p->killed_ms > REAP_GIVE_UP_MS) {
        dg_err_setc(&p->err, p->rc, p->err.code,
                    "%s; the child did not die after SIGKILL", p->err.msg);
        p->pid = 0; /* given up on: not waited for again */
        finish(p);
        return;
    }
    /* poll the reap after EOF (backing off), else wait for the deadline */
    if (p->fd < 0) {
        long next = p->poll_ms;
        p->poll_ms = p->poll_ms * 2 > 100 ? 100 : p->poll_ms * 2;
        if (!p->killed && p->deadline_ms - now < next)
            next = (long)(p->deadline_ms - now);
        dg_clock_arm(p->timer, next > 0 ? next : 1);
    } else {
        dg_clock_arm(p->timer, (long)(p->deadline_ms - now));
    }
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct credproc *p = arg;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n > 0) {
            if (dg_buf_add(&p->out, chunk, (size_t)n) != DG_OK) {
                OPENSSL_cleanse(chunk, sizeof(chunk));
                fail_kill(p, DG_EINVALID, "too_large",
                          "wrote more than 64 KiB to stdout; killed");
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* EOF (or a read error, treated as EOF): reap soon */
        close_out(p);
        evtimer_del(p->timer);
        p->poll_ms = 5;
        on_timer(-1, 0, p);
        break;
    }
    OPENSSL_cleanse(chunk, sizeof(chunk));
}

static void
fail_deferred(struct credproc *p, dg_rc rc, int err_no)
{
    const char *why = err_no == ENOENT    ? "was not found"
                      : err_no == EACCES  ? "is not executable"
                      : err_no == ENOEXEC ? "is not an executable format"
                                          : NULL;
    if (rc != DG_OK && !p->err.code[0]) {
        if (why)
            dg_err_setc(&p->err, rc, "bad_command", "credential_process %s %s",
                        p->prog, why);
        else
            dg_err_setc(&p->err, rc, "spawn",
                        "credential_process %s could not be started: %s",
                        p->prog,
                        strerror(err_no)); /* NOLINT(concurrency-mt-unsafe) */
    }
    p->rc = rc;
    event_active(p->timer, EV_TIMEOUT, 0);
}

/* execvp's search, done in the parent so a missing or non-executable
 * program is reported as such (a vfork emulation, as under valgrind,
 * would only show exit status 127). 0 and *out (dg_free), or an errno. */
static int
find_program(const char *name, char **out)
{
    *out = NULL;
    struct stat st;
    if (strchr(name, '/')) {
        if (stat(name, &st) != 0)
            return ENOENT;
        if (!S_ISREG(st.st_mode) || access(name, X_OK) != 0)
            return EACCES;
        *out = dg_strdup(name);
        return 0;
    }
    const char *path = getenv("PATH"); /* NOLINT(concurrency-mt-unsafe) */
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int found_noexec = 0;
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char *cand = n ? dg_sprintf("%.*s/%s", (int)n, p, name)
                       : dg_sprintf("./%s", name);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(cand, X_OK) == 0) {
                *out = cand;
                return 0;
            }
            found_noexec = 1;
        }
        dg_free(cand);
        if (!end)
            break;
        p = end + 1;
    }
    return found_noexec ? EACCES : ENOENT;
}

struct credproc *
credproc_start(struct event_base *base, const char *cmd, long timeout_ms,
               credproc_fn cb, void *ctx)
{
    struct credproc *p = dg_calloc(1, sizeof(*p));
    p->base = base;
    p->cb = cb;
    p->ctx = ctx;
    p->fd = -1;
    p->timer = evtimer_new(base, on_timer, p);
    dg_buf_init(&p->out, CREDPROC_MAX_OUTPUT);
    dg_err_clear(&p->err);
    credproc_program_name(cmd, p->prog, sizeof(p->prog));
    if (timeout_ms <= 0)
        timeout_ms = CREDPROC_TIMEOUT_MS;
    p->timeout_ms = timeout_ms;
    p->deadline_ms = dg_clock_mono_ms() + timeout_ms;

    char **argv = NULL;
    size_t argc;
    if (credproc_split(cmd, &argv, &argc, &p->err) != DG_OK) {
        fail_deferred(p, DG_EINVALID, 0);
        return p;
    }
    char *prog = NULL;
    int ferr = find_program(argv[0], &prog);
    if (ferr != 0) {
        credproc_argv_free(argv);
        fail_deferred(p, DG_EINVALID, ferr);
        return p;
    }
    int pfd[2] = {-1, -1};
    if (pipe(pfd) != 0) {
        dg_free(prog);
        credproc_argv_free(argv);
        fail_deferred(p, DG_ETRANSIENT, errno);
        return p;
    }
    for (int i = 0; i < 2; i++)
        (void)fcntl(pfd[i], F_SETFD, FD_CLOEXEC);
    (void)fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int e = posix_spawn_file_actions_init(&fa);
    int e2 = posix_spawnattr_init(&at);
    if (e == 0)
        e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (e == 0)
        e = posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    if (e == 0)
        e = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (e == 0)
        e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    if (e == 0)
        e = e2;
    if (e == 0)
        e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                                              POSIX_SPAWN_SETSIGMASK |
                                              POSIX_SPAWN_SETSIGDEF);
    if (e == 0)
        e = posix_spawnattr_setpgroup(&at, 0);
    if (e == 0)
        e = posix_spawnattr_setsigmask(&at, &none);
    if (e == 0)
        e = posix_spawnattr_setsigdefault(&at, &all);
    pid_t pid = 0;
    if (e == 0)
        e = posix_spawn(&pid, prog, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    credproc_argv_free(argv);
    dg_free(prog);
    close(pfd[1]);
    if (e != 0) {
        close(pfd[0]);
        fail_deferred(p,
                      e == ENOENT || e == EACCES || e == ENOEXEC
                          ? DG_EINVALID
                          : DG_ETRANSIENT,
                      e);
        return p;
    }
    p->pid = pid;
    p->fd = pfd[0];
    p->rd = event_new(base, p->fd, EV_READ | EV_PERSIST, on_read, p);
    event_add(p->rd, NULL);
    dg_clock_arm(p->timer, timeout_ms);
    return p;
}

void
credproc_cancel(struct credproc *p)
{
    close_out(p);
    kill_group(p);
    (void)try_reap(p, 0);
    struct dg_err e;
    dg_err_clear(&e);
    dg_err_setc(&e, DG_ECANCELLED, "cancelled",
                "credential_process %s cancelled", p->prog);
    p->cb(NULL, 0, DG_ECANCELLED, &e, p->ctx);
    credproc_free(p);
}
