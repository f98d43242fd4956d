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
 * Prepared statements are kept per connection and reused (the SQL is the same few statements
 * over and over: a quiet monitoring cycle writes hundreds of thousands of RTT samples).
 *
 * Failures are reported with SQLite's message, its extended result code by name and the errno
 * of the system call that failed (sqlite3_system_errno), so that "disk I/O error" says which
 * disk trouble. The WAL index is written through a shared mapping of the -shm file, and a write
 * through a mapping of a file that cannot be written is a SIGBUS (the kernel has no other way
 * to say it): so a statement that starts outside a transaction first checks that the files are
 * writable (access(2), a few microseconds), and a close on unwritable files skips the
 * checkpoint SQLite would otherwise run through the mapping.
 */
#include "store/store_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store_schema.h"
#include "voxdns/status.h"

#define BUSY_TIMEOUT_MS 10000
#define DIR_MODE 0750
#define STMT_CACHE 32

typedef struct cached_stmt {
    sqlite3_stmt *st;
    bool in_use;
} cached_stmt;

/* What s->db points at: the connection (first, so that tests can reach it) and its statements. */
typedef struct sq_conn {
    sqlite3 *db;
    cached_stmt cache[STMT_CACHE];
    size_t next_victim;
    char *path; /* the database file; -wal and -shm lie beside it */
} sq_conn;

struct vx__sq {
    vx__store *s;
    sqlite3_stmt *st;
    cached_stmt *cached; /* NULL: finalized when finished */
};

static sq_conn *conn_of(const vx__store *s)
{
    return (sq_conn *)s->db;
}

static sqlite3 *db_of(const vx__store *s)
{
    return conn_of(s)->db;
}

/* ---- errors -------------------------------------------------------------------------------- */

#define CODE(c)                                                                                    \
    {                                                                                              \
        c, #c                                                                                      \
    }
static const struct {
    int code;
    const char *name;
} code_names[] = {
    CODE(SQLITE_IOERR_READ),
    CODE(SQLITE_IOERR_SHORT_READ),
    CODE(SQLITE_IOERR_WRITE),
    CODE(SQLITE_IOERR_FSYNC),
    CODE(SQLITE_IOERR_DIR_FSYNC),
    CODE(SQLITE_IOERR_TRUNCATE),
    CODE(SQLITE_IOERR_FSTAT),
    CODE(SQLITE_IOERR_UNLOCK),
    CODE(SQLITE_IOERR_RDLOCK),
    CODE(SQLITE_IOERR_DELETE),
    CODE(SQLITE_IOERR_ACCESS),
    CODE(SQLITE_IOERR_LOCK),
    CODE(SQLITE_IOERR_CLOSE),
    CODE(SQLITE_IOERR_SHMOPEN),
    CODE(SQLITE_IOERR_SHMSIZE),
    CODE(SQLITE_IOERR_SHMLOCK),
    CODE(SQLITE_IOERR_SHMMAP),
    CODE(SQLITE_IOERR_SEEK),
    CODE(SQLITE_IOERR_MMAP),
    CODE(SQLITE_IOERR_CORRUPTFS),
    CODE(SQLITE_READONLY_RECOVERY),
    CODE(SQLITE_READONLY_CANTLOCK),
    CODE(SQLITE_READONLY_ROLLBACK),
    CODE(SQLITE_READONLY_DBMOVED),
    CODE(SQLITE_READONLY_CANTINIT),
    CODE(SQLITE_READONLY_DIRECTORY),
    CODE(SQLITE_CANTOPEN_ISDIR),
    CODE(SQLITE_CANTOPEN_FULLPATH),
    CODE(SQLITE_CANTOPEN_NOTEMPDIR),
    CODE(SQLITE_BUSY_SNAPSHOT),
    CODE(SQLITE_ERROR),
    CODE(SQLITE_PERM),
    CODE(SQLITE_BUSY),
    CODE(SQLITE_LOCKED),
    CODE(SQLITE_NOMEM),
    CODE(SQLITE_READONLY),
    CODE(SQLITE_IOERR),
    CODE(SQLITE_CORRUPT),
    CODE(SQLITE_FULL),
    CODE(SQLITE_CANTOPEN),
    CODE(SQLITE_PROTOCOL),
    CODE(SQLITE_CONSTRAINT),
    CODE(SQLITE_MISUSE),
    CODE(SQLITE_AUTH),
    CODE(SQLITE_NOTADB),
};
#undef CODE

