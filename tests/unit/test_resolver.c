/*
 * tests/unit/test_resolver.c — the sans-I/O resolver state machine (resolver/resolver.c) on a
 * virtual clock: answers and caching, failover from a silent upstream, hedging with a slow one,
 * selection by SRTT, dead-upstream backoff and re-probe, RFC 8767 serve-stale (client response
 * timer, "known down", stale TTL, maximum stale age, failure recheck), negative caching with
 * the SOA minimum, static fallback and static-first, TC→TCP, spoof rejection, cancel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resolver/resolver.h"
#include "voxdns/status.h"
#include "wire/msg.h"

/* ---- the virtual network ------------------------------------------------------------------ */

#define MAX_EVENTS 64

typedef struct sent {
    uint64_t at;
    unsigned upstream;
    uint16_t id;
    bool tcp;
    uint8_t wire[VX__QUERY_MAX];
    size_t len;
} sent;

typedef struct net {
    vx__res *res;
    uint64_t now;
    uint16_t next_id;
    sent sends[MAX_EVENTS];
    size_t nsends;
    size_t ncancels;
    vx__res_result results[MAX_EVENTS];
    uint64_t result_at[MAX_EVENTS];
    size_t nresults;
} net;

static uint16_t counter16(void *arg)
{
    net *n = arg;
    return n->next_id++;
}

static void drain(net *n)
{
    vx__res_action a;
    while (vx__res_next_action(n->res, &a)) {
        if (a.kind == VX__ACT_SEND) {
            assert_true(n->nsends < MAX_EVENTS);
            sent *s = &n->sends[n->nsends++];
            s->at = n->now;
            s->upstream = a.upstream;
            s->id = a.id;
            s->tcp = a.tcp;
            memcpy(s->wire, a.wire, a.len);
            s->len = a.len;
            if (getenv("RES_DEBUG"))
                fprintf(stderr, "t=%llu send #%zu to %u id %u\n", (unsigned long long)n->now,
                        n->nsends - 1, a.upstream, a.id);
        } else if (a.kind == VX__ACT_CANCEL) {
            n->ncancels++;
        } else {
            assert_int_equal(a.kind, VX__ACT_RESULT);
            assert_true(n->nresults < MAX_EVENTS);
            n->result_at[n->nresults] = n->now;
            if (getenv("RES_DEBUG"))
                fprintf(stderr, "t=%llu result %llu status %d source %d\n",
                        (unsigned long long)n->now, (unsigned long long)a.result.lookup,
                        a.result.status, (int)a.result.source);
            n->results[n->nresults++] = a.result;
            a.result.answer = NULL; /* the net keeps it */
        }
        vx__res_action_clear(&a);
    }
}

static void net_setup(net *n, unsigned upstreams, bool static_first)
{
    vx__res_opts o;
    memset(n, 0, sizeof(*n));
    n->next_id = 0x1000;
    vx__res_opts_default(&o);
    o.random16 = counter16;
    o.random_arg = n;
    o.static_first = static_first;
    assert_int_equal(vx__res_new(&o, &n->res), VX_OK);
    for (unsigned i = 0; i < upstreams; i++) {
        unsigned idx;
        assert_int_equal(vx__res_add_upstream(n->res, NULL, false, &idx), VX_OK);
        assert_int_equal(idx, i);
    }
}

static void net_teardown(net *n)
{
    drain(n);
    for (size_t i = 0; i < n->nresults; i++)
        ldns_rr_list_deep_free(n->results[i].answer);
    vx__res_free(n->res);
}

/* Moves the clock to t, firing every deadline on the way, each at its exact time. */
static void advance(net *n, uint64_t t)
{
    for (uint64_t d; (d = vx__res_deadline(n->res)) <= t;) {
        assert_true(d >= n->now);
        n->now = d;
        vx__res_on_timer(n->res, d);
        drain(n);
    }
    n->now = t;
}

static uint64_t submit(net *n, const char *name, uint16_t type)
{
    vx__question q;
    uint64_t h = 0;
    assert_int_equal(vx__question_from_text(name, type, LDNS_RR_CLASS_IN, &q), VX_OK);
    assert_int_equal(vx__res_submit(n->res, n->now, &q, &h), VX_OK);
    drain(n);
    return h;
}

