/*
 * tests/unit/test_monitor_diff.c — monitor/diff.c: the monitor's cycles on hand-built snapshots
 * (tests/unit/check_fixture.h's healthy example.com, edited per server), fed to the diff one
 * after another five minutes apart, the way the daemon does. Each test asserts the exact events
 * a cycle emits and the conditions it leaves open; every event also goes through the API's JSON.
 */
#include "check_fixture.h"
#include "cert_fixture.h"

#include <jansson.h>

#include "monitor/diff.h"

#define T0 1700000000000ull
#define CYCLE_MS 300000ull
#define NS1 "ns1.dns-a.net/192.0.2.1"
#define NS2 "ns2.dns-b.org/198.51.100.1"
#define SIP1 "sip1.example.com."

/* ---- the fixture: a monitor's state across cycles ---------------------------------------- */

typedef struct world {
    vx__snapshot *baseline;
    vx__conditions open;
    vx__events ev; /* the last cycle's events */
    vx__diff_config cfg;
    uint64_t now;
    uint64_t prev; /* the previous cycle's time, 0 before the first */
    vx__findings findings;
    const vx__resolver_obs *resolvers;
    size_t resolver_count;
    const char *const *server_provider;
    const vx__diff_prop *propagation;
    size_t propagation_count;
} world;

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->baseline = fx_healthy();
    w->now = T0;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    fx_free(w->baseline);
    vx__conditions_clear(&w->open);
    vx__events_clear(&w->ev);
    vx__findings_clear(&w->findings);
    free(w);
    return 0;
}

/* Every event must survive the API's JSON with exactly its keys. */
static void check_json(const vx__event *e)
{
    char *text = vx__event_to_json(e);
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 12);
    assert_string_equal(json_string_value(json_object_get(j, "domain")), "example.com");
    json_decref(j);
}

/* One cycle five minutes after the last, on cur (freed here). */
static void cycle(world *w, vx__snapshot *cur)
{
    vx__events_clear(&w->ev);
    w->now += CYCLE_MS;
    vx__diff_input in = {.baseline = w->baseline,
                         .current = cur,
                         .findings = &w->findings,
                         .resolvers = w->resolvers,
                         .resolver_count = w->resolver_count,
                         .now_ms = w->now,
                         .prev_cycle_ms = w->prev,
                         .cfg = &w->cfg,
                         .server_provider = w->server_provider,
                         .propagation = w->propagation,
                         .propagation_count = w->propagation_count};
    assert_int_equal(vx__diff_cycle(&in, &w->open, &w->ev), VX_OK);
    w->prev = w->now;
    for (size_t i = 0; i < w->ev.count; i++) {
        print_message("    %s %s %s\n", vx__severity_name(w->ev.items[i].severity),
                      vx__event_type_name(w->ev.items[i].type), w->ev.items[i].message);
        check_json(&w->ev.items[i]);
    }
    fx_free(cur);
}

/* The healthy zone, except that server idx (FX_SERVERS order) serves zone edited: records of
 * drop_owner/drop_type removed, add lines added. */
static vx__snapshot *edited(size_t idx, const char *drop_owner, uint16_t drop_type,
                            const char *const *add)
{
    const char **z = fx_zone_edit(FX_ZONE, drop_owner, drop_type, add);
    const char *const *zones[FX_SERVER_COUNT];
    for (size_t i = 0; i < FX_SERVER_COUNT; i++)
        zones[i] = i == idx ? z : FX_ZONE;
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    fx_zone_free(z);
    return s;
}

/* Server 0 (ns1/192.0.2.1) answers sip1 A with addr. */
static vx__snapshot *sip1_on_ns1(const char *addr, unsigned ttl)
{
    char line[128];
    snprintf(line, sizeof line, "sip1.example.com. %u IN A %s", ttl, addr);
    const char *add[] = {line, NULL};
    return edited(0, SIP1, LDNS_RR_TYPE_A, add);
}

static const vx__event *the_event(const world *w, vx__event_type type)
{
    const vx__event *found = NULL;
    for (size_t i = 0; i < w->ev.count; i++) {
        if (w->ev.items[i].type == type) {
            if (found)
                fail_msg("%s emitted twice", vx__event_type_name(type));
            found = &w->ev.items[i];
        }
    }
    if (!found)
        fail_msg("no %s among %zu events", vx__event_type_name(type), w->ev.count);
    return found;
}

static void assert_data(char **v, size_t n, const char *one)
{
    assert_int_equal(n, 1);
    assert_string_equal(v[0], one);
}

/* ---- records ------------------------------------------------------------------------------- */

static void test_nothing_changes(void **state)
{
    world *w = *state;
    for (int i = 0; i < 4; i++) {
        cycle(w, fx_healthy());
        assert_int_equal(w->ev.count, 0);
        assert_int_equal(w->open.count, 0);
    }
}

static void test_changed_then_reverted(void **state)
{
    world *w = *state;
    cycle(w, fx_healthy());
    cycle(w, sip1_on_ns1("203.0.113.66", 3600));
    uint64_t t_change = w->now;
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_RECORD_CHANGED);
    assert_int_equal(e->severity, VX__SEV_ERROR);
    assert_string_equal(e->domain, "example.com");
    assert_string_equal(e->server, NS1);
    assert_string_equal(e->name, "sip1.example.com");
    assert_int_equal(e->rrtype, LDNS_RR_TYPE_A);
    assert_data(e->old_data, e->old_count, "192.0.2.10");
    assert_data(e->new_data, e->new_count, "203.0.113.66");
    assert_int_equal(e->first_seen_ms, t_change);
    assert_int_equal(w->open.count, 1);
    assert_non_null(vx__conditions_get(&w->open, "record|" NS1 "|" SIP1 "|A"));

    cycle(w, sip1_on_ns1("203.0.113.66", 3600)); /* persists: refreshed, silent */
    assert_int_equal(w->ev.count, 0);
    const vx__condition *c = vx__conditions_get(&w->open, "record|" NS1 "|" SIP1 "|A");
    assert_non_null(c);
    assert_int_equal(c->first_seen_ms, t_change);
    assert_int_equal(c->last_seen_ms, w->now);

    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_int_equal(e->severity, VX__SEV_WARNING);
    assert_string_equal(e->server, NS1);
    assert_string_equal(e->name, "sip1.example.com");
    assert_data(e->old_data, e->old_count, "203.0.113.66");
    assert_data(e->new_data, e->new_count, "192.0.2.10");
    assert_int_equal(e->first_seen_ms, t_change);
    assert_int_equal(e->last_seen_ms, w->now);
    /* Seen at t and t+5 min, not at t-5 min nor now (t+10 min): honest bounds. */
    fx_contains(e->message, "for at least 5 min and at most 15 min");
    /* Seen at t and t+5 min, not at t-5 min nor now (t+10 min): honest bounds. */
    fx_contains(e->message, "for at least 5 min and at most 15 min");
    assert_int_equal(w->open.count, 0);
}

static void test_changed_for_one_cycle(void **state)
{
    world *w = *state;
    cycle(w, sip1_on_ns1("203.0.113.66", 3600));
    uint64_t t = w->now;
    assert_int_equal(the_event(w, VX__EV_RECORD_CHANGED)->first_seen_ms, t);
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_int_equal(e->first_seen_ms, t);
    assert_int_equal(e->last_seen_ms, t + CYCLE_MS);
    assert_int_equal(w->open.count, 0);
}

