/*
 * wire/msg.c — owns the parsing of whole DNS messages into a vx__msg, the EDNS facts (OPT,
 * NSID), and the dig-style presentation of a message.
 *
 * Parsing is two passes. Our own bounds-checked reader (wire/reader.h) first walks the entire
 * message: header, every question, every RR's owner, type, class, TTL and rdlength, and the
 * domain names inside the rdata of the types that carry them. Only a message that passes is
 * handed to ldns_wire2pkt, so malformed input from the network is refused by code whose rules
 * we control (backward-only compression, hop limit, 255/63 limits) before ldns sees it.
 *
 * Strictness, decided here: the section counts must describe the data exactly. A message that
 * claims more records than it holds runs out of bytes; one that claims fewer leaves bytes after
 * the last record, and those are refused too (no tolerance for trailing garbage: over UDP and
 * TCP a DNS message has an exact length, and EDNS padding lives inside the OPT record). At most
 * one OPT record, in the additional section, owned by the root (RFC 6891 §6.1.1).
 */
#include "wire/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

#define TYPE_OPT 41
#define TYPE_TSIG 250
#define EDNS_OPT_NSID 3
#define EDNS_DO_BIT 0x8000u
#define SECTION_ADDITIONAL 3

/* What the validation pass learns about the OPT record, read from the raw bytes. */
typedef struct opt_facts {
    bool present;
    uint16_t udp_size;
    uint32_t ttl;
    size_t rdata; /* offset of the OPT rdata in the message */
    uint16_t rdlength;
} opt_facts;

/* ---- rdata layouts: where the domain names are ---------------------------------------- */

enum { OP_END = 0, OP_NAME = 0xff, OP_STR = 0xfe }; /* any other op: skip that many octets */

typedef struct rdata_layout {
    uint16_t type;
    bool rest; /* arbitrary octets may follow the last op (type bitmaps, signatures) */
    uint8_t ops[6];
} rdata_layout;

/* The types whose rdata carries domain names, which may be compressed (RFC 3597 §4 lists the
 * RFC 1035 ones; the others are commonly compressed by servers regardless). */
static const rdata_layout layouts[] = {
    {2, false, {OP_NAME}},                             /* NS */
    {5, false, {OP_NAME}},                             /* CNAME */
    {6, false, {OP_NAME, OP_NAME, 20}},                /* SOA */
    {12, false, {OP_NAME}},                            /* PTR */
    {14, false, {OP_NAME, OP_NAME}},                   /* MINFO */
    {15, false, {2, OP_NAME}},                         /* MX */
    {17, false, {OP_NAME, OP_NAME}},                   /* RP */
    {18, false, {2, OP_NAME}},                         /* AFSDB */
    {21, false, {2, OP_NAME}},                         /* RT */
    {26, false, {2, OP_NAME, OP_NAME}},                /* PX */
    {33, false, {6, OP_NAME}},                         /* SRV */
    {35, false, {4, OP_STR, OP_STR, OP_STR, OP_NAME}}, /* NAPTR */
    {36, false, {2, OP_NAME}},                         /* KX */
    {39, false, {OP_NAME}},                            /* DNAME */
    {46, true, {18, OP_NAME}},                         /* RRSIG */
    {47, true, {OP_NAME}},                             /* NSEC */
};

static const rdata_layout *layout_for(uint16_t type)
{
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (layouts[i].type == type)
            return &layouts[i];
    return NULL;
}

static int rdata_op(vx__reader *r, uint8_t op, size_t end)
{
    uint8_t name[VX__NAME_WIRE_MAX];
    size_t name_len;
    uint8_t n;
    int rc;
    if (op == OP_NAME)
        rc = vx__reader_name(r, name, &name_len);
    else if (op == OP_STR)
        rc = vx__reader_u8(r, &n) ? VX_EMALFORMED : vx__reader_skip(r, n);
    else
        rc = vx__reader_skip(r, op);
    return (rc == VX_OK && r->pos <= end) ? VX_OK : VX_EMALFORMED;
}

