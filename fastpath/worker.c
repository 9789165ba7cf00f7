/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker loop: RX, classify, SAD/SPD, ESP per SA run, route, TX.
 * See worker.h for the classification and docs/fastpath.md for the
 * several-workers design (inbound SA owners, hand-off rings). */
#ifndef ALLOW_EXPERIMENTAL_API
/* rte_ip_frag_table_del_expired_entries() is experimental in 22.11; the
 * alternative, leaving a lone first fragment in the table until its
 * bucket is looked up again, holds its mbuf indefinitely. */
#define ALLOW_EXPERIMENTAL_API
#endif

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "fastpath/bytes.h"
#include "fastpath/ctrl_core_priv.h"
#include "fastpath/frag.h"
#include "fastpath/neigh.h"
#include "fastpath/tx.h"
#include "fastpath/worker.h"

#define BURST   FP_MAX_BURST
#define TXB     64u
#define ETH_LEN 14u

struct fp_worker {
	struct fp_worker_stats st;
	struct fp_crypto_engine eng;
	struct fp_worker_cfg cfg;
	struct fp_ctrl *ctrl;
	const struct fp_dp *dp;
	volatile int quit;
	uint16_t n_dirty;
	uint16_t dirty[FP_MAX_PORTS]; /* ports with something in txb */
	uint16_t txn[FP_MAX_PORTS];
	/* Bytes in txb, summed as packets are queued, when their mbuf line
	 * is in L1 (with the RX side's count in process(), rather than a pass
	 * of their own each; measured: perf/fastpath_results.md). */
	uint64_t txbytes[FP_MAX_PORTS];
	uint8_t is_dirty[FP_MAX_PORTS];
	struct rte_mbuf *txb[FP_MAX_PORTS][TXB];
	/* Received in the previous loop, processed in this one (see
	 * fp_worker_poll()). */
	uint16_t nheld[FP_MAX_RXQ];
	struct rte_mbuf *held[FP_MAX_RXQ][FP_RX_BURST_MAX];
	/* MTUs, checked before each send, and the identifications of the
	 * packets this worker fragments as their source (tx.h). */
	struct fp_tx tx;
	/* Reassembly (NULL: off); frag_seen: a fragment ever came, so the
	 * loop starts looking for expired datagrams. */
	struct rte_ip_frag_tbl *frag;
	bool frag_seen;
	bool in_reasm; /* process() is on reassembled datagrams */
	/* ICMP errors: this second's count (FP_ICMP_PER_S at most), since
	 * icmp_t0; icmp_busy while one is being processed; icmp_tunnel_only
	 * while it is about a decrypted packet (it may only leave through a
	 * tunnel). */
	bool icmp_busy, icmp_tunnel_only;
	uint32_t icmp_n;
	uint64_t icmp_t0;
	struct rte_ip_frag_death_row dr;
} __rte_cache_aligned;

static const char *const wdrop_names[FP_WD_MAX - FP_DROP_MAX] = {
	"no_policy", "discard", "ttl",  "no_route", "ring_full", "tx_full",
	"not_ip",    "mtu",     "frag", "no_mbuf",  "trap",      "unresolved",
};

const char *fp_wdrop_name(unsigned r)
{
	if (r < FP_DROP_MAX)
		return fp_drop_name((enum fp_drop)r);
	return r < FP_WD_MAX ? wdrop_names[r - FP_DROP_MAX] : "?";
}

static inline void drop(struct fp_worker *w, struct rte_mbuf *m, unsigned r)
{
	w->st.drops[r]++;
	rte_pktmbuf_free(m);
}

/* ---- TX ---- */

static void tx_flush(struct fp_worker *w, uint16_t port)
{
	uint16_t n = w->txn[port], sent;
	uint64_t bytes;

	bytes = w->txbytes[port];
	w->txbytes[port] = 0;
	sent = rte_eth_tx_burst(port, w->cfg.txq, w->txb[port], n);
	for (uint16_t i = sent; i < n; i++) {
		bytes -= w->txb[port][i]->pkt_len;
		drop(w, w->txb[port][i], FP_WD_TX_FULL);
	}
	w->st.tx += sent;
	w->st.port[port].tx += sent;
	w->st.port[port].tx_bytes += bytes;
	w->st.port[port].tx_drop += n - sent;
	w->txn[port] = 0;
}

static void tx_flush_all(struct fp_worker *w)
{
	for (uint16_t i = 0; i < w->n_dirty; i++) {
		uint16_t port = w->dirty[i];

		if (w->txn[port] != 0)
			tx_flush(w, port);
		w->is_dirty[port] = 0;
	}
	w->n_dirty = 0;
}

static inline void tx_enqueue(struct fp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	if (!w->is_dirty[port]) {
		w->is_dirty[port] = 1;
		w->dirty[w->n_dirty++] = port;
	}
	w->txb[port][w->txn[port]++] = m;
	w->txbytes[port] += m->pkt_len;
	if (unlikely(w->txn[port] == TXB))
		tx_flush(w, port);
}

/* Where a packet being sent comes from: what may be done with it when it
 * exceeds the MTU (tx_slow()). */
enum tx_origin {
	TX_FORWARDED, /* bypassed: fragmented as a router would */
	TX_DECRYPTED, /* out of a tunnel: likewise; an error goes back
			     * through a tunnel only */
	TX_OURS,      /* our ESP packet: fragmented as its source */
};

static void tx_slow(struct fp_worker *w, struct rte_mbuf *m, const struct fp_nexthop *nh,
		    uint16_t et, int n, enum tx_origin o);
