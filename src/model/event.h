/*
 * model/event.h — the monitor's events (CHECKS.md, "monitor events") and the open conditions
 * they announce: values shared by monitor/ (whose diff produces them, monitor/diff.h), store/
 * (which keeps them) and http/ (which shows them).
 *
 * A *condition* is something that is currently true and was announced once by an event: a
 * server's answer differs from the baseline, a server is down, a secondary lags, a finding is
 * present. The diff opens a condition (and emits its event) the first cycle it holds, refreshes
 * its last_seen while it holds, and closes it (emitting CHANGE-REVERTED, NS-RECOVERED, or
 * FINDING-CLEARED) when it no longer holds. Conditions are stored with the cycle's events in one
 * transaction, so a restart (even after kill -9) neither loses nor repeats an event.
 *
 */
#ifndef VX_MODEL_EVENT_H
#define VX_MODEL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/severity.h"

typedef enum vx__event_type {
    VX__EV_RECORD_CHANGED = 0, /* a server's data for (name, type) differs from the baseline */
    VX__EV_RECORD_ADDED,       /* a server answers data where the baseline had none */
    VX__EV_RECORD_REMOVED,     /* a server has no data where the baseline had some */
    VX__EV_TTL_CHANGED,        /* same data, another TTL */
    VX__EV_CHANGE_REVERTED,    /* a change (any of the four above) went away again */
    VX__EV_NS_DOWN,            /* an authoritative address stopped answering */
    VX__EV_NS_RECOVERED,       /* it answers again */
    VX__EV_SERIAL_LAG,         /* an address serves an older SOA serial than the highest seen
                                  for longer than the threshold; closing it records how long the
                                  secondary took to catch up */
    VX__EV_RESOLVER_DOWN,      /* a watched recursive resolver stopped answering */
    VX__EV_RESOLVER_MISMATCH,  /* a watched resolver answers differently from the
                                  authoritative servers */
    VX__EV_FINDING_APPEARED,   /* a check finding appeared (event "check" names the id) */
    VX__EV_FINDING_CLEARED,    /* it cleared */
    /* What a hijacker touches (docs/events.md "Hijack surface"); each closes with
     * CHANGE-REVERTED when the data is as in the baseline again. */
    VX__EV_DELEGATION_CHANGED, /* a parent server's NS set or glue for the domain differs */
    VX__EV_DS_CHANGED,         /* a parent server's DS RRset differs (or appeared) */
    VX__EV_DS_REMOVED,         /* a parent server has no DS where the baseline had one */
    VX__EV_NS_ADDRESS_CHANGED, /* an NS host's A/AAAA differs */
    VX__EV_SERVER_ADDED,       /* an address joined the domain's set of authoritative servers */
    VX__EV_SERVER_REMOVED,     /* an address left it */
    VX__EV_ACME_CHALLENGE_APPEARED, /* _acme-challenge TXT where the baseline had none */
    VX__EV_CAA_CHANGED,             /* a CAA RRset differs (added, changed or removed) */
    /* SIP endpoints (docs/events.md "SIP endpoints"): one tuple (target, address, port,
     * transport) of the domain's RFC 3263 chain. */
    VX__EV_SIP_TARGET_DOWN,      /* it does not answer OPTIONS (or its TLS handshake fails) */
    VX__EV_SIP_TARGET_RECOVERED, /* it answers again */
    VX__EV_CERT_CHANGED, /* its TLS leaf certificate differs from the baseline's (closes with
                           CHANGE-REVERTED) */
    /* Propagation (monitor/propagation.h): an address has not served a new serial
     * propagation_slow after its NOTIFY (or first sighting); closing it (notice) records how
     * long it took. */
    VX__EV_PROPAGATION_SLOW
} vx__event_type;

#define VX__EV_TYPE_COUNT 24
/* "RECORD-CHANGED", ...; FINDING-APPEARED / FINDING-CLEARED for the finding events. */
const char *vx__event_type_name(vx__event_type t);
int vx__event_type_from_name(const char *name, vx__event_type *out);

typedef struct vx__event {
    int64_t id; /* assigned by the store; 0 before */
    vx__event_type type;
    vx__severity severity;
    char *domain;    /* "example.com" (no trailing dot) */
    char *server;    /* "ns1.example.net/192.0.2.1", or NULL when not about one server */
    char *name;      /* owner name "sip.example.com", or NULL */
    uint16_t rrtype; /* 0 when not about records */
    char **old_data; /* canonical rdata strings (RRset form), old_count entries */
    size_t old_count;
    char **new_data;
    size_t new_count;
    uint32_t old_ttl; /* 0 when none */
    uint32_t new_ttl;
    char *check;            /* finding events: the check id; else NULL */
    char *message;          /* one sentence for people */
    uint64_t first_seen_ms; /* when the condition was first observed (Unix ms) */
    uint64_t last_seen_ms;  /* when it was last observed (for a closing event: when it ended) */
    int64_t snapshot_id;    /* the stored snapshot that shows it (0 before storing) */
} vx__event;

typedef struct vx__events {
    vx__event *items;
    size_t count;
    size_t cap;
} vx__events;

void vx__event_clear(vx__event *e);
void vx__events_clear(vx__events *list);
int vx__events_push(vx__events *list, const vx__event *e); /* deep copy */

/* An open condition. key identifies it within a domain, e.g.
 * "record|ns1.example.net/192.0.2.1|sip.example.com.|A", "down|ns1.../192.0.2.1",
 * "lag|ns2.../198.51.100.1", "finding|NS-SLOW|ns1.../192.0.2.1", "resolver|192.0.2.99". */
typedef struct vx__condition {
    char *key;
    vx__event_type opened_by;
    uint64_t first_seen_ms;
    uint64_t last_seen_ms;
    int64_t event_id; /* the event that opened it */
    char *detail;     /* JSON text the diff keeps for itself (e.g. the changed data) */
} vx__condition;

typedef struct vx__conditions {
    vx__condition *items;
    size_t count;
    size_t cap;
} vx__conditions;

void vx__conditions_clear(vx__conditions *c);
/* A domain's state as the lists show it: "error", "warning" or "ok", the worst of its findings
 * (counts by severity) and of what its open conditions say (a changed record or a down server
 * is an error, a lagging secondary a warning). */
const char *vx__domain_state(const size_t counts[VX__SEV_COUNT], const vx__conditions *conds);
int vx__conditions_put(vx__conditions *c, const vx__condition *cond); /* deep copy, by key */
const vx__condition *vx__conditions_get(const vx__conditions *c, const char *key);

/* JSON of one event as the API returns it:
 * {"id":..,"type":"RECORD-CHANGED","severity":..,"domain":..,"server":..,"name":..,
 *  "rrtype":"A","old":[..],"new":[..],"first_seen":"RFC 3339","last_seen":..,"message":..}
 * (malloc'd). */
char *vx__event_to_json(const vx__event *e);

#endif
