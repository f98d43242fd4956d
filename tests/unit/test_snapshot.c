/*
 * tests/unit/test_snapshot.c — the snapshot in memory (kind names, server labels, deep copies,
 * filling an observation from a parsed response) and its JSON form: a snapshot with every kind
 * of field survives save → load unchanged and saves again byte-identical; corrupt files (wrong
 * types, missing fields, bad addresses, unknown names, too deep, too big) are refused with
 * VX_EMALFORMED and a "path: reason" message.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "model/snapshot.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/xfr.h"

/* ---- building blocks ------------------------------------------------------------------- */

static struct sockaddr_storage addr_of(const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(vx__addr_parse(text, 53, &ss, &len), VX_OK);
    return ss;
}

static void push_lines(ldns_pkt *p, ldns_pkt_section sec, const char *const *lines)
{
    for (size_t i = 0; lines && lines[i]; i++) {
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, lines[i], 0, NULL, NULL), LDNS_STATUS_OK);
        ldns_pkt_push_rr(p, sec, rr);
    }
}

/* An authoritative response for qname/qtype, with an OPT record carrying NSID when nsid. */
static vx__msg *response(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
                         const char *const *an, const char *const *ns, const char *const *ar,
                         const char *nsid)
{
    ldns_pkt *p = NULL;
    assert_int_equal(ldns_pkt_query_new_frm_str(&p, qname, qtype, LDNS_RR_CLASS_IN, 0),
                     LDNS_STATUS_OK);
    ldns_pkt_set_id(p, 4242);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_aa(p, true);
    ldns_pkt_set_rcode(p, (uint8_t)rcode);
    push_lines(p, LDNS_SECTION_ANSWER, an);
    push_lines(p, LDNS_SECTION_AUTHORITY, ns);
    push_lines(p, LDNS_SECTION_ADDITIONAL, ar);
    if (nsid) {
        uint8_t opt[64] = {0, 3, 0, (uint8_t)strlen(nsid)};
        memcpy(opt + 4, nsid, strlen(nsid));
        ldns_pkt_set_edns_udp_size(p, 1232);
        ldns_pkt_set_edns_data(
            p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, (uint16_t)(4 + strlen(nsid)), opt));
    }
    uint8_t *wire = NULL;
    size_t len = 0;
    assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
    vx__msg *m = NULL;
    assert_int_equal(vx__msg_parse(wire, len, &m), VX_OK);
    free(wire);
    ldns_pkt_free(p);
    return m;
}

static const char *const soa_an[] = {
    "example.com. 3600 IN SOA ns1.example.net. hostmaster.example.com. 2024010101 7200 900 "
    "1209600 300",
    NULL,
};
static const char *const ns_ns[] = {
    "example.com. 86400 IN NS ns1.example.net.",
    "example.com. 86400 IN NS ns2.example.org.",
    NULL,
};
static const char *const glue_ar[] = {
    "ns1.example.net. 86400 IN A 192.0.2.1",
    "ns2.example.org. 86400 IN AAAA 2001:db8::53",
    NULL,
};
static const char *const naptr_an[] = {
    "example.com. 300 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
    "example.com. 300 IN NAPTR 20 50 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.com.",
    NULL,
};
/* Data a hostile server could send: markup and quotes in a TXT record. */
static const char *const txt_an[] = {
    "version.bind. 0 CH TXT \"<script>alert(1)</script> \\\"q\\\" \\\\ \\009\"",
    NULL,
};

/* An observation from a response (or none, for a failure). */
static void add_obs(vx__snapshot *s, vx__probe_kind kind, const char *server, const char *addr,
                    vx__transport tr, const char *qname, uint16_t qtype, int status, vx__msg *m)
{
    vx__observation ob;
    memset(&ob, 0, sizeof ob);
    ob.kind = kind;
    ob.server = (char *)server;
    if (addr)
        ob.addr = addr_of(addr);
    ob.transport = tr;
    ob.qname = (char *)qname;
    ob.qtype = qtype;
    ob.qclass = kind == VX__PROBE_VERSION ? 3 : 1;
    ob.status = status;
    ob.rtt_ms = status == VX_OK ? 12.25 : -1.0;
    ob.attempts = status == VX_OK ? 1 : 3;
    ob.time_ms = 1700000000123ull;
    if (m)
        assert_int_equal(vx__observation_set_response(&ob, m), VX_OK);
    assert_int_equal(vx__snapshot_add_obs(s, &ob), VX_OK);
    /* add_obs copied everything: the caller's own parts are its to free. */
    free(ob.nsid);
    for (int i = 0; i < 3; i++)
        vx__rrsets_free(ob.sections[i], ob.section_count[i]);
    vx__msg_free(m);
}

static void add_server(vx__server **list, size_t *n, const char *name, const char *addr)
{
    struct sockaddr_storage ss = addr_of(addr);
    assert_int_equal(vx__snapshot_add_server(list, n, name, (struct sockaddr *)&ss), VX_OK);
}

static vx__snapshot *alt_snapshot(void)
{
    vx__snapshot *a = vx__snapshot_new("example.org.", "generic");
    a->delegation_status = VX_ENOTFOUND;
    a->delegation_error = strdup("org. answers NXDOMAIN");
    a->parent_zone = strdup("org.");
    a->started_ms = 1700000000500ull;
    a->duration_ms = 10.5;
    add_obs(a, VX__PROBE_RESOLVE, "", NULL, VX__UDP, "example.org.", LDNS_RR_TYPE_NAPTR,
            VX_ESERVFAIL, NULL);
    return a;
}

/* Every kind of field: both families, ports, both transports, every probe kind, failures,
 * an empty server name, no address, NSID, all three sections, CH class, extended rcode. */
