/*
 * clock.c - the real clocks and ms timers. See clock.h. No state, no
 * errors (clock_gettime on these clocks and evtimer_add on an initialised
 * timer do not fail).
 */
#include "clock.h"

#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

static int64_t
clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
dg_clock_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

int64_t
dg_clock_wall_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

void
dg_clock_arm(struct event *ev, int64_t ms)
{
    if (ms < 0)
        ms = 0; /* already due: the next loop pass, as libevent would */
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}
