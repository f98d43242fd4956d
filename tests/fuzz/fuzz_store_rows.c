/* tests/fuzz/fuzz_store_rows.c — libFuzzer target for rows as the monitor and the HTTP server
 * read them back from the store (store/store_query.c): whatever another program, an old
 * version or a damaged file left in the database must be refused or read, never crash or
 * leak. The store is a SQLite database in a private temporary directory (on tmpfs when there
 * is one); a second, raw connection writes the input's rows into the very columns the store
 * reads, as text, blobs, integers, reals or NULL, and then every read of the store's API runs:
 * baseline and latest snapshot (then parsed as snapshots, as the monitor and the dashboard
 * do), open conditions (and the domain state they give), events after an id, since a time and
 * not yet delivered (each then turned into the API's JSON), domains, summaries, RTT samples
 * and watch plans.
 *
 * Input: rows separated by 0x1e, fields by 0x1f. A row's first octet names its table:
 * B baselines (json, accepted_ms), S snapshots (time_ms, json), E events (type, severity,
 * server, name, rrtype, old_json, new_json, old_ttl, new_ttl, check_id, message, first_seen_ms,
 * last_seen_ms, snapshot_id), C conditions (key, opened_by, first_seen_ms, last_seen_ms,
 * event_id, detail), R rtt_samples (server, rtt_ms, time_ms), M domain_summaries (state,
 * counts, open_conditions, audited_ms, cycle_ms), W watch_plans (plan), K sink_cursors
 * (event_id) for the sink "log", D domains (name). Every row but D belongs to domain 1,
 * "example.com". A field is text, or an integer after '#', a real after '%', a blob after '~',
 * NULL when it is '!'; missing fields are NULL (rows the schema refuses are skipped).
 *
 * Aborts when an invariant breaks: a read fails with something else than VX_EIO or VX_ENOMEM,
 * a failed list read leaves anything behind, events after an id come out of id order or with
 * a type or severity outside their enums, an event's API JSON does not parse, domains are not
 * sorted, summaries and domains disagree in number, a limit is exceeded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "model/event.h"
#include "model/snapshot.h"
#include "store/store.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 14
#define ROW_SEP 0x1e
#define FIELD_SEP 0x1f

static vx__store *store;
static sqlite3 *raw;
static char dir[64], db[96];

static void cleanup(void)
{
    static const char *const tails[] = {"", "-wal", "-shm"};
    char path[128];
    vx__store_close(store);
    sqlite3_close(raw);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", db, tails[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void init_once(void)
{
    char url[128], err[256];
    if (store)
        return;
    snprintf(dir, sizeof dir, "%s/fuzz_store_rows-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(db, sizeof db, "%s/voxdns.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", db);
    if (vx__store_open(url, &store, err, sizeof err) != VX_OK ||
        sqlite3_open_v2(db, &raw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        abort();
    sqlite3_busy_timeout(raw, 1000);
    atexit(cleanup);
}

static void raw_exec(const char *sql)
{
    if (sqlite3_exec(raw, sql, NULL, NULL, NULL) != SQLITE_OK)
        abort();
}

static void reset(void)
{
    raw_exec("BEGIN; DELETE FROM deliveries; DELETE FROM sink_cursors; DELETE FROM events;"
             " DELETE FROM conditions; DELETE FROM rtt_samples; DELETE FROM domain_summaries;"
             " DELETE FROM watch_plans; DELETE FROM baselines; DELETE FROM snapshots;"
             " DELETE FROM domains; INSERT INTO domains (id, name) VALUES (1, 'example.com');"
             " COMMIT");
}

/* The INSERT for a table letter: ?1 is the domain (or the sink), the fields follow. */
static const char *insert_sql(uint8_t table, int *nfields)
{
    static const struct {
        uint8_t t;
        int n;
        const char *sql;
    } tab[] = {
        {'B', 2, "INSERT OR REPLACE INTO baselines VALUES (?1, ?2, ?3)"},
        {'S', 2, "INSERT INTO snapshots (domain_id, time_ms, json) VALUES (?1, ?2, ?3)"},
        {'E', 14,
         "INSERT INTO events (domain_id, type, severity, server, name, rrtype, old_json,"
         " new_json, old_ttl, new_ttl, check_id, message, first_seen_ms, last_seen_ms,"
         " snapshot_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
         " ?15)"},
        {'C', 6, "INSERT OR REPLACE INTO conditions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
        {'R', 3,
         "INSERT INTO rtt_samples (domain_id, server, rtt_ms, time_ms)"
         " VALUES (?1, ?2, ?3, ?4)"},
        {'M', 5, "INSERT OR REPLACE INTO domain_summaries VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
        {'W', 1, "INSERT OR REPLACE INTO watch_plans VALUES (?1, ?2)"},
        {'K', 1, "INSERT OR REPLACE INTO sink_cursors VALUES ('log', ?2, 0 * ?1)"},
        {'D', 1, "INSERT INTO domains (name) VALUES (?2 || substr(?1, 1, 0))"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (tab[i].t == table) {
            *nfields = tab[i].n;
            return tab[i].sql;
        }
    return NULL;
}

static void bind_field(sqlite3_stmt *st, int col, const uint8_t *f, size_t len)
{
    char num[64];
    size_t n = len - 1 < sizeof num - 1 ? len - 1 : sizeof num - 1;
    if (len == 1 && f[0] == '!') {
        sqlite3_bind_null(st, col);
        return;
    }
    if (len >= 1 && (f[0] == '#' || f[0] == '%')) {
        memcpy(num, f + 1, n);
        num[n] = '\0';
        if (f[0] == '#')
            sqlite3_bind_int64(st, col, strtoll(num, NULL, 10));
        else
            sqlite3_bind_double(st, col, strtod(num, NULL));
        return;
    }
    if (len >= 1 && f[0] == '~')
        sqlite3_bind_blob(st, col, f + 1, (int)(len - 1), SQLITE_TRANSIENT);
    else
        sqlite3_bind_text(st, col, (const char *)f, (int)len, SQLITE_TRANSIENT);
}

/* Writes one row; a row the schema refuses (NULL in a NOT NULL column, ...) is skipped. */
static void write_row(const uint8_t *row, size_t len)
{
    int nfields = 0;
    const char *sql = len ? insert_sql(row[0], &nfields) : NULL;
    sqlite3_stmt *st = NULL;
    if (!sql || sqlite3_prepare_v2(raw, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, 1);
    size_t at = 1;
    for (int col = 2; col <= nfields + 1 && at <= len; col++) {
        const uint8_t *end = memchr(row + at, FIELD_SEP, len - at);
        size_t flen = end ? (size_t)(end - (row + at)) : len - at;
        bind_field(st, col, row + at, flen);
        at += flen + 1;
    }
    (void)sqlite3_step(st);
    sqlite3_finalize(st);
}

static void write_rows(const uint8_t *data, size_t size)
{
    size_t at = 0;
    reset();
    while (at < size) {
        const uint8_t *end = memchr(data + at, ROW_SEP, size - at);
        size_t len = end ? (size_t)(end - (data + at)) : size - at;
        write_row(data + at, len);
        at += len + 1;
    }
}

static void check_rc(int rc)
{
    if (rc != VX_OK && rc != VX_EIO && rc != VX_ENOMEM)
        abort();
}

static void load_snapshot(char *json)
{
    vx__snapshot *snap = NULL;
    char err[256];
    if (json && vx__snapshot_from_json(json, strlen(json), &snap, err, sizeof err) == VX_OK)
        vx__snapshot_free(snap);
    free(json);
}

static void read_snapshots(void)
{
    char *json = NULL;
    uint64_t accepted = 0;
    int64_t id = 0;
    int rc = vx__store_get_baseline(store, "example.com", &json, &accepted);
    check_rc(rc);
    load_snapshot(json);
    json = NULL;
    rc = vx__store_latest_snapshot(store, "example.com", &json, &id);
    check_rc(rc);
    load_snapshot(json);
}

static void read_conditions(void)
{
    vx__conditions conds = {0};
    size_t counts[VX__SEV_COUNT] = {0};
    int rc = vx__store_get_conditions(store, "example.com", &conds);
    check_rc(rc);
    if (rc != VX_OK && conds.count != 0)
        abort();
    for (size_t i = 0; i < conds.count; i++)
        if (!conds.items[i].key || (unsigned)conds.items[i].opened_by >= VX__EV_TYPE_COUNT)
            abort();
    if (!vx__domain_state(counts, &conds))
        abort();
    vx__conditions_clear(&conds);
}

/* Every event is whole: enums in range, data arrays as long as said, its API JSON parses. */
static void check_events(const vx__events *ev, int rc, size_t limit, bool by_id)
{
    check_rc(rc);
    if ((rc != VX_OK && ev->count != 0) || (limit && ev->count > limit))
        abort();
    for (size_t i = 0; i < ev->count; i++) {
        const vx__event *e = &ev->items[i];
        if ((unsigned)e->type >= VX__EV_TYPE_COUNT || (unsigned)e->severity >= VX__SEV_COUNT ||
            (e->old_count && !e->old_data) || (e->new_count && !e->new_data) ||
            (by_id && i > 0 && e->id <= ev->items[i - 1].id))
            abort();
        char *text = vx__event_to_json(e);
        json_t *j = text ? json_loads(text, 0, NULL) : NULL;
        if (text && !j)
            abort();
        json_decref(j);
        free(text);
    }
}

static void read_events(void)
{
    vx__events ev = {0};
    check_events(&ev, vx__store_events_since(store, NULL, 0, 0, &ev), 0, true);
    vx__events_clear(&ev);
    check_events(&ev, vx__store_events_since(store, "example.com", -5, 1, &ev), 1, true);
    vx__events_clear(&ev);
    check_events(&ev, vx__store_events_since_time(store, NULL, 0, 3, &ev), 3, false);
    vx__events_clear(&ev);
    check_events(&ev, vx__store_undelivered(store, "log", 0, &ev), 0, true);
    vx__events_clear(&ev);
}

static int on_plan(void *arg, const char *domain, const char *plan)
{
    size_t *n = arg;
    if (!domain || !plan)
        abort();
    (*n)++;
    return 0;
}

static void read_lists(void)
{
    char **names = NULL;
    size_t n = 0, m = 0, plans = 0;
    vx__store_summary_row *rows = NULL;
    vx__rtt_row *rtt = NULL;
    int rc = vx__store_domains(store, &names, &n);
    check_rc(rc);
    for (size_t i = 1; rc == VX_OK && i < n; i++)
        if (strcmp(names[i - 1], names[i]) > 0)
            abort();
    int rc2 = vx__store_summaries(store, &rows, &m);
    check_rc(rc2);
    if (rc == VX_OK && rc2 == VX_OK && m != n)
        abort();
    vx__store_summary_rows_free(rows, m);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    check_rc(vx__store_rtt_since(store, "example.com", 0, &rtt, &m));
    vx__rtt_rows_free(rtt, m);
    check_rc(vx__store_each_watch_plan(store, on_plan, &plans));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    write_rows(data, size);
    read_snapshots();
    read_conditions();
    read_events();
    read_lists();
    return 0;
}
