/*
 * model/view.h — the facts the checks and the monitor's diff derive from one snapshot, computed
 * once so that each check (and each diff rule) stays short. Per authoritative address: did it
 * answer at all over UDP (alive), is it authoritative for the domain (not lame), its median
 * RTT. Per (name, type): the consensus answer (docs/audit-probes.md "Consensus"). The SIP chain:
 * NAPTR → SRV names → SRV records → target hosts → A/AAAA, each with the answer it came from.
 *
 * Ownership: a view borrows the snapshot (every pointer into observations and RRsets stays
 * valid while the snapshot lives) and owns only its arrays; vx__view_free releases them.
 */
#ifndef VX_MODEL_VIEW_H
#define VX_MODEL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "model/snapshot.h"
#include "wire/addr.h"
#include "wire/name.h"

#define VX__LABEL_TEXT_MAX (VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX + 2)

enum {
    VX__RCODE_NOERROR = 0,
    VX__RCODE_FORMERR = 1,
    VX__RCODE_SERVFAIL = 2,
    VX__RCODE_NXDOMAIN = 3,
    VX__RCODE_NOTIMP = 4,
    VX__RCODE_REFUSED = 5,
    VX__RCODE_NOTAUTH = 9
};

enum {
    VX__T_A = 1,
    VX__T_NS = 2,
    VX__T_CNAME = 5,
    VX__T_SOA = 6,
    VX__T_MX = 15,
    VX__T_TXT = 16,
    VX__T_AAAA = 28,
    VX__T_SRV = 33,
    VX__T_NAPTR = 35,
    VX__T_DS = 43,
    VX__T_RRSIG = 46,
    VX__T_DNSKEY = 48,
    VX__T_CAA = 257
};

/* One authoritative address, in snapshot.servers order. */
typedef struct vx__vserver {
    const vx__server *srv;
    char label[VX__LABEL_TEXT_MAX]; /* "ns1.example.net/192.0.2.1" */
    bool probed;                    /* at least one UDP question was recorded */
    bool alive;                     /* at least one UDP question got a response */
    bool lame;                      /* alive, but not authoritative for the domain */
    char lame_reason[64];           /* "answered REFUSED", "no AA flag", "referral" ... */
    double median_rtt_ms;           /* of answered UDP DATA questions */
    size_t rtt_count;
} vx__vserver;

/* An answer to (qname, qtype): one observation's, or the consensus. obs NULL: nobody gave a
 * conclusive answer (failure says why when some lookup failed). */
typedef struct vx__answer {
    const vx__observation *obs;
    uint16_t rcode;
    const vx__rrset *set;   /* qtype at qname, or at the end of a CNAME chain in the answer */
    const vx__rrset *cname; /* the CNAME at qname, when qname is an alias */
    size_t holders;         /* authoritative addresses holding this answer (0: from a walk) */
    int failure;            /* the status of a failed walk when obs is NULL, else VX_OK */
} vx__answer;

/* The SIP chain part of a view: its types and how it is derived belong to check/
 * (check/view_sip.h); a view built by vx__view_build() leaves it empty. */
typedef struct vx__cv_naptr vx__cv_naptr;
typedef struct vx__cv_srvname vx__cv_srvname;
typedef struct vx__cv_srv vx__cv_srv;
typedef struct vx__cv_host vx__cv_host;

typedef struct vx__view {
    const vx__snapshot *snap;
    const char *profile; /* cfg's, else the snapshot's, else "generic" */
    vx__vserver *servers;
    size_t server_count;
    size_t alive_count;

    vx__answer zone_ns;  /* the zone's own NS RRset (consensus) */
    vx__rrset *given_ns; /* --ns: the names given, as an NS RRset (owned); NULL otherwise */
    vx__answer naptr;
    vx__cv_naptr *naptrs;
    size_t naptr_count;
    vx__cv_srvname *srvnames;
    size_t srvname_count;
    vx__cv_srv *srvs;
    size_t srv_count;
    vx__cv_host *hosts;
    size_t host_count;
    bool borrowed; /* a copy of a view owned elsewhere (check/view_sip.h): not freed here */
} vx__view;

/* The servers and the zone's NS consensus (not the SIP chain: check/view_sip.h). */
int vx__view_build(const vx__snapshot *snap, const char *profile, vx__view *v);
/* Frees what v owns; a borrowed view owns nothing. */
void vx__view_free(vx__view *v);

/* Alive and not lame: its data may be compared. */
bool vx__vserver_authoritative(const vx__vserver *s);

/* The first UDP observation of this kind/question from this address with a response
 * (status VX_OK); NULL if none. qname NULL matches any name. */
