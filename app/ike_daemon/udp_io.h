/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernel UDP sockets for IKE (port 500) and NAT-T (port 4500).
 * A socket is bound either to one configured address or, when none is
 * configured, to the wildcard of its family; wildcard sockets learn the local
 * address of each datagram from IP_PKTINFO / IPV6_PKTINFO and set it as the
 * source when sending, so replies leave from the address the peer used. */
#ifndef APP_UDP_IO_H
#define APP_UDP_IO_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include "ike/ike.h"

#define UDP_IO_MAX_SOCKS 32
#define UDP_IO_MAX_DGRAM 65536

struct udp_io;

/* Binds one socket per (address, port): addrs[0..n_addrs) with ports unset,
 * or with n_addrs == 0 the wildcards 0.0.0.0 and :: (IPV6_V6ONLY; a family
 * the kernel lacks is skipped). An address given as 0.0.0.0 or :: is a
 * wildcard too. Duplicate (address, port) pairs are bound once. On failure
 * returns NULL with a message such as
 * "cannot bind 192.0.2.1:500: Address already in use" in err. */
struct udp_io *udp_io_open(const ike_addr_t *addrs, unsigned n_addrs, const uint16_t *ports,
			   unsigned n_ports, char *err, size_t errlen);
void udp_io_close(struct udp_io *io);

unsigned udp_io_count(const struct udp_io *io);
int udp_io_fd(const struct udp_io *io, unsigned idx);
/* "0.0.0.0[500]" style description of socket idx. */
const char *udp_io_name(const struct udp_io *io, unsigned idx, char *buf, size_t len);

/* Reads one datagram from socket idx without blocking. Returns its length,
 * -EAGAIN when none is queued, or another negative errno. local receives
 * the destination address and port, remote the source. */
int udp_io_recv(struct udp_io *io, unsigned idx, ike_addr_t *local, ike_addr_t *remote,
		uint8_t *buf, size_t len);

/* Sends from local (address and port) to remote through the socket bound to
 * that address (or the wildcard of its family) and port. 0 or negative errno;
 * -EADDRNOTAVAIL when no socket fits local. */
int udp_io_send(struct udp_io *io, const ike_addr_t *local, const ike_addr_t *remote,
		const uint8_t *buf, size_t len);

#endif
