/*
 * check/endpoints.c — owns the endpoint checks (CHECKS.md "endpoints"): reachability of every
 * SIP target tuple by OPTIONS, and the TLS session and certificate of every TLS tuple, judged
 * per RFC 5922 against the SIP domain.
 *
 * The tuples judged are sip/'s over the consensus answers, every path a client could take
 * (sip/locate_snapshot.h), each with the endpoint observation the probe recorded for it. A
 * snapshot taken without endpoints (--no-endpoints, or a monitor with endpoints: false) gives no
 * finding, nor does a tuple that was never probed (SCTP, internal addresses).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "sip/locate_snapshot.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/cert.h"

#define DAY_S 86400

/* One judged tuple: the target, its observation, and the label findings carry. */
typedef struct ep_tuple {
    const vx__sip_target *t;
    const vx__endpoint_obs *obs;
    char where[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 32]; /* "sip1.example.com (192.0.2.1,
                                                              port 5061, TLS)" */
    char label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 2];  /* "sip1.example.com/192.0.2.1" */
} ep_tuple;

typedef struct ep_list {
    vx__sip_result *res;
    ep_tuple *items;
    size_t count;
} ep_list;

static const vx__endpoint_obs *find_obs(const vx__snapshot *s, vx__sip_transport t,
                                        const struct sockaddr *sa)
{
    static const vx__sip_transport of[] = {VX__SIP_UDP, VX__SIP_TCP, VX__SIP_TLS};
    for (size_t i = 0; i < s->endpoint_count; i++) {
        const vx__endpoint_obs *e = &s->endpoints[i];
        if (of[e->transport] == t && vx__addr_equal((const struct sockaddr *)&e->addr, sa))
            return e;
    }
    return NULL;
}

static void describe(ep_tuple *e)
{
    char host[VX__NAME_TEXT_MAX], addr[VX__ADDR_TEXT_MAX];
    vx__name_show(e->t->host, host, sizeof host);
    vx__addr_format((const struct sockaddr *)&e->t->addr, addr, sizeof addr);
    snprintf(e->where, sizeof e->where, "%s (%s, port %u, %s)", host, addr, e->t->port,
             e->t->transport == VX__SIP_TLS   ? "TLS"
             : e->t->transport == VX__SIP_TCP ? "TCP"
                                              : "UDP");
    snprintf(e->label, sizeof e->label, "%s/%s", host, addr);
}

