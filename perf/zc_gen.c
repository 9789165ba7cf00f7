/* SPDX-License-Identifier: BSD-3-Clause */
/* zc_gen: zero-copy traffic source and sink for a DPDK gateway's net_ring
 * ports, and the pcap files for its net_pcap runs.
 *
 * A net_ring port (`--vdev net_ring0`) is backed by 16 rte_rings named
 * ETH_RXTX<q>_<port name> in DPDK shared memory; its RX queue q and its TX
 * queue q use the same ring (the PMD is a loopback). zc_gen runs as a DPDK
 * *secondary* process of the gateway (the gateway is the primary: same
 * --file-prefix and --huge-dir, --proc-type=secondary), looks those rings
 * up, and:
 *   - source: keeps the input port's ring 0 full of mbufs from its own pool,
 *     filled on zc_gen's core from pre-built templates (a NIC's DMA: the
 *     gateway's core copies nothing);
 *   - sink: drains every ring of the output port, counts and frees.
 * Because RX queue q and TX queue q of a net_ring port share a ring, a
 * gateway that polls RX on its output port too (build/ipsecgw polls every
 * port) would take its own output back, and two consumers would race on a
 * single-consumer ring. So before the traffic starts zc_gen *isolates* the
 * ports (default; --no-isolate turns it off): in the gateway's queue
 * structures (net_ring's struct ring_queue, in shared memory, reached
 * through rte_eth_fp_ops[port].rxq/txq.data), it re-points every configured
 * RX queue of the output port to an empty ring of its own (polling it costs
 * the gateway what polling an idle NIC queue costs) and every TX queue of
 * the input port to a sink ring it drains and counts ("misrouted"). The
 * gateway's input-port RX and output-port TX stay on the ETH_RXTX rings.
 * Each queue pointer is checked against the ring the PMD put there before
 * it is changed. ipsec-secgw (RX only on the input port: --config
 * "(IN_PORT,0,LCORE)") is isolated the same way, which changes nothing for
 * it. Any DPDK gateway whose ports are net_ring vdevs can be attached.
 *
 * Templates come from a pcap (Ethernet frames), written by this same tool:
 *   zc_gen [EAL] -- --pcap FILE --dir out|in --size 64|512|1420|imix [--count N]
 *                   [--alg gcm|cbc] [--key HEX] [--auth-key HEX] [--spi N]
 *     out: plain IPv4/UDP 198.51.100.1 -> 203.0.113.1 (inner size = IP length)
 *     in:  those packets (203.0.113.1 -> 198.51.100.1) ESP-encrypted by our
 *          fastpath/ outbound code, tunnel 192.0.2.2 -> 192.0.2.1, sequence
 *          numbers 1..N: AES-128-GCM (key||salt --key, default the bench
 *          key, SPI --spi, default 2000) or AES-128-CBC + HMAC-SHA-256-128
 *          (--key 16 bytes, --auth-key 32 bytes, SPI default 2001).
 * and replayed by
 *   zc_gen [EAL: --proc-type=secondary --file-prefix=P --huge-dir D -l C] --
 *          --run FILE --in-port net_ring0 --out-port net_ring1 [-t secs]
 *          [--warmup secs] [--esp [--alg gcm|cbc] [--key HEX] [--auth-key HEX]]
 *          [--priv-size BYTES] [--no-isolate] [--stream]
 * Outbound templates are plain: per packet zc_gen rewrites only the 42 bytes
 * of Ethernet/IP/UDP headers (the payload may hold last round's ciphertext,
 * the gateway does not care). Inbound (--esp) templates are copied whole,
 * since the gateway decrypts in place, and get a fresh, increasing sequence
 * number, so anti-replay accepts them:
 *   - GCM: the tag is fixed up for the new sequence number without
 *     re-encrypting (GHASH is linear: the AAD block SPI || seq is multiplied
 *     by H^(m+2), m = ciphertext blocks; zc_gen keeps per-byte tables of that
 *     product). The IV stays the template's: nonce reuse, acceptable for a
 *     benchmark only.
 *   - CBC + HMAC-SHA-256: the HMAC over ESP header, IV and ciphertext is
 *     computed again for every packet (intel-ipsec-mb, a burst of jobs), the
 *     generator's largest cost: check in_ring_fill (below).
 * The pcap writer checks the fix-up against our inbound code (selftest).
 *
 * Output: one JSON line on stdout, a summary on stderr. Over the measured
 * window: rx_mpps = what the gateway sent out per second (the figure),
 * tx_mpps = what zc_gen put on the input ring, drop_frac = 1 - rx/tx (what
 * went in and did not come out: the gateway's drops), in_ring_fill = mean
 * fill of the input ring over time (near 1: the gateway was the limit; low:
 * the gateway waited for zc_gen, the source was the limit), gen_cpu_share = CPU
 * time zc_gen got / wall time (below ~0.9: something else ran on its core),
 * misrouted = packets the gateway sent back out of the input port. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <intel-ipsec-mb.h>
#include <emmintrin.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fastpath/fp_sa.h"

#define MAX_TMPL 4096u
#define BURST    32u
#define NRINGS   16u

/* Bench keys (perf/secgw/ep-bench*.cfg, perf/fp_gw_*.json):
 * AES-128-GCM key || salt; AES-128-CBC key; HMAC-SHA-256 key. */
static const char *const default_gcm_key = "101112131415161718191a1b1c1d1e1f20212223";
static const char *const default_cbc_key = "303132333435363738393a3b3c3d3e3f";
static const char *const default_auth_key =
	"505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f";
