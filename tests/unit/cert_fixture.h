/*
 * tests/unit/cert_fixture.h — certificates made in the test with OpenSSL, header-only: a key
 * (made once: P-256), a certificate with a chosen subject CN, SAN URIs and dNSNames and
 * validity, self-signed; handed out as DER or as the snapshot's base64 text.
 */
#ifndef VX_TEST_CERT_FIXTURE_H
#define VX_TEST_CERT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "wire/cert.h"

static inline EVP_PKEY *cf_key(void)
{
    static EVP_PKEY *key;
    if (!key)
        key = EVP_EC_gen("P-256");
    assert_non_null(key);
    return key;
}

/* sans: "URI:sip:example.com,DNS:example.com" or NULL for none; validity in Unix seconds. */
static inline X509 *cf_make(const char *cn, const char *sans, time_t from, time_t to)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    ASN1_TIME_set(X509_getm_notBefore(x), from);
    ASN1_TIME_set(X509_getm_notAfter(x), to);
    X509_NAME *name = X509_get_subject_name(x);
    if (cn)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"voxdns test", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, cf_key());
    if (sans) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, sans);
        assert_non_null(ext);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, cf_key(), EVP_sha256()) > 0);
    return x;
}

/* The base64 DER of a fresh certificate valid from..to (Unix seconds; caller frees). */
static inline char *cf_b64_at(const char *cn, const char *sans, time_t from, time_t to)
{
    X509 *x = cf_make(cn, sans, from, to);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    assert_true(len > 0);
    char *b64 = vx__cert_der_to_b64(der, (size_t)len);
    assert_non_null(b64);
    OPENSSL_free(der);
    X509_free(x);
    return b64;
}

/* The same, valid from now + from_s to now + to_s. */
static inline char *cf_b64(const char *cn, const char *sans, long from_s, long to_s)
{
    time_t now = time(NULL);
    return cf_b64_at(cn, sans, now + from_s, now + to_s);
}

static inline void cf_facts(const char *cn, const char *sans, vx__cert_facts *f)
{
    char *b64 = cf_b64(cn, sans, -3600, 90 * 86400L);
    assert_int_equal(vx__cert_from_b64(b64, f), 0);
    free(b64);
}

#endif