/* Answers send number idx: rcode, answer records, authority records (zone-file text). */
static void reply_full(net *n, size_t idx, ldns_pkt_rcode rcode, const char *const *answers,
                       const char *const *authority, bool tc)
{
    vx__msg *q;
    uint8_t *wire;
    size_t len;
    assert_true(idx < n->nsends);
    assert_int_equal(vx__msg_parse(n->sends[idx].wire, n->sends[idx].len, &q), VX_OK);
    ldns_pkt *p = ldns_pkt_clone(q->pkt);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_ra(p, true);
    ldns_pkt_set_tc(p, tc);
    ldns_pkt_set_rcode(p, (uint8_t)rcode);
    for (int s = 0; s < 2; s++) {
        const char *const *list = s == 0 ? answers : authority;
        for (size_t i = 0; list && list[i]; i++) {
            ldns_rr *rr;
            assert_int_equal(ldns_rr_new_frm_str(&rr, list[i], 0, NULL, NULL), LDNS_STATUS_OK);
            ldns_pkt_push_rr(p, s == 0 ? LDNS_SECTION_ANSWER : LDNS_SECTION_AUTHORITY, rr);
        }
    }
    assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
    vx__res_on_response(n->res, n->now, n->sends[idx].upstream, wire, len);
    drain(n);
    free(wire);
    ldns_pkt_free(p);
    vx__msg_free(q);
}

static const char *const sip_a[] = {"sip.example.com. 300 IN A 192.0.2.10", NULL};

static void reply_a(net *n, size_t idx)
{
    reply_full(n, idx, LDNS_RCODE_NOERROR, sip_a, NULL, false);
}

static void assert_result(const net *n, size_t i, int status, vx__res_source src)
{
    assert_true(i < n->nresults);
    assert_int_equal(n->results[i].status, status);
    assert_int_equal(n->results[i].source, src);
}

static uint32_t first_ttl(const net *n, size_t i)
{
    assert_non_null(n->results[i].answer);
    assert_true(ldns_rr_list_rr_count(n->results[i].answer) > 0);
    return ldns_rr_ttl(ldns_rr_list_rr(n->results[i].answer, 0));
}

/* Caches sip.example.com A (TTL 300) through upstream 0 at t=0..20 ms. */
static void prime_cache(net *n)
{
    submit(n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n->nsends, 1);
    advance(n, 20);
    reply_a(n, 0);
    assert_result(n, 0, VX_OK, VX__SRC_NETWORK);
}

/* ---- answers and the cache ---------------------------------------------------------------- */

static void test_network_then_cache(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, false);
    uint64_t h = submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, 1);
    assert_int_equal(n.sends[0].upstream, 0);
    assert_int_equal(n.nresults, 0);
    advance(&n, 20);
    reply_a(&n, 0);
    assert_result(&n, 0, VX_OK, VX__SRC_NETWORK);
    assert_int_equal(n.results[0].lookup, h);
    assert_int_equal(n.results[0].rcode, LDNS_RCODE_NOERROR);
    assert_int_equal(first_ttl(&n, 0), 300);
    assert_true(vx__res_upstream(n.res, 0)->rtt.measured);
    assert_int_equal(vx__res_upstream(n.res, 0)->rtt.srtt_ms, 20);
    assert_int_equal(vx__res_deadline(n.res), UINT64_MAX); /* nothing left to do */

    advance(&n, 10020);
    submit(&n, "SIP.Example.COM.", LDNS_RR_TYPE_A); /* any case: the same entry */
    assert_int_equal(n.nsends, 1);
    assert_result(&n, 1, VX_OK, VX__SRC_CACHE);
    assert_int_equal(first_ttl(&n, 1), 290); /* the TTL counts down */
    net_teardown(&n);
}

/* ---- failover, hedging, selection ----------------------------------------------------------- */

/* Upstream 0 never answers: upstream 1 is asked 200 ms later (the unmeasured hedge delay) and
 * its answer is the result. */
static void test_failover_silent_first(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 2, false);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, 1);
    advance(&n, 199);
    assert_int_equal(n.nsends, 1);
    advance(&n, 200);
    assert_int_equal(n.nsends, 2);
    assert_int_equal(n.sends[1].upstream, 1);
    assert_int_equal(n.sends[1].at, 200);
    assert_int_not_equal(n.sends[1].id, n.sends[0].id);
    advance(&n, 230);
    reply_a(&n, 1);
    assert_result(&n, 0, VX_OK, VX__SRC_NETWORK);
    assert_int_equal(n.result_at[0], 230);
    assert_int_equal(n.ncancels, 1); /* the attempt to upstream 0 */
    /* Upstream 0 was cancelled before its 400 ms timeout: slow, a failure for its score only. */
    const vx__upstream *u0 = vx__res_upstream(n.res, 0);
    assert_int_equal(u0->consecutive_timeouts, 0);
    assert_int_equal(u0->failures, 1);

    /* The next lookup starts with upstream 1: measured (30 ms) and without failures. */
    submit(&n, "other.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, 3);
    assert_int_equal(n.sends[2].upstream, 1);
    net_teardown(&n);
}

