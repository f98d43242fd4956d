/*
 * tests/unit/test_watch.c — the monitor's quiet probe (probe/watch.c): the server table
 * (interning, growth), which of an audit's observations make a watch plan and when a snapshot
 * cannot be watched, and a watch against a fake server on 127.0.0.1 (fake_upstream.h): the same
 * zone gives "unchanged", a changed record or a silent server does not.
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
#include "net/engine.h"
#include "probe/watch.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/fingerprint.h"
#include "wire/query.h"

static uv_loop_t loop;

static struct sockaddr_storage addr_of(const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(vx__addr_parse(text, 53, &ss, &len), VX_OK);
    return ss;
}

static void add(vx__snapshot *s, vx__probe_kind kind, const char *server, const char *addr,
                const char *qname, uint16_t qtype, unsigned qflags, int status, uint64_t fp)
{
    vx__observation o;
    memset(&o, 0, sizeof(o));
    o.kind = kind;
    o.server = (char *)server;
    if (addr)
        o.addr = addr_of(addr);
    o.qname = (char *)qname;
    o.qtype = qtype;
    o.qclass = 1;
    o.qflags = qflags;
    o.status = status;
    o.fingerprint = fp;
    assert_int_equal(vx__snapshot_add_obs(s, &o), VX_OK);
}

/* ---- the server table ------------------------------------------------------------------- */

static void test_servers_intern(void **state)
{
    (void)state;
    vx__watch_servers t;
    vx__watch_servers_init(&t);
    struct sockaddr_storage a = addr_of("192.0.2.1"), b = addr_of("2001:db8::1");
    uint32_t i1, i2, i3, i4;
    assert_int_equal(vx__watch_servers_intern(&t, "ns1.example.net.", (void *)&a, &i1), VX_OK);
    assert_int_equal(vx__watch_servers_intern(&t, "NS1.Example.NET.", (void *)&a, &i2), VX_OK);
    assert_int_equal(vx__watch_servers_intern(&t, "ns1.example.net.", (void *)&b, &i3), VX_OK);
    assert_int_equal(vx__watch_servers_intern(&t, "ns2.example.net.", (void *)&a, &i4), VX_OK);
    assert_int_equal(i1, i2);
    assert_int_not_equal(i1, i3);
    assert_int_not_equal(i1, i4);
    assert_int_equal(t.count, 3);
    /* Growth past several rehashes keeps every index findable. */
    char name[64];
    for (uint32_t n = 0; n < 2000; n++) {
        uint32_t idx;
        snprintf(name, sizeof(name), "ns%u.example.org.", n);
        assert_int_equal(vx__watch_servers_intern(&t, name, (void *)&a, &idx), VX_OK);
        assert_int_equal(idx, n + 3);
    }
    for (uint32_t n = 0; n < 2000; n += 97) {
        uint32_t idx;
        snprintf(name, sizeof(name), "ns%u.example.org.", n);
        assert_int_equal(vx__watch_servers_intern(&t, name, (void *)&a, &idx), VX_OK);
        assert_int_equal(idx, n + 3);
        assert_string_equal(t.items[idx].name, name);
    }
    assert_int_equal(t.count, 2003);
    vx__watch_servers_clear(&t);
}

/* ---- plans ------------------------------------------------------------------------------ */

