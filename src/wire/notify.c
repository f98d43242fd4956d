/*
 * wire/notify.c — owns reading a NOTIFY (RFC 1996), its TSIG check (RFC 8945) and the answer.
 * ldns reads and writes the messages and computes MACs; the checks here are the ones a listener
 * open to the network needs: a response is never answered, the header is looked at before ldns
 * reads anything, the key is chosen by the name the TSIG carries and must use the algorithm
 * configured for it (the MAC alone would let a sender pick a weaker one), and the time must be
 * within the fudge (ldns does not check it).
 */
#include <stdio.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/notify.h"

#define OPCODE_NOTIFY 4u
#define HEADER_LEN 12u
#define TSIG_BADSIG 16u /* RFC 8945 §4.3 TSIG error codes */
#define TSIG_BADKEY 17u
#define TSIG_BADTIME 18u

static const char *const verdict_names[] = {"accepted",
                                            "ignored",
                                            "refused: not a NOTIFY",
                                            "refused: malformed",
                                            "refused: source not allowed",
                                            "refused: unsigned",
                                            "refused: bad TSIG",
                                            "refused: zone not monitored"};

const char *vx__notify_verdict_name(vx__notify_verdict v)
{
    return (unsigned)v < sizeof verdict_names / sizeof verdict_names[0] ? verdict_names[v]
                                                                        : "unknown";
}

/* A header-only answer (NOTIMP, FORMERR): nothing of the request is worth echoing. */
static void header_answer(const uint8_t *msg, uint8_t opcode, uint8_t rcode, vx__notify *out)
{
    memset(out->answer, 0, HEADER_LEN);
    out->answer[0] = msg[0];
    out->answer[1] = msg[1];
    out->answer[2] = (uint8_t)(0x80u | (opcode & 0x0fu) << 3);
    out->answer[3] = rcode & 0x0fu;
    out->answer_len = HEADER_LEN;
}

static vx__notify_verdict refuse(vx__notify *out, vx__notify_verdict v, const char *reason)
{
    out->verdict = v;
    out->reason = reason;
    return v;
}

static bool question_ok(const ldns_pkt *p, vx__notify *out)
{
    const ldns_rr *q = ldns_pkt_qdcount(p) == 1 ? ldns_rr_list_rr(ldns_pkt_question(p), 0) : NULL;
    if (!q || ldns_rr_get_type(q) != LDNS_RR_TYPE_SOA || ldns_rr_get_class(q) != LDNS_RR_CLASS_IN ||
        !ldns_rr_owner(q))
        return false;
    char *text = ldns_rdf2str(ldns_rr_owner(q));
    int rc = text ? vx__name_normalize(text, out->zone, sizeof out->zone) : VX_ENOMEM;
    LDNS_FREE(text);
    return rc == VX_OK;
}

/* The new serial, when the NOTIFY carries the zone's SOA in its answer section. */
static void read_serial(const ldns_pkt *p, vx__notify *out)
{
    const ldns_rr_list *an = ldns_pkt_answer(p);
    const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
    for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        const ldns_rdf *s = ldns_rr_rd_count(rr) > 2 ? ldns_rr_rdf(rr, 2) : NULL;
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && s &&
            ldns_rdf_get_type(s) == LDNS_RDF_TYPE_INT32 &&
            ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(q)) == 0) {
            out->serial = ldns_rdf2native_int32(s);
            out->has_serial = true;
            return;
        }
    }
}

static const vx__tsig_key *key_named(const vx__notify_policy *pol, const ldns_rdf *owner)
{
    for (size_t i = 0; owner && i < pol->key_count; i++) {
        ldns_rdf *n = ldns_dname_new_frm_str(pol->keys[i].name);
        bool same = n && ldns_dname_compare(n, owner) == 0;
        ldns_rdf_deep_free(n);
        if (same)
            return &pol->keys[i];
    }
    return NULL;
}

static bool algorithm_is(const ldns_rdf *alg, const vx__tsig_key *key)
{
    char want[48];
    snprintf(want, sizeof want, "%s.", key->algorithm);
    ldns_rdf *w = ldns_dname_new_frm_str(want);
    bool same = w && alg && ldns_rdf_get_type(alg) == LDNS_RDF_TYPE_DNAME &&
                ldns_dname_compare(w, alg) == 0;
    ldns_rdf_deep_free(w);
    return same;
}

static bool time_ok(const ldns_rdf *signed_at, uint64_t now_s)
{
    if (!signed_at || ldns_rdf_size(signed_at) != 6)
        return false;
    const uint8_t *b = ldns_rdf_data(signed_at);
    uint64_t t = 0;
    for (int i = 0; i < 6; i++)
        t = t << 8 | b[i];
    return t <= now_s + VX__NOTIFY_FUDGE_S && now_s <= t + VX__NOTIFY_FUDGE_S;
}

