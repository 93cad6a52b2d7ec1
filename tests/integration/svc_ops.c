/*
 * svc_ops.c - runs the AWS operations that no drgate action or check calls
 * yet against the sandbox, through the real stack (credentials chain,
 * SigV4, client, service wrappers), one after the other:
 *   SQS SendMessage, ReceiveMessage, ChangeMessageVisibility;
 *   ElastiCache DescribeReplicationGroups;
 *   RDS PromoteReadReplicaDBCluster.
 * Usage: svc_ops CONFIG QUEUE_URL CACHE_GROUP_ID REPLICA_CLUSTER_ID
 * Prints "OK <op> <detail>" per call; exit 1 at the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "elasticache.h"
#include "mem.h"
#include "rds.h"
#include "sqs.h"
#include "stack.h"

static struct {
    struct event_base *base;
    const struct svc_client *sc;
    const char *queue, *cache, *replica;
    char *receipt;
    int step, failed;
} R;

static void next(void);

static int
check(const char *op, dg_rc rc, const struct dg_err *err)
{
    if (rc == DG_OK)
        return 1;
    printf("FAIL %s %s: %s %s\n", op, dg_rc_name(rc), err ? err->code : "",
           err ? err->msg : "");
    R.failed = 1;
    event_base_loopbreak(R.base);
    return 0;
}

static void
sent(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)ctx;
    if (!check("SendMessage", rc, err))
        return;
    const struct sqs_send_result *r = result;
    printf("OK SendMessage %s\n", r->message_id);
    next();
}

static void
received(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)ctx;
    if (!check("ReceiveMessage", rc, err))
        return;
    const struct sqs_receive_result *r = result;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->messages[i].body, "{\"svc_ops\": 1}") == 0)
            R.receipt = dg_strdup(r->messages[i].receipt_handle);
    if (!R.receipt) {
        printf("FAIL ReceiveMessage: the message sent is not there (%zu)\n",
               r->n);
        R.failed = 1;
        event_base_loopbreak(R.base);
        return;
    }
    printf("OK ReceiveMessage %zu message(s)\n", r->n);
    next();
}

static void
visibility(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)result, (void)ctx;
    if (!check("ChangeMessageVisibility", rc, err))
        return;
    printf("OK ChangeMessageVisibility 0\n");
    next();
}

static void
groups(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)ctx;
    if (!check("DescribeReplicationGroups", rc, err))
        return;
    const struct elasticache_replication_groups *g = result;
    if (g->n != 1 || strcmp(g->v[0].id, R.cache) != 0) {
        printf("FAIL DescribeReplicationGroups: %zu groups\n", g->n);
        R.failed = 1;
        event_base_loopbreak(R.base);
        return;
    }
    printf("OK DescribeReplicationGroups %s %s %s\n", g->v[0].id,
           g->v[0].status, g->v[0].global_role ? g->v[0].global_role : "-");
    next();
}

static void
promoted(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)ctx;
    if (!check("PromoteReadReplicaDBCluster", rc, err))
        return;
    const struct rds_cluster *c = result;
    printf("OK PromoteReadReplicaDBCluster %s %s\n", c->id, c->status);
    next();
}

static void
next(void)
{
    switch (R.step++) {
    case 0:
        sqs_send(R.sc, NULL, R.queue, "{\"svc_ops\": 1}", sent, NULL);
        break;
    case 1: {
        struct sqs_receive_params p = {.queue_url = R.queue,
                                       .max_messages = 10,
                                       .wait_seconds = 1,
                                       .visibility_timeout = 30};
        sqs_receive(R.sc, NULL, &p, received, NULL);
        break;
    }
    case 2:
        sqs_change_visibility(R.sc, NULL, R.queue, R.receipt, 0, visibility,
                              NULL);
        break;
    case 3:
        elasticache_describe_replication_groups(R.sc, "us-west-2", R.cache,
                                                groups, NULL);
        break;
    case 4:
        rds_promote_read_replica_db_cluster(R.sc, "us-west-2", R.replica,
                                            promoted, NULL);
        break;
    default:
        event_base_loopbreak(R.base);
    }
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: svc_ops CONFIG QUEUE_URL CACHE_GROUP "
                        "REPLICA_CLUSTER\n");
        return 2;
    }
    dg_mem_init();
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    struct dg_config *cfg = NULL;
    if (config_load(argv[1], &cfg, &errors) != DG_OK) {
        fputs(dg_buf_str(&errors), stderr);
        return 1;
    }
    dg_buf_cleanup(&errors);
    R.base = event_base_new();
    struct aws_stack *st = aws_stack_new(R.base, cfg, NULL, NULL);
    R.sc = aws_stack_svc(st);
    R.queue = argv[2];
    R.cache = argv[3];
    R.replica = argv[4];
    next();
    event_base_dispatch(R.base);
    aws_stack_free(st);
    event_base_free(R.base);
    config_free(cfg);
    dg_free(R.receipt);
    if (!R.failed && R.step != 6) {
        printf("FAIL stopped at step %d\n", R.step);
        return 1;
    }
    return R.failed ? 1 : 0;
}
