/* wire/rrutil.c — typed accessors on parsed records (see rrutil.h). */
#include "wire/rrutil.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/name.h"
#include "wire/query.h"

static int dname_text(const ldns_rdf *rdf, char *out, size_t cap)
{
    if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
        return VX_EINVAL;
    /* From the wire form, not ldns's text: ldns leaves '/' unescaped, which the normaliser
     * (rightly, for names typed by people) refuses, and a legal SRV target went unfollowed. */
    char text[VX__NAME_TEXT_MAX];
    if (vx__name_wire_to_text(ldns_rdf_data(rdf), ldns_rdf_size(rdf), text, sizeof text) != VX_OK)
        return VX_EMALFORMED;
    return vx__name_normalize(text, out, cap) == VX_OK ? VX_OK : VX_EMALFORMED;
}

int vx__rr_owner(const ldns_rr *rr, char *out, size_t cap)
{
    return dname_text(ldns_rr_owner(rr), out, cap);
}

bool vx__rr_owner_is(const ldns_rr *rr, const char *name)
{
    char owner[VX__NAME_TEXT_MAX];
    char want[VX__NAME_TEXT_MAX];
    if (vx__rr_owner(rr, owner, sizeof(owner)) != VX_OK)
        return false;
    if (vx__name_normalize(name, want, sizeof(want)) != VX_OK)
        return false;
    return strcmp(owner, want) == 0;
}

int vx__rr_dname(const ldns_rr *rr, size_t idx, char *out, size_t cap)
{
    if (idx >= ldns_rr_rd_count(rr))
        return VX_EINVAL;
    return dname_text(ldns_rr_rdf(rr, idx), out, cap);
}

int vx__rr_addr(const ldns_rr *rr, uint16_t port, struct sockaddr_storage *out)
{
    const ldns_rdf *rdf = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
    memset(out, 0, sizeof(*out));
    if (rdf && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_A && ldns_rdf_size(rdf) == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)out;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        memcpy(&sin->sin_addr, ldns_rdf_data(rdf), 4);
        return VX_OK;
    }
    if (rdf && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_AAAA && ldns_rdf_size(rdf) == 16) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        memcpy(&sin6->sin6_addr, ldns_rdf_data(rdf), 16);
        return VX_OK;
    }
    return VX_EINVAL;
}

uint16_t vx__rr_type(const ldns_rr *rr)
{
    return (uint16_t)ldns_rr_get_type(rr);
}

uint32_t vx__rr_ttl(const ldns_rr *rr)
{
    return ldns_rr_ttl(rr);
}

const ldns_rr *vx__rr_find(const ldns_rr_list *list, const char *name, uint16_t type)
{
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        if ((type == 0 || vx__rr_type(rr) == type) && vx__rr_owner_is(rr, name))
            return rr;
    }
    return NULL;
}

size_t vx__rr_count(const ldns_rr_list *list, const char *name, uint16_t type)
{
    size_t n = 0;
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        if ((type == 0 || vx__rr_type(rr) == type) && vx__rr_owner_is(rr, name))
            n++;
    }
    return n;
}
