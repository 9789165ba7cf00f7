/* SPDX-License-Identifier: BSD-3-Clause */
/* ike/pki: credential loading, chain verification, identities, CERTREQ and
 * signature AUTH methods, against a PKI made at test time by the openssl
 * command line (tests/unit/ike/pki_gen.sh) in a folder under build/.
 * Signatures are checked both ways against the openssl command line. */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ike/ike_pki.h"
#include "tests/unit/ike/pki_fixture.h"
#include "tests/unit/test.h"

/* ---- the test PKI ---- */

static const char *pki_dir = "";

/* The test PKI, shared with the other suites (pki_fixture.c). */
static bool pki_ready(void)
{
	const char *d = pki_fixture_dir();

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pki_dir = d;
	return d != NULL;
}

#define P pki_fixture_path

/* Runs a shell command in the PKI folder; its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", pki_dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static size_t slurp(const char *name, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(P(name), "rb");
	size_t n = f ? fread(buf, 1, cap, f) : 0;

	CU_ASSERT_PTR_NOT_NULL(f);
	if (f)
		fclose(f);
	return n;
}

static void spit(const char *name, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(P(name), "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static X509 *load_x509(const char *name)
{
	uint8_t der[8192];
	size_t n;
	const unsigned char *p = der;

	CU_ASSERT_EQUAL(sh("openssl x509 -in %s -outform DER -out x.der", name), 0);
	n = slurp("x.der", der, sizeof(der));
	return d2i_X509(NULL, &p, (long)n);
}

/* A store with the root as anchor, and optionally the intermediates. */
static struct ike_creds *std_creds(bool inters)
{
	struct ike_creds *c = ike_creds_new();
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ike_creds_load_ca(c, P("root.crt"), err, sizeof(err)), 0);
	if (inters)
		CU_ASSERT_EQUAL(ike_creds_load_intermediate(c, P("inter.crt"), err, sizeof(err)),
				0);
	return c;
}

/* The peer's chain: certificate files (PEM), end entity first. */
static struct ike_pki_chain *chain_of(const char *first, ...)
{
	struct ike_pki_chain *ch = ike_pki_chain_new();
	va_list ap;
	char err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	va_start(ap, first);
	for (const char *n = first; n; n = va_arg(ap, const char *)) {
		uint8_t der[8192];
		size_t len;
		CU_ASSERT_EQUAL(sh("openssl x509 -in %s -outform DER -out x.der", n), 0);
		len = slurp("x.der", der, sizeof(der));
		CU_ASSERT_EQUAL(ike_pki_chain_add_der(ch, der, len, err, sizeof(err)), 0);
	}
	va_end(ap);
	return ch;
}

static enum ike_pki_result verify_at(struct ike_creds *c, struct ike_pki_chain *ch, time_t now,
				     char *reason, size_t rlen)
{
	struct ike_pki_verify_opts o = { .now = now };

	return ike_pki_verify(c, ch, &o, reason, rlen);
}

/* ---- loading ---- */

static void expect_load_err(const char *cert, const char *key, const char *pass, const char *want1,
			    const char *want2)
{
	struct ike_creds *c = ike_creds_new();
	char err[512] = "";

	CU_ASSERT_NOT_EQUAL(ike_creds_load_local(c, P(cert), P(key), pass ? P(pass) : NULL, NULL,
						 err, sizeof(err)),
			    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want1));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want2));
	if (!strstr(err, want1) || !strstr(err, want2))
		fprintf(stderr, "\n  got \"%s\", want \"%s\" and \"%s\"\n", err, want1, want2);
	CU_ASSERT_EQUAL(ike_creds_local_count(c), 0);
	ike_creds_unref(c);
}

static void test_load_keys(void)
{
	static const char *const ok[][3] = {
		{ "rsa.crt", "rsa.key", NULL },            /* PKCS#1 PEM */
		{ "rsa.crt", "rsa.p8", NULL },             /* PKCS#8 PEM */
		{ "p256.crt", "p256.key", NULL },          /* SEC1 PEM */
		{ "p384.crt", "p384.der", NULL },          /* PKCS#8 DER */
		{ "ed25519.crt", "ed25519.key", NULL },    /* PKCS#8 PEM */
		{ "p256.crt", "p256enc.key", "pass.txt" }, /* encrypted PKCS#8 PEM */
		{ "p256.crt", "p256enc.der", "pass.txt" }, /* encrypted PKCS#8 DER */
	};
	struct ike_creds *c;
	char err[512];

	if (!pki_ready())
		return;
	c = ike_creds_new();
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int r = ike_creds_load_local(c, P(ok[i][0]), P(ok[i][1]),
					     ok[i][2] ? P(ok[i][2]) : NULL, NULL, err, sizeof(err));
		CU_ASSERT_EQUAL(r, 0);
		if (r)
			fprintf(stderr, "\n  %s: %s\n", ok[i][1], err);
	}
	CU_ASSERT_EQUAL(ike_creds_local_count(c), sizeof(ok) / sizeof(ok[0]));
	ike_creds_unref(c);
}

static void test_load_errors(void)
{
	if (!pki_ready())
		return;
	expect_load_err("nope.crt", "p256.key", NULL, "nope.crt", "No such file");
	expect_load_err("p256.key", "p256.key", NULL, "p256.key", "no certificate in the file");
	expect_load_err("pass.txt", "p256.key", NULL, "pass.txt", "not a PEM or DER");
	expect_load_err("rsa.crt", "p256.key", NULL, "p256.key", "does not match");
	expect_load_err("p256.crt", "p256enc.key", NULL, "p256enc.key", "passphrase file");
	/* a world-readable key, and a group-readable passphrase file */
	CU_ASSERT_EQUAL(sh("cp p256.key open.key && chmod 644 open.key && cp pass.txt gpass.txt "
			   "&& chmod 640 gpass.txt && printf 'wrong\\n' >bad.txt && "
			   "chmod 600 bad.txt"),
			0);
	expect_load_err("p256.crt", "open.key", NULL, "open.key", "mode 0644");
	expect_load_err("p256.crt", "p256enc.key", "gpass.txt", "gpass.txt", "mode 0640");
	expect_load_err("p256.crt", "p256enc.key", "bad.txt", "p256enc.key", "wrong passphrase");
	CU_ASSERT_EQUAL(sh("chmod 600 open.key"), 0);
	expect_load_err("rsa.crt", "open.key", NULL, "open.key", "does not match");
}

static void count_kind(void *arg, const char *kind, X509 *cert, const char *source)
{
	unsigned *n = arg;

	(void)cert;
	n[strcmp(kind, "ca") == 0 ? 0 : strcmp(kind, "intermediate") == 0 ? 1 : 2]++;
	CU_ASSERT_PTR_NOT_NULL(strstr(source, pki_dir));
}

