/* SPDX-License-Identifier: BSD-3-Clause */
/* The neighbour table (fastpath/nbr.c): resolution by ARP and neighbour
 * discovery, ageing to STALE, refresh by PROBE, failure, the per next hop
 * queue's limit, static next hops, a route taken out. Time is driven by
 * hand (now_ms); frames sent and packets released are captured. */
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>

#include "fastpath/bytes.h"
#include "fastpath/nbr.h"
#include "tests/unit/fastpath/fp_test.h"

static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x22 };
static const uint8_t new_mac[6] = { 0x02, 0, 0, 0, 0, 0x33 };

struct cap {
	unsigned sent, xmit;
	uint8_t last[128];
	size_t last_len;
};

static int cap_send(void *arg, uint16_t port, const uint8_t *f, size_t len)
{
	struct cap *c = arg;

	(void)port;
	c->sent++;
	c->last_len = len < sizeof(c->last) ? len : sizeof(c->last);
	memcpy(c->last, f, c->last_len);
	return 0;
}

static void cap_xmit(void *arg, struct rte_mbuf *m, const struct fp_nexthop *nh, bool ours)
{
	struct cap *c = arg;

	(void)nh;
	(void)ours;
	c->xmit++;
	rte_pktmbuf_free(m);
}

struct nt {
	struct fp_routes *r;
	struct fp_nbr *n;
	struct fp_dp dp;
	struct cap cap;
};

static void nt_init(struct nt *t, const char *name)
{
	struct fp_nbr_cfg c = { .send = cap_send, .xmit = cap_xmit };

	FPT_SETUP();
	memset(t, 0, sizeof(*t));
	t->r = fp_routes_create(name, 16, -1);
	CU_ASSERT_FATAL(t->r != NULL);
	fpt_ip4("192.0.2.1", (uint8_t *)&t->dp.local.a4[0]);
	t->dp.local.n4 = 1;
	fpt_ip6("2001:db8::1", t->dp.local.a6[0]);
	t->dp.local.n6 = 1;
	memset(&t->dp.mac[0], 0x0a, 6);
	t->dp.routes = t->r;
	c.routes = t->r;
	c.dp = &t->dp;
	c.arg = &t->cap;
	t->n = fp_nbr_create(&c);
	CU_ASSERT_FATAL(t->n != NULL);
}

static void nt_fini(struct nt *t)
{
	fp_nbr_free(t->n);
	fp_routes_free(t->r);
}

/* A route to dst/plen via address via (family by dst) on port 0. */
static uint32_t via(struct nt *t, const char *dst, uint8_t plen, const char *gw)
{
	struct fp_nh_key k = { .port = 0 };
	uint8_t p[16] = { 0 };
	bool v6 = strchr(dst, ':') != NULL;

	k.family = v6 ? 6 : 4;
	if (v6) {
		fpt_ip6(dst, p);
		fpt_ip6(gw, k.ip);
	} else {
		fpt_ip4(dst, p);
		fpt_ip4(gw, k.ip);
	}
	CU_ASSERT_FATAL(fp_routes_add(t->r, k.family, p, plen, &k) == 0);
	return (uint32_t)fp_routes_nh_find(t->r, &k);
}

/* A packet for next hop nh handed to the control core as a sender does. */
static bool hand(struct nt *t, uint32_t nh)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fpt_pool);
	bool ok;

	CU_ASSERT_FATAL(m != NULL);
	rte_pktmbuf_append(m, 40);
	ok = fp_routes_unresolved(t->r, fp_routes_nh(t->r, nh), m, false);
	if (!ok)
		rte_pktmbuf_free(m);
	return ok;
}

static union fp_nh_hw hw(struct nt *t, uint32_t nh)
{
	return (union fp_nh_hw){ .w = fp_routes_nh(t->r, nh)->hw };
}

/* An ARP reply (op 2) or request (op 1) from 192.0.2.2 at mac. */
static void arp(struct nt *t, uint16_t op, const uint8_t mac[6], uint64_t now)
{
	uint8_t f[60] = { 0 }, *a = f + 14;

	memcpy(f + 6, mac, 6);
	wr16(f + 12, 0x0806);
	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, mac, 6);
	fpt_ip4("192.0.2.2", a + 14);
	fpt_ip4("192.0.2.1", a + 24);
	CU_ASSERT(fp_nbr_input(t->n, 0, f, sizeof(f), now));
}

