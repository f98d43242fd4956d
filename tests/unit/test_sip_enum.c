/*
 * tests/unit/test_sip_enum.c — ENUM: E.164 validation and the e164.arpa. name, the RFC 3402
 * substitution expression (delimiters, escapes, back-references, the "i" flag, limits), and
 * the choice of "E2U+sip" records into ordered SIP URIs; malformed input gets a clear error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sip/enum.h"
#include "voxdns/status.h"

static void domain_ok(const char *number, const char *apex, const char *want)
{
    char out[1100], err[256] = "";
    int rc = vx__enum_domain(number, apex, out, sizeof out, err, sizeof err);
    if (rc != VX_OK)
        fail_msg("'%s' refused: %s", number, err);
    assert_string_equal(out, want);
}

static void number_bad(const char *number, const char *want)
{
    char out[1100], err[256] = "";
    assert_int_equal(vx__enum_domain(number, NULL, out, sizeof out, err, sizeof err), VX_EINVAL);
    if (!strstr(err, want))
        fail_msg("'%s': error '%s' does not say '%s'", number, err, want);
}

static void test_domain(void **state)
{
    (void)state;
    domain_ok("+44 20 7946 0000", NULL, "0.0.0.0.6.4.9.7.0.2.4.4.e164.arpa.");
    domain_ok("+1-202-555-0100", NULL, "0.0.1.0.5.5.5.2.0.2.1.e164.arpa.");
    domain_ok("+33.1.23.45.67.89", NULL, "9.8.7.6.5.4.3.2.1.3.3.e164.arpa.");
    domain_ok("+1", NULL, "1.e164.arpa.");
    domain_ok("+123456789012345", NULL, "5.4.3.2.1.0.9.8.7.6.5.4.3.2.1.e164.arpa.");
    domain_ok("+4420", "E164.Example.NET", "0.2.4.4.e164.example.net.");
    char aus[VX__ENUM_AUS_MAX];
    assert_int_equal(vx__enum_normalize("+44 20  7946-0000", aus, sizeof aus, NULL, 0), VX_OK);
    assert_string_equal(aus, "+442079460000");
    assert_int_equal(vx__enum_normalize("+4420", aus, 5, NULL, 0), VX_EINVAL); /* no room */
}

static void test_bad_numbers(void **state)
{
    (void)state;
    number_bad("", "starts with '+'");
    number_bad("442079460000", "starts with '+'");
    number_bad("+", "no digits");
    number_bad("+ 44 20", "separator right after '+'");
    number_bad("+44 20 ", "ends with a separator");
    number_bad("+44 (20) 7946", "invalid character '('");
    number_bad("+44a20", "invalid character 'a'");
    number_bad("+4420\n", "invalid character '?'");
    number_bad("++4420", "invalid character '+'");
    number_bad("+0123", "country code does not start with 0");
    number_bad("+1234567890123456", "more than 15 digits");
    char out[64], err[128];
    assert_int_equal(vx__enum_domain(NULL, NULL, out, sizeof out, err, sizeof err), VX_EINVAL);
    assert_int_equal(vx__enum_domain("+4420", "bad..apex", out, sizeof out, err, sizeof err),
                     VX_EINVAL);
    assert_non_null(strstr(err, "invalid ENUM apex"));
    assert_int_equal(vx__enum_domain("+442079460000", NULL, out, 10, err, sizeof err), VX_EINVAL);
}

static void rewrite_ok(const char *re, const char *aus, const char *want)
{
    char out[VX__ENUM_URI_MAX], err[256] = "";
    int rc = vx__enum_regexp_apply(re, aus, out, sizeof out, err, sizeof err);
    if (rc != VX_OK)
        fail_msg("'%s' on %s: %s", re, aus, err);
    assert_string_equal(out, want);
}

static void rewrite_bad(const char *re, int status, const char *want)
{
    char out[VX__ENUM_URI_MAX], err[256] = "";
    int rc = vx__enum_regexp_apply(re, "+442079460000", out, sizeof out, err, sizeof err);
    if (rc != status || !strstr(err, want))
        fail_msg("'%s': %d '%s', wanted %d '%s'", re, rc, err, status, want);
}

static void test_regexp_rewrite(void **state)
{
    (void)state;
    rewrite_ok("!^.*$!sip:info@example.com!", "+442079460000", "sip:info@example.com");
    rewrite_ok("!^\\+44(.*)$!sip:0\\1@example.co.uk!", "+442079460000",
               "sip:02079460000@example.co.uk");
    rewrite_ok("!^(\\+44)(20)(.*)$!sips:\\3@\\2.example.com;user=phone!", "+442079460000",
               "sips:79460000@20.example.com;user=phone");
    rewrite_ok("/^.*$/sip:x@example.com/", "+1", "sip:x@example.com");
    /* \0 is not a back-reference in RFC 3402 (POS-DIGIT only) */
    rewrite_bad("/^.*$/sip:\\0x@example.com/", VX_EINVAL, "bad escape");
}

static void test_regexp_details(void **state)
{
    (void)state;
    /* another delimiter, and the delimiter escaped inside both parts */
    rewrite_ok("#^\\+(4)\\#?4(.*)$#sip:\\1\\#\\2@example.com#", "+442079460000",
               "sip:4#2079460000@example.com");
    /* "\\" in the replacement is one backslash */
    rewrite_ok("!^.*$!sip:a\\\\b@example.com!", "+1", "sip:a\\b@example.com");
    /* a group that did not take part gives "" */
    rewrite_ok("!^\\+(9)?(.*)$!sip:\\1\\2@example.com!", "+44", "sip:44@example.com");
    /* the "i" flag */
    rewrite_ok("!^\\+44(.*)$!sip:x\\1@example.com!i", "+4420", "sip:x20@example.com");
    /* '+' and '*' inside a bracket expression are characters, not repetitions */
    rewrite_ok("!^[+*]44([[:digit:]]+)$!sip:\\1@example.com!", "+4420", "sip:20@example.com");
    /* a small interval is fine */
    rewrite_ok("!^\\+[0-9]{2}([0-9]{1,16})$!sip:\\1@example.com!", "+4420", "sip:20@example.com");
}

