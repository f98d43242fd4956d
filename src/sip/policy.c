/*
 * sip/policy.c — owns the SRV-target domain policy (strict / suffix / off). Name comparison is
 * label-wise through wire/name.c, so that "badexample.com." never passes for "example.com.".
 */
#include "sip/policy.h"

#include <string.h>
#include <strings.h>

#include "voxdns/status.h"
#include "wire/name.h"

static bool same_registrable(const char *sip_domain, const char *target)
{
    char dom_reg[VX__NAME_TEXT_MAX], tgt_reg[VX__NAME_TEXT_MAX];
    if (vx__name_registrable(sip_domain, dom_reg, sizeof dom_reg) != VX_OK)
        return vx__name_is_subdomain(target, sip_domain);
    if (vx__name_registrable(target, tgt_reg, sizeof tgt_reg) != VX_OK)
        return false;
    return strcmp(dom_reg, tgt_reg) == 0;
}

bool vx__sip_policy_allows(vx__sip_policy policy, const char *sip_domain, const char *target)
{
    switch (policy) {
    case VX__SIP_POLICY_OFF:
        return true;
    case VX__SIP_POLICY_STRICT:
        return vx__name_is_subdomain(target, sip_domain);
    case VX__SIP_POLICY_SUFFIX:
        return same_registrable(sip_domain, target);
    }
    return false;
}

static const char *const names[] = {"off", "strict", "suffix"};

const char *vx__sip_policy_name(vx__sip_policy policy)
{
    return (unsigned)policy < sizeof names / sizeof names[0] ? names[policy] : "?";
}

int vx__sip_policy_from_text(const char *text, vx__sip_policy *out)
{
    for (unsigned i = 0; text && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(text, names[i]) == 0) {
            *out = (vx__sip_policy)i;
            return VX_OK;
        }
    }
    return VX_EINVAL;
}
