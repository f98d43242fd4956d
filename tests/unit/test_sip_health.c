/*
 * tests/unit/test_sip_health.c — the target health table (sip/health.c) on a virtual clock:
 * the first hold, doubling only for a failure after the hold ended, the 15-minute cap,
 * failures while held, a 503's Retry-After, forgetting, success clearing a target, registrar
 * affinity per URI and its end on failure, custom times, and a full table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "sip/health.h"
#include "voxdns/status.h"
#include "wire/addr.h"

static struct sockaddr_storage addr_of(const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(vx__addr_parse(text, 5060, &ss, &len), VX_OK);
    return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static vx__sip_health *table(void)
{
    vx__sip_health *h = NULL;
    assert_int_equal(vx__sip_health_new(0, 0, &h), VX_OK);
    return h;
}

static void test_first_hold_is_30s(void **state)
{
    (void)state;
    vx__sip_health *h = table();
    struct sockaddr_storage a = addr_of("192.0.2.10");
    uint64_t until = 0;
    assert_false(vx__sip_health_held(h, VX__SIP_UDP, SA(a), 1000, NULL));
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 1000, 0), 31000);
    assert_true(vx__sip_health_held(h, VX__SIP_UDP, SA(a), 30999, &until));
    assert_int_equal(until, 31000);
    assert_false(vx__sip_health_held(h, VX__SIP_UDP, SA(a), 31000, &until));
    assert_int_equal(until, 0);
    /* another transport or port is another target */
    struct sockaddr_storage other_port = addr_of("192.0.2.10:5070");
    assert_false(vx__sip_health_held(h, VX__SIP_TCP, SA(a), 2000, NULL));
    assert_false(vx__sip_health_held(h, VX__SIP_UDP, SA(other_port), 2000, NULL));
    vx__sip_health_free(h);
}

static void test_doubling_and_cap(void **state)
{
    (void)state;
    vx__sip_health *h = table();
    struct sockaddr_storage a = addr_of("192.0.2.10");
    uint64_t now = 0;
    const uint64_t want[] = {30000, 60000, 120000, 240000, 480000, 900000, 900000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint64_t until = vx__sip_health_failed(h, VX__SIP_TLS, SA(a), now, 0);
        assert_int_equal(until - now, want[i]);
        now = until + 5000; /* the retry after the hold fails again */
    }
    vx__sip_health_free(h);
}

static void test_failures_while_held_do_not_double(void **state)
{
    (void)state;
    vx__sip_health *h = table();
    struct sockaddr_storage a = addr_of("192.0.2.10");
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 0, 0), 30000);
    /* three transactions to the same target time out together */
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 100, 0), 30000);
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 200, 0), 30000);
    /* the retry after the hold: only the second strike */
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 30000, 0), 90000);
    vx__sip_health_free(h);
}

static void test_retry_after_hint(void **state)
{
    (void)state;
    vx__sip_health *h = table();
    struct sockaddr_storage a = addr_of("192.0.2.10");
    /* a 503 with Retry-After: 120 */
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_TCP, SA(a), 0, 120000), 120000);
    /* a shorter hint while held changes nothing; a longer one extends the hold */
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_TCP, SA(a), 1000, 5000), 120000);
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_TCP, SA(a), 2000, 300000), 302000);
    /* a hint beyond the cap is capped */
    struct sockaddr_storage b = addr_of("192.0.2.11");
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_TCP, SA(b), 0, 3600000), 900000);
    vx__sip_health_free(h);
}

static void test_history_forgotten(void **state)
{
    (void)state;
    vx__sip_health *h = table();
    struct sockaddr_storage a = addr_of("192.0.2.10");
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 0, 0), 30000);
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 30000, 0), 90000);
    /* 15 minutes after the hold ended, a failure starts at the first hold again */
    uint64_t later = 90000 + 900000;
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), later, 0), later + 30000);
    vx__sip_health_free(h);
}

