/* SPDX-License-Identifier: BSD-3-Clause */
/* Fragments (fastpath/frag.c): disjoint identifications per source, our
 * ESP fragmented over the MTU and reassembled by the peer, broken
 * fragments, ICMP errors for packets too big, and reassembled datagrams
 * larger than one mbuf punted to the control core as chains. */
#include <arpa/inet.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>

#include "fastpath/ctrl_core_priv.h"
#include "fastpath/frag.h"
#include "tests/unit/fastpath/fp_test.h"

/* Fragment identifications: every source (workers, then the control
 * core) stays in its own IPv4 range and its own IPv6 residue, across the
 * wrap of its sequence, whatever the count of sources. */
static void test_frag_ids(void)
{
	static const unsigned counts[] = { 2, 3, 5, 17 };

	for (unsigned c = 0; c < RTE_DIM(counts); c++) {
		unsigned nsrc = counts[c], span = 65536u / nsrc;

		for (unsigned src = 0; src < nsrc; src++) {
			unsigned bad4 = 0, bad6 = 0;

			for (uint32_t k = 0; k < 3u * span; k += 7) {
				uint16_t id = fp_frag_id4(src, nsrc, k);

				bad4 += id < src * span || id >= (src + 1) * span;
			}
			for (uint32_t k = UINT32_MAX - 4096; k != 4096; k++) /* wraps */
				bad6 += fp_frag_id6(src, nsrc, k) % nsrc != src;
			CU_ASSERT_EQUAL(bad4, 0);
			CU_ASSERT_EQUAL(bad6, 0);
			/* consecutive packets of one source: different ids */
			CU_ASSERT(fp_frag_id4(src, nsrc, 10) != fp_frag_id4(src, nsrc, 11));
			CU_ASSERT(fp_frag_id6(src, nsrc, 10) != fp_frag_id6(src, nsrc, 11));
		}
	}
}

/* Fragments of one datagram: proto / l4[0..plen) from src to dst, the
 * first of first bytes, then pieces of 1,232 (multiples of 8), IPv4 or
 * IPv6 (a Fragment header after the fixed one); into out[], returns how
 * many. */
static unsigned frags_of(int fam, const char *src, const char *dst, uint8_t proto,
			 const uint8_t *l4, uint32_t plen, uint32_t id, uint32_t first,
			 struct rte_mbuf **out)
{
	unsigned n = 0;

	for (uint32_t off = 0, piece = first; off < plen; off += piece, piece = 1232, n++) {
		uint32_t k = RTE_MIN(piece, plen - off), hl = fam == 4 ? 20 : 48;
		struct rte_mbuf *m = rte_pktmbuf_alloc(fpt_pool);
		uint8_t *b, *ip;
		bool more = off + k < plen;

		CU_ASSERT_FATAL(m != NULL);
		b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + hl + k));
		CU_ASSERT_FATAL(b != NULL);
		memset(b, 0, 14 + hl);
		memset(b, 0x02, 12);
		ip = b + 14;
		if (fam == 4) {
			b[12] = 0x08;
			ip[0] = 0x45;
			ip[2] = (uint8_t)((hl + k) >> 8);
			ip[3] = (uint8_t)(hl + k);
			ip[4] = (uint8_t)(id >> 8);
			ip[5] = (uint8_t)id;
			ip[6] = (uint8_t)((more ? 0x20 : 0) | (off / 8) >> 8);
			ip[7] = (uint8_t)(off / 8);
			ip[8] = 64;
			ip[9] = proto;
			fpt_ip4(src, ip + 12);
			fpt_ip4(dst, ip + 16);
			((struct rte_ipv4_hdr *)ip)->hdr_checksum =
				rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
		} else {
			b[12] = 0x86;
			b[13] = 0xdd;
			ip[0] = 0x60;
			ip[4] = (uint8_t)((8 + k) >> 8);
			ip[5] = (uint8_t)(8 + k);
			ip[6] = 44;
			ip[7] = 64;
			fpt_ip6(src, ip + 8);
			fpt_ip6(dst, ip + 24);
			ip[40] = proto;
			ip[42] = (uint8_t)(off >> 8);
			ip[43] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
			ip[44] = (uint8_t)(id >> 24);
			ip[45] = (uint8_t)(id >> 16);
			ip[46] = (uint8_t)(id >> 8);
			ip[47] = (uint8_t)id;
		}
		memcpy(ip + hl, l4 + off, k);
		out[n] = m;
	}
	return n;
}

/* on_punt of the control core in the next test: keeps what it is given. */
struct grabbed {
	struct rte_mbuf *m[4];
	unsigned n;
};

static void grab(void *arg, struct rte_mbuf *m)
{
	struct grabbed *g = arg;

	if (g->n < RTE_DIM(g->m))
		g->m[g->n++] = m;
	else
		rte_pktmbuf_free(m);
}

