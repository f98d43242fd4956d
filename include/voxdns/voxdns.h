/*
 * voxdns/voxdns.h — the umbrella header of libvoxdns, the embeddable library that locates SIP
 * servers (RFC 3263) through a resilient stub resolver: failover between upstream resolvers,
 * a cache with serve-stale (RFC 8767), a static fallback cache, failover across SIP domains and
 * the SRV-target domain policy.
 *
 *   voxdns/status.h    status codes and vx_strerror()
 *   voxdns/resolver.h  configuration, the resolver, the three ways to drive it, callback rule
 *   voxdns/locate.h    locating a SIP URI and reading the result
 *   voxdns/feedback.h  how targets fared: hold-down, registrar affinity, fallback
 *   voxdns/cert.h      RFC 5922 §7: does a SIP server's certificate name the SIP domain
 *
 * Link with `pkg-config --cflags --libs voxdns`. Only vx_ names are public; vx__ names are
 * internal and may change at any time.
 */
#ifndef VOXDNS_VOXDNS_H
#define VOXDNS_VOXDNS_H

#define VOXDNS_VERSION_MAJOR 0
#define VOXDNS_VERSION_MINOR 1
#define VOXDNS_VERSION_PATCH 0

#include "voxdns/cert.h"
#include "voxdns/feedback.h"
#include "voxdns/locate.h"
#include "voxdns/resolver.h"
#include "voxdns/status.h"

#endif
