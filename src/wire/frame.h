/*
 * wire/frame.h — DNS over a byte stream (RFC 1035 §4.2.2, RFC 7766 §8): each message is
 * preceded by its length in two octets. The one reader of that framing for every TCP and TLS
 * exchange of net/ (the engine's TCP answers, zone transfers, DNS over TLS, the stub
 * resolver's TCP), and the one writer of the prefix. Pure: no I/O, no clock.
 *
 * The deframer is fed the bytes as they arrive, split anywhere, and hands over each complete
 * message. It never reads past what it was given, holds at most one incomplete message
 * (2 + 65535 octets, allocated only as far as the length prefix asks), and refuses a length
 * below a DNS header (VX__HEADER_LEN, so a zero length too): such a stream is not DNS, and the
 * caller drops the connection. A message that arrives whole in one chunk is handed over
 * straight from the caller's bytes, without a copy.
 */
#ifndef VX_WIRE_FRAME_H
#define VX_WIRE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define VX__FRAME_PREFIX 2
#define VX__FRAME_MSG_MAX 65535u

/* Called for each complete message; msg is valid only during the call. Returns VX_OK to go
 * on, anything else to stop: vx__deframer_feed() then returns that value at once, and the
 * bytes it had not looked at yet are dropped (the caller is ending the exchange). */
typedef int (*vx__frame_cb)(void *arg, const uint8_t *msg, size_t len);

typedef struct vx__deframer {
    uint8_t *buf; /* the incomplete message, prefix included (owned) */
    size_t have;  /* octets of it received */
    size_t cap;   /* octets allocated */
} vx__deframer;

void vx__deframer_init(vx__deframer *f);
/* Hands every complete message in data[0..n) (after what earlier calls left) to emit.
 * VX_OK, the callback's value, VX_EMALFORMED for a length below a DNS header (the deframer
 * is then reset), or VX_ENOMEM. */
int vx__deframer_feed(vx__deframer *f, const uint8_t *data, size_t n, vx__frame_cb emit, void *arg);
/* Octets of an incomplete message held (0: the stream is between messages). */
size_t vx__deframer_pending(const vx__deframer *f);
/* Forgets an incomplete message (a new connection starts between messages). Safe from inside
 * the callback. */
void vx__deframer_reset(vx__deframer *f);
void vx__deframer_free(vx__deframer *f);

/* Writes the two-octet prefix for a message of len octets (VX_EINVAL above 65535). */
int vx__frame_put_prefix(uint8_t out[VX__FRAME_PREFIX], size_t len);

#endif
