/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE fragmentation (RFC 7383) between two of our engines in memory: a
 * small fragment_size makes IKE_AUTH leave in Encrypted Fragment payloads
 * both ways; the network can hold, reorder, repeat, corrupt or drop them,
 * and fragments forged with the initiator's keys probe the reassembly
 * limits. */
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/core/ike_priv.h" /* SA internals: keys to forge fragments, reassembly state */
#include "ike/v2/ikev2_wire.h"
#include "tests/unit/ike/conn_fixture.h"
#include "tests/unit/test.h"

#define QMAX      128
#define FRAG_SIZE 256 /* the smallest the engine takes */

struct pkt {
	ike_addr_t from, to;
	size_t len;
	uint8_t buf[4096];
};

static struct {
	struct pkt q[QMAX];
	unsigned n;
	/* IKE_AUTH requests (hold_req) or responses (hold_resp) go here
	 * instead of the network, for the test to deliver as it likes. */
	bool hold_req, hold_resp;
	struct pkt held[QMAX];
	unsigned n_held;
	unsigned drop_next;         /* datagrams to lose */
	unsigned skf_req, skf_resp; /* SKF datagrams sent, requests and responses */
	size_t max_ip;              /* largest IP datagram sent (UDP payload + 28) */
	unsigned up_a, up_b;        /* IKE_UP events */
	uint64_t now;
	struct ike_engine *a, *b;
} net;

static void t_send(void *ctx, const ike_addr_t *l, const ike_addr_t *r, const uint8_t *buf,
		   size_t len)
{
	bool resp = len >= IKEV2_HDR_LEN && (buf[19] & IKEV2_FLAG_RESPONSE);
	bool auth = len >= IKEV2_HDR_LEN && buf[18] == IKEV2_EXCH_IKE_AUTH;
	struct pkt *p;

	(void)ctx;
	if (len >= IKEV2_HDR_LEN && buf[16] == IKEV2_PL_SKF) {
		net.skf_resp += resp;
		net.skf_req += !resp;
	}
	if (len + 28 > net.max_ip)
		net.max_ip = len + 28;
	if (net.drop_next) {
		net.drop_next--;
		return;
	}
	if (auth && ((resp && net.hold_resp) || (!resp && net.hold_req))) {
		CU_ASSERT_FATAL(net.n_held < QMAX);
		p = &net.held[net.n_held++];
	} else {
		CU_ASSERT_FATAL(net.n < QMAX);
		p = &net.q[net.n++];
	}
	CU_ASSERT_FATAL(len <= sizeof(p->buf));
	p->from = *l;
	p->to = *r;
	p->len = len;
	memcpy(p->buf, buf, len);
}

static void t_event(void *ctx, const struct ike_event *ev)
{
	if (ev->type == IKE_EV_IKE_UP)
		*(ctx == &net.a ? &net.up_a : &net.up_b) += 1;
}

static void t_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	(void)lvl;
	if (getenv("TEST_IKE_LOG"))
		fprintf(stderr, "    [%s] %s\n", ctx == &net.a ? "A" : "B", line);
}

static const struct ike_ops ops = { .send = t_send, .event = t_event, .log = t_log };

/* Eight selectors a side make IKE_AUTH (both ways) some 500 octets: three
 * fragments at FRAG_SIZE. */
static void conn_cfg(struct ike_conn_cfg *c, bool is_a)
{
	char ts[32];

	test_psk_conn(c);
	ike_addr_parse(is_a ? "192.0.2.1" : "192.0.2.2", &c->local);
	ike_addr_parse(is_a ? "192.0.2.2" : "192.0.2.1", &c->remote);
	c->local.port = c->remote.port = 500;
	ike_id_parse(is_a ? "a.example" : "b.example", &c->local_id);
	ike_id_parse(is_a ? "b.example" : "a.example", &c->remote_id);
	c->children[0].n_local_ts = c->children[0].n_remote_ts = IKE_MAX_TS;
	for (unsigned i = 0; i < IKE_MAX_TS; i++) {
		snprintf(ts, sizeof(ts), "198.51.100.%u/32", i * 8);
		ike_ts_parse(ts, &c->children[0].local_ts[i]);
		snprintf(ts, sizeof(ts), "203.0.113.%u/32", i * 8);
		ike_ts_parse(ts, &c->children[0].remote_ts[i]);
		if (!is_a) {
			struct ike_ts t = c->children[0].local_ts[i];

			c->children[0].local_ts[i] = c->children[0].remote_ts[i];
			c->children[0].remote_ts[i] = t;
		}
	}
}

