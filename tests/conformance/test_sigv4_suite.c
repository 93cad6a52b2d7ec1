/*
 * test_sigv4_suite.c - the official AWS SigV4 test suite (aws-c-auth's
 * tests/aws-signing-test-suite/v4), read at test time from
 * DRGATE_SIGV4_SUITE. Every case's request.txt is parsed by a strict
 * parser below, signed with sigv4_sign(), and the canonical request, string
 * to sign, signature and Authorization line are compared byte for byte with
 * the header-*.txt files. The query-*.txt (presigned URL) files are not
 * used: drgate does not implement presigning.
 *
 * Missing suite: with CI=true the binary fails; otherwise it says where the
 * suite comes from and exits 77 (ctest SKIP_RETURN_CODE).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "json.h"
#include "mem.h"
#include "sigv4.h"
#include "testsupport.h"
#include "timefmt.h"

/* The suite has 38 case folders; none is excluded. */
#define SUITE_EXPECTED_CASES 38
#define SUITE_MAX_CASES 256

static char *case_names[SUITE_MAX_CASES];
static int n_cases;

/* A request.txt parsed in place: every pointer is into buf. */
struct req_txt {
    char *buf;
    char *method;
    char *path;
    char *query;
    struct sigv4_header headers[SIGV4_MAX_HEADERS];
    size_t n_headers;
    char *body;
    size_t body_len;
};

/*
 * Strict parser: "METHOD SP target SP HTTP/1.1" then "Name:value" lines;
 * a line starting with SP or HT continues the previous value (kept with
 * its '\n', as the suite's multiline case needs); an empty line starts the
 * body, which is the rest of the file. Lines end with "\n" only. Returns 0
 * or -1 with why set.
 */
static int
req_txt_parse(struct req_txt *r, const char *text, size_t len, const char **why)
{
    memset(r, 0, sizeof(*r));
    r->buf = dg_strndup(text, len);
    if (strlen(r->buf) != len || strchr(r->buf, '\r')) {
        *why = "NUL or CR in request";
        return -1;
    }
    char *line = r->buf;
    char *eol = strchr(line, '\n');
    if (eol)
        *eol = '\0';
    char *sp1 = strchr(line, ' ');
    char *sp2 = strrchr(line, ' ');
    if (!sp1 || sp1 == sp2 || strcmp(sp2 + 1, "HTTP/1.1") != 0 || sp1 == line ||
        sp1[1] != '/') {
        *why = "bad request line";
        return -1;
    }
    *sp1 = '\0';
    *sp2 = '\0';
    r->method = line;
    r->path = sp1 + 1;
    char *q = strchr(r->path, '?');
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    char *p = eol ? eol + 1 : r->buf + len;
    while (p < r->buf + len) {
        if (*p == '\n') {
            r->body = p + 1;
            r->body_len = (size_t)(r->buf + len - r->body);
            return 0;
        }
        if (*p == ' ' || *p == '\t') {
            *why = "continuation line without a header";
            return -1;
        }
        char *colon = strchr(p, ':');
        char *nl = strchr(p, '\n');
        if (!colon || (nl && colon > nl) || colon == p) {
            *why = "header line without a name and ':'";
            return -1;
        }
        if (r->n_headers == SIGV4_MAX_HEADERS) {
            *why = "too many headers";
            return -1;
        }
        *colon = '\0';
        struct sigv4_header *h = &r->headers[r->n_headers++];
        h->name = p;
        h->value = colon + 1;
        /* Extend over continuation lines. */
        while (nl && (nl[1] == ' ' || nl[1] == '\t'))
            nl = strchr(nl + 1, '\n');
        if (!nl) {
            p = r->buf + len;
            break;
        }
        *nl = '\0';
        p = nl + 1;
    }
    r->body = p;
    r->body_len = 0;
    return 0;
}

static void
req_txt_free(struct req_txt *r)
{
    dg_free(r->buf);
}

