/*
 * sip/srv.h — RFC 2782 ordering of an SRV RRset ("Usage rules"): priority ascending; within a
 * priority a weighted random choice, repeated until every record is placed, with weight-0
 * records put first before the running sums are taken, as the RFC says, so that they have a
 * small chance (1 in sum+1) to be chosen before the weighted ones.
 *
 * The random source is injected so that tests can seed it and sip/ holds no global state.
 */
#ifndef VX_SIP_SRV_H
#define VX_SIP_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "sip/records.h"

/* A source of uniformly distributed 32-bit numbers. */
typedef uint32_t (*vx__sip_random_fn)(void *ctx);

/* Reorders recs[0..n) in place into the order a client should try them. The relative order in
 * which records arrive is kept wherever the RFC leaves the order free (ties, weight 0). "."
 * targets are ordered like any other record; the caller decides what they mean. */
void vx__sip_srv_order(vx__sip_srv *recs, size_t n, vx__sip_random_fn rnd, void *ctx);

/* A uniform number in [0, bound] from rnd (bound may be UINT32_MAX - 1 at most). Unbiased:
 * draws that would favour low values are rejected. */
uint32_t vx__sip_random_upto(vx__sip_random_fn rnd, void *ctx, uint32_t bound);

/* A small seeded generator (xorshift64*) for callers without one of their own, and for tests.
 * state must not be zero; vx__sip_xorshift_seed() makes it so. */
typedef struct vx__sip_xorshift {
    uint64_t state;
} vx__sip_xorshift;

void vx__sip_xorshift_seed(vx__sip_xorshift *x, uint64_t seed);
uint32_t vx__sip_xorshift_next(void *x); /* a vx__sip_random_fn over a vx__sip_xorshift */

#endif
