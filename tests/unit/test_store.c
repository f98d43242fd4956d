/*
 * tests/unit/test_store.c — the monitor's history (store/store.h): migrations at open, baselines,
 * cycles committed whole or not at all (ids, snapshot ids, conditions replaced), event lists,
 * domains, RTT samples, delivery bookkeeping, two handles writing at once, and kill -9 at random
 * moments while cycles are being committed.
 *
 * By default the suite runs on SQLite in a temporary directory. With VOXDNS_TEST_PG_URL set to a
 * libpq URI (tests/system/test_store_pg.py starts a throwaway server and does so) the same suite
 * runs on PostgreSQL instead, each test in a schema of its own; the SQLite-only tests (file,
 * settings, lock waiting) are then left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_impl.h"
#include "store/store_schema.h"
#include "voxdns/status.h"

/* ---- fixture: a fresh database per test ---------------------------------------------------- */

typedef struct fx {
    char dir[128];   /* SQLite: the temporary directory */
    char path[256];  /* SQLite: the database file */
    char schema[64]; /* PostgreSQL: this test's schema */
    char url[1024];  /* what vx__store_open is given */
} fx;

#define SCHEMA_VERSION 5 /* the migrations the backends list */

static const char *pg_base(void)
{
    const char *u = getenv("VOXDNS_TEST_PG_URL");
    return u && *u ? u : NULL;
}

