/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker (fastpath/worker.c) on gateways wired together through
 * net_ring ports: one worker end to end (punts, bypass, discard, TTL, no
 * route ...), polling and RX bursts, the neighbour answers (ARP, NS), then
 * two workers on one SA, proving unique outbound sequence numbers and
 * correct inbound replay checks with several workers, while SAs of other
 * traffic are installed and removed. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "fastpath/ctrl_core_priv.h"
#include "tests/unit/fastpath/fp_test.h"

/* One worker each, driven from this thread: A encrypts, B decrypts. */
static void test_worker_end_to_end(void)
{
	struct fpt_gw a, b;
	struct fp_sa_params p;
	struct fp_spd_rule r[3];
	struct rte_mbuf *mb[64];
	char err[128];
	unsigned n;

	FPT_SETUP();
	fpt_gw_init(&a, "gwa", "192.0.2.1", 1);
	fpt_gw_init(&b, "gwb", "192.0.2.2", 1);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(a.c, 0, a.w[0]) == 0);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(b.c, 0, b.w[0]) == 0);
	fpt_gcm(&p, FP_DIR_OUT, 0x7001, true);
	fpt_add_sa(a.c, &p);
	fpt_gcm(&p, FP_DIR_IN, 0x7001, false);
	p.n_sel = 1; /* inner policy: 198.51.100/24 -> 203.0.113/24 */
	p.sel[0].family = 4;
	fpt_ip4("198.51.100.0", p.sel[0].src_lo);
	fpt_ip4("198.51.100.255", p.sel[0].src_hi);
	fpt_ip4("203.0.113.0", p.sel[0].dst_lo);
	fpt_ip4("203.0.113.255", p.sel[0].dst_hi);
	p.sel[0].sport_hi = p.sel[0].dport_hi = 65535;
	fpt_add_sa(b.c, &p);
	fpt_rule4(&r[0], "198.51.100.0", "198.51.100.255", "203.0.113.0", "203.0.113.255",
		  FP_SPD_PROTECT, 0x7001);
	fpt_rule4_from(&r[1], "198.51.100.9", FP_SPD_DISCARD, 0);
	fpt_rule4_from(&r[2], "198.51.100.10", FP_SPD_BYPASS, 0);
	/* discard/bypass for .9/.10 must come first: order is priority. */
	struct fp_spd_rule ord[3] = { r[1], r[2], r[0] };
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, ord, 3, err, sizeof(err)) == 0);

	/* 10 protected packets, then one each: discard, bypass, no policy,
	 * TTL 1, and a protected one whose SA is not installed yet. */
	for (uint32_t i = 0; i < 10; i++)
		mb[i] = fpt_udp_pkt("198.51.100.1", "203.0.113.5", 1000, 2000, i, 64, 100);
	mb[10] = fpt_udp_pkt("198.51.100.9", "203.0.113.5", 1, 2, 0, 64, 10);
	mb[11] = fpt_udp_pkt("198.51.100.10", "203.0.113.5", 1, 2, 0, 64, 10);
	mb[12] = fpt_udp_pkt("198.51.100.11", "192.0.2.77", 1, 2, 0, 64, 10);
	mb[13] = fpt_udp_pkt("198.51.100.1", "203.0.113.5", 1, 2, 0, 1, 10);
	fp_worker_input(a.w[0], mb, 14);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_DISCARD), 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_NO_POLICY), 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_TTL), 1);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->bypass, 1);
	n = fpt_ring_take(a.tx[0][0], mb, 64); /* bypass goes to the plaintext side */
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free_bulk(mb, n);
	n = fpt_ring_take(a.tx[1][0], mb, 64); /* ESP to the peer */
	CU_ASSERT_EQUAL_FATAL(n, 10);
	CU_ASSERT_EQUAL(rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14 + 9)[0], 50);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->port[a.port[1]].tx, 10);

	/* To B, duplicating packet 3 and adding a packet with an unknown SPI,
	 * an IKE packet, an NAT-T IKE packet (non-ESP marker) and ARP. */
	mb[10] = rte_pktmbuf_copy(mb[3], fpt_pool, 0, UINT32_MAX);
	mb[11] = rte_pktmbuf_copy(mb[4], fpt_pool, 0, UINT32_MAX);
	rte_pktmbuf_mtod_offset(mb[11], uint8_t *, 14 + 20)[3] ^= 1; /* SPI */
	mb[12] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 500, 500, 0, 64, 40);
	mb[13] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 4500, 4500, 0, 64, 40); /* marker 0 */
	mb[14] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 1, 0, 64, 4);
	rte_pktmbuf_mtod(mb[14], uint8_t *)[12] = 0x08;
	rte_pktmbuf_mtod(mb[14], uint8_t *)[13] = 0x06;                 /* ARP */
	mb[15] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 7, 9, 0, 64, 4); /* to us */
	fp_worker_input(b.w[0], mb, 16);
	n = fpt_ring_take(b.tx[0][0], mb, 64);
	CU_ASSERT_EQUAL(n, 10);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14);

		CU_ASSERT_EQUAL(ip[8], 62);         /* TTL: A and B */
		CU_ASSERT_EQUAL(ip[20 + 8 + 3], i); /* ids in order */
		CU_ASSERT_EQUAL(mb[i]->pkt_len, 14u + 20 + 8 + 100);
	}
	rte_pktmbuf_free_bulk(mb, n);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_DROP_REPLAY), 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_DROP_NO_SA), 1);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->punt, 4);
	CU_ASSERT_EQUAL(fp_ctrl_poll(b.c), 4); /* punts drained */
	struct fp_ctrl_stats cs;
	fp_ctrl_get_stats(b.c, &cs);
	CU_ASSERT_EQUAL(cs.punted, 4);

	/* No route: a bypass to an address with no route. */
	fpt_rule4(&r[0], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255", FP_SPD_BYPASS,
		  0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 1, err, sizeof(err)) == 0);
	mb[0] = fpt_udp_pkt("198.51.100.1", "100.64.0.1", 1, 2, 0, 64, 10);
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_NO_ROUTE), 1);

	/* Tunnel-mode runs are routed once, by the SA's peer: an IPv6 peer
	 * with no route drops the run; with a route it leaves on that port
	 * as IPv6. */
	fpt_gcm6(&p, FP_DIR_OUT, 0x7002, true);
	fpt_add_sa(a.c, &p);
	fpt_rule4_from(&r[0], "198.51.100.20", FP_SPD_PROTECT, 0x7002);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 1, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < 2; i++)
		mb[i] = fpt_udp_pkt("198.51.100.20", "203.0.113.5", 1, 2, 0, 64, 10);
	fp_worker_input(a.w[0], mb, 2);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_NO_ROUTE), 3);
	struct fp_nh_key nh6 = { .port = a.port[1], .is_static = true };
	uint8_t pfx6[16];
	inet_pton(AF_INET6, "2001:db8::", pfx6);
	CU_ASSERT_FATAL(fp_routes_add(a.routes, 6, pfx6, 32, &nh6) == 0);
	for (unsigned i = 0; i < 2; i++)
		mb[i] = fpt_udp_pkt("198.51.100.20", "203.0.113.5", 1, 2, 0, 64, 10);
	fp_worker_input(a.w[0], mb, 2);
	n = fpt_ring_take(a.tx[1][0], mb, 64);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = rte_pktmbuf_mtod(mb[i], const uint8_t *);

		CU_ASSERT(e[12] == 0x86 && e[13] == 0xdd && (e[14] >> 4) == 6 && e[14 + 6] == 50);
	}
	rte_pktmbuf_free_bulk(mb, n);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_NO_ROUTE), 3);

	fp_ctrl_worker_leave(a.c, 0);
	fp_ctrl_worker_leave(b.c, 0);
	fpt_gw_fini(&a);
	fpt_gw_fini(&b);
}

