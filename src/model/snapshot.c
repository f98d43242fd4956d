/*
 * model/snapshot.c — owns the snapshot in memory: creation and deep release, appending
 * observations and servers (deep copies), filling an observation from a parsed response, the
 * probe kind names and the "name/address" server label every finding uses. The JSON form lives
 * in model/snapshot_json.c.
 */
#include "model/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/addr.h"

/* ---- probe kinds ----------------------------------------------------------------------- */

static const char *const kind_names[] = {
    "parent", "ds", "resolve", "data", "noedns", "recursion", "axfr", "version", "foreign",
};

const char *vx__probe_kind_name(vx__probe_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "unknown";
}

int vx__probe_kind_from_name(const char *name, vx__probe_kind *out)
{
    for (size_t i = 0; name && out && i < sizeof kind_names / sizeof kind_names[0]; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (vx__probe_kind)i;
            return VX_OK;
        }
    }
    return VX_EINVAL;
}

/* ---- growing arrays -------------------------------------------------------------------- */

/* Makes room for one more element. The snapshot keeps no capacity fields: every array it owns
 * grows only through here, in powers of two, so the capacity follows from the count (4, 8, 16,
 * ...) and doubling stays amortised O(1). */
static int grow(void **arr, size_t count, size_t elem)
{
    if (count >= SIZE_MAX / 2 / elem)
        return VX_ENOMEM;
    bool full = count == 0 || (count >= 4 && (count & (count - 1)) == 0);
    if (!full)
        return VX_OK;
    size_t cap = count < 4 ? 4 : count * 2;
    void *p = realloc(*arr, cap * elem);
    if (!p)
        return VX_ENOMEM;
    *arr = p;
    return VX_OK;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* ---- RRsets ---------------------------------------------------------------------------- */

/* A deep copy of a canonical RRset (wire/rrset.h has none: only the snapshot keeps RRsets
 * beyond the message they came from). */
static vx__rrset *rrset_copy(const vx__rrset *src)
{
    vx__rrset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->owner = strdup(src->owner);
    set->rdata = calloc(src->count ? src->count : 1, sizeof *set->rdata);
    set->type = src->type;
    set->rrclass = src->rrclass;
    set->ttl = src->ttl;
    if (!set->owner || !set->rdata) {
        vx__rrset_free(set);
        return NULL;
    }
    for (; set->count < src->count; set->count++) {
        set->rdata[set->count] = strdup(src->rdata[set->count]);
        if (!set->rdata[set->count]) {
            vx__rrset_free(set);
            return NULL;
        }
    }
    return set;
}

static int rrsets_copy(vx__rrset *const *src, size_t n, vx__rrset ***out)
{
    *out = NULL;
    if (n == 0)
        return VX_OK;
    vx__rrset **sets = calloc(n, sizeof *sets);
    if (!sets)
        return VX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        sets[i] = rrset_copy(src[i]);
        if (!sets[i]) {
            vx__rrsets_free(sets, i);
            return VX_ENOMEM;
        }
    }
    *out = sets;
    return VX_OK;
}

/* ---- observations ---------------------------------------------------------------------- */

static void sections_clear(vx__observation *obs)
{
    for (int i = 0; i < 3; i++) {
        vx__rrsets_free(obs->sections[i], obs->section_count[i]);
        obs->sections[i] = NULL;
        obs->section_count[i] = 0;
    }
}

void vx__observation_clear(vx__observation *obs)
{
    if (!obs)
        return;
    free(obs->server);
    free(obs->qname);
    free(obs->nsid);
    sections_clear(obs);
    memset(obs, 0, sizeof *obs);
}

/* Copies src into dst (which holds nothing yet); on failure dst holds what was copied so far
 * and the caller clears it. */
