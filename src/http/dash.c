/*
 * http/dash.c — owns the dashboard's two pages, rendered on the server as plain HTML with
 * inline SVG: the index (every domain with its state) and a domain's page (its servers and
 * their RTT over the last 24 hours, the events timeline newest first, the current findings with
 * their remedies, the SIP servers (each target tuple's OPTIONS answer and TLS certificate), and
 * the SIP chain drawn by report/'s SVG writer). Everything that came from
 * DNS data, an event or a finding goes through vx__rb_html: a hostile record is shown, never
 * interpreted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "http/http_impl.h"
#include "model/view.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/cert.h"
#include "wire/query.h"

#define DAY_MS (24ull * 3600 * 1000)
#define EVENT_WINDOW_MS (30 * DAY_MS)
#define EVENT_FETCH_MAX 10000
#define EVENT_SHOWN_MAX 200

static void when(vx__rbuf *b, uint64_t ms)
{
    char t[32];
    if (!ms) {
        vx__rb_puts(b, "&#8212;");
        return;
    }
    vx__report_time(ms, t, sizeof t);
    vx__rb_puts(b, t);
}

static void sev_badge(vx__rbuf *b, vx__severity s)
{
    const char *name = vx__severity_name(s);
    vx__rb_printf(b, "<span class=\"sev s-%s\">%s</span>", name, name);
}

static void sev_counts(vx__rbuf *b, const size_t counts[VX__SEV_COUNT])
{
    for (int s = VX__SEV_CRITICAL; s >= VX__SEV_INFO; s--)
        vx__rb_printf(b, "<span class=\"n s-%s%s\" title=\"%s\">%zu</span>",
                      vx__severity_name((vx__severity)s), counts[s] ? "" : " zero",
                      vx__severity_name((vx__severity)s), counts[s]);
}

static void page_done(vx__http_resp *r, vx__rbuf *b, uint64_t now_ms)
{
    vx__page_foot(b, now_ms);
    vx__resp_body(r, MHD_HTTP_OK, VX__CT_HTML, vx__rb_take(b));
}

/* ---- index ------------------------------------------------------------------------------- */

static void index_row(vx__rbuf *b, const vx__dstate *d)
{
    vx__rb_puts(b, "<tr><td><a href=\"/domains/");
    vx__page_url_name(b, d->name);
    vx__rb_puts(b, "\">");
    vx__rb_html(b, d->name);
    vx__rb_puts(b, "</a></td><td>");
    vx__page_state(b, d->state);
    vx__rb_puts(b, "</td><td class=\"mono\">");
    if (d->last_cycle_ms)
        when(b, d->last_cycle_ms);
    else
        vx__rb_puts(b, "no cycle yet");
    vx__rb_puts(b, "</td><td>");
    sev_counts(b, d->counts);
    vx__rb_printf(b, "</td><td>%zu</td></tr>\n", d->open_count);
}

static int index_rows(const vx__http_env *env, vx__rbuf *b, const vx__store_summary_row *rows,
                      size_t count)
{
    vx__rb_puts(b, "<table><thead><tr><th>domain</th><th>state</th><th>last cycle</th>"
                   "<th>findings (critical &#8594; info)</th><th>open conditions</th></tr>"
                   "</thead><tbody>\n");
    for (size_t i = 0; i < count; i++) {
        vx__dstate d;
        int rc = vx__dstate_for_list(env->store, env->asndb, &rows[i], &d);
        if (rc == VX_OK)
            index_row(b, &d);
        vx__dstate_free(&d);
        if (rc != VX_OK)
            return rc;
    }
    vx__rb_puts(b, "</tbody></table>\n");
    return VX_OK;
}

