/*
 * resolver/static_export.c — the writers of static DNS cache configurations (see
 * static_export.h). Each writer puts out exactly what its parser reads: names absolute with a
 * trailing dot in the voxdns format and without it in the vendor formats (the vendors' own
 * style), strings quoted with the escapes each parser knows.
 */
#include <stdlib.h>
#include <string.h>

#include "resolver/static_export.h"
#include "voxdns/status.h"

typedef struct rr_fields {
    char *owner; /* "sip.example.com." */
    char *f[6];  /* rdata as text: addresses, numbers, names; strings unquoted */
    size_t n;
    uint32_t ttl;
    ldns_rr_type type;
} rr_fields;

/* A character-string rdata field as raw text (NAPTR flags, service, regexp). */
static char *rdf_raw_string(const ldns_rdf *f)
{
    const uint8_t *d = ldns_rdf_data(f);
    size_t n = ldns_rdf_size(f);
    size_t len = n > 0 && (size_t)d[0] + 1 <= n ? d[0] : 0;
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, d + 1, len);
        s[len] = '\0';
    }
    return s;
}

static void fields_clear(rr_fields *r)
{
    free(r->owner);
    for (size_t i = 0; i < r->n; i++)
        free(r->f[i]);
    memset(r, 0, sizeof(*r));
}

static bool wanted(ldns_rr_type t, size_t rd)
{
    return ((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) && rd == 1) ||
           (t == LDNS_RR_TYPE_SRV && rd == 4) || (t == LDNS_RR_TYPE_NAPTR && rd == 6);
}

static int fields_of(const ldns_rr *rr, rr_fields *r)
{
    memset(r, 0, sizeof(*r));
    r->type = ldns_rr_get_type(rr);
    if (!wanted(r->type, ldns_rr_rd_count(rr)))
        return VX_ENOTFOUND;
    r->ttl = ldns_rr_ttl(rr);
    r->owner = ldns_rdf2str(ldns_rr_owner(rr));
    r->n = ldns_rr_rd_count(rr);
    bool ok = r->owner != NULL;
    for (size_t i = 0; i < r->n; i++) {
        bool str = r->type == LDNS_RR_TYPE_NAPTR && i >= 2 && i <= 4;
        r->f[i] = str ? rdf_raw_string(ldns_rr_rdf(rr, i)) : ldns_rdf2str(ldns_rr_rdf(rr, i));
        ok = ok && r->f[i];
    }
    if (!ok) {
        fields_clear(r);
        return VX_ENOMEM;
    }
    return VX_OK;
}

/* "sip.example.com." → "sip.example.com" (the root stays "."). */
static const char *bare(char *name)
{
    size_t n = strlen(name);
    if (n > 1 && name[n - 1] == '.')
        name[n - 1] = '\0';
    return name;
}

/* ---- voxdns -------------------------------------------------------------------------------- */

static void put_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void voxdns_rr(FILE *out, const rr_fields *r)
{
    char type[8];
    strcpy(type, r->type == LDNS_RR_TYPE_A      ? "A"
                 : r->type == LDNS_RR_TYPE_AAAA ? "AAAA"
                 : r->type == LDNS_RR_TYPE_SRV  ? "SRV"
                                                : "NAPTR");
    fprintf(out, "%s %u IN %s", r->owner, r->ttl, type);
    for (size_t i = 0; i < r->n; i++) {
        fputc(' ', out);
        if (r->type == LDNS_RR_TYPE_NAPTR && i >= 2 && i <= 4)
            put_quoted(out, r->f[i]);
        else
            fputs(r->f[i], out);
    }
    fputc('\n', out);
}

/* ---- Polycom ------------------------------------------------------------------------------- */

