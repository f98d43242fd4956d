/*
 * tests/unit/test_wire_xfr.c — wire/xfr.c: TSIG keys, the AXFR question, reading a transfer
 * (two messages, signed and unsigned, refused, wrong id, a broken signature, no opening SOA),
 * IXFR (the question, incremental answers signed and unsigned, the AXFR-style and the
 * up-to-date forms, answers out of sequence or against another copy) and zone files.
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
static uint8_t *message_q(uint16_t id, ldns_rr_type qtype, const char *const *records,
                          const vx__tsig_key *key, ldns_rdf **mac, bool first, size_t *len)
{
    ldns_pkt *p = ldns_pkt_new();
    ldns_pkt_set_id(p, id);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_aa(p, true);
    if (first) {
        ldns_rr *q = ldns_rr_new();
        ldns_rr_set_owner(q, ldns_dname_new_frm_str(ZONE));
        ldns_rr_set_type(q, qtype);
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

static uint8_t *message(uint16_t id, const char *const *records, const vx__tsig_key *key,
                        ldns_rdf **mac, bool first, size_t *len)
{
    return message_q(id, LDNS_RR_TYPE_AXFR, records, key, mac, first, len);
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

/* ---- IXFR ------------------------------------------------------------------------------- */

#define SOA_N(n)                                                                                   \
    "example.com. 3600 IN SOA ns1.example.net. h.example.com. " #n " 7200 3600 1209600 3600"

/* The copy held: serial 1. */
static const char HELD[] =
    "$ORIGIN example.com.\n$TTL 300\n"
    "@ 3600 IN SOA ns1.example.net. h.example.com. 1 7200 3600 1209600 3600\n"
    "@ 3600 IN NS ns1.example.net.\n"
    "www IN A 192.0.2.1\nold IN TXT \"gone soon\"\n";

static vx__xfr *ixfr_from_held(const vx__tsig_key *key, uint16_t id, const uint8_t **q,
                               size_t *qlen)
{
    vx__rrset **sets;
    size_t n;
    char err[128];
    assert_int_equal(vx__zone_text_parse(HELD, sizeof HELD - 1, ZONE, &sets, &n, err, sizeof err),
                     VX_OK);
    vx__xfr *x = NULL;
    assert_int_equal(vx__xfr_new_ixfr(ZONE, key, 1, (const vx__rrset *const *)sets, n, &x), VX_OK);
    vx__rrsets_free(sets, n); /* the transfer holds its own copy */
    assert_int_equal(vx__xfr_query(x, id, q, qlen), VX_OK);
    return x;
}

/* Feeds the messages (NULL-terminated lists of records) and returns the last status. */
static int ixfr_answer(vx__xfr *x, uint16_t id, const char *const *const *parts,
                       const vx__tsig_key *key, const uint8_t *q, size_t qlen)
{
    ldns_rdf *mac = key ? request_mac(q, qlen) : NULL;
    int rc = VX_OK;
    for (size_t i = 0; parts[i] && rc == VX_OK; i++) {
        size_t len;
        uint8_t *m = message_q(id, LDNS_RR_TYPE_IXFR, parts[i], key, &mac, i == 0, &len);
        rc = vx__xfr_feed(x, m, len);
        free(m);
    }
    ldns_rdf_deep_free(mac);
    return rc;
}

static const vx__rrset *find_set(vx__rrset **sets, size_t n, const char *owner, uint16_t type)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(sets[i]->owner, owner) == 0 && sets[i]->type == type)
            return sets[i];
    return NULL;
}

static void test_ixfr_question(void **state)
{
    (void)state;
    const uint8_t *q;
    size_t qlen;
    vx__xfr *x = ixfr_from_held(NULL, 99, &q, &qlen);
    ldns_pkt *p = NULL;
    assert_int_equal(ldns_wire2pkt(&p, q, qlen), LDNS_STATUS_OK);
    assert_int_equal(ldns_pkt_id(p), 99);
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p), 0)), LDNS_RR_TYPE_IXFR);
    assert_int_equal(ldns_pkt_nscount(p), 1);
    const ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
    assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
    assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), 1);
    ldns_pkt_free(p);
    vx__xfr_free(x);
}

