/*
 * test_credproc.c - credential_process: shlex splitting and JSON parsing
 * (table tests), the runner against real shell scripts in a temp dir (ok,
 * non-zero exit, timeout with the child reaped, oversized output, missing
 * program, cancel), and the chain with a credential_process profile: the
 * source, precedence against static keys, non-expiring answers cached,
 * expiring ones refreshed by re-running the command, and errors that never
 * carry the secret the command printed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "creds.h"
#include "creds_chain.h"
#include "credproc.h"
#include "mem.h"
#include "profile.h"
#include "testsupport.h"

#define SECRET "sEcReT/do-not-leak-0123456789"

/* ---- splitting ------------------------------------------------------------
 */

struct split_case {
    const char *in;
    int ok;
    const char *words[5];
};

static const struct split_case split_cases[] = {
    {"/bin/echo", 1, {"/bin/echo"}},
    {"  a  b\tc\n", 1, {"a", "b", "c"}},
    {"a 'b c' d", 1, {"a", "b c", "d"}},
    {"a \"b \\\" \\\\ \\x\"", 1, {"a", "b \" \\ \\x"}},
    {"a\\ b c", 1, {"a b", "c"}},
    {"x'y'\"z\"", 1, {"xyz"}},
    {"a '' b", 1, {"a", "", "b"}},
    {"'it''s'", 1, {"its"}},
    {"a 'b", 0, {0}},
    {"a \"b", 0, {0}},
    {"a\\", 0, {0}},
    {"", 0, {0}},
    {"   ", 0, {0}},
};

START_TEST(test_split)
{
    const struct split_case *c = &split_cases[_i];
    char **v = NULL;
    size_t n = 99;
    struct dg_err e;
    dg_err_clear(&e);
    dg_rc rc = credproc_split(c->in, &v, &n, &e);
    if (!c->ok) {
        ck_assert_int_eq(rc, DG_EINVALID);
        ck_assert_str_eq(e.code, "bad_command");
        ck_assert_ptr_null(v);
        return;
    }
    ck_assert_msg(rc == DG_OK, "%s: %s", c->in, e.msg);
    size_t want = 0;
    while (want < 5 && c->words[want])
        want++;
    ck_assert_uint_eq(n, want);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(v[i], c->words[i]);
    ck_assert_ptr_null(v[n]);
    credproc_argv_free(v);
}
END_TEST

START_TEST(test_program_name)
{
    char b[64];
    credproc_program_name("/usr/local/bin/get-creds --token " SECRET, b,
                          sizeof(b));
    ck_assert_str_eq(b, "get-creds");
    credproc_program_name("helper", b, sizeof(b));
    ck_assert_str_eq(b, "helper");
    credproc_program_name("'unclosed", b, sizeof(b));
    ck_assert_str_eq(b, "?");
}
END_TEST

/* ---- parsing --------------------------------------------------------------
 */

struct parse_case {
    const char *json;
    int ok;
    int64_t expires; /* when ok */
    const char *in_msg;
};

static const struct parse_case parse_cases[] = {
    {"{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
     "\"" SECRET "\", \"SessionToken\": \"tok\", \"Expiration\": "
     "\"2030-01-01T00:00:00Z\"}",
     1, 1893456000000LL, NULL},
    {"{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
     "\"" SECRET "\"}",
     1, 0, NULL},
    {"{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": "
     "\"" SECRET "\"}",
     0, 0, "Version"},
    {"{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" SECRET "\"}", 0, 0,
     "Version"},
    {"{\"Version\": \"1\", \"AccessKeyId\": \"A\", \"SecretAccessKey\": "
     "\"" SECRET "\"}",
     0, 0, "Version"},
    {"{\"Version\": 1, \"SecretAccessKey\": \"" SECRET "\"}", 0, 0,
     "AccessKeyId"},
    {"{\"Version\": 1, \"AccessKeyId\": \"A\"}", 0, 0, "SecretAccessKey"},
    {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": "
     "\"" SECRET "\", \"Expiration\": \"tomorrow " SECRET "\"}",
     0, 0, "Expiration"},
    {"AccessKeyId=A SecretAccessKey=" SECRET, 0, 0, "JSON"},
    {"[1, \"" SECRET "\"]", 0, 0, "JSON"},
    {"", 0, 0, "JSON"},
};

