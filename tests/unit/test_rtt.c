/*
 * tests/unit/test_rtt.c — the pure RTT module (net/rtt.c): the default retry plan, budget
 * trimming, RFC 6298 smoothing, clamps, backoff and its reset, the attempt limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/rtt.h"

static uint32_t plan_sum(const vx__rtt *r, unsigned max_attempts, uint32_t budget, unsigned *n)
{
    uint32_t sum = 0;
    unsigned i = 0;

    for (uint32_t t; (t = vx__rtt_attempt_timeout(r, i, max_attempts, budget)) != 0; i++)
        sum += t;
    *n = i;
    return sum;
}

/* The promise of the engine header: a silent server is given up within 3 s by default. */
static void test_default_plan(void **state)
{
    vx__rtt r;
    unsigned n;

    (void)state;
    vx__rtt_init(&r);
    assert_int_equal(vx__rtt_rto(&r), 400);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, VX__RETRY_ATTEMPTS, VX__RETRY_BUDGET_MS), 400);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 1, VX__RETRY_ATTEMPTS, VX__RETRY_BUDGET_MS), 800);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 2, VX__RETRY_ATTEMPTS, VX__RETRY_BUDGET_MS), 1600);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 3, VX__RETRY_ATTEMPTS, VX__RETRY_BUDGET_MS), 0);
    assert_int_equal(plan_sum(&r, VX__RETRY_ATTEMPTS, VX__RETRY_BUDGET_MS, &n), 2800);
    assert_int_equal(n, 3);
}

static void test_budget_trims_last_attempt(void **state)
{
    vx__rtt r;
    unsigned n;

    (void)state;
    vx__rtt_init(&r);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, 3, 1000), 400);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 1, 3, 1000), 600);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 2, 3, 1000), 0);
    assert_int_equal(plan_sum(&r, 3, 1000, &n), 1000);
    assert_int_equal(n, 2);

    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, 3, 300), 300);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 1, 3, 300), 0);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, 3, 0), 0);
}

/* Many attempts: each is capped at VX__RTO_MAX_MS and the sum never passes the budget. */
static void test_plan_caps_each_attempt(void **state)
{
    vx__rtt r;
    unsigned n;

    (void)state;
    vx__rtt_init(&r);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 3, 7, 20000), 2000);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 6, 7, 20000), 2000);
    assert_int_equal(plan_sum(&r, 7, 20000, &n), 400 + 800 + 1600 + 4 * 2000);
    assert_int_equal(n, 7);
    assert_int_equal(plan_sum(&r, 7, 5000, &n), 5000);
    assert_int_equal(n, 5); /* 400 + 800 + 1600 + 2000, then 2000 trimmed to 200 */
}

static void test_first_sample(void **state)
{
    vx__rtt r;

    (void)state;
    vx__rtt_init(&r);
    vx__rtt_sample(&r, 100);
    assert_true(r.measured);
    assert_int_equal(r.srtt_ms, 100);
    assert_int_equal(r.rttvar_ms, 50);
    assert_int_equal(vx__rtt_rto(&r), 100 + 4 * 50);
}

/* Second sample 200 after 100: rttvar = 3/4*50 + 1/4*100 = 62.5 -> 63, srtt = 7/8*100 +
 * 1/8*200 = 112.5 -> 113 (steps round away from zero); rto = 113 + 4*63 = 365. */
static void test_smoothing(void **state)
{
    vx__rtt r;

    (void)state;
    vx__rtt_init(&r);
    vx__rtt_sample(&r, 100);
    vx__rtt_sample(&r, 200);
    assert_int_equal(r.rttvar_ms, 63);
    assert_int_equal(r.srtt_ms, 113);
    assert_int_equal(vx__rtt_rto(&r), 365);

    /* Many equal samples converge exactly: srtt to the sample, rttvar to 0. */
    for (int i = 0; i < 200; i++)
        vx__rtt_sample(&r, 120);
    assert_int_equal(r.srtt_ms, 120);
    assert_int_equal(r.rttvar_ms, 0);
    /* The variance term never drops below the 10 ms granularity. */
    assert_int_equal(vx__rtt_rto(&r), 130);
}

static void test_min_clamp(void **state)
{
    vx__rtt r;

    (void)state;
    vx__rtt_init(&r);
    vx__rtt_sample(&r, 1); /* loopback */
    assert_int_equal(vx__rtt_rto(&r), VX__RTO_MIN_MS);
    vx__rtt_sample(&r, 0);
    assert_int_equal(vx__rtt_rto(&r), VX__RTO_MIN_MS);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, 3, 3000), 50);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 1, 3, 3000), 100);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 2, 3, 3000), 200);
}

static void test_max_clamp(void **state)
{
    vx__rtt r;

    (void)state;
    vx__rtt_init(&r);
    vx__rtt_sample(&r, 1500);
    assert_int_equal(vx__rtt_rto(&r), VX__RTO_MAX_MS); /* 1500 + 3000 */
    vx__rtt_sample(&r, UINT32_MAX);                    /* no overflow */
    assert_int_equal(vx__rtt_rto(&r), VX__RTO_MAX_MS);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, 3, 3000), 2000);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 1, 3, 3000), 1000);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 2, 3, 3000), 0);
}

static void test_backoff_and_reset(void **state)
{
    vx__rtt r;

    (void)state;
    vx__rtt_init(&r);
    vx__rtt_backoff(&r);
    assert_int_equal(vx__rtt_rto(&r), 800);
    vx__rtt_backoff(&r);
    assert_int_equal(vx__rtt_rto(&r), 1600);
    vx__rtt_backoff(&r);
    assert_int_equal(vx__rtt_rto(&r), 2000);
    vx__rtt_backoff(&r);
    assert_int_equal(vx__rtt_rto(&r), 2000);
    assert_false(r.measured);
    /* A backed-off server's plan starts from the backed-off RTO. */
    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, 3, 3000), 2000);

    /* A sample resets the backoff: the RTO is computed from the estimates again. */
    vx__rtt_sample(&r, 40);
    assert_int_equal(vx__rtt_rto(&r), 40 + 4 * 20);
    vx__rtt_backoff(&r);
    assert_int_equal(vx__rtt_rto(&r), 240);
    vx__rtt_sample(&r, 40);
    /* rttvar = 3/4*20 + 1/4*0 = 15, srtt = 40: 40 + 4*15. */
    assert_int_equal(vx__rtt_rto(&r), 100);
}

static void test_max_attempts(void **state)
{
    vx__rtt r;
    unsigned n;

    (void)state;
    vx__rtt_init(&r);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, 0, 3000), 0);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 0, 1, 3000), 400);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 1, 1, 3000), 0);
    assert_int_equal(plan_sum(&r, 2, 3000, &n), 1200);
    assert_int_equal(n, 2);
    assert_int_equal(vx__rtt_attempt_timeout(&r, 100, 3, 3000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_plan),
        cmocka_unit_test(test_budget_trims_last_attempt),
        cmocka_unit_test(test_plan_caps_each_attempt),
        cmocka_unit_test(test_first_sample),
        cmocka_unit_test(test_smoothing),
        cmocka_unit_test(test_min_clamp),
        cmocka_unit_test(test_max_clamp),
        cmocka_unit_test(test_backoff_and_reset),
        cmocka_unit_test(test_max_attempts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
