/* SPDX-License-Identifier: BSD-3-Clause */
/* The neighbour table: one entry per next hop of the route table, its
 * state machine, what waits for it, its solicitations. See nbr.h. */
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fastpath/bytes.h"
#include "fastpath/nbr.h"

#define TICK_MS   10u
#define ARP_LEN   28u
#define MIN_FRAME 60u
#define POLL_MAX  64u

struct ent {
	enum fp_nbr_state state;
	unsigned probes;
	uint64_t t_next;      /* INCOMPLETE, PROBE: the next solicitation */
	uint64_t t_confirmed; /* the last reply (REACHABLE until + reachable_ms) */
	struct rte_mbuf *q[FP_NH_QUEUE_MAX];
	unsigned nq;
};

struct fp_nbr {
	struct fp_nbr_cfg c;
	struct fp_nbr_stats st;
	uint64_t last_tick;
	uint32_t max;
	struct ent e[];
};

static const char *const state_names[] = { "none",  "incomplete", "reachable", "stale",
					   "probe", "failed",     "static" };

const char *fp_nbr_state_name(enum fp_nbr_state s)
{
	return (unsigned)s < RTE_DIM(state_names) ? state_names[s] : "?";
}

/* ---- the published MAC ---- */

static union fp_nh_hw hw_of(const struct fp_nexthop *nh)
{
	return (union fp_nh_hw){ .w = __atomic_load_n(&nh->hw, __ATOMIC_ACQUIRE) };
}

static void hw_set(struct fp_nexthop *nh, const uint8_t *mac, bool valid)
{
	union fp_nh_hw hw = hw_of(nh);

	if (mac != NULL)
		memcpy(hw.b.mac, mac, 6);
	hw.b.valid = valid;
	__atomic_store_n(&nh->hw, hw.w, __ATOMIC_RELEASE);
}

/* ---- what waits ---- */

/* Packet m for next hop i leaves the control core's hands: the senders may
 * hand one more. */
static void unqueue(struct fp_nbr *n, uint32_t i)
{
	const struct fp_nexthop *nh = fp_routes_nh(n->c.routes, i);

	if (nh != NULL)
		__atomic_fetch_sub((uint32_t *)(uintptr_t)&nh->queued, 1, __ATOMIC_RELAXED);
}

static void q_drop(struct fp_nbr *n, uint32_t i)
{
	struct ent *e = &n->e[i];

	for (unsigned k = 0; k < e->nq; k++) {
		rte_pktmbuf_free(e->q[k]);
		unqueue(n, i);
	}
	n->st.dropped += e->nq;
	e->nq = 0;
}

static void q_flush(struct fp_nbr *n, uint32_t i)
{
	const struct fp_nexthop *nh = fp_routes_nh(n->c.routes, i);
	struct ent *e = &n->e[i];

	for (unsigned k = 0; k < e->nq; k++) {
		struct rte_mbuf *m = e->q[k];

		unqueue(n, i);
		n->c.xmit(n->c.arg, m, nh, (m->hash.usr & FP_NH_MBUF_OURS) != 0);
	}
	n->st.sent_queued += e->nq;
	e->nq = 0;
}

/* ---- solicitations ---- */

/* Our address on port of family fam (network order bytes), NULL: none. */
static const uint8_t *our_addr(const struct fp_local *l, uint16_t port, uint8_t fam)
{
	unsigned cnt = fam == 4 ? l->n4 : l->n6;
	const uint8_t *on = fam == 4 ? l->a4_port1 : l->a6_port1;

	if (cnt == 0)
		return NULL;
	for (unsigned i = 0; i < cnt; i++)
		if (on[i] == port + 1u)
			return fam == 4 ? (const uint8_t *)&l->a4[i] : l->a6[i];
	return fam == 4 ? (const uint8_t *)&l->a4[0] : l->a6[0];
}

static size_t build_arp(const struct fp_nexthop *nh, const uint8_t smac[6], const uint8_t *src,
			const uint8_t *dmac, uint8_t *f)
{
	uint8_t *a = f + 14;

	memset(f, 0, MIN_FRAME);
	memset(f, 0xff, 6);
	if (dmac != NULL)
		memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	wr16(f + 12, 0x0806);
	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, 1); /* request */
	memcpy(a + 8, smac, 6);
	memcpy(a + 14, src, 4);
	memcpy(a + 24, nh->ip, 4);
	return MIN_FRAME;
}

/* RFC 4861 4.3, to the target's solicited-node address (7.2.2) or, when
 * probing, to the target itself. */
