/* SPDX-License-Identifier: BSD-3-Clause */
/* Certificate revocation (ike/pki/revocation.h) against a PKI made at test
 * time with the openssl command line (tests/unit/ike/rev_pki.sh, into
 * <build>/tests/rev_pki): CRLs and OCSP responses produced by `openssl ca`
 * and `openssl ocsp`, not by the code under test.
 *
 * The fetch tests run in a private network namespace (unshare(CLONE_NEWNET)
 * on this thread only, setns() back after each test) where an HTTP server
 * (tests/unit/ike/rev_http_server.py, CRLs and misbehaviour) and
 * `openssl ocsp -port` listen on 127.0.0.1; the revocation context made
 * there fetches from there. Needs root, openssl, python3 and ip: a missing
 * one fails the test and says which. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "ike/pki/revocation.h"
#include "tests/unit/test.h"

#define RT_HTTP_PORT 8080
#define RT_OCSP_PORT 8081

static char rt_dir[512];
static int rt_ready = -1; /* -1 not tried, 0 failed, 1 made */
static time_t rt_clock;   /* 0: real time */

static time_t rt_now(void *arg)
{
	(void)arg;
	return rt_clock ? rt_clock : time(NULL);
}

/* <dir of unit_tests>/rev_pki */
static void rt_set_dir(void)
{
	char exe[400];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(rt_dir, sizeof(rt_dir), "%s/rev_pki", n > 0 ? exe : "build/tests");
}

static int rt_run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		printf("\n    command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* Makes the PKI once; false (and says why) when it cannot. */
static bool rt_pki(void)
{
	char cmd[1200];

	if (rt_ready >= 0)
		return rt_ready == 1;
	rt_ready = 0;
	rt_set_dir();
	if (geteuid() != 0) {
		printf("\n    revocation tests need root (network namespaces)\n");
		return false;
	}
	if (access("tests/unit/ike/rev_pki.sh", R_OK) != 0) {
		printf("\n    run from the source tree: tests/unit/ike/rev_pki.sh not found\n");
		return false;
	}
	snprintf(cmd, sizeof(cmd), "bash tests/unit/ike/rev_pki.sh %s %d %d >/dev/null", rt_dir,
		 RT_HTTP_PORT, RT_OCSP_PORT);
	if (rt_run(cmd) != 0) {
		printf("    (needs the openssl command line)\n");
		return false;
	}
	rt_ready = 1;
	return true;
}

static X509 *rt_cert(const char *name)
{
	char path[700];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s.pem", rt_dir, name);
	f = fopen(path, "r");
	x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!x)
		printf("\n    cannot read %s\n", path);
	return x;
}

static uint8_t *rt_file(const char *name, size_t *len)
{
	char path[700];
	static uint8_t buf[1 << 20];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", rt_dir, name);
	f = fopen(path, "rb");
	*len = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	return buf;
}

static bool rt_has(const char *s, const char *sub)
{
	if (strstr(s, sub))
		return true;
	printf("\n    '%s' not in '%s'\n", sub, s);
	return false;
}

/* ---- HTTP parsing ---- */

struct rt_http_case {
	const char *in;
	bool eof;
	size_t max;
	int rc;
	const char *body; /* DONE: the body; ERR: text in err */
};

static void test_http_parse(void)
{
	static const struct rt_http_case cases[] = {
		{ "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc", false, 10, 1, "abc" },
		{ "HTTP/1.1 200 OK\r\ncontent-length:3 \r\n\r\nabcdef", false, 10, 1, "abc" },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nab", false, 10, 0, NULL },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nab", true, 10, -1, "after 2 of 3" },
		{ "HTTP/1.0 200 OK\r\n\r\nabcd", false, 10, 0, NULL },
		{ "HTTP/1.0 200 OK\r\n\r\nabcd", true, 10, 1, "abcd" },
		{ "HTTP/1.0 200 OK\r\n\r\nabcd", true, 3, -1, "over the limit of 3" },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n", false, 10, -1, "11 bytes" },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false, 10,
		  -1, "conflicting" },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 1x\r\n\r\nab", false, 10, -1, "bad Content" },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 9999999999999\r\n\r\n", false, 10, -1,
		  "bad" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc", false, 10, -1,
		  "Transfer-Encoding" },
		{ "HTTP/1.0 404 Not Found\r\n\r\n", true, 10, -1, "HTTP status 404" },
		{ "HTTP/1.0 301 Moved\r\nLocation: http://x/\r\n\r\n", true, 10, -1, "status 301" },
		{ "HTTP/2 200\r\n\r\nabc", true, 10, -1, "status line" },
		{ "HTTP/1.0 20 OK\r\n\r\nabc", true, 10, -1, "status line" },
		{ "HTTP/1.0 200OK\r\n\r\nabc", true, 10, -1, "status line" },
		{ "HTTP/1.0 200 OK\r\nNoColon\r\n\r\n", true, 10, -1, "header line" },
		{ "HTTP/1.0 200 OK\r\n Folded: x\r\n\r\n", true, 10, -1, "header name" },
		{ "HTTP/1.0 200 OK\r\nX: a\rb\r\n\r\n", true, 10, -1, "control" },
		{ "HTTP/1.0 200 OK\r\nContent-Len", false, 10, 0, NULL },
		{ "HTTP/1.0 200 OK\r\nContent-Len", true, 10, -1, "in the HTTP header" },
		{ "\r\n\r\n", true, 10, -1, "empty" },
	};
	struct ike_rev_http_resp r;
	char err[200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rt_http_case *c = &cases[i];
		int rc = ike_rev_http_parse((const uint8_t *)c->in, strlen(c->in), c->eof, c->max,
					    &r, err, sizeof(err));

		if (rc != c->rc)
			printf("\n    case %zu: rc %d, want %d (%s)\n", i, rc, c->rc,
			       rc < 0 ? err : "");
		CU_ASSERT_EQUAL(rc, c->rc);
		if (rc == 1 && c->rc == 1) {
			CU_ASSERT_EQUAL(r.body_len, strlen(c->body));
			CU_ASSERT(memcmp(c->in + r.body_off, c->body, r.body_len) == 0);
		}
		if (rc == -1 && c->rc == -1)
			CU_ASSERT(rt_has(err, c->body));
	}
}

