/*
 * tests/unit/test_monitor_propagation.c — monitor/propagation.c on a virtual clock: a NOTIFY
 * polls every server at once, then 250 ms, 500 ms, ... up to 30 s apart; each server's time to
 * serve is measured from the NOTIFY; a server still behind after propagation_slow is reported
 * once and measured (was_slow) when it catches up; a repeated NOTIFY does not restart the clock,
 * a newer serial does and the old tracking's answers are ignored; a new serial first seen in a
 * cycle starts a SIGHTING tracking; dual primaries and unknown domains are not tracked; many
 * domains are each found again by name, also after a reload dropped some, and only tracked
 * domains are polled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/propagation.h"
#include "voxdns/status.h"
#include "wire/addr.h"

typedef struct seen {
    char what[32][4096];
    size_t count;
} seen;

static void on_measured(void *arg, const char *domain, const vx__prop_server *s, uint32_t serial,
                        vx__prop_origin origin, double seconds, bool was_slow)
{
    seen *w = arg;
    snprintf(w->what[w->count++ % 32], 4096, "measured %s %s %s %u %s %.3f%s", domain, s->label,
             s->provider, serial, origin == VX__PROP_NOTIFY ? "notify" : "sighting", seconds,
             was_slow ? " slow" : "");
}

static void on_slow(void *arg, const char *domain, const vx__prop_server *s, uint32_t serial,
                    double seconds)
{
    seen *w = arg;
    snprintf(w->what[w->count++ % 32], 4096, "slow %s %s %u %.3f", domain, s->label, serial,
             seconds);
}

static void roster(vx__prop_server *s, uint32_t a, uint32_t b, uint32_t c)
{
    const char *labels[] = {"ns1.a.net/192.0.2.1", "ns1.b.org/192.0.2.2", "ns2.b.org/192.0.2.3"};
    const char *addrs[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3"};
    const uint32_t serials[] = {a, b, c};
    socklen_t len;
    for (int i = 0; i < 3; i++) {
        memset(&s[i], 0, sizeof s[i]);
        strcpy(s[i].label, labels[i]);
        strcpy(s[i].provider, i ? "b.org" : "a.net");
        assert_int_equal(vx__addr_parse(addrs[i], 53, &s[i].addr, &len), VX_OK);
        s[i].has_serial = true;
        s[i].serial = serials[i];
    }
}

/* Answers every due poll: server i serves serving[i]. */
static size_t answer_due(vx__prop *p, uint64_t now, const uint32_t *serving)
{
    vx__prop_poll polls[8];
    size_t n = vx__prop_due(p, now, polls, 8);
    for (size_t i = 0; i < n; i++)
        vx__prop_answer(p, &polls[i], true, serving[polls[i].server], now);
    return n;
}

static void test_notify_measures_each_server(void **state)
{
    (void)state;
    static seen w;
    memset(&w, 0, sizeof w);
    vx__prop_hooks h = {.measured = on_measured, .slow = on_slow, .arg = &w};
    vx__prop *p = vx__prop_new(&h);
    vx__prop_server s[3];
    roster(s, 10, 10, 10);
    assert_int_equal(vx__prop_set_servers(p, "example.com", s, 3, false, 3000, 1000), VX_OK);
    assert_int_equal(vx__prop_next_ms(p), UINT64_MAX);
    assert_int_equal(vx__prop_notify(p, "example.com", true, 11, 5000), VX_OK);
    uint32_t serving[3] = {10, 10, 10};
    assert_int_equal(vx__prop_next_ms(p), 5000);
    assert_int_equal(answer_due(p, 5000, serving), 3); /* all at once */
    assert_int_equal(vx__prop_next_ms(p), 5250);
    assert_int_equal(answer_due(p, 5100, serving), 0);
    serving[0] = 11;
    assert_int_equal(answer_due(p, 5250, serving), 3);
    assert_int_equal(vx__prop_next_ms(p), 5750); /* then 500 ms */
    serving[1] = 12;                             /* newer counts */
    assert_int_equal(answer_due(p, 5750, serving), 2);
    assert_int_equal(answer_due(p, 6750, serving), 1); /* 1 s */
    assert_int_equal(answer_due(p, 7999, serving), 0);
    assert_int_equal(vx__prop_next_ms(p), 8000); /* the slow deadline */
    assert_int_equal(answer_due(p, 8000, serving), 0);
    assert_int_equal(answer_due(p, 8750, serving), 1); /* 2 s */
    serving[2] = 11;
    assert_int_equal(answer_due(p, 12750, serving), 1); /* 4 s */
    assert_int_equal(vx__prop_next_ms(p), UINT64_MAX);
    assert_int_equal(w.count, 4);
    assert_string_equal(w.what[0],
                        "measured example.com ns1.a.net/192.0.2.1 a.net 11 notify 0.250");
    assert_string_equal(w.what[1],
                        "measured example.com ns1.b.org/192.0.2.2 b.org 12 notify 0.750");
    assert_string_equal(w.what[2], "slow example.com ns2.b.org/192.0.2.3 11 3.000");
    assert_string_equal(w.what[3],
                        "measured example.com ns2.b.org/192.0.2.3 b.org 11 notify 7.750 slow");
    vx__prop_state st[3];
    assert_int_equal(vx__prop_states(p, "example.com", st, 3), 3);
    assert_int_equal(st[2].served_ms, 12750);
    assert_true(st[2].slow);
    assert_false(st[0].slow);
    vx__prop_free(p);
}

