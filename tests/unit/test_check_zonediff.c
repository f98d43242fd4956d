/*
 * tests/unit/test_check_zonediff.c — check/zonediff.c: whole copies compared RRset by RRset
 * (added, missing, changed, TTL), SOA/RRSIG/NSEC left out, failed copies left out, and the
 * ZONE-DIFFERS finding.
 */
#include "check_fixture.h"

#include "check/zonediff.h"
#include "wire/xfr.h"

static const char A_TEXT[] = "$ORIGIN example.com.\n$TTL 3600\n"
                             "@ IN SOA ns1.dns-a.net. h 2024010101 7200 3600 1209600 3600\n"
                             "@ IN NS ns1.dns-a.net.\n"
                             "www IN A 192.0.2.1\n"
                             "office IN TXT \"v=office\"\n"
                             "@ IN RRSIG A 13 2 3600 20300101000000 20200101000000 1 "
                             "example.com. AAAA\n";
/* Other serial and signatures, no office TXT, www with another TTL. */
static const char B_TEXT[] = "$ORIGIN example.com.\n$TTL 3600\n"
                             "@ IN SOA ns2.dns-b.org. h 1700000000 7200 3600 1209600 3600\n"
                             "@ IN NS ns1.dns-a.net.\n"
                             "www 300 IN A 192.0.2.1\n"
                             "@ IN RRSIG A 13 2 3600 20300101000000 20200101000000 2 "
                             "example.com. BBBB\n";

static void copy(vx__zone_copy *z, const char *provider, const char *server, const char *addr,
                 const char *text)
{
    char err[128];
    memset(z, 0, sizeof *z);
    z->provider = fx_strdup(provider);
    z->server = fx_strdup(server);
    fx_addr(addr, &z->addr);
    z->status =
        vx__zone_text_parse(text, strlen(text), FX_D, &z->sets, &z->set_count, err, sizeof err);
    assert_int_equal(z->status, VX_OK);
}

static void test_diff(void **state)
{
    (void)state;
    vx__zone_copy c[3];
    copy(&c[0], "dns-a.net", "ns1.dns-a.net.", "192.0.2.1", A_TEXT);
    copy(&c[1], "dns-b.org", "ns2.dns-b.org.", "198.51.100.1", B_TEXT);
    copy(&c[2], "dns-c.com", "ns3.dns-c.com.", "203.0.113.1", B_TEXT);
    c[2].status = VX_EREFUSED; /* a copy that did not come takes no part */
    vx__zdiff d;
    assert_int_equal(vx__zone_diff(c, 3, &d), VX_OK);
    assert_int_equal(d.compared, 2);
    assert_int_equal(d.count, 2); /* office TXT, www A (TTL); not SOA, not RRSIG */
    assert_string_equal(d.items[0].owner, "office.example.com.");
    assert_non_null(d.items[0].sets[0]);
    assert_null(d.items[0].sets[1]);
    assert_null(d.items[0].sets[2]);
    assert_string_equal(d.items[1].owner, "www.example.com.");
    char what[128];
    vx__zdiff_describe(d.items[1].sets[1], what, sizeof what);
    assert_string_equal(what, "TTL 300: 192.0.2.1");
    vx__zdiff_describe(NULL, what, sizeof what);
    assert_string_equal(what, "absent");
    vx__zdiff_free(&d);
    /* The same copy twice: nothing differs; one copy alone: nothing is compared. */
    assert_int_equal(vx__zone_diff(c, 1, &d), VX_OK);
    assert_int_equal(d.compared, 1);
    assert_int_equal(d.count, 0);
    vx__zdiff_free(&d);
    vx__zone_copy same[2] = {c[1], c[1]};
    assert_int_equal(vx__zone_diff(same, 2, &d), VX_OK);
    assert_int_equal(d.count, 0);
    vx__zdiff_free(&d);
    for (size_t i = 0; i < 3; i++)
        vx__zone_copy_clear(&c[i]);
}

/* Two large copies whose records come in opposite orders, with one name changed, one missing
 * and one added: exactly those three, sorted (the comparison sorts each copy once, then merges:
 * a zone of many thousand names must not cost a scan of the other copy per name). */
