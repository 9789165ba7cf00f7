/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsed peer certificates, kept by their exact DER bytes.
 *
 * OpenSSL 3.0's d2i_X509 decodes the certificate's public key through the
 * provider decoders, and sets up a decoder context each time: about 60-90 us
 * for a P-256 certificate on the build machine, as much as an ECDSA verify.
 * A peer's chain (end entity + intermediate) cost more to parse than all
 * the signature work of the handshake (docs/performance.md). The same
 * certificates come again and again (an intermediate with every peer under
 * it, a peer's end entity at each reauthentication), so the parsed X509 is
 * kept and shared (X509_up_ref: OpenSSL shares X509 objects between
 * threads, as every X509_STORE does). A hit is the object d2i_X509 made
 * from the very same bytes, so the chains verified before can be found by
 * these objects (pki_vcache.c).
 *
 * Direct-mapped, PKI_CACHE_SLOTS slots: a new certificate takes its slot
 * from the one before, so memory stays bounded whatever peers send. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ike/pki/pki_priv.h"

#define PKI_CACHE_SLOTS   64u
#define PKI_CACHE_MAX_DER 65535u

struct pki_cache_slot {
	X509 *x;
	uint8_t *der;
	size_t len;
};

static struct pki_cache_slot slots[PKI_CACHE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a over the length and the last 32 bytes: those end the signature
 * value, which differs between any two certificates. A collision costs a
 * memcmp and a parse, never a wrong answer (the whole DER is compared). */
static unsigned slot_of(const uint8_t *der, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ len;
	size_t from = len > 32 ? len - 32 : 0;

	for (size_t i = from; i < len; i++)
		h = (h ^ der[i]) * 0x100000001b3ull;
	return (unsigned)(h % PKI_CACHE_SLOTS);
}

static X509 *parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (x && p != der + len) { /* trailing bytes: not one certificate */
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Puts x (one more reference) in slot s, in place of what was there. */
static void keep(struct pki_cache_slot *s, X509 *x, const uint8_t *der, size_t len)
{
	uint8_t *copy = malloc(len);

	if (!copy || !X509_up_ref(x)) {
		free(copy);
		return;
	}
	memcpy(copy, der, len);
	X509_free(s->x);
	free(s->der);
	*s = (struct pki_cache_slot){ .x = x, .der = copy, .len = len };
}

X509 *pki_cache_d2i(const uint8_t *der, size_t len)
{
	struct pki_cache_slot *s;
	X509 *x = NULL;

	if (len == 0 || len > PKI_CACHE_MAX_DER)
		return NULL;
	s = &slots[slot_of(der, len)];
	pthread_mutex_lock(&lock);
	if (s->x && s->len == len && memcmp(s->der, der, len) == 0 && X509_up_ref(s->x))
		x = s->x;
	pthread_mutex_unlock(&lock);
	if (x)
		return x;
	/* parsed outside the lock: other threads' hits do not wait for it */
	if (!(x = parse(der, len)))
		return NULL;
	pthread_mutex_lock(&lock);
	keep(s, x, der, len);
	pthread_mutex_unlock(&lock);
	return x;
}
