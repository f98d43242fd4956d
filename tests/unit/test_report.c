/*
 * tests/unit/test_report.c — the three report forms on a snapshot built through the real
 * snapshot API (three servers, one dead; NAPTR → SRV → hosts → addresses; hostile text in
 * NAPTR, NSID and a finding): the text groups findings by area in catalogue order, worst first,
 * with remedies and the summary line, and no escape sequence unless asked; the JSON has exactly
 * CHECKS.md's keys in its order and the derived values; the HTML escapes all markup, holds no
 * script and no external reference, and draws its SVG charts; the exit status mapping; the
 * escaping and formatting helpers.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "check/check.h"
#include "model/snapshot.h"
#include "report/report.h"
#include "report/report_impl.h"
#include "voxdns/status.h"
#include "wire/addr.h"

/* ---- a snapshot ------------------------------------------------------------------------ */

static const char *const soa[] = {
    "example.com. 3600 IN SOA ns1.example.net. hostmaster.example.com. 2024010101 7200 900 "
    "1209600 300",
    NULL,
};
static const char *const naptr[] = {
    "example.com. 3600 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
    "example.com. 3600 IN NAPTR 20 50 \"s\" \"SIP+D2T<script>\" \"\" _sip._tcp.example.com.",
    NULL,
};
static const char *const srv_udp[] = {
    "_sip._udp.example.com. 3600 IN SRV 10 60 5060 sip1.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 20 0 5060 sip2.example.com.",
    NULL,
};
static const char *const srv_tcp[] = {
    "_sip._tcp.example.com. 1800 IN SRV 10 0 5060 sip1.example.com.",
    NULL,
};
static const char *const sip1_a[] = {"sip1.example.com. 3600 IN A 192.0.2.10", NULL};
static const char *const sip1_aaaa[] = {"sip1.example.com. 3600 IN AAAA 2001:db8::10", NULL};
static const char *const sip2_a[] = {"sip2.example.com. 600 IN A 192.0.2.11", NULL};

static struct sockaddr_storage addr_of(const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(vx__addr_parse(text, 53, &ss, &len), VX_OK);
    return ss;
}

static vx__msg *response(const char *qname, uint16_t qtype, const char *const *an, const char *nsid)
{
    ldns_pkt *p = NULL;
    assert_int_equal(
        ldns_pkt_query_new_frm_str(&p, qname, (ldns_rr_type)qtype, LDNS_RR_CLASS_IN, 0),
        LDNS_STATUS_OK);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_aa(p, true);
    for (size_t i = 0; an && an[i]; i++) {
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, an[i], 0, NULL, NULL), LDNS_STATUS_OK);
        ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
    }
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

typedef struct server {
    const char *name, *addr, *nsid;
    bool dead;
    double rtt;
} server;

static const server servers[] = {
    {"ns1.example.net.", "192.0.2.1", "<script>nsid</script>", false, 10.0},
    {"ns2.example.org.", "2001:db8::53", NULL, false, 5.0},
    {"ns3.example.net.", "192.0.2.3", NULL, true, 0},
};

/* One DATA question of one server: answered (rtt grows with the question), or timed out. */
static void ask(vx__snapshot *s, const server *sv, int nth, const char *qname, uint16_t qtype,
                const char *const *an)
{
    vx__observation ob;
    memset(&ob, 0, sizeof ob);
    ob.kind = VX__PROBE_DATA;
    ob.server = strdup(sv->name);
    ob.addr = addr_of(sv->addr);
    ob.qname = strdup(qname);
    ob.qtype = qtype;
    ob.qclass = 1;
    ob.status = sv->dead ? VX_ETIMEDOUT : VX_OK;
    ob.rtt_ms = sv->dead ? -1 : sv->rtt * (nth % 3 + 1);
    ob.attempts = 1;
    if (!sv->dead) {
        vx__msg *m = response(qname, qtype, an, sv->nsid);
        assert_int_equal(vx__observation_set_response(&ob, m), VX_OK);
        vx__msg_free(m);
    }
    assert_int_equal(vx__snapshot_add_obs(s, &ob), VX_OK);
    vx__observation_clear(&ob);
}