static void test_http_header_bound(void)
{
	static uint8_t big[IKE_REV_HTTP_MAX_HDR + 100];
	struct ike_rev_http_resp r;
	char err[200];

	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.0 200 OK\r\nX: ", 20);
	CU_ASSERT_EQUAL(ike_rev_http_parse(big, sizeof(big), false, 10, &r, err, sizeof(err)), -1);
	CU_ASSERT(rt_has(err, "header over"));
	CU_ASSERT_EQUAL(ike_rev_http_parse(big, IKE_REV_HTTP_MAX_HDR - 1, false, 10, &r, err,
					   sizeof(err)),
			0);
}

static void test_url_parse(void)
{
	struct ike_rev_url u;
	char err[100], req[600];
	int n;

	CU_ASSERT_EQUAL(ike_rev_url_parse("http://192.0.2.1:8080/ca.crl", &u, err, 100), 0);
	CU_ASSERT_STRING_EQUAL(u.host, "192.0.2.1");
	CU_ASSERT_STRING_EQUAL(u.port, "8080");
	CU_ASSERT_STRING_EQUAL(u.path, "/ca.crl");
	CU_ASSERT_EQUAL(ike_rev_url_parse("HTTP://[2001:db8::1]", &u, err, 100), 0);
	CU_ASSERT_STRING_EQUAL(u.host, "2001:db8::1");
	CU_ASSERT_STRING_EQUAL(u.port, "80");
	CU_ASSERT_STRING_EQUAL(u.path, "/");
	CU_ASSERT_EQUAL(ike_rev_url_parse("https://ca.example/x", &u, err, 100), -1);
	CU_ASSERT(rt_has(err, "only http://"));
	CU_ASSERT_EQUAL(ike_rev_url_parse("ldap://ca.example/x", &u, err, 100), -1);
	CU_ASSERT_EQUAL(ike_rev_url_parse("http://u@ca.example/x", &u, err, 100), -1);
	CU_ASSERT_EQUAL(ike_rev_url_parse("http://ca.example:0/", &u, err, 100), -1);
	CU_ASSERT_EQUAL(ike_rev_url_parse("http://ca.example:65536/", &u, err, 100), -1);
	CU_ASSERT_EQUAL(ike_rev_url_parse("http://ca.example/a b", &u, err, 100), -1);
	CU_ASSERT_EQUAL(ike_rev_url_parse("http://ca.example/a\r\nX: y", &u, err, 100), -1);
	CU_ASSERT_EQUAL(ike_rev_url_parse("http://[2001:db8::1/", &u, err, 100), -1);
	CU_ASSERT_EQUAL(ike_rev_url_parse("http://ca.example/x", &u, err, 100), 0);
	n = ike_rev_http_request(req, sizeof(req), &u, NULL, 0);
	CU_ASSERT(n > 0 && (size_t)n == strlen(req));
	CU_ASSERT(rt_has(req, "GET /x HTTP/1.0\r\nHost: ca.example\r\n"));
	ike_rev_url_parse("http://[2001:db8::1]:81/o", &u, err, 100);
	ike_rev_http_request(req, sizeof(req), &u, "application/ocsp-request", 77);
	CU_ASSERT(rt_has(req, "POST /o HTTP/1.0\r\nHost: [2001:db8::1]:81\r\n"));
	CU_ASSERT(rt_has(req, "Content-Type: application/ocsp-request\r\nContent-Length: 77\r\n"));
	CU_ASSERT_EQUAL(ike_rev_http_request(req, 20, &u, NULL, 0), -1);
}

/* ---- CRLs ---- */

static X509_CRL *rt_crl(const char *name)
{
	size_t len;
	uint8_t *b = rt_file(name, &len);
	char err[200];
	X509_CRL *crl = ike_rev_crl_parse(b, len, err, sizeof(err));

	if (!crl)
		printf("\n    %s: %s\n", name, err);
	return crl;
}

