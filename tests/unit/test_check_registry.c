/*
 * tests/unit/test_check_registry.c — the check registry (every catalogue id, its area and
 * default severity, a title and a remedy), profiles and their severities, the findings list
 * (order, worst, servers and names), a healthy domain that raises only the two notices a
 * healthy unsigned single-domain service has, and the generated Markdown catalogue.
 */
#include "check_fixture.h"

#include "check/catalogue.h"

typedef struct expect {
    const char *id, *area;
    vx__severity sev;
} expect;

/* CHECKS.md, in order. */
static const expect catalogue[] = {
    {"DELEGATION-MISSING", "delegation", VX__SEV_CRITICAL},
    {"NS-COUNT-LOW", "delegation", VX__SEV_ERROR},
    {"NS-SET-MISMATCH", "delegation", VX__SEV_WARNING},
    {"GLUE-MISMATCH", "delegation", VX__SEV_ERROR},
    {"NS-NAME-UNRESOLVABLE", "delegation", VX__SEV_ERROR},
    {"ALL-NS-UNREACHABLE", "availability", VX__SEV_CRITICAL},
    {"NS-UNREACHABLE", "availability", VX__SEV_ERROR},
    {"NS-NO-TCP", "availability", VX__SEV_ERROR},
    {"NS-LAME", "availability", VX__SEV_ERROR},
    {"NS-SLOW", "availability", VX__SEV_WARNING},
    {"SOA-SERIAL-MISMATCH", "consistency", VX__SEV_WARNING},
    {"RRSET-INCONSISTENT", "consistency", VX__SEV_ERROR},
    {"TTL-INCONSISTENT", "consistency", VX__SEV_WARNING},
    {"SOA-TIMERS", "consistency", VX__SEV_NOTICE},
    {"ZONE-DIFFERS", "consistency", VX__SEV_ERROR},
    {"CANDIDATE-DIFFERS", "consistency", VX__SEV_ERROR},
    {"NS-SINGLE-PROVIDER", "diversity", VX__SEV_ERROR},
    {"NS-SINGLE-PREFIX", "diversity", VX__SEV_WARNING},
    {"NS-SINGLE-ASN", "diversity", VX__SEV_WARNING},
    {"NS-SINGLE-TLD", "diversity", VX__SEV_NOTICE},
    {"SERVICE-SINGLE-DOMAIN", "diversity", VX__SEV_NOTICE},
    {"SERVICE-ALT-DOMAIN-MISMATCH", "diversity", VX__SEV_ERROR},
    {"SIP-TARGETS-SINGLE-PREFIX", "diversity", VX__SEV_WARNING},
    {"SIP-TARGETS-SINGLE-ASN", "diversity", VX__SEV_WARNING},
    {"SIP-NO-RECORDS", "sip", VX__SEV_ERROR},
    {"NAPTR-INCOMPLETE", "sip", VX__SEV_WARNING},
    {"NAPTR-INVALID", "sip", VX__SEV_ERROR},
    {"NAPTR-DANGLING", "sip", VX__SEV_ERROR},
    {"SRV-MISSING-AT-DOMAIN", "sip", VX__SEV_WARNING},
    {"SRV-TARGET-NO-ADDRESS", "sip", VX__SEV_ERROR},
    {"SRV-TARGET-CNAME", "sip", VX__SEV_ERROR},
    {"SRV-TARGET-OUT-OF-DOMAIN", "sip", VX__SEV_WARNING},
    {"SRV-SINGLE-TARGET", "sip", VX__SEV_WARNING},
    {"SRV-PORT-UNUSUAL", "sip", VX__SEV_NOTICE},
    {"SIP-TARGET-PRIVATE-ADDRESS", "sip", VX__SEV_WARNING},
    {"SIP-TARGET-INTERNAL-NAME", "sip", VX__SEV_WARNING},
    {"TTL-TOO-SHORT", "ttl", VX__SEV_WARNING},
    {"TTL-TOO-LONG", "ttl", VX__SEV_NOTICE},
    {"DNSSEC-UNSIGNED", "dnssec", VX__SEV_NOTICE},
    {"DNSSEC-BOGUS", "dnssec", VX__SEV_CRITICAL},
    {"DNSSEC-RRSIG-EXPIRING", "dnssec", VX__SEV_WARNING},
    {"NS-OPEN-RECURSION", "security", VX__SEV_ERROR},
    {"NS-AXFR-OPEN", "security", VX__SEV_WARNING},
    {"NS-VERSION-DISCLOSED", "security", VX__SEV_NOTICE},
    {"NS-EDNS-BROKEN", "security", VX__SEV_WARNING},
    {"LYNC-RECORD-MISSING", "profiles", VX__SEV_ERROR},
    {"LYNC-STRICT-NAME", "profiles", VX__SEV_ERROR},
    {"CAA-MISSING", "hijack", VX__SEV_NOTICE},
    {"SIP-OPTIONS-NO-ANSWER", "endpoints", VX__SEV_ERROR},
    {"SIP-OPTIONS-ERROR", "endpoints", VX__SEV_WARNING},
    {"SIP-TARGETS-ALL-DOWN", "endpoints", VX__SEV_CRITICAL},
    {"TLS-HANDSHAKE-FAILED", "endpoints", VX__SEV_ERROR},
    {"TLS-CERT-UNTRUSTED", "endpoints", VX__SEV_ERROR},
    {"TLS-CERT-NAME-MISMATCH", "endpoints", VX__SEV_ERROR},
    {"TLS-CERT-EXPIRING", "endpoints", VX__SEV_WARNING},
    {"TLS-CERT-EXPIRED", "endpoints", VX__SEV_CRITICAL},
};
#define CATALOGUE_COUNT (sizeof catalogue / sizeof catalogue[0])

