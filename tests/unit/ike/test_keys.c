/* SPDX-License-Identifier: BSD-3-Clause */
/* Key derivation (ike/v2/ikev2_keys.c) against vectors computed independently
 * of the engine, with Python's hmac/hashlib (script below; run it with
 * python3 and paste its output into the tables of this file).
 *
 * Inputs, byte i of each (the C fill() calls below spell the same thing):
 *   Ni = i, Nr = 0x80+i, g^ir = 0xa0+i                 (32 bytes each)
 *   rekey: Ni = 0x40+i, Nr = 0xc0+i, g^ir = 0x10+i     (32 bytes each)
 *   child: SK_d = 0x55^i, Ni = 0x30+i, Nr = 0x60+i, g^ir (PFS) = 0xe0^i
 *   AUTH: SK_pi = 0x11*(i%15+1) & 0xff, SK_pr = 7i+3,
 *         IKE_SA_INIT request = 13i+1 (64 bytes), response = 29i+5 (72 bytes)
 *
 * ---- 8< ---- vectors.py
 * import hashlib, hmac, struct
 *
 * def prf(h, k, d): return hmac.new(k, d, h).digest()
 * def prfplus(h, k, s, n):
 *     out, t, i = b"", b"", 1
 *     while len(out) < n:
 *         t = prf(h, k, t + s + bytes([i])); out += t; i += 1
 *     return out[:n]
 * def split(km, sizes):
 *     r, o = [], 0
 *     for s in sizes: r.append(km[o:o + s]); o += s
 *     return r
 * def hx(b): return b.hex()
 *
 * NI = bytes(range(0x00, 0x20)); NR = bytes(0x80 + i for i in range(32))
 * SPII = bytes.fromhex("0102030405060708"); SPIR = bytes.fromhex("1112131415161718")
 * GIR = bytes(0xa0 + i for i in range(32))
 * S256, S384 = hashlib.sha256, hashlib.sha384
 *
 * def ike_keys(h, pl, il, el, ni, nr, spii, spir, skeyseed):
 *     km = prfplus(h, skeyseed, ni + nr + spii + spir, 3 * pl + 2 * il + 2 * el)
 *     return split(km, [pl, il, il, el, el, pl, pl])
 *
 * names = ["sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"]
 * # (a1) aes128gcm16 / prfsha256: SK_d 32, SK_a* 0, SK_e* 16+4 salt, SK_p* 32
 * ss = prf(S256, NI + NR, GIR)
 * a1 = ike_keys(S256, 32, 0, 20, NI, NR, SPII, SPIR, ss)
 * print("a1 SKEYSEED", hx(ss))
 * for n, v in zip(names, a1): print("a1", n, hx(v))
 * # (a2) aes256 (CBC) / sha256-128 / prfsha256: SK_a* 32, SK_e* 32
 * a2 = ike_keys(S256, 32, 32, 32, NI, NR, SPII, SPIR, ss)
 * for n, v in zip(names, a2): print("a2", n, hx(v))
 * # (b) rekey of a1: SKEYSEED = prf_old(SK_d old, g^ir new | Ni | Nr); new SA
 * # aes256gcm16 / prfsha384 (the new PRF drives prf+), and a same-PRF case.
 * NI2 = bytes(0x40 + i for i in range(32)); NR2 = bytes(0xc0 + i for i in range(32))
 * SPII2 = bytes.fromhex("2122232425262728"); SPIR2 = bytes.fromhex("3132333435363738")
 * GIR2 = bytes(0x10 + i for i in range(32))
 * ss2 = prf(S256, a1[0], GIR2 + NI2 + NR2)
 * print("b SKEYSEED", hx(ss2))
 * b384 = ike_keys(S384, 48, 0, 36, NI2, NR2, SPII2, SPIR2, ss2)
 * for n, v in zip(names, b384): print("b384", n, hx(v))
 * b256 = ike_keys(S256, 32, 0, 20, NI2, NR2, SPII2, SPIR2, ss2)
 * for n, v in zip(names, b256): print("b256", n, hx(v))
 * # (c) CHILD keys: KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr), order encr_i integ_i encr_r integ_r
 * SKD = bytes(0x55 ^ i for i in range(32))
 * CNI = bytes(0x30 + i for i in range(32)); CNR = bytes(0x60 + i for i in range(32))
 * CGIR = bytes(0xe0 ^ i for i in range(32))
 * km = prfplus(S256, SKD, CNI + CNR, 2 * (32 + 32))
 * for n, v in zip(["ei", "ii", "er", "ir"], split(km, [32, 32, 32, 32])): print("c_cbc", n, hx(v))
 * km = prfplus(S256, SKD, CGIR + CNI + CNR, 2 * (32 + 32))
 * for n, v in zip(["ei", "ii", "er", "ir"], split(km, [32, 32, 32, 32])): print("c_cbc_pfs", n, hx(v))
 * km = prfplus(S256, SKD, CNI + CNR, 2 * 20)
 * for n, v in zip(["ei", "er"], split(km, [20, 20])): print("c_gcm", n, hx(v))
 * # (d) PSK AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | Nonce | prf(SK_p, IDbody))
 * PSK = b"secret-psk-123"
 * SKPI = bytes(0x11 * (i % 15 + 1) & 0xff for i in range(32)); SKPR = bytes((7 * i + 3) & 0xff for i in range(32))
 * MSG1 = bytes((i * 13 + 1) & 0xff for i in range(64)); MSG2 = bytes((i * 29 + 5) & 0xff for i in range(72))
 * IDI = bytes([2, 0, 0, 0]) + b"a.example"; IDR = bytes([2, 0, 0, 0]) + b"b.example"
 * key = prf(S256, PSK, b"Key Pad for IKEv2")
 * print("d auth_i", hx(prf(S256, key, MSG1 + NR + prf(S256, SKPI, IDI))))
 * print("d auth_r", hx(prf(S256, key, MSG2 + NI + prf(S256, SKPR, IDR))))
 * # (e) NAT-D = SHA1(SPIi | SPIr | IP | Port)
 * print("e natd4", hx(hashlib.sha1(SPII + SPIR + bytes([192, 0, 2, 1]) + struct.pack(">H", 500)).digest()))
 * print("e natd6", hx(hashlib.sha1(SPII + SPIR + bytes.fromhex("20010db8000000000000000000000001") + struct.pack(">H", 4500)).digest()))
 * # (b) rekey from an IKE SA with prfsha384 (aes256gcm16) into aes128gcm16/prfsha256:
 * # the 48-byte SKEYSEED is the prf+ key in full.
 * o384 = ike_keys(S384, 48, 0, 36, NI, NR, SPII, SPIR, prf(S384, NI + NR, GIR))
 * print("o384 sk_d", hx(o384[0]))
 * ss3 = prf(S384, o384[0], GIR2 + NI2 + NR2)
 * b_from384 = ike_keys(S256, 32, 0, 20, NI2, NR2, SPII2, SPIR2, ss3)
 * for n, v in zip(names, b_from384): print("bfrom384", n, hx(v))
 * ---- >8 ----
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"
#include "tests/unit/test.h"

/* out[i] = (mul * i + add) ^ xor, the patterns of the script above. */
static void fill(uint8_t *out, size_t n, unsigned mul, unsigned add, unsigned xr)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(((mul * i + add) ^ xr) & 0xff);
}

