/*
 * tests/unit/test_wire_cert.c — certificate facts and the RFC 5922 §7 identity rule
 * (wire/cert.h) on certificates made in the test: SAN URIs first (only they when present),
 * then dNSNames, the CN only without SAN, no wildcards, no user part, case and trailing dot;
 * dates, fingerprints, base64 and what a message says the certificate names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cert_fixture.h"
#include "voxdns/status.h"

static vx__cert_match match(const char *cn, const char *sans, const char *domain)
{
    vx__cert_facts f;
    cf_facts(cn, sans, &f);
    vx__cert_match m = vx__cert_match_sip_domain(&f, domain);
    vx__cert_clear(&f);
    return m;
}

static void test_rfc5922_rules(void **state)
{
    (void)state;
    const char *d = "example.com";
    assert_int_equal(match("sbc1.example.com", "URI:sip:example.com", d), VX__CERT_MATCH_URI);
    assert_int_equal(match(NULL, "URI:sip:EXAMPLE.com.", d), VX__CERT_MATCH_URI);
    assert_int_equal(match(NULL, "URI:sip:example.com;transport=tls", d), VX__CERT_MATCH_URI);
    assert_int_equal(match(NULL, "DNS:example.com", d), VX__CERT_MATCH_DNS);
    assert_int_equal(match(NULL, "URI:sip:example.com,DNS:example.com", d), VX__CERT_MATCH_URI);
    /* a SIP URI present: only SIP URIs count, the dNSName does not */
    assert_int_equal(match(NULL, "URI:sip:other.example,DNS:example.com", d), VX__CERT_MATCH_NONE);
    /* a URI with a user part or another scheme is no SIP domain identity */
    assert_int_equal(match(NULL, "URI:sip:alice@example.com,DNS:example.com", d),
                     VX__CERT_MATCH_DNS);
    assert_int_equal(match(NULL, "URI:https://example.com/,DNS:example.com", d),
                     VX__CERT_MATCH_DNS);
    assert_int_equal(match(NULL, "URI:sips:example.com", d), VX__CERT_MATCH_NONE);
    /* the CN only when there is no SAN at all */
    assert_int_equal(match("example.com", NULL, d), VX__CERT_MATCH_CN);
    assert_int_equal(match("example.com", "DNS:sbc1.example.com", d), VX__CERT_MATCH_NONE);
    /* the target host is not the domain; wildcards never match */
    assert_int_equal(match(NULL, "DNS:sbc1.example.com", d), VX__CERT_MATCH_NONE);
    assert_int_equal(match(NULL, "DNS:*.example.com", d), VX__CERT_MATCH_NONE);
    assert_int_equal(match("*.example.com", NULL, "*.example.com"), VX__CERT_MATCH_NONE);
    assert_int_equal(match(NULL, "DNS:example.com.evil", d), VX__CERT_MATCH_NONE);
    assert_int_equal(match(NULL, "DNS:example.com", "Example.COM."), VX__CERT_MATCH_DNS);
    assert_int_equal(vx__cert_match_sip_domain(NULL, d), VX__CERT_MATCH_NONE);
}

static void test_facts(void **state)
{
    (void)state;
    vx__cert_facts f;
    time_t now = time(NULL);
    char *b64 = cf_b64("sbc1.example.com", "URI:sip:example.com,DNS:example.com,DNS:b.example", -60,
                       10 * 86400L);
    assert_int_equal(vx__cert_from_b64(b64, &f), VX_OK);
    assert_string_equal(f.cn, "sbc1.example.com");
    assert_non_null(strstr(f.subject, "CN=sbc1.example.com"));
    assert_string_equal(f.subject, f.issuer);
    assert_true(f.self_issued && f.has_san);
    assert_int_equal(f.uri_count, 1);
    assert_int_equal(f.dns_count, 2);
    assert_string_equal(f.dns[1], "b.example");
    assert_true(f.not_before <= now && f.not_before >= now - 120);
    assert_true(f.not_after >= now + 10 * 86400L - 60 && f.not_after <= now + 10 * 86400L + 60);
    assert_int_equal(strlen(f.sha256), 64);
    assert_int_equal(strlen(f.spki_sha256), 64);
    char names[256];
    vx__cert_names_text(&f, names, sizeof names);
    assert_string_equal(names, "SAN URI sip:example.com, SAN DNS example.com, SAN DNS b.example");
    /* same key, another certificate: other fingerprint, same SPKI hash */
    vx__cert_facts g;
    char *b64b = cf_b64("other", NULL, 0, 86400);
    assert_int_equal(vx__cert_from_b64(b64b, &g), VX_OK);
    assert_string_not_equal(f.sha256, g.sha256);
    assert_string_equal(f.spki_sha256, g.spki_sha256);
    vx__cert_names_text(&g, names, sizeof names);
    assert_string_equal(names, "CN other");
    vx__cert_clear(&f);
    vx__cert_clear(&g);
    free(b64);
    free(b64b);
}

