/*
 * wire/xfr.c — owns reading whole zones: the AXFR and IXFR questions and their TSIG signature,
 * the response stream (each message checked against the question, its rcode and TSIG, its
 * records collected until the closing SOA, or for IXFR read as difference sequences), and zone
 * files in master format. ldns does the wire and text work; the checks here are the ones a
 * transfer from an untrusted server needs.
 *
 * IXFR (RFC 1995 §4): after the newest SOA, a second SOA with the serial held opens the first
 * difference sequence (SOA old, deletions, SOA new, additions; the SOA records themselves are
 * deleted and added too); anything else makes the answer an AXFR-style whole zone; the newest
 * SOA alone, with the serial held, says the copy is current. The sequences must chain from the
 * serial held to the newest one; the newest SOA once more ends the answer.
 *
 * TSIG: every message of a signed transfer must carry a TSIG that verifies against the MAC of
 * the message before it (the request's for the first). RFC 8945 lets a server leave up to 99
 * messages in a row unsigned; this reader refuses that (BIND, Knot and NSD sign every message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/xfr.h"
#include "wire/zdelta.h"

/* Where an IXFR answer is: before its first SOA, after it, inside a whole zone, in the
 * deletions or the additions of a difference sequence. */
typedef enum ixfr_phase { PH_START = 0, PH_FIRST, PH_FULL, PH_DEL, PH_ADD } ixfr_phase;

struct vx__xfr {
    ldns_rdf *zone;
    bool signed_;
    vx__tsig_key key;
    uint8_t *query;
    size_t query_len;
    uint16_t id;
    ldns_rdf *mac; /* the request's MAC, then each verified message's */
    unsigned messages;
    uint16_t rcode;
    ldns_rr_list *rrs;
    bool done;
    size_t seen; /* records received */
    /* IXFR */
    bool ixfr;
    uint32_t held;     /* the serial of the copy held */
    vx__zdelta *delta; /* that copy, brought forward by the differences */
    ixfr_phase phase;
    vx__xfr_form form;
    uint32_t newest;  /* the server's serial (the answer's first SOA) */
    uint32_t current; /* the serial the sequences have reached */
};

/* ---- keys ----------------------------------------------------------------------------------- */

static bool algorithm_known(const char *a)
{
    static const char *const known[] = {"hmac-md5",    "hmac-md5.sig-alg.reg.int",
                                        "hmac-sha1",   "hmac-sha224",
                                        "hmac-sha256", "hmac-sha384",
                                        "hmac-sha512", NULL};
    for (size_t i = 0; known[i]; i++)
        if (strcmp(a, known[i]) == 0)
            return true;
    return false;
}

static bool base64_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n % 4 != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || (c == '=' && i >= n - 2);
        if (!ok)
            return false;
    }
    return true;
}

int vx__tsig_key_parse(const char *text, vx__tsig_key *out)
{
    memset(out, 0, sizeof *out);
    const char *c1 = text ? strchr(text, ':') : NULL;
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    const char *name = c2 ? c1 + 1 : text, *secret = c2 ? c2 + 1 : (c1 ? c1 + 1 : NULL);
    size_t alg_len = c2 ? (size_t)(c1 - text) : 0;
    size_t name_len = c2 ? (size_t)(c2 - name) : (c1 ? (size_t)(c1 - text) : 0);
    char buf[VX__NAME_TEXT_MAX];
    if (!secret || alg_len >= sizeof out->algorithm || name_len == 0 || name_len >= sizeof buf ||
        strlen(secret) >= sizeof out->secret || !base64_ok(secret))
        return VX_EINVAL;
    if (alg_len)
        snprintf(out->algorithm, sizeof out->algorithm, "%.*s", (int)alg_len, text);
    else
        snprintf(out->algorithm, sizeof out->algorithm, "hmac-sha256");
    if (!algorithm_known(out->algorithm))
        return VX_EINVAL;
    snprintf(buf, sizeof buf, "%.*s", (int)name_len, name);
    if (vx__name_normalize(buf, out->name, sizeof out->name) != VX_OK)
        return VX_EINVAL;
    snprintf(out->secret, sizeof out->secret, "%s", secret);
    return VX_OK;
}

