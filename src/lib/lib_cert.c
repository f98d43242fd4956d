/*
 * lib/lib_cert.c — the public RFC 5922 §7 certificate check (voxdns/cert.h): a thin wrapper
 * over wire/cert.h, the same reader and matcher the audit's TLS-CERT-NAME-MISMATCH uses, so a
 * phone or SBC judges a certificate exactly as voxdns does.
 */
#include "voxdns/cert.h"

#include "wire/cert.h"

int vx_cert_check_sip_domain(const unsigned char *der, size_t der_len, const char *sip_domain,
                             char *named, size_t named_cap)
{
    if (named && named_cap)
        named[0] = '\0';
    if (!der || der_len == 0 || !sip_domain || !sip_domain[0])
        return VX_EINVAL;
    vx__cert_facts f;
    int rc = vx__cert_from_der(der, der_len, &f);
    if (rc == VX_EINVAL)
        rc = VX_EMALFORMED; /* only a certificate above the reader's size bound gets here */
    if (rc != VX_OK)
        return rc;
    if (named && named_cap)
        vx__cert_names_text(&f, named, named_cap);
    rc = vx__cert_match_sip_domain(&f, sip_domain) == VX__CERT_MATCH_NONE ? VX_ECERTNAME : VX_OK;
    vx__cert_clear(&f);
    return rc;
}
