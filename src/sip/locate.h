/*
 * sip/locate.h — RFC 3263 location of SIP servers, as a sans-I/O state machine.
 *
 * The locator never touches the network. It asks questions (name, type) and is fed answers,
 * so the same code runs over resolver/ in a client, over probe/ in the audit, and over a table
 * in tests:
 *
 *     vx__sip_locator *loc;
 *     vx__sip_locate_start("sips:alice@example.com", &opts, &loc, err, sizeof err);
 *     while (!vx__sip_locate_done(loc)) {
 *         const char *name; uint16_t type;
 *         while (vx__sip_locate_next_question(loc, &name, &type) == VX_OK)
 *             send_query(name, type);              // any number may be outstanding
 *         ... later, for each answer or failure:
 *         vx__sip_locate_feed(loc, name, type, &records);
 *     }
 *     vx__sip_result *res;
 *     vx__sip_locate_result(loc, &res);            // ordered targets, res->status
 *     vx__sip_locator_free(loc);
 *
 * vx__sip_locate() drives the same machine synchronously through a lookup callback.
 *
 * What is asked, per SIP domain (RFC 3263 §4.1, §4.2; TARGET is maddr if present, else host):
 *   numeric TARGET  nothing: transport = the parameter, else UDP (sip) / TLS (sips); the port
 *                   is the URI's or the transport's default (5060, 5061 for TLS).
 *   explicit port   A/AAAA of TARGET; transport = the parameter, else UDP for sip (TCP, then TLS
 *                   when the caller has no UDP) and TLS for sips. No NAPTR, no SRV.
 *   transport param SRV for that transport (_sips._tcp for TLS), then A/AAAA of the targets;
 *                   without SRV records, A/AAAA of TARGET at the default port.
 *   otherwise       NAPTR of TARGET. Usable records: flag "s", service SIP+D2U / SIP+D2T /
 *                   SIPS+D2T / SIP+D2S for transports the caller supports (SIPS+ only for a
 *                   sips URI), a replacement that passes the domain policy; sorted by order
 *                   then preference, each one's replacement is asked for SRV. With no usable
 *                   NAPTR record, SRV is asked for _sips._tcp, _sip._tcp, _sip._udp (and
 *                   _sip._sctp) in that order, for the supported transports (sips: _sips._tcp
 *                   only). Without any SRV record, A/AAAA of TARGET with the transport of the
 *                   first usable NAPTR record, else the default transport, at its default port.
 *   SRV sets are ordered by RFC 2782 (sip/srv.h); a "." target, a target failing the policy,
 *   and a target without addresses are dropped and listed in result->drops. An SRV set holding
 *   only "." counts as an answer: the service is decidedly not there, so no A/AAAA fallback.
 *
 * Every usable NAPTR record and every SRV target is kept, in order, so that the result is the
 * whole failover list, not only its head. Domain failover: opts->fallback_domains are located
 * one after another, only while no target has been found (or all of them with all_domains);
 * a target held down (opts->held, the client's feedback) does not count as found, so a
 * domain whose every target failed lets the next one be located.
 * A lookup that fails (timeout, SERVFAIL) is treated as an empty answer so that location goes
 * on to the next step; the failure becomes result->status only if no target is found at all.
 *
 * Ownership: the locator owns every string it hands out; a result is owned by the caller and
 * freed with vx__sip_result_free(). Nothing here keeps a pointer to caller memory after the
 * call that received it returns.
 */
#ifndef VX_SIP_LOCATE_H
#define VX_SIP_LOCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sip/policy.h"
#include "sip/records.h"
#include "sip/srv.h"
#include "sip/uri.h"

/* Safety bounds: a hostile zone cannot make the locator ask or keep more than this. */
#define VX__SIP_MAX_LOOKUPS 128 /* questions per location, CNAME hops included */
#define VX__SIP_MAX_NAPTR 32    /* records kept per NAPTR answer */
#define VX__SIP_MAX_SRV 64      /* records kept per SRV answer */
#define VX__SIP_MAX_ADDRS 32    /* addresses kept per A or AAAA answer */
#define VX__SIP_MAX_TARGETS 256 /* targets in a result */
#define VX__SIP_MAX_DOMAINS 8   /* the URI's domain plus fallbacks */
#define VX__SIP_MAX_EXTRA_SRV 8 /* opts->extra_srv entries kept */
#define VX__SIP_SRV_PREFIX_MAX 64

/* An SRV service name a client consults besides RFC 3263's, as a prefix of the SIP domain
 * ("_sipinternaltls._tcp"; Lync/Skype clients ask these), with the transport it stands for. */
typedef struct vx__sip_srv_name {
    const char *prefix;
    vx__sip_transport transport;
} vx__sip_srv_name;

