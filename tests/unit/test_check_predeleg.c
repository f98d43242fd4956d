/*
 * tests/unit/test_check_predeleg.c — an undelegated audit (--ns) judged by the checks: the
 * given servers stand in for the delegation (NS-COUNT-LOW, NS-SET-MISMATCH, no
 * DELEGATION-MISSING), and CANDIDATE-DIFFERS compares each candidate server's answers with the
 * live delegation's consensus (a record missing, another TTL; not SOA or NS; not a dead or
 * lame candidate; nothing without a live delegation).
 */
#include "check_fixture.h"

/* The fixture's servers, given by name (as `--ns ns1.dns-a.net --ns ns2.dns-b.org`). */
static void give(vx__snapshot *s, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        vx__ns_spec g = {.name = (char *)names[i]};
        assert_int_equal(vx__snapshot_add_ns_given(s, &g), VX_OK);
    }
}

static const char *const SAME_NAMES[] = {"ns1.dns-a.net.", "ns2.dns-b.org.", NULL};

/* A candidate answering from zone, given as SAME_NAMES, beside the healthy live delegation. */
static vx__snapshot *undelegated(const char *const *zone)
{
    vx__snapshot *s = fx_healthy_zone("generic", zone);
    give(s, SAME_NAMES);
    s->live = fx_healthy();
    return s;
}

static void test_same_data_no_finding(void **state)
{
    (void)state;
    vx__snapshot *s = undelegated(FX_ZONE);
    assert_true(s->undelegated);
    vx__findings f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "CANDIDATE-DIFFERS"), 0);
    assert_int_equal(fx_count(&f, "NS-SET-MISMATCH"), 0);
    assert_int_equal(fx_count(&f, "NS-COUNT-LOW"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_missing_record_is_named(void **state)
{
    (void)state;
    const char **z = fx_zone_edit(FX_ZONE, "sip2.example.com.", LDNS_RR_TYPE_A, NULL);
    vx__snapshot *s = undelegated(z);
    vx__findings f = fx_run_generic(s);
    const vx__finding *d = fx_one(&f, "CANDIDATE-DIFFERS");
    assert_int_equal(d->severity, VX__SEV_ERROR);
    /* the name is gone: its A is missing, and its AAAA is NXDOMAIN instead of no data */
    assert_int_equal(d->name_count, 2);
    assert_true(fx_has_name(d, "sip2.example.com A"));
    assert_true(fx_has_name(d, "sip2.example.com AAAA"));
    assert_int_equal(d->server_count, FX_SERVER_COUNT);
    assert_true(fx_has_server(d, "ns2.dns-b.org/2001:db8:b::1"));
    fx_contains(d->message, "serve 2 RRsets of example.com differently from the live delegation");
    fx_contains(d->message, "sip2.example.com A (candidate dns-a.net, dns-b.org: NXDOMAIN; live "
                            "dns-a.net, dns-b.org: TTL 3600: 198.51.100.10); sip2.example.com "
                            "AAAA (candidate dns-a.net, dns-b.org: NXDOMAIN; live dns-a.net, "
                            "dns-b.org: no data)");
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

static void test_other_ttl_differs(void **state)
{
    (void)state;
    static const char *const SHORT[] = {"sip1.example.com. 60 IN A 192.0.2.10", NULL};
    const char **z = fx_zone_edit(FX_ZONE, "sip1.example.com.", LDNS_RR_TYPE_A, SHORT);
    vx__snapshot *s = undelegated(z);
    vx__findings f = fx_run_generic(s);
    const vx__finding *d = fx_one(&f, "CANDIDATE-DIFFERS");
    assert_true(fx_has_name(d, "sip1.example.com A"));
    fx_contains(d->message, "sip1.example.com A (candidate dns-a.net, dns-b.org: TTL 60: "
                            "192.0.2.10; live dns-a.net, dns-b.org: TTL 3600: 192.0.2.10)");
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

/* Candidate servers that disagree among themselves are described by answer; a candidate that
 * serves the live data is not named. */
static void test_candidates_grouped_by_answer(void **state)
{
    (void)state;
    static const char *const SHORT[] = {"sip2.example.com. 60 IN A 198.51.100.10", NULL};
    const char **gone = fx_zone_edit(FX_ZONE, "sip2.example.com.", LDNS_RR_TYPE_A, NULL);
    const char **ttl = fx_zone_edit(FX_ZONE, "sip2.example.com.", LDNS_RR_TYPE_A, SHORT);
    const char *const *zones[] = {gone, gone, ttl, FX_ZONE};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    give(s, SAME_NAMES);
    s->live = fx_healthy();
    vx__findings f = fx_run_generic(s);
    const vx__finding *d = fx_one(&f, "CANDIDATE-DIFFERS");
    fx_contains(d->message, "sip2.example.com A (candidate dns-a.net: NXDOMAIN; candidate "
                            "dns-b.org: TTL 60: 198.51.100.10; live dns-a.net, dns-b.org: TTL "
                            "3600: 198.51.100.10)");
    assert_int_equal(d->server_count, 3);
    assert_false(fx_has_server(d, "ns2.dns-b.org/2001:db8:b::1"));
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(gone);
    fx_zone_free(ttl);
}

/* SOA and NS legitimately differ between a new provider and the live one. */
static void test_soa_and_ns_are_not_compared(void **state)
{
    (void)state;
    static const char *const NEW_APEX[] = {
        "example.com. 3600 IN SOA ns1.dns-c.com. h.example.com. 7 7200 3600 1209600 3600",
        "example.com. 3600 IN NS ns1.dns-a.net.", "example.com. 3600 IN NS ns2.dns-b.org.",
        "example.com. 3600 IN NS ns3.dns-c.com.", NULL};
    const char **z1 = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, NULL);
    const char **z2 = fx_zone_edit(z1, FX_D, LDNS_RR_TYPE_NS, NEW_APEX);
    vx__snapshot *s = undelegated(z2);
    vx__findings f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "CANDIDATE-DIFFERS"), 0);
    /* the zone lists ns3 too: the set given and the zone's differ */
    const vx__finding *m = fx_one(&f, "NS-SET-MISMATCH");
    fx_contains(m->message, "the NS set given (--ns) and the zone's differ: only in the zone: "
                            "ns3.dns-c.com");
    assert_int_equal(m->server_count, 0); /* no parent server refers with that set */
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z2);
    fx_zone_free(z1);
}

