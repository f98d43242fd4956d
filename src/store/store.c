/*
 * store/store.c — owns the store handle: choosing the backend from the URL, opening and closing,
 * the last error, transactions, the statement helpers every operation uses, and running the
 * schema migrations at open. The operations themselves are in store_cycle.c (writes) and
 * store_query.c (reads); the databases are driven by store_sqlite.c and store_pg.c.
 */
#include "store/store_impl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "store/store_schema.h"
#include "voxdns/status.h"

const char *vx__store_last_error(const vx__store *s)
{
    return s ? s->err : "no store";
}

vx__store_fault vx__store_last_fault(const vx__store *s)
{
    return s && s->err[0] ? s->fault : VX__STORE_FAULT_NONE;
}

/* libpq's messages span lines ("...failed: No such file\n\tIs the server running...?\n");
 * an error is reported as one line: whitespace runs become one space, none trails. */
static void one_line(char *text)
{
    char *w = text;

    for (const char *r = text; *r; r++) {
        bool space = *r == '\n' || *r == '\t' || *r == '\r' || *r == ' ';
        if (!space)
            *w++ = *r;
        else if (w > text && w[-1] != ' ')
            *w++ = ' ';
    }
    while (w > text && w[-1] == ' ')
        w--;
    *w = '\0';
}

static int fail_v(vx__store *s, vx__store_fault fault, const char *fmt, va_list ap)
{
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    one_line(s->err);
    s->fault = fault;
    return VX_EIO;
}

int vx__store_fail(vx__store *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int rc = fail_v(s, VX__STORE_FAULT_IO, fmt, ap);
    va_end(ap);
    return rc;
}

