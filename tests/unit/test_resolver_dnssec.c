/*
 * tests/unit/test_resolver_dnssec.c — the stub resolver's DNSSEC validator
 * (resolver/dnssec.c) over a small world signed in the test with fresh ECDSA P-256 keys: the
 * root (the trust anchor), example. below it, unsigned.example. delegated without DS, and
 * bogus.example. whose DS names another key. Checked: the order of the chain fetches and a
 * secure answer, remembered keys, a changed record, an expired signature, a bogus DS, an
 * unsigned delegation (insecure, by a signed NSEC), unsigned data inside a signed zone, a
 * secure NODATA, a failed fetch, a DNSKEY anchor, and the anchor file parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "resolver/dnssec.h"
#include "voxdns/status.h"
#include "wire/query.h"

#define NOW_WALL 1796000000u /* 2026-11-30 */
#define INCEPTION (NOW_WALL - 3600u)
#define EXPIRATION (NOW_WALL + 86400u)

typedef struct world {
    ldns_key *root, *example, *bogus, *wrong;
    ldns_rr *root_key, *example_key, *bogus_key, *wrong_key; /* DNSKEY records */
    ldns_rr_list *anchor;                                    /* the root's DS */
} world;

static world w;

static ldns_rr *rr(const char *text)
{
    ldns_rr *r = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&r, text, 3600, NULL, NULL), LDNS_STATUS_OK);
    return r;
}

static ldns_key *make_key(const char *owner, ldns_rr **dnskey)
{
    ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
    assert_non_null(k);
    ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str(owner));
    ldns_key_set_flags(k, 257);
    ldns_key_set_inception(k, INCEPTION);
    ldns_key_set_expiration(k, EXPIRATION);
    *dnskey = ldns_key2rr(k);
    ldns_rr_set_ttl(*dnskey, 3600);
    ldns_key_set_keytag(k, ldns_calc_keytag(*dnskey));
    return k;
}

static int setup(void **state)
{
    (void)state;
    w.root = make_key(".", &w.root_key);
    w.example = make_key("example.", &w.example_key);
    w.bogus = make_key("bogus.example.", &w.bogus_key);
    w.wrong = make_key("bogus.example.", &w.wrong_key); /* its DS is published, not the key */
    w.anchor = ldns_rr_list_new();
    ldns_rr_list_push_rr(w.anchor, ldns_key_rr2ds(w.root_key, LDNS_SHA256));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ldns_key_deep_free(w.root);
    ldns_key_deep_free(w.example);
    ldns_key_deep_free(w.bogus);
    ldns_key_deep_free(w.wrong);
    ldns_rr_free(w.root_key);
    ldns_rr_free(w.example_key);
    ldns_rr_free(w.bogus_key);
    ldns_rr_free(w.wrong_key);
    ldns_rr_list_deep_free(w.anchor);
    return 0;
}

/* Pushes rrs (taken) and their RRSIGs by key (NULL: unsigned) into section s of p. */
static void push_signed(ldns_pkt *p, ldns_pkt_section s, ldns_rr_list *rrs, ldns_key *key)
{
    if (key) {
        ldns_key_list *keys = ldns_key_list_new();
        ldns_key_list_push_key(keys, key);
        ldns_rr_list *sigs = ldns_sign_public(rrs, keys);
        assert_non_null(sigs);
        for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
            ldns_pkt_push_rr(p, s, ldns_rr_clone(ldns_rr_list_rr(sigs, i)));
        ldns_rr_list_deep_free(sigs);
        ldns_key_list_set_key_count(keys, 0); /* the world keeps its key */
        ldns_key_list_free(keys);
    }
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
        ldns_pkt_push_rr(p, s, ldns_rr_list_rr(rrs, i));
    ldns_rr_list_free(rrs);
}

static ldns_rr_list *list_of(ldns_rr *a, ldns_rr *b)
{
    ldns_rr_list *l = ldns_rr_list_new();
    ldns_rr_list_push_rr(l, a);
    if (b)
        ldns_rr_list_push_rr(l, b);
    return l;
}

static ldns_pkt *response(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode)
{
    ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, 0);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_rcode(p, (uint8_t)rcode);
    return p;
}

static vx__msg *to_msg(ldns_pkt *p)
{
    uint8_t *wire;
    size_t len;
    vx__msg *m = NULL;
    assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
    assert_int_equal(vx__msg_parse(wire, len, &m), VX_OK);
    LDNS_FREE(wire);
    ldns_pkt_free(p);
    return m;
}

