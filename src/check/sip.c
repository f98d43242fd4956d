/*
 * check/sip.c — owns the checks on the top of the SIP chain (CHECKS.md "sip", RFC 3263):
 * anything at all to locate the service, the NAPTR records (complete, well-formed, leading to
 * SRV records), and SRV records at the domain itself. The SRV targets are checked in
 * sip_targets.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"

static bool is_enum(const vx__view *v)
{
    return strcmp(v->profile, "enum") == 0;
}

/* A NAPTR that leads to SIP: SIP+/SIPS+ services; under the enum profile also E2U+sip. */
static bool naptr_counts(const vx__view *v, const vx__cv_naptr *n)
{
    return n->sip || (is_enum(v) && strncasecmp(n->service, "E2U+", 4) == 0 &&
                      strcasestr(n->service, "sip") != NULL);
}

static size_t sip_naptr_count(const vx__view *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->naptr_count; i++)
        n += v->naptrs[i].sip;
    return n;
}

static void naptr_show(const vx__cv_naptr *n, char *out, size_t cap)
{
    /* Truncation only shortens a message; the return value is checked to say so. */
    if (snprintf(out, cap, "%u %u \"%s\" \"%s\" \"%s\" %s", n->order, n->pref, n->flags, n->service,
                 n->regexp, n->replacement) < 0)
        out[0] = '\0';
}

/* Judgement: only conclusive answers (NOERROR/NXDOMAIN from the authoritative servers) count;
 * when every server is dead the availability checks say so and this one stays silent. */
VX__CHECK_FN(vx__chk_sip_no_records)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    bool any = false, conclusive = vx__answer_conclusive(&v.naptr);
    for (size_t i = 0; i < v.naptr_count; i++)
        any |= naptr_counts(&v, &v.naptrs[i]);
    for (size_t i = 0; i < v.srvname_count; i++) {
        any |= v.srvnames[i].ans.set != NULL;
        conclusive |= vx__answer_conclusive(&v.srvnames[i].ans);
    }
    vx__answer a, aaaa;
    vx__view_answer(&v, snap->domain, VX__T_A, &a);
    vx__view_answer(&v, snap->domain, VX__T_AAAA, &aaaa);
    any |= a.set || aaaa.set;
    if (!any && conclusive) {
        char d[VX__NAME_TEXT_MAX];
        vx__name_show(snap->domain, d, sizeof d);
        vx__finding *f = vx__finding_add(
            out, "SIP-NO-RECORDS",
            "%s has no SIP NAPTR, no SRV at _sip._udp, _sip._tcp or _sips._tcp and no "
            "address: phones cannot locate the service",
            d);
        vx__finding_add_name(f, snap->domain);
    }
    vx__view_free(&v);
}

static bool has_service(const vx__view *v, const char *service)
{
    for (size_t i = 0; i < v->naptr_count; i++)
        if (strcasecmp(v->naptrs[i].service, service) == 0)
            return true;
    return false;
}

VX__CHECK_FN(vx__chk_naptr_incomplete)
{
    static const char *const wanted[] = {"SIP+D2U", "SIP+D2T", "SIPS+D2T"};
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    vx__strbuf missing = {0};
    for (size_t i = 0; sip_naptr_count(&v) > 0 && i < 3; i++)
        if (!has_service(&v, wanted[i]))
            vx__sb_item(&missing, wanted[i]);
    if (missing.len) {
        char d[VX__NAME_TEXT_MAX];
        vx__name_show(snap->domain, d, sizeof d);
        vx__finding *f = vx__finding_add(
            out, "NAPTR-INCOMPLETE",
            "the NAPTR records of %s lack %s: clients that use NAPTR will not try that transport",
            d, vx__sb_str(&missing));
        vx__finding_add_name(f, snap->domain);
    }
    vx__sb_free(&missing);
    vx__view_free(&v);
}

