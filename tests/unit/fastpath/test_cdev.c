/* SPDX-License-Identifier: BSD-3-Clause */
/* cryptodev backend (fastpath/crypto_cdev.c) on the software vdevs.
 *
 * The matrix of the esp suite (7 algorithm sets x tunnel 4-in-4, 6-in-4,
 * 4-in-6, 6-in-6, transport v4/v6 x UDP encapsulation or not x ESN or not,
 * the ESN SAs crossing a wrap of the low 32 bits) runs through the
 * cryptodev backend on crypto_aesni_mb, cross-checked against the
 * intel-ipsec-mb backend (itself checked against scapy, tshark and the
 * draft-mcgrew vectors in test_esp.c): the same packets with the same
 * sequence numbers encrypt to the same bytes (AES-CBC excepted: its IVs are
 * random per SA), what one backend encrypts the other decrypts, and a
 * flipped ICV is an authentication drop. Then the same on crypto_openssl
 * for what it supports, bursts longer than the queue pair, sessions given
 * back to their pool, and missing capabilities (crypto_null) refused with
 * the device and algorithm named. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cryptodev.h>
#include <rte_dev.h>
#include <rte_mbuf.h>

#include "fastpath/ctrl_core.h"
#include "fastpath/fp_sa.h"
#include "tests/unit/test.h"
#include "tests/unit/test_eal.h"

#define NPKT 3

static struct fp_crypto_engine ceng, ieng; /* cryptodev, intel-ipsec-mb */
static bool ceng_up;

/* The wait bound for bursts in these tests: they check what the device
 * computes, and a software PMD runs on this thread, so a test preempted by
 * a busy machine (make -j, a benchmark) must not see its ops abandoned at
 * the gateway's 1 ms bound; the bound itself is tested with 0 below. */
#define TEST_CDEV_TIMEOUT_US 1000000u

/* Attaches the cryptodev devargs names (probing the vdev the first time)
 * with an engine on queue pair 0. A small queue pair makes bursts of 64
 * go in several rounds; a small session pool shows leaked sessions. */
static int use_device(const char *devargs, uint32_t qp_desc, uint32_t max_sess)
{
	char name[64], err[160] = "";
	struct fp_cdev_cfg cfg = { .device = name,
				   .n_qp = 2,
				   .qp_desc = qp_desc,
				   .max_sessions = max_sess,
				   .socket = -1,
				   .timeout_us = TEST_CDEV_TIMEOUT_US };
	const char *cur = fp_crypto_cdev_device();

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(devargs, ","), devargs);
	if (test_eal_init() != 0)
		return -1;
	if (ieng.ctx == NULL && fp_crypto_engine_init(&ieng, &fp_crypto_imb) != 0)
		return -1;
	if (cur != NULL && strcmp(cur, name) == 0)
		return 0;
	if (ceng_up) {
		fp_crypto_engine_fini(&ceng);
		ceng_up = false;
	}
	if (fp_crypto_cdev_detach() != 0)
		return -1;
	if (rte_cryptodev_get_dev_id(name) < 0 && rte_dev_probe(devargs) != 0) {
		fprintf(stderr, "cannot probe %s\n", devargs);
		return -1;
	}
	if (fp_crypto_cdev_attach(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "attach: %s\n", err);
		return -1;
	}
	if (fp_crypto_engine_init(&ceng, &fp_crypto_cdev) != 0)
		return -1;
	ceng_up = true;
	return 0;
}

static uint8_t ceng_dev(void)
{
	return (uint8_t)rte_cryptodev_get_dev_id(fp_crypto_cdev_device());
}

#define AESNI_MB "crypto_aesni_mb0"
#define USE(dev) CU_ASSERT_FATAL(use_device(dev, 32, 64) == 0)

static struct fp_sa *sa_new(const struct fp_sa_params *p, const struct fp_crypto_backend *be)
{
	struct fp_sa *sa = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*sa));
	char err[160] = "";

	CU_ASSERT_FATAL(sa != NULL);
	if (fp_sa_init(sa, p, be, err, sizeof(err)) != 0) {
		fprintf(stderr, "fp_sa_init (%s): %s\n", be->name, err);
		free(sa);
		return NULL;
	}
	return sa;
}

static void sa_free(struct fp_sa *sa)
{
	if (sa == NULL)
		return;
	fp_sa_fini(sa);
	free(sa);
}