/* Worker 0 of gateway a joined, everything from 198.51.100.0/24 bypassed. */
static void bypass_lan(struct fpt_gw *a)
{
	struct fp_spd_rule r;
	char err[128];

	CU_ASSERT_FATAL(fp_ctrl_worker_join(a->c, 0, a->w[0]) == 0);
	fpt_rule4(&r, "198.51.100.0", "198.51.100.255", "0.0.0.0", "255.255.255.255", FP_SPD_BYPASS,
		  0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a->c, &r, 1, err, sizeof(err)) == 0);
}

/* n bypassed UDP packets (ids id0..) onto gateway a's LAN RX queue 0. */
static void lan_enqueue(struct fpt_gw *a, unsigned n, uint16_t id0)
{
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_FATAL(rte_ring_enqueue(a->rx[0][0],
						 fpt_udp_pkt("198.51.100.1", "192.0.2.50", 1, 2,
							     (uint16_t)(id0 + i), 64, 10)) == 0);
}

/* One UDP packet from the LAN host to dst through worker 0 of a: what
 * left on the peer side (NULL: nothing). */
static struct rte_mbuf *lan_one(struct fpt_gw *a, const char *dst)
{
	struct rte_mbuf *m = NULL;

	CU_ASSERT_FATAL(rte_ring_enqueue(a->rx[0][0],
					 fpt_udp_pkt("198.51.100.1", dst, 1, 2, 7, 64, 10)) == 0);
	for (int i = 0; i < 4; i++) /* the crypto backend may hand a job back a poll later */
		fp_worker_poll(a->w[0]);
	return fpt_ring_take(a->tx[1][0], &m, 1) ? m : NULL;
}

static uint32_t esp_spi(const struct rte_mbuf *m)
{
	return (uint32_t)fpt_be16at(m, 34) << 16 | fpt_be16at(m, 36); /* Ethernet, IPv4, ESP */
}

/* Route-based tunnels: with no policy, a route into tunnel interface 7
 * protects the packet with the SA bound to the interface; unbound, or
 * its SA gone, such packets are dropped as no_sa; other destinations
 * still meet no policy. */
