/*
 * report/svg.c — owns the inline SVG charts of the HTML report: the outage-survival curve (the
 * fraction of resolver caches still holding the whole SIP chain, against time since every
 * authoritative server went dark), per-server RTT bars, and the NAPTR → SRV → host → address
 * chain as boxes and arrows. Plain SVG with classes styled by the page's CSS: no script, no
 * external reference; every piece of DNS data goes through vx__rb_html.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report/report_impl.h"

/* Text cut to max characters before escaping, so that an entity is never cut in half. */
static void clipped(vx__rbuf *b, const char *s, int max)
{
    char cut[128];
    if (strlen(s) <= (size_t)max || max < 4 || max > 120)
        vx__rb_html(b, s);
    else {
        snprintf(cut, sizeof cut, "%.*s...", max - 3, s);
        vx__rb_html(b, cut);
    }
}

/* ---- survival curve -------------------------------------------------------------------- */

#define SV_W 720.0
#define SV_H 260.0
#define SV_L 56.0
#define SV_R 24.0
#define SV_T 16.0
#define SV_B 40.0
#define SV_SAMPLES 120

typedef struct plot {
    double t_max;
} plot;

static double px(const plot *p, double t)
{
    return SV_L + (SV_W - SV_L - SV_R) * (t / p->t_max);
}

static double py(double frac)
{
    return SV_T + (SV_H - SV_T - SV_B) * (1.0 - frac);
}

static void sv_grid(vx__rbuf *b, const plot *p)
{
    static const double levels[] = {0.0, 0.1, 0.5, 1.0};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        double y = py(levels[i]);
        vx__rb_printf(
            b,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f%%</text>",
            SV_L, y, SV_W - SV_R, y, SV_L - 6, y + 4, levels[i] * 100);
    }
    for (int i = 0; i <= 4; i++) {
        char span[32];
        double t = p->t_max * i / 4.0;
        vx__report_span(t, span, sizeof span);
        vx__rb_printf(b,
                      "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                      px(p, t), SV_H - SV_B + 18, span);
    }
    vx__rb_printf(b,
                  "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time since "
                  "every authoritative server went dark</text>",
                  (SV_L + SV_W - SV_R) / 2, SV_H - 4);
}

static void sv_curve(vx__rbuf *b, const plot *p, const vx__snapshot *snap)
{
    vx__rb_printf(b, "<path class=\"area\" d=\"M%.1f %.1f", px(p, 0), py(0));
    for (int i = 0; i <= SV_SAMPLES; i++) {
        double t = p->t_max * i / SV_SAMPLES;
        double f = vx__survival_at(snap, t);
        f = isfinite(f) ? fmin(fmax(f, 0.0), 1.0) : 0.0;
        vx__rb_printf(b, " L%.1f %.1f", px(p, t), py(f));
    }
    vx__rb_printf(b, " L%.1f %.1f Z\"/>", px(p, p->t_max), py(0));
}

static void sv_mark(vx__rbuf *b, const plot *p, double t, double frac, const char *what)
{
    char span[32];
    if (!(t >= 0 && t <= p->t_max))
        return;
    vx__report_span(t, span, sizeof span);
    double x = px(p, t), y = py(frac);
    bool right = x > (SV_W - SV_R) * 0.7; /* keep the label inside the chart */
    vx__rb_printf(b,
                  "<line class=\"mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                  "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>"
                  "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s: %s</text>",
                  x, py(1.0), x, py(0.0), x, y, right ? x - 8 : x + 8, y - 8,
                  right ? "end" : "start", what, span);
}

void vx__svg_survival(vx__rbuf *b, const vx__snapshot *snap, const vx__survival *sv)
{
    if (!sv || sv->half_s < 0)
        return;
    /* Caches lose the chain for good once the shortest TTL has passed: that ends the x axis. */
    plot p = {.t_max = sv->min_ttl > 0 ? (double)sv->min_ttl : sv->ninety_s * 1.25};
    if (!(p.t_max > 0) || !isfinite(p.t_max))
        return;
    vx__rb_printf(b,
                  "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                  "aria-label=\"outage survival curve\">",
                  SV_W, SV_H);
    sv_grid(b, &p);
    sv_curve(b, &p, snap);
    sv_mark(b, &p, sv->half_s, 0.5, "half lost");
    sv_mark(b, &p, sv->ninety_s, 0.1, "90% lost");
    vx__rb_puts(b, "</svg>\n");
}

