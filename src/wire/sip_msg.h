/*
 * wire/sip_msg.h — the SIP messages the endpoint probe exchanges: building an OPTIONS request
 * (RFC 3261 §11) and reading the response to it, bounds-checked, from bytes received from the
 * network (a UDP datagram, or the front of a TCP/TLS byte stream).
 *
 * The reader never reads outside [buf, buf+len), accepts only a status line ("SIP/2.0 NNN
 * reason"), CRLF- (or bare LF-) terminated header lines without NULs, and a body whose length is
 * Content-Length (compact form "l" too). It keeps the few fields the probe judges by and matches
 * the response with: the top Via's branch, Call-ID, CSeq number and method, Server / User-Agent.
 * Over a stream a message is complete only when its headers and Content-Length octets of body
 * have arrived (VX__SIP_MORE until then); a datagram is one message whatever its length says.
 */
#ifndef VX_WIRE_SIP_MSG_H
#define VX_WIRE_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define VX__SIP_MSG_MAX 65535 /* the largest message read (RFC 3261 §18.1.1 UDP maximum) */
#define VX__SIP_FIELD_MAX 128 /* kept fields are truncated to this, NUL included */
#define VX__SIP_MORE 1        /* not a status: the message has not fully arrived yet */

typedef struct vx__sip_response {
    unsigned status;                 /* 100..699 */
    char reason[VX__SIP_FIELD_MAX];  /* reason phrase */
    char branch[VX__SIP_FIELD_MAX];  /* the top Via's branch parameter, "" if none */
    char call_id[VX__SIP_FIELD_MAX]; /* Call-ID ("i") */
    uint32_t cseq;                   /* CSeq number */
    char cseq_method[16];            /* CSeq method */
    char server[VX__SIP_FIELD_MAX];  /* Server, else User-Agent, "" if neither */
    size_t content_length;           /* 0 when absent */
    size_t length;                   /* octets of the whole message (headers + body) */
} vx__sip_response;

/* Reads one response at the front of buf[0..len). stream: bytes of a TCP/TLS connection (the
 * message may be incomplete: VX__SIP_MORE; Content-Length is required). Returns VX_OK,
 * VX__SIP_MORE, or VX_EMALFORMED for anything that is not a SIP response. */
int vx__sip_response_parse(const uint8_t *buf, size_t len, bool stream, vx__sip_response *out);

/* What an OPTIONS request says about itself; the strings are the probe's own (tokens). */
typedef struct vx__sip_options_req {
    const char *transport;        /* "UDP", "TCP", "TLS" (the Via's transport) */
    const char *request_uri;      /* "sip:example.com" or "sip:192.0.2.1:5060" */
    const struct sockaddr *local; /* the socket's address (Via sent-by, Contact) */
    const char *branch;           /* "z9hG4bK" + random */
    const char *call_id;
    const char *tag;
    uint32_t cseq;
} vx__sip_options_req;

/* Writes the request into out[0..cap); the length, or 0 when it does not fit or an argument is
 * missing. */
size_t vx__sip_options_build(const vx__sip_options_req *req, char *out, size_t cap);

/* Does resp answer req (branch, Call-ID, CSeq number and method OPTIONS)? */
bool vx__sip_response_matches(const vx__sip_response *resp, const vx__sip_options_req *req);

#endif
