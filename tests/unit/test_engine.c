/*
 * tests/unit/test_engine.c — the libuv query engine (net/engine.c and friends) against tiny
 * fake DNS servers running in the same loop on 127.0.0.1 ephemeral ports: answer matching and
 * dropping, TC→TCP, the retry plan against a silent server, refusals (ICMP and RST), the
 * in-flight caps, the token bucket, cancellation on close, and many concurrent queries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "net/engine.h"
#include "voxdns/status.h"
#include "wire/query.h"
#include "wire/reader.h"

/* ---- harness ---------------------------------------------------------------------------- */

static uv_loop_t loop;
static int pending; /* query callbacks still expected */

typedef struct qctx {
    int calls;
    vx__query_result r; /* copy; r.wire is not valid after the callback */
    uint8_t wire[512];
    size_t wire_len;
    vx__question question;
    bool question_ok; /* the answer's question is the one asked */
    vx__engine *engine;
    bool requery; /* during the callback, try another query and keep its status */
    int requery_rc;
    bool close_engine; /* close the engine from inside the callback */
} qctx;

static void on_result(void *arg, const vx__query_result *r)
{
    qctx *c = arg;
    vx__question got;

    c->calls++;
    c->r = *r;
    c->r.wire = NULL;
    if (r->wire && r->wire_len <= sizeof c->wire) {
        memcpy(c->wire, r->wire, r->wire_len);
        c->wire_len = r->wire_len;
        c->question_ok = vx__wire_read_question(r->wire, r->wire_len, &got) == VX_OK &&
                         vx__question_equal(&got, &c->question);
    }
    if (c->requery) {
        vx__query_spec spec = {.server = NULL, .question = &c->question, .flags = 0};
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        spec.server = (const struct sockaddr *)&sa;
        c->requery_rc = vx__engine_query(c->engine, &spec, on_result, c);
    }
    if (c->close_engine)
        vx__engine_close(c->engine);
    pending--;
}

static void ask(vx__engine *e, const struct sockaddr_in *server, const char *name, unsigned flags,
                qctx *c)
{
    vx__query_spec spec = {.server = (const struct sockaddr *)server, .flags = flags};

    assert_int_equal(vx__question_from_text(name, 1, 1, &c->question), VX_OK);
    spec.question = &c->question;
    c->engine = e;
    pending++;
    assert_int_equal(vx__engine_query(e, &spec, on_result, c), VX_OK);
    assert_int_equal(c->calls, 0); /* never called back from inside vx__engine_query() */
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t; /* only makes UV_RUN_ONCE return so that run_until() can check the clock */
}

static double ms_since(uint64_t t0)
{
    return (double)(uv_hrtime() - t0) / 1e6;
}

