/*
 * net/tls.c — owns the TLS context (what authenticates a server: CA file and name, SPKI
 * pins, strict or opportunistic) and the sans-I/O session over memory BIOs: the handshake, the
 * authentication decision once it is done (or, observing, only the facts recorded), plaintext in
 * and out. No socket here: net/tcpconn.c carries the bytes.
 */
#include "net/tls.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "voxdns/status.h"
#include "wire/addr.h"

struct vx__tls_ctx {
    SSL_CTX *ssl;
    char *name;
    uint8_t pins[VX__TLS_PINS_MAX][VX__TLS_PIN_LEN];
    size_t npins;
    bool strict, observe;
};

struct vx__tls_session {
    vx__tls_ctx *ctx;
    SSL *ssl;
    BIO *in, *out; /* network side: in = from the server, out = to the server */
    bool up, authenticated;
    char why[160]; /* why the handshake failed, "" otherwise */
};

int vx__tls_pin_parse(const char *base64, uint8_t out[VX__TLS_PIN_LEN])
{
    uint8_t buf[48];
    size_t n = base64 ? strlen(base64) : 0;
    if (n != 44 || base64[43] != '=' || base64[42] == '=') /* 32 octets: exactly one pad */
        return VX_EINVAL;
    int len = EVP_DecodeBlock(buf, (const unsigned char *)base64, (int)n);
    if (len != 33) /* 32 octets and the padding's zero */
        return VX_EINVAL;
    memcpy(out, buf, VX__TLS_PIN_LEN);
    return VX_OK;
}

/* "5ad8a5d6.0": the name c_rehash (update-ca-certificates) gives a CA in a hashed directory. */
static bool hashed_name(const char *name)
{
    size_t i = 0;
    while (i < 8 && isxdigit((unsigned char)name[i]))
        i++;
    if (i != 8 || name[8] != '.' || !isdigit((unsigned char)name[9]))
        return false;
    for (i = 10; isdigit((unsigned char)name[i]);)
        i++;
    return name[i] == '\0';
}

/* How many hashed CAs the directories ("a:b", as SSL_CERT_DIR) hold. */
static size_t hashed_count(const char *dirs)
{
    char path[PATH_MAX];
    size_t count = 0;
    for (const char *p = dirs; *p; p += *p == ':') {
        size_t n = strcspn(p, ":");
        snprintf(path, sizeof(path), "%.*s", (int)n, p);
        p += n;
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));)
            count += hashed_name(e->d_name);
        if (d)
            closedir(d);
    }
    return count;
}

/* How many PEM certificates a file holds (SIZE_MAX when it cannot be read). */
static size_t pem_count(const char *file)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    char line[256];
    size_t count = 0;
    FILE *f = fopen(file, "r");
    if (!f)
        return SIZE_MAX;
    while (fgets(line, sizeof(line), f))
        count += strncmp(line, begin, sizeof(begin) - 1) == 0;
    fclose(f);
    return count;
}

bool vx__tls_bundle_mirrored(const char *dirs, const char *file, const char *default_file)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(file, a) || !realpath(default_file, b) || strcmp(a, b) != 0)
        return false;
    size_t certs = pem_count(file);
    return certs != SIZE_MAX && certs <= hashed_count(dirs);
}

/* The system's trust store, as SSL_CTX_set_default_verify_paths() gives it (SSL_CERT_DIR and
 * SSL_CERT_FILE or their defaults) but without reading the distribution's bundle when its
 * hashed directory holds the same CAs: with OpenSSL 3 parsing the bundle's ~140 certificates
 * costs tens of ms of CPU, most of an audit's endpoint time, where the directory gives the one
 * issuer a chain needs, on demand. Any other bundle is read as OpenSSL would. */
static int load_system_store(SSL_CTX *ssl)
{
    const char *dir = getenv(X509_get_default_cert_dir_env());
    const char *file = getenv(X509_get_default_cert_file_env());
    dir = dir ? dir : X509_get_default_cert_dir();
    file = file ? file : X509_get_default_cert_file();
    X509_STORE *store = SSL_CTX_get_cert_store(ssl);
    X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
    if (!lookup || !X509_LOOKUP_add_dir(lookup, dir, X509_FILETYPE_PEM))
        return VX_EIO;
    if (access(file, R_OK) != 0 || vx__tls_bundle_mirrored(dir, file, X509_get_default_cert_file()))
        return VX_OK; /* no bundle at all trusts what the directory holds, as OpenSSL does */
    return SSL_CTX_load_verify_locations(ssl, file, NULL) == 1 ? VX_OK : VX_EIO;
}