/* ---- the transfer --------------------------------------------------------------------------- */

int vx__xfr_new(const char *zone, const vx__tsig_key *key, vx__xfr **out)
{
    *out = NULL;
    vx__xfr *x = calloc(1, sizeof *x);
    if (!x)
        return VX_ENOMEM;
    x->zone = ldns_dname_new_frm_str(zone);
    x->rrs = ldns_rr_list_new();
    if (key) {
        x->signed_ = true;
        x->key = *key;
    }
    if (!x->zone || !x->rrs) {
        int rc = x->zone ? VX_ENOMEM : VX_EINVAL;
        vx__xfr_free(x);
        return rc;
    }
    ldns_dname2canonical(x->zone);
    *out = x;
    return VX_OK;
}

int vx__xfr_new_ixfr(const char *zone, const vx__tsig_key *key, uint32_t serial,
                     const vx__rrset *const *held, size_t count, vx__xfr **out)
{
    int rc = vx__xfr_new(zone, key, out);
    if (rc != VX_OK)
        return rc;
    (*out)->ixfr = true;
    (*out)->held = serial;
    rc = vx__zdelta_new(held, count, VX__XFR_MAX_RECORDS, &(*out)->delta);
    if (rc != VX_OK) {
        vx__xfr_free(*out);
        *out = NULL;
    }
    return rc;
}

void vx__xfr_free(vx__xfr *x)
{
    if (!x)
        return;
    vx__zdelta_free(x->delta);
    ldns_rdf_deep_free(x->zone);
    ldns_rdf_deep_free(x->mac);
    ldns_rr_list_deep_free(x->rrs);
    free(x->query);
    free(x);
}

/* ldns names the algorithm with a trailing dot. */
static ldns_status sign(vx__xfr *x, ldns_pkt *q)
{
    char alg[40];
    snprintf(alg, sizeof alg, "%s.", x->key.algorithm);
    ldns_status st = ldns_pkt_tsig_sign(q, x->key.name, x->key.secret, 300, alg, NULL);
    const ldns_rr *tsig = st == LDNS_STATUS_OK ? ldns_pkt_tsig(q) : NULL;
    ldns_rdf_deep_free(x->mac);
    x->mac = tsig && ldns_rr_rd_count(tsig) > 3 ? ldns_rdf_clone(ldns_rr_rdf(tsig, 3)) : NULL;
    return st == LDNS_STATUS_OK && !x->mac ? LDNS_STATUS_MEM_ERR : st;
}

/* RFC 1995 §3: the authority section carries the SOA held; servers read its serial only. */
static bool add_held_soa(const vx__xfr *x, ldns_pkt *q)
{
    ldns_rr *soa = ldns_rr_new_frm_type(LDNS_RR_TYPE_SOA);
    ldns_rdf *owner = ldns_rdf_clone(x->zone);
    ldns_rdf *f[7] = {ldns_dname_new_frm_str("."),
                      ldns_dname_new_frm_str("."),
                      ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, x->held),
                      ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 0),
                      ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 0),
                      ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 0),
                      ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 0)};
    bool ok = soa && owner;
    for (size_t i = 0; i < 7; i++) {
        ok = ok && f[i];
        if (soa && f[i])
            ldns_rdf_deep_free(ldns_rr_set_rdf(soa, f[i], i));
        else
            ldns_rdf_deep_free(f[i]);
    }
    if (soa && owner)
        ldns_rr_set_owner(soa, owner);
    else
        ldns_rdf_deep_free(owner);
    if (ok && ldns_pkt_push_rr(q, LDNS_SECTION_AUTHORITY, soa))
        return true;
    ldns_rr_free(soa);
    return false;
}

