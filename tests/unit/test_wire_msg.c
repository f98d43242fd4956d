/*
 * tests/unit/test_wire_msg.c — whole-message parsing: a real response built by hand with
 * compression (and one built by ldns) parses and round-trips; every truncation, wrong counts,
 * trailing garbage, compression loops in owners and in rdata, over-long names, reserved label
 * types, OPT placement and options, NSID text/hex, extended rcode, and the dig-style text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "voxdns/status.h"
#include "wire/msg.h"

/* ---- a tiny message writer for the tests ----------------------------------------------- */

typedef struct wbuf {
    uint8_t b[2048];
    size_t n;
} wbuf;

static void w8(wbuf *w, unsigned v)
{
    w->b[w->n++] = (uint8_t)v;
}

static void w16(wbuf *w, unsigned v)
{
    w8(w, v >> 8);
    w8(w, v & 0xff);
}

static void w32(wbuf *w, uint32_t v)
{
    w16(w, v >> 16);
    w16(w, v & 0xffff);
}

static void wbytes(wbuf *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

/* Writes the labels of a dotted name (no escapes) and, when root, the root label. */
static size_t wlabels(wbuf *w, const char *dotted, int root)
{
    size_t at = w->n;
    while (*dotted) {
        size_t len = strcspn(dotted, ".");
        w8(w, (unsigned)len);
        wbytes(w, dotted, len);
        dotted += len + (dotted[len] == '.');
    }
    if (root)
        w8(w, 0);
    return at;
}

static void wptr(wbuf *w, size_t off)
{
    w16(w, 0xc000u | (unsigned)off);
}

static void wheader(wbuf *w, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                    unsigned ar)
{
    w16(w, id);
    w16(w, flags);
    w16(w, qd);
    w16(w, an);
    w16(w, ns);
    w16(w, ar);
}

/* Type, class, TTL, then a placeholder rdlength whose offset is returned for wrdend(). */
static size_t wrr_fixed(wbuf *w, unsigned type, unsigned cls, uint32_t ttl)
{
    w16(w, type);
    w16(w, cls);
    w32(w, ttl);
    w16(w, 0);
    return w->n;
}

static void wrdend(wbuf *w, size_t rdata_start)
{
    size_t len = w->n - rdata_start;
    w->b[rdata_start - 2] = (uint8_t)(len >> 8);
    w->b[rdata_start - 1] = (uint8_t)len;
}

/* Offsets inside the response that tests poke at. */
typedef struct layout {
    size_t qname, example, ans1, ans1_target, ans2_target, auth, opt, nsid;
} layout;

/* A SIP-ish authoritative answer: two SRV, one NS, glue A and AAAA, OPT with DO and NSID. */
static void build_response(wbuf *w, layout *l)
{
    memset(w, 0, sizeof *w);
    wheader(w, 0x1234, 0x8500, 1, 2, 1, 3);
    l->qname = wlabels(w, "_sip._udp.example.com", 1);
    l->example = l->qname + 10;
    w16(w, 33);
    w16(w, 1);
    const char *targets[] = {"sip1", "sip2"};
    size_t *target_at[] = {&l->ans1_target, &l->ans2_target};
    for (int i = 0; i < 2; i++) {
        if (i == 0)
            l->ans1 = w->n;
        wptr(w, l->qname);
        size_t rd = wrr_fixed(w, 33, 1, 300 + (uint32_t)i);
        w16(w, 10u * (unsigned)(i + 1));
        w16(w, 60);
        w16(w, 5060);
        *target_at[i] = wlabels(w, targets[i], 0);
        wptr(w, l->example);
        wrdend(w, rd);
    }
    l->auth = w->n;
    wptr(w, l->example);
    size_t rd = wrr_fixed(w, 2, 1, 3600);
    wlabels(w, "ns1", 0);
    wptr(w, l->example);
    wrdend(w, rd);
    wptr(w, l->ans1_target);
    rd = wrr_fixed(w, 1, 1, 300);
    wbytes(w, "\xc0\x00\x02\x0a", 4);
    wrdend(w, rd);
    wptr(w, l->ans2_target);
    rd = wrr_fixed(w, 28, 1, 300);
    wbytes(w, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x10", 16);
    wrdend(w, rd);
    l->opt = w->n;
    w8(w, 0);
    rd = wrr_fixed(w, 41, 1232, 0x00008000u);
    w16(w, 3);
    w16(w, 7);
    l->nsid = w->n;
    wbytes(w, "ns1.lab", 7);
    wrdend(w, rd);
}

static int parse(const wbuf *w, vx__msg **m)
{
    return vx__msg_parse(w->b, w->n, m);
}

static void expect_malformed(const wbuf *w)
{
    vx__msg *m = (vx__msg *)0x1;
    assert_int_equal(parse(w, &m), VX_EMALFORMED);
    assert_null(m);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_real_response(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    vx__msg *m = NULL;
    build_response(&w, &l);
    assert_int_equal(parse(&w, &m), VX_OK);
    assert_int_equal(m->header.id, 0x1234);
    assert_true(vx__msg_aa(m));
    assert_false(vx__msg_tc(m));
    assert_int_equal(vx__msg_rcode(m), 0);
    assert_true(m->has_question);
    assert_int_equal(m->question.qtype, 33);
    assert_int_equal(m->question.name_len, 23);
    assert_true(m->has_opt);
    assert_int_equal(m->edns_udp_size, 1232);
    assert_int_equal(m->edns_version, 0);
    assert_true(m->edns_do);
    assert_string_equal(m->nsid, "ns1.lab");
    assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(m->pkt)), 2);
    assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_authority(m->pkt)), 1);
    assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(m->pkt)), 2);
    char *s = vx__rr_to_text(ldns_rr_list_rr(ldns_pkt_answer(m->pkt), 1));
    assert_string_equal(s, "_sip._udp.example.com.\t301\tIN\tSRV\t20 60 5060 sip2.example.com.");
    free(s);
    s = vx__rr_to_text(ldns_rr_list_rr(ldns_pkt_additional(m->pkt), 1));
    assert_string_equal(s, "sip2.example.com.\t300\tIN\tAAAA\t2001:db8::10");
    free(s);
    vx__msg_free(m);
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    build_response(&w, &l);
    size_t full = w.n;
    for (size_t n = 0; n < full; n++) {
        vx__msg *m = NULL;
        assert_int_equal(vx__msg_parse(w.b, n, &m), VX_EMALFORMED);
        assert_null(m);
    }
}

