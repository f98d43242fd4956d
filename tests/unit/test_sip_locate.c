/*
 * tests/unit/test_sip_locate.c — RFC 3263 location over a table-driven fake DNS: every branch
 * of §4.1/§4.2 (numeric host, explicit port, explicit transport, NAPTR → SRV → A/AAAA, no
 * NAPTR, no SRV), sips rules, transports the caller lacks, "." targets, the three domain
 * policies, domain failover, CNAMEs, TTLs, failures, the asynchronous interface, and target
 * feedback on a virtual clock (held targets last, fallback domains and a second source when
 * every target is held, registrar affinity).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "sip/health.h"
#include "sip/locate.h"
#include "voxdns/status.h"
#include "wire/addr.h"

/* ---- a fake DNS ------------------------------------------------------------------------ */

typedef struct entry {
    char name[256];
    uint16_t type;
    int status;
    const char *cname;
    vx__sip_naptr naptr[16];
    size_t n_naptr;
    vx__sip_srv srv[16];
    size_t n_srv;
    vx__sip_addr addr[8];
    size_t n_addr;
} entry;

typedef struct zone {
    entry e[48];
    size_t n;
    char asked[256][300];
    size_t n_asked;
} zone;

static zone z;

static int reset(void **state)
{
    (void)state;
    memset(&z, 0, sizeof z);
    return 0;
}

static const char *type_name(uint16_t t)
{
    switch (t) {
    case VX__SIP_RR_NAPTR:
        return "NAPTR";
    case VX__SIP_RR_SRV:
        return "SRV";
    case VX__SIP_RR_A:
        return "A";
    case VX__SIP_RR_AAAA:
        return "AAAA";
    }
    return "?";
}

