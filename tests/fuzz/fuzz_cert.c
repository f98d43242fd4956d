/*
 * tests/fuzz/fuzz_cert.c — libFuzzer target for certificates received from TLS peers
 * (wire/cert.c): the DER reader and the RFC 5922 §7 identity matcher.
 *
 * Input: a domain name, '\n', then DER. Beyond sanitizer findings it aborts when an invariant
 * breaks: every kept text is NUL-terminated and printable, a match is of a kind the certificate
 * has (a URI match needs a SAN URI, a CN match needs no SAN), a domain with a wildcard never
 * matches, and the base64 form reads back to the same facts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s, size_t cap)
{
    const char *end = memchr(s, 0, cap);
    if (!end)
        abort();
    for (; s < end; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            abort();
}

static void check(const vx__cert_facts *f, const char *domain)
{
    printable(f->subject, sizeof f->subject);
    printable(f->issuer, sizeof f->issuer);
    printable(f->cn, sizeof f->cn);
    for (size_t i = 0; i < f->dns_count; i++)
        printable(f->dns[i], sizeof f->dns[i]);
    for (size_t i = 0; i < f->uri_count; i++)
        printable(f->uris[i], sizeof f->uris[i]);
    vx__cert_match m = vx__cert_match_sip_domain(f, domain);
    if ((m == VX__CERT_MATCH_URI && f->uri_count == 0) ||
        (m == VX__CERT_MATCH_DNS && f->dns_count == 0) || (m == VX__CERT_MATCH_CN && f->has_san))
        abort();
    if (m != VX__CERT_MATCH_NONE && strchr(domain, '*'))
        abort();
    char names[512];
    vx__cert_names_text(f, names, sizeof names);
    printable(names, sizeof names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
    if (!nl)
        return 0;
    char domain[256];
    size_t dlen = (size_t)(nl - data);
    memcpy(domain, data, dlen);
    domain[dlen] = '\0';
    const uint8_t *der = nl + 1;
    size_t len = size - dlen - 1;
    vx__cert_facts f, again;
    if (len == 0 || vx__cert_from_der(der, len, &f) != VX_OK)
        return 0;
    check(&f, domain);
    char *b64 = vx__cert_der_to_b64(der, len);
    if (b64 && (vx__cert_from_b64(b64, &again) != VX_OK || strcmp(again.sha256, f.sha256) != 0 ||
                again.dns_count != f.dns_count || again.uri_count != f.uri_count))
        abort();
    if (b64)
        vx__cert_clear(&again);
    free(b64);
    vx__cert_clear(&f);
    return 0;
}
