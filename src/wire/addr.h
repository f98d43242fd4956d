/*
 * wire/addr.h — IP addresses: parsing user text ("192.0.2.1", "2001:db8::1", "[2001:db8::1]:53",
 * "192.0.2.1:5353"), formatting, and classification of where an address can be reached from
 * (private, loopback, link-local, CGNAT, ULA, documentation, benchmarking, ...).
 */
#ifndef VX_WIRE_ADDR_H
#define VX_WIRE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest formatted address with brackets and port, plus NUL. */
#define VX__ADDR_TEXT_MAX 64

typedef enum vx__addr_class {
    VX__ADDR_PUBLIC = 0,
    VX__ADDR_PRIVATE,       /* RFC 1918 */
    VX__ADDR_LOOPBACK,      /* 127/8, ::1 */
    VX__ADDR_LINK_LOCAL,    /* 169.254/16, fe80::/10 */
    VX__ADDR_CGNAT,         /* 100.64/10 (RFC 6598) */
    VX__ADDR_ULA,           /* fc00::/7 */
    VX__ADDR_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
    VX__ADDR_BENCHMARKING,  /* 198.18/15, 2001:2::/48 */
    VX__ADDR_UNSPECIFIED,   /* 0/8, :: */
    VX__ADDR_MULTICAST,     /* 224/4, ff00::/8 */
    VX__ADDR_RESERVED       /* 240/4, broadcast, other special-purpose blocks */
} vx__addr_class;

vx__addr_class vx__addr_classify(const struct sockaddr *sa);
const char *vx__addr_class_name(vx__addr_class c); /* "private", "documentation", ... */
/* True for the classes a public SIP record must never point at (private, loopback,
 * link-local, CGNAT, ULA, unspecified). Documentation and benchmarking are not among them: the
 * lab lives there. */
bool vx__addr_is_internal(vx__addr_class c);

/* Parses an address with optional port (default_port when absent). VX_EINVAL on bad text. */
int vx__addr_parse(const char *text, uint16_t default_port, struct sockaddr_storage *out,
                   socklen_t *out_len);
/* The address alone ("192.0.2.1", "2001:db8::1"). */
int vx__addr_format(const struct sockaddr *sa, char *out, size_t cap);
/* Address and port ("192.0.2.1:53", "[2001:db8::1]:53"). */
int vx__addr_format_port(const struct sockaddr *sa, char *out, size_t cap);
/* The covering prefix used for diversity checks: "/24" for IPv4, "/48" for IPv6
 * ("192.0.2.0/24", "2001:db8:a::/48"). */
int vx__addr_prefix(const struct sockaddr *sa, char *out, size_t cap);
/* An address block for access lists: "192.0.2.0/24", "2001:db8::/32", or one address ("192.0.2.1"
 * is /32, "2001:db8::1" /128). VX_EINVAL for bad text, a length beyond the family's or host bits
 * set below the length (a typo that would widen or narrow the block unnoticed). */
typedef struct vx__addr_block {
    int family; /* AF_INET or AF_INET6 */
    uint8_t bytes[16];
    unsigned bits;
} vx__addr_block;
int vx__addr_block_parse(const char *text, vx__addr_block *out);
/* Is sa inside the block? An IPv4-mapped IPv6 address (::ffff:192.0.2.1) counts as IPv4. */
bool vx__addr_block_contains(const vx__addr_block *b, const struct sockaddr *sa);
/* Same address and port. */
bool vx__addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* The same, except that an IPv6 scope counts only when both sides name one: a link-local
 * reply carries the interface index even when the address it answers left it out. */
bool vx__addr_endpoint_equal(const struct sockaddr *a, const struct sockaddr *b);
socklen_t vx__addr_len(const struct sockaddr *sa);

#endif
