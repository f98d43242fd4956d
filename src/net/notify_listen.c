/*
 * net/notify_listen.c — owns the NOTIFY listener's sockets: per address one uv_udp_t and one
 * listening uv_tcp_t, and the accepted TCP connections with their framing (RFC 1035 §4.2.2
 * length prefix, read by wire/frame.h), idle timer and cap. Every handle is counted; the listener's
 * memory goes when the last one has closed after vx__notify_listen_stop(), so a close callback
 * never reads freed memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/notify_listen.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/frame.h"

#define UDP_BUF 65536u
#define ANSWER_CAP 4096u

typedef struct port {
    uv_udp_t udp;
    uv_tcp_t tcp;
    struct vx__notify_listen *owner;
    uint8_t buf[UDP_BUF];
} port;

typedef struct conn {
    uv_tcp_t tcp;
    uv_timer_t idle;
    struct vx__notify_listen *owner;
    struct conn *prev, *next;
    bool closing;
    unsigned handles;    /* open handles of the two: the memory goes with the last */
    vx__deframer frames; /* holds a message that arrives in pieces */
    struct sockaddr_storage from;
} conn;

typedef struct answer_write {
    uv_write_t req;
    uint8_t data[2 + ANSWER_CAP];
} answer_write;

struct vx__notify_listen {
    uv_loop_t *loop;
    vx__notify_handler handler;
    void *arg;
    port *ports;
    size_t port_count;
    conn *conns; /* open connections */
    size_t conn_count;
    size_t handles_open; /* every handle not yet closed (ports' and connections') */
    bool stopping;
    uint64_t requests, turned;
    uint8_t answer[ANSWER_CAP];
    uint8_t rx[UDP_BUF]; /* TCP reads: libuv calls the read callback right after alloc */
};

static void maybe_free(vx__notify_listen *l)
{
    if (l->stopping && l->handles_open == 0) {
        free(l->ports);
        free(l);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    vx__notify_listen *l = h->data;
    l->handles_open--;
    maybe_free(l);
}

/* A connection's two handles each count; its memory goes with the second to close (libuv
 * does not promise the order). */
static void on_conn_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    vx__notify_listen *l = c->owner;
    if (--c->handles == 0) {
        vx__deframer_free(&c->frames);
        free(c);
    }
    l->handles_open--;
    maybe_free(l);
}

static void conn_close(conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    vx__notify_listen *l = c->owner;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    l->conn_count--;
    uv_timer_stop(&c->idle);
    c->tcp.data = c->idle.data = c;
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->idle, on_conn_handle_closed);
}

/* ---- UDP ------------------------------------------------------------------------------------- */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    port *p = h->data;
    *buf = uv_buf_init((char *)p->buf, UDP_BUF);
}

static void on_udp(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                   unsigned flags)
{
    port *p = h->data;
    vx__notify_listen *l = p->owner;
    if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL) || l->stopping)
        return;
    l->requests++;
    size_t n = l->handler(l->arg, (const uint8_t *)buf->base, (size_t)nread, from, false, l->answer,
                          sizeof l->answer);
    uv_buf_t out = uv_buf_init((char *)l->answer, (unsigned)n);
    if (n > 0 && n <= sizeof l->answer)
        (void)uv_udp_try_send(h, &out, 1, from); /* a lost answer: the primary sends again */
}

/* ---- TCP ------------------------------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed write ends with the connection's read error */
    free(req->data);
}

static void send_answer(conn *c, const uint8_t *a, size_t n)
{
    answer_write *w = malloc(sizeof *w);
    if (!w)
        return;
    vx__frame_put_prefix(w->data, n); /* n <= ANSWER_CAP */
    memcpy(w->data + 2, a, n);
    w->req.data = w;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)(n + 2));
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
        free(w);
        conn_close(c);
    }
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn *c = h->data;
    *buf = uv_buf_init((char *)c->owner->rx, sizeof c->owner->rx);
}

/* One whole message from the deframer; stops it once the connection or the listener ends. */
static int take_message(void *arg, const uint8_t *msg, size_t len)
{
    conn *c = arg;
    vx__notify_listen *l = c->owner;
    if (c->closing || l->stopping)
        return VX_ECANCELED;
    l->requests++;
    size_t n = l->handler(l->arg, msg, len, (const struct sockaddr *)&c->from, true, l->answer,
                          sizeof l->answer);
    if (n > 0 && n <= sizeof l->answer)
        send_answer(c, l->answer, n);
    return c->closing ? VX_ECANCELED : VX_OK;
}

static void on_idle(uv_timer_t *t)
{
    conn_close(t->data);
}