#define SPI_I  0x0102030405060708ull
#define SPI_R  0x1112131415161718ull
#define SPI_I2 0x2122232425262728ull
#define SPI_R2 0x3132333435363738ull

struct ike_kat {
	const char *sk_d, *sk_ai, *sk_ar, *sk_ei, *sk_er, *sk_pi, *sk_pr;
};

static const struct ike_kat kat_a1 = {
	/* aes128gcm16 / prfsha256 */
	.sk_d = "4b8e3c382572ee279a51d78da4a8fe9225bd267ffc1c2928f78531b7aa01bcad",
	.sk_ai = "",
	.sk_ar = "",
	.sk_ei = "2b8fb1fb30621efc600a5da1595a0d6d11d02669",
	.sk_er = "bffbb2e456b0c65cc7cdc9ae736678b7d151d663",
	.sk_pi = "5e9fde0483e19e9ce9df0808cccbdcdb15f4fec8a6cb87851623aff4bf39be69",
	.sk_pr = "5fd37ea202609e4c5076540fd0326645d902050f466407f706fc496dbcd67d2c",
};

static const struct ike_kat kat_a2 = {
	/* aes256 / sha256 (-128) / prfsha256 */
	.sk_d = "4b8e3c382572ee279a51d78da4a8fe9225bd267ffc1c2928f78531b7aa01bcad",
	.sk_ai = "2b8fb1fb30621efc600a5da1595a0d6d11d02669bffbb2e456b0c65cc7cdc9ae",
	.sk_ar = "736678b7d151d6635e9fde0483e19e9ce9df0808cccbdcdb15f4fec8a6cb8785",
	.sk_ei = "1623aff4bf39be695fd37ea202609e4c5076540fd0326645d902050f466407f7",
	.sk_er = "06fc496dbcd67d2ce1f48ef1ca393439bb3a5cba492f07b6a93273a1037bf3c4",
	.sk_pi = "b75246b38cddd1b805c54b1f1163e5ade2aa14581dbfe0de873d74b8346b5f76",
	.sk_pr = "1e552ed9e9301bd72082097738261b5b49b275ad111a95adcab5be4abfbfe440",
};