static struct rte_mbuf *mk(const uint8_t *d, size_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_eal_pool());

	CU_ASSERT_FATAL(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), d, n);
	return m;
}

static void free_all(struct rte_mbuf **mb, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(mb[i]);
}

static bool mbuf_eq(const struct rte_mbuf *m, const uint8_t *d, size_t n)
{
	return m->pkt_len == n && memcmp(rte_pktmbuf_mtod(m, const uint8_t *), d, n) == 0;
}

/* Inner UDP packet of family fam with n payload bytes (UDP checksum 0:
 * ESP does not look at it). */
static size_t udp_pkt(uint8_t *b, int fam, uint16_t id, size_t n)
{
	size_t hl = fam == 4 ? 20 : 40, len = hl + 8 + n;

	memset(b, 0, len);
	if (fam == 4) {
		b[0] = 0x45;
		b[2] = (uint8_t)(len >> 8);
		b[3] = (uint8_t)len;
		b[4] = (uint8_t)(id >> 8);
		b[5] = (uint8_t)id;
		b[8] = 64;
		b[9] = 17;
		inet_pton(AF_INET, "198.51.100.1", b + 12);
		inet_pton(AF_INET, "203.0.113.1", b + 16);
		/* Transport mode rebuilds the header with a valid checksum. */
		uint32_t sum = 0;
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)(b[i] << 8 | b[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		b[10] = (uint8_t)(~sum >> 8);
		b[11] = (uint8_t)~sum;
	} else {
		b[0] = 0x60;
		b[4] = (uint8_t)((len - 40) >> 8);
		b[5] = (uint8_t)(len - 40);
		b[6] = 17;
		b[7] = 64;
		inet_pton(AF_INET6, "2001:db8:1::1", b + 8);
		inet_pton(AF_INET6, "2001:db8:2::1", b + 24);
	}
	b[hl] = 0x30;
	b[hl + 1] = 0x39;
	b[hl + 2] = 0x07;
	b[hl + 3] = 0xd0;
	b[hl + 4] = (uint8_t)((8 + n) >> 8);
	b[hl + 5] = (uint8_t)(8 + n);
	for (size_t i = 0; i < n; i++)
		b[hl + 8 + i] = (uint8_t)(id + i);
	return len;
}

/* ---- the matrix ---- */

struct alg {
	const char *name;
	enum fp_cipher cipher;
	uint8_t key_len;
	enum fp_auth auth;
	uint8_t auth_key_len;
};

static const struct alg algs[] = {
	{ "aes128gcm16", FP_CIPHER_AES_GCM, 20, FP_AUTH_NONE, 0 },
	{ "aes256gcm16", FP_CIPHER_AES_GCM, 36, FP_AUTH_NONE, 0 },
	{ "chacha20poly1305", FP_CIPHER_CHACHA20_POLY1305, 36, FP_AUTH_NONE, 0 },
	{ "aes128-sha256", FP_CIPHER_AES_CBC, 16, FP_AUTH_HMAC_SHA256_128, 32 },
	{ "aes256-sha384", FP_CIPHER_AES_CBC, 32, FP_AUTH_HMAC_SHA384_192, 48 },
	{ "aes128-sha512", FP_CIPHER_AES_CBC, 16, FP_AUTH_HMAC_SHA512_256, 64 },
	{ "null-sha256", FP_CIPHER_NULL, 0, FP_AUTH_HMAC_SHA256_128, 32 },
};

struct mode {
	const char *name;
	enum fp_mode mode;
	uint8_t outer, inner;
};

static const struct mode modes[] = {
	{ "tunnel4in4", FP_MODE_TUNNEL, 4, 4 },    { "tunnel6in4", FP_MODE_TUNNEL, 4, 6 },
	{ "tunnel4in6", FP_MODE_TUNNEL, 6, 4 },    { "tunnel6in6", FP_MODE_TUNNEL, 6, 6 },
	{ "transport4", FP_MODE_TRANSPORT, 4, 4 }, { "transport6", FP_MODE_TRANSPORT, 6, 6 },
};

static void params(struct fp_sa_params *p, const struct alg *a, const struct mode *md, bool udp,
		   bool esn, enum fp_dir dir, uint32_t spi)
{
	static const char *ad[2][2] = { { "192.0.2.1", "192.0.2.2" },
					{ "2001:db8::1", "2001:db8::2" } };
	int af = md->outer == 4 ? AF_INET : AF_INET6;

	memset(p, 0, sizeof(*p));
	p->spi = spi;
	p->dir = dir;
	p->mode = md->mode;
	p->outer_family = md->outer;
	inet_pton(af, ad[md->outer == 6][dir == FP_DIR_OUT ? 0 : 1], p->local);
	inet_pton(af, ad[md->outer == 6][dir == FP_DIR_OUT ? 1 : 0], p->remote);
	p->udp_encap = udp;
	p->encap_local_port = p->encap_remote_port = 4500;
	p->cipher = a->cipher;
	p->cipher_key_len = a->key_len;
	for (unsigned i = 0; i < a->key_len; i++)
		p->cipher_key[i] = (uint8_t)(spi * 7 + i);
	p->auth = a->auth;
	p->auth_key_len = a->auth_key_len;
	for (unsigned i = 0; i < a->auth_key_len; i++)
		p->auth_key[i] = (uint8_t)(spi * 13 + 3 * i);
	p->esn = esn;
	p->replay_window = 64;
}

/* Encrypts n copies of in[] with sa on engine e; all must pass. */
static void encrypt_burst(struct fp_sa *sa, struct fp_crypto_engine *e, uint8_t in[][600],
			  const size_t *il, struct rte_mbuf **mb, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		mb[k] = mk(in[k], il[k]);
	CU_ASSERT_EQUAL(fp_esp_process(sa, e, mb, (uint16_t)n), n);
}

/* Decrypts copies of the wire packets w[] with sa on e; returns how many
 * came out as in[]. */
static unsigned decrypt_check(struct fp_sa *sa, struct fp_crypto_engine *e, struct rte_mbuf **w,
			      uint8_t in[][600], const size_t *il, unsigned n)
{
	struct rte_mbuf *mb[NPKT];
	unsigned good = 0;
	uint16_t ok;

	for (unsigned k = 0; k < n; k++)
		mb[k] = mk(rte_pktmbuf_mtod(w[k], uint8_t *), w[k]->pkt_len);
	ok = fp_esp_process(sa, e, mb, (uint16_t)n);
	for (unsigned k = 0; k < ok; k++)
		good += mbuf_eq(mb[k], in[k], il[k]);
	if (ok != n)
		fprintf(stderr, "  first drop: %s\n", fp_drop_name(fp_mbuf_drop_reason(mb[ok])));
	free_all(mb, n);
	return good;
}

/* One encrypted packet from sa with its last ICV byte flipped must be an
 * authentication drop on in, and the intact copy must pass after it. */
static bool bad_icv(struct fp_sa *out, struct fp_sa *in, const uint8_t *pkt, size_t len)
{
	struct rte_mbuf *m = mk(pkt, len), *c;
	bool ok = true;

	if (fp_esp_process(out, &ieng, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return false;
	}
	c = mk(rte_pktmbuf_mtod(m, uint8_t *), m->pkt_len);
	rte_pktmbuf_mtod(c, uint8_t *)[c->pkt_len - 1] ^= 0x01;
	ok &= fp_esp_process(in, &ceng, &c, 1) == 0 && fp_mbuf_drop_reason(c) == FP_DROP_AUTH &&
	      in->stats.drops[FP_DROP_AUTH] == 1;
	rte_pktmbuf_free(c);
	ok &= fp_esp_process(in, &ceng, &m, 1) == 1;
	rte_pktmbuf_free(m);
	return ok;
}

struct tally {
	unsigned sas, same_bytes, imb_took_ours, we_took_imb, auth;
};

/* The four SAs of one combination: cryptodev and intel-ipsec-mb, each
 * direction, same keys. Counts nothing when the device lacks the
 * algorithm. */
static void cross_one(const struct alg *a, const struct mode *md, bool udp, bool esn, uint32_t spi,
		      struct tally *t)
{
	struct fp_sa_params po, pi;
	struct fp_sa *oc, *oi, *ic, *ii;
	struct rte_mbuf *A[NPKT], *B[NPKT];
	static const size_t sizes[NPKT] = { 0, 33, 301 };
	uint8_t in[NPKT][600];
	size_t il[NPKT];
	uint64_t start = esn ? 0xfffffffeull : 1000; /* ESN: seq_lo wraps inside the burst */
	bool cbc = a->cipher == FP_CIPHER_AES_CBC, same = true;
	char err[160];

	params(&po, a, md, udp, esn, FP_DIR_OUT, spi);
	params(&pi, a, md, udp, esn, FP_DIR_IN, spi);
	oc = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*oc));
	CU_ASSERT_FATAL(oc != NULL);
	if (fp_sa_init(oc, &po, &fp_crypto_cdev, err, sizeof(err)) != 0) {
		/* Only a missing capability may refuse it, and the reason
		 * names the device. */
		CU_ASSERT(strstr(err, "does not support") != NULL);
		CU_ASSERT(strstr(err, fp_crypto_cdev_device()) != NULL);
		free(oc);
		return;
	}
	oi = sa_new(&po, &fp_crypto_imb);
	ic = sa_new(&pi, &fp_crypto_cdev);
	ii = sa_new(&pi, &fp_crypto_imb);
	CU_ASSERT_FATAL(oi && ic && ii);
	fp_sa_set_seq(oc, start);
	fp_sa_set_seq(oi, start);
	fp_sa_set_seq(ic, start);
	fp_sa_set_seq(ii, start);
	for (unsigned k = 0; k < NPKT; k++)
		il[k] = udp_pkt(in[k], md->inner, (uint16_t)(spi + k), sizes[k]);

	encrypt_burst(oc, &ceng, in, il, A, NPKT);
	encrypt_burst(oi, &ieng, in, il, B, NPKT);
	for (unsigned k = 0; k < NPKT; k++) {
		const uint8_t *x = rte_pktmbuf_mtod(A[k], uint8_t *),
			      *y = rte_pktmbuf_mtod(B[k], uint8_t *);

		if (A[k]->pkt_len != B[k]->pkt_len) {
			same = false;
		} else if (cbc) {
			/* Equal up to the IV (outer or own IP header, UDP, SPI,
			 * sequence number); the IV and so the rest differ, and
			 * with them the UDP checksum over IPv6 (esp_outbound.c). */
			uint32_t iv_at = (md->outer == 4 ? 20u : 40u) + (udp ? 8u : 0u) + 8u;

			if (md->outer == 6 && udp)
				same &= memcmp(x, y, 46) == 0 &&
					memcmp(x + 48, y + 48, iv_at - 48) == 0;
			else
				same &= memcmp(x, y, iv_at) == 0;
		} else {
			same &= memcmp(x, y, A[k]->pkt_len) == 0;
		}
	}
	t->same_bytes += same;
	t->imb_took_ours += decrypt_check(ii, &ieng, A, in, il, NPKT) == NPKT;
	t->we_took_imb += decrypt_check(ic, &ceng, B, in, il, NPKT) == NPKT;
	t->auth += bad_icv(oi, ic, in[0], il[0]);
	t->sas++;
	free_all(A, NPKT);
	free_all(B, NPKT);
	sa_free(oc);
	sa_free(oi);
	sa_free(ic);
	sa_free(ii);
}

