/* SPDX-License-Identifier: BSD-3-Clause */
/* The data-plane context the workers, their neighbour answers and the
 * control core's host stack share: the gateway's own addresses, the
 * routes, the source MAC and the MTU of each port. Built before the
 * workers start, read-only while they run. */
#ifndef FP_DP_H
#define FP_DP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>

#include "fastpath/route.h"

#define FP_MAX_PORTS RTE_MAX_ETHPORTS
#define FP_MAX_LOCAL 16u

struct fp_ctrl;

/* The gateway's own addresses: ESP to them is decrypted, anything else to
 * them is punted. */
struct fp_local {
	uint16_t n4, n6;
	uint32_t a4[FP_MAX_LOCAL]; /* network order */
	uint8_t a6[FP_MAX_LOCAL][16];
	uint16_t natt_port; /* host order, normally 4500 */
	uint16_t ike_port;  /* host order, normally 500 */
	/* 1 + the port id each address is on, 0 for any port: ARP requests
	 * and neighbour solicitations for it are answered on that port only
	 * (fastpath/neigh.h); a port's first address of a family is the
	 * source of ICMP errors sent on its side (a4[0] / a6[0] without). */
	uint8_t a4_port1[FP_MAX_LOCAL], a6_port1[FP_MAX_LOCAL];
};

/* Whether a (network order / 16 bytes) is one of the gateway's addresses. */
static inline bool fp_local4(const struct fp_local *l, uint32_t a)
{
	for (unsigned i = 0; i < l->n4; i++)
		if (l->a4[i] == a)
			return true;
	return false;
}

static inline bool fp_local6(const struct fp_local *l, const uint8_t *a)
{
	for (unsigned i = 0; i < l->n6; i++)
		if (memcmp(l->a6[i], a, 16) == 0)
			return true;
	return false;
}

/* A source no host may have, which a kernel drops as a martian: IPv4
 * 0/8, loopback, multicast, broadcast; IPv6 multicast, unspecified,
 * loopback; either, one of ours. src: network order, 4 / 16 bytes. */
static inline bool fp_martian4(const struct fp_local *l, const uint8_t *src)
{
	uint32_t a;

	memcpy(&a, src, 4);
	return src[0] == 0 || src[0] == 127 || src[0] >= 224 || fp_local4(l, a);
}

static inline bool fp_martian6(const struct fp_local *l, const uint8_t *src)
{
	static const uint8_t any[16], lo[16] = { [15] = 1 };

	return src[0] == 0xff || memcmp(src, any, 16) == 0 || memcmp(src, lo, 16) == 0 ||
	       fp_local6(l, src);
}

/* Shared by all workers, read-only while they run. */
struct fp_dp {
	struct fp_ctrl *ctrl;
	const struct fp_routes *routes;
	struct fp_local local;
	struct rte_ether_addr mac[FP_MAX_PORTS]; /* source MAC per port id */
	/* IP MTU per port id (bytes of IP packet, Ethernet not counted);
	 * 0: no limit. Larger packets leave fragmented where that is
	 * allowed (fastpath/frag.h), else are dropped as `mtu`. */
	uint16_t mtu[FP_MAX_PORTS];
};

#endif
