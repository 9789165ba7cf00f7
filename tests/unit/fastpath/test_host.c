/* SPDX-License-Identifier: BSD-3-Clause */
/* The control core's host stack (fastpath/host.h): UDP datagrams for our
 * addresses parsed and built (against scapy's bytes, every reason a
 * datagram is refused for, mutations), echo replies; both sent out of a
 * port through the control core's own queue. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "fastpath/host.h"
#include "tests/unit/fastpath/fp_test.h"
#include "tests/unit/test.h"

/* An address of text s (IPv4 or IPv6), port 0. */
static bool addr_parse(const char *s, struct fp_host_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(s, ':') ? 6 : 4;
	return inet_pton(a->family == 4 ? AF_INET : AF_INET6, s, a->a) == 1;
}

static bool addr_eq(const struct fp_host_addr *a, const struct fp_host_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->a, b->a, a->family == 4 ? 4 : 16) == 0;
}

/* n bytes of src into dst (a vector test_unhex() decoded once, fresh
 * again after a test changed it); returns n. */
static size_t put(uint8_t *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	return n;
}

/* An Ethernet frame around IP packet ip. */
static size_t frame(uint8_t *f, const uint8_t *ip, size_t len, uint16_t et)
{
	memset(f, 0, 14);
	f[12] = (uint8_t)(et >> 8);
	f[13] = (uint8_t)et;
	memcpy(f + 14, ip, len);
	return len + 14;
}

/* A correct header checksum again after an edit of an IPv4 header. */
static void ip4_sum(uint8_t *ip)
{
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
	memcpy(ip + 10, &c, 2);
}

/* A mutation of the base bytes of p (1 to edits random bytes changed in
 * place) cut to a random length *len, in a buffer of exactly that size so
 * that ASan sees a read past it; free() it. */
static uint8_t *mutated(uint8_t *p, size_t base, int edits, size_t *len)
{
	uint8_t *g;

	*len = (size_t)rand() % (base + 1);
	for (int k = rand() % edits; k >= 0; k--)
		p[rand() % base] = (uint8_t)rand();
	g = malloc(*len ? *len : 1);
	CU_ASSERT_FATAL(g != NULL);
	memcpy(g, p, *len);
	return g;
}

/* fp_host_parse_udp() of frame f gives rc, with reason why (NULL: none). */
static bool parse_is(const uint8_t *f, size_t fl, const struct fp_local *loc, int rc,
		     const char *why)
{
	struct fp_host_udp d;
	const char *w = NULL;
	int got = fp_host_parse_udp(f, fl, loc, &d, &w);

	if (got != rc || (why == NULL) != (w == NULL) || (why && strcmp(w, why) != 0)) {
		fprintf(stderr, "\n  fp_host_parse_udp: %d '%s', want %d '%s'\n", got, w ? w : "",
			rc, why ? why : "");
		return false;
	}
	return true;
}

/* IKE datagrams on the gateway's control core (fastpath/host_udp.c): the
 * packets it builds are byte for byte what scapy builds (headers, both
 * checksums), and what it accepts from the punt ring is checked like a
 * kernel would. */
