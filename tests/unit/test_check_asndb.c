/*
 * tests/unit/test_check_asndb.c — the pfx2as parser (multi-origin and AS-set ASNs, comments,
 * CRLF, host bits) with its "line N: reason" errors, and longest-prefix lookup for IPv4 and
 * IPv6, including a table large enough to exercise the binary searches.
 */
#include "check_fixture.h"

static uint32_t lookup(const vx__asndb *db, const char *addr)
{
    struct sockaddr_storage ss;
    fx_addr(addr, &ss);
    return vx__asndb_lookup(db, (struct sockaddr *)&ss);
}

static void test_parse_and_lookup(void **state)
{
    (void)state;
    const char text[] = "# RouteViews pfx2as\n"
                        "192.0.2.0\t24\t64500\n"
                        "192.0.0.0\t16\t64501_64502\r\n"
                        "192.0.2.128\t25\t64503,64504\n"
                        "\n"
                        "10.0.0.7\t8\t{64505}\n" /* host bits: cleared */
                        "2001:db8::\t32\t64510\n"
                        "2001:db8:a::\t48\t64511\n";
    vx__asndb *db = NULL;
    char err[128] = "x";
    assert_int_equal(vx__asndb_parse(text, strlen(text), &db, err, sizeof err), VX_OK);
    assert_string_equal(err, "");
    assert_int_equal(vx__asndb_size(db), 6);
    assert_int_equal(lookup(db, "192.0.2.1"), 64500);
    assert_int_equal(lookup(db, "192.0.2.200"), 64503);
    assert_int_equal(lookup(db, "192.0.3.1"), 64501);
    assert_int_equal(lookup(db, "10.200.1.1"), 64505);
    assert_int_equal(lookup(db, "198.51.100.1"), 0);
    assert_int_equal(lookup(db, "2001:db8:a::1"), 64511);
    assert_int_equal(lookup(db, "2001:db8:b::1"), 64510);
    assert_int_equal(lookup(db, "2001:db9::1"), 0);
    assert_int_equal(vx__asndb_lookup(NULL, NULL), 0);
    vx__asndb_free(db);
}

static void expect_error(const char *text, const char *want)
{
    vx__asndb *db = (vx__asndb *)&db;
    char err[128] = "";
    assert_int_equal(vx__asndb_parse(text, strlen(text), &db, err, sizeof err), VX_EMALFORMED);
    assert_null(db);
    assert_string_equal(err, want);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", "line 1: no prefixes (empty file)");
    expect_error("# only a comment\n", "line 1: no prefixes (empty file)");
    expect_error("192.0.2.0\t24\t1\n192.0.2.0\t33\t1\n", "line 2: prefix length must be 0-32");
    expect_error("2001:db8::\t129\t1\n", "line 1: prefix length must be 0-128");
    expect_error("192.0.2.0\t24\n", "line 1: expected prefix, length and ASN");
    expect_error("192.0.2\t24\t1\n", "line 1: bad prefix address");
    expect_error("192.0.2.0\t24\tAS1\n", "line 1: bad ASN");
    expect_error("192.0.2.0\t24\t4294967296\n", "line 1: bad ASN");
    expect_error("192.0.2.0\t24\t0\n", "line 1: ASN 0 is not an origin");
    expect_error("192.0.2.0\t24\t1\textra\n", "line 1: unexpected text after the ASN");
    expect_error("1.2.3.4\t24\t1\n\n\n5.6.7.8\tx\t1\n", "line 4: prefix length must be 0-32");
    const char nul[] = "192.0.2.0\t24\t1\n19\0002.0.2.0\t24\t1\n";
    vx__asndb *db = NULL;
    char err[64];
    assert_int_equal(vx__asndb_parse(nul, sizeof nul - 1, &db, err, sizeof err), VX_EMALFORMED);
    assert_string_equal(err, "line 2: NUL byte");
}

/* 64k /24s and 4k /16s: every /24 answers its own ASN, the rest of a /16 the /16's. */
static void test_large_table(void **state)
{
    (void)state;
    size_t cap = 70000 * 32, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (unsigned a = 1; a <= 16; a++)
        for (unsigned b = 0; b < 256; b++) {
            len += (size_t)snprintf(text + len, cap - len, "%u.%u.0.0\t16\t%u\n", a, b,
                                    100000 + a * 256 + b);
            for (unsigned c = 0; c < 16; c++)
                len += (size_t)snprintf(text + len, cap - len, "%u.%u.%u.0\t24\t%u\n", a, b, c,
                                        a * 65536 + b * 256 + c + 1);
        }
    vx__asndb *db = NULL;
    assert_int_equal(vx__asndb_parse(text, len, &db, NULL, 0), VX_OK);
    assert_int_equal(vx__asndb_size(db), 16 * 256 * 17);
    assert_int_equal(lookup(db, "7.200.3.9"), 7 * 65536 + 200 * 256 + 3 + 1);
    assert_int_equal(lookup(db, "7.200.99.9"), 100000 + 7 * 256 + 200);
    assert_int_equal(lookup(db, "17.0.0.1"), 0);
    vx__asndb_free(db);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_lookup),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_large_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
