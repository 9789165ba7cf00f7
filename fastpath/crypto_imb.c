/* SPDX-License-Identifier: BSD-3-Clause */
/* intel-ipsec-mb crypto backend.
 *
 * Session: keys expanded once on the control core (AES key schedules, the
 * GCM hash key tables, HMAC ipad/opad hashed to their inner states).
 * Engine: one IMB_MGR per worker, plus a GCM context.
 *
 * AES-GCM runs through the library's direct single-buffer API
 * (IMB_AES128/256_GCM_ENC/DEC): GCM has no multi-buffer code in the job
 * manager (a GCM job is dispatched to the same function), so the job path
 * only adds its per-job fill, validation and queueing, the ESP layer's
 * largest cost at 64 bytes (docs/performance.md). Everything else (CBC +
 * HMAC, NULL + HMAC, ChaCha20-Poly1305) is taken from the manager with
 * IMB_GET_NEXT_BURST, filled (decryption: longest first), submitted with
 * IMB_SUBMIT_BURST_NOCHECK and flushed. Either way every op of the burst
 * is complete when process() returns.
 *
 * A worker may hold a second manager of another arch for short
 * HMAC-SHA-256 jobs (fp_imb_configure(), crypto.h says why); a burst of one
 * SA then becomes up to two bursts, one per manager. Key schedules and
 * HMAC states are the same bytes whichever arch made them. */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <intel-ipsec-mb.h>
#include <rte_byteorder.h>
#include <rte_common.h>

#include "fastpath/crypto_priv.h"
#include "fastpath/fp_sa.h"

/* ESP code writes one op per packet in the prepare pass: keep it at three
 * cache lines. */
_Static_assert(sizeof(struct fp_crypto_op) <= 3 * RTE_CACHE_LINE_SIZE, "fp_crypto_op grew");

struct imb_sess {
	union {
		struct {
			uint8_t enc[16 * 15] __rte_aligned(16);
			uint8_t dec[16 * 15] __rte_aligned(16);
		} cbc;
		struct gcm_key_data gcm;
		uint8_t chacha[32];
	} k;
	uint8_t ipad[64] __rte_aligned(16); /* HMAC inner state after key^ipad */
	uint8_t opad[64] __rte_aligned(16);
	struct fp_cbc_iv_key iv_key;
	const void *enc_keys, *dec_keys;
	IMB_CIPHER_MODE cipher;
	IMB_HASH_ALG hash;
	uint8_t key_len; /* cipher key bytes (no salt) */
	uint8_t icv_len;
	uint8_t iv_len; /* job IV: 12 (AEAD nonce) or 16 */
	bool aead;
	bool short_ok; /* HMAC-SHA-256: may use the short manager */
};
_Static_assert(sizeof(struct imb_sess) <= FP_CRYPTO_SESS_SIZE, "imb session too big");

static IMB_MGR *cp_mgr; /* key expansion on the control core */

/* Jobs the AVX-512 code runs side by side (SHA-256, AES-CBC). */
#define IMB_WIDE_LANES 16u

/* fp_imb_configure()'s choice, read when an engine is created. */
static enum fp_imb_short short_arch = FP_IMB_SHORT_AUTO;
static uint32_t short_max = FP_IMB_SHORT_MAX_DEFAULT;

static const char *arch_name(IMB_ARCH a)
{
	switch (a) {
	case IMB_ARCH_SSE: return "sse";
	case IMB_ARCH_AVX: return "avx";
	case IMB_ARCH_AVX2: return "avx2";
	case IMB_ARCH_AVX512: return "avx512";
	default: return "other";
	}
}

static bool cpu_is_amd(void)
{
	unsigned a, b, c, d;
	char v[13];

	if (!__get_cpuid(0, &a, &b, &c, &d))
		return false;
	memcpy(v, &b, 4);
	memcpy(v + 4, &d, 4);
	memcpy(v + 8, &c, 4);
	v[12] = 0;
	return strcmp(v, "AuthenticAMD") == 0;
}

/* What FP_IMB_SHORT_AUTO means on this CPU next to the library's own
 * choice: the gain is known on AMD Zen 4 only (crypto.h,
 * docs/performance.md), so nothing elsewhere. */
static enum fp_imb_short resolve_short(enum fp_imb_short want, IMB_ARCH lib)
{
	if (want != FP_IMB_SHORT_AUTO)
		return want;
	return lib == IMB_ARCH_AVX512 && cpu_is_amd() ? FP_IMB_SHORT_AVX2 : FP_IMB_SHORT_OFF;
}

