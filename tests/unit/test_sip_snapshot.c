/*
 * tests/unit/test_sip_snapshot.c — sip/'s locator over a snapshot (sip/locate_snapshot.h): the
 * client-order targets from the consensus of a hand-built snapshot, every path and the SRV
 * names reached, one server's hijacked data out-voted by the consensus but followed while
 * collecting, questions no observation answers handed to `missing`, and a stable order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check_fixture.h"
#include "sip/locate_snapshot.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_order_from_consensus),
        cmocka_unit_test(test_every_path_and_profile_names),
        cmocka_unit_test(test_any_follows_every_server_and_reports_missing),
        cmocka_unit_test(test_nothing_observed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
