/*
 * kafka_common.c - librdkafka configuration and loop plumbing shared by
 * sources/kafka.c and sinks/kafka.c.
 *
 * Logs: log.queue=true keeps librdkafka's threads from logging on their
 * own; the log callback then runs on the loop thread when the adapter
 * serves its queue, and goes to drgate's JSON logs.
 */
#include "kafka_common.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    enum dg_log_level l = level <= 3   ? DG_LOG_ERROR
                          : level <= 4 ? DG_LOG_WARN
                          : level <= 6 ? DG_LOG_INFO
                                       : DG_LOG_DEBUG;
    log_kv(l, "librdkafka", "client", rk ? rd_kafka_name(rk) : "", "facility",
           fac, "detail", buf, NULL);
}

static int
set(rd_kafka_conf_t *c, const char *k, const char *v, struct dg_err *err)
{
    char e[256];
    if (rd_kafka_conf_set(c, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
        dg_err_set(err, DG_EINVALID, "kafka: property %s refused: %s", k, e);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *
kafka_conf_new(const cJSON *conf, struct dg_err *err)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    const char *brokers = dg_json_str(conf, "brokers");
    if (!brokers || set(c, "bootstrap.servers", brokers, err) != 0 ||
        set(c, "log.queue", "true", err) != 0 ||
        set(c, "client.id", "drgate", err) != 0)
        goto fail;
    rd_kafka_conf_set_log_cb(c, log_cb);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(conf, "properties");
    for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
        if (!cJSON_IsString(p) || set(c, p->string, p->valuestring, err) != 0)
            goto fail;
    }
    return c;
fail:
    rd_kafka_conf_destroy(c);
    return NULL;
}

int
kafka_pipe_open(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        (void)fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
        (void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

void
kafka_pipe_drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}
