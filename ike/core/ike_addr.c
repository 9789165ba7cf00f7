/* SPDX-License-Identifier: BSD-3-Clause */
/* Text forms of addresses, traffic selectors and identities (config, logs). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/v2/ikev2_wire.h"

int ike_addr_parse(const char *s, ike_addr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = 6;
		return 0;
	}
	return -EINVAL;
}

static const char *ip_str(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *ike_addr_str(const ike_addr_t *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s[%u]", ip_str(a->family, a->a, ip, sizeof(ip)), a->port);
	return buf;
}

static size_t alen(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

bool ike_addr_ip_eq(const ike_addr_t *a, const ike_addr_t *b)
{
	return a->family == b->family && memcmp(a->a, b->a, alen(a->family)) == 0;
}

bool ike_addr_in_prefix(const ike_addr_t *net, unsigned plen, const ike_addr_t *a)
{
	unsigned bytes = plen / 8, bits = plen % 8;

	if (net->family != a->family)
		return false;
	if (memcmp(net->a, a->a, bytes) != 0)
		return false;
	return !bits || ((net->a[bytes] ^ a->a[bytes]) & (0xff00u >> bits)) == 0;
}

bool ike_addr_eq(const ike_addr_t *a, const ike_addr_t *b)
{
	return ike_addr_ip_eq(a, b) && a->port == b->port;
}

static int proto_parse(const char *s, uint8_t *proto)
{
	static const struct {
		const char *n;
		uint8_t p;
	} names[] = {
		{ "any", 0 },     { "icmp", 1 },   { "tcp", 6 },    { "udp", 17 },
		{ "icmpv6", 58 }, { "icmp6", 58 }, { "sctp", 132 },
	};
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].n) == 0) {
			*proto = names[i].p;
			return 0;
		}
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 255)
		return -EINVAL;
	*proto = (uint8_t)v;
	return 0;
}

static int port_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a, b;

	if (strcmp(s, "any") == 0 || *s == '\0') {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	a = strtoul(s, &end, 10);
	if (end == s || a > 65535)
		return -EINVAL;
	b = a;
	if (*end == '-') {
		const char *t = end + 1;
		b = strtoul(t, &end, 10);
		if (end == t || b > 65535 || b < a)
			return -EINVAL;
	}
	if (*end != '\0')
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* Parses "[proto/port]" into the selector. */
static int ts_suffix_parse(const char *s, struct ike_ts *ts)
{
	char tmp[64];
	size_t n = strlen(s);
	char *slash;

	if (n < 2 || s[n - 1] != ']' || n - 2 >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s + 1, n - 2);
	tmp[n - 2] = '\0';
	slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	if (proto_parse(tmp, &ts->proto) < 0)
		return -EINVAL;
	if (slash && port_parse(slash + 1, &ts->sport, &ts->eport) < 0)
		return -EINVAL;
	return 0;
}

static int prefix_to_range(struct ike_ts *ts, unsigned plen)
{
	size_t n = alen(ts->family);

	if (plen > n * 8)
		return -EINVAL;
	memcpy(ts->end, ts->start, n);
	for (size_t i = 0; i < n; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		if (ts->start[i] & ~mask)
			return -EINVAL; /* host bits set: almost always a typo */
		ts->end[i] = ts->start[i] | (uint8_t)~mask;
	}
	return 0;
}

int ike_ts_parse(const char *s, struct ike_ts *ts)
{
	char buf[128];
	char *br, *sep;
	ike_addr_t a, b;

	memset(ts, 0, sizeof(*ts));
	ts->eport = 65535;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	br = strchr(buf, '[');
	if (br) {
		if (ts_suffix_parse(br, ts) < 0)
			return -EINVAL;
		*br = '\0';
	}
	if ((sep = strchr(buf, '/')) != NULL) {
		char *end;
		unsigned long plen;

		*sep = '\0';
		plen = strtoul(sep + 1, &end, 10);
		/* digits only: strtoul would take " +8" and wrap 2^32+8 to 8 */
		if (sep[1] < '0' || sep[1] > '9' || *end != '\0' || plen > 128 ||
		    ike_addr_parse(buf, &a) < 0)
			return -EINVAL;
		ts->family = a.family;
		memcpy(ts->start, a.a, 16);
		return prefix_to_range(ts, (unsigned)plen);
	}
	if ((sep = strchr(buf, '-')) != NULL) {
		*sep = '\0';
		if (ike_addr_parse(buf, &a) < 0 || ike_addr_parse(sep + 1, &b) < 0 ||
		    a.family != b.family || memcmp(a.a, b.a, alen(a.family)) > 0)
			return -EINVAL;
		ts->family = a.family;
		memcpy(ts->start, a.a, 16);
		memcpy(ts->end, b.a, 16);
		return 0;
	}
	if (ike_addr_parse(buf, &a) < 0)
		return -EINVAL;
	ts->family = a.family;
	memcpy(ts->start, a.a, 16);
	memcpy(ts->end, a.a, 16);
	return 0;
}