static const uint32_t imix_pat[12] = { 64, 576, 64, 64, 576, 64, 1420, 64, 576, 64, 576, 64 };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (s[0] && s[1] && n < max) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return s[0] ? -1 : (int)n;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The SA the generator plays the peer of. */
struct esp_keys {
	bool cbc;
	uint8_t key[20];      /* GCM: key || salt (20); CBC: key (16) */
	uint8_t auth_key[32]; /* CBC: HMAC-SHA-256 key */
};

/* ---- GF(2^128) as GCM uses it (NIST SP 800-38D, algorithm 1) ---- */

struct blk {
	uint64_t hi, lo;
}; /* big-endian halves of a 16-byte block */

static struct blk blk_load(const uint8_t *p)
{
	struct blk b;

	memcpy(&b.hi, p, 8);
	memcpy(&b.lo, p + 8, 8);
	b.hi = rte_be_to_cpu_64(b.hi);
	b.lo = rte_be_to_cpu_64(b.lo);
	return b;
}

static struct blk gf_mul(struct blk x, struct blk y)
{
	struct blk z = { 0, 0 }, v = y;

	for (int i = 0; i < 128; i++) {
		uint64_t bit = i < 64 ? (x.hi >> (63 - i)) & 1 : (x.lo >> (127 - i)) & 1;
		uint64_t lsb = v.lo & 1;

		if (bit) {
			z.hi ^= v.hi;
			z.lo ^= v.lo;
		}
		v.lo = (v.lo >> 1) | (v.hi << 63);
		v.hi >>= 1;
		if (lsb)
			v.hi ^= 0xe100000000000000ull;
	}
	return z;
}

/* tag delta for a change of the 4 sequence-number bytes of the AAD block
 * (bytes 4..7), for one ciphertext length: t[b][v] = (v at byte 4+b) * H^(m+2) */
struct seqfix {
	uint32_t m; /* ciphertext blocks this table is for */
	struct blk t[4][256];
};

static struct seqfix *seqfix_make(struct blk h, uint32_t m)
{
	struct seqfix *f = calloc(1, sizeof(*f));
	struct blk hp = h;

	if (f == NULL)
		return NULL;
	f->m = m;
	for (uint32_t i = 1; i < m + 2; i++)
		hp = gf_mul(hp, h);
	for (int b = 0; b < 4; b++)
		for (int v = 0; v < 256; v++) {
			struct blk a = { (uint64_t)v << (8 * (3 - b)), 0 };

			f->t[b][v] = gf_mul(a, hp);
		}
	return f;
}

/* H = AES-K(0^128). */
static int gcm_hash_key(const uint8_t *key, struct blk *h)
{
	uint8_t enc[16 * 11] __rte_aligned(16), dec[16 * 11] __rte_aligned(16);
	uint8_t zero[16] = { 0 }, out[16];
	IMB_MGR *m = alloc_mb_mgr(0);

	if (m == NULL)
		return -1;
	init_mb_mgr_auto(m, NULL);
	IMB_AES_KEYEXP_128(m, key, enc, dec);
	IMB_AES128_CFB_ONE(m, out, zero, zero, enc, 16);
	free_mb_mgr(m);
	*h = blk_load(out);
	return 0;
}

/* ---- templates ---- */

struct tmpl {
	uint8_t *data;
	uint16_t len;
	uint16_t esp_off;         /* ESP header offset, 0 when plain */
	uint32_t seq;             /* template's sequence number */
	const struct seqfix *fix; /* GCM tag fix-up for this length */
};

struct gen {
	struct tmpl t[MAX_TMPL];
	unsigned n;
};

/* Rewrites GCM frame f (a copy of template t) for sequence number seq. */
static inline void esp_set_seq(uint8_t *f, const struct tmpl *t, uint32_t seq)
{
	uint32_t d = seq ^ t->seq, be = rte_cpu_to_be_32(seq);
	uint8_t *tag = f + t->len - 16;
	const struct seqfix *x = t->fix;
	struct blk a = x->t[0][d >> 24], b = x->t[1][(d >> 16) & 0xff];
	struct blk c = x->t[2][(d >> 8) & 0xff], e = x->t[3][d & 0xff];
	uint64_t hi = rte_cpu_to_be_64(a.hi ^ b.hi ^ c.hi ^ e.hi);
	uint64_t lo = rte_cpu_to_be_64(a.lo ^ b.lo ^ c.lo ^ e.lo), th, tl;

	memcpy(f + t->esp_off + 4, &be, 4);
	memcpy(&th, tag, 8);
	memcpy(&tl, tag + 8, 8);
	th ^= hi;
	tl ^= lo;
	memcpy(tag, &th, 8);
	memcpy(tag + 8, &tl, 8);
}

/* Gives ESP frames a new sequence number and the ICV that goes with it:
 * GCM by the tag fix-up (at once), CBC + HMAC-SHA-256-128 by computing the
 * HMAC again (queued, done for the whole burst by fixer_flush()). */
struct fixer {
	bool cbc;
	struct blk h;            /* GCM hash key H */
	struct seqfix *fixes[8]; /* one per ciphertext length */
	unsigned nfix;
	IMB_MGR *m;                         /* CBC */
	uint8_t ipad[32] __rte_aligned(16); /* HMAC inner/outer state */
	uint8_t opad[32] __rte_aligned(16);
	uint8_t *pend[BURST];
	uint16_t pend_len[BURST], pend_off[BURST];
	unsigned npend;
};

