/*
 * kafka_mock.c - runs librdkafka's mock cluster for the integration tests:
 * creates the topics named on the command line (1 partition each, or N
 * with TOPIC:N), prints the bootstrap servers on one line of stdout, and
 * runs until stdin closes or SIGTERM. The mock keeps only about the last
 * 5 MB of each partition (older messages are dropped): spread bigger
 * volumes over partitions.
 *
 * usage: kafka_mock TOPIC[:PARTITIONS]...
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t done;

static void
on_term(int sig)
{
    (void)sig;
    done = 1;
}

int
main(int argc, char **argv)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "kafka_mock: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    if (!mc) {
        fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        char name[256];
        snprintf(name, sizeof(name), "%s", argv[i]);
        char *colon = strchr(name, ':');
        int parts = 1;
        if (colon) {
            *colon = '\0';
            parts = atoi(colon + 1);
        }
        if (parts < 1 || rd_kafka_mock_topic_create(mc, name, parts, 1) != 0) {
            fprintf(stderr, "kafka_mock: cannot create topic %s\n", argv[i]);
            return 1;
        }
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    char buf[64];
    while (!done) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n <= 0)
            break;
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
