/*
 * tests/unit/test_monitor_pending.c — monitor/pending.c: the queue of cycles kept for a failing
 * store (deep copies, order, an event-less cycle superseded by its domain's next one, the
 * bounds evicting event-less cycles first and reporting every evicted event) and the memo
 * (baselines within the budget, conditions not stored yet preferred over the store's and kept
 * past the budget, stored ones only beside the baseline and within the budget).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/pending.h"
#include "voxdns/status.h"

static const vx__store_summary SUMMARY = {.state = "ok"};

/* A cycle of domain with n events (messages "DOMAIN #i") and one condition "cond|DOMAIN". */
static vx__pending_cycle *cycle_of(const char *domain, size_t n, const char *json)
{
    vx__events evs = {0};
    vx__conditions conds = {0};
    char msg[64], key[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(msg, sizeof msg, "%s #%zu", domain, i);
        vx__event e = {.type = VX__EV_RECORD_CHANGED, .domain = (char *)domain, .message = msg};
        assert_int_equal(vx__events_push(&evs, &e), VX_OK);
    }
    snprintf(key, sizeof key, "cond|%s", domain);
    vx__condition c = {.key = key, .opened_by = VX__EV_NS_DOWN, .first_seen_ms = 1};
    assert_int_equal(vx__conditions_put(&conds, &c), VX_OK);
    vx__store_rtt_sample s = {.server = "ns1.example.net/192.0.2.1", .rtt_ms = 3, .time_ms = 5};
    vx__pending_cycle *p = vx__pending_cycle_new(domain, json, 7, &evs, &conds, &s, 1, &SUMMARY);
    vx__events_clear(&evs);
    vx__conditions_clear(&conds);
    assert_non_null(p);
    return p;
}

typedef struct drops {
    size_t cycles, events;
    char last[64];
} drops;

static void on_drop(void *arg, const vx__pending_cycle *c)
{
    drops *d = arg;
    d->cycles++;
    d->events += c->events.count;
    snprintf(d->last, sizeof d->last, "%s", c->domain);
}

static void test_cycle_is_a_deep_copy(void **state)
{
    (void)state;
    vx__pending_cycle *p = cycle_of("a.example", 2, "{\"x\":1}");
    assert_string_equal(p->domain, "a.example");
    assert_string_equal(p->snapshot_json, "{\"x\":1}");
    assert_int_equal(p->events.count, 2);
    assert_string_equal(p->events.items[1].message, "a.example #1");
    assert_int_equal(p->events.items[0].id, 0);
    assert_int_equal(p->conds.count, 1);
    assert_string_equal(p->conds.items[0].key, "cond|a.example");
    assert_int_equal(p->sample_count, 1);
    assert_string_equal(p->samples[0].server, "ns1.example.net/192.0.2.1");
    assert_string_equal(p->summary.state, "ok");
    assert_true(p->bytes > strlen(p->snapshot_json));
    vx__pending_cycle_free(p);
}

static void test_order_and_supersede(void **state)
{
    (void)state;
    vx__pending q;
    drops d = {0};
    vx__pending_init(&q, 100, 0, on_drop, &d);
    assert_int_equal(vx__pending_push(&q, cycle_of("a.example", 1, "{}")), VX_OK);
    assert_int_equal(vx__pending_push(&q, cycle_of("b.example", 0, "{}")), VX_OK);
    assert_int_equal(vx__pending_push(&q, cycle_of("a.example", 0, "{}")), VX_OK);
    /* b's event-less cycle is superseded by b's next one; a's cycle with an event is not. */
    assert_int_equal(vx__pending_push(&q, cycle_of("b.example", 2, "{}")), VX_OK);
    assert_int_equal(q.count, 3);
    assert_int_equal(q.events, 3);
    assert_int_equal(d.cycles, 0);
    assert_true(vx__pending_has(&q, "b.example"));
    assert_false(vx__pending_has(&q, "c.example"));
    assert_string_equal(vx__pending_head(&q)->domain, "a.example");
    assert_int_equal(vx__pending_head(&q)->events.count, 1);
    vx__pending_pop(&q);
    assert_string_equal(vx__pending_head(&q)->domain, "a.example");
    assert_int_equal(vx__pending_head(&q)->events.count, 0);
    vx__pending_pop(&q);
    assert_string_equal(vx__pending_head(&q)->domain, "b.example");
    vx__pending_pop(&q);
    assert_null(vx__pending_head(&q));
    assert_int_equal(q.events, 0);
    assert_int_equal(q.bytes, 0);
    vx__pending_clear(&q);
}