static void code_name(int code, char *out, size_t cap)
{
    for (size_t i = 0; i < sizeof code_names / sizeof code_names[0]; i++) {
        if (code_names[i].code == code) {
            snprintf(out, cap, "%s", code_names[i].name);
            return;
        }
    }
    snprintf(out, cap, "SQLite code %d", code);
}

/* Cannot create or open for writing (the monitor exits EX_CANTCREAT) or an I/O failure. */
static vx__store_fault fault_of(int code)
{
    switch (code & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return VX__STORE_FAULT_CREATE;
    default:
        return VX__STORE_FAULT_IO;
    }
}

/* "sqlite: WHAT: disk I/O error (SQLITE_IOERR_WRITE; errno 5: Input/output error)"; a full disk
 * is "database or disk is full (SQLITE_FULL)" (SQLite keeps no errno for ENOSPC). */
static int sq_fail(vx__store *s, const char *what)
{
    sqlite3 *db = db_of(s);
    int code = sqlite3_extended_errcode(db), sys = sqlite3_system_errno(db);
    char name[48], why[128] = "";

    code_name(code, name, sizeof name);
    if (sys)
        snprintf(why, sizeof why, "; errno %d: %s", sys, strerror(sys));
    return vx__store_fail_as(s, fault_of(code), "sqlite: %s%s%s (%s%s)", what ? what : "",
                             what ? ": " : "", sqlite3_errmsg(db), name, why);
}

/* The database file, its -wal and its -shm can be written (a missing one will be created).
 * Checked before SQLite touches its shared mapping: see the comment at the top. */
static int files_writable(vx__store *s)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    const char *path = conn_of(s)->path;
    char file[PATH_MAX];

    for (size_t i = 0; path && i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        if (access(file, W_OK) != 0 && errno != ENOENT) {
            int e = errno;
            return vx__store_fail_as(s, VX__STORE_FAULT_CREATE,
                                     "sqlite: %s cannot be written (errno %d: %s)", file, e,
                                     strerror(e));
        }
    }
    return VX_OK;
}

/* A free cached statement for sql, or a slot to prepare it in (the least recently taken one
 * that is free), or NULL when every slot is busy. */
static cached_stmt *cache_slot(sq_conn *c, const char *sql, bool *hit)
{
    *hit = false;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        cached_stmt *e = &c->cache[i];
        if (e->st && !e->in_use && strcmp(sqlite3_sql(e->st), sql) == 0) {
            *hit = true;
            return e;
        }
    }
    for (size_t k = 0; k < STMT_CACHE; k++) {
        cached_stmt *e = &c->cache[(c->next_victim + k) % STMT_CACHE];
        if (!e->in_use) {
            c->next_victim = (size_t)(e - c->cache + 1) % STMT_CACHE;
            sqlite3_finalize(e->st);
            e->st = NULL;
            return e;
        }
    }
    return NULL;
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

static void release_stmt(sqlite3_stmt *st, cached_stmt *cached)
{
    if (cached) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        cached->in_use = false;
    } else {
        sqlite3_finalize(st);
    }
}

static int sq_query(vx__store *s, const char *sql, const vx__sp *params, int n, vx__sq **out)
{
    sqlite3_stmt *st = NULL;
    vx__sq *q;
    bool hit;

    *out = NULL;
    if (!s->in_tx && files_writable(s) != VX_OK)
        return VX_EIO;
    cached_stmt *slot = cache_slot(conn_of(s), sql, &hit);
    if (hit) {
        st = slot->st;
    } else if (sqlite3_prepare_v2(db_of(s), sql, -1, &st, NULL) != SQLITE_OK) {
        return sq_fail(s, NULL);
    } else if (slot) {
        slot->st = st;
    }
    if (slot)
        slot->in_use = true;
    if (bind_all(st, params, n) != SQLITE_OK) {
        int rc = sq_fail(s, NULL);
        release_stmt(st, slot);
        return rc;
    }
    if (!(q = malloc(sizeof *q))) {
        release_stmt(st, slot);
        return VX_ENOMEM;
    }
    q->s = s;
    q->st = st;
    q->cached = slot;
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
    return sq_fail(q->s, NULL);
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
    release_stmt(q->st, q->cached);
    free(q);
}