static void test_load_ca_forms(void)
{
	struct ike_creds *c;
	unsigned n[3] = { 0 };
	char err[256];

	if (!pki_ready())
		return;
	c = ike_creds_new();
	CU_ASSERT_EQUAL(ike_creds_load_ca(c, P("cadir"), err, sizeof(err)), 0); /* PEM + DER */
	CU_ASSERT_EQUAL(ike_creds_load_ca(c, P("other.der"), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ike_creds_load_intermediate(c, P("p256chain.crt"), err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(ike_creds_load_ca(c, P("ext.cnf"), err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ext.cnf: not a PEM or DER X.509 certificate"));
	ike_creds_foreach(c, count_kind, n);
	CU_ASSERT_EQUAL(n[0], 3);
	CU_ASSERT_EQUAL(n[1], 2);
	CU_ASSERT_EQUAL(n[2], 0);
	/* the reference rule: a second holder keeps the store alive */
	CU_ASSERT_PTR_EQUAL(ike_creds_ref(c), c);
	ike_creds_unref(c);
	CU_ASSERT_EQUAL(ike_creds_certreq(c, (uint8_t[64]){ 0 }, 64), 60);
	ike_creds_unref(c);
}

/* ---- chains ---- */

static void expect_chain(struct ike_creds *c, struct ike_pki_chain *ch, time_t now,
			 enum ike_pki_result want, const char *w1, const char *w2)
{
	char reason[512];
	enum ike_pki_result r = verify_at(c, ch, now, reason, sizeof(reason));

	CU_ASSERT_EQUAL(r, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, w1));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, w2));
	if (r != want || !strstr(reason, w1) || !strstr(reason, w2))
		fprintf(stderr, "\n  got %s \"%s\", want %s \"%s\" \"%s\"\n",
			ike_pki_result_name(r), reason, ike_pki_result_name(want), w1, w2);
	ike_pki_chain_free(ch);
}

static void test_chain_results(void)
{
	struct ike_creds *c, *ci;
	time_t now = time(NULL);

	if (!pki_ready())
		return;
	c = std_creds(false);
	ci = std_creds(true);
	expect_chain(c, chain_of("rsa.crt", "inter.crt", NULL), now, IKE_PKI_OK, "ok", "");
	expect_chain(c, chain_of("ed25519.crt", "inter.crt", "root.crt", NULL), now, IKE_PKI_OK,
		     "ok", "");
	/* the intermediate from the store, not sent */
	expect_chain(ci, chain_of("p384.crt", NULL), now, IKE_PKI_OK, "ok", "");
	expect_chain(c, chain_of("p384.crt", NULL), now, IKE_PKI_UNKNOWN_CA,
		     "unknown CA \"C=CH, O=Example, CN=Test Intermediate CA\"", "p384.example.org");
	expect_chain(c, chain_of("stranger.crt", NULL), now, IKE_PKI_UNKNOWN_CA,
		     "unknown CA \"C=CH, O=Other, CN=Other Root CA\"", "stranger");
	expect_chain(c, chain_of("stranger.crt", "other.crt", NULL), now, IKE_PKI_UNKNOWN_CA,
		     "Other Root CA", "not a trusted CA");
	expect_chain(c, chain_of("expired.crt", "inter.crt", NULL), now, IKE_PKI_EXPIRED,
		     "\"C=CH, O=Example, CN=expired.example.org\" expired",
		     "valid from 2020-01-01 00:00:00 UTC to 2021-01-01 00:00:00 UTC");
	expect_chain(c, chain_of("p256.crt", "inter.crt", NULL), now - 86400 * 3,
		     IKE_PKI_NOT_YET_VALID, "is not yet valid", "valid from");
	expect_chain(c, chain_of("p256.crt", "inter.crt", NULL), now + 86400 * 400, IKE_PKI_EXPIRED,
		     "expired", "p256.example.org");
	expect_chain(c, chain_of("badku.crt", "inter.crt", NULL), now, IKE_PKI_BAD_USAGE,
		     "badku.example.org", "key usage lacks digitalSignature");
	expect_chain(c, chain_of("deep.crt", "sub.crt", "inter.crt", NULL), now,
		     IKE_PKI_PATH_LENGTH, "Test Intermediate CA", "path length");
	expect_chain(c, chain_of("notca.crt", "p256.crt", "inter.crt", NULL), now,
		     IKE_PKI_BAD_USAGE, "p256.example.org", "CA");
	expect_chain(c, ike_pki_chain_new(), now, IKE_PKI_NO_CERT, "no certificate", "");
	ike_creds_unref(c);
	ike_creds_unref(ci);
}

static void test_chain_bad_signature(void)
{
	struct ike_creds *c;
	struct ike_pki_chain *ch;
	uint8_t der[4096], idc[4096];
	size_t n;
	char err[128];

	if (!pki_ready())
		return;
	c = std_creds(true);
	CU_ASSERT_EQUAL(sh("openssl x509 -in p256.crt -outform DER -out x.der"), 0);
	n = slurp("x.der", der, sizeof(der));
	memcpy(idc, der, n);
	der[n - 5] ^= 0x01; /* inside the signature's s */
	ch = ike_pki_chain_new();
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(ch, der, n, err, sizeof(err)), 0);
	expect_chain(c, ch, time(NULL), IKE_PKI_BAD_SIGNATURE, "bad signature on certificate",
		     "p256.example.org");
	/* malformed DER and trailing bytes are refused at the door */
	ch = ike_pki_chain_new();
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(ch, idc, n - 1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(ch, idc, n + 1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not DER X.509"));
	CU_ASSERT_PTR_NULL(ike_pki_chain_leaf(ch));
	ike_pki_chain_free(ch);
	ike_creds_unref(c);
}

/* Peer certificates are parsed once and shared by their exact DER bytes
 * (ike/pki/pki_cache.c): the same bytes give the same object, bytes that
 * differ anywhere (same length) or by a trailing byte do not. */
static void test_chain_parse_cache(void)
{
	struct ike_creds *c;
	struct ike_pki_chain *a, *b, *m;
	uint8_t der[4096], copy[4096];
	uint8_t *cn;
	size_t n;
	char err[128], subj[256];

	if (!pki_ready())
		return;
	c = std_creds(true);
	CU_ASSERT_EQUAL(sh("openssl x509 -in p256.crt -outform DER -out x.der"), 0);
	n = slurp("x.der", der, sizeof(der));
	memcpy(copy, der, n);
	a = ike_pki_chain_new();
	b = ike_pki_chain_new();
	m = ike_pki_chain_new();
	CU_ASSERT_FATAL(a && b && m);
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(a, der, n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(b, copy, n, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(ike_pki_chain_leaf(a));
	CU_ASSERT_PTR_EQUAL(ike_pki_chain_leaf(a), ike_pki_chain_leaf(b));
	/* the shared object outlives the chain that parsed it first */
	ike_pki_chain_free(a);
	CU_ASSERT_EQUAL(verify_at(c, b, time(NULL), err, sizeof(err)), IKE_PKI_OK);
	/* one byte of the subject changed, same length: parsed from its bytes */
	cn = memmem(copy, n, "p256.example.org", 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cn);
	*cn = 'q';
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(m, copy, n, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_EQUAL(ike_pki_chain_leaf(m), ike_pki_chain_leaf(b));
	ike_pki_dn_str(X509_get_subject_name(ike_pki_chain_leaf(m)), subj, sizeof(subj));
	CU_ASSERT_PTR_NOT_NULL(strstr(subj, "q256.example.org"));
	CU_ASSERT_EQUAL(verify_at(c, m, time(NULL), err, sizeof(err)), IKE_PKI_BAD_SIGNATURE);
	/* the cached bytes followed by one more are still refused, whatever
	 * the byte (some of the 256 share the cached copy's slot) */
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(b, der, n, err, sizeof(err)), 0);
	for (unsigned v = 0; v < 256; v++) {
		der[n] = (uint8_t)v;
		if (ike_pki_chain_add_der(m, der, n + 1, err, sizeof(err)) != -EINVAL)
			CU_FAIL("trailing byte accepted");
	}
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(m, der, n - 1, err, sizeof(err)), -EINVAL);
	ike_pki_chain_free(b);
	ike_pki_chain_free(m);
	ike_creds_unref(c);
}

static void expect_stats(struct ike_creds *c, unsigned long hits, unsigned long misses)
{
	unsigned long h, m;

	ike_creds_verify_stats(c, &h, &m);
	CU_ASSERT_EQUAL(h, hits);
	CU_ASSERT_EQUAL(m, misses);
	if (h != hits || m != misses)
		fprintf(stderr, "\n  cache hits %lu misses %lu, want %lu %lu\n", h, m, hits,
			misses);
}

/* A verified path is kept (ike/pki/pki_vcache.c) for the same certificates
 * sent, only while all of it is valid, and forgotten when the store
 * changes; a forgery of a cached certificate is not the cached one. */
static void test_chain_verify_cache(void)
{
	struct ike_creds *c;
	time_t now = time(NULL);
	uint8_t der[4096];
	struct ike_pki_chain *forged;
	size_t n;
	char err[256];

	if (!pki_ready())
		return;
	c = std_creds(true);
	expect_chain(c, chain_of("p256.crt", "inter.crt", NULL), now, IKE_PKI_OK, "ok", "");
	expect_stats(c, 0, 1);
	expect_chain(c, chain_of("p256.crt", "inter.crt", NULL), now + 60, IKE_PKI_OK, "ok", "");
	expect_stats(c, 1, 1);
	/* outside the window of the path: verified again, and refused */
	expect_chain(c, chain_of("p256.crt", "inter.crt", NULL), now + 86400 * 400, IKE_PKI_EXPIRED,
		     "expired", "p256.example.org");
	expect_chain(c, chain_of("p256.crt", "inter.crt", NULL), now - 86400 * 3,
		     IKE_PKI_NOT_YET_VALID, "is not yet valid", "valid from");
	expect_stats(c, 1, 3);
	/* other certificates sent (the intermediate from the store): a miss */
	expect_chain(c, chain_of("p256.crt", NULL), now, IKE_PKI_OK, "ok", "");
	expect_stats(c, 1, 4);
	/* the same bytes but one bit of the signature */
	CU_ASSERT_EQUAL(sh("openssl x509 -in p256.crt -outform DER -out x.der"), 0);
	n = slurp("x.der", der, sizeof(der));
	der[n - 5] ^= 0x01;
	forged = ike_pki_chain_new();
	CU_ASSERT_EQUAL(ike_pki_chain_add_der(forged, der, n, err, sizeof(err)), 0);
	expect_chain(c, forged, now, IKE_PKI_BAD_SIGNATURE, "bad signature", "p256.example.org");
	/* a load into the store empties it */
	CU_ASSERT_EQUAL(ike_creds_load_ca(c, P("other.crt"), err, sizeof(err)), 0);
	expect_chain(c, chain_of("p256.crt", "inter.crt", NULL), now, IKE_PKI_OK, "ok", "");
	expect_stats(c, 1, 6);
	expect_chain(c, chain_of("p256.crt", "inter.crt", NULL), now, IKE_PKI_OK, "ok", "");
	expect_stats(c, 2, 6);
	ike_creds_unref(c);
}

static void test_chain_ca_constraint(void)
{
	struct ike_creds *c;
	struct ike_pki_verify_opts o = { .now = time(NULL) };
	struct ike_pki_chain *ch;
	char reason[512];

	if (!pki_ready())
		return;
	c = std_creds(true);
	ch = chain_of("p256.crt", NULL);
	o.ca_dn = "C=CH, O=Example, CN=Test Intermediate CA";
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)), IKE_PKI_OK);
	o.ca_dn = "C=CH, O=Example, CN=Test Root CA";
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)), IKE_PKI_OK);
	o.ca_dn = "C=CH, O=Other, CN=*";
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)), IKE_PKI_CA_CONSTRAINT);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "required CA \"C=CH, O=Other, CN=*\""));
	o.ca_dn = NULL;
	o.ca_cert = load_x509("root.crt");
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)), IKE_PKI_OK);
	X509_free(o.ca_cert);
	o.ca_cert = load_x509("other.crt");
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)), IKE_PKI_CA_CONSTRAINT);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "Other Root CA"));
	X509_free(o.ca_cert);
	ike_pki_chain_free(ch);
	ike_creds_unref(c);
}

