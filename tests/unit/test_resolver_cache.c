/*
 * tests/unit/test_resolver_cache.c — the answer cache (resolver/cache.c): positive entries and
 * their TTL countdown, the stale window and stale TTL, negative entries from the SOA (NXDOMAIN
 * and NODATA), what is not cached, the failure-recheck mark, case-insensitive keys, TTL caps,
 * replacement and eviction when full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resolver/cache.h"
#include "voxdns/status.h"
#include "wire/query.h"

#define DAY_MS (24ull * 3600 * 1000)

static vx__question question(const char *name, uint16_t type)
{
    vx__question q;
    assert_int_equal(vx__question_from_text(name, type, LDNS_RR_CLASS_IN, &q), VX_OK);
    return q;
}

/* A parsed response to q with rcode, answer and authority records in zone-file text. */
static vx__msg *response(const vx__question *q, ldns_pkt_rcode rcode, const char *const *ans,
                         const char *const *auth)
{
    uint8_t qwire[VX__QUERY_MAX], *wire;
    size_t qlen, len;
    vx__msg *m;
    assert_int_equal(vx__wire_build_query(q, 1, VX__Q_RD, qwire, sizeof(qwire), &qlen), VX_OK);
    assert_int_equal(vx__msg_parse(qwire, qlen, &m), VX_OK);
    ldns_pkt *p = ldns_pkt_clone(m->pkt);
    vx__msg_free(m);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_rcode(p, (uint8_t)rcode);
    for (int s = 0; s < 2; s++) {
        const char *const *list = s == 0 ? ans : auth;
        for (size_t i = 0; list && list[i]; i++) {
            ldns_rr *rr;
            assert_int_equal(ldns_rr_new_frm_str(&rr, list[i], 0, NULL, NULL), LDNS_STATUS_OK);
            ldns_pkt_push_rr(p, s == 0 ? LDNS_SECTION_ANSWER : LDNS_SECTION_AUTHORITY, rr);
        }
    }
    assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
    assert_int_equal(vx__msg_parse(wire, len, &m), VX_OK);
    free(wire);
    ldns_pkt_free(p);
    return m;
}

static void store(vx__cache *c, const vx__question *q, ldns_pkt_rcode rcode, const char *const *ans,
                  const char *const *auth, uint64_t now, int expect)
{
    vx__msg *m = response(q, rcode, ans, auth);
    assert_int_equal(vx__cache_store(c, q, m, now), expect);
    vx__msg_free(m);
}

static vx__cache_state look(vx__cache *c, const vx__question *q, uint64_t now, uint32_t *ttl,
                            vx__cache_hit *keep)
{
    vx__cache_hit hit;
    assert_int_equal(vx__cache_lookup(c, q, now, 30, &hit), VX_OK);
    vx__cache_state st = hit.state;
    if (ttl && hit.records && ldns_rr_list_rr_count(hit.records)) {
        ldns_rr_list *copy = vx__cache_hit_copy(&hit);
        assert_non_null(copy);
        *ttl = ldns_rr_ttl(ldns_rr_list_rr(copy, 0));
        assert_int_equal(*ttl, hit.ttl);
        ldns_rr_list_deep_free(copy);
    }
    if (keep)
        *keep = hit;
    else
        vx__cache_hit_clear(&hit);
    return st;
}

static const char *const two_a[] = {"sip.example.com. 300 IN A 192.0.2.1",
                                    "sip.example.com. 100 IN A 192.0.2.2", NULL};
static const char *const soa[] = {"example.com. 3600 IN SOA ns. host. 1 2 3 4 120", NULL};

