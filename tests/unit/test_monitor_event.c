/*
 * tests/unit/test_monitor_event.c — model/event.c: event type names, deep-copied event and
 * condition lists, and the event JSON the API gives (exactly its keys, RFC 3339 times with
 * milliseconds, type mnemonics, nulls for what an event is not about).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "model/event.h"
#include "voxdns/status.h"

static void test_type_names(void **state)
{
    (void)state;
    for (int i = 0; i < VX__EV_TYPE_COUNT; i++) {
        vx__event_type t;
        const char *name = vx__event_type_name((vx__event_type)i);
        assert_int_equal(vx__event_type_from_name(name, &t), VX_OK);
        assert_int_equal(t, i);
    }
    assert_string_equal(vx__event_type_name(VX__EV_RECORD_CHANGED), "RECORD-CHANGED");
    assert_string_equal(vx__event_type_name(VX__EV_CHANGE_REVERTED), "CHANGE-REVERTED");
    assert_string_equal(vx__event_type_name(VX__EV_FINDING_CLEARED), "FINDING-CLEARED");
    vx__event_type t;
    assert_int_equal(vx__event_type_from_name("record-changed", &t), VX_EINVAL);
    assert_int_equal(vx__event_type_from_name(NULL, &t), VX_EINVAL);
}

static void sample(vx__event *e, char **old_v, char **new_v)
{
    memset(e, 0, sizeof *e);
    e->id = 42;
    e->type = VX__EV_RECORD_CHANGED;
    e->severity = VX__SEV_ERROR;
    e->domain = "example.com";
    e->server = "ns1.dns-a.net/192.0.2.1";
    e->name = "sip1.example.com";
    e->rrtype = 1;
    e->old_data = old_v;
    e->old_count = 1;
    e->new_data = new_v;
    e->new_count = 2;
    e->message = "ns1.dns-a.net/192.0.2.1 answers sip1.example.com A with another address";
    e->first_seen_ms = 1700000000123ull;
    e->last_seen_ms = 1700000300004ull;
}

static void test_events_push_deep_copy(void **state)
{
    (void)state;
    char *old_v[] = {"192.0.2.10"}, *new_v[] = {"203.0.113.66", "203.0.113.67"};
    vx__event e;
    sample(&e, old_v, new_v);
    vx__events list = {0};
    for (int i = 0; i < 20; i++)
        assert_int_equal(vx__events_push(&list, &e), VX_OK);
    assert_int_equal(list.count, 20);
    assert_ptr_not_equal(list.items[0].domain, e.domain);
    assert_ptr_not_equal(list.items[0].new_data, e.new_data);
    assert_string_equal(list.items[19].new_data[1], "203.0.113.67");
    assert_string_equal(list.items[19].server, "ns1.dns-a.net/192.0.2.1");
    assert_null(list.items[0].check);
    vx__event_clear(&list.items[3]);
    assert_null(list.items[3].domain);
    vx__events_clear(&list);
    assert_int_equal(list.count, 0);
    assert_null(list.items);
}

static void test_conditions_put_get(void **state)
{
    (void)state;
    vx__conditions c = {0};
    char key[64], detail[64];
    for (int i = 0; i < 12; i++) {
        snprintf(key, sizeof key, "down|ns%d.example.net/192.0.2.%d", i, i);
        snprintf(detail, sizeof detail, "{\"n\":%d}", i);
        vx__condition cond = {.key = key,
                              .opened_by = VX__EV_NS_DOWN,
                              .first_seen_ms = 1000u + (uint64_t)i,
                              .last_seen_ms = 2000,
                              .event_id = i,
                              .detail = detail};
        assert_int_equal(vx__conditions_put(&c, &cond), VX_OK);
    }
    assert_int_equal(c.count, 12);
    const vx__condition *g = vx__conditions_get(&c, "down|ns7.example.net/192.0.2.7");
    assert_non_null(g);
    assert_string_equal(g->detail, "{\"n\":7}");
    assert_int_equal(g->first_seen_ms, 1007);
    /* Same key replaces; the copy is independent of the caller's buffers. */
    vx__condition again = {
        .key = key, .opened_by = VX__EV_NS_DOWN, .last_seen_ms = 9, .detail = NULL};
    snprintf(key, sizeof key, "down|ns7.example.net/192.0.2.7");
    assert_int_equal(vx__conditions_put(&c, &again), VX_OK);
    key[0] = 'X';
    assert_int_equal(c.count, 12);
    g = vx__conditions_get(&c, "down|ns7.example.net/192.0.2.7");
    assert_non_null(g);
    assert_int_equal(g->last_seen_ms, 9);
    assert_null(g->detail);
    assert_null(vx__conditions_get(&c, "down|nope"));
    vx__condition bad = {0};
    assert_int_equal(vx__conditions_put(&c, &bad), VX_EINVAL);
    vx__conditions_clear(&c);
    assert_int_equal(c.count, 0);
}

static json_t *parse(const vx__event *e)
{
    char *text = vx__event_to_json(e);
    assert_non_null(text);
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    free(text);
    assert_non_null(j);
    return j;
}

static const char *const API_KEYS[] = {"id",     "type",       "severity",  "domain",
                                       "server", "name",       "rrtype",    "old",
                                       "new",    "first_seen", "last_seen", "message"};