static bool on_pg(void)
{
    return pg_base() != NULL;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(pg_base());
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQsetNoticeProcessor(c, quiet, NULL); /* DROP SCHEMA ... CASCADE lists every table */
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int setup(void **state)
{
    static unsigned counter;
    fx *f = calloc(1, sizeof *f);

    assert_non_null(f);
    if (on_pg()) {
        char sql[128];
        snprintf(f->schema, sizeof f->schema, "t_%ld_%u", (long)getpid(), ++counter);
        snprintf(sql, sizeof sql, "CREATE SCHEMA %s", f->schema);
        pg_admin(sql);
        snprintf(f->url, sizeof f->url, "%s%coptions=-csearch_path%%3D%s", pg_base(),
                 strchr(pg_base(), '?') ? '&' : '?', f->schema);
    } else {
        snprintf(f->dir, sizeof f->dir, "/tmp/voxdns-store-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        /* A directory that does not exist yet: the store makes it. */
        snprintf(f->path, sizeof f->path, "%s/lib/voxdns/history.db", f->dir);
        snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    }
    *state = f;
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fx *f = *state;

    if (on_pg()) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", f->schema);
        pg_admin(sql);
    } else {
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    free(f);
    return 0;
}

static vx__store *open_ok(const fx *f)
{
    vx__store *s = NULL;
    char err[512];

    int rc = vx__store_open(f->url, &s, err, sizeof err);
    if (rc != VX_OK)
        fail_msg("open %s: %s", f->url, err);
    return s;
}

/* ---- raw access, to look behind the interface ---------------------------------------------- */

static int64_t raw_int(const fx *f, const char *sql)
{
    int64_t v = -1;

    if (on_pg()) {
        PGconn *c = PQconnectdb(f->url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return v;
    }
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void raw_exec(const fx *f, const char *sql)
{
    if (on_pg()) {
        PGconn *c = PQconnectdb(f->url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- building blocks ----------------------------------------------------------------------- */

static char *OLD_A[] = {"192.0.2.10"};
static char *NEW_A[] = {"203.0.113.66", "203.0.113.67"};

static vx__event change_event(const char *message, uint64_t first_seen_ms)
{
    vx__event e = {
        .type = VX__EV_RECORD_CHANGED,
        .severity = VX__SEV_ERROR,
        .domain = "a.example",
        .server = "ns1.dns-a.net/192.0.2.1",
        .name = "sip.a.example",
        .rrtype = 1,
        .old_data = OLD_A,
        .old_count = 1,
        .new_data = NEW_A,
        .new_count = 2,
        .old_ttl = 300,
        .new_ttl = 60,
        .message = (char *)message,
        .first_seen_ms = first_seen_ms,
        .last_seen_ms = first_seen_ms + 5,
    };
    return e;
}

static vx__event finding_event(const char *message, uint64_t first_seen_ms)
{
    vx__event e = {
        .type = VX__EV_FINDING_APPEARED,
        .severity = VX__SEV_WARNING,
        .check = "NS-SINGLE-PROVIDER",
        .message = (char *)message,
        .first_seen_ms = first_seen_ms,
        .last_seen_ms = first_seen_ms,
    };
    return e;
}

static void put_cond(vx__conditions *c, const char *key, const char *detail, int64_t event_id)
{
    vx__condition cond = {
        .key = (char *)key,
        .opened_by = VX__EV_NS_DOWN,
        .first_seen_ms = 1000,
        .last_seen_ms = 2000,
        .event_id = event_id,
        .detail = (char *)detail,
    };
    assert_int_equal(vx__conditions_put(c, &cond), VX_OK);
}

/* Commits a cycle of the given events (copied), no conditions unless given. */
static int commit(vx__store *s, const char *domain, const char *json, uint64_t t,
                  const vx__event *evs, size_t n, const vx__conditions *conds, vx__events *out)
{
    vx__store_rtt_sample sample = {"ns1.dns-a.net/192.0.2.1", 12.5, t};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(vx__events_push(out, &evs[i]), VX_OK);
    return vx__store_commit_cycle(s, domain, json, t, out, conds, &sample, 1, NULL);
}

/* ---- open, URLs, migrations ---------------------------------------------------------------- */

static void test_open_migrate_reopen(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);

    assert_string_equal(vx__store_backend(s), on_pg() ? "postgresql" : "sqlite");
    vx__store_close(s);
    assert_int_equal(raw_int(f, "SELECT max(version) FROM schema_version"), SCHEMA_VERSION);
    s = open_ok(f);
    vx__store_close(s);
    s = open_ok(f);
    vx__store_close(s);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM schema_version"), SCHEMA_VERSION);
    assert_int_equal(raw_int(f, "SELECT max(version) FROM schema_version"), SCHEMA_VERSION);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM events"), 0);
}

/* A store written by the first schema: its deliveries become the sinks' cursors. */
static void test_migration_from_v1_keeps_deliveries(void **state)
{
    fx *f = *state;
    char sql[8192];
    if (!on_pg()) { /* the directory the store would make */
        snprintf(sql, sizeof sql, "%s/lib", f->dir);
        assert_int_equal(mkdir(sql, 0700), 0);
        snprintf(sql, sizeof sql, "%s/lib/voxdns", f->dir);
        assert_int_equal(mkdir(sql, 0700), 0);
    }
    snprintf(sql, sizeof sql, "%s;%s", VX__STORE_SCHEMA_VERSION_TABLE,
             on_pg() ? VX__STORE_SCHEMA_V1("BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION")
                     : VX__STORE_SCHEMA_V1("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"));
    raw_exec(f, sql);
    raw_exec(f, "INSERT INTO schema_version (version, applied_ms) VALUES (1, 0);"
                "INSERT INTO domains (name) VALUES ('a.example');"
                "INSERT INTO snapshots (domain_id, time_ms, json) VALUES (1, 1, '{}');");
    for (int i = 1; i <= 3; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO events (domain_id, type, severity, rrtype, old_json, new_json,"
                 " old_ttl, new_ttl, message, first_seen_ms, last_seen_ms, snapshot_id)"
                 " VALUES (1, 'NS-DOWN', 'error', 0, '[]', '[]', 0, 0, 'e%d', %d, %d, 1)",
                 i, i, i);
        raw_exec(f, sql);
    }
    raw_exec(f, "INSERT INTO deliveries (sink, event_id, delivered_ms) VALUES ('log', 1, 10);"
                "INSERT INTO deliveries (sink, event_id, delivered_ms) VALUES ('log', 2, 20)");
    vx__store *s = open_ok(f);
    vx__events got = {0};
    assert_int_equal(vx__store_undelivered(s, "log", 0, &got), VX_OK);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.items[0].message, "e3");
    vx__events_clear(&got);
    vx__store_close(s);
    assert_int_equal(raw_int(f, "SELECT max(version) FROM schema_version"), SCHEMA_VERSION);
}

static void test_newer_schema_refused(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    char err[512];

    vx__store_close(s);
    raw_exec(f, "INSERT INTO schema_version (version, applied_ms) VALUES (99, 0)");
    s = (vx__store *)1;
    assert_int_equal(vx__store_open(f->url, &s, err, sizeof err), VX_EIO);
    assert_null(s);
    assert_non_null(strstr(err, "version 99 is newer"));
}

static void test_bad_urls(void **state)
{
    vx__store *s = NULL;
    char err[512];

    (void)state;
    assert_int_equal(vx__store_open("mysql://db/voxdns", &s, err, sizeof err), VX_EINVAL);
    assert_non_null(strstr(err, "unsupported store URL scheme \"mysql\""));
    assert_int_equal(vx__store_open("", &s, err, sizeof err), VX_EINVAL);
    assert_non_null(strstr(err, "empty store URL"));
    assert_int_equal(vx__store_open(NULL, &s, err, sizeof err), VX_EINVAL);
    assert_int_equal(vx__store_open("sqlite:", &s, err, sizeof err), VX_EINVAL);
    assert_non_null(strstr(err, "names no database file"));
    assert_int_equal(vx__store_open("http://x/y", &s, NULL, 0), VX_EINVAL);
    assert_null(s);
    /* A server that is not there: the database's own words. */
    assert_int_equal(
        vx__store_open("postgresql:///x?host=/nonexistent-voxdns-dir&connect_timeout=2", &s, err,
                       sizeof err),
        VX_EIO);
    assert_non_null(strstr(err, "postgresql: cannot connect"));
    assert_null(strchr(err, '\n'));
}

/* ---- baselines ----------------------------------------------------------------------------- */

static void test_baseline(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    char *json = (char *)"x";
    uint64_t ms = 7;

    assert_int_equal(vx__store_get_baseline(s, "a.example", &json, &ms), VX_OK);
    assert_null(json);
    assert_int_equal(ms, 0);
    assert_int_equal(vx__store_set_baseline(s, "a.example", "{\"v\":1}", 1000), VX_OK);
    assert_int_equal(vx__store_set_baseline(s, "b.example", "{\"v\":\"b\"}", 1500), VX_OK);
    assert_int_equal(vx__store_get_baseline(s, "a.example", &json, &ms), VX_OK);
    assert_string_equal(json, "{\"v\":1}");
    assert_int_equal(ms, 1000);
    free(json);
    assert_int_equal(vx__store_set_baseline(s, "a.example", "{\"v\":2}", 2000), VX_OK);
    assert_int_equal(vx__store_get_baseline(s, "a.example", &json, &ms), VX_OK);
    assert_string_equal(json, "{\"v\":2}");
    assert_int_equal(ms, 2000);
    free(json);
    assert_int_equal(vx__store_get_baseline(s, "b.example", &json, NULL), VX_OK);
    assert_string_equal(json, "{\"v\":\"b\"}");
    free(json);
    assert_int_equal(vx__store_set_baseline(s, "", "{}", 1), VX_EINVAL);
    assert_int_equal(vx__store_set_baseline(s, "a.example", NULL, 1), VX_EINVAL);
    vx__store_close(s);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM baselines"), 2);
}

/* The monitor's zone copies: the first copy of a provider is its baseline, later ones replace
 * only the held copy, and accepting the domain's baseline accepts the held copies. */
static void test_zone_copies(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__store_zone *z = NULL;
    size_t n = 9;
    assert_int_equal(vx__store_get_zones(s, "z.example", &z, &n), VX_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vx__store_put_zone(s, "z.example", "prov-b", "{\"b\":1}", 100), VX_OK);
    assert_int_equal(vx__store_put_zone(s, "z.example", "prov-a", "{\"a\":1}", 100), VX_OK);
    assert_int_equal(vx__store_put_zone(s, "z.example", "prov-a", "{\"a\":2}", 200), VX_OK);
    assert_int_equal(vx__store_put_zone(s, "other.example", "prov-a", "{}", 50), VX_OK);
    assert_int_equal(vx__store_get_zones(s, "z.example", &z, &n), VX_OK);
    assert_int_equal(n, 2);
    assert_string_equal(z[0].provider, "prov-a"); /* by provider */
    assert_string_equal(z[0].held, "{\"a\":2}");
    assert_int_equal(z[0].held_ms, 200);
    assert_string_equal(z[0].baseline, "{\"a\":1}");
    assert_int_equal(z[0].accepted_ms, 100);
    assert_string_equal(z[1].baseline, "{\"b\":1}");
    vx__store_zones_free(z, n);
    assert_int_equal(vx__store_set_baseline(s, "z.example", "{}", 300), VX_OK);
    assert_int_equal(vx__store_get_zones(s, "z.example", &z, &n), VX_OK);
    assert_string_equal(z[0].baseline, "{\"a\":2}");
    assert_int_equal(z[0].accepted_ms, 300);
    vx__store_zones_free(z, n);
    assert_int_equal(vx__store_get_zones(s, "other.example", &z, &n), VX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(z[0].accepted_ms, 50); /* another domain's accept does not touch it */
    vx__store_zones_free(z, n);
    assert_int_equal(vx__store_put_zone(s, "", "p", "{}", 1), VX_EINVAL);
    assert_int_equal(vx__store_put_zone(s, "z.example", "p", NULL, 1), VX_EINVAL);
    vx__store_close(s);
}

/* ---- cycles -------------------------------------------------------------------------------- */

static void test_cycle_ids(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__event evs[] = {change_event("one", 1000), finding_event("two", 1000),
                       change_event("three", 1000)};
    vx__events c1 = {0}, c2 = {0};
    char *json;
    int64_t sid;

    assert_int_equal(vx__store_latest_snapshot(s, "a.example", &json, &sid), VX_OK);
    assert_null(json);
    assert_int_equal(commit(s, "a.example", "{\"cycle\":1}", 1000, evs, 2, NULL, &c1), VX_OK);
    assert_int_equal(commit(s, "a.example", "{\"cycle\":2}", 2000, evs, 3, NULL, &c2), VX_OK);
    assert_true(c1.items[0].id > 0);
    assert_int_equal(c1.items[1].id, c1.items[0].id + 1);
    assert_true(c2.items[0].id > c1.items[1].id);
    assert_int_equal(c2.items[1].id, c2.items[0].id + 1);
    assert_int_equal(c2.items[2].id, c2.items[1].id + 1);
    assert_true(c1.items[0].snapshot_id > 0);
    assert_int_equal(c1.items[1].snapshot_id, c1.items[0].snapshot_id);
    assert_true(c2.items[0].snapshot_id > c1.items[0].snapshot_id);
    assert_int_equal(c2.items[2].snapshot_id, c2.items[0].snapshot_id);

    assert_int_equal(vx__store_latest_snapshot(s, "a.example", &json, &sid), VX_OK);
    assert_string_equal(json, "{\"cycle\":2}");
    assert_int_equal(sid, c2.items[0].snapshot_id);
    free(json);
    /* A cycle without events still stores its snapshot. */
    assert_int_equal(commit(s, "a.example", "{\"cycle\":3}", 3000, NULL, 0, NULL, &c1), VX_OK);
    assert_int_equal(vx__store_latest_snapshot(s, "a.example", &json, &sid), VX_OK);
    assert_string_equal(json, "{\"cycle\":3}");
    assert_true(sid > c2.items[0].snapshot_id);
    free(json);
    assert_int_equal(vx__store_commit_cycle(s, NULL, "{}", 1, NULL, NULL, NULL, 0, NULL),
                     VX_EINVAL);
    assert_int_equal(vx__store_commit_cycle(s, "a.example", NULL, 1, NULL, NULL, NULL, 0, NULL),
                     VX_EINVAL);
    vx__events_clear(&c1);
    vx__events_clear(&c2);
    vx__store_close(s);
}

static void assert_conds(vx__store *s, const char *domain, const char *const *keys, size_t n)
{
    vx__conditions got = {0};

    assert_int_equal(vx__store_get_conditions(s, domain, &got), VX_OK);
    assert_int_equal(got.count, n);
    for (size_t i = 0; i < n; i++)
        assert_non_null(vx__conditions_get(&got, keys[i]));
    vx__conditions_clear(&got);
}

static void test_conditions_replaced(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__conditions c1 = {0}, c2 = {0}, other = {0}, got = {0};
    vx__events evs = {0};

    put_cond(&c1, "down|ns1/192.0.2.1", "{\"a\":1}", 0);
    put_cond(&c1, "down|ns2/192.0.2.2", NULL, 0);
    put_cond(&c2, "down|ns2/192.0.2.2", "{\"b\":2}", 17);
    put_cond(&c2, "lag|ns3/192.0.2.3", "{}", 18);
    put_cond(&other, "resolver|192.0.2.99", NULL, 0);
    assert_int_equal(commit(s, "b.example", "{}", 500, NULL, 0, &other, &evs), VX_OK);
    assert_int_equal(commit(s, "a.example", "{}", 1000, NULL, 0, &c1, &evs), VX_OK);
    assert_conds(s, "a.example", (const char *[]){"down|ns1/192.0.2.1", "down|ns2/192.0.2.2"}, 2);
    assert_int_equal(commit(s, "a.example", "{}", 2000, NULL, 0, &c2, &evs), VX_OK);
    assert_conds(s, "a.example", (const char *[]){"down|ns2/192.0.2.2", "lag|ns3/192.0.2.3"}, 2);
    assert_conds(s, "b.example", (const char *[]){"resolver|192.0.2.99"}, 1);

    assert_int_equal(vx__store_get_conditions(s, "a.example", &got), VX_OK);
    const vx__condition *c = vx__conditions_get(&got, "down|ns2/192.0.2.2");
    assert_int_equal(c->opened_by, VX__EV_NS_DOWN);
    assert_int_equal(c->first_seen_ms, 1000);
    assert_int_equal(c->last_seen_ms, 2000);
    assert_int_equal(c->event_id, 17);
    assert_string_equal(c->detail, "{\"b\":2}");
    vx__conditions_clear(&got);
    /* Nothing open any more; unknown domains have none. */
    assert_int_equal(commit(s, "a.example", "{}", 3000, NULL, 0, NULL, &evs), VX_OK);
    assert_conds(s, "a.example", NULL, 0);
    assert_conds(s, "nowhere.example", NULL, 0);
    vx__conditions_clear(&c1);
    vx__conditions_clear(&c2);
    vx__conditions_clear(&other);
    vx__events_clear(&evs);
    vx__store_close(s);
}

/* A unique-key violation half-way through (after the snapshot and events were inserted) must
 * leave nothing of the cycle behind, and the caller's events untouched. */
static void test_failed_commit_rolls_back(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__event evs[] = {change_event("one", 1000), finding_event("two", 1000)};
    vx__conditions ok = {0};
    vx__events c1 = {0}, c2 = {0}, c3 = {0}, all = {0};
    char *json;
    int64_t sid;

    put_cond(&ok, "down|ns1/192.0.2.1", NULL, 0);
    assert_int_equal(commit(s, "a.example", "{\"cycle\":1}", 1000, evs, 2, &ok, &c1), VX_OK);
    vx__condition twice[] = {{.key = "dup", .opened_by = VX__EV_NS_DOWN},
                             {.key = "dup", .opened_by = VX__EV_NS_DOWN}};
    vx__conditions bad = {.items = twice, .count = 2, .cap = 2};
    assert_int_equal(commit(s, "a.example", "{\"cycle\":2}", 2000, evs, 2, &bad, &c2), VX_EIO);
    assert_true(strlen(vx__store_last_error(s)) > 0);
    assert_int_equal(c2.items[0].id, 0);
    assert_int_equal(c2.items[1].snapshot_id, 0);

    assert_int_equal(vx__store_latest_snapshot(s, "a.example", &json, &sid), VX_OK);
    assert_string_equal(json, "{\"cycle\":1}");
    assert_int_equal(sid, c1.items[0].snapshot_id);
    free(json);
    assert_int_equal(vx__store_events_since(s, NULL, 0, 0, &all), VX_OK);
    assert_int_equal(all.count, 2);
    assert_conds(s, "a.example", (const char *[]){"down|ns1/192.0.2.1"}, 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM rtt_samples"), 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM snapshots"), 1);

    /* The handle still works; SQLite gives the rolled-back ids again, PostgreSQL's sequences
     * may skip them, both keep increasing. */
    assert_int_equal(commit(s, "a.example", "{\"cycle\":3}", 3000, evs, 1, NULL, &c3), VX_OK);
    assert_true(c3.items[0].id > c1.items[1].id);
    if (!on_pg())
        assert_int_equal(c3.items[0].id, c1.items[1].id + 1);
    vx__conditions_clear(&ok);
    vx__events_clear(&c1);
    vx__events_clear(&c2);
    vx__events_clear(&c3);
    vx__events_clear(&all);
    vx__store_close(s);
}

/* ---- event lists --------------------------------------------------------------------------- */

static void assert_event_round_trip(const vx__event *got, const vx__event *want, const char *dom)
{
    assert_int_equal(got->type, want->type);
    assert_int_equal(got->severity, want->severity);
    assert_string_equal(got->domain, dom);
    if (want->server)
        assert_string_equal(got->server, want->server);
    else
        assert_null(got->server);
    if (want->check)
        assert_string_equal(got->check, want->check);
    else
        assert_null(got->check);
    assert_int_equal(got->rrtype, want->rrtype);
    assert_int_equal(got->old_count, want->old_count);
    assert_int_equal(got->new_count, want->new_count);
    for (size_t i = 0; i < want->new_count; i++)
        assert_string_equal(got->new_data[i], want->new_data[i]);
    for (size_t i = 0; i < want->old_count; i++)
        assert_string_equal(got->old_data[i], want->old_data[i]);
    assert_int_equal(got->old_ttl, want->old_ttl);
    assert_int_equal(got->new_ttl, want->new_ttl);
    assert_string_equal(got->message, want->message);
    assert_int_equal(got->first_seen_ms, want->first_seen_ms);
    assert_int_equal(got->last_seen_ms, want->last_seen_ms);
}

static void test_event_queries(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__event a[] = {change_event("a1", 1000), finding_event("a2", 1001)};
    vx__event b[] = {change_event("b1 closes an old change", 500)};
    vx__events ca = {0}, cb = {0}, got = {0};

    b[0].type = VX__EV_CHANGE_REVERTED;
    b[0].server = NULL;
    b[0].old_count = 0; /* an empty list survives as empty */
    assert_int_equal(commit(s, "a.example", "{}", 1000, a, 2, NULL, &ca), VX_OK);
    assert_int_equal(commit(s, "b.example", "{}", 2000, b, 1, NULL, &cb), VX_OK);

    assert_int_equal(vx__store_events_since(s, NULL, 0, 0, &got), VX_OK);
    assert_int_equal(got.count, 3);
    assert_event_round_trip(&got.items[0], &a[0], "a.example");
    assert_event_round_trip(&got.items[1], &a[1], "a.example");
    assert_event_round_trip(&got.items[2], &b[0], "b.example");
    assert_int_equal(got.items[0].id, ca.items[0].id);
    assert_int_equal(got.items[2].id, cb.items[0].id);
    assert_int_equal(got.items[2].snapshot_id, cb.items[0].snapshot_id);
    assert_null(got.items[2].old_data);
    vx__events_clear(&got);

    assert_int_equal(vx__store_events_since(s, NULL, ca.items[0].id, 0, &got), VX_OK);
    assert_int_equal(got.count, 2);
    assert_string_equal(got.items[0].message, "a2");
    /* Lists are appended to. */
    assert_int_equal(vx__store_events_since(s, NULL, ca.items[0].id, 1, &got), VX_OK);
    assert_int_equal(got.count, 3);
    assert_string_equal(got.items[2].message, "a2");
    vx__events_clear(&got);
    assert_int_equal(vx__store_events_since(s, "b.example", 0, 10, &got), VX_OK);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.items[0].message, "b1 closes an old change");
    vx__events_clear(&got);
    assert_int_equal(vx__store_events_since(s, "nowhere.example", 0, 10, &got), VX_OK);
    assert_int_equal(got.count, 0);
    assert_int_equal(vx__store_events_since(s, NULL, cb.items[0].id, 10, &got), VX_OK);
    assert_int_equal(got.count, 0);

    /* By time: first_seen, oldest first (the closing event began before the others). */
    assert_int_equal(vx__store_events_since_time(s, NULL, 0, 0, &got), VX_OK);
    assert_int_equal(got.count, 3);
    assert_string_equal(got.items[0].message, "b1 closes an old change");
    assert_string_equal(got.items[1].message, "a1");
    vx__events_clear(&got);
    assert_int_equal(vx__store_events_since_time(s, NULL, 1000, 0, &got), VX_OK);
    assert_int_equal(got.count, 2);
    vx__events_clear(&got);
    assert_int_equal(vx__store_events_since_time(s, NULL, 1001, 0, &got), VX_OK);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.items[0].message, "a2");
    vx__events_clear(&got);
    assert_int_equal(vx__store_events_since_time(s, "a.example", 0, 1, &got), VX_OK);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.items[0].message, "a1");
    vx__events_clear(&got);
    assert_int_equal(vx__store_events_since_time(s, "b.example", 501, 0, &got), VX_OK);
    assert_int_equal(got.count, 0);

    vx__events_clear(&ca);
    vx__events_clear(&cb);
    vx__store_close(s);
}

static void test_domains(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__events evs = {0};
    char **names;
    size_t n;

    assert_int_equal(vx__store_domains(s, &names, &n), VX_OK);
    assert_int_equal(n, 0);
    free(names);
    assert_int_equal(vx__store_set_baseline(s, "zeta.example", "{}", 1), VX_OK);
    assert_int_equal(commit(s, "Alpha.example", "{}", 1, NULL, 0, NULL, &evs), VX_OK);
    assert_int_equal(commit(s, "beta.example", "{}", 1, NULL, 0, NULL, &evs), VX_OK);
    assert_int_equal(commit(s, "beta.example", "{}", 2, NULL, 0, NULL, &evs), VX_OK);
    assert_int_equal(vx__store_domains(s, &names, &n), VX_OK);
    assert_int_equal(n, 3);
    /* Bytewise, whatever the database's collation. */
    assert_string_equal(names[0], "Alpha.example");
    assert_string_equal(names[1], "beta.example");
    assert_string_equal(names[2], "zeta.example");
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    vx__events_clear(&evs);
    vx__store_close(s);
}

/* Summaries: written with a full cycle, touched by quiet cycles' RTT batches, listed with
 * every domain (none for a domain without one). */
static void test_summaries_and_quiet_batches(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__store_summary sum = {.state = "warning", .findings = {1, 2, 3, 0, 0}, .open_conditions = 2};
    vx__store_rtt_sample one = {"ns1/192.0.2.1", 5, 1000};
    assert_int_equal(vx__store_commit_cycle(s, "b.example", "{}", 1000, NULL, NULL, &one, 1, &sum),
                     VX_OK);
    assert_int_equal(vx__store_commit_cycle(s, "a.example", "{}", 1000, NULL, NULL, NULL, 0, NULL),
                     VX_OK);
    vx__store_summary bad = {.state = NULL};
    assert_int_equal(vx__store_commit_cycle(s, "b.example", "{}", 1, NULL, NULL, NULL, 0, &bad),
                     VX_EINVAL);
    vx__store_rtt_row batch[] = {{"b.example", {"ns1/192.0.2.1", 6, 2000}},
                                 {"b.example", {"ns2/192.0.2.2", 7, 2000}},
                                 {"a.example", {"ns1/192.0.2.1", 8, 2000}},
                                 {"unknown.example", {"ns1/192.0.2.1", 9, 2000}}};
    assert_int_equal(vx__store_add_rtt_samples(s, batch, 4), VX_OK);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM rtt_samples"), 4); /* 1 + 3 known */
    vx__store_summary_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(vx__store_summaries(s, &rows, &n), VX_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].domain, "a.example");
    assert_false(rows[0].has_summary);
    assert_string_equal(rows[1].domain, "b.example");
    assert_true(rows[1].has_summary);
    assert_string_equal(rows[1].state, "warning");
    assert_int_equal(rows[1].findings[2], 3);
    assert_int_equal(rows[1].findings[4], 0);
    assert_int_equal(rows[1].open_conditions, 2);
    assert_int_equal(rows[1].audited_ms, 1000);
    assert_int_equal(rows[1].cycle_ms, 2000); /* the quiet cycle */
    vx__store_summary_rows_free(rows, n);
    vx__store_close(s);
}

/* Only snapshots that events point at, and the latest, are kept. */
static void test_snapshots_kept_as_evidence(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__event ev[] = {change_event("e1", 1)};
    vx__events c = {0};
    assert_int_equal(commit(s, "a.example", "{\"n\":1}", 1000, ev, 1, NULL, &c), VX_OK);
    assert_int_equal(commit(s, "a.example", "{\"n\":2}", 2000, NULL, 0, NULL, NULL), VX_OK);
    assert_int_equal(commit(s, "b.example", "{\"n\":9}", 2500, NULL, 0, NULL, NULL), VX_OK);
    assert_int_equal(commit(s, "a.example", "{\"n\":3}", 3000, NULL, 0, NULL, NULL), VX_OK);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM snapshots"), 3); /* n=1, n=3, n=9 */
    assert_int_equal(raw_int(f, "SELECT count(*) FROM snapshots WHERE time_ms = 2000"), 0);
    char *json = NULL;
    int64_t id = 0;
    assert_int_equal(vx__store_latest_snapshot(s, "a.example", &json, &id), VX_OK);
    assert_string_equal(json, "{\"n\":3}");
    free(json);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM events e JOIN snapshots s"
                                " ON s.id = e.snapshot_id"),
                     1);
    vx__events_clear(&c);
    vx__store_close(s);
}