static vx__snapshot *snapshot(void)
{
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    s->started_ms = 1700000000000ull;
    s->duration_ms = 812.4;
    for (size_t i = 0; i < 3; i++) {
        struct sockaddr_storage a = addr_of(servers[i].addr);
        assert_int_equal(vx__snapshot_add_server(&s->servers, &s->server_count, servers[i].name,
                                                 (struct sockaddr *)&a),
                         VX_OK);
    }
    for (size_t i = 0; i < 3; i++) {
        const server *sv = &servers[i];
        ask(s, sv, 0, "example.com.", 6, soa);
        ask(s, sv, 1, "example.com.", 35, naptr);
        ask(s, sv, 2, "_sip._udp.example.com.", 33, srv_udp);
        ask(s, sv, 3, "_sip._tcp.example.com.", 33, srv_tcp);
        ask(s, sv, 4, "sip1.example.com.", 1, sip1_a);
        ask(s, sv, 5, "sip1.example.com.", 28, sip1_aaaa);
        ask(s, sv, 6, "sip2.example.com.", 1, sip2_a);
    }
    return s;
}

/* Findings as the checks would add them; ttl's notice comes before its warning on purpose. */
static void findings(vx__findings *f)
{
    memset(f, 0, sizeof *f);
    vx__finding *x = vx__finding_add(f, "NS-SET-MISMATCH", "the parent lists ns4, the zone not");
    vx__finding_add_name(x, "example.com");
    x = vx__finding_add(f, "NS-UNREACHABLE", "ns3.example.net/192.0.2.3 does not answer");
    vx__finding_add_server(x, "ns3.example.net/192.0.2.3");
    vx__finding_add(f, "NS-SINGLE-TLD", "every NS name is under .net or .org");
    x = vx__finding_add(f, "TTL-TOO-LONG", "a record TTL is 2 days");
    x = vx__finding_add(f, "TTL-TOO-SHORT", "<script>alert(1)</script> has TTL 60 \033]0;x\007");
    vx__finding_add_name(x, "<b>sip1.example.com</b> A");
    vx__finding_add(f, "DNSSEC-UNSIGNED", "no DS at the parent");
    assert_int_equal(f->count, 6);
}

typedef struct fixture {
    vx__snapshot *snap;
    vx__findings findings;
    vx__survival survival;
    vx__report_input in;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    fx->snap = snapshot();
    findings(&fx->findings);
    assert_int_equal(vx__survival_compute(fx->snap, &fx->survival), VX_OK);
    fx->in = (vx__report_input){fx->snap, &fx->findings, &fx->survival, NULL, NULL, NULL};
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    vx__findings_clear(&fx->findings);
    vx__snapshot_free(fx->snap);
    free(fx);
    return 0;
}

/* ---- text ------------------------------------------------------------------------------ */

static const char *at(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    if (!p)
        fail_msg("'%s' not found in:\n%s", needle, hay);
    return p;
}

static void test_text(void **state)
{
    fixture *fx = *state;
    char *t = vx__report_text(&fx->in, false);
    assert_non_null(t);
    at(t, "example.com");
    at(t, "profile generic");
    at(t, "3 authoritative addresses");
    /* Areas in catalogue order. */
    assert_true(at(t, "\ndelegation\n") < at(t, "\navailability\n"));
    assert_true(at(t, "\navailability\n") < at(t, "\ndiversity\n"));
    assert_true(at(t, "\ndiversity\n") < at(t, "\nttl\n"));
    assert_true(at(t, "\nttl\n") < at(t, "\ndnssec\n"));
    /* Worst first within an area, though the list had the notice first. */
    assert_true(at(t, "TTL-TOO-SHORT") < at(t, "TTL-TOO-LONG"));
    at(t, "  error    NS-UNREACHABLE\n");
    at(t, "servers: ns3.example.net/192.0.2.3");
    at(t, "names:   <b>sip1.example.com</b> A");
    at(t, vx__check_find("NS-UNREACHABLE")->remedy);
    at(t, vx__check_find("DNSSEC-UNSIGNED")->remedy);
    at(t, "half of resolver caches lose the SIP chain after");
    at(t, "example.com: 0 critical, 1 error, 2 warnings, 3 notices\n");
    assert_null(strchr(t, '\033')); /* neither our colours nor the finding's own escape */
    assert_null(strchr(t, '\007'));
    free(t);

    t = vx__report_text(&fx->in, true);
    at(t, "\033[31merror");
    at(t, "\033[0m");
    assert_null(strstr(t, "\033]0;")); /* the finding's escape is still neutralised */
    free(t);
}

