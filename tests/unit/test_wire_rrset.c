/*
 * tests/unit/test_wire_rrset.c — canonical RRsets: owner and domain-name rdata lower-cased,
 * other rdata kept as is, order and duplicates do not matter, TTL is the minimum and counts
 * only when asked, grouping of a section, and the hash following equality.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/rrset.h"

/* A list from NULL-terminated zone-file lines. */
static ldns_rr_list *list_of(const char *const *lines)
{
    ldns_rr_list *list = ldns_rr_list_new();
    for (; *lines; lines++) {
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, *lines, 0, NULL, NULL), LDNS_STATUS_OK);
        ldns_rr_list_push_rr(list, rr);
    }
    return list;
}

static vx__rrset *set_of(const char *const *lines, const char *owner, uint16_t type)
{
    ldns_rr_list *list = list_of(lines);
    vx__rrset *set = NULL;
    assert_int_equal(vx__rrset_from_list(list, owner, type, &set), VX_OK);
    ldns_rr_list_deep_free(list);
    return set;
}

static const char *const srv_a[] = {
    "_sip._udp.example.com. 300 IN SRV 20 0 5060 sip2.example.com.",
    "_sip._udp.example.com. 300 IN SRV 10 60 5060 sip1.example.com.",
    NULL,
};
/* The same data: other order, other case in owner and targets, a duplicate, other TTLs. */
static const char *const srv_b[] = {
    "_SIP._UDP.Example.COM. 120 IN SRV 10 60 5060 SIP1.example.com.",
    "_sip._udp.example.com. 300 IN SRV 20 0 5060 sip2.EXAMPLE.com.",
    "_sip._udp.example.com. 300 IN SRV 10 60 5060 sip1.example.com.",
    NULL,
};

static void test_canonical_form(void **state)
{
    (void)state;
    vx__rrset *b = set_of(srv_b, NULL, LDNS_RR_TYPE_SRV);
    assert_string_equal(b->owner, "_sip._udp.example.com.");
    assert_int_equal(b->type, 33);
    assert_int_equal(b->rrclass, 1);
    assert_int_equal(b->ttl, 120);
    assert_int_equal(b->count, 2);
    assert_string_equal(b->rdata[0], "10 60 5060 sip1.example.com.");
    assert_string_equal(b->rdata[1], "20 0 5060 sip2.example.com.");
    vx__rrset_free(b);
}

static void test_equality_order_case_duplicates(void **state)
{
    (void)state;
    vx__rrset *a = set_of(srv_a, NULL, LDNS_RR_TYPE_SRV);
    vx__rrset *b = set_of(srv_b, NULL, LDNS_RR_TYPE_SRV);
    assert_true(vx__rrset_equal(a, b, false));
    assert_false(vx__rrset_equal(a, b, true)); /* 300 vs 120 */
    assert_true(vx__rrset_hash(a, false) == vx__rrset_hash(b, false));
    assert_true(vx__rrset_hash(a, true) != vx__rrset_hash(b, true));
    assert_true(vx__rrset_hash(a, true) != vx__rrset_hash(a, false));
    b->ttl = 300;
    assert_true(vx__rrset_equal(a, b, true));
    assert_true(vx__rrset_hash(a, true) == vx__rrset_hash(b, true));
    vx__rrset_free(a);
    vx__rrset_free(b);
}

