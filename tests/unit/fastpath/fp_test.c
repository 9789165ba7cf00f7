/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the fast path's unit tests: see fp_test.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fastpath/ctrl_core_priv.h"
#include "tests/unit/fastpath/fp_test.h"

struct rte_mempool *fpt_pool;

int fpt_setup(void)
{
	static int state;

	if (state == 0) {
		state = -1;
		if (test_eal_init() != 0)
			return -1;
		fpt_pool = rte_pktmbuf_pool_create("tbl_mbufs", 16383, 128, 0,
						   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
		if (fpt_pool == NULL)
			return -1;
		state = 1;
	}
	return state > 0 ? 0 : -1;
}

void fpt_ip4(const char *s, uint8_t *out)
{
	inet_pton(AF_INET, s, out);
}

void fpt_ip6(const char *s, uint8_t *out)
{
	CU_ASSERT_FATAL(inet_pton(AF_INET6, s, out) == 1);
}

/* AES-GCM-128 tunnel SA between 192.0.2.1 (gateway A) and 192.0.2.2 (B). */
void fpt_gcm(struct fp_sa_params *p, enum fp_dir dir, uint32_t spi, bool a_side)
{
	memset(p, 0, sizeof(*p));
	p->spi = spi;
	p->dir = dir;
	p->mode = FP_MODE_TUNNEL;
	p->outer_family = 4;
	fpt_ip4(a_side ? "192.0.2.1" : "192.0.2.2", p->local);
	fpt_ip4(a_side ? "192.0.2.2" : "192.0.2.1", p->remote);
	p->cipher = FP_CIPHER_AES_GCM;
	p->cipher_key_len = 20;
	for (int i = 0; i < 20; i++)
		p->cipher_key[i] = (uint8_t)(spi * 7 + i);
	p->replay_window = 4096;
}

/* The same with IPv6 outer addresses 2001:db8::1 (A) and ::2 (B). */
void fpt_gcm6(struct fp_sa_params *p, enum fp_dir dir, uint32_t spi, bool a_side)
{
	fpt_gcm(p, dir, spi, a_side);
	p->outer_family = 6;
	memset(p->local, 0, sizeof(p->local));
	memset(p->remote, 0, sizeof(p->remote));
	inet_pton(AF_INET6, a_side ? "2001:db8::1" : "2001:db8::2", p->local);
	inet_pton(AF_INET6, a_side ? "2001:db8::2" : "2001:db8::1", p->remote);
}

struct fp_ctrl *fpt_ctrl_new(const char *name, unsigned nw)
{
	/* Hand-off rings big enough for a whole test burst: the two-worker
	 * test counts every copy. */
	struct fp_ctrl_cfg cfg = {
		.name = name, .n_workers = nw, .max_sa = 512, .ring_size = 4096, .socket = 0
	};
	char err[128] = "";
	struct fp_ctrl *c = fp_ctrl_create(&cfg, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "fp_ctrl_create: %s\n", err);
	CU_ASSERT_FATAL(c != NULL);
	return c;
}

void fpt_add_sa(struct fp_ctrl *c, const struct fp_sa_params *p)
{
	char err[128] = "";
	int rc = fp_ctrl_add_sa(c, p, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "add_sa: %s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
}

void fpt_rule4(struct fp_spd_rule *r, const char *slo, const char *shi, const char *dlo,
	       const char *dhi, enum fp_spd_action a, uint32_t spi)
{
	memset(r, 0, sizeof(*r));
	r->sel.family = 4;
	fpt_ip4(slo, r->sel.src_lo);
	fpt_ip4(shi, r->sel.src_hi);
	fpt_ip4(dlo, r->sel.dst_lo);
	fpt_ip4(dhi, r->sel.dst_hi);
	r->sel.sport_hi = r->sel.dport_hi = 65535;
	r->action = a;
	r->spi = spi;
}

void fpt_rule4_from(struct fp_spd_rule *r, const char *src, enum fp_spd_action a, uint32_t spi)
{
	fpt_rule4(r, src, src, "0.0.0.0", "255.255.255.255", a, spi);
}

static uint16_t mkport(const char *name, unsigned nq, struct rte_ring **rx, struct rte_ring **tx)
{
	struct rte_eth_conf conf = { 0 };
	char rn[32];
	int port;

	for (unsigned q = 0; q < nq; q++) {
		snprintf(rn, sizeof(rn), "%s_r%u", name, q);
		rx[q] = rte_ring_create(rn, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(rn, sizeof(rn), "%s_t%u", name, q);
		tx[q] = rte_ring_create(rn, 4096, 0, RING_F_SC_DEQ);
		CU_ASSERT_FATAL(rx[q] != NULL && tx[q] != NULL);
	}
	port = rte_eth_from_rings(name, rx, nq, tx, nq, 0);
	CU_ASSERT_FATAL(port >= 0);
	CU_ASSERT_FATAL(rte_eth_dev_configure((uint16_t)port, (uint16_t)nq, (uint16_t)nq, &conf) ==
			0);
	for (unsigned q = 0; q < nq; q++) {
		CU_ASSERT_FATAL(rte_eth_rx_queue_setup((uint16_t)port, (uint16_t)q, 1024, 0, NULL,
						       fpt_pool) == 0);
		CU_ASSERT_FATAL(
			rte_eth_tx_queue_setup((uint16_t)port, (uint16_t)q, 1024, 0, NULL) == 0);
	}
	CU_ASSERT_FATAL(rte_eth_dev_start((uint16_t)port) == 0);
	return (uint16_t)port;
}

static void route(struct fpt_gw *g, const char *pfx, uint8_t plen, unsigned side)
{
	struct fp_nh_key nh = { .port = g->port[side], .is_static = true };
	uint8_t a[16];

	fpt_ip4(pfx, a);
	memset(&nh.dmac, 0x02, sizeof(nh.dmac));
	CU_ASSERT_FATAL(fp_routes_add(g->routes, 4, a, plen, &nh) == 0);
}

void fpt_gw_init(struct fpt_gw *g, const char *name, const char *addr, unsigned nw)
{
	char nm[32];

	memset(g, 0, sizeof(*g));
	g->nw = nw;
	g->c = fpt_ctrl_new(name, nw);
	snprintf(nm, sizeof(nm), "%s_p0", name);
	g->port[0] = mkport(nm, FPT_NQ, g->rx[0], g->tx[0]);
	snprintf(nm, sizeof(nm), "%s_p1", name);
	g->port[1] = mkport(nm, FPT_NQ, g->rx[1], g->tx[1]);
	snprintf(nm, sizeof(nm), "%s_rt", name);
	g->routes = fp_routes_create(nm, 64, 0);
	CU_ASSERT_FATAL(g->routes != NULL);
	route(g, "198.51.100.0", 24, 0);
	route(g, "203.0.113.0", 24, 0);
	route(g, "192.0.2.0", 24, 1);
	g->dp.ctrl = g->c;
	g->dp.routes = g->routes;
	g->dp.local.n4 = 1;
	inet_pton(AF_INET, addr, &g->dp.local.a4[0]);
	g->dp.local.natt_port = 4500;
	g->dp.local.ike_port = 500;
	for (unsigned i = 0; i < nw; i++) {
		struct fp_worker_cfg wc = { .id = i, .dp = &g->dp, .txq = (uint16_t)i };

		/* Worker i polls queue i of both ports. */
		for (unsigned s = 0; s < 2; s++) {
			wc.rxq[s].port = g->port[s];
			wc.rxq[s].queue = (uint16_t)i;
		}
		wc.n_rxq = 2;
		g->w[i] = fp_worker_create(&wc);
		CU_ASSERT_FATAL(g->w[i] != NULL);
	}
}

static void ring_drain_free(struct rte_ring *r)
{
	void *m;

	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

void fpt_gw_fini(struct fpt_gw *g)
{
	for (unsigned i = 0; i < g->nw; i++)
		fp_worker_free(g->w[i]);
	for (unsigned s = 0; s < 2; s++) {
		rte_eth_dev_stop(g->port[s]);
		rte_eth_dev_close(g->port[s]);
		for (unsigned q = 0; q < FPT_NQ; q++) {
			ring_drain_free(g->rx[s][q]);
			ring_drain_free(g->tx[s][q]);
			rte_ring_free(g->rx[s][q]);
			rte_ring_free(g->tx[s][q]);
		}
	}
	fp_routes_free(g->routes);
	fp_ctrl_free(g->c);
}

/* Ethernet + IPv4 + UDP with a 32-bit id in the payload. */
struct rte_mbuf *fpt_udp_pkt(const char *src, const char *dst, uint16_t sport, uint16_t dport,
			     uint32_t id, uint8_t ttl, size_t paylen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fpt_pool);
	uint16_t len = (uint16_t)(20 + 8 + paylen);
	uint8_t *b;
	uint32_t sum = 0;

	CU_ASSERT_FATAL(m != NULL);
	b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + len));
	memset(b, 0, 14u + len);
	memset(b, 0x02, 12);
	b[12] = 0x08;
	uint8_t *ip = b + 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[8] = ttl;
	ip[9] = 17;
	fpt_ip4(src, ip + 12);
	fpt_ip4(dst, ip + 16);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	uint8_t *u = ip + 20;
	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((8 + paylen) >> 8);
	u[5] = (uint8_t)(8 + paylen);
	if (paylen >= 4) {
		u[8] = (uint8_t)(id >> 24);
		u[9] = (uint8_t)(id >> 16);
		u[10] = (uint8_t)(id >> 8);
		u[11] = (uint8_t)id;
	}
	return m;
}

unsigned fpt_ring_take(struct rte_ring *r, struct rte_mbuf **out, unsigned max)
{
	return rte_ring_dequeue_burst(r, (void **)out, max, NULL);
}

uint64_t fpt_wdrops(struct fpt_gw *g, unsigned reason)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < g->nw; i++)
		n += fp_worker_stats(g->w[i])->drops[reason];
	return n;
}

