/*
 * fuzz_svc_json.c - every JSON reply parser of the AWS service modules
 * (SQS, ECS, SSM) on the same input: accept, or refuse with a reason, and
 * clean up without leaks.
 */
#include <stddef.h>
#include <stdint.h>

#include "ecs.h"
#include "mem.h"
#include "sqs.h"
#include "ssm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(dg_rc rc, const struct dg_err *err)
{
    if (rc != DG_OK && (!err->code[0] || !err->msg[0]))
        __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    const char *b = (const char *)data;
    struct dg_err err;
    struct sqs_receive_result r;
    struct sqs_batch_result br;
    struct sqs_send_result sr;
    struct svc_map m;
    struct ecs_services s;
    struct ssm_parameter p;
    if (!init) {
        dg_mem_init();
        init = 1;
    }
    dg_err_clear(&err);
    check(sqs_parse_receive(b, size, &r, &err), &err);
    sqs_receive_result_cleanup(&r);
    dg_err_clear(&err);
    check(sqs_parse_batch(b, size, &br, &err), &err);
    sqs_batch_result_cleanup(&br);
    dg_err_clear(&err);
    check(sqs_parse_send(b, size, "hello drgate", &sr, &err), &err);
    sqs_send_result_cleanup(&sr);
    dg_err_clear(&err);
    check(sqs_parse_get_queue_attributes(b, size, &m, &err), &err);
    svc_map_cleanup(&m);
    dg_err_clear(&err);
    check(sqs_parse_empty(b, size, &err), &err);
    dg_err_clear(&err);
    check(ecs_parse_describe_services(b, size, &s, &err), &err);
    ecs_services_cleanup(&s);
    dg_err_clear(&err);
    check(ecs_parse_update_service(b, size, &s, &err), &err);
    ecs_services_cleanup(&s);
    dg_err_clear(&err);
    check(ssm_parse_get_parameter(b, size, &p, &err), &err);
    ssm_parameter_cleanup(&p);
    return 0;
}
