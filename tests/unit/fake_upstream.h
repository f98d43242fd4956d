/*
 * tests/unit/fake_upstream.h — a tiny recursive-resolver stand-in for the tests of the stub
 * resolver's drivers (net/resdriver.c, the libvoxdns libuv adapter): UDP and TCP on 127.0.0.1
 * ephemeral ports, in the test's own libuv loop, answering from a "zone" (NULL-terminated
 * zone-file lines) the way a recursive resolver would (the RRset of the asked name and type;
 * NODATA or NXDOMAIN with an SOA otherwise). Modes: answer, stay silent, answer UDP with TC set
 * (TCP then gives the whole answer), precede the UDP answer with two that must be dropped (from
 * another port; with another id) and echo the question in capitals, answer TCP with another id.
 * Header-only; every function is static inline so that a
 * test may use only some.
 */
#ifndef VX_TESTS_FAKE_UPSTREAM_H
#define VX_TESTS_FAKE_UPSTREAM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <uv.h>

typedef enum fake_mode {
    FAKE_ANSWER,      /* answer at once */
    FAKE_SILENT,      /* never answer (a blackholed resolver) */
    FAKE_TRUNCATED,   /* answer UDP with TC and no records; TCP answers in full */
    FAKE_SPOOFED,     /* UDP: the answer first from another port, then with another id, then
                         the real one with the question name in capitals */
    FAKE_TCP_WRONG_ID /* UDP as FAKE_TRUNCATED; TCP answers with another id */
} fake_mode;

typedef struct fake_upstream {
    uv_udp_t udp;
    uv_tcp_t listener;
    struct sockaddr_in addr; /* the same port for UDP and TCP */
    fake_mode mode;
    const char *const *zone;
    unsigned udp_queries, tcp_queries;
} fake_upstream;

typedef struct fake_conn {
    uv_tcp_t h;
    fake_upstream *f;
    uint8_t buf[2 + 512];
    size_t len;
    uv_write_t wr;
    uint8_t *out;
} fake_conn;

static uint8_t fake_rx[65536];

static inline void fake_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init((char *)fake_rx, sizeof(fake_rx));
}

static inline void fake_push(ldns_pkt *p, ldns_pkt_section sec, const char *line)
{
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL), LDNS_STATUS_OK);
    ldns_pkt_push_rr(p, sec, rr);
}

/* The answer to the query q[0..len) from the zone; *out is malloc'ed (the caller frees). */
static inline void fake_answer(const fake_upstream *f, const uint8_t *q, size_t len, bool tc,
                               uint8_t **out, size_t *out_len)
{
    ldns_pkt *p = NULL;
    assert_int_equal(ldns_wire2pkt(&p, q, len), LDNS_STATUS_OK);
    const ldns_rr *question = ldns_rr_list_rr(ldns_pkt_question(p), 0);
    bool name_exists = false, found = false;
    const char *soa = NULL;
    for (size_t i = 0; !tc && f->zone[i]; i++) {
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, f->zone[i], 0, NULL, NULL), LDNS_STATUS_OK);
        bool same_name = ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(question)) == 0;
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
            soa = f->zone[i];
        name_exists |= same_name;
        if (same_name && ldns_rr_get_type(rr) == ldns_rr_get_type(question)) {
            ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
            found = true;
        } else {
            ldns_rr_free(rr);
        }
    }
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_ra(p, true);
    ldns_pkt_set_tc(p, tc);
    if (!tc && !name_exists)
        ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
    if (!tc && !found && soa)
        fake_push(p, LDNS_SECTION_AUTHORITY, soa);
    assert_int_equal(ldns_pkt2wire(out, p, out_len), LDNS_STATUS_OK);
    ldns_pkt_free(p);
}

/* The question name of a message in capitals (a 0x20-style echo; it is uncompressed). */
static inline void fake_upcase_question(uint8_t *m, size_t len)
{
    for (size_t i = 12; i < len && m[i] != 0; i += (size_t)m[i] + 1)
        for (size_t j = i + 1; j <= i + m[i] && j < len; j++)
            if (m[j] >= 'a' && m[j] <= 'z')
                m[j] = (uint8_t)(m[j] - 'a' + 'A');
}

/* Two answers a client must drop: from another port of the same address, and with another
 * id from the right one. */
static inline void fake_spoof(fake_upstream *f, uint8_t *out, size_t len, const struct sockaddr *to)
{
    struct sockaddr_in other = f->addr;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    other.sin_port = 0;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (const struct sockaddr *)&other, sizeof other), 0);
    assert_int_equal(sendto(fd, out, len, 0, to, sizeof(struct sockaddr_in)), (ssize_t)len);
    close(fd);
    out[0] ^= 0x5a;
    uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
    assert_int_equal(uv_udp_try_send(&f->udp, &b, 1, to), (int)len);
    out[0] ^= 0x5a;
    fake_upcase_question(out, len);
}

static inline void fake_on_udp(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                               const struct sockaddr *from, unsigned flags)
{
    fake_upstream *f = h->data;
    uint8_t *out;
    size_t len;
    (void)flags;
    if (nread < 12 || !from)
        return;
    f->udp_queries++;
    if (f->mode == FAKE_SILENT)
        return;
    fake_answer(f, (const uint8_t *)buf->base, (size_t)nread,
                f->mode == FAKE_TRUNCATED || f->mode == FAKE_TCP_WRONG_ID, &out, &len);
    if (f->mode == FAKE_SPOOFED)
        fake_spoof(f, out, len, from);
    uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
    assert_int_equal(uv_udp_try_send(&f->udp, &b, 1, from), (int)len);
    free(out);
}