/* Runs the whole matrix on the attached device; *missing gets the
 * algorithm sets it refused. Returns the combinations run. */
static unsigned matrix(char *missing, size_t mlen)
{
	struct tally t = { 0 };
	uint32_t spi = 0x10000;

	missing[0] = '\0';
	for (unsigned ai = 0; ai < RTE_DIM(algs); ai++) {
		unsigned before = t.sas, tried = 0;

		for (unsigned mi = 0; mi < RTE_DIM(modes); mi++)
			for (int u = 0; u < 2; u++)
				for (int e = 0; e < 2; e++) {
					tried++;
					cross_one(&algs[ai], &modes[mi], u, e, spi++, &t);
				}
		if (t.sas == before) {
			size_t l = strlen(missing);

			snprintf(missing + l, mlen - l, "%s%s", l ? " " : "", algs[ai].name);
		} else {
			CU_ASSERT_EQUAL(t.sas - before, tried); /* all or nothing per algorithm */
		}
	}
	CU_ASSERT_EQUAL(t.same_bytes, t.sas);
	CU_ASSERT_EQUAL(t.imb_took_ours, t.sas);
	CU_ASSERT_EQUAL(t.we_took_imb, t.sas);
	CU_ASSERT_EQUAL(t.auth, t.sas);
	return t.sas;
}

