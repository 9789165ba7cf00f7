/* SPDX-License-Identifier: BSD-3-Clause */
/* Security associations as the fast path sees them.
 *
 * struct fp_sa_params is the control-plane description (from an IKE CHILD SA
 * event or a static SA in the config). fp_sa_init() turns it into struct
 * fp_sa, the compact runtime SA the workers read: key schedules expanded,
 * the per-packet handler chosen once, hot fields in the first cache line.
 * fastpath/ includes no OpenSSL header; crypto is intel-ipsec-mb or cryptodev. */
#ifndef FP_SA_H
#define FP_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#include "fastpath/crypto.h"
#include "fastpath/fp_stats.h"
#include "fastpath/replay.h"

enum fp_dir { FP_DIR_IN = 0, FP_DIR_OUT = 1 };
enum fp_mode { FP_MODE_TUNNEL = 0, FP_MODE_TRANSPORT = 1 };
enum fp_cipher {
	FP_CIPHER_NULL = 0,          /* tests only: NULL encryption with HMAC */
	FP_CIPHER_AES_CBC,           /* key 16/32 bytes, IV 16 */
	FP_CIPHER_AES_GCM,           /* key 16/32 + 4 salt, IV 8, ICV 16 */
	FP_CIPHER_CHACHA20_POLY1305, /* key 32 + 4 salt, IV 8, ICV 16 */
};
enum fp_auth {
	FP_AUTH_NONE = 0, /* with AEAD ciphers */
	FP_AUTH_HMAC_SHA256_128,
	FP_AUTH_HMAC_SHA384_192,
	FP_AUTH_HMAC_SHA512_256,
};

#define FP_MAX_KEY            64
#define FP_DEFAULT_REPLAY_WIN 1024u
#define FP_MAX_REPLAY_WIN     4096u

/* Inner traffic selector, for the inbound policy check and the SPD. */
struct fp_selector {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;  /* 0 = any */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint8_t src_lo[16], src_hi[16], dst_lo[16], dst_hi[16];
};

/* replay_window value that turns anti-replay off (RFC 4303 3.4.3 leaves
 * it to the receiver; useful for manually keyed SAs and replayed captures). */
#define FP_REPLAY_OFF UINT32_MAX

#define FP_SA_NAME_MAX 64

struct fp_sa_params {
	uint32_t spi; /* host order */
	/* Outbound: the SA's name in the control core's tables (its slot, the
	 * SPD's PROTECT rules, del/move/bind calls), 0 = spi. The SPI is the
	 * peer's choice: two peers may pick the same one, so IKE CHILD SAs
	 * are named by our own inbound SPI of the same CHILD SA instead. */
	uint32_t out_key;
	enum fp_dir dir;
	enum fp_mode mode;
	uint8_t outer_family;          /* 4 or 6 */
	uint8_t local[16], remote[16]; /* outer addresses of the gateway and peer */
	bool udp_encap;                /* RFC 3948 */
	uint16_t encap_local_port, encap_remote_port;
	enum fp_cipher cipher;
	uint8_t cipher_key_len; /* bytes incl. 4-byte salt for AEAD */
	uint8_t cipher_key[FP_MAX_KEY];
	enum fp_auth auth;
	uint8_t auth_key_len;
	uint8_t auth_key[FP_MAX_KEY];
	bool esn;
	uint32_t replay_window; /* packets, power of two, 0 = default,
				       * FP_REPLAY_OFF = no anti-replay */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets; /* 0 = none */
	uint8_t n_sel;
	struct fp_selector sel[4]; /* inner selectors (remote->local for inbound) */
	/* What telemetry shows for the SA (the workers never read them): the
	 * IKE connection and child and the CHILD SA's id, or "static". */
	char conn[FP_SA_NAME_MAX], child[FP_SA_NAME_MAX];
	uint32_t child_id;
};

/* The name an SA of p has in the control core's tables. */
static inline uint32_t fp_sa_key(const struct fp_sa_params *p)
{
	return p->dir == FP_DIR_OUT && p->out_key ? p->out_key : p->spi;
}

/* Parses and checks params; -EINVAL with a reason for bad combinations. */
int fp_sa_params_check(const struct fp_sa_params *p, char *err, size_t errlen);

/* ---- runtime SA ---- */

struct rte_mbuf;
struct fp_sa;

/* Processes a burst of packets for one SA: returns the number of good
 * packets, which are first in mb[]; the bad ones follow, in their original
 * order, each with a reason in fp_mbuf_drop_reason(). */
typedef uint16_t (*fp_esp_fn)(struct fp_sa *sa, struct fp_crypto_engine *eng, struct rte_mbuf *mb[],
			      uint16_t n);

/* fp_sa_hot.flags, fixed at init */
#define FP_SAF_TUNNEL   0x01u
#define FP_SAF_OUTER6   0x02u
#define FP_SAF_UDP      0x04u
#define FP_SAF_ESN      0x08u
#define FP_SAF_AEAD     0x10u
#define FP_SAF_OUTBOUND 0x20u

