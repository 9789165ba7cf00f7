/* SPDX-License-Identifier: BSD-3-Clause */
/* The control core's host stack: its buffers, its TX queue, sending UDP
 * and echo replies. See host.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "fastpath/bytes.h"
#include "fastpath/ctrl_core.h"
#include "fastpath/host.h"
#include "fastpath/tx.h"

/* What we send is built in mbufs of our own pool, one segment each:
 * strongSwan sends IKE messages of 10,000 bytes at most
 * (charon.max_packet), and an IKE_AUTH with a certificate chain fits well
 * below this room. */
#define HOST_MBUF_ROOM (16384u + RTE_PKTMBUF_HEADROOM)
/* Drivers such as i40e or virtio free sent mbufs only when their ring runs
 * low: the control core's queue is short and the pool holds more than a
 * few such rings; on exhaustion the queues are asked to give back what
 * they sent (rte_eth_tx_done_cleanup). */
#define HOST_MBUFS 511u
#define FRAME_BUF  65536u

struct fp_host {
	const struct fp_dp *dp;
	/* The way out; identifications of the control core's sequence, the
	 * last (frag.h): every IPv4 datagram takes one, since with DF clear
	 * a router may fragment it; IPv6 only when we fragment. */
	struct fp_tx tx;
	struct rte_mempool *pool;
	uint16_t txq;
	uint16_t tx_ports[FP_MAX_PORTS];
	unsigned n_tx_ports;
	uint64_t echo_t0; /* this second's start, and its replies */
	unsigned echo_n;
	uint8_t frame[FRAME_BUF]; /* a punted frame in more than one segment */
	uint8_t reply[FRAME_BUF]; /* an echo reply, built before a buffer is taken */
};

struct fp_host *fp_host_create(const struct fp_host_cfg *c, char *err, size_t errlen)
{
	struct fp_host *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->dp = c->dp;
	h->txq = c->txq;
	for (unsigned i = 0; i < c->n_ports && i < FP_MAX_PORTS; i++)
		h->tx_ports[h->n_tx_ports++] = c->ports[i];
	fp_tx_init(&h->tx, c->dp, c->n_workers, c->n_workers + 1, (uint32_t)rte_rand());
	h->pool = rte_pktmbuf_pool_create("fp_host_mbufs", HOST_MBUFS, 0, 0, HOST_MBUF_ROOM,
					  c->socket);
	if (h->pool == NULL) {
		snprintf(err, errlen, "cannot create the IKE mbuf pool");
		free(h);
		return NULL;
	}
	return h;
}

void fp_host_free(struct fp_host *h)
{
	if (h == NULL)
		return;
	rte_mempool_free(h->pool);
	free(h);
}

const uint8_t *fp_host_frame(struct fp_host *h, const struct rte_mbuf *m, size_t *len)
{
	*len = RTE_MIN(m->pkt_len, FRAME_BUF);
	return rte_pktmbuf_read(m, 0, (uint32_t)*len, h->frame);
}

/* A buffer of our pool; on exhaustion the queues are asked first to give
 * back what they sent. */
static struct rte_mbuf *host_alloc(struct fp_host *h)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->pool);

	if (m == NULL) {
		for (unsigned i = 0; i < h->n_tx_ports; i++)
			rte_eth_tx_done_cleanup(h->tx_ports[i], h->txq, 0);
		m = rte_pktmbuf_alloc(h->pool);
	}
	return m;
}

static const char *tx_why(int n)
{
	switch (-n) {
	case FP_WD_NO_ROUTE: return "no route to the peer in fastpath.routes";
	case FP_WD_NO_MBUF: return "no mbuf for fragments";
	case FP_WD_MTU: return "more fragments than allowed";
	case FP_WD_UNRESOLVED: return "next hop unresolved and its queue full";
	default: return "no headroom for Ethernet";
	}
}

/* Sends IP packet m (one segment, data at its IP header) from the control
 * core's queue (tx.h). An IPv4 packet keeps the identification it has,
 * ours already; an IPv6 one takes one if fragmented. m is consumed. */
/* The k frames of one packet on port's control-core TX queue; what the
 * queue did not take is freed. */
static const char *burst_out(struct fp_host *h, uint16_t port, struct rte_mbuf **pk, int k)
{
	uint16_t sent = rte_eth_tx_burst(port, h->txq, pk, (uint16_t)k);

	if (sent < k) {
		rte_pktmbuf_free_bulk(pk + sent, (unsigned)(k - sent));
		return "TX queue full";
	}
	return NULL;
}

