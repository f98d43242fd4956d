/*
 * tests/unit/test_addr.c — address parsing (ports, brackets, junk), formatting, prefixes,
 * equality, and classification of every class in both families at the first and last address
 * of each block and just outside it, IPv4-mapped IPv6 included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/addr.h"

static vx__addr_class class_of(const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(vx__addr_parse(text, 53, &ss, &len), VX_OK);
    return vx__addr_classify((struct sockaddr *)&ss);
}

typedef struct case_ {
    const char *addr;
    vx__addr_class cls;
} case_;

static void check_cases(const case_ *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vx__addr_class got = class_of(cases[i].addr);
        if (got != cases[i].cls)
            fail_msg("%s: got %s, want %s", cases[i].addr, vx__addr_class_name(got),
                     vx__addr_class_name(cases[i].cls));
    }
}

static void test_classify_v4(void **state)
{
    (void)state;
    static const case_ cases[] = {
        {"0.0.0.0", VX__ADDR_UNSPECIFIED},
        {"0.255.255.255", VX__ADDR_UNSPECIFIED},
        {"1.0.0.0", VX__ADDR_PUBLIC},
        {"9.255.255.255", VX__ADDR_PUBLIC},
        {"10.0.0.0", VX__ADDR_PRIVATE},
        {"10.255.255.255", VX__ADDR_PRIVATE},
        {"11.0.0.0", VX__ADDR_PUBLIC},
        {"100.63.255.255", VX__ADDR_PUBLIC},
        {"100.64.0.0", VX__ADDR_CGNAT},
        {"100.127.255.255", VX__ADDR_CGNAT},
        {"100.128.0.0", VX__ADDR_PUBLIC},
        {"126.255.255.255", VX__ADDR_PUBLIC},
        {"127.0.0.0", VX__ADDR_LOOPBACK},
        {"127.0.0.1", VX__ADDR_LOOPBACK},
        {"127.255.255.255", VX__ADDR_LOOPBACK},
        {"128.0.0.0", VX__ADDR_PUBLIC},
        {"169.253.255.255", VX__ADDR_PUBLIC},
        {"169.254.0.0", VX__ADDR_LINK_LOCAL},
        {"169.254.255.255", VX__ADDR_LINK_LOCAL},
        {"169.255.0.0", VX__ADDR_PUBLIC},
        {"172.15.255.255", VX__ADDR_PUBLIC},
        {"172.16.0.0", VX__ADDR_PRIVATE},
        {"172.31.255.255", VX__ADDR_PRIVATE},
        {"172.32.0.0", VX__ADDR_PUBLIC},
        {"192.0.0.0", VX__ADDR_RESERVED},
        {"192.0.0.255", VX__ADDR_RESERVED},
        {"192.0.1.255", VX__ADDR_PUBLIC},
        {"192.0.2.0", VX__ADDR_DOCUMENTATION},
        {"192.0.2.255", VX__ADDR_DOCUMENTATION},
        {"192.0.3.0", VX__ADDR_PUBLIC},
        {"192.88.99.1", VX__ADDR_RESERVED},
        {"192.167.255.255", VX__ADDR_PUBLIC},
        {"192.168.0.0", VX__ADDR_PRIVATE},
        {"192.168.255.255", VX__ADDR_PRIVATE},
        {"192.169.0.0", VX__ADDR_PUBLIC},
        {"198.17.255.255", VX__ADDR_PUBLIC},
        {"198.18.0.0", VX__ADDR_BENCHMARKING},
        {"198.19.255.255", VX__ADDR_BENCHMARKING},
        {"198.20.0.0", VX__ADDR_PUBLIC},
        {"198.51.99.255", VX__ADDR_PUBLIC},
        {"198.51.100.0", VX__ADDR_DOCUMENTATION},
        {"198.51.100.255", VX__ADDR_DOCUMENTATION},
        {"198.51.101.0", VX__ADDR_PUBLIC},
        {"203.0.112.255", VX__ADDR_PUBLIC},
        {"203.0.113.0", VX__ADDR_DOCUMENTATION},
        {"203.0.113.255", VX__ADDR_DOCUMENTATION},
        {"203.0.114.0", VX__ADDR_PUBLIC},
        {"223.255.255.255", VX__ADDR_PUBLIC},
        {"224.0.0.0", VX__ADDR_MULTICAST},
        {"239.255.255.255", VX__ADDR_MULTICAST},
        {"240.0.0.0", VX__ADDR_RESERVED},
        {"255.255.255.254", VX__ADDR_RESERVED},
        {"255.255.255.255", VX__ADDR_RESERVED},
        {"8.8.8.8", VX__ADDR_PUBLIC},
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_classify_v6(void **state)
{
    (void)state;
    static const case_ cases[] = {
        {"::", VX__ADDR_UNSPECIFIED},
        {"::1", VX__ADDR_LOOPBACK},
        {"::2", VX__ADDR_RESERVED},
        {"::ffff:192.0.2.1", VX__ADDR_DOCUMENTATION},
        {"::ffff:10.1.2.3", VX__ADDR_PRIVATE},
        {"::ffff:127.0.0.1", VX__ADDR_LOOPBACK},
        {"::ffff:100.64.0.1", VX__ADDR_CGNAT},
        {"::ffff:8.8.8.8", VX__ADDR_PUBLIC},
        {"::ffff:0.0.0.0", VX__ADDR_UNSPECIFIED},
        {"64:ff9b::192.0.2.1", VX__ADDR_PUBLIC},
        {"100::", VX__ADDR_RESERVED},
        {"100::ffff:ffff:ffff:ffff", VX__ADDR_RESERVED},
        {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_RESERVED},
        {"2000::", VX__ADDR_PUBLIC},
        {"2001::", VX__ADDR_RESERVED},
        {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_RESERVED},
        {"2001:200::", VX__ADDR_PUBLIC},
        {"2001:1:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_RESERVED},
        {"2001:2::", VX__ADDR_BENCHMARKING},
        {"2001:2:0:ffff:ffff:ffff:ffff:ffff", VX__ADDR_BENCHMARKING},
        {"2001:2:1::", VX__ADDR_RESERVED},
        {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_PUBLIC},
        {"2001:db8::", VX__ADDR_DOCUMENTATION},
        {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_DOCUMENTATION},
        {"2001:db9::", VX__ADDR_PUBLIC},
        {"2a00:1450::1", VX__ADDR_PUBLIC},
        {"3ffe:ffff::", VX__ADDR_PUBLIC},
        {"3fff::", VX__ADDR_DOCUMENTATION},
        {"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_DOCUMENTATION},
        {"3fff:1000::", VX__ADDR_PUBLIC},
        {"4000::", VX__ADDR_RESERVED},
        {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_RESERVED},
        {"fc00::", VX__ADDR_ULA},
        {"fd12:3456::1", VX__ADDR_ULA},
        {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_ULA},
        {"fe00::", VX__ADDR_RESERVED},
        {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_RESERVED},
        {"fe80::", VX__ADDR_LINK_LOCAL},
        {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_LINK_LOCAL},
        {"fec0::", VX__ADDR_RESERVED},
        {"ff00::", VX__ADDR_MULTICAST},
        {"ff02::1", VX__ADDR_MULTICAST},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", VX__ADDR_MULTICAST},
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_class_names_and_internal(void **state)
{
    (void)state;
    assert_string_equal(vx__addr_class_name(VX__ADDR_PUBLIC), "public");
    assert_string_equal(vx__addr_class_name(VX__ADDR_CGNAT), "cgnat");
    assert_string_equal(vx__addr_class_name(VX__ADDR_DOCUMENTATION), "documentation");
    assert_string_equal(vx__addr_class_name(VX__ADDR_RESERVED), "reserved");
    assert_string_equal(vx__addr_class_name((vx__addr_class)99), "unknown");
    const vx__addr_class internal[] = {VX__ADDR_PRIVATE, VX__ADDR_LOOPBACK, VX__ADDR_LINK_LOCAL,
                                       VX__ADDR_CGNAT,   VX__ADDR_ULA,      VX__ADDR_UNSPECIFIED};
    const vx__addr_class external[] = {VX__ADDR_PUBLIC, VX__ADDR_DOCUMENTATION,
                                       VX__ADDR_BENCHMARKING, VX__ADDR_MULTICAST,
                                       VX__ADDR_RESERVED};
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++)
        assert_true(vx__addr_is_internal(internal[i]));
    for (size_t i = 0; i < sizeof external / sizeof external[0]; i++)
        assert_false(vx__addr_is_internal(external[i]));
    struct sockaddr sa = {.sa_family = AF_UNIX};
    assert_int_equal(vx__addr_classify(&sa), VX__ADDR_RESERVED);
    assert_int_equal(vx__addr_classify(NULL), VX__ADDR_RESERVED);
}

static void expect_parse(const char *text, int family, const char *addr, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char out[VX__ADDR_TEXT_MAX];
    assert_int_equal(vx__addr_parse(text, 53, &ss, &len), VX_OK);
    assert_int_equal(ss.ss_family, family);
    assert_int_equal(len,
                     family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    assert_int_equal(len, vx__addr_len((struct sockaddr *)&ss));
    assert_int_equal(vx__addr_format((struct sockaddr *)&ss, out, sizeof out), VX_OK);
    assert_string_equal(out, addr);
    uint16_t got = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                     : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    assert_int_equal(got, port);
}

static void test_parse_good(void **state)
{
    (void)state;
    expect_parse("192.0.2.1", AF_INET, "192.0.2.1", 53);
    expect_parse("192.0.2.1:5353", AF_INET, "192.0.2.1", 5353);
    expect_parse("192.0.2.1:1", AF_INET, "192.0.2.1", 1);
    expect_parse("192.0.2.1:65535", AF_INET, "192.0.2.1", 65535);
    expect_parse("2001:db8::1", AF_INET6, "2001:db8::1", 53);
    expect_parse("2001:DB8::1", AF_INET6, "2001:db8::1", 53);
    expect_parse("[2001:db8::1]:5353", AF_INET6, "2001:db8::1", 5353);
    expect_parse("[2001:db8::1]", AF_INET6, "2001:db8::1", 53);
    expect_parse("::1", AF_INET6, "::1", 53);
    expect_parse("[::ffff:192.0.2.1]:53", AF_INET6, "::ffff:192.0.2.1", 53);
}

static void test_parse_bad(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "garbage",
        "192.0.2",
        "192.0.2.256",
        "192.0.2.1.",
        "192.0.2.1 ",
        " 192.0.2.1",
        "192.0.2.1:",
        "192.0.2.1:0",
        "192.0.2.1:65536",
        "192.0.2.1:99999999999999999999",
        "192.0.2.1:53x",
        "192.0.2.1:-1",
        "192.0.2.1:+53",
        "192.0.2.1:0x35",
        "192.0.2.1:53:53",
        "192.0.2.01",
        "[192.0.2.1]:53",
        "2001:db8::1::2",
        "2001:db8:::1",
        "[2001:db8::1",
        "[2001:db8::1]:",
        "[2001:db8::1]53",
        "[2001:db8::1]:0",
        "[2001:db8::1]:65536",
        "[2001:db8::1]:53 ",
        "[]:53",
        "[]",
        "2001:db8::g",
        "fe80::1%eth0",
        "example.com",
        "example.com:53",
        "0x7f.0.0.1",
        "[2001:db8::1]]:53",
        "2001:db8:0:0:0:0:0:0:1",
    };
    struct sockaddr_storage ss;
    socklen_t len;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (vx__addr_parse(bad[i], 53, &ss, &len) != VX_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(vx__addr_parse(NULL, 53, &ss, &len), VX_EINVAL);
    char longtext[200];
    memset(longtext, '1', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    assert_int_equal(vx__addr_parse(longtext, 53, &ss, &len), VX_EINVAL);
}

static void sockaddr_of(const char *text, struct sockaddr_storage *ss)
{
    socklen_t len;
    assert_int_equal(vx__addr_parse(text, 53, ss, &len), VX_OK);
}

static void test_format_port_and_prefix(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    char out[VX__ADDR_TEXT_MAX];
    sockaddr_of("192.0.2.77:5060", &ss);
    assert_int_equal(vx__addr_format_port((struct sockaddr *)&ss, out, sizeof out), VX_OK);
    assert_string_equal(out, "192.0.2.77:5060");
    assert_int_equal(vx__addr_prefix((struct sockaddr *)&ss, out, sizeof out), VX_OK);
    assert_string_equal(out, "192.0.2.0/24");
    sockaddr_of("[2001:db8:a:b:c::1]:53", &ss);
    assert_int_equal(vx__addr_format_port((struct sockaddr *)&ss, out, sizeof out), VX_OK);
    assert_string_equal(out, "[2001:db8:a:b:c::1]:53");
    assert_int_equal(vx__addr_prefix((struct sockaddr *)&ss, out, sizeof out), VX_OK);
    assert_string_equal(out, "2001:db8:a::/48");
    sockaddr_of("2001:db8:ffff:ffff::1", &ss);
    assert_int_equal(vx__addr_prefix((struct sockaddr *)&ss, out, sizeof out), VX_OK);
    assert_string_equal(out, "2001:db8:ffff::/48");
    sockaddr_of("203.0.113.255", &ss);
    assert_int_equal(vx__addr_prefix((struct sockaddr *)&ss, out, sizeof out), VX_OK);
    assert_string_equal(out, "203.0.113.0/24");
    /* the prefix does not change the address it was given */
    assert_int_equal(vx__addr_format((struct sockaddr *)&ss, out, sizeof out), VX_OK);
    assert_string_equal(out, "203.0.113.255");
    /* too small buffers */
    sockaddr_of("192.0.2.77:5060", &ss);
    assert_int_equal(vx__addr_format_port((struct sockaddr *)&ss, out, 15), VX_EINVAL);
    assert_int_equal(vx__addr_format_port((struct sockaddr *)&ss, out, 16), VX_OK);
    assert_int_equal(vx__addr_format((struct sockaddr *)&ss, out, 10), VX_EINVAL);
    assert_int_equal(vx__addr_prefix((struct sockaddr *)&ss, out, 12), VX_EINVAL);
    struct sockaddr unix_sa = {.sa_family = AF_UNIX};
    assert_int_equal(vx__addr_format(&unix_sa, out, sizeof out), VX_EINVAL);
    assert_int_equal(vx__addr_prefix(&unix_sa, out, sizeof out), VX_EINVAL);
    assert_int_equal(vx__addr_len(&unix_sa), 0);
}

