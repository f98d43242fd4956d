/*
 * wire/addr.c — owns IP address text (parsing with an optional port, formatting, covering
 * prefixes), equality, and the classification of an address by the special-purpose block it
 * falls in (RFC 6890 registries, RFC 1918, RFC 6598, RFC 4193, RFC 5737, RFC 3849, RFC 9637,
 * RFC 2544, RFC 5180).
 */
#include "wire/addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

/* One block: the prefix in network byte order (the first octets that matter), its length. */
typedef struct block {
    uint8_t prefix[16];
    unsigned bits;
    vx__addr_class cls;
} block;

/* Most specific blocks first: the first match wins. */
static const block v4_blocks[] = {
    {{0}, 8, VX__ADDR_UNSPECIFIED},               /* 0/8 "this network" */
    {{10}, 8, VX__ADDR_PRIVATE},                  /* RFC 1918 */
    {{100, 64}, 10, VX__ADDR_CGNAT},              /* RFC 6598 */
    {{127}, 8, VX__ADDR_LOOPBACK},                /* RFC 1122 */
    {{169, 254}, 16, VX__ADDR_LINK_LOCAL},        /* RFC 3927 */
    {{172, 16}, 12, VX__ADDR_PRIVATE},            /* RFC 1918 */
    {{192, 0, 0}, 24, VX__ADDR_RESERVED},         /* IETF protocol assignments */
    {{192, 0, 2}, 24, VX__ADDR_DOCUMENTATION},    /* TEST-NET-1 */
    {{192, 88, 99}, 24, VX__ADDR_RESERVED},       /* 6to4 relay anycast, deprecated */
    {{192, 168}, 16, VX__ADDR_PRIVATE},           /* RFC 1918 */
    {{198, 18}, 15, VX__ADDR_BENCHMARKING},       /* RFC 2544 */
    {{198, 51, 100}, 24, VX__ADDR_DOCUMENTATION}, /* TEST-NET-2 */
    {{203, 0, 113}, 24, VX__ADDR_DOCUMENTATION},  /* TEST-NET-3 */
    {{224}, 4, VX__ADDR_MULTICAST},               /* RFC 5771 */
    {{240}, 4, VX__ADDR_RESERVED},                /* future use + 255.255.255.255 */
};

static const block v6_blocks[] = {
    {{0}, 128, VX__ADDR_UNSPECIFIED},                                           /* :: */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, VX__ADDR_LOOPBACK}, /* ::1 */
    {{0}, 96, VX__ADDR_RESERVED},                    /* IPv4-compatible, deprecated */
    {{0x00, 0x64, 0xff, 0x9b}, 96, VX__ADDR_PUBLIC}, /* NAT64 well-known prefix (RFC 6052) */
    {{0x01}, 64, VX__ADDR_RESERVED},                 /* 100::/64 discard-only (RFC 6666) */
    {{0x20, 0x01, 0x00, 0x02, 0, 0}, 48, VX__ADDR_BENCHMARKING}, /* RFC 5180 */
    {{0x20, 0x01}, 23, VX__ADDR_RESERVED},                       /* IETF protocol assignments */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, VX__ADDR_DOCUMENTATION},      /* RFC 3849 */
    {{0x3f, 0xff}, 20, VX__ADDR_DOCUMENTATION},                  /* 3fff::/20 (RFC 9637) */
    {{0x20}, 3, VX__ADDR_PUBLIC},                                /* global unicast */
    {{0xfc}, 7, VX__ADDR_ULA},                                   /* RFC 4193 */
    {{0xfe, 0x80}, 10, VX__ADDR_LINK_LOCAL},                     /* RFC 4291 */
    {{0xff}, 8, VX__ADDR_MULTICAST},                             /* RFC 4291 */
};