struct rev_log {
	unsigned calls;
	char seen[4][128];
	enum ike_pki_rev answer_leaf;
};

static enum ike_pki_rev rev_hook(void *arg, X509 *cert, X509 *issuer, char *reason, size_t rlen)
{
	struct rev_log *l = arg;
	char a[96], b[96];

	if (l->calls < 4)
		snprintf(l->seen[l->calls], sizeof(l->seen[0]), "%s<%s",
			 ike_pki_dn_str(X509_get_subject_name(cert), a, sizeof(a)),
			 ike_pki_dn_str(X509_get_subject_name(issuer), b, sizeof(b)));
	if (l->calls++ == 0 && l->answer_leaf == IKE_PKI_REV_REVOKED)
		snprintf(reason, rlen, "revoked by test");
	return l->calls == 1 ? l->answer_leaf : IKE_PKI_REV_GOOD;
}

static void test_chain_revocation_hook(void)
{
	struct ike_creds *c;
	struct rev_log l = { 0 };
	struct ike_pki_verify_opts o = { .now = time(NULL),
					 .revocation = rev_hook,
					 .revocation_arg = &l };
	struct ike_pki_chain *ch;
	char reason[256];

	if (!pki_ready())
		return;
	c = std_creds(false);
	ch = chain_of("p256.crt", "inter.crt", NULL);
	l.answer_leaf = IKE_PKI_REV_GOOD;
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)), IKE_PKI_OK);
	CU_ASSERT_EQUAL(l.calls, 2); /* leaf, intermediate; not the anchor */
	CU_ASSERT_PTR_NOT_NULL(
		strstr(l.seen[0], "p256.example.org<C=CH, O=Example, CN=Test Inter"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l.seen[1], "Intermediate CA<C=CH, O=Example, CN=Test Root"));
	l.calls = 0;
	l.answer_leaf = IKE_PKI_REV_REVOKED;
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)), IKE_PKI_REVOKED);
	CU_ASSERT_STRING_EQUAL(reason, "revoked by test");
	CU_ASSERT_EQUAL(l.calls, 1);
	l.calls = 0;
	l.answer_leaf = IKE_PKI_REV_PENDING;
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)), IKE_PKI_PENDING);
	l.calls = 0;
	l.answer_leaf = IKE_PKI_REV_UNKNOWN;
	CU_ASSERT_EQUAL(ike_pki_verify(c, ch, &o, reason, sizeof(reason)),
			IKE_PKI_REVOCATION_UNKNOWN);
	ike_pki_chain_free(ch);
	ike_creds_unref(c);
}

/* ---- identities ---- */

static void test_id_table(void)
{
	static const struct {
		const char *cert, *id;
		bool want;
	} rows[] = {
		{ "rsa.crt", "gw.example.org", true },
		{ "rsa.crt", "GW.Example.ORG", true },
		{ "rsa.crt", "other.example.org", false },
		{ "rsa.crt", "gw.example.or", false },
		{ "rsa.crt", "admin@example.org", true },
		{ "rsa.crt", "root@example.org", false },
		{ "rsa.crt", "fqdn:admin@example.org", false }, /* an rfc822Name, no dNSName */
		{ "rsa.crt", "email:gw.example.org", false },
		{ "rsa.crt", "192.0.2.1", true },
		{ "rsa.crt", "192.0.2.2", false },
		{ "rsa.crt", "2001:db8::1", true },
		{ "rsa.crt", "2001:db8::2", false },
		{ "p256.crt", "p256.example.org", true },
		{ "p256.crt", "gw.example.org", false },
		{ "p256.crt", "192.0.2.1", false }, /* no IP SAN */
		/* the CN is no SAN: an FQDN must be in subjectAltName */
		{ "p384.crt", "p384.example.org", false },
	};
	char err[256];
	X509 *x;

	if (!pki_ready())
		return;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ike_id id;
		x = load_x509(rows[i].cert);
		CU_ASSERT_EQUAL(ike_id_parse(rows[i].id, &id), 0);
		CU_ASSERT_EQUAL(ike_pki_id_matches(x, &id), rows[i].want);
		if (ike_pki_id_matches(x, &id) != rows[i].want)
			fprintf(stderr, "\n  %s %s: want %d\n", rows[i].cert, rows[i].id,
				rows[i].want);
		X509_free(x);
	}
	(void)err;
}

