/*
 * tests/unit/test_net_tcpconn.c — the client connection (net/tcpconn.h) against servers on
 * 127.0.0.1 in the test's own loop: plain TCP both ways and the server's orderly close; TLS
 * through net/tls.c's session against an OpenSSL server over memory BIOs on the accepted
 * socket (a self-signed certificate made here): observing (ready although untrusted, the
 * verification, protocol, cipher and chain recorded), a strict context refusing the server
 * with the reason, and a server that is not TLS (the handshake fails with OpenSSL's reason).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <uv.h>

#include "net/tcpconn.h"
#include "voxdns/status.h"

static EVP_PKEY *key;
static X509 *cert;

static int setup(void **state)
{
    (void)state;
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME *n = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"sip.example.org", -1,
                               -1, 0);
    X509_set_issuer_name(cert, n);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    X509_free(cert);
    EVP_PKEY_free(key);
    return 0;
}

/* ---- the server: plain echo of "hello" as "world" then close, or TLS doing the same, or
 * junk where a ServerHello should be ------------------------------------------------------ */

typedef enum mode { PLAIN, TLS, JUNK } mode;

typedef struct server {
    mode mode;
    uv_tcp_t listen, conn;
    bool accepted;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out;
    char rx[16384];
    struct sockaddr_in addr;
} server;

static void srv_send(server *s, const void *buf, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    assert_true(uv_try_write((uv_stream_t *)&s->conn, &b, 1) == (int)len);
}

static void srv_flush(server *s)
{
    char buf[16384];
    int n;
    while ((n = BIO_read(s->out, buf, sizeof buf)) > 0)
        srv_send(s, buf, (size_t)n);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    free(req);
}

/* The request is complete: the answer, then an orderly close. */
static void srv_answer(server *s)
{
    if (s->mode == TLS) {
        SSL_write(s->ssl, "world", 5);
        srv_flush(s);
    } else {
        srv_send(s, "world", 5);
    }
    uv_shutdown_t *req = calloc(1, sizeof *req);
    assert_non_null(req);
    uv_shutdown(req, (uv_stream_t *)&s->conn, on_shutdown);
}

static void srv_tls_input(server *s, const char *buf, size_t len)
{
    char plain[64];
    BIO_write(s->in, buf, (int)len);
    if (!SSL_is_init_finished(s->ssl))
        SSL_do_handshake(s->ssl);
    srv_flush(s);
    if (SSL_is_init_finished(s->ssl) && SSL_read(s->ssl, plain, sizeof plain) == 5)
        srv_answer(s);
}

static void srv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    server *s = h->data;
    (void)suggested;
    *buf = uv_buf_init(s->rx, sizeof s->rx);
}

static void srv_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    server *s = st->data;
    if (n <= 0)
        return;
    if (s->mode == JUNK)
        srv_send(s, "SIP/2.0 400 Bad Request\r\n\r\n", 27);
    else if (s->mode == TLS)
        srv_tls_input(s, buf->base, (size_t)n);
    else if (n == 5 && memcmp(buf->base, "hello", 5) == 0)
        srv_answer(s);
}

static void srv_accept(uv_stream_t *l, int status)
{
    server *s = l->data;
    assert_int_equal(status, 0);
    uv_tcp_init(l->loop, &s->conn);
    s->conn.data = s;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&s->conn), 0);
    s->accepted = true;
    uv_read_start((uv_stream_t *)&s->conn, srv_alloc, srv_read);
}

static void server_start(uv_loop_t *loop, server *s, mode m)
{
    int len = sizeof s->addr;
    memset(s, 0, sizeof *s);
    s->mode = m;
    if (m == TLS) {
        s->ctx = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate(s->ctx, cert);
        SSL_CTX_use_PrivateKey(s->ctx, key);
        s->ssl = SSL_new(s->ctx);
        s->in = BIO_new(BIO_s_mem());
        s->out = BIO_new(BIO_s_mem());
        SSL_set_bio(s->ssl, s->in, s->out);
        SSL_set_accept_state(s->ssl);
    }
    uv_ip4_addr("127.0.0.1", 0, &s->addr);
    uv_tcp_init(loop, &s->listen);
    s->listen.data = s;
    assert_int_equal(uv_tcp_bind(&s->listen, (const struct sockaddr *)&s->addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->listen, 4, srv_accept), 0);
    uv_tcp_getsockname(&s->listen, (struct sockaddr *)&s->addr, &len);
}

static void server_stop(server *s)
{
    uv_close((uv_handle_t *)&s->listen, NULL);
    if (s->accepted)
        uv_close((uv_handle_t *)&s->conn, NULL);
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
}

/* ---- the client ---------------------------------------------------------------------------- */

typedef struct client {
    vx__tcpconn *conn;
    int ready, closed;
    char why[200];
    char got[64];
    size_t got_len;
    long verify;
    char verify_why[128], protocol[32];
    bool cipher;
    size_t chain;
} client;

