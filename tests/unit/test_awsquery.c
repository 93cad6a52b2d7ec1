/*
 * test_awsquery.c - query-string form encoding (aws_query_add) and AWS
 * error parsing for every protocol, fed with real error replies: AWS
 * documentation examples and bodies captured from moto 5.2.1, the
 * simulator and sigproxy.
 */
#include <string.h>

#include <check.h>

#include "client.h"
#include "http.h"
#include "testsupport.h"

struct q_case {
    const char *pairs[6]; /* key, value, key, value, ... NULL */
    const char *want;
};

static const struct q_case q_cases[] = {
    {{"Name", "drgate", NULL}, "Name=drgate"},
    {{"A", "1", "B", "2", NULL}, "A=1&B=2"},
    {{"Message", "a b+c&d=e/f?g", NULL}, "Message=a%20b%2Bc%26d%3De%2Ff%3Fg"},
    {{"Tags.member.1.Key", "k~-_.", NULL}, "Tags.member.1.Key=k~-_."},
    {{"U", "\xc3\xa9\xe2\x82\xac", NULL}, "U=%C3%A9%E2%82%AC"},
    {{"Empty", "", NULL}, "Empty="},
    {{"TopicArn", "arn:aws:sns:us-west-2:123456789012:t", NULL},
     "TopicArn=arn%3Aaws%3Asns%3Aus-west-2%3A123456789012%3At"},
    {{"X", "*%", NULL}, "X=%2A%25"},
};

START_TEST(query_encoding)
{
    const struct q_case *c = &q_cases[_i];
    struct dg_buf b;
    dg_buf_init(&b, 4096);
    for (int i = 0; c->pairs[i]; i += 2)
        ck_assert_int_eq(aws_query_add(&b, c->pairs[i], c->pairs[i + 1]),
                         DG_OK);
    ck_assert_str_eq(dg_buf_str(&b), c->want);
    dg_buf_cleanup(&b);
}
END_TEST

START_TEST(query_bounded)
{
    struct dg_buf b;
    dg_buf_init(&b, 12);
    ck_assert_int_eq(aws_query_add(&b, "A", "1"), DG_OK);
    ck_assert_int_eq(aws_query_add(&b, "Long", "value that does not fit"),
                     DG_EINVALID);
    ck_assert_str_eq(dg_buf_str(&b), "A=1"); /* unchanged */
    dg_buf_cleanup(&b);
}
END_TEST

struct e_case {
    const char *name;
    enum aws_protocol proto;
    int query_compatible;
    long status;
    struct http_header headers[3];
    size_t nheaders;
    const char *body;
    const char *code;
    const char *msg; /* substring */
    const char *request_id;
};

