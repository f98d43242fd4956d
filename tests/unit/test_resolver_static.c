/*
 * tests/unit/test_resolver_static.c — the static fallback cache (resolver/static_cache.c and
 * its parsers): good voxdns, Polycom and Yealink texts give the expected records; lookups by
 * name (any case), type and class; every error path reports VX_EMALFORMED (or VX_ELIMIT) with
 * the right line number and leaves the cache untouched; file loading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "resolver/static_cache.h"
#include "voxdns/status.h"
#include "wire/msg.h"
#include "wire/query.h"

static vx__static_cache *parse_ok(vx__static_format fmt, const char *text, size_t count)
{
    vx__static_cache *sc;
    char err[256] = "";
    assert_int_equal(vx__static_new(&sc), VX_OK);
    int rc = vx__static_parse(sc, fmt, text, strlen(text), err, sizeof(err));
    if (rc != VX_OK)
        fail_msg("unexpected error: %s", err);
    assert_int_equal(vx__static_count(sc), count);
    return sc;
}

/* The records for name/type as one presentation-form string, "\n"-separated. */
static char *lookup_text(const vx__static_cache *sc, const char *name, uint16_t type)
{
    vx__question q;
    ldns_rr_list *list;
    static char out[2048];
    assert_int_equal(vx__question_from_text(name, type, LDNS_RR_CLASS_IN, &q), VX_OK);
    out[0] = '\0';
    if (vx__static_lookup(sc, &q, &list) != VX_OK)
        return out;
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        char *t = vx__rr_to_text(ldns_rr_list_rr(list, i));
        strncat(out, t, sizeof(out) - strlen(out) - 2);
        strcat(out, "\n");
        free(t);
    }
    ldns_rr_list_deep_free(list);
    return out;
}

/* Parsing must fail with rc, and the message must start with "line N:" and contain what. */
static void parse_bad(vx__static_format fmt, const char *text, int rc, unsigned line,
                      const char *what)
{
    vx__static_cache *sc;
    char err[256] = "", prefix[32];
    assert_int_equal(vx__static_new(&sc), VX_OK);
    int got = vx__static_parse(sc, fmt, text, strlen(text), err, sizeof(err));
    if (got != rc ||
        strncmp(err, prefix, (size_t)snprintf(prefix, sizeof(prefix), "line %u:", line)) != 0 ||
        !strstr(err, what))
        fail_msg("text %s: got %d \"%s\", want %d line %u \"%s\"", text, got, err, rc, line, what);
    assert_int_equal(vx__static_count(sc), 0);
    vx__static_free(sc);
}

/* ---- voxdns -------------------------------------------------------------------------------- */

static const char voxdns_good[] =
    "# voxdns static cache\n"
    "sip.example.com.   3600 IN A     192.0.2.10 ; primary\n"
    "sip.example.com    3600    AAAA  2001:db8::10\n"
    "\n"
    "  _sip._udp.example.com. 300 IN SRV 10 60 5060 sip.example.com.\r\n"
    "_sip._udp.example.com. 300 srv 20 0 5060 sip2.example.com\n"
    "example.com. 300 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.com.\n"
    "example.com. 300 IN NAPTR 20 50 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .";

static void test_voxdns_good(void **state)
{
    (void)state;
    vx__static_cache *sc = parse_ok(VX__STATIC_VOXDNS, voxdns_good, 6);
    assert_string_equal(lookup_text(sc, "SIP.example.COM", LDNS_RR_TYPE_A),
                        "sip.example.com.\t3600\tIN\tA\t192.0.2.10\n");
    assert_string_equal(lookup_text(sc, "sip.example.com", LDNS_RR_TYPE_AAAA),
                        "sip.example.com.\t3600\tIN\tAAAA\t2001:db8::10\n");
    assert_string_equal(lookup_text(sc, "_sip._udp.example.com", LDNS_RR_TYPE_SRV),
                        "_sip._udp.example.com.\t300\tIN\tSRV\t10 60 5060 sip.example.com.\n"
                        "_sip._udp.example.com.\t300\tIN\tSRV\t20 0 5060 sip2.example.com.\n");
    assert_string_equal(lookup_text(sc, "example.com", LDNS_RR_TYPE_NAPTR),
                        "example.com.\t300\tIN\tNAPTR\t10 50 \"s\" \"SIP+D2U\" \"\" "
                        "_sip._udp.example.com.\n"
                        "example.com.\t300\tIN\tNAPTR\t20 50 \"u\" \"E2U+sip\" "
                        "\"!^.*$!sip:info@example.com!\" .\n");
    assert_string_equal(lookup_text(sc, "other.example.com", LDNS_RR_TYPE_A), "");
    /* A second text adds to the first; a bad one adds nothing. */
    char err[128];
    const char *more = "b.example.com. 60 A 192.0.2.11\n";
    assert_int_equal(vx__static_parse(sc, VX__STATIC_VOXDNS, more, strlen(more), err, sizeof(err)),
                     VX_OK);
    assert_int_equal(vx__static_count(sc), 7);
    const char *bad = "c.example.com. 60 A 192.0.2.12\nc.example.com. 60 A nope\n";
    assert_int_equal(vx__static_parse(sc, VX__STATIC_VOXDNS, bad, strlen(bad), err, sizeof(err)),
                     VX_EMALFORMED);
    assert_int_equal(vx__static_count(sc), 7);
    vx__static_free(sc);
}

