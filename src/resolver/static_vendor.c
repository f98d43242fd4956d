/*
 * resolver/static_vendor.c — the static DNS cache entries of phone configurations:
 *   Polycom UC Software:  dns.cache.A.x.{name,ttl,address}
 *                         dns.cache.SRV.x.{name,ttl,priority,weight,port,target}
 *                         dns.cache.NAPTR.x.{name,ttl,order,preference,flags,service,regexp,
 *                                            replacement}
 *     written as XML attributes (key="value" or key='value') anywhere in the text;
 *   Yealink:              dns_cache_a.X.{name,ip,ttl}
 *                         dns_cache_srv.X.{name,port,priority,target,weight,ttl}
 *                         dns_cache_naptr.X.{name,flags,order,preference,replace,service,regexp,
 *                                            ttl}
 *     written as "key = value" lines ('#' comments).
 * Other keys of the files are none of our business and are ignored. Judgement calls:
 *   - key prefixes, types and field names match case-insensitively;
 *   - an entry whose fields are all empty is an unused slot (vendors' templates ship them) and
 *     is skipped; a partly filled one must be complete (name, address / port+target /
 *     replacement), with TTL 3600 and numbers 0 when empty, like the vendors' defaults;
 *   - an A entry holding an IPv6 address yields an AAAA record;
 *   - a key given twice is an error (one of them is a mistake, and we cannot tell which);
 *   - indexes run 1..9999, at most 1024 entries per text.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resolver/static_cache.h"
#include "voxdns/status.h"

#define VALUE_MAX 1024
#define KEY_MAX 128
#define SLOTS_MAX 1024
#define INDEX_MAX 9999u
#define YEALINK_LINE_MAX 4096

enum field {
    F_NAME,
    F_TTL,
    F_ADDRESS,
    F_PRIORITY,
    F_WEIGHT,
    F_PORT,
    F_TARGET,
    F_ORDER,
    F_PREF,
    F_FLAGS,
    F_SERVICE,
    F_REGEXP,
    F_REPLACEMENT,
    F_COUNT
};
enum kind { K_A, K_SRV, K_NAPTR };

typedef struct field_map {
    enum kind kind;
    const char *key;
    enum field field;
} field_map;

static const char *const kind_names[] = {"A", "SRV", "NAPTR"};

static const field_map polycom_fields[] = {
    {K_A, "name", F_NAME},
    {K_A, "ttl", F_TTL},
    {K_A, "address", F_ADDRESS},
    {K_SRV, "name", F_NAME},
    {K_SRV, "ttl", F_TTL},
    {K_SRV, "priority", F_PRIORITY},
    {K_SRV, "weight", F_WEIGHT},
    {K_SRV, "port", F_PORT},
    {K_SRV, "target", F_TARGET},
    {K_NAPTR, "name", F_NAME},
    {K_NAPTR, "ttl", F_TTL},
    {K_NAPTR, "order", F_ORDER},
    {K_NAPTR, "preference", F_PREF},
    {K_NAPTR, "flags", F_FLAGS},
    {K_NAPTR, "service", F_SERVICE},
    {K_NAPTR, "regexp", F_REGEXP},
    {K_NAPTR, "replacement", F_REPLACEMENT},
};

static const field_map yealink_fields[] = {
    {K_A, "name", F_NAME},
    {K_A, "ip", F_ADDRESS},
    {K_A, "ttl", F_TTL},
    {K_SRV, "name", F_NAME},
    {K_SRV, "port", F_PORT},
    {K_SRV, "priority", F_PRIORITY},
    {K_SRV, "target", F_TARGET},
    {K_SRV, "weight", F_WEIGHT},
    {K_SRV, "ttl", F_TTL},
    {K_NAPTR, "name", F_NAME},
    {K_NAPTR, "flags", F_FLAGS},
    {K_NAPTR, "order", F_ORDER},
    {K_NAPTR, "preference", F_PREF},
    {K_NAPTR, "replace", F_REPLACEMENT},
    {K_NAPTR, "service", F_SERVICE},
    {K_NAPTR, "regexp", F_REGEXP},
    {K_NAPTR, "ttl", F_TTL},
};

/* One vendor's key syntax: "<prefix><type><sep><index>.<field>". */
typedef struct dialect {
    const char *prefix; /* "dns.cache." or "dns_cache_" */
    char type_sep;      /* '.' for both: dns.cache.A.1 / dns_cache_a.1 */
    const field_map *fields;
    size_t nfields;
    const char *entry_fmt; /* how an entry is named in errors */
} dialect;

