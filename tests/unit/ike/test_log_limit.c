/* SPDX-License-Identifier: BSD-3-Clause */
/* Log lines that unauthenticated input causes: the token bucket on its
 * own (a clock the test sets), then an engine flooded with refused and
 * malformed IKE_SA_INIT requests and garbage, and the names of refused
 * algorithms. */
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/core/ike_priv.h"
#include "tests/unit/test.h"

static void test_bucket(void)
{
	struct ike_log_limit l;
	uint64_t since = 0;
	unsigned ok = 0;

	memset(&l, 0, sizeof(l));
	for (int i = 0; i < 25; i++)
		ok += ike_limit_take(&l, 10, 5000);
	CU_ASSERT_EQUAL(ok, 10); /* a burst of rate lines */
	CU_ASSERT_EQUAL(l.suppressed, 15);
	/* no token for the summary yet; one refills in 1000/rate ms */
	CU_ASSERT_EQUAL(ike_limit_summary(&l, 10, 5000, &since), 0);
	CU_ASSERT_EQUAL(ike_limit_next(&l, 10), 5100);
	CU_ASSERT_EQUAL(ike_limit_summary(&l, 10, 5099, &since), 0);
	CU_ASSERT_EQUAL(ike_limit_summary(&l, 10, 5100, &since), 15);
	CU_ASSERT_EQUAL(since, 5000);
	CU_ASSERT_EQUAL(ike_limit_next(&l, 10), UINT64_MAX);
	/* the summary took that token */
	CU_ASSERT_FALSE(ike_limit_take(&l, 10, 5100));
	CU_ASSERT_EQUAL(l.suppressed, 1);
	CU_ASSERT_TRUE(ike_limit_take(&l, 10, 5200));
	/* refills up to the burst, never beyond */
	ok = 0;
	for (int i = 0; i < 30; i++)
		ok += ike_limit_take(&l, 10, 60000);
	CU_ASSERT_EQUAL(ok, 10);
	/* rate 0: no limit */
	memset(&l, 0, sizeof(l));
	ok = 0;
	for (int i = 0; i < 1000; i++)
		ok += ike_limit_take(&l, 0, 1);
	CU_ASSERT_EQUAL(ok, 1000);
}

/* A steady rate over the limit: rate lines a second get through. */
static void test_bucket_steady(void)
{
	struct ike_log_limit l;
	unsigned ok = 0;

	memset(&l, 0, sizeof(l));
	for (uint64_t t = 0; t < 10000; t++) /* 1,000 a second for 10 s */
		ok += ike_limit_take(&l, 10, 1000 + t);
	CU_ASSERT(ok >= 100 && ok <= 110);
	CU_ASSERT_EQUAL(ok + l.suppressed, 10000);
}

static struct {
	unsigned lines, err, dropped, syntax, noconn, sum_malformed, sum_refused;
	unsigned long suppressed_malformed, suppressed_refused;
	uint8_t init[2048];
	size_t init_len;
} fl;

static void fl_send(void *ctx, const ike_addr_t *l, const ike_addr_t *r, const uint8_t *buf,
		    size_t len)
{
	(void)ctx, (void)l, (void)r;
	if (len <= sizeof(fl.init) && !fl.init_len) {
		memcpy(fl.init, buf, len);
		fl.init_len = len;
	}
}

static void fl_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	const char *s = strstr(line, "suppressed ");

	(void)ctx;
	fl.lines++;
	fl.err += lvl == IKE_LOG_ERR;
	fl.dropped += strstr(line, "dropped datagram") != NULL;
	fl.syntax += strstr(line, "refused with INVALID_SYNTAX") != NULL;
	fl.noconn += strstr(line, "no connection is configured") != NULL;
	if (s && strstr(line, "(malformed message)")) {
		fl.sum_malformed++;
		fl.suppressed_malformed += strtoul(s + 11, NULL, 10);
	}
	if (s && strstr(line, "(refused IKE_SA_INIT)")) {
		fl.sum_refused++;
		fl.suppressed_refused += strtoul(s + 11, NULL, 10);
	}
}

