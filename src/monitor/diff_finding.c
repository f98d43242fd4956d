/*
 * monitor/diff_finding.c — findings in the monitor's diff (monitor/diff_impl.h): each finding
 * of the cycle a condition under its canonical key (vx__diff_finding_key), FINDING-APPEARED
 * when it opens and FINDING-CLEARED when it is gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"
#include "wire/query.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The address of a server label "name/address", or the label itself. */
static const char *label_address(const char *label)
{
    const char *slash = strrchr(label, '/');
    return slash ? slash + 1 : label;
}

/* Appends list (the addresses of its labels when by_address), sorted and each once, comma-
 * separated: a finding is the same finding whatever order the observations that make it
 * arrived in, and whichever of its NS names first labelled a shared address. */
static int append_canonical(char *out, size_t cap, int w, char *const *list, size_t n,
                            bool by_address)
{
    if (n == 0)
        return w;
    const char **sorted = malloc(n * sizeof(*sorted));
    if (!sorted)
        return -1;
    for (size_t i = 0; i < n; i++)
        sorted[i] = by_address ? label_address(list[i]) : list[i];
    qsort(sorted, n, sizeof(*sorted), cmp_str);
    for (size_t i = 0, k = 0; w >= 0 && (size_t)w < cap && i < n; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0)
            w += snprintf(out + w, cap - (size_t)w, "%s%s", k++ ? "," : "", sorted[i]);
    free(sorted);
    return w;
}

int vx__diff_finding_key(const vx__finding *f, char *out, size_t cap)
{
    int w = snprintf(out, cap, "finding|%s|", f->check);
    if (w >= 0 && (size_t)w < cap)
        w = append_canonical(out, cap, w, f->servers, f->server_count, true);
    if (w >= 0 && (size_t)w < cap)
        w += snprintf(out + w, cap - (size_t)w, "|");
    if (w >= 0 && (size_t)w < cap)
        w = append_canonical(out, cap, w, f->names, f->name_count, false);
    return w < 0 || (size_t)w >= cap ? VX_ELIMIT : VX_OK;
}

/* A finding's name may be "name TYPE": the event shows them apart. */
static void finding_name(vx__diff_ev *b, const char *entry)
{
    const char *sp = strrchr(entry, ' ');
    uint16_t t = 0;
    char name[VX__NAME_TEXT_MAX];
    if (sp && vx__rrtype_from_text(sp + 1, &t) == VX_OK) {
        snprintf(name, sizeof name, "%.*s", (int)(sp - entry), entry);
        b->e.rrtype = t;
    } else {
        snprintf(name, sizeof name, "%s", entry);
    }
    vx__name_show(name, b->name, sizeof b->name);
    b->e.name = b->name;
}

/* Server and name appear when the finding is about exactly one; the message says the rest. */
static void finding_event(vx__diff_ctx *c, vx__diff_ev *b, vx__event_type type, vx__severity sev,
                          const char *check, const char *server, const char *name)
{
    vx__diff_ev_init(c, b, type, sev, server, NULL, 0);
    snprintf(b->check, sizeof b->check, "%s", check);
    b->e.check = b->check;
    if (name)
        finding_name(b, name);
}

static void finding_present(vx__diff_ctx *c, const vx__finding *f)
{
    char key[4096];
    if (vx__diff_finding_key(f, key, sizeof key) != VX_OK)
        return;
    const char *server = f->server_count == 1 ? f->servers[0] : NULL;
    const char *name = f->name_count == 1 ? f->names[0] : NULL;
    vx__diff_ev b;
    finding_event(c, &b, VX__EV_FINDING_APPEARED, f->severity, f->check, server, name);
    vx__diff_ev_msg(&b, "%s: %s", f->check, f->message ? f->message : "");
    char *detail = vx__diff_detail_fields("{s:s,s:s,s:s?,s:s?,s:s}", "check", f->check, "severity",
                                          vx__severity_name(f->severity), "server", server, "name",
                                          name, "message", f->message ? f->message : "");
    if (!detail) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    vx__diff_hold(c, key, VX__EV_FINDING_APPEARED, &b, detail);
    free(detail);
}

void vx__diff_finding_cleared(vx__diff_ctx *c, const vx__condition *open)
{
    char check[64], server[VX__LABEL_TEXT_MAX], name[VX__NAME_TEXT_MAX], msg[VX__DIFF_MSG_MAX - 80];
    const char *d = open->detail;
    vx__diff_ev b;
    finding_event(c, &b, VX__EV_FINDING_CLEARED, VX__SEV_NOTICE,
                  vx__diff_detail_str(d, "check", check, sizeof check) ? check : "?",
                  vx__diff_detail_str(d, "server", server, sizeof server),
                  vx__diff_detail_str(d, "name", name, sizeof name));
    vx__diff_ev_msg(&b, "%s cleared: %s", check[0] ? check : "?",
                    vx__diff_detail_str(d, "message", msg, sizeof msg) ? msg : "");
    vx__diff_emit_closing(c, &b, open);
}

void vx__diff_check_findings(vx__diff_ctx *c)
{
    for (size_t i = 0; c->in->findings && i < c->in->findings->count && c->rc == VX_OK; i++)
        finding_present(c, &c->in->findings->items[i]);
}
