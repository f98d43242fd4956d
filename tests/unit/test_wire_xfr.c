/*
 * tests/unit/test_wire_xfr.c — wire/xfr.c: TSIG keys, the AXFR question, reading a transfer
 * (two messages, signed and unsigned, refused, wrong id, a broken signature, no opening SOA)
 * and zone files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/xfr.h"

#define ZONE "example.com."
#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="
#define SOA                                                                                        \
    "example.com. 3600 IN SOA ns1.example.net. h.example.com. 2024010101 7200 3600 "               \
    "1209600 3600"

static ldns_rr *rr(const char *text)
{
    ldns_rr *r = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&r, text, 3600, NULL, NULL), LDNS_STATUS_OK);
    return r;
}

/* One response message of the transfer with these records, signed after prev_mac when key. */
static uint8_t *message(uint16_t id, const char *const *records, const vx__tsig_key *key,
                        ldns_rdf **mac, bool first, size_t *len)
{
    ldns_pkt *p = ldns_pkt_new();
    ldns_pkt_set_id(p, id);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_aa(p, true);
    if (first) {
        ldns_rr *q = ldns_rr_new();
        ldns_rr_set_owner(q, ldns_dname_new_frm_str(ZONE));
        ldns_rr_set_type(q, LDNS_RR_TYPE_AXFR);
        ldns_rr_set_question(q, true);
        ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
    }
    for (size_t i = 0; records[i]; i++)
        ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr(records[i]));
    if (key) {
        assert_int_equal(
            ldns_pkt_tsig_sign_next(p, key->name, key->secret, 300, "hmac-sha256.", *mac, !first),
            LDNS_STATUS_OK);
        ldns_rdf_deep_free(*mac);
        *mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
    }
    uint8_t *wire = NULL;
    assert_int_equal(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
    ldns_pkt_free(p);
    return wire;
}

/* The request's MAC, as the server computes it from the query it got. */
static ldns_rdf *request_mac(const uint8_t *q, size_t qlen)
{
    ldns_pkt *p = NULL;
    assert_int_equal(ldns_wire2pkt(&p, q, qlen), LDNS_STATUS_OK);
    ldns_rdf *mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
    ldns_pkt_free(p);
    return mac;
}

static const char *const PART1[] = {SOA, "example.com. 3600 IN NS ns1.example.net.",
                                    "www.example.com. 300 IN A 192.0.2.1", NULL};
static const char *const PART2[] = {"www.example.com. 300 IN A 192.0.2.2",
                                    "office.example.com. 3600 IN TXT \"x\"", SOA, NULL};

