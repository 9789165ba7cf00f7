/* zc_gen: zero-copy traffic source and sink for a DPDK gateway's net_ring
 * ports, and the pcap files for its net_pcap runs.
 *
 * A net_ring port (`--vdev net_ring0`) is backed by rte_rings named
 * ETH_RXTX<q>_<port name> in DPDK shared memory; queue q's RX and TX use the
 * same ring. zc_gen runs as a DPDK *secondary* process of the gateway (same
 * --file-prefix, --proc-type=secondary), looks those rings up, and:
 *   - source: keeps the gateway's input port's ring 0 full of mbufs from its
 *     own pool, filled on zc_gen's core from pre-built templates (a NIC's DMA:
 *     the gateway's core copies nothing);
 *   - sink: drains every TX ring of the output port, counts and frees.
 * The gateway must poll RX only on the input port (ipsec-secgw: --config
 * "(IN_PORT,0,LCORE)") so each ring keeps one producer and one consumer
 * (the PMD creates them single-producer/single-consumer). Any DPDK gateway
 * whose ports are net_ring vdevs can be attached this way.
 *
 * Templates come from a pcap (Ethernet frames), written by this same tool:
 *   zc_gen [EAL] -- --pcap FILE --dir out|in --size 64|512|1420|imix [--count N]
 *     out: plain IPv4/UDP 198.51.100.1 -> 203.0.113.1 (inner size = IP length)
 *     in:  those packets (203.0.113.1 -> 198.51.100.1) ESP-encrypted by our
 *          fastpath/ outbound code: AES-128-GCM tunnel 192.0.2.2 -> 192.0.2.1,
 *          SPI --spi (2000), sequence numbers 1..N, key --key (bench key).
 * and replayed by
 *   zc_gen [EAL: --proc-type=secondary --file-prefix=P -l C] -- --run FILE
 *          --in-port net_ring0 --out-port net_ring1 [-t secs] [--warmup secs]
 *          [--key HEX --esp] [--priv-size BYTES]
 * Outbound templates are plain: per packet zc_gen rewrites only the 42 bytes
 * of Ethernet/IP/UDP headers (the payload may hold last round's ciphertext,
 * the gateway does not care). Inbound (--esp) templates are copied whole,
 * since the gateway decrypts in place, and get a fresh, increasing sequence
 * number, so anti-replay accepts them: the GCM tag is fixed up for the new
 * sequence number without re-encrypting (GHASH is linear: the AAD block
 * SPI || seq is multiplied by H^(m+2), m = ciphertext blocks; zc_gen keeps
 * per-byte tables of that product). The IV stays the template's: nonce
 * reuse, acceptable for a benchmark only. --selftest checks the fix-up
 * against our inbound code.
 *
 * Output: one JSON line on stdout (rx_mpps = what the gateway sent out per
 * second of the measured window; tx_* = what was offered), a summary on
 * stderr. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fastpath/fp_sa.h"

#define MAX_TMPL   4096u
#define BURST      32u
#define NRINGS     16u

/* Bench keys: AES-128-GCM key || salt (perf/secgw/ep-bench.cfg, the gateway JSON). */
static const char *const default_key = "101112131415161718191a1b1c1d1e1f20212223";
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

/* ---- GF(2^128) as GCM uses it (NIST SP 800-38D, algorithm 1) ---- */

struct blk { uint64_t hi, lo; };   /* big-endian halves of a 16-byte block */

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
	uint32_t m;                   /* ciphertext blocks this table is for */
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
	uint16_t esp_off;             /* ESP header offset, 0 when plain */
	uint32_t seq;                 /* template's sequence number */
	const struct seqfix *fix;
};

struct gen {
	struct tmpl t[MAX_TMPL];
	unsigned n;
	struct seqfix *fixes[8];
	unsigned nfix;
	bool esp;
};

/* Rewrites frame f (a copy of template t) for sequence number seq. */
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

/* ---- pcap ---- */

struct pcap_hdr { uint32_t magic; uint16_t vmaj, vmin; int32_t tz; uint32_t sig, snap, link; };
struct pcap_rec { uint32_t sec, usec, incl, orig; };

