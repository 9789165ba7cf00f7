/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernel UDP sockets for the IKE daemon; see udp_io.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/ike_daemon/udp_io.h"

struct udp_sock {
	int fd;
	ike_addr_t bound; /* address (zero for wildcard) and port */
	bool wildcard;
};

struct udp_io {
	unsigned n;
	struct udp_sock s[UDP_IO_MAX_SOCKS];
};

static bool addr_is_zero(const ike_addr_t *a)
{
	size_t len = a->family == 6 ? 16 : 4;

	for (size_t i = 0; i < len; i++)
		if (a->a[i])
			return false;
	return true;
}

static socklen_t addr_to_sa(const ike_addr_t *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->a, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(a->port);
	memcpy(&s4->sin_addr, a->a, 4);
	return sizeof(*s4);
}

static int sa_to_addr(const struct sockaddr_storage *ss, ike_addr_t *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->a, &s6->sin6_addr, 16);
		return 0;
	}
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->a, &s4->sin_addr, 4);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* "192.0.2.1:500" or "[2001:db8::1]:500", for bind errors. */
static const char *addr_port_str(const ike_addr_t *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, ip, sizeof(ip));
	if (a->family == 6)
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "%s:%u", ip, a->port);
	return buf;
}

static int set_int_opt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

/* Creates and binds one socket. Returns the fd, or -errno with err set;
 * -EAFNOSUPPORT is returned without a message (caller may skip). */
static int open_one(const ike_addr_t *a, bool wildcard, char *err, size_t errlen)
{
	int af = a->family == 6 ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sa(a, &ss);
	char as[80];
	int fd, rc;

	fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		rc = -errno;
		if (rc != -EAFNOSUPPORT)
			snprintf(err, errlen, "cannot create socket for %s: %s",
				 addr_port_str(a, as, sizeof(as)), strerror(-rc));
		return rc;
	}
	/* No SO_REUSEADDR: on Linux it would let a second daemon bind the same
	 * address and port silently and steal half the datagrams. */
	/* Bursts (mass reconnects after a failover) must queue, not drop. */
	set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, 8 << 20);
	set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 8 << 20);
	rc = 0;
	if (af == AF_INET6)
		rc = set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (!rc && af == AF_INET6)
		rc = set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, wildcard);
	if (!rc && af == AF_INET)
		rc = set_int_opt(fd, IPPROTO_IP, IP_PKTINFO, wildcard);
	if (rc) {
		rc = -errno;
		snprintf(err, errlen, "cannot set socket options for %s: %s",
			 addr_port_str(a, as, sizeof(as)), strerror(-rc));
		close(fd);
		return rc;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot bind %s: %s", addr_port_str(a, as, sizeof(as)),
			 strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

static int add_sock(struct udp_io *io, const ike_addr_t *a, uint16_t port, bool wildcard, char *err,
		    size_t errlen)
{
	ike_addr_t b = *a;
	int fd;

	b.port = port;
	for (unsigned i = 0; i < io->n; i++)
		if (ike_addr_eq(&io->s[i].bound, &b))
			return 0; /* same address listed twice, or ports equal */
	if (io->n >= UDP_IO_MAX_SOCKS) {
		snprintf(err, errlen, "too many sockets (max %u)", UDP_IO_MAX_SOCKS);
		return -ENOSPC;
	}
	fd = open_one(&b, wildcard, err, errlen);
	if (fd < 0)
		return fd;
	io->s[io->n].fd = fd;
	io->s[io->n].bound = b;
	io->s[io->n].wildcard = wildcard;
	io->n++;
	return 0;
}

struct udp_io *udp_io_open(const ike_addr_t *addrs, unsigned n_addrs, const uint16_t *ports,
			   unsigned n_ports, char *err, size_t errlen)
{
	static const ike_addr_t any[2] = { { .family = 4 }, { .family = 6 } };
	struct udp_io *io = calloc(1, sizeof(*io));
	bool wildcard = n_addrs == 0;
	const ike_addr_t *list = wildcard ? any : addrs;
	unsigned n_list = wildcard ? 2 : n_addrs;
	int rc = 0;

	if (!io) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < n_list && !rc; i++) {
		for (unsigned p = 0; p < n_ports && !rc; p++) {
			rc = add_sock(io, &list[i], ports[p], wildcard || addr_is_zero(&list[i]),
				      err, errlen);
			/* A wildcard family the kernel lacks (no IPv6) is skipped. */
			if (rc == -EAFNOSUPPORT && wildcard)
				rc = 0;
		}
	}
	if (!rc && io->n == 0) {
		snprintf(err, errlen, "no socket could be opened");
		rc = -EAFNOSUPPORT;
	}
	if (rc) {
		udp_io_close(io);
		return NULL;
	}
	return io;
}