static const dialect polycom = {"dns.cache.", '.', polycom_fields,
                                sizeof(polycom_fields) / sizeof(polycom_fields[0]),
                                "dns.cache.%s.%u"};
static const dialect yealink = {"dns_cache_", '.', yealink_fields,
                                sizeof(yealink_fields) / sizeof(yealink_fields[0]),
                                "dns_cache_%s.%u"};

typedef struct slot {
    enum kind kind;
    unsigned index;
    unsigned line; /* of the first key of the entry */
    char *f[F_COUNT];
} slot;

typedef struct table {
    slot v[SLOTS_MAX];
    size_t n;
} table;

static void table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++)
        for (size_t f = 0; f < F_COUNT; f++)
            free(t->v[i].f[f]);
    free(t);
}

/* "A.12.name" (after the prefix) → kind, index, field. */
static int parse_key(const dialect *d, const char *key, enum kind *kind, unsigned *index,
                     enum field *field)
{
    const char *dot1 = strchr(key, d->type_sep);
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || dot2 == dot1 + 1 || dot2 - dot1 > 5)
        return VX_EMALFORMED;
    unsigned idx = 0;
    for (const char *p = dot1 + 1; p < dot2; p++) {
        if (*p < '0' || *p > '9')
            return VX_EMALFORMED;
        idx = idx * 10u + (unsigned)(*p - '0');
    }
    if (idx == 0 || idx > INDEX_MAX)
        return VX_EMALFORMED;
    for (size_t i = 0; i < d->nfields; i++) {
        const char *kn = kind_names[d->fields[i].kind];
        if (strlen(kn) == (size_t)(dot1 - key) && strncasecmp(key, kn, strlen(kn)) == 0 &&
            strcasecmp(dot2 + 1, d->fields[i].key) == 0) {
            *kind = d->fields[i].kind;
            *index = idx;
            *field = d->fields[i].field;
            return VX_OK;
        }
    }
    return VX_EMALFORMED;
}

static slot *find_slot(table *t, enum kind kind, unsigned index)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].kind == kind && t->v[i].index == index)
            return &t->v[i];
    return NULL;
}

/* Records key = value (value has len octets, no NUL) found on line. */
static int table_set(table *t, const dialect *d, const char *key, const char *value, size_t len,
                     unsigned line, char *err, size_t errcap)
{
    enum kind kind;
    unsigned index;
    enum field field;
    if (parse_key(d, key + strlen(d->prefix), &kind, &index, &field) != VX_OK) {
        vx__static_error(err, errcap, line, "unknown key %s", key);
        return VX_EMALFORMED;
    }
    slot *s = find_slot(t, kind, index);
    if (!s && t->n == SLOTS_MAX) {
        vx__static_error(err, errcap, line, "more than %d static cache entries", SLOTS_MAX);
        return VX_ELIMIT;
    }
    if (!s) {
        s = &t->v[t->n++];
        s->kind = kind;
        s->index = index;
        s->line = line;
    }
    if (s->f[field]) {
        vx__static_error(err, errcap, line, "%s given twice", key);
        return VX_EMALFORMED;
    }
    s->f[field] = strndup(value, len);
    return s->f[field] ? VX_OK : VX_ENOMEM;
}

static bool slot_empty(const slot *s)
{
    for (size_t f = 0; f < F_COUNT; f++)
        if (s->f[f] && s->f[f][0])
            return false;
    return true;
}