/* Observing, the CA file adds to the system store (an auditor judges against both); else it
 * replaces it (DoT authenticates against what was configured). */
static int load_ca(SSL_CTX *ssl, const char *ca_file, bool observe)
{
    int rc = VX_OK;
    if (observe) /* a system without a store still observes, against the CA file alone */
        (void)load_system_store(ssl);
    if (ca_file)
        rc = SSL_CTX_load_verify_locations(ssl, ca_file, NULL) == 1 ? VX_OK : VX_EIO;
    else if (!observe)
        rc = load_system_store(ssl);
    ERR_clear_error();
    return rc;
}

int vx__tls_ctx_new(const vx__tls_auth *auth, vx__tls_ctx **out)
{
    if (!auth || auth->npins > VX__TLS_PINS_MAX ||
        (auth->strict && (auth->observe || (!auth->name && !auth->npins))))
        return VX_EINVAL;
    vx__tls_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return VX_ENOMEM;
    c->ssl = SSL_CTX_new(TLS_client_method());
    c->name = auth->name ? strdup(auth->name) : NULL;
    int rc = !c->ssl || (auth->name && !c->name) ? VX_ENOMEM
                                                 : load_ca(c->ssl, auth->ca_file, auth->observe);
    if (rc == VX_OK) {
        /* RFC 8310 §5: TLS 1.2 or later; the decision is ours, after the handshake */
        SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION);
        SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
        if (auth->npins)
            memcpy(c->pins, auth->pins, auth->npins * VX__TLS_PIN_LEN);
        c->npins = auth->npins;
        c->strict = auth->strict;
        c->observe = auth->observe;
        *out = c;
        return VX_OK;
    }
    vx__tls_ctx_free(c);
    return rc;
}

void vx__tls_ctx_free(vx__tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx->name);
    free(ctx);
}

/* ---- session --------------------------------------------------------------------------------- */

/* SNI is a host name, never an address (RFC 6066 §3). Observing, no name enters the verify
 * result: the caller checks names its own way (RFC 5922 for SIP). */
static void set_name(vx__tls_session *s, const char *sni)
{
    struct sockaddr_storage ss;
    socklen_t len;
    const char *name = sni ? sni : s->ctx->name;
    if (name && vx__addr_parse(name, 0, &ss, &len) != VX_OK)
        SSL_set_tlsext_host_name(s->ssl, name);
    if (s->ctx->name && !s->ctx->observe)
        SSL_set1_host(s->ssl, s->ctx->name); /* checked into the verify result */
}

int vx__tls_session_new(vx__tls_ctx *ctx, const char *sni, vx__tls_session **out)
{
    vx__tls_session *s = calloc(1, sizeof(*s));
    if (!s)
        return VX_ENOMEM;
    s->ctx = ctx;
    s->ssl = SSL_new(ctx->ssl);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    if (!s->ssl || !s->in || !s->out) {
        BIO_free(s->in);
        BIO_free(s->out);
        SSL_free(s->ssl);
        free(s);
        return VX_ENOMEM;
    }
    SSL_set_bio(s->ssl, s->in, s->out); /* the SSL owns both BIOs now */
    SSL_set_connect_state(s->ssl);
    set_name(s, sni);
    *out = s;
    return VX_OK;
}

void vx__tls_session_free(vx__tls_session *s)
{
    if (!s)
        return;
    SSL_free(s->ssl);
    free(s);
}

int vx__tls_session_feed(vx__tls_session *s, const uint8_t *data, size_t len)
{
    return len == 0 || BIO_write(s->in, data, (int)len) == (int)len ? VX_OK : VX_ENOMEM;
}

static bool pin_matches(const vx__tls_ctx *ctx, X509 *cert)
{
    uint8_t *der = NULL, digest[VX__TLS_PIN_LEN];
    int len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
    bool ok = len > 0 && EVP_Digest(der, (size_t)len, digest, NULL, EVP_sha256(), NULL) == 1;
    OPENSSL_free(der);
    for (size_t i = 0; ok && i < ctx->npins; i++)
        if (memcmp(ctx->pins[i], digest, VX__TLS_PIN_LEN) == 0)
            return true;
    return false;
}

