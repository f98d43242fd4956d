/*
 * sip/records.h — the DNS answers sip/ consumes, as plain structs the caller fills from whatever
 * resolver it has (resolver/ for clients, probe/ for the audit, a table in tests).
 *
 * Ownership: every pointer in these structs is borrowed. sip/ copies what it keeps before the
 * call that received them returns, so the caller may free or reuse them right after.
 * Names are presentation form in any case, trailing dot optional.
 */
#ifndef VX_SIP_RECORDS_H
#define VX_SIP_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The record types sip/ asks for (RFC 1035, RFC 3596, RFC 2782, RFC 3403). */
#define VX__SIP_RR_A 1
#define VX__SIP_RR_CNAME 5
#define VX__SIP_RR_AAAA 28
#define VX__SIP_RR_SRV 33
#define VX__SIP_RR_NAPTR 35

typedef struct vx__sip_naptr {
    uint16_t order;
    uint16_t pref;
    const char *flags;       /* "s", "u", "" ... */
    const char *service;     /* "SIP+D2U", "E2U+sip" ... */
    const char *regexp;      /* "" or "!^.*$!sip:info@example.com!" */
    const char *replacement; /* "_sip._udp.example.com." or "." */
    uint32_t ttl;
} vx__sip_naptr;

typedef struct vx__sip_srv {
    uint16_t priority;
    uint16_t weight;
    uint16_t port;
    const char *target; /* "." means the service is decidedly not available */
    uint32_t ttl;
} vx__sip_srv;

typedef struct vx__sip_addr {
    struct sockaddr_storage addr; /* AF_INET for A, AF_INET6 for AAAA; the port is ignored */
    uint32_t ttl;
} vx__sip_addr;

/* The answer to one question (name, type).
 * status: VX_OK (records below, possibly none = NODATA), VX_ENOTFOUND (NXDOMAIN), or any other
 *         failure (VX_ETIMEDOUT, VX_ESERVFAIL, ...), which sip/ treats as "no records" for the
 *         sake of going on, but remembers to report when nothing is found at all.
 * cname:  when set and no records of the asked type are given, the name is an alias and sip/
 *         asks the same type again at cname (at most VX__SIP_CNAME_HOPS times). A resolver that
 *         already follows CNAMEs leaves it NULL and gives the final records. */
typedef struct vx__sip_records {
    int status;
    const vx__sip_naptr *naptr;
    size_t naptr_count;
    const vx__sip_srv *srv;
    size_t srv_count;
    const vx__sip_addr *addr;
    size_t addr_count;
    const char *cname;
    uint32_t cname_ttl;
} vx__sip_records;

#define VX__SIP_CNAME_HOPS 8

#endif