/* A neighbour advertisement for 2001:db8::2 with flags (0x40 S, 0x20 O). */
static void na(struct nt *t, uint8_t flags, const uint8_t mac[6], uint64_t now)
{
	uint8_t f[14 + 40 + 32] = { 0 }, *ip = f + 14, *ic = ip + 40;
	uint16_t ck;

	wr16(f + 12, 0x86dd);
	wr32(ip, 6u << 28);
	wr16(ip + 4, 32);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	fpt_ip6("2001:db8::2", ip + 8);
	fpt_ip6("2001:db8::1", ip + 24);
	ic[0] = 136;
	ic[4] = flags;
	fpt_ip6("2001:db8::2", ic + 8);
	ic[24] = 2;
	ic[25] = 1;
	memcpy(ic + 26, mac, 6);
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &ck, 2);
	CU_ASSERT(fp_nbr_input(t->n, 0, f, sizeof(f), now));
}

/* INCOMPLETE on the first packet (a broadcast ARP request), a queue of
 * FP_NH_QUEUE_MAX, REACHABLE on the reply with the queue sent. */
static void test_nbr_resolve(void)
{
	struct fp_nbr_stats st;
	struct nt t;
	uint32_t nh;

	nt_init(&t, "nbr_res");
	nh = via(&t, "198.51.100.0", 24, "192.0.2.2");
	CU_ASSERT(!hw(&t, nh).b.valid);
	for (unsigned i = 0; i < FP_NH_QUEUE_MAX; i++)
		CU_ASSERT(hand(&t, nh));
	CU_ASSERT(!hand(&t, nh)); /* the limit: the sender drops it */
	fp_nbr_poll(t.n, 1000);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_INCOMPLETE);
	CU_ASSERT_EQUAL(fp_nbr_waiting(t.n, nh), FP_NH_QUEUE_MAX);
	CU_ASSERT_EQUAL(t.cap.sent, 1);
	/* broadcast request, from our address and MAC, for 192.0.2.2 */
	CU_ASSERT(t.cap.last[0] == 0xff && t.cap.last[5] == 0xff &&
		  rd16(t.cap.last + 12) == 0x0806);
	CU_ASSERT(rd16(t.cap.last + 20) == 1 && t.cap.last[22] == 0x0a);
	CU_ASSERT(t.cap.last[28] == 192 && t.cap.last[31] == 1 && t.cap.last[41] == 2);
	CU_ASSERT(!hand(&t, nh)); /* still full while it waits */
	arp(&t, 2, peer_mac, 1200);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_REACHABLE);
	CU_ASSERT(hw(&t, nh).b.valid && memcmp(hw(&t, nh).b.mac, peer_mac, 6) == 0);
	CU_ASSERT_EQUAL(t.cap.xmit, FP_NH_QUEUE_MAX);
	CU_ASSERT_EQUAL(fp_nbr_waiting(t.n, nh), 0);
	CU_ASSERT_EQUAL(fp_routes_nh(t.r, nh)->queued, 0); /* senders may hand more */
	fp_nbr_get_stats(t.n, &st);
	CU_ASSERT(st.resolved == 1 && st.sent_queued == FP_NH_QUEUE_MAX && st.dropped == 0);
	nt_fini(&t);
}

/* REACHABLE ages to STALE; STALE stays quiet unless used; used, a
 * unicast probe; its reply refreshes to REACHABLE; no reply: FAILED. */