/* Rekey of a1 (SKEYSEED with the old prfsha256) into aes256gcm16/prfsha384. */
static const struct ike_kat kat_b384 = {
	.sk_d = "81a479de4002ec8e19d15e80b9385e448e7432b659b6dcddcde27041c41f160f"
		"02645ee688630a8d9ce17e7da1ea107c",
	.sk_ai = "",
	.sk_ar = "",
	.sk_ei = "00c0a6bd7851f094fa73aad29f02a5f19c641fc8124416c1cde285c4f286520d4282213b",
	.sk_er = "a08c46e7c09c7c809d5b0606779d87acd0dad32fa5d6dacd3fccdbaad291d2f1d2b5083e",
	.sk_pi = "8b7abfcd31fbe632c85c6b6fb6241d8749aa0576e493e31194df022776a13916"
		 "92300ff02711285276e364716b48c882",
	.sk_pr = "db2d5de5de0de07f587e989a52a026f63e602a78cd32887c9b35d3e679ab0c62"
		 "5a8658bfe9c4b41a5b28f10d35f4ceab",
};

/* Rekey of a1 into the same algorithms (aes128gcm16/prfsha256). */
static const struct ike_kat kat_b256 = {
	.sk_d = "dc2b8ce925a431d061d5b1c574106659f22b6f6eb9f19a11c0b5b23a656ac40f",
	.sk_ai = "",
	.sk_ar = "",
	.sk_ei = "f1e9f0faaea815f0502784a38c5d701420ffcff7",
	.sk_er = "fc2635a3bfd9c29d26754b7d5a04c7a569c6f243",
	.sk_pi = "aba4b15ed506f32ed084578f55e06a64d78e2a534eae59b9388a2a0693ccbc73",
	.sk_pr = "d2c6a6f92f1680747f69f56af44f68c9fd0d6f5f723e222be7a08a1423c5d272",
};

/* Rekey of an aes256gcm16/prfsha384 SA into aes128gcm16/prfsha256: the old
 * PRF's 48-byte SKEYSEED keys the new PRF's prf+. */
