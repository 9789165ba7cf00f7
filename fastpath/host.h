/* SPDX-License-Identifier: BSD-3-Clause */
/* The control core's host stack: what the gateway's own addresses say and
 * hear besides ESP, which the workers handle.
 *
 *   in:  frames the workers punt (everything for our addresses that is
 *        not ESP) are read whole; a UDP datagram to the IKE or NAT-T port
 *        of one of our addresses is checked as a kernel would (IP and UDP
 *        lengths and checksums, martian sources) and handed to the caller;
 *   out: a UDP datagram from one of our addresses gets its IP and UDP
 *        headers and leaves through the shared way out (tx.h: next hop,
 *        fragments over the port's MTU, Ethernet) on a TX queue of the
 *        control core's own (workers never share theirs);
 *   echo: ICMP and ICMPv6 echo requests to our addresses are answered
 *        (an operator pings a gateway before anything else), rate-limited,
 *        as the SPD allows.
 * Single-threaded: everything here runs on the control core. */
#ifndef FP_HOST_H
#define FP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fastpath/dp.h"

struct rte_mbuf;
struct fp_host;

/* Replies the control core sends a second at most (RFC 1812 4.3.2.8
 * allows limiting them; a flood of requests must not become a flood of
 * work or of traffic). */
#define FP_HOST_ECHO_PER_S 100u

/* One end of a UDP datagram. */
struct fp_host_addr {
	uint8_t family; /* 4 or 6 */
	uint16_t port;  /* host order */
	uint8_t a[16];  /* network order; IPv4 in the first 4 */
};

/* A UDP datagram for one of our addresses, found in a frame. */
struct fp_host_udp {
	struct fp_host_addr local, remote;
	const uint8_t *payload; /* inside the frame */
	size_t len;
};

/* The UDP datagram in frame f (Ethernet first, len bytes), addressed to
 * one of l's addresses at ike_port or natt_port. Returns 1 with it in *d,
 * 0 when it is not such a datagram, or -1 when it is one but malformed
 * (bad lengths or checksums, a fragment, a martian source), with the
 * reason in *why. */
int fp_host_parse_udp(const uint8_t *f, size_t len, const struct fp_local *l, struct fp_host_udp *d,
		      const char **why);

/* Builds the IP packet (IPv4 or IPv6 by local's family, DF clear) of UDP
 * datagram local -> remote with payload pl into out, at most cap bytes:
 * its length, or 0 when the families differ or it does not fit. */
size_t fp_host_build_udp(const struct fp_host_addr *local, const struct fp_host_addr *remote,
			 const uint8_t *pl, size_t len, uint16_t ip_id, uint8_t *out, size_t cap);

/* The IP packet (starting at its header, len bytes of frame from there)
 * is an echo request to one of l's addresses: builds the reply, from that
 * address to the sender, with the request's identifier, sequence number
 * and data, into out (cap bytes); returns its length, with the reply's
 * family and destination (4 or 16 bytes) in *family and dst. 0: not an
 * echo request to us, or malformed (lengths, checksum, a fragment, a
 * multicast or unspecified source), or the reply does not fit. */
size_t fp_host_echo_reply(const uint8_t *ip, size_t len, const struct fp_local *l, uint8_t *out,
			  size_t cap, uint8_t *family, uint8_t dst[16]);

struct fp_host_cfg {
	const struct fp_dp *dp; /* routes, MACs, MTUs, local addresses, SPD */
	const uint16_t *ports;  /* ethdev ids of the ports (each has txq) */
	unsigned n_ports;
	uint16_t txq;       /* the control core's TX queue on each */
	unsigned n_workers; /* fragment identifications (frag.h) */
	int socket;
};

/* NULL with the reason in err (no memory, no mbuf pool). */
struct fp_host *fp_host_create(const struct fp_host_cfg *c, char *err, size_t errlen);
void fp_host_free(struct fp_host *h);

/* Punted frame m in one piece: its data, or a copy in h when it spans
 * segments (64 KiB at most), *len bytes; NULL when it cannot be read.
 * Valid until the next call and while m lives. */
const uint8_t *fp_host_frame(struct fp_host *h, const struct rte_mbuf *m, size_t *len);

/* What fp_host_send_udp() sent: frames (1 unless fragmented), and by
 * which port. */
struct fp_host_sent {
	int frames;
	uint16_t port;
};

/* Sends UDP datagram local -> remote carrying pl; every IPv4 one takes
 * an identification of the control core's sequence, since with DF clear
 * a router may fragment it. NULL, or why it could not leave (no mbuf,
 * families differ, too large, no route, no mbuf for fragments, TX queue
 * full). */
const char *fp_host_send_udp(struct fp_host *h, const struct fp_host_addr *local,
			     const struct fp_host_addr *remote, const uint8_t *pl, size_t len,
			     struct fp_host_sent *s);

/* Sends frame f (len bytes, Ethernet first: an ARP request, a neighbour
 * solicitation) on port: NULL, or why not (no mbuf, TX queue full). */
const char *fp_host_send_frame(struct fp_host *h, uint16_t port, const uint8_t *f, size_t len);

/* Sends IP packet m (data at its header), which waited for next hop nh
 * (nbr.h), now resolved: fragmented over the port's MTU as its source
 * (ours) or as a router would. Takes m; NULL or why it did not leave. */
const char *fp_host_send_waiting(struct fp_host *h, struct rte_mbuf *m, const struct fp_nexthop *nh,
				 bool ours);

/* Punted frame f (len bytes; now_ms: a monotonic clock) is an echo
 * request to one of our addresses: its reply leaves as the SPD allows
 * (RFC 4301 5.1), FP_HOST_ECHO_PER_S a second at most. 1: sent; 0:
 * nothing to answer, or not now (the rate, a request that came out of a
 * tunnel); -1: not sent, why in *why. */
int fp_host_echo(struct fp_host *h, const uint8_t *f, size_t len, uint64_t now_ms,
		 const char **why);

#endif
