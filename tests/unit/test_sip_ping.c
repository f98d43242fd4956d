/*
 * tests/unit/test_sip_ping.c — one OPTIONS exchange (net/sip_ping.h) against fake SIP servers
 * on 127.0.0.1 in the test's own loop: a UDP server that answers only the second transmission
 * (Timer A), a silent one (the budget ends it, after T1-spaced retransmissions), a closed port
 * (ICMP: refused), a stranger's answer ignored, a TCP server answering 100 then 200 in
 * pieces, and the engine closed with pings in flight (they end inside the close, cancelled; the
 * owner's memory, freed right after, is never reached again: ASan says so).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "net/engine.h"
#include "net/sip_ping.h"
#include "voxdns/status.h"

typedef struct fake {
    uv_udp_t udp;
    uv_tcp_t tcp, conn;
    unsigned received;
    unsigned answer_on; /* answer the Nth request (0: never) */
    bool wrong_call_id; /* answer a first time with another Call-ID */
    struct sockaddr_in addr;
    char buf[4096];
    size_t len;
} fake;

typedef struct outcome {
    bool called;
    vx__endpoint_obs obs;
    char error[256];
} outcome;

static uv_loop_t loop;
static vx__engine *engine;

/* "SIP/2.0 CODE ..." echoing the request's Via, Call-ID and CSeq lines. */
static size_t reply(const char *req, size_t n, int code, const char *call_id, char *out, size_t cap)
{
    char via[512] = "", cid[256] = "", cseq[64] = "";
    char copy[4096];
    snprintf(copy, sizeof copy, "%.*s", (int)n, req);
    for (char *line = strtok(copy, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        if (strncmp(line, "Via:", 4) == 0)
            snprintf(via, sizeof via, "%s", line);
        else if (strncmp(line, "Call-ID:", 8) == 0)
            snprintf(cid, sizeof cid, "%s", line);
        else if (strncmp(line, "CSeq:", 5) == 0)
            snprintf(cseq, sizeof cseq, "%s", line);
    }
    if (call_id)
        snprintf(cid, sizeof cid, "Call-ID: %s", call_id);
    return (size_t)snprintf(out, cap, "SIP/2.0 %d X\r\n%s\r\n%s\r\n%s\r\nContent-Length: 0\r\n\r\n",
                            code, via, cid, cseq);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    fake *f = h->data;
    (void)suggested;
    *buf = uv_buf_init(f->buf, sizeof f->buf);
}

static void udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                     unsigned flags)
{
    fake *f = h->data;
    char out[2048];
    (void)flags;
    if (n <= 0 || !from)
        return;
    f->received++;
    if (f->wrong_call_id && f->received == 1) {
        size_t len = reply(buf->base, (size_t)n, 200, "someone-else", out, sizeof out);
        uv_buf_t b = uv_buf_init(out, (unsigned)len);
        uv_udp_try_send(h, &b, 1, from);
    }
    if (f->answer_on && f->received == f->answer_on) {
        size_t len = reply(buf->base, (size_t)n, 200, NULL, out, sizeof out);
        uv_buf_t b = uv_buf_init(out, (unsigned)len);
        uv_udp_try_send(h, &b, 1, from);
    }
}

static void udp_fake(fake *f)
{
    int len = sizeof f->addr;
    uv_ip4_addr("127.0.0.1", 0, &f->addr);
    assert_int_equal(uv_udp_init(&loop, &f->udp), 0);
    f->udp.data = f;
    assert_int_equal(uv_udp_bind(&f->udp, (struct sockaddr *)&f->addr, 0), 0);
    uv_udp_getsockname(&f->udp, (struct sockaddr *)&f->addr, &len);
    uv_udp_recv_start(&f->udp, alloc_cb, udp_recv);
}

static void done_cb(void *arg, const vx__endpoint_obs *obs)
{
    outcome *o = arg;
    o->called = true;
    o->obs = *obs;
    snprintf(o->error, sizeof o->error, "%s", obs->error ? obs->error : "");
    o->obs.error = NULL;
    o->obs.reason = o->obs.agent = NULL;
    uv_stop(&loop);
}