static void test_id_dn(void)
{
	struct ike_creds *c;
	const struct ike_cred *cr;
	struct ike_id id, id2;
	char err[256], s[256];
	X509 *x, *other;

	if (!pki_ready())
		return;
	c = ike_creds_new();
	CU_ASSERT_EQUAL_FATAL(ike_creds_load_local(c, P("p256.crt"), P("p256.key"), NULL, &cr, err,
						   sizeof(err)),
			      0);
	x = ike_cred_cert(cr);
	other = load_x509("rsa.crt");
	/* the default own identity: the subject DN, DER */
	CU_ASSERT_EQUAL(ike_cred_id(cr, &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_DER_ASN1_DN);
	CU_ASSERT_TRUE(ike_pki_id_matches(x, &id));
	CU_ASSERT_FALSE(ike_pki_id_matches(other, &id));
	CU_ASSERT_STRING_EQUAL(ike_pki_id_dn_str(&id, s, sizeof(s)),
			       "C=CH, O=Example, OU=Gateways, CN=p256.example.org");
	/* the same DN from text (UTF8String where the certificate may have
	 * PrintableString): equal in canonical form */
	CU_ASSERT_EQUAL(
		ike_pki_id_from_dn("C=CH, O=Example, OU=Gateways, CN=P256.example.org", &id2), 0);
	CU_ASSERT_TRUE(ike_pki_id_matches(x, &id2));
	CU_ASSERT_EQUAL(ike_pki_id_from_dn("/C=CH/O=Example/OU=Gateways/CN=p256.example.org", &id2),
			0);
	CU_ASSERT_TRUE(ike_pki_id_matches(x, &id2));
	CU_ASSERT_EQUAL(ike_pki_id_from_dn("C=CH, O=Example, CN=p256.example.org", &id2), 0);
	CU_ASSERT_FALSE(ike_pki_id_matches(x, &id2));
	CU_ASSERT_EQUAL(ike_pki_id_from_dn("C=CH, XX=1", &id2), -EINVAL);
	CU_ASSERT_EQUAL(ike_pki_id_from_dn("", &id2), -EINVAL);
	id.data[id.len - 1] ^= 1;
	CU_ASSERT_FALSE(ike_pki_id_matches(x, &id));
	CU_ASSERT_STRING_EQUAL(ike_pki_cert_ids_str(other, s, sizeof(s)),
			       "subject \"C=CH, O=Example, CN=gw.example.org\", SANs: "
			       "gw.example.org, email:admin@example.org, 192.0.2.1, 2001:db8::1");
	X509_free(other);
	ike_creds_unref(c);
}

/* strongSwan's DN identity from text: every value a PrintableString */
static void printable_dn_id(const char *cn, struct ike_id *id)
{
	static const char *const f[][2] = { { "C", "CH" }, { "O", "Example" }, { "CN", NULL } };
	X509_NAME *n = X509_NAME_new();
	const unsigned char *der;
	size_t len = 0;

	for (unsigned i = 0; n && i < 3; i++)
		X509_NAME_add_entry_by_txt(n, f[i][0], V_ASN1_PRINTABLESTRING,
					   (const unsigned char *)(f[i][1] ? f[i][1] : cn), -1, -1,
					   0);
	CU_ASSERT_FATAL(n && X509_NAME_get0_der(n, &der, &len) && len <= IKE_MAX_ID);
	id->type = IKEV2_ID_DER_ASN1_DN;
	id->len = (uint8_t)len;
	memcpy(id->data, der, len);
	X509_NAME_free(n);
}

static void test_id_eq(void)
{
	struct ike_id cfg, peer, fqdn;

	CU_ASSERT_EQUAL_FATAL(ike_pki_id_from_dn("C=CH, O=Example, CN=ss.example.org", &cfg), 0);
	printable_dn_id("SS.example.org", &peer);
	/* other bytes, the same name */
	CU_ASSERT_FALSE(cfg.len == peer.len && memcmp(cfg.data, peer.data, cfg.len) == 0);
	CU_ASSERT_TRUE(ike_pki_id_eq(&cfg, &peer));
	CU_ASSERT_TRUE(ike_pki_id_eq(&peer, &cfg));
	CU_ASSERT_TRUE(ike_pki_id_eq(&cfg, &cfg));
	printable_dn_id("ss2.example.org", &peer);
	CU_ASSERT_FALSE(ike_pki_id_eq(&cfg, &peer));
	/* not a DN: bytes; a DN that does not decode is equal only to itself */
	CU_ASSERT_EQUAL(ike_id_parse("ss.example.org", &fqdn), 0);
	CU_ASSERT_FALSE(ike_pki_id_eq(&cfg, &fqdn));
	CU_ASSERT_TRUE(ike_pki_id_eq(&fqdn, &fqdn));
	peer = cfg;
	peer.len--;
	CU_ASSERT_FALSE(ike_pki_id_eq(&cfg, &peer));
	fqdn.type = IKEV2_ID_DER_ASN1_DN;
	CU_ASSERT_FALSE(ike_pki_id_eq(&fqdn, &cfg));
}

static void test_id_key_id(void)
{
	uint8_t ski[64];
	char hex[160], line[200];
	struct ike_id id;
	FILE *f;
	X509 *x;

	if (!pki_ready())
		return;
	CU_ASSERT_EQUAL(sh("openssl x509 -in rsa.crt -noout -ext subjectKeyIdentifier | tail -1 "
			   "| tr -d ' :\\n' >ski.txt"),
			0);
	f = fopen(P("ski.txt"), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(hex, sizeof(hex), f));
	fclose(f);
	snprintf(line, sizeof(line), "keyid:%s", hex);
	CU_ASSERT_EQUAL(ike_id_parse(line, &id), 0);
	CU_ASSERT_EQUAL(test_unhex(hex, ski, sizeof(ski)), 20);
	x = load_x509("rsa.crt");
	CU_ASSERT_TRUE(ike_pki_id_matches(x, &id));
	id.data[0] ^= 1;
	CU_ASSERT_FALSE(ike_pki_id_matches(x, &id));
	X509_free(x);
}

static void test_dn_pattern(void)
{
	static const struct {
		const char *pattern;
		bool want;
	} rows[] = {
		{ "C=CH, O=Example, OU=Gateways, CN=p256.example.org", true },
		{ "C=CH, O=Example, OU=Gateways, CN=*", true },
		{ "C=CH, O=*, OU=*, CN=*", true },
		{ "/C=CH/O=Example/OU=Gateways/CN=*", true },
		{ "c=ch, o=example, ou=gateways, cn=P256.EXAMPLE.ORG", true },
		{ "C = CH , O = Example , OU = Gateways , CN = p256.example.org", true },
		{ "C=CH, O=Example, CN=*", false },                   /* an RDN fewer */
		{ "C=CH, O=Example, OU=Gateways, CN=*, E=*", false }, /* one more */
		{ "O=Example, C=CH, OU=Gateways, CN=*", false },      /* order */
		{ "C=CH, O=Other, OU=Gateways, CN=*", false },
		{ "C=CH, O=Example, OU=Gateways, CN=p256*", false }, /* whole values only */
		{ "C=CH, O=Example, OU=Gateways, XX=*", false },
		{ "C=CH, O=Example, OU=Gateways, CN", false },
		{ "", false },
	};
	X509 *x;

	if (!pki_ready())
		return;
	x = load_x509("p256.crt");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool got = ike_pki_dn_match(rows[i].pattern, X509_get_subject_name(x));
		CU_ASSERT_EQUAL(got, rows[i].want);
		if (got != rows[i].want)
			fprintf(stderr, "\n  \"%s\": got %d\n", rows[i].pattern, got);
	}
	X509_free(x);
}

/* ---- CERTREQ ---- */

static void sha1_of_spki(const char *cert, uint8_t out[20])
{
	char hex[64] = "";
	FILE *f;

	CU_ASSERT_EQUAL(sh("openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform DER "
			   "| sha1sum | cut -c1-40 >h.txt",
			   cert),
			0);
	f = fopen(P("h.txt"), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(hex, sizeof(hex), f));
	fclose(f);
	CU_ASSERT_EQUAL(test_unhex(hex, out, 20), 20);
}

