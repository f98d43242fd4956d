/*
 * model/snapshot.h — everything the audit observed about one SIP domain's DNS, and nothing it
 * concluded. probe/audit.c fills it from the network; check/ reads it and never does I/O; it
 * serialises to JSON (`voxdns audit --save`) and back (`--from`), so every check can be replayed
 * on a recorded snapshot without a network (DNSViz's probe/grok split).
 *
 * A snapshot is a flat list of observations: one question asked of one server address over one
 * transport, with the response's rcode, header flags and its sections as canonical RRsets. The
 * delegation facts (which zone is the parent, which servers it has) sit beside the list.
 * Ownership: a snapshot owns every string, RRset and nested snapshot it points to;
 * vx__snapshot_free() releases all of it.
 */
#ifndef VX_MODEL_SNAPSHOT_H
#define VX_MODEL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "model/endpoint.h"
#include "model/transport.h"
#include "model/servers.h"
#include "model/zone.h"
#include "wire/msg.h"
#include "wire/rrset.h"

#define VX__SNAPSHOT_SCHEMA "voxdns.snapshot/1"

/* Why a question was asked; checks select observations by kind. */
typedef enum vx__probe_kind {
    VX__PROBE_PARENT = 0, /* the domain's NS asked of a parent-zone server (RD off): referral */
    VX__PROBE_DS,         /* the domain's DS asked of a parent-zone server */
    VX__PROBE_RESOLVE,    /* an iterative walk's final answer (server = the one that answered):
                             NS-name addresses, out-of-zone SRV targets, alternate domains */
    VX__PROBE_DATA,       /* a data question asked of an authoritative address (RD off, EDNS) */
    VX__PROBE_NOEDNS,     /* SOA without OPT: tells "drops EDNS" from "drops everything" */
    VX__PROBE_RECURSION,  /* RD on, a name outside every zone the server should serve */
    VX__PROBE_AXFR,       /* AXFR over TCP: the first message of the transfer */
    VX__PROBE_VERSION,    /* version.bind CH TXT */
    VX__PROBE_FOREIGN     /* a name outside the domain (an NS host's or a SIP target's address,
                             a target's CAA) asked of every address of its own zone that the
                             walk to it knew (RD off, EDNS): its owner's authoritative data */
} vx__probe_kind;

const char *vx__probe_kind_name(vx__probe_kind k);
int vx__probe_kind_from_name(const char *name, vx__probe_kind *out);

enum { VX__SECTION_ANSWER = 0, VX__SECTION_AUTHORITY = 1, VX__SECTION_ADDITIONAL = 2 };

typedef struct vx__observation {
    vx__probe_kind kind;
    char *server;                 /* NS name, normalised ("ns1.example.net.") */
    struct sockaddr_storage addr; /* the address asked, port included */
    vx__transport transport;
    char *qname; /* normalised */
    uint16_t qtype;
    uint16_t qclass;
    int status;        /* VX_OK when a response was accepted; else VX_ETIMEDOUT, VX_EREFUSED, ...
                          VX_ECANCELED when skipped because the address was already dead */
    uint16_t rcode;    /* extended rcode; valid when status == VX_OK */
    uint16_t flags;    /* the response's header flags word (VX__FLAG_AA, _TC, _RA, ...) */
    bool has_opt;      /* the response carried an OPT record */
    double rtt_ms;     /* of the attempt that got the response */
    unsigned attempts; /* transmissions made, all transports */
    uint64_t time_ms;  /* when the question was asked (Unix epoch, ms) */
    char *nsid;        /* NULL when absent */
    vx__rrset **sections[3]; /* answer, authority, additional (no OPT), canonical RRsets */
    size_t section_count[3];
    /* Not saved in JSON: how the question was asked (VX__Q_* of wire/query.h) and the
     * response's wire/fingerprint.h digest (0 when none), for the monitor's quiet cycles. */
    unsigned qflags;
    uint64_t fingerprint;
} vx__observation;

typedef struct vx__snapshot vx__snapshot;
struct vx__snapshot {
    char *domain;  /* normalised SIP domain ("example.com.") */
    char *profile; /* "generic", "lync", "teams", "enum" */
    uint64_t started_ms;
    double duration_ms;

