/* tests/unit/test_static_export.c — resolver/static_export.c: export then parse with the
 * vx__static_* parsers gives back the same records, in every format that has a parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resolver/static_cache.h"
#include "resolver/static_export.h"
#include "voxdns/status.h"

static const char *const records[] = {
    "example.com. 300 IN NAPTR 10 50 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.com.",
    "example.com. 300 IN NAPTR 20 50 \"S\" \"SIP+D2U\" \"!^.*$!sip:\\\\\\\"q\\\" "
    "&<>'x@example.com!\" .",
    "_sips._tcp.example.com. 3600 IN SRV 10 60 5061 sip1.example.com.",
    "_sip._udp.example.com. 3600 IN SRV 0 0 5060 sip2.example.com.",
    "sip1.example.com. 60 IN A 192.0.2.10",
    "sip1.example.com. 60 IN AAAA 2001:db8:c::10",
    "sip2.example.com. 2147483647 IN A 203.0.113.10",
    NULL};

static ldns_rr_list *make_list(void)
{
    ldns_rr_list *list = ldns_rr_list_new();
    for (size_t i = 0; records[i]; i++) {
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, records[i], 0, NULL, NULL), LDNS_STATUS_OK);
        ldns_rr_list_push_rr(list, rr);
    }
    return list;
}

static char *export_text(const ldns_rr_list *list, vx__export_format fmt, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    assert_int_equal(vx__static_export(list, fmt, "test", f), VX_OK);
    fclose(f);
    return buf;
}

static void round_trip(vx__export_format efmt, vx__static_format pfmt)
{
    ldns_rr_list *list = make_list();
    size_t len;
    char *text = export_text(list, efmt, &len);
    ldns_rr_list *back = ldns_rr_list_new();
    char err[256] = "";
    int rc = pfmt == VX__STATIC_VOXDNS    ? vx__static_parse_voxdns(text, len, back, err, 256)
             : pfmt == VX__STATIC_POLYCOM ? vx__static_parse_polycom(text, len, back, err, 256)
                                          : vx__static_parse_yealink(text, len, back, err, 256);
    if (rc != VX_OK)
        fprintf(stderr, "%s\n---\n%s\n", err, text);
    assert_int_equal(rc, VX_OK);
    ldns_rr_list_sort(list);
    ldns_rr_list_sort(back);
    assert_int_equal(ldns_rr_list_compare(list, back), 0);
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) /* TTLs are not compared above */
        assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(list, i)),
                         ldns_rr_ttl(ldns_rr_list_rr(back, i)));
    free(text);
    ldns_rr_list_deep_free(list);
    ldns_rr_list_deep_free(back);
}

static void test_voxdns(void **state)
{
    (void)state;
    round_trip(VX__EXPORT_VOXDNS, VX__STATIC_VOXDNS);
}

static void test_polycom(void **state)
{
    (void)state;
    round_trip(VX__EXPORT_POLYCOM, VX__STATIC_POLYCOM);
}

static void test_yealink(void **state)
{
    (void)state;
    round_trip(VX__EXPORT_YEALINK, VX__STATIC_YEALINK);
}

static void test_hosts(void **state)
{
    (void)state;
    ldns_rr_list *list = make_list();
    size_t len;
    char *text = export_text(list, VX__EXPORT_HOSTS, &len);
    assert_non_null(strstr(text, "192.0.2.10\tsip1.example.com\n"));
    assert_non_null(strstr(text, "2001:db8:c::10\tsip1.example.com\n"));
    assert_null(strstr(text, "SRV"));
    free(text);
    ldns_rr_list_deep_free(list);
}

static void test_format_names(void **state)
{
    vx__export_format f;
    (void)state;
    assert_int_equal(vx__export_format_from_text("yealink", &f), VX_OK);
    assert_int_equal(f, VX__EXPORT_YEALINK);
    assert_int_equal(vx__export_format_from_text("cisco", &f), VX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_voxdns),       cmocka_unit_test(test_polycom),
        cmocka_unit_test(test_yealink),      cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
