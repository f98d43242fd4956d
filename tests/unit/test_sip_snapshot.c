/*
 * tests/unit/test_sip_snapshot.c — sip/'s locator over a snapshot (sip/locate_snapshot.h): the
 * client-order targets from the consensus of a hand-built snapshot, every path and the SRV
 * names reached, one server's hijacked data out-voted by the consensus but followed while
 * collecting, questions no observation answers handed to `missing`, and a stable order. Also
 * the NAPTR rdata reader both use (model/view.h vx__naptr_parse): what ldns reads back from the
 * same canonical text, octet for octet, and malformed texts refused. And the view the checks
 * share (check/view_sip.h): a borrowed copy for its snapshot and profile only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "check_fixture.h"
#include "check/view_sip.h"
#include "sip/locate_snapshot.h"
#include "wire/rrset.h"

static vx__sip_result *consensus(const vx__snapshot *s, bool every_path, const char *profile)
{
    vx__view v;
    assert_int_equal(vx__view_build(s, profile, &v), VX_OK);
    vx__sip_snap_opts o = {
        .mode = VX__SIP_SNAP_CONSENSUS, .view = &v, .every_path = every_path, .profile = profile};
    vx__sip_result *r = NULL;
    vx__sip_locate_snapshot(s->domain, &o, &r);
    vx__view_free(&v);
    assert_non_null(r);
    return r;
}

static void expect(const vx__sip_result *r, size_t i, vx__sip_transport t, const char *host,
                   const char *addr_port)
{
    char got[VX__ADDR_TEXT_MAX];
    assert_true(i < r->count);
    vx__addr_format_port((const struct sockaddr *)&r->targets[i].addr, got, sizeof got);
    assert_int_equal(r->targets[i].transport, t);
    assert_string_equal(r->targets[i].host, host);
    assert_string_equal(got, addr_port);
}

static void test_client_order_from_consensus(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__sip_result *r = consensus(s, false, "generic");
    assert_int_equal(r->status, VX_OK);
    /* NAPTR order: TLS, TCP, UDP; two hosts each (equal weights: the seeded draw decides) */
    assert_int_equal(r->count, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(r->targets[i].transport, i < 2   ? VX__SIP_TLS
                                                  : i < 4 ? VX__SIP_TCP
                                                          : VX__SIP_UDP);
    assert_int_equal(r->targets[0].port, 5061);
    assert_string_equal(r->targets[0].tls_identity, "example.com");
    assert_int_equal(r->service_count, 3);
    assert_int_equal(r->services[0].source, VX__SIP_SRC_NAPTR);
    /* the same snapshot gives the same order every time */
    vx__sip_result *again = consensus(s, false, "generic");
    for (size_t i = 0; i < r->count; i++)
        assert_string_equal(again->targets[i].host, r->targets[i].host);
    vx__sip_result_free(again);
    vx__sip_result_free(r);
    fx_free(s);
}

static void test_every_path_and_profile_names(void **state)
{
    (void)state;
    static const char *const lync[] = {
        "_sipinternaltls._tcp.example.com. 3600 IN SRV 0 0 5061 edge.example.com.",
        "edge.example.com. 3600 IN A 203.0.113.5", NULL};
    const char **zone = fx_zone_edit(FX_ZONE, NULL, 0, lync);
    vx__snapshot *s = fx_healthy_zone("lync", zone);
    /* edge's address was never asked in the fixture: collecting would ask it */
    vx__sip_result *r = consensus(s, true, "lync");
    /* three NAPTR names (also default names: asked once), SCTP's and three Lync names */
    assert_int_equal(r->service_count, 7);
    assert_string_equal(r->services[3].owner, "_sip._sctp.example.com.");
    assert_string_equal(r->services[4].owner, "_sipinternaltls._tcp.example.com.");
    assert_true(r->services[4].extra);
    assert_int_equal(r->services[4].record_count, 1);
    assert_int_equal(r->services[5].status, VX_ENOTFOUND); /* NXDOMAIN */
    assert_int_equal(r->services[5].record_count, 0);
    vx__sip_result_free(r);
    fx_free(s);
    fx_zone_free(zone);
}

