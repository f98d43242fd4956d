/* tests/fuzz/fuzz_net_frame.c — libFuzzer target for what a DNS server sends over a stream and
 * as datagrams, through the two readers every exchange of net/ uses: the two-octet length
 * deframer (wire/frame.c) and the answer matcher (wire/answer.c).
 *
 * The first octet picks a chunk size; the rest is the byte stream. It is fed to the deframer
 * whole and again in chunks of that size, and every message it hands over, as well as the
 * whole input as one datagram, goes to the matcher against a fixed query
 * (_sip._udp.example.com SRV IN, ids 0x2a2a and 0x5353, from 192.0.2.53:53). Aborts when an
 * invariant breaks: a message is under 12 or over 65535 octets, does not equal the input at
 * the place the framing puts it, or is handed over differently when the stream is split; a
 * match says another id, TC or question than the message has; the verdict changes when the
 * query's name is in other case; anything from another port matches. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "voxdns/status.h"
#include "wire/answer.h"
#include "wire/frame.h"
#include "wire/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TRACK 4096

typedef struct seen {
    const uint8_t *in; /* the stream */
    size_t in_len;
    size_t at; /* where the next message's prefix must be */
    size_t n;
    size_t lens[MAX_TRACK];
} seen;

static vx__question q_lower, q_upper;
static struct sockaddr_in server, other;
static const uint16_t ids[2] = {0x2a2a, 0x5353};

static void init_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    if (vx__question_from_text("_sip._udp.example.com", 33, 1, &q_lower) != VX_OK ||
        vx__question_from_text("_SIP._UDP.Example.COM", 33, 1, &q_upper) != VX_OK)
        abort();
    memset(&server, 0, sizeof server);
    server.sin_family = AF_INET;
    server.sin_port = htons(53);
    inet_pton(AF_INET, "192.0.2.53", &server.sin_addr);
    other = server;
    other.sin_port = htons(5353);
}

static void check_match(const uint8_t *msg, size_t len)
{
    vx__answer_spec spec = {
        .server = (const struct sockaddr *)&server, .ids = ids, .nids = 2, .question = &q_lower};
    vx__answer a, b;
    vx__answer_verdict v = vx__answer_match(&spec, (const struct sockaddr *)&server, msg, len, &a);
    if (vx__answer_match(&spec, (const struct sockaddr *)&other, msg, len, &b) != VX__ANSWER_SOURCE)
        abort();
    spec.question = &q_upper;
    if (vx__answer_match(&spec, (const struct sockaddr *)&server, msg, len, &b) != v)
        abort();
    if (v != VX__ANSWER_OK)
        return;
    vx__header h;
    vx__question q;
    if (vx__wire_read_header(msg, len, &h) != VX_OK || a.which > 1 || ids[a.which] != h.id ||
        a.flags != h.flags || a.truncated != ((h.flags & VX__FLAG_TC) != 0) ||
        !(h.flags & VX__FLAG_QR) || vx__wire_read_question(msg, len, &q) != VX_OK ||
        !vx__question_equal(&q, &q_lower))
        abort();
}

static int on_msg(void *arg, const uint8_t *msg, size_t len)
{
    seen *s = arg;
    if (len < 12 || len > 65535 || s->at + 2 + len > s->in_len)
        abort();
    if ((size_t)(s->in[s->at] << 8 | s->in[s->at + 1]) != len ||
        memcmp(s->in + s->at + 2, msg, len) != 0)
        abort();
    s->at += 2 + len;
    if (s->n < MAX_TRACK)
        s->lens[s->n] = len;
    s->n++;
    check_match(msg, len);
    return VX_OK;
}

static int feed(const uint8_t *in, size_t len, size_t step, seen *s)
{
    vx__deframer f;
    int rc = VX_OK;
    vx__deframer_init(&f);
    s->in = in;
    s->in_len = len;
    for (size_t off = 0; rc == VX_OK && off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        rc = vx__deframer_feed(&f, in + off, n, on_msg, s);
        if (vx__deframer_pending(&f) > 2 + 65535u || f.cap > 2 + 65535u)
            abort();
    }
    /* What is held is exactly the incomplete tail. */
    if (rc == VX_OK && s->at + vx__deframer_pending(&f) != len)
        abort();
    vx__deframer_free(&f);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    init_once();
    size_t step = (size_t)data[0] + 1;
    static seen whole, split;
    memset(&whole, 0, sizeof whole);
    memset(&split, 0, sizeof split);
    int rc1 = feed(data + 1, size - 1, size, &whole);
    int rc2 = feed(data + 1, size - 1, step, &split);
    if (rc1 != rc2 || whole.n != split.n || whole.at != split.at)
        abort();
    for (size_t i = 0; i < whole.n && i < MAX_TRACK; i++)
        if (whole.lens[i] != split.lens[i])
            abort();
    check_match(data + 1, size - 1);
    return 0;
}
