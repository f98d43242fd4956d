/*
 * common/rtt.h — the pure retransmission-timer module: smoothed RTT and RTT variance per server
 * address (RFC 6298 arithmetic, as Unbound's util/rtt.c does for DNS), the retransmission
 * timeout for each attempt with exponential backoff, and the retry plan that bounds how long a
 * silent server can hold a query. No clock, no I/O: callers pass measured milliseconds in.
 */
#ifndef VX_COMMON_RTT_H
#define VX_COMMON_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define VX__RTO_INITIAL_MS 400u   /* before any sample, as Unbound and RFC 6298 §2.1 in spirit */
#define VX__RTO_MIN_MS 50u        /* never retransmit sooner: loopback RTTs would make RTO ~1 ms */
#define VX__RTO_MAX_MS 2000u      /* one attempt never waits longer */
#define VX__RETRY_ATTEMPTS 3u     /* default attempts per query and server */
#define VX__RETRY_BUDGET_MS 3000u /* default: a silent server is given up after at most this */

typedef struct vx__rtt {
    uint32_t srtt_ms;   /* smoothed RTT, valid when measured */
    uint32_t rttvar_ms; /* RTT variance, valid when measured */
    uint32_t rto_ms;    /* current retransmission timeout, including backoff */
    bool measured;      /* at least one sample was taken */
} vx__rtt;

void vx__rtt_init(vx__rtt *r);
/* Feeds one RTT sample (only from an attempt that was not retransmitted: Karn's rule is the
 * caller's). Resets any backoff. */
void vx__rtt_sample(vx__rtt *r, uint32_t sample_ms);
/* Records a timeout: doubles the RTO (capped at VX__RTO_MAX_MS). */
void vx__rtt_backoff(vx__rtt *r);
/* The timeout for the first attempt to this server. */
uint32_t vx__rtt_rto(const vx__rtt *r);

/* The timeout of attempt n (0-based) of one query: rto doubled per attempt, each capped at
 * VX__RTO_MAX_MS, and the last attempt trimmed so that the sum of all attempts never exceeds
 * budget_ms. Returns 0 when attempt n must not be made (past max_attempts or budget spent). */
uint32_t vx__rtt_attempt_timeout(const vx__rtt *r, unsigned n, unsigned max_attempts,
                                 uint32_t budget_ms);

#endif
