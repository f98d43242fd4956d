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

#endif
