/*
 * probe/watch.h — the monitor's quiet probe. A full audit (probe/audit.h) walks from the root,
 * discovers every server and every name of the SIP chain and asks ~75 questions per domain; a
 * *watch plan* keeps, from the audit's snapshot, the questions whose answers carry the
 * domain's data — every DATA question to every authoritative address, the parent's NS and DS
 * questions (delegation, glue, DS), the final answers of the look-ups of names outside the
 * domain, and those names asked of their own zones' servers (FOREIGN: NS hosts' and out-of-zone
 * SIP targets' addresses, their CAA and ACME challenges) — with the fingerprint
 * (wire/fingerprint.h) of each answer. A *watch* asks exactly those questions of exactly those
 * addresses again and says whether every answer is still the same.
 *
 * The monitor runs the watch between full audits: when it says "unchanged", the domain's
 * snapshot, findings and events would be those of the last audit, so nothing is re-derived;
 * when anything differs (data, TTL, rcode, a server silent), the monitor audits the domain in
 * full at once, and the diff against the baseline sees the change.
 *
 * A snapshot yields a plan only when every one of those questions was answered: a domain with a
 * silent or refusing server is audited in full every cycle (its NS-DOWN must be tracked).
 *
 * Server names and addresses are kept once per daemon in a vx__watch_servers table shared by
 * every plan (100k domains usually share a few dozen servers). Callback rule as for
 * net/engine.h.
 */
#ifndef VX_PROBE_WATCH_H
#define VX_PROBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/engine.h"
#include "model/snapshot.h"

typedef struct vx__watch_server {
    char *name; /* normalised NS name ("ns1.example.net.") */
    struct sockaddr_storage addr;
} vx__watch_server;

typedef struct vx__watch_servers {
    vx__watch_server *items;
    size_t count, cap;
    uint32_t *slots; /* open addressing: index + 1, 0 for empty */
    size_t slot_count;
} vx__watch_servers;

void vx__watch_servers_init(vx__watch_servers *t);
void vx__watch_servers_clear(vx__watch_servers *t);
/* The index of (name, addr), added when new. VX_ENOMEM. */
int vx__watch_servers_intern(vx__watch_servers *t, const char *name, const struct sockaddr *addr,
                             uint32_t *index);

typedef struct vx__watch_question {
    uint64_t fingerprint; /* of the answer at the audit */
    uint32_t server;      /* index in the vx__watch_servers table */
    uint32_t qname;       /* offset in the plan's names */
    uint16_t qtype;
    uint16_t qclass;
    uint8_t kind;   /* vx__probe_kind */
    uint8_t qflags; /* VX__Q_* */
} vx__watch_question;

typedef struct vx__watch_plan {
    uint64_t audited_ms;      /* when the audit behind it started (Unix ms) */
    uint64_t audit_due_ms;    /* the monitor's: when to audit in full again (0: never set) */
    uint64_t resolver_digest; /* the monitor's digest of the watched resolvers' answers */
    char *names;              /* NUL-separated qnames, the domain's apex first */
    size_t names_len;
    vx__watch_question *q;
    size_t count;
    struct vx__ep_watch *endpoints; /* the SIP target tuples pinged too (probe/watch_ep.h; the
                                       monitor's, freed with the plan); NULL: none */
} vx__watch_plan;

/* VX_OK with a plan; VX_ENOTFOUND when the snapshot cannot be watched (a question went
 * unanswered, or a response could not be fingerprinted); VX_ENOMEM. */
int vx__watch_plan_build(const vx__snapshot *snap, vx__watch_servers *servers,
                         vx__watch_plan **out);
void vx__watch_plan_free(vx__watch_plan *plan);
static inline const char *vx__watch_qname(const vx__watch_plan *p, const vx__watch_question *q)
{
    return p->names + q->qname;
}

/* The stored form of a plan (text, servers and names by value, so that it outlives the server
 * table's indexes) with a key the caller chooses (a digest of what the plan depends on besides
 * the zones: the domain's configuration). NULL on failure. */
char *vx__watch_plan_encode(const vx__watch_plan *plan, const vx__watch_servers *servers,
                            uint64_t key);
/* Back, its servers interned in servers. It reads the store's text: anything malformed is
 * VX_EMALFORMED (the domain is then audited in full), never a crash. VX_ENOMEM. */
int vx__watch_plan_decode(const char *text, size_t len, vx__watch_servers *servers,
                          vx__watch_plan **out, uint64_t *key);

/* One question's result in a watch. */
typedef struct vx__watch_answer {
    int status;     /* VX_OK when a response was accepted */
    uint16_t rcode; /* the response's (header) rcode */
    double rtt_ms;  /* of the attempt that got it */
    bool same;      /* status VX_OK and the fingerprint as in the plan */
} vx__watch_answer;

/* answers is parallel to plan->q; unchanged when every answer is the same. */
typedef void (*vx__watch_done_cb)(void *arg, const vx__watch_answer *answers, bool unchanged);

/* The address each question of the plan goes to, parallel to plan->q (malloc'd), resolved from
 * the server table on the thread that owns it: a watch may then run on another thread while
 * the table grows. VX_ENOMEM, VX_EINVAL. */
int vx__watch_addresses(const vx__watch_plan *plan, const vx__watch_servers *servers,
                        struct sockaddr_storage **out);

/* Answers shared between the watches of one thread within one round (a monitoring cycle):
 * the look-ups (kind RESOLVE) of NS names' addresses and SRV targets outside the domain, and
 * the same names asked of their own zones' servers (FOREIGN), the same question for every
 * domain at a provider, are asked once per round. Used from one
 * thread; freed when no watch that uses it is in flight (a query still in flight then frees
 * its own entry). */
typedef struct vx__watch_shared vx__watch_shared;
vx__watch_shared *vx__watch_shared_new(void);
void vx__watch_shared_free(vx__watch_shared *shared);

/* Asks every question of the plan of its address (addrs from vx__watch_addresses); with a
 * shared cache (or NULL), the look-ups through it for this round. plan and addrs must outlive
 * the watch; the engine decides the thread. An error return (VX_EINVAL, VX_ENOMEM, VX_ENETWORK
 * when nothing could be asked) means no callback. */
int vx__watch_start(vx__engine *engine, const vx__watch_plan *plan,
                    const struct sockaddr_storage *addrs, vx__watch_shared *shared, uint64_t round,
                    vx__watch_done_cb done, void *arg);

#endif
