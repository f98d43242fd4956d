/*
 * model/endpoint.c — owns endpoint observations' memory (copy, clear) and the transport names.
 */
#include "model/endpoint.h"

#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

static const char *const transport_names[] = {"udp", "tcp", "tls"};

const char *vx__ep_transport_name(vx__ep_transport t)
{
    return (unsigned)t < 3 ? transport_names[t] : "?";
}

int vx__ep_transport_from_name(const char *name, vx__ep_transport *out)
{
    for (unsigned i = 0; name && i < 3; i++) {
        if (strcmp(name, transport_names[i]) == 0) {
            *out = (vx__ep_transport)i;
            return VX_OK;
        }
    }
    return VX_EINVAL;
}

/* NULL stays NULL; false only when a copy was needed and failed. */
static bool dup_opt(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

static int copy_chain(vx__endpoint_obs *dst, const vx__endpoint_obs *src)
{
    dst->chain = NULL;
    dst->chain_count = 0;
    if (src->chain_count == 0)
        return VX_OK;
    dst->chain = calloc(src->chain_count, sizeof *dst->chain);
    if (!dst->chain)
        return VX_ENOMEM;
    for (size_t i = 0; i < src->chain_count; i++) {
        if (!(dst->chain[i] = strdup(src->chain[i] ? src->chain[i] : "")))
            return VX_ENOMEM;
        dst->chain_count++;
    }
    return VX_OK;
}

int vx__endpoint_copy(vx__endpoint_obs *dst, const vx__endpoint_obs *src)
{
    *dst = *src;
    /* Nothing of src's may be freed by a clear after a failed copy. */
    dst->host = dst->error = dst->reason = dst->agent = NULL;
    dst->tls_protocol = dst->tls_cipher = dst->verify_error = NULL;
    dst->chain = NULL;
    dst->chain_count = 0;
    bool ok = dup_opt(&dst->host, src->host ? src->host : "") && dup_opt(&dst->error, src->error) &&
              dup_opt(&dst->reason, src->reason) && dup_opt(&dst->agent, src->agent) &&
              dup_opt(&dst->tls_protocol, src->tls_protocol) &&
              dup_opt(&dst->tls_cipher, src->tls_cipher) &&
              dup_opt(&dst->verify_error, src->verify_error);
    if (!ok || copy_chain(dst, src) != VX_OK) {
        vx__endpoint_clear(dst);
        return VX_ENOMEM;
    }
    return VX_OK;
}

void vx__endpoint_clear(vx__endpoint_obs *ep)
{
    if (!ep)
        return;
    free(ep->host);
    free(ep->error);
    free(ep->reason);
    free(ep->agent);
    free(ep->tls_protocol);
    free(ep->tls_cipher);
    free(ep->verify_error);
    for (size_t i = 0; i < ep->chain_count; i++)
        free(ep->chain[i]);
    free(ep->chain);
    memset(ep, 0, sizeof *ep);
}