static entry *at(const char *name, uint16_t type)
{
    for (size_t i = 0; i < z.n; i++)
        if (z.e[i].type == type && strcasecmp(z.e[i].name, name) == 0)
            return &z.e[i];
    entry *e = &z.e[z.n++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->type = type;
    return e;
}

static void z_naptr(const char *name, uint16_t order, uint16_t pref, const char *flags,
                    const char *service, const char *replacement)
{
    entry *e = at(name, VX__SIP_RR_NAPTR);
    e->naptr[e->n_naptr++] = (vx__sip_naptr){order, pref, flags, service, "", replacement, 3600};
}

static void z_srv(const char *name, uint16_t prio, uint16_t weight, uint16_t port,
                  const char *target)
{
    entry *e = at(name, VX__SIP_RR_SRV);
    e->srv[e->n_srv++] = (vx__sip_srv){prio, weight, port, target, 1800};
}

static void z_addr_ttl(const char *name, const char *text, uint32_t ttl)
{
    vx__sip_addr a = {.ttl = ttl};
    socklen_t len;
    assert_int_equal(vx__addr_parse(text, 0, &a.addr, &len), VX_OK);
    entry *e = at(name, a.addr.ss_family == AF_INET ? VX__SIP_RR_A : VX__SIP_RR_AAAA);
    e->addr[e->n_addr++] = a;
}

static void z_addr(const char *name, const char *text)
{
    z_addr_ttl(name, text, 300);
}

static void z_fail(const char *name, uint16_t type, int status)
{
    at(name, type)->status = status;
}

static void z_cname(const char *name, uint16_t type, const char *target)
{
    at(name, type)->cname = target;
}

static bool was_asked(const char *name, uint16_t type)
{
    char want[300];
    snprintf(want, sizeof want, "%s %s", type_name(type), name);
    for (size_t i = 0; i < z.n_asked; i++)
        if (strcasecmp(z.asked[i], want) == 0)
            return true;
    return false;
}

static entry *find(const char *name, uint16_t type)
{
    for (size_t i = 0; i < z.n; i++)
        if (z.e[i].type == type && strcasecmp(z.e[i].name, name) == 0)
            return &z.e[i];
    return NULL;
}

static void fill(const entry *e, vx__sip_records *out)
{
    out->naptr = e->naptr;
    out->naptr_count = e->n_naptr;
    out->srv = e->srv;
    out->srv_count = e->n_srv;
    out->addr = e->addr;
    out->addr_count = e->n_addr;
    out->cname = e->cname;
    out->cname_ttl = 60;
}

static int lookup(void *ctx, const char *name, uint16_t type, vx__sip_records *out)
{
    (void)ctx;
    if (z.n_asked < 256)
        snprintf(z.asked[z.n_asked++], sizeof z.asked[0], "%s %s", type_name(type), name);
    const entry *e = find(name, type);
    if (!e)
        return VX_ENOTFOUND;
    fill(e, out);
    return e->status;
}

/* ---- helpers --------------------------------------------------------------------------- */

static vx__sip_xorshift rng;

static vx__sip_opts opts_default(void)
{
    vx__sip_xorshift_seed(&rng, 2024);
    return (vx__sip_opts){.random = vx__sip_xorshift_next, .random_ctx = &rng};
}

static vx__sip_result *locate_ok(const char *uri, const vx__sip_opts *o)
{
    vx__sip_result *res = NULL;
    char err[256] = "";
    int rc = vx__sip_locate(uri, o, lookup, NULL, &res, err, sizeof err);
    if (rc != VX_OK)
        fail_msg("%s: %s (%s)", uri, vx_strerror(rc), err);
    return res;
}

static void expect_target(const vx__sip_result *r, size_t i, vx__sip_transport t, const char *host,
                          const char *addr_port, vx__sip_source src)
{
    char got[VX__ADDR_TEXT_MAX];
    if (i >= r->count)
        fail_msg("target %zu missing (%zu found)", i, r->count);
    const vx__sip_target *tg = &r->targets[i];
    assert_int_equal(vx__addr_format_port((const struct sockaddr *)&tg->addr, got, sizeof got),
                     VX_OK);
    if (tg->transport != t || strcmp(tg->host, host) != 0 || strcmp(got, addr_port) != 0 ||
        tg->source != src)
        fail_msg("target %zu is %s %s %s (%s), wanted %s %s %s (%s)", i,
                 vx__sip_transport_name(tg->transport), tg->host, got,
                 vx__sip_source_name(tg->source), vx__sip_transport_name(t), host, addr_port,
                 vx__sip_source_name(src));
}

static bool has_drop(const vx__sip_result *r, vx__sip_drop_reason why, const char *name)
{
    for (size_t i = 0; i < r->drop_count; i++)
        if (r->drops[i].reason == why && strcmp(r->drops[i].name, name) == 0)
            return true;
    return false;
}

/* A complete example.com: NAPTR for TLS, TCP, UDP; one SRV each; addresses. */
static void zone_example_com(void)
{
    z_naptr("example.com.", 10, 30, "s", "SIP+D2U", "_sip._udp.example.com.");
    z_naptr("example.com.", 10, 10, "S", "SIPS+D2T", "_sips._tcp.example.com.");
    z_naptr("example.com.", 10, 20, "s", "sip+d2t", "_sip._tcp.example.com.");
    z_srv("_sips._tcp.example.com.", 0, 0, 5061, "tls.example.com.");
    z_srv("_sip._tcp.example.com.", 0, 0, 5060, "tcp.example.com.");
    z_srv("_sip._udp.example.com.", 0, 0, 5060, "udp.example.com.");
    z_addr("tls.example.com.", "192.0.2.1");
    z_addr("tcp.example.com.", "192.0.2.2");
    z_addr("udp.example.com.", "192.0.2.3");
    z_addr("udp.example.com.", "2001:db8::3");
    z_addr("example.com.", "192.0.2.100");
}

/* ---- numeric host, explicit port, explicit transport ----------------------------------- */

static void test_numeric_host(void **state)
{
    (void)state;
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sip:alice@192.0.2.10", &o);
    assert_int_equal(r->count, 1);
    expect_target(r, 0, VX__SIP_UDP, "192.0.2.10", "192.0.2.10:5060", VX__SIP_SRC_NUMERIC);
    assert_null(r->targets[0].tls_identity);
    assert_int_equal(r->targets[0].ttl, UINT32_MAX);
    assert_int_equal(z.n_asked, 0); /* no DNS at all */
    vx__sip_result_free(r);

    r = locate_ok("sips:[2001:db8::5]", &o);
    expect_target(r, 0, VX__SIP_TLS, "2001:db8::5", "[2001:db8::5]:5061", VX__SIP_SRC_NUMERIC);
    assert_string_equal(r->targets[0].tls_identity, "2001:db8::5");
    vx__sip_result_free(r);

    r = locate_ok("sip:192.0.2.10:5070;transport=tcp", &o);
    expect_target(r, 0, VX__SIP_TCP, "192.0.2.10", "192.0.2.10:5070", VX__SIP_SRC_NUMERIC);
    vx__sip_result_free(r);
    assert_int_equal(z.n_asked, 0);
}

static void test_numeric_without_udp(void **state)
{
    (void)state;
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_TCP | VX__SIP_TLS;
    /* RFC 3263 §4.1 says UDP; a client without UDP MAY use TCP */
    vx__sip_result *r = locate_ok("sip:192.0.2.10", &o);
    expect_target(r, 0, VX__SIP_TCP, "192.0.2.10", "192.0.2.10:5060", VX__SIP_SRC_NUMERIC);
    vx__sip_result_free(r);
}

static void test_maddr_is_target(void **state)
{
    (void)state;
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sips:example.com;maddr=192.0.2.99", &o);
    expect_target(r, 0, VX__SIP_TLS, "192.0.2.99", "192.0.2.99:5061", VX__SIP_SRC_NUMERIC);
    /* the certificate still has to name the SIP domain */
    assert_string_equal(r->targets[0].tls_identity, "example.com");
    assert_string_equal(r->targets[0].domain, "example.com.");
    vx__sip_result_free(r);
}

static void test_explicit_port_skips_naptr_srv(void **state)
{
    (void)state;
    zone_example_com();
    z_addr("example.com.", "2001:db8::100");
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sip:example.com:5080", &o);
    assert_false(was_asked("example.com.", VX__SIP_RR_NAPTR));
    assert_int_equal(z.n_asked, 2);
    assert_true(was_asked("example.com.", VX__SIP_RR_A));
    assert_true(was_asked("example.com.", VX__SIP_RR_AAAA));
    assert_int_equal(r->count, 2);
    expect_target(r, 0, VX__SIP_UDP, "example.com.", "[2001:db8::100]:5080", VX__SIP_SRC_A);
    expect_target(r, 1, VX__SIP_UDP, "example.com.", "192.0.2.100:5080", VX__SIP_SRC_A);
    vx__sip_result_free(r);

    /* sips with a port: TLS at that port, identity the domain */
    r = locate_ok("sips:example.com:5999", &o);
    expect_target(r, 0, VX__SIP_TLS, "example.com.", "[2001:db8::100]:5999", VX__SIP_SRC_A);
    assert_string_equal(r->targets[0].tls_identity, "example.com");
    vx__sip_result_free(r);

    /* transport and port: that transport, that port */
    r = locate_ok("sip:example.com:5080;transport=tcp", &o);
    expect_target(r, 0, VX__SIP_TCP, "example.com.", "[2001:db8::100]:5080", VX__SIP_SRC_A);
    vx__sip_result_free(r);
}

static void test_explicit_transport_srv(void **state)
{
    (void)state;
    zone_example_com();
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sip:example.com;transport=tcp", &o);
    assert_false(was_asked("example.com.", VX__SIP_RR_NAPTR));
    assert_true(was_asked("_sip._tcp.example.com.", VX__SIP_RR_SRV));
    assert_false(was_asked("_sip._udp.example.com.", VX__SIP_RR_SRV));
    assert_int_equal(r->count, 1);
    expect_target(r, 0, VX__SIP_TCP, "tcp.example.com.", "192.0.2.2:5060", VX__SIP_SRC_SRV);
    vx__sip_result_free(r);

    /* sip: with transport=tls asks _sips._tcp (RFC 3263 §4.2) */
    r = locate_ok("sip:example.com;transport=tls", &o);
    assert_true(was_asked("_sips._tcp.example.com.", VX__SIP_RR_SRV));
    expect_target(r, 0, VX__SIP_TLS, "tls.example.com.", "192.0.2.1:5061", VX__SIP_SRC_SRV);
    assert_string_equal(r->targets[0].tls_identity, "example.com");
    vx__sip_result_free(r);
}

static void test_explicit_transport_no_srv(void **state)
{
    (void)state;
    z_addr("example.org.", "198.51.100.7");
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sip:example.org;transport=tcp", &o);
    assert_true(was_asked("_sip._tcp.example.org.", VX__SIP_RR_SRV));
    expect_target(r, 0, VX__SIP_TCP, "example.org.", "198.51.100.7:5060", VX__SIP_SRC_A);
    vx__sip_result_free(r);
}

static void test_explicit_transport_unsupported(void **state)
{
    (void)state;
    zone_example_com();
    vx__sip_opts o = opts_default(); /* SCTP is not in the default set */
    vx__sip_result *r = NULL;
    char err[128];
    int rc =
        vx__sip_locate("sip:example.com;transport=sctp", &o, lookup, NULL, &r, err, sizeof err);
    assert_int_equal(rc, VX_EUNSUPPORTED);
    assert_non_null(r);
    assert_int_equal(r->count, 0);
    assert_true(has_drop(r, VX__SIP_DROP_UNSUPPORTED, "example.com."));
    assert_int_equal(z.n_asked, 0);
    vx__sip_result_free(r);
}

/* ---- NAPTR ----------------------------------------------------------------------------- */

static void test_naptr_chain(void **state)
{
    (void)state;
    zone_example_com();
    /* records that must be discarded: other flags, unknown or unsupported services, "." */
    z_naptr("example.com.", 5, 1, "a", "SIP+D2U", "udp.example.com.");
    z_naptr("example.com.", 5, 1, "u", "SIP+D2T", "_sip._tcp.example.com.");
    z_naptr("example.com.", 5, 1, "", "SIP+D2T", "_x._tcp.example.com.");
    z_naptr("example.com.", 5, 1, "s", "SIP+D2S", "_sip._sctp.example.com.");
    z_naptr("example.com.", 5, 1, "s", "E2U+sip", "_y._tcp.example.com.");
    z_naptr("example.com.", 5, 1, "s", "SIP+D2U", ".");
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    assert_true(was_asked("example.com.", VX__SIP_RR_NAPTR));
    assert_false(was_asked("_sip._sctp.example.com.", VX__SIP_RR_SRV));
    assert_false(was_asked("_x._tcp.example.com.", VX__SIP_RR_SRV));
    assert_false(was_asked("_y._tcp.example.com.", VX__SIP_RR_SRV));
    assert_false(was_asked("example.com.", VX__SIP_RR_A)); /* SRV found: no fallback */
    /* order 10, preference 10 / 20 / 30: TLS, TCP, UDP (AAAA before A) */
    assert_int_equal(r->count, 4);
    expect_target(r, 0, VX__SIP_TLS, "tls.example.com.", "192.0.2.1:5061", VX__SIP_SRC_NAPTR);
    expect_target(r, 1, VX__SIP_TCP, "tcp.example.com.", "192.0.2.2:5060", VX__SIP_SRC_NAPTR);
    expect_target(r, 2, VX__SIP_UDP, "udp.example.com.", "[2001:db8::3]:5060", VX__SIP_SRC_NAPTR);
    expect_target(r, 3, VX__SIP_UDP, "udp.example.com.", "192.0.2.3:5060", VX__SIP_SRC_NAPTR);
    assert_string_equal(r->targets[0].tls_identity, "example.com");
    assert_null(r->targets[1].tls_identity);
    assert_string_equal(r->targets[0].domain, "example.com.");
    assert_int_equal(r->targets[0].domain_index, 0);
    /* TTL: the smallest along NAPTR 3600 → SRV 1800 → A 300 */
    assert_int_equal(r->targets[0].ttl, 300);
    vx__sip_result_free(r);
}

static void test_naptr_order_before_preference(void **state)
{
    (void)state;
    zone_example_com();
    at("example.com.", VX__SIP_RR_NAPTR)->n_naptr = 0;
    z_naptr("example.com.", 20, 1, "s", "SIPS+D2T", "_sips._tcp.example.com.");
    z_naptr("example.com.", 10, 99, "s", "SIP+D2U", "_sip._udp.example.com.");
    vx__sip_opts o = opts_default();
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    assert_int_equal(r->count, 2);
    expect_target(r, 0, VX__SIP_UDP, "udp.example.com.", "192.0.2.3:5060", VX__SIP_SRC_NAPTR);
    expect_target(r, 1, VX__SIP_TLS, "tls.example.com.", "192.0.2.1:5061", VX__SIP_SRC_NAPTR);
    assert_false(was_asked("udp.example.com.", VX__SIP_RR_AAAA)); /* IPv4 only */
    vx__sip_result_free(r);
}

static void test_sips_uses_only_sips_services(void **state)
{
    (void)state;
    zone_example_com();
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sips:bob@example.com", &o);
    assert_true(was_asked("_sips._tcp.example.com.", VX__SIP_RR_SRV));
    assert_false(was_asked("_sip._tcp.example.com.", VX__SIP_RR_SRV));
    assert_false(was_asked("_sip._udp.example.com.", VX__SIP_RR_SRV));
    assert_int_equal(r->count, 1);
    expect_target(r, 0, VX__SIP_TLS, "tls.example.com.", "192.0.2.1:5061", VX__SIP_SRC_NAPTR);
    assert_string_equal(r->targets[0].tls_identity, "example.com");
    vx__sip_result_free(r);
}

static void test_unsupported_transports_filtered(void **state)
{
    (void)state;
    zone_example_com();
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    assert_false(was_asked("_sips._tcp.example.com.", VX__SIP_RR_SRV));
    assert_false(was_asked("_sip._tcp.example.com.", VX__SIP_RR_SRV));
    for (size_t i = 0; i < r->count; i++)
        assert_int_equal(r->targets[i].transport, VX__SIP_UDP);
    assert_int_equal(r->count, 2);
    vx__sip_result_free(r);

    /* a sips URI for a client without TLS: nothing usable, nothing asked */
    memset(&z, 0, sizeof z);
    zone_example_com();
    vx__sip_result *r2 = NULL;
    int rc = vx__sip_locate("sips:example.com", &o, lookup, NULL, &r2, NULL, 0);
    assert_int_equal(rc, VX_EUNSUPPORTED);
    assert_int_equal(r2->count, 0);
    assert_int_equal(z.n_asked, 0);
    assert_true(has_drop(r2, VX__SIP_DROP_UNSUPPORTED, "example.com."));
    vx__sip_result_free(r2);
}

static void test_sctp_only_when_asked(void **state)
{
    (void)state;
    z_naptr("example.net.", 10, 10, "s", "SIP+D2S", "_sip._sctp.example.net.");
    z_srv("_sip._sctp.example.net.", 0, 0, 5060, "sctp.example.net.");
    z_addr("sctp.example.net.", "203.0.113.5");
    z_addr("example.net.", "203.0.113.1");
    vx__sip_opts o = opts_default();
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.net", &o);
    /* SIP+D2S ignored → no usable NAPTR → default SRV names (no SCTP) → A fallback */
    assert_false(was_asked("_sip._sctp.example.net.", VX__SIP_RR_SRV));
    assert_true(was_asked("_sip._udp.example.net.", VX__SIP_RR_SRV));
    expect_target(r, 0, VX__SIP_UDP, "example.net.", "203.0.113.1:5060", VX__SIP_SRC_A);
    vx__sip_result_free(r);

    o.transports = VX__SIP_TRANSPORTS_ALL;
    r = locate_ok("sip:example.net", &o);
    expect_target(r, 0, VX__SIP_SCTP, "sctp.example.net.", "203.0.113.5:5060", VX__SIP_SRC_NAPTR);
    vx__sip_result_free(r);
}

static void test_naptr_without_srv_falls_back_to_a(void **state)
{
    (void)state;
    z_naptr("example.com.", 10, 10, "s", "SIP+D2T", "_sip._tcp.example.com.");
    z_addr("example.com.", "192.0.2.100");
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    /* the transport determined by NAPTR (TCP) is kept, at its default port */
    assert_int_equal(r->count, 1);
    expect_target(r, 0, VX__SIP_TCP, "example.com.", "192.0.2.100:5060", VX__SIP_SRC_A);
    vx__sip_result_free(r);
}

/* ---- no NAPTR: SRV, then A/AAAA -------------------------------------------------------- */

static void test_no_naptr_srv_in_preference_order(void **state)
{
    (void)state;
    zone_example_com();
    at("example.com.", VX__SIP_RR_NAPTR)->status = VX_ENOTFOUND;
    vx__sip_opts o = opts_default();
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    assert_true(was_asked("_sips._tcp.example.com.", VX__SIP_RR_SRV));
    assert_true(was_asked("_sip._tcp.example.com.", VX__SIP_RR_SRV));
    assert_true(was_asked("_sip._udp.example.com.", VX__SIP_RR_SRV));
    assert_false(was_asked("_sip._sctp.example.com.", VX__SIP_RR_SRV));
    assert_int_equal(r->count, 3);
    expect_target(r, 0, VX__SIP_TLS, "tls.example.com.", "192.0.2.1:5061", VX__SIP_SRC_SRV);
    expect_target(r, 1, VX__SIP_TCP, "tcp.example.com.", "192.0.2.2:5060", VX__SIP_SRC_SRV);
    expect_target(r, 2, VX__SIP_UDP, "udp.example.com.", "192.0.2.3:5060", VX__SIP_SRC_SRV);
    vx__sip_result_free(r);

    /* without TLS support, _sips._tcp is not even asked */
    memset(&z, 0, sizeof z);
    zone_example_com();
    at("example.com.", VX__SIP_RR_NAPTR)->n_naptr = 0;
    o.transports = VX__SIP_UDP | VX__SIP_TCP;
    r = locate_ok("sip:example.com", &o);
    assert_false(was_asked("_sips._tcp.example.com.", VX__SIP_RR_SRV));
    expect_target(r, 0, VX__SIP_TCP, "tcp.example.com.", "192.0.2.2:5060", VX__SIP_SRC_SRV);
    vx__sip_result_free(r);
}

static void test_no_naptr_no_srv(void **state)
{
    (void)state;
    z_addr("example.org.", "198.51.100.7");
    z_addr("example.org.", "2001:db8:7::7");
    vx__sip_opts o = opts_default();
    vx__sip_result *r = locate_ok("sip:example.org", &o);
    assert_int_equal(r->count, 2);
    expect_target(r, 0, VX__SIP_UDP, "example.org.", "[2001:db8:7::7]:5060", VX__SIP_SRC_A);
    expect_target(r, 1, VX__SIP_UDP, "example.org.", "198.51.100.7:5060", VX__SIP_SRC_A);
    vx__sip_result_free(r);

    o.ipv4_first = true;
    r = locate_ok("sips:example.org", &o);
    assert_int_equal(r->count, 2);
    expect_target(r, 0, VX__SIP_TLS, "example.org.", "198.51.100.7:5061", VX__SIP_SRC_A);
    assert_string_equal(r->targets[0].tls_identity, "example.org");
    vx__sip_result_free(r);
}

static void test_srv_dot_means_no_service(void **state)
{
    (void)state;
    z_srv("_sip._udp.example.org.", 0, 0, 0, ".");
    z_addr("example.org.", "198.51.100.7");
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    vx__sip_result *r = NULL;
    int rc = vx__sip_locate("sip:example.org", &o, lookup, NULL, &r, NULL, 0);
    /* "." is an answer: the service is decidedly not there, so no A/AAAA fallback */
    assert_int_equal(rc, VX_ENOTFOUND);
    assert_int_equal(r->count, 0);
    assert_false(was_asked("example.org.", VX__SIP_RR_A));
    assert_true(has_drop(r, VX__SIP_DROP_NO_SERVICE, "_sip._udp.example.org."));
    vx__sip_result_free(r);
}

static void test_srv_priorities_and_missing_addresses(void **state)
{
    (void)state;
    z_srv("_sip._udp.example.org.", 20, 0, 5070, "backup.example.org.");
    z_srv("_sip._udp.example.org.", 10, 0, 5060, "primary.example.org.");
    z_srv("_sip._udp.example.org.", 15, 0, 5060, "ghost.example.org.");
    z_addr("primary.example.org.", "198.51.100.1");
    z_addr("backup.example.org.", "198.51.100.2");
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.org", &o);
    assert_int_equal(r->count, 2);
    expect_target(r, 0, VX__SIP_UDP, "primary.example.org.", "198.51.100.1:5060", VX__SIP_SRC_SRV);
    expect_target(r, 1, VX__SIP_UDP, "backup.example.org.", "198.51.100.2:5070", VX__SIP_SRC_SRV);
    assert_int_equal(r->targets[0].priority, 10);
    assert_int_equal(r->targets[1].priority, 20);
    assert_true(has_drop(r, VX__SIP_DROP_NO_ADDRESS, "ghost.example.org."));
    vx__sip_result_free(r);
}

static void test_srv_weights_through_locator(void **state)
{
    (void)state;
    z_srv("_sip._udp.example.org.", 1, 90, 5060, "heavy.example.org.");
    z_srv("_sip._udp.example.org.", 1, 10, 5060, "light.example.org.");
    z_addr("heavy.example.org.", "198.51.100.1");
    z_addr("light.example.org.", "198.51.100.2");
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    int heavy_first = 0;
    for (int i = 0; i < 2000; i++) {
        vx__sip_result *r = locate_ok("sip:example.org", &o);
        heavy_first += strcmp(r->targets[0].host, "heavy.example.org.") == 0;
        vx__sip_result_free(r);
    }
    /* 91/101 by RFC 2782: r in [0, 100], heavy (first in arrival) wins r in [0, 90] */
    assert_true(heavy_first > 1700 && heavy_first < 1860);
}

/* ---- policies -------------------------------------------------------------------------- */

static void zone_policy(void)
{
    z_srv("_sip._udp.voice.example.com.", 0, 0, 5060, "voice.example.com.");
    z_srv("_sip._udp.voice.example.com.", 1, 0, 5060, "edge.eu.voice.example.com.");
    z_srv("_sip._udp.voice.example.com.", 2, 0, 5060, "sip.example.com.");
    z_srv("_sip._udp.voice.example.com.", 3, 0, 5060, "sip.example.net.");
    z_srv("_sip._udp.voice.example.com.", 4, 0, 5060, "badvoice.example.com.");
    z_addr("voice.example.com.", "192.0.2.1");
    z_addr("edge.eu.voice.example.com.", "192.0.2.2");
    z_addr("sip.example.com.", "192.0.2.3");
    z_addr("sip.example.net.", "192.0.2.4");
    z_addr("badvoice.example.com.", "192.0.2.5");
}

static vx__sip_result *locate_policy(vx__sip_policy p)
{
    memset(&z, 0, sizeof z);
    zone_policy();
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    o.policy = p;
    return locate_ok("sip:voice.example.com", &o);
}

static void test_policy_strict(void **state)
{
    (void)state;
    vx__sip_result *r = locate_policy(VX__SIP_POLICY_STRICT);
    assert_int_equal(r->count, 2);
    assert_string_equal(r->targets[0].host, "voice.example.com.");
    assert_string_equal(r->targets[1].host, "edge.eu.voice.example.com.");
    assert_true(has_drop(r, VX__SIP_DROP_POLICY, "sip.example.com."));
    assert_true(has_drop(r, VX__SIP_DROP_POLICY, "sip.example.net."));
    assert_true(has_drop(r, VX__SIP_DROP_POLICY, "badvoice.example.com."));
    /* dropped targets are not even asked for */
    assert_false(was_asked("sip.example.net.", VX__SIP_RR_A));
    vx__sip_result_free(r);
}

static void test_policy_suffix(void **state)
{
    (void)state;
    vx__sip_result *r = locate_policy(VX__SIP_POLICY_SUFFIX);
    assert_int_equal(r->count, 4);
    assert_string_equal(r->targets[2].host, "sip.example.com.");
    assert_string_equal(r->targets[3].host, "badvoice.example.com.");
    assert_true(has_drop(r, VX__SIP_DROP_POLICY, "sip.example.net."));
    assert_int_equal(r->drop_count, 1);
    vx__sip_result_free(r);
}

static void test_policy_off(void **state)
{
    (void)state;
    vx__sip_result *r = locate_policy(VX__SIP_POLICY_OFF);
    assert_int_equal(r->count, 5);
    assert_int_equal(r->drop_count, 0);
    vx__sip_result_free(r);
}

static void test_policy_on_naptr_replacement(void **state)
{
    (void)state;
    z_naptr("example.com.", 10, 10, "s", "SIP+D2U", "_sip._udp.hijack.example.");
    z_srv("_sip._udp.hijack.example.", 0, 0, 5060, "evil.hijack.example.");
    z_addr("evil.hijack.example.", "203.0.113.66");
    z_srv("_sip._udp.example.com.", 0, 0, 5060, "sip.example.com.");
    z_addr("sip.example.com.", "192.0.2.10");
    vx__sip_opts o = opts_default();
    o.families = VX__SIP_AF_V4;
    o.policy = VX__SIP_POLICY_STRICT;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    assert_true(has_drop(r, VX__SIP_DROP_POLICY, "_sip._udp.hijack.example."));
    assert_false(was_asked("_sip._udp.hijack.example.", VX__SIP_RR_SRV));
    /* no usable NAPTR left → the default SRV names */
    expect_target(r, 0, VX__SIP_UDP, "sip.example.com.", "192.0.2.10:5060", VX__SIP_SRC_SRV);
    vx__sip_result_free(r);
}

static void test_policy_functions(void **state)
{
    (void)state;
    assert_true(vx__sip_policy_allows(VX__SIP_POLICY_STRICT, "example.com", "Example.COM."));
    assert_true(vx__sip_policy_allows(VX__SIP_POLICY_STRICT, "example.com.", "a.b.example.com"));
    assert_false(vx__sip_policy_allows(VX__SIP_POLICY_STRICT, "example.com", "badexample.com"));
    assert_false(vx__sip_policy_allows(VX__SIP_POLICY_STRICT, "example.com", "com"));
    assert_false(vx__sip_policy_allows(VX__SIP_POLICY_STRICT, "example.com", "bad..name"));
    assert_true(
        vx__sip_policy_allows(VX__SIP_POLICY_SUFFIX, "voice.example.co.uk", "sip.example.co.uk"));
    assert_false(
        vx__sip_policy_allows(VX__SIP_POLICY_SUFFIX, "voice.example.co.uk", "sip.other.co.uk"));
    /* a SIP domain that is itself a public suffix: SUFFIX is STRICT */
    assert_true(vx__sip_policy_allows(VX__SIP_POLICY_SUFFIX, "co.uk", "sip.co.uk"));
    assert_false(vx__sip_policy_allows(VX__SIP_POLICY_SUFFIX, "co.uk", "sip.org.uk"));
    assert_true(vx__sip_policy_allows(VX__SIP_POLICY_OFF, "example.com", "anything.example"));
    vx__sip_policy p;
    assert_int_equal(vx__sip_policy_from_text("Suffix", &p), VX_OK);
    assert_int_equal(p, VX__SIP_POLICY_SUFFIX);
    assert_int_equal(vx__sip_policy_from_text("loose", &p), VX_EINVAL);
    assert_string_equal(vx__sip_policy_name(VX__SIP_POLICY_STRICT), "strict");
}

/* ---- failover across SIP domains ------------------------------------------------------- */

static void zone_failover(void)
{
    z_fail("example.com.", VX__SIP_RR_NAPTR, VX_ESERVFAIL);
    z_srv("_sip._udp.example.net.", 0, 0, 5060, "sip.example.net.");
    z_addr("sip.example.net.", "198.51.100.20");
    z_addr("example.org.", "203.0.113.30");
}

static void test_failover_to_next_domain(void **state)
{
    (void)state;
    zone_failover();
    const char *fallbacks[] = {"example.net", "example.org"};
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    o.fallback_domains = fallbacks;
    o.fallback_count = 2;
    vx__sip_result *r = locate_ok("sip:alice@example.com", &o);
    assert_int_equal(r->count, 1);
    expect_target(r, 0, VX__SIP_UDP, "sip.example.net.", "198.51.100.20:5060", VX__SIP_SRC_SRV);
    assert_string_equal(r->targets[0].domain, "example.net.");
    assert_int_equal(r->targets[0].domain_index, 1);
    assert_false(was_asked("example.org.", VX__SIP_RR_NAPTR)); /* stopped at the first hit */
    vx__sip_result_free(r);

    /* all_domains: every domain, in order */
    memset(&z, 0, sizeof z);
    zone_failover();
    o.all_domains = true;
    r = locate_ok("sip:alice@example.com", &o);
    assert_int_equal(r->count, 2);
    assert_string_equal(r->targets[1].domain, "example.org.");
    assert_int_equal(r->targets[1].domain_index, 2);
    expect_target(r, 1, VX__SIP_UDP, "example.org.", "203.0.113.30:5060", VX__SIP_SRC_A);
    vx__sip_result_free(r);
}

static void test_failover_inherits_scheme(void **state)
{
    (void)state;
    z_addr("example.net.", "198.51.100.9");
    const char *fallbacks[] = {"example.net"};
    vx__sip_opts o = opts_default();
    o.families = VX__SIP_AF_V4;
    o.fallback_domains = fallbacks;
    o.fallback_count = 1;
    vx__sip_result *r = locate_ok("sips:example.com:5999", &o);
    /* sips carried over; the port was example.com's, so example.net gets the default */
    expect_target(r, 0, VX__SIP_TLS, "example.net.", "198.51.100.9:5061", VX__SIP_SRC_A);
    assert_string_equal(r->targets[0].tls_identity, "example.net");
    assert_true(was_asked("_sips._tcp.example.net.", VX__SIP_RR_SRV));
    vx__sip_result_free(r);
}

static void test_all_domains_fail(void **state)
{
    (void)state;
    z_fail("example.com.", VX__SIP_RR_NAPTR, VX_ETIMEDOUT);
    const char *fallbacks[] = {"sip:example.net;transport=tcp"};
    vx__sip_opts o = opts_default();
    o.fallback_domains = fallbacks;
    o.fallback_count = 1;
    vx__sip_result *r = NULL;
    int rc = vx__sip_locate("sip:example.com", &o, lookup, NULL, &r, NULL, 0);
    /* nothing anywhere: the timeout seen on the way is the reason given */
    assert_int_equal(rc, VX_ETIMEDOUT);
    assert_int_equal(r->status, VX_ETIMEDOUT);
    assert_int_equal(r->count, 0);
    /* the NAPTR failure did not stop location: SRV and A/AAAA were still tried */
    assert_true(was_asked("_sip._udp.example.com.", VX__SIP_RR_SRV));
    assert_true(was_asked("example.com.", VX__SIP_RR_A));
    assert_true(was_asked("_sip._tcp.example.net.", VX__SIP_RR_SRV));
    vx__sip_result_free(r);
}

/* ---- CNAME, duplicates, limits --------------------------------------------------------- */

static void test_cname_followed(void **state)
{
    (void)state;
    z_srv("_sip._udp.example.org.", 0, 0, 5060, "alias.example.org.");
    z_cname("alias.example.org.", VX__SIP_RR_A, "real.example.org.");
    z_addr_ttl("real.example.org.", "198.51.100.50", 900);
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.org", &o);
    expect_target(r, 0, VX__SIP_UDP, "alias.example.org.", "198.51.100.50:5060", VX__SIP_SRC_SRV);
    assert_true(was_asked("real.example.org.", VX__SIP_RR_A));
    assert_int_equal(r->targets[0].ttl, 60); /* the CNAME's TTL is the smallest */
    vx__sip_result_free(r);
}

static void test_cname_loop_bounded(void **state)
{
    (void)state;
    z_srv("_sip._udp.example.org.", 0, 0, 5060, "a.example.org.");
    z_cname("a.example.org.", VX__SIP_RR_A, "b.example.org.");
    z_cname("b.example.org.", VX__SIP_RR_A, "a.example.org.");
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = NULL;
    int rc = vx__sip_locate("sip:example.org", &o, lookup, NULL, &r, NULL, 0);
    assert_int_equal(rc, VX_ELIMIT);
    assert_true(has_drop(r, VX__SIP_DROP_NO_ADDRESS, "a.example.org."));
    vx__sip_result_free(r);
}

static void test_duplicates_dropped(void **state)
{
    (void)state;
    z_srv("_sip._udp.example.org.", 0, 0, 5060, "one.example.org.");
    z_srv("_sip._udp.example.org.", 1, 0, 5060, "same.example.org.");
    z_addr("one.example.org.", "198.51.100.1");
    z_addr("same.example.org.", "198.51.100.1");
    vx__sip_opts o = opts_default();
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.org", &o);
    assert_int_equal(r->count, 1);
    assert_true(has_drop(r, VX__SIP_DROP_DUPLICATE, "same.example.org."));
    vx__sip_result_free(r);
}

static void test_lookup_budget(void **state)
{
    (void)state;
    /* 8 SRV records × 8 sets would need more A/AAAA questions than the budget allows */
    static char names[8][8][64];
    for (int s = 0; s < 8; s++) {
        char owner[64];
        snprintf(owner, sizeof owner, "_s%d._udp.example.org.", s);
        z_naptr("example.org.", 10, (uint16_t)s, "s", "SIP+D2U", strdup(owner));
        for (int t = 0; t < 8; t++) {
            snprintf(names[s][t], sizeof names[s][t], "h%d-%d.example.org.", s, t);
            z_srv(at(owner, VX__SIP_RR_SRV)->name, 0, 0, 5060, names[s][t]);
        }
    }
    vx__sip_opts o = opts_default();
    vx__sip_result *r = NULL;
    vx__sip_locate("sip:example.org", &o, lookup, NULL, &r, NULL, 0);
    assert_true(z.n_asked <= VX__SIP_MAX_LOOKUPS);
    assert_int_equal(r->status, VX_ELIMIT);
    vx__sip_result_free(r);
    for (size_t i = 0; i < z.n; i++)
        for (size_t j = 0; j < z.e[i].n_naptr; j++)
            free((char *)z.e[i].naptr[j].replacement);
}

/* ---- the asynchronous interface -------------------------------------------------------- */

static void feed_from_zone(vx__sip_locator *loc, const char *name, uint16_t type)
{
    vx__sip_records recs;
    memset(&recs, 0, sizeof recs);
    const entry *e = find(name, type);
    recs.status = VX_ENOTFOUND;
    if (e) {
        fill(e, &recs);
        recs.status = e->status;
    }
    assert_int_equal(vx__sip_locate_feed(loc, name, type, &recs), VX_OK);
}

static void test_async_parallel_questions(void **state)
{
    (void)state;
    zone_example_com();
    at("example.com.", VX__SIP_RR_NAPTR)->n_naptr = 0;
    vx__sip_opts o = opts_default();
    o.families = VX__SIP_AF_V4;
    vx__sip_locator *loc;
    char err[128];
    assert_int_equal(vx__sip_locate_start("sip:Example.COM", &o, &loc, err, sizeof err), VX_OK);
    const char *name;
    uint16_t type;
    assert_int_equal(vx__sip_locate_next_question(loc, &name, &type), VX_OK);
    assert_string_equal(name, "example.com.");
    assert_int_equal(type, VX__SIP_RR_NAPTR);
    assert_int_equal(vx__sip_locate_next_question(loc, &name, &type), VX_ENOTFOUND);
    feed_from_zone(loc, "EXAMPLE.com", VX__SIP_RR_NAPTR); /* any case, no trailing dot */

    /* now the three SRV questions are outstanding together; answer them backwards */
    char q[3][300];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vx__sip_locate_next_question(loc, &name, &type), VX_OK);
        assert_int_equal(type, VX__SIP_RR_SRV);
        snprintf(q[i], sizeof q[i], "%s", name);
    }
    assert_string_equal(q[0], "_sips._tcp.example.com.");
    assert_int_equal(vx__sip_locate_next_question(loc, &name, &type), VX_ENOTFOUND);
    vx__sip_records none = {.status = VX_OK};
    assert_int_equal(vx__sip_locate_feed(loc, "unasked.example.com.", VX__SIP_RR_SRV, &none),
                     VX_ENOTFOUND);
    assert_int_equal(vx__sip_locate_feed(loc, "bad..name", VX__SIP_RR_SRV, &none), VX_EINVAL);
    for (int i = 2; i >= 0; i--)
        feed_from_zone(loc, q[i], VX__SIP_RR_SRV);
    assert_false(vx__sip_locate_done(loc));
    while (vx__sip_locate_next_question(loc, &name, &type) == VX_OK) {
        char copy[300];
        snprintf(copy, sizeof copy, "%s", name);
        feed_from_zone(loc, copy, type);
    }
    assert_true(vx__sip_locate_done(loc));
    vx__sip_result *r;
    assert_int_equal(vx__sip_locate_result(loc, &r), VX_OK);
    assert_int_equal(vx__sip_locate_result(loc, &r), VX_EINVAL); /* handed over once */
    vx__sip_locator_free(loc);
    /* the order is RFC 3263's, not the order the answers came in */
    expect_target(r, 0, VX__SIP_TLS, "tls.example.com.", "192.0.2.1:5061", VX__SIP_SRC_SRV);
    expect_target(r, 2, VX__SIP_UDP, "udp.example.com.", "192.0.2.3:5060", VX__SIP_SRC_SRV);
    vx__sip_result_free(r);
}

