/* tests/unit/test_hints.c — root hints: the built-in IANA set and the hints-file parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "probe/hints.h"
#include "voxdns/status.h"
#include "wire/addr.h"

static int parse(const char *text, vx__server_set *set, char *err, size_t cap)
{
    return vx__hints_parse(text, strlen(text), set, err, cap);
}

static void builtin_has_13_roots_in_both_families(void **state)
{
    (void)state;
    vx__server_set set;
    assert_int_equal(vx__hints_builtin(&set), VX_OK);
    assert_int_equal(set.count, 26);
    assert_string_equal(set.items[0].name, "a.root-servers.net.");
    assert_int_equal(set.items[0].addr.ss_family, AF_INET);
    assert_int_equal(set.items[13].addr.ss_family, AF_INET6);
    vx__server_set_clear(&set);
}

static void parses_named_root_format(void **state)
{
    (void)state;
    const char *text = "; lab hints\n"
                       ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
                       "A.ROOT-SERVERS.NET.      3600000      A     198.18.0.1\n"
                       "A.ROOT-SERVERS.NET.      3600000      AAAA  2001:db8:ffff::1\n"
                       ".  IN 3600000 NS b.root-servers.net.\n"
                       "b.root-servers.net. A 198.18.1.1 ; comment\n"
                       "\n"
                       "stray.example. A 192.0.2.99\n";
    vx__server_set set;
    char err[128] = "";
    assert_int_equal(parse(text, &set, err, sizeof(err)), VX_OK);
    assert_int_equal(set.count, 3);
    char addr[VX__ADDR_TEXT_MAX];
    vx__addr_format((struct sockaddr *)&set.items[0].addr, addr, sizeof(addr));
    assert_string_equal(addr, "198.18.0.1");
    assert_string_equal(set.items[1].name, "b.root-servers.net.");
    assert_int_equal(set.items[2].addr.ss_family, AF_INET6); /* v4 first */
    vx__server_set_clear(&set);
}

static void expect_error(const char *text, const char *fragment)
{
    vx__server_set set;
    char err[128] = "";
    assert_int_equal(parse(text, &set, err, sizeof(err)), VX_EMALFORMED);
    assert_non_null(strstr(err, fragment));
    assert_int_equal(set.count, 0);
}

static void rejects_bad_files_with_line_numbers(void **state)
{
    (void)state;
    expect_error(". NS a.root.\na.root. A 300.1.1.1\n", "line 2: invalid IPv4 address");
    expect_error(". NS a.root.\na.root. AAAA 192.0.2.1\n", "line 2: invalid IPv6 address");
    expect_error(". NS a.root.\na.root. MX 10 mail.\n", "line 2:");
    expect_error("example. NS a.root.\n", "line 1: NS record for a name other than the root");
    expect_error(". NS\n", "line 1: expected");
    expect_error(". NS a..root.\n", "line 1: invalid name server name");
    expect_error("", "no address for any root name server");
    expect_error(". NS a.root.\nb.root. A 192.0.2.1\n", "no address for any root name server");
}

static void rejects_nul_and_long_lines(void **state)
{
    (void)state;
    char text[2048];
    memset(text, 'a', sizeof(text));
    vx__server_set set;
    char err[128] = "";
    assert_int_equal(vx__hints_parse(text, sizeof(text), &set, err, sizeof(err)), VX_EMALFORMED);
    assert_non_null(strstr(err, "line 1: line too long"));
    const char nul[] = ". NS a.root.\0\n";
    assert_int_equal(vx__hints_parse(nul, sizeof(nul) - 1, &set, err, sizeof(err)), VX_EMALFORMED);
    assert_non_null(strstr(err, "NUL"));
}

static void load_reports_unreadable_file(void **state)
{
    (void)state;
    vx__server_set set;
    char err[256] = "";
    assert_int_equal(vx__hints_load("/nonexistent/hints", &set, err, sizeof(err)), VX_EIO);
    assert_non_null(strstr(err, "/nonexistent/hints: No such file"));
    assert_int_equal(vx__hints_load("/", &set, err, sizeof(err)), VX_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_has_13_roots_in_both_families),
        cmocka_unit_test(parses_named_root_format),
        cmocka_unit_test(rejects_bad_files_with_line_numbers),
        cmocka_unit_test(rejects_nul_and_long_lines),
        cmocka_unit_test(load_reports_unreadable_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
