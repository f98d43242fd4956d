/*
 * resolver/static_cache.c — the static fallback cache (see static_cache.h): the record store,
 * lookups, file loading and the record builders shared by the three parsers.
 */
#include "resolver/static_cache.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "voxdns/status.h"
#include "wire/name.h"

struct vx__static_cache {
    ldns_rr_list *records;
};

int vx__static_new(vx__static_cache **out)
{
    vx__static_cache *sc = calloc(1, sizeof(*sc));
    if (!sc)
        return VX_ENOMEM;
    sc->records = ldns_rr_list_new();
    if (!sc->records) {
        free(sc);
        return VX_ENOMEM;
    }
    *out = sc;
    return VX_OK;
}

void vx__static_free(vx__static_cache *sc)
{
    if (!sc)
        return;
    ldns_rr_list_deep_free(sc->records);
    free(sc);
}

size_t vx__static_count(const vx__static_cache *sc)
{
    return ldns_rr_list_rr_count(sc->records);
}

const ldns_rr *vx__static_record(const vx__static_cache *sc, size_t i)
{
    return ldns_rr_list_rr(sc->records, i);
}

void vx__static_error(char *err, size_t errcap, unsigned line, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (!err || errcap == 0)
        return;
    n = snprintf(err, errcap, "line %u: ", line);
    if (n < 0 || (size_t)n >= errcap)
        return;
    va_start(ap, fmt);
    vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
    va_end(ap);
}

static int run_parser(vx__static_format fmt, const char *text, size_t len, ldns_rr_list *list,
                      char *err, size_t errcap)
{
    switch (fmt) {
    case VX__STATIC_VOXDNS:
        return vx__static_parse_voxdns(text, len, list, err, errcap);
    case VX__STATIC_POLYCOM:
        return vx__static_parse_polycom(text, len, list, err, errcap);
    case VX__STATIC_YEALINK:
        return vx__static_parse_yealink(text, len, list, err, errcap);
    }
    return VX_EINVAL;
}

/* Parses into a scratch list first, so that a bad text leaves the cache as it was. */
int vx__static_parse(vx__static_cache *sc, vx__static_format fmt, const char *text, size_t len,
                     char *err, size_t errcap)
{
    if (err && errcap)
        err[0] = '\0';
    if (len > VX__STATIC_TEXT_MAX) {
        vx__static_error(err, errcap, 0, "text longer than %u octets", VX__STATIC_TEXT_MAX);
        return VX_ELIMIT;
    }
    ldns_rr_list *list = ldns_rr_list_new();
    if (!list)
        return VX_ENOMEM;
    int rc = run_parser(fmt, text, len, list, err, errcap);
    size_t total = vx__static_count(sc) + ldns_rr_list_rr_count(list);
    if (rc == VX_OK && total > VX__STATIC_MAX_RECORDS) {
        vx__static_error(err, errcap, 0, "more than %u static records", VX__STATIC_MAX_RECORDS);
        rc = VX_ELIMIT;
    }
    if (rc == VX_OK && !ldns_rr_list_push_rr_list(sc->records, list))
        rc = VX_ENOMEM;
    if (rc == VX_OK)
        ldns_rr_list_free(list); /* the records now belong to sc */
    else
        ldns_rr_list_deep_free(list);
    return rc;
}

int vx__static_load(vx__static_cache *sc, vx__static_format fmt, const char *path, char *err,
                    size_t errcap)
{
    char *text = NULL;
    size_t len = 0;
    int rc = vx__read_file(path, VX__STATIC_TEXT_MAX, &text, &len, err, errcap);
    if (rc != VX_OK)
        return rc;
    rc = vx__static_parse(sc, fmt, text, len, err, errcap);
    free(text);
    return rc;
}

int vx__static_lookup(const vx__static_cache *sc, const vx__question *q, ldns_rr_list **out)
{
    ldns_rdf *qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, q->name_len, q->name);
    ldns_rr_list *found = ldns_rr_list_new();
    int rc = (qname && found) ? VX_ENOTFOUND : VX_ENOMEM;
    for (size_t i = 0; rc != VX_ENOMEM && i < vx__static_count(sc); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(sc->records, i);
        if (ldns_rr_get_type(rr) != q->qtype || ldns_rr_get_class(rr) != q->qclass ||
            ldns_dname_compare(ldns_rr_owner(rr), qname) != 0)
            continue;
        ldns_rr *copy = ldns_rr_clone(rr);
        if (!copy || !ldns_rr_list_push_rr(found, copy)) {
            ldns_rr_free(copy);
            rc = VX_ENOMEM;
        } else {
            rc = VX_OK;
        }
    }
    ldns_rdf_deep_free(qname);
    if (rc != VX_OK)
        ldns_rr_list_deep_free(found);
    else
        *out = found;
    return rc;
}

/* ---- builders ----------------------------------------------------------------------------- */

static bool empty(const char *s)
{
    return !s || !*s;
}