static struct ike_engine *engine(void *ctx, bool frag, uint16_t size)
{
	struct ike_engine_cfg ec;
	struct ike_conn_cfg c;
	struct ike_engine *e;

	ike_engine_cfg_defaults(&ec);
	ec.log_level = IKE_LOG_DEBUG;
	ec.fragmentation = frag;
	ec.fragment_size = size;
	e = ike_engine_new(&ec, &ops, ctx);
	CU_ASSERT_FATAL(e != NULL);
	conn_cfg(&c, ctx == &net.a);
	CU_ASSERT_FATAL(ike_engine_add_conn(e, &c) == 0);
	return e;
}

static void setup2(bool frag_a, bool frag_b)
{
	memset(&net, 0, sizeof(net));
	net.now = 1000;
	net.a = engine(&net.a, frag_a, FRAG_SIZE);
	net.b = engine(&net.b, frag_b, FRAG_SIZE);
}

static void setup(void)
{
	setup2(true, true);
}

static void teardown(void)
{
	ike_engine_free(net.a);
	ike_engine_free(net.b);
}

static void deliver(const struct pkt *p)
{
	bool to_a = p->to.a[3] == 1;

	ike_engine_input(to_a ? net.a : net.b, &p->to, &p->from, p->buf, p->len, net.now);
}

static void pump(void)
{
	for (unsigned guard = 0; net.n && guard < 400; guard++) {
		struct pkt p = net.q[0];

		memmove(net.q, net.q + 1, (net.n - 1) * sizeof(net.q[0]));
		net.n--;
		deliver(&p);
	}
}

static void advance(uint64_t ms)
{
	net.now += ms;
	ike_engine_tick(net.a, net.now);
	ike_engine_tick(net.b, net.now);
	pump();
}

static struct ike_sa *sa_of(struct ike_engine *e)
{
	return e->sas;
}

static struct ike_stats stats(struct ike_engine *e)
{
	struct ike_stats s;

	ike_engine_stats(e, &s);
	return s;
}

static uint16_t frag_num(const struct pkt *p)
{
	return ikev2_get16(p->buf + IKEV2_HDR_LEN + IKEV2_PL_HDR_LEN);
}

/* Runs IKE_SA_INIT and keeps the IKE_AUTH request's fragments in held. */
static void hold_auth_request(void)
{
	net.hold_req = true;
	CU_ASSERT_EQUAL_FATAL(ike_engine_initiate(net.a, "c", net.now), 0);
	pump();
	net.hold_req = false;
	CU_ASSERT_FATAL(net.n_held >= 3);
	for (unsigned i = 0; i < net.n_held; i++) {
		const uint8_t *skf = net.held[i].buf + IKEV2_HDR_LEN;

		CU_ASSERT_EQUAL(frag_num(&net.held[i]), i + 1);
		CU_ASSERT_EQUAL(ikev2_get16(skf + IKEV2_PL_HDR_LEN + 2), net.n_held);
		/* 2.5: the first inner payload's type in fragment 1 only. */
		CU_ASSERT_EQUAL(skf[0], i == 0 ? IKEV2_PL_IDI : IKEV2_PL_NONE);
	}
}

/* A fragment of message msgid of exch from sa's end, with len octets of
 * filler plaintext, sealed with sa's keys: what only the peer could send. */
static void forge(struct pkt *p, struct ike_sa *sa, uint8_t exch, uint32_t msgid, uint16_t num,
		  uint16_t total, size_t len)
{
	struct ikev2_hdr h;
	uint8_t pt[2048];
	int r;

	CU_ASSERT_FATAL(len <= sizeof(pt));
	memset(pt, 0x5a, len);
	memset(&h, 0, sizeof(h));
	h.spi_i = sa->spi_i;
	h.spi_r = sa->spi_r;
	h.exchange = exch;
	h.flags = sa->initiator ? IKEV2_FLAG_INITIATOR : 0;
	h.msgid = msgid;
	r = ikev2_frag_build(sa, &h, IKEV2_PL_NOTIFY, num, total, pt, len, p->buf, sizeof(p->buf));
	CU_ASSERT_FATAL(r > 0);
	p->len = (size_t)r;
	p->from = sa->local;
	p->to = sa->remote;
}