static void test_free_midway(void **state)
{
    (void)state;
    vx__sip_locator *loc;
    assert_int_equal(vx__sip_locate_start("sip:example.com", NULL, &loc, NULL, 0), VX_OK);
    vx__sip_result *r;
    assert_int_equal(vx__sip_locate_result(loc, &r), VX_EINVAL); /* not done */
    vx__sip_locator_free(loc);                                   /* no leak (ASan) */
}

static void test_bad_input(void **state)
{
    (void)state;
    vx__sip_result *r = (vx__sip_result *)1;
    char err[256];
    assert_int_equal(vx__sip_locate("sip:exa mple.com", NULL, lookup, NULL, &r, err, sizeof err),
                     VX_EINVAL);
    assert_null(r);
    assert_non_null(strstr(err, "invalid character 0x20"));
    const char *fallbacks[] = {"example.net", "bad..domain"};
    vx__sip_opts o = opts_default();
    o.fallback_domains = fallbacks;
    o.fallback_count = 2;
    assert_int_equal(vx__sip_locate("sip:example.com", &o, lookup, NULL, &r, err, sizeof err),
                     VX_EINVAL);
    assert_non_null(strstr(err, "fallback domain 2: invalid host"));
    o.fallback_count = VX__SIP_MAX_DOMAINS;
    assert_int_equal(vx__sip_locate("sip:example.com", &o, lookup, NULL, &r, err, sizeof err),
                     VX_EINVAL);
    assert_non_null(strstr(err, "too many fallback domains"));
    assert_int_equal(vx__sip_locate(NULL, NULL, lookup, NULL, &r, err, sizeof err), VX_EINVAL);
    assert_int_equal(vx__sip_locate("sip:a.example", NULL, NULL, NULL, &r, err, sizeof err),
                     VX_EINVAL);
    assert_string_equal(vx__sip_drop_name(VX__SIP_DROP_POLICY), "policy");
    assert_string_equal(vx__sip_source_name(VX__SIP_SRC_NAPTR), "naptr");
}