static void test_text_survival_sentence(void **state)
{
    fixture *fx = *state;
    vx__survival sv = {1800, 3240, 3600};
    vx__report_input in = {fx->snap, &fx->findings, &sv, "lync", NULL, NULL};
    char *t = vx__report_text(&in, false);
    at(t, "profile lync");
    at(t, "if every authoritative server went dark now, half of resolver caches lose the SIP "
          "chain after 30 min, 90% after 54 min");
    free(t);
    in.survival = NULL;
    in.findings = NULL;
    t = vx__report_text(&in, false);
    at(t, "no findings");
    at(t, "no SIP chain records");
    at(t, "example.com: 0 critical, 0 errors, 0 warnings, 0 notices\n");
    free(t);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void assert_keys(json_t *obj, const char *const *keys)
{
    assert_true(json_is_object(obj));
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        (void)v;
        assert_non_null(keys[n]);
        if (strcmp(key, keys[n]) != 0)
            fail_msg("key %zu is '%s', expected '%s'", n, key, keys[n]);
        n++;
    }
    assert_null(keys[n]);
}

static const char *const top_keys[] = {"schema",      "domain",   "profile",   "started",
                                       "duration_ms", "servers",  "providers", "sip",
                                       "survival",    "findings", "summary",   NULL};
static const char *const server_keys[] = {"name",   "address", "rtt_ms",   "up",
                                          "serial", "nsid",    "provider", NULL};
static const char *const providers_keys[] = {"list", "dual_primary", "dual_primary_why",
                                             "zone_copies", NULL};
static const char *const provider_keys[] = {"name",   "declared",   "addresses",
                                            "serial", "consistent", NULL};
static const char *const sip_keys[] = {"naptr", "srv", "targets", NULL};
static const char *const naptr_keys[] = {"order",  "preference",  "flags", "service",
                                         "regexp", "replacement", "ttl",   NULL};
static const char *const srv_keys[] = {"name", "priority", "weight", "port", "target", "ttl", NULL};
static const char *const target_keys[] = {"host", "addresses", "ttl", NULL};
static const char *const finding_keys[] = {"check",   "severity", "area", "message",
                                           "servers", "names",    NULL};
static const char *const summary_keys[] = {"critical", "error", "warning", "notice", "info", NULL};
static const char *const survival_keys[] = {"half_s", "ninety_s", NULL};

static json_t *report_json(const vx__report_input *in)
{
    char *text = vx__report_json(in);
    assert_non_null(text);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    if (!root)
        fail_msg("report JSON does not parse: %s", err.text);
    free(text);
    return root;
}

static void test_json_shape(void **state)
{
    fixture *fx = *state;
    json_t *root = report_json(&fx->in);
    assert_keys(root, top_keys);
    assert_keys(json_object_get(root, "sip"), sip_keys);
    assert_keys(json_object_get(root, "survival"), survival_keys);
    assert_keys(json_object_get(root, "summary"), summary_keys);
    json_t *a;
    size_t i;
    json_array_foreach(json_object_get(root, "servers"), i, a) assert_keys(a, server_keys);
    json_array_foreach(json_object_get(root, "findings"), i, a) assert_keys(a, finding_keys);
    json_t *providers = json_object_get(root, "providers");
    assert_keys(providers, providers_keys);
    json_array_foreach(json_object_get(providers, "list"), i, a) assert_keys(a, provider_keys);
    json_t *sip = json_object_get(root, "sip");
    json_array_foreach(json_object_get(sip, "naptr"), i, a) assert_keys(a, naptr_keys);
    json_array_foreach(json_object_get(sip, "srv"), i, a) assert_keys(a, srv_keys);
    json_array_foreach(json_object_get(sip, "targets"), i, a) assert_keys(a, target_keys);
    json_decref(root);
}

