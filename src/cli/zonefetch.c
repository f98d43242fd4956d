/*
 * cli/zonefetch.c — owns the choice of zone-transfer targets and the --tsig option
 * (cli/zonefetch.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/zonefetch.h"
#include "model/view.h"
#include "voxdns/status.h"

int vx__cli_tsig_parse(const char *text, vx__cli_tsig *out)
{
    memset(out, 0, sizeof *out);
    const char *eq = text ? strchr(text, '=') : NULL;
    if (!eq || eq == text || (size_t)(eq - text) >= sizeof out->provider)
        return VX_EINVAL;
    snprintf(out->provider, sizeof out->provider, "%.*s", (int)(eq - text), text);
    return vx__tsig_key_parse(eq + 1, &out->key);
}

static const vx__tsig_key *key_of(const vx__cli_tsig *keys, size_t n, const char *provider)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].provider, provider) == 0)
            return &keys[i].key;
    return NULL;
}

size_t vx__cli_zone_targets(const vx__snapshot *snap, const vx__provider_map *pm,
                            const vx__cli_tsig *keys, size_t nkeys, bool open_axfr,
                            vx__zone_target *out, size_t cap)
{
    vx__view v;
    if (vx__view_build(snap, snap->profile, &v) != VX_OK)
        return 0;
    size_t n = 0;
    for (size_t p = 0; p < pm->count && n < cap; p++) {
        const vx__tsig_key *key = key_of(keys, nkeys, pm->items[p].name);
        size_t best = v.server_count;
        for (size_t i = 0; (key || open_axfr) && i < v.server_count; i++)
            if (pm->of_server[i] == p && vx__vserver_authoritative(&v.servers[i]) &&
                (best == v.server_count || strcmp(v.servers[i].label, v.servers[best].label) < 0))
                best = i;
        if (best < v.server_count)
            out[n++] = (vx__zone_target){pm->items[p].name, snap->servers[best].name,
                                         snap->servers[best].addr, key, NULL};
    }
    vx__view_free(&v);
    return n;
}
