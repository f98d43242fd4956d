/*
 * voxdns/locate.h — RFC 3263 location of SIP servers through a vx_resolver: a sip: or sips: URI
 * in, the ordered list of places to send requests out — (transport, host, port, address, TLS
 * identity) — with NAPTR → SRV → A/AAAA, RFC 2782 ordering, the SRV-target domain policy and
 * failover across the configured fallback domains. docs/sip-location.md has the rules.
 *
 * A result also says where each answer came from (network, cache, stale, static) and lists
 * every DNS step of the location with its timing (the trace).
 *
 * Ownership: a vx_result handed to a callback belongs to the library and is valid only during
 * the callback; vx_result_copy() gives the caller its own reference. Results returned through
 * an out-parameter (blocking calls, vx_result_copy) belong to the caller, who frees them with
 * vx_result_free(). Strings and addresses read from a result live as long as the result.
 * Callback rule: see voxdns/resolver.h.
 */
#ifndef VOXDNS_LOCATE_H
#define VOXDNS_LOCATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "voxdns/resolver.h"
#include "voxdns/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vx_result vx_result;
typedef struct vx_locate_op vx_locate_op;

/* Where an answer came from. */
typedef enum vx_source {
    VX_SOURCE_NONE = 0, /* no answer (the lookup failed) */
    VX_SOURCE_NETWORK,  /* an upstream's answer to this lookup */
    VX_SOURCE_CACHE,    /* the cache, within its TTL */
    VX_SOURCE_STALE,    /* the cache, past its TTL (RFC 8767: the upstreams failed) */
    VX_SOURCE_STATIC    /* the static fallback cache */
} vx_source;

/* What DNSSEC validation said of an answer (vx_config_load_trust_anchor()). */
typedef enum vx_security {
    VX_SECURITY_UNCHECKED = 0, /* not validated: no trust anchor, static data, or no answer */
    VX_SECURITY_SECURE,        /* signed, with a chain of trust to the anchor */
    VX_SECURITY_INSECURE,      /* under a delegation proven unsigned */
    VX_SECURITY_BOGUS          /* failed validation (the step failed with VX_EBOGUS) */
} vx_security;

/* Called once per vx_locate() that returned VX_OK (never after vx_locate_cancel()). */
typedef void (*vx_locate_cb)(void *arg, const vx_result *result);

/* Starts locating uri. *op (when op is not NULL) receives a handle for vx_locate_cancel(),
 * valid until the callback returns. VX_EINVAL for a malformed URI (vx_uri_check() says why),
 * VX_EUNSUPPORTED for a transport the library cannot use, VX_ELIMIT when too much is pending. */
VX_API int vx_locate(vx_resolver *res, const char *uri, vx_locate_cb cb, void *arg,
                     vx_locate_op **op);
/* Abandons an operation: its callback will not run. */
VX_API void vx_locate_cancel(vx_locate_op *op);

/* Locates uri on a resolver made by vx_resolver_new() (not on a libuv loop), running its loop
 * until done. Returns the result's status; *out is set whenever the URI was valid (the caller
 * frees it, even when the status is an error), NULL otherwise. */
VX_API int vx_resolver_locate_blocking(vx_resolver *res, const char *uri, vx_result **out);
/* The same with a resolver made from cfg for this one call. */
VX_API int vx_locate_blocking(const char *uri, const vx_config *cfg, vx_result **out);

/* VX_OK when uri is a well-formed sip:/sips: URI; otherwise VX_EINVAL or VX_EUNSUPPORTED and
 * a one-line reason ("port 70000 out of range (1-65535)") in err. */
VX_API int vx_uri_check(const char *uri, char *err, size_t errcap);

/* ---- results ------------------------------------------------------------------------------ */

/* VX_OK when at least one target was found; otherwise why not (VX_ENOTFOUND, VX_ETIMEDOUT,
 * VX_ESERVFAIL, VX_EUNSUPPORTED, ...). */
VX_API int vx_result_status(const vx_result *r);
VX_API size_t vx_result_count(const vx_result *r);
/* Target i (0 <= i < count), in the order to try them. Out of range: 0 / NULL. */
VX_API unsigned vx_result_transport(const vx_result *r, size_t i); /* one enum vx_transport bit */
VX_API const char *vx_result_host(const vx_result *r, size_t i);   /* "sip1.example.com." */
VX_API uint16_t vx_result_port(const vx_result *r, size_t i);
VX_API const struct sockaddr *vx_result_addr(const vx_result *r, size_t i, socklen_t *len);
VX_API const char *vx_result_address(const vx_result *r,
                                     size_t i); /* "192.0.2.10", "2001:db8::10" */
/* The name a TLS certificate must carry (RFC 5922: the SIP domain); NULL unless TLS. */
VX_API const char *vx_result_tls_identity(const vx_result *r, size_t i);
VX_API const char *vx_result_domain(const vx_result *r, size_t i); /* the SIP domain located */
VX_API uint32_t vx_result_ttl(const vx_result *r, size_t i); /* smallest TTL along its chain */
/* The least fresh source among the answers the target was built from. */
VX_API vx_source vx_result_source(const vx_result *r, size_t i);

/* The trace: one step per DNS question asked, in the order they were answered. */
VX_API size_t vx_result_step_count(const vx_result *r);
VX_API const char *vx_result_step_name(const vx_result *r, size_t i); /* "_sip._udp.example.com." */
VX_API uint16_t vx_result_step_type(const vx_result *r, size_t i);    /* 35 (NAPTR), 33, 1, 28 */
VX_API vx_source vx_result_step_source(const vx_result *r, size_t i);
VX_API int vx_result_step_status(const vx_result *r,
                                 size_t i); /* VX_OK, VX_ENOTFOUND (NXDOMAIN), ... */
VX_API size_t vx_result_step_records(const vx_result *r, size_t i); /* records of the asked type */
VX_API vx_security vx_result_step_security(const vx_result *r, size_t i);
VX_API double vx_result_step_start_ms(const vx_result *r, size_t i); /* since the location began */
VX_API double vx_result_step_ms(const vx_result *r, size_t i);       /* question to answer */
VX_API double vx_result_elapsed_ms(const vx_result *r);              /* the whole location */

/* Another reference to r, owned by the caller (results never change once made). */
VX_API int vx_result_copy(const vx_result *r, vx_result **out);
VX_API void vx_result_free(vx_result *r);

VX_API const char *vx_source_name(vx_source s); /* "none", "network", "cache", "stale", "static" */
VX_API const char *vx_security_name(vx_security s); /* "unchecked", "secure", "insecure", "bogus" */
VX_API const char *vx_transport_name(unsigned t);   /* "udp", "tcp", "tls", "sctp" */

#ifdef __cplusplus
}
#endif

#endif
