/*
 * net/tcpconn.c — owns client streams (plain TCP or TLS over memory BIOs) on libuv and the
 * trust store (see tcpconn.h). Bytes flow: socket → rbio → SSL_read → data callback, and
 * SSL_write/handshake → wbio → uv_write. Everything is freed in the handle's close callback,
 * so that a callback may close the stream it was called for.
 */
#include "net/tcpconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "voxdns/status.h"
#include "wire/addr.h"

#define READ_CHUNK 16384

struct vx__trust {
    SSL_CTX *ssl;
};

struct vx__tcpconn {
    uv_tcp_t tcp;
    uv_connect_t connect;
    SSL *ssl; /* NULL for plain TCP */
    BIO *rbio, *wbio;
    vx__tcpconn_cbs cbs;
    void *arg;
    bool tcp_ok, ready, closing;
    uint8_t rx[READ_CHUNK];
};

typedef struct write_req {
    uv_write_t req;
    char data[];
} write_req;

/* ---- the context ----------------------------------------------------------------------- */

int vx__trust_new(const char *ca_file, vx__trust **out, char *err, size_t errcap)
{
    vx__trust *c = calloc(1, sizeof *c);
    if (!c || !(c->ssl = SSL_CTX_new(TLS_client_method()))) {
        free(c);
        return VX_ENOMEM;
    }
    SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION);
    /* Verified, recorded, never fatal: see tls.h. */
    SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_default_verify_paths(c->ssl);
    if (ca_file && SSL_CTX_load_verify_locations(c->ssl, ca_file, NULL) != 1) {
        if (err && errcap)
            snprintf(err, errcap, "%s: not a readable PEM file of CA certificates", ca_file);
        vx__trust_free(c);
        return VX_EIO;
    }
    *out = c;
    return VX_OK;
}

void vx__trust_free(vx__trust *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

/* ---- helpers --------------------------------------------------------------------------- */

static int status_of_uv(int uverr)
{
    switch (uverr) {
    case UV_ECONNREFUSED:
        return VX_EREFUSED;
    case UV_ETIMEDOUT:
        return VX_ETIMEDOUT;
    default:
        return VX_ENETWORK;
    }
}

static void on_closed_handle(uv_handle_t *h)
{
    vx__tcpconn *s = h->data;
    SSL_free(s->ssl); /* frees the BIOs too */
    free(s);
}

/* A stream that could not be made is closed here, after its one callback (during which the
 * caller may still read the peer's chain). */
static void become_ready(vx__tcpconn *s, int status, const char *why)
{
    if (s->ready || s->closing)
        return;
    s->ready = status == VX_OK;
    if (status == VX_OK) {
        s->cbs.ready(s->arg, status, why);
        return;
    }
    s->closing = true;
    s->cbs.ready(s->arg, status, why);
    uv_close((uv_handle_t *)&s->tcp, on_closed_handle);
}

static void on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows as a read error or a time-out */
    free(req->data);
}

static int raw_write(vx__tcpconn *s, const void *buf, size_t len)
{
    write_req *w = malloc(sizeof *w + len);
    if (!w)
        return VX_ENOMEM;
    memcpy(w->data, buf, len);
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, on_written) != 0) {
        free(w);
        return VX_ENETWORK;
    }
    return VX_OK;
}

/* Sends whatever OpenSSL has written into the memory BIO. */
static int flush(vx__tcpconn *s)
{
    char buf[READ_CHUNK];
    int n, rc = VX_OK;
    while (rc == VX_OK && (n = BIO_read(s->wbio, buf, sizeof buf)) > 0)
        rc = raw_write(s, buf, (size_t)n);
    return rc;
}

static void tls_failure(vx__tcpconn *s)
{
    char why[200], reason[160];
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, reason, sizeof reason);
    snprintf(why, sizeof why, "TLS handshake failed: %s",
             e ? (ERR_reason_error_string(e) ? ERR_reason_error_string(e) : reason)
               : "the peer closed the connection");
    ERR_clear_error();
    become_ready(s, VX_ENETWORK, why);
}

/* ---- reading --------------------------------------------------------------------------- */

static void handshake(vx__tcpconn *s)
{
    int r = SSL_do_handshake(s->ssl);
    flush(s);
    if (r == 1) {
        become_ready(s, VX_OK, NULL);
        return;
    }
    int e = SSL_get_error(s->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        tls_failure(s);
}

static void tls_input(vx__tcpconn *s, const uint8_t *buf, size_t len)
{
    BIO_write(s->rbio, buf, (int)len);
    if (!s->ready)
        handshake(s);
    uint8_t out[READ_CHUNK];
    int n;
    while (s->ready && !s->closing && (n = SSL_read(s->ssl, out, sizeof out)) > 0)
        s->cbs.data(s->arg, out, (size_t)n);
    if (s->ready && !s->closing)
        flush(s); /* TLS 1.3 may answer (key updates) */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    vx__tcpconn *s = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)s->rx, sizeof s->rx);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    vx__tcpconn *s = st->data;
    if (s->closing || nread == 0)
        return;
    if (nread < 0) {
        if (!s->ready) {
            if (s->ssl)
                tls_failure(s);
            else
                become_ready(s, VX_ENETWORK, "connection closed");
        } else {
            s->cbs.closed(s->arg, nread == UV_EOF ? VX_OK : VX_ENETWORK);
        }
        return;
    }
    if (s->ssl)
        tls_input(s, (const uint8_t *)buf->base, (size_t)nread);
    else
        s->cbs.data(s->arg, (const uint8_t *)buf->base, (size_t)nread);
}

