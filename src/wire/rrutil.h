/*
 * wire/rrutil.h — typed reads of parsed records for the layers above wire/: owner and
 * domain-name rdata as normalised text, A/AAAA rdata as socket addresses, and finding the
 * records of one name and type in a section. Callers never touch rdata bytes themselves.
 */
#ifndef VX_WIRE_RRUTIL_H
#define VX_WIRE_RRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

/* The owner name, normalised ("sip.example.com."), into out. VX_EMALFORMED if it does not fit. */
int vx__rr_owner(const ldns_rr *rr, char *out, size_t cap);
/* True when the record's owner equals name (normalised, any case). */
bool vx__rr_owner_is(const ldns_rr *rr, const char *name);
/* Rdata field idx as a normalised domain name (NS, CNAME, SRV target = field 3, ...).
 * VX_EINVAL when that field is not a domain name. */
int vx__rr_dname(const ldns_rr *rr, size_t idx, char *out, size_t cap);
/* The address of an A or AAAA record as a socket address with the given port. */
int vx__rr_addr(const ldns_rr *rr, uint16_t port, struct sockaddr_storage *out);
uint16_t vx__rr_type(const ldns_rr *rr);
uint32_t vx__rr_ttl(const ldns_rr *rr);
/* Number of records in list with owner name and type (type 0 = any type). */
size_t vx__rr_count(const ldns_rr_list *list, const char *name, uint16_t type);
/* The first record in list with owner name and type, or NULL. */
const ldns_rr *vx__rr_find(const ldns_rr_list *list, const char *name, uint16_t type);

#endif