static void test_equal(void **state)
{
    (void)state;
    struct sockaddr_storage a, b;
    sockaddr_of("192.0.2.1:53", &a);
    sockaddr_of("192.0.2.1", &b);
    assert_true(vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
    sockaddr_of("192.0.2.1:54", &b);
    assert_false(vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
    sockaddr_of("192.0.2.2:53", &b);
    assert_false(vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
    sockaddr_of("::ffff:192.0.2.1", &b); /* same host, other family: another socket address */
    assert_false(vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
    sockaddr_of("[2001:db8::1]:53", &a);
    sockaddr_of("2001:0db8:0::1", &b);
    assert_true(vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
    sockaddr_of("[2001:db8::1]:5353", &b);
    assert_false(vx__addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
    assert_false(vx__addr_equal(NULL, (struct sockaddr *)&b));
}

static bool in_block(const char *block, const char *addr)
{
    vx__addr_block b;
    struct sockaddr_storage a;
    assert_int_equal(vx__addr_block_parse(block, &b), VX_OK);
    sockaddr_of(addr, &a);
    return vx__addr_block_contains(&b, (struct sockaddr *)&a);
}

/* notify_allow's blocks: edges, single addresses, mapped IPv4, and the text refused. */
static void test_blocks(void **state)
{
    (void)state;
    assert_true(in_block("198.18.80.0/24", "198.18.80.255"));
    assert_false(in_block("198.18.80.0/24", "198.18.81.0"));
    assert_true(in_block("198.18.80.0/23", "198.18.81.7"));
    assert_true(in_block("198.18.80.1", "198.18.80.1:53"));
    assert_false(in_block("198.18.80.1", "198.18.80.2"));
    assert_true(in_block("198.18.80.1", "::ffff:198.18.80.1"));
    assert_true(in_block("0.0.0.0/0", "203.0.113.9"));
    assert_false(in_block("0.0.0.0/0", "2001:db8::1"));
    assert_true(in_block("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(in_block("2001:db8::/33", "2001:db8:8000::1"));
    assert_true(in_block("2001:db8:83::1", "2001:db8:83::1"));
    vx__addr_block b;
    assert_int_equal(vx__addr_block_parse("198.18.80.1/24", &b), VX_EINVAL); /* host bits */
    assert_int_equal(vx__addr_block_parse("198.18.80.0/33", &b), VX_EINVAL);
    assert_int_equal(vx__addr_block_parse("198.18.80.0/", &b), VX_EINVAL);
    assert_int_equal(vx__addr_block_parse("198.18.80.0/-1", &b), VX_EINVAL);
    assert_int_equal(vx__addr_block_parse("2001:db8::/129", &b), VX_EINVAL);
    assert_int_equal(vx__addr_block_parse("ns1.example.net", &b), VX_EINVAL);
    assert_int_equal(vx__addr_block_parse("", &b), VX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_v4),
        cmocka_unit_test(test_classify_v6),
        cmocka_unit_test(test_class_names_and_internal),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_format_port_and_prefix),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
