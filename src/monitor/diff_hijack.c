/*
 * monitor/diff_hijack.c — the hijack surface in the monitor's diff (monitor/diff_impl.h): the
 * delegation and DS at every parent server (DELEGATION-CHANGED, DS-CHANGED, DS-REMOVED), the
 * answers of the zones that own the domain's other names (NS hosts' addresses:
 * NS-ADDRESS-CHANGED; out-of-zone SIP targets), CAA-CHANGED, ACME-CHALLENGE-APPEARED, and the
 * set of authoritative addresses (SERVER-ADDED, SERVER-REMOVED).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/query.h"

static bool is_ns_name(const vx__diff_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->ns_name_count; i++)
        if (vx__name_eq(c->ns_names[i], name))
            return true;
    return false;
}

static bool is_acme_challenge(const char *qname)
{
    return strncasecmp(qname, "_acme-challenge.", 16) == 0;
}

/* The event a change of r's data opens (docs/events.md): the hijack surface has its own
 * events, everything else is RECORD-ADDED, -REMOVED or -CHANGED. */
vx__event_type vx__diff_change_type(const vx__diff_ctx *c, const vx__diff_rec *r,
                                    const vx__diff_data *from, vx__severity *sev)
{
    *sev = VX__SEV_ERROR;
    if (r->family == VX__DIFF_FAM_DELEGATION) {
        *sev = VX__SEV_CRITICAL;
        return VX__EV_DELEGATION_CHANGED;
    }
    if (r->family == VX__DIFF_FAM_DS) {
        *sev = r->now->n == 0 && from->n > 0 ? VX__SEV_CRITICAL : VX__SEV_ERROR;
        return r->now->n == 0 && from->n > 0 ? VX__EV_DS_REMOVED : VX__EV_DS_CHANGED;
    }
    if (r->qtype == VX__T_CAA) {
        *sev = VX__SEV_WARNING;
        return VX__EV_CAA_CHANGED;
    }
    if (r->qtype == VX__T_TXT && is_acme_challenge(r->qname) && from->n == 0) {
        *sev = VX__SEV_WARNING;
        return VX__EV_ACME_CHALLENGE_APPEARED;
    }
    if ((r->qtype == VX__T_A || r->qtype == VX__T_AAAA) && is_ns_name(c, r->qname))
        return VX__EV_NS_ADDRESS_CHANGED;
    if (from->n == 0)
        return VX__EV_RECORD_ADDED;
    return r->now->n == 0 ? VX__EV_RECORD_REMOVED : VX__EV_RECORD_CHANGED;
}

typedef bool (*usable_fn)(const vx__observation *o);
typedef int (*extract_fn)(const vx__observation *o, const char *qname, uint16_t qtype,
                          vx__diff_data *out);

/* The first UDP answer of kind to (qname, qtype) that passes usable, from addr (NULL: any). */
static const vx__observation *find_kind(const vx__snapshot *snap, vx__probe_kind kind,
                                        const struct sockaddr *addr, const char *qname,
                                        uint16_t qtype, usable_fn usable)
{
    for (size_t i = 0; snap && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind == kind && o->transport == VX__UDP && o->qtype == qtype &&
            (!addr || vx__addr_equal((const struct sockaddr *)&o->addr, addr)) &&
            vx__name_eq(o->qname, qname) && usable(o))
            return o;
    }
    return NULL;
}

/* Compares o (this cycle) with the baseline's answer from the same address, else with the
 * baseline's first answer of that kind: a server that is new is held to what the others said. */
static void compare_kind(vx__diff_ctx *c, vx__diff_family fam, const vx__observation *o,
                         usable_fn usable, extract_fn extract)
{
    const struct sockaddr *addr = (const struct sockaddr *)&o->addr;
    const vx__observation *b =
        find_kind(c->in->baseline, o->kind, addr, o->qname, o->qtype, usable);
    if (!b)
        b = find_kind(c->in->baseline, o->kind, NULL, o->qname, o->qtype, usable);
    char label[VX__LABEL_TEXT_MAX];
    vx__obs_label(o, label, sizeof label);
    vx__diff_rec r = {.family = fam, .label = label, .qname = o->qname, .qtype = o->qtype};
    vx__diff_data base = {0}, now = {0};
    if (!b) { /* no basis: the baseline was replaced, or never had it */
        vx__diff_compare_keys(&r);
        vx__diff_forget(c, r.rkey);
        vx__diff_forget(c, r.tkey);
        return;
    }
    vx__diff_fail(c, extract(b, o->qname, o->qtype, &base));
    vx__diff_fail(c, extract(o, o->qname, o->qtype, &now));
    r.base = &base;
    r.now = &now;
    if (c->rc == VX_OK)
        vx__diff_compare_one(c, &r);
    vx__diff_data_free(&base);
    vx__diff_data_free(&now);
}