static int fixer_init(struct fixer *x, const struct esp_keys *k)
{
	memset(x, 0, sizeof(*x));
	x->cbc = k->cbc;
	if (!k->cbc)
		return gcm_hash_key(k->key, &x->h);
	x->m = alloc_mb_mgr(0);
	if (x->m == NULL)
		return -1;
	init_mb_mgr_auto(x->m, NULL);
	for (int i = 0; i < 2; i++) {
		uint8_t pad[64];

		memset(pad, i == 0 ? 0x36 : 0x5c, sizeof(pad));
		for (unsigned j = 0; j < sizeof(k->auth_key); j++)
			pad[j] ^= k->auth_key[j];
		IMB_SHA256_ONE_BLOCK(x->m, pad, i == 0 ? x->ipad : x->opad);
	}
	return 0;
}

static void fixer_fini(struct fixer *x)
{
	for (unsigned i = 0; i < x->nfix; i++)
		free(x->fixes[i]);
	if (x->m != NULL)
		free_mb_mgr(x->m);
	memset(x, 0, sizeof(*x));
}

/* Makes template t ready for fixer_set(); -1 if it is no ESP frame of the
 * expected shape. */
static int fixer_prepare(struct fixer *x, struct tmpl *t)
{
	/* ESP header 8, IV 8 (GCM) or 16 (CBC), ciphertext, ICV 16 */
	unsigned iv = x->cbc ? 16 : 8, m;

	if (t->esp_off == 0 || t->len < t->esp_off + 8 + iv + 16 + 16)
		return -1;
	if (x->cbc)
		return 0;
	m = (unsigned)(t->len - t->esp_off - 8 - iv - 16 + 15) / 16;
	for (unsigned k = 0; k < x->nfix; k++)
		if (x->fixes[k]->m == m) {
			t->fix = x->fixes[k];
			return 0;
		}
	if (x->nfix == RTE_DIM(x->fixes) || (x->fixes[x->nfix] = seqfix_make(x->h, m)) == NULL)
		return -1;
	t->fix = x->fixes[x->nfix++];
	return 0;
}

static void fixer_flush(struct fixer *x)
{
	IMB_JOB *jobs[BURST];
	uint32_t n = x->npend, got, done;

	if (n == 0)
		return;
	x->npend = 0;
	got = IMB_GET_NEXT_BURST(x->m, n, jobs);
	if (got < n) { /* the manager's queue was not empty: cannot happen */
		while (IMB_FLUSH_BURST(x->m, BURST, jobs) > 0)
			;
		got = IMB_GET_NEXT_BURST(x->m, n, jobs);
		if (got < n)
			n = got;
	}
	for (uint32_t i = 0; i < n; i++) {
		IMB_JOB *j = jobs[i];
		uint8_t *f = x->pend[i];
		uint16_t off = x->pend_off[i], len = x->pend_len[i];

		j->cipher_direction = IMB_DIR_ENCRYPT;
		j->chain_order = IMB_ORDER_CIPHER_HASH;
		j->cipher_mode = IMB_CIPHER_NULL;
		j->hash_alg = IMB_AUTH_HMAC_SHA_256;
		j->enc_keys = NULL;
		j->dec_keys = NULL;
		j->key_len_in_bytes = 0;
		j->src = f;
		j->dst = f + off + 24;
		j->cipher_start_src_offset_in_bytes = off + 24u;
		j->msg_len_to_cipher_in_bytes = (uint64_t)len - off - 24 - 16;
		j->iv = f + off + 8;
		j->iv_len_in_bytes = 0;
		j->hash_start_src_offset_in_bytes = off;
		j->msg_len_to_hash_in_bytes = (uint64_t)len - off - 16;
		j->auth_tag_output = f + len - 16;
		j->auth_tag_output_len_in_bytes = 16;
		j->u.HMAC._hashed_auth_key_xor_ipad = x->ipad;
		j->u.HMAC._hashed_auth_key_xor_opad = x->opad;
		j->user_data = NULL;
	}
	done = IMB_SUBMIT_BURST(x->m, n, jobs);
	if (done == 0 && imb_get_errno(x->m) != 0) {
		static bool said;

		if (!said)
			fprintf(stderr, "zc_gen: HMAC jobs refused: %s\n",
				imb_get_strerror(imb_get_errno(x->m)));
		said = true;
	}
	while (done < n) {
		uint32_t k = IMB_FLUSH_BURST(x->m, n - done, jobs);

		if (k == 0)
			break;
		done += k;
	}
}

/* Frame f is a copy of template t: give it sequence number seq. */
static inline void fixer_set(struct fixer *x, uint8_t *f, const struct tmpl *t, uint32_t seq)
{
	uint32_t be;

	if (!x->cbc) {
		esp_set_seq(f, t, seq);
		return;
	}
	be = rte_cpu_to_be_32(seq);
	memcpy(f + t->esp_off + 4, &be, 4);
	x->pend[x->npend] = f;
	x->pend_off[x->npend] = t->esp_off;
	x->pend_len[x->npend] = t->len;
	if (++x->npend == BURST)
		fixer_flush(x);
}

/* ---- pcap ---- */

struct pcap_hdr {
	uint32_t magic;
	uint16_t vmaj, vmin;
	int32_t tz;
	uint32_t sig, snap, link;
};
struct pcap_rec {
	uint32_t sec, usec, incl, orig;
};

