/*
 * tests/unit/test_check_sip.c — the SIP chain (RFC 3263, RFC 2782): nothing to locate,
 * incomplete/invalid/dangling NAPTR, no SRV at the domain, SRV targets without address, as
 * aliases, outside the domain (and the lync profile making that an error), single targets,
 * unusual ports, private addresses and internal names.
 */
#include "check_fixture.h"

static vx__findings run_zone(const char *const *zone, const char *profile, vx__snapshot **keep)
{
    vx__snapshot *s = fx_healthy_zone(profile, zone);
    vx__findings f;
    fx_run(s, profile, &f);
    fx_dump(&f);
    if (keep)
        *keep = s;
    else
        fx_free(s);
    return f;
}

/* zone = FX_ZONE without (owner, type), plus add. */
static vx__findings run_edit(const char *owner, uint16_t type, const char *const *add)
{
    const char **z = fx_zone_edit(FX_ZONE, owner, type, add);
    vx__findings f = run_zone(z, "generic", NULL);
    fx_zone_free(z);
    return f;
}

static const char *const SIP_IDS[] = {
    "SIP-NO-RECORDS",   "NAPTR-INCOMPLETE",           "NAPTR-INVALID",
    "NAPTR-DANGLING",   "SRV-MISSING-AT-DOMAIN",      "SRV-TARGET-NO-ADDRESS",
    "SRV-TARGET-CNAME", "SRV-TARGET-OUT-OF-DOMAIN",   "SRV-SINGLE-TARGET",
    "SRV-PORT-UNUSUAL", "SIP-TARGET-PRIVATE-ADDRESS", "SIP-TARGET-INTERNAL-NAME",
};

static void test_healthy(void **state)
{
    (void)state;
    vx__findings f = run_zone(FX_ZONE, "generic", NULL);
    for (size_t i = 0; i < sizeof SIP_IDS / sizeof SIP_IDS[0]; i++)
        assert_int_equal(fx_count(&f, SIP_IDS[i]), 0);
    vx__findings_clear(&f);
}

static const char *const BARE[] = {
    "example.com. 3600 IN SOA ns1.dns-a.net. hostmaster.example.com. 2024010101 7200 3600 "
    "1209600 3600",
    "example.com. 3600 IN NS ns1.dns-a.net.",
    "example.com. 3600 IN NS ns2.dns-b.org.",
    NULL,
};

static void test_no_records(void **state)
{
    (void)state;
    vx__findings f = run_zone(BARE, "generic", NULL);
    const vx__finding *x = fx_one(&f, "SIP-NO-RECORDS");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "example.com has no SIP NAPTR, no SRV at _sip._udp, _sip._tcp or "
                            "_sips._tcp and no address");
    assert_true(fx_has_name(x, "example.com"));
    vx__findings_clear(&f);
}

static const char *const NAPTR_UDP_ONLY[] = {
    "example.com. 3600 IN NAPTR 30 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
    NULL,
};

static void test_naptr_incomplete(void **state)
{
    (void)state;
    vx__findings f = run_edit(FX_D, LDNS_RR_TYPE_NAPTR, NAPTR_UDP_ONLY);
    const vx__finding *x = fx_one(&f, "NAPTR-INCOMPLETE");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    fx_contains(x->message, "the NAPTR records of example.com lack SIP+D2T, SIPS+D2T");
    vx__findings_clear(&f);
}

static const char *const NAPTR_BAD[] = {
    "example.com. 3600 IN NAPTR 10 10 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.com.",
    "example.com. 3600 IN NAPTR 20 10 \"s\" \"SIP+D2T\" \"\" _sip._tcp.example.com.",
    "example.com. 3600 IN NAPTR 30 10 \"u\" \"SIP+D2U\" \"!^.*$!sip:x@example.com!\" .",
    /* Not SIP: not judged. */
    "example.com. 3600 IN NAPTR 40 10 \"u\" \"E2U+email\" \"!^.*$!mailto:x@example.com!\" .",
    NULL,
};

