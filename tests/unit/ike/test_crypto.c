/* SPDX-License-Identifier: BSD-3-Clause */
/* Known-answer and property tests for ike/crypto/ike_crypto.c and ike/crypto/ike_dh.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/crypto/ike_crypto.h"
#include "ike/v2/ikev2_wire.h"
#include "tests/unit/test.h"

/* ---- memory, random ---- */

static void test_memeq_wipe_random(void)
{
	uint8_t a[32], b[32], z[32] = { 0 };

	CU_ASSERT_EQUAL(ike_random(a, sizeof(a)), 0);
	memcpy(b, a, sizeof(b));
	CU_ASSERT_TRUE(ike_memeq_ct(a, b, sizeof(a)));
	b[31] ^= 0x80;
	CU_ASSERT_FALSE(ike_memeq_ct(a, b, sizeof(a)));
	b[31] ^= 0x80;
	b[0] ^= 0x01;
	CU_ASSERT_FALSE(ike_memeq_ct(a, b, sizeof(a)));
	CU_ASSERT_TRUE(ike_memeq_ct(a, b, 0));
	ike_wipe(a, sizeof(a));
	CU_ASSERT_EQUAL(memcmp(a, z, sizeof(a)), 0);
	ike_wipe(NULL, 0);
	CU_ASSERT_EQUAL(ike_random(b, 0), 0);
}

/* ---- PRF ---- */

struct hmac_kat {
	uint16_t prf;
	const char *key;  /* hex */
	const char *data; /* ASCII */
	const char *mac;  /* hex */
};

/* 131 bytes of 0xaa */
#define LONG_KEY                                                           \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaa"
#define LONG_DATA "Test Using Larger Than Block-Size Key - Hash Key First"

