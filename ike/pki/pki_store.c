/* SPDX-License-Identifier: BSD-3-Clause */
/* The credential store: trust anchors in an X509_STORE, intermediates, our
 * own certificates and keys. Built by one thread, then shared read-only and
 * freed by its last reference (see ike/ike_pki.h). */
#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ike/pki/pki_priv.h"

void pki_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* RFC 7296 3.7: SHA-1 of the whole SubjectPublicKeyInfo (X509_pubkey_digest
 * would hash only the key's bit string). */
int pki_spki_sha1(X509 *x, uint8_t out[IKE_PKI_SHA1_LEN])
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	unsigned int olen = 0;
	int ok;

	if (n <= 0)
		return -EINVAL;
	ok = EVP_Digest(der, (size_t)n, out, &olen, EVP_sha1(), NULL);
	OPENSSL_free(der);
	return ok && olen == IKE_PKI_SHA1_LEN ? 0 : -EIO;
}

struct ike_creds *ike_creds_new(void)
{
	struct ike_creds *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->store = X509_STORE_new();
	c->vcache = pki_vcache_new();
	if (!c->store || !c->vcache) {
		X509_STORE_free(c->store);
		pki_vcache_free(c->vcache);
		free(c);
		return NULL;
	}
	c->refs = 1;
	return c;
}

struct ike_creds *ike_creds_ref(struct ike_creds *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

static void certs_free(struct pki_certs *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		X509_free(l->v[i].x);
		free(l->v[i].source);
	}
	free(l->v);
}

void ike_creds_unref(struct ike_creds *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (unsigned i = 0; i < c->n_locals; i++)
		pki_local_free(c->locals[i]);
	free(c->locals);
	certs_free(&c->cas);
	certs_free(&c->inters);
	X509_STORE_free(c->store);
	pki_vcache_free(c->vcache);
	free(c);
}

static int certs_add(struct pki_certs *l, X509 *x, const char *source)
{
	struct pki_cert *e;

	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 8;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n];
	e->source = strdup(source);
	if (!e->source || pki_spki_sha1(x, e->spki_sha1) < 0) {
		free(e->source);
		return -ENOMEM;
	}
	X509_up_ref(x);
	e->x = x;
	l->n++;
	return 0;
}

/* Rebuilds what each local credential sends and matches: a CA or an
 * intermediate loaded after it may complete its path. */