/* A UDP 200, a TCP time-out, a TLS 503 with its session facts and a chain of two. */
static void add_endpoints(vx__snapshot *s)
{
    char *chain[2] = {"MIIBAAA=", "QUJD"};
    vx__endpoint_obs e[3] = {{.host = "sip1.example.com.",
                              .transport = VX__EP_UDP,
                              .status = VX_OK,
                              .code = 200,
                              .reason = "OK",
                              .agent = "pbx 1.0",
                              .rtt_ms = 4.25,
                              .attempts = 2,
                              .time_ms = 17},
                             {.host = "sip2.example.com.",
                              .transport = VX__EP_TCP,
                              .status = VX_ETIMEDOUT,
                              .error = "no TCP connection within 3000 ms",
                              .rtt_ms = -1,
                              .time_ms = 18},
                             {.host = "sip1.example.com.",
                              .transport = VX__EP_TLS,
                              .status = VX_OK,
                              .code = 503,
                              .rtt_ms = 9.5,
                              .attempts = 1,
                              .time_ms = 19,
                              .connected = true,
                              .tls_ok = true,
                              .tls_protocol = "TLSv1.3",
                              .tls_cipher = "TLS_AES_256_GCM_SHA384",
                              .verify = 18,
                              .verify_error = "self-signed certificate",
                              .chain = chain,
                              .chain_count = 2}};
    const char *addr[3] = {"192.0.2.10", "[2001:db8::10]:5060", "192.0.2.10:5061"};
    for (size_t i = 0; i < 3; i++) {
        socklen_t len;
        assert_int_equal(vx__addr_parse(addr[i], 5060, &e[i].addr, &len), VX_OK);
        assert_int_equal(vx__snapshot_add_endpoint(s, &e[i]), VX_OK);
    }
}

static vx__snapshot *full_snapshot(void)
{
    vx__snapshot *s = vx__snapshot_new("example.com.", "lync");
    s->started_ms = 1700000000000ull;
    s->duration_ms = 812.375;
    s->parent_zone = strdup("com.");
    add_server(&s->parent_servers, &s->parent_server_count, "a.gtld-servers.net.", "192.0.2.30");
    add_server(&s->servers, &s->server_count, "ns1.example.net.", "192.0.2.1");
    add_server(&s->servers, &s->server_count, "ns2.example.org.", "[2001:db8::53]:5353");
    add_obs(
        s, VX__PROBE_PARENT, "a.gtld-servers.net.", "192.0.2.30", VX__UDP, "example.com.",
        LDNS_RR_TYPE_NS, VX_OK,
        response("example.com.", LDNS_RR_TYPE_NS, LDNS_RCODE_NOERROR, NULL, ns_ns, glue_ar, NULL));
    add_obs(s, VX__PROBE_DS, "a.gtld-servers.net.", "192.0.2.30", VX__UDP, "example.com.",
            LDNS_RR_TYPE_DS, VX_OK,
            response("example.com.", LDNS_RR_TYPE_DS, LDNS_RCODE_NXDOMAIN, NULL, NULL, NULL, NULL));
    add_obs(s, VX__PROBE_DATA, "ns1.example.net.", "192.0.2.1", VX__TCP, "example.com.",
            LDNS_RR_TYPE_SOA, VX_OK,
            response("example.com.", LDNS_RR_TYPE_SOA, LDNS_RCODE_NOERROR, soa_an, ns_ns, NULL,
                     "ns1.fra"));
    add_obs(s, VX__PROBE_DATA, "ns2.example.org.", "[2001:db8::53]:5353", VX__UDP, "example.com.",
            LDNS_RR_TYPE_NAPTR, VX_OK,
            response("example.com.", LDNS_RR_TYPE_NAPTR, LDNS_RCODE_NOERROR, naptr_an, NULL, NULL,
                     NULL));
    add_obs(s, VX__PROBE_NOEDNS, "ns1.example.net.", "192.0.2.1", VX__UDP, "example.com.",
            LDNS_RR_TYPE_SOA, VX_ETIMEDOUT, NULL);
    add_obs(s, VX__PROBE_RECURSION, "ns1.example.net.", "192.0.2.1", VX__UDP, ".", LDNS_RR_TYPE_NS,
            VX_EREFUSED, NULL);
    add_obs(s, VX__PROBE_AXFR, "ns2.example.org.", "[2001:db8::53]:5353", VX__TCP, "example.com.",
            LDNS_RR_TYPE_AXFR, VX_ECANCELED, NULL);
    add_obs(
        s, VX__PROBE_VERSION, "ns1.example.net.", "192.0.2.1", VX__UDP, "version.bind.",
        LDNS_RR_TYPE_TXT, VX_OK,
        response("version.bind.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, txt_an, NULL, NULL, NULL));
    add_obs(s, VX__PROBE_RESOLVE, "", NULL, VX__UDP, "sip.example.net.", 65280, VX_ENETWORK, NULL);
    s->obs[1].rcode = 16; /* BADVERS: needs the OPT's extended bits */
    add_endpoints(s);
    s->alt = calloc(1, sizeof *s->alt);
    s->alt[0] = alt_snapshot();
    s->alt_count = 1;
    return s;
}

/* ---- comparison ------------------------------------------------------------------------ */

static void assert_str_or_null(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_servers_equal(const vx__server *a, const vx__server *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(a[i].name, b[i].name);
        assert_true(a[i].addr.ss_family == b[i].addr.ss_family);
        if (a[i].addr.ss_family != AF_UNSPEC)
            assert_true(vx__addr_equal((const struct sockaddr *)&a[i].addr,
                                       (const struct sockaddr *)&b[i].addr));
    }
}

/* Equal with TTL; on failure the first record of each says what differs. */
static void assert_rrset_equal(const vx__rrset *a, const vx__rrset *b)
{
    if (!vx__rrset_equal(a, b, true))
        fail_msg("%s TTL %u '%s' vs %s TTL %u '%s'", a->owner, a->ttl, a->rdata[0], b->owner,
                 b->ttl, b->rdata[0]);
}

static void assert_obs_equal(const vx__observation *a, const vx__observation *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->server, b->server);
    assert_servers_equal(&(vx__server){.name = "", .addr = a->addr},
                         &(vx__server){.name = "", .addr = b->addr}, 1);
    assert_int_equal(a->transport, b->transport);
    assert_string_equal(a->qname, b->qname);
    assert_int_equal(a->qtype, b->qtype);
    assert_int_equal(a->qclass, b->qclass);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->rcode, b->rcode);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->has_opt, b->has_opt);
    assert_true(a->rtt_ms == b->rtt_ms);
    assert_int_equal(a->attempts, b->attempts);
    assert_true(a->time_ms == b->time_ms);
    assert_str_or_null(a->nsid, b->nsid);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(a->section_count[i], b->section_count[i]);
        for (size_t j = 0; j < a->section_count[i]; j++)
            assert_rrset_equal(a->sections[i][j], b->sections[i][j]);
    }
}

