/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP of revocation fetches: URL parsing, the request, and a strict,
 * bounded response parser. Pure code (no sockets, no OpenSSL) so the fuzz
 * harness (fuzz/fuzz_rev_http.c) drives it directly. We speak HTTP/1.0,
 * so a conforming server closes or sends Content-Length: chunked bodies,
 * redirects and anything but 200 are refused. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ike/pki/revocation.h"

static int rh_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rh_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Copies [s, s+n) into a field of cap bytes; -1 when it does not fit. */
static int rh_copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static bool rh_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* Host: name or IPv4 (rh_host_char), or [IPv6]. Sets *end past it. */
static int rh_host(const char *s, struct ike_rev_url *u, const char **end)
{
	size_t n = 0;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close == s + 1)
			return -1;
		for (const char *p = s + 1; p < close; p++)
			if (!(*p == ':' || *p == '.' || (*p >= '0' && *p <= '9') ||
			      (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
				return -1;
		*end = close + 1;
		return rh_copy(u->host, sizeof(u->host), s + 1, (size_t)(close - s - 1));
	}
	while (rh_host_char(s[n]))
		n++;
	if (n == 0)
		return -1;
	*end = s + n;
	return rh_copy(u->host, sizeof(u->host), s, n);
}

static int rh_port(const char *s, struct ike_rev_url *u, const char **end)
{
	unsigned v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 5)
		v = v * 10 + (unsigned)(s[n++] - '0');
	if (n == 0 || v == 0 || v > 65535 || (s[n] >= '0' && s[n] <= '9'))
		return -1;
	snprintf(u->port, sizeof(u->port), "%u", v);
	*end = s + n;
	return 0;
}

/* The path goes into the request line: no spaces or controls, which
 * would let a certificate's URI write headers of its own. */
static int rh_path(const char *s, struct ike_rev_url *u)
{
	if (*s == '\0')
		return rh_copy(u->path, sizeof(u->path), "/", 1);
	if (*s != '/')
		return -1;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return -1;
	return rh_copy(u->path, sizeof(u->path), s, strlen(s));
}

int ike_rev_url_parse(const char *url, struct ike_rev_url *u, char *err, size_t errlen)
{
	const char *p;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "http://", 7) != 0)
		return rh_fail(err, errlen, "only http:// URLs are fetched");
	if (rh_host(url + 7, u, &p) != 0)
		return rh_fail(err, errlen, "bad host in URL");
	strcpy(u->port, "80");
	if (*p == ':' && rh_port(p + 1, u, &p) != 0)
		return rh_fail(err, errlen, "bad port in URL");
	if (rh_path(p, u) != 0)
		return rh_fail(err, errlen, "bad path in URL");
	return 0;
}