static int rebuild_locals(struct ike_creds *c)
{
	for (unsigned i = 0; i < c->n_locals; i++) {
		int r = pki_local_build(c, c->locals[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_file(struct ike_creds *c, const char *path, bool trusted, char *err, size_t errlen)
{
	STACK_OF(X509) * sk;
	int r = pki_certs_from_file(path, &sk, err, errlen);

	for (int i = 0; r == 0 && i < sk_X509_num(sk); i++) {
		X509 *x = sk_X509_value(sk, i);
		r = certs_add(trusted ? &c->cas : &c->inters, x, path);
		if (r == 0 && trusted && !X509_STORE_add_cert(c->store, x))
			r = -ENOMEM;
		if (r < 0)
			pki_err(err, errlen, "%s: cannot store certificate %d", path, i + 1);
	}
	if (r == 0)
		sk_X509_pop_free(sk, X509_free);
	return r;
}

static int add_dir(struct ike_creds *c, const char *dir, bool trusted, char *err, size_t errlen)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), r = 0;

	if (n < 0) {
		pki_err(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (r == 0 && names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) <
			    (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			r = add_file(c, path, trusted, err, errlen);
		free(names[i]);
	}
	free(names);
	return r;
}

static int load_certs(struct ike_creds *c, const char *path, bool trusted, char *err, size_t errlen)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0) {
		pki_err(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	r = S_ISDIR(st.st_mode) ? add_dir(c, path, trusted, err, errlen)
				: add_file(c, path, trusted, err, errlen);
	pki_vcache_clear(c->vcache); /* a path verified before may differ now */
	return r < 0 ? r : rebuild_locals(c);
}

int ike_creds_load_ca(struct ike_creds *c, const char *path, char *err, size_t errlen)
{
	return load_certs(c, path, true, err, errlen);
}

int ike_creds_load_intermediate(struct ike_creds *c, const char *path, char *err, size_t errlen)
{
	return load_certs(c, path, false, err, errlen);
}

static int local_add(struct ike_creds *c, struct ike_cred *cr)
{
	void *v = realloc(c->locals, (c->n_locals + 1) * sizeof(*c->locals));

	if (!v)
		return -ENOMEM;
	c->locals = v;
	c->locals[c->n_locals++] = cr;
	return pki_local_build(c, cr);
}

static int local_load(struct ike_cred *cr, const char *cert_path, const char *key_path,
		      const char *pass_path, char *err, size_t errlen)
{
	int r = pki_certs_from_file(cert_path, &cr->bundle, err, errlen);

	if (r < 0)
		return r;
	cr->cert = sk_X509_shift(cr->bundle);
	cr->source = strdup(cert_path);
	if (!cr->source)
		return -ENOMEM;
	r = pki_key_from_file(key_path, pass_path, &cr->key, err, errlen);
	if (r < 0)
		return r;
	if (EVP_PKEY_eq(X509_get0_pubkey(cr->cert), cr->key) != 1) {
		pki_err(err, errlen, "%s: the private key does not match the certificate %s",
			key_path, cert_path);
		return -EINVAL;
	}
	if (pki_key_type(cr->key) == PKI_KEY_NONE) {
		pki_err(err, errlen, "%s: unsupported key type %s", key_path,
			EVP_PKEY_get0_type_name(cr->key));
		return -ENOTSUP;
	}
	return 0;
}

int ike_creds_load_local(struct ike_creds *c, const char *cert_path, const char *key_path,
			 const char *pass_path, const struct ike_cred **out, char *err,
			 size_t errlen)
{
	struct ike_cred *cr = calloc(1, sizeof(*cr));
	int r;

	if (!cr)
		return -ENOMEM;
	r = local_load(cr, cert_path, key_path, pass_path, err, errlen);
	if (r == 0 && (r = local_add(c, cr)) < 0) {
		c->n_locals--;
		pki_err(err, errlen, "%s: out of memory", cert_path);
	}
	if (r < 0) {
		pki_local_free(cr);
		return r;
	}
	if (out)
		*out = cr;
	return 0;
}

unsigned ike_creds_local_count(const struct ike_creds *c)
{
	return c->n_locals;
}

const struct ike_cred *ike_creds_local_at(const struct ike_creds *c, unsigned i)
{
	return i < c->n_locals ? c->locals[i] : NULL;
}

const char *ike_cred_source(const struct ike_cred *cr)
{
	return cr->source;
}

X509 *ike_cred_cert(const struct ike_cred *cr)
{
	return cr->cert;
}

void ike_creds_foreach(const struct ike_creds *c, ike_creds_visit_fn fn, void *arg)
{
	for (unsigned i = 0; i < c->cas.n; i++)
		fn(arg, "ca", c->cas.v[i].x, c->cas.v[i].source);
	for (unsigned i = 0; i < c->inters.n; i++)
		fn(arg, "intermediate", c->inters.v[i].x, c->inters.v[i].source);
	for (unsigned i = 0; i < c->n_locals; i++)
		fn(arg, "local", c->locals[i]->cert, c->locals[i]->source);
}

int ike_creds_certreq(const struct ike_creds *c, uint8_t *out, size_t cap)
{
	if ((size_t)c->cas.n * IKE_PKI_SHA1_LEN > cap)
		return -ENOSPC;
	for (unsigned i = 0; i < c->cas.n; i++)
		memcpy(out + i * IKE_PKI_SHA1_LEN, c->cas.v[i].spki_sha1, IKE_PKI_SHA1_LEN);
	return (int)(c->cas.n * IKE_PKI_SHA1_LEN);
}
