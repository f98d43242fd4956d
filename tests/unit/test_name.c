/*
 * tests/unit/test_name.c — name normalisation (case, trailing dot, limits, forbidden characters,
 * escapes), subdomain and bailiwick edges (label boundaries, the root), registrable domains
 * through the public suffix list, parent and label count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "voxdns/status.h"
#include "wire/name.h"
#include "wire/rrutil.h"

static void expect_norm(const char *in, const char *want)
{
    char out[VX__NAME_TEXT_MAX];
    assert_int_equal(vx__name_normalize(in, out, sizeof out), VX_OK);
    assert_string_equal(out, want);
}

static void expect_norm_bad(const char *in)
{
    char out[VX__NAME_TEXT_MAX];
    assert_int_equal(vx__name_normalize(in, out, sizeof out), VX_EINVAL);
}

static void test_normalize_forms(void **state)
{
    (void)state;
    expect_norm("Example.COM", "example.com.");
    expect_norm("example.com.", "example.com.");
    expect_norm(".", ".");
    expect_norm("_sip._UDP.example.com", "_sip._udp.example.com.");
    expect_norm("*.example.com", "*.example.com.");
    expect_norm("xn--bcher-kva.de", "xn--bcher-kva.de.");
    expect_norm("0-9.example", "0-9.example.");
    /* escapes are accepted and come out in the one canonical spelling */
    expect_norm("\\065BC.com", "abc.com.");
    expect_norm("a\\@b.com", "a\\@b.com.");
    expect_norm("a\\ b.com", "a\\032b.com.");
    expect_norm("a\\.b.com", "a\\.b.com.");
}

static void test_normalize_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "",        "..",         "a..b",         ".a",   "a..",       "exa mple.com",
        "a@b.com", "a/b.com",    "ex!ample.com", "a:b",  "a,b",       "caf\xc3\xa9.fr",
        "\\",      "a\\256.com", "(x).com",      "a\"b", "tab\there",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_norm_bad(bad[i]);
    char out[VX__NAME_TEXT_MAX];
    assert_int_equal(vx__name_normalize(NULL, out, sizeof out), VX_EINVAL);
    assert_int_equal(vx__name_normalize("example.com", out, 12), VX_EINVAL);
    assert_int_equal(vx__name_normalize("example.com", out, 13), VX_OK);
}

static void test_normalize_limits(void **state)
{
    (void)state;
    char name[400];
    memset(name, 'a', 63);
    strcpy(name + 63, ".com");
    char out[VX__NAME_TEXT_MAX];
    assert_int_equal(vx__name_normalize(name, out, sizeof out), VX_OK);
    memset(name, 'a', 64);
    strcpy(name + 64, ".com");
    expect_norm_bad(name);
    /* 3 x 64 + 62 + 1 = 255 octets; one more is too long */
    memset(name, 'b', sizeof name);
    name[63] = name[127] = name[191] = '.';
    name[253] = '\0';
    assert_int_equal(vx__name_normalize(name, out, sizeof out), VX_OK);
    assert_int_equal(strlen(out), 254);
    name[253] = 'b';
    name[254] = '\0';
    expect_norm_bad(name);
}

/* A legal name with a character a host name may not hold ('/'): escaped in the text form, so
 * that normalising it again gives the same text (the snapshot saves what it loaded), and taken
 * from an SRV target as that same text (the audit follows it). */
static void test_escaped_round_trip(void **state)
{
    (void)state;
    expect_norm("sip\\/1.example.com.", "sip\\/1.example.com.");
    expect_norm("SIP\\0471.Example.COM", "sip\\/1.example.com.");
    expect_norm("a\\+b\\!c.example.", "a\\+b\\!c.example.");
    expect_norm_bad("sip/1.example.com.");
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr,
                                         "_sip._udp.example.com. 60 IN SRV 10 5 5060 "
                                         "sip\\/1.example.net.",
                                         0, NULL, NULL),
                     LDNS_STATUS_OK);
    char target[VX__NAME_TEXT_MAX];
    assert_int_equal(vx__rr_dname(rr, 3, target, sizeof target), VX_OK);
    assert_string_equal(target, "sip\\/1.example.net.");
    ldns_rr_free(rr);
}