/* Does addr (network order) fall in the first bits of prefix? */
static bool in_block(const uint8_t *addr, const block *b)
{
    unsigned full = b->bits / 8, rest = b->bits % 8;
    if (memcmp(addr, b->prefix, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (addr[full] & mask) == (b->prefix[full] & mask);
}

static vx__addr_class classify_bytes(const uint8_t *addr, const block *blocks, size_t n,
                                     vx__addr_class otherwise)
{
    for (size_t i = 0; i < n; i++)
        if (in_block(addr, &blocks[i]))
            return blocks[i].cls;
    return otherwise;
}

static vx__addr_class classify_v4(const uint8_t addr[4])
{
    return classify_bytes(addr, v4_blocks, sizeof v4_blocks / sizeof v4_blocks[0], VX__ADDR_PUBLIC);
}

/* Outside 2000::/3 nothing is allocated for global unicast (RFC 4291 §2.4), so what the table
 * does not name there is reserved. An IPv4-mapped address is classified as its IPv4 address:
 * that is where the packets go. */
static vx__addr_class classify_v6(const uint8_t addr[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(addr, mapped, sizeof mapped) == 0)
        return classify_v4(addr + 12);
    return classify_bytes(addr, v6_blocks, sizeof v6_blocks / sizeof v6_blocks[0],
                          VX__ADDR_RESERVED);
}

vx__addr_class vx__addr_classify(const struct sockaddr *sa)
{
    if (sa && sa->sa_family == AF_INET)
        return classify_v4((const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa && sa->sa_family == AF_INET6)
        return classify_v6(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return VX__ADDR_RESERVED;
}

const char *vx__addr_class_name(vx__addr_class c)
{
    static const char *const names[] = {
        "public",        "private",      "loopback",    "link-local", "cgnat",    "ula",
        "documentation", "benchmarking", "unspecified", "multicast",  "reserved",
    };
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

bool vx__addr_is_internal(vx__addr_class c)
{
    return c == VX__ADDR_PRIVATE || c == VX__ADDR_LOOPBACK || c == VX__ADDR_LINK_LOCAL ||
           c == VX__ADDR_CGNAT || c == VX__ADDR_ULA || c == VX__ADDR_UNSPECIFIED;
}

/* ---- parsing --------------------------------------------------------------------------- */

/* Decimal 1..65535, digits only: no sign, no spaces, no hex. */
static int parse_port(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    if (*s == '\0')
        return VX_EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return VX_EINVAL;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return VX_EINVAL;
    }
    if (v == 0)
        return VX_EINVAL;
    *out = (uint16_t)v;
    return VX_OK;
}

/* Splits text into the address (copied into host) and the port text (NULL when absent):
 * "[v6]:port", "[v6]", "v4:port", or a bare address. A bare string with two or more colons is
 * an IPv6 address without port. */
static int split_host_port(const char *text, char *host, size_t cap, const char **port)
{
    const char *end;
    *port = NULL;
    if (text[0] == '[') {
        end = strchr(text, ']');
        if (!end || (end[1] != '\0' && end[1] != ':'))
            return VX_EINVAL;
        *port = end[1] == ':' ? end + 2 : NULL;
        text++;
    } else {
        const char *colon = strchr(text, ':');
        bool v6 = colon && strchr(colon + 1, ':');
        end = (colon && !v6) ? colon : text + strlen(text);
        *port = (colon && !v6) ? colon + 1 : NULL;
    }
    size_t n = (size_t)(end - text);
    if (n == 0 || n >= cap)
        return VX_EINVAL;
    memcpy(host, text, n);
    host[n] = '\0';
    return VX_OK;
}

static int fill_sockaddr(const char *host, bool bracketed, uint16_t port,
                         struct sockaddr_storage *out, socklen_t *out_len)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (!bracketed && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *out_len = sizeof *v4;
        return VX_OK;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *out_len = sizeof *v6;
        return VX_OK;
    }
    return VX_EINVAL;
}

int vx__addr_parse(const char *text, uint16_t default_port, struct sockaddr_storage *out,
                   socklen_t *out_len)
{
    char host[INET6_ADDRSTRLEN];
    const char *port_text;
    uint16_t port = default_port;
    if (!text || !out || !out_len)
        return VX_EINVAL;
    if (split_host_port(text, host, sizeof host, &port_text) != VX_OK)
        return VX_EINVAL;
    if (port_text && parse_port(port_text, &port) != VX_OK)
        return VX_EINVAL;
    /* "[192.0.2.1]" is not an IPv6 literal: brackets are only for IPv6 (RFC 3986 §3.2.2). */
    return fill_sockaddr(host, text[0] == '[', port, out, out_len);
}

/* ---- formatting ------------------------------------------------------------------------ */

int vx__addr_format(const struct sockaddr *sa, char *out, size_t cap)
{
    const void *bytes;
    if (!sa || !out)
        return VX_EINVAL;
    if (sa->sa_family == AF_INET)
        bytes = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        bytes = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    else
        return VX_EINVAL;
    if (cap > (size_t)INT32_MAX || !inet_ntop(sa->sa_family, bytes, out, (socklen_t)cap))
        return VX_EINVAL;
    return VX_OK;
}

static uint16_t port_of(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

int vx__addr_format_port(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    int rc = vx__addr_format(sa, host, sizeof host);
    if (rc != VX_OK)
        return rc;
    bool v6 = sa->sa_family == AF_INET6;
    int n = snprintf(out, cap, v6 ? "[%s]:%u" : "%s:%u", host, (unsigned)port_of(sa));
    return (n < 0 || (size_t)n >= cap) ? VX_EINVAL : VX_OK;
}

/* Zeroes every bit after the first bits of addr. */
static void mask_bytes(uint8_t *addr, size_t len, unsigned bits)
{
    for (size_t i = 0; i < len; i++) {
        unsigned keep = bits >= 8 * (i + 1) ? 8 : (bits > 8 * i ? bits - 8 * (unsigned)i : 0);
        addr[i] &= (uint8_t)(0xff00u >> keep);
    }
}

int vx__addr_prefix(const struct sockaddr *sa, char *out, size_t cap)
{
    if (!sa || !out || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
        return VX_EINVAL;
    struct sockaddr_storage masked;
    memcpy(&masked, sa, vx__addr_len(sa));
    bool v6 = sa->sa_family == AF_INET6;
    uint8_t *bytes = v6 ? ((struct sockaddr_in6 *)&masked)->sin6_addr.s6_addr
                        : (uint8_t *)&((struct sockaddr_in *)&masked)->sin_addr;
    mask_bytes(bytes, v6 ? 16 : 4, v6 ? 48 : 24);
    char host[INET6_ADDRSTRLEN];
    if (vx__addr_format((struct sockaddr *)&masked, host, sizeof host) != VX_OK)
        return VX_EINVAL;
    int n = snprintf(out, cap, "%s/%u", host, v6 ? 48u : 24u);
    return (n < 0 || (size_t)n >= cap) ? VX_EINVAL : VX_OK;
}

bool vx__addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
    if (!a || !b || a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

bool vx__addr_endpoint_equal(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family == AF_INET6 && b->sa_family == AF_INET6) {
        struct sockaddr_in6 x, y;
        memcpy(&x, a, sizeof x);
        memcpy(&y, b, sizeof y);
        if (!x.sin6_scope_id || !y.sin6_scope_id)
            x.sin6_scope_id = y.sin6_scope_id = 0;
        return vx__addr_equal((const struct sockaddr *)&x, (const struct sockaddr *)&y);
    }
    return vx__addr_equal(a, b);
}

socklen_t vx__addr_len(const struct sockaddr *sa)
{
    if (sa && sa->sa_family == AF_INET)
        return sizeof(struct sockaddr_in);
    if (sa && sa->sa_family == AF_INET6)
        return sizeof(struct sockaddr_in6);
    return 0;
}

/* ---- address blocks ---------------------------------------------------------------------- */

static bool block_bytes(const struct sockaddr *sa, int *family, const uint8_t **bytes)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa->sa_family == AF_INET) {
        *family = AF_INET;
        *bytes = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
        return true;
    }
    if (sa->sa_family != AF_INET6)
        return false;
    *bytes = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    *family = memcmp(*bytes, mapped, sizeof mapped) == 0 ? AF_INET : AF_INET6;
    if (*family == AF_INET)
        *bytes += sizeof mapped;
    return true;
}

static bool bits_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

int vx__addr_block_parse(const char *text, vx__addr_block *out)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = text ? strchr(text, '/') : NULL;
    size_t n = slash ? (size_t)(slash - text) : (text ? strlen(text) : 0);
    memset(out, 0, sizeof *out);
    if (!text || n == 0 || n >= sizeof host)
        return VX_EINVAL;
    memcpy(host, text, n);
    host[n] = '\0';
    out->family = strchr(host, ':') ? AF_INET6 : AF_INET;
    unsigned max = out->family == AF_INET ? 32u : 128u;
    if (inet_pton(out->family, host, out->bytes) != 1)
        return VX_EINVAL;
    out->bits = max;
    if (slash) {
        char *end = NULL;
        unsigned long v = strtoul(slash + 1, &end, 10);
        if (!isdigit((unsigned char)slash[1]) || *end || v > max)
            return VX_EINVAL;
        out->bits = (unsigned)v;
    }
    uint8_t masked[16];
    memcpy(masked, out->bytes, sizeof masked);
    /* host bits must be zero: compare the address with itself cut to the length */
    for (unsigned i = out->bits; i < max; i++)
        masked[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    return memcmp(masked, out->bytes, max / 8) == 0 ? VX_OK : VX_EINVAL;
}

bool vx__addr_block_contains(const vx__addr_block *b, const struct sockaddr *sa)
{
    int family;
    const uint8_t *bytes;
    if (!b || !sa || !block_bytes(sa, &family, &bytes) || family != b->family)
        return false;
    return bits_match(bytes, b->bytes, b->bits);
}