static void test_regexp_refused(void **state)
{
    (void)state;
    rewrite_bad("", VX_EINVAL, "invalid delimiter");
    rewrite_bad("1^.*$1sip:a@b1", VX_EINVAL, "invalid delimiter");
    rewrite_bad("\\^.*$\\x\\", VX_EINVAL, "invalid delimiter");
    rewrite_bad("i^.*$ixi", VX_EINVAL, "invalid delimiter");
    rewrite_bad("!^.*$", VX_EINVAL, "no delimiter after the expression");
    rewrite_bad("!^.*$!sip:a@b", VX_EINVAL, "no closing delimiter");
    rewrite_bad("!^.*$!sip:a@b!x", VX_EINVAL, "unknown flags 'x'");
    rewrite_bad("!!sip:a@b!", VX_EINVAL, "empty expression");
    rewrite_bad("!^(.*)\\1$!x!", VX_EINVAL, "back-reference inside the expression");
    rewrite_bad("!^(a{1,64})$!x!", VX_EINVAL, "repetitions too large");
    rewrite_bad("!^a{8}b{8}$!x!", VX_EINVAL, "repetitions too large");
    rewrite_bad("!^a{99999999999999999999}$!x!", VX_EINVAL, "repetitions too large");
    /* nested '+' doubles regcomp's work per level (the fuzzer's out-of-memory input) */
    rewrite_bad("!^((((((\\+4+)+)+)+)+)+)+$!x!", VX_EINVAL, "repetitions too large");
    rewrite_bad("!^\\++++++++1(.*)$!x!", VX_EINVAL, "adjacent repetition operators");
    rewrite_bad("!^a*?$!x!", VX_EINVAL, "adjacent repetition operators");
    rewrite_bad("!^(.*$!x!", VX_EINVAL, "invalid regular expression");
    rewrite_bad("!^(.*)$!sip:\\2@b!", VX_EINVAL, "unknown group");
    rewrite_bad("!^.*$!sip:\\q@b!", VX_EINVAL, "bad escape");
    rewrite_bad("!^\\+1.*$!sip:a@b!", VX_ENOTFOUND, "does not match");
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[0] = '!';
    big[sizeof big - 1] = '\0';
    rewrite_bad(big, VX_EINVAL, "longer than 255");
    /* a result that does not fit */
    char small[8], err[128];
    assert_int_equal(vx__enum_regexp_apply("!^.*$!sip:info@example.com!", "+1", small, sizeof small,
                                           err, sizeof err),
                     VX_EINVAL);
    assert_non_null(strstr(err, "too long"));
}

static void test_sip_uris(void **state)
{
    (void)state;
    const vx__sip_naptr recs[] = {
        {100, 20, "u", "E2U+sip", "!^.*$!sip:second@example.com!", ".", 600},
        {100, 10, "U", "e2u+SIP", "!^\\+44(.*)$!sip:0\\1@example.co.uk!", "", 600},
        {50, 90, "u", "E2U+sip", "!^.*$!sips:first@example.com!", NULL, 60},
        {10, 10, "u", "E2U+email:mailto", "!^.*$!mailto:a@example.com!", ".", 600},
        {10, 10, "u", "E2U+sip", "!^.*$!mailto:a@example.com!", ".", 600}, /* not sip: */
        {10, 10, "", "E2U+sip", "", "next.e164.example.", 600},            /* non-terminal */
        {10, 10, "u", "E2U+sip", "!^.*$!sip:elsewhere@example.com!", "x.example.", 600},
        {10, 10, "u", "E2U+sip", "!^\\+1(.*)$!sip:\\1@example.com!", ".", 600}, /* no match */
        {10, 10, "u", "E2U+sip", "!^(.*$!sip:x@example.com!", ".", 600},        /* bad ERE */
    };
    vx__enum_uri out[8];
    size_t n;
    assert_int_equal(vx__enum_sip_uris(recs, 9, "+442079460000", out, 8, &n), VX_OK);
    assert_int_equal(n, 3);
    assert_string_equal(out[0].uri, "sips:first@example.com");
    assert_int_equal(out[0].ttl, 60);
    assert_string_equal(out[1].uri, "sip:02079460000@example.co.uk");
    assert_string_equal(out[2].uri, "sip:second@example.com");
    /* capacity bound */
    assert_int_equal(vx__enum_sip_uris(recs, 9, "+442079460000", out, 1, &n), VX_OK);
    assert_int_equal(n, 1);
    /* nothing usable */
    assert_int_equal(vx__enum_sip_uris(recs + 3, 6, "+442079460000", out, 8, &n), VX_ENOTFOUND);
    assert_int_equal(n, 0);
    assert_int_equal(vx__enum_sip_uris(NULL, 0, "+1", out, 8, &n), VX_ENOTFOUND);
    assert_int_equal(vx__enum_sip_uris(recs, 1, NULL, out, 8, &n), VX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain),         cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_regexp_rewrite), cmocka_unit_test(test_regexp_details),
        cmocka_unit_test(test_regexp_refused), cmocka_unit_test(test_sip_uris),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
