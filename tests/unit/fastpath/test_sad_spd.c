/* SPDX-License-Identifier: BSD-3-Clause */
/* The SAD (fastpath/sad.c) and the SPD (fastpath/spd.c), filled through
 * the control core: SAD add/lookup/delete, run lookups and requests through
 * the ring; the SPD's rte_acl classification and its linear scan of few
 * policies, both against a first-match reference over the rule list. */
#include <stdlib.h>
#include <string.h>

#include "fastpath/ctrl_core_priv.h"
#include "tests/unit/fastpath/fp_test.h"

/* ---- SAD ---- */

static void test_sad(void)
{
	struct fp_sa_params p;
	struct fp_sa *out[4];
	uint32_t keys[4];
	char err[128];

	FPT_SETUP();
	struct fp_ctrl *c = fpt_ctrl_new("sad", 2);
	fpt_gcm(&p, FP_DIR_IN, 0x1001, false);
	fpt_add_sa(c, &p);
	fpt_gcm(&p, FP_DIR_IN, 0x1002, false);
	fpt_add_sa(c, &p);
	CU_ASSERT_EQUAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)), -EEXIST);
	p.spi = 5; /* reserved */
	CU_ASSERT_EQUAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)), -EINVAL);
	fpt_gcm(&p, FP_DIR_OUT, 0x2001, true);
	fpt_add_sa(c, &p);
	CU_ASSERT_EQUAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)), -EEXIST);

	keys[0] = rte_cpu_to_be_32(0x1001);
	keys[1] = rte_cpu_to_be_32(0x1003);
	keys[2] = rte_cpu_to_be_32(0x1002);
	keys[3] = rte_cpu_to_be_32(0x2001); /* outbound: not in the hash */
	fp_sad_lookup_in(c->sad, keys, 4, out);
	CU_ASSERT(out[0] != NULL && out[0]->spi == 0x1001);
	CU_ASSERT(out[1] == NULL);
	CU_ASSERT(out[2] != NULL && out[2]->spi == 0x1002);
	CU_ASSERT(out[3] == NULL);
	CU_ASSERT_EQUAL(fp_sad_ent(out[0])->owner, 0x1001 % 2);
	CU_ASSERT_EQUAL(fp_sad_ent(out[2])->owner, 0x1002 % 2);
	{
		/* Runs are looked up once each: every packet still gets its own
		 * run's answer, hits and misses alike, whatever the order. */
		static const uint32_t seq[] = { 0x1001, 0x1001, 0x1002, 0x1002, 0x1002, 0x1001,
						0x1003, 0x1003, 0x1001, 0x1002, 0x1003, 0x1001 };
		uint32_t k2[FP_MAX_BURST];
		struct fp_sa *o2[FP_MAX_BURST];
		unsigned nn = 0;

		for (unsigned i = 0; i < FP_MAX_BURST; i++)
			k2[i] = rte_cpu_to_be_32(seq[(i / 3) % RTE_DIM(seq)]);
		fp_sad_lookup_in(c->sad, k2, FP_MAX_BURST, o2);
		for (unsigned i = 0; i < FP_MAX_BURST; i++) {
			uint32_t want = seq[(i / 3) % RTE_DIM(seq)];

			if (want == 0x1003) {
				CU_ASSERT(o2[i] == NULL);
			} else {
				nn += o2[i] != NULL && o2[i]->spi == want;
			}
		}
		CU_ASSERT_EQUAL(nn,
				FP_MAX_BURST - 15); /* 0x1003 at 3 of 12 places, x3, 64 packets */
	}

	int slot = fp_sad_out_slot(c->sad, 0x2001, 0);
	CU_ASSERT_FATAL(slot >= 0);
	CU_ASSERT(fp_sad_get_out(c->out, (uint32_t)slot)->spi == 0x2001);

	CU_ASSERT_EQUAL(fp_ctrl_del_sa(c, FP_DIR_IN, 0x1001, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_del_sa(c, FP_DIR_IN, 0x1001, err, sizeof(err)), -ENOENT);
	CU_ASSERT_EQUAL(fp_ctrl_del_sa(c, FP_DIR_OUT, 0x2001, err, sizeof(err)), 0);
	CU_ASSERT(fp_sad_get_out(c->out, (uint32_t)slot) == NULL);
	fp_sad_lookup_in(c->sad, keys, 1, out);
	CU_ASSERT(out[0] == NULL);
	/* No worker registered: the grace period is over at once. */
	CU_ASSERT(fp_ctrl_pending(c) >= 2);
	fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 0);

	/* Requests through the ring, applied by the next poll. */
	fpt_gcm(&p, FP_DIR_IN, 0x1005, false);
	CU_ASSERT_EQUAL(fp_ctrl_req_add_sa(c, &p), 0);
	CU_ASSERT_EQUAL(fp_ctrl_req_del_sa(c, FP_DIR_IN, 0x1002), 0);
	CU_ASSERT(fp_sad_find_in(c->sad, 0x1005) == NULL);
	fp_ctrl_poll(c);
	CU_ASSERT(fp_sad_find_in(c->sad, 0x1005) != NULL);
	CU_ASSERT(fp_sad_find_in(c->sad, 0x1002) == NULL);
	struct fp_ctrl_stats st;
	fp_ctrl_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.sa_in, 1);
	CU_ASSERT_EQUAL(st.req_ok, 2);
	fp_ctrl_free(c);
}