static void test_prune_rtt(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__store_rtt_row rows[5];
    for (int i = 0; i < 5; i++)
        rows[i] =
            (vx__store_rtt_row){"a.example", {"ns1/192.0.2.1", 1, (uint64_t)(1000 * (i + 1))}};
    assert_int_equal(commit(s, "a.example", "{}", 500, NULL, 0, NULL, NULL), VX_OK); /* 1 at 500 */
    assert_int_equal(vx__store_add_rtt_samples(s, rows, 5), VX_OK); /* 1000 .. 5000 */
    assert_int_equal(vx__store_prune_rtt(s, 3500, 2), VX_OK);       /* the two oldest: 500, 1000 */
    assert_int_equal(raw_int(f, "SELECT min(time_ms) FROM rtt_samples"), 2000);
    assert_int_equal(vx__store_prune_rtt(s, 3500, 100), VX_OK);
    assert_int_equal(raw_int(f, "SELECT min(time_ms) FROM rtt_samples"), 4000);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM rtt_samples"), 2);
    assert_int_equal(vx__store_prune_rtt(s, 3500, 0), VX_EINVAL);
    vx__store_close(s);
}

static void test_rtt(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__store_rtt_sample c1[] = {{"ns1/192.0.2.1", 12.25, 1000}, {"ns2/192.0.2.2", -1, 1000}};
    vx__store_rtt_sample c2[] = {{"ns1/192.0.2.1", 14.5, 2000}};
    vx__store_rtt_sample other[] = {{"ns9/198.51.100.9", 3, 1500}};
    vx__rtt_row *rows;
    size_t n;

    assert_int_equal(vx__store_commit_cycle(s, "a.example", "{}", 1000, NULL, NULL, c1, 2, NULL),
                     VX_OK);
    assert_int_equal(vx__store_commit_cycle(s, "b.example", "{}", 1500, NULL, NULL, other, 1, NULL),
                     VX_OK);
    assert_int_equal(vx__store_commit_cycle(s, "a.example", "{}", 2000, NULL, NULL, c2, 1, NULL),
                     VX_OK);
    assert_int_equal(vx__store_rtt_since(s, "a.example", 0, &rows, &n), VX_OK);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].server, "ns1/192.0.2.1");
    assert_true(rows[0].rtt_ms == 12.25);
    assert_int_equal(rows[0].time_ms, 1000);
    assert_string_equal(rows[1].server, "ns2/192.0.2.2");
    assert_true(rows[1].rtt_ms < 0);
    assert_true(rows[2].rtt_ms == 14.5);
    assert_int_equal(rows[2].time_ms, 2000);
    vx__rtt_rows_free(rows, n);
    assert_int_equal(vx__store_rtt_since(s, "a.example", 1001, &rows, &n), VX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].time_ms, 2000);
    vx__rtt_rows_free(rows, n);
    assert_int_equal(vx__store_rtt_since(s, "nowhere.example", 0, &rows, &n), VX_OK);
    assert_int_equal(n, 0);
    vx__rtt_rows_free(rows, n);
    vx__store_close(s);
}