void vx__dash_index(const vx__http_env *env, const vx__http_req *req, const char *name,
                    vx__http_resp *r)
{
    vx__store_summary_row *rows = NULL;
    size_t count = 0;
    vx__rbuf b = {0};
    (void)name;
    int rc = vx__store_summaries(env->store, &rows, &count);
    vx__page_head(&b, "domains");
    vx__rb_puts(&b, "<h1>Domains</h1>\n");
    if (rc == VX_OK && count == 0)
        vx__rb_puts(&b, "<p>No domain has been monitored yet.</p>\n");
    else if (rc == VX_OK)
        rc = index_rows(env, &b, rows, count);
    vx__store_summary_rows_free(rows, count);
    if (rc != VX_OK) {
        free(vx__rb_take(&b));
        vx__resp_error(r, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "the store failed");
        return;
    }
    page_done(r, &b, req->now_ms);
}

/* ---- domain page: servers ---------------------------------------------------------------- */

static void server_row(vx__rbuf *b, const vx__rserver *s)
{
    vx__rb_puts(b, "<tr><td class=\"mono\">");
    vx__rb_html(b, s->name);
    vx__rb_puts(b, "</td><td class=\"mono\">");
    vx__rb_html(b, s->address);
    vx__rb_puts(b, "</td><td>");
    vx__rb_html(b, s->provider);
    vx__rb_printf(b, "</td><td class=\"%s\">%s</td><td>", s->up ? "up" : "dn",
                  s->up ? "up" : "down");
    if (s->rtt_ms >= 0)
        vx__rb_printf(b, "%.1f ms", s->rtt_ms);
    vx__rb_puts(b, "</td><td class=\"mono\">");
    if (s->has_serial)
        vx__rb_printf(b, "%u", s->serial);
    vx__rb_puts(b, "</td></tr>\n");
}

static int rtt_section(const vx__http_env *env, const vx__http_req *req, vx__rbuf *b,
                       const char *domain)
{
    vx__rtt_row *rows = NULL;
    size_t n = 0;
    uint64_t from = req->now_ms > DAY_MS ? req->now_ms - DAY_MS : 0;
    int rc = vx__store_rtt_since(env->store, domain, from, &rows, &n);
    if (rc != VX_OK)
        return rc;
    vx__rb_puts(b, "<h3>Response time, last 24 hours</h3>\n");
    if (n == 0)
        vx__rb_puts(b, "<p class=\"muted\">No RTT samples in the last 24 hours.</p>\n");
    else
        vx__chart_rtt(b, rows, n, from, req->now_ms);
    vx__rtt_rows_free(rows, n);
    return VX_OK;
}

/* The monitor's last propagation measurements of the domain (memory, not the store: they
 * start again with the process). */
static void propagation_section(const vx__http_env *env, const vx__http_req *req, vx__rbuf *b,
                                const char *domain)
{
    static const size_t cap = VX__PROP_SAMPLES;
    vx__prop_sample *s = malloc(cap * sizeof *s);
    size_t n = s ? vx__metrics_propagation_samples(env->metrics, domain, s, cap) : 0;
    vx__rb_puts(b, "<section><h2>Propagation</h2>\n<p class=\"muted\">Seconds from a NOTIFY (or "
                   "the cycle that first saw a new serial) to each server serving it, per DNS "
                   "provider; the last measurements since the monitor started.</p>\n");
    vx__chart_propagation(b, s, n, req->now_ms);
    vx__rb_puts(b, "</section>\n");
    free(s);
}

static void servers_table(vx__rbuf *b, const vx__rmodel *m)
{
    if (!m || m->server_count == 0) {
        vx__rb_puts(b, "<p>No authoritative server address is known yet.</p>\n");
        return;
    }
    vx__rb_puts(b, "<table><thead><tr><th>name</th><th>address</th><th>provider</th>"
                   "<th>last cycle</th><th>median RTT</th><th>SOA serial</th></tr></thead>"
                   "<tbody>\n");
    for (size_t i = 0; i < m->server_count; i++)
        server_row(b, &m->servers[i]);
    vx__rb_puts(b, "</tbody></table>\n");
}

/* ---- domain page: events ----------------------------------------------------------------- */