/* ---- RTT bars -------------------------------------------------------------------------- */

#define RTT_ROW 26.0
#define RTT_LABEL 340.0
#define RTT_BAR 320.0
#define RTT_TEXT 46 /* characters of a server label that fit left of the bars */

void vx__svg_rtt(vx__rbuf *b, const vx__rmodel *m)
{
    if (m->server_count == 0)
        return;
    double max = 1.0;
    for (size_t i = 0; i < m->server_count; i++)
        max = fmax(max, m->servers[i].rtt_ms);
    double h = RTT_ROW * (double)m->server_count + 8;
    vx__rb_printf(b,
                  "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                  "aria-label=\"median response time per server\">",
                  RTT_LABEL + RTT_BAR + 90, h);
    for (size_t i = 0; i < m->server_count; i++) {
        const vx__rserver *s = &m->servers[i];
        double y = 4 + RTT_ROW * (double)i;
        vx__rb_printf(b, "<text class=\"label\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">",
                      RTT_LABEL - 8, y + 16);
        clipped(b, s->label, RTT_TEXT);
        vx__rb_puts(b, "</text>");
        if (s->rtt_ms < 0) {
            vx__rb_printf(b, "<text class=\"down\" x=\"%.0f\" y=\"%.1f\">%s</text>", RTT_LABEL,
                          y + 16, s->up ? "no data answer" : "no answer");
            continue;
        }
        double w = fmax(2.0, RTT_BAR * s->rtt_ms / max);
        vx__rb_printf(b,
                      "<rect class=\"bar\" x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" "
                      "rx=\"3\"/><text class=\"label\" x=\"%.1f\" y=\"%.1f\">%.1f ms</text>",
                      RTT_LABEL, y + 2, w, RTT_LABEL + w + 6, y + 16, s->rtt_ms);
    }
    vx__rb_puts(b, "</svg>\n");
}

/* ---- the chain ------------------------------------------------------------------------- */

#define CH_BOX_W 210.0
#define CH_BOX_H 38.0
#define CH_GAP_X 46.0
#define CH_GAP_Y 10.0
#define CH_TOP 28.0
#define CH_MAX 40  /* boxes per column; a longer chain is summarised */
#define CH_TEXT 30 /* characters that fit in a box */

typedef struct chain {
    vx__rbuf *b;
    const vx__rmodel *m;
    const char *addrs[CH_MAX];
    size_t addr_count;
} chain;

/* Two units of margin keep the first column's border inside the picture. */
static double col_x(int col)
{
    return 2 + (CH_BOX_W + CH_GAP_X) * col;
}

static double row_y(size_t row)
{
    return CH_TOP + (CH_BOX_H + CH_GAP_Y) * (double)row;
}

static void box(const chain *c, int col, size_t row, const char *line1, const char *line2)
{
    double x = col_x(col), y = row_y(row);
    vx__rb_printf(c->b,
                  "<rect class=\"box\" x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
                  "rx=\"5\"/><text class=\"label\" x=\"%.0f\" y=\"%.0f\">",
                  x, y, CH_BOX_W, CH_BOX_H, x + 8, y + (line2 ? 16 : 23));
    vx__rb_puts(c->b, "<title>");
    vx__rb_html(c->b, line1);
    vx__rb_puts(c->b, "</title>");
    clipped(c->b, line1, CH_TEXT);
    vx__rb_puts(c->b, "</text>");
    if (line2) {
        vx__rb_printf(c->b, "<text class=\"small\" x=\"%.0f\" y=\"%.0f\">", x + 8, y + 31);
        clipped(c->b, line2, CH_TEXT);
        vx__rb_puts(c->b, "</text>");
    }
}

static void arrow(const chain *c, int col, size_t from, size_t to)
{
    double x1 = col_x(col) + CH_BOX_W, y1 = row_y(from) + CH_BOX_H / 2;
    double x2 = col_x(col + 1) - 3, y2 = row_y(to) + CH_BOX_H / 2;
    double mid = (x1 + x2) / 2;
    vx__rb_printf(c->b,
                  "<path class=\"edge\" d=\"M%.0f %.0f C%.0f %.0f %.0f %.0f %.0f %.0f\" "
                  "marker-end=\"url(#arrow)\"/>",
                  x1, y1, mid, y1, mid, y2, x2, y2);
}