START_TEST(test_parse)
{
    const struct parse_case *c = &parse_cases[_i];
    struct aws_creds *cr = NULL;
    struct dg_err e;
    dg_err_clear(&e);
    dg_rc rc = credproc_parse(c->json, strlen(c->json), "process", &cr, &e);
    if (c->ok) {
        ck_assert_msg(rc == DG_OK, "%s", e.msg);
        ck_assert_str_eq(cr->access_key_id, "AKIDPROC");
        ck_assert_str_eq(cr->secret_access_key, SECRET);
        ck_assert_str_eq(cr->source, "process");
        ck_assert_int_eq(cr->expires_ms, c->expires);
        aws_creds_unref(cr);
        return;
    }
    ck_assert_int_eq(rc, DG_EINVALID);
    ck_assert_ptr_null(cr);
    ck_assert_str_eq(e.code, "bad_credentials");
    ck_assert_msg(strstr(e.msg, c->in_msg), "%s", e.msg);
    ck_assert_ptr_null(strstr(e.msg, SECRET));
    ck_assert_ptr_null(strstr(e.msg, "do-not-leak"));
}
END_TEST

/* ---- scripts ----------------------------------------------------------- */

static char tmpdir[64];

static void
tmp_setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/credproc-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
tmp_teardown(void)
{
    char *cmd = dg_sprintf("rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0); /* NOLINT(cert-env33-c) */
    dg_free(cmd);
}

/* Writes an executable script; returns its path (dg_free). */
static char *
script(const char *name, const char *body)
{
    char *path = dg_sprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s", body);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0755), 0);
    return path;
}

static long
read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    if (fscanf(f, "%ld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

struct ran {
    int calls;
    dg_rc rc;
    char out[256];
    struct dg_err err;
};

static void
ran_cb(const char *out, size_t len, dg_rc rc, const struct dg_err *err,
       void *ctx)
{
    struct ran *r = ctx;
    r->calls++;
    r->rc = rc;
    if (out)
        snprintf(r->out, sizeof(r->out), "%.*s", (int)len, out);
    if (err)
        r->err = *err;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* 1 when pid is gone entirely: not running and not a zombie. */
static int
pid_gone(long pid)
{
    return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

START_TEST(test_run_ok)
{
    struct event_base *b = event_base_new();
    char *s = script("ok.sh", "cat <<EOF\n{\"Version\": 1, \"AccessKeyId\": "
                              "\"AKID\", \"SecretAccessKey\": \"x\"}\nEOF\n"
                              "echo noise >&2\n");
    struct ran r = {0};
    struct credproc *p = credproc_start(b, s, 0, ran_cb, &r);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(r.calls, 0); /* never synchronous */
    ts_run_until(b, &r.calls, 1);
    ck_assert_msg(r.rc == DG_OK, "%s", r.err.msg);
    ck_assert_ptr_nonnull(strstr(r.out, "\"AKID\""));
    ck_assert_ptr_null(strstr(r.out, "noise")); /* stderr is not stdout */

    /* arguments pass through without a shell; stdin is /dev/null */
    char *s2 = script("args.sh", "printf '%s|' \"$@\"; cat; echo end\n");
    char *cmd = dg_sprintf("%s 'a b' \"c'd\" $HOME", s2);
    memset(&r, 0, sizeof(r));
    credproc_start(b, cmd, 0, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_int_eq(r.rc, DG_OK);
    ck_assert_str_eq(r.out, "a b|c'd|$HOME|end\n");
    dg_free(cmd);
    dg_free(s2);
    dg_free(s);
    event_base_free(b);
}
END_TEST

START_TEST(test_run_fd_hygiene)
{
    /* descriptors above 2 are closed in the child */
    struct event_base *b = event_base_new();
    char *s = script("fds.sh", "ls /proc/self/fd | wc -l\n");
    struct ran r = {0};
    credproc_start(b, s, 0, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_int_eq(r.rc, DG_OK);
    /* 0, 1, 2 and the one ls holds open on /proc/self/fd */
    ck_assert_int_le(atoi(r.out), 4);
    dg_free(s);
    event_base_free(b);
}
END_TEST

START_TEST(test_run_exit_status)
{
    struct event_base *b = event_base_new();
    char *s = script("fail.sh", "echo '{\"SecretAccessKey\": \"" SECRET
                                "\"}'\necho 'stderr " SECRET "' >&2\nexit 3\n");
    char *cmd = dg_sprintf("%s --token " SECRET, s);
    struct ran r = {0};
    credproc_start(b, cmd, 0, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_int_eq(r.rc, DG_EINVALID);
    ck_assert_str_eq(r.err.code, "exit");
    ck_assert_ptr_nonnull(strstr(r.err.msg, "fail.sh"));
    ck_assert_ptr_nonnull(strstr(r.err.msg, "status 3"));
    ck_assert_ptr_null(strstr(r.err.msg, SECRET));
    ck_assert_ptr_null(strstr(r.err.msg, "do-not-leak"));
    ck_assert_str_eq(r.out, "");

    /* killed by a signal */
    char *s2 = script("sig.sh", "kill -TERM $$\n");
    memset(&r, 0, sizeof(r));
    credproc_start(b, s2, 0, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_str_eq(r.err.code, "exit");
    ck_assert_ptr_nonnull(strstr(r.err.msg, "signal 15"));
    dg_free(s2);
    dg_free(cmd);
    dg_free(s);
    event_base_free(b);
}
END_TEST

START_TEST(test_run_timeout_reaped)
{
    struct event_base *b = event_base_new();
    char *pidf = dg_sprintf("%s/pid", tmpdir);
    char *kidf = dg_sprintf("%s/kid", tmpdir);
    char *body = dg_sprintf("echo $$ > %s\nsleep 30 &\necho $! > %s\n"
                            "echo '{\"partial\": \"" SECRET "\"'\nwait\n",
                            pidf, kidf);
    char *s = script("slow.sh", body);
    struct ran r = {0};
    credproc_start(b, s, 300, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_int_eq(r.rc, DG_ETRANSIENT);
    ck_assert_str_eq(r.err.code, "timeout");
    ck_assert_ptr_nonnull(strstr(r.err.msg, "slow.sh"));
    ck_assert_ptr_null(strstr(r.err.msg, SECRET));
    long pid = read_long(pidf), kid = read_long(kidf);
    ck_assert_int_gt(pid, 1);
    ck_assert_int_gt(kid, 1);
    /* the child was reaped before the callback: no zombie */
    ck_assert_msg(pid_gone(pid), "child %ld still exists", pid);
    ck_assert_int_eq(waitpid((pid_t)pid, NULL, WNOHANG), -1);
    /* the helper it started was in its process group and got SIGKILL; it
     * is init's to reap, so only check it is no longer running */
    char stat[64];
    snprintf(stat, sizeof(stat), "/proc/%ld/stat", kid);
    int alive = 1;
    for (int i = 0; i < 200 && alive; i++) {
        FILE *f = fopen(stat, "r");
        char st = 'Z';
        if (f) {
            if (fscanf(f, "%*d %*s %c", &st) != 1)
                st = 'Z';
            fclose(f);
        }
        alive = f && st != 'Z' && st != 'X';
        if (alive)
            sleep_ms(10);
    }
    ck_assert_msg(!alive, "grandchild %ld survived the timeout", kid);
    dg_free(s);
    dg_free(body);
    dg_free(pidf);
    dg_free(kidf);
    event_base_free(b);
}
END_TEST

START_TEST(test_run_too_large)
{
    struct event_base *b = event_base_new();
    char *pidf = dg_sprintf("%s/pid", tmpdir);
    char *body = dg_sprintf("echo $$ > %s\nexec yes " SECRET "\n", pidf);
    char *s = script("big.sh", body);
    struct ran r = {0};
    credproc_start(b, s, 10000, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_int_eq(r.rc, DG_EINVALID);
    ck_assert_str_eq(r.err.code, "too_large");
    ck_assert_ptr_null(strstr(r.err.msg, SECRET));
    ck_assert_msg(pid_gone(read_long(pidf)), "child not reaped");
    dg_free(s);
    dg_free(body);
    dg_free(pidf);
    event_base_free(b);
}
END_TEST

START_TEST(test_run_bad_program)
{
    struct event_base *b = event_base_new();
    struct ran r = {0};
    credproc_start(b, "/nonexistent/get-creds --secret " SECRET, 0, ran_cb, &r);
    ck_assert_int_eq(r.calls, 0);
    ts_run_until(b, &r.calls, 1);
    ck_assert_int_eq(r.rc, DG_EINVALID);
    ck_assert_str_eq(r.err.code, "bad_command");
    ck_assert_ptr_nonnull(strstr(r.err.msg, "get-creds"));
    ck_assert_ptr_null(strstr(r.err.msg, SECRET));

    memset(&r, 0, sizeof(r));
    credproc_start(b, "drgate-no-such-program-xyz", 0, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_str_eq(r.err.code, "bad_command");

    memset(&r, 0, sizeof(r));
    credproc_start(b, "'unclosed " SECRET, 0, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_str_eq(r.err.code, "bad_command");
    ck_assert_ptr_null(strstr(r.err.msg, SECRET));

    /* not executable */
    char *s = script("noexec.sh", "exit 0\n");
    ck_assert_int_eq(chmod(s, 0644), 0);
    memset(&r, 0, sizeof(r));
    credproc_start(b, s, 0, ran_cb, &r);
    ts_run_until(b, &r.calls, 1);
    ck_assert_str_eq(r.err.code, "bad_command");
    dg_free(s);
    event_base_free(b);
}
END_TEST

START_TEST(test_run_cancel)
{
    struct event_base *b = event_base_new();
    char *pidf = dg_sprintf("%s/pid", tmpdir);
    char *body = dg_sprintf("echo $$ > %s\nexec sleep 30\n", pidf);
    char *s = script("cancel.sh", body);
    struct ran r = {0};
    struct credproc *p = credproc_start(b, s, 0, ran_cb, &r);
    for (int i = 0; i < 500 && read_long(pidf) <= 0; i++) {
        event_base_loop(b, EVLOOP_NONBLOCK);
        sleep_ms(5);
    }
    long pid = read_long(pidf);
    ck_assert_int_gt(pid, 1);
    credproc_cancel(p);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.rc, DG_ECANCELLED);
    ck_assert(pid_gone(pid));
    for (int i = 0; i < 20; i++)
        event_base_loop(b, EVLOOP_NONBLOCK);
    ck_assert_int_eq(r.calls, 1);
    dg_free(s);
    dg_free(body);
    dg_free(pidf);
    event_base_free(b);
}
END_TEST

/* ---- the chain ------------------------------------------------------------
 */

/* A credential_process that counts its runs in a file and prints keys
 * AKIDPROC<n>, with the given Expiration (NULL: none). */
static char *
counting_script(const char *expiration)
{
    char *body = dg_sprintf(
        "n=$(cat %s/count 2>/dev/null || echo 0); n=$((n+1)); "
        "echo $n > %s/count\n"
        "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC%%d\", "
        "\"SecretAccessKey\": \"%s\", \"SessionToken\": \"tok\"%s%s%s}' $n\n",
        tmpdir, tmpdir, SECRET, expiration ? ", \"Expiration\": \"" : "",
        expiration ? expiration : "", expiration ? "\"" : "");
    char *s = script("counting.sh", body);
    dg_free(body);
    return s;
}

static char *
write_config(const char *text)
{
    char *path = dg_sprintf("%s/config", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static struct aws_creds_provider *
chain_for(struct event_base *b, struct ts_env *env, const char *config)
{
    memset(env, 0, sizeof(*env));
    ts_env_set(env, "AWS_CONFIG_FILE", config);
    ts_env_set(env, "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    ts_env_set(env, "AWS_EC2_METADATA_DISABLED", "true");
    struct creds_chain_opts o = {
        .env = ts_env_get,
        .env_ctx = env,
        .process_timeout_ms = 5000,
    };
    return creds_chain_new(b, NULL, &o);
}

static const int64_t T0 = 1893456000000LL - 3600 * 1000; /* 2029-12-31 23h */

START_TEST(test_chain_process_static)
{
    struct event_base *b = event_base_new();
    char *s = counting_script(NULL);
    char *text = dg_sprintf("[default]\ncredential_process = %s\n", s);
    char *cfg = write_config(text);
    struct ts_env env;
    struct aws_creds_provider *p = chain_for(b, &env, cfg);
    struct ts_creds_got g = {0};
    ts_creds_get(p, b, T0, &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "process");
    ck_assert_str_eq(g.ak, "AKIDPROC1");
    ck_assert_int_eq(g.expires, 0);
    /* non-expiring: never re-run, even far in the future */
    ts_creds_get(p, b, T0 + 400LL * 24 * 3600 * 1000, &g);
    ck_assert_str_eq(g.ak, "AKIDPROC1");
    char *count = dg_sprintf("%s/count", tmpdir);
    ck_assert_int_eq(read_long(count), 1);
    aws_creds_provider_free(p);
    dg_free(count);
    dg_free(cfg);
    dg_free(text);
    dg_free(s);
    event_base_free(b);
}
END_TEST

START_TEST(test_chain_process_refresh)
{
    struct event_base *b = event_base_new();
    char *s = counting_script("2030-01-01T00:00:00Z");
    char *text = dg_sprintf("[profile proc]\ncredential_process = %s\n", s);
    char *cfg = write_config(text);
    struct ts_env env;
    struct aws_creds_provider *p = chain_for(b, &env, cfg);
    ts_env_set(&env, "AWS_PROFILE", "proc");
    char *count = dg_sprintf("%s/count", tmpdir);
    struct ts_creds_got g = {0};
    ts_creds_get(p, b, T0, &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.ak, "AKIDPROC1");
    ck_assert_int_eq(g.expires, 1893456000000LL);
    /* fresh: cached */
    ts_creds_get(p, b, T0 + 10 * 60 * 1000, &g);
    ck_assert_int_eq(read_long(count), 1);
    /* 5 min before expiry (mandatory window): the command runs again */
    ts_creds_get(p, b, 1893456000000LL - 5 * 60 * 1000, &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.ak, "AKIDPROC2");
    ck_assert_int_eq(read_long(count), 2);
    aws_creds_provider_free(p);
    dg_free(count);
    dg_free(cfg);
    dg_free(text);
    dg_free(s);
    event_base_free(b);
}
END_TEST

/* botocore's order within a profile: the credentials file's static keys
 * win over credential_process, which wins over the config file's keys. */
START_TEST(test_chain_process_precedence)
{
    struct event_base *b = event_base_new();
    char *s = counting_script(NULL);
    char *text = dg_sprintf("[default]\ncredential_process = %s\n"
                            "aws_access_key_id = AKIDCONFIG\n"
                            "aws_secret_access_key = config-secret\n",
                            s);
    char *cfg = write_config(text);
    struct ts_env env;
    struct aws_creds_provider *p = chain_for(b, &env, cfg);
    struct ts_creds_got g = {0};
    ts_creds_get(p, b, T0, &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.ak, "AKIDPROC1");
    aws_creds_provider_free(p);

    char *crp = dg_sprintf("%s/credentials", tmpdir);
    FILE *f = fopen(crp, "w");
    fputs("[default]\naws_access_key_id = AKIDCREDS\n"
          "aws_secret_access_key = creds-secret\n",
          f);
    fclose(f);
    p = chain_for(b, &env, cfg);
    ts_env_set(&env, "AWS_SHARED_CREDENTIALS_FILE", crp);
    memset(&g, 0, sizeof(g));
    ts_creds_get(p, b, T0, &g);
    ck_assert_str_eq(g.ak, "AKIDCREDS");
    ck_assert_str_eq(g.source, "profile");
    aws_creds_provider_free(p);
    dg_free(crp);
    dg_free(cfg);
    dg_free(text);
    dg_free(s);
    event_base_free(b);
}
END_TEST

START_TEST(test_chain_process_errors)
{
    static const char *const bodies[] = {
        /* bad JSON, Version 2, missing key, non-zero exit */
        "echo 'not json " SECRET "'\n",
        "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", "
        "\"SecretAccessKey\": \"" SECRET "\"}'\n",
        "echo '{\"Version\": 1, \"AccessKeyId\": \"" SECRET "\"}'\n",
        "echo '{\"Version\": 1, \"AccessKeyId\": \"A\", "
        "\"SecretAccessKey\": \"" SECRET "\"}'\necho " SECRET " >&2\nexit 7\n",
    };
    static const char *const want[] = {"not a JSON", "Version",
                                       "SecretAccessKey", "status 7"};
    for (size_t i = 0; i < 4; i++) {
        struct event_base *b = event_base_new();
        char name[32];
        snprintf(name, sizeof(name), "err%zu.sh", i);
        char *s = script(name, bodies[i]);
        char *text =
            dg_sprintf("[default]\ncredential_process = %s " SECRET "\n", s);
        char *cfg = write_config(text);
        struct ts_env env;
        struct aws_creds_provider *p = chain_for(b, &env, cfg);
        struct ts_creds_got g = {0};
        ts_creds_get(p, b, T0, &g);
        ck_assert_int_ne(g.rc, DG_OK);
        ck_assert_msg(strstr(g.err.msg, want[i]), "%s", g.err.msg);
        ck_assert_msg(strstr(g.err.msg, name), "%s", g.err.msg);
        ck_assert_msg(strstr(g.err.msg, "process"), "%s", g.err.msg);
        ck_assert_ptr_null(strstr(g.err.msg, SECRET));
        ck_assert_ptr_null(strstr(g.err.msg, "do-not-leak"));
        aws_creds_provider_free(p);
        dg_free(cfg);
        dg_free(text);
        dg_free(s);
        event_base_free(b);
    }
}
END_TEST

/* Freeing the chain while the command runs kills and reaps it. */
START_TEST(test_chain_free_during_process)
{
    struct event_base *b = event_base_new();
    char *pidf = dg_sprintf("%s/pid", tmpdir);
    char *body = dg_sprintf("echo $$ > %s\nexec sleep 30\n", pidf);
    char *s = script("hang.sh", body);
    char *text = dg_sprintf("[default]\ncredential_process = %s\n", s);
    char *cfg = write_config(text);
    struct ts_env env;
    struct aws_creds_provider *p = chain_for(b, &env, cfg);
    struct ts_creds_got g = {0};
    aws_creds_get(p, T0, ts_creds_got_cb, &g);
    for (int i = 0; i < 500 && read_long(pidf) <= 0; i++) {
        event_base_loop(b, EVLOOP_NONBLOCK);
        sleep_ms(5);
    }
    long pid = read_long(pidf);
    ck_assert_int_gt(pid, 1);
    aws_creds_provider_free(p);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.rc, DG_ECANCELLED);
    ck_assert(pid_gone(pid));
    dg_free(cfg);
    dg_free(text);
    dg_free(s);
    dg_free(body);
    dg_free(pidf);
    event_base_free(b);
}
END_TEST

/* ---- selection (pure) ------------------------------------------------------
 */

START_TEST(test_select_process_as_source_profile)
{
    struct profile_file *cfg =
        ts_profile("[profile ops]\n"
                   "role_arn = arn:aws:iam::111122223333:role/ops\n"
                   "source_profile = helper\n"
                   "credential_process = /opt/bin/helper --x\n"
                   "[profile helper]\n"
                   "credential_process = /opt/bin/helper --y\n",
                   PROFILE_CONFIG);
    struct creds_chain_plan plan;
    struct dg_err e;
    dg_err_clear(&e);
    /* role_arn wins over the same profile's credential_process */
    ck_assert_int_eq(
        creds_chain_select(ts_no_env, NULL, cfg, NULL, "ops", &plan, &e),
        DG_OK);
    ck_assert_str_eq(plan.source, "assume-role");
    ck_assert_int_eq(plan.p.base, PROFILE_BASE_PROCESS);
    ck_assert_str_eq(plan.p.process, "/opt/bin/helper --y");
    ck_assert_str_eq(plan.p.base_profile, "helper");
    ck_assert_uint_eq(plan.p.nroles, 1);
    profile_plan_cleanup(&plan.p);
    /* the helper profile itself */
    ck_assert_int_eq(
        creds_chain_select(ts_no_env, NULL, cfg, NULL, "helper", &plan, &e),
        DG_OK);
    ck_assert_str_eq(plan.source, "process");
    profile_plan_cleanup(&plan.p);
    profile_file_free(cfg);
}
END_TEST

static Suite *
credproc_suite(void)
{
    Suite *s = suite_create("credproc");
    TCase *tc = tcase_create("pure");
    tcase_add_loop_test(tc, test_split, 0,
                        sizeof(split_cases) / sizeof(split_cases[0]));
    tcase_add_test(tc, test_program_name);
    tcase_add_loop_test(tc, test_parse, 0,
                        sizeof(parse_cases) / sizeof(parse_cases[0]));
    tcase_add_test(tc, test_select_process_as_source_profile);
    suite_add_tcase(s, tc);
    tc = tcase_create("run");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_run_ok);
    tcase_add_test(tc, test_run_fd_hygiene);
    tcase_add_test(tc, test_run_exit_status);
    tcase_add_test(tc, test_run_timeout_reaped);
    tcase_add_test(tc, test_run_too_large);
    tcase_add_test(tc, test_run_bad_program);
    tcase_add_test(tc, test_run_cancel);
    suite_add_tcase(s, tc);
    tc = tcase_create("chain");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_chain_process_static);
    tcase_add_test(tc, test_chain_process_refresh);
    tcase_add_test(tc, test_chain_process_precedence);
    tcase_add_test(tc, test_chain_process_errors);
    tcase_add_test(tc, test_chain_free_during_process);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(credproc_suite());
}