static void test_worker_route_based(void)
{
	struct fp_nh_key k = { .tunnel = 7 };
	struct fp_sa_params p;
	struct fpt_gw a;
	struct rte_mbuf *m;
	uint8_t pfx[4];
	char err[128];

	FPT_SETUP();
	fpt_gw_init(&a, "gwrb", "192.0.2.1", 1);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(a.c, 0, a.w[0]) == 0);
	fpt_gcm(&p, FP_DIR_OUT, 0x6001, true);
	fpt_add_sa(a.c, &p);
	fpt_gcm(&p, FP_DIR_OUT, 0x6002, true);
	fpt_add_sa(a.c, &p);
	k.tun_slot = (uint32_t)fp_ctrl_if_slot(a.c, 7);
	CU_ASSERT_FATAL(fp_ctrl_if_slot(a.c, 7) == (int)k.tun_slot);
	fpt_ip4("203.0.113.128", pfx);
	CU_ASSERT_FATAL(fp_routes_add(a.routes, 4, pfx, 25, &k) == 0);

	CU_ASSERT_PTR_NULL(lan_one(&a, "203.0.113.200")); /* nothing bound */
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_DROP_NO_SA), 1);
	CU_ASSERT_EQUAL(fp_ctrl_if_bind(a.c, 7, 0x6009, err, sizeof(err)), -ENOENT);
	CU_ASSERT_EQUAL(fp_ctrl_if_bind(a.c, 7, 0x6001, err, sizeof(err)), 0);
	m = lan_one(&a, "203.0.113.200");
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(esp_spi(m), 0x6001);
	rte_pktmbuf_free(m);
	CU_ASSERT_PTR_NULL(lan_one(&a, "203.0.113.5")); /* the LAN side's route: no policy */
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_NO_POLICY), 1);
	/* a rekey moves the interface to the new SA */
	CU_ASSERT_EQUAL(fp_ctrl_if_bind(a.c, 7, 0x6002, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_if_unbind(a.c, 7, 0x6001), -ENOENT);
	m = lan_one(&a, "203.0.113.200");
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(esp_spi(m), 0x6002);
	rte_pktmbuf_free(m);
	/* its SA taken out: the interface follows, sends nothing */
	CU_ASSERT_EQUAL(fp_ctrl_del_sa(a.c, FP_DIR_OUT, 0x6002, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(lan_one(&a, "203.0.113.200"));
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_DROP_NO_SA), 2);
	CU_ASSERT_EQUAL(fp_ctrl_if_bind(a.c, 7, 0x6001, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_if_unbind(a.c, 7, 0x6001), 0);
	CU_ASSERT_PTR_NULL(lan_one(&a, "203.0.113.200"));
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_DROP_NO_SA), 3);
	fp_ctrl_worker_leave(a.c, 0);
	fpt_gw_fini(&a);
}

/* fastpath.rx_burst: a poll takes at most rx_burst packets of a queue. */
static void test_worker_rx_burst(void)
{
	struct fpt_gw a;
	struct rte_mbuf *mb[64];
	const struct fp_worker_stats *st;
	struct fp_worker_cfg wc;
	unsigned out = 0;

	FPT_SETUP();
	fpt_gw_init(&a, "gwr", "192.0.2.1", 1);
	memset(&wc, 0, sizeof(wc));
	wc.dp = &a.dp;
	for (unsigned s = 0; s < 2; s++)
		wc.rxq[s].port = a.port[s];
	wc.n_rxq = 2;
	wc.rx_burst = FP_RX_BURST_MAX + 1;
	CU_ASSERT(fp_worker_create(&wc) == NULL);
	wc.rx_burst = 4;
	fp_worker_free(a.w[0]);
	a.w[0] = fp_worker_create(&wc);
	CU_ASSERT_FATAL(a.w[0] != NULL);
	bypass_lan(&a);
	st = fp_worker_stats(a.w[0]);
	lan_enqueue(&a, 10, 0);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 0);
	CU_ASSERT_EQUAL(st->rx, 4);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 4);
	CU_ASSERT_EQUAL(st->rx, 8);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 4);
	CU_ASSERT_EQUAL(st->rx, 10);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 2);
	out = fpt_ring_take(a.tx[1][0], mb, 64);
	CU_ASSERT_EQUAL(out, 10);
	rte_pktmbuf_free_bulk(mb, out);
	fp_ctrl_worker_leave(a.c, 0);
	fpt_gw_fini(&a);
}

/* An ARP request (op) from 198.51.100.5 / 06:06:..:06 for tpa, received
 * on port. */
static struct rte_mbuf *arp_req(const char *tpa, uint16_t op, uint16_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fpt_pool);
	uint8_t *e, *a;

	if (m == NULL || (e = (uint8_t *)rte_pktmbuf_append(m, 60)) == NULL) /* padded */
		abort(); /* a fresh mbuf from a fpt_pool of 16k */
	memset(e, 0, 60);
	memset(e, 0xff, 6);
	memset(e + 6, 0x06, 6);
	e[12] = 0x08;
	e[13] = 0x06;
	a = e + 14;
	a[1] = 1;
	a[2] = 0x08;
	a[4] = 6;
	a[5] = 4;
	a[7] = (uint8_t)op;
	memset(a + 8, 0x06, 6);
	fpt_ip4("198.51.100.5", a + 14);
	fpt_ip4(tpa, a + 24);
	m->port = port;
	return m;
}

/* A neighbour solicitation for tgt from src (NULL: the unspecified
 * address, as in duplicate address detection) with hop limit hl and a
 * valid checksum unless bad. */
