/*
 * lib/lib_resolver.c — vx_resolver: the state machine and its libuv driver on either a private
 * loop (driven by the host through fds/timeout/process, or by the blocking calls) or the host's
 * own libuv loop; its lifetime.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib_impl.h"

static int copy_locate_opts(vx_resolver *r, const vx_config *cfg)
{
    for (size_t i = 0; i < cfg->nfallback; i++) {
        r->fallback[i] = strdup(cfg->fallback[i]);
        if (!r->fallback[i])
            return VX_ENOMEM;
        r->nfallback++;
    }
    memset(&r->sip, 0, sizeof(r->sip));
    r->sip.transports = cfg->transports;
    r->sip.policy = cfg->policy == VX_POLICY_STRICT   ? VX__SIP_POLICY_STRICT
                    : cfg->policy == VX_POLICY_SUFFIX ? VX__SIP_POLICY_SUFFIX
                                                      : VX__SIP_POLICY_OFF;
    r->sip.fallback_domains = (const char *const *)r->fallback;
    r->sip.fallback_count = r->nfallback;
    return VX_OK;
}

static void release(vx_resolver *r)
{
    vx__lib_health_free(r);
    for (size_t i = 0; i < r->nfallback; i++)
        free(r->fallback[i]);
    free(r);
}

static int start(vx_resolver *r, const vx_config *cfg)
{
    vx__res *res = NULL;
    int rc = copy_locate_opts(r, cfg);
    if (rc == VX_OK)
        rc = vx__lib_health_new(r, cfg);
    if (rc == VX_OK)
        rc = vx__lib_build_res(cfg, &res);
    if (rc == VX_OK)
        rc = vx__resdrv_new(r->loop, res, vx__lib_on_res_result, r, &r->drv);
    if (rc != VX_OK) {
        vx__res_free(res);
        return rc;
    }
    rc = vx__lib_setup_tls(cfg, r->drv);
    if (rc != VX_OK) { /* the driver owns res now; its handles close on the loop */
        vx__resdrv_close(r->drv);
        if (r->owns_loop)
            uv_run(r->loop, UV_RUN_NOWAIT);
        return rc;
    }
    uv_timer_init(r->loop, &r->kick); /* cannot fail */
    r->kick.data = r;
    return VX_OK;
}

int vx_resolver_new(const vx_config *cfg, vx_resolver **out)
{
    if (!cfg || !out)
        return VX_EINVAL;
    vx_resolver *r = calloc(1, sizeof(*r));
    if (!r)
        return VX_ENOMEM;
    if (uv_loop_init(&r->own_loop) != 0) {
        free(r);
        return VX_ENOMEM;
    }
    r->loop = &r->own_loop;
    r->owns_loop = true;
    int rc = start(r, cfg);
    if (rc != VX_OK) {
        uv_loop_close(r->loop);
        release(r);
        return rc;
    }
    *out = r;
    return VX_OK;
}

int vx_resolver_new_uv(const vx_config *cfg, struct uv_loop_s *loop, vx_resolver **out)
{
    if (!cfg || !loop || !out)
        return VX_EINVAL;
    vx_resolver *r = calloc(1, sizeof(*r));
    if (!r)
        return VX_ENOMEM;
    r->loop = loop;
    int rc = start(r, cfg);
    if (rc != VX_OK) {
        release(r);
        return rc;
    }
    *out = r;
    return VX_OK;
}

static void on_kick_closed(uv_handle_t *h)
{
    release(h->data);
}

void vx_resolver_free(vx_resolver *r)
{
    if (!r)
        return;
    while (r->ops) {
        vx_locate_op *op = r->ops;
        r->ops = op->next;
        vx__lib_op_free(op);
    }
    vx__resdrv_close(r->drv);
    if (!r->owns_loop) {
        uv_close((uv_handle_t *)&r->kick, on_kick_closed);
        return;
    }
    uv_close((uv_handle_t *)&r->kick, NULL);
    uv_run(r->loop, UV_RUN_DEFAULT); /* every handle is closing: this only runs their close */
    uv_loop_close(r->loop);
    release(r);
}

int vx_resolver_fds(vx_resolver *r, int *fds, size_t cap)
{
    if (!r || !r->owns_loop || (!fds && cap))
        return VX_EINVAL;
    if (cap)
        fds[0] = uv_backend_fd(r->loop);
    return 1;
}

int vx_resolver_timeout(vx_resolver *r)
{
    if (!r || !r->owns_loop)
        return VX_EINVAL;
    uv_update_time(r->loop); /* the host may have slept since the loop last looked */
    return uv_backend_timeout(r->loop);
}

int vx_resolver_process(vx_resolver *r)
{
    if (!r || !r->owns_loop)
        return VX_EINVAL;
    uv_run(r->loop, UV_RUN_NOWAIT);
    return VX_OK;
}
