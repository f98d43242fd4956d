/*
 * net/tls_conn.c — owns a TLS client connection over libuv TCP (net/tls.h): connecting, moving
 * bytes between the socket and the sans-I/O session, the events to the owner, closing.
 */
#include "net/tls.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

#define RX_MAX 16384

struct vx__tls_conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    vx__tls_session *s;
    vx__tls_cb cb;
    void *arg;
    bool closing, up;
    uint8_t rx[RX_MAX];
    uint8_t plain[RX_MAX];
};

typedef struct wr {
    uv_write_t req;
    uint8_t data[];
} wr;

static void on_closed(uv_handle_t *h)
{
    vx__tls_conn *c = h->data;
    vx__tls_session_free(c->s);
    free(c);
}

void vx__tls_conn_close(vx__tls_conn *c)
{
    if (!c || c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

/* The connection is gone: the owner hears it once, then it is closed. */
static void fail(vx__tls_conn *c, int status)
{
    if (c->closing)
        return;
    vx__tls_conn_close(c);
    c->cb(c->arg, VX__TLS_DOWN, status, NULL, 0);
}

static void on_written(uv_write_t *req, int status)
{
    vx__tls_conn *c = req->handle->data;
    free(req);
    if (status < 0 && status != UV_ECANCELED)
        fail(c, VX_ENETWORK);
}

/* Sends whatever the session has for the server. */
static int flush(vx__tls_conn *c)
{
    uint8_t buf[RX_MAX];
    size_t n;
    while ((n = vx__tls_session_pull(c->s, buf, sizeof(buf))) > 0) {
        wr *w = malloc(sizeof(*w) + n);
        if (!w)
            return VX_ENOMEM;
        memcpy(w->data, buf, n);
        uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
        if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
            free(w);
            return VX_ENETWORK;
        }
    }
    return VX_OK;
}

/* Runs the session: handshake, events, plaintext; stops when the owner closed meanwhile. */
static void pump(vx__tls_conn *c)
{
    size_t n = RX_MAX;
    bool up = false;
    while (!c->closing && n == RX_MAX) {
        int rc = vx__tls_session_run(c->s, c->plain, RX_MAX, &n, &up);
        if (rc == VX_OK)
            rc = flush(c);
        if (rc != VX_OK) {
            fail(c, rc);
            return;
        }
        if (up && !c->up) {
            c->up = true;
            c->cb(c->arg, VX__TLS_UP, VX_OK, NULL, 0);
        }
        if (n && !c->closing)
            c->cb(c->arg, VX__TLS_DATA, VX_OK, c->plain, n);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    vx__tls_conn *c = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)c->rx, sizeof(c->rx));
}

/* Acknowledges at once: a server that writes several answers back to back (pipelined queries)
 * without TCP_NODELAY holds each next one until our ACK, which Linux would delay 40 ms. */
static void quick_ack(vx__tls_conn *c)
{
    uv_os_fd_t fd;
    int on = 1;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    vx__tls_conn *c = st->data;
    quick_ack(c);
    if (nread < 0) {
        fail(c, c->up ? VX_ENETWORK : VX_EREFUSED);
        return;
    }
    if (vx__tls_session_feed(c->s, (const uint8_t *)buf->base, (size_t)nread) != VX_OK) {
        fail(c, VX_ENOMEM);
        return;
    }
    pump(c);
}

static void on_connect(uv_connect_t *req, int status)
{
    vx__tls_conn *c = req->data;
    if (c->closing)
        return;
    if (status < 0) {
        fail(c, status == UV_ECONNREFUSED ? VX_EREFUSED : VX_ENETWORK);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    pump(c); /* the ClientHello */
}

int vx__tls_conn_open(uv_loop_t *loop, vx__tls_ctx *ctx, const struct sockaddr *addr, vx__tls_cb cb,
                      void *arg, vx__tls_conn **out)
{
    vx__tls_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return VX_ENOMEM;
    int rc = vx__tls_session_new(ctx, NULL, &c->s);
    if (rc != VX_OK) {
        free(c);
        return rc;
    }
    c->cb = cb;
    c->arg = arg;
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_tcp_connect(&c->creq, &c->tcp, addr, on_connect) != 0) {
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return VX_ENETWORK;
    }
    *out = c;
    return VX_OK;
}

int vx__tls_conn_write(vx__tls_conn *c, const uint8_t *data, size_t len)
{
    if (c->closing || !c->up)
        return VX_EINVAL;
    int rc = vx__tls_session_write(c->s, data, len);
    return rc == VX_OK ? flush(c) : rc;
}

const vx__tls_session *vx__tls_conn_session(const vx__tls_conn *c)
{
    return c->s;
}
