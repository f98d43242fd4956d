/*
 * store/store_schema.h — the store's schema, written once for both databases: each migration is
 * a macro over the few types that differ (an ever-increasing id, a 64-bit integer, a double).
 *
 * Migrations are append-only: a released VX__STORE_SCHEMA_Vn never changes; a new version adds
 * VX__STORE_SCHEMA_Vn+1 with the ALTER/CREATE statements that lead to it, and each backend lists
 * it in its migrations table.
 *
 * Times are Unix milliseconds. Event type, severity and a condition's opened_by are stored as
 * their names ("RECORD-CHANGED", "warning"), so the history stays readable with plain SQL and
 * does not depend on the order of C enums. An event's old/new data are JSON arrays of strings.
 * conditions.event_id has no foreign key: a condition opened in the cycle being committed may
 * not know its event's id yet (0).
 */
#ifndef VX_STORE_STORE_SCHEMA_H
#define VX_STORE_STORE_SCHEMA_H

/* Kept outside the migrations: it records them. */
#define VX__STORE_SCHEMA_VERSION_TABLE                                                             \
    "CREATE TABLE IF NOT EXISTS schema_version ("                                                  \
    " version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)"

/* SERIAL: an id column that only grows (ids of deleted rows are never given again, so event ids
 * keep increasing with time once retention deletes old rows). */
#define VX__STORE_SCHEMA_V1(SERIAL, INT, REAL)                                                     \
    "CREATE TABLE domains ("                                                                       \
    " id " SERIAL ", name TEXT NOT NULL UNIQUE);"                                                  \
    "CREATE TABLE baselines ("                                                                     \
    " domain_id " INT " PRIMARY KEY REFERENCES domains(id),"                                       \
    " json TEXT NOT NULL, accepted_ms " INT " NOT NULL);"                                          \
    "CREATE TABLE snapshots ("                                                                     \
    " id " SERIAL ", domain_id " INT " NOT NULL REFERENCES domains(id),"                           \
    " time_ms " INT " NOT NULL, json TEXT NOT NULL);"                                              \
    "CREATE INDEX snapshots_by_domain ON snapshots (domain_id, id);"                               \
    "CREATE TABLE events ("                                                                        \
    " id " SERIAL ", domain_id " INT " NOT NULL REFERENCES domains(id),"                           \
    " type TEXT NOT NULL, severity TEXT NOT NULL, server TEXT, name TEXT,"                         \
    " rrtype " INT " NOT NULL, old_json TEXT NOT NULL, new_json TEXT NOT NULL,"                    \
    " old_ttl " INT " NOT NULL, new_ttl " INT " NOT NULL, check_id TEXT, message TEXT,"            \
    " first_seen_ms " INT " NOT NULL, last_seen_ms " INT " NOT NULL,"                              \
    " snapshot_id " INT " NOT NULL REFERENCES snapshots(id));"                                     \
    "CREATE INDEX events_by_domain ON events (domain_id, id);"                                     \
    "CREATE INDEX events_by_first_seen ON events (first_seen_ms, id);"                             \
    "CREATE INDEX events_by_domain_first_seen ON events (domain_id, first_seen_ms, id);"           \
    "CREATE TABLE conditions ("                                                                    \
    " domain_id " INT " NOT NULL REFERENCES domains(id), key TEXT NOT NULL,"                       \
    " opened_by TEXT NOT NULL, first_seen_ms " INT " NOT NULL,"                                    \
    " last_seen_ms " INT " NOT NULL, event_id " INT " NOT NULL, detail TEXT,"                      \
    " PRIMARY KEY (domain_id, key));"                                                              \
    "CREATE TABLE rtt_samples ("                                                                   \
    " id " SERIAL ", domain_id " INT " NOT NULL REFERENCES domains(id),"                           \
    " server TEXT NOT NULL, rtt_ms " REAL " NOT NULL, time_ms " INT " NOT NULL);"                  \
    "CREATE INDEX rtt_by_domain_time ON rtt_samples (domain_id, time_ms, id);"                     \
    "CREATE TABLE deliveries ("                                                                    \
    " sink TEXT NOT NULL, event_id " INT " NOT NULL REFERENCES events(id),"                        \
    " delivered_ms " INT " NOT NULL, PRIMARY KEY (sink, event_id));"

/* Per sink, the id of the last event delivered: deliveries go in id order, so "undelivered" is
 * everything after it, found by the primary key however long the history grows. A sink first
 * registered by the monitor starts after the events stored before it existed. */
#define VX__STORE_SCHEMA_V2(SERIAL, INT, REAL)                                                     \
    "CREATE TABLE sink_cursors ("                                                                  \
    " sink TEXT PRIMARY KEY, event_id " INT " NOT NULL, updated_ms " INT " NOT NULL);"             \
    "INSERT INTO sink_cursors (sink, event_id, updated_ms)"                                        \
    " SELECT sink, max(event_id), max(delivered_ms) FROM deliveries GROUP BY sink;"

/* Per domain, what the domain lists (API, dashboard) show, written with each full cycle and
 * touched by each quiet one: no list has to parse every domain's snapshot. counts: findings by
 * severity, "info,notice,warning,error,critical". events_by_snapshot: a cycle's commit drops
 * the domain's earlier snapshots that no event points at. rtt_by_time: RTT samples older than
 * the retention are deleted. */
#define VX__STORE_SCHEMA_V3(SERIAL, INT, REAL)                                                     \
    "CREATE TABLE domain_summaries ("                                                              \
    " domain_id " INT " PRIMARY KEY REFERENCES domains(id), state TEXT NOT NULL,"                  \
    " counts TEXT NOT NULL, open_conditions " INT " NOT NULL, audited_ms " INT " NOT NULL,"        \
    " cycle_ms " INT " NOT NULL);"                                                                 \
    "CREATE INDEX events_by_snapshot ON events (snapshot_id);"                                     \
    "CREATE INDEX rtt_by_time ON rtt_samples (time_ms);"

/* Per domain, the monitor's watch plan (probe/watch.h, its stored text form) as of the last full
 * cycle, written in that cycle's transaction and deleted in one that leaves the domain
 * unwatchable: a restarted monitor starts with quiet cycles instead of a full audit of every
 * domain. */
#define VX__STORE_SCHEMA_V4(SERIAL, INT, REAL)                                                     \
    "CREATE TABLE watch_plans ("                                                                   \
    " domain_id " INT " PRIMARY KEY REFERENCES domains(id), plan TEXT NOT NULL);"

/* Per domain and provider, the monitor's whole-zone copies (monitor/zonewatch.c): the one last
 * transferred (held: the next IXFR starts from its serial) and the accepted one (baseline: the
 * zone-wide RECORD-* events compare with it), each a zone copy in JSON (vx__zone_copy_to_json).
 * The first copy of a provider is its baseline; accepting a domain's baseline accepts its held
 * copies too. Kept apart from the snapshots so that a cycle's snapshot does not carry the zone. */
#define VX__STORE_SCHEMA_V5(SERIAL, INT, REAL)                                                     \
    "CREATE TABLE zone_copies ("                                                                   \
    " domain_id " INT " NOT NULL REFERENCES domains(id), provider TEXT NOT NULL,"                  \
    " held TEXT NOT NULL, held_ms " INT " NOT NULL, baseline TEXT NOT NULL,"                       \
    " accepted_ms " INT " NOT NULL, PRIMARY KEY (domain_id, provider));"

#endif