static void test_wrong_counts(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    /* header offsets of qdcount, ancount, nscount, arcount (low byte) */
    const size_t count_at[] = {5, 7, 9, 11};
    for (size_t i = 0; i < 4; i++) {
        build_response(&w, &l);
        w.b[count_at[i]]++; /* claims one record more than present */
        expect_malformed(&w);
        build_response(&w, &l);
        w.b[count_at[i]]--; /* claims one fewer: bytes left over */
        expect_malformed(&w);
    }
    build_response(&w, &l);
    w.b[10] = 1; /* arcount 259 */
    expect_malformed(&w);
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    build_response(&w, &l);
    w8(&w, 0);
    expect_malformed(&w);
}

static void test_compression_loops(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    /* answer owner pointing at itself */
    build_response(&w, &l);
    w.b[l.ans1 + 1] = (uint8_t)l.ans1;
    expect_malformed(&w);
    /* answer owner pointing forward (at the second answer's owner, a valid name) */
    build_response(&w, &l);
    w.b[l.ans1 + 1] = (uint8_t)(l.auth);
    expect_malformed(&w);
    /* question name: a label then a pointer back at that same label */
    memset(&w, 0, sizeof w);
    wheader(&w, 1, 0x8000, 1, 0, 0, 0);
    wlabels(&w, "a", 0);
    wptr(&w, 12);
    w16(&w, 1);
    w16(&w, 1);
    expect_malformed(&w);
    /* two pointers pointing at each other (owner of the only answer) */
    memset(&w, 0, sizeof w);
    wheader(&w, 1, 0x8000, 0, 1, 0, 0);
    wptr(&w, 14);
    wptr(&w, 12);
    size_t rd = wrr_fixed(&w, 1, 1, 0);
    wbytes(&w, "\1\2\3\4", 4);
    wrdend(&w, rd);
    expect_malformed(&w);
}