const vx__observation *vx__view_obs(const vx__view *v, const vx__vserver *s, vx__probe_kind kind,
                                    vx__transport tr, const char *qname, uint16_t qtype);
/* Like vx__view_obs but returns the first matching observation whatever its status. */
const vx__observation *vx__view_obs_any(const vx__view *v, const vx__vserver *s,
                                        vx__probe_kind kind, vx__transport tr, const char *qname,
                                        uint16_t qtype);

/* One observation's answer (qtype at qname, following CNAMEs inside the answer section). */
void vx__answer_of(const vx__observation *o, const char *qname, uint16_t qtype, vx__answer *out);
/* Same data (rcode, RRset and CNAME without TTL). */
bool vx__answer_same(const vx__answer *a, const vx__answer *b);
/* An authoritative answer (AA, NOERROR or NXDOMAIN) whose data may be compared. */
bool vx__obs_usable_aa(const vx__observation *o);
/* The consensus answer: authoritative addresses that answered with AA, most holders win, ties
 * to the first server; else the answer of an iterative walk (RESOLVE). */
void vx__view_answer(const vx__view *v, const char *qname, uint16_t qtype, vx__answer *out);
/* The answer says the data definitely does not exist (NXDOMAIN, NODATA) or failed for good. */
bool vx__answer_conclusive(const vx__answer *a);
/* "NXDOMAIN", "no data", "lookup failed (...)", "no answer". */
const char *vx__answer_why_empty(const vx__answer *a);

/* An RRset of a section by owner and type (RRSIG: the set holding all signatures at owner). */
const vx__rrset *vx__obs_find(const vx__observation *o, int section, const char *owner,
                              uint16_t type);

/* The domain's NS RRset in a parent's referral (authority section, or the answer when the
 * parent's servers also serve the zone): the first parent address that gave one. */
const vx__rrset *vx__view_parent_ns(const vx__view *v, const vx__observation **from);
/* The NS set the domain is judged as delegated with: the names given to an undelegated audit
 * (--ns), else the parent's referral (NULL when neither). */
const vx__rrset *vx__view_delegation_ns(const vx__view *v);
/* The union of the delegation's (vx__view_delegation_ns) and the zone's NS names (pointers
 * into the snapshot's RRsets or the view). */
size_t vx__view_ns_names(const vx__view *v, const char **out, size_t cap);
/* The label of an observation's server ("a.gtld-servers.net/192.0.2.53"). */
void vx__obs_label(const vx__observation *o, char *out, size_t cap);

/* Helpers on names and records. */
bool vx__name_eq(const char *a, const char *b);
void vx__name_show(const char *name, char *out, size_t cap); /* without the trailing dot */
int vx__label_make(const char *name, const struct sockaddr *addr, char *out, size_t cap);
int vx__srv_parse(const char *rdata, uint16_t *prio, uint16_t *weight, uint16_t *port, char *target,
                  size_t cap);
int vx__soa_parse(const char *rdata, uint32_t *serial, uint32_t *refresh, uint32_t *retry,
                  uint32_t *expire, uint32_t *minimum);
/* A NAPTR record read from its canonical rdata text (as wire/rrset.c prints it: two numbers,
 * three quoted character-strings with \X and \DDD escapes, the replacement name), without
 * ldns: the checks and the locator read the NAPTR set of every audit, and parsing the text
 * back through ldns_rr_new_frm_str cost a sixth of an audit's CPU. The strings are the
 * decoded octets (len each; a NUL octet stays in), NUL-terminated; the replacement is the
 * text as printed. VX_EMALFORMED when the text is not a NAPTR's six fields. */
typedef struct vx__naptr_fields {
    uint16_t order, pref;
    char str[3][256]; /* flags, service, regexp */
    size_t len[3];
    char replacement[VX__NAME_TEXT_MAX];
} vx__naptr_fields;
int vx__naptr_parse(const char *rdata, vx__naptr_fields *out);
/* An ldns record from a canonical RRset's record i (caller frees). NULL on failure. */
ldns_rr *vx__rrset_rr(const vx__rrset *set, size_t i);
/* A growing list of strings, for messages that enumerate ("a, b, c"). */
typedef struct vx__strbuf {
    char *s;
    size_t len, cap;
    bool oom;
} vx__strbuf;
void vx__sb_add(vx__strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends item separated by ", " from what is there. */
void vx__sb_item(vx__strbuf *b, const char *item);
const char *vx__sb_str(const vx__strbuf *b);
void vx__sb_free(vx__strbuf *b);

#endif