static void test_added_and_removed(void **state)
{
    world *w = *state;
    const char *add[] = {"sip1.example.com. 3600 IN AAAA 2001:db8:5::10", NULL};
    cycle(w, edited(2, NULL, 0, add)); /* sip1 had no IPv6 address */
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_RECORD_ADDED);
    assert_string_equal(e->server, NS2);
    assert_string_equal(e->name, "sip1.example.com");
    assert_int_equal(e->rrtype, LDNS_RR_TYPE_AAAA);
    assert_int_equal(e->old_count, 0);
    assert_data(e->new_data, e->new_count, "2001:db8:5::10");
    fx_contains(e->message, "instead of no data");
    cycle(w, fx_healthy());
    assert_int_equal(the_event(w, VX__EV_CHANGE_REVERTED)->new_count, 0);

    cycle(w, edited(1, "sip2.example.com.", LDNS_RR_TYPE_A, NULL)); /* now NXDOMAIN */
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_RECORD_REMOVED);
    assert_string_equal(e->server, "ns1.dns-a.net/2001:db8:a::1");
    assert_data(e->old_data, e->old_count, "198.51.100.10");
    assert_int_equal(e->new_count, 0);
    fx_contains(e->message, "NXDOMAIN");
    cycle(w, fx_healthy());
    assert_int_equal(the_event(w, VX__EV_CHANGE_REVERTED)->new_count, 1);
    assert_int_equal(w->open.count, 0);
}

static void test_ttl_changed(void **state)
{
    world *w = *state;
    cycle(w, sip1_on_ns1("192.0.2.10", 300));
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_TTL_CHANGED);
    assert_int_equal(e->severity, VX__SEV_NOTICE);
    assert_int_equal(e->old_ttl, 3600);
    assert_int_equal(e->new_ttl, 300);
    assert_data(e->new_data, e->new_count, "192.0.2.10");
    assert_non_null(vx__conditions_get(&w->open, "ttl|" NS1 "|" SIP1 "|A"));
    cycle(w, sip1_on_ns1("192.0.2.10", 300));
    assert_int_equal(w->ev.count, 0);
    cycle(w, sip1_on_ns1("192.0.2.10", 60)); /* yet another TTL */
    e = the_event(w, VX__EV_TTL_CHANGED);
    assert_int_equal(e->old_ttl, 300);
    assert_int_equal(e->new_ttl, 60);
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_int_equal(e->severity, VX__SEV_NOTICE);
    assert_int_equal(e->old_ttl, 60);
    assert_int_equal(e->new_ttl, 3600);
    assert_int_equal(w->open.count, 0);
}

static void test_third_value(void **state)
{
    world *w = *state;
    cycle(w, sip1_on_ns1("203.0.113.66", 3600));
    uint64_t t = w->now;
    cycle(w, sip1_on_ns1("203.0.113.77", 3600));
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_RECORD_CHANGED);
    assert_data(e->old_data, e->old_count, "203.0.113.66");
    assert_data(e->new_data, e->new_count, "203.0.113.77");
    fx_contains(e->message, "baseline: [192.0.2.10]");
    assert_int_equal(e->first_seen_ms, t);
    assert_int_equal(w->open.count, 1);
    cycle(w, fx_healthy());
    e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_data(e->old_data, e->old_count, "203.0.113.77");
    assert_int_equal(e->first_seen_ms, t);
}

/* A server that was new since the baseline (no answers there) is held to the consensus. */
static void test_new_server_uses_consensus(void **state)
{
    world *w = *state;
    fx_kill(w->baseline, "2001:db8:b::1");
    vx__snapshot *s = fx_healthy();
    vx__observation *o =
        fx_find(s, "2001:db8:b::1", VX__PROBE_DATA, VX__UDP, "sip2.example.com.", LDNS_RR_TYPE_A);
    const char *z[] = {"sip2.example.com. 3600 IN A 203.0.113.99", NULL};
    fx_reanswer(o, z);
    o->flags = VX__FLAG_QR | VX__FLAG_AA;
    cycle(w, s);
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_RECORD_CHANGED);
    assert_string_equal(e->server, "ns2.dns-b.org/2001:db8:b::1");
    assert_data(e->old_data, e->old_count, "198.51.100.10");
}

/* The operator accepted the changed data as the new baseline: the change is not "reverted". */
static void test_accepted_baseline_closes_silently(void **state)
{
    world *w = *state;
    cycle(w, sip1_on_ns1("203.0.113.66", 3600));
    assert_int_equal(w->open.count, 1);
    fx_free(w->baseline);
    w->baseline = sip1_on_ns1("203.0.113.66", 3600);
    cycle(w, sip1_on_ns1("203.0.113.66", 3600));
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 0);
}

/* ---- SIP endpoints ----------------------------------------------------------------------------
 */

#define SBC "sbc1.example.com/192.0.2.10"

/* A leaf certificate with a key of its own (cert_fixture's key is shared) as the snapshot keeps
 * it (base64 DER; caller frees). */
static char *leaf_with_new_key(const char *cn)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    X509 *x = cf_make(cn, "URI:sip:example.com", time(NULL) - 3600, time(NULL) + 90 * 86400L);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    assert_true(len > 0);
    char *b64 = vx__cert_der_to_b64(der, (size_t)len);
    assert_non_null(b64);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);
    return b64;
}

/* Adds sbc1's tuple over transport t to s: answering 200 (status VX_OK) or not, and over TLS
 * with leaf (base64 DER, NULL: the handshake failed). */
static void ep_add(vx__snapshot *s, vx__ep_transport t, int status, const char *leaf)
{
    vx__endpoint_obs e = {.host = "sbc1.example.com.", .transport = t, .status = status};
    socklen_t len;
    assert_int_equal(vx__addr_parse("192.0.2.10", t == VX__EP_TLS ? 5061 : 5060, &e.addr, &len),
                     VX_OK);
    e.code = status == VX_OK ? 200 : 0;
    e.reason = status == VX_OK ? "OK" : NULL;
    e.error = status == VX_OK ? NULL : "no response to 7 requests";
    char *chain[1] = {(char *)leaf};
    if (t == VX__EP_TLS && leaf) {
        e.connected = e.tls_ok = true;
        e.chain = chain;
        e.chain_count = 1;
    }
    s->endpoints_probed = true;
    assert_int_equal(vx__snapshot_add_endpoint(s, &e), VX_OK);
}

/* The healthy zone with sbc1 over UDP (up or not) and TLS presenting leaf. */
static vx__snapshot *with_sbc(int udp_status, const char *leaf)
{
    vx__snapshot *s = fx_healthy();
    ep_add(s, VX__EP_UDP, udp_status, NULL);
    ep_add(s, VX__EP_TLS, leaf ? VX_OK : VX_ENETWORK, leaf);
    return s;
}

static void endpoint_baseline(world *w, const char *leaf)
{
    fx_free(w->baseline);
    w->baseline = with_sbc(VX_OK, leaf);
}