static void test_crl_verify(void)
{
	X509 *ca, *good, *rev;
	X509_CRL *der, *pem, *forged;
	struct ike_rev_result r;
	char err[300];

	if (!rt_pki()) {
		CU_FAIL("no test PKI");
		return;
	}
	ca = rt_cert("ca"), good = rt_cert("good"), rev = rt_cert("revoked");
	der = rt_crl("ca.crl.der"), pem = rt_crl("ca.crl.pem"), forged = rt_crl("forged.crl.der");
	CU_ASSERT_FATAL(ca && good && rev && der && pem && forged);
	CU_ASSERT_EQUAL(ike_rev_crl_verify(der, ca, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ike_rev_crl_verify(pem, ca, err, sizeof(err)), 0);
	/* Same issuer name, another key. */
	CU_ASSERT_EQUAL(ike_rev_crl_verify(forged, ca, err, sizeof(err)), -1);
	CU_ASSERT(rt_has(err, "signature does not verify"));
	/* Another issuer name. */
	CU_ASSERT_EQUAL(ike_rev_crl_verify(der, good, err, sizeof(err)), -1);
	CU_ASSERT(rt_has(err, "not by '/O=Test/CN=good'"));

	ike_rev_result_init(&r, good);
	ike_rev_crl_lookup(der, good, time(NULL), "CRL file ca.crl.der", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_GOOD);
	CU_ASSERT(rt_has(r.msg, "serial 1001 not revoked (CRL file ca.crl.der, next update"));
	ike_rev_result_init(&r, rev);
	ike_rev_crl_lookup(der, rev, time(NULL), "CRL file ca.crl.der", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_REVOKED);
	CU_ASSERT_STRING_EQUAL(r.serial, "1002");
	CU_ASSERT_EQUAL(r.reason, 1);
	CU_ASSERT(rt_has(r.msg, "certificate '/O=Test/CN=revoked' serial 1002 revoked on "
				"2024-01-02 03:04:05 UTC (keyCompromise) by CRL file ca.crl.der"));
	X509_free(ca), X509_free(good), X509_free(rev);
	X509_CRL_free(der), X509_CRL_free(pem), X509_CRL_free(forged);
}

static void test_crl_expired(void)
{
	X509 *good, *rev;
	X509_CRL *crl;
	struct ike_rev_result r;
	time_t next;

	if (!rt_pki()) {
		CU_FAIL("no test PKI");
		return;
	}
	good = rt_cert("good"), rev = rt_cert("revoked"), crl = rt_crl("ca.crl.der");
	CU_ASSERT_FATAL(good && rev && crl);
	next = ike_rev_time(X509_CRL_get0_nextUpdate(crl));
	CU_ASSERT(next > time(NULL));
	ike_rev_result_init(&r, good);
	ike_rev_crl_lookup(crl, good, next - 1, "CRL x", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_GOOD);
	ike_rev_crl_lookup(crl, good, next + 1, "CRL x", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_UNKNOWN);
	CU_ASSERT(rt_has(r.msg, "CRL x expired on"));
	/* Not yet valid (beyond the 5 min skew). */
	ike_rev_crl_lookup(crl, good, time(NULL) - 3600, "CRL x", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_UNKNOWN);
	CU_ASSERT(rt_has(r.msg, "not valid before"));
	/* A revocation stays in a stale CRL. */
	ike_rev_result_init(&r, rev);
	ike_rev_crl_lookup(crl, rev, next + 86400, "CRL x", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_REVOKED);
	X509_free(good), X509_free(rev), X509_CRL_free(crl);
}

static void test_crl_garbage(void)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	X509_CRL *delta, *onlyca;
	char err[100] = "";
	X509 *ca;

	if (!rt_pki()) {
		CU_FAIL("no test PKI");
		return;
	}
	ca = rt_cert("ca"), delta = rt_crl("delta.crl.der"), onlyca = rt_crl("onlyca.crl.der");
	CU_ASSERT_FATAL(ca && delta && onlyca);
	CU_ASSERT_EQUAL(ike_rev_crl_verify(delta, ca, err, sizeof(err)), -1);
	CU_ASSERT(rt_has(err, "delta CRLs are not supported"));
	CU_ASSERT_EQUAL(ike_rev_crl_verify(onlyca, ca, err, sizeof(err)), -1);
	CU_ASSERT(rt_has(err, "covers only part of the certificates"));
	X509_free(ca), X509_CRL_free(delta), X509_CRL_free(onlyca);

	CU_ASSERT_PTR_NULL(ike_rev_crl_parse(junk, sizeof(junk), err, sizeof(err)));
	CU_ASSERT(rt_has(err, "not a CRL"));
	CU_ASSERT_PTR_NULL(ike_rev_crl_parse((const uint8_t *)"-----BEGIN X509 CRL-----\nAA", 28,
					     err, sizeof(err)));
}

/* ---- OCSP ---- */

/* openssl ocsp answers the request (DER) as `signer` would; NULL on failure. */
static uint8_t *rt_ocsp_answer(const uint8_t *req, size_t len, const char *signer,
			       const char *extra, size_t *out_len)
{
	char path[700], cmd[3000];
	FILE *f;

	snprintf(path, sizeof(path), "%s/req.der", rt_dir);
	f = fopen(path, "wb");
	if (!f || fwrite(req, 1, len, f) != len) {
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl ocsp -index index.txt -rsigner %s.pem -rkey %s.key -CA ca.pem "
		 "-reqin req.der -respout resp.der -ndays 1 %s >/dev/null 2>&1",
		 rt_dir, signer, signer, extra);
	if (rt_run(cmd) != 0)
		return NULL;
	return rt_file("resp.der", out_len);
}

struct rt_ocsp {
	X509 *ca, *cert;
	OCSP_REQUEST *req;
	uint8_t *der;
	size_t len;
};

static bool rt_ocsp_req(struct rt_ocsp *o, const char *cert)
{
	o->ca = rt_cert("ca");
	o->cert = rt_cert(cert);
	o->req = o->ca && o->cert ? ike_rev_ocsp_request(o->cert, o->ca, &o->der, &o->len) : NULL;
	return o->req != NULL;
}

static void rt_ocsp_free(struct rt_ocsp *o)
{
	X509_free(o->ca);
	X509_free(o->cert);
	OCSP_REQUEST_free(o->req);
	OPENSSL_free(o->der);
}

/* Checks the answer `signer` gives to o's request. */
static int rt_ocsp_check(struct rt_ocsp *o, const char *signer, const char *extra,
			 struct ike_rev_ocsp_answer *a)
{
	size_t len;
	uint8_t *resp = rt_ocsp_answer(o->der, o->len, signer, extra, &len);

	if (!resp) {
		CU_FAIL("openssl ocsp made no response");
		return -2;
	}
	return ike_rev_ocsp_check(o->req, resp, len, o->cert, o->ca, time(NULL), a);
}

