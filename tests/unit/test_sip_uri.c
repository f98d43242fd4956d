/*
 * tests/unit/test_sip_uri.c — sip:/sips: URI parsing: the accepted forms (user part, hostname,
 * IPv4, [IPv6], port, transport and maddr parameters, headers), what each yields, and the
 * refusals with their error text for malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sip/uri.h"
#include "voxdns/status.h"

static vx__sip_uri parse_ok(const char *text)
{
    vx__sip_uri u;
    char err[256] = "";
    int rc = vx__sip_uri_parse(text, strlen(text), &u, err, sizeof err);
    if (rc != VX_OK)
        fail_msg("'%s' refused: %s", text, err);
    return u;
}

/* Refused with status, and the error text contains want. */
static void parse_bad(const char *text, int status, const char *want)
{
    vx__sip_uri u;
    char err[256] = "";
    int rc = vx__sip_uri_parse(text, strlen(text), &u, err, sizeof err);
    if (rc != status)
        fail_msg("'%s': status %d, wanted %d (%s)", text, rc, status, err);
    if (!strstr(err, want))
        fail_msg("'%s': error '%s' does not say '%s'", text, err, want);
}

static void test_plain_domain(void **state)
{
    (void)state;
    vx__sip_uri u = parse_ok("sip:example.com");
    assert_false(u.secure);
    assert_false(u.has_user);
    assert_false(u.host_is_ip);
    assert_string_equal(u.host, "example.com.");
    assert_int_equal(u.port, 0);
    assert_int_equal(u.transport, 0);
    assert_string_equal(u.maddr, "");
}

static void test_full_form(void **state)
{
    (void)state;
    vx__sip_uri u =
        parse_ok("SIPS:alice;day=tue:secret@Example.COM:5071;transport=TCP;lr;ttl=15?subject="
                 "project%20x&priority=urgent");
    assert_true(u.secure);
    assert_true(u.has_user);
    assert_string_equal(u.host, "example.com.");
    assert_int_equal(u.port, 5071);
    /* sips + transport=tcp means TLS over TCP */
    assert_int_equal(u.transport, VX__SIP_TLS);
}

static void test_transports(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("sip:a.example;transport=udp").transport, VX__SIP_UDP);
    assert_int_equal(parse_ok("sip:a.example;transport=tcp").transport, VX__SIP_TCP);
    assert_int_equal(parse_ok("sip:a.example;transport=tls").transport, VX__SIP_TLS);
    assert_int_equal(parse_ok("sip:a.example;transport=SCTP").transport, VX__SIP_SCTP);
    assert_int_equal(parse_ok("sips:a.example;transport=tls").transport, VX__SIP_TLS);
    parse_bad("sip:a.example;transport=ws", VX_EUNSUPPORTED, "transport 'ws' not supported");
    parse_bad("sips:a.example;transport=udp", VX_EINVAL, "sips: cannot use transport=udp");
    parse_bad("sips:a.example;transport=sctp", VX_EUNSUPPORTED, "TLS over SCTP");
    parse_bad("sip:a.example;transport=", VX_EINVAL, "invalid parameter value");
    parse_bad("sip:a.example;transport", VX_EINVAL, "needs a value");
    parse_bad("sip:a.example;transport=udp;transport=tcp", VX_EINVAL, "given twice");
}

static void test_numeric_hosts(void **state)
{
    (void)state;
    vx__sip_uri u = parse_ok("sip:bob@192.0.2.10:5070");
    assert_true(u.host_is_ip);
    assert_string_equal(u.host, "192.0.2.10");
    assert_int_equal(u.addr.ss_family, AF_INET);
    assert_int_equal(u.port, 5070);
    u = parse_ok("sips:[2001:DB8::0:1]");
    assert_true(u.host_is_ip);
    assert_string_equal(u.host, "2001:db8::1");
    assert_int_equal(u.addr.ss_family, AF_INET6);
    u = parse_ok("sip:[2001:db8::1]:5062;transport=tcp");
    assert_int_equal(u.port, 5062);
    assert_int_equal(u.transport, VX__SIP_TCP);
}

static void test_maddr(void **state)
{
    (void)state;
    vx__sip_uri u = parse_ok("sip:example.com;maddr=192.0.2.99");
    assert_string_equal(u.host, "example.com.");
    assert_string_equal(u.maddr, "192.0.2.99");
    assert_true(u.maddr_is_ip);
    u = parse_ok("sip:example.com;maddr=Proxy.Example.NET");
    assert_string_equal(u.maddr, "proxy.example.net.");
    assert_false(u.maddr_is_ip);
    u = parse_ok("sip:example.com;maddr=[2001:db8::9]");
    assert_string_equal(u.maddr, "2001:db8::9");
    parse_bad("sip:example.com;maddr=2001:db8::9", VX_EINVAL, "needs brackets");
    parse_bad("sip:example.com;maddr=bad_host", VX_EINVAL, "invalid maddr");
}

