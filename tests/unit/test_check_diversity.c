/*
 * tests/unit/test_check_diversity.c — single points of failure: one DNS operator, one TLD,
 * one prefix, one AS (with an ASN database built from pfx2as text), one SIP domain, an
 * alternate domain leading elsewhere, SIP servers in one prefix or AS.
 */
#include "check_fixture.h"

static const char *const SAME_OP_NS[] = {
    "example.com. 172800 IN NS ns1.dns-a.net.",
    "example.com. 172800 IN NS ns2.dns-a.net.",
    NULL,
};
static const char *const SAME_OP_ADDRS[] = {
    "ns1.dns-a.net. 3600 IN A 192.0.2.1",
    "ns2.dns-a.net. 3600 IN A 192.0.2.2",
    NULL,
};
static const char *const SAME_OP_ZONE_NS[] = {
    "example.com. 3600 IN NS ns1.dns-a.net.",
    "example.com. 3600 IN NS ns2.dns-a.net.",
    NULL,
};

/* Two names of one operator, both addresses in 192.0.2.0/24. */
static vx__snapshot *one_operator(const char **zone_out[1])
{
    vx__snapshot *s = fx_new(FX_D, "generic");
    fx_server(s, "ns1.dns-a.net.", "192.0.2.1");
    fx_server(s, "ns2.dns-a.net.", "192.0.2.2");
    fx_delegation(s, SAME_OP_NS, SAME_OP_ADDRS);
    const char **zone = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_NS, SAME_OP_ZONE_NS);
    fx_server_probes(s, 0, zone);
    fx_server_probes(s, 1, zone);
    *zone_out = zone;
    return s;
}