/* Backoff doubles up to 30 s; no answer counts as not serving; give up after a day. */
static void test_backoff_is_bounded(void **state)
{
    (void)state;
    static seen w;
    memset(&w, 0, sizeof w);
    vx__prop_hooks h = {.measured = on_measured, .slow = on_slow, .arg = &w};
    vx__prop *p = vx__prop_new(&h);
    vx__prop_server s[3];
    roster(s, 10, 10, 10);
    assert_int_equal(vx__prop_set_servers(p, "example.com", s, 1, false, 300000, 0), VX_OK);
    assert_int_equal(vx__prop_notify(p, "example.com", true, 11, 0), VX_OK);
    uint64_t now = 0, last = 0, gaps[12];
    for (int i = 0; i < 12; i++) {
        vx__prop_poll poll;
        now = vx__prop_next_ms(p);
        assert_int_equal(vx__prop_due(p, now, &poll, 1), 1);
        gaps[i] = now - last;
        last = now;
        vx__prop_answer(p, &poll, false, 0, now); /* timed out */
    }
    const uint64_t want[12] = {0,    250,   500,   1000,  2000,  4000,
                               8000, 16000, 30000, 30000, 30000, 30000};
    for (int i = 0; i < 12; i++)
        assert_int_equal(gaps[i], want[i]);
    vx__prop_poll poll;
    assert_int_equal(vx__prop_due(p, VX__PROP_GIVE_UP_MS, &poll, 1), 0);
    assert_int_equal(vx__prop_next_ms(p), UINT64_MAX);
    vx__prop_state st;
    assert_int_equal(vx__prop_states(p, "example.com", &st, 1), 1);
    assert_true(st.gave_up && st.slow);
    vx__prop_free(p);
}

static void test_repeated_and_newer_notify(void **state)
{
    (void)state;
    static seen w;
    memset(&w, 0, sizeof w);
    vx__prop_hooks h = {.measured = on_measured, .arg = &w};
    vx__prop *p = vx__prop_new(&h);
    vx__prop_server s[3];
    roster(s, 10, 10, 10);
    assert_int_equal(vx__prop_notify(p, "example.com", true, 11, 0), VX_ENOTFOUND); /* no roster */
    assert_int_equal(vx__prop_set_servers(p, "example.com", s, 3, false, 3000, 0), VX_OK);
    assert_int_equal(vx__prop_notify(p, "example.com", true, 11, 1000), VX_OK);
    vx__prop_poll old[3];
    assert_int_equal(vx__prop_due(p, 1000, old, 3), 3);
    assert_int_equal(vx__prop_notify(p, "example.com", true, 11, 2000), VX_EINVAL);
    assert_int_equal(vx__prop_notify(p, "example.com", true, 10, 2000), VX_EINVAL);
    assert_int_equal(vx__prop_notify(p, "example.com", true, 12, 3000), VX_OK);
    vx__prop_answer(p, &old[0], true, 12, 3100); /* the replaced tracking's answer */
    assert_int_equal(w.count, 0);
    uint32_t serving[3] = {12, 12, 12};
    assert_int_equal(answer_due(p, 3200, serving), 3);
    assert_int_equal(w.count, 3);
    assert_string_equal(w.what[0],
                        "measured example.com ns1.a.net/192.0.2.1 a.net 12 notify 0.200");
    /* without a serial: anything newer than the newest the roster saw (10) */
    assert_int_equal(vx__prop_notify(p, "example.com", false, 0, 4000), VX_EINVAL);
    vx__prop_free(p);
}

