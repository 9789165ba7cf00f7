/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target for the HTTP of revocation fetches (ike/pki/rev_http.c): the
 * response parser (status line, headers, Content-Length, body bound) on
 * bytes as a CRL or OCSP server could send them, and the URL parser on
 * text as a certificate's distribution point could hold it.
 *
 * Invariants (abort() when violated):
 * - a DONE body lies inside the input and within the bound, after a 200;
 * - at end of connection the parser never asks for more;
 * - the answer for a prefix agrees with the whole: a prefix that is DONE
 *   with a Content-Length is DONE with the same body on the whole input,
 *   and an error on a prefix (not at its end) is an error on the whole;
 * - a parsed URL gives fields without controls or spaces, and a request
 *   that fits its buffer; errors are NUL-terminated text.
 *
 * libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_rev_http.c \
 *         ike/pki/rev_http.c -o fuzz_rev_http
 * Standalone (make fuzz): N pseudo-random and mutated inputs from a seed:
 *   ./fuzz_rev_http [N [seed]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/pki/revocation.h"
#include "fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const char *err, size_t cap)
{
	CHECK(memchr(err, '\0', cap) != NULL);
}

static int parse(const uint8_t *d, size_t n, bool eof, size_t max, struct ike_rev_http_resp *r)
{
	char err[128];
	int rc;

	err[0] = '\0';
	rc = ike_rev_http_parse(d, n, eof, max, r, err, sizeof(err));
	CHECK(rc == IKE_REV_HTTP_MORE || rc == IKE_REV_HTTP_DONE || rc == IKE_REV_HTTP_ERR);
	check_err(err, sizeof(err));
	if (rc == IKE_REV_HTTP_DONE) {
		CHECK(r->status == 200);
		CHECK(r->body_off >= 4 && r->body_off <= n);
		CHECK(r->body_len <= n - r->body_off);
		CHECK(r->body_len <= max);
		CHECK(memcmp(d + r->body_off - 4, "\r\n\r\n", 4) == 0);
	}
	if (eof)
		CHECK(rc != IKE_REV_HTTP_MORE);
	return rc;
}

static void fuzz_response(const uint8_t *d, size_t n, size_t max)
{
	struct ike_rev_http_resp whole, part;
	int rc = parse(d, n, false, max, &whole);
	int rc_eof = parse(d, n, true, max, &whole);

	if (rc == IKE_REV_HTTP_ERR)
		CHECK(rc_eof == IKE_REV_HTTP_ERR);
	/* Prefixes, as the fetch loop sees them between reads. */
	for (size_t k = 0; k < n; k += 1 + k / 4) {
		int prc = parse(d, k, false, max, &part);

		if (prc == IKE_REV_HTTP_ERR)
			CHECK(parse(d, n, false, max, &whole) == IKE_REV_HTTP_ERR);
		if (prc == IKE_REV_HTTP_DONE) {
			CHECK(parse(d, n, false, max, &whole) == IKE_REV_HTTP_DONE);
			CHECK(whole.body_off == part.body_off && whole.body_len == part.body_len);
		}
	}
}

static void check_field(const char *s)
{
	for (; *s; s++)
		CHECK((unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f);
}

static void fuzz_url(const uint8_t *d, size_t n)
{
	char url[600], err[128], req[2048];
	struct ike_rev_url u;
	size_t len = n < sizeof(url) - 1 ? n : sizeof(url) - 1;
	int rl;

	memcpy(url, d, len);
	url[len] = '\0';
	if (ike_rev_url_parse(url, &u, err, sizeof(err)) != 0) {
		check_err(err, sizeof(err));
		return;
	}
	check_field(u.host);
	check_field(u.port);
	check_field(u.path);
	CHECK(u.path[0] == '/' && u.host[0] && atoi(u.port) > 0 && atoi(u.port) < 65536);
	rl = ike_rev_http_request(req, sizeof(req), &u, n & 1 ? "application/ocsp-request" : NULL,
				  n);
	CHECK(rl > 0 && (size_t)rl < sizeof(req) && strlen(req) == (size_t)rl);
	/* One request line, headers, a blank line: no CR/LF from the URL. */
	CHECK(strstr(req, "\r\n\r\n") == req + rl - 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = size ? data[0] * 7u : 0;

	fuzz_response(data, size, max);
	fuzz_response(data, size, size ? data[size - 1] % 16u : 0);
	fuzz_response(data, size, (size_t)-1 / 2);
	fuzz_url(data, size);
	return 0;
}

#ifdef FUZZ_STANDALONE
/* Seeds: responses and URLs as servers and certificates write them. */
static const char *const seeds[] = {
	"HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 5\r\n\r\n0\x82\x01\x00\x01",
	"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.0 200 OK\r\n\r\nbody until the end",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
	"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc",
	"http://192.0.2.1:8080/ca.crl",
	"http://[2001:db8::1]/ocsp?x=1",
	"http://ca.example/",
};

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
	unsigned n = 1 + rng() % 4;

	for (unsigned i = 0; i < n; i++) {
		size_t at = len ? rng() % len : 0;

		switch (rng() % 4) {
		case 0:
			if (len)
				buf[at] ^= (uint8_t)(1u << (rng() % 8));
			break;
		case 1:
			if (len)
				buf[at] = "\r\n: 0123456789/"[rng() % 15];
			break;
		case 2:
			if (len < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (uint8_t)rng();
				len++;
			}
			break;
		default:
			if (len) {
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			}
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	unsigned long runs = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	static uint8_t buf[4096];
	size_t nseeds = sizeof(seeds) / sizeof(seeds[0]);

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	for (unsigned long i = 0; i < runs; i++) {
		size_t len;

		if (i % 4 == 0) {
			len = rng() % 200;
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)rng();
		} else {
			const char *s = seeds[rng() % nseeds];

			len = strlen(s);
			memcpy(buf, s, len);
			len = mutate(buf, len, sizeof(buf));
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_rev_http: %lu inputs, no invariant violated\n", runs);
	return 0;
}
#endif