static uint64_t process(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n, bool handed);

/* Frames the packet for next hop nh (NULL: no route) and queues it
 * (tx.h); et = ether type, network order. */
static __rte_always_inline void eth_tx(struct fp_worker *w, struct rte_mbuf *m,
				       const struct fp_nexthop *nh, uint16_t et, enum tx_origin o)
{
	int n = fp_tx_frame(&w->tx, m, nh, et);

	if (likely(n == 1))
		tx_enqueue(w, nh->port, m);
	else
		tx_slow(w, m, nh, et, n, o);
}

/* The address of port `port` to send an ICMP error from (fp_local). */
static const uint8_t *port_addr(const struct fp_local *l, uint16_t port, bool v6)
{
	unsigned n = v6 ? l->n6 : l->n4;
	const uint8_t *on = v6 ? l->a6_port1 : l->a4_port1;

	for (unsigned i = 0; i < n; i++)
		if (on[i] == port + 1u) /* an unknown port (0xffff) matches none */
			return v6 ? l->a6[i] : (const uint8_t *)&l->a4[i];
	return v6 ? l->a6[0] : (const uint8_t *)&l->a4[0];
}

/* Forwarded packet m may not be fragmented to fit the MTU of port out:
 * its source hears it (RFC 1191, RFC 8201), rate-limited. The error is
 * classified like a received packet, so the SPD decides whether and how
 * it leaves; about a decrypted packet, only through a tunnel (a BYPASS
 * rule would send it in clear to a host behind the peer: dropped as
 * `no_policy`). Its source is an address of the port the error is about
 * to leave by (RFC 1812 4.3.2.4): the one m came in on; for a decrypted
 * packet the one it was to leave by, whose address is the one inside the
 * tunnel's selectors (the peer checks the inner source), not the WAN
 * address the ESP came to. Without one, the first of the family. */
static void too_big(struct fp_worker *w, const struct rte_mbuf *m, uint16_t out, bool decrypted)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct fp_local *l = &w->dp->local;
	const bool v6 = (ip[0] >> 4) == 6;
	struct rte_mbuf *e;
	uint64_t now;

	/* IPv4 without DF got here for options or too many pieces: no error */
	if (v6 ? l->n6 == 0 : (!(ip[6] & 0x40) || l->n4 == 0))
		return;
	if (w->icmp_busy)
		return;
	now = rte_rdtsc();
	if (now - w->icmp_t0 >= rte_get_tsc_hz()) {
		w->icmp_t0 = now;
		w->icmp_n = 0;
	}
	e = w->icmp_n < FP_ICMP_PER_S ? fp_icmp_too_big(m, w->tx.mtu[out],
							port_addr(l, decrypted ? out : m->port, v6))
				      : NULL;
	if (e == NULL)
		return;
	w->icmp_n++;
	w->st.icmp_too_big++;
	w->icmp_busy = true;
	/* About a packet that came out of a tunnel: its source sits behind
	 * the peer, so the error goes back through a tunnel (PROTECT) or not
	 * at all; a broad BYPASS rule must not send it in clear. */
	w->icmp_tunnel_only = decrypted;
	process(w, &e, 1, false);
	w->icmp_tunnel_only = false;
	w->icmp_busy = false;
}

/* What fp_tx_frame() did not frame (its result n): a packet over the
 * egress MTU, fragmented where IP allows it, else dropped as `mtu` with
 * an ICMP error to its source; or a drop. Out of line: only oversized
 * packets and drops come here. */
static void __rte_noinline tx_slow(struct fp_worker *w, struct rte_mbuf *m,
				   const struct fp_nexthop *nh, uint16_t et, int n,
				   enum tx_origin o)
{
	struct rte_mbuf *f[FP_FRAG_MAX];

	if (n == 0)
		n = fp_tx_frames(&w->tx, m, nh, et, o == TX_OURS ? FP_TX_NEW_ID : FP_TX_KEEP_ID, f);
	/* Its next hop not resolved yet: a few wait on the control core. */
	if (n == -FP_WD_UNRESOLVED && fp_routes_unresolved(w->dp->routes, nh, m, o == TX_OURS)) {
		w->st.unresolved_queued++;
		return;
	}
	if (n < 0) {
		if (n == -FP_WD_MTU && o != TX_OURS)
			too_big(w, m, nh->port, o == TX_DECRYPTED);
		drop(w, m, (unsigned)-n);
		return;
	}
	if (n > 1) /* else m itself, trimmed to its IP length */
		w->st.frag_out += (unsigned)n;
	for (int i = 0; i < n; i++)
		tx_enqueue(w, nh->port, f[i]);
}

/* The packet starts at its IP header: find the next hop, prepend Ethernet. */
static void route_tx(struct fp_worker *w, struct rte_mbuf *m, struct fp_tx_memo *memo,
		     enum tx_origin o)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	const bool v6 = (ip[0] >> 4) == 6;
	const struct fp_nexthop *nh = fp_tx_route(&w->tx, ip, memo);

	eth_tx(w, m, nh, rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4), o);
}

/* An outbound tunnel-mode run: every packet goes to the SA's peer, the
 * destination of its outer header template, so one lookup serves the run
 * and no packet's header is read back, faster than a lookup memo per
 * packet (measured: perf/fastpath_results.md). */
static void route_tx_tunnel(struct fp_worker *w, const struct fp_sa *sa, struct rte_mbuf **mb,
			    uint16_t n)
{
	const bool v6 = sa->h.flags & FP_SAF_OUTER6;
	const uint16_t et = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	const struct fp_nexthop *nh = fp_tx_lookup(&w->tx, v6, sa->tmpl + (v6 ? 24 : 16));

	for (uint16_t i = 0; i < n; i++)
		eth_tx(w, mb[i], nh, et, TX_OURS);
}