static void test_ocsp_good_revoked(void)
{
	struct rt_ocsp g = { 0 }, v = { 0 };
	struct ike_rev_ocsp_answer a;
	struct ike_rev_result r;

	if (!rt_pki() || !rt_ocsp_req(&g, "good") || !rt_ocsp_req(&v, "revoked")) {
		CU_FAIL("no test PKI");
		goto out;
	}
	/* Delegated responder, then the CA itself. */
	CU_ASSERT_EQUAL(rt_ocsp_check(&g, "ocsp", "", &a), 0);
	CU_ASSERT_EQUAL(a.status, V_OCSP_CERTSTATUS_GOOD);
	ike_rev_result_init(&r, g.cert);
	ike_rev_ocsp_result(&a, g.cert, time(NULL), "OCSP http://x/", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_GOOD);
	CU_ASSERT(rt_has(r.msg, "serial 1001 not revoked (OCSP http://x/, next update"));
	CU_ASSERT_EQUAL(rt_ocsp_check(&g, "ca", "", &a), 0);
	CU_ASSERT_EQUAL(a.status, V_OCSP_CERTSTATUS_GOOD);
	CU_ASSERT_EQUAL(rt_ocsp_check(&v, "ocsp", "", &a), 0);
	CU_ASSERT_EQUAL(a.status, V_OCSP_CERTSTATUS_REVOKED);
	ike_rev_result_init(&r, v.cert);
	ike_rev_ocsp_result(&a, v.cert, time(NULL), "OCSP http://x/", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_REVOKED);
	CU_ASSERT(rt_has(r.msg, "serial 1002 revoked on 2024-01-02 03:04:05 UTC (keyCompromise) "
				"by OCSP http://x/"));
	/* Expired: past nextUpdate (-ndays 1). */
	CU_ASSERT_EQUAL(rt_ocsp_check(&g, "ocsp", "", &a), 0);
	ike_rev_ocsp_result(&a, g.cert, time(NULL) + 2 * 86400, "OCSP http://x/", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_UNKNOWN);
	CU_ASSERT(rt_has(r.msg, "OCSP http://x/ answer expired on"));
	ike_rev_ocsp_result(&a, g.cert, time(NULL) - 3600, "OCSP http://x/", &r);
	CU_ASSERT_EQUAL(r.status, IKE_REV_UNKNOWN);
	CU_ASSERT(rt_has(r.msg, "not valid before"));
out:
	rt_ocsp_free(&g);
	rt_ocsp_free(&v);
}

static void test_ocsp_signer(void)
{
	struct rt_ocsp g = { 0 };
	struct ike_rev_ocsp_answer a;

	if (!rt_pki() || !rt_ocsp_req(&g, "good")) {
		CU_FAIL("no test PKI");
		goto out;
	}
	/* Responder certified by another CA (same CA name, other key). */
	CU_ASSERT_EQUAL(rt_ocsp_check(&g, "rogue", "", &a), -1);
	CU_ASSERT(rt_has(a.err, "signed by '/O=Test/CN=rogue', not certified by the issuer"));
	/* Certified by the CA, but not for OCSP signing. */
	CU_ASSERT_EQUAL(rt_ocsp_check(&g, "noeku", "", &a), -1);
	CU_ASSERT(rt_has(a.err, "lacks the OCSPSigning extended key usage"));
	CU_ASSERT_EQUAL(rt_ocsp_check(&g, "wrongeku", "", &a), -1);
	CU_ASSERT(rt_has(a.err, "'/O=Test/CN=wrongeku' lacks the OCSPSigning"));
	/* Signed by the other CA's key under the CA's name (and its
	 * certificate sent along): the CA's key does not verify it. */
	CU_ASSERT_EQUAL(rt_ocsp_check(&g, "ca2", "", &a), -1);
	CU_ASSERT(rt_has(a.err, "signature does not verify"));
out:
	rt_ocsp_free(&g);
}

static void test_ocsp_nonce_and_signature(void)
{
	struct rt_ocsp g = { 0 }, other = { 0 };
	struct ike_rev_ocsp_answer a;
	uint8_t *resp, copy[8192];
	char path[700], cmd[1500];
	size_t len;

	if (!rt_pki() || !rt_ocsp_req(&g, "good") || !rt_ocsp_req(&other, "good")) {
		CU_FAIL("no test PKI");
		goto out;
	}
	/* The answer to another request (its own nonce) for the same cert. */
	resp = rt_ocsp_answer(other.der, other.len, "ocsp", "", &len);
	CU_ASSERT_FATAL(resp != NULL && len <= sizeof(copy));
	memcpy(copy, resp, len);
	CU_ASSERT_EQUAL(ike_rev_ocsp_check(g.req, copy, len, g.cert, g.ca, time(NULL), &a), -1);
	CU_ASSERT(rt_has(a.err, "nonce differs"));
	CU_ASSERT_EQUAL(ike_rev_ocsp_check(other.req, copy, len, g.cert, g.ca, time(NULL), &a), 0);
	/* One flipped bit in the responder's certificate (the last byte). */
	copy[len - 1] ^= 1;
	CU_ASSERT_EQUAL(ike_rev_ocsp_check(other.req, copy, len, g.cert, g.ca, time(NULL), &a), -1);
	CU_ASSERT(rt_has(a.err, "signed by '/O=Test/CN=ocsp', not certified by the issuer"));
	/* ... in the signature: the CA signs, no certificates follow it. */
	resp = rt_ocsp_answer(other.der, other.len, "ca", "-resp_no_certs", &len);
	CU_ASSERT_FATAL(resp != NULL && len <= sizeof(copy));
	memcpy(copy, resp, len);
	CU_ASSERT_EQUAL(ike_rev_ocsp_check(other.req, copy, len, g.cert, g.ca, time(NULL), &a), 0);
	copy[len - 1] ^= 1;
	CU_ASSERT_EQUAL(ike_rev_ocsp_check(other.req, copy, len, g.cert, g.ca, time(NULL), &a), -1);
	CU_ASSERT(rt_has(a.err, "signature does not verify"));
	/* A responder that sends no nonce (pre-signed answers) is taken. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl ocsp -issuer ca.pem -cert good.pem -no_nonce -reqout plain.der "
		 ">/dev/null 2>&1",
		 rt_dir);
	CU_ASSERT_FATAL(rt_run(cmd) == 0);
	snprintf(path, sizeof(path), "plain.der");
	resp = rt_file(path, &len);
	resp = rt_ocsp_answer(resp, len, "ocsp", "", &len);
	CU_ASSERT_FATAL(resp != NULL);
	CU_ASSERT_EQUAL(ike_rev_ocsp_check(g.req, resp, len, g.cert, g.ca, time(NULL), &a), 0);
	CU_ASSERT_EQUAL(a.status, V_OCSP_CERTSTATUS_GOOD);
	/* An answer about another certificate. */
	CU_ASSERT_EQUAL(ike_rev_ocsp_check(g.req, resp, len, other.ca, g.ca, time(NULL), &a), -1);
	CU_ASSERT_EQUAL(ike_rev_ocsp_check(g.req, (const uint8_t *)"\x30\x00", 2, g.cert, g.ca,
					   time(NULL), &a),
			-1);
	CU_ASSERT(rt_has(a.err, "not an OCSP response"));
out:
	rt_ocsp_free(&g);
	rt_ocsp_free(&other);
}