/* Past max_cycles: the oldest event-less cycle goes first, then the oldest; every evicted
 * event is reported and counted, the newest cycle is never the one dropped. */
static void test_bounds_evict_and_report(void **state)
{
    (void)state;
    vx__pending q;
    drops d = {0};
    vx__pending_init(&q, 2, 0, on_drop, &d);
    assert_int_equal(vx__pending_push(&q, cycle_of("a.example", 1, "{}")), VX_OK);
    assert_int_equal(vx__pending_push(&q, cycle_of("b.example", 0, "{}")), VX_OK);
    assert_int_equal(vx__pending_push(&q, cycle_of("c.example", 1, "{}")), VX_OK);
    assert_int_equal(d.cycles, 1);
    assert_string_equal(d.last, "b.example");
    assert_int_equal(q.dropped_events, 0);
    assert_int_equal(vx__pending_push(&q, cycle_of("d.example", 3, "{}")), VX_OK);
    assert_int_equal(d.cycles, 2);
    assert_string_equal(d.last, "a.example");
    assert_int_equal(q.dropped_events, 1);
    assert_int_equal(q.count, 2);
    assert_int_equal(q.events, 4);
    assert_string_equal(vx__pending_head(&q)->domain, "c.example");
    vx__pending_clear(&q);

    /* A byte bound: a big snapshot pushes older cycles out, but stays itself. */
    char *big = malloc(10001);
    memset(big, 'x', 10000);
    big[10000] = '\0';
    vx__pending_init(&q, 100, 8000, on_drop, &d);
    assert_int_equal(vx__pending_push(&q, cycle_of("e.example", 1, "{}")), VX_OK);
    assert_int_equal(vx__pending_push(&q, cycle_of("f.example", 1, big)), VX_OK);
    assert_int_equal(q.count, 1);
    assert_string_equal(vx__pending_head(&q)->domain, "f.example");
    assert_int_equal(q.dropped_events, 1);
    vx__pending_clear(&q);
    free(big);
}

static void test_memo_conditions(void **state)
{
    (void)state;
    vx__memo *m = vx__memo_new(0);
    vx__conditions c = {0}, out = {0};
    bool unstored = true;
    vx__condition one = {.key = "down|ns1", .opened_by = VX__EV_NS_DOWN, .detail = "{}"};
    assert_int_equal(vx__memo_conditions(m, "a.example", &out, &unstored), VX_ENOTFOUND);
    assert_false(unstored);
    assert_int_equal(vx__conditions_put(&c, &one), VX_OK);
    vx__memo_set_baseline(m, "a.example", strdup("{}"));
    assert_int_equal(vx__memo_set_conditions(m, "a.example", &c, true), VX_OK);
    assert_int_equal(vx__memo_conditions(m, "a.example", &out, &unstored), VX_OK);
    assert_false(unstored);
    assert_int_equal(out.count, 1);
    assert_string_equal(out.items[0].key, "down|ns1");
    vx__conditions_clear(&out);
    /* The store failed: these are the truth until it has them. */
    assert_int_equal(vx__memo_set_conditions(m, "a.example", &(vx__conditions){0}, false), VX_OK);
    assert_int_equal(vx__memo_conditions(m, "a.example", &out, &unstored), VX_OK);
    assert_true(unstored);
    assert_int_equal(out.count, 0);
    vx__memo_mark_stored(m, "a.example");
    assert_int_equal(vx__memo_conditions(m, "a.example", &out, &unstored), VX_OK);
    assert_false(unstored);
    /* Many domains: the table grows and finds every one (with a baseline, as stored
     * conditions need one). */
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "d%d.example", i);
        vx__memo_set_baseline(m, name, strdup("{}"));
        assert_int_equal(vx__memo_set_conditions(m, name, &c, i % 2 == 0), VX_OK);
    }
    for (int i = 0; i < 5000; i += 499) {
        snprintf(name, sizeof name, "d%d.example", i);
        assert_int_equal(vx__memo_conditions(m, name, &out, &unstored), VX_OK);
        assert_int_equal(unstored, i % 2 != 0);
        assert_int_equal(out.count, 1);
        vx__conditions_clear(&out);
    }
    vx__conditions_clear(&c);
    vx__memo_free(m);
}