/* The key that signed the request, or NULL with the refusal recorded. */
static const vx__tsig_key *verify_tsig(ldns_pkt *p, const uint8_t *msg, size_t len,
                                       const vx__notify_policy *pol, vx__notify *out)
{
    const ldns_rr *tsig = ldns_pkt_tsig(p);
    const vx__tsig_key *key = key_named(pol, ldns_rr_owner(tsig));
    out->tsig_error = TSIG_BADKEY;
    if (ldns_rr_rd_count(tsig) < 7)
        refuse(out, VX__NOTIFY_BAD_TSIG, "TSIG record incomplete");
    else if (!key)
        refuse(out, VX__NOTIFY_BAD_TSIG, "unknown TSIG key");
    else if (!algorithm_is(ldns_rr_rdf(tsig, 0), key))
        refuse(out, VX__NOTIFY_BAD_TSIG, "TSIG algorithm is not the key's");
    else if (!time_ok(ldns_rr_rdf(tsig, 1), pol->now_s) && (out->tsig_error = TSIG_BADTIME))
        refuse(out, VX__NOTIFY_BAD_TSIG, "TSIG time outside the fudge");
    else if (!ldns_pkt_tsig_verify(p, msg, len, key->name, key->secret, NULL) &&
             (out->tsig_error = TSIG_BADSIG))
        refuse(out, VX__NOTIFY_BAD_TSIG, "TSIG MAC does not verify");
    else {
        out->tsig_error = 0;
        return key;
    }
    return NULL;
}

/* source, signature, zone: the first that fails decides the verdict. */
static const vx__tsig_key *judge(ldns_pkt *p, const uint8_t *msg, size_t len,
                                 const vx__notify_policy *pol, vx__notify *out)
{
    const vx__tsig_key *key = NULL;
    if (!pol->source_allowed) {
        refuse(out, VX__NOTIFY_REFUSED_FROM, "source address not in notify_allow");
        return NULL;
    }
    if (ldns_pkt_tsig(p)) {
        if (!(key = verify_tsig(p, msg, len, pol, out)))
            return NULL;
        snprintf(out->key, sizeof out->key, "%s", key->name);
    } else if (pol->key_count) {
        refuse(out, VX__NOTIFY_UNSIGNED, "no TSIG, and notify_keys requires one");
        return NULL;
    }
    if (!pol->zone_known || !pol->zone_known(pol->zone_arg, out->zone)) {
        refuse(out, VX__NOTIFY_UNKNOWN_ZONE, "zone not monitored");
        return NULL;
    }
    out->verdict = VX__NOTIFY_ACCEPTED;
    out->reason = "accepted";
    return key;
}

static ldns_pkt_rcode rcode_of(vx__notify_verdict v)
{
    switch (v) {
    case VX__NOTIFY_ACCEPTED:
        return LDNS_RCODE_NOERROR;
    case VX__NOTIFY_REFUSED_FROM:
    case VX__NOTIFY_UNSIGNED:
        return LDNS_RCODE_REFUSED;
    default:
        return LDNS_RCODE_NOTAUTH;
    }
}

/* The request's MAC, needed to sign the answer (RFC 8945 §5.3). */
static ldns_rdf *request_mac(const ldns_pkt *req)
{
    const ldns_rr *tsig = ldns_pkt_tsig(req);
    return tsig && ldns_rr_rd_count(tsig) > 3 ? ldns_rdf_clone(ldns_rr_rdf(tsig, 3)) : NULL;
}

/* RFC 8945 §5.3.2: the TSIG error of a refused signed request, in a TSIG record with an empty
 * MAC; BADTIME also gives our time (Other Data, 48 bits). NULL when out of memory. */
static ldns_rr *tsig_error_rr(const ldns_rr *req_tsig, uint16_t error, uint64_t now_s)
{
    uint8_t empty[2] = {0, 0}, other[8] = {0, 6};
    for (int i = 0; i < 6; i++)
        other[2 + i] = (uint8_t)(now_s >> (40 - 8 * i));
    ldns_rr *rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_TSIG);
    ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(req_tsig));
    ldns_rdf *rd[7] = {ldns_rdf_clone(ldns_rr_rdf(req_tsig, 0)),
                       ldns_rdf_clone(ldns_rr_rdf(req_tsig, 1)),
                       ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, VX__NOTIFY_FUDGE_S),
                       ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, sizeof empty, empty),
                       ldns_rdf_clone(ldns_rr_rdf(req_tsig, 4)),
                       ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, error),
                       error == TSIG_BADTIME
                           ? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, sizeof other, other)
                           : ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, sizeof empty, empty)};
    bool ok = rr && owner;
    for (size_t i = 0; i < 7; i++)
        ok = ok && rd[i];
    if (ok) {
        /* ldns_rr_new_frm_type made empty fields: replace them */
        ldns_rr_set_owner(rr, owner);
        ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
        ldns_rr_set_ttl(rr, 0);
        for (size_t i = 0; i < 7; i++)
            ldns_rdf_deep_free(ldns_rr_set_rdf(rr, rd[i], i));
        return rr;
    }
    for (size_t i = 0; i < 7; i++)
        ldns_rdf_deep_free(rd[i]);
    ldns_rdf_deep_free(owner);
    ldns_rr_free(rr);
    return NULL;
}