static void punt(struct fp_worker *w, struct rte_mbuf *m)
{
	if (unlikely(rte_ring_mp_enqueue(w->ctrl->punt, m) != 0)) {
		drop(w, m, FP_WD_RING_FULL);
		return;
	}
	w->st.punt++;
}

/* Forwarding: TTL / hop limit must stay above 0; IPv4 checksum updated
 * incrementally (RFC 1624). false when the packet must be dropped. */
static inline bool ttl_dec(uint8_t *ip)
{
	if ((ip[0] >> 4) == 6) {
		if (unlikely(ip[7] <= 1))
			return false;
		ip[7]--;
		return true;
	}
	if (unlikely(ip[8] <= 1))
		return false;
	ip[8]--;
	uint32_t s = (uint32_t)rd16(ip + 10) + 0x0100;
	s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
	return true;
}

/* ---- classification ---- */

enum cls { C_DROP, C_PUNT, C_IN, C_OUT4, C_OUT6, C_FRAG, C_NEIGH };

static inline bool l4_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/* ESP or ESP-in-UDP to us: SPI into *spi; else punt. l4 = transport header,
 * left = bytes from it. */
static inline enum cls to_us(const struct fp_local *l, uint8_t proto, const uint8_t *l4,
			     uint32_t left, uint32_t *spi, unsigned *r)
{
	if (proto == IPPROTO_ESP) {
		if (unlikely(left < 8)) {
			*r = FP_DROP_MALFORMED;
			return C_DROP;
		}
		memcpy(spi, l4, 4);
		return C_IN;
	}
	/* RFC 3948 2.2: a zero first word is the non-ESP marker (IKE), one
	 * byte 0xff a NAT keepalive; both go to the control core. */
	if (proto == IPPROTO_UDP && left >= 8 + 4 && rd16(l4 + 2) == l->natt_port) {
		memcpy(spi, l4 + 8, 4);
		if (*spi != 0)
			return C_IN;
	}
	return C_PUNT;
}

static enum cls classify4(struct fp_worker *w, uint8_t *ip, uint32_t len, uint32_t *spi,
			  struct fp_spd_key4 *k, unsigned *r)
{
	uint32_t hl, dst;

	if (unlikely(len < 20 || (ip[0] >> 4) != 4 || (hl = (ip[0] & 0xfu) * 4u) < 20 || hl > len ||
		     rd16(ip + 2) < hl || rd16(ip + 2) > len)) {
		*r = FP_DROP_MALFORMED;
		return C_DROP;
	}
	len = rd16(ip + 2);
	memcpy(&dst, ip + 16, 4);
	if (fp_local4(&w->dp->local, dst)) {
		if (unlikely(rd16(ip + 6) & 0x3fff)) /* MF or an offset */
			return C_FRAG;
		return to_us(&w->dp->local, ip[9], ip + hl, len - hl, spi, r);
	}
	if (unlikely(ip[16] >= 224)) /* multicast, broadcast */
		return C_PUNT;
	if (unlikely(!ttl_dec(ip))) {
		*r = FP_WD_TTL;
		return C_DROP;
	}
	k->proto = ip[9];
	memcpy(&k->src, ip + 12, 4);
	k->dst = dst;
	k->sport = k->dport = 0;
	if (l4_ports(ip[9]) && !(rd16(ip + 6) & 0x1fff) && len >= hl + 4) {
		memcpy(&k->sport, ip + hl, 2);
		memcpy(&k->dport, ip + hl + 2, 2);
	}
	return C_OUT4;
}

static enum cls classify6(struct fp_worker *w, uint8_t *ip, uint32_t len, uint32_t *spi,
			  struct fp_spd_key6 *k, unsigned *r)
{
	uint8_t nh;

	if (unlikely(len < 40 || (ip[0] >> 4) != 6 || 40u + rd16(ip + 4) > len)) {
		*r = FP_DROP_MALFORMED;
		return C_DROP;
	}
	len = 40u + rd16(ip + 4);
	nh = ip[6];
	/* Neighbour discovery and router messages (RFC 4861: types 133-137). */
	if (nh == IPPROTO_ICMPV6 && len > 40 && ip[40] >= 133 && ip[40] <= 137)
		return ip[40] == 135 ? C_NEIGH : C_PUNT; /* a solicitation: ours? */
	if (fp_local6(&w->dp->local, ip + 24)) {
		/* Only a Fragment header right after the fixed one is
		 * reassembled (what ESP senders produce); one behind other
		 * extension headers is punted with them. */
		if (unlikely(nh == 44)) {
			if (len >= 48)
				return C_FRAG;
			*r = FP_DROP_MALFORMED;
			return C_DROP;
		}
		return to_us(&w->dp->local, nh, ip + 40, len - 40, spi, r);
	}
	if (unlikely(ip[24] == 0xff)) /* multicast */
		return C_PUNT;
	if (unlikely(!ttl_dec(ip))) {
		*r = FP_WD_TTL;
		return C_DROP;
	}
	/* Extension headers are not walked: their type is the protocol. */
	k->proto = nh;
	memcpy(k->src, ip + 8, 16);
	memcpy(k->dst, ip + 24, 16);
	k->sport = k->dport = 0;
	if (l4_ports(nh) && len >= 44) {
		memcpy(&k->sport, ip + 40, 2);
		memcpy(&k->dport, ip + 42, 2);
	}
	return C_OUT6;
}