/* A slow (not dead) upstream: once past its hedging delay, the next one is asked too, and the
 * first answer from either wins. */
static void test_hedging_slow_first(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 2, false);
    prime_cache(&n); /* upstream 0: SRTT 20, RTTVAR 10 → hedging delay 60 ms */
    assert_int_equal(vx__upstream_hedge_delay(vx__res_upstream(n.res, 0)), 60);

    submit(&n, "slow.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, 2);
    assert_int_equal(n.sends[1].upstream, 0);
    advance(&n, 20 + 59);
    assert_int_equal(n.nsends, 2);
    advance(&n, 20 + 60);
    assert_int_equal(n.nsends, 3);
    assert_int_equal(n.sends[2].upstream, 1);
    vx__res_stats st;
    vx__res_get_stats(n.res, &st);
    assert_int_equal(st.hedged, 1);
    /* The slow one answers first after all, 70 ms in: it is taken, the hedge cancelled. */
    advance(&n, 20 + 70);
    reply_full(&n, 1, LDNS_RCODE_NOERROR,
               (const char *const[]){"slow.example.com. 60 IN A 192.0.2.20", NULL}, NULL, false);
    assert_result(&n, 1, VX_OK, VX__SRC_NETWORK);
    assert_int_equal(n.result_at[1], 90);
    assert_int_equal(n.ncancels, 1);
    /* A late answer of the cancelled hedge is dropped. */
    reply_a(&n, 2);
    assert_int_equal(n.nresults, 2);
    vx__res_get_stats(n.res, &st);
    assert_int_equal(st.dropped, 1);
    net_teardown(&n);
}

/* The lowest SRTT is asked first, whatever the configured order. */
static void test_selection_by_srtt(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 3, false);
    const char *names[] = {"a.example.com", "b.example.com", "c.example.com"};
    /* Upstream 0 answers in 150 ms, before its unmeasured hedging delay (200 ms). */
    submit(&n, names[0], LDNS_RR_TYPE_A);
    advance(&n, 150);
    reply_full(&n, 0, LDNS_RCODE_NOERROR,
               (const char *const[]){"a.example.com. 60 IN A 192.0.2.1", NULL}, NULL, false);
    /* Upstreams 1 and 2 are unmeasured (score 200) and 0 is at 150: 0 stays first. */
    submit(&n, names[1], LDNS_RR_TYPE_A);
    assert_int_equal(n.sends[1].upstream, 0);
    /* It is slow this time: hedged to upstream 1 (unmeasured, index before 2), which answers
     * in 10 ms. */
    uint64_t hedge_at = n.now + vx__upstream_hedge_delay(vx__res_upstream(n.res, 0));
    advance(&n, hedge_at);
    assert_int_equal(n.nsends, 3);
    assert_int_equal(n.sends[2].upstream, 1);
    advance(&n, hedge_at + 10);
    reply_full(&n, 2, LDNS_RCODE_NOERROR,
               (const char *const[]){"b.example.com. 60 IN A 192.0.2.2", NULL}, NULL, false);
    assert_int_equal(vx__res_upstream(n.res, 1)->rtt.srtt_ms, 10);
    /* Now upstream 1 (10 ms) beats 0 (150 ms) and 2 (unmeasured). */
    submit(&n, names[2], LDNS_RR_TYPE_A);
    assert_int_equal(n.sends[n.nsends - 1].upstream, 1);
    net_teardown(&n);
}

/* ---- dead upstreams ------------------------------------------------------------------------- */

/* Makes upstream 0 (the only one) time out until it is marked down. Returns when it is. */
static void kill_upstream0(net *n)
{
    for (int i = 0; i < 10 && !vx__res_upstream(n->res, 0)->down; i++) {
        submit(n, "dead.example.com", LDNS_RR_TYPE_A);
        advance(n, vx__res_deadline(n->res));
        while (vx__res_deadline(n->res) != UINT64_MAX && !vx__res_upstream(n->res, 0)->down)
            advance(n, vx__res_deadline(n->res));
    }
    assert_true(vx__res_upstream(n->res, 0)->down);
}

/* Hedging rescues every lookup from a dead first choice, whose attempts are then cancelled
 * before they can time out: being slower than its hedging delay still counts against it, so
 * the next lookup starts elsewhere. */
