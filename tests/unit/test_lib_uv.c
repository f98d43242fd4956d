/*
 * tests/unit/test_lib_uv.c — libvoxdns on the host's own libuv loop (vx_resolver_new_uv, in
 * src/lib/), through the public API only, against fake upstreams on 127.0.0.1
 * (fake_upstream.h) in the same loop: a location delivered from the loop (never from inside
 * vx_locate), the cache on the next one, failover from a silent upstream, cancel, freeing the
 * resolver with a location in flight (no callback; the memory goes once the loop has run the
 * close callbacks, and the loop closes clean), the host-loop calls refused, bad arguments.
 */
#include "fake_upstream.h"

#include "voxdns/voxdns.h"

static uv_loop_t loop;

typedef struct got {
    int calls;
    int status;
    size_t count;
    char address[64];
    vx_source source;
    uint16_t port;
    unsigned transport;
    uint64_t at_ns;
} got;

static void on_located(void *arg, const vx_result *r)
{
    got *g = arg;
    g->calls++;
    g->status = vx_result_status(r);
    g->count = vx_result_count(r);
    g->at_ns = uv_hrtime();
    if (g->count) {
        snprintf(g->address, sizeof(g->address), "%s", vx_result_address(r, 0));
        g->source = vx_result_source(r, 0);
        g->port = vx_result_port(r, 0);
        g->transport = vx_result_transport(r, 0);
    }
}

static void on_tick(uv_timer_t *t)
{
    unsigned *ticks = t->data;
    if (ticks)
        (*ticks)++;
}

/* Runs the host's loop until g has its result (fails after max_ms); counts the ticks of a
 * timer of the host's own meanwhile, to show the loop stays the host's. */
static unsigned run_until(const got *g, double max_ms)
{
    uv_timer_t tick;
    unsigned ticks = 0;
    uint64_t t0 = uv_hrtime();
    uv_timer_init(&loop, &tick);
    tick.data = &ticks;
    uv_timer_start(&tick, on_tick, 10, 10);
    while (g->calls == 0) {
        uv_run(&loop, UV_RUN_ONCE);
        assert_true((double)(uv_hrtime() - t0) / 1e6 < max_ms);
    }
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return ticks;
}

