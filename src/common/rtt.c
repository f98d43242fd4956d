/*
 * common/rtt.c — RFC 6298 retransmission-timer arithmetic in integer milliseconds: smoothing of
 * RTT samples, the RTO with its clamps, exponential backoff, and the per-query retry plan.
 * Pure: no clock, no I/O, no allocation.
 */
#include "common/rtt.h"

/* RFC 6298's clock granularity G: the variance term never drops below it, so that a very
 * steady server still gets some slack before we retransmit. */
#define RTT_GRANULARITY_MS 10u

static uint32_t clamp_rto(uint64_t ms)
{
    if (ms < VX__RTO_MIN_MS)
        return VX__RTO_MIN_MS;
    if (ms > VX__RTO_MAX_MS)
        return VX__RTO_MAX_MS;
    return (uint32_t)ms;
}

static uint32_t rto_from_estimates(const vx__rtt *r)
{
    uint64_t var4 = 4u * (uint64_t)r->rttvar_ms;

    if (var4 < RTT_GRANULARITY_MS)
        var4 = RTT_GRANULARITY_MS;
    return clamp_rto((uint64_t)r->srtt_ms + var4);
}

void vx__rtt_init(vx__rtt *r)
{
    r->srtt_ms = 0;
    r->rttvar_ms = 0;
    r->rto_ms = VX__RTO_INITIAL_MS;
    r->measured = false;
}

/* Moves `from` by 1/2^shift of the way to `to`, rounding the step away from zero: with whole
 * milliseconds, truncating (or even rounding) the step would leave SRTT stuck up to 7 ms (or
 * 3 ms) away from a steady RTT for ever, which matters at loopback and LAN latencies. */
static uint64_t approach(uint64_t from, uint64_t to, unsigned shift)
{
    uint64_t round = (1u << shift) - 1u;

    if (to >= from)
        return from + ((to - from + round) >> shift);
    return from - ((from - to + round) >> shift);
}

/* RTTVAR is updated first, from the previous SRTT, as RFC 6298 §2.3 requires. */
void vx__rtt_sample(vx__rtt *r, uint32_t sample_ms)
{
    uint64_t sample = sample_ms;

    if (!r->measured) {
        r->srtt_ms = sample_ms;
        r->rttvar_ms = sample_ms / 2u;
        r->measured = true;
    } else {
        uint64_t srtt = r->srtt_ms;
        uint64_t delta = srtt > sample ? srtt - sample : sample - srtt;

        /* approach() stays between its two uint32_t ends: the casts cannot truncate. */
        r->rttvar_ms = (uint32_t)approach(r->rttvar_ms, delta, 2);
        r->srtt_ms = (uint32_t)approach(srtt, sample, 3);
    }
    r->rto_ms = rto_from_estimates(r);
}

void vx__rtt_backoff(vx__rtt *r)
{
    r->rto_ms = clamp_rto(2u * (uint64_t)r->rto_ms);
}

uint32_t vx__rtt_rto(const vx__rtt *r)
{
    return r->rto_ms;
}

/* Walks the plan attempt by attempt: each attempt gets the doubled (capped) timeout of the one
 * before, trimmed to what is left of the budget; the attempt that finds nothing left is not
 * made. */
uint32_t vx__rtt_attempt_timeout(const vx__rtt *r, unsigned n, unsigned max_attempts,
                                 uint32_t budget_ms)
{
    uint64_t timeout = clamp_rto(r->rto_ms);
    uint32_t spent = 0;

    if (n >= max_attempts)
        return 0;
    for (unsigned i = 0;; i++) {
        uint32_t left = budget_ms - spent;
        uint32_t this_one = timeout < left ? (uint32_t)timeout : left;

        if (this_one == 0 || i == n)
            return this_one;
        spent += this_one;
        timeout = clamp_rto(2u * timeout);
    }
}