/* Serial 1 -> 2 (www moves) -> 3 (old goes, new comes), in two messages. */
static const char *const INC1[] = {SOA_N(3),
                                   SOA_N(1),
                                   "www.example.com. 300 IN A 192.0.2.1",
                                   SOA_N(2),
                                   "www.example.com. 300 IN A 192.0.2.2",
                                   NULL};
static const char *const INC2[] = {SOA_N(2), "old.example.com. 300 IN TXT \"gone soon\"",
                                   SOA_N(3), "new.example.com. 60 IN TXT \"fresh\"",
                                   SOA_N(3), NULL};

static void incremental(const vx__tsig_key *key)
{
    const uint8_t *q;
    size_t qlen, n;
    vx__xfr *x = ixfr_from_held(key, 0x77, &q, &qlen);
    const char *const *parts[] = {INC1, INC2, NULL};
    assert_int_equal(ixfr_answer(x, 0x77, parts, key, q, qlen), VX__XFR_DONE);
    assert_int_equal(vx__xfr_form_of(x), VX__XFR_INCREMENTAL);
    vx__rrset **sets;
    uint32_t serial;
    assert_int_equal(vx__xfr_take(x, &sets, &n, &serial), VX_OK);
    assert_int_equal(serial, 3);
    assert_int_equal(n, 4); /* SOA, NS, www A, new TXT */
    const vx__rrset *www = find_set(sets, n, "www.example.com.", LDNS_RR_TYPE_A);
    assert_non_null(www);
    assert_int_equal(www->count, 1);
    assert_string_equal(www->rdata[0], "192.0.2.2");
    assert_null(find_set(sets, n, "old.example.com.", LDNS_RR_TYPE_TXT));
    const vx__rrset *fresh = find_set(sets, n, "new.example.com.", LDNS_RR_TYPE_TXT);
    assert_non_null(fresh);
    assert_int_equal(fresh->ttl, 60);
    const vx__rrset *soa = find_set(sets, n, ZONE, LDNS_RR_TYPE_SOA);
    assert_non_null(soa);
    assert_int_equal(soa->count, 1); /* the old SOA was deleted, not kept beside the new one */
    assert_non_null(strstr(soa->rdata[0], " 3 "));
    vx__rrsets_free(sets, n);
    vx__xfr_free(x);
}

static void test_ixfr_incremental(void **state)
{
    (void)state;
    incremental(NULL);
    vx__tsig_key k;
    assert_int_equal(vx__tsig_key_parse("xfr-key:" SECRET, &k), VX_OK);
    incremental(&k);
}

static void test_ixfr_up_to_date(void **state)
{
    (void)state;
    const uint8_t *q;
    size_t qlen, n;
    vx__xfr *x = ixfr_from_held(NULL, 5, &q, &qlen);
    static const char *const ONE[] = {SOA_N(1), NULL};
    const char *const *parts[] = {ONE, NULL};
    assert_int_equal(ixfr_answer(x, 5, parts, NULL, q, qlen), VX__XFR_DONE);
    assert_int_equal(vx__xfr_form_of(x), VX__XFR_UP_TO_DATE);
    vx__rrset **sets;
    uint32_t serial;
    assert_int_equal(vx__xfr_take(x, &sets, &n, &serial), VX_OK);
    assert_int_equal(serial, 1);
    assert_int_equal(n, 4); /* the copy held, as it was */
    assert_non_null(find_set(sets, n, "old.example.com.", LDNS_RR_TYPE_TXT));
    vx__rrsets_free(sets, n);
    vx__xfr_free(x);
    /* the SOA alone, but with more in the same answer, is not an up-to-date answer */
    x = ixfr_from_held(NULL, 5, &q, &qlen);
    static const char *const MORE[] = {SOA_N(1), "www.example.com. 300 IN A 192.0.2.9", NULL};
    const char *const *more[] = {MORE, NULL};
    assert_int_equal(ixfr_answer(x, 5, more, NULL, q, qlen), VX_EMALFORMED);
    vx__xfr_free(x);
}

