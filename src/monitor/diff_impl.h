/*
 * monitor/diff_impl.h — internal to the monitor's diff (monitor/diff.h): the state of one
 * cycle's diff and the vocabulary every rule file shares (an answer's data, an event under
 * construction, conditions held, forgotten and closed, their JSON details), and the rule
 * files' entry points. One file per concern:
 *   diff.c          the cycle: the order of the rules, and conditions nobody decided;
 *   diff_base.c     data, events, conditions, details, snapshot lookups;
 *   diff_record.c   records and TTLs per server, name and type (RECORD-*, TTL-CHANGED);
 *   diff_hijack.c   the hijack surface: delegation, DS, foreign zones' answers, CAA, ACME,
 *                   NS addresses, the server set (SERVER-ADDED/-REMOVED);
 *   diff_server.c   liveness (NS-DOWN), serials (SERIAL-LAG), alternate domains;
 *   diff_resolver.c watched resolvers (RESOLVER-DOWN, RESOLVER-MISMATCH);
 *   diff_finding.c  findings (FINDING-APPEARED/-CLEARED) and their keys;
 *   diff_endpoint.c SIP targets and certificates (SIP-TARGET-*, CERT-CHANGED);
 *   diff_propagation.c  propagation timing (PROPAGATION-SLOW; SERIAL-LAG's start).
 */
#ifndef VX_MONITOR_DIFF_IMPL_H
#define VX_MONITOR_DIFF_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/view.h"
#include "monitor/diff.h"

#define VX__DIFF_KEY_MAX (VX__LABEL_TEXT_MAX + VX__NAME_TEXT_MAX + 32)
#define VX__DIFF_MSG_MAX 1024

typedef struct vx__diff_ctx {
    const vx__diff_input *in;
    const vx__conditions *prev; /* open at the start of the cycle */
    bool *handled;              /* per prev item: decided this cycle */
    vx__conditions next;
    vx__events *out;
    char domain[VX__NAME_TEXT_MAX]; /* without the trailing dot */
    vx__view base, cur;
    bool base_ok, cur_ok;
    const char *ns_names[64]; /* the NS names of the baseline and of this cycle */
    size_t ns_name_count;
    int rc; /* sticky: the first failure */
} vx__diff_ctx;

/* The data of one answer: rdata strings (a CNAME at the name first, as "CNAME target"). */
typedef struct vx__diff_data {
    char **v;
    size_t n;
    uint32_t ttl;
    uint16_t rcode;
} vx__diff_data;

/* An event under construction; its strings live in the buffers. */
typedef struct vx__diff_ev {
    vx__event e;
    char server[VX__LABEL_TEXT_MAX];
    char name[VX__NAME_TEXT_MAX];
    char check[64];
    char message[VX__DIFF_MSG_MAX];
} vx__diff_ev;

/* What a compared answer is: a server's data (record), a parent server's delegation (its NS
 * set and glue for the domain) or its DS RRset. Each has its own condition keys. */
typedef enum vx__diff_family {
    VX__DIFF_FAM_RECORD = 0,
    VX__DIFF_FAM_DELEGATION,
    VX__DIFF_FAM_DS
} vx__diff_family;

/* One compared answer: a server's data for (qname, qtype) now and in the baseline. */
typedef struct vx__diff_rec {
    vx__diff_family family;
    const char *label; /* the server */
    const char *qname;
    uint16_t qtype;
    const vx__diff_data *base, *now;
    char rkey[VX__DIFF_KEY_MAX], tkey[VX__DIFF_KEY_MAX];
    char tname[16]; /* type mnemonic */
} vx__diff_rec;

/* ---- diff_base.c: helpers ------------------------------------------------------------------ */

/* Remembers the first failure (the cycle's result); later ones are dropped. */
void vx__diff_fail(vx__diff_ctx *c, int rc);
void vx__diff_data_free(vx__diff_data *d);
bool vx__diff_data_push(vx__diff_data *d, const char *prefix, const char *s);
bool vx__diff_data_equal(const vx__diff_data *a, const vx__diff_data *b);
/* A response whose data may be compared: authoritative, conclusive and not truncated (a
 * truncated UDP answer may lack records, which must not read as a removal). */