/* A manager of the given arch, or NULL: no such code on this CPU (the
 * library would run it anyway and fault), or out of memory. */
static IMB_MGR *mgr_of(enum fp_imb_short a)
{
	/* Each arch's initialiser and what the library's own arch detection
	 * asks of the CPU for it. */
	static const struct {
		void (*init)(IMB_MGR *);
		uint64_t need;
	} arch[] = {
		[FP_IMB_SHORT_SSE] = { init_mb_mgr_sse, IMB_CPUFLAGS_SSE },
		[FP_IMB_SHORT_AVX] = { init_mb_mgr_avx, IMB_CPUFLAGS_AVX },
		[FP_IMB_SHORT_AVX2] = { init_mb_mgr_avx2, IMB_CPUFLAGS_AVX2 },
	};
	IMB_MGR *m;

	if ((unsigned)a >= RTE_DIM(arch) || arch[a].init == NULL)
		return NULL;
	if ((m = alloc_mb_mgr(0)) == NULL)
		return NULL;
	if ((m->features & arch[a].need) != arch[a].need) {
		free_mb_mgr(m);
		return NULL;
	}
	arch[a].init(m);
	if (imb_get_errno(m) != 0) {
		free_mb_mgr(m);
		return NULL;
	}
	return m;
}

static const char *const short_names[] = { "auto", "off", "sse", "avx", "avx2" };

void fp_imb_configure(enum fp_imb_short arch, uint32_t max, char *desc, size_t desclen)
{
	IMB_MGR *m = fp_imb_mgr_new(), *t;
	IMB_ARCH lib = IMB_ARCH_NONE;
	enum fp_imb_short r;

	if (m != NULL) {
		lib = m->used_arch;
		free_mb_mgr(m);
	}
	short_arch = arch;
	short_max = max;
	r = resolve_short(arch, lib);
	if (r == FP_IMB_SHORT_OFF) {
		snprintf(desc, desclen, "%s", arch_name(lib));
		return;
	}
	if ((t = mgr_of(r)) == NULL) {
		/* The engines will run without it; say so rather than fail. */
		snprintf(desc, desclen, "%s; no %s code on this CPU, HMAC-SHA-256 stays on %s",
			 arch_name(lib), short_names[r], arch_name(lib));
		return;
	}
	free_mb_mgr(t);
	if (lib == IMB_ARCH_AVX512)
		snprintf(desc, desclen,
			 "%s; HMAC-SHA-256 jobs up to %u B (and bursts with fewer "
			 "than %u longer ones) on %s",
			 arch_name(lib), max, IMB_WIDE_LANES, short_names[r]);
	else
		snprintf(desc, desclen, "%s; HMAC-SHA-256 jobs up to %u B on %s", arch_name(lib),
			 max, short_names[r]);
}

IMB_MGR *fp_imb_mgr_new(void)
{
	IMB_MGR *m = alloc_mb_mgr(0);
	IMB_ARCH arch;

	if (m == NULL)
		return NULL;
	init_mb_mgr_auto(m, &arch);
	if (imb_get_errno(m) != 0) {
		free_mb_mgr(m);
		return NULL;
	}
	return m;
}

int fp_cbc_iv_key_init(IMB_MGR *m, struct fp_cbc_iv_key *k)
{
	uint8_t rnd[16], dummy[16 * 11] __rte_aligned(16);
	int rc = 0;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rc = -EIO;
	else
		IMB_AES_KEYEXP_128(m, rnd, k->ks, dummy);
	explicit_bzero(rnd, sizeof(rnd));
	explicit_bzero(dummy, sizeof(dummy));
	return rc;
}

static void hmac_pre(IMB_MGR *m, const struct fp_sa_params *p, struct imb_sess *s)
{
	unsigned bs = p->auth == FP_AUTH_HMAC_SHA256_128 ? 64 : 128;
	uint8_t pad[128];

	for (int i = 0; i < 2; i++) {
		memset(pad, i == 0 ? 0x36 : 0x5c, bs);
		for (unsigned j = 0; j < p->auth_key_len; j++)
			pad[j] ^= p->auth_key[j];
		uint8_t *out = i == 0 ? s->ipad : s->opad;
		if (p->auth == FP_AUTH_HMAC_SHA256_128)
			IMB_SHA256_ONE_BLOCK(m, pad, out);
		else if (p->auth == FP_AUTH_HMAC_SHA384_192)
			IMB_SHA384_ONE_BLOCK(m, pad, out);
		else
			IMB_SHA512_ONE_BLOCK(m, pad, out);
	}
	memset(pad, 0, sizeof(pad));
	__asm__ __volatile__("" : : "r"(pad) : "memory");
}