static void test_sip_target_down_then_recovered(void **state)
{
    world *w = *state;
    char *leaf = cf_b64("sbc1.example.com", "URI:sip:example.com", -3600, 86400 * 90);
    endpoint_baseline(w, leaf);
    cycle(w, with_sbc(VX_OK, leaf));
    assert_int_equal(w->ev.count, 0);
    cycle(w, with_sbc(VX_ETIMEDOUT, leaf));
    uint64_t t = w->now;
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_SIP_TARGET_DOWN);
    assert_int_equal(e->severity, VX__SEV_ERROR);
    assert_string_equal(e->server, SBC);
    assert_string_equal(e->name, "sbc1.example.com");
    fx_contains(e->message, "port 5060 UDP");
    fx_contains(e->message, "no response to 7 requests");
    assert_int_equal(w->open.count, 1);
    assert_string_equal(w->open.items[0].key, "sip-down|" SBC "|5060|udp");
    cycle(w, with_sbc(VX_ETIMEDOUT, leaf));
    assert_int_equal(w->ev.count, 0);
    cycle(w, with_sbc(VX_OK, leaf));
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_SIP_TARGET_RECOVERED);
    assert_int_equal(e->severity, VX__SEV_NOTICE);
    assert_string_equal(e->server, SBC);
    assert_int_equal(e->first_seen_ms, t);
    assert_int_equal(e->last_seen_ms, w->now);
    fx_contains(e->message, "200 OK");
    assert_int_equal(w->open.count, 0);
    free(leaf);
}

/* Not probed this cycle: unknown, so the outage stays open; a tuple gone from the chain drops
 * its condition silently. */
static void test_sip_target_unknown_and_gone(void **state)
{
    world *w = *state;
    char *leaf = cf_b64("sbc1.example.com", "URI:sip:example.com", -3600, 86400 * 90);
    endpoint_baseline(w, leaf);
    cycle(w, with_sbc(VX_ETIMEDOUT, leaf));
    assert_int_equal(w->ev.count, 1);
    cycle(w, fx_healthy()); /* endpoints not probed */
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 1);
    vx__snapshot *s = fx_healthy();
    ep_add(s, VX__EP_TLS, VX_OK, leaf); /* the UDP tuple left the chain */
    cycle(w, s);
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 0);
    free(leaf);
}

static void test_cert_changed_then_reverted(void **state)
{
    world *w = *state;
    char *a = cf_b64("sbc1.example.com", "URI:sip:example.com", -3600, 86400 * 90);
    char *b = leaf_with_new_key("sbc1.example.com");
    char *c = cf_b64("sbc1.example.com", "URI:sip:example.com", -7200, 86400 * 60);
    vx__cert_facts fa, fb, fc;
    assert_int_equal(vx__cert_from_b64(a, &fa), VX_OK);
    assert_int_equal(vx__cert_from_b64(b, &fb), VX_OK);
    assert_int_equal(vx__cert_from_b64(c, &fc), VX_OK);
    endpoint_baseline(w, a);
    cycle(w, with_sbc(VX_OK, c)); /* a renewal with the same key */
    uint64_t t = w->now;
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_CERT_CHANGED);
    assert_int_equal(e->severity, VX__SEV_WARNING);
    assert_string_equal(e->server, SBC);
    assert_string_equal(e->name, "sbc1.example.com");
    assert_int_equal(e->old_count, 2);
    assert_int_equal(e->new_count, 2);
    char want[100];
    snprintf(want, sizeof want, "sha256=%s", fa.sha256);
    assert_string_equal(e->old_data[0], want);
    snprintf(want, sizeof want, "sha256=%s", fc.sha256);
    assert_string_equal(e->new_data[0], want);
    snprintf(want, sizeof want, "spki-sha256=%s", fc.spki_sha256);
    assert_string_equal(e->new_data[1], want);
    fx_contains(e->message, "port 5061 TLS");
    fx_contains(e->message, "the same key");
    fx_contains(e->message, "CN=sbc1.example.com");
    cycle(w, with_sbc(VX_OK, c));
    assert_int_equal(w->ev.count, 0);
    cycle(w, with_sbc(VX_OK, NULL)); /* handshake failed: unknown, the change stays open */
    assert_int_equal(w->ev.count, 1);
    the_event(w, VX__EV_SIP_TARGET_DOWN);
    assert_non_null(vx__conditions_get(&w->open, "cert|" SBC "|5061|tls"));
    cycle(w, with_sbc(VX_OK, b)); /* a third certificate, with another key */
    assert_int_equal(w->ev.count, 2);
    the_event(w, VX__EV_SIP_TARGET_RECOVERED);
    e = the_event(w, VX__EV_CERT_CHANGED);
    assert_int_equal(e->first_seen_ms, t);
    snprintf(want, sizeof want, "sha256=%s", fc.sha256);
    assert_string_equal(e->old_data[0], want);
    snprintf(want, sizeof want, "sha256=%s", fb.sha256);
    assert_string_equal(e->new_data[0], want);
    fx_contains(e->message, "another key");
    cycle(w, with_sbc(VX_OK, a));
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_string_equal(e->server, SBC);
    assert_int_equal(e->first_seen_ms, t);
    fx_contains(e->message, "baseline's certificate again");
    assert_int_equal(w->open.count, 0);
    vx__cert_clear(&fa);
    vx__cert_clear(&fb);
    vx__cert_clear(&fc);
    free(a);
    free(b);
    free(c);
}

/* A renewal the operator accepts (a new baseline with it) closes the condition silently. */
static void test_cert_accepted_closes_silently(void **state)
{
    world *w = *state;
    char *a = cf_b64("sbc1.example.com", "URI:sip:example.com", -3600, 86400 * 90);
    char *b = leaf_with_new_key("sbc1.example.com");
    endpoint_baseline(w, a);
    cycle(w, with_sbc(VX_OK, b));
    assert_int_equal(w->ev.count, 1);
    endpoint_baseline(w, b);
    cycle(w, with_sbc(VX_OK, b));
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 0);
    free(a);
    free(b);
}

/* ---- servers --------------------------------------------------------------------------------- */

static void test_down_then_recovered(void **state)
{
    world *w = *state;
    vx__snapshot *s = fx_healthy();
    fx_kill(s, "198.51.100.1");
    cycle(w, s);
    uint64_t t = w->now;
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_NS_DOWN);
    assert_int_equal(e->severity, VX__SEV_ERROR);
    assert_string_equal(e->server, NS2);
    assert_null(e->name);
    fx_contains(e->message, "timed out");
    s = fx_healthy();
    fx_kill(s, "198.51.100.1");
    cycle(w, s);
    assert_int_equal(w->ev.count, 0);
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_NS_RECOVERED);
    assert_int_equal(e->severity, VX__SEV_NOTICE);
    assert_string_equal(e->server, NS2);
    assert_int_equal(e->first_seen_ms, t);
    assert_int_equal(e->last_seen_ms, w->now);
    /* Down at the first cycle (nothing known before it) and t+5 min, up now: only a lower
     * bound is honest. */
    fx_contains(e->message, "outage of at least 5 min");
    assert_null(strstr(e->message, "at most"));
    assert_int_equal(w->open.count, 0);
}

