/*
 * wire/answer.h — does a message answer a query? The one matcher of net/ (the engine's UDP,
 * TCP and zone-transfer exchanges, the stub resolver's driver and DNS over TLS) and of the
 * sans-I/O resolver. Pure: it reads the message through wire/reader.h and compares.
 *
 * A message answers only if, in this order: it comes from the address and port the query was
 * sent to (when the caller names one: over a stream the connection is the source), it has a
 * DNS header, QR is set, the opcode is the query's, the id is one the query sent (each
 * retransmission has its own id, and a slow answer to an earlier one still counts), and it
 * repeats the question: one question, same type and class, same name compared ASCII
 * case-insensitively (RFC 4343; a server may echo 0x20-mixed case as it likes). Truncation
 * does not stop a match: the caller decides what TC means (ask again over TCP).
 */
#ifndef VX_WIRE_ANSWER_H
#define VX_WIRE_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wire/reader.h"

typedef struct vx__answer_spec {
    const struct sockaddr *server; /* where the query went; NULL: source not checked */
    const uint16_t *ids;           /* the ids sent, oldest first */
    size_t nids;
    const vx__question *question;
    unsigned opcode; /* 0: QUERY */
} vx__answer_spec;

typedef enum vx__answer_verdict {
    VX__ANSWER_OK = 0,
    VX__ANSWER_SOURCE,       /* from another address or port */
    VX__ANSWER_MALFORMED,    /* shorter than a DNS header */
    VX__ANSWER_NOT_RESPONSE, /* QR clear */
    VX__ANSWER_OPCODE,       /* another opcode */
    VX__ANSWER_ID,           /* an id the query never sent */
    VX__ANSWER_QUESTION      /* no question, several, or another one */
} vx__answer_verdict;

typedef struct vx__answer {
    size_t which;   /* index in spec->ids of the id answered */
    uint16_t flags; /* the header's flags word */
    bool truncated; /* TC set */
} vx__answer;

/* VX__ANSWER_OK and *out filled when msg[0..len) from src answers spec; otherwise why not
 * (*out untouched). src may be NULL only when spec->server is. */
vx__answer_verdict vx__answer_match(const vx__answer_spec *spec, const struct sockaddr *src,
                                    const uint8_t *msg, size_t len, vx__answer *out);
const char *vx__answer_verdict_name(vx__answer_verdict v);

#endif