/* Runs the loop until every expected callback has run; fails after max_ms. */
static void run_until_done(double max_ms)
{
    uv_timer_t watchdog;
    uint64_t t0 = uv_hrtime();

    uv_timer_init(&loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 50, 50);
    while (pending > 0) {
        uv_run(&loop, UV_RUN_ONCE);
        assert_true(ms_since(t0) < max_ms);
    }
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static vx__engine *engine_new(const vx__engine_opts *opts)
{
    vx__engine *e = NULL;

    assert_int_equal(vx__engine_new(&loop, opts, &e), VX_OK);
    return e;
}

static vx__engine_stats stats_of(const vx__engine *e)
{
    vx__engine_stats s;

    vx__engine_get_stats(e, &s);
    return s;
}

static void close_if_open(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int setup(void **state)
{
    (void)state;
    pending = 0;
    return uv_loop_init(&loop);
}

/* Every engine is closed by its test; here the fake servers go, and uv_loop_close() proves
 * that the engine left no handle behind. */
static int teardown(void **state)
{
    (void)state;
    uv_walk(&loop, close_if_open, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

static void engine_close_and_drain(vx__engine *e)
{
    vx__engine_close(e);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* ---- fake servers ----------------------------------------------------------------------- */

typedef enum fake_mode {
    FAKE_ECHO,         /* answer at once */
    FAKE_SILENT,       /* never answer */
    FAKE_HOLD,         /* answer what was received every HOLD_MS */
    FAKE_WRONG_PORT,   /* first an answer from another port, then the right one */
    FAKE_WRONG_ID,     /* first an answer with another id, then the right one */
    FAKE_WRONG_QTYPE,  /* first an answer to another question, then the right one */
    FAKE_GARBAGE,      /* first a datagram too short to be DNS, then the right answer */
    FAKE_NOT_RESPONSE, /* first the query echoed without QR, then the right answer */
    FAKE_TRUNCATE,     /* answer with TC set (the TCP fake then answers) */
    FAKE_LATE,         /* answer the first transmission only when the second arrives */
    FAKE_TWICE         /* answer every query twice */
} fake_mode;

#define HOLD_MS 15
#define HELD_MAX 256

typedef struct held {
    struct sockaddr_storage from;
    uint8_t msg[512];
    size_t len;
} held;

typedef struct fake_udp {
    uv_udp_t h;
    uv_udp_t rogue; /* another port on the same address */
    uv_timer_t hold_timer;
    struct sockaddr_in addr;
    fake_mode mode;
    unsigned received;
    uint16_t ids[16];
    uint16_t ports[16]; /* source port of each of the first datagrams */
    uint64_t first_ns, last_ns;
    unsigned early; /* received within 20 ms of the first */
    held held[HELD_MAX];
    unsigned held_count;
} fake_udp;

static unsigned outstanding, max_outstanding; /* held queries across all FAKE_HOLD fakes */
static uint8_t rxbuf[65536];

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init((char *)rxbuf, sizeof rxbuf);
}

static size_t qtype_offset(const uint8_t *msg, size_t len)
{
    size_t p = 12;

    while (p < len && msg[p] != 0)
        p += 1u + msg[p];
    return p + 1;
}

static void send_from(uv_udp_t *h, const struct sockaddr *to, const uint8_t *msg, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);

    assert_int_equal(uv_udp_try_send(h, &b, 1, to), (int)len);
}

static void answer(uv_udp_t *h, const struct sockaddr *to, const uint8_t *q, size_t len,
                   uint8_t extra_flags)
{
    uint8_t out[512];

    memcpy(out, q, len);
    out[2] |= (uint8_t)(0x80 | extra_flags); /* QR */
    send_from(h, to, out, len);
}

static void send_decoy(fake_udp *f, const struct sockaddr *to, const uint8_t *q, size_t len)
{
    uint8_t out[512];

    memcpy(out, q, len);
    out[2] |= 0x80;
    if (f->mode == FAKE_WRONG_PORT)
        send_from(&f->rogue, to, out, len);
    else if (f->mode == FAKE_WRONG_ID)
        out[1] ^= 0x5a;
    else if (f->mode == FAKE_WRONG_QTYPE)
        out[qtype_offset(out, len) + 1] = 28; /* A -> AAAA */
    else if (f->mode == FAKE_GARBAGE)
        len = 5;
    else if (f->mode == FAKE_NOT_RESPONSE)
        out[2] &= 0x7f;
    if (f->mode != FAKE_WRONG_PORT)
        send_from(&f->h, to, out, len);
}

static void hold(fake_udp *f, const struct sockaddr *from, const uint8_t *q, size_t len)
{
    held *slot = &f->held[f->held_count++];

    assert_true(f->held_count <= HELD_MAX);
    memcpy(&slot->from, from, sizeof(struct sockaddr_in));
    memcpy(slot->msg, q, len);
    slot->len = len;
    if (++outstanding > max_outstanding)
        max_outstanding = outstanding;
}

static void note(fake_udp *f, const struct sockaddr *from, const uint8_t *q)
{
    uint64_t now = uv_hrtime();

    if (f->received < 16) {
        f->ids[f->received] = (uint16_t)(q[0] << 8 | q[1]);
        f->ports[f->received] = ntohs(((const struct sockaddr_in *)(const void *)from)->sin_port);
    }
    if (f->received++ == 0)
        f->first_ns = now;
    f->last_ns = now;
    if (now - f->first_ns < 20000000u)
        f->early++;
}

static void fake_on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                         const struct sockaddr *from, unsigned flags)
{
    fake_udp *f = h->data;
    const uint8_t *q = (const uint8_t *)buf->base;
    size_t len = (size_t)nread;

    (void)flags;
    if (nread < 12 || !from)
        return;
    note(f, from, q);
    if (f->mode == FAKE_SILENT)
        return;
    if (f->mode == FAKE_HOLD || (f->mode == FAKE_LATE && f->received == 1)) {
        hold(f, from, q, len);
        return;
    }
    if (f->mode == FAKE_LATE) {
        answer(&f->h, from, f->held[0].msg, f->held[0].len, 0);
        return;
    }
    if (f->mode == FAKE_TWICE)
        answer(&f->h, from, q, len, 0);
    else if (f->mode != FAKE_ECHO && f->mode != FAKE_TRUNCATE)
        send_decoy(f, from, q, len);
    answer(&f->h, from, q, len, f->mode == FAKE_TRUNCATE ? 0x02 : 0);
}

static void on_hold_timer(uv_timer_t *t)
{
    fake_udp *f = t->data;

    for (unsigned i = 0; i < f->held_count; i++)
        answer(&f->h, (const struct sockaddr *)&f->held[i].from, f->held[i].msg, f->held[i].len, 0);
    outstanding -= f->held_count;
    f->held_count = 0;
}

static void udp_bind_loopback(uv_udp_t *h, uint16_t port)
{
    struct sockaddr_in a;

    assert_int_equal(uv_udp_init(&loop, h), 0);
    uv_ip4_addr("127.0.0.1", port, &a);
    assert_int_equal(uv_udp_bind(h, (const struct sockaddr *)&a, 0), 0);
}

/* Starts a fake on 127.0.0.1; port 0 for any. */
static void fake_udp_start(fake_udp *f, fake_mode mode, uint16_t port)
{
    int len = sizeof f->addr;

    memset(f, 0, sizeof *f);
    f->mode = mode;
    udp_bind_loopback(&f->h, port);
    f->h.data = f;
    assert_int_equal(uv_udp_getsockname(&f->h, (struct sockaddr *)&f->addr, &len), 0);
    assert_int_equal(uv_udp_recv_start(&f->h, on_alloc, fake_on_recv), 0);
    udp_bind_loopback(&f->rogue, 0);
    if (mode == FAKE_HOLD) {
        uv_timer_init(&loop, &f->hold_timer);
        f->hold_timer.data = f;
        uv_timer_start(&f->hold_timer, on_hold_timer, HOLD_MS, HOLD_MS);
    }
}

/* A TCP fake: reads one length-prefixed query per connection and answers it. */
#define CONNS_MAX 32

typedef struct tconn {
    uv_tcp_t h;
    uv_write_t w;
    uint8_t in[1024];
    size_t have;
    uint8_t out[1024];
    bool wrong_id;
} tconn;

typedef struct fake_tcp {
    uv_tcp_t listener;
    struct sockaddr_in addr;
    bool wrong_id;
    unsigned accepted;
    tconn *conns[CONNS_MAX];
} fake_tcp;

static void tconn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    tconn *c = h->data;

    (void)suggested;
    *buf = uv_buf_init((char *)c->in + c->have, (unsigned)(sizeof c->in - c->have));
}

static void tconn_reply(tconn *c, size_t len)
{
    uv_buf_t b;

    memcpy(c->out, c->in, 2 + len);
    c->out[4] |= 0x80;
    if (c->wrong_id)
        c->out[3] ^= 0x5a;
    b = uv_buf_init((char *)c->out, (unsigned)(2 + len));
    assert_int_equal(uv_write(&c->w, (uv_stream_t *)&c->h, &b, 1, NULL), 0);
}

static void tconn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    tconn *c = s->data;
    size_t len;

    (void)buf;
    if (nread < 0) {
        if (!uv_is_closing((uv_handle_t *)s))
            uv_close((uv_handle_t *)s, NULL);
        return;
    }
    c->have += (size_t)nread;
    if (c->have < 2)
        return;
    len = (size_t)(c->in[0] << 8 | c->in[1]);
    if (c->have >= 2 + len)
        tconn_reply(c, len);
}

