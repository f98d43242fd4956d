/*
 * voxdns/cert.h — the RFC 5922 §7 identity check of a SIP server's certificate, for a phone or
 * an SBC that makes its own TLS handshake (after the chain has been verified: this call judges
 * names only, not trust or dates).
 *
 * The certificate names the SIP domain DOMAIN when:
 *   - it has a subjectAltName URI "sip:DOMAIN" (no user part); when it has any SIP URI, only
 *     the SIP URIs count;
 *   - otherwise, a subjectAltName dNSName equals DOMAIN;
 *   - the subject's CN counts only when the certificate has no subjectAltName at all;
 *   - case and a trailing dot are ignored; wildcards ("*.example.com") never match.
 * DOMAIN is the SIP domain of the URI the client located, never the SRV target's host name.
 *
 * Threads: the call keeps no state and may be called from any thread at any time.
 * Memory: the caller owns every buffer; nothing is kept after the call returns.
 */
#ifndef VOXDNS_CERT_H
#define VOXDNS_CERT_H

#include <stddef.h>

#include "voxdns/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Checks the DER certificate der[0..der_len) against sip_domain. VX_OK when it names the
 * domain, VX_ECERTNAME when it does not, VX_EMALFORMED when der is not one DER certificate,
 * VX_EINVAL for a NULL or empty der or sip_domain, VX_ENOMEM. When named is not NULL (and
 * named_cap > 0) it receives, NUL-terminated and truncated to named_cap, what the certificate
 * names: "SAN URI sip:a.example, SAN DNS b.example", "CN host.example" or "no name" ("" on an
 * error). */
VX_API int vx_cert_check_sip_domain(const unsigned char *der, size_t der_len,
                                    const char *sip_domain, char *named, size_t named_cap);

#ifdef __cplusplus
}
#endif

#endif
