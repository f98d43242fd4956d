/*
 * tests/unit/test_wire_answer.c — the answer matcher (wire/answer.c): a real answer matches
 * and says which id it answers; the same with the name in other case matches; a wrong source
 * address or port, QR clear, another opcode, an unknown id, another name, type or class, no
 * question, two questions and a message cut short do not; TC is reported, not refused; an
 * IPv6 source that carries the scope the query left out still matches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/answer.h"
#include "wire/query.h"

typedef struct fixture {
    struct sockaddr_in server;
    vx__question q;
    uint16_t ids[3];
    vx__answer_spec spec;
    uint8_t msg[512];
    size_t len;
} fixture;

static fixture fx;

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

/* A response to name/type with id: the query as built (no EDNS: the question ends it), QR
 * set. */
static void response(const char *name, uint16_t type, uint16_t id)
{
    vx__question q;
    assert_int_equal(vx__question_from_text(name, type, 1, &q), VX_OK);
    assert_int_equal(vx__wire_build_query(&q, id, VX__Q_NOEDNS, fx.msg, sizeof fx.msg, &fx.len),
                     VX_OK);
    fx.msg[2] |= 0x80; /* QR */
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    fx.server = v4("192.0.2.53", 53);
    assert_int_equal(vx__question_from_text("_sip._udp.example.com", 33, 1, &fx.q), VX_OK);
    fx.ids[0] = 0x1111;
    fx.ids[1] = 0x2222;
    fx.ids[2] = 0x3333;
    fx.spec = (vx__answer_spec){
        .server = (const struct sockaddr *)&fx.server, .ids = fx.ids, .nids = 3, .question = &fx.q};
    response("_sip._udp.example.com", 33, 0x2222);
    return 0;
}

static vx__answer_verdict match(const struct sockaddr_in *src, vx__answer *a)
{
    return vx__answer_match(&fx.spec, (const struct sockaddr *)src, fx.msg, fx.len, a);
}

static void test_answer_matches(void **state)
{
    (void)state;
    vx__answer a;
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_OK);
    assert_int_equal(a.which, 1);
    assert_false(a.truncated);
    assert_true(a.flags & 0x8000u);
    /* Over a stream there is no source to check. */
    fx.spec.server = NULL;
    assert_int_equal(vx__answer_match(&fx.spec, NULL, fx.msg, fx.len, &a), VX__ANSWER_OK);
}

static void test_case_different_question_matches(void **state)
{
    (void)state;
    vx__answer a;
    response("_SIP._Udp.ExAmPlE.COM", 33, 0x3333);
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_OK);
    assert_int_equal(a.which, 2);
}

static void test_wrong_source(void **state)
{
    (void)state;
    vx__answer a;
    struct sockaddr_in other_port = v4("192.0.2.53", 5353);
    struct sockaddr_in other_addr = v4("192.0.2.54", 53);
    assert_int_equal(match(&other_port, &a), VX__ANSWER_SOURCE);
    assert_int_equal(match(&other_addr, &a), VX__ANSWER_SOURCE);
    assert_int_equal(vx__answer_match(&fx.spec, NULL, fx.msg, fx.len, &a), VX__ANSWER_SOURCE);
}

static void test_wrong_id(void **state)
{
    (void)state;
    vx__answer a = {.which = 99};
    response("_sip._udp.example.com", 33, 0x4444);
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_ID);
    assert_int_equal(a.which, 99); /* untouched */
    fx.spec.nids = 1;              /* 0x2222 was never sent now */
    response("_sip._udp.example.com", 33, 0x2222);
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_ID);
}

static void test_wrong_question(void **state)
{
    (void)state;
    vx__answer a;
    response("_sip._tcp.example.com", 33, 0x1111);
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_QUESTION);
    response("_sip._udp.example.com", 35, 0x1111);
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_QUESTION);
    response("_sip._udp.example.com.example.com", 33, 0x1111);
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_QUESTION);
    response("_sip._udp.example.com", 33, 0x1111);
    fx.msg[fx.len - 1] = 3; /* class CH */
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_QUESTION);
}

static void test_question_count(void **state)
{
    (void)state;
    vx__answer a;
    fx.msg[5] = 0; /* no question */
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_QUESTION);
    fx.msg[5] = 2; /* two */
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_QUESTION);
}

static void test_not_a_response(void **state)
{
    (void)state;
    vx__answer a;
    fx.msg[2] &= 0x7f;
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_NOT_RESPONSE);
    fx.msg[2] |= 0x80 | (4 << 3); /* NOTIFY */
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_OPCODE);
    fx.spec.opcode = 4;
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_OK);
}

static void test_cut_short(void **state)
{
    (void)state;
    vx__answer a;
    size_t full = fx.len;
    fx.len = 11;
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_MALFORMED);
    assert_int_equal(full, 12 + 23 + 4);
    for (fx.len = 12; fx.len < full; fx.len++) /* cut inside the question */
        assert_int_equal(match(&fx.server, &a), VX__ANSWER_QUESTION);
    fx.len = full;
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_OK);
}

static void test_truncated_reported(void **state)
{
    (void)state;
    vx__answer a;
    fx.msg[2] |= 0x02; /* TC */
    assert_int_equal(match(&fx.server, &a), VX__ANSWER_OK);
    assert_true(a.truncated);
    assert_true(a.flags & 0x0200u);
}

static void test_ipv6_scope(void **state)
{
    (void)state;
    struct sockaddr_in6 srv, src;
    vx__answer a;
    memset(&srv, 0, sizeof srv);
    srv.sin6_family = AF_INET6;
    srv.sin6_port = htons(53);
    assert_int_equal(inet_pton(AF_INET6, "fe80::53", &srv.sin6_addr), 1);
    src = srv;
    src.sin6_scope_id = 2;
    fx.spec.server = (const struct sockaddr *)&srv;
    assert_int_equal(vx__answer_match(&fx.spec, (const struct sockaddr *)&src, fx.msg, fx.len, &a),
                     VX__ANSWER_OK);
    srv.sin6_scope_id = 3; /* both name one: they must agree */
    assert_int_equal(vx__answer_match(&fx.spec, (const struct sockaddr *)&src, fx.msg, fx.len, &a),
                     VX__ANSWER_SOURCE);
    struct sockaddr_in four = v4("192.0.2.53", 53);
    assert_int_equal(match(&four, &a), VX__ANSWER_SOURCE); /* another family */
    assert_string_equal(vx__answer_verdict_name(VX__ANSWER_SOURCE), "wrong source");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_answer_matches, setup),
        cmocka_unit_test_setup(test_case_different_question_matches, setup),
        cmocka_unit_test_setup(test_wrong_source, setup),
        cmocka_unit_test_setup(test_wrong_id, setup),
        cmocka_unit_test_setup(test_wrong_question, setup),
        cmocka_unit_test_setup(test_question_count, setup),
        cmocka_unit_test_setup(test_not_a_response, setup),
        cmocka_unit_test_setup(test_cut_short, setup),
        cmocka_unit_test_setup(test_truncated_reported, setup),
        cmocka_unit_test_setup(test_ipv6_scope, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