/* ---- SPD: ACL against first-match over the rule list ---- */

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void rnd_range(uint8_t fam, uint8_t *lo, uint8_t *hi)
{
	unsigned alen = fam == 4 ? 4 : 16;

	/* Addresses in a small space so that rules overlap and packets hit. */
	memset(lo, 0, 16);
	memset(hi, 0, 16);
	if (fam == 4) {
		lo[0] = hi[0] = 198;
		lo[1] = hi[1] = 51;
		lo[2] = hi[2] = 100;
	} else {
		lo[0] = hi[0] = 0x20;
		lo[1] = hi[1] = 0x01;
		lo[2] = hi[2] = 0x0d;
		lo[3] = hi[3] = 0xb8;
	}
	uint8_t a = (uint8_t)(rnd() & 0xff), b = (uint8_t)(rnd() & 0xff);
	if (rnd() % 4 == 0) { /* any in the /24 (/120) */
		a = 0;
		b = 255;
	}
	lo[alen - 1] = a < b ? a : b;
	hi[alen - 1] = a < b ? b : a;
}

/* nr random policies (both families) through the control core, then np
 * random packets classified by the built SPD and by the reference; the
 * packets that hit a policy. */
static unsigned spd_random_check(struct fp_ctrl *c, struct fp_spd_rule *r, unsigned nr, unsigned np)
{
	char err[128] = "";
	unsigned hits = 0;

	for (unsigned i = 0; i < nr; i++) {
		struct fp_selector *s = &r[i].sel;

		s->family = (rnd() & 1) ? 4 : 6;
		rnd_range(s->family, s->src_lo, s->src_hi);
		rnd_range(s->family, s->dst_lo, s->dst_hi);
		s->proto = (uint8_t)((const uint8_t[]){ 0, 6, 17, 1 })[rnd() % 4];
		s->sport_lo = 0;
		s->sport_hi = 65535;
		s->dport_lo = (uint16_t)(rnd() % 3 == 0 ? 1000 + rnd() % 50 : 0);
		s->dport_hi = (uint16_t)(s->dport_lo ? s->dport_lo + rnd() % 20 : 65535);
		r[i].action = (enum fp_spd_action)(1 + rnd() % 3);
		r[i].spi = 0x3000 + i % 7;
	}
	if (fp_ctrl_replace_spd(c, r, nr, err, sizeof(err)) != 0) {
		CU_FAIL("fp_ctrl_replace_spd"); /* not fatal: callers reset the scan limit */
		return 0;
	}
	const struct fp_spd *spd = fp_ctrl_spd(c);
	for (unsigned i = 0; i < np; i++) {
		uint8_t fam = (rnd() & 1) ? 4 : 6, src[16], dst[16], hi[16];
		uint8_t proto = (uint8_t)((const uint8_t[]){ 6, 17, 1, 50 })[rnd() % 4];
		uint16_t sport = (uint16_t)(rnd() % 65536), dport = (uint16_t)(1000 + rnd() % 80);
		uint32_t res;

		rnd_range(fam, src, hi);
		rnd_range(fam, dst, hi);
		if (proto != 6 && proto != 17)
			sport = dport = 0;
		if (fam == 4) {
			struct fp_spd_key4 k = { .proto = proto };
			const struct fp_spd_key4 *kp = &k;

			memcpy(&k.src, src, 4);
			memcpy(&k.dst, dst, 4);
			k.sport = rte_cpu_to_be_16(sport);
			k.dport = rte_cpu_to_be_16(dport);
			fp_spd_classify4(spd, &kp, &res, 1);
		} else {
			struct fp_spd_key6 k = { .proto = proto };
			const struct fp_spd_key6 *kp = &k;

			memcpy(k.src, src, 16);
			memcpy(k.dst, dst, 16);
			k.sport = rte_cpu_to_be_16(sport);
			k.dport = rte_cpu_to_be_16(dport);
			fp_spd_classify6(spd, &kp, &res, 1);
		}
		uint32_t ref = fp_spd_match_ref(r, nr, fam, src, dst, proto, sport, dport);
		if (ref == 0) {
			CU_ASSERT_EQUAL(res, 0);
			continue;
		}
		hits++;
		const struct fp_spd_rule *m = &r[ref - 1];
		CU_ASSERT_EQUAL(fp_spd_action(res), m->action);
		if (m->action == FP_SPD_PROTECT && fp_spd_action(res) == FP_SPD_PROTECT)
			CU_ASSERT_EQUAL(c->out[fp_spd_slot(res)].spi, m->spi);
	}
	return hits;
}

