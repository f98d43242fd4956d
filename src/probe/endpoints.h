/*
 * probe/endpoints.h — the endpoint probe's bookkeeping inside a collector: which target tuples
 * of sip/'s result get an OPTIONS ping (net/sip_ping.h), each once, and the observation each
 * ping gives, with the target host filled in.
 *
 * Probed: UDP, TCP and TLS tuples whose address is public (documentation and benchmarking
 * ranges included: the lab lives there). Not probed: SCTP, and private, loopback, link-local,
 * CGNAT, ULA, multicast and reserved addresses (SIP-TARGET-PRIVATE-ADDRESS reports those; a
 * probe from outside could only time out or reach the wrong host).
 *
 * Callback rule as for net/engine.h: one result callback per ping started; the pings run on
 * the set's engine and vx__engine_close() ends those in flight (VX_ECANCELED) from inside it.
 */
#ifndef VX_PROBE_ENDPOINTS_H
#define VX_PROBE_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "model/endpoint.h"
#include "net/engine.h"
#include "net/tcpconn.h"
#include "sip/locate.h"

typedef void (*vx__ep_result_cb)(void *arg, const vx__endpoint_obs *obs);

typedef struct vx__ep_set vx__ep_set;

/* tls: the observing TLS context for TLS targets (borrowed; must outlive the set's pings). */
int vx__ep_set_new(vx__engine *engine, vx__tls_ctx *tls, vx__ep_result_cb cb, void *arg,
                   vx__ep_set **out);
/* Starts a ping for t unless it is not probed (see above) or was offered before. VX_OK with
 * *started telling whether a callback will come. */
int vx__ep_set_offer(vx__ep_set *set, const vx__sip_target *t, bool *started);
/* Would t be probed at all (its transport and address)? */
bool vx__ep_probed(vx__sip_transport transport, const struct sockaddr *addr);
/* Frees the set; pings in flight must have called back first. */
void vx__ep_set_free(vx__ep_set *set);

#endif