static void on_conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    uv_timer_again(&c->idle);
    /* A length below a DNS header is not DNS (or no memory): the connection goes. */
    int rc =
        vx__deframer_feed(&c->frames, (const uint8_t *)buf->base, (size_t)nread, take_message, c);
    if (rc == VX_EMALFORMED || rc == VX_ENOMEM)
        conn_close(c);
}

static void link_conn(vx__notify_listen *l, conn *c)
{
    c->next = l->conns;
    if (l->conns)
        l->conns->prev = c;
    l->conns = c;
    l->conn_count++;
}

static void on_connection(uv_stream_t *server, int status)
{
    port *p = server->data;
    vx__notify_listen *l = p->owner;
    conn *c = status == 0 && !l->stopping ? calloc(1, sizeof *c) : NULL;
    if (!c)
        return;
    c->owner = l;
    uv_tcp_init(l->loop, &c->tcp);
    uv_timer_init(l->loop, &c->idle);
    c->tcp.data = c->idle.data = c;
    c->handles = 2;
    l->handles_open += 2;
    link_conn(l, c);
    int flen = sizeof c->from;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || l->conn_count > VX__NOTIFY_MAX_CONNS ||
        uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->from, &flen) != 0) {
        l->turned += l->conn_count > VX__NOTIFY_MAX_CONNS;
        conn_close(c);
        return;
    }
    uv_timer_start(&c->idle, on_idle, VX__NOTIFY_IDLE_MS, VX__NOTIFY_IDLE_MS);
    if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, on_conn_read) != 0)
        conn_close(c);
}

/* ---- start and stop -------------------------------------------------------------------------- */

static int bind_port(vx__notify_listen *l, port *p, const struct sockaddr *sa, char *err,
                     size_t errcap)
{
    char text[VX__ADDR_TEXT_MAX];
    vx__addr_format_port(sa, text, sizeof text);
    p->owner = l;
    uv_udp_init(l->loop, &p->udp);
    uv_tcp_init(l->loop, &p->tcp);
    p->udp.data = p->tcp.data = p;
    l->handles_open += 2;
    int rc = uv_udp_bind(&p->udp, sa, 0);
    const char *what = "UDP bind";
    if (rc == 0 && (rc = uv_udp_recv_start(&p->udp, udp_alloc, on_udp)) != 0)
        what = "UDP receive";
    if (rc == 0 && (rc = uv_tcp_bind(&p->tcp, sa, 0)) != 0)
        what = "TCP bind";
    if (rc == 0 && (rc = uv_listen((uv_stream_t *)&p->tcp, 64, on_connection)) != 0)
        what = "TCP listen";
    if (rc != 0)
        snprintf(err, errcap, "notify_listen %s: %s: %s", text, what, uv_strerror(rc));
    return rc == 0 ? VX_OK : VX_ENETWORK;
}

int vx__notify_listen_start(uv_loop_t *loop, const struct sockaddr_storage *addrs, size_t count,
                            vx__notify_handler handler, void *arg, vx__notify_listen **out,
                            char *err, size_t errcap)
{
    *out = NULL;
    vx__notify_listen *l = calloc(1, sizeof *l);
    port *ports = count ? calloc(count, sizeof *ports) : NULL;
    if (!l || (count && !ports)) {
        free(l);
        free(ports);
        snprintf(err, errcap, "notify_listen: %s", vx_strerror(VX_ENOMEM));
        return VX_ENOMEM;
    }
    *l = (vx__notify_listen){.loop = loop, .handler = handler, .arg = arg, .ports = ports};
    int rc = VX_OK;
    for (size_t i = 0; i < count && rc == VX_OK; i++, l->port_count++)
        rc = bind_port(l, &ports[i], (const struct sockaddr *)&addrs[i], err, errcap);
    if (rc != VX_OK) {
        vx__notify_listen_stop(l);
        return rc;
    }
    *out = l;
    return VX_OK;
}

void vx__notify_listen_stop(vx__notify_listen *l)
{
    if (!l || l->stopping)
        return;
    l->stopping = true;
    while (l->conns)
        conn_close(l->conns);
    for (size_t i = 0; i < l->port_count; i++) {
        port *p = &l->ports[i];
        p->udp.data = p->tcp.data = l;
        uv_close((uv_handle_t *)&p->udp, on_handle_closed);
        uv_close((uv_handle_t *)&p->tcp, on_handle_closed);
    }
    maybe_free(l);
}

void vx__notify_listen_counts(const vx__notify_listen *l, uint64_t *requests, uint64_t *turned)
{
    *requests = l ? l->requests : 0;
    *turned = l ? l->turned : 0;
}
