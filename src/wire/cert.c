/*
 * wire/cert.c — owns reading X.509 certificates into facts (OpenSSL does the DER), base64
 * conversion, and the RFC 5922 §7 identity match for a SIP domain (see cert.h).
 */
#include "wire/cert.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/hash.h"
#include "voxdns/status.h"

/* ---- text ------------------------------------------------------------------------------ */

/* Bytes from a certificate made printable (anything else becomes '?'). */
static void safe_copy(const unsigned char *p, size_t n, char *out, size_t cap)
{
    size_t k = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < k; i++)
        out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    out[k] = '\0';
}

static void name_line(const X509_NAME *name, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n = 0;
    out[0] = '\0';
    if (b && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
        n = BIO_get_mem_data(b, &data);
    if (data && n > 0)
        safe_copy((const unsigned char *)data, (size_t)n, out, cap);
    BIO_free(b);
}

static void subject_cn(const X509_NAME *name, char *out, size_t cap)
{
    int i = -1, last = -1;
    while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0)
        last = i;
    out[0] = '\0';
    if (last < 0)
        return;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
    if (s)
        safe_copy(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), out, cap);
}

static void hex(const unsigned char *md, unsigned n, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n && i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * (n < 32 ? n : 32)] = '\0';
}

/* ---- facts ----------------------------------------------------------------------------- */

static int add_name(char (**list)[VX__CERT_TEXT_MAX], size_t *count, const ASN1_STRING *s)
{
    if (*count == VX__CERT_NAMES_MAX)
        return VX_OK;
    if (*count == 0 && !(*list = calloc(VX__CERT_NAMES_MAX, sizeof **list)))
        return VX_ENOMEM;
    safe_copy(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), (*list)[*count],
              VX__CERT_TEXT_MAX);
    (*count)++;
    return VX_OK;
}

static int take_sans(X509 *x, vx__cert_facts *f)
{
    int crit = 0;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    int rc = VX_OK;
    f->has_san = gens != NULL || crit != -1;
    for (int i = 0; gens && rc == VX_OK && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS)
            rc = add_name(&f->dns, &f->dns_count, g->d.dNSName);
        else if (g->type == GEN_URI)
            rc = add_name(&f->uris, &f->uri_count, g->d.uniformResourceIdentifier);
    }
    GENERAL_NAMES_free(gens);
    return rc;
}

static int64_t asn1_unix(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

static int digests(X509 *x, const uint8_t *der, size_t len, vx__cert_facts *f)
{
    unsigned char md[EVP_MAX_MD_SIZE], *spki = NULL;
    unsigned n = 0;
    if (!EVP_Digest(der, len, md, &n, EVP_sha256(), NULL))
        return VX_ENOMEM;
    hex(md, n, f->sha256);
    int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
    int ok = spki_len > 0 && EVP_Digest(spki, (size_t)spki_len, md, &n, EVP_sha256(), NULL);
    OPENSSL_free(spki);
    if (!ok)
        return VX_EMALFORMED;
    hex(md, n, f->spki_sha256);
    return VX_OK;
}

int vx__cert_from_der(const uint8_t *der, size_t len, vx__cert_facts *out)
{
    if (!der || !out || len == 0 || len > 1u << 20)
        return VX_EINVAL;
    memset(out, 0, sizeof *out);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x || p != der + len) {
        X509_free(x);
        return VX_EMALFORMED;
    }
    name_line(X509_get_subject_name(x), out->subject, sizeof out->subject);
    name_line(X509_get_issuer_name(x), out->issuer, sizeof out->issuer);
    subject_cn(X509_get_subject_name(x), out->cn, sizeof out->cn);
    out->not_before = asn1_unix(X509_get0_notBefore(x));
    out->not_after = asn1_unix(X509_get0_notAfter(x));
    out->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    int rc = take_sans(x, out);
    if (rc == VX_OK)
        rc = digests(x, der, len, out);
    X509_free(x);
    if (rc != VX_OK)
        vx__cert_clear(out);
    return rc;
}

void vx__cert_clear(vx__cert_facts *f)
{
    if (!f)
        return;
    free(f->dns);
    free(f->uris);
    memset(f, 0, sizeof *f);
}

/* ---- base64 ---------------------------------------------------------------------------- */

char *vx__cert_der_to_b64(const uint8_t *der, size_t len)
{
    if (!der || len > 1u << 20)
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, der, (int)len);
    return out;
}

int vx__cert_b64_to_der(const char *b64, uint8_t **der, size_t *len)
{
    size_t n = b64 ? strlen(b64) : 0;
    if (n == 0 || n % 4 != 0 || n > 4u << 20)
        return VX_EMALFORMED;
    uint8_t *buf = malloc(n / 4 * 3);
    if (!buf)
        return VX_ENOMEM;
    int got = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
    if (got < 0) {
        free(buf);
        return VX_EMALFORMED;
    }
    /* EVP_DecodeBlock counts the padding as zero octets. */
    size_t pad = (size_t)(b64[n - 1] == '=') + (size_t)(b64[n - 2] == '=');
    *der = buf;
    *len = (size_t)got - pad;
    return VX_OK;
}

/* Decoding a certificate costs OpenSSL 3 about a millisecond (d2i_X509 decodes the public key
 * through its provider decoders), and the same leaf is read by four endpoint checks per audit,
 * by the monitor's diff and by the dashboard. The facts of the last few are kept by content
 * (the base64 text itself is the key, compared in full), so a hit is the same certificate. */
#define MEMO_SLOTS 32

typedef struct memo_slot {
    uint64_t hash;
    char *b64;
    vx__cert_facts facts;
} memo_slot;