static int pcap_load(const char *path, struct gen *g)
{
	FILE *fp = fopen(path, "rb");
	struct pcap_hdr h;
	struct pcap_rec r;

	if (fp == NULL || fread(&h, sizeof(h), 1, fp) != 1 || h.magic != 0xa1b2c3d4u ||
	    h.link != 1) {
		fprintf(stderr, "zc_gen: %s: not a little-endian Ethernet pcap\n", path);
		if (fp)
			fclose(fp);
		return -1;
	}
	g->n = 0;
	while (g->n < MAX_TMPL && fread(&r, sizeof(r), 1, fp) == 1) {
		struct tmpl *t = &g->t[g->n];

		if (r.incl > 2000 || r.incl < 34)
			break;
		t->data = malloc(r.incl);
		if (t->data == NULL || fread(t->data, r.incl, 1, fp) != 1)
			break;
		t->len = (uint16_t)r.incl;
		t->esp_off = 0;
		if (t->data[12] == 0x08 && t->data[13] == 0x00 && t->data[14 + 9] == 50) {
			t->esp_off = (uint16_t)(14 + (t->data[14] & 0xf) * 4);
			t->seq = rte_be_to_cpu_32(*(uint32_t *)(t->data + t->esp_off + 4));
		}
		g->n++;
	}
	fclose(fp);
	return g->n ? 0 : -1;
}

static int pcap_write(const char *path, struct rte_mbuf **m, unsigned n)
{
	struct pcap_hdr h = { 0xa1b2c3d4u, 2, 4, 0, 0, 65535, 1 };
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(&h, sizeof(h), 1, fp) != 1)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		struct pcap_rec r = { 0, i, m[i]->pkt_len, m[i]->pkt_len };

		if (fwrite(&r, sizeof(r), 1, fp) != 1 ||
		    fwrite(rte_pktmbuf_mtod(m[i], void *), m[i]->pkt_len, 1, fp) != 1) {
			fclose(fp);
			return -1;
		}
	}
	return fclose(fp);
}

static const uint8_t eth_hdr[14] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* dst: the gateway */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* src: the generator */
	0x08, 0x00,
};

static void build_inner(uint8_t *p, uint32_t len, bool to_local, uint32_t n)
{
	static const uint8_t a[4] = { 198, 51, 100, 1 }, b[4] = { 203, 0, 113, 1 };
	uint32_t sum = 0;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, to_local ? b : a, 4);
	memcpy(p + 16, to_local ? a : b, 4);
	p[20] = 0x04;
	p[22] = 0x04; /* ports 1024 -> 1024 */
	p[24] = (uint8_t)((len - 20) >> 8);
	p[25] = (uint8_t)(len - 20);
	for (uint32_t i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
	for (uint32_t i = 28; i < len; i++)
		p[i] = (uint8_t)(i * 7 + n);
}

static int peer_sa(struct fp_sa *sa, const struct esp_keys *k, uint32_t spi, enum fp_dir dir)
{
	static const uint8_t gw[4] = { 192, 0, 2, 1 }, peer[4] = { 192, 0, 2, 2 };
	struct fp_sa_params p;
	char err[128];

	memset(&p, 0, sizeof(p));
	p.spi = spi;
	p.dir = dir;
	p.mode = FP_MODE_TUNNEL;
	p.outer_family = 4;
	/* the peer's outbound SA = the gateway's inbound one */
	memcpy(p.local, dir == FP_DIR_OUT ? peer : gw, 4);
	memcpy(p.remote, dir == FP_DIR_OUT ? gw : peer, 4);
	if (k->cbc) {
		p.cipher = FP_CIPHER_AES_CBC;
		p.cipher_key_len = 16;
		memcpy(p.cipher_key, k->key, 16);
		p.auth = FP_AUTH_HMAC_SHA256_128;
		p.auth_key_len = 32;
		memcpy(p.auth_key, k->auth_key, 32);
	} else {
		p.cipher = FP_CIPHER_AES_GCM;
		p.cipher_key_len = 20;
		memcpy(p.cipher_key, k->key, 20);
	}
	if (fp_sa_init(sa, &p, &fp_crypto_imb, err, sizeof(err)) != 0) {
		fprintf(stderr, "zc_gen: fp_sa_init: %s\n", err);
		return -1;
	}
	return 0;
}

/* Checks the sequence-number fix-up: frames patched to new numbers must pass
 * our inbound code (ICV, anti-replay). */
static int selftest(struct rte_mempool *pool, struct rte_mbuf **tm, unsigned n,
		    const struct esp_keys *k, uint32_t spi, struct fp_crypto_engine *eng)
{
	struct fp_sa *in = rte_zmalloc(NULL, sizeof(*in), RTE_CACHE_LINE_SIZE);
	struct tmpl *t = calloc(BURST, sizeof(*t));
	struct rte_mbuf *m[BURST];
	struct fixer x;
	unsigned cnt = RTE_MIN(n, BURST), good;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	if (in == NULL || t == NULL || peer_sa(in, k, spi, FP_DIR_IN) != 0 ||
	    fixer_init(&x, k) != 0)
		goto out;
	fp_sa_set_seq(in, 1000000);
	if (rte_pktmbuf_alloc_bulk(pool, m, cnt) != 0)
		goto out;
	for (unsigned i = 0; i < cnt; i++) {
		uint8_t *d;

		t[i].data = rte_pktmbuf_mtod(tm[i], uint8_t *);
		t[i].len = (uint16_t)tm[i]->pkt_len;
		t[i].esp_off = 34;
		t[i].seq = rte_be_to_cpu_32(*(uint32_t *)(t[i].data + 38));
		d = (uint8_t *)rte_pktmbuf_append(m[i], t[i].len);
		if (d == NULL || fixer_prepare(&x, &t[i]) != 0) {
			rte_pktmbuf_free_bulk(m, cnt);
			goto out;
		}
		memcpy(d, t[i].data, t[i].len);
		fixer_set(&x, d, &t[i], 1000001u + i * 977u);
	}
	fixer_flush(&x);
	for (unsigned i = 0; i < cnt; i++)
		rte_pktmbuf_adj(m[i], 14);
	good = fp_esp_process(in, eng, m, (uint16_t)cnt);
	if (good != cnt)
		fprintf(stderr, "zc_gen: selftest: %u of %u patched packets refused (%s)\n",
			cnt - good, cnt, fp_drop_name(fp_mbuf_drop_reason(m[good])));
	else
		rc = 0;
	rte_pktmbuf_free_bulk(m, cnt);
out:
	fixer_fini(&x);
	free(t);
	if (in != NULL)
		fp_sa_fini(in);
	rte_free(in);
	return rc;
}