static void fake_on_connection(uv_stream_t *server, int status)
{
    fake_tcp *f = server->data;
    tconn *c = calloc(1, sizeof *c);

    assert_int_equal(status, 0);
    assert_non_null(c);
    assert_true(f->accepted < CONNS_MAX);
    f->conns[f->accepted++] = c;
    c->wrong_id = f->wrong_id;
    uv_tcp_init(&loop, &c->h);
    c->h.data = c;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&c->h), 0);
    uv_read_start((uv_stream_t *)&c->h, tconn_alloc, tconn_read);
}

static int fake_tcp_start(fake_tcp *f, uint16_t port)
{
    int len = sizeof f->addr;
    struct sockaddr_in a;
    int rc;

    memset(f, 0, sizeof *f);
    uv_tcp_init(&loop, &f->listener);
    f->listener.data = f;
    uv_ip4_addr("127.0.0.1", port, &a);
    rc = uv_tcp_bind(&f->listener, (const struct sockaddr *)&a, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&f->listener, 64, fake_on_connection);
    if (rc == 0)
        uv_tcp_getsockname(&f->listener, (struct sockaddr *)&f->addr, &len);
    return rc;
}

static void fake_tcp_free(fake_tcp *f)
{
    for (unsigned i = 0; i < f->accepted; i++)
        free(f->conns[i]);
}

/* A port on 127.0.0.1 where nothing listens (bound for a moment, then released). */
static struct sockaddr_in closed_port(int type)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, type, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return a;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_normal_answer(void **state)
{
    fake_udp f;
    qctx c = {0};
    vx__engine *e = engine_new(NULL);
    vx__rtt rtt;

    (void)state;
    fake_udp_start(&f, FAKE_ECHO, 0);
    ask(e, &f.addr, "sip.example.com", 0, &c);
    run_until_done(2000);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.r.status, VX_OK);
    assert_true(c.question_ok);
    assert_int_equal(c.r.transport, VX__UDP);
    assert_int_equal(c.r.attempt_count, 1);
    assert_int_equal(c.r.attempts[0].status, VX_OK);
    assert_int_equal(c.r.attempts[0].timeout_ms, 400);
    assert_int_equal(c.r.dropped, 0);
    assert_true(c.r.rtt_ms > 0 && c.r.rtt_ms < 400);
    assert_true((c.wire[2] & 0x80) != 0);
    assert_int_equal(vx__engine_server_rtt(e, (const struct sockaddr *)&f.addr, &rtt), VX_OK);
    assert_true(rtt.measured);
    assert_int_equal(stats_of(e).answered, 1);
    assert_int_equal(stats_of(e).sent, 1);
    assert_int_equal(f.received, 1);
    assert_true(f.ports[0] != 0 && f.ports[0] != ntohs(f.addr.sin_port));
    engine_close_and_drain(e);
}

