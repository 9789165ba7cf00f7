/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target for the fast path's worker (fastpath/worker.c and what it
 * calls: classification, SAD/SPD, ESP in and out, reassembly, fragmentation,
 * ICMP errors, ARP and neighbour answers), on one gateway whose WAN port loops back to itself: it owns
 * both ends of each tunnel, so the ESP it sends is valid ESP it can receive.
 *
 * Each input drives (byte by byte) a burst of frames: plaintext to protect
 * (GCM and CBC-HMAC over IPv4, GCM over IPv6, some over the WAN MTU of 1,280
 * so they leave in fragments), bypassed packets with DF that draw ICMP
 * errors, IPv6, ARP, IKE, fragments to the gateway, random bytes. What the
 * gateway sends towards the peer is then mutated (bytes flipped, header
 * fields rewritten, truncated, extended, fragment fields changed), shuffled
 * and fed back. Invariants: no crash or undefined behaviour (build with
 * ASan+UBSan), and no mbuf lost: every few hundred inputs, and at the end,
 * the worker is freed (its reassembly table with it) and the pool must be
 * full again. Violations abort().
 *
 * Standalone (make test builds it under ASan+UBSan; N inputs from a seed):
 *   build/asan/fuzz/fuzz_fastpath [N [seed]]
 * libFuzzer (coverage-guided; 2026-12-01: 212,796 inputs in 6 minutes,
 * 3,740 edges, then on the final code with neighbour answers 422,947 in
 * 10 minutes, 3,996 edges; no finding):
 *   clang -O1 -g -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -I. \
 *     $(pkg-config --cflags libdpdk) -march=native -include rte_config.h \
 *     fuzz/fuzz_fastpath.c fastpath/[a-z]*.c -o fuzz_fp \
 *     $(pkg-config --libs libdpdk) -lIPSec_MB -lrte_net_ring
 *   ASAN_OPTIONS=detect_leaks=0 ./fuzz_fp -max_total_time=360 -max_len=1024 corpus/ */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fastpath/ctrl_core.h"
#include "fastpath/route.h"
#include "fastpath/spd.h"
#include "fastpath/worker.h"
#include "fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POOL_N     4095u
#define MAXF       64u /* frames per phase */
#define LEAK_EVERY 256u

static struct rte_mempool *pool;
static struct fp_ctrl *ctrl;
static struct fp_routes *routes;
static struct fp_dp dp;
static struct fp_worker *wk;
static uint16_t port[2];
static struct rte_ring *rxr[2], *txr[2];
static unsigned inputs;
/* Counters of the workers freed so far (one is made every LEAK_EVERY). */
static uint64_t tot_rx, tot_esp_in, tot_esp_out, tot_frag_in, tot_reasm, tot_frag_out, tot_icmp,
	tot_neigh;

/* ---- the input as a stream of choices ---- */

struct src {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct src *s, unsigned range)
{
	unsigned v;

	if (range <= 1)
		return 0;
	if (s->n == 0)
		return 0;
	v = s->p[0];
	if (range > 256 && s->n > 1) {
		v = (unsigned)(s->p[0] << 8 | s->p[1]);
		s->p++;
		s->n--;
	}
	s->p++;
	s->n--;
	return v % range;
}

/* ---- setup ---- */

static void addr4(const char *a, uint8_t *out)
{
	CHECK(inet_pton(AF_INET, a, out) == 1);
}

static void addr6(const char *a, uint8_t *out)
{
	CHECK(inet_pton(AF_INET6, a, out) == 1);
}

static void route(uint8_t family, const char *pfx, uint8_t plen, unsigned side)
{
	struct fp_nh_key nh = { .port = port[side], .is_static = true };
	uint8_t a[16] = { 0 };

	if (family == 4)
		addr4(pfx, a);
	else
		addr6(pfx, a);
	memset(&nh.dmac, 0x02, sizeof(nh.dmac));
	CHECK(fp_routes_add(routes, family, a, plen, &nh) == 0);
}

