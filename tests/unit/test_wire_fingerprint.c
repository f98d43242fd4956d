/*
 * tests/unit/test_wire_fingerprint.c — the response fingerprint: the same records in another
 * order, compressed or in other letter case give the same digest; a changed rdata byte, TTL,
 * rcode, AA bit, or a record moved to another section gives another; the OPT record (NSID) and
 * the id are ignored; TTLs are ignored on request; truncated messages are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/fingerprint.h"

typedef struct msg {
    uint8_t b[1024];
    size_t len;
} msg;

static void put(msg *m, const void *p, size_t n)
{
    memcpy(m->b + m->len, p, n);
    m->len += n;
}

static void put16(msg *m, uint16_t v)
{
    const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(m, b, 2);
}

static void put32(msg *m, uint32_t v)
{
    put16(m, (uint16_t)(v >> 16));
    put16(m, (uint16_t)v);
}

/* "sip.example.com" in wire form, letters as given. */
static void put_name(msg *m, const char *dotted)
{
    const char *p = dotted;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        uint8_t len = (uint8_t)n;
        put(m, &len, 1);
        put(m, p, n);
        p += n + (dot ? 1 : 0);
    }
    put(m, "", 1);
}

static void header(msg *m, uint16_t id, uint16_t flags, uint16_t an, uint16_t ns, uint16_t ar)
{
    m->len = 0;
    put16(m, id);
    put16(m, flags);
    put16(m, 1);
    put16(m, an);
    put16(m, ns);
    put16(m, ar);
    put_name(m, "example.com"); /* at offset 12: pointer 0xc00c */
    put16(m, 35);
    put16(m, 1);
}

/* A NAPTR record of example.com whose replacement is `target`, owner written as a pointer to
 * the question when compress is set. */
static void naptr(msg *m, bool compress, const char *target, uint32_t ttl, uint16_t order)
{
    if (compress)
        put16(m, 0xc00c);
    else
        put_name(m, "Example.COM");
    put16(m, 35);
    put16(m, 1);
    put32(m, ttl);
    size_t rdlen_at = m->len;
    put16(m, 0);
    size_t start = m->len;
    put16(m, order);
    put16(m, 10);
    put(m, "\001S", 2);
    put(m, "\007SIP+D2U", 8);
    put(m, "\000", 1);
    put_name(m, target);
    uint16_t rdlen = (uint16_t)(m->len - start);
    m->b[rdlen_at] = (uint8_t)(rdlen >> 8);
    m->b[rdlen_at + 1] = (uint8_t)rdlen;
}

static void opt(msg *m, const char *nsid)
{
    put(m, "", 1);
    put16(m, 41);
    put16(m, 1232);
    put32(m, 0);
    put16(m, (uint16_t)(4 + strlen(nsid)));
    put16(m, 3);
    put16(m, (uint16_t)strlen(nsid));
    put(m, nsid, strlen(nsid));
}

static uint64_t fp_of(const msg *m, bool with_ttl)
{
    uint64_t fp = 0;
    assert_int_equal(vx__wire_fingerprint(m->b, m->len, with_ttl, &fp), VX_OK);
    return fp;
}

/* Two NAPTRs and an OPT; variants change one thing each. */
static uint64_t two_naptrs(bool swap, bool compress, uint32_t ttl, const char *nsid, uint16_t id)
{
    msg m;
    header(&m, id, 0x8400, 2, 0, 1);
    naptr(&m, compress, swap ? "_sip._tcp.example.com" : "_sip._udp.example.com", ttl,
          swap ? 20 : 10);
    naptr(&m, compress, swap ? "_sip._udp.example.com" : "_sip._tcp.example.com", ttl,
          swap ? 10 : 20);
    opt(&m, nsid);
    return fp_of(&m, true);
}