/* ---- target feedback (sip/health.h) on a virtual clock --------------------------------- */

typedef struct feedback {
    vx__sip_health *h;
    uint64_t now; /* the virtual clock, ms */
} feedback;

static bool fb_held(void *ctx, vx__sip_transport t, const struct sockaddr *sa)
{
    const feedback *fb = ctx;
    return vx__sip_health_held(fb->h, t, sa, fb->now, NULL);
}

static vx__sip_opts opts_feedback(feedback *fb, const char *uri)
{
    vx__sip_opts o = opts_default();
    o.held = fb_held;
    o.held_ctx = fb;
    o.has_preferred = vx__sip_health_preferred(fb->h, uri, &o.preferred_transport, &o.preferred);
    return o;
}

static void fail_target(feedback *fb, const vx__sip_result *r, size_t i)
{
    const vx__sip_target *t = &r->targets[i];
    vx__sip_health_failed(fb->h, t->transport, (const struct sockaddr *)&t->addr, fb->now, 0);
}

/* Two UDP SRV targets of example.com, priority 10 and 20. */
static void zone_two_targets(void)
{
    z_srv("_sip._udp.example.com.", 10, 0, 5060, "sip1.example.com.");
    z_srv("_sip._udp.example.com.", 20, 0, 5060, "sip2.example.com.");
    z_addr("sip1.example.com.", "192.0.2.1");
    z_addr("sip2.example.com.", "192.0.2.2");
}