static void test_ixfr_axfr_style(void **state)
{
    (void)state;
    const uint8_t *q;
    size_t qlen, n;
    vx__xfr *x = ixfr_from_held(NULL, 6, &q, &qlen);
    static const char *const P1[] = {SOA_N(7), "example.com. 3600 IN NS ns1.example.net.", NULL};
    static const char *const P2[] = {"only.example.com. 300 IN A 192.0.2.7", SOA_N(7), NULL};
    const char *const *parts[] = {P1, P2, NULL};
    assert_int_equal(ixfr_answer(x, 6, parts, NULL, q, qlen), VX__XFR_DONE);
    assert_int_equal(vx__xfr_form_of(x), VX__XFR_FULL);
    vx__rrset **sets;
    uint32_t serial;
    assert_int_equal(vx__xfr_take(x, &sets, &n, &serial), VX_OK);
    assert_int_equal(serial, 7);
    assert_int_equal(n, 3); /* the answer's zone, nothing of the copy held */
    assert_null(find_set(sets, n, "www.example.com.", LDNS_RR_TYPE_A));
    assert_non_null(find_set(sets, n, "only.example.com.", LDNS_RR_TYPE_A));
    vx__rrsets_free(sets, n);
    vx__xfr_free(x);
}

static int ixfr_status(const char *const *records, ldns_rr_type qtype)
{
    const uint8_t *q;
    size_t qlen, len;
    vx__xfr *x = ixfr_from_held(NULL, 8, &q, &qlen);
    uint8_t *m = message_q(8, qtype, records, NULL, NULL, true, &len);
    int rc = vx__xfr_feed(x, m, len);
    free(m);
    vx__xfr_free(x);
    return rc;
}

static void test_ixfr_malformed(void **state)
{
    (void)state;
    /* a deletion of a record the copy held does not have: another copy than the server's */
    static const char *const ABSENT[] = {SOA_N(2), SOA_N(1), "www.example.com. 300 IN A 192.0.2.99",
                                         SOA_N(2), SOA_N(2), NULL};
    assert_int_equal(ixfr_status(ABSENT, LDNS_RR_TYPE_IXFR), VX_ENOTFOUND);
    /* the old SOA must be the one held (same fields): here its refresh differs */
    static const char *const OTHER_SOA[] = {
        SOA_N(2), "example.com. 3600 IN SOA ns1.example.net. h.example.com. 1 1 1 1 1", NULL};
    assert_int_equal(ixfr_status(OTHER_SOA, LDNS_RR_TYPE_IXFR), VX_ENOTFOUND);
    /* differences starting from a serial that is not the one held */
    static const char *const FROM_ELSEWHERE[] = {SOA_N(3), SOA_N(2), SOA_N(3), SOA_N(3), NULL};
    assert_int_equal(ixfr_status(FROM_ELSEWHERE, LDNS_RR_TYPE_IXFR), VX_EMALFORMED);
    /* sequences that do not chain: 1 -> 2, then one from 5 */
    static const char *const GAP[] = {SOA_N(3), SOA_N(1), SOA_N(2), SOA_N(5), NULL};
    assert_int_equal(ixfr_status(GAP, LDNS_RR_TYPE_IXFR), VX_EMALFORMED);
    /* no SOA first */
    static const char *const NO_SOA[] = {"www.example.com. 300 IN A 192.0.2.1", NULL};
    assert_int_equal(ixfr_status(NO_SOA, LDNS_RR_TYPE_IXFR), VX_EMALFORMED);
    /* an answer to another question (AXFR) */
    static const char *const FINE[] = {SOA_N(1), NULL};
    assert_int_equal(ixfr_status(FINE, LDNS_RR_TYPE_AXFR), VX_EMALFORMED);
    /* records after the closing SOA */
    static const char *const AFTER[] = {
        SOA_N(2), SOA_N(1), SOA_N(2), SOA_N(2), "x.example.com. 300 IN A 192.0.2.3", NULL};
    assert_int_equal(ixfr_status(AFTER, LDNS_RR_TYPE_IXFR), VX_EMALFORMED);
    /* an unfinished answer is not complete, and gives nothing */
    static const char *const HALF[] = {SOA_N(2), SOA_N(1), SOA_N(2), NULL};
    assert_int_equal(ixfr_status(HALF, LDNS_RR_TYPE_IXFR), VX_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse),        cmocka_unit_test(test_unsigned_transfer),
        cmocka_unit_test(test_signed_transfer),  cmocka_unit_test(test_refused_and_foreign),
        cmocka_unit_test(test_zone_text),        cmocka_unit_test(test_ixfr_question),
        cmocka_unit_test(test_ixfr_incremental), cmocka_unit_test(test_ixfr_up_to_date),
        cmocka_unit_test(test_ixfr_axfr_style),  cmocka_unit_test(test_ixfr_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
