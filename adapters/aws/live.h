#ifndef DRGATE_LIVE_H
#define DRGATE_LIVE_H
/*
 * `drgate validate --live`: read-only AWS calls, run concurrently, that
 * check the configured topology exists and is in the expected role
 * (queues, topics, the Aurora global database and its members in both
 * regions, the ElastiCache global datastore, the hosted zone and writer
 * record, the ECS services and every "!Import" / "resolve:ssm:" reference
 * of the two configured runbooks).
 */
#include <stdio.h>

struct dg_config;

/* Prints one line per check ("OK" or "FAIL", kind, region, resource,
 * detail) to report, then a summary line. Returns 0 when every check
 * passed, 1 otherwise. Blocks: runs its own event loop. */
int live_validate(const struct dg_config *cfg, FILE *report);

#endif