static void test_naptr_invalid(void **state)
{
    (void)state;
    vx__findings f = run_edit(FX_D, LDNS_RR_TYPE_NAPTR, NAPTR_BAD);
    const vx__finding *x = fx_one(&f, "NAPTR-INVALID");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "30 10 \"u\" \"SIP+D2U\"");
    fx_contains(x->message, "flag \"u\" instead of \"s\"");
    fx_contains(x->message, "a regexp \"!^.*$!sip:x@example.com!\" (must be empty)");
    fx_contains(x->message, "replacement . is not an SRV name");
    assert_true(fx_has_name(x, "example.com"));
    vx__findings_clear(&f);
}

static const char *const NAPTR_DANGLING[] = {
    "example.com. 3600 IN NAPTR 10 10 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.com.",
    "example.com. 3600 IN NAPTR 20 10 \"s\" \"SIP+D2T\" \"\" _sip._tcp.example.com.",
    "example.com. 3600 IN NAPTR 30 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.voice.example.com.",
    NULL,
};

static void test_naptr_dangling(void **state)
{
    (void)state;
    vx__snapshot *s;
    const char **z = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_NAPTR, NAPTR_DANGLING);
    s = fx_healthy_zone("generic", z);
    /* The collector asks the replacement of every live server. */
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_data(s, i, VX__UDP, "_sip._udp.voice.example.com.", LDNS_RR_TYPE_SRV, z);
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_dump(&f);
    const vx__finding *x = fx_one(&f, "NAPTR-DANGLING");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message, "the SIP+D2U NAPTR points to _sip._udp.voice.example.com, "
                                    "which has no SRV records (NXDOMAIN)");
    assert_true(fx_has_name(x, "_sip._udp.voice.example.com"));
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

static const char *const ONLY_NAPTR_ELSEWHERE[] = {
    "example.com. 3600 IN SOA ns1.dns-a.net. hostmaster.example.com. 2024010101 7200 3600 "
    "1209600 3600",
    "example.com. 3600 IN NS ns1.dns-a.net.",
    "example.com. 3600 IN NS ns2.dns-b.org.",
    "example.com. 3600 IN NAPTR 10 10 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.voice.example.com.",
    "example.com. 3600 IN NAPTR 20 10 \"s\" \"SIP+D2T\" \"\" _sip._tcp.voice.example.com.",
    "example.com. 3600 IN NAPTR 30 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.voice.example.com.",
    "_sips._tcp.voice.example.com. 3600 IN SRV 10 50 5061 sip1.example.com.",
    "_sip._tcp.voice.example.com. 3600 IN SRV 10 50 5060 sip1.example.com.",
    "_sip._udp.voice.example.com. 3600 IN SRV 10 50 5060 sip1.example.com.",
    "_sips._tcp.voice.example.com. 3600 IN SRV 10 50 5061 sip2.example.com.",
    "_sip._tcp.voice.example.com. 3600 IN SRV 10 50 5060 sip2.example.com.",
    "_sip._udp.voice.example.com. 3600 IN SRV 10 50 5060 sip2.example.com.",
    "sip1.example.com. 3600 IN A 192.0.2.10",
    "sip2.example.com. 3600 IN A 198.51.100.10",
    NULL,
};

