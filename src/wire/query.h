/*
 * wire/query.h — building DNS queries: question from user text, EDNS0 (1232-byte buffer, DO,
 * NSID), RD on or off. Query building writes into a caller-supplied buffer; no allocation.
 */
#ifndef VX_WIRE_QUERY_H
#define VX_WIRE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "wire/reader.h"

#define VX__EDNS_UDP_SIZE 1232
/* A query never exceeds this: header + 255-octet name + 4 + OPT with NSID. */
#define VX__QUERY_MAX 512

enum vx__query_flag {
    VX__Q_RD = 1u << 0,     /* recursion desired */
    VX__Q_DO = 1u << 1,     /* EDNS0 DO bit (DNSSEC records wanted) */
    VX__Q_NSID = 1u << 2,   /* ask for the server's NSID (RFC 5001) */
    VX__Q_NOEDNS = 1u << 3, /* no OPT record at all (plain RFC 1035 query) */
    VX__Q_TCP = 1u << 4,    /* transport hint for net/: TCP from the first attempt */
    VX__Q_CD = 1u << 5      /* checking disabled: a validating stub checks for itself */
};

/* Builds a question from a presentation-form name ("sip.example.com", "example.com.", ".")
 * and type/class numbers. VX_EINVAL for an empty label, a label over 63 octets, a name over
 * 255 octets or a bad escape. */
int vx__question_from_text(const char *name, uint16_t qtype, uint16_t qclass, vx__question *out);

/* Type mnemonic ("NAPTR", "TYPE35") → number; VX_EINVAL when unknown. Case-insensitive. */
int vx__rrtype_from_text(const char *text, uint16_t *out);
/* Type number → mnemonic written into buf ("NAPTR", or "TYPE65280"). Returns buf. */
const char *vx__rrtype_to_text(uint16_t type, char *buf, size_t cap);

/* Writes a query for q with the given id and VX__Q_* flags into out (cap octets). */
int vx__wire_build_query(const vx__question *q, uint16_t id, unsigned flags, uint8_t *out,
                         size_t cap, size_t *len);

/* Presentation form of a wire-form name ("example.com." or "."), escaping as RFC 1035 does. */
int vx__name_wire_to_text(const uint8_t *name, size_t name_len, char *out, size_t cap);

#endif
