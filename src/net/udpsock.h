/*
 * net/udpsock.h — the one way net/ uses a UDP socket to ask a DNS server: the probe engine's
 * sockets (usock.c, udp.c) and the stub resolver's (resdriver.c) are opened, written, read and
 * told about ICMP errors here; what arrives is judged by wire/answer.h.
 *
 * A socket is non-blocking, unconnected, bound to a port the kernel picks at random, and asks
 * for ICMP errors (IP_RECVERR / IPV6_RECVERR). Unconnected, so that datagrams from a wrong
 * address or port still reach us and are counted (a connected socket has the kernel drop them
 * silently); RECVERR, because without it Linux reports ICMP errors to connected sockets only.
 * A queued error makes the socket report EPOLLERR until the error queue is read:
 * vx__udpsock_icmp() reads it whole.
 */
#ifndef VX_NET_UDPSOCK_H
#define VX_NET_UDPSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* A new socket for family (AF_INET, AF_INET6) in *fd. VX_ENETWORK, VX_EREFUSED (errno kept). */
int vx__udpsock_open(int family, int *fd);
/* Sends one datagram (EINTR retried). VX_OK, or the status of errno (VX_EREFUSED for a
 * refusal the kernel already knows of, else VX_ENETWORK). */
int vx__udpsock_send(int fd, const uint8_t *buf, size_t len, const struct sockaddr *to);
/* Receives one datagram into buf and its source into *src (EINTR retried). The length, or -1
 * with errno (EAGAIN: nothing more to read). */
ssize_t vx__udpsock_recv(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *src);
/* Reads the error queue whole and clears the socket's pending error. The verdict of an ICMP
 * error about server (address and port): VX_EREFUSED for port unreachable, VX_ENETWORK for
 * host or network unreachable; VX_OK when there is none (no error, an error about another
 * address, fragmentation needed: not a verdict). */
int vx__udpsock_icmp(int fd, const struct sockaddr *server);
/* VX_EREFUSED for ECONNREFUSED, VX_ENETWORK for anything else. */
int vx__udpsock_status(int err);

#endif
