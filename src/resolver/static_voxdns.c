/*
 * resolver/static_voxdns.c — the parser of voxdns static-cache files (docs/static-cache.md):
 * one record per line, "NAME TTL [IN] TYPE RDATA", zone-file-like but deliberately smaller
 * (no $ORIGIN, $TTL, parentheses or relative names: every name is taken as absolute), with '#'
 * and ';' comments outside double quotes. Types: A, AAAA, SRV, NAPTR.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "resolver/static_cache.h"
#include "voxdns/status.h"

#define LINE_MAX_LEN 4096
#define TOKENS_MAX 12

typedef struct line_tokens {
    char buf[LINE_MAX_LEN + 1]; /* unescaped tokens, each NUL-terminated */
    char *tok[TOKENS_MAX];
    size_t n;
} line_tokens;

/* Reads one quoted token starting after the opening quote; \" and \\ are the only escapes.
 * Returns the position after the closing quote, or NULL when the quote is not closed. */
static const char *read_quoted(const char *p, const char *end, char **w)
{
    for (; p < end && *p != '"'; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        *(*w)++ = *p;
    }
    if (p >= end)
        return NULL;
    return p + 1;
}

static const char *read_bare(const char *p, const char *end, char **w)
{
    while (p < end && *p != ' ' && *p != '\t' && *p != '"' && *p != '#' && *p != ';')
        *(*w)++ = *p++;
    return p;
}

/* Splits [p, end) into tokens; stops at a comment. The line is at most LINE_MAX_LEN octets, so
 * the unescaped tokens and their NULs always fit in buf. */
static int tokenize(const char *p, const char *end, line_tokens *lt, const char **why)
{
    char *w = lt->buf;
    lt->n = 0;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end || *p == '#' || *p == ';')
            return VX_OK;
        if (lt->n == TOKENS_MAX) {
            *why = "too many fields";
            return VX_EMALFORMED;
        }
        lt->tok[lt->n++] = w;
        p = *p == '"' ? read_quoted(p + 1, end, &w) : read_bare(p, end, &w);
        if (!p) {
            *why = "unterminated quoted string";
            return VX_EMALFORMED;
        }
        *w++ = '\0';
    }
}

/* Builds the record of a tokenized line: tok[0] name, tok[1] TTL, [IN], type, rdata. */
static int line_rr(line_tokens *lt, ldns_rr **rr, const char **why)
{
    size_t t = 2;
    if (lt->n < 4) {
        *why = "expected NAME TTL [IN] TYPE RDATA";
        return VX_EMALFORMED;
    }
    if (strcasecmp(lt->tok[t], "IN") == 0)
        t++;
    const char *type = lt->tok[t++];
    char **rd = &lt->tok[t];
    size_t nrd = lt->n - t;
    const char *name = lt->tok[0], *ttl = lt->tok[1];

    if (strcasecmp(type, "A") == 0 || strcasecmp(type, "AAAA") == 0) {
        if (nrd != 1)
            return (*why = "A/AAAA takes one address", VX_EMALFORMED);
        int rc = vx__static_rr_a(name, ttl, rd[0], rr, why);
        /* vx__static_rr_a picks the type from the address: it must match the one written. */
        if (rc == VX_OK && (ldns_rr_get_type(*rr) == LDNS_RR_TYPE_A) != (strlen(type) == 1)) {
            ldns_rr_free(*rr);
            return (*why = "address family does not match the type", VX_EMALFORMED);
        }
        return rc;
    }
    if (strcasecmp(type, "SRV") == 0) {
        if (nrd != 4)
            return (*why = "SRV takes PRIORITY WEIGHT PORT TARGET", VX_EMALFORMED);
        return vx__static_rr_srv(name, ttl, rd[0], rd[1], rd[2], rd[3], rr, why);
    }
    if (strcasecmp(type, "NAPTR") == 0) {
        if (nrd != 6)
            return (*why = "NAPTR takes ORDER PREFERENCE FLAGS SERVICE REGEXP REPLACEMENT",
                    VX_EMALFORMED);
        return vx__static_rr_naptr(name, ttl, rd[0], rd[1], rd[2], rd[3], rd[4], rd[5], rr, why);
    }
    *why = "unsupported type (A, AAAA, SRV, NAPTR; class IN only)";
    return VX_EMALFORMED;
}

static int parse_line(const char *p, const char *end, ldns_rr_list *list, line_tokens *lt,
                      const char **why)
{
    ldns_rr *rr = NULL;
    if (end < p || end - p > LINE_MAX_LEN)
        return (*why = "line too long", VX_EMALFORMED);
    if (memchr(p, '\0', (size_t)(end - p)))
        return (*why = "NUL octet", VX_EMALFORMED);
    int rc = tokenize(p, end, lt, why);
    if (rc != VX_OK || lt->n == 0)
        return rc;
    rc = line_rr(lt, &rr, why);
    if (rc == VX_OK && ldns_rr_list_rr_count(list) >= VX__STATIC_MAX_RECORDS) {
        ldns_rr_free(rr);
        return (*why = "too many records", VX_ELIMIT);
    }
    if (rc == VX_OK && !ldns_rr_list_push_rr(list, rr)) {
        ldns_rr_free(rr);
        rc = VX_ENOMEM;
    }
    if (rc == VX_ENOMEM)
        *why = "out of memory";
    return rc;
}

int vx__static_parse_voxdns(const char *text, size_t len, ldns_rr_list *list, char *err,
                            size_t errcap)
{
    line_tokens lt; /* ~4 KB on the stack keeps the parser re-entrant and allocation-free */
    const char *p = text, *end = text + len;
    unsigned lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *why = "";
        lineno++;
        int rc = parse_line(p, (eol > p && eol[-1] == '\r') ? eol - 1 : eol, list, &lt, &why);
        if (rc != VX_OK) {
            vx__static_error(err, errcap, lineno, "%s", why);
            return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return VX_OK;
}
