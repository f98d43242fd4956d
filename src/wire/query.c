/*
 * wire/query.c — owns query building (header, question, EDNS0 OPT with DO and NSID), the
 * presentation-form ↔ wire-form conversion of names typed by users, and RR type mnemonics.
 *
 * vx__wire_build_query() is on the hot path (the engine and the benchmark send ~100k queries
 * a second through it): it allocates nothing and touches only the caller's buffer.
 */
#include "wire/query.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "voxdns/status.h"

#define OPT_TYPE 41
#define EDNS_DO_BIT 0x8000u
#define EDNS_OPT_NSID 3
#define DNS_OPCODE_QUERY 0
#define OPT_FIXED_LEN 11u /* root owner, type, class, TTL, rdlength */
#define NSID_OPTION_LEN 4u

/* ---- presentation form → wire form ---------------------------------------------------- */

/* Reads one character of a label at *p, decoding "\c" and "\DDD". VX_EINVAL for a dangling
 * backslash or a \DDD above 255. */
static int text_char(const char **p, uint8_t *out)
{
    const char *s = *p;
    if (*s != '\\') {
        *out = (uint8_t)*s;
        *p = s + 1;
        return VX_OK;
    }
    if (s[1] == '\0')
        return VX_EINVAL;
    if (s[1] >= '0' && s[1] <= '9') {
        if (!(s[2] >= '0' && s[2] <= '9' && s[3] >= '0' && s[3] <= '9'))
            return VX_EINVAL;
        unsigned v =
            (unsigned)(s[1] - '0') * 100u + (unsigned)(s[2] - '0') * 10u + (unsigned)(s[3] - '0');
        if (v > 255)
            return VX_EINVAL;
        *out = (uint8_t)v;
        *p = s + 4;
        return VX_OK;
    }
    *out = (uint8_t)s[1];
    *p = s + 2;
    return VX_OK;
}

/* Parses one label (up to an unescaped '.' or the end) and appends it to out. */
static int text_label(const char **p, uint8_t *out, size_t *len)
{
    size_t len_at = *len;
    size_t n = 0;
    while (**p != '\0' && **p != '.') {
        uint8_t c;
        if (text_char(p, &c) != VX_OK || n == VX__LABEL_MAX)
            return VX_EINVAL;
        /* +2: the length octet already reserved and the root label still to come. */
        if (len_at + 1 + n + 1 + 1 > VX__NAME_WIRE_MAX)
            return VX_EINVAL;
        out[len_at + 1 + n++] = c;
    }
    if (n == 0)
        return VX_EINVAL; /* "a..b", ".a" or a lone trailing "..": empty label */
    out[len_at] = (uint8_t)n;
    *len = len_at + 1 + n;
    return VX_OK;
}

static int text_to_wire(const char *text, uint8_t out[VX__NAME_WIRE_MAX], size_t *out_len)
{
    size_t len = 0;
    const char *p = text;
    if (*p == '\0')
        return VX_EINVAL;
    if (strcmp(p, ".") == 0)
        goto root;
    while (*p != '\0') {
        if (text_label(&p, out, &len) != VX_OK)
            return VX_EINVAL;
        if (*p == '.')
            p++;
    }
root:
    out[len++] = 0;
    *out_len = len;
    return VX_OK;
}

int vx__question_from_text(const char *name, uint16_t qtype, uint16_t qclass, vx__question *out)
{
    if (!name || !out)
        return VX_EINVAL;
    vx__question q = {.qtype = qtype, .qclass = qclass};
    int rc = text_to_wire(name, q.name, &q.name_len);
    if (rc != VX_OK)
        return rc;
    *out = q;
    return VX_OK;
}

/* ---- RR type mnemonics --------------------------------------------------------------- */

/* "TYPE123" (RFC 3597): strict digits only, 1..65535. ldns parses this prefix too, but with
 * atoi, which would accept "TYPE12abc". */
static int generic_type(const char *text, uint16_t *out)
{
    if (strncasecmp(text, "TYPE", 4) != 0)
        return VX_ENOTFOUND;
    const char *d = text + 4;
    unsigned long v = 0;
    if (*d == '\0')
        return VX_EINVAL;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || v > 65535)
            return VX_EINVAL;
        v = v * 10 + (unsigned long)(*d - '0');
    }
    if (v == 0 || v > 65535)
        return VX_EINVAL;
    *out = (uint16_t)v;
    return VX_OK;
}

int vx__rrtype_from_text(const char *text, uint16_t *out)
{
    if (!text || !out || *text == '\0')
        return VX_EINVAL;
    int rc = generic_type(text, out);
    if (rc != VX_ENOTFOUND)
        return rc;
    ldns_rr_type t = ldns_get_rr_type_by_name(text);
    if (t == 0) /* ldns's answer for an unknown word */
        return VX_EINVAL;
    *out = (uint16_t)t;
    return VX_OK;
}

/* The query-only meta types have no descriptor name in ldns's table. */
static const char *meta_type_name(uint16_t type)
{
    switch (type) {
    case LDNS_RR_TYPE_IXFR:
        return "IXFR";
    case LDNS_RR_TYPE_AXFR:
        return "AXFR";
    case LDNS_RR_TYPE_MAILB:
        return "MAILB";
    case LDNS_RR_TYPE_MAILA:
        return "MAILA";
    case LDNS_RR_TYPE_ANY:
        return "ANY";
    default:
        return NULL;
    }
}