static void expect_one_drop(fake_mode mode)
{
    fake_udp f;
    qctx c = {0};
    vx__engine *e = engine_new(NULL);

    fake_udp_start(&f, mode, 0);
    ask(e, &f.addr, "_sip._udp.example.com", 0, &c);
    run_until_done(2000);
    assert_int_equal(c.r.status, VX_OK);
    assert_true(c.question_ok);
    assert_int_equal(c.r.attempt_count, 1); /* the decoy did not end or restart anything */
    assert_int_equal(c.r.dropped, 1);
    assert_int_equal(stats_of(e).dropped, 1);
    assert_int_equal(stats_of(e).answered, 1);
    engine_close_and_drain(e);
}

static void test_wrong_port_dropped(void **state)
{
    (void)state;
    expect_one_drop(FAKE_WRONG_PORT);
}

static void test_wrong_id_dropped(void **state)
{
    (void)state;
    expect_one_drop(FAKE_WRONG_ID);
}

static void test_wrong_question_dropped(void **state)
{
    (void)state;
    expect_one_drop(FAKE_WRONG_QTYPE);
}

static void test_malformed_dropped(void **state)
{
    (void)state;
    expect_one_drop(FAKE_GARBAGE);
}

static void test_query_not_response_dropped(void **state)
{
    (void)state;
    expect_one_drop(FAKE_NOT_RESPONSE);
}

