/*
 * tests/unit/test_lib_feedback.c — target feedback through libvoxdns's public API
 * (voxdns/feedback.h, src/lib/lib_feedback.c) on the host's libuv loop against a fake
 * upstream: a failed target listed last and marked held, registrar affinity after a success
 * and its end on failure, the fallback domain once every target of the URI's domain is held,
 * the static cache's targets once every target of every domain is held, reports from another
 * thread while a location runs, and argument checks. The timing rules themselves (doubling,
 * cap, forgetting) are tested on a virtual clock in test_sip_health.c and test_sip_locate.c.
 */
#include "fake_upstream.h"

#include <pthread.h>
#include <unistd.h>

#include "voxdns/voxdns.h"

static uv_loop_t loop;

static const char *const zone[] = {
    "example.com. 3600 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300",
    "_sip._udp.example.com. 3600 IN SRV 10 0 5060 sip1.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 20 0 5060 sip2.example.com.",
    "sip1.example.com. 3600 IN A 192.0.2.1",
    "sip2.example.com. 3600 IN A 192.0.2.2",
    "example.net. 3600 IN SOA ns.example.net. h.example.net. 1 7200 900 1209600 300",
    "_sip._udp.example.net. 3600 IN SRV 10 0 5060 sip.example.net.",
    "sip.example.net. 3600 IN A 198.51.100.20",
    NULL};

static int setup(void **state)
{
    (void)state;
    return uv_loop_init(&loop);
}