static const struct ike_kat kat_b_from384 = {
	.sk_d = "3af0d8bbc87fce0737754551d1c91543aa109f874a31cc8c5763e47574359345",
	.sk_ai = "",
	.sk_ar = "",
	.sk_ei = "ad28c2907d23dcce3c6c0cfd8942b0f74c56a38c",
	.sk_er = "63e811065e6ea0b66f11ddcc1b54dbd20cbf80d6",
	.sk_pi = "eefd70bc6c2a5eab47cb0ba138730afb6c2266323434e23f17dc1fdbb0213530",
	.sk_pr = "9f1cc1a550b1976d902dfa0e83a3740154b6a8113cb35a1ae1b7151f68e7d53c",
};
static const char o384_sk_d[] = "5d6165a58ae4fce2026f60d3792dab8e1b9adc14b14bc33e3fd763979e4e14ba"
				"7a4391cb78f67640f086d71395a427d8";

static void check_ike_keys(const struct ike_sa *sa, const struct ike_kat *k, size_t prf_len,
			   size_t integ_len, size_t encr_len)
{
	CU_ASSERT_EQUAL(sa->prf_len, prf_len);
	CU_ASSERT_EQUAL(sa->integ_len, integ_len);
	CU_ASSERT_EQUAL(sa->ei.keylen, encr_len);
	CU_ASSERT_TRUE(test_eq_hex(sa->sk_d, prf_len, k->sk_d));
	CU_ASSERT_TRUE(test_eq_hex(sa->sk_ai, integ_len, k->sk_ai));
	CU_ASSERT_TRUE(test_eq_hex(sa->sk_ar, integ_len, k->sk_ar));
	CU_ASSERT_TRUE(test_eq_hex(sa->sk_ei, encr_len, k->sk_ei));
	CU_ASSERT_TRUE(test_eq_hex(sa->sk_er, encr_len, k->sk_er));
	CU_ASSERT_TRUE(test_eq_hex(sa->sk_pi, prf_len, k->sk_pi));
	CU_ASSERT_TRUE(test_eq_hex(sa->sk_pr, prf_len, k->sk_pr));
}

/* An SA as ike_sa_new() makes it: negotiation state attached. */
static struct ike_sa *sa_alloc(void)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (sa) {
		sa->nego = calloc(1, sizeof(*sa->nego));
		sa->ni = sa->nego->ni;
		sa->nr = sa->nego->nr;
		sa->cookie = sa->nego->cookie;
	}
	return sa;
}

static void sa_release(struct ike_sa *sa)
{
	if (sa)
		free(sa->nego);
	free(sa);
}

/* An SA with the initial exchange's nonces and SPIs. */
static struct ike_sa *sa_initial(uint16_t encr, uint16_t keybits, uint16_t integ, uint16_t prf)
{
	struct ike_sa *sa = sa_alloc();

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	sa->algs.encr = encr;
	sa->algs.encr_keybits = keybits;
	sa->algs.integ = integ;
	sa->algs.prf = prf;
	sa->spi_i = SPI_I;
	sa->spi_r = SPI_R;
	fill(sa->ni, 32, 1, 0x00, 0);
	fill(sa->nr, 32, 1, 0x80, 0);
	sa->ni_len = sa->nr_len = 32;
	return sa;
}

static void test_ike_keys_initial(void)
{
	uint8_t gir[32];
	struct ike_sa *sa;

	fill(gir, sizeof(gir), 1, 0xa0, 0);

	sa = sa_initial(IKEV2_ENCR_AES_GCM_16, 128, IKEV2_INTEG_NONE, IKEV2_PRF_HMAC_SHA2_256);
	CU_ASSERT_EQUAL(ikev2_derive_ike_keys(sa, gir, sizeof(gir), NULL), 0);
	check_ike_keys(sa, &kat_a1, 32, 0, 20);
	CU_ASSERT_TRUE(sa->ei.aead);
	CU_ASSERT_EQUAL(sa->icv_len, 16);
	sa_release(sa);

	sa = sa_initial(IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_256_128,
			IKEV2_PRF_HMAC_SHA2_256);
	CU_ASSERT_EQUAL(ikev2_derive_ike_keys(sa, gir, sizeof(gir), NULL), 0);
	check_ike_keys(sa, &kat_a2, 32, 32, 32);
	CU_ASSERT_FALSE(sa->ei.aead);
	CU_ASSERT_EQUAL(sa->icv_len, 16);
	sa_release(sa);
}