static void test_hedge_rescue_moves_selection(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 2, false);
    prime_cache(&n); /* upstream 0: 20 ms; upstream 1 unmeasured */
    submit(&n, "a.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.sends[1].upstream, 0);
    advance(&n, 80); /* hedged at 20 + 60 */
    assert_int_equal(n.sends[2].upstream, 1);
    advance(&n, 110);
    reply_full(&n, 2, LDNS_RCODE_NOERROR,
               (const char *const[]){"a.example.com. 60 IN A 192.0.2.1", NULL}, NULL, false);
    assert_result(&n, 1, VX_OK, VX__SRC_NETWORK);
    const vx__upstream *u0 = vx__res_upstream(n.res, 0);
    assert_int_equal(u0->consecutive_timeouts, 0); /* it never timed out... */
    assert_int_equal(u0->failures, 1);             /* ...but it was slow */
    assert_true(vx__upstream_score(u0) > vx__upstream_score(vx__res_upstream(n.res, 1)));
    submit(&n, "b.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.sends[3].upstream, 1);
    net_teardown(&n);
}

static void test_backoff_and_reprobe(void **state)
{
    net n;
    const vx__upstream *u0;
    (void)state;
    /* A lone upstream that stops answering: down at the client response timer of the first
     * lookup, which it let time out twice (at 400 and 1200 ms), the first over a second
     * before (vx__upstream_on_silent_lookup). */
    net_setup(&n, 1, false);
    kill_upstream0(&n);
    u0 = vx__res_upstream(n.res, 0);
    assert_int_equal(u0->consecutive_timeouts, VX__SILENT_DOWN_AFTER);
    uint64_t down_at = n.now;
    assert_int_equal(down_at, 1800);
    assert_int_equal(u0->retry_at, down_at + VX__BACKOFF_BASE_MS);
    advance(&n, vx__res_deadline(n.res) == UINT64_MAX ? n.now : vx__res_deadline(n.res));
    advance(&n, n.now + 6000); /* let pending lookups end (their refresh probes it once) */
    uint64_t t = n.now > u0->retry_at ? n.now : u0->retry_at;
    unsigned probes = u0->down_probes;

    /* Past the backoff, a query is a probe; it fails: the backoff doubles. */
    advance(&n, t);
    size_t s0 = n.nsends;
    submit(&n, "probe.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, s0 + 1);
    assert_true(u0->probing);
    advance(&n, n.now + vx__upstream_attempt_timeout(u0));
    assert_false(u0->probing);
    assert_true(u0->down);
    assert_int_equal(u0->down_probes, probes + 1);
    assert_int_equal(u0->retry_at, n.now + ((uint64_t)VX__BACKOFF_BASE_MS << (probes + 1)));
    advance(&n, n.now + 6000);

    /* The next probe is answered: the upstream is up again. */
    s0 = n.nsends;
    submit(&n, "probe2.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, s0 + 1);
    assert_true(u0->probing);
    advance(&n, n.now + 15);
    reply_full(&n, s0, LDNS_RCODE_NOERROR,
               (const char *const[]){"probe2.example.com. 60 IN A 192.0.2.9", NULL}, NULL, false);
    assert_false(u0->down);
    assert_int_equal(u0->consecutive_timeouts, 0);
    assert_int_equal(n.results[n.nresults - 1].source, VX__SRC_NETWORK);
    net_teardown(&n);
}

/* A down upstream is skipped while up ones exist, and probed in parallel once due. */
static void test_down_skipped_then_probed(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 2, false);
    vx__upstream *u0 = (vx__upstream *)vx__res_upstream(n.res, 0);
    for (unsigned i = 0; i < VX__DOWN_AFTER; i++)
        vx__upstream_on_timeout(u0, i * VX__DOWN_MIN_SPAN_MS / 2, false);
    assert_true(u0->down);
    assert_int_equal(u0->retry_at, VX__DOWN_MIN_SPAN_MS + VX__BACKOFF_BASE_MS);
    submit(&n, "x.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, 1);
    assert_int_equal(n.sends[0].upstream, 1);
    reply_full(&n, 0, LDNS_RCODE_NOERROR, NULL,
               (const char *const[]){"example.com. 60 IN SOA ns. h. 1 2 3 4 60", NULL}, false);
    advance(&n, VX__DOWN_MIN_SPAN_MS + VX__BACKOFF_BASE_MS - 1);
    submit(&n, "w.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, 2); /* not yet due */
    reply_full(&n, 1, LDNS_RCODE_NOERROR, NULL,
               (const char *const[]){"example.com. 60 IN SOA ns. h. 1 2 3 4 60", NULL}, false);
    advance(&n, VX__DOWN_MIN_SPAN_MS + VX__BACKOFF_BASE_MS);
    size_t s0 = n.nsends;
    submit(&n, "y.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, s0 + 2); /* the normal query, and a probe copy beside it */
    assert_int_equal(n.sends[s0].upstream, 1);
    assert_int_equal(n.sends[s0 + 1].upstream, 0);
    vx__res_stats st;
    vx__res_get_stats(n.res, &st);
    assert_int_equal(st.probes, 1);
    net_teardown(&n);
}

/* ---- RFC 8767 ------------------------------------------------------------------------------- */

/* Cached at 20 ms with TTL 300: expired from 300020 ms on. */
#define EXPIRED_AT 300020u

static void test_stale_at_client_timer(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, false);
    prime_cache(&n);
    advance(&n, EXPIRED_AT + 1000);
    size_t s0 = n.nsends;
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, s0 + 1); /* a refresh is attempted */
    assert_int_equal(n.nresults, 1);
    advance(&n, EXPIRED_AT + 1000 + 1799);
    assert_int_equal(n.nresults, 1);
    advance(&n, EXPIRED_AT + 1000 + 1800);
    assert_result(&n, 1, VX_OK, VX__SRC_STALE);
    assert_int_equal(n.result_at[1], EXPIRED_AT + 1000 + 1800);
    assert_int_equal(first_ttl(&n, 1), 30); /* stale TTL */
    /* The refresh goes on and succeeds: the cache is fresh again, no second result. */
    advance(&n, EXPIRED_AT + 1000 + 2000);
    reply_a(&n, n.nsends - 1);
    assert_int_equal(n.nresults, 2);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_result(&n, 2, VX_OK, VX__SRC_CACHE);
    net_teardown(&n);
}

static void test_stale_at_once_when_all_down(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, false);
    prime_cache(&n);
    advance(&n, EXPIRED_AT);
    kill_upstream0(&n);
    advance(&n, n.now + 100000); /* finish everything; the upstream stays "down" */
    size_t r0 = n.nresults, s0 = n.nsends;
    uint64_t t = n.now;
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nresults, r0 + 1);
    assert_result(&n, r0, VX_OK, VX__SRC_STALE);
    assert_int_equal(n.result_at[r0], t); /* at once, not after 1.8 s */
    assert_int_equal(first_ttl(&n, r0), 30);
    assert_int_equal(n.nsends, s0 + 1); /* backoff long past: a probe goes with it */
    net_teardown(&n);
}

static void test_max_stale_age(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, false);
    prime_cache(&n);
    uint64_t day = 24ull * 3600 * 1000;
    advance(&n, EXPIRED_AT + day - 5000); /* still inside the stale window */
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    advance(&n, n.now + 1800);
    assert_result(&n, 1, VX_OK, VX__SRC_STALE);
    advance(&n, EXPIRED_AT + day + 40000); /* past it (and past the failure recheck) */
    /* The upstream went down during the first refresh; its re-probe is due, so this lookup
     * asks it, and with nothing to serve and nobody else to ask, fails at the client timer. */
    assert_true(vx__res_upstream(n.res, 0)->down);
    uint64_t t = n.now;
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_true(vx__res_upstream(n.res, 0)->probing);
    advance(&n, t + 1799);
    assert_int_equal(n.nresults, 2);
    advance(&n, t + 1800);
    assert_result(&n, 2, VX_ETIMEDOUT, VX__SRC_NONE);
    assert_null(n.results[2].answer);
    net_teardown(&n);
}

