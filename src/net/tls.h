/*
 * net/tls.h — TLS client connections for net/ (OpenSSL), generic enough for DNS over TLS
 * (RFC 7858, RFC 8310) and for SIP endpoint probing:
 *
 *   - vx__tls_ctx: what authenticates a server: a CA file (or the system's store) with the
 *     name the certificate must carry (the "authentication domain name", also sent as SNI),
 *     and/or SPKI pins (RFC 7858 §4.2: SHA-256 of the DER SubjectPublicKeyInfo, base64 in
 *     configuration). With pins, a matching pin authenticates; without, a chain to the CA that
 *     names the auth name does. Strict profile: an unauthenticated server is refused;
 *     opportunistic: it is used all the same (vx__tls_authenticated() says so).
 *   - vx__tls_session: one connection's TLS state, sans I/O (memory BIOs): network bytes are
 *     fed in, bytes to send are pulled out, plaintext goes both ways. The fuzz target drives it
 *     with server bytes.
 *   - a session over a libuv TCP connection is net/tcpconn.h's vx__tcpconn (which also carries
 *     plain TCP).
 *
 * Ownership: a ctx outlives the sessions and connections made from it. Strings are copied.
 */
#ifndef VX_NET_TLS_H
#define VX_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#define VX__TLS_PIN_LEN 32 /* SHA-256 */
#define VX__TLS_PINS_MAX 8

typedef struct vx__tls_auth {
    const char *ca_file; /* PEM CA certificates; NULL: the system's default store */
    const char *name;    /* authentication domain name (certificate name, SNI); may be NULL */
    const uint8_t (*pins)[VX__TLS_PIN_LEN];
    size_t npins;
    bool strict; /* refuse a server that is not authenticated */
    /* An auditor's context: the handshake completes whatever the verification says, the result
     * is recorded (vx__tls_verify) for the caller to judge, no name enters it (the caller's:
     * wire/cert.h), and the CA file adds to the system store instead of replacing it. Not
     * with strict. */
    bool observe;
} vx__tls_auth;

typedef struct vx__tls_ctx vx__tls_ctx;

/* VX_EIO when the CA file cannot be loaded; VX_EINVAL for a strict profile with neither a name
 * nor a pin (nothing could authenticate the server) or that observes. */
int vx__tls_ctx_new(const vx__tls_auth *auth, vx__tls_ctx **out);
void vx__tls_ctx_free(vx__tls_ctx *ctx);

/* The system store (a context without a CA file, or an observing one) is SSL_CERT_DIR and
 * SSL_CERT_FILE, or OpenSSL's defaults, as SSL_CTX_set_default_verify_paths() reads them; the
 * hashed directory is looked into on demand, and the bundle file is read unless this says the
 * directory mirrors it: file is the distribution's default bundle (default_file, by real path)
 * and the directories hold at least as many hashed CAs as it holds certificates (as
 * update-ca-certificates makes them). */
bool vx__tls_bundle_mirrored(const char *dirs, const char *file, const char *default_file);

/* Decodes a base64 SPKI pin (44 characters) into out. VX_EINVAL when it is not 32 octets. */
int vx__tls_pin_parse(const char *base64, uint8_t out[VX__TLS_PIN_LEN]);

/* ---- sans-I/O session ---------------------------------------------------------------------- */

typedef struct vx__tls_session vx__tls_session;

/* sni: the server name to send (NULL: the context's name; never sent when it is an address). */
int vx__tls_session_new(vx__tls_ctx *ctx, const char *sni, vx__tls_session **out);
void vx__tls_session_free(vx__tls_session *s);
/* Bytes received from the server. */
int vx__tls_session_feed(vx__tls_session *s, const uint8_t *data, size_t len);
/* Moves the session on: the handshake, then the plaintext received, appended to plain (at most
 * cap octets; *plain_len receives how many). VX_OK; VX_EREFUSED when a strict profile refused
 * the server; VX_ENETWORK on a TLS error or a close by the server. *up is true once the
 * handshake is done (and the server accepted). */
int vx__tls_session_run(vx__tls_session *s, uint8_t *plain, size_t cap, size_t *plain_len,
                        bool *up);
/* Plaintext to send (only once up). VX_ENETWORK on a TLS error. */
int vx__tls_session_write(vx__tls_session *s, const uint8_t *data, size_t len);
/* Bytes to send to the server: up to cap octets copied into out; returns how many. */
size_t vx__tls_session_pull(vx__tls_session *s, uint8_t *out, size_t cap);
/* After the handshake: did a pin or the CA and name authenticate the server? */
bool vx__tls_authenticated(const vx__tls_session *s);
/* The server's certificate chain as received, leaf first (borrowed, valid while the session
 * lives): NULL before it arrived; kept after a failed handshake too. */
STACK_OF(X509) * vx__tls_peer_chain(const vx__tls_session *s);
/* Once up: "TLSv1.3" and the cipher's name; NULL before. */
const char *vx__tls_protocol(const vx__tls_session *s);
const char *vx__tls_cipher(const vx__tls_session *s);
/* X509_V_OK (0) or the X509_V_ERR_* code of the chain's verification; why gets its text. */
long vx__tls_verify(const vx__tls_session *s, const char **why);
/* Why the handshake failed (OpenSSL's reason, or the refusal); NULL while it has not. */
const char *vx__tls_failure(const vx__tls_session *s);

#endif