/* The probed tuples of the domain's chain, in the order a client tries them. */
static int ep_list_build(const vx__snapshot *snap, const vx__check_config *cfg, ep_list *out)
{
    vx__view v;
    memset(out, 0, sizeof *out);
    if (!snap->endpoints_probed || vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return VX_ENOTFOUND;
    vx__sip_snap_opts o = {
        .mode = VX__SIP_SNAP_CONSENSUS, .view = &v, .every_path = true, .profile = v.profile};
    vx__sip_locate_snapshot(snap->domain, &o, &out->res);
    vx__view_free(&v);
    if (!out->res)
        return VX_ENOMEM;
    out->items = calloc(out->res->count ? out->res->count : 1, sizeof *out->items);
    for (size_t i = 0; out->items && i < out->res->count; i++) {
        const vx__sip_target *t = &out->res->targets[i];
        const vx__endpoint_obs *obs =
            find_obs(snap, t->transport, (const struct sockaddr *)&t->addr);
        if (!obs) /* never probed: SCTP, an internal address */
            continue;
        ep_tuple *e = &out->items[out->count++];
        *e = (ep_tuple){.t = t, .obs = obs};
        describe(e);
    }
    return out->items ? VX_OK : VX_ENOMEM;
}

static void ep_list_free(ep_list *l)
{
    vx__sip_result_free(l->res);
    free(l->items);
}

static vx__finding *add(vx__findings *out, const ep_tuple *e, const char *id, const char *fmt,
                        const char *detail)
{
    vx__finding *f = vx__finding_add(out, id, fmt, e->where, detail);
    vx__finding_add_server(f, e->label);
    vx__finding_add_name(f, e->t->host);
    return f;
}

/* ---- reachability ---------------------------------------------------------------------- */

/* A TLS tuple whose TLS session failed for a TLS reason (refused, reset, protocol, a stalled
 * handshake), as opposed to one that never answered at all. */
static bool handshake_failed(const vx__endpoint_obs *o)
{
    return o->transport == VX__EP_TLS && !o->tls_ok && (o->status != VX_ETIMEDOUT || o->connected);
}

VX__CHECK_FN(vx__chk_sip_options_no_answer)
{
    ep_list l;
    if (ep_list_build(snap, cfg, &l) != VX_OK)
        return;
    for (size_t i = 0; i < l.count; i++) {
        const vx__endpoint_obs *o = l.items[i].obs;
        if (o->status != VX_OK && !handshake_failed(o))
            add(out, &l.items[i], "SIP-OPTIONS-NO-ANSWER", "%s gave no answer to OPTIONS: %s",
                o->error ? o->error : vx_strerror(o->status));
    }
    ep_list_free(&l);
}

VX__CHECK_FN(vx__chk_sip_options_error)
{
    ep_list l;
    char detail[160];
    if (ep_list_build(snap, cfg, &l) != VX_OK)
        return;
    for (size_t i = 0; i < l.count; i++) {
        const vx__endpoint_obs *o = l.items[i].obs;
        if (o->status != VX_OK || o->code < 500)
            continue;
        snprintf(detail, sizeof detail, "%u%s%s", o->code, o->reason ? " " : "",
                 o->reason ? o->reason : "");
        add(out, &l.items[i], "SIP-OPTIONS-ERROR", "%s answers OPTIONS with %s", detail);
    }
    ep_list_free(&l);
}

VX__CHECK_FN(vx__chk_sip_targets_all_down)
{
    ep_list l;
    if (ep_list_build(snap, cfg, &l) != VX_OK)
        return;
    size_t answered = 0;
    for (size_t i = 0; i < l.count; i++)
        answered += l.items[i].obs->status == VX_OK;
    if (l.count > 0 && answered == 0) {
        char d[VX__NAME_TEXT_MAX];
        vx__name_show(snap->domain, d, sizeof d);
        vx__finding *f = vx__finding_add(
            out, "SIP-TARGETS-ALL-DOWN",
            "no SIP server of %s answers OPTIONS: %zu target tuple%s, none answered", d, l.count,
            l.count == 1 ? "" : "s");
        for (size_t i = 0; i < l.count; i++) {
            vx__finding_add_server(f, l.items[i].label);
            vx__finding_add_name(f, l.items[i].t->host);
        }
    }
    ep_list_free(&l);
}

/* ---- TLS ------------------------------------------------------------------------------- */

VX__CHECK_FN(vx__chk_tls_handshake_failed)
{
    ep_list l;
    if (ep_list_build(snap, cfg, &l) != VX_OK)
        return;
    for (size_t i = 0; i < l.count; i++) {
        const vx__endpoint_obs *o = l.items[i].obs;
        if (handshake_failed(o))
            add(out, &l.items[i], "TLS-HANDSHAKE-FAILED", "%s: no TLS session (%s)",
                o->error ? o->error : vx_strerror(o->status));
    }
    ep_list_free(&l);
}

/* The leaf of a completed session, parsed; false when there is none. */
static bool leaf_of(const vx__endpoint_obs *o, vx__cert_facts *leaf)
{
    return o->transport == VX__EP_TLS && o->tls_ok && o->chain_count > 0 &&
           vx__cert_from_b64(o->chain[0], leaf) == VX_OK;
}

/* Validity errors are TLS-CERT-EXPIRED's when the leaf itself is out of its dates. */
static bool dates_only(const vx__endpoint_obs *o, const vx__cert_facts *leaf, uint64_t now)
{
    bool out_of_dates = (int64_t)now > leaf->not_after || (int64_t)now < leaf->not_before;
    return out_of_dates && (o->verify == 9 /* not yet valid */ || o->verify == 10 /* expired */);
}

VX__CHECK_FN(vx__chk_tls_cert_untrusted)
{
    ep_list l;
    vx__cert_facts leaf;
    char detail[512];
    if (ep_list_build(snap, cfg, &l) != VX_OK)
        return;
    for (size_t i = 0; i < l.count; i++) {
        const vx__endpoint_obs *o = l.items[i].obs;
        if (!leaf_of(o, &leaf))
            continue;
        if (o->verify != 0 && !dates_only(o, &leaf, cfg->now_s)) {
            snprintf(detail, sizeof detail, "%s; issuer %s",
                     o->verify_error ? o->verify_error : "verification failed", leaf.issuer);
            add(out, &l.items[i], "TLS-CERT-UNTRUSTED",
                "%s presents a certificate that does not verify against the trust store: %s",
                detail);
        }
        vx__cert_clear(&leaf);
    }
    ep_list_free(&l);
}

VX__CHECK_FN(vx__chk_tls_cert_name_mismatch)
{
    ep_list l;
    vx__cert_facts leaf;
    char names[1024], detail[1400];
    if (ep_list_build(snap, cfg, &l) != VX_OK)
        return;
    for (size_t i = 0; i < l.count; i++) {
        const ep_tuple *e = &l.items[i];
        const char *domain = e->t->tls_identity;
        if (!domain || !leaf_of(e->obs, &leaf))
            continue;
        if (vx__cert_match_sip_domain(&leaf, domain) == VX__CERT_MATCH_NONE) {
            vx__cert_names_text(&leaf, names, sizeof names);
            snprintf(detail, sizeof detail,
                     "names %s, not the SIP domain %s (RFC 5922: SAN URI "
                     "sip:%s, else SAN dNSName %s; wildcards never match)",
                     names, domain, domain, domain);
            add(out, e, "TLS-CERT-NAME-MISMATCH", "the certificate of %s %s", detail);
        }
        vx__cert_clear(&leaf);
    }
    ep_list_free(&l);
}

static void day_text(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, cap, "%lld", (long long)t);
}