static void test_failure_recheck(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 2, false);
    prime_cache(&n);
    advance(&n, EXPIRED_AT);
    /* A refresh where both upstreams answer SERVFAIL: stale at once when the last fails. */
    size_t s0 = n.nsends;
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    reply_full(&n, s0, LDNS_RCODE_SERVFAIL, NULL, NULL, false);
    assert_int_equal(n.nsends, s0 + 2); /* failed over at once, no hedging delay */
    reply_full(&n, s0 + 1, LDNS_RCODE_SERVFAIL, NULL, NULL, false);
    assert_result(&n, 1, VX_OK, VX__SRC_STALE);
    assert_int_equal(n.result_at[1], EXPIRED_AT);
    /* For 30 s the name is answered stale without asking anyone. */
    advance(&n, EXPIRED_AT + 29999);
    s0 = n.nsends;
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_result(&n, 2, VX_OK, VX__SRC_STALE);
    assert_int_equal(n.nsends, s0);
    /* Then upstreams are tried again. */
    advance(&n, EXPIRED_AT + 30000);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, s0 + 1);
    assert_int_equal(n.nresults, 3);
    net_teardown(&n);
}

/* ---- negative caching ----------------------------------------------------------------------- */

static const char *const soa_min60[] = {"example.com. 3600 IN SOA ns.example.com. "
                                        "hostmaster.example.com. 1 7200 900 1209600 60",
                                        NULL};