static void assert_endpoint_equal(const vx__endpoint_obs *a, const vx__endpoint_obs *b)
{
    assert_string_equal(a->host, b->host);
    assert_true(
        vx__addr_equal((const struct sockaddr *)&a->addr, (const struct sockaddr *)&b->addr));
    assert_int_equal(a->transport, b->transport);
    assert_int_equal(a->status, b->status);
    assert_str_or_null(a->error, b->error);
    assert_int_equal(a->code, b->code);
    assert_str_or_null(a->reason, b->reason);
    assert_str_or_null(a->agent, b->agent);
    assert_true(a->rtt_ms == b->rtt_ms && a->attempts == b->attempts && a->time_ms == b->time_ms);
    assert_true(a->connected == b->connected && a->tls_ok == b->tls_ok && a->verify == b->verify);
    assert_str_or_null(a->tls_protocol, b->tls_protocol);
    assert_str_or_null(a->tls_cipher, b->tls_cipher);
    assert_str_or_null(a->verify_error, b->verify_error);
    assert_int_equal(a->chain_count, b->chain_count);
    for (size_t i = 0; i < a->chain_count; i++)
        assert_string_equal(a->chain[i], b->chain[i]);
}

static void assert_snap_equal(const vx__snapshot *a, const vx__snapshot *b)
{
    assert_string_equal(a->domain, b->domain);
    assert_string_equal(a->profile, b->profile);
    assert_true(a->started_ms == b->started_ms);
    assert_true(a->duration_ms == b->duration_ms);
    assert_int_equal(a->delegation_status, b->delegation_status);
    assert_str_or_null(a->delegation_error, b->delegation_error);
    assert_str_or_null(a->parent_zone, b->parent_zone);
    assert_int_equal(a->parent_server_count, b->parent_server_count);
    assert_servers_equal(a->parent_servers, b->parent_servers, a->parent_server_count);
    assert_int_equal(a->server_count, b->server_count);
    assert_servers_equal(a->servers, b->servers, a->server_count);
    assert_int_equal(a->obs_count, b->obs_count);
    for (size_t i = 0; i < a->obs_count; i++)
        assert_obs_equal(&a->obs[i], &b->obs[i]);
    assert_int_equal(a->alt_count, b->alt_count);
    for (size_t i = 0; i < a->alt_count; i++)
        assert_snap_equal(a->alt[i], b->alt[i]);
    assert_int_equal(a->endpoints_probed, b->endpoints_probed);
    assert_int_equal(a->endpoint_count, b->endpoint_count);
    for (size_t i = 0; i < a->endpoint_count; i++)
        assert_endpoint_equal(&a->endpoints[i], &b->endpoints[i]);
}

/* ---- the snapshot in memory ------------------------------------------------------------ */

static void test_kind_names(void **state)
{
    (void)state;
    const char *names[] = {"parent", "ds",        "resolve", "data",
                           "noedns", "recursion", "axfr",    "version"};
    for (int k = 0; k <= VX__PROBE_VERSION; k++) {
        vx__probe_kind back;
        assert_string_equal(vx__probe_kind_name((vx__probe_kind)k), names[k]);
        assert_int_equal(vx__probe_kind_from_name(names[k], &back), VX_OK);
        assert_int_equal(back, k);
    }
    vx__probe_kind back;
    assert_int_equal(vx__probe_kind_from_name("DATA", &back), VX_EINVAL);
    assert_int_equal(vx__probe_kind_from_name(NULL, &back), VX_EINVAL);
    assert_string_equal(vx__probe_kind_name((vx__probe_kind)99), "unknown");
}

static void test_server_label(void **state)
{
    (void)state;
    char out[128];
    struct sockaddr_storage v4 = addr_of("192.0.2.1"), v6 = addr_of("[2001:db8::53]:5353");
    assert_int_equal(vx__server_label("ns1.example.net.", (struct sockaddr *)&v4, out, sizeof out),
                     VX_OK);
    assert_string_equal(out, "ns1.example.net/192.0.2.1");
    assert_int_equal(vx__server_label("ns2.example.org", (struct sockaddr *)&v6, out, sizeof out),
                     VX_OK);
    assert_string_equal(out, "ns2.example.org/2001:db8::53");
    assert_int_equal(vx__server_label("", (struct sockaddr *)&v4, out, sizeof out), VX_OK);
    assert_string_equal(out, "192.0.2.1");
    assert_int_equal(vx__server_label(NULL, (struct sockaddr *)&v4, out, sizeof out), VX_OK);
    assert_string_equal(out, "192.0.2.1");
    struct sockaddr_storage none;
    memset(&none, 0, sizeof none);
    assert_int_equal(
        vx__server_label("ns1.example.net.", (struct sockaddr *)&none, out, sizeof out), VX_OK);
    assert_string_equal(out, "ns1.example.net");
    assert_int_equal(vx__server_label("ns1.example.net.", (struct sockaddr *)&v4, out, 10),
                     VX_EINVAL);
}

static void test_add_server_dedup(void **state)
{
    (void)state;
    vx__snapshot *s = vx__snapshot_new("example.com.", NULL);
    assert_string_equal(s->profile, "generic");
    for (int i = 0; i < 20; i++)
        add_server(&s->servers, &s->server_count, "ns1.example.net.", "192.0.2.1");
    add_server(&s->servers, &s->server_count, "ns2.example.net.", "192.0.2.1");
    add_server(&s->servers, &s->server_count, "ns1.example.net.", "192.0.2.1:5353");
    assert_int_equal(s->server_count, 3);
    vx__snapshot_free(s);
}