static size_t capped(size_t n)
{
    return n < CH_MAX ? n : CH_MAX;
}

static size_t host_row(const vx__rmodel *m, const char *host)
{
    for (size_t i = 0; i < capped(m->target_count); i++)
        if (strcasecmp(m->targets[i].host, host) == 0)
            return i;
    return SIZE_MAX;
}

static size_t addr_row(chain *c, const char *addr, bool add)
{
    for (size_t i = 0; i < c->addr_count; i++)
        if (strcmp(c->addrs[i], addr) == 0)
            return i;
    if (!add || c->addr_count == CH_MAX)
        return SIZE_MAX;
    c->addrs[c->addr_count] = addr;
    return c->addr_count++;
}

static void chain_naptr(chain *c)
{
    const vx__rmodel *m = c->m;
    char line2[64];
    for (size_t i = 0; i < capped(m->naptr_count); i++) {
        const vx__rnaptr *n = &m->naptr[i];
        snprintf(line2, sizeof line2, "order %u, preference %u", n->order, n->preference);
        box(c, 0, i, n->service, line2);
        for (size_t j = 0; j < capped(m->srv_count); j++)
            if (strcasecmp(m->srv[j].name, n->replacement) == 0)
                arrow(c, 0, i, j);
    }
}

static void chain_srv(chain *c)
{
    const vx__rmodel *m = c->m;
    char line2[64];
    for (size_t j = 0; j < capped(m->srv_count); j++) {
        const vx__rsrv *s = &m->srv[j];
        snprintf(line2, sizeof line2, "prio %u weight %u port %u", s->priority, s->weight, s->port);
        box(c, 1, j, s->name, line2);
        size_t k = host_row(m, s->target);
        if (k != SIZE_MAX)
            arrow(c, 1, j, k);
    }
}

static void chain_hosts(chain *c)
{
    const vx__rmodel *m = c->m;
    char line2[64];
    for (size_t k = 0; k < capped(m->target_count); k++) {
        const vx__rtarget *t = &m->targets[k];
        if (t->address_count == 0)
            snprintf(line2, sizeof line2, "no address");
        else
            snprintf(line2, sizeof line2, "TTL %u s", t->ttl);
        box(c, 2, k, t->host, line2);
        for (size_t a = 0; a < t->address_count; a++) {
            size_t row = addr_row(c, t->addresses[a], false);
            if (row != SIZE_MAX)
                arrow(c, 2, k, row);
        }
    }
    for (size_t a = 0; a < c->addr_count; a++)
        box(c, 3, a, c->addrs[a], NULL);
}

/* The address column: every host's addresses, each once, in order of first appearance. */
static void collect_addrs(chain *c)
{
    for (size_t k = 0; k < capped(c->m->target_count); k++)
        for (size_t a = 0; a < c->m->targets[k].address_count; a++)
            addr_row(c, c->m->targets[k].addresses[a], true);
}

static size_t chain_rows(const chain *c)
{
    const vx__rmodel *m = c->m;
    size_t rows = capped(m->naptr_count);
    rows = rows > capped(m->srv_count) ? rows : capped(m->srv_count);
    rows = rows > capped(m->target_count) ? rows : capped(m->target_count);
    return rows > c->addr_count ? rows : c->addr_count;
}

void vx__svg_chain(vx__rbuf *b, const vx__rmodel *m)
{
    static const char *const titles[] = {"NAPTR", "SRV", "host", "address"};
    chain c = {.b = b, .m = m};
    collect_addrs(&c);
    size_t rows = chain_rows(&c);
    if (rows == 0)
        return;
    vx__rb_printf(b,
                  "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                  "aria-label=\"SIP chain: NAPTR, SRV, hosts, addresses\"><defs><marker "
                  "id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"7\" refY=\"4\" markerWidth=\"7\" "
                  "markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0 L8 4 L0 8 Z\" "
                  "class=\"head\"/></marker></defs>",
                  col_x(4) - CH_GAP_X + 2, row_y(rows));
    for (int i = 0; i < 4; i++)
        vx__rb_printf(b, "<text class=\"coltitle\" x=\"%.0f\" y=\"16\">%s</text>", col_x(i),
                      titles[i]);
    chain_naptr(&c);
    chain_srv(&c);
    chain_hosts(&c);
    vx__rb_puts(b, "</svg>\n");
}
