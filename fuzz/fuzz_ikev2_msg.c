/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target for the IKEv2 message parsers (ike/v2/ikev2_payload.c) and the
 * text forms of what they return (ike/core/ike_addr.c).
 *
 * Each input is fed to ikev2_hdr_parse and ikev2_chain_parse as received,
 * and once more with the header's version and length patched to fit, so
 * that random bytes reach the payload parsers. Every per-payload parser then
 * runs on every payload body whatever its type; what parses is written back
 * with the ikev2_w_* writer and parsed again, and must come back the same
 * (the Encrypted Fragment header, which has no writer, is checked against
 * its octets, and the rest of an SKF walked as a chain). The RFC 7427
 * parsers of ike/pki/pki_wire.c (AlgorithmIdentifier, the AUTH data of
 * method 14, SIGNATURE_HASH_ALGORITHMS) run on every payload body too.
 * Violated invariants abort().
 *
 * libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_ikev2_msg.c \
 *         ike/v2/ikev2_payload.c ike/v2/ikev2_cert.c ike/core/ike_addr.c ike/pki/pki_wire.c \
 *         -o fuzz_ikev2_msg
 *   ./fuzz_ikev2_msg -max_total_time=60 corpus/
 * Standalone (any compiler; N pseudo-random inputs from a fixed seed):
 *   gcc -g -O1 -fsanitize=address,undefined -DFUZZ_STANDALONE -I. \
 *       fuzz/fuzz_ikev2_msg.c ike/v2/ikev2_payload.c ike/v2/ikev2_cert.c ike/core/ike_addr.c \
 *       ike/pki/pki_wire.c -o fuzz_ikev2_msg
 *   ./fuzz_ikev2_msg [N [seed]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/ike_pki.h"
#include "ike/v2/ikev2_cert.h"
#include "ike/v2/ikev2_payload.h"
#include "ike/v2/ikev2_wire.h"
#include "fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PROPS 8
#define WBUF      (IKEV2_MAX_MSG + 1024)

static uint8_t wbuf[WBUF];

/* Starts a writer whose output is one payload at wbuf[0]. */
static void w_start(struct ikev2_writer *w)
{
	/* np_off at the end: the first payload's type lands nowhere we read. */
	ikev2_w_init(w, wbuf, sizeof(wbuf) - 1, sizeof(wbuf) - 1);
}

/* The single payload the writer produced: its body and length. */
static const uint8_t *w_body(const struct ikev2_writer *w, size_t *len)
{
	CHECK(!w->overflow);
	CHECK(w->len >= IKEV2_PL_HDR_LEN);
	CHECK(ikev2_get16(wbuf + 2) == w->len);
	CHECK(wbuf[0] == IKEV2_PL_NONE);
	*len = w->len - IKEV2_PL_HDR_LEN;
	return wbuf + IKEV2_PL_HDR_LEN;
}

static void check_str(const char *s, size_t cap)
{
	CHECK(memchr(s, '\0', cap) != NULL);
}

static void fuzz_sa(const uint8_t *b, size_t len)
{
	static struct ikev2_prop props[MAX_PROPS], again[MAX_PROPS];
	struct ikev2_writer w;
	const uint8_t *body;
	size_t blen;
	unsigned n, n2;

	if (ikev2_sa_parse(b, len, props, MAX_PROPS, &n) != 0)
		return;
	CHECK(n >= 1 && n <= MAX_PROPS);
	for (unsigned i = 0; i < n; i++) {
		CHECK(props[i].spi_size <= 8);
		CHECK(props[i].n_trans <= IKEV2_MAX_TRANS);
	}
	w_start(&w);
	ikev2_w_sa(&w, props, n);
	body = w_body(&w, &blen);
	CHECK(ikev2_sa_parse(body, blen, again, MAX_PROPS, &n2) == 0);
	CHECK(n2 == n);
	for (unsigned i = 0; i < n; i++) {
		const struct ikev2_prop *x = &props[i], *y = &again[i];

		CHECK(x->num == y->num && x->proto == y->proto && x->spi_size == y->spi_size);
		CHECK(memcmp(x->spi, y->spi, x->spi_size) == 0);
		CHECK(x->n_trans == y->n_trans);
		for (unsigned t = 0; t < x->n_trans; t++) {
			CHECK(x->trans[t].type == y->trans[t].type);
			CHECK(x->trans[t].id == y->trans[t].id);
			CHECK(x->trans[t].keybits == y->trans[t].keybits);
			CHECK(!y->trans[t].unknown_attr);
		}
	}
}

static void fuzz_ts(const uint8_t *b, size_t len)
{
	struct ike_ts ts[IKE_MAX_TS], again[IKE_MAX_TS], t2;
	struct ikev2_writer w;
	const uint8_t *body;
	size_t blen;
	unsigned n, n2;
	char s[160], tiny[9];

	if (ikev2_ts_parse(b, len, ts, IKE_MAX_TS, &n) != 0)
		return;
	CHECK(n >= 1 && n <= IKE_MAX_TS);
	w_start(&w);
	ikev2_w_ts(&w, IKEV2_PL_TSI, ts, n);
	body = w_body(&w, &blen);
	CHECK(ikev2_ts_parse(body, blen, again, IKE_MAX_TS, &n2) == 0);
	CHECK(n2 == n);
	CHECK(memcmp(ts, again, n * sizeof(ts[0])) == 0);
	for (unsigned i = 0; i < n; i++) {
		size_t al = ts[i].family == 4 ? 4 : 16;

		CHECK(ts[i].family == 4 || ts[i].family == 6);
		ike_ts_str(&ts[i], tiny, sizeof(tiny));
		check_str(tiny, sizeof(tiny));
		ike_ts_str(&ts[i], s, sizeof(s));
		check_str(s, sizeof(s));
		/* A well-formed selector survives its text form. */
		if (memcmp(ts[i].start, ts[i].end, al) <= 0 && ts[i].sport <= ts[i].eport) {
			CHECK(ike_ts_parse(s, &t2) == 0);
			CHECK(memcmp(&t2, &ts[i], sizeof(t2)) == 0);
		}
	}
}

static void fuzz_id(const uint8_t *b, size_t len)
{
	struct ike_id id;
	struct ikev2_writer w;
	const uint8_t *body;
	size_t blen;
	char s[1024], tiny[5];

	if (ikev2_id_parse(b, len, &id) != 0)
		return;
	CHECK(id.len == len - 4 && id.len >= 1);
	ike_id_str(&id, s, sizeof(s));
	check_str(s, sizeof(s));
	ike_id_str(&id, tiny, sizeof(tiny));
	check_str(tiny, sizeof(tiny));
	w_start(&w);
	ikev2_w_id(&w, IKEV2_PL_IDI, &id);
	body = w_body(&w, &blen);
	CHECK(blen == len && body[0] == b[0] && memcmp(body + 4, b + 4, len - 4) == 0);
}

/* CERT and CERTREQ bodies (ike/v2/ikev2_cert.c): parsed, written back,
 * the same bytes. */
static void fuzz_cert(const uint8_t *b, size_t len)
{
	struct ikev2_writer w;
	struct ikev2_cert c;
	struct ikev2_certreq r;
	const uint8_t *body;
	size_t blen;

	if (ikev2_cert_parse(b, len, &c) == 0) {
		CHECK(c.len >= 1 && c.len <= IKEV2_CERT_MAX_LEN && c.data + c.len == b + len);
		w_start(&w);
		ikev2_w_cert(&w, c.encoding, c.data, c.len);
		body = w_body(&w, &blen);
		CHECK(blen == len && memcmp(body, b, len) == 0);
	}
	if (ikev2_certreq_parse(b, len, &r) == 0 && r.encoding == IKEV2_CERT_X509_SIG) {
		CHECK(r.n * IKEV2_CERTREQ_HASH_LEN == len - 1);
		w_start(&w);
		ikev2_w_certreq(&w, r.encoding, r.hashes, r.n);
		body = w_body(&w, &blen);
		CHECK(blen == len && memcmp(body, b, len) == 0);
	}
}

/* RFC 7427: the AUTH data of method 14 and an AlgorithmIdentifier alone;
 * what parses is written again and parses the same. */
static void fuzz_sigalg(const uint8_t *b, size_t len)
{
	struct ike_pki_sigalg a, again;
	const uint8_t *sig;
	size_t slen;
	uint8_t out[256];
	char s[96];
	int n, r = ike_pki_auth14_parse(b, len, &a, &sig, &slen);

	CHECK(r <= 0 && r >= IKE_PKI_E_SPACE && ike_pki_perr_str(r) != NULL);
	if (r == 0)
		CHECK(sig == b + 1 + b[0] && slen >= 1 && sig + slen == b + len);
	if (ike_pki_algid_parse(b, len, &a) != 0)
		return;
	CHECK(a.sig >= IKE_PKI_SIG_RSA_PKCS1 && a.sig <= IKE_PKI_SIG_ED448);
	check_str(ike_pki_sigalg_str(&a, s, sizeof(s)), sizeof(s));
	n = ike_pki_algid_encode(&a, out, sizeof(out));
	CHECK(n > 0);
	CHECK(ike_pki_algid_parse(out, (size_t)n, &again) == 0);
	CHECK(a.sig == again.sig && a.hash == again.hash && a.mgf1_hash == again.mgf1_hash &&
	      a.salt_len == again.salt_len);
}

/* SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 4). */
static void fuzz_hashes(const uint8_t *b, size_t len)
{
	uint32_t bits, again;
	uint8_t out[64];
	int n;

	if (ike_pki_hashes_parse(b, len, &bits) != 0) {
		CHECK(len == 0 || len % 2);
		return;
	}
	n = ike_pki_hashes_encode(bits, out, sizeof(out));
	CHECK(n >= 0 && n <= (int)len);
	if (n > 0)
		CHECK(ike_pki_hashes_parse(out, (size_t)n, &again) == 0 && again == bits);
}

static void fuzz_payload(const uint8_t *b, size_t len)
{
	struct ikev2_writer w;
	const uint8_t *body;
	size_t blen;
	struct ikev2_ke ke;
	struct ikev2_auth a;
	struct ikev2_ntf nt;
	struct ikev2_delete d;
	struct ikev2_skf f;

	fuzz_sa(b, len);
	fuzz_ts(b, len);
	fuzz_id(b, len);
	fuzz_sigalg(b, len);
	fuzz_hashes(b, len);
	fuzz_cert(b, len);

	if (ikev2_ke_parse(b, len, &ke) == 0) {
		CHECK(ke.data + ke.len == b + len);
		w_start(&w);
		ikev2_w_ke(&w, ke.group, ke.data, ke.len);
		body = w_body(&w, &blen);
		CHECK(blen == len && ikev2_get16(body) == ke.group &&
		      memcmp(body + 4, ke.data, ke.len) == 0);
	}
	if (ikev2_nonce_parse(b, len) == 0) {
		CHECK(len >= 16 && len <= 256);
		w_start(&w);
		ikev2_w_nonce(&w, b, len);
		body = w_body(&w, &blen);
		CHECK(blen == len && memcmp(body, b, len) == 0);
	}
	if (ikev2_auth_parse(b, len, &a) == 0) {
		CHECK(a.len >= 1 && a.data + a.len == b + len);
		w_start(&w);
		ikev2_w_auth(&w, a.method, a.data, a.len);
		body = w_body(&w, &blen);
		CHECK(blen == len && body[0] == a.method && memcmp(body + 4, a.data, a.len) == 0);
	}
	if (ikev2_notify_parse(b, len, &nt) == 0) {
		CHECK(nt.spi == b + 4 && nt.data + nt.dlen == b + len);
		CHECK(nt.spi_size == 0 || nt.spi_size == 4 || nt.spi_size == 8);
		CHECK(ikev2_notify_name(nt.type) != NULL);
		w_start(&w);
		ikev2_w_notify(&w, nt.proto, nt.spi, nt.spi_size, nt.type, nt.data, nt.dlen);
		body = w_body(&w, &blen);
		CHECK(blen == len && memcmp(body, b, len) == 0);
	}
	if (ikev2_skf_parse(b, len, &f) == 0) {
		CHECK(len >= IKEV2_SKF_FIELDS && f.data == b + IKEV2_SKF_FIELDS);
		CHECK(f.len == len - IKEV2_SKF_FIELDS);
		CHECK(f.num >= 1 && f.num <= f.total);
		CHECK(ikev2_get16(b) == f.num && ikev2_get16(b + 2) == f.total);
	}
	if (ikev2_delete_parse(b, len, &d) == 0) {
		CHECK((size_t)d.n_spi * d.spi_size == len - 4);
		w_start(&w);
		ikev2_w_delete(&w, d.proto, d.spi_size, d.spis, d.n_spi);
		body = w_body(&w, &blen);
		CHECK(blen == len && memcmp(body, b, len) == 0);
	}
}

static void fuzz_chain(uint8_t first, const uint8_t *b, size_t len, int depth)
{
	struct ikev2_chain c;
	struct ikev2_skf f;
	uint8_t bad = 0;
	int r = ikev2_chain_parse(first, b, len, &c, &bad);

	CHECK(r <= 0 && r >= IKEV2_E_SPI);
	CHECK(ikev2_perr_str(r) != NULL);
	CHECK(c.n <= IKEV2_MAX_PL);
	if (r == IKEV2_E_CRITICAL)
		CHECK(c.n >= 1 && bad == c.pl[c.n - 1].type && c.pl[c.n - 1].critical);
	/* Entries recorded before an error are within the buffer too. */
	for (unsigned i = 0; i < c.n; i++) {
		const struct ikev2_pl *p = &c.pl[i];

		CHECK(p->hdr >= b && p->body == p->hdr + IKEV2_PL_HDR_LEN);
		CHECK(p->body + p->len <= b + len);
		CHECK(ikev2_get16(p->hdr + 2) == p->len + IKEV2_PL_HDR_LEN);
		(void)ikev2_payload_name(p->type);
		fuzz_payload(p->body, p->len);
		/* No keys here: walk the SK body (an SKF's after its fragment
		 * fields) as if it were the plaintext. */
		if (p->type == IKEV2_PL_SK && depth == 0)
			fuzz_chain(p->hdr[0], p->body, p->len, depth + 1);
		if (p->type == IKEV2_PL_SKF && depth == 0 &&
		    ikev2_skf_parse(p->body, p->len, &f) == 0)
			fuzz_chain(p->hdr[0], f.data, f.len, depth + 1);
	}
	if (r == 0 && c.n) {
		CHECK(c.pl[c.n - 1].body + c.pl[c.n - 1].len == b + len);
		CHECK(ikev2_chain_find(&c, c.pl[0].type) == &c.pl[0]);
		CHECK(ikev2_chain_count(&c, c.pl[0].type) >= 1);
	}
}

static void fuzz_msg(const uint8_t *buf, size_t len)
{
	struct ikev2_hdr h;
	int r = ikev2_hdr_parse(buf, len, &h);

	CHECK(r == 0 || r == IKEV2_E_SHORT || r == IKEV2_E_HDR_LENGTH || r == IKEV2_E_VERSION);
	CHECK(ikev2_perr_str(r) != NULL);
	if (r == 0) {
		CHECK(h.length == len && (h.version >> 4) == 2);
		(void)ikev2_exchange_name(h.exchange);
		fuzz_chain(h.next_payload, buf + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	if (size > IKEV2_MAX_MSG)
		return 0;
	/* An exact-size heap copy, so that ASan sees any read past the end. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fuzz_msg(buf, size);
	if (size >= IKEV2_HDR_LEN) {
		struct ikev2_hdr h;

		buf[17] = (uint8_t)(0x20 | (buf[17] & 0x0f));
		ikev2_put32(buf + 24, (uint32_t)size);
		CHECK(ikev2_hdr_parse(buf, size, &h) == 0);
		fuzz_msg(buf, size);
	}
	/* The bytes as a payload body and as a bare chain. */
	if (size >= 1) {
		fuzz_payload(buf + 1, size - 1);
		fuzz_chain(buf[0], buf + 1, size - 1, 0);
	}
	free(buf);
	return 0;
}

#ifdef FUZZ_STANDALONE
static uint64_t rng_state;

static uint32_t rnd(void)
{
	uint64_t x = rng_state; /* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static const uint8_t pl_types[] = {
	IKEV2_PL_SA,
	IKEV2_PL_KE,
	IKEV2_PL_IDI,
	IKEV2_PL_IDR,
	IKEV2_PL_AUTH,
	IKEV2_PL_NONCE,
	IKEV2_PL_NOTIFY,
	IKEV2_PL_DELETE,
	IKEV2_PL_VENDOR,
	IKEV2_PL_TSI,
	IKEV2_PL_TSR,
	IKEV2_PL_SK,
	IKEV2_PL_CP,
	IKEV2_PL_SKF,
	0,
	1,
	49,
	200,
};

/* RFC 7427 material: the AUTH data of method 14 (length, AlgorithmIdentifier,
 * signature), an AlgorithmIdentifier alone or a hash list; a byte or two
 * changed now and then. */
static size_t gen_sig(uint8_t *p, size_t max)
{
	static const uint8_t algs[][68] = {
		{ 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
		  0x05, 0x00 },
		{ 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 },
		{ 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 },
		{ 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
		  0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
		  0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
		  0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
		  0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
		  0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20 },
	};
	const uint8_t *a = algs[rnd() % 4];
	size_t n = 0, al = (size_t)a[1] + 2, k;

	if (rnd() % 4 == 0) { /* a hash list */
		for (k = rnd() % 8; k > 0 && n + 2 <= max; k--) {
			p[n++] = (uint8_t)(rnd() % 8 ? 0 : rnd());
			p[n++] = (uint8_t)(rnd() % 8);
		}
		return n;
	}
	if (rnd() % 2)
		p[n++] = (uint8_t)al;
	memcpy(p + n, a, al);
	n += al;
	for (k = rnd() % 3; k > 0; k--)
		p[rnd() % n] = (uint8_t)rnd();
	for (k = rnd() % 70; k > 0 && n < max; k--)
		p[n++] = (uint8_t)rnd();
	return n;
}

/* A plausible payload body: mostly the structure of one of the types. */
static size_t gen_body(uint8_t *p, size_t max)
{
	size_t n = 0;

	switch (rnd() % 7) {
	case 0: { /* SA: proposals of transforms with attributes */
		unsigned np = 1 + rnd() % 3;
		for (unsigned i = 0; i < np && n + 16 < max; i++) {
			size_t ps = n, nt = rnd() % 5, spi = (rnd() % 3) * 4;
			p[n++] = i + 1 == np ? 0 : 2;
			p[n++] = 0;
			n += 2;
			p[n++] = (uint8_t)(i + 1);
			p[n++] = (uint8_t)(1 + rnd() % 3);
			p[n++] = (uint8_t)spi;
			p[n++] = (uint8_t)(rnd() % 8 ? nt : rnd());
			for (size_t k = 0; k < spi && n < max; k++)
				p[n++] = (uint8_t)rnd();
			for (size_t t = 0; t < nt && n + 16 < max; t++) {
				size_t ts = n, na = rnd() % 3;
				p[n++] = t + 1 == nt ? 0 : 3;
				p[n++] = 0;
				n += 2;
				p[n++] = (uint8_t)(1 + rnd() % 5);
				p[n++] = 0;
				ikev2_put16(p + n, (uint16_t)(rnd() % 32));
				n += 2;
				for (size_t a = 0; a < na && n + 4 < max; a++) {
					ikev2_put16(p + n, (uint16_t)(rnd() % 2 ? 0x800e : rnd()));
					ikev2_put16(p + n + 2,
						    (uint16_t)(rnd() % 4 ? 128 : rnd() % 8));
					n += 4;
				}
				ikev2_put16(p + ts + 2,
					    (uint16_t)(rnd() % 16 ? n - ts : rnd() % 32));
			}
			ikev2_put16(p + ps + 2, (uint16_t)(rnd() % 16 ? n - ps : rnd() % 64));
		}
		break;
	}
	case 1: { /* TS */
		unsigned cnt = rnd() % 4;
		p[n++] = (uint8_t)(rnd() % 8 ? cnt : rnd());
		p[n++] = 0;
		p[n++] = 0;
		p[n++] = 0;
		for (unsigned i = 0; i < cnt && n + 40 < max; i++) {
			bool v4 = rnd() % 2;
			size_t al = v4 ? 4 : 16, s = n;
			p[n++] = (uint8_t)(rnd() % 16 ? (v4 ? 7 : 8) : rnd());
			p[n++] = (uint8_t)(rnd() % 2 ? 0 : rnd());
			ikev2_put16(p + n, (uint16_t)(rnd() % 16 ? 8 + 2 * al : rnd() % 48));
			n += 2;
			for (size_t k = 0; k < 4 + 2 * al; k++)
				p[n++] = (uint8_t)(rnd() % 3 ? 0 : rnd());
			if (rnd() % 2) { /* ordered range */
				memset(p + s + 4, 0, 2);
				memset(p + s + 6, 0xff, 2);
				memcpy(p + s + 8 + al, p + s + 8, al);
				p[s + 8 + 2 * al - 1] |= 0x0f;
			}
		}
		break;
	}
	case 2: { /* Notify / Delete */
		size_t spi = (rnd() % 3) * 4, cnt = rnd() % 4;
		p[n++] = (uint8_t)(1 + rnd() % 3);
		p[n++] = (uint8_t)(rnd() % 8 ? spi : rnd());
		ikev2_put16(p + n, (uint16_t)(rnd() % 2 ? cnt : rnd()));
		n += 2;
		for (size_t k = 0; k < spi * cnt && n < max; k++)
			p[n++] = (uint8_t)rnd();
		break;
	}
	case 3: { /* ID / AUTH / KE */
		static const uint8_t idt[] = { 1, 2, 3, 5, 9, 11 };
		size_t l = rnd() % 2 ? (rnd() % 2 ? 4 : 16) : rnd() % 40;
		p[n++] = idt[rnd() % sizeof(idt)];
		p[n++] = 0;
		p[n++] = 0;
		p[n++] = 0;
		for (size_t k = 0; k < l && n < max; k++)
			p[n++] = (uint8_t)(32 + rnd() % 100);
		break;
	}
	case 4: { /* SKF: fragment number and total, mostly consistent */
		uint16_t num = (uint16_t)(rnd() % 8 ? 1 + rnd() % 3 : rnd());
		uint16_t total = (uint16_t)(rnd() % 8 ? num + rnd() % 3 : rnd());
		size_t l = rnd() % 48;
		ikev2_put16(p, num);
		ikev2_put16(p + 2, total);
		n = 4;
		for (size_t k = 0; k < l && n < max; k++)
			p[n++] = (uint8_t)rnd();
		break;
	}
	case 5: n = gen_sig(p, max); break;
	default: { /* random */
		size_t l = rnd() % 64;
		for (size_t k = 0; k < l && n < max; k++)
			p[n++] = (uint8_t)rnd();
		break;
	}
	}
	return n;
}

/* Header plus a chain of generated payloads, then a few random mutations. */
static size_t gen_msg(uint8_t *m, size_t max)
{
	size_t n = IKEV2_HDR_LEN, np_off = 16;
	bool many = rnd() % 32 == 0; /* around IKEV2_MAX_PL empty payloads */
	unsigned npl = many ? IKEV2_MAX_PL - 2 + rnd() % 5 : rnd() % 6;

	for (size_t i = 0; i < IKEV2_HDR_LEN; i++)
		m[i] = (uint8_t)rnd();
	m[16] = 0;
	m[17] = 0x20;
	for (unsigned i = 0; i < npl && n + 600 < max; i++) {
		size_t s = n, bl;

		m[np_off] = pl_types[rnd() % sizeof(pl_types)];
		np_off = n;
		m[n] = 0;
		m[n + 1] = (uint8_t)(rnd() % 8 ? 0 : 0x80);
		n += 4;
		bl = many ? 0 : gen_body(m + n, 512);
		n += bl;
		ikev2_put16(m + s + 2, (uint16_t)(rnd() % 16 ? bl + 4 : rnd() % 600));
	}
	ikev2_put32(m + 24, (uint32_t)n);
	for (unsigned k = rnd() % 4; k > 0; k--)
		m[rnd() % n] = (uint8_t)rnd();
	if (rnd() % 16 == 0)
		n = rnd() % (n + 8);
	return n;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x1b2e3c4d5e6f7081ull;
	static uint8_t m[8192];

	rng_state = seed ? seed : 1;
	for (unsigned long i = 0; i < iters; i++) {
		size_t n;

		if (rnd() % 4 == 0) {
			n = rnd() % 256;
			for (size_t k = 0; k < n; k++)
				m[k] = (uint8_t)rnd();
		} else {
			n = gen_msg(m, sizeof(m));
		}
		LLVMFuzzerTestOneInput(m, n);
	}
	printf("fuzz_ikev2_msg: %lu inputs, seed 0x%llx, no failures\n", iters,
	       (unsigned long long)seed);
	return 0;
}
#endif