/* Only the first answer per (kind, address, name, type) counts. */
static bool first_usable(const vx__snapshot *snap, const vx__observation *o, usable_fn usable)
{
    return find_kind(snap, o->kind, (const struct sockaddr *)&o->addr, o->qname, o->qtype,
                     usable) == o;
}

static void compare_all_of_kind(vx__diff_ctx *c, vx__probe_kind kind, vx__diff_family fam,
                                usable_fn usable, extract_fn extract)
{
    const vx__snapshot *snap = c->in->current;
    for (size_t i = 0; i < snap->obs_count && c->rc == VX_OK; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind == kind && o->transport == VX__UDP && vx__diff_compared_type(o->qtype) &&
            usable(o) && first_usable(snap, o, usable))
            compare_kind(c, fam, o, usable, extract);
    }
}

/* A referral (or the parent's own answer) that says what the delegation is. */
static bool referral_usable(const vx__observation *o)
{
    return o && o->status == VX_OK && !(o->flags & VX__FLAG_TC) &&
           (o->rcode == VX__RCODE_NOERROR || o->rcode == VX__RCODE_NXDOMAIN);
}

static bool push_glue(vx__diff_data *out, const vx__observation *o, const char *ns_name)
{
    static const uint16_t types[2] = {VX__T_A, VX__T_AAAA};
    char prefix[VX__NAME_TEXT_MAX + 8];
    for (size_t t = 0; t < 2; t++) {
        const vx__rrset *glue = vx__obs_find(o, VX__SECTION_ADDITIONAL, ns_name, types[t]);
        snprintf(prefix, sizeof prefix, "%s %s ", ns_name, t ? "AAAA" : "A");
        for (size_t j = 0; glue && j < glue->count; j++)
            if (!vx__diff_data_push(out, prefix, glue->rdata[j]))
                return false;
    }
    return true;
}

/* A parent's delegation of qname: its NS names, then the glue it gives for them
 * ("ns1.example.com. A 192.0.2.1"). */
static int delegation_of(const vx__observation *o, const char *qname, uint16_t qtype,
                         vx__diff_data *out)
{
    (void)qtype;
    memset(out, 0, sizeof *out);
    out->rcode = o->rcode;
    const vx__rrset *ns = vx__obs_find(o, VX__SECTION_AUTHORITY, qname, VX__T_NS);
    if (!ns)
        ns = vx__obs_find(o, VX__SECTION_ANSWER, qname, VX__T_NS);
    bool ok = true;
    for (size_t i = 0; ok && ns && i < ns->count; i++)
        ok = vx__diff_data_push(out, "", ns->rdata[i]);
    for (size_t i = 0; ok && ns && i < ns->count; i++)
        ok = push_glue(out, o, ns->rdata[i]);
    out->ttl = ns ? ns->ttl : 0;
    if (!ok)
        vx__diff_data_free(out);
    return ok ? VX_OK : VX_ENOMEM;
}

/* The delegation and DS at every parent server, and the domain's names as the zones that own
 * them serve them (NS hosts' addresses, out-of-zone SIP targets, their CAA and challenges). */
void vx__diff_check_surface(vx__diff_ctx *c)
{
    compare_all_of_kind(c, VX__PROBE_PARENT, VX__DIFF_FAM_DELEGATION, referral_usable,
                        delegation_of);
    compare_all_of_kind(c, VX__PROBE_DS, VX__DIFF_FAM_DS, vx__diff_obs_usable, vx__diff_data_of);
    compare_all_of_kind(c, VX__PROBE_FOREIGN, VX__DIFF_FAM_RECORD, vx__diff_obs_usable,
                        vx__diff_data_of);
}

/* The set of authoritative addresses: one that joined or left it since the baseline. */
static bool server_set_comparable(const vx__diff_ctx *c)
{
    const vx__snapshot *b = c->in->baseline, *s = c->in->current;
    return b && b != s && s->delegation_status == VX_OK && s->server_count > 0 &&
           b->server_count > 0;
}