static void data_list(vx__rbuf *b, const char *cls, char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vx__rb_printf(b, "<div class=\"data %s\">", cls);
        vx__rb_html(b, items[i]);
        vx__rb_puts(b, "</div>");
    }
}

static void event_change(vx__rbuf *b, const vx__event *e)
{
    if (e->old_count || e->new_count) {
        data_list(b, "old", e->old_data, e->old_count);
        if (!e->old_count)
            vx__rb_puts(b, "<div class=\"muted\">(none)</div>");
        vx__rb_puts(b, "<div class=\"muted\">&#8595;</div>");
        data_list(b, "new", e->new_data, e->new_count);
        if (!e->new_count)
            vx__rb_puts(b, "<div class=\"muted\">(none)</div>");
    }
    if (e->old_ttl != e->new_ttl)
        vx__rb_printf(b, "<div class=\"data\">TTL %u &#8594; %u</div>", e->old_ttl, e->new_ttl);
}

static void event_where(vx__rbuf *b, const vx__event *e)
{
    char type[16];
    if (e->server) {
        vx__rb_puts(b, "<div class=\"mono\">");
        vx__rb_html(b, e->server);
        vx__rb_puts(b, "</div>");
    }
    if (e->name || e->rrtype) {
        vx__rb_puts(b, "<div class=\"mono\">");
        vx__rb_html(b, e->name ? e->name : "");
        if (e->rrtype) {
            vx__rb_puts(b, " ");
            vx__rb_html(b, vx__rrtype_to_text(e->rrtype, type, sizeof type));
        }
        vx__rb_puts(b, "</div>");
    }
    if (e->check) {
        vx__rb_puts(b, "<div><code>");
        vx__rb_html(b, e->check);
        vx__rb_puts(b, "</code></div>");
    }
}

static void event_row(vx__rbuf *b, const vx__event *e)
{
    vx__rb_printf(b, "<tr class=\"ev\" id=\"event-%lld\"><td class=\"mono t\">", (long long)e->id);
    when(b, e->first_seen_ms);
    vx__rb_puts(b, "<div class=\"list\">last seen<br>");
    when(b, e->last_seen_ms);
    vx__rb_puts(b, "</div></td><td>");
    sev_badge(b, e->severity);
    vx__rb_puts(b, "<div><code>");
    vx__rb_html(b, vx__event_type_name(e->type));
    vx__rb_puts(b, "</code></div></td><td>");
    event_where(b, e);
    vx__rb_puts(b, "</td><td>");
    event_change(b, e);
    vx__rb_puts(b, "</td><td>");
    vx__rb_html(b, e->message);
    vx__rb_puts(b, "</td></tr>\n");
}