static void test_held_target_goes_last_until_its_hold_ends(void **state)
{
    (void)state;
    feedback fb = {.now = 1000};
    assert_int_equal(vx__sip_health_new(0, 0, &fb.h), VX_OK);
    zone_two_targets();
    vx__sip_opts o = opts_feedback(&fb, "sip:example.com");
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    expect_target(r, 0, VX__SIP_UDP, "sip1.example.com.", "192.0.2.1:5060", VX__SIP_SRC_SRV);
    fail_target(&fb, r, 0); /* the INVITE to sip1 timed out */
    vx__sip_result_free(r);

    fb.now += 29999; /* still held: sip2 first, sip1 kept last */
    r = locate_ok("sip:example.com", &o);
    assert_int_equal(r->count, 2);
    assert_int_equal(r->held_count, 1);
    expect_target(r, 0, VX__SIP_UDP, "sip2.example.com.", "192.0.2.2:5060", VX__SIP_SRC_SRV);
    expect_target(r, 1, VX__SIP_UDP, "sip1.example.com.", "192.0.2.1:5060", VX__SIP_SRC_SRV);
    assert_false(r->targets[0].held);
    assert_true(r->targets[1].held);
    vx__sip_result_free(r);

    fb.now += 1; /* the 30 s are over: RFC 3263 order again */
    r = locate_ok("sip:example.com", &o);
    assert_int_equal(r->held_count, 0);
    expect_target(r, 0, VX__SIP_UDP, "sip1.example.com.", "192.0.2.1:5060", VX__SIP_SRC_SRV);
    vx__sip_result_free(r);
    vx__sip_health_free(fb.h);
}

