/* SPDX-License-Identifier: BSD-3-Clause */
/* The tiered SPD (fastpath/spd.h: exact tier by destination prefix, rest
 * tier on rte_acl or a scan, rule database with ranks) against the
 * first-match reference over the rule list: random policy sets mixing
 * exact prefixes of several lengths, overlaps, ranges, ports, protocols,
 * both families, classified in bursts; random sequences of prepends,
 * deletions, retargets and replaces, checked after every step; slots of
 * the control core freed by the SPIs each change unnamed. */
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "fastpath/ctrl_core_priv.h"
#include "tests/unit/fastpath/fp_test.h"

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 16);
}

typedef unsigned __int128 u128;

static u128 get128(const uint8_t *a, unsigned alen)
{
	u128 v = 0;

	for (unsigned i = 0; i < alen; i++)
		v = v << 8 | a[i];
	return v;
}

static void put128(uint8_t *a, unsigned alen, u128 v)
{
	memset(a, 0, 16);
	for (unsigned i = alen; i-- > 0;) {
		a[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* A random address of a small space (so that rules overlap and packets
 * hit): 198.51.100.0-198.51.103.255, 2001:db8:0:0-3::0-ff. */
static u128 rnd_addr(uint8_t fam)
{
	if (fam == 4)
		return (u128)0xc6336400u + rnd() % 1024;
	return ((u128)0x20010db800000000ull << 64) + ((u128)(rnd() % 4) << 64) + rnd() % 256;
}

static void set_range(uint8_t fam, uint8_t *lo, uint8_t *hi, u128 l, u128 h)
{
	put128(lo, fam == 4 ? 4 : 16, l);
	put128(hi, fam == 4 ? 4 : 16, h);
}

/* A prefix of a random address, plen bits of bits. */
static void set_prefix(uint8_t fam, uint8_t *lo, uint8_t *hi, unsigned plen)
{
	unsigned bits = fam == 4 ? 32 : 128;
	u128 host = plen == bits ? 0 : (((u128)1) << (bits - plen)) - 1, a = rnd_addr(fam);

	set_range(fam, lo, hi, a & ~host, (a & ~host) | host);
}

static void rnd_addr_sel(uint8_t fam, uint8_t *lo, uint8_t *hi, bool dst)
{
	static const unsigned p4[] = { 32, 32, 24, 30, 16, 22 },
			      p6[] = { 128, 128, 120, 64, 48, 124 };
	unsigned k = rnd() % 10;

	if (k < (dst ? 6u : 3u)) { /* one prefix: the exact tier for a destination */
		set_prefix(fam, lo, hi, (fam == 4 ? p4 : p6)[rnd() % 6]);
	} else if (k < 8) { /* a range (IPv6: in one /64, or it splits into too many prefixes) */
		u128 a = rnd_addr(fam),
		     b = fam == 4 ? rnd_addr(fam) : (a & ~(u128)0xff) | rnd() % 256;

		set_range(fam, lo, hi, a < b ? a : b, a < b ? b : a);
	} else { /* anything */
		set_range(fam, lo, hi, 0, fam == 4 ? 0xffffffffu : ~(u128)0);
	}
}

static void rnd_ports(uint16_t *lo, uint16_t *hi)
{
	*lo = 0;
	*hi = 65535;
	if (rnd() % 4 == 0) {
		*lo = (uint16_t)(1000 + rnd() % 40);
		*hi = (uint16_t)(*lo + rnd() % 10);
	}
}

static void rnd_rule(struct fp_spd_rule *r, uint32_t spi)
{
	struct fp_selector *s = &r->sel;
	unsigned a = rnd() % 20;

	memset(r, 0, sizeof(*r));
	s->family = rnd() % 2 ? 4 : 6;
	rnd_addr_sel(s->family, s->src_lo, s->src_hi, false);
	rnd_addr_sel(s->family, s->dst_lo, s->dst_hi, true);
	s->proto = (uint8_t)((const uint8_t[]){ 0, 0, 0, 6, 17, 1 })[rnd() % 6];
	rnd_ports(&s->sport_lo, &s->sport_hi);
	rnd_ports(&s->dport_lo, &s->dport_hi);
	r->action = a < 12   ? FP_SPD_PROTECT
		    : a < 14 ? FP_SPD_TRAP
		    : a < 17 ? FP_SPD_BYPASS
			     : FP_SPD_DISCARD;
	r->spi = spi;
}

/* Slots the test can predict from the SPI or trap id. */
static int tslot(void *arg, const struct fp_spd_rule *r)
{
	(void)arg;
	return (int)(r->action == FP_SPD_TRAP ? 5000 + r->spi % 1000 : r->spi % 5000);
}

static uint32_t expect(const struct fp_spd_rule *r, uint32_t n, uint32_t ref)
{
	const struct fp_spd_rule *m;

	if (ref == 0 || ref > n)
		return 0;
	m = &r[ref - 1];
	if (m->action == FP_SPD_PROTECT || m->action == FP_SPD_TRAP)
		return FP_SPD_PROTECT + (uint32_t)tslot(NULL, m);
	return (uint32_t)m->action;
}

struct pkt {
	uint8_t fam, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

static u128 in_range(const uint8_t *lo, const uint8_t *hi, unsigned alen)
{
	u128 l = get128(lo, alen), h = get128(hi, alen), span = h - l;

	/* mostly the edges and the middle of small ranges */
	if (span < 4096)
		return l + (span == ~(u128)0 ? rnd() : rnd() % (span + 1));
	return rnd() % 2 ? l + rnd() % 16 : rnd_addr(alen == 4 ? 4 : 6);
}

/* A packet inside a random rule most of the time (hits at every depth),
 * else anywhere in the small space. */
static void rnd_pkt(struct pkt *p, const struct fp_spd_rule *r, uint32_t n)
{
	const struct fp_selector *s = n && rnd() % 4 ? &r[rnd() % n].sel : NULL;

	p->fam = s ? s->family : (rnd() % 2 ? 4 : 6);
	unsigned alen = p->fam == 4 ? 4 : 16;

	p->proto = (uint8_t)((const uint8_t[]){ 6, 17, 1, 50 })[rnd() % 4];
	if (s != NULL && s->proto && rnd() % 2)
		p->proto = s->proto;
	put128(p->src, alen, s ? in_range(s->src_lo, s->src_hi, alen) : rnd_addr(p->fam));
	put128(p->dst, alen, s ? in_range(s->dst_lo, s->dst_hi, alen) : rnd_addr(p->fam));
	p->sport = (uint16_t)(rnd() % 2 ? 1000 + rnd() % 50 : rnd());
	p->dport = (uint16_t)(rnd() % 2 ? 1000 + rnd() % 50 : rnd());
	if (p->proto != 6 && p->proto != 17)
		p->sport = p->dport = 0;
}

/* Classifies np packets in bursts of up to 48 (a chunk of the 64 the
 * tiers take at once, and more than a worker's 32), a third of them the
 * packet before again (runs of a flow, classified once), compares each
 * with the reference over r[0..n); the number that matched a rule. */
static unsigned check_pkts(const struct fp_spd *spd, const struct fp_spd_rule *r, uint32_t n,
			   unsigned np, unsigned *bad)
{
	struct fp_spd_key4 k4[48];
	struct fp_spd_key6 k6[48];
	const struct fp_spd_key4 *p4[48];
	const struct fp_spd_key6 *p6[48];
	uint32_t res4[48], res6[48], ref4[48], ref6[48], hits = 0;

	for (unsigned done = 0; done < np;) {
		unsigned b = 1 + rnd() % 48, n4 = 0, n6 = 0;
		struct pkt p;

		for (unsigned i = 0; i < b; i++) {
			uint32_t ref;

			if (i == 0 || rnd() % 3)
				rnd_pkt(&p, r, n);
			ref = expect(r, n,
				     fp_spd_match_ref(r, n, p.fam, p.src, p.dst, p.proto, p.sport,
						      p.dport));
			hits += ref != 0;
			if (p.fam == 4) {
				k4[n4] = (struct fp_spd_key4){ .proto = p.proto,
							       .sport = rte_cpu_to_be_16(p.sport),
							       .dport = rte_cpu_to_be_16(p.dport) };
				memcpy(&k4[n4].src, p.src, 4);
				memcpy(&k4[n4].dst, p.dst, 4);
				p4[n4] = &k4[n4];
				ref4[n4++] = ref;
			} else {
				k6[n6] = (struct fp_spd_key6){ .proto = p.proto,
							       .sport = rte_cpu_to_be_16(p.sport),
							       .dport = rte_cpu_to_be_16(p.dport) };
				memcpy(k6[n6].src, p.src, 16);
				memcpy(k6[n6].dst, p.dst, 16);
				p6[n6] = &k6[n6];
				ref6[n6++] = ref;
			}
		}
		fp_spd_classify4(spd, p4, res4, n4);
		fp_spd_classify6(spd, p6, res6, n6);
		for (unsigned i = 0; i < n4; i++)
			*bad += res4[i] != ref4[i];
		for (unsigned i = 0; i < n6; i++)
			*bad += res6[i] != ref6[i];
		done += b;
	}
	return hits;
}

/* Random sets of 3 to 400 rules built at once, 1.4 million lookups. */
static void test_tiers_vs_reference(void)
{
	static const struct {
		uint32_t n, sets, pkts;
	} plan[] = { { 3, 200, 2000 },
		     { 12, 100, 4000 },
		     { 40, 60, 6000 },
		     { 150, 16, 12000 },
		     { 400, 4, 20000 } };
	unsigned bad = 0, hits = 0, total = 0, exact = 0, acl = 0;
	char err[128] = "";

	FPT_SETUP();
	for (unsigned k = 0; k < sizeof(plan) / sizeof(plan[0]); k++) {
		for (unsigned set = 0; set < plan[k].sets; set++) {
			struct fp_spd_rule *r = calloc(plan[k].n, sizeof(*r));
			struct fp_spd *spd;

			CU_ASSERT_FATAL(r != NULL);
			for (uint32_t i = 0; i < plan[k].n; i++)
				rnd_rule(&r[i], 0x100 + rnd() % 64);
			spd = fp_spd_build(r, plan[k].n, tslot, NULL, 0, err, sizeof(err));
			if (spd == NULL)
				printf("build: %s\n", err);
			CU_ASSERT_FATAL(spd != NULL);
			exact += fp_spd_exact_count(spd);
			acl += fp_spd_rule_count(spd) != 0;
			hits += check_pkts(spd, r, plan[k].n, plan[k].pkts, &bad);
			total += plan[k].pkts;
			fp_spd_free(spd);
			free(r);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(hits > total / 2);
	CU_ASSERT(exact > 1000); /* the tiers were all used */
	CU_ASSERT(acl > 20);
	printf("\n    %u lookups, %u matched a rule, %u wrong\n", total, hits, bad);
}

/* ---- insert/delete sequences ---- */

struct seq {
	struct fp_spd_db *db;
	struct fp_spd *pub;
	struct fp_spd_rule *ref; /* the expected list, priority order */
	uint32_t n, cap;
	unsigned unnamed_bad, unnamed_calls;
};

static void seq_unnamed(void *arg, enum fp_spd_action a, uint32_t spi)
{
	struct seq *q = arg;

	q->unnamed_calls++;
	for (uint32_t i = 0; i < q->n; i++)
		q->unnamed_bad += q->ref[i].action == a && q->ref[i].spi == spi;
}

static void seq_prepend(struct seq *q, unsigned k)
{
	struct fp_spd_rule r[4];
	uint32_t spi = 0x100 + rnd() % 96;
	char err[128];

	for (unsigned i = 0; i < k; i++)
		rnd_rule(&r[i], spi);
	CU_ASSERT_FATAL(fp_spd_db_prepend(q->db, r, k, err, sizeof(err)) == 0);
	memmove(q->ref + k, q->ref, q->n * sizeof(q->ref[0]));
	memcpy(q->ref, r, k * sizeof(r[0]));
	q->n += k;
}

static void seq_del(struct seq *q)
{
	enum fp_spd_action a = rnd() % 5 ? FP_SPD_PROTECT : FP_SPD_TRAP;
	uint32_t spi = 0x100 + rnd() % 96, k = 0, gone;

	gone = fp_spd_db_del(q->db, a, spi);
	for (uint32_t i = 0; i < q->n; i++)
		if (!(q->ref[i].action == a && q->ref[i].spi == spi))
			q->ref[k++] = q->ref[i];
	CU_ASSERT_EQUAL(gone, q->n - k);
	q->n = k;
}

static void seq_retarget(struct seq *q)
{
	uint32_t from = 0x100 + rnd() % 96, to = 0x100 + rnd() % 96;
	char err[128];

	CU_ASSERT(fp_spd_db_retarget(q->db, from, to, err, sizeof(err)) == 0);
	for (uint32_t i = 0; i < q->n; i++)
		if (q->ref[i].action == FP_SPD_PROTECT && q->ref[i].spi == from)
			q->ref[i].spi = to;
}

static void seq_replace(struct seq *q)
{
	char err[128];

	q->n = rnd() % 40;
	for (uint32_t i = 0; i < q->n; i++)
		rnd_rule(&q->ref[i], 0x100 + rnd() % 96);
	CU_ASSERT_FATAL(fp_spd_db_replace(q->db, q->ref, q->n, err, sizeof(err)) == 0);
}

static void seq_step(struct seq *q)
{
	unsigned op = rnd() % 100;

	if (op < 45 && q->n + 4 <= q->cap)
		seq_prepend(q, 1 + rnd() % 4);
	else if (op < 85)
		seq_del(q);
	else if (op < 98)
		seq_retarget(q);
	else
		seq_replace(q);
}

/* The rule list the database gives back is the expected one. */
static bool seq_same_list(struct seq *q, struct fp_spd_rule *tmp)
{
	uint32_t n = fp_spd_db_list(q->db, tmp, q->cap);

	return n == q->n && fp_spd_db_count(q->db) == q->n &&
	       memcmp(tmp, q->ref, n * sizeof(tmp[0])) == 0;
}

static void test_tiers_updates(void)
{
	enum { CAP = 600, STEPS = 700, PKTS = 400 };
	struct seq q = { .cap = CAP };
	struct fp_spd_db_cfg cfg = { .max_rules = CAP,
				     .slot_of = tslot,
				     .unnamed = seq_unnamed,
				     .arg = &q,
				     .publish = &q.pub };
	struct fp_spd_rule *tmp = calloc(CAP, sizeof(*tmp));
	unsigned bad = 0, hits = 0, lists_bad = 0, maxn = 0;
	char err[128] = "";

	FPT_SETUP();
	q.ref = calloc(CAP, sizeof(*q.ref));
	q.db = fp_spd_db_create(&cfg, err, sizeof(err));
	CU_ASSERT_FATAL(q.db != NULL && q.ref != NULL && tmp != NULL);
	for (unsigned step = 0; step < STEPS; step++) {
		/* mostly growth at first, then churn around a few hundred */
		seq_step(&q);
		if (step < 200 && q.n + 4 <= CAP)
			seq_prepend(&q, 1 + rnd() % 4);
		CU_ASSERT_FATAL(fp_spd_db_commit(q.db, err, sizeof(err)) == 0);
		CU_ASSERT_FATAL(q.pub == fp_spd_db_current(q.db));
		hits += check_pkts(q.pub, q.ref, q.n, PKTS, &bad);
		lists_bad += !seq_same_list(&q, tmp);
		maxn = q.n > maxn ? q.n : maxn;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(lists_bad, 0);
	CU_ASSERT_EQUAL(q.unnamed_bad, 0);
	CU_ASSERT(q.unnamed_calls > 50);
	CU_ASSERT(hits > STEPS * PKTS / 3);
	CU_ASSERT(maxn > 200);
	printf("\n    %u steps up to %u rules, %u lookups, %u wrong\n", STEPS, maxn, STEPS * PKTS,
	       bad);
	fp_spd_db_free(q.db);
	CU_ASSERT(q.pub == NULL);
	free(q.ref);
	free(tmp);
}

/* Through the control core: CHILD SA policies prepended and deleted one
 * SA at a time leave no slot behind (slots are collected by the SPIs each
 * change unnamed, not by a scan of every slot). */
static void test_tiers_ctrl_slots(void)
{
	enum { N = 300 };
	struct fp_spd_rule r[2];
	char err[128];

	FPT_SETUP();
	struct fp_ctrl *c = fpt_ctrl_new("spdslots", 1);
	fpt_rule4(&r[0], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255", FP_SPD_BYPASS,
		  0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(c, r, 1, err, sizeof(err)) == 0);
	for (uint32_t i = 0; i < N; i++) {
		uint8_t d[4] = { 203, 0, 113, (uint8_t)i };
		uint32_t host = (uint32_t)(i >> 8);

		fpt_rule4(&r[0], "198.51.100.0", "198.51.100.255", "0.0.0.0", "0.0.0.0",
			  FP_SPD_PROTECT, 0x5000 + i);
		memcpy(r[0].sel.dst_lo, d, 4);
		memcpy(r[0].sel.dst_hi, d, 4);
		r[0].sel.dst_lo[2] = r[0].sel.dst_hi[2] = (uint8_t)(113 + host);
		r[1] = r[0];
		r[1].sel.proto = 17;
		CU_ASSERT_FATAL(fp_ctrl_spd_prepend(c, r, 2, err, sizeof(err)) == 0);
	}
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 2 * N + 1);
	CU_ASSERT_EQUAL(c->st.spd_exact_rules, 2 * N);
	uint8_t src[4] = { 198, 51, 100, 7 }, dst[4] = { 203, 0, 113, 42 };
	uint32_t res = fp_ctrl_spd_result(c, 4, 6, src, dst, 1, 2);
	CU_ASSERT_EQUAL(fp_spd_action(res), FP_SPD_PROTECT);
	CU_ASSERT_EQUAL(c->out[fp_spd_slot(res)].spi, 0x5000 + 42);
	CU_ASSERT(fp_ctrl_spd_retarget(c, 0x5000 + 42, 0x6000, err, sizeof(err)) == 0);
	res = fp_ctrl_spd_result(c, 4, 17, src, dst, 1, 2);
	CU_ASSERT_EQUAL(c->out[fp_spd_slot(res)].spi, 0x6000);
	CU_ASSERT(fp_ctrl_spd_del_sa(c, 0x6000, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(fp_ctrl_spd_lookup(c, 4, 17, src, dst, 1, 2), FP_SPD_BYPASS);
	for (uint32_t i = 0; i < N; i++)
		CU_ASSERT(fp_ctrl_spd_del_sa(c, 0x5000 + i, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 1);
	fp_ctrl_poll(c); /* no worker online: every grace period is over */
	unsigned used = 0, max = fp_sad_max(c->sad);
	for (unsigned i = 0; i < max; i++)
		used += c->out[i].used != 0;
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 0);
	fp_ctrl_free(c);
}

static const struct test_case cases[] = {
	{ "tiers_vs_reference", test_tiers_vs_reference },
	{ "tiers_insert_delete_sequences", test_tiers_updates },
	{ "tiers_ctrl_slots", test_tiers_ctrl_slots },
	{ NULL, NULL },
};
TEST_SUITE(spd_tiers, cases)