enum vx__sip_family { VX__SIP_AF_V4 = 1u << 0, VX__SIP_AF_V6 = 1u << 1 };

/* All-zero is the default: UDP+TCP+TLS, policy off, no fallback, IPv6 then IPv4, the random
 * source seeded from the system. */
typedef struct vx__sip_opts {
    unsigned transports;   /* mask of vx__sip_transport the caller can use; 0 = UDP|TCP|TLS
                              (SCTP only when asked for) */
    unsigned families;     /* mask of vx__sip_family to ask A/AAAA for; 0 = both */
    bool ipv4_first;       /* per target host, list A addresses before AAAA */
    vx__sip_policy policy; /* SRV-target / NAPTR-replacement domain policy, sip/policy.h */
    const char *const *fallback_domains; /* "example.net" or a full "sip:..." URI each; a bare
                                            domain takes the URI's scheme and transport
                                            parameter, not its port (a port belongs to a host) */
    size_t fallback_count;
    bool all_domains;         /* locate every domain, not only until one yields targets */
    vx__sip_random_fn random; /* RFC 2782 weighted choice; NULL = internal, system-seeded */
    void *random_ctx;
    /* Target feedback (sip/health.h). held(held_ctx, transport, address with port) is true for
     * a target held down: it is kept, after every target that is not, and does not count as
     * found, so that the next fallback domain is located when every target of a domain is
     * held. NULL: no target is held. */
    bool (*held)(void *ctx, vx__sip_transport t, const struct sockaddr *sa);
    void *held_ctx;
    /* Registrar affinity: this target (address with port) goes first when found and not
     * held. */
    bool has_preferred;
    vx__sip_transport preferred_transport;
    struct sockaddr_storage preferred;
    const vx__sip_srv_name *extra_srv; /* asked after the default SRV names (copied) */
    size_t extra_srv_count;
    bool every_path; /* the audit's mode: ask the SRV names of every usable NAPTR record, the
                        default names and extra_srv, whatever NAPTR says, so that each name a
                        client could use is seen; targets from all of them, in that order */
} vx__sip_opts;

/* How a target was found. */
typedef enum vx__sip_source {
    VX__SIP_SRC_NUMERIC = 0, /* the URI named an address */
    VX__SIP_SRC_NAPTR,       /* NAPTR → SRV → A/AAAA */
    VX__SIP_SRC_SRV,         /* SRV → A/AAAA (no usable NAPTR, or explicit transport) */
    VX__SIP_SRC_A            /* A/AAAA of the domain itself (explicit port, or no SRV) */
} vx__sip_source;

typedef struct vx__sip_target {
    vx__sip_transport transport;
    const char *host; /* the host that gave the address: "sip1.example.com." */
    uint16_t port;
    struct sockaddr_storage addr; /* with port set */
    socklen_t addr_len;
    const char *tls_identity; /* TLS: the SIP domain the certificate must name (RFC 5922
                                 §4), "example.com" without trailing dot, or the literal
                                 address of a numeric URI; NULL for UDP/TCP/SCTP */
    const char *domain;       /* the SIP domain located: "example.com." */
    size_t domain_index;      /* 0 = the URI's, 1.. = opts->fallback_domains[i-1] */
    vx__sip_source source;
    uint16_t priority, weight; /* of the SRV record; 0 when there was none */
    uint32_t ttl;              /* smallest TTL along the chain; UINT32_MAX when no record
                                  was involved (numeric URI) */
    bool held;                 /* held down (opts->held) when located: listed last */
    bool preferred;            /* opts->preferred: listed first */
    unsigned pass;             /* 0: found by this location; 1: added by
                                  vx__sip_result_append (a second source, e.g. static) */
} vx__sip_target;

typedef enum vx__sip_drop_reason {
    VX__SIP_DROP_POLICY = 0,  /* SRV target / NAPTR replacement outside the SIP domain */
    VX__SIP_DROP_NO_SERVICE,  /* SRV target "." (RFC 2782: service decidedly not available) */
    VX__SIP_DROP_NO_ADDRESS,  /* a target host without A/AAAA records */
    VX__SIP_DROP_UNSUPPORTED, /* the URI's transport is not among opts->transports */
    VX__SIP_DROP_DUPLICATE    /* same transport, address and port as an earlier target */
} vx__sip_drop_reason;

typedef struct vx__sip_drop {
    vx__sip_drop_reason reason;
    const char *domain; /* SIP domain being located */
    const char *name;   /* the name dropped (target, replacement, host) */
    vx__sip_transport transport;
    uint16_t port;
} vx__sip_drop;

