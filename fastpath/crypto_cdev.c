/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK cryptodev backend (lookaside): the path a QAT card would take.
 * Tested with the software PMDs crypto_aesni_mb and crypto_openssl only.
 *
 * Device: one at a time, attached on the control core
 * (fp_crypto_cdev_attach): one queue pair per worker and one session pool
 * for all SAs, then started.
 * Session: one rte_cryptodev sym session per SA and direction, created on
 * the control core after the device's capabilities were checked; its
 * handle (and the CBC IV key) lives in the SA's session area and goes back
 * to the pool in fp_sa_fini().
 * Engine: the worker's queue pair plus FP_MAX_BURST rte_crypto_ops taken
 * once from a per-engine pool and reused for every burst. Each op's private
 * area holds the IV, the AAD and digest scratch: a device reads and writes
 * those by IOVA, and the ESP layer's fp_crypto_op sits in worker memory
 * whose IOVA is not known (the tests keep it in plain static memory).
 * process(): fill one op per packet, enqueue the burst, dequeue until all
 * of it is back, so the ESP layer sees the same contract as with
 * intel-ipsec-mb. The wait is synchronous (with a hardware device the
 * worker idles for the round trip) and bounded: ops the device has not
 * returned when the bound passes are abandoned (see "abandoned ops"
 * below). Overlapping bursts (enqueue this one, finish the previous one)
 * needs the ESP layer split at the crypto call and is future work
 * (docs/fastpath.md).
 *
 * Abandoned ops: the device may still write the packet, the op's private
 * area and read the session when it completes late, so none of them may be
 * reused or freed before it does. The packet fails (a crypto drop) but its
 * mbuf gets one more reference, so the drop's free leaves it alive; the op
 * is marked an orphan and replaced in the engine from the op pool; the
 * late completion, seen by a later dequeue on the same queue pair, frees
 * both. While any op is orphaned, freed sessions wait (cd.zombie) until
 * none is. A device that keeps every op exhausts the pool: later bursts
 * fail at once instead of waiting again.
 *
 * Inbound, the device checks the ICV (auth VERIFY): cryptodev AEAD
 * decryption always does and does not return the tag, and crypto_aesni_mb
 * refuses an HMAC GENERATE-then-decrypt chain, so HMAC does the same. A
 * mismatch comes back as FP_CRYPTO_AUTH_FAILED (an auth drop), a match as
 * the received ICV in op->digest, which the ESP layer's compare then
 * passes. The compare is the PMD's: crypto_aesni_mb uses memcmp(), not a
 * constant-time compare as the intel-ipsec-mb backend's path does. */
#ifndef ALLOW_EXPERIMENTAL_API
/* rte_cryptodev_sym_session_pool_create() is still experimental in 22.11,
 * and 22.11 sessions can only come from such a pool. */
#define ALLOW_EXPERIMENTAL_API
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fastpath/crypto_priv.h"
#include "fastpath/fp_sa.h"

/* The op's private area starts after the symmetric op (the layout
 * rte_crypto_op_pool_create() gives); cryptodev IV offsets count from the
 * start of the op. */
#define PRIV_OFF   (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define ESP_IV_OFF 8u /* the IV follows SPI and sequence number */
#define MAX_QP     64u
/* Ops per engine beyond one burst's: how many may be orphaned at once. */
#define SPARE_OPS   FP_MAX_BURST
#define MAX_ZOMBIES 4096u

struct cdev_op_priv {
	uint8_t iv[16];     /* at the session's IV offset */
	uint8_t aad[16];    /* AEAD; zero after aad_len */
	uint8_t digest[64]; /* ICV scratch */
	uint16_t idx;       /* which fp_crypto_op of the burst */
	bool orphan;        /* abandoned: free it (and its mbuf) when back */
};

enum cdev_kind { K_AEAD, K_CBC_HMAC, K_HMAC };

struct cdev_sess {
	void *s;                     /* rte_cryptodev sym session */
	struct fp_cbc_iv_key iv_key; /* CBC, outbound */
	uint8_t dev_id;
	uint8_t kind;
	uint8_t icv_len;
	bool encrypt;
};
_Static_assert(sizeof(struct cdev_sess) <= FP_CRYPTO_SESS_SIZE, "cryptodev session too big");