static void test_healthy(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f;
    fx_run(s, "generic", &f);
    const char *ids[] = {"NS-SINGLE-PROVIDER",
                         "NS-SINGLE-PREFIX",
                         "NS-SINGLE-ASN",
                         "NS-SINGLE-TLD",
                         "SERVICE-ALT-DOMAIN-MISMATCH",
                         "SIP-TARGETS-SINGLE-PREFIX",
                         "SIP-TARGETS-SINGLE-ASN"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        assert_int_equal(fx_count(&f, ids[i]), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_single_provider_tld_prefix(void **state)
{
    (void)state;
    const char **zone;
    vx__snapshot *s = one_operator(&zone);
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_dump(&f);
    const vx__finding *x = fx_one(&f, "NS-SINGLE-PROVIDER");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    assert_string_equal(x->message, "every name server of example.com is under dns-a.net "
                                    "(ns1.dns-a.net, ns2.dns-a.net): one DNS operator");
    assert_true(fx_has_name(x, "ns2.dns-a.net"));
    assert_true(fx_has_server(x, "ns2.dns-a.net/192.0.2.2"));
    x = fx_one(&f, "NS-SINGLE-TLD");
    assert_int_equal(x->severity, VX__SEV_NOTICE);
    fx_contains(x->message, "is under net (");
    x = fx_one(&f, "NS-SINGLE-PREFIX");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message,
                        "every name-server address (192.0.2.1, 192.0.2.2) is in 192.0.2.0/24");
    assert_int_equal(x->server_count, 2);
    assert_int_equal(fx_count(&f, "NS-COUNT-LOW"), 0);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(zone);
}

static const char PFX2AS[] = "192.0.2.0\t24\t64500\n"
                             "198.51.100.0\t24\t64501\n"
                             "2001:db8::\t32\t64500\n"
                             "2001:db8:b::\t48\t64501\n";

static void test_single_asn(void **state)
{
    (void)state;
    vx__asndb *db = NULL;
    char err[128];
    assert_int_equal(vx__asndb_parse(PFX2AS, strlen(PFX2AS), &db, err, sizeof err), VX_OK);
    vx__check_config cfg;
    vx__check_config_default(&cfg);
    cfg.asndb = db;
    const char **zone;
    vx__snapshot *s = one_operator(&zone);
    vx__findings f = {0};
    assert_int_equal(vx__run_checks(s, &cfg, &f), VX_OK);
    fx_dump(&f);
    const vx__finding *x = fx_one(&f, "NS-SINGLE-ASN");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message,
                        "every name-server address (192.0.2.1, 192.0.2.2) is announced by AS64500");
    /* sip1 192.0.2.10 (AS64500) and sip2 198.51.100.10 (AS64501): diverse. */
    assert_int_equal(fx_count(&f, "SIP-TARGETS-SINGLE-ASN"), 0);
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(zone);
    /* The healthy domain spans two ASes; without a database nothing runs at all. */
    s = fx_healthy();
    assert_int_equal(vx__run_checks(s, &cfg, &f), VX_OK);
    assert_int_equal(fx_count(&f, "NS-SINGLE-ASN"), 0);
    vx__findings_clear(&f);
    fx_free(s);
    vx__asndb_free(db);
}

static const char *const ONE_NET_SIP[] = {
    "sip1.example.com. 3600 IN A 192.0.2.10",
    "sip2.example.com. 3600 IN A 192.0.2.11",
    NULL,
};

static void test_sip_targets_single_prefix_and_asn(void **state)
{
    (void)state;
    const char **z1 = fx_zone_edit(FX_ZONE, "sip1.example.com.", 0, NULL);
    const char **z = fx_zone_edit((const char *const *)z1, "sip2.example.com.", 0, ONE_NET_SIP);
    vx__snapshot *s = fx_healthy_zone("generic", z);
    vx__asndb *db = NULL;
    assert_int_equal(vx__asndb_parse(PFX2AS, strlen(PFX2AS), &db, NULL, 0), VX_OK);
    vx__check_config cfg;
    vx__check_config_default(&cfg);
    cfg.asndb = db;
    vx__findings f = {0};
    assert_int_equal(vx__run_checks(s, &cfg, &f), VX_OK);
    fx_dump(&f);
    const vx__finding *x = fx_one(&f, "SIP-TARGETS-SINGLE-PREFIX");
    assert_int_equal(x->severity, VX__SEV_WARNING);
    assert_string_equal(x->message,
                        "every SIP server address (192.0.2.10, 192.0.2.11) is in 192.0.2.0/24");
    assert_true(fx_has_name(x, "sip1.example.com"));
    assert_true(fx_has_name(x, "sip2.example.com"));
    x = fx_one(&f, "SIP-TARGETS-SINGLE-ASN");
    fx_contains(x->message, "is announced by AS64500");
    vx__findings_clear(&f);
    vx__asndb_free(db);
    fx_free(s);
    fx_zone_free(z);
    fx_zone_free(z1);
}

/* An alternate domain: the same zone renamed. */
static vx__snapshot *alt_of(const char *domain, const char *const *zone)
{
    vx__snapshot *a = fx_new(domain, "generic");
    a->parent_zone[0] = '\0';
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_server(a, FX_SERVERS[i][0], FX_SERVERS[i][1]);
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        fx_server_probes(a, i, zone);
    return a;
}

static const char *const ALT_ZONE[] = {
    "example.org. 3600 IN SOA ns1.dns-a.net. hostmaster.example.org. 1 7200 3600 1209600 3600",
    "example.org. 3600 IN NS ns1.dns-a.net.",
    "_sip._udp.example.org. 3600 IN SRV 10 50 5060 sip1.example.org.",
    "_sip._udp.example.org. 3600 IN SRV 10 50 5060 sip2.example.org.",
    "_sip._tcp.example.org. 3600 IN SRV 10 50 5060 sip1.example.org.",
    "_sip._tcp.example.org. 3600 IN SRV 10 50 5060 sip2.example.org.",
    "_sips._tcp.example.org. 3600 IN SRV 10 50 5061 sip1.example.org.",
    "_sips._tcp.example.org. 3600 IN SRV 10 50 5061 sip2.example.org.",
    "sip1.example.org. 3600 IN A 192.0.2.10",
    "sip2.example.org. 3600 IN A 198.51.100.10",
    NULL,
};

static void add_alt(vx__snapshot *s, vx__snapshot *alt)
{
    s->alt = realloc(s->alt, (s->alt_count + 1) * sizeof *s->alt);
    assert_non_null(s->alt);
    s->alt[s->alt_count++] = alt;
}

static void test_alt_domain(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f;
    fx_run(s, "generic", &f);
    const vx__finding *x = fx_one(&f, "SERVICE-SINGLE-DOMAIN");
    assert_int_equal(x->severity, VX__SEV_NOTICE);
    assert_string_equal(x->message, "example.com has no alternate SIP domain under another TLD");
    vx__findings_clear(&f);

    /* example.org leads to the same servers (other names, same addresses): all good. The
     * fixture's probes ask sip1/sip2 under the snapshot's own domain. */
    add_alt(s, alt_of("example.org.", ALT_ZONE));
    fx_run(s, "generic", &f);
    assert_int_equal(fx_count(&f, "SERVICE-SINGLE-DOMAIN"), 0);
    assert_int_equal(fx_count(&f, "SERVICE-ALT-DOMAIN-MISMATCH"), 0);
    vx__findings_clear(&f);
    fx_free(s);

    /* Now sip2.example.org points elsewhere. */
    s = fx_healthy();
    const char *moved[] = {"sip2.example.org. 3600 IN A 203.0.113.20", NULL};
    const char **z = fx_zone_edit(ALT_ZONE, "sip2.example.org.", 0, moved);
    add_alt(s, alt_of("example.org.", z));
    fx_run(s, "generic", &f);
    fx_dump(&f);
    x = fx_one(&f, "SERVICE-ALT-DOMAIN-MISMATCH");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "the alternate domain example.org does not lead to the same SIP "
                            "targets as example.com");
    fx_contains(x->message, "only via example.com: tcp 198.51.100.10:5060, tls "
                            "198.51.100.10:5061, udp 198.51.100.10:5060");
    fx_contains(x->message, "only via example.org: tcp 203.0.113.20:5060");
    assert_true(fx_has_name(x, "example.org"));
    vx__findings_clear(&f);
    fx_free(s);
    fx_zone_free(z);

    /* An alternate under the same TLD does not remove the single-domain notice. */
    s = fx_healthy();
    add_alt(s, alt_of("example-voice.com.", FX_ZONE));
    fx_run(s, "generic", &f);
    fx_contains(fx_one(&f, "SERVICE-SINGLE-DOMAIN")->message, "same TLD");
    vx__findings_clear(&f);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),    cmocka_unit_test(test_single_provider_tld_prefix),
        cmocka_unit_test(test_single_asn), cmocka_unit_test(test_sip_targets_single_prefix_and_asn),
        cmocka_unit_test(test_alt_domain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