/* ---- ESP runs ---- */

/* Reports lifetime flags the SA newly raised (once per flag). */
static void note_check(struct fp_worker *w, struct fp_sa *sa)
{
	struct fp_sad_ent *e = fp_sad_ent(sa);
	uint32_t life = __atomic_load_n(&sa->life, __ATOMIC_RELAXED), f, prev;
	struct fp_note nt;

	f = life & ~__atomic_load_n(&e->notified, __ATOMIC_RELAXED);
	if (likely(f == 0))
		return;
	prev = __atomic_fetch_or(&e->notified, f, __ATOMIC_RELAXED);
	f &= ~prev;
	if (f == 0)
		return;
	nt = (struct fp_note){ .spi = e->key, .flags = (uint16_t)f, .dir = e->dir };
	if (rte_ring_mp_enqueue_elem(w->ctrl->note, &nt, sizeof(nt)) != 0) {
		__atomic_fetch_and(&e->notified, ~f, __ATOMIC_RELAXED); /* retry later */
		w->st.notes_lost++;
		return;
	}
	w->st.notes++;
}

static void after_in(struct fp_worker *w, struct rte_mbuf *m, struct fp_tx_memo *memo)
{
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	bool us;

	w->st.esp_in++;
	if ((ip[0] >> 4) == 6) {
		us = fp_local6(&w->dp->local, ip + 24);
	} else {
		uint32_t dst;

		memcpy(&dst, ip + 16, 4);
		us = fp_local4(&w->dp->local, dst);
	}
	if (unlikely(us)) {
		/* Decrypted traffic for the gateway itself: to the control
		 * core with a made-up Ethernet header, like every punt. */
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, ETH_LEN);

		if (eth == NULL) {
			drop(w, m, FP_DROP_NO_ROOM);
			return;
		}
		memset(eth, 0, sizeof(*eth));
		eth->ether_type = rte_cpu_to_be_16((ip[0] >> 4) == 6 ? RTE_ETHER_TYPE_IPV6
								     : RTE_ETHER_TYPE_IPV4);
		punt(w, m);
		return;
	}
	if (unlikely(!ttl_dec(ip))) {
		drop(w, m, FP_WD_TTL);
		return;
	}
	route_tx(w, m, memo, TX_DECRYPTED);
}

/* mb[0..n) with sa[0..n): one fp_esp_process() per run of one SA. */
/* The state of every SA of a burst, asked for before the first is used:
 * with traffic over many tunnels each run is an SA of its own, whose
 * lines would otherwise come from memory one run after another. */
static inline void sa_prefetch(struct fp_sa *sa[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		if (i && sa[i] == sa[i - 1])
			continue;
		rte_prefetch0(&sa[i]->h);
		rte_prefetch0(sa[i]->tmpl);
		rte_prefetch0(&sa[i]->stats);
		rte_prefetch0(sa[i]->sess);
		rte_prefetch0(sa[i]->sess + RTE_CACHE_LINE_SIZE);
	}
}

static void esp_runs(struct fp_worker *w, struct rte_mbuf *mb[], struct fp_sa *sa[], uint16_t n,
		     bool in)
{
	struct fp_tx_memo memo = { 0, NULL };
	uint16_t s = 0;

	sa_prefetch(sa, n);
	while (s < n) {
		uint16_t e = s + 1, good;

		while (e < n && sa[e] == sa[s])
			e++;
		good = fp_esp_process(sa[s], &w->eng, mb + s, e - s);
		if (in) {
			for (uint16_t i = s; i < s + good; i++)
				after_in(w, mb[i], &memo);
		} else {
			w->st.esp_out += good;
			if (sa[s]->h.flags & FP_SAF_TUNNEL)
				route_tx_tunnel(w, sa[s], mb + s, good);
			else
				for (uint16_t i = s; i < s + good; i++)
					route_tx(w, mb[i], &memo, TX_OURS);
		}
		for (uint16_t i = s + good; i < e; i++)
			drop(w, mb[i], fp_mbuf_drop_reason(mb[i]));
		note_check(w, sa[s]);
		s = e;
	}
}

static void inbound(struct fp_worker *w, struct rte_mbuf *mb[], const uint32_t spi[], uint16_t n,
		    bool handed)
{
	struct fp_sa *sa[BURST], *rsa[BURST];
	struct rte_mbuf *rm[BURST];
	uint16_t k = 0;

	fp_sad_lookup_in(w->ctrl->sad, spi, n, sa);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = mb[i];
		uint16_t owner;

		if (unlikely(sa[i] == NULL)) {
			drop(w, m, FP_DROP_NO_SA);
			continue;
		}
		owner = fp_sad_ent(sa[i])->owner;
		if (owner != w->cfg.id) {
			/* One writer per replay window: the owner runs it. A
			 * packet already handed off whose SA moved is dropped
			 * rather than bounced again. */
			if (handed) {
				drop(w, m, FP_DROP_NO_SA);
			} else if (rte_ring_mp_enqueue(w->ctrl->handoff[owner], m) != 0) {
				drop(w, m, FP_WD_RING_FULL);
			} else {
				w->st.handoff_out++;
			}
			continue;
		}
		rte_pktmbuf_adj(m, ETH_LEN);
		rm[k] = m;
		rsa[k++] = sa[i];
	}
	esp_runs(w, rm, rsa, k, true);
}

/* A PROTECT result whose slot holds no SA: a trap's slot (its first
 * packets: an acquire for the control core, one per trap and interval,
 * whichever worker wins the swap), or an SA not installed yet or gone. */
