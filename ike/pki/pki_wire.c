/* SPDX-License-Identifier: BSD-3-Clause */
/* Wire formats of signature authentication, without OpenSSL (the fuzz
 * target builds this file alone): RFC 7427's AlgorithmIdentifier in the
 * AUTH data of method 14, RSASSA-PSS parameters (RFC 4055), and the
 * SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 4). Every length is checked
 * against what is left; errors are enum ike_pki_perr. */
#include <stdio.h>
#include <string.h>

#include "ike/ike_pki.h"

#define DER_SEQ    0x30
#define DER_OID    0x06
#define DER_NULL   0x05
#define DER_INT    0x02
#define DER_CTX(n) (0xa0 | (n)) /* [n] EXPLICIT */

struct der {
	const uint8_t *p;
	size_t len;
};

/* The next element, which must have the tag; its content in *out. */
static int der_get(struct der *in, uint8_t tag, struct der *out)
{
	size_t n, hdr = 2;

	if (in->len < 2)
		return IKE_PKI_E_TRUNCATED;
	if (in->p[0] != tag)
		return IKE_PKI_E_DER;
	n = in->p[1];
	if (n == 0x81 || n == 0x82) { /* long form, minimal, up to 65535 */
		hdr += n & 0x7f;
		if (in->len < hdr)
			return IKE_PKI_E_TRUNCATED;
		n = n == 0x81 ? in->p[2] : (size_t)in->p[2] << 8 | in->p[3];
		if (n < 0x80 || (hdr == 4 && n < 0x100))
			return IKE_PKI_E_DER;
	} else if (n & 0x80) {
		return IKE_PKI_E_DER;
	}
	if (in->len - hdr < n)
		return IKE_PKI_E_TRUNCATED;
	out->p = in->p + hdr;
	out->len = n;
	in->p += hdr + n;
	in->len -= hdr + n;
	return 0;
}

static bool der_peek(const struct der *in, uint8_t tag)
{
	return in->len > 0 && in->p[0] == tag;
}

/* Absent, or NULL (some encoders add it where it should be absent). */
static int der_null_params(struct der *in)
{
	struct der n;
	int r;

	if (in->len == 0)
		return 0;
	if ((r = der_get(in, DER_NULL, &n)) < 0)
		return r == IKE_PKI_E_DER ? IKE_PKI_E_PARAMS : r;
	return n.len == 0 && in->len == 0 ? 0 : IKE_PKI_E_PARAMS;
}

/* Object identifiers, content bytes only. */
#define OID_PKCS1(n) 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, n
#define OID_ECDSA(n) 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, n
#define OID_SHA2(n)  0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, n

struct oid_row {
	uint8_t sig, hash, len;
	uint8_t oid[9];
};
/* sig 0: a hash algorithm (in PSS parameters) */
static const struct oid_row oids[] = {
	{ IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA256, 9, { OID_PKCS1(11) } },
	{ IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA384, 9, { OID_PKCS1(12) } },
	{ IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA512, 9, { OID_PKCS1(13) } },
	{ IKE_PKI_SIG_RSA_PSS, 0, 9, { OID_PKCS1(10) } },
	{ IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256, 8, { OID_ECDSA(2) } },
	{ IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA384, 8, { OID_ECDSA(3) } },
	{ IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA512, 8, { OID_ECDSA(4) } },
	{ IKE_PKI_SIG_ED25519, IKE_PKI_HASH_IDENTITY, 3, { 0x2b, 0x65, 0x70 } },
	{ IKE_PKI_SIG_ED448, IKE_PKI_HASH_IDENTITY, 3, { 0x2b, 0x65, 0x71 } },
	{ 0, IKE_PKI_HASH_SHA256, 9, { OID_SHA2(1) } },
	{ 0, IKE_PKI_HASH_SHA384, 9, { OID_SHA2(2) } },
	{ 0, IKE_PKI_HASH_SHA512, 9, { OID_SHA2(3) } },
};
static const uint8_t oid_mgf1[] = { OID_PKCS1(8) };

static const struct oid_row *oid_find(const struct der *oid, bool hash)
{
	for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++)
		if ((oids[i].sig == 0) == hash && oids[i].len == oid->len &&
		    memcmp(oids[i].oid, oid->p, oid->len) == 0)
			return &oids[i];
	return NULL;
}