static int slot_rr(const slot *s, ldns_rr **rr, const char **why)
{
    char *const *f = s->f;
    switch (s->kind) {
    case K_A:
        return vx__static_rr_a(f[F_NAME], f[F_TTL], f[F_ADDRESS], rr, why);
    case K_SRV:
        return vx__static_rr_srv(f[F_NAME], f[F_TTL], f[F_PRIORITY], f[F_WEIGHT], f[F_PORT],
                                 f[F_TARGET], rr, why);
    case K_NAPTR:
        return vx__static_rr_naptr(f[F_NAME], f[F_TTL], f[F_ORDER], f[F_PREF], f[F_FLAGS],
                                   f[F_SERVICE], f[F_REGEXP], f[F_REPLACEMENT], rr, why);
    }
    return VX_EINVAL;
}

static int table_build(const table *t, const dialect *d, ldns_rr_list *list, char *err,
                       size_t errcap)
{
    for (size_t i = 0; i < t->n; i++) {
        const slot *s = &t->v[i];
        ldns_rr *rr = NULL;
        const char *why = "out of memory";
        if (slot_empty(s))
            continue;
        int rc = slot_rr(s, &rr, &why);
        if (rc == VX_OK && !ldns_rr_list_push_rr(list, rr)) {
            ldns_rr_free(rr);
            rc = VX_ENOMEM;
        }
        if (rc != VX_OK) {
            char entry[64];
            snprintf(entry, sizeof(entry), d->entry_fmt, kind_names[s->kind], s->index);
            vx__static_error(err, errcap, s->line, "%s: %s", entry, why);
            return rc;
        }
    }
    return VX_OK;
}

/* ---- Polycom: key="value" attributes anywhere ---------------------------------------------- */

static bool key_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* XML attribute value → text: the five predefined entities and numeric ASCII references. */
static int xml_unescape(const char *in, size_t len, char *out, size_t *outlen)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (in[i] != '&') {
            out[n++] = in[i++];
            continue;
        }
        size_t e = 0;
        for (; e < sizeof(ents) / sizeof(ents[0]); e++) {
            size_t el = strlen(ents[e].ent);
            if (len - i >= el && memcmp(in + i, ents[e].ent, el) == 0) {
                out[n++] = ents[e].c;
                i += el;
                break;
            }
        }
        if (e == sizeof(ents) / sizeof(ents[0]))
            return VX_EMALFORMED;
    }
    *outlen = n;
    return VX_OK;
}

static bool prefix_at(const char *p, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)(end - p) >= n && strncasecmp(p, prefix, n) == 0;
}

/* Reads the quoted value at *pp (after '='); on success *pp is past the closing quote. */
static int polycom_value(const char **pp, const char *end, char *val, size_t *vlen,
                         const char **why)
{
    const char *p = *pp;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p >= end || (*p != '"' && *p != '\''))
        return (*why = "expected a quoted value", VX_EMALFORMED);
    const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));
    if (!close)
        return (*why = "unterminated value", VX_EMALFORMED);
    size_t raw = (size_t)(close - p - 1);
    if (raw > VALUE_MAX)
        return (*why = "value too long", VX_EMALFORMED);
    if (memchr(p + 1, '\0', raw) || memchr(p + 1, '<', raw))
        return (*why = "NUL or '<' in value", VX_EMALFORMED);
    if (xml_unescape(p + 1, raw, val, vlen) != VX_OK)
        return (*why = "unknown XML entity in value", VX_EMALFORMED);
    *pp = close + 1;
    return VX_OK;
}

static unsigned count_lines(const char *from, const char *to)
{
    unsigned n = 0;
    for (; from < to; from++)
        n += *from == '\n';
    return n;
}

