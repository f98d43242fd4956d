/*
 * report/model.c — owns the report model: what the JSON and HTML forms show beside the
 * findings, derived from the snapshot alone. Per authoritative address: did it answer over UDP,
 * its median RTT, the SOA serial and NSID it gave. The SIP chain: the domain's NAPTR records,
 * every SRV name the audit asked, the SRV targets and their addresses.
 *
 * "The" data of a name is the consensus of docs/audit-probes.md: the answer held by the most
 * authoritative addresses that answered with AA (ties to the server listed first), else an
 * iterative walk's answer. The checks judge the same data; the report only shows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/report_impl.h"
#include "common/array.h"
#include "voxdns/status.h"

#define T_A 1
#define T_CNAME 5
#define T_SOA 6
#define T_AAAA 28
#define T_SRV 33
#define T_NAPTR 35
#define RCODE_NOERROR 0
#define RCODE_NXDOMAIN 3
#define CNAME_HOPS 8
#define MAX_TOKENS 8

/* ---- rdata tokens ---------------------------------------------------------------------- */

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Splits presentation-form rdata at blanks outside quotes; escapes are kept in the tokens. */
static size_t split(const char *s, span *out, size_t max)
{
    size_t k = 0;
    while (*s && k < max) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        const char *start = s;
        bool quoted = false;
        while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '\\' && s[1]) {
                s += 2;
                continue;
            }
            quoted = *s == '"' ? !quoted : quoted;
            s++;
        }
        out[k++] = (span){start, (size_t)(s - start)};
    }
    return k;
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A character-string's text: quotes dropped, "\X" → X, "\DDD" → the octet when printable
 * (anything else stays escaped: JSON and HTML want text, not raw octets). */
static char *unquote(span t)
{
    if (t.n >= 2 && t.p[0] == '"' && t.p[t.n - 1] == '"')
        t = (span){t.p + 1, t.n - 2};
    char *out = malloc(t.n + 1);
    size_t k = 0;
    for (size_t i = 0; out && i < t.n; i++) {
        bool esc = t.p[i] == '\\' && i + 1 < t.n;
        bool ddd =
            esc && i + 3 < t.n && digit(t.p[i + 1]) && digit(t.p[i + 2]) && digit(t.p[i + 3]);
        int v = ddd ? (t.p[i + 1] - '0') * 100 + (t.p[i + 2] - '0') * 10 + (t.p[i + 3] - '0') : 0;
        if (ddd && v >= 0x20 && v < 0x7f) {
            out[k++] = (char)v;
            i += 3;
            continue;
        }
        if (esc && !digit(t.p[i + 1]))
            i++;
        out[k++] = t.p[i];
    }
    if (out)
        out[k] = '\0';
    return out;
}

static char *name_of(span t)
{
    char raw[VX__NAME_TEXT_MAX], shown[VX__NAME_TEXT_MAX];
    snprintf(raw, sizeof raw, "%.*s", (int)t.n, t.p);
    vx__report_name(raw, shown, sizeof shown);
    return strdup(shown);
}

