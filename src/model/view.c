/*
 * model/view.c — owns the per-address facts of the view (alive, lame, median RTT), the
 * consensus answer of a (name, type), and small helpers on names, records and messages that
 * every check uses. The SIP chain is built in check/view_sip.c.
 */
#include "model/view.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"
#include "voxdns/status.h"
#include "wire/msg.h"
#include "wire/query.h"

/* ---- names and labels -------------------------------------------------------------------- */

/* The same name written with and without escapes ("sip\/1" from the normaliser, "sip/1" as
 * ldns prints owners): compared in wire form, case-insensitively. */
static bool wire_eq(const char *a, const char *b)
{
    vx__question qa, qb;
    if (vx__question_from_text(a, 0, 0, &qa) != VX_OK ||
        vx__question_from_text(b, 0, 0, &qb) != VX_OK || qa.name_len != qb.name_len)
        return false;
    for (size_t i = 0; i < qa.name_len; i++)
        if (tolower(qa.name[i]) != tolower(qb.name[i]))
            return false;
    return true;
}

bool vx__name_eq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    if (strchr(a, '\\') || strchr(b, '\\'))
        return wire_eq(a, b);
    size_t la = strlen(a), lb = strlen(b);
    /* Trailing dots are optional on either side. */
    if (la > 1 && a[la - 1] == '.')
        la--;
    if (lb > 1 && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

void vx__name_show(const char *name, char *out, size_t cap)
{
    if (!name || !name[0]) {
        snprintf(out, cap, "%s", "");
        return;
    }
    size_t n = strlen(name);
    if (n > 1 && name[n - 1] == '.')
        n--;
    snprintf(out, cap, "%.*s", (int)n, name);
}

int vx__label_make(const char *name, const struct sockaddr *addr, char *out, size_t cap)
{
    char a[VX__ADDR_TEXT_MAX] = "?";
    char n[VX__NAME_TEXT_MAX];
    if (addr)
        vx__addr_format(addr, a, sizeof a);
    vx__name_show(name, n, sizeof n);
    int w = n[0] ? snprintf(out, cap, "%s/%s", n, a) : snprintf(out, cap, "%s", a);
    return (w < 0 || (size_t)w >= cap) ? VX_ELIMIT : VX_OK;
}

/* ---- string building --------------------------------------------------------------------- */

void vx__sb_add(vx__strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || b->oom)
        return;
    size_t need = b->len + (size_t)n + 1;
    char *s = vx__grow(b->s, &b->cap, need, 1, 128);
    if (!s) {
        b->oom = true;
        return;
    }
    b->s = s;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void vx__sb_item(vx__strbuf *b, const char *item)
{
    vx__sb_add(b, "%s%s", b->len ? ", " : "", item);
}

const char *vx__sb_str(const vx__strbuf *b)
{
    return b->s ? b->s : "";
}

void vx__sb_free(vx__strbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* ---- record text --------------------------------------------------------------------------- */

int vx__srv_parse(const char *rdata, uint16_t *prio, uint16_t *weight, uint16_t *port, char *target,
                  size_t cap)
{
    unsigned p, w, po;
    int off = 0;
    if (sscanf(rdata, "%u %u %u %n", &p, &w, &po, &off) != 3 || off == 0 || p > 65535 ||
        w > 65535 || po > 65535)
        return VX_EMALFORMED;
    *prio = (uint16_t)p;
    *weight = (uint16_t)w;
    *port = (uint16_t)po;
    int n = snprintf(target, cap, "%s", rdata + off);
    return (n <= 0 || (size_t)n >= cap) ? VX_EMALFORMED : VX_OK;
}

int vx__soa_parse(const char *rdata, uint32_t *serial, uint32_t *refresh, uint32_t *retry,
                  uint32_t *expire, uint32_t *minimum)
{
    unsigned long v[5];
    if (sscanf(rdata, "%*s %*s %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3], &v[4]) != 5)
        return VX_EMALFORMED;
    *serial = (uint32_t)v[0];
    *refresh = (uint32_t)v[1];
    *retry = (uint32_t)v[2];
    *expire = (uint32_t)v[3];
    *minimum = (uint32_t)v[4];
    return VX_OK;
}

/* A 16-bit decimal field and the blank after it; NULL when there is none. */
static const char *u16_field(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9' && v <= 65535; p++)
        v = v * 10 + (unsigned long)(*p - '0');
    if (p == s || v > 65535 || *p != ' ')
        return NULL;
    *out = (uint16_t)v;
    return p + 1;
}

/* One quoted <character-string> as ldns prints it ("\"" and "\\" escaped, other octets
 * outside the printable range as \DDD), then a blank; NULL when malformed or too long. */
static const char *string_field(const char *s, char *out, size_t *len)
{
    size_t n = 0;
    if (*s++ != '"')
        return NULL;
    while (*s && *s != '"') {
        unsigned v = (unsigned char)*s++;
        if (v == '\\' && s[0] >= '0' && s[0] <= '9') {
            if (!(s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'))
                return NULL;
            v = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
            s += 3;
        } else if (v == '\\') {
            if (!*s)
                return NULL;
            v = (unsigned char)*s++;
        }
        if (v > 255 || n == 255)
            return NULL;
        out[n++] = (char)v;
    }
    if (*s++ != '"' || *s++ != ' ')
        return NULL;
    out[n] = '\0';
    *len = n;
    return s;
}

int vx__naptr_parse(const char *rdata, vx__naptr_fields *out)
{
    const char *p = rdata ? u16_field(rdata, &out->order) : NULL;
    p = p ? u16_field(p, &out->pref) : NULL;
    for (int i = 0; p && i < 3; i++)
        p = string_field(p, out->str[i], &out->len[i]);
    size_t n = p ? strlen(p) : 0;
    if (!p || n == 0 || n >= sizeof out->replacement || strchr(p, ' '))
        return VX_EMALFORMED;
    memcpy(out->replacement, p, n + 1);
    return VX_OK;
}

ldns_rr *vx__rrset_rr(const vx__rrset *set, size_t i)
{
    char *type = ldns_rr_type2str((ldns_rr_type)set->type);
    char *cls = ldns_rr_class2str((ldns_rr_class)set->rrclass);
    ldns_rr *rr = NULL;
    if (type && cls) {
        size_t n = strlen(set->owner) + strlen(type) + strlen(cls) + strlen(set->rdata[i]) + 32;
        char *line = malloc(n);
        if (line) {
            snprintf(line, n, "%s %u %s %s %s", set->owner, set->ttl, cls, type, set->rdata[i]);
            if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK)
                rr = NULL;
            free(line);
        }
    }
    LDNS_FREE(type);
    LDNS_FREE(cls);
    return rr;
}

/* ---- observations -------------------------------------------------------------------------- */

const vx__rrset *vx__obs_find(const vx__observation *o, int section, const char *owner,
                              uint16_t type)
{
    for (size_t i = 0; o && i < o->section_count[section]; i++) {
        const vx__rrset *s = o->sections[section][i];
        if (s->type == type && vx__name_eq(s->owner, owner))
            return s;
    }
    return NULL;
}

static bool obs_matches(const vx__observation *o, const vx__vserver *s, vx__probe_kind kind,
                        vx__transport tr, const char *qname, uint16_t qtype)
{
    return o->kind == kind && o->transport == tr && (qtype == 0 || o->qtype == qtype) &&
           (!qname || vx__name_eq(o->qname, qname)) &&
           (!s || vx__addr_equal((const struct sockaddr *)&o->addr,
                                 (const struct sockaddr *)&s->srv->addr));
}

const vx__observation *vx__view_obs_any(const vx__view *v, const vx__vserver *s,
                                        vx__probe_kind kind, vx__transport tr, const char *qname,
                                        uint16_t qtype)
{
    for (size_t i = 0; i < v->snap->obs_count; i++)
        if (obs_matches(&v->snap->obs[i], s, kind, tr, qname, qtype))
            return &v->snap->obs[i];
    return NULL;
}

const vx__observation *vx__view_obs(const vx__view *v, const vx__vserver *s, vx__probe_kind kind,
                                    vx__transport tr, const char *qname, uint16_t qtype)
{
    for (size_t i = 0; i < v->snap->obs_count; i++) {
        const vx__observation *o = &v->snap->obs[i];
        if (o->status == VX_OK && obs_matches(o, s, kind, tr, qname, qtype))
            return o;
    }
    return NULL;
}

bool vx__vserver_authoritative(const vx__vserver *s)
{
    return s && s->alive && !s->lame;
}

/* ---- answers ------------------------------------------------------------------------------- */

/* Follows CNAMEs inside the answer section (at most 8, against loops). */
void vx__answer_of(const vx__observation *o, const char *qname, uint16_t qtype, vx__answer *out)
{
    memset(out, 0, sizeof *out);
    out->obs = o;
    out->rcode = o->rcode;
    const char *name = qname;
    char next[VX__NAME_TEXT_MAX];
    for (int hop = 0; hop < 8; hop++) {
        out->set = vx__obs_find(o, VX__SECTION_ANSWER, name, qtype);
        if (out->set || qtype == VX__T_CNAME)
            return;
        const vx__rrset *c = vx__obs_find(o, VX__SECTION_ANSWER, name, VX__T_CNAME);
        if (!c || c->count == 0)
            return;
        if (hop == 0)
            out->cname = c;
        snprintf(next, sizeof next, "%s", c->rdata[0]);
        name = next;
    }
}

bool vx__answer_same(const vx__answer *a, const vx__answer *b)
{
    if (a->rcode != b->rcode || !a->set != !b->set || !a->cname != !b->cname)
        return false;
    if (a->set && !vx__rrset_equal(a->set, b->set, false))
        return false;
    return !a->cname || vx__rrset_equal(a->cname, b->cname, false);
}

bool vx__obs_usable_aa(const vx__observation *o)
{
    return o && (o->flags & VX__FLAG_AA) &&
           (o->rcode == VX__RCODE_NOERROR || o->rcode == VX__RCODE_NXDOMAIN);
}

/* Consensus among authoritative addresses; false when none answered with AA. */
static bool consensus_aa(const vx__view *v, const char *qname, uint16_t qtype, vx__answer *out)
{
    vx__answer *cand = calloc(v->server_count ? v->server_count : 1, sizeof *cand);
    size_t n = 0;
    for (size_t i = 0; cand && i < v->server_count; i++) {
        const vx__vserver *s = &v->servers[i];
        const vx__observation *o = vx__vserver_authoritative(s)
                                       ? vx__view_obs(v, s, VX__PROBE_DATA, VX__UDP, qname, qtype)
                                       : NULL;
        if (vx__obs_usable_aa(o))
            vx__answer_of(o, qname, qtype, &cand[n++]);
    }
    size_t best = 0, best_count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        for (size_t j = 0; j < n; j++)
            c += vx__answer_same(&cand[i], &cand[j]);
        /* Strictly more: a tie keeps the earlier server (snapshot.servers order). */
        if (c > best_count) {
            best = i;
            best_count = c;
        }
    }
    if (n > 0) {
        *out = cand[best];
        out->holders = best_count;
    }
    free(cand);
    return n > 0;
}

void vx__view_answer(const vx__view *v, const char *qname, uint16_t qtype, vx__answer *out)
{
    memset(out, 0, sizeof *out);
    if (consensus_aa(v, qname, qtype, out))
        return;
    const vx__observation *r = vx__view_obs(v, NULL, VX__PROBE_RESOLVE, VX__UDP, qname, qtype);
    if (!r)
        r = vx__view_obs(v, NULL, VX__PROBE_RESOLVE, VX__TCP, qname, qtype);
    if (r) {
        vx__answer_of(r, qname, qtype, out);
        return;
    }
    for (size_t i = 0; i < v->snap->obs_count; i++) {
        const vx__observation *o = &v->snap->obs[i];
        if (o->kind == VX__PROBE_RESOLVE && o->qtype == qtype && vx__name_eq(o->qname, qname))
            out->failure = o->status;
    }
}

/* A walk that failed because the name's own servers failed (SERVFAIL, lame, no such name)
 * says something about the name; a timeout of ours or a cancelled question does not. */
static bool failure_conclusive(int status)
{
    return status == VX_ENOTFOUND || status == VX_ESERVFAIL || status == VX_ELIMIT;
}

bool vx__answer_conclusive(const vx__answer *a)
{
    if (a->obs)
        return a->obs->status == VX_OK &&
               (a->rcode == VX__RCODE_NOERROR || a->rcode == VX__RCODE_NXDOMAIN);
    return a->failure != VX_OK && failure_conclusive(a->failure);
}

const char *vx__answer_why_empty(const vx__answer *a)
{
    if (!a->obs)
        return a->failure != VX_OK ? vx_strerror(a->failure) : "no answer";
    if (a->rcode == VX__RCODE_NXDOMAIN)
        return "NXDOMAIN";
    if (a->rcode != VX__RCODE_NOERROR)
        return vx__rcode_to_text(a->rcode);
    return "no data";
}

/* ---- per-address facts ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void server_rtt(const vx__view *v, vx__vserver *s)
{
    double *rtts = calloc(v->snap->obs_count ? v->snap->obs_count : 1, sizeof *rtts);
    size_t n = 0;
    for (size_t i = 0; rtts && i < v->snap->obs_count; i++) {
        const vx__observation *o = &v->snap->obs[i];
        if (o->status == VX_OK && obs_matches(o, s, VX__PROBE_DATA, VX__UDP, NULL, 0))
            rtts[n++] = o->rtt_ms;
    }
    qsort(rtts, n, sizeof *rtts, cmp_double);
    s->rtt_count = n;
    s->median_rtt_ms = n == 0 ? 0 : (n % 2 ? rtts[n / 2] : (rtts[n / 2 - 1] + rtts[n / 2]) / 2);
    free(rtts);
}

static void server_alive(const vx__view *v, vx__vserver *s)
{
    for (size_t i = 0; i < v->snap->obs_count; i++) {
        const vx__observation *o = &v->snap->obs[i];
        bool udp_probe = o->transport == VX__UDP && o->kind != VX__PROBE_PARENT &&
                         o->kind != VX__PROBE_DS && o->kind != VX__PROBE_RESOLVE &&
                         o->kind != VX__PROBE_FOREIGN;
        if (!udp_probe || !vx__addr_equal((const struct sockaddr *)&o->addr,
                                          (const struct sockaddr *)&s->srv->addr))
            continue;
        s->probed = true;
        if (o->status == VX_OK)
            s->alive = true;
    }
}

/* The SOA answer that decides lameness: the EDNS one, unless EDNS itself was the problem
 * (FORMERR/NOTIMP or no response), then the one without EDNS — a server that chokes on EDNS
 * is reported as NS-EDNS-BROKEN, not as lame. */
static const vx__observation *lame_probe(const vx__view *v, const vx__vserver *s)
{
    const char *d = v->snap->domain;
    const vx__observation *o = vx__view_obs(v, s, VX__PROBE_DATA, VX__UDP, d, VX__T_SOA);
    if (o && o->rcode != VX__RCODE_FORMERR && o->rcode != VX__RCODE_NOTIMP)
        return o;
    const vx__observation *plain = vx__view_obs(v, s, VX__PROBE_NOEDNS, VX__UDP, d, VX__T_SOA);
    if (plain)
        return plain;
    return o ? o : vx__view_obs(v, s, VX__PROBE_DATA, VX__UDP, d, VX__T_NS);
}

static void server_lame(const vx__view *v, vx__vserver *s)
{
    const vx__observation *o = lame_probe(v, s);
    if (!o)
        return;
    const char *d = v->snap->domain;
    if (o->rcode != VX__RCODE_NOERROR)
        snprintf(s->lame_reason, sizeof s->lame_reason, "answered %s", vx__rcode_to_text(o->rcode));
    else if (vx__obs_find(o, VX__SECTION_AUTHORITY, d, VX__T_NS) && !(o->flags & VX__FLAG_AA))
        snprintf(s->lame_reason, sizeof s->lame_reason, "%s", "answered with a referral");
    else if (!(o->flags & VX__FLAG_AA))
        snprintf(s->lame_reason, sizeof s->lame_reason, "%s", "answered without the AA flag");
    else if (o->qtype == VX__T_SOA && !vx__obs_find(o, VX__SECTION_ANSWER, d, VX__T_SOA))
        snprintf(s->lame_reason, sizeof s->lame_reason, "%s",
                 "has no SOA at the apex: the domain is not a zone there");
    s->lame = s->lame_reason[0] != '\0';
}

static int servers_build(vx__view *v)
{
    const vx__snapshot *snap = v->snap;
    v->servers = calloc(snap->server_count ? snap->server_count : 1, sizeof *v->servers);
    if (!v->servers)
        return VX_ENOMEM;
    v->server_count = snap->server_count;
    for (size_t i = 0; i < snap->server_count; i++) {
        vx__vserver *s = &v->servers[i];
        s->srv = &snap->servers[i];
        vx__label_make(s->srv->name, (const struct sockaddr *)&s->srv->addr, s->label,
                       sizeof s->label);
        server_alive(v, s);
        if (s->alive) {
            v->alive_count++;
            server_lame(v, s);
            server_rtt(v, s);
        }
    }
    return VX_OK;
}

/* --ns: the given names as the NS RRset a parent would refer with (sorted, each once). */
static int given_ns_build(vx__view *v)
{
    const vx__snapshot *snap = v->snap;
    vx__rrset *set = calloc(1, sizeof *set);
    if (!set)
        return VX_ENOMEM;
    v->given_ns = set;
    set->type = VX__T_NS;
    set->rrclass = 1;
    set->owner = strdup(snap->domain);
    set->rdata = calloc(snap->ns_given_count ? snap->ns_given_count : 1, sizeof *set->rdata);
    if (!set->owner || !set->rdata)
        return VX_ENOMEM;
    for (size_t i = 0; i < snap->ns_given_count; i++) {
        char *name = strdup(snap->ns_given[i].name);
        if (!name)
            return VX_ENOMEM;
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        set->rdata[set->count++] = name;
    }
    vx__rrset_sort_unique(set);
    return VX_OK;
}

int vx__view_build(const vx__snapshot *snap, const char *profile, vx__view *v)
{
    memset(v, 0, sizeof *v);
    v->snap = snap;
    v->profile = profile ? profile : (snap->profile ? snap->profile : "generic");
    int rc = servers_build(v);
    if (rc == VX_OK && snap->undelegated)
        rc = given_ns_build(v);
    if (rc == VX_OK)
        vx__view_answer(v, snap->domain, VX__T_NS, &v->zone_ns);
    if (rc != VX_OK)
        vx__view_free(v);
    return rc;
}

void vx__view_free(vx__view *v)
{
    if (v->borrowed)
        return;
    free(v->servers);
    free(v->naptrs);
    free(v->srvnames);
    free(v->srvs);
    free(v->hosts);
    vx__rrset_free(v->given_ns);
    memset(v, 0, sizeof *v);
}

const vx__rrset *vx__view_parent_ns(const vx__view *v, const vx__observation **from)
{
    const char *d = v->snap->domain;
    for (size_t i = 0; i < v->snap->obs_count; i++) {
        const vx__observation *o = &v->snap->obs[i];
        if (o->kind != VX__PROBE_PARENT || o->status != VX_OK)
            continue;
        const vx__rrset *ns = vx__obs_find(o, VX__SECTION_AUTHORITY, d, VX__T_NS);
        if (!ns)
            ns = vx__obs_find(o, VX__SECTION_ANSWER, d, VX__T_NS);
        if (ns) {
            if (from)
                *from = o;
            return ns;
        }
    }
    return NULL;
}

static size_t names_add(const vx__rrset *set, const char **out, size_t n, size_t cap)
{
    for (size_t i = 0; set && i < set->count; i++) {
        bool seen = false;
        for (size_t j = 0; j < n && j < cap; j++)
            seen |= vx__name_eq(out[j], set->rdata[i]);
        if (seen)
            continue;
        if (n < cap)
            out[n] = set->rdata[i];
        n++;
    }
    return n;
}

const vx__rrset *vx__view_delegation_ns(const vx__view *v)
{
    return v->given_ns ? v->given_ns : vx__view_parent_ns(v, NULL);
}

size_t vx__view_ns_names(const vx__view *v, const char **out, size_t cap)
{
    size_t n = names_add(vx__view_delegation_ns(v), out, 0, cap);
    n = names_add(v->zone_ns.set, out, n, cap);
    return n < cap ? n : cap;
}

void vx__obs_label(const vx__observation *o, char *out, size_t cap)
{
    vx__label_make(o->server, (const struct sockaddr *)&o->addr, out, cap);
}
