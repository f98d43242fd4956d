/*
 * monitor/config.h — the monitor's YAML configuration (voxdns.yml(5)): every key has a default,
 * every error is reported once as "FILE:LINE:COLUMN: message" (the daemon exits 78, EX_CONFIG).
 *
 *   interval: 5m             # 30s, 5m, 1h; at least 1s
 *   hints: /path/root.hints  # default: IANA's root servers, built in
 *   store: sqlite:/var/lib/voxdns/voxdns.db   # or a bare path, or postgresql://...
 *   listen: 127.0.0.1:9153   # HTTP: /metrics, /api/v1/..., the dashboard
 *   token: SECRET            # required by the write API (baseline accept); none: writes refused
 *   log_level: info          # debug, info, notice, warning, error
 *   serial_lag: 0s           # SERIAL-LAG once a secondary is behind this long
 *   asn_db: /path/pfx2as     # optional: the ASN checks
 *   endpoints: true          # SIP OPTIONS and TLS to every SIP target tuple, every cycle
 *   ca_file: /path/ca.pem    # trust anchors for the SIP targets' TLS, added to the system's
 *   server_rate: 500         # queries per second to any one server address; 0: no limit
 *   audit_interval: 24h      # a full audit of each domain at least this often; 0s: every cycle
 *   watch_threads: 2         # threads for the quiet watches (default: one per core, at most 8)
 *   rtt_retention: 7d        # RTT samples older than this are deleted; 0s: kept for ever
 *   notify_listen: [192.0.2.53, "[2001:db8::53]:5300"]   # NOTIFY over UDP and TCP (port 53)
 *   notify_allow: [198.51.100.1, 2001:db8:1::/48]        # sources taken (none: any)
 *   notify_keys: ["hmac-sha256:notify-key:BASE64"]       # a TSIG by one of them is required
 *   propagation_slow: 5m     # PROPAGATION-SLOW when a server has not served a new serial
 *   domains:
 *     - name: example.com
 *       profile: generic     # generic, lync, teams, enum
 *       alt_domains: [example.net]
 *       records:             # extra name/type pairs to watch
 *         - {name: sbc1.example.com, type: A}
 *   resolvers:               # recursive resolvers the phones use, watched too
 *     - 192.0.2.99
 *     - {name: office-resolver, address: "[2001:db8::53]:53"}
 *   alerts:
 *     - {type: log, min_severity: warning}
 *     - {type: webhook, url: "https://hooks.example/T0", min_severity: error,
 *        retries: 5, timeout: 10s}
 *     - {type: command, command: "/usr/local/bin/page-oncall", min_severity: critical}
 *   flap:                    # alert suppression for conditions that come and go
 *     window: 1h
 *     max_changes: 4
 *   http:                    # limits of the HTTP server (http/http.h); these are the defaults
 *     max_connections: 4096  # at once (lowered to the descriptors the process can have)
 *     max_per_ip: 1024       # at once from one client address
 *     request_timeout: 15s   # absolute: to send a whole request, and to read its answer
 *     idle_timeout: 10s      # a silent connection is closed
 *     workers: 2             # threads, each with its own store handle, for the store routes
 *     queue: 256             # store requests waiting for a worker; beyond: 503
 */
#ifndef VX_MONITOR_CONFIG_H
#define VX_MONITOR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "check/check.h"
#include "check/providers.h"
#include "wire/xfr.h"
#include "http/http.h"
#include "wire/addr.h"
#include "wire/xfr.h"

#define VX__EXIT_CONFIG 78 /* EX_CONFIG */
#define VX__DEFAULT_STORE "sqlite:/var/lib/voxdns/voxdns.db"
#define VX__DEFAULT_LISTEN "127.0.0.1:9153"
#define VX__DEFAULT_SERVER_RATE 500u

typedef struct vx__watched_record {
    char *name; /* normalised */
    uint16_t type;
} vx__watched_record;

/* tsig: PROVIDER: "[ALGORITHM:]NAME:SECRET" — the key to transfer the zone from that provider. */
typedef struct vx__provider_tsig {
    char *provider;
    vx__tsig_key key;
} vx__provider_tsig;