/* RFC 4231 test cases 1, 2 and 6 (SHA-2), RFC 2202 test cases 1 and 2 (SHA-1). */
static const struct hmac_kat hmac_kats[] = {
	{ IKEV2_PRF_HMAC_SHA2_256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ IKEV2_PRF_HMAC_SHA2_384, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec6"
	  "82aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6" },
	{ IKEV2_PRF_HMAC_SHA2_512, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
	{ IKEV2_PRF_HMAC_SHA2_256, "4a656665", "what do ya want for nothing?",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ IKEV2_PRF_HMAC_SHA2_384, "4a656665", "what do ya want for nothing?",
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47"
	  "e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649" },
	{ IKEV2_PRF_HMAC_SHA2_512, "4a656665", "what do ya want for nothing?",
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	{ IKEV2_PRF_HMAC_SHA1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ IKEV2_PRF_HMAC_SHA1, "4a656665", "what do ya want for nothing?",
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	/* RFC 4231 case 6: a key longer than the block is hashed first (SHA-1
	 * value from python3 hmac, the RFC has no SHA-1 row for it) */
	{ IKEV2_PRF_HMAC_SHA2_256, LONG_KEY, LONG_DATA,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ IKEV2_PRF_HMAC_SHA2_384, LONG_KEY, LONG_DATA,
	  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f"
	  "3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952" },
	{ IKEV2_PRF_HMAC_SHA2_512, LONG_KEY, LONG_DATA,
	  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
	{ IKEV2_PRF_HMAC_SHA1, LONG_KEY, LONG_DATA, "90d0dace1c1bdc957339307803160335bde6df2b" },
};

static void test_hmac_kat(void)
{
	for (size_t i = 0; i < sizeof(hmac_kats) / sizeof(hmac_kats[0]); i++) {
		const struct hmac_kat *k = &hmac_kats[i];
		uint8_t key[160], out[IKE_MAX_PRF_LEN];
		size_t klen = test_unhex(k->key, key, sizeof(key));

		CU_ASSERT_TRUE(klen > 0);

		CU_ASSERT_EQUAL(ike_prf(k->prf, key, klen, (const uint8_t *)k->data,
					strlen(k->data), out),
				0);
		CU_ASSERT_TRUE(test_eq_hex(out, ike_prf_len(k->prf), k->mac));
	}
}

static void test_prf_misc(void)
{
	static const uint8_t key[] = "key";
	static const uint8_t all[] = "abcdefghij";
	const uint8_t *const parts[4] = { all, all + 3, all + 3, all + 7 };
	const size_t lens[4] = { 3, 0, 4, 3 };
	const uint8_t *const cut[4] = { all, NULL, all + 3, all + 7 };
	uint8_t a[IKE_MAX_PRF_LEN], b[IKE_MAX_PRF_LEN];

	CU_ASSERT_EQUAL(ike_prf_len(IKEV2_PRF_HMAC_SHA1), 20);
	CU_ASSERT_EQUAL(ike_prf_len(IKEV2_PRF_HMAC_SHA2_256), 32);
	CU_ASSERT_EQUAL(ike_prf_len(IKEV2_PRF_HMAC_SHA2_384), 48);
	CU_ASSERT_EQUAL(ike_prf_len(IKEV2_PRF_HMAC_SHA2_512), 64);
	CU_ASSERT_EQUAL(ike_prf_len(99), 0);
	CU_ASSERT_EQUAL(ike_prf(99, key, 3, all, 10, a), -EINVAL);

	/* Pieces (one of them empty) give the same MAC as the concatenation. */
	CU_ASSERT_EQUAL(ike_prf(IKEV2_PRF_HMAC_SHA2_256, key, 3, all, 10, a), 0);
	CU_ASSERT_EQUAL(ike_prf_v(IKEV2_PRF_HMAC_SHA2_256, key, 3, parts, lens, 4, b), 0);
	CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);
	/* A NULL piece ends the list. */
	CU_ASSERT_EQUAL(ike_prf(IKEV2_PRF_HMAC_SHA2_256, key, 3, all, 3, a), 0);
	CU_ASSERT_EQUAL(ike_prf_v(IKEV2_PRF_HMAC_SHA2_256, key, 3, cut, lens, 4, b), 0);
	CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);
	/* Empty key is a valid HMAC key (RFC 2104 pads it with zeros). */
	CU_ASSERT_EQUAL(ike_prf(IKEV2_PRF_HMAC_SHA2_256, NULL, 0, all, 10, a), 0);
	/* python3: hmac.new(b"", b"abcdefghij", hashlib.sha256).hexdigest() */
	CU_ASSERT_TRUE(test_eq_hex(a, 32,
				   "daf1d400bf265da5a4e607613b34b2bc"
				   "345e8c2337f48f6780363a890a0a4a7d"));
}

/* Expected values produced once with an independent implementation in
 * python3 (hmac/hashlib):
 *   def prfplus(d, k, s, n):
 *       out = t = b""; i = 1
 *       while len(out) < n:
 *           t = hmac.new(k, t + s + bytes([i]), d).digest(); out += t; i += 1
 *       return out[:n]
 *   s = b"prf+ seed: Ni | Nr | SPIi | SPIr"
 *   prfplus(hashlib.sha256, bytes(range(32)), s, 100).hex()
 *   prfplus(hashlib.sha512, b"Jefe", s, 130).hex() */
static void test_prf_plus(void)
{
	static const char seed[] = "prf+ seed: Ni | Nr | SPIi | SPIr";
	uint8_t key[32], out[255 * 32 + 1];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(ike_prf_plus(IKEV2_PRF_HMAC_SHA2_256, key, 32, (const uint8_t *)seed,
				     strlen(seed), out, 100),
			0);
	CU_ASSERT_TRUE(
		test_eq_hex(out, 100,
			    "86bcef72495d5d4a88b06aaa1872e77de880d015261f1d77dea0cc40a13b9212"
			    "507e037b7e3d8fba75e9ff8ee46cbaa4c5353985b52bd0d69af11b7a6f538e04"
			    "fbdd2e5bac3c9876718277623721ebfb599ea8ff9dfe7478137fee383d656620"
			    "b7f693b6"));
	CU_ASSERT_EQUAL(ike_prf_plus(IKEV2_PRF_HMAC_SHA2_512, (const uint8_t *)"Jefe", 4,
				     (const uint8_t *)seed, strlen(seed), out, 130),
			0);
	CU_ASSERT_TRUE(
		test_eq_hex(out, 130,
			    "5b8b7b58c325853ecaa10320d3cf8593485d7f8ffa03d7e175b675bc25f63445"
			    "42be9df3d34f293ae542d3b0945623ccbe9e07f8897df11e54586f2732cb5753"
			    "c568b1c1555187221b70eaa7e026fe1348c9f21a132821387e600124122d4c62"
			    "afd047f02aaef3268a63339ccede3bd067c1fadd39c555941110e661ec0ba611"
			    "7891"));
	/* 255 blocks is the most prf+ can produce. */
	CU_ASSERT_EQUAL(ike_prf_plus(IKEV2_PRF_HMAC_SHA2_256, key, 32, NULL, 0, out, 255 * 32), 0);
	CU_ASSERT_EQUAL(ike_prf_plus(IKEV2_PRF_HMAC_SHA2_256, key, 32, NULL, 0, out, 255 * 32 + 1),
			-EINVAL);
	CU_ASSERT_EQUAL(ike_prf_plus(99, key, 32, NULL, 0, out, 32), -EINVAL);
}

/* ---- integrity ---- */

/* RFC 4868 2.7.2 test cases AUTH256-1, AUTH384-1, AUTH512-1 (key 0x0b
 * repeated, "Hi There"); HMAC-SHA1-96 is RFC 2202 case 1 truncated (RFC 2404). */
static void test_integ_kat(void)
{
	static const struct {
		uint16_t id;
		size_t keylen, icvlen;
		const char *icv;
	} kats[] = {
		{ IKEV2_INTEG_HMAC_SHA1_96, 20, 12, "b617318655057264e28bc0b6" },
		{ IKEV2_INTEG_HMAC_SHA2_256_128, 32, 16, "198a607eb44bfbc69903a0f1cf2bbdc5" },
		{ IKEV2_INTEG_HMAC_SHA2_384_192, 48, 24,
		  "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973" },
		{ IKEV2_INTEG_HMAC_SHA2_512_256, 64, 32,
		  "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8" },
	};
	uint8_t key[64], icv[IKE_MAX_PRF_LEN];

	memset(key, 0x0b, sizeof(key));
	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		CU_ASSERT_EQUAL(ike_integ_keylen(kats[i].id), kats[i].keylen);
		CU_ASSERT_EQUAL(ike_integ_icvlen(kats[i].id), kats[i].icvlen);
		memset(icv, 0xee, sizeof(icv));
		CU_ASSERT_EQUAL(ike_integ(kats[i].id, key, kats[i].keylen,
					  (const uint8_t *)"Hi There", 8, icv),
				0);
		CU_ASSERT_TRUE(test_eq_hex(icv, kats[i].icvlen, kats[i].icv));
		CU_ASSERT_EQUAL(icv[kats[i].icvlen], 0xee); /* writes icvlen only */
		CU_ASSERT_EQUAL(ike_integ(kats[i].id, key, kats[i].keylen - 1,
					  (const uint8_t *)"Hi There", 8, icv),
				-EINVAL);
	}
	CU_ASSERT_EQUAL(ike_integ_keylen(IKEV2_INTEG_NONE), 0);
	CU_ASSERT_EQUAL(ike_integ_icvlen(99), 0);
	CU_ASSERT_EQUAL(ike_integ(99, key, 32, key, 8, icv), -EINVAL);
}

/* ---- encryption ---- */

static void test_encr_info(void)
{
	struct ike_encr_info ei;

	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_AES_CBC, 192, &ei), 0);
	CU_ASSERT(ei.id == IKEV2_ENCR_AES_CBC && ei.keybits == 192 && ei.keylen == 24 &&
		  ei.saltlen == 0 && ei.ivlen == 16 && ei.blocklen == 16 && ei.icvlen == 0 &&
		  !ei.aead);
	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_AES_GCM_16, 256, &ei), 0);
	CU_ASSERT(ei.keybits == 256 && ei.keylen == 36 && ei.saltlen == 4 && ei.ivlen == 8 &&
		  ei.blocklen == 1 && ei.icvlen == 16 && ei.aead);
	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_AES_GCM_16, 128, &ei), 0);
	CU_ASSERT_EQUAL(ei.keylen, 20);
	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_CHACHA20_POLY1305, 0, &ei), 0);
	CU_ASSERT(ei.keybits == 256 && ei.keylen == 36 && ei.saltlen == 4 && ei.ivlen == 8 &&
		  ei.blocklen == 1 && ei.icvlen == 16 && ei.aead);
	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_CHACHA20_POLY1305, 256, &ei), 0);
	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_CHACHA20_POLY1305, 128, &ei), -EINVAL);
	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_AES_CBC, 0, &ei), -EINVAL);
	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_AES_GCM_16, 160, &ei), -EINVAL);
	CU_ASSERT_EQUAL(ike_encr_info(IKEV2_ENCR_NULL, 0, &ei), -EINVAL);
	CU_ASSERT_EQUAL(ike_encr_info(3, 0, &ei), -EINVAL);
}