static void test_different_data(void **state)
{
    (void)state;
    static const char *const port[] = {
        "_sip._udp.example.com. 300 IN SRV 20 0 5061 sip2.example.com.",
        "_sip._udp.example.com. 300 IN SRV 10 60 5060 sip1.example.com.",
        NULL,
    };
    static const char *const fewer[] = {
        "_sip._udp.example.com. 300 IN SRV 10 60 5060 sip1.example.com.",
        NULL,
    };
    vx__rrset *a = set_of(srv_a, NULL, LDNS_RR_TYPE_SRV);
    vx__rrset *b = set_of(port, NULL, LDNS_RR_TYPE_SRV);
    vx__rrset *c = set_of(fewer, NULL, LDNS_RR_TYPE_SRV);
    assert_false(vx__rrset_equal(a, b, false));
    assert_false(vx__rrset_equal(a, c, false));
    assert_true(vx__rrset_hash(a, false) != vx__rrset_hash(b, false));
    assert_true(vx__rrset_hash(a, false) != vx__rrset_hash(c, false));
    vx__rrset_free(b);
    vx__rrset_free(c);
    /* same rdata, other owner */
    static const char *const tcp[] = {
        "_sip._tcp.example.com. 300 IN SRV 20 0 5060 sip2.example.com.",
        "_sip._tcp.example.com. 300 IN SRV 10 60 5060 sip1.example.com.",
        NULL,
    };
    b = set_of(tcp, NULL, LDNS_RR_TYPE_SRV);
    assert_false(vx__rrset_equal(a, b, false));
    assert_true(vx__rrset_hash(a, false) != vx__rrset_hash(b, false));
    vx__rrset_free(a);
    vx__rrset_free(b);
}

/* Only domain names fold case: TXT strings and NAPTR regexps are data and keep theirs. */
static void test_case_only_in_names(void **state)
{
    (void)state;
    static const char *const txt_a[] = {"example.com. 60 IN TXT \"Hello\"", NULL};
    static const char *const txt_b[] = {"example.com. 60 IN TXT \"hello\"", NULL};
    vx__rrset *a = set_of(txt_a, NULL, LDNS_RR_TYPE_TXT);
    vx__rrset *b = set_of(txt_b, NULL, LDNS_RR_TYPE_TXT);
    assert_false(vx__rrset_equal(a, b, false));
    vx__rrset_free(a);
    vx__rrset_free(b);
    static const char *const naptr[] = {
        "Example.com. 60 IN NAPTR 10 50 \"S\" \"SIP+D2U\" \"\" _SIP._UDP.Example.COM.", NULL};
    a = set_of(naptr, NULL, LDNS_RR_TYPE_NAPTR);
    assert_string_equal(a->owner, "example.com.");
    assert_string_equal(a->rdata[0], "10 50 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.");
    vx__rrset_free(a);
    /* NSEC: the next name folds, the type bitmap keeps no trailing blank */
    static const char *const nsec[] = {"example.com. 60 IN NSEC A.Example.com. A MX RRSIG NSEC",
                                       NULL};
    a = set_of(nsec, NULL, LDNS_RR_TYPE_NSEC);
    assert_string_equal(a->rdata[0], "a.example.com. A MX RRSIG NSEC");
    vx__rrset_free(a);
}

static void test_from_list_selection(void **state)
{
    (void)state;
    static const char *const mixed[] = {
        "example.com. 300 IN NS ns1.example.com.", "sip.example.com. 60 IN A 192.0.2.1",
        "SIP.example.com. 30 IN A 192.0.2.2",      "sip.example.com. 60 IN AAAA 2001:db8::1",
        "sip.example.com. 60 CH A 192.0.2.9",      NULL,
    };
    ldns_rr_list *list = list_of(mixed);
    vx__rrset *set = NULL;
    assert_int_equal(vx__rrset_from_list(list, "Sip.Example.Com", LDNS_RR_TYPE_A, &set), VX_OK);
    assert_string_equal(set->owner, "sip.example.com.");
    assert_int_equal(set->count, 2); /* the CH record is another set */
    assert_int_equal(set->ttl, 30);
    assert_string_equal(set->rdata[0], "192.0.2.1");
    assert_string_equal(set->rdata[1], "192.0.2.2");
    vx__rrset_free(set);
    /* NULL owner: the first record's owner, here example.com., which has no A */
    assert_int_equal(vx__rrset_from_list(list, NULL, LDNS_RR_TYPE_A, &set), VX_ENOTFOUND);
    assert_null(set);
    assert_int_equal(vx__rrset_from_list(list, NULL, LDNS_RR_TYPE_NS, &set), VX_OK);
    assert_string_equal(set->rdata[0], "ns1.example.com.");
    vx__rrset_free(set);
    assert_int_equal(vx__rrset_from_list(list, "example.com.", LDNS_RR_TYPE_MX, &set),
                     VX_ENOTFOUND);
    assert_int_equal(vx__rrset_from_list(list, "badexample.com", LDNS_RR_TYPE_NS, &set),
                     VX_ENOTFOUND);
    assert_int_equal(vx__rrset_from_list(list, "a..b", LDNS_RR_TYPE_NS, &set), VX_EINVAL);
    ldns_rr_list_deep_free(list);
    ldns_rr_list *empty = ldns_rr_list_new();
    assert_int_equal(vx__rrset_from_list(empty, NULL, 1, &set), VX_ENOTFOUND);
    assert_int_equal(vx__rrset_from_list(NULL, NULL, 1, &set), VX_ENOTFOUND);
    ldns_rr_list_free(empty);
}