static void test_hostnames(void **state)
{
    (void)state;
    assert_string_equal(parse_ok("sip:example.com.").host, "example.com.");
    assert_string_equal(parse_ok("sip:a-b.c0.example").host, "a-b.c0.example.");
    assert_string_equal(parse_ok("sip:localhost").host, "localhost.");
    assert_string_equal(parse_ok("sip:1a.example.com").host, "1a.example.com.");
    parse_bad("sip:-a.example.com", VX_EINVAL, "invalid host");
    parse_bad("sip:a-.example.com", VX_EINVAL, "invalid host");
    parse_bad("sip:a..example.com", VX_EINVAL, "invalid host");
    parse_bad("sip:.example.com", VX_EINVAL, "invalid host");
    parse_bad("sip:_sip.example.com", VX_EINVAL, "invalid host");
    parse_bad("sip:example.123", VX_EINVAL, "invalid host"); /* top label starts with digit */
    parse_bad("sip:192.0.2.256", VX_EINVAL, "invalid host"); /* not IPv4, not a name */
    parse_bad("sip:192.0.2", VX_EINVAL, "invalid host");
    parse_bad("sip:[192.0.2.1]", VX_EINVAL, "invalid host"); /* brackets are for IPv6 */
    parse_bad("sip:[2001:db8::1", VX_EINVAL, "without closing ']'");
    parse_bad("sip:2001:db8::1", VX_EINVAL, "invalid host"); /* IPv6 needs brackets */
    char longlabel[100] = "sip:";
    memset(longlabel + 4, 'a', 64);
    strcpy(longlabel + 68, ".com");
    parse_bad(longlabel, VX_EINVAL, "invalid host");
    char longname[400] = "sip:";
    for (int i = 0; i < 60; i++)
        strcat(longname, "abcd.");
    strcat(longname, "com");
    parse_bad(longname, VX_EINVAL, "longer than 253");
}

static void test_ports(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("sip:example.com:1").port, 1);
    assert_int_equal(parse_ok("sip:example.com:65535").port, 65535);
    parse_bad("sip:example.com:", VX_EINVAL, "port missing");
    parse_bad("sip:example.com:0", VX_EINVAL, "port 0 out of range");
    parse_bad("sip:example.com:65536", VX_EINVAL, "port 65536 out of range");
    parse_bad("sip:example.com:123456", VX_EINVAL, "port out of range");
    parse_bad("sip:example.com:50x", VX_EINVAL, "unexpected 'x'");
    parse_bad("sip:example.com:-1", VX_EINVAL, "port missing");
}

static void test_malformed(void **state)
{
    (void)state;
    parse_bad("", VX_EINVAL, "empty URI");
    parse_bad("tel:+442079460000", VX_EINVAL, "scheme must be sip: or sips:");
    parse_bad("http://example.com", VX_EINVAL, "scheme");
    parse_bad("sip:", VX_EINVAL, "empty host");
    parse_bad("sip:alice@", VX_EINVAL, "empty host");
    parse_bad("sip:@example.com", VX_EINVAL, "empty user part");
    parse_bad("sip:a@b@example.com", VX_EINVAL, "more than one '@'");
    parse_bad("sip:al\"ice@example.com", VX_EINVAL, "invalid character '\"' in user part");
    parse_bad("sip:alice:pa;ss@example.com", VX_EINVAL, "invalid character ';' in password");
    parse_bad("sip:a%4@example.com", VX_EINVAL, "invalid character '%' in user part");
    parse_bad("sip:a%zz@example.com", VX_EINVAL, "user part");
    parse_bad("sip:example.com ", VX_EINVAL, "invalid character 0x20 at offset 15");
    parse_bad("sip:exa\tmple.com", VX_EINVAL, "invalid character 0x09");
    parse_bad("sip:ex\xc3\xa4mple.com", VX_EINVAL, "invalid character 0xc3");
    parse_bad("sip:example.com;", VX_EINVAL, "empty parameter");
    parse_bad("sip:example.com;;lr", VX_EINVAL, "empty parameter");
    parse_bad("sip:example.com;=x", VX_EINVAL, "invalid parameter name");
    parse_bad("sip:example.com;a=b=c", VX_EINVAL, "invalid parameter value");
    parse_bad("sip:example.com?", VX_EINVAL, "empty header part");
    parse_bad("sip:example.com?a=<b>", VX_EINVAL, "invalid character '<' in headers");
    parse_bad("sip:example.com/path", VX_EINVAL, "invalid host");
    /* embedded NUL: the length is what counts */
    vx__sip_uri u;
    char err[128];
    assert_int_equal(vx__sip_uri_parse("sip:a\0b.com", 11, &u, err, sizeof err), VX_EINVAL);
    assert_non_null(strstr(err, "0x00"));
    /* the error buffer is optional, NULL text refused */
    assert_int_equal(vx__sip_uri_parse("sip:", 4, &u, NULL, 0), VX_EINVAL);
    assert_int_equal(vx__sip_uri_parse(NULL, 0, &u, err, sizeof err), VX_EINVAL);
}

static void test_too_long(void **state)
{
    (void)state;
    static char big[VX__SIP_URI_MAX + 10];
    memcpy(big, "sip:", 4);
    memset(big + 4, 'a', sizeof big - 5);
    big[sizeof big - 1] = '\0';
    parse_bad(big, VX_EINVAL, "URI longer than");
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(vx__sip_transport_name(VX__SIP_TLS), "tls");
    assert_string_equal(vx__sip_transport_name((vx__sip_transport)0), "?");
    assert_int_equal(vx__sip_default_port(VX__SIP_UDP), 5060);
    assert_int_equal(vx__sip_default_port(VX__SIP_TCP), 5060);
    assert_int_equal(vx__sip_default_port(VX__SIP_TLS), 5061);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_domain), cmocka_unit_test(test_full_form),
        cmocka_unit_test(test_transports),   cmocka_unit_test(test_numeric_hosts),
        cmocka_unit_test(test_maddr),        cmocka_unit_test(test_hostnames),
        cmocka_unit_test(test_ports),        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_long),     cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