static void note(void *ctx, const char *name, uint16_t type)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 1024 - n, "%s/%u ", name, type);
}

static void test_any_follows_every_server_and_reports_missing(void **state)
{
    (void)state;
    static const char *const hijack[] = {
        "_sip._udp.example.com. 3600 IN SRV 10 50 5060 evil.example.com.", NULL};
    const char **bad = fx_zone_edit(FX_ZONE, "_sip._udp.example.com.", LDNS_RR_TYPE_SRV, hijack);
    const char *const *zones[] = {FX_ZONE, FX_ZONE, FX_ZONE, bad};
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    char missing[1024] = "";
    vx__sip_snap_opts o = {.mode = VX__SIP_SNAP_ANY,
                           .snap = s,
                           .missing = note,
                           .missing_ctx = missing,
                           .every_path = true};
    vx__sip_result *r = NULL;
    vx__sip_locate_snapshot(s->domain, &o, &r);
    assert_non_null(r);
    /* the hijacked server's target is followed: its addresses have not been asked yet */
    assert_non_null(strstr(missing, "evil.example.com./1 "));
    assert_non_null(strstr(missing, "evil.example.com./28 "));
    assert_null(strstr(missing, "sip1.example.com./1 "));
    vx__sip_result_free(r);
    /* the consensus (three servers against one) does not lead there */
    r = consensus(s, false, "generic");
    for (size_t i = 0; i < r->count; i++)
        assert_string_not_equal(r->targets[i].host, "evil.example.com.");
    bool sip1 = strcmp(r->targets[0].host, "sip1.example.com.") == 0;
    expect(r, 0, VX__SIP_TLS, sip1 ? "sip1.example.com." : "sip2.example.com.",
           sip1 ? "192.0.2.10:5061" : "198.51.100.10:5061");
    vx__sip_result_free(r);
    fx_free(s);
    fx_zone_free(bad);
}

static void test_nothing_observed(void **state)
{
    (void)state;
    vx__snapshot *s = fx_new(FX_D, "generic");
    char missing[1024] = "";
    vx__sip_snap_opts o = {
        .mode = VX__SIP_SNAP_ANY, .snap = s, .missing = note, .missing_ctx = missing};
    vx__sip_result *r = NULL;
    assert_int_equal(vx__sip_locate_snapshot(s->domain, &o, &r), VX_ETIMEDOUT);
    assert_int_equal(r->count, 0);
    /* NAPTR, then the default SRV names, then the domain's own addresses */
    assert_non_null(strstr(missing, "example.com./35 _sips._tcp.example.com./33 "));
    assert_non_null(strstr(missing, "example.com./28 example.com./1 "));
    vx__sip_result_free(r);
    o.snap = NULL;
    assert_int_equal(vx__sip_locate_snapshot(FX_D, &o, &r), VX_EINVAL);
    fx_free(s);
}

/* One zone-file NAPTR line → canonical text (wire/rrset.c) → vx__naptr_parse, against the
 * fields ldns reads back from that text (the way the checks and the locator read it before). */
static void expect_naptr_as_ldns(const char *line)
{
    ldns_rr *rr = NULL, *back = NULL;
    char *owner = NULL, *rdata = NULL, *text = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL), LDNS_STATUS_OK);
    assert_int_equal(vx__rr_canonical_text(rr, &owner, &rdata), VX_OK);
    vx__rrset set = {
        .owner = owner, .type = VX__T_NAPTR, .rrclass = 1, .ttl = 60, .count = 1, .rdata = &rdata};
    assert_non_null(back = vx__rrset_rr(&set, 0));
    vx__naptr_fields f;
    assert_int_equal(vx__naptr_parse(rdata, &f), VX_OK);
    assert_int_equal(f.order, ldns_rdf2native_int16(ldns_rr_rdf(back, 0)));
    assert_int_equal(f.pref, ldns_rdf2native_int16(ldns_rr_rdf(back, 1)));
    for (int i = 0; i < 3; i++) {
        const uint8_t *d = ldns_rdf_data(ldns_rr_rdf(back, (size_t)i + 2));
        assert_int_equal(f.len[i], d[0]);
        assert_memory_equal(f.str[i], d + 1, d[0]);
        assert_int_equal(f.str[i][f.len[i]], '\0');
    }
    assert_non_null(text = ldns_rdf2str(ldns_rr_rdf(back, 5)));
    assert_string_equal(f.replacement, text);
    LDNS_FREE(text);
    ldns_rr_free(back);
    ldns_rr_free(rr);
    free(owner);
    free(rdata);
}

