/*
 * tests/unit/test_resdriver.c — the libuv driver of the stub resolver (net/resdriver.c) and
 * its builder (net/resbuild.c), against fake upstreams on 127.0.0.1 (fake_upstream.h) in the
 * test's loop: an answer carried through, callbacks never from inside submit, failover from a
 * silent upstream after the hedging delay and from a closed port at once, TC→TCP, cancel,
 * closing with lookups in flight (no callback, nothing leaked), static-first without a query,
 * and the builder's argument checks.
 */
#include "fake_upstream.h"

#include "net/resbuild.h"
#include "net/resdriver.h"
#include "voxdns/status.h"
#include "wire/query.h"

static uv_loop_t loop;

typedef struct got {
    int calls;
    int status;
    vx__res_source source;
    size_t records;
    uint64_t at_ns;
} got;

static void on_result(void *arg, const vx__res_result *r)
{
    got *g = arg;
    g->calls++;
    g->status = r->status;
    g->source = r->source;
    g->records = r->answer ? ldns_rr_list_rr_count(r->answer) : 0;
    g->at_ns = uv_hrtime();
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t; /* only wakes UV_RUN_ONCE up so that run_until() can look at the clock */
}

/* Runs the loop until g has its result; fails after max_ms. */
static void run_until(const got *g, double max_ms)
{
    uv_timer_t watchdog;
    uint64_t t0 = uv_hrtime();
    uv_timer_init(&loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 20, 20);
    while (g->calls == 0) {
        uv_run(&loop, UV_RUN_ONCE);
        assert_true((double)(uv_hrtime() - t0) / 1e6 < max_ms);
    }
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* Runs the loop for ms (the fakes keep it alive, so UV_RUN_DEFAULT would never return). */
static void run_for(double ms)
{
    uv_timer_t watchdog;
    uint64_t t0 = uv_hrtime();
    uv_timer_init(&loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 20, 20);
    while ((double)(uv_hrtime() - t0) / 1e6 < ms)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
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
    return uv_loop_init(&loop);
}

/* Whatever a test left open goes; uv_loop_close() then proves the driver closed its handles
 * (and ASan that it freed its memory). */
static int teardown(void **state)
{
    (void)state;
    uv_walk(&loop, close_if_open, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

static vx__resdrv *driver(const struct sockaddr_in *ups, size_t n, got *g)
{
    struct sockaddr_storage ss[4];
    vx__res *res;
    vx__resdrv *d;
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        memset(&ss[i], 0, sizeof(ss[i]));
        memcpy(&ss[i], &ups[i], sizeof(ups[i]));
    }
    vx__resbuild_spec spec = {.up = ss, .nup = n};
    assert_int_equal(vx__resbuild(&spec, &res), VX_OK);
    assert_int_equal(vx__resdrv_new(&loop, res, on_result, g, &d), VX_OK);
    return d;
}

static uint64_t submit(vx__resdrv *d, const char *name, uint16_t type, const got *g)
{
    vx__question q;
    uint64_t h = 0;
    assert_int_equal(vx__question_from_text(name, type, LDNS_RR_CLASS_IN, &q), VX_OK);
    assert_int_equal(vx__resdrv_submit(d, &q, &h), VX_OK);
    assert_int_equal(g->calls, 0); /* never from inside submit */
    return h;
}

static double ms_between(uint64_t t0, uint64_t t1)
{
    return (double)(t1 - t0) / 1e6;
}

static void test_answer_then_cache(void **state)
{
    fake_upstream f;
    got g = {0};
    (void)state;
    fake_start(&loop, &f, FAKE_ANSWER, fake_zone);
    vx__resdrv *d = driver(&f.addr, 1, &g);
    submit(d, "example.com", LDNS_RR_TYPE_NAPTR, &g);
    run_until(&g, 2000);
    assert_int_equal(g.status, VX_OK);
    assert_int_equal(g.source, VX__SRC_NETWORK);
    assert_int_equal(g.records, 1);
    assert_int_equal(f.udp_queries, 1);
    /* Again: from the cache, still through the loop, no query. */
    memset(&g, 0, sizeof(g));
    submit(d, "EXAMPLE.com", LDNS_RR_TYPE_NAPTR, &g);
    run_until(&g, 100);
    assert_int_equal(g.source, VX__SRC_CACHE);
    assert_int_equal(f.udp_queries, 1);
    /* A name that does not exist: an answer (NXDOMAIN), not an error. */
    memset(&g, 0, sizeof(g));
    submit(d, "nothing.example.com", LDNS_RR_TYPE_A, &g);
    run_until(&g, 2000);
    assert_int_equal(g.status, VX_OK);
    assert_int_equal(g.records, 0);
    vx__resdrv_close(d);
    fake_stop(&f);
}

/* A silent first upstream: the second is asked after the unmeasured hedging delay (200 ms). */
static void test_failover_from_silent_upstream(void **state)
{
    fake_upstream silent, good;
    got g = {0};
    (void)state;
    fake_start(&loop, &silent, FAKE_SILENT, fake_zone);
    fake_start(&loop, &good, FAKE_ANSWER, fake_zone);
    struct sockaddr_in ups[2] = {silent.addr, good.addr};
    vx__resdrv *d = driver(ups, 2, &g);
    uint64_t t0 = uv_hrtime();
    submit(d, "sip.example.com", LDNS_RR_TYPE_A, &g);
    run_until(&g, 2000);
    assert_int_equal(g.source, VX__SRC_NETWORK);
    assert_int_equal(g.records, 1);
    assert_int_equal(silent.udp_queries, 1);
    assert_int_equal(good.udp_queries, 1);
    double ms = ms_between(t0, g.at_ns);
    assert_true(ms >= 190 && ms < 600);
    vx__resdrv_close(d);
    fake_stop(&silent);
    fake_stop(&good);
}

/* Nothing listens on the first upstream's port: ICMP port unreachable reaches the socket's
 * error queue (net/udpsock.h), and the second upstream is asked at once. */
static void test_failover_from_closed_port(void **state)
{
    fake_upstream good;
    struct sockaddr_in closed;
    got g = {0};
    (void)state;
    fake_closed_port(&loop, &closed);
    fake_start(&loop, &good, FAKE_ANSWER, fake_zone);
    struct sockaddr_in ups[2] = {closed, good.addr};
    vx__resdrv *d = driver(ups, 2, &g);
    uint64_t t0 = uv_hrtime();
    submit(d, "sip.example.com", LDNS_RR_TYPE_A, &g);
    run_until(&g, 2000);
    assert_int_equal(g.source, VX__SRC_NETWORK);
    assert_true(ms_between(t0, g.at_ns) < 150);
    assert_true(vx__res_upstream(vx__resdrv_res(d), 0)->failures > 0);
    vx__resdrv_close(d);
    fake_stop(&good);
}

static void test_truncated_then_tcp(void **state)
{
    fake_upstream f;
    got g = {0};
    (void)state;
    fake_start(&loop, &f, FAKE_TRUNCATED, fake_zone);
    vx__resdrv *d = driver(&f.addr, 1, &g);
    submit(d, "_sip._udp.example.com", LDNS_RR_TYPE_SRV, &g);
    run_until(&g, 2000);
    assert_int_equal(g.source, VX__SRC_NETWORK);
    assert_int_equal(g.records, 1);
    assert_int_equal(f.udp_queries, 1);
    assert_int_equal(f.tcp_queries, 1);
    vx__resdrv_close(d);
    fake_stop(&f);
}

/* What does not answer the query is dropped and counted, and the socket waits for the real
 * answer: from another port, with another id; the real one echoes the question in capitals. */
static void test_forged_answers_dropped(void **state)
{
    fake_upstream f;
    got g = {0};
    (void)state;
    fake_start(&loop, &f, FAKE_SPOOFED, fake_zone);
    vx__resdrv *d = driver(&f.addr, 1, &g);
    submit(d, "sip.example.com", LDNS_RR_TYPE_A, &g);
    run_until(&g, 2000);
    assert_int_equal(g.status, VX_OK);
    assert_int_equal(g.source, VX__SRC_NETWORK);
    assert_int_equal(g.records, 1);
    assert_int_equal(f.udp_queries, 1);
    assert_int_equal(vx__resdrv_dropped(d), 2);
    vx__resdrv_close(d);
    fake_stop(&f);
}

/* Over TCP a message with another id is a broken server: dropped, and the attempt fails at
 * once instead of waiting out the budget. */
static void test_tcp_wrong_id_fails_attempt(void **state)
{
    fake_upstream f;
    got g = {0};
    (void)state;
    fake_start(&loop, &f, FAKE_TCP_WRONG_ID, fake_zone);
    vx__resdrv *d = driver(&f.addr, 1, &g);
    uint64_t t0 = uv_hrtime();
    submit(d, "_sip._udp.example.com", LDNS_RR_TYPE_SRV, &g);
    run_until(&g, 6000);
    assert_int_not_equal(g.status, VX_OK);
    assert_int_equal(g.records, 0);
    assert_true(f.tcp_queries >= 1);
    assert_int_equal(vx__resdrv_dropped(d), f.tcp_queries); /* every TCP answer */
    assert_true(ms_between(t0, g.at_ns) < 1000);
    vx__resdrv_close(d);
    fake_stop(&f);
}

/* A cancelled lookup never calls back, and its socket goes; closing the driver with a lookup
 * in flight calls nothing back either, and frees everything once the loop ran (teardown). */
static void test_cancel_and_close_in_flight(void **state)
{
    fake_upstream silent;
    got g = {0}, other = {0};
    (void)state;
    fake_start(&loop, &silent, FAKE_SILENT, fake_zone);
    vx__resdrv *d = driver(&silent.addr, 1, &g);
    uint64_t h = submit(d, "sip.example.com", LDNS_RR_TYPE_A, &g);
    vx__resdrv_cancel(d, h);
    run_for(2500); /* past the client response timer: nothing for a cancelled lookup */
    assert_int_equal(g.calls, 0);
    assert_int_equal(silent.udp_queries, 1);
    submit(d, "example.com", LDNS_RR_TYPE_NAPTR, &other);
    uv_run(&loop, UV_RUN_NOWAIT); /* the query is on the wire */
    vx__resdrv_close(d);
    run_for(2500);
    assert_int_equal(other.calls, 0);
    fake_stop(&silent);
}

static void test_static_first_and_build_errors(void **state)
{
    fake_upstream f;
    got g = {0};
    vx__res *res = NULL;
    vx__resdrv *d;
    char text[] = "sip.example.com. 600 IN A 198.51.100.7\n";
    char bad[] = "sip.example.com. 600 IN A not-an-address\n";
    (void)state;
    fake_start(&loop, &f, FAKE_ANSWER, fake_zone);
    struct sockaddr_storage up;
    memset(&up, 0, sizeof(up));
    memcpy(&up, &f.addr, sizeof(f.addr));
    vx__static_text st = {.format = VX__STATIC_VOXDNS, .text = text, .len = strlen(text)};
    vx__resbuild_spec spec = {
        .up = &up, .nup = 1, .statics = &st, .nstatics = 1, .static_first = true, .max_ttl_s = 60};
    assert_int_equal(vx__resbuild(&spec, &res), VX_OK);
    assert_int_equal(vx__resdrv_new(&loop, res, on_result, &g, &d), VX_OK);
    submit(d, "sip.example.com", LDNS_RR_TYPE_A, &g);
    run_until(&g, 100);
    assert_int_equal(g.source, VX__SRC_STATIC);
    assert_int_equal(f.udp_queries, 0);
    vx__resdrv_close(d);
    fake_stop(&f);

    spec.nup = 0;
    assert_int_equal(vx__resbuild(&spec, &res), VX_EINVAL);
    assert_int_equal(vx__resbuild(NULL, &res), VX_EINVAL);
    spec.nup = 1;
    st.text = bad;
    st.len = strlen(bad);
    assert_int_not_equal(vx__resbuild(&spec, &res), VX_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answer_then_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover_from_silent_upstream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover_from_closed_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_then_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_answers_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_wrong_id_fails_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_close_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_first_and_build_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
