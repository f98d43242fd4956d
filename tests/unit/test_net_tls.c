/*
 * tests/unit/test_net_tls.c — the TLS client session (net/tls.c) against an OpenSSL server in
 * the same process, bytes carried between memory BIOs (no socket): a certificate made in the
 * test for dns.example.net, trusted as its own CA. Strict with the CA and the right name, a
 * wrong name refused, an SPKI pin with no CA, a wrong pin refused, the opportunistic profile,
 * plaintext both ways after the handshake, contexts that cannot authenticate, the observing
 * profile (facts recorded, never refused), a failed handshake's reason, the pin parser, and
 * the system store found through a hashed directory or a bundle file.
 * (The framing of DNS over TLS is wire/frame.h's: test_wire_frame.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "net/tls.h"
#include "voxdns/status.h"

static EVP_PKEY *key;
static X509 *cert;
static char ca_path[] = "/tmp/vx_tls_ca_XXXXXX";
static uint8_t pin[VX__TLS_PIN_LEN];

static int setup(void **state)
{
    (void)state;
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME *n = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"dns.example.net", -1,
                               -1, 0);
    X509_set_issuer_name(cert, n);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *san =
        X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:dns.example.net");
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "CA:TRUE");
    X509_add_ext(cert, san, -1);
    X509_add_ext(cert, bc, -1);
    X509_EXTENSION_free(san);
    X509_EXTENSION_free(bc);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    int fd = mkstemp(ca_path);
    FILE *f = fdopen(fd, "w");
    PEM_write_X509(f, cert);
    fclose(f);
    uint8_t *der = NULL;
    int len = i2d_PUBKEY(key, &der);
    EVP_Digest(der, (size_t)len, pin, NULL, EVP_sha256(), NULL);
    OPENSSL_free(der);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(ca_path);
    X509_free(cert);
    EVP_PKEY_free(key);
    return 0;
}

/* An OpenSSL server over memory BIOs. */
typedef struct server {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out;
} server;

static void server_new(server *s)
{
    s->ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(s->ctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, key), 1);
    s->ssl = SSL_new(s->ctx);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    SSL_set_bio(s->ssl, s->in, s->out);
    SSL_set_accept_state(s->ssl);
}

static void server_free(server *s)
{
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
}

/* Carries bytes both ways until nothing moves; returns the client's last status. */
static int converse(vx__tls_session *c, server *s, bool *up, char *plain, size_t cap)
{
    uint8_t buf[16384];
    size_t n, plen = 0;
    int rc = VX_OK;
    for (int round = 0; round < 20 && rc == VX_OK; round++) {
        rc = vx__tls_session_run(c, (uint8_t *)plain, cap, &plen, up);
        while ((n = vx__tls_session_pull(c, buf, sizeof(buf))) > 0)
            BIO_write(s->in, buf, (int)n);
        if (SSL_is_init_finished(s->ssl)) {
            char tmp[256];
            int r = SSL_read(s->ssl, tmp, sizeof(tmp));
            if (r > 0)
                SSL_write(s->ssl, "world", 5);
        } else {
            SSL_do_handshake(s->ssl);
        }
        while ((n = (size_t)BIO_read(s->out, buf, sizeof(buf))) > 0 && n <= sizeof(buf))
            vx__tls_session_feed(c, buf, n);
        if (plen)
            break;
    }
    if (plain && plen < cap)
        plain[plen] = '\0';
    return rc;
}

static vx__tls_ctx *ctx_of(const char *ca, const char *name, bool with_pin, bool good_pin,
                           bool strict)
{
    static uint8_t pins[1][VX__TLS_PIN_LEN];
    memcpy(pins[0], pin, sizeof(pin));
    if (!good_pin)
        pins[0][0] ^= 0xff;
    const vx__tls_auth auth = {
        .ca_file = ca, .name = name, .pins = pins, .npins = with_pin ? 1 : 0, .strict = strict};
    vx__tls_ctx *ctx = NULL;
    assert_int_equal(vx__tls_ctx_new(&auth, &ctx), VX_OK);
    return ctx;
}

/* Handshake with ctx; returns the status, *authenticated, and echoes "hello" when up. */
static int handshake(vx__tls_ctx *ctx, bool *authenticated)
{
    server s;
    vx__tls_session *c = NULL;
    char plain[64] = "";
    bool up = false;
    server_new(&s);
    assert_int_equal(vx__tls_session_new(ctx, NULL, &c), VX_OK);
    int rc = converse(c, &s, &up, NULL, 0);
    *authenticated = vx__tls_authenticated(c);
    if (rc == VX_OK) {
        assert_true(up);
        assert_non_null(vx__tls_peer_chain(c));
        assert_int_equal(vx__tls_session_write(c, (const uint8_t *)"hello", 5), VX_OK);
        rc = converse(c, &s, &up, plain, sizeof(plain));
        assert_string_equal(plain, "world");
    }
    vx__tls_session_free(c);
    server_free(&s);
    vx__tls_ctx_free(ctx);
    return rc;
}

