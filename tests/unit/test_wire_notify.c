/*
 * tests/unit/test_wire_notify.c — wire/notify.c: a NOTIFY accepted (unsigned and signed, the
 * answer's header, question and TSIG), and each refusal: source, unsigned where keys are
 * required, a wrong secret, an unknown key, another algorithm, a time outside the fudge, an
 * unmonitored zone; another opcode, a response, a short message, a question that is not SOA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/notify.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="
#define OTHER_SECRET "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMTI="

static bool known(void *arg, const char *zone)
{
    (void)arg;
    return strcmp(zone, "example.com.") == 0;
}

/* A NOTIFY for zone with id 0x4242 carrying serial (0: none), signed when key_text. */
static uint8_t *notify(const char *zone, uint16_t qtype, uint32_t serial, const char *key_text,
                       const char *alg, size_t *len)
{
    ldns_pkt *p = ldns_pkt_new();
    ldns_pkt_set_id(p, 0x4242);
    ldns_pkt_set_opcode(p, LDNS_PACKET_NOTIFY);
    ldns_pkt_set_aa(p, true);
    ldns_rr *q = ldns_rr_new();
    ldns_rr_set_owner(q, ldns_dname_new_frm_str(zone));
    ldns_rr_set_type(q, qtype);
    ldns_rr_set_question(q, true);
    ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
    if (serial) {
        char text[256];
        ldns_rr *soa = NULL;
        snprintf(text, sizeof text, "%s 3600 IN SOA ns1.%s h.%s %u 7200 3600 1209600 3600", zone,
                 zone, zone, serial);
        assert_int_equal(ldns_rr_new_frm_str(&soa, text, 3600, NULL, NULL), LDNS_STATUS_OK);
        ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, soa);
    }
    if (key_text) {
        vx__tsig_key k;
        assert_int_equal(vx__tsig_key_parse(key_text, &k), VX_OK);
        assert_int_equal(ldns_pkt_tsig_sign(p, k.name, k.secret, 300, alg, NULL), LDNS_STATUS_OK);
    }
    uint8_t *wire = NULL;
    assert_int_equal(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
    ldns_pkt_free(p);
    return wire;
}

typedef struct fixture {
    vx__tsig_key keys[2];
    vx__notify_policy pol;
    vx__notify out;
} fixture;

static void setup_policy(fixture *f, size_t keys)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(vx__tsig_key_parse("hmac-sha256:notify-key:" SECRET, &f->keys[0]), VX_OK);
    assert_int_equal(vx__tsig_key_parse("hmac-sha512:second:" OTHER_SECRET, &f->keys[1]), VX_OK);
    f->pol = (vx__notify_policy){.keys = f->keys,
                                 .key_count = keys,
                                 .source_allowed = true,
                                 .zone_known = known,
                                 .now_s = (uint64_t)time(NULL)};
}

static ldns_pkt *answer_of(const vx__notify *n)
{
    ldns_pkt *a = NULL;
    assert_true(n->answer_len > 0);
    assert_int_equal(ldns_wire2pkt(&a, n->answer, n->answer_len), LDNS_STATUS_OK);
    assert_int_equal(ldns_pkt_id(a), 0x4242);
    assert_true(ldns_pkt_qr(a));
    assert_int_equal(ldns_pkt_get_opcode(a), LDNS_PACKET_NOTIFY);
    return a;
}

static void run(fixture *f, const char *zone, const char *key, const char *alg, uint32_t serial)
{
    size_t len;
    uint8_t *m = notify(zone, LDNS_RR_TYPE_SOA, serial, key, alg, &len);
    assert_int_equal(vx__notify_handle(m, len, &f->pol, &f->out), VX_OK);
    free(m);
}

static void test_accepted_unsigned(void **state)
{
    (void)state;
    fixture f;
    setup_policy(&f, 0);
    run(&f, "Example.COM.", NULL, NULL, 2024010102);
    assert_int_equal(f.out.verdict, VX__NOTIFY_ACCEPTED);
    assert_string_equal(f.out.zone, "example.com.");
    assert_true(f.out.has_serial);
    assert_int_equal(f.out.serial, 2024010102);
    assert_string_equal(f.out.key, "");
    ldns_pkt *a = answer_of(&f.out);
    assert_true(ldns_pkt_aa(a));
    assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
    assert_int_equal(ldns_pkt_qdcount(a), 1);
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(a), 0)), LDNS_RR_TYPE_SOA);
    assert_null(ldns_pkt_tsig(a));
    ldns_pkt_free(a);
    run(&f, "example.com.", NULL, NULL, 0);
    assert_int_equal(f.out.verdict, VX__NOTIFY_ACCEPTED);
    assert_false(f.out.has_serial);
}