static void test_compression_in_rdata(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    /* SRV target pointing at itself */
    build_response(&w, &l);
    size_t p = l.ans1_target + 5; /* the pointer after "sip1" */
    w.b[p + 1] = (uint8_t)p;
    expect_malformed(&w);
    /* NS target pointing forward into the additional section */
    build_response(&w, &l);
    w.b[l.auth + 2 + 10 + 4 + 1] = (uint8_t)l.opt;
    expect_malformed(&w);
    /* SRV target that runs past its rdlength */
    build_response(&w, &l);
    w.b[l.ans1 + 2 + 9]--;
    expect_malformed(&w);
}

static void test_long_names(void **state)
{
    (void)state;
    wbuf w;
    char label[64];
    memset(label, 'x', 63);
    label[63] = '\0';
    /* 256 octets through labels alone: 3 x 64 + (1 + 62) + 1 */
    memset(&w, 0, sizeof w);
    wheader(&w, 1, 0x8000, 1, 0, 0, 0);
    for (int i = 0; i < 3; i++)
        wlabels(&w, label, 0);
    wlabels(&w, label + 1, 1);
    w16(&w, 1);
    w16(&w, 1);
    expect_malformed(&w);
    /* one octet less is fine */
    memset(&w, 0, sizeof w);
    wheader(&w, 1, 0x8000, 1, 0, 0, 0);
    for (int i = 0; i < 3; i++)
        wlabels(&w, label, 0);
    wlabels(&w, label + 2, 1);
    w16(&w, 1);
    w16(&w, 1);
    vx__msg *m = NULL;
    assert_int_equal(parse(&w, &m), VX_OK);
    assert_int_equal(m->question.name_len, 255);
    vx__msg_free(m);
    /* 256 octets through a pointer: question of 64 + 63 + 1, owner 2 x 64 + pointer to it */
    memset(&w, 0, sizeof w);
    wheader(&w, 1, 0x8000, 1, 1, 0, 0);
    wlabels(&w, label, 0);
    wlabels(&w, label + 1, 1);
    w16(&w, 1);
    w16(&w, 1);
    wlabels(&w, label, 0);
    wlabels(&w, label, 0);
    wptr(&w, 12);
    size_t rd = wrr_fixed(&w, 1, 1, 0);
    wbytes(&w, "\1\2\3\4", 4);
    wrdend(&w, rd);
    expect_malformed(&w);
}

static void test_reserved_label_types(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    build_response(&w, &l);
    w.b[l.qname] = 0x44; /* "_sip" length octet with 0x40 set */
    expect_malformed(&w);
    build_response(&w, &l);
    w.b[l.qname] = 0x84;
    expect_malformed(&w);
}

static void test_rdlength_beyond_end(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    build_response(&w, &l);
    w.b[l.opt + 9] = 0xff; /* OPT rdlength high byte */
    expect_malformed(&w);
}