static void test_registry_matches_catalogue(void **state)
{
    (void)state;
    size_t n;
    const vx__check_def *defs = vx__check_registry(&n);
    assert_int_equal(n, CATALOGUE_COUNT);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(defs[i].id, catalogue[i].id);
        assert_string_equal(defs[i].area, catalogue[i].area);
        assert_int_equal(defs[i].severity, catalogue[i].sev);
        assert_true(strlen(defs[i].title) > 10);
        assert_true(strlen(defs[i].remedy) > 20);
        assert_non_null(defs[i].run);
        assert_ptr_equal(vx__check_find(catalogue[i].id), &defs[i]);
    }
    assert_null(vx__check_find("NO-SUCH-CHECK"));
    assert_null(vx__check_find(NULL));
    assert_string_equal(vx__check_find("NS-SINGLE-PROVIDER")->remedy,
                        "add a second DNS operator that shares no infrastructure with the first, "
                        "and list its servers in the delegation at the registrar");
    assert_string_equal(vx__check_find("TTL-TOO-SHORT")->remedy,
                        "raise the TTL to at least an hour; lower it only ahead of a planned "
                        "change");
}

static void test_profiles_and_severities(void **state)
{
    (void)state;
    assert_true(vx__profile_known("generic"));
    assert_true(vx__profile_known("lync"));
    assert_true(vx__profile_known("teams"));
    assert_true(vx__profile_known("enum"));
    assert_false(vx__profile_known("skype"));
    assert_false(vx__profile_known(NULL));
    const vx__check_def *ood = vx__check_find("SRV-TARGET-OUT-OF-DOMAIN");
    assert_int_equal(vx__check_severity(ood, "generic"), VX__SEV_WARNING);
    assert_int_equal(vx__check_severity(ood, NULL), VX__SEV_WARNING);
    assert_int_equal(vx__check_severity(ood, "lync"), VX__SEV_ERROR);
    assert_int_equal(vx__check_severity(ood, "teams"), VX__SEV_WARNING);
    assert_int_equal(vx__check_severity(vx__check_find("NS-LAME"), "lync"), VX__SEV_ERROR);
    for (int s = 0; s < VX__SEV_COUNT; s++) {
        vx__severity back;
        assert_int_equal(vx__severity_from_name(vx__severity_name((vx__severity)s), &back), VX_OK);
        assert_int_equal(back, s);
    }
    assert_string_equal(vx__severity_name(VX__SEV_CRITICAL), "critical");
    vx__severity x;
    assert_int_equal(vx__severity_from_name("fatal", &x), VX_EINVAL);
    vx__check_config cfg;
    vx__check_config_default(&cfg);
    assert_string_equal(cfg.profile, "generic");
    assert_true(cfg.slow_ms == 500);
    assert_int_equal(cfg.ttl_min, 300);
    assert_int_equal(cfg.ttl_max, 86400);
    assert_int_equal(cfg.soa_expire_min, 7 * 86400);
    assert_int_equal(cfg.rrsig_warn_s, 7 * 86400);
    assert_null(cfg.asndb);
}