static void test_voxdns_errors(void **state)
{
    (void)state;
    const vx__static_format V = VX__STATIC_VOXDNS;
    parse_bad(V, "# ok\na.example. 60 A\n", VX_EMALFORMED, 2, "expected NAME TTL");
    parse_bad(V, "a.example. 60 MX 10 mx.example.\n", VX_EMALFORMED, 1, "unsupported type");
    parse_bad(V, "a.example. 60 CH A 192.0.2.1\n", VX_EMALFORMED, 1, "unsupported type");
    parse_bad(V, "a.example. 60 A 192.0.2.1 192.0.2.2\n", VX_EMALFORMED, 1, "one address");
    parse_bad(V, "a.example. 60 A 2001:db8::1\n", VX_EMALFORMED, 1, "does not match");
    parse_bad(V, "a.example. 60 AAAA 192.0.2.1\n", VX_EMALFORMED, 1, "does not match");
    parse_bad(V, "a.example. 60 A 192.0.2.300\n", VX_EMALFORMED, 1, "bad IPv4 or IPv6");
    parse_bad(V, "a.example. 1h A 192.0.2.1\n", VX_EMALFORMED, 1, "bad TTL");
    parse_bad(V, "a.example. 2147483648 A 192.0.2.1\n", VX_EMALFORMED, 1, "bad TTL");
    parse_bad(V, "a..example. 60 A 192.0.2.1\n", VX_EMALFORMED, 1, "bad name");
    parse_bad(V, "_s._udp.example. 60 SRV 1 2 3\n", VX_EMALFORMED, 1, "SRV takes");
    parse_bad(V, "_s._udp.example. 60 SRV 1 2 65536 t.example.\n", VX_EMALFORMED, 1, "bad port");
    parse_bad(V, "_s._udp.example. 60 SRV x 2 5060 t.example.\n", VX_EMALFORMED, 1, "bad priority");
    parse_bad(V, "_s._udp.example. 60 SRV 1 -2 5060 t.example.\n", VX_EMALFORMED, 1, "bad weight");
    parse_bad(V, "_s._udp.example. 60 SRV 1 2 5060 t..example.\n", VX_EMALFORMED, 1, "bad target");
    parse_bad(V, "e.example. 60 NAPTR 1 2 \"s\" \"SIP+D2U\" \"\"\n", VX_EMALFORMED, 1,
              "NAPTR takes");
    parse_bad(V, "e.example. 60 NAPTR 1 2 \"s\" \"SIP+D2U\n", VX_EMALFORMED, 1, "unterminated");
    parse_bad(V, "e.example. 60 NAPTR 1 2 \"s!\" \"SIP+D2U\" \"\" .\n", VX_EMALFORMED, 1,
              "bad flags");
    parse_bad(V, "e.example. 60 NAPTR 70000 2 \"s\" \"SIP+D2U\" \"\" .\n", VX_EMALFORMED, 1,
              "bad order");
    parse_bad(V, "e.example. 60 NAPTR 1 x \"s\" \"SIP+D2U\" \"\" .\n", VX_EMALFORMED, 1,
              "bad preference");
    parse_bad(V, "e.example. 60 NAPTR 1 2 \"s\" \"\x01\" \"\" .\n", VX_EMALFORMED, 1,
              "bad service");
    parse_bad(V, "e.example. 60 NAPTR 1 2 \"s\" \"x\" \"\x7f\" .\n", VX_EMALFORMED, 1,
              "bad regexp");
    parse_bad(V, "e.example. 60 NAPTR 1 2 \"s\" \"x\" \"\" a..b\n", VX_EMALFORMED, 1,
              "bad replacement");
    parse_bad(V, "a b c d e f g h i j k l m\n", VX_EMALFORMED, 1, "too many fields");
    char longline[5000];
    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    parse_bad(V, longline, VX_EMALFORMED, 1, "line too long");
    /* A NUL octet inside the text (strlen() would hide it: parse directly). */
    vx__static_cache *sc;
    char err[128];
    assert_int_equal(vx__static_new(&sc), VX_OK);
    assert_int_equal(vx__static_parse(sc, V, "a 1 A 1\0x\n", 10, err, sizeof(err)), VX_EMALFORMED);
    assert_string_equal(err, "line 1: NUL octet");
    vx__static_free(sc);
}