static void test_matrix_aesni_mb(void)
{
	char missing[256];

	USE(AESNI_MB);
	CU_ASSERT_EQUAL(matrix(missing, sizeof(missing)), 168);
	CU_ASSERT_STRING_EQUAL(missing, "");
}

/* crypto_openssl: whatever it supports must give the same results; what
 * it lacks must be refused cleanly. AES-GCM and AES-CBC+HMAC it has. */
static void test_matrix_openssl(void)
{
	char missing[256];
	unsigned n;

	USE("crypto_openssl0");
	n = matrix(missing, sizeof(missing));
	CU_ASSERT(n >= 6 * 24);
	CU_ASSERT(strstr(missing, "gcm") == NULL && strstr(missing, "aes128-sha256") == NULL);
	if (missing[0] != '\0')
		printf("(crypto_openssl lacks: %s) ", missing);
}

/* 150 packets: three chunks of up to 64, each more than the 32-descriptor
 * queue pair holds, so enqueue and dequeue take turns inside a burst. */
static void test_long_burst(void)
{
	static uint8_t in[150][600];
	struct rte_mbuf *mb[150], *cp[150];
	size_t il[150];
	struct fp_sa_params po, pi;

	USE(AESNI_MB);
	for (unsigned ai = 0; ai < RTE_DIM(algs); ai += 3) { /* GCM-128, CBC-SHA256, NULL */
		params(&po, &algs[ai], &modes[0], false, false, FP_DIR_OUT, 0x3000 + ai);
		params(&pi, &algs[ai], &modes[0], false, false, FP_DIR_IN, 0x3000 + ai);
		pi.replay_window = 256;
		struct fp_sa *o = sa_new(&po, &fp_crypto_cdev), *i = sa_new(&pi, &fp_crypto_cdev);
		struct fp_sa *ii = sa_new(&pi, &fp_crypto_imb);
		unsigned same = 0, same2 = 0;

		CU_ASSERT_FATAL(o && i && ii);
		rte_cryptodev_stats_reset(ceng_dev());
		for (unsigned k = 0; k < 150; k++) {
			il[k] = udp_pkt(in[k], 4, (uint16_t)k, k * 3 % 500);
			mb[k] = mk(in[k], il[k]);
		}
		CU_ASSERT_EQUAL(fp_esp_process(o, &ceng, mb, 150), 150);
		/* The queue pair turned ops away: the partial-enqueue path ran. */
		struct rte_cryptodev_stats cs;
		CU_ASSERT(rte_cryptodev_stats_get(ceng_dev(), &cs) == 0 &&
			  cs.enqueue_err_count > 0 && cs.dequeued_count == 150);
		for (unsigned k = 0; k < 150; k++) {
			const uint8_t *e = rte_pktmbuf_mtod(mb[k], uint8_t *);

			CU_ASSERT_EQUAL((unsigned)(e[24] << 24 | e[25] << 16 | e[26] << 8 | e[27]),
					k + 1);
			cp[k] = mk(e, mb[k]->pkt_len);
		}
		CU_ASSERT_EQUAL(fp_esp_process(i, &ceng, mb, 150), 150);
		CU_ASSERT_EQUAL(fp_esp_process(ii, &ieng, cp, 150), 150);
		for (unsigned k = 0; k < 150; k++) {
			same += mbuf_eq(mb[k], in[k], il[k]);
			same2 += mbuf_eq(cp[k], in[k], il[k]);
		}
		CU_ASSERT_EQUAL(same, 150);
		CU_ASSERT_EQUAL(same2, 150);
		free_all(mb, 150);
		free_all(cp, 150);
		sa_free(o);
		sa_free(i);
		sa_free(ii);
	}
}

