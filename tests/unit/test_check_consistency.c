/*
 * tests/unit/test_check_consistency.c — comparisons between authoritative addresses: a
 * lagging secondary (serials), a hijacked record (which servers hold which data), the same
 * data with another TTL, and SOA timers outside sane ranges.
 */
#include "check_fixture.h"

static void test_healthy(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f = fx_run_generic(s);
    const char *ids[] = {"SOA-SERIAL-MISMATCH", "RRSET-INCONSISTENT", "TTL-INCONSISTENT",
                         "SOA-TIMERS"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(fx_count(&f, ids[i]), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static const char *const OLD_SOA[] = {
    "example.com. 3600 IN SOA ns1.dns-a.net. hostmaster.example.com. 2024010100 7200 3600 "
    "1209600 3600",
    NULL,
};

static void test_serial_mismatch(void **state)
{
    (void)state;
    const char **stale = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, OLD_SOA);
    const char *const *zones[] = {FX_ZONE, FX_ZONE, stale, stale};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "SOA-SERIAL-MISMATCH");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message,
                        "the servers of example.com serve different SOA serials: serial "
                        "2024010101 on ns1.dns-a.net/192.0.2.1, ns1.dns-a.net/2001:db8:a::1; "
                        "serial 2024010100 on ns2.dns-b.org/198.51.100.1, "
                        "ns2.dns-b.org/2001:db8:b::1");
    assert_int_equal(x->server_count, 4);
    /* The SOA is not also reported as inconsistent data. */
    assert_int_equal(fx_count(&f, "RRSET-INCONSISTENT"), 0);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(stale);
}

static const char *const HIJACK[] = {"sip1.example.com. 3600 IN A 203.0.113.66", NULL};

static void test_rrset_inconsistent(void **state)
{
    (void)state;
    const char **bad = fx_zone_edit(FX_ZONE, "sip1.example.com.", LDNS_RR_TYPE_A, HIJACK);
    const char *const *zones[] = {FX_ZONE, FX_ZONE, bad, FX_ZONE};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "RRSET-INCONSISTENT");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message,
                        "sip1.example.com A differs between authoritative servers: [192.0.2.10] "
                        "on ns1.dns-a.net/192.0.2.1, ns1.dns-a.net/2001:db8:a::1, "
                        "ns2.dns-b.org/2001:db8:b::1; [203.0.113.66] on "
                        "ns2.dns-b.org/198.51.100.1");
    assert_true(fx_has_name(x, "sip1.example.com A"));
    assert_int_equal(x->server_count, 4);
    /* Same serial: a hijack or an edited copy, not a lagging secondary. */
    assert_int_equal(fx_count(&f, "SOA-SERIAL-MISMATCH"), 0);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(bad);
}

/* A record missing on one server is inconsistent data too. */
static void test_rrset_missing_on_one(void **state)
{
    (void)state;
    const char **bad = fx_zone_edit(FX_ZONE, "_sip._udp.example.com.", 0, NULL);
    const char *const *zones[] = {FX_ZONE, bad, FX_ZONE, FX_ZONE};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "RRSET-INCONSISTENT");
    fx_contains(x->message, "_sip._udp.example.com SRV differs");
    fx_contains(x->message, "[NXDOMAIN] on ns1.dns-a.net/2001:db8:a::1");
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(bad);
}

static const char *const SHORTER[] = {
    "example.com. 1800 IN NAPTR 10 10 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.com.",
    "example.com. 1800 IN NAPTR 20 10 \"s\" \"SIP+D2T\" \"\" _sip._tcp.example.com.",
    "example.com. 1800 IN NAPTR 30 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
    NULL,
};

static void test_ttl_inconsistent(void **state)
{
    (void)state;
    const char **z = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_NAPTR, SHORTER);
    const char *const *zones[] = {FX_ZONE, FX_ZONE, z, FX_ZONE};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "TTL-INCONSISTENT");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    fx_contains(x->message, "example.com NAPTR has the same data but different TTLs: ");
    fx_contains(x->message, "TTL 3600 on ns1.dns-a.net/192.0.2.1");
    fx_contains(x->message, "TTL 1800 on ns2.dns-b.org/198.51.100.1");
    assert_int_equal(fx_count(&f, "RRSET-INCONSISTENT"), 0);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

static const char *const BAD_TIMERS[] = {
    "example.com. 3600 IN SOA ns1.dns-a.net. hostmaster.example.com. 2024010101 300 600 "
    "86400 3600",
    NULL,
};

static void test_soa_timers(void **state)
{
    (void)state;
    const char **z = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, BAD_TIMERS);
    vx__snapshot *s = fx_healthy_zone("generic", z);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "SOA-TIMERS");
    assert_int_equal(x->severity, VX__SEV_NOTICE);
    fx_contains(x->message, "SOA of example.com: expire 86400 s is below 604800 s");
    fx_contains(x->message, "refresh 300 s is outside 1200-86400 s");
    fx_contains(x->message, "retry 600 s is not below refresh");
    assert_true(fx_has_name(x, "example.com"));
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_serial_mismatch),
        cmocka_unit_test(test_rrset_inconsistent),
        cmocka_unit_test(test_rrset_missing_on_one),
        cmocka_unit_test(test_ttl_inconsistent),
        cmocka_unit_test(test_soa_timers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
