/*
 * bench_metrics.c - prints what the metrics registry costs: increments on
 * a full family (64 series + overflow, the worst linear search), histogram
 * observations, and a render of a populated registry. Asserts nothing
 * about speed. Usage: bench_metrics [ITERATIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "mem.h"
#include "metrics.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    if (n <= 0)
        return 2;
    dg_mem_init();
    struct metrics *m = metrics_new();
    char names[METRICS_MAX_SERIES][16];
    for (int i = 0; i < METRICS_MAX_SERIES; i++) {
        snprintf(names[i], sizeof(names[i]), "src%02d", i);
        metrics_inc(m, MET_MESSAGES_RECEIVED, ML(names[i]));
    }
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        metrics_inc(m, MET_MESSAGES_RECEIVED,
                    ML(names[(size_t)i % METRICS_MAX_SERIES]));
    double t1 = now_s();
    for (long i = 0; i < n; i++)
        metrics_observe(m, MET_STEP_DURATION, ML("rds-failover", "succeeded"),
                        (double)(i % 2000));
    double t2 = now_s();
    for (int i = 0; i < METRICS_MAX_SERIES; i++) {
        metrics_observe(m, MET_AWS_CALL_SECONDS, ML(names[i]), 0.1);
        metrics_inc(m, MET_AWS_CALLS, ML(names[i], "Op", "ok"));
    }
    struct dg_buf b;
    dg_buf_init(&b, 4u << 20);
    int renders = 200;
    double t3 = now_s();
    for (int i = 0; i < renders; i++) {
        dg_buf_reset(&b);
        if (metrics_render(m, &b) != DG_OK)
            return 1;
    }
    double t4 = now_s();
    printf("inc (64-series family): %.1f ns/op\n", (t1 - t0) / n * 1e9);
    printf("observe (histogram):    %.1f ns/op\n", (t2 - t1) / n * 1e9);
    printf("render (%zu bytes):     %.1f us/op\n", b.len,
           (t4 - t3) / renders * 1e6);
    dg_buf_cleanup(&b);
    metrics_free(m);
    return 0;
}
