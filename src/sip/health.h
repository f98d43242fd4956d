/*
 * sip/health.h — what a SIP client has learnt about the targets a location handed it: which
 * ones failed (held down for a while, the way Kamailio's dst_blocklist and reSIProcate's
 * blacklist do) and which one last accepted a request for a URI (registrar affinity).
 *
 * Pure: no clock, no lock, no I/O; every call that depends on time is given "now" in
 * milliseconds, so that the unit tests run it on a virtual clock. The library (src/lib/) wraps
 * it in a mutex, and the locator (sip/locate.h) asks it which targets are held down.
 *
 * A target is (transport, address, port). Rules:
 *   - a failure holds the target down for base_ms; a failure reported after an earlier hold
 *     has ended (the retry failed too) doubles the hold, up to max_ms. Failures reported while
 *     the target is already held (several transactions timing out together) extend nothing;
 *   - a caller's hint (a 503's Retry-After) holds it at least that long, at most max_ms;
 *   - a success clears the target's history and makes it the preferred target of the URI;
 *   - a failure of a URI's preferred target ends that preference;
 *   - history is forgotten max_ms after the hold ended, so that a target failing once a day
 *     starts at base_ms again, and the table stays bounded (VX__SIP_HEALTH_MAX entries: when
 *     full, the entry whose hold ended first is replaced).
 */
#ifndef VX_SIP_HEALTH_H
#define VX_SIP_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sip/uri.h"

#define VX__SIP_HEALTH_MAX 256  /* targets remembered */
#define VX__SIP_AFFINITY_MAX 64 /* URIs with a preferred target */
#define VX__SIP_HOLD_BASE_MS 30000u
#define VX__SIP_HOLD_MAX_MS 900000u

typedef struct vx__sip_health vx__sip_health;

/* base_ms and max_ms of 0 take the defaults above; VX_EINVAL when base_ms > max_ms. */
int vx__sip_health_new(uint32_t base_ms, uint32_t max_ms, vx__sip_health **out);
void vx__sip_health_free(vx__sip_health *h);

/* The target failed at now; hint_ms (0: none) asks for at least that hold. Returns the time
 * the hold ends. */
uint64_t vx__sip_health_failed(vx__sip_health *h, vx__sip_transport t, const struct sockaddr *sa,
                               uint64_t now, uint32_t hint_ms);
/* The target accepted a request for uri (NULL: no affinity) at now. */
void vx__sip_health_succeeded(vx__sip_health *h, const char *uri, vx__sip_transport t,
                              const struct sockaddr *sa, uint64_t now);

/* True while the target is held down; *until (may be NULL) receives the end of the hold. */
bool vx__sip_health_held(const vx__sip_health *h, vx__sip_transport t, const struct sockaddr *sa,
                         uint64_t now, uint64_t *until);
/* The preferred target of uri: true with *t and *ss (address and port) set. */
bool vx__sip_health_preferred(const vx__sip_health *h, const char *uri, vx__sip_transport *t,
                              struct sockaddr_storage *ss);

#endif