static void assert_up(void)
{
	CU_ASSERT_EQUAL(net.up_a, 1);
	CU_ASSERT_EQUAL(net.up_b, 1);
}

/* ---- tests ---- */

static void test_both_ways(void)
{
	struct ike_stats sa_, sb;

	setup();
	CU_ASSERT_EQUAL_FATAL(ike_engine_initiate(net.a, "c", net.now), 0);
	pump();
	assert_up();
	sa_ = stats(net.a);
	sb = stats(net.b);
	CU_ASSERT(net.skf_req >= 3);
	CU_ASSERT(net.skf_resp >= 3);
	CU_ASSERT_EQUAL(sa_.frag_tx, net.skf_req);
	CU_ASSERT_EQUAL(sb.frag_tx, net.skf_resp);
	CU_ASSERT_EQUAL(sb.frag_rx, net.skf_req);
	CU_ASSERT_EQUAL(sa_.frag_rx, net.skf_resp);
	CU_ASSERT_EQUAL(sa_.frag_reassembled, 1);
	CU_ASSERT_EQUAL(sb.frag_reassembled, 1);
	CU_ASSERT(net.max_ip <= FRAG_SIZE);
	/* Nothing kept once the messages are whole. */
	CU_ASSERT_PTR_NULL(sa_of(net.a)->defrag[1]);
	CU_ASSERT_PTR_NULL(sa_of(net.b)->defrag[0]);
	teardown();
}

static void test_reversed(void)
{
	setup();
	hold_auth_request();
	for (unsigned i = net.n_held; i-- > 0;)
		deliver(&net.held[i]);
	pump();
	assert_up();
	teardown();
}

/* Each fragment twice before the message is whole; then the whole
 * request again, as a retransmission: the response goes once (2.6.1). */
static void test_duplicates(void)
{
	unsigned n_req, n_resp;

	setup();
	hold_auth_request();
	for (unsigned i = 0; i + 1 < net.n_held; i++) {
		deliver(&net.held[i]);
		deliver(&net.held[i]);
	}
	CU_ASSERT_EQUAL(net.up_b, 0);
	deliver(&net.held[net.n_held - 1]);
	CU_ASSERT_EQUAL(net.up_b, 1);
	pump();
	assert_up();
	CU_ASSERT_EQUAL(stats(net.b).frag_reassembled, 1);
	n_req = net.n_held;
	n_resp = net.skf_resp;
	net.hold_resp = true;
	for (unsigned i = 0; i < n_req; i++)
		deliver(&net.held[i]);
	CU_ASSERT_EQUAL(stats(net.b).dup_requests, 1);
	CU_ASSERT_EQUAL(net.n_held - n_req, n_resp); /* all response fragments, once */
	teardown();
}

/* Fragment 2 lost: the retransmission of all fragments completes it, the
 * fragments kept from the first round counting. */
static void test_missing_then_retransmitted(void)
{
	unsigned n;

	setup();
	hold_auth_request();
	n = net.n_held;
	for (unsigned i = 0; i < n; i++)
		if (i != 1)
			deliver(&net.held[i]);
	CU_ASSERT_EQUAL(net.up_b, 0);
	CU_ASSERT_PTR_NOT_NULL(sa_of(net.b)->defrag[0]);
	net.drop_next = 1; /* the retransmitted fragment 1: the first round's is kept */
	advance(600);
	assert_up();
	CU_ASSERT_EQUAL(stats(net.a).retransmits, 1);
	CU_ASSERT_EQUAL(stats(net.b).frag_reassembled, 1);
	teardown();
}

/* A response fragment lost: the initiator retransmits its fragments, the
 * responder answers fragment 1 only with its cached response fragments. */
