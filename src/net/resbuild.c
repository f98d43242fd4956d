/*
 * net/resbuild.c — the stub resolver state machine from a plain description (resbuild.h):
 * default options with the caller's choices, the driver's CSPRNG, the upstreams, the static
 * cache parsed from its texts.
 */
#include "net/resbuild.h"

#include <time.h>
#include <uv.h>

#include "net/resdriver.h"
#include "voxdns/status.h"

static int build_static(const vx__resbuild_spec *spec, vx__res *res)
{
    if (spec->nstatics == 0)
        return VX_OK;
    vx__static_cache *sc;
    int rc = vx__static_new(&sc);
    for (size_t i = 0; rc == VX_OK && i < spec->nstatics; i++) {
        const vx__static_text *t = &spec->statics[i];
        rc = vx__static_parse(sc, t->format, t->text, t->len, NULL, 0);
    }
    if (rc != VX_OK) {
        vx__static_free(sc);
        return rc;
    }
    vx__res_set_static(res, sc);
    return VX_OK;
}

int vx__resbuild(const vx__resbuild_spec *spec, vx__res **out)
{
    if (!spec || spec->nup == 0)
        return VX_EINVAL;
    if (vx__resdrv_random_check() != VX_OK)
        return VX_EUNSUPPORTED;
    vx__res_opts opts;
    vx__res_opts_default(&opts);
    opts.static_first = spec->static_first;
    opts.max_ttl_s = spec->max_ttl_s;
    opts.random16 = vx__resdrv_random16;
    opts.trust_anchors = spec->trust_anchors;
    /* the driver's clock is uv_now(), milliseconds of uv_hrtime() */
    opts.wall_offset_s = (int64_t)time(NULL) - (int64_t)(uv_hrtime() / 1000000000u);
    vx__res *res;
    int rc = vx__res_new(&opts, &res);
    if (rc != VX_OK)
        return rc;
    unsigned index;
    for (size_t i = 0; rc == VX_OK && i < spec->nup; i++)
        rc = vx__res_add_upstream(res, (const struct sockaddr *)&spec->up[i],
                                  spec->up_tcp && spec->up_tcp[i], &index);
    if (rc == VX_OK)
        rc = build_static(spec, res);
    if (rc != VX_OK) {
        vx__res_free(res);
        return rc;
    }
    *out = res;
    return VX_OK;
}