static void test_positive_ttl_and_stale(void **state)
{
    vx__cache *c;
    uint32_t ttl = 0;
    vx__cache_hit hit;
    (void)state;
    assert_int_equal(vx__cache_new(16, DAY_MS, &c), VX_OK);
    vx__question q = question("sip.example.com", LDNS_RR_TYPE_A);
    store(c, &q, LDNS_RCODE_NOERROR, two_a, NULL, 1000, VX_OK);
    assert_int_equal(vx__cache_count(c), 1);
    assert_int_equal(look(c, &q, 1000, &ttl, &hit), VX__CACHE_FRESH);
    assert_int_equal(ldns_rr_list_rr_count(hit.records), 2);
    /* The smallest TTL of the set rules (RFC 2181 §5.2), on every record of the copy. */
    ldns_rr_list *copy = vx__cache_hit_copy(&hit);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(copy, i)), 100);
    ldns_rr_list_deep_free(copy);
    assert_int_equal(hit.rcode, LDNS_RCODE_NOERROR);
    assert_false(hit.negative);
    vx__cache_hit_clear(&hit);
    assert_int_equal(look(c, &q, 1000 + 40500, &ttl, NULL), VX__CACHE_FRESH);
    assert_int_equal(ttl, 59); /* rounded down, never extended */
    assert_int_equal(look(c, &q, 101000, &ttl, NULL), VX__CACHE_STALE);
    assert_int_equal(ttl, 30);
    assert_int_equal(look(c, &q, 101000 + DAY_MS - 1, &ttl, NULL), VX__CACHE_STALE);
    assert_int_equal(look(c, &q, 101000 + DAY_MS, &ttl, NULL), VX__CACHE_MISS);
    assert_int_equal(vx__cache_count(c), 0); /* freed on the way */
    /* Another case, another type: different keys; same name any case: same key. */
    store(c, &q, LDNS_RCODE_NOERROR, two_a, NULL, 0, VX_OK);
    vx__question upper = question("SIP.EXAMPLE.COM.", LDNS_RR_TYPE_A);
    vx__question aaaa = question("sip.example.com", LDNS_RR_TYPE_AAAA);
    assert_int_equal(look(c, &upper, 0, NULL, NULL), VX__CACHE_FRESH);
    assert_int_equal(look(c, &aaaa, 0, NULL, NULL), VX__CACHE_MISS);
    vx__cache_free(c);
}

static void test_negative(void **state)
{
    vx__cache *c;
    vx__cache_hit hit;
    (void)state;
    assert_int_equal(vx__cache_new(16, DAY_MS, &c), VX_OK);
    vx__question nx = question("nx.example.com", LDNS_RR_TYPE_A);
    vx__question nodata = question("sip.example.com", LDNS_RR_TYPE_AAAA);
    store(c, &nx, LDNS_RCODE_NXDOMAIN, NULL, soa, 0, VX_OK);
    store(c, &nodata, LDNS_RCODE_NOERROR, NULL, soa, 0, VX_OK);
    assert_int_equal(look(c, &nx, 119999, NULL, &hit), VX__CACHE_FRESH);
    assert_true(hit.negative);
    assert_int_equal(hit.rcode, LDNS_RCODE_NXDOMAIN);
    assert_int_equal(ldns_rr_list_rr_count(hit.records), 0);
    vx__cache_hit_clear(&hit);
    assert_int_equal(look(c, &nodata, 119999, NULL, &hit), VX__CACHE_FRESH);
    assert_true(hit.negative);
    assert_int_equal(hit.rcode, LDNS_RCODE_NOERROR);
    vx__cache_hit_clear(&hit);
    /* SOA MINIMUM 120 < SOA TTL 3600; expired negatives are misses, never stale. */
    assert_int_equal(look(c, &nx, 120000, NULL, NULL), VX__CACHE_MISS);
    assert_int_equal(look(c, &nodata, 120000, NULL, NULL), VX__CACHE_MISS);
    /* SOA TTL smaller than MINIMUM: the TTL rules. */
    const char *const soa_short[] = {"example.com. 10 IN SOA ns. host. 1 2 3 4 120", NULL};
    store(c, &nx, LDNS_RCODE_NXDOMAIN, NULL, soa_short, 0, VX_OK);
    assert_int_equal(look(c, &nx, 9999, NULL, NULL), VX__CACHE_FRESH);
    assert_int_equal(look(c, &nx, 10000, NULL, NULL), VX__CACHE_MISS);
    vx__cache_free(c);
}

