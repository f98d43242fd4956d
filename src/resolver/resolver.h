/*
 * resolver/resolver.h — the sans-I/O stub resolver of libvoxdns: a state machine that is given
 * the time and packets and answers with actions. It never touches a socket, a clock or libuv;
 * the net/ driver feeds it on libuv, the unit tests on a virtual clock.
 *
 * Driving it: after every call into it (submit, cancel, on_response, on_send_error, on_timer)
 * the driver drains vx__res_next_action() until it returns false, then arms one timer for
 * vx__res_deadline() and calls vx__res_on_timer() when it fires (calling it early or late is
 * harmless). Actions:
 *   SEND    the query in wire[0..len) to upstream `upstream` (over TCP when tcp), DNS id `id`;
 *           feed the reply to vx__res_on_response() — the driver checks the source address,
 *           the state machine checks id and question; report a send failure or ICMP
 *           unreachable with vx__res_on_send_error(). There is no retransmission by the
 *           driver: timeouts, retries and failover are decided here.
 *   CANCEL  stop waiting for (upstream, id): the lookup no longer needs it.
 *   RESULT  the answer of one lookup, delivered exactly once per successful submit (not at all
 *           after vx__res_cancel()). A lookup may go on after its RESULT to refresh the cache
 *           (RFC 8767 §5); that produces SEND/CANCEL actions but no second RESULT.
 *
 * Policy, in the order a lookup applies it:
 *   1. static-first mode and a static entry → STATIC at once;
 *   2. fresh cache entry → CACHE at once (a negative one gives way to a static entry);
 *   3. stale entry whose refresh failed less than recheck_ms ago → STALE at once, no query
 *      (RFC 8767 "failure recheck");
 *   4. every upstream known down (RFC 8767 §5) → a stale or static answer at once, plus a
 *      re-probe query if an upstream's backoff has passed; with neither answer, the lookup
 *      waits only on a re-probe that is due, and without one fails at once (VX_ETIMEDOUT):
 *      nobody is asked inside a backoff;
 *   5. otherwise ask upstreams: the best by score (upstream.h), hedged to the next one after
 *      its hedging delay, failed over at once on a timeout or error response; down upstreams
 *      are re-probed with a copy of a real query once their backoff has passed;
 *   6. client_timeout_ms after the submit with nothing delivered yet: the upstreams this lookup
 *      asked that stayed silent through their retries are declared down
 *      (vx__upstream_on_silent_lookup), so that step 4 serves the lookups after it; then
 *      STALE, else STATIC, else, every upstream being known down, the error at once (the
 *      attempts go on, to refresh the cache);
 *   7. an answer (NOERROR or NXDOMAIN) → with trust anchors, validated first (the DS and
 *      DNSKEY records of its chain fetched through the upstreams as lookups of their own,
 *      which never produce a RESULT); a bogus answer is that upstream's failure (it is not
 *      asked again in this lookup) → cached, NETWORK (negative answers give way to a
 *      static entry: "DNS gave nothing"); every upstream failed or budget_ms passed → STALE,
 *      else STATIC, else an error (VX_EBOGUS if an answer was bogus, VX_ESERVFAIL if some
 *      upstream answered with an error rcode, VX_ETIMEDOUT otherwise), and the name enters its
 *      failure-recheck period. Bogus data is never cached, so stale data was validated too.
 */
#ifndef VX_RESOLVER_RESOLVER_H
#define VX_RESOLVER_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "resolver/dnssec.h"
#include "resolver/static_cache.h"
#include "resolver/upstream.h"
#include "wire/query.h"
#include "wire/reader.h"

#define VX__RES_ATTEMPTS_MAX 8

typedef struct vx__res vx__res;

typedef struct vx__res_opts {
    uint32_t client_timeout_ms; /* RFC 8767 client response timer (default 1800) */
    uint32_t stale_ttl_s;       /* TTL on served stale records (default 30) */
    uint64_t max_stale_ms;      /* how long past expiry data may be served (default 1 day) */
    uint32_t recheck_ms;        /* RFC 8767 failure recheck (default 30000) */
    uint32_t budget_ms;         /* a lookup stops asking upstreams after this (default 5000) */
    unsigned max_attempts;      /* queries sent per lookup, at most VX__RES_ATTEMPTS_MAX (6) */
    size_t cache_entries;       /* default 1024 */
    uint32_t max_ttl_s;         /* cap on positive cache TTLs, 0 = none (vx__cache_set_max_ttl) */
    size_t max_lookups;         /* lookups in progress at once (default 256) */
    bool static_first;          /* answer from the static cache before DNS (default false) */
    unsigned query_flags;       /* VX__Q_* for every query (default VX__Q_RD) */
    /* Source of DNS ids (required): they are the first defence against spoofed answers, so the
     * driver passes a CSPRNG; tests pass a deterministic one. */
    uint16_t (*random16)(void *arg);
    void *random_arg;
    /* DNSSEC (resolver/dnssec.h): with trust anchors (copied; NULL = no validation) every
     * query carries DO and CD, every answer is validated before it is cached or delivered, and
     * a bogus one counts as that upstream's failure (policy step 7). RRSIG validity is judged
     * at wall-clock second wall_offset_s + now / 1000. */
    const ldns_rr_list *trust_anchors;
    int64_t wall_offset_s;
} vx__res_opts;