static struct rte_mbuf *ns_req(const char *src, const char *tgt, uint8_t hl, bool bad,
			       uint16_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fpt_pool);
	uint8_t *e, *ip, *ic;
	uint16_t ck;

	if (m == NULL || (e = (uint8_t *)rte_pktmbuf_append(m, 14 + 40 + 24)) == NULL)
		abort();
	memset(e, 0, 14 + 40 + 24);
	e[0] = 0x33;
	e[1] = 0x33;
	e[2] = 0xff;
	memset(e + 6, 0x05, 6);
	e[12] = 0x86;
	e[13] = 0xdd;
	ip = e + 14;
	ic = ip + 40;
	ip[0] = 0x60;
	ip[5] = 24;
	ip[6] = 58;
	ip[7] = hl;
	if (src != NULL)
		inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, "ff02::1:ff00:1", ip + 24);
	ic[0] = 135;
	inet_pton(AF_INET6, tgt, ic + 8);
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &ck, 2);
	if (bad)
		ic[2] ^= 1;
	m->port = port;
	return m;
}

/* The same with an 8-byte option (type, length in 8s) after the target. */
static struct rte_mbuf *ns_opt(const char *src, uint8_t type, uint8_t len8)
{
	struct rte_mbuf *m = ns_req(src, "2001:db8::1", 255, false, 0);
	uint8_t *o = (uint8_t *)rte_pktmbuf_append(m, 8), *ip, *ic;
	uint16_t ck;

	if (o == NULL)
		abort();
	memset(o, 0, 8);
	o[0] = type;
	o[1] = len8;
	memset(o + 2, 0x06, 6);
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
	ic = ip + 40;
	ip[5] = 32;
	ic[2] = ic[3] = 0;
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &ck, 2);
	return m;
}

/* Requests for the gateway's addresses are answered by the worker, on the
 * port they came in on (ARP reply, Neighbor Advertisement; the address
 * bound to another port, an ARP reply, and an NS with the wrong hop limit,
 * a bad checksum or for another target are punted instead). */