/* The answer is signed with the request's key over the request's MAC. */
static void test_accepted_signed(void **state)
{
    (void)state;
    fixture f;
    setup_policy(&f, 2);
    size_t len;
    uint8_t *m = notify("example.com.", LDNS_RR_TYPE_SOA, 7, "hmac-sha512:second:" OTHER_SECRET,
                        "hmac-sha512.", &len);
    assert_int_equal(vx__notify_handle(m, len, &f.pol, &f.out), VX_OK);
    assert_int_equal(f.out.verdict, VX__NOTIFY_ACCEPTED);
    assert_string_equal(f.out.key, "second.");
    ldns_pkt *req = NULL;
    assert_int_equal(ldns_wire2pkt(&req, m, len), LDNS_STATUS_OK);
    ldns_pkt *a = answer_of(&f.out);
    assert_non_null(ldns_pkt_tsig(a));
    assert_true(ldns_pkt_tsig_verify(a, f.out.answer, f.out.answer_len, "second.", OTHER_SECRET,
                                     ldns_rr_rdf(ldns_pkt_tsig(req), 3)));
    ldns_pkt_free(a);
    ldns_pkt_free(req);
    free(m);
}

static void expect_refusal(fixture *f, vx__notify_verdict v, ldns_pkt_rcode rcode)
{
    assert_int_equal(f->out.verdict, v);
    assert_false(f->out.has_serial);
    ldns_pkt *a = answer_of(&f->out);
    assert_int_equal(ldns_pkt_get_rcode(a), rcode);
    assert_false(ldns_pkt_aa(a));
    assert_null(ldns_pkt_tsig(a));
    ldns_pkt_free(a);
}

static uint16_t rdf16(const ldns_rr *rr, size_t i)
{
    return ldns_rdf2native_int16(ldns_rr_rdf(rr, i));
}

/* RFC 8945 §5.3.2: NOTAUTH with a TSIG record that names the request's key, has an empty MAC
 * and carries the TSIG error (and, for BADTIME, our time in Other Data). */
static void expect_tsig_error(fixture *f, const char *key_name, uint16_t error)
{
    assert_int_equal(f->out.verdict, VX__NOTIFY_BAD_TSIG);
    assert_int_equal(f->out.tsig_error, error);
    ldns_pkt *a = answer_of(&f->out);
    assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NOTAUTH);
    const ldns_rr *t = ldns_pkt_tsig(a);
    assert_non_null(t);
    assert_int_equal(ldns_rr_rd_count(t), 7);
    char *owner = ldns_rdf2str(ldns_rr_owner(t));
    assert_string_equal(owner, key_name);
    free(owner);
    assert_int_equal(ldns_rdf_size(ldns_rr_rdf(t, 3)), 2); /* MAC size 0, no MAC */
    assert_int_equal(rdf16(t, 3), 0);
    assert_int_equal(rdf16(t, 4), 0x4242); /* original id */
    assert_int_equal(rdf16(t, 5), error);
    const ldns_rdf *other = ldns_rr_rdf(t, 6);
    assert_int_equal(ldns_rdf_size(other), error == 18 ? 8 : 2);
    if (error == 18) {
        const uint8_t *b = ldns_rdf_data(other) + 2;
        uint64_t when = 0;
        for (int i = 0; i < 6; i++)
            when = when << 8 | b[i];
        assert_int_equal(when, f->pol.now_s);
    }
    ldns_pkt_free(a);
}

static void test_source_and_unsigned(void **state)
{
    (void)state;
    fixture f;
    setup_policy(&f, 0);
    f.pol.source_allowed = false;
    run(&f, "example.com.", NULL, NULL, 5);
    expect_refusal(&f, VX__NOTIFY_REFUSED_FROM, LDNS_RCODE_REFUSED);
    /* a good signature does not open a refused address */
    setup_policy(&f, 1);
    f.pol.source_allowed = false;
    run(&f, "example.com.", "notify-key:" SECRET, "hmac-sha256.", 5);
    expect_refusal(&f, VX__NOTIFY_REFUSED_FROM, LDNS_RCODE_REFUSED);
    setup_policy(&f, 1);
    run(&f, "example.com.", NULL, NULL, 5);
    expect_refusal(&f, VX__NOTIFY_UNSIGNED, LDNS_RCODE_REFUSED);
}