static void test_ike_datagrams(void)
{
	/* scapy: IP(src=192.0.2.2, dst=192.0.2.1, id=0x1234, ttl=64) /
	 * UDP(500, 500) / bytes 1..11, and IPv6(2001:db8::2 -> ::1, hlim 64) /
	 * UDP(4500, 4500) / non-ESP marker + bytes 1..11. */
	static const char *const v4 =
		"45000027123400004011e48ec0000202c000020101f401f4001353be0102030405060708090a0b";
	static const char *const v6 =
		"600000000017114020010db800000000000000000000000220010db8000000000000000000000001"
		"1194119400175d05000000000102030405060708090a0b";
	uint8_t b4[64], b6[96], ip[128], f[256], pay[16];
	struct fp_host_addr peer4, us4, peer6, us6;
	struct fp_local loc = { .n4 = 1, .n6 = 1, .ike_port = 500, .natt_port = 4500 };
	struct fp_host_udp d;
	const char *why;
	size_t n, wn, fl, n4, n6;

	for (unsigned i = 0; i < 11; i++)
		pay[i] = (uint8_t)(i + 1);
	CU_ASSERT_FATAL(addr_parse("192.0.2.2", &peer4) && addr_parse("192.0.2.1", &us4) &&
			addr_parse("2001:db8::2", &peer6) && addr_parse("2001:db8::1", &us6));
	peer4.port = us4.port = 500;
	peer6.port = us6.port = 4500;
	memcpy(&loc.a4[0], us4.a, 4);
	memcpy(loc.a6[0], us6.a, 16);

	n4 = test_unhex(v4, b4, sizeof(b4));
	n6 = test_unhex(v6, b6, sizeof(b6));
	/* Built: the peer's message, as scapy has it. */
	wn = n4;
	n = fp_host_build_udp(&peer4, &us4, pay, 11, 0x1234, ip, sizeof(ip));
	CU_ASSERT_EQUAL(n, wn);
	CU_ASSERT(memcmp(ip, b4, wn) == 0);
	CU_ASSERT_EQUAL(fp_host_build_udp(&peer4, &us4, pay, 11, 0x1234, ip, n - 1), 0);
	CU_ASSERT_EQUAL(fp_host_build_udp(&peer4, &us6, pay, 11, 0, ip, sizeof(ip)), 0);
	memset(pay, 0, 4);
	for (unsigned i = 0; i < 11; i++)
		pay[4 + i] = (uint8_t)(i + 1);
	wn = n6;
	n = fp_host_build_udp(&peer6, &us6, pay, 15, 0, ip, sizeof(ip));
	CU_ASSERT_EQUAL(n, wn);
	CU_ASSERT(memcmp(ip, b6, wn) == 0);

	/* Parsed: scapy's packets are IKE for us, payload and addresses out. */
	fl = frame(f, b6, n6, 0x86dd);
	CU_ASSERT_EQUAL(fp_host_parse_udp(f, fl, &loc, &d, &why), 1);
	CU_ASSERT(addr_eq(&d.local, &us6) && addr_eq(&d.remote, &peer6));
	CU_ASSERT(d.len == 15 && d.payload == f + 14 + 48 && memcmp(d.payload, pay, 15) == 0);
	fl = frame(f, b4, n4, 0x0800);
	CU_ASSERT_EQUAL(fp_host_parse_udp(f, fl, &loc, &d, &why), 1);
	CU_ASSERT(addr_eq(&d.local, &us4) && addr_eq(&d.remote, &peer4));
	CU_ASSERT(d.len == 11 && d.payload[0] == 1 && d.payload[10] == 11);
	CU_ASSERT_EQUAL(fp_host_parse_udp(f, fl + 6, &loc, &d, &why), 1); /* padding */

#define PARSE_IS(rc_, why_) CU_ASSERT(parse_is(f, fl, &loc, rc_, why_))
	/* Kernel-like checks, each a reason of its own. */
	f[14 + 28 + 3] ^= 1; /* payload */
	PARSE_IS(-1, "bad UDP checksum");
	f[14 + 28 + 3] ^= 1;
	f[14 + 8] ^= 1; /* TTL: header checksum */
	PARSE_IS(-1, "bad IPv4 header checksum");
	f[14 + 8] ^= 1;
	f[14 + 26] = f[14 + 27] = 0; /* no UDP checksum: allowed */
	PARSE_IS(1, NULL);
	f[14 + 25] = 8 + 12; /* UDP length past the packet */
	PARSE_IS(-1, "bad UDP length");
	f[14 + 25] = 7;
	PARSE_IS(-1, "bad UDP length");
	fl = frame(f, b4, n4, 0x0800);
	f[14 + 6] = 0x20; /* MF: a fragment */
	PARSE_IS(-1, "bad IPv4 header");
	fl = frame(f, b4, n4, 0x0800);
	PARSE_IS(1, NULL);
	fl -= 1; /* truncated */
	PARSE_IS(-1, "bad IPv4 header");
	fl = frame(f, b4, n4, 0x0800);
	f[14 + 23] = 0xf5; /* port 501: not IKE */
	PARSE_IS(0, NULL);
	fl = frame(f, b4, n4, 0x0800);
	f[14 + 19] = 9; /* not our address */
	PARSE_IS(0, NULL);
	fl = frame(f, b4, n4, 0x0800);
	f[14 + 12] = 224; /* multicast source */
	ip4_sum(f + 14);
	PARSE_IS(-1, "martian IPv4 source");
	fl = frame(f, b4, n4, 0x0800);
	memcpy(f + 14 + 12, f + 14 + 16, 4); /* our own address */
	ip4_sum(f + 14);
	PARSE_IS(-1, "martian IPv4 source");
	fl = frame(f, b6, n6, 0x86dd);
	memset(f + 14 + 8, 0, 16); /* :: */
	PARSE_IS(-1, "martian IPv6 source");
	fl = frame(f, b6, n6, 0x86dd);
	f[14 + 8] = 0xff; /* multicast */
	PARSE_IS(-1, "martian IPv6 source");
	fl = frame(f, b4, n4, 0x0806); /* ARP */
	PARSE_IS(0, NULL);
	fl = 13;
	PARSE_IS(0, NULL);
	fl = frame(f, b6, n6, 0x86dd);
	f[14 + 46] = f[14 + 47] = 0; /* IPv6 must have one */
	PARSE_IS(-1, "IPv6 UDP without checksum");
	fl = frame(f, b6, n6, 0x86dd);
	f[14 + 5] = 0x40; /* payload length past the frame */
	PARSE_IS(-1, "bad IPv6 payload length");
#undef PARSE_IS

	/* Mutations of both: never a read outside the frame (ASan in make
	 * asan), and what is accepted lies inside it. */
	srand(7);
	for (unsigned i = 0; i < 20000; i++) {
		size_t base = i & 1 ? frame(f, b6, n6, 0x86dd) : frame(f, b4, n4, 0x0800);
		uint8_t *g = mutated(f, base, 4, &fl);
		int rc;

		rc = fp_host_parse_udp(g, fl, &loc, &d, &why);
		if (rc == 1)
			CU_ASSERT(d.payload >= g + 14 && d.payload + d.len <= g + fl);
		CU_ASSERT(rc >= -1 && rc <= 1);
		free(g);
	}
}