static void test_set_response(void **state)
{
    (void)state;
    vx__msg *m = response("example.com.", LDNS_RR_TYPE_SOA, LDNS_RCODE_NOERROR, soa_an, ns_ns,
                          glue_ar, "ns1.fra");
    vx__observation ob;
    memset(&ob, 0, sizeof ob);
    assert_int_equal(vx__observation_set_response(&ob, m), VX_OK);
    assert_int_equal(ob.rcode, 0);
    assert_true(ob.flags & VX__FLAG_AA);
    assert_true(ob.flags & VX__FLAG_QR);
    assert_true(ob.has_opt);
    assert_string_equal(ob.nsid, "ns1.fra");
    assert_int_equal(ob.section_count[VX__SECTION_ANSWER], 1);
    assert_int_equal(ob.section_count[VX__SECTION_AUTHORITY], 1);
    assert_int_equal(ob.sections[VX__SECTION_AUTHORITY][0]->count, 2);
    /* Two glue sets; the OPT record is not among them. */
    assert_int_equal(ob.section_count[VX__SECTION_ADDITIONAL], 2);
    /* A second response replaces the first entirely. */
    vx__msg *m2 =
        response("example.com.", LDNS_RR_TYPE_SOA, LDNS_RCODE_REFUSED, NULL, NULL, NULL, NULL);
    assert_int_equal(vx__observation_set_response(&ob, m2), VX_OK);
    assert_int_equal(ob.rcode, 5);
    assert_false(ob.has_opt);
    assert_null(ob.nsid);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ob.section_count[i], 0);
    vx__observation_clear(&ob);
    vx__msg_free(m);
    vx__msg_free(m2);
}

static void test_add_obs_deep_copy(void **state)
{
    (void)state;
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    vx__msg *m =
        response("example.com.", LDNS_RR_TYPE_NAPTR, LDNS_RCODE_NOERROR, naptr_an, NULL, NULL, "x");
    vx__observation ob;
    memset(&ob, 0, sizeof ob);
    ob.server = strdup("ns1.example.net.");
    ob.qname = strdup("example.com.");
    assert_int_equal(vx__observation_set_response(&ob, m), VX_OK);
    for (int i = 0; i < 40; i++)
        assert_int_equal(vx__snapshot_add_obs(s, &ob), VX_OK);
    vx__observation_clear(&ob); /* the snapshot must not share anything with ob */
    assert_int_equal(s->obs_count, 40);
    assert_string_equal(s->obs[39].server, "ns1.example.net.");
    assert_string_equal(s->obs[39].nsid, "x");
    assert_int_equal(s->obs[39].sections[0][0]->count, 2);
    vx__msg_free(m);
    vx__snapshot_free(s);
}

/* ---- JSON round trip ------------------------------------------------------------------- */

static vx__snapshot *load_ok(const char *text)
{
    char err[256];
    vx__snapshot *s = NULL;
    int rc = vx__snapshot_from_json(text, strlen(text), &s, err, sizeof err);
    if (rc != VX_OK)
        fail_msg("load failed: %s", err);
    return s;
}

static void test_round_trip(void **state)
{
    (void)state;
    vx__snapshot *s = full_snapshot();
    char *one = vx__snapshot_to_json(s);
    assert_non_null(one);
    vx__snapshot *back = load_ok(one);
    assert_snap_equal(s, back);
    char *two = vx__snapshot_to_json(back);
    assert_string_equal(one, two);
    /* Spot checks of the file format itself. */
    assert_non_null(strstr(one, "\"schema\": \"voxdns.snapshot/1\""));
    assert_non_null(strstr(one, "\"status\": \"timeout\""));
    assert_non_null(strstr(one, "\"transport\": \"tcp\""));
    assert_non_null(strstr(one, "\"address\": \"2001:db8::53\""));
    assert_non_null(strstr(one, "\"port\": 5353"));
    assert_non_null(strstr(one, "\"qtype\": \"TYPE65280\""));
    assert_non_null(strstr(one, "\"rcode_name\": \"BADVERS\""));
    assert_non_null(strstr(one, "\"qclass\": \"CH\""));
    assert_non_null(strstr(one, "\"rtt_ms\": null"));
    assert_non_null(strstr(one, "\"transport\": \"tls\""));
    assert_non_null(strstr(one, "\"verify_error\": \"self-signed certificate\""));
    assert_non_null(strstr(one, "\"code\": 503"));
    /* The compact form (the monitor's store) reads back the same and is smaller. */
    char *compact = vx__snapshot_to_json_compact(s);
    assert_non_null(compact);
    assert_null(strchr(compact, '\n'));
    assert_true(strlen(compact) < strlen(one) * 3 / 4);
    vx__snapshot *from_compact = load_ok(compact);
    assert_snap_equal(s, from_compact);
    vx__snapshot_free(from_compact);
    free(compact);
    free(one);
    free(two);
    vx__snapshot_free(back);
    vx__snapshot_free(s);
}

static void test_empty_snapshot_round_trip(void **state)
{
    (void)state;
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    char *one = vx__snapshot_to_json(s);
    vx__snapshot *back = load_ok(one);
    assert_snap_equal(s, back);
    char *two = vx__snapshot_to_json(back);
    assert_string_equal(one, two);
    free(one);
    free(two);
    vx__snapshot_free(back);
    vx__snapshot_free(s);
}

/* fuzz_snapshot's find: a qname with an escaped '/' loads, saves, and loads again to the same. */
static void test_escaped_name_round_trip(void **state)
{
    (void)state;
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    add_obs(s, VX__PROBE_DATA, "ns1.example.net.", "192.0.2.1", VX__UDP, "sip\\/1.example.com.", 1,
            VX_ETIMEDOUT, NULL);
    char *one = vx__snapshot_to_json(s);
    vx__snapshot *back = load_ok(one);
    assert_string_equal(back->obs[0].qname, "sip\\/1.example.com.");
    char *two = vx__snapshot_to_json(back);
    assert_string_equal(one, two);
    vx__snapshot *again = load_ok(two);
    assert_string_equal(again->obs[0].qname, "sip\\/1.example.com.");
    free(one);
    free(two);
    vx__snapshot_free(again);
    vx__snapshot_free(back);
    vx__snapshot_free(s);
}

