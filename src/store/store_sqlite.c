/*
 * store/store_sqlite.c — the SQLite backend: opening the file (creating its directory), the
 * connection settings that make the history safe, and running statements for store.c.
 *
 * Settings, and why:
 *  - journal_mode=WAL: the dashboard reads while the daemon writes, without blocking either.
 *  - synchronous=FULL: WAL is fsynced at every commit. NORMAL would survive kill -9 too (the
 *    WAL is in the OS), but a power cut could lose the last cycles, whose events may already
 *    have been alerted; a cycle every few minutes makes the fsync cost nothing worth saving.
 *  - busy_timeout: the HTTP thread has its own handle and may accept a baseline while the
 *    daemon commits a cycle; the second writer waits instead of failing.
 *  - foreign_keys=ON: SQLite leaves them off unless asked, per connection.
 * Write transactions are BEGIN IMMEDIATE: a deferred one that reads first and writes later
 * cannot wait for the lock (SQLite returns BUSY at once to avoid a deadlock).
 */
#include "store/store_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "store/store_schema.h"
#include "voxdns/status.h"

#define BUSY_TIMEOUT_MS 10000
#define DIR_MODE 0750

struct vx__sq {
    vx__store *s;
    sqlite3_stmt *st;
};

static sqlite3 *db_of(const vx__store *s)
{
    return (sqlite3 *)s->db;
}

static int bind_one(sqlite3_stmt *st, int idx, const vx__sp *p)
{
    switch (p->kind) {
    case VX__SP_TEXT:
        return p->text ? sqlite3_bind_text(st, idx, p->text, -1, SQLITE_TRANSIENT)
                       : sqlite3_bind_null(st, idx);
    case VX__SP_INT:
        return sqlite3_bind_int64(st, idx, p->i);
    case VX__SP_REAL:
        return sqlite3_bind_double(st, idx, p->d);
    }
    return SQLITE_MISUSE;
}

/* Parameters are named $1, $2, ... in the SQL (PostgreSQL's form); SQLite numbers named
 * parameters by first appearance, so each is looked up by its name. */
static int bind_all(sqlite3_stmt *st, const vx__sp *params, int n)
{
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue;
        int rc = bind_one(st, idx, &params[i]);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int sq_query(vx__store *s, const char *sql, const vx__sp *params, int n, vx__sq **out)
{
    sqlite3_stmt *st = NULL;
    vx__sq *q;

    *out = NULL;
    if (sqlite3_prepare_v2(db_of(s), sql, -1, &st, NULL) != SQLITE_OK)
        return vx__store_fail(s, "sqlite: %s", sqlite3_errmsg(db_of(s)));
    if (bind_all(st, params, n) != SQLITE_OK) {
        int rc = vx__store_fail(s, "sqlite: %s", sqlite3_errmsg(db_of(s)));
        sqlite3_finalize(st);
        return rc;
    }
    if (!(q = malloc(sizeof *q))) {
        sqlite3_finalize(st);
        return VX_ENOMEM;
    }
    q->s = s;
    q->st = st;
    *out = q;
    return VX_OK;
}

static int sq_step(vx__sq *q)
{
    int rc = sqlite3_step(q->st);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return vx__store_fail(q->s, "sqlite: %s", sqlite3_errmsg(db_of(q->s)));
}

static bool sq_is_null(vx__sq *q, int col)
{
    return sqlite3_column_type(q->st, col) == SQLITE_NULL;
}

static const char *sq_text(vx__sq *q, int col)
{
    return (const char *)sqlite3_column_text(q->st, col);
}

static int64_t sq_int64(vx__sq *q, int col)
{
    return sqlite3_column_int64(q->st, col);
}

static double sq_real(vx__sq *q, int col)
{
    return sqlite3_column_double(q->st, col);
}

static void sq_finish(vx__sq *q)
{
    if (!q)
        return;
    sqlite3_finalize(q->st);
    free(q);
}

static int sq_script(vx__store *s, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db_of(s), sql, NULL, NULL, &msg) == SQLITE_OK)
        return VX_OK;
    int rc = vx__store_fail(s, "sqlite: %s", msg ? msg : sqlite3_errmsg(db_of(s)));
    sqlite3_free(msg);
    return rc;
}

static void sq_close(vx__store *s)
{
    sqlite3_close_v2(db_of(s));
    s->db = NULL;
}

static const char *const MIGRATIONS[] = {
    VX__STORE_SCHEMA_V1("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"),
    VX__STORE_SCHEMA_V2("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"),
    VX__STORE_SCHEMA_V3("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"),
};

const vx__store_driver vx__store_sqlite_backend = {
    .name = "sqlite",
    .query = sq_query,
    .step = sq_step,
    .is_null = sq_is_null,
    .text = sq_text,
    .int64 = sq_int64,
    .real = sq_real,
    .finish = sq_finish,
    .script = sq_script,
    .close = sq_close,
    .begin_sql = "BEGIN IMMEDIATE",
    .migrate_lock_sql = NULL, /* BEGIN IMMEDIATE already excludes other writers */
    .cycle_lock_sql = NULL,
    .migrations = MIGRATIONS,
    .migration_count = (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]),
};

/* ---- opening ------------------------------------------------------------------------------- */

/* mkdir -p of the directory that will hold the database (an installation may not have made
 * /var/lib/voxdns yet); private to the group, as the history names the monitored servers. */
static int make_parent_dir(vx__store *s, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return VX_OK;
    char *dir = strndup(path, (size_t)(slash - path));
    if (!dir)
        return VX_ENOMEM;
    int rc = VX_OK;
    for (char *p = dir + 1; rc == VX_OK; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (mkdir(dir, DIR_MODE) != 0 && errno != EEXIST)
            rc = vx__store_fail(s, "cannot create directory %s for the database: %s", dir,
                                strerror(errno));
        if (end)
            break;
        *p = '/';
    }
    free(dir);
    return rc;
}

static int want_wal(vx__store *s)
{
    vx__sq *q;
    int rc = sq_query(s, "PRAGMA journal_mode=WAL", NULL, 0, &q);

    if (rc != VX_OK)
        return rc;
    rc = sq_step(q);
    if (rc == 1 && strcmp(sq_text(q, 0) ? sq_text(q, 0) : "", "wal") != 0)
        rc = vx__store_fail(s, "sqlite: the database cannot use WAL (journal mode stays %s)",
                            sq_text(q, 0) ? sq_text(q, 0) : "unknown");
    sq_finish(q);
    return rc < 0 ? rc : VX_OK;
}

static int configure(vx__store *s)
{
    sqlite3_busy_timeout(db_of(s), BUSY_TIMEOUT_MS);
    int rc = want_wal(s);
    if (rc == VX_OK)
        rc = sq_script(s, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    return rc;
}

int vx__store_sqlite_open(vx__store *s, const char *path)
{
    sqlite3 *db = NULL;

    s->be = &vx__store_sqlite_backend;
    int rc = make_parent_dir(s, path);
    if (rc != VX_OK)
        return rc;
    int src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    s->db = db;
    if (src != SQLITE_OK) {
        if (!db)
            return VX_ENOMEM;
        return vx__store_fail(s, "sqlite: cannot open %s: %s", path, sqlite3_errmsg(db));
    }
    sqlite3_extended_result_codes(db, 1);
    return configure(s);
}