/* The session pool holds 64: creating and freeing 300 SAs only works when
 * fp_sa_fini() gives each session back. The device cannot be detached while
 * a session or an engine uses it. */
static void test_sessions_released(void)
{
	struct fp_sa_params p;
	struct fp_sa *keep;
	unsigned ok = 0;

	USE(AESNI_MB);
	for (unsigned k = 0; k < 300; k++) {
		params(&p, &algs[k % RTE_DIM(algs)], &modes[0], false, k & 1,
		       k & 2 ? FP_DIR_IN : FP_DIR_OUT, 0x5000 + k);
		struct fp_sa *sa = sa_new(&p, &fp_crypto_cdev);

		ok += sa != NULL;
		sa_free(sa);
	}
	CU_ASSERT_EQUAL(ok, 300);
	params(&p, &algs[0], &modes[0], false, false, FP_DIR_OUT, 0x5999);
	keep = sa_new(&p, &fp_crypto_cdev);
	CU_ASSERT_FATAL(keep != NULL);
	CU_ASSERT_EQUAL(fp_crypto_cdev_detach(), -EBUSY);
	sa_free(keep);
	fp_crypto_engine_fini(&ceng);
	ceng_up = false;
	CU_ASSERT_EQUAL(fp_crypto_cdev_detach(), 0);
	CU_ASSERT_PTR_NULL(fp_crypto_cdev_device());
	/* With nothing attached, SAs are refused with a reason, not a crash. */
	char err[160] = "";
	struct fp_sa *sa = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*sa));
	CU_ASSERT_FATAL(sa != NULL);
	CU_ASSERT_EQUAL(fp_sa_init(sa, &p, &fp_crypto_cdev, err, sizeof(err)), -ENODEV);
	CU_ASSERT(strstr(err, "no device attached") != NULL);
	free(sa);
	/* And it comes back: attached again, it works. */
	USE(AESNI_MB);
	keep = sa_new(&p, &fp_crypto_cdev);
	CU_ASSERT(keep != NULL);
	sa_free(keep);
}