/* Checks the names inside one RR's rdata [r->pos, r->pos + rdlength). */
static int check_rdata(const vx__reader *msg, uint16_t type, uint16_t rdlength)
{
    const rdata_layout *l = layout_for(type);
    if (!l)
        return VX_OK;
    vx__reader r = *msg;
    size_t end = r.pos + rdlength;
    for (size_t i = 0; i < sizeof l->ops && l->ops[i] != OP_END; i++)
        if (rdata_op(&r, l->ops[i], end) != VX_OK)
            return VX_EMALFORMED;
    return (r.pos == end || l->rest) ? VX_OK : VX_EMALFORMED;
}

/* ---- the validation pass -------------------------------------------------------------- */

static int note_opt(const vx__reader *r, size_t name_len, uint16_t rrclass, uint32_t ttl,
                    uint16_t rdlength, opt_facts *opt)
{
    if (opt->present || name_len != 1)
        return VX_EMALFORMED;
    opt->present = true;
    opt->udp_size = rrclass;
    opt->ttl = ttl;
    opt->rdata = r->pos;
    opt->rdlength = rdlength;
    return VX_OK;
}

/* last: this is the message's final record. A TSIG anywhere else is refused (RFC 8945 §5.1
 * puts it last; ldns would otherwise stop reading the additional section at it). */
static int check_rr(vx__reader *r, int section, bool last, opt_facts *opt)
{
    uint8_t name[VX__NAME_WIRE_MAX];
    size_t name_len;
    uint16_t type, rrclass, rdlength;
    uint32_t ttl;
    if (vx__reader_name(r, name, &name_len) || vx__reader_u16(r, &type) ||
        vx__reader_u16(r, &rrclass) || vx__reader_u32(r, &ttl) || vx__reader_u16(r, &rdlength))
        return VX_EMALFORMED;
    if (r->len - r->pos < rdlength)
        return VX_EMALFORMED;
    if (type == TYPE_OPT &&
        (section != SECTION_ADDITIONAL || note_opt(r, name_len, rrclass, ttl, rdlength, opt)))
        return VX_EMALFORMED;
    if (type == TYPE_TSIG && !(section == SECTION_ADDITIONAL && last))
        return VX_EMALFORMED;
    if (check_rdata(r, type, rdlength) != VX_OK)
        return VX_EMALFORMED;
    return vx__reader_skip(r, rdlength);
}

static int check_questions(vx__reader *r, uint16_t count, vx__msg *m)
{
    for (unsigned i = 0; i < count; i++) {
        vx__question q;
        if (vx__reader_name(r, q.name, &q.name_len) || vx__reader_u16(r, &q.qtype) ||
            vx__reader_u16(r, &q.qclass))
            return VX_EMALFORMED;
        if (i == 0)
            m->question = q;
    }
    /* Several questions have no agreed meaning (RFC 9619): only exactly one is "the" question. */
    m->has_question = count == 1;
    return VX_OK;
}

static int check_message(const uint8_t *wire, size_t len, vx__msg *m, opt_facts *opt)
{
    if (vx__wire_read_header(wire, len, &m->header) != VX_OK)
        return VX_EMALFORMED;
    vx__reader r;
    vx__reader_init(&r, wire, len);
    r.pos = VX__HEADER_LEN;
    if (check_questions(&r, m->header.qdcount, m) != VX_OK)
        return VX_EMALFORMED;
    const uint16_t counts[] = {m->header.ancount, m->header.nscount, m->header.arcount};
    for (int s = 0; s < 3; s++)
        for (unsigned i = 0; i < counts[s]; i++)
            if (check_rr(&r, s + 1, s == 2 && i + 1u == counts[s], opt) != VX_OK)
                return VX_EMALFORMED;
    return r.pos == len ? VX_OK : VX_EMALFORMED;
}

/* ---- EDNS facts ------------------------------------------------------------------------ */

static bool printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return true;
}

