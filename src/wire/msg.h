/*
 * wire/msg.h — reading whole responses. A response is parsed once into a vx__msg that holds the
 * header fields, the EDNS facts (OPT present, UDP size, DO, NSID text) and the four sections as
 * ldns resource records, so that upper layers read parsed data, never bytes.
 */
#ifndef VX_WIRE_MSG_H
#define VX_WIRE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "wire/reader.h"

typedef struct vx__msg {
    vx__header header;
    vx__question question;
    bool has_question;
    bool has_opt; /* the response carried an OPT record */
    uint16_t edns_udp_size;
    uint8_t edns_version;
    bool edns_do;
    uint16_t ext_rcode; /* full 12-bit rcode (header rcode + OPT extended bits) */
    char *nsid;         /* NSID as printable text (hex if not printable), NULL if absent */
    ldns_pkt *pkt;      /* owned; sections via ldns_pkt_answer()/authority()/additional() */
} vx__msg;

/* Parses a complete DNS message. VX_EMALFORMED for anything ldns or our own checks reject
 * (truncated, bad compression, counts that do not match the data, trailing garbage). */
int vx__msg_parse(const uint8_t *wire, size_t len, vx__msg **out);
void vx__msg_free(vx__msg *msg);

bool vx__msg_aa(const vx__msg *m);
bool vx__msg_tc(const vx__msg *m);
uint16_t vx__msg_rcode(const vx__msg *m);      /* extended rcode when OPT is present */
const char *vx__rcode_to_text(uint16_t rcode); /* "NOERROR", "NXDOMAIN", ..., "RCODE24" */

/* Presentation form of a whole message, dig-style sections (malloc'd, caller frees). */
char *vx__msg_to_text(const vx__msg *m);
/* Presentation form of one record, no trailing newline (malloc'd, caller frees). */
char *vx__rr_to_text(const ldns_rr *rr);

#endif