/* Silence is not a revert: a hijacked server that goes dark keeps its change open. */
static void test_dead_server_keeps_change_open(void **state)
{
    world *w = *state;
    cycle(w, sip1_on_ns1("203.0.113.66", 3600));
    vx__snapshot *s = fx_healthy();
    fx_kill(s, "192.0.2.1");
    cycle(w, s);
    assert_int_equal(w->ev.count, 1);
    assert_string_equal(the_event(w, VX__EV_NS_DOWN)->server, NS1);
    assert_non_null(vx__conditions_get(&w->open, "record|" NS1 "|" SIP1 "|A"));
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 2);
    the_event(w, VX__EV_NS_RECOVERED);
    the_event(w, VX__EV_CHANGE_REVERTED);
    assert_int_equal(w->open.count, 0);
}

static vx__snapshot *serials(uint32_t lagging, uint32_t others)
{
    char a[160], b[160];
    snprintf(a, sizeof a,
             "example.com. 3600 IN SOA ns1.dns-a.net. hostmaster.example.com. %u 7200 3600 "
             "1209600 3600",
             lagging);
    snprintf(b, sizeof b,
             "example.com. 3600 IN SOA ns1.dns-a.net. hostmaster.example.com. %u 7200 3600 "
             "1209600 3600",
             others);
    const char *add_a[] = {a, NULL}, *add_b[] = {b, NULL};
    const char **za = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, add_a);
    const char **zb = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, add_b);
    const char *const *zones[] = {zb, zb, za, zb}; /* ns2/198.51.100.1 lags */
    vx__snapshot *s = fx_healthy_zones("generic", zones);
    fx_zone_free(za);
    fx_zone_free(zb);
    return s;
}

static void test_serial_lag(void **state)
{
    world *w = *state;
    cycle(w, serials(2024010101, 2024010102));
    uint64_t t = w->now;
    assert_int_equal(w->ev.count, 1);
    const vx__event *e = the_event(w, VX__EV_SERIAL_LAG);
    assert_int_equal(e->severity, VX__SEV_WARNING);
    assert_string_equal(e->server, NS2);
    assert_int_equal(e->rrtype, LDNS_RR_TYPE_SOA);
    fx_contains(e->old_data[0], "2024010101");
    fx_contains(e->new_data[0], "2024010102");
    cycle(w, serials(2024010101, 2024010103)); /* still behind */
    assert_int_equal(w->ev.count, 0);
    cycle(w, serials(2024010103, 2024010103));
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_SERIAL_LAG);
    assert_int_equal(e->severity, VX__SEV_NOTICE);
    assert_int_equal(e->first_seen_ms, t);
    assert_int_equal(e->last_seen_ms, w->now);
    fx_contains(e->message, "caught up");
    fx_contains(e->message, "10 min");
    assert_int_equal(w->open.count, 0);
}

/* Dual primaries: provider B (both ns2 addresses) numbers its own serials. Compared across
 * all, both of B's addresses lag; compared within each provider, nothing does, until one of
 * B's addresses falls behind the other. */
static void test_serial_lag_within_providers(void **state)
{
    world *w = *state;
    static const char *const providers[] = {"dns-a.net", "dns-a.net", "dns-b.org", "dns-b.org"};
    char a[160];
    snprintf(a, sizeof a,
             "example.com. 3600 IN SOA ns2.dns-b.org. hostmaster.example.com. 1700000000 7200 "
             "3600 1209600 3600");
    const char *add[] = {a, NULL};
    const char **zb = fx_zone_edit(FX_ZONE, FX_D, LDNS_RR_TYPE_SOA, add);
    const char *const *zones[] = {FX_ZONE, FX_ZONE, zb, zb};
    cycle(w, fx_healthy_zones("generic", zones));
    assert_int_equal(w->ev.count, 2); /* 1700000000 < 2024010101: both of B's "lag" */
    w->server_provider = providers;
    cycle(w, fx_healthy_zones("generic", zones));
    assert_int_equal(w->ev.count, 2); /* both caught up: closing notices */
    for (size_t i = 0; i < 2; i++)
        assert_true(w->ev.items[i].type == VX__EV_SERIAL_LAG &&
                    w->ev.items[i].severity == VX__SEV_NOTICE);
    assert_int_equal(w->open.count, 0);
    cycle(w, fx_healthy_zones("generic", zones));
    assert_int_equal(w->ev.count, 0);
    const char *const *lagging[] = {FX_ZONE, FX_ZONE, zb, FX_ZONE};
    /* ns2's IPv6 address now serves A's serial: within B, 198.51.100.1 is behind it. */
    cycle(w, fx_healthy_zones("generic", lagging));
    assert_int_equal(w->ev.count, 1);
    assert_string_equal(the_event(w, VX__EV_SERIAL_LAG)->server, NS2);
    fx_zone_free(zb);
}

static void test_serial_lag_threshold_and_wrap(void **state)
{
    world *w = *state;
    w->cfg.serial_lag_ms = 10 * 60 * 1000;
    /* RFC 1982: 5 follows 4294967295. */
    cycle(w, serials(4294967295u, 5));
    uint64_t t = w->now;
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 1); /* watched, not yet announced */
    cycle(w, serials(4294967295u, 5));
    assert_int_equal(w->ev.count, 0);
    cycle(w, serials(4294967295u, 5));
    const vx__event *e = the_event(w, VX__EV_SERIAL_LAG);
    assert_int_equal(e->first_seen_ms, t);
    fx_contains(e->message, "10 min");
    cycle(w, serials(4294967295u, 5));
    assert_int_equal(w->ev.count, 0);
    /* A lag shorter than the threshold ends without a word. */
    cycle(w, serials(5, 5));
    assert_int_equal(the_event(w, VX__EV_SERIAL_LAG)->severity, VX__SEV_NOTICE);
    cycle(w, serials(5, 6));
    cycle(w, serials(6, 6));
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 0);
}

/* ---- propagation ---------------------------------------------------------------------------- */

/* A NOTIFY of 2024010102 four minutes before the first cycle that sees ns2 lag: SERIAL-LAG and
 * the lag it reports start at the NOTIFY; PROPAGATION-SLOW opens once the timing calls ns2 slow
 * (first seen at the NOTIFY, announced once) and closes with the measured time when it serves
 * the serial. */
static void test_propagation_slow(void **state)
{
    world *w = *state;
    uint64_t notify = w->now + CYCLE_MS - 4 * 60 * 1000;
    vx__diff_prop p[2] = {{.server = "ns1.dns-a.net/192.0.2.1",
                           .provider = "dns-a.net",
                           .serial = 2024010102,
                           .origin_ms = notify,
                           .notify = true,
                           .served_ms = notify + 300},
                          {.server = NS2,
                           .provider = "dns-b.org",
                           .serial = 2024010102,
                           .origin_ms = notify,
                           .notify = true}};
    w->propagation = p;
    w->propagation_count = 2;
    cycle(w, serials(2024010101, 2024010102));
    const vx__event *e = the_event(w, VX__EV_SERIAL_LAG);
    assert_int_equal(e->first_seen_ms, notify);
    fx_contains(e->message, "for 4 min");
    assert_int_equal(w->ev.count, 1); /* not slow yet */
    p[1].slow = true;
    cycle(w, serials(2024010101, 2024010102));
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_PROPAGATION_SLOW);
    assert_int_equal(e->severity, VX__SEV_WARNING);
    assert_string_equal(e->server, NS2);
    assert_int_equal(e->first_seen_ms, notify);
    fx_contains(e->message, "(provider dns-b.org) has not served SOA serial 2024010102 9 min");
    fx_contains(e->message, "after the NOTIFY");
    cycle(w, serials(2024010101, 2024010102));
    assert_int_equal(w->ev.count, 0);   /* announced once */
    assert_int_equal(w->open.count, 2); /* lag and propslow */
    p[1].served_ms = notify + 16 * 60 * 1000;
    cycle(w, serials(2024010102, 2024010102));
    assert_int_equal(w->ev.count, 2); /* SERIAL-LAG and PROPAGATION-SLOW close */
    e = the_event(w, VX__EV_PROPAGATION_SLOW);
    assert_int_equal(e->severity, VX__SEV_NOTICE);
    assert_int_equal(e->first_seen_ms, notify);
    assert_int_equal(e->last_seen_ms, w->now);
    fx_contains(e->message, "serves SOA serial 2024010102, 16 min after the NOTIFY");
    fx_contains(the_event(w, VX__EV_SERIAL_LAG)->message, "after 19 min");
    assert_int_equal(w->open.count, 0);
    cycle(w, serials(2024010102, 2024010102));
    assert_int_equal(w->ev.count, 0);
}