static void no_out_sa(struct fp_worker *w, struct rte_mbuf *m, uint32_t slot)
{
	struct fp_sad_out *o = &w->ctrl->out[slot];
	uint32_t id = __atomic_load_n(&o->trap, __ATOMIC_RELAXED);
	uint64_t now, last;

	if (id == 0) {
		drop(w, m, FP_DROP_NO_SA);
		return;
	}
	drop(w, m, FP_WD_TRAP);
	now = rte_get_tsc_cycles();
	last = __atomic_load_n(&o->acq_tsc, __ATOMIC_RELAXED);
	if (now - last < w->ctrl->acq_interval ||
	    !__atomic_compare_exchange_n(&o->acq_tsc, &last, now, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return;
	if (rte_ring_mp_enqueue_elem(w->ctrl->acq, &id, sizeof(id)) == 0)
		w->st.acquires++;
	else
		w->st.acquires_lost++;
}

/* A packet no policy protects, routed into a tunnel interface (a
 * route-based tunnel: ctrl_core.h, fp_ctrl_if_*): protected by the SA the
 * interface sends with, like a PROTECT result. false: its route is none. */
static bool tunnel_route(struct fp_worker *w, struct rte_mbuf *m, struct fp_tx_memo *memo,
			 struct rte_mbuf *pm[], struct fp_sa *psa[], uint16_t *np)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_LEN);
	const struct fp_nexthop *nh = fp_tx_route_any(&w->tx, ip, memo);
	struct fp_sa *sa;

	if (likely(!fp_nh_is_tunnel(nh)))
		return false;
	sa = fp_sad_get_out(w->ctrl->out, nh->tun_slot);
	if (unlikely(sa == NULL)) {
		drop(w, m, FP_DROP_NO_SA);
		return true;
	}
	rte_pktmbuf_adj(m, ETH_LEN);
	pm[*np] = m;
	psa[(*np)++] = sa;
	return true;
}

/* SPD results to actions; PROTECT packets go to their SA's run. */
static void outbound(struct fp_worker *w, struct rte_mbuf *mb[], const uint32_t res[], uint16_t n,
		     struct rte_mbuf *pm[], struct fp_sa *psa[], uint16_t *np)
{
	struct fp_tx_memo memo = { 0, NULL };

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = mb[i];
		struct fp_sa *sa;

		switch (fp_spd_action(res[i])) {
		case FP_SPD_NONE:
		case FP_SPD_TRAP: /* never a result (spd.h) */
			if (!tunnel_route(w, m, &memo, pm, psa, np))
				drop(w, m, FP_WD_NO_POLICY);
			break;
		case FP_SPD_DISCARD: drop(w, m, FP_WD_DISCARD); break;
		case FP_SPD_BYPASS:
			if (unlikely(w->icmp_tunnel_only)) {
				drop(w, m, FP_WD_NO_POLICY);
				break;
			}
			if (tunnel_route(w, m, &memo, pm, psa, np))
				break;
			w->st.bypass++;
			rte_pktmbuf_adj(m, ETH_LEN);
			route_tx(w, m, &memo, TX_FORWARDED);
			break;
		case FP_SPD_PROTECT:
			sa = fp_sad_get_out(w->ctrl->out, fp_spd_slot(res[i]));
			if (unlikely(sa == NULL)) {
				no_out_sa(w, m, fp_spd_slot(res[i]));
				break;
			}
			rte_pktmbuf_adj(m, ETH_LEN);
			pm[*np] = m;
			psa[(*np)++] = sa;
			break;
		}
	}
}

/* Each frame's first line, loaded before process() reads it (the callers
 * do it as early as they can). A load, not a prefetch: process() still
 * stalled on lines prefetched a loop earlier, and reading the ethertype
 * here instead ran faster; a write prefetch was no better than a read
 * prefetch (measured: perf/fastpath_results.md). The loads are
 * independent, so they overlap; the empty asm keeps them. */
static inline void load_first_lines(struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t x = 0;

	/* The mbufs first, all at once: each frame's address is read from its
	 * mbuf, so the loads below would wait on that miss, then the frame's
	 * (measured: perf/fastpath_results.md). */
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(pkts[i]);
	for (uint16_t i = 0; i < n; i++)
		if (likely(pkts[i]->data_len >= 14)) /* not past a short frame's buffer */
			x ^= rd16(rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *, 12));
	asm volatile("" : : "r"(x));
}

/* ---- reassembly ---- */

/* Fragments rte_ip_frag gave up on (expired, evicted, overlapping,
 * duplicate) wait on the death row; they are counted as `frag` here. */
static void death_row_flush(struct fp_worker *w)
{
	if (w->dr.cnt == 0)
		return;
	/* Counted per fragment: a datagram that failed once put together
	 * waits there as one chain. */
	for (uint32_t i = 0; i < w->dr.cnt; i++)
		w->st.drops[FP_WD_FRAG] += w->dr.row[i]->nb_segs;
	rte_ip_frag_free_death_row(&w->dr, 0);
}

/* punt() for such a chain, while fewer than FP_PUNT_CHAINS wait: beyond,
 * the control core is behind and it is dropped as ring_full. */
static void punt_chain(struct fp_worker *w, struct rte_mbuf *m)
{
	uint32_t *n = &w->ctrl->punt_chains;

	if (__atomic_add_fetch(n, 1, __ATOMIC_RELAXED) > FP_PUNT_CHAINS ||
	    rte_ring_mp_enqueue(w->ctrl->punt, m) != 0) {
		__atomic_sub_fetch(n, 1, __ATOMIC_RELAXED);
		drop(w, m, FP_WD_RING_FULL);
		return;
	}
	w->st.punt++;
}

