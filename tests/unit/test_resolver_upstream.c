/*
 * tests/unit/test_resolver_upstream.c — upstream health (resolver/upstream.c): scores from SRTT
 * and failure history, the hedging delay and its clamps, down marking after consecutive
 * timeouts or at a silent lookup's client timer, exponential re-probe backoff and its cap, revival,
 * "all down", the set limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "resolver/upstream.h"
#include "voxdns/status.h"

static vx__upstream *fresh(vx__upstream_set *set)
{
    unsigned idx;
    assert_int_equal(vx__upstream_add(set, NULL, false, &idx), VX_OK);
    return &set->v[idx];
}

static void test_score_and_failures(void **state)
{
    vx__upstream_set set;
    (void)state;
    vx__upstream_set_init(&set);
    vx__upstream *u = fresh(&set);
    assert_int_equal(vx__upstream_score(u), VX__SCORE_UNMEASURED_MS);
    vx__upstream_on_response(u, 40, true);
    assert_int_equal(vx__upstream_score(u), 40);
    vx__upstream_on_response(u, 40, false); /* SERVFAIL: alive but failing */
    assert_int_equal(vx__upstream_score(u), 40 + VX__SCORE_FAILURE_MS);
    vx__upstream_on_timeout(u, 0, false);
    assert_int_equal(u->failures, 2);
    vx__upstream_on_response(u, 40, true); /* successes halve the history */
    assert_int_equal(u->failures, 1);
    vx__upstream_on_response(u, 40, true);
    assert_int_equal(u->failures, 0);
}

static void test_hedge_delay(void **state)
{
    vx__upstream_set set;
    (void)state;
    vx__upstream_set_init(&set);
    vx__upstream *u = fresh(&set);
    assert_int_equal(vx__upstream_hedge_delay(u), VX__HEDGE_UNMEASURED_MS);
    vx__upstream_on_response(u, 100, true); /* SRTT 100, RTTVAR 50 */
    assert_int_equal(vx__upstream_hedge_delay(u), 300);
    vx__upstream *fast = fresh(&set);
    vx__upstream_on_response(fast, 2, true); /* 2 + 4 = 6 → floor */
    assert_int_equal(vx__upstream_hedge_delay(fast), VX__HEDGE_FLOOR_MS);
    vx__upstream *slow = fresh(&set);
    vx__upstream_on_response(slow, 900, true); /* 900 + 1800 → cap */
    assert_int_equal(vx__upstream_hedge_delay(slow), VX__HEDGE_CAP_MS);
    /* The attempt timeout has a floor the hedge does not: fast upstreams are hedged early
     * and counted as failed later. */
    assert_int_equal(vx__upstream_attempt_timeout(fast), VX__TIMEOUT_FLOOR_MS);
    /* A timeout backs the attempt timeout off but leaves the hedging delay alone. */
    assert_int_equal(vx__upstream_attempt_timeout(u), 300);
    vx__upstream_on_timeout(u, 0, false);
    assert_int_equal(vx__upstream_attempt_timeout(u), 600);
    assert_int_equal(vx__upstream_hedge_delay(u), 300);
    vx__upstream_on_slow(fast);
    assert_int_equal(vx__upstream_score(fast), 2 + VX__SCORE_FAILURE_MS);
}

