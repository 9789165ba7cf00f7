/* SPDX-License-Identifier: BSD-3-Clause */
/* The way out of the gateway, shared by the workers and the control
 * core: an IP packet gets the next hop of its destination (route.h), is
 * fragmented when it exceeds that port's MTU and IP allows it (frag.h),
 * and gets the Ethernet header for the next hop. What becomes of the
 * frames is the caller's: a worker queues them in its per-port TX buffer,
 * the control core sends them on a TX queue of its own.
 *
 * A packet that fits, nearly every one, takes the inline fp_tx_frame()
 * alone: one compare with the MTU, the Ethernet header. A sender calls
 * fp_tx_frames(), out of line, for the rest, or for every packet where
 * speed does not matter. Each sender has its own struct fp_tx (its
 * identification sequence): nothing is shared, nothing allocated but the
 * fragments' mbufs. */
#ifndef FP_TX_H
#define FP_TX_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fastpath/dp.h"
#include "fastpath/fp_stats.h"
#include "fastpath/frag.h"
#include "fastpath/route.h"

#define FP_TX_ETH_LEN 14u

_Static_assert(RTE_PKTMBUF_HEADROOM >= FP_TX_ETH_LEN, "fragments get Ethernet in their headroom");

/* One sender's view of the way out. */
struct fp_tx {
	const struct fp_dp *dp;
	/* IP MTU per port (UINT32_MAX: none): one compare per packet. */
	uint32_t mtu[FP_MAX_PORTS];
	/* Identifications of the packets this sender fragments as their
	 * source: source id_src of id_srcs, id_seq its count (frag.h). */
	unsigned id_src, id_srcs;
	uint32_t id_seq;
};

/* What may be done with a packet over the egress MTU. */
enum fp_tx_frag {
	/* Fragmented as a router would: an IPv4 packet without DF keeps its
	 * identification (a forwarded one's, or one of ours that took its own
	 * when it was built); with DF, or IPv6 (only its source may fragment
	 * it), it is refused as -FP_WD_MTU. */
	FP_TX_KEEP_ID,
	/* Ours: fragmented as its source, with a new identification of this
	 * sender's sequence, DF cleared. */
	FP_TX_NEW_ID,
};

/* dp's MTUs; identifications: source src of nsrc, starting at seq. */
void fp_tx_init(struct fp_tx *t, const struct fp_dp *dp, unsigned src, unsigned nsrc, uint32_t seq);

/* The next identification of t's sequence, for an IPv4 / IPv6 packet. */
static inline uint16_t fp_tx_id4(struct fp_tx *t)
{
	return fp_frag_id4(t->id_src, t->id_srcs, t->id_seq++);
}

static inline uint32_t fp_tx_id6(struct fp_tx *t)
{
	return fp_frag_id6(t->id_src, t->id_srcs, t->id_seq++);
}

/* Next hop for destination dst (network order, 4 or 16 bytes); NULL when
 * no route leads there. */
static inline const struct fp_nexthop *fp_tx_lookup(const struct fp_tx *t, bool v6,
						    const uint8_t *dst)
{
	const struct fp_nexthop *nh;
	uint32_t d4;

	if (v6) {
		nh = fp_routes_lookup6(t->dp->routes, dst);
	} else {
		memcpy(&d4, dst, 4);
		nh = fp_routes_lookup4(t->dp->routes, d4);
	}
	/* a tunnel interface is no way out of a port (outer headers, IKE) */
	return fp_nh_is_tunnel(nh) ? NULL : nh;
}

/* The last IPv4 next hop found, kept for one run of packets: an outbound
 * SA's packets all go to its peer, so a run costs one route lookup. A
 * next hop a route change took out stays until the sender's next
 * quiescent state (route.h), after the run. */
struct fp_tx_memo {
	uint32_t dst;
	const struct fp_nexthop *nh;
};

/* The route's next hop for IP packet ip's destination, through memo for
 * IPv4, a tunnel interface included. */
static inline const struct fp_nexthop *fp_tx_route_any(const struct fp_tx *t, const uint8_t *ip,
						       struct fp_tx_memo *memo)
{
	uint32_t dst;

