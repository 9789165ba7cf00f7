/* SPDX-License-Identifier: BSD-3-Clause */
/* CERT and CERTREQ payloads (RFC 7296 3.6, 3.7): their bodies parsed and
 * written. What the certificates mean is ike/pki's. */
#ifndef IKEV2_CERT_H
#define IKEV2_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "ike/v2/ikev2_payload.h"

enum {
	IKEV2_CERT_X509_SIG = 4,      /* DER X.509 certificate */
	IKEV2_CERT_CRL = 7,           /* DER CRL */
	IKEV2_CERT_HASH_URL_X509 = 12 /* not supported: refused by the parser's caller */
};
#define IKEV2_CERTREQ_HASH_LEN 20 /* SHA-1 of a CA's SubjectPublicKeyInfo */
#define IKEV2_CERT_MAX_LEN     16384

struct ikev2_cert {
	uint8_t encoding;
	const uint8_t *data; /* points into the parsed buffer */
	size_t len;
};
/* IKEV2_E_MALFORMED without data or above IKEV2_CERT_MAX_LEN. */
int ikev2_cert_parse(const uint8_t *buf, size_t len, struct ikev2_cert *c);

struct ikev2_certreq {
	uint8_t encoding;
	const uint8_t *hashes; /* n concatenated SHA-1 hashes (X.509 encoding) */
	size_t n;
};
/* An X.509 CERTREQ whose length is not a multiple of the hash length is
 * IKEV2_E_MALFORMED; an empty one (no CA named: any will do) is valid.
 * Other encodings parse with n = 0 and are the caller's to ignore. */
int ikev2_certreq_parse(const uint8_t *buf, size_t len, struct ikev2_certreq *r);

void ikev2_w_cert(struct ikev2_writer *w, uint8_t encoding, const uint8_t *data, size_t len);
void ikev2_w_certreq(struct ikev2_writer *w, uint8_t encoding, const uint8_t *hashes, size_t n);

#endif