static int observation_copy(vx__observation *dst, const vx__observation *src)
{
    *dst = *src;
    dst->server = NULL;
    dst->qname = NULL;
    dst->nsid = NULL;
    memset(dst->sections, 0, sizeof dst->sections);
    memset(dst->section_count, 0, sizeof dst->section_count);
    dst->server = dup_or_empty(src->server);
    dst->qname = dup_or_empty(src->qname);
    if (!dst->server || !dst->qname)
        return VX_ENOMEM;
    if (src->nsid && !(dst->nsid = strdup(src->nsid)))
        return VX_ENOMEM;
    for (int i = 0; i < 3; i++) {
        if (rrsets_copy(src->sections[i], src->section_count[i], &dst->sections[i]) != VX_OK)
            return VX_ENOMEM;
        dst->section_count[i] = src->section_count[i];
    }
    return VX_OK;
}

/* Room for one more observation at the end of s->obs: its slot, or NULL when out of memory. */
static vx__observation *next_obs_slot(vx__snapshot *s)
{
    void *arr = s->obs;
    if (grow(&arr, s->obs_count, sizeof *s->obs) != VX_OK)
        return NULL;
    s->obs = arr;
    return &s->obs[s->obs_count];
}

int vx__snapshot_add_obs(vx__snapshot *s, const vx__observation *obs)
{
    if (!s || !obs)
        return VX_EINVAL;
    vx__observation *slot = next_obs_slot(s);
    if (!slot)
        return VX_ENOMEM;
    if (observation_copy(slot, obs) != VX_OK) {
        vx__observation_clear(slot);
        return VX_ENOMEM;
    }
    s->obs_count++;
    return VX_OK;
}

int vx__snapshot_take_obs(vx__snapshot *s, vx__observation *obs)
{
    if (!s || !obs)
        return VX_EINVAL;
    vx__observation *slot = next_obs_slot(s);
    if (!slot)
        return VX_ENOMEM;
    *slot = *obs;
    s->obs_count++;
    memset(obs, 0, sizeof *obs);
    return VX_OK;
}

static const ldns_rr_list *section_list(const ldns_pkt *pkt, int i)
{
    if (i == VX__SECTION_ANSWER)
        return ldns_pkt_answer(pkt);
    return i == VX__SECTION_AUTHORITY ? ldns_pkt_authority(pkt) : ldns_pkt_additional(pkt);
}

/* Replaces whatever the observation held from an earlier response (obs starts zeroed). ldns
 * keeps the OPT pseudo-record out of its additional list, so the sections hold data only. */
int vx__observation_set_response(vx__observation *obs, const vx__msg *msg)
{
    if (!obs || !msg || !msg->pkt)
        return VX_EINVAL;
    sections_clear(obs);
    free(obs->nsid);
    obs->nsid = NULL;
    obs->rcode = vx__msg_rcode(msg);
    obs->flags = msg->header.flags;
    obs->has_opt = msg->has_opt;
    if (msg->nsid && !(obs->nsid = strdup(msg->nsid)))
        return VX_ENOMEM;
    for (int i = 0; i < 3; i++) {
        int rc = vx__rrsets_from_list(section_list(msg->pkt, i), &obs->sections[i],
                                      &obs->section_count[i]);
        if (rc != VX_OK) {
            sections_clear(obs);
            return rc;
        }
    }
    return VX_OK;
}

/* ---- servers --------------------------------------------------------------------------- */

static bool server_is(const vx__server *sv, const char *name, const struct sockaddr *addr)
{
    return strcmp(sv->name, name) == 0 && vx__addr_equal((const struct sockaddr *)&sv->addr, addr);
}

/* Appends (name, addr); the exact pair already listed is not added twice, but one address
 * under two NS names is kept twice: the checks report both names. */
int vx__snapshot_add_server(vx__server **list, size_t *count, const char *name,
                            const struct sockaddr *addr)
{
    if (!list || !count || !addr)
        return VX_EINVAL;
    name = name ? name : "";
    for (size_t i = 0; i < *count; i++)
        if (server_is(&(*list)[i], name, addr))
            return VX_OK;
    void *arr = *list;
    if (grow(&arr, *count, sizeof **list) != VX_OK)
        return VX_ENOMEM;
    *list = arr;
    vx__server *sv = &(*list)[*count];
    memset(sv, 0, sizeof *sv);
    sv->name = strdup(name);
    if (!sv->name)
        return VX_ENOMEM;
    socklen_t len = vx__addr_len(addr);
    memcpy(&sv->addr, addr, len && len <= sizeof sv->addr ? len : sizeof addr->sa_family);
    (*count)++;
    return VX_OK;
}