/* An SRV name the locator asked, in the order asked (the audit's view of the chain). */
typedef struct vx__sip_service {
    const char *owner;  /* "_sip._udp.example.com." */
    const char *domain; /* the SIP domain located */
    vx__sip_transport transport;
    vx__sip_source source; /* NAPTR: a NAPTR replacement; SRV: a default or extra name */
    bool extra;            /* from opts->extra_srv */
    int status;            /* of the SRV lookup (VX_OK, VX_ENOTFOUND, VX_ETIMEDOUT ...) */
    size_t record_count;   /* SRV records answered, "." included */
} vx__sip_service;

typedef struct vx__sip_result {
    int status;              /* VX_OK when count > 0 (held targets included); otherwise why
                                there is nothing:
                                VX_ENOTFOUND, VX_EUNSUPPORTED, or a lookup failure such as
                                VX_ETIMEDOUT, VX_ELIMIT, VX_ENOMEM */
    vx__sip_target *targets; /* in the order to try them: the preferred one, the others,
                                then the held ones, each group in RFC 3263 order */
    size_t count;
    size_t held_count; /* of which held down */
    vx__sip_drop *drops;
    size_t drop_count;
    vx__sip_service *services;
    size_t service_count;
    char **strings; /* storage for the strings above (private) */
    size_t string_count;
} vx__sip_result;

typedef struct vx__sip_locator vx__sip_locator;

/* Parses uri (and the fallback domains) and prepares the first questions. VX_EINVAL /
 * VX_EUNSUPPORTED with a reason in err for a bad URI or fallback domain; VX_ENOMEM. opts may be
 * NULL (defaults); it is copied. */
int vx__sip_locate_start(const char *uri, const vx__sip_opts *opts, vx__sip_locator **out,
                         char *err, size_t errcap);

/* The next question not yet asked: VX_OK with *name (valid until the locator is freed) and
 * *type; VX_ENOTFOUND when there is none right now (waiting for answers, or done). */
int vx__sip_locate_next_question(vx__sip_locator *loc, const char **name, uint16_t *type);

/* Gives the answer to a question. VX_OK when it was awaited (the locator then moves on and may
 * have new questions); VX_ENOTFOUND when no such question is outstanding (ignored); VX_EINVAL
 * for an invalid name. */
int vx__sip_locate_feed(vx__sip_locator *loc, const char *name, uint16_t type,
                        const vx__sip_records *recs);

bool vx__sip_locate_done(const vx__sip_locator *loc);

/* Hands the result over once done (VX_EINVAL before). The caller owns *out, whatever its
 * status, and frees it with vx__sip_result_free(). */
int vx__sip_locate_result(vx__sip_locator *loc, vx__sip_result **out);

void vx__sip_locator_free(vx__sip_locator *loc);
void vx__sip_result_free(vx__sip_result *res);

/* Adds the targets of src that dst lacks (same transport, address and port) with pass 1, then
 * orders dst again (preferred, others, held). For a second source of targets when every target
 * of dst is held down. VX_ENOMEM leaves dst as it was. */
int vx__sip_result_append(vx__sip_result *dst, const vx__sip_result *src);

/* Synchronous lookup: fills *out for (name, type), returning its status (also put in
 * out->status). What out points at must stay valid until the next call of the function. */
typedef int (*vx__sip_lookup_fn)(void *ctx, const char *name, uint16_t type, vx__sip_records *out);

/* Runs a locator to the end over lookup, one question at a time. Returns result->status, and
 * sets *out whenever the URI was valid (then the caller frees it, even on error); a bad URI
 * gives VX_EINVAL / VX_EUNSUPPORTED with the reason in err and *out = NULL. */
int vx__sip_locate(const char *uri, const vx__sip_opts *opts, vx__sip_lookup_fn lookup, void *ctx,
                   vx__sip_result **out, char *err, size_t errcap);

/* The SRV name of a transport at a domain (RFC 3263 §4.1: "_sip._udp.", "_sip._tcp.",
 * "_sips._tcp.", "_sip._sctp." + domain). VX_EINVAL when it would not be a valid name. */
int vx__sip_srv_owner(vx__sip_transport t, const char *domain, char *out, size_t cap);

/* The questions a client may start RFC 3263 location of domain with, in the order it asks
 * them: NAPTR at the domain, then SRV for TLS, TCP and UDP (the callers that watch a chain's
 * entry points: the audit's seeds, the monitor's resolver comparison). */
typedef void (*vx__sip_question_fn)(void *ctx, const char *name, uint16_t type);
int vx__sip_entry_questions(const char *domain, vx__sip_question_fn fn, void *ctx);

const char *vx__sip_source_name(vx__sip_source s);    /* "numeric", "naptr", "srv", "a" */
const char *vx__sip_drop_name(vx__sip_drop_reason r); /* "policy", "no-service", ... */

#endif