static void test_nbr_age_refresh_fail(void)
{
	struct fp_nexthop *w;
	struct nt t;
	uint32_t nh;

	nt_init(&t, "nbr_age");
	nh = via(&t, "198.51.100.0", 24, "192.0.2.2");
	w = fp_routes_nh_w(t.r, nh);
	arp(&t, 2, peer_mac, 100); /* a reply without asking: learned */
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_REACHABLE);
	fp_nbr_poll(t.n, 100 + FP_NBR_REACHABLE_MS - 20);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_REACHABLE);
	w->used = 1;
	fp_nbr_poll(t.n, 100 + FP_NBR_REACHABLE_MS);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_STALE);
	CU_ASSERT(w->used == 0 && hw(&t, nh).b.valid);
	fp_nbr_poll(t.n, 200 + FP_NBR_REACHABLE_MS);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_STALE);
	CU_ASSERT_EQUAL(t.cap.sent, 0);
	w->used = 1; /* a sender framed a packet with it */
	fp_nbr_poll(t.n, 300 + FP_NBR_REACHABLE_MS);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_PROBE);
	CU_ASSERT(t.cap.sent == 1 && memcmp(t.cap.last, peer_mac, 6) == 0); /* unicast */
	CU_ASSERT(hw(&t, nh).b.valid); /* still used while probing */
	arp(&t, 2, peer_mac, 400 + FP_NBR_REACHABLE_MS);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_REACHABLE);
	/* again, and this time nobody answers */
	fp_nbr_poll(t.n, 400 + 2 * FP_NBR_REACHABLE_MS);
	w->used = 1;
	fp_nbr_poll(t.n, 500 + 2 * FP_NBR_REACHABLE_MS);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_PROBE);
	for (unsigned i = 1; i <= FP_NBR_MAX_PROBES; i++)
		fp_nbr_poll(t.n, 500 + 2 * FP_NBR_REACHABLE_MS + i * FP_NBR_RETRANS_MS);
	CU_ASSERT_EQUAL(t.cap.sent, 1 + FP_NBR_MAX_PROBES);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_FAILED);
	CU_ASSERT(!hw(&t, nh).b.valid);
	nt_fini(&t);
}

/* INCOMPLETE without an answer: max_probes requests a retrans_ms apart,
 * then FAILED with what waited dropped; the next packet starts over. */
static void test_nbr_incomplete_fails(void)
{
	struct fp_nbr_stats st;
	struct nt t;
	uint32_t nh;

	nt_init(&t, "nbr_fail");
	nh = via(&t, "198.51.100.0", 24, "192.0.2.2");
	CU_ASSERT(hand(&t, nh) && hand(&t, nh));
	fp_nbr_poll(t.n, 0);
	fp_nbr_poll(t.n, FP_NBR_RETRANS_MS - 10);
	CU_ASSERT_EQUAL(t.cap.sent, 1);
	for (unsigned i = 1; i < FP_NBR_MAX_PROBES; i++) {
		fp_nbr_poll(t.n, i * FP_NBR_RETRANS_MS);
		CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_INCOMPLETE);
	}
	CU_ASSERT_EQUAL(t.cap.sent, FP_NBR_MAX_PROBES);
	fp_nbr_poll(t.n, FP_NBR_MAX_PROBES * FP_NBR_RETRANS_MS);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_FAILED);
	fp_nbr_get_stats(t.n, &st);
	CU_ASSERT(st.dropped == 2 && st.failed == 1 && t.cap.xmit == 0);
	CU_ASSERT_EQUAL(fp_routes_nh(t.r, nh)->queued, 0);
	CU_ASSERT(hand(&t, nh));
	fp_nbr_poll(t.n, 10000);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_INCOMPLETE);
	CU_ASSERT_EQUAL(t.cap.sent, FP_NBR_MAX_PROBES + 1);
	nt_fini(&t);
}

/* A request from the neighbour (or a gratuitous one) with a new MAC:
 * STALE with it; the route taken out drops what waited. */
static void test_nbr_unsolicited_and_removal(void)
{
	struct fp_nbr_stats st;
	struct nt t;
	uint8_t p[16] = { 0 };
	uint32_t nh;

	nt_init(&t, "nbr_uns");
	nh = via(&t, "198.51.100.0", 24, "192.0.2.2");
	arp(&t, 2, peer_mac, 10);
	arp(&t, 1, new_mac, 20);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_STALE);
	CU_ASSERT(memcmp(hw(&t, nh).b.mac, new_mac, 6) == 0);
	/* a second route through it, then a packet waiting on a fresh one */
	fpt_ip4("203.0.113.0", p);
	{
		struct fp_nh_key k = { .port = 0, .family = 4 };

		fpt_ip4("192.0.2.9", k.ip);
		CU_ASSERT_FATAL(fp_routes_add(t.r, 4, p, 24, &k) == 0);
		nh = (uint32_t)fp_routes_nh_find(t.r, &k);
	}
	CU_ASSERT(hand(&t, nh));
	fp_nbr_poll(t.n, 30);
	CU_ASSERT_EQUAL(fp_nbr_waiting(t.n, nh), 1);
	CU_ASSERT(fp_routes_del(t.r, 4, p, 24) == 0);
	CU_ASSERT(fp_routes_nh(t.r, nh) == NULL);
	fp_nbr_get_stats(t.n, &st);
	CU_ASSERT_EQUAL(st.dropped, 1);
	nt_fini(&t);
}

