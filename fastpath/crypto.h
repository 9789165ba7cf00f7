/* Crypto backend table of the fast path.
 *
 * ESP code never calls a crypto library: it fills fp_crypto_op descriptors
 * (offsets into the packet, nonce, AAD, where the ICV goes) and hands one
 * burst for one SA to the backend through struct fp_crypto_backend. The
 * backend keeps its expanded keys in the SA's opaque session area and its
 * per-worker state (an IMB_MGR, later a cryptodev queue pair) in an engine.
 * intel-ipsec-mb (crypto_imb.c) is the only backend so far. */
#ifndef FP_CRYPTO_H
#define FP_CRYPTO_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#define FP_MAX_BURST        64u
#define FP_CRYPTO_SESS_SIZE 1792u   /* bytes of key material per SA */

struct fp_sa_params;

/* One packet's crypto. All offsets are from buf (the ESP header); the
 * transform is in place. */
struct fp_crypto_op {
	uint8_t *buf;
	uint32_t cipher_off, cipher_len;   /* payload + trailer */
	uint32_t auth_len;                 /* HMAC: bytes from buf, incl. ESN seq_hi */
	uint8_t *digest;                   /* where the computed ICV goes */
	uint8_t *iv;                       /* outbound CBC: backend writes the IV */
	uint64_t seq;                      /* 64-bit sequence number */
	uint8_t  status;                   /* 0 = done, else failed */
	uint8_t  aad_len;                  /* AEAD: 8, or 12 with ESN */
	uint8_t  nonce[16] __rte_aligned(16);  /* AEAD: salt || IV */
	uint8_t  aad[16];                  /* AEAD: SPI || [seq_hi ||] seq_lo */
	uint8_t  digest_buf[64];           /* scratch ICV (inbound, outbound ESN) */
	uint8_t  icv_rx[32];               /* inbound: ICV as received */
};

struct fp_crypto_backend {
	const char *name;
	/* Control core: expands p's keys into sess (FP_CRYPTO_SESS_SIZE bytes). */
	int  (*session_init)(void *sess, const struct fp_sa_params *p);
	/* Control core: per-worker state; NULL on failure. */
	void *(*engine_create)(void);
	void (*engine_free)(void *ctx);
	/* Worker: runs n ops for one session, sets each op's status. */
	void (*process)(void *ctx, const void *sess, struct fp_crypto_op *ops,
			uint16_t n, bool encrypt);
};

extern const struct fp_crypto_backend fp_crypto_imb;

/* Per-worker crypto state plus scratch ops for one burst (VPP's per-thread
 * scratch): a worker owns one engine and uses it for every SA it runs. */
struct fp_crypto_engine {
	const struct fp_crypto_backend *be;
	void *ctx;
	struct fp_crypto_op ops[FP_MAX_BURST] __rte_cache_aligned;
};

int  fp_crypto_engine_init(struct fp_crypto_engine *e, const struct fp_crypto_backend *be);
void fp_crypto_engine_fini(struct fp_crypto_engine *e);

#endif
