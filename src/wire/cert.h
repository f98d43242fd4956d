/*
 * wire/cert.h — X.509 certificates received from a TLS peer (DER, or base64 of DER as the
 * snapshot keeps them): the facts the endpoint checks, the monitor and people need (subject,
 * issuer, SANs, validity, fingerprints), and the RFC 5922 §7 identity rule for a SIP domain.
 *
 * RFC 5922 §7.1/§7.2 as applied here:
 *   - SIP identities in subjectAltName: URIs with scheme "sip" and no user part ("sip:DOMAIN");
 *     when there is at least one, only they count;
 *   - otherwise SAN dNSNames count;
 *   - the subject's CN counts only when the certificate has no subjectAltName at all;
 *   - comparison ignores case and a trailing dot; wildcards ("*.example.com") never match.
 *
 * Parsing uses OpenSSL; everything read from a certificate is bounded and made printable.
 */
#ifndef VX_WIRE_CERT_H
#define VX_WIRE_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VX__CERT_NAMES_MAX 64 /* SAN entries of each kind kept */
#define VX__CERT_TEXT_MAX 256 /* subject, issuer, each name: truncated to this */

typedef struct vx__cert_facts {
    char subject[VX__CERT_TEXT_MAX]; /* RFC 2253 one-line form */
    char issuer[VX__CERT_TEXT_MAX];
    char cn[VX__CERT_TEXT_MAX];     /* the subject's (last) CN, "" if none */
    bool has_san;                   /* a subjectAltName extension is present */
    char (*dns)[VX__CERT_TEXT_MAX]; /* SAN dNSNames */
    size_t dns_count;
    char (*uris)[VX__CERT_TEXT_MAX]; /* SAN URIs */
    size_t uri_count;
    int64_t not_before, not_after; /* Unix seconds */
    char sha256[65];               /* of the DER, lower-case hex */
    char spki_sha256[65];          /* of the DER SubjectPublicKeyInfo */
    bool self_issued;              /* subject == issuer */
} vx__cert_facts;

/* VX_OK, VX_EMALFORMED (not one DER certificate), VX_ENOMEM. Clear with vx__cert_clear(). */
int vx__cert_from_der(const uint8_t *der, size_t len, vx__cert_facts *out);
/* The same from base64 text (no line breaks needed). The facts of the last 32 certificates
 * decoded this way are kept by content, behind a mutex: the same leaf, read again by another
 * check, the monitor or the dashboard, is a copy, not another OpenSSL decode. */
int vx__cert_from_b64(const char *b64, vx__cert_facts *out);
/* A deep copy (clear it with vx__cert_clear); VX_ENOMEM leaves to cleared. */
int vx__cert_copy(const vx__cert_facts *from, vx__cert_facts *to);
void vx__cert_clear(vx__cert_facts *f);

/* Base64 of der (one line, malloc'd), NULL when out of memory. */
char *vx__cert_der_to_b64(const uint8_t *der, size_t len);
/* DER of base64 text (malloc'd into *der); VX_EMALFORMED for bad text. */
int vx__cert_b64_to_der(const char *b64, uint8_t **der, size_t *len);

typedef enum vx__cert_match {
    VX__CERT_MATCH_NONE = 0,
    VX__CERT_MATCH_URI, /* SAN URI sip:DOMAIN */
    VX__CERT_MATCH_DNS, /* SAN dNSName DOMAIN (the certificate has no SIP URI) */
    VX__CERT_MATCH_CN   /* subject CN DOMAIN (the certificate has no SAN) */
} vx__cert_match;

/* RFC 5922 §7: which identity of f names the SIP domain (VX__CERT_MATCH_NONE: none). */
vx__cert_match vx__cert_match_sip_domain(const vx__cert_facts *f, const char *domain);

/* What the certificate names, for a message: "SAN URI sip:a.example, SAN DNS b.example" or
 * "CN host.example" or "no name"; written into out[0..cap). */
void vx__cert_names_text(const vx__cert_facts *f, char *out, size_t cap);

#endif