static int pcap_load(const char *path, struct gen *g)
{
	FILE *fp = fopen(path, "rb");
	struct pcap_hdr h;
	struct pcap_rec r;

	if (fp == NULL || fread(&h, sizeof(h), 1, fp) != 1 || h.magic != 0xa1b2c3d4u || h.link != 1) {
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

/* ---- making packets (standalone EAL) ---- */

static const uint8_t eth_hdr[14] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01,     /* dst: the gateway */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02,     /* src: the generator */
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
	p[20] = 0x04; p[22] = 0x04;              /* ports 1024 -> 1024 */
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

static int peer_sa(struct fp_sa *sa, const uint8_t *key, uint32_t spi, enum fp_dir dir)
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
	p.cipher = FP_CIPHER_AES_GCM;
	p.cipher_key_len = 20;
	memcpy(p.cipher_key, key, 20);
	if (fp_sa_init(sa, &p, &fp_crypto_imb, err, sizeof(err)) != 0) {
		fprintf(stderr, "zc_gen: fp_sa_init: %s\n", err);
		return -1;
	}
	return 0;
}

/* Checks the sequence-number fix-up: frames patched to new numbers must pass
 * our inbound code (ICV, anti-replay). */
static int selftest(struct rte_mempool *pool, struct rte_mbuf **tm, unsigned n,
		    const uint8_t *key, uint32_t spi, struct fp_crypto_engine *eng)
{
	struct fp_sa *in = rte_zmalloc(NULL, sizeof(*in), RTE_CACHE_LINE_SIZE);
	struct rte_mbuf *m[BURST];
	struct gen *g = calloc(1, sizeof(*g));
	struct blk h;
	unsigned k = RTE_MIN(n, BURST), good;
	int rc = -1;

	if (in == NULL || g == NULL || peer_sa(in, key, spi, FP_DIR_IN) != 0 || gcm_hash_key(key, &h) != 0)
		goto out;
	fp_sa_set_seq(in, 1000000);
	if (rte_pktmbuf_alloc_bulk(pool, m, k) != 0)
		goto out;
	for (unsigned i = 0; i < k; i++) {
		struct tmpl t = { rte_pktmbuf_mtod(tm[i], uint8_t *), (uint16_t)tm[i]->pkt_len, 34, 0, NULL };
		uint32_t clen = t.len - 34 - 16 - 16;
		struct seqfix *f = seqfix_make(h, (clen + 15) / 16);
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(m[i], t.len);

		if (d == NULL || f == NULL) {
			free(f);
			rte_pktmbuf_free_bulk(m, k);
			goto out;
		}
		t.seq = rte_be_to_cpu_32(*(uint32_t *)(t.data + 38));
		t.fix = f;
		memcpy(d, t.data, t.len);
		esp_set_seq(d, &t, 1000001u + i * 977u);
		free(f);
		rte_pktmbuf_adj(m[i], 14);
	}
	good = fp_esp_process(in, eng, m, (uint16_t)k);
	if (good != k)
		fprintf(stderr, "zc_gen: selftest: %u of %u patched packets refused (%s)\n", k - good,
			k, fp_drop_name(fp_mbuf_drop_reason(m[good])));
	else
		rc = 0;
	rte_pktmbuf_free_bulk(m, k);
out:
	free(g);
	rte_free(in);
	return rc;
}

static int make_pcap(const char *path, bool inbound, const char *size, unsigned count,
		     const uint8_t *key, uint32_t spi)
{
	struct rte_mempool *pool = rte_pktmbuf_pool_create("zc_make", count + 256, 0, 0,
							   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct rte_mbuf **m = calloc(count, sizeof(*m));
	struct fp_crypto_engine *eng = rte_zmalloc(NULL, sizeof(*eng), RTE_CACHE_LINE_SIZE);
	struct fp_sa *out = rte_zmalloc(NULL, sizeof(*out), RTE_CACHE_LINE_SIZE);
	uint32_t fixed = strcmp(size, "imix") ? (uint32_t)atoi(size) : 0;
	int rc = -1;

	if (pool == NULL || m == NULL || eng == NULL || out == NULL ||
	    rte_pktmbuf_alloc_bulk(pool, m, count) != 0 || fp_crypto_engine_init(eng, &fp_crypto_imb) != 0) {
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
		if (peer_sa(out, key, spi, FP_DIR_OUT) != 0)
			return -1;
		for (unsigned i = 0; i < count; i += BURST) {
			uint16_t k = (uint16_t)RTE_MIN(BURST, count - i);

			if (fp_esp_process(out, eng, m + i, k) != k) {
				fprintf(stderr, "zc_gen: ESP: %s\n", fp_drop_name(fp_mbuf_drop_reason(m[i])));
				return -1;
			}
		}
	}
	for (unsigned i = 0; i < count; i++)
		memcpy(rte_pktmbuf_prepend(m[i], 14), eth_hdr, 14);
	if (inbound && selftest(pool, m, count, key, spi, eng) != 0)
		goto done;
	if (pcap_write(path, m, count) != 0) {
		fprintf(stderr, "zc_gen: %s: %s\n", path, strerror(errno));
		goto done;
	}
	fprintf(stderr, "zc_gen: wrote %u %s frames (inner %s) to %s\n", count,
		inbound ? "ESP" : "plain", size, path);
	rc = 0;
done:
	rte_pktmbuf_free_bulk(m, count);
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
	bool esp;
	uint8_t key[20];
};

static struct rte_ring *ring_of(const char *port, unsigned q)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "ETH_RXTX%u_%s", q, port);
	return rte_ring_lookup(name);
}

