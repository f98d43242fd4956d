/*
 * probe/hints.h — root hints: where an iterative walk starts. The built-in set is IANA's root
 * servers; a hints file in the usual named.root format (". NS name" and "name A/AAAA address"
 * lines, optional TTL and class, ';' comments) replaces it, which is how the lab's simulated
 * internet is reached.
 */
#ifndef VX_PROBE_HINTS_H
#define VX_PROBE_HINTS_H

#include <stddef.h>

#include "model/servers.h"

/* IANA's 13 root servers, IPv4 and IPv6. */
int vx__hints_builtin(vx__server_set *out);

/* Parses hints text. On error returns VX_EMALFORMED (or VX_ENOMEM) and writes a one-line reason
 * with the line number into err. Only addresses of names in the root NS set are kept; a file
 * without a single usable root server address is an error. */
int vx__hints_parse(const char *text, size_t len, vx__server_set *out, char *err, size_t errcap);

/* Reads and parses a hints file (VX_EIO with the reason in err when it cannot be read). */
int vx__hints_load(const char *path, vx__server_set *out, char *err, size_t errcap);

#endif
