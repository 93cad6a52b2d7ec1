/*
 * sigv4_sign.c - signs JSON-lines requests with drgate's sigv4 for the
 * botocore cross-check (sigv4_botocore.py).
 *
 * Input, one object per line on stdin:
 *   {"method", "path", "query", "host", "headers": [[name, value], ...],
 *    "body", "service", "region", "time_ms", "access_key_id",
 *    "secret_access_key", "session_token" (string or null),
 *    "normalize" (bool), "encode" (bool)}
 * Output, one object per line on stdout:
 *   {"authorization", "amz_date", "token_header", "creq"} or {"error"}.
 * Exits 0 unless the input itself cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "mem.h"
#include "sigv4.h"

#define MAX_LINE (1024 * 1024)

static int
get_bool(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Signs one request; adds the result fields to out. */
static void
sign_one(const cJSON *in, cJSON *out)
{
    struct sigv4_header headers[SIGV4_MAX_HEADERS + 1];
    size_t n = 0;
    const cJSON *harr = dg_json_arr(in, "headers");
    const cJSON *h;
    cJSON_ArrayForEach(h, harr)
    {
        if (n == SIGV4_MAX_HEADERS + 1)
            break;
        const cJSON *nm = cJSON_GetArrayItem(h, 0);
        const cJSON *val = cJSON_GetArrayItem(h, 1);
        headers[n].name = cJSON_GetStringValue(nm);
        headers[n].value = cJSON_GetStringValue(val);
        n++;
    }
    const char *body = dg_json_str(in, "body");
    long long ms = 0;
    char date[SIGV4_AMZ_DATE_LEN + 1];
    struct dg_err err;
    dg_err_clear(&err);

    struct sigv4_request req = {
        .method = dg_json_str(in, "method"),
        .path = dg_json_str(in, "path"),
        .query = dg_json_str(in, "query"),
        .host = dg_json_str(in, "host"),
        .headers = headers,
        .n_headers = n,
        .body = body,
        .body_len = body ? strlen(body) : 0,
    };
    struct sigv4_params p = {
        .service = dg_json_str(in, "service"),
        .region = dg_json_str(in, "region"),
        .amz_date = date,
        .creds =
            {
                .access_key_id = dg_json_str(in, "access_key_id"),
                .secret_access_key = dg_json_str(in, "secret_access_key"),
                .session_token = dg_json_str(in, "session_token"),
            },
    };
    if (get_bool(in, "normalize"))
        p.flags |= SIGV4_NORMALIZE_PATH;
    if (get_bool(in, "encode"))
        p.flags |= SIGV4_ENCODE_PATH;

    struct sigv4_result res;
    sigv4_result_init(&res);
    dg_rc rc = DG_EINVALID;
    if (!dg_json_int(in, "time_ms", &ms))
        dg_err_set(&err, DG_EINVALID, "no time_ms");
    else if (sigv4_format_date(ms, date, &err) == DG_OK)
        rc = sigv4_sign(&req, &p, &res, &err);
    if (rc != DG_OK) {
        cJSON_AddStringToObject(out, "error", err.msg);
        goto out;
    }
    cJSON_AddStringToObject(out, "authorization",
                            dg_buf_str(&res.authorization));
    cJSON_AddStringToObject(out, "amz_date", res.amz_date);
    cJSON_AddStringToObject(out, "creq", dg_buf_str(&res.creq));
    for (size_t i = 0; i < res.n_add; i++) {
        if (strcmp(res.add[i].name, "X-Amz-Security-Token") == 0)
            cJSON_AddStringToObject(out, "token_header", res.add[i].value);
    }
out:
    sigv4_result_cleanup(&res);
}

int
main(void)
{
    dg_mem_init();
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int status = EXIT_SUCCESS;
    while ((got = getline(&line, &cap, stdin)) > 0) {
        struct dg_err err;
        dg_err_clear(&err);
        if (line[got - 1] == '\n')
            line[--got] = '\0';
        cJSON *in = dg_json_parse(line, (size_t)got, MAX_LINE, 8, &err);
        if (!in) {
            fprintf(stderr, "sigv4_sign: bad input line: %s\n", err.msg);
            status = EXIT_FAILURE;
            break;
        }
        cJSON *out = cJSON_CreateObject();
        sign_one(in, out);
        char *s = cJSON_PrintUnformatted(out);
        if (!s || printf("%s\n", s) < 0)
            status = EXIT_FAILURE;
        cJSON_free(s);
        cJSON_Delete(out);
        cJSON_Delete(in);
        if (status != EXIT_SUCCESS)
            break;
    }
    free(line);
    if (fflush(stdout) != 0)
        status = EXIT_FAILURE;
    return status;
}
