/*
 * voxdns/feedback.h — telling the resolver how the targets of a location fared, so that the
 * next locations put them in the order a SIP stack should try them (RFC 3263 §4.3 leaves
 * this to the client):
 *
 *   - a target that failed (no response, connection refused, 503, TLS failure) is held down:
 *     30 s by default, doubling each time it fails again after its hold ended, at most 15 min
 *     (vx_config_set_holddown()). Every later result still lists it, but after every target
 *     that is not held (vx_result_held() says which). A 503's Retry-After holds it at least
 *     that long (at most the maximum);
 *   - a target that succeeded is cleared, and becomes the preferred target of the URI it was
 *     located for (registrar affinity): later results for the same URI list it first, until it
 *     fails;
 *   - when every target of a SIP domain is held, the location goes on to the next fallback
 *     domain (vx_config_add_fallback_domain()); when every target of every domain is held, the
 *     static cache's targets (vx_config_load_static()) come before the held ones, with source
 *     VX_SOURCE_STATIC.
 *
 * A target is (transport, address, port): the same server reached over TCP and UDP, or from
 * two URIs, shares one state for the hold-down. The state belongs to the resolver and lives as
 * long as it; it is not shared between resolvers.
 *
 * Threads: unlike the rest of the API, vx_target_failed() and vx_target_succeeded() may be
 * called from any thread, at the same time as the resolver runs on its own (a SIP transaction
 * layer often runs beside the DNS thread); the resolver must stay alive meanwhile. The result
 * passed is only read.
 */
#ifndef VOXDNS_FEEDBACK_H
#define VOXDNS_FEEDBACK_H

#include <stddef.h>

#include "voxdns/locate.h"
#include "voxdns/resolver.h"
#include "voxdns/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a target failed. */
typedef enum vx_failure {
    VX_FAIL_TIMEOUT = 1, /* no response to the request (RFC 3261 timer B or F) */
    VX_FAIL_REFUSED,     /* connection refused or ICMP unreachable */
    VX_FAIL_503,         /* 503 Service Unavailable (RFC 3263 §4.3); may carry Retry-After */
    VX_FAIL_TLS,         /* TLS handshake or certificate (RFC 5922) failure */
    VX_FAIL_OTHER        /* any other transport failure (reset, send error) */
} vx_failure;

/* Holds target i of r down. retry_after_s is the 503's Retry-After (0: none) and is accepted
 * with VX_FAIL_503 only. VX_EINVAL for a bad argument or an index out of range. */
VX_API int vx_target_failed(vx_resolver *res, const vx_result *r, size_t i, vx_failure why,
                            unsigned retry_after_s);
/* Clears target i of r and makes it the preferred target of r's URI. */
VX_API int vx_target_succeeded(vx_resolver *res, const vx_result *r, size_t i);
/* 1 when target i was held down when r was made, 0 when not (or out of range). */
VX_API int vx_result_held(const vx_result *r, size_t i);

/* Hold-down times in milliseconds: the first hold, and the cap of its doubling (0: the
 * defaults, 30000 and 900000). VX_EINVAL when base_ms > max_ms. */
VX_API int vx_config_set_holddown(vx_config *cfg, unsigned base_ms, unsigned max_ms);

#ifdef __cplusplus
}
#endif

#endif