static void test_attach_errors(void)
{
	struct fp_cdev_cfg cfg = { .device = "crypto_nonesuch0", .n_qp = 1, .socket = -1 };
	char err[160] = "";

	USE(AESNI_MB);
	CU_ASSERT_EQUAL(fp_crypto_cdev_attach(&cfg, err, sizeof(err)), -EBUSY);
	CU_ASSERT(strstr(err, "already attached") != NULL);
	fp_crypto_engine_fini(&ceng);
	ceng_up = false;
	CU_ASSERT_EQUAL_FATAL(fp_crypto_cdev_detach(), 0);
	CU_ASSERT_EQUAL(fp_crypto_cdev_attach(&cfg, err, sizeof(err)), -ENODEV);
	CU_ASSERT(strstr(err, "no cryptodev named 'crypto_nonesuch0'") != NULL);
	cfg.device = AESNI_MB;
	cfg.n_qp = 1000;
	CU_ASSERT_EQUAL(fp_crypto_cdev_attach(&cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "queue pair") != NULL);
	CU_ASSERT_PTR_NULL(fp_crypto_cdev_device());
	/* One engine per queue pair: a second one on queue 0 is refused. */
	USE(AESNI_MB);
	struct fp_crypto_engine e2;
	CU_ASSERT_NOT_EQUAL(fp_crypto_engine_init_qp(&e2, &fp_crypto_cdev, 0), 0);
	CU_ASSERT_NOT_EQUAL(fp_crypto_engine_init_qp(&e2, &fp_crypto_cdev, 2), 0);
	CU_ASSERT_EQUAL_FATAL(fp_crypto_engine_init_qp(&e2, &fp_crypto_cdev, 1), 0);
	fp_crypto_engine_fini(&e2);
}

/* crypto_null has NULL cipher and NULL auth only: every ESP algorithm is
 * refused at SA setup, with the device and the algorithm in the reason. */
static void test_capability_missing(void)
{
	static const char *const want[] = {
		"AES-GCM-128", "AES-GCM-256", "ChaCha20-Poly1305", "AES-CBC-128",
		"AES-CBC-256", "AES-CBC-128", "HMAC-SHA-256-128", /* the cipher is named first */
	};
	struct fp_sa_params p;
	char err[160];
	struct fp_sa *sa = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*sa));

	CU_ASSERT_FATAL(sa != NULL);
	USE("crypto_null0");
	for (unsigned ai = 0; ai < RTE_DIM(algs); ai++)
		for (int dir = 0; dir < 2; dir++) {
			params(&p, &algs[ai], &modes[0], false, true, (enum fp_dir)dir,
			       0x6000 + ai);
			err[0] = '\0';
			CU_ASSERT_EQUAL(fp_sa_init(sa, &p, &fp_crypto_cdev, err, sizeof(err)),
					-ENOTSUP);
			if (strstr(err, "cryptodev crypto_null0 does not support") == NULL ||
			    strstr(err, want[ai]) == NULL) {
				fprintf(stderr, "%s: '%s'\n", algs[ai].name, err);
				CU_FAIL("reason");
			}
		}
	free(sa);
	/* The backend is usable again on a device that has the algorithm. */
	USE(AESNI_MB);
}