static void ping(const struct sockaddr_in *to, vx__ep_transport t, uint32_t budget, outcome *o)
{
    vx__sip_ping_spec spec = {.transport = t,
                              .addr = (const struct sockaddr *)to,
                              .request_uri = "sip:example.com",
                              .budget_ms = budget};
    memset(o, 0, sizeof *o);
    assert_int_equal(vx__sip_ping(engine, &spec, done_cb, o), VX_OK);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(o->called);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int setup(void **state)
{
    (void)state;
    engine = NULL;
    return uv_loop_init(&loop) == 0 && vx__engine_new(&loop, NULL, &engine) == VX_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    vx__engine_close(engine); /* NULL when the test closed it */
    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop);
}

static void test_udp_timer_a_retransmits_until_answered(void **state)
{
    (void)state;
    fake f = {.answer_on = 2, .wrong_call_id = true};
    udp_fake(&f);
    outcome o;
    ping(&f.addr, VX__EP_UDP, 3000, &o);
    assert_int_equal(o.obs.status, VX_OK);
    assert_int_equal(o.obs.code, 200);
    assert_int_equal(o.obs.attempts, 2);
    /* the answer to the retransmission, sent after T1 (500 ms): RTT from the first request */
    assert_true(o.obs.rtt_ms >= 450 && o.obs.rtt_ms < 1500);
}

static void test_udp_silent_gives_up_after_the_budget(void **state)
{
    (void)state;
    fake f = {.answer_on = 0};
    udp_fake(&f);
    outcome o;
    uint64_t t0 = uv_hrtime();
    ping(&f.addr, VX__EP_UDP, 1700, &o);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    assert_int_equal(o.obs.status, VX_ETIMEDOUT);
    /* sent at 0, 0.5 and 1.5 s (T1 doubling), then the budget */
    assert_int_equal(o.obs.attempts, 3);
    assert_int_equal(f.received, 3);
    assert_true(ms >= 1650 && ms < 2500);
    assert_non_null(strstr(o.error, "no answer to OPTIONS within 1700 ms (3 requests)"));
}

static void test_udp_closed_port_is_refused(void **state)
{
    (void)state;
    fake f = {0};
    udp_fake(&f);
    struct sockaddr_in gone = f.addr;
    uv_close((uv_handle_t *)&f.udp, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    outcome o;
    ping(&gone, VX__EP_UDP, 3000, &o);
    assert_int_equal(o.obs.status, VX_EREFUSED);
}

static void tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    fake *f = s->data;
    static char out[2048];
    if (n <= 0)
        return;
    /* 100 Trying, then the 200 split in two writes */
    size_t a = reply(buf->base, (size_t)n, 100, NULL, out, sizeof out);
    size_t b = reply(buf->base, (size_t)n, 200, NULL, out + a, sizeof out - a);
    uv_buf_t parts[2] = {uv_buf_init(out, (unsigned)(a + 10)),
                         uv_buf_init(out + a + 10, (unsigned)(b - 10))};
    uv_try_write(s, &parts[0], 1);
    uv_try_write(s, &parts[1], 1);
    f->received++;
}

static void tcp_accept(uv_stream_t *server, int status)
{
    fake *f = server->data;
    assert_int_equal(status, 0);
    uv_tcp_init(&loop, &f->conn);
    f->conn.data = f;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&f->conn), 0);
    uv_read_start((uv_stream_t *)&f->conn, alloc_cb, tcp_read);
}

static void test_tcp_provisional_then_final_in_pieces(void **state)
{
    (void)state;
    fake f = {0};
    int len = sizeof f.addr;
    uv_ip4_addr("127.0.0.1", 0, &f.addr);
    uv_tcp_init(&loop, &f.tcp);
    f.tcp.data = &f;
    assert_int_equal(uv_tcp_bind(&f.tcp, (struct sockaddr *)&f.addr, 0), 0);
    uv_tcp_getsockname(&f.tcp, (struct sockaddr *)&f.addr, &len);
    assert_int_equal(uv_listen((uv_stream_t *)&f.tcp, 4, tcp_accept), 0);
    outcome o;
    ping(&f.addr, VX__EP_TCP, 3000, &o);
    assert_int_equal(o.obs.status, VX_OK);
    assert_int_equal(o.obs.code, 200);
    assert_int_equal(o.obs.attempts, 1);
    assert_true(o.obs.connected);
    assert_int_equal(f.received, 1);
}