/* Prefix length if [start, end] is exactly one prefix, else -1. */
static int range_prefix(const struct ike_ts *ts)
{
	size_t n = alen(ts->family);
	int plen = -1;

	for (unsigned bit = 0; bit < n * 8; bit++) {
		unsigned byte = bit / 8, m = 0x80u >> (bit % 8);
		int s = !!(ts->start[byte] & m), e = !!(ts->end[byte] & m);
		if (plen < 0) {
			if (s != e) {
				if (s != 0 || e != 1)
					return -1;
				plen = (int)bit;
			}
		} else if (s != 0 || e != 1) {
			return -1;
		}
	}
	return plen < 0 ? (int)(n * 8) : plen;
}

const char *ike_ts_str(const struct ike_ts *ts, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], sfx[32] = "";
	int plen = range_prefix(ts);

	if (ts->proto || ts->sport != 0 || ts->eport != 65535) {
		if (ts->sport == 0 && ts->eport == 65535)
			snprintf(sfx, sizeof(sfx), "[%u]", ts->proto);
		else if (ts->sport == ts->eport)
			snprintf(sfx, sizeof(sfx), "[%u/%u]", ts->proto, ts->sport);
		else
			snprintf(sfx, sizeof(sfx), "[%u/%u-%u]", ts->proto, ts->sport, ts->eport);
	}
	ip_str(ts->family, ts->start, a, sizeof(a));
	if (plen >= 0)
		snprintf(buf, len, "%s/%d%s", a, plen, sfx);
	else
		snprintf(buf, len, "%s-%s%s", a, ip_str(ts->family, ts->end, b, sizeof(b)), sfx);
	return buf;
}

static int id_set(struct ike_id *id, uint8_t type, const void *data, size_t len)
{
	if (len == 0 || len > IKE_MAX_ID)
		return -EINVAL;
	id->type = type;
	id->len = (uint8_t)len;
	memcpy(id->data, data, len);
	return 0;
}

static int hex_decode(const char *s, uint8_t *out, size_t max, size_t *outlen)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	*outlen = n / 2;
	return 0;
}

int ike_id_parse(const char *s, struct ike_id *id)
{
	ike_addr_t a;

	memset(id, 0, sizeof(*id));
	if (*s == '\0' || strcmp(s, "%any") == 0)
		return 0;
	if (strncmp(s, "keyid:", 6) == 0) {
		uint8_t raw[IKE_MAX_ID];
		size_t n;
		if (hex_decode(s + 6, raw, sizeof(raw), &n) < 0)
			return -EINVAL;
		return id_set(id, IKEV2_ID_KEY_ID, raw, n);
	}
	if (strncmp(s, "fqdn:", 5) == 0)
		return id_set(id, IKEV2_ID_FQDN, s + 5, strlen(s + 5));
	if (strncmp(s, "email:", 6) == 0)
		return id_set(id, IKEV2_ID_RFC822_ADDR, s + 6, strlen(s + 6));
	if (ike_addr_parse(s, &a) == 0)
		return a.family == 4 ? id_set(id, IKEV2_ID_IPV4_ADDR, a.a, 4)
				     : id_set(id, IKEV2_ID_IPV6_ADDR, a.a, 16);
	if (strchr(s, '@'))
		return id_set(id, IKEV2_ID_RFC822_ADDR, s, strlen(s));
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~')
			return -EINVAL;
	return id_set(id, IKEV2_ID_FQDN, s, strlen(s));
}

const char *ike_id_str(const struct ike_id *id, char *buf, size_t len)
{
	size_t off;

	switch (id->type) {
	case 0: snprintf(buf, len, "%%any"); break;
	case IKEV2_ID_IPV4_ADDR: ip_str(4, id->data, buf, len); break;
	case IKEV2_ID_IPV6_ADDR: ip_str(6, id->data, buf, len); break;
	case IKEV2_ID_FQDN:
	case IKEV2_ID_RFC822_ADDR:
		snprintf(buf, len, "%s%.*s", id->type == IKEV2_ID_FQDN ? "" : "", (int)id->len,
			 (const char *)id->data);
		for (char *p = buf; *p; p++)
			if (*p < ' ' || *p > '~')
				*p = '?'; /* peer-supplied: keep logs printable */
		break;
	default:
		off = (size_t)snprintf(buf, len,
				       "%s:", id->type == IKEV2_ID_KEY_ID ? "keyid" : "id");
		for (size_t i = 0; i < id->len && off + 3 < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%02x", id->data[i]);
		break;
	}
	return buf;
}