int vx__store_fail_as(vx__store *s, vx__store_fault fault, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int rc = fail_v(s, fault, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- URL ----------------------------------------------------------------------------------- */

typedef enum url_kind { URL_SQLITE, URL_PG } url_kind;

/* The length of a leading "scheme:" (RFC 3986 letters), or 0 when the text has none. */
static size_t scheme_len(const char *url)
{
    if (!isalpha((unsigned char)url[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.')
        i++;
    return url[i] == ':' ? i : 0;
}

/* Splits the URL into a backend and what that backend is given (a path or a libpq URI). */
static int parse_url(const char *url, url_kind *kind, const char **target, char *err, size_t errcap)
{
    size_t n = url ? scheme_len(url) : 0;

    if (!url || !*url) {
        snprintf(err, errcap, "empty store URL (use sqlite:PATH or postgresql://...)");
        return VX_EINVAL;
    }
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        *kind = URL_PG;
        *target = url;
        return VX_OK;
    }
    if (n == 6 && strncmp(url, "sqlite", 6) == 0) {
        *kind = URL_SQLITE;
        *target = url + 7;
        if (strncmp(*target, "//", 2) == 0) /* sqlite:///abs/path */
            *target += 2;
        if (!**target) {
            snprintf(err, errcap, "store URL \"%s\" names no database file", url);
            return VX_EINVAL;
        }
        return VX_OK;
    }
    if (n > 0) {
        snprintf(err, errcap,
                 "unsupported store URL scheme \"%.*s\" (use sqlite:PATH or postgresql://...)",
                 (int)n, url);
        return VX_EINVAL;
    }
    *kind = URL_SQLITE;
    *target = url;
    return VX_OK;
}

/* ---- open / close -------------------------------------------------------------------------- */

/* A write that changes nothing but still goes through the journal and a commit to the disk:
 * what fails when the disk is full or the database refuses writes. */
int vx__store_probe_write(vx__store *s)
{
    int rc = vx__store_begin(s);

    if (rc == VX_OK)
        rc = vx__store_exec(s,
                            "UPDATE schema_version SET applied_ms = applied_ms"
                            " WHERE version = (SELECT max(version) FROM schema_version)",
                            NULL, 0);
    return vx__store_end(s, rc);
}

static int open_store(const char *url, vx__store **out, bool writable, vx__store_fault *fault,
                      char *err, size_t errcap)
{
    char scratch[8];
    url_kind kind;
    const char *target;

    if (!err || errcap == 0) {
        err = scratch;
        errcap = sizeof scratch;
    }
    err[0] = '\0';
    if (fault)
        *fault = VX__STORE_FAULT_NONE;
    if (!out)
        return VX_EINVAL;
    *out = NULL;
    int rc = parse_url(url, &kind, &target, err, errcap);
    if (rc != VX_OK)
        return rc;
    vx__store *s = calloc(1, sizeof *s);
    if (!s)
        return VX_ENOMEM;
    rc = kind == URL_PG ? vx__store_pg_open(s, target) : vx__store_sqlite_open(s, target, writable);
    if (rc == VX_OK)
        rc = vx__store_migrate(s);
    if (rc == VX_OK && writable)
        rc = vx__store_probe_write(s);
    if (rc != VX_OK) {
        snprintf(err, errcap, "%s", s->err[0] ? s->err : vx_strerror(rc));
        if (fault)
            *fault = s->err[0] ? s->fault : VX__STORE_FAULT_IO;
        vx__store_close(s);
        return rc;
    }
    *out = s;
    return VX_OK;
}

int vx__store_open(const char *url, vx__store **out, char *err, size_t errcap)
{
    return open_store(url, out, false, NULL, err, errcap);
}

int vx__store_open_writable(const char *url, vx__store **out, vx__store_fault *fault, char *err,
                            size_t errcap)
{
    return open_store(url, out, true, fault, err, errcap);
}

void vx__store_close(vx__store *s)
{
    if (!s)
        return;
    if (s->be && s->db)
        s->be->close(s);
    free(s);
}

const char *vx__store_backend(const vx__store *s)
{
    return s && s->be ? s->be->name : "none";
}

/* ---- statements ---------------------------------------------------------------------------- */

int vx__store_exec(vx__store *s, const char *sql, const vx__sp *params, int n)
{
    vx__sq *q;
    int rc = s->be->query(s, sql, params, n, &q);

    if (rc != VX_OK)
        return rc;
    while ((rc = s->be->step(q)) == 1)
        ;
    s->be->finish(q);
    return rc < 0 ? rc : VX_OK;
}

int vx__store_query_int(vx__store *s, const char *sql, const vx__sp *params, int n, int64_t *out,
                        bool *found)
{
    vx__sq *q;
    int rc = s->be->query(s, sql, params, n, &q);

    if (rc != VX_OK)
        return rc;
    *found = false;
    rc = s->be->step(q);
    if (rc == 1 && !s->be->is_null(q, 0)) {
        *out = s->be->int64(q, 0);
        *found = true;
    }
    s->be->finish(q);
    return rc < 0 ? rc : VX_OK;
}

int vx__store_begin(vx__store *s)
{
    int rc = vx__store_exec(s, s->be->begin_sql, NULL, 0);

    s->in_tx = rc == VX_OK;
    return rc;
}

int vx__store_commit(vx__store *s)
{
    int rc = vx__store_exec(s, "COMMIT", NULL, 0);

    if (rc != VX_OK)
        vx__store_rollback(s);
    s->in_tx = false;
    return rc;
}

int vx__store_end(vx__store *s, int rc)
{
    if (rc == VX_OK)
        return vx__store_commit(s);
    if (s->in_tx)
        vx__store_rollback(s);
    return rc;
}

/* Keeps the error that made the caller roll back: a failing ROLLBACK says less. */
void vx__store_rollback(vx__store *s)
{
    char keep[sizeof s->err];

    memcpy(keep, s->err, sizeof keep);
    (void)vx__store_exec(s, "ROLLBACK", NULL, 0);
    memcpy(s->err, keep, sizeof keep);
    s->in_tx = false;
}

int vx__store_domain_id(vx__store *s, const char *domain, int64_t *id)
{
    vx__sp p[] = {VX__SP_T(domain)};
    bool found;

    int rc = vx__store_exec(
        s, "INSERT INTO domains (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", p, 1);
    if (rc == VX_OK)
        rc = vx__store_query_int(s, "SELECT id FROM domains WHERE name = $1", p, 1, id, &found);
    if (rc == VX_OK && !found)
        rc = vx__store_fail(s, "domain %s vanished while being added", domain);
    return rc;
}

/* ---- migrations ---------------------------------------------------------------------------- */

static int current_version(vx__store *s, int64_t *version)
{
    bool found;
    int rc = s->be->script(s, VX__STORE_SCHEMA_VERSION_TABLE);

    if (rc == VX_OK)
        rc = vx__store_query_int(s, "SELECT max(version) FROM schema_version", NULL, 0, version,
                                 &found);
    if (rc == VX_OK && !found)
        *version = 0;
    return rc;
}

static int apply(vx__store *s, int version)
{
    vx__sp p[] = {VX__SP_I(version), VX__SP_I(vx__wall_ms())};
    int rc = s->be->script(s, s->be->migrations[version - 1]);

    if (rc == VX_OK)
        rc = vx__store_exec(s, "INSERT INTO schema_version (version, applied_ms) VALUES ($1, $2)",
                            p, 2);
    if (rc != VX_OK) {
        char why[sizeof s->err];
        memcpy(why, s->err, sizeof why);
        vx__store_fail(s, "schema migration to version %d failed: %s", version, why);
    }
    return rc;
}

/* All in one transaction (both databases have transactional DDL): an interrupted migration
 * leaves the previous version whole. The lock makes a second process opening the same
 * database at the same moment wait, then find the work done. */
int vx__store_migrate(vx__store *s)
{
    int64_t version = 0;
    int rc = vx__store_begin(s);

    if (rc == VX_OK && s->be->migrate_lock_sql)
        rc = vx__store_exec(s, s->be->migrate_lock_sql, NULL, 0);
    if (rc == VX_OK)
        rc = current_version(s, &version);
    if (rc == VX_OK && version > s->be->migration_count)
        rc = vx__store_fail(s,
                            "database schema version %lld is newer than this voxdns knows (%d); "
                            "upgrade voxdns",
                            (long long)version, s->be->migration_count);
    for (int v = (int)version + 1; rc == VX_OK && v <= s->be->migration_count; v++)
        rc = apply(s, v);
    return vx__store_end(s, rc);
}