static void test_limits_and_load(void **state)
{
    (void)state;
    vx__static_cache *sc;
    char err[256];
    assert_int_equal(vx__static_new(&sc), VX_OK);
    /* Too many records. */
    size_t cap = (VX__STATIC_MAX_RECORDS + 1) * 32;
    char *big = malloc(cap), *w = big;
    for (unsigned i = 0; i <= VX__STATIC_MAX_RECORDS; i++)
        w += sprintf(w, "h%u.example. 60 A 192.0.2.1\n", i);
    assert_int_equal(
        vx__static_parse(sc, VX__STATIC_VOXDNS, big, (size_t)(w - big), err, sizeof(err)),
        VX_ELIMIT);
    assert_int_equal(vx__static_count(sc), 0);
    assert_int_equal(
        vx__static_parse(sc, VX__STATIC_VOXDNS, big, VX__STATIC_TEXT_MAX + 1u, err, sizeof(err)),
        VX_ELIMIT);
    free(big);
    /* Files. */
    char path[] = "/tmp/voxdns-static-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, voxdns_good, strlen(voxdns_good)), (ssize_t)strlen(voxdns_good));
    close(fd);
    assert_int_equal(vx__static_load(sc, VX__STATIC_VOXDNS, path, err, sizeof(err)), VX_OK);
    assert_int_equal(vx__static_count(sc), 6);
    unlink(path);
    assert_int_equal(vx__static_load(sc, VX__STATIC_VOXDNS, path, err, sizeof(err)), VX_EIO);
    assert_non_null(strstr(err, path));
    vx__static_free(sc);
}

/* ---- Polycom ------------------------------------------------------------------------------- */

