/*
 * voxdns/status.h — the status codes every libvoxdns call returns, and vx_strerror().
 *
 * Contract: VX_OK is zero, every error is negative, and codes never change meaning once
 * released (new conditions get new codes). vx_strerror() never returns NULL; the string it
 * returns is static and must not be freed.
 */
#ifndef VOXDNS_STATUS_H
#define VOXDNS_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VX_BUILDING) && defined(__GNUC__)
#define VX_API __attribute__((visibility("default")))
#else
#define VX_API
#endif

typedef enum vx_status {
    VX_OK = 0,
    VX_ENOMEM = -1,     /* out of memory */
    VX_EINVAL = -2,     /* invalid argument or malformed input given by the caller */
    VX_ETIMEDOUT = -3,  /* no answer within the retry budget */
    VX_ENETWORK = -4,   /* a socket-level failure (unreachable network, send error, reset) */
    VX_EMALFORMED = -5, /* data received from outside could not be parsed */
    VX_EREFUSED = -6,   /* connection refused / ICMP port unreachable: nothing listens there */
    VX_ECANCELED = -7,  /* the operation was cancelled (engine closed, caller cancelled) */
    VX_ENOTFOUND = -8,  /* the name or record does not exist */
    VX_EIO = -9,        /* a local file could not be read or written */
    VX_ELIMIT = -10,    /* a safety limit was hit (referral loop, too many steps, too deep) */
    VX_ESERVFAIL = -11, /* every server tried failed to answer usefully (SERVFAIL, REFUSED, lame) */
    VX_EUNSUPPORTED = -12, /* the request needs something this build or platform does not offer */
    VX_EBOGUS = -13,       /* DNSSEC validation failed: the answers were bogus */
    VX_ECERTNAME = -14     /* the certificate does not name the SIP domain (RFC 5922 §7) */
} vx_status;

/* A short, lower-case, human-readable description of a status code ("timed out"). */
VX_API const char *vx_strerror(int status);

#ifdef __cplusplus
}
#endif

#endif
