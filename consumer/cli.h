#ifndef DRGATE_CLI_H
#define DRGATE_CLI_H
/*
 * The drgate command line. Returns the process exit status: 0 success,
 * 1 failure, 2 usage error.
 */
struct source_ops;
struct sink_ops;
struct event_base;
struct dg_config;
struct orch_services;

int cli_main(int argc, char **argv);

/* The source and sink adapters, named by the composition root (main.c)
 * so the core never links an adapter by name. Copied. */
struct cli_adapters {
    const struct source_ops *(*source_find)(const char *type);
    const struct sink_ops *(*sink_find)(const char *type);
    /* The plan lifecycle's AWS services (daemon.h); NULL: none. */
    void *(*aws_new)(struct event_base *base, const struct dg_config *cfg);
    void (*aws_free)(void *aws);
    void (*aws_services)(void *aws, struct orch_services *out);
};
void cli_set_adapters(const struct cli_adapters *a);

#endif