static memo_slot memo[MEMO_SLOTS];
static size_t memo_next;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

static int names_copy(char (*from)[VX__CERT_TEXT_MAX], size_t count, char (**to)[VX__CERT_TEXT_MAX])
{
    *to = NULL;
    if (!from)
        return VX_OK;
    *to = calloc(VX__CERT_NAMES_MAX, sizeof **to);
    if (!*to)
        return VX_ENOMEM;
    memcpy(*to, from, count * sizeof **to);
    return VX_OK;
}

int vx__cert_copy(const vx__cert_facts *from, vx__cert_facts *to)
{
    *to = *from;
    to->dns = NULL;
    to->uris = NULL;
    if (names_copy(from->dns, from->dns_count, &to->dns) != VX_OK ||
        names_copy(from->uris, from->uri_count, &to->uris) != VX_OK) {
        vx__cert_clear(to);
        return VX_ENOMEM;
    }
    return VX_OK;
}

/* VX_OK with a copy in out when b64 was decoded lately; VX_ENOTFOUND otherwise. */
static int memo_get(uint64_t hash, const char *b64, vx__cert_facts *out)
{
    int rc = VX_ENOTFOUND;
    pthread_mutex_lock(&memo_lock);
    for (size_t i = 0; i < MEMO_SLOTS && rc == VX_ENOTFOUND; i++)
        if (memo[i].b64 && memo[i].hash == hash && strcmp(memo[i].b64, b64) == 0)
            rc = vx__cert_copy(&memo[i].facts, out) == VX_OK ? VX_OK : VX_ENOMEM;
    pthread_mutex_unlock(&memo_lock);
    return rc;
}

static void memo_put(uint64_t hash, const char *b64, const vx__cert_facts *facts)
{
    memo_slot fresh = {.hash = hash, .b64 = strdup(b64)};
    if (!fresh.b64 || vx__cert_copy(facts, &fresh.facts) != VX_OK) {
        free(fresh.b64);
        return; /* only a memo: nothing is lost */
    }
    pthread_mutex_lock(&memo_lock);
    memo_slot old = memo[memo_next];
    memo[memo_next] = fresh;
    memo_next = (memo_next + 1) % MEMO_SLOTS;
    pthread_mutex_unlock(&memo_lock);
    free(old.b64);
    vx__cert_clear(&old.facts);
}

int vx__cert_from_b64(const char *b64, vx__cert_facts *out)
{
    memset(out, 0, sizeof *out);
    uint64_t hash = b64 ? vx__hash_text(b64) : 0;
    int rc = b64 ? memo_get(hash, b64, out) : VX_EMALFORMED;
    if (rc != VX_ENOTFOUND)
        return rc;
    uint8_t *der = NULL;
    size_t len = 0;
    rc = vx__cert_b64_to_der(b64, &der, &len);
    if (rc == VX_OK)
        rc = vx__cert_from_der(der, len, out);
    free(der);
    if (rc == VX_OK)
        memo_put(hash, b64, out);
    return rc;
}

/* ---- RFC 5922 §7 ----------------------------------------------------------------------- */

/* Equal as domain names: case ignored, one trailing dot ignored; a wildcard never matches. */
static bool same_domain(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen && a[alen - 1] == '.')
        alen--;
    if (blen && b[blen - 1] == '.')
        blen--;
    if (alen == 0 || alen != blen || memchr(a, '*', alen))
        return false;
    return strncasecmp(a, b, alen) == 0;
}

/* A SIP domain identity: "sip:" then a host without a user part (RFC 5922 §7.1); the host
 * ends at a port or a parameter. NULL when the URI is not one. */
static const char *sip_uri_host(const char *uri, size_t *len)
{
    if (strncasecmp(uri, "sip:", 4) != 0 || strchr(uri, '@'))
        return NULL;
    const char *host = uri + 4;
    *len = strcspn(host, ":;?>");
    return *len ? host : NULL;
}

vx__cert_match vx__cert_match_sip_domain(const vx__cert_facts *f, const char *domain)
{
    bool any_sip_uri = false;
    size_t n;
    if (!f || !domain)
        return VX__CERT_MATCH_NONE;
    for (size_t i = 0; i < f->uri_count; i++) {
        const char *host = sip_uri_host(f->uris[i], &n);
        any_sip_uri |= host != NULL;
        if (host && same_domain(host, n, domain))
            return VX__CERT_MATCH_URI;
    }
    if (any_sip_uri)
        return VX__CERT_MATCH_NONE;
    for (size_t i = 0; i < f->dns_count; i++)
        if (same_domain(f->dns[i], strlen(f->dns[i]), domain))
            return VX__CERT_MATCH_DNS;
    if (!f->has_san && same_domain(f->cn, strlen(f->cn), domain))
        return VX__CERT_MATCH_CN;
    return VX__CERT_MATCH_NONE;
}

static void append(char *out, size_t cap, const char *prefix, const char *name)
{
    size_t used = strlen(out);
    if (used < cap)
        snprintf(out + used, cap - used, "%s%s%s", used ? ", " : "", prefix, name);
}

void vx__cert_names_text(const vx__cert_facts *f, char *out, size_t cap)
{
    if (!out || cap == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; f && i < f->uri_count; i++)
        append(out, cap, "SAN URI ", f->uris[i]);
    for (size_t i = 0; f && i < f->dns_count; i++)
        append(out, cap, "SAN DNS ", f->dns[i]);
    if (f && !f->has_san && f->cn[0])
        append(out, cap, "CN ", f->cn);
    if (!out[0])
        snprintf(out, cap, "no name");
}