/* One attribute at p (which starts with the prefix). *pp moves past what was consumed. */
static int polycom_attr(table *t, const char **pp, const char *end, unsigned line, char *err,
                        size_t errcap)
{
    char key[KEY_MAX + 1], val[VALUE_MAX + 1];
    size_t klen = 0, vlen = 0;
    const char *p = *pp, *why = "";
    while (p < end && key_char(*p) && klen < KEY_MAX)
        key[klen++] = *p++;
    key[klen] = '\0';
    const char *kend = p;
    while (kend < end && key_char(*kend))
        kend++;
    const char *q = kend;
    while (q < end && isspace((unsigned char)*q))
        q++;
    *pp = kend;
    if (q >= end || *q != '=')
        return VX_OK; /* a mention in a comment or text, not an attribute */
    if (kend != p) {
        vx__static_error(err, errcap, line, "key too long");
        return VX_EMALFORMED;
    }
    q++;
    int rc = polycom_value(&q, end, val, &vlen, &why);
    if (rc != VX_OK) {
        vx__static_error(err, errcap, line + count_lines(p, q), "%s: %s", key, why);
        return rc;
    }
    *pp = q;
    return table_set(t, &polycom, key, val, vlen, line, err, errcap);
}

static int polycom_scan(table *t, const char *text, size_t len, char *err, size_t errcap)
{
    const char *p = text, *end = text + len, *counted = text;
    unsigned line = 1;
    while (p < end) {
        bool start = prefix_at(p, end, polycom.prefix) && (p == text || !key_char(p[-1]));
        if (!start) {
            p++;
            continue;
        }
        line += count_lines(counted, p);
        counted = p;
        int rc = polycom_attr(t, &p, end, line, err, errcap);
        if (rc != VX_OK)
            return rc;
    }
    return VX_OK;
}

int vx__static_parse_polycom(const char *text, size_t len, ldns_rr_list *list, char *err,
                             size_t errcap)
{
    table *t = calloc(1, sizeof(*t));
    if (!t)
        return VX_ENOMEM;
    int rc = polycom_scan(t, text, len, err, errcap);
    if (rc == VX_OK)
        rc = table_build(t, &polycom, list, err, errcap);
    table_free(t);
    return rc;
}

/* ---- Yealink: "key = value" lines ---------------------------------------------------------- */

static void trim(const char **b, const char **e)
{
    while (*b < *e && isspace((unsigned char)**b))
        (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

static int yealink_line(table *t, const char *b, const char *e, unsigned line, char *err,
                        size_t errcap)
{
    char key[KEY_MAX + 1];
    trim(&b, &e);
    if (!prefix_at(b, e, yealink.prefix))
        return VX_OK; /* blank, '#' comment or another setting */
    const char *why = NULL;
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (e - b > YEALINK_LINE_MAX)
        why = "line too long";
    else if (memchr(b, '\0', (size_t)(e - b)))
        why = "NUL octet";
    else if (!eq)
        why = "expected key = value";
    const char *kb = b, *ke = eq ? eq : e, *vb = eq ? eq + 1 : e, *ve = e;
    trim(&kb, &ke);
    trim(&vb, &ve);
    if (!why && (ke - kb > KEY_MAX || ve - vb > VALUE_MAX))
        why = ke - kb > KEY_MAX ? "key too long" : "value too long";
    if (why) {
        vx__static_error(err, errcap, line, "%s", why);
        return VX_EMALFORMED;
    }
    memcpy(key, kb, (size_t)(ke - kb));
    key[ke - kb] = '\0';
    if (ve - vb >= 2 && *vb == '"' && ve[-1] == '"') { /* an optionally quoted value */
        vb++;
        ve--;
    }
    return table_set(t, &yealink, key, vb, (size_t)(ve - vb), line, err, errcap);
}

int vx__static_parse_yealink(const char *text, size_t len, ldns_rr_list *list, char *err,
                             size_t errcap)
{
    table *t = calloc(1, sizeof(*t));
    const char *p = text, *end = text + len;
    unsigned line = 0;
    int rc = t ? VX_OK : VX_ENOMEM;
    while (rc == VX_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        rc = yealink_line(t, p, eol, ++line, err, errcap);
        p = nl ? nl + 1 : end;
    }
    if (rc == VX_OK)
        rc = table_build(t, &yealink, list, err, errcap);
    if (t)
        table_free(t);
    return rc;
}
