/* SPDX-License-Identifier: BSD-3-Clause */
/* The neighbour table of the control core: the MAC addresses of the next
 * hops routes go through (route.h), found with ARP (RFC 826) for IPv4 and
 * neighbour discovery (RFC 4861) for IPv6, in one state machine after
 * RFC 4861 7.3.2 for both:
 *
 *   NONE -(a packet waits for it)-> INCOMPLETE: solicitations to the
 *     broadcast / solicited-node address every retrans_ms, max_probes of
 *     them, then FAILED;
 *   INCOMPLETE -(a reply)-> REACHABLE; -(a request or an unsolicited
 *     advertisement from it)-> STALE; either way the MAC is published to
 *     the senders and what waited is sent;
 *   REACHABLE -(reachable_ms without a reply)-> STALE, MAC still used;
 *   STALE -(a sender used it)-> PROBE: unicast solicitations every
 *     retrans_ms, max_probes of them, the MAC still used; a reply ->
 *     REACHABLE, none -> FAILED (no DELAY state: the gateway has no upper
 *     layer to confirm reachability, so it probes at once);
 *   FAILED: the MAC is no longer used; the next packet starts INCOMPLETE
 *     again (as Linux does).
 * A next hop with a configured MAC is STATIC and never solicited.
 *
 * Packets to a next hop without a MAC come here from the senders
 * (fp_routes_unresolved(): FP_NH_QUEUE_MAX at most per next hop) and wait
 * in its queue until it is resolved, or are dropped (counted) when it
 * fails or is taken out. Learning: ARP replies and requests, neighbour
 * advertisements, the frames workers punt (fp_nbr_input()); only next hops
 * some route goes through have entries. Single-threaded: the control
 * core. */
#ifndef FP_NBR_H
#define FP_NBR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fastpath/dp.h"
#include "fastpath/route.h"

enum fp_nbr_state {
	FP_NBR_NONE,
	FP_NBR_INCOMPLETE,
	FP_NBR_REACHABLE,
	FP_NBR_STALE,
	FP_NBR_PROBE,
	FP_NBR_FAILED,
	FP_NBR_STATIC,
};

/* RFC 4861 10: REACHABLE_TIME, RETRANS_TIMER, MAX_MULTICAST_SOLICIT. */
#define FP_NBR_REACHABLE_MS 30000u
#define FP_NBR_RETRANS_MS   1000u
#define FP_NBR_MAX_PROBES   3u

struct fp_nbr_cfg {
	struct fp_routes *routes;
	const struct fp_dp *dp; /* our addresses (probe sources) and MACs */
	uint32_t reachable_ms;  /* 0 = FP_NBR_REACHABLE_MS */
	uint32_t retrans_ms;    /* 0 = FP_NBR_RETRANS_MS */
	unsigned max_probes;    /* 0 = FP_NBR_MAX_PROBES */
	/* Sends a frame built here (an ARP request or a neighbour
	 * solicitation, Ethernet first) on port: 0 or -1. */
	int (*send)(void *arg, uint16_t port, const uint8_t *frame, size_t len);
	/* Sends packet m (data at its IP header) that waited for next hop nh,
	 * now resolved; ours: the gateway is its source (fp_routes_unresolved).
	 * Takes m. */
	void (*xmit)(void *arg, struct rte_mbuf *m, const struct fp_nexthop *nh, bool ours);
	void *arg;
};

struct fp_nbr_stats {
	uint64_t solicits;    /* requests / solicitations sent */
	uint64_t no_source;   /* not sent: no address of ours of that family */
	uint64_t learned;     /* replies and requests that updated an entry */
	uint64_t resolved;    /* INCOMPLETE -> with a MAC */
	uint64_t failed;      /* -> FAILED */
	uint64_t queued;      /* packets that waited */
	uint64_t sent_queued; /* of those, sent once resolved */
	uint64_t dropped;     /* of those, dropped: failed, taken out, queue full */
};

struct fp_nbr;

/* NULL when out of memory. Registers for the next hops routes release. */
struct fp_nbr *fp_nbr_create(const struct fp_nbr_cfg *c);
/* Drops what waits. */
void fp_nbr_free(struct fp_nbr *n);

/* Takes in what the senders left, runs the timers (at most every 10 ms of
 * now_ms, a monotonic clock) and frees what route changes left once the
 * senders passed a grace period. The amount of work done (0 = idle). */
unsigned fp_nbr_poll(struct fp_nbr *n, uint64_t now_ms);

/* Frame f (len bytes, Ethernet first) received on port: an ARP packet or
 * an ICMPv6 neighbour advertisement / solicitation updates the entry of
 * its sender, if a route goes through it. true when f was ARP or one of
 * those (nothing else is to be done with it). */
bool fp_nbr_input(struct fp_nbr *n, uint16_t port, const uint8_t *f, size_t len, uint64_t now_ms);

/* What a neighbour said, by any means. */
enum fp_nbr_learn {
	FP_NBR_REPLY,       /* an answer to our solicitation (ARP reply, NA with S) */
	FP_NBR_UNSOLICITED, /* a request from it, a gratuitous ARP, NA without S */
};

/* The neighbour (port, family, ip) has MAC mac; override: it may replace
 * a different known MAC (ARP always; NA's O flag). */
void fp_nbr_learn(struct fp_nbr *n, uint16_t port, uint8_t family, const uint8_t *ip,
		  const uint8_t mac[6], enum fp_nbr_learn how, bool override, uint64_t now_ms);

enum fp_nbr_state fp_nbr_state_of(const struct fp_nbr *n, uint32_t nh);
const char *fp_nbr_state_name(enum fp_nbr_state s);
/* Packets waiting for next hop nh on the control core. */
unsigned fp_nbr_waiting(const struct fp_nbr *n, uint32_t nh);
/* Milliseconds since the entry was last confirmed (0 when never). */
uint64_t fp_nbr_age_ms(const struct fp_nbr *n, uint32_t nh, uint64_t now_ms);
void fp_nbr_get_stats(const struct fp_nbr *n, struct fp_nbr_stats *s);

/* The solicitation for next hop nh, from src_mac / src (ours, 4 or 16
 * bytes), to dst_mac (NULL: broadcast / solicited-node multicast), into
 * out (at least 90 bytes): its length, 0 for a next hop without address. */
size_t fp_nbr_build_solicit(const struct fp_nexthop *nh, const uint8_t src_mac[6],
			    const uint8_t *src, const uint8_t *dst_mac, uint8_t *out);

#endif
