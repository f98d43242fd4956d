/*
 * tests/unit/test_monitor_diff_zone.c — monitor/diff_zone.c: a provider's whole copy of the zone
 * against its accepted copy over several cycles: a record added, kept, changed again, reverted;
 * one removed; a TTL changed; SOA and the names the audit asks itself left out; a provider whose
 * copy is unknown keeps its conditions, and so do other rules' conditions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "monitor/diff_zone.h"
#include "voxdns/status.h"
#include "wire/xfr.h"

#define ZONE "example.com."
#define SERVER "ns1.dns-b.org/198.51.100.1"
#define BASE_TEXT                                                                                  \
    "$ORIGIN example.com.\n$TTL 300\n"                                                             \
    "@ 3600 IN SOA ns1.dns-a.net. h 1 7200 3600 1209600 3600\n"                                    \
    "@ IN NS ns1.dns-b.org.\nwww IN A 192.0.2.1\noffice IN TXT \"v=office\"\n"                     \
    "sip IN A 192.0.2.5\n"

typedef struct world {
    vx__zone_copy base, now;
    vx__snapshot *snap;
    vx__conditions open;
    vx__events ev;
    uint64_t t;
} world;

static void copy_from(vx__zone_copy *z, const char *provider, const char *text, int status)
{
    char err[128];
    vx__zone_copy_clear(z);
    z->provider = strdup(provider);
    z->server = strdup("ns1.dns-b.org.");
    struct sockaddr_in *a = (struct sockaddr_in *)&z->addr;
    a->sin_family = AF_INET;
    inet_pton(AF_INET, "198.51.100.1", &a->sin_addr);
    z->status = status;
    z->serial = 2;
    assert_int_equal(
        vx__zone_text_parse(text, strlen(text), ZONE, &z->sets, &z->set_count, err, sizeof err),
        VX_OK);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    w->snap = vx__snapshot_new(ZONE, "generic");
    copy_from(&w->base, "dns-b.org", BASE_TEXT, VX_OK);
    w->t = 1700000000000ull;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    vx__zone_copy_clear(&w->base);
    vx__zone_copy_clear(&w->now);
    vx__snapshot_free(w->snap);
    vx__conditions_clear(&w->open);
    vx__events_clear(&w->ev);
    free(w);
    return 0;
}

/* One cycle whose copy is the base zone plus extra (and with edits applied by the caller). */
static void cycle(world *w, const char *text, int status)
{
    copy_from(&w->now, "dns-b.org", text, status);
    vx__events_clear(&w->ev);
    vx__zone_diff_input in = {.base = &w->base,
                              .base_count = 1,
                              .now = &w->now,
                              .now_count = 1,
                              .current = w->snap,
                              .now_ms = w->t,
                              .prev_cycle_ms = w->t - 300000};
    assert_int_equal(vx__diff_zones(&in, &w->open, &w->ev), VX_OK);
    w->t += 300000;
}

static const vx__event *only_event(const world *w, vx__event_type type)
{
    assert_int_equal(w->ev.count, 1);
    assert_int_equal(w->ev.items[0].type, type);
    assert_string_equal(w->ev.items[0].server, SERVER);
    return &w->ev.items[0];
}

static void test_same_zone_is_silent(void **state)
{
    world *w = *state;
    for (int i = 0; i < 3; i++) {
        cycle(w, BASE_TEXT "@ 3600 IN SOA ns1.dns-a.net. h 9 1 1 1 1\n", VX_OK); /* SOA moves */
        assert_int_equal(w->ev.count, 0);
        assert_int_equal(w->open.count, 0);
    }
}