static void test_success_clears(void **state)
{
    (void)state;
    vx__sip_health *h = table();
    struct sockaddr_storage a = addr_of("192.0.2.10");
    vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 0, 0);
    vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 30000, 0); /* second strike: 60 s */
    vx__sip_health_succeeded(h, NULL, VX__SIP_UDP, SA(a), 40000);
    assert_false(vx__sip_health_held(h, VX__SIP_UDP, SA(a), 40000, NULL));
    /* the strikes are gone too */
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 50000, 0), 80000);
    vx__sip_health_free(h);
}

static void test_affinity(void **state)
{
    (void)state;
    vx__sip_health *h = table();
    struct sockaddr_storage a = addr_of("192.0.2.10"), b = addr_of("[2001:db8::20]:5061");
    struct sockaddr_storage got;
    vx__sip_transport t;
    assert_false(vx__sip_health_preferred(h, "sip:example.com", &t, &got));
    vx__sip_health_succeeded(h, "sip:example.com", VX__SIP_UDP, SA(a), 10);
    vx__sip_health_succeeded(h, "sips:example.com", VX__SIP_TLS, SA(b), 20);
    assert_true(vx__sip_health_preferred(h, "SIP:Example.com", &t, &got));
    assert_int_equal(t, VX__SIP_UDP);
    assert_true(vx__addr_equal(SA(got), SA(a)));
    assert_true(vx__sip_health_preferred(h, "sips:example.com", &t, &got));
    assert_int_equal(t, VX__SIP_TLS);
    assert_true(vx__addr_equal(SA(got), SA(b)));
    /* a later success for the same URI moves the preference */
    vx__sip_health_succeeded(h, "sip:example.com", VX__SIP_UDP, SA(b), 30);
    assert_true(vx__sip_health_preferred(h, "sip:example.com", &t, &got));
    assert_true(vx__addr_equal(SA(got), SA(b)));
    /* the preferred target fails: no preference any more, for any URI pointing at it over
     * that transport; the TLS one stays */
    vx__sip_health_failed(h, VX__SIP_UDP, SA(b), 40, 0);
    assert_false(vx__sip_health_preferred(h, "sip:example.com", &t, &got));
    assert_true(vx__sip_health_preferred(h, "sips:example.com", &t, &got));
    vx__sip_health_free(h);
}

static void test_custom_times(void **state)
{
    (void)state;
    vx__sip_health *h = NULL;
    assert_int_equal(vx__sip_health_new(2000, 1000, &h), VX_EINVAL);
    assert_int_equal(vx__sip_health_new(1000, 5000, &h), VX_OK);
    struct sockaddr_storage a = addr_of("192.0.2.10");
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 0, 0), 1000);
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 1000, 0), 3000);
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 3000, 0), 7000);
    assert_int_equal(vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 7000, 0), 12000);
    vx__sip_health_free(h);
}

static void test_table_full(void **state)
{
    (void)state;
    vx__sip_health *h = table();
    char text[64];
    struct sockaddr_storage first = addr_of("198.51.100.0");
    vx__sip_health_failed(h, VX__SIP_UDP, SA(first), 0, 0);
    for (unsigned i = 1; i <= VX__SIP_HEALTH_MAX; i++) {
        snprintf(text, sizeof text, "198.51.%u.%u", 100 + i / 256, i % 256);
        struct sockaddr_storage a = addr_of(text);
        vx__sip_health_failed(h, VX__SIP_UDP, SA(a), 1000 + i, 0);
    }
    /* the entry whose hold ended first made room; the newest ones are all held */
    assert_false(vx__sip_health_held(h, VX__SIP_UDP, SA(first), 2000, NULL));
    struct sockaddr_storage last = addr_of("198.51.101.0");
    assert_true(vx__sip_health_held(h, VX__SIP_UDP, SA(last), 2000, NULL));
    vx__sip_health_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_hold_is_30s),
        cmocka_unit_test(test_doubling_and_cap),
        cmocka_unit_test(test_failures_while_held_do_not_double),
        cmocka_unit_test(test_retry_after_hint),
        cmocka_unit_test(test_history_forgotten),
        cmocka_unit_test(test_success_clears),
        cmocka_unit_test(test_affinity),
        cmocka_unit_test(test_custom_times),
        cmocka_unit_test(test_table_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
