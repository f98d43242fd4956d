/*
 * tests/unit/test_wire_query.c — query building (exact bytes for every flag combination,
 * cross-checked by ldns), names from presentation form (limits, escapes) and back, type
 * mnemonics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "voxdns/status.h"
#include "wire/query.h"

static const uint8_t sip_example_com[] = {3,   's', 'i', 'p', 7,   'e', 'x', 'a', 'm',
                                          'p', 'l', 'e', 3,   'c', 'o', 'm', 0};

static void test_from_text_forms(void **state)
{
    (void)state;
    vx__question q, q2;
    assert_int_equal(vx__question_from_text("sip.example.com", 35, 1, &q), VX_OK);
    assert_int_equal(q.name_len, sizeof sip_example_com);
    assert_memory_equal(q.name, sip_example_com, sizeof sip_example_com);
    assert_int_equal(q.qtype, 35);
    assert_int_equal(q.qclass, 1);
    assert_int_equal(vx__question_from_text("sip.example.com.", 35, 1, &q2), VX_OK);
    assert_true(vx__question_equal(&q, &q2));
    assert_int_equal(vx__question_from_text(".", 2, 1, &q), VX_OK);
    assert_int_equal(q.name_len, 1);
    assert_int_equal(q.name[0], 0);
}

static void test_from_text_rejects(void **state)
{
    (void)state;
    vx__question q;
    const char *bad[] = {"", "..", "a..b", ".a", "a..", "a\\", "\\1", "\\12", "\\256", "a.\\25"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vx__question_from_text(bad[i], 1, 1, &q), VX_EINVAL);
    assert_int_equal(vx__question_from_text(NULL, 1, 1, &q), VX_EINVAL);
}

static void test_from_text_limits(void **state)
{
    (void)state;
    vx__question q;
    char text[400];
    memset(text, 'a', 63);
    strcpy(text + 63, ".com");
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_OK);
    assert_int_equal(q.name[0], 63);
    memset(text, 'a', 64);
    strcpy(text + 64, ".com");
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_EINVAL);
    /* 3 x (1+63) + (1+61) + 1 = 255 octets in wire form */
    size_t at = 0;
    for (int i = 0; i < 3; i++) {
        memset(text + at, 'b', 63);
        at += 63;
        text[at++] = '.';
    }
    memset(text + at, 'c', 61);
    text[at + 61] = '\0';
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_OK);
    assert_int_equal(q.name_len, 255);
    strcat(text, ".");
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_OK);
    text[at + 61] = 'c'; /* 62 octets: 256 */
    text[at + 62] = '\0';
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_EINVAL);
}

static void test_from_text_escapes(void **state)
{
    (void)state;
    vx__question q;
    const uint8_t dotted[] = {3, 'a', '.', 'b', 3, 'c', 'o', 'm', 0};
    assert_int_equal(vx__question_from_text("a\\.b.com", 1, 1, &q), VX_OK);
    assert_int_equal(q.name_len, sizeof dotted);
    assert_memory_equal(q.name, dotted, sizeof dotted);
    const uint8_t ddd[] = {3, 'A', 0, 0xff, 0};
    assert_int_equal(vx__question_from_text("\\065\\000\\255.", 1, 1, &q), VX_OK);
    assert_int_equal(q.name_len, sizeof ddd);
    assert_memory_equal(q.name, ddd, sizeof ddd);
    const uint8_t bs[] = {2, '\\', 'x', 0};
    assert_int_equal(vx__question_from_text("\\\\\\x", 1, 1, &q), VX_OK);
    assert_memory_equal(q.name, bs, sizeof bs);
    /* an escape counts as one octet against the 63 limit */
    char text[300] = "";
    for (int i = 0; i < 63; i++)
        strcat(text, "\\046");
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_OK);
    assert_int_equal(q.name[0], 63);
    strcat(text, "\\046");
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_EINVAL);
}

static void test_rrtype_from_text(void **state)
{
    (void)state;
    uint16_t t = 0;
    assert_int_equal(vx__rrtype_from_text("NAPTR", &t), VX_OK);
    assert_int_equal(t, 35);
    assert_int_equal(vx__rrtype_from_text("srv", &t), VX_OK);
    assert_int_equal(t, 33);
    assert_int_equal(vx__rrtype_from_text("AAAA", &t), VX_OK);
    assert_int_equal(t, 28);
    assert_int_equal(vx__rrtype_from_text("ANY", &t), VX_OK);
    assert_int_equal(t, 255);
    assert_int_equal(vx__rrtype_from_text("TYPE35", &t), VX_OK);
    assert_int_equal(t, 35);
    assert_int_equal(vx__rrtype_from_text("type65280", &t), VX_OK);
    assert_int_equal(t, 65280);
    assert_int_equal(vx__rrtype_from_text("TYPE65535", &t), VX_OK);
    assert_int_equal(t, 65535);
    const char *bad[] = {"",          "FOO",    "NAPTRX",
                         "TYPE",      "TYPE0",  "TYPE65536",
                         "TYPE12abc", "TYPE-1", "TYPE99999999999999999999"};
    t = 7;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vx__rrtype_from_text(bad[i], &t), VX_EINVAL);
    assert_int_equal(t, 7);
    assert_int_equal(vx__rrtype_from_text(NULL, &t), VX_EINVAL);
}

