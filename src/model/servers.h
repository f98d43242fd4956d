/*
 * model/servers.h — a list of name-server addresses, each with the NS name it belongs to: the
 * unit in which delegations, root hints and zone cuts are handled by the walk and the audit.
 */
#ifndef VX_MODEL_SERVERS_H
#define VX_MODEL_SERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct vx__server {
    char *name;                   /* NS name, normalised ("a.root-servers.net.") */
    struct sockaddr_storage addr; /* port 53 unless said otherwise */
} vx__server;

typedef struct vx__server_set {
    vx__server *items;
    size_t count;
    size_t cap;
} vx__server_set;

void vx__server_set_init(vx__server_set *set);
void vx__server_set_clear(vx__server_set *set);
/* Adds (name, addr) unless the same address is already present. VX_OK or VX_ENOMEM. */
int vx__server_set_add(vx__server_set *set, const char *name, const struct sockaddr *addr);
bool vx__server_set_has_addr(const vx__server_set *set, const struct sockaddr *addr);
bool vx__server_set_has_name(const vx__server_set *set, const char *name);
/* Moves IPv4 addresses before IPv6 ones, keeping order within each family: a host without
 * IPv6 connectivity then tries every IPv4 server before the first unreachable IPv6 one. */
void vx__server_set_v4_first(vx__server_set *set);

/* One name server given by the user for an undelegated audit (`voxdns audit --ns`): its name,
 * and the address to ask when one was given (otherwise the name is resolved). */
typedef struct vx__ns_spec {
    char *name;                   /* normalised ("ns1.example.net.") */
    bool has_addr;                /* addr is valid (port 53) */
    struct sockaddr_storage addr; /* IPv4 or IPv6 */
} vx__ns_spec;

/* "NAME" or "NAME/ADDRESS" -> a spec. NAME is a host name (letters, digits, '-', '_', '.'),
 * not an address; ADDRESS an IPv4 or IPv6 literal without port or brackets (servers are asked
 * on port 53). VX_EINVAL with the reason in err; VX_ENOMEM. */
int vx__ns_spec_parse(const char *text, vx__ns_spec *out, char *err, size_t cap);
void vx__ns_spec_clear(vx__ns_spec *s);
/* "ns1.example.net" or "ns1.example.net/192.0.2.1" (no trailing dot). */
int vx__ns_spec_format(const vx__ns_spec *s, char *out, size_t cap);

#endif