static void test_strict_ca_and_name(void **state)
{
    (void)state;
    bool auth = false;
    assert_int_equal(handshake(ctx_of(ca_path, "dns.example.net", false, false, true), &auth),
                     VX_OK);
    assert_true(auth);
}

static void test_wrong_name_refused(void **state)
{
    (void)state;
    bool auth = true;
    assert_int_equal(handshake(ctx_of(ca_path, "other.example.net", false, false, true), &auth),
                     VX_EREFUSED);
    assert_false(auth);
}

static void test_pin_without_ca(void **state)
{
    (void)state;
    bool auth = false;
    assert_int_equal(handshake(ctx_of(NULL, NULL, true, true, true), &auth), VX_OK);
    assert_true(auth);
}

static void test_wrong_pin_refused_even_with_ca(void **state)
{
    (void)state;
    bool auth = true;
    /* with a pin configured the pin decides, not the CA */
    assert_int_equal(handshake(ctx_of(ca_path, "dns.example.net", true, false, true), &auth),
                     VX_EREFUSED);
    assert_false(auth);
}

static void test_opportunistic(void **state)
{
    (void)state;
    bool auth = true;
    assert_int_equal(handshake(ctx_of(NULL, "other.example.net", false, false, false), &auth),
                     VX_OK);
    assert_false(auth); /* used, but known not to be authenticated */
}

/* Observing: the handshake completes without a trusted chain; the facts say why it is not. */
static void observe(const char *ca, const char *sni, long *verify, char *why, size_t cap)
{
    const vx__tls_auth auth = {.ca_file = ca, .name = "other.example.net", .observe = true};
    vx__tls_ctx *ctx = NULL;
    vx__tls_session *c = NULL;
    server s;
    bool up = false;
    const char *text = NULL;
    assert_int_equal(vx__tls_ctx_new(&auth, &ctx), VX_OK);
    server_new(&s);
    assert_int_equal(vx__tls_session_new(ctx, sni, &c), VX_OK);
    assert_null(vx__tls_protocol(c));
    assert_int_equal(converse(c, &s, &up, NULL, 0), VX_OK);
    assert_true(up);
    assert_false(vx__tls_authenticated(c));
    assert_null(vx__tls_failure(c));
    assert_string_equal(SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name), sni);
    assert_non_null(strstr(vx__tls_protocol(c), "TLSv1."));
    assert_non_null(vx__tls_cipher(c));
    assert_int_equal(sk_X509_num(vx__tls_peer_chain(c)), 1);
    *verify = vx__tls_verify(c, &text);
    snprintf(why, cap, "%s", text ? text : "");
    vx__tls_session_free(c);
    server_free(&s);
    vx__tls_ctx_free(ctx);
}

