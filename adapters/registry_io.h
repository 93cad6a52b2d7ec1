#ifndef DRGATE_REGISTRY_IO_H
#define DRGATE_REGISTRY_IO_H
/*
 * The one file that names every source and sink adapter (the composition
 * root hands these lookups to the daemon).
 */
struct source_ops;
struct sink_ops;

/* The descriptor for a config "type", or NULL when this build has none. */
const struct source_ops *registry_source_find(const char *type);
const struct sink_ops *registry_sink_find(const char *type);

#endif