/* NSID as text when every octet is printable (most servers send a host name), else hex. */
static char *nsid_text(const uint8_t *p, size_t n)
{
    bool text = printable(p, n);
    char *s = malloc(text ? n + 1 : 2 * n + 1);
    if (!s)
        return NULL;
    if (text)
        memcpy(s, p, n);
    for (size_t i = 0; !text && i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", p[i]);
    s[text ? n : 2 * n] = '\0';
    return s;
}

/* Walks the OPT options (code, length, data) with our reader; the options must fill the
 * rdata exactly. Only NSID is kept. */
static int read_options(const uint8_t *wire, const opt_facts *opt, vx__msg *m)
{
    vx__reader r;
    vx__reader_init(&r, wire + opt->rdata, opt->rdlength);
    while (r.pos < r.len) {
        uint16_t code, olen;
        if (vx__reader_u16(&r, &code) || vx__reader_u16(&r, &olen) || r.len - r.pos < olen)
            return VX_EMALFORMED;
        if (code == EDNS_OPT_NSID && !m->nsid) {
            m->nsid = nsid_text(r.buf + r.pos, olen);
            if (!m->nsid)
                return VX_ENOMEM;
        }
        r.pos += olen;
    }
    return VX_OK;
}

static int take_edns(const uint8_t *wire, const opt_facts *opt, vx__msg *m)
{
    uint16_t rcode = (uint16_t)VX__RCODE(m->header.flags);
    m->ext_rcode = rcode;
    if (!opt->present)
        return VX_OK;
    m->has_opt = true;
    m->edns_udp_size = opt->udp_size;
    m->ext_rcode = (uint16_t)((opt->ttl >> 24) << 4 | rcode); /* RFC 6891 §6.1.3 */
    m->edns_version = (uint8_t)(opt->ttl >> 16);
    m->edns_do = (opt->ttl & EDNS_DO_BIT) != 0;
    return read_options(wire, opt, m);
}

/* ---- parse / free ---------------------------------------------------------------------- */

int vx__msg_parse(const uint8_t *wire, size_t len, vx__msg **out)
{
    if (!wire || !out)
        return VX_EINVAL;
    *out = NULL;
    vx__msg *m = calloc(1, sizeof *m);
    if (!m)
        return VX_ENOMEM;
    opt_facts opt = {0};
    int rc = check_message(wire, len, m, &opt);
    if (rc == VX_OK)
        rc = take_edns(wire, &opt, m);
    if (rc == VX_OK && ldns_wire2pkt(&m->pkt, wire, len) != LDNS_STATUS_OK) {
        m->pkt = NULL; /* ldns leaves it unset on failure; do not free garbage */
        rc = VX_EMALFORMED;
    }
    if (rc != VX_OK) {
        vx__msg_free(m);
        return rc;
    }
    *out = m;
    return VX_OK;
}

void vx__msg_free(vx__msg *msg)
{
    if (!msg)
        return;
    if (msg->pkt)
        ldns_pkt_free(msg->pkt);
    free(msg->nsid);
    free(msg);
}

bool vx__msg_aa(const vx__msg *m)
{
    return (m->header.flags & VX__FLAG_AA) != 0;
}

bool vx__msg_tc(const vx__msg *m)
{
    return (m->header.flags & VX__FLAG_TC) != 0;
}

uint16_t vx__msg_rcode(const vx__msg *m)
{
    return m->ext_rcode;
}

/* IANA "DNS RCODEs" registry, 0-23. 16 is BADVERS in OPT and BADSIG in TSIG; an rcode read
 * from a message header plus OPT is the EDNS one. */
static const char *const rcode_names[] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14",  "RCODE15",
    "BADVERS", "BADKEY",  "BADTIME",  "BADMODE",   "BADNAME", "BADALG",  "BADTRUNC", "BADCOOKIE",
};