static void test_rrtype_to_text(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(vx__rrtype_to_text(35, buf, sizeof buf), "NAPTR");
    assert_string_equal(vx__rrtype_to_text(1, buf, sizeof buf), "A");
    assert_string_equal(vx__rrtype_to_text(255, buf, sizeof buf), "ANY");
    assert_string_equal(vx__rrtype_to_text(252, buf, sizeof buf), "AXFR");
    assert_string_equal(vx__rrtype_to_text(65280, buf, sizeof buf), "TYPE65280");
    assert_string_equal(vx__rrtype_to_text(0, buf, sizeof buf), "TYPE0");
    assert_string_equal(vx__rrtype_to_text(54, buf, sizeof buf), "TYPE54");
    assert_string_equal(vx__rrtype_to_text(35, buf, 3), "NA"); /* truncated, terminated */
}

static void build(unsigned flags, uint8_t *out, size_t *len)
{
    vx__question q;
    assert_int_equal(vx__question_from_text("sip.example.com", 35, 1, &q), VX_OK);
    assert_int_equal(vx__wire_build_query(&q, 0x1234, flags, out, VX__QUERY_MAX, len), VX_OK);
}

static void test_build_exact_bytes(void **state)
{
    (void)state;
    uint8_t out[VX__QUERY_MAX];
    size_t len;
    const uint8_t head_rd_edns[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1};
    const uint8_t tail[] = {0, 35, 0, 1};
    const uint8_t opt_do_nsid[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 4, 0, 3, 0, 0};
    build(VX__Q_RD | VX__Q_DO | VX__Q_NSID, out, &len);
    assert_int_equal(len, 12 + 17 + 4 + 15);
    assert_memory_equal(out, head_rd_edns, 12);
    assert_memory_equal(out + 12, sip_example_com, 17);
    assert_memory_equal(out + 29, tail, 4);
    assert_memory_equal(out + 33, opt_do_nsid, 15);

    const uint8_t opt_plain[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    build(0, out, &len);
    assert_int_equal(len, 12 + 17 + 4 + 11);
    assert_int_equal(out[2], 0); /* no RD */
    assert_int_equal(out[3], 0);
    assert_int_equal(out[11], 1);
    assert_memory_equal(out + 33, opt_plain, 11);

    build(VX__Q_NOEDNS | VX__Q_DO | VX__Q_NSID | VX__Q_RD, out, &len);
    assert_int_equal(len, 12 + 17 + 4);
    assert_int_equal(out[2], 0x01);
    assert_int_equal(out[11], 0); /* arcount */
}

/* ldns reads what we write the way we mean it. */
static void test_build_ldns_agrees(void **state)
{
    (void)state;
    uint8_t out[VX__QUERY_MAX];
    size_t len;
    ldns_pkt *pkt = NULL;
    build(VX__Q_DO | VX__Q_NSID, out, &len);
    assert_int_equal(ldns_wire2pkt(&pkt, out, len), LDNS_STATUS_OK);
    assert_int_equal(ldns_pkt_id(pkt), 0x1234);
    assert_false(ldns_pkt_rd(pkt));
    assert_int_equal(ldns_pkt_get_opcode(pkt), LDNS_PACKET_QUERY);
    assert_true(ldns_pkt_edns(pkt));
    assert_int_equal(ldns_pkt_edns_udp_size(pkt), VX__EDNS_UDP_SIZE);
    assert_true(ldns_pkt_edns_do(pkt));
    assert_int_equal(ldns_pkt_edns_version(pkt), 0);
    ldns_rdf *opts = ldns_pkt_edns_data(pkt);
    assert_non_null(opts);
    assert_int_equal(ldns_rdf_size(opts), 4);
    assert_int_equal(ldns_rdf_data(opts)[1], 3);
    ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    assert_int_equal(ldns_rr_get_type(qrr), LDNS_RR_TYPE_NAPTR);
    ldns_pkt_free(pkt);
}

static void test_build_round_trip_question(void **state)
{
    (void)state;
    uint8_t out[VX__QUERY_MAX];
    size_t len;
    vx__question q, back;
    assert_int_equal(vx__question_from_text("_sip._udp.Example.COM", 33, 1, &q), VX_OK);
    assert_int_equal(vx__wire_build_query(&q, 7, VX__Q_RD, out, sizeof out, &len), VX_OK);
    assert_int_equal(vx__wire_read_question(out, len, &back), VX_OK);
    assert_true(vx__question_equal(&q, &back));
    assert_memory_equal(q.name, back.name, q.name_len); /* case is kept on the wire */
}

static void test_build_limits(void **state)
{
    (void)state;
    uint8_t out[VX__QUERY_MAX];
    size_t len = 99;
    vx__question q;
    assert_int_equal(vx__question_from_text("sip.example.com", 35, 1, &q), VX_OK);
    assert_int_equal(vx__wire_build_query(&q, 1, VX__Q_NSID, out, 12 + 17 + 4 + 14, &len),
                     VX_EINVAL);
    assert_int_equal(len, 99);
    assert_int_equal(vx__wire_build_query(&q, 1, VX__Q_NSID, out, 12 + 17 + 4 + 15, &len), VX_OK);
    assert_int_equal(len, 48);
    /* a hand-made question with a broken name is refused, not copied */
    vx__question bad = q;
    bad.name[0] = 64;
    assert_int_equal(vx__wire_build_query(&bad, 1, 0, out, sizeof out, &len), VX_EINVAL);
    bad = q;
    bad.name_len = 16;
    assert_int_equal(vx__wire_build_query(&bad, 1, 0, out, sizeof out, &len), VX_EINVAL);
    bad.name_len = 0;
    assert_int_equal(vx__wire_build_query(&bad, 1, 0, out, sizeof out, &len), VX_EINVAL);
    /* the longest name still fits in VX__QUERY_MAX with every option */
    char text[300];
    memset(text, 'x', sizeof text);
    for (int i = 63; i < 255; i += 64)
        text[i] = '.';
    text[253] = '\0';
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_OK);
    assert_int_equal(q.name_len, 255);
    assert_int_equal(vx__wire_build_query(&q, 1, VX__Q_NSID | VX__Q_DO, out, VX__QUERY_MAX, &len),
                     VX_OK);
    assert_true(len <= VX__QUERY_MAX);
}

