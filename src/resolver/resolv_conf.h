/*
 * resolver/resolv_conf.h — the nameservers of a resolv.conf(5) file: the "nameserver ADDRESS"
 * lines (IPv4, IPv6, IPv6 with a %scope), the way glibc reads them. Everything else in the
 * file (search, options, domain, sortlist) is none of a SIP locator's business and is ignored;
 * so is a nameserver line whose address does not parse (glibc skips it too).
 */
#ifndef VX_RESOLVER_RESOLV_CONF_H
#define VX_RESOLVER_RESOLV_CONF_H

#include <stddef.h>
#include <sys/socket.h>

/* A resolv.conf is a few lines; refuse anything absurd. */
#define VX__RESOLV_CONF_MAX (64u * 1024u)

/* Parses text[0..len) (need not be NUL-terminated) and writes up to cap addresses, port 53,
 * into out; *count receives how many. VX_ELIMIT when len is over VX__RESOLV_CONF_MAX. Extra
 * nameservers beyond cap are ignored. */
int vx__resolv_conf_parse(const char *text, size_t len, struct sockaddr_storage *out, size_t cap,
                          size_t *count);
/* Reads path and parses it. VX_EIO when it cannot be read. */
int vx__resolv_conf_load(const char *path, struct sockaddr_storage *out, size_t cap, size_t *count);

#endif