static void test_negative_caching_soa_minimum(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, false);
    submit(&n, "nope.example.com", LDNS_RR_TYPE_A);
    reply_full(&n, 0, LDNS_RCODE_NXDOMAIN, NULL, soa_min60, false);
    assert_result(&n, 0, VX_OK, VX__SRC_NETWORK);
    assert_int_equal(n.results[0].rcode, LDNS_RCODE_NXDOMAIN);
    advance(&n, 59999);
    submit(&n, "nope.example.com", LDNS_RR_TYPE_A);
    assert_result(&n, 1, VX_OK, VX__SRC_CACHE);
    assert_int_equal(n.results[1].rcode, LDNS_RCODE_NXDOMAIN);
    assert_int_equal(n.nsends, 1);
    /* min(SOA TTL 3600, MINIMUM 60) = 60 s; expired negative data is never served stale. */
    advance(&n, 60000);
    submit(&n, "nope.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, 2);
    advance(&n, 60000 + 1800); /* the client timer passes: no stale negative answer */
    assert_true(n.nresults == 2 || n.results[2].source == VX__SRC_NONE);
    advance(&n, 70000);
    assert_result(&n, 2, VX_ETIMEDOUT, VX__SRC_NONE);
    /* NODATA is cached the same way; a negative answer without an SOA is not. The upstream
     * is down by now: each lookup probes it. */
    advance(&n, 200000);
    size_t s0 = n.nsends;
    submit(&n, "sip.example.com", LDNS_RR_TYPE_AAAA);
    assert_int_equal(n.nsends, s0 + 1);
    reply_full(&n, s0, LDNS_RCODE_NOERROR, NULL, soa_min60, false);
    assert_result(&n, 3, VX_OK, VX__SRC_NETWORK);
    submit(&n, "nosoa.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, s0 + 2);
    reply_full(&n, s0 + 1, LDNS_RCODE_NXDOMAIN, NULL, NULL, false);
    assert_result(&n, 4, VX_OK, VX__SRC_NETWORK);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_AAAA);
    assert_int_equal(n.nsends, s0 + 2);
    assert_result(&n, 5, VX_OK, VX__SRC_CACHE);
    assert_int_equal(n.results[5].rcode, LDNS_RCODE_NOERROR);
    assert_int_equal(ldns_rr_list_rr_count(n.results[5].answer), 0);
    submit(&n, "nosoa.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nsends, s0 + 3);
    net_teardown(&n);
}

/* ---- static fallback ------------------------------------------------------------------------ */

static void add_static(net *n)
{
    vx__static_cache *sc;
    char err[128];
    const char *text = "sip.example.com. 120 IN A 198.51.100.7\n"
                       "nope.example.com. 120 IN A 198.51.100.8\n";
    assert_int_equal(vx__static_new(&sc), VX_OK);
    assert_int_equal(vx__static_parse(sc, VX__STATIC_VOXDNS, text, strlen(text), err, sizeof(err)),
                     VX_OK);
    vx__res_set_static(n->res, sc);
}

static void test_static_fallback(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 2, false);
    add_static(&n);
    /* Nothing answers: the static entry at the client response timer. */
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    advance(&n, 1799);
    assert_int_equal(n.nresults, 0);
    advance(&n, 1800);
    assert_result(&n, 0, VX_OK, VX__SRC_STATIC);
    assert_int_equal(first_ttl(&n, 0), 120);
    advance(&n, 10000);
    assert_int_equal(n.nresults, 1);
    /* DNS says NXDOMAIN: a configured static entry still wins ("DNS gives nothing"). */
    size_t s0 = n.nsends;
    submit(&n, "nope.example.com", LDNS_RR_TYPE_A);
    reply_full(&n, s0, LDNS_RCODE_NXDOMAIN, NULL, soa_min60, false);
    assert_result(&n, 1, VX_OK, VX__SRC_STATIC);
    /* Without a static entry, a failure is a failure. */
    advance(&n, 200000);
    submit(&n, "other.example.com", LDNS_RR_TYPE_A);
    advance(&n, 205000);
    assert_result(&n, 2, VX_ETIMEDOUT, VX__SRC_NONE);
    net_teardown(&n);
}

/* RFC 8767 §5 "known down" reached at the first client response timer: a lone upstream that
 * stays silent is declared down there, so the next steps of a location (SRV, A after NAPTR)
 * answer from the static cache at once, and a name without a static entry fails at once
 * instead of waiting for a long shot; after the backoff a lookup carries the re-probe. */
