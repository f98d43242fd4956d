/*
 * tests/unit/test_watch_ep.c — the quiet cycle's SIP endpoint part (probe/watch_ep.c): the
 * tuples kept from a snapshot (answering or not, the TLS leaf's fingerprint), which later
 * observations count as the same, the stored form inside a watch plan's text (round trip,
 * malformed lines refused), and a run whose callback frees the watch, as the monitor's cycle
 * does (a UDP ping to a closed port on 127.0.0.1).
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
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "cert_fixture.h"
#include "net/engine.h"
#include "probe/watch.h"
#include "probe/watch_ep.h"
#include "voxdns/status.h"
#include "wire/addr.h"

static vx__endpoint_obs ep(const char *addr, unsigned port, vx__ep_transport t, int status,
                           char **leaf)
{
    vx__endpoint_obs e = {.host = "sbc1.example.com.", .transport = t, .status = status};
    socklen_t len;
    assert_int_equal(vx__addr_parse(addr, (uint16_t)port, &e.addr, &len), VX_OK);
    if (leaf) {
        e.tls_ok = e.connected = true;
        e.chain = leaf;
        e.chain_count = 1;
    }
    return e;
}

/* sbc1 over UDP (up), TCP (down) and TLS (up, leaf). */
static vx__snapshot *snap_with(char **leaf)
{
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    assert_non_null(s);
    vx__endpoint_obs e[] = {ep("192.0.2.10", 5060, VX__EP_UDP, VX_OK, NULL),
                            ep("192.0.2.10", 5060, VX__EP_TCP, VX_ETIMEDOUT, NULL),
                            ep("2001:db8::10", 5061, VX__EP_TLS, VX_OK, leaf)};
    s->endpoints_probed = true;
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(vx__snapshot_add_endpoint(s, &e[i]), VX_OK);
    return s;
}

static void test_build_and_same(void **state)
{
    (void)state;
    char *a = cf_b64("sbc1.example.com", "URI:sip:example.com", -3600, 86400 * 90);
    char *b = cf_b64("sbc1.example.com", "URI:sip:example.com", -7200, 86400 * 60);
    vx__snapshot *s = snap_with(&a);
    vx__ep_watch *w = NULL;
    assert_int_equal(vx__ep_watch_build(s, &w), VX_OK);
    assert_string_equal(w->domain, "example.com");
    assert_int_equal(w->count, 3);
    assert_true(w->items[0].up && !w->items[1].up && w->items[2].up);
    vx__cert_facts f;
    assert_int_equal(vx__cert_from_b64(a, &f), VX_OK);
    assert_string_equal(w->items[2].leaf, f.sha256);
    assert_string_equal(w->items[0].leaf, "");
    vx__cert_clear(&f);
    /* The same: as at the audit. Not: up <-> down, another leaf, no handshake. */
    for (size_t i = 0; i < 3; i++)
        assert_true(vx__ep_watch_same(&w->items[i], &s->endpoints[i]));
    vx__endpoint_obs down = ep("192.0.2.10", 5060, VX__EP_UDP, VX_ETIMEDOUT, NULL);
    vx__endpoint_obs up = ep("192.0.2.10", 5060, VX__EP_TCP, VX_OK, NULL);
    vx__endpoint_obs other = ep("2001:db8::10", 5061, VX__EP_TLS, VX_OK, &b);
    vx__endpoint_obs no_tls = ep("2001:db8::10", 5061, VX__EP_TLS, VX_ENETWORK, NULL);
    assert_false(vx__ep_watch_same(&w->items[0], &down));
    assert_false(vx__ep_watch_same(&w->items[1], &up));
    assert_false(vx__ep_watch_same(&w->items[2], &other));
    assert_false(vx__ep_watch_same(&w->items[2], &no_tls));
    vx__ep_watch_free(w);
    /* Nothing to keep: endpoints not probed. */
    s->endpoints_probed = false;
    assert_int_equal(vx__ep_watch_build(s, &w), VX_ENOTFOUND);
    assert_null(w);
    vx__snapshot_free(s);
    free(a);
    free(b);
}