/* A newer serial restarts the timing: an open PROPAGATION-SLOW stays (no event) while the
 * address is behind and not yet slow again, and while no timing is given at all. */
static void test_propagation_restarted(void **state)
{
    world *w = *state;
    vx__diff_prop p = {.server = NS2,
                       .provider = "dns-b.org",
                       .serial = 2024010102,
                       .origin_ms = w->now,
                       .slow = true};
    w->propagation = &p;
    w->propagation_count = 1;
    cycle(w, serials(2024010101, 2024010102));
    fx_contains(the_event(w, VX__EV_PROPAGATION_SLOW)->message, "after the cycle that first saw");
    p = (vx__diff_prop){.server = NS2,
                        .provider = "dns-b.org",
                        .serial = 2024010103,
                        .origin_ms = w->now,
                        .notify = true};
    cycle(w, serials(2024010101, 2024010103));
    assert_int_equal(w->ev.count, 0);
    assert_non_null(vx__conditions_get(&w->open, "propslow|" NS2));
    w->propagation_count = 0;
    cycle(w, serials(2024010101, 2024010103)); /* no timing: the condition is kept */
    assert_non_null(vx__conditions_get(&w->open, "propslow|" NS2));
}

/* ---- resolvers ----------------------------------------------------------------------------- */

static vx__snapshot *resolver_answers(const char *sip1_addr)
{
    vx__snapshot *rs = fx_new(FX_D, "generic");
    vx__observation *o =
        fx_obs(rs, VX__PROBE_RESOLVE, "", "192.0.2.99", VX__UDP, SIP1, LDNS_RR_TYPE_A);
    o->flags = VX__FLAG_QR | VX__FLAG_RA;
    char line[96];
    snprintf(line, sizeof line, "sip1.example.com. 1234 IN A %s", sip1_addr);
    fx_add(o, VX__SECTION_ANSWER, line);
    return rs;
}

static void resolver_cycle(world *w, int status, const char *sip1_addr)
{
    vx__snapshot *rs = resolver_answers(sip1_addr ? sip1_addr : "192.0.2.10");
    vx__resolver_obs r = {.label = "office-resolver",
                          .status = status,
                          .obs = status == VX_OK ? rs->obs : NULL,
                          .obs_count = status == VX_OK ? rs->obs_count : 0};
    w->resolvers = &r;
    w->resolver_count = 1;
    cycle(w, fx_healthy());
    w->resolvers = NULL;
    w->resolver_count = 0;
    fx_free(rs);
}

static void test_resolver_down_and_mismatch(void **state)
{
    world *w = *state;
    resolver_cycle(w, VX_OK, "192.0.2.10"); /* TTL differs: caches count down, not compared */
    assert_int_equal(w->ev.count, 0);
    resolver_cycle(w, VX_ETIMEDOUT, NULL);
    const vx__event *e = the_event(w, VX__EV_RESOLVER_DOWN);
    assert_int_equal(e->severity, VX__SEV_ERROR);
    assert_string_equal(e->server, "office-resolver");
    resolver_cycle(w, VX_ETIMEDOUT, NULL);
    assert_int_equal(w->ev.count, 0);
    resolver_cycle(w, VX_OK, "203.0.113.66");
    assert_int_equal(w->ev.count, 2);
    e = the_event(w, VX__EV_NS_RECOVERED);
    assert_string_equal(e->server, "office-resolver");
    fx_contains(e->message, "resolver");
    e = the_event(w, VX__EV_RESOLVER_MISMATCH);
    assert_int_equal(e->severity, VX__SEV_ERROR);
    assert_string_equal(e->name, "sip1.example.com");
    assert_data(e->old_data, e->old_count, "192.0.2.10");
    assert_data(e->new_data, e->new_count, "203.0.113.66");
    assert_non_null(vx__conditions_get(&w->open, "resolver-mismatch|office-resolver|" SIP1 "|A"));
    resolver_cycle(w, VX_OK, "203.0.113.66");
    assert_int_equal(w->ev.count, 0);
    resolver_cycle(w, VX_OK, "192.0.2.10");
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_string_equal(e->server, "office-resolver");
    assert_data(e->old_data, e->old_count, "203.0.113.66");
    assert_int_equal(w->open.count, 0);
    /* A resolver no longer watched: its conditions go without events. */
    resolver_cycle(w, VX_ETIMEDOUT, NULL);
    assert_int_equal(w->open.count, 1);
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 0);
}

/* ---- findings ------------------------------------------------------------------------------ */

static void add_slow(vx__findings *f)
{
    vx__finding *x = vx__finding_add(f, "NS-SLOW", "median RTT of %s is 812 ms", NS2);
    assert_non_null(x);
    assert_int_equal(vx__finding_add_server(x, NS2), VX_OK);
}

static void test_findings_appear_and_clear(void **state)
{
    world *w = *state;
    add_slow(&w->findings);
    vx__finding *x = vx__finding_add(&w->findings, "TTL-TOO-SHORT", "sip1 has a TTL of 60 s");
    assert_non_null(x);
    assert_int_equal(vx__finding_add_name(x, "sip1.example.com. A"), VX_OK);
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 2);
    const vx__event *e = &w->ev.items[0];
    assert_int_equal(e->type, VX__EV_FINDING_APPEARED);
    assert_int_equal(e->severity, VX__SEV_WARNING);
    assert_string_equal(e->check, "NS-SLOW");
    assert_string_equal(e->server, NS2);
    fx_contains(e->message, "812 ms");
    e = &w->ev.items[1];
    assert_string_equal(e->name, "sip1.example.com");
    assert_int_equal(e->rrtype, LDNS_RR_TYPE_A);
    uint64_t t = w->now;
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 0);
    vx__findings_clear(&w->findings);
    add_slow(&w->findings);
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 1);
    e = the_event(w, VX__EV_FINDING_CLEARED);
    assert_int_equal(e->severity, VX__SEV_NOTICE);
    assert_string_equal(e->check, "TTL-TOO-SHORT");
    assert_string_equal(e->name, "sip1.example.com");
    assert_int_equal(e->first_seen_ms, t);
    assert_int_equal(w->open.count, 1);
    vx__findings_clear(&w->findings);
    cycle(w, fx_healthy());
    assert_string_equal(the_event(w, VX__EV_FINDING_CLEARED)->check, "NS-SLOW");
    assert_int_equal(w->open.count, 0);
}