static char *
read_case_file(const char *name, const char *file, size_t *len)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/v4/%s/%s", DRGATE_SIGV4_SUITE,
                     name, file);
    ck_assert_int_lt(n, (int)sizeof(path));
    char *s = ts_read_file(path, len);
    ck_assert_msg(s != NULL, "%s: cannot read %s", name, file);
    return s;
}

/* The params of a case from context.json; strings point into ctx. */
static void
case_params(const char *name, const cJSON *ctx, struct sigv4_params *p,
            char date[SIGV4_AMZ_DATE_LEN + 1])
{
    const cJSON *cred = dg_json_obj(ctx, "credentials");
    ck_assert_msg(cred != NULL, "%s: no credentials", name);
    memset(p, 0, sizeof(*p));
    p->creds.access_key_id = dg_json_str(cred, "access_key_id");
    p->creds.secret_access_key = dg_json_str(cred, "secret_access_key");
    p->creds.session_token = dg_json_str(cred, "token");
    p->region = dg_json_str(ctx, "region");
    p->service = dg_json_str(ctx, "service");
    const char *ts = dg_json_str(ctx, "timestamp");
    int64_t ms = 0;
    ck_assert_msg(ts && timefmt_parse(ts, &ms) == 0, "%s: bad timestamp", name);
    ck_assert_int_eq(sigv4_format_date(ms, date, NULL), DG_OK);
    p->amz_date = date;
    p->flags = SIGV4_ENCODE_PATH;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx, "normalize")))
        p->flags |= SIGV4_NORMALIZE_PATH;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx, "sign_body")))
        p->flags |= SIGV4_SIGN_CONTENT_SHA256;
    if (cJSON_IsTrue(
            cJSON_GetObjectItemCaseSensitive(ctx, "omit_session_token")))
        p->flags |= SIGV4_OMIT_SESSION_TOKEN;
}

/* The value of the Authorization line in header-signed-request.txt. */
static const char *
signed_authorization(char *signed_req)
{
    char *a = strstr(signed_req, "\nAuthorization:");
    ck_assert(a != NULL);
    a += strlen("\nAuthorization:");
    char *nl = strchr(a, '\n');
    if (nl)
        *nl = '\0';
    return a;
}

START_TEST(test_sigv4_suite_case)
{
    const char *name = case_names[_i];
    size_t len = 0;
    char *req_text = read_case_file(name, "request.txt", &len);
    char *ctx_text = read_case_file(name, "context.json", NULL);
    char *want_creq =
        read_case_file(name, "header-canonical-request.txt", NULL);
    char *want_sts = read_case_file(name, "header-string-to-sign.txt", NULL);
    char *want_sig = read_case_file(name, "header-signature.txt", NULL);
    char *want_signed = read_case_file(name, "header-signed-request.txt", NULL);

    struct req_txt rt;
    const char *why = "";
    ck_assert_msg(req_txt_parse(&rt, req_text, len, &why) == 0, "%s: %s", name,
                  why);
    struct dg_err err;
    dg_err_clear(&err);
    cJSON *ctx = dg_json_parse(ctx_text, strlen(ctx_text), 65536, 8, &err);
    ck_assert_msg(ctx != NULL, "%s: context.json: %s", name, err.msg);

    struct sigv4_params p;
    char date[SIGV4_AMZ_DATE_LEN + 1];
    case_params(name, ctx, &p, date);
    struct sigv4_request req = {
        .method = rt.method,
        .path = rt.path,
        .query = rt.query,
        .headers = rt.headers,
        .n_headers = rt.n_headers,
        .body = rt.body,
        .body_len = rt.body_len,
    };
    struct sigv4_result res;
    sigv4_result_init(&res);
    dg_rc rc = sigv4_sign(&req, &p, &res, &err);
    ck_assert_msg(rc == DG_OK, "%s: sign: %s", name, err.msg);
    ck_assert_msg(strcmp(dg_buf_str(&res.creq), want_creq) == 0,
                  "%s: canonical request\n--- got\n%s\n--- want\n%s", name,
                  dg_buf_str(&res.creq), want_creq);
    ck_assert_msg(strcmp(dg_buf_str(&res.sts), want_sts) == 0,
                  "%s: string to sign\n--- got\n%s\n--- want\n%s", name,
                  dg_buf_str(&res.sts), want_sts);
    ck_assert_msg(strcmp(res.signature, want_sig) == 0,
                  "%s: signature %s, want %s", name, res.signature, want_sig);
    ck_assert_str_eq(dg_buf_str(&res.authorization),
                     signed_authorization(want_signed));

    /* The token is added whenever there is one, signed or not. */
    int token_added = 0;
    for (size_t i = 0; i < res.n_add; i++)
        token_added |= strcmp(res.add[i].name, "X-Amz-Security-Token") == 0;
    ck_assert_int_eq(token_added,
                     strstr(want_signed, "X-Amz-Security-Token:") != NULL);

    sigv4_result_cleanup(&res);
    cJSON_Delete(ctx);
    req_txt_free(&rt);
    free(req_text);
    free(ctx_text);
    free(want_creq);
    free(want_sts);
    free(want_sig);
    free(want_signed);
}

