/*
 * net/tcpconn.h — the client connection of net/: plain TCP, or TLS over TCP, on libuv. The TLS
 * is net/tls.h's sans-I/O session (OpenSSL over memory BIOs; libuv does all I/O), so the one
 * TLS context decides what is checked: DNS over TLS authenticates (CA + name or SPKI pins,
 * strict or opportunistic: net/resdot.c), the endpoint probe observes (net/sip_ping.c: the
 * handshake completes whatever the verification says, the result is recorded for the caller to
 * judge, because an auditor wants to see an untrusted server's certificate; name checks are
 * the caller's, RFC 5922 for SIP: wire/cert.h). TLS 1.2 or newer only (net/tls.c).
 *
 * Facts kept for the caller: TCP connected, protocol, cipher, chain as received, verification
 * result, and the reason a handshake failed (in the ready callback's why).
 *
 * Callback rule (as for net/engine.h): callbacks run on the loop thread, never from inside
 * vx__tcpconn_open(); an error return means no callback will run. A failed ready and closed
 * are each a connection's last callback: it closes itself after them (the pointer is dead once
 * the callback returns). After vx__tcpconn_close() no callback runs; it may be called from
 * inside a callback. Data passed to a callback is valid only during it. The memory goes once
 * the loop has run the handle's close.
 */
#ifndef VX_NET_TCPCONN_H
#define VX_NET_TCPCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "net/tls.h"

typedef struct vx__tcpconn vx__tcpconn;

typedef struct vx__tcpconn_cbs {
    /* The stream is ready (TCP connected and, with TLS, the handshake done and the server
     * accepted): status VX_OK; or it could not be: VX_EREFUSED (connection refused, or a strict
     * TLS context refused the server), VX_ETIMEDOUT, VX_ENETWORK (with why: "TLS handshake
     * failed: unsupported protocol", "connection reset" ...). Called once. */
    void (*ready)(void *arg, int status, const char *why);
    /* Bytes from the peer (decrypted). */
    void (*data)(void *arg, const uint8_t *buf, size_t len);
    /* The peer closed or the connection failed after ready: VX_OK for an orderly close. */
    void (*closed)(void *arg, int status);
} vx__tcpconn_cbs;

typedef struct vx__tcpconn_opts {
    vx__tls_ctx *tls; /* NULL: plain TCP; borrowed, must outlive the connection */
    const char *sni;  /* TLS server name to send (NULL: the context's name; an address: none) */
} vx__tcpconn_opts;

int vx__tcpconn_open(uv_loop_t *loop, const struct sockaddr *peer, const vx__tcpconn_opts *opts,
                     const vx__tcpconn_cbs *cbs, void *arg, vx__tcpconn **out);
/* Queues bytes (copied) once ready. VX_EINVAL before ready or after close. */
int vx__tcpconn_write(vx__tcpconn *s, const uint8_t *buf, size_t len);
void vx__tcpconn_close(vx__tcpconn *s);

/* Facts, valid from the ready callback (a failed one too) until close. */
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