/* A reassembled datagram to the gateway larger than one mbuf: IKE (UDP to
 * 500, or to 4500 with the non-ESP marker) and other traffic for the
 * control core is punted as a chain with its bytes and a valid IPv4
 * header; ESP (and ESP in UDP) that size is dropped, each fragment
 * counted as `frag`. */
static void test_worker_big_datagrams_punted(void)
{
	static const struct {
		int fam;
		uint8_t proto;
		uint16_t dport;
		uint32_t marker, first;
		bool punt;
	} cases[] = {
		{ 4, 17, 500, 0x11223344, 1232, true },   /* IKE_SA_INIT of 3,000 bytes */
		{ 4, 17, 4500, 0, 1232, true },           /* IKE after NAT-T */
		{ 4, 17, 4500, 0x00001234, 1232, false }, /* ESP in UDP, SPI 0x1234 */
		{ 4, 50, 0, 0, 1232, false },             /* ESP */
		/* First fragment of 8 bytes, the UDP header: the marker is in the
		 * second segment. */
		{ 4, 17, 4500, 0, 8, true },
		{ 4, 17, 4500, 0x00001234, 8, false },
		{ 6, 17, 500, 0x55667788, 1232, true },
		{ 6, 17, 4500, 0, 8, true },
		{ 6, 17, 4500, 0x00001234, 8, false },
		{ 6, 50, 0, 0, 1232, false },
	};
	struct fpt_gw b;
	struct rte_mbuf *f[8], **got;
	struct grabbed gr;
	uint8_t l4[3000];
	uint64_t punts = 0, frag_drops = 0, reasm = 0;
	unsigned avail;

	FPT_SETUP();
	avail = rte_mempool_avail_count(fpt_pool);
	got = gr.m;
	fpt_gw_init(&b, "gbig", "192.0.2.2", 1);
	b.dp.local.n6 = 1;
	inet_pton(AF_INET6, "2001:db8::2", b.dp.local.a6[0]);
	fpt_gw_rework(&b, 0, 64);
	for (unsigned c = 0; c < RTE_DIM(cases); c++) {
		const char *src = cases[c].fam == 4 ? "192.0.2.7" : "2001:db8::7";
		const char *dst = cases[c].fam == 4 ? "192.0.2.2" : "2001:db8::2";
		uint32_t hl = cases[c].fam == 4 ? 20 : 40;
		unsigned n;

		for (unsigned i = 0; i < sizeof(l4); i++)
			l4[i] = (uint8_t)(i * 13 + c);
		if (cases[c].proto == 17) {
			l4[0] = 0x01;
			l4[1] = 0xf4; /* from 500 */
			l4[2] = (uint8_t)(cases[c].dport >> 8);
			l4[3] = (uint8_t)cases[c].dport;
			l4[4] = (uint8_t)(sizeof(l4) >> 8);
			l4[5] = (uint8_t)sizeof(l4);
			l4[6] = l4[7] = 0;
			l4[8] = (uint8_t)(cases[c].marker >> 24);
			l4[9] = (uint8_t)(cases[c].marker >> 16);
			l4[10] = (uint8_t)(cases[c].marker >> 8);
			l4[11] = (uint8_t)cases[c].marker;
		}
		n = frags_of(cases[c].fam, src, dst, cases[c].proto, l4, sizeof(l4), 0x4000 + c,
			     cases[c].first, f);
		CU_ASSERT_EQUAL_FATAL(n, cases[c].first == 8 ? 4u : 3u);
		fp_worker_input(b.w[0], f, (uint16_t)n);
		if (cases[c].punt) {
			punts++;
			reasm++;
		} else {
			frag_drops += n;
		}
		CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->punt, punts);
		CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->reassembled, reasm);
		CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), frag_drops);
		/* The control core's poll hands it to on_punt. */
		gr.n = 0;
		b.c->cfg.on_punt = grab;
		b.c->cfg.arg = &gr;
		while (fp_ctrl_poll(b.c) != 0)
			;
		b.c->cfg.on_punt = NULL;
		n = gr.n;
		CU_ASSERT_EQUAL(n, cases[c].punt ? 1u : 0u);
		if (n == 1) {
			uint8_t whole[14 + 40 + sizeof(l4)];
			const uint8_t *w = rte_pktmbuf_read(got[0], 0, 14 + hl + sizeof(l4), whole);

			CU_ASSERT(got[0]->nb_segs > 1);
			CU_ASSERT_EQUAL(got[0]->pkt_len, 14 + hl + sizeof(l4));
			CU_ASSERT_FATAL(w != NULL);
			CU_ASSERT(memcmp(w + 14 + hl, l4, sizeof(l4)) == 0);
			if (cases[c].fam == 4) {
				CU_ASSERT_EQUAL(fpt_be16at(got[0], 14 + 2), 20 + sizeof(l4));
				CU_ASSERT_EQUAL(fpt_be16at(got[0], 14 + 6) & 0x3fff, 0);
				CU_ASSERT_EQUAL(rte_raw_cksum(w + 14, 20), 0xffff);
			} else {
				CU_ASSERT_EQUAL(w[14 + 6], cases[c].proto); /* no Fragment header */
				CU_ASSERT_EQUAL(fpt_be16at(got[0], 14 + 4), sizeof(l4));
			}
			rte_pktmbuf_free(got[0]);
		}
	}
	CU_ASSERT_EQUAL(b.c->punt_chains, 0); /* every chain taken off again */

	/* At most FP_PUNT_CHAINS wait on the punt ring; more are dropped as
	 * ring_full until the control core takes some off. */
	memset(l4, 0, 12);
	l4[0] = 0x01;
	l4[1] = 0xf4;
	l4[2] = 0x01;
	l4[3] = 0xf4;
	l4[4] = (uint8_t)(sizeof(l4) >> 8);
	l4[5] = (uint8_t)sizeof(l4);
	for (unsigned i = 0; i <= FP_PUNT_CHAINS; i++) {
		unsigned n = frags_of(4, "192.0.2.7", "192.0.2.2", 17, l4, sizeof(l4), 0x5000 + i,
				      1232, f);

		fp_worker_input(b.w[0], f, (uint16_t)n);
	}
	CU_ASSERT_EQUAL(b.c->punt_chains, FP_PUNT_CHAINS);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_RING_FULL), 1);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->punt, punts + FP_PUNT_CHAINS);
	while (fp_ctrl_poll(b.c) != 0)
		;
	CU_ASSERT_EQUAL(b.c->punt_chains, 0);
	CU_ASSERT_EQUAL(frags_of(4, "192.0.2.7", "192.0.2.2", 17, l4, sizeof(l4), 0x5100, 1232, f),
			3);
	fp_worker_input(b.w[0], f, 3);
	CU_ASSERT_EQUAL(b.c->punt_chains, 1);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->punt, punts + FP_PUNT_CHAINS + 1);
	while (fp_ctrl_poll(b.c) != 0)
		;
	fpt_gw_fini(&b);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(fpt_pool), avail); /* every mbuf back */
}