/* What a worker reads for every packet: one cache line. */
struct fp_sa_hot {
	fp_esp_fn process; /* chosen once by fp_sa_init() */
	uint64_t seq;      /* outbound: last sequence number sent */
	uint32_t spi_be;   /* network order, as on the wire */
	uint8_t salt[4];   /* AEAD nonce = salt || IV (RFC 4106 4) */
	uint8_t flags;     /* FP_SAF_* */
	uint8_t iv_len;    /* 0, 8 or 16 */
	uint8_t icv_len;   /* 16..32 */
	uint8_t pad_align; /* 4 (AEAD, NULL) or 16 (CBC) */
	uint8_t tmpl_len;  /* outbound: outer IP (+UDP) header */
	uint8_t rsvd[3];
	uint64_t soft_packets, hard_packets; /* UINT64_MAX = none */
	uint64_t soft_bytes, hard_bytes;
};

struct fp_sa {
	struct fp_sa_hot h;
	uint8_t tmpl[64] __rte_cache_aligned; /* outer header template */
	struct fp_sa_stats stats __rte_cache_aligned;
	uint32_t life; /* FP_SA_F_* lifetime flags */
	struct fp_replay replay __rte_cache_aligned;
	const struct fp_crypto_backend *be;
	uint32_t spi; /* host order */
	uint8_t n_sel;
	struct fp_selector sel[4];
	uint8_t sess[FP_CRYPTO_SESS_SIZE] __rte_cache_aligned; /* keys */
} __rte_cache_aligned;

/* Builds the runtime SA from params: checks them, expands the keys with
 * backend be, prebuilds the outer header, picks the handler. The caller owns
 * the memory (cache-aligned, e.g. rte_zmalloc); nothing is allocated here
 * but the backend's session (cryptodev: from its session pool).
 * 0, or a negative errno (-EINVAL bad params, -ENOTSUP the device lacks
 * the algorithm) with a reason in err. */
int fp_sa_init(struct fp_sa *sa, const struct fp_sa_params *p, const struct fp_crypto_backend *be,
	       char *err, size_t errlen);
/* Frees the backend's session (cryptodev) and wipes the keys; once only
 * (a second call finds no backend and only wipes again). */
void fp_sa_fini(struct fp_sa *sa);
/* Outbound: the next packet gets seq + 1. Inbound: seq is the highest
 * sequence number already received (ESN reconstruction starts there).
 * For SA takeover and tests; not for use while a worker runs the SA. */
int fp_sa_set_seq(struct fp_sa *sa, uint64_t seq);

/* The burst entry point: one indirect call per FP_MAX_BURST packets. Any n;
 * returns the good count, good packets first, then the dropped ones. */
uint16_t fp_esp_process(struct fp_sa *sa, struct fp_crypto_engine *eng, struct rte_mbuf *mb[],
			uint16_t n);

/* Drop reason of a packet the last burst refused (an mbuf dynamic field,
 * registered by the first fp_sa_init()). */
extern int fp_mbuf_drop_off;
static inline uint8_t *fp_mbuf_drop(struct rte_mbuf *m)
{
	return (uint8_t *)((char *)m + fp_mbuf_drop_off);
}
static inline enum fp_drop fp_mbuf_drop_reason(struct rte_mbuf *m)
{
	return (enum fp_drop) * fp_mbuf_drop(m);
}

/* The lines of an inbound ESP frame [d, d + len) between its first and its
 * ICV's (the callers ask for those), prefetched for a frame written by
 * another core (a NIC's DMA, the bench's generator). Which frames, as A/B
 * runs chose them (docs/performance.md):
 *  - short ones (<= FP_PREFETCH_SHORT), at classification and, unless
 *    AEAD, again in the ESP layer's prefetch pass: a 64-byte inner packet
 *    under CBC + HMAC is three lines and the hash first touched the middle
 *    one; GCM's 64-byte frames have no middle line;
 *  - not AEAD, up to FP_PREFETCH_LONG, in the ESP pass;
 *  - long ones (> FP_PREFETCH_LONG), at classification only: GCM's own
 *    prefetch, two packets ahead, starts too late for 23 lines.
 * Not frames in between, nor outbound ones (lines the worker itself wrote
 * a lap ago): there it lost. */
#define FP_PREFETCH_SHORT 320u
#define FP_PREFETCH_LONG  1024u
static inline void fp_prefetch_mid_lines(const uint8_t *d, uint32_t len)
{
	for (const uint8_t *l = RTE_PTR_ALIGN_FLOOR(d, 64) + 64;
	     l < RTE_PTR_ALIGN_FLOOR(d + len - 16, 64); l += 64)
		__builtin_prefetch(l, 0, 3);
}

/* Handlers, in esp_outbound.c / esp_inbound.c; sa.c picks one. */
fp_esp_fn fp_esp_outbound_handler(uint8_t flags);
fp_esp_fn fp_esp_inbound_handler(uint8_t flags);

#endif
