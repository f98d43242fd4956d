/*
 * tests/unit/test_wire_frame.c — the DNS-over-stream deframer (wire/frame.c): a stream of
 * three messages split at every byte boundary and fed one octet at a time gives the same
 * messages, a whole message is handed over without a copy, a zero or too short length is
 * refused, the largest length is accepted and never read past, a callback can stop the feed,
 * reset forgets a half message, and the prefix writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/frame.h"

#define MAX_MSGS 8

typedef struct got {
    size_t n;
    size_t lens[MAX_MSGS];
    uint8_t first[MAX_MSGS];
    uint8_t last[MAX_MSGS];
    const uint8_t *where[MAX_MSGS];
    int stop_after; /* 0: never */
} got;

static int on_msg(void *arg, const uint8_t *msg, size_t len)
{
    got *g = arg;
    assert_true(g->n < MAX_MSGS);
    g->lens[g->n] = len;
    g->first[g->n] = msg[0];
    g->last[g->n] = msg[len - 1];
    g->where[g->n++] = msg;
    return g->stop_after && (int)g->n == g->stop_after ? VX_ECANCELED : VX_OK;
}

/* Appends a framed message of len octets, first octet tag, last octet tag + 1. */
static size_t put_msg(uint8_t *out, size_t len, uint8_t tag)
{
    assert_int_equal(vx__frame_put_prefix(out, len), VX_OK);
    memset(out + 2, 0, len);
    out[2] = tag;
    out[2 + len - 1] = (uint8_t)(tag + 1);
    return 2 + len;
}

static size_t three_messages(uint8_t *s)
{
    size_t n = put_msg(s, 12, 'a');
    n += put_msg(s + n, 40, 'b');
    return n + put_msg(s + n, 300, 'c');
}

static void check_three(const got *g)
{
    const size_t lens[] = {12, 40, 300};
    const uint8_t tags[] = {'a', 'b', 'c'};
    assert_int_equal(g->n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(g->lens[i], lens[i]);
        assert_int_equal(g->first[i], tags[i]);
        assert_int_equal(g->last[i], tags[i] + 1);
    }
}

static void test_split_at_every_byte(void **state)
{
    (void)state;
    uint8_t s[400];
    size_t n = three_messages(s);
    for (size_t cut = 0; cut <= n; cut++) {
        vx__deframer f;
        got g = {0};
        vx__deframer_init(&f);
        assert_int_equal(vx__deframer_feed(&f, s, cut, on_msg, &g), VX_OK);
        assert_int_equal(vx__deframer_feed(&f, s + cut, n - cut, on_msg, &g), VX_OK);
        check_three(&g);
        assert_int_equal(vx__deframer_pending(&f), 0);
        vx__deframer_free(&f);
    }
}

static void test_one_octet_at_a_time(void **state)
{
    (void)state;
    uint8_t s[400];
    size_t n = three_messages(s);
    vx__deframer f;
    got g = {0};
    vx__deframer_init(&f);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(vx__deframer_feed(&f, s + i, 1, on_msg, &g), VX_OK);
        assert_true(vx__deframer_pending(&f) <= 2 + 300);
    }
    check_three(&g);
    /* Nothing was handed over from the caller's bytes: each message was assembled. */
    for (size_t i = 0; i < 3; i++)
        assert_true(g.where[i] < s || g.where[i] >= s + n);
    vx__deframer_free(&f);
}

static void test_whole_message_not_copied(void **state)
{
    (void)state;
    uint8_t s[400];
    size_t n = three_messages(s);
    vx__deframer f;
    got g = {0};
    vx__deframer_init(&f);
    assert_int_equal(vx__deframer_feed(&f, s, n - 1, on_msg, &g), VX_OK);
    assert_int_equal(g.n, 2);
    assert_ptr_equal(g.where[0], s + 2);
    assert_ptr_equal(g.where[1], s + 2 + 12 + 2);
    assert_int_equal(vx__deframer_pending(&f), 2 + 300 - 1);
    assert_int_equal(vx__deframer_feed(&f, s + n - 1, 1, on_msg, &g), VX_OK);
    check_three(&g);
    vx__deframer_free(&f);
}

