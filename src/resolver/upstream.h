/*
 * resolver/upstream.h — the set of upstream resolvers a stub asks, and the per-upstream health
 * that decides whom to ask: smoothed RTT (the pure common/rtt.h module), failure history, the
 * adaptive hedging delay, and dead-upstream detection with exponential re-probe backoff.
 *
 * Pure: no sockets, no clock; every call that depends on time is given "now" in milliseconds.
 * Upstreams are referred to by their index, which never changes once added.
 */
#ifndef VX_RESOLVER_UPSTREAM_H
#define VX_RESOLVER_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/rtt.h"

#define VX__UPSTREAM_MAX 16

/* Hedging: ask the next upstream once the chosen one has been silent for
 * clamp(SRTT + 4·RTTVAR, FLOOR, CAP) — the point past which an answer is unusually late for
 * that upstream (the same bound RFC 6298 uses for a retransmission). The floor keeps a fast LAN
 * resolver from being hedged on every jitter; the cap keeps hedging well inside the 1.8 s RFC
 * 8767 client response timer. Before any sample the delay is HEDGE_UNMEASURED: a stub's
 * upstream is a recursive resolver close by, which answers even a cold-cache question within
 * ~200 ms most of the time, and a phone starting with a dead first resolver must not wait the
 * 400 ms an unknown authoritative server would deserve. */
#define VX__HEDGE_FLOOR_MS 50u
#define VX__HEDGE_CAP_MS 1000u
#define VX__HEDGE_UNMEASURED_MS 200u

/* Selection score of an upstream never measured: tried before a known upstream slower than
 * this, so that a fast alternative gets discovered (Unbound uses ~376 ms the same way). */
#define VX__SCORE_UNMEASURED_MS 200u
/* Each recent failure (timeout, SERVFAIL, REFUSED) adds this to the score; successes halve the
 * failure count, so history fades instead of being forgotten at once. */
#define VX__SCORE_FAILURE_MS 400u

/* An attempt counts as timed out after max(RTO, TIMEOUT_FLOOR). The RTO of common/rtt.h goes
 * down to 50 ms, right for retransmitting on a LAN but not for declaring a resolver failed:
 * the floor keeps the hedge (at SRTT + 4·RTTVAR, the un-backed-off RTO) well before the
 * timeout for fast upstreams, so a slow answer is hedged first and counted as failed later. */
#define VX__TIMEOUT_FLOOR_MS 200u

/* Dead upstreams: DOWN_AFTER consecutive timeouts, the last at least DOWN_MIN_SPAN after the
 * first, mark an upstream down (the span keeps a sub-second blip, during which one lookup can
 * time out three times, from killing it); it is re-probed after BACKOFF_BASE, doubling after
 * each failed probe up to BACKOFF_MAX. */
#define VX__DOWN_AFTER 3u
#define VX__DOWN_MIN_SPAN_MS 1000u
/* A quicker road to "down" (vx__upstream_on_silent_lookup): a lookup that reaches the RFC 8767
 * client response timer with no answer from anyone has run out of time for a useful answer; an
 * upstream it asked that has since timed out SILENT_DOWN_AFTER times in a row, the first at
 * least DOWN_MIN_SPAN ago, and answered nobody meanwhile, is silent for good as far as a client
 * can tell. With the default retry plan (400, 800, 1600 ms) the third timeout of a lone dead
 * upstream comes 2.8 s in, a second after the client timer, so that later lookups (the next
 * steps of an RFC 3263 location) would each wait the client timer again. */
#define VX__SILENT_DOWN_AFTER 2u
#define VX__BACKOFF_BASE_MS 1000u
#define VX__BACKOFF_MAX_MS 60000u

typedef struct vx__upstream {
    struct sockaddr_storage addr; /* for the driver; the state machine never reads it */
    bool tcp;                     /* ask over TCP from the start */
    vx__rtt rtt;
    unsigned consecutive_timeouts;
    uint64_t first_timeout_at; /* of the current streak of consecutive timeouts */
    unsigned failures;         /* recent failure count: +1 per failure, halved per success */
    bool down;
    unsigned down_probes; /* failed re-probes since marked down (the backoff exponent) */
    uint64_t retry_at;    /* when down: the earliest time of the next probe */
    bool probing;         /* when down: a probe is on the wire */
} vx__upstream;

typedef struct vx__upstream_set {
    vx__upstream v[VX__UPSTREAM_MAX];
    size_t n;
} vx__upstream_set;

void vx__upstream_set_init(vx__upstream_set *set);
/* VX_ELIMIT when the set is full; *index receives the new upstream's index. */
int vx__upstream_add(vx__upstream_set *set, const struct sockaddr *addr, bool tcp, unsigned *index);

/* The score used for selection: lower is better. */
uint64_t vx__upstream_score(const vx__upstream *u);
uint32_t vx__upstream_hedge_delay(const vx__upstream *u);
/* How long one attempt to u may stay unanswered before it counts as a timeout:
 * max(RTO with backoff, TIMEOUT_FLOOR). */
uint32_t vx__upstream_attempt_timeout(const vx__upstream *u);

/* Usable for a normal query: up. */
bool vx__upstream_is_up(const vx__upstream *u);
/* Down, no probe on the wire, and its backoff has passed: the next query may probe it. */
bool vx__upstream_probe_due(const vx__upstream *u, uint64_t now);
/* RFC 8767 §5 "known down": every upstream is down (an empty set counts as down). */
bool vx__upstream_all_down(const vx__upstream_set *set);

/* Outcomes of one attempt. A response of any rcode proves the upstream alive (sample_ms is its
 * RTT); ok=false (SERVFAIL, REFUSED, ...) still counts as a failure for the score. */
void vx__upstream_on_response(vx__upstream *u, uint32_t sample_ms, bool ok);
/* probe: the failed attempt was the probe of a down upstream (see on_probe_sent). */
void vx__upstream_on_timeout(vx__upstream *u, uint64_t now, bool probe);
/* A lookup reached its client response timer with nothing delivered, and it asked u: marks u
 * down when its current streak has at least SILENT_DOWN_AFTER consecutive failures, the first
 * DOWN_MIN_SPAN or more before now. Returns true when it did (false when u was already down,
 * answered something since, or failed too few times or too briefly to tell). */
bool vx__upstream_on_silent_lookup(vx__upstream *u, uint64_t now);
/* The driver could not send or was told "port unreachable": as bad as a timeout. */
void vx__upstream_on_error(vx__upstream *u, uint64_t now, bool probe);
/* u's attempt was still unanswered, past its hedging delay, when another upstream answered:
 * a failure for the score only (it may merely be slow). */
void vx__upstream_on_slow(vx__upstream *u);
/* An attempt went to a down upstream: it is that upstream's probe. */
void vx__upstream_on_probe_sent(vx__upstream *u);

#endif