/* Whole zone copies (model/zone.h) round-trip too: a transferred one and a failed one. */
static void test_zone_copies_round_trip(void **state)
{
    (void)state;
    static const char text[] = "$ORIGIN example.com.\n$TTL 300\n"
                               "@ IN SOA ns1.example.net. h 7 7200 3600 1209600 3600\n"
                               "office IN TXT \"v=office; floor=3\"\n";
    char err[128];
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    s->zones = calloc(2, sizeof *s->zones);
    assert_non_null(s->zones);
    s->zone_count = 2;
    vx__zone_copy *a = &s->zones[0], *b = &s->zones[1];
    a->provider = strdup("dns-a.net");
    a->server = strdup("ns1.dns-a.net.");
    socklen_t len;
    assert_int_equal(vx__addr_parse("192.0.2.1", 53, &a->addr, &len), VX_OK);
    a->serial = 7;
    assert_int_equal(vx__zone_text_parse(text, sizeof text - 1, "example.com.", &a->sets,
                                         &a->set_count, err, sizeof err),
                     VX_OK);
    b->provider = strdup("file example.zone");
    b->status = VX_EREFUSED;
    b->rcode = 9;
    char *one = vx__snapshot_to_json(s);
    assert_non_null(one);
    assert_non_null(strstr(one, "\"zones\": ["));
    vx__snapshot *back = load_ok(one);
    assert_int_equal(back->zone_count, 2);
    assert_string_equal(back->zones[0].server, "ns1.dns-a.net.");
    assert_int_equal(back->zones[0].set_count, 2);
    assert_int_equal(back->zones[0].serial, 7);
    assert_true(
        vx__addr_equal((struct sockaddr *)&back->zones[0].addr, (struct sockaddr *)&a->addr));
    assert_null(back->zones[1].server);
    assert_int_equal(back->zones[1].status, VX_EREFUSED);
    assert_int_equal(back->zones[1].rcode, 9);
    char *two = vx__snapshot_to_json(back);
    assert_string_equal(one, two);
    free(one);
    free(two);
    vx__snapshot_free(back);
    vx__snapshot_free(s);
}

/* ---- --ns NAME[/ADDRESS] and the undelegated part ------------------------------------------ */

static void expect_ns(const char *text, const char *name, const char *addr)
{
    char err[256] = "", shown[128], out[160];
    vx__ns_spec g;
    if (vx__ns_spec_parse(text, &g, err, sizeof err) != VX_OK)
        fail_msg("'%s' refused: %s", text, err);
    assert_string_equal(g.name, name);
    assert_int_equal(g.has_addr, addr != NULL);
    if (addr) {
        assert_int_equal(vx__addr_format((struct sockaddr *)&g.addr, shown, sizeof shown), VX_OK);
        assert_string_equal(shown, addr);
        assert_int_equal(ntohs(((struct sockaddr_in *)&g.addr)->sin_port), 53);
    }
    assert_int_equal(vx__ns_spec_format(&g, out, sizeof out), VX_OK);
    vx__ns_spec_clear(&g);
}

static void expect_ns_bad(const char *text, const char *why)
{
    char err[256] = "";
    vx__ns_spec g;
    assert_int_equal(vx__ns_spec_parse(text, &g, err, sizeof err), VX_EINVAL);
    assert_null(g.name);
    if (!strstr(err, why))
        fail_msg("'%s': \"%s\" does not say \"%s\"", text, err, why);
}

static void test_ns_spec_parse(void **state)
{
    (void)state;
    expect_ns("ns1.newprov-c.net", "ns1.newprov-c.net.", NULL);
    expect_ns("NS1.NewProv-C.net.", "ns1.newprov-c.net.", NULL);
    expect_ns("ns1.newprov-c.net/198.18.83.1", "ns1.newprov-c.net.", "198.18.83.1");
    expect_ns("ns1.newprov-c.net/2001:DB8:83::1", "ns1.newprov-c.net.", "2001:db8:83::1");
    expect_ns("ns1.newprov-c.net/::ffff:192.0.2.1", "ns1.newprov-c.net.", "::ffff:192.0.2.1");
    char out[160];
    vx__ns_spec g;
    char err[128];
    assert_int_equal(vx__ns_spec_parse("ns2.example.net/192.0.2.7", &g, err, sizeof err), VX_OK);
    assert_int_equal(vx__ns_spec_format(&g, out, sizeof out), VX_OK);
    assert_string_equal(out, "ns2.example.net/192.0.2.7");
    assert_int_equal(vx__ns_spec_format(&g, out, 10), VX_EINVAL); /* does not fit */
    vx__ns_spec_clear(&g);
    expect_ns_bad("", "give NAME or NAME/ADDRESS");
    expect_ns_bad(NULL, "give NAME or NAME/ADDRESS");
    expect_ns_bad("/192.0.2.1", "give NAME or NAME/ADDRESS");
    expect_ns_bad("bad name", "'bad name' is not a name-server host name");
    expect_ns_bad("ns1.example.net:53", "no port");
    expect_ns_bad("192.0.2.1", "is an address: give the server's name, NAME/192.0.2.1");
    expect_ns_bad("ns1..example.net", "is not a valid name");
    expect_ns_bad(".", "is not a valid name");
    expect_ns_bad("ns1.example.net/", "'' is not an IPv4 or IPv6 address");
    expect_ns_bad("ns1.example.net/192.0.2.1:53", "no port or brackets");
    expect_ns_bad("ns1.example.net/[2001:db8::1]", "no port or brackets");
    expect_ns_bad("ns1.example.net/[2001:db8::1]:53", "no port or brackets");
    expect_ns_bad("ns1.example.net/300.1.1.1", "'300.1.1.1' is not an IPv4 or IPv6 address");
    expect_ns_bad("ns1.example.net/ns2.example.net", "is not an IPv4 or IPv6 address");
    expect_ns_bad("ns1.example.net/192.0.2.1/24", "is not an IPv4 or IPv6 address");
}

/* An undelegated snapshot keeps the servers given (with and without address) and the live
 * delegation's snapshot; the live one cannot nest another. */