static const struct oid_row *oid_of(uint8_t sig, uint8_t hash)
{
	for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++)
		if (oids[i].sig == sig && (oids[i].hash == hash || sig == IKE_PKI_SIG_RSA_PSS))
			return &oids[i];
	return NULL;
}

/* AlgorithmIdentifier of a hash: SEQUENCE { OID, NULL OPTIONAL }. */
static int hash_algid(struct der *in, uint8_t *hash)
{
	struct der seq, oid;
	const struct oid_row *row;
	int r;

	if ((r = der_get(in, DER_SEQ, &seq)) < 0 || (r = der_get(&seq, DER_OID, &oid)) < 0)
		return r;
	if (!(row = oid_find(&oid, true)))
		return IKE_PKI_E_ALG; /* SHA-1 and others: not announced, not taken */
	*hash = row->hash;
	return der_null_params(&seq);
}

/* [1] MaskGenAlgorithm: SEQUENCE { id-mgf1, hash AlgorithmIdentifier }. */
static int mgf1_algid(struct der *in, uint8_t *hash)
{
	struct der seq, oid;
	int r;

	if ((r = der_get(in, DER_SEQ, &seq)) < 0 || (r = der_get(&seq, DER_OID, &oid)) < 0)
		return r;
	if (oid.len != sizeof(oid_mgf1) || memcmp(oid.p, oid_mgf1, oid.len) != 0)
		return IKE_PKI_E_PARAMS;
	if ((r = hash_algid(&seq, hash)) < 0)
		return r;
	return seq.len ? IKE_PKI_E_TRAILING : 0;
}

static int small_int(struct der *in, uint16_t *v)
{
	struct der i;
	uint32_t x = 0;
	int r = der_get(in, DER_INT, &i);

	if (r < 0)
		return r;
	if (i.len == 0 || i.len > 3 || (i.p[0] & 0x80) ||
	    (i.len > 1 && i.p[0] == 0 && !(i.p[1] & 0x80)))
		return IKE_PKI_E_PARAMS; /* negative, too large or not minimal */
	for (size_t k = 0; k < i.len; k++)
		x = x << 8 | i.p[k];
	if (x > 0xffff)
		return IKE_PKI_E_PARAMS;
	*v = (uint16_t)x;
	return 0;
}

/* One optional [n] field of RSASSA-PSS-params, parsed by fn into out. */
static int pss_field(struct der *seq, unsigned n, int (*fn)(struct der *, void *), void *out)
{
	struct der f;
	int r;

	if (!der_peek(seq, (uint8_t)DER_CTX(n)))
		return 0;
	if ((r = der_get(seq, (uint8_t)DER_CTX(n), &f)) < 0 || (r = fn(&f, out)) < 0)
		return r;
	return f.len ? IKE_PKI_E_TRAILING : 0;
}

static int f_hash(struct der *d, void *out)
{
	return hash_algid(d, out);
}
static int f_mgf1(struct der *d, void *out)
{
	return mgf1_algid(d, out);
}
static int f_int(struct der *d, void *out)
{
	return small_int(d, out);
}

/* RSASSA-PSS-params; the defaults (SHA-1, MGF1-SHA-1, salt 20) name SHA-1,
 * which we do not take. */
static int pss_params(struct der *in, struct ike_pki_sigalg *alg)
{
	struct der seq;
	uint16_t trailer = 1;
	int r;

	alg->hash = alg->mgf1_hash = IKE_PKI_HASH_SHA1;
	alg->salt_len = 20;
	if (in->len == 0)
		return IKE_PKI_E_PARAMS; /* RFC 7427 3: PSS needs its parameters */
	if ((r = der_get(in, DER_SEQ, &seq)) < 0)
		return r == IKE_PKI_E_DER ? IKE_PKI_E_PARAMS : r;
	if ((r = pss_field(&seq, 0, f_hash, &alg->hash)) < 0 ||
	    (r = pss_field(&seq, 1, f_mgf1, &alg->mgf1_hash)) < 0 ||
	    (r = pss_field(&seq, 2, f_int, &alg->salt_len)) < 0 ||
	    (r = pss_field(&seq, 3, f_int, &trailer)) < 0)
		return r;
	if (seq.len || in->len)
		return IKE_PKI_E_TRAILING;
	if (trailer != 1)
		return IKE_PKI_E_PARAMS;
	return alg->hash == IKE_PKI_HASH_SHA1 || alg->mgf1_hash == IKE_PKI_HASH_SHA1 ? IKE_PKI_E_ALG
										     : 0;
}

