/*
 * check/view_sip.c — owns the SIP chain of the view: the domain's NAPTR RRset, the SRV names
 * sip/'s locator reaches over the view (every path: the standard names, each usable NAPTR
 * replacement, the profile's Lync/Teams names), each SRV record of them, and each target host
 * with its A and AAAA answers. Every
 * answer is the consensus of the authoritative addresses (or a walk's for names outside the
 * domain), so the checks see what a resolver would most likely cache.
 */
#include "check/view_sip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/locate_snapshot.h"
#include "voxdns/status.h"

/* Grows an array by one element (zeroed); NULL when out of memory. */
static void *grow(void **arr, size_t *count, size_t size)
{
    char *p = realloc(*arr, (*count + 1) * size);
    if (!p)
        return NULL;
    *arr = p;
    memset(p + *count * size, 0, size);
    return p + (*count)++ * size;
}

/* A decoded character-string as the checks show it: a NUL octet becomes '?'. */
static void string_text(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = len < cap ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i] ? s[i] : '?';
    out[n] = '\0';
}

static bool service_is_sip(const char *service)
{
    return strncasecmp(service, "SIP+", 4) == 0 || strncasecmp(service, "SIPS+", 5) == 0;
}

static int naptr_parse(const vx__rrset *set, size_t i, vx__cv_naptr *out)
{
    vx__naptr_fields f;
    if (vx__naptr_parse(set->rdata[i], &f) != VX_OK)
        return VX_EMALFORMED;
    out->order = f.order;
    out->pref = f.pref;
    string_text(f.str[0], f.len[0], out->flags, sizeof out->flags);
    string_text(f.str[1], f.len[1], out->service, sizeof out->service);
    string_text(f.str[2], f.len[2], out->regexp, sizeof out->regexp);
    snprintf(out->replacement, sizeof out->replacement, "%s", f.replacement);
    out->sip = service_is_sip(out->service);
    return VX_OK;
}

static int naptrs_build(vx__view *v)
{
    vx__view_answer(v, v->snap->domain, VX__T_NAPTR, &v->naptr);
    const vx__rrset *set = v->naptr.set;
    for (size_t i = 0; set && i < set->count; i++) {
        vx__cv_naptr tmp;
        memset(&tmp, 0, sizeof tmp);
        if (naptr_parse(set, i, &tmp) != VX_OK)
            continue;
        vx__cv_naptr *n = grow((void **)&v->naptrs, &v->naptr_count, sizeof *n);
        if (!n)
            return VX_ENOMEM;
        *n = tmp;
    }
    return VX_OK;
}

vx__sipt vx__sipt_of_owner(const char *owner)
{
    if (strncasecmp(owner, "_sips.", 6) == 0 || strncasecmp(owner, "_sip._tls.", 10) == 0 ||
        strncasecmp(owner, "_sipinternaltls.", 16) == 0 ||
        strncasecmp(owner, "_sipfederationtls.", 18) == 0)
        return VX__SIPT_TLS;
    if (strncasecmp(owner, "_sip._udp.", 10) == 0)
        return VX__SIPT_UDP;
    if (strncasecmp(owner, "_sip._tcp.", 10) == 0)
        return VX__SIPT_TCP;
    return VX__SIPT_OTHER;
}

const char *vx__sipt_name(vx__sipt t)
{
    static const char *const names[] = {"other", "udp", "tcp", "tls"};
    return names[t];
}

static vx__sipt sipt_of(vx__sip_transport t)
{
    switch (t) {
    case VX__SIP_UDP:
        return VX__SIPT_UDP;
    case VX__SIP_TCP:
        return VX__SIPT_TCP;
    case VX__SIP_TLS:
        return VX__SIPT_TLS;
    default:
        return VX__SIPT_OTHER;
    }
}

static vx__cv_srvname *srvname_add(vx__view *v, const char *owner)
{
    for (size_t i = 0; i < v->srvname_count; i++)
        if (vx__name_eq(v->srvnames[i].owner, owner))
            return &v->srvnames[i];
    vx__cv_srvname *s = grow((void **)&v->srvnames, &v->srvname_count, sizeof *s);
    if (s) {
        snprintf(s->owner, sizeof s->owner, "%s", owner);
        s->transport = vx__sipt_of_owner(owner);
    }
    return s;
}

/* The three names the checks expect at the domain come first, whatever the chain reaches. */
static int standard_add(vx__view *v)
{
    static const vx__sip_transport std[] = {VX__SIP_UDP, VX__SIP_TCP, VX__SIP_TLS};
    char name[VX__NAME_TEXT_MAX];
    for (size_t i = 0; i < sizeof std / sizeof std[0]; i++) {
        if (vx__sip_srv_owner(std[i], v->snap->domain, name, sizeof name) != VX_OK)
            continue;
        vx__cv_srvname *s = srvname_add(v, name);
        if (!s)
            return VX_ENOMEM;
        s->standard = true;
    }
    return VX_OK;
}

