/*
 * tests/unit/test_check_providers.c — check/providers.c: declarations, serial schemes, the
 * inferred and declared grouping (registrable domain, split by MNAME), dual-primary inference
 * and how SOA-SERIAL-MISMATCH follows it.
 */
#include "check_fixture.h"

#include "check/providers.h"

#define NOW 1700000000ull

static const char *const UNIX_SOA[] = {
    "example.com. 3600 IN SOA ns2.dns-b.org. hostmaster.example.com. 1699999000 7200 3600 "
    "1209600 3600",
    NULL,
};
static const char *const UNIX_SOA_LATER[] = {
    "example.com. 3600 IN SOA ns2.dns-b.org. hostmaster.example.com. 1699999500 7200 3600 "
    "1209600 3600",
    NULL,
};
static const char *const DATE_SOA_OTHER[] = {
    "example.com. 3600 IN SOA ns2.dns-b.org. hostmaster.example.com. 2023111401 7200 3600 "
    "1209600 3600",
    NULL,
};

static void config(vx__check_config *cfg, int dual)
{
    vx__check_config_default(cfg);
    cfg->now_s = NOW;
    cfg->dual_primary = dual;
}

static vx__findings run(const vx__snapshot *s, const vx__check_config *cfg)
{
    vx__findings f = {0};
    assert_int_equal(vx__run_checks(s, cfg, &f), VX_OK);
    return f;
}

static void test_decl_parse(void **state)
{
    (void)state;
    char err[256];
    vx__provider_decl d;
    assert_int_equal(vx__provider_decl_parse("prov-b=NS1.Dns-B.org,198.51.100.1,2001:db8::1", &d,
                                             err, sizeof err),
                     VX_OK);
    assert_string_equal(d.name, "prov-b");
    assert_int_equal(d.ns_count, 3);
    assert_string_equal(d.ns[0], "ns1.dns-b.org.");
    assert_string_equal(d.ns[1], "198.51.100.1");
    assert_string_equal(d.ns[2], "2001:db8::1");
    vx__provider_decl_clear(&d);
    const char *bad[] = {"=ns1.x.net", "p=", "p", "p q=ns1.x.net", "p=ns1..x.net", NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(vx__provider_decl_parse(bad[i], &d, err, sizeof err), VX_EINVAL);
        assert_true(err[0] != '\0');
        assert_null(d.name);
    }
}

static void test_serial_schemes(void **state)
{
    (void)state;
    assert_int_equal(vx__serial_scheme_of(2026112201u, NOW), VX__SERIAL_DATE);
    assert_int_equal(vx__serial_scheme_of(1699999000u, NOW), VX__SERIAL_UNIXTIME);
    assert_int_equal(vx__serial_scheme_of(42u, NOW), VX__SERIAL_COUNTER);
    assert_int_equal(vx__serial_scheme_of(2024013299u, NOW), VX__SERIAL_COUNTER); /* day 32 */
    /* Without a clock nothing reads as Unix time. */
    assert_int_equal(vx__serial_scheme_of(1699999000u, 0), VX__SERIAL_COUNTER);
    assert_string_equal(vx__serial_scheme_name(VX__SERIAL_UNIXTIME), "Unix time");
}

static void test_inferred_by_registrable_domain(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__check_config cfg;
    config(&cfg, VX__DUAL_AUTO);
    vx__provider_map m;
    assert_int_equal(vx__providers_build(s, &cfg, &m), VX_OK);
    assert_int_equal(m.count, 2);
    assert_string_equal(vx__provider_of(&m, 0), "dns-a.net");
    assert_string_equal(vx__provider_of(&m, 1), "dns-a.net");
    assert_string_equal(vx__provider_of(&m, 3), "dns-b.org");
    assert_int_equal(m.items[1].servers, 2);
    assert_true(m.items[0].has_serial && m.items[0].consistent);
    assert_int_equal(m.items[0].serial, 2024010101u);
    assert_false(m.dual_primary);
    assert_string_equal(vx__provider_of(&m, 9), "");
    vx__providers_free(&m);
    fx_free(s);
}

static void test_declared(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    char err[128];
    vx__provider_decl d;
    assert_int_equal(
        vx__provider_decl_parse("anycast=ns1.dns-a.net,198.51.100.1", &d, err, sizeof err), VX_OK);
    vx__check_config cfg;
    config(&cfg, VX__DUAL_AUTO);
    cfg.providers = &d;
    cfg.provider_count = 1;
    vx__provider_map m;
    assert_int_equal(vx__providers_build(s, &cfg, &m), VX_OK);
    /* ns1 (both addresses) and 198.51.100.1 declared; 2001:db8:b::1 is left to inference. */
    assert_int_equal(m.count, 2);
    assert_string_equal(vx__provider_of(&m, 0), "anycast");
    assert_string_equal(vx__provider_of(&m, 2), "anycast");
    assert_true(m.items[0].declared);
    assert_string_equal(vx__provider_of(&m, 3), "dns-b.org");
    assert_false(m.items[1].declared);
    vx__providers_free(&m);
    vx__provider_decl_clear(&d);
    fx_free(s);
}

