/* SPDX-License-Identifier: BSD-3-Clause */
/* The way out (fastpath/tx.h) that workers and control core share: next
 * hop, a packet that fits framed in place, one longer than its IP packet
 * trimmed, one over the MTU fragmented as the caller says (identification
 * kept or a new one of the sender's sequence) or refused. */
#include <arpa/inet.h>
#include <string.h>

#include "fastpath/host.h"
#include "fastpath/tx.h"
#include "tests/unit/fastpath/fp_test.h"

#define ET4 rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)
#define ET6 rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)

static uint8_t pay[2048];

/* An mbuf of fpt_pool holding UDP datagram src -> dst (IPv4 or IPv6 by
 * the text) with len bytes of payload, data at its IP header. */
static struct rte_mbuf *ip_pkt(const char *src, const char *dst, size_t len, uint16_t id)
{
	struct fp_host_addr s = { .port = 500 }, d = { .port = 500 };
	struct rte_mbuf *m = rte_pktmbuf_alloc(fpt_pool);
	size_t n;

	s.family = d.family = strchr(src, ':') ? 6 : 4;
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(inet_pton(s.family == 4 ? AF_INET : AF_INET6, src, s.a) == 1 &&
			inet_pton(d.family == 4 ? AF_INET : AF_INET6, dst, d.a) == 1);
	n = fp_host_build_udp(&s, &d, pay, len, id, rte_pktmbuf_mtod(m, uint8_t *),
			      rte_pktmbuf_tailroom(m));
	CU_ASSERT_FATAL(n != 0);
	rte_pktmbuf_append(m, (uint16_t)n);
	return m;
}

/* ip_pkt() into *m, and its next hop through t (fatal without one). */
static const struct fp_nexthop *pkt_hop(const struct fp_tx *t, const char *src, const char *dst,
					size_t len, uint16_t id, struct rte_mbuf **m)
{
	const bool v6 = strchr(dst, ':') != NULL;
	const struct fp_nexthop *nh;

	*m = ip_pkt(src, dst, len, id);
	nh = fp_tx_lookup(t, v6, rte_pktmbuf_mtod(*m, const uint8_t *) + (v6 ? 24 : 16));
	CU_ASSERT_FATAL(nh != NULL);
	return nh;
}

/* Gateway name whose port 1 has an MTU of 1280 and a MAC of 0a:...; an
 * IPv6 route to it besides fpt_gw_init()'s; t its way out as source 1 of
 * 2, sequence at 7. */
static void gw_setup(struct fpt_gw *g, const char *name, struct fp_tx *t)
{
	struct fp_nh_key nh = { .port = 0, .is_static = true };
	uint8_t p6[16];

	fpt_gw_init(g, name, "192.0.2.1", 1);
	nh.port = g->port[1];
	memset(&nh.dmac, 0x0b, sizeof(nh.dmac));
	fpt_ip6("2001:db8::", p6);
	CU_ASSERT_FATAL(fp_routes_add(g->routes, 6, p6, 32, &nh) == 0);
	g->dp.mtu[g->port[1]] = 1280;
	memset(&g->dp.mac[g->port[1]], 0x0a, sizeof(g->dp.mac[0]));
	fp_tx_init(t, &g->dp, 1, 2, 7);
}

/* Packets that fit: framed in place, by both entries; none without a
 * route; next hops through the IPv4 memo and for IPv6. */
static void test_tx_fit(void)
{
	struct fp_tx_memo memo = { 0, NULL };
	struct rte_mbuf *m, *out[FP_FRAG_MAX];
	const struct fp_nexthop *nh, *nh6;
	struct fpt_gw g;
	struct fp_tx t;
	const uint8_t *e;

	FPT_SETUP();
	gw_setup(&g, "txfit", &t);
	m = ip_pkt("192.0.2.1", "192.0.2.2", 100, 1);
	nh = fp_tx_route(&t, rte_pktmbuf_mtod(m, const uint8_t *), &memo);
	CU_ASSERT_FATAL(nh != NULL);
	CU_ASSERT(nh->port == g.port[1] && memo.nh == nh);
	CU_ASSERT(fp_tx_route(&t, rte_pktmbuf_mtod(m, const uint8_t *), &memo) == nh);
	CU_ASSERT_EQUAL(fp_tx_frame(&t, m, NULL, ET4), -FP_WD_NO_ROUTE);
	CU_ASSERT_EQUAL(m->pkt_len, 128); /* untouched */
	CU_ASSERT_EQUAL(fp_tx_frame(&t, m, nh, ET4), 1);
	e = rte_pktmbuf_mtod(m, const uint8_t *);
	CU_ASSERT(m->pkt_len == 142 && e[12] == 0x08 && e[13] == 0x00);
	CU_ASSERT(memcmp(e, ((const union fp_nh_hw *)&nh->hw)->b.mac, 6) == 0 && e[0] == 0x02 &&
		  e[6] == 0x0a && e[11] == 0x0a);
	rte_pktmbuf_free(m);

	m = ip_pkt("2001:db8::1", "2001:db8::2", 100, 0);
	nh6 = fp_tx_route(&t, rte_pktmbuf_mtod(m, const uint8_t *), &memo);
	CU_ASSERT(nh6 != NULL && nh6->port == g.port[1] && memo.nh == nh);
	CU_ASSERT(fp_tx_lookup(&t, true, rte_pktmbuf_mtod(m, const uint8_t *) + 24) == nh6);
	CU_ASSERT_EQUAL(fp_tx_frames(&t, m, nh6, ET6, FP_TX_KEEP_ID, out), 1);
	e = rte_pktmbuf_mtod(m, const uint8_t *);
	CU_ASSERT(out[0] == m && m->pkt_len == 14 + 148 && e[12] == 0x86 && e[13] == 0xdd);
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(t.id_seq, 7); /* no identification taken */
	fpt_gw_fini(&g);
}