static void test_ike_keys_bad_algs(void)
{
	uint8_t gir[32] = { 0 };
	struct ike_sa *sa;

	/* CBC without integrity, unknown PRF, bad key size. */
	sa = sa_initial(IKEV2_ENCR_AES_CBC, 128, IKEV2_INTEG_NONE, IKEV2_PRF_HMAC_SHA2_256);
	CU_ASSERT_EQUAL(ikev2_derive_ike_keys(sa, gir, sizeof(gir), NULL), -EINVAL);
	sa_release(sa);
	sa = sa_initial(IKEV2_ENCR_AES_GCM_16, 128, IKEV2_INTEG_NONE, 99);
	CU_ASSERT_EQUAL(ikev2_derive_ike_keys(sa, gir, sizeof(gir), NULL), -EINVAL);
	sa_release(sa);
	sa = sa_initial(IKEV2_ENCR_AES_GCM_16, 100, IKEV2_INTEG_NONE, IKEV2_PRF_HMAC_SHA2_256);
	CU_ASSERT_EQUAL(ikev2_derive_ike_keys(sa, gir, sizeof(gir), NULL), -EINVAL);
	sa_release(sa);
}

/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF
 * (2.18); prf+ then runs with the new SA's PRF. */
static void rekey_case(bool old384, uint16_t encr, uint16_t keybits, uint16_t prf,
		       const struct ike_kat *k, size_t prf_len, size_t encr_len)
{
	uint8_t gir[32], gir2[32];
	struct ike_sa *old, *sa;

	fill(gir, sizeof(gir), 1, 0xa0, 0);
	fill(gir2, sizeof(gir2), 1, 0x10, 0);
	if (old384)
		old = sa_initial(IKEV2_ENCR_AES_GCM_16, 256, IKEV2_INTEG_NONE,
				 IKEV2_PRF_HMAC_SHA2_384);
	else
		old = sa_initial(IKEV2_ENCR_AES_GCM_16, 128, IKEV2_INTEG_NONE,
				 IKEV2_PRF_HMAC_SHA2_256);
	CU_ASSERT_EQUAL_FATAL(ikev2_derive_ike_keys(old, gir, sizeof(gir), NULL), 0);
	CU_ASSERT_EQUAL(old->prf_len, old384 ? 48 : 32);
	CU_ASSERT_TRUE(test_eq_hex(old->sk_d, old->prf_len, old384 ? o384_sk_d : kat_a1.sk_d));

	sa = sa_alloc();
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	sa->algs.encr = encr;
	sa->algs.encr_keybits = keybits;
	sa->algs.prf = prf;
	sa->spi_i = SPI_I2;
	sa->spi_r = SPI_R2;
	fill(sa->ni, 32, 1, 0x40, 0);
	fill(sa->nr, 32, 1, 0xc0, 0);
	sa->ni_len = sa->nr_len = 32;
	CU_ASSERT_EQUAL(ikev2_derive_ike_keys(sa, gir2, sizeof(gir2), old), 0);
	check_ike_keys(sa, k, prf_len, 0, encr_len);
	sa_release(sa);
	sa_release(old);
}