/* The remembered baseline is handed out whole (a malloc'd copy of what was given). */
static void assert_baseline(vx__memo *m, const char *domain, const char *want)
{
    char *got = vx__memo_baseline(m, domain);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_memo_budget(void **state)
{
    (void)state;
    vx__memo *m = vx__memo_new(4096);
    /* Text that deflates little (a pseudo-random letter each byte, ~4.7 bits): 12000 bytes stay
     * over the budget. A repetitive text as long is kept: the budget counts deflated bytes. */
    char *big = malloc(12001), *flat = malloc(12001);
    uint32_t x = 12345;
    for (size_t i = 0; i < 12000; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (char)('a' + (x >> 16) % 26);
    }
    big[12000] = '\0';
    memset(flat, 'f', 12000);
    flat[12000] = '\0';
    vx__memo_set_baseline(m, "a.example", strdup("{\"a\":1}"));
    assert_baseline(m, "a.example", "{\"a\":1}");
    vx__memo_set_baseline(m, "a.example", strdup("{\"a\":2}"));
    assert_baseline(m, "a.example", "{\"a\":2}");
    vx__memo_set_baseline(m, "b.example", big); /* over the budget: not kept */
    assert_null(vx__memo_baseline(m, "b.example"));
    char *flat_copy = strdup(flat);
    vx__memo_set_baseline(m, "f.example", flat_copy);
    assert_baseline(m, "f.example", flat);
    free(flat);
    vx__memo_set_baseline(m, "a.example", NULL); /* forgotten */
    assert_null(vx__memo_baseline(m, "a.example"));
    vx__conditions c = {0}, out = {0};
    char detail[5001];
    memset(detail, 'd', 5000);
    detail[5000] = '\0';
    vx__condition one = {.key = "record|x", .opened_by = VX__EV_RECORD_CHANGED, .detail = detail};
    assert_int_equal(vx__conditions_put(&c, &one), VX_OK);
    bool unstored;
    assert_int_equal(vx__memo_set_conditions(m, "c.example", &c, true), VX_OK);
    assert_int_equal(vx__memo_conditions(m, "c.example", &out, &unstored), VX_ENOTFOUND);
    assert_int_equal(vx__memo_set_conditions(m, "c.example", &c, false), VX_OK);
    assert_int_equal(vx__memo_conditions(m, "c.example", &out, &unstored), VX_OK);
    assert_true(unstored);
    vx__conditions_clear(&out);
    vx__conditions_clear(&c);
    vx__memo_free(m);
}

/* Stored conditions are useless without the baseline: not kept without it, forgotten with it.
 * Unstored ones stay until the store has them. */
static void test_memo_stored_conditions_need_baseline(void **state)
{
    (void)state;
    vx__memo *m = vx__memo_new(0);
    vx__conditions c = {0}, out = {0};
    bool unstored;
    vx__condition one = {.key = "down|ns1", .opened_by = VX__EV_NS_DOWN, .detail = "{}"};
    assert_int_equal(vx__conditions_put(&c, &one), VX_OK);
    assert_int_equal(vx__memo_set_conditions(m, "a.example", &c, true), VX_OK);
    assert_int_equal(vx__memo_conditions(m, "a.example", &out, &unstored), VX_ENOTFOUND);
    assert_int_equal(vx__memo_bytes(m), 0); /* no entry either */
    vx__memo_set_baseline(m, "a.example", strdup("{\"a\":1}"));
    assert_int_equal(vx__memo_set_conditions(m, "a.example", &c, true), VX_OK);
    assert_int_equal(vx__memo_conditions(m, "a.example", &out, &unstored), VX_OK);
    vx__conditions_clear(&out);
    vx__memo_set_baseline(m, "a.example", NULL); /* forgotten: the stored conditions go too */
    assert_int_equal(vx__memo_conditions(m, "a.example", &out, &unstored), VX_ENOTFOUND);
    assert_int_equal(vx__memo_bytes(m), 0);
    /* Unstored: kept without a baseline, until the store has them. */
    assert_int_equal(vx__memo_set_conditions(m, "b.example", &c, false), VX_OK);
    vx__memo_set_baseline(m, "b.example", strdup("{\"b\":1}"));
    vx__memo_set_baseline(m, "b.example", NULL);
    assert_int_equal(vx__memo_conditions(m, "b.example", &out, &unstored), VX_OK);
    assert_true(unstored);
    vx__conditions_clear(&out);
    vx__memo_mark_stored(m, "b.example");
    assert_int_equal(vx__memo_conditions(m, "b.example", &out, &unstored), VX_ENOTFOUND);
    assert_int_equal(vx__memo_bytes(m), 0);
    vx__conditions_clear(&c);
    vx__memo_free(m);
}

/* A baseline that deflates to ~1.3 KB: 2000 pseudo-random letters. */
static char *noisy_baseline(uint32_t seed)
{
    char *s = malloc(2001);
    for (size_t i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        s[i] = (char)('a' + (seed >> 16) % 26);
    }
    s[2000] = '\0';
    return s;
}

/* Domains past the budget keep no stored conditions, and the byte count never passes the
 * budget; unstored conditions are kept past it. */
static void test_memo_conditions_within_budget(void **state)
{
    (void)state;
    const size_t max = 16384;
    vx__memo *m = vx__memo_new(max);
    vx__conditions c = {0}, out = {0};
    bool unstored;
    char detail[301], name[32];
    memset(detail, 'd', 300);
    detail[300] = '\0';
    vx__condition one = {.key = "record|x", .opened_by = VX__EV_RECORD_CHANGED, .detail = detail};
    assert_int_equal(vx__conditions_put(&c, &one), VX_OK);
    size_t kept = 0;
    for (uint32_t i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "d%u.example", (unsigned)i);
        vx__memo_set_baseline(m, name, noisy_baseline(i + 1));
        assert_int_equal(vx__memo_set_conditions(m, name, &c, true), VX_OK);
        assert_true(vx__memo_bytes(m) <= max);
        char *b = vx__memo_baseline(m, name);
        int rc = vx__memo_conditions(m, name, &out, &unstored);
        vx__conditions_clear(&out);
        if (rc == VX_OK) {
            assert_non_null(b); /* stored conditions only beside the baseline */
            kept++;
        }
        free(b);
    }
    assert_true(kept > 0 && kept < 40);
    assert_int_equal(vx__memo_conditions(m, "d39.example", &out, &unstored), VX_ENOTFOUND);
    /* Unstored conditions are the truth: kept over the budget. */
    char big[4001];
    memset(big, 'u', 4000);
    big[4000] = '\0';
    vx__condition two = {.key = "record|y", .opened_by = VX__EV_RECORD_CHANGED, .detail = big};
    assert_int_equal(vx__conditions_put(&c, &two), VX_OK);
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "u%d.example", i);
        assert_int_equal(vx__memo_set_conditions(m, name, &c, false), VX_OK);
    }
    assert_true(vx__memo_bytes(m) > max);
    assert_int_equal(vx__memo_conditions(m, "u7.example", &out, &unstored), VX_OK);
    assert_true(unstored);
    assert_int_equal(out.count, 2);
    vx__conditions_clear(&out);
    /* Meanwhile no baseline is admitted; once the store has them they go (no baseline). */
    vx__memo_set_baseline(m, "late.example", strdup("{}"));
    assert_null(vx__memo_baseline(m, "late.example"));
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "u%d.example", i);
        vx__memo_mark_stored(m, name);
    }
    assert_true(vx__memo_bytes(m) <= max);
    assert_int_equal(vx__memo_conditions(m, "u0.example", &out, &unstored), VX_ENOTFOUND);
    vx__conditions_clear(&c);
    vx__memo_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cycle_is_a_deep_copy),
        cmocka_unit_test(test_order_and_supersede),
        cmocka_unit_test(test_bounds_evict_and_report),
        cmocka_unit_test(test_memo_conditions),
        cmocka_unit_test(test_memo_budget),
        cmocka_unit_test(test_memo_stored_conditions_need_baseline),
        cmocka_unit_test(test_memo_conditions_within_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