static void test_certreq_hashes(void)
{
	struct ike_creds *c;
	uint8_t got[64], want[20];
	char err[256];

	if (!pki_ready())
		return;
	c = std_creds(true); /* the intermediate is no anchor: not requested */
	CU_ASSERT_EQUAL(ike_creds_load_ca(c, P("other.der"), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ike_creds_certreq(c, got, sizeof(got)), 40);
	sha1_of_spki("root.crt", want);
	CU_ASSERT_EQUAL(memcmp(got, want, 20), 0);
	sha1_of_spki("other.crt", want);
	CU_ASSERT_EQUAL(memcmp(got + 20, want, 20), 0);
	CU_ASSERT_EQUAL(ike_creds_certreq(c, got, 39), -ENOSPC);
	ike_creds_unref(c);
}

static void test_certreq_select(void)
{
	struct ike_creds *c = NULL;
	const struct ike_cred *p256, *stranger, *cands[2];
	uint8_t root[20], other[20], inter[20], req[60];
	const uint8_t *der;
	size_t len;
	char err[256];

	if (!pki_ready())
		return;
	sha1_of_spki("root.crt", root);
	sha1_of_spki("other.crt", other);
	sha1_of_spki("inter.crt", inter);
	c = ike_creds_new();
	/* our certificates first: a CA loaded later completes their paths */
	CU_ASSERT_EQUAL(ike_creds_load_local(c, P("p256.crt"), P("p256.key"), NULL, &p256, err,
					     sizeof(err)),
			0);
	CU_ASSERT_EQUAL(ike_creds_load_local(c, P("stranger.crt"), P("stranger.key"), NULL,
					     &stranger, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(ike_cred_cert_der(p256, 0, &der, &len), 1);
	CU_ASSERT_FALSE(ike_cred_requested(p256, inter, 20));
	CU_ASSERT_EQUAL(ike_creds_load_intermediate(c, P("inter.crt"), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ike_creds_load_ca(c, P("root.crt"), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ike_creds_load_intermediate(c, P("other.crt"), err, sizeof(err)), 0);
	/* p256 sends itself and the intermediate, not the root */
	CU_ASSERT_EQUAL(ike_cred_cert_der(p256, 1, &der, &len), 2);
	CU_ASSERT_TRUE(len > 100 && der[0] == 0x30);
	CU_ASSERT_EQUAL(ike_cred_cert_der(stranger, 0, &der, &len), 1);
	cands[0] = p256;
	cands[1] = stranger;
	memcpy(req, other, 20);
	CU_ASSERT_PTR_EQUAL(ike_pki_select(cands, 2, req, 20), stranger);
	memcpy(req, root, 20);
	CU_ASSERT_PTR_EQUAL(ike_pki_select(cands, 2, req, 20), p256);
	CU_ASSERT_PTR_EQUAL(ike_pki_select(cands, 2, inter, 20), p256);
	memset(req, 0x5a, 20);
	memcpy(req + 20, other, 20);
	CU_ASSERT_PTR_EQUAL(ike_pki_select(cands, 2, req, 40), stranger);
	CU_ASSERT_PTR_EQUAL(ike_pki_select(cands, 2, req, 39), p256); /* partial hash ignored */
	CU_ASSERT_PTR_EQUAL(ike_pki_select(cands, 2, req, 20), p256); /* none matches: first */
	CU_ASSERT_PTR_EQUAL(ike_pki_select(cands, 2, NULL, 0), p256);
	CU_ASSERT_PTR_NULL(ike_pki_select(cands, 0, NULL, 0));
	/* the end entity's own key is no CA */
	sha1_of_spki("p256.crt", req);
	CU_ASSERT_FALSE(ike_cred_requested(p256, req, 20));
	ike_creds_unref(c);
}

static void test_bundle(void)
{
	struct ike_creds *c = ike_creds_new();
	const struct ike_cred *cr;
	const uint8_t *der;
	size_t len;
	char err[256];
	uint8_t inter[20];

	if (!pki_ready())
		return;
	CU_ASSERT_EQUAL(ike_creds_load_local(c, P("p256chain.crt"), P("p256.key"), NULL, &cr, err,
					     sizeof(err)),
			0);
	CU_ASSERT_EQUAL(ike_cred_cert_der(cr, 0, &der, &len), 2);
	sha1_of_spki("inter.crt", inter);
	CU_ASSERT_TRUE(ike_cred_requested(cr, inter, 20));
	CU_ASSERT_STRING_EQUAL(ike_cred_source(cr), P("p256chain.crt"));
	CU_ASSERT_PTR_EQUAL(ike_creds_local_at(c, 0), cr);
	CU_ASSERT_PTR_NULL(ike_creds_local_at(c, 1));
	ike_creds_unref(c);
}

/* ---- signatures ---- */

/* RFC 7427 Appendix A */
#define ALG_RSA256  "300d06092a864886f70d01010b0500"
#define ALG_RSA384  "300d06092a864886f70d01010c0500"
#define ALG_RSA512  "300d06092a864886f70d01010d0500"
#define ALG_EC256   "300a06082a8648ce3d040302"
#define ALG_EC384   "300a06082a8648ce3d040303"
#define ALG_EC512   "300a06082a8648ce3d040304"
#define ALG_ED25519 "300506032b6570"
#define ALG_ED448   "300506032b6571"
#define ALG_PSS256                                                                       \
	"304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a" \
	"864886f70d010108300d06096086480165030402010500a203020120"

static uint8_t octets[700];

static void make_octets(void)
{
	for (size_t i = 0; i < sizeof(octets); i++)
		octets[i] = (uint8_t)(i * 7 + 3);
	spit("octets", octets, sizeof(octets));
}

static X509 *cert_of(const char *name)
{
	X509 *x = load_x509(name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	return x;
}

/* AUTH data of method 14 from an AlgorithmIdentifier (hex) and a
 * signature file made by openssl. */
static size_t auth14(const char *alg_hex, const char *sigfile, uint8_t *out, size_t cap)
{
	size_t n = test_unhex(alg_hex, out + 1, cap - 1);

	out[0] = (uint8_t)n;
	return 1 + n + slurp(sigfile, out + 1 + n, cap - 1 - n);
}

/* r || s from the DER signature openssl wrote, read by asn1parse. */
static size_t rs_from_openssl(const char *sigfile, size_t half, uint8_t *out)
{
	char line[512];
	size_t n = 0;
	FILE *f;

	CU_ASSERT_EQUAL(sh("openssl asn1parse -inform DER -in %s | grep INTEGER | "
			   "sed 's/.*://' >rs.txt",
			   sigfile),
			0);
	f = fopen(P("rs.txt"), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (n < 2 && fgets(line, sizeof(line), f)) {
		char pad[300];
		size_t l;
		line[strcspn(line, "\r\n")] = 0;
		l = strlen(line);
		CU_ASSERT_FATAL(l <= 2 * half);
		memset(pad, '0', 2 * half - l);
		memcpy(pad + 2 * half - l, line, l + 1);
		CU_ASSERT_EQUAL(test_unhex(pad, out + n * half, half), half);
		n++;
	}
	fclose(f);
	return n * half;
}

static void expect_verify(X509 *x, uint8_t method, const uint8_t *auth, size_t alen, int want)
{
	char reason[512];
	int r = ike_pki_verify_auth(x, method, auth, alen, octets, sizeof(octets), reason,
				    sizeof(reason));

	CU_ASSERT_EQUAL(r, want);
	if (r != want)
		fprintf(stderr, "\n  method %u: %d (%s), want %d\n", method, r, reason, want);
}

/* Signature made by openssl, verified here; then with one octet changed. */
static void openssl_to_us(const char *cert, uint8_t method, const char *alg_hex, size_t half,
			  const char *cmd)
{
	uint8_t auth[1200];
	size_t alen;
	X509 *x = cert_of(cert);

	CU_ASSERT_EQUAL(sh("%s", cmd), 0);
	if (method == IKE_PKI_AUTH_DIGITAL_SIGNATURE)
		alen = auth14(alg_hex, "sig", auth, sizeof(auth));
	else if (half)
		alen = rs_from_openssl("sig", half, auth);
	else
		alen = slurp("sig", auth, sizeof(auth));
	expect_verify(x, method, auth, alen, 0);
	octets[10] ^= 0x40;
	expect_verify(x, method, auth, alen, -EBADMSG);
	octets[10] ^= 0x40;
	X509_free(x);
}

static void test_sig_openssl_to_us(void)
{
	if (!pki_ready())
		return;
	make_octets();
	openssl_to_us("rsa.crt", 1, NULL, 0, "openssl dgst -sha1 -sign rsa.key -out sig octets");
	openssl_to_us("rsa.crt", 14, ALG_RSA256, 0,
		      "openssl dgst -sha256 -sign rsa.key -out sig octets");
	openssl_to_us("rsa.crt", 14, ALG_RSA512, 0,
		      "openssl dgst -sha512 -sign rsa.key -out sig octets");
	openssl_to_us(
		"rsa.crt", 14, ALG_PSS256, 0,
		"openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt "
		"rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 -sign rsa.key -out sig octets");
	openssl_to_us("p256.crt", 9, NULL, 32,
		      "openssl dgst -sha256 -sign p256.key -out sig octets");
	openssl_to_us("p384.crt", 10, NULL, 48,
		      "openssl dgst -sha384 -sign p384.key -out sig octets");
	openssl_to_us("p521.crt", 11, NULL, 66,
		      "openssl dgst -sha512 -sign p521.key -out sig octets");
	openssl_to_us("p256.crt", 14, ALG_EC256, 0,
		      "openssl dgst -sha256 -sign p256.key -out sig octets");
	openssl_to_us("p384.crt", 14, ALG_EC384, 0,
		      "openssl dgst -sha384 -sign p384.key -out sig octets");
	openssl_to_us("p256.crt", 14, ALG_EC512, 0,
		      "openssl dgst -sha512 -sign p256.key -out sig octets");
	openssl_to_us("ed25519.crt", 14, ALG_ED25519, 0,
		      "openssl pkeyutl -sign -rawin -inkey ed25519.key -in octets -out sig");
	openssl_to_us("ed448.crt", 14, ALG_ED448, 0,
		      "openssl pkeyutl -sign -rawin -inkey ed448.key -in octets -out sig");
}

static void test_sig_refusals(void)
{
	uint8_t auth[1200];
	size_t alen;
	X509 *rsa, *p256, *ed;

	if (!pki_ready())
		return;
	make_octets();
	rsa = cert_of("rsa.crt");
	p256 = cert_of("p256.crt");
	ed = cert_of("ed25519.crt");
	CU_ASSERT_EQUAL(sh("openssl dgst -sha256 -sign p256.key -out sig octets"), 0);
	alen = rs_from_openssl("sig", 32, auth);
	expect_verify(p256, 10, auth, alen, -ENOTSUP);   /* method names another curve */
	expect_verify(p256, 9, auth, alen - 1, -EINVAL); /* r || s of the wrong length */
	expect_verify(rsa, 9, auth, alen, -ENOTSUP);     /* ECDSA method, RSA key */
	expect_verify(p256, 2, auth, alen, -ENOTSUP);    /* PSK is no signature */
	alen = auth14(ALG_EC256, "sig", auth, sizeof(auth));
	expect_verify(rsa, 14, auth, alen, -ENOTSUP); /* ECDSA AlgId, RSA key */
	expect_verify(ed, 14, auth, alen, -ENOTSUP);
	expect_verify(p256, 14, auth, alen, 0);
	auth[0] = (uint8_t)(alen + 1);
	expect_verify(p256, 14, auth, alen, -EINVAL); /* AlgId past the end */
	X509_free(rsa);
	X509_free(p256);
	X509_free(ed);
}

/* Our signature, checked by openssl; and openssl refuses it altered. */

/* One DER INTEGER of the big-endian unsigned v[0..n): minimal (leading
 * zero octets dropped, one 0x00 added before a high bit). */
static size_t der_uint(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t k = 0;

	while (n > 1 && v[0] == 0)
		v++, n--;
	out[k++] = 2;
	out[k++] = (uint8_t)(n + (v[0] & 0x80 ? 1 : 0));
	if (v[0] & 0x80)
		out[k++] = 0;
	memcpy(out + k, v, n);
	return k + n;
}

/* RFC 4754 r || s as the DER ECDSA-Sig-Value openssl reads. */
static size_t raw_to_der(const uint8_t *raw, size_t len, uint8_t *der)
{
	uint8_t body[160];
	size_t b = der_uint(raw, len / 2, body), n = 0;

	b += der_uint(raw + len / 2, len / 2, body + b);
	der[n++] = 0x30;
	if (b >= 128)
		der[n++] = 0x81;
	der[n++] = (uint8_t)b;
	memcpy(der + n, body, b);
	return n + b;
}

static void us_to_openssl(const char *cert, const char *key, const struct ike_pki_scheme *s,
			  const char *alg_hex, const char *verify_cmd)
{
	struct ike_creds *c = ike_creds_new();
	const struct ike_cred *cr;
	uint8_t auth[1200], der[200];
	size_t alen = sizeof(auth), off = 0, n;
	char err[256], alg[256];

	CU_ASSERT_EQUAL_FATAL(ike_creds_load_local(c, P(cert), P(key), NULL, &cr, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL_FATAL(ike_cred_sign(cr, s, octets, sizeof(octets), auth, &alen), 0);
	if (s->method == IKE_PKI_AUTH_DIGITAL_SIGNATURE)
		off = 1 + auth[0];
	if (alg_hex) {
		CU_ASSERT_TRUE(test_eq_hex(auth + 1, auth[0], alg_hex));
		if (!test_eq_hex(auth + 1, auth[0], alg_hex))
			fprintf(stderr, "\n  AlgId of %s: %s\n", key,
				ike_pki_sigalg_str(&s->alg, alg, sizeof(alg)));
	}
	if (s->method >= 9 && s->method <= 11) { /* r || s to DER for openssl */
		n = raw_to_der(auth, alen, der);
		spit("oursig", der, n);
	} else {
		spit("oursig", auth + off, alen - off);
	}
	CU_ASSERT_EQUAL(sh("%s >/dev/null 2>&1", verify_cmd), 0);
	octets[0] ^= 1;
	spit("octets", octets, sizeof(octets));
	CU_ASSERT_NOT_EQUAL(sh("%s >/dev/null 2>&1", verify_cmd), 0);
	octets[0] ^= 1;
	spit("octets", octets, sizeof(octets));
	ike_creds_unref(c);
}

#define SCHEME(m, sg, h) \
	(&(struct ike_pki_scheme){ .method = (m), .alg = { .sig = (sg), .hash = (h) } })
#define VFY(md, pub) "openssl dgst -" md " -verify " pub " -signature oursig octets"

static void test_sig_us_to_openssl(void)
{
	if (!pki_ready())
		return;
	make_octets();
	CU_ASSERT_EQUAL(sh("for k in rsa p256 p384 p521 ed25519 ed448; do openssl pkey -in $k.key "
			   "-pubout -out $k.pub || exit 1; done"),
			0);
	us_to_openssl("rsa.crt", "rsa.key", SCHEME(1, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA1),
		      NULL, VFY("sha1", "rsa.pub"));
	us_to_openssl("rsa.crt", "rsa.key", SCHEME(14, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA256),
		      ALG_RSA256, VFY("sha256", "rsa.pub"));
	us_to_openssl("rsa.crt", "rsa.key", SCHEME(14, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA384),
		      ALG_RSA384, VFY("sha384", "rsa.pub"));
	us_to_openssl(
		"rsa.crt", "rsa.key", SCHEME(14, IKE_PKI_SIG_RSA_PSS, IKE_PKI_HASH_SHA256),
		ALG_PSS256,
		"openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
		"-sigopt rsa_mgf1_md:sha256 -verify rsa.pub -signature oursig octets");
	us_to_openssl(
		"rsa.crt", "rsa.key", SCHEME(14, IKE_PKI_SIG_RSA_PSS, IKE_PKI_HASH_SHA512), NULL,
		"openssl dgst -sha512 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:64 "
		"-sigopt rsa_mgf1_md:sha512 -verify rsa.pub -signature oursig octets");
	us_to_openssl("p256.crt", "p256.key", SCHEME(9, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256),
		      NULL, VFY("sha256", "p256.pub"));
	us_to_openssl("p384.crt", "p384.der", SCHEME(10, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA384),
		      NULL, VFY("sha384", "p384.pub"));
	us_to_openssl("p521.crt", "p521.key", SCHEME(11, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA512),
		      NULL, VFY("sha512", "p521.pub"));
	us_to_openssl("p256.crt", "p256.key", SCHEME(14, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256),
		      ALG_EC256, VFY("sha256", "p256.pub"));
	us_to_openssl("p384.crt", "p384.der", SCHEME(14, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA512),
		      ALG_EC512, VFY("sha512", "p384.pub"));
	us_to_openssl("ed25519.crt", "ed25519.key",
		      SCHEME(14, IKE_PKI_SIG_ED25519, IKE_PKI_HASH_IDENTITY), ALG_ED25519,
		      "openssl pkeyutl -verify -pubin -inkey ed25519.pub -rawin -in octets "
		      "-sigfile oursig");
	us_to_openssl("ed448.crt", "ed448.key",
		      SCHEME(14, IKE_PKI_SIG_ED448, IKE_PKI_HASH_IDENTITY), ALG_ED448,
		      "openssl pkeyutl -verify -pubin -inkey ed448.pub -rawin -in octets "
		      "-sigfile oursig");
}

/* r or s with the top bit set (1 in 2) or shorter than the field (1 in
 * 256): several signatures each way. */
static void test_sig_ecdsa_many(void)
{
	if (!pki_ready())
		return;
	make_octets();
	CU_ASSERT_EQUAL(sh("openssl pkey -in p256.key -pubout -out p256.pub"), 0);
	for (int i = 0; i < 16; i++) {
		octets[1] = (uint8_t)i;
		spit("octets", octets, sizeof(octets));
		openssl_to_us("p256.crt", 9, NULL, 32,
			      "openssl dgst -sha256 -sign p256.key -out sig octets");
		us_to_openssl("p256.crt", "p256.key",
			      SCHEME(9, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256), NULL,
			      VFY("sha256", "p256.pub"));
	}
}

static void test_sign_refusals(void)
{
	struct ike_creds *c;
	const struct ike_cred *p256, *rsa;
	uint8_t auth[1200];
	size_t alen;
	char err[256];

	if (!pki_ready())
		return;
	c = ike_creds_new();
	CU_ASSERT_EQUAL(ike_creds_load_local(c, P("p256.crt"), P("p256.key"), NULL, &p256, err,
					     sizeof(err)),
			0);
	CU_ASSERT_EQUAL(ike_creds_load_local(c, P("rsa.crt"), P("rsa.key"), NULL, &rsa, err,
					     sizeof(err)),
			0);
	alen = sizeof(auth);
	CU_ASSERT_EQUAL(ike_cred_sign(p256, SCHEME(10, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA384),
				      octets, 10, auth, &alen),
			-ENOTSUP);
	CU_ASSERT_EQUAL(ike_cred_sign(p256, SCHEME(1, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA1),
				      octets, 10, auth, &alen),
			-ENOTSUP);
	CU_ASSERT_EQUAL(ike_cred_sign(rsa, SCHEME(14, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256),
				      octets, 10, auth, &alen),
			-ENOTSUP);
	alen = 100; /* RSA-3072 needs 384 + 16 */
	CU_ASSERT_EQUAL(ike_cred_sign(rsa, SCHEME(14, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA256),
				      octets, 10, auth, &alen),
			-ENOSPC);
	alen = 63;
	CU_ASSERT_EQUAL(ike_cred_sign(p256, SCHEME(9, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256),
				      octets, 10, auth, &alen),
			-ENOSPC);
	ike_creds_unref(c);
}

/* ---- choosing a scheme ---- */

#define H(x) IKE_PKI_HASH_BIT(IKE_PKI_HASH_##x)

static void expect_scheme(const struct ike_cred *cr, uint32_t peer, bool pss, int want_r,
			  uint8_t method, uint8_t sig, uint8_t hash)
{
	struct ike_pki_scheme s;
	int r = ike_cred_scheme(cr, peer, pss, &s);

	CU_ASSERT_EQUAL(r, want_r);
	if (r == 0) {
		CU_ASSERT_EQUAL(s.method, method);
		CU_ASSERT_EQUAL(s.alg.sig, sig);
		CU_ASSERT_EQUAL(s.alg.hash, hash);
		if (s.method != method || s.alg.sig != sig || s.alg.hash != hash)
			fprintf(stderr, "\n  %s peer %#x: %u/%u/%u want %u/%u/%u\n",
				ike_cred_source(cr), peer, s.method, s.alg.sig, s.alg.hash, method,
				sig, hash);
	}
}

static void test_scheme_choice(void)
{
	struct ike_creds *c;
	const struct ike_cred *rsa, *p256, *p384, *p521, *ed;
	char err[256];
	uint32_t all = ike_pki_hashes_ours();

	if (!pki_ready())
		return;
	c = ike_creds_new();
	CU_ASSERT_EQUAL(ike_creds_load_local(c, P("rsa.crt"), P("rsa.key"), NULL, &rsa, err, 256),
			0);
	CU_ASSERT_EQUAL(
		ike_creds_load_local(c, P("p256.crt"), P("p256.key"), NULL, &p256, err, 256), 0);
	CU_ASSERT_EQUAL(
		ike_creds_load_local(c, P("p384.crt"), P("p384.der"), NULL, &p384, err, 256), 0);
	CU_ASSERT_EQUAL(
		ike_creds_load_local(c, P("p521.crt"), P("p521.key"), NULL, &p521, err, 256), 0);
	CU_ASSERT_EQUAL(ike_creds_load_local(c, P("ed25519.crt"), P("ed25519.key"), NULL, &ed, err,
					     256),
			0);
	/* nothing announced: the classic method of the key */
	expect_scheme(rsa, 0, false, 0, 1, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA1);
	expect_scheme(p256, 0, false, 0, 9, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256);
	expect_scheme(p384, 0, false, 0, 10, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA384);
	expect_scheme(p521, 0, false, 0, 11, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA512);
	expect_scheme(ed, 0, false, 0, 14, IKE_PKI_SIG_ED25519, IKE_PKI_HASH_IDENTITY);
	/* announced: method 14 with the key's hash */
	expect_scheme(rsa, all, false, 0, 14, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA256);
	expect_scheme(rsa, all, true, 0, 14, IKE_PKI_SIG_RSA_PSS, IKE_PKI_HASH_SHA256);
	expect_scheme(rsa, H(SHA512), false, 0, 14, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA512);
	expect_scheme(p256, all, false, 0, 14, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256);
	expect_scheme(p384, all, false, 0, 14, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA384);
	expect_scheme(p521, all, false, 0, 14, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA512);
	expect_scheme(p256, H(SHA384) | H(SHA512), false, 0, 14, IKE_PKI_SIG_ECDSA,
		      IKE_PKI_HASH_SHA384);
	expect_scheme(ed, H(SHA256) | H(IDENTITY), false, 0, 14, IKE_PKI_SIG_ED25519,
		      IKE_PKI_HASH_IDENTITY);
	/* announced, nothing shared: the classic method, or none for EdDSA */
	expect_scheme(rsa, H(SHA1), false, 0, 1, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA1);
	expect_scheme(p256, H(IDENTITY), false, 0, 9, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256);
	expect_scheme(ed, H(SHA256), false, -ENOTSUP, 0, 0, 0);
	ike_creds_unref(c);
}

/* ---- wire formats ---- */

static void expect_algid(const char *hex, int want, uint8_t sig, uint8_t hash)
{
	uint8_t b[256], again[256];
	struct ike_pki_sigalg a, a2;
	size_t n = test_unhex(hex, b, sizeof(b));
	int r = ike_pki_algid_parse(b, n, &a), m;

	CU_ASSERT_EQUAL(r, want);
	if (r != want)
		fprintf(stderr, "\n  %s: %d (%s), want %d\n", hex, r, ike_pki_perr_str(r), want);
	if (r != 0 || want != 0)
		return;
	CU_ASSERT_EQUAL(a.sig, sig);
	CU_ASSERT_EQUAL(a.hash, hash);
	m = ike_pki_algid_encode(&a, again, sizeof(again));
	CU_ASSERT_TRUE(m > 0);
	CU_ASSERT_EQUAL(ike_pki_algid_parse(again, (size_t)m, &a2), 0);
	CU_ASSERT_TRUE(a.sig == a2.sig && a.hash == a2.hash && a.mgf1_hash == a2.mgf1_hash &&
		       a.salt_len == a2.salt_len);
}

static void test_algid_parse(void)
{
	struct ike_pki_sigalg a;
	uint8_t b[128];
	size_t n;

	expect_algid(ALG_RSA256, 0, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA256);
	expect_algid(ALG_RSA384, 0, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA384);
	expect_algid(ALG_RSA512, 0, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA512);
	expect_algid("300b06092a864886f70d01010b", 0, IKE_PKI_SIG_RSA_PKCS1,
		     IKE_PKI_HASH_SHA256); /* NULL left out */
	expect_algid(ALG_EC256, 0, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256);
	expect_algid(ALG_EC384, 0, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA384);
	expect_algid(ALG_EC512, 0, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA512);
	expect_algid(ALG_ED25519, 0, IKE_PKI_SIG_ED25519, IKE_PKI_HASH_IDENTITY);
	expect_algid(ALG_ED448, 0, IKE_PKI_SIG_ED448, IKE_PKI_HASH_IDENTITY);
	expect_algid(ALG_PSS256, 0, IKE_PKI_SIG_RSA_PSS, IKE_PKI_HASH_SHA256);
	n = test_unhex(ALG_PSS256, b, sizeof(b));
	CU_ASSERT_EQUAL(ike_pki_algid_parse(b, n, &a), 0);
	CU_ASSERT_EQUAL(a.mgf1_hash, IKE_PKI_HASH_SHA256);
	CU_ASSERT_EQUAL(a.salt_len, 32);
	/* malformed */
	expect_algid("", IKE_PKI_E_TRUNCATED, 0, 0);
	expect_algid(ALG_EC256 "00", IKE_PKI_E_TRAILING, 0, 0);
	expect_algid("300b06082a8648ce3d040302", IKE_PKI_E_TRUNCATED, 0, 0);
	expect_algid("310a06082a8648ce3d040302", IKE_PKI_E_DER, 0, 0);
	expect_algid("30810a06082a8648ce3d040302", IKE_PKI_E_DER, 0, 0); /* not minimal */
	expect_algid("308006082a8648ce3d040302", IKE_PKI_E_DER, 0, 0);   /* indefinite */
	expect_algid("300a06082a8648ce3d040309", IKE_PKI_E_ALG, 0, 0);
	expect_algid("300d06092a864886f70d0101050500", IKE_PKI_E_ALG, 0, 0); /* SHA-1 RSA */
	expect_algid("300706032b65700500", IKE_PKI_E_PARAMS, 0, 0);          /* Ed25519 NULL */
	expect_algid("300e06092a864886f70d01010b050100", IKE_PKI_E_PARAMS, 0, 0);
	expect_algid("300b06092a864886f70d01010a", IKE_PKI_E_PARAMS, 0, 0);  /* PSS, no params */
	expect_algid("300d06092a864886f70d01010a3000", IKE_PKI_E_ALG, 0, 0); /* defaults: SHA-1 */
	/* PSS with trailerField 2 */
	expect_algid(
		"304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a06092a"
		"864886f70d010108300d06096086480165030402010500a203020120a303020102",
		IKE_PKI_E_PARAMS, 0, 0);
	/* PSS with MGF1 over SHA-1 */
	expect_algid(
		"303d06092a864886f70d01010a3030a00f300d06096086480165030402010500a118301606092a"
		"864886f70d010108300906052b0e03021a0500a203020120",
		IKE_PKI_E_ALG, 0, 0);
	/* PSS with a negative salt length */
	expect_algid(
		"304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a"
		"864886f70d010108300d06096086480165030402010500a203020180",
		IKE_PKI_E_PARAMS, 0, 0);
}

static void test_algid_encode(void)
{
	static const struct {
		struct ike_pki_sigalg a;
		const char *hex;
	} rows[] = {
		{ { IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA256, 0, 0 }, ALG_RSA256 },
		{ { IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA512, 0, 0 }, ALG_RSA512 },
		{ { IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA384, 0, 0 }, ALG_EC384 },
		{ { IKE_PKI_SIG_ED25519, IKE_PKI_HASH_IDENTITY, 0, 0 }, ALG_ED25519 },
		{ { IKE_PKI_SIG_RSA_PSS, IKE_PKI_HASH_SHA256, 0, 0 }, ALG_PSS256 },
		{ { IKE_PKI_SIG_RSA_PSS, IKE_PKI_HASH_SHA256, IKE_PKI_HASH_SHA256, 32 },
		  ALG_PSS256 },
	};
	uint8_t b[128];
	struct ike_pki_sigalg a = { IKE_PKI_SIG_RSA_PSS, IKE_PKI_HASH_SHA384, IKE_PKI_HASH_SHA512,
				    300 },
			      back;
	int n;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = ike_pki_algid_encode(&rows[i].a, b, sizeof(b));
		CU_ASSERT_TRUE(n > 0 && test_eq_hex(b, (size_t)n, rows[i].hex));
	}
	n = ike_pki_algid_encode(&a, b, sizeof(b)); /* a two-byte salt, another MGF1 hash */
	CU_ASSERT_TRUE(n > 0);
	CU_ASSERT_EQUAL(ike_pki_algid_parse(b, (size_t)n, &back), 0);
	/* field by field: the struct has padding */
	CU_ASSERT_TRUE(a.sig == back.sig && a.hash == back.hash && a.mgf1_hash == back.mgf1_hash &&
		       a.salt_len == back.salt_len);
	CU_ASSERT_EQUAL(ike_pki_algid_encode(&rows[0].a, b, 14), IKE_PKI_E_SPACE);
	a.hash = IKE_PKI_HASH_SHA1;
	CU_ASSERT_EQUAL(ike_pki_algid_encode(&a, b, sizeof(b)), IKE_PKI_E_ALG);
}

static void test_auth14_parse(void)
{
	uint8_t b[64];
	struct ike_pki_sigalg a;
	const uint8_t *sig;
	size_t n, sl;

	n = test_unhex("0c" ALG_EC256 "aabbcc", b, sizeof(b));
	CU_ASSERT_EQUAL(ike_pki_auth14_parse(b, n, &a, &sig, &sl), 0);
	CU_ASSERT_TRUE(sig == b + 13 && sl == 3 && a.sig == IKE_PKI_SIG_ECDSA);
	CU_ASSERT_EQUAL(ike_pki_auth14_parse(b, 13, &a, &sig, &sl), IKE_PKI_E_EMPTY);
	CU_ASSERT_EQUAL(ike_pki_auth14_parse(b, 12, &a, &sig, &sl), IKE_PKI_E_TRUNCATED);
	CU_ASSERT_EQUAL(ike_pki_auth14_parse(b, 0, &a, &sig, &sl), IKE_PKI_E_TRUNCATED);
	b[0] = 0;
	CU_ASSERT_EQUAL(ike_pki_auth14_parse(b, n, &a, &sig, &sl), IKE_PKI_E_DER);
	b[0] = 0x0b; /* the AlgId's length byte says 12 bytes: one left over */
	CU_ASSERT_EQUAL(ike_pki_auth14_parse(b, n, &a, &sig, &sl), IKE_PKI_E_TRUNCATED);
	b[0] = 0x0d;
	CU_ASSERT_EQUAL(ike_pki_auth14_parse(b, n, &a, &sig, &sl), IKE_PKI_E_TRAILING);
}

static void test_hashes_notify(void)
{
	uint8_t b[16];
	uint32_t bits;
	size_t n;

	CU_ASSERT_EQUAL(ike_pki_hashes_encode(ike_pki_hashes_ours(), b, sizeof(b)), 8);
	CU_ASSERT_TRUE(test_eq_hex(b, 8, "0002000300040005"));
	CU_ASSERT_EQUAL(ike_pki_hashes_encode(ike_pki_hashes_ours(), b, 7), IKE_PKI_E_SPACE);
	n = test_unhex("0002 0005 1234 0001 0020", b, sizeof(b));
	CU_ASSERT_EQUAL(ike_pki_hashes_parse(b, n, &bits), 0);
	CU_ASSERT_EQUAL(bits, H(SHA256) | H(IDENTITY) | H(SHA1));
	CU_ASSERT_EQUAL(ike_pki_hashes_parse(b, n - 1, &bits), IKE_PKI_E_ODD);
	CU_ASSERT_EQUAL(ike_pki_hashes_parse(b, 0, &bits), IKE_PKI_E_EMPTY);
	CU_ASSERT_EQUAL(bits, 0);
	CU_ASSERT_STRING_EQUAL(ike_pki_perr_str(IKE_PKI_E_ODD), "hash list of odd length");
}

static const struct test_case pki_cases[] = {
	{ "load keys in every format", test_load_keys },
	{ "load errors name file and problem", test_load_errors },
	{ "CA from PEM, DER, folder; foreach", test_load_ca_forms },
	{ "chain results and reasons", test_chain_results },
	{ "chain: bad signature, malformed DER", test_chain_bad_signature },
	{ "chain: parsed certificates shared by DER", test_chain_parse_cache },
	{ "chain: verified paths kept while valid", test_chain_verify_cache },
	{ "chain: CA constraint", test_chain_ca_constraint },
	{ "chain: revocation hook", test_chain_revocation_hook },
	{ "identity table (SANs)", test_id_table },
	{ "identity DN and own identity", test_id_dn },
	{ "identity equality across DN encodings", test_id_eq },
	{ "identity KEY_ID", test_id_key_id },
	{ "DN patterns", test_dn_pattern },
	{ "CERTREQ hashes = openssl SPKI SHA-1", test_certreq_hashes },
	{ "CERTREQ chooses the certificate", test_certreq_select },
	{ "certificate file with its chain", test_bundle },
	{ "verify openssl's signatures", test_sig_openssl_to_us },
	{ "verify refusals", test_sig_refusals },
	{ "openssl verifies ours", test_sig_us_to_openssl },
	{ "ECDSA r||s both ways, 16 signatures", test_sig_ecdsa_many },
	{ "sign refusals", test_sign_refusals },
	{ "signature scheme choice", test_scheme_choice },
	{ "AlgorithmIdentifier parser", test_algid_parse },
	{ "AlgorithmIdentifier writer", test_algid_encode },
	{ "method 14 AUTH data parser", test_auth14_parse },
	{ "SIGNATURE_HASH_ALGORITHMS", test_hashes_notify },
	{ NULL, NULL },
};
TEST_SUITE(pki, pki_cases)