static const struct e_case e_cases[] = {
    {"query ErrorResponse (AWS docs, RDS)",
     AWS_QUERY,
     0,
     404,
     {{0}},
     0,
     "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
     "  <Error>\n    <Type>Sender</Type>\n"
     "    <Code>GlobalClusterNotFoundFault</Code>\n"
     "    <Message>GlobalCluster orders-x not found.</Message>\n"
     "  </Error>\n"
     "  <RequestId>9b2b2d6e-6d6b-4a3c-9a43-1f1f0a8d0c11</RequestId>\n"
     "</ErrorResponse>",
     "GlobalClusterNotFoundFault",
     "orders-x not found",
     "9b2b2d6e-6d6b-4a3c-9a43-1f1f0a8d0c11"},
    {"moto auth error, XML for a JSON service (SQS)",
     AWS_JSON_1_0,
     1,
     403,
     {{"x-amzn-requestid", "ABCDEF"}},
     1,
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse>\n"
     "  <Errors>\n    <Error>\n      <Code>SignatureDoesNotMatch</Code>\n"
     "      <Message>The request signature we calculated does not match the "
     "signature you provided. Check your AWS Secret Access Key and signing "
     "method. Consult the service documentation for details.</Message>\n"
     "    </Error>\n  </Errors>\n"
     "<RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>\n"
     "</ErrorResponse>",
     "SignatureDoesNotMatch",
     "signature we calculated",
     "ABCDEF"},
    {"JSON 1.0 with query-compatible header (moto SQS)",
     AWS_JSON_1_0,
     1,
     400,
     {{"X-Amzn-Errortype", "com.amazonaws.sqs#QueueDoesNotExist"},
      {"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
      {"x-amzn-RequestId", "rid-sqs"}},
     3,
     "{\"__type\": \"com.amazonaws.sqs#QueueDoesNotExist\", \"message\": "
     "\"The specified queue does not exist.\", \"Message\": \"The specified "
     "queue does not exist.\"}",
     "AWS.SimpleQueueService.NonExistentQueue",
     "queue does not exist",
     "rid-sqs"},
    {"same reply, service not query-compatible",
     AWS_JSON_1_0,
     0,
     400,
     {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}},
     1,
     "{\"__type\": \"com.amazonaws.sqs#QueueDoesNotExist\", \"message\": "
     "\"The specified queue does not exist.\"}",
     "QueueDoesNotExist",
     "does not exist",
     ""},
    {"JSON 1.1 (SSM, moto)",
     AWS_JSON_1_1,
     0,
     400,
     {{0}},
     0,
     "{\"__type\": \"ParameterNotFound\", \"message\": \"Parameter "
     "/x not found.\"}",
     "ParameterNotFound",
     "/x not found",
     ""},
    {"JSON with Message and code only in the header (AWS docs)",
     AWS_JSON_1_1,
     0,
     400,
     {{"X-Amzn-ErrorType",
       "ValidationException:http://internal.amazon.com/coral/"
       "com.amazon.coral.validate/"}},
     1,
     "{\"Message\": \"1 validation error detected\"}",
     "ValidationException",
     "1 validation error",
     ""},
    {"DynamoDB throttling (AWS docs)",
     AWS_JSON_1_0,
     0,
     400,
     {{0}},
     0,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
     "ProvisionedThroughputExceededException\",\"message\":\"The level of "
     "configured provisioned throughput for the table was exceeded.\"}",
     "ProvisionedThroughputExceededException",
     "provisioned throughput",
     ""},
    {"REST-XML (Route53 docs)",
     AWS_REST_XML,
     0,
     404,
     {{"x-amzn-RequestId", "r53-rid"}},
     1,
     "<?xml version=\"1.0\"?>\n<ErrorResponse "
     "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\n"
     "   <Error>\n      <Type>Sender</Type>\n"
     "      <Code>NoSuchHostedZone</Code>\n"
     "      <Message>No hosted zone found with ID: Z1</Message>\n"
     "   </Error>\n   <RequestId>body-rid</RequestId>\n</ErrorResponse>",
     "NoSuchHostedZone",
     "No hosted zone",
     "r53-rid"},
    {"S3-style bare Error root",
     AWS_REST_XML,
     0,
     503,
     {{"x-amz-request-id", "s3-rid"}},
     1,
     "<Error><Code>SlowDown</Code><Message>Reduce your request "
     "rate.</Message><RequestId>x</RequestId></Error>",
     "SlowDown",
     "Reduce your request rate",
     "s3-rid"},
    {"EC2-style Response/Errors (RequestID)",
     AWS_QUERY,
     0,
     400,
     {{0}},
     0,
     "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
     "<Message>Request limit exceeded.</Message></Error></Errors>"
     "<RequestID>ec2-rid</RequestID></Response>",
     "RequestLimitExceeded",
     "limit exceeded",
     "ec2-rid"},
    {"moto unimplemented action: HTML 500",
     AWS_QUERY,
     0,
     500,
     {{"Content-Type", "text/html; charset=utf-8"}},
     1,
     "<!doctype html>\n<html lang=en>\n<title>500 Internal Server "
     "Error</title>\n<h1>Internal Server Error</h1>\n<p>The server "
     "encountered an internal error and was unable to complete your "
     "request.</p>\n",
     "HTTP500",
     "HTTP 500",
     ""},
    {"empty 503",
     AWS_JSON_1_1,
     0,
     503,
     {{0}},
     0,
     "",
     "HTTP503",
     "without an AWS error document",
     ""},
    {"malformed JSON keeps the header's code",
     AWS_JSON_1_1,
     0,
     400,
     {{"x-amzn-errortype", "ThrottlingException"}},
     1,
     "{\"__type\": ",
     "ThrottlingException",
     "ThrottlingException",
     ""},
    {"faultproxy throttling (query)",
     AWS_QUERY,
     0,
     400,
     {{0}},
     0,
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse "
     "xmlns=\"http://faultproxy/doc/\"><Error><Type>Sender</Type><Code>"
     "Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>"
     "fp-1</RequestId></ErrorResponse>",
     "Throttling",
     "Rate exceeded",
     "fp-1"},
    {"DOCTYPE in an error body is refused, not expanded",
     AWS_QUERY,
     0,
     400,
     {{0}},
     0,
     "<!DOCTYPE e [<!ENTITY x \"Injected\">]><ErrorResponse><Error><Code>&x;"
     "</Code></Error></ErrorResponse>",
     "HTTP400",
     "HTTP 400",
     ""},
};

START_TEST(error_parse)
{
    const struct e_case *c = &e_cases[_i];
    struct dg_err err;
    dg_rc rc =
        aws_error_parse(c->proto, c->query_compatible, c->status, c->headers,
                        c->nheaders, c->body, strlen(c->body), &err);
    ck_assert_int_eq(rc, DG_EREMOTE);
    ck_assert_int_eq(err.rc, DG_EREMOTE);
    ck_assert_int_eq(err.http_status, c->status);
    ck_assert_msg(strcmp(err.code, c->code) == 0, "%s: code %s, want %s",
                  c->name, err.code, c->code);
    ck_assert_msg(strstr(err.msg, c->msg) != NULL, "%s: msg %s", c->name,
                  err.msg);
    ck_assert_msg(strcmp(err.request_id, c->request_id) == 0,
                  "%s: request id %s, want %s", c->name, err.request_id,
                  c->request_id);
}
END_TEST

START_TEST(error_parse_null_body)
{
    struct dg_err err;
    aws_error_parse(AWS_QUERY, 0, 502, NULL, 0, NULL, 0, &err);
    ck_assert_str_eq(err.code, "HTTP502");
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("awsquery");
    TCase *tc = tcase_create("query");
    tcase_add_loop_test(tc, query_encoding, 0,
                        (int)(sizeof(q_cases) / sizeof(q_cases[0])));
    tcase_add_test(tc, query_bounded);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, error_parse, 0,
                        (int)(sizeof(e_cases) / sizeof(e_cases[0])));
    tcase_add_test(tc, error_parse_null_body);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
