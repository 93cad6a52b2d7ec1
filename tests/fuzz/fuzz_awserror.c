/*
 * fuzz_awserror.c - libFuzzer target for aws_error_parse: arbitrary bodies
 * (and a header value taken from the input) for every protocol always give
 * DG_EREMOTE with a non-empty, NUL-terminated code; nothing leaks.
 *
 * Input layout: byte 0 picks the protocol and query compatibility, byte 1
 * the status; up to the first '\n' after that is the value of the
 * x-amzn-errortype and x-amzn-query-error headers; the rest is the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client.h"
#include "http.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        dg_mem_init();
        init = 1;
    }
    if (size < 2)
        return 0;
    static const enum aws_protocol protos[] = {AWS_QUERY, AWS_JSON_1_0,
                                               AWS_JSON_1_1, AWS_REST_XML};
    enum aws_protocol proto = protos[data[0] & 3];
    int qc = (data[0] >> 2) & 1;
    long status = 400 + data[1] % 200;
    const char *rest = (const char *)data + 2;
    size_t rest_len = size - 2;
    const char *nl = memchr(rest, '\n', rest_len);
    size_t hlen = nl ? (size_t)(nl - rest) : 0;
    char *hv = dg_strndup(rest, hlen); /* stops at an embedded NUL too */
    const char *body = nl ? nl + 1 : rest;
    size_t body_len = rest_len - (size_t)(body - rest);
    struct http_header h[2] = {{"X-Amzn-Errortype", hv},
                               {"x-amzn-query-error", hv}};
    struct dg_err err;
    dg_rc rc =
        aws_error_parse(proto, qc, status, h, nl ? 2 : 0, body, body_len, &err);
    if (rc != DG_EREMOTE || err.rc != DG_EREMOTE || !err.code[0] ||
        err.http_status != status ||
        memchr(err.code, '\0', sizeof(err.code)) == NULL ||
        memchr(err.msg, '\0', sizeof(err.msg)) == NULL ||
        memchr(err.request_id, '\0', sizeof(err.request_id)) == NULL)
        __builtin_trap();
    dg_free(hv);
    return 0;
}
