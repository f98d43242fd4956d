/*
 * report/report_impl.h — internal to report/: a growing text buffer with HTML escaping, the
 * small formatting helpers every format shares (times, durations, names without their trailing
 * dot, severity counts), and the report model: the facts the JSON and HTML forms show beside
 * the findings (per-server latency, serial and NSID; the SIP chain NAPTR → SRV → host →
 * address), derived once from the snapshot.
 */
#ifndef VX_REPORT_IMPL_H
#define VX_REPORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/report.h"
#include "wire/addr.h"
#include "wire/name.h"

/* ---- buffer ---------------------------------------------------------------------------- */

typedef struct vx__rbuf {
    char *s;
    size_t len, cap;
    bool oom; /* sticky: once set, further writes are ignored and take() gives NULL */
} vx__rbuf;

void vx__rb_puts(vx__rbuf *b, const char *s);
void vx__rb_printf(vx__rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text safe inside HTML elements and quoted attributes (& < > " ' escaped; control characters
 * become '?'). */
void vx__rb_html(vx__rbuf *b, const char *s);
/* Text safe on a terminal: control characters (ESC included) become '?'. */
void vx__rb_plain(vx__rbuf *b, const char *s);
/* The string (caller frees), or NULL after an allocation failure; the buffer is reset. */
char *vx__rb_take(vx__rbuf *b);

/* ---- formatting ------------------------------------------------------------------------ */

/* "example.com" for "example.com." (the root stays "."). */
void vx__report_name(const char *name, char *out, size_t cap);
/* RFC 3339 UTC, seconds ("2024-01-01T12:00:00Z"). */
void vx__report_time(uint64_t ms, char *out, size_t cap);
/* A span for people: "45 s", "30 min", "2 h 5 min", "3 days". */
void vx__report_span(double seconds, char *out, size_t cap);
/* Findings per severity (index vx__severity). */
void vx__report_counts(const vx__findings *f, size_t counts[VX__SEV_COUNT]);
const char *vx__report_profile(const vx__report_input *in);

/* ---- model ----------------------------------------------------------------------------- */

typedef struct vx__rserver {
    char label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 2];
    char name[VX__NAME_TEXT_MAX]; /* without trailing dot */
    char address[VX__ADDR_TEXT_MAX];
    bool up;       /* answered at least one question over UDP */
    double rtt_ms; /* median of answered UDP DATA questions; < 0 when none */
    bool has_serial;
    uint32_t serial;
    const char *nsid; /* borrowed from the snapshot, NULL when none */
    char provider[VX__PROVIDER_NAME_MAX + VX__NAME_TEXT_MAX];
} vx__rserver;

typedef struct vx__rnaptr {
    uint16_t order, preference;
    char *flags, *service, *regexp;
    char *replacement; /* without trailing dot */
    uint32_t ttl;
} vx__rnaptr;

typedef struct vx__rsrv {
    char *name; /* owner, without trailing dot */
    uint16_t priority, weight, port;
    char *target; /* without trailing dot */
    uint32_t ttl;
} vx__rsrv;

typedef struct vx__rtarget {
    char *host;
    char **addresses;
    size_t address_count;
    bool has_ttl;
    uint32_t ttl; /* the smaller of the A and AAAA TTLs */
} vx__rtarget;

typedef struct vx__rmodel {
    vx__rserver *servers;
    size_t server_count, up_count;
    vx__rnaptr *naptr;
    size_t naptr_count;
    vx__rsrv *srv;
    size_t srv_count;
    vx__rtarget *targets;
    size_t target_count;
} vx__rmodel;

int vx__rmodel_build(const vx__snapshot *snap, vx__rmodel *m);
/* The same with the servers' providers taken from pm (NULL: inferred as vx__report_providers). */
int vx__rmodel_build_with(const vx__snapshot *snap, const vx__provider_map *pm, vx__rmodel *m);
/* The input's provider map, or one inferred into own (freed by the caller with
 * vx__providers_free when *use == own). */
int vx__report_providers(const vx__report_input *in, vx__provider_map *own,
                         const vx__provider_map **use);
void vx__rmodel_free(vx__rmodel *m);
/* --ns: the live delegation's servers (with their providers) in m; VX_ENOTFOUND when the
 * snapshot is not undelegated or has no live audit. */
int vx__rmodel_build_live(const vx__report_input *in, vx__rmodel *m);
/* "ns1.example.net/192.0.2.1" or "ns1.example.net" for each server given with --ns. */
void vx__report_given(const vx__ns_spec *g, char *out, size_t cap);

/* ---- HTML pieces (svg.c) --------------------------------------------------------------- */

void vx__svg_survival(vx__rbuf *b, const vx__snapshot *snap, const vx__survival *sv);
void vx__svg_rtt(vx__rbuf *b, const vx__rmodel *m);
void vx__svg_chain(vx__rbuf *b, const vx__rmodel *m);

#endif