static void test_not_cacheable_and_caps(void **state)
{
    vx__cache *c;
    uint32_t ttl = 0;
    (void)state;
    assert_int_equal(vx__cache_new(16, DAY_MS, &c), VX_OK);
    vx__question q = question("sip.example.com", LDNS_RR_TYPE_A);
    store(c, &q, LDNS_RCODE_SERVFAIL, NULL, NULL, 0, VX_EINVAL);
    store(c, &q, LDNS_RCODE_REFUSED, two_a, NULL, 0, VX_EINVAL);
    store(c, &q, LDNS_RCODE_NXDOMAIN, NULL, NULL, 0, VX_EINVAL); /* no SOA (RFC 2308 §5) */
    assert_int_equal(vx__cache_count(c), 0);
    const char *const huge[] = {"sip.example.com. 2000000000 IN A 192.0.2.1", NULL};
    store(c, &q, LDNS_RCODE_NOERROR, huge, NULL, 0, VX_OK);
    assert_int_equal(look(c, &q, 0, &ttl, NULL), VX__CACHE_FRESH);
    assert_int_equal(ttl, VX__CACHE_TTL_MAX_S);
    const char *const soa_huge[] = {"example.com. 999999 IN SOA ns. host. 1 2 3 4 999999", NULL};
    vx__question nx = question("nx.example.com", LDNS_RR_TYPE_A);
    store(c, &nx, LDNS_RCODE_NXDOMAIN, NULL, soa_huge, 0, VX_OK);
    assert_int_equal(look(c, &nx, VX__CACHE_NEG_TTL_MAX_S * 1000ull - 1, NULL, NULL),
                     VX__CACHE_FRESH);
    assert_int_equal(look(c, &nx, VX__CACHE_NEG_TTL_MAX_S * 1000ull, NULL, NULL), VX__CACHE_MISS);
    vx__cache_free(c);
}

static void test_failure_recheck_mark(void **state)
{
    vx__cache *c;
    vx__cache_hit hit;
    (void)state;
    assert_int_equal(vx__cache_new(16, DAY_MS, &c), VX_OK);
    vx__question q = question("sip.example.com", LDNS_RR_TYPE_A);
    vx__question other = question("other.example.com", LDNS_RR_TYPE_A);
    vx__cache_mark_failed(c, &other, 0, 30000); /* a miss: nothing to mark */
    store(c, &q, LDNS_RCODE_NOERROR, two_a, NULL, 0, VX_OK);
    vx__cache_mark_failed(c, &q, 200000, 30000);
    assert_int_equal(look(c, &q, 229999, NULL, &hit), VX__CACHE_STALE);
    assert_true(hit.in_recheck);
    vx__cache_hit_clear(&hit);
    assert_int_equal(look(c, &q, 230000, NULL, &hit), VX__CACHE_STALE);
    assert_false(hit.in_recheck);
    vx__cache_hit_clear(&hit);
    /* A successful refresh replaces the entry and clears the mark. */
    vx__cache_mark_failed(c, &q, 230000, 30000);
    store(c, &q, LDNS_RCODE_NOERROR, two_a, NULL, 231000, VX_OK);
    assert_int_equal(look(c, &q, 231000, NULL, &hit), VX__CACHE_FRESH);
    assert_false(hit.in_recheck);
    vx__cache_hit_clear(&hit);
    assert_int_equal(vx__cache_count(c), 1);
    vx__cache_free(c);
}

static void test_eviction(void **state)
{
    vx__cache *c;
    char name[64], rr[128];
    (void)state;
    assert_int_equal(vx__cache_new(4, 1000, &c), VX_OK);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "h%d.example.com", i);
        snprintf(rr, sizeof(rr), "%s. %d IN A 192.0.2.%d", name, 10 * (4 - i), i);
        vx__question q = question(name, LDNS_RR_TYPE_A);
        store(c, &q, LDNS_RCODE_NOERROR, (const char *const[]){rr, NULL}, NULL, 0, VX_OK);
    }
    assert_int_equal(vx__cache_count(c), 4);
    /* Full: the entry whose stale window ends first (h3, TTL 10) makes room. */
    vx__question q4 = question("h4.example.com", LDNS_RR_TYPE_A);
    store(c, &q4, LDNS_RCODE_NOERROR, two_a, NULL, 0, VX_OK);
    assert_int_equal(vx__cache_count(c), 4);
    vx__question q3 = question("h3.example.com", LDNS_RR_TYPE_A);
    vx__question q0 = question("h0.example.com", LDNS_RR_TYPE_A);
    assert_int_equal(look(c, &q3, 0, NULL, NULL), VX__CACHE_MISS);
    assert_int_equal(look(c, &q0, 0, NULL, NULL), VX__CACHE_FRESH);
    /* Later, everything past its stale window goes at once. */
    vx__question q5 = question("h5.example.com", LDNS_RR_TYPE_A);
    store(c, &q5, LDNS_RCODE_NOERROR, two_a, NULL, 50000, VX_OK);
    assert_int_equal(vx__cache_count(c), 2); /* h4 (TTL 100) and h5 */
    vx__cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positive_ttl_and_stale),
        cmocka_unit_test(test_negative),
        cmocka_unit_test(test_not_cacheable_and_caps),
        cmocka_unit_test(test_failure_recheck_mark),
        cmocka_unit_test(test_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