static void test_bad_tsig(void **state)
{
    (void)state;
    fixture f;
    setup_policy(&f, 2);
    run(&f, "example.com.", "notify-key:" OTHER_SECRET, "hmac-sha256.", 5);
    expect_tsig_error(&f, "notify-key.", 16 /* BADSIG */);
    assert_string_equal(f.out.reason, "TSIG MAC does not verify");
    run(&f, "example.com.", "stranger:" SECRET, "hmac-sha256.", 5);
    expect_tsig_error(&f, "stranger.", 17 /* BADKEY */);
    assert_string_equal(f.out.reason, "unknown TSIG key");
    run(&f, "example.com.", "notify-key:" SECRET, "hmac-sha1.", 5);
    expect_tsig_error(&f, "notify-key.", 17);
    assert_string_equal(f.out.reason, "TSIG algorithm is not the key's");
    f.pol.now_s += 301;
    run(&f, "example.com.", "notify-key:" SECRET, "hmac-sha256.", 5);
    expect_tsig_error(&f, "notify-key.", 18 /* BADTIME */);
    assert_string_equal(f.out.reason, "TSIG time outside the fudge");
    /* no keys configured: a signed NOTIFY cannot be verified */
    setup_policy(&f, 0);
    run(&f, "example.com.", "notify-key:" SECRET, "hmac-sha256.", 5);
    expect_tsig_error(&f, "notify-key.", 17);
}

static void test_unknown_zone(void **state)
{
    (void)state;
    fixture f;
    setup_policy(&f, 1);
    run(&f, "example.org.", "notify-key:" SECRET, "hmac-sha256.", 5);
    expect_refusal(&f, VX__NOTIFY_UNKNOWN_ZONE, LDNS_RCODE_NOTAUTH);
    assert_string_equal(f.out.zone, "example.org.");
}

static void test_not_a_notify(void **state)
{
    (void)state;
    fixture f;
    setup_policy(&f, 0);
    size_t len;
    uint8_t *m = notify("example.com.", LDNS_RR_TYPE_SOA, 0, NULL, NULL, &len);
    m[2] = 0; /* opcode QUERY */
    assert_int_equal(vx__notify_handle(m, len, &f.pol, &f.out), VX_OK);
    assert_int_equal(f.out.verdict, VX__NOTIFY_NOT_NOTIFY);
    assert_int_equal(f.out.answer_len, 12);
    assert_int_equal(f.out.answer[3] & 0x0f, LDNS_RCODE_NOTIMPL);
    m[2] = 0x80 | 4 << 3; /* a response to a NOTIFY: never answered */
    assert_int_equal(vx__notify_handle(m, len, &f.pol, &f.out), VX_OK);
    assert_int_equal(f.out.verdict, VX__NOTIFY_IGNORED);
    assert_int_equal(f.out.answer_len, 0);
    assert_int_equal(vx__notify_handle(m, 11, &f.pol, &f.out), VX_OK);
    assert_int_equal(f.out.answer_len, 0);
    free(m);
}

static void test_malformed(void **state)
{
    (void)state;
    fixture f;
    setup_policy(&f, 0);
    size_t len;
    uint8_t *m = notify("example.com.", LDNS_RR_TYPE_A, 0, NULL, NULL, &len);
    assert_int_equal(vx__notify_handle(m, len, &f.pol, &f.out), VX_OK);
    assert_int_equal(f.out.verdict, VX__NOTIFY_MALFORMED);
    assert_int_equal(f.out.answer[3] & 0x0f, LDNS_RCODE_FORMERR);
    assert_int_equal(f.out.answer[0], 0x42);
    free(m);
    m = notify("example.com.", LDNS_RR_TYPE_SOA, 9, NULL, NULL, &len);
    assert_int_equal(vx__notify_handle(m, len - 5, &f.pol, &f.out), VX_OK);
    assert_int_equal(f.out.verdict, VX__NOTIFY_MALFORMED);
    free(m);
}

/* What a polled server serves: the zone's SOA in an authoritative NOERROR answer only. */
static void test_soa_answer_serial(void **state)
{
    (void)state;
    size_t len;
    uint8_t *m = notify("example.com.", LDNS_RR_TYPE_SOA, 2024010107, NULL, NULL, &len);
    uint32_t serial = 0;
    m[2] = 0x80 | 0x04; /* QR, AA, opcode QUERY */
    assert_int_equal(vx__soa_answer_serial(m, len, "example.com", &serial), VX_OK);
    assert_int_equal(serial, 2024010107);
    assert_int_equal(vx__soa_answer_serial(m, len, "example.org.", &serial), VX_ENOTFOUND);
    m[2] = 0x80; /* not authoritative */
    assert_int_equal(vx__soa_answer_serial(m, len, "example.com", &serial), VX_ENOTFOUND);
    m[2] = 0x84;
    m[3] = LDNS_RCODE_REFUSED;
    assert_int_equal(vx__soa_answer_serial(m, len, "example.com", &serial), VX_ENOTFOUND);
    assert_int_equal(vx__soa_answer_serial(m, len - 3, "example.com", &serial), VX_EMALFORMED);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_unsigned),   cmocka_unit_test(test_accepted_signed),
        cmocka_unit_test(test_source_and_unsigned), cmocka_unit_test(test_bad_tsig),
        cmocka_unit_test(test_unknown_zone),        cmocka_unit_test(test_not_a_notify),
        cmocka_unit_test(test_malformed),           cmocka_unit_test(test_soa_answer_serial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