/* A dead candidate address is not compared (NS-UNREACHABLE says what is wrong with it). */
static void test_dead_candidate_not_compared(void **state)
{
    (void)state;
    const char **z = fx_zone_edit(FX_ZONE, "sip2.example.com.", LDNS_RR_TYPE_A, NULL);
    vx__snapshot *s = undelegated(z);
    fx_kill(s, "192.0.2.1");
    vx__findings f = fx_run_generic(s);
    const vx__finding *d = fx_one(&f, "CANDIDATE-DIFFERS");
    assert_false(fx_has_server(d, "ns1.dns-a.net/192.0.2.1"));
    assert_int_equal(d->server_count, FX_SERVER_COUNT - 1);
    fx_one(&f, "NS-UNREACHABLE");
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

/* No live delegation: the given servers are audited alone, and not being delegated is the
 * point of the audit, not a DELEGATION-MISSING. */
static void test_no_live_delegation(void **state)
{
    (void)state;
    const char **z = fx_zone_edit(FX_ZONE, "sip2.example.com.", LDNS_RR_TYPE_A, NULL);
    vx__snapshot *s = undelegated(z);
    fx_free(s->live);
    s->live = NULL;
    s->delegation_status = VX_ENOTFOUND;
    vx__findings f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "CANDIDATE-DIFFERS"), 0);
    assert_int_equal(fx_count(&f, "DELEGATION-MISSING"), 0);
    vx__findings_clear(&f);
    s->undelegated = false; /* the same snapshot as an ordinary audit: missing */
    f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "DELEGATION-MISSING"), 1);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);
}

/* The names given are what NS-COUNT-LOW counts, not the parent's referral. */
static void test_one_name_given_is_too_few(void **state)
{
    (void)state;
    static const char *const ONE[] = {"ns1.dns-a.net.", NULL};
    vx__snapshot *s = fx_healthy();
    give(s, ONE);
    vx__findings f = fx_run_generic(s);
    const vx__finding *c = fx_one(&f, "NS-COUNT-LOW");
    fx_contains(c->message, "the servers given (--ns) lists 1 name server name(s) (ns1.dns-a.net)");
    fx_contains(fx_one(&f, "NS-SET-MISMATCH")->message, "only in the zone: ns2.dns-b.org");
    vx__findings_clear(&f);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_data_no_finding),
        cmocka_unit_test(test_missing_record_is_named),
        cmocka_unit_test(test_other_ttl_differs),
        cmocka_unit_test(test_candidates_grouped_by_answer),
        cmocka_unit_test(test_soa_and_ns_are_not_compared),
        cmocka_unit_test(test_dead_candidate_not_compared),
        cmocka_unit_test(test_no_live_delegation),
        cmocka_unit_test(test_one_name_given_is_too_few),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
