/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading certificate and key files: PEM or DER, told apart by content.
 * Secrets (key file bytes, passphrase) are wiped before their buffers go. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ike/pki/pki_priv.h"

#define PKI_MAX_FILE (1u << 20) /* no certificate or key file is larger */

static int read_fd(int fd, const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *b;
	size_t got = 0;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pki_err(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_size == 0 || (size_t)st.st_size > PKI_MAX_FILE) {
		pki_err(err, errlen, "%s: size %lld (expected 1..%u bytes)", path,
			(long long)st.st_size, PKI_MAX_FILE);
		return -EINVAL;
	}
	b = OPENSSL_secure_malloc((size_t)st.st_size + 1); /* +1: a NUL for text */
	if (!b)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r <= 0) {
			OPENSSL_secure_clear_free(b, (size_t)st.st_size + 1);
			pki_err(err, errlen, "%s: read: %s", path,
				r < 0 ? strerror(errno) : "short");
			return -EIO;
		}
		got += (size_t)r;
	}
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

/* The whole file in a buffer to free with pki_free_file() (wipes it). */
int pki_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0) {
		pki_err(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	r = read_fd(fd, path, buf, len, err, errlen);
	close(fd);
	return r;
}

static void free_file(uint8_t *buf, size_t len)
{
	OPENSSL_secure_clear_free(buf, len + 1);
}

static bool is_pem(const uint8_t *b, size_t len)
{
	return memmem(b, len, "-----BEGIN ", 11) != NULL;
}

static int pem_certs(const uint8_t *b, size_t len, STACK_OF(X509) * sk)
{
	BIO *bio = BIO_new_mem_buf(b, (int)len);
	X509 *x;

	if (!bio)
		return -ENOMEM;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	}
	BIO_free(bio);
	/* the loop ends on "no start line" at the end of the file: no error */
	if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	return ERR_peek_error() ? -EINVAL : 0;
}

/* Every certificate in a PEM file (in order), or the one of a DER file. */
int pki_certs_from_file(const char *path, STACK_OF(X509) * *out, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	uint8_t *b;
	size_t len;
	int r;

	if (!sk)
		return -ENOMEM;
	r = pki_read_file(path, &b, &len, err, errlen);
	if (r < 0) {
		sk_X509_free(sk);
		return r;
	}
	ERR_clear_error();
	if (is_pem(b, len)) {
		r = pem_certs(b, len, sk);
	} else {
		const unsigned char *p = b;
		X509 *x = d2i_X509(NULL, &p, (long)len);
		r = x && p == b + len && sk_X509_push(sk, x) ? 0 : -EINVAL;
		if (r < 0)
			X509_free(x);
	}
	free_file(b, len);
	if (r == 0 && sk_X509_num(sk) == 0)
		r = -ENOENT;
	if (r < 0) {
		pki_err(err, errlen, "%s: %s", path,
			r == -ENOENT ? "no certificate in the file"
				     : "not a PEM or DER X.509 certificate");
		sk_X509_pop_free(sk, X509_free);
		return -EINVAL;
	}
	*out = sk;
	return 0;
}

/* Secrets must be ours alone: refuse group/world access (as ssh does). */
static int check_private(int fd, const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		pki_err(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		pki_err(err, errlen,
			"%s: %s file has mode %04o, readable or writable by group or others; "
			"chmod 600 it",
			path, what, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int read_private(const char *path, const char *what, uint8_t **buf, size_t *len, char *err,
			size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0) {
		pki_err(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	r = check_private(fd, path, what, err, errlen);
	if (r == 0)
		r = read_fd(fd, path, buf, len, err, errlen);
	close(fd);
	return r;
}

/* The passphrase: the file's first line, without its line end. */
static int read_pass(const char *path, uint8_t **pass, size_t *plen, size_t *blen, char *err,
		     size_t errlen)
{
	int r = read_private(path, "passphrase", pass, blen, err, errlen);

	if (r < 0)
		return r;
	*plen = strcspn((const char *)*pass, "\r\n");
	if (*plen == 0) {
		free_file(*pass, *blen);
		pki_err(err, errlen, "%s: empty passphrase", path);
		return -EINVAL;
	}
	return 0;
}

static const char *ossl_reason(void)
{
	const char *s = ERR_reason_error_string(ERR_peek_last_error());

	return s ? s : "unrecognised content";
}

static EVP_PKEY *decode_key(const uint8_t *b, size_t len, const uint8_t *pass, size_t plen)
{
	EVP_PKEY *pk = NULL;
	OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(&pk, NULL, NULL, NULL, EVP_PKEY_KEYPAIR,
							    NULL, NULL);
	const unsigned char *p = b;
	size_t left = len;

	if (!d)
		return NULL;
	/* no passphrase: an empty one, so that an encrypted key fails at once
	 * instead of prompting on a terminal */
	OSSL_DECODER_CTX_set_passphrase(d, pass ? pass : (const uint8_t *)"", pass ? plen : 0);
	if (!OSSL_DECODER_from_data(d, &p, &left)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	OSSL_DECODER_CTX_free(d);
	return pk;
}

/* A private key: PEM or DER, PKCS#1, SEC1, PKCS#8, encrypted PKCS#8. */
int pki_key_from_file(const char *key_path, const char *pass_path, EVP_PKEY **out, char *err,
		      size_t errlen)
{
	uint8_t *b, *pass = NULL;
	size_t len, plen = 0, pblen = 0;
	int r = read_private(key_path, "private key", &b, &len, err, errlen);

	if (r < 0)
		return r;
	if (pass_path && (r = read_pass(pass_path, &pass, &plen, &pblen, err, errlen)) < 0) {
		free_file(b, len);
		return r;
	}
	ERR_clear_error();
	*out = decode_key(b, len, pass, plen);
	free_file(b, len);
	if (pass)
		free_file(pass, pblen);
	if (!*out) {
		pki_err(err, errlen, "%s: cannot read the private key (%s)%s", key_path,
			ossl_reason(),
			pass_path ? "; wrong passphrase?"
				  : "; if it is encrypted, give a passphrase file");
		ERR_clear_error();
		return -EINVAL;
	}
	return 0;
}