/* ---- connecting ------------------------------------------------------------------------ */

static int tls_start(vx__tcpconn *s, const vx__tcpconn_opts *o)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (!(s->ssl = SSL_new(o->tls->ssl)))
        return VX_ENOMEM;
    s->rbio = BIO_new(BIO_s_mem());
    s->wbio = BIO_new(BIO_s_mem());
    if (!s->rbio || !s->wbio) {
        BIO_free(s->rbio);
        BIO_free(s->wbio);
        s->rbio = s->wbio = NULL;
        return VX_ENOMEM;
    }
    SSL_set_bio(s->ssl, s->rbio, s->wbio);
    SSL_set_connect_state(s->ssl);
    /* SNI is a host name, never an address (RFC 6066 §3). */
    if (o->sni && vx__addr_parse(o->sni, 0, &ss, &len) != VX_OK)
        SSL_set_tlsext_host_name(s->ssl, o->sni);
    return VX_OK;
}

static void on_connect(uv_connect_t *req, int status)
{
    vx__tcpconn *s = req->data;
    if (s->closing || status == UV_ECANCELED)
        return;
    if (status < 0) {
        become_ready(s, status_of_uv(status), uv_strerror(status));
        return;
    }
    s->tcp_ok = true;
    if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read) != 0) {
        become_ready(s, VX_ENETWORK, "cannot read from the socket");
        return;
    }
    if (s->ssl)
        handshake(s);
    else
        become_ready(s, VX_OK, NULL);
}

int vx__tcpconn_open(uv_loop_t *loop, const struct sockaddr *peer, const vx__tcpconn_opts *opts,
                     const vx__tcpconn_cbs *cbs, void *arg, vx__tcpconn **out)
{
    if (!loop || !peer || !cbs || !cbs->ready || !cbs->data || !cbs->closed || !out)
        return VX_EINVAL;
    vx__tcpconn *s = calloc(1, sizeof *s);
    if (!s)
        return VX_ENOMEM;
    s->cbs = *cbs;
    s->arg = arg;
    int rc = opts && opts->tls ? tls_start(s, opts) : VX_OK;
    if (rc == VX_OK && uv_tcp_init_ex(loop, &s->tcp, peer->sa_family) != 0)
        rc = VX_ENETWORK;
    if (rc != VX_OK) {
        SSL_free(s->ssl);
        free(s);
        return rc;
    }
    s->tcp.data = s;
    s->connect.data = s;
    if (uv_tcp_connect(&s->connect, &s->tcp, peer, on_connect) != 0) {
        s->closing = true;
        uv_close((uv_handle_t *)&s->tcp, on_closed_handle);
        return VX_ENETWORK;
    }
    *out = s;
    return VX_OK;
}

int vx__tcpconn_write(vx__tcpconn *s, const uint8_t *buf, size_t len)
{
    if (!s || !s->ready || s->closing || len > INT32_MAX)
        return VX_EINVAL;
    if (!s->ssl)
        return raw_write(s, buf, len);
    if (SSL_write(s->ssl, buf, (int)len) <= 0)
        return VX_ENETWORK;
    return flush(s);
}

void vx__tcpconn_close(vx__tcpconn *s)
{
    if (!s || s->closing)
        return;
    s->closing = true;
    uv_close((uv_handle_t *)&s->tcp, on_closed_handle);
}

/* ---- facts ----------------------------------------------------------------------------- */

bool vx__tcpconn_connected(const vx__tcpconn *s)
{
    return s && s->tcp_ok;
}

int vx__tcpconn_local(const vx__tcpconn *s, struct sockaddr_storage *out)
{
    int len = sizeof *out;
    memset(out, 0, sizeof *out);
    return uv_tcp_getsockname(&s->tcp, (struct sockaddr *)out, &len) == 0 ? VX_OK : VX_ENETWORK;
}

const char *vx__tcpconn_tls_protocol(const vx__tcpconn *s)
{
    return s && s->ssl && s->ready ? SSL_get_version(s->ssl) : NULL;
}

const char *vx__tcpconn_tls_cipher(const vx__tcpconn *s)
{
    return s && s->ssl && s->ready ? SSL_get_cipher_name(s->ssl) : NULL;
}

long vx__tcpconn_tls_verify(const vx__tcpconn *s, const char **why)
{
    if (!s || !s->ssl)
        return -1;
    long v = SSL_get_verify_result(s->ssl);
    if (why)
        *why = v == X509_V_OK ? NULL : X509_verify_cert_error_string(v);
    return v;
}

size_t vx__tcpconn_peer_chain(const vx__tcpconn *s, uint8_t **der, size_t *len, size_t max)
{
    STACK_OF(X509) *chain = s && s->ssl ? SSL_get_peer_cert_chain(s->ssl) : NULL;
    size_t n = 0;
    for (int i = 0; chain && i < sk_X509_num(chain) && n < max; i++) {
        unsigned char *buf = NULL;
        int l = i2d_X509(sk_X509_value(chain, i), &buf);
        if (l <= 0)
            continue;
        der[n] = malloc((size_t)l);
        if (!der[n]) {
            OPENSSL_free(buf);
            break;
        }
        memcpy(der[n], buf, (size_t)l);
        len[n++] = (size_t)l;
        OPENSSL_free(buf);
    }
    return n;
}