int ike_pki_algid_parse(const uint8_t *buf, size_t len, struct ike_pki_sigalg *alg)
{
	struct der in = { buf, len }, seq, oid;
	const struct oid_row *row;
	int r;

	memset(alg, 0, sizeof(*alg));
	if ((r = der_get(&in, DER_SEQ, &seq)) < 0)
		return r;
	if (in.len)
		return IKE_PKI_E_TRAILING;
	if ((r = der_get(&seq, DER_OID, &oid)) < 0)
		return r;
	if (!(row = oid_find(&oid, false)))
		return IKE_PKI_E_ALG;
	alg->sig = row->sig;
	alg->hash = row->hash;
	if (row->sig == IKE_PKI_SIG_RSA_PSS)
		return pss_params(&seq, alg);
	/* RFC 8410 3: EdDSA parameters MUST be absent */
	if (row->sig == IKE_PKI_SIG_ED25519 || row->sig == IKE_PKI_SIG_ED448)
		return seq.len ? IKE_PKI_E_PARAMS : 0;
	return der_null_params(&seq);
}

int ike_pki_auth14_parse(const uint8_t *buf, size_t len, struct ike_pki_sigalg *alg,
			 const uint8_t **sig, size_t *siglen)
{
	size_t l;
	int r;

	if (len < 1)
		return IKE_PKI_E_TRUNCATED;
	l = buf[0];
	if (l == 0)
		return IKE_PKI_E_DER;
	if (len - 1 < l)
		return IKE_PKI_E_TRUNCATED;
	if ((r = ike_pki_algid_parse(buf + 1, l, alg)) < 0)
		return r;
	if (len - 1 - l == 0)
		return IKE_PKI_E_EMPTY;
	*sig = buf + 1 + l;
	*siglen = len - 1 - l;
	return 0;
}

/* ---- writing ---- */

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	bool overflow;
};