    /* Delegation: the walk from the root hints. */
    int delegation_status;      /* VX_OK when the parent refers to the domain; VX_ENOTFOUND when
                                   it says NXDOMAIN or answers without a referral; other errors
                                   when the parent could not be reached */
    char *delegation_error;     /* readable reason when delegation_status != VX_OK, else NULL */
    char *parent_zone;          /* "com.", NULL when unknown */
    vx__server *parent_servers; /* the parent zone's addresses the walk knew */
    size_t parent_server_count;

    /* The authoritative addresses asked: every address of every NS name (glue and resolved). */
    vx__server *servers;
    size_t server_count;

    vx__observation *obs;
    size_t obs_count;

    /* Whole copies of the zone by AXFR, one per provider (model/zone.h); JSON "zones". */
    vx__zone_copy *zones;
    size_t zone_count;

    /* The SIP targets' endpoints (model/endpoint.h), when probed (not with --no-endpoints, and
     * not in an alternate domain's snapshot). */
    bool endpoints_probed;
    vx__endpoint_obs *endpoints;
    size_t endpoint_count;

    /* `voxdns audit --ns`: the zone audited as if delegated to the given servers (servers above
     * are theirs, not the parent's), and the live delegation audited beside it for comparison
     * (NULL when the domain is not delegated or the live audit could not run). */
    bool undelegated;
    vx__ns_spec *ns_given;
    size_t ns_given_count;
    vx__snapshot *live;

    /* --alt-domain DOMAIN: the same service under another name, probed the same way. */
    vx__snapshot **alt;
    size_t alt_count;
};

vx__snapshot *vx__snapshot_new(const char *domain, const char *profile);
void vx__snapshot_free(vx__snapshot *s);

/* Appends a copy of obs (strings and RRsets are deep-copied). */
int vx__snapshot_add_obs(vx__snapshot *s, const vx__observation *obs);
/* Appends obs itself: the snapshot takes what it points to and obs is left zeroed (on
 * VX_ENOMEM it is left as it was, still the caller's). The reader builds each observation once. */
int vx__snapshot_take_obs(vx__snapshot *s, vx__observation *obs);
/* Fills obs's sections, rcode, flags, has_opt and nsid from a parsed response. */
int vx__observation_set_response(vx__observation *obs, const vx__msg *msg);
void vx__observation_clear(vx__observation *obs);
/* Appends a deep copy of ep. */
int vx__snapshot_add_endpoint(vx__snapshot *s, const vx__endpoint_obs *ep);
/* Appends a copy of spec to ns_given (and sets undelegated). */
int vx__snapshot_add_ns_given(vx__snapshot *s, const vx__ns_spec *spec);
/* Takes ownership of alt (an alternate domain's snapshot). */
int vx__snapshot_add_alt(vx__snapshot *s, vx__snapshot *alt);
int vx__snapshot_add_server(vx__server **list, size_t *count, const char *name,
                            const struct sockaddr *addr);

/* "ns1.example.net/192.0.2.1" (no trailing dot), the form every finding uses. */
int vx__server_label(const char *name, const struct sockaddr *addr, char *out, size_t cap);

/* The largest JSON text the reader takes. It reads the observations, alternate domains and zone
 * copies one element at a time, so loading holds the text, the snapshot being built and one
 * element's JSON tree: about twice the text, not a whole-document tree (six times). */
#define VX__SNAPSHOT_JSON_MAX (1024u * 1024u * 1024u)

/* JSON, schema VX__SNAPSHOT_SCHEMA. Save returns a malloc'd string; load reports the first
 * problem (with a JSON path where useful) in err and returns VX_EMALFORMED for anything that is
 * not a valid snapshot: it reads outside input (`--from FILE`). Problems are found in the order
 * of the text; a missing key is reported when its object ends. */
char *vx__snapshot_to_json(const vx__snapshot *s);
/* The same without indentation or spaces (about a third smaller): what the monitor stores. */
char *vx__snapshot_to_json_compact(const vx__snapshot *s);
int vx__snapshot_from_json(const char *text, size_t len, vx__snapshot **out, char *err,
                           size_t errcap);
/* One zone copy alone, in the form of an element of "zones" (compact): how the monitor keeps
 * its held copies in the store. Reading checks it as the snapshot reader does; on error *out
 * is cleared. */
char *vx__zone_copy_to_json(const vx__zone_copy *z);
int vx__zone_copy_from_json(const char *text, size_t len, vx__zone_copy *out, char *err,
                            size_t errcap);

#endif
