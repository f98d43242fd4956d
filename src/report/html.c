/*
 * report/html.c — owns the HTML report: one self-contained page (inline CSS, inline SVG, no
 * script, no external asset, a Content-Security-Policy that forbids both anyway) with the
 * summary, the findings table with severities and remedies, the outage-survival curve, the
 * servers with their latency, and the SIP chain. Every string that comes from DNS data or from
 * a finding is HTML-escaped: a hostile record is shown, never interpreted.
 */
#include <stdio.h>
#include <string.h>

#include "report/report_impl.h"

static const char css[] =
    ":root{--crit:#7f1d1d;--err:#c62828;--warn:#b45309;--note:#1d4ed8;--info:#64748b;"
    "--ok:#15803d;--fg:#1f2933;--muted:#5f6b7a;--line:#e2e8f0;--panel:#f8fafc}"
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);"
    "max-width:1120px;margin:2rem auto;padding:0 1.2rem}"
    "h1{font-size:1.55rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:2.2rem 0 .6rem;"
    "border-bottom:1px solid var(--line);padding-bottom:.3rem}"
    ".meta,.muted{color:var(--muted)}.badges{margin:.8rem 0}"
    ".badge{display:inline-block;padding:.1rem .7rem;border-radius:1rem;margin-right:.4rem;"
    "font-weight:600;font-size:.85rem;color:#fff}.zero{opacity:.35}"
    "table{border-collapse:collapse;width:100%;font-size:.93rem}"
    "th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);"
    "vertical-align:top}th{background:var(--panel);font-weight:600}"
    ".sev{display:inline-block;min-width:4.6rem;text-align:center;font-weight:700;"
    "font-size:.72rem;letter-spacing:.04em;text-transform:uppercase;color:#fff;"
    "padding:.1rem .4rem;border-radius:.25rem}"
    ".s-critical{background:var(--crit)}.s-error{background:var(--err)}"
    ".s-warning{background:var(--warn)}.s-notice{background:var(--note)}"
    ".s-info{background:var(--info)}"
    "tr.r-critical td:first-child{border-left:4px solid var(--crit)}"
    "tr.r-error td:first-child{border-left:4px solid var(--err)}"
    "tr.r-warning td:first-child{border-left:4px solid var(--warn)}"
    "tr.r-notice td:first-child{border-left:4px solid var(--note)}"
    "tr.r-info td:first-child{border-left:4px solid var(--info)}"
    "code,.mono{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}"
    ".list{color:var(--muted);font-size:.85rem}.remedy{font-size:.88rem}"
    ".up{color:var(--ok);font-weight:600}.dn{color:var(--err);font-weight:600}"
    "svg.chart{width:100%;height:auto;margin:.6rem 0;background:var(--panel);"
    "border-radius:6px}"
    "svg text{font-family:system-ui,sans-serif;fill:var(--fg)}"
    ".axis{font-size:11px;fill:var(--muted)}.label{font-size:12px}.small{font-size:10.5px;"
    "fill:var(--muted)}.coltitle{font-size:12px;font-weight:700;fill:var(--muted)}"
    ".grid{stroke:var(--line);stroke-width:1}.area{fill:#bfdbfe;stroke:#1d4ed8;"
    "stroke-width:2;fill-opacity:.6}.mark{stroke:var(--err);stroke-dasharray:4 3}"
    ".dot{fill:var(--err)}.bar{fill:#60a5fa}.down{font-size:12px;fill:var(--err)}"
    ".box{fill:#fff;stroke:#94a3b8}.edge{fill:none;stroke:#64748b;stroke-width:1.4}"
    ".head{fill:#64748b}footer{margin:3rem 0 1rem;color:var(--muted);font-size:.8rem}";

static const char *const sev_names[VX__SEV_COUNT] = {"info", "notice", "warning", "error",
                                                     "critical"};

static const char *sev_class(vx__severity s)
{
    return (unsigned)s < VX__SEV_COUNT ? sev_names[s] : "info";
}