static void test_plan_keeps_data_questions(void **state)
{
    (void)state;
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    const char *ns1 = "ns1.example.net.";
    add(s, VX__PROBE_DATA, ns1, "192.0.2.1", "example.com.", 6, VX__Q_NSID | VX__Q_DO, VX_OK, 11);
    add(s, VX__PROBE_DATA, ns1, "192.0.2.1", "example.com.", 6, VX__Q_TCP, VX_OK, 12);
    add(s, VX__PROBE_NOEDNS, ns1, "192.0.2.1", "example.com.", 6, VX__Q_NOEDNS, VX_OK, 13);
    add(s, VX__PROBE_RECURSION, ns1, "192.0.2.1", ".", 2, VX__Q_RD, VX_OK, 14);
    add(s, VX__PROBE_AXFR, ns1, "192.0.2.1", "example.com.", 252, VX__Q_TCP, VX_OK, 15);
    add(s, VX__PROBE_VERSION, ns1, "192.0.2.1", "version.bind.", 16, 0, VX_OK, 16);
    add(s, VX__PROBE_DATA, ns1, "192.0.2.1", "example.com.", 35, VX__Q_DO, VX_OK, 17);
    add(s, VX__PROBE_DATA, ns1, "2001:db8::1", "example.com.", 35, VX__Q_DO, VX_OK, 18);
    add(s, VX__PROBE_PARENT, "a.gtld.", "198.51.100.1", "example.com.", 2, 0, VX_OK, 19);
    add(s, VX__PROBE_DS, "a.gtld.", "198.51.100.1", "example.com.", 43, VX__Q_DO, VX_OK, 20);
    add(s, VX__PROBE_RESOLVE, ns1, "192.0.2.1", "ns1.example.net.", 1, 0, VX_OK, 21);
    add(s, VX__PROBE_RESOLVE, "", NULL, "gone.example.org.", 1, 0, VX_ETIMEDOUT, 0);
    vx__snapshot *alt = vx__snapshot_new("example.net.", "generic");
    add(alt, VX__PROBE_DATA, ns1, "192.0.2.1", "example.net.", 35, VX__Q_DO, VX_OK, 22);
    assert_int_equal(vx__snapshot_add_alt(s, alt), VX_OK);

    vx__watch_servers t;
    vx__watch_servers_init(&t);
    vx__watch_plan *p = NULL;
    assert_int_equal(vx__watch_plan_build(s, &t, &p), VX_OK);
    /* SOA (UDP), 2 NAPTR, parent NS, DS, one look-up, the alternate domain's NAPTR. */
    const uint64_t want_fp[] = {11, 17, 18, 19, 20, 21, 22};
    assert_int_equal(p->count, 7);
    for (size_t i = 0; i < p->count; i++)
        assert_int_equal(p->q[i].fingerprint, want_fp[i]);
    assert_string_equal(vx__watch_qname(p, &p->q[0]), "example.com.");
    assert_int_equal(p->q[0].qname, 0); /* the apex is the first name */
    assert_int_equal(p->q[0].qflags, VX__Q_NSID | VX__Q_DO);
    assert_int_equal(p->q[1].qname, p->q[2].qname); /* names are kept once */
    assert_int_not_equal(p->q[1].server, p->q[2].server);
    assert_int_equal(p->q[0].server, p->q[1].server);
    assert_string_equal(vx__watch_qname(p, &p->q[5]), "ns1.example.net.");
    assert_string_equal(vx__watch_qname(p, &p->q[6]), "example.net.");
    assert_int_equal(p->q[3].kind, VX__PROBE_PARENT);
    assert_int_equal(p->q[4].qtype, 43);
    assert_int_equal(t.count, 3); /* ns1 twice (two addresses), a.gtld once */
    assert_int_equal(p->audited_ms, s->started_ms);
    vx__watch_plan_free(p);
    vx__watch_servers_clear(&t);
    vx__snapshot_free(s);
}

/* The stored form: a plan decoded into another daemon's server table asks the same questions
 * of the same addresses; malformed text is refused, never half-taken. */