static void test_response_fragment_lost(void)
{
	setup();
	net.hold_resp = true;
	CU_ASSERT_EQUAL_FATAL(ike_engine_initiate(net.a, "c", net.now), 0);
	pump();
	net.hold_resp = false;
	CU_ASSERT_FATAL(net.n_held >= 3);
	CU_ASSERT_EQUAL(net.up_b, 1);
	for (unsigned i = 1; i < net.n_held; i++)
		deliver(&net.held[i]);
	CU_ASSERT_EQUAL(net.up_a, 0);
	CU_ASSERT_PTR_NOT_NULL(sa_of(net.a)->defrag[1]);
	advance(600);
	assert_up();
	CU_ASSERT_EQUAL(stats(net.b).dup_requests, 1);
	CU_ASSERT_PTR_NULL(sa_of(net.a)->defrag[1]);
	teardown();
}

static void test_too_many_fragments(void)
{
	struct pkt p;
	uint64_t bad;

	setup();
	hold_auth_request();
	bad = stats(net.b).bad_messages;
	forge(&p, sa_of(net.a), IKEV2_EXCH_IKE_AUTH, 1, 1, IKE_FRAG_MAX_COUNT + 1, 64);
	deliver(&p);
	CU_ASSERT_EQUAL(stats(net.b).bad_messages, bad + 1);
	CU_ASSERT_PTR_NULL(sa_of(net.b)->defrag[0]);
	/* The most we take is taken. */
	forge(&p, sa_of(net.a), IKEV2_EXCH_IKE_AUTH, 1, 1, IKE_FRAG_MAX_COUNT, 64);
	deliver(&p);
	CU_ASSERT_EQUAL(stats(net.b).bad_messages, bad + 1);
	CU_ASSERT_PTR_NOT_NULL(sa_of(net.b)->defrag[0]);
	teardown();
}

/* Fragments over IKE_FRAG_MAX_BYTES: the partial message is dropped, and
 * the real one arriving next is put together. */
static void test_oversize(void)
{
	const size_t each = 600;
	struct pkt p;
	uint64_t bad;
	unsigned k = 0;

	setup();
	hold_auth_request();
	bad = stats(net.b).bad_messages;
	while ((k + 1) * each <= IKE_FRAG_MAX_BYTES) {
		forge(&p, sa_of(net.a), IKEV2_EXCH_IKE_AUTH, 1, (uint16_t)(k + 1),
		      IKE_FRAG_MAX_COUNT, each);
		deliver(&p);
		k++;
	}
	CU_ASSERT_EQUAL(stats(net.b).bad_messages, bad);
	CU_ASSERT_PTR_NOT_NULL(sa_of(net.b)->defrag[0]);
	forge(&p, sa_of(net.a), IKEV2_EXCH_IKE_AUTH, 1, (uint16_t)(k + 1), IKE_FRAG_MAX_COUNT,
	      each);
	deliver(&p);
	CU_ASSERT_EQUAL(stats(net.b).bad_messages, bad + 1);
	CU_ASSERT_PTR_NULL(sa_of(net.b)->defrag[0]);
	for (unsigned i = 0; i < net.n_held; i++)
		deliver(&net.held[i]);
	pump();
	assert_up();
	teardown();
}

/* A fragment with fewer Total Fragments than those before it is dropped
 * (2.6), not taken as a piece of the message. */
static void test_smaller_total_dropped(void)
{
	struct pkt p;
	unsigned n;

	setup();
	hold_auth_request();
	n = net.n_held;
	deliver(&net.held[0]);
	forge(&p, sa_of(net.a), IKEV2_EXCH_IKE_AUTH, 1, 2, (uint16_t)(n - 1), 100);
	deliver(&p);
	for (unsigned i = 1; i < n; i++)
		deliver(&net.held[i]);
	pump();
	assert_up();
	teardown();
}

/* No reassembly state for a fragment that fails its ICV (2.6, 5); the
 * retransmission brings a good copy. */
static void test_bad_icv(void)
{
	uint64_t bad;

	setup();
	hold_auth_request();
	bad = stats(net.b).bad_messages;
	net.held[0].buf[net.held[0].len - 20] ^= 1;
	deliver(&net.held[0]);
	CU_ASSERT_EQUAL(stats(net.b).bad_messages, bad + 1);
	CU_ASSERT_EQUAL(stats(net.b).frag_rx, 0);
	CU_ASSERT_PTR_NULL(sa_of(net.b)->defrag[0]);
	for (unsigned i = 1; i < net.n_held; i++)
		deliver(&net.held[i]);
	CU_ASSERT_EQUAL(net.up_b, 0);
	advance(600);
	assert_up();
	teardown();
}