struct cdev_eng {
	uint8_t dev_id;
	uint16_t qp;
	uint16_t n_missing; /* cop[] slots left empty by abandonment */
	IMB_MGR *m;         /* CBC IVs */
	struct rte_mempool *op_mp;
	struct fp_crypto_stats st; /* st.orphans: ops still on the device */
	struct rte_crypto_op *cop[FP_MAX_BURST];
};

/* Control core only. */
static struct {
	int dev_id; /* -1: none attached */
	char name[RTE_CRYPTODEV_NAME_MAX_LEN];
	uint16_t n_qp;
	int socket;
	uint64_t ff; /* device feature flags */
	struct rte_mempool *sess_mp;
	IMB_MGR *cp_mgr; /* CBC IV key expansion */
	unsigned n_sess, n_eng;
	uint64_t qp_busy;  /* queue pairs with an engine */
	uint64_t wait_tsc; /* bound on a burst's wait (workers read it) */
	uint32_t orphans;  /* all engines' (atomic: workers write) */
	unsigned n_zombie; /* freed sessions an orphan may use */
	void *zombie[MAX_ZOMBIES];
} cd = { .dev_id = -1 };

/* ---- device ---- */

#define FAIL(rc_, ...)                              \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		rc = (rc_);                         \
		goto fail;                          \
	} while (0)

int fp_crypto_cdev_attach(const struct fp_cdev_cfg *cfg, char *err, size_t errlen)
{
	struct rte_cryptodev_config conf = { 0 };
	struct rte_cryptodev_qp_conf qc = { 0 };
	struct rte_cryptodev_info info;
	uint32_t nsess = cfg->max_sessions ? cfg->max_sessions : 8192;
	char nm[RTE_MEMPOOL_NAMESIZE];
	int id, rc = 0;

	if (cd.dev_id >= 0) {
		snprintf(err, errlen, "cryptodev %s is already attached", cd.name);
		return -EBUSY;
	}
	if (cfg->device == NULL || (id = rte_cryptodev_get_dev_id(cfg->device)) < 0) {
		snprintf(err, errlen, "no cryptodev named '%s'", cfg->device ? cfg->device : "");
		return -ENODEV;
	}
	rte_cryptodev_info_get((uint8_t)id, &info);
	if (!(info.feature_flags & RTE_CRYPTODEV_FF_SYMMETRIC_CRYPTO)) {
		snprintf(err, errlen, "cryptodev %s has no symmetric crypto", cfg->device);
		return -ENOTSUP;
	}
	if (cfg->n_qp == 0 || cfg->n_qp > info.max_nb_queue_pairs || cfg->n_qp > MAX_QP) {
		snprintf(err, errlen,
			 "cryptodev %s: %u queue pair(s) needed (one per worker), "
			 "it has %u",
			 cfg->device, cfg->n_qp, info.max_nb_queue_pairs);
		return -EINVAL;
	}
	if (cd.cp_mgr == NULL && (cd.cp_mgr = fp_imb_mgr_new()) == NULL) {
		snprintf(err, errlen, "intel-ipsec-mb manager for CBC IVs: out of memory");
		return -ENOMEM;
	}
	cd.socket = cfg->socket >= 0 ? cfg->socket : rte_cryptodev_socket_id((uint8_t)id);
	if (cd.socket < 0)
		cd.socket = 0;
	snprintf(nm, sizeof(nm), "fp_cdev_sess%d", id);
	cd.sess_mp = rte_cryptodev_sym_session_pool_create(
		nm, nsess, rte_cryptodev_sym_get_private_session_size((uint8_t)id), 0, 0,
		cd.socket);
	if (cd.sess_mp == NULL)
		FAIL(-ENOMEM, "cryptodev %s: session pool of %u: %s", cfg->device, nsess,
		     rte_strerror(rte_errno));
	conf.socket_id = cd.socket;
	conf.nb_queue_pairs = cfg->n_qp;
	conf.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO;
	if ((rc = rte_cryptodev_configure((uint8_t)id, &conf)) != 0)
		FAIL(rc, "cryptodev %s: configure: %s", cfg->device, rte_strerror(-rc));
	qc.nb_descriptors = cfg->qp_desc ? cfg->qp_desc : 2048;
	qc.mp_session = cd.sess_mp;
	for (uint16_t q = 0; q < cfg->n_qp; q++)
		if ((rc = rte_cryptodev_queue_pair_setup((uint8_t)id, q, &qc, cd.socket)) != 0)
			FAIL(rc, "cryptodev %s: queue pair %u with %u descriptors: %s", cfg->device,
			     q, qc.nb_descriptors, rte_strerror(-rc));
	if ((rc = rte_cryptodev_start((uint8_t)id)) != 0)
		FAIL(rc, "cryptodev %s: start: %s", cfg->device, rte_strerror(-rc));
	snprintf(cd.name, sizeof(cd.name), "%s", cfg->device);
	cd.dev_id = id;
	cd.n_qp = cfg->n_qp;
	cd.ff = info.feature_flags;
	fp_crypto_cdev_set_timeout_us(cfg->timeout_us ? cfg->timeout_us : FP_CDEV_TIMEOUT_US);
	return 0;
fail:
	rte_mempool_free(cd.sess_mp);
	cd.sess_mp = NULL;
	return rc < 0 ? rc : -EIO;
}