static void test_json_values(void **state)
{
    fixture *fx = *state;
    json_t *root = report_json(&fx->in);
    json_t *srv0 = json_array_get(json_object_get(root, "servers"), 0);
    json_t *srv2 = json_array_get(json_object_get(root, "servers"), 2);
    json_t *sip = json_object_get(root, "sip");
    json_t *n0 = json_array_get(json_object_get(sip, "naptr"), 0);
    json_t *t0 = json_array_get(json_object_get(sip, "targets"), 0);
    json_t *f1 = json_array_get(json_object_get(root, "findings"), 1);
    assert_string_equal(json_string_value(json_object_get(root, "schema")), "voxdns.audit/1");
    assert_string_equal(json_string_value(json_object_get(root, "domain")), "example.com");
    assert_string_equal(json_string_value(json_object_get(root, "started")),
                        "2023-11-14T22:13:20Z");
    assert_int_equal(json_integer_value(json_object_get(root, "duration_ms")), 812);
    /* ns1's DATA RTTs are 10, 20, 30 ms in turn: the median is 20. */
    assert_string_equal(json_string_value(json_object_get(srv0, "name")), "ns1.example.net");
    assert_string_equal(json_string_value(json_object_get(srv0, "address")), "192.0.2.1");
    assert_true(json_real_value(json_object_get(srv0, "rtt_ms")) == 20.0);
    assert_true(json_is_true(json_object_get(srv0, "up")));
    assert_int_equal(json_integer_value(json_object_get(srv0, "serial")), 2024010101);
    assert_string_equal(json_string_value(json_object_get(srv0, "nsid")), "<script>nsid</script>");
    assert_true(json_is_false(json_object_get(srv2, "up")));
    assert_true(json_is_null(json_object_get(srv2, "rtt_ms")));
    assert_true(json_is_null(json_object_get(srv2, "serial")));
    assert_true(json_is_null(json_object_get(srv2, "nsid")));
    /* Providers inferred from the NS names: example.net (ns1, ns3), example.org (ns2). */
    assert_string_equal(json_string_value(json_object_get(srv0, "provider")), "example.net");
    assert_string_equal(json_string_value(json_object_get(srv2, "provider")), "example.net");
    json_t *plist = json_object_get(json_object_get(root, "providers"), "list");
    assert_int_equal(json_array_size(plist), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(plist, 1), "name")),
                        "example.org");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(plist, 0), "addresses")), 2);
    assert_int_equal(json_integer_value(json_object_get(n0, "order")), 10);
    assert_string_equal(json_string_value(json_object_get(n0, "flags")), "s");
    assert_string_equal(json_string_value(json_object_get(n0, "service")), "SIP+D2U");
    assert_string_equal(json_string_value(json_object_get(n0, "regexp")), "");
    assert_string_equal(json_string_value(json_object_get(n0, "replacement")),
                        "_sip._udp.example.com");
    assert_int_equal(json_array_size(json_object_get(sip, "srv")), 3);
    assert_int_equal(json_array_size(json_object_get(sip, "targets")), 2);
    assert_string_equal(json_string_value(json_object_get(t0, "host")), "sip1.example.com");
    assert_int_equal(json_array_size(json_object_get(t0, "addresses")), 2);
    assert_int_equal(json_integer_value(json_object_get(t0, "ttl")), 3600);
    assert_string_equal(json_string_value(json_object_get(f1, "check")), "NS-UNREACHABLE");
    assert_string_equal(json_string_value(json_object_get(f1, "severity")), "error");
    assert_string_equal(json_string_value(json_object_get(f1, "area")), "availability");
    assert_string_equal(json_string_value(json_array_get(json_object_get(f1, "servers"), 0)),
                        "ns3.example.net/192.0.2.3");
    json_t *sum = json_object_get(root, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "error")), 1);
    assert_int_equal(json_integer_value(json_object_get(sum, "warning")), 2);
    assert_int_equal(json_integer_value(json_object_get(sum, "notice")), 3);
    json_t *sv = json_object_get(root, "survival");
    assert_int_equal(json_integer_value(json_object_get(sv, "half_s")),
                     (json_int_t)(fx->survival.half_s + 0.5));
    json_decref(root);
}

static void test_json_empty(void **state)
{
    (void)state;
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    vx__report_input in = {s, NULL, NULL, NULL, NULL, NULL};
    json_t *root = report_json(&in);
    assert_keys(root, top_keys);
    assert_true(json_is_null(json_object_get(root, "survival")));
    assert_int_equal(json_array_size(json_object_get(root, "findings")), 0);
    assert_int_equal(json_array_size(json_object_get(root, "servers")), 0);
    json_decref(root);
    vx__snapshot_free(s);
}