void udp_io_close(struct udp_io *io)
{
	if (!io)
		return;
	for (unsigned i = 0; i < io->n; i++)
		close(io->s[i].fd);
	free(io);
}

unsigned udp_io_count(const struct udp_io *io)
{
	return io ? io->n : 0;
}

int udp_io_fd(const struct udp_io *io, unsigned idx)
{
	return idx < io->n ? io->s[idx].fd : -1;
}

const char *udp_io_name(const struct udp_io *io, unsigned idx, char *buf, size_t len)
{
	if (idx >= io->n) {
		snprintf(buf, len, "?");
		return buf;
	}
	return ike_addr_str(&io->s[idx].bound, buf, len);
}

/* Destination address from IP_PKTINFO / IPV6_PKTINFO, if present. */
static void pktinfo_local(struct msghdr *mh, ike_addr_t *local)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    local->family == 4) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(local->a, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   local->family == 6) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(local->a, &pi.ipi6_addr, 16);
		}
	}
}

int udp_io_recv(struct udp_io *io, unsigned idx, ike_addr_t *local, ike_addr_t *remote,
		uint8_t *buf, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		       CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.b,
		.msg_controllen = sizeof(cbuf.b),
	};
	struct udp_sock *s;
	ssize_t r;

	if (idx >= io->n)
		return -EINVAL;
	s = &io->s[idx];
	r = recvmsg(s->fd, &mh, MSG_DONTWAIT);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	if (sa_to_addr(&from, remote) < 0)
		return -EAFNOSUPPORT;
	*local = s->bound;
	if (s->wildcard)
		pktinfo_local(&mh, local);
	return (int)r;
}

/* Socket bound to local's address and port, else the wildcard for its port. */
static struct udp_sock *pick_sock(struct udp_io *io, const ike_addr_t *local)
{
	struct udp_sock *wild = NULL;

	for (unsigned i = 0; i < io->n; i++) {
		struct udp_sock *s = &io->s[i];

		if (s->bound.family != local->family || s->bound.port != local->port)
			continue;
		if (s->wildcard)
			wild = wild ? wild : s;
		else if (ike_addr_ip_eq(&s->bound, local))
			return s;
	}
	return wild;
}

/* Fills one control message; the space it takes in the buffer. */
static size_t put_cmsg(struct cmsghdr *c, int level, int type, const void *data, size_t len)
{
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	return CMSG_SPACE(len);
}

static size_t build_pktinfo(const ike_addr_t *src, char *cbuf, size_t clen)
{
	struct msghdr mh = { .msg_control = cbuf, .msg_controllen = clen };
	struct cmsghdr *c;

	memset(cbuf, 0, clen);
	c = CMSG_FIRSTHDR(&mh);
	if (src->family == 6) {
		struct in6_pktinfo pi = { .ipi6_ifindex = 0 };

		memcpy(&pi.ipi6_addr, src->a, 16);
		return put_cmsg(c, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
	struct in_pktinfo pi = { .ipi_ifindex = 0 };

	memcpy(&pi.ipi_spec_dst, src->a, 4);
	return put_cmsg(c, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
}

int udp_io_send(struct udp_io *io, const ike_addr_t *local, const ike_addr_t *remote,
		const uint8_t *buf, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct sockaddr_storage to;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1 };
	struct udp_sock *s;
	ike_addr_t l = *local;

	if (l.family != 4 && l.family != 6)
		l.family = remote->family; /* unknown local: any socket of the family */
	if (remote->family != l.family)
		return -EAFNOSUPPORT;
	s = pick_sock(io, &l);
	if (!s)
		return -EADDRNOTAVAIL;
	mh.msg_namelen = addr_to_sa(remote, &to);
	if (s->wildcard && !addr_is_zero(&l)) {
		mh.msg_control = cbuf.b;
		mh.msg_controllen = build_pktinfo(&l, cbuf.b, sizeof(cbuf.b));
	}
	if (sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}