/* Encrypts pt, compares with ct||tag, decrypts back, then checks that a
 * flipped tag bit and a flipped ciphertext bit are refused. */
static void check_aead(uint16_t id, uint16_t keybits, const char *key_hex, const char *nonce_hex,
		       const char *aad_hex, const char *pt_hex, const char *ct_hex,
		       const char *tag_hex)
{
	uint8_t key[36], nonce[12], aad[32], pt[128], ct[128], out[128], tag[16];
	size_t klen = test_unhex(key_hex, key, sizeof(key));
	size_t aadlen = test_unhex(aad_hex, aad, sizeof(aad));
	size_t len = test_unhex(pt_hex, pt, sizeof(pt));
	struct ike_encr_info ei;

	CU_ASSERT_FATAL(ike_encr_info(id, keybits, &ei) == 0);
	/* Key material is key || salt; the 12-byte nonce is salt || iv. */
	CU_ASSERT_FATAL(test_unhex(nonce_hex, nonce, sizeof(nonce)) == 12);
	memcpy(key + klen, nonce, 4);
	CU_ASSERT_FATAL(klen + 4 == ei.keylen);
	CU_ASSERT_EQUAL(ike_aead_encrypt(&ei, key, nonce + 4, aad, aadlen, pt, len, ct, tag), 0);
	CU_ASSERT_TRUE(test_eq_hex(ct, len, ct_hex));
	CU_ASSERT_TRUE(test_eq_hex(tag, 16, tag_hex));
	CU_ASSERT_EQUAL(ike_aead_decrypt(&ei, key, nonce + 4, aad, aadlen, ct, len, tag, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, pt, len), 0);
	/* In place. */
	memcpy(out, ct, len);
	CU_ASSERT_EQUAL(ike_aead_decrypt(&ei, key, nonce + 4, aad, aadlen, out, len, tag, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, pt, len), 0);

	tag[15] ^= 0x01;
	CU_ASSERT_EQUAL(ike_aead_decrypt(&ei, key, nonce + 4, aad, aadlen, ct, len, tag, out),
			-EBADMSG);
	tag[15] ^= 0x01;
	ct[0] ^= 0x80;
	CU_ASSERT_EQUAL(ike_aead_decrypt(&ei, key, nonce + 4, aad, aadlen, ct, len, tag, out),
			-EBADMSG);
	for (size_t i = 0; i < len; i++) /* unauthenticated plaintext is wiped */
		CU_ASSERT_EQUAL_FATAL(out[i], 0);
	ct[0] ^= 0x80;
	if (aadlen > 0) {
		aad[0] ^= 1;
		CU_ASSERT_EQUAL(ike_aead_decrypt(&ei, key, nonce + 4, aad, aadlen, ct, len, tag,
						 out),
				-EBADMSG);
	}
	/* CBC entry points refuse an AEAD descriptor. */
	CU_ASSERT_EQUAL(ike_cbc_encrypt(&ei, key, nonce, pt, 16, out), -EINVAL);
}

