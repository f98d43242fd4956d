/*
 * wire/reader.c — owns the bounds-checked cursor over received bytes, name decompression, and
 * the header and question readers. Nothing in this file trusts a length or an offset that came
 * from the network: every read is checked against [buf, buf+len) before it happens.
 */
#include "wire/reader.h"

#include <string.h>

#include "voxdns/status.h"

/* Label-type bits of a length octet (RFC 1035 §4.1.4, RFC 6891 §5). */
#define LABEL_TYPE_MASK 0xc0u
#define LABEL_POINTER 0xc0u

void vx__reader_init(vx__reader *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = buf ? len : 0;
    r->pos = 0;
}

/* Written as "remaining < n" rather than "pos + n > len" so that it cannot overflow. */
static bool reader_has(const vx__reader *r, size_t n)
{
    return r->pos <= r->len && r->len - r->pos >= n;
}

int vx__reader_u8(vx__reader *r, uint8_t *out)
{
    if (!reader_has(r, 1))
        return VX_EMALFORMED;
    *out = r->buf[r->pos++];
    return VX_OK;
}

int vx__reader_u16(vx__reader *r, uint16_t *out)
{
    if (!reader_has(r, 2))
        return VX_EMALFORMED;
    *out = (uint16_t)((unsigned)r->buf[r->pos] << 8 | r->buf[r->pos + 1]);
    r->pos += 2;
    return VX_OK;
}

int vx__reader_u32(vx__reader *r, uint32_t *out)
{
    if (!reader_has(r, 4))
        return VX_EMALFORMED;
    const uint8_t *p = r->buf + r->pos;
    *out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
    r->pos += 4;
    return VX_OK;
}

int vx__reader_skip(vx__reader *r, size_t n)
{
    if (!reader_has(r, n))
        return VX_EMALFORMED;
    r->pos += n;
    return VX_OK;
}

/* State of one name decompression: where we read, where the current label sequence began (a
 * pointer must go strictly before it, so offsets strictly decrease and no loop is possible),
 * how many pointers were followed, and where the caller's cursor ends. */
typedef struct name_walk {
    size_t pos;
    size_t seq_start;
    unsigned hops;
    size_t end;
    bool jumped;
} name_walk;

static int follow_pointer(const vx__reader *r, name_walk *w, uint8_t first)
{
    if (w->pos + 1 >= r->len)
        return VX_EMALFORMED;
    size_t target = (size_t)(first & ~LABEL_TYPE_MASK) << 8 | r->buf[w->pos + 1];
    if (target >= w->seq_start || ++w->hops > VX__NAME_MAX_POINTERS)
        return VX_EMALFORMED;
    if (!w->jumped) {
        w->end = w->pos + 2;
        w->jumped = true;
    }
    w->pos = target;
    w->seq_start = target;
    return VX_OK;
}

/* Appends the label at w->pos (length octet included) to out. */
static int copy_label(const vx__reader *r, name_walk *w, uint8_t *out, size_t *out_len)
{
    uint8_t n = r->buf[w->pos];
    if (n > VX__LABEL_MAX || r->len - w->pos < (size_t)n + 1u)
        return VX_EMALFORMED;
    /* Keep room for the root label that must still follow. */
    if (*out_len + n + 1u + 1u > VX__NAME_WIRE_MAX)
        return VX_EMALFORMED;
    memcpy(out + *out_len, r->buf + w->pos, (size_t)n + 1u);
    *out_len += (size_t)n + 1u;
    w->pos += (size_t)n + 1u;
    return VX_OK;
}

int vx__reader_name(vx__reader *r, uint8_t out[VX__NAME_WIRE_MAX], size_t *out_len)
{
    if (r->pos >= r->len)
        return VX_EMALFORMED;
    name_walk w = {.pos = r->pos, .seq_start = r->pos};
    size_t n = 0;
    for (;;) {
        if (w.pos >= r->len)
            return VX_EMALFORMED;
        uint8_t first = r->buf[w.pos];
        int rc;
        if (first == 0)
            break;
        if ((first & LABEL_TYPE_MASK) == LABEL_POINTER)
            rc = follow_pointer(r, &w, first);
        else if (first & LABEL_TYPE_MASK) /* 0x40 extended, 0x80 reserved */
            rc = VX_EMALFORMED;
        else
            rc = copy_label(r, &w, out, &n);
        if (rc != VX_OK)
            return rc;
    }
    out[n++] = 0;
    *out_len = n;
    r->pos = w.jumped ? w.end : w.pos + 1;
    return VX_OK;
}

int vx__wire_read_header(const uint8_t *msg, size_t len, vx__header *out)
{
    vx__reader r;
    vx__reader_init(&r, msg, len);
    if (len < VX__HEADER_LEN)
        return VX_EMALFORMED;
    /* Cannot fail after the length check; the status is still checked for form's sake. */
    if (vx__reader_u16(&r, &out->id) || vx__reader_u16(&r, &out->flags) ||
        vx__reader_u16(&r, &out->qdcount) || vx__reader_u16(&r, &out->ancount) ||
        vx__reader_u16(&r, &out->nscount) || vx__reader_u16(&r, &out->arcount))
        return VX_EMALFORMED;
    return VX_OK;
}

int vx__wire_read_question(const uint8_t *msg, size_t len, vx__question *out)
{
    vx__header h;
    int rc = vx__wire_read_header(msg, len, &h);
    if (rc != VX_OK)
        return rc;
    if (h.qdcount != 1)
        return VX_EMALFORMED;
    vx__reader r;
    vx__reader_init(&r, msg, len);
    r.pos = VX__HEADER_LEN;
    if (vx__reader_name(&r, out->name, &out->name_len) || vx__reader_u16(&r, &out->qtype) ||
        vx__reader_u16(&r, &out->qclass))
        return VX_EMALFORMED;
    return VX_OK;
}

/* ASCII-only folding: DNS names compare case-insensitively for A-Z only (RFC 4343), and a
 * length octet (at most 63) is never in that range, so whole wire forms compare directly. */
static uint8_t fold(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

bool vx__question_equal(const vx__question *a, const vx__question *b)
{
    if (a->qtype != b->qtype || a->qclass != b->qclass || a->name_len != b->name_len)
        return false;
    for (size_t i = 0; i < a->name_len; i++)
        if (fold(a->name[i]) != fold(b->name[i]))
            return false;
    return true;
}
