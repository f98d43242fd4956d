/*
 * wire/xfr.h — whole zones: the AXFR question (RFC 5936) and the IXFR question from a copy
 * held (RFC 1995), TSIG-signed when a key is given (RFC 8945), the stream of response messages
 * read into the zone's records with every message's TSIG verified, and zone files read from
 * text (RFC 1035 master format). Every byte of a transfer or of a zone file passes through
 * here; net/ only carries the messages.
 *
 * An IXFR answer comes in one of three forms: the differences from the serial held to the
 * newest one (applied to the held copy, wire/zdelta.h), the whole zone as an AXFR would send it
 * (the server keeps no history that far back), or the server's SOA alone (the copy held is
 * current). vx__xfr_take gives the whole zone in every case.
 *
 * Ownership: a vx__xfr owns its query and the records received; vx__xfr_take hands the records
 * over as canonical RRsets (wire/rrset.h) that the caller frees with vx__rrsets_free.
 */
#ifndef VX_WIRE_XFR_H
#define VX_WIRE_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/name.h"
#include "wire/rrset.h"

#define VX__XFR_DONE 1               /* vx__xfr_feed: the closing SOA arrived */
#define VX__XFR_MAX_RECORDS 1000000u /* a safety limit on one zone */

typedef struct vx__tsig_key {
    char name[VX__NAME_TEXT_MAX]; /* "xfr-key." */
    char algorithm[32];           /* "hmac-sha256" */
    char secret[256];             /* base64 */
} vx__tsig_key;

/* "[ALGORITHM:]NAME:SECRET" (dig -y form; the algorithm defaults to hmac-sha256). VX_EINVAL
 * for an unknown algorithm, a bad name or a secret that is not base64. */
int vx__tsig_key_parse(const char *text, vx__tsig_key *out);

typedef struct vx__xfr vx__xfr;

/* What a complete transfer's answer was. */
typedef enum vx__xfr_form {
    VX__XFR_FULL = 0,    /* the whole zone: an AXFR, or an IXFR answered AXFR-style */
    VX__XFR_INCREMENTAL, /* IXFR: differences, applied to the copy held */
    VX__XFR_UP_TO_DATE   /* IXFR: the server's SOA alone; the copy held is current */
} vx__xfr_form;

/* A transfer of zone ("example.com.") with key (NULL: unsigned). */
int vx__xfr_new(const char *zone, const vx__tsig_key *key, vx__xfr **out);
/* An incremental transfer of zone from the copy held: its serial and its RRsets (copied; the
 * SOA among them, as vx__xfr_take gave it). */
int vx__xfr_new_ixfr(const char *zone, const vx__tsig_key *key, uint32_t serial,
                     const vx__rrset *const *held, size_t count, vx__xfr **out);
void vx__xfr_free(vx__xfr *x);
/* The AXFR question with this id (IXFR: with the held SOA in the authority section), ready for
 * TCP (no length prefix); valid until the next call or vx__xfr_free. */
int vx__xfr_query(vx__xfr *x, uint16_t id, const uint8_t **wire, size_t *len);
/* One response message. VX_OK: more messages to come; VX__XFR_DONE: the zone is complete;
 * VX_EREFUSED: the server refused (any rcode but NOERROR, see vx__xfr_rcode); VX_EMALFORMED:
 * not a response to this question, a bad first record, a TSIG that does not verify, more than
 * VX__XFR_MAX_RECORDS records, or (IXFR) differences out of sequence; VX_ENOTFOUND (IXFR): a
 * deletion of a record the held copy lacks, so it is not the copy the server thinks it is. */
int vx__xfr_feed(vx__xfr *x, const uint8_t *msg, size_t len);
uint16_t vx__xfr_rcode(const vx__xfr *x);
/* "REFUSED", "NOTAUTH", ... */
const char *vx__rcode_name(uint16_t rcode);
/* After VX__XFR_DONE: the zone's records as canonical RRsets (the SOA once), and its serial. */
int vx__xfr_take(vx__xfr *x, vx__rrset ***sets, size_t *count, uint32_t *serial);
/* After VX__XFR_DONE: the form of the answer. */
vx__xfr_form vx__xfr_form_of(const vx__xfr *x);

/* A zone file's text (with $ORIGIN, $TTL; no $INCLUDE) as canonical RRsets; origin is the
 * default origin. VX_EMALFORMED with "line N: reason" in err. */
int vx__zone_text_parse(const char *text, size_t len, const char *origin, vx__rrset ***sets,
                        size_t *count, char *err, size_t errcap);

#endif
