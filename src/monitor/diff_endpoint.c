/*
 * monitor/diff_endpoint.c — the SIP targets in the monitor's diff (monitor/diff_impl.h): each
 * endpoint tuple's OPTIONS answer (SIP-TARGET-DOWN, SIP-TARGET-RECOVERED) and each TLS tuple's
 * leaf certificate against the baseline's (CERT-CHANGED, CHANGE-REVERTED).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/cert.h"
#include "wire/query.h"

/* One endpoint tuple as events and keys name it. */
typedef struct ep_id {
    char label[VX__LABEL_TEXT_MAX];      /* "sbc1.example.com/192.0.2.10" */
    char where[VX__LABEL_TEXT_MAX + 32]; /* "sbc1.example.com/192.0.2.10 port 5061 TLS" */
    char down[VX__DIFF_KEY_MAX], cert[VX__DIFF_KEY_MAX]; /* its condition keys */
} ep_id;

static unsigned ep_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
}

/* Keys: "sip-down|LABEL|PORT|TRANSPORT" and "cert|LABEL|PORT|TRANSPORT". */
static void ep_id_of(const vx__endpoint_obs *e, ep_id *id)
{
    char host[VX__NAME_TEXT_MAX];
    vx__name_show(e->host ? e->host : "?", host, sizeof host);
    if (vx__server_label(host, (const struct sockaddr *)&e->addr, id->label, sizeof id->label) !=
        VX_OK)
        snprintf(id->label, sizeof id->label, "%s", host);
    const char *t = vx__ep_transport_name(e->transport);
    unsigned port = ep_port(&e->addr);
    snprintf(id->where, sizeof id->where, "%s port %u %s", id->label, port,
             e->transport == VX__EP_TLS   ? "TLS"
             : e->transport == VX__EP_TCP ? "TCP"
                                          : "UDP");
    snprintf(id->down, sizeof id->down, "sip-down|%s|%u|%s", id->label, port, t);
    snprintf(id->cert, sizeof id->cert, "cert|%s|%u|%s", id->label, port, t);
}

/* Server is the tuple's "host/address", name its target host; the message says port and
 * transport. */
static void ep_event(vx__diff_ctx *c, vx__diff_ev *b, vx__event_type type, vx__severity sev,
                     const vx__endpoint_obs *e, const ep_id *id)
{
    vx__diff_ev_init(c, b, type, sev, id->label, e->host, 0);
}

static void ep_down(vx__diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id)
{
    const char *why = e->error ? e->error : vx_strerror(e->status);
    vx__diff_ev b;
    ep_event(c, &b, VX__EV_SIP_TARGET_DOWN, VX__SEV_ERROR, e, id);
    vx__diff_ev_msg(&b, "SIP target %s does not answer OPTIONS (%s)", id->where, why);
    char *detail = vx__diff_detail_fields("{s:s}", "error", why);
    if (!detail) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    vx__diff_hold(c, id->down, VX__EV_SIP_TARGET_DOWN, &b, detail);
    free(detail);
}

static void ep_up(vx__diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id)
{
    const vx__condition *open = vx__diff_prev_get(c, id->down);
    if (!open)
        return;
    char span[32];
    vx__diff_span_text(vx__diff_since(c, open->first_seen_ms), span, sizeof span);
    vx__diff_ev b;
    ep_event(c, &b, VX__EV_SIP_TARGET_RECOVERED, VX__SEV_NOTICE, e, id);
    vx__diff_ev_msg(&b, "SIP target %s answers OPTIONS again (%u %s) after an outage of up to %s",
                    id->where, e->code, e->reason ? e->reason : "", span);
    vx__diff_emit_closing(c, &b, open);
    vx__diff_forget(c, id->down);
}

