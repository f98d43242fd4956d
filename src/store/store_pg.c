/*
 * store/store_pg.c — the PostgreSQL backend (libpq): connecting, running parameterised
 * statements for store.c, and the advisory locks that keep several processes sharing one
 * history from racing.
 *
 * Every statement goes through PQexecParams with typed parameters (text, int8, float8) in text
 * form; results come back as text and are converted here. Two advisory locks, both held only
 * until the transaction ends:
 *  - migration: two processes opening a fresh database must not both create the tables;
 *  - cycle: sequence values are taken at INSERT but become visible at COMMIT, so two probes
 *    committing at once could make id 11 visible before id 10, and a reader that already moved
 *    past 11 would never see 10. Serialising cycle commits keeps "event ids increase with
 *    time" true for readers too.
 */
#include "store/store_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store_schema.h"
#include "voxdns/status.h"

/* Built-in type oids (pg_type.dat): text, int8, float8. */
#define OID_TEXT 25
#define OID_INT8 20
#define OID_FLOAT8 701
#define MAX_PARAMS 24
#define CONNECT_TIMEOUT_S "5"
#define LOCK_MIGRATE "SELECT pg_advisory_xact_lock(7663786400000001)"
#define LOCK_CYCLE "SELECT pg_advisory_xact_lock(7663786400000002)"

struct vx__sq {
    vx__store *s;
    PGresult *res;
    int row;
    int rows;
};

static PGconn *conn_of(const vx__store *s)
{
    return (PGconn *)s->db;
}

/* libpq prints notices (e.g. "relation already exists, skipping") on stderr by default; the
 * store is library code and does not log. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

typedef struct pgx_params {
    Oid types[MAX_PARAMS];
    const char *values[MAX_PARAMS];
    char buf[MAX_PARAMS][32];
} pgx_params;

static void convert(const vx__sp *params, int n, pgx_params *out)
{
    for (int i = 0; i < n; i++) {
        const vx__sp *p = &params[i];
        switch (p->kind) {
        case VX__SP_TEXT:
            out->types[i] = OID_TEXT;
            out->values[i] = p->text;
            break;
        case VX__SP_INT:
            out->types[i] = OID_INT8;
            snprintf(out->buf[i], sizeof out->buf[i], "%" PRId64, p->i);
            out->values[i] = out->buf[i];
            break;
        case VX__SP_REAL:
            out->types[i] = OID_FLOAT8;
            snprintf(out->buf[i], sizeof out->buf[i], "%.17g", p->d);
            out->values[i] = out->buf[i];
            break;
        }
    }
}

/* The server's message and, when the server answered at all, its SQLSTATE ("25006": a read-only
 * transaction; "57P01": the server is shutting down). Refused writes (read-only, no privilege,
 * authentication) are the store's CREATE fault; the rest are I/O, a lost connection included. */
static int pgx_fail(vx__store *s, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    vx__store_fault fault = VX__STORE_FAULT_IO;

    if (state && (strncmp(state, "25", 2) == 0 || strncmp(state, "28", 2) == 0 ||
                  strcmp(state, "42501") == 0))
        fault = VX__STORE_FAULT_CREATE;
    if (state)
        return vx__store_fail_as(s, fault, "postgresql: %s (SQLSTATE %s)",
                                 PQerrorMessage(conn_of(s)), state);
    return vx__store_fail_as(s, fault, "postgresql: %s", PQerrorMessage(conn_of(s)));
}

/* A server restart or a dropped connection would otherwise fail every later call; reconnect
 * between transactions only, never inside one (its earlier statements are gone). */
static int revive(vx__store *s)
{
    if (s->in_tx || PQstatus(conn_of(s)) != CONNECTION_BAD)
        return VX_OK;
    PQreset(conn_of(s));
    if (PQstatus(conn_of(s)) == CONNECTION_OK)
        return VX_OK;
    /* libpq says why the connection failed ("...: No such file or directory"); the next call
     * would only say "no connection to the server". */
    return vx__store_fail(s, "postgresql: cannot reconnect: %s", PQerrorMessage(conn_of(s)));
}

