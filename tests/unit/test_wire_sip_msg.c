/*
 * tests/unit/test_wire_sip_msg.c — the SIP response reader and the OPTIONS builder
 * (wire/sip_msg.h): fields kept, compact header forms, stream framing by Content-Length,
 * datagrams, truncation of long fields, and rejection of what is not a SIP response.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/sip_msg.h"

static const char OK_200[] = "SIP/2.0 200 OK\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.9:40000;branch=z9hG4bKabc;rport=40000, "
                             "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKother\r\n"
                             "From: <sip:voxdns@192.0.2.9:40000>;tag=t1\r\n"
                             "To: <sip:example.com>;tag=srv\r\n"
                             "Call-ID: cid-1@voxdns\r\n"
                             "CSeq: 7 OPTIONS\r\n"
                             "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
                             "Content-Length: 4\r\n"
                             "\r\n"
                             "body";

static int parse(const char *text, size_t len, bool stream, vx__sip_response *r)
{
    return vx__sip_response_parse((const uint8_t *)text, len, stream, r);
}

static void test_fields(void **state)
{
    (void)state;
    vx__sip_response r;
    assert_int_equal(parse(OK_200, strlen(OK_200), false, &r), VX_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.reason, "OK");
    assert_string_equal(r.branch, "z9hG4bKabc");
    assert_string_equal(r.call_id, "cid-1@voxdns");
    assert_int_equal(r.cseq, 7);
    assert_string_equal(r.cseq_method, "OPTIONS");
    assert_string_equal(r.server, "kamailio (5.6.3 (x86_64/linux))");
    assert_int_equal(r.content_length, 4);
    assert_int_equal(r.length, strlen(OK_200));
}

static void test_compact_forms_and_bare_lf(void **state)
{
    (void)state;
    const char *m = "SIP/2.0 503 Service Unavailable\n"
                    "v: SIP/2.0/TCP h;branch=z9hG4bKx\n"
                    "i: c2\n"
                    "CSeq: 1 OPTIONS\n"
                    "User-Agent: pbx\n"
                    "X-Folded: a\n b\n"
                    "l: 0\n\n";
    vx__sip_response r;
    assert_int_equal(parse(m, strlen(m), true, &r), VX_OK);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.reason, "Service Unavailable");
    assert_string_equal(r.branch, "z9hG4bKx");
    assert_string_equal(r.call_id, "c2");
    assert_string_equal(r.server, "pbx");
    assert_int_equal(r.length, strlen(m));
}

static void test_stream_framing(void **state)
{
    (void)state;
    vx__sip_response r;
    size_t n = strlen(OK_200);
    /* every prefix is incomplete; the whole message (and more after it) is complete */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(parse(OK_200, i, true, &r), VX__SIP_MORE);
    char two[1024];
    snprintf(two, sizeof two, "%s%s", OK_200, OK_200);
    assert_int_equal(parse(two, strlen(two), true, &r), VX_OK);
    assert_int_equal(r.length, n);
    /* a stream needs Content-Length */
    const char *nolen = "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_int_equal(parse(nolen, strlen(nolen), true, &r), VX_EMALFORMED);
    assert_int_equal(parse(nolen, strlen(nolen), false, &r), VX_OK);
}

static void test_datagram_rules(void **state)
{
    (void)state;
    vx__sip_response r;
    /* a truncated datagram is not waited for: it is broken */
    assert_int_equal(parse(OK_200, strlen(OK_200) - 2, false, &r), VX_EMALFORMED);
    assert_int_equal(parse(OK_200, 40, false, &r), VX_EMALFORMED);
}

static void test_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "OPTIONS sip:a SIP/2.0\r\n\r\n", /* a request */
        "SIP/2.0 99 Low\r\n\r\n",        /* code out of range */
        "SIP/2.0 700 High\r\n\r\n",      /* code out of range */
        "SIP/2.0 2x0 OK\r\n\r\n",        /* not digits */
        "SIP/2.0 2000 OK\r\n\r\n",       /* four digits */
        "HTTP/1.1 200 OK\r\n\r\n",       /* another protocol */
        "SIP/2.0 200 OK\r\nno colon here\r\n\r\n",
        "SIP/2.0 200 OK\r\n: empty name\r\n\r\n",
        "SIP/2.0 200 OK\r\nCSeq: x OPTIONS\r\n\r\n",
        "SIP/2.0 200 OK\r\nContent-Length: 99999999\r\n\r\n",
        "SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n",
        "SIP/2.0 200 O\rK\r\n\r\n",
    };
    vx__sip_response r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(bad[i], strlen(bad[i]), false, &r), VX_EMALFORMED);
    const char nul[] = "SIP/2.0 200 O\0K\r\n\r\n";
    assert_int_equal(parse(nul, sizeof nul - 1, false, &r), VX_EMALFORMED);
    assert_int_equal(vx__sip_response_parse(NULL, 0, false, &r), VX_EINVAL);
}

static void test_long_fields_truncated(void **state)
{
    (void)state;
    char m[2048], reason[600];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    snprintf(m, sizeof m, "SIP/2.0 486 %s\r\nCall-ID: %s\r\nContent-Length: 0\r\n\r\n", reason,
             reason);
    vx__sip_response r;
    assert_int_equal(parse(m, strlen(m), true, &r), VX_OK);
    assert_int_equal(strlen(r.reason), VX__SIP_FIELD_MAX - 1);
    assert_int_equal(strlen(r.call_id), VX__SIP_FIELD_MAX - 1);
}

static void test_build_and_match(void **state)
{
    (void)state;
    struct sockaddr_storage local;
    socklen_t len;
    assert_int_equal(vx__addr_parse("192.0.2.9", 40000, &local, &len), VX_OK);
    vx__sip_options_req req = {.transport = "UDP",
                               .request_uri = "sip:example.com",
                               .local = (const struct sockaddr *)&local,
                               .branch = "z9hG4bKabc",
                               .call_id = "cid-1@voxdns",
                               .tag = "t1",
                               .cseq = 7};
    char buf[1024];
    size_t n = vx__sip_options_build(&req, buf, sizeof buf);
    assert_true(n > 0 && n < sizeof buf);
    assert_memory_equal(buf, "OPTIONS sip:example.com SIP/2.0\r\n", 33);
    assert_non_null(strstr(buf, "Via: SIP/2.0/UDP 192.0.2.9:40000;branch=z9hG4bKabc;rport\r\n"));
    assert_non_null(strstr(buf, "\r\nContent-Length: 0\r\n\r\n"));
    assert_int_equal(vx__sip_options_build(&req, buf, 100), 0); /* does not fit */
    vx__sip_response r;
    assert_int_equal(parse(OK_200, strlen(OK_200), false, &r), VX_OK);
    assert_true(vx__sip_response_matches(&r, &req));
    req.cseq = 8;
    assert_false(vx__sip_response_matches(&r, &req));
    req.cseq = 7;
    req.branch = "z9hG4bKother";
    assert_false(vx__sip_response_matches(&r, &req));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),          cmocka_unit_test(test_compact_forms_and_bare_lf),
        cmocka_unit_test(test_stream_framing),  cmocka_unit_test(test_datagram_rules),
        cmocka_unit_test(test_rejects),         cmocka_unit_test(test_long_fields_truncated),
        cmocka_unit_test(test_build_and_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
