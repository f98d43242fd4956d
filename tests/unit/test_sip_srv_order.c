/*
 * tests/unit/test_sip_srv_order.c — RFC 2782 ordering: priorities ascending, the weighted
 * choice within a priority measured over 100 000 seeded draws (each share within 2 points of
 * the RFC's exact probability and of the plain weight share), weight-0 records (first in the
 * running sum, chosen with probability 1/(sum+1)), "." targets, the bounded draw, the PRNG.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sip/srv.h"
#include "voxdns/status.h"

#define DRAWS 100000

static vx__sip_srv rec(uint16_t prio, uint16_t weight, const char *target)
{
    return (vx__sip_srv){.priority = prio, .weight = weight, .port = 5060, .target = target};
}

static void test_priorities_ascending(void **state)
{
    (void)state;
    vx__sip_xorshift x;
    vx__sip_xorshift_seed(&x, 1);
    vx__sip_srv set[] = {rec(30, 5, "c1"),  rec(10, 50, "a1"), rec(20, 0, "b1"),
                         rec(10, 50, "a2"), rec(30, 5, "c2"),  rec(20, 0, "b2")};
    vx__sip_srv_order(set, 6, vx__sip_xorshift_next, &x);
    uint16_t want[] = {10, 10, 20, 20, 30, 30};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(set[i].priority, want[i]);
    /* all weights 0 within a priority: the running sum is 0, so the arrival order stays */
    assert_string_equal(set[2].target, "b1");
    assert_string_equal(set[3].target, "b2");
}

/* Shares of first place over DRAWS orderings of a fresh copy of in[0..n). */
static void first_place_shares(const vx__sip_srv *in, size_t n, uint64_t seed, double *share)
{
    vx__sip_xorshift x;
    vx__sip_srv set[8];
    unsigned long counts[8] = {0};
    vx__sip_xorshift_seed(&x, seed);
    for (int d = 0; d < DRAWS; d++) {
        memcpy(set, in, n * sizeof *set);
        vx__sip_srv_order(set, n, vx__sip_xorshift_next, &x);
        for (size_t i = 0; i < n; i++)
            if (set[0].target == in[i].target)
                counts[i]++;
    }
    for (size_t i = 0; i < n; i++)
        share[i] = (double)counts[i] / DRAWS;
}

static void test_weight_distribution(void **state)
{
    (void)state;
    const vx__sip_srv in[] = {rec(10, 10, "w10"), rec(10, 20, "w20"), rec(10, 30, "w30"),
                              rec(10, 40, "w40")};
    double share[4];
    first_place_shares(in, 4, 42, share);
    /* RFC 2782 exactly: r uniform in [0, 100]; the first record wins r in [0, 10]. */
    const double rfc[] = {11.0 / 101, 20.0 / 101, 30.0 / 101, 40.0 / 101};
    for (size_t i = 0; i < 4; i++) {
        double naive = in[i].weight / 100.0;
        if (share[i] < rfc[i] - 0.02 || share[i] > rfc[i] + 0.02)
            fail_msg("%s first %.4f, RFC probability %.4f", in[i].target, share[i], rfc[i]);
        if (share[i] < naive - 0.02 || share[i] > naive + 0.02)
            fail_msg("%s first %.4f, weight share %.4f", in[i].target, share[i], naive);
    }
}

/* Second place follows from the same rule applied to what is left. */
static void test_second_place(void **state)
{
    (void)state;
    const vx__sip_srv in[] = {rec(1, 60, "a"), rec(1, 30, "b"), rec(1, 10, "c")};
    vx__sip_xorshift x;
    vx__sip_srv set[3];
    unsigned long b_second_after_a = 0, a_first = 0;
    vx__sip_xorshift_seed(&x, 7);
    for (int d = 0; d < DRAWS; d++) {
        memcpy(set, in, sizeof set);
        vx__sip_srv_order(set, 3, vx__sip_xorshift_next, &x);
        if (set[0].target == in[0].target) {
            a_first++;
            b_second_after_a += set[1].target == in[1].target;
        }
    }
    /* Given a first, b wins r in [0, 30] of [0, 40]: 31/41. */
    double got = (double)b_second_after_a / (double)a_first;
    assert_true(got > 31.0 / 41 - 0.02 && got < 31.0 / 41 + 0.02);
}

