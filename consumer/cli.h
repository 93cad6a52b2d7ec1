#ifndef DRGATE_CLI_H
#define DRGATE_CLI_H
/*
 * The drgate command line. Returns the process exit status: 0 success,
 * 1 failure, 2 usage error.
 */
struct source_ops;
struct sink_ops;

int cli_main(int argc, char **argv);

/* The source and sink adapters, named by the composition root (main.c)
 * so the core never links an adapter by name. Copied. */
struct cli_adapters {
    const struct source_ops *(*source_find)(const char *type);
    const struct sink_ops *(*sink_find)(const char *type);
};
void cli_set_adapters(const struct cli_adapters *a);

#endif