int vx__xfr_query(vx__xfr *x, uint16_t id, const uint8_t **wire, size_t *len)
{
    ldns_rdf *qname = ldns_rdf_clone(x->zone);
    ldns_rr_type type = x->ixfr ? LDNS_RR_TYPE_IXFR : LDNS_RR_TYPE_AXFR;
    ldns_pkt *q = qname ? ldns_pkt_query_new(qname, type, LDNS_RR_CLASS_IN, 0) : NULL;
    if (!q || (x->ixfr && !add_held_soa(x, q))) {
        if (!q)
            ldns_rdf_deep_free(qname);
        ldns_pkt_free(q);
        return VX_ENOMEM;
    }
    ldns_pkt_set_id(q, id);
    int rc = x->signed_ && sign(x, q) != LDNS_STATUS_OK ? VX_EINVAL : VX_OK;
    uint8_t *buf = NULL;
    size_t n = 0;
    if (rc == VX_OK && ldns_pkt2wire(&buf, q, &n) != LDNS_STATUS_OK)
        rc = VX_ENOMEM;
    ldns_pkt_free(q);
    if (rc != VX_OK)
        return rc;
    free(x->query);
    x->query = buf;
    x->query_len = n;
    x->id = id;
    *wire = buf;
    *len = n;
    return VX_OK;
}

static bool question_ok(const vx__xfr *x, const ldns_pkt *p)
{
    /* The question may be absent from every message but the first (RFC 5936 §2.2). */
    if (ldns_pkt_qdcount(p) == 0)
        return x->messages > 0;
    const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
    ldns_rr_type type = x->ixfr ? LDNS_RR_TYPE_IXFR : LDNS_RR_TYPE_AXFR;
    return ldns_pkt_qdcount(p) == 1 && q && ldns_rr_get_type(q) == type &&
           ldns_dname_compare(ldns_rr_owner(q), x->zone) == 0;
}

static bool tsig_ok(vx__xfr *x, ldns_pkt *p, const uint8_t *msg, size_t len)
{
    if (!x->signed_)
        return true;
    const ldns_rr *tsig = ldns_pkt_tsig(p);
    if (!tsig || ldns_rr_rd_count(tsig) < 4 || !x->mac ||
        !ldns_pkt_tsig_verify_next(p, msg, len, x->key.name, x->key.secret, x->mac,
                                   x->messages > 0))
        return false;
    ldns_rdf *mac = ldns_rdf_clone(ldns_rr_rdf(tsig, 3));
    ldns_rdf_deep_free(x->mac);
    x->mac = mac;
    return mac != NULL;
}

static bool is_zone_soa(const vx__xfr *x, const ldns_rr *rr)
{
    return ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
           ldns_dname_compare(ldns_rr_owner(rr), x->zone) == 0;
}

static bool soa_serial(const ldns_rr *soa, uint32_t *serial)
{
    const ldns_rdf *s = ldns_rr_rd_count(soa) > 2 ? ldns_rr_rdf(soa, 2) : NULL;
    if (!s || ldns_rdf_get_type(s) != LDNS_RDF_TYPE_INT32)
        return false;
    *serial = ldns_rdf2native_int32(s);
    return true;
}

static int keep(vx__xfr *x, const ldns_rr *rr)
{
    ldns_rr *copy = ldns_rr_clone(rr);
    if (!copy || !ldns_rr_list_push_rr(x->rrs, copy)) {
        ldns_rr_free(copy);
        return VX_ENOMEM;
    }
    return VX_OK;
}

/* A record of a whole zone (AXFR, or IXFR AXFR-style): complete at the second zone SOA. */
static int full_record(vx__xfr *x, const ldns_rr *rr)
{
    size_t have = ldns_rr_list_rr_count(x->rrs);
    uint32_t serial;
    if (have >= VX__XFR_MAX_RECORDS ||
        (have == 0 && (!is_zone_soa(x, rr) || !soa_serial(rr, &serial))))
        return VX_EMALFORMED;
    int rc = keep(x, rr);
    x->done = rc == VX_OK && have > 0 && is_zone_soa(x, rr);
    return rc;
}