/* ---- Policy ---- */

static void test_policy_table(void)
{
	static const struct {
		enum ike_rev_status st;
		bool has_source;
		bool pass[3]; /* strict, ifuri, relaxed */
	} rows[] = {
		{ IKE_REV_GOOD, true, { true, true, true } },
		{ IKE_REV_REVOKED, true, { false, false, false } },
		{ IKE_REV_UNKNOWN, true, { false, false, true } },
		{ IKE_REV_UNKNOWN, false, { false, true, true } },
	};
	struct ike_rev_result r;
	enum ike_rev_policy p;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (int k = 0; k < 3; k++) {
			memset(&r, 0, sizeof(r));
			r.status = rows[i].st;
			r.has_source = rows[i].has_source;
			r.pass = !rows[i].pass[k];
			ike_rev_apply_policy((enum ike_rev_policy)k, &r);
			if (r.pass != rows[i].pass[k])
				printf("\n    row %zu policy %s: pass %d\n", i,
				       ike_rev_policy_name((enum ike_rev_policy)k), r.pass);
			CU_ASSERT_EQUAL(r.pass, rows[i].pass[k]);
		}
	CU_ASSERT(ike_rev_policy_parse("IfUri", &p) == 0 && p == IKE_REV_IFURI);
	CU_ASSERT(ike_rev_policy_parse("strict", &p) == 0 && p == IKE_REV_STRICT);
	CU_ASSERT(ike_rev_policy_parse("relaxed", &p) == 0 && p == IKE_REV_RELAXED);
	CU_ASSERT_EQUAL(ike_rev_policy_parse("yes", &p), -1);
}

/* ---- Checks through a context ---- */

struct rt_done {
	int calls;
	struct ike_rev_result r;
	struct timespec at;
};

static void rt_on_done(void *arg, const struct ike_rev_result *r)
{
	struct rt_done *d = arg;

	d->calls++;
	d->r = *r;
	clock_gettime(CLOCK_MONOTONIC, &d->at);
}

static double rt_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Runs the caller's loop (poll on the fd, ike_rev_poll) until d is called
 * or ms pass. */
static bool rt_wait(struct ike_rev_ctx *ctx, struct rt_done *d, int ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!d->calls && rt_ms_since(&t0) < ms) {
		struct pollfd p = { .fd = ike_rev_fd(ctx), .events = POLLIN };

		if (poll(&p, 1, 50) > 0)
			ike_rev_poll(ctx);
	}
	return d->calls > 0;
}

/* Starts a check of cert (issued by ca); the result in *r when it is done
 * at once, else IKE_REV_PENDING and d gets it. */
static int rt_start_by(struct ike_rev_ctx *ctx, const char *cert, const char *issuer,
		       enum ike_rev_policy p, struct rt_done *d, struct ike_rev_result *r,
		       uint64_t *id)
{
	X509 *ca = rt_cert(issuer), *x = rt_cert(cert);
	uint64_t dummy;
	int rc = -1;

	if (ca && x)
		rc = ike_rev_check_start(ctx, x, ca, p, rt_on_done, d, r, id ? id : &dummy);
	X509_free(ca);
	X509_free(x);
	return rc;
}

static int rt_start(struct ike_rev_ctx *ctx, const char *cert, enum ike_rev_policy p,
		    struct rt_done *d, struct ike_rev_result *r, uint64_t *id)
{
	return rt_start_by(ctx, cert, "ca", p, d, r, id);
}

static struct ike_rev_ctx *rt_ctx(unsigned timeout_ms, size_t max_crl)
{
	struct ike_rev_cfg cfg = {
		.timeout_ms = timeout_ms, .max_crl = max_crl, .now = rt_now, .retry_s = 30
	};

	rt_clock = 0;
	return ike_rev_new(&cfg);
}

