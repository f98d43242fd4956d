/*
 * store/store.h — the monitor's history behind one interface, two backends: SQLite (the
 * embedded default: WAL, a versioned schema with migrations) and PostgreSQL (libpq), chosen by
 * URL: "sqlite:/var/lib/voxdns/voxdns.db" (or a bare path) or "postgresql://...".
 *
 * What it keeps: domains; each domain's accepted baseline snapshot; the snapshots that explain
 * events; events; the open conditions of the diff (model/event.h); per-server RTT samples;
 * which events the alert sinks have delivered.
 *
 * Nothing is lost: vx__store_commit_cycle() writes a cycle's snapshot, events, conditions and
 * RTT samples in ONE transaction, before anything is alerted; after a crash at any moment the
 * store holds either all of a cycle or none of it, and undelivered events are found again with
 * vx__store_undelivered(). Event ids increase with time.
 *
 * Errors: VX_OK, VX_EIO (the database failed; err says why), VX_EINVAL (bad URL), VX_ENOMEM.
 * An error names its cause as the database gave it: SQLite's message, extended result code and
 * the system errno behind it ("sqlite: disk I/O error (SQLITE_IOERR_WRITE; errno 5: Input/output
 * error)", "sqlite: database or disk is full (SQLITE_FULL)"), PostgreSQL's message and SQLSTATE.
 * A store handle is used from one thread at a time.
 *
 * SQLite writes its WAL index through a shared memory mapping of the -shm file; once that file
 * cannot be written (immutable, on a file system remounted read-only) a write through the
 * mapping is a SIGBUS, not an error. So before each statement outside a transaction and at
 * close the backend checks that the database's files are writable; when they are not, the
 * statement fails with the errno and the connection is closed without a checkpoint.
 */
#ifndef VX_STORE_STORE_H
#define VX_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/event.h"

typedef struct vx__store vx__store;

int vx__store_open(const char *url, vx__store **out, char *err, size_t errcap);
void vx__store_close(vx__store *s);

/* Why the store cannot be written: the monitor's exit status (sysexits) follows it. */
typedef enum vx__store_fault {
    VX__STORE_FAULT_NONE = 0,
    VX__STORE_FAULT_CREATE, /* cannot be created or opened for writing: a read-only file or
                               directory, a directory that cannot be made, no permission */
    VX__STORE_FAULT_IO      /* an I/O error: a full disk, a failing device, a database server
                               that cannot be reached or refuses the write */
} vx__store_fault;

/* vx__store_open, then proof that the store can be written (what the monitor needs before it
 * runs): the database file and its directory are writable (SQLite's WAL creates files beside
 * it) and one small transaction commits. On failure *fault says which kind (may be NULL). */
int vx__store_open_writable(const char *url, vx__store **out, vx__store_fault *fault, char *err,
                            size_t errcap);
/* One small transaction that commits (an UPDATE that changes nothing, through the journal and
 * fsync): whether the store takes writes now. */
int vx__store_probe_write(vx__store *s);
/* The kind of the last failure (VX__STORE_FAULT_NONE when none). */
vx__store_fault vx__store_last_fault(const vx__store *s);
const char *vx__store_backend(const vx__store *s); /* "sqlite" or "postgresql" */
/* The last failure, one line in the database's own words ("" when none). */
const char *vx__store_last_error(const vx__store *s);

/* The accepted baseline of a domain as snapshot JSON (malloc'd), or *json = NULL if none. */
int vx__store_get_baseline(vx__store *s, const char *domain, char **json, uint64_t *accepted_ms);
int vx__store_set_baseline(vx__store *s, const char *domain, const char *json, uint64_t now_ms);

int vx__store_get_conditions(vx__store *s, const char *domain, vx__conditions *out);

/* A provider's whole-zone copies (store_schema.h V5): JSON of model/zone.h copies. Setting a
 * domain's baseline (vx__store_set_baseline) makes each held copy its baseline too. */
typedef struct vx__store_zone {
    char *provider;
    char *held; /* the copy last transferred */
    uint64_t held_ms;
    char *baseline; /* the accepted copy */
    uint64_t accepted_ms;
} vx__store_zone;

/* Every provider's copies of the domain (*count 0 when none). */
int vx__store_get_zones(vx__store *s, const char *domain, vx__store_zone **out, size_t *count);
void vx__store_zones_free(vx__store_zone *zones, size_t count);
/* Writes the copy just transferred from provider; the first one is the baseline as well. */
int vx__store_put_zone(vx__store *s, const char *domain, const char *provider,
                       const char *held_json, uint64_t now_ms);

typedef struct vx__store_rtt_sample {
    const char *server; /* "name/address" */
    double rtt_ms;      /* < 0: no answer */
    uint64_t time_ms;
} vx__store_rtt_sample;