static void test_plan_text_round_trip(void **state)
{
    (void)state;
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    const char *ns1 = "ns1.example.net.";
    add(s, VX__PROBE_DATA, ns1, "192.0.2.1", "example.com.", 6, VX__Q_NSID | VX__Q_DO, VX_OK,
        0x8000000000000011ull);
    add(s, VX__PROBE_DATA, ns1, "2001:db8::1", "_acme-challenge.example.com.", 16, VX__Q_DO, VX_OK,
        17);
    add(s, VX__PROBE_PARENT, "a.gtld.", "198.51.100.1", "example.com.", 2, 0, VX_OK, 19);
    add(s, VX__PROBE_FOREIGN, "ns1.prov.example.", "203.0.113.7", "sbc.prov.example.", 1, 0, VX_OK,
        23);
    vx__watch_servers t, fresh;
    vx__watch_servers_init(&t);
    vx__watch_servers_init(&fresh);
    uint32_t pad;
    struct sockaddr_storage other = addr_of("198.18.0.9");
    assert_int_equal(vx__watch_servers_intern(&fresh, "x.example.", (void *)&other, &pad), VX_OK);
    vx__watch_plan *p = NULL, *back = NULL;
    assert_int_equal(vx__watch_plan_build(s, &t, &p), VX_OK);
    p->audit_due_ms = 1700000123456ull;
    p->resolver_digest = 0xfeedbeefcafe0001ull;
    char *text = vx__watch_plan_encode(p, &t, 42);
    assert_non_null(text);
    uint64_t key = 0;
    assert_int_equal(vx__watch_plan_decode(text, strlen(text), &fresh, &back, &key), VX_OK);
    assert_int_equal(key, 42);
    assert_int_equal(back->count, p->count);
    assert_int_equal(back->audited_ms, p->audited_ms);
    assert_int_equal(back->audit_due_ms, p->audit_due_ms);
    assert_int_equal(back->resolver_digest, p->resolver_digest);
    for (size_t i = 0; i < p->count; i++) {
        const vx__watch_question *a = &p->q[i], *b = &back->q[i];
        assert_int_equal(a->fingerprint, b->fingerprint);
        assert_string_equal(vx__watch_qname(p, a), vx__watch_qname(back, b));
        assert_int_equal(a->qtype, b->qtype);
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->qflags, b->qflags);
        assert_string_equal(t.items[a->server].name, fresh.items[b->server].name);
        assert_true(
            vx__addr_equal((void *)&t.items[a->server].addr, (void *)&fresh.items[b->server].addr));
    }
    /* Damaged: a question naming a server or name that is not there, garbage, nothing. */
    static const char *const bad[] = {
        "P 1 2 3 4\nS ns1.example.net. 192.0.2.1:53\nN example.com.\nQ 1 1 0 6 1 3 0\n",
        "P 1 2 3 4\nS ns1.example.net. 192.0.2.1:53\nN example.com.\nQ 1 0 1 6 1 3 0\n",
        "P 1 2 3 4\nS ns1.example.net. not-an-address\nN example.com.\nQ 1 0 0 6 1 3 0\n",
        "P 1 2 3 4\nS ns1.example.net. 192.0.2.1:53\nN example.com.\nQ 1 0 0 6 1 99 0\n",
        "P 1 2 3 4\nX what\n",
        "P 1 2 3 4\n",
        ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vx__watch_plan *none = (vx__watch_plan *)&pad;
        assert_int_equal(vx__watch_plan_decode(bad[i], strlen(bad[i]), &fresh, &none, &key),
                         VX_EMALFORMED);
        assert_null(none);
    }
    free(text);
    vx__watch_plan_free(p);
    vx__watch_plan_free(back);
    vx__watch_servers_clear(&t);
    vx__watch_servers_clear(&fresh);
    vx__snapshot_free(s);
}

static void test_plan_refused_when_unanswered(void **state)
{
    (void)state;
    vx__watch_servers t;
    vx__watch_servers_init(&t);
    vx__watch_plan *p = (vx__watch_plan *)&t; /* must be reset to NULL */
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    add(s, VX__PROBE_DATA, "ns1.example.net.", "192.0.2.1", "example.com.", 6, 0, VX_OK, 5);
    add(s, VX__PROBE_DATA, "ns2.example.net.", "192.0.2.2", "example.com.", 6, 0, VX_ETIMEDOUT, 0);
    assert_int_equal(vx__watch_plan_build(s, &t, &p), VX_ENOTFOUND);
    assert_null(p);
    vx__snapshot_free(s);
    s = vx__snapshot_new("example.com.", "generic");
    add(s, VX__PROBE_DATA, "ns1.example.net.", "192.0.2.1", "example.com.", 6, 0, VX_OK, 0);
    assert_int_equal(vx__watch_plan_build(s, &t, &p), VX_ENOTFOUND); /* no fingerprint */
    vx__snapshot_free(s);
    s = vx__snapshot_new("example.com.", "generic"); /* nothing to watch at all */
    add(s, VX__PROBE_AXFR, "ns1.example.net.", "192.0.2.1", "example.com.", 252, VX__Q_TCP, VX_OK,
        9);
    assert_int_equal(vx__watch_plan_build(s, &t, &p), VX_ENOTFOUND);
    vx__snapshot_free(s);
    vx__watch_servers_clear(&t);
}

/* ---- a watch against a fake server ------------------------------------------------------- */

static const char *const zone_v1[] = {
    "example.com. 3600 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300",
    "example.com. 3600 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 10 10 5060 sip1.example.com.", NULL};
static const char *const zone_v2[] = {
    "example.com. 3600 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300",
    "example.com. 3600 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 10 10 5060 sip9.attacker.example.", NULL};

typedef struct got {
    bool done;
    bool unchanged;
    vx__watch_answer answers[8];
    size_t n; /* answers to copy (0: 3) */
    uint64_t fp;
} got;