int ike_rev_http_request(char *out, size_t cap, const struct ike_rev_url *u, const char *ctype,
			 size_t body_len)
{
	bool v6 = strchr(u->host, ':') != NULL;
	const char *port = strcmp(u->port, "80") == 0 ? "" : u->port;
	int n;

	if (!ctype)
		n = snprintf(out, cap,
			     "GET %s HTTP/1.0\r\nHost: %s%s%s%s%s\r\nUser-Agent: ipsecgw\r\n"
			     "Connection: close\r\n\r\n",
			     u->path, v6 ? "[" : "", u->host, v6 ? "]" : "", *port ? ":" : "",
			     port);
	else
		n = snprintf(out, cap,
			     "POST %s HTTP/1.0\r\nHost: %s%s%s%s%s\r\nUser-Agent: ipsecgw\r\n"
			     "Connection: close\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
			     u->path, v6 ? "[" : "", u->host, v6 ? "]" : "", *port ? ":" : "", port,
			     ctype, body_len);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

/* "HTTP/1.x SSS[ reason]": the status code, or -1. */
static int rh_status_line(const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (n > 12 && s[12] != ' ')
		return -1;
	for (size_t i = 12; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return -1;
	return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}

struct rh_hdrs {
	bool has_len;
	size_t len;
};

/* A Content-Length value: digits only, at most 12 of them (well over any
 * bound we accept, and far from overflow). */
static int rh_content_length(const char *v, size_t n, size_t *out)
{
	size_t x = 0;

	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0 || n > 12)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (size_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static bool rh_token_char(char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* One header line (without CRLF) into h. */
static int rh_header(const char *s, size_t n, struct rh_hdrs *h, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	size_t nl, len;

	if (!colon || colon == s)
		return rh_fail(err, errlen, "malformed HTTP header line");
	nl = (size_t)(colon - s);
	for (size_t i = 0; i < nl; i++)
		if (!rh_token_char(s[i]))
			return rh_fail(err, errlen, "malformed HTTP header name");
	for (size_t i = nl + 1; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return rh_fail(err, errlen, "control character in HTTP header");
	if (nl == 17 && strncasecmp(s, "Transfer-Encoding", nl) == 0)
		return rh_fail(err, errlen, "Transfer-Encoding is not supported (HTTP/1.0 asked)");
	if (nl != 14 || strncasecmp(s, "Content-Length", nl) != 0)
		return 0;
	if (rh_content_length(colon + 1, n - nl - 1, &len) != 0)
		return rh_fail(err, errlen, "bad Content-Length");
	if (h->has_len && h->len != len)
		return rh_fail(err, errlen, "conflicting Content-Length headers");
	h->has_len = true;
	h->len = len;
	return 0;
}

/* Status line and headers in [buf, buf+n) (the blank line excluded). */
static int rh_head(const char *buf, size_t n, struct rh_hdrs *h, int *status, char *err,
		   size_t errlen)
{
	const char *p = buf, *end = buf + n;
	bool first = true;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		size_t ln = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (first) {
			*status = rh_status_line(p, ln);
			if (*status < 0)
				return rh_fail(err, errlen, "malformed HTTP status line");
			first = false;
		} else if (rh_header(p, ln, h, err, errlen) != 0) {
			return -1;
		}
		p += ln + 2;
	}
	return first ? rh_fail(err, errlen, "empty HTTP response") : 0;
}

static int rh_body(size_t avail, bool eof, size_t max_body, const struct rh_hdrs *h,
		   struct ike_rev_http_resp *r, char *err, size_t errlen)
{
	if (h->has_len) {
		if (h->len > max_body)
			return rh_fail(err, errlen, "answer of %zu bytes is over the limit of %zu",
				       h->len, max_body);
		if (avail >= h->len) {
			r->body_len = h->len;
			return IKE_REV_HTTP_DONE;
		}
		if (eof)
			return rh_fail(err, errlen, "connection closed after %zu of %zu bytes",
				       avail, h->len);
		return IKE_REV_HTTP_MORE;
	}
	if (avail > max_body)
		return rh_fail(err, errlen, "answer is over the limit of %zu bytes", max_body);
	if (!eof)
		return IKE_REV_HTTP_MORE;
	r->body_len = avail;
	return IKE_REV_HTTP_DONE;
}

int ike_rev_http_parse(const uint8_t *buf, size_t len, bool eof, size_t max_body,
		       struct ike_rev_http_resp *r, char *err, size_t errlen)
{
	size_t scan = len < IKE_REV_HTTP_MAX_HDR ? len : IKE_REV_HTTP_MAX_HDR;
	const uint8_t *blank = memmem(buf, scan, "\r\n\r\n", 4);
	struct rh_hdrs h = { 0 };

	memset(r, 0, sizeof(*r));
	if (!blank) {
		if (len >= IKE_REV_HTTP_MAX_HDR)
			return rh_fail(err, errlen, "HTTP header over %d bytes",
				       IKE_REV_HTTP_MAX_HDR);
		if (eof)
			return rh_fail(err, errlen, "connection closed in the HTTP header");
		return IKE_REV_HTTP_MORE;
	}
	if (rh_head((const char *)buf, (size_t)(blank - buf), &h, &r->status, err, errlen) != 0)
		return IKE_REV_HTTP_ERR;
	if (r->status != 200)
		return rh_fail(err, errlen, "HTTP status %d", r->status);
	r->body_off = (size_t)(blank - buf) + 4;
	return rh_body(len - r->body_off, eof, max_body, &h, r, err, errlen);
}