/* UDP and TCP fakes on one port number, as a real server has them. */
static void start_udp_tcp_pair(fake_udp *u, fake_tcp *t, fake_mode mode)
{
    for (int tries = 0; tries < 20; tries++) {
        assert_int_equal(fake_tcp_start(t, 0), 0);
        uv_udp_t probe;
        struct sockaddr_in a = t->addr;
        assert_int_equal(uv_udp_init(&loop, &probe), 0);
        int rc = uv_udp_bind(&probe, (const struct sockaddr *)&a, 0);
        uv_close((uv_handle_t *)&probe, NULL);
        uv_run(&loop, UV_RUN_NOWAIT);
        if (rc == 0) {
            fake_udp_start(u, mode, ntohs(t->addr.sin_port));
            return;
        }
        uv_close((uv_handle_t *)&t->listener, NULL);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    fail_msg("no port free for both UDP and TCP");
}

static void test_tc_falls_back_to_tcp(void **state)
{
    fake_udp u;
    fake_tcp t;
    qctx c = {0};
    vx__engine *e = engine_new(NULL);

    (void)state;
    start_udp_tcp_pair(&u, &t, FAKE_TRUNCATE);
    ask(e, &u.addr, "big.example.com", 0, &c);
    run_until_done(2000);
    assert_int_equal(c.r.status, VX_OK);
    assert_true(c.question_ok);
    assert_int_equal(c.r.transport, VX__TCP);
    assert_int_equal(c.r.attempt_count, 2);
    assert_int_equal(c.r.attempts[0].transport, VX__UDP);
    assert_true(c.r.attempts[0].truncated);
    assert_int_equal(c.r.attempts[1].transport, VX__TCP);
    assert_int_equal(c.r.attempts[1].status, VX_OK);
    assert_false(c.r.attempts[1].truncated);
    assert_true(c.r.attempts[1].timeout_ms > 2900); /* the rest of the 3000 ms budget */
    assert_int_equal((c.wire[2] & 0x02), 0);        /* the TCP answer, not the TC one */
    assert_int_equal(stats_of(e).tcp_fallbacks, 1);
    assert_int_equal(stats_of(e).sent, 2);
    assert_int_equal(t.accepted, 1);
    engine_close_and_drain(e);
    uv_walk(&loop, close_if_open, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    fake_tcp_free(&t);
}

static void test_tcp_only_and_mismatch(void **state)
{
    fake_tcp t;
    qctx ok = {0}, bad = {0};
    vx__engine *e = engine_new(NULL);
    fake_tcp t2;

    (void)state;
    assert_int_equal(fake_tcp_start(&t, 0), 0);
    assert_int_equal(fake_tcp_start(&t2, 0), 0);
    t2.wrong_id = true;
    ask(e, &t.addr, "example.com", VX__Q_TCP, &ok);
    ask(e, &t2.addr, "example.com", VX__Q_TCP, &bad);
    run_until_done(2000);
    assert_int_equal(ok.r.status, VX_OK);
    assert_true(ok.question_ok);
    assert_int_equal(ok.r.transport, VX__TCP);
    assert_int_equal(ok.r.attempt_count, 1);
    assert_int_equal(ok.r.attempts[0].timeout_ms, 3000);
    assert_int_equal(bad.r.status, VX_EMALFORMED);
    assert_int_equal(bad.r.attempt_count, 1);
    assert_int_equal(bad.r.attempts[0].status, VX_EMALFORMED);
    engine_close_and_drain(e);
    uv_walk(&loop, close_if_open, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    fake_tcp_free(&t);
    fake_tcp_free(&t2);
}

/* The default plan for real (400 + 800 + 1600 ms) next to a 1000 ms budget (400 + 600 ms),
 * both in the same loop so that the test takes as long as the longer one. */
static void test_silent_server_times_out(void **state)
{
    fake_udp f, g;
    qctx c = {0}, d = {0};
    vx__engine_opts small;
    vx__engine *e = engine_new(NULL);
    vx__engine *e2;
    uint64_t t0 = uv_hrtime();
    vx__rtt rtt;

    (void)state;
    vx__engine_opts_default(&small);
    small.budget_ms = 1000;
    e2 = engine_new(&small);
    fake_udp_start(&f, FAKE_SILENT, 0);
    fake_udp_start(&g, FAKE_SILENT, 0);
    ask(e, &f.addr, "example.com", 0, &c);
    ask(e2, &g.addr, "example.com", 0, &d);
    run_until_done(4000);
    assert_true(ms_since(t0) < 3000);

    assert_int_equal(c.r.status, VX_ETIMEDOUT);
    assert_int_equal(c.r.attempt_count, 3);
    const uint32_t plan[3] = {400, 800, 1600};
    double total = 0;
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(c.r.attempts[i].status, VX_ETIMEDOUT);
        assert_int_equal(c.r.attempts[i].timeout_ms, plan[i]);
        assert_true(c.r.attempts[i].elapsed_ms >= plan[i] - 2.0);
        total += c.r.attempts[i].elapsed_ms;
    }
    assert_true(total >= 2790 && total < 3000);
    assert_int_equal(f.received, 3);
    /* Same socket (source port) for the retransmissions, a new id for each. */
    assert_int_equal(f.ports[0], f.ports[1]);
    assert_int_equal(f.ports[1], f.ports[2]);
    assert_true(f.ids[0] != f.ids[1] || f.ids[1] != f.ids[2]);
    assert_int_equal(stats_of(e).timeouts, 3);
    assert_int_equal(vx__engine_server_rtt(e, (const struct sockaddr *)&f.addr, &rtt), VX_OK);
    assert_int_equal(vx__rtt_rto(&rtt), VX__RTO_MAX_MS); /* backed off 400 -> 800 -> 1600 -> cap */

    assert_int_equal(d.r.status, VX_ETIMEDOUT);
    assert_int_equal(d.r.attempt_count, 2);
    assert_int_equal(d.r.attempts[0].timeout_ms, 400);
    assert_int_equal(d.r.attempts[1].timeout_ms, 600);
    assert_int_equal(g.received, 2);
    engine_close_and_drain(e);
    engine_close_and_drain(e2);
}

typedef struct later_ask {
    vx__engine *e;
    const struct sockaddr_in *server;
    qctx *c;
    uint64_t at_ns;
} later_ask;

static void on_later_ask(uv_timer_t *t)
{
    later_ask *l = t->data;

    l->at_ns = uv_hrtime();
    ask(l->e, l->server, "example.org", 0, l->c);
    uv_close((uv_handle_t *)t, NULL);
}

static double ms_between(uint64_t from, uint64_t to)
{
    return (double)(to - from) / 1e6;
}

static double attempts_ms(const vx__query_result *r)
{
    double total = 0;

    for (unsigned i = 0; i < r->attempt_count; i++)
        total += r->attempts[i].timeout_ms;
    return total;
}

/* One budget per silence: a query started 300 ms into a silent server's 1000 ms budget gets the
 * 700 ms left; one started after the budget ran out is not sent at all; two budgets later the
 * silence is forgotten and a query is sent again. Bounds on elapsed time are loose: the
 * machine may be loaded; the attempt plans say what was given. */
static void test_silence_shares_one_budget(void **state)
{
    fake_udp f;
    qctx c1 = {0}, c2 = {0}, c3 = {0}, c4 = {0};
    vx__engine_opts o;
    uv_timer_t t;
    later_ask l;
    uint64_t t0 = uv_hrtime();

    (void)state;
    vx__engine_opts_default(&o);
    o.budget_ms = 1000;
    vx__engine *e = engine_new(&o);
    fake_udp_start(&f, FAKE_SILENT, 0);
    ask(e, &f.addr, "example.com", 0, &c1);
    uint64_t t1 = uv_hrtime(); /* c1 started (and the silence began) before this */
    l = (later_ask){.e = e, .server = &f.addr, .c = &c2};
    uv_timer_init(&loop, &t);
    t.data = &l;
    uv_timer_start(&t, on_later_ask, 300, 0);
    run_until_done(2000);
    assert_int_equal(c1.r.status, VX_ETIMEDOUT);
    assert_true(attempts_ms(&c1.r) == 1000);
    assert_int_equal(c2.r.status, VX_ETIMEDOUT);
    assert_true(c2.r.attempt_count >= 1);
    /* What was left when it started, not a budget of its own. */
    assert_true(attempts_ms(&c2.r) <= 1000.0 - ms_between(t1, l.at_ns) + 1);
    unsigned sent = f.received;

    uint64_t t3 = uv_hrtime();
    assert_true(ms_since(t0) < 1900); /* still within two budgets */
    ask(e, &f.addr, "example.net", VX__Q_TCP, &c3);
    run_until_done(2000);
    assert_int_equal(c3.r.status, VX_ETIMEDOUT);
    assert_int_equal(c3.r.attempt_count, 0);
    assert_int_equal(c3.r.transport, VX__TCP); /* what was asked for, though nothing went out */
    assert_true(ms_since(t3) < 500);
    assert_int_equal(f.received, sent);

    while (ms_since(t0) < 2100)
        uv_sleep(10);
    ask(e, &f.addr, "example.com", 0, &c4);
    run_until_done(3000);
    assert_int_equal(c4.r.status, VX_ETIMEDOUT);
    assert_true(attempts_ms(&c4.r) == 1000);
    assert_true(f.received > sent);
    engine_close_and_drain(e);
}

/* After a retransmission, an answer to the first id is still accepted; its RTT counts from the
 * first send, and it is not fed to the estimator (that transmission had been retransmitted). */
static void test_late_answer_to_first_id(void **state)
{
    fake_udp f;
    qctx c = {0};
    vx__engine *e = engine_new(NULL);
    vx__rtt rtt;

    (void)state;
    fake_udp_start(&f, FAKE_LATE, 0);
    ask(e, &f.addr, "example.com", 0, &c);
    run_until_done(2000);
    assert_int_equal(c.r.status, VX_OK);
    assert_true(c.question_ok);
    assert_int_equal(c.r.attempt_count, 2);
    assert_int_equal(c.r.attempts[0].status, VX_ETIMEDOUT);
    assert_int_equal(c.r.attempts[1].status, VX_OK);
    assert_int_equal((uint16_t)(c.wire[0] << 8 | c.wire[1]), f.ids[0]);
    assert_true(f.ids[0] != f.ids[1]);
    assert_true(c.r.rtt_ms >= 398 && c.r.rtt_ms < 800);
    assert_int_equal(vx__engine_server_rtt(e, (const struct sockaddr *)&f.addr, &rtt), VX_OK);
    assert_false(rtt.measured);
    assert_int_equal(vx__rtt_rto(&rtt), 800); /* the one timeout backed it off */
    engine_close_and_drain(e);
}

static void test_closed_udp_port_refused(void **state)
{
    struct sockaddr_in a = closed_port(SOCK_DGRAM);
    qctx c = {0};
    vx__engine *e = engine_new(NULL);
    uint64_t t0 = uv_hrtime();

    (void)state;
    ask(e, &a, "example.com", 0, &c);
    run_until_done(2000);
    assert_true(ms_since(t0) < 300); /* ICMP, not the retry budget */
    assert_int_equal(c.r.status, VX_EREFUSED);
    assert_int_equal(c.r.attempt_count, 1);
    assert_int_equal(c.r.attempts[0].status, VX_EREFUSED);
    assert_int_equal(stats_of(e).refused, 1);
    engine_close_and_drain(e);
}

static void test_closed_tcp_port_refused(void **state)
{
    struct sockaddr_in a = closed_port(SOCK_STREAM);
    qctx c = {0};
    vx__engine *e = engine_new(NULL);
    uint64_t t0 = uv_hrtime();

    (void)state;
    ask(e, &a, "example.com", VX__Q_TCP, &c);
    run_until_done(2000);
    assert_true(ms_since(t0) < 300);
    assert_int_equal(c.r.status, VX_EREFUSED);
    assert_int_equal(c.r.attempt_count, 1);
    assert_int_equal(c.r.attempts[0].transport, VX__TCP);
    assert_int_equal(c.r.attempts[0].status, VX_EREFUSED);
    assert_int_equal(stats_of(e).refused, 1);
    engine_close_and_drain(e);
}

static void test_per_server_cap(void **state)
{
    fake_udp f;
    static qctx c[20];
    vx__engine_opts o;
    vx__engine *e;

    (void)state;
    memset(c, 0, sizeof c);
    vx__engine_opts_default(&o);
    o.max_inflight_per_server = 4;
    e = engine_new(&o);
    outstanding = max_outstanding = 0;
    fake_udp_start(&f, FAKE_HOLD, 0);
    for (int i = 0; i < 20; i++)
        ask(e, &f.addr, "example.com", 0, &c[i]);
    run_until_done(3000);
    for (int i = 0; i < 20; i++)
        assert_int_equal(c[i].r.status, VX_OK);
    assert_int_equal(max_outstanding, 4);
    assert_int_equal(f.received, 20);
    engine_close_and_drain(e);
}

static void test_global_cap(void **state)
{
    fake_udp f, g;
    static qctx c[20];
    vx__engine_opts o;
    vx__engine *e;

    (void)state;
    memset(c, 0, sizeof c);
    vx__engine_opts_default(&o);
    o.max_inflight = 3;
    e = engine_new(&o);
    outstanding = max_outstanding = 0;
    fake_udp_start(&f, FAKE_HOLD, 0);
    fake_udp_start(&g, FAKE_HOLD, 0);
    for (int i = 0; i < 10; i++) {
        ask(e, &f.addr, "a.example.com", 0, &c[2 * i]);
        ask(e, &g.addr, "b.example.com", 0, &c[2 * i + 1]);
    }
    run_until_done(3000);
    for (int i = 0; i < 20; i++)
        assert_int_equal(c[i].r.status, VX_OK);
    assert_int_equal(max_outstanding, 3);
    assert_int_equal(f.received, 10);
    assert_int_equal(g.received, 10);
    engine_close_and_drain(e);
}

/* 25 queries at 200 qps with a burst of 5: 5 at once, then one every 5 ms, 100 ms in all. */
static void test_token_bucket(void **state)
{
    fake_udp f;
    static qctx c[25];
    vx__engine_opts o;
    vx__engine *e;
    double span;

    (void)state;
    memset(c, 0, sizeof c);
    vx__engine_opts_default(&o);
    o.server_rate = 200;
    o.server_burst = 5;
    e = engine_new(&o);
    fake_udp_start(&f, FAKE_ECHO, 0);
    for (int i = 0; i < 25; i++)
        ask(e, &f.addr, "example.com", 0, &c[i]);
    run_until_done(3000);
    for (int i = 0; i < 25; i++)
        assert_int_equal(c[i].r.status, VX_OK);
    span = (double)(f.last_ns - f.first_ns) / 1e6;
    assert_true(span >= 95 && span < 300);
    assert_true(f.early >= 5 && f.early <= 10); /* burst + 20 ms at 200 qps, and some slack */
    engine_close_and_drain(e);
}

static void on_close_timer(uv_timer_t *t)
{
    vx__engine_close(t->data);
}

/* Two in flight (per-server cap 2) and four waiting, all cancelled by a close from a timer; a
 * query made from a cancellation callback is refused without a callback. */
static void test_close_cancels(void **state)
{
    fake_udp f;
    static qctx c[6];
    vx__engine_opts o;
    vx__engine *e;
    uv_timer_t closer;

    (void)state;
    memset(c, 0, sizeof c);
    vx__engine_opts_default(&o);
    o.max_inflight_per_server = 2;
    e = engine_new(&o);
    fake_udp_start(&f, FAKE_SILENT, 0);
    for (int i = 0; i < 6; i++)
        ask(e, &f.addr, "example.com", 0, &c[i]);
    c[5].requery = true;
    uv_timer_init(&loop, &closer);
    closer.data = e;
    uv_timer_start(&closer, on_close_timer, 30, 0);
    run_until_done(2000);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].r.status, VX_ECANCELED);
    }
    assert_int_equal(c[5].requery_rc, VX_ECANCELED);
    assert_int_equal(f.received, 2);
    assert_int_equal(c[0].r.attempt_count, 1);
    assert_int_equal(c[2].r.attempt_count, 0); /* never started */
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* Closing from inside a callback cancels the rest at once. */
static void test_close_from_callback(void **state)
{
    fake_udp f, silent;
    static qctx c[3];
    vx__engine *e = engine_new(NULL);

    (void)state;
    memset(c, 0, sizeof c);
    fake_udp_start(&f, FAKE_ECHO, 0);
    fake_udp_start(&silent, FAKE_SILENT, 0);
    c[0].close_engine = true;
    ask(e, &f.addr, "example.com", 0, &c[0]);
    ask(e, &silent.addr, "example.com", 0, &c[1]);
    ask(e, &silent.addr, "example.org", 0, &c[2]);
    run_until_done(1000);
    assert_int_equal(c[0].r.status, VX_OK);
    assert_int_equal(c[1].r.status, VX_ECANCELED);
    assert_int_equal(c[2].r.status, VX_ECANCELED);
}