static void test_spd_acl(void)
{
	enum { NR = 60, NP = 3000 };
	struct fp_spd_rule *r = calloc(NR, sizeof(*r));
	char err[128] = "";
	unsigned hits;

	FPT_SETUP();
	struct fp_ctrl *c = fpt_ctrl_new("spd", 1);
	hits = spd_random_check(c, r, NR, NP);
	CU_ASSERT(fp_spd_scan_count(fp_ctrl_spd(c)) == 0); /* > 8 per family: rte_acl */
	CU_ASSERT(hits > NP / 10);
	/* A range that is not a prefix splits into prefixes. */
	fpt_rule4(&r[0], "198.51.100.3", "198.51.100.77", "0.0.0.0", "255.255.255.255",
		  FP_SPD_DISCARD, 0);
	fp_spd_set_linear_max(0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(c, r, 1, err, sizeof(err)) == 0);
	fp_spd_set_linear_max(FP_SPD_LINEAR_DEFAULT);
	CU_ASSERT(fp_spd_rule_count(fp_ctrl_spd(c)) > 1);
	for (unsigned a = 0; a < 256; a++) {
		struct fp_spd_key4 k = { .proto = 1 };
		const struct fp_spd_key4 *kp = &k;
		uint32_t res;
		uint8_t s4[4] = { 198, 51, 100, (uint8_t)a };

		memcpy(&k.src, s4, 4);
		fp_spd_classify4(fp_ctrl_spd(c), &kp, &res, 1);
		CU_ASSERT_EQUAL(res, (a >= 3 && a <= 77) ? FP_SPD_DISCARD : 0);
	}
	free(r);
	fp_ctrl_free(c);
}

/* Few policies per family are scanned instead of classified by rte_acl
 * (spd.h): both ways against the reference, on the same random rule sets. */
