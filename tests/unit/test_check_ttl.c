/*
 * tests/unit/test_check_ttl.c — TTL checks (short NS/NAPTR/SRV/target TTLs, long SIP-chain
 * TTLs) and the outage-survival model: uniform cache ages, product over the chain's RRsets.
 */
#include <math.h>

#include "check_fixture.h"

static void test_healthy(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f;
    fx_run(s, "generic", &f);
    assert_int_equal(fx_count(&f, "TTL-TOO-SHORT"), 0);
    assert_int_equal(fx_count(&f, "TTL-TOO-LONG"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static const char *const SHORT_A[] = {"sip1.example.com. 60 IN A 192.0.2.10", NULL};
static const char *const LONG_SRV[] = {
    "_sip._udp.example.com. 172800 IN SRV 10 50 5060 sip1.example.com.",
    "_sip._udp.example.com. 172800 IN SRV 10 50 5060 sip2.example.com.",
    NULL,
};

static void test_too_short_and_too_long(void **state)
{
    (void)state;
    const char **z1 = fx_zone_edit(FX_ZONE, "sip1.example.com.", LDNS_RR_TYPE_A, SHORT_A);
    const char **z = fx_zone_edit((const char *const *)z1, "_sip._udp.example.com.", 0, LONG_SRV);
    vx__snapshot *s = fx_healthy_zone("generic", z);
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_dump(&f);
    const vx__finding *x = fx_one(&f, "TTL-TOO-SHORT");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message, "sip1.example.com A has TTL 60 s, below 300 s: caches lose it "
                                    "within 60 s of a DNS outage");
    assert_true(fx_has_name(x, "sip1.example.com"));
    x = fx_one(&f, "TTL-TOO-LONG");
    assert_int_equal(x->severity, VX__SEV_NOTICE);
    fx_contains(x->message, "_sip._udp.example.com SRV has TTL 172800 s, above 86400 s");
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
    fx_zone_free(z1);
}

static const char *const SHORT_NS[] = {
    "example.com. 120 IN NS ns1.dns-a.net.",
    "example.com. 120 IN NS ns2.dns-b.org.",
    NULL,
};

static void test_short_ns_in_zone(void **state)
{
    (void)state;
    const char **z = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_NS, SHORT_NS);
    vx__snapshot *s = fx_healthy_zone("generic", z);
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_contains(fx_one(&f, "TTL-TOO-SHORT")->message, "example.com NS in the zone has TTL 120 s");
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

/* A chain of SRV + A without NAPTR, with given TTLs. */
static vx__snapshot *chain(uint32_t srv_ttl, uint32_t a_ttl)
{
    static char srv[128], a[128];
    snprintf(srv, sizeof srv, "_sip._udp.example.com. %u IN SRV 10 50 5060 sip1.example.com.",
             srv_ttl);
    snprintf(a, sizeof a, "sip1.example.com. %u IN A 192.0.2.10", a_ttl);
    const char *zone[] = {FX_ZONE[0], FX_ZONE[1], FX_ZONE[2], srv, a, NULL};
    return fx_healthy_zone("generic", zone);
}

/* SRV and A of 3600 s: two RRsets, each counted once. */
static void test_survival_two_rrsets(void **state)
{
    (void)state;
    vx__snapshot *s = chain(3600, 3600);
    vx__survival sv;
    assert_int_equal(vx__survival_compute(s, &sv), VX_OK);
    /* (1 - t/3600)^2 = 0.5 → t = 3600 (1 - 1/√2) ≈ 1054.4; = 0.1 → t ≈ 2461.6. */
    assert_true(fabs(sv.half_s - 3600 * (1 - 1 / sqrt(2))) < 0.5);
    assert_true(fabs(sv.ninety_s - 3600 * (1 - sqrt(0.1))) < 0.5);
    assert_int_equal(sv.min_ttl, 3600);
    assert_true(fabs(vx__survival_at(s, 1800) - 0.25) < 1e-9);
    assert_true(vx__survival_at(s, 3600) == 0);
    fx_free(s);
}

static void test_survival_dominated_by_short_ttl(void **state)
{
    (void)state;
    /* In effect one RRset: A 3600 s beside an SRV of 10^9 s. 1 - t/3600 = 0.5 → 1800,
     * = 0.1 → 3240. */
    vx__snapshot *s = chain(1000000000u, 3600);
    vx__survival sv;
    assert_int_equal(vx__survival_compute(s, &sv), VX_OK);
    assert_true(fabs(sv.half_s - 1800) < 1);
    assert_true(fabs(sv.ninety_s - 3240) < 1);
    assert_int_equal(sv.min_ttl, 3600);
    fx_free(s);
}

/* The healthy chain: NAPTR, three SRV RRsets and the A of the preferred target (sip1, the
 * same RRset for all three): five RRsets of 3600 s. */
static void test_survival_full_chain(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__survival sv;
    assert_int_equal(vx__survival_compute(s, &sv), VX_OK);
    double half = 3600 * (1 - pow(0.5, 1.0 / 5));
    assert_true(fabs(sv.half_s - half) < 0.5);
    assert_true(fabs(vx__survival_at(s, half) - 0.5) < 1e-6);
    fx_free(s);
    /* No chain at all. */
    const char *bare[] = {FX_ZONE[0], FX_ZONE[1], FX_ZONE[2], NULL};
    s = fx_healthy_zone("generic", bare);
    assert_int_equal(vx__survival_compute(s, &sv), VX_OK);
    assert_true(sv.half_s == -1 && sv.ninety_s == -1);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_too_short_and_too_long),
        cmocka_unit_test(test_short_ns_in_zone),
        cmocka_unit_test(test_survival_two_rrsets),
        cmocka_unit_test(test_survival_dominated_by_short_ttl),
        cmocka_unit_test(test_survival_full_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