/* Our ESP over the peer port's MTU leaves in fragments (IPv4 outer and
 * IPv6 outer, a fresh identification per packet), the peer gateway
 * reassembles them in any order and decrypts; bypassed packets with DF
 * are dropped as `mtu`; broken, duplicated and unreassembled fragments
 * are counted as `frag`. */
static void test_worker_fragments(void)
{
	struct fpt_gw a, b;
	struct fp_sa_params p;
	struct fp_spd_rule r[6];
	struct rte_mbuf *mb[64], *f[64];
	char err[128];
	unsigned n, nf;
	uint16_t id0;

	FPT_SETUP();
	fpt_gw_init(&a, "gfa", "192.0.2.1", 1);
	fpt_gw_init(&b, "gfb", "192.0.2.2", 1);
	fpt_gw_rework(&a, 1280, 0);
	fpt_gw_rework(&b, 0, 64);
	b.dp.local.n6 = 1;
	inet_pton(AF_INET6, "2001:db8::2", b.dp.local.a6[0]);
	struct fp_nh_key nh6 = { .port = a.port[1], .is_static = true };
	uint8_t pfx6[16];
	inet_pton(AF_INET6, "2001:db8::", pfx6);
	CU_ASSERT_FATAL(fp_routes_add(a.routes, 6, pfx6, 32, &nh6) == 0);

	fpt_gcm(&p, FP_DIR_OUT, 0x7101, true); /* IPv4 outer */
	fpt_add_sa(a.c, &p);
	fpt_gcm(&p, FP_DIR_IN, 0x7101, false);
	fpt_add_sa(b.c, &p);
	fpt_gcm6(&p, FP_DIR_OUT, 0x7102, true); /* IPv6 outer */
	fpt_add_sa(a.c, &p);
	fpt_gcm6(&p, FP_DIR_IN, 0x7102, false);
	fpt_add_sa(b.c, &p);
	fpt_rule4_from(&r[0], "198.51.100.1", FP_SPD_PROTECT, 0x7101);
	fpt_rule4_from(&r[1], "198.51.100.2", FP_SPD_PROTECT, 0x7102);
	fpt_rule4_from(&r[2], "198.51.100.3", FP_SPD_BYPASS, 0);
	fpt_gcm(&p, FP_DIR_OUT, 0x7103, true); /* a second SA to the same peer */
	fpt_add_sa(a.c, &p);
	fpt_rule4_from(&r[3], "198.51.100.4", FP_SPD_PROTECT, 0x7103);
	/* ICMP errors from A to the LAN; any IPv6 bypassed. */
	fpt_rule4(&r[4], "192.0.2.1", "192.0.2.1", "198.51.100.0", "198.51.100.255", FP_SPD_BYPASS,
		  0);
	memset(&r[5], 0, sizeof(r[5]));
	r[5].sel.family = 6;
	memset(r[5].sel.src_hi, 0xff, 16);
	memset(r[5].sel.dst_hi, 0xff, 16);
	r[5].sel.sport_hi = r[5].sel.dport_hi = 65535;
	r[5].action = FP_SPD_BYPASS;
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 6, err, sizeof(err)) == 0);

	/* 3 packets per SA whose ESP is over 1280 bytes, 2 small ones. */
	for (uint32_t i = 0; i < 3; i++) {
		mb[i] = fpt_udp_pkt("198.51.100.1", "203.0.113.5", 1, 2, 100 + i, 64, 1240);
		mb[3 + i] = fpt_udp_pkt("198.51.100.2", "203.0.113.5", 1, 2, 200 + i, 64, 1240);
	}
	mb[6] = fpt_udp_pkt("198.51.100.1", "203.0.113.5", 1, 2, 300, 64, 100);
	mb[7] = fpt_udp_pkt("198.51.100.2", "203.0.113.5", 1, 2, 301, 64, 100);
	fp_worker_input(a.w[0], mb, 8);
	nf = fpt_ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(nf, 14);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->frag_out, 12);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->esp_out, 8);
	/* IPv4 fragments: DF clear, MF on the first, offsets in 8s, a
	 * checksum that verifies, and one identification per packet. */
	id0 = fpt_be16at(f[0], 14 + 4);
	for (unsigned i = 0; i < 6; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[i], const uint8_t *, 14);
		uint16_t fo = fpt_be16at(f[i], 14 + 6);

		CU_ASSERT(f[i]->pkt_len <= 14u + 1280);
		CU_ASSERT_EQUAL(ip[0], 0x45);
		CU_ASSERT_EQUAL(fpt_be16at(f[i], 14 + 2), f[i]->pkt_len - 14);
		CU_ASSERT_EQUAL(fo & 0x4000, 0);
		CU_ASSERT_EQUAL(fo & 0x2000, i % 2 == 0 ? 0x2000 : 0);
		CU_ASSERT_EQUAL(fo & 0x1fff, i % 2 == 0 ? 0 : (1280 - 20) / 8);
		CU_ASSERT_EQUAL(fpt_be16at(f[i], 14 + 4), (uint16_t)(id0 + i / 2));
		CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
	}
	/* IPv6 fragments: a Fragment header after the fixed one, next
	 * header ESP inside it, M on the first, one identification each. */
	for (unsigned i = 6; i < 12; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[i], const uint8_t *, 14);
		uint16_t fo = fpt_be16at(f[i], 14 + 42);

		CU_ASSERT(f[i]->pkt_len <= 14u + 1280);
		CU_ASSERT_EQUAL(ip[6], 44);
		CU_ASSERT_EQUAL(ip[40], 50);
		CU_ASSERT_EQUAL(fpt_be16at(f[i], 14 + 4), f[i]->pkt_len - 14 - 40);
		CU_ASSERT_EQUAL(fo & 1, i % 2 == 0 ? 1 : 0);
		CU_ASSERT_EQUAL(fo & ~7u, i % 2 == 0 ? 0 : (1280 - 48) & ~7u);
		CU_ASSERT_EQUAL(memcmp(ip + 44,
				       rte_pktmbuf_mtod_offset(f[i ^ 1], uint8_t *, 14 + 44), 4),
				0);
		if (i >= 8)
			CU_ASSERT(memcmp(ip + 44,
					 rte_pktmbuf_mtod_offset(f[i - 2], uint8_t *, 14 + 44),
					 4) != 0);
	}
	/* The second SA's first packet (sequence number 1, like the first
	 * SA's) gets an identification of its own: the peer keys
	 * reassembly on addresses, protocol and identification only. */
	mb[0] = fpt_udp_pkt("198.51.100.4", "203.0.113.5", 1, 2, 400, 64, 1240);
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL_FATAL(fpt_ring_take(a.tx[1][0], mb, 64), 2);
	for (unsigned i = 0; i < 6; i++)
		CU_ASSERT(fpt_be16at(mb[0], 14 + 4) != fpt_be16at(f[i], 14 + 4));
	CU_ASSERT_EQUAL(fpt_be16at(mb[0], 14 + 4), fpt_be16at(mb[1], 14 + 4));
	rte_pktmbuf_free_bulk(mb, 2);

	/* To B: every second fragment first, then the first ones. */
	for (unsigned i = 0; i < 6; i++) {
		mb[i] = f[2 * i + 1];
		mb[6 + i] = f[2 * i];
	}
	mb[12] = f[12];
	mb[13] = f[13];
	fp_worker_input(b.w[0], mb, 14);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->frag_in, 12);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->reassembled, 6);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->esp_in, 8);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 0);
	n = fpt_ring_take(b.tx[0][0], mb, 64);
	CU_ASSERT_EQUAL_FATAL(n, 8);
	unsigned seen[400] = { 0 };
	for (unsigned i = 0; i < n; i++) {
		uint32_t id = fpt_be16at(mb[i], 14 + 20 + 8 + 2);
		uint32_t want = id >= 300 ? 14u + 20 + 8 + 100 : 14u + 20 + 8 + 1240;

		CU_ASSERT_EQUAL(mb[i]->pkt_len, want);
		CU_ASSERT_EQUAL(mb[i]->nb_segs, 1);
		CU_ASSERT_EQUAL(rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14 + 28 + 4)[0], 0);
		if (id < 400)
			seen[id]++;
	}
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT(seen[100 + i] == 1 && seen[200 + i] == 1);
	CU_ASSERT(seen[300] == 1 && seen[301] == 1);
	rte_pktmbuf_free_bulk(mb, n);

	/* An IPv6 atomic fragment (offset 0, M clear) is a whole packet
	 * (RFC 6946); one inside another is dropped. */
	mb[0] = fpt_udp_pkt("198.51.100.2", "203.0.113.5", 1, 2, 500, 64, 100);
	mb[1] = fpt_udp_pkt("198.51.100.2", "203.0.113.5", 1, 2, 501, 64, 100);
	fp_worker_input(a.w[0], mb, 2);
	CU_ASSERT_EQUAL_FATAL(fpt_ring_take(a.tx[1][0], mb, 64), 2);
	fpt_ins_frag6(mb[0], 0);
	fpt_ins_frag6(mb[1], 0);
	fpt_ins_frag6(mb[1], 0);
	fp_worker_input(b.w[0], mb, 2);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->esp_in, 9);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 1);
	n = fpt_ring_take(b.tx[0][0], mb, 64);
	CU_ASSERT_EQUAL(n, 1);
	if (n == 1)
		CU_ASSERT_EQUAL(fpt_be16at(mb[0], 14 + 20 + 8 + 2), 500);
	rte_pktmbuf_free_bulk(mb, n);

	/* Bypassed and too big: DF set is `mtu`, without DF two fragments. */
	mb[0] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40; /* DF */
	mb[1] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	fp_worker_input(a.w[0], mb, 2);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_MTU), 1);
	n = fpt_ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL(n, 2);
	if (n == 2) /* forwarded: the source's identification */
		CU_ASSERT_EQUAL(fpt_be16at(f[0], 14 + 4), fpt_be16at(f[1], 14 + 4));
	rte_pktmbuf_free_bulk(f, n);
	/* The DF packet's source was told, from A's address, through the
	 * SPD (rule 4) to the LAN: type 3 code 4, next-hop MTU 1280, the
	 * packet's header quoted, checksums that verify. */
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, 1);
	n = fpt_ring_take(a.tx[0][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	{
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[0], const uint8_t *, 14);
		const uint8_t *ic = ip + 20;
		uint8_t want_src[4], want_dst[4];

		fpt_ip4("192.0.2.1", want_src);
		fpt_ip4("198.51.100.3", want_dst);
		CU_ASSERT_EQUAL(f[0]->pkt_len, 14u + 576);
		CU_ASSERT(ip[0] == 0x45 && ip[9] == 1 && ip[8] == 63);
		CU_ASSERT(memcmp(ip + 12, want_src, 4) == 0 && memcmp(ip + 16, want_dst, 4) == 0);
		CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
		CU_ASSERT(ic[0] == 3 && ic[1] == 4 && fpt_be16at(f[0], 14 + 20 + 6) == 1280);
		CU_ASSERT_EQUAL(fpt_be16at(f[0], 14 + 20 + 4), 0); /* unused */
		CU_ASSERT_EQUAL(rte_raw_cksum(ic, 576 - 20), 0xffff);
		CU_ASSERT(ic[8] == 0x45 && (ic[8 + 6] & 0x40) &&
			  memcmp(ic + 8 + 12, want_dst, 4) == 0);
	}
	rte_pktmbuf_free_bulk(f, n);
	/* At most FP_ICMP_PER_S a second: 110 more DF packets, 99 more
	 * errors. */
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < 55; i++) {
			mb[i] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
			rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[6] = 0x40;
		}
		fp_worker_input(a.w[0], mb, 55);
	}
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_MTU), 111);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S);
	while ((n = fpt_ring_take(a.tx[0][0], f, 64)) != 0)
		rte_pktmbuf_free_bulk(f, n);
	/* An error about an ICMP error is never sent (RFC 1812 4.3.2.7). */
	mb[0] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[9] = 1;      /* ICMP */
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14 + 20)[0] = 3; /* unreachable */
	rte_delay_ms(1001);                                        /* a new second */
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_MTU), 112);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S);
	/* IPv6 is never fragmented on the way: forwarded over the MTU it is
	 * `mtu` and its source gets a Packet Too Big of 1,280 bytes. */
	a.dp.local.n6 = 1;
	inet_pton(AF_INET6, "2001:db8::1", a.dp.local.a6[0]);
	mb[0] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	{
		uint8_t *e = rte_pktmbuf_mtod(mb[0], uint8_t *), *ip = e + 14;
		uint16_t plen = (uint16_t)(mb[0]->pkt_len - 14 - 40);

		e[12] = 0x86;
		e[13] = 0xdd;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[4] = (uint8_t)(plen >> 8);
		ip[5] = (uint8_t)plen;
		ip[6] = 17;
		ip[7] = 64;
		inet_pton(AF_INET6, "2001:db8:5::7", ip + 8);
		inet_pton(AF_INET6, "2001:db8::99", ip + 24);
	}
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_MTU), 113);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S + 1);
	n = fpt_ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	{
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[0], const uint8_t *, 14);
		uint8_t want[16];
		uint32_t sum;

		inet_pton(AF_INET6, "2001:db8:5::7", want);
		CU_ASSERT_EQUAL(f[0]->pkt_len, 14u + 1280);
		CU_ASSERT(ip[6] == 58 && ip[40] == 2 && ip[41] == 0);
		CU_ASSERT(memcmp(ip + 24, want, 16) == 0);
		inet_pton(AF_INET6, "2001:db8::1", want); /* A's address */
		CU_ASSERT(memcmp(ip + 8, want, 16) == 0);
		CU_ASSERT_EQUAL(ip[7], 63); /* 64, forwarded once */
		CU_ASSERT(fpt_be16at(f[0], 14 + 44) == 0 && fpt_be16at(f[0], 14 + 46) == 1280);
		/* pseudo-header (RFC 8200 8.1) + message sum to all ones */
		sum = rte_raw_cksum(ip + 8, 32) + rte_cpu_to_be_16(1240) + rte_cpu_to_be_16(58) +
		      rte_raw_cksum(ip + 40, 1240);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		CU_ASSERT_EQUAL(sum, 0xffff);
	}
	rte_pktmbuf_free_bulk(f, n);
	/* The error's source is an address of the port it leaves by, the one
	 * the DF packet came in on: once the LAN port has 198.51.100.254,
	 * that, not the first address (192.0.2.1). */
	a.dp.local.n4 = 2;
	fpt_ip4("198.51.100.254", (uint8_t *)&a.dp.local.a4[1]);
	a.dp.local.a4_port1[1] = (uint8_t)(a.port[0] + 1);
	fpt_rule4(&r[4], "198.51.100.254", "198.51.100.254", "198.51.100.0", "198.51.100.255",
		  FP_SPD_BYPASS, 0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 6, err, sizeof(err)) == 0);
	mb[0] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
	mb[0]->port = a.port[0];
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S + 2);
	n = fpt_ring_take(a.tx[0][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	{
		uint8_t want[4];

		fpt_ip4("198.51.100.254", want);
		CU_ASSERT(memcmp(rte_pktmbuf_mtod_offset(f[0], uint8_t *, 14 + 12), want, 4) == 0);
	}
	rte_pktmbuf_free_bulk(f, n);
	a.dp.local.n4 = 1;
	a.dp.local.a4_port1[1] = 0;
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_MTU), 114);

	/* A frame longer than its IP packet (trailing bytes) is judged by
	 * the packet: 100 bytes with DF leave whole, trimmed. */
	mb[0] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 72);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
	CU_ASSERT_FATAL(rte_pktmbuf_append(mb[0], 1300) != NULL);
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_MTU), 114);
	n = fpt_ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(f[0]->pkt_len, 14u + 100);
	rte_pktmbuf_free_bulk(f, n);
	/* A forwarded fragment cut again: offsets add to its own and MF
	 * stays on the last piece; one whose pieces would end past 65,535
	 * bytes is `mtu`. */
	mb[0] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x20; /* MF, offset 100 */
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[7] = 100;
	mb[1] = fpt_udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[1], uint8_t *, 14)[6] = 0x1f; /* offset 0x1fe0 */
	rte_pktmbuf_mtod_offset(mb[1], uint8_t *, 14)[7] = 0xe0;
	fp_worker_input(a.w[0], mb, 2);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_MTU), 115);
	n = fpt_ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(fpt_be16at(f[0], 14 + 6), 0x2000 | 100);
	CU_ASSERT_EQUAL(fpt_be16at(f[1], 14 + 6), 0x2000 | (100 + (1280 - 20) / 8));
	CU_ASSERT_EQUAL(fpt_be16at(f[0], 14 + 2) + fpt_be16at(f[1], 14 + 2), 20 + 1428);
	rte_pktmbuf_free_bulk(f, n);
	/* Transport mode: the packet keeps its sender's header, DF
	 * included; the ESP packet is ours, so it is fragmented all the
	 * same, DF cleared (no `mtu` drop, no ICMP error). */
	fpt_gcm(&p, FP_DIR_OUT, 0x7104, true);
	p.mode = FP_MODE_TRANSPORT;
	fpt_add_sa(a.c, &p);
	r[0] = r[5];
	fpt_rule4_from(&r[1], "198.51.100.6", FP_SPD_PROTECT, 0x7104);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 2, err, sizeof(err)) == 0);
	mb[0] = fpt_udp_pkt("198.51.100.6", "192.0.2.9", 1, 2, 0, 64, 1300);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&a, FP_WD_MTU), 115);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S + 2);
	n = fpt_ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[i], const uint8_t *, 14);

		CU_ASSERT(ip[9] == 50 && (ip[6] & 0x40) == 0 && f[i]->pkt_len <= 14u + 1280);
		CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
	}
	rte_pktmbuf_free_bulk(f, n);

	/* Broken fragments to B: a middle one whose length is not a
	 * multiple of 8; one that ends past 65,535 bytes; a first fragment
	 * twice (the duplicate spoils the datagram: both go), then its
	 * second half, alone until reassembly.timeout_ms passes. Each is
	 * counted once as `frag`. */
	mb[0] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 13);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x20; /* MF, length 21 */
	mb[1] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 32);
	rte_pktmbuf_mtod_offset(mb[1], uint8_t *, 14)[6] = 0x1f; /* offset 65,528 */
	rte_pktmbuf_mtod_offset(mb[1], uint8_t *, 14)[7] = 0xff;
	fp_worker_input(b.w[0], mb, 2);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 3);
	/* IPv6: a fragment with M set and a length not a multiple of 8. */
	mb[0] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 13);
	{
		uint8_t *e = rte_pktmbuf_mtod(mb[0], uint8_t *), *ip = e + 14;

		e[12] = 0x86;
		e[13] = 0xdd;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[5] = (uint8_t)(mb[0]->pkt_len - 14 - 40);
		ip[6] = 50;
		ip[7] = 64;
		inet_pton(AF_INET6, "2001:db8::1", ip + 8);
		inet_pton(AF_INET6, "2001:db8::2", ip + 24);
	}
	fpt_ins_frag6(mb[0], 1); /* offset 0, M */
	fp_worker_input(b.w[0], mb, 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 4);
	mb[0] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 32);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x20;
	mb[1] = rte_pktmbuf_copy(mb[0], fpt_pool, 0, UINT32_MAX);
	mb[2] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 32);
	rte_pktmbuf_mtod_offset(mb[2], uint8_t *, 14)[7] = 5; /* offset 40 */
	fp_worker_input(b.w[0], mb, 3);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->reassembled, 7); /* 6 + the atomic one */
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 6);
	rte_delay_ms(60);
	fp_worker_poll(b.w[0]); /* its first loop looks for expired ones */
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 7);

	/* Three fragments of a 3,860-byte ESP datagram: put together, it
	 * does not fit one mbuf, and each fragment counts as `frag` (what
	 * the control core takes goes there as a chain:
	 * worker_big_datagrams_punted). */
	for (unsigned i = 0; i < 3; i++) {
		/* 1,280 of data */
		mb[i] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 1272);
		rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[9] = IPPROTO_ESP;
		rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[5] = 0x77; /* its own ID */
		rte_pktmbuf_mtod_offset(mb[i], uint8_t *,
					14)[6] = (uint8_t)((i < 2 ? 0x20 : 0) | ((i * 160) >> 8));
		rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[7] = (uint8_t)(i * 160);
	}
	fp_worker_input(b.w[0], mb, 3);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 10);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->reassembled, 7);
	/* A hole: [0,16), [24,32) twice, [32,40). The lengths add up, the
	 * reassembly fails, and rte_ip_frag's death row gets three mbufs,
	 * one of them a chain of two: four fragments counted. */
	{
		static const uint8_t off[4] = { 0, 3, 3, 4 }, more[4] = { 1, 1, 1, 0 };
		static const size_t pay[4] = { 8, 0, 0, 0 };

		for (unsigned i = 0; i < 4; i++) {
			mb[i] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, pay[i]);
			rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[5] = 0x78;
			rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[6] = more[i] ? 0x20 : 0;
			rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[7] = off[i];
		}
		fp_worker_input(b.w[0], mb, 4);
		CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 14);
	}

	/* Decrypted, then too big for B's LAN (MTU 1280) with DF: the error
	 * goes to the inner source, behind A, only through a tunnel. First
	 * B bypasses everything: the error is dropped (`no_policy`), not
	 * sent in clear; then a PROTECT rule for it: it leaves as ESP. */
	fp_ctrl_worker_leave(b.c, 0);
	b.dp.mtu[b.port[0]] = 1280;
	fpt_gw_rework(&b, 0, 64);
	fpt_rule4_from(&r[0], "198.51.100.1", FP_SPD_PROTECT, 0x7101);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 1, err, sizeof(err)) == 0);
	fpt_gcm(&p, FP_DIR_OUT, 0x7105, false);
	fpt_add_sa(b.c, &p);
	fpt_gcm(&p, FP_DIR_IN, 0x7105, true);
	fpt_add_sa(a.c, &p);
	/* B's LAN port has 203.0.113.254: the error comes from there, inside
	 * the tunnel's selectors, not from the WAN address the ESP came to. */
	b.dp.local.n4 = 2;
	fpt_ip4("203.0.113.254", (uint8_t *)&b.dp.local.a4[1]);
	b.dp.local.a4_port1[1] = (uint8_t)(b.port[0] + 1);
	fpt_rule4(&r[1], "203.0.113.254", "203.0.113.254", "198.51.100.0", "198.51.100.255",
		  FP_SPD_PROTECT, 0x7105);
	fpt_rule4(&r[2], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255", FP_SPD_BYPASS,
		  0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(b.c, &r[2], 1, err, sizeof(err)) == 0);
	for (unsigned k = 0; k < 2; k++) {
		mb[0] = fpt_udp_pkt("198.51.100.1", "203.0.113.5", 1, 2, 0, 64, 1300);
		rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
		fp_worker_input(a.w[0], mb, 1);
		nf = fpt_ring_take(a.tx[1][0], f, 64);
		CU_ASSERT_EQUAL_FATAL(nf, 2); /* our ESP, in two */
		fp_worker_input(b.w[0], f, 2);
		CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->esp_in, k + 1);
		CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_MTU), k + 1);
		CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->icmp_too_big, k + 1);
		CU_ASSERT_EQUAL(fpt_ring_take(b.tx[0][0], f, 64), 0);
		n = fpt_ring_take(b.tx[1][0], f, 64);
		if (k == 0) {
			CU_ASSERT_EQUAL(n, 0);
			CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_NO_POLICY), 1);
			CU_ASSERT_FATAL(fp_ctrl_replace_spd(b.c, &r[1], 2, err, sizeof(err)) == 0);
		} else {
			CU_ASSERT_EQUAL_FATAL(n, 1);
			CU_ASSERT_EQUAL(rte_pktmbuf_mtod_offset(f[0], uint8_t *, 14 + 9)[0], 50);
			CU_ASSERT_EQUAL(fpt_be16at(f[0], 14 + 20 + 2), 0x7105);
			CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_NO_POLICY), 1);
			/* Back at A, decrypted: the error for 198.51.100.1. */
			fp_worker_input(a.w[0], f, 1);
			n = fpt_ring_take(a.tx[0][0], f, 64);
			CU_ASSERT_EQUAL_FATAL(n, 1);
			{
				const uint8_t *ip = rte_pktmbuf_mtod_offset(f[0], const uint8_t *,
									    14);
				uint8_t want[4];

				fpt_ip4("203.0.113.254", want);
				CU_ASSERT(ip[9] == 1 && memcmp(ip + 12, want, 4) == 0);
				CU_ASSERT(ip[20] == 3 && ip[21] == 4 &&
					  fpt_be16at(f[0], 14 + 26) == 1280);
			}
			rte_pktmbuf_free_bulk(f, n);
		}
	}

	/* Without a reassembly table every fragment is `frag`. */
	fp_ctrl_worker_leave(b.c, 0);
	fpt_gw_rework(&b, 0, 0);
	mb[0] = fpt_udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 32);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x20;
	fp_worker_input(b.w[0], mb, 1);
	CU_ASSERT_EQUAL(fpt_wdrops(&b, FP_WD_FRAG), 1);

	fp_ctrl_worker_leave(a.c, 0);
	fp_ctrl_worker_leave(b.c, 0);
	fpt_gw_fini(&a);
	fpt_gw_fini(&b);
}

static const struct test_case cases[] = {
	{ "fragment_identifications_disjoint", test_frag_ids },
	{ "worker_fragments", test_worker_fragments },
	{ "worker_big_datagrams_punted", test_worker_big_datagrams_punted },
	{ NULL, NULL },
};
TEST_SUITE(frag, cases)
