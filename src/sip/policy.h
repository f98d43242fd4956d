/*
 * sip/policy.h — the SRV-target domain policy: which names an SRV target (or a NAPTR
 * replacement) may have, relative to the SIP domain being located. UC clients that configure
 * themselves from DNS refuse targets outside the SIP domain, because otherwise whoever can
 * inject one record can send the client, and its credentials, anywhere.
 *
 *   VX__SIP_POLICY_STRICT  the target equals the SIP domain or lies below it, label-wise:
 *                          for example.com, "example.com." and "sip.eu.example.com." pass,
 *                          "example.net." and "badexample.com." do not (Lync/Skype rule).
 *   VX__SIP_POLICY_SUFFIX  the target has the same registrable domain (public suffix list) as
 *                          the SIP domain: for voice.example.co.uk, "sip.example.co.uk." and
 *                          "edge.voice.example.co.uk." pass, "sip.other.co.uk." does not. When
 *                          the SIP domain has no registrable domain (it is itself a public
 *                          suffix, or a bare TLD) this falls back to STRICT.
 *   VX__SIP_POLICY_OFF     anything passes (RFC 3263 itself sets no rule).
 */
#ifndef VX_SIP_POLICY_H
#define VX_SIP_POLICY_H

#include <stdbool.h>

typedef enum vx__sip_policy {
    VX__SIP_POLICY_OFF = 0,
    VX__SIP_POLICY_STRICT,
    VX__SIP_POLICY_SUFFIX
} vx__sip_policy;

/* True when target may be used for sip_domain under policy. Names in any case, trailing dot
 * optional; an invalid name never passes STRICT or SUFFIX. */
bool vx__sip_policy_allows(vx__sip_policy policy, const char *sip_domain, const char *target);

/* "off", "strict", "suffix". */
const char *vx__sip_policy_name(vx__sip_policy policy);
/* The inverse of vx__sip_policy_name (case-insensitive); VX_EINVAL for anything else. */
int vx__sip_policy_from_text(const char *text, vx__sip_policy *out);

#endif