/* ---- the world's answers -------------------------------------------------------------------- */

static vx__msg *dnskey_answer(const char *zone, ldns_rr *key, ldns_key *signer)
{
    ldns_pkt *p = response(zone, LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
    push_signed(p, LDNS_SECTION_ANSWER, list_of(ldns_rr_clone(key), NULL), signer);
    return to_msg(p);
}

static vx__msg *ds_answer(const char *zone, const ldns_rr *key)
{
    ldns_pkt *p = response(zone, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
    ldns_rr *ds = ldns_key_rr2ds(key, LDNS_SHA256);
    ldns_rr_set_ttl(ds, 3600);
    push_signed(p, LDNS_SECTION_ANSWER, list_of(ds, NULL), w.root); /* any ancestor may sign */
    return to_msg(p);
}

/* NODATA for DS at name from example., signed, with the NSEC at name giving its types. */
static vx__msg *ds_denial(const char *name, const char *nsec_types)
{
    char text[512];
    ldns_pkt *p = response(name, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
    push_signed(
        p, LDNS_SECTION_AUTHORITY,
        list_of(rr("example. 3600 IN SOA ns.example. h.example. 1 7200 900 1209600 300"), NULL),
        w.example);
    snprintf(text, sizeof(text), "%s 3600 IN NSEC zzz.example. %s", name, nsec_types);
    push_signed(p, LDNS_SECTION_AUTHORITY, list_of(rr(text), NULL), w.example);
    return to_msg(p);
}

static vx__msg *a_answer(const char *name, const char *address, ldns_key *signer)
{
    char text[256];
    snprintf(text, sizeof(text), "%s 3600 IN A %s", name, address);
    ldns_pkt *p = response(name, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
    push_signed(p, LDNS_SECTION_ANSWER, list_of(rr(text), NULL), signer);
    return to_msg(p);
}

/* Answers the validator's questions from the world until it decides; records what it asked. */
typedef struct asked {
    char q[16][64];
    size_t n;
} asked;

static vx__msg *world_answer(const vx__question *q)
{
    ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)q->name_len, q->name);
    char *text = ldns_rdf2str(name);
    vx__msg *m = NULL;
    if (q->qtype == LDNS_RR_TYPE_DNSKEY && strcmp(text, ".") == 0)
        m = dnskey_answer(".", w.root_key, w.root);
    else if (q->qtype == LDNS_RR_TYPE_DNSKEY && strcmp(text, "example.") == 0)
        m = dnskey_answer("example.", w.example_key, w.example);
    else if (q->qtype == LDNS_RR_TYPE_DNSKEY && strcmp(text, "bogus.example.") == 0)
        m = dnskey_answer("bogus.example.", w.bogus_key, w.bogus); /* not its DS's key */
    else if (q->qtype == LDNS_RR_TYPE_DS && strcmp(text, "example.") == 0)
        m = ds_answer("example.", w.example_key);
    else if (q->qtype == LDNS_RR_TYPE_DS && strcmp(text, "bogus.example.") == 0)
        m = ds_answer("bogus.example.", w.wrong_key);
    else if (q->qtype == LDNS_RR_TYPE_DS && strcmp(text, "unsigned.example.") == 0)
        m = ds_denial("unsigned.example.", "NS RRSIG NSEC");
    else if (q->qtype == LDNS_RR_TYPE_DS && strcmp(text, "www.example.") == 0)
        m = ds_denial("www.example.", "A RRSIG NSEC");
    else if (q->qtype == LDNS_RR_TYPE_DS && strcmp(text, "host.unsigned.example.") == 0) {
        ldns_pkt *p = response(text, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
        ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
                         rr("unsigned.example. 3600 IN SOA ns h 1 7200 900 1209600 300"));
        m = to_msg(p);
    }
    free(text);
    ldns_rdf_deep_free(name);
    return m; /* NULL: the fetch failed */
}

static vx__sec validate(vx__dnssec *v, vx__msg *m, time_t wall, asked *log)
{
    vx__question need;
    vx__sec sec;
    for (int round = 0;
         (sec = vx__dnssec_check(v, &m->question, m, 1000, wall, &need)) == VX__SEC_NEED; round++) {
        assert_true(round < 16);
        char type[16], name[32];
        ldns_rdf *n = ldns_dname_new_frm_data((uint16_t)need.name_len, need.name);
        char *t = ldns_rdf2str(n);
        snprintf(name, sizeof(name), "%s", t);
        free(t);
        ldns_rdf_deep_free(n);
        if (log && log->n < 16)
            snprintf(log->q[log->n++], sizeof(log->q[0]), "%s %s", name,
                     vx__rrtype_to_text(need.qtype, type, sizeof(type)));
        vx__msg *answer = world_answer(&need);
        vx__dnssec_store(v, &need, answer, 1000);
        vx__msg_free(answer);
    }
    vx__msg_free(m);
    return sec;
}

static vx__dnssec *validator(void)
{
    vx__dnssec *v = NULL;
    assert_int_equal(vx__dnssec_new(w.anchor, &v), VX_OK);
    return v;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_secure_chain_in_order(void **state)
{
    (void)state;
    vx__dnssec *v = validator();
    asked log = {0};
    vx__sec sec = validate(v, a_answer("www.example.", "192.0.2.1", w.example), NOW_WALL, &log);
    assert_int_equal(sec, VX__SEC_SECURE);
    assert_int_equal(log.n, 3);
    assert_string_equal(log.q[0], "example. DS");
    assert_string_equal(log.q[1], ". DNSKEY");
    assert_string_equal(log.q[2], "example. DNSKEY");
    /* the keys are remembered: the next answer of the zone needs no fetch */
    log.n = 0;
    sec = validate(v, a_answer("sip.example.", "192.0.2.2", w.example), NOW_WALL, &log);
    assert_int_equal(sec, VX__SEC_SECURE);
    assert_int_equal(log.n, 0);
    vx__dnssec_free(v);
}

static void test_changed_record_is_bogus(void **state)
{
    (void)state;
    vx__dnssec *v = validator();
    vx__msg *m = a_answer("www.example.", "192.0.2.1", w.example);
    ldns_rr_list *ans = ldns_pkt_answer(m->pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
        ldns_rr *r = ldns_rr_list_rr(ans, i);
        if (ldns_rr_get_type(r) == LDNS_RR_TYPE_A)
            ldns_rdf_deep_free(
                ldns_rr_set_rdf(r, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "198.51.100.66"), 0));
    }
    assert_int_equal(validate(v, m, NOW_WALL, NULL), VX__SEC_BOGUS);
    vx__dnssec_free(v);
}

static void test_expired_signature_is_bogus(void **state)
{
    (void)state;
    vx__dnssec *v = validator();
    vx__sec sec =
        validate(v, a_answer("www.example.", "192.0.2.1", w.example), (time_t)EXPIRATION + 1, NULL);
    assert_int_equal(sec, VX__SEC_BOGUS);
    vx__dnssec_free(v);
}

static void test_ds_of_another_key_is_bogus(void **state)
{
    (void)state;
    vx__dnssec *v = validator();
    asked log = {0};
    vx__sec sec = validate(v, a_answer("sip.bogus.example.", "192.0.2.3", w.bogus), NOW_WALL, &log);
    assert_int_equal(sec, VX__SEC_BOGUS);
    assert_string_equal(log.q[0], "bogus.example. DS");
    /* the chain up to example. was fine: its answers stay secure */
    sec = validate(v, a_answer("www.example.", "192.0.2.1", w.example), NOW_WALL, NULL);
    assert_int_equal(sec, VX__SEC_SECURE);
    vx__dnssec_free(v);
}

static void test_unsigned_delegation_is_insecure(void **state)
{
    (void)state;
    vx__dnssec *v = validator();
    asked log = {0};
    vx__sec sec =
        validate(v, a_answer("host.unsigned.example.", "192.0.2.4", NULL), NOW_WALL, &log);
    assert_int_equal(sec, VX__SEC_INSECURE);
    assert_string_equal(log.q[0], "host.unsigned.example. DS");
    assert_string_equal(log.q[1], "unsigned.example. DS");
    vx__dnssec_free(v);
}

static void test_unsigned_data_in_signed_zone_is_bogus(void **state)
{
    (void)state;
    vx__dnssec *v = validator();
    /* www.example. is no delegation (its NSEC has no NS): a stripped signature */
    vx__sec sec = validate(v, a_answer("www.example.", "192.0.2.1", NULL), NOW_WALL, NULL);
    assert_int_equal(sec, VX__SEC_BOGUS);
    vx__dnssec_free(v);
}

static void test_secure_nodata(void **state)
{
    (void)state;
    vx__dnssec *v = validator();
    ldns_pkt *p = response("www.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
    push_signed(
        p, LDNS_SECTION_AUTHORITY,
        list_of(rr("example. 3600 IN SOA ns.example. h.example. 1 7200 900 1209600 300"), NULL),
        w.example);
    push_signed(p, LDNS_SECTION_AUTHORITY,
                list_of(rr("www.example. 3600 IN NSEC zzz.example. A RRSIG NSEC"), NULL),
                w.example);
    assert_int_equal(validate(v, to_msg(p), NOW_WALL, NULL), VX__SEC_SECURE);
    /* the same NSEC does not deny the A that it lists */
    p = response("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
    push_signed(
        p, LDNS_SECTION_AUTHORITY,
        list_of(rr("example. 3600 IN SOA ns.example. h.example. 1 7200 900 1209600 300"), NULL),
        w.example);
    push_signed(p, LDNS_SECTION_AUTHORITY,
                list_of(rr("www.example. 3600 IN NSEC zzz.example. A RRSIG NSEC"), NULL),
                w.example);
    assert_int_equal(validate(v, to_msg(p), NOW_WALL, NULL), VX__SEC_BOGUS);
    vx__dnssec_free(v);
}

static void test_failed_fetch_is_bogus(void **state)
{
    (void)state;
    vx__dnssec *v = validator();
    /* nothing answers for other.test.: no chain, no trust */
    vx__sec sec = validate(v, a_answer("www.other.test.", "192.0.2.9", NULL), NOW_WALL, NULL);
    assert_int_equal(sec, VX__SEC_BOGUS);
    vx__dnssec_free(v);
}

static void test_dnskey_anchor(void **state)
{
    (void)state;
    ldns_rr_list *anchor = list_of(ldns_rr_clone(w.root_key), NULL);
    vx__dnssec *v = NULL;
    assert_int_equal(vx__dnssec_new(anchor, &v), VX_OK);
    vx__sec sec = validate(v, a_answer("www.example.", "192.0.2.1", w.example), NOW_WALL, NULL);
    assert_int_equal(sec, VX__SEC_SECURE);
    vx__dnssec_free(v);
    ldns_rr_list_deep_free(anchor);
}

static void test_anchor_parser(void **state)
{
    (void)state;
    ldns_rr_list *out = NULL;
    char err[128];
    const char good[] = "; root\n\n. 86400 IN DS 20326 8 2 "
                        "e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d\n";
    assert_int_equal(vx__dnssec_parse_anchors(good, strlen(good), &out, err, sizeof(err)), VX_OK);
    assert_int_equal(ldns_rr_list_rr_count(out), 1);
    ldns_rr_list_deep_free(out);
    const char *bad[][2] = {
        {"", "line 0: no DS or DNSKEY record"},
        {"; nothing\n", "line 1: no DS or DNSKEY record"},
        {"\n. 3600 IN A 192.0.2.1\n", "line 2: not a DS or DNSKEY record"},
        {"garbage here\n", "line 1: not a DS or DNSKEY record"},
        {". 3600 IN DS 1 8 2 00\ncom. 3600 IN DS 1 8 2 00\n",
         "line 2: anchors of more than one zone"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        out = NULL;
        assert_int_equal(
            vx__dnssec_parse_anchors(bad[i][0], strlen(bad[i][0]), &out, err, sizeof(err)),
            VX_EMALFORMED);
        assert_string_equal(err, bad[i][1]);
        assert_null(out);
    }
    assert_string_equal(vx__sec_name(VX__SEC_INSECURE), "insecure");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secure_chain_in_order),
        cmocka_unit_test(test_changed_record_is_bogus),
        cmocka_unit_test(test_expired_signature_is_bogus),
        cmocka_unit_test(test_ds_of_another_key_is_bogus),
        cmocka_unit_test(test_unsigned_delegation_is_insecure),
        cmocka_unit_test(test_unsigned_data_in_signed_zone_is_bogus),
        cmocka_unit_test(test_secure_nodata),
        cmocka_unit_test(test_failed_fetch_is_bogus),
        cmocka_unit_test(test_dnskey_anchor),
        cmocka_unit_test(test_anchor_parser),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