static void test_naptr_text_read_as_ldns_reads_it(void **state)
{
    (void)state;
    expect_naptr_as_ldns("example.com. 60 IN NAPTR 10 50 \"s\" \"SIPS+D2T\" \"\" "
                         "_sips._tcp.Example.COM.");
    expect_naptr_as_ldns("example.com. 60 IN NAPTR 65535 0 \"U\" \"E2U+sip\" "
                         "\"!^.*$!sip:\\\"info\\\"\\\\x@example.com!\" .");
    expect_naptr_as_ldns("example.com. 60 IN NAPTR 0 1 \"a\\000b\" \"\\001\\255\\t\" "
                         "\"tab\there space\" sip\\.x.example.com.");
    char line[600], long_str[256];
    memset(long_str, 'r', 255);
    long_str[255] = '\0';
    snprintf(line, sizeof line, "example.com. 60 IN NAPTR 1 2 \"\" \"\" \"%s\" .", long_str);
    expect_naptr_as_ldns(line);
}

static void test_naptr_text_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "10 50 \"s\" \"SIP+D2U\" \"\"",        /* no replacement */
        "10 50 \"s\" \"SIP+D2U\" \"\" a. b.",  /* one field too many */
        "65536 50 \"s\" \"SIP+D2U\" \"\" a.",  /* order past 16 bits */
        "10 \"s\" \"SIP+D2U\" \"\" a.",        /* no preference */
        "10 50 s \"SIP+D2U\" \"\" a.",         /* unquoted: not ldns' form */
        "10 50 \"s \"SIP+D2U\" \"\" a.",       /* quote not closed where due */
        "10 50 \"\\256\" \"SIP+D2U\" \"\" a.", /* escape past an octet */
        "10 50 \"\\12\" \"SIP+D2U\" \"\" a.",  /* short decimal escape */
        "10 50 \"s\" \"SIP+D2U\" \"unterminated",
    };
    vx__naptr_fields f;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vx__naptr_parse(bad[i], &f), VX_EMALFORMED);
    assert_int_equal(vx__naptr_parse(NULL, &f), VX_EMALFORMED);
}

static void test_shared_view_borrowed_for_its_snapshot_only(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy(), *other = fx_healthy();
    vx__view own, b;
    assert_int_equal(vx__check_view_build(s, "generic", &own), VX_OK);
    assert_false(own.borrowed);
    vx__check_view_share(&own);
    assert_int_equal(vx__check_view_build(s, NULL, &b), VX_OK); /* NULL: the snapshot's profile */
    assert_true(b.borrowed);
    assert_ptr_equal(b.servers, own.servers);
    assert_int_equal(b.srvname_count, own.srvname_count);
    vx__view_free(&b);                                            /* leaves own alone */
    assert_int_equal(vx__check_view_build(s, "lync", &b), VX_OK); /* another profile */
    assert_false(b.borrowed);
    assert_true(b.srvname_count > own.srvname_count);
    vx__view_free(&b);
    assert_int_equal(vx__check_view_build(other, "generic", &b), VX_OK); /* another snapshot */
    assert_false(b.borrowed);
    vx__view_free(&b);
    vx__check_view_share(NULL);
    assert_int_equal(vx__check_view_build(s, "generic", &b), VX_OK);
    assert_false(b.borrowed);
    vx__view_free(&b);
    vx__view_free(&own);
    fx_free(other);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_order_from_consensus),
        cmocka_unit_test(test_every_path_and_profile_names),
        cmocka_unit_test(test_any_follows_every_server_and_reports_missing),
        cmocka_unit_test(test_nothing_observed),
        cmocka_unit_test(test_naptr_text_read_as_ldns_reads_it),
        cmocka_unit_test(test_naptr_text_malformed),
        cmocka_unit_test(test_shared_view_borrowed_for_its_snapshot_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