static void test_known_down_at_first_client_timer(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, false);
    add_static(&n);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A); /* attempts at 0, 400, 1200 */
    advance(&n, 1799);
    assert_false(vx__res_upstream(n.res, 0)->down);
    advance(&n, 1800);
    assert_result(&n, 0, VX_OK, VX__SRC_STATIC);
    assert_true(vx__res_upstream(n.res, 0)->down);
    size_t s0 = n.nsends;
    submit(&n, "nope.example.com", LDNS_RR_TYPE_A);
    assert_result(&n, 1, VX_OK, VX__SRC_STATIC);
    assert_int_equal(n.result_at[1], 1800);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_AAAA); /* no static entry */
    assert_result(&n, 2, VX_ETIMEDOUT, VX__SRC_NONE);
    assert_int_equal(n.result_at[2], 1800);
    assert_int_equal(n.nsends, s0); /* nobody asked inside the backoff */
    /* The first lookup goes on to refresh the cache: once the backoff is over, its next
     * attempt is the re-probe, which fails and doubles the backoff. */
    const vx__upstream *u0 = vx__res_upstream(n.res, 0);
    advance(&n, 1800 + VX__BACKOFF_BASE_MS);
    assert_int_equal(n.nsends, s0 + 1);
    assert_true(u0->probing);
    advance(&n, n.now + VX__RTO_MAX_MS); /* its timeout, backed off to the cap */
    assert_false(u0->probing);
    assert_int_equal(u0->down_probes, 1);
    advance(&n, u0->retry_at);
    assert_true(vx__upstream_probe_due(u0, n.now));
    assert_int_equal(vx__res_deadline(n.res), UINT64_MAX); /* nothing pending */
    /* A lookup with nothing local waits on the next re-probe... */
    submit(&n, "other.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(n.nresults, 3);
    assert_true(vx__res_upstream(n.res, 0)->probing);
    /* ...which is answered: the upstream is back, the answer is the result. */
    advance(&n, n.now + 30);
    reply_full(&n, n.nsends - 1, LDNS_RCODE_NOERROR,
               (const char *const[]){"other.example.com. 60 IN A 192.0.2.30", NULL}, NULL, false);
    assert_result(&n, 3, VX_OK, VX__SRC_NETWORK);
    assert_false(vx__res_upstream(n.res, 0)->down);
    net_teardown(&n);
}

/* A slow upstream is not a dead one: answered after two timeouts but before the client timer,
 * it stays up; and an upstream that answers a lookup after that lookup's client timer was
 * reached is not declared down by it. */
static void test_slow_upstream_not_declared_down(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, false);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    advance(&n, 1500);
    assert_int_equal(n.nsends, 3);
    assert_int_equal(vx__res_upstream(n.res, 0)->consecutive_timeouts, 2);
    reply_a(&n, 2); /* the third attempt (sent at 1200) answers */
    assert_result(&n, 0, VX_OK, VX__SRC_NETWORK);
    advance(&n, 5000);
    assert_false(vx__res_upstream(n.res, 0)->down);
    /* Two lookups; the upstream answers the second one 1.7 s in, just before the first one's
     * client timer: a live upstream, whatever the first lookup saw. */
    submit(&n, "a.example.com", LDNS_RR_TYPE_A);
    size_t s0 = n.nsends;
    advance(&n, 5100);
    submit(&n, "b.example.com", LDNS_RR_TYPE_A);
    size_t s1 = n.nsends - 1;
    assert_true(s1 >= s0);
    advance(&n, 6700);
    reply_full(&n, s1, LDNS_RCODE_NOERROR,
               (const char *const[]){"b.example.com. 60 IN A 192.0.2.31", NULL}, NULL, false);
    advance(&n, 6800); /* a.example.com's client timer */
    assert_false(vx__res_upstream(n.res, 0)->down);
    net_teardown(&n);
}

static void test_static_first(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, true);
    add_static(&n);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_result(&n, 0, VX_OK, VX__SRC_STATIC);
    assert_int_equal(n.nsends, 0);
    /* Names the static cache does not know still go to DNS. */
    submit(&n, "sip.example.com", LDNS_RR_TYPE_AAAA);
    assert_int_equal(n.nsends, 1);
    net_teardown(&n);
}

/* ---- transport details and robustness -------------------------------------------------------- */