static void on_query(void *arg, const vx__query_result *r)
{
    got *g = arg;
    assert_int_equal(r->status, VX_OK);
    assert_int_equal(vx__wire_fingerprint(r->wire, r->wire_len, true, &g->fp), VX_OK);
    g->done = true;
}

static void on_watch(void *arg, const vx__watch_answer *answers, bool unchanged)
{
    got *g = arg;
    g->done = true;
    g->unchanged = unchanged;
    memcpy(g->answers, answers, (g->n ? g->n : 3) * sizeof(*answers));
}

static void run_until(got *g)
{
    for (int i = 0; i < 5000 && !g->done; i++)
        uv_run(&loop, UV_RUN_ONCE);
    assert_true(g->done);
}

/* The fingerprint of the fake's answer, asked the way the audit asks. */
static uint64_t fingerprint_of(vx__engine *e, const fake_upstream *f, const char *name,
                               uint16_t type)
{
    got g = {0};
    vx__question q;
    assert_int_equal(vx__question_from_text(name, type, 1, &q), VX_OK);
    vx__query_spec spec = {
        .server = (const struct sockaddr *)&f->addr, .question = &q, .flags = VX__Q_DO};
    assert_int_equal(vx__engine_query(e, &spec, on_query, &g), VX_OK);
    run_until(&g);
    return g.fp;
}

static void test_watch_against_fake_server(void **state)
{
    (void)state;
    fake_upstream f;
    vx__engine *e = NULL;
    vx__engine_opts eo;
    vx__engine_opts_default(&eo);
    eo.max_attempts = 1;
    eo.budget_ms = 300;
    assert_int_equal(vx__engine_new(&loop, &eo, &e), VX_OK);
    fake_start(&loop, &f, FAKE_ANSWER, zone_v1);
    char server[64];
    vx__addr_format((const struct sockaddr *)&f.addr, server, sizeof(server));
    vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
    const char *names[] = {"example.com.", "example.com.", "_sip._udp.example.com."};
    const uint16_t types[] = {6, 35, 33};
    for (size_t i = 0; i < 3; i++) {
        vx__observation o;
        memset(&o, 0, sizeof(o));
        o.kind = VX__PROBE_DATA;
        o.server = "ns.example.com.";
        memcpy(&o.addr, &f.addr, sizeof(f.addr));
        o.qname = (char *)names[i];
        o.qtype = types[i];
        o.qclass = 1;
        o.qflags = VX__Q_DO;
        o.fingerprint = fingerprint_of(e, &f, names[i], types[i]);
        assert_int_equal(vx__snapshot_add_obs(s, &o), VX_OK);
    }
    vx__watch_servers t;
    vx__watch_servers_init(&t);
    vx__watch_plan *p = NULL;
    assert_int_equal(vx__watch_plan_build(s, &t, &p), VX_OK);
    assert_int_equal(p->count, 3);

    struct sockaddr_storage *addrs = NULL;
    assert_int_equal(vx__watch_addresses(p, &t, &addrs), VX_OK);
    for (size_t i = 0; i < 3; i++)
        assert_true(
            vx__addr_equal((const struct sockaddr *)&addrs[i], (const struct sockaddr *)&f.addr));
    got g = {0};
    assert_int_equal(vx__watch_start(e, p, addrs, NULL, 0, on_watch, &g), VX_OK);
    assert_false(g.done); /* never from inside the call */
    run_until(&g);
    assert_true(g.unchanged);
    for (size_t i = 0; i < 3; i++) {
        assert_true(g.answers[i].same);
        assert_int_equal(g.answers[i].status, VX_OK);
        assert_int_equal(g.answers[i].rcode, 0);
    }

    f.zone = zone_v2; /* the SRV target hijacked on this server */
    memset(&g, 0, sizeof(g));
    assert_int_equal(vx__watch_start(e, p, addrs, NULL, 0, on_watch, &g), VX_OK);
    run_until(&g);
    assert_false(g.unchanged);
    assert_true(g.answers[0].same);
    assert_true(g.answers[1].same);
    assert_false(g.answers[2].same);

    f.zone = zone_v1;
    f.mode = FAKE_SILENT;
    memset(&g, 0, sizeof(g));
    assert_int_equal(vx__watch_start(e, p, addrs, NULL, 0, on_watch, &g), VX_OK);
    run_until(&g);
    assert_false(g.unchanged);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(g.answers[i].status, VX_ETIMEDOUT);
        assert_false(g.answers[i].same);
    }

    free(addrs);
    vx__watch_plan_free(p);
    vx__watch_servers_clear(&t);
    vx__snapshot_free(s);
    fake_stop(&f);
    vx__engine_close(e);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* Two domains' plans with the same look-up (kind RESOLVE) and their own data question: within
 * a round the look-up is asked once, a new round asks it again, and each watch compares the
 * shared answer with its own plan. */