static void test_spd_scan(void)
{
	enum { NP = 600 };
	struct fp_spd_rule r[FP_SPD_LINEAR_CAP];
	char err[128] = "";
	unsigned hits = 0, scanned = 0;

	FPT_SETUP();
	struct fp_ctrl *c = fpt_ctrl_new("spd_scan", 1);
	for (unsigned nr = 1; nr <= FP_SPD_LINEAR_CAP; nr++) {
		uint32_t save = rnd_state;

		fp_spd_set_linear_max(0);
		hits += spd_random_check(c, r, nr, NP);
		CU_ASSERT_EQUAL(fp_spd_scan_count(fp_ctrl_spd(c)), 0);
		rnd_state = save; /* the scan gets the same rules and packets */
		fp_spd_set_linear_max(FP_SPD_LINEAR_CAP);
		hits += spd_random_check(c, r, nr, NP);
		scanned += fp_spd_scan_count(fp_ctrl_spd(c)) == nr;
	}
	CU_ASSERT_EQUAL(scanned, FP_SPD_LINEAR_CAP);
	CU_ASSERT(hits > FP_SPD_LINEAR_CAP * 2 * NP / 20);
	/* Edges the random ranges miss: whole address and port spaces, a range
	 * that is not a prefix, a port range against a protocol without ports
	 * (its key holds port 0). */
	fpt_rule4(&r[0], "198.51.100.3", "198.51.100.77", "0.0.0.0", "255.255.255.255",
		  FP_SPD_DISCARD, 0);
	r[0].sel.dport_lo = 1;
	fpt_rule4(&r[1], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255", FP_SPD_BYPASS,
		  0);
	for (unsigned way = 0; way < 2; way++) {
		fp_spd_set_linear_max(way ? FP_SPD_LINEAR_CAP : 0);
		CU_ASSERT_FATAL(fp_ctrl_replace_spd(c, r, 2, err, sizeof(err)) == 0);
		CU_ASSERT_EQUAL(fp_spd_scan_count(fp_ctrl_spd(c)), way ? 2 : 0);
		for (unsigned a = 0; a < 256; a++) {
			struct fp_spd_key4 k = { .proto = a & 1 ? 17 : 1, .dst = UINT32_MAX };
			const struct fp_spd_key4 *kp = &k;
			uint32_t res;
			uint8_t s4[4] = { 198, 51, 100, (uint8_t)a };

			memcpy(&k.src, s4, 4);
			k.dport = a & 1 ? rte_cpu_to_be_16(65535) : 0;
			fp_spd_classify4(fp_ctrl_spd(c), &kp, &res, 1);
			CU_ASSERT_EQUAL(res, (a >= 3 && a <= 77 && (a & 1)) ? FP_SPD_DISCARD
									    : FP_SPD_BYPASS);
		}
	}
	/* IPv6: a source range across the 2^64 boundary of the address's low
	 * half (the scan's 128-bit span), the whole space, port-0 keys. */
	memset(r, 0, 2 * sizeof(r[0]));
	for (unsigned k = 0; k < 2; k++) {
		r[k].sel.family = 6;
		memset(r[k].sel.dst_hi, 0xff, 16);
		memset(r[k].sel.src_hi, 0xff, 16);
		r[k].sel.sport_hi = r[k].sel.dport_hi = 65535;
	}
	fpt_ip6("2001:db8::ffff:ffff:ffff:fff0", r[0].sel.src_lo);
	fpt_ip6("2001:db8:0:1::10", r[0].sel.src_hi);
	r[0].sel.dport_lo = 1;
	r[0].action = FP_SPD_DISCARD;
	r[1].action = FP_SPD_BYPASS;
	for (unsigned way = 0; way < 2; way++) {
		unsigned disc = 0;

		fp_spd_set_linear_max(way ? FP_SPD_LINEAR_CAP : 0);
		CU_ASSERT_FATAL(fp_ctrl_replace_spd(c, r, 2, err, sizeof(err)) == 0);
		CU_ASSERT_EQUAL(fp_spd_scan_count(fp_ctrl_spd(c)), way ? 2 : 0);
		for (int d = -40; d < 40; d++) {
			struct fp_spd_key6 k = { .proto = (d & 1) ? 17 : 1 };
			const struct fp_spd_key6 *kp = &k;
			uint32_t res;
			/* 2001:db8:0:1:: + d: d < 0 lies below the boundary */
			uint64_t hi = 0x20010db800000001ull - (d < 0), lo = (uint64_t)(int64_t)d;

			hi = rte_cpu_to_be_64(hi);
			lo = rte_cpu_to_be_64(lo);
			memcpy(k.src, &hi, 8);
			memcpy(k.src + 8, &lo, 8);
			memset(k.dst, 0xff, 16);
			k.dport = (d & 1) ? rte_cpu_to_be_16(65535) : 0;
			fp_spd_classify6(fp_ctrl_spd(c), &kp, &res, 1);
			bool in = d >= -16 && d <= 16 && (d & 1);
			CU_ASSERT_EQUAL(res, in ? FP_SPD_DISCARD : FP_SPD_BYPASS);
			disc += res == FP_SPD_DISCARD;
		}
		CU_ASSERT_EQUAL(disc, 16); /* the odd d in [-15, 15] */
	}
	fp_spd_set_linear_max(FP_SPD_LINEAR_DEFAULT);
	fp_ctrl_free(c);
}

static const struct test_case cases[] = {
	{ "sad", test_sad },
	{ "spd_acl_vs_reference", test_spd_acl },
	{ "spd_scan_vs_acl_and_reference", test_spd_scan },
	{ NULL, NULL },
};
TEST_SUITE(sad_spd, cases)
