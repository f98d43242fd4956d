/*
 * store/store_zone.c — owns the monitor's whole-zone copies in the store (store.h, schema V5):
 * per domain and provider the copy last transferred and the accepted one.
 */
#include "store/store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

void vx__store_zones_free(vx__store_zone *zones, size_t count)
{
    for (size_t i = 0; zones && i < count; i++) {
        free(zones[i].provider);
        free(zones[i].held);
        free(zones[i].baseline);
    }
    free(zones);
}

static char *col(vx__store *s, vx__sq *q, int i)
{
    const char *t = s->be->text(q, i);
    return t ? strdup(t) : NULL;
}

static int zone_row(vx__store *s, vx__sq *q, vx__store_zone **list, size_t *count)
{
    vx__store_zone *grown = realloc(*list, (*count + 1) * sizeof *grown);
    if (!grown)
        return VX_ENOMEM;
    *list = grown;
    vx__store_zone *z = &grown[(*count)++];
    *z = (vx__store_zone){.provider = col(s, q, 0),
                          .held = col(s, q, 1),
                          .held_ms = (uint64_t)s->be->int64(q, 2),
                          .baseline = col(s, q, 3),
                          .accepted_ms = (uint64_t)s->be->int64(q, 4)};
    return z->provider && z->held && z->baseline ? VX_OK : VX_ENOMEM;
}

int vx__store_get_zones(vx__store *s, const char *domain, vx__store_zone **out, size_t *count)
{
    if (!s || !domain || !out || !count)
        return VX_EINVAL;
    *out = NULL;
    *count = 0;
    vx__sp p[] = {VX__SP_T(domain)};
    vx__sq *q;
    int rc = s->be->query(s,
                          "SELECT z.provider, z.held, z.held_ms, z.baseline, z.accepted_ms"
                          " FROM zone_copies z JOIN domains d ON d.id = z.domain_id"
                          " WHERE d.name = $1 ORDER BY z.provider",
                          p, 1, &q);
    if (rc != VX_OK)
        return rc;
    int step = 0;
    while (rc == VX_OK && (step = s->be->step(q)) == 1)
        rc = zone_row(s, q, out, count);
    if (rc == VX_OK && step != 0)
        rc = VX_EIO;
    s->be->finish(q);
    if (rc != VX_OK) {
        vx__store_zones_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

int vx__store_put_zone(vx__store *s, const char *domain, const char *provider,
                       const char *held_json, uint64_t now_ms)
{
    int64_t id = 0;
    if (!s || !domain || !*domain || !provider || !held_json)
        return VX_EINVAL;
    int rc = vx__store_begin(s);
    if (rc == VX_OK)
        rc = vx__store_domain_id(s, domain, &id);
    if (rc == VX_OK) {
        vx__sp p[] = {VX__SP_I(id), VX__SP_T(provider), VX__SP_T(held_json), VX__SP_I(now_ms)};
        rc = vx__store_exec(s,
                            "INSERT INTO zone_copies"
                            " (domain_id, provider, held, held_ms, baseline, accepted_ms)"
                            " VALUES ($1, $2, $3, $4, $3, $4) ON CONFLICT (domain_id, provider)"
                            " DO UPDATE SET held = excluded.held, held_ms = excluded.held_ms",
                            p, 4);
    }
    return vx__store_end(s, rc);
}