static void test_zero_and_short_lengths_refused(void **state)
{
    (void)state;
    const uint8_t zero[] = {0, 0, 1, 2, 3};
    const uint8_t eleven[] = {0, 11};
    uint8_t s[64];
    size_t n = put_msg(s, 12, 'a');
    vx__deframer f;
    got g = {0};
    vx__deframer_init(&f);
    assert_int_equal(vx__deframer_feed(&f, zero, sizeof zero, on_msg, &g), VX_EMALFORMED);
    /* Split inside the prefix: the second octet completes a bad length. */
    assert_int_equal(vx__deframer_feed(&f, eleven, 1, on_msg, &g), VX_OK);
    assert_int_equal(vx__deframer_feed(&f, eleven + 1, 1, on_msg, &g), VX_EMALFORMED);
    /* A good message before a bad one is still handed over; the deframer is reset after. */
    memcpy(s + n, zero, 2);
    assert_int_equal(vx__deframer_feed(&f, s, n + 2, on_msg, &g), VX_EMALFORMED);
    assert_int_equal(g.n, 1);
    assert_int_equal(vx__deframer_pending(&f), 0);
    vx__deframer_free(&f);
}

static void test_largest_length_never_read_past(void **state)
{
    (void)state;
    size_t n = 2 + VX__FRAME_MSG_MAX;
    /* Exactly sized heap buffers: ASan reports any read past them. */
    uint8_t *s = malloc(n);
    assert_non_null(s);
    put_msg(s, VX__FRAME_MSG_MAX, 'x');
    for (size_t cut = 1; cut < n; cut += 7919) {
        vx__deframer f;
        got g = {0};
        uint8_t *head = malloc(cut), *tail = malloc(n - cut);
        assert_non_null(head);
        assert_non_null(tail);
        memcpy(head, s, cut);
        memcpy(tail, s + cut, n - cut);
        vx__deframer_init(&f);
        assert_int_equal(vx__deframer_feed(&f, head, cut, on_msg, &g), VX_OK);
        assert_int_equal(g.n, 0);
        assert_int_equal(vx__deframer_feed(&f, tail, n - cut, on_msg, &g), VX_OK);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.lens[0], VX__FRAME_MSG_MAX);
        assert_int_equal(g.last[0], 'x' + 1);
        assert_true(f.cap <= n); /* bounded: one message, prefix included */
        vx__deframer_free(&f);
        free(head);
        free(tail);
    }
    free(s);
}

static void test_callback_stops_feed(void **state)
{
    (void)state;
    uint8_t s[400];
    size_t n = three_messages(s);
    vx__deframer f;
    got g = {.stop_after = 2};
    vx__deframer_init(&f);
    assert_int_equal(vx__deframer_feed(&f, s, n, on_msg, &g), VX_ECANCELED);
    assert_int_equal(g.n, 2);
    /* Stopping while assembling: the same from one octet at a time. */
    got h = {.stop_after = 1};
    vx__deframer_reset(&f);
    size_t i = 0;
    int rc = VX_OK;
    for (; i < n && rc == VX_OK; i++)
        rc = vx__deframer_feed(&f, s + i, 1, on_msg, &h);
    assert_int_equal(rc, VX_ECANCELED);
    assert_int_equal(i, 2 + 12);
    assert_int_equal(h.n, 1);
    vx__deframer_free(&f);
}

static void test_reset_forgets_half_message(void **state)
{
    (void)state;
    uint8_t s[400];
    size_t n = three_messages(s);
    vx__deframer f;
    got g = {0};
    vx__deframer_init(&f);
    assert_int_equal(vx__deframer_feed(&f, s, 20, on_msg, &g), VX_OK);
    assert_int_equal(g.n, 1);
    assert_int_not_equal(vx__deframer_pending(&f), 0);
    vx__deframer_reset(&f);
    assert_int_equal(vx__deframer_pending(&f), 0);
    g.n = 0;
    assert_int_equal(vx__deframer_feed(&f, s, n, on_msg, &g), VX_OK);
    check_three(&g);
    vx__deframer_free(&f);
}

static void test_prefix(void **state)
{
    (void)state;
    uint8_t p[2];
    assert_int_equal(vx__frame_put_prefix(p, 0x1234), VX_OK);
    assert_int_equal(p[0], 0x12);
    assert_int_equal(p[1], 0x34);
    assert_int_equal(vx__frame_put_prefix(p, 65535), VX_OK);
    assert_int_equal(p[0], 0xff);
    assert_int_equal(p[1], 0xff);
    assert_int_equal(vx__frame_put_prefix(p, 65536), VX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_one_octet_at_a_time),
        cmocka_unit_test(test_whole_message_not_copied),
        cmocka_unit_test(test_zero_and_short_lengths_refused),
        cmocka_unit_test(test_largest_length_never_read_past),
        cmocka_unit_test(test_callback_stops_feed),
        cmocka_unit_test(test_reset_forgets_half_message),
        cmocka_unit_test(test_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