static void test_truncated_retries_over_tcp(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 1, false);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    assert_false(n.sends[0].tcp);
    reply_full(&n, 0, LDNS_RCODE_NOERROR, NULL, NULL, true);
    assert_int_equal(n.nsends, 2);
    assert_true(n.sends[1].tcp);
    assert_int_equal(n.sends[1].upstream, 0);
    assert_int_equal(n.nresults, 0);
    reply_a(&n, 1);
    assert_result(&n, 0, VX_OK, VX__SRC_NETWORK);
    net_teardown(&n);
}

static void test_spoofed_responses_dropped(void **state)
{
    net n;
    vx__res_stats st;
    (void)state;
    net_setup(&n, 2, false);
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    /* Right id, wrong upstream; garbage; the query itself (QR clear): all dropped. */
    vx__res_on_response(n.res, 0, 1, n.sends[0].wire, n.sends[0].len);
    vx__res_on_response(n.res, 0, 0, (const uint8_t *)"\x10\x00", 2);
    vx__res_on_response(n.res, 0, 0, n.sends[0].wire, n.sends[0].len);
    drain(&n);
    /* Right id and upstream, another question. */
    n.sends[1] = n.sends[0];
    n.nsends = 2;
    vx__question other;
    assert_int_equal(vx__question_from_text("evil.example.com", 1, 1, &other), VX_OK);
    assert_int_equal(vx__wire_build_query(&other, n.sends[0].id, VX__Q_RD, n.sends[1].wire,
                                          sizeof(n.sends[1].wire), &n.sends[1].len),
                     VX_OK);
    reply_full(&n, 1, LDNS_RCODE_NOERROR,
               (const char *const[]){"evil.example.com. 60 IN A 203.0.113.66", NULL}, NULL, false);
    vx__res_get_stats(n.res, &st);
    assert_int_equal(st.dropped, 4);
    assert_int_equal(n.nresults, 0);
    reply_a(&n, 0);
    assert_result(&n, 0, VX_OK, VX__SRC_NETWORK);
    net_teardown(&n);
}

static void test_cancel_and_send_error(void **state)
{
    net n;
    (void)state;
    net_setup(&n, 2, false);
    uint64_t h = submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    vx__res_cancel(n.res, 0, h);
    drain(&n);
    assert_int_equal(n.ncancels, 1);
    assert_int_equal(vx__res_deadline(n.res), UINT64_MAX);
    advance(&n, 10000);
    assert_int_equal(n.nresults, 0);
    /* ICMP unreachable from upstream 0: failover at once to upstream 1. */
    submit(&n, "sip.example.com", LDNS_RR_TYPE_A);
    size_t s = n.nsends - 1;
    vx__res_on_send_error(n.res, n.now, n.sends[s].upstream, n.sends[s].id, VX_EREFUSED);
    drain(&n);
    assert_int_equal(n.nsends, s + 2);
    assert_int_not_equal(n.sends[s + 1].upstream, n.sends[s].upstream);
    assert_int_equal(n.sends[s + 1].at, 10000);
    net_teardown(&n);
}

static void test_limits(void **state)
{
    vx__res_opts o;
    vx__res *res;
    vx__question q;
    uint64_t h;
    (void)state;
    vx__res_opts_default(&o);
    assert_int_equal(vx__res_new(&o, &res), VX_EINVAL); /* no random source */
    net n;
    net_setup(&n, 0, false);
    assert_int_equal(vx__question_from_text("a.example", 1, 1, &q), VX_OK);
    assert_int_equal(vx__res_submit(n.res, 0, &q, &h), VX_EINVAL); /* no upstream */
    net_teardown(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network_then_cache),
        cmocka_unit_test(test_failover_silent_first),
        cmocka_unit_test(test_hedging_slow_first),
        cmocka_unit_test(test_selection_by_srtt),
        cmocka_unit_test(test_hedge_rescue_moves_selection),
        cmocka_unit_test(test_backoff_and_reprobe),
        cmocka_unit_test(test_down_skipped_then_probed),
        cmocka_unit_test(test_stale_at_client_timer),
        cmocka_unit_test(test_stale_at_once_when_all_down),
        cmocka_unit_test(test_max_stale_age),
        cmocka_unit_test(test_failure_recheck),
        cmocka_unit_test(test_negative_caching_soa_minimum),
        cmocka_unit_test(test_static_fallback),
        cmocka_unit_test(test_known_down_at_first_client_timer),
        cmocka_unit_test(test_slow_upstream_not_declared_down),
        cmocka_unit_test(test_static_first),
        cmocka_unit_test(test_truncated_retries_over_tcp),
        cmocka_unit_test(test_spoofed_responses_dropped),
        cmocka_unit_test(test_cancel_and_send_error),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
