/* sip/records_ldns.c — ldns answer records → the locator's structs (see records_ldns.h). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sip/records_ldns.h"

/* The text of a character-string rdata field (NAPTR flags, service, regexp), NUL-terminated. */
static char *rdf_string(const ldns_rdf *f)
{
    const uint8_t *d = f ? ldns_rdf_data(f) : NULL;
    size_t n = f ? ldns_rdf_size(f) : 0;
    if (!d || n == 0 || (size_t)d[0] + 1 > n)
        return strdup("");
    char *s = malloc((size_t)d[0] + 1);
    if (s) {
        memcpy(s, d + 1, d[0]);
        s[d[0]] = '\0';
    }
    return s;
}

static const char *keep(vx__sip_conv *c, char *s)
{
    if (!s || c->nstrings == sizeof(c->strings) / sizeof(c->strings[0])) {
        free(s);
        return "";
    }
    c->strings[c->nstrings++] = s;
    return s;
}

static void add_naptr(vx__sip_conv *c, vx__sip_records *recs, const ldns_rr *rr)
{
    if (recs->naptr_count == VX__SIP_MAX_NAPTR || ldns_rr_rd_count(rr) != 6)
        return;
    vx__sip_naptr *n = &c->naptr[recs->naptr_count++];
    n->order = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
    n->pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
    n->flags = keep(c, rdf_string(ldns_rr_rdf(rr, 2)));
    n->service = keep(c, rdf_string(ldns_rr_rdf(rr, 3)));
    n->regexp = keep(c, rdf_string(ldns_rr_rdf(rr, 4)));
    n->replacement = keep(c, ldns_rdf2str(ldns_rr_rdf(rr, 5)));
    n->ttl = ldns_rr_ttl(rr);
}

static void add_srv(vx__sip_conv *c, vx__sip_records *recs, const ldns_rr *rr)
{
    if (recs->srv_count == VX__SIP_MAX_SRV || ldns_rr_rd_count(rr) != 4)
        return;
    vx__sip_srv *s = &c->srv[recs->srv_count++];
    s->priority = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
    s->weight = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
    s->port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
    s->target = keep(c, ldns_rdf2str(ldns_rr_rdf(rr, 3)));
    s->ttl = ldns_rr_ttl(rr);
}

static void add_addr(vx__sip_conv *c, vx__sip_records *recs, const ldns_rr *rr)
{
    const ldns_rdf *f = ldns_rr_rdf(rr, 0);
    if (recs->addr_count == VX__SIP_MAX_ADDRS || !f)
        return;
    vx__sip_addr *a = &c->addr[recs->addr_count];
    memset(a, 0, sizeof(*a));
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(f) == 4) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&a->addr;
        v4->sin_family = AF_INET;
        memcpy(&v4->sin_addr, ldns_rdf_data(f), 4);
    } else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(f) == 16) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->addr;
        v6->sin6_family = AF_INET6;
        memcpy(&v6->sin6_addr, ldns_rdf_data(f), 16);
    } else {
        return;
    }
    a->ttl = ldns_rr_ttl(rr);
    recs->addr_count++;
}

/* Records of the asked type, whatever their owner (a recursive upstream has followed the CNAME
 * chain already); with none, the chain's last CNAME target lets the locator ask again. */
size_t vx__sip_records_from_ldns(vx__sip_conv *c, const ldns_rr_list *answer, uint16_t type,
                                 vx__sip_records *recs)
{
    size_t n = answer ? ldns_rr_list_rr_count(answer) : 0;
    recs->naptr = c->naptr;
    recs->srv = c->srv;
    recs->addr = c->addr;
    const ldns_rr *cname = NULL;
    for (size_t i = 0; i < n; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(answer, i);
        uint16_t t = (uint16_t)ldns_rr_get_type(rr);
        if (t == LDNS_RR_TYPE_CNAME)
            cname = rr;
        else if (t != type)
            continue;
        else if (t == LDNS_RR_TYPE_NAPTR)
            add_naptr(c, recs, rr);
        else if (t == LDNS_RR_TYPE_SRV)
            add_srv(c, recs, rr);
        else if (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA)
            add_addr(c, recs, rr);
    }
    size_t got = recs->naptr_count + recs->srv_count + recs->addr_count;
    if (got == 0 && cname && ldns_rr_rd_count(cname) == 1) {
        recs->cname = keep(c, ldns_rdf2str(ldns_rr_rdf(cname, 0)));
        recs->cname_ttl = ldns_rr_ttl(cname);
    }
    return got;
}

void vx__sip_conv_free(vx__sip_conv *c)
{
    for (size_t i = 0; c && i < c->nstrings; i++)
        free(c->strings[i]);
    free(c);
}