/* IPv6: a solicitation to the solicited-node address; an advertisement
 * with S resolves; one without O does not replace a known MAC. */
static void test_nbr_nd(void)
{
	struct nt t;
	uint32_t nh;
	const uint8_t *ip;

	nt_init(&t, "nbr_nd");
	nh = via(&t, "2001:db8:5::", 48, "2001:db8::2");
	CU_ASSERT(hand(&t, nh));
	fp_nbr_poll(t.n, 0);
	CU_ASSERT_EQUAL(t.cap.sent, 1);
	ip = t.cap.last + 14;
	CU_ASSERT(t.cap.last[0] == 0x33 && t.cap.last[2] == 0xff && t.cap.last[5] == 0x02);
	CU_ASSERT(ip[24] == 0xff && ip[25] == 0x02 && ip[36] == 0xff && ip[39] == 0x02);
	CU_ASSERT(ip[40] == 135 && ip[7] == 255 && ip[64] == 1 && ip[66] == 0x0a); /* our MAC */
	na(&t, 0x40 | 0x20, peer_mac, 100);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_REACHABLE);
	CU_ASSERT(t.cap.xmit == 1 && memcmp(hw(&t, nh).b.mac, peer_mac, 6) == 0);
	na(&t, 0x40, new_mac, 200); /* no override */
	CU_ASSERT(memcmp(hw(&t, nh).b.mac, peer_mac, 6) == 0);
	na(&t, 0x20, new_mac, 300); /* override, unsolicited */
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, nh), FP_NBR_STALE);
	CU_ASSERT(memcmp(hw(&t, nh).b.mac, new_mac, 6) == 0);
	nt_fini(&t);
}

/* A next hop with a MAC from the configuration is never solicited. */
static void test_nbr_static(void)
{
	struct fp_nh_key k = { .port = 0, .family = 4, .is_static = true };
	uint8_t p[16] = { 0 };
	struct nt t;
	int32_t nh;

	nt_init(&t, "nbr_st");
	fpt_ip4("198.51.100.0", p);
	fpt_ip4("192.0.2.2", k.ip);
	memcpy(k.dmac.addr_bytes, peer_mac, 6);
	CU_ASSERT_FATAL(fp_routes_add(t.r, 4, p, 24, &k) == 0);
	nh = fp_routes_nh_find(t.r, &k);
	CU_ASSERT_FATAL(nh >= 0);
	CU_ASSERT_EQUAL(fp_nbr_state_of(t.n, (uint32_t)nh), FP_NBR_STATIC);
	CU_ASSERT(hw(&t, (uint32_t)nh).b.valid);
	arp(&t, 1, new_mac, 10); /* not learned over a static entry */
	fp_nbr_poll(t.n, 100000);
	CU_ASSERT(memcmp(hw(&t, (uint32_t)nh).b.mac, peer_mac, 6) == 0 && t.cap.sent == 0);
	nt_fini(&t);
}

static const struct test_case cases[] = {
	{ "nbr_resolve_and_queue_limit", test_nbr_resolve },
	{ "nbr_age_refresh_fail", test_nbr_age_refresh_fail },
	{ "nbr_incomplete_fails", test_nbr_incomplete_fails },
	{ "nbr_unsolicited_and_removal", test_nbr_unsolicited_and_removal },
	{ "nbr_nd", test_nbr_nd },
	{ "nbr_static", test_nbr_static },
	{ NULL, NULL },
};

TEST_SUITE(nbr, cases)