static size_t build_ns(const struct fp_nexthop *nh, const uint8_t smac[6], const uint8_t *src,
		       const uint8_t *dmac, uint8_t *f)
{
	static const uint8_t snm[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };
	uint8_t *ip = f + 14, *ic = ip + 40;
	uint16_t ck;

	memset(f, 0, 14 + 40 + 32);
	if (dmac != NULL) {
		memcpy(f, dmac, 6);
		memcpy(ip + 24, nh->ip, 16);
	} else {
		f[0] = f[1] = 0x33;
		f[2] = 0xff;
		memcpy(f + 3, nh->ip + 13, 3);
		memcpy(ip + 24, snm, 13);
		memcpy(ip + 37, nh->ip + 13, 3);
	}
	memcpy(f + 6, smac, 6);
	wr16(f + 12, 0x86dd);
	wr32(ip, 6u << 28);
	wr16(ip + 4, 32);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	ic[0] = 135;
	memcpy(ic + 8, nh->ip, 16);
	ic[24] = 1; /* source link-layer address */
	ic[25] = 1;
	memcpy(ic + 26, smac, 6);
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &ck, 2);
	return 14 + 40 + 32;
}

size_t fp_nbr_build_solicit(const struct fp_nexthop *nh, const uint8_t src_mac[6],
			    const uint8_t *src, const uint8_t *dst_mac, uint8_t *out)
{
	if (nh->family == 4)
		return build_arp(nh, src_mac, src, dst_mac, out);
	if (nh->family == 6)
		return build_ns(nh, src_mac, src, dst_mac, out);
	return 0;
}

/* One solicitation for next hop i: broadcast / multicast, or unicast to
 * the MAC it has (PROBE). */
static void solicit(struct fp_nbr *n, uint32_t i, bool unicast)
{
	const struct fp_nexthop *nh = fp_routes_nh(n->c.routes, i);
	const uint8_t *src = our_addr(&n->c.dp->local, nh->port, nh->family);
	union fp_nh_hw hw = hw_of(nh);
	uint8_t f[128];
	size_t len;

	if (src == NULL) {
		n->st.no_source++;
		return;
	}
	len = fp_nbr_build_solicit(nh, n->c.dp->mac[nh->port].addr_bytes, src,
				   unicast ? hw.b.mac : NULL, f);
	if (len != 0 && n->c.send(n->c.arg, nh->port, f, len) == 0)
		n->st.solicits++;
}

/* ---- the state machine ---- */

static void go_incomplete(struct fp_nbr *n, uint32_t i, uint64_t now)
{
	struct ent *e = &n->e[i];

	e->state = FP_NBR_INCOMPLETE;
	e->probes = 1;
	e->t_next = now + n->c.retrans_ms;
	solicit(n, i, false);
}

static void go_failed(struct fp_nbr *n, uint32_t i)
{
	n->e[i].state = FP_NBR_FAILED;
	n->st.failed++;
	hw_set(fp_routes_nh_w(n->c.routes, i), NULL, false);
	q_drop(n, i);
}

static void go_stale(struct fp_nbr *n, uint32_t i)
{
	n->e[i].state = FP_NBR_STALE;
	/* from now on, a sender's use is what sends it to PROBE */
	__atomic_store_n(&fp_routes_nh_w(n->c.routes, i)->used, 0, __ATOMIC_RELAXED);
}

/* INCOMPLETE and PROBE: the next solicitation, or the end of them. */
static void retransmit(struct fp_nbr *n, uint32_t i, uint64_t now)
{
	struct ent *e = &n->e[i];

	if (now < e->t_next)
		return;
	if (e->probes >= n->c.max_probes) {
		go_failed(n, i);
		return;
	}
	e->probes++;
	e->t_next = now + n->c.retrans_ms;
	solicit(n, i, e->state == FP_NBR_PROBE);
}

static void timer(struct fp_nbr *n, uint32_t i, uint64_t now)
{
	struct fp_nexthop *nh = fp_routes_nh_w(n->c.routes, i);
	struct ent *e = &n->e[i];

	switch (e->state) {
	case FP_NBR_INCOMPLETE:
	case FP_NBR_PROBE: retransmit(n, i, now); break;
	case FP_NBR_REACHABLE:
		if (now - e->t_confirmed >= n->c.reachable_ms)
			go_stale(n, i);
		break;
	case FP_NBR_STALE:
		if (__atomic_load_n(&nh->used, __ATOMIC_RELAXED)) {
			e->state = FP_NBR_PROBE;
			e->probes = 1;
			e->t_next = now + n->c.retrans_ms;
			solicit(n, i, true);
		}
		break;
	default: break;
	}
}