static void test_same_records_same_fingerprint(void **state)
{
    (void)state;
    uint64_t base = two_naptrs(false, false, 300, "a", 1);
    assert_int_equal(two_naptrs(true, false, 300, "a", 1), base);   /* another order */
    assert_int_equal(two_naptrs(false, true, 300, "a", 1), base);   /* compressed owner */
    assert_int_equal(two_naptrs(false, false, 300, "b", 99), base); /* other NSID and id */
}

static void test_changes_change_fingerprint(void **state)
{
    (void)state;
    uint64_t base = two_naptrs(false, false, 300, "a", 1);
    assert_int_not_equal(two_naptrs(false, false, 301, "a", 1), base);
    msg m;
    header(&m, 1, 0x8400, 2, 0, 1);
    naptr(&m, false, "_sip._udp.example.com", 300, 10);
    naptr(&m, false, "_sip._tcp.example.org", 300, 20); /* one replacement changed */
    opt(&m, "a");
    assert_int_not_equal(fp_of(&m, true), base);
    header(&m, 1, 0x8000, 2, 0, 1); /* AA cleared */
    naptr(&m, false, "_sip._udp.example.com", 300, 10);
    naptr(&m, false, "_sip._tcp.example.com", 300, 20);
    opt(&m, "a");
    assert_int_not_equal(fp_of(&m, true), base);
    header(&m, 1, 0x8403, 2, 0, 1); /* NXDOMAIN */
    naptr(&m, false, "_sip._udp.example.com", 300, 10);
    naptr(&m, false, "_sip._tcp.example.com", 300, 20);
    opt(&m, "a");
    assert_int_not_equal(fp_of(&m, true), base);
    header(&m, 1, 0x8400, 1, 1, 1); /* the second record in the authority section */
    naptr(&m, false, "_sip._udp.example.com", 300, 10);
    naptr(&m, false, "_sip._tcp.example.com", 300, 20);
    opt(&m, "a");
    assert_int_not_equal(fp_of(&m, true), base);
    header(&m, 1, 0x8400, 1, 0, 1); /* one record fewer */
    naptr(&m, false, "_sip._udp.example.com", 300, 10);
    opt(&m, "a");
    assert_int_not_equal(fp_of(&m, true), base);
}

static void test_ttl_ignored_on_request(void **state)
{
    (void)state;
    msg a, b;
    header(&a, 1, 0x8180, 1, 0, 0);
    naptr(&a, true, "_sip._udp.example.com", 300, 10);
    header(&b, 1, 0x8180, 1, 0, 0);
    naptr(&b, true, "_sip._udp.example.com", 17, 10);
    assert_int_equal(fp_of(&a, false), fp_of(&b, false));
    assert_int_not_equal(fp_of(&a, true), fp_of(&b, true));
}

static void test_name_in_rdata_compared_without_case(void **state)
{
    (void)state;
    msg a, b;
    header(&a, 1, 0x8400, 1, 0, 0);
    naptr(&a, false, "_sip._udp.example.com", 300, 10);
    header(&b, 1, 0x8400, 1, 0, 0);
    naptr(&b, false, "_SIP._UDP.Example.Com", 300, 10);
    assert_int_equal(fp_of(&a, true), fp_of(&b, true));
}

static void test_truncated_messages_refused(void **state)
{
    (void)state;
    msg m;
    uint64_t fp = 0;
    header(&m, 1, 0x8400, 2, 0, 0);
    naptr(&m, false, "_sip._udp.example.com", 300, 10);
    naptr(&m, false, "_sip._tcp.example.com", 300, 20);
    for (size_t cut = 0; cut < m.len; cut++)
        assert_int_equal(vx__wire_fingerprint(m.b, cut, true, &fp), VX_EMALFORMED);
    assert_int_equal(vx__wire_fingerprint(m.b, m.len, true, &fp), VX_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_records_same_fingerprint),
        cmocka_unit_test(test_changes_change_fingerprint),
        cmocka_unit_test(test_ttl_ignored_on_request),
        cmocka_unit_test(test_name_in_rdata_compared_without_case),
        cmocka_unit_test(test_truncated_messages_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