static void test_ike_keys_rekey(void)
{
	rekey_case(false, IKEV2_ENCR_AES_GCM_16, 128, IKEV2_PRF_HMAC_SHA2_256, &kat_b256, 32, 20);
	/* PRF changes in the rekey: SKEYSEED is as long as the old PRF's output. */
	rekey_case(false, IKEV2_ENCR_AES_GCM_16, 256, IKEV2_PRF_HMAC_SHA2_384, &kat_b384, 48, 36);
	rekey_case(true, IKEV2_ENCR_AES_GCM_16, 128, IKEV2_PRF_HMAC_SHA2_256, &kat_b_from384, 32,
		   20);
}

/* ---- CHILD SA keys (2.17) ---- */

static const char *const c_cbc[4] = {
	/* encr_i, integ_i, encr_r, integ_r */
	"f69cb83e47ad30ae221fe076da411b41da165e2f8408d8dea48ae95edf8baa02",
	"2ba6f7aa28749dcc3e8525f4ab8fae631628f882e53e35ef28814848d0ae35a8",
	"effbd8190152042af5869c5467b2bc8d146d251c516c08578f1b922f3747d294",
	"3fbc913d80350f74df9bb51a9ace1e02e4bb3f706b99a75ff1d053dfe3b6c41e",
};
static const char *const c_cbc_pfs[4] = {
	"481ce9713f7c0d0df6b9b5f39c84a799f0085cb84bc5f2ff95515f5745a30a77",
	"779de1d53d613c2bc7b46e0ce3ba1b89a1ee50c2ccdd2d1afeb72663757deb75",
	"51a6684504d2fd2014e33e90e5303342113c58dbed9f4f6651c4d0d90ee8f76a",
	"3e23cc04224bda4876fc75e63a88bc97db18d3e0e4e6531d8134a468bb20d6f1",
};
static const char *const c_gcm[2] = {
	/* encr_i, encr_r (16 + 4 salt) */
	"f69cb83e47ad30ae221fe076da411b41da165e2f",
	"8408d8dea48ae95edf8baa022ba6f7aa28749dcc",
};

static struct ike_sa *sa_with_skd(void)
{
	struct ike_sa *sa = sa_alloc();

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	sa->algs.prf = IKEV2_PRF_HMAC_SHA2_256;
	sa->prf_len = 32;
	fill(sa->sk_d, 32, 1, 0, 0x55);
	return sa;
}

static void child_case(bool we_initiated, bool pfs, uint16_t encr, uint16_t keybits, uint16_t integ,
		       const char *const *want, size_t el, size_t il)
{
	uint8_t ni[32], nr[32], gir[32];
	struct ike_sa *sa = sa_with_skd();
	struct ike_child *c = calloc(1, sizeof(*c));
	/* KEYMAT chunks: encr_i [integ_i] encr_r [integ_r]. */
	const char *ei = want[0], *ii = il ? want[1] : "";
	const char *er = il ? want[2] : want[1], *ir = il ? want[3] : "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	fill(ni, 32, 1, 0x30, 0);
	fill(nr, 32, 1, 0x60, 0);
	fill(gir, 32, 1, 0, 0xe0);
	c->info.algs.encr = encr;
	c->info.algs.encr_keybits = keybits;
	c->info.algs.integ = integ;
	CU_ASSERT_EQUAL(ikev2_child_keys(sa, c, we_initiated, pfs ? gir : NULL, pfs ? 32 : 0, ni,
					 32, nr, 32),
			0);
	CU_ASSERT_EQUAL(c->info.enc_key_len, el);
	CU_ASSERT_EQUAL(c->info.integ_key_len, il);
	CU_ASSERT_TRUE(test_eq_hex(c->info.enc_out, el, we_initiated ? ei : er));
	CU_ASSERT_TRUE(test_eq_hex(c->info.enc_in, el, we_initiated ? er : ei));
	CU_ASSERT_TRUE(test_eq_hex(c->info.integ_out, il, we_initiated ? ii : ir));
	CU_ASSERT_TRUE(test_eq_hex(c->info.integ_in, il, we_initiated ? ir : ii));
	free(c);
	sa_release(sa);
}