typedef struct vx__monitor_domain {
    char *name;    /* normalised "example.com." */
    char *profile; /* default "generic" */
    char **alt_domains;
    size_t alt_count;
    vx__watched_record *records;
    size_t record_count;
    vx__provider_decl *providers; /* providers: NAME: [NS, ...] (check/providers.h) */
    size_t provider_count;
    int dual_primary;             /* dual_primary: true/false; VX__DUAL_AUTO when absent */
    uint64_t propagation_slow_ms; /* propagation_slow for this domain; 0: the global one */
    vx__provider_tsig *tsig;
    size_t tsig_count;
    int zone_watch; /* zone_watch: 1 true, 0 false, -1 absent (the global setting decides) */
} vx__monitor_domain;

typedef struct vx__monitor_resolver {
    char *name; /* the label used in events and metrics (default: the address text) */
    struct sockaddr_storage addr;
} vx__monitor_resolver;

typedef enum vx__sink_type { VX__SINK_LOG = 0, VX__SINK_WEBHOOK, VX__SINK_COMMAND } vx__sink_type;

typedef struct vx__sink_config {
    vx__sink_type type;
    char *name;                /* unique; default "log", "webhook-1", "command-1", ... */
    vx__severity min_severity; /* default warning */
    char *url;                 /* webhook */
    unsigned retries;          /* webhook: default 5 */
    uint32_t timeout_ms;       /* webhook and command: default 10 s */
    char *command;             /* command: run with /bin/sh -c, the event JSON on stdin */
} vx__sink_config;

typedef struct vx__monitor_config {
    char *path;           /* the file it came from */
    uint32_t interval_ms; /* default 300000 */
    char *hints;          /* NULL: built-in */
    char *store;          /* default VX__DEFAULT_STORE */
    char *listen;         /* default VX__DEFAULT_LISTEN */
    char *token;          /* NULL: the write API refuses everything */
    char *log_level;      /* default "info" */
    uint64_t serial_lag_ms;
    char *asn_db;
    bool endpoints; /* probe the SIP targets (default true) */
    char *ca_file;  /* extra TLS trust anchors for them, or NULL */
    vx__monitor_domain *domains;
    size_t domain_count;
    vx__monitor_resolver *resolvers;
    size_t resolver_count;
    vx__sink_config *sinks;
    size_t sink_count;
    uint32_t flap_window_ms;    /* default 1 h */
    unsigned flap_max_changes;  /* default 4 */
    unsigned server_rate;       /* queries/s per server address, 0: no limit; default 500 */
    uint64_t audit_interval_ms; /* full audit at least this often (default 24 h); 0: always */
    unsigned watch_threads;     /* 0 (default): one per core, at most 8 */
    uint64_t rtt_retention_ms;  /* default 7 days; 0: kept */
    bool zone_watch;            /* whole zones watched where a transfer is allowed (true) */
    uint64_t zone_refresh_ms;   /* a whole transfer at least this often (default 1 h) */
    vx__http_limits http;       /* default vx__http_limits_default() */
    /* NOTIFY (monitor/notify.h): at least one of notify_allow and notify_keys is required with
     * notify_listen; when both are given a NOTIFY must satisfy both. */
    struct sockaddr_storage *notify_listen; /* ADDR[:PORT], port 53 by default */
    size_t notify_listen_count;
    vx__addr_block *notify_allow;
    size_t notify_allow_count;
    vx__tsig_key *notify_keys;
    size_t notify_key_count;
    uint64_t propagation_slow_ms; /* default 5 min */
} vx__monitor_config;

/* Reads and validates a file. On error: VX_EINVAL (or VX_EIO when unreadable) and err holds one
 * line "FILE:LINE:COLUMN: message" (line and column 1-based; for an unreadable file
 * "FILE: reason"). */
int vx__monitor_config_load(const char *path, vx__monitor_config **out, char *err, size_t errcap);
/* The same from text (name is used in messages). */
int vx__monitor_config_parse(const char *name, const char *text, size_t len,
                             vx__monitor_config **out, char *err, size_t errcap);
void vx__monitor_config_free(vx__monitor_config *cfg);

/* "30s", "5m", "1h", "1h30m", "250ms" → milliseconds; VX_EINVAL otherwise. */
int vx__duration_parse(const char *text, uint64_t *ms);

#endif
