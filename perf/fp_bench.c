/* SPDX-License-Identifier: BSD-3-Clause */
/* fp_bench: our ESP layer alone (fastpath/ fp_esp_process) on one core.
 *
 * No ports, no classification: a pool of pre-built mbufs is pushed through
 * fp_esp_process() a burst at a time. Only the call is timed (rte_rdtsc
 * around each burst); putting the packets back between bursts (outbound:
 * reset the mbuf and rewrite the inner header; inbound: copy the ESP bytes
 * back and, once per pass over the pool, reset the replay window) is not.
 * The working set is -n mbufs (default 1024, ~1.5 MB at 1420 bytes) cycled
 * in order, so the data is mostly in L2/L3 as a NIC with DDIO would leave it.
 * How warm the data is when timed: outbound, the inner IP/UDP header was
 * just rewritten (L1), the rest of the packet was last touched one pass over
 * the pool ago (L2/L3); inbound, the whole ESP packet was just copied back
 * (L1/L2): inbound runs on warmer data than outbound or imb_ceiling.
 *
 * Two figures per case: the mean over every timed burst (comparable with
 * imb_ceiling, which reports the mean), and the median of the per-burst
 * cycles ("p50"), which a burst hit by preemption on a shared machine does
 * not move.
 *
 * Cases: AES-128-GCM and AES-128-CBC + HMAC-SHA-256-128, tunnel IPv4-in-IPv4,
 * outbound (encrypt) and inbound (decrypt), inner IP packets of 64, 512,
 * 1420 bytes and IMIX (7 x 64, 4 x 576, 1 x 1420). Reported: Mpps and Gbit/s
 * of inner packets at the measured TSC cycles per packet (the rate one core
 * would reach if it did nothing else), and those cycles.
 *
 * Also: SA lookup by SPI with 1, 10k and 1M SAs installed, random lookups
 * of installed SPIs in bursts of 32 (with 1 SA every burst is one run of
 * equal SPIs, which fp_sad_lookup_in() looks up once; with 10k and 1M
 * nearly every packet is its own run): through fastpath/sad.h
 * (fp_sad_lookup_in) when it exists, else a plain rte_hash keyed the same.
 *
 * Usage: fp_bench [EAL args] -- [-t secs] [-b burst] [-a gcm,cbc]
 *                 [-s 64,512,1420,imix] [-d out,in] [-r reps] [-n pkts] [-L|-N|-P] [-G] [-W] [-l 1,10000,1000000]
 *   -n  working set in packets (multiple of 64, <= 4096); -N no SA lookup; -L  SA lookup only; -l the SA counts; default: ESP cases then lookups.
 *   -P  only the SPD classification: 1-16 IPv4 policies, rte_acl against the scan (fastpath/spd.h).
 *   -G  after each GCM case, the same payloads through intel-ipsec-mb's direct GCM API alone
 *       (run_gcm_direct(): the crypto floor under our ESP layer).
 *   -W  the whole worker loop instead of the ESP layer alone (AES-128-GCM; needs the EAL
 *       argument --vdev net_ring0, e.g. fp_bench --no-huge -m 1024 --no-pci -l 1
 *       --vdev net_ring0 -- -W -N).
 *   -T N with -W: the outbound rate (64 bytes) with 1 tunnel against N tunnels installed (an SA
 *       and a PROTECT policy each, 198.51.100.0/24 -> 198.18.0.0 + i, RFC 2544's benchmark
 *       range, nothing leaves the process) with the traffic spread over S of them (-T N:S,
 *       default -n: a packet each); -r pairs.
 *   -C R with -T: also the N-tunnel rate while another CPU (the control core's) installs and
 *       deletes R CHILD SAs a second (both SAs and a policy each), and the packets lost.
 * JSON lines on stdout, a table on stderr. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include <rte_ethdev.h>
#include <intel-ipsec-mb.h>

#include "fastpath/ctrl_core.h"
#include "fastpath/fp_sa.h"
#include "fastpath/route.h"
#include "fastpath/spd.h"
#include "fastpath/worker.h"

#define NPKT_MAX 4096u
static unsigned NPKT = 1024; /* working set, -n */
#define MAXB FP_MAX_BURST

static const uint32_t imix_pat[12] = { 64, 576, 64, 64, 576, 64, 1420, 64, 576, 64, 576, 64 };

struct opts {
	double secs;
	unsigned burst, reps;
	const char *algs, *sizes, *dirs, *lookups;
	bool lookup_only;
	bool direct;      /* -G: also the direct-API GCM ceiling */
	bool worker;      /* -W: the whole worker loop */
	unsigned tunnels; /* -T N[:S]: with -W, N tunnels installed against 1 */
	unsigned spread;  /* S: the traffic over this many of them (default -n) */
	unsigned churn;   /* -C R: also with R CHILD SAs installed and deleted a second */
};

