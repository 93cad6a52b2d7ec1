#ifndef DRGATE_KAFKA_COMMON_H
#define DRGATE_KAFKA_COMMON_H
/*
 * What the Kafka source and sink share: building a librdkafka
 * configuration from drgate's options (brokers, properties; logs through
 * the log queue into drgate's JSON logs) and waking the libevent loop
 * through a queue's io-event pipe.
 */
#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "err.h"

struct event_base;
struct event;

/* A configuration with bootstrap.servers, log.queue=true, drgate's log
 * callback and every conf "properties" pair applied (later pairs win).
 * NULL with err set when librdkafka refuses a property (the value is not
 * echoed: it may be a secret). */
rd_kafka_conf_t *kafka_conf_new(const cJSON *conf, struct dg_err *err);

/* The pipe librdkafka writes to when q gets work: fds[0] is read by the
 * loop (non-blocking), fds[1] handed to rd_kafka_queue_io_event_enable. */
int kafka_pipe_open(int fds[2]);
/* Empties the read end. */
void kafka_pipe_drain(int fd);

#endif