static void test_deliveries(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__event evs[] = {change_event("e1", 1), change_event("e2", 1), finding_event("e3", 2)};
    vx__events c = {0}, got = {0};

    assert_int_equal(vx__store_register_sink(s, "log", 100), VX_OK); /* before any event */
    assert_int_equal(commit(s, "a.example", "{}", 1000, evs, 3, NULL, &c), VX_OK);
    assert_int_equal(vx__store_undelivered(s, "log", 0, &got), VX_OK);
    assert_int_equal(got.count, 3);
    vx__events_clear(&got);
    assert_int_equal(vx__store_mark_delivered(s, "log", c.items[0].id, 5000), VX_OK);
    assert_int_equal(vx__store_mark_delivered(s, "log", c.items[1].id, 5000), VX_OK);
    assert_int_equal(vx__store_mark_delivered(s, "log", c.items[1].id, 6000), VX_OK);
    assert_int_equal(vx__store_mark_delivered(s, "log", c.items[0].id, 7000), VX_OK); /* stale */
    assert_int_equal(vx__store_mark_delivered(s, "webhook", c.items[1].id, 5000), VX_OK);
    assert_int_equal(vx__store_mark_delivered(s, "log", 999999, 5000), VX_ENOTFOUND);
    assert_int_equal(vx__store_mark_delivered(s, "", c.items[0].id, 5000), VX_EINVAL);
    assert_int_equal(vx__store_register_sink(s, "log", 8000), VX_OK); /* known: unchanged */

    assert_int_equal(vx__store_undelivered(s, "log", 0, &got), VX_OK);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.items[0].message, "e3");
    assert_int_equal(got.items[0].id, c.items[2].id);
    vx__events_clear(&got);
    /* Marking e2 marks e1 too: deliveries go in id order. */
    assert_int_equal(vx__store_undelivered(s, "webhook", 0, &got), VX_OK);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.items[0].message, "e3");
    vx__events_clear(&got);
    /* Never seen: everything, in order. */
    assert_int_equal(vx__store_undelivered(s, "command", 1, &got), VX_OK);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.items[0].message, "e1");
    vx__events_clear(&got);
    /* Registered now: only what comes after. */
    assert_int_equal(vx__store_register_sink(s, "pager", 9000), VX_OK);
    assert_int_equal(vx__store_undelivered(s, "pager", 0, &got), VX_OK);
    assert_int_equal(got.count, 0);
    vx__event more[] = {change_event("e4", 1)};
    vx__events c2 = {0};
    assert_int_equal(commit(s, "a.example", "{}", 2000, more, 1, NULL, &c2), VX_OK);
    assert_int_equal(vx__store_undelivered(s, "pager", 0, &got), VX_OK);
    assert_int_equal(got.count, 1);
    assert_string_equal(got.items[0].message, "e4");
    vx__events_clear(&got);
    vx__events_clear(&c2);
    assert_int_equal(vx__store_register_sink(s, "", 1), VX_EINVAL);
    vx__events_clear(&c);
    vx__store_close(s);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM deliveries"), 3);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM sink_cursors"), 3);
}

