/* SPDX-License-Identifier: BSD-3-Clause */
/* Chains already verified, per credential store.
 *
 * X509_verify_cert() checks every signature of the path at every call
 * (OpenSSL 3.0 keeps no signature result in an X509), so a peer that comes
 * back (reauthentication, a restart, a concentrator's thousands of road
 * warriors under one intermediate) costs the intermediate's verify and the
 * end entity's again each time: in the certificate bench that was the
 * largest share of a handshake after the AUTH signature itself. strongSwan
 * keeps the same kind of result (its cert_cache of issued_by() answers).
 *
 * What is kept: for the certificates a peer sent (end entity first, the
 * very X509 objects the parse cache shared, so pointer equality is DER
 * equality; each entry holds a reference, so a pointer is never reused for
 * another certificate while it is here), the path X509_verify_cert() built
 * from them and the store, and the time window in which every element of
 * that path is valid. A hit inside the window is the answer
 * X509_verify_cert() gave: the path is a valid one at that time, and the
 * store did not change (every load into the store empties the cache). A
 * hit outside the window is a miss. Failures are never kept (their
 * explanation needs the verification's context, and they are rare).
 * Revocation and the connection's CA constraint are not part of it: they
 * are checked on the path at every verification.
 *
 * Direct-mapped, PKI_VCACHE_SLOTS slots: bounded whatever peers send. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ike/pki/pki_priv.h"

#define PKI_VCACHE_SLOTS 256u
#define PKI_VCACHE_SENT  4 /* longer chains sent are verified every time */

struct pki_vcache_slot {
	X509 *sent[PKI_VCACHE_SENT];
	int n_sent;
	STACK_OF(X509) * path;
	time_t valid_from, valid_to;
};

struct pki_vcache {
	pthread_mutex_t lock;
	struct pki_vcache_slot slots[PKI_VCACHE_SLOTS];
	unsigned long hits, misses;
};

struct pki_vcache *pki_vcache_new(void)
{
	struct pki_vcache *v = calloc(1, sizeof(*v));

	if (v && pthread_mutex_init(&v->lock, NULL) != 0) {
		free(v);
		return NULL;
	}
	return v;
}

static void slot_clear(struct pki_vcache_slot *s)
{
	for (int i = 0; i < s->n_sent; i++)
		X509_free(s->sent[i]);
	sk_X509_pop_free(s->path, X509_free);
	memset(s, 0, sizeof(*s));
}

void pki_vcache_clear(struct pki_vcache *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	for (unsigned i = 0; i < PKI_VCACHE_SLOTS; i++)
		slot_clear(&v->slots[i]);
	pthread_mutex_unlock(&v->lock);
}

void pki_vcache_free(struct pki_vcache *v)
{
	if (!v)
		return;
	pki_vcache_clear(v);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static unsigned slot_of(STACK_OF(X509) * sent)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < sk_X509_num(sent); i++)
		h = (h ^ (uintptr_t)sk_X509_value(sent, i)) * 0x100000001b3ull;
	return (unsigned)((h ^ (h >> 29)) % PKI_VCACHE_SLOTS);
}

static bool same_sent(const struct pki_vcache_slot *s, STACK_OF(X509) * sent)
{
	if (!s->path || s->n_sent != sk_X509_num(sent))
		return false;
	for (int i = 0; i < s->n_sent; i++)
		if (s->sent[i] != sk_X509_value(sent, i))
			return false;
	return true;
}

STACK_OF(X509) * pki_vcache_get(struct pki_vcache *v, STACK_OF(X509) * sent, time_t now)
{
	struct pki_vcache_slot *s;
	STACK_OF(X509) *path = NULL;

	if (!v || sk_X509_num(sent) < 1 || sk_X509_num(sent) > PKI_VCACHE_SENT)
		return NULL;
	s = &v->slots[slot_of(sent)];
	pthread_mutex_lock(&v->lock);
	if (same_sent(s, sent) && now >= s->valid_from && now <= s->valid_to)
		path = X509_chain_up_ref(s->path);
	if (path)
		v->hits++;
	else
		v->misses++;
	pthread_mutex_unlock(&v->lock);
	return path;
}

/* The window in which every element of path is valid: OpenSSL refuses a
 * certificate when notBefore is after the time or notAfter before it. */
static int path_window(STACK_OF(X509) * path, time_t *from, time_t *to)
{
	*from = 0;
	*to = (time_t)INT64_MAX;
	for (int i = 0; i < sk_X509_num(path); i++) {
		X509 *x = sk_X509_value(path, i);
		struct tm nb, na;

		if (!ASN1_TIME_to_tm(X509_get0_notBefore(x), &nb) ||
		    !ASN1_TIME_to_tm(X509_get0_notAfter(x), &na))
			return -1;
		if (timegm(&nb) > *from)
			*from = timegm(&nb);
		if (timegm(&na) < *to)
			*to = timegm(&na);
	}
	return *from <= *to ? 0 : -1;
}

void pki_vcache_put(struct pki_vcache *v, STACK_OF(X509) * sent, STACK_OF(X509) * path)
{
	struct pki_vcache_slot n = { .n_sent = sk_X509_num(sent) }, *s;

	if (!v || n.n_sent < 1 || n.n_sent > PKI_VCACHE_SENT ||
	    path_window(path, &n.valid_from, &n.valid_to) < 0 ||
	    !(n.path = X509_chain_up_ref(path)))
		return;
	for (int i = 0; i < n.n_sent; i++) {
		n.sent[i] = sk_X509_value(sent, i);
		X509_up_ref(n.sent[i]);
	}
	s = &v->slots[slot_of(sent)];
	pthread_mutex_lock(&v->lock);
	slot_clear(s);
	*s = n;
	pthread_mutex_unlock(&v->lock);
}

void pki_vcache_stats(struct pki_vcache *v, unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&v->lock);
	*hits = v->hits;
	*misses = v->misses;
	pthread_mutex_unlock(&v->lock);
}