static void test_affinity_puts_registrar_first(void **state)
{
    (void)state;
    feedback fb = {.now = 0};
    assert_int_equal(vx__sip_health_new(0, 0, &fb.h), VX_OK);
    zone_two_targets();
    vx__sip_opts o = opts_feedback(&fb, "sip:example.com");
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    fail_target(&fb, r, 0);
    /* sip2 accepted the REGISTER */
    vx__sip_health_succeeded(fb.h, "sip:example.com", VX__SIP_UDP,
                             (const struct sockaddr *)&r->targets[1].addr, fb.now);
    vx__sip_result_free(r);

    fb.now += 60000; /* sip1's hold is over, but the registrar stays first */
    o = opts_feedback(&fb, "sip:example.com");
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    r = locate_ok("sip:example.com", &o);
    expect_target(r, 0, VX__SIP_UDP, "sip2.example.com.", "192.0.2.2:5060", VX__SIP_SRC_SRV);
    assert_true(r->targets[0].preferred);
    expect_target(r, 1, VX__SIP_UDP, "sip1.example.com.", "192.0.2.1:5060", VX__SIP_SRC_SRV);
    /* until it fails: then RFC 3263 order (sip2 held, last) */
    fail_target(&fb, r, 0);
    vx__sip_result_free(r);
    o = opts_feedback(&fb, "sip:example.com");
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    assert_false(o.has_preferred);
    r = locate_ok("sip:example.com", &o);
    expect_target(r, 0, VX__SIP_UDP, "sip1.example.com.", "192.0.2.1:5060", VX__SIP_SRC_SRV);
    assert_true(r->targets[1].held);
    vx__sip_result_free(r);
    vx__sip_health_free(fb.h);
}