static int run(const struct run_opts *o)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct rte_ring *in, *outs[NRINGS];
	unsigned nout = 0, ti = 0;
	struct rte_mempool *pool;
	struct blk h;
	uint32_t seq = 0;
	uint64_t hz = rte_get_tsc_hz();

	if (g == NULL || pcap_load(o->src, g) != 0)
		return -1;
	in = ring_of(o->in_port, 0);
	for (unsigned q = 0; q < NRINGS; q++) {
		struct rte_ring *r = ring_of(o->out_port, q);

		if (r != NULL)
			outs[nout++] = r;
	}
	if (in == NULL || nout == 0) {
		fprintf(stderr, "zc_gen: rings of %s / %s not found (is the gateway up, with the same "
			"--file-prefix, and are they net_ring vdevs?)\n", o->in_port, o->out_port);
		return -1;
	}
	if (o->esp) {
		if (gcm_hash_key(o->key, &h) != 0)
			return -1;
		for (unsigned i = 0; i < g->n; i++) {
			struct tmpl *t = &g->t[i];
			uint32_t m;

			if (t->esp_off == 0) {
				fprintf(stderr, "zc_gen: template %u is not ESP\n", i);
				return -1;
			}
			/* ESP hdr 8 + IV 8 ... ciphertext ... ICV 16 */
			m = (uint32_t)(t->len - t->esp_off - 16 - 16 + 15) / 16;
			for (unsigned k = 0; k < g->nfix && t->fix == NULL; k++)
				if (g->fixes[k]->m == m)
					t->fix = g->fixes[k];
			if (t->fix == NULL) {
				if (g->nfix == RTE_DIM(g->fixes) ||
				    (g->fixes[g->nfix] = seqfix_make(h, m)) == NULL)
					return -1;
				t->fix = g->fixes[g->nfix++];
			}
			if (t->seq > seq)
				seq = t->seq;
		}
	}
	/* Own pool in shared memory; the gateway frees into it what it drops.
	 * Enough mbufs for both rings, the gateway's bursts and our caches.
	 * Gateways keep per-packet state in the mbuf private area (ipsec-secgw:
	 * struct ipsec_mbuf_metadata, a crypto op): --priv-size, default 256. */
	pool = rte_pktmbuf_pool_create("zc_gen_pool", 8191, 256, (uint16_t)o->priv_size,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "zc_gen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	/* Prime every mbuf once with its full template so outbound rounds can
	 * rewrite only the headers. */
	{
		struct rte_mbuf *all[8191];
		unsigned n = 0;

		while (n < RTE_DIM(all) && rte_pktmbuf_alloc_bulk(pool, all + n, 1) == 0) {
			const struct tmpl *t = &g->t[n % g->n];

			memcpy(rte_pktmbuf_mtod(all[n], uint8_t *), t->data, t->len);
			n++;
		}
		rte_pktmbuf_free_bulk(all, n);
	}

	uint64_t t_start = rte_rdtsc(), t_meas = t_start + (uint64_t)(o->warmup * (double)hz);
	uint64_t t_end = t_meas + (uint64_t)(o->secs * (double)hz), now = t_start;
	uint64_t rx = 0, rx_bytes = 0, tx = 0, tx_full = 0, alloc_fail = 0;
	uint64_t rx0 = 0, rxb0 = 0, tx0 = 0, full0 = 0, t0 = 0;
	bool measuring = false;

	while (!stop && now < t_end) {
		struct rte_mbuf *m[BURST * 2];
		unsigned k;

		/* source: one burst onto the input ring when it has room */
		if (rte_ring_free_count(in) >= BURST) {
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
						rte_memcpy(d, t->data, t->len);
						esp_set_seq(d, t, ++seq);
					} else {
						memcpy(d, t->data, 42);
					}
				}
				k = rte_ring_enqueue_burst(in, (void **)m, BURST, NULL);
				tx += k;
				if (k < BURST) {
					tx_full += BURST - k;
					rte_pktmbuf_free_bulk(m + k, BURST - k);
				}
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
		now = rte_rdtsc();
		if (!measuring && now >= t_meas) {
			measuring = true;
			rx0 = rx;
			rxb0 = rx_bytes;
			tx0 = tx;
			full0 = tx_full;
			t0 = now;
		}
	}
	double secs = measuring ? (double)(now - t0) / (double)hz : 0;
	uint64_t n_rx = rx - rx0, n_tx = tx - tx0;
	double mpps = secs > 0 ? n_rx / secs / 1e6 : 0;
	/* drain what is still queued so the gateway does not hold our mbufs */
	for (unsigned r = 0; r < nout; r++) {
		struct rte_mbuf *m[64];
		unsigned k;

		while ((k = rte_ring_dequeue_burst(outs[r], (void **)m, 64, NULL)) != 0)
			rte_pktmbuf_free_bulk(m, k);
	}
	fprintf(stderr, "zc_gen: %s -> %s: %.3f Mpps out of the gateway (%.2f Gbit/s of frames), "
		"offered %.3f Mpps, input ring full %llu times, %.1f s\n", o->in_port, o->out_port, mpps,
		secs > 0 ? (rx_bytes - rxb0) * 8.0 / secs / 1e9 : 0, secs > 0 ? n_tx / secs / 1e6 : 0,
		(unsigned long long)(tx_full - full0), secs);
	printf("{\"bench\":\"zc_gen\",\"src\":\"%s\",\"esp\":%s,\"rx_mpps\":%.4f,\"rx_gbps_frames\":%.3f,"
	       "\"tx_mpps\":%.4f,\"ring_full\":%llu,\"alloc_fail\":%llu,\"secs\":%.2f,\"rx\":%llu,\"tx\":%llu}\n",
	       o->src, o->esp ? "true" : "false", mpps,
	       secs > 0 ? (rx_bytes - rxb0) * 8.0 / secs / 1e9 : 0, secs > 0 ? n_tx / secs / 1e6 : 0,
	       (unsigned long long)(tx_full - full0), (unsigned long long)alloc_fail, secs,
	       (unsigned long long)n_rx, (unsigned long long)n_tx);
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: zc_gen [EAL args] -- --pcap FILE --dir out|in --size 64|512|1420|imix [--count N]\n"
		"                            [--key HEX40] [--spi N]\n"
		"       zc_gen --proc-type=secondary --file-prefix=P -l C [EAL] -- --run FILE\n"
		"              --in-port net_ring0 --out-port net_ring1 [-t secs] [--warmup secs]\n"
		"              [--esp] [--key HEX40] [--priv-size BYTES]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pcap", required_argument, NULL, 'p' }, { "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' }, { "count", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' }, { "spi", required_argument, NULL, 'i' },
		{ "run", required_argument, NULL, 'r' }, { "in-port", required_argument, NULL, 'I' },
		{ "out-port", required_argument, NULL, 'O' }, { "warmup", required_argument, NULL, 'w' },
		{ "esp", no_argument, NULL, 'e' }, { "priv-size", required_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts ro = { .in_port = "net_ring0", .out_port = "net_ring1", .secs = 5, .warmup = 1,
				.priv_size = 256 };
	const char *pcap = NULL, *dir = "out", *size = "64", *keyhex = default_key;
	unsigned count = 1024;
	uint32_t spi = 2000;
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
		case 'i': spi = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': ro.src = optarg; break;
		case 'I': ro.in_port = optarg; break;
		case 'O': ro.out_port = optarg; break;
		case 'w': ro.warmup = atof(optarg); break;
		case 't': ro.secs = atof(optarg); break;
		case 'e': ro.esp = true; break;
		case 'P': ro.priv_size = (unsigned)atoi(optarg); break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (parse_hex(keyhex, ro.key, sizeof(ro.key)) != 20) {
		fprintf(stderr, "zc_gen: --key: 20 bytes of hex (AES-128 key || salt)\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (pcap != NULL) {
		if (count == 0 || count > MAX_TMPL) {
			fprintf(stderr, "zc_gen: --count 1..%u\n", MAX_TMPL);
			return 2;
		}
		rc = make_pcap(pcap, strcmp(dir, "in") == 0, size, count, ro.key, spi);
	} else if (ro.src != NULL) {
		rc = run(&ro);
	} else {
		usage();
		return 2;
	}
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
