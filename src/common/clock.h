/*
 * common/clock.h — the two clocks every layer reads: wall time for what is recorded and shown
 * (observations, events, RTT samples, HTTP dates) and a monotonic clock for durations and
 * deadlines, which must not jump when the system time is set.
 */
#ifndef VX_COMMON_CLOCK_H
#define VX_COMMON_CLOCK_H

#include <stdint.h>

/* Unix epoch, milliseconds (CLOCK_REALTIME). */
uint64_t vx__wall_ms(void);
/* Milliseconds since an arbitrary start (CLOCK_MONOTONIC): only differences mean anything. */
uint64_t vx__mono_ms(void);

#endif
