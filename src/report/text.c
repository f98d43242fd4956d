/*
 * report/text.c — owns the terminal report: a header (domain, profile, servers, duration), the
 * findings grouped by area in catalogue order and worst first, each with its servers, names and
 * remedy, the outage-survival sentence and a one-line summary. Colour (ANSI SGR) only when the
 * caller says the output is a terminal; DNS data is printed with control characters replaced,
 * so a hostile record cannot move the cursor or change the terminal's state.
 */
#include <stdio.h>
#include <string.h>

#include "report/report_impl.h"
#include "voxdns/status.h"
#include "wire/xfr.h"

#define SGR_RESET "\033[0m"
#define SGR_BOLD "\033[1m"
#define SGR_DIM "\033[2m"
/* Under the check id: two spaces and the severity column. */
#define INDENT "           "

static const char *sev_colour(vx__severity s)
{
    static const char *const sgr[VX__SEV_COUNT] = {"\033[2m", "\033[36m", "\033[33m", "\033[31m",
                                                   "\033[1;31m"};
    return (unsigned)s < VX__SEV_COUNT ? sgr[s] : "";
}

typedef struct tctx {
    vx__rbuf *b;
    bool colour;
} tctx;

static void sgr(const tctx *c, const char *code)
{
    if (c->colour)
        vx__rb_puts(c->b, code);
}

static void header(const tctx *c, const vx__report_input *in)
{
    const vx__snapshot *s = in->snap;
    char domain[VX__NAME_TEXT_MAX], when[32];
    vx__report_name(s->domain, domain, sizeof domain);
    vx__report_time(s->started_ms, when, sizeof when);
    sgr(c, SGR_BOLD);
    vx__rb_puts(c->b, "voxdns audit of ");
    vx__rb_plain(c->b, domain);
    sgr(c, SGR_RESET);
    vx__rb_puts(c->b, " (profile ");
    vx__rb_plain(c->b, vx__report_profile(in));
    vx__rb_printf(c->b, ")\n  %s, %.0f ms, %zu authoritative address%s\n", when, s->duration_ms,
                  s->server_count, s->server_count == 1 ? "" : "es");
}

/* "zone copies: P from SERVER (serial N, K RRsets), Q: transfer failed (REFUSED)". */
static void zone_copies(const tctx *c, const vx__snapshot *s)
{
    char label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 2];
    for (size_t i = 0; i < s->zone_count; i++) {
        const vx__zone_copy *z = &s->zones[i];
        vx__rb_puts(c->b, i ? ", " : "  zone copies: ");
        vx__rb_plain(c->b, z->provider);
        if (z->server && vx__server_label(z->server, (const struct sockaddr *)&z->addr, label,
                                          sizeof label) == VX_OK) {
            vx__rb_puts(c->b, " from ");
            vx__rb_plain(c->b, label);
        }
        if (z->status == VX_OK)
            vx__rb_printf(c->b, " (serial %u, %zu RRsets)", z->serial, z->set_count);
        else if (z->status == VX_EREFUSED && z->rcode)
            vx__rb_printf(c->b, ": transfer refused (%s)", vx__rcode_name(z->rcode));
        else
            vx__rb_printf(c->b, ": transfer failed (%s)", vx_strerror(z->status));
    }
    if (s->zone_count)
        vx__rb_puts(c->b, "\n");
}

/* "providers: dnsprov-a.net (3 addresses, serial 2026112201), ..." and, under dual primaries,
 * why serials are compared within each provider only. */
