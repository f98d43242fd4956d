/*
 * sip/uri.h — parsing of `sip:` and `sips:` URIs (RFC 3261 §19.1, §25.1) into the parts that
 * server location needs: scheme, host (domain name, IPv4 address or bracketed IPv6 reference),
 * explicit port and the transport parameter. The user part, other parameters and headers are
 * validated and then ignored.
 *
 * The parser is strict: anything outside the RFC 3261 grammar is refused with VX_EINVAL and a
 * short text saying what and where ("port 70000 out of range"). A transport parameter the
 * locator cannot use ("ws") is VX_EUNSUPPORTED. No allocation; the output is a plain struct.
 */
#ifndef VX_SIP_URI_H
#define VX_SIP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wire/name.h"

/* Longest URI text accepted: far above any real SIP URI, low enough to bound every copy. */
#define VX__SIP_URI_MAX 2048

/* SIP transports as bits, so that a caller can say which it supports as a mask. TLS means TLS
 * over TCP; TLS over SCTP is not offered. */
typedef enum vx__sip_transport {
    VX__SIP_UDP = 1u << 0,
    VX__SIP_TCP = 1u << 1,
    VX__SIP_TLS = 1u << 2,
    VX__SIP_SCTP = 1u << 3
} vx__sip_transport;

#define VX__SIP_TRANSPORTS_ALL (VX__SIP_UDP | VX__SIP_TCP | VX__SIP_TLS | VX__SIP_SCTP)

typedef struct vx__sip_uri {
    bool secure;                  /* sips: */
    bool has_user;                /* a userinfo part was present (and valid) */
    bool host_is_ip;              /* host is an IPv4 or IPv6 literal, see addr */
    char host[VX__NAME_TEXT_MAX]; /* normalised domain "example.com." or the literal
                                     address "192.0.2.1" / "2001:db8::1" (no brackets) */
    struct sockaddr_storage addr; /* the literal address when host_is_ip (port set) */
    socklen_t addr_len;
    char maddr[VX__NAME_TEXT_MAX]; /* the maddr parameter, normalised like host; "" if none
                                      (RFC 3263 §4: it replaces host as the TARGET) */
    bool maddr_is_ip;
    uint16_t port;               /* 0 when the URI has no port */
    vx__sip_transport transport; /* 0 when the URI has no transport parameter */
} vx__sip_uri;

/* Parses text[0..len) (need not be NUL-terminated). On error writes a one-line reason into err
 * (when err is not NULL) and returns VX_EINVAL; VX_EUNSUPPORTED for a well-formed transport
 * parameter naming a transport other than udp/tcp/tls/sctp ("ws"), or sips: over sctp (TLS over
 * SCTP is not offered). sips: with transport=udp is VX_EINVAL: it contradicts itself. For sips:,
 * transport=tcp and transport=tls both give VX__SIP_TLS. */
int vx__sip_uri_parse(const char *text, size_t len, vx__sip_uri *out, char *err, size_t errcap);

/* "udp", "tcp", "tls", "sctp"; "?" for anything else. */
const char *vx__sip_transport_name(vx__sip_transport t);

/* Default port of a transport (RFC 3261 §19.1.2): 5061 for TLS, 5060 otherwise. */
uint16_t vx__sip_default_port(vx__sip_transport t);

#endif