/* Control core: frees the sessions that waited for orphans, once none is
 * left (or the device is stopped: force). */
static void zombies_free(bool force)
{
	if (cd.n_zombie == 0 || (!force && __atomic_load_n(&cd.orphans, __ATOMIC_ACQUIRE) != 0))
		return;
	for (unsigned i = 0; i < cd.n_zombie; i++)
		rte_cryptodev_sym_session_free((uint8_t)cd.dev_id, cd.zombie[i]);
	cd.n_sess -= cd.n_zombie;
	cd.n_zombie = 0;
}

int fp_crypto_cdev_detach(void)
{
	if (cd.dev_id < 0)
		return 0;
	zombies_free(false);
	if (cd.n_sess != cd.n_zombie || cd.n_eng != 0)
		return -EBUSY;
	rte_cryptodev_stop((uint8_t)cd.dev_id);
	/* Stopped, the device writes nothing more: what its lost ops used
	 * can go. */
	zombies_free(true);
	__atomic_store_n(&cd.orphans, 0, __ATOMIC_RELAXED);
	/* Closing releases the queue pairs (and the PMD's per-queue state);
	 * a later attach configures the device again. */
	rte_cryptodev_close((uint8_t)cd.dev_id);
	rte_mempool_free(cd.sess_mp);
	cd.sess_mp = NULL;
	cd.dev_id = -1;
	cd.name[0] = '\0';
	return 0;
}

const char *fp_crypto_cdev_device(void)
{
	return cd.dev_id >= 0 ? cd.name : NULL;
}

void fp_crypto_cdev_set_timeout_us(uint32_t us)
{
	__atomic_store_n(&cd.wait_tsc, rte_get_tsc_hz() / 1000000 * us, __ATOMIC_RELAXED);
}

/* ---- sessions ---- */

#undef FAIL
#define FAIL(rc_, ...)                              \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return (rc_);                       \
	} while (0)

/* Is this transform, with these sizes, on the device? */
static int cap_check(const struct rte_crypto_sym_xform *x, const char *alg, char *err,
		     size_t errlen)
{
	struct rte_cryptodev_sym_capability_idx idx = { .type = x->type };
	const struct rte_cryptodev_symmetric_capability *cap;
	int bad;

	if (x->type == RTE_CRYPTO_SYM_XFORM_AEAD)
		idx.algo.aead = x->aead.algo;
	else if (x->type == RTE_CRYPTO_SYM_XFORM_CIPHER)
		idx.algo.cipher = x->cipher.algo;
	else
		idx.algo.auth = x->auth.algo;
	cap = rte_cryptodev_sym_capability_get((uint8_t)cd.dev_id, &idx);
	if (cap == NULL)
		FAIL(-ENOTSUP, "cryptodev %s does not support %s", cd.name, alg);
	if (x->type == RTE_CRYPTO_SYM_XFORM_AEAD)
		bad = rte_cryptodev_sym_capability_check_aead(cap, x->aead.key.length,
							      x->aead.digest_length,
							      x->aead.aad_length,
							      x->aead.iv.length);
	else if (x->type == RTE_CRYPTO_SYM_XFORM_CIPHER)
		bad = rte_cryptodev_sym_capability_check_cipher(cap, x->cipher.key.length,
								x->cipher.iv.length);
	else
		bad = rte_cryptodev_sym_capability_check_auth(cap, x->auth.key.length,
							      x->auth.digest_length, 0);
	if (bad)
		FAIL(-ENOTSUP, "cryptodev %s supports %s, but not with the sizes ESP needs",
		     cd.name, alg);
	return 0;
}

