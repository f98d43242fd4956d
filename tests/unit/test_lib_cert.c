/*
 * tests/unit/test_lib_cert.c — vx_cert_check_sip_domain() (voxdns/cert.h) through the public
 * API, on certificates made in the test: SAN URI and SAN dNSName accepted, a certificate that
 * names only the host refused with what it names, wildcards never, the CN only without SAN,
 * malformed DER and bad arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cert_fixture.h"
#include "voxdns/voxdns.h"

/* The check on a fresh certificate (CN, SANs) for domain; named[] receives what it names. */
static int check(const char *cn, const char *sans, const char *domain, char *named, size_t cap)
{
    time_t now = time(NULL);
    X509 *x = cf_make(cn, sans, now - 60, now + 86400);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    assert_true(len > 0);
    int rc = vx_cert_check_sip_domain(der, (size_t)len, domain, named, cap);
    OPENSSL_free(der);
    X509_free(x);
    return rc;
}

static void test_names_domain(void **state)
{
    (void)state;
    char named[256];
    assert_int_equal(
        check("sbc1.example.com", "URI:sip:example.com", "example.com", named, sizeof named),
        VX_OK);
    assert_string_equal(named, "SAN URI sip:example.com");
    assert_int_equal(check(NULL, "DNS:example.com", "Example.COM.", named, sizeof named), VX_OK);
    assert_string_equal(named, "SAN DNS example.com");
    /* the CN counts when there is no SAN at all */
    assert_int_equal(check("example.com", NULL, "example.com", named, sizeof named), VX_OK);
    assert_string_equal(named, "CN example.com");
    /* named may be left out */
    assert_int_equal(check(NULL, "DNS:example.com", "example.com", NULL, 0), VX_OK);
}

static void test_does_not_name_domain(void **state)
{
    (void)state;
    char named[256];
    /* the SRV target's host is not the SIP domain */
    assert_int_equal(
        check("sbc1.example.com", "DNS:sbc1.example.com", "example.com", named, sizeof named),
        VX_ECERTNAME);
    assert_string_equal(named, "SAN DNS sbc1.example.com");
    assert_int_equal(check(NULL, "DNS:*.example.com", "example.com", named, sizeof named),
                     VX_ECERTNAME);
    assert_string_equal(named, "SAN DNS *.example.com");
    assert_int_equal(check("*.example.com", NULL, "*.example.com", named, sizeof named),
                     VX_ECERTNAME);
    /* a SAN present: the CN does not count */
    assert_int_equal(
        check("example.com", "DNS:sbc1.example.com", "example.com", named, sizeof named),
        VX_ECERTNAME);
    /* a SIP URI present: only SIP URIs count */
    assert_int_equal(
        check(NULL, "URI:sip:other.example,DNS:example.com", "example.com", named, sizeof named),
        VX_ECERTNAME);
    assert_string_equal(named, "SAN URI sip:other.example, SAN DNS example.com");
    /* truncated to the caller's buffer */
    char small[8];
    assert_int_equal(check(NULL, "DNS:sbc1.example.com", "example.com", small, sizeof small),
                     VX_ECERTNAME);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_string_equal(vx_strerror(VX_ECERTNAME), "certificate does not name the SIP domain");
}

static void test_bad_input(void **state)
{
    (void)state;
    char named[64] = "stale";
    const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    assert_int_equal(
        vx_cert_check_sip_domain(junk, sizeof junk, "example.com", named, sizeof named),
        VX_EMALFORMED);
    assert_string_equal(named, "");
    /* a valid certificate followed by trailing bytes is not one DER certificate */
    time_t now = time(NULL);
    X509 *x = cf_make(NULL, "DNS:example.com", now - 60, now + 86400);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    assert_true(len > 0);
    unsigned char *longer = malloc((size_t)len + 1);
    assert_non_null(longer);
    memcpy(longer, der, (size_t)len);
    longer[len] = 0;
    assert_int_equal(vx_cert_check_sip_domain(longer, (size_t)len + 1, "example.com", NULL, 0),
                     VX_EMALFORMED);
    assert_int_equal(vx_cert_check_sip_domain(der, (size_t)len - 1, "example.com", NULL, 0),
                     VX_EMALFORMED);
    assert_int_equal(vx_cert_check_sip_domain(der, (size_t)len, "", NULL, 0), VX_EINVAL);
    assert_int_equal(vx_cert_check_sip_domain(der, (size_t)len, NULL, NULL, 0), VX_EINVAL);
    assert_int_equal(vx_cert_check_sip_domain(NULL, 0, "example.com", NULL, 0), VX_EINVAL);
    free(longer);
    OPENSSL_free(der);
    X509_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_domain),
        cmocka_unit_test(test_does_not_name_domain),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
