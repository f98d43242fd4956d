/*
 * net/resbuild.h — builds the stub resolver state machine (resolver/resolver.h) that the libuv
 * driver (net/resdriver.h) runs, from a plain description: upstream addresses, static cache
 * texts, the options a user may set. libvoxdns (lib/) builds its resolvers from a vx_config
 * through it, and CLI commands that drive the resolver below the public API (export-cache)
 * call it directly, so that neither reaches into the other's internals. It lives in net/
 * because it wires the driver's CSPRNG in as the source of DNS ids.
 *
 * Ownership: the spec and everything it points to belong to the caller and are only read; the
 * state machine returned belongs to the caller (vx__res_free, or vx__resdrv_new takes it).
 */
#ifndef VX_NET_RESBUILD_H
#define VX_NET_RESBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "resolver/resolver.h"
#include "resolver/static_cache.h"

/* A static cache file's text, kept unparsed: each resolver parses its own copy, so that one
 * configuration can build any number of resolvers. */
typedef struct vx__static_text {
    vx__static_format format;
    char *text;
    size_t len;
} vx__static_text;

typedef struct vx__resbuild_spec {
    const struct sockaddr_storage *up; /* the upstreams, in the configured order */
    const bool *up_tcp;                /* per upstream: TCP from the start (NULL: all UDP) */
    size_t nup;
    const vx__static_text *statics;
    size_t nstatics;
    bool static_first;                 /* vx__res_opts.static_first */
    uint32_t max_ttl_s;                /* vx__res_opts.max_ttl_s (0: the records' TTLs) */
    const ldns_rr_list *trust_anchors; /* vx__res_opts.trust_anchors (NULL: no DNSSEC) */
} vx__resbuild_spec;

/* VX_EINVAL without upstreams; VX_ELIMIT with too many; a static text that no longer parses
 * fails the build with its parser's status. */
int vx__resbuild(const vx__resbuild_spec *spec, vx__res **out);

#endif