const char *vx__rcode_to_text(uint16_t rcode)
{
    /* Thread-local so that the returned pointer stays valid without allocation and two threads
     * do not overwrite each other's text; valid until the next call on the same thread. */
    static _Thread_local char other[16];
    if (rcode < sizeof rcode_names / sizeof rcode_names[0])
        return rcode_names[rcode];
    snprintf(other, sizeof other, "RCODE%u", (unsigned)rcode);
    return other;
}

/* ---- presentation ---------------------------------------------------------------------- */

/* Without ldns's comments (";{id = ...}" after a DNSKEY) so that the text stays a record a zone
 * file would accept; ldns also leaves a space after NSEC bitmaps, trimmed with the newline. */
char *vx__rr_to_text(const ldns_rr *rr)
{
    char *s = rr ? ldns_rr2str_fmt(ldns_output_format_nocomments, rr) : NULL;
    if (!s)
        return NULL;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static const char *opcode_name(unsigned opcode)
{
    static const char *const names[] = {"QUERY",  "IQUERY", "STATUS", "RESERVED3",
                                        "NOTIFY", "UPDATE", "DSO"};
    return opcode < sizeof names / sizeof names[0] ? names[opcode] : "RESERVED";
}

static void put_header_text(ldns_buffer *b, const vx__msg *m)
{
    static const struct {
        uint16_t bit;
        const char *name;
    } flags[] = {{VX__FLAG_QR, " qr"}, {VX__FLAG_AA, " aa"}, {VX__FLAG_TC, " tc"},
                 {VX__FLAG_RD, " rd"}, {VX__FLAG_RA, " ra"}, {VX__FLAG_AD, " ad"},
                 {VX__FLAG_CD, " cd"}};
    const vx__header *h = &m->header;
    ldns_buffer_printf(b, ";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n;; flags:",
                       opcode_name(VX__OPCODE(h->flags)), vx__rcode_to_text(m->ext_rcode),
                       (unsigned)h->id);
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (h->flags & flags[i].bit)
            ldns_buffer_printf(b, "%s", flags[i].name);
    ldns_buffer_printf(b, "; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n",
                       (unsigned)h->qdcount, (unsigned)h->ancount, (unsigned)h->nscount,
                       (unsigned)h->arcount);
}

static void put_opt_text(ldns_buffer *b, const vx__msg *m)
{
    if (!m->has_opt)
        return;
    ldns_buffer_printf(b, "\n;; OPT PSEUDOSECTION:\n; EDNS: version: %u, flags:%s; udp: %u\n",
                       (unsigned)m->edns_version, m->edns_do ? " do" : "",
                       (unsigned)m->edns_udp_size);
    if (m->nsid)
        ldns_buffer_printf(b, "; NSID: %s\n", m->nsid);
}

/* One section; empty sections are left out, as dig does. Question records get dig's leading
 * ';' and the OPT pseudo-RR never appears as a record (ldns removes it; checked anyway). */
static void put_section(ldns_buffer *b, const char *title, const ldns_rr_list *list, bool q)
{
    if (!list || ldns_rr_list_rr_count(list) == 0)
        return;
    ldns_buffer_printf(b, "\n;; %s SECTION:\n", title);
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT)
            continue;
        char *s = vx__rr_to_text(rr);
        ldns_buffer_printf(b, "%s%s\n", q ? ";" : "", s ? s : "; (unprintable record)");
        free(s);
    }
}

char *vx__msg_to_text(const vx__msg *m)
{
    if (!m || !m->pkt)
        return NULL;
    ldns_buffer *b = ldns_buffer_new(1024);
    if (!b)
        return NULL;
    put_header_text(b, m);
    put_opt_text(b, m);
    put_section(b, "QUESTION", ldns_pkt_question(m->pkt), true);
    put_section(b, "ANSWER", ldns_pkt_answer(m->pkt), false);
    put_section(b, "AUTHORITY", ldns_pkt_authority(m->pkt), false);
    put_section(b, "ADDITIONAL", ldns_pkt_additional(m->pkt), false);
    char *s = ldns_buffer_status_ok(b) ? ldns_buffer_export2str(b) : NULL;
    ldns_buffer_free(b);
    return s;
}