static void put_xml(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

typedef struct vendor_keys {
    const char *prefix[3];   /* per kind: A, SRV, NAPTR */
    const char *a_fields[1]; /* address */
    const char *srv_fields[4];
    const char *naptr_fields[6];
} vendor_keys;

static const vendor_keys polycom_keys = {
    {"dns.cache.A", "dns.cache.SRV", "dns.cache.NAPTR"},
    {"address"},
    {"priority", "weight", "port", "target"},
    {"order", "preference", "flags", "service", "regexp", "replacement"}};

static const vendor_keys yealink_keys = {
    {"dns_cache_a", "dns_cache_srv", "dns_cache_naptr"},
    {"ip"},
    {"priority", "weight", "port", "target"},
    {"order", "preference", "flags", "service", "regexp", "replace"}};

static unsigned kind_of(ldns_rr_type t)
{
    return t == LDNS_RR_TYPE_SRV ? 1u : t == LDNS_RR_TYPE_NAPTR ? 2u : 0u;
}

static const char *const *field_names(const vendor_keys *k, unsigned kind)
{
    return kind == 0 ? k->a_fields : kind == 1 ? k->srv_fields : k->naptr_fields;
}

/* Names in rdata lose their trailing dot too: the vendors' files carry them that way. */
static const char *vendor_value(rr_fields *r, size_t i)
{
    bool name =
        (r->type == LDNS_RR_TYPE_SRV && i == 3) || (r->type == LDNS_RR_TYPE_NAPTR && i == 5);
    return name ? bare(r->f[i]) : r->f[i];
}

static void polycom_rr(FILE *out, rr_fields *r, unsigned index)
{
    unsigned kind = kind_of(r->type);
    const char *p = polycom_keys.prefix[kind];
    const char *const *names = field_names(&polycom_keys, kind);
    fprintf(out, "    %s.%u.name=\"", p, index);
    put_xml(out, bare(r->owner));
    fprintf(out, "\" %s.%u.ttl=\"%u\"", p, index, r->ttl);
    for (size_t i = 0; i < r->n; i++) {
        fprintf(out, " %s.%u.%s=\"", p, index, names[i]);
        put_xml(out, vendor_value(r, i));
        fputc('"', out);
    }
    fputc('\n', out);
}

static void yealink_rr(FILE *out, rr_fields *r, unsigned index)
{
    unsigned kind = kind_of(r->type);
    const char *p = yealink_keys.prefix[kind];
    const char *const *names = field_names(&yealink_keys, kind);
    fprintf(out, "%s.%u.name = %s\n", p, index, bare(r->owner));
    for (size_t i = 0; i < r->n; i++) {
        /* strings are quoted so that an empty or space-edged value survives */
        bool str = r->type == LDNS_RR_TYPE_NAPTR && i >= 2 && i <= 4;
        fprintf(out, str ? "%s.%u.%s = \"%s\"\n" : "%s.%u.%s = %s\n", p, index, names[i],
                vendor_value(r, i));
    }
    fprintf(out, "%s.%u.ttl = %u\n", p, index, r->ttl);
}

static void hosts_rr(FILE *out, rr_fields *r)
{
    if (r->type == LDNS_RR_TYPE_A || r->type == LDNS_RR_TYPE_AAAA)
        fprintf(out, "%s\t%s\n", r->f[0], bare(r->owner));
}

/* ---- driver -------------------------------------------------------------------------------- */

static void header(FILE *out, vx__export_format fmt, const char *comment)
{
    const char *c = comment ? comment : "static DNS cache";
    if (fmt == VX__EXPORT_POLYCOM) {
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<!-- ", out);
        put_xml(out, c);
        fputs(" -->\n<polycomConfig>\n  <dns\n", out);
    } else if (fmt == VX__EXPORT_YEALINK) {
        fprintf(out, "#!version:1.0.0.1\n# %s\n", c);
    } else {
        fprintf(out, "# %s\n", c);
    }
}

int vx__static_export(const ldns_rr_list *list, vx__export_format fmt, const char *comment,
                      FILE *out)
{
    unsigned index[3] = {0, 0, 0};
    header(out, fmt, comment);
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
        rr_fields r;
        int rc = fields_of(ldns_rr_list_rr(list, i), &r);
        if (rc == VX_ENOTFOUND)
            continue;
        if (rc != VX_OK)
            return rc;
        unsigned *ix = &index[kind_of(r.type)];
        if (fmt == VX__EXPORT_VOXDNS)
            voxdns_rr(out, &r);
        else if (fmt == VX__EXPORT_POLYCOM)
            polycom_rr(out, &r, ++*ix);
        else if (fmt == VX__EXPORT_YEALINK)
            yealink_rr(out, &r, ++*ix);
        else
            hosts_rr(out, &r);
        fields_clear(&r);
    }
    if (fmt == VX__EXPORT_POLYCOM)
        fputs("  />\n</polycomConfig>\n", out);
    return ferror(out) ? VX_EIO : VX_OK;
}

int vx__export_format_from_text(const char *text, vx__export_format *out)
{
    static const char *const names[] = {"voxdns", "polycom", "yealink", "hosts"};
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (vx__export_format)i;
            return VX_OK;
        }
    return VX_EINVAL;
}