static int aead_xform(const struct fp_sa_params *p, struct rte_crypto_sym_xform *x, char *err,
		      size_t errlen)
{
	bool gcm = p->cipher == FP_CIPHER_AES_GCM;
	const char *alg = !gcm                      ? "ChaCha20-Poly1305"
			  : p->cipher_key_len == 20 ? "AES-GCM-128"
						    : "AES-GCM-256";

	x->type = RTE_CRYPTO_SYM_XFORM_AEAD;
	x->aead.op = p->dir == FP_DIR_OUT ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
	x->aead.algo = gcm ? RTE_CRYPTO_AEAD_AES_GCM : RTE_CRYPTO_AEAD_CHACHA20_POLY1305;
	x->aead.key.data = p->cipher_key;
	x->aead.key.length = (uint16_t)(p->cipher_key_len - 4); /* salt is in the nonce */
	x->aead.iv.offset = (uint16_t)(PRIV_OFF + offsetof(struct cdev_op_priv, iv));
	x->aead.iv.length = 12;
	x->aead.digest_length = 16;
	x->aead.aad_length = p->esn ? 12 : 8;
	return cap_check(x, alg, err, errlen);
}

static int cbc_xform(const struct fp_sa_params *p, struct rte_crypto_sym_xform *x, char *err,
		     size_t errlen)
{
	x->type = RTE_CRYPTO_SYM_XFORM_CIPHER;
	x->cipher.op = p->dir == FP_DIR_OUT ? RTE_CRYPTO_CIPHER_OP_ENCRYPT
					    : RTE_CRYPTO_CIPHER_OP_DECRYPT;
	x->cipher.algo = RTE_CRYPTO_CIPHER_AES_CBC;
	x->cipher.key.data = p->cipher_key;
	x->cipher.key.length = p->cipher_key_len;
	x->cipher.iv.offset = (uint16_t)(PRIV_OFF + offsetof(struct cdev_op_priv, iv));
	x->cipher.iv.length = 16;
	return cap_check(x, p->cipher_key_len == 16 ? "AES-CBC-128" : "AES-CBC-256", err, errlen);
}

static int hmac_xform(const struct fp_sa_params *p, struct rte_crypto_sym_xform *x,
		      uint8_t *icv_len, char *err, size_t errlen)
{
	static const struct {
		enum rte_crypto_auth_algorithm algo;
		uint8_t icv;
		const char *name;
	} hm[] = {
		[FP_AUTH_HMAC_SHA256_128] = { RTE_CRYPTO_AUTH_SHA256_HMAC, 16, "HMAC-SHA-256-128" },
		[FP_AUTH_HMAC_SHA384_192] = { RTE_CRYPTO_AUTH_SHA384_HMAC, 24, "HMAC-SHA-384-192" },
		[FP_AUTH_HMAC_SHA512_256] = { RTE_CRYPTO_AUTH_SHA512_HMAC, 32, "HMAC-SHA-512-256" },
	};

	if (p->auth < FP_AUTH_HMAC_SHA256_128 || p->auth > FP_AUTH_HMAC_SHA512_256)
		FAIL(-EINVAL, "cryptodev %s: unknown integrity algorithm", cd.name);
	x->type = RTE_CRYPTO_SYM_XFORM_AUTH;
	x->auth.op = p->dir == FP_DIR_OUT ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
	x->auth.algo = hm[p->auth].algo;
	x->auth.key.data = p->auth_key;
	x->auth.key.length = p->auth_key_len;
	x->auth.digest_length = hm[p->auth].icv;
	*icv_len = hm[p->auth].icv;
	return cap_check(x, hm[p->auth].name, err, errlen);
}