static void mkport(unsigned i)
{
	struct rte_eth_conf conf = { 0 };
	char name[32];
	int p;

	snprintf(name, sizeof(name), "fz_r%u", i);
	rxr[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "fz_t%u", i);
	txr[i] = rte_ring_create(name, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	CHECK(rxr[i] != NULL && txr[i] != NULL);
	snprintf(name, sizeof(name), "fz_p%u", i);
	p = rte_eth_from_rings(name, &rxr[i], 1, &txr[i], 1, 0);
	CHECK(p >= 0);
	port[i] = (uint16_t)p;
	CHECK(rte_eth_dev_configure(port[i], 1, 1, &conf) == 0);
	CHECK(rte_eth_rx_queue_setup(port[i], 0, 512, 0, NULL, pool) == 0);
	CHECK(rte_eth_tx_queue_setup(port[i], 0, 512, 0, NULL) == 0);
	CHECK(rte_eth_dev_start(port[i]) == 0);
}

/* Outbound at 192.0.2.1 (2001:db8::1) towards .2 (::2), and the same SA
 * inbound at .2 (::2): the gateway has both addresses. */
static void sa_pair(uint32_t spi, uint8_t family, enum fp_cipher c, bool udp)
{
	struct fp_sa_params p;
	char err[128] = "";

	for (int dir = 0; dir < 2; dir++) {
		memset(&p, 0, sizeof(p));
		p.spi = spi;
		p.dir = dir == 0 ? FP_DIR_OUT : FP_DIR_IN;
		p.mode = FP_MODE_TUNNEL;
		p.outer_family = family;
		if (family == 4) {
			addr4(dir == 0 ? "192.0.2.1" : "192.0.2.2", p.local);
			addr4(dir == 0 ? "192.0.2.2" : "192.0.2.1", p.remote);
		} else {
			addr6(dir == 0 ? "2001:db8::1" : "2001:db8::2", p.local);
			addr6(dir == 0 ? "2001:db8::2" : "2001:db8::1", p.remote);
		}
		p.udp_encap = udp;
		p.encap_local_port = p.encap_remote_port = udp ? 4500 : 0;
		p.cipher = c;
		if (c == FP_CIPHER_AES_GCM) {
			p.cipher_key_len = 20;
		} else {
			p.cipher_key_len = 16;
			p.auth = FP_AUTH_HMAC_SHA256_128;
			p.auth_key_len = 32;
			for (unsigned i = 0; i < 32; i++)
				p.auth_key[i] = (uint8_t)(spi + 3 * i);
		}
		for (unsigned i = 0; i < p.cipher_key_len; i++)
			p.cipher_key[i] = (uint8_t)(spi * 7 + i);
		p.replay_window = 64; /* small: shuffled input meets it */
		if (fp_ctrl_add_sa(ctrl, &p, err, sizeof(err)) != 0) {
			fprintf(stderr, "add_sa 0x%x: %s\n", spi, err);
			abort();
		}
	}
}

static void rule(struct fp_spd_rule *r, uint8_t family, const char *slo, const char *shi,
		 enum fp_spd_action a, uint32_t spi)
{
	memset(r, 0, sizeof(*r));
	r->sel.family = family;
	if (family == 4) {
		addr4(slo, r->sel.src_lo);
		addr4(shi, r->sel.src_hi);
		memset(r->sel.dst_hi, 0xff, 4);
	} else {
		addr6(slo, r->sel.src_lo);
		addr6(shi, r->sel.src_hi);
		memset(r->sel.dst_hi, 0xff, 16);
	}
	r->sel.sport_hi = r->sel.dport_hi = 65535;
	r->action = a;
	r->spi = spi;
}

static void worker_new(void)
{
	struct fp_worker_cfg wc = {
		.id = 0, .dp = &dp, .n_rxq = 2, .reasm_max = 8, .reasm_timeout_ms = 1
	};

	for (unsigned s = 0; s < 2; s++)
		wc.rxq[s].port = port[s];
	wk = fp_worker_create(&wc);
	CHECK(wk != NULL);
	CHECK(fp_ctrl_worker_join(ctrl, 0, wk) == 0);
}

static void setup(void)
{
	char *argv[] = { "fuzz_fastpath",
			 "--no-huge",
			 "-m",
			 "256",
			 "--no-pci",
			 "--no-shconf",
			 "--no-telemetry",
			 "-l",
			 "0",
			 "--log-level=lib.eal:error",
			 "--log-level=user1:error",
			 NULL };
	struct fp_ctrl_cfg cc = { .name = "fz", .n_workers = 1, .max_sa = 64, .ring_size = 1024 };
	struct fp_spd_rule r[8];
	char err[128] = "";

	CHECK(rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) >= 0);
	pool = rte_pktmbuf_pool_create("fz_mbufs", POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	CHECK(pool != NULL);
	mkport(0);
	mkport(1);
	ctrl = fp_ctrl_create(&cc, err, sizeof(err));
	CHECK(ctrl != NULL);
	routes = fp_routes_create("fz_rt", 64, 0);
	CHECK(routes != NULL);
	route(4, "198.51.100.0", 24, 0);
	route(4, "203.0.113.0", 24, 0);
	route(4, "192.0.2.0", 24, 1);
	route(6, "2001:db8::", 32, 1);
	route(6, "2001:db8:5::", 48, 0);
	dp.ctrl = ctrl;
	dp.routes = routes;
	dp.local.n4 = 2;
	addr4("192.0.2.1", (uint8_t *)&dp.local.a4[0]);
	addr4("192.0.2.2", (uint8_t *)&dp.local.a4[1]);
	dp.local.n6 = 2;
	addr6("2001:db8::1", dp.local.a6[0]);
	addr6("2001:db8::2", dp.local.a6[1]);
	dp.local.natt_port = 4500;
	dp.local.ike_port = 500;
	dp.mtu[port[1]] = 1280;
	sa_pair(0x200, 4, FP_CIPHER_AES_GCM, false);
	sa_pair(0x201, 6, FP_CIPHER_AES_GCM, false);
	sa_pair(0x202, 4, FP_CIPHER_AES_CBC, true);
	rule(&r[0], 4, "198.51.100.1", "198.51.100.1", FP_SPD_PROTECT, 0x200);
	rule(&r[1], 4, "198.51.100.2", "198.51.100.2", FP_SPD_PROTECT, 0x201);
	rule(&r[2], 4, "198.51.100.3", "198.51.100.3", FP_SPD_PROTECT, 0x202);
	rule(&r[3], 4, "198.51.100.4", "198.51.100.4", FP_SPD_DISCARD, 0);
	rule(&r[4], 4, "0.0.0.0", "255.255.255.255", FP_SPD_BYPASS, 0);
	rule(&r[5], 6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", FP_SPD_BYPASS, 0);
	CHECK(fp_ctrl_replace_spd(ctrl, r, 6, err, sizeof(err)) == 0);
	worker_new();
}

/* ---- frames ---- */

static uint16_t cksum(const uint8_t *p, unsigned n)
{
	uint32_t s = 0;

	for (unsigned i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint8_t *frame(struct rte_mbuf **m, unsigned len, uint16_t et)
{
	uint8_t *b;

	*m = rte_pktmbuf_alloc(pool);
	CHECK(*m != NULL);
	b = (uint8_t *)rte_pktmbuf_append(*m, (uint16_t)len);
	CHECK(b != NULL);
	memset(b, 0, len);
	memset(b, 0x02, 12);
	(*m)->port = port[0]; /* as if received on the LAN */
	b[12] = (uint8_t)(et >> 8);
	b[13] = (uint8_t)et;
	return b + 14;
}

/* IPv4 + UDP of `pay` payload bytes. */
static struct rte_mbuf *udp4(const char *src, const char *dst, unsigned pay, uint16_t frag,
			     uint16_t dport)
{
	struct rte_mbuf *m;
	unsigned len = 20 + 8 + pay;
	uint8_t *ip = frame(&m, 14 + len, 0x0800);

	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[4] = 0x12;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 64;
	ip[9] = 17;
	addr4(src, ip + 12);
	addr4(dst, ip + 16);
	uint16_t c = cksum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ip[20] = 0x10;
	ip[22] = (uint8_t)(dport >> 8);
	ip[23] = (uint8_t)dport;
	ip[24] = (uint8_t)((8 + pay) >> 8);
	ip[25] = (uint8_t)(8 + pay);
	return m;
}

static struct rte_mbuf *udp6(const char *src, const char *dst, unsigned pay, bool frag_hdr,
			     uint16_t fo)
{
	struct rte_mbuf *m;
	unsigned ext = frag_hdr ? 8 : 0, len = 40 + ext + 8 + pay;
	uint8_t *ip = frame(&m, 14 + len, 0x86dd);

	ip[0] = 0x60;
	ip[4] = (uint8_t)((len - 40) >> 8);
	ip[5] = (uint8_t)(len - 40);
	ip[6] = frag_hdr ? 44 : 17;
	ip[7] = 64;
	addr6(src, ip + 8);
	addr6(dst, ip + 24);
	if (frag_hdr) {
		ip[40] = 17;
		ip[42] = (uint8_t)(fo >> 8);
		ip[43] = (uint8_t)fo;
		ip[47] = 7;
	}
	return m;
}

/* A neighbour solicitation, for one of our addresses or not, valid or
 * with its hop limit, code or checksum changed as the input says. */
static struct rte_mbuf *ns6(struct src *s)
{
	struct rte_mbuf *m;
	uint8_t *ip = frame(&m, 14 + 40 + 32, 0x86dd), *ic = ip + 40;
	static const uint8_t mc[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	uint16_t ck;

	memcpy(ip - 14, mc, 6); /* the solicited-node group */
	ip[0] = 0x60;
	ip[5] = 32;
	ip[6] = 58;
	ip[7] = take(s, 8) ? 255 : (uint8_t)take(s, 256);
	if (take(s, 4))
		addr6("2001:db8::9", ip + 8); /* else :: (DAD) */
	addr6("ff02::1:ff00:1", ip + 24);
	ic[0] = 135;
	ic[1] = take(s, 8) ? 0 : (uint8_t)take(s, 256);
	addr6(take(s, 3) ? "2001:db8::1" : "2001:db8::77", ic + 8);
	ic[24] = 1;
	ic[25] = (uint8_t)take(s, 3); /* option length, 0 is invalid */
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &ck, 2);
	if (take(s, 8) == 0)
		ic[3] ^= 1;
	return m;
}

static struct rte_mbuf *junk(struct src *s)
{
	struct rte_mbuf *m;
	unsigned len = take(s, 200);
	uint8_t *b = frame(&m, 14 + len, (uint16_t)(take(s, 4) == 0 ? 0x0806 : 0x0800));

	for (unsigned i = 0; i < len; i++)
		b[i] = (uint8_t)take(s, 256);
	if (len > 0 && take(s, 2))
		b[0] = take(s, 2) ? 0x45 : 0x60;
	return m;
}

static struct rte_mbuf *first_frame(struct src *s)
{
	static const char *const protect[] = { "198.51.100.1", "198.51.100.2", "198.51.100.3",
					       "198.51.100.4" };
	unsigned pay = take(s, 1500);

	switch (take(s, 10)) {
	case 0:
	case 1:
	case 2: return udp4(protect[take(s, 4)], "203.0.113.5", pay, 0, 2000);
	case 3: /* bypassed, DF: ICMP error when big */
		return udp4("198.51.100.9", "192.0.2.9", pay, take(s, 2) ? 0x4000 : 0, 9);
	case 4: return udp6("2001:db8:5::7", "2001:db8::99", pay, false, 0);
	case 5: /* IKE, NAT-T marker */
		return udp4("192.0.2.9", "192.0.2.1", pay % 300, 0, take(s, 2) ? 500 : 4500);
	case 6: /* a fragment to us */
		return udp4("192.0.2.9", "192.0.2.1", pay % 600,
			    (uint16_t)((take(s, 2) ? 0x2000 : 0) | take(s, 0x2000)), 500);
	case 7:
		return udp6("2001:db8::9", "2001:db8::1", pay % 600, true,
			    (uint16_t)(take(s, 0x10000)));
	case 8: return ns6(s);
	default: return junk(s);
	}
}

/* Changes frame m as the input says. */
static void mutate(struct src *s, struct rte_mbuf *m)
{
	unsigned n = take(s, 4);

	for (unsigned k = 0; k < n; k++) {
		uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
		unsigned len = m->data_len;

		switch (take(s, 6)) {
		case 0: /* anywhere */
			if (len)
				b[take(s, 65536) % len] ^= (uint8_t)(1u << take(s, 8));
			break;
		case 1: /* a header byte */
			if (len > 14)
				b[14 + take(s, 64) % (len - 14)] = (uint8_t)take(s, 256);
			break;
		case 2: /* shorter */
			if (len > 1)
				rte_pktmbuf_trim(m, (uint16_t)(1 + take(s, 65536) % (len - 1)));
			break;
		case 3: /* longer */
		{
			unsigned add = take(s, 64);
			uint8_t *t = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)add);

			for (unsigned i = 0; t != NULL && i < add; i++)
				t[i] = (uint8_t)take(s, 256);
			break;
		}
		case 4: /* IPv4 fragment field, IPv6 next header */
			if (len > 21) {
				b[20] = (uint8_t)take(s, 256);
				b[21] = (uint8_t)take(s, 256);
			}
			break;
		default: /* an SPI or sequence number byte */
			if (len > 14 + 20 + 8)
				b[14 + 20 + take(s, 16)] = (uint8_t)take(s, 256);
			break;
		}
	}
}

/* ---- one input ---- */

static void drain(void)
{
	struct rte_mbuf *m[64];
	unsigned n;

	for (unsigned i = 0; i < 2; i++)
		while ((n = rte_ring_dequeue_burst(txr[i], (void **)m, 64, NULL)) != 0)
			rte_pktmbuf_free_bulk(m, n);
	while (fp_ctrl_poll(ctrl) != 0)
		;
}

/* Frees the worker (and what its reassembly table holds): the pool must
 * be whole again. Then a new worker, unless this is the end. */
static void leak_check(bool again)
{
	const struct fp_worker_stats *st;

	drain();
	st = fp_worker_stats(wk);
	tot_rx += st->rx;
	tot_esp_in += st->esp_in;
	tot_esp_out += st->esp_out;
	tot_frag_in += st->frag_in;
	tot_reasm += st->reassembled;
	tot_frag_out += st->frag_out;
	tot_icmp += st->icmp_too_big;
	tot_neigh += st->neigh_replies;
	fp_ctrl_worker_leave(ctrl, 0);
	fp_worker_free(wk);
	CHECK(rte_mempool_avail_count(pool) == POOL_N);
	if (again)
		worker_new();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = { data, size };
	struct rte_mbuf *in[MAXF], *wire[MAXF];
	unsigned n, nw;

	if (pool == NULL)
		setup();
	n = 1 + take(&s, 16);
	for (unsigned i = 0; i < n; i++)
		in[i] = first_frame(&s);
	fp_worker_input(wk, in, (uint16_t)n);
	/* What went towards the peer comes back, changed and shuffled. */
	nw = rte_ring_dequeue_burst(txr[1], (void **)wire, MAXF, NULL);
	for (unsigned i = 0; i < nw; i++) {
		unsigned j = take(&s, nw);
		struct rte_mbuf *t = wire[i];

		wire[i] = wire[j];
		wire[j] = t;
	}
	for (unsigned i = 0; i < nw; i++) {
		if (take(&s, 3) == 0)
			mutate(&s, wire[i]);
		if (take(&s, 8) == 0 && nw < MAXF) { /* and some twice */
			wire[nw] = rte_pktmbuf_copy(wire[i], pool, 0, UINT32_MAX);
			if (wire[nw] != NULL)
				nw++;
		}
	}
	if (nw != 0)
		fp_worker_input(wk, wire, (uint16_t)nw);
	/* Now and then, time for held fragments to expire. */
	if (take(&s, 32) == 0) {
		rte_delay_us_block(1500);
		for (unsigned i = 0; i < 1024; i++)
			fp_worker_poll(wk);
	}
	drain();
	if (++inputs % LEAK_EVERY == 0)
		leak_check(true);
	return 0;
}

#ifdef FUZZ_STANDALONE
int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	uint8_t buf[1024];

	srandom((unsigned)seed);
	for (unsigned long i = 0; i < n; i++) {
		size_t len = (size_t)(random() % sizeof(buf));

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)random();
		LLVMFuzzerTestOneInput(buf, len);
	}
	leak_check(false);
	fp_ctrl_free(ctrl);
	fp_routes_free(routes);
	printf("fuzz_fastpath: %lu inputs: rx %lu frames, esp_out %lu, esp_in %lu, "
	       "frag_out %lu, frag_in %lu, reassembled %lu, icmp_too_big %lu, neigh_replies %lu; "
	       "no mbuf lost\n",
	       n, (unsigned long)tot_rx, (unsigned long)tot_esp_out, (unsigned long)tot_esp_in,
	       (unsigned long)tot_frag_out, (unsigned long)tot_frag_in, (unsigned long)tot_reasm,
	       (unsigned long)tot_icmp, (unsigned long)tot_neigh);
	/* The inputs must reach what they are meant to exercise. */
	if (n >= 1000)
		CHECK(tot_esp_in > 0 && tot_esp_out > 0 && tot_frag_out > 0 && tot_reasm > 0 &&
		      tot_icmp > 0 && tot_neigh > 0);
	printf("%lu passed, 0 failed\n", n);
	return 0;
}
#endif