/* What the domain lists show of a domain after a full cycle. */
typedef struct vx__store_summary {
    const char *state;    /* "ok", "warning", "error" */
    unsigned findings[5]; /* by severity: info, notice, warning, error, critical */
    size_t open_conditions;
    const char *watch_plan; /* the domain's watch plan (stored text form); NULL: none, the
                               stored one is deleted */
} vx__store_summary;

/* One cycle, atomically: stores the snapshot JSON, assigns event ids and snapshot_id to the
 * events (written back into events->items), replaces the domain's open conditions by conds,
 * adds the RTT samples and, when summary is not NULL, replaces the domain's summary. */
int vx__store_commit_cycle(vx__store *s, const char *domain, const char *snapshot_json,
                           uint64_t time_ms, vx__events *events, const vx__conditions *conds,
                           const vx__store_rtt_sample *samples, size_t sample_count,
                           const vx__store_summary *summary);

/* Calls fn for every stored watch plan (domain, plan text) until fn returns non-zero (then
 * that value is returned); rows are read one at a time (100,000 plans are too many to hold). */
typedef int (*vx__store_plan_fn)(void *arg, const char *domain, const char *plan);
int vx__store_each_watch_plan(vx__store *s, vx__store_plan_fn fn, void *arg);

/* Every domain with its summary, by name. has_summary false: none written yet (a store from
 * before summaries, or a domain without a full cycle since). */
typedef struct vx__store_summary_row {
    char *domain;
    bool has_summary;
    char *state;
    unsigned findings[5];
    int64_t open_conditions;
    uint64_t audited_ms; /* the last full cycle */
    uint64_t cycle_ms;   /* the last cycle, quiet ones included */
} vx__store_summary_row;
int vx__store_summaries(vx__store *s, vx__store_summary_row **rows, size_t *count);
void vx__store_summary_rows_free(vx__store_summary_row *rows, size_t count);

/* RTT samples of many domains' quiet cycles (nothing else changed), in one transaction: the
 * monitor batches them so that a quiet domain costs no transaction of its own. Each domain's
 * summary records the cycle (its sample time) as its last. A domain not in the store yet is
 * skipped (it has had no full cycle). */
typedef struct vx__store_rtt_row {
    const char *domain;
    vx__store_rtt_sample sample;
} vx__store_rtt_row;
int vx__store_add_rtt_samples(vx__store *s, const vx__store_rtt_row *rows, size_t count);
/* Deletes at most limit RTT samples taken before before_ms, the oldest first. The monitor calls
 * it after each cycle with its rtt_retention, so the table stops growing. */
int vx__store_prune_rtt(vx__store *s, uint64_t before_ms, size_t limit);

/* Events with id > after_id (all domains when domain is NULL), oldest first, at most limit. */
int vx__store_events_since(vx__store *s, const char *domain, int64_t after_id, size_t limit,
                           vx__events *out);
/* Events with first_seen_ms >= since_ms, oldest first. */
int vx__store_events_since_time(vx__store *s, const char *domain, uint64_t since_ms, size_t limit,
                                vx__events *out);

/* The latest stored snapshot of a domain (JSON, malloc'd) or NULL. */
int vx__store_latest_snapshot(vx__store *s, const char *domain, char **json, int64_t *id);

/* Domains known to the store, sorted (malloc'd array of malloc'd strings). */
int vx__store_domains(vx__store *s, char ***names, size_t *count);

/* RTT samples of a domain's servers since since_ms (for the dashboard), oldest first. */
typedef struct vx__rtt_row {
    char *server;
    double rtt_ms;
    uint64_t time_ms;
} vx__rtt_row;
int vx__store_rtt_since(vx__store *s, const char *domain, uint64_t since_ms, vx__rtt_row **rows,
                        size_t *count);
void vx__rtt_rows_free(vx__rtt_row *rows, size_t count);

/* Alert delivery bookkeeping, per sink name. A sink is delivered to in event id order: marking
 * an event delivered marks every earlier one too (the row in deliveries records when; the
 * sink's cursor what is left). Undelivered: the events after the sink's cursor, in id order (all
 * of them for a sink never registered nor marked). Registering a sink the store does not know
 * yet sets its cursor after the last stored event: a sink added to a running installation gets
 * the events from then on, not the whole history; a known sink is left as it is. */
int vx__store_undelivered(vx__store *s, const char *sink, size_t limit, vx__events *out);
int vx__store_mark_delivered(vx__store *s, const char *sink, int64_t event_id, uint64_t now_ms);
int vx__store_register_sink(vx__store *s, const char *sink, uint64_t now_ms);

#endif
