/* SPDX-License-Identifier: BSD-3-Clause */
/* Routes of the fast path: longest-prefix match (rte_lpm for IPv4,
 * rte_lpm6 for IPv6) to a next hop, the way VPP's adjacencies work: one
 * entry per (port, next-hop address) or (port, static MAC), shared by
 * every route through it, whose destination MAC the control core's
 * neighbour table (nbr.h) writes once ARP or neighbour discovery found
 * it. Senders read it without locks: the MAC and its valid flag are one
 * 64-bit word, loaded and stored whole.
 *
 * Routes change while the workers run, on the control core only: an add
 * (or a replace of a prefix) is written into the current tables, which
 * rte_lpm and rte_lpm6 allow beside readers since an add frees nothing.
 * An IPv4 delete is done in place too: rte_lpm frees the tbl8 groups it
 * empties after the senders' RCU grace period (rte_lpm_rcu_qsbr_add). An
 * IPv6 delete builds a new rte_lpm6 from the remaining routes and swaps
 * it in (rte_lpm6 has no RCU hook). What a change leaves (an old IPv6
 * table, an unused next hop) is freed after the grace period
 * (fp_routes_reclaim), at once without an RCU variable (tests, before
 * the workers start). */
#ifndef FP_ROUTE_H
#define FP_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

/* A next hop's MAC as senders see it: one word, so a reader never sees
 * half an update. */
union fp_nh_hw {
	uint64_t w;
	struct {
		uint8_t mac[6];
		uint8_t valid; /* the MAC may be used */
		uint8_t rsvd;
	} b;
};

/* A next hop (an adjacency), shared by senders; written by the control
 * core but for `used` and `queued`. */
struct fp_nexthop {
	uint64_t hw;     /* union fp_nh_hw, atomic */
	uint16_t port;   /* ethdev id */
	uint8_t used;    /* a sender framed a packet since the control core cleared it */
	uint8_t family;  /* 4 or 6: ip is resolved; 0: a static MAC only */
	uint32_t queued; /* packets on their way to it while unresolved (atomic) */
	uint8_t ip[16];  /* the next hop's address, network order */
	/* A tunnel interface (route-based tunnels): nonzero, packets routed
	 * here are protected by the outbound SA in SAD slot tun_slot (the one
	 * bound to the interface: fp_ctrl_if_bind()); no port, no MAC. */
	uint32_t tunnel, tun_slot;
};

static inline bool fp_nh_is_tunnel(const struct fp_nexthop *nh)
{
	return nh != NULL && nh->tunnel != 0;
}

/* What a route goes through. */
struct fp_nh_key {
	uint16_t port;  /* ethdev id */
	uint8_t family; /* 4 or 6: via ip; 0: no address (dmac, static) */
	bool is_static; /* dmac given: no resolution (always with family 0) */
	uint8_t ip[16]; /* family 4: the first 4 bytes */
	struct rte_ether_addr dmac;
	uint32_t tunnel;   /* a tunnel interface id (family 0, not static), 0: none */
	uint32_t tun_slot; /* its SAD slot (fp_ctrl_if_slot()); not part of the key */
};

/* Packets to an unresolved next hop that may wait for it at once; the
 * rest are dropped as `unresolved` (worker drop reason). */
#define FP_NH_QUEUE_MAX 4u

struct fp_routes;

struct rte_rcu_qsbr;

/* max routes and as many next hops. */
struct fp_routes *fp_routes_create(const char *name, uint32_t max, int socket);
void fp_routes_free(struct fp_routes *r);
/* The senders' RCU variable (each reports quiescent states between
 * lookups): what a change takes out waits for it (NULL: freed at once).
 * Once, before the first delete. 0 or a negative errno. */
int fp_routes_set_rcu(struct fp_routes *r, struct rte_rcu_qsbr *v);
/* Frees what the senders no longer see: the control core calls it from
 * its loop. Returns what is still waiting. */