static void head(vx__rbuf *b, const char *domain)
{
    vx__rb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'\"><title>voxdns audit: ");
    vx__rb_html(b, domain);
    vx__rb_printf(b, "</title><style>%s</style></head>\n<body>\n", css);
}

static void summary(vx__rbuf *b, const vx__report_input *in, const vx__rmodel *m)
{
    const vx__snapshot *s = in->snap;
    char domain[VX__NAME_TEXT_MAX], when[32];
    size_t n[VX__SEV_COUNT];
    vx__report_name(s->domain, domain, sizeof domain);
    vx__report_time(s->started_ms, when, sizeof when);
    vx__report_counts(in->findings, n);
    vx__rb_puts(b, "<header><h1>voxdns audit: ");
    vx__rb_html(b, domain);
    vx__rb_puts(b, "</h1><div class=\"meta\">profile <b>");
    vx__rb_html(b, vx__report_profile(in));
    vx__rb_printf(b,
                  "</b> &middot; started %s &middot; %.0f ms &middot; %zu authoritative "
                  "address%s, %zu answering</div><div class=\"badges\">",
                  when, s->duration_ms, m->server_count, m->server_count == 1 ? "" : "es",
                  m->up_count);
    for (int sev = VX__SEV_CRITICAL; sev >= VX__SEV_INFO; sev--)
        vx__rb_printf(b, "<span class=\"badge s-%s%s\">%zu %s</span>", sev_names[sev],
                      n[sev] ? "" : " zero", n[sev], sev_names[sev]);
    vx__rb_puts(b, "</div></header>\n");
}

static void html_list(vx__rbuf *b, const char *what, char *const *items, size_t n)
{
    if (n == 0)
        return;
    vx__rb_printf(b, "<div class=\"list\">%s: <span class=\"mono\">", what);
    for (size_t i = 0; i < n; i++) {
        if (i)
            vx__rb_puts(b, ", ");
        vx__rb_html(b, items[i]);
    }
    vx__rb_puts(b, "</span></div>");
}

static void finding_row(vx__rbuf *b, const vx__finding *f)
{
    const vx__check_def *def = f->check ? vx__check_find(f->check) : NULL;
    const char *sev = sev_class(f->severity);
    vx__rb_printf(b, "<tr class=\"r-%s\"><td><span class=\"sev s-%s\">%s</span></td><td><code>",
                  sev, sev, sev);
    vx__rb_html(b, f->check);
    vx__rb_puts(b, "</code><div class=\"list\">");
    vx__rb_html(b, f->area);
    vx__rb_puts(b, "</div></td><td>");
    vx__rb_html(b, f->message);
    html_list(b, "servers", f->servers, f->server_count);
    html_list(b, "names", f->names, f->name_count);
    vx__rb_puts(b, "</td><td class=\"remedy\">");
    vx__rb_html(b, def && def->remedy ? def->remedy : "");
    vx__rb_puts(b, "</td></tr>\n");
}

/* Worst first; within a severity, in the order the checks gave (catalogue order). */
static void findings(vx__rbuf *b, const vx__findings *f)
{
    vx__rb_puts(b, "<section><h2>Findings</h2>\n");
    if (!f || f->count == 0) {
        vx__rb_puts(b, "<p>No findings.</p></section>\n");
        return;
    }
    vx__rb_puts(b, "<table><thead><tr><th>severity</th><th>check</th><th>finding</th>"
                   "<th>remedy</th></tr></thead><tbody>\n");
    for (int sev = VX__SEV_CRITICAL; sev >= VX__SEV_INFO; sev--)
        for (size_t i = 0; i < f->count; i++)
            if ((int)f->items[i].severity == sev)
                finding_row(b, &f->items[i]);
    vx__rb_puts(b, "</tbody></table></section>\n");
}