static int cipher_pre(IMB_MGR *m, const struct fp_sa_params *p, struct imb_sess *s)
{
	uint8_t klen = p->cipher_key_len;

	switch (p->cipher) {
	case FP_CIPHER_NULL: s->cipher = IMB_CIPHER_NULL; return 0;
	case FP_CIPHER_AES_CBC:
		s->cipher = IMB_CIPHER_CBC;
		s->key_len = klen;
		s->iv_len = 16;
		if (klen == 16)
			IMB_AES_KEYEXP_128(m, p->cipher_key, s->k.cbc.enc, s->k.cbc.dec);
		else
			IMB_AES_KEYEXP_256(m, p->cipher_key, s->k.cbc.enc, s->k.cbc.dec);
		s->enc_keys = s->k.cbc.enc;
		s->dec_keys = s->k.cbc.dec;
		return fp_cbc_iv_key_init(m, &s->iv_key);
	case FP_CIPHER_AES_GCM:
		s->cipher = IMB_CIPHER_GCM;
		s->hash = IMB_AUTH_AES_GMAC;
		s->key_len = klen - 4;
		if (s->key_len == 16)
			IMB_AES128_GCM_PRE(m, p->cipher_key, &s->k.gcm);
		else
			IMB_AES256_GCM_PRE(m, p->cipher_key, &s->k.gcm);
		break;
	case FP_CIPHER_CHACHA20_POLY1305:
		s->cipher = IMB_CIPHER_CHACHA20_POLY1305;
		s->hash = IMB_AUTH_CHACHA20_POLY1305;
		s->key_len = 32;
		memcpy(s->k.chacha, p->cipher_key, 32);
		break;
	default: return -EINVAL;
	}
	s->aead = true;
	s->iv_len = 12;
	s->icv_len = 16;
	s->enc_keys = s->dec_keys = &s->k;
	return 0;
}

static int imb_session_init(void *sessv, const struct fp_sa_params *p, char *err, size_t errlen)
{
	struct imb_sess *s = sessv;
	int rc;

	if (cp_mgr == NULL && (cp_mgr = fp_imb_mgr_new()) == NULL) {
		snprintf(err, errlen, "intel-ipsec-mb: cannot create a manager");
		return -ENOMEM;
	}
	memset(s, 0, sizeof(*s));
	rc = cipher_pre(cp_mgr, p, s);
	if (rc != 0)
		snprintf(err, errlen, "intel-ipsec-mb: key setup failed (%s)", strerror(-rc));
	if (rc != 0 || s->aead)
		return rc;
	switch (p->auth) {
	case FP_AUTH_HMAC_SHA256_128:
		s->hash = IMB_AUTH_HMAC_SHA_256;
		s->icv_len = 16;
		s->short_ok = true;
		break;
	case FP_AUTH_HMAC_SHA384_192:
		s->hash = IMB_AUTH_HMAC_SHA_384;
		s->icv_len = 24;
		break;
	case FP_AUTH_HMAC_SHA512_256:
		s->hash = IMB_AUTH_HMAC_SHA_512;
		s->icv_len = 32;
		break;
	default:
		snprintf(err, errlen, "intel-ipsec-mb: unknown integrity algorithm");
		return -EINVAL;
	}
	hmac_pre(cp_mgr, p, s);
	return 0;
}

/* Nothing outside the SA's area; the caller wipes it. */
static void imb_session_free(void *sess)
{
	(void)sess;
}

/* Per-worker state: the manager and the scratch context of the direct GCM
 * calls (one call at a time, so one context is enough). */
struct imb_eng {
	IMB_MGR *m;
	IMB_MGR *ms; /* short HMAC-SHA-256 jobs; NULL: all on m */
	uint32_t short_max;
	uint32_t wide_min;   /* fewer long jobs than this go to ms as well */
	uint64_t short_jobs; /* jobs run on ms */
	struct gcm_context_data gctx __rte_aligned(64);
};