/* A finding over servers given as labels in order (NULL-terminated) and one name per names. */
static void add_finding(vx__findings *f, const char *check, const char *const *labels,
                        const char *const *names)
{
    vx__finding *x = vx__finding_add(f, check, "%s", "message");
    assert_non_null(x);
    for (size_t i = 0; labels && labels[i]; i++)
        assert_int_equal(vx__finding_add_server(x, labels[i]), VX_OK);
    for (size_t i = 0; names && names[i]; i++)
        assert_int_equal(vx__finding_add_name(x, names[i]), VX_OK);
}

static void key_of(const char *check, const char *const *labels, const char *const *names,
                   char *out, size_t cap)
{
    vx__findings f = {0};
    add_finding(&f, check, labels, names);
    assert_int_equal(vx__diff_finding_key(&f.items[0], out, cap), VX_OK);
    vx__findings_clear(&f);
}

/* The identity is the set of addresses, in one order, each once, and the set of names. */
static void test_finding_identity(void **state)
{
    (void)state;
    char a[512], b[512];
    const char *one[] = {"shared.faultprov.net/198.18.59.1", "ns9.example.org/2001:db8::9", NULL};
    const char *two[] = {"ns9.example.org/2001:db8::9", "shared.faultprov.org/198.18.59.1", NULL};
    const char *names1[] = {"b.example.com", "a.example.com", NULL};
    const char *names2[] = {"a.example.com", "b.example.com", NULL};
    key_of("NS-SINGLE-PREFIX", one, names1, a, sizeof a);
    key_of("NS-SINGLE-PREFIX", two, names2, b, sizeof b);
    assert_string_equal(a, b);
    assert_string_equal(a, "finding|NS-SINGLE-PREFIX|198.18.59.1,2001:db8::9|a.example.com,"
                           "b.example.com");
    /* One address under two names is one server. */
    const char *twice[] = {"shared.faultprov.net/198.18.59.1", "shared.faultprov.org/198.18.59.1",
                           NULL};
    key_of("NS-COUNT-LOW", twice, NULL, a, sizeof a);
    assert_string_equal(a, "finding|NS-COUNT-LOW|198.18.59.1|");
    /* Other addresses, another check or other names: another finding. */
    const char *other[] = {"shared.faultprov.net/198.18.59.2", "ns9.example.org/2001:db8::9", NULL};
    key_of("NS-SINGLE-PREFIX", other, names1, b, sizeof b);
    assert_string_not_equal(b, "finding|NS-SINGLE-PREFIX|198.18.59.1,2001:db8::9|a.example.com,"
                               "b.example.com");
    key_of("NS-SINGLE-TLD", one, names1, b, sizeof b);
    assert_string_equal(b, "finding|NS-SINGLE-TLD|198.18.59.1,2001:db8::9|a.example.com,"
                           "b.example.com");
    key_of("NS-SINGLE-PREFIX", one, NULL, b, sizeof b);
    assert_string_equal(b, "finding|NS-SINGLE-PREFIX|198.18.59.1,2001:db8::9|");
    /* Too long for the buffer: refused, not cut. */
    assert_int_equal(vx__diff_finding_key(&(vx__finding){.check = "X"}, a, 4), VX_ELIMIT);
}

/* Cycle after cycle (and restart after restart) the labels change, the finding does not. */
static void test_relabelled_finding_is_the_same(void **state)
{
    world *w = *state;
    const char *net[] = {"shared.faultprov.net/198.18.59.1", NULL};
    const char *org[] = {"shared.faultprov.org/198.18.59.1", NULL};
    add_finding(&w->findings, "NS-SINGLE-PREFIX", net, NULL);
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 1);
    for (int i = 0; i < 4; i++) {
        vx__findings_clear(&w->findings);
        add_finding(&w->findings, "NS-SINGLE-PREFIX", i % 2 ? net : org, NULL);
        cycle(w, fx_healthy());
        assert_int_equal(w->ev.count, 0);
        assert_int_equal(w->open.count, 1);
    }
}

/* ---- persistence ---------------------------------------------------------------------------- */

/* What the store does: conditions copied out one by one and read back before the next cycle. */
static void reload(world *w)
{
    vx__conditions copy = {0};
    for (size_t i = 0; i < w->open.count; i++)
        assert_int_equal(vx__conditions_put(&copy, &w->open.items[i]), VX_OK);
    for (size_t i = 0; i < w->open.count; i++) {
        const vx__condition *a = &w->open.items[i];
        const vx__condition *b = vx__conditions_get(&copy, a->key);
        assert_non_null(b);
        assert_int_equal(a->opened_by, b->opened_by);
        assert_int_equal(a->first_seen_ms, b->first_seen_ms);
        assert_int_equal(a->last_seen_ms, b->last_seen_ms);
        assert_string_equal(a->detail, b->detail);
    }
    vx__conditions_clear(&w->open);
    w->open = copy;
}

static void test_restart_repeats_nothing(void **state)
{
    world *w = *state;
    add_slow(&w->findings);
    vx__snapshot *s = sip1_on_ns1("203.0.113.66", 3600);
    fx_kill(s, "198.51.100.1");
    cycle(w, s);
    assert_int_equal(w->ev.count, 3);
    size_t open = w->open.count;
    /* The daemon restarts (even after kill -9): the same cycle again from the stored state. */
    for (int i = 0; i < 3; i++) {
        reload(w);
        s = sip1_on_ns1("203.0.113.66", 3600);
        fx_kill(s, "198.51.100.1");
        cycle(w, s);
        assert_int_equal(w->ev.count, 0);
        assert_int_equal(w->open.count, open);
    }
    reload(w);
    vx__findings_clear(&w->findings);
    cycle(w, fx_healthy());
    assert_int_equal(w->ev.count, 3);
    the_event(w, VX__EV_CHANGE_REVERTED);
    the_event(w, VX__EV_NS_RECOVERED);
    the_event(w, VX__EV_FINDING_CLEARED);
    assert_int_equal(w->open.count, 0);
}

static void test_bad_input(void **state)
{
    world *w = *state;
    vx__diff_input in = {.baseline = w->baseline, .current = NULL, .now_ms = T0};
    assert_int_equal(vx__diff_cycle(&in, &w->open, &w->ev), VX_EINVAL);
    /* No baseline yet, no config: only liveness is judged. */
    vx__snapshot *s = fx_healthy();
    fx_kill(s, "192.0.2.1");
    in.baseline = NULL;
    in.current = s;
    assert_int_equal(vx__diff_cycle(&in, &w->open, &w->ev), VX_OK);
    assert_int_equal(w->ev.count, 1);
    assert_int_equal(w->ev.items[0].type, VX__EV_NS_DOWN);
    fx_free(s);
}

/* ---- alternate domains --------------------------------------------------------------------- */