static void test_child_keys(void)
{
	child_case(true, false, IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_256_128, c_cbc, 32,
		   32);
	child_case(false, false, IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_256_128, c_cbc, 32,
		   32);
	child_case(true, true, IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_256_128, c_cbc_pfs,
		   32, 32);
	child_case(false, true, IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_256_128, c_cbc_pfs,
		   32, 32);
	child_case(true, false, IKEV2_ENCR_AES_GCM_16, 128, IKEV2_INTEG_NONE, c_gcm, 20, 0);
	child_case(false, false, IKEV2_ENCR_AES_GCM_16, 128, IKEV2_INTEG_NONE, c_gcm, 20, 0);
}

/* Both ends of one exchange get mirrored keys. */
static void test_child_keys_mirror(void)
{
	uint8_t ni[32], nr[32];
	struct ike_sa *sa = sa_with_skd();
	struct ike_child *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	CU_ASSERT_FATAL(a && b);
	fill(ni, 32, 3, 1, 0);
	fill(nr, 24, 5, 2, 0);
	a->info.algs.encr = b->info.algs.encr = IKEV2_ENCR_CHACHA20_POLY1305;
	CU_ASSERT_EQUAL(ikev2_child_keys(sa, a, true, NULL, 0, ni, 32, nr, 24), 0);
	CU_ASSERT_EQUAL(ikev2_child_keys(sa, b, false, NULL, 0, ni, 32, nr, 24), 0);
	CU_ASSERT_EQUAL(a->info.enc_key_len, 36);
	CU_ASSERT_EQUAL(memcmp(a->info.enc_out, b->info.enc_in, 36), 0);
	CU_ASSERT_EQUAL(memcmp(a->info.enc_in, b->info.enc_out, 36), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a->info.enc_in, a->info.enc_out, 36), 0);
	/* Oversized inputs are refused, not copied. */
	CU_ASSERT_EQUAL(ikev2_child_keys(sa, a, true, ni, IKE_MAX_DH_SHARED + 1, ni, 32, nr, 24),
			-EINVAL);
	CU_ASSERT_EQUAL(ikev2_child_keys(sa, a, true, NULL, 0, ni, IKE_MAX_NONCE + 1, nr, 24),
			-EINVAL);
	a->info.algs.encr = 999;
	CU_ASSERT_EQUAL(ikev2_child_keys(sa, a, true, NULL, 0, ni, 32, nr, 24), -EINVAL);
	free(a);
	free(b);
	sa_release(sa);
}

/* ---- PSK AUTH (2.15) ---- */

static uint8_t msg1[64], msg2[72];