/* Worker 0 of g made again with an MTU on port 1 (the peer side) and a
 * reassembly table of reasm datagrams (0: none). */
void fpt_gw_rework(struct fpt_gw *g, uint16_t mtu1, uint32_t reasm)
{
	struct fp_worker_cfg wc = {
		.id = 0, .dp = &g->dp, .reasm_max = reasm, .reasm_timeout_ms = 50
	};

	g->dp.mtu[g->port[1]] = mtu1;
	for (unsigned s = 0; s < 2; s++)
		wc.rxq[s].port = g->port[s];
	wc.n_rxq = 2;
	fp_worker_free(g->w[0]);
	g->w[0] = fp_worker_create(&wc);
	CU_ASSERT_FATAL(g->w[0] != NULL);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(g->c, 0, g->w[0]) == 0);
}

uint16_t fpt_be16at(const struct rte_mbuf *m, uint32_t off)
{
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);

	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Puts an IPv6 Fragment header (offset/M field fo) after the fixed
 * header of Ethernet + IPv6 frame m. */
void fpt_ins_frag6(struct rte_mbuf *m, uint16_t fo)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, 8), *ip;

	if (p == NULL) {
		CU_FAIL("no headroom for a Fragment header");
		return;
	}
	ip = p + 14;
	memmove(p, p + 8, 14 + 40);
	ip[40] = ip[6];
	ip[41] = 0;
	ip[42] = (uint8_t)(fo >> 8);
	ip[43] = (uint8_t)fo;
	memcpy(ip + 44, "\x12\x34\x56\x78", 4);
	ip[6] = 44;
	uint16_t pl = (uint16_t)((ip[4] << 8 | ip[5]) + 8);
	ip[4] = (uint8_t)(pl >> 8);
	ip[5] = (uint8_t)pl;
}