/* A reassembled datagram to us in more than one segment (headers in the
 * first): true when to_us() would punt it whole. A Fragment header inside
 * (IPv6) is not: see frags_in(). */
static bool chain_for_control(const struct fp_worker *w, const struct rte_mbuf *m)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_LEN);
	uint32_t first = m->data_len - ETH_LEN, hl, spi;
	uint8_t proto, l4[12];
	const uint8_t *p;
	unsigned r = 0;

	if ((ip[0] >> 4) == 4) {
		hl = (ip[0] & 0xfu) * 4u;
		proto = ip[9];
	} else {
		hl = 40;
		proto = ip[6];
		if (proto == 44)
			return false;
	}
	if (first < hl)
		return false;
	/* The UDP header and the marker may end in the second segment:
	 * rte_pktmbuf_read() copies them then, else points into the first. */
	p = rte_pktmbuf_read(m, ETH_LEN + hl, sizeof(l4), l4);
	return p != NULL && to_us(&w->dp->local, proto, p, sizeof(l4), &spi, &r) == C_PUNT;
}

/* Fragments addressed to the gateway (Ethernet frames, IP header checked
 * by classify4/6): into the reassembly table; the datagrams they complete
 * go through process() again, as if received whole. */
static void frags_in(struct fp_worker *w, struct rte_mbuf **fm, uint16_t nf)
{
	struct rte_mbuf *done[BURST];
	uint64_t now = rte_rdtsc();
	uint16_t nd = 0;

	w->st.frag_in += nf;
	w->frag_seen = true;
	for (uint16_t i = 0; i < nf; i++) {
		struct rte_mbuf *m = fm[i], *r;
		uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_LEN);

		if (w->frag == NULL) {
			drop(w, m, FP_WD_FRAG);
			continue;
		}
		m->l2_len = ETH_LEN;
		if ((ip[0] >> 4) == 4) {
			uint32_t hl = (ip[0] & 0xfu) * 4u;

			if (fp_frag4_check(ip, hl, rd16(ip + 2)) != 0) {
				drop(w, m, FP_WD_FRAG);
				continue;
			}
			m->l3_len = hl;
			r = rte_ipv4_frag_reassemble_packet(w->frag, &w->dr, m, now,
							    (struct rte_ipv4_hdr *)ip);
		} else if ((rd16(ip + 42) & 0xfff9) == 0) {
			fp_frag6_unfrag(m, ETH_LEN); /* atomic: whole already */
			r = m;
		} else {
			if (fp_frag6_check(ip, rd16(ip + 4)) != 0) {
				drop(w, m, FP_WD_FRAG);
				continue;
			}
			m->l3_len = 40 + 8;
			r = rte_ipv6_frag_reassemble_packet(
				w->frag, &w->dr, m, now, (struct rte_ipv6_hdr *)ip,
				(struct rte_ipv6_fragment_ext *)(ip + 40));
		}
		/* One call puts at most a whole datagram on the death row. */
		if (w->dr.cnt > RTE_IP_FRAG_DEATH_ROW_MBUF_LEN - (RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1))
			death_row_flush(w);
		if (r == NULL)
			continue;
		if (fp_reasm_finish(r) != 0) {
			/* Larger than one mbuf. IKE messages (a big IKE_SA_INIT
			 * from a peer without RFC 7383) and anything else the
			 * control core takes go to it as a chain; ESP cannot be
			 * processed so: dropped, each of its fragments counted. */
			if (chain_for_control(w, r)) {
				w->st.reassembled++;
				punt_chain(w, r);
				continue;
			}
			w->st.drops[FP_WD_FRAG] += r->nb_segs - 1u;
			drop(w, r, FP_WD_FRAG);
			continue;
		}
		/* A fragment inside a fragment (RFC 8200 allows one Fragment
		 * header): not taken apart again, so a crafted datagram cannot
		 * make process() and this function call each other deeply. */
		ip = rte_pktmbuf_mtod_offset(r, uint8_t *, ETH_LEN);
		if ((ip[0] >> 4) == 6 && ip[6] == 44) {
			drop(w, r, FP_WD_FRAG);
			continue;
		}
		w->st.reassembled++;
		done[nd++] = r;
	}
	death_row_flush(w);
	if (nd != 0) {
		w->in_reasm = true;
		process(w, done, nd, false);
		w->in_reasm = false;
	}
}

/* Returns the bytes of the n packets (counted where each mbuf is read
 * anyway, rather than in a pass of its own). */