static void close_if_open(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int teardown(void **state)
{
    (void)state;
    uv_walk(&loop, close_if_open, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

/* uv_stop(): the callback runs in the timer phase; without it uv_run(UV_RUN_ONCE) would go
 * on to poll, with no timer left, for ever (the fake upstream's handles stay active). */
static void on_located(void *arg, const vx_result *r)
{
    vx_result **out = arg;
    assert_int_equal(vx_result_copy(r, out), VX_OK);
    uv_stop(&loop);
}

/* Locates on the host loop and returns the result (the caller frees it). */
static vx_result *locate(vx_resolver *r)
{
    vx_result *out = NULL;
    uint64_t t0 = uv_hrtime();
    assert_int_equal(vx_locate(r, "sip:example.com;transport=udp", on_located, &out, NULL), VX_OK);
    while (!out) {
        uv_run(&loop, UV_RUN_ONCE);
        assert_true(uv_hrtime() - t0 < 3000000000u);
    }
    return out;
}

static void expect(const vx_result *r, size_t i, const char *address, int held, vx_source src)
{
    if (i >= vx_result_count(r))
        fail_msg("target %zu missing (%zu)", i, vx_result_count(r));
    if (strcmp(vx_result_address(r, i), address) != 0 || vx_result_held(r, i) != held ||
        vx_result_source(r, i) != src)
        fail_msg("target %zu is %s held=%d %s, wanted %s held=%d %s", i, vx_result_address(r, i),
                 vx_result_held(r, i), vx_source_name(vx_result_source(r, i)), address, held,
                 vx_source_name(src));
}

static vx_resolver *resolver(const fake_upstream *f, const char *fallback, const char *statics)
{
    vx_config *cfg;
    vx_resolver *r = NULL;
    char text[64], err[128];
    assert_int_equal(vx_config_new(&cfg), VX_OK);
    assert_int_equal(vx_config_add_upstream(cfg, fake_text(&f->addr, text, sizeof(text)), 0),
                     VX_OK);
    assert_int_equal(vx_config_set_transports(cfg, VX_UDP), VX_OK);
    if (fallback)
        assert_int_equal(vx_config_add_fallback_domain(cfg, fallback), VX_OK);
    if (statics)
        assert_int_equal(vx_config_load_static(cfg, statics, VX_STATIC_AUTO, err, sizeof(err)),
                         VX_OK);
    assert_int_equal(vx_resolver_new_uv(cfg, &loop, &r), VX_OK);
    vx_config_free(cfg);
    return r;
}

static void test_failed_target_last_then_affinity(void **state)
{
    fake_upstream f;
    (void)state;
    fake_start(&loop, &f, FAKE_ANSWER, zone);
    vx_resolver *r = resolver(&f, NULL, NULL);
    vx_result *a = locate(r);
    expect(a, 0, "192.0.2.1", 0, VX_SOURCE_NETWORK);
    expect(a, 1, "192.0.2.2", 0, VX_SOURCE_NETWORK);
    assert_int_equal(vx_target_failed(r, a, 0, VX_FAIL_TIMEOUT, 0), VX_OK);

    vx_result *b = locate(r); /* from the cache: only the order changes */
    expect(b, 0, "192.0.2.2", 0, VX_SOURCE_CACHE);
    expect(b, 1, "192.0.2.1", 1, VX_SOURCE_CACHE);
    assert_int_equal(vx_target_succeeded(r, b, 0), VX_OK); /* sip2 took the REGISTER */
    vx_result *c = locate(r);
    expect(c, 0, "192.0.2.2", 0, VX_SOURCE_CACHE);
    expect(c, 1, "192.0.2.1", 1, VX_SOURCE_CACHE);
    /* sip1 answers a request for this URI: cleared, and the last success wins the affinity */
    assert_int_equal(vx_target_succeeded(r, c, 1), VX_OK);
    vx_result *d = locate(r);
    expect(d, 0, "192.0.2.1", 0, VX_SOURCE_CACHE);
    expect(d, 1, "192.0.2.2", 0, VX_SOURCE_CACHE);
    /* the registrar says 503 with Retry-After: held, the preference gone */
    assert_int_equal(vx_target_failed(r, d, 0, VX_FAIL_503, 120), VX_OK);
    vx_result *e = locate(r);
    expect(e, 0, "192.0.2.2", 0, VX_SOURCE_CACHE);
    expect(e, 1, "192.0.2.1", 1, VX_SOURCE_CACHE);
    vx_result *all[] = {a, b, c, d, e};
    for (size_t i = 0; i < 5; i++)
        vx_result_free(all[i]);
    vx_resolver_free(r);
    fake_stop(&f);
}

static void test_every_target_held_fallback_domain(void **state)
{
    fake_upstream f;
    (void)state;
    fake_start(&loop, &f, FAKE_ANSWER, zone);
    vx_resolver *r = resolver(&f, "example.net", NULL);
    vx_result *a = locate(r);
    assert_int_equal(vx_result_count(a), 2); /* example.net not needed */
    assert_int_equal(vx_target_failed(r, a, 0, VX_FAIL_REFUSED, 0), VX_OK);
    assert_int_equal(vx_target_failed(r, a, 1, VX_FAIL_TLS, 0), VX_OK);
    vx_result *b = locate(r);
    assert_int_equal(vx_result_count(b), 3);
    expect(b, 0, "198.51.100.20", 0, VX_SOURCE_NETWORK);
    assert_string_equal(vx_result_domain(b, 0), "example.net.");
    expect(b, 1, "192.0.2.1", 1, VX_SOURCE_CACHE);
    expect(b, 2, "192.0.2.2", 1, VX_SOURCE_CACHE);
    vx_result_free(a);
    vx_result_free(b);
    vx_resolver_free(r);
    fake_stop(&f);
}

static void test_every_target_held_static_cache(void **state)
{
    fake_upstream f;
    char path[] = "/tmp/vx_feedback_XXXXXX";
    int fd = mkstemp(path);
    const char text[] = "_sip._udp.example.com. 86400 SRV 0 0 5060 backup.example.com.\n"
                        "backup.example.com. 86400 A 203.0.113.99\n";
    (void)state;
    assert_true(fd >= 0 && write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
    close(fd);
    fake_start(&loop, &f, FAKE_ANSWER, zone);
    vx_resolver *r = resolver(&f, NULL, path);
    unlink(path);
    vx_result *a = locate(r);
    expect(a, 0, "192.0.2.1", 0, VX_SOURCE_NETWORK); /* DNS answered: no static */
    assert_int_equal(vx_result_count(a), 2);
    assert_int_equal(vx_target_failed(r, a, 0, VX_FAIL_TIMEOUT, 0), VX_OK);
    assert_int_equal(vx_target_failed(r, a, 1, VX_FAIL_TIMEOUT, 0), VX_OK);
    vx_result *b = locate(r);
    assert_int_equal(vx_result_count(b), 3);
    expect(b, 0, "203.0.113.99", 0, VX_SOURCE_STATIC);
    expect(b, 1, "192.0.2.1", 1, VX_SOURCE_CACHE);
    expect(b, 2, "192.0.2.2", 1, VX_SOURCE_CACHE);
    /* the trace shows the static pass */
    size_t n = vx_result_step_count(b);
    assert_true(n >= 2);
    assert_int_equal(vx_result_step_source(b, n - 1), VX_SOURCE_STATIC);
    vx_result_free(a);
    vx_result_free(b);
    vx_resolver_free(r);
    fake_stop(&f);
}

typedef struct reporter {
    vx_resolver *res;
    const vx_result *result;
    int failures;
} reporter;

static void *report_from_thread(void *arg)
{
    reporter *rep = arg;
    for (int i = 0; i < 2000; i++) {
        if (vx_target_failed(rep->res, rep->result, (size_t)i % 2, VX_FAIL_OTHER, 0) != VX_OK ||
            vx_target_succeeded(rep->res, rep->result, (size_t)i % 2) != VX_OK)
            rep->failures++;
    }
    return NULL;
}

/* Reports from another thread while the loop keeps locating (ASan/UBSan build; the lock is
 * what keeps the table whole). */
static void test_reports_from_another_thread(void **state)
{
    fake_upstream f;
    pthread_t th;
    (void)state;
    fake_start(&loop, &f, FAKE_ANSWER, zone);
    vx_resolver *r = resolver(&f, NULL, NULL);
    vx_result *a = locate(r);
    reporter rep = {.res = r, .result = a};
    assert_int_equal(pthread_create(&th, NULL, report_from_thread, &rep), 0);
    for (int i = 0; i < 50; i++)
        vx_result_free(locate(r));
    pthread_join(th, NULL);
    assert_int_equal(rep.failures, 0);
    /* the thread's last word on both was a success: nothing held */
    vx_result *b = locate(r);
    assert_int_equal(vx_result_held(b, 0) + vx_result_held(b, 1), 0);
    vx_result_free(a);
    vx_result_free(b);
    vx_resolver_free(r);
    fake_stop(&f);
}

static void test_bad_arguments(void **state)
{
    fake_upstream f;
    vx_config *cfg;
    (void)state;
    assert_int_equal(vx_config_new(&cfg), VX_OK);
    assert_int_equal(vx_config_set_holddown(cfg, 5000, 1000), VX_EINVAL);
    assert_int_equal(vx_config_set_holddown(cfg, 0, 1000), VX_EINVAL); /* default base 30 s */
    assert_int_equal(vx_config_set_holddown(cfg, 1000, 0), VX_OK);
    assert_int_equal(vx_config_set_holddown(NULL, 0, 0), VX_EINVAL);
    vx_config_free(cfg);
    fake_start(&loop, &f, FAKE_ANSWER, zone);
    vx_resolver *r = resolver(&f, NULL, NULL);
    vx_result *a = locate(r);
    assert_int_equal(vx_target_failed(r, a, 2, VX_FAIL_TIMEOUT, 0), VX_EINVAL);
    assert_int_equal(vx_target_failed(r, a, 0, (vx_failure)0, 0), VX_EINVAL);
    assert_int_equal(vx_target_failed(r, a, 0, VX_FAIL_TIMEOUT, 30), VX_EINVAL);
    assert_int_equal(vx_target_failed(NULL, a, 0, VX_FAIL_TIMEOUT, 0), VX_EINVAL);
    assert_int_equal(vx_target_succeeded(r, NULL, 0), VX_EINVAL);
    assert_int_equal(vx_result_held(NULL, 0), 0);
    assert_int_equal(vx_result_held(a, 9), 0);
    vx_result_free(a);
    vx_resolver_free(r);
    fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failed_target_last_then_affinity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_target_held_fallback_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_target_held_static_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reports_from_another_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
