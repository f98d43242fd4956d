/*
 * check/asndb.h — origin-ASN lookup from a CAIDA RouteViews prefix-to-AS file (pfx2as text:
 * "prefix<TAB>length<TAB>asn" per line, asn possibly "a_b" for multi-origin or "a,b" for AS
 * sets: the first is taken), longest-prefix match, IPv4 and IPv6. Parsing takes a buffer; the
 * caller reads the file (checks do no I/O).
 */
#ifndef VX_CHECK_ASNDB_H
#define VX_CHECK_ASNDB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct vx__asndb vx__asndb;

/* VX_EMALFORMED with "line N: reason" in err for a bad line; an empty file is an error. */
int vx__asndb_parse(const char *text, size_t len, vx__asndb **out, char *err, size_t errcap);
/* Reads and parses a pfx2as file (at most 256 MiB): the loader the audit, the monitor and the
 * dashboard share; the checks themselves only see the parsed table. *out NULL and VX_OK when
 * path is NULL (no ASN checks); else as vx__asndb_parse, or VX_EIO/VX_ELIMIT, with err
 * starting with the path. */
int vx__asndb_load_file(const char *path, vx__asndb **out, char *err, size_t errcap);
void vx__asndb_free(vx__asndb *db);
/* The origin ASN of the longest matching prefix; 0 when none matches. */
uint32_t vx__asndb_lookup(const vx__asndb *db, const struct sockaddr *addr);
size_t vx__asndb_size(const vx__asndb *db);

#endif
