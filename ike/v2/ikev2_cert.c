/* SPDX-License-Identifier: BSD-3-Clause */
/* CERT and CERTREQ payload bodies (RFC 7296 3.6, 3.7). */
#include "ike/v2/ikev2_cert.h"

#include "ike/v2/ikev2_wire.h"

int ikev2_cert_parse(const uint8_t *buf, size_t len, struct ikev2_cert *c)
{
	if (len < 2 || len - 1 > IKEV2_CERT_MAX_LEN)
		return IKEV2_E_MALFORMED;
	c->encoding = buf[0];
	c->data = buf + 1;
	c->len = len - 1;
	return 0;
}

int ikev2_certreq_parse(const uint8_t *buf, size_t len, struct ikev2_certreq *r)
{
	if (len < 1)
		return IKEV2_E_MALFORMED;
	r->encoding = buf[0];
	r->hashes = buf + 1;
	r->n = 0;
	if (r->encoding != IKEV2_CERT_X509_SIG)
		return 0;
	if ((len - 1) % IKEV2_CERTREQ_HASH_LEN)
		return IKEV2_E_MALFORMED;
	r->n = (len - 1) / IKEV2_CERTREQ_HASH_LEN;
	return 0;
}

void ikev2_w_cert(struct ikev2_writer *w, uint8_t encoding, const uint8_t *data, size_t len)
{
	size_t s = ikev2_w_begin(w, IKEV2_PL_CERT, false);

	ikev2_w_u8(w, encoding);
	ikev2_w_bytes(w, data, len);
	ikev2_w_end(w, s);
}

void ikev2_w_certreq(struct ikev2_writer *w, uint8_t encoding, const uint8_t *hashes, size_t n)
{
	size_t s = ikev2_w_begin(w, IKEV2_PL_CERTREQ, false);

	ikev2_w_u8(w, encoding);
	ikev2_w_bytes(w, hashes, n * IKEV2_CERTREQ_HASH_LEN);
	ikev2_w_end(w, s);
}