static void test_wire_to_text(void **state)
{
    (void)state;
    char text[VX__NAME_WIRE_MAX * 4 + 2];
    assert_int_equal(
        vx__name_wire_to_text(sip_example_com, sizeof sip_example_com, text, sizeof text), VX_OK);
    assert_string_equal(text, "sip.example.com.");
    const uint8_t root[] = {0};
    assert_int_equal(vx__name_wire_to_text(root, 1, text, sizeof text), VX_OK);
    assert_string_equal(text, ".");
    const uint8_t odd[] = {9, 'a', '.', ' ', '\\', '"', 0, 0xff, '@', ';', 1, '*', 0};
    assert_int_equal(vx__name_wire_to_text(odd, sizeof odd, text, sizeof text), VX_OK);
    assert_string_equal(text, "a\\.\\032\\\\\\\"\\000\\255\\@\\;.*.");
    /* and back again */
    vx__question q;
    assert_int_equal(vx__question_from_text(text, 1, 1, &q), VX_OK);
    assert_int_equal(q.name_len, sizeof odd);
    assert_memory_equal(q.name, odd, sizeof odd);
}

static void test_wire_to_text_limits(void **state)
{
    (void)state;
    char text[32];
    assert_int_equal(vx__name_wire_to_text(sip_example_com, sizeof sip_example_com, text, 17),
                     VX_OK);
    assert_int_equal(vx__name_wire_to_text(sip_example_com, sizeof sip_example_com, text, 16),
                     VX_EINVAL);
    const uint8_t root[] = {0};
    assert_int_equal(vx__name_wire_to_text(root, 1, text, 1), VX_EINVAL);
    const uint8_t nul[] = {1, 0, 0};
    assert_int_equal(vx__name_wire_to_text(nul, sizeof nul, text, 5), VX_EINVAL);
    assert_int_equal(vx__name_wire_to_text(nul, sizeof nul, text, 6), VX_OK);
    assert_string_equal(text, "\\000.");
    const uint8_t broken[] = {5, 'a', 0};
    assert_int_equal(vx__name_wire_to_text(broken, sizeof broken, text, sizeof text), VX_EINVAL);
    const uint8_t pointer[] = {0xc0, 0};
    assert_int_equal(vx__name_wire_to_text(pointer, sizeof pointer, text, sizeof text), VX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_text_forms),
        cmocka_unit_test(test_from_text_rejects),
        cmocka_unit_test(test_from_text_limits),
        cmocka_unit_test(test_from_text_escapes),
        cmocka_unit_test(test_rrtype_from_text),
        cmocka_unit_test(test_rrtype_to_text),
        cmocka_unit_test(test_build_exact_bytes),
        cmocka_unit_test(test_build_ldns_agrees),
        cmocka_unit_test(test_build_round_trip_question),
        cmocka_unit_test(test_build_limits),
        cmocka_unit_test(test_wire_to_text),
        cmocka_unit_test(test_wire_to_text_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