static void test_weight_zero(void **state)
{
    (void)state;
    /* A weight-0 record is moved to the front of the running sum wherever it arrives, and
     * wins only when the draw is 0: 1 in 101 here. */
    const vx__sip_srv in[] = {rec(5, 50, "x"), rec(5, 0, "zero"), rec(5, 50, "y")};
    double share[3];
    first_place_shares(in, 3, 99, share);
    assert_true(share[1] > 0.004 && share[1] < 0.016);
    assert_true(share[0] > 0.47 && share[0] < 0.52);
    assert_true(share[2] > 0.47 && share[2] < 0.52);

    /* Most of the time it comes last of its priority, and never leaves it. */
    vx__sip_xorshift x;
    vx__sip_xorshift_seed(&x, 3);
    vx__sip_srv set[] = {rec(1, 0, "z"), rec(1, 1, "one"), rec(0, 0, "top")};
    vx__sip_srv_order(set, 3, vx__sip_xorshift_next, &x);
    assert_string_equal(set[0].target, "top");
}

/* A source that always draws 0: the first record of the running sum (weight 0 first). */
static uint32_t always_zero(void *ctx)
{
    (void)ctx;
    return 0;
}

static uint32_t always_max(void *ctx)
{
    (void)ctx;
    return UINT32_MAX;
}

static void test_deterministic_sources(void **state)
{
    (void)state;
    vx__sip_srv set[] = {rec(1, 10, "a"), rec(1, 20, "b"), rec(1, 0, "z")};
    vx__sip_srv_order(set, 3, always_zero, NULL);
    assert_string_equal(set[0].target, "z");
    assert_string_equal(set[1].target, "a");
    assert_string_equal(set[2].target, "b");
    vx__sip_srv set2[] = {rec(1, 10, "a"), rec(1, 20, "b"), rec(1, 0, "z")};
    /* UINT32_MAX mod 31 = 3: running sums z 0, a 10 → a; then mod 21 = 3 among z, b → b. */
    vx__sip_srv_order(set2, 3, always_max, NULL);
    assert_string_equal(set2[0].target, "a");
    assert_string_equal(set2[1].target, "b");
    assert_string_equal(set2[2].target, "z");
}

static void test_dot_target_ordered_like_others(void **state)
{
    (void)state;
    vx__sip_xorshift x;
    vx__sip_xorshift_seed(&x, 5);
    vx__sip_srv set[] = {rec(0, 0, ".")};
    vx__sip_srv_order(set, 1, vx__sip_xorshift_next, &x);
    assert_string_equal(set[0].target, ".");
    vx__sip_srv two[] = {rec(2, 0, "."), rec(1, 0, "sip.example.com.")};
    vx__sip_srv_order(two, 2, vx__sip_xorshift_next, &x);
    assert_string_equal(two[0].target, "sip.example.com.");
    assert_string_equal(two[1].target, ".");
    vx__sip_srv_order(NULL, 0, vx__sip_xorshift_next, &x); /* no crash */
}

static void test_random_upto(void **state)
{
    (void)state;
    vx__sip_xorshift x;
    vx__sip_xorshift_seed(&x, 11);
    unsigned long hist[3] = {0};
    for (int i = 0; i < 30000; i++) {
        uint32_t v = vx__sip_random_upto(vx__sip_xorshift_next, &x, 2);
        assert_true(v <= 2);
        hist[v]++;
    }
    for (int i = 0; i < 3; i++)
        assert_true(hist[i] > 9500 && hist[i] < 10500);
    assert_int_equal(vx__sip_random_upto(vx__sip_xorshift_next, &x, 0), 0);
    (void)vx__sip_random_upto(vx__sip_xorshift_next, &x, UINT32_MAX);
}

static void test_xorshift_seeded(void **state)
{
    (void)state;
    vx__sip_xorshift a, b, c;
    vx__sip_xorshift_seed(&a, 1234);
    vx__sip_xorshift_seed(&b, 1234);
    vx__sip_xorshift_seed(&c, 1235);
    bool differs = false;
    for (int i = 0; i < 100; i++) {
        uint32_t va = vx__sip_xorshift_next(&a);
        assert_int_equal(va, vx__sip_xorshift_next(&b));
        differs |= va != vx__sip_xorshift_next(&c);
    }
    assert_true(differs);
    vx__sip_xorshift_seed(&a, 0);
    assert_int_not_equal(a.state, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priorities_ascending),
        cmocka_unit_test(test_weight_distribution),
        cmocka_unit_test(test_second_place),
        cmocka_unit_test(test_weight_zero),
        cmocka_unit_test(test_deterministic_sources),
        cmocka_unit_test(test_dot_target_ordered_like_others),
        cmocka_unit_test(test_random_upto),
        cmocka_unit_test(test_xorshift_seeded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
