/* SPDX-License-Identifier: BSD-3-Clause */
/* strongSwan-style proposal strings ("aes128gcm16-prfsha256-x25519") and the
 * algorithm names used in logs. Keeping the operator's vocabulary identical
 * to strongSwan's means a proposal can be pasted from swanctl.conf. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/core/ike_priv.h"
#include "ike/crypto/ike_crypto.h"
#include "ike/v2/ikev2_wire.h"

struct alg_name {
	const char *name;
	uint8_t type; /* IKEV2_TRANS_* */
	uint16_t id, keybits;
	bool weak; /* refused unless explicitly allowed */
};

static const struct alg_name algs[] = {
	{ "aes128", IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128, false },
	{ "aes192", IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 192, false },
	{ "aes256", IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 256, false },
	{ "aes128gcm16", IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 128, false },
	{ "aes192gcm16", IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 192, false },
	{ "aes256gcm16", IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
	{ "aes128gcm128", IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 128, false },
	{ "aes256gcm128", IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
	{ "chacha20poly1305", IKEV2_TRANS_ENCR, IKEV2_ENCR_CHACHA20_POLY1305, 256, false },
	{ "sha256", IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0, false },
	{ "sha2_256", IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0, false },
	{ "sha384", IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_384_192, 0, false },
	{ "sha2_384", IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_384_192, 0, false },
	{ "sha512", IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_512_256, 0, false },
	{ "sha2_512", IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_512_256, 0, false },
	{ "prfsha256", IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false },
	{ "prfsha384", IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_384, 0, false },
	{ "prfsha512", IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_512, 0, false },
	{ "modp2048", IKEV2_TRANS_DH, IKEV2_DH_MODP2048, 0, false },
	{ "modp3072", IKEV2_TRANS_DH, IKEV2_DH_MODP3072, 0, false },
	{ "modp4096", IKEV2_TRANS_DH, IKEV2_DH_MODP4096, 0, false },
	{ "ecp256", IKEV2_TRANS_DH, IKEV2_DH_ECP256, 0, false },
	{ "ecp384", IKEV2_TRANS_DH, IKEV2_DH_ECP384, 0, false },
	{ "ecp521", IKEV2_TRANS_DH, IKEV2_DH_ECP521, 0, false },
	{ "x25519", IKEV2_TRANS_DH, IKEV2_DH_X25519, 0, false },
	{ "curve25519", IKEV2_TRANS_DH, IKEV2_DH_X25519, 0, false },
	{ "x448", IKEV2_TRANS_DH, IKEV2_DH_X448, 0, false },
	{ "curve448", IKEV2_TRANS_DH, IKEV2_DH_X448, 0, false },
	{ "modp1536", IKEV2_TRANS_DH, IKEV2_DH_MODP1536, 0, true },
	{ "esn", IKEV2_TRANS_ESN, IKEV2_ESN_YES, 0, false },
	{ "noesn", IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0, false },
};
#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

/* Names that are known but refused outright, with the reason. */
static const struct {
	const char *name, *why;
} refused[] = {
	{ "3des", "weak cipher (64-bit block)" },
	{ "des", "broken cipher" },
	{ "md5", "broken hash" },
	{ "sha1", "weak integrity algorithm (SHA-1); use sha256 or better" },
	{ "prfsha1", "weak PRF (SHA-1); use prfsha256 or better" },
	{ "prfmd5", "broken PRF" },
	{ "modp768", "broken DH group (768-bit)" },
	{ "modp1024", "broken DH group (1024-bit, RFC 8247 MUST NOT); not supported" },
	{ "null", "NULL encryption is not allowed in proposals" },
};

static const struct alg_name *alg_lookup(const char *tok)
{
	for (size_t i = 0; i < N_ALGS; i++)
		if (strcmp(algs[i].name, tok) == 0)
			return &algs[i];
	return NULL;
}

static const char *alg_name_of(uint8_t type, uint16_t id, uint16_t keybits)
{
	for (size_t i = 0; i < N_ALGS; i++)
		if (algs[i].type == type && algs[i].id == id &&
		    (type != IKEV2_TRANS_ENCR || algs[i].keybits == keybits ||
		     id == IKEV2_ENCR_CHACHA20_POLY1305))
			return algs[i].name;
	return "unknown";
}

/* IANA algorithms we never accept, named for the log line that says a
 * peer offered only those (strongSwan's names). */
static const struct {
	uint8_t type;
	uint16_t id;
	const char *name;
} unsupported[] = {
	{ IKEV2_TRANS_ENCR, 2, "des" },          { IKEV2_TRANS_ENCR, 3, "3des" },
	{ IKEV2_TRANS_ENCR, 11, "null" },        { IKEV2_TRANS_ENCR, 13, "aesctr" },
	{ IKEV2_TRANS_ENCR, 14, "aesccm8" },     { IKEV2_TRANS_ENCR, 15, "aesccm12" },
	{ IKEV2_TRANS_ENCR, 16, "aesccm16" },    { IKEV2_TRANS_ENCR, 18, "aesgcm8" },
	{ IKEV2_TRANS_ENCR, 19, "aesgcm12" },    { IKEV2_TRANS_ENCR, 23, "camellia" },
	{ IKEV2_TRANS_PRF, 1, "prfmd5" },        { IKEV2_TRANS_PRF, 2, "prfsha1" },
	{ IKEV2_TRANS_PRF, 4, "prfaesxcbc" },    { IKEV2_TRANS_PRF, 8, "prfaescmac" },
	{ IKEV2_TRANS_INTEG, 1, "md5" },         { IKEV2_TRANS_INTEG, 2, "sha1" },
	{ IKEV2_TRANS_INTEG, 5, "aesxcbc" },     { IKEV2_TRANS_INTEG, 6, "md5_128" },
	{ IKEV2_TRANS_INTEG, 7, "sha1_160" },    { IKEV2_TRANS_INTEG, 8, "aescmac" },
	{ IKEV2_TRANS_INTEG, 9, "aes128gmac" },  { IKEV2_TRANS_INTEG, 10, "aes192gmac" },
	{ IKEV2_TRANS_INTEG, 11, "aes256gmac" }, { IKEV2_TRANS_DH, 1, "modp768" },
	{ IKEV2_TRANS_DH, 2, "modp1024" },       { IKEV2_TRANS_DH, 17, "modp6144" },
	{ IKEV2_TRANS_DH, 18, "modp8192" },      { IKEV2_TRANS_DH, 22, "modp1024s160" },
	{ IKEV2_TRANS_DH, 23, "modp2048s224" },  { IKEV2_TRANS_DH, 24, "modp2048s256" },
	{ IKEV2_TRANS_DH, 25, "ecp192" },        { IKEV2_TRANS_DH, 26, "ecp224" },
	{ IKEV2_TRANS_DH, 27, "ecp224bp" },      { IKEV2_TRANS_DH, 28, "ecp256bp" },
	{ IKEV2_TRANS_DH, 29, "ecp384bp" },      { IKEV2_TRANS_DH, 30, "ecp512bp" },
};

const char *ike_alg_unsupported_name(uint8_t type, uint16_t id)
{
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (unsupported[i].type == type && unsupported[i].id == id)
			return unsupported[i].name;
	return NULL;
}

const char *ike_encr_name(uint16_t id, uint16_t keybits)
{
	return alg_name_of(IKEV2_TRANS_ENCR, id, keybits);
}
const char *ike_prf_name(uint16_t id)
{
	return alg_name_of(IKEV2_TRANS_PRF, id, 0);
}
const char *ike_integ_name(uint16_t id)
{
	return id ? alg_name_of(IKEV2_TRANS_INTEG, id, 0) : "none";
}
const char *ike_dh_name(uint16_t id)
{
	return id ? alg_name_of(IKEV2_TRANS_DH, id, 0) : "none";
}

static bool encr_is_aead(uint16_t id)
{
	return id == IKEV2_ENCR_AES_GCM_16 || id == IKEV2_ENCR_CHACHA20_POLY1305;
}

static uint16_t prf_for_integ(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_HMAC_SHA2_256_128: return IKEV2_PRF_HMAC_SHA2_256;
	case IKEV2_INTEG_HMAC_SHA2_384_192: return IKEV2_PRF_HMAC_SHA2_384;
	case IKEV2_INTEG_HMAC_SHA2_512_256: return IKEV2_PRF_HMAC_SHA2_512;
	default: return 0;
	}
}

static int add_alg(struct ike_proposal *p, const struct alg_name *a)
{
	switch (a->type) {
	case IKEV2_TRANS_ENCR:
		if (p->n_encr >= IKE_MAX_ALGS)
			return -E2BIG;
		p->encr[p->n_encr].id = a->id;
		p->encr[p->n_encr++].keybits = a->keybits;
		return 0;
	case IKEV2_TRANS_PRF:
		if (p->n_prf >= IKE_MAX_ALGS)
			return -E2BIG;
		p->prf[p->n_prf++] = a->id;
		return 0;
	case IKEV2_TRANS_INTEG:
		if (p->n_integ >= IKE_MAX_ALGS)
			return -E2BIG;
		p->integ[p->n_integ++] = a->id;
		return 0;
	case IKEV2_TRANS_DH:
		if (p->n_dh >= IKE_MAX_ALGS)
			return -E2BIG;
		p->dh[p->n_dh++] = a->id;
		return 0;
	default:
		if (p->n_esn >= 2)
			return -E2BIG;
		p->esn[p->n_esn++] = a->id;
		return 0;
	}
}

/* Checks that the transform mix is one a peer could accept (RFC 7296 3.3.3). */
static int proposal_check(struct ike_proposal *p, bool is_ike, char *err, size_t errlen)
{
	bool aead = p->n_encr && encr_is_aead(p->encr[0].id);

	if (!p->n_encr)
		return snprintf(err, errlen, "no encryption algorithm"), -EINVAL;
	for (unsigned i = 1; i < p->n_encr; i++)
		if (encr_is_aead(p->encr[i].id) != aead)
			return snprintf(err, errlen,
					"AEAD and non-AEAD ciphers mixed in one proposal"),
			       -EINVAL;
	if (aead && p->n_integ)
		return snprintf(err, errlen, "integrity algorithm given with an AEAD cipher"),
		       -EINVAL;
	if (!aead && !p->n_integ)
		return snprintf(err, errlen, "no integrity algorithm for a non-AEAD cipher"),
		       -EINVAL;
	if (is_ike) {
		if (p->n_esn)
			return snprintf(err, errlen, "esn/noesn is only for ESP proposals"),
			       -EINVAL;
		if (!p->n_dh)
			return snprintf(err, errlen, "no DH group"), -EINVAL;
		for (unsigned i = 0; !p->n_prf && i < p->n_integ; i++)
			if (prf_for_integ(p->integ[i]))
				p->prf[p->n_prf++] = prf_for_integ(p->integ[i]);
		if (!p->n_prf)
			return snprintf(err, errlen, "no PRF (add e.g. prfsha256)"), -EINVAL;
	} else {
		if (p->n_prf)
			return snprintf(err, errlen, "PRF is only for IKE proposals"), -EINVAL;
		if (!p->n_esn)
			p->esn[p->n_esn++] = IKEV2_ESN_NO;
	}
	return 0;
}

int ike_proposal_parse(const char *s, bool is_ike, struct ike_proposal *p, char *err, size_t errlen)
{
	char buf[256];
	char *save = NULL, *tok;

	memset(p, 0, sizeof(*p));
	if (strlen(s) >= sizeof(buf) || *s == '\0')
		return snprintf(err, errlen, "empty or too long proposal"), -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, "-", &save); tok; tok = strtok_r(NULL, "-", &save)) {
		const struct alg_name *a = alg_lookup(tok);

		if (!a) {
			for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
				if (strcmp(refused[i].name, tok) == 0) {
					snprintf(err, errlen, "algorithm '%s' refused: %s", tok,
						 refused[i].why);
					return -EINVAL;
				}
			snprintf(err, errlen, "unknown algorithm '%s'", tok);
			return -EINVAL;
		}
		if (a->type == IKEV2_TRANS_ESN && is_ike)
			return snprintf(err, errlen, "'%s' is only for ESP proposals", tok),
			       -EINVAL;
		if (add_alg(p, a) < 0)
			return snprintf(err, errlen, "too many algorithms of one kind"), -EINVAL;
	}
	return proposal_check(p, is_ike, err, errlen);
}

