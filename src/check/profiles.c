/*
 * check/profiles.c — owns the checks of the Lync/Skype for Business and Teams profiles
 * (CHECKS.md "profiles"): the records automatic configuration looks for, and the strict
 * domain match of sign-in SRV targets. Under any other profile they produce nothing.
 */
#include <stdio.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"
#include "wire/query.h"

static bool profile_is(const vx__check_config *cfg, const vx__snapshot *snap, const char *p)
{
    const char *profile = cfg->profile ? cfg->profile : snap->profile;
    return profile && strcmp(profile, p) == 0;
}

/* What an expected record must be: a type at prefix.D, and for Teams its value. */
typedef struct expected {
    const char *prefix;
    uint16_t type;      /* the type asked (A for the two host names) */
    const char *cname;  /* teams: the CNAME target, else NULL */
    const char *target; /* teams: the SRV target, else NULL */
    uint16_t port;      /* teams: the SRV port */
} expected;

static const expected lync_records[] = {
    {"_sipinternaltls._tcp.", VX__T_SRV, NULL, NULL, 0},
    {"_sipfederationtls._tcp.", VX__T_SRV, NULL, NULL, 0},
    {"_sip._tls.", VX__T_SRV, NULL, NULL, 0},
    {"lyncdiscover.", VX__T_A, NULL, NULL, 0},
    {"sip.", VX__T_A, NULL, NULL, 0},
};

/* Microsoft 365 (Teams / Skype for Business Online) documented values. */
static const expected teams_records[] = {
    {"sip.", VX__T_A, "sipdir.online.lync.com.", NULL, 0},
    {"lyncdiscover.", VX__T_A, "webdir.online.lync.com.", NULL, 0},
    {"_sip._tls.", VX__T_SRV, NULL, "sipdir.online.lync.com.", 443},
    {"_sipfederationtls._tcp.", VX__T_SRV, NULL, "sipfed.online.lync.com.", 5061},
};

static bool srv_has(const vx__rrset *set, const char *target, uint16_t port)
{
    for (size_t i = 0; set && i < set->count; i++) {
        uint16_t p, w, po;
        char t[VX__NAME_TEXT_MAX];
        if (vx__srv_parse(set->rdata[i], &p, &w, &po, t, sizeof t) == VX_OK && po == port &&
            vx__name_eq(t, target))
            return true;
    }
    return false;
}

/* Empty when the record is as expected; else why not (into why). */
static void judge(const expected *e, const vx__answer *a, char *why, size_t cap)
{
    why[0] = '\0';
    if (!a->set && !a->cname) {
        if (vx__answer_conclusive(a))
            snprintf(why, cap, "is missing (%s)", vx__answer_why_empty(a));
        return;
    }
    char want[VX__NAME_TEXT_MAX], got[VX__NAME_TEXT_MAX] = "";
    if (e->cname && (!a->cname || !vx__name_eq(a->cname->rdata[0], e->cname))) {
        vx__name_show(e->cname, want, sizeof want);
        if (a->cname)
            vx__name_show(a->cname->rdata[0], got, sizeof got);
        snprintf(why, cap, "should be a CNAME to %s, but is %s%s", want,
                 a->cname ? "a CNAME to " : "not an alias", got);
    } else if (e->target && !srv_has(a->set, e->target, e->port)) {
        vx__name_show(e->target, want, sizeof want);
        snprintf(why, cap, "should point to %s port %u, but does not", want, e->port);
    }
}

static void check_records(const vx__view *v, const expected *list, size_t n, const char *who,
                          vx__findings *out)
{
    for (size_t i = 0; i < n; i++) {
        char name[VX__NAME_TEXT_MAX], shown[VX__NAME_TEXT_MAX], why[3 * VX__NAME_TEXT_MAX];
        snprintf(name, sizeof name, "%s%s", list[i].prefix, v->snap->domain);
        vx__answer a;
        vx__view_answer(v, name, list[i].type, &a);
        judge(&list[i], &a, why, sizeof why);
        if (!why[0])
            continue;
        vx__name_show(name, shown, sizeof shown);
        const char *type = list[i].type == VX__T_SRV ? "SRV" : list[i].cname ? "CNAME" : "A/CNAME";
        vx__finding *f = vx__finding_add(out, "LYNC-RECORD-MISSING", "%s %s, which %s expects, %s",
                                         shown, type, who, why);
        vx__finding_add_name(f, name);
    }
}

/* Judgement: the catalogue's list is kept as it is, _sipinternaltls._tcp included, although
 * many deployments publish that one only in internal DNS (docs/checks-judgement.md). */
VX__CHECK_FN(vx__chk_lync_record_missing)
{
    bool lync = profile_is(cfg, snap, "lync"), teams = profile_is(cfg, snap, "teams");
    vx__view v;
    if ((!lync && !teams) || vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    if (lync)
        check_records(&v, lync_records, sizeof lync_records / sizeof lync_records[0],
                      "Lync/Skype automatic configuration", out);
    else
        check_records(&v, teams_records, sizeof teams_records / sizeof teams_records[0],
                      "Microsoft 365", out);
    vx__view_free(&v);
}

static bool sign_in_name(const vx__view *v, const char *owner)
{
    static const char *const prefixes[] = {"_sipinternaltls._tcp.", "_sip._tls."};
    char name[VX__NAME_TEXT_MAX];
    for (size_t i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s%s", prefixes[i], v->snap->domain);
        if (vx__name_eq(name, owner))
            return true;
    }
    return false;
}

VX__CHECK_FN(vx__chk_lync_strict_name)
{
    vx__view v;
    if (!profile_is(cfg, snap, "lync") || vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    char d[VX__NAME_TEXT_MAX], o[VX__NAME_TEXT_MAX], h[VX__NAME_TEXT_MAX];
    vx__name_show(snap->domain, d, sizeof d);
    for (size_t i = 0; i < v.srv_count; i++) {
        const char *owner = v.srvnames[v.srvs[i].name].owner;
        const char *host = v.hosts[v.srvs[i].host].name;
        if (!sign_in_name(&v, owner) || vx__name_is_subdomain(host, snap->domain))
            continue;
        vx__name_show(owner, o, sizeof o);
        vx__name_show(host, h, sizeof h);
        vx__finding *f = vx__finding_add(
            out, "LYNC-STRICT-NAME",
            "the sign-in record %s points to %s, which is neither %s nor under it: Lync/Skype "
            "clients refuse to sign in",
            o, h, d);
        vx__finding_add_name(f, owner);
        vx__finding_add_name(f, host);
    }
    vx__view_free(&v);
}