/* Plain decimal, at most max; an empty field takes dflt (or is an error when dflt < 0). */
static bool parse_num(const char *s, uint32_t max, int64_t dflt, uint32_t *out)
{
    uint64_t v = 0;
    if (empty(s)) {
        *out = (uint32_t)dflt;
        return dflt >= 0;
    }
    for (size_t i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 10)
            return false;
        v = v * 10u + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

static ldns_rdf *dname_rdf(const char *text)
{
    char norm[VX__NAME_TEXT_MAX];
    if (empty(text) || vx__name_normalize(text, norm, sizeof(norm)) != VX_OK)
        return NULL;
    return ldns_dname_new_frm_str(norm);
}

/* A character-string (RFC 1035 §3.3): printable octets only, at most 255. */
static ldns_rdf *string_rdf(const char *text)
{
    uint8_t buf[256];
    size_t n = text ? strlen(text) : 0;
    if (n > 255)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            return NULL;
    }
    buf[0] = (uint8_t)n;
    if (n)
        memcpy(buf + 1, text, n);
    return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, buf);
}

/* A record with owner, type, class IN and TTL, no rdata yet. */
static int rr_start(const char *name, const char *ttl, ldns_rr_type type, ldns_rr **out,
                    const char **why)
{
    uint32_t t;
    if (!parse_num(ttl, VX__STATIC_TTL_MAX, VX__STATIC_DEFAULT_TTL, &t)) {
        *why = "bad TTL (decimal seconds, at most 2147483647)";
        return VX_EMALFORMED;
    }
    ldns_rdf *owner = dname_rdf(name);
    if (!owner) {
        *why = empty(name) ? "missing name" : "bad name";
        return VX_EMALFORMED;
    }
    ldns_rr *rr = ldns_rr_new();
    if (!rr) {
        ldns_rdf_deep_free(owner);
        return VX_ENOMEM;
    }
    ldns_rr_set_owner(rr, owner);
    ldns_rr_set_type(rr, type);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, t);
    *out = rr;
    return VX_OK;
}

/* Appends rdf (taking it) to rr; a NULL rdf is the field's validation failure. */
static int push(ldns_rr *rr, ldns_rdf *rdf, const char *what, const char **why)
{
    if (!rdf) {
        *why = what;
        return VX_EMALFORMED;
    }
    if (!ldns_rr_push_rdf(rr, rdf)) {
        ldns_rdf_deep_free(rdf);
        return VX_ENOMEM;
    }
    return VX_OK;
}

static ldns_rdf *u16_rdf(const char *text, int64_t dflt)
{
    uint32_t v;
    if (!parse_num(text, 65535u, dflt, &v))
        return NULL;
    return ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, (uint16_t)v);
}

static int finish(ldns_rr *rr, int rc, ldns_rr **out)
{
    if (rc != VX_OK)
        ldns_rr_free(rr);
    else
        *out = rr;
    return rc;
}

int vx__static_rr_a(const char *name, const char *ttl, const char *address, ldns_rr **out,
                    const char **why)
{
    uint8_t buf[16];
    bool v4 = !empty(address) && inet_pton(AF_INET, address, buf) == 1;
    bool v6 = !v4 && !empty(address) && inet_pton(AF_INET6, address, buf) == 1;
    ldns_rr *rr;
    int rc = rr_start(name, ttl, v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, &rr, why);
    if (rc != VX_OK)
        return rc;
    ldns_rdf *rdf = NULL;
    if (v4 || v6)
        rdf = ldns_rdf_new_frm_data(v4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, v4 ? 4 : 16, buf);
    rc = push(rr, rdf, empty(address) ? "missing address" : "bad IPv4 or IPv6 address", why);
    return finish(rr, rc, out);
}

int vx__static_rr_srv(const char *name, const char *ttl, const char *priority, const char *weight,
                      const char *port, const char *target, ldns_rr **out, const char **why)
{
    ldns_rr *rr;
    int rc = rr_start(name, ttl, LDNS_RR_TYPE_SRV, &rr, why);
    if (rc != VX_OK)
        return rc;
    rc = push(rr, u16_rdf(priority, 0), "bad priority (0-65535)", why);
    if (rc == VX_OK)
        rc = push(rr, u16_rdf(weight, 0), "bad weight (0-65535)", why);
    if (rc == VX_OK)
        rc = push(rr, u16_rdf(port, -1), empty(port) ? "missing port" : "bad port (0-65535)", why);
    if (rc == VX_OK)
        rc = push(rr, dname_rdf(target), empty(target) ? "missing target" : "bad target", why);
    return finish(rr, rc, out);
}

static bool flags_ok(const char *flags)
{
    for (size_t i = 0; flags && flags[i]; i++) {
        char c = flags[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

int vx__static_rr_naptr(const char *name, const char *ttl, const char *order, const char *pref,
                        const char *flags, const char *service, const char *regexp,
                        const char *replacement, ldns_rr **out, const char **why)
{
    ldns_rr *rr;
    int rc = rr_start(name, ttl, LDNS_RR_TYPE_NAPTR, &rr, why);
    if (rc != VX_OK)
        return rc;
    rc = push(rr, u16_rdf(order, 0), "bad order (0-65535)", why);
    if (rc == VX_OK)
        rc = push(rr, u16_rdf(pref, 0), "bad preference (0-65535)", why);
    if (rc == VX_OK)
        rc = push(rr, flags_ok(flags) ? string_rdf(flags) : NULL, "bad flags (letters, digits)",
                  why);
    if (rc == VX_OK)
        rc = push(rr, string_rdf(service), "bad service (printable, at most 255)", why);
    if (rc == VX_OK)
        rc = push(rr, string_rdf(regexp), "bad regexp (printable, at most 255)", why);
    if (rc == VX_OK)
        rc = push(rr, dname_rdf(replacement),
                  empty(replacement) ? "missing replacement" : "bad replacement", why);
    return finish(rr, rc, out);
}