static int pgx_query(vx__store *s, const char *sql, const vx__sp *params, int n, vx__sq **out)
{
    pgx_params pp;

    *out = NULL;
    if (n > MAX_PARAMS)
        return vx__store_fail(s, "postgresql: too many parameters (%d)", n);
    convert(params, n, &pp);
    if (revive(s) != VX_OK)
        return VX_EIO;
    PGresult *res = PQexecParams(conn_of(s), sql, n, pp.types, pp.values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = pgx_fail(s, res);
        PQclear(res);
        return rc;
    }
    vx__sq *q = malloc(sizeof *q);
    if (!q) {
        PQclear(res);
        return VX_ENOMEM;
    }
    *q = (vx__sq){.s = s, .res = res, .row = -1, .rows = PQntuples(res)};
    *out = q;
    return VX_OK;
}

static int pgx_step(vx__sq *q)
{
    if (q->row + 1 >= q->rows)
        return 0;
    q->row++;
    return 1;
}

static bool pgx_is_null(vx__sq *q, int col)
{
    return PQgetisnull(q->res, q->row, col) != 0;
}

static const char *pgx_text(vx__sq *q, int col)
{
    return pgx_is_null(q, col) ? NULL : PQgetvalue(q->res, q->row, col);
}

static int64_t pgx_int64(vx__sq *q, int col)
{
    const char *t = pgx_text(q, col);
    return t ? strtoll(t, NULL, 10) : 0;
}

static double pgx_real(vx__sq *q, int col)
{
    const char *t = pgx_text(q, col);
    return t ? strtod(t, NULL) : 0.0;
}

static void pgx_finish(vx__sq *q)
{
    if (!q)
        return;
    PQclear(q->res);
    free(q);
}

static int pgx_script(vx__store *s, const char *sql)
{
    if (revive(s) != VX_OK)
        return VX_EIO;
    PGresult *res = PQexec(conn_of(s), sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = VX_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = pgx_fail(s, res);
    PQclear(res);
    return rc;
}

static void pgx_close(vx__store *s)
{
    PQfinish(conn_of(s));
    s->db = NULL;
}

static const char *const MIGRATIONS[] = {
    VX__STORE_SCHEMA_V1("BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION"),
    VX__STORE_SCHEMA_V2("BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION"),
    VX__STORE_SCHEMA_V3("BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION"),
    VX__STORE_SCHEMA_V4("BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION"),
    VX__STORE_SCHEMA_V5("BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION"),
};

const vx__store_driver vx__store_pg_backend = {
    .name = "postgresql",
    .query = pgx_query,
    .step = pgx_step,
    .is_null = pgx_is_null,
    .text = pgx_text,
    .int64 = pgx_int64,
    .real = pgx_real,
    .finish = pgx_finish,
    .script = pgx_script,
    .close = pgx_close,
    .begin_sql = "BEGIN",
    .migrate_lock_sql = LOCK_MIGRATE,
    .cycle_lock_sql = LOCK_CYCLE,
    .migrations = MIGRATIONS,
    .migration_count = (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]),
};

int vx__store_pg_open(vx__store *s, const char *conninfo)
{
    /* A bounded connect: the monitor reconnects from its event loop, and a server gone from a
     * network that drops packets would otherwise hold the loop for minutes of TCP retries.
     * The URL's own connect_timeout, if any, comes later and wins. */
    const char *const keys[] = {"connect_timeout", "dbname", NULL};
    const char *const values[] = {CONNECT_TIMEOUT_S, conninfo, NULL};
    s->be = &vx__store_pg_backend;
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (!conn)
        return VX_ENOMEM;
    s->db = conn;
    PQsetNoticeProcessor(conn, quiet_notice, NULL);
    if (PQstatus(conn) != CONNECTION_OK)
        return vx__store_fail(s, "postgresql: cannot connect: %s", PQerrorMessage(conn));
    /* Text results must be readable as UTF-8 whatever the server's default. */
    if (PQsetClientEncoding(conn, "UTF8") != 0)
        return vx__store_fail(s, "postgresql: %s", PQerrorMessage(conn));
    return VX_OK;
}