static void timers(struct fp_nbr *n, uint64_t now)
{
	uint32_t top = fp_routes_nh_top(n->c.routes);

	for (uint32_t i = 0; i < top; i++)
		if (n->e[i].state != FP_NBR_NONE && fp_routes_nh(n->c.routes, i) != NULL)
			timer(n, i, now);
}

void fp_nbr_learn(struct fp_nbr *n, uint16_t port, uint8_t family, const uint8_t *ip,
		  const uint8_t mac[6], enum fp_nbr_learn how, bool override, uint64_t now_ms)
{
	struct fp_nh_key k = { .port = port, .family = family };
	struct fp_nexthop *nh;
	struct ent *e;
	union fp_nh_hw hw;
	bool had, same;
	int32_t i;

	memcpy(k.ip, ip, family == 4 ? 4 : 16);
	if ((mac[0] & 1) || (i = fp_routes_nh_find(n->c.routes, &k)) < 0)
		return; /* no route through it, or a multicast "MAC" */
	nh = fp_routes_nh_w(n->c.routes, (uint32_t)i);
	e = &n->e[i];
	hw = hw_of(nh);
	had = hw.b.valid;
	same = memcmp(hw.b.mac, mac, 6) == 0;
	if (had && !same && !override)
		return; /* RFC 4861 7.2.5: keep the known MAC */
	n->st.learned++;
	if (!had && (e->state == FP_NBR_INCOMPLETE || e->state == FP_NBR_PROBE))
		n->st.resolved++;
	if (how == FP_NBR_REPLY) {
		e->state = FP_NBR_REACHABLE;
		e->t_confirmed = now_ms;
	} else if (!had || !same) {
		e->state = FP_NBR_STALE;
	}
	if (!had || !same)
		hw_set(nh, mac, true);
	if (e->state == FP_NBR_STALE && (!had || !same))
		__atomic_store_n(&nh->used, 0, __ATOMIC_RELAXED);
	q_flush(n, (uint32_t)i);
}

/* ---- what the senders left ---- */