static void test_observe(void **state)
{
    (void)state;
    long v = -1;
    char why[128];
    observe(NULL, "sip.example.org", &v, why, sizeof(why));
    assert_int_equal(v, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    assert_string_equal(why, X509_verify_cert_error_string(v));
    /* with the CA the chain verifies; the context's name is not checked when observing */
    observe(ca_path, "sip.example.org", &v, why, sizeof(why));
    assert_int_equal(v, X509_V_OK);
    assert_string_equal(why, "");
    const vx__tls_auth both = {.name = "x", .strict = true, .observe = true};
    vx__tls_ctx *ctx = NULL;
    assert_int_equal(vx__tls_ctx_new(&both, &ctx), VX_EINVAL);
}

/* A server that answers the ClientHello with garbage: the handshake fails with a reason. */
static void test_failure_reason(void **state)
{
    (void)state;
    const vx__tls_auth auth = {.observe = true};
    vx__tls_ctx *ctx = NULL;
    vx__tls_session *c = NULL;
    uint8_t plain[16], junk[64];
    size_t n;
    bool up = true;
    memset(junk, 'x', sizeof(junk));
    assert_int_equal(vx__tls_ctx_new(&auth, &ctx), VX_OK);
    assert_int_equal(vx__tls_session_new(ctx, "10.0.0.1", &c), VX_OK);
    assert_int_equal(vx__tls_session_run(c, plain, sizeof(plain), &n, &up), VX_OK);
    assert_null(vx__tls_failure(c));
    assert_int_equal(vx__tls_session_feed(c, junk, sizeof(junk)), VX_OK);
    assert_int_equal(vx__tls_session_run(c, plain, sizeof(plain), &n, &up), VX_ENETWORK);
    assert_false(up);
    assert_non_null(vx__tls_failure(c));
    assert_null(vx__tls_peer_chain(c));
    vx__tls_session_free(c);
    vx__tls_ctx_free(ctx);
}

static void test_contexts_and_pins(void **state)
{
    (void)state;
    vx__tls_ctx *ctx = NULL;
    const vx__tls_auth nothing = {.strict = true};
    assert_int_equal(vx__tls_ctx_new(&nothing, &ctx), VX_EINVAL);
    const vx__tls_auth missing = {.ca_file = "/nonexistent/ca.pem", .name = "x", .strict = true};
    assert_int_equal(vx__tls_ctx_new(&missing, &ctx), VX_EIO);
    uint8_t out[VX__TLS_PIN_LEN];
    assert_int_equal(vx__tls_pin_parse("pRUOBLnIsuVWO7TJx4Nz+K0/aUbTGgj3jmjwnCNvbjs=", out), VX_OK);
    assert_int_equal(out[0], 0xa5);
    assert_int_equal(vx__tls_pin_parse("pRUOBLnIsuVWO7TJx4Nz+K0/aUbTGgj3jmjwnCNvbj==", out),
                     VX_EINVAL);
    assert_int_equal(vx__tls_pin_parse("short=", out), VX_EINVAL);
    assert_int_equal(vx__tls_pin_parse(NULL, out), VX_EINVAL);
}

static void set_store_env(const char *dir, const char *file)
{
    setenv(X509_get_default_cert_dir_env(), dir, 1);
    if (file)
        setenv(X509_get_default_cert_file_env(), file, 1);
    else
        unsetenv(X509_get_default_cert_file_env());
}

/* The system's store where OpenSSL's environment puts it: a hashed directory (c_rehash names)
 * is looked into on demand, without the bundle; a directory without hashed names falls back to
 * the bundle file; no store at all trusts nothing. Observing and strict (DoT) alike. */
static void test_system_store(void **state)
{
    (void)state;
    char hashed[] = "/tmp/vx_tls_dir_XXXXXX", plain[] = "/tmp/vx_tls_dir_XXXXXX";
    char link[64], other[64], why[128];
    long v = -1;
    bool auth = false;
    assert_non_null(mkdtemp(hashed));
    assert_non_null(mkdtemp(plain));
    snprintf(link, sizeof(link), "%s/%08lx.0", hashed, X509_subject_name_hash(cert));
    snprintf(other, sizeof(other), "%s/ca.pem", plain); /* not a hashed name: not looked into */
    assert_int_equal(symlink(ca_path, link), 0);
    assert_int_equal(symlink(ca_path, other), 0);
    set_store_env(hashed, NULL);
    observe(NULL, "sip.example.org", &v, why, sizeof(why));
    assert_int_equal(v, X509_V_OK);
    assert_int_equal(handshake(ctx_of(NULL, "dns.example.net", false, false, true), &auth), VX_OK);
    assert_true(auth);
    set_store_env(plain, ca_path);
    observe(NULL, "sip.example.org", &v, why, sizeof(why));
    assert_int_equal(v, X509_V_OK);
    set_store_env(plain, "/nonexistent/ca.pem");
    observe(NULL, "sip.example.org", &v, why, sizeof(why));
    assert_int_equal(v, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    assert_int_equal(handshake(ctx_of(NULL, "dns.example.net", false, false, true), &auth),
                     VX_EREFUSED);
    /* the bundle is skipped only when it is the default one and the directory covers it */
    char twice[] = "/tmp/vx_tls_two_XXXXXX", alias[64];
    FILE *f = fdopen(mkstemp(twice), "w");
    PEM_write_X509(f, cert);
    PEM_write_X509(f, cert);
    fclose(f);
    snprintf(alias, sizeof(alias), "%s/alias.pem", plain);
    assert_int_equal(symlink(ca_path, alias), 0);
    assert_true(vx__tls_bundle_mirrored(hashed, alias, ca_path));
    assert_false(vx__tls_bundle_mirrored(plain, alias, ca_path));  /* no hashed CA */
    assert_false(vx__tls_bundle_mirrored(hashed, twice, twice));   /* 2 certificates, 1 CA */
    assert_false(vx__tls_bundle_mirrored(hashed, ca_path, twice)); /* not the default bundle */
    assert_false(vx__tls_bundle_mirrored(hashed, "/nonexistent/ca.pem", ca_path));
    unlink(alias);
    unlink(twice);
    unsetenv(X509_get_default_cert_dir_env());
    unsetenv(X509_get_default_cert_file_env());
    unlink(link);
    unlink(other);
    rmdir(hashed);
    rmdir(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_ca_and_name),
        cmocka_unit_test(test_wrong_name_refused),
        cmocka_unit_test(test_pin_without_ca),
        cmocka_unit_test(test_wrong_pin_refused_even_with_ca),
        cmocka_unit_test(test_opportunistic),
        cmocka_unit_test(test_contexts_and_pins),
        cmocka_unit_test(test_observe),
        cmocka_unit_test(test_failure_reason),
        cmocka_unit_test(test_system_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
