/* SPDX-License-Identifier: BSD-3-Clause */
/* Cryptographic primitives for IKE. ike_crypto.c and ike_dh.c are the only
 * files in the project that include OpenSSL headers; everything else sees
 * IANA transform numbers and byte buffers. All functions return 0 on success
 * or a negative errno (-EINVAL unknown algorithm / bad length, -EBADMSG failed
 * authentication or invalid peer value, -ENOMEM, -EIO OpenSSL failure). */
#ifndef IKE_CRYPTO_H
#define IKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"

#define IKE_MAX_PRF_LEN   64u   /* HMAC-SHA2-512 */
#define IKE_MAX_DH_PUB    1024u /* MODP4096: 512 bytes; leave headroom */
#define IKE_MAX_DH_SHARED 512u

/* ---- randomness and memory ---- */
/* Secret values: straight from OpenSSL's DRBG. */
int ike_random(uint8_t *buf, size_t len);
/* Values that go on the wire (nonces, SPIs, IVs): the same DRBG through a
 * per-thread pool, much cheaper per call. */
int ike_random_public(uint8_t *buf, size_t len);
/* Constant-time comparison: 1 when equal, 0 when not. */
int ike_memeq_ct(const void *a, const void *b, size_t len);

/* ---- PRF (RFC 7296 2.13) ---- */
/* Output length of a PRF transform, 0 if unknown. */
size_t ike_prf_len(uint16_t prf);
/* HMAC with the PRF's hash; out receives ike_prf_len(prf) bytes. */
int ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
	    uint8_t *out);
/* Same, over the concatenation of up to 4 data pieces (NULL/0 ends early). */
int ike_prf_v(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *const data[],
	      const size_t dlen[], unsigned n, uint8_t *out);
/* prf+ (2.13): T1 | T2 | ... truncated to outlen; fails above 255 blocks. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *seed, size_t slen,
		 uint8_t *out, size_t outlen);

/* ---- integrity (for IKE SK payloads with non-AEAD ciphers) ---- */
size_t ike_integ_keylen(uint16_t integ); /* 0 if unknown */
size_t ike_integ_icvlen(uint16_t integ); /* truncated ICV length */
int ike_integ(uint16_t integ, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
	      uint8_t *icv /* icvlen bytes */);

/* ---- encryption ---- */
struct ike_encr_info {
	uint16_t id;
	uint16_t keybits; /* key size in bits without salt */
	uint8_t keylen;   /* bytes of keying material incl. salt (KEYMAT share) */
	uint8_t saltlen;  /* GCM 4, ChaCha20-Poly1305 4, CBC 0 */
	uint8_t ivlen;    /* explicit IV in the packet: CBC 16, GCM 8, ChaPoly 8 */
	uint8_t blocklen; /* padding granularity: CBC 16, AEAD 1 (IKE pads to 1) */
	uint8_t icvlen;   /* AEAD tag length (16), 0 for CBC */
	uint8_t aead;
};
/* keybits 0 means the transform has a fixed size (ChaCha20-Poly1305: 256). */
int ike_encr_info(uint16_t id, uint16_t keybits, struct ike_encr_info *info);

/* AEAD (AES-GCM-16, ChaCha20-Poly1305) as used by RFC 5282 / RFC 7634:
 * nonce = salt (last saltlen bytes of key) || iv (8 bytes). */
int ike_aead_encrypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		     const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t len, uint8_t *ct,
		     uint8_t *tag);
int ike_aead_decrypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		     const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t len,
		     const uint8_t *tag, uint8_t *pt);
/* AES-CBC without padding (len multiple of 16); in and out may alias. */
int ike_cbc_encrypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *in, size_t len, uint8_t *out);
int ike_cbc_decrypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *in, size_t len, uint8_t *out);

/* ---- Diffie-Hellman (MODP 14/15/16, ECP 19/20/21, X25519, X448) ---- */
struct ike_dh;
/* Public value length on the wire for a group, 0 if unsupported.
 * MODP: prime length; ECP: x||y (RFC 5903, no 0x04 prefix); X25519 32, X448 56. */
size_t ike_dh_publen(uint16_t group);
/* Generates a fresh key pair. NULL on unknown group or failure. */
struct ike_dh *ike_dh_new(uint16_t group);
uint16_t ike_dh_group(const struct ike_dh *dh);
/* Copies the public value (ike_dh_publen bytes) into out. */
int ike_dh_pub(const struct ike_dh *dh, uint8_t *out, size_t outlen);
/* Validates the peer value (RFC 6989: MODP 1 < y < p-1, ECP point on curve,
 * X25519/X448 non-zero result) and computes the shared secret: MODP padded to
 * the prime length, ECP x coordinate, X25519/X448 raw. -EBADMSG if invalid. */
int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t peerlen, uint8_t *out,
		  size_t *outlen);
/* Frees and wipes private material. NULL is allowed. */
void ike_dh_free(struct ike_dh *dh);

#endif