static uint64_t process(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n, bool handed)
{
	uint64_t rxb = 0;
	struct rte_mbuf *im[BURST], *m4[BURST], *m6[BURST], *pm[BURST], *fm[BURST];
	struct fp_sa *psa[BURST];
	uint32_t spi[BURST], r4[BURST], r6[BURST];
	struct fp_spd_key4 k4[BURST];
	struct fp_spd_key6 k6[BURST];
	const struct fp_spd_key4 *k4p[BURST];
	const struct fp_spd_key6 *k6p[BURST];
	const struct fp_spd *spd;
	uint16_t ni = 0, n4 = 0, n6 = 0, np = 0, nf = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t len = m->data_len;
		unsigned r = FP_WD_NOT_IP;
		enum cls c = C_DROP;
		uint16_t et;

		rxb += m->pkt_len;

		if (likely(len >= ETH_LEN && m->nb_segs == 1)) {
			et = rd16(eth + 12);
			if (et == RTE_ETHER_TYPE_IPV4)
				c = classify4(w, eth + ETH_LEN, len - ETH_LEN, &spi[ni], &k4[n4],
					      &r);
			else if (et == RTE_ETHER_TYPE_IPV6)
				c = classify6(w, eth + ETH_LEN, len - ETH_LEN, &spi[ni], &k6[n6],
					      &r);
			else if (et == RTE_ETHER_TYPE_ARP)
				c = C_NEIGH;
		}
		switch (c) {
		case C_DROP: drop(w, m, r); break;
		case C_PUNT: punt(w, m); break;
		case C_IN:
			/* The ICV, the frame's last 16 bytes, is read before
			 * the decryption; its lines come from whoever wrote
			 * the frame. Asked for now, a SAD lookup ahead of the
			 * ESP layer's own prefetch (measured:
			 * perf/fastpath_results.md). */
			rte_prefetch0(eth + len - 16);
			rte_prefetch0(eth + len - 1);
			if (len <= FP_PREFETCH_SHORT || len > FP_PREFETCH_LONG)
				fp_prefetch_mid_lines(eth, len);
			im[ni++] = m;
			break;
		case C_OUT4:
			/* Where ESP's trailer will go, to be written
			 * (measured: perf/fastpath_results.md). */
			__builtin_prefetch(eth + len + 15, 1, 3);
			k4p[n4] = &k4[n4];
			m4[n4++] = m;
			break;
		case C_OUT6:
			k6p[n6] = &k6[n6];
			m6[n6++] = m;
			break;
		case C_FRAG: fm[nf++] = m; break;
		case C_NEIGH:
			/* A request for one of our addresses is answered
			 * here, on the port it came in on (not one that came
			 * in fragments: RFC 6980 5); the rest of ARP and ND
			 * goes to the control core. */
			if (!w->in_reasm && m->port < FP_MAX_PORTS &&
			    fp_neigh_answer(m, &w->dp->local, &w->dp->mac[m->port])) {
				w->st.neigh_replies++;
				tx_enqueue(w, m->port, m);
			} else {
				punt(w, m);
			}
			break;
		}
	}
	if (ni != 0)
		inbound(w, im, spi, ni, handed);
	if (unlikely(nf != 0))
		frags_in(w, fm, nf);
	if (n4 + n6 == 0)
		return rxb;
	spd = fp_ctrl_spd(w->ctrl);
	fp_spd_classify4(spd, k4p, r4, n4);
	fp_spd_classify6(spd, k6p, r6, n6);
	outbound(w, m4, r4, n4, pm, psa, &np);
	outbound(w, m6, r6, n6, pm, psa, &np);
	esp_runs(w, pm, psa, np, false);
	return rxb;
}

/* ---- loop ---- */

#ifdef FP_AB
#include <stdio.h>

#include <rte_cycles.h>

/* In-process A/B of a change (perf/ab.sh, a build with -DFP_AB): code
 * under test reads fp_ab_mode, which flips every 2^26 TSC cycles (26 ms
 * at 2.6 GHz), so the host's slow and fast phases, which last seconds on
 * the shared machines, fall on both variants alike. Packets received and
 * cycles are counted per mode and reported when the worker stops; one
 * worker only. Its noise floor against separate runs (measured:
 * perf/fastpath_results.md). */
unsigned fp_ab_mode;
static uint64_t ab_pkts[2], ab_cyc[2], ab_t0;

static void ab_tick(void)
{
	uint64_t now = rte_rdtsc();

	if (ab_t0 != 0)
		ab_cyc[fp_ab_mode] += now - ab_t0;
	ab_t0 = now;
	fp_ab_mode = (unsigned)(now >> 26) & 1;
}

static void ab_report(void)
{
	double hz = (double)rte_get_tsc_hz();
	double r0 = ab_cyc[0] ? (double)ab_pkts[0] / ((double)ab_cyc[0] / hz) : 0;
	double r1 = ab_cyc[1] ? (double)ab_pkts[1] / ((double)ab_cyc[1] / hz) : 0;

	printf("fp_ab: mode0 %.3f Mpps mode1 %.3f Mpps ratio %.4f\n", r0 / 1e6, r1 / 1e6,
	       r0 > 0 ? r1 / r0 : 0);
	fflush(stdout);
}
#define AB_TICK()   ab_tick()
#define AB_COUNT(n) (ab_pkts[fp_ab_mode] += (n))
#define AB_REPORT() ab_report()
#else
#define AB_TICK() \
	do {      \
	} while (0)
#define AB_COUNT(n) \
	do {        \
	} while (0)
#define AB_REPORT() \
	do {        \
	} while (0)
#endif

void fp_worker_input(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	while (n > 0) {
		uint16_t k = n < BURST ? n : BURST;

		w->st.rx += k;
		load_first_lines(pkts, k);
		process(w, pkts, k, false);
		pkts += k;
		n -= k;
	}
	tx_flush_all(w);
}

/* Processes what the previous loop received on RX queue q. */
static unsigned run_held(struct fp_worker *w, unsigned q)
{
	uint16_t n = w->nheld[q];

	if (n != 0) {
		w->nheld[q] = 0;
		w->st.port[w->cfg.rxq[q].port].rx_bytes += process(w, w->held[q], n, false);
	}
	return n;
}