static void server_change(vx__diff_ctx *c, vx__event_type type, const vx__server *srv,
                          const char *label)
{
    bool added = type == VX__EV_SERVER_ADDED;
    char key[VX__DIFF_KEY_MAX], addr[VX__ADDR_TEXT_MAX];
    snprintf(key, sizeof key, "%s|%s", added ? "server-added" : "server-removed", label);
    const struct sockaddr *sa = (const struct sockaddr *)&srv->addr;
    if (vx__addr_format(sa, addr, sizeof addr) != 0)
        snprintf(addr, sizeof addr, "?");
    char *data[1] = {addr};
    vx__diff_ev b;
    vx__diff_ev_init(c, &b, type, VX__SEV_WARNING, label, srv->name,
                     sa->sa_family == AF_INET6 ? VX__T_AAAA : VX__T_A);
    b.e.old_data = added ? NULL : data;
    b.e.old_count = added ? 0 : 1;
    b.e.new_data = added ? data : NULL;
    b.e.new_count = added ? 1 : 0;
    if (added)
        vx__diff_ev_msg(&b, "%s joined the authoritative servers of %s (it is not in the baseline)",
                        label, c->domain);
    else
        vx__diff_ev_msg(&b, "%s left the authoritative servers of %s (it is in the baseline)",
                        label, c->domain);
    char *detail = vx__diff_detail_fields("{s:s,s:s}", "name", srv->name, "addr", addr);
    if (!detail) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    vx__diff_hold(c, key, type, &b, detail);
    free(detail);
}

/* A server-set condition that no longer holds: the address is back where the baseline has it
 * (reverted), or the baseline now agrees with this cycle (accepted: not news). */
static void server_change_gone(vx__diff_ctx *c, const vx__condition *cond)
{
    bool added = vx__diff_has_prefix(cond->key, "server-added|");
    char label[VX__LABEL_TEXT_MAX], name[VX__NAME_TEXT_MAX], addr[VX__ADDR_TEXT_MAX];
    char span[128];
    vx__diff_key_subject(cond->key, label, sizeof label);
    bool in_now = vx__diff_server_in(c->in->current, label) != NULL;
    vx__diff_forget(c, cond->key);
    if (added == in_now)
        return;
    vx__diff_detail_str(cond->detail, "name", name, sizeof name);
    vx__diff_detail_str(cond->detail, "addr", addr, sizeof addr);
    vx__diff_bounds_text(c, cond, span, sizeof span);
    char *data[1] = {addr};
    vx__diff_ev b;
    vx__diff_ev_init(c, &b, VX__EV_CHANGE_REVERTED, VX__SEV_NOTICE, label, name[0] ? name : NULL,
                     strchr(addr, ':') ? VX__T_AAAA : VX__T_A);
    b.e.old_data = added ? data : NULL;
    b.e.old_count = added ? 1 : 0;
    b.e.new_data = added ? NULL : data;
    b.e.new_count = added ? 0 : 1;
    if (added)
        vx__diff_ev_msg(
            &b,
            "%s is no longer among the authoritative servers of %s, as in the baseline; "
            "it was among them for %s",
            label, c->domain, span);
    else
        vx__diff_ev_msg(&b,
                        "%s is among the authoritative servers of %s again, as in the baseline; "
                        "it was away for %s",
                        label, c->domain, span);
    vx__diff_emit_closing(c, &b, cond);
}

void vx__diff_check_server_set(vx__diff_ctx *c)
{
    if (!server_set_comparable(c))
        return; /* unknown this cycle: open server-set conditions are carried over */
    const vx__snapshot *b = c->in->baseline, *s = c->in->current;
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < s->server_count && c->rc == VX_OK; i++) {
        const vx__server *srv = &s->servers[i];
        if (vx__server_label(srv->name, (const struct sockaddr *)&srv->addr, label, sizeof label) ==
                VX_OK &&
            !vx__diff_server_in(b, label))
            server_change(c, VX__EV_SERVER_ADDED, srv, label);
    }
    for (size_t i = 0; i < b->server_count && c->rc == VX_OK; i++) {
        const vx__server *srv = &b->servers[i];
        if (vx__server_label(srv->name, (const struct sockaddr *)&srv->addr, label, sizeof label) ==
                VX_OK &&
            !vx__diff_server_in(s, label))
            server_change(c, VX__EV_SERVER_REMOVED, srv, label);
    }
    for (size_t i = 0; i < c->prev->count && c->rc == VX_OK; i++) {
        const vx__condition *cond = &c->prev->items[i];
        if (!c->handled[i] && vx__diff_has_prefix(cond->key, "server-"))
            server_change_gone(c, cond);
    }
}

/* A parent server or a server of a foreign zone that was asked this cycle. */
bool vx__diff_asked_server(const vx__diff_ctx *c, const char *label)
{
    const vx__snapshot *snap = c->in->current;
    char l[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind != VX__PROBE_PARENT && o->kind != VX__PROBE_DS && o->kind != VX__PROBE_FOREIGN)
            continue;
        vx__obs_label(o, l, sizeof l);
        if (strcmp(l, label) == 0)
            return true;
    }
    return false;
}