static void expect_same_facts(const vx__cert_facts *a, const vx__cert_facts *b)
{
    assert_string_equal(a->subject, b->subject);
    assert_string_equal(a->sha256, b->sha256);
    assert_string_equal(a->spki_sha256, b->spki_sha256);
    assert_int_equal(a->dns_count, b->dns_count);
    assert_int_equal(a->uri_count, b->uri_count);
    for (size_t i = 0; i < a->dns_count; i++)
        assert_string_equal(a->dns[i], b->dns[i]);
    assert_int_equal(a->not_after, b->not_after);
}

/* The decoded facts are kept by content: a second read is an equal, independent copy, and
 * more certificates than the memo holds still each decode to their own facts. */
static void test_memo_is_by_content(void **state)
{
    (void)state;
    char *b64 = cf_b64("memo.example.com", "DNS:memo.example.com,DNS:alt.example", 0, 86400);
    vx__cert_facts first, again, other;
    assert_int_equal(vx__cert_from_b64(b64, &first), VX_OK);
    assert_int_equal(vx__cert_from_b64(b64, &again), VX_OK);
    expect_same_facts(&first, &again);
    assert_ptr_not_equal(first.dns, again.dns);
    strcpy(again.dns[0], "changed.example"); /* the caller's copy: the memo is not touched */
    vx__cert_clear(&again);
    assert_int_equal(vx__cert_from_b64(b64, &again), VX_OK);
    expect_same_facts(&first, &again);
    vx__cert_clear(&again);
    for (int i = 0; i < 40; i++) { /* more than the memo's 32 slots */
        char cn[32];
        snprintf(cn, sizeof cn, "n%d.example", i);
        char *b = cf_b64(cn, NULL, 0, 86400);
        assert_int_equal(vx__cert_from_b64(b, &other), VX_OK);
        assert_string_equal(other.cn, cn);
        vx__cert_clear(&other);
        free(b);
    }
    assert_int_equal(vx__cert_from_b64(b64, &again), VX_OK); /* decoded again: same facts */
    expect_same_facts(&first, &again);
    vx__cert_clear(&again);
    vx__cert_clear(&first);
    free(b64);
}

static void test_bad_input(void **state)
{
    (void)state;
    vx__cert_facts f;
    uint8_t *der;
    size_t len;
    assert_int_equal(vx__cert_from_b64("not base64!", &f), VX_EMALFORMED);
    assert_int_equal(vx__cert_from_b64("AAAA", &f), VX_EMALFORMED); /* 3 zero octets */
    assert_int_equal(vx__cert_from_b64("", &f), VX_EMALFORMED);
    assert_int_equal(vx__cert_b64_to_der("QUJD", &der, &len), VX_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(der, "ABC", 3);
    free(der);
    assert_int_equal(vx__cert_b64_to_der("QUI=", &der, &len), VX_OK);
    assert_int_equal(len, 2);
    free(der);
    /* trailing bytes after the certificate are refused */
    char *b64 = cf_b64("x", NULL, 0, 86400);
    assert_int_equal(vx__cert_b64_to_der(b64, &der, &len), VX_OK);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, der, len);
    longer[len] = 0;
    assert_int_equal(vx__cert_from_der(longer, len + 1, &f), VX_EMALFORMED);
    assert_int_equal(vx__cert_from_der(der, len - 1, &f), VX_EMALFORMED);
    assert_int_equal(vx__cert_from_der(der, len, &f), VX_OK);
    vx__cert_clear(&f);
    free(longer);
    free(der);
    free(b64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5922_rules),
        cmocka_unit_test(test_facts),
        cmocka_unit_test(test_memo_is_by_content),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