void vx__res_opts_default(vx__res_opts *opts);

typedef enum vx__res_source {
    VX__SRC_NONE = 0, /* an error result */
    VX__SRC_NETWORK,  /* an upstream's answer to this lookup */
    VX__SRC_CACHE,    /* a fresh cache entry */
    VX__SRC_STALE,    /* an expired cache entry (RFC 8767), TTLs set to stale_ttl_s */
    VX__SRC_STATIC    /* the static fallback cache */
} vx__res_source;

const char *vx__res_source_name(vx__res_source source); /* "network", "cache", ... */

typedef struct vx__res_result {
    uint64_t lookup;       /* the handle vx__res_submit() gave */
    int status;            /* VX_OK: an answer (rcode NOERROR or NXDOMAIN); else the error */
    uint16_t rcode;        /* LDNS_RCODE_* of the answer */
    vx__res_source source; /* where the answer comes from */
    ldns_rr_list *answer;  /* the answer records (owned by the action; NULL on error) */
    vx__sec security;      /* SECURE or INSECURE when validated; BOGUS with VX_EBOGUS;
                              UNCHECKED without trust anchors and for static answers */
} vx__res_result;

typedef enum vx__res_action_kind {
    VX__ACT_SEND = 1,
    VX__ACT_CANCEL,
    VX__ACT_RESULT
} vx__res_action_kind;

typedef struct vx__res_action {
    vx__res_action_kind kind;
    unsigned upstream; /* SEND, CANCEL */
    uint16_t id;       /* SEND, CANCEL: the DNS id of the query */
    bool tcp;          /* SEND */
    size_t len;        /* SEND */
    uint8_t wire[VX__QUERY_MAX];
    vx__res_result result; /* RESULT */
} vx__res_action;

/* Frees what an action owns (the result's records). Safe on a cleared action. */
void vx__res_action_clear(vx__res_action *action);

typedef struct vx__res_stats {
    uint64_t sent;       /* SEND actions */
    uint64_t hedged;     /* of which sent because the previous upstream was slow */
    uint64_t probes;     /* of which re-probes of a down upstream */
    uint64_t timeouts;   /* attempts that timed out */
    uint64_t dropped;    /* responses ignored: unknown id, malformed, wrong question */
    uint64_t bogus;      /* answers that failed DNSSEC validation */
    uint64_t chain;      /* DS/DNSKEY fetches for validation */
    uint64_t results[5]; /* RESULTs by vx__res_source */
} vx__res_stats;

/* VX_EINVAL without opts->random16. */
int vx__res_new(const vx__res_opts *opts, vx__res **out);
/* Frees everything, pending actions included; no further results. */
void vx__res_free(vx__res *res);
int vx__res_add_upstream(vx__res *res, const struct sockaddr *addr, bool tcp, unsigned *index);
/* Takes ownership of sc (NULL removes the static cache). */
void vx__res_set_static(vx__res *res, vx__static_cache *sc);
/* The static cache (NULL when none), still owned by res. */
const vx__static_cache *vx__res_static(const vx__res *res);
const vx__upstream *vx__res_upstream(const vx__res *res, unsigned index);
void vx__res_get_stats(const vx__res *res, vx__res_stats *out);

/* Starts a lookup; *lookup receives its handle. VX_ELIMIT when max_lookups are in progress,
 * VX_EINVAL without upstreams. An error return means no RESULT will follow. */
int vx__res_submit(vx__res *res, uint64_t now, const vx__question *q, uint64_t *lookup);
/* Abandons a lookup: its queries are cancelled and no RESULT follows. */
void vx__res_cancel(vx__res *res, uint64_t now, uint64_t lookup);

void vx__res_on_response(vx__res *res, uint64_t now, unsigned upstream, const uint8_t *wire,
                         size_t len);
/* status: VX_EREFUSED (ICMP unreachable, connection refused), VX_ENETWORK, ... */
void vx__res_on_send_error(vx__res *res, uint64_t now, unsigned upstream, uint16_t id, int status);
void vx__res_on_timer(vx__res *res, uint64_t now);

/* When the state machine next wants vx__res_on_timer(); UINT64_MAX when never. */
uint64_t vx__res_deadline(const vx__res *res);
/* Pops the next action into *out (which the caller then owns). False when none is left. */
bool vx__res_next_action(vx__res *res, vx__res_action *out);

#endif