static int make_pcap(const char *path, bool inbound, const char *size, unsigned count,
		     const struct esp_keys *k, uint32_t spi)
{
	struct rte_mempool *pool = rte_pktmbuf_pool_create(
		"zc_make", count + 256, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct rte_mbuf **m = calloc(count, sizeof(*m));
	struct fp_crypto_engine *eng = rte_zmalloc(NULL, sizeof(*eng), RTE_CACHE_LINE_SIZE);
	struct fp_sa *out = rte_zmalloc(NULL, sizeof(*out), RTE_CACHE_LINE_SIZE);
	uint32_t fixed = strcmp(size, "imix") ? (uint32_t)atoi(size) : 0;
	int rc = -1;

	if (pool == NULL || m == NULL || eng == NULL || out == NULL ||
	    rte_pktmbuf_alloc_bulk(pool, m, count) != 0 ||
	    fp_crypto_engine_init(eng, &fp_crypto_imb) != 0) {
		fprintf(stderr, "zc_gen: setup: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (fixed != 0 && (fixed < 28 || fixed > 1900)) {
		fprintf(stderr, "zc_gen: size %s\n", size);
		return -1;
	}
	for (unsigned i = 0; i < count; i++) {
		uint32_t len = fixed ? fixed : imix_pat[i % 12];
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)len);

		if (p == NULL)
			return -1;
		build_inner(p, len, inbound, i);
	}
	if (inbound) {
		if (peer_sa(out, k, spi, FP_DIR_OUT) != 0)
			return -1;
		for (unsigned i = 0; i < count; i += BURST) {
			uint16_t n = (uint16_t)RTE_MIN(BURST, count - i);

			if (fp_esp_process(out, eng, m + i, n) != n) {
				fprintf(stderr, "zc_gen: ESP: %s\n",
					fp_drop_name(fp_mbuf_drop_reason(m[i])));
				return -1;
			}
		}
	}
	for (unsigned i = 0; i < count; i++)
		memcpy(rte_pktmbuf_prepend(m[i], 14), eth_hdr, 14);
	if (inbound && selftest(pool, m, count, k, spi, eng) != 0)
		goto done;
	if (pcap_write(path, m, count) != 0) {
		fprintf(stderr, "zc_gen: %s: %s\n", path, strerror(errno));
		goto done;
	}
	fprintf(stderr, "zc_gen: wrote %u %s frames (inner %s) to %s\n", count,
		inbound ? (k->cbc ? "ESP AES-128-CBC+HMAC-SHA-256" : "ESP AES-128-GCM") : "plain",
		size, path);
	rc = 0;
done:
	rte_pktmbuf_free_bulk(m, count);
	if (inbound)
		fp_sa_fini(out);
	fp_crypto_engine_fini(eng);
	free(m);
	return rc;
}

/* ---- the source/sink loop (secondary process) ---- */

struct run_opts {
	const char *src, *in_port, *out_port;
	double secs, warmup;
	unsigned priv_size;
	bool esp, isolate, stream;
	struct esp_keys keys;
};

/* --stream: copies an inbound frame the way a NIC without DDIO leaves it,
 * in memory and in no core's cache. The lines between the first (ESP
 * header, given a new sequence number) and the last (the ICV, fixed up) go
 * with streaming stores; those two with plain ones, since the fix-up writes
 * them at once. By default the whole frame is written with plain stores and
 * the gateway reads it out of this core's L2: on the 2-vCPU EPYC VMs of
 * perf/fastpath_results.md that was the faster of the two for both
 * gateways (GCM inbound 1420 B: ours 3.2-5.2 against 2.7-3.4 Mpps,
 * ipsec-secgw 4.5 against 2.0-2.2), so the default gives the gateways the
 * better source. d must be 16-byte aligned for streaming (mbuf data room
 * + headroom is, with the default --priv-size). GCM only: the CBC fix-up
 * reads the whole frame again for its HMAC, which brings it back into
 * this core's cache. */
static inline void copy_frame_nt(uint8_t *d, const uint8_t *s, uint32_t len, uint32_t esp_off)
{
	/* from the line after the sequence number to the line before the ICV */
	uint32_t start = RTE_ALIGN_CEIL(esp_off + 8, 64), end = len > 64 ? (len - 64) & ~63u : 0;

	if (end <= start || ((uintptr_t)d & 15) != 0) {
		rte_memcpy(d, s, len);
		return;
	}
	rte_memcpy(d, s, start);
	for (uint32_t o = start; o < end; o += 16)
		_mm_stream_si128((__m128i *)(void *)(d + o),
				 _mm_loadu_si128((const __m128i *)(const void *)(s + o)));
	rte_memcpy(d + end, s + end, len - end);
}

