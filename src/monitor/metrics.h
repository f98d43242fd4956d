/*
 * monitor/metrics.h — the monitor's Prometheus metrics, every name prefixed voxdns_:
 *   voxdns_server_up{domain,server,address,provider}         1/0
 *   voxdns_server_rtt_seconds{domain,server,address,provider} histogram (1 ms .. 5 s)
 *   voxdns_soa_serial{domain,server,address,provider}        gauge
 *   voxdns_findings{domain,check,severity}                   gauge (current)
 *   voxdns_events_total{domain,type}                         counter
 *   voxdns_cycle_duration_seconds{domain}                    gauge (last cycle)
 *   voxdns_cycles_total{domain}                              counter
 *   voxdns_queries_total{domain,qtype,result}                counter (result: ok, timeout,
 *                                                            refused, error, skipped)
 *   voxdns_resolver_up{resolver}                             1/0
 *   voxdns_zone_transfers_total{domain,provider,kind}        counter (kind: axfr, ixfr)
 *   voxdns_sip_target_up{domain,target,address,transport}    1/0 (OPTIONS answered)
 *   voxdns_sip_options_rtt_seconds{domain,target,address,transport}   gauge (last answer)
 *   voxdns_tls_cert_not_after_seconds{domain,target,address,transport} gauge (leaf expiry)
 *   voxdns_propagation_seconds{domain,provider,server}      histogram (buckets 1 s .. 30 min)
 *   voxdns_store_up                                          1/0 (the last store write)
 *   voxdns_store_errors_total                                counter (failed store operations)
 *   voxdns_store_pending_events                              gauge (alerted, not stored yet)
 *   voxdns_store_dropped_events_total                        counter (never stored: queue full)
 * Label values are escaped per the text exposition format. Thread-safe: the daemon records
 * after each cycle, the HTTP thread renders.
 */
#ifndef VX_MONITOR_METRICS_H
#define VX_MONITOR_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "check/check.h"
#include "model/event.h"
#include "model/snapshot.h"

typedef struct vx__metrics vx__metrics;

vx__metrics *vx__metrics_new(void);
void vx__metrics_free(vx__metrics *m);

/* Records one domain's cycle (replaces that domain's gauges, adds to its counters); each
 * server's provider label is inferred from the snapshot (check/providers.h). */
int vx__metrics_record_cycle(vx__metrics *m, const char *domain, const vx__snapshot *snap,
                             const vx__findings *findings, const vx__events *events,
                             double cycle_ms);
/* The same with the domain's provider map (declared providers included; NULL: provider ""). */
struct vx__provider_map;
int vx__metrics_record_cycle_with(vx__metrics *m, const char *domain, const vx__snapshot *snap,
                                  const struct vx__provider_map *pm, const vx__findings *findings,
                                  const vx__events *events, double cycle_ms);
int vx__metrics_record_resolver(vx__metrics *m, const char *resolver, int up);
/* One transfer of the zone watch: voxdns_zone_transfers_total{domain,provider,kind}. */
int vx__metrics_zone_transfer(vx__metrics *m, const char *domain, const char *provider,
                              bool incremental);

/* One answer of a quiet cycle (probe/watch.h). */
typedef struct vx__metrics_answer {
    const char *server; /* NS name */
    const struct sockaddr *addr;
    const char *qname;
    uint16_t qtype;
    bool data; /* a DATA question: its RTT goes into the server's histogram */
    int status;
    uint16_t rcode;
    double rtt_ms;
} vx__metrics_answer;

/* A quiet cycle: every answer as at the domain's last full cycle, so its gauges (up, serial,
 * findings) stay; its counters, RTT histograms and cycle duration are updated. */
int vx__metrics_record_quiet(vx__metrics *m, const char *domain, const vx__metrics_answer *answers,
                             size_t count, double cycle_ms);

/* A quiet cycle's SIP endpoint pings (probe/watch_ep.h): they replace the domain's
 * voxdns_sip_* and voxdns_tls_* gauges (a full cycle sets them from its snapshot). */
int vx__metrics_record_endpoints(vx__metrics *m, const char *domain, const vx__endpoint_obs *obs,
                                 size_t count);

/* One propagation measurement (monitor/propagation.h): what the histogram records and the
 * dashboard charts. Names without the trailing dot. */
#define VX__PROP_SAMPLES 1024u
typedef struct vx__prop_sample {
    char domain[256];
    char provider[256];
    char server[320]; /* "ns1.example.net/192.0.2.1" */
    uint32_t serial;
    double seconds;
    uint64_t at_ms; /* when the server was seen serving it (Unix ms) */
    bool notify;    /* timed from a NOTIFY (else from the cycle that first saw the serial) */
} vx__prop_sample;

/* Adds a measurement to the histogram and to the last VX__PROP_SAMPLES kept in memory. */
int vx__metrics_record_propagation(vx__metrics *m, const vx__prop_sample *s);
/* The kept measurements of domain (NULL: all), oldest first; at most cap. */
size_t vx__metrics_propagation_samples(vx__metrics *m, const char *domain, vx__prop_sample *out,
                                       size_t cap);

/* The store's health as the daemon sees it; the HTTP thread answers /healthz from it. */
typedef struct vx__store_health {
    bool up;
    char error[512];   /* the last failure ("" while up) */
    uint64_t since_ms; /* when it started failing (0 while up) */
    unsigned long errors_total;
    size_t pending_cycles; /* cycles kept in memory for the store */
    size_t pending_events;
    unsigned long dropped_events_total;
} vx__store_health;

/* A store operation failed (error: its message): down, one more error. */
void vx__metrics_store_failed(vx__metrics *m, const char *error, uint64_t now_ms);
/* A store write succeeded: up. */
void vx__metrics_store_ok(vx__metrics *m);
void vx__metrics_store_pending(vx__metrics *m, size_t cycles, size_t events,
                               unsigned long dropped_total);
void vx__metrics_store_health(vx__metrics *m, vx__store_health *out);

/* The exposition text (malloc'd). */
char *vx__metrics_render(vx__metrics *m);

#endif
