/*
 * tests/unit/test_check_endpoints.c — the endpoint checks (check/endpoints.c) on the healthy
 * fixture (NAPTR → _sips._tcp/_sip._tcp/_sip._udp → sip1 192.0.2.10, sip2 198.51.100.10) with
 * endpoint observations: all answering is clean, and each fault gives its one finding naming
 * the tuple; a snapshot without endpoints gives none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cert_fixture.h"
#include "check_fixture.h"

#define NOW 1700000000L
#define DAY 86400L

static const char *const ENDPOINT_IDS[] = {"SIP-OPTIONS-NO-ANSWER", "SIP-OPTIONS-ERROR",
                                           "SIP-TARGETS-ALL-DOWN",  "TLS-HANDSHAKE-FAILED",
                                           "TLS-CERT-UNTRUSTED",    "TLS-CERT-NAME-MISMATCH",
                                           "TLS-CERT-EXPIRING",     "TLS-CERT-EXPIRED"};

/* Every tuple answers 200; TLS with a certificate naming sip:example.com, verified. */
static vx__snapshot *healthy(const char *sans, time_t from, time_t to)
{
    static const char *const hosts[][2] = {{"sip1.example.com.", "192.0.2.10"},
                                           {"sip2.example.com.", "198.51.100.10"}};
    vx__snapshot *s = fx_healthy();
    char *cert = cf_b64_at("sip1.example.com", sans, from, to);
    for (int h = 0; h < 2; h++) {
        for (int t = 0; t < 3; t++) {
            vx__endpoint_obs e = {.host = (char *)hosts[h][0],
                                  .transport = (vx__ep_transport)t,
                                  .status = VX_OK,
                                  .code = 200,
                                  .rtt_ms = 3,
                                  .attempts = 1};
            socklen_t len;
            vx__addr_parse(hosts[h][1], t == VX__EP_TLS ? 5061 : 5060, &e.addr, &len);
            if (t == VX__EP_TLS) {
                e.connected = e.tls_ok = true;
                e.tls_protocol = "TLSv1.3";
                e.chain = &cert;
                e.chain_count = 1;
            }
            assert_int_equal(vx__snapshot_add_endpoint(s, &e), VX_OK);
        }
    }
    free(cert);
    return s;
}

static vx__snapshot *healthy_ok(void)
{
    return healthy("URI:sip:example.com", NOW - DAY, NOW + 90 * DAY);
}

static vx__endpoint_obs *ep(vx__snapshot *s, const char *addr, vx__ep_transport t)
{
    struct sockaddr_storage a;
    socklen_t len;
    vx__addr_parse(addr, t == VX__EP_TLS ? 5061 : 5060, &a, &len);
    for (size_t i = 0; i < s->endpoint_count; i++)
        if (s->endpoints[i].transport == t &&
            vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&s->endpoints[i].addr))
            return &s->endpoints[i];
    fail_msg("no endpoint %s", addr);
    return NULL;
}

static void fail_ep(vx__endpoint_obs *e, int status, const char *why)
{
    e->status = status;
    e->code = 0;
    free(e->error);
    e->error = strdup(why);
}

/* Exactly the given endpoint ids fire (each with the count given). */
static void expect_only(const vx__findings *f, const char *id, size_t n)
{
    for (size_t i = 0; i < sizeof ENDPOINT_IDS / sizeof ENDPOINT_IDS[0]; i++)
        assert_int_equal(fx_count(f, ENDPOINT_IDS[i]),
                         id && strcmp(ENDPOINT_IDS[i], id) == 0 ? n : 0);
}

static const char *first_of(const vx__findings *f, const char *id)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->items[i].check, id) == 0)
            return f->items[i].message;
    fail_msg("%s not found", id);
    return "";
}