static void test_worker_neighbours(void)
{
	struct fpt_gw a;
	struct rte_mbuf *mb[16], *f[16];
	const struct fp_worker_stats *st;
	unsigned n;

	FPT_SETUP();
	fpt_gw_init(&a, "gnb", "192.0.2.1", 1);
	fpt_gw_rework(&a, 0, 8); /* joined, with a reassembly table */
	st = fp_worker_stats(a.w[0]);
	memset(&a.dp.mac[a.port[1]], 0x0a, sizeof(a.dp.mac[0]));
	a.dp.local.n6 = 1;
	inet_pton(AF_INET6, "2001:db8::1", a.dp.local.a6[0]);

	mb[0] = arp_req("192.0.2.1", 1, a.port[1]);
	fp_worker_input(a.w[0], mb, 1);
	n = fpt_ring_take(a.tx[1][0], f, 16);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	{
		const uint8_t *e = rte_pktmbuf_mtod(f[0], const uint8_t *), *r = e + 14;
		uint8_t want[4], five[6], ours[6], zero[18] = { 0 };

		memset(five, 0x06, 6);
		memset(ours, 0x0a, 6);
		CU_ASSERT_EQUAL(f[0]->pkt_len, 60); /* a minimum frame */
		CU_ASSERT(memcmp(e + 42, zero, 18) == 0);
		CU_ASSERT(memcmp(e, five, 6) == 0 && memcmp(e + 6, ours, 6) == 0);
		CU_ASSERT_EQUAL(fpt_be16at(f[0], 14 + 6), 2);
		CU_ASSERT(memcmp(r + 8, ours, 6) == 0 && memcmp(r + 18, five, 6) == 0);
		fpt_ip4("192.0.2.1", want);
		CU_ASSERT(memcmp(r + 14, want, 4) == 0);
		fpt_ip4("198.51.100.5", want);
		CU_ASSERT(memcmp(r + 24, want, 4) == 0);
	}
	rte_pktmbuf_free_bulk(f, n);
	CU_ASSERT_EQUAL(st->neigh_replies, 1);

	/* Bound to port 0: a request on port 1 is not ours to answer. An
	 * ARP reply, another target: punted. */
	a.dp.local.a4_port1[0] = (uint8_t)(a.port[0] + 1);
	mb[0] = arp_req("192.0.2.1", 1, a.port[1]);
	mb[1] = arp_req("192.0.2.1", 2, a.port[0]);
	mb[2] = arp_req("192.0.2.77", 1, a.port[0]);
	mb[3] = arp_req("192.0.2.1", 1, a.port[0]); /* answered */
	fp_worker_input(a.w[0], mb, 4);
	CU_ASSERT_EQUAL(st->punt, 3);
	CU_ASSERT_EQUAL(st->neigh_replies, 2);
	CU_ASSERT_EQUAL(fpt_ring_take(a.tx[1][0], f, 16), 0);
	n = fpt_ring_take(a.tx[0][0], f, 16);
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free_bulk(f, n);

	/* Neighbour solicitations: one valid, one from :: (duplicate address
	 * detection: to all nodes, S clear), then hop limit 64, a bad
	 * checksum, another target: punted. */
	mb[0] = ns_req("2001:db8::5", "2001:db8::1", 255, false, a.port[1]);
	mb[1] = ns_req(NULL, "2001:db8::1", 255, false, a.port[1]);
	mb[2] = ns_req("2001:db8::5", "2001:db8::1", 64, false, a.port[1]);
	mb[3] = ns_req("2001:db8::5", "2001:db8::1", 255, true, a.port[1]);
	mb[4] = ns_req("2001:db8::5", "2001:db8::7", 255, false, a.port[1]);
	fp_worker_input(a.w[0], mb, 5);
	CU_ASSERT_EQUAL(st->punt, 6);
	CU_ASSERT_EQUAL(st->neigh_replies, 4);
	n = fpt_ring_take(a.tx[1][0], f, 16);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = rte_pktmbuf_mtod(f[i], const uint8_t *), *ip = e + 14,
			      *ic = ip + 40;
		uint8_t want[16], ours[6];
		uint32_t sum;

		memset(ours, 0x0a, 6);
		CU_ASSERT_EQUAL(f[i]->pkt_len, 14u + 40 + 32);
		CU_ASSERT(ip[6] == 58 && ip[7] == 255 && fpt_be16at(f[i], 14 + 4) == 32);
		CU_ASSERT(ic[0] == 136 && ic[1] == 0);
		CU_ASSERT_EQUAL(ic[4], i == 0 ? 0xe0 : 0xa0); /* R, S, O; DAD: R, O */
		inet_pton(AF_INET6, "2001:db8::1", want);
		CU_ASSERT(memcmp(ip + 8, want, 16) == 0 && memcmp(ic + 8, want, 16) == 0);
		inet_pton(AF_INET6, i == 0 ? "2001:db8::5" : "ff02::1", want);
		CU_ASSERT(memcmp(ip + 24, want, 16) == 0);
		CU_ASSERT(ic[24] == 2 && ic[25] == 1 && memcmp(ic + 26, ours, 6) == 0);
		CU_ASSERT(memcmp(e + 6, ours, 6) == 0);
		sum = rte_raw_cksum(ip + 8, 32) + rte_cpu_to_be_16(32) + rte_cpu_to_be_16(58) +
		      rte_raw_cksum(ic, 32);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		CU_ASSERT_EQUAL(sum, 0xffff);
	}
	rte_pktmbuf_free_bulk(f, n);

	/* Not answered (punted), RFC 5227 2.4 and RFC 4861 7.1.1 / RFC 6980:
	 * an ARP request whose sender claims our address; one to another
	 * host's MAC (a promiscuous port sees it); an NS option of length 0;
	 * duplicate address detection with a source link-layer option, or to
	 * a destination that is not the target's solicited-node address; an
	 * NS from our own address; one that came as a (atomic) fragment.
	 * Answered: an NS with a valid source link-layer option. */
	mb[0] = arp_req("192.0.2.1", 1, a.port[0]);
	fpt_ip4("192.0.2.1", rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14 + 14));
	mb[1] = arp_req("192.0.2.1", 1, a.port[0]);
	memset(rte_pktmbuf_mtod(mb[1], uint8_t *), 0x02, 6);
	mb[2] = ns_opt("2001:db8::5", 1, 0);
	mb[3] = ns_opt(NULL, 1, 1);
	mb[4] = ns_req(NULL, "2001:db8::1", 255, false, a.port[1]);
	inet_pton(AF_INET6, "ff02::1", rte_pktmbuf_mtod_offset(mb[4], uint8_t *, 14 + 24));
	{ /* the checksum again, for the new destination */
		uint8_t *ip = rte_pktmbuf_mtod_offset(mb[4], uint8_t *, 14);
		uint16_t ck;

		ip[40 + 2] = ip[40 + 3] = 0;
		ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ip + 40);
		memcpy(ip + 42, &ck, 2);
	}
	mb[5] = ns_req("2001:db8::1", "2001:db8::1", 255, false, a.port[1]);
	mb[6] = ns_req("2001:db8::5", "2001:db8::1", 255, false, a.port[1]);
	{ /* unicast (as in unreachability detection) */
		uint8_t *ip = rte_pktmbuf_mtod_offset(mb[6], uint8_t *, 14);
		uint16_t ck;

		inet_pton(AF_INET6, "2001:db8::1", ip + 24);
		ip[40 + 2] = ip[40 + 3] = 0;
		ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ip + 40);
		memcpy(ip + 42, &ck, 2);
	}
	fpt_ins_frag6(mb[6], 0);
	mb[7] = ns_opt("2001:db8::5", 1, 1);
	for (unsigned i = 2; i < 8; i++)
		mb[i]->port = a.port[1];
	fp_worker_input(a.w[0], mb, 8);
	CU_ASSERT_EQUAL(st->punt, 13);
	CU_ASSERT_EQUAL(st->neigh_replies, 5);
	n = fpt_ring_take(a.tx[1][0], f, 16);
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free_bulk(f, n);
	CU_ASSERT_EQUAL(fpt_ring_take(a.tx[0][0], f, 16), 0);
	CU_ASSERT_EQUAL(fp_ctrl_poll(a.c), 13); /* punts freed */

	fp_ctrl_worker_leave(a.c, 0);
	fpt_gw_fini(&a);
}

/* fp_worker_poll() processes a burst one loop after receiving it, and at
 * once when nothing new came; a loop that only received is not idle. */