static void test_invalid_queries(void **state)
{
    vx__engine *e = engine_new(NULL);
    qctx c = {0};
    vx__question q;
    struct sockaddr_in a = {.sin_family = AF_INET}; /* port 0 */
    struct sockaddr_un_like {
        sa_family_t family;
        char path[20];
    } unix_addr = {.family = AF_UNIX};
    vx__query_spec spec = {.server = (const struct sockaddr *)&a, .question = &q};
    vx__engine_opts bad;

    (void)state;
    assert_int_equal(vx__question_from_text("example.com", 1, 1, &q), VX_OK);
    assert_int_equal(vx__engine_query(e, &spec, on_result, &c), VX_EINVAL);
    spec.server = (const struct sockaddr *)&unix_addr;
    assert_int_equal(vx__engine_query(e, &spec, on_result, &c), VX_EINVAL);
    spec.server = NULL;
    assert_int_equal(vx__engine_query(e, &spec, on_result, &c), VX_EINVAL);
    assert_int_equal(vx__engine_server_rtt(e, (const struct sockaddr *)&a, &(vx__rtt){0}),
                     VX_ENOTFOUND);
    vx__engine_opts_default(&bad);
    bad.server_rate = -1;
    assert_int_equal(vx__engine_new(&loop, &bad, &(vx__engine *){NULL}), VX_EINVAL);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(c.calls, 0);
    assert_int_equal(stats_of(e).queries, 0);
    engine_close_and_drain(e);
}

