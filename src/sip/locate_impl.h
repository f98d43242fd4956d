/*
 * sip/locate_impl.h — the locator's insides, shared by locate.c (API, question table),
 * locate_steps.c (the RFC 3263 steps) and locate_result.c (building the result). Not for use
 * outside sip/.
 *
 * Shape: one job per SIP domain (the URI's, then the fallbacks), processed one after another.
 * A job moves through stages; each stage registers the questions it needs in the shared table
 * (deduplicated by name and type), and the next stage starts once all of them are answered, so
 * that the questions of one stage may be outstanding together.
 */
#ifndef VX_SIP_LOCATE_IMPL_H
#define VX_SIP_LOCATE_IMPL_H

#include "sip/locate.h"

#define VX__SIP_NO_LOOKUP SIZE_MAX

enum vx__sip_lk_state { VX__SIP_LK_WANTED = 0, VX__SIP_LK_ASKED, VX__SIP_LK_DONE };

/* A NAPTR record as kept: the service already decoded. */
typedef struct vx__sip_naptr_copy {
    uint16_t order, pref;
    vx__sip_transport transport; /* 0 when the service is not one of the four SIP ones */
    bool secure;                 /* SIPS+ service */
    bool flag_s;                 /* flags is exactly "s" (any case) */
    char *replacement;           /* normalised */
    uint32_t ttl;
} vx__sip_naptr_copy;

typedef struct vx__sip_lookup {
    char *origname; /* the name first asked, normalised (the key, with type) */
    char *qname;    /* the name asked now: origname, or where CNAMEs led */
    uint16_t type;
    uint8_t state;
    uint8_t hops;
    int status;
    uint32_t ttl_floor; /* smallest CNAME TTL on the way */
    vx__sip_naptr_copy *naptr;
    size_t naptr_count;
    vx__sip_srv *srv; /* targets owned (normalised copies) */
    size_t srv_count;
    vx__sip_addr *addr;
    size_t addr_count;
} vx__sip_lookup;

typedef struct vx__sip_srv_step {
    size_t lk;
    vx__sip_transport transport;
    vx__sip_source source;
    bool extra;   /* one of opts.extra_srv */
    uint32_t ttl; /* of the NAPTR record that led here; UINT32_MAX otherwise */
} vx__sip_srv_step;

typedef struct vx__sip_host_step {
    char *name; /* owned */
    uint16_t port;
    vx__sip_transport transport;
    vx__sip_source source;
    uint16_t priority, weight;
    uint32_t ttl;
    size_t lk_a, lk_aaaa;
} vx__sip_host_step;

enum vx__sip_stage { VX__SIP_ST_NAPTR = 0, VX__SIP_ST_SRV, VX__SIP_ST_ADDR, VX__SIP_ST_DONE };

typedef struct vx__sip_job {
    vx__sip_uri uri;
    const char *target; /* TARGET (RFC 3263 §4): uri.maddr if set, else uri.host */
    bool target_is_ip;
    char identity[VX__NAME_TEXT_MAX]; /* SIP domain without trailing dot (RFC 5922) */
    size_t index;
    int stage;
    size_t naptr_lk;
    vx__sip_transport naptr_transport; /* of the first usable NAPTR record, 0 if none */
    vx__sip_srv_step srv[VX__SIP_MAX_NAPTR + 4 + VX__SIP_MAX_EXTRA_SRV];
    size_t srv_count;
    vx__sip_host_step *hosts;
    size_t host_count;
    size_t targets_found;
} vx__sip_job;

typedef struct vx__sip_extra_copy {
    char prefix[VX__SIP_SRV_PREFIX_MAX];
    vx__sip_transport transport;
} vx__sip_extra_copy;

struct vx__sip_locator {
    vx__sip_opts opts;
    vx__sip_extra_copy extra[VX__SIP_MAX_EXTRA_SRV];
    size_t extra_count;
    vx__sip_xorshift rng;
    vx__sip_job jobs[VX__SIP_MAX_DOMAINS];
    size_t job_count;
    size_t cur;
    vx__sip_lookup lk[VX__SIP_MAX_LOOKUPS];
    size_t lk_count;
    vx__sip_result *res;
    int error; /* the first failure worth reporting when nothing is found */
    bool done;
};

/* locate.c */
size_t vx__sip_lk_add(vx__sip_locator *loc, const char *name, uint16_t type);
const vx__sip_lookup *vx__sip_lk_at(const vx__sip_locator *loc, size_t idx);
vx__sip_lookup *vx__sip_lk_at_mut(vx__sip_locator *loc, size_t idx);
void vx__sip_note_error(vx__sip_locator *loc, int status);

/* locate_steps.c */
void vx__sip_job_start(vx__sip_locator *loc, vx__sip_job *job);
bool vx__sip_job_ready(const vx__sip_locator *loc, const vx__sip_job *job);
void vx__sip_job_step(vx__sip_locator *loc, vx__sip_job *job);
void vx__sip_job_clear(vx__sip_job *job);

/* locate_result.c */
vx__sip_result *vx__sip_result_new(void);
void vx__sip_add_target(vx__sip_locator *loc, vx__sip_job *job, const vx__sip_host_step *host,
                        const vx__sip_addr *addr, uint32_t ttl);
void vx__sip_add_service(vx__sip_locator *loc, const vx__sip_job *job, const vx__sip_srv_step *step,
                         const vx__sip_lookup *lk);
void vx__sip_add_drop(vx__sip_locator *loc, const vx__sip_job *job, vx__sip_drop_reason why,
                      const char *name, vx__sip_transport t, uint16_t port);
void vx__sip_result_finish(vx__sip_locator *loc);

#endif