/* Any number of managers can run side by side: qid is not needed. */
static void *imb_engine_create(unsigned qid)
{
	struct imb_eng *e;

	(void)qid;
	if (posix_memalign((void **)&e, 64, sizeof(*e)) != 0)
		return NULL;
	memset(e, 0, sizeof(*e));
	if ((e->m = fp_imb_mgr_new()) == NULL) {
		free(e);
		return NULL;
	}
	e->ms = mgr_of(resolve_short(short_arch, e->m->used_arch));
	e->short_max = short_max;
	e->wide_min = e->m->used_arch == IMB_ARCH_AVX512 ? IMB_WIDE_LANES : 1;
	return e;
}

static void imb_engine_free(void *ctx)
{
	struct imb_eng *e = ctx;

	if (e == NULL)
		return;
	free_mb_mgr(e->m);
	if (e->ms != NULL)
		free_mb_mgr(e->ms);
	explicit_bzero(&e->gctx, sizeof(e->gctx)); /* may hold hash state */
	free(e);
}

static inline void fill_job(IMB_JOB *j, const struct imb_sess *s, struct fp_crypto_op *op,
			    bool encrypt)
{
	j->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	j->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	j->cipher_mode = s->cipher;
	j->hash_alg = s->hash;
	j->enc_keys = s->enc_keys;
	j->dec_keys = s->dec_keys;
	j->key_len_in_bytes = s->key_len;
	j->src = op->buf;
	j->dst = op->buf + op->cipher_off;
	j->cipher_start_src_offset_in_bytes = op->cipher_off;
	j->msg_len_to_cipher_in_bytes = op->cipher_len;
	j->auth_tag_output = op->digest;
	j->auth_tag_output_len_in_bytes = s->icv_len;
	j->user_data = op;
	if (s->aead) {
		j->iv = op->nonce;
		j->iv_len_in_bytes = 12;
		j->hash_start_src_offset_in_bytes = op->cipher_off;
		j->msg_len_to_hash_in_bytes = op->cipher_len;
		if (s->cipher == IMB_CIPHER_GCM) {
			j->u.GCM.aad = op->aad;
			j->u.GCM.aad_len_in_bytes = op->aad_len;
		} else {
			j->u.CHACHA20_POLY1305.aad = op->aad;
			j->u.CHACHA20_POLY1305.aad_len_in_bytes = op->aad_len;
		}
		return;
	}
	j->iv = op->buf + 8; /* IV follows SPI and seq */
	j->iv_len_in_bytes = s->iv_len;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = op->auth_len;
	j->u.HMAC._hashed_auth_key_xor_ipad = s->ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = s->opad;
}

static inline void job_done(IMB_JOB *j)
{
	struct fp_crypto_op *op = j->user_data;

	op->status = j->status == IMB_STATUS_COMPLETED ? FP_CRYPTO_OK : FP_CRYPTO_ERROR;
}

/* The lines of an op's payload after its first (the ESP layer prefetched
 * that one with the headers), for writing: GCM transforms them in place.
 * Inbound they were written by another core (a NIC's DMA, the bench's
 * generator); outbound this core wrote them a lap of the mbuf ring ago and
 * they have left its L2 since. */
static inline void prefetch_payload(const struct fp_crypto_op *op)
{
	const uint8_t *p = op->buf + op->cipher_off;

	for (const uint8_t *l = RTE_PTR_ALIGN_FLOOR(p, 64) + 64; l < p + op->cipher_len; l += 64)
		__builtin_prefetch(l, 1, 3);
}

/* AES-GCM, one direct call per op: tag to op->digest (outbound: the ICV's
 * place; inbound: scratch the ESP code compares). Cannot fail. The payload
 * two packets ahead is prefetched while one is encrypted: GCM's stream of
 * loads otherwise waits for each packet's first lines. Two ahead did best
 * (docs/performance.md). */
static void gcm_process(struct imb_eng *e, const struct imb_sess *s, struct fp_crypto_op *ops,
			uint16_t n, bool encrypt)
{
	const struct gcm_key_data *k = &s->k.gcm;
	aes_gcm_enc_dec_t fn;

	if (s->key_len == 16)
		fn = encrypt ? e->m->gcm128_enc : e->m->gcm128_dec;
	else
		fn = encrypt ? e->m->gcm256_enc : e->m->gcm256_dec;
	if (n > 1)
		prefetch_payload(&ops[1]);
	for (uint16_t i = 0; i < n; i++) {
		struct fp_crypto_op *op = &ops[i];
		uint8_t *p = op->buf + op->cipher_off;

		if (i + 2 < n)
			prefetch_payload(&ops[i + 2]);
		fn(k, &e->gctx, p, p, op->cipher_len, op->nonce, op->aad, op->aad_len, op->digest,
		   16);
		op->status = FP_CRYPTO_OK;
	}
}