/* Runs the loop (the engine's sockets do not keep it alive) until the engine has dropped n. */
static void run_until_dropped(const vx__engine *e, uint64_t n)
{
    uv_timer_t watchdog;
    uint64_t t0 = uv_hrtime();

    uv_timer_init(&loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 5, 5);
    while (stats_of(e).dropped < n) {
        uv_run(&loop, UV_RUN_ONCE);
        assert_true(ms_since(t0) < 1000);
    }
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* Opt-in reuse: one after the other, queries to one server share a socket (source port); a
 * socket is never lent to another server; what reaches an idle socket is counted and does not
 * touch the next query; closing with idle sockets leaks nothing (teardown, ASan). */
static void test_udp_reuse(void **state)
{
    fake_udp f, g;
    static qctx c[4];
    vx__engine_opts o;
    vx__engine *e;

    (void)state;
    memset(c, 0, sizeof c);
    vx__engine_opts_default(&o);
    o.udp_reuse = 10;
    e = engine_new(&o);
    fake_udp_start(&f, FAKE_TWICE, 0);
    fake_udp_start(&g, FAKE_ECHO, 0);
    ask(e, &f.addr, "example.com", 0, &c[0]);
    run_until_done(1000);
    run_until_dropped(e, 1); /* the duplicate answer, read from the idle socket */
    assert_int_equal(c[0].r.dropped, 0);
    ask(e, &f.addr, "example.org", 0, &c[1]);
    run_until_done(1000);
    run_until_dropped(e, 2);
    ask(e, &g.addr, "example.com", 0, &c[2]);
    run_until_done(1000);
    for (int i = 0; i < 3; i++)
        assert_int_equal(c[i].r.status, VX_OK);
    assert_int_equal(c[1].r.dropped, 0);
    assert_int_equal(f.ports[0], f.ports[1]);
    assert_true(g.ports[0] != f.ports[0]); /* f's socket is open (idle): the port differs */
    assert_int_equal(stats_of(e).dropped, 2);
    engine_close_and_drain(e);
}

#define MANY 2000

static void many_concurrent(unsigned udp_reuse)
{
    fake_udp f;
    static qctx c[MANY];
    char name[64];
    vx__engine_opts o;
    vx__engine *e;

    memset(c, 0, sizeof c);
    vx__engine_opts_default(&o);
    o.udp_reuse = udp_reuse;
    e = engine_new(&o);
    fake_udp_start(&f, FAKE_ECHO, 0);
    for (int i = 0; i < MANY; i++) {
        snprintf(name, sizeof name, "q%d.example.com", i);
        ask(e, &f.addr, name, 0, &c[i]);
    }
    run_until_done(5000);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].r.status, VX_OK);
        assert_true(c[i].question_ok);
    }
    /* On a loaded machine the fake server can answer after an attempt's timer ran out: a
     * retransmission is then correct, so every datagram beyond MANY must be one of those, and a
     * late answer to an abandoned attempt is the only thing that may be dropped. */
    vx__engine_stats st = stats_of(e);
    unsigned attempts = 0;
    for (int i = 0; i < MANY; i++)
        attempts += c[i].r.attempt_count;
    assert_int_equal(st.answered, MANY);
    assert_int_equal(st.sent, MANY + st.timeouts);
    assert_int_equal(attempts, st.sent);
    assert_true(st.dropped <= st.timeouts);
    assert_true(f.received >= MANY && f.received <= st.sent); /* a full socket buffer loses some */
    engine_close_and_drain(e);
}

static void test_many_concurrent(void **state)
{
    (void)state;
    many_concurrent(1);
}

static void test_many_concurrent_reuse(void **state)
{
    (void)state;
    many_concurrent(100);
}

/* A failure while starting (here: no file descriptor left for the socket) is still delivered
 * through the callback, later, never from inside vx__engine_query(). */
static void test_start_failure_is_deferred(void **state)
{
    fake_udp f;
    qctx c = {0};
    vx__engine *e = engine_new(NULL);
    struct rlimit saved, tiny;

    (void)state;
    fake_udp_start(&f, FAKE_ECHO, 0);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    tiny = saved;
    tiny.rlim_cur = 3;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &tiny), 0);
    ask(e, &f.addr, "example.com", 0, &c);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    run_until_done(1000);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.r.status, VX_ENETWORK);
    assert_int_equal(c.r.attempt_count, 0);
    assert_int_equal(f.received, 0);
    engine_close_and_drain(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_normal_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_port_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_id_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_question_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_not_response_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tc_falls_back_to_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_only_and_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_server_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silence_shares_one_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_answer_to_first_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_udp_port_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_tcp_port_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_server_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_bucket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_concurrent_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_failure_is_deferred, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