static void test_srv_missing_at_domain(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy_zone("generic", ONLY_NAPTR_ELSEWHERE);
    const char *repl[] = {"_sip._udp.voice.example.com.", "_sip._tcp.voice.example.com.",
                          "_sips._tcp.voice.example.com."};
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        for (int k = 0; k < 3; k++)
            fx_data(s, i, VX__UDP, repl[k], LDNS_RR_TYPE_SRV, ONLY_NAPTR_ELSEWHERE);
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_dump(&f);
    const vx__finding *x = fx_one(&f, "SRV-MISSING-AT-DOMAIN");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    fx_contains(x->message, "example.com has SIP NAPTR records but no SRV at _sip._udp, "
                            "_sip._tcp or _sips._tcp.example.com");
    assert_true(fx_has_name(x, "_sips._tcp.example.com"));
    assert_int_equal(fx_count(&f, "NAPTR-DANGLING"), 0);
    assert_int_equal(fx_count(&f, "SIP-NO-RECORDS"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_target_no_address(void **state)
{
    (void)state;
    vx__findings f = run_edit("sip2.example.com.", 0, NULL);
    const vx__finding *x = fx_one(&f, "SRV-TARGET-NO-ADDRESS");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message,
                        "the SRV target sip2.example.com (of _sip._udp.example.com, "
                        "_sip._tcp.example.com, _sips._tcp.example.com) has no A or AAAA "
                        "(A: NXDOMAIN, AAAA: NXDOMAIN)");
    assert_true(fx_has_name(x, "sip2.example.com"));
    assert_true(fx_has_name(x, "_sips._tcp.example.com"));
    vx__findings_clear(&f);
}

static const char *const SIP2_ALIAS[] = {
    "sip2.example.com. 3600 IN CNAME host7.example.com.",
    "host7.example.com. 3600 IN A 198.51.100.10",
    NULL,
};

static void test_target_cname(void **state)
{
    (void)state;
    vx__findings f = run_edit("sip2.example.com.", 0, SIP2_ALIAS);
    const vx__finding *x = fx_one(&f, "SRV-TARGET-CNAME");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "the SRV target sip2.example.com (of ");
    fx_contains(x->message, "is an alias (CNAME to host7.example.com)");
    /* The alias resolves: no "no address" on top. */
    assert_int_equal(fx_count(&f, "SRV-TARGET-NO-ADDRESS"), 0);
    vx__findings_clear(&f);
}

static const char *const OUT_OF_DOMAIN[] = {
    "_sip._udp.example.com. 3600 IN SRV 10 50 5060 sip1.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 10 50 5060 sbc.carrier.net.",
    NULL,
};

static void test_target_out_of_domain(void **state)
{
    (void)state;
    const char **z = fx_zone_edit(FX_ZONE, "_sip._udp.example.com.", 0, OUT_OF_DOMAIN);
    vx__snapshot *s = fx_healthy_zone("generic", z);
    /* An out-of-zone target is resolved by a walk. */
    vx__observation *o = fx_obs(s, VX__PROBE_RESOLVE, "ns.carrier.net.", "203.0.113.7", VX__UDP,
                                "sbc.carrier.net.", LDNS_RR_TYPE_A);
    fx_add(o, VX__SECTION_ANSWER, "sbc.carrier.net. 600 IN A 203.0.113.80");
    o = fx_obs(s, VX__PROBE_RESOLVE, "ns.carrier.net.", "203.0.113.7", VX__UDP, "sbc.carrier.net.",
               LDNS_RR_TYPE_AAAA);
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_dump(&f);
    const vx__finding *x = fx_one(&f, "SRV-TARGET-OUT-OF-DOMAIN");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message, "the SRV target sbc.carrier.net (of _sip._udp.example.com) is "
                                    "outside the SIP domain example.com");
    assert_true(fx_has_name(x, "sbc.carrier.net"));
    assert_int_equal(fx_count(&f, "SRV-TARGET-NO-ADDRESS"), 0);
    vx__findings_clear(&f);
    /* The lync profile makes it an error (clients refuse the target). */
    fx_run(s, "lync", &f);
    assert_int_equal(fx_one(&f, "SRV-TARGET-OUT-OF-DOMAIN")->severity, VX__SEV_ERROR);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

static const char *const ONE_HOST[] = {
    "_sip._udp.example.com. 3600 IN SRV 10 50 5060 sip1.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 20 50 5070 sip1.example.com.",
    NULL,
};

static const char *const SAME_ADDR[] = {
    "sip1.example.com. 3600 IN A 192.0.2.10",
    "sip2.example.com. 3600 IN A 192.0.2.10",
    NULL,
};

static void test_single_target(void **state)
{
    (void)state;
    vx__findings f = run_edit("_sip._udp.example.com.", 0, ONE_HOST);
    const vx__finding *x = fx_one(&f, "SRV-SINGLE-TARGET");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message, "every SRV record of _sip._udp.example.com leads to one "
                                    "host, sip1.example.com: no failover");
    assert_true(fx_has_name(x, "_sip._udp.example.com"));
    vx__findings_clear(&f);
    /* Two names, one address: every service fires. */
    const char **z1 = fx_zone_edit(FX_ZONE, "sip1.example.com.", 0, NULL);
    const char **z = fx_zone_edit((const char *const *)z1, "sip2.example.com.", 0, SAME_ADDR);
    f = run_zone(z, "generic", NULL);
    assert_int_equal(fx_count(&f, "SRV-SINGLE-TARGET"), 3);
    for (size_t i = 0; i < f.count; i++)
        if (strcmp(f.items[i].check, "SRV-SINGLE-TARGET") == 0)
            fx_contains(f.items[i].message, "leads to one address, 192.0.2.10: no failover");
    vx__findings_clear(&f);
    fx_zone_free(z);
    fx_zone_free(z1);
    /* A "." target (service not offered) is not a target. */
    const char *dot[] = {"_sip._udp.example.com. 3600 IN SRV 0 0 0 .", NULL};
    f = run_edit("_sip._udp.example.com.", 0, dot);
    assert_int_equal(fx_count(&f, "SRV-SINGLE-TARGET"), 0);
    vx__findings_clear(&f);
}

