/* SPDX-License-Identifier: BSD-3-Clause */
/* ECDSA P-256 through ike/pki on one core: AUTH signatures made
 * (ike_cred_sign) and checked (ike_pki_verify_auth), and a certificate's
 * signature checked with its CA's key (X509_verify: the public-key work of
 * a chain check, without the path building that ike/pki's verified-path
 * cache spares a returning peer), each per CPU-second. Keys and certificates are made here in a temporary
 * folder. Prints JSON; figures in docs/performance.md. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ike/ike_pki.h"

static double now(void)
{
	struct timespec ts;

	/* CPU time of this thread: figures per CPU-second hold on a busy
	 * machine, and compare with `openssl speed` (user time) */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *ca_key, X509 *ca, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 2 : 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : n);
	X509_set_pubkey(x, key);
	X509_NAME_free(n);
	if (!ca) { /* the CA: basicConstraints CA:TRUE */
		BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
		bc->ca = 1;
		X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, 0);
		BASIC_CONSTRAINTS_free(bc);
	}
	if (!X509_sign(x, ca_key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	return ok && chmod(path, 0600) == 0 ? 0 : -1;
}

/* A CA and a leaf under it, written to dir; the store trusts the CA and
 * holds the leaf with its key. */
static struct ike_creds *make_creds(const char *dir, uint8_t *leaf_der, size_t *leaf_len)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
	X509 *ca = make_cert(ca_key, ca_key, NULL, "Bench CA");
	X509 *leaf = ca ? make_cert(key, ca_key, ca, "bench.example.org") : NULL;
	char p[3][256];
	struct ike_creds *c = ike_creds_new();
	unsigned char *d = leaf_der;
	char err[256];

	snprintf(p[0], sizeof(p[0]), "%s/ca.pem", dir);
	snprintf(p[1], sizeof(p[1]), "%s/leaf.pem", dir);
	snprintf(p[2], sizeof(p[2]), "%s/leaf.key", dir);
	if (!c || !leaf || write_pem(p[0], ca, NULL) || write_pem(p[1], leaf, NULL) ||
	    write_pem(p[2], NULL, key) || ike_creds_load_ca(c, p[0], err, sizeof(err)) ||
	    ike_creds_load_local(c, p[1], p[2], NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "ecdsa_ceiling: setup failed\n");
		ike_creds_unref(c);
		c = NULL;
	}
	*leaf_len = leaf ? (size_t)i2d_X509(leaf, &d) : 0;
	for (int i = 0; i < 3; i++)
		remove(p[i]);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return c;
}

/* Calls of fn per CPU-second, over about 2 s of CPU time. */
static double rate(int (*fn)(void *), void *arg)
{
	double t0 = now(), t;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 100; i++, n++)
			if (fn(arg) != 0)
				return -1;
		t = now() - t0;
	} while (t < 2.0);
	return (double)n / t;
}

struct bench {
	const struct ike_cred *cr;
	struct ike_creds *c;
	struct ike_pki_chain *ch;
	EVP_PKEY *ca_key;
	struct ike_pki_scheme s;
	uint8_t octets[500], auth[IKE_PKI_MAX_AUTH];
	size_t alen;
};

static int do_sign(void *arg)
{
	struct bench *b = arg;

	b->alen = sizeof(b->auth);
	return ike_cred_sign(b->cr, &b->s, b->octets, sizeof(b->octets), b->auth, &b->alen);
}

static int do_verify(void *arg)
{
	struct bench *b = arg;

	return ike_pki_verify_auth(ike_cred_cert(b->cr), b->s.method, b->auth, b->alen, b->octets,
				   sizeof(b->octets), NULL, 0);
}

static int do_chain(void *arg)
{
	struct bench *b = arg;

	return X509_verify(ike_pki_chain_leaf(b->ch), b->ca_key) == 1 ? 0 : -1;
}

static void find_ca(void *arg, const char *kind, X509 *cert, const char *source)
{
	struct bench *b = arg;

	(void)source;
	if (!b->ca_key && strcmp(kind, "ca") == 0)
		b->ca_key = X509_get0_pubkey(cert);
}

int main(void)
{
	char dir[] = "/tmp/ecdsa_ceiling-XXXXXX";
	struct bench b = { 0 };
	uint8_t der[2048];
	size_t dlen;
	double sign, verify, chain;

	if (!mkdtemp(dir) || !(b.c = make_creds(dir, der, &dlen)))
		return 1;
	rmdir(dir);
	b.cr = ike_creds_local_at(b.c, 0);
	b.ch = ike_pki_chain_new();
	if (!b.ch || ike_pki_chain_add_der(b.ch, der, dlen, NULL, 0) < 0 ||
	    ike_cred_scheme(b.cr, 0, false, &b.s) < 0)
		return 1;
	ike_creds_foreach(b.c, find_ca, &b);
	if (!b.ca_key)
		return 1;
	memset(b.octets, 0x5a, sizeof(b.octets));
	sign = rate(do_sign, &b);
	verify = rate(do_verify, &b);
	chain = rate(do_chain, &b);
	if (sign < 0 || verify < 0 || chain < 0) {
		fprintf(stderr, "ecdsa_ceiling: a call failed (sign %.0f verify %.0f chain %.0f)\n",
			sign, verify, chain);
		return 1;
	}
	printf("{\"method\":%u,\"octets\":%zu,\"sign_per_s\":%.0f,\"verify_per_s\":%.0f,"
	       "\"cert_verify_per_s\":%.0f}\n",
	       b.s.method, sizeof(b.octets), sign, verify, chain);
	ike_pki_chain_free(b.ch);
	ike_creds_unref(b.c);
	return 0;
}
