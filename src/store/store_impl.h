/*
 * store/store_impl.h — what the store's generic half (store.c, store_cycle.c, store_query.c)
 * and its two backends (store_sqlite.c, store_pg.c) share: the handle, typed query parameters,
 * a row cursor, the backend table, and small helpers that run one statement.
 *
 * All SQL is written once, with $1, $2, ... placeholders that both databases understand (SQLite
 * binds them by name), so the backends only know how to run a statement and read its rows.
 * Data never becomes part of SQL text.
 */
#ifndef VX_STORE_STORE_IMPL_H
#define VX_STORE_STORE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The store's last error message ("" when none): the database's own words when it failed. */

typedef enum vx__sp_kind { VX__SP_TEXT, VX__SP_INT, VX__SP_REAL } vx__sp_kind;

/* One statement parameter; a TEXT parameter whose text is NULL binds SQL NULL. */
typedef struct vx__sp {
    vx__sp_kind kind;
    const char *text;
    int64_t i;
    double d;
} vx__sp;

#define VX__SP_T(s) ((vx__sp){.kind = VX__SP_TEXT, .text = (s)})
#define VX__SP_I(v) ((vx__sp){.kind = VX__SP_INT, .i = (int64_t)(v)})
#define VX__SP_R(v) ((vx__sp){.kind = VX__SP_REAL, .d = (v)})

typedef struct vx__sq vx__sq; /* a running statement and its current row (backend-defined) */

typedef struct vx__store_driver {
    const char *name;
    /* Prepares and starts a statement; on failure sets the error and returns VX_EIO. */
    int (*query)(vx__store *s, const char *sql, const vx__sp *params, int n, vx__sq **out);
    int (*step)(vx__sq *q); /* 1: a row is current, 0: done, VX_EIO */
    bool (*is_null)(vx__sq *q, int col);
    const char *(*text)(vx__sq *q, int col); /* valid until the next step */
    int64_t (*int64)(vx__sq *q, int col);
    double (*real)(vx__sq *q, int col);
    void (*finish)(vx__sq *q);
    int (*script)(vx__store *s, const char *sql); /* several statements, no parameters */
    void (*close)(vx__store *s);
    const char *begin_sql;         /* a write transaction */
    const char *migrate_lock_sql;  /* taken in the migration transaction, or NULL */
    const char *cycle_lock_sql;    /* taken in a cycle's transaction, or NULL */
    const char *const *migrations; /* migrations[v - 1] brings the schema to version v */
    int migration_count;
} vx__store_driver;

struct vx__store {
    const vx__store_driver *be;
    void *db; /* sqlite3 * or PGconn * */
    bool in_tx;
    vx__store_fault fault; /* what kind of failure err describes */
    char err[512];
};

extern const vx__store_driver vx__store_sqlite_backend;
extern const vx__store_driver vx__store_pg_backend;

/* writable: the files and the directory must be writable (a monitor's store). */
int vx__store_sqlite_open(vx__store *s, const char *path, bool writable);
int vx__store_pg_open(vx__store *s, const char *conninfo);

/* Records an error message (printf-style) and returns VX_EIO; the fault is VX__STORE_FAULT_IO
 * unless the backend set another one (vx__store_fail_as). */
int vx__store_fail(vx__store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vx__store_fail_as(vx__store *s, vx__store_fault fault, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs a statement to its end, ignoring any rows. */
int vx__store_exec(vx__store *s, const char *sql, const vx__sp *params, int n);
/* Runs a statement whose first row's first column is an integer; *found false if no row. */
int vx__store_query_int(vx__store *s, const char *sql, const vx__sp *params, int n, int64_t *out,
                        bool *found);

int vx__store_begin(vx__store *s);
int vx__store_commit(vx__store *s);
void vx__store_rollback(vx__store *s);
/* Ends the transaction a write began: COMMIT when rc is VX_OK, else ROLLBACK (if one is open)
 * and rc again. */
int vx__store_end(vx__store *s, int rc);

/* The id of a domain, created if missing (inside the caller's transaction). */
int vx__store_domain_id(vx__store *s, const char *domain, int64_t *id);

/* Runs the migrations the database lacks, in one transaction. */
int vx__store_migrate(vx__store *s);

#endif