static void test_large_copies_in_other_orders(void **state)
{
    (void)state;
    enum { NAMES = 20000 };
    size_t cap = (size_t)NAMES * 40 + 256;
    char *a = malloc(cap), *b = malloc(cap);
    assert_non_null(a);
    assert_non_null(b);
    static const char head[] = "$ORIGIN example.com.\n$TTL 3600\n"
                               "@ IN SOA ns1.dns-a.net. h 1 7200 3600 1209600 3600\n";
    size_t la = (size_t)snprintf(a, cap, "%s", head), lb = (size_t)snprintf(b, cap, "%s", head);
    for (int i = 0; i < NAMES; i++) {
        int j = NAMES - 1 - i; /* b lists the names backwards */
        if (i != 7)            /* n7 only in b */
            la += (size_t)snprintf(a + la, cap - la, "n%d IN A 192.0.2.%d\n", i, i % 250);
        if (j != 11) /* n11 only in b, as n11 TXT */
            lb += (size_t)snprintf(b + lb, cap - lb, "n%d IN A 192.0.2.%d\n", j,
                                   j == 500 ? 251 : j % 250); /* n500 changed in b */
    }
    lb += (size_t)snprintf(b + lb, cap - lb, "n11 IN TXT \"only b\"\n");
    vx__zone_copy c[2];
    copy(&c[0], "dns-a.net", "ns1.dns-a.net.", "192.0.2.1", a);
    copy(&c[1], "dns-b.org", "ns2.dns-b.org.", "198.51.100.1", b);
    vx__zdiff d;
    assert_int_equal(vx__zone_diff(c, 2, &d), VX_OK);
    assert_int_equal(d.count, 4); /* n11 A (only a), n11 TXT (only b), n500 A, n7 A (only b) */
    assert_string_equal(d.items[0].owner, "n11.example.com.");
    assert_int_equal(d.items[0].type, LDNS_RR_TYPE_A);
    assert_null(d.items[0].sets[1]);
    assert_string_equal(d.items[1].owner, "n11.example.com.");
    assert_int_equal(d.items[1].type, LDNS_RR_TYPE_TXT);
    assert_null(d.items[1].sets[0]);
    assert_string_equal(d.items[2].owner, "n500.example.com.");
    assert_non_null(d.items[2].sets[0]);
    assert_non_null(d.items[2].sets[1]);
    assert_string_equal(d.items[3].owner, "n7.example.com.");
    assert_null(d.items[3].sets[0]);
    vx__zdiff_free(&d);
    for (size_t i = 0; i < 2; i++)
        vx__zone_copy_clear(&c[i]);
    free(a);
    free(b);
}

static void test_zone_differs_finding(void **state)
{
    (void)state;
    vx__snapshot *s = fx_healthy();
    vx__findings f = fx_run_generic(s);
    assert_int_equal(fx_count(&f, "ZONE-DIFFERS"), 0); /* no copies: nothing to say */
    vx__findings_clear(&f);
    s->zones = calloc(2, sizeof *s->zones);
    assert_non_null(s->zones);
    s->zone_count = 2;
    copy(&s->zones[0], "dns-a.net", "ns1.dns-a.net.", "192.0.2.1", A_TEXT);
    copy(&s->zones[1], "dns-b.org", "ns2.dns-b.org.", "198.51.100.1", B_TEXT);
    f = fx_run_generic(s);
    const vx__finding *x = fx_one(&f, "ZONE-DIFFERS");
    assert_int_equal(x->severity, VX__SEV_ERROR);
    fx_contains(x->message, "the copies of example.com that 2 providers transfer differ in 2 "
                            "RRsets: office.example.com TXT (dns-a.net: TTL 3600: \"v=office\", "
                            "dns-b.org: absent)");
    assert_true(fx_has_name(x, "www.example.com A"));
    assert_true(fx_has_server(x, "ns2.dns-b.org/198.51.100.1"));
    vx__findings_clear(&f);
    fx_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_large_copies_in_other_orders),
        cmocka_unit_test(test_zone_differs_finding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