static void test_opt_rules(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    /* a second OPT */
    build_response(&w, &l);
    w.b[11] = 4;
    w8(&w, 0);
    wrr_fixed(&w, 41, 512, 0);
    expect_malformed(&w);
    /* OPT owned by something other than the root */
    build_response(&w, &l);
    size_t opt_len = w.n - l.opt;
    memmove(w.b + l.opt + 1, w.b + l.opt, opt_len);
    w.b[l.opt] = 0xc0;
    w.b[l.opt + 1] = (uint8_t)l.example;
    w.n++;
    expect_malformed(&w);
    /* an option longer than the OPT rdata */
    build_response(&w, &l);
    w.b[l.nsid - 1] = 8;
    expect_malformed(&w);
    /* half an option header left over */
    build_response(&w, &l);
    w.b[l.opt + 10] = 13;
    w16(&w, 10);
    expect_malformed(&w);
    /* OPT in the answer section */
    memset(&w, 0, sizeof w);
    wheader(&w, 1, 0x8000, 0, 1, 0, 0);
    w8(&w, 0);
    wrr_fixed(&w, 41, 1232, 0);
    expect_malformed(&w);
}

/* Header with one question "example.com. A" and only an OPT record, for EDNS cases. */
static void build_opt_only(wbuf *w, unsigned rcode, uint32_t ttl, const void *opts, size_t n)
{
    memset(w, 0, sizeof *w);
    wheader(w, 7, 0x8000 | rcode, 1, 0, 0, 1);
    wlabels(w, "example.com", 1);
    w16(w, 1);
    w16(w, 1);
    w8(w, 0);
    size_t rd = wrr_fixed(w, 41, 4096, ttl);
    wbytes(w, opts, n);
    wrdend(w, rd);
}

static void test_edns_facts(void **state)
{
    (void)state;
    wbuf w;
    vx__msg *m = NULL;
    /* binary NSID is given in hex; other options are skipped; extended rcode BADVERS */
    const uint8_t opts[] = {0, 10, 0, 2, 0xaa, 0xbb, 0, 3, 0, 3, 0x01, 'A', 0xff};
    build_opt_only(&w, 0, 0x01010000u, opts, sizeof opts);
    assert_int_equal(parse(&w, &m), VX_OK);
    assert_true(m->has_opt);
    assert_int_equal(m->edns_udp_size, 4096);
    assert_int_equal(m->edns_version, 1);
    assert_false(m->edns_do);
    assert_string_equal(m->nsid, "0141ff");
    assert_int_equal(vx__msg_rcode(m), 16);
    assert_string_equal(vx__rcode_to_text(vx__msg_rcode(m)), "BADVERS");
    vx__msg_free(m);
    /* empty NSID option: present but empty; header rcode kept in the low bits */
    const uint8_t empty[] = {0, 3, 0, 0};
    build_opt_only(&w, 3, 0x02008000u, empty, sizeof empty);
    assert_int_equal(parse(&w, &m), VX_OK);
    assert_non_null(m->nsid);
    assert_string_equal(m->nsid, "");
    assert_true(m->edns_do);
    assert_int_equal(vx__msg_rcode(m), 0x23);
    vx__msg_free(m);
    /* no OPT at all */
    memset(&w, 0, sizeof w);
    wheader(&w, 7, 0x8003, 1, 0, 0, 0);
    wlabels(&w, "example.com", 1);
    w16(&w, 1);
    w16(&w, 1);
    assert_int_equal(parse(&w, &m), VX_OK);
    assert_false(m->has_opt);
    assert_null(m->nsid);
    assert_int_equal(vx__msg_rcode(m), 3);
    assert_string_equal(vx__rcode_to_text(vx__msg_rcode(m)), "NXDOMAIN");
    vx__msg_free(m);
}

static void test_question_counts(void **state)
{
    (void)state;
    wbuf w;
    vx__msg *m = NULL;
    /* FORMERR answers often carry no question */
    memset(&w, 0, sizeof w);
    wheader(&w, 9, 0x8001, 0, 0, 0, 0);
    assert_int_equal(parse(&w, &m), VX_OK);
    assert_false(m->has_question);
    assert_string_equal(vx__rcode_to_text(vx__msg_rcode(m)), "FORMERR");
    vx__msg_free(m);
    /* two questions parse, but there is no single "the question" */
    memset(&w, 0, sizeof w);
    wheader(&w, 9, 0x8000, 2, 0, 0, 0);
    for (int i = 0; i < 2; i++) {
        wlabels(&w, "example.com", 1);
        w16(&w, 1);
        w16(&w, 1);
    }
    assert_int_equal(parse(&w, &m), VX_OK);
    assert_false(m->has_question);
    vx__msg_free(m);
}