/* Transform chain for p in x[0..1]; returns the first. */
static int build_xforms(const struct fp_sa_params *p, struct cdev_sess *s,
			struct rte_crypto_sym_xform x[2], char *err, size_t errlen)
{
	int rc;

	memset(x, 0, 2 * sizeof(x[0]));
	switch (p->cipher) {
	case FP_CIPHER_AES_GCM:
	case FP_CIPHER_CHACHA20_POLY1305:
		s->kind = K_AEAD;
		s->icv_len = 16;
		return aead_xform(p, &x[0], err, errlen);
	case FP_CIPHER_NULL:
		/* Integrity only: no NULL cipher in the chain (not every PMD
		 * has one, and it would do nothing). */
		s->kind = K_HMAC;
		return hmac_xform(p, &x[0], &s->icv_len, err, errlen);
	case FP_CIPHER_AES_CBC: break;
	default: FAIL(-EINVAL, "cryptodev %s: unknown cipher", cd.name);
	}
	s->kind = K_CBC_HMAC;
	if (!(cd.ff & RTE_CRYPTODEV_FF_SYM_OPERATION_CHAINING))
		FAIL(-ENOTSUP, "cryptodev %s cannot chain AES-CBC and HMAC", cd.name);
	/* ESP: encrypt then MAC the ciphertext; inbound MAC then decrypt. The
	 * cipher is checked first either way, so a device missing both is
	 * reported the same in both directions. */
	if ((rc = cbc_xform(p, &x[s->encrypt ? 0 : 1], err, errlen)) != 0 ||
	    (rc = hmac_xform(p, &x[s->encrypt ? 1 : 0], &s->icv_len, err, errlen)) != 0)
		return rc;
	x[0].next = &x[1];
	return 0;
}

static int cdev_session_init(void *sessv, const struct fp_sa_params *p, char *err, size_t errlen)
{
	struct cdev_sess *s = sessv;
	struct rte_crypto_sym_xform x[2];
	int rc;

	memset(s, 0, sizeof(*s));
	if (cd.dev_id < 0)
		FAIL(-ENODEV, "cryptodev backend: no device attached");
	zombies_free(false);
	s->dev_id = (uint8_t)cd.dev_id;
	s->encrypt = p->dir == FP_DIR_OUT;
	if ((rc = build_xforms(p, s, x, err, errlen)) != 0)
		return rc;
	if (s->kind == K_CBC_HMAC && s->encrypt &&
	    (rc = fp_cbc_iv_key_init(cd.cp_mgr, &s->iv_key)) != 0)
		FAIL(rc, "cryptodev %s: no random bytes for the CBC IV key", cd.name);
	s->s = rte_cryptodev_sym_session_create(s->dev_id, &x[0], cd.sess_mp);
	if (s->s == NULL) {
		rc = rte_errno ? -rte_errno : -ENOMEM;
		explicit_bzero(&s->iv_key, sizeof(s->iv_key));
		FAIL(rc, "cryptodev %s: session refused: %s", cd.name, rte_strerror(-rc));
	}
	cd.n_sess++;
	return 0;
}

static void cdev_session_free(void *sessv)
{
	struct cdev_sess *s = sessv;

	if (s->s == NULL)
		return;
	/* An orphaned op may name this session: the device would read it
	 * when it completes. Any orphan on the device keeps every freed
	 * session (ops do not say which SA they came from cheaply enough to
	 * count per session). The SA left the tables a grace period ago, so
	 * no worker starts a new op on it; an orphan made before that was
	 * counted before the worker's quiescent report. */
	zombies_free(false);
	if (__atomic_load_n(&cd.orphans, __ATOMIC_ACQUIRE) == 0) {
		rte_cryptodev_sym_session_free(s->dev_id, s->s);
		cd.n_sess--;
	} else if (cd.n_zombie < MAX_ZOMBIES) {
		cd.zombie[cd.n_zombie++] = s->s;
	} else {
		/* Better a session lost than one freed under the device. */
		RTE_LOG(ERR, USER1,
			"cryptodev %s: %u freed sessions wait for ops the device "
			"has not returned; one more is leaked\n",
			cd.name, cd.n_zombie);
		cd.n_sess--;
	}
	s->s = NULL;
}