static void test_added_kept_changed_reverted(void **state)
{
    world *w = *state;
    cycle(w, BASE_TEXT "new IN TXT \"one\"\n", VX_OK);
    const vx__event *e = only_event(w, VX__EV_RECORD_ADDED);
    assert_string_equal(e->name, "new.example.com");
    assert_int_equal(e->rrtype, 16);
    assert_int_equal(e->old_count, 0);
    assert_int_equal(e->new_count, 1);
    assert_string_equal(e->new_data[0], "\"one\"");
    assert_non_null(strstr(e->message, "provider dns-b.org"));
    assert_int_equal(w->open.count, 1);
    assert_string_equal(w->open.items[0].key, "zone|dns-b.org|new.example.com.|TXT");
    uint64_t first = w->open.items[0].first_seen_ms;
    cycle(w, BASE_TEXT "new IN TXT \"one\"\n", VX_OK); /* still there: no news */
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 1);
    assert_true(w->open.items[0].last_seen_ms > first);
    cycle(w, BASE_TEXT "new IN TXT \"two\"\n", VX_OK); /* yet another value: announced */
    e = only_event(w, VX__EV_RECORD_CHANGED);
    assert_string_equal(e->old_data[0], "\"one\"");
    assert_string_equal(e->new_data[0], "\"two\"");
    assert_int_equal(e->first_seen_ms, first);
    cycle(w, BASE_TEXT, VX_OK); /* as accepted again */
    e = only_event(w, VX__EV_CHANGE_REVERTED);
    assert_string_equal(e->old_data[0], "\"two\"");
    assert_int_equal(e->new_count, 0);
    assert_int_equal(w->open.count, 0);
}

static void test_removed_and_ttl(void **state)
{
    world *w = *state;
    static const char no_office[] = "$ORIGIN example.com.\n$TTL 300\n"
                                    "@ 3600 IN SOA ns1.dns-a.net. h 1 7200 3600 1209600 3600\n"
                                    "@ IN NS ns1.dns-b.org.\nwww 60 IN A 192.0.2.1\n"
                                    "sip IN A 192.0.2.5\n";
    cycle(w, no_office, VX_OK);
    assert_int_equal(w->ev.count, 2);
    bool removed = false, ttl = false;
    for (size_t i = 0; i < w->ev.count; i++) {
        const vx__event *e = &w->ev.items[i];
        removed |= e->type == VX__EV_RECORD_REMOVED && strcmp(e->name, "office.example.com") == 0;
        ttl |= e->type == VX__EV_TTL_CHANGED && e->old_ttl == 300 && e->new_ttl == 60;
    }
    assert_true(removed);
    assert_true(ttl);
    assert_int_equal(w->open.count, 2);
}

static void test_unknown_copy_keeps_conditions(void **state)
{
    world *w = *state;
    vx__condition other = {.key = (char *)"down|" SERVER, .opened_by = VX__EV_NS_DOWN};
    assert_int_equal(vx__conditions_put(&w->open, &other), VX_OK);
    cycle(w, BASE_TEXT "new IN TXT \"one\"\n", VX_OK);
    assert_int_equal(w->open.count, 2);
    cycle(w, BASE_TEXT, VX_ETIMEDOUT); /* the transfer failed: unknown, not reverted */
    assert_int_equal(w->ev.count, 0);
    assert_int_equal(w->open.count, 2);
    cycle(w, BASE_TEXT, VX_OK);
    only_event(w, VX__EV_CHANGE_REVERTED);
    assert_int_equal(w->open.count, 1);
    assert_string_equal(w->open.items[0].key, "down|" SERVER);
}

static void test_names_the_audit_asks_are_left_out(void **state)
{
    world *w = *state;
    vx__observation o = {.kind = VX__PROBE_DATA, .qname = (char *)"sip.example.com.", .qtype = 1};
    assert_int_equal(vx__snapshot_add_obs(w->snap, &o), VX_OK);
    static const char moved[] = "$ORIGIN example.com.\n$TTL 300\n"
                                "@ 3600 IN SOA ns1.dns-a.net. h 1 7200 3600 1209600 3600\n"
                                "@ IN NS ns1.dns-b.org.\nwww IN A 192.0.2.1\n"
                                "office IN TXT \"v=office\"\nsip IN A 192.0.2.6\n";
    cycle(w, moved, VX_OK);
    assert_int_equal(w->ev.count, 0); /* the per-server diff reports sip A */
    assert_int_equal(w->open.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_zone_is_silent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_added_kept_changed_reverted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_and_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_copy_keeps_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_the_audit_asks_are_left_out, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
