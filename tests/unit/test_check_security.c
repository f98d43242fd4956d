/*
 * tests/unit/test_check_security.c — exposure of authoritative addresses: open recursion, open
 * AXFR, version.bind disclosure, broken EDNS0 (FORMERR, no OPT, EDNS dropped).
 */
#include "check_fixture.h"

static void test_healthy(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f = fx_run_generic(s);
    const char *ids[] = {"NS-OPEN-RECURSION", "NS-AXFR-OPEN", "NS-VERSION-DISCLOSED",
                         "NS-EDNS-BROKEN"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(fx_count(&f, ids[i]), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_open_recursion(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__observation *o =
        fx_find(s, "198.51.100.1", VX__PROBE_RECURSION, VX__UDP, ".", LDNS_RR_TYPE_NS);
    o->rcode = 0;
    o->flags = VX__FLAG_QR | VX__FLAG_RD | VX__FLAG_RA;
    fx_add(o, VX__SECTION_ANSWER, ". 518400 IN NS a.root-servers.net.");
    fx_add(o, VX__SECTION_ANSWER, ". 518400 IN NS b.root-servers.net.");
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-OPEN-RECURSION");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message, "ns2.dns-b.org/198.51.100.1 answers a recursive query for . "
                                    "(RA set, 2 records, no AA): it is an open resolver");
    assert_true(fx_has_server(x, "ns2.dns-b.org/198.51.100.1"));
    vx__findings_clear(&f);
    /* A referral to the root (no RA) is what an authoritative-only server does. */
    o = fx_find(s, "198.51.100.1", VX__PROBE_RECURSION, VX__UDP, ".", LDNS_RR_TYPE_NS);
    o->flags = VX__FLAG_QR | VX__FLAG_RD;
    f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "NS-OPEN-RECURSION"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_axfr_open(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__observation *o =
        fx_find(s, "2001:db8:a::1", VX__PROBE_AXFR, VX__TCP, FX_D, LDNS_RR_TYPE_AXFR);
    o->rcode = 0;
    fx_add(o, VX__SECTION_ANSWER, FX_ZONE[0]);
    fx_add(o, VX__SECTION_ANSWER, FX_ZONE[1]);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-AXFR-OPEN");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message,
                        "ns1.dns-a.net/2001:db8:a::1 hands the whole zone example.com to anyone "
                        "by AXFR");
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_version_disclosed(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__observation *o =
        fx_find(s, "192.0.2.1", VX__PROBE_VERSION, VX__TCP, NULL, LDNS_RR_TYPE_TXT);
    o->rcode = 0;
    fx_add(o, VX__SECTION_ANSWER, "version.bind. 0 CH TXT \"NSD 4.8.0\"");
    o = fx_find(s, "198.51.100.1", VX__PROBE_VERSION, VX__TCP, NULL, LDNS_RR_TYPE_TXT);
    o->rcode = 0;
    fx_add(o, VX__SECTION_ANSWER, "version.bind. 0 CH TXT \"none of your business\"");
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-VERSION-DISCLOSED");
    assert_int_equal(x->severity, VX__SEV_NOTICE);
    assert_string_equal(x->message, "ns1.dns-a.net/192.0.2.1 reveals its software version: "
                                    "version.bind is \"NSD 4.8.0\"");
    vx__findings_clear(&f);
    /* A snapshot saved when the question went over UDP is judged the same. */
    o = fx_find(s, "192.0.2.1", VX__PROBE_VERSION, VX__TCP, NULL, LDNS_RR_TYPE_TXT);
    o->transport = VX__UDP;
    f = fx_run_generic(s);
    assert_int_equal(fx_one(&f, "NS-VERSION-DISCLOSED")->severity, VX__SEV_NOTICE);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_edns_broken(void **state)
{
    (void)state;
    /* FORMERR to the EDNS SOA, answered without EDNS: EDNS-broken, not lame. */
    vx__snapshot *s = fx_healthy();
    vx__observation *o = fx_find(s, "192.0.2.1", VX__PROBE_DATA, VX__UDP, FX_D, LDNS_RR_TYPE_SOA);
    fx_obs_clear_sections(o);
    o->rcode = 1;
    o->has_opt = false;
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-EDNS-BROKEN");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message,
                        "ns1.dns-a.net/192.0.2.1 answers FORMERR to a query with EDNS0");
    assert_int_equal(fx_count(&f, "NS-LAME"), 0);
    vx__findings_clear(&f);
    /* A response without OPT. */
    o->rcode = 0;
    fx_add(o, VX__SECTION_ANSWER, FX_ZONE[0]);
    f = fx_run_generic(s);
    fx_contains(fx_one(&f, "NS-EDNS-BROKEN")->message, "without an OPT record");
    vx__findings_clear(&f);
    fx_free(s);

    /* Every EDNS question dropped, the plain one answered. */
    s = fx_healthy();
    struct sockaddr_storage a;
    fx_addr("198.51.100.1", &a);
    for (size_t i = 0; i < s->obs_count; i++) {
        vx__observation *p = &s->obs[i];
        if (p->kind == VX__PROBE_DATA && p->transport == VX__UDP &&
            vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&p->addr)) {
            fx_obs_clear_sections(p);
            p->status = VX_ETIMEDOUT;
        }
    }
    f = fx_run_generic(s);
    fx_contains(fx_one(&f, "NS-EDNS-BROKEN")->message,
                "ns2.dns-b.org/198.51.100.1 drops every query with EDNS0");
    assert_int_equal(fx_count(&f, "NS-UNREACHABLE"), 0);
    assert_int_equal(fx_count(&f, "NS-LAME"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),     cmocka_unit_test(test_open_recursion),
        cmocka_unit_test(test_axfr_open),   cmocka_unit_test(test_version_disclosed),
        cmocka_unit_test(test_edns_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
