#ifndef DRGATE_AWS_CORE_UTIL_H
#define DRGATE_AWS_CORE_UTIL_H
/*
 * Helpers shared by the aws-core integration suites: environment lookups
 * and running a fresh event base until a condition holds (bounded by a
 * deadline so a lost completion fails the test instead of hanging it).
 */
#include <stdlib.h>

#include <check.h>
#include <event2/event.h>

#include "clock.h"

/* The URL the runner (aws_core_run.py) exported; fails the test if unset. */
static inline const char *
acu_env(const char *name)
{
    const char *v = getenv(name); /* NOLINT(concurrency-mt-unsafe) */
    ck_assert_msg(v && *v, "%s not set: run through aws_core_run.py", name);
    return v;
}

static void
acu_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

/* Runs base until *flag >= want or ms pass; returns 1 when reached. */
static inline int
acu_run_until(struct event_base *base, const int *flag, int want, long ms)
{
    int expired = 0;
    struct event *t = evtimer_new(base, acu_deadline_cb, &expired);
    dg_clock_arm(t, ms);
    while (*flag < want && !expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    return *flag >= want;
}

#endif
