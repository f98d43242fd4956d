/*
 * wire/notify.h — the monitor's side of DNS NOTIFY (RFC 1996): reading a NOTIFY that a primary
 * sent, deciding whether to take it (source allowed by the caller, TSIG verified against the
 * configured keys with wire/xfr.h's key form, zone known) and writing the answer. Pure and
 * bounds-checked: every byte of a NOTIFY passes through here; net/notify_listen.c only carries
 * the messages and monitor/ decides what an accepted one starts.
 *
 * The answer (RFC 1996 §4.7) has the request's id, QR, AA and opcode NOTIFY and its question;
 * NOERROR when accepted, signed with the request's key when the request was signed (RFC 8945
 * §5.3, the request's MAC included). A refusal is REFUSED (source not allowed, unsigned where
 * a key is required) or NOTAUTH (bad TSIG: unknown key, other algorithm, time outside the fudge,
 * MAC that does not verify; zone not monitored), never signed. A bad TSIG's answer carries the
 * TSIG error (RFC 8945 §5.3.2): a TSIG record with the request's key name, algorithm and time, an
 * empty MAC and BADKEY, BADSIG or BADTIME, so that the primary logs why. (For BADTIME RFC 8945
 * asks for a signed answer with our time; this one is unsigned, with our time in Other Data, as
 * the request's MAC is not checked once its time is wrong.) A response (QR set) or fewer than
 * 12 bytes gets no answer at all, so that two listeners can never answer each other for ever.
 */
#ifndef VX_WIRE_NOTIFY_H
#define VX_WIRE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/name.h"
#include "wire/xfr.h"

#define VX__NOTIFY_ANSWER_MAX 1024u
#define VX__NOTIFY_FUDGE_S 300u /* TSIG time window either side of now */

typedef enum vx__notify_verdict {
    VX__NOTIFY_ACCEPTED = 0,
    VX__NOTIFY_IGNORED,      /* no answer: a response, or not even a DNS header */
    VX__NOTIFY_NOT_NOTIFY,   /* another opcode: NOTIMP */
    VX__NOTIFY_MALFORMED,    /* unreadable, or not one SOA question in class IN: FORMERR */
    VX__NOTIFY_REFUSED_FROM, /* the source address is not allowed: REFUSED */
    VX__NOTIFY_UNSIGNED,     /* keys are configured and the request carries no TSIG: REFUSED */
    VX__NOTIFY_BAD_TSIG,     /* see above: NOTAUTH */
    VX__NOTIFY_UNKNOWN_ZONE  /* not a monitored domain: NOTAUTH */
} vx__notify_verdict;

typedef struct vx__notify_policy {
    const vx__tsig_key *keys; /* any of them may sign; none: TSIG not required */
    size_t key_count;
    bool source_allowed; /* the caller's verdict on the source address */
    /* Is zone ("example.com.", lower case) monitored? */
    bool (*zone_known)(void *arg, const char *zone);
    void *zone_arg;
    uint64_t now_s; /* Unix time, for the TSIG time check */
} vx__notify_policy;

typedef struct vx__notify {
    vx__notify_verdict verdict;
    const char *reason;           /* for the log: "MAC does not verify", ... (static text) */
    char zone[VX__NAME_TEXT_MAX]; /* the question's name, lower case, once read ("" before) */
    bool has_serial;              /* the NOTIFY carried the new SOA (RFC 1996 §3.7) */
    uint32_t serial;
    char key[VX__NAME_TEXT_MAX]; /* the TSIG key that signed it ("" when unsigned) */
    uint16_t tsig_error;         /* VX__NOTIFY_BAD_TSIG: 16 BADSIG, 17 BADKEY, 18 BADTIME */
    uint8_t answer[VX__NOTIFY_ANSWER_MAX];
    size_t answer_len; /* 0: send nothing */
} vx__notify;

/* Reads one message and decides; always fills out. VX_OK, or VX_ENOMEM (then no answer). */
int vx__notify_handle(const uint8_t *msg, size_t len, const vx__notify_policy *policy,
                      vx__notify *out);
/* The serial a server serves for zone ("example.com." or without the dot): the SOA of zone in
 * the answer section of an authoritative NOERROR response. VX_EMALFORMED for an unreadable
 * message, VX_ENOTFOUND for any other answer (a lame or refusing server). */
int vx__soa_answer_serial(const uint8_t *wire, size_t len, const char *zone, uint32_t *serial);
/* "accepted", "refused: source not allowed", ... for logs. */
const char *vx__notify_verdict_name(vx__notify_verdict v);

#endif
