#ifndef DRGATE_REPLAY_H
#define DRGATE_REPLAY_H
/*
 * `drgate replay`: feeds a JSON-lines file through the engine offline and
 * prints the decision, plan and rejected-input lines on out. Same input,
 * byte-identical output.
 */
#include <stdio.h>

#include "config.h"
#include "engine.h"

struct replay_opts {
    const char *input;      /* path, or "-" for stdin */
    const char *store_path; /* NULL: a temporary store, removed afterwards */
    size_t batch;           /* messages per transaction; 0 = 1000 */
};

/* Returns 0 on success, 1 on failure (message on stderr). stats, when not
 * NULL, receives the engine's counters. */
int replay_run(const struct dg_config *cfg, const struct replay_opts *opts,
               FILE *out, struct engine_stats *stats);

#endif