/* The endpoint of snap for the same tuple as e (transport, address and port, host). */
static const vx__endpoint_obs *ep_find(const vx__snapshot *snap, const vx__endpoint_obs *e)
{
    for (size_t i = 0; snap && snap->endpoints_probed && i < snap->endpoint_count; i++) {
        const vx__endpoint_obs *b = &snap->endpoints[i];
        if (b->transport == e->transport && b->host && e->host && vx__name_eq(b->host, e->host) &&
            vx__addr_equal((const struct sockaddr *)&b->addr, (const struct sockaddr *)&e->addr))
            return b;
    }
    return NULL;
}

/* The leaf certificate's facts, when the handshake gave one. */
static bool ep_leaf(const vx__endpoint_obs *e, vx__cert_facts *out)
{
    memset(out, 0, sizeof *out);
    return e && e->transport == VX__EP_TLS && e->tls_ok && e->chain_count > 0 && e->chain[0] &&
           vx__cert_from_b64(e->chain[0], out) == VX_OK;
}

/* "sha256=HEX" and "spki-sha256=HEX": the event's old/new data. */
static bool cert_data(const vx__cert_facts *f, vx__diff_data *out)
{
    memset(out, 0, sizeof *out);
    return vx__diff_data_push(out, "sha256=", f->sha256) &&
           vx__diff_data_push(out, "spki-sha256=", f->spki_sha256);
}

static char *cert_detail(const vx__cert_facts *f)
{
    return vx__diff_detail_fields("{s:s,s:s,s:s}", "sha256", f->sha256, "spki", f->spki_sha256,
                                  "subject", f->subject);
}

/* A CERT-CHANGED event under construction: its data lives here until emitted. */
typedef struct cert_ev {
    vx__diff_ev b;
    vx__diff_data old, cur;
} cert_ev;

static void cert_ev_free(cert_ev *ce)
{
    vx__diff_data_free(&ce->old);
    vx__diff_data_free(&ce->cur);
}

/* The leaf differs from `from` (the baseline's, or the last changed one still open). */
static bool cert_event(vx__diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id,
                       const vx__cert_facts *from, const vx__cert_facts *now, cert_ev *ce)
{
    if (!cert_data(from, &ce->old) || !cert_data(now, &ce->cur)) {
        vx__diff_fail(c, VX_ENOMEM);
        return false;
    }
    ep_event(c, &ce->b, VX__EV_CERT_CHANGED, VX__SEV_WARNING, e, id);
    vx__diff_ev_data(&ce->b, &ce->old, &ce->cur);
    vx__diff_ev_msg(
        &ce->b,
        "%s presents another certificate: %s issued by %s, SHA-256 %.16s... (was %s, SHA-256 "
        "%.16s...); %s",
        id->where, now->subject, now->issuer, now->sha256, from->subject, from->sha256,
        strcmp(from->spki_sha256, now->spki_sha256) != 0 ? "another key" : "the same key");
    return true;
}

/* The facts an open CERT-CHANGED condition recorded (fingerprints and subject only). */
static void cert_from_detail(const char *detail, vx__cert_facts *out)
{
    memset(out, 0, sizeof *out);
    vx__diff_detail_str(detail, "sha256", out->sha256, sizeof out->sha256);
    vx__diff_detail_str(detail, "spki", out->spki_sha256, sizeof out->spki_sha256);
    vx__diff_detail_str(detail, "subject", out->subject, sizeof out->subject);
}

static void cert_differs(vx__diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id,
                         const vx__cert_facts *base, const vx__cert_facts *now)
{
    char *detail = cert_detail(now);
    if (!detail) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    const vx__condition *open = vx__diff_prev_get(c, id->cert);
    cert_ev ce = {0};
    if (open) { /* each further certificate is evidence too: announced again */
        vx__cert_facts last;
        cert_from_detail(open->detail, &last);
        if (strcmp(last.sha256, now->sha256) != 0 && cert_event(c, e, id, &last, now, &ce)) {
            ce.b.e.first_seen_ms = open->first_seen_ms;
            vx__diff_emit(c, &ce.b);
        }
        vx__diff_hold(c, id->cert, open->opened_by, NULL, detail);
    } else if (cert_event(c, e, id, base, now, &ce)) {
        vx__diff_hold(c, id->cert, VX__EV_CERT_CHANGED, &ce.b, detail);
    }
    cert_ev_free(&ce);
    free(detail);
}