static struct rte_ring *ring_of(const char *port, unsigned q)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "ETH_RXTX%u_%s", q, port);
	return rte_ring_lookup(name);
}

/* Re-points the gateway's RX queues (rx = true) or TX queues of net_ring
 * port `port` from the PMD's ETH_RXTX<q> rings to rings of our own named
 * "<tag><port id>_<q>" (created empty). net_ring's per-queue struct
 * ring_queue starts with its struct rte_ring pointer; every pointer is
 * checked against the ring the PMD put there before it is changed. The new
 * rings go to out[] (*n of them). 0, or -1 with a reason. */
static int isolate(const char *port, bool rx, const char *tag, struct rte_ring **out, unsigned *n)
{
	uint16_t pid;
	void **qd;

	*n = 0;
	if (rte_eth_dev_get_port_by_name(port, &pid) != 0) {
		fprintf(stderr, "zc_gen: isolate: no ethdev %s in this (secondary) process\n",
			port);
		return -1;
	}
	qd = rx ? rte_eth_fp_ops[pid].rxq.data : rte_eth_fp_ops[pid].txq.data;
	if (qd == NULL) /* no queue of that kind configured (ipsec-secgw's output port) */
		return 0;
	for (unsigned q = 0; q < NRINGS; q++) {
		struct rte_ring **slot = qd[q], *orig = ring_of(port, q), *mine;
		char name[RTE_RING_NAMESIZE];

		if (slot == NULL)
			continue;
		snprintf(name, sizeof(name), "%s%u_%u", tag, pid, q);
		mine = rte_ring_lookup(name);
		if (mine == NULL)
			mine = rte_ring_create(name, 1024, (int)rte_socket_id(),
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (mine == NULL) {
			fprintf(stderr, "zc_gen: isolate: ring %s: %s\n", name,
				rte_strerror(rte_errno));
			return -1;
		}
		if (*slot != orig && *slot != mine) {
			fprintf(stderr,
				"zc_gen: isolate: %s %s queue %u does not point to %s's ring %u: "
				"not a net_ring port, or its layout changed (use --no-isolate)\n",
				port, rx ? "RX" : "TX", q, port, q);
			return -1;
		}
		__atomic_store_n(slot, mine, __ATOMIC_RELEASE);
		out[(*n)++] = mine;
	}
	return 0;
}

static unsigned drain(struct rte_ring *const *r, unsigned n, uint64_t *bytes)
{
	struct rte_mbuf *m[64];
	unsigned total = 0, k;

	for (unsigned i = 0; i < n; i++)
		while ((k = rte_ring_dequeue_burst(r[i], (void **)m, RTE_DIM(m), NULL)) != 0) {
			if (bytes != NULL)
				for (unsigned j = 0; j < k; j++)
					*bytes += m[j]->pkt_len;
			rte_pktmbuf_free_bulk(m, k);
			total += k;
		}
	return total;
}

static int run(const struct run_opts *o)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct rte_ring *in, *outs[NRINGS], *idle[NRINGS], *sinks[NRINGS];
	unsigned nout = 0, nidle = 0, nsink = 0, ti = 0;
	struct rte_mempool *pool;
	struct fixer x;
	uint32_t seq = 0;
	uint64_t hz = rte_get_tsc_hz();

	memset(&x, 0, sizeof(x));
	if (g == NULL || pcap_load(o->src, g) != 0)
		return -1;
	in = ring_of(o->in_port, 0);
	for (unsigned q = 0; q < NRINGS; q++) {
		struct rte_ring *r = ring_of(o->out_port, q);

		if (r != NULL)
			outs[nout++] = r;
	}
	if (in == NULL || nout == 0) {
		fprintf(stderr,
			"zc_gen: rings of %s / %s not found (is the gateway up, with the same "
			"--file-prefix, and are they net_ring vdevs?)\n",
			o->in_port, o->out_port);
		return -1;
	}
	if (o->isolate && (isolate(o->out_port, true, "zc_idle", idle, &nidle) != 0 ||
			   isolate(o->in_port, false, "zc_sink", sinks, &nsink) != 0))
		return -1;
	if (o->esp) {
		if (fixer_init(&x, &o->keys) != 0)
			return -1;
		for (unsigned i = 0; i < g->n; i++) {
			if (fixer_prepare(&x, &g->t[i]) != 0) {
				fprintf(stderr, "zc_gen: template %u is not %s ESP\n", i,
					o->keys.cbc ? "AES-CBC+HMAC" : "AES-GCM");
				return -1;
			}
			if (g->t[i].seq > seq)
				seq = g->t[i].seq;
		}
	}
	/* Own pool in shared memory; the gateway frees into it what it drops.
	 * Enough mbufs for both rings, the gateway's bursts and our caches.
	 * Gateways keep per-packet state in the mbuf private area (ipsec-secgw:
	 * struct ipsec_mbuf_metadata, a crypto op): --priv-size, default 256. */
	pool = rte_pktmbuf_pool_create("zc_gen_pool", 8191, 256, (uint16_t)o->priv_size,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL)
		pool = rte_mempool_lookup("zc_gen_pool"); /* a second run against one gateway */
	if (pool == NULL) {
		fprintf(stderr, "zc_gen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	/* Prime every mbuf once with its full template so outbound rounds can
	 * rewrite only the headers. */
	{
		static struct rte_mbuf *all[8191];
		unsigned n = 0;

		while (n < RTE_DIM(all) && rte_pktmbuf_alloc_bulk(pool, all + n, 1) == 0) {
			const struct tmpl *t = &g->t[n % g->n];

			memcpy(rte_pktmbuf_mtod(all[n], uint8_t *), t->data, t->len);
			n++;
		}
		rte_pktmbuf_free_bulk(all, n);
	}
	/* Let a poll that read the old queue pointers finish before traffic. */
	rte_delay_ms(10);

	uint64_t t_start = rte_rdtsc(), t_meas = t_start + (uint64_t)(o->warmup * (double)hz);
	uint64_t t_end = t_meas + (uint64_t)(o->secs * (double)hz), now = t_start;
	uint64_t rx = 0, rx_bytes = 0, tx = 0, alloc_fail = 0, misrouted = 0;
	uint64_t rx0 = 0, rxb0 = 0, tx0 = 0, t0 = 0, fill_sum = 0, fill_n = 0;
	uint64_t af0 = 0, mis0 = 0;
	double cpu0 = 0, cap = (double)rte_ring_get_capacity(in);
	bool measuring = false;

	while (!stop && now < t_end) {
		struct rte_mbuf *m[BURST * 2];
		unsigned k, used = rte_ring_count(in);
		uint64_t before = now;
		/* source: one burst onto the input ring when it has room */
		if (cap - used >= BURST) {
			if (rte_pktmbuf_alloc_bulk(pool, m, BURST) != 0) {
				alloc_fail++;
			} else {
				for (unsigned i = 0; i < BURST; i++) {
					const struct tmpl *t = &g->t[ti];
					uint8_t *d = rte_pktmbuf_mtod(m[i], uint8_t *);

					ti = ti + 1 == g->n ? 0 : ti + 1;
					m[i]->data_len = t->len;
					m[i]->pkt_len = t->len;
					if (o->esp) {
						if (o->stream)
							copy_frame_nt(d, t->data, t->len,
								      t->esp_off);
						else
							rte_memcpy(d, t->data, t->len);
						fixer_set(&x, d, t, ++seq);
					} else {
						memcpy(d, t->data, 42);
					}
				}
				if (o->esp)
					fixer_flush(&x);
				if (o->stream)
					_mm_sfence(); /* streamed lines visible before the ring says so */
				k = rte_ring_enqueue_burst(in, (void **)m, BURST, NULL);
				tx += k;
				if (k < BURST) /* single producer: cannot happen */
					rte_pktmbuf_free_bulk(m + k, BURST - k);
			}
		}
		/* sink */
		for (unsigned r = 0; r < nout; r++) {
			k = rte_ring_dequeue_burst(outs[r], (void **)m, RTE_DIM(m), NULL);
			if (k == 0)
				continue;
			for (unsigned i = 0; i < k; i++)
				rx_bytes += m[i]->pkt_len;
			rx += k;
			rte_pktmbuf_free_bulk(m, k);
		}
		if (nsink != 0 && (rx & 0xff) == 0)
			misrouted += drain(sinks, nsink, NULL);
		now = rte_rdtsc();
		if (measuring) { /* time-weighted input ring fill */
			fill_sum += (uint64_t)used * (now - before);
			fill_n += now - before;
		}
		if (!measuring && now >= t_meas) {
			measuring = true;
			rx0 = rx;
			rxb0 = rx_bytes;
			tx0 = tx;
			af0 = alloc_fail;
			mis0 = misrouted;
			t0 = now;
			cpu0 = cpu_now();
		}
	}
	double secs = measuring ? (double)(now - t0) / (double)hz : 0;
	double cpu = measuring ? cpu_now() - cpu0 : 0;
	uint64_t n_rx = rx - rx0, n_tx = tx - tx0;
	double mpps = secs > 0 ? n_rx / secs / 1e6 : 0;
	double fill = fill_n ? (double)fill_sum / (double)fill_n / cap : 0;
	double dropf = n_tx ? 1.0 - (double)n_rx / (double)n_tx : 0;

	misrouted += drain(sinks, nsink, NULL);
	/* Let the gateway finish what is queued and take it, so it does not
	 * hold our mbufs or find its output rings full: until the input ring is
	 * empty and nothing came out for 20 ms (at most 500 ms). */
	for (int i = 0, quiet = 0; i < 500 && quiet < 20; i++) {
		unsigned k;

		rte_delay_ms(1);
		k = drain(outs, nout, NULL);
		misrouted += drain(sinks, nsink, NULL);
		quiet = k == 0 && rte_ring_count(in) == 0 ? quiet + 1 : 0;
	}
	fixer_fini(&x);
	fprintf(stderr,
		"zc_gen: %s -> %s: %.3f Mpps out of the gateway (%.2f Gbit/s of frames), "
		"offered %.3f Mpps, drop %.1f %%, input ring %.0f %% full, zc_gen CPU %.0f %%, "
		"misrouted %llu, %.1f s%s\n",
		o->in_port, o->out_port, mpps, secs > 0 ? (rx_bytes - rxb0) * 8.0 / secs / 1e9 : 0,
		secs > 0 ? n_tx / secs / 1e6 : 0, dropf * 100, fill * 100,
		secs > 0 ? cpu / secs * 100 : 0, (unsigned long long)(misrouted - mis0), secs,
		o->isolate ? "" : " (ports not isolated)");
	printf("{\"bench\":\"zc_gen\",\"src\":\"%s\",\"esp\":%s,\"alg\":\"%s\",\"rx_mpps\":%.4f,"
	       "\"rx_gbps_frames\":%.3f,\"tx_mpps\":%.4f,\"drop_frac\":%.4f,\"in_ring_fill\":%.3f,"
	       "\"gen_cpu_share\":%.3f,\"misrouted\":%llu,\"alloc_fail\":%llu,\"isolated\":%s,"
	       "\"secs\":%.3f,\"rx\":%llu,\"tx\":%llu}\n",
	       o->src, o->esp ? "true" : "false",
	       o->keys.cbc ? "aes-128-cbc-hmac-sha256" : "aes-128-gcm", mpps,
	       secs > 0 ? (rx_bytes - rxb0) * 8.0 / secs / 1e9 : 0,
	       secs > 0 ? n_tx / secs / 1e6 : 0, dropf, fill, secs > 0 ? cpu / secs : 0,
	       (unsigned long long)(misrouted - mis0), (unsigned long long)(alloc_fail - af0),
	       o->isolate ? "true" : "false", secs, (unsigned long long)n_rx,
	       (unsigned long long)n_tx);
	fflush(stdout);
	for (unsigned i = 0; i < g->n; i++)
		free(g->t[i].data);
	free(g);
	return measuring ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: zc_gen [EAL args] -- --pcap FILE --dir out|in --size 64|512|1420|imix [--count N]\n"
		"                            [--alg gcm|cbc] [--key HEX] [--auth-key HEX] [--spi N]\n"
		"       zc_gen --proc-type=secondary --file-prefix=P --huge-dir D -l C [EAL] -- --run FILE\n"
		"              --in-port net_ring0 --out-port net_ring1 [-t secs] [--warmup secs]\n"
		"              [--esp [--alg gcm|cbc] [--key HEX] [--auth-key HEX]] [--priv-size BYTES]\n"
		"              [--no-isolate] [--stream]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "auth-key", required_argument, NULL, 'K' },
		{ "alg", required_argument, NULL, 'a' },
		{ "spi", required_argument, NULL, 'i' },
		{ "run", required_argument, NULL, 'r' },
		{ "in-port", required_argument, NULL, 'I' },
		{ "out-port", required_argument, NULL, 'O' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "esp", no_argument, NULL, 'e' },
		{ "priv-size", required_argument, NULL, 'P' },
		{ "no-isolate", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "stream", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts ro = { .in_port = "net_ring0",
			       .out_port = "net_ring1",
			       .secs = 5,
			       .warmup = 1,
			       .priv_size = 256,
			       .isolate = true };
	const char *pcap = NULL, *dir = "out", *size = "64", *keyhex = NULL,
		   *akeyhex = default_auth_key;
	unsigned count = 1024;
	long spi = -1;
	int ret, opt, rc;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "zc_gen: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "t:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'p': pcap = optarg; break;
		case 'd': dir = optarg; break;
		case 's': size = optarg; break;
		case 'c': count = (unsigned)atoi(optarg); break;
		case 'k': keyhex = optarg; break;
		case 'K': akeyhex = optarg; break;
		case 'a':
			if (strcmp(optarg, "gcm") != 0 && strcmp(optarg, "cbc") != 0) {
				usage();
				return 2;
			}
			ro.keys.cbc = strcmp(optarg, "cbc") == 0;
			break;
		case 'i': spi = (long)strtoul(optarg, NULL, 0); break;
		case 'r': ro.src = optarg; break;
		case 'I': ro.in_port = optarg; break;
		case 'O': ro.out_port = optarg; break;
		case 'w': ro.warmup = atof(optarg); break;
		case 't': ro.secs = atof(optarg); break;
		case 'e': ro.esp = true; break;
		case 'P': ro.priv_size = (unsigned)atoi(optarg); break;
		case 'N': ro.isolate = false; break;
		case 'S': ro.stream = true; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (keyhex == NULL)
		keyhex = ro.keys.cbc ? default_cbc_key : default_gcm_key;
	if (parse_hex(keyhex, ro.keys.key, sizeof(ro.keys.key)) != (ro.keys.cbc ? 16 : 20)) {
		fprintf(stderr, "zc_gen: --key: %s\n",
			ro.keys.cbc ? "16 bytes of hex (AES-128 key)"
				    : "20 bytes of hex (AES-128 key || salt)");
		return 2;
	}
	if (ro.keys.cbc && parse_hex(akeyhex, ro.keys.auth_key, sizeof(ro.keys.auth_key)) != 32) {
		fprintf(stderr, "zc_gen: --auth-key: 32 bytes of hex (HMAC-SHA-256 key)\n");
		return 2;
	}
	if (spi < 0)
		spi = ro.keys.cbc ? 2001 : 2000;
	if (ro.stream && (ro.keys.cbc || !ro.esp)) {
		fprintf(stderr,
			"zc_gen: --stream is for --esp with GCM (the CBC fix-up reads the "
			"frame back into this core's cache; outbound frames get only their headers)\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (pcap != NULL) {
		if (count == 0 || count > MAX_TMPL) {
			fprintf(stderr, "zc_gen: --count 1..%u\n", MAX_TMPL);
			return 2;
		}
		rc = make_pcap(pcap, strcmp(dir, "in") == 0, size, count, &ro.keys, (uint32_t)spi);
	} else if (ro.src != NULL) {
		/* No rte_eal_cleanup() here: in a secondary process it runs the
		 * drivers' remove hooks on the gateway's shared devices (a crypto
		 * PMD tries to close the gateway's cryptodev). */
		rc = run(&ro);
		fflush(NULL);
		return rc == 0 ? 0 : 1;
	} else {
		usage();
		return 2;
	}
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