static const struct ike_ops fl_ops = { .send = fl_send, .log = fl_log };

static struct ike_engine *fl_engine(const char *me, const char *peer, int level)
{
	struct ike_engine_cfg ec;
	struct ike_conn_cfg c;
	struct ike_engine *e;
	char err[128];

	ike_engine_cfg_defaults(&ec);
	ec.log_level = level;
	e = ike_engine_new(&ec, &fl_ops, NULL);
	CU_ASSERT_FATAL(e != NULL);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "c");
	ike_addr_parse(me, &c.local);
	ike_addr_parse(peer, &c.remote);
	c.local.port = c.remote.port = 500;
	c.psk_len = 8;
	memcpy(c.psk, "12345678", 8);
	c.n_proposals = c.n_children = 1;
	CU_ASSERT_FATAL(ike_proposal_parse("aes128gcm16-prfsha256-x25519", true, &c.proposals[0],
					   err, sizeof(err)) == 0);
	snprintf(c.children[0].name, IKE_NAME_MAX, "net");
	c.children[0].n_proposals = 1;
	CU_ASSERT_FATAL(ike_proposal_parse("aes128gcm16", false, &c.children[0].proposals[0], err,
					   sizeof(err)) == 0);
	c.children[0].n_local_ts = c.children[0].n_remote_ts = 1;
	ike_ts_parse("198.51.100.0/24", &c.children[0].local_ts[0]);
	ike_ts_parse("203.0.113.0/24", &c.children[0].remote_ts[0]);
	CU_ASSERT_FATAL(ike_engine_add_conn(e, &c) == 0);
	return e;
}

/* One of three unauthenticated datagrams, n making each distinct:
 * garbage, an IKE_SA_INIT request without payloads, and a well-formed
 * IKE_SA_INIT (captured from an initiator) from an unknown address. */
static void fl_send_one(struct ike_engine *b, unsigned n, uint64_t now)
{
	uint8_t buf[2048];
	ike_addr_t l, r;
	size_t len = fl.init_len;

	ike_addr_parse("192.0.2.2", &l);
	ike_addr_parse(n % 3 == 2 ? "192.0.2.9" : "192.0.2.1", &r);
	l.port = r.port = 500;
	memcpy(buf, fl.init, len);
	memcpy(buf, &n, sizeof(n)); /* a distinct SPIi */
	if (n % 3 == 0) {
		memset(buf, 0xee, 100);
		len = 100;
	} else if (n % 3 == 1) {
		len = IKEV2_HDR_LEN;
		buf[16] = 0; /* no payloads */
		ikev2_put32(buf + 24, (uint32_t)len);
	}
	ike_engine_input(b, &l, &r, buf, len, now);
}

static void fl_flood(int level, unsigned n, uint64_t step_ms, struct ike_engine **out)
{
	struct ike_engine *a = fl_engine("192.0.2.1", "192.0.2.2", IKE_LOG_ERR);
	struct ike_engine *b = fl_engine("192.0.2.2", "192.0.2.1", level);

	memset(&fl, 0, sizeof(fl));
	CU_ASSERT_FATAL(ike_engine_initiate(a, "c", 1000) == 0 && fl.init_len > IKEV2_HDR_LEN);
	ike_engine_free(a);
	for (unsigned i = 0; i < n; i++)
		fl_send_one(b, i, 1000 + i * step_ms);
	*out = b;
}

/* 10,000 at one instant: a burst of lines per kind, no ERR line; the
 * rest counted in one summary line per kind once a token is back. */
