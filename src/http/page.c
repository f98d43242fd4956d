/*
 * http/page.c — owns the dashboard's page frame: the head with its inline style sheet (the one
 * asset a page has; the classes of report/'s SVG chain are styled here too), the navigation,
 * the footer, state badges, domain names as link targets, and vx__html_escape(). Pages carry no
 * script at all; the server's Content-Security-Policy would refuse one anyway.
 */
#include <stdio.h>
#include <string.h>

#include "http/http_impl.h"

static const char css[] =
    ":root{--crit:#7f1d1d;--err:#c62828;--warn:#b45309;--note:#1d4ed8;--info:#64748b;"
    "--ok:#15803d;--fg:#1f2933;--muted:#5f6b7a;--line:#e2e8f0;--panel:#f8fafc}"
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);"
    "max-width:1180px;margin:0 auto;padding:0 1.2rem 2rem}"
    "nav{display:flex;gap:1.2rem;align-items:baseline;padding:.9rem 0;margin-bottom:1rem;"
    "border-bottom:1px solid var(--line)}nav b{font-size:1.05rem}"
    "a{color:#1d4ed8;text-decoration:none}a:hover{text-decoration:underline}"
    "h1{font-size:1.5rem;margin:.4rem 0 .2rem}h2{font-size:1.12rem;margin:2rem 0 .6rem;"
    "border-bottom:1px solid var(--line);padding-bottom:.3rem}"
    "h3{font-size:.95rem;margin:1rem 0 .2rem;font-weight:600}"
    ".meta,.muted{color:var(--muted)}"
    "table{border-collapse:collapse;width:100%;font-size:.92rem}"
    "th,td{text-align:left;padding:.42rem .6rem;border-bottom:1px solid var(--line);"
    "vertical-align:top}th{background:var(--panel);font-weight:600}"
    ".sev,.state{display:inline-block;min-width:4.4rem;text-align:center;font-weight:700;"
    "font-size:.72rem;letter-spacing:.04em;text-transform:uppercase;color:#fff;"
    "padding:.1rem .45rem;border-radius:.25rem}"
    ".s-critical{background:var(--crit)}.s-error{background:var(--err)}"
    ".s-warning{background:var(--warn)}.s-notice{background:var(--note)}"
    ".s-info,.s-unknown{background:var(--info)}.s-ok{background:var(--ok)}"
    ".zero{opacity:.3}.n{display:inline-block;min-width:1.6rem;text-align:center;"
    "border-radius:.8rem;font-size:.78rem;font-weight:700;color:#fff;margin-right:.2rem}"
    "code,.mono{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}"
    ".data{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;"
    "word-break:break-all}.old{color:var(--err)}.new{color:var(--ok)}"
    ".t{white-space:nowrap}.remedy{font-size:.88rem}.list{color:var(--muted);font-size:.85rem}"
    ".up{color:var(--ok);font-weight:600}.dn{color:var(--err);font-weight:600}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:.6rem}"
    "svg.chart{width:100%;height:auto;margin:.4rem 0;background:var(--panel);"
    "border-radius:6px}svg text{font-family:system-ui,sans-serif;fill:var(--fg)}"
    ".axis{font-size:11px;fill:var(--muted)}.label{font-size:12px}.small{font-size:10.5px;"
    "fill:var(--muted)}.coltitle{font-size:12px;font-weight:700;fill:var(--muted)}"
    ".grid{stroke:var(--line);stroke-width:1}.line{fill:none;stroke:#1d4ed8;stroke-width:1.6;"
    "stroke-linejoin:round}.pt{fill:#1d4ed8}.miss{stroke:var(--err);stroke-width:2}"
    ".box{fill:#fff;stroke:#94a3b8}.edge{fill:none;stroke:#64748b;stroke-width:1.4}"
    ".head{fill:#64748b}footer{margin:3rem 0 1rem;color:var(--muted);font-size:.8rem}";

char *vx__html_escape(const char *text)
{
    vx__rbuf b = {0};
    vx__rb_html(&b, text ? text : "");
    return vx__rb_take(&b);
}

void vx__page_head(vx__rbuf *b, const char *title)
{
    vx__rb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<title>");
    vx__rb_html(b, title);
    vx__rb_printf(b,
                  " &middot; voxdns monitor</title><style>%s</style></head>\n<body>\n"
                  "<nav><b>voxdns monitor</b><a href=\"/\">domains</a>"
                  "<a href=\"/metrics\">metrics</a><a href=\"/api/v1/domains\">API</a></nav>\n",
                  css);
}

void vx__page_foot(vx__rbuf *b, uint64_t now_ms)
{
    char when[32];
    vx__report_time(now_ms, when, sizeof when);
    vx__rb_printf(b,
                  "<footer>voxdns monitor &middot; page made %s &middot; times in UTC</footer>"
                  "\n</body></html>\n",
                  when);
}

/* Unreserved characters stay; everything else is %XX, so the result needs no HTML escape. */
void vx__page_url_name(vx__rbuf *b, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_';
        char enc[4] = {(char)*p, 0, 0, 0};
        if (!plain)
            enc[0] = '%', enc[1] = hex[*p >> 4], enc[2] = hex[*p & 15];
        vx__rb_puts(b, enc);
    }
}

void vx__page_state(vx__rbuf *b, const char *state)
{
    /* state is one of our own words, never outside text; escaped all the same. */
    vx__rb_puts(b, "<span class=\"state s-");
    vx__rb_html(b, state);
    vx__rb_puts(b, "\">");
    vx__rb_html(b, state);
    vx__rb_puts(b, "</span>");
}