/* The leaf is the baseline's again: reverted, unless the baseline itself moved to the changed
 * certificate (the operator accepted the renewal), which is not news. */
static void cert_same(vx__diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id,
                      const vx__cert_facts *now)
{
    const vx__condition *open = vx__diff_prev_get(c, id->cert);
    if (!open)
        return;
    vx__cert_facts last;
    cert_from_detail(open->detail, &last);
    if (strcmp(last.sha256, now->sha256) != 0) {
        cert_ev ce = {0};
        if (cert_data(&last, &ce.old) && cert_data(now, &ce.cur)) {
            char span[32];
            vx__diff_span_text(vx__diff_since(c, open->first_seen_ms), span, sizeof span);
            ep_event(c, &ce.b, VX__EV_CHANGE_REVERTED, VX__SEV_WARNING, e, id);
            vx__diff_ev_data(&ce.b, &ce.old, &ce.cur);
            vx__diff_ev_msg(&ce.b,
                            "%s presents the baseline's certificate again; it presented %s for up "
                            "to %s",
                            id->where, last.subject, span);
            vx__diff_emit_closing(c, &ce.b, open);
        } else {
            vx__diff_fail(c, VX_ENOMEM);
        }
        cert_ev_free(&ce);
    }
    vx__diff_forget(c, id->cert);
}

/* A TLS tuple's leaf against the baseline's for the same tuple. No handshake this cycle leaves
 * an open condition as it is (unknown is not reverted); no baseline leaf: nothing to compare. */
static void check_cert(vx__diff_ctx *c, const vx__endpoint_obs *e, const ep_id *id)
{
    vx__cert_facts now, base;
    bool have_now = ep_leaf(e, &now);
    bool have_base = have_now && ep_leaf(ep_find(c->in->baseline, e), &base);
    if (have_base && strcmp(base.sha256, now.sha256) != 0)
        cert_differs(c, e, id, &base, &now);
    else if (have_base)
        cert_same(c, e, id, &now);
    else if (have_now)
        vx__diff_forget(c, id->cert); /* no basis any more: the baseline was replaced */
    if (have_base)
        vx__cert_clear(&base);
    if (have_now)
        vx__cert_clear(&now);
}

void vx__diff_check_endpoints(vx__diff_ctx *c)
{
    const vx__snapshot *snap = c->in->current;
    for (size_t i = 0; snap->endpoints_probed && i < snap->endpoint_count && c->rc == VX_OK; i++) {
        const vx__endpoint_obs *e = &snap->endpoints[i];
        ep_id id;
        ep_id_of(e, &id);
        if (e->status == VX_OK)
            ep_up(c, e, &id);
        else
            ep_down(c, e, &id);
        if (e->transport == VX__EP_TLS)
            check_cert(c, e, &id);
    }
}

/* A tuple's condition whose tuple was not probed this cycle: kept while unknown (endpoints not
 * probed at all, or the tuple probed without a verdict), dropped when the tuple is gone from
 * the chain (the DNS change that removed it is an event of its own). */
bool vx__diff_ep_still_probed(const vx__diff_ctx *c, const char *key)
{
    const vx__snapshot *snap = c->in->current;
    if (!snap->endpoints_probed)
        return true;
    for (size_t i = 0; i < snap->endpoint_count; i++) {
        ep_id id;
        ep_id_of(&snap->endpoints[i], &id);
        if (strcmp(id.down, key) == 0 || strcmp(id.cert, key) == 0)
            return true;
    }
    return false;
}