static void test_down_backoff_revive(void **state)
{
    vx__upstream_set set;
    (void)state;
    vx__upstream_set_init(&set);
    vx__upstream *u = fresh(&set);
    for (unsigned i = 0; i + 1 < VX__DOWN_AFTER; i++)
        vx__upstream_on_timeout(u, 100, false);
    assert_true(vx__upstream_is_up(u));
    vx__upstream_on_response(u, 30, true); /* consecutive means consecutive */
    for (unsigned i = 0; i + 1 < VX__DOWN_AFTER; i++)
        vx__upstream_on_timeout(u, 100, false);
    vx__upstream_on_error(u, 100 + VX__DOWN_MIN_SPAN_MS - 1, false);
    assert_true(vx__upstream_is_up(u)); /* a sub-second blip does not kill it */
    vx__upstream_on_error(u, 1100, false);
    assert_false(vx__upstream_is_up(u));
    assert_true(vx__upstream_all_down(&set));
    assert_int_equal(u->retry_at, 1100 + VX__BACKOFF_BASE_MS);
    assert_false(vx__upstream_probe_due(u, 2099));
    assert_true(vx__upstream_probe_due(u, 2100));

    /* Failed probes double the backoff up to the cap; stray failures change nothing. */
    uint64_t now = 2100, expect = VX__BACKOFF_BASE_MS;
    for (int i = 0; i < 10; i++) {
        vx__upstream_on_probe_sent(u);
        assert_false(vx__upstream_probe_due(u, now + 1000000)); /* one probe at a time */
        vx__upstream_on_timeout(u, now, false);                 /* not the probe */
        assert_true(u->probing);
        vx__upstream_on_timeout(u, now, true);
        expect = expect * 2 > VX__BACKOFF_MAX_MS ? VX__BACKOFF_MAX_MS : expect * 2;
        assert_int_equal(u->retry_at, now + expect);
        now = u->retry_at;
    }
    assert_int_equal(expect, VX__BACKOFF_MAX_MS);
    vx__upstream_on_probe_sent(u);
    vx__upstream_on_response(u, 25, true);
    assert_true(vx__upstream_is_up(u));
    assert_false(u->probing);
    assert_int_equal(u->down_probes, 0);
    assert_false(vx__upstream_all_down(&set));
}

/* The quicker road to "down": a lookup's client response timer with the upstream silent
 * through at least two timeouts spread over a second or more. */
static void test_down_on_silent_lookup(void **state)
{
    vx__upstream_set set;
    (void)state;
    vx__upstream_set_init(&set);
    vx__upstream *u = fresh(&set);
    assert_false(vx__upstream_on_silent_lookup(u, 1800)); /* never timed out: just slow */
    vx__upstream_on_timeout(u, 400, false);
    assert_false(vx__upstream_on_silent_lookup(u, 1800)); /* one timeout is not a pattern */
    vx__upstream_on_timeout(u, 1200, false);
    assert_false(vx__upstream_on_silent_lookup(u, 400 + VX__DOWN_MIN_SPAN_MS - 1));
    assert_true(vx__upstream_is_up(u)); /* a sub-second blip still does not kill it */
    /* Anything heard from it in between starts the count again. */
    vx__upstream_on_response(u, 900, true);
    assert_false(vx__upstream_on_silent_lookup(u, 1800));
    vx__upstream_on_timeout(u, 2000, false);
    vx__upstream_on_error(u, 2500, false);
    assert_false(vx__upstream_on_silent_lookup(u, 2999));
    assert_true(vx__upstream_on_silent_lookup(u, 3000));
    assert_false(vx__upstream_is_up(u));
    assert_int_equal(u->consecutive_timeouts, VX__SILENT_DOWN_AFTER);
    assert_int_equal(u->retry_at, 3000 + VX__BACKOFF_BASE_MS);
    assert_false(vx__upstream_on_silent_lookup(u, 3500)); /* already down: backoff unchanged */
    assert_int_equal(u->retry_at, 3000 + VX__BACKOFF_BASE_MS);
}

static void test_set_limit(void **state)
{
    vx__upstream_set set;
    unsigned idx;
    (void)state;
    vx__upstream_set_init(&set);
    assert_true(vx__upstream_all_down(&set)); /* nobody to ask counts as down */
    for (unsigned i = 0; i < VX__UPSTREAM_MAX; i++)
        assert_int_equal(vx__upstream_add(&set, NULL, i % 2 == 1, &idx), VX_OK);
    assert_int_equal(idx, VX__UPSTREAM_MAX - 1);
    assert_true(set.v[1].tcp);
    assert_int_equal(vx__upstream_add(&set, NULL, false, &idx), VX_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_and_failures),  cmocka_unit_test(test_hedge_delay),
        cmocka_unit_test(test_down_backoff_revive), cmocka_unit_test(test_down_on_silent_lookup),
        cmocka_unit_test(test_set_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