static void expiry(const vx__snapshot *snap, const vx__check_config *cfg, vx__findings *out,
                   bool expired)
{
    ep_list l;
    vx__cert_facts leaf;
    char detail[160], date[64];
    if (ep_list_build(snap, cfg, &l) != VX_OK)
        return;
    int64_t now = (int64_t)cfg->now_s;
    for (size_t i = 0; i < l.count; i++) {
        if (!leaf_of(l.items[i].obs, &leaf))
            continue;
        bool past = now > leaf.not_after, early = now < leaf.not_before;
        int64_t left = leaf.not_after - now;
        if (expired && (past || early)) {
            day_text(past ? leaf.not_after : leaf.not_before, date, sizeof date);
            snprintf(detail, sizeof detail, "%s %s", past ? "expired on" : "is not valid before",
                     date);
            add(out, &l.items[i], "TLS-CERT-EXPIRED", "the certificate of %s %s", detail);
        } else if (!expired && !past && !early && left < (int64_t)cfg->cert_warn_s) {
            day_text(leaf.not_after, date, sizeof date);
            snprintf(detail, sizeof detail, "%s, in %lld days (warned within %u)", date,
                     (long long)(left / DAY_S), (unsigned)(cfg->cert_warn_s / DAY_S));
            add(out, &l.items[i], "TLS-CERT-EXPIRING", "the certificate of %s expires on %s",
                detail);
        }
        vx__cert_clear(&leaf);
    }
    ep_list_free(&l);
}

VX__CHECK_FN(vx__chk_tls_cert_expiring)
{
    expiry(snap, cfg, out, false);
}

VX__CHECK_FN(vx__chk_tls_cert_expired)
{
    expiry(snap, cfg, out, true);
}
