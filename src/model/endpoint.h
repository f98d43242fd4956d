/*
 * model/endpoint.h — what the endpoint probe observed of one SIP target tuple (transport, host,
 * address, port): the answer to SIP OPTIONS (RFC 3261 §11), its round trip, and for TLS the
 * session and the peer's certificate chain as received. Like DNS observations, facts only; the
 * checks (check/endpoints.c) judge them, and the snapshot keeps them (JSON "endpoints").
 *
 * Ownership: an observation owns its strings and chain; vx__endpoint_clear() frees them.
 */
#ifndef VX_MODEL_ENDPOINT_H
#define VX_MODEL_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The SIP transports a target is probed over (RFC 3263; SCTP is never probed). */
typedef enum vx__ep_transport { VX__EP_UDP = 0, VX__EP_TCP, VX__EP_TLS } vx__ep_transport;

#define VX__EP_CHAIN_MAX 10 /* certificates of a peer chain kept */

typedef struct vx__endpoint_obs {
    char *host;                   /* the target host that gave the address ("sip1.example.com.") */
    struct sockaddr_storage addr; /* with the port */
    vx__ep_transport transport;
    int status;        /* VX_OK: a final SIP response arrived (code); else VX_ETIMEDOUT (no
                          answer in the budget), VX_EREFUSED, VX_ENETWORK (reset, unreachable,
                          TLS handshake failed), VX_EMALFORMED (not a SIP response) */
    char *error;       /* what went wrong, for people; NULL when status is VX_OK */
    unsigned code;     /* the SIP status code (100..699) when status is VX_OK */
    char *reason;      /* its reason phrase (NULL when none) */
    char *agent;       /* Server (else User-Agent) header, NULL when none */
    double rtt_ms;     /* request sent → response (after the handshake over TLS) */
    unsigned attempts; /* requests sent (UDP: Timer A retransmissions included) */
    uint64_t time_ms;  /* when the probe started (Unix epoch, ms) */
    /* TLS only (transport VX__EP_TLS): */
    bool connected;     /* the TCP connection was established */
    bool tls_ok;        /* the handshake completed (TLS 1.2 or newer) */
    char *tls_protocol; /* "TLSv1.3" */
    char *tls_cipher;   /* "TLS_AES_256_GCM_SHA384" */
    int verify;         /* X509_V_OK (0) or the X509_V_ERR_* code of the chain against the
                           system store plus --ca-file */
    char *verify_error; /* its text, NULL when it verified */
    char **chain;       /* the peer's chain as sent, leaf first, PEM */
    size_t chain_count;
} vx__endpoint_obs;

const char *vx__ep_transport_name(vx__ep_transport t); /* "udp", "tcp", "tls" */
int vx__ep_transport_from_name(const char *name, vx__ep_transport *out);

/* Deep copy of src into dst (which holds nothing); on failure dst is cleared. */
int vx__endpoint_copy(vx__endpoint_obs *dst, const vx__endpoint_obs *src);
void vx__endpoint_clear(vx__endpoint_obs *ep);

#endif