static void w_bytes(struct wbuf *w, const void *b, size_t n)
{
	if (w->len + n > w->cap) {
		w->overflow = true;
		return;
	}
	if (n == 0) /* a NULL's empty content: memcpy must not see NULL */
		return;
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

/* tag, length, content; everything we write is shorter than 128 bytes */
static void w_tlv(struct wbuf *w, uint8_t tag, const void *c, size_t n)
{
	uint8_t h[2] = { tag, (uint8_t)n };

	w_bytes(w, h, 2);
	w_bytes(w, c, n);
}

static void w_hash_algid(struct wbuf *w, uint8_t hash)
{
	const struct oid_row *r = oid_of(0, hash);
	uint8_t b[32];
	struct wbuf in = { b, sizeof(b), 0, false };

	w_tlv(&in, DER_OID, r->oid, r->len);
	w_tlv(&in, DER_NULL, NULL, 0);
	w_tlv(w, DER_SEQ, b, in.len);
}

static void w_pss_params(struct wbuf *w, const struct ike_pki_sigalg *a)
{
	uint8_t b[96], f[48], m[40];
	struct wbuf seq = { b, sizeof(b), 0, false }, fb = { f, sizeof(f), 0, false },
		    mb = { m, sizeof(m), 0, false };
	uint8_t mgf = a->mgf1_hash ? a->mgf1_hash : a->hash;
	uint16_t salt = a->salt_len ? a->salt_len
				    : (uint16_t)(a->hash == IKE_PKI_HASH_SHA256   ? 32
						 : a->hash == IKE_PKI_HASH_SHA384 ? 48
										  : 64);
	uint8_t s[3] = { 0, (uint8_t)(salt >> 8), (uint8_t)salt };
	size_t skip = salt < 0x80 ? 2 : salt < 0x8000 ? 1 : 0;

	w_hash_algid(&fb, a->hash);
	w_tlv(&seq, DER_CTX(0), f, fb.len);
	w_tlv(&mb, DER_OID, oid_mgf1, sizeof(oid_mgf1));
	w_hash_algid(&mb, mgf);
	fb.len = 0;
	w_tlv(&fb, DER_SEQ, m, mb.len);
	w_tlv(&seq, DER_CTX(1), f, fb.len);
	fb.len = 0;
	w_tlv(&fb, DER_INT, s + skip, sizeof(s) - skip);
	w_tlv(&seq, DER_CTX(2), f, fb.len);
	w_tlv(w, DER_SEQ, b, seq.len);
}

int ike_pki_algid_encode(const struct ike_pki_sigalg *alg, uint8_t *out, size_t cap)
{
	const struct oid_row *r = oid_of(alg->sig, alg->hash);
	uint8_t b[128];
	struct wbuf in = { b, sizeof(b), 0, false }, w = { out, cap, 0, false };
	bool hash_ok = alg->hash >= IKE_PKI_HASH_SHA256 && alg->hash <= IKE_PKI_HASH_SHA512;

	if (!r || (alg->sig == IKE_PKI_SIG_RSA_PSS && !hash_ok))
		return IKE_PKI_E_ALG;
	w_tlv(&in, DER_OID, r->oid, r->len);
	if (alg->sig == IKE_PKI_SIG_RSA_PKCS1)
		w_tlv(&in, DER_NULL, NULL, 0);
	else if (alg->sig == IKE_PKI_SIG_RSA_PSS)
		w_pss_params(&in, alg);
	w_tlv(&w, DER_SEQ, b, in.len);
	return w.overflow || in.overflow ? IKE_PKI_E_SPACE : (int)w.len;
}

/* ---- SIGNATURE_HASH_ALGORITHMS ---- */

int ike_pki_hashes_parse(const uint8_t *buf, size_t len, uint32_t *bits)
{
	*bits = 0;
	if (len == 0)
		return IKE_PKI_E_EMPTY;
	if (len % 2)
		return IKE_PKI_E_ODD;
	for (size_t i = 0; i < len; i += 2) {
		unsigned id = (unsigned)buf[i] << 8 | buf[i + 1];
		if (id < 32)
			*bits |= IKE_PKI_HASH_BIT(id);
	}
	return 0;
}

int ike_pki_hashes_encode(uint32_t bits, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (unsigned id = 0; id < 32; id++) {
		if (!(bits & IKE_PKI_HASH_BIT(id)))
			continue;
		if (n + 2 > cap)
			return IKE_PKI_E_SPACE;
		out[n++] = 0;
		out[n++] = (uint8_t)id;
	}
	return (int)n;
}

uint32_t ike_pki_hashes_ours(void)
{
	return IKE_PKI_HASH_BIT(IKE_PKI_HASH_SHA256) | IKE_PKI_HASH_BIT(IKE_PKI_HASH_SHA384) |
	       IKE_PKI_HASH_BIT(IKE_PKI_HASH_SHA512) | IKE_PKI_HASH_BIT(IKE_PKI_HASH_IDENTITY);
}

const char *ike_pki_perr_str(int e)
{
	switch (e) {
	case 0: return "ok";
	case IKE_PKI_E_TRUNCATED: return "truncated: a length runs past the end";
	case IKE_PKI_E_DER: return "not the DER structure expected";
	case IKE_PKI_E_TRAILING: return "bytes after the structure";
	case IKE_PKI_E_ALG: return "unsupported algorithm";
	case IKE_PKI_E_PARAMS: return "unsupported or malformed algorithm parameters";
	case IKE_PKI_E_ODD: return "hash list of odd length";
	case IKE_PKI_E_EMPTY: return "empty";
	case IKE_PKI_E_SPACE: return "output buffer too small";
	default: return "unknown error";
	}
}

static const char *hash_name(uint8_t h)
{
	static const char *const n[] = {
		"?", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "identity"
	};

	return h < sizeof(n) / sizeof(n[0]) ? n[h] : "?";
}

const char *ike_pki_sigalg_str(const struct ike_pki_sigalg *a, char *buf, size_t len)
{
	switch (a->sig) {
	case IKE_PKI_SIG_RSA_PKCS1:
		snprintf(buf, len, "RSASSA-PKCS1-v1_5 %s", hash_name(a->hash));
		break;
	case IKE_PKI_SIG_RSA_PSS:
		snprintf(buf, len, "RSASSA-PSS %s (MGF1 %s, salt %u)", hash_name(a->hash),
			 hash_name(a->mgf1_hash ? a->mgf1_hash : a->hash), a->salt_len);
		break;
	case IKE_PKI_SIG_ECDSA: snprintf(buf, len, "ECDSA %s", hash_name(a->hash)); break;
	case IKE_PKI_SIG_ED25519: snprintf(buf, len, "Ed25519"); break;
	case IKE_PKI_SIG_ED448: snprintf(buf, len, "Ed448"); break;
	default: snprintf(buf, len, "unknown signature"); break;
	}
	return buf;
}