/* Through the control core: SAs installed, refused (duplicate SPI) and
 * deleted, then the tables freed; every device session must be back, or
 * the device could not be detached. */
static void test_ctrl_sessions(void)
{
	struct fp_ctrl_cfg cc = {
		.name = "cdt", .n_workers = 1, .max_sa = 64, .socket = -1, .be = &fp_crypto_cdev
	};
	struct fp_sa_params p;
	struct fp_ctrl *c;
	char err[160];

	USE(AESNI_MB);
	c = fp_ctrl_create(&cc, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	for (unsigned k = 0; k < 40; k++) {
		params(&p, &algs[k % RTE_DIM(algs)], &modes[k % RTE_DIM(modes)], false, false,
		       k & 1 ? FP_DIR_IN : FP_DIR_OUT, 0x7000 + k / 2);
		CU_ASSERT_EQUAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)), -EEXIST);
	}
	for (unsigned k = 0; k < 20; k++)
		CU_ASSERT_EQUAL(fp_ctrl_del_sa(c, k & 1 ? FP_DIR_IN : FP_DIR_OUT, 0x7000 + k / 2,
					       err, sizeof(err)),
				0);
	fp_ctrl_poll(c);
	fp_ctrl_free(c);
	fp_crypto_engine_fini(&ceng);
	ceng_up = false;
	CU_ASSERT_EQUAL(fp_crypto_cdev_detach(), 0);
}

/* crypto_aesni_mb does the work when its queue pair is dequeued, so with a
 * wait bound of 0 it is a device that keeps every op past the bound, and
 * stopped it is one that returns nothing. Abandoned bursts fail (crypto
 * drops) at once; their packets stay held for the device although the
 * worker frees them, and the SA's session outlives the SA; late
 * completions, seen before a burst or among its own, give them back; with
 * no spare op left a burst fails without reaching the device. */