size_t ike_str_cat(char *buf, size_t len, size_t off, const char *sep, const char *s)
{
	int n;

	if (off >= len)
		return off;
	n = snprintf(buf + off, len - off, "%s%s", sep, s);
	return n < 0 ? off : off + (size_t)n;
}

static size_t cat(char *buf, size_t len, size_t off, const char *s)
{
	return ike_str_cat(buf, len, off, off ? "/" : "", s);
}

const char *ike_proposal_str(const struct ike_proposal *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->n_encr; i++)
		off = cat(buf, len, off, ike_encr_name(p->encr[i].id, p->encr[i].keybits));
	for (unsigned i = 0; i < p->n_integ; i++)
		off = cat(buf, len, off, ike_integ_name(p->integ[i]));
	for (unsigned i = 0; i < p->n_prf; i++)
		off = cat(buf, len, off, ike_prf_name(p->prf[i]));
	for (unsigned i = 0; i < p->n_dh; i++)
		off = cat(buf, len, off, ike_dh_name(p->dh[i]));
	for (unsigned i = 0; i < p->n_esn; i++)
		off = cat(buf, len, off, p->esn[i] ? "esn" : "noesn");
	return buf;
}

const char *ike_algs_str(const struct ike_algs *a, bool is_ike, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	off = cat(buf, len, off, ike_encr_name(a->encr, a->encr_keybits));
	if (a->integ)
		off = cat(buf, len, off, ike_integ_name(a->integ));
	if (is_ike)
		off = cat(buf, len, off, ike_prf_name(a->prf));
	if (a->dh)
		off = cat(buf, len, off, ike_dh_name(a->dh));
	if (!is_ike)
		cat(buf, len, off, a->esn ? "esn" : "noesn");
	return buf;
}