/* Echo replies for our addresses: byte for byte what scapy builds (IPv4:
 * identification 0, set by the sender later), and nothing for what is not
 * an echo request to us. */
static void test_echo_reply(void)
{
	static const char *const req4 =
		"45000024000100003c01fad4c0000202c00002010800542f123400076162636465666768";
	static const char *const rep4 =
		"45000024000000004001f6d5c0000201c000020200005c2f123400076162636465666768";
	static const char *const req6 =
		"6000000000103a3c20010db800000000000000000000000220010db8000000000000000000000001"
		"8000806f123400076162636465666768";
	static const char *const rep6 =
		"6000000000103a4020010db800000000000000000000000120010db8000000000000000000000002"
		"81007f6f123400076162636465666768";
	struct fp_local loc = { .n4 = 1, .n6 = 1 };
	uint8_t in[128], out[128], fam, dst[16], q4[64], r4[64], q6[64], r6[64];
	size_t n, wn, nq4, nr4, nq6, nr6;

	inet_pton(AF_INET, "192.0.2.1", &loc.a4[0]);
	inet_pton(AF_INET6, "2001:db8::1", loc.a6[0]);
	nq4 = test_unhex(req4, q4, sizeof(q4));
	nr4 = test_unhex(rep4, r4, sizeof(r4));
	nq6 = test_unhex(req6, q6, sizeof(q6));
	nr6 = test_unhex(rep6, r6, sizeof(r6));
	n = put(in, q4, nq4);
	wn = nr4;
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), wn);
	CU_ASSERT(memcmp(out, r4, wn) == 0 && fam == 4 && memcmp(dst, in + 12, 4) == 0);
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n + 4, &loc, out, sizeof(out), &fam, dst), wn);
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, wn - 1, &fam, dst), 0);
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n - 1, &loc, out, sizeof(out), &fam, dst), 0);
	in[n - 1] ^= 1; /* ICMP checksum */
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	in[n - 1] ^= 1;
	in[19] = 9; /* not ours */
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	n = put(in, q4, nq4);
	in[20] = 0; /* a reply, not a request */
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	n = put(in, q4, nq4);
	in[12] = 224; /* multicast source */
	ip4_sum(in);
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	n = put(in, q4, nq4);
	in[6] = 0x20; /* a fragment */
	ip4_sum(in);
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);

	n = put(in, q6, nq6);
	wn = nr6;
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), wn);
	CU_ASSERT(memcmp(out, r6, wn) == 0 && fam == 6 && memcmp(dst, in + 8, 16) == 0);
	in[n - 1] ^= 1; /* ICMPv6 checksum */
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	in[n - 1] ^= 1;
	in[8] = 0xff; /* multicast source */
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	n = put(in, q6, nq6);
	in[5] = 0x40; /* payload past the frame */
	CU_ASSERT_EQUAL(fp_host_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);

	/* mutations: never a read outside the packet (ASan in make asan) */
	srand(11);
	for (unsigned i = 0; i < 20000; i++) {
		size_t base = i & 1 ? put(in, q6, nq6) : put(in, q4, nq4), len;
		uint8_t *g = mutated(in, base, 3, &len);

		n = fp_host_echo_reply(g, len, &loc, out, sizeof(out), &fam, dst);
		CU_ASSERT(n == 0 || (n <= len + 20 && n <= sizeof(out)));
		free(g);
	}
}