static void test_undelegated_round_trip(void **state)
{
    (void)state;
    char err[128];
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    vx__ns_spec g;
    assert_int_equal(vx__ns_spec_parse("ns1.new.net/2001:db8::53", &g, err, sizeof err), VX_OK);
    assert_int_equal(vx__snapshot_add_ns_given(s, &g), VX_OK);
    vx__ns_spec_clear(&g);
    assert_int_equal(vx__ns_spec_parse("ns2.new.net", &g, err, sizeof err), VX_OK);
    assert_int_equal(vx__snapshot_add_ns_given(s, &g), VX_OK);
    vx__ns_spec_clear(&g);
    s->live = vx__snapshot_new("example.com.", "generic");
    add_obs(s->live, VX__PROBE_DATA, "ns1.old.net.", "192.0.2.1", VX__UDP, "example.com.", 6,
            VX_ETIMEDOUT, NULL);
    char *one = vx__snapshot_to_json(s);
    assert_non_null(strstr(one, "\"undelegated\": {"));
    vx__snapshot *back = load_ok(one);
    assert_true(back->undelegated);
    assert_int_equal(back->ns_given_count, 2);
    assert_string_equal(back->ns_given[0].name, "ns1.new.net.");
    assert_true(back->ns_given[0].has_addr);
    assert_true(vx__addr_equal((struct sockaddr *)&back->ns_given[0].addr,
                               (struct sockaddr *)&s->ns_given[0].addr));
    assert_false(back->ns_given[1].has_addr);
    assert_non_null(back->live);
    assert_int_equal(back->live->obs_count, 1);
    char *two = vx__snapshot_to_json(back);
    assert_string_equal(one, two);
    /* without a live audit: "live": null */
    vx__snapshot_free(back->live);
    back->live = NULL;
    free(two);
    two = vx__snapshot_to_json(back);
    assert_non_null(strstr(two, "\"live\": null"));
    vx__snapshot *again = load_ok(two);
    assert_null(again->live);
    assert_int_equal(again->ns_given_count, 2);
    vx__snapshot_free(again);
    free(one);
    free(two);
    vx__snapshot_free(back);
    vx__snapshot_free(s);
    /* an ordinary snapshot has no "undelegated" at all */
    s = vx__snapshot_new("example.com.", "generic");
    one = vx__snapshot_to_json(s);
    assert_null(strstr(one, "undelegated"));
    free(one);
    vx__snapshot_free(s);
}

/* Input written by hand: case, unsorted and duplicate rdata, integer reals, CLASSnn. It loads
 * into the canonical form, and from there saves stably. */
static void test_load_canonicalises(void **state)
{
    (void)state;
    const char *text =
        "{\"schema\":\"voxdns.snapshot/1\",\"domain\":\"Example.COM\",\"profile\":\"generic\","
        "\"started_ms\":0,\"duration_ms\":5,\"delegation\":{\"status\":\"ok\",\"error\":null,"
        "\"parent_zone\":null,\"parent_servers\":[]},\"servers\":[],\"obs\":[{\"kind\":\"data\","
        "\"server\":\"NS1.example.net\",\"address\":\"2001:DB8::1\",\"port\":53,\"transport\":"
        "\"udp\",\"qname\":\"example.com\",\"qtype\":\"naptr\",\"qclass\":\"CLASS1\",\"status\":"
        "\"ok\",\"rcode\":0,\"rcode_name\":\"NOERROR\",\"flags\":33792,\"has_opt\":false,"
        "\"rtt_ms\":3,\"attempts\":1,\"time_ms\":0,\"nsid\":null,\"answer\":[{\"owner\":"
        "\"Example.COM.\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":60,\"rdata\":[\"192.0.2.2\","
        "\"192.0.2.1\",\"192.0.2.2\"]}],\"authority\":[],\"additional\":[]}],\"alt\":[]}";
    vx__snapshot *s = load_ok(text);
    assert_string_equal(s->domain, "example.com.");
    assert_string_equal(s->obs[0].server, "ns1.example.net.");
    assert_string_equal(s->obs[0].qname, "example.com.");
    assert_int_equal(s->obs[0].qtype, 35);
    assert_int_equal(s->obs[0].qclass, 1);
    assert_true(s->obs[0].rtt_ms == 3.0);
    const vx__rrset *a = s->obs[0].sections[0][0];
    assert_string_equal(a->owner, "example.com.");
    assert_int_equal(a->count, 2);
    assert_string_equal(a->rdata[0], "192.0.2.1");
    assert_string_equal(a->rdata[1], "192.0.2.2");
    char *one = vx__snapshot_to_json(s);
    assert_non_null(strstr(one, "\"address\": \"2001:db8::1\""));
    vx__snapshot *back = load_ok(one);
    char *two = vx__snapshot_to_json(back);
    assert_string_equal(one, two);
    free(one);
    free(two);
    vx__snapshot_free(back);
    vx__snapshot_free(s);
}

/* ---- corrupt input --------------------------------------------------------------------- */

static void expect_bad_text(const char *text, const char *want)
{
    char err[256] = "untouched";
    vx__snapshot *s = (vx__snapshot *)&err; /* must be reset to NULL */
    assert_int_equal(vx__snapshot_from_json(text, strlen(text), &s, err, sizeof err),
                     VX_EMALFORMED);
    assert_null(s);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
}

/* The value at a dotted path ("obs.3.answer.0": digits index arrays) of a parsed document. */
static json_t *walk(json_t *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *at = root;
    for (char *tok = strtok(buf, "."); tok && at; tok = strtok(NULL, ".")) {
        if (tok[0] >= '0' && tok[0] <= '9')
            at = json_array_get(at, strtoul(tok, NULL, 10));
        else
            at = json_object_get(at, tok);
    }
    assert_non_null(at);
    return at;
}

/* Sets (or, with v NULL, deletes) key in the object at path of the full snapshot's JSON, then
 * expects the load to fail with want in the message. */
static void expect_bad(const char *path, const char *key, json_t *v, const char *want)
{
    vx__snapshot *s = full_snapshot();
    char *text = vx__snapshot_to_json(s);
    json_t *root = json_loads(text, 0, NULL);
    json_t *obj = path ? walk(root, path) : root;
    if (json_is_array(obj))
        json_array_set_new(obj, strtoul(key, NULL, 10), v);
    else if (v)
        json_object_set_new(obj, key, v);
    else
        json_object_del(obj, key);
    char *bad = json_dumps(root, JSON_PRESERVE_ORDER);
    expect_bad_text(bad, want);
    free(bad);
    json_decref(root);
    free(text);
    vx__snapshot_free(s);
}

