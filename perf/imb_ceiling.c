/* SPDX-License-Identifier: BSD-3-Clause */
/* imb_ceiling: raw intel-ipsec-mb throughput on one core, the ceiling an ESP
 * worker can approach.
 *
 * Same algorithms, key sizes and buffer sizes as perf/fp_bench (our ESP
 * layer): AES-128-GCM (8-byte AAD = SPI || seq, 12-byte nonce, 16-byte tag)
 * and AES-128-CBC + HMAC-SHA-256-128 (HMAC over ESP header + IV + ciphertext),
 * on the ESP payload an inner IP packet of 64, 512, 1420 bytes (or the IMIX
 * mix) becomes: inner + pad + 2, aligned to 4 (GCM) or 16 (CBC). Jobs go
 * through the burst API (IMB_GET_NEXT_BURST / IMB_SUBMIT_BURST /
 * IMB_FLUSH_BURST), 32 per burst like dpdk-test-crypto-perf, in place over a
 * ring of -n buffers (default 1024, the working set fp_bench uses). No packet
 * work at all: only crypto.
 *
 * Usage: imb_ceiling [-t seconds per case] [-b burst] [-n bufs] [-a gcm|cbc|all]
 *                    [-s 64,512,1420,imix] [-d enc|dec|all] [-j|-J]
 *                    [-A auto|sse|avx|avx2|avx512]
 *   -A  the library's code for that arch instead of its own choice (auto);
 *       the CPU must have the instructions
 *   -j  the job API instead (IMB_SUBMIT_JOB per job, IMB_FLUSH_JOB after each burst)
 *   -J  the job API without flushing: jobs stay in the multi-buffer lanes until
 *       later ones push them out, as DPDK's crypto_aesni_mb PMD leaves them
 *       (it flushes only when a dequeue call found nothing completed). Ops
 *       counts submitted jobs: up to a lane set's worth are still in flight
 *       when a case ends and complete during the next one.
 * Prints one JSON object per case on stdout ({"bench":"imb_ceiling",...}),
 * a human table on stderr. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <x86intrin.h>
#include <intel-ipsec-mb.h>

#define NBUF_MAX 4096u
static unsigned NBUF = 1024; /* working set, -n */
static int JOBAPI;           /* -j: one job at a time (IMB_SUBMIT_JOB), flushed per burst;
				* -J: never flushed (jobs stay in the lanes across bursts) */
#define BUFSZ 2048u
#define MAXB  64u

/* Simple IMIX by inner IP size, 7:4:1 (the 1500-byte member capped at 1420
 * so the ESP packet still fits a 1500-byte MTU). Shared with fp_bench. */
static const uint32_t imix_pat[12] = { 64, 576, 64, 64, 576, 64, 1420, 64, 576, 64, 576, 64 };