bool vx__diff_obs_usable(const vx__observation *o);
/* An answer's data for (qname, qtype); RRSIGs are never part of it: re-signing changes them
 * every few days and says nothing about the data. */
int vx__diff_data_of(const vx__observation *o, const char *qname, uint16_t qtype,
                     vx__diff_data *out);
/* "[192.0.2.10, 192.0.2.11]", "NXDOMAIN" or "no data". */
void vx__diff_data_text(const vx__diff_data *d, char *out, size_t cap);
/* "45 s", "12 min", "3 h 5 min", "2.5 days". */
void vx__diff_span_text(uint64_t ms, char *out, size_t cap);
/* Milliseconds from t to this cycle (0 when t is later). */
uint64_t vx__diff_since(const vx__diff_ctx *c, uint64_t t);
bool vx__diff_has_prefix(const char *s, const char *prefix);
/* The second field of "kind|subject|...". */
void vx__diff_key_subject(const char *key, char *out, size_t cap);

/* ---- diff_base.c: events ------------------------------------------------------------------- */

void vx__diff_ev_init(vx__diff_ctx *c, vx__diff_ev *b, vx__event_type type, vx__severity sev,
                      const char *server, const char *name, uint16_t rrtype);
void vx__diff_ev_msg(vx__diff_ev *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The event's old and new data point at old and now (which must outlive the emit). */
void vx__diff_ev_data(vx__diff_ev *b, const vx__diff_data *old, const vx__diff_data *now);
void vx__diff_emit(vx__diff_ctx *c, const vx__diff_ev *b);
/* A closing event spans the condition: first seen then, ended now. */
void vx__diff_emit_closing(vx__diff_ctx *c, vx__diff_ev *b, const vx__condition *cond);

/* ---- diff_base.c: conditions --------------------------------------------------------------- */

/* The condition open from earlier cycles under key, not yet decided this cycle; NULL if none. */
const vx__condition *vx__diff_prev_get(const vx__diff_ctx *c, const char *key);
/* Decides key's condition without keeping it: closed or dropped. */
void vx__diff_forget(vx__diff_ctx *c, const char *key);
/* Carries cond into the next cycle as it is. */
void vx__diff_keep(vx__diff_ctx *c, const vx__condition *cond);
/* The condition holds this cycle: refreshed if open (detail replaced when given), else opened
 * with ev (which is emitted; NULL opens it unannounced). */
void vx__diff_hold(vx__diff_ctx *c, const char *key, vx__event_type opened_by,
                   const vx__diff_ev *ev, const char *detail);
/* The same, a condition opened now being first seen at first_ms (a start known from elsewhere,
 * e.g. the NOTIFY that began a propagation). */
void vx__diff_hold_since(vx__diff_ctx *c, const char *key, vx__event_type opened_by,
                         const vx__diff_ev *ev, const char *detail, uint64_t first_ms);
/* How long a condition that ended this cycle lasted, as honest bounds: at least from the first
 * to the last cycle that saw it, at most from the last cycle before it (which did not see it)
 * to this one. "at least 4 s and at most 7 s", or "at least 4 s" when the cycle before is
 * unknown (the monitor had just started). */
void vx__diff_bounds_text(const vx__diff_ctx *c, const vx__condition *cond, char *out, size_t cap);

/* ---- diff_base.c: condition details (JSON text, malloc'd where returned) ------------------- */

/* {"old":[...],"new":[...],"old_ttl":n,"new_ttl":n,"new_rcode":n}. */
char *vx__diff_detail_pair(const vx__diff_data *old, const vx__diff_data *now);
/* The "new" side of a pair detail: the changed data the condition last announced. */
bool vx__diff_detail_new(const char *detail, vx__diff_data *out);
/* A string field into out; NULL when absent or empty. */
const char *vx__diff_detail_str(const char *detail, const char *field, char *out, size_t cap);
bool vx__diff_detail_bool(const char *detail, const char *field);
/* A detail packed by jansson's json_pack format. */
char *vx__diff_detail_fields(const char *fmt, ...);

/* ---- diff_base.c: snapshot lookups --------------------------------------------------------- */

bool vx__diff_same_addr(const vx__observation *o, const vx__server *s);
bool vx__diff_is_data_udp(const vx__observation *o);
/* The first usable UDP DATA answer to (qname, qtype) from addr in snap; NULL if none. */
const vx__observation *vx__diff_find_answer(const vx__snapshot *snap, const vx__server *s,
                                            const char *qname, uint16_t qtype);
/* The server of snap with this "name/address" label; NULL if none. */
const vx__server *vx__diff_server_in(const vx__snapshot *snap, const char *label);
/* A server of the domain or of one of its alternate domains, as probed this cycle. */
const vx__server *vx__diff_current_server(const vx__diff_ctx *c, const char *label);

/* ---- diff_record.c ------------------------------------------------------------------------- */

/* SOA changes with every update (the serial): SERIAL-LAG watches it instead. */
bool vx__diff_compared_type(uint16_t t);
/* Fills r's condition keys and type mnemonic. */
void vx__diff_compare_keys(vx__diff_rec *r);
/* Compares r's data and TTL with the baseline's: opens, refreshes or closes its conditions. */
void vx__diff_compare_one(vx__diff_ctx *c, vx__diff_rec *r);
/* Every answer the server s gave this cycle, against the baseline. */
void vx__diff_compare_server_records(vx__diff_ctx *c, const vx__server *s, const char *label);

/* ---- diff_hijack.c ------------------------------------------------------------------------- */

/* The event a change of r's data opens (docs/events.md): the hijack surface has its own
 * events, everything else is RECORD-ADDED, -REMOVED or -CHANGED. */
vx__event_type vx__diff_change_type(const vx__diff_ctx *c, const vx__diff_rec *r,
                                    const vx__diff_data *from, vx__severity *sev);
/* The delegation and DS at every parent server, and the domain's names as the zones that own
 * them serve them (NS hosts' addresses, out-of-zone SIP targets, their CAA and challenges). */
void vx__diff_check_surface(vx__diff_ctx *c);
/* The set of authoritative addresses: one that joined or left it since the baseline. */
void vx__diff_check_server_set(vx__diff_ctx *c);
/* A parent server or a server of a foreign zone that was asked this cycle. */
bool vx__diff_asked_server(const vx__diff_ctx *c, const char *label);

/* ---- diff_server.c ------------------------------------------------------------------------- */

/* Liveness, records and serials of each authoritative server of the domain. */
void vx__diff_check_servers(vx__diff_ctx *c);
/* The same service under another name: each server's records compared with the baseline's
 * snapshot of that alternate domain, as for the domain itself. */
void vx__diff_check_alt_records(vx__diff_ctx *c);
/* Closes key's outage condition, if open, with NS-RECOVERED ("what LABEL answers again"). */
void vx__diff_recovered(vx__diff_ctx *c, const char *key, const char *label, const char *what);

/* ---- diff_resolver.c ----------------------------------------------------------------------- */

void vx__diff_check_resolver(vx__diff_ctx *c, const vx__resolver_obs *r);
bool vx__diff_resolver_watched(const vx__diff_ctx *c, const char *label);

/* ---- diff_finding.c ------------------------------------------------------------------------ */

void vx__diff_check_findings(vx__diff_ctx *c);
/* FINDING-CLEARED for an open finding this cycle's findings do not have. */
void vx__diff_finding_cleared(vx__diff_ctx *c, const vx__condition *open);

/* ---- diff_endpoint.c ----------------------------------------------------------------------- */

void vx__diff_check_endpoints(vx__diff_ctx *c);
/* A tuple's condition whose tuple was not probed this cycle: kept while unknown (endpoints not
 * probed at all, or the tuple probed without a verdict), dropped when the tuple is gone from
 * the chain (the DNS change that removed it is an event of its own). */
bool vx__diff_ep_still_probed(const vx__diff_ctx *c, const char *key);

/* ---- diff_propagation.c -------------------------------------------------------------------- */

/* PROPAGATION-SLOW for each address of the domain's propagation timing. */
void vx__diff_check_propagation(vx__diff_ctx *c);
/* When the address label began to lag behind serial top, as the propagation timing measured it
 * (its NOTIFY or first sighting of top, or of an older serial it has not served either);
 * UINT64_MAX when the timing does not know. */
uint64_t vx__diff_prop_lag_start(const vx__diff_ctx *c, const char *label, uint32_t top);

#endif