static void providers(const tctx *c, const vx__report_input *in)
{
    vx__provider_map own;
    const vx__provider_map *pm;
    if (vx__report_providers(in, &own, &pm) != VX_OK || !pm || pm->count == 0) {
        vx__providers_free(&own);
        return;
    }
    vx__rb_puts(c->b, "  providers:");
    for (size_t i = 0; i < pm->count; i++) {
        const vx__provider *p = &pm->items[i];
        vx__rb_puts(c->b, i ? ", " : " ");
        vx__rb_plain(c->b, p->name);
        vx__rb_printf(c->b, " (%s%zu address%s", p->declared ? "declared, " : "", p->servers,
                      p->servers == 1 ? "" : "es");
        if (p->has_serial)
            vx__rb_printf(c->b, ", serial %u%s", p->serial, p->consistent ? "" : " and others");
        vx__rb_puts(c->b, ")");
    }
    vx__rb_puts(c->b, "\n");
    if (pm->dual_primary) {
        vx__rb_puts(c->b, "  dual primaries, serials compared within each provider (");
        vx__rb_plain(c->b, pm->dual_why);
        vx__rb_puts(c->b, ")\n");
    }
    vx__providers_free(&own);
    zone_copies(c, in->snap);
}

static void server_list(const tctx *c, const char *what, const vx__rmodel *m)
{
    vx__rb_printf(c->b, "  %s:", what);
    for (size_t i = 0; i < m->server_count; i++) {
        vx__rb_puts(c->b, i ? ", " : " ");
        vx__rb_plain(c->b, m->servers[i].label);
        vx__rb_puts(c->b, " (");
        vx__rb_plain(c->b, m->servers[i].provider);
        vx__rb_puts(c->b, ")");
    }
    vx__rb_puts(c->b, m->server_count ? "\n" : " none\n");
}

/* --ns: which servers stood in for the delegation, and the live one the data was compared to. */
static void undelegated(const tctx *c, const vx__report_input *in)
{
    const vx__snapshot *s = in->snap;
    char given[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 2];
    vx__rmodel m;
    if (!s->undelegated || vx__rmodel_build_with(s, in->providers, &m) != VX_OK)
        return;
    vx__rb_puts(c->b, "  undelegated audit, as if delegated to");
    for (size_t i = 0; i < s->ns_given_count; i++) {
        vx__report_given(&s->ns_given[i], given, sizeof given);
        vx__rb_puts(c->b, i ? ", " : " ");
        vx__rb_plain(c->b, given);
    }
    vx__rb_puts(c->b, " (--ns)\n");
    server_list(c, "servers used", &m);
    vx__rmodel_free(&m);
    if (vx__rmodel_build_live(in, &m) == VX_OK && s->live->delegation_status == VX_OK) {
        server_list(c, "live delegation", &m);
    } else {
        vx__rb_puts(c->b, "  live delegation: none (");
        vx__rb_plain(c->b, s->live && s->live->delegation_error ? s->live->delegation_error
                                                                : "not audited");
        vx__rb_puts(c->b, "): nothing to compare with\n");
    }
    vx__rmodel_free(&m);
}

static void list_line(const tctx *c, const char *what, char *const *items, size_t n)
{
    if (n == 0)
        return;
    vx__rb_printf(c->b, INDENT "%-8s", what);
    for (size_t i = 0; i < n; i++) {
        vx__rb_puts(c->b, i ? ", " : " ");
        vx__rb_plain(c->b, items[i]);
    }
    vx__rb_puts(c->b, "\n");
}

static void finding(const tctx *c, const vx__finding *f)
{
    const vx__check_def *def = f->check ? vx__check_find(f->check) : NULL;
    char sev[16];
    snprintf(sev, sizeof sev, "%-9s", vx__severity_name(f->severity));
    vx__rb_puts(c->b, "  ");
    sgr(c, sev_colour(f->severity));
    vx__rb_puts(c->b, sev);
    sgr(c, SGR_RESET);
    sgr(c, SGR_BOLD);
    vx__rb_plain(c->b, f->check ? f->check : "?");
    sgr(c, SGR_RESET);
    vx__rb_puts(c->b, "\n" INDENT);
    vx__rb_plain(c->b, f->message);
    vx__rb_puts(c->b, "\n");
    list_line(c, "servers:", f->servers, f->server_count);
    list_line(c, "names:", f->names, f->name_count);
    if (def && def->remedy) {
        sgr(c, SGR_DIM);
        vx__rb_puts(c->b, INDENT "remedy:  ");
        sgr(c, SGR_RESET);
        vx__rb_plain(c->b, def->remedy);
        vx__rb_puts(c->b, "\n");
    }
}