static const char *const ODD_PORTS[] = {
    "_sips._tcp.example.com. 3600 IN SRV 10 50 5060 sip1.example.com.",
    "_sips._tcp.example.com. 3600 IN SRV 10 50 5061 sip2.example.com.",
    NULL,
};

static void test_port_unusual(void **state)
{
    (void)state;
    vx__findings f = run_edit("_sips._tcp.example.com.", 0, ODD_PORTS);
    const vx__finding *x = fx_one(&f, "SRV-PORT-UNUSUAL");
    assert_int_equal(x->severity, VX__SEV_NOTICE);
    assert_string_equal(x->message, "_sips._tcp.example.com (TLS) points to sip1.example.com "
                                    "port 5060, the usual port of plain SIP");
    vx__findings_clear(&f);
}

static const char *const PRIVATE_SIP[] = {
    "sip2.example.com. 3600 IN A 10.1.2.3",
    "sip2.example.com. 3600 IN A 198.51.100.10",
    NULL,
};

static void test_private_address(void **state)
{
    (void)state;
    vx__findings f = run_edit("sip2.example.com.", LDNS_RR_TYPE_A, PRIVATE_SIP);
    const vx__finding *x = fx_one(&f, "SIP-TARGET-PRIVATE-ADDRESS");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    fx_contains(x->message, "the SIP server sip2.example.com resolves to 10.1.2.3 (private)");
    assert_true(fx_has_name(x, "sip2.example.com"));
    vx__findings_clear(&f);
}

static void test_internal_name(void **state)
{
    (void)state;
    const char *const tlds[] = {"pbx.corp", "pbx.office.local", "pbx.nosuchtld"};
    for (size_t i = 0; i < 3; i++) {
        char srv[128], a[128];
        snprintf(srv, sizeof srv, "_sip._udp.example.com. 3600 IN SRV 10 50 5060 %s.", tlds[i]);
        const char *add[] = {OUT_OF_DOMAIN[0], srv, NULL};
        vx__findings f = run_edit("_sip._udp.example.com.", 0, add);
        const vx__finding *x = fx_one(&f, "SIP-TARGET-INTERNAL-NAME");
        assert_int_equal(x->severity, VX__SEV_WARNING);
        snprintf(a, sizeof a, "%s (named by _sip._udp.example.com) is under a non-public suffix",
                 tlds[i]);
        fx_contains(x->message, a);
        vx__findings_clear(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_no_records),
        cmocka_unit_test(test_naptr_incomplete),
        cmocka_unit_test(test_naptr_invalid),
        cmocka_unit_test(test_naptr_dangling),
        cmocka_unit_test(test_srv_missing_at_domain),
        cmocka_unit_test(test_target_no_address),
        cmocka_unit_test(test_target_cname),
        cmocka_unit_test(test_target_out_of_domain),
        cmocka_unit_test(test_single_target),
        cmocka_unit_test(test_port_unusual),
        cmocka_unit_test(test_private_address),
        cmocka_unit_test(test_internal_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