int fp_cbc_ivs(IMB_MGR *m, const struct fp_cbc_iv_key *k, struct fp_crypto_op *ops, uint16_t n)
{
	uint64_t in[FP_MAX_BURST][2] __rte_aligned(16), out[FP_MAX_BURST][2] __rte_aligned(16);
	IMB_JOB *j;

	if (n == 0 || n > FP_MAX_BURST)
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++) {
		in[i][0] = rte_cpu_to_be_64(ops[i].seq);
		in[i][1] = 0;
	}
	/* The job API: intel-ipsec-mb 1.3's cipher-only burst call has no
	 * ECB. The queue is empty here (every call drains it), so the job
	 * comes back from the submission (ECB completes at once) or from one
	 * flush, and the queue is empty again for the burst API. */
	j = IMB_GET_NEXT_JOB(m);
	j->cipher_mode = IMB_CIPHER_ECB;
	j->cipher_direction = IMB_DIR_ENCRYPT;
	j->chain_order = IMB_ORDER_CIPHER_HASH;
	j->hash_alg = IMB_AUTH_NULL;
	j->enc_keys = k->ks;
	j->key_len_in_bytes = 16;
	j->src = (const uint8_t *)in;
	j->dst = (uint8_t *)out;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = (uint64_t)n * 16;
	j->iv = NULL;
	j->iv_len_in_bytes = 0;
	j->user_data = NULL;
	j = IMB_SUBMIT_JOB(m);
	if (j == NULL)
		j = IMB_FLUSH_JOB(m);
	/* Should the queue ever hold older jobs, they come back first: drain
	 * until ours does, since it points into this stack frame. */
	while (j != NULL && j->dst != (uint8_t *)out)
		if ((j = IMB_GET_COMPLETED_JOB(m)) == NULL)
			j = IMB_FLUSH_JOB(m);
	if (j == NULL || j->status != IMB_STATUS_COMPLETED)
		return -EIO;
	for (uint16_t i = 0; i < n; i++)
		memcpy(ops[i].iv, out[i], 16);
	return 0;
}

/* Decryption order of n ops (idx[i] into ops, or i without idx), longest
 * job first, into ord[]; false when they already are in that order (one
 * size: the common case) and idx is NULL, ord[] then unset.
 * Inbound the HMAC runs first, in multi-buffer lanes, and a burst flushed
 * at the end lasts as long as its longest hash: submitted first, it runs
 * while the short ones come and go in the other lanes. Encryption (CBC
 * itself serial, and first) hardly gains, so it is not sorted; the
 * in-order check spares one-size bursts the cost (docs/performance.md). */
static bool longest_first(const struct fp_crypto_op *ops, const uint8_t *idx, uint16_t n,
			  uint8_t ord[])
{
	uint32_t len[FP_MAX_BURST], olen[FP_MAX_BURST];
	bool sorted = idx == NULL;

	for (uint16_t i = 0; i < n; i++) {
		len[i] = ops[idx ? idx[i] : i].cipher_len;
		if (i > 0 && len[i] > len[i - 1])
			sorted = false;
	}
	if (sorted)
		return false;
	for (uint16_t i = 0; i < n; i++) { /* insertion sort, olen[] beside ord[] */
		uint16_t k = i;

		while (k > 0 && olen[k - 1] < len[i]) {
			ord[k] = ord[k - 1];
			olen[k] = olen[k - 1];
			k--;
		}
		ord[k] = (uint8_t)(idx ? idx[i] : i);
		olen[k] = len[i];
	}
	return true;
}