/* Either end without fragmentation: IKE_AUTH goes whole both ways. */
static void test_peer_without_support(void)
{
	for (int a_on = 0; a_on < 2; a_on++) {
		setup2(a_on, !a_on);
		CU_ASSERT_EQUAL_FATAL(ike_engine_initiate(net.a, "c", net.now), 0);
		pump();
		assert_up();
		CU_ASSERT_EQUAL(net.skf_req + net.skf_resp, 0);
		CU_ASSERT(net.max_ip > FRAG_SIZE);
		CU_ASSERT_FALSE(sa_of(net.a)->frag_ok);
		CU_ASSERT_FALSE(sa_of(net.b)->frag_ok);
		teardown();
	}
}

/* An established SA: a partial message goes after IKE_FRAG_TIMEOUT_MS,
 * and when a whole message with its ID comes. */
static void test_partial_discarded(void)
{
	struct pkt p;
	struct ike_sa *a;

	setup();
	CU_ASSERT_EQUAL_FATAL(ike_engine_initiate(net.a, "c", net.now), 0);
	pump();
	assert_up();
	a = sa_of(net.a);
	forge(&p, a, IKEV2_EXCH_INFORMATIONAL, a->msgid_out, 1, 2, 100);
	deliver(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa_of(net.b)->defrag[0]);
	advance(IKE_FRAG_TIMEOUT_MS - 1000);
	CU_ASSERT_PTR_NOT_NULL(sa_of(net.b)->defrag[0]);
	advance(1000);
	CU_ASSERT_PTR_NULL(sa_of(net.b)->defrag[0]);

	deliver(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa_of(net.b)->defrag[0]);
	CU_ASSERT_EQUAL(ike_engine_dpd(net.a, "c", net.now), 0);
	pump();
	CU_ASSERT_PTR_NULL(sa_of(net.b)->defrag[0]);
	CU_ASSERT_EQUAL(stats(net.b).frag_reassembled, 1);
	teardown();
}

static void test_skf_parse(void)
{
	static const uint8_t ok[] = { 0, 2, 0, 3, 0xaa, 0xbb };
	static const uint8_t zero_num[] = { 0, 0, 0, 3 }, zero_total[] = { 0, 1, 0, 0 };
	static const uint8_t over[] = { 0, 4, 0, 3 }, one[] = { 0, 1, 0, 1 };
	struct ikev2_skf f;

	CU_ASSERT_EQUAL(ikev2_skf_parse(ok, sizeof(ok), &f), 0);
	CU_ASSERT(f.num == 2 && f.total == 3 && f.data == ok + 4 && f.len == 2);
	CU_ASSERT_EQUAL(ikev2_skf_parse(one, sizeof(one), &f), 0);
	CU_ASSERT(f.num == 1 && f.total == 1 && f.len == 0);
	for (size_t n = 0; n < 4; n++)
		CU_ASSERT_EQUAL(ikev2_skf_parse(ok, n, &f), IKEV2_E_PL_LENGTH);
	CU_ASSERT_EQUAL(ikev2_skf_parse(zero_num, 4, &f), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_skf_parse(zero_total, 4, &f), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_skf_parse(over, 4, &f), IKEV2_E_MALFORMED);
}

static const struct test_case cases[] = {
	{ "SKF header parser", test_skf_parse },
	{ "IKE_AUTH fragmented both ways within fragment_size", test_both_ways },
	{ "fragments in reverse order", test_reversed },
	{ "duplicate fragments; a retransmitted request answered once", test_duplicates },
	{ "a lost fragment: the retransmission completes the message",
	  test_missing_then_retransmitted },
	{ "a lost response fragment: answered again on fragment 1", test_response_fragment_lost },
	{ "more Total Fragments than we take refused", test_too_many_fragments },
	{ "fragments over the octet limit dropped", test_oversize },
	{ "a smaller Total Fragments is dropped", test_smaller_total_dropped },
	{ "a fragment with a bad ICV keeps no state", test_bad_icv },
	{ "a peer without fragmentation gets whole messages", test_peer_without_support },
	{ "a partial message times out or yields to a whole one", test_partial_discarded },
	{ NULL, NULL },
};
TEST_SUITE(frag_ike, cases)