static void srvname_note(vx__cv_srvname *s, const vx__sip_service *svc)
{
    s->profile |= svc->extra;
    /* A NAPTR's service says which transport its SRV name stands for. */
    if (svc->source == VX__SIP_SRC_NAPTR) {
        s->from_naptr = true;
        if (sipt_of(svc->transport) != VX__SIPT_OTHER)
            s->transport = sipt_of(svc->transport);
    }
}

/* The SRV names are those sip/'s locator reaches over this view, every path a client could take
 * (each usable NAPTR record, the default names, the profile's names). */
static int srvnames_build(vx__view *v)
{
    vx__sip_snap_opts o = {
        .mode = VX__SIP_SNAP_CONSENSUS, .view = v, .every_path = true, .profile = v->profile};
    vx__sip_result *res = NULL;
    int rc = standard_add(v);
    if (rc != VX_OK)
        return rc;
    rc = vx__sip_locate_snapshot(v->snap->domain, &o, &res);
    if (!res)
        return rc == VX_ENOMEM ? VX_ENOMEM : VX_OK;
    rc = res->status == VX_ENOMEM ? VX_ENOMEM : VX_OK;
    for (size_t i = 0; rc == VX_OK && i < res->service_count; i++) {
        vx__cv_srvname *s = srvname_add(v, res->services[i].owner);
        if (!s)
            rc = VX_ENOMEM;
        else
            srvname_note(s, &res->services[i]);
    }
    vx__sip_result_free(res);
    for (size_t i = 0; rc == VX_OK && i < v->srvname_count; i++)
        vx__view_answer(v, v->srvnames[i].owner, VX__T_SRV, &v->srvnames[i].ans);
    return rc;
}

static int host_index(vx__view *v, const char *name, size_t *out)
{
    for (size_t i = 0; i < v->host_count; i++) {
        if (vx__name_eq(v->hosts[i].name, name)) {
            *out = i;
            return VX_OK;
        }
    }
    vx__cv_host *h = grow((void **)&v->hosts, &v->host_count, sizeof *h);
    if (!h)
        return VX_ENOMEM;
    snprintf(h->name, sizeof h->name, "%s", name);
    *out = v->host_count - 1;
    return VX_OK;
}

static int srv_records_build(vx__view *v, size_t name_idx)
{
    const vx__rrset *set = v->srvnames[name_idx].ans.set;
    for (size_t i = 0; set && i < set->count; i++) {
        vx__cv_srv rec = {.name = name_idx};
        char target[VX__NAME_TEXT_MAX];
        if (vx__srv_parse(set->rdata[i], &rec.priority, &rec.weight, &rec.port, target,
                          sizeof target) != VX_OK ||
            strcmp(target, ".") == 0)
            continue;
        if (host_index(v, target, &rec.host) != VX_OK)
            return VX_ENOMEM;
        vx__cv_srv *r = grow((void **)&v->srvs, &v->srv_count, sizeof *r);
        if (!r)
            return VX_ENOMEM;
        *r = rec;
    }
    return VX_OK;
}

int vx__view_sip_build(vx__view *v)
{
    int rc = naptrs_build(v);
    if (rc == VX_OK)
        rc = srvnames_build(v);
    for (size_t i = 0; rc == VX_OK && i < v->srvname_count; i++)
        rc = srv_records_build(v, i);
    for (size_t i = 0; rc == VX_OK && i < v->host_count; i++) {
        vx__view_answer(v, v->hosts[i].name, VX__T_A, &v->hosts[i].a);
        vx__view_answer(v, v->hosts[i].name, VX__T_AAAA, &v->hosts[i].aaaa);
    }
    return rc;
}

size_t vx__host_addrs(const vx__cv_host *h, struct sockaddr_storage *out, size_t cap)
{
    size_t n = 0;
    const vx__rrset *sets[2] = {h->a.set, h->aaaa.set};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; sets[k] && i < sets[k]->count; i++) {
            struct sockaddr_storage ss;
            socklen_t len;
            if (vx__addr_parse(sets[k]->rdata[i], 5060, &ss, &len) != VX_OK)
                continue;
            if (n < cap)
                out[n] = ss;
            n++;
        }
    }
    return n;
}

/* ---- delegation ---------------------------------------------------------------------------- */

/* The view vx__run_checks built for its snapshot: each of ~50 checks asked for the same view
 * and built it again, the SIP chain's locator included (a fifth of a first cycle's CPU). */
static _Thread_local const vx__view *shared_view;

void vx__check_view_share(const vx__view *v)
{
    shared_view = v;
}

int vx__check_view_build(const vx__snapshot *snap, const char *profile, vx__view *v)
{
    const vx__view *s = shared_view;
    if (s && s->snap == snap &&
        strcmp(s->profile, profile         ? profile
                           : snap->profile ? snap->profile
                                           : "generic") == 0) {
        *v = *s;
        v->borrowed = true;
        return VX_OK;
    }
    int rc = vx__view_build(snap, profile, v);
    if (rc == VX_OK && (rc = vx__view_sip_build(v)) != VX_OK)
        vx__view_free(v);
    return rc;
}
