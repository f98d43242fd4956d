/*
 * resolver/dnssec.h — DNSSEC validation for the stub resolver (RFC 4033-4035), sans I/O: a
 * response is checked against a trust anchor (DS or DNSKEY records of one zone, usually the
 * root) with the DS and DNSKEY records of the chain, which the validator asks for and the
 * resolver fetches through its upstreams (vx__dnssec_store() gives them back). ldns does the
 * cryptography (RRSIG verification, DS digests, NSEC/NSEC3 denial).
 *
 * A check is a pure function of the response, the fetched records and the time, run again
 * each time a fetch completes, until it says something other than VX__SEC_NEED:
 *   SECURE    every RRset of the answer (or the NSEC/NSEC3 denial of a negative answer) is
 *             signed by a key that chains to the anchor, within its validity period;
 *   INSECURE  the data lies under a delegation proven unsigned (a DS denial signed by a
 *             secure parent), so it cannot be checked;
 *   BOGUS     anything else: a signature that fails or expired, a DS that matches no key, an
 *             unsigned answer or denial inside a signed zone, a chain record that could not be
 *             fetched.
 * Chain steps: the signer S of an RRSIG needs trusted keys: the anchor zone's DNSKEY RRset
 * matching the anchor and signed by a matching key; below it, the DS RRset of S signed by its
 * parent's trusted keys, and S's DNSKEY RRset signed by a key matching a DS. Trusted key sets
 * are remembered until their TTL (at most an hour) passes.
 * Not covered (stated in docs/dnssec.md): wildcard-expanded answers are accepted on their
 * signature alone (no proof that no closer name exists).
 *
 * Time: "now" is the resolver's monotonic milliseconds (expiry of what is remembered);
 * "wall" is seconds since the epoch (RRSIG validity).
 */
#ifndef VX_RESOLVER_DNSSEC_H
#define VX_RESOLVER_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "wire/msg.h"
#include "wire/reader.h"

#define VX__DNSSEC_ANCHOR_TEXT_MAX (64u * 1024u)
#define VX__DNSSEC_FETCHED_MAX 256 /* chain records remembered */
#define VX__DNSSEC_DEPTH_MAX 16    /* zone cuts in one chain */

typedef enum vx__sec {
    VX__SEC_UNCHECKED = 0, /* not validated (no trust anchor, static data) */
    VX__SEC_SECURE,
    VX__SEC_INSECURE,
    VX__SEC_BOGUS,
    VX__SEC_NEED /* vx__dnssec_check(): fetch *need first, then check again */
} vx__sec;

const char *vx__sec_name(vx__sec s); /* "unchecked", "secure", "insecure", "bogus", "need" */

typedef struct vx__dnssec vx__dnssec;

/* Parses trust anchor text (zone-file lines: DS or DNSKEY records, all of one owner; comments
 * and blank lines allowed). VX_EMALFORMED with "line N: reason" in err. */
int vx__dnssec_parse_anchors(const char *text, size_t len, ldns_rr_list **out, char *err,
                             size_t errcap);

/* anchors is copied. */
int vx__dnssec_new(const ldns_rr_list *anchors, vx__dnssec **out);
void vx__dnssec_free(vx__dnssec *v);

/* The response m to the chain question q (a DS or DNSKEY fetch), or NULL when the fetch
 * failed (then it is retried after a few seconds). */
void vx__dnssec_store(vx__dnssec *v, const vx__question *q, const vx__msg *m, uint64_t now);

/* Checks m, the response to q. VX__SEC_NEED with *need set when a chain record must be fetched
 * first (the caller fetches it, stores it, and calls again). */
vx__sec vx__dnssec_check(vx__dnssec *v, const vx__question *q, const vx__msg *m, uint64_t now,
                         time_t wall, vx__question *need);

#endif
