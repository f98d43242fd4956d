/*
 * net/tcpconn.c — owns client connections (plain TCP, or TLS through net/tls.c's session) on
 * libuv (see tcpconn.h). Bytes flow: socket → session feed → session run → data callback, and
 * session write/handshake → session pull → uv_write. Everything is freed in the handle's close
 * callback, so that a callback may close the connection it was called for.
 */
#include "net/tcpconn.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "voxdns/status.h"

#define READ_CHUNK 16384

struct vx__tcpconn {
    uv_tcp_t tcp;
    uv_connect_t connect;
    vx__tls_session *tls; /* NULL for plain TCP */
    vx__tcpconn_cbs cbs;
    void *arg;
    bool tcp_ok, ready, closing;
    uint8_t rx[READ_CHUNK];
    uint8_t plain[READ_CHUNK];
};

typedef struct write_req {
    uv_write_t req;
    char data[];
} write_req;

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
    vx__tls_session_free(s->tls);
    free(s);
}

void vx__tcpconn_close(vx__tcpconn *s)
{
    if (!s || s->closing)
        return;
    s->closing = true;
    uv_close((uv_handle_t *)&s->tcp, on_closed_handle);
}

/* The connection's last callback (a failed ready, or closed after ready), then it is closed;
 * the facts stay readable during the callback. */
static void end(vx__tcpconn *s, int status, const char *why)
{
    if (s->closing)
        return;
    s->closing = true;
    if (s->ready)
        s->cbs.closed(s->arg, status);
    else
        s->cbs.ready(s->arg, status, why);
    uv_close((uv_handle_t *)&s->tcp, on_closed_handle);
}

/* A TLS connection that ends: before ready, the handshake failed, and why says how. */
static void tls_end(vx__tcpconn *s, int status)
{
    char why[200];
    const char *reason = vx__tls_failure(s->tls);
    snprintf(why, sizeof why, "TLS handshake failed: %s",
             reason ? reason : "the peer closed the connection");
    end(s, status, why);
}

static void become_ready(vx__tcpconn *s)
{
    s->ready = true;
    s->cbs.ready(s->arg, VX_OK, NULL);
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

/* Sends whatever the session has for the peer. */
static int flush(vx__tcpconn *s)
{
    uint8_t buf[READ_CHUNK];
    size_t n;
    int rc = VX_OK;
    while (rc == VX_OK && (n = vx__tls_session_pull(s->tls, buf, sizeof buf)) > 0)
        rc = raw_write(s, buf, n);
    return rc;
}

/* ---- reading --------------------------------------------------------------------------- */

/* Runs the session: handshake (its bytes sent, alerts too), ready, plaintext; stops when the
 * owner closed meanwhile. Plaintext that came before an error is delivered first. */
static void tls_pump(vx__tcpconn *s)
{
    size_t n = READ_CHUNK;
    bool up = false;
    while (!s->closing && n == READ_CHUNK) {
        int rc = vx__tls_session_run(s->tls, s->plain, READ_CHUNK, &n, &up);
        int sent = flush(s);
        if (up && !s->ready)
            become_ready(s);
        if (n && !s->closing)
            s->cbs.data(s->arg, s->plain, n);
        if (rc == VX_OK)
            rc = sent;
        if (rc != VX_OK) {
            tls_end(s, rc);
            return;
        }
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    vx__tcpconn *s = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)s->rx, sizeof s->rx);
}

/* Acknowledges at once: a server that writes several answers back to back (pipelined DNS
 * queries) without TCP_NODELAY holds each next one until our ACK, which Linux would delay
 * 40 ms. */
static void quick_ack(vx__tcpconn *s)
{
    uv_os_fd_t fd;
    int on = 1;
    if (uv_fileno((uv_handle_t *)&s->tcp, &fd) == 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    vx__tcpconn *s = st->data;
    if (s->closing || nread == 0)
        return;
    quick_ack(s);
    if (nread < 0) {
        int status = s->ready && nread == UV_EOF ? VX_OK : VX_ENETWORK;
        if (s->tls)
            tls_end(s, status);
        else
            end(s, status, "connection closed");
        return;
    }
    if (!s->tls) {
        s->cbs.data(s->arg, (const uint8_t *)buf->base, (size_t)nread);
        return;
    }
    if (vx__tls_session_feed(s->tls, (const uint8_t *)buf->base, (size_t)nread) != VX_OK)
        end(s, VX_ENOMEM, "out of memory");
    else
        tls_pump(s);
}

/* ---- connecting ------------------------------------------------------------------------ */

static void on_connect(uv_connect_t *req, int status)
{
    vx__tcpconn *s = req->data;
    if (s->closing || status == UV_ECANCELED)
        return;
    if (status < 0) {
        end(s, status_of_uv(status), uv_strerror(status));
        return;
    }
    s->tcp_ok = true;
    if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read) != 0)
        end(s, VX_ENETWORK, "cannot read from the socket");
    else if (s->tls)
        tls_pump(s); /* the ClientHello */
    else
        become_ready(s);
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
    int rc = opts && opts->tls ? vx__tls_session_new(opts->tls, opts->sni, &s->tls) : VX_OK;
    if (rc == VX_OK && uv_tcp_init_ex(loop, &s->tcp, peer->sa_family) != 0)
        rc = VX_ENETWORK;
    if (rc != VX_OK) {
        vx__tls_session_free(s->tls);
        free(s);
        return rc;
    }
    s->tcp.data = s;
    s->connect.data = s;
    uv_tcp_nodelay(&s->tcp, 1);
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
    if (!s->tls)
        return raw_write(s, buf, len);
    int rc = vx__tls_session_write(s->tls, buf, len);
    return rc == VX_OK ? flush(s) : rc;
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
    return s && s->tls ? vx__tls_protocol(s->tls) : NULL;
}

const char *vx__tcpconn_tls_cipher(const vx__tcpconn *s)
{
    return s && s->tls ? vx__tls_cipher(s->tls) : NULL;
}

long vx__tcpconn_tls_verify(const vx__tcpconn *s, const char **why)
{
    if (why)
        *why = NULL;
    return s && s->tls ? vx__tls_verify(s->tls, why) : -1;
}

size_t vx__tcpconn_peer_chain(const vx__tcpconn *s, uint8_t **der, size_t *len, size_t max)
{
    STACK_OF(X509) *chain = s && s->tls ? vx__tls_peer_chain(s->tls) : NULL;
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