static void test_abandoned_ops(void)
{
	static uint8_t in[16][200];
	struct rte_mbuf *mb[16];
	void *held[2 * FP_MAX_BURST];
	struct fp_crypto_engine e;
	struct fp_crypto_stats st;
	struct fp_sa_params p;
	struct rte_mempool *pkts = test_eal_pool(), *ops, *sess;
	char nm[RTE_MEMPOOL_NAMESIZE];
	unsigned avail, savail, nheld;
	struct fp_sa *o;

	USE(AESNI_MB);
	snprintf(nm, sizeof(nm), "fp_cdev_sess%u", ceng_dev());
	sess = rte_mempool_lookup(nm);
	CU_ASSERT_FATAL(sess != NULL);
	savail = rte_mempool_avail_count(sess);
	CU_ASSERT_FATAL(fp_crypto_engine_init_qp(&e, &fp_crypto_cdev, 1) == 0);
	snprintf(nm, sizeof(nm), "fp_cdev_op%u_1", ceng_dev());
	ops = rte_mempool_lookup(nm);
	params(&p, &algs[0], &modes[0], false, false, FP_DIR_OUT, 0x5100);
	o = sa_new(&p, &fp_crypto_cdev);
	CU_ASSERT_FATAL(o != NULL && ops != NULL);
	avail = rte_mempool_avail_count(pkts);
#define BURST_OF(n_)                                                            \
	do {                                                                    \
		for (unsigned k = 0; k < (n_); k++)                             \
			mb[k] = mk(in[k], udp_pkt(in[k], 4, (uint16_t)k, 100)); \
	} while (0)

	/* 1. Abandoned: failed, held although freed. */
	fp_crypto_cdev_set_timeout_us(0);
	BURST_OF(10);
	CU_ASSERT_EQUAL(fp_esp_process(o, &e, mb, 10), 0);
	for (unsigned k = 0; k < 10; k++)
		CU_ASSERT_EQUAL(fp_mbuf_drop_reason(mb[k]), FP_DROP_CRYPTO);
	CU_ASSERT_EQUAL(o->stats.drops[FP_DROP_CRYPTO], 10);
	free_all(mb, 10);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pkts), avail - 10);
	e.be->stats(e.ctx, &st);
	CU_ASSERT(st.timeouts == 1 && st.abandoned == 10 && st.orphans == 10 && st.late == 0);

	/* 2. The SA goes while the device holds its ops: the session stays. */
	sa_free(o);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(sess), savail - 1);
	p.spi = 0x5101;
	o = sa_new(&p, &fp_crypto_cdev);
	CU_ASSERT_FATAL(o != NULL);

	/* 3. Stopped device: nothing taken, nothing abandoned; the engine
	 * refilled its op slots from the spares. */
	rte_cryptodev_stop(ceng_dev());
	BURST_OF(3);
	CU_ASSERT_EQUAL(fp_esp_process(o, &e, mb, 3), 0);
	free_all(mb, 3);
	e.be->stats(e.ctx, &st);
	CU_ASSERT(st.timeouts == 2 && st.abandoned == 10 && st.orphans == 10 && st.late == 0);

	/* 4. Running again, normal bound: the late completions come back
	 * among this burst's, which succeeds. */
	CU_ASSERT_FATAL(rte_cryptodev_start(ceng_dev()) == 0);
	fp_crypto_cdev_set_timeout_us(TEST_CDEV_TIMEOUT_US);
	BURST_OF(5);
	CU_ASSERT_EQUAL(fp_esp_process(o, &e, mb, 5), 5);
	free_all(mb, 5);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pkts), avail);
	e.be->stats(e.ctx, &st);
	CU_ASSERT(st.timeouts == 2 && st.orphans == 0 && st.late == 10);

	/* 5. Abandoned again, then the device stopped and every spare op
	 * taken: the next burst fails at once. */
	fp_crypto_cdev_set_timeout_us(0);
	BURST_OF(4);
	CU_ASSERT_EQUAL(fp_esp_process(o, &e, mb, 4), 0);
	free_all(mb, 4);
	rte_cryptodev_stop(ceng_dev());
	nheld = rte_mempool_avail_count(ops);
	CU_ASSERT_FATAL(nheld <= RTE_DIM(held) && rte_mempool_get_bulk(ops, held, nheld) == 0);
	BURST_OF(3);
	CU_ASSERT_EQUAL(fp_esp_process(o, &e, mb, 3), 0);
	free_all(mb, 3);
	e.be->stats(e.ctx, &st);
	CU_ASSERT(st.no_op == 3 && st.abandoned == 14 && st.orphans == 4);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pkts), avail - 4);
	rte_mempool_put_bulk(ops, held, nheld);
	CU_ASSERT_FATAL(rte_cryptodev_start(ceng_dev()) == 0);
	fp_crypto_cdev_set_timeout_us(TEST_CDEV_TIMEOUT_US);
#undef BURST_OF

	/* 6. The engine goes: it waits for its orphans, then all is back. */
	fp_crypto_engine_fini(&e);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pkts), avail);
	sa_free(o);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(sess), savail);
}

/* Last: the engines go, the device is stopped and closed, nothing stays
 * behind for the leak checker of make asan. */
static void test_detach(void)
{
	USE(AESNI_MB);
	fp_crypto_engine_fini(&ceng);
	ceng_up = false;
	fp_crypto_engine_fini(&ieng);
	CU_ASSERT_EQUAL(fp_crypto_cdev_detach(), 0);
	CU_ASSERT_EQUAL(fp_crypto_cdev_detach(), 0); /* twice is harmless */
}

static const struct test_case cdev_cases[] = {
	{ "matrix_aesni_mb_vs_imb", test_matrix_aesni_mb },
	{ "long_burst_small_queue", test_long_burst },
	{ "sessions_released", test_sessions_released },
	{ "attach_errors", test_attach_errors },
	{ "ctrl_returns_sessions", test_ctrl_sessions },
	{ "matrix_openssl_vs_imb", test_matrix_openssl },
	{ "capability_missing_null", test_capability_missing },
	{ "abandoned_ops_held_until_returned", test_abandoned_ops },
	{ "detach", test_detach },
	{ NULL, NULL },
};
TEST_SUITE(cdev, cdev_cases)