static void test_psk_auth(void)
{
	static const char psk[] = "secret-psk-123";
	static const uint8_t idi[] = { 2, 0, 0, 0, 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e' };
	static const uint8_t idr[] = { 2, 0, 0, 0, 'b', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e' };
	struct ike_sa *sa = sa_alloc();
	struct ike_conn *conn = calloc(1, sizeof(*conn));
	uint8_t out[IKE_MAX_PRF_LEN];
	size_t outlen = 0;

	CU_ASSERT_FATAL(sa && conn);
	memcpy(conn->cfg.psk, psk, strlen(psk));
	conn->cfg.psk_len = strlen(psk);
	sa->conn = conn;
	sa->algs.prf = IKEV2_PRF_HMAC_SHA2_256;
	sa->prf_len = 32;
	sa->spi_i = SPI_I;
	sa->spi_r = SPI_R;
	fill(sa->ni, 32, 1, 0x00, 0);
	fill(sa->nr, 32, 1, 0x80, 0);
	sa->ni_len = sa->nr_len = 32;
	for (size_t i = 0; i < 32; i++)
		sa->sk_pi[i] = (uint8_t)((0x11 * (i % 15 + 1)) & 0xff);
	fill(sa->sk_pr, 32, 7, 3, 0);
	fill(msg1, sizeof(msg1), 13, 1, 0);
	fill(msg2, sizeof(msg2), 29, 5, 0);
	sa->init_msg[0] = msg1;
	sa->init_len[0] = sizeof(msg1);
	sa->init_msg[1] = msg2;
	sa->init_len[1] = sizeof(msg2);

	CU_ASSERT_EQUAL(ikev2_psk_auth(sa, true, idi, sizeof(idi), out, &outlen), 0);
	CU_ASSERT_EQUAL(outlen, 32);
	CU_ASSERT_TRUE(test_eq_hex(
		out, outlen, "1dad40d723d741b2cecc8b6e5c2dbb1ad87026ab4a5161a1d5f020b9b92de3ed"));
	CU_ASSERT_EQUAL(ikev2_psk_auth(sa, false, idr, sizeof(idr), out, &outlen), 0);
	CU_ASSERT_EQUAL(outlen, 32);
	CU_ASSERT_TRUE(test_eq_hex(
		out, outlen, "a38d38f854e90908632975e590002b6d40045040204b0ef177e788f311266cdf"));

	/* Any change to the signed octets changes AUTH. */
	conn->cfg.psk[0] ^= 1;
	conn->psk_pad_prf = 0; /* the padded-key cache assumes a fixed PSK */
	CU_ASSERT_EQUAL(ikev2_psk_auth(sa, true, idi, sizeof(idi), out, &outlen), 0);
	CU_ASSERT_FALSE(test_eq_hex(
		out, outlen, "1dad40d723d741b2cecc8b6e5c2dbb1ad87026ab4a5161a1d5f020b9b92de3ed"));
	conn->cfg.psk[0] ^= 1;
	conn->psk_pad_prf = 0;
	/* Without the IKE_SA_INIT message there is nothing to sign. */
	sa->init_msg[0] = NULL;
	CU_ASSERT_NOT_EQUAL(ikev2_psk_auth(sa, true, idi, sizeof(idi), out, &outlen), 0);

	sa->init_msg[0] = sa->init_msg[1] = NULL; /* static: not ours to free */
	free(conn);
	sa_release(sa);
}

/* ---- NAT detection (2.23) ---- */

static void test_natd_hash(void)
{
	ike_addr_t a;
	uint8_t out[20];

	CU_ASSERT_EQUAL_FATAL(ike_addr_parse("192.0.2.1", &a), 0);
	a.port = 500;
	ikev2_natd_hash(SPI_I, SPI_R, &a, out);
	CU_ASSERT_TRUE(test_eq_hex(out, 20, "d798d986143f878f70765e0e869c80bbc375f701"));
	a.port = 4500;
	ikev2_natd_hash(SPI_I, SPI_R, &a, out);
	CU_ASSERT_FALSE(test_eq_hex(out, 20, "d798d986143f878f70765e0e869c80bbc375f701"));

	CU_ASSERT_EQUAL_FATAL(ike_addr_parse("2001:db8::1", &a), 0);
	a.port = 4500;
	ikev2_natd_hash(SPI_I, SPI_R, &a, out);
	CU_ASSERT_TRUE(test_eq_hex(out, 20, "1ee24423bf8f59515e0265c6d0f08be3d038f7e5"));
}

static const struct test_case cases[] = {
	{ "IKE SA keys, initial exchange (2.14)", test_ike_keys_initial },
	{ "IKE SA keys refused for unusable algorithms", test_ike_keys_bad_algs },
	{ "IKE SA keys on rekey, old PRF for SKEYSEED (2.18)", test_ike_keys_rekey },
	{ "CHILD SA KEYMAT with and without PFS (2.17)", test_child_keys },
	{ "CHILD SA keys mirror between the two ends", test_child_keys_mirror },
	{ "PSK AUTH for both roles (2.15)", test_psk_auth },
	{ "NAT detection hashes (2.23)", test_natd_hash },
	{ NULL, NULL },
};
TEST_SUITE(keys, cases)