static const char polycom_good[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n"
    "<!-- dns.cache.A.1.name is the first entry -->\n"
    "<polycomConfig>\n"
    "  <dns dns.cache.A.1.name=\"sip1.example.com\" dns.cache.A.1.ttl=\"300\"\n"
    "       dns.cache.A.1.address=\"192.0.2.10\"\n"
    "       dns.cache.A.2.name='sip1.example.com' dns.cache.A.2.address='2001:db8::10'\n"
    "       dns.cache.A.3.name=\"\" dns.cache.A.3.address=\"\" dns.cache.A.3.ttl=\"\"\n"
    "       dns.cache.SRV.1.name=\"_sip._udp.example.com\" dns.cache.SRV.1.ttl=\"3600\"\n"
    "       dns.cache.SRV.1.priority=\"1\" dns.cache.SRV.1.weight=\"10\"\n"
    "       dns.cache.SRV.1.port=\"5060\" dns.cache.SRV.1.target=\"sip1.example.com\"\n"
    "       DNS.Cache.naptr.1.Name=\"example.com\" dns.cache.NAPTR.1.order=\"10\"\n"
    "       dns.cache.NAPTR.1.preference=\"50\" dns.cache.NAPTR.1.flags=\"s\"\n"
    "       dns.cache.NAPTR.1.service=\"SIP+D2U\" dns.cache.NAPTR.1.regexp=\"\"\n"
    "       dns.cache.NAPTR.1.replacement=\"_sip._udp.example.com\"\n"
    "       dns.cache.NAPTR.2.name=\"example.com\" dns.cache.NAPTR.2.order=\"20\"\n"
    "       dns.cache.NAPTR.2.regexp=\"!^.*$!sip:a&amp;b@example.com!\"\n"
    "       dns.cache.NAPTR.2.replacement=\".\" tcpIpApp.dns.cache.A.1.name=\"x\"/>\n"
    "</polycomConfig>\n";

static void test_polycom_good(void **state)
{
    (void)state;
    vx__static_cache *sc = parse_ok(VX__STATIC_POLYCOM, polycom_good, 5);
    assert_string_equal(lookup_text(sc, "sip1.example.com", LDNS_RR_TYPE_A),
                        "sip1.example.com.\t300\tIN\tA\t192.0.2.10\n");
    assert_string_equal(lookup_text(sc, "sip1.example.com", LDNS_RR_TYPE_AAAA),
                        "sip1.example.com.\t3600\tIN\tAAAA\t2001:db8::10\n");
    assert_string_equal(lookup_text(sc, "_sip._udp.example.com", LDNS_RR_TYPE_SRV),
                        "_sip._udp.example.com.\t3600\tIN\tSRV\t1 10 5060 sip1.example.com.\n");
    assert_string_equal(lookup_text(sc, "example.com", LDNS_RR_TYPE_NAPTR),
                        "example.com.\t3600\tIN\tNAPTR\t10 50 \"s\" \"SIP+D2U\" \"\" "
                        "_sip._udp.example.com.\n"
                        "example.com.\t3600\tIN\tNAPTR\t20 0 \"\" \"\" "
                        "\"!^.*$!sip:a&b@example.com!\" .\n");
    vx__static_free(sc);
}

static void test_polycom_errors(void **state)
{
    (void)state;
    const vx__static_format P = VX__STATIC_POLYCOM;
    parse_bad(P, "<a\n dns.cache.A.1.nam=\"x\"/>", VX_EMALFORMED, 2, "unknown key");
    parse_bad(P, "dns.cache.MX.1.name=\"x\"", VX_EMALFORMED, 1, "unknown key");
    parse_bad(P, "dns.cache.A.0.name=\"x\"", VX_EMALFORMED, 1, "unknown key");
    parse_bad(P, "dns.cache.A.10000.name=\"x\"", VX_EMALFORMED, 1, "unknown key");
    parse_bad(P, "dns.cache.A.x.name=\"x\"", VX_EMALFORMED, 1, "unknown key");
    parse_bad(P, "\n\ndns.cache.A.1.name=x", VX_EMALFORMED, 3, "expected a quoted value");
    parse_bad(P, "dns.cache.A.1.name=\"x", VX_EMALFORMED, 1, "unterminated value");
    parse_bad(P, "dns.cache.A.1.name=\"a<b\"", VX_EMALFORMED, 1, "'<' in value");
    parse_bad(P, "dns.cache.A.1.name=\"a&nbsp;b\"", VX_EMALFORMED, 1, "unknown XML entity");
    parse_bad(P, "dns.cache.A.1.name=\"a\" dns.cache.A.1.name=\"b\"", VX_EMALFORMED, 1,
              "given twice");
    parse_bad(P, "dns.cache.A.1.ttl=\"60\"\n dns.cache.A.1.address=\"192.0.2.1\"", VX_EMALFORMED, 1,
              "dns.cache.A.1: missing name");
    parse_bad(P, "\ndns.cache.A.1.name=\"a.example\"", VX_EMALFORMED, 2,
              "dns.cache.A.1: missing address");
    parse_bad(P, "dns.cache.SRV.7.name=\"_sip._udp.example\" dns.cache.SRV.7.target=\"t\"",
              VX_EMALFORMED, 1, "dns.cache.SRV.7: missing port");
    parse_bad(P, "dns.cache.SRV.7.name=\"_sip._udp.example\" dns.cache.SRV.7.port=\"5060\"",
              VX_EMALFORMED, 1, "missing target");
    parse_bad(P, "dns.cache.NAPTR.2.name=\"example.com\"", VX_EMALFORMED, 1,
              "dns.cache.NAPTR.2: missing replacement");
    char big[1300];
    snprintf(big, sizeof(big), "dns.cache.A.1.name=\"%01100d\"", 0);
    parse_bad(P, big, VX_EMALFORMED, 1, "value too long");
    char key[300];
    snprintf(key, sizeof(key), "dns.cache.A.1.name%0200d=\"x\"", 0);
    parse_bad(P, key, VX_EMALFORMED, 1, "key too long");
    /* Too many entries. */
    char *many = malloc(1100 * 40), *w = many;
    for (int i = 1; i <= 1025; i++)
        w += sprintf(w, "dns.cache.A.%d.name=\"a\"\n", i);
    parse_bad(P, many, VX_ELIMIT, 1025, "more than 1024");
    free(many);
}

/* ---- Yealink ------------------------------------------------------------------------------- */

static const char yealink_good[] = "#!version:1.0.0.1\n"
                                   "## static DNS cache\n"
                                   "account.1.sip_server.1.address = sip1.example.com\n"
                                   "dns_cache_a.1.name = sip1.example.com\n"
                                   "dns_cache_a.1.ip = 192.0.2.10\n"
                                   "dns_cache_a.1.ttl = 300\n"
                                   "dns_cache_a.2.name =\n"
                                   "dns_cache_a.2.ip =\n"
                                   "dns_cache_srv.1.name = _sip._udp.example.com\r\n"
                                   "dns_cache_srv.1.port = 5060\n"
                                   "dns_cache_srv.1.priority = 1\n"
                                   "dns_cache_srv.1.target = sip1.example.com\n"
                                   "dns_cache_srv.1.weight = 10\n"
                                   "dns_cache_srv.1.ttl = 3600\n"
                                   "DNS_CACHE_NAPTR.1.name = example.com\n"
                                   "dns_cache_naptr.1.flags = \"s\"\n"
                                   "dns_cache_naptr.1.order = 10\n"
                                   "dns_cache_naptr.1.preference = 50\n"
                                   "dns_cache_naptr.1.replace = _sip._udp.example.com\n"
                                   "dns_cache_naptr.1.service = SIP+D2U\n"
                                   "dns_cache_naptr.1.regexp =\n"
                                   "dns_cache_naptr.1.ttl = 600\n";

static void test_yealink_good(void **state)
{
    (void)state;
    vx__static_cache *sc = parse_ok(VX__STATIC_YEALINK, yealink_good, 3);
    assert_string_equal(lookup_text(sc, "sip1.example.com", LDNS_RR_TYPE_A),
                        "sip1.example.com.\t300\tIN\tA\t192.0.2.10\n");
    assert_string_equal(lookup_text(sc, "_sip._udp.example.com", LDNS_RR_TYPE_SRV),
                        "_sip._udp.example.com.\t3600\tIN\tSRV\t1 10 5060 sip1.example.com.\n");
    assert_string_equal(lookup_text(sc, "example.com", LDNS_RR_TYPE_NAPTR),
                        "example.com.\t600\tIN\tNAPTR\t10 50 \"s\" \"SIP+D2U\" \"\" "
                        "_sip._udp.example.com.\n");
    vx__static_free(sc);
}

static void test_yealink_errors(void **state)
{
    (void)state;
    const vx__static_format Y = VX__STATIC_YEALINK;
    parse_bad(Y, "#x\ndns_cache_a.1.name\n", VX_EMALFORMED, 2, "expected key = value");
    parse_bad(Y, "dns_cache_a.1.address = 192.0.2.1\n", VX_EMALFORMED, 1, "unknown key");
    parse_bad(Y, "dns_cache_aaaa.1.ip = 2001:db8::1\n", VX_EMALFORMED, 1, "unknown key");
    parse_bad(Y, "dns_cache_a.1.name = a\ndns_cache_a.1.name = b\n", VX_EMALFORMED, 2,
              "given twice");
    parse_bad(Y, "dns_cache_a.1.name = a.example\ndns_cache_a.1.ip = 999.1.1.1\n", VX_EMALFORMED, 1,
              "dns_cache_A.1: bad IPv4 or IPv6 address");
    parse_bad(Y, "dns_cache_a.1.ip = 192.0.2.1\ndns_cache_a.1.ttl = -1\n", VX_EMALFORMED, 1,
              "bad TTL");
    parse_bad(Y, "\n\ndns_cache_srv.3.name = _sip._tcp.example\n", VX_EMALFORMED, 3,
              "dns_cache_SRV.3: missing port");
    parse_bad(Y, "dns_cache_naptr.1.name = e.example\ndns_cache_naptr.1.flags = s-u\n",
              VX_EMALFORMED, 1, "bad flags");
    char big[1300];
    snprintf(big, sizeof(big), "dns_cache_a.1.name = %01100d\n", 0);
    parse_bad(Y, big, VX_EMALFORMED, 1, "value too long");
    char key[300];
    snprintf(key, sizeof(key), "dns_cache_a.1.name%0200d = x\n", 0);
    parse_bad(Y, key, VX_EMALFORMED, 1, "key too long");
    char *longline = malloc(5000);
    memset(longline, 'x', 4999);
    memcpy(longline, "dns_cache_a.1.name = ", 21);
    longline[4999] = '\0';
    parse_bad(Y, longline, VX_EMALFORMED, 1, "line too long");
    free(longline);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_voxdns_good),     cmocka_unit_test(test_voxdns_errors),
        cmocka_unit_test(test_limits_and_load), cmocka_unit_test(test_polycom_good),
        cmocka_unit_test(test_polycom_errors),  cmocka_unit_test(test_yealink_good),
        cmocka_unit_test(test_yealink_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