static void test_tsig_must_be_last(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    build_response(&w, &l);
    /* turn the A glue record (first additional) into a TSIG-typed record */
    size_t a_type = l.opt - (2 + 10 + 16) - (2 + 10 + 4) + 2;
    assert_int_equal(w.b[a_type + 1], 1);
    w.b[a_type] = 0;
    w.b[a_type + 1] = 250;
    expect_malformed(&w);
}

/* Every single-byte change either parses or is refused; nothing crashes or leaks (ASan). */
static void test_mutations(void **state)
{
    (void)state;
    wbuf w, orig;
    layout l;
    build_response(&orig, &l);
    const uint8_t values[] = {0x00, 0x01, 0x3f, 0x40, 0x80, 0xc0, 0xc1, 0xff};
    for (size_t i = 0; i < orig.n; i++) {
        for (size_t v = 0; v < sizeof values; v++) {
            w = orig;
            w.b[i] = values[v];
            vx__msg *m = NULL;
            int rc = parse(&w, &m);
            assert_true(rc == VX_OK || rc == VX_EMALFORMED);
            if (rc == VX_OK) {
                char *s = vx__msg_to_text(m);
                assert_non_null(s);
                free(s);
            }
            vx__msg_free(m);
        }
    }
}

static void test_ldns_round_trip(void **state)
{
    (void)state;
    ldns_pkt *p = ldns_pkt_new();
    ldns_rr *rr = NULL;
    ldns_pkt_set_id(p, 4242);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_aa(p, true);
    assert_int_equal(ldns_rr_new_question_frm_str(&rr, "example.com. IN NAPTR", NULL, NULL),
                     LDNS_STATUS_OK);
    ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
    assert_int_equal(ldns_rr_new_frm_str(&rr,
                                         "Example.COM. 300 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" "
                                         "_sip._udp.example.com.",
                                         0, NULL, NULL),
                     LDNS_STATUS_OK);
    ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
    assert_int_equal(ldns_rr_new_frm_str(&rr,
                                         "example.com. 60 IN SOA ns1.example.com. "
                                         "host.example.com. 1 2 3 4 5",
                                         0, NULL, NULL),
                     LDNS_STATUS_OK);
    ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
    ldns_pkt_set_edns_udp_size(p, 1232);
    ldns_pkt_set_edns_do(p, true);
    uint8_t *wire = NULL;
    size_t len = 0;
    assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
    vx__msg *m = NULL;
    assert_int_equal(vx__msg_parse(wire, len, &m), VX_OK);
    assert_int_equal(m->header.id, 4242);
    assert_true(m->has_opt);
    assert_true(m->edns_do);
    assert_int_equal(m->edns_udp_size, 1232);
    /* what we parsed writes back to the very same bytes */
    uint8_t *again = NULL;
    size_t again_len = 0;
    assert_int_equal(ldns_pkt2wire(&again, m->pkt, &again_len), LDNS_STATUS_OK);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, wire, len);
    free(again);
    free(wire);
    ldns_pkt_free(p);
    vx__msg_free(m);
}