/* example.com with its alternate example.net, whose sip1 server 0 answers with sip1_addr. */
static vx__snapshot *with_alt(const char *sip1_addr)
{
    static const char *const alt_zone[] = {
        "example.net. 3600 IN SOA ns1.dns-a.net. h.example.net. 1 7200 900 1209600 300",
        "example.net. 3600 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.net.",
        "sip1.example.net. 3600 IN A 192.0.2.20", NULL};
    char line[128];
    snprintf(line, sizeof line, "sip1.example.net. 3600 IN A %s", sip1_addr);
    const char *add[] = {line, NULL};
    const char **edited_zone = fx_zone_edit(alt_zone, "sip1.example.net.", LDNS_RR_TYPE_A, add);
    vx__snapshot *s = fx_healthy(), *alt = fx_new("example.net.", "generic");
    for (size_t i = 0; i < FX_SERVER_COUNT; i++) {
        fx_server(alt, FX_SERVERS[i][0], FX_SERVERS[i][1]);
        const char *const *zone = i == 0 ? edited_zone : alt_zone;
        fx_data(alt, i, VX__UDP, "example.net.", LDNS_RR_TYPE_SOA, zone);
        fx_data(alt, i, VX__UDP, "example.net.", LDNS_RR_TYPE_NAPTR, zone);
        fx_data(alt, i, VX__UDP, "sip1.example.net.", LDNS_RR_TYPE_A, zone);
    }
    fx_zone_free(edited_zone);
    assert_int_equal(vx__snapshot_add_alt(s, alt), VX_OK);
    return s;
}

static void test_alternate_domain_changed_then_reverted(void **state)
{
    world *w = *state;
    fx_free(w->baseline);
    w->baseline = with_alt("192.0.2.20");
    cycle(w, with_alt("192.0.2.20"));
    assert_int_equal(w->ev.count, 0);
    cycle(w, with_alt("203.0.113.99"));
    const vx__event *e = the_event(w, VX__EV_RECORD_CHANGED);
    assert_int_equal(w->ev.count, 1);
    assert_string_equal(e->domain, "example.com"); /* the monitored domain */
    assert_string_equal(e->server, NS1);
    assert_string_equal(e->name, "sip1.example.net");
    assert_data(e->old_data, e->old_count, "192.0.2.20");
    assert_data(e->new_data, e->new_count, "203.0.113.99");
    assert_non_null(vx__conditions_get(&w->open, "record|" NS1 "|sip1.example.net.|A"));
    cycle(w, with_alt("203.0.113.99"));
    assert_int_equal(w->ev.count, 0);
    cycle(w, with_alt("192.0.2.20"));
    e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_string_equal(e->name, "sip1.example.net");
    assert_int_equal(w->open.count, 0);
    /* A baseline from before the alternate domain was configured: no basis, no event. */
    fx_free(w->baseline);
    w->baseline = fx_healthy();
    cycle(w, with_alt("203.0.113.99"));
    assert_int_equal(w->ev.count, 0);
}

/* ---- the hijack surface -------------------------------------------------------------------- */

#define PARENT "a.gtld-servers.net/203.0.113.53"
#define DS_LINE                                                                                    \
    "example.com. 86400 IN DS 12345 13 2 "                                                         \
    "3B5A6C7D8E9F00112233445566778899AABBCCDDEEFF00112233445566778899"

/* Every server also asked CAA at the apex and the apex's ACME challenge, answered from the
 * healthy zone plus extra lines (NULL-terminated, or NULL). */
static vx__snapshot *with_certs(vx__snapshot *s, const char *const *extra)
{
    const char **z = fx_zone_edit(FX_ZONE, NULL, 0, extra);
    for (size_t i = 0; i < s->server_count; i++) {
        fx_data(s, i, VX__UDP, FX_D, LDNS_RR_TYPE_CAA, z);
        fx_data(s, i, VX__UDP, "_acme-challenge." FX_D, LDNS_RR_TYPE_TXT, z);
    }
    fx_zone_free(z);
    return s;
}

/* The parent's answers: the referral's NS lines (and glue) and the DS RRset (NULL: none). */
static vx__snapshot *with_parent(vx__snapshot *s, const char *const *referral, const char *ds)
{
    vx__observation *o =
        fx_find(s, "203.0.113.53", VX__PROBE_PARENT, VX__UDP, FX_D, LDNS_RR_TYPE_NS);
    fx_obs_clear_sections(o);
    for (size_t i = 0; referral[i]; i++)
        fx_add(o, strstr(referral[i], " NS ") ? VX__SECTION_AUTHORITY : VX__SECTION_ADDITIONAL,
               referral[i]);
    o = fx_find(s, "203.0.113.53", VX__PROBE_DS, VX__UDP, FX_D, LDNS_RR_TYPE_DS);
    if (ds) {
        fx_obs_clear_sections(o);
        fx_add(o, VX__SECTION_ANSWER, ds);
    }
    return s;
}

static void test_delegation_changed_then_reverted(void **state)
{
    world *w = *state;
    static const char *const hijacked[] = {"example.com. 172800 IN NS ns1.attacker.example.",
                                           "ns1.attacker.example. 172800 IN A 203.0.113.66", NULL};
    cycle(w, fx_healthy());
    cycle(w, with_parent(fx_healthy(), hijacked, NULL));
    const vx__event *e = the_event(w, VX__EV_DELEGATION_CHANGED);
    assert_int_equal(w->ev.count, 1);
    assert_int_equal(e->severity, VX__SEV_CRITICAL);
    assert_string_equal(e->server, PARENT);
    assert_string_equal(e->name, "example.com");
    assert_int_equal(e->rrtype, LDNS_RR_TYPE_NS);
    assert_int_equal(e->old_count, 2);
    assert_string_equal(e->old_data[0], "ns1.dns-a.net.");
    assert_string_equal(e->old_data[1], "ns2.dns-b.org.");
    assert_int_equal(e->new_count, 2);
    assert_string_equal(e->new_data[0], "ns1.attacker.example.");
    assert_string_equal(e->new_data[1], "ns1.attacker.example. A 203.0.113.66");
    assert_non_null(vx__conditions_get(&w->open, "delegation|" PARENT "|" FX_D "|NS"));
    cycle(w, fx_healthy());
    e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_int_equal(w->ev.count, 1);
    assert_string_equal(e->server, PARENT);
    assert_string_equal(e->new_data[0], "ns1.dns-a.net.");
    fx_contains(e->message, "at least 0.0 s and at most 10 min");
    assert_int_equal(w->open.count, 0);
}

static void test_ds_removed_and_changed(void **state)
{
    world *w = *state;
    static const char *const ns[] = {"example.com. 172800 IN NS ns1.dns-a.net.",
                                     "example.com. 172800 IN NS ns2.dns-b.org.", NULL};
    fx_free(w->baseline);
    w->baseline = with_parent(fx_healthy(), ns, DS_LINE);
    cycle(w, with_parent(fx_healthy(), ns, DS_LINE));
    assert_int_equal(w->ev.count, 0);
    cycle(w, fx_healthy()); /* the parent answers NODATA for DS: a downgrade */
    const vx__event *e = the_event(w, VX__EV_DS_REMOVED);
    assert_int_equal(w->ev.count, 1);
    assert_int_equal(e->severity, VX__SEV_CRITICAL);
    assert_string_equal(e->server, PARENT);
    assert_int_equal(e->rrtype, LDNS_RR_TYPE_DS);
    assert_int_equal(e->old_count, 1);
    assert_int_equal(e->new_count, 0);
    cycle(w, with_parent(fx_healthy(), ns,
                         "example.com. 86400 IN DS 54321 13 2 "
                         "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"));
    e = the_event(w, VX__EV_DS_CHANGED); /* moved on to yet another value: announced again */
    assert_int_equal(w->ev.count, 1);
    assert_int_equal(e->old_count, 0);
    assert_int_equal(e->new_count, 1);
}