static void test_every_target_held_moves_to_next_domain(void **state)
{
    (void)state;
    feedback fb = {.now = 0};
    assert_int_equal(vx__sip_health_new(0, 0, &fb.h), VX_OK);
    zone_two_targets();
    z_srv("_sip._udp.example.net.", 0, 0, 5060, "sip.example.net.");
    z_addr("sip.example.net.", "198.51.100.20");
    const char *fallbacks[] = {"example.net"};
    vx__sip_opts o = opts_feedback(&fb, "sip:example.com");
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    o.fallback_domains = fallbacks;
    o.fallback_count = 1;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    assert_int_equal(r->count, 2);
    assert_false(was_asked("_sip._udp.example.net.", VX__SIP_RR_SRV));
    fail_target(&fb, r, 0);
    vx__sip_result *first = r;

    /* one target left: still example.com only */
    r = locate_ok("sip:example.com", &o);
    assert_int_equal(r->count, 2);
    assert_false(was_asked("_sip._udp.example.net.", VX__SIP_RR_SRV));
    fail_target(&fb, r, 0);
    vx__sip_result_free(r);
    vx__sip_result_free(first);

    /* both held: example.net is located, its target first, the held ones after it */
    fb.now += 1000;
    r = locate_ok("sip:example.com", &o);
    assert_true(was_asked("_sip._udp.example.net.", VX__SIP_RR_SRV));
    assert_int_equal(r->count, 3);
    assert_int_equal(r->held_count, 2);
    expect_target(r, 0, VX__SIP_UDP, "sip.example.net.", "198.51.100.20:5060", VX__SIP_SRC_SRV);
    expect_target(r, 1, VX__SIP_UDP, "sip1.example.com.", "192.0.2.1:5060", VX__SIP_SRC_SRV);
    expect_target(r, 2, VX__SIP_UDP, "sip2.example.com.", "192.0.2.2:5060", VX__SIP_SRC_SRV);
    /* example.net fails too: every target is held; the status stays VX_OK with all three */
    fail_target(&fb, r, 0);
    vx__sip_result_free(r);
    r = locate_ok("sip:example.com", &o);
    assert_int_equal(r->count, 3);
    assert_int_equal(r->held_count, 3);
    assert_int_equal(r->status, VX_OK);
    vx__sip_result_free(r);
    vx__sip_health_free(fb.h);
}

static void test_result_append_second_source(void **state)
{
    (void)state;
    feedback fb = {.now = 0};
    assert_int_equal(vx__sip_health_new(0, 0, &fb.h), VX_OK);
    zone_two_targets();
    vx__sip_opts o = opts_feedback(&fb, "sip:example.com");
    o.transports = VX__SIP_UDP;
    o.families = VX__SIP_AF_V4;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    fail_target(&fb, r, 0);
    fail_target(&fb, r, 1);
    vx__sip_result_free(r);
    r = locate_ok("sip:example.com", &o);
    assert_int_equal(r->held_count, 2);

    /* a second source (the static cache, in the library) knows sip1 and a backup */
    memset(&z, 0, sizeof z);
    z_srv("_sip._udp.example.com.", 10, 0, 5060, "sip1.example.com.");
    z_srv("_sip._udp.example.com.", 30, 0, 5060, "backup.example.com.");
    z_addr("sip1.example.com.", "192.0.2.1");
    z_addr("backup.example.com.", "203.0.113.99");
    vx__sip_result *other = locate_ok("sip:example.com", &o);
    assert_int_equal(vx__sip_result_append(r, other), VX_OK);
    vx__sip_result_free(other);
    assert_int_equal(r->count, 3); /* sip1 once */
    expect_target(r, 0, VX__SIP_UDP, "backup.example.com.", "203.0.113.99:5060", VX__SIP_SRC_SRV);
    assert_int_equal(r->targets[0].pass, 1);
    assert_int_equal(r->targets[1].pass, 0);
    assert_true(r->targets[1].held && r->targets[2].held);
    vx__sip_result_free(r);
    vx__sip_health_free(fb.h);
}