static void assert_api_keys(json_t *j)
{
    size_t n = sizeof API_KEYS / sizeof API_KEYS[0];
    assert_int_equal(json_object_size(j), n);
    for (size_t i = 0; i < n; i++)
        assert_non_null(json_object_get(j, API_KEYS[i]));
}

static void test_json_record_event(void **state)
{
    (void)state;
    char *old_v[] = {"192.0.2.10"}, *new_v[] = {"203.0.113.66", "203.0.113.67"};
    vx__event e;
    sample(&e, old_v, new_v);
    json_t *j = parse(&e);
    assert_api_keys(j);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 42);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "RECORD-CHANGED");
    assert_string_equal(json_string_value(json_object_get(j, "severity")), "error");
    assert_string_equal(json_string_value(json_object_get(j, "domain")), "example.com");
    assert_string_equal(json_string_value(json_object_get(j, "server")), "ns1.dns-a.net/192.0.2.1");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "sip1.example.com");
    assert_string_equal(json_string_value(json_object_get(j, "rrtype")), "A");
    assert_int_equal(json_array_size(json_object_get(j, "old")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "new"), 1)),
                        "203.0.113.67");
    assert_string_equal(json_string_value(json_object_get(j, "first_seen")),
                        "2023-11-14T22:13:20.123Z");
    assert_string_equal(json_string_value(json_object_get(j, "last_seen")),
                        "2023-11-14T22:18:20.004Z");
    json_decref(j);
}

static void test_json_nulls_and_types(void **state)
{
    (void)state;
    vx__event e = {.type = VX__EV_NS_DOWN,
                   .severity = VX__SEV_ERROR,
                   .domain = "example.com",
                   .server = "ns2.dns-b.org/2001:db8:b::1",
                   .message = "down"};
    json_t *j = parse(&e);
    assert_api_keys(j);
    assert_true(json_is_null(json_object_get(j, "name")));
    assert_true(json_is_null(json_object_get(j, "rrtype")));
    assert_true(json_is_array(json_object_get(j, "old")));
    assert_int_equal(json_array_size(json_object_get(j, "new")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "first_seen")),
                        "1970-01-01T00:00:00.000Z");
    json_decref(j);

    e.type = VX__EV_FINDING_APPEARED;
    e.server = NULL;
    e.rrtype = 35;
    e.check = "NAPTR-INCOMPLETE";
    j = parse(&e);
    assert_api_keys(j);
    assert_true(json_is_null(json_object_get(j, "server")));
    assert_string_equal(json_string_value(json_object_get(j, "rrtype")), "NAPTR");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "FINDING-APPEARED");
    json_decref(j);
}

/* rdata from the network may hold bytes that are not UTF-8: the event survives. */
static void test_json_not_utf8(void **state)
{
    (void)state;
    char bad[] = "\"caf\xe9\"";
    char *new_v[] = {bad};
    vx__event e = {.type = VX__EV_RECORD_ADDED,
                   .severity = VX__SEV_ERROR,
                   .domain = "example.com",
                   .rrtype = 16,
                   .new_data = new_v,
                   .new_count = 1,
                   .message = "added"};
    json_t *j = parse(&e);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "new"), 0)),
                        "\"caf?\"");
    assert_string_equal(json_string_value(json_object_get(j, "rrtype")), "TXT");
    json_decref(j);
}

/* A domain's state: the worst of its findings and of what its open conditions say; a hijacked
 * delegation is an error even when no finding says so. */
static void test_domain_state(void **state)
{
    (void)state;
    size_t none[VX__SEV_COUNT] = {0}, notice[VX__SEV_COUNT] = {0};
    notice[VX__SEV_NOTICE] = 1;
    vx__conditions c = {0};
    assert_string_equal(vx__domain_state(notice, &c), "ok");
    static const struct {
        vx__event_type type;
        const char *state;
    } cases[] = {{VX__EV_DELEGATION_CHANGED, "error"},
                 {VX__EV_DS_REMOVED, "error"},
                 {VX__EV_DS_CHANGED, "error"},
                 {VX__EV_NS_ADDRESS_CHANGED, "error"},
                 {VX__EV_RECORD_CHANGED, "error"},
                 {VX__EV_SERVER_ADDED, "warning"},
                 {VX__EV_SERVER_REMOVED, "warning"},
                 {VX__EV_CAA_CHANGED, "warning"},
                 {VX__EV_ACME_CHALLENGE_APPEARED, "warning"},
                 {VX__EV_FINDING_APPEARED, "ok"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vx__condition cond = {.key = "k", .opened_by = cases[i].type, .detail = "{}"};
        assert_int_equal(vx__conditions_put(&c, &cond), VX_OK);
        assert_string_equal(vx__domain_state(none, &c), cases[i].state);
        vx__conditions_clear(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),           cmocka_unit_test(test_events_push_deep_copy),
        cmocka_unit_test(test_conditions_put_get),   cmocka_unit_test(test_json_record_event),
        cmocka_unit_test(test_json_nulls_and_types), cmocka_unit_test(test_json_not_utf8),
        cmocka_unit_test(test_domain_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