static void test_all_answering_is_clean(void **state)
{
    (void)state;
    vx__snapshot *s = healthy_ok();
    vx__findings f = fx_run_generic(s);
    expect_only(&f, NULL, 0);
    vx__findings_clear(&f);
    /* without endpoint observations nothing is judged, not even "all down" */
    s->endpoints_probed = false;
    f = fx_run_generic(s);
    expect_only(&f, NULL, 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_no_answer_and_error(void **state)
{
    (void)state;
    vx__snapshot *s = healthy_ok();
    fail_ep(ep(s, "198.51.100.10", VX__EP_UDP), VX_ETIMEDOUT, "no answer within 3000 ms");
    ep(s, "192.0.2.10", VX__EP_TCP)->code = 503;
    vx__findings f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "SIP-OPTIONS-NO-ANSWER");
    fx_contains(x->message, "sip2.example.com (198.51.100.10, port 5060, UDP) gave no answer to "
                            "OPTIONS: no answer within 3000 ms");
    assert_true(fx_has_server(x, "sip2.example.com/198.51.100.10"));
    x = fx_one(&f, "SIP-OPTIONS-ERROR");
    fx_contains(x->message,
                "sip1.example.com (192.0.2.10, port 5060, TCP) answers OPTIONS with 503");
    assert_int_equal(fx_count(&f, "SIP-TARGETS-ALL-DOWN"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_all_down(void **state)
{
    (void)state;
    vx__snapshot *s = healthy_ok();
    for (size_t i = 0; i < s->endpoint_count; i++) {
        fail_ep(&s->endpoints[i], VX_ETIMEDOUT, "silent");
        s->endpoints[i].tls_ok = false;
        s->endpoints[i].connected = false;
    }
    vx__findings f = fx_run_generic(s);
    fx_contains(fx_one(&f, "SIP-TARGETS-ALL-DOWN")->message, "6 target tuples, none answered");
    assert_int_equal(fx_count(&f, "SIP-OPTIONS-NO-ANSWER"), 6);
    assert_int_equal(fx_count(&f, "TLS-HANDSHAKE-FAILED"), 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_handshake_failed(void **state)
{
    (void)state;
    vx__snapshot *s = healthy_ok();
    vx__endpoint_obs *e = ep(s, "192.0.2.10", VX__EP_TLS);
    fail_ep(e, VX_EREFUSED, "connection refused");
    e->connected = e->tls_ok = false;
    e = ep(s, "198.51.100.10", VX__EP_TLS);
    fail_ep(e, VX_ETIMEDOUT, "TLS handshake did not complete within 3000 ms");
    e->tls_ok = false; /* connected, then stalled */
    vx__findings f = fx_run_generic(s);
    expect_only(&f, "TLS-HANDSHAKE-FAILED", 2);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_untrusted(void **state)
{
    (void)state;
    vx__snapshot *s = healthy_ok();
    vx__endpoint_obs *e = ep(s, "192.0.2.10", VX__EP_TLS);
    e->verify = 18;
    e->verify_error = strdup("self-signed certificate");
    vx__findings f = fx_run_generic(s);
    expect_only(&f, "TLS-CERT-UNTRUSTED", 1);
    fx_contains(fx_one(&f, "TLS-CERT-UNTRUSTED")->message, "self-signed certificate; issuer ");
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_name_mismatch_says_what_is_named(void **state)
{
    (void)state;
    vx__snapshot *s = healthy("DNS:*.example.com,DNS:sip1.example.com", NOW - DAY, NOW + 90 * DAY);
    vx__findings f = fx_run_generic(s);
    expect_only(&f, "TLS-CERT-NAME-MISMATCH", 2);
    fx_contains(first_of(&f, "TLS-CERT-NAME-MISMATCH"),
                "names SAN DNS *.example.com, SAN DNS sip1.example.com, not "
                "the SIP domain example.com");
    vx__findings_clear(&f);
    fx_free(s);
    /* a dNSName equal to the domain, or the CN without SAN, is a match */
    s = healthy("DNS:example.com", NOW - DAY, NOW + 90 * DAY);
    f = fx_run_generic(s);
    expect_only(&f, NULL, 0);
    vx__findings_clear(&f);
    fx_free(s);
}

static void test_expiring_and_expired(void **state)
{
    (void)state;
    vx__snapshot *s = healthy("URI:sip:example.com", NOW - DAY, NOW + 10 * DAY);
    vx__findings f = fx_run_generic(s);
    expect_only(&f, "TLS-CERT-EXPIRING", 2);
    fx_contains(first_of(&f, "TLS-CERT-EXPIRING"), "in 10 days (warned within 21)");
    vx__findings_clear(&f);
    fx_free(s);
    s = healthy("URI:sip:example.com", NOW - 90 * DAY, NOW - DAY);
    /* OpenSSL says "expired" too: the finding is TLS-CERT-EXPIRED's alone */
    ep(s, "192.0.2.10", VX__EP_TLS)->verify = 10;
    f = fx_run_generic(s);
    expect_only(&f, "TLS-CERT-EXPIRED", 2);
    fx_contains(first_of(&f, "TLS-CERT-EXPIRED"), "expired on 2023-11-13");
    vx__findings_clear(&f);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_answering_is_clean),
        cmocka_unit_test(test_no_answer_and_error),
        cmocka_unit_test(test_all_down),
        cmocka_unit_test(test_handshake_failed),
        cmocka_unit_test(test_untrusted),
        cmocka_unit_test(test_name_mismatch_says_what_is_named),
        cmocka_unit_test(test_expiring_and_expired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