/* The frames on TX queue 1 of g's port 1 (the control core's: g has one
 * worker), at most max, into out. */
static unsigned sent_frames(struct fpt_gw *g, struct rte_mbuf **out, unsigned max)
{
	return fpt_ring_take(g->tx[1][1], out, max);
}

/* UDP datagrams out of a port: one frame, or IPv4 fragments sharing one
 * identification of the control core's range; each reason one cannot
 * leave. */
static void test_host_send_udp(void)
{
	struct fp_host_cfg hc = { .ports = NULL, .n_ports = 2, .txq = 1, .n_workers = 1 };
	static uint8_t pay[20000];
	struct fp_host_addr us, peer, far, us6;
	struct rte_mbuf *f[8];
	struct fp_host_sent s;
	struct fp_host *h;
	struct fpt_gw g;
	char err[128];
	unsigned n;

	FPT_SETUP();
	fpt_gw_init(&g, "hsend", "192.0.2.1", 1);
	g.dp.mtu[g.port[1]] = 1280;
	hc.dp = &g.dp;
	hc.ports = g.port;
	h = fp_host_create(&hc, err, sizeof(err));
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT_FATAL(addr_parse("192.0.2.1", &us) && addr_parse("192.0.2.2", &peer) &&
			addr_parse("10.9.9.9", &far) && addr_parse("2001:db8::1", &us6));
	us.port = peer.port = 500;

	CU_ASSERT(fp_host_send_udp(h, &us, &peer, pay, 100, &s) == NULL);
	CU_ASSERT(s.frames == 1 && s.port == g.port[1]);
	n = sent_frames(&g, f, 8);
	CU_ASSERT_FATAL(n == 1);
	/* source 1 of 2: the upper half of the identifications */
	CU_ASSERT(f[0]->pkt_len == 14 + 128 && fpt_be16at(f[0], 14 + 4) >= 32768);
	rte_pktmbuf_free(f[0]);

	CU_ASSERT(fp_host_send_udp(h, &us, &peer, pay, 3000, &s) == NULL);
	CU_ASSERT(s.frames == 3);
	n = sent_frames(&g, f, 8);
	CU_ASSERT_FATAL(n == 3);
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT(f[i]->pkt_len <= 14 + 1280 &&
			  fpt_be16at(f[i], 14 + 4) == fpt_be16at(f[0], 14 + 4) &&
			  !(fpt_be16at(f[i], 14 + 6) & 0x2000) == (i == n - 1));
	rte_pktmbuf_free_bulk(f, n);

	CU_ASSERT_STRING_EQUAL(fp_host_send_udp(h, &us, &far, pay, 10, &s),
			       "no route to the peer in fastpath.routes");
	CU_ASSERT_STRING_EQUAL(fp_host_send_udp(h, &us6, &peer, pay, 10, &s),
			       "local and remote address families differ");
	CU_ASSERT_STRING_EQUAL(fp_host_send_udp(h, &us, &peer, pay, sizeof(pay), &s),
			       "larger than an IKE buffer (16 KiB)");
	CU_ASSERT_EQUAL(sent_frames(&g, f, 8), 0);
	fp_host_free(h);
	fpt_gw_fini(&g);
}

