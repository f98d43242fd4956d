/*
 * tests/unit/test_alert_worker.c — monitor/alert_worker.c with a command sink over a SQLite
 * store in a temporary directory: stored events are delivered once, in order; an event handed
 * over unstored (the store failing) is delivered at once, marked as not stored, and not again
 * once the store has it; one the daemon dropped is delivered once and forgotten.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <unistd.h>

#include "monitor/alert.h"
#include "monitor/alert_worker.h"
#include "monitor/config.h"
#include "store/store.h"
#include "voxdns/status.h"

typedef struct fx {
    char dir[64];
    char out[128];
    vx__monitor_config *cfg;
    vx__store *store;
    vx__alert_worker *w;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char yaml[1024], err[512];
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/voxdns-alertw-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->out, sizeof f->out, "%s/out", f->dir);
    snprintf(yaml, sizeof yaml,
             "store: sqlite:%s/voxdns.db\n"
             "domains:\n  - name: example.com\n"
             "alerts:\n  - {type: command, name: hook, min_severity: info,\n"
             "     command: \"printf '%%s ' $VOXDNS_STORED >> %s; cat >> %s; echo >> %s\"}\n",
             f->dir, f->out, f->out, f->out);
    if (vx__monitor_config_parse("test", yaml, strlen(yaml), &f->cfg, err, sizeof err) != VX_OK)
        fail_msg("config: %s", err);
    assert_int_equal(vx__store_open(f->cfg->store, &f->store, err, sizeof err), VX_OK);
    assert_int_equal(vx__store_register_sink(f->store, "hook", 1), VX_OK);
    assert_int_equal(vx__alert_worker_start(f->cfg, &f->w, err, sizeof err), VX_OK);
    *state = f;
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fx *f = *state;
    vx__alert_worker_stop(f->w);
    vx__store_close(f->store);
    vx__monitor_config_free(f->cfg);
    nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static vx__event event(const char *message)
{
    vx__event e = {.type = VX__EV_NS_DOWN, .severity = VX__SEV_ERROR};
    e.domain = "example.com";
    e.server = "ns1.example.net/192.0.2.1";
    e.message = (char *)message;
    e.first_seen_ms = e.last_seen_ms = 1000;
    return e;
}

/* Stores one event as a cycle of its own; returns its id. */
static int64_t store_event(fx *f, const vx__event *e, uint64_t t)
{
    vx__events evs = {0};
    assert_int_equal(vx__events_push(&evs, e), VX_OK);
    assert_int_equal(
        vx__store_commit_cycle(f->store, "example.com", "{}", t, &evs, NULL, NULL, 0, NULL), VX_OK);
    int64_t id = evs.items[0].id;
    vx__events_clear(&evs);
    assert_true(id > 0);
    return id;
}

/* "FLAG MESSAGE" per delivery, in order, into out (one string, lines joined by '|'). */
static void deliveries(const fx *f, char *out, size_t cap)
{
    char line[4096];
    size_t n = 0;
    out[0] = '\0';
    FILE *fp = fopen(f->out, "r");
    while (fp && fgets(line, sizeof line, fp)) {
        const char *msg = strstr(line, "\"message\":\"");
        const char *end = msg ? strchr(msg + 11, '"') : NULL;
        if (!msg || !end)
            continue;
        n += (size_t)snprintf(out + n, cap - n, "%s%c %.*s", n ? "|" : "", line[0],
                              (int)(end - msg - 11), msg + 11);
    }
    if (fp)
        fclose(fp);
}

static void test_stored_events_once_in_order(void **state)
{
    fx *f = *state;
    char got[1024];
    vx__event a = event("a"), b = event("b");
    store_event(f, &a, 1);
    store_event(f, &b, 2);
    vx__alert_worker_flush(f->w);
    vx__alert_worker_flush(f->w);
    deliveries(f, got, sizeof got);
    assert_string_equal(got, "1 a|1 b");
}

/* The store fails: delivered at once, marked; once stored (id known), not again — and the
 * store records the delivery, so a restart would not send it either. */
static void test_unstored_then_stored_is_not_repeated(void **state)
{
    fx *f = *state;
    char got[1024];
    vx__event a = event("early"), u = event("unstored"), c = event("later");
    store_event(f, &a, 1);
    vx__alert_worker_flush(f->w);
    assert_int_equal(vx__alert_worker_unstored(f->w, 1, &u), VX_OK);
    vx__alert_worker_flush(f->w);
    deliveries(f, got, sizeof got);
    assert_string_equal(got, "1 early|0 unstored");
    int64_t id = store_event(f, &u, 2);
    vx__alert_worker_stored(f->w, 1, id);
    store_event(f, &c, 3);
    vx__alert_worker_flush(f->w);
    vx__alert_worker_flush(f->w);
    deliveries(f, got, sizeof got);
    assert_string_equal(got, "1 early|0 unstored|1 later");
    vx__events left = {0};
    assert_int_equal(vx__store_undelivered(f->store, "hook", 10, &left), VX_OK);
    assert_int_equal(left.count, 0);
}

/* Stored before the worker got to it: it goes the store's way, once, marked as stored. */
static void test_stored_before_delivery_goes_the_store_way(void **state)
{
    fx *f = *state;
    char got[1024];
    vx__event u = event("quick");
    int64_t id = store_event(f, &u, 1);
    assert_int_equal(vx__alert_worker_unstored(f->w, 7, &u), VX_OK);
    vx__alert_worker_stored(f->w, 7, id);
    vx__alert_worker_flush(f->w);
    vx__alert_worker_flush(f->w);
    deliveries(f, got, sizeof got);
    assert_string_equal(got, "1 quick");
}

/* Dropped by the daemon (never to be stored): delivered once, then forgotten. */
static void test_dropped_is_delivered_once(void **state)
{
    fx *f = *state;
    char got[1024];
    vx__event u = event("dropped"), c = event("next");
    assert_int_equal(vx__alert_worker_unstored(f->w, 3, &u), VX_OK);
    vx__alert_worker_stored(f->w, 3, -1);
    vx__alert_worker_flush(f->w);
    store_event(f, &c, 1);
    vx__alert_worker_flush(f->w);
    vx__alert_worker_flush(f->w);
    deliveries(f, got, sizeof got);
    assert_string_equal(got, "0 dropped|1 next");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_stored_events_once_in_order),
        T(test_unstored_then_stored_is_not_repeated),
        T(test_stored_before_delivery_goes_the_store_way),
        T(test_dropped_is_delivered_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