/* ---- an undelegated audit (--ns) ------------------------------------------------------- */

static const char *const undelegated_top_keys[] = {
    "schema",      "domain", "profile",  "started",  "duration_ms", "servers", "providers",
    "undelegated", "sip",    "survival", "findings", "summary",     NULL};
static const char *const undelegated_keys[] = {"ns", "live", NULL};
static const char *const live_keys[] = {"delegated", "error", "servers", NULL};

static void give(vx__snapshot *s, const char *text)
{
    char err[128];
    vx__ns_spec g;
    assert_int_equal(vx__ns_spec_parse(text, &g, err, sizeof err), VX_OK);
    assert_int_equal(vx__snapshot_add_ns_given(s, &g), VX_OK);
    vx__ns_spec_clear(&g);
}

static void test_undelegated(void **state)
{
    fixture *fx = *state;
    give(fx->snap, "ns1.new.net");
    give(fx->snap, "ns2.new.net/192.0.2.99");
    fx->snap->live = snapshot();
    char *t = vx__report_text(&fx->in, false);
    at(t, "  undelegated audit, as if delegated to ns1.new.net, ns2.new.net/192.0.2.99 (--ns)\n"
          "  servers used: ");
    at(t, "  live delegation: ");
    assert_true(at(t, "servers used:") < at(t, "live delegation:"));
    free(t);
    json_t *root = report_json(&fx->in);
    assert_keys(root, undelegated_top_keys);
    json_t *u = json_object_get(root, "undelegated");
    assert_keys(u, undelegated_keys);
    assert_string_equal(json_string_value(json_array_get(json_object_get(u, "ns"), 1)),
                        "ns2.new.net/192.0.2.99");
    json_t *live = json_object_get(u, "live");
    assert_keys(live, live_keys);
    assert_true(json_is_true(json_object_get(live, "delegated")));
    json_t *a;
    size_t i;
    json_array_foreach(json_object_get(live, "servers"), i, a) assert_keys(a, server_keys);
    assert_int_equal(json_array_size(json_object_get(live, "servers")),
                     fx->snap->live->server_count);
    json_decref(root);
    /* not delegated at all: the reason, and nothing to compare with */
    fx->snap->live->delegation_status = VX_ENOTFOUND;
    fx->snap->live->delegation_error = strdup("com. answers NXDOMAIN for example.com.");
    t = vx__report_text(&fx->in, false);
    at(t, "  live delegation: none (com. answers NXDOMAIN for example.com.): nothing to compare "
          "with\n");
    free(t);
    root = report_json(&fx->in);
    live = json_object_get(json_object_get(root, "undelegated"), "live");
    assert_true(json_is_false(json_object_get(live, "delegated")));
    assert_string_equal(json_string_value(json_object_get(live, "error")),
                        "com. answers NXDOMAIN for example.com.");
    json_decref(root);
    /* the live audit did not run */
    vx__snapshot_free(fx->snap->live);
    fx->snap->live = NULL;
    root = report_json(&fx->in);
    assert_true(json_is_null(json_object_get(json_object_get(root, "undelegated"), "live")));
    json_decref(root);
    t = vx__report_text(&fx->in, false);
    at(t, "  live delegation: none (not audited): nothing to compare with\n");
    free(t);
}

/* ---- HTML ------------------------------------------------------------------------------ */

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