static void test_shared_lookups_asked_once_per_round(void **state)
{
    (void)state;
    fake_upstream f;
    vx__engine *e = NULL;
    vx__engine_opts eo;
    vx__engine_opts_default(&eo);
    assert_int_equal(vx__engine_new(&loop, &eo, &e), VX_OK);
    fake_start(&loop, &f, FAKE_ANSWER, zone_v1);
    uint64_t fp_srv = fingerprint_of(e, &f, "_sip._udp.example.com.", 33);
    uint64_t fp_soa = fingerprint_of(e, &f, "example.com.", 6);
    vx__watch_servers t;
    vx__watch_servers_init(&t);
    vx__watch_plan *plans[2];
    struct sockaddr_storage *addrs[2];
    for (int k = 0; k < 2; k++) {
        vx__snapshot *s = vx__snapshot_new("example.com.", "generic");
        vx__observation o;
        memset(&o, 0, sizeof(o));
        o.server = "ns.example.com.";
        memcpy(&o.addr, &f.addr, sizeof(f.addr));
        o.qclass = 1;
        o.qflags = VX__Q_DO;
        o.kind = VX__PROBE_DATA;
        o.qname = "example.com.";
        o.qtype = 6;
        o.fingerprint = fp_soa;
        assert_int_equal(vx__snapshot_add_obs(s, &o), VX_OK);
        o.kind = VX__PROBE_RESOLVE;
        o.qname = "_sip._udp.example.com.";
        o.qtype = 33;
        o.fingerprint = k == 0 ? fp_srv : fp_srv + 1; /* the second plan expects other data */
        assert_int_equal(vx__snapshot_add_obs(s, &o), VX_OK);
        assert_int_equal(vx__watch_plan_build(s, &t, &plans[k]), VX_OK);
        assert_int_equal(vx__watch_addresses(plans[k], &t, &addrs[k]), VX_OK);
        vx__snapshot_free(s);
    }
    vx__watch_shared *sh = vx__watch_shared_new();
    assert_non_null(sh);
    for (uint64_t round = 1; round <= 2; round++) {
        unsigned before = f.udp_queries;
        got g[2] = {{.n = 2}, {.n = 2}};
        for (int k = 0; k < 2; k++)
            assert_int_equal(vx__watch_start(e, plans[k], addrs[k], sh, round, on_watch, &g[k]),
                             VX_OK);
        run_until(&g[0]);
        run_until(&g[1]);
        assert_int_equal(f.udp_queries - before, 3); /* two SOA, one shared SRV look-up */
        assert_true(g[0].unchanged);
        assert_false(g[1].unchanged);
        assert_true(g[1].answers[0].same);
        assert_false(g[1].answers[1].same);
        assert_int_equal(g[1].answers[1].status, VX_OK);
    }
    /* Later in the same round: the look-up's answer is given at once. */
    unsigned before = f.udp_queries;
    got g = {.n = 2};
    assert_int_equal(vx__watch_start(e, plans[0], addrs[0], sh, 2, on_watch, &g), VX_OK);
    assert_false(g.done);
    run_until(&g);
    assert_true(g.unchanged);
    assert_int_equal(f.udp_queries - before, 1);
    vx__watch_shared_free(sh);
    for (int k = 0; k < 2; k++) {
        free(addrs[k]);
        vx__watch_plan_free(plans[k]);
    }
    vx__watch_servers_clear(&t);
    fake_stop(&f);
    vx__engine_close(e);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static int setup(void **state)
{
    (void)state;
    return uv_loop_init(&loop);
}

static int teardown(void **state)
{
    (void)state;
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_servers_intern),
        cmocka_unit_test(test_plan_keeps_data_questions),
        cmocka_unit_test(test_plan_refused_when_unanswered),
        cmocka_unit_test(test_plan_text_round_trip),
        cmocka_unit_test(test_watch_against_fake_server),
        cmocka_unit_test(test_shared_lookups_asked_once_per_round),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