static void test_subdomain(void **state)
{
    (void)state;
    assert_true(vx__name_is_subdomain("a.b.example.com.", "example.com."));
    assert_true(vx__name_is_subdomain("example.com", "example.com."));
    assert_true(vx__name_is_subdomain("EXAMPLE.com", "example.COM"));
    assert_true(vx__name_is_subdomain("sip.example.com", "com"));
    assert_true(vx__name_is_subdomain("anything.at.all", "."));
    assert_true(vx__name_is_subdomain(".", "."));
    assert_false(vx__name_is_subdomain("badexample.com", "example.com"));
    assert_false(vx__name_is_subdomain("example.com", "badexample.com"));
    assert_false(vx__name_is_subdomain("xexample.com.", "example.com."));
    assert_false(vx__name_is_subdomain("com", "example.com"));
    assert_false(vx__name_is_subdomain(".", "com"));
    assert_false(vx__name_is_subdomain("example.com.evil.net", "example.com"));
    assert_false(vx__name_is_subdomain("example.co", "example.com"));
    assert_false(vx__name_is_subdomain("example.comm", "example.com"));
    /* an escaped dot is not a label boundary */
    assert_false(vx__name_is_subdomain("a\\.example.com", "example.com"));
    assert_false(vx__name_is_subdomain("x.a\\.b.com", "b.com.x"));
    assert_true(vx__name_is_subdomain("x.a\\.b.com", "a\\.b.com"));
    assert_false(vx__name_is_subdomain("x.a\\.b.com", "b.com"));
    /* invalid names are under nothing */
    assert_false(vx__name_is_subdomain("a..b", "."));
    assert_false(vx__name_is_subdomain("a.b", "a..b"));
    assert_false(vx__name_is_subdomain(NULL, "."));
}

static void test_bailiwick(void **state)
{
    (void)state;
    assert_true(vx__name_in_bailiwick("ns1.example.com.", "example.com."));
    assert_true(vx__name_in_bailiwick("example.com.", "example.com."));
    assert_false(vx__name_in_bailiwick("ns1.badexample.com.", "example.com."));
    assert_false(vx__name_in_bailiwick("ns1.example.net.", "example.com."));
    assert_false(vx__name_in_bailiwick("com.", "example.com."));
}

static void expect_registrable(const char *in, const char *want)
{
    char out[VX__NAME_TEXT_MAX];
    assert_int_equal(vx__name_registrable(in, out, sizeof out), VX_OK);
    assert_string_equal(out, want);
}

static void test_registrable(void **state)
{
    (void)state;
    char out[VX__NAME_TEXT_MAX];
    expect_registrable("ns1.example.co.uk.", "example.co.uk.");
    expect_registrable("example.co.uk", "example.co.uk.");
    expect_registrable("WWW.Example.COM", "example.com.");
    expect_registrable("a.b.c.example.com", "example.com.");
    expect_registrable("_sip._udp.example.org.", "example.org.");
    assert_int_equal(vx__name_registrable("co.uk.", out, sizeof out), VX_ENOTFOUND);
    assert_int_equal(vx__name_registrable("com", out, sizeof out), VX_ENOTFOUND);
    assert_int_equal(vx__name_registrable("uk.", out, sizeof out), VX_ENOTFOUND);
    assert_int_equal(vx__name_registrable(".", out, sizeof out), VX_ENOTFOUND);
    assert_int_equal(vx__name_registrable("a..b", out, sizeof out), VX_EINVAL);
    assert_int_equal(vx__name_registrable("x.example.com", out, 12), VX_EINVAL);
    assert_int_equal(vx__name_registrable("x.example.com", out, 13), VX_OK);
    assert_string_equal(out, "example.com.");
}

static void test_parent(void **state)
{
    (void)state;
    char out[VX__NAME_TEXT_MAX];
    assert_int_equal(vx__name_parent("example.com.", out, sizeof out), VX_OK);
    assert_string_equal(out, "com.");
    assert_int_equal(vx__name_parent("com.", out, sizeof out), VX_OK);
    assert_string_equal(out, ".");
    assert_int_equal(vx__name_parent("A.Example.COM", out, sizeof out), VX_OK);
    assert_string_equal(out, "example.com.");
    assert_int_equal(vx__name_parent("a\\.b.example.com", out, sizeof out), VX_OK);
    assert_string_equal(out, "example.com.");
    assert_int_equal(vx__name_parent(".", out, sizeof out), VX_ENOTFOUND);
    assert_int_equal(vx__name_parent("a..b", out, sizeof out), VX_EINVAL);
}

static void test_label_count(void **state)
{
    (void)state;
    assert_int_equal(vx__name_label_count("."), 0);
    assert_int_equal(vx__name_label_count("com"), 1);
    assert_int_equal(vx__name_label_count("example.com."), 2);
    assert_int_equal(vx__name_label_count("example.com"), 2);
    assert_int_equal(vx__name_label_count("a\\.b.com"), 2);
    assert_int_equal(vx__name_label_count("_sip._udp.example.com"), 4);
    assert_int_equal(vx__name_label_count("a..b"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_forms),
        cmocka_unit_test(test_normalize_rejects),
        cmocka_unit_test(test_normalize_limits),
        cmocka_unit_test(test_subdomain),
        cmocka_unit_test(test_bailiwick),
        cmocka_unit_test(test_registrable),
        cmocka_unit_test(test_parent),
        cmocka_unit_test(test_label_count),
        cmocka_unit_test(test_escaped_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