/* ---- two handles at once ------------------------------------------------------------------- */

typedef struct writer {
    const char *url;
    bool cycles; /* commit cycles, or set baselines */
    int failures;
    char err[512];
} writer;

#define WRITES 40

static void *write_loop(void *arg)
{
    writer *w = arg;
    vx__store *s = NULL;

    if (vx__store_open(w->url, &s, w->err, sizeof w->err) != VX_OK) {
        w->failures = WRITES;
        return NULL;
    }
    for (int i = 0; i < WRITES; i++) {
        vx__event e = change_event("concurrent", (uint64_t)i);
        vx__events evs = {0};
        int rc = vx__events_push(&evs, &e);
        if (rc == VX_OK && w->cycles)
            rc = vx__store_commit_cycle(s, "a.example", "{}", (uint64_t)i, &evs, NULL, NULL, 0,
                                        NULL);
        else if (rc == VX_OK)
            rc = vx__store_set_baseline(s, "a.example", "{\"b\":1}", (uint64_t)i);
        if (rc != VX_OK) {
            w->failures++;
            snprintf(w->err, sizeof w->err, "%s", vx__store_last_error(s));
        }
        vx__events_clear(&evs);
    }
    vx__store_close(s);
    return NULL;
}

static void test_two_handles(void **state)
{
    fx *f = *state;
    writer a = {.url = f->url, .cycles = true}, b = {.url = f->url, .cycles = false};
    pthread_t ta, tb;

    vx__store_close(open_ok(f)); /* migrated once before the race */
    assert_int_equal(pthread_create(&ta, NULL, write_loop, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, write_loop, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (a.failures || b.failures)
        fail_msg("cycles failed %d (%s), baselines failed %d (%s)", a.failures, a.err, b.failures,
                 b.err);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM events"), WRITES);
}

/* Several processes starting on a fresh database at once: one migrates, the others wait for it
 * (SQLite's write lock, PostgreSQL's advisory lock) and find the schema in place. */
typedef struct opener {
    const char *url;
    int rc;
    char err[512];
} opener;

static void *open_close(void *arg)
{
    opener *o = arg;
    vx__store *s = NULL;

    o->rc = vx__store_open(o->url, &s, o->err, sizeof o->err);
    vx__store_close(s);
    return NULL;
}

static void test_open_race(void **state)
{
    fx *f = *state;
    opener o[6];
    pthread_t t[6];

    for (int i = 0; i < 6; i++) {
        o[i] = (opener){.url = f->url};
        assert_int_equal(pthread_create(&t[i], NULL, open_close, &o[i]), 0);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 6; i++)
        if (o[i].rc != VX_OK)
            fail_msg("opener %d: %s", i, o[i].err);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM schema_version"), SCHEMA_VERSION);
}

/* ---- kill -9 while committing -------------------------------------------------------------- */

#define CRASH_DOMAIN "crash.example"
#define CRASH_ROUNDS 6

static long cycle_of_json(const char *json)
{
    long n = -1;
    return json && sscanf(json, "{\"cycle\":%ld}", &n) == 1 ? n : -1;
}

/* Cycle n has 1 + n % 3 events, conditions "stay" (detail n) and "c|n", one RTT sample. */
static int commit_numbered(vx__store *s, long n)
{
    char json[64], msg[64], key[32], detail[32];
    long k = 1 + n % 3;
    vx__events evs = {0};
    vx__conditions conds = {0};
    vx__condition c = {.key = key, .detail = detail, .opened_by = VX__EV_NS_DOWN};
    vx__store_rtt_sample sample = {"ns1/192.0.2.1", (double)n, (uint64_t)n};

    snprintf(json, sizeof json, "{\"cycle\":%ld}", n);
    for (long j = 0; j < k; j++) {
        snprintf(msg, sizeof msg, "cycle %ld event %ld of %ld", n, j, k);
        vx__event e = change_event(msg, (uint64_t)n);
        if (vx__events_push(&evs, &e) != VX_OK)
            return VX_ENOMEM;
    }
    snprintf(detail, sizeof detail, "%ld", n);
    snprintf(key, sizeof key, "stay");
    vx__conditions_put(&conds, &c);
    snprintf(key, sizeof key, "c|%ld", n);
    vx__conditions_put(&conds, &c);
    int rc =
        vx__store_commit_cycle(s, CRASH_DOMAIN, json, (uint64_t)n, &evs, &conds, &sample, 1, NULL);
    vx__events_clear(&evs);
    vx__conditions_clear(&conds);
    return rc;
}

static void crash_child(const char *url)
{
    vx__store *s;
    char err[512], *json = NULL;
    int64_t id;

    alarm(60); /* never outlive the test */
    if (vx__store_open(url, &s, err, sizeof err) != VX_OK)
        _exit(3);
    if (vx__store_latest_snapshot(s, CRASH_DOMAIN, &json, &id) != VX_OK)
        _exit(4);
    long n = json ? cycle_of_json(json) + 1 : 0;
    free(json);
    for (;; n++)
        if (commit_numbered(s, n) != VX_OK)
            _exit(2);
}

typedef struct walk {
    long cycle, j, k;
    int64_t id, snap;
    long cycles; /* whole cycles seen */
} walk;

static void walk_event(walk *w, const vx__event *e)
{
    long n, j, k;

    assert_int_equal(sscanf(e->message, "cycle %ld event %ld of %ld", &n, &j, &k), 3);
    assert_int_equal(k, 1 + n % 3);
    if (w->cycles > 0 && e->snapshot_id == w->snap) { /* the same cycle goes on */
        assert_int_equal(n, w->cycle);
        assert_int_equal(j, w->j + 1);
        assert_int_equal(e->id, w->id + 1);
    } else { /* the previous cycle was whole; this one follows it */
        assert_int_equal(n, w->cycles);
        assert_int_equal(j, 0);
        if (w->cycles > 0) {
            assert_int_equal(w->j, w->k - 1);
            assert_true(e->snapshot_id > w->snap);
            assert_true(e->id > w->id);
            if (!on_pg()) /* SQLite: rolled-back ids are given again, no gaps at all */
                assert_int_equal(e->id, w->id + 1);
        }
        w->cycles++;
    }
    *w = (walk){n, j, k, e->id, e->snapshot_id, w->cycles};
}

static long verify_crash_store(const fx *f)
{
    vx__store *s = open_ok(f);
    vx__events evs = {0};
    walk w = {0};
    char *json = NULL;
    int64_t sid = 0;

    assert_int_equal(vx__store_events_since(s, CRASH_DOMAIN, 0, 0, &evs), VX_OK);
    for (size_t i = 0; i < evs.count; i++)
        walk_event(&w, &evs.items[i]);
    if (w.cycles > 0)
        assert_int_equal(w.j, w.k - 1); /* the last cycle is whole too */
    assert_int_equal(vx__store_latest_snapshot(s, CRASH_DOMAIN, &json, &sid), VX_OK);
    assert_int_equal(cycle_of_json(json), w.cycles - 1);
    assert_int_equal(sid, w.snap);
    free(json);
    if (w.cycles > 0) {
        char key[32];
        snprintf(key, sizeof key, "c|%ld", w.cycles - 1);
        assert_conds(s, CRASH_DOMAIN, (const char *[]){"stay", key}, 2);
    }
    vx__events_clear(&evs);
    vx__store_close(s);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM snapshots"), w.cycles);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM rtt_samples"), w.cycles);
    return w.cycles;
}

