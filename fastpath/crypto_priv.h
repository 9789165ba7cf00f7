/* SPDX-License-Identifier: BSD-3-Clause */
/* What the two crypto backends share. Not a public header: crypto_imb.c
 * and crypto_cdev.c only. */
#ifndef FP_CRYPTO_PRIV_H
#define FP_CRYPTO_PRIV_H

#include <intel-ipsec-mb.h>
#include <rte_byteorder.h>

#include "fastpath/crypto.h"

/* Outbound AES-CBC IVs (RFC 3602: unpredictable) are AES-128(iv_key,
 * seq || 0) under a random per-SA iv_key: unique because the sequence
 * number never repeats, unpredictable without the key, one block and no
 * syscall per packet. Both backends compute them on the CPU with
 * intel-ipsec-mb, so the rule lives here once. */
struct fp_cbc_iv_key {
	uint8_t ks[16 * 11] __rte_aligned(16); /* AES-128 encryption schedule */
};

/* A manager with the best code path for this CPU; NULL on failure. */
IMB_MGR *fp_imb_mgr_new(void);
/* Draws a random iv_key (getrandom) and expands it. 0 or -EIO. */
int fp_cbc_iv_key_init(IMB_MGR *m, struct fp_cbc_iv_key *k);

/* The IVs of n outbound ops (op->seq -> op->iv): AES-128(iv_key,
 * be64(seq) || 0) each, in one AES-ECB job over the n sequence blocks. 0, or -EIO when intel-ipsec-mb
 * refused the job (nothing written), -EINVAL for n outside 1..FP_MAX_BURST. */
int fp_cbc_ivs(IMB_MGR *m, const struct fp_cbc_iv_key *k, struct fp_crypto_op *ops, uint16_t n);

#endif