static void test_no_source(void)
{
	struct ike_rev_ctx *ctx;
	struct ike_rev_result r;
	struct rt_done d = { 0 };

	if (!rt_pki() || !(ctx = rt_ctx(0, 0))) {
		CU_FAIL("no test PKI");
		return;
	}
	CU_ASSERT_EQUAL(rt_start(ctx, "nouri", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_UNKNOWN && !r.has_source && !r.pass);
	CU_ASSERT(rt_has(r.msg, "serial 1003 unknown: no CRL or OCSP source"));
	CU_ASSERT(rt_has(r.msg, "refused under strict"));
	CU_ASSERT_EQUAL(rt_start(ctx, "nouri", IKE_REV_IFURI, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.pass);
	CU_ASSERT(rt_has(r.msg, "accepted under ifuri"));
	CU_ASSERT_EQUAL(rt_start(ctx, "nouri", IKE_REV_RELAXED, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.pass);
	/* An ldap:// distribution point is a source we cannot use. */
	CU_ASSERT_EQUAL(rt_start(ctx, "ldap", IKE_REV_IFURI, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_UNKNOWN && r.has_source && !r.pass);
	CU_ASSERT(rt_has(r.msg, "ldap://ldap.example/cn=ca?certificateRevocationList is not "
				"fetched (http:// only); refused under ifuri"));
	CU_ASSERT_EQUAL(rt_start(ctx, "ldap", IKE_REV_RELAXED, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.pass);
	CU_ASSERT_EQUAL(d.calls, 0);
	CU_ASSERT_EQUAL(ike_rev_pending(ctx), 0);
	ike_rev_free(ctx);
}

/* CRL files configured for the CA answer at once, before any fetch. */
static void test_crl_file(void)
{
	struct ike_rev_ctx *ctx;
	struct ike_rev_result r;
	struct rt_done d = { 0 };
	char path[700], err[300];
	X509 *ca = NULL, *other = NULL;

	if (!rt_pki() || !(ctx = rt_ctx(0, 0))) {
		CU_FAIL("no test PKI");
		return;
	}
	ca = rt_cert("ca"), other = rt_cert("ca2");
	CU_ASSERT_FATAL(ca && other);
	snprintf(path, sizeof(path), "%s/forged.crl.pem", rt_dir);
	CU_ASSERT_EQUAL(ike_rev_add_crl_file(ctx, ca, path, err, sizeof(err)), -1);
	CU_ASSERT(rt_has(err, "forged.crl.pem: CRL signature does not verify"));
	snprintf(path, sizeof(path), "%s/ca.crl.pem", rt_dir);
	CU_ASSERT_EQUAL(ike_rev_add_crl_file(ctx, ca, path, err, sizeof(err)), 0);
	/* Checked against its CA's key when loaded: not ca2's. */
	CU_ASSERT_EQUAL(ike_rev_add_crl_file(ctx, other, path, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rt_start(ctx, "nouri", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_GOOD && r.pass && r.has_source);
	CU_ASSERT(rt_has(r.source, "CRL file "));
	CU_ASSERT_EQUAL(rt_start(ctx, "revoked", IKE_REV_RELAXED, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_REVOKED && !r.pass);
	CU_ASSERT(rt_has(r.msg, "revoked on 2024-01-02 03:04:05 UTC (keyCompromise) by CRL file "));
	/* The file speaks for its CA only: not for ca2's certificates. */
	CU_ASSERT_EQUAL(rt_start_by(ctx, "rogue", "ca2", IKE_REV_STRICT, &d, &r, NULL),
			IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_UNKNOWN && !r.has_source);
	/* Two days on, the file is stale: unknown, and a source was there. */
	rt_clock = time(NULL) + 2 * 86400;
	CU_ASSERT_EQUAL(rt_start(ctx, "nouri", IKE_REV_IFURI, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_UNKNOWN && r.has_source && !r.pass);
	CU_ASSERT(rt_has(r.msg, "ca.crl.pem expired on"));
	CU_ASSERT_EQUAL(rt_start(ctx, "nouri", IKE_REV_RELAXED, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.pass);
	CU_ASSERT_EQUAL(d.calls, 0);
	X509_free(ca);
	X509_free(other);
	ike_rev_free(ctx);
}

/* ---- Fetching, in a network namespace of our own ---- */

static int rt_ns_orig = -1, rt_ns_test = -1;
static pid_t rt_pids[2];

static void rt_ns_cleanup(void)
{
	for (int i = 0; i < 2; i++)
		if (rt_pids[i] > 0) {
			kill(rt_pids[i], SIGKILL);
			waitpid(rt_pids[i], NULL, 0);
			rt_pids[i] = 0;
		}
}

/* A server in the test namespace (this thread's), killed with us. */
static pid_t rt_spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Something listens on the port in this thread's namespace. Read from
 * /proc, not probed with a connection: openssl ocsp serves one client at a
 * time and hangs on a connection that closes without a request. */
static bool rt_listening(int port)
{
	static const char *const files[] = { "/proc/thread-self/net/tcp",
					     "/proc/thread-self/net/tcp6" };
	char line[512], addr[64];
	unsigned lport, st;
	bool found = false;

	for (int i = 0; i < 2 && !found; i++) {
		FILE *f = fopen(files[i], "r");

		while (f && !found && fgets(line, sizeof(line), f))
			found = sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", addr,
				       &lport, &st) == 3 &&
				lport == (unsigned)port && st == 0x0A; /* LISTEN */
		if (f)
			fclose(f);
	}
	return found;
}

static bool rt_port_up(int port)
{
	for (int i = 0; i < 100; i++) {
		if (rt_listening(port))
			return true;
		usleep(50000);
	}
	printf("\n    nothing listens on port %d in the test namespace\n", port);
	return false;
}

static bool rt_ns_make(void)
{
	char f[5][700], port[8];

	snprintf(f[0], 700, "%s/index.txt", rt_dir);
	snprintf(f[1], 700, "%s/ocsp.pem", rt_dir);
	snprintf(f[2], 700, "%s/ocsp.key", rt_dir);
	snprintf(f[3], 700, "%s/ca.pem", rt_dir);
	snprintf(port, sizeof(port), "%d", RT_OCSP_PORT);
	char *http[] = { "python3", "tests/unit/ike/rev_http_server.py", "8080", rt_dir, NULL };
	char *ocsp[] = { "openssl", "ocsp", "-index", f[0], "-rsigner", f[1], "-rkey", f[2],
			 "-CA",     f[3],   "-port",  port, "-ndays",   "1",  NULL };

	rt_ns_orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (rt_ns_orig < 0 || unshare(CLONE_NEWNET) != 0) {
		printf("\n    cannot make a network namespace: %s\n", strerror(errno));
		return false;
	}
	rt_ns_test = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (rt_run("ip link set lo up") != 0)
		return false;
	atexit(rt_ns_cleanup);
	rt_pids[0] = rt_spawn(http);
	rt_pids[1] = rt_spawn(ocsp);
	return rt_port_up(RT_HTTP_PORT) && rt_port_up(RT_OCSP_PORT);
}

/* Moves this thread into the test namespace (made on first use). */
static bool rt_ns_enter(void)
{
	static int made = -1;

	if (!rt_pki())
		return false;
	if (made < 0) {
		made = rt_ns_make();
		if (!made && rt_ns_orig >= 0)
			setns(rt_ns_orig, CLONE_NEWNET);
		return made;
	}
	return made && setns(rt_ns_test, CLONE_NEWNET) == 0;
}

static void rt_ns_leave(void)
{
	if (setns(rt_ns_orig, CLONE_NEWNET) != 0)
		CU_FAIL("cannot return to the original network namespace");
}

static int rt_hits(const char *path)
{
	char name[700], line[300];
	int n = 0;
	FILE *f;

	snprintf(name, sizeof(name), "%s/hits.log", rt_dir);
	f = fopen(name, "r");
	while (f && fgets(line, sizeof(line), f))
		n += strcmp(strtok(line, "\n") ? line : "", path) == 0;
	if (f)
		fclose(f);
	return n;
}

static void rt_serve_crl(const char *file)
{
	char cmd[1600];

	snprintf(cmd, sizeof(cmd), "cp %s/%s %s/www_ca.crl", rt_dir, file, rt_dir);
	rt_run(cmd);
}

/* A CRL from the distribution point, cached until its nextUpdate. */
static void test_fetch_crl(void)
{
	struct ike_rev_ctx *ctx;
	struct ike_rev_result r;
	struct rt_done d = { 0 };
	X509_CRL *crl;
	time_t next;
	int hits;

	if (!rt_ns_enter()) {
		CU_FAIL("no test namespace");
		return;
	}
	crl = rt_crl("ca.crl.der");
	next = crl ? ike_rev_time(X509_CRL_get0_nextUpdate(crl)) : 0;
	X509_CRL_free(crl);
	ctx = rt_ctx(0, 0);
	hits = rt_hits("/ca.crl");
	rt_serve_crl("ca.crl.der");
	CU_ASSERT_EQUAL(rt_start(ctx, "crlgood", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(d.r.status == IKE_REV_GOOD && d.r.pass);
	CU_ASSERT_STRING_EQUAL(d.r.source, "CRL http://127.0.0.1:8080/ca.crl");
	/* The same CRL answers for another certificate, from the cache. */
	CU_ASSERT_EQUAL(rt_start(ctx, "crlrev", IKE_REV_RELAXED, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_REVOKED && !r.pass);
	CU_ASSERT(rt_has(r.msg, "serial 1008 revoked on 2025-03-04 05:06:07 UTC (superseded) by "
				"CRL http://127.0.0.1:8080/ca.crl"));
	CU_ASSERT_EQUAL(rt_hits("/ca.crl"), hits + 1);
	/* Until its nextUpdate the cached CRL serves; after it, a new one. */
	rt_serve_crl("ca72.crl.der");
	rt_clock = next - 60;
	CU_ASSERT_EQUAL(rt_start(ctx, "crlgood", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT_EQUAL(rt_hits("/ca.crl"), hits + 1);
	rt_clock = next + 60;
	d.calls = 0;
	CU_ASSERT_EQUAL(rt_start(ctx, "crlgood", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(d.r.status == IKE_REV_GOOD && d.r.pass);
	CU_ASSERT_EQUAL(rt_hits("/ca.crl"), hits + 2);
	rt_serve_crl("ca.crl.der");
	ike_rev_free(ctx);
	rt_ns_leave();
}

/* OCSP from the AIA, then from a configured responder. */
static void test_fetch_ocsp(void)
{
	struct ike_rev_ctx *ctx;
	struct ike_rev_result r;
	struct rt_done d = { 0 };
	char err[200];
	X509 *ca;

	if (!rt_ns_enter()) {
		CU_FAIL("no test namespace");
		return;
	}
	ctx = rt_ctx(0, 0);
	CU_ASSERT_EQUAL(rt_start(ctx, "good", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(d.r.status == IKE_REV_GOOD && d.r.pass);
	CU_ASSERT_STRING_EQUAL(d.r.source, "OCSP http://127.0.0.1:8081/ocsp");
	CU_ASSERT_EQUAL(rt_start(ctx, "good", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_GOOD);
	d.calls = 0;
	CU_ASSERT_EQUAL(rt_start(ctx, "revoked", IKE_REV_RELAXED, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(d.r.status == IKE_REV_REVOKED && !d.r.pass);
	CU_ASSERT(rt_has(d.r.msg, "serial 1002 revoked on 2024-01-02 03:04:05 UTC (keyCompromise) "
				  "by OCSP http://127.0.0.1:8081/ocsp"));
	/* Past the answer's nextUpdate (a day): asked again. */
	rt_clock = time(NULL) + 86400 + 3600;
	d.calls = 0;
	CU_ASSERT_EQUAL(rt_start(ctx, "good", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(d.r.status == IKE_REV_UNKNOWN && !d.r.pass);
	CU_ASSERT(rt_has(d.r.msg, "OCSP http://127.0.0.1:8081/ocsp answer expired on"));
	ike_rev_free(ctx);

	ctx = rt_ctx(0, 0);
	ca = rt_cert("ca");
	CU_ASSERT_EQUAL(ike_rev_add_ocsp_uri(ctx, ca, "http://127.0.0.1:8081/", err, 200), 0);
	CU_ASSERT_EQUAL(ike_rev_add_ocsp_uri(ctx, ca, "https://127.0.0.1/", err, 200), -1);
	d.calls = 0;
	CU_ASSERT_EQUAL(rt_start(ctx, "crlrev", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(d.r.status == IKE_REV_REVOKED);
	CU_ASSERT_STRING_EQUAL(d.r.source, "OCSP http://127.0.0.1:8081/");
	X509_free(ca);
	ike_rev_free(ctx);
	rt_ns_leave();
}

/* A server that never answers: the start returns at once, other checks
 * go on, the stalled one ends at the timeout, and the failure is
 * remembered for retry_s. */
static void test_fetch_timeout(void)
{
	struct rt_done d = { 0 }, d2 = { 0 }, d3 = { 0 };
	struct ike_rev_ctx *ctx;
	struct ike_rev_result r;
	struct timespec t0;
	double start_ms, end_ms;
	uint64_t id;

	if (!rt_ns_enter()) {
		CU_FAIL("no test namespace");
		return;
	}
	ctx = rt_ctx(1000, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(rt_start(ctx, "stall", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_PENDING);
	start_ms = rt_ms_since(&t0);
	printf("\n    start returned in %.2f ms (fetch timeout 1000 ms)\n", start_ms);
	CU_ASSERT(start_ms < 500);
	CU_ASSERT_EQUAL(rt_start(ctx, "crlgood", IKE_REV_STRICT, &d2, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d2, 5000));
	CU_ASSERT(d2.r.status == IKE_REV_GOOD);
	CU_ASSERT_EQUAL(d.calls, 0);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	end_ms = (double)(d.at.tv_sec - t0.tv_sec) * 1e3 +
		 (double)(d.at.tv_nsec - t0.tv_nsec) / 1e6;
	printf("    stalled check ended after %.0f ms\n", end_ms);
	CU_ASSERT(end_ms >= 900 && end_ms < 4000);
	CU_ASSERT(d.r.status == IKE_REV_UNKNOWN && !d.r.pass);
	CU_ASSERT(rt_has(d.r.msg, "CRL http://127.0.0.1:8080/stall: no complete answer within "
				  "1000 ms; refused under strict"));
	/* Remembered: no second fetch within retry_s... */
	CU_ASSERT_EQUAL(rt_start(ctx, "stall", IKE_REV_RELAXED, &d, &r, NULL), IKE_REV_DONE);
	CU_ASSERT(r.status == IKE_REV_UNKNOWN && r.pass);
	CU_ASSERT(rt_has(r.msg, "no complete answer within 1000 ms; accepted under relaxed"));
	/* ... asked again after it; a cancelled check is never called back. */
	rt_clock = time(NULL) + 31;
	CU_ASSERT_EQUAL(rt_start(ctx, "stall", IKE_REV_STRICT, &d3, &r, &id), IKE_REV_PENDING);
	CU_ASSERT_EQUAL(ike_rev_pending(ctx), 1);
	ike_rev_cancel(ctx, id);
	CU_ASSERT_EQUAL(ike_rev_pending(ctx), 0);
	CU_ASSERT_FALSE(rt_wait(ctx, &d3, 1500));
	ike_rev_free(ctx);
	rt_ns_leave();
}

static void test_fetch_bounds(void)
{
	struct rt_done d = { 0 };
	struct ike_rev_ctx *ctx;
	struct ike_rev_result r;
	char err[200];
	X509 *ca;

	if (!rt_ns_enter()) {
		CU_FAIL("no test namespace");
		return;
	}
	ctx = rt_ctx(3000, 65536);
	CU_ASSERT_EQUAL(rt_start(ctx, "big", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(rt_has(d.r.msg, "CRL http://127.0.0.1:8080/big: answer is over the limit of "
				  "65536 bytes"));
	d.calls = 0;
	CU_ASSERT_EQUAL(rt_start(ctx, "biglen", IKE_REV_STRICT, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(rt_has(d.r.msg, "answer of 100000000 bytes is over the limit of 65536"));
	/* A configured responder nobody runs: a source that fails (ifuri). */
	ca = rt_cert("ca");
	CU_ASSERT_EQUAL(ike_rev_add_ocsp_uri(ctx, ca, "http://127.0.0.1:9/", err, 200), 0);
	d.calls = 0;
	CU_ASSERT_EQUAL(rt_start(ctx, "nouri", IKE_REV_IFURI, &d, &r, NULL), IKE_REV_PENDING);
	CU_ASSERT(rt_wait(ctx, &d, 5000));
	CU_ASSERT(d.r.status == IKE_REV_UNKNOWN && d.r.has_source && !d.r.pass);
	CU_ASSERT(rt_has(d.r.msg, "OCSP http://127.0.0.1:9/: Connection refused; refused under "
				  "ifuri"));
	X509_free(ca);
	ike_rev_free(ctx);
	rt_ns_leave();
}

static const struct test_case revocation_cases[] = {
	{ "HTTP response parser", test_http_parse },
	{ "HTTP header size bound", test_http_header_bound },
	{ "URL parser and requests", test_url_parse },
	{ "CRL signature, issuer, lookup", test_crl_verify },
	{ "CRL expiry and future thisUpdate", test_crl_expired },
	{ "CRL garbage, delta, partial scope", test_crl_garbage },
	{ "OCSP good, revoked, expired", test_ocsp_good_revoked },
	{ "OCSP wrong signers", test_ocsp_signer },
	{ "OCSP nonce and signature", test_ocsp_nonce_and_signature },
	{ "policy table", test_policy_table },
	{ "no source, ldap only", test_no_source },
	{ "CRL files", test_crl_file },
	{ "fetch CRL, cache until nextUpdate", test_fetch_crl },
	{ "fetch OCSP, AIA and configured", test_fetch_ocsp },
	{ "fetch timeout, caller not blocked", test_fetch_timeout },
	{ "fetch size bounds, refused", test_fetch_bounds },
	{ NULL, NULL },
};
TEST_SUITE(revocation, revocation_cases)
