/* SPDX-License-Identifier: BSD-3-Clause */
/* Algorithm and identification numbers an embedder of the IKE engine needs
 * beside ike.h: the IANA IKEv2 transform IDs (RFC 7296 3.3.2 and its
 * registries), which CHILD SA events report and a data plane maps to its
 * own ciphers, the ID types of struct ike_id, and the names and checks the
 * configuration uses. Included by ike.h. */
#ifndef IKE_ALG_H
#define IKE_ALG_H

#include <stddef.h>
#include <stdint.h>

/* Transform IDs (IANA "Transform Type 1..5" registries). */
enum ikev2_encr {
	IKEV2_ENCR_NULL = 11,
	IKEV2_ENCR_AES_CBC = 12,
	IKEV2_ENCR_AES_GCM_16 = 20,
	IKEV2_ENCR_CHACHA20_POLY1305 = 28,
};
enum ikev2_prf {
	IKEV2_PRF_HMAC_SHA1 = 2,
	IKEV2_PRF_HMAC_SHA2_256 = 5,
	IKEV2_PRF_HMAC_SHA2_384 = 6,
	IKEV2_PRF_HMAC_SHA2_512 = 7,
};
enum ikev2_integ {
	IKEV2_INTEG_NONE = 0,
	IKEV2_INTEG_HMAC_SHA1_96 = 2,
	IKEV2_INTEG_HMAC_SHA2_256_128 = 12,
	IKEV2_INTEG_HMAC_SHA2_384_192 = 13,
	IKEV2_INTEG_HMAC_SHA2_512_256 = 14,
};
enum ikev2_dh {
	IKEV2_DH_NONE = 0,
	IKEV2_DH_MODP1024 = 2,
	IKEV2_DH_MODP1536 = 5,
	IKEV2_DH_MODP2048 = 14,
	IKEV2_DH_MODP3072 = 15,
	IKEV2_DH_MODP4096 = 16,
	IKEV2_DH_ECP256 = 19,
	IKEV2_DH_ECP384 = 20,
	IKEV2_DH_ECP521 = 21,
	IKEV2_DH_X25519 = 31,
	IKEV2_DH_X448 = 32,
};
enum ikev2_esn { IKEV2_ESN_NO = 0, IKEV2_ESN_YES = 1 };

/* Identification types (3.5). */
enum ikev2_id_type {
	IKEV2_ID_IPV4_ADDR = 1,
	IKEV2_ID_FQDN = 2,
	IKEV2_ID_RFC822_ADDR = 3,
	IKEV2_ID_IPV6_ADDR = 5,
	IKEV2_ID_DER_ASN1_DN = 9,
	IKEV2_ID_KEY_ID = 11,
};

/* Name tables for proposal strings and log lines; "unknown" for ids they
 * do not know. */
const char *ike_encr_name(uint16_t id, uint16_t keybits); /* "aes128gcm16" */
const char *ike_prf_name(uint16_t id);                    /* "prfsha256" */
const char *ike_integ_name(uint16_t id);                  /* "sha256" */
const char *ike_dh_name(uint16_t id);                     /* "x25519" */
/* Non-zero for groups refused unless allowed (MODP below 2048 bits). */
int ike_dh_is_weak(uint16_t group);

/* Wipe that the compiler may not elide: for an embedder's copies of keys
 * (struct ike_child_info, PSKs in its configuration). */
void ike_wipe(void *p, size_t len);

#endif