/* n ops of one session on manager m: ops[idx[i]], or ops[i] without idx. */
static void run_jobs(IMB_MGR *m, const struct imb_sess *s, struct fp_crypto_op *ops,
		     const uint8_t *idx, uint16_t n, bool encrypt)
{
	IMB_JOB *jobs[FP_MAX_BURST];
	uint8_t ord[FP_MAX_BURST];
	uint32_t got, done;

	got = IMB_GET_NEXT_BURST(m, n, jobs);
	if (got < n) /* queue not drained: cannot happen */
		n = (uint16_t)got;
	if (!encrypt && longest_first(ops, idx, n, ord)) {
		for (uint16_t i = 0; i < n; i++)
			fill_job(jobs[i], s, &ops[ord[i]], false);
	} else {
		for (uint16_t i = 0; i < n; i++)
			fill_job(jobs[i], s, &ops[idx ? idx[i] : i], encrypt);
	}
	/* Without the library's per-job validation: it slowed the whole
	 * worker with CBC + HMAC (docs/performance.md). What it would check
	 * holds by construction: keys, HMAC states and IV length come from a
	 * session imb_session_init() set up; ciphertext lengths are non-zero
	 * multiples of the block (outbound: the ESP layer pads to
	 * sa->h.pad_align; inbound: esp_inb() refuses lengths that are not,
	 * and its minimum ESP length leaves at least one block); every
	 * pointer is into the packet or the op. */
	done = IMB_SUBMIT_BURST_NOCHECK(m, n, jobs);
	if (done == 0 && imb_get_errno(m) != 0) {
		/* A job failed; nothing of the burst was run. */
		while (IMB_FLUSH_BURST(m, FP_MAX_BURST, jobs) > 0)
			;
		return;
	}
	for (uint32_t i = 0; i < done; i++)
		job_done(jobs[i]);
	while (done < n) {
		uint32_t k = IMB_FLUSH_BURST(m, n - done, jobs);

		if (k == 0)
			break;
		for (uint32_t i = 0; i < k; i++)
			job_done(jobs[i]);
		done += k;
	}
}

static void imb_process(void *ctx, const void *sessv, struct fp_crypto_op *ops, uint16_t n,
			bool encrypt)
{
	const struct imb_sess *s = sessv;
	struct imb_eng *e = ctx;
	uint8_t sh[FP_MAX_BURST], lg[FP_MAX_BURST];
	uint16_t ns = 0, nl = 0;

	if (s->cipher == IMB_CIPHER_GCM) {
		gcm_process(e, s, ops, n, encrypt);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		ops[i].status = FP_CRYPTO_ERROR;
	/* Before the burst's jobs are taken: it uses the manager's queue. */
	if (encrypt && s->cipher == IMB_CIPHER_CBC && fp_cbc_ivs(e->m, &s->iv_key, ops, n) != 0)
		return; /* every op still FP_CRYPTO_ERROR */
	if (e->ms == NULL || !s->short_ok) {
		run_jobs(e->m, s, ops, NULL, n, encrypt);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		if (ops[i].cipher_len <= e->short_max)
			sh[ns++] = (uint8_t)i;
		else
			lg[nl++] = (uint8_t)i;
	}
	/* The AVX-512 code hashes and encrypts 16 buffers side by side and
	 * is the faster one for long jobs only when it has that many: fewer
	 * leave lanes idle until the flush, and the whole burst goes to the
	 * second manager (IMIX bursts of 32 have ~14 long jobs). Other main
	 * managers (a forced arch on a CPU without AVX-512): by length only. */
	if (nl < e->wide_min)
		nl = 0;
	if (nl == 0) {
		run_jobs(e->ms, s, ops, NULL, n, encrypt);
		e->short_jobs += n;
	} else if (ns == 0) {
		run_jobs(e->m, s, ops, NULL, n, encrypt);
	} else {
		/* Long ones first, as longest_first() would order them. */
		run_jobs(e->m, s, ops, lg, nl, encrypt);
		run_jobs(e->ms, s, ops, sh, ns, encrypt);
		e->short_jobs += ns;
	}
}

static void imb_stats(const void *ctx, struct fp_crypto_stats *out)
{
	const struct imb_eng *e = ctx;

	out->short_jobs = e->short_jobs;
}

const struct fp_crypto_backend fp_crypto_imb = {
	.name = "intel-ipsec-mb",
	.session_init = imb_session_init,
	.session_free = imb_session_free,
	.engine_create = imb_engine_create,
	.engine_free = imb_engine_free,
	.process = imb_process,
	.stats = imb_stats,
};

int fp_crypto_engine_init_qp(struct fp_crypto_engine *e, const struct fp_crypto_backend *be,
			     unsigned qid)
{
	memset(e, 0, sizeof(*e));
	e->be = be;
	e->ctx = be->engine_create(qid);
	return e->ctx != NULL ? 0 : -ENOMEM;
}

int fp_crypto_engine_init(struct fp_crypto_engine *e, const struct fp_crypto_backend *be)
{
	return fp_crypto_engine_init_qp(e, be, 0);
}

void fp_crypto_engine_fini(struct fp_crypto_engine *e)
{
	if (e->be != NULL)
		e->be->engine_free(e->ctx);
	e->ctx = NULL;
}