static inline void fake_conn_closed(uv_handle_t *h)
{
    fake_conn *c = h->data;
    free(c->out);
    free(c);
}

static inline void fake_written(uv_write_t *req, int status)
{
    (void)status;
    uv_close((uv_handle_t *)req->data, fake_conn_closed);
}

static inline void fake_on_tcp(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    fake_conn *c = s->data;
    if (nread < 0) {
        if (!uv_is_closing((uv_handle_t *)s))
            uv_close((uv_handle_t *)s, fake_conn_closed);
        return;
    }
    size_t n = (size_t)nread < sizeof(c->buf) - c->len ? (size_t)nread : sizeof(c->buf) - c->len;
    memcpy(c->buf + c->len, buf->base, n);
    c->len += n;
    if (c->len < 2 || c->len < 2u + (size_t)(c->buf[0] << 8 | c->buf[1]) || c->out)
        return;
    uint8_t *wire;
    size_t len;
    c->f->tcp_queries++;
    fake_answer(c->f, c->buf + 2, c->len - 2, false, &wire, &len);
    if (c->f->mode == FAKE_TCP_WRONG_ID)
        wire[1] ^= 0x5a;
    c->out = malloc(len + 2);
    assert_non_null(c->out);
    c->out[0] = (uint8_t)(len >> 8);
    c->out[1] = (uint8_t)len;
    memcpy(c->out + 2, wire, len);
    free(wire);
    uv_buf_t b = uv_buf_init((char *)c->out, (unsigned)(len + 2));
    c->wr.data = &c->h;
    assert_int_equal(uv_write(&c->wr, s, &b, 1, fake_written), 0);
}

static inline void fake_on_connection(uv_stream_t *server, int status)
{
    fake_upstream *f = server->data;
    fake_conn *c = calloc(1, sizeof(*c));
    assert_int_equal(status, 0);
    assert_non_null(c);
    c->f = f;
    uv_tcp_init(server->loop, &c->h);
    c->h.data = c;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&c->h), 0);
    uv_read_start((uv_stream_t *)&c->h, fake_alloc, fake_on_tcp);
}

/* Starts UDP and TCP on one free 127.0.0.1 port (retrying if TCP finds the port taken). */
static inline void fake_start(uv_loop_t *loop, fake_upstream *f, fake_mode mode,
                              const char *const *zone)
{
    memset(f, 0, sizeof(*f));
    f->mode = mode;
    f->zone = zone;
    for (int tries = 0;; tries++) {
        struct sockaddr_in a;
        int len = sizeof(f->addr);
        uv_ip4_addr("127.0.0.1", 0, &a);
        assert_int_equal(uv_udp_init(loop, &f->udp), 0);
        assert_int_equal(uv_udp_bind(&f->udp, (const struct sockaddr *)&a, 0), 0);
        uv_udp_getsockname(&f->udp, (struct sockaddr *)&f->addr, &len);
        assert_int_equal(uv_tcp_init(loop, &f->listener), 0);
        if (uv_tcp_bind(&f->listener, (const struct sockaddr *)&f->addr, 0) == 0 &&
            uv_listen((uv_stream_t *)&f->listener, 8, fake_on_connection) == 0)
            break;
        assert_true(tries < 20);
        uv_close((uv_handle_t *)&f->udp, NULL);
        uv_close((uv_handle_t *)&f->listener, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
    }
    f->udp.data = f;
    f->listener.data = f;
    assert_int_equal(uv_udp_recv_start(&f->udp, fake_alloc, fake_on_udp), 0);
}

/* Closes the fake's handles and lets the loop finish closing them, so that f (usually on the
 * test's stack) may go away when the test returns. */
static inline void fake_stop(fake_upstream *f)
{
    uv_close((uv_handle_t *)&f->udp, NULL);
    uv_close((uv_handle_t *)&f->listener, NULL);
    uv_run(f->udp.loop, UV_RUN_NOWAIT);
}

/* An address where nothing listens: the kernel answers UDP with ICMP port unreachable. */
static inline void fake_closed_port(uv_loop_t *loop, struct sockaddr_in *out)
{
    uv_udp_t h;
    struct sockaddr_in a;
    int len = sizeof(*out);
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_udp_init(loop, &h), 0);
    assert_int_equal(uv_udp_bind(&h, (const struct sockaddr *)&a, 0), 0);
    uv_udp_getsockname(&h, (struct sockaddr *)out, &len);
    uv_close((uv_handle_t *)&h, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

/* "127.0.0.1:PORT" of a fake, for vx_config_add_upstream(). */
static inline const char *fake_text(const struct sockaddr_in *a, char *buf, size_t cap)
{
    snprintf(buf, cap, "127.0.0.1:%u", (unsigned)ntohs(a->sin_port));
    return buf;
}

/* The zone both driver tests use: one SIP service over UDP, its server with an A record. */
static const char *const fake_zone[] = {
    "example.com. 3600 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300",
    "example.com. 3600 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 10 0 5060 sip.example.com.",
    "sip.example.com. 3600 IN A 192.0.2.10", NULL};

#endif