/* The n frames in out[] are the fragments of an IPv4 packet of tot bytes
 * with identification id, each within the MTU, Ethernet in front. */
static bool frags4(struct rte_mbuf **out, int n, uint32_t tot, uint16_t id)
{
	uint32_t sum = 0;

	for (int i = 0; i < n; i++) {
		bool last = i == n - 1;

		if (out[i]->pkt_len > 14 + 1280 || fpt_be16at(out[i], 12) != 0x0800 ||
		    fpt_be16at(out[i], 14 + 4) != id ||
		    !(fpt_be16at(out[i], 14 + 6) & 0x2000) != last)
			return false;
		sum += out[i]->pkt_len - 14 - 20;
	}
	return sum == tot - 20;
}

/* What the tests of packets over the MTU work on. */
struct big {
	struct fpt_gw g;
	struct fp_tx t;
	struct rte_mbuf *m, *out[FP_FRAG_MAX];
	const struct fp_nexthop *nh;
	int n;
};

/* IPv4 over the MTU: fragmented with its own identification or a new
 * one of the sender's, refused with DF as a router must. */
static void test_tx_big4(void)
{
	static struct big x;

	FPT_SETUP();
	gw_setup(&x.g, "txbig4", &x.t);
	x.nh = pkt_hop(&x.t, "192.0.2.1", "192.0.2.2", 1972, 0x1234, &x.m); /* 2000 bytes */
	CU_ASSERT_EQUAL(fp_tx_frame(&x.t, x.m, x.nh, ET4), 0);
	CU_ASSERT_EQUAL(x.m->pkt_len, 2000);
	x.n = fp_tx_frames(&x.t, x.m, x.nh, ET4, FP_TX_KEEP_ID, x.out);
	CU_ASSERT(x.n == 2 && frags4(x.out, x.n, 2000, 0x1234) && x.t.id_seq == 7);
	rte_pktmbuf_free_bulk(x.out, x.n > 0 ? (unsigned)x.n : 0);

	x.m = ip_pkt("192.0.2.1", "192.0.2.2", 1972, 0x1234);
	x.n = fp_tx_frames(&x.t, x.m, x.nh, ET4, FP_TX_NEW_ID, x.out);
	CU_ASSERT(x.n == 2 && frags4(x.out, x.n, 2000, fp_frag_id4(1, 2, 7)) && x.t.id_seq == 8);
	rte_pktmbuf_free_bulk(x.out, x.n > 0 ? (unsigned)x.n : 0);

	x.m = ip_pkt("192.0.2.1", "192.0.2.2", 1972, 0x1234);
	rte_pktmbuf_mtod(x.m, uint8_t *)[6] |= 0x40; /* DF */
	CU_ASSERT_EQUAL(fp_tx_frames(&x.t, x.m, x.nh, ET4, FP_TX_KEEP_ID, x.out), -FP_WD_MTU);
	CU_ASSERT_EQUAL(x.m->pkt_len, 2000); /* untouched */
	rte_pktmbuf_free(x.m);
	fpt_gw_fini(&x.g);
}

/* IPv6 over the MTU: fragmented only as its source; a frame longer than
 * its IP packet trimmed to it instead. */
static void test_tx_big6_trim(void)
{
	static struct big x;

	FPT_SETUP();
	gw_setup(&x.g, "txbig6", &x.t);
	x.nh = pkt_hop(&x.t, "2001:db8::1", "2001:db8::2", 1952, 0, &x.m); /* 2000 bytes */
	CU_ASSERT_EQUAL(fp_tx_frames(&x.t, x.m, x.nh, ET6, FP_TX_KEEP_ID, x.out), -FP_WD_MTU);
	x.n = fp_tx_frames(&x.t, x.m, x.nh, ET6, FP_TX_NEW_ID, x.out);
	CU_ASSERT_FATAL(x.n == 2);
	for (int i = 0; i < x.n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(x.out[i], const uint8_t *) + 14;
		uint32_t ident;

		memcpy(&ident, f + 44, 4);
		CU_ASSERT(x.out[i]->pkt_len <= 14 + 1280 && f[6] == 44 &&
			  ntohl(ident) == fp_frag_id6(1, 2, 7));
	}
	CU_ASSERT_EQUAL(x.t.id_seq, 8);
	rte_pktmbuf_free_bulk(x.out, (unsigned)x.n);

	x.nh = pkt_hop(&x.t, "192.0.2.1", "192.0.2.2", 1252, 0x4321, &x.m); /* 1280 bytes */
	memset(rte_pktmbuf_append(x.m, 10), 0, 10);                         /* trailing bytes */
	CU_ASSERT_EQUAL(fp_tx_frame(&x.t, x.m, x.nh, ET4), 0);
	CU_ASSERT_EQUAL(fp_tx_frames(&x.t, x.m, x.nh, ET4, FP_TX_NEW_ID, x.out), 1);
	CU_ASSERT(x.out[0] == x.m && x.m->pkt_len == 14 + 1280 && x.t.id_seq == 8);
	rte_pktmbuf_free(x.m);
	fpt_gw_fini(&x.g);
}

static const struct test_case cases[] = {
	{ "frames_that_fit", test_tx_fit },
	{ "ipv4_over_the_mtu", test_tx_big4 },
	{ "ipv6_over_the_mtu_and_trimmed", test_tx_big6_trim },
	{ NULL, NULL },
};
TEST_SUITE(tx, cases)