END_TEST

START_TEST(test_sigv4_suite_count)
{
    ck_assert_int_eq(n_cases, SUITE_EXPECTED_CASES);
}

END_TEST

/* Strictness of the request.txt parser itself. */
START_TEST(test_sigv4_suite_parser_rejects)
{
    static const char *const bad[] = {
        "GET / HTTP/1.0\n",
        "GET\n",
        "GET / HTTP/1.1\n value\n",
        "GET / HTTP/1.1\nNoColon\n",
        "GET / HTTP/1.1\r\nHost:x\r\n",
        "GET x HTTP/1.1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct req_txt rt;
        const char *why = NULL;
        ck_assert_msg(req_txt_parse(&rt, bad[i], strlen(bad[i]), &why) != 0,
                      "accepted: %s", bad[i]);
        req_txt_free(&rt);
    }
}

END_TEST

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads the sorted case list; -1 when the suite is missing. */
static int
load_cases(void)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/v4", DRGATE_SIGV4_SUITE);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s/request.txt", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (n_cases == SUITE_MAX_CASES)
            break;
        case_names[n_cases++] = dg_strdup(e->d_name);
    }
    closedir(d);
    qsort(case_names, (size_t)n_cases, sizeof(case_names[0]), cmp_names);
    return 0;
}

int
main(void)
{
    dg_mem_init();
    if (load_cases() != 0) {
        const char *ci = getenv("CI");
        fprintf(stderr,
                "sigv4 suite not found at %s/v4 (the AWS SigV4 test suite "
                "from awslabs/aws-c-auth tests/aws-signing-test-suite; set "
                "-DDRGATE_SIGV4_SUITE=<dir>)\n",
                DRGATE_SIGV4_SUITE);
        if (ci && strcmp(ci, "true") == 0) {
            fprintf(stderr, "CI=true: failing\n");
            return EXIT_FAILURE;
        }
        fprintf(stderr, "skipped\n");
        return 77;
    }
    Suite *s = suite_create("sigv4_suite");
    TCase *tc = tcase_create("header");
    tcase_add_test(tc, test_sigv4_suite_count);
    tcase_add_test(tc, test_sigv4_suite_parser_rejects);
    tcase_add_loop_test(tc, test_sigv4_suite_case, 0, n_cases);
    suite_add_tcase(s, tc);
    int rc = ts_run(s);
    printf("sigv4 suite: %d cases loaded (expected %d, none excluded)\n",
           n_cases, SUITE_EXPECTED_CASES);
    for (int i = 0; i < n_cases; i++)
        dg_free(case_names[i]);
    return rc;
}