static void test_bad_documents(void **state)
{
    (void)state;
    expect_bad_text("", "line 1");
    expect_bad_text("{\"schema\": ", "line 1");
    expect_bad_text("[]", "snapshot: not an object");
    expect_bad_text("{\"schema\":\"voxdns.snapshot/1\",\"schema\":\"x\"}", "duplicate");
    expect_bad(NULL, "schema", json_string("voxdns.snapshot/2"),
               "schema: 'voxdns.snapshot/2' is not voxdns.snapshot/1");
    expect_bad(NULL, "domain", NULL, "domain: missing");
    expect_bad(NULL, "domain", json_string("a..b"), "domain: invalid domain name 'a..b'");
    expect_bad(NULL, "extra", json_true(), "snapshot: unknown key 'extra'");
    expect_bad(NULL, "profile", json_string("Lync!"), "profile: a profile is a lower-case word");
    expect_bad(NULL, "started_ms", json_real(1.5), "started_ms: not an integer");
    expect_bad(NULL, "duration_ms", json_integer(-1), "duration_ms: outside 0..");
    expect_bad(NULL, "servers", json_object(), "servers: not an array");
    expect_bad(NULL, "zones", json_object(), "zones: not an array");
    expect_bad(NULL, "zones", json_pack("[{s:s}]", "provider", "p"), "zones[0].server: missing");
    expect_bad(NULL, "zones", json_pack("[{s:s,s:b}]", "provider", "p", "x", 1),
               "zones[0]: unknown key 'x'");
    expect_bad(NULL, "undelegated", json_array(), "undelegated: not an object");
    expect_bad(NULL, "undelegated", json_pack("{s:[],s:n}", "ns", "live"),
               "undelegated.ns: an undelegated audit names at least one server");
    expect_bad(NULL, "undelegated",
               json_pack("{s:[{s:s,s:n,s:i}]}", "ns", "name", "a.net", "address", "port", 0),
               "undelegated.live: missing");
    expect_bad(NULL, "undelegated",
               json_pack("{s:[{s:s,s:s,s:i}],s:n}", "ns", "name", "a.net", "address", "x", "port",
                         53, "live"),
               "undelegated.ns[0].address: invalid address 'x'");
    expect_bad(
        NULL, "undelegated",
        json_pack("{s:[{s:s,s:n,s:i}],s:{s:b}}", "ns", "name", "a.net", "address", "port", 0,
                  "live", "alt", 1),
        "undelegated.live.alt: a nested snapshot (alternate domain, live delegation) cannot have "
        "alternates of its own");
}

static void test_bad_fields(void **state)
{
    (void)state;
    expect_bad("obs.1", "qtype", json_string("FOO"), "obs[1].qtype: unknown type 'FOO'");
    expect_bad("obs.1", "qclass", json_string("CLASS0"), "obs[1].qclass: unknown class");
    expect_bad("obs.0", "kind", json_string("probe"), "obs[0].kind: unknown probe kind 'probe'");
    expect_bad("obs.0", "status", json_string("exploded"),
               "obs[0].status: unknown status 'exploded'");
    expect_bad("obs.0", "status", json_integer(0), "obs[0].status: not a string");
    expect_bad("obs.0", "transport", json_string("sctp"), "obs[0].transport: unknown transport");
    expect_bad("obs.0", "port", json_integer(70000), "obs[0].port: 70000 is outside 0..65535");
    expect_bad("obs.0", "port", json_string("53"), "obs[0].port: not an integer");
    expect_bad("obs.0", "rcode", json_integer(4096), "obs[0].rcode: 4096 is outside 0..4095");
    expect_bad("obs.0", "rcode_name", json_string("SERVFAIL"),
               "obs[0].rcode_name: 'SERVFAIL' is not the name of rcode 0");
    expect_bad("obs.0", "flags", json_true(), "obs[0].flags: not an integer");
    expect_bad("obs.0", "has_opt", json_integer(1), "obs[0].has_opt: not true or false");
    expect_bad("obs.0", "rtt_ms", json_real(-3.0), "obs[0].rtt_ms: outside 0..");
    expect_bad("obs.0", "time_ms", json_string("now"), "obs[0].time_ms: not an integer");
    expect_bad("obs.0", "nsid", json_string("a\x1b[31m"),
               "obs[0].nsid: character 0x1b is not printable ASCII");
    expect_bad("obs.0", "qname", json_integer(3), "obs[0].qname: not a string");
    expect_bad("obs.0", "answer", NULL, "obs[0].answer: missing");
    expect_bad("obs.0", "surprise", json_null(), "obs[0]: unknown key 'surprise'");
    expect_bad("obs", "2", json_string("x"), "obs[2]: not an object");
    expect_bad("endpoints.0", "transport", json_string("sctp"),
               "endpoints[0].transport: not udp, tcp or tls");
    expect_bad("endpoints.0", "tls", json_object(), "endpoints[0].tls: only for tls");
    expect_bad("endpoints.2", "tls", json_null(), "endpoints[2].tls: required for tls");
    expect_bad("endpoints.0", "code", json_integer(99),
               "endpoints[0].code: 99 is outside 100..699");
    expect_bad("endpoints.2.tls", "handshake", json_string("yes"),
               "endpoints[2].tls.handshake: not true or false");
    expect_bad("endpoints.2.tls", "chain",
               json_pack("[sssssssssss]", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a"),
               "endpoints[2].tls.chain: more than 10 elements");
    expect_bad("endpoints.1", "surprise", json_null(), "endpoints[1]: unknown key 'surprise'");
    expect_bad(NULL, "endpoints", json_object(), "endpoints: not an array");
}

static void test_bad_addresses(void **state)
{
    (void)state;
    expect_bad("servers.0", "address", json_string("192.0.2.300"),
               "servers[0].address: invalid address '192.0.2.300'");
    expect_bad("servers.0", "address", json_string("192.0.2.1:53"),
               "servers[0].address: invalid address");
    expect_bad("servers.1", "address", json_string("[2001:db8::53]"),
               "servers[1].address: invalid address");
    expect_bad("servers.0", "address", json_string("ns1.example.net"),
               "servers[0].address: invalid address");
    expect_bad("servers.0", "address", json_null(), "servers[0].address: an address is required");
    expect_bad("obs.8", "port", json_integer(53), "obs[8].address: no address, but port 53");
    expect_bad("delegation.parent_servers.0", "port", json_integer(-1),
               "delegation.parent_servers[0].port: -1 is outside");
    expect_bad("delegation", "parent_zone", json_integer(5),
               "delegation.parent_zone: not a string");
    expect_bad("delegation", "status", json_string("fine"),
               "delegation.status: unknown status 'fine'");
}

static void test_bad_records(void **state)
{
    (void)state;
    expect_bad("obs.2.answer.0.rdata", "0", json_integer(7),
               "obs[2].answer[0].rdata[0]: not a string");
    expect_bad("obs.2.answer.0", "rdata", json_array(),
               "obs[2].answer[0].rdata: an RRset holds at least one record");
    expect_bad("obs.2.answer.0", "ttl", json_integer(-1), "obs[2].answer[0].ttl: -1 is outside");
    expect_bad("obs.2.answer.0", "ttl", json_integer(4294967296LL),
               "obs[2].answer[0].ttl: 4294967296 is outside");
    expect_bad("obs.2.answer.0", "type", json_string("TYPE0"),
               "obs[2].answer[0].type: unknown type 'TYPE0'");
    expect_bad("obs.2.answer.0", "owner", json_string("example.com"),
               "obs[2].answer[0].owner: invalid owner name");
    expect_bad("obs.2.authority", "0", json_array(), "obs[2].authority[0]: not an object");
}

static json_t *array_of(size_t n, json_t *(*make)(void))
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, make());
    return arr;
}