static void test_to_text(void **state)
{
    (void)state;
    wbuf w;
    layout l;
    vx__msg *m = NULL;
    build_response(&w, &l);
    assert_int_equal(parse(&w, &m), VX_OK);
    char *s = vx__msg_to_text(m);
    assert_non_null(s);
    assert_non_null(strstr(s, ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4660\n"));
    assert_non_null(strstr(s, ";; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 1, "
                              "ADDITIONAL: 3\n"));
    assert_non_null(strstr(s, "; EDNS: version: 0, flags: do; udp: 1232\n; NSID: ns1.lab\n"));
    assert_non_null(strstr(s, "\n;; QUESTION SECTION:\n;_sip._udp.example.com.\tIN\tSRV\n"));
    assert_non_null(strstr(s, "\n;; ANSWER SECTION:\n_sip._udp.example.com.\t300\tIN\tSRV\t10 "
                              "60 5060 sip1.example.com.\n"));
    assert_non_null(strstr(s, "\n;; AUTHORITY SECTION:\nexample.com.\t3600\tIN\tNS\t"
                              "ns1.example.com.\n"));
    assert_non_null(strstr(s, "\n;; ADDITIONAL SECTION:\nsip1.example.com.\t300\tIN\tA\t"
                              "192.0.2.10\nsip2.example.com.\t300\tIN\tAAAA\t2001:db8::10\n"));
    assert_null(strstr(s, "\tOPT\t"));
    assert_null(strstr(s, "\n\n\n"));
    size_t n = strlen(s);
    assert_true(n > 2 && s[n - 1] == '\n' && s[n - 2] != '\n');
    free(s);
    vx__msg_free(m);
    assert_null(vx__msg_to_text(NULL));
}

/* Record text is what a zone file would accept: no ldns comments, no trailing blanks. */
static void test_rr_text_clean(void **state)
{
    (void)state;
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr,
                                         "example.com. 300 IN DNSKEY 257 3 13 "
                                         "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                                         0, NULL, NULL),
                     LDNS_STATUS_OK);
    char *s = vx__rr_to_text(rr);
    assert_string_equal(
        s, "example.com.\t300\tIN\tDNSKEY\t257 3 13 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    free(s);
    ldns_rr_free(rr);
    assert_int_equal(
        ldns_rr_new_frm_str(&rr, "example.com. 300 IN NSEC a.example.com. A NSEC", 0, NULL, NULL),
        LDNS_STATUS_OK);
    s = vx__rr_to_text(rr);
    assert_string_equal(s, "example.com.\t300\tIN\tNSEC\ta.example.com. A NSEC");
    free(s);
    ldns_rr_free(rr);
}

static void test_rcode_names(void **state)
{
    (void)state;
    assert_string_equal(vx__rcode_to_text(0), "NOERROR");
    assert_string_equal(vx__rcode_to_text(2), "SERVFAIL");
    assert_string_equal(vx__rcode_to_text(5), "REFUSED");
    assert_string_equal(vx__rcode_to_text(9), "NOTAUTH");
    assert_string_equal(vx__rcode_to_text(12), "RCODE12");
    assert_string_equal(vx__rcode_to_text(23), "BADCOOKIE");
    assert_string_equal(vx__rcode_to_text(24), "RCODE24");
    assert_string_equal(vx__rcode_to_text(4095), "RCODE4095");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    vx__msg *m = NULL;
    assert_int_equal(vx__msg_parse(NULL, 0, &m), VX_EINVAL);
    uint8_t hdr[12] = {0};
    assert_int_equal(vx__msg_parse(hdr, sizeof hdr, NULL), VX_EINVAL);
    vx__msg_free(NULL);
    assert_null(vx__rr_to_text(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_response),       cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_wrong_counts),        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_compression_loops),   cmocka_unit_test(test_compression_in_rdata),
        cmocka_unit_test(test_long_names),          cmocka_unit_test(test_reserved_label_types),
        cmocka_unit_test(test_rdlength_beyond_end), cmocka_unit_test(test_opt_rules),
        cmocka_unit_test(test_edns_facts),          cmocka_unit_test(test_question_counts),
        cmocka_unit_test(test_tsig_must_be_last),   cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_ldns_round_trip),     cmocka_unit_test(test_to_text),
        cmocka_unit_test(test_rr_text_clean),       cmocka_unit_test(test_rcode_names),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
