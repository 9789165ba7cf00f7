/* SPDX-License-Identifier: BSD-3-Clause */
/* CERT and CERTREQ payload bodies (ike/v2/ikev2_cert.c). */
#include <string.h>

#include "ike/v2/ikev2_cert.h"
#include "ike/v2/ikev2_wire.h"
#include "tests/unit/test.h"

static uint8_t buf[256];

/* Writes one payload with f and returns its body. */
static const uint8_t *body_of(struct ikev2_writer *w, size_t *len)
{
	CU_ASSERT_FATAL(!w->overflow && w->len >= IKEV2_PL_HDR_LEN);
	CU_ASSERT_EQUAL(ikev2_get16(buf + 2), w->len);
	*len = w->len - IKEV2_PL_HDR_LEN;
	return buf + IKEV2_PL_HDR_LEN;
}

static void test_cert(void)
{
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	struct ikev2_writer w;
	struct ikev2_cert c;
	const uint8_t *b;
	size_t len;

	ikev2_w_init(&w, buf, sizeof(buf), sizeof(buf) - 1);
	ikev2_w_cert(&w, IKEV2_CERT_X509_SIG, der, sizeof(der));
	b = body_of(&w, &len);
	CU_ASSERT_EQUAL(buf[sizeof(buf) - 1], IKEV2_PL_CERT);
	CU_ASSERT_EQUAL(len, 1 + sizeof(der));
	CU_ASSERT_EQUAL(ikev2_cert_parse(b, len, &c), 0);
	CU_ASSERT_EQUAL(c.encoding, IKEV2_CERT_X509_SIG);
	CU_ASSERT_EQUAL(c.len, sizeof(der));
	CU_ASSERT(memcmp(c.data, der, sizeof(der)) == 0);
	/* No data: malformed; an encoding byte alone says nothing. */
	CU_ASSERT_EQUAL(ikev2_cert_parse(b, 1, &c), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_cert_parse(b, 0, &c), IKEV2_E_MALFORMED);
	/* Bounded: a certificate above IKEV2_CERT_MAX_LEN is refused. */
	CU_ASSERT_EQUAL(ikev2_cert_parse(b, IKEV2_CERT_MAX_LEN + 2, &c), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_cert_parse(b, IKEV2_CERT_MAX_LEN + 1, &c), 0);
}

static void test_certreq(void)
{
	uint8_t hashes[3 * IKEV2_CERTREQ_HASH_LEN];
	struct ikev2_writer w;
	struct ikev2_certreq r;
	const uint8_t *b;
	size_t len;

	for (unsigned i = 0; i < sizeof(hashes); i++)
		hashes[i] = (uint8_t)i;
	ikev2_w_init(&w, buf, sizeof(buf), sizeof(buf) - 1);
	ikev2_w_certreq(&w, IKEV2_CERT_X509_SIG, hashes, 3);
	b = body_of(&w, &len);
	CU_ASSERT_EQUAL(buf[sizeof(buf) - 1], IKEV2_PL_CERTREQ);
	CU_ASSERT_EQUAL(len, 1 + sizeof(hashes));
	CU_ASSERT_EQUAL(ikev2_certreq_parse(b, len, &r), 0);
	CU_ASSERT_EQUAL(r.n, 3);
	CU_ASSERT(memcmp(r.hashes + 2 * IKEV2_CERTREQ_HASH_LEN, hashes + 40, 20) == 0);
	/* Empty: no CA named, valid. A partial hash: malformed. */
	CU_ASSERT_EQUAL(ikev2_certreq_parse(b, 1, &r), 0);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(ikev2_certreq_parse(b, 0, &r), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_certreq_parse(b, len - 1, &r), IKEV2_E_MALFORMED);
	/* Another encoding: parsed, no hashes taken from it. */
	buf[IKEV2_PL_HDR_LEN] = IKEV2_CERT_HASH_URL_X509;
	CU_ASSERT_EQUAL(ikev2_certreq_parse(b, len - 1, &r), 0);
	CU_ASSERT_EQUAL(r.encoding, IKEV2_CERT_HASH_URL_X509);
	CU_ASSERT_EQUAL(r.n, 0);
}

static const struct test_case cases[] = {
	{ "CERT round trip, empty and oversize refused", test_cert },
	{ "CERTREQ round trip, partial hash refused, other encodings", test_certreq },
	{ NULL, NULL },
};
TEST_SUITE(cert_payload, cases)
