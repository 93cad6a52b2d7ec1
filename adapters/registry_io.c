/*
 * registry_io.c - the source and sink adapters this build has. Adding one
 * (e.g. the SQS source, the SNS sink) is one extern and one table row.
 */
#include "registry_io.h"

#include <stddef.h>
#include <string.h>

#include "sink.h"
#include "source.h"

extern const struct source_ops source_file_ops;
extern const struct source_ops source_probe_ops;
extern const struct source_ops source_kafka_ops;
extern const struct source_ops source_sqs_ops;
extern const struct sink_ops sink_file_ops;
extern const struct sink_ops sink_kafka_ops;
extern const struct sink_ops sink_sns_ops;

static const struct source_ops *const sources[] = {
    &source_file_ops,
    &source_probe_ops,
    &source_kafka_ops,
    &source_sqs_ops,
};

static const struct sink_ops *const sinks[] = {
    &sink_file_ops,
    &sink_kafka_ops,
    &sink_sns_ops,
};

const struct source_ops *
registry_source_find(const char *type)
{
    for (size_t i = 0; type && i < sizeof(sources) / sizeof(sources[0]); i++)
        if (strcmp(sources[i]->type, type) == 0)
            return sources[i];
    return NULL;
}

const struct sink_ops *
registry_sink_find(const char *type)
{
    for (size_t i = 0; type && i < sizeof(sinks) / sizeof(sinks[0]); i++)
        if (strcmp(sinks[i]->type, type) == 0)
            return sinks[i];
    return NULL;
}