/* A plan's text carries its endpoints; decoded, they compare the same way. */
static void test_plan_text_round_trip(void **state)
{
    (void)state;
    static const char base[] = "P 1700000000000 1700040000000 feedbeef 2a\n"
                               "S ns1.example.net. 192.0.2.1:53\n"
                               "N example.com.\n"
                               "Q 8000000000000011 0 0 6 1 3 6\n";
    char *a = cf_b64("sbc1.example.com", "URI:sip:example.com", -3600, 86400 * 90);
    vx__snapshot *s = snap_with(&a);
    vx__watch_servers t;
    vx__watch_servers_init(&t);
    uint64_t key = 0;
    vx__watch_plan *p = NULL, *back = NULL;
    assert_int_equal(vx__watch_plan_decode(base, strlen(base), &t, &p, &key), VX_OK);
    assert_null(p->endpoints);
    assert_int_equal(vx__ep_watch_build(s, &p->endpoints), VX_OK);
    char *text = vx__watch_plan_encode(p, &t, 42);
    assert_non_null(text);
    assert_non_null(strstr(text, "\nD example.com\nE udp 1 192.0.2.10:5060 sbc1.example.com. -\n"
                                 "E tcp 0 192.0.2.10:5060 sbc1.example.com. -\nE tls 1 "
                                 "[2001:db8::10]:5061 sbc1.example.com. "));
    assert_int_equal(vx__watch_plan_decode(text, strlen(text), &t, &back, &key), VX_OK);
    assert_non_null(back->endpoints);
    assert_string_equal(back->endpoints->domain, "example.com");
    assert_int_equal(back->endpoints->count, 3);
    for (size_t i = 0; i < 3; i++) {
        const vx__ep_watch_tuple *x = &p->endpoints->items[i], *y = &back->endpoints->items[i];
        assert_int_equal(x->transport, y->transport);
        assert_int_equal(x->up, y->up);
        assert_string_equal(x->leaf, y->leaf);
        assert_string_equal(x->host, y->host);
        assert_true(vx__addr_equal((const void *)&x->addr, (const void *)&y->addr));
        assert_true(vx__ep_watch_same(y, &s->endpoints[i]));
    }
    free(text);
    vx__watch_plan_free(back);
    vx__watch_plan_free(p);
    vx__watch_servers_clear(&t);
    vx__snapshot_free(s);
    free(a);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "E udp 1 192.0.2.10:5060 sbc1.example.com. -",   /* no D before */
        "D example.com\nD example.org",                  /* two */
        "D example.com\nE sctp 1 192.0.2.10:5060 h. -",  /* transport */
        "D example.com\nE udp 2 192.0.2.10:5060 h. -",   /* up */
        "D example.com\nE udp 1 not-an-address h. -",    /* address */
        "D example.com\nE tls 1 192.0.2.10:5061 h. abc", /* leaf */
        "D example.com\nE tls 1 192.0.2.10:5061",        /* short */
        "D ",                                            /* empty domain */
        "D two words"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vx__ep_watch *w = NULL;
        int rc = VX_OK;
        char line[256];
        for (const char *p = bad[i]; rc == VX_OK && *p;) {
            size_t n = strcspn(p, "\n");
            snprintf(line, sizeof line, "%.*s", (int)n, p);
            rc = vx__ep_watch_decode_line(line, &w);
            p += n + (p[n] == '\n');
        }
        assert_int_equal(rc, VX_EMALFORMED);
        vx__ep_watch_free(w);
    }
}

/* A UDP port on 127.0.0.1 that nothing listens on (bound, read, closed): a ping is refused. */
static uint16_t closed_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

typedef struct freeing {
    vx__ep_watch *w;
    int calls;
    bool unchanged;
    size_t count;
} freeing;

static void on_run_free(void *arg, bool unchanged, const vx__endpoint_obs *obs, size_t count)
{
    freeing *f = arg;
    (void)obs;
    f->calls++;
    f->unchanged = unchanged;
    f->count = count;
    vx__ep_watch_free(f->w); /* what the monitor's cycle does when its last part ends */
    f->w = NULL;
}

static void test_callback_may_free_the_watch(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    vx__engine *engine = NULL;
    vx__engine_opts eo;
    vx__engine_opts_default(&eo);
    assert_int_equal(vx__engine_new(&loop, &eo, &engine), VX_OK);
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    vx__endpoint_obs e = ep("127.0.0.1", closed_port(), VX__EP_UDP, VX_OK, NULL);
    assert_int_equal(vx__snapshot_add_endpoint(s, &e), VX_OK);
    freeing f = {0};
    assert_int_equal(vx__ep_watch_build(s, &f.w), VX_OK);
    assert_int_equal(vx__ep_watch_run(engine, f.w, NULL, on_run_free, &f), VX_OK);
    assert_int_equal(f.calls, 0); /* never from inside the call */
    for (int i = 0; i < 5000 && f.calls == 0; i++)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.count, 1);
    assert_false(f.unchanged); /* up at the audit, refused now */
    vx__engine_close(engine);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    vx__snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_same),
        cmocka_unit_test(test_plan_text_round_trip),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_callback_may_free_the_watch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