/* The answer's first SOA: the server's serial; the serial held alone means up to date. */
static int ixfr_start(vx__xfr *x, const ldns_rr *rr, bool soa, uint32_t serial)
{
    if (!soa)
        return VX_EMALFORMED;
    x->newest = serial;
    x->phase = PH_FIRST;
    if (serial == x->held) {
        x->form = VX__XFR_UP_TO_DATE;
        x->done = true;
    }
    return keep(x, rr);
}

/* After the first SOA: the serial held opens the differences, anything else a whole zone. */
static int ixfr_first(vx__xfr *x, const ldns_rr *rr, bool soa, uint32_t serial)
{
    if (!soa || serial == x->newest) {
        x->form = VX__XFR_FULL;
        x->phase = PH_FULL;
        return full_record(x, rr);
    }
    if (serial != x->held)
        return VX_EMALFORMED;
    x->form = VX__XFR_INCREMENTAL;
    x->phase = PH_DEL;
    x->current = serial;
    return vx__zdelta_delete(x->delta, rr);
}

/* In the additions an SOA ends the answer (the newest serial reached) or opens the next
 * sequence, which must start where this one ended. */
static int ixfr_added_soa(vx__xfr *x, const ldns_rr *rr, uint32_t serial)
{
    if (serial != x->current)
        return VX_EMALFORMED;
    if (serial == x->newest) {
        x->done = true;
        return VX_OK;
    }
    x->phase = PH_DEL;
    return vx__zdelta_delete(x->delta, rr);
}

static int ixfr_record(vx__xfr *x, const ldns_rr *rr)
{
    uint32_t serial = 0;
    bool soa = is_zone_soa(x, rr);
    if (soa && !soa_serial(rr, &serial))
        return VX_EMALFORMED;
    switch (x->phase) {
    case PH_START:
        return ixfr_start(x, rr, soa, serial);
    case PH_FIRST:
        return ixfr_first(x, rr, soa, serial);
    case PH_FULL:
        return full_record(x, rr);
    case PH_DEL:
        if (!soa)
            return vx__zdelta_delete(x->delta, rr);
        x->phase = PH_ADD;
        x->current = serial;
        return vx__zdelta_add(x->delta, rr);
    case PH_ADD:
        return soa ? ixfr_added_soa(x, rr, serial) : vx__zdelta_add(x->delta, rr);
    }
    return VX_EMALFORMED;
}

/* Collects the answer records; the transfer is complete at its closing SOA. */
static int take_records(vx__xfr *x, const ldns_pkt *p)
{
    const ldns_rr_list *an = ldns_pkt_answer(p);
    for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        /* deletions and additions may outnumber the zone; bound them all the same */
        if (x->done || ++x->seen > 2 * (size_t)VX__XFR_MAX_RECORDS)
            return VX_EMALFORMED;
        int rc = x->ixfr ? ixfr_record(x, rr) : full_record(x, rr);
        if (rc == VX_ELIMIT)
            rc = VX_EMALFORMED;
        if (rc != VX_OK)
            return rc;
    }
    return x->done ? VX__XFR_DONE : VX_OK;
}

int vx__xfr_feed(vx__xfr *x, const uint8_t *msg, size_t len)
{
    ldns_pkt *p = NULL;
    if (x->done || !x->query || ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK)
        return VX_EMALFORMED;
    int rc = VX_OK;
    /* An error often comes without the question (NSD's NOTAUTH for an unknown key). */
    if (!ldns_pkt_qr(p) || ldns_pkt_id(p) != x->id)
        rc = VX_EMALFORMED;
    else if ((x->rcode = (uint16_t)ldns_pkt_get_rcode(p)) != LDNS_RCODE_NOERROR)
        rc = VX_EREFUSED;
    else if (!question_ok(x, p) || !tsig_ok(x, p, msg, len))
        rc = VX_EMALFORMED;
    else
        rc = take_records(x, p);
    x->messages++;
    ldns_pkt_free(p);
    return rc;
}

