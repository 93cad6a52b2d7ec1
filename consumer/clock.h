#ifndef DRGATE_CLOCK_H
#define DRGATE_CLOCK_H
/*
 * The real clocks in milliseconds and a libevent timer armed in
 * milliseconds: for the I/O shells that own a loop. Pure code takes time
 * as an argument instead (STYLE.md "Time is injected").
 */
#include <stdint.h>

struct event;

/* CLOCK_MONOTONIC in ms: deadlines and durations. */
int64_t dg_clock_mono_ms(void);
/* CLOCK_REALTIME in ms since the Unix epoch: timestamps. */
int64_t dg_clock_wall_ms(void);
/* evtimer_add(ev) to fire ms milliseconds from now (0 or less: the next
 * loop pass). Works for any event, a persistent one included. */
void dg_clock_arm(struct event *ev, int64_t ms);

#endif