static void test_worker_poll_defers(void)
{
	struct fpt_gw a;
	struct rte_mbuf *mb[64];
	const struct fp_worker_stats *st;

	FPT_SETUP();
	fpt_gw_init(&a, "gwd", "192.0.2.1", 1);
	bypass_lan(&a);
	st = fp_worker_stats(a.w[0]);
	lan_enqueue(&a, 5, 0);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 0); /* received, held */
	CU_ASSERT_EQUAL(st->rx, 5);
	CU_ASSERT_EQUAL(fpt_ring_take(a.tx[1][0], mb, 64), 0);
	CU_ASSERT_EQUAL(st->idle_loops, 0);
	lan_enqueue(&a, 3, 100);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 5); /* the first 5 go */
	CU_ASSERT_EQUAL(fpt_ring_take(a.tx[1][0], mb, 64), 5);
	rte_pktmbuf_free_bulk(mb, 5);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 3); /* nothing new: the 3 go */
	CU_ASSERT_EQUAL(fpt_ring_take(a.tx[1][0], mb, 64), 3);
	rte_pktmbuf_free_bulk(mb, 3);
	CU_ASSERT_EQUAL(st->idle_loops, 0);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 0);
	CU_ASSERT_EQUAL(st->idle_loops, 1);
	CU_ASSERT_EQUAL(st->bypass, 8);
	CU_ASSERT_EQUAL(st->loops, 4);
	fp_ctrl_worker_leave(a.c, 0);
	fpt_gw_fini(&a);
}

/* ---- two workers on one SA ---- */

struct launch {
	struct fpt_gw *g;
	unsigned lc[FPT_NQ];
};

static void gw_start(struct fpt_gw *g, struct launch *l)
{
	unsigned lc = rte_get_next_lcore(-1, 1, 0);

	l->g = g;
	for (unsigned i = 0; i < g->nw; i++) {
		CU_ASSERT_FATAL(lc < RTE_MAX_LCORE);
		l->lc[i] = lc;
		CU_ASSERT_FATAL(rte_eal_remote_launch(fp_worker_run, g->w[i], lc) == 0);
		lc = rte_get_next_lcore(lc, 1, 0);
	}
}

static void gw_stop(struct launch *l)
{
	for (unsigned i = 0; i < l->g->nw; i++)
		fp_worker_stop(l->g->w[i]);
	for (unsigned i = 0; i < l->g->nw; i++)
		rte_eal_wait_lcore(l->lc[i]);
}

/* Runs the control core until the rings hold want packets (or 10 s);
 * churn != 0 installs and removes other SAs meanwhile. */