static bool want(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && strncmp(p, item, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* IPv4/UDP 198.51.100.1:1024 -> 203.0.113.1:1024, total length len. */
static void build_inner(uint8_t *p, uint32_t len, uint32_t n)
{
	static const uint8_t hdr[28] = {
		0x45, 0x00, 0,   0, 0x12, 0x34, 0x00, 0x00, 64,   17,   0, 0, 198, 51,
		100,  1,    203, 0, 113,  1,    0x04, 0x00, 0x04, 0x00, 0, 0, 0,   0,
	};
	uint32_t sum = 0;

	memcpy(p, hdr, sizeof(hdr));
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[24] = (uint8_t)((len - 20) >> 8);
	p[25] = (uint8_t)(len - 20);
	for (uint32_t i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
	for (uint32_t i = 28; i < len; i++)
		p[i] = (uint8_t)(i + n);
}

static void sa_params(struct fp_sa_params *p, bool gcm, enum fp_dir dir)
{
	static const uint8_t l4[4] = { 192, 0, 2, 1 }, r4[4] = { 192, 0, 2, 2 };

	memset(p, 0, sizeof(*p));
	p->spi = 0x1000;
	p->dir = dir;
	p->mode = FP_MODE_TUNNEL;
	p->outer_family = 4;
	memcpy(p->local, dir == FP_DIR_OUT ? l4 : r4, 4);
	memcpy(p->remote, dir == FP_DIR_OUT ? r4 : l4, 4);
	if (gcm) {
		p->cipher = FP_CIPHER_AES_GCM;
		p->cipher_key_len = 20;
		for (int i = 0; i < 20; i++)
			p->cipher_key[i] = (uint8_t)(0x10 + i);
	} else {
		p->cipher = FP_CIPHER_AES_CBC;
		p->cipher_key_len = 16;
		for (int i = 0; i < 16; i++)
			p->cipher_key[i] = (uint8_t)(0x10 + i);
		p->auth = FP_AUTH_HMAC_SHA256_128;
		p->auth_key_len = 32;
		for (int i = 0; i < 32; i++)
			p->auth_key[i] = (uint8_t)(0x40 + i);
	}
	p->replay_window = 1024;
}

struct ctx {
	struct rte_mempool *pool;
	struct rte_mbuf *m[NPKT_MAX];
	uint32_t inner_len[NPKT_MAX];
	uint8_t *wire; /* inbound: ESP packet i at wire + i * 2048 */
	uint16_t wire_len[NPKT_MAX];
	struct fp_crypto_engine *eng;
	struct fp_sa *out, *in;
};

struct result {
	double mpps, gbps, cycles, p50;
	uint64_t pkts, drops;
};

#define NSAMP (1u << 20)
static uint32_t *samp; /* per-burst cycles per packet (x16) */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int sa_make(struct fp_sa **sa, bool gcm, enum fp_dir dir)
{
	struct fp_sa_params p;
	char err[128];

	*sa = rte_zmalloc(NULL, sizeof(**sa), RTE_CACHE_LINE_SIZE);
	if (*sa == NULL)
		return -1;
	sa_params(&p, gcm, dir);
	if (fp_sa_init(*sa, &p, &fp_crypto_imb, err, sizeof(err)) != 0) {
		fprintf(stderr, "fp_sa_init: %s\n", err);
		return -1;
	}
	return 0;
}

static void reset_plain(struct ctx *c, unsigned i)
{
	struct rte_mbuf *m = c->m[i];

	rte_pktmbuf_reset(m);
	m->data_len = (uint16_t)c->inner_len[i];
	m->pkt_len = c->inner_len[i];
	build_inner(rte_pktmbuf_mtod(m, uint8_t *), 28, i); /* header only */
	rte_pktmbuf_mtod(m, uint8_t *)[2] = (uint8_t)(c->inner_len[i] >> 8);
	rte_pktmbuf_mtod(m, uint8_t *)[3] = (uint8_t)c->inner_len[i];
}

static void reset_esp(struct ctx *c, unsigned i)
{
	struct rte_mbuf *m = c->m[i];

	rte_pktmbuf_reset(m);
	m->data_len = c->wire_len[i];
	m->pkt_len = c->wire_len[i];
	rte_memcpy(rte_pktmbuf_mtod(m, uint8_t *), c->wire + (size_t)i * 2048, c->wire_len[i]);
}

/* Sets up the pool for one size (0 = IMIX): plain packets, and for inbound
 * the ESP bytes our outbound SA makes of them (sequence numbers 1..NPKT). */
static int prepare(struct ctx *c, uint32_t size, bool inbound)
{
	for (unsigned i = 0; i < NPKT; i++) {
		struct rte_mbuf *m = c->m[i];

		c->inner_len[i] = size ? size : imix_pat[i % 12];
		rte_pktmbuf_reset(m);
		m->data_len = (uint16_t)c->inner_len[i];
		m->pkt_len = c->inner_len[i];
		build_inner(rte_pktmbuf_mtod(m, uint8_t *), c->inner_len[i], i);
	}
	if (!inbound)
		return 0;
	fp_sa_set_seq(c->out, 0);
	for (unsigned i = 0; i < NPKT; i += MAXB) {
		if (fp_esp_process(c->out, c->eng, c->m + i, MAXB) != MAXB) {
			fprintf(stderr, "prepare: outbound dropped packets (%s)\n",
				fp_drop_name(fp_mbuf_drop_reason(c->m[i])));
			return -1;
		}
	}
	for (unsigned i = 0; i < NPKT; i++) {
		c->wire_len[i] = (uint16_t)c->m[i]->pkt_len;
		memcpy(c->wire + (size_t)i * 2048, rte_pktmbuf_mtod(c->m[i], uint8_t *),
		       c->wire_len[i]);
	}
	return 0;
}

static void run_esp(struct ctx *c, bool inbound, double secs, unsigned burst, struct result *r)
{
	struct fp_sa *sa = inbound ? c->in : c->out;
	uint64_t hz = rte_get_tsc_hz(), end = rte_rdtsc() + (uint64_t)(secs * (double)hz);
	uint64_t cyc = 0, pkts = 0, bytes = 0, drops = 0;
	unsigned i = 0, ns = 0;

	fp_sa_set_seq(sa, 0);
	while (rte_rdtsc() < end) {
		for (unsigned rep = 0; rep < 64; rep++) {
			uint16_t n = (uint16_t)RTE_MIN(burst, NPKT - i), good;
			uint64_t t0;

			if (i == 0 && inbound)
				fp_sa_set_seq(sa, 0); /* pool replays seq 1..NPKT */
			for (unsigned k = 0; k < n; k++) {
				if (inbound)
					reset_esp(c, i + k);
				else
					reset_plain(c, i + k);
				bytes += c->inner_len[i + k];
			}
			t0 = rte_rdtsc();
			good = fp_esp_process(sa, c->eng, c->m + i, n);
			t0 = rte_rdtsc() - t0;
			cyc += t0;
			if (ns < NSAMP)
				samp[ns++] = (uint32_t)RTE_MIN(t0 * 16 / n, (uint64_t)UINT32_MAX);
			pkts += n;
			drops += (uint64_t)(n - good);
			i = (i + n) % NPKT;
		}
	}
	r->pkts = pkts;
	r->drops = drops;
	r->cycles = (double)cyc / (double)pkts;
	qsort(samp, ns, sizeof(samp[0]), cmp_u32);
	r->p50 = ns ? samp[ns / 2] / 16.0 : 0;
	r->mpps = (double)hz / r->cycles / 1e6;
	r->gbps = r->mpps * 1e6 * ((double)bytes / (double)pkts) * 8 / 1e9;
}

/* The crypto alone, the cheapest way intel-ipsec-mb offers it: AES-128-GCM
 * through the direct API (IMB_AES128_GCM_ENC/DEC, what crypto_imb.c uses),
 * in place on the very bytes run_esp() would encrypt or decrypt (same mbufs,
 * same offsets and alignment, same untimed reset before each burst, so the
 * data is as warm), ESP payload lengths (inner + pad + 2, aligned to 4),
 * 8-byte AAD, bursts of `burst` timed like run_esp(). Not a strict floor:
 * run_esp()'s build pass touches each packet's trailer line before the
 * crypto runs, this loop meets it cold, so at 64 bytes it can come out
 * slower than the whole ESP path; the ESP layer's exact own cost is in
 * instruction counts (callgrind, see perf/fastpath_results.md). */
static double run_gcm_direct(struct ctx *c, bool dec, double secs, unsigned burst, double *p50)
{
	static uint8_t key[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
				   0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
	uint8_t nonce[16] = { 0 }, aad[16] = { 0 }, tag[16];
	struct gcm_key_data *k = rte_zmalloc(NULL, sizeof(*k), 64);
	struct gcm_context_data *g = rte_zmalloc(NULL, sizeof(*g), 64);
	IMB_MGR *m = alloc_mb_mgr(0);
	uint64_t hz = rte_get_tsc_hz(), end, cyc = 0, n = 0;
	unsigned i = 0, ns = 0;

	*p50 = 0;
	if (k == NULL || g == NULL || m == NULL)
		return 0;
	init_mb_mgr_auto(m, NULL);
	IMB_AES128_GCM_PRE(m, key, k);
	end = rte_rdtsc() + (uint64_t)(secs * (double)hz);
	while (rte_rdtsc() < end) {
		for (unsigned rep = 0; rep < 64; rep++) {
			unsigned b = RTE_MIN(burst, NPKT - i);
			uint64_t t0;

			for (unsigned j = 0; j < b; j++) {
				if (dec)
					reset_esp(c, i + j);
				else
					reset_plain(c, i + j);
			}
			t0 = rte_rdtsc();
			for (unsigned j = 0; j < b; j++) {
				/* outbound: the inner packet; inbound: after outer IP, ESP, IV */
				uint8_t *p = rte_pktmbuf_mtod(c->m[i + j], uint8_t *) +
					     (dec ? 36 : 0);
				uint64_t clen = RTE_ALIGN_CEIL(c->inner_len[i + j] + 2, 4u);

				nonce[11] = (uint8_t)j;
				if (dec)
					IMB_AES128_GCM_DEC(m, k, g, p, p, clen, nonce, aad, 8, tag,
							   16);
				else
					IMB_AES128_GCM_ENC(m, k, g, p, p, clen, nonce, aad, 8, tag,
							   16);
			}
			t0 = rte_rdtsc() - t0;
			cyc += t0;
			if (ns < NSAMP)
				samp[ns++] = (uint32_t)RTE_MIN(t0 * 16 / b, (uint64_t)UINT32_MAX);
			n += b;
			i = (i + b) % NPKT;
		}
	}
	qsort(samp, ns, sizeof(samp[0]), cmp_u32);
	*p50 = ns ? samp[ns / 2] / 16.0 : 0;
	free_mb_mgr(m);
	rte_free(k);
	rte_free(g);
	return (double)cyc / (double)n;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int esp_cases(struct ctx *c, const struct opts *o)
{
	static const char *const size_names[] = { "64", "512", "1420", "imix" };
	static const uint32_t size_vals[] = { 64, 512, 1420, 0 };
	int rc = 0;

	fprintf(stderr,
		"ESP layer alone, one core (lcore %u), burst %u, working set %u, %.1f s x %u per case\n",
		rte_lcore_id(), o->burst, NPKT, o->secs, o->reps);
	fprintf(stderr, "%-24s %-4s %-5s %9s %9s %10s %8s %8s\n", "alg", "dir", "size", "Mpps",
		"Gbit/s", "cyc/pkt", "p50", "drops");
	for (int a = 0; a < 2; a++) {
		bool gcm = a == 0;
		const char *alg = gcm ? "aes-128-gcm" : "aes-128-cbc-hmac-sha256";

		if (!want(o->algs, gcm ? "gcm" : "cbc"))
			continue;
		if (sa_make(&c->out, gcm, FP_DIR_OUT) != 0 || sa_make(&c->in, gcm, FP_DIR_IN) != 0)
			return -1;
		for (int d = 0; d < 2; d++) {
			bool inbound = d == 1;

			if (!want(o->dirs, inbound ? "in" : "out"))
				continue;
			for (int z = 0; z < 4; z++) {
				double cyc[32], p50[32];
				struct result r = { 0 }, tot = { 0 };

				if (!want(o->sizes, size_names[z]))
					continue;
				if (prepare(c, size_vals[z], inbound) != 0)
					return -1;
				run_esp(c, inbound, o->secs / 10, o->burst, &r); /* warm-up */
				for (unsigned k = 0; k < o->reps; k++) {
					run_esp(c, inbound, o->secs, o->burst, &r);
					cyc[k] = r.cycles;
					p50[k] = r.p50;
					tot.pkts += r.pkts;
					tot.drops += r.drops;
				}
				qsort(cyc, o->reps, sizeof(cyc[0]), cmp_dbl);
				qsort(p50, o->reps, sizeof(p50[0]), cmp_dbl);
				/* median cycles; rates follow from it */
				double med =
					o->reps % 2 ? cyc[o->reps / 2]
						    : (cyc[o->reps / 2 - 1] + cyc[o->reps / 2]) / 2;
				double bmed =
					o->reps % 2 ? p50[o->reps / 2]
						    : (p50[o->reps / 2 - 1] + p50[o->reps / 2]) / 2;
				double mpps = (double)rte_get_tsc_hz() / med / 1e6;
				double avg = r.gbps / r.mpps * 1e3 / 8; /* inner bytes per packet */
				double gbps = mpps * avg * 8 / 1e3;

				if (tot.drops)
					rc = 1;
				fprintf(stderr,
					"%-24s %-4s %-5s %9.2f %9.2f %10.1f %8.1f %8llu%s\n", alg,
					inbound ? "in" : "out", size_names[z], mpps, gbps, med,
					bmed, (unsigned long long)tot.drops,
					tot.drops ? "  DROPS" : "");
				if (gcm && o->direct) {
					double dp50 = 0, d0 = run_gcm_direct(c, inbound, o->secs,
									     o->burst, &dp50);

					fprintf(stderr,
						"%-24s %-4s %-5s %9.2f %9s %10.1f %8.1f   (gcm direct API, crypto only)\n",
						"aes-128-gcm-direct", inbound ? "in" : "out",
						size_names[z], (double)rte_get_tsc_hz() / d0 / 1e6,
						"", d0, dp50);
					printf("{\"bench\":\"gcm_direct\",\"alg\":\"aes-128-gcm\",\"dir\":\"%s\","
					       "\"size\":\"%s\",\"burst\":%u,\"set\":%u,\"tsc_cycles_per_op\":%.1f,"
					       "\"p50_burst_cycles_per_op\":%.1f}\n",
					       inbound ? "in" : "out", size_names[z], o->burst,
					       NPKT, d0, dp50);
				}
				printf("{\"bench\":\"fp_esp\",\"alg\":\"%s\",\"dir\":\"%s\",\"size\":\"%s\","
				       "\"burst\":%u,\"set\":%u,\"reps\":%u,\"mpps\":%.3f,\"gbps_inner\":%.3f,"
				       "\"tsc_cycles_per_pkt\":%.1f,\"p50_burst_cycles_per_pkt\":%.1f,"
				       "\"tsc_hz\":%llu,\"pkts\":%llu,\"drops\":%llu}\n",
				       alg, inbound ? "in" : "out", size_names[z], o->burst, NPKT,
				       o->reps, mpps, gbps, med, bmed,
				       (unsigned long long)rte_get_tsc_hz(),
				       (unsigned long long)tot.pkts, (unsigned long long)tot.drops);
				fflush(stdout);
			}
		}
		fp_sa_fini(c->out);
		fp_sa_fini(c->in);
		rte_free(c->out);
		rte_free(c->in);
		c->out = c->in = NULL;
	}
	return rc;
}

/* ---- the worker loop (-W) ----
 *
 * One gateway in this process: control core state, routes, one worker, and
 * a net_ring port (EAL `--vdev net_ring0`: its TX ring is its RX ring). Each
 * timed call is fp_worker_input() on a burst of Ethernet frames: classify,
 * SPD (rte_acl) or SAD (rte_hash), ESP, TTL, route (rte_lpm), Ethernet
 * header, rte_eth_tx_burst. Taking the frames back from the ring and
 * rewriting them is not timed. Outbound: plain 198.51.100.1 -> 203.0.113.1
 * frames, PROTECT by SA 0x1000 (AES-128-GCM tunnel 192.0.2.1 -> .2).
 * Inbound: ESP frames to 192.0.2.1, SPI 0x2000, made by our outbound code
 * once; the replay window is reset at each pass over the pool. No RX PMD
 * cost: that is the zero-copy source's business (perf/zc_gen.c). */
struct wbench {
	struct fp_ctrl *c;
	struct fp_routes *rt;
	struct fp_dp dp;
	struct fp_worker *w;
	struct fp_sa *in_sa;
	uint16_t port;
};

/* -T: the tunnels' inner destinations, 198.18.0.0 + i (RFC 2544's range
 * for benchmarks: nothing leaves the process); 0: all to 203.0.113.1. */
static unsigned wb_ntun, wb_spread;
static volatile bool wb_churning; /* the worker reports quiescent states per burst */

static void wb_set_dst(uint8_t *ip, unsigned i)
{
	uint32_t t = (uint32_t)(((uint64_t)(i % wb_spread) * 2654435761u) % wb_ntun);
	uint32_t d = 0xc6120000u + t, sum = 0;

	ip[16] = (uint8_t)(d >> 24), ip[17] = (uint8_t)(d >> 16);
	ip[18] = (uint8_t)(d >> 8), ip[19] = (uint8_t)d;
	ip[10] = ip[11] = 0;
	for (uint32_t k = 0; k < 20; k += 2)
		sum += (uint32_t)(ip[k] << 8 | ip[k + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
}

static int wb_setup(struct ctx *c, struct wbench *b, unsigned tunnels)
{
	struct fp_ctrl_cfg cc = { .name = "wb",
				  .n_workers = 1,
				  .max_sa = 1024 + tunnels /* and -C's in flight */,
				  .ring_size = 1024 };
	struct fp_nh_key nh = { .port = 0, .is_static = true };
	struct rte_eth_conf conf = { 0 };
	struct fp_sa_params p;
	struct fp_spd_rule r;
	char err[128] = "";
	static const uint8_t pfx[3][4] = { { 192, 0, 2, 0 },
					   { 198, 51, 100, 0 },
					   { 203, 0, 113, 0 } };

	if (rte_eth_dev_get_port_by_name("net_ring0", &b->port) != 0) {
		fprintf(stderr, "-W needs the EAL argument --vdev net_ring0\n");
		return -1;
	}
	if (rte_eth_dev_configure(b->port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(b->port, 0, 1024, 0, NULL, c->pool) != 0 ||
	    rte_eth_tx_queue_setup(b->port, 0, 1024, 0, NULL) != 0 ||
	    rte_eth_dev_start(b->port) != 0)
		return -1;
	b->c = fp_ctrl_create(&cc, err, sizeof(err));
	b->rt = fp_routes_create("wbrt", 16, 0);
	if (b->rt != NULL && tunnels) {
		struct fp_nh_key k = { .port = b->port, .is_static = true };

		memset(&k.dmac, 0x02, sizeof(k.dmac));
		fp_routes_add(b->rt, 4, (const uint8_t[]){ 198, 18, 0, 0 }, 15, &k);
	}
	if (b->c == NULL || b->rt == NULL) {
		fprintf(stderr, "worker bench: %s\n", err);
		return -1;
	}
	nh.port = b->port;
	memset(&nh.dmac, 0x02, sizeof(nh.dmac));
	for (int i = 0; i < 3; i++)
		if (fp_routes_add(b->rt, 4, pfx[i], 24, &nh) != 0)
			return -1;
	b->dp.ctrl = b->c;
	b->dp.routes = b->rt;
	b->dp.local.n4 = 1;
	memcpy(&b->dp.local.a4[0], (const uint8_t[]){ 192, 0, 2, 1 }, 4);
	b->dp.local.natt_port = 4500;
	b->dp.local.ike_port = 500;
	struct fp_worker_cfg wc = { .id = 0, .dp = &b->dp, .txq = 0 };
	b->w = fp_worker_create(&wc);
	if (b->w == NULL || fp_ctrl_worker_join(b->c, 0, b->w) != 0)
		return -1;
	sa_params(&p, true, FP_DIR_OUT); /* 192.0.2.1 -> .2, 0x1000 */
	if (fp_ctrl_add_sa(b->c, &p, err, sizeof(err)) != 0)
		goto fail;
	sa_params(&p, true, FP_DIR_IN);
	p.spi = 0x2000;
	memcpy(p.local, (const uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(p.remote, (const uint8_t[]){ 192, 0, 2, 2 }, 4);
	if (fp_ctrl_add_sa(b->c, &p, err, sizeof(err)) != 0)
		goto fail;
	b->in_sa = fp_ctrl_in_sa(b->c, 0x2000);
	memset(&r, 0, sizeof(r));
	r.sel.family = 4;
	memcpy(r.sel.src_lo, pfx[1], 4);
	memcpy(r.sel.src_hi, (const uint8_t[]){ 198, 51, 100, 255 }, 4);
	memcpy(r.sel.dst_lo, pfx[2], 4);
	memcpy(r.sel.dst_hi, (const uint8_t[]){ 203, 0, 113, 255 }, 4);
	r.sel.sport_hi = r.sel.dport_hi = 65535;
	r.action = FP_SPD_PROTECT;
	r.spi = 0x1000;
	if (fp_ctrl_replace_spd(b->c, &r, 1, err, sizeof(err)) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "worker bench: %s\n", err);
	return -1;
}

/* Frame i back to its start state: Ethernet + plain packet or + ESP. */
static void wb_reset(struct ctx *c, unsigned i, bool inbound)
{
	struct rte_mbuf *m = c->m[i];
	uint8_t *e;

	rte_pktmbuf_reset(m);
	if (inbound) {
		m->data_len = (uint16_t)(14 + c->wire_len[i]);
		e = rte_pktmbuf_mtod(m, uint8_t *);
		rte_memcpy(e + 14, c->wire + (size_t)i * 2048, c->wire_len[i]);
	} else {
		m->data_len = (uint16_t)(14 + c->inner_len[i]);
		e = rte_pktmbuf_mtod(m, uint8_t *);
		build_inner(e + 14, 28, i);
		e[14 + 2] = (uint8_t)(c->inner_len[i] >> 8);
		e[14 + 3] = (uint8_t)c->inner_len[i];
		if (wb_ntun)
			wb_set_dst(e + 14, i);
	}
	m->pkt_len = m->data_len;
	memset(e, 0x02, 12);
	e[12] = 0x08;
	e[13] = 0x00;
}

/* ESP frames for the inbound case: our outbound code with the peer's SA. */
static int wb_prepare_in(struct ctx *c)
{
	struct fp_sa_params p;
	struct fp_sa *peer;
	char err[128];
	int rc = 0;

	peer = rte_zmalloc(NULL, sizeof(*peer), RTE_CACHE_LINE_SIZE);
	sa_params(&p, true, FP_DIR_OUT);
	p.spi = 0x2000;
	memcpy(p.local, (const uint8_t[]){ 192, 0, 2, 2 }, 4);
	memcpy(p.remote, (const uint8_t[]){ 192, 0, 2, 1 }, 4);
	if (peer == NULL || fp_sa_init(peer, &p, &fp_crypto_imb, err, sizeof(err)) != 0)
		return -1;
	for (unsigned i = 0; i < NPKT && rc == 0; i += MAXB)
		if (fp_esp_process(peer, c->eng, c->m + i, MAXB) != MAXB)
			rc = -1;
	for (unsigned i = 0; i < NPKT; i++) {
		c->wire_len[i] = (uint16_t)c->m[i]->pkt_len;
		memcpy(c->wire + (size_t)i * 2048, rte_pktmbuf_mtod(c->m[i], uint8_t *),
		       c->wire_len[i]);
	}
	fp_sa_fini(peer);
	rte_free(peer);
	return rc;
}

static int wb_run(struct ctx *c, struct wbench *b, bool inbound, double secs, unsigned burst,
		  double *cyc_pp, double *p50, uint64_t *lost)
{
	uint64_t hz = rte_get_tsc_hz(), end = rte_rdtsc() + (uint64_t)(secs * (double)hz);
	uint64_t cyc = 0, pkts = 0;
	unsigned i = 0, ns = 0;

	*lost = 0;
	while (rte_rdtsc() < end) {
		for (unsigned rep = 0; rep < 64; rep++) {
			uint16_t n = (uint16_t)RTE_MIN(burst, NPKT - i), got = 0;
			uint64_t t0;

			if (i == 0 && inbound)
				fp_sa_set_seq(b->in_sa, 0);
			for (unsigned k = 0; k < n; k++)
				wb_reset(c, i + k, inbound);
			t0 = rte_rdtsc();
			fp_worker_input(b->w, c->m + i, n);
			t0 = rte_rdtsc() - t0;
			if (wb_churning) /* as the worker loop does: what churn frees waits for it */
				rte_rcu_qsbr_quiescent(fp_ctrl_rcu(b->c), 0);
			cyc += t0;
			if (ns < NSAMP)
				samp[ns++] = (uint32_t)RTE_MIN(t0 * 16 / n, (uint64_t)UINT32_MAX);
			pkts += n;
			/* what was sent comes back in order; dropped ones were freed */
			while (got < n) {
				uint16_t r = rte_eth_rx_burst(b->port, 0, c->m + i + got, n - got);

				if (r == 0)
					break;
				got += r;
			}
			if (got < n) {
				*lost += n - got;
				if (rte_pktmbuf_alloc_bulk(c->pool, c->m + i + got, n - got) != 0)
					return -1;
			}
			i = (i + n) % NPKT;
		}
	}
	*cyc_pp = (double)cyc / (double)pkts;
	qsort(samp, ns, sizeof(samp[0]), cmp_u32);
	*p50 = ns ? samp[ns / 2] / 16.0 : 0;
	return 0;
}

/* N tunnels (CHILD SAs) as IKE would install them: an outbound SA each
 * and its PROTECT policy, 198.51.100.0/24 -> 198.18.0.0 + i. */
static int wb_tunnels_add(struct wbench *b, unsigned n)
{
	struct fp_spd_rule *r = calloc(n, sizeof(*r));
	struct fp_sa_params p;
	char err[128] = "";
	int rc = r ? 0 : -1;

	for (unsigned i = 0; i < n && rc == 0; i++) {
		uint32_t d = 0xc6120000u + i;

		sa_params(&p, true, FP_DIR_OUT);
		p.spi = 0x100000 + i;
		rc = fp_ctrl_add_sa(b->c, &p, err, sizeof(err));
		r[i].sel.family = 4;
		memcpy(r[i].sel.src_lo, (const uint8_t[]){ 198, 51, 100, 0 }, 4);
		memcpy(r[i].sel.src_hi, (const uint8_t[]){ 198, 51, 100, 255 }, 4);
		for (int k = 0; k < 4; k++)
			r[i].sel.dst_lo[k] = r[i].sel.dst_hi[k] = (uint8_t)(d >> (24 - 8 * k));
		r[i].sel.sport_hi = r[i].sel.dport_hi = 65535;
		r[i].action = FP_SPD_PROTECT;
		r[i].spi = p.spi;
	}
	if (rc == 0)
		rc = fp_ctrl_spd_prepend(b->c, r, n, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "-T: %s\n", err);
	free(r);
	return rc;
}

/* ... and out again, freed after the worker's quiescent state. */
static void wb_tunnels_del(struct wbench *b, unsigned n)
{
	char err[128];

	for (unsigned i = 0; i < n; i++) {
		fp_ctrl_spd_del_sa(b->c, 0x100000 + i, err, sizeof(err));
		fp_ctrl_del_sa(b->c, FP_DIR_OUT, 0x100000 + i, err, sizeof(err));
	}
	rte_rcu_qsbr_quiescent(fp_ctrl_rcu(b->c), 0);
	while (fp_ctrl_pending(b->c))
		fp_ctrl_poll(b->c);
}

/* -C: a control core on another CPU installing CHILD SAs (both SAs and a
 * policy, 198.19.x.y: not the measured traffic's) and deleting the one
 * installed 64 before, at rate a second, while the worker runs. */
struct churn {
	struct fp_ctrl *c;
	unsigned rate;
	volatile bool stop;
	unsigned done, failed;
};

static int churn_one(struct fp_ctrl *c, unsigned k, bool add)
{
	uint32_t key = 0x200000 + k % 0x100000, d = 0xc6130000u + k % 65536;
	struct fp_spd_rule r = { .action = FP_SPD_PROTECT, .spi = key };
	struct fp_sa_params p;
	char err[128];
	int rc;

	if (!add) {
		rc = fp_ctrl_spd_del_sa(c, key, err, sizeof(err));
		rc |= fp_ctrl_del_sa(c, FP_DIR_OUT, key, err, sizeof(err));
		rc |= fp_ctrl_del_sa(c, FP_DIR_IN, key + 0x100000, err, sizeof(err));
		return rc;
	}
	sa_params(&p, true, FP_DIR_OUT);
	p.spi = key;
	rc = fp_ctrl_add_sa(c, &p, err, sizeof(err));
	sa_params(&p, true, FP_DIR_IN);
	p.spi = key + 0x100000;
	rc |= fp_ctrl_add_sa(c, &p, err, sizeof(err));
	r.sel.family = 4;
	memcpy(r.sel.src_lo, (const uint8_t[]){ 198, 51, 100, 0 }, 4);
	memcpy(r.sel.src_hi, (const uint8_t[]){ 198, 51, 100, 255 }, 4);
	for (int i = 0; i < 4; i++)
		r.sel.dst_lo[i] = r.sel.dst_hi[i] = (uint8_t)(d >> (24 - 8 * i));
	r.sel.sport_hi = r.sel.dport_hi = 65535;
	rc |= fp_ctrl_spd_prepend(c, &r, 1, err, sizeof(err));
	return rc;
}

static void *churn_main(void *arg)
{
	struct churn *ch = arg;
	uint64_t hz = rte_get_tsc_hz(), next = rte_rdtsc();
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus); /* the control core's CPU; the worker is on another */
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	for (unsigned k = 0; !ch->stop; k++) {
		ch->failed += churn_one(ch->c, k, true) != 0;
		if (k >= 64)
			ch->failed += churn_one(ch->c, k - 64, false) != 0;
		fp_ctrl_poll(ch->c); /* frees what the worker has passed */
		ch->done++;
		next += hz / ch->rate;
		while (rte_rdtsc() < next && !ch->stop)
			fp_ctrl_poll(ch->c);
	}
	return NULL;
}

/* The worker's rate with N tunnels while churn runs; 0 or -1. */
static int wb_churn_run(struct ctx *c, struct wbench *b, const struct opts *o, double *cyc,
			uint64_t *lost, struct churn *ch)
{
	pthread_t t;
	double p50;
	int rc;

	*ch = (struct churn){ .c = b->c, .rate = o->churn };
	wb_churning = true;
	if (pthread_create(&t, NULL, churn_main, ch) != 0)
		return -1;
	rc = wb_run(c, b, false, o->secs, o->burst, cyc, &p50, lost);
	ch->stop = true;
	pthread_join(t, NULL);
	wb_churning = false;
	for (unsigned k = ch->done > 64 ? ch->done - 64 : 0; k < ch->done; k++)
		churn_one(b->c, k, false);
	wb_tunnels_del(b, 0); /* the grace periods */
	return rc;
}

/* -W -T N: the worker's outbound rate with 1 tunnel, then with N installed
 * and the traffic spread over S of them, alternately, -r pairs; packets of
 * the first -s size (64 by default). */
static int wb_tunnel_cases(struct ctx *c, struct wbench *b, const struct opts *o)
{
	double r1[32], rn[32], ratio[32], inst_ms = 0;
	uint64_t lost1 = 0, lostn = 0, l, t0;
	unsigned size = atoi(o->sizes) >= 64 && atoi(o->sizes) <= 1420 ? (unsigned)atoi(o->sizes)
								       : 64;
	double p50;

	for (unsigned i = 0; i < NPKT; i++) {
		c->inner_len[i] = size;
		rte_pktmbuf_reset(c->m[i]);
	}
	for (unsigned k = 0; k < o->reps; k++) {
		wb_ntun = 0;
		if (wb_run(c, b, false, o->secs / 10, o->burst, &r1[k], &p50, &l) != 0 ||
		    wb_run(c, b, false, o->secs, o->burst, &r1[k], &p50, &lost1) != 0)
			return -1;
		t0 = rte_rdtsc();
		if (wb_tunnels_add(b, o->tunnels) != 0)
			return -1;
		inst_ms = (double)(rte_rdtsc() - t0) * 1e3 / (double)rte_get_tsc_hz();
		wb_ntun = o->tunnels;
		wb_spread = o->spread ? o->spread : NPKT;
		if (wb_run(c, b, false, o->secs / 10, o->burst, &rn[k], &p50, &l) != 0 ||
		    wb_run(c, b, false, o->secs, o->burst, &rn[k], &p50, &lostn) != 0)
			return -1;
		if (o->churn) {
			struct churn ch;
			double rc_;
			uint64_t lc;

			if (wb_churn_run(c, b, o, &rc_, &lc, &ch) != 0)
				return -1;
			printf("{\"bench\":\"fp_worker_churn\",\"tunnels\":%u,\"spread\":%u,"
			       "\"size\":%u,\"churn_per_s\":%u,\"churned\":%u,\"churn_failed\":%u,"
			       "\"cyc_quiet\":%.1f,\"cyc_churn\":%.1f,\"rate_ratio\":%.3f,"
			       "\"lost\":%llu}\n",
			       o->tunnels, RTE_MIN(wb_spread, o->tunnels), size, o->churn, ch.done,
			       ch.failed, rn[k], rc_, rn[k] / rc_, (unsigned long long)lc);
			fprintf(stderr,
				"pair %u: %u tunnels quiet %.1f cyc/pkt, with %u installs+deletes/s "
				"(%u done, %u failed) %.1f: rate %.3f of quiet, %llu lost\n",
				k + 1, o->tunnels, rn[k], o->churn, ch.done, ch.failed, rc_,
				rn[k] / rc_, (unsigned long long)lc);
			lostn += lc;
		}
		wb_tunnels_del(b, o->tunnels);
		ratio[k] = r1[k] / rn[k];
		printf("{\"bench\":\"fp_worker_tunnels\",\"tunnels\":%u,\"spread\":%u,\"size\":%u,"
		       "\"install_ms\":%.1f,\"cyc_1\":%.1f,\"cyc_n\":%.1f,\"rate_ratio\":%.3f,"
		       "\"lost\":%llu}\n",
		       o->tunnels, RTE_MIN(wb_spread, o->tunnels), size, inst_ms, r1[k], rn[k],
		       ratio[k], (unsigned long long)(lost1 + lostn));
		fprintf(stderr,
			"pair %u: 1 tunnel %.1f cyc/pkt, %u tunnels (installed in %.1f ms) %.1f: "
			"rate %.3f of 1's\n",
			k + 1, r1[k], o->tunnels, inst_ms, rn[k], ratio[k]);
	}
	qsort(ratio, o->reps, sizeof(ratio[0]), cmp_dbl);
	fprintf(stderr, "median rate with %u tunnels / with 1: %.3f (%u pairs)\n", o->tunnels,
		ratio[o->reps / 2], o->reps);
	fp_ctrl_worker_leave(b->c, 0);
	fp_worker_free(b->w);
	return lost1 + lostn ? 1 : 0;
}

static int worker_cases(struct ctx *c, const struct opts *o)
{
	static const char *const size_names[] = { "64", "512", "1420", "imix" };
	static const uint32_t size_vals[] = { 64, 512, 1420, 0 };
	struct wbench b = { 0 };
	int rc = 0;

	if (wb_setup(c, &b, o->tunnels) != 0)
		return -1;
	if (o->tunnels)
		return wb_tunnel_cases(c, &b, o);
	fprintf(stderr,
		"Worker loop (fp_worker_input: classify, SPD/SAD, ESP, route, TX to net_ring), "
		"AES-128-GCM tunnel, burst %u, working set %u\n",
		o->burst, NPKT);
	fprintf(stderr, "%-4s %-5s %9s %10s %8s %8s\n", "dir", "size", "Mpps", "cyc/pkt", "p50",
		"lost");
	for (int d = 0; d < 2; d++) {
		bool inbound = d == 1;

		if (!want(o->dirs, inbound ? "in" : "out"))
			continue;
		for (int z = 0; z < 4; z++) {
			double cyc = 0, p50 = 0;
			uint64_t lost = 0;

			if (!want(o->sizes, size_names[z]))
				continue;
			for (unsigned i = 0; i < NPKT; i++) {
				c->inner_len[i] = size_vals[z] ? size_vals[z] : imix_pat[i % 12];
				rte_pktmbuf_reset(c->m[i]);
				c->m[i]->data_len = (uint16_t)c->inner_len[i];
				c->m[i]->pkt_len = c->inner_len[i];
				build_inner(rte_pktmbuf_mtod(c->m[i], uint8_t *), c->inner_len[i],
					    i);
				/* inbound: inner packets 203.0.113.1 -> 198.51.100.1 would
				 * do as well; the route covers both */
			}
			if (inbound && wb_prepare_in(c) != 0)
				return -1;
			if (wb_run(c, &b, inbound, o->secs / 10, o->burst, &cyc, &p50, &lost) !=
				    0 ||
			    wb_run(c, &b, inbound, o->secs, o->burst, &cyc, &p50, &lost) != 0)
				return -1;
			if (lost)
				rc = 1;
			fprintf(stderr, "%-4s %-5s %9.2f %10.1f %8.1f %8llu%s\n",
				inbound ? "in" : "out", size_names[z],
				(double)rte_get_tsc_hz() / cyc / 1e6, cyc, p50,
				(unsigned long long)lost, lost ? "  LOST" : "");
			printf("{\"bench\":\"fp_worker\",\"alg\":\"aes-128-gcm\",\"dir\":\"%s\",\"size\":\"%s\","
			       "\"burst\":%u,\"set\":%u,\"tsc_cycles_per_pkt\":%.1f,"
			       "\"p50_burst_cycles_per_pkt\":%.1f,\"lost\":%llu}\n",
			       inbound ? "in" : "out", size_names[z], o->burst, NPKT, cyc, p50,
			       (unsigned long long)lost);
			fflush(stdout);
		}
	}
	const struct fp_worker_stats *ws = fp_worker_stats(b.w);
	for (unsigned r = 0; r < FP_WD_MAX; r++)
		if (ws->drops[r])
			fprintf(stderr, "worker drops %s: %llu\n", fp_wdrop_name(r),
				(unsigned long long)ws->drops[r]);
	fp_ctrl_worker_leave(b.c, 0);
	fp_worker_free(b.w);
	return rc;
}

/* ---- SA lookup by SPI ---- */

#if __has_include("fastpath/sad.h")
#include "fastpath/sad.h"
#define HAVE_FP_SAD 1
#define SAD_TABLE   "fp_sad"
#else
#define HAVE_FP_SAD 0
#define SAD_TABLE   "rte_hash"
#endif

/* The table: fastpath/sad.h (fp_sad_lookup_in, an rte_hash keyed by the SPI
 * in network order, lock-free readers) when it exists, else a plain rte_hash
 * with the same key. */
struct bench_sad {
#if HAVE_FP_SAD
	struct fp_sad *sad;
	struct fp_sad_ent *ents; /* a few entries shared by all SPIs */
#else
	struct rte_hash *h;
#endif
};

#define SAD_NENT 64u

static int sad_create(struct bench_sad *b, uint32_t nsa)
{
	char name[32];

	snprintf(name, sizeof(name), "bsad%u", nsa);
#if HAVE_FP_SAD
	b->sad = fp_sad_create(name, RTE_MAX(nsa, 8u), (int)rte_socket_id());
	b->ents = rte_zmalloc(NULL, sizeof(b->ents[0]) * SAD_NENT, RTE_CACHE_LINE_SIZE);
	return b->sad && b->ents ? 0 : -1;
#else
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(nsa, 8u),
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	b->h = rte_hash_create(&hp);
	return b->h ? 0 : -1;
#endif
}

static void sad_free(struct bench_sad *b)
{
#if HAVE_FP_SAD
	fp_sad_free(b->sad);
	rte_free(b->ents);
#else
	rte_hash_free(b->h);
#endif
}

/* 0 added, 1 duplicate SPI, <0 error. spi_be in network order. */
static int sad_add(struct bench_sad *b, uint32_t spi_be, uint32_t i)
{
#if HAVE_FP_SAD
	/* fp_sad copies the key: SAD_NENT entries are reused under new SPIs,
	 * so 1M SAs do not need 1M runtime SAs (~3 KiB each) in memory. */
	struct fp_sad_ent *e = &b->ents[i % SAD_NENT];
	int rc;

	e->sa.h.spi_be = spi_be;
	e->sa.spi = rte_be_to_cpu_32(spi_be);
	rc = fp_sad_add_in(b->sad, e);
	return rc == -EEXIST ? 1 : rc;
#else
	if (rte_hash_lookup(b->h, &spi_be) >= 0)
		return 1;
	return rte_hash_add_key_data(b->h, &spi_be, (void *)(uintptr_t)(i + 1));
#endif
}

static inline unsigned sad_lookup32(const struct bench_sad *b, const uint32_t *spi_be)
{
	unsigned hits = 0;
#if HAVE_FP_SAD
	struct fp_sa *out[32];

	fp_sad_lookup_in(b->sad, spi_be, 32, out);
	for (unsigned k = 0; k < 32; k++)
		hits += out[k] != NULL;
#else
	const void *keys[32];
	void *data[32];
	uint64_t hit = 0;

	for (unsigned k = 0; k < 32; k++)
		keys[k] = &spi_be[k];
	rte_hash_lookup_bulk_data(b->h, keys, 32, &hit, data);
	hits = (unsigned)__builtin_popcountll(hit);
#endif
	return hits;
}

/* ---- SPD classification: rte_acl against the scan of few rules ---- */

static int spd_slot0(void *arg, const struct fp_spd_rule *r)
{
	(void)arg;
	(void)r;
	return 0;
}

/* nrules IPv4 policies (distinct /24 destinations, UDP, any port), keys
 * spread evenly over them (a scan passes half the rules on average), bursts
 * of 32; scan = 0: rte_acl whatever the count. */
static int spd_case(uint32_t nrules, bool scan, double secs)
{
	enum { NK = 4096 };
	static struct fp_spd_key4 keys[NK];
	const struct fp_spd_key4 *kp[32];
	struct fp_spd_rule *r = calloc(nrules, sizeof(*r));
	uint64_t hz = rte_get_tsc_hz(), cyc = 0, n = 0, miss = 0, end;
	uint32_t res[32];
	char err[128] = "";
	struct fp_spd *spd;
	unsigned ki = 0;

	if (r == NULL)
		return -1;
	for (uint32_t i = 0; i < nrules; i++) {
		struct fp_selector *sl = &r[i].sel;
		uint8_t d[4] = { 10, (uint8_t)(i >> 8), (uint8_t)i, 0 };

		sl->family = 4;
		sl->proto = 17;
		memcpy(sl->src_lo, (const uint8_t[]){ 198, 51, 100, 0 }, 4);
		memcpy(sl->src_hi, (const uint8_t[]){ 198, 51, 100, 255 }, 4);
		memcpy(sl->dst_lo, d, 4);
		d[3] = 255;
		memcpy(sl->dst_hi, d, 4);
		sl->sport_hi = sl->dport_hi = 65535;
		r[i].action = FP_SPD_PROTECT;
		r[i].spi = 1000 + i;
	}
	/* rte_acl alone: these /24 destinations would go to the exact tier
	 * (perf/spd_bench.c measures that one) */
	fp_spd_set_exact_tier(0);
	fp_spd_set_linear_max(scan ? FP_SPD_LINEAR_CAP : 0);
	spd = fp_spd_build(r, nrules, spd_slot0, NULL, (int)rte_socket_id(), err, sizeof(err));
	fp_spd_set_linear_max(FP_SPD_LINEAR_DEFAULT);
	fp_spd_set_exact_tier(1);
	free(r);
	if (spd == NULL) {
		fprintf(stderr, "SPD of %u rules: %s\n", nrules, err);
		return -1;
	}
	for (unsigned i = 0; i < NK; i++) {
		uint32_t rule = (uint32_t)rte_rand_max(nrules);
		uint8_t s4[4] = { 198, 51, 100, (uint8_t)rte_rand() },
			d4[4] = { 10, (uint8_t)(rule >> 8), (uint8_t)rule, (uint8_t)rte_rand() };

		keys[i].proto = 17;
		memcpy(&keys[i].src, s4, 4);
		memcpy(&keys[i].dst, d4, 4);
		keys[i].sport = rte_cpu_to_be_16(1024);
		keys[i].dport = rte_cpu_to_be_16(4789);
	}
	end = rte_rdtsc() + (uint64_t)(secs * (double)hz);
	while (rte_rdtsc() < end) {
		for (unsigned rep = 0; rep < 256; rep++) {
			uint64_t t0;

			for (unsigned k = 0; k < 32; k++)
				kp[k] = &keys[(ki + k) % NK];
			t0 = rte_rdtsc();
			fp_spd_classify4(spd, kp, res, 32);
			cyc += rte_rdtsc() - t0;
			for (unsigned k = 0; k < 32; k++)
				miss += fp_spd_action(res[k]) != FP_SPD_PROTECT;
			n += 32;
			ki = (ki + 32) % NK;
		}
	}
	fp_spd_free(spd);
	double c = (double)cyc / (double)n;
	fprintf(stderr,
		"SPD classify (%s, IPv4, bulk 32), %4u rules: %6.1f cycles/packet, "
		"%llu misses\n",
		scan ? "scan" : "rte_acl", nrules, c, (unsigned long long)miss);
	printf("{\"bench\":\"spd_classify\",\"method\":\"%s\",\"rules\":%u,\"burst\":32,"
	       "\"tsc_cycles_per_packet\":%.1f,\"misses\":%llu}\n",
	       scan ? "scan" : "rte_acl", nrules, c, (unsigned long long)miss);
	fflush(stdout);
	return miss ? 1 : 0;
}

static int lookup_case(uint32_t nsa, double secs)
{
	const unsigned nq = 1u << 20;
	uint32_t *spis, *q;
	struct bench_sad b;
	uint64_t hz = rte_get_tsc_hz(), cyc = 0, n = 0, miss = 0, end;
	unsigned qi = 0;

	spis = malloc(sizeof(*spis) * nsa);
	q = malloc(sizeof(*q) * nq);
	if (sad_create(&b, nsa) != 0 || spis == NULL || q == NULL) {
		fprintf(stderr, "SA table of %u: %s\n", nsa, rte_strerror(rte_errno));
		free(spis);
		free(q);
		return -1;
	}
	for (uint32_t i = 0; i < nsa; i++) {
		int rc;

		do { /* random SPIs >= 256, distinct */
			spis[i] = rte_cpu_to_be_32((uint32_t)rte_rand() | 0x100u);
			rc = sad_add(&b, spis[i], i);
		} while (rc == 1);
		if (rc < 0) {
			fprintf(stderr, "SA table add: %d at %u of %u\n", rc, i, nsa);
			sad_free(&b);
			free(spis);
			free(q);
			return -1;
		}
	}
	for (unsigned i = 0; i < nq; i++)
		q[i] = spis[rte_rand_max(nsa)];
	end = rte_rdtsc() + (uint64_t)(secs * (double)hz);
	while (rte_rdtsc() < end) {
		for (unsigned rep = 0; rep < 256; rep++) {
			uint64_t t0 = rte_rdtsc();
			unsigned hits = sad_lookup32(&b, &q[qi]);

			cyc += rte_rdtsc() - t0;
			miss += 32 - hits;
			n += 32;
			qi = (qi + 32) & (nq - 1);
		}
	}
	double c = (double)cyc / (double)n;
	fprintf(stderr,
		"SA lookup (%s, SPI key, bulk 32), %8u SAs: %6.1f cycles/lookup, "
		"%7.1f Mlookups/s, %llu misses\n",
		SAD_TABLE, nsa, c, (double)hz / c / 1e6, (unsigned long long)miss);
	printf("{\"bench\":\"sa_lookup\",\"table\":\"%s\",\"sas\":%u,\"burst\":32,"
	       "\"tsc_cycles_per_lookup\":%.1f,\"mlookups\":%.2f,\"misses\":%llu}\n",
	       SAD_TABLE, nsa, c, (double)hz / c / 1e6, (unsigned long long)miss);
	fflush(stdout);
	sad_free(&b);
	free(spis);
	free(q);
	return miss ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.secs = 1.0,
		.burst = 32,
		.reps = 3,
		.algs = "gcm,cbc",
		.sizes = "64,512,1420,imix",
		.dirs = "out,in",
		.lookups = "1,10000,1000000",
	};
	struct ctx c = { 0 };
	char *dflt[] = { argv[0],       "--no-huge",      "-m", "1024", "--no-pci",
			 "--no-shconf", "--no-telemetry", "-l", "0",    "--log-level=lib.eal:error",
			 NULL };
	int ret, rc = 0, opt;
	bool only_lookup = false, no_lookup = false, only_spd = false;

	/* EAL args before "--"; none given: no hugepages, lcore 0. */
	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--") != 0) {
		ret = rte_eal_init(argc, argv);
	} else {
		ret = rte_eal_init((int)RTE_DIM(dflt) - 1, dflt);
		if (ret >= 0)
			ret = argc > 1 && strcmp(argv[1], "--") == 0 ? 1 : 0;
	}
	if (ret < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	optind = 1;
	while ((opt = getopt(argc, argv, "t:b:a:s:d:r:n:Ll:NGWPT:C:h")) != -1) {
		switch (opt) {
		case 't': o.secs = atof(optarg); break;
		case 'b': o.burst = (unsigned)atoi(optarg); break;
		case 'a': o.algs = optarg; break;
		case 's': o.sizes = optarg; break;
		case 'd': o.dirs = optarg; break;
		case 'r': o.reps = (unsigned)atoi(optarg); break;
		case 'n': NPKT = (unsigned)atoi(optarg); break;
		case 'L': only_lookup = true; break;
		case 'N': no_lookup = true; break;
		case 'G': o.direct = true; break;
		case 'W': o.worker = true; break;
		case 'C': o.churn = (unsigned)atoi(optarg); break;
		case 'T':
			o.tunnels = (unsigned)atoi(optarg);
			o.spread = strchr(optarg, ':') ? (unsigned)atoi(strchr(optarg, ':') + 1)
						       : 0;
			break;
		case 'l': o.lookups = optarg; break;
		case 'P': only_spd = true; break;
		default:
			fprintf(stderr,
				"usage: fp_bench [EAL args] -- [-t secs] [-b burst] [-a gcm,cbc] "
				"[-s 64,512,1420,imix] [-d out,in] [-r reps] [-n pkts] [-L|-N|-P] [-G] [-W] [-l 1,10000,1000000]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (only_spd) {
		static const uint32_t counts[] = { 1, 2, 4, 8, 16 };

		for (unsigned i = 0; i < RTE_DIM(counts); i++)
			for (int scan = 0; scan < 2; scan++)
				if (spd_case(counts[i], scan, RTE_MAX(o.secs / 2, 0.2)) != 0)
					rc = 1;
		rte_eal_cleanup();
		return rc;
	}
	if (o.burst == 0 || o.burst > MAXB || o.reps == 0 || o.reps > 32 || NPKT < MAXB ||
	    NPKT > NPKT_MAX || NPKT % MAXB) {
		fprintf(stderr, "burst 1..%u, reps 1..32, -n a multiple of %u up to %u\n", MAXB,
			MAXB, NPKT_MAX);
		return 2;
	}
	if (!only_lookup) {
		c.pool = rte_pktmbuf_pool_create("bench_mbufs", NPKT + 512, 0, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		c.wire = rte_malloc(NULL, (size_t)NPKT * 2048, 64);
		c.eng = rte_zmalloc(NULL, sizeof(*c.eng), RTE_CACHE_LINE_SIZE);
		samp = malloc(sizeof(*samp) * NSAMP);
		if (c.pool == NULL || c.wire == NULL || c.eng == NULL || samp == NULL ||
		    rte_pktmbuf_alloc_bulk(c.pool, c.m, NPKT) != 0 ||
		    fp_crypto_engine_init(c.eng, &fp_crypto_imb) != 0) {
			fprintf(stderr, "setup: %s\n", rte_strerror(rte_errno));
			return 1;
		}
		rc = o.worker ? worker_cases(&c, &o) : esp_cases(&c, &o);
		if (rc < 0)
			return 1;
		fp_crypto_engine_fini(c.eng);
	}
	if (!no_lookup) {
		char *list = strdup(o.lookups), *save = NULL;

		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int r = lookup_case((uint32_t)strtoul(t, NULL, 10),
					    RTE_MAX(o.secs / 2, 0.2));

			if (r != 0)
				rc = r < 0 ? 1 : rc;
		}
		free(list);
	}
	rte_eal_cleanup();
	return rc ? 1 : 0;
}
