/*
 * tests/unit/test_wire_reader.c — the bounds-checked reader: integers at the end of the
 * buffer, name decompression (loops, forward pointers, hop limit, reserved label types, the
 * 63/255 limits reached through labels and through pointers), header and question readers on
 * every truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/reader.h"

/* Appends one label of n copies of c at buf[*at]. */
static void put_label(uint8_t *buf, size_t *at, uint8_t n, char c)
{
    buf[(*at)++] = n;
    memset(buf + *at, c, n);
    *at += n;
}

static int read_name_at(const uint8_t *buf, size_t len, size_t pos, uint8_t *out, size_t *out_len,
                        size_t *end)
{
    vx__reader r;
    vx__reader_init(&r, buf, len);
    r.pos = pos;
    int rc = vx__reader_name(&r, out, out_len);
    if (end)
        *end = r.pos;
    return rc;
}

static void test_integers_at_end(void **state)
{
    (void)state;
    const uint8_t buf[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
    vx__reader r;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    vx__reader_init(&r, buf, sizeof buf);
    assert_int_equal(vx__reader_u32(&r, &u32), VX_OK);
    assert_int_equal(u32, 0x12345678u);
    assert_int_equal(vx__reader_u16(&r, &u16), VX_EMALFORMED);
    assert_int_equal(r.pos, 4); /* a failed read does not move the cursor */
    assert_int_equal(vx__reader_u8(&r, &u8), VX_OK);
    assert_int_equal(u8, 0x9a);
    assert_int_equal(vx__reader_u8(&r, &u8), VX_EMALFORMED);
    assert_int_equal(vx__reader_u32(&r, &u32), VX_EMALFORMED);
    vx__reader_init(&r, buf, sizeof buf);
    assert_int_equal(vx__reader_skip(&r, 6), VX_EMALFORMED);
    assert_int_equal(vx__reader_skip(&r, 5), VX_OK);
    assert_int_equal(vx__reader_skip(&r, 0), VX_OK);
    assert_int_equal(vx__reader_skip(&r, SIZE_MAX), VX_EMALFORMED);
    vx__reader_init(&r, buf, 1);
    assert_int_equal(vx__reader_u16(&r, &u16), VX_EMALFORMED);
}

static void test_name_plain_and_root(void **state)
{
    (void)state;
    const uint8_t buf[] = {3, 'w', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0};
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len, end;
    assert_int_equal(read_name_at(buf, sizeof buf, 0, out, &len, &end), VX_OK);
    assert_int_equal(len, 13);
    assert_memory_equal(out, buf, 13);
    assert_int_equal(end, 13);
    assert_int_equal(read_name_at(buf, sizeof buf, 13, out, &len, &end), VX_OK);
    assert_int_equal(len, 1);
    assert_int_equal(out[0], 0);
    assert_int_equal(end, 14);
}

static void test_name_compressed_backwards(void **state)
{
    (void)state;
    /* 0: example.com.   13: sip + pointer to 0   19: pointer to 13   21: trailing byte */
    const uint8_t buf[] = {7,   'e', 'x', 'a', 'm', 'p', 'l',  'e', 3,    'c', 'o',
                           'm', 0,   3,   's', 'i', 'p', 0xc0, 0,   0xc0, 13,  0xff};
    const uint8_t want[] = {3,   's', 'i', 'p', 7,   'e', 'x', 'a', 'm',
                            'p', 'l', 'e', 3,   'c', 'o', 'm', 0};
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len, end;
    assert_int_equal(read_name_at(buf, sizeof buf, 13, out, &len, &end), VX_OK);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(end, 19); /* just after the first pointer */
    assert_int_equal(read_name_at(buf, sizeof buf, 19, out, &len, &end), VX_OK);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(end, 21);
}

static void test_name_loops_rejected(void **state)
{
    (void)state;
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len;
    /* pointer to itself */
    const uint8_t self[] = {0, 0, 0xc0, 2};
    assert_int_equal(read_name_at(self, sizeof self, 2, out, &len, NULL), VX_EMALFORMED);
    /* forward pointer, even to a valid name */
    const uint8_t fwd[] = {0xc0, 2, 1, 'a', 0};
    assert_int_equal(read_name_at(fwd, sizeof fwd, 0, out, &len, NULL), VX_EMALFORMED);
    /* two pointers pointing at each other */
    const uint8_t mutual[] = {0xc0, 2, 0xc0, 0};
    assert_int_equal(read_name_at(mutual, sizeof mutual, 0, out, &len, NULL), VX_EMALFORMED);
    assert_int_equal(read_name_at(mutual, sizeof mutual, 2, out, &len, NULL), VX_EMALFORMED);
    /* a label followed by a pointer back to that same label */
    const uint8_t lbl[] = {1, 'a', 0xc0, 0};
    assert_int_equal(read_name_at(lbl, sizeof lbl, 0, out, &len, NULL), VX_EMALFORMED);
    /* pointer back into the middle of a sequence that loops to the pointer again */
    const uint8_t mid[] = {1, 'a', 1, 'b', 0xc0, 2};
    assert_int_equal(read_name_at(mid, sizeof mid, 0, out, &len, NULL), VX_EMALFORMED);
    /* pointer out of the buffer, pointer cut in half */
    const uint8_t far[] = {0, 0xc0, 0x50};
    assert_int_equal(read_name_at(far, sizeof far, 1, out, &len, NULL), VX_EMALFORMED);
    const uint8_t half[] = {0, 0xc0};
    assert_int_equal(read_name_at(half, sizeof half, 1, out, &len, NULL), VX_EMALFORMED);
}

/* A chain of pointers each pointing at the previous one, ending at a root label at 0. */
static size_t pointer_chain(uint8_t *buf, unsigned hops)
{
    size_t at = 0;
    buf[at++] = 0;
    for (unsigned i = 0; i < hops; i++) {
        size_t prev = i == 0 ? 0 : at - 2;
        buf[at++] = (uint8_t)(0xc0 | prev >> 8);
        buf[at++] = (uint8_t)prev;
    }
    return at;
}

static void test_name_hop_limit(void **state)
{
    (void)state;
    uint8_t buf[1 + 2 * (VX__NAME_MAX_POINTERS + 1)];
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len;
    size_t n = pointer_chain(buf, VX__NAME_MAX_POINTERS);
    assert_int_equal(read_name_at(buf, n, n - 2, out, &len, NULL), VX_OK);
    assert_int_equal(len, 1);
    n = pointer_chain(buf, VX__NAME_MAX_POINTERS + 1);
    assert_int_equal(read_name_at(buf, n, n - 2, out, &len, NULL), VX_EMALFORMED);
}

static void test_name_reserved_label_types(void **state)
{
    (void)state;
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len;
    const uint8_t ext[] = {0x41, 'a', 0};
    const uint8_t res[] = {0x81, 'a', 0};
    assert_int_equal(read_name_at(ext, sizeof ext, 0, out, &len, NULL), VX_EMALFORMED);
    assert_int_equal(read_name_at(res, sizeof res, 0, out, &len, NULL), VX_EMALFORMED);
}

static void test_name_label_limit(void **state)
{
    (void)state;
    uint8_t buf[80];
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len, at = 0;
    put_label(buf, &at, 63, 'x');
    buf[at++] = 0;
    assert_int_equal(read_name_at(buf, at, 0, out, &len, NULL), VX_OK);
    assert_int_equal(len, 65);
    at = 0;
    put_label(buf, &at, 63, 'x');
    buf[0] = 64; /* 64 is not a pointer nor a valid length: 0x40 label type */
    buf[at++] = 'x';
    buf[at++] = 0;
    assert_int_equal(read_name_at(buf, at, 0, out, &len, NULL), VX_EMALFORMED);
}

/* Labels whose wire length (with the root) is total octets: 63-octet labels then one shorter. */
static size_t long_name(uint8_t *buf, size_t total)
{
    size_t at = 0, left = total - 1;
    while (left > 0) {
        size_t n = left > 64 ? 63 : left - 1;
        put_label(buf, &at, (uint8_t)n, 'a');
        left -= n + 1;
    }
    buf[at++] = 0;
    return at;
}

static void test_name_total_limit_via_labels(void **state)
{
    (void)state;
    uint8_t buf[300];
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len;
    size_t n = long_name(buf, 255);
    assert_int_equal(n, 255);
    assert_int_equal(read_name_at(buf, n, 0, out, &len, NULL), VX_OK);
    assert_int_equal(len, 255);
    n = long_name(buf, 256);
    assert_int_equal(n, 256);
    assert_int_equal(read_name_at(buf, n, 0, out, &len, NULL), VX_EMALFORMED);
}

/* Builds y{63}. then three more pieces, each a label sequence ending with a pointer to the
 * previous piece; the last piece's label has last_len octets. Returns the last piece's start. */
static size_t long_name_via_pointers(uint8_t *buf, uint8_t last_len, size_t *total)
{
    size_t at = 0, prev = 0;
    put_label(buf, &at, 63, 'y');
    buf[at++] = 0;
    for (int i = 0; i < 3; i++) {
        size_t start = at;
        put_label(buf, &at, i == 2 ? last_len : 63, (char)('a' + i));
        buf[at++] = 0xc0;
        buf[at++] = (uint8_t)prev;
        prev = start;
    }
    *total = at;
    return prev;
}

static void test_name_total_limit_via_pointers(void **state)
{
    (void)state;
    uint8_t buf[300];
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len, total, end;
    /* 64 + 64 + 64 + (1 + 61) + 1 = 255 */
    size_t start = long_name_via_pointers(buf, 61, &total);
    assert_int_equal(read_name_at(buf, total, start, out, &len, &end), VX_OK);
    assert_int_equal(len, 255);
    assert_int_equal(end, total);
    assert_int_equal(out[0], 61);
    assert_int_equal(out[1], 'c');
    start = long_name_via_pointers(buf, 62, &total); /* 256 */
    assert_int_equal(read_name_at(buf, total, start, out, &len, NULL), VX_EMALFORMED);
}

static void test_name_truncated_everywhere(void **state)
{
    (void)state;
    const uint8_t buf[] = {7,   'e', 'x', 'a', 'm', 'p', 'l', 'e',  3, 'c',
                           'o', 'm', 0,   3,   's', 'i', 'p', 0xc0, 0};
    uint8_t out[VX__NAME_WIRE_MAX];
    size_t len;
    for (size_t n = 0; n < 13; n++)
        assert_int_equal(read_name_at(buf, n, 0, out, &len, NULL), VX_EMALFORMED);
    for (size_t n = 13; n < sizeof buf; n++)
        assert_int_equal(read_name_at(buf, n, 13, out, &len, NULL), VX_EMALFORMED);
    assert_int_equal(read_name_at(buf, sizeof buf, 13, out, &len, NULL), VX_OK);
    /* the cursor beyond the end */
    assert_int_equal(read_name_at(buf, sizeof buf, sizeof buf, out, &len, NULL), VX_EMALFORMED);
}

static const uint8_t query_msg[] = {
    0xbe, 0xef, 0x01, 0x00, 0, 1,   0,   0,   0,   0,   0,   0,   /* header */
    3,    's',  'I',  'p',  7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', /* name */
    3,    'c',  'o',  'm',  0, 0,   35,  0,   1,                  /* NAPTR IN */
};

static void test_header(void **state)
{
    (void)state;
    vx__header h;
    for (size_t n = 0; n < VX__HEADER_LEN; n++)
        assert_int_equal(vx__wire_read_header(query_msg, n, &h), VX_EMALFORMED);
    assert_int_equal(vx__wire_read_header(query_msg, VX__HEADER_LEN, &h), VX_OK);
    assert_int_equal(h.id, 0xbeef);
    assert_int_equal(h.flags, VX__FLAG_RD);
    assert_int_equal(h.qdcount, 1);
    assert_int_equal(h.ancount + h.nscount + h.arcount, 0);
    assert_int_equal(vx__wire_read_header(NULL, 0, &h), VX_EMALFORMED);
}

static void test_question(void **state)
{
    (void)state;
    vx__question q;
    assert_int_equal(vx__wire_read_question(query_msg, sizeof query_msg, &q), VX_OK);
    assert_int_equal(q.name_len, 17);
    assert_memory_equal(q.name, query_msg + 12, 17);
    assert_int_equal(q.qtype, 35);
    assert_int_equal(q.qclass, 1);
    for (size_t n = 0; n < sizeof query_msg; n++)
        assert_int_equal(vx__wire_read_question(query_msg, n, &q), VX_EMALFORMED);
}

static void test_question_count(void **state)
{
    (void)state;
    uint8_t m[sizeof query_msg];
    vx__question q;
    memcpy(m, query_msg, sizeof m);
    m[5] = 0;
    assert_int_equal(vx__wire_read_question(m, sizeof m, &q), VX_EMALFORMED);
    m[5] = 2;
    assert_int_equal(vx__wire_read_question(m, sizeof m, &q), VX_EMALFORMED);
    m[4] = 1;
    m[5] = 1; /* 257 */
    assert_int_equal(vx__wire_read_question(m, sizeof m, &q), VX_EMALFORMED);
}

static void test_question_equal(void **state)
{
    (void)state;
    vx__question a, b;
    assert_int_equal(vx__wire_read_question(query_msg, sizeof query_msg, &a), VX_OK);
    b = a;
    b.name[1] = 's';
    b.name[5] = 'E';
    assert_true(vx__question_equal(&a, &b));
    b.name[5] = 'f';
    assert_false(vx__question_equal(&a, &b));
    b = a;
    b.qtype = 33;
    assert_false(vx__question_equal(&a, &b));
    b = a;
    b.qclass = 3;
    assert_false(vx__question_equal(&a, &b));
    b = a;
    b.name_len = 13;
    assert_false(vx__question_equal(&a, &b));
    /* folding is ASCII-only: 0xc0 and 0xe0 differ by 0x20 but are not letters */
    b = a;
    a.name[2] = 0xc0;
    b.name[2] = 0xe0;
    assert_false(vx__question_equal(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_at_end),
        cmocka_unit_test(test_name_plain_and_root),
        cmocka_unit_test(test_name_compressed_backwards),
        cmocka_unit_test(test_name_loops_rejected),
        cmocka_unit_test(test_name_hop_limit),
        cmocka_unit_test(test_name_reserved_label_types),
        cmocka_unit_test(test_name_label_limit),
        cmocka_unit_test(test_name_total_limit_via_labels),
        cmocka_unit_test(test_name_total_limit_via_pointers),
        cmocka_unit_test(test_name_truncated_everywhere),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_question),
        cmocka_unit_test(test_question_count),
        cmocka_unit_test(test_question_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