static void waiting(struct fp_nbr *n, struct rte_mbuf *m, uint64_t now)
{
	uint32_t i = m->hash.usr & ~FP_NH_MBUF_OURS;
	const struct fp_nexthop *nh = fp_routes_nh(n->c.routes, i);
	struct ent *e;

	n->st.queued++;
	if (nh == NULL) { /* its route went meanwhile; nothing to count down */
		n->st.dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	if (hw_of(nh).b.valid) { /* resolved meanwhile */
		unqueue(n, i);
		n->st.sent_queued++;
		n->c.xmit(n->c.arg, m, nh, (m->hash.usr & FP_NH_MBUF_OURS) != 0);
		return;
	}
	e = &n->e[i];
	if (e->nq == FP_NH_QUEUE_MAX) { /* cannot be: the senders count */
		unqueue(n, i);
		n->st.dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	e->q[e->nq++] = m;
	if (e->state == FP_NBR_NONE || e->state == FP_NBR_FAILED)
		go_incomplete(n, i, now);
}

unsigned fp_nbr_poll(struct fp_nbr *n, uint64_t now_ms)
{
	struct rte_mbuf *m[POLL_MAX];
	unsigned got = rte_ring_sc_dequeue_burst(fp_routes_unres_ring(n->c.routes), (void **)m,
						 POLL_MAX, NULL);

	for (unsigned k = 0; k < got; k++)
		waiting(n, m[k], now_ms);
	if (now_ms - n->last_tick >= TICK_MS) {
		n->last_tick = now_ms;
		timers(n, now_ms);
	}
	fp_routes_reclaim(n->c.routes);
	return got;
}

/* ---- the table ---- */

/* The last route through next hop i went: what waited for it is
 * dropped, the slot starts over when reused. */
static void released(void *arg, uint32_t i)
{
	struct fp_nbr *n = arg;

	q_drop(n, i);
	n->e[i].state = FP_NBR_NONE;
	n->e[i].probes = 0;
}

struct fp_nbr *fp_nbr_create(const struct fp_nbr_cfg *c)
{
	uint32_t max = fp_routes_nh_max(c->routes);
	struct fp_nbr *n = calloc(1, sizeof(*n) + max * sizeof(n->e[0]));

	if (n == NULL)
		return NULL;
	n->c = *c;
	n->max = max;
	if (n->c.reachable_ms == 0)
		n->c.reachable_ms = FP_NBR_REACHABLE_MS;
	if (n->c.retrans_ms == 0)
		n->c.retrans_ms = FP_NBR_RETRANS_MS;
	if (n->c.max_probes == 0)
		n->c.max_probes = FP_NBR_MAX_PROBES;
	fp_routes_set_release(c->routes, released, n);
	return n;
}

void fp_nbr_free(struct fp_nbr *n)
{
	if (n == NULL)
		return;
	fp_routes_set_release(n->c.routes, NULL, NULL);
	for (uint32_t i = 0; i < n->max; i++)
		q_drop(n, i);
	free(n);
}

enum fp_nbr_state fp_nbr_state_of(const struct fp_nbr *n, uint32_t i)
{
	if (i >= n->max || fp_routes_nh(n->c.routes, i) == NULL)
		return FP_NBR_NONE;
	if (fp_routes_nh_static(n->c.routes, i))
		return FP_NBR_STATIC;
	return n->e[i].state;
}

unsigned fp_nbr_waiting(const struct fp_nbr *n, uint32_t i)
{
	return i < n->max ? n->e[i].nq : 0;
}

uint64_t fp_nbr_age_ms(const struct fp_nbr *n, uint32_t i, uint64_t now_ms)
{
	return i < n->max && n->e[i].t_confirmed ? now_ms - n->e[i].t_confirmed : 0;
}

void fp_nbr_get_stats(const struct fp_nbr *n, struct fp_nbr_stats *s)
{
	*s = n->st;
}

/* ---- learning from frames ---- */

/* RFC 826 / RFC 5227: a reply, or a request (gratuitous ones included),
 * tells the sender's MAC. */
static void arp_in(struct fp_nbr *n, uint16_t port, const uint8_t *a, uint64_t now)
{
	uint16_t op = rd16(a + 6);
	static const uint8_t zero[4];

	if (rd16(a) != 1 || rd16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 ||
	    (op != 1 && op != 2) || memcmp(a + 14, zero, 4) == 0)
		return;
	fp_nbr_learn(n, port, 4, a + 14, a + 8, op == 2 ? FP_NBR_REPLY : FP_NBR_UNSOLICITED, true,
		     now);
}

/* The link-layer address option of type t in ND options o (len bytes). */
static const uint8_t *nd_lladdr(const uint8_t *o, size_t len, uint8_t t)
{
	for (size_t k = 0; k + 2 <= len; k += o[k + 1] * 8u) {
		if (o[k + 1] == 0 || k + o[k + 1] * 8u > len)
			return NULL;
		if (o[k] == t && o[k + 1] == 1)
			return o + k + 2;
	}
	return NULL;
}

/* RFC 4861 7.1.2 / 7.2.5 (NA) and 7.2.3 (NS): hop limit 255, code 0,
 * checksum; an NA's target with its link-layer address, an NS's source
 * with its. */
static bool nd_in(struct fp_nbr *n, uint16_t port, const uint8_t *ip, size_t len, uint64_t now)
{
	static const uint8_t unspec[16];
	const uint8_t *ic = ip + 40, *ll;
	uint32_t plen, sum;

	if (len < 40 + 24 || ip[6] != IPPROTO_ICMPV6 || (ic[0] != 135 && ic[0] != 136))
		return false;
	plen = rd16(ip + 4);
	if (40u + plen > len || plen < 24 || ip[7] != 255 || ic[1] != 0)
		return true;
	sum = rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)ip, 0) + rte_raw_cksum(ic, plen);
	sum = (sum & 0xffff) + (sum >> 16);
	if (((sum & 0xffff) + (sum >> 16)) != 0xffff)
		return true;
	ll = nd_lladdr(ic + 24, plen - 24, ic[0] == 136 ? 2 : 1);
	if (ll == NULL)
		return true;
	if (ic[0] == 136)
		fp_nbr_learn(n, port, 6, ic + 8, ll,
			     (ic[4] & 0x40) ? FP_NBR_REPLY : FP_NBR_UNSOLICITED,
			     (ic[4] & 0x20) != 0, now);
	else if (memcmp(ip + 8, unspec, 16) != 0)
		fp_nbr_learn(n, port, 6, ip + 8, ll, FP_NBR_UNSOLICITED, true, now);
	return true;
}

bool fp_nbr_input(struct fp_nbr *n, uint16_t port, const uint8_t *f, size_t len, uint64_t now_ms)
{
	if (len < 14)
		return false;
	if (rd16(f + 12) == 0x0806) {
		if (len >= 14 + ARP_LEN)
			arp_in(n, port, f + 14, now_ms);
		return true;
	}
	return rd16(f + 12) == 0x86dd && nd_in(n, port, f + 14, len - 14, now_ms);
}