/* Two servers under one registrable domain with different primaries are two providers. */
static void test_split_by_mname(void **state)
{
    (void)state;
    static const char *const OTHER_MNAME[] = {
        "example.com. 3600 IN SOA ns9.dns-a.net. hostmaster.example.com. 2024010101 7200 3600 "
        "1209600 3600",
        NULL,
    };
    const char **other = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, OTHER_MNAME);
    vx__snapshot *s = fx_new(FX_D, "generic");
    fx_server(s, "ns1.dns-a.net.", "192.0.2.1");
    fx_server(s, "ns2.dns-a.net.", "192.0.2.2");
    fx_server_probes(s, 0, FX_ZONE);
    fx_server_probes(s, 1, other);
    vx__check_config cfg;
    config(&cfg, VX__DUAL_AUTO);
    vx__provider_map m;
    assert_int_equal(vx__providers_build(s, &cfg, &m), VX_OK);
    assert_int_equal(m.count, 2);
    assert_string_equal(vx__provider_of(&m, 0), "dns-a.net (primary ns1.dns-a.net)");
    assert_string_equal(vx__provider_of(&m, 1), "dns-a.net (primary ns9.dns-a.net)");
    vx__providers_free(&m);
    fx_free(s);
    fx_zone_free(other);
}

/* Provider B numbers by Unix time, A by date: dual primaries, no serial finding. */
static void test_dual_inferred(void **state)
{
    (void)state;
    const char **b = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, UNIX_SOA);
    const char *const *zones[] = {FX_ZONE, FX_ZONE, b, b};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    vx__check_config cfg;
    config(&cfg, VX__DUAL_AUTO);
    vx__provider_map m;
    assert_int_equal(vx__providers_build(s, &cfg, &m), VX_OK);
    assert_true(m.dual_primary);
    fx_contains(m.dual_why, "dns-a.net date 2024010101, dns-b.org Unix time 1699999000");
    vx__providers_free(&m);
    vx__findings f = run(s, &cfg);
    assert_int_equal(fx_count(&f, "SOA-SERIAL-MISMATCH"), 0);
    assert_int_equal(fx_count(&f, "RRSET-INCONSISTENT"), 0);
    vx__findings_clear(&f);
    /* Declared off: the serials are compared across providers again. */
    config(&cfg, VX__DUAL_NO);
    f = run(s, &cfg);
    assert_int_equal(fx_count(&f, "SOA-SERIAL-MISMATCH"), 1);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(b);
}

/* One scheme, two values: a lagging copy, not dual primaries. */
static void test_same_scheme_is_not_dual(void **state)
{
    (void)state;
    const char **b = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, DATE_SOA_OTHER);
    const char *const *zones[] = {FX_ZONE, FX_ZONE, b, b};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    vx__check_config cfg;
    config(&cfg, VX__DUAL_AUTO);
    vx__findings f = run(s, &cfg);
    assert_int_equal(fx_count(&f, "SOA-SERIAL-MISMATCH"), 1);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(b);
}

/* Declared dual primaries: a lagging server inside provider B is still reported, by provider. */
static void test_dual_declared_lag_within_provider(void **state)
{
    (void)state;
    const char **b1 = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, UNIX_SOA);
    const char **b2 = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, UNIX_SOA_LATER);
    const char *const *zones[] = {FX_ZONE, FX_ZONE, b1, b2};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    vx__check_config cfg;
    config(&cfg, VX__DUAL_AUTO);
    vx__provider_map m;
    assert_int_equal(vx__providers_build(s, &cfg, &m), VX_OK);
    assert_false(m.dual_primary); /* B is not internally consistent: nothing inferred */
    vx__providers_free(&m);
    config(&cfg, VX__DUAL_YES);
    vx__findings f = run(s, &cfg);
    const vx__finding *x = fx_one(&f, "SOA-SERIAL-MISMATCH");
    assert_string_equal(x->message,
                        "the servers of example.com at provider dns-b.org serve different SOA "
                        "serials: serial 1699999000 on ns2.dns-b.org/198.51.100.1; serial "
                        "1699999500 on ns2.dns-b.org/2001:db8:b::1");
    assert_int_equal(x->server_count, 2);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(b1);
    fx_zone_free(b2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decl_parse),
        cmocka_unit_test(test_serial_schemes),
        cmocka_unit_test(test_inferred_by_registrable_domain),
        cmocka_unit_test(test_declared),
        cmocka_unit_test(test_split_by_mname),
        cmocka_unit_test(test_dual_inferred),
        cmocka_unit_test(test_same_scheme_is_not_dual),
        cmocka_unit_test(test_dual_declared_lag_within_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
