/*
 * net/tcpconn.h — client byte streams over libuv: plain TCP, or TLS over TCP with OpenSSL driven
 * through memory BIOs (OpenSSL never touches the socket; libuv does all I/O). A generic
 * building block for clients that must observe a server rather than trust it: the endpoint
 * probe speaks SIP over it (net/sip_ping.h): connect + handshake, write, read, close, and the
 * peer's facts (TCP connected, protocol, cipher, chain as received, verification result and
 * the reason a handshake failed). net/tls.h (DNS over TLS) is the other TLS client: it
 * authenticates (CA + name, SPKI pins, strict or opportunistic) and refuses; both sit on
 * OpenSSL memory BIOs and could share their session code.
 *
 * TLS policy: TLS 1.2 or newer only. The peer's chain is verified against the system trust
 * store plus the context's CA file, but a failed verification does not end the handshake: the
 * result is recorded (vx__tcpconn_tls_verify) for the caller to judge, because an auditor wants
 * to see an untrusted server's certificate. Name checks are the caller's (RFC 5922 for SIP:
 * wire/cert.h).
 *
 * Callback rule (as for net/engine.h): callbacks run on the loop thread, never from inside
 * vx__tcpconn_open(); an error return means no callback will run. After vx__tcpconn_close() no
 * callback runs; it may be called from inside a callback. Data passed to a callback is valid
 * only during it.
 */
#ifndef VX_NET_TCPCONN_H
#define VX_NET_TCPCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

/* The trust store a stream's TLS verifies against. Shared, immutable after creation (one per
 * audit); usable from several loops at once, as OpenSSL's SSL_CTX is. */
typedef struct vx__trust vx__trust;

/* ca_file: PEM trust anchors added to the system store (NULL: the system store only).
 * VX_EIO with a reason in err when the file cannot be loaded. */
int vx__trust_new(const char *ca_file, vx__trust **out, char *err, size_t errcap);
void vx__trust_free(vx__trust *ctx);

typedef struct vx__tcpconn vx__tcpconn;

typedef struct vx__tcpconn_cbs {
    /* The stream is ready (TCP connected and, with TLS, the handshake done): status VX_OK; or
     * it could not be: VX_EREFUSED, VX_ETIMEDOUT, VX_ENETWORK (with why: "TLS handshake
     * failed: unsupported protocol", "connection reset" ...). Called once. */
    void (*ready)(void *arg, int status, const char *why);
    /* Bytes from the peer (decrypted). */
    void (*data)(void *arg, const uint8_t *buf, size_t len);
    /* The peer closed or the connection failed after ready: VX_OK for an orderly close. */
    void (*closed)(void *arg, int status);
} vx__tcpconn_cbs;

typedef struct vx__tcpconn_opts {
    const vx__trust *tls; /* NULL: plain TCP */
    const char *sni;      /* TLS server name to send (a domain name; NULL or an address:
                             none) */
} vx__tcpconn_opts;

int vx__tcpconn_open(uv_loop_t *loop, const struct sockaddr *peer, const vx__tcpconn_opts *opts,
                     const vx__tcpconn_cbs *cbs, void *arg, vx__tcpconn **out);
/* Queues bytes (copied) once ready. VX_EINVAL before ready or after close. */
int vx__tcpconn_write(vx__tcpconn *s, const uint8_t *buf, size_t len);
void vx__tcpconn_close(vx__tcpconn *s);

/* Facts, valid once ready (and until close). */
bool vx__tcpconn_connected(const vx__tcpconn *s);
int vx__tcpconn_local(const vx__tcpconn *s, struct sockaddr_storage *out);
const char *vx__tcpconn_tls_protocol(const vx__tcpconn *s); /* "TLSv1.3"; NULL for plain TCP */
const char *vx__tcpconn_tls_cipher(const vx__tcpconn *s);
/* X509_V_OK (0) or the X509_V_ERR_* code; why gets its text. -1 for plain TCP. */
long vx__tcpconn_tls_verify(const vx__tcpconn *s, const char **why);
/* The chain as the peer sent it, leaf first: up to max DER copies into der[]/len[] (the
 * caller frees each der[i]); returns how many. Works after a failed handshake too when the
 * peer's certificate had arrived. */
size_t vx__tcpconn_peer_chain(const vx__tcpconn *s, uint8_t **der, size_t *len, size_t max);

#endif