static json_t *a_server(void)
{
    return json_pack("{s:s,s:s,s:i}", "name", "ns.example.net.", "address", "192.0.2.9", "port",
                     53);
}

static json_t *a_string(void)
{
    return json_string("192.0.2.1");
}

static json_t *an_alt(void)
{
    return json_object();
}

static void test_limits(void **state)
{
    (void)state;
    expect_bad(NULL, "servers", array_of(5000, a_server), "servers: more than 4096 elements");
    expect_bad("obs.2.answer.0", "rdata", array_of(70000, a_string),
               "obs[2].answer[0].rdata: more than 65535 elements");
    expect_bad(NULL, "alt", array_of(65, an_alt), "alt: more than 64 elements");
    expect_bad("alt.0", "alt", json_array(),
               "alt[0].alt: a nested snapshot (alternate domain, live delegation) cannot have "
               "alternates of its own");
    expect_bad("alt.0", "schema", json_string(VX__SNAPSHOT_SCHEMA), "alt[0]: unknown key 'schema'");
    expect_bad("alt.0.obs.0", "qtype", json_string("FOO"), "alt[0].obs[0].qtype: unknown type");
}

/* The reader streams the large members in the order they come: any order of keys loads the same
 * snapshot (here every object's keys sorted, so "obs" and "alt" come before "domain", and a zone
 * copy's "rrsets" before its "serial"). */
static void test_members_in_any_order(void **state)
{
    (void)state;
    vx__snapshot *s = full_snapshot();
    char *one = vx__snapshot_to_json(s);
    json_t *root = json_loads(one, 0, NULL);
    json_t *zone = json_pack("{s:s,s:n,s:n,s:i,s:s,s:i,s:i,s:[{s:s,s:s,s:s,s:i,s:[s]}]}",
                             "provider", "dns-a.net", "server", "address", "port", 0, "status",
                             "ok", "rcode", 0, "serial", 7, "rrsets", "owner", "example.com.",
                             "type", "TXT", "class", "IN", "ttl", 300, "rdata", "\"x\"");
    json_object_set_new(root, "zones", json_pack("[o]", zone));
    char *with_zone = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *sorted = json_dumps(root, JSON_SORT_KEYS);
    assert_true(strstr(sorted, "\"alt\"") < strstr(sorted, "\"domain\""));
    vx__snapshot *a = load_ok(with_zone), *b = load_ok(sorted);
    char *two = vx__snapshot_to_json(a), *three = vx__snapshot_to_json(b);
    assert_string_equal(two, three);
    assert_int_equal(b->zone_count, 1);
    assert_int_equal(b->zones[0].set_count, 1);
    assert_int_equal(b->obs_count, s->obs_count);
    free(two);
    free(three);
    free(sorted);
    free(with_zone);
    vx__snapshot_free(a);
    vx__snapshot_free(b);
    json_decref(root);
    free(one);
    vx__snapshot_free(s);
}

/* The streamed members keep the rules a whole-document parse gave them. */
static void test_streamed_members_refused(void **state)
{
    (void)state;
    vx__snapshot *s = full_snapshot();
    char *one = vx__snapshot_to_json(s);
    char bad[65536];
    const char *obs = strstr(one, "\"obs\": [");
    assert_non_null(obs);
    snprintf(bad, sizeof bad, "%.*s\"obs\": [], %s", (int)(obs - one), one, obs);
    expect_bad_text(bad, "duplicate object key near '\"obs\"'");
    snprintf(bad, sizeof bad, "%s x", one);
    expect_bad_text(bad, "end of file expected near 'x'");
    snprintf(bad, sizeof bad, "%.*s\"obs\": [{\"kind\" \"data\"}, %s", (int)(obs - one), one,
             obs + strlen("\"obs\": ["));
    expect_bad_text(bad, "snapshot: line ");
    expect_bad(NULL, "obs", NULL, "obs: missing");
    expect_bad(NULL, "alt", NULL, "alt: missing");
    expect_bad(NULL, "obs", json_object(), "obs: not an array");
    expect_bad(NULL, "zones",
               json_pack("[{s:s,s:n,s:n,s:i,s:s,s:i,s:i}]", "provider", "p", "server", "address",
                         "port", 0, "status", "ok", "rcode", 0, "serial", 1),
               "zones[0].rrsets: missing");
    expect_bad(NULL, "zones", json_pack("[{s:{}}]", "rrsets"), "zones[0].rrsets: not an array");
    expect_bad_text("[{\"a\": 1}, 2]", "snapshot: not an object");
    expect_bad_text("[{\"a\": 1}, 2", "snapshot: line 1");
    free(one);
    vx__snapshot_free(s);
}

/* Truncating a valid file at every length never crashes and never succeeds but at the end. */
static void test_every_truncation(void **state)
{
    (void)state;
    vx__snapshot *s = full_snapshot();
    char *text = vx__snapshot_to_json(s);
    size_t n = strlen(text);
    char err[256];
    for (size_t len = 0; len < n; len += 7) {
        vx__snapshot *out = NULL;
        assert_int_equal(vx__snapshot_from_json(text, len, &out, err, sizeof err), VX_EMALFORMED);
        assert_null(out);
    }
    free(text);
    vx__snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_server_label),
        cmocka_unit_test(test_add_server_dedup),
        cmocka_unit_test(test_set_response),
        cmocka_unit_test(test_add_obs_deep_copy),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_snapshot_round_trip),
        cmocka_unit_test(test_escaped_name_round_trip),
        cmocka_unit_test(test_zone_copies_round_trip),
        cmocka_unit_test(test_ns_spec_parse),
        cmocka_unit_test(test_undelegated_round_trip),
        cmocka_unit_test(test_members_in_any_order),
        cmocka_unit_test(test_streamed_members_refused),
        cmocka_unit_test(test_load_canonicalises),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_every_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