static void run_for(double ms)
{
    uv_timer_t tick;
    uint64_t t0 = uv_hrtime();
    uv_timer_init(&loop, &tick);
    tick.data = NULL;
    uv_timer_start(&tick, on_tick, 20, 20);
    while ((double)(uv_hrtime() - t0) / 1e6 < ms)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
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

static int teardown(void **state)
{
    (void)state;
    uv_walk(&loop, close_if_open, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* the resolver left no handle behind */
    return 0;
}

static vx_resolver *resolver(const fake_upstream *const *ups, size_t n)
{
    vx_config *cfg;
    vx_resolver *r = NULL;
    char text[64];
    assert_int_equal(vx_config_new(&cfg), VX_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(
            vx_config_add_upstream(cfg, fake_text(&ups[i]->addr, text, sizeof(text)), 0), VX_OK);
    assert_int_equal(vx_resolver_new_uv(cfg, &loop, &r), VX_OK);
    vx_config_free(cfg); /* the resolver copied what it needs */
    return r;
}

static void locate(vx_resolver *r, got *g, vx_locate_op **op)
{
    assert_int_equal(vx_locate(r, "sip:example.com", on_located, g, op), VX_OK);
    assert_int_equal(g->calls, 0); /* never from inside vx_locate() */
}

static void test_locate_on_host_loop(void **state)
{
    fake_upstream f;
    got g = {0};
    int fd;
    (void)state;
    fake_start(&loop, &f, FAKE_ANSWER, fake_zone);
    const fake_upstream *ups[] = {&f};
    vx_resolver *r = resolver(ups, 1);
    /* The host-loop calls belong to vx_resolver_new() resolvers. */
    assert_int_equal(vx_resolver_fds(r, &fd, 1), VX_EINVAL);
    assert_int_equal(vx_resolver_timeout(r), VX_EINVAL);
    assert_int_equal(vx_resolver_process(r), VX_EINVAL);
    vx_result *out = NULL;
    assert_int_equal(vx_resolver_locate_blocking(r, "sip:example.com", &out), VX_EINVAL);
    assert_null(out);

    locate(r, &g, NULL);
    run_until(&g, 2000);
    assert_int_equal(g.status, VX_OK);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.address, "192.0.2.10");
    assert_int_equal(g.port, 5060);
    assert_int_equal(g.transport, VX_UDP);
    assert_int_equal(g.source, VX_SOURCE_NETWORK);
    unsigned asked = f.udp_queries; /* NAPTR, SRV, A, AAAA */
    assert_true(asked >= 4);

    memset(&g, 0, sizeof(g));
    locate(r, &g, NULL);
    run_until(&g, 100);
    assert_int_equal(g.source, VX_SOURCE_CACHE);
    assert_int_equal(f.udp_queries, asked);
    vx_resolver_free(r);
    fake_stop(&f);
}

/* The first upstream is silent: the second answers after the hedging delay, and the host's
 * own timer kept ticking all along. */
static void test_failover_keeps_host_loop_running(void **state)
{
    fake_upstream silent, good;
    got g = {0};
    (void)state;
    fake_start(&loop, &silent, FAKE_SILENT, fake_zone);
    fake_start(&loop, &good, FAKE_ANSWER, fake_zone);
    const fake_upstream *ups[] = {&silent, &good};
    vx_resolver *r = resolver(ups, 2);
    uint64_t t0 = uv_hrtime();
    locate(r, &g, NULL);
    unsigned ticks = run_until(&g, 3000);
    double ms = (double)(g.at_ns - t0) / 1e6;
    assert_int_equal(g.status, VX_OK);
    assert_string_equal(g.address, "192.0.2.10");
    assert_true(ms >= 190 && ms < 1000);
    assert_true(ticks >= 10);
    assert_true(silent.udp_queries >= 1);
    vx_resolver_free(r);
    fake_stop(&silent);
    fake_stop(&good);
}

/* Cancelled: no callback ever. Freed with a location in flight: no callback either, and the
 * memory is released once the loop has run the close callbacks (teardown, ASan). */
static void test_cancel_and_free_in_flight(void **state)
{
    fake_upstream silent;
    got g = {0}, other = {0};
    vx_locate_op *op = NULL;
    (void)state;
    fake_start(&loop, &silent, FAKE_SILENT, fake_zone);
    const fake_upstream *ups[] = {&silent};
    vx_resolver *r = resolver(ups, 1);
    locate(r, &g, &op);
    assert_non_null(op);
    run_for(50);
    vx_locate_cancel(op);
    run_for(2200); /* past the client response timer */
    assert_int_equal(g.calls, 0);
    locate(r, &other, NULL);
    run_for(50);
    vx_resolver_free(r);
    run_for(2200);
    assert_int_equal(other.calls, 0);
    fake_stop(&silent);
}

static void test_bad_arguments(void **state)
{
    vx_config *cfg;
    vx_resolver *r = NULL;
    (void)state;
    assert_int_equal(vx_config_new(&cfg), VX_OK);
    assert_int_equal(vx_resolver_new_uv(cfg, &loop, &r), VX_EINVAL); /* no upstream */
    assert_int_equal(vx_config_add_upstream(cfg, "127.0.0.1:5300", 0), VX_OK);
    assert_int_equal(vx_resolver_new_uv(cfg, NULL, &r), VX_EINVAL);
    assert_int_equal(vx_resolver_new_uv(NULL, &loop, &r), VX_EINVAL);
    assert_int_equal(vx_resolver_new_uv(cfg, &loop, NULL), VX_EINVAL);
    assert_int_equal(vx_resolver_new_uv(cfg, &loop, &r), VX_OK);
    got g = {0};
    assert_int_equal(vx_locate(r, "http://example.com", on_located, &g, NULL), VX_EINVAL);
    assert_int_equal(vx_locate(r, "sip:bad host", on_located, &g, NULL), VX_EINVAL);
    run_for(20);
    assert_int_equal(g.calls, 0); /* an error return means no callback */
    vx_resolver_free(r);
    vx_resolver_free(NULL);
    vx_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_locate_on_host_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover_keeps_host_loop_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_free_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