static bool num(span t, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (t.n == 0 || t.n > 10)
        return false;
    for (size_t i = 0; i < t.n; i++) {
        if (!digit(t.p[i]))
            return false;
        v = v * 10 + (uint64_t)(t.p[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool num16(span t, uint16_t *out)
{
    uint32_t v;
    if (!num(t, 65535, &v))
        return false;
    *out = (uint16_t)v;
    return true;
}

/* ---- consensus ------------------------------------------------------------------------- */

static const vx__rrset *find_set(const vx__observation *o, const char *owner, uint16_t type)
{
    for (size_t i = 0; i < o->section_count[VX__SECTION_ANSWER]; i++) {
        const vx__rrset *set = o->sections[VX__SECTION_ANSWER][i];
        if (set->type == type && strcasecmp(set->owner, owner) == 0)
            return set;
    }
    return NULL;
}

/* qtype at qname in the answer section, following CNAMEs that the answer itself holds. */
static const vx__rrset *answer_set(const vx__observation *o, const char *qname, uint16_t qtype)
{
    const char *name = qname;
    char next[VX__NAME_TEXT_MAX];
    for (int hop = 0; hop < CNAME_HOPS; hop++) {
        const vx__rrset *set = find_set(o, name, qtype);
        const vx__rrset *alias = qtype == T_CNAME ? NULL : find_set(o, name, T_CNAME);
        if (set || !alias || alias->count == 0)
            return set;
        snprintf(next, sizeof next, "%s", alias->rdata[0]);
        name = next;
    }
    return NULL;
}

static bool same_question(const vx__observation *o, const char *qname, uint16_t qtype)
{
    return o->qtype == qtype && o->status == VX_OK && strcasecmp(o->qname, qname) == 0;
}

/* An authoritative UDP answer whose data may be counted. */
static bool usable_aa(const vx__observation *o)
{
    return o->kind == VX__PROBE_DATA && o->transport == VX__UDP && (o->flags & VX__FLAG_AA) != 0 &&
           (o->rcode == RCODE_NOERROR || o->rcode == RCODE_NXDOMAIN);
}

static bool sets_same(const vx__rrset *a, const vx__rrset *b)
{
    return (!a && !b) || (a && b && vx__rrset_equal(a, b, false));
}

static size_t server_index(const vx__snapshot *s, const struct sockaddr_storage *addr)
{
    for (size_t i = 0; i < s->server_count; i++)
        if (vx__addr_equal((const struct sockaddr *)&s->servers[i].addr,
                           (const struct sockaddr *)addr))
            return i;
    return s->server_count;
}

typedef struct vote {
    const vx__rrset *set;
    size_t holders, first;
    bool any;
} vote;

static void count_votes(const vx__snapshot *s, const char *qname, uint16_t qtype, size_t from,
                        vote *v)
{
    const vx__rrset *set = answer_set(&s->obs[from], qname, qtype);
    size_t holders = 0;
    for (size_t j = 0; j < s->obs_count; j++) {
        const vx__observation *o = &s->obs[j];
        if (usable_aa(o) && same_question(o, qname, qtype) &&
            sets_same(set, answer_set(o, qname, qtype)))
            holders++;
    }
    size_t idx = server_index(s, &s->obs[from].addr);
    if (!v->any || holders > v->holders || (holders == v->holders && idx < v->first))
        *v = (vote){set, holders, idx, true};
}

static const vx__rrset *consensus(const vx__snapshot *s, const char *qname, uint16_t qtype)
{
    vote v = {0};
    for (size_t i = 0; i < s->obs_count; i++)
        if (usable_aa(&s->obs[i]) && same_question(&s->obs[i], qname, qtype))
            count_votes(s, qname, qtype, i, &v);
    if (v.any)
        return v.set;
    for (size_t i = 0; i < s->obs_count; i++)
        if (s->obs[i].kind == VX__PROBE_RESOLVE && same_question(&s->obs[i], qname, qtype))
            return answer_set(&s->obs[i], qname, qtype);
    return NULL;
}

/* ---- servers --------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    if (n == 0)
        return -1.0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static bool phase2(vx__probe_kind k)
{
    return k == VX__PROBE_DATA || k == VX__PROBE_NOEDNS || k == VX__PROBE_RECURSION ||
           k == VX__PROBE_VERSION || k == VX__PROBE_AXFR;
}

static void server_serial(const vx__snapshot *s, const vx__observation *o, vx__rserver *r)
{
    span t[MAX_TOKENS];
    const vx__rrset *soa = find_set(o, s->domain, T_SOA);
    if (r->has_serial || o->kind != VX__PROBE_DATA || o->qtype != T_SOA || !soa || soa->count == 0)
        return;
    if (split(soa->rdata[0], t, MAX_TOKENS) >= 3 && num(t[2], UINT32_MAX, &r->serial))
        r->has_serial = true;
}

static int server_facts(const vx__snapshot *s, size_t i, vx__rserver *r, double *rtts)
{
    const vx__server *sv = &s->servers[i];
    const struct sockaddr *addr = (const struct sockaddr *)&sv->addr;
    size_t n = 0;
    vx__server_label(sv->name, addr, r->label, sizeof r->label);
    vx__report_name(sv->name, r->name, sizeof r->name);
    if (vx__addr_format(addr, r->address, sizeof r->address) != VX_OK)
        r->address[0] = '\0';
    for (size_t j = 0; j < s->obs_count; j++) {
        const vx__observation *o = &s->obs[j];
        if (!phase2(o->kind) || !vx__addr_equal((const struct sockaddr *)&o->addr, addr))
            continue;
        bool ok = o->status == VX_OK;
        r->up = r->up || (ok && o->transport == VX__UDP);
        if (ok && o->kind == VX__PROBE_DATA && o->transport == VX__UDP && o->rtt_ms >= 0)
            rtts[n++] = o->rtt_ms;
        if (ok)
            server_serial(s, o, r);
        if (ok && !r->nsid && o->nsid)
            r->nsid = o->nsid;
    }
    r->rtt_ms = median(rtts, n);
    return VX_OK;
}

/* The report lists servers by name, IPv4 before IPv6: the snapshot holds them in the order their
 * addresses were learnt, which depends on which answer came back first. */
static int cmp_server(const void *a, const void *b)
{
    const vx__rserver *x = a, *y = b;
    int by_name = strcasecmp(x->name, y->name);
    if (by_name)
        return by_name;
    bool x6 = strchr(x->address, ':') != NULL, y6 = strchr(y->address, ':') != NULL;
    return x6 != y6 ? (int)x6 - (int)y6 : strcmp(x->address, y->address);
}

static int build_servers(const vx__snapshot *s, vx__rmodel *m)
{
    if (s->server_count == 0)
        return VX_OK;
    m->servers = calloc(s->server_count, sizeof *m->servers);
    double *rtts = calloc(s->obs_count ? s->obs_count : 1, sizeof *rtts);
    int rc = m->servers && rtts ? VX_OK : VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < s->server_count; i++) {
        rc = server_facts(s, i, &m->servers[i], rtts);
        m->server_count++;
        m->up_count += m->servers[i].up;
    }
    free(rtts);
    return rc;
}

/* ---- the SIP chain --------------------------------------------------------------------- */

static int add_naptr(vx__rmodel *m, const char *rdata, uint32_t ttl)
{
    span t[MAX_TOKENS];
    vx__rnaptr *n = &m->naptr[m->naptr_count];
    if (split(rdata, t, MAX_TOKENS) != 6 || !num16(t[0], &n->order) || !num16(t[1], &n->preference))
        return VX_OK; /* not a NAPTR the report can show; the checks say what is wrong */
    n->flags = unquote(t[2]);
    n->service = unquote(t[3]);
    n->regexp = unquote(t[4]);
    n->replacement = name_of(t[5]);
    n->ttl = ttl;
    m->naptr_count++;
    return n->flags && n->service && n->regexp && n->replacement ? VX_OK : VX_ENOMEM;
}

static int cmp_naptr(const void *a, const void *b)
{
    const vx__rnaptr *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return (x->preference > y->preference) - (x->preference < y->preference);
}

static int build_naptr(const vx__snapshot *s, vx__rmodel *m)
{
    const vx__rrset *set = consensus(s, s->domain, T_NAPTR);
    if (!set || set->count == 0)
        return VX_OK;
    m->naptr = calloc(set->count, sizeof *m->naptr);
    int rc = m->naptr ? VX_OK : VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < set->count; i++)
        rc = add_naptr(m, set->rdata[i], set->ttl);
    qsort(m->naptr, m->naptr_count, sizeof *m->naptr, cmp_naptr);
    return rc;
}

static int add_srv(vx__rmodel *m, const vx__rrset *set, const char *rdata)
{
    span t[MAX_TOKENS];
    vx__rsrv *r = &m->srv[m->srv_count];
    if (split(rdata, t, MAX_TOKENS) != 4 || !num16(t[0], &r->priority) ||
        !num16(t[1], &r->weight) || !num16(t[2], &r->port))
        return VX_OK;
    char owner[VX__NAME_TEXT_MAX];
    vx__report_name(set->owner, owner, sizeof owner);
    r->name = strdup(owner);
    r->target = name_of(t[3]);
    r->ttl = set->ttl;
    m->srv_count++;
    return r->name && r->target ? VX_OK : VX_ENOMEM;
}

static bool asked_before(const vx__snapshot *s, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (s->obs[j].qtype == s->obs[i].qtype && strcasecmp(s->obs[j].qname, s->obs[i].qname) == 0)
            return true;
    return false;
}

/* Every SRV name the audit asked, in the order it asked them. */
static int build_srv(const vx__snapshot *s, vx__rmodel *m)
{
    size_t cap = 0;
    for (size_t i = 0; i < s->obs_count; i++) {
        if (s->obs[i].qtype != T_SRV || asked_before(s, i))
            continue;
        const vx__rrset *set = consensus(s, s->obs[i].qname, T_SRV);
        if (!set)
            continue;
        vx__rsrv *grown = vx__grow(m->srv, &cap, m->srv_count + set->count, sizeof *grown, 8);
        if (!grown)
            return VX_ENOMEM;
        m->srv = grown;
        memset(&m->srv[m->srv_count], 0, set->count * sizeof *m->srv);
        for (size_t j = 0; j < set->count; j++)
            if (add_srv(m, set, set->rdata[j]) != VX_OK)
                return VX_ENOMEM;
    }
    return VX_OK;
}

static int take_addresses(vx__rtarget *t, const vx__rrset *set)
{
    if (!set)
        return VX_OK;
    char **grown = realloc(t->addresses, (t->address_count + set->count + 1) * sizeof *grown);
    if (!grown)
        return VX_ENOMEM;
    t->addresses = grown;
    for (size_t i = 0; i < set->count; i++)
        if (!(t->addresses[t->address_count++] = strdup(set->rdata[i])))
            return VX_ENOMEM;
    t->ttl = t->has_ttl && t->ttl < set->ttl ? t->ttl : set->ttl;
    t->has_ttl = true;
    return VX_OK;
}

static bool target_known(const vx__rmodel *m, const char *host)
{
    for (size_t i = 0; i < m->target_count; i++)
        if (strcasecmp(m->targets[i].host, host) == 0)
            return true;
    return false;
}

static int add_target(const vx__snapshot *s, vx__rmodel *m, const char *host)
{
    char fqdn[VX__NAME_TEXT_MAX + 1];
    vx__rtarget *t = &m->targets[m->target_count++];
    snprintf(fqdn, sizeof fqdn, "%s.", host);
    if (!(t->host = strdup(host)))
        return VX_ENOMEM;
    int rc = take_addresses(t, consensus(s, fqdn, T_A));
    return rc == VX_OK ? take_addresses(t, consensus(s, fqdn, T_AAAA)) : rc;
}

static int build_targets(const vx__snapshot *s, vx__rmodel *m)
{
    if (m->srv_count == 0)
        return VX_OK;
    m->targets = calloc(m->srv_count, sizeof *m->targets);
    if (!m->targets)
        return VX_ENOMEM;
    for (size_t i = 0; i < m->srv_count; i++) {
        const char *host = m->srv[i].target;
        if (strcmp(host, ".") == 0 || target_known(m, host))
            continue;
        if (add_target(s, m, host) != VX_OK)
            return VX_ENOMEM;
    }
    return VX_OK;
}

/* Without declarations or an ASN database: what a snapshot alone says. */
static int infer_providers(const vx__snapshot *snap, vx__provider_map *out)
{
    vx__check_config cfg;
    vx__check_config_default(&cfg);
    cfg.profile = snap->profile;
    cfg.now_s = snap->started_ms / 1000u;
    return vx__providers_build(snap, &cfg, out);
}

int vx__report_providers(const vx__report_input *in, vx__provider_map *own,
                         const vx__provider_map **use)
{
    memset(own, 0, sizeof *own);
    *use = in->providers;
    if (in->providers)
        return VX_OK;
    int rc = infer_providers(in->snap, own);
    *use = rc == VX_OK ? own : NULL;
    return rc;
}

static void server_providers(const vx__snapshot *snap, const vx__provider_map *pm, vx__rmodel *m)
{
    vx__provider_map own;
    if (!pm && infer_providers(snap, &own) == VX_OK)
        pm = &own;
    else if (!pm)
        return;
    for (size_t i = 0; i < m->server_count; i++)
        snprintf(m->servers[i].provider, sizeof m->servers[i].provider, "%s",
                 vx__provider_of(pm, i));
    if (pm == &own)
        vx__providers_free(&own);
}

int vx__rmodel_build(const vx__snapshot *snap, vx__rmodel *m)
{
    return vx__rmodel_build_with(snap, NULL, m);
}

int vx__rmodel_build_with(const vx__snapshot *snap, const vx__provider_map *pm, vx__rmodel *m)
{
    memset(m, 0, sizeof *m);
    if (!snap)
        return VX_EINVAL;
    int rc = build_servers(snap, m);
    if (rc == VX_OK)
        server_providers(snap, pm, m); /* by snapshot index: before the servers are sorted */
    if (rc == VX_OK && m->server_count > 1)
        qsort(m->servers, m->server_count, sizeof *m->servers, cmp_server);
    if (rc == VX_OK && snap->domain)
        rc = build_naptr(snap, m);
    if (rc == VX_OK)
        rc = build_srv(snap, m);
    if (rc == VX_OK)
        rc = build_targets(snap, m);
    if (rc != VX_OK)
        vx__rmodel_free(m);
    return rc;
}

int vx__rmodel_build_live(const vx__report_input *in, vx__rmodel *m)
{
    memset(m, 0, sizeof *m);
    if (!in->snap->undelegated || !in->snap->live)
        return VX_ENOTFOUND;
    return vx__rmodel_build_with(in->snap->live, in->live_providers, m);
}

void vx__report_given(const vx__ns_spec *g, char *out, size_t cap)
{
    if (vx__ns_spec_format(g, out, cap) != VX_OK)
        snprintf(out, cap, "?");
}

void vx__rmodel_free(vx__rmodel *m)
{
    for (size_t i = 0; i < m->naptr_count; i++) {
        free(m->naptr[i].flags);
        free(m->naptr[i].service);
        free(m->naptr[i].regexp);
        free(m->naptr[i].replacement);
    }
    for (size_t i = 0; i < m->srv_count; i++) {
        free(m->srv[i].name);
        free(m->srv[i].target);
    }
    for (size_t i = 0; i < m->target_count; i++) {
        for (size_t j = 0; j < m->targets[i].address_count; j++)
            free(m->targets[i].addresses[j]);
        free(m->targets[i].addresses);
        free(m->targets[i].host);
    }
    free(m->servers);
    free(m->naptr);
    free(m->srv);
    free(m->targets);
    memset(m, 0, sizeof *m);
}