static void servers_free(vx__server *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++)
        free(list[i].name);
    free(list);
}

/* The name without its trailing dot (the root stays "."), then "/address"; the address alone
 * when the name is empty (a failed walk), the name alone when there is no address. */
int vx__server_label(const char *name, const struct sockaddr *addr, char *out, size_t cap)
{
    char host[VX__ADDR_TEXT_MAX] = "";
    if (!out || cap == 0)
        return VX_EINVAL;
    if (addr && vx__addr_format(addr, host, sizeof host) != VX_OK)
        host[0] = '\0';
    size_t n = name ? strlen(name) : 0;
    if (n > 1 && name[n - 1] == '.')
        n--;
    int w;
    if (n == 0)
        w = snprintf(out, cap, "%s", host);
    else if (host[0] == '\0')
        w = snprintf(out, cap, "%.*s", (int)n, name);
    else
        w = snprintf(out, cap, "%.*s/%s", (int)n, name, host);
    return (w < 0 || (size_t)w >= cap) ? VX_EINVAL : VX_OK;
}

/* ---- the snapshot ---------------------------------------------------------------------- */

vx__snapshot *vx__snapshot_new(const char *domain, const char *profile)
{
    vx__snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->domain = dup_or_empty(domain);
    s->profile = strdup(profile ? profile : "generic");
    if (!s->domain || !s->profile) {
        vx__snapshot_free(s);
        return NULL;
    }
    return s;
}

void vx__snapshot_free(vx__snapshot *s)
{
    if (!s)
        return;
    free(s->domain);
    free(s->profile);
    free(s->delegation_error);
    free(s->parent_zone);
    servers_free(s->parent_servers, s->parent_server_count);
    servers_free(s->servers, s->server_count);
    for (size_t i = 0; s->obs && i < s->obs_count; i++)
        vx__observation_clear(&s->obs[i]);
    free(s->obs);
    for (size_t i = 0; i < s->endpoint_count; i++)
        vx__endpoint_clear(&s->endpoints[i]);
    free(s->endpoints);
    for (size_t i = 0; s->alt && i < s->alt_count; i++)
        vx__snapshot_free(s->alt[i]);
    free(s->alt);
    vx__zone_copies_free(s->zones, s->zone_count);
    for (size_t i = 0; i < s->ns_given_count; i++)
        vx__ns_spec_clear(&s->ns_given[i]);
    free(s->ns_given);
    vx__snapshot_free(s->live);
    free(s);
}

int vx__snapshot_add_endpoint(vx__snapshot *s, const vx__endpoint_obs *ep)
{
    void *arr = s->endpoints;
    if (grow(&arr, s->endpoint_count, sizeof *s->endpoints) != VX_OK)
        return VX_ENOMEM;
    s->endpoints = arr;
    if (vx__endpoint_copy(&s->endpoints[s->endpoint_count], ep) != VX_OK)
        return VX_ENOMEM;
    s->endpoint_count++;
    s->endpoints_probed = true;
    return VX_OK;
}

int vx__snapshot_add_ns_given(vx__snapshot *s, const vx__ns_spec *spec)
{
    void *arr = s->ns_given;
    if (grow(&arr, s->ns_given_count, sizeof *s->ns_given) != VX_OK)
        return VX_ENOMEM;
    s->ns_given = arr;
    vx__ns_spec *copy = &s->ns_given[s->ns_given_count];
    *copy = *spec;
    if (!(copy->name = strdup(spec->name)))
        return VX_ENOMEM;
    s->ns_given_count++;
    s->undelegated = true;
    return VX_OK;
}

int vx__snapshot_add_alt(vx__snapshot *s, vx__snapshot *alt)
{
    void *arr = s->alt;
    if (grow(&arr, s->alt_count, sizeof *s->alt) != VX_OK)
        return VX_ENOMEM;
    s->alt = arr;
    s->alt[s->alt_count++] = alt;
    return VX_OK;
}