static void test_flood_instant(void)
{
	struct ike_engine *b;
	unsigned printed_malformed;

	fl_flood(IKE_LOG_DEBUG, 10000, 0, &b);
	CU_ASSERT_EQUAL(fl.err, 0);
	printed_malformed = fl.dropped + fl.syntax;
	CU_ASSERT_EQUAL(printed_malformed, IKE_LOG_RATE_DEFAULT);
	CU_ASSERT_EQUAL(fl.noconn, IKE_LOG_RATE_DEFAULT);
	CU_ASSERT_EQUAL(fl.lines, 2 * IKE_LOG_RATE_DEFAULT);
	CU_ASSERT(ike_engine_next_timer(b) <= 1000 + 1000 / IKE_LOG_RATE_DEFAULT);
	ike_engine_tick(b, 1000 + 1000 / IKE_LOG_RATE_DEFAULT);
	CU_ASSERT_EQUAL(fl.sum_malformed, 1);
	CU_ASSERT_EQUAL(fl.sum_refused, 1);
	CU_ASSERT_EQUAL(printed_malformed + fl.suppressed_malformed, 6667);
	CU_ASSERT_EQUAL(fl.noconn + fl.suppressed_refused, 3333);
	CU_ASSERT_EQUAL(ike_engine_next_timer(b), UINT64_MAX);
	ike_engine_free(b);
}

/* 10,000 over 10 s: bounded by the rate, every datagram accounted for. */
static void test_flood_spread(void)
{
	struct ike_engine *b;

	fl_flood(IKE_LOG_DEBUG, 10000, 1, &b);
	ike_engine_tick(b, 1000 + 10000 + 1000);
	CU_ASSERT_EQUAL(fl.err, 0);
	CU_ASSERT(fl.lines <= 2 * (IKE_LOG_RATE_DEFAULT + 10 * IKE_LOG_RATE_DEFAULT + 1));
	CU_ASSERT(fl.lines >= 2 * 10 * IKE_LOG_RATE_DEFAULT);
	CU_ASSERT_EQUAL(fl.dropped + fl.syntax + fl.suppressed_malformed, 6667);
	CU_ASSERT_EQUAL(fl.noconn + fl.suppressed_refused, 3333);
	ike_engine_free(b);
}

/* log.level error: nothing at all. */
static void test_flood_quiet(void)
{
	struct ike_engine *b;

	fl_flood(IKE_LOG_ERR, 3000, 0, &b);
	ike_engine_tick(b, 5000);
	CU_ASSERT_EQUAL(fl.lines, 0);
	ike_engine_free(b);
}

static void test_refused_alg_names(void)
{
	struct ikev2_prop p;
	char s[256];

	memset(&p, 0, sizeof(p));
	p.num = 1;
	p.n_trans = 5;
	p.trans[0] = (struct ikev2_transform){ .type = 1, .id = 3 };  /* 3des */
	p.trans[1] = (struct ikev2_transform){ .type = 2, .id = 2 };  /* prfsha1 */
	p.trans[2] = (struct ikev2_transform){ .type = 3, .id = 2 };  /* sha1 */
	p.trans[3] = (struct ikev2_transform){ .type = 4, .id = 2 };  /* modp1024 */
	p.trans[4] = (struct ikev2_transform){ .type = 4, .id = 99 }; /* none */
	CU_ASSERT_STRING_EQUAL(ikev2_props_str(&p, 1, s, sizeof(s)),
			       "#1 3des/prfsha1/sha1/modp1024/dh:99");
	p.n_trans = 2;
	p.trans[0] = (struct ikev2_transform){ .type = 1, .id = 12, .keybits = 64 };
	p.trans[1] = (struct ikev2_transform){ .type = 1, .id = 12, .keybits = 128 };
	CU_ASSERT_STRING_EQUAL(ikev2_props_str(&p, 1, s, sizeof(s)), "#1 aes64/aes128");
}

static const struct test_case cases[] = {
	{ "token bucket: burst, refill, summary due", test_bucket },
	{ "token bucket: steady flood", test_bucket_steady },
	{ "10,000 unauthenticated datagrams at once: 10 lines a kind", test_flood_instant },
	{ "10,000 unauthenticated datagrams over 10 s: bounded", test_flood_spread },
	{ "log level error: a flood writes nothing", test_flood_quiet },
	{ "refused algorithms by name", test_refused_alg_names },
	{ NULL, NULL },
};
TEST_SUITE(log_limit, cases)