static void test_crash_kill9(void **state)
{
    fx *f = *state;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    long cycles = 0;

    print_message("kill -9 seed %u\n", seed);
    srand(seed);
    for (int round = 0; round < CRASH_ROUNDS; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            crash_child(f->url);
        /* The first round may kill it during the migration: that must leave no trace either. */
        useconds_t delay = (useconds_t)(20000 + rand() % 250000);
        usleep(delay);
        int status;
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("the committing child stopped by itself (status %d)", WEXITSTATUS(status));
        long now = verify_crash_store(f);
        assert_true(now >= cycles);
        cycles = now;
    }
    print_message("%ld cycles committed across %d kills, all whole\n", cycles, CRASH_ROUNDS);
    assert_true(cycles >= CRASH_ROUNDS);
}

/* ---- SQLite only --------------------------------------------------------------------------- */

static int64_t pragma(vx__store *s, const char *sql)
{
    sqlite3_stmt *st;
    /* The backend's connection record starts with the sqlite3 handle. */
    sqlite3 *db = *(sqlite3 **)s->db;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_sqlite_settings(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    struct stat st;
    char dir[256];

    assert_int_equal(pragma(s, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(pragma(s, "PRAGMA foreign_keys"), 1);
    assert_true(pragma(s, "PRAGMA busy_timeout") >= 1000);
    vx__store_close(s);
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_close(db);
    snprintf(dir, sizeof dir, "%s/lib/voxdns", f->dir);
    assert_int_equal(stat(dir, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0750 & ~mask);
}

static void test_sqlite_url_forms(void **state)
{
    fx *f = *state;
    char url[512];
    vx__store *s;
    char err[512];

    snprintf(url, sizeof url, "%s/bare.db", f->dir);
    assert_int_equal(vx__store_open(url, &s, err, sizeof err), VX_OK);
    assert_string_equal(vx__store_backend(s), "sqlite");
    vx__store_close(s);
    snprintf(url, sizeof url, "sqlite://%s/triple.db", f->dir);
    assert_int_equal(vx__store_open(url, &s, err, sizeof err), VX_OK);
    vx__store_close(s);
    snprintf(url, sizeof url, "%s/triple.db", f->dir);
    assert_int_equal(access(url, F_OK), 0);
}

static void test_sqlite_dir_impossible(void **state)
{
    fx *f = *state;
    char url[512], file[256];
    vx__store *s;
    char err[512];

    snprintf(file, sizeof file, "%s/plainfile", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(url, sizeof url, "sqlite:%s/sub/history.db", file);
    assert_int_equal(vx__store_open(url, &s, err, sizeof err), VX_EIO);
    assert_non_null(strstr(err, "cannot create directory"));
    assert_non_null(strstr(err, "plainfile"));
}

/* chattr +i / -i on paths (NULL-terminated); false when the file system or the process cannot
 * (not root, no CAP_LINUX_IMMUTABLE, tmpfs): the caller skips. */
static bool immutable(bool on, const char *const *paths)
{
    char cmd[2048];
    int n = snprintf(cmd, sizeof cmd, "chattr %s", on ? "+i" : "-i");
    for (size_t i = 0; paths[i]; i++)
        if (access(paths[i], F_OK) == 0)
            n += snprintf(cmd + n, sizeof cmd - (size_t)n, " '%s'", paths[i]);
    snprintf(cmd + n, sizeof cmd - (size_t)n, " 2>/dev/null");
    return system(cmd) == 0;
}

/* Runs fn in a child: a crash (the SIGBUS this guards against) fails the test instead of ending
 * the suite. */
static void in_child(void (*fn)(const fx *), const fx *f)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fn(f);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("the store crashed with signal %d", WTERMSIG(status));
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void child_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "child: %s\n", what);
        _exit(1);
    }
}

/* Written to, then made immutable under the open handle: the next commit fails with the errno
 * (and not with SIGBUS through the -shm mapping, which is what SQLite itself does), and the
 * close does not crash either. */
static void immutable_child(const fx *f)
{
    char wal[300], shm[300];
    const char *paths[] = {f->path, wal, shm, NULL};
    vx__events evs = {0};
    vx__store *s = NULL;
    char err[512];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    snprintf(shm, sizeof shm, "%s-shm", f->path);
    child_check(vx__store_open(f->url, &s, err, sizeof err) == VX_OK, err);
    child_check(commit(s, "a.example", "{}", 1, NULL, 0, NULL, &evs) == VX_OK, "first commit");
    child_check(immutable(true, paths), "chattr +i");
    int rc = commit(s, "a.example", "{}", 2, NULL, 0, NULL, &evs);
    const char *why = vx__store_last_error(s);
    bool said = strstr(why, "cannot be written") && strstr(why, "errno 1:");
    bool fault = vx__store_last_fault(s) == VX__STORE_FAULT_CREATE;
    child_check(vx__store_events_since(s, NULL, 0, 10, &evs) == VX_EIO, "a read fails too");
    vx__store_close(s);
    immutable(false, paths);
    child_check(rc == VX_EIO, "the commit on immutable files fails");
    child_check(said, why);
    child_check(fault, "fault CREATE");
    child_check(vx__store_open(f->url, &s, err, sizeof err) == VX_OK, err);
    child_check(commit(s, "a.example", "{}", 3, NULL, 0, NULL, &evs) == VX_OK, "writable again");
    vx__store_close(s);
    vx__events_clear(&evs);
}

static void test_sqlite_immutable_files(void **state)
{
    fx *f = *state;
    char probe[300];
    snprintf(probe, sizeof probe, "%s/probe", f->dir);
    FILE *fp = fopen(probe, "w");
    assert_non_null(fp);
    fclose(fp);
    const char *paths[] = {probe, NULL};
    if (!immutable(true, paths))
        skip(); /* needs root (CAP_LINUX_IMMUTABLE) on a file system with attributes */
    immutable(false, paths);
    in_child(immutable_child, f);
}

/* A private tmpfs of 1 MiB at dir, in a new user and mount namespace (this process only). */
static bool private_tmpfs(const char *dir)
{
    char map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        return false;
    FILE *f = fopen("/proc/self/setgroups", "w");
    if (f) {
        fputs("deny", f);
        fclose(f);
    }
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    f = fopen("/proc/self/uid_map", "w");
    bool ok = f && fputs(map, f) >= 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    f = fopen("/proc/self/gid_map", "w");
    ok = ok && f && fputs(map, f) >= 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    return ok && mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0;
}

/* The disk fills up under an open store: the commit fails naming SQLITE_FULL, the close does
 * not crash, and once there is room again the store takes the cycle. Exit 77: no namespaces. */
static void disk_full_child(const fx *f)
{
    char mnt[300], url[320], filler[320], err[512];
    snprintf(mnt, sizeof mnt, "%s/mnt", f->dir);
    child_check(mkdir(mnt, 0700) == 0, "mkdir");
    if (!private_tmpfs(mnt))
        _exit(77);
    snprintf(url, sizeof url, "sqlite:%s/voxdns.db", mnt);
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    char *json = malloc(40001);
    child_check(json != NULL, "malloc");
    memset(json, ' ', 40000);
    json[0] = '{', json[39999] = '}', json[40000] = '\0';
    vx__events evs = {0};
    vx__store *s = NULL;
    child_check(vx__store_open(url, &s, err, sizeof err) == VX_OK, err);
    child_check(commit(s, "a.example", json, 1, NULL, 0, NULL, &evs) == VX_OK, "first commit");
    FILE *fp = fopen(filler, "w");
    static char block[65536];
    while (fp && fwrite(block, 1, sizeof block, fp) == sizeof block && fflush(fp) == 0)
        ;
    if (fp)
        fclose(fp);
    int rc = commit(s, "a.example", json, 2, NULL, 0, NULL, &evs);
    child_check(rc == VX_EIO, "a commit on a full disk fails");
    child_check(strstr(vx__store_last_error(s), "(SQLITE_FULL") != NULL, vx__store_last_error(s));
    child_check(vx__store_last_fault(s) == VX__STORE_FAULT_IO, "fault IO");
    unlink(filler);
    child_check(commit(s, "a.example", json, 3, NULL, 0, NULL, &evs) == VX_OK, "room again");
    vx__store_close(s);
    vx__events_clear(&evs);
    free(json);
}

static void test_sqlite_disk_full(void **state)
{
    fx *f = *state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        disk_full_child(f);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
        skip(); /* no user namespaces here */
    if (WIFSIGNALED(status))
        fail_msg("the store crashed with signal %d", WTERMSIG(status));
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Makes path unwritable for this process: chattr +i as root (root ignores modes), else chmod. */
static bool make_unwritable(const char *path, bool on, mode_t writable_mode)
{
    const char *paths[] = {path, NULL};
    if (geteuid() == 0)
        return immutable(on, paths);
    return chmod(path, on ? writable_mode & 0555 : writable_mode) == 0;
}

static void open_writable_fails(const fx *f, const char *want)
{
    vx__store *s = NULL;
    vx__store_fault fault = VX__STORE_FAULT_NONE;
    char err[512];
    assert_int_equal(vx__store_open_writable(f->url, &s, &fault, err, sizeof err), VX_EIO);
    assert_null(s);
    assert_int_equal(fault, VX__STORE_FAULT_CREATE);
    if (!strstr(err, want))
        fail_msg("\"%s\" not in \"%s\"", want, err);
}

/* A database the monitor cannot write is refused at open, with the reason: a read-only file, a
 * read-only directory (the WAL's files are made there), a directory that cannot be made. */
static void test_sqlite_open_writable(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__store_close(s);
    char dir[256], err[512];
    vx__store_fault fault = VX__STORE_FAULT_IO;
    assert_int_equal(vx__store_open_writable(f->url, &s, &fault, err, sizeof err), VX_OK);
    assert_int_equal(fault, VX__STORE_FAULT_NONE);
    vx__store_close(s);
    snprintf(dir, sizeof dir, "%s/lib/voxdns", f->dir);
    if (!make_unwritable(f->path, true, 0640))
        skip();
    open_writable_fails(f, "history.db can only be opened read-only (errno");
    make_unwritable(f->path, false, 0640);
    assert_true(make_unwritable(dir, true, 0750));
    open_writable_fails(f, "lib/voxdns cannot be written (errno");
    make_unwritable(dir, false, 0750);
    snprintf(f->url, sizeof f->url, "sqlite:%s/sub/new.db", dir);
    assert_true(make_unwritable(dir, true, 0750));
    open_writable_fails(f, "cannot create directory");
    make_unwritable(dir, false, 0750);
}

/* SQLite's failures name the extended result code. */
static void test_sqlite_error_names_the_code(void **state)
{
    fx *f = *state;
    char path[300], url[320], err[512];
    vx__store *s = NULL;
    vx__store_fault fault;
    snprintf(path, sizeof path, "%s/garbage.db", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 512; i++)
        fputs("not a database ", fp);
    fclose(fp);
    snprintf(url, sizeof url, "sqlite:%s", path);
    assert_int_equal(vx__store_open_writable(url, &s, &fault, err, sizeof err), VX_EIO);
    assert_non_null(strstr(err, "(SQLITE_NOTADB)"));
    assert_int_equal(fault, VX__STORE_FAULT_IO);
}

typedef struct holder {
    sqlite3 *db;
    useconds_t hold_us;
} holder;

static void *release_later(void *arg)
{
    holder *h = arg;
    usleep(h->hold_us);
    sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Another connection holds the write lock for 300 ms: the store waits for it, then writes. */
static void test_sqlite_busy_waits(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__events evs = {0};
    holder h = {.hold_us = 300000};
    pthread_t t;

    assert_int_equal(sqlite3_open(f->path, &h.db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h.db,
                                  "BEGIN IMMEDIATE; INSERT INTO domains (name) VALUES "
                                  "('holder.example')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(pthread_create(&t, NULL, release_later, &h), 0);
    uint64_t t0 = mono_ms();
    assert_int_equal(vx__store_set_baseline(s, "a.example", "{}", 1), VX_OK);
    assert_true(mono_ms() - t0 >= 250);
    pthread_join(t, NULL);

    assert_int_equal(sqlite3_exec(h.db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(pthread_create(&t, NULL, release_later, &h), 0);
    t0 = mono_ms();
    assert_int_equal(commit(s, "a.example", "{}", 1, NULL, 0, NULL, &evs), VX_OK);
    assert_true(mono_ms() - t0 >= 250);
    pthread_join(t, NULL);
    sqlite3_close(h.db);
    vx__store_close(s);
    vx__events_clear(&evs);
}

/* ---- main ---------------------------------------------------------------------------------- */

typedef struct plans_seen {
    char domain[4][32];
    char plan[4][64];
    size_t n;
} plans_seen;

static int collect_plan(void *arg, const char *domain, const char *plan)
{
    plans_seen *p = arg;
    if (p->n == 4)
        return VX_ELIMIT;
    snprintf(p->domain[p->n], sizeof p->domain[0], "%s", domain);
    snprintf(p->plan[p->n++], sizeof p->plan[0], "%s", plan);
    return 0;
}

/* Watch plans: written and deleted with a full cycle's summary, left alone without one, read
 * back one at a time; a callback's non-zero stops the walk. */
static void test_watch_plans(void **state)
{
    fx *f = *state;
    vx__store *s = open_ok(f);
    vx__store_summary sum = {.state = "ok", .watch_plan = "P 1 2 3 4\nQ a\n"};
    assert_int_equal(vx__store_commit_cycle(s, "a.example", "{}", 1000, NULL, NULL, NULL, 0, &sum),
                     VX_OK);
    sum.watch_plan = "P 5 6 7 8\n";
    assert_int_equal(vx__store_commit_cycle(s, "b.example", "{}", 1000, NULL, NULL, NULL, 0, &sum),
                     VX_OK);
    /* A cycle without a summary keeps the plan; one with a summary but no plan drops it. */
    assert_int_equal(vx__store_commit_cycle(s, "a.example", "{}", 2000, NULL, NULL, NULL, 0, NULL),
                     VX_OK);
    sum.watch_plan = NULL;
    assert_int_equal(vx__store_commit_cycle(s, "b.example", "{}", 2000, NULL, NULL, NULL, 0, &sum),
                     VX_OK);
    plans_seen seen = {0};
    assert_int_equal(vx__store_each_watch_plan(s, collect_plan, &seen), VX_OK);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.domain[0], "a.example");
    assert_string_equal(seen.plan[0], "P 1 2 3 4\nQ a\n");
    sum.watch_plan = "P 9\n";
    assert_int_equal(vx__store_commit_cycle(s, "a.example", "{}", 3000, NULL, NULL, NULL, 0, &sum),
                     VX_OK);
    memset(&seen, 0, sizeof seen);
    seen.n = 4; /* full: the callback stops the walk at the first row */
    assert_int_equal(vx__store_each_watch_plan(s, collect_plan, &seen), VX_ELIMIT);
    seen.n = 0;
    assert_int_equal(vx__store_each_watch_plan(s, collect_plan, &seen), VX_OK);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.plan[0], "P 9\n");
    assert_int_equal(vx__store_each_watch_plan(s, NULL, &seen), VX_EINVAL);
    vx__store_close(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest common[] = {
        T(test_open_migrate_reopen),
        T(test_migration_from_v1_keeps_deliveries),
        T(test_newer_schema_refused),
        T(test_bad_urls),
        T(test_baseline),
        T(test_zone_copies),
        T(test_cycle_ids),
        T(test_conditions_replaced),
        T(test_failed_commit_rolls_back),
        T(test_event_queries),
        T(test_domains),
        T(test_rtt),
        T(test_summaries_and_quiet_batches),
        T(test_watch_plans),
        T(test_snapshots_kept_as_evidence),
        T(test_prune_rtt),
        T(test_deliveries),
        T(test_two_handles),
        T(test_open_race),
        T(test_crash_kill9),
    };
    const struct CMUnitTest sqlite_only[] = {
        T(test_sqlite_settings),
        T(test_sqlite_url_forms),
        T(test_sqlite_dir_impossible),
        T(test_sqlite_busy_waits),
        T(test_sqlite_immutable_files),
        T(test_sqlite_open_writable),
        T(test_sqlite_error_names_the_code),
        T(test_sqlite_disk_full),
    };

    if (on_pg()) {
        print_message("store tests on PostgreSQL\n");
        return cmocka_run_group_tests_name("store on PostgreSQL", common, NULL, NULL);
    }
    int failed = cmocka_run_group_tests_name("store on SQLite", common, NULL, NULL);
    return failed + cmocka_run_group_tests_name("store, SQLite only", sqlite_only, NULL, NULL);
}
