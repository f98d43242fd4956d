/*
 * sip/records_ldns.h — fills the locator's answer structs (sip/records.h) from the answer
 * records of a DNS response as ldns parsed them, for the callers that run the locator over
 * real DNS: the library (over resolver/) and `voxdns export-cache` (over resolver/ or probe/).
 */
#ifndef VX_SIP_RECORDS_LDNS_H
#define VX_SIP_RECORDS_LDNS_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "sip/locate.h"
#include "sip/records.h"

/* Storage the filled structs point into; big (a few KB): allocate it. */
typedef struct vx__sip_conv {
    vx__sip_naptr naptr[VX__SIP_MAX_NAPTR];
    vx__sip_srv srv[VX__SIP_MAX_SRV];
    vx__sip_addr addr[VX__SIP_MAX_ADDRS];
    char *strings[4 * VX__SIP_MAX_NAPTR + VX__SIP_MAX_SRV + 1];
    size_t nstrings;
} vx__sip_conv;

/* Records of type `type` in answer, whatever their owner (a recursive resolver has followed
 * the CNAME chain already); with none, the chain's last CNAME target is set as recs->cname so
 * that the locator asks again. Sets the record pointers of recs (not its status) and returns
 * how many records of the type were taken. */
size_t vx__sip_records_from_ldns(vx__sip_conv *c, const ldns_rr_list *answer, uint16_t type,
                                 vx__sip_records *recs);
/* Frees the strings and c itself (NULL is fine). */
void vx__sip_conv_free(vx__sip_conv *c);

#endif
