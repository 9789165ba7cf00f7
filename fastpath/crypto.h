/* SPDX-License-Identifier: BSD-3-Clause */
/* Crypto backend table of the fast path.
 *
 * ESP code never calls a crypto library: it fills fp_crypto_op descriptors
 * (offsets into the packet, nonce, AAD, where the ICV goes) and hands one
 * burst for one SA to the backend through struct fp_crypto_backend. The
 * backend keeps its expanded keys (or a device session handle) in the SA's
 * opaque session area and its per-worker state in an engine. Two backends:
 * intel-ipsec-mb called directly (crypto_imb.c, the default) and DPDK
 * cryptodev lookaside (crypto_cdev.c: QAT, or the software PMDs). */
#ifndef FP_CRYPTO_H
#define FP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#define FP_MAX_BURST        64u
#define FP_CRYPTO_SESS_SIZE 1792u /* bytes of key material per SA */

struct fp_sa_params;
struct rte_mbuf;

/* fp_crypto_op.status */
enum {
	FP_CRYPTO_OK = 0,
	FP_CRYPTO_ERROR = 1, /* not run, or the device failed it */
	/* The backend checked the ICV itself and it did not match (cryptodev
	 * AEAD decryption verifies and does not return the tag): counted as an
	 * authentication failure, not a crypto error. */
	FP_CRYPTO_AUTH_FAILED = 2,
};

/* One packet's crypto. All offsets are from buf (the ESP header), which
 * lies in m's single segment; the transform is in place. */
struct fp_crypto_op {
	uint8_t *buf;
	struct rte_mbuf *m;                  /* for backends that take mbufs */
	uint32_t cipher_off, cipher_len;     /* payload + trailer */
	uint32_t auth_len;                   /* HMAC: bytes from buf, incl. ESN seq_hi */
	uint8_t *digest;                     /* where the computed ICV goes */
	uint8_t *iv;                         /* outbound CBC: backend writes the IV */
	uint64_t seq;                        /* 64-bit sequence number */
	uint8_t status;                      /* FP_CRYPTO_* */
	uint8_t aad_len;                     /* AEAD: 8, or 12 with ESN */
	uint8_t nonce[16] __rte_aligned(16); /* AEAD: salt || IV */
	uint8_t aad[16];                     /* AEAD: SPI || [seq_hi ||] seq_lo */
	uint8_t digest_buf[64];              /* scratch ICV (inbound, outbound ESN) */
	uint8_t icv_rx[32];                  /* inbound: ICV as received */
};

/* Per-engine counters: a backend that can fail whole bursts (cryptodev),
 * and where intel-ipsec-mb ran its jobs; single writer, the worker. */
struct fp_crypto_stats {
	uint64_t timeouts;   /* bursts whose wait for the device ran out */
	uint64_t abandoned;  /* ops the device kept past the bound (packets failed) */
	uint64_t late;       /* abandoned ops the device returned later */
	uint64_t no_op;      /* packets failed at once: every spare op still abandoned */
	uint64_t orphans;    /* abandoned ops still on the device now */
	uint64_t short_jobs; /* intel-ipsec-mb: jobs run on the second manager */
};

struct fp_crypto_backend {
	const char *name;
	/* Control core: sets up p's keys in sess (FP_CRYPTO_SESS_SIZE bytes)
	 * for p->dir. 0, or a negative errno with a reason in err (no key
	 * material in it). */
	int (*session_init)(void *sess, const struct fp_sa_params *p, char *err, size_t errlen);
	/* Control core: releases what session_init took (device sessions);
	 * the caller wipes the area afterwards. */
	void (*session_free)(void *sess);
	/* Control core: per-worker state for worker/queue qid; NULL on failure. */
	void *(*engine_create)(unsigned qid);
	void (*engine_free)(void *ctx);
	/* Worker: runs n ops for one session, sets each op's status; every op
	 * is complete on return. */
	void (*process)(void *ctx, const void *sess, struct fp_crypto_op *ops, uint16_t n,
			bool encrypt);
	/* Any thread: the engine's counters (may be a loop old); optional. */
	void (*stats)(const void *ctx, struct fp_crypto_stats *out);
};