static void test_group_section(void **state)
{
    (void)state;
    static const char *const section[] = {
        "sip.example.com. 60 IN A 192.0.2.1", "example.com. 300 IN NS ns1.example.com.",
        "SIP.EXAMPLE.COM. 60 IN A 192.0.2.2", "sip.example.com. 60 IN AAAA 2001:db8::1",
        "sip.example.com. 60 IN A 192.0.2.1", NULL,
    };
    ldns_rr_list *list = list_of(section);
    vx__rrset **sets = NULL;
    size_t n = 0;
    assert_int_equal(vx__rrsets_from_list(list, &sets, &n), VX_OK);
    assert_int_equal(n, 3);
    assert_string_equal(sets[0]->owner, "sip.example.com.");
    assert_int_equal(sets[0]->type, LDNS_RR_TYPE_A);
    assert_int_equal(sets[0]->count, 2);
    assert_string_equal(sets[1]->owner, "example.com.");
    assert_int_equal(sets[1]->type, LDNS_RR_TYPE_NS);
    assert_int_equal(sets[2]->type, LDNS_RR_TYPE_AAAA);
    vx__rrsets_free(sets, n);
    ldns_rr_list_deep_free(list);
    /* an empty section gives no sets, not an error */
    ldns_rr_list *empty = ldns_rr_list_new();
    assert_int_equal(vx__rrsets_from_list(empty, &sets, &n), VX_OK);
    assert_int_equal(n, 0);
    vx__rrsets_free(sets, n);
    ldns_rr_list_free(empty);
}

static void test_root_and_unknown_type(void **state)
{
    (void)state;
    static const char *const root[] = {
        ". 518400 IN NS A.ROOT-SERVERS.NET.",
        ". 518400 IN NS b.root-servers.net.",
        NULL,
    };
    vx__rrset *set = set_of(root, ".", LDNS_RR_TYPE_NS);
    assert_string_equal(set->owner, ".");
    assert_string_equal(set->rdata[0], "a.root-servers.net.");
    vx__rrset_free(set);
    static const char *const unknown[] = {"x.example. 5 IN TYPE65280 \\# 2 abcd", NULL};
    set = set_of(unknown, "x.example", 65280);
    assert_int_equal(set->count, 1);
    assert_string_equal(set->rdata[0], "\\# 2 abcd"); /* RFC 3597 generic form */
    vx__rrset_free(set);
}

/* The hash is FNV-1a 64 over a documented byte sequence: check one value computed here. */
static void test_hash_definition(void **state)
{
    (void)state;
    vx__rrset set = {0};
    char owner[] = "a.";
    char rd[] = "1.2.3.4";
    char *rdata[] = {rd};
    set.owner = owner;
    set.type = 1;
    set.rrclass = 1;
    set.ttl = 60;
    set.count = 1;
    set.rdata = rdata;
    const uint8_t bytes[] = {'a', '.', 0,   0,   1, 0, 1, '1', '.', '2',
                             '.', '3', '.', '4', 0, 0, 0, 0,   60};
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof bytes; i++) {
        h ^= bytes[i];
        h *= 0x100000001b3ull;
    }
    assert_true(vx__rrset_hash(&set, true) == h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_form),
        cmocka_unit_test(test_equality_order_case_duplicates),
        cmocka_unit_test(test_different_data),
        cmocka_unit_test(test_case_only_in_names),
        cmocka_unit_test(test_from_list_selection),
        cmocka_unit_test(test_group_section),
        cmocka_unit_test(test_root_and_unknown_type),
        cmocka_unit_test(test_hash_definition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