static const char *send_ip(struct fp_host *h, struct rte_mbuf *m, struct fp_host_sent *s)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	const bool v6 = (ip[0] >> 4) == 6;
	const struct fp_nexthop *nh = fp_tx_lookup(&h->tx, v6, ip + (v6 ? 24 : 16));
	const uint16_t et = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	struct rte_mbuf *pk[FP_FRAG_MAX];
	int k = fp_tx_frames(&h->tx, m, nh, et, v6 ? FP_TX_NEW_ID : FP_TX_KEEP_ID, pk);
	const char *why;

	/* It waits for its next hop's MAC with the workers' (nbr.h). */
	if (k == -FP_WD_UNRESOLVED && fp_routes_unresolved(h->dp->routes, nh, m, true)) {
		s->frames = 1;
		s->port = nh->port;
		return NULL;
	}
	if (k < 0) {
		rte_pktmbuf_free(m);
		return tx_why(k);
	}
	if ((why = burst_out(h, nh->port, pk, k)) != NULL)
		return why;
	s->frames = k;
	s->port = nh->port;
	return NULL;
}

const char *fp_host_send_udp(struct fp_host *h, const struct fp_host_addr *local,
			     const struct fp_host_addr *remote, const uint8_t *pl, size_t len,
			     struct fp_host_sent *s)
{
	struct rte_mbuf *m = host_alloc(h);
	size_t n;

	if (m == NULL)
		return "no mbuf";
	n = fp_host_build_udp(local, remote, pl, len, fp_tx_id4(&h->tx),
			      rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m));
	if (n == 0) {
		rte_pktmbuf_free(m);
		return local->family != remote->family ? "local and remote address families differ"
						       : "larger than an IKE buffer (16 KiB)";
	}
	rte_pktmbuf_append(m, (uint16_t)n);
	return send_ip(h, m, s);
}

/* FP_HOST_ECHO_PER_S a second: whether one more may go now. */
static bool echo_rate(struct fp_host *h, uint64_t now_ms)
{
	if (now_ms - h->echo_t0 >= 1000) {
		h->echo_t0 = now_ms;
		h->echo_n = 0;
	}
	return h->echo_n < FP_HOST_ECHO_PER_S;
}

/* The SPD decides like for any packet we send (RFC 4301 5.1): a reply
 * that a policy protects or discards does not leave in clear. NULL: it
 * may leave. */
static const char *echo_spd(const struct fp_host *h, uint8_t family, const uint8_t *dst)
{
	enum fp_spd_action a = fp_ctrl_spd_lookup(h->dp->ctrl, family,
						  family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
						  h->reply + (family == 4 ? 12 : 8), dst, 0, 0);

	if (a == FP_SPD_PROTECT)
		return "the SPD protects it";
	return a == FP_SPD_DISCARD ? "the SPD discards it" : NULL;
}

/* An IPv4 reply takes an identification of ours (frag.h). */
static void echo_id4(struct fp_host *h)
{
	uint16_t c;

	wr16(h->reply + 4, fp_tx_id4(&h->tx));
	h->reply[10] = h->reply[11] = 0;
	c = (uint16_t)~rte_raw_cksum(h->reply, 20);
	memcpy(h->reply + 10, &c, 2);
}

int fp_host_echo(struct fp_host *h, const uint8_t *f, size_t len, uint64_t now_ms, const char **why)
{
	static const uint8_t zero_mac[6];
	struct fp_host_sent s;
	uint8_t family, dst[16];
	struct rte_mbuf *m;
	size_t n;

	*why = NULL;
	/* One that came out of a tunnel (the workers give decrypted packets
	 * for us a zero Ethernet header) is not answered: the reply would
	 * leave in clear by route, carrying what arrived encrypted. */
	if (len <= FP_TX_ETH_LEN || memcmp(f + 6, zero_mac, 6) == 0)
		return 0;
	n = fp_host_echo_reply(f + FP_TX_ETH_LEN, len - FP_TX_ETH_LEN, &h->dp->local, h->reply,
			       sizeof(h->reply), &family, dst);
	if (n == 0 || !echo_rate(h, now_ms))
		return 0;
	if ((*why = echo_spd(h, family, dst)) != NULL)
		return -1;
	if (family == 4)
		echo_id4(h);
	if (n > HOST_MBUF_ROOM - RTE_PKTMBUF_HEADROOM || (m = host_alloc(h)) == NULL)
		return 0;
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), h->reply, n);
	h->echo_n++;
	*why = send_ip(h, m, &s);
	return *why == NULL ? 1 : -1;
}

const char *fp_host_send_frame(struct fp_host *h, uint16_t port, const uint8_t *f, size_t len)
{
	struct rte_mbuf *m = host_alloc(h);
	uint8_t *p;

	if (m == NULL)
		return "no mbuf";
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return "frame too large";
	}
	memcpy(p, f, len);
	if (rte_eth_tx_burst(port, h->txq, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return "TX queue full";
	}
	return NULL;
}

const char *fp_host_send_waiting(struct fp_host *h, struct rte_mbuf *m, const struct fp_nexthop *nh,
				 bool ours)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	const bool v6 = (ip[0] >> 4) == 6;
	const uint16_t et = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	struct rte_mbuf *pk[FP_FRAG_MAX];
	int k = fp_tx_frames(&h->tx, m, nh, et, ours ? FP_TX_NEW_ID : FP_TX_KEEP_ID, pk);

	if (k < 0) {
		rte_pktmbuf_free(m);
		return tx_why(k);
	}
	return burst_out(h, nh->port, pk, k);
}