static void test_caa_changed_and_acme_challenge(void **state)
{
    world *w = *state;
    static const char *const caa[] = {"example.com. 3600 IN CAA 0 issue \"letsencrypt.org\"", NULL};
    static const char *const evil[] = {"example.com. 3600 IN CAA 0 issue \"evil-ca.example\"",
                                       "_acme-challenge.example.com. 60 IN TXT \"token\"", NULL};
    fx_free(w->baseline);
    w->baseline = with_certs(fx_healthy(), caa);
    cycle(w, with_certs(fx_healthy(), caa));
    assert_int_equal(w->ev.count, 0);
    cycle(w, with_certs(fx_healthy(), evil));
    assert_int_equal(w->ev.count, 2 * FX_SERVER_COUNT); /* on every server */
    size_t caa_events = 0, acme_events = 0;
    for (size_t i = 0; i < w->ev.count; i++) {
        const vx__event *e = &w->ev.items[i];
        if (e->type == VX__EV_CAA_CHANGED) {
            caa_events++;
            assert_int_equal(e->severity, VX__SEV_WARNING);
            assert_string_equal(e->name, "example.com");
            assert_data(e->old_data, e->old_count, "0 issue \"letsencrypt.org\"");
            assert_data(e->new_data, e->new_count, "0 issue \"evil-ca.example\"");
        } else {
            acme_events++;
            assert_int_equal(e->type, VX__EV_ACME_CHALLENGE_APPEARED);
            assert_int_equal(e->severity, VX__SEV_WARNING);
            assert_string_equal(e->name, "_acme-challenge.example.com");
            assert_int_equal(e->rrtype, LDNS_RR_TYPE_TXT);
            assert_int_equal(e->old_count, 0);
            assert_data(e->new_data, e->new_count, "\"token\"");
        }
    }
    assert_int_equal(caa_events, FX_SERVER_COUNT);
    assert_int_equal(acme_events, FX_SERVER_COUNT);
}

static void test_server_removed_then_back(void **state)
{
    world *w = *state;
    cycle(w, fx_healthy());
    vx__snapshot *s = fx_healthy();
    free(s->servers[3].name); /* ns2.dns-b.org/2001:db8:b::1 left the set */
    s->server_count = 3;
    cycle(w, s);
    const vx__event *e = the_event(w, VX__EV_SERVER_REMOVED);
    assert_int_equal(w->ev.count, 1);
    assert_string_equal(e->server, "ns2.dns-b.org/2001:db8:b::1");
    assert_string_equal(e->name, "ns2.dns-b.org");
    assert_int_equal(e->rrtype, LDNS_RR_TYPE_AAAA);
    assert_data(e->old_data, e->old_count, "2001:db8:b::1");
    assert_int_equal(e->new_count, 0);
    cycle(w, fx_healthy());
    e = the_event(w, VX__EV_CHANGE_REVERTED);
    assert_int_equal(w->ev.count, 1);
    assert_string_equal(e->server, "ns2.dns-b.org/2001:db8:b::1");
    assert_int_equal(w->open.count, 0);
}

/* A name outside the domain as its own zone's server answers it. */
static vx__snapshot *with_foreign(vx__snapshot *s, const char *name, const char *line)
{
    vx__observation *o = fx_obs(s, VX__PROBE_FOREIGN, "ns1.prov.example.", "203.0.113.7", VX__UDP,
                                name, LDNS_RR_TYPE_A);
    fx_add(o, VX__SECTION_ANSWER, line);
    return s;
}

static void test_foreign_target_and_ns_address(void **state)
{
    world *w = *state;
    fx_free(w->baseline);
    w->baseline = with_foreign(
        with_foreign(fx_healthy(), "sbc.prov.example.", "sbc.prov.example. 300 IN A 198.51.100.77"),
        "ns1.dns-a.net.", "ns1.dns-a.net. 3600 IN A 192.0.2.1");
    cycle(w, with_foreign(with_foreign(fx_healthy(), "sbc.prov.example.",
                                       "sbc.prov.example. 300 IN A 198.51.100.78"),
                          "ns1.dns-a.net.", "ns1.dns-a.net. 3600 IN A 203.0.113.66"));
    assert_int_equal(w->ev.count, 2);
    const vx__event *e = the_event(w, VX__EV_RECORD_CHANGED);
    assert_string_equal(e->server, "ns1.prov.example/203.0.113.7");
    assert_string_equal(e->name, "sbc.prov.example");
    assert_data(e->old_data, e->old_count, "198.51.100.77");
    assert_data(e->new_data, e->new_count, "198.51.100.78");
    e = the_event(w, VX__EV_NS_ADDRESS_CHANGED);
    assert_int_equal(e->severity, VX__SEV_ERROR);
    assert_string_equal(e->name, "ns1.dns-a.net");
    assert_data(e->old_data, e->old_count, "192.0.2.1");
    assert_data(e->new_data, e->new_count, "203.0.113.66");
    /* The owner zone's server did not answer this cycle: unknown, kept open, not reverted. */
    vx__snapshot *s = with_foreign(
        with_foreign(fx_healthy(), "sbc.prov.example.", "sbc.prov.example. 300 IN A 198.51.100.77"),
        "ns1.dns-a.net.", "ns1.dns-a.net. 3600 IN A 192.0.2.1");
    for (size_t i = s->obs_count - 2; i < s->obs_count; i++) {
        fx_obs_clear_sections(&s->obs[i]);
        s->obs[i].status = VX_ETIMEDOUT;
    }
    cycle(w, s);
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 2);
    /* It answers as in the baseline again: both reverted. */
    cycle(w, with_foreign(with_foreign(fx_healthy(), "sbc.prov.example.",
                                       "sbc.prov.example. 300 IN A 198.51.100.77"),
                          "ns1.dns-a.net.", "ns1.dns-a.net. 3600 IN A 192.0.2.1"));
    assert_int_equal(w->ev.count, 2);
    assert_int_equal(w->ev.items[0].type, VX__EV_CHANGE_REVERTED);
    assert_int_equal(w->ev.items[1].type, VX__EV_CHANGE_REVERTED);
    assert_int_equal(w->open.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nothing_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_then_reverted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_for_one_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_added_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ttl_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_third_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_server_uses_consensus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_baseline_closes_silently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_then_recovered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delegation_changed_then_reverted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ds_removed_and_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caa_changed_and_acme_challenge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_removed_then_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_target_and_ns_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sip_target_down_then_recovered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sip_target_unknown_and_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cert_changed_then_reverted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cert_accepted_closes_silently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_server_keeps_change_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_lag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_lag_within_providers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_lag_threshold_and_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_propagation_slow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_propagation_restarted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolver_down_and_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_findings_appear_and_clear, setup, teardown),
        cmocka_unit_test(test_finding_identity),
        cmocka_unit_test_setup_teardown(test_relabelled_finding_is_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_repeats_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alternate_domain_changed_then_reverted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