static unsigned run_until(struct fpt_gw *g, struct rte_ring **rings, unsigned want, bool churn)
{
	uint64_t t0 = rte_get_timer_cycles(), hz = rte_get_timer_hz();
	unsigned have = 0, round = 0;
	char err[128];

	while (rte_get_timer_cycles() - t0 < 10 * hz) {
		have = 0;
		for (unsigned q = 0; q < FPT_NQ; q++)
			have += rte_ring_count(rings[q]);
		if (have >= want)
			break;
		if (churn) {
			struct fp_sa_params p;
			uint32_t spi = 0x9000 + round % 32;

			fpt_gcm(&p, (round & 1) ? FP_DIR_OUT : FP_DIR_IN, spi, true);
			if (fp_ctrl_add_sa(g->c, &p, err, sizeof(err)) != 0)
				fp_ctrl_del_sa(g->c, p.dir, spi, err, sizeof(err));
			round++;
		}
		fp_ctrl_poll(g->c);
		rte_delay_us(churn ? 20 : 100);
	}
	return have;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void test_two_workers(void)
{
	enum { N = 1000 }; /* per RX queue */
	struct fpt_gw a, b;
	struct launch la, lb;
	struct fp_sa_params p;
	struct fp_spd_rule r[2];
	struct rte_mbuf **esp = calloc(2 * N, sizeof(*esp));
	struct rte_mbuf *mb[64];
	uint64_t *seqs = calloc(2 * N, sizeof(*seqs));
	uint8_t *seen = calloc(2 * N, 1);
	char err[128];
	unsigned n = 0, k;
	uint64_t in_bytes = 0, esp_bytes = 0, rxb = 0, txb = 0;

	FPT_SETUP();
	if (rte_lcore_count() < 3) {
		CU_FAIL("needs three lcores");
		return;
	}
	fpt_gw_init(&a, "mwa", "192.0.2.1", 2);
	fpt_gw_init(&b, "mwb", "192.0.2.2", 2);
	fpt_gcm(&p, FP_DIR_OUT, 0x8001, true);
	fpt_add_sa(a.c, &p);
	fpt_gcm(&p, FP_DIR_IN, 0x8001, false);
	fpt_add_sa(b.c, &p);
	CU_ASSERT_EQUAL(fp_sad_ent(&fp_sad_find_in(b.c->sad, 0x8001)->sa)->owner, 1);
	fpt_rule4(&r[0], "198.51.100.0", "198.51.100.255", "203.0.113.0", "203.0.113.255",
		  FP_SPD_PROTECT, 0x8001);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 1, err, sizeof(err)) == 0);

	/* A: the same flow arrives on both RX queues, one per worker. */
	for (uint32_t i = 0; i < 2 * N; i++) {
		struct rte_mbuf *m = fpt_udp_pkt("198.51.100.1", "203.0.113.5", 1000, 2000, i, 64,
						 64);

		in_bytes += m->pkt_len;
		CU_ASSERT_FATAL(rte_ring_enqueue(a.rx[0][i % FPT_NQ], m) == 0);
	}
	gw_start(&a, &la);
	k = run_until(&a, a.tx[1], 2 * N, true);
	gw_stop(&la);
	CU_ASSERT_EQUAL(k, 2 * N);
	CU_ASSERT(fp_worker_stats(a.w[0])->esp_out > 0 && fp_worker_stats(a.w[1])->esp_out > 0);
	for (unsigned q = 0; q < FPT_NQ; q++)
		while ((k = fpt_ring_take(a.tx[1][q], mb, 64)) != 0)
			for (unsigned i = 0; i < k && n < 2 * N; i++)
				esp[n++] = mb[i];
	CU_ASSERT_EQUAL_FATAL(n, 2 * N);
	/* Port byte counters: what came in on the plaintext side, what went
	 * out on the ESP side (frames, Ethernet included), over both workers. */
	for (unsigned i = 0; i < n; i++)
		esp_bytes += esp[i]->pkt_len;
	for (unsigned i = 0; i < 2; i++) {
		rxb += fp_worker_stats(a.w[i])->port[a.port[0]].rx_bytes;
		txb += fp_worker_stats(a.w[i])->port[a.port[1]].tx_bytes;
	}
	CU_ASSERT_EQUAL(rxb, in_bytes);
	CU_ASSERT_EQUAL(txb, esp_bytes);
	/* Every sequence number 1..2N exactly once. */
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = rte_pktmbuf_mtod_offset(esp[i], uint8_t *, 14 + 20);

		seqs[i] = (uint64_t)e[4] << 24 | (uint64_t)e[5] << 16 | e[6] << 8 | e[7];
	}
	qsort(seqs, n, sizeof(seqs[0]), cmp_u64);
	for (unsigned i = 0; i < n; i++)
		if (seqs[i] != i + 1) {
			CU_FAIL("outbound sequence numbers not unique");
			break;
		}
	CU_ASSERT_EQUAL(
		fp_sad_get_out(a.c->out, (uint32_t)fp_sad_out_slot(a.c->sad, 0x8001, 0))->h.seq,
		2 * N);

	/* B: every ESP packet arrives twice, once on each queue (each worker),
	 * so worker 0 hands its copies to the owner, worker 1. */
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *dup = rte_pktmbuf_copy(esp[i], fpt_pool, 0, UINT32_MAX);

		CU_ASSERT_FATAL(dup != NULL);
		CU_ASSERT_FATAL(rte_ring_enqueue(b.rx[1][0], esp[i]) == 0);
		CU_ASSERT_FATAL(rte_ring_enqueue(b.rx[1][1], dup) == 0);
	}
	gw_start(&b, &lb);
	k = run_until(&b, b.tx[0], 2 * N, false);
	/* Let duplicates still in flight arrive, then stop. */
	rte_delay_ms(100);
	gw_stop(&lb);
	unsigned got = 0;
	for (unsigned q = 0; q < FPT_NQ; q++)
		while ((k = fpt_ring_take(b.tx[0][q], mb, 64)) != 0) {
			for (unsigned i = 0; i < k; i++) {
				const uint8_t *u = rte_pktmbuf_mtod_offset(mb[i], uint8_t *,
									   14 + 20);
				uint32_t id = (uint32_t)u[8] << 24 | u[9] << 16 | u[10] << 8 |
					      u[11];

				if (id < 2 * N && !seen[id]) {
					seen[id] = 1;
					got++;
				} else {
					CU_FAIL("duplicate or unknown packet got through");
				}
			}
			rte_pktmbuf_free_bulk(mb, k);
		}
	CU_ASSERT_EQUAL(got, 2 * N);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_DROP_REPLAY), 2 * N);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->esp_in, 0); /* not the owner */
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->handoff_out, 2 * N);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[1])->esp_in, 2 * N);
	CU_ASSERT_EQUAL(fp_sad_find_in(b.c->sad, 0x8001)->sa.stats.packets, 2 * N);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_RING_FULL), 0);
	fpt_gw_fini(&a);
	fpt_gw_fini(&b);
	free(esp);
	free(seqs);
	free(seen);
}

struct acq_seen {
	uint32_t id[300];
	unsigned n;
};

static void on_acquire(void *arg, uint32_t trap)
{
	struct acq_seen *a = arg;

	if (a->n < RTE_DIM(a->id))
		a->id[a->n++] = trap;
}

static void trap_send(struct fpt_gw *g, const char *src, unsigned n)
{
	struct rte_mbuf *mb[8];

	for (unsigned i = 0; i < n; i++)
		mb[i] = fpt_udp_pkt(src, "203.0.113.5", 1000, 2000, i, 64, 100);
	fp_worker_input(g->w[0], mb, (uint16_t)n);
}

/* Trap policies (FP_SPD_TRAP): packets dropped as `trap`, one acquire per
 * trap and interval on the ring, never waiting for it (full: counted);
 * an SA's PROTECT rules in front carry the traffic, and once they go the
 * trap catches it again; a trap no rule names any more gives up its slot. */
