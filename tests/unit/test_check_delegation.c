/*
 * tests/unit/test_check_delegation.c — delegation checks: missing delegation, too few
 * servers, parent/zone NS mismatch, glue that differs from the real addresses, NS names that
 * do not resolve. Each fires on a hand-built broken snapshot and not on the healthy one.
 */
#include "check_fixture.h"

static void test_healthy_has_no_delegation_findings(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f = fx_run_generic(s);
    const char *ids[] = {"DELEGATION-MISSING", "NS-COUNT-LOW", "NS-SET-MISMATCH", "GLUE-MISMATCH",
                         "NS-NAME-UNRESOLVABLE"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(fx_count(&f, ids[i]), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_delegation_missing(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    s->delegation_status = VX_ENOTFOUND;
    s->delegation_error = strdup("com. answers NXDOMAIN for example.com.");
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "DELEGATION-MISSING");
    assert_int_equal(x->severity, VX__SEV_CRITICAL);
    fx_contains(x->message, "the parent zone com does not delegate example.com");
    fx_contains(x->message, "NXDOMAIN");
    assert_true(fx_has_name(x, "example.com"));
    assert_true(fx_has_server(x, "a.gtld-servers.net/203.0.113.53"));
    vx__findings_clear(&f);
    /* An unreachable parent is not a missing delegation. */
    s->delegation_status = VX_ETIMEDOUT;
    f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "DELEGATION-MISSING"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static const char *const ONE_NS[] = {"example.com. 172800 IN NS ns1.dns-a.net.", NULL};

static void test_ns_count_low(void **state)
{
    (void)state;
    vx__snapshot *s = fx_new(FX_D, "generic");
    fx_server(s, "ns1.dns-a.net.", "192.0.2.1");
    fx_server(s, "ns1.dns-a.net.", "2001:db8:a::1");
    fx_delegation(s, ONE_NS, FX_NS_ADDRS);
    const char *one[] = {"example.com. 3600 IN NS ns1.dns-a.net.", NULL};
    const char **zone = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_NS, one);
    fx_server_probes(s, 0, zone);
    fx_server_probes(s, 1, zone);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-COUNT-LOW");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "the delegation lists 1 name server name(s) (ns1.dns-a.net) with 2 "
                            "address(es) (192.0.2.1, 2001:db8:a::1)");
    assert_true(fx_has_name(x, "ns1.dns-a.net"));
    /* One operator, one TLD too. */
    assert_int_equal(fx_count(&f, "NS-SINGLE-PROVIDER"), 1);
    assert_int_equal(fx_count(&f, "NS-SET-MISMATCH"), 0);
    vx__findings_clear(&f);
    fx_zone_free(zone);
    fx_free(s);
}

static const char *const THREE_NS[] = {
    "example.com. 172800 IN NS ns1.dns-a.net.",
    "example.com. 172800 IN NS ns2.dns-b.org.",
    "example.com. 172800 IN NS ns3.dns-c.info.",
    NULL,
};

/* The parent lists a third server the zone does not, and that name does not exist. */
static void test_ns_set_mismatch_and_unresolvable(void **state)
{
    (void)state;
    vx__snapshot *s = fx_new(FX_D, "generic");
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_server(s, FX_SERVERS[i][0], FX_SERVERS[i][1]);
    fx_delegation(s, THREE_NS, FX_NS_ADDRS);
    /* A second parent server with the same referral: both are named, not the first to answer
     * (the monitor would see another finding whenever the other one is quicker). */
    vx__observation *b = fx_obs(s, VX__PROBE_PARENT, "b.gtld-servers.net.", "203.0.113.54", VX__UDP,
                                s->domain, LDNS_RR_TYPE_NS);
    b->flags = VX__FLAG_QR;
    for (size_t i = 0; THREE_NS[i]; i++)
        fx_add(b, VX__SECTION_AUTHORITY, THREE_NS[i]);
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_server_probes(s, i, FX_ZONE);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-SET-MISMATCH");
    assert_int_equal(x->server_count, 2);
    assert_true(fx_has_server(x, "b.gtld-servers.net/203.0.113.54"));
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message,
                        "the parent's NS set and the zone's differ: only at the parent: "
                        "ns3.dns-c.info");
    assert_true(fx_has_name(x, "ns3.dns-c.info"));
    assert_false(fx_has_name(x, "ns1.dns-a.net"));
    assert_true(fx_has_server(x, "a.gtld-servers.net/203.0.113.53"));
    x = fx_one(&f, "NS-NAME-UNRESOLVABLE");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "ns3.dns-c.info has no A or AAAA");
    fx_contains(x->message, "NXDOMAIN");
    assert_true(fx_has_name(x, "ns3.dns-c.info"));
    vx__findings_clear(&f);
    fx_free(s);
}

/* A timed-out lookup of an NS name proves nothing. */
static void test_unresolvable_needs_an_answer(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    for (int t = 0; t < 2; t++) {
        vx__observation *o = fx_find(s, NULL, VX__PROBE_RESOLVE, VX__UDP, "ns2.dns-b.org.",
                                     t ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A);
        fx_obs_clear_sections(o);
        o->status = VX_ETIMEDOUT;
    }
    vx__findings f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "NS-NAME-UNRESOLVABLE"), 0);
    vx__findings_clear(&f);
    /* NODATA for both types is conclusive. */
    for (int t = 0; t < 2; t++) {
        vx__observation *o = fx_find(s, NULL, VX__PROBE_RESOLVE, VX__UDP, "ns2.dns-b.org.",
                                     t ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A);
        o->status = VX_OK;
    }
    f = fx_run_generic(s);
    fx_contains(fx_one(&f, "NS-NAME-UNRESOLVABLE")->message, "A: no data, AAAA: no data");
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_glue_mismatch(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__observation *o = fx_find(s, NULL, VX__PROBE_PARENT, VX__UDP, FX_D, LDNS_RR_TYPE_NS);
    fx_add(o, VX__SECTION_ADDITIONAL, "ns1.dns-a.net. 172800 IN A 192.0.2.99");
    fx_add(o, VX__SECTION_ADDITIONAL, "ns2.dns-b.org. 172800 IN A 198.51.100.1");
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "GLUE-MISMATCH");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message,
                        "the parent's glue for ns1.dns-a.net A is 192.0.2.99, but the name has "
                        "192.0.2.1");
    assert_true(fx_has_name(x, "ns1.dns-a.net"));
    assert_true(fx_has_server(x, "a.gtld-servers.net/203.0.113.53"));
    vx__findings_clear(&f);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_has_no_delegation_findings),
        cmocka_unit_test(test_delegation_missing),
        cmocka_unit_test(test_ns_count_low),
        cmocka_unit_test(test_ns_set_mismatch_and_unresolvable),
        cmocka_unit_test(test_unresolvable_needs_an_answer),
        cmocka_unit_test(test_glue_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