struct sess {
	uint8_t enc[16 * 15] __attribute__((aligned(16)));
	uint8_t dec[16 * 15] __attribute__((aligned(16)));
	struct gcm_key_data gcm __attribute__((aligned(64)));
	uint8_t ipad[32] __attribute__((aligned(16)));
	uint8_t opad[32] __attribute__((aligned(16)));
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint32_t esp_clen(uint32_t inner, bool gcm)
{
	uint32_t a = gcm ? 4 : 16;

	return (inner + 2 + a - 1) / a * a;
}

static void hmac_pre(IMB_MGR *m, const uint8_t *key, struct sess *s)
{
	uint8_t pad[64];

	for (int i = 0; i < 2; i++) {
		memset(pad, i == 0 ? 0x36 : 0x5c, sizeof(pad));
		for (int j = 0; j < 32; j++)
			pad[j] ^= key[j];
		IMB_SHA256_ONE_BLOCK(m, pad, i == 0 ? s->ipad : s->opad);
	}
}

struct result {
	double mops, gbps_inner, cycles, tsc_ghz;
	uint64_t ops, fails;
};

static void run_case(IMB_MGR *m, const struct sess *s, uint8_t *bufs, bool gcm, bool enc,
		     uint32_t size, double secs, unsigned burst, struct result *r)
{
	static uint8_t nonce[NBUF_MAX][16] __attribute__((aligned(16)));
	static uint8_t aad[NBUF_MAX][16];
	static uint8_t tag[NBUF_MAX][32];
	IMB_JOB *jobs[MAXB];
	uint64_t ops = 0, inner_bytes = 0, fails = 0, cyc = 0;
	unsigned idx = 0, pat = 0;
	double t0, t1;

	for (unsigned i = 0; i < NBUF; i++) {
		memset(nonce[i], 0xa5, 12);
		memset(aad[i], 0x11, 8);
	}
	t0 = now_s();
	t1 = t0;
	while (t1 - t0 < secs) {
		for (int rep = 0; rep < 64; rep++) {
			uint64_t c0 = __rdtsc();
			uint32_t got = JOBAPI ? burst : IMB_GET_NEXT_BURST(m, burst, jobs), done;

			for (uint32_t i = 0; i < got; i++) {
				IMB_JOB *j = JOBAPI ? IMB_GET_NEXT_JOB(m) : jobs[i];
				uint32_t inner = size ? size : imix_pat[pat++ % 12];
				uint32_t clen = esp_clen(inner, gcm);
				uint8_t *b = bufs + (size_t)idx * BUFSZ;
				unsigned k = idx;

				idx = (idx + 1) % NBUF;
				inner_bytes += inner;
				j->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
				j->chain_order = enc ? IMB_ORDER_CIPHER_HASH
						     : IMB_ORDER_HASH_CIPHER;
				j->key_len_in_bytes = 16;
				j->src = b;
				j->dst = b + (gcm ? 16 : 24);
				j->cipher_start_src_offset_in_bytes = gcm ? 16 : 24;
				j->msg_len_to_cipher_in_bytes = clen;
				j->auth_tag_output = tag[k];
				j->auth_tag_output_len_in_bytes = 16;
				j->user_data = NULL;
				if (gcm) {
					j->cipher_mode = IMB_CIPHER_GCM;
					j->hash_alg = IMB_AUTH_AES_GMAC;
					j->enc_keys = j->dec_keys = &s->gcm;
					j->iv = nonce[k];
					j->iv_len_in_bytes = 12;
					j->hash_start_src_offset_in_bytes = 16;
					j->msg_len_to_hash_in_bytes = clen;
					j->u.GCM.aad = aad[k];
					j->u.GCM.aad_len_in_bytes = 8;
				} else {
					j->cipher_mode = IMB_CIPHER_CBC;
					j->hash_alg = IMB_AUTH_HMAC_SHA_256;
					j->enc_keys = s->enc;
					j->dec_keys = s->dec;
					j->iv = b + 8;
					j->iv_len_in_bytes = 16;
					j->hash_start_src_offset_in_bytes = 0;
					j->msg_len_to_hash_in_bytes = 24 + clen;
					j->u.HMAC._hashed_auth_key_xor_ipad = s->ipad;
					j->u.HMAC._hashed_auth_key_xor_opad = s->opad;
				}
				if (JOBAPI) {
					IMB_JOB *d = IMB_SUBMIT_JOB(m);

					while (d != NULL) {
						fails += d->status != IMB_STATUS_COMPLETED;
						d = IMB_GET_COMPLETED_JOB(m);
					}
				}
			}
			if (JOBAPI) {
				IMB_JOB *d;

				while (JOBAPI == 1 && (d = IMB_FLUSH_JOB(m)) != NULL)
					fails += d->status != IMB_STATUS_COMPLETED;
				cyc += __rdtsc() - c0;
				ops += got;
				continue;
			}
			done = IMB_SUBMIT_BURST(m, got, jobs);
			for (uint32_t i = 0; i < done; i++)
				fails += jobs[i]->status != IMB_STATUS_COMPLETED;
			while (done < got) {
				uint32_t k = IMB_FLUSH_BURST(m, got - done, jobs);

				if (k == 0)
					break;
				for (uint32_t i = 0; i < k; i++)
					fails += jobs[i]->status != IMB_STATUS_COMPLETED;
				done += k;
			}
			if (done < got)
				fails += got - done;
			cyc += __rdtsc() - c0;
			ops += got;
		}
		t1 = now_s();
	}
	r->ops = ops;
	r->fails = fails;
	r->mops = ops / (t1 - t0) / 1e6;
	r->gbps_inner = inner_bytes * 8.0 / (t1 - t0) / 1e9;
	r->cycles = (double)cyc / (double)ops;
	r->tsc_ghz = 0;
}

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

int main(int argc, char **argv)
{
	const char *algs = "gcm,cbc", *sizes = "64,512,1420,imix", *dirs = "enc,dec";
	const char *want_arch = "auto";
	double secs = 1.0;
	unsigned burst = 32;
	uint8_t key[16], hkey[32];
	struct sess *s;
	uint8_t *bufs;
	IMB_MGR *m;
	IMB_ARCH arch;
	int c;

	while ((c = getopt(argc, argv, "t:b:n:a:s:d:A:jJh")) != -1) {
		switch (c) {
		case 't': secs = atof(optarg); break;
		case 'b': burst = (unsigned)atoi(optarg); break;
		case 'n': NBUF = (unsigned)atoi(optarg); break;
		case 'j': JOBAPI = 1; break;
		case 'J': JOBAPI = 2; break;
		case 'a': algs = strcmp(optarg, "all") ? optarg : "gcm,cbc"; break;
		case 's': sizes = optarg; break;
		case 'd': dirs = strcmp(optarg, "all") ? optarg : "enc,dec"; break;
		case 'A': want_arch = optarg; break;
		default:
			fprintf(stderr,
				"usage: %s [-t secs] [-b burst] [-n bufs] [-a gcm,cbc] "
				"[-s 64,512,1420,imix] [-d enc,dec] [-A auto|sse|avx|avx2|avx512] [-j|-J]\n",
				argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (burst == 0 || burst > MAXB || NBUF == 0 || NBUF > NBUF_MAX) {
		fprintf(stderr, "burst must be 1..%u, bufs 1..%u\n", MAXB, NBUF_MAX);
		return 2;
	}
	m = alloc_mb_mgr(0);
	if (m == NULL)
		return 1;
	if (!strcmp(want_arch, "sse")) {
		init_mb_mgr_sse(m);
		arch = IMB_ARCH_SSE;
	} else if (!strcmp(want_arch, "avx")) {
		init_mb_mgr_avx(m);
		arch = IMB_ARCH_AVX;
	} else if (!strcmp(want_arch, "avx2")) {
		init_mb_mgr_avx2(m);
		arch = IMB_ARCH_AVX2;
	} else if (!strcmp(want_arch, "avx512")) {
		init_mb_mgr_avx512(m);
		arch = IMB_ARCH_AVX512;
	} else if (!strcmp(want_arch, "auto")) {
		init_mb_mgr_auto(m, &arch);
	} else {
		fprintf(stderr, "-A: unknown arch '%s' (auto, sse, avx, avx2, avx512)\n",
			want_arch);
		return 2;
	}
	if (imb_get_errno(m) != 0) {
		fprintf(stderr, "init_mb_mgr (%s): %s\n", want_arch,
			imb_get_strerror(imb_get_errno(m)));
		return 1;
	}
	if (posix_memalign((void **)&s, 64, sizeof(*s)) != 0 ||
	    posix_memalign((void **)&bufs, 64, (size_t)NBUF * BUFSZ) != 0)
		return 1;
	memset(bufs, 0x5a, (size_t)NBUF * BUFSZ);
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < 32; i++)
		hkey[i] = (uint8_t)(0x40 + i);
	IMB_AES128_GCM_PRE(m, key, &s->gcm);
	IMB_AES_KEYEXP_128(m, key, s->enc, s->dec);
	hmac_pre(m, hkey, s);

	const char *arch_name = arch == IMB_ARCH_AVX512 ? "avx512"
				: arch == IMB_ARCH_AVX2 ? "avx2"
				: arch == IMB_ARCH_AVX  ? "avx"
				: arch == IMB_ARCH_SSE  ? "sse"
							: "other";
	static const char *const size_names[] = { "64", "512", "1420", "imix" };
	static const uint32_t size_vals[] = { 64, 512, 1420, 0 };

	fprintf(stderr, "intel-ipsec-mb %s, arch %s, burst %u, working set %u, %.1f s per case\n",
		imb_get_version_str(), arch_name, burst, NBUF, secs);
	fprintf(stderr, "%-22s %-4s %-5s %9s %9s %10s\n", "alg", "dir", "size", "Mops", "Gbit/s",
		"cyc/op");
	for (int a = 0; a < 2; a++) {
		bool gcm = a == 0;
		const char *alg = gcm ? "aes-128-gcm" : "aes-128-cbc-hmac-sha256";

		if (!want(algs, gcm ? "gcm" : "cbc"))
			continue;
		for (int d = 0; d < 2; d++) {
			bool enc = d == 0;

			if (!want(dirs, enc ? "enc" : "dec"))
				continue;
			for (int z = 0; z < 4; z++) {
				struct result r;

				if (!want(sizes, size_names[z]))
					continue;
				/* a short warm-up, then the measured run */
				run_case(m, s, bufs, gcm, enc, size_vals[z], secs / 10, burst, &r);
				run_case(m, s, bufs, gcm, enc, size_vals[z], secs, burst, &r);
				fprintf(stderr, "%-22s %-4s %-5s %9.2f %9.2f %10.1f%s\n", alg,
					enc ? "enc" : "dec", size_names[z], r.mops, r.gbps_inner,
					r.cycles, r.fails ? "  FAILED JOBS" : "");
				printf("{\"bench\":\"imb_ceiling\",\"alg\":\"%s\",\"dir\":\"%s\",\"size\":\"%s\","
				       "\"burst\":%u,\"set\":%u,\"arch\":\"%s\",\"mops\":%.3f,\"gbps_inner\":%.3f,"
				       "\"tsc_cycles_per_op\":%.1f,\"ops\":%llu,\"failed\":%llu}\n",
				       alg, enc ? "enc" : "dec", size_names[z], burst, NBUF,
				       arch_name, r.mops, r.gbps_inner, r.cycles,
				       (unsigned long long)r.ops, (unsigned long long)r.fails);
				fflush(stdout);
			}
		}
	}
	free(bufs);
	free(s);
	free_mb_mgr(m);
	return 0;
}