/* An SRV owner name: its first two labels start with '_' (_service._proto.name). */
static bool srv_owner_like(const char *name)
{
    if (name[0] != '_')
        return false;
    const char *dot = strchr(name, '.');
    return dot && dot[1] == '_' && strchr(dot + 1, '.') && strchr(dot + 1, '.')[1] != '\0';
}

static void naptr_problems(const vx__cv_naptr *n, vx__strbuf *sb)
{
    if (strcasecmp(n->flags, "s") != 0)
        vx__sb_add(sb, "flag \"%s\" instead of \"s\"", n->flags);
    if (n->regexp[0])
        vx__sb_add(sb, "%sa regexp \"%s\" (must be empty)", sb->len ? "; " : "", n->regexp);
    if (!srv_owner_like(n->replacement))
        vx__sb_add(sb, "%sreplacement %s is not an SRV name (_service._proto.domain)",
                   sb->len ? "; " : "", n->replacement);
}

VX__CHECK_FN(vx__chk_naptr_invalid)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    char d[VX__NAME_TEXT_MAX], rec[1200];
    vx__name_show(snap->domain, d, sizeof d);
    for (size_t i = 0; i < v.naptr_count; i++) {
        const vx__cv_naptr *n = &v.naptrs[i];
        vx__strbuf sb = {0};
        if (n->sip)
            naptr_problems(n, &sb);
        if (sb.len) {
            naptr_show(n, rec, sizeof rec);
            vx__finding *f = vx__finding_add(out, "NAPTR-INVALID", "the NAPTR %s NAPTR %s has %s",
                                             d, rec, vx__sb_str(&sb));
            vx__finding_add_name(f, snap->domain);
        }
        vx__sb_free(&sb);
    }
    vx__view_free(&v);
}

static const vx__cv_srvname *srvname_of(const vx__view *v, const char *owner)
{
    for (size_t i = 0; i < v->srvname_count; i++)
        if (vx__name_eq(v->srvnames[i].owner, owner))
            return &v->srvnames[i];
    return NULL;
}

VX__CHECK_FN(vx__chk_naptr_dangling)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    for (size_t i = 0; i < v.naptr_count; i++) {
        const vx__cv_naptr *n = &v.naptrs[i];
        const vx__cv_srvname *s =
            n->sip && strcmp(n->replacement, ".") != 0 ? srvname_of(&v, n->replacement) : NULL;
        if (!s || s->ans.set || !vx__answer_conclusive(&s->ans))
            continue;
        char r[VX__NAME_TEXT_MAX];
        vx__name_show(n->replacement, r, sizeof r);
        vx__finding *f = vx__finding_add(out, "NAPTR-DANGLING",
                                         "the %s NAPTR points to %s, which has no SRV records (%s)",
                                         n->service, r, vx__answer_why_empty(&s->ans));
        vx__finding_add_name(f, snap->domain);
        vx__finding_add_name(f, n->replacement);
    }
    vx__view_free(&v);
}

/* Fires only when the three standard names all answered conclusively without SRV records. */
VX__CHECK_FN(vx__chk_srv_missing_at_domain)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    bool missing = sip_naptr_count(&v) > 0;
    for (size_t i = 0; missing && i < v.srvname_count; i++) {
        const vx__cv_srvname *s = &v.srvnames[i];
        if (s->standard && (s->ans.set || !vx__answer_conclusive(&s->ans)))
            missing = false;
    }
    if (missing) {
        char d[VX__NAME_TEXT_MAX];
        vx__name_show(snap->domain, d, sizeof d);
        vx__finding *f = vx__finding_add(
            out, "SRV-MISSING-AT-DOMAIN",
            "%s has SIP NAPTR records but no SRV at _sip._udp, _sip._tcp or _sips._tcp.%s: "
            "phones that skip NAPTR find nothing",
            d, d);
        vx__finding_add_name(f, snap->domain);
        for (size_t i = 0; i < v.srvname_count; i++)
            if (v.srvnames[i].standard)
                vx__finding_add_name(f, v.srvnames[i].owner);
    }
    vx__view_free(&v);
}
