/*
 * wire/frame.c — owns the two-octet length framing of DNS over TCP and TLS (frame.h): the
 * deframer's buffer, its state between chunks, and the prefix writer.
 */
#include "wire/frame.h"

#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/reader.h"

void vx__deframer_init(vx__deframer *f)
{
    f->buf = NULL;
    f->have = 0;
    f->cap = 0;
}

void vx__deframer_reset(vx__deframer *f)
{
    f->have = 0;
}

void vx__deframer_free(vx__deframer *f)
{
    free(f->buf);
    vx__deframer_init(f);
}

size_t vx__deframer_pending(const vx__deframer *f)
{
    return f->have;
}

int vx__frame_put_prefix(uint8_t out[VX__FRAME_PREFIX], size_t len)
{
    if (len > VX__FRAME_MSG_MAX)
        return VX_EINVAL;
    out[0] = (uint8_t)(len >> 8);
    out[1] = (uint8_t)len;
    return VX_OK;
}

static size_t be16(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

/* Messages that lie whole in data go straight to emit; *used says how far that got. */
static int emit_whole(const uint8_t *data, size_t n, size_t *used, vx__frame_cb emit, void *arg)
{
    size_t at = 0;
    int rc = VX_OK;

    while (rc == VX_OK && n - at >= VX__FRAME_PREFIX) {
        size_t m = be16(data + at);
        if (m < VX__HEADER_LEN)
            return VX_EMALFORMED;
        if (n - at < VX__FRAME_PREFIX + m)
            break;
        rc = emit(arg, data + at + VX__FRAME_PREFIX, m);
        at += VX__FRAME_PREFIX + m;
    }
    *used = at;
    return rc;
}

static int grow(vx__deframer *f, size_t want)
{
    uint8_t *b;

    if (want <= f->cap)
        return VX_OK;
    b = realloc(f->buf, want);
    if (!b)
        return VX_ENOMEM;
    f->buf = b;
    f->cap = want;
    return VX_OK;
}

/* Appends to the incomplete message as much of data as it still needs; *used says how much.
 * A message completed this way is emitted and the buffer emptied. */
static int buffer_more(vx__deframer *f, const uint8_t *data, size_t n, size_t *used,
                       vx__frame_cb emit, void *arg)
{
    size_t need = f->have < VX__FRAME_PREFIX ? VX__FRAME_PREFIX : VX__FRAME_PREFIX + be16(f->buf);
    size_t take = need - f->have < n ? need - f->have : n;
    int rc = grow(f, need);

    *used = 0;
    if (rc != VX_OK)
        return rc;
    memcpy(f->buf + f->have, data, take);
    f->have += take;
    *used = take;
    if (f->have < VX__FRAME_PREFIX || f->have < need)
        return VX_OK;
    if (need == VX__FRAME_PREFIX) /* the prefix is complete: is it a DNS length? */
        return be16(f->buf) < VX__HEADER_LEN ? VX_EMALFORMED : VX_OK;
    f->have = 0;
    return emit(arg, f->buf + VX__FRAME_PREFIX, need - VX__FRAME_PREFIX);
}

int vx__deframer_feed(vx__deframer *f, const uint8_t *data, size_t n, vx__frame_cb emit, void *arg)
{
    int rc = VX_OK;

    while (rc == VX_OK && n > 0) {
        size_t used = 0;
        if (f->have == 0)
            rc = emit_whole(data, n, &used, emit, arg);
        if (rc == VX_OK && used < n) {
            size_t more = 0;
            rc = buffer_more(f, data + used, n - used, &more, emit, arg);
            used += more;
        }
        data += used;
        n -= used;
    }
    if (rc == VX_EMALFORMED || rc == VX_ENOMEM)
        f->have = 0;
    return rc;
}
