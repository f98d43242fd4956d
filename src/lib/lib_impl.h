/*
 * lib/lib_impl.h — private to src/lib/ (the public API of libvoxdns): the layout of the
 * configuration, the resolver, a locate operation and a result, and the functions the API
 * files call in one another. Nothing outside src/lib/ includes this.
 */
#ifndef VX_LIB_IMPL_H
#define VX_LIB_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>
#include <uv.h>

#include "net/resbuild.h"
#include "net/resdriver.h"
#include "net/tls.h"
#include "resolver/static_cache.h"
#include "resolver/upstream.h"
#include "sip/health.h"
#include "sip/locate.h"
#include "voxdns/feedback.h"
#include "voxdns/locate.h"
#include "voxdns/resolver.h"
#include "wire/addr.h"

#define VX__LIB_FALLBACK_MAX (VX__SIP_MAX_DOMAINS - 1)

/* The static files are kept as text and parsed again for each resolver (net/resbuild.h): a
 * resolver owns its static cache, and a config stays reusable. */
struct vx_config {
    struct sockaddr_storage up[VX__UPSTREAM_MAX];
    bool up_tcp[VX__UPSTREAM_MAX];
    bool up_tls[VX__UPSTREAM_MAX];
    char *up_name[VX__UPSTREAM_MAX]; /* TLS authentication name (owned), NULL without */
    size_t nup;
    char *tls_ca_file; /* owned; NULL: the system's store */
    uint8_t tls_pins[VX__TLS_PINS_MAX][VX__TLS_PIN_LEN];
    size_t ntls_pins;
    bool tls_opportunistic;
    vx__static_text *statics; /* texts owned */
    size_t nstatics;
    bool static_first;
    char *fallback[VX__LIB_FALLBACK_MAX];
    size_t nfallback;
    vx_policy policy;
    unsigned transports;
    unsigned max_ttl_s;
    unsigned hold_base_ms, hold_max_ms; /* 0: sip/health.h's defaults */
    ldns_rr_list *trust_anchors;        /* owned; NULL: no DNSSEC validation */
};

/* One DNS question of a location: outstanding while lookup != 0, then a trace step. */
typedef struct vx__lib_step {
    char *name;
    uint16_t type;
    uint64_t lookup; /* the resolver's handle while outstanding; 0 once answered */
    vx_source source;
    int status;
    size_t records;
    double start_ms, ms;
    vx_security security;
} vx__lib_step;

struct vx_locate_op {
    vx_resolver *res;
    char *uri;
    vx_locate_op *prev, *next;
    vx__sip_locator *loc;
    vx_locate_cb cb;
    void *arg;
    uint64_t t0_ns;
    vx__lib_step *steps;
    size_t nsteps, capsteps;
    size_t outstanding;
    bool ready; /* done, waiting for the kick timer to deliver the callback */
};

struct vx_resolver {
    uv_loop_t *loop;
    uv_loop_t own_loop;
    bool owns_loop;
    vx__resdrv *drv;
    uv_timer_t kick; /* delivers finished operations from the loop, never from an API call */
    vx_locate_op *ops;
    char *fallback[VX__LIB_FALLBACK_MAX];
    size_t nfallback;
    vx__sip_opts sip;
    /* Target feedback (voxdns/feedback.h): the only state another thread may touch. */
    pthread_mutex_t health_lock;
    vx__sip_health *health;
};

typedef struct vx__lib_target {
    char address[VX__ADDR_TEXT_MAX];
    vx_source source;
} vx__lib_target;

struct vx_result {
    unsigned refs;
    char *uri; /* as located: the key of registrar affinity */
    int status;
    vx__sip_result *sip; /* NULL when nothing was located */
    vx__lib_target *targets;
    vx__lib_step *steps; /* owned: names included */
    size_t nsteps;
    double elapsed_ms;
};

/* config.c: builds the state machine a resolver runs from a config (through net/resbuild.h),
 * and puts its TLS upstreams on DNS over TLS. */
int vx__lib_build_res(const vx_config *cfg, vx__res **out);
int vx__lib_setup_tls(const vx_config *cfg, vx__resdrv *drv);
/* locate.c: the resolver's RESULT callback, and the delivery of finished operations. */
void vx__lib_on_res_result(void *arg, const vx__res_result *r);
void vx__lib_kick(uv_timer_t *t);
void vx__lib_op_free(vx_locate_op *op);
/* result.c */
int vx__lib_result_new(vx_locate_op *op, vx_result **out);
/* feedback.c: the health table (created with the resolver), the locator's view of it, and
 * the static cache's targets when every target located is held. */
int vx__lib_health_new(vx_resolver *r, const vx_config *cfg);
void vx__lib_health_free(vx_resolver *r);
void vx__lib_feedback_opts(vx_resolver *r, const char *uri, vx__sip_opts *opts);
void vx__lib_static_pass(vx_locate_op *op, vx__sip_result *sip);
uint64_t vx__lib_now_ms(void);
/* locate.c: a step of op's trace (NULL when out of memory). */
vx__lib_step *vx__lib_add_step(vx_locate_op *op, const char *name, uint16_t type);

#endif