static int events_section(const vx__http_env *env, const vx__http_req *req, vx__rbuf *b,
                          const char *domain)
{
    vx__events ev = {0};
    uint64_t from = req->now_ms > EVENT_WINDOW_MS ? req->now_ms - EVENT_WINDOW_MS : 0;
    int rc = vx__store_events_since_time(env->store, domain, from, EVENT_FETCH_MAX, &ev);
    vx__rb_puts(b, "<section><h2>Events</h2>\n");
    if (rc == VX_OK && ev.count == 0)
        vx__rb_puts(b, "<p>No events in the last 30 days.</p>\n");
    if (rc == VX_OK && ev.count > 0) {
        size_t shown = ev.count < EVENT_SHOWN_MAX ? ev.count : EVENT_SHOWN_MAX;
        vx__rb_printf(b,
                      "<p class=\"muted\">Newest first; %zu of %zu event%s in the last 30 "
                      "days.</p>\n",
                      shown, ev.count, ev.count == 1 ? "" : "s");
        vx__rb_puts(b, "<table><thead><tr><th>first seen</th><th>event</th><th>where</th>"
                       "<th>old &#8594; new</th><th>message</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < shown; i++)
            event_row(b, &ev.items[ev.count - 1 - i]);
        vx__rb_puts(b, "</tbody></table>\n");
    }
    vx__rb_puts(b, "</section>\n");
    vx__events_clear(&ev);
    return rc;
}

/* ---- domain page: findings, conditions, chain -------------------------------------------- */

static void finding_row(vx__rbuf *b, const vx__finding *f)
{
    const vx__check_def *def = f->check ? vx__check_find(f->check) : NULL;
    vx__rb_puts(b, "<tr><td>");
    sev_badge(b, f->severity);
    vx__rb_puts(b, "</td><td><code>");
    vx__rb_html(b, f->check);
    vx__rb_puts(b, "</code></td><td>");
    vx__rb_html(b, f->message);
    for (size_t i = 0; i < f->server_count; i++) {
        vx__rb_puts(b, i ? ", " : "<div class=\"list mono\">");
        vx__rb_html(b, f->servers[i]);
    }
    vx__rb_puts(b, f->server_count ? "</div>" : "");
    vx__rb_puts(b, "</td><td class=\"remedy\">");
    vx__rb_html(b, def && def->remedy ? def->remedy : "");
    vx__rb_puts(b, "</td></tr>\n");
}

static void findings_section(vx__rbuf *b, const vx__dstate *d)
{
    vx__rb_puts(b, "<section><h2>Current findings</h2>\n");
    if (!d->snap || d->findings.count == 0) {
        vx__rb_puts(b, d->snap ? "<p>No findings.</p>" : "<p>No cycle yet.</p>");
        vx__rb_puts(b, "</section>\n");
        return;
    }
    vx__rb_puts(b, "<table><thead><tr><th>severity</th><th>check</th><th>finding</th>"
                   "<th>remedy</th></tr></thead><tbody>\n");
    for (int s = VX__SEV_CRITICAL; s >= VX__SEV_INFO; s--)
        for (size_t i = 0; i < d->findings.count; i++)
            if ((int)d->findings.items[i].severity == s)
                finding_row(b, &d->findings.items[i]);
    vx__rb_puts(b, "</tbody></table></section>\n");
}

static void conditions_section(vx__rbuf *b, const vx__conditions *c)
{
    vx__rb_puts(b, "<section><h2>Open conditions</h2>\n");
    if (c->count == 0) {
        vx__rb_puts(b, "<p>None: every server agrees with the baseline.</p></section>\n");
        return;
    }
    vx__rb_puts(b, "<table><thead><tr><th>condition</th><th>opened by</th><th>since</th>"
                   "<th>last seen</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < c->count; i++) {
        vx__rb_puts(b, "<tr><td class=\"data\">");
        vx__rb_html(b, c->items[i].key);
        vx__rb_puts(b, "</td><td><code>");
        vx__rb_html(b, vx__event_type_name(c->items[i].opened_by));
        vx__rb_puts(b, "</code></td><td class=\"mono\">");
        when(b, c->items[i].first_seen_ms);
        vx__rb_puts(b, "</td><td class=\"mono\">");
        when(b, c->items[i].last_seen_ms);
        vx__rb_puts(b, "</td></tr>\n");
    }
    vx__rb_puts(b, "</tbody></table></section>\n");
}

static void chain_section(vx__rbuf *b, const vx__rmodel *m)
{
    vx__rb_puts(b, "<section><h2>SIP chain</h2>\n");
    if (!m || (m->naptr_count == 0 && m->srv_count == 0)) {
        vx__rb_puts(b, "<p>No NAPTR or SRV records in the latest snapshot.</p></section>\n");
        return;
    }
    vx__rb_puts(b, "<p class=\"muted\">NAPTR &#8594; SRV &#8594; host &#8594; address, as the "
                   "latest cycle saw it (the data most authoritative servers agree on).</p>\n");
    vx__svg_chain(b, m);
    vx__rb_puts(b, "</section>\n");
}

/* ---- domain page: SIP servers ------------------------------------------------------------ */

static void ep_state(vx__rbuf *b, const vx__endpoint_obs *e)
{
    bool up = e->status == VX_OK;
    vx__rb_printf(b, "<td class=\"%s\">", up ? "up" : "dn");
    if (up) {
        vx__rb_printf(b, "%u ", e->code);
        vx__rb_html(b, e->reason ? e->reason : "");
    } else {
        vx__rb_puts(b, "down: ");
        vx__rb_html(b, e->error ? e->error : vx_strerror(e->status));
    }
    vx__rb_puts(b, "</td><td>");
    if (up && e->rtt_ms >= 0)
        vx__rb_printf(b, "%.1f ms", e->rtt_ms);
    vx__rb_puts(b, "</td>");
}

static void cert_names(vx__rbuf *b, const vx__cert_facts *f)
{
    for (size_t i = 0; i < f->uri_count; i++) {
        vx__rb_puts(b, i ? ", URI:" : "<div class=\"list mono\">URI:");
        vx__rb_html(b, f->uris[i]);
    }
    for (size_t i = 0; i < f->dns_count; i++) {
        vx__rb_puts(b, i || f->uri_count ? ", DNS:" : "<div class=\"list mono\">DNS:");
        vx__rb_html(b, f->dns[i]);
    }
    vx__rb_puts(b, f->uri_count || f->dns_count ? "</div>" : "<div class=\"muted\">no SAN</div>");
}

/* Subject, SANs, issuer and expiry of the leaf; "" for a tuple without one. */
static void ep_cert(vx__rbuf *b, const vx__endpoint_obs *e, uint64_t now_ms)
{
    vx__cert_facts f;
    vx__rb_puts(b, "<td class=\"cert\">");
    if (e->transport == VX__EP_TLS && e->tls_ok && e->chain_count > 0 && e->chain[0] &&
        vx__cert_from_b64(e->chain[0], &f) == VX_OK) {
        vx__rb_puts(b, "<div class=\"mono\">");
        vx__rb_html(b, f.subject);
        vx__rb_puts(b, "</div>");
        cert_names(b, &f);
        vx__rb_puts(b, "<div class=\"list\">issuer ");
        vx__rb_html(b, f.issuer);
        int64_t left_s = f.not_after - (int64_t)(now_ms / 1000u);
        vx__rb_printf(b, "</div><div class=\"list %s\">expires ", left_s < 21 * 86400 ? "dn" : "");
        when(b, f.not_after > 0 ? (uint64_t)f.not_after * 1000u : 0);
        vx__rb_printf(b, left_s < 0 ? " (expired)" : " (in %lld days)",
                      (long long)(left_s / 86400));
        vx__rb_puts(b, "</div>");
        vx__cert_clear(&f);
    } else if (e->transport == VX__EP_TLS) {
        vx__rb_puts(b, "<span class=\"muted\">no certificate (no handshake)</span>");
    }
    vx__rb_puts(b, "</td>");
}

static void ep_row(vx__rbuf *b, const vx__endpoint_obs *e, uint64_t now_ms)
{
    char addr[VX__ADDR_TEXT_MAX + 8], host[VX__NAME_TEXT_MAX];
    vx__name_show(e->host ? e->host : "?", host, sizeof host);
    if (vx__addr_format_port((const struct sockaddr *)&e->addr, addr, sizeof addr) != 0)
        snprintf(addr, sizeof addr, "?");
    vx__rb_puts(b, "<tr class=\"ep\"><td class=\"mono\">");
    vx__rb_html(b, host);
    vx__rb_puts(b, "</td><td class=\"mono\">");
    vx__rb_html(b, addr);
    vx__rb_printf(b, "</td><td>%s</td>", vx__ep_transport_name(e->transport));
    ep_state(b, e);
    ep_cert(b, e, now_ms);
    vx__rb_puts(b, "</tr>\n");
}

static void sip_servers_section(vx__rbuf *b, const vx__dstate *d, uint64_t now_ms)
{
    vx__rb_puts(b, "<section id=\"sip-servers\"><h2>SIP servers</h2>\n");
    if (!d->snap || !d->snap->endpoints_probed || d->snap->endpoint_count == 0) {
        vx__rb_puts(b, d->snap && d->snap->endpoints_probed
                           ? "<p>No SIP target was probed (none, or none with a public "
                             "address).</p></section>\n"
                           : "<p>The SIP targets are not probed (endpoints: false, or no "
                             "cycle yet).</p></section>\n");
        return;
    }
    vx__rb_puts(b, "<p class=\"muted\">Every (target, address, transport) of the RFC 3263 "
                   "chain, SIP OPTIONS as the latest full cycle saw it (quiet cycles ping "
                   "them again and audit at once when one changes).</p>\n");
    vx__rb_puts(b, "<table><thead><tr><th>target</th><th>address</th><th>transport</th>"
                   "<th>OPTIONS</th><th>RTT</th><th>certificate</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < d->snap->endpoint_count; i++)
        ep_row(b, &d->snap->endpoints[i], now_ms);
    vx__rb_puts(b, "</tbody></table></section>\n");
}

/* ---- domain page ------------------------------------------------------------------------- */

static void domain_header(vx__rbuf *b, const vx__dstate *d, const vx__rmodel *m)
{
    vx__rb_puts(b, "<h1>");
    vx__rb_html(b, d->name);
    vx__rb_puts(b, " ");
    vx__page_state(b, d->state);
    vx__rb_puts(b, "</h1>\n<div class=\"meta\">");
    if (!d->snap) {
        vx__rb_puts(b, "no cycle yet</div>\n");
        return;
    }
    vx__rb_puts(b, "last cycle ");
    when(b, d->snap->started_ms);
    vx__rb_puts(b, " &middot; profile ");
    vx__rb_html(b, d->snap->profile ? d->snap->profile : "generic");
    vx__rb_printf(b, " &middot; %zu authoritative address%s, %zu answering &middot; ",
                  m->server_count, m->server_count == 1 ? "" : "es", m->up_count);
    sev_counts(b, d->counts);
    vx__rb_puts(b, "</div>\n");
}

static int domain_body(const vx__http_env *env, const vx__http_req *req, vx__rbuf *b,
                       const vx__dstate *d)
{
    vx__rmodel m = {0};
    bool have_model = d->snap && vx__rmodel_build(d->snap, &m) == VX_OK;
    domain_header(b, d, &m);
    vx__rb_puts(b, "<section><h2>Authoritative servers</h2>\n");
    servers_table(b, have_model ? &m : NULL);
    int rc = rtt_section(env, req, b, d->name);
    vx__rb_puts(b, "</section>\n");
    propagation_section(env, req, b, d->name);
    if (rc == VX_OK)
        rc = events_section(env, req, b, d->name);
    sip_servers_section(b, d, req->now_ms);
    findings_section(b, d);
    conditions_section(b, &d->conds);
    chain_section(b, have_model ? &m : NULL);
    if (have_model)
        vx__rmodel_free(&m);
    return rc;
}

void vx__dash_domain(const vx__http_env *env, const vx__http_req *req, const char *name,
                     vx__http_resp *r)
{
    char *domain = NULL;
    vx__dstate d = {0};
    vx__rbuf b = {0};
    int rc = vx__http_find_domain(env->store, name, &domain);
    if (rc == VX_OK)
        rc = vx__dstate_load(env->store, env->asndb, domain, &d);
    if (rc == VX_OK) {
        vx__page_head(&b, domain);
        rc = domain_body(env, req, &b, &d);
    }
    vx__dstate_free(&d);
    free(domain);
    if (rc == VX_OK) {
        page_done(r, &b, req->now_ms);
        return;
    }
    free(vx__rb_take(&b));
    vx__resp_error(r, req, rc == VX_ENOTFOUND ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
                   rc == VX_ENOTFOUND ? "unknown domain" : "the store failed");
}