static void test_sighting_and_dual(void **state)
{
    (void)state;
    static seen w;
    memset(&w, 0, sizeof w);
    vx__prop_hooks h = {.measured = on_measured, .arg = &w};
    vx__prop *p = vx__prop_new(&h);
    vx__prop_server s[3];
    roster(s, 10, 10, 10);
    assert_int_equal(vx__prop_set_servers(p, "example.com", s, 3, false, 3000, 0), VX_OK);
    assert_int_equal(vx__prop_next_ms(p), UINT64_MAX);
    roster(s, 11, 10, 10); /* a cycle sees ns1.a.net serve 11 first */
    assert_int_equal(vx__prop_set_servers(p, "example.com", s, 3, false, 3000, 60000), VX_OK);
    uint32_t serving[3] = {11, 11, 10};
    assert_int_equal(answer_due(p, 60000, serving), 2); /* not the one already serving it */
    assert_int_equal(w.count, 1);
    assert_string_equal(w.what[0],
                        "measured example.com ns1.b.org/192.0.2.2 b.org 11 sighting 0.000");
    /* a second audit seeing the same serial changes nothing */
    assert_int_equal(vx__prop_set_servers(p, "example.com", s, 3, false, 3000, 61000), VX_OK);
    vx__prop_state st[3];
    assert_int_equal(vx__prop_states(p, "example.com", st, 3), 3);
    assert_int_equal(st[0].origin_ms, 60000);
    /* a NOTIFY without a serial: newer than 11 */
    assert_int_equal(vx__prop_notify(p, "example.com", false, 0, 62000), VX_OK);
    serving[0] = 11;
    assert_int_equal(answer_due(p, 62000, serving), 3);
    assert_int_equal(w.count, 1);
    /* dual primaries: nothing is tracked */
    assert_int_equal(vx__prop_set_servers(p, "dual.example", s, 3, true, 3000, 0), VX_OK);
    roster(s, 12, 10, 10);
    assert_int_equal(vx__prop_set_servers(p, "dual.example", s, 3, true, 3000, 1000), VX_OK);
    assert_int_equal(vx__prop_states(p, "dual.example", st, 3), 0);
    assert_int_equal(vx__prop_notify(p, "dual.example", true, 13, 2000), VX_ENOTFOUND);
    const char *keep[] = {"dual.example"};
    vx__prop_keep_only(p, keep, 1);
    assert_int_equal(vx__prop_states(p, "example.com", st, 3), 0);
    vx__prop_free(p);
}

/* 3,000 domains (the index grows several times), two tracked; a reload keeps every even one. */
static void test_many_domains_and_reload(void **state)
{
    (void)state;
    enum { N = 3000 };
    static char names[N][32];
    static const char *even[N / 2];
    vx__prop *p = vx__prop_new(NULL);
    vx__prop_server s[3];
    vx__prop_state st[3];
    vx__prop_poll polls[8];
    roster(s, 10, 10, 10);
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "d%zu.example.com", i);
        assert_int_equal(vx__prop_set_servers(p, names[i], s, 3, false, 3000, 0), VX_OK);
        if (i % 2 == 0)
            even[i / 2] = names[i];
    }
    assert_int_equal(vx__prop_set_servers(p, names[17], s, 3, false, 3000, 0), VX_OK); /* again */
    assert_int_equal(vx__prop_notify(p, names[7], true, 11, 1000), VX_OK);
    assert_int_equal(vx__prop_notify(p, names[2500], true, 11, 1000), VX_OK);
    assert_int_equal(vx__prop_next_ms(p), 1000);
    assert_int_equal(vx__prop_states(p, names[2500], st, 3), 3);
    assert_int_equal(vx__prop_states(p, names[2501], st, 3), 0);
    vx__prop_keep_only(p, even, N / 2);
    assert_int_equal(vx__prop_notify(p, names[7], true, 12, 2000), VX_ENOTFOUND); /* dropped */
    assert_int_equal(vx__prop_states(p, names[2500], st, 3), 3);
    assert_int_equal(vx__prop_due(p, 2000, polls, 8), 3); /* only the tracked one kept */
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(polls[i].domain, names[2500]);
    assert_int_equal(vx__prop_notify(p, names[N - 2], true, 11, 2000), VX_OK); /* found again */
    assert_int_equal(vx__prop_set_servers(p, "new.example.com", s, 3, false, 3000, 0), VX_OK);
    assert_int_equal(vx__prop_notify(p, "new.example.com", true, 11, 2000), VX_OK);
    assert_int_equal(vx__prop_states(p, "new.example.com", st, 3), 3);
    assert_string_equal(st[1].server->label, "ns1.b.org/192.0.2.2");
    assert_string_equal(st[1].server->provider, "b.org");
    assert_true(st[1].server->has_serial);
    assert_int_equal(st[1].server->serial, 10);
    vx__prop_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_measures_each_server),
        cmocka_unit_test(test_backoff_is_bounded),
        cmocka_unit_test(test_repeated_and_newer_notify),
        cmocka_unit_test(test_sighting_and_dual),
        cmocka_unit_test(test_many_domains_and_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