static int write_answer(const ldns_pkt *req, const vx__tsig_key *key, vx__notify *out,
                        uint64_t now_s)
{
    ldns_pkt *a = ldns_pkt_new();
    ldns_rr *q = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(req), 0));
    ldns_rdf *mac = key ? request_mac(req) : NULL;
    int rc = a && q && (!key || mac) ? VX_OK : VX_ENOMEM;
    uint8_t *wire = NULL;
    size_t n = 0;
    if (rc == VX_OK) {
        ldns_pkt_set_id(a, ldns_pkt_id(req));
        ldns_pkt_set_qr(a, true);
        ldns_pkt_set_aa(a, out->verdict == VX__NOTIFY_ACCEPTED);
        ldns_pkt_set_opcode(a, LDNS_PACKET_NOTIFY);
        ldns_pkt_set_rcode(a, (uint8_t)rcode_of(out->verdict));
        ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, q);
        q = NULL;
    }
    char alg[48];
    snprintf(alg, sizeof alg, "%s.", key ? key->algorithm : "");
    if (rc == VX_OK && key &&
        ldns_pkt_tsig_sign(a, key->name, key->secret, VX__NOTIFY_FUDGE_S, alg, mac) !=
            LDNS_STATUS_OK)
        rc = VX_ENOMEM;
    if (rc == VX_OK && !key && out->tsig_error && ldns_rr_rd_count(ldns_pkt_tsig(req)) >= 7) {
        ldns_rr *t = tsig_error_rr(ldns_pkt_tsig(req), out->tsig_error, now_s);
        rc = t ? VX_OK : VX_ENOMEM;
        ldns_pkt_set_tsig(a, t);
    }
    if (rc == VX_OK && (ldns_pkt2wire(&wire, a, &n) != LDNS_STATUS_OK || n > sizeof out->answer))
        rc = VX_ENOMEM;
    if (rc == VX_OK) {
        memcpy(out->answer, wire, n);
        out->answer_len = n;
    }
    LDNS_FREE(wire);
    ldns_rr_free(q);
    ldns_rdf_deep_free(mac);
    ldns_pkt_free(a);
    return rc;
}

int vx__notify_handle(const uint8_t *msg, size_t len, const vx__notify_policy *policy,
                      vx__notify *out)
{
    memset(out, 0, sizeof *out);
    out->verdict = VX__NOTIFY_IGNORED;
    out->reason = "not a DNS request";
    if (len < HEADER_LEN || (msg[2] & 0x80u))
        return VX_OK;
    uint8_t opcode = (uint8_t)(msg[2] >> 3 & 0x0fu);
    if (opcode != OPCODE_NOTIFY) {
        refuse(out, VX__NOTIFY_NOT_NOTIFY, "opcode is not NOTIFY");
        header_answer(msg, opcode, LDNS_RCODE_NOTIMPL, out);
        return VX_OK;
    }
    ldns_pkt *p = NULL;
    if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK || !question_ok(p, out)) {
        refuse(out, VX__NOTIFY_MALFORMED, "not one SOA question in class IN");
        header_answer(msg, opcode, LDNS_RCODE_FORMERR, out);
        ldns_pkt_free(p);
        return VX_OK;
    }
    const vx__tsig_key *key = judge(p, msg, len, policy, out);
    if (out->verdict == VX__NOTIFY_ACCEPTED)
        read_serial(p, out);
    int rc = write_answer(p, key, out, policy->now_s);
    ldns_pkt_free(p);
    return rc;
}

int vx__soa_answer_serial(const uint8_t *wire, size_t len, const char *zone, uint32_t *serial)
{
    ldns_pkt *p = NULL;
    if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK)
        return VX_EMALFORMED;
    ldns_rdf *z = ldns_dname_new_frm_str(zone);
    int rc = VX_ENOTFOUND;
    const ldns_rr_list *an = ldns_pkt_answer(p);
    bool usable = z && ldns_pkt_aa(p) && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR;
    for (size_t i = 0; usable && an && i < ldns_rr_list_rr_count(an) && rc != VX_OK; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        const ldns_rdf *s = ldns_rr_rd_count(rr) > 2 ? ldns_rr_rdf(rr, 2) : NULL;
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && s &&
            ldns_rdf_get_type(s) == LDNS_RDF_TYPE_INT32 &&
            ldns_dname_compare(ldns_rr_owner(rr), z) == 0) {
            *serial = ldns_rdf2native_int32(s);
            rc = VX_OK;
        }
    }
    ldns_rdf_deep_free(z);
    ldns_pkt_free(p);
    return rc;
}
