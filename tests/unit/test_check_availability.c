/*
 * tests/unit/test_check_availability.c — per-address availability: nothing answers, one
 * address dead (and then nothing else reported about it), no TCP, lame (REFUSED, referral),
 * slow. Each fires on a broken snapshot and not on the healthy one.
 */
#include "check_fixture.h"

static void test_healthy(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f = fx_run_generic(s);
    const char *ids[] = {"ALL-NS-UNREACHABLE", "NS-UNREACHABLE", "NS-NO-TCP", "NS-LAME", "NS-SLOW"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(fx_count(&f, ids[i]), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_all_unreachable(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_kill(s, FX_SERVERS[i][1]);
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "ALL-NS-UNREACHABLE");
    assert_int_equal(x->severity, VX__SEV_CRITICAL);
    fx_contains(x->message, "none of the 4 authoritative addresses of example.com answers");
    assert_int_equal(x->server_count, 4);
    assert_true(fx_has_server(x, "ns2.dns-b.org/2001:db8:b::1"));
    /* Said once: no per-address repeats, no consequences reported as causes. */
    const char *none[] = {"NS-UNREACHABLE", "NS-LAME",
                          "NS-NO-TCP",      "NS-EDNS-BROKEN",
                          "SIP-NO-RECORDS", "RRSET-INCONSISTENT",
                          "NS-SLOW",        "SRV-MISSING-AT-DOMAIN"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        assert_int_equal(fx_count(&f, none[i]), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_one_dead(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    fx_kill(s, "198.51.100.1");
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-UNREACHABLE");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "ns2.dns-b.org/198.51.100.1 gives no answer over UDP");
    fx_contains(x->message, vx_strerror(VX_ETIMEDOUT));
    assert_int_equal(x->server_count, 1);
    assert_true(fx_has_server(x, "ns2.dns-b.org/198.51.100.1"));
    const char *none[] = {"ALL-NS-UNREACHABLE", "NS-LAME",
                          "NS-NO-TCP",          "NS-EDNS-BROKEN",
                          "RRSET-INCONSISTENT", "SOA-SERIAL-MISMATCH",
                          "TTL-INCONSISTENT"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        assert_int_equal(fx_count(&f, none[i]), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_no_tcp(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__observation *o =
        fx_find(s, "2001:db8:a::1", VX__PROBE_DATA, VX__TCP, FX_D, LDNS_RR_TYPE_SOA);
    fx_obs_clear_sections(o);
    o->status = VX_EREFUSED;
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-NO-TCP");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "ns1.dns-a.net/2001:db8:a::1 answers over UDP but not over TCP");
    assert_true(fx_has_server(x, "ns1.dns-a.net/2001:db8:a::1"));
    vx__findings_clear(&f);
    fx_free(s);
}

/* Every question answered REFUSED without AA: the zone is not loaded there. */
static void test_lame_refused(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    struct sockaddr_storage a;
    fx_addr("2001:db8:b::1", &a);
    for (size_t i = 0; i < s->obs_count; i++) {
        vx__observation *o = &s->obs[i];
        if (vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&o->addr)) {
            fx_obs_clear_sections(o);
            o->rcode = 5;
            o->flags = VX__FLAG_QR;
        }
    }
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-LAME");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message,
                        "ns2.dns-b.org/2001:db8:b::1 is not authoritative for example.com: "
                        "answered REFUSED");
    assert_true(fx_has_server(x, "ns2.dns-b.org/2001:db8:b::1"));
    assert_true(fx_has_name(x, "example.com"));
    /* Its empty answers are not compared with the others'. */
    assert_int_equal(fx_count(&f, "RRSET-INCONSISTENT"), 0);
    assert_int_equal(fx_count(&f, "NS-UNREACHABLE"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_lame_referral(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__observation *o = fx_find(s, "192.0.2.1", VX__PROBE_DATA, VX__UDP, FX_D, LDNS_RR_TYPE_SOA);
    fx_obs_clear_sections(o);
    o->flags = VX__FLAG_QR;
    fx_add(o, VX__SECTION_AUTHORITY, "example.com. 172800 IN NS ns1.dns-a.net.");
    vx__findings f = fx_run_generic(s);
    fx_contains(fx_one(&f, "NS-LAME")->message, "answered with a referral");
    vx__findings_clear(&f);
    /* NOERROR without AA and without a referral. */
    fx_obs_clear_sections(o);
    fx_add(o, VX__SECTION_ANSWER, FX_ZONE[0]);
    f = fx_run_generic(s);
    fx_contains(fx_one(&f, "NS-LAME")->message, "without the AA flag");
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_slow(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    struct sockaddr_storage a;
    fx_addr("198.51.100.1", &a);
    size_t n = 0;
    for (size_t i = 0; i < s->obs_count; i++) {
        vx__observation *o = &s->obs[i];
        if (o->kind == VX__PROBE_DATA && o->transport == VX__UDP &&
            vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&o->addr))
            o->rtt_ms = n++ < 6 ? 800 : 1500; /* 6 of 11 at 800 ms: the median */
    }
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "NS-SLOW");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    fx_contains(x->message, "ns2.dns-b.org/198.51.100.1 answers in 800 ms");
    fx_contains(x->message, "threshold 500 ms");
    vx__findings_clear(&f);
    /* A higher threshold silences it. */
    vx__check_config cfg;
    vx__check_config_default(&cfg);
    cfg.slow_ms = 1000;
    memset(&f, 0, sizeof f);
    assert_int_equal(vx__run_checks(s, &cfg, &f), VX_OK);
    assert_int_equal(fx_count(&f, "NS-SLOW"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),      cmocka_unit_test(test_all_unreachable),
        cmocka_unit_test(test_one_dead),     cmocka_unit_test(test_no_tcp),
        cmocka_unit_test(test_lame_refused), cmocka_unit_test(test_lame_referral),
        cmocka_unit_test(test_slow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