unsigned fp_worker_poll(struct fp_worker *w)
{
	struct rte_mbuf *pkts[FP_RX_BURST_MAX];
	unsigned total, got = 0;
	uint16_t n;

	AB_TICK();
	n = (uint16_t)rte_ring_sc_dequeue_burst(w->ctrl->handoff[w->cfg.id], (void **)pkts,
						FP_RX_BURST_MAX, NULL);
	if (n != 0) {
		w->st.handoff_in += n;
		load_first_lines(pkts, n);
		process(w, pkts, n, true);
	}
	total = n;
	/* A burst is processed one loop after it is received: its mbufs and
	 * first lines were written by another agent (a NIC's DMA, the bench's
	 * generator on another core) and are misses here; loaded at
	 * receipt, they arrive while the previous burst is encrypted instead
	 * of stalling this one's classification (measured:
	 * perf/fastpath_results.md). A burst waits at most one loop: when
	 * nothing new comes, the held one still goes. */
	for (unsigned q = 0; q < w->cfg.n_rxq; q++) {
		uint16_t port = w->cfg.rxq[q].port;

		n = rte_eth_rx_burst(port, w->cfg.rxq[q].queue, pkts, w->cfg.rx_burst);
		load_first_lines(pkts, n);
		total += run_held(w, q);
		if (n == 0)
			continue;
		got += n;
		w->st.rx += n;
		AB_COUNT(n);
		w->st.port[port].rx += n;
		memcpy(w->held[q], pkts, n * sizeof(pkts[0]));
		w->nheld[q] = n;
	}
	tx_flush_all(w);
	/* Datagrams whose fragments stopped coming: every 1024 loops once a
	 * fragment was seen (a table lookup also clears its own bucket). */
	if (unlikely(w->frag_seen) && (w->st.loops & 1023) == 0 && w->frag != NULL) {
		rte_ip_frag_table_del_expired_entries(w->frag, &w->dr, rte_rdtsc());
		death_row_flush(w);
	}
	/* Nothing read from the tables in this iteration is kept (held
	 * packets are not classified yet). */
	rte_rcu_qsbr_quiescent(w->ctrl->rcu, w->cfg.id);
	w->st.loops++;
	if (total + got == 0) /* nothing processed, nothing taken in */
		w->st.idle_loops++;
	return total;
}

int fp_worker_run(void *arg)
{
	struct fp_worker *w = arg;

	if (fp_ctrl_worker_join(w->ctrl, w->cfg.id, w) != 0)
		return -1;
	while (!__atomic_load_n(&w->quit, __ATOMIC_RELAXED))
		fp_worker_poll(w);
	for (unsigned q = 0; q < w->cfg.n_rxq; q++)
		run_held(w, q);
	tx_flush_all(w);
	fp_ctrl_worker_leave(w->ctrl, w->cfg.id);
	AB_REPORT();
	return 0;
}

void fp_worker_stop(struct fp_worker *w)
{
	__atomic_store_n(&w->quit, 1, __ATOMIC_RELAXED);
}

struct fp_worker *fp_worker_create(const struct fp_worker_cfg *cfg)
{
	struct fp_worker *w;

	if (cfg->id >= fp_ctrl_n_workers(cfg->dp->ctrl) || cfg->n_rxq > FP_MAX_RXQ ||
	    cfg->rx_burst > FP_RX_BURST_MAX)
		return NULL;
	w = rte_zmalloc_socket("fp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, cfg->socket);
	if (w == NULL)
		return NULL;
	w->cfg = *cfg;
	if (w->cfg.rx_burst == 0)
		w->cfg.rx_burst = FP_RX_BURST;
	/* Identifications: this worker's sequence, disjoint from the other
	 * workers' and the control core's (frag.h). */
	fp_tx_init(&w->tx, cfg->dp, cfg->id, fp_ctrl_n_workers(cfg->dp->ctrl) + 1, 0);
	if (cfg->reasm_max != 0) {
		uint32_t ms = cfg->reasm_timeout_ms ? cfg->reasm_timeout_ms : FP_REASM_TIMEOUT_MS;
		uint64_t cyc = rte_get_tsc_hz() / 1000 * ms;

		/* 8-way buckets; rte_ip_frag doubles them again for its two
		 * hash functions: four entries for each datagram asked for,
		 * so a full bucket rarely refuses one while others have room
		 * (about 256 bytes each). */
		w->frag = rte_ip_frag_table_create((cfg->reasm_max + 3) / 4, 8, cfg->reasm_max, cyc,
						   cfg->socket);
		if (w->frag == NULL) {
			rte_free(w);
			return NULL;
		}
	}
	w->dp = cfg->dp;
	w->ctrl = cfg->dp->ctrl;
	/* Worker i drives queue pair i of a crypto device: a queue pair has
	 * no locks, so it must have one user. */
	if (fp_crypto_engine_init_qp(&w->eng, w->ctrl->be, cfg->id) != 0) {
		if (w->frag != NULL)
			rte_ip_frag_table_destroy(w->frag);
		rte_free(w);
		return NULL;
	}
	w->ctrl->workers[cfg->id] = w;
	return w;
}

void fp_worker_free(struct fp_worker *w)
{
	if (w == NULL)
		return;
	if (w->ctrl->workers[w->cfg.id] == w)
		w->ctrl->workers[w->cfg.id] = NULL;
	fp_crypto_engine_fini(&w->eng);
	rte_ip_frag_free_death_row(&w->dr, 0);
	if (w->frag != NULL)
		rte_ip_frag_table_destroy(w->frag);
	rte_free(w);
}

const struct fp_worker_stats *fp_worker_stats(const struct fp_worker *w)
{
	return &w->st;
}

void fp_worker_crypto_stats(const struct fp_worker *w, struct fp_crypto_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (w->eng.be->stats != NULL)
		w->eng.be->stats(w->eng.ctx, out);
}