static void test_findings_list(void **state)
{
    (void)state;
    vx__findings f = {0};
    assert_null(vx__finding_add(&f, "NO-SUCH", "x"));
    vx__finding *a = vx__finding_add(&f, "NS-SLOW", "slow %d ms", 700);
    assert_non_null(a);
    assert_string_equal(a->message, "slow 700 ms");
    assert_string_equal(a->area, "availability");
    assert_int_equal(a->severity, VX__SEV_WARNING);
    assert_int_equal(vx__finding_add_server(a, "ns1.example.net/192.0.2.1"), VX_OK);
    assert_int_equal(vx__finding_add_server(a, "ns1.example.net/192.0.2.1"), VX_OK);
    assert_int_equal(a->server_count, 1);
    assert_int_equal(vx__finding_add_name(a, "example.com."), VX_OK);
    assert_string_equal(a->names[0], "example.com");
    assert_int_equal(vx__finding_add_server(NULL, "x"), VX_EINVAL);
    assert_int_equal(vx__findings_worst(&f), VX__SEV_WARNING);
    vx__finding_add(&f, "DNSSEC-BOGUS", "bogus");
    assert_int_equal(vx__findings_worst(&f), VX__SEV_CRITICAL);
    vx__findings_clear(&f);
    assert_int_equal(f.count, 0);
    assert_int_equal(vx__findings_worst(&f), VX__SEV_INFO);
}

/* A healthy unsigned domain with no alternate domain: exactly those two notices. */
static void test_healthy_domain(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_dump(&f);
    assert_int_equal(f.count, 2);
    assert_string_equal(f.items[0].check, "SERVICE-SINGLE-DOMAIN");
    assert_string_equal(f.items[1].check, "DNSSEC-UNSIGNED");
    assert_int_equal(vx__findings_worst(&f), VX__SEV_NOTICE);
    vx__findings_clear(&f);
    fx_free(s);
}

/* Areas in catalogue order, worst first within an area, stable otherwise. */
static void test_run_order(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    fx_kill(s, "192.0.2.1");
    vx__observation *o =
        fx_find(s, "198.51.100.1", VX__PROBE_VERSION, VX__TCP, NULL, LDNS_RR_TYPE_TXT);
    o->rcode = 0;
    fx_add(o, VX__SECTION_ANSWER, "version.bind. 0 CH TXT \"9.18.24\"");
    o = fx_find(s, "198.51.100.1", VX__PROBE_DATA, VX__UDP, FX_D, LDNS_RR_TYPE_SOA);
    o->rtt_ms = 900;
    vx__findings f;
    fx_run(s, "generic", &f);
    fx_dump(&f);
    const char *want[] = {"NS-UNREACHABLE", "SERVICE-SINGLE-DOMAIN", "DNSSEC-UNSIGNED",
                          "NS-VERSION-DISCLOSED"};
    assert_int_equal(f.count, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(f.items[i].check, want[i]);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_catalogue_markdown(void **state)
{
    (void)state;
    char *md = vx__check_catalogue_markdown();
    assert_non_null(md);
    for (size_t i = 0; i < CATALOGUE_COUNT; i++)
        fx_contains(md, catalogue[i].id);
    fx_contains(md, "## delegation\n");
    fx_contains(md, "## profiles\n");
    fx_contains(md, "| SRV-TARGET-OUT-OF-DOMAIN | warning (error under lync) |");
    fx_contains(md, "| LYNC-STRICT-NAME | error | lync |");
    fx_contains(md, "- **RRSET-INCONSISTENT**: ");
    assert_true(strstr(md, "## delegation") < strstr(md, "## availability"));
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_matches_catalogue),
        cmocka_unit_test(test_profiles_and_severities),
        cmocka_unit_test(test_findings_list),
        cmocka_unit_test(test_healthy_domain),
        cmocka_unit_test(test_run_order),
        cmocka_unit_test(test_catalogue_markdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