static void test_html(void **state)
{
    fixture *fx = *state;
    char *h = vx__report_html(&fx->in);
    assert_non_null(h);
    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    /* Markup from DNS data and findings is shown, never interpreted; no script at all. */
    assert_false(contains_nocase(h, "<script"));
    at(h, "&lt;script&gt;alert(1)&lt;/script&gt;");
    at(h, "&lt;script&gt;nsid&lt;/script&gt;");
    at(h, "SIP+D2T&lt;script&gt;");
    at(h, "&lt;b&gt;sip1.example.com&lt;/b&gt; A");
    assert_null(strstr(h, "<b>sip1"));
    assert_null(strchr(h, '\033'));
    /* Self-contained: nothing fetched from anywhere. */
    assert_false(contains_nocase(h, "src="));
    assert_false(contains_nocase(h, "href="));
    assert_false(contains_nocase(h, "@import"));
    assert_false(contains_nocase(h, "url(http"));
    at(h, "Content-Security-Policy");
    /* The three charts. */
    at(h, "<svg");
    at(h, "aria-label=\"outage survival curve\"");
    at(h, "aria-label=\"median response time per server\"");
    at(h, "marker-end=\"url(#arrow)\"");
    at(h, "half lost");
    at(h, "s-error");
    at(h, "no answer"); /* ns3's bar */
    /* Remedies, escaped like everything else. */
    vx__rbuf b = {0};
    vx__rb_html(&b, vx__check_find("NS-UNREACHABLE")->remedy);
    char *remedy = vx__rb_take(&b);
    at(h, remedy);
    free(remedy);
    /* Worst first: the error row precedes the warnings and notices. */
    assert_true(at(h, ">NS-UNREACHABLE<") < at(h, ">TTL-TOO-SHORT<"));
    assert_true(at(h, ">TTL-TOO-SHORT<") < at(h, ">DNSSEC-UNSIGNED<"));
    free(h);
}

static void test_html_empty(void **state)
{
    (void)state;
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    vx__report_input in = {s, NULL, NULL, NULL, NULL, NULL};
    char *h = vx__report_html(&in);
    at(h, "No findings.");
    at(h, "No NAPTR or SRV records were found.");
    at(h, "</html>");
    free(h);
    vx__snapshot_free(s);
}

/* ---- exit status and helpers ----------------------------------------------------------- */

static void test_exit_status(void **state)
{
    (void)state;
    vx__findings f = {0};
    assert_int_equal(vx__report_exit_status(NULL), 0);
    assert_int_equal(vx__report_exit_status(&f), 0);
    vx__finding_add(&f, "DNSSEC-UNSIGNED", "notice");
    assert_int_equal(vx__report_exit_status(&f), 0);
    vx__finding_add(&f, "NS-SLOW", "warning");
    assert_int_equal(vx__report_exit_status(&f), 1);
    vx__finding_add(&f, "NS-LAME", "error");
    assert_int_equal(vx__report_exit_status(&f), 2);
    vx__findings_clear(&f);
    vx__finding_add(&f, "ALL-NS-UNREACHABLE", "critical");
    assert_int_equal(vx__report_exit_status(&f), 2);
    f.items[0].severity = VX__SEV_INFO;
    assert_int_equal(vx__report_exit_status(&f), 0);
    vx__findings_clear(&f);
}

static void test_html_escape(void **state)
{
    (void)state;
    vx__rbuf b = {0};
    vx__rb_html(&b, "<a href=\"x\" onclick='y'>&amp;</a>\x1b");
    char *s = vx__rb_take(&b);
    assert_string_equal(s, "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;?");
    free(s);
    vx__rb_plain(&b, "a\033[2Jb\tc");
    s = vx__rb_take(&b);
    assert_string_equal(s, "a?[2Jb?c");
    free(s);
    s = vx__rb_take(&b); /* an empty buffer gives an empty string */
    assert_string_equal(s, "");
    free(s);
}

static void test_formatting(void **state)
{
    (void)state;
    char out[64];
    vx__report_span(45, out, sizeof out);
    assert_string_equal(out, "45 s");
    vx__report_span(1800, out, sizeof out);
    assert_string_equal(out, "30 min");
    vx__report_span(3240, out, sizeof out);
    assert_string_equal(out, "54 min");
    vx__report_span(7500, out, sizeof out);
    assert_string_equal(out, "2 h 5 min");
    vx__report_span(3 * 3600, out, sizeof out);
    assert_string_equal(out, "3 h");
    vx__report_span(3 * 86400, out, sizeof out);
    assert_string_equal(out, "3.0 days");
    vx__report_time(1700000000999ull, out, sizeof out);
    assert_string_equal(out, "2023-11-14T22:13:20Z");
    vx__report_name("example.com.", out, sizeof out);
    assert_string_equal(out, "example.com");
    vx__report_name(".", out, sizeof out);
    assert_string_equal(out, ".");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_survival_sentence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undelegated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_values, setup, teardown),
        cmocka_unit_test(test_json_empty),
        cmocka_unit_test_setup_teardown(test_html, setup, teardown),
        cmocka_unit_test(test_html_empty),
        cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_formatting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