static void test_worker_trap(void)
{
	const struct fp_worker_stats *st;
	struct acq_seen seen = { .n = 0 };
	struct fp_spd_rule r[3];
	struct fp_sa_params p;
	struct fp_ctrl_stats cs;
	struct rte_mbuf *mb[8];
	uint32_t junk = 99;
	char err[128];
	unsigned filled = 0;
	struct fpt_gw g;

	FPT_SETUP();
	fpt_gw_init(&g, "gwt", "192.0.2.1", 1);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(g.c, 0, g.w[0]) == 0);
	st = fp_worker_stats(g.w[0]);
	g.c->cfg.on_acquire = on_acquire;
	g.c->cfg.arg = &seen;
	fpt_rule4_from(&r[0], "198.51.100.20", FP_SPD_TRAP, 9);
	fpt_rule4(&r[1], "198.51.100.0", "198.51.100.255", "203.0.113.0", "203.0.113.255",
		  FP_SPD_TRAP, 7);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(g.c, r, 2, err, sizeof(err)) == 0);
	CU_ASSERT(fp_sad_trap_slot(g.c->sad, 7, 0) >= 0);

	/* one acquire for a burst, none for the next while the interval runs */
	g.c->acq_interval = rte_get_tsc_hz() * 3600;
	trap_send(&g, "198.51.100.1", 3);
	trap_send(&g, "198.51.100.2", 2);
	CU_ASSERT_EQUAL(fpt_wdrops(&g, FP_WD_TRAP), 5);
	CU_ASSERT_EQUAL(st->acquires, 1);
	trap_send(&g, "198.51.100.20", 1); /* another trap: its own limit */
	CU_ASSERT_EQUAL(st->acquires, 2);
	g.c->acq_interval = 0; /* every packet */
	trap_send(&g, "198.51.100.3", 1);
	CU_ASSERT_EQUAL(st->acquires, 3);
	CU_ASSERT_EQUAL(fpt_ring_take(g.tx[1][0], mb, 8), 0); /* nothing left */
	CU_ASSERT_EQUAL(fp_ctrl_poll(g.c), 3);
	CU_ASSERT_EQUAL_FATAL(seen.n, 3);
	CU_ASSERT(seen.id[0] == 7 && seen.id[1] == 9 && seen.id[2] == 7);
	fp_ctrl_get_stats(g.c, &cs);
	CU_ASSERT_EQUAL(cs.acquires, 3);
	CU_ASSERT_STRING_EQUAL(fp_wdrop_name(FP_WD_TRAP), "trap");

	/* the control core behind: a full ring loses the acquire, not the
	 * worker's time */
	while (rte_ring_mp_enqueue_elem(g.c->acq, &junk, sizeof(junk)) == 0)
		filled++;
	trap_send(&g, "198.51.100.4", 1);
	CU_ASSERT_EQUAL(st->acquires, 3);
	CU_ASSERT_EQUAL(st->acquires_lost, 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&g, FP_WD_TRAP), 8);
	while (fp_ctrl_poll(g.c))
		;
	fp_ctrl_get_stats(g.c, &cs);
	CU_ASSERT_EQUAL(cs.acquires, 3 + filled);

	/* the SA comes: its policy in front; it goes: trapped again */
	fpt_gcm(&p, FP_DIR_OUT, 0x7001, true);
	fpt_add_sa(g.c, &p);
	fpt_rule4(&r[2], "198.51.100.0", "198.51.100.255", "203.0.113.0", "203.0.113.255",
		  FP_SPD_PROTECT, 0x7001);
	CU_ASSERT_FATAL(fp_ctrl_spd_prepend(g.c, &r[2], 1, err, sizeof(err)) == 0);
	trap_send(&g, "198.51.100.5", 2);
	CU_ASSERT_EQUAL(fpt_ring_take(g.tx[1][0], mb, 8), 2);
	rte_pktmbuf_free_bulk(mb, 2);
	CU_ASSERT_EQUAL(st->acquires + st->acquires_lost, 4);
	CU_ASSERT(fp_ctrl_spd_del_sa(g.c, 0x7001, err, sizeof(err)) == 0);
	CU_ASSERT(fp_ctrl_del_sa(g.c, FP_DIR_OUT, 0x7001, err, sizeof(err)) == 0);
	trap_send(&g, "198.51.100.5", 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&g, FP_WD_TRAP), 9);
	CU_ASSERT_EQUAL(st->acquires, 4);

	/* no TRAP rule names trap 7 any more: its slot goes */
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(g.c, r, 1, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(fp_sad_trap_slot(g.c->sad, 7, 0), -ENOENT);
	CU_ASSERT(fp_sad_trap_slot(g.c->sad, 9, 0) >= 0);
	while (fp_ctrl_poll(g.c))
		;
	fpt_gw_fini(&g);
}

static const struct test_case cases[] = {
	{ "route_based_tunnel", test_worker_route_based },
	{ "worker_end_to_end", test_worker_end_to_end },
	{ "worker_poll_defers_one_loop", test_worker_poll_defers },
	{ "worker_rx_burst", test_worker_rx_burst },
	{ "worker_neighbours", test_worker_neighbours },
	{ "two_workers_one_sa", test_two_workers },
	{ "worker_trap_acquire", test_worker_trap },
	{ NULL, NULL },
};
TEST_SUITE(worker, cases)