uint16_t vx__xfr_rcode(const vx__xfr *x)
{
    return x->rcode;
}

const char *vx__rcode_name(uint16_t rcode)
{
    const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, rcode);
    return t && t->name ? t->name : "unknown rcode";
}

int vx__xfr_take(vx__xfr *x, vx__rrset ***sets, size_t *count, uint32_t *serial)
{
    *sets = NULL;
    *count = 0;
    if (!x->done || !soa_serial(ldns_rr_list_rr(x->rrs, 0), serial))
        return VX_EINVAL;
    if (x->form == VX__XFR_FULL)
        return vx__rrsets_from_list(x->rrs, sets, count);
    /* the first SOA is the newest one: the serial the differences led to, or the one held */
    return vx__zdelta_take(x->delta, sets, count);
}

vx__xfr_form vx__xfr_form_of(const vx__xfr *x)
{
    return x->form;
}

/* ---- zone files ----------------------------------------------------------------------------- */

/* Reads every record; $ORIGIN and $TTL are handled by ldns, $INCLUDE refused by the caller.
 * (ldns_zone_new_frm_fp leaks the record it was reading when a later one fails.) */
static ldns_status read_records(FILE *f, ldns_rdf **origin, ldns_rr_list *all, int *line)
{
    uint32_t ttl = 3600;
    ldns_rdf *prev = NULL;
    ldns_status st = LDNS_STATUS_OK;
    while (st == LDNS_STATUS_OK && !feof(f)) {
        ldns_rr *rr = NULL;
        st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, origin, &prev, line);
        if (st == LDNS_STATUS_OK && ldns_rr_list_rr_count(all) >= VX__XFR_MAX_RECORDS)
            st = LDNS_STATUS_ERR;
        if (st == LDNS_STATUS_OK && !ldns_rr_list_push_rr(all, rr))
            st = LDNS_STATUS_MEM_ERR;
        if (st != LDNS_STATUS_OK)
            ldns_rr_free(rr);
        if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
            st == LDNS_STATUS_SYNTAX_ORIGIN)
            st = LDNS_STATUS_OK;
    }
    ldns_rdf_deep_free(prev);
    return st;
}

static bool has_soa(const ldns_rr_list *all)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++)
        if (ldns_rr_get_type(ldns_rr_list_rr(all, i)) == LDNS_RR_TYPE_SOA)
            return true;
    return false;
}

int vx__zone_text_parse(const char *text, size_t len, const char *origin, vx__rrset ***sets,
                        size_t *count, char *err, size_t errcap)
{
    *sets = NULL;
    *count = 0;
    if (err && errcap)
        err[0] = '\0';
    if (len && memmem(text, len, "$INCLUDE", 8)) {
        if (err && errcap)
            snprintf(err, errcap, "$INCLUDE is not supported: give one file");
        return VX_EMALFORMED;
    }
    ldns_rdf *o = ldns_dname_new_frm_str(origin);
    ldns_rr_list *all = ldns_rr_list_new();
    FILE *f = len ? fmemopen((void *)text, len, "r") : NULL;
    int line = 0; /* ldns counts a line once it has read it */
    ldns_status st = o && all && f ? read_records(f, &o, all, &line) : LDNS_STATUS_MEM_ERR;
    int rc = VX_EMALFORMED;
    if (st == LDNS_STATUS_OK && has_soa(all))
        rc = vx__rrsets_from_list(all, sets, count);
    else if (err && errcap)
        snprintf(err, errcap, "line %d: %s", line,
                 st == LDNS_STATUS_OK ? "no SOA record" : ldns_get_errorstr_by_id(st));
    if (rc != VX_OK && err && errcap && !err[0])
        snprintf(err, errcap, "records that cannot be read back");
    ldns_rr_list_deep_free(all);
    if (f)
        fclose(f);
    ldns_rdf_deep_free(o);
    return rc == VX_ENOMEM ? rc : (rc == VX_OK ? VX_OK : VX_EMALFORMED);
}