static const char *area_of(const vx__finding *f)
{
    return f->area ? f->area : "other";
}

/* The findings of one area, worst first, in list order within a severity. */
static void area(const tctx *c, const vx__findings *f, const char *name)
{
    bool any = false;
    for (int sev = VX__SEV_CRITICAL; sev >= VX__SEV_INFO; sev--) {
        for (size_t i = 0; i < f->count; i++) {
            const vx__finding *it = &f->items[i];
            if ((int)it->severity != sev || strcmp(area_of(it), name) != 0)
                continue;
            if (!any) {
                vx__rb_puts(c->b, "\n");
                sgr(c, SGR_BOLD);
                vx__rb_plain(c->b, name);
                sgr(c, SGR_RESET);
                vx__rb_puts(c->b, "\n");
                any = true;
            }
            finding(c, it);
        }
    }
}

static bool area_listed(const char *const *areas, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(areas[i], name) == 0)
            return true;
    return false;
}

/* Areas in catalogue order, then any area only a finding names (none, normally). */
static void findings(const tctx *c, const vx__findings *f)
{
    size_t count = 0;
    const vx__check_def *reg = vx__check_registry(&count);
    const char *areas[64];
    size_t n = 0;
    for (size_t i = 0; i < count && n < 64; i++)
        if (!area_listed(areas, n, reg[i].area))
            areas[n++] = reg[i].area;
    for (size_t i = 0; i < f->count && n < 64; i++)
        if (!area_listed(areas, n, area_of(&f->items[i])))
            areas[n++] = area_of(&f->items[i]);
    for (size_t i = 0; i < n; i++)
        area(c, f, areas[i]);
    if (f->count == 0)
        vx__rb_puts(c->b, "\nno findings\n");
}

static void survival(const tctx *c, const vx__survival *sv)
{
    char half[32], ninety[32];
    vx__rb_puts(c->b, "\noutage survival: ");
    if (!sv || sv->half_s < 0) {
        vx__rb_puts(c->b, "no SIP chain records were found, so no cache can keep them\n");
        return;
    }
    vx__report_span(sv->half_s, half, sizeof half);
    vx__report_span(sv->ninety_s, ninety, sizeof ninety);
    vx__rb_printf(c->b,
                  "if every authoritative server went dark now, half of resolver caches lose the "
                  "SIP chain after %s, 90%% after %s\n",
                  half, ninety);
}

static void summary(const tctx *c, const vx__report_input *in)
{
    size_t n[VX__SEV_COUNT];
    char domain[VX__NAME_TEXT_MAX];
    vx__report_counts(in->findings, n);
    vx__report_name(in->snap->domain, domain, sizeof domain);
    vx__rb_puts(c->b, "\n");
    sgr(c, SGR_BOLD);
    vx__rb_plain(c->b, domain);
    vx__rb_printf(c->b, ": %zu critical, %zu error%s, %zu warning%s, %zu notice%s",
                  n[VX__SEV_CRITICAL], n[VX__SEV_ERROR], n[VX__SEV_ERROR] == 1 ? "" : "s",
                  n[VX__SEV_WARNING], n[VX__SEV_WARNING] == 1 ? "" : "s", n[VX__SEV_NOTICE],
                  n[VX__SEV_NOTICE] == 1 ? "" : "s");
    if (n[VX__SEV_INFO])
        vx__rb_printf(c->b, ", %zu info", n[VX__SEV_INFO]);
    sgr(c, SGR_RESET);
    vx__rb_puts(c->b, "\n");
}

char *vx__report_text(const vx__report_input *in, bool colour)
{
    static const vx__findings none = {0};
    if (!in || !in->snap)
        return NULL;
    vx__report_input use = *in;
    use.findings = in->findings ? in->findings : &none;
    vx__rbuf b = {0};
    tctx c = {&b, colour};
    header(&c, &use);
    undelegated(&c, &use);
    providers(&c, &use);
    findings(&c, use.findings);
    survival(&c, use.survival);
    summary(&c, &use);
    return vx__rb_take(&b);
}