const char *vx__rrtype_to_text(uint16_t type, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return buf;
    const char *name = meta_type_name(type);
    if (!name) {
        const ldns_rr_descriptor *d = ldns_rr_descript(type);
        name = d ? d->_name : NULL;
    }
    /* ldns names the gaps in its table "TYPEnn" itself; NULL means a type it has never heard of. */
    if (name)
        snprintf(buf, cap, "%s", name);
    else
        snprintf(buf, cap, "TYPE%u", (unsigned)type);
    return buf;
}

/* ---- query building (hot path: no allocation) ------------------------------------------ */

static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

/* A question built by hand (not through vx__question_from_text) could carry any bytes: check
 * that the name is well-formed wire form ending exactly at name_len before copying it. */
static bool wire_name_valid(const uint8_t *name, size_t len)
{
    if (len == 0 || len > VX__NAME_WIRE_MAX)
        return false;
    size_t i = 0;
    while (i < len && name[i] != 0) {
        if (name[i] > VX__LABEL_MAX)
            return false;
        i += (size_t)name[i] + 1;
    }
    return i == len - 1;
}

static uint8_t *put_header(uint8_t *p, uint16_t id, unsigned flags)
{
    uint16_t hflags = (uint16_t)(DNS_OPCODE_QUERY << 11);
    if (flags & VX__Q_RD)
        hflags |= VX__FLAG_RD;
    if (flags & VX__Q_CD) /* RFC 4035 §3.2.2: bogus data must reach a validating stub */
        hflags |= VX__FLAG_CD;
    p = put_u16(p, id);
    p = put_u16(p, hflags);
    p = put_u16(p, 1); /* qdcount */
    p = put_u16(p, 0); /* ancount */
    p = put_u16(p, 0); /* nscount */
    return put_u16(p, (flags & VX__Q_NOEDNS) ? 0 : 1);
}

/* OPT pseudo-RR (RFC 6891 §6.1.2): owner root, class = our UDP payload size, TTL = extended
 * rcode 0, version 0, DO flag; rdata holds an empty NSID option when asked (RFC 5001 §2.1). */
static uint8_t *put_opt(uint8_t *p, unsigned flags)
{
    bool nsid = (flags & VX__Q_NSID) != 0;
    *p++ = 0;
    p = put_u16(p, OPT_TYPE);
    p = put_u16(p, VX__EDNS_UDP_SIZE);
    p = put_u16(p, 0); /* extended rcode, version */
    p = put_u16(p, (flags & VX__Q_DO) ? EDNS_DO_BIT : 0);
    p = put_u16(p, nsid ? NSID_OPTION_LEN : 0);
    if (nsid) {
        p = put_u16(p, EDNS_OPT_NSID);
        p = put_u16(p, 0);
    }
    return p;
}

static size_t query_size(const vx__question *q, unsigned flags)
{
    size_t n = VX__HEADER_LEN + q->name_len + 4;
    if (!(flags & VX__Q_NOEDNS))
        n += OPT_FIXED_LEN + ((flags & VX__Q_NSID) ? NSID_OPTION_LEN : 0);
    return n;
}

int vx__wire_build_query(const vx__question *q, uint16_t id, unsigned flags, uint8_t *out,
                         size_t cap, size_t *len)
{
    if (!q || !out || !len || !wire_name_valid(q->name, q->name_len))
        return VX_EINVAL;
    size_t need = query_size(q, flags);
    if (need > cap)
        return VX_EINVAL;
    uint8_t *p = put_header(out, id, flags);
    memcpy(p, q->name, q->name_len);
    p += q->name_len;
    p = put_u16(p, q->qtype);
    p = put_u16(p, q->qclass);
    if (!(flags & VX__Q_NOEDNS))
        p = put_opt(p, flags);
    *len = (size_t)(p - out);
    return VX_OK;
}

/* ---- wire form → presentation form --------------------------------------------------- */

/* RFC 1035 §5.1 / RFC 4343: these have meaning in zone files and must be "\c"; anything
 * outside printable ASCII (space included) becomes "\DDD". */
static bool needs_backslash(uint8_t c)
{
    return c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
           c == '$';
}

/* Anything but a host-name character is escaped too ('/' in "sip\/1", legal in DNS): the text
 * must read back through vx__name_normalize(), which accepts host-name characters unescaped
 * only, so that a name taken from the wire can be followed, saved and loaded again. */
static bool host_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '*';
}

/* Writes the presentation form of one octet; returns the number of characters or 0 if it
 * does not fit (room for the final NUL is kept). */
static size_t put_text_char(uint8_t c, char *out, size_t room)
{
    if (c <= 0x20 || c >= 0x7f) {
        if (room < 5)
            return 0;
        snprintf(out, 5, "\\%03u", (unsigned)c);
        return 4;
    }
    if (needs_backslash(c) || !host_char(c)) {
        if (room < 3)
            return 0;
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    }
    if (room < 2)
        return 0;
    out[0] = (char)c;
    return 1;
}

int vx__name_wire_to_text(const uint8_t *name, size_t name_len, char *out, size_t cap)
{
    if (!name || !out || cap < 2 || !wire_name_valid(name, name_len))
        return VX_EINVAL;
    size_t o = 0;
    if (name_len == 1)
        out[o++] = '.';
    for (size_t i = 0; name[i] != 0; i += (size_t)name[i] + 1) {
        for (size_t j = 1; j <= name[i]; j++) {
            size_t w = put_text_char(name[i + j], out + o, cap - o);
            if (w == 0)
                return VX_EINVAL;
            o += w;
        }
        if (cap - o < 2)
            return VX_EINVAL;
        out[o++] = '.';
    }
    out[o] = '\0';
    return VX_OK;
}