static void test_key_parse(void **state)
{
    (void)state;
    vx__tsig_key k;
    assert_int_equal(vx__tsig_key_parse("hmac-sha512:Prov-A:" SECRET, &k), VX_OK);
    assert_string_equal(k.algorithm, "hmac-sha512");
    assert_string_equal(k.name, "prov-a.");
    assert_string_equal(k.secret, SECRET);
    assert_int_equal(vx__tsig_key_parse("key:" SECRET, &k), VX_OK);
    assert_string_equal(k.algorithm, "hmac-sha256");
    const char *bad[] = {"hmac-foo:k:" SECRET, "k:not base64!", "k:", ":" SECRET, SECRET, NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(vx__tsig_key_parse(bad[i], &k), VX_EINVAL);
}

static void transfer(const vx__tsig_key *key, bool break_sig)
{
    vx__xfr *x = NULL;
    const uint8_t *q;
    size_t qlen, len1, len2;
    assert_int_equal(vx__xfr_new(ZONE, key, &x), VX_OK);
    assert_int_equal(vx__xfr_query(x, 0x4242, &q, &qlen), VX_OK);
    ldns_rdf *mac = key ? request_mac(q, qlen) : NULL;
    uint8_t *m1 = message(0x4242, PART1, key, &mac, true, &len1);
    uint8_t *m2 = message(0x4242, PART2, key, &mac, false, &len2);
    if (break_sig)
        m2[len2 - 10] ^= 1; /* inside the MAC-adjacent fields of the TSIG */
    assert_int_equal(vx__xfr_feed(x, m1, len1), VX_OK);
    int rc = vx__xfr_feed(x, m2, len2);
    if (break_sig) {
        assert_int_equal(rc, VX_EMALFORMED);
    } else {
        assert_int_equal(rc, VX__XFR_DONE);
        vx__rrset **sets;
        size_t n;
        uint32_t serial;
        assert_int_equal(vx__xfr_take(x, &sets, &n, &serial), VX_OK);
        assert_int_equal(serial, 2024010101u);
        assert_int_equal(n, 4); /* SOA, NS, www A (two records), office TXT */
        assert_string_equal(sets[2]->owner, "www.example.com.");
        assert_int_equal(sets[2]->count, 2);
        vx__rrsets_free(sets, n);
        assert_int_equal(vx__xfr_feed(x, m2, len2), VX_EMALFORMED); /* nothing after the end */
    }
    free(m1);
    free(m2);
    ldns_rdf_deep_free(mac);
    vx__xfr_free(x);
}

static void test_unsigned_transfer(void **state)
{
    (void)state;
    transfer(NULL, false);
}

static void test_signed_transfer(void **state)
{
    (void)state;
    vx__tsig_key k;
    assert_int_equal(vx__tsig_key_parse("xfr-key:" SECRET, &k), VX_OK);
    transfer(&k, false);
    transfer(&k, true);
}

static void test_refused_and_foreign(void **state)
{
    (void)state;
    vx__xfr *x = NULL;
    const uint8_t *q;
    size_t qlen, len;
    assert_int_equal(vx__xfr_new(ZONE, NULL, &x), VX_OK);
    assert_int_equal(vx__xfr_query(x, 7, &q, &qlen), VX_OK);
    uint8_t *other = message(8, PART1, NULL, NULL, true, &len); /* wrong id */
    assert_int_equal(vx__xfr_feed(x, other, len), VX_EMALFORMED);
    free(other);
    static const char *const NO_SOA[] = {"www.example.com. 300 IN A 192.0.2.1", NULL};
    uint8_t *bad = message(7, NO_SOA, NULL, NULL, true, &len);
    assert_int_equal(vx__xfr_feed(x, bad, len), VX_EMALFORMED);
    static const char *const NONE[] = {NULL};
    uint8_t *refused = message(7, NONE, NULL, NULL, true, &len);
    refused[3] = (uint8_t)((refused[3] & 0xf0) | LDNS_RCODE_REFUSED);
    assert_int_equal(vx__xfr_feed(x, refused, len), VX_EREFUSED);
    assert_int_equal(vx__xfr_rcode(x), LDNS_RCODE_REFUSED);
    vx__rrset **sets;
    size_t n;
    uint32_t serial;
    assert_int_equal(vx__xfr_take(x, &sets, &n, &serial), VX_EINVAL);
    free(bad);
    free(refused);
    vx__xfr_free(x);
}

static void test_zone_text(void **state)
{
    (void)state;
    static const char text[] = "$ORIGIN example.com.\n$TTL 300\n"
                               "@ 3600 IN SOA ns1.example.net. h 1 7200 3600 1209600 3600\n"
                               "@ IN NS ns1.example.net.\n"
                               "www IN A 192.0.2.1\nwww IN A 192.0.2.2 ; two\n";
    vx__rrset **sets;
    size_t n;
    char err[128];
    assert_int_equal(vx__zone_text_parse(text, sizeof text - 1, ZONE, &sets, &n, err, sizeof err),
                     VX_OK);
    assert_int_equal(n, 3);
    assert_string_equal(sets[2]->owner, "www.example.com.");
    assert_int_equal(sets[2]->ttl, 300);
    assert_int_equal(sets[2]->count, 2);
    vx__rrsets_free(sets, n);
    static const char nosoa[] = "www.example.com. 60 IN A 192.0.2.1\n";
    assert_int_equal(vx__zone_text_parse(nosoa, sizeof nosoa - 1, ZONE, &sets, &n, err, sizeof err),
                     VX_EMALFORMED);
    assert_non_null(strstr(err, "no SOA"));
    static const char broken[] = "www.example.com. 60 IN A 192.0.2.300\n";
    assert_int_equal(
        vx__zone_text_parse(broken, sizeof broken - 1, ZONE, &sets, &n, err, sizeof err),
        VX_EMALFORMED);
    if (!strstr(err, "line 1"))
        fail_msg("error without its line: %s", err);
    static const char inc[] = "$INCLUDE /etc/passwd\n";
    assert_int_equal(vx__zone_text_parse(inc, sizeof inc - 1, ZONE, &sets, &n, err, sizeof err),
                     VX_EMALFORMED);
    assert_null(sets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse),       cmocka_unit_test(test_unsigned_transfer),
        cmocka_unit_test(test_signed_transfer), cmocka_unit_test(test_refused_and_foreign),
        cmocka_unit_test(test_zone_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