extern const struct fp_crypto_backend fp_crypto_imb;
extern const struct fp_crypto_backend fp_crypto_cdev;

/* ---- intel-ipsec-mb code paths (crypto_imb.c) ----
 * intel-ipsec-mb picks one implementation per CPU (its "arch": SSE, AVX,
 * AVX2, AVX-512). Its AVX-512 code is the fastest here for GCM, ChaCha20,
 * SHA-384/512, and for AES-CBC + HMAC-SHA-256 when 16 long jobs fill its
 * lanes; on AMD Zen 4 its AVX2 code runs short AES-CBC + HMAC-SHA-256 jobs
 * faster, and mixed bursts with few long jobs (IMIX) too
 * (docs/performance.md). So HMAC-SHA-256 jobs
 * (AES-CBC or NULL cipher) can run on a second manager of another arch:
 * those of at most short_max bytes of ciphertext, and the longer ones too
 * when a burst has fewer than 16 of them. Everything else stays on the
 * library's choice. */
enum fp_imb_short {
	FP_IMB_SHORT_AUTO, /* AVX2 when the library picks AVX-512 on an AMD CPU, else off */
	FP_IMB_SHORT_OFF,
	FP_IMB_SHORT_SSE,
	FP_IMB_SHORT_AVX,
	FP_IMB_SHORT_AVX2,
};
#define FP_IMB_SHORT_MAX_DEFAULT 512u

/* Control core, before any engine of the imb backend is created (engines
 * made before keep their managers). Writes what was chosen, for the log:
 * "avx512; HMAC-SHA-256 jobs up to 512 B (and bursts with fewer than 16
 * longer ones) on avx2". */
void fp_imb_configure(enum fp_imb_short arch, uint32_t short_max, char *desc, size_t desclen);

/* ---- cryptodev backend setup (crypto_cdev.c) ----
 * The backend drives one cryptodev at a time, attached on the control core
 * before any SA or engine uses it: one queue pair per worker, one session
 * pool for all SAs. */
struct fp_cdev_cfg {
	const char *device;    /* cryptodev name: "crypto_aesni_mb0", "0000:6b:00.1_qat_sym" */
	uint16_t n_qp;         /* queue pairs = workers */
	uint32_t qp_desc;      /* descriptors per queue pair; 0 = 2048 */
	uint32_t max_sessions; /* SAs alive at once (both directions); 0 = 8192 */
	/* Longest wait for one burst, microseconds; 0 = FP_CDEV_TIMEOUT_US.
	 * Ops the device has not returned by then fail their packets and are
	 * reclaimed when it returns them (crypto_cdev.c). */
	uint32_t timeout_us;
	int socket;
};
#define FP_CDEV_TIMEOUT_US 1000u

/* 0, or a negative errno with a reason in err. */
int fp_crypto_cdev_attach(const struct fp_cdev_cfg *cfg, char *err, size_t errlen);
/* Stops the device and frees the session pool: -EBUSY while sessions or
 * engines still use it. */
int fp_crypto_cdev_detach(void);
/* The attached device's name, or NULL. */
const char *fp_crypto_cdev_device(void);
/* Changes the wait bound from the next burst on; 0 abandons
 * whatever is not back at the first look (tests use it to make a device
 * that "never returns" out of a software one). */
void fp_crypto_cdev_set_timeout_us(uint32_t us);

/* Per-worker crypto state plus scratch ops for one burst (VPP's per-thread
 * scratch): a worker owns one engine and uses it for every SA it runs. */
struct fp_crypto_engine {
	const struct fp_crypto_backend *be;
	void *ctx;
	struct fp_crypto_op ops[FP_MAX_BURST] __rte_cache_aligned;
};

/* Engine on queue pair 0 (tools and tests with one engine per backend). */
int fp_crypto_engine_init(struct fp_crypto_engine *e, const struct fp_crypto_backend *be);
/* Engine on queue pair qid: worker qid's. */
int fp_crypto_engine_init_qp(struct fp_crypto_engine *e, const struct fp_crypto_backend *be,
			     unsigned qid);
void fp_crypto_engine_fini(struct fp_crypto_engine *e);

#endif