/* Echo replies out of a port: the request's frame answered, not one
 * from a tunnel (zero source MAC), FP_HOST_ECHO_PER_S a second, none
 * where the SPD discards the reply. */
static void test_host_echo(void)
{
	static const char *const req4 =
		"45000024000100003c01fad4c0000202c00002010800542f123400076162636465666768";
	struct fp_host_cfg hc = { .n_ports = 2, .txq = 1, .n_workers = 1 };
	uint8_t fr[128], q[64];
	struct rte_mbuf *f[8];
	struct fp_spd_rule r;
	struct fp_host *h;
	struct fpt_gw g;
	const char *why;
	char err[128];
	size_t fl;
	unsigned ok = 0;

	FPT_SETUP();
	fpt_gw_init(&g, "hecho", "192.0.2.1", 1);
	hc.dp = &g.dp;
	hc.ports = g.port;
	h = fp_host_create(&hc, err, sizeof(err));
	CU_ASSERT_FATAL(h != NULL);
	fl = frame(fr, q, test_unhex(req4, q, sizeof(q)), 0x0800);
	CU_ASSERT_EQUAL(fp_host_echo(h, fr, fl, 5000, &why), 0); /* from a tunnel */
	fr[6] = 0x02;                                            /* a source MAC */
	CU_ASSERT(fp_host_echo(h, fr, fl, 5000, &why) == 1 && why == NULL);
	CU_ASSERT_FATAL(sent_frames(&g, f, 8) == 1);
	CU_ASSERT(fpt_be16at(f[0], 12) == 0x0800 && fpt_be16at(f[0], 14 + 20) == 0x0000);
	rte_pktmbuf_free(f[0]);
	for (unsigned i = 0; i < FP_HOST_ECHO_PER_S; i++) {
		ok += fp_host_echo(h, fr, fl, 5999, &why) == 1;
		if (sent_frames(&g, f, 1) == 1)
			rte_pktmbuf_free(f[0]);
	}
	CU_ASSERT_EQUAL(ok, FP_HOST_ECHO_PER_S - 1); /* this second's */
	CU_ASSERT(fp_host_echo(h, fr, fl, 6000, &why) == 1 && sent_frames(&g, f, 1) == 1);
	rte_pktmbuf_free(f[0]);
	fpt_rule4_from(&r, "192.0.2.1", FP_SPD_DISCARD, 0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(g.c, &r, 1, err, sizeof(err)) == 0);
	CU_ASSERT(fp_host_echo(h, fr, fl, 6000, &why) == -1 && why != NULL &&
		  strcmp(why, "the SPD discards it") == 0);
	CU_ASSERT_EQUAL(sent_frames(&g, f, 8), 0);
	fp_host_free(h);
	fpt_gw_fini(&g);
}

static const struct test_case cases[] = {
	{ "ike_datagrams_on_the_control_core", test_ike_datagrams },
	{ "echo_replies_for_our_addresses", test_echo_reply },
	{ "udp_out_of_a_port", test_host_send_udp },
	{ "echo_replies_out_of_a_port", test_host_echo },
	{ NULL, NULL },
};
TEST_SUITE(host, cases)