	if ((ip[0] >> 4) == 6)
		return fp_routes_lookup6(t->dp->routes, ip + 24);
	memcpy(&dst, ip + 16, 4);
	if (memo->nh == NULL || memo->dst != dst) {
		memo->nh = fp_routes_lookup4(t->dp->routes, dst);
		memo->dst = dst;
	}
	return memo->nh;
}

/* The same for sending out of a port: a route into a tunnel interface is
 * none (a decrypted packet routed back into a tunnel is not sent on). */
static inline const struct fp_nexthop *fp_tx_route(const struct fp_tx *t, const uint8_t *ip,
						   struct fp_tx_memo *memo)
{
	const struct fp_nexthop *nh = fp_tx_route_any(t, ip, memo);

	return fp_nh_is_tunnel(nh) ? NULL : nh;
}

/* The MAC of next hop nh as one word (route.h), valid or not; a
 * resolved one is marked used for the neighbour table's ageing (written
 * only when clear: one store per next hop and ageing period). */
static __rte_always_inline union fp_nh_hw fp_tx_hw(const struct fp_nexthop *nh)
{
	union fp_nh_hw hw = { .w = __atomic_load_n(&nh->hw, __ATOMIC_ACQUIRE) };

	if (unlikely(!nh->used) && hw.b.valid)
		__atomic_store_n((uint8_t *)(uintptr_t)&nh->used, 1, __ATOMIC_RELAXED);
	return hw;
}

/* Prepends Ethernet for next hop nh, whose MAC is hw; et = ether type,
 * network order. false: no headroom for it, m untouched. */
static __rte_always_inline bool fp_tx_eth_hw(const struct fp_tx *t, struct rte_mbuf *m,
					     const struct fp_nexthop *nh, union fp_nh_hw hw,
					     uint16_t et)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, FP_TX_ETH_LEN);

	if (unlikely(eth == NULL))
		return false;
	memcpy(&eth->dst_addr, hw.b.mac, 6);
	eth->src_addr = t->dp->mac[nh->port];
	eth->ether_type = et;
	return true;
}

/* fp_tx_eth_hw() with nh's MAC now. */
static __rte_always_inline bool fp_tx_eth(const struct fp_tx *t, struct rte_mbuf *m,
					  const struct fp_nexthop *nh, uint16_t et)
{
	return fp_tx_eth_hw(t, m, nh, fp_tx_hw(nh), et);
}

/* The fast case, inline: m (one segment, data at an IP header whose
 * lengths were checked) for next hop nh (NULL: none), et its ether type
 * in network order. 1: m fits the MTU of nh's port and has its Ethernet
 * header, to be sent on nh->port; 0: m is over that MTU, untouched, for
 * fp_tx_frames(); or a negative worker drop reason with m untouched:
 * -FP_WD_NO_ROUTE, -FP_DROP_NO_ROOM, and -FP_WD_UNRESOLVED: nh's MAC is not
 * known yet (the sender hands m to fp_routes_unresolved()). */
static __rte_always_inline int fp_tx_frame(const struct fp_tx *t, struct rte_mbuf *m,
					   const struct fp_nexthop *nh, uint16_t et)
{
	union fp_nh_hw hw;

	if (unlikely(nh == NULL))
		return -FP_WD_NO_ROUTE;
	hw = fp_tx_hw(nh);
	if (unlikely(!hw.b.valid))
		return -FP_WD_UNRESOLVED;
	if (unlikely(m->pkt_len > t->mtu[nh->port]))
		return 0;
	if (unlikely(!fp_tx_eth_hw(t, m, nh, hw, et)))
		return -FP_DROP_NO_ROOM;
	return 1;
}

/* The whole way out, out of line, for any size: the frames to send on
 * nh->port, Ethernet in front, go into out[] (FP_FRAG_MAX of room).
 * Returns their count: 1 with out[0] = m when m fits (its IP packet may
 * be shorter than the frame: trimmed), or the fragments (m has been
 * freed); or a negative worker drop reason with m untouched: those of
 * fp_tx_frame(), and those of fp_frag4() (-FP_WD_MTU: refused as `how`
 * says, or too many pieces; -FP_WD_NO_MBUF). */
int fp_tx_frames(struct fp_tx *t, struct rte_mbuf *m, const struct fp_nexthop *nh, uint16_t et,
		 enum fp_tx_frag how, struct rte_mbuf **out);

#endif
