/*
 * net/udpsock.c — owns the system calls of a DNS client's UDP socket (udpsock.h): opening and
 * binding it, sending, receiving, and reading its ICMP error queue.
 */
#include "net/udpsock.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <linux/errqueue.h>

#include "voxdns/status.h"
#include "wire/addr.h"

#define ERRQUEUE_READS 16

int vx__udpsock_status(int err)
{
    return err == ECONNREFUSED ? VX_EREFUSED : VX_ENETWORK;
}

int vx__udpsock_open(int family, int *out)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    struct sockaddr_storage any;
    socklen_t any_len =
        family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    int level = family == AF_INET ? SOL_IP : SOL_IPV6;
    int opt = family == AF_INET ? IP_RECVERR : IPV6_RECVERR;

    if (fd < 0)
        return vx__udpsock_status(errno);
    memset(&any, 0, sizeof any);
    any.ss_family = (sa_family_t)family;
    /* Port 0: the kernel picks a random ephemeral port. */
    if (setsockopt(fd, level, opt, &on, sizeof on) != 0 ||
        bind(fd, (struct sockaddr *)&any, any_len) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return vx__udpsock_status(err);
    }
    *out = fd;
    return VX_OK;
}

int vx__udpsock_send(int fd, const uint8_t *buf, size_t len, const struct sockaddr *to)
{
    ssize_t n;

    do {
        n = sendto(fd, buf, len, 0, to, vx__addr_len(to));
    } while (n < 0 && errno == EINTR);
    return n < 0 ? vx__udpsock_status(errno) : VX_OK;
}

ssize_t vx__udpsock_recv(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *src)
{
    ssize_t n;

    do {
        socklen_t src_len = sizeof *src;
        n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)src, &src_len);
    } while (n < 0 && errno == EINTR);
    return n;
}

/* What an ICMP error about our server means: port unreachable is a refusal, host or network
 * unreachable a network error; anything else (fragmentation needed, an error about some other
 * address) is not a verdict. */
static int icmp_verdict(const struct sockaddr *server, const struct sockaddr *dst,
                        const struct sock_extended_err *ee)
{
    if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6)
        return VX_OK;
    if (!vx__addr_endpoint_equal(dst, server))
        return VX_OK;
    switch (ee->ee_errno) {
    case ECONNREFUSED:
        return VX_EREFUSED;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENONET:
    case EACCES:
        return VX_ENETWORK;
    default:
        return VX_OK;
    }
}

static bool is_recverr(const struct cmsghdr *c)
{
    return (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
           (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR);
}

/* Dequeues one error; false when the queue is empty. msg_name is the destination of the
 * datagram that caused the error. */
static bool errqueue_next(int fd, const struct sockaddr *server, int *verdict)
{
    struct sockaddr_storage dst;
    uint8_t payload[64];
    union {
        struct cmsghdr align;
        uint8_t buf[512];
    } ctl;
    struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload};
    struct msghdr m = {.msg_name = &dst,
                       .msg_namelen = sizeof dst,
                       .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};

    memset(&dst, 0, sizeof dst);
    *verdict = VX_OK;
    if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        return false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        struct sock_extended_err ee;
        if (!is_recverr(c) || c->cmsg_len < CMSG_LEN(sizeof ee))
            continue;
        memcpy(&ee, CMSG_DATA(c), sizeof ee);
        *verdict = icmp_verdict(server, (const struct sockaddr *)&dst, &ee);
    }
    return true;
}

int vx__udpsock_icmp(int fd, const struct sockaddr *server)
{
    int result = VX_OK;
    int verdict;
    int soerr;
    socklen_t len = sizeof soerr;

    for (int i = 0; i < ERRQUEUE_READS && errqueue_next(fd, server, &verdict); i++)
        if (result == VX_OK)
            result = verdict;
    /* Clears the pending socket error that the ICMP message also set. */
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    return result;
}