static void test_bad_spec(void **state)
{
    (void)state;
    outcome o;
    vx__sip_ping_spec spec = {.transport = VX__EP_TLS, .request_uri = "sip:x"};
    assert_int_equal(vx__sip_ping(engine, &spec, done_cb, &o), VX_EINVAL); /* no address */
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 9, &a);
    spec.addr = (const struct sockaddr *)&a;
    assert_int_equal(vx__sip_ping(engine, &spec, done_cb, &o), VX_EINVAL); /* TLS without ctx */
    spec.transport = VX__EP_UDP;
    assert_int_equal(vx__sip_ping(NULL, &spec, done_cb, &o), VX_EINVAL); /* no engine */
    uv_run(&loop, UV_RUN_NOWAIT);
}

static void mute_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    fake *f = s->data;
    (void)buf;
    f->received += n > 0;
}

static void mute_accept(uv_stream_t *server, int status)
{
    fake *f = server->data;
    assert_int_equal(status, 0);
    uv_tcp_init(&loop, &f->conn);
    f->conn.data = f;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&f->conn), 0);
    uv_read_start((uv_stream_t *)&f->conn, alloc_cb, mute_read);
}

/* The owner of pings in flight: what an audit or a monitor cycle keeps beside the engine. */
typedef struct owner {
    unsigned called, cancelled, restart_refused;
    const vx__sip_ping_spec *spec;
} owner;

static void owner_cb(void *arg, const vx__endpoint_obs *obs)
{
    owner *w = arg;
    w->called++;
    w->cancelled += obs->status == VX_ECANCELED;
    /* new work from inside the close is refused, as vx__engine_query() refuses it */
    w->restart_refused += vx__sip_ping(engine, w->spec, owner_cb, w) == VX_ECANCELED;
}

/* A silent UDP target and a TCP one that accepts and never answers: both in flight, each with a
 * 3 s budget. Closing the engine ends them inside the close; the owner is freed at once; the
 * loop then only closes handles (no budget waited for, no callback into the freed owner). */
static void test_engine_close_cancels_pings_in_flight(void **state)
{
    (void)state;
    fake silent = {.answer_on = 0}, mute = {0};
    int len = sizeof mute.addr;
    udp_fake(&silent);
    uv_ip4_addr("127.0.0.1", 0, &mute.addr);
    uv_tcp_init(&loop, &mute.tcp);
    mute.tcp.data = &mute;
    assert_int_equal(uv_tcp_bind(&mute.tcp, (struct sockaddr *)&mute.addr, 0), 0);
    uv_tcp_getsockname(&mute.tcp, (struct sockaddr *)&mute.addr, &len);
    assert_int_equal(uv_listen((uv_stream_t *)&mute.tcp, 4, mute_accept), 0);
    vx__sip_ping_spec udp = {.transport = VX__EP_UDP,
                             .addr = (const struct sockaddr *)&silent.addr,
                             .request_uri = "sip:example.com"};
    vx__sip_ping_spec tcp = udp;
    tcp.transport = VX__EP_TCP;
    tcp.addr = (const struct sockaddr *)&mute.addr;
    owner *w = calloc(1, sizeof *w);
    w->spec = &udp;
    assert_int_equal(vx__sip_ping(engine, &udp, owner_cb, w), VX_OK);
    assert_int_equal(vx__sip_ping(engine, &tcp, owner_cb, w), VX_OK);
    for (int i = 0; i < 200 && (silent.received == 0 || mute.received == 0); i++)
        uv_run(&loop, UV_RUN_ONCE); /* both requests are out and received */
    assert_int_equal(silent.received, 1);
    assert_int_equal(mute.received, 1);
    assert_int_equal(w->called, 0);
    vx__engine_close(engine);
    engine = NULL;
    assert_int_equal(w->called, 2);
    assert_int_equal(w->cancelled, 2);
    assert_int_equal(w->restart_refused, 2);
    free(w);
    uv_close((uv_handle_t *)&silent.udp, NULL);
    uv_close((uv_handle_t *)&mute.tcp, NULL);
    uv_close((uv_handle_t *)&mute.conn, NULL);
    uint64_t t0 = uv_hrtime();
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true((double)(uv_hrtime() - t0) / 1e6 < 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_udp_timer_a_retransmits_until_answered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_udp_silent_gives_up_after_the_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_closed_port_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_provisional_then_final_in_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_close_cancels_pings_in_flight, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