static void keep_facts(client *c)
{
    const char *why = NULL;
    uint8_t *der[4];
    size_t len[4];
    c->verify = vx__tcpconn_tls_verify(c->conn, &why);
    snprintf(c->verify_why, sizeof c->verify_why, "%s", why ? why : "");
    const char *p = vx__tcpconn_tls_protocol(c->conn);
    snprintf(c->protocol, sizeof c->protocol, "%s", p ? p : "");
    c->cipher = vx__tcpconn_tls_cipher(c->conn) != NULL;
    c->chain = vx__tcpconn_peer_chain(c->conn, der, len, 4);
    for (size_t i = 0; i < c->chain; i++)
        free(der[i]);
}

static void on_ready(void *arg, int status, const char *why)
{
    client *c = arg;
    c->ready = status == VX_OK ? 1 : status;
    snprintf(c->why, sizeof c->why, "%s", why ? why : "");
    keep_facts(c);
    if (status == VX_OK)
        assert_int_equal(vx__tcpconn_write(c->conn, (const uint8_t *)"hello", 5), VX_OK);
}

static void on_data(void *arg, const uint8_t *buf, size_t len)
{
    client *c = arg;
    assert_true(c->got_len + len < sizeof c->got);
    memcpy(c->got + c->got_len, buf, len);
    c->got_len += len;
}

static void on_closed(void *arg, int status)
{
    client *c = arg;
    c->closed = status == VX_OK ? 1 : status;
}

/* Runs one connection to a server in mode m until the client's last callback. */
static void run(mode m, vx__tls_ctx *tls, client *c)
{
    static const vx__tcpconn_cbs cbs = {on_ready, on_data, on_closed};
    uv_loop_t loop;
    server s;
    uv_loop_init(&loop);
    server_start(&loop, &s, m);
    memset(c, 0, sizeof *c);
    const vx__tcpconn_opts opts = {.tls = tls, .sni = "sip.example.org"};
    assert_int_equal(
        vx__tcpconn_open(&loop, (const struct sockaddr *)&s.addr, &opts, &cbs, c, &c->conn), VX_OK);
    assert_int_equal(c->ready, 0); /* never from inside open */
    while ((c->ready == 0 || (c->ready == 1 && c->closed == 0)) && uv_run(&loop, UV_RUN_ONCE))
        ;
    server_stop(&s);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_plain(void **state)
{
    (void)state;
    client c;
    run(PLAIN, NULL, &c);
    assert_int_equal(c.ready, 1);
    assert_int_equal(c.closed, 1); /* the server's orderly close */
    assert_int_equal(c.got_len, 5);
    assert_memory_equal(c.got, "world", 5);
    assert_int_equal(c.verify, -1);
    assert_string_equal(c.protocol, "");
    assert_int_equal(c.chain, 0);
}

static void test_tls_observed(void **state)
{
    (void)state;
    const vx__tls_auth auth = {.observe = true};
    vx__tls_ctx *ctx = NULL;
    client c;
    assert_int_equal(vx__tls_ctx_new(&auth, &ctx), VX_OK);
    run(TLS, ctx, &c);
    assert_int_equal(c.ready, 1); /* untrusted, yet up */
    assert_int_equal(c.got_len, 5);
    assert_memory_equal(c.got, "world", 5);
    assert_true(c.closed == 1 || c.closed == VX_ENETWORK); /* close_notify or EOF */
    assert_int_equal(c.verify, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    assert_string_equal(c.verify_why, X509_verify_cert_error_string(c.verify));
    assert_non_null(strstr(c.protocol, "TLSv1."));
    assert_true(c.cipher);
    assert_int_equal(c.chain, 1);
    vx__tls_ctx_free(ctx);
}

static void test_tls_strict_refused(void **state)
{
    (void)state;
    const vx__tls_auth auth = {.name = "sip.example.org", .strict = true};
    vx__tls_ctx *ctx = NULL;
    client c;
    assert_int_equal(vx__tls_ctx_new(&auth, &ctx), VX_OK);
    run(TLS, ctx, &c);
    assert_int_equal(c.ready, VX_EREFUSED);
    assert_string_equal(c.why, "TLS handshake failed: the server is not authenticated");
    assert_int_equal(c.closed, 0);
    assert_int_equal(c.chain, 1); /* the refused server's chain is still there to see */
    vx__tls_ctx_free(ctx);
}

static void test_not_tls(void **state)
{
    (void)state;
    const vx__tls_auth auth = {.observe = true};
    vx__tls_ctx *ctx = NULL;
    client c;
    assert_int_equal(vx__tls_ctx_new(&auth, &ctx), VX_OK);
    run(JUNK, ctx, &c);
    assert_int_equal(c.ready, VX_ENETWORK);
    assert_non_null(strstr(c.why, "TLS handshake failed: "));
    assert_string_not_equal(c.why, "TLS handshake failed: the peer closed the connection");
    assert_int_equal(c.chain, 0);
    vx__tls_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_tls_observed),
        cmocka_unit_test(test_tls_strict_refused),
        cmocka_unit_test(test_not_tls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