/* ---- engines ---- */

static inline struct cdev_op_priv *op_priv(struct rte_crypto_op *c)
{
	return (struct cdev_op_priv *)((uint8_t *)c + PRIV_OFF);
}

static inline rte_iova_t priv_iova(const struct rte_crypto_op *c, size_t off)
{
	return c->phys_addr + PRIV_OFF + off;
}

static void orphan_done(struct cdev_eng *e, struct rte_crypto_op *c);

static void cdev_engine_free(void *ctx)
{
	struct cdev_eng *e = ctx;

	if (e == NULL)
		return;
	/* Give the device the engine's wait bound (1 ms at least) once more
	 * to return its orphans; the pool cannot be freed under ops it still
	 * holds. */
	if (e->st.orphans != 0) {
		uint64_t end = rte_rdtsc() +
			       RTE_MAX(__atomic_load_n(&cd.wait_tsc, __ATOMIC_RELAXED),
				       rte_get_tsc_hz() / 1000);
		struct rte_crypto_op *done[FP_MAX_BURST];

		while (e->st.orphans != 0 && rte_rdtsc() < end) {
			uint16_t k = rte_cryptodev_dequeue_burst(e->dev_id, e->qp, done,
								 FP_MAX_BURST);

			for (uint16_t j = 0; j < k; j++)
				orphan_done(e, done[j]);
		}
	}
	for (unsigned i = 0; i < FP_MAX_BURST; i++)
		if (e->cop[i] != NULL)
			rte_crypto_op_free(e->cop[i]);
	if (e->st.orphans == 0)
		rte_mempool_free(e->op_mp);
	else
		RTE_LOG(ERR, USER1,
			"cryptodev %s queue pair %u: %" PRIu64 " ops never came "
			"back; their op pool and packets are leaked\n",
			cd.name, e->qp, e->st.orphans);
	if (e->m != NULL)
		free_mb_mgr(e->m);
	cd.qp_busy &= ~(1ull << e->qp);
	cd.n_eng--;
	rte_free(e);
}

static void *cdev_engine_create(unsigned qid)
{
	char nm[RTE_MEMPOOL_NAMESIZE];
	struct cdev_eng *e;

	if (cd.dev_id < 0 || qid >= cd.n_qp || (cd.qp_busy >> qid) & 1)
		return NULL;
	e = rte_zmalloc_socket("fp_cdev_eng", sizeof(*e), RTE_CACHE_LINE_SIZE, cd.socket);
	if (e == NULL)
		return NULL;
	e->dev_id = (uint8_t)cd.dev_id;
	e->qp = (uint16_t)qid;
	cd.qp_busy |= 1ull << qid;
	cd.n_eng++;
	snprintf(nm, sizeof(nm), "fp_cdev_op%d_%u", cd.dev_id, qid);
	e->op_mp = rte_crypto_op_pool_create(nm, RTE_CRYPTO_OP_TYPE_SYMMETRIC,
					     FP_MAX_BURST + SPARE_OPS, 0,
					     sizeof(struct cdev_op_priv), cd.socket);
	e->m = fp_imb_mgr_new();
	if (e->op_mp == NULL || e->m == NULL ||
	    rte_crypto_op_bulk_alloc(e->op_mp, RTE_CRYPTO_OP_TYPE_SYMMETRIC, e->cop,
				     FP_MAX_BURST) != FP_MAX_BURST) {
		cdev_engine_free(e);
		return NULL;
	}
	for (unsigned i = 0; i < FP_MAX_BURST; i++)
		op_priv(e->cop[i])->idx = (uint16_t)i;
	return e;
}

static void cdev_stats(const void *ctx, struct fp_crypto_stats *out)
{
	const struct cdev_eng *e = ctx;

	*out = e->st;
}

/* ---- the burst ---- */

static inline rte_iova_t mbuf_iova(const struct rte_mbuf *m, const uint8_t *p)
{
	return rte_pktmbuf_iova_offset(m, p - rte_pktmbuf_mtod(m, const uint8_t *));
}