#define GCM_K  "feffe9928665731c6d6a8f9467308308"
#define GCM_IV "cafebabefacedbaddecaf888"
#define GCM_A  "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM_P60                                                            \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"

/* McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 3, 4,
 * 10 and 16 (AES-128 without and with AAD, AES-192, AES-256). */
static void test_aes_gcm_kat(void)
{
	check_aead(IKEV2_ENCR_AES_GCM_16, 128, GCM_K, GCM_IV, "", GCM_P60 "1aafd255",
		   "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
		   "4d5c2af327cd64a62cf35abd2ba6fab4");
	check_aead(IKEV2_ENCR_AES_GCM_16, 128, GCM_K, GCM_IV, GCM_A, GCM_P60,
		   "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		   "5bc94fbc3221a5db94fae95ae7121a47");
	check_aead(IKEV2_ENCR_AES_GCM_16, 192, GCM_K "feffe9928665731c", GCM_IV, GCM_A, GCM_P60,
		   "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
		   "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
		   "2519498e80f1478f37ba55bd6d27618c");
	check_aead(IKEV2_ENCR_AES_GCM_16, 256, GCM_K GCM_K, GCM_IV, GCM_A, GCM_P60,
		   "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		   "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		   "76fc6ece0f4e1768cddf8853bb2d551b");
}

/* RFC 7539 section 2.8.2: the 12-byte nonce 07000000 4041424344454647 is
 * salt (07000000) || iv (4041424344454647) in RFC 7634 terms. */
static void test_chacha20_poly1305_kat(void)
{
	static const char sunscreen[] =
		"Ladies and Gentlemen of the class of '99: If I could "
		"offer you only one tip for the future, sunscreen would be it.";
	char pt_hex[2 * sizeof(sunscreen) + 1];

	for (size_t i = 0; i < strlen(sunscreen); i++)
		snprintf(pt_hex + 2 * i, 3, "%02x", (unsigned char)sunscreen[i]);
	check_aead(IKEV2_ENCR_CHACHA20_POLY1305, 0,
		   "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
		   "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7", pt_hex,
		   "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		   "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		   "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		   "3ff4def08e4b7a9de576d26586cec64b6116",
		   "1ae10b594f09e26a7e902ecbd0600691");
}

static void test_aead_edge(void)
{
	uint8_t key[36] = { 1 }, iv[8] = { 2 }, tag[16], out[1];
	struct ike_encr_info ei;

	/* Empty plaintext: the tag still authenticates the AAD. */
	CU_ASSERT_FATAL(ike_encr_info(IKEV2_ENCR_AES_GCM_16, 256, &ei) == 0);
	CU_ASSERT_EQUAL(ike_aead_encrypt(&ei, key, iv, key, 8, NULL, 0, NULL, tag), 0);
	CU_ASSERT_EQUAL(ike_aead_decrypt(&ei, key, iv, key, 8, NULL, 0, tag, out), 0);
	key[0] ^= 1;
	CU_ASSERT_EQUAL(ike_aead_decrypt(&ei, key, iv, key, 8, NULL, 0, tag, out), -EBADMSG);
	/* An inconsistent descriptor is refused. */
	ei.keylen = 32;
	CU_ASSERT_EQUAL(ike_aead_encrypt(&ei, key, iv, NULL, 0, NULL, 0, NULL, tag), -EINVAL);
}

/* NIST SP 800-38A F.2.1, F.2.3, F.2.5 (CBC-AES128/192/256.Encrypt). */
static void test_aes_cbc_kat(void)
{
	static const struct {
		uint16_t bits;
		const char *key, *ct;
	} kats[] = {
		{ 128, "2b7e151628aed2a6abf7158809cf4f3c",
		  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
		  "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
		{ 192, "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
		  "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
		  "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd" },
		{ 256, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
		  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
		  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" },
	};
	static const char pt_hex[] =
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
	uint8_t key[32], iv[16], pt[64], buf[64];
	struct ike_encr_info ei;

	for (unsigned i = 0; i < 16; i++)
		iv[i] = (uint8_t)i;
	CU_ASSERT_FATAL(test_unhex(pt_hex, pt, sizeof(pt)) == 64);
	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		CU_ASSERT_FATAL(ike_encr_info(IKEV2_ENCR_AES_CBC, kats[i].bits, &ei) == 0);
		CU_ASSERT_FATAL(test_unhex(kats[i].key, key, sizeof(key)) == ei.keylen);
		CU_ASSERT_EQUAL(ike_cbc_encrypt(&ei, key, iv, pt, 64, buf), 0);
		CU_ASSERT_TRUE(test_eq_hex(buf, 64, kats[i].ct));
		/* In place, both directions. */
		CU_ASSERT_EQUAL(ike_cbc_decrypt(&ei, key, iv, buf, 64, buf), 0);
		CU_ASSERT_EQUAL(memcmp(buf, pt, 64), 0);
		CU_ASSERT_EQUAL(ike_cbc_encrypt(&ei, key, iv, buf, 64, buf), 0);
		CU_ASSERT_TRUE(test_eq_hex(buf, 64, kats[i].ct));
		CU_ASSERT_EQUAL(ike_cbc_encrypt(&ei, key, iv, pt, 15, buf), -EINVAL);
		CU_ASSERT_EQUAL(ike_cbc_decrypt(&ei, key, iv, pt, 17, buf), -EINVAL);
		CU_ASSERT_EQUAL(ike_aead_encrypt(&ei, key, iv, NULL, 0, pt, 16, buf, iv), -EINVAL);
	}
}

/* ---- Diffie-Hellman ---- */

static const struct {
	uint16_t group;
	size_t publen, seclen;
} dh_groups[] = {
	{ IKEV2_DH_MODP2048, 256, 256 }, { IKEV2_DH_MODP3072, 384, 384 },
	{ IKEV2_DH_MODP4096, 512, 512 }, { IKEV2_DH_ECP256, 64, 32 },
	{ IKEV2_DH_ECP384, 96, 48 },     { IKEV2_DH_ECP521, 132, 66 },
	{ IKEV2_DH_X25519, 32, 32 },     { IKEV2_DH_X448, 56, 56 },
};

static void test_dh_agree(void)
{
	for (size_t i = 0; i < sizeof(dh_groups) / sizeof(dh_groups[0]); i++) {
		uint16_t grp = dh_groups[i].group;
		uint8_t pa[IKE_MAX_DH_PUB], pb[IKE_MAX_DH_PUB];
		uint8_t sa[IKE_MAX_DH_SHARED], sb[IKE_MAX_DH_SHARED];
		size_t la = sizeof(sa), lb = sizeof(sb), publen = dh_groups[i].publen;
		struct ike_dh *a = ike_dh_new(grp), *b = ike_dh_new(grp);

		CU_ASSERT_EQUAL(ike_dh_publen(grp), publen);
		CU_ASSERT_FALSE(ike_dh_is_weak(grp));
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_EQUAL(ike_dh_group(a), grp);
		CU_ASSERT_EQUAL(ike_dh_pub(a, pa, sizeof(pa)), 0);
		CU_ASSERT_EQUAL(ike_dh_pub(b, pb, publen), 0);
		CU_ASSERT_EQUAL(ike_dh_pub(b, pb, publen - 1), -EINVAL);
		CU_ASSERT_NOT_EQUAL(memcmp(pa, pb, publen), 0);
		CU_ASSERT_EQUAL(ike_dh_shared(a, pb, publen, sa, &la), 0);
		CU_ASSERT_EQUAL(ike_dh_shared(b, pa, publen, sb, &lb), 0);
		CU_ASSERT_EQUAL(la, dh_groups[i].seclen);
		CU_ASSERT_EQUAL(lb, dh_groups[i].seclen);
		CU_ASSERT_EQUAL(memcmp(sa, sb, la), 0);
		/* Wrong lengths. */
		la = sizeof(sa);
		CU_ASSERT_EQUAL(ike_dh_shared(a, pb, publen - 1, sa, &la), -EBADMSG);
		CU_ASSERT_EQUAL(ike_dh_shared(a, pb, publen + 1, sa, &la), -EBADMSG);
		la = dh_groups[i].seclen - 1;
		CU_ASSERT_EQUAL(ike_dh_shared(a, pb, publen, sa, &la), -EINVAL);
		ike_dh_free(a);
		ike_dh_free(b);
	}
	CU_ASSERT_PTR_NULL(ike_dh_new(IKEV2_DH_MODP1024));
	CU_ASSERT_PTR_NULL(ike_dh_new(99));
	CU_ASSERT_EQUAL(ike_dh_publen(IKEV2_DH_MODP1024), 0);
	CU_ASSERT_TRUE(ike_dh_is_weak(IKEV2_DH_MODP1024));
	CU_ASSERT_TRUE(ike_dh_is_weak(IKEV2_DH_MODP1536));
	CU_ASSERT_FALSE(ike_dh_is_weak(IKEV2_DH_NONE));
	ike_dh_free(NULL);
}

/* Shared secret from dh with peer value peer, or the error. */
static int dh_try(struct ike_dh *dh, const uint8_t *peer, size_t len)
{
	uint8_t sec[IKE_MAX_DH_SHARED];
	size_t slen = sizeof(sec);

	return ike_dh_shared(dh, peer, len, sec, &slen);
}

/* RFC 3526 2048-bit MODP prime (checked against OpenSSL's "modp_2048"). */
static const char modp2048_p[] =
	"FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74"
	"020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437"
	"4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
	"EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05"
	"98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB"
	"9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
	"E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718"
	"3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

/* RFC 6989 2.1: 1 < y < p-1. */
static void test_dh_modp_reject(void)
{
	struct ike_dh *dh = ike_dh_new(IKEV2_DH_MODP2048);
	uint8_t y[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dh);
	memset(y, 0, sizeof(y));
	CU_ASSERT_EQUAL(dh_try(dh, y, 256), -EBADMSG); /* 0 */
	y[255] = 1;
	CU_ASSERT_EQUAL(dh_try(dh, y, 256), -EBADMSG); /* 1 */
	y[255] = 2;
	CU_ASSERT_EQUAL(dh_try(dh, y, 256), 0); /* 2 = g is fine */
	CU_ASSERT_FATAL(test_unhex(modp2048_p, y, sizeof(y)) == 256);
	CU_ASSERT_EQUAL(dh_try(dh, y, 256), -EBADMSG); /* p */
	y[255] -= 1;
	CU_ASSERT_EQUAL(dh_try(dh, y, 256), -EBADMSG); /* p-1 */
	memset(y, 0xff, sizeof(y));
	CU_ASSERT_EQUAL(dh_try(dh, y, 256), -EBADMSG); /* > p */
	ike_dh_free(dh);
}

/* RFC 6989 2.3: the point must be on the curve. */
static void test_dh_ecp_reject(void)
{
	static const uint16_t groups[] = { IKEV2_DH_ECP256, IKEV2_DH_ECP384, IKEV2_DH_ECP521 };

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct ike_dh *a = ike_dh_new(groups[i]), *b = ike_dh_new(groups[i]);
		size_t publen = ike_dh_publen(groups[i]);
		uint8_t pub[IKE_MAX_DH_PUB];

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_EQUAL(ike_dh_pub(b, pub, sizeof(pub)), 0);
		CU_ASSERT_EQUAL(dh_try(a, pub, publen), 0);
		pub[publen - 1] ^= 0x01; /* y off by one */
		CU_ASSERT_EQUAL(dh_try(a, pub, publen), -EBADMSG);
		pub[publen - 1] ^= 0x01;
		pub[publen / 2 - 1] ^= 0x01; /* x off by one */
		CU_ASSERT_EQUAL(dh_try(a, pub, publen), -EBADMSG);
		memset(pub, 0, publen);
		CU_ASSERT_EQUAL(dh_try(a, pub, publen), -EBADMSG);
		memset(pub, 0xff, publen); /* coordinates >= p */
		CU_ASSERT_EQUAL(dh_try(a, pub, publen), -EBADMSG);
		ike_dh_free(a);
		ike_dh_free(b);
	}
}

/* RFC 8031 2.3: a low-order peer value gives an all-zero secret, refused. */
static void test_dh_ecx_reject(void)
{
	struct ike_dh *x25519 = ike_dh_new(IKEV2_DH_X25519), *x448 = ike_dh_new(IKEV2_DH_X448);
	uint8_t u[56] = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(x25519);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x448);
	CU_ASSERT_EQUAL(dh_try(x25519, u, 32), -EBADMSG); /* u = 0 */
	CU_ASSERT_EQUAL(dh_try(x448, u, 56), -EBADMSG);
	u[0] = 1; /* u = 1, little-endian */
	CU_ASSERT_EQUAL(dh_try(x25519, u, 32), -EBADMSG);
	CU_ASSERT_EQUAL(dh_try(x448, u, 56), -EBADMSG);
	CU_ASSERT_EQUAL(dh_try(x25519, u, 31), -EBADMSG);
	CU_ASSERT_EQUAL(dh_try(x448, u, 32), -EBADMSG);
	ike_dh_free(x25519);
	ike_dh_free(x448);
}

static const struct test_case cases[] = {
	{ "memeq_wipe_random", test_memeq_wipe_random },
	{ "hmac_rfc4231_rfc2202", test_hmac_kat },
	{ "prf_misc", test_prf_misc },
	{ "prf_plus", test_prf_plus },
	{ "integ_rfc4868", test_integ_kat },
	{ "encr_info", test_encr_info },
	{ "aes_gcm_kat", test_aes_gcm_kat },
	{ "chacha20_poly1305_rfc7539", test_chacha20_poly1305_kat },
	{ "aead_edge", test_aead_edge },
	{ "aes_cbc_sp800_38a", test_aes_cbc_kat },
	{ "dh_agree", test_dh_agree },
	{ "dh_modp_reject", test_dh_modp_reject },
	{ "dh_ecp_reject", test_dh_ecp_reject },
	{ "dh_ecx_reject", test_dh_ecx_reject },
	{ NULL, NULL },
};
TEST_SUITE(crypto, cases)