/* ---- the audit's mode: every path, extra SRV names, the services asked ------------------- */

static void test_every_path_asks_default_names_despite_naptr(void **state)
{
    (void)state;
    zone_example_com();
    /* a default name that no NAPTR record points to, with its own server */
    at("example.com.", VX__SIP_RR_NAPTR)->n_naptr = 1; /* SIP+D2U only */
    z_srv("_sips._tcp.example.com.", 0, 0, 5061, "tls.example.com.");
    vx__sip_opts o = opts_default();
    vx__sip_result *client = locate_ok("sip:example.com", &o);
    assert_false(was_asked("_sips._tcp.example.com.", VX__SIP_RR_SRV));
    assert_int_equal(client->service_count, 1);
    vx__sip_result_free(client);
    reset(NULL);
    zone_example_com();
    at("example.com.", VX__SIP_RR_NAPTR)->n_naptr = 1;
    o = opts_default();
    o.every_path = true;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    assert_true(was_asked("_sips._tcp.example.com.", VX__SIP_RR_SRV));
    assert_true(was_asked("_sip._tcp.example.com.", VX__SIP_RR_SRV));
    /* the NAPTR's name first (asked once though it is also a default name), then TLS, TCP */
    assert_int_equal(r->service_count, 3);
    assert_string_equal(r->services[0].owner, "_sip._udp.example.com.");
    assert_int_equal(r->services[0].source, VX__SIP_SRC_NAPTR);
    assert_string_equal(r->services[1].owner, "_sips._tcp.example.com.");
    assert_int_equal(r->services[1].transport, VX__SIP_TLS);
    assert_int_equal(r->services[1].source, VX__SIP_SRC_SRV);
    assert_int_equal(r->services[1].record_count, 1);
    assert_int_equal(r->services[2].status, VX_OK);
    expect_target(r, 0, VX__SIP_UDP, "udp.example.com.", "[2001:db8::3]:5060", VX__SIP_SRC_NAPTR);
    expect_target(r, 2, VX__SIP_TLS, "tls.example.com.", "192.0.2.1:5061", VX__SIP_SRC_SRV);
    expect_target(r, 3, VX__SIP_TCP, "tcp.example.com.", "192.0.2.2:5060", VX__SIP_SRC_SRV);
    vx__sip_result_free(r);
}

static void test_extra_srv_names(void **state)
{
    (void)state;
    static const vx__sip_srv_name lync[] = {{"_sipinternaltls._tcp", VX__SIP_TLS}};
    z_srv("_sipinternaltls._tcp.example.com.", 0, 0, 5061, "edge.example.com.");
    z_addr("edge.example.com.", "192.0.2.7");
    vx__sip_opts o = opts_default();
    o.extra_srv = lync;
    o.extra_srv_count = 1;
    vx__sip_result *r = locate_ok("sip:example.com", &o);
    assert_int_equal(r->count, 1);
    expect_target(r, 0, VX__SIP_TLS, "edge.example.com.", "192.0.2.7:5061", VX__SIP_SRC_SRV);
    assert_int_equal(r->service_count, 4);
    assert_true(r->services[3].extra);
    assert_int_equal(r->services[0].status, VX_ENOTFOUND);
    vx__sip_result_free(r);
    /* bounds: too many, or a prefix that is not usable */
    vx__sip_srv_name many[VX__SIP_MAX_EXTRA_SRV + 1];
    for (size_t i = 0; i < VX__SIP_MAX_EXTRA_SRV + 1; i++)
        many[i] = lync[0];
    char err[128];
    o.extra_srv = many;
    o.extra_srv_count = VX__SIP_MAX_EXTRA_SRV + 1;
    assert_int_equal(vx__sip_locate("sip:example.com", &o, lookup, NULL, &r, err, sizeof err),
                     VX_EINVAL);
    vx__sip_srv_name bad = {NULL, VX__SIP_TLS};
    o.extra_srv = &bad;
    o.extra_srv_count = 1;
    assert_int_equal(vx__sip_locate("sip:example.com", &o, lookup, NULL, &r, err, sizeof err),
                     VX_EINVAL);
}

static void collect(void *ctx, const char *name, uint16_t type)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%s%s/%s", n ? " " : "", name, type_name(type));
}

static void test_entry_questions_and_srv_owner(void **state)
{
    (void)state;
    char got[512] = "", name[256];
    assert_int_equal(vx__sip_entry_questions("Example.COM", collect, got), VX_OK);
    assert_string_equal(got, "example.com./NAPTR _sips._tcp.example.com./SRV "
                             "_sip._tcp.example.com./SRV _sip._udp.example.com./SRV");
    assert_int_equal(vx__sip_srv_owner(VX__SIP_SCTP, "example.com.", name, sizeof name), VX_OK);
    assert_string_equal(name, "_sip._sctp.example.com.");
    assert_int_equal(vx__sip_srv_owner(VX__SIP_UDP, "bad..name", name, sizeof name), VX_EINVAL);
    assert_int_equal(vx__sip_entry_questions(NULL, collect, got), VX_EINVAL);
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_numeric_host),
        T(test_numeric_without_udp),
        T(test_maddr_is_target),
        T(test_explicit_port_skips_naptr_srv),
        T(test_explicit_transport_srv),
        T(test_explicit_transport_no_srv),
        T(test_explicit_transport_unsupported),
        T(test_naptr_chain),
        T(test_naptr_order_before_preference),
        T(test_sips_uses_only_sips_services),
        T(test_unsupported_transports_filtered),
        T(test_sctp_only_when_asked),
        T(test_naptr_without_srv_falls_back_to_a),
        T(test_no_naptr_srv_in_preference_order),
        T(test_no_naptr_no_srv),
        T(test_srv_dot_means_no_service),
        T(test_srv_priorities_and_missing_addresses),
        T(test_srv_weights_through_locator),
        T(test_policy_strict),
        T(test_policy_suffix),
        T(test_policy_off),
        T(test_policy_on_naptr_replacement),
        T(test_policy_functions),
        T(test_failover_to_next_domain),
        T(test_failover_inherits_scheme),
        T(test_all_domains_fail),
        T(test_cname_followed),
        T(test_cname_loop_bounded),
        T(test_duplicates_dropped),
        T(test_lookup_budget),
        T(test_async_parallel_questions),
        T(test_free_midway),
        T(test_bad_input),
        T(test_held_target_goes_last_until_its_hold_ends),
        T(test_affinity_puts_registrar_first),
        T(test_every_target_held_moves_to_next_domain),
        T(test_result_append_second_source),
        T(test_every_path_asks_default_names_despite_naptr),
        T(test_extra_srv_names),
        T(test_entry_questions_and_srv_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