/* Outbound: the ICV's place in the packet, or the op's scratch when ESP
 * wants it elsewhere (ESN, copied back in op_done()). Inbound: the received
 * ICV, copied to the scratch because with ESN its place in the packet holds
 * seq_hi while the device hashes. */
static inline void set_digest(const struct cdev_sess *s, const struct fp_crypto_op *op,
			      struct rte_crypto_op *c, uint8_t **data, rte_iova_t *iova)
{
	struct cdev_op_priv *pv = op_priv(c);

	if (s->encrypt && op->digest != op->digest_buf) {
		*data = op->digest;
		*iova = mbuf_iova(op->m, op->digest);
		return;
	}
	if (!s->encrypt)
		memcpy(pv->digest, op->icv_rx, s->icv_len);
	*data = pv->digest;
	*iova = priv_iova(c, offsetof(struct cdev_op_priv, digest));
}

static inline void op_fill(const struct cdev_sess *s, struct fp_crypto_op *op,
			   struct rte_crypto_op *c)
{
	struct rte_crypto_sym_op *sym = c->sym;
	struct cdev_op_priv *pv = op_priv(c);
	uint32_t base = (uint32_t)(op->buf - rte_pktmbuf_mtod(op->m, uint8_t *));

	c->status = RTE_CRYPTO_OP_STATUS_NOT_PROCESSED;
	c->sess_type = RTE_CRYPTO_OP_WITH_SESSION;
	sym->m_src = op->m;
	sym->m_dst = NULL;
	sym->session = s->s;
	if (s->kind == K_AEAD) {
		memcpy(pv->iv, op->nonce, 12);
		memcpy(pv->aad, op->aad, 16);
		memset(pv->aad + op->aad_len, 0, 16u - op->aad_len);
		sym->aead.data.offset = base + op->cipher_off;
		sym->aead.data.length = op->cipher_len;
		sym->aead.aad.data = pv->aad;
		sym->aead.aad.phys_addr = priv_iova(c, offsetof(struct cdev_op_priv, aad));
		set_digest(s, op, c, &sym->aead.digest.data, &sym->aead.digest.phys_addr);
		return;
	}
	if (s->kind == K_CBC_HMAC) {
		/* outbound: the IV was written by cdev_process() (fp_cbc_ivs) */
		memcpy(pv->iv, op->buf + ESP_IV_OFF, 16);
		sym->cipher.data.offset = base + op->cipher_off;
		sym->cipher.data.length = op->cipher_len;
	} else {
		sym->cipher.data.offset = 0;
		sym->cipher.data.length = 0;
	}
	sym->auth.data.offset = base;
	sym->auth.data.length = op->auth_len;
	set_digest(s, op, c, &sym->auth.digest.data, &sym->auth.digest.phys_addr);
}

static inline void op_done(const struct cdev_sess *s, struct fp_crypto_op *op,
			   struct rte_crypto_op *c)
{
	if (unlikely(c->status != RTE_CRYPTO_OP_STATUS_SUCCESS)) {
		op->status = c->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED ? FP_CRYPTO_AUTH_FAILED
									   : FP_CRYPTO_ERROR;
		return;
	}
	if (!s->encrypt)
		memcpy(op->digest, op->icv_rx, s->icv_len); /* verified by the device */
	else if (op->digest == op->digest_buf)
		memcpy(op->digest, op_priv(c)->digest, s->icv_len);
	op->status = FP_CRYPTO_OK;
}

/* A late completion of an abandoned op: the packet's extra reference and
 * the op go back. Whatever the device did to them no longer matters. */
static void orphan_done(struct cdev_eng *e, struct rte_crypto_op *c)
{
	rte_pktmbuf_free(c->sym->m_src);
	op_priv(c)->orphan = false;
	rte_crypto_op_free(c);
	e->st.orphans--;
	e->st.late++;
	__atomic_fetch_sub(&cd.orphans, 1, __ATOMIC_RELEASE);
}

/* The burst's wait ran out with ops still on the device: each keeps its
 * mbuf (one more reference) and its op until it comes back. */
