/*
 * check/view_sip.h — internal to check/: the SIP chain of a view (NAPTR → SRV names → SRV
 * records → target hosts → A/AAAA, each with the answer it came from), derived in view_sip.c on
 * top of model/view.h's servers and consensus answers.
 */
#ifndef VX_CHECK_VIEW_SIP_H
#define VX_CHECK_VIEW_SIP_H

#include "check/check.h"
#include "model/view.h"

typedef enum vx__sipt { VX__SIPT_OTHER = 0, VX__SIPT_UDP, VX__SIPT_TCP, VX__SIPT_TLS } vx__sipt;

typedef struct vx__cv_naptr {
    uint16_t order, pref;
    char flags[256];
    char service[256];
    char regexp[256];
    char replacement[VX__NAME_TEXT_MAX];
    bool sip; /* service SIP+... or SIPS+... (case-insensitive) */
} vx__cv_naptr;

/* An SRV owner name the chain reaches. */
typedef struct vx__cv_srvname {
    char owner[VX__NAME_TEXT_MAX];
    vx__sipt transport;
    bool standard;   /* _sip._udp / _sip._tcp / _sips._tcp at the domain */
    bool from_naptr; /* some SIP NAPTR's replacement */
    bool profile;    /* a Lync/Teams name */
    vx__answer ans;
} vx__cv_srvname;

/* One SRV record (target "." excluded: the service is decidedly not offered). */
typedef struct vx__cv_srv {
    size_t name; /* index into srvnames */
    uint16_t priority, weight, port;
    size_t host; /* index into hosts */
} vx__cv_srv;

typedef struct vx__cv_host {
    char name[VX__NAME_TEXT_MAX];
    vx__answer a, aaaa;
} vx__cv_host;

/* The whole view the checks use: vx__view_build() and then the SIP chain. */
int vx__check_view_build(const vx__snapshot *snap, const char *profile, vx__view *v);
/* While v is shared (NULL: none), vx__check_view_build gives a borrowed copy of it for its
 * snapshot and profile instead of building the same view again: vx__run_checks builds one
 * view for all its checks. Per thread; v must not change while it is shared. */
void vx__check_view_share(const vx__view *v);
int vx__view_sip_build(vx__view *v);

/* Addresses of a host's A and AAAA answers; returns the count (at most cap kept). */
size_t vx__host_addrs(const vx__cv_host *h, struct sockaddr_storage *out, size_t cap);
/* SIP transport of an SRV owner from its first labels (_sip._udp, _sips._tcp, _sip._tls ...). */
vx__sipt vx__sipt_of_owner(const char *owner);
const char *vx__sipt_name(vx__sipt t);

#endif
