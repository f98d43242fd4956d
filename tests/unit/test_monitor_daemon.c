/*
 * tests/unit/test_monitor_daemon.c — the daemon's query totals (monitor/daemon.c) across a stop:
 * SIGTERM during a cycle stops the watch pool first, while an audit still in flight is counted
 * against totals taken at the cycle's start. The totals must not fall when the pool goes (the
 * cycle's log line said "18446744073709242636 queries": a stopped pool counted as zero, an
 * unsigned underflow).
 * A real engine and a real watch pool ask a fake server on 127.0.0.1 (fake_upstream.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_upstream.h"
#include "monitor/cycle.h"
#include "monitor/watch_pool.h"
#include "net/engine.h"
#include "probe/watch.h"
#include "voxdns/status.h"
#include "wire/query.h"

static uv_loop_t loop;

static const char *const zone[] = {
    "example.com. 3600 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300",
    "example.com. 3600 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.", NULL};

static void on_query(void *arg, const vx__query_result *r)
{
    (void)r;
    *(int *)arg += 1;
}

static void on_watch(void *arg, const vx__watch_answer *answers, bool unchanged)
{
    (void)answers;
    (void)unchanged;
    *(int *)arg += 1;
}

static void run_until(const int *done, int want)
{
    for (int i = 0; i < 5000 && *done < want; i++)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(*done, want);
}

/* Two questions through the daemon's own engine (the full audits' engine). */
static void ask_engine(vx__engine *e, const fake_upstream *f)
{
    int done = 0;
    vx__question q;
    assert_int_equal(vx__question_from_text("example.com.", 6, 1, &q), VX_OK);
    vx__query_spec spec = {.server = (const struct sockaddr *)&f->addr, .question = &q};
    assert_int_equal(vx__engine_query(e, &spec, on_query, &done), VX_OK);
    assert_int_equal(vx__engine_query(e, &spec, on_query, &done), VX_OK);
    run_until(&done, 2);
}

/* One quiet watch of two questions through the pool's worker thread. */
static void watch_once(vx__watch_pool *pool, const fake_upstream *f)
{
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    const uint16_t types[] = {6, 35};
    for (size_t i = 0; i < 2; i++) {
        vx__observation o;
        memset(&o, 0, sizeof(o));
        o.kind = VX__PROBE_DATA;
        o.server = "ns.example.com.";
        memcpy(&o.addr, &f->addr, sizeof(f->addr));
        o.qname = "example.com.";
        o.qtype = types[i];
        o.qclass = 1;
        o.fingerprint =
            1 + i; /* answered once (any digest: the watch's outcome is not the point) */
        assert_int_equal(vx__snapshot_add_obs(s, &o), VX_OK);
    }
    vx__watch_servers t;
    vx__watch_servers_init(&t);
    vx__watch_plan *p = NULL;
    struct sockaddr_storage *addrs = NULL;
    int done = 0;
    assert_int_equal(vx__watch_plan_build(s, &t, &p), VX_OK);
    assert_int_equal(vx__watch_addresses(p, &t, &addrs), VX_OK);
    assert_int_equal(vx__watch_pool_submit(pool, p, addrs, 1, on_watch, &done), VX_OK);
    run_until(&done, 1);
    free(addrs);
    vx__watch_plan_free(p);
    vx__watch_servers_clear(&t);
    vx__snapshot_free(s);
}

static void test_totals_survive_a_stop(void **state)
{
    (void)state;
    fake_upstream f;
    vx__engine_opts eo;
    vx__engine_opts_default(&eo);
    eo.max_attempts = 1;
    eo.budget_ms = 300;
    vx__daemon_state *d = calloc(1, sizeof *d);
    assert_non_null(d);
    assert_int_equal(vx__engine_new(&loop, &eo, &d->engine), VX_OK);
    assert_int_equal(vx__watch_pool_start(&loop, 1, &eo, &d->watch_pool), VX_OK);
    fake_start(&loop, &f, FAKE_ANSWER, zone);
    ask_engine(d->engine, &f);
    watch_once(d->watch_pool, &f);
    vx__engine_stats pool, started, now;
    vx__watch_pool_get_stats(d->watch_pool, &pool);
    assert_int_equal(pool.queries, 2); /* the pool's share is what a stop must not lose */
    vx__daemon_totals(d, &started);    /* a cycle starts */
    assert_int_equal(started.queries, 4);
    assert_true(started.sent >= 4);

    vx__daemon_stop_watches(d); /* SIGTERM during the cycle */
    assert_null(d->watch_pool);
    vx__daemon_totals(d, &now); /* an audit still in flight ends and its cycle is counted */
    assert_int_equal(now.queries - started.queries, 0); /* not 2^64 - 2 */
    assert_int_equal(now.sent - started.sent, 0);
    vx__daemon_stop_watches(d); /* twice is harmless */
    vx__daemon_totals(d, &now);
    assert_int_equal(now.queries - started.queries, 0);
    ask_engine(d->engine, &f); /* the engine still counts on until it is closed */
    vx__daemon_totals(d, &now);
    assert_int_equal(now.queries - started.queries, 2);
    vx__engine_close(d->engine);

    fake_stop(&f);
    uv_run(&loop, UV_RUN_DEFAULT);
    free(d);
}

static int setup(void **state)
{
    (void)state;
    return uv_loop_init(&loop);
}

static int teardown(void **state)
{
    (void)state;
    return uv_loop_close(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_survive_a_stop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
