/*
 * wire/fingerprint.c — owns the response fingerprint (see fingerprint.h): each record is
 * hashed in canonical form (names uncompressed and lowercased, including the names inside the
 * rdata of the types that may compress them) and the records' hashes are added, so the sum
 * does not depend on their order.
 */
#include "wire/fingerprint.h"

#include "common/hash.h"
#include "voxdns/status.h"
#include "wire/reader.h"

#define TYPE_OPT 41

/* FNV alone mixes its last bytes poorly; a sum of such hashes needs every bit to matter. */
static uint64_t finalize(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

/* Lengths of a wire-form name are at most 63, below 'A': every byte can be lowercased. */
static uint64_t fnv_name(uint64_t h, uint8_t *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (name[i] >= 'A' && name[i] <= 'Z')
            name[i] = (uint8_t)(name[i] - 'A' + 'a');
    return vx__hash_bytes(h, name, len);
}

static int hash_name(vx__reader *r, uint64_t *h)
{
    uint8_t name[VX__NAME_WIRE_MAX];
    size_t len = 0;
    int rc = vx__reader_name(r, name, &len);
    if (rc == VX_OK)
        *h = fnv_name(*h, name, len);
    return rc;
}

static int hash_fixed(vx__reader *r, size_t n, uint64_t *h)
{
    size_t at = r->pos;
    int rc = vx__reader_skip(r, n);
    if (rc == VX_OK)
        *h = vx__hash_bytes(*h, r->buf + at, n);
    return rc;
}

static int hash_charstring(vx__reader *r, uint64_t *h)
{
    uint8_t n = 0;
    size_t at = r->pos;
    int rc = vx__reader_u8(r, &n);
    if (rc == VX_OK)
        rc = vx__reader_skip(r, n);
    if (rc == VX_OK)
        *h = vx__hash_bytes(*h, r->buf + at, (size_t)n + 1u);
    return rc;
}

/* The rdata layouts with names that senders compress or that compare case-insensitively:
 * 'n' a name, a digit d a run of d octets, 's' a character-string, '*' the rest as is. */
static const char *rdata_layout(uint16_t type)
{
    switch (type) {
    case 2:  /* NS */
    case 3:  /* MD */
    case 4:  /* MF */
    case 5:  /* CNAME */
    case 7:  /* MB */
    case 8:  /* MG */
    case 9:  /* MR */
    case 12: /* PTR */
    case 39: /* DNAME */
        return "n";
    case 6: /* SOA */
        return "nn44444";
    case 14: /* MINFO */
    case 17: /* RP */
        return "nn";
    case 15: /* MX */
    case 18: /* AFSDB */
    case 21: /* RT */
    case 36: /* KX */
        return "2n";
    case 26: /* PX */
        return "2nn";
    case 33: /* SRV */
        return "222n";
    case 35: /* NAPTR */
        return "22sssn";
    case 46: /* RRSIG */
        return "22444422n*";
    default:
        return "*";
    }
}

/* Hashes [start, end) of msg as the rdata of type; the whole message is visible because names
 * in rdata may point back into it. Rdata that does not fit its layout is hashed as raw bytes. */
static uint64_t hash_rdata(const uint8_t *msg, size_t start, size_t end, uint16_t type, uint64_t h)
{
    vx__reader r;
    vx__reader_init(&r, msg, end); /* a name may not run past its record */
    r.pos = start;
    uint64_t canonical = h;
    int rc = VX_OK;
    for (const char *f = rdata_layout(type); rc == VX_OK && *f; f++) {
        if (*f == 'n')
            rc = hash_name(&r, &canonical);
        else if (*f == 's')
            rc = hash_charstring(&r, &canonical);
        else if (*f == '*')
            rc = hash_fixed(&r, end - r.pos, &canonical);
        else
            rc = hash_fixed(&r, (size_t)(*f - '0'), &canonical);
    }
    if (rc == VX_OK && r.pos == end)
        return canonical;
    return vx__hash_bytes(vx__hash_u32(h, 0xffffffffu), msg + start, end - start);
}

static int hash_record(vx__reader *r, unsigned section, bool with_ttl, uint64_t *sum)
{
    uint8_t owner[VX__NAME_WIRE_MAX];
    size_t owner_len = 0;
    uint16_t type = 0, klass = 0, rdlen = 0;
    uint32_t ttl = 0;
    int rc = vx__reader_name(r, owner, &owner_len);
    if (rc == VX_OK)
        rc = vx__reader_u16(r, &type);
    if (rc == VX_OK)
        rc = vx__reader_u16(r, &klass);
    if (rc == VX_OK)
        rc = vx__reader_u32(r, &ttl);
    if (rc == VX_OK)
        rc = vx__reader_u16(r, &rdlen);
    size_t start = r->pos;
    if (rc == VX_OK)
        rc = vx__reader_skip(r, rdlen);
    if (rc != VX_OK || type == TYPE_OPT)
        return rc;
    uint64_t h = vx__hash_u32(VX__HASH_SEED, section);
    h = fnv_name(h, owner, owner_len);
    h = vx__hash_u32(h, (uint32_t)type << 16 | klass);
    h = vx__hash_u32(h, with_ttl ? ttl : 0);
    *sum += finalize(hash_rdata(r->buf, start, start + rdlen, type, h));
    return VX_OK;
}

int vx__wire_fingerprint(const uint8_t *msg, size_t len, bool with_ttl, uint64_t *out)
{
    vx__header hd;
    int rc = vx__wire_read_header(msg, len, &hd);
    if (rc != VX_OK)
        return rc;
    vx__reader r;
    vx__reader_init(&r, msg, len);
    r.pos = VX__HEADER_LEN;
    for (unsigned i = 0; rc == VX_OK && i < hd.qdcount; i++) {
        uint8_t name[VX__NAME_WIRE_MAX];
        size_t name_len = 0;
        rc = vx__reader_name(&r, name, &name_len);
        if (rc == VX_OK)
            rc = vx__reader_skip(&r, 4);
    }
    const uint16_t counts[3] = {hd.ancount, hd.nscount, hd.arcount};
    uint64_t sum =
        finalize(vx__hash_u32(VX__HASH_SEED, hd.flags & (VX__FLAG_AA | VX__FLAG_TC | 0xfu)));
    for (unsigned s = 0; s < 3; s++)
        for (unsigned i = 0; rc == VX_OK && i < counts[s]; i++)
            rc = hash_record(&r, s, with_ttl, &sum);
    if (rc == VX_OK)
        *out = sum;
    return rc;
}