/* RFC 7858 §4.2 / RFC 8310 §8: a pin, when any is configured; else the CA chain with the name. */
static bool authenticate(const vx__tls_session *s)
{
    X509 *cert = SSL_get0_peer_certificate(s->ssl);
    if (!cert)
        return false;
    if (s->ctx->npins)
        return pin_matches(s->ctx, cert);
    /* observing, the name was not checked: the chain alone authenticates nothing */
    return s->ctx->name && !s->ctx->observe && SSL_get_verify_result(s->ssl) == X509_V_OK;
}

/* Keeps OpenSSL's reason for a failed handshake ("unsupported protocol", ...). */
static void keep_reason(vx__tls_session *s)
{
    unsigned long e = ERR_peek_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (r)
        snprintf(s->why, sizeof(s->why), "%s", r);
    else if (e)
        ERR_error_string_n(e, s->why, sizeof(s->why));
    else
        snprintf(s->why, sizeof(s->why), "%s", "the peer closed the connection");
}

static int handshake(vx__tls_session *s)
{
    int r = SSL_do_handshake(s->ssl);
    if (r != 1) {
        int e = SSL_get_error(s->ssl, r);
        bool more = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
        if (!more)
            keep_reason(s);
        ERR_clear_error();
        return more ? VX_OK : VX_ENETWORK;
    }
    s->authenticated = authenticate(s);
    if (s->ctx->strict && !s->authenticated) {
        snprintf(s->why, sizeof(s->why), "%s", "the server is not authenticated");
        return VX_EREFUSED;
    }
    s->up = true;
    return VX_OK;
}

static int read_plain(vx__tls_session *s, uint8_t *plain, size_t cap, size_t *plain_len)
{
    while (*plain_len < cap) {
        int r = SSL_read(s->ssl, plain + *plain_len, (int)(cap - *plain_len));
        if (r > 0) {
            *plain_len += (size_t)r;
            continue;
        }
        int e = SSL_get_error(s->ssl, r);
        ERR_clear_error();
        return e == SSL_ERROR_WANT_READ ? VX_OK : VX_ENETWORK; /* ZERO_RETURN: closed */
    }
    return VX_OK;
}

int vx__tls_session_run(vx__tls_session *s, uint8_t *plain, size_t cap, size_t *plain_len, bool *up)
{
    *plain_len = 0;
    int rc = s->up ? VX_OK : handshake(s);
    if (rc == VX_OK && s->up)
        rc = read_plain(s, plain, cap, plain_len);
    *up = s->up;
    return rc;
}

int vx__tls_session_write(vx__tls_session *s, const uint8_t *data, size_t len)
{
    if (!s->up)
        return VX_EINVAL;
    int r = SSL_write(s->ssl, data, (int)len);
    ERR_clear_error();
    return r == (int)len ? VX_OK : VX_ENETWORK;
}

size_t vx__tls_session_pull(vx__tls_session *s, uint8_t *out, size_t cap)
{
    int r = BIO_read(s->out, out, (int)cap);
    return r > 0 ? (size_t)r : 0;
}

bool vx__tls_authenticated(const vx__tls_session *s)
{
    return s->authenticated;
}

STACK_OF(X509) * vx__tls_peer_chain(const vx__tls_session *s)
{
    return SSL_get_peer_cert_chain(s->ssl);
}

const char *vx__tls_protocol(const vx__tls_session *s)
{
    return s->up ? SSL_get_version(s->ssl) : NULL;
}

const char *vx__tls_cipher(const vx__tls_session *s)
{
    return s->up ? SSL_get_cipher_name(s->ssl) : NULL;
}

long vx__tls_verify(const vx__tls_session *s, const char **why)
{
    long v = SSL_get_verify_result(s->ssl);
    if (why)
        *why = v == X509_V_OK ? NULL : X509_verify_cert_error_string(v);
    return v;
}

const char *vx__tls_failure(const vx__tls_session *s)
{
    return s->why[0] ? s->why : NULL;
}