static void survival(vx__rbuf *b, const vx__report_input *in)
{
    const vx__survival *sv = in->survival;
    char half[32], ninety[32];
    vx__rb_puts(b, "<section><h2>Outage survival</h2>\n");
    if (!sv || sv->half_s < 0) {
        vx__rb_puts(b, "<p>No SIP chain records were found, so no resolver cache can keep "
                       "them through an outage.</p></section>\n");
        return;
    }
    vx__report_span(sv->half_s, half, sizeof half);
    vx__report_span(sv->ninety_s, ninety, sizeof ninety);
    vx__rb_printf(b,
                  "<p>If every authoritative server went dark now, half of resolver caches lose "
                  "the SIP chain after <b>%s</b>, 90%% after <b>%s</b>. The curve shows the "
                  "share of caches that still hold every record the chain needs (cache ages "
                  "uniform over each TTL).</p>\n",
                  half, ninety);
    vx__svg_survival(b, in->snap, sv);
    vx__rb_puts(b, "</section>\n");
}

static void server_row(vx__rbuf *b, const vx__rserver *s)
{
    vx__rb_puts(b, "<tr><td class=\"mono\">");
    vx__rb_html(b, s->name);
    vx__rb_puts(b, "</td><td class=\"mono\">");
    vx__rb_html(b, s->address);
    vx__rb_printf(b, "</td><td class=\"%s\">%s</td><td>", s->up ? "up" : "dn",
                  s->up ? "up" : "down");
    if (s->rtt_ms >= 0)
        vx__rb_printf(b, "%.1f ms", s->rtt_ms);
    vx__rb_puts(b, "</td><td class=\"mono\">");
    if (s->has_serial)
        vx__rb_printf(b, "%u", s->serial);
    vx__rb_puts(b, "</td><td class=\"mono\">");
    vx__rb_html(b, s->nsid ? s->nsid : "");
    vx__rb_puts(b, "</td></tr>\n");
}

static void servers(vx__rbuf *b, const vx__rmodel *m)
{
    vx__rb_puts(b, "<section><h2>Authoritative servers</h2>\n");
    if (m->server_count == 0) {
        vx__rb_puts(b, "<p>No authoritative server address was found.</p></section>\n");
        return;
    }
    vx__rb_puts(b, "<table><thead><tr><th>name</th><th>address</th><th>state</th>"
                   "<th>median RTT</th><th>SOA serial</th><th>NSID</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < m->server_count; i++)
        server_row(b, &m->servers[i]);
    vx__rb_puts(b, "</tbody></table>\n");
    vx__svg_rtt(b, m);
    vx__rb_puts(b, "</section>\n");
}

static void sip_chain(vx__rbuf *b, const vx__rmodel *m)
{
    vx__rb_puts(b, "<section><h2>SIP chain</h2>\n");
    if (m->naptr_count == 0 && m->srv_count == 0) {
        vx__rb_puts(b, "<p>No NAPTR or SRV records were found.</p></section>\n");
        return;
    }
    vx__rb_puts(b, "<p class=\"muted\">What a phone follows (RFC 3263): NAPTR records name "
                   "SRV records, which name hosts, which have addresses. The data shown is "
                   "what most authoritative servers agree on.</p>\n");
    vx__svg_chain(b, m);
    vx__rb_puts(b, "</section>\n");
}

char *vx__report_html(const vx__report_input *in)
{
    if (!in || !in->snap)
        return NULL;
    vx__rmodel m;
    if (vx__rmodel_build(in->snap, &m) != 0)
        return NULL;
    char domain[VX__NAME_TEXT_MAX];
    vx__report_name(in->snap->domain, domain, sizeof domain);
    vx__rbuf b = {0};
    head(&b, domain);
    summary(&b, in, &m);
    findings(&b, in->findings);
    survival(&b, in);
    servers(&b, &m);
    sip_chain(&b, &m);
    vx__rb_puts(&b, "<footer>voxdns &middot; schema " VX__AUDIT_SCHEMA "</footer>\n"
                    "</body></html>\n");
    vx__rmodel_free(&m);
    return vx__rb_take(&b);
}