static int sq_script(vx__store *s, const char *sql)
{
    if (!s->in_tx && files_writable(s) != VX_OK)
        return VX_EIO;
    if (sqlite3_exec(db_of(s), sql, NULL, NULL, NULL) == SQLITE_OK)
        return VX_OK;
    return sq_fail(s, NULL);
}

/* The last connection to close checkpoints the WAL into the database through the -shm mapping:
 * on files that cannot be written that would be a SIGBUS, so it is skipped (the WAL stays and
 * the next open recovers from it, as after a crash). */
static void sq_close(vx__store *s)
{
    sq_conn *c = conn_of(s);
    char keep[sizeof s->err];

    memcpy(keep, s->err, sizeof keep);
    if (c && c->db && files_writable(s) != VX_OK)
        sqlite3_db_config(c->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
    memcpy(s->err, keep, sizeof keep);
    for (size_t i = 0; c && i < STMT_CACHE; i++)
        sqlite3_finalize(c->cache[i].st);
    if (c) {
        sqlite3_close_v2(c->db);
        free(c->path);
    }
    free(c);
    s->db = NULL;
}

/* The monitor's start: a database opened read-only, or a directory where the WAL's files
 * cannot be made, fails now with the reason instead of at the first commit. */
static int sq_check_writable(vx__store *s)
{
    const char *path = conn_of(s)->path;
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];

    if (sqlite3_db_readonly(db_of(s), "main") == 1) {
        int e = access(path, W_OK) == 0 ? EROFS : errno;
        return vx__store_fail_as(s, VX__STORE_FAULT_CREATE,
                                 "sqlite: %s can only be opened read-only (errno %d: %s)", path, e,
                                 strerror(e));
    }
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == path ? 1 : slash - path) : 1,
             slash ? path : ".");
    if (access(dir, W_OK) != 0) {
        int e = errno;
        return vx__store_fail_as(s, VX__STORE_FAULT_CREATE,
                                 "sqlite: directory %s cannot be written (errno %d: %s); SQLite's "
                                 "write-ahead log needs to create files beside the database",
                                 dir, e, strerror(e));
    }
    return files_writable(s);
}

static const char *const MIGRATIONS[] = {
    VX__STORE_SCHEMA_V1("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"),
    VX__STORE_SCHEMA_V2("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"),
    VX__STORE_SCHEMA_V3("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"),
    VX__STORE_SCHEMA_V4("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"),
    VX__STORE_SCHEMA_V5("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL"),
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
        if (mkdir(dir, DIR_MODE) != 0 && errno != EEXIST) {
            int e = errno;
            rc = vx__store_fail_as(s, VX__STORE_FAULT_CREATE,
                                   "cannot create directory %s for the database (errno %d: %s)",
                                   dir, e, strerror(e));
        }
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

int vx__store_sqlite_open(vx__store *s, const char *path, bool writable)
{
    sqlite3 *db = NULL;

    s->be = &vx__store_sqlite_backend;
    int rc = make_parent_dir(s, path);
    if (rc != VX_OK)
        return rc;
    sq_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return VX_ENOMEM;
    s->db = c;
    if (!(c->path = strdup(path)))
        return VX_ENOMEM;
    int src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    c->db = db;
    if (!db)
        return VX_ENOMEM;
    sqlite3_extended_result_codes(db, 1);
    if (src != SQLITE_OK) {
        char what[PATH_MAX + 16];
        snprintf(what, sizeof what, "cannot open %s", path);
        return sq_fail(s, what);
    }
    /* Before configure(): turning WAL on already needs the directory. */
    if (writable && (rc = sq_check_writable(s)) != VX_OK)
        return rc;
    return configure(s);
}