static void abandon(struct cdev_eng *e, struct fp_crypto_op *ops, uint16_t enq, const bool *back)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < enq; i++) {
		struct rte_crypto_op *c = e->cop[i];

		if (back[i])
			continue;
		rte_mbuf_refcnt_update(ops[i].m, 1);
		op_priv(c)->orphan = true;
		e->cop[i] = NULL;
		k++;
	}
	e->n_missing = (uint16_t)(e->n_missing + k);
	e->st.orphans += k;
	e->st.abandoned += k;
	e->st.timeouts++;
	__atomic_fetch_add(&cd.orphans, k, __ATOMIC_RELEASE);
}

/* Fills the slots abandon() emptied; false while the pool has no op for
 * one (the device still holds them all). */
static bool refill(struct cdev_eng *e)
{
	for (unsigned i = 0; i < FP_MAX_BURST && e->n_missing != 0; i++) {
		if (e->cop[i] != NULL)
			continue;
		e->cop[i] = rte_crypto_op_alloc(e->op_mp, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
		if (e->cop[i] == NULL)
			return false;
		op_priv(e->cop[i])->idx = (uint16_t)i;
		op_priv(e->cop[i])->orphan = false;
		e->n_missing--;
	}
	return true;
}

static void cdev_process(void *ctx, const void *sessv, struct fp_crypto_op *ops, uint16_t n,
			 bool encrypt)
{
	const struct cdev_sess *s = sessv;
	struct cdev_eng *e = ctx;
	struct rte_crypto_op *done[FP_MAX_BURST];
	bool back[FP_MAX_BURST];
	uint16_t enq = 0, deq = 0;
	uint64_t end;

	for (uint16_t i = 0; i < n; i++)
		ops[i].status = FP_CRYPTO_ERROR;
	/* A session is made for one direction and one device. */
	if (unlikely(encrypt != s->encrypt || s->dev_id != e->dev_id || n > FP_MAX_BURST))
		return;
	if (unlikely(e->n_missing != 0)) {
		/* Late completions first: they give ops back to the pool. */
		uint16_t k = rte_cryptodev_dequeue_burst(e->dev_id, e->qp, done, FP_MAX_BURST);

		for (uint16_t j = 0; j < k; j++)
			orphan_done(e, done[j]);
		if (!refill(e)) {
			e->st.no_op += n;
			return;
		}
	}
	if (s->kind == K_CBC_HMAC && s->encrypt && fp_cbc_ivs(e->m, &s->iv_key, ops, n) != 0)
		return;
	for (uint16_t i = 0; i < n; i++) {
		op_fill(s, &ops[i], e->cop[i]);
		back[i] = false;
	}
	/* Synchronous: everything enqueued is waited for, since the ESP layer
	 * finishes the packets right after this call; but not for ever. */
	end = rte_rdtsc() + __atomic_load_n(&cd.wait_tsc, __ATOMIC_RELAXED);
	while (deq < enq || enq < n) {
		uint16_t k;

		if (enq < n)
			enq += rte_cryptodev_enqueue_burst(e->dev_id, e->qp, e->cop + enq, n - enq);
		if (unlikely(rte_rdtsc() >= end)) {
			/* Not yet enqueued: never seen by the device, simply
			 * failed. Enqueued and not back: abandoned. */
			if (deq < enq)
				abandon(e, ops, enq, back);
			else
				e->st.timeouts++;
			return;
		}
		k = rte_cryptodev_dequeue_burst(e->dev_id, e->qp, done, FP_MAX_BURST);
		for (uint16_t j = 0; j < k; j++) {
			struct cdev_op_priv *pv = op_priv(done[j]);

			if (unlikely(pv->orphan)) {
				orphan_done(e, done[j]);
				continue;
			}
			op_done(s, &ops[pv->idx], done[j]);
			back[pv->idx] = true;
			deq++;
		}
	}
}

const struct fp_crypto_backend fp_crypto_cdev = {
	.name = "cryptodev",
	.session_init = cdev_session_init,
	.session_free = cdev_session_free,
	.engine_create = cdev_engine_create,
	.engine_free = cdev_engine_free,
	.process = cdev_process,
	.stats = cdev_stats,
};
