/*
 * voxdns/resolver.h — configuring and running the libvoxdns stub resolver: upstream resolvers,
 * static fallback cache, SIP location options (vx_config), and the resolver object that owns
 * the sockets, the cache and the timers (vx_resolver).
 *
 * Three ways to drive a resolver:
 *   - from the host's own event loop (c-ares / libunbound style): vx_resolver_new(), then watch
 *     the descriptors of vx_resolver_fds() for reading, wait at most vx_resolver_timeout()
 *     milliseconds, and call vx_resolver_process() whenever one is readable or the time is up;
 *   - on a libuv loop the host already runs: vx_resolver_new_uv(); nothing else to do;
 *   - blocking, for simple programs: vx_locate_blocking() in voxdns/locate.h.
 *
 * Ownership: a vx_config belongs to the caller; vx_resolver_new*() copies what it needs, so the
 * config may be freed or changed right after. A vx_resolver belongs to the caller until
 * vx_resolver_free(). Strings passed in are copied.
 *
 * Callback rule (every asynchronous call of libvoxdns): a callback never runs from inside the
 * call that started the operation; it runs from vx_resolver_process() (host loop) or from the
 * libuv loop. An error return means no callback will run. Data passed to a callback is valid
 * only during it (vx_result_copy() keeps a result).
 *
 * Threads: a resolver and everything started on it must be used from one thread at a time.
 * The library never logs and never exits.
 */
#ifndef VOXDNS_RESOLVER_H
#define VOXDNS_RESOLVER_H

#include <stddef.h>

#include "voxdns/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vx_config vx_config;
typedef struct vx_resolver vx_resolver;
struct uv_loop_s; /* uv_loop_t, so that this header does not need <uv.h> */

/* SIP transports, as bits of a mask. */
enum vx_transport { VX_UDP = 1, VX_TCP = 2, VX_TLS = 4, VX_SCTP = 8 };

/* SRV-target / NAPTR-replacement domain policy (docs/sip-location.md). */
typedef enum vx_policy {
    VX_POLICY_OFF = 0, /* anything goes (RFC 3263 sets no rule) */
    VX_POLICY_STRICT,  /* the SIP domain or below it */
    VX_POLICY_SUFFIX   /* the same registrable domain */
} vx_policy;

/* Static fallback cache file formats (docs/static-cache.md). */
typedef enum vx_static_format {
    VX_STATIC_AUTO =
        -1, /* Polycom if it holds "dns.cache.", Yealink if "dns_cache_", else voxdns */
    VX_STATIC_VOXDNS = 0,
    VX_STATIC_POLYCOM,
    VX_STATIC_YEALINK
} vx_static_format;

/* Flags of vx_config_add_upstream(). */
#define VX_UPSTREAM_TCP 1u /* ask this upstream over TCP from the start */

VX_API int vx_config_new(vx_config **out);
VX_API void vx_config_free(vx_config *cfg);

/* An upstream recursive resolver: "192.0.2.1", "192.0.2.1:5353", "2001:db8::1",
 * "[2001:db8::1]:53", or over DNS over TLS (RFC 7858): "tls://ADDR[:PORT][#AUTH-NAME]" (port
 * 853 by default; AUTH-NAME is the name its certificate must carry, also sent as SNI). At most
 * 16. VX_EINVAL for bad text, VX_ELIMIT when full. A TLS upstream keeps one connection open
 * and reused (closed after 20 s idle), with queries pipelined on it; failover, hedging and
 * serve-stale treat it like any other. */
VX_API int vx_config_add_upstream(vx_config *cfg, const char *address, unsigned flags);

/* DNS over TLS authentication (RFC 8310). A TLS upstream is authenticated by an SPKI pin when
 * any is configured (RFC 7858 §4.2: base64 of the SHA-256 of the certificate's DER
 * SubjectPublicKeyInfo, 44 characters), otherwise by a certificate chain to the CA file (NULL:
 * the system's store) that names its AUTH-NAME. */