unsigned fp_routes_reclaim(struct fp_routes *r);

/* ---- control core ---- */

/* fn(arg, i) is called when the last route through next hop i goes
 * (before it waits for its grace period): the neighbour table's cue. */
void fp_routes_set_release(struct fp_routes *r, void (*fn)(void *arg, uint32_t nh), void *arg);

/* Route flags. */
#define FP_RT_CONFIG 1u /* from the configuration (a reload owns it) */

/* prefix (network order, 4 or 16 bytes)/plen through k. A prefix already
 * there is replaced (its flags too). 0 or negative errno: -EINVAL,
 * -ENOSPC (routes or next hops), -ENOMEM. */
int fp_routes_add(struct fp_routes *r, uint8_t family, const uint8_t *prefix, uint8_t plen,
		  const struct fp_nh_key *k);
int fp_routes_add_flags(struct fp_routes *r, uint8_t family, const uint8_t *prefix, uint8_t plen,
			const struct fp_nh_key *k, unsigned flags);
/* Removes the route of exactly this prefix: 0, -ENOENT, -ENOMEM. */
int fp_routes_del(struct fp_routes *r, uint8_t family, const uint8_t *prefix, uint8_t plen);

/* One route as listed. */
struct fp_route_info {
	uint8_t family, plen;
	uint8_t prefix[16];
	unsigned flags;
	uint32_t nh; /* next hop index (fp_routes_nh) */
};

uint32_t fp_routes_count(const struct fp_routes *r);
/* Route i (0 <= i < count, in no particular order). */
void fp_routes_get(const struct fp_routes *r, uint32_t i, struct fp_route_info *ri);
/* Next hop i (an index from fp_route_info), NULL when unused. */
const struct fp_nexthop *fp_routes_nh(const struct fp_routes *r, uint32_t i);
struct fp_nexthop *fp_routes_nh_w(struct fp_routes *r, uint32_t i);
uint32_t fp_routes_nh_max(const struct fp_routes *r);
/* One past the highest next hop ever used: where a walk of them stops. */
uint32_t fp_routes_nh_top(const struct fp_routes *r);
/* Whether next hop i has a configured MAC (never resolved). */
bool fp_routes_nh_static(const struct fp_routes *r, uint32_t i);
/* How many routes go through next hop i. */
uint32_t fp_routes_nh_refs(const struct fp_routes *r, uint32_t i);
/* The index of the next hop of (port, family, ip) or (port, static mac);
 * -1 when none. */
int32_t fp_routes_nh_find(const struct fp_routes *r, const struct fp_nh_key *k);
/* Packets senders left for unresolved next hops (fp_routes_unresolved). */
struct rte_ring *fp_routes_unres_ring(const struct fp_routes *r);
/* The index of nh in the table. */
uint32_t fp_routes_nh_index(const struct fp_routes *r, const struct fp_nexthop *nh);

/* ---- senders: workers and the control core ---- */

/* Next hop for a destination (network order bytes), NULL when none. */
const struct fp_nexthop *fp_routes_lookup4(const struct fp_routes *r, uint32_t dst_be);
const struct fp_nexthop *fp_routes_lookup6(const struct fp_routes *r, const uint8_t dst[16]);

/* m (data at its IP header) for next hop nh, which has no MAC yet: handed
 * to the control core to wait for it (nbr.h), at most FP_NH_QUEUE_MAX a
 * next hop at once. ours: the sender is its IP source (fragments take a
 * new identification). false: m was not taken (too many waiting, ring
 * full): the caller drops it as `unresolved`. */
bool fp_routes_unresolved(const struct fp_routes *r, const struct fp_nexthop *nh,
			  struct rte_mbuf *m, bool ours);

/* What fp_routes_unresolved() leaves in the mbuf: the next hop index and
 * whether the packet is ours (m->hash.usr). */
#define FP_NH_MBUF_OURS 0x80000000u

#endif