VX_API int vx_config_set_tls_ca_file(vx_config *cfg, const char *path);
/* At most 8; VX_EINVAL when the text is not the base64 of 32 octets. */
VX_API int vx_config_add_tls_pin(vx_config *cfg, const char *spki_sha256_base64);
typedef enum vx_tls_profile {
    VX_TLS_STRICT = 0,   /* an unauthenticated server is refused (its queries fail over) */
    VX_TLS_OPPORTUNISTIC /* encrypted whatever the certificate says (RFC 8310 §5) */
} vx_tls_profile;
/* Default VX_TLS_STRICT, which needs an AUTH-NAME or a pin (else vx_resolver_new*() give
 * VX_EINVAL); vx_resolver_new*() give VX_EIO when the CA file cannot be loaded. */
VX_API int vx_config_set_tls_profile(vx_config *cfg, vx_tls_profile profile);
/* Adds the "nameserver" lines of a resolv.conf file (NULL: /etc/resolv.conf). VX_EIO when it
 * cannot be read, VX_ENOTFOUND when it names no usable nameserver. */
VX_API int vx_config_add_resolv_conf(vx_config *cfg, const char *path);
/* Loads a static fallback cache file; several files add up. On error (VX_EIO, VX_EMALFORMED,
 * VX_ELIMIT) nothing is added and a one-line reason ("line 7: bad port") is written to err. */
VX_API int vx_config_load_static(vx_config *cfg, const char *path, vx_static_format format,
                                 char *err, size_t errcap);
/* Answer from the static cache before asking DNS (phones' "static first"). Default off. */
VX_API void vx_config_set_static_first(vx_config *cfg, int on);
/* A further SIP domain ("example.net" or "sip:example.net;transport=tcp"), located only when
 * the ones before yield no target. At most 7. VX_EINVAL with a bad domain. */
VX_API int vx_config_add_fallback_domain(vx_config *cfg, const char *domain);
/* VX_EINVAL for an unknown policy. Default VX_POLICY_OFF. */
VX_API int vx_config_set_policy(vx_config *cfg, vx_policy policy);
/* The transports the application can use (mask of enum vx_transport); 0 = UDP|TCP|TLS. */
VX_API int vx_config_set_transports(vx_config *cfg, unsigned mask);
/* Caps the time answers are cached (seconds; 0 = the records' TTL, at most 7 days). */
VX_API void vx_config_set_max_ttl(vx_config *cfg, unsigned seconds);
/* DNSSEC: validates every answer against the trust anchor in path (DS or DNSKEY records of one
 * zone, usually the root, in zone-file text), fetching the DS and DNSKEY records of the chain
 * through the upstreams. Each step of a result then says secure, insecure or bogus
 * (vx_result_step_security()); a bogus answer is never handed out: it counts as a failed
 * answer (the next upstream, stale data, the static cache, else VX_EBOGUS). Loading again
 * replaces the anchor. On error (VX_EIO, VX_EMALFORMED, VX_ELIMIT) nothing changes and a
 * one-line reason is written to err. */
VX_API int vx_config_load_trust_anchor(vx_config *cfg, const char *path, char *err, size_t errcap);

/* A resolver with its own private loop, driven by the host (fds/timeout/process) or by
 * vx_resolver_locate_blocking(). VX_EINVAL when the config has no upstream. */
VX_API int vx_resolver_new(const vx_config *cfg, vx_resolver **out);
/* A resolver on the host's libuv loop; the loop must outlive it. */
VX_API int vx_resolver_new_uv(const vx_config *cfg, struct uv_loop_s *loop, vx_resolver **out);
/* Stops everything: pending operations end without their callback. For a resolver on a libuv
 * loop the memory is released once the loop has run the close callbacks (keep running it). */
VX_API void vx_resolver_free(vx_resolver *res);

/* Host loop: writes the descriptors to watch for reading into fds (at most cap) and returns
 * how many there are (currently always 1); VX_EINVAL for a resolver on a libuv loop. The set
 * does not change during the resolver's life. */
VX_API int vx_resolver_fds(vx_resolver *res, int *fds, size_t cap);
/* Host loop: milliseconds until vx_resolver_process() is due even without input; -1 when
 * nothing is pending; 0 when it is due now. */
VX_API int vx_resolver_timeout(vx_resolver *res);
/* Host loop: reads what has arrived, runs due timers, delivers callbacks. Never blocks. */
VX_API int vx_resolver_process(vx_resolver *res);

#ifdef __cplusplus
}
#endif

#endif
