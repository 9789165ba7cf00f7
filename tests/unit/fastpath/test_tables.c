/* Fast-path tables and workers (fastpath/sad.c, spd.c, ctrl.c, worker.c):
 * SAD and SPD against a reference, RCU reclamation only after a grace
 * period, readers on another lcore while the control core changes the
 * tables, and whole gateways wired together through net_ring ports: one
 * worker end to end (punts, bypass, discard, TTL, no route ...), then two
 * workers on one SA, proving unique outbound sequence numbers and correct
 * inbound replay checks with several workers, while SAs of other traffic
 * are installed and removed. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fastpath/ctrl_core_priv.h"
#include "fastpath/frag.h"
#include "fastpath/worker.h"
#include "tests/unit/test.h"
#include "tests/unit/test_eal.h"

static struct rte_mempool *pool;

static int setup(void)
{
	static int state;

	if (state == 0) {
		state = -1;
		if (test_eal_init() != 0)
			return -1;
		pool = rte_pktmbuf_pool_create("tbl_mbufs", 16383, 128, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
		if (pool == NULL)
			return -1;
		state = 1;
	}
	return state > 0 ? 0 : -1;
}
#define SETUP() CU_ASSERT_FATAL(setup() == 0)

static void ip4(const char *s, uint8_t *out)
{
	inet_pton(AF_INET, s, out);
}

static void ip6(const char *s, uint8_t *out)
{
	CU_ASSERT_FATAL(inet_pton(AF_INET6, s, out) == 1);
}

/* AES-GCM-128 tunnel SA between 192.0.2.1 (gateway A) and 192.0.2.2 (B). */
static void gcm(struct fp_sa_params *p, enum fp_dir dir, uint32_t spi, bool a_side)
{
	memset(p, 0, sizeof(*p));
	p->spi = spi;
	p->dir = dir;
	p->mode = FP_MODE_TUNNEL;
	p->outer_family = 4;
	ip4(a_side ? "192.0.2.1" : "192.0.2.2", p->local);
	ip4(a_side ? "192.0.2.2" : "192.0.2.1", p->remote);
	p->cipher = FP_CIPHER_AES_GCM;
	p->cipher_key_len = 20;
	for (int i = 0; i < 20; i++)
		p->cipher_key[i] = (uint8_t)(spi * 7 + i);
	p->replay_window = 4096;
}

/* The same with IPv6 outer addresses 2001:db8::1 (A) and ::2 (B). */
static void gcm6(struct fp_sa_params *p, enum fp_dir dir, uint32_t spi, bool a_side)
{
	gcm(p, dir, spi, a_side);
	p->outer_family = 6;
	memset(p->local, 0, sizeof(p->local));
	memset(p->remote, 0, sizeof(p->remote));
	inet_pton(AF_INET6, a_side ? "2001:db8::1" : "2001:db8::2", p->local);
	inet_pton(AF_INET6, a_side ? "2001:db8::2" : "2001:db8::1", p->remote);
}

static struct fp_ctrl *ctrl_new(const char *name, unsigned nw)
{
	/* Hand-off rings big enough for a whole test burst: the two-worker
	 * test counts every copy. */
	struct fp_ctrl_cfg cfg = { .name = name, .n_workers = nw, .max_sa = 512,
				   .ring_size = 4096, .socket = 0 };
	char err[128] = "";
	struct fp_ctrl *c = fp_ctrl_create(&cfg, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "fp_ctrl_create: %s\n", err);
	CU_ASSERT_FATAL(c != NULL);
	return c;
}

static void add_sa(struct fp_ctrl *c, const struct fp_sa_params *p)
{
	char err[128] = "";
	int rc = fp_ctrl_add_sa(c, p, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "add_sa: %s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
}

static void rule4(struct fp_spd_rule *r, const char *slo, const char *shi, const char *dlo,
		  const char *dhi, enum fp_spd_action a, uint32_t spi)
{
	memset(r, 0, sizeof(*r));
	r->sel.family = 4;
	ip4(slo, r->sel.src_lo);
	ip4(shi, r->sel.src_hi);
	ip4(dlo, r->sel.dst_lo);
	ip4(dhi, r->sel.dst_hi);
	r->sel.sport_hi = r->sel.dport_hi = 65535;
	r->action = a;
	r->spi = spi;
}

/* ---- SAD ---- */

static void test_sad(void)
{
	struct fp_sa_params p;
	struct fp_sa *out[4];
	uint32_t keys[4];
	char err[128];

	SETUP();
	struct fp_ctrl *c = ctrl_new("sad", 2);
	gcm(&p, FP_DIR_IN, 0x1001, false);
	add_sa(c, &p);
	gcm(&p, FP_DIR_IN, 0x1002, false);
	add_sa(c, &p);
	CU_ASSERT_EQUAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)), -EEXIST);
	p.spi = 5;                                  /* reserved */
	CU_ASSERT_EQUAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)), -EINVAL);
	gcm(&p, FP_DIR_OUT, 0x2001, true);
	add_sa(c, &p);
	CU_ASSERT_EQUAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)), -EEXIST);

	keys[0] = rte_cpu_to_be_32(0x1001);
	keys[1] = rte_cpu_to_be_32(0x1003);
	keys[2] = rte_cpu_to_be_32(0x1002);
	keys[3] = rte_cpu_to_be_32(0x2001);         /* outbound: not in the hash */
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
		CU_ASSERT_EQUAL(nn, FP_MAX_BURST - 15);   /* 0x1003 at 3 of 12 places, x3, 64 packets */
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
	gcm(&p, FP_DIR_IN, 0x1005, false);
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
		lo[0] = hi[0] = 198; lo[1] = hi[1] = 51; lo[2] = hi[2] = 100;
	} else {
		lo[0] = hi[0] = 0x20; lo[1] = hi[1] = 0x01; lo[2] = hi[2] = 0x0d; lo[3] = hi[3] = 0xb8;
	}
	uint8_t a = (uint8_t)(rnd() & 0xff), b = (uint8_t)(rnd() & 0xff);
	if (rnd() % 4 == 0) {                       /* any in the /24 (/120) */
		a = 0;
		b = 255;
	}
	lo[alen - 1] = a < b ? a : b;
	hi[alen - 1] = a < b ? b : a;
}

/* nr random policies (both families) through the control core, then np
 * random packets classified by the built SPD and by the reference; the
 * packets that hit a policy. */
static unsigned spd_random_check(struct fp_ctrl *c, struct fp_spd_rule *r, unsigned nr,
				 unsigned np)
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
		CU_FAIL("fp_ctrl_replace_spd");      /* not fatal: callers reset the scan limit */
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

	SETUP();
	struct fp_ctrl *c = ctrl_new("spd", 1);
	hits = spd_random_check(c, r, NR, NP);
	CU_ASSERT(fp_spd_scan_count(fp_ctrl_spd(c)) == 0);   /* > 8 per family: rte_acl */
	CU_ASSERT(hits > NP / 10);
	/* A range that is not a prefix splits into prefixes. */
	rule4(&r[0], "198.51.100.3", "198.51.100.77", "0.0.0.0", "255.255.255.255",
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

	SETUP();
	struct fp_ctrl *c = ctrl_new("spd_scan", 1);
	for (unsigned nr = 1; nr <= FP_SPD_LINEAR_CAP; nr++) {
		uint32_t save = rnd_state;

		fp_spd_set_linear_max(0);
		hits += spd_random_check(c, r, nr, NP);
		CU_ASSERT_EQUAL(fp_spd_scan_count(fp_ctrl_spd(c)), 0);
		rnd_state = save;               /* the scan gets the same rules and packets */
		fp_spd_set_linear_max(FP_SPD_LINEAR_CAP);
		hits += spd_random_check(c, r, nr, NP);
		scanned += fp_spd_scan_count(fp_ctrl_spd(c)) == nr;
	}
	CU_ASSERT_EQUAL(scanned, FP_SPD_LINEAR_CAP);
	CU_ASSERT(hits > FP_SPD_LINEAR_CAP * 2 * NP / 20);
	/* Edges the random ranges miss: whole address and port spaces, a range
	 * that is not a prefix, a port range against a protocol without ports
	 * (its key holds port 0). */
	rule4(&r[0], "198.51.100.3", "198.51.100.77", "0.0.0.0", "255.255.255.255",
	      FP_SPD_DISCARD, 0);
	r[0].sel.dport_lo = 1;
	rule4(&r[1], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255",
	      FP_SPD_BYPASS, 0);
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
	ip6("2001:db8::ffff:ffff:ffff:fff0", r[0].sel.src_lo);
	ip6("2001:db8:0:1::10", r[0].sel.src_hi);
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
		CU_ASSERT_EQUAL(disc, 16);      /* the odd d in [-15, 15] */
	}
	fp_spd_set_linear_max(FP_SPD_LINEAR_DEFAULT);
	fp_ctrl_free(c);
}

/* ---- RCU: nothing is freed before every worker passed a quiescent state ---- */

static void test_rcu_grace(void)
{
	struct fp_sa_params p;
	struct fp_spd_rule r;
	char err[128];

	SETUP();
	struct fp_ctrl *c = ctrl_new("rcu", 1);
	/* This thread plays worker 0: online, reporting nothing yet. */
	CU_ASSERT_FATAL(fp_ctrl_worker_join(c, 0, NULL) == 0);
	gcm(&p, FP_DIR_IN, 0x4001, false);
	add_sa(c, &p);
	gcm(&p, FP_DIR_OUT, 0x4002, true);
	add_sa(c, &p);
	rule4(&r, "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255", FP_SPD_PROTECT,
	      0x4002);
	CU_ASSERT(fp_ctrl_replace_spd(c, &r, 1, err, sizeof(err)) == 0);
	CU_ASSERT(fp_ctrl_replace_spd(c, &r, 1, err, sizeof(err)) == 0);   /* old SPD deferred */
	CU_ASSERT(fp_ctrl_del_sa(c, FP_DIR_IN, 0x4001, err, sizeof(err)) == 0);
	CU_ASSERT(fp_ctrl_del_sa(c, FP_DIR_OUT, 0x4002, err, sizeof(err)) == 0);
	for (int i = 0; i < 5; i++)
		fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 3);      /* SPD, SA in, SA out */
	rte_rcu_qsbr_quiescent(c->rcu, 0);
	fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 0);
	/* A deletion after the quiescent state waits for the next one. */
	gcm(&p, FP_DIR_IN, 0x4003, false);
	add_sa(c, &p);
	CU_ASSERT(fp_ctrl_del_sa(c, FP_DIR_IN, 0x4003, err, sizeof(err)) == 0);
	fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 1);
	rte_rcu_qsbr_quiescent(c->rcu, 0);
	fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 0);
	fp_ctrl_worker_leave(c, 0);
	fp_ctrl_free(c);
}

/* ---- readers on another lcore while the control core writes ---- */

struct reader {
	struct fp_ctrl *c;
	volatile int stop;
	uint64_t loops, bad, hits_other;
};

static int reader_main(void *arg)
{
	struct reader *rd = arg;
	uint32_t keys[8];
	struct fp_sa *out[8];

	rte_rcu_qsbr_thread_register(rd->c->rcu, 0);
	rte_rcu_qsbr_thread_online(rd->c->rcu, 0);
	while (!rd->stop) {
		keys[0] = rte_cpu_to_be_32(0x5000);
		for (unsigned i = 1; i < 8; i++)
			keys[i] = rte_cpu_to_be_32(0x6000 + (uint32_t)((rd->loops * 7 + i) % 64));
		fp_sad_lookup_in(rd->c->sad, keys, 8, out);
		if (out[0] == NULL || out[0]->h.spi_be != keys[0])
			rd->bad++;
		for (unsigned i = 1; i < 8; i++) {
			if (out[i] == NULL)
				continue;
			rd->hits_other++;
			/* A freed and reused entry would show another SPI. */
			if (out[i]->h.spi_be != keys[i] || out[i]->h.process == NULL)
				rd->bad++;
		}
		const struct fp_spd *spd = fp_ctrl_spd(rd->c);
		struct fp_spd_key4 k = { .proto = 17 };
		const struct fp_spd_key4 *kp = &k;
		uint32_t res;
		fp_spd_classify4(spd, &kp, &res, 1);
		if (fp_spd_action(res) != FP_SPD_BYPASS)
			rd->bad++;
		rte_rcu_qsbr_quiescent(rd->c->rcu, 0);
		rd->loops++;
	}
	rte_rcu_qsbr_thread_offline(rd->c->rcu, 0);
	rte_rcu_qsbr_thread_unregister(rd->c->rcu, 0);
	return 0;
}

static void test_concurrent_readers(void)
{
	struct fp_sa_params p;
	struct fp_spd_rule r[2];
	struct reader rd = { 0 };
	char err[128];
	unsigned lc = rte_get_next_lcore(-1, 1, 0);

	SETUP();
	if (lc >= RTE_MAX_LCORE) {
		CU_FAIL("needs a second lcore");
		return;
	}
	struct fp_ctrl *c = ctrl_new("conc", 1);
	gcm(&p, FP_DIR_IN, 0x5000, false);
	add_sa(c, &p);
	rule4(&r[0], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255",
	      FP_SPD_BYPASS, 0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(c, r, 1, err, sizeof(err)) == 0);
	rd.c = c;
	CU_ASSERT_FATAL(rte_eal_remote_launch(reader_main, &rd, lc) == 0);
	for (unsigned round = 0; round < 400; round++) {
		uint32_t spi = 0x6000 + round % 64;

		gcm(&p, FP_DIR_IN, spi, false);
		if (fp_sad_find_in(c->sad, spi) != NULL) {
			CU_ASSERT(fp_ctrl_del_sa(c, FP_DIR_IN, spi, err, sizeof(err)) == 0);
		} else {
			add_sa(c, &p);
		}
		if (round % 20 == 0) {
			/* New SPD generation, same answer for the reader. */
			rule4(&r[1], "203.0.113.0", "203.0.113.255", "0.0.0.0", "255.255.255.255",
			      FP_SPD_DISCARD, 0);
			CU_ASSERT(fp_ctrl_replace_spd(c, r, 1 + (round / 20) % 2,
						      err, sizeof(err)) == 0);
		}
		fp_ctrl_poll(c);
		rte_delay_us(50);
	}
	uint64_t t0 = rte_get_timer_cycles();
	while (fp_ctrl_pending(c) != 0 && rte_get_timer_cycles() - t0 < rte_get_timer_hz() * 5)
		fp_ctrl_poll(c);
	rd.stop = 1;
	rte_eal_wait_lcore(lc);
	CU_ASSERT_EQUAL(rd.bad, 0);
	CU_ASSERT(rd.loops > 100);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 0);
	fp_ctrl_free(c);
}

/* ---- gateways on net_ring ports ---- */

#define NQ 2

/* A gateway: port 0 faces the plaintext side (198.51.100.0/24 and
 * 203.0.113.0/24), port 1 the peer gateway. */
struct gw {
	struct fp_ctrl *c;
	struct fp_dp dp;
	struct fp_routes *routes;
	struct fp_worker *w[NQ];
	uint16_t port[2];
	struct rte_ring *rx[2][NQ], *tx[2][NQ];
	unsigned nw;
};

static uint16_t mkport(const char *name, unsigned nq, struct rte_ring **rx, struct rte_ring **tx)
{
	struct rte_eth_conf conf = { 0 };
	char rn[32];
	int port;

	for (unsigned q = 0; q < nq; q++) {
		snprintf(rn, sizeof(rn), "%s_r%u", name, q);
		rx[q] = rte_ring_create(rn, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(rn, sizeof(rn), "%s_t%u", name, q);
		tx[q] = rte_ring_create(rn, 4096, 0, RING_F_SC_DEQ);
		CU_ASSERT_FATAL(rx[q] != NULL && tx[q] != NULL);
	}
	port = rte_eth_from_rings(name, rx, nq, tx, nq, 0);
	CU_ASSERT_FATAL(port >= 0);
	CU_ASSERT_FATAL(rte_eth_dev_configure((uint16_t)port, (uint16_t)nq, (uint16_t)nq, &conf) == 0);
	for (unsigned q = 0; q < nq; q++) {
		CU_ASSERT_FATAL(rte_eth_rx_queue_setup((uint16_t)port, (uint16_t)q, 1024, 0, NULL,
						       pool) == 0);
		CU_ASSERT_FATAL(rte_eth_tx_queue_setup((uint16_t)port, (uint16_t)q, 1024, 0,
						       NULL) == 0);
	}
	CU_ASSERT_FATAL(rte_eth_dev_start((uint16_t)port) == 0);
	return (uint16_t)port;
}

static void route(struct gw *g, const char *pfx, uint8_t plen, unsigned side)
{
	struct fp_nexthop nh = { .port = g->port[side] };
	uint8_t a[16];

	ip4(pfx, a);
	memset(&nh.dmac, 0x02, sizeof(nh.dmac));
	CU_ASSERT_FATAL(fp_routes_add(g->routes, 4, a, plen, &nh) == 0);
}

static void gw_init(struct gw *g, const char *name, const char *addr, unsigned nw)
{
	char nm[32];

	memset(g, 0, sizeof(*g));
	g->nw = nw;
	g->c = ctrl_new(name, nw);
	snprintf(nm, sizeof(nm), "%s_p0", name);
	g->port[0] = mkport(nm, NQ, g->rx[0], g->tx[0]);
	snprintf(nm, sizeof(nm), "%s_p1", name);
	g->port[1] = mkport(nm, NQ, g->rx[1], g->tx[1]);
	snprintf(nm, sizeof(nm), "%s_rt", name);
	g->routes = fp_routes_create(nm, 64, 0);
	CU_ASSERT_FATAL(g->routes != NULL);
	route(g, "198.51.100.0", 24, 0);
	route(g, "203.0.113.0", 24, 0);
	route(g, "192.0.2.0", 24, 1);
	g->dp.ctrl = g->c;
	g->dp.routes = g->routes;
	g->dp.local.n4 = 1;
	inet_pton(AF_INET, addr, &g->dp.local.a4[0]);
	g->dp.local.natt_port = 4500;
	g->dp.local.ike_port = 500;
	for (unsigned i = 0; i < nw; i++) {
		struct fp_worker_cfg wc = { .id = i, .dp = &g->dp, .txq = (uint16_t)i };

		/* Worker i polls queue i of both ports. */
		for (unsigned s = 0; s < 2; s++) {
			wc.rxq[s].port = g->port[s];
			wc.rxq[s].queue = (uint16_t)i;
		}
		wc.n_rxq = 2;
		g->w[i] = fp_worker_create(&wc);
		CU_ASSERT_FATAL(g->w[i] != NULL);
	}
}

static void ring_drain_free(struct rte_ring *r)
{
	void *m;

	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

static void gw_fini(struct gw *g)
{
	for (unsigned i = 0; i < g->nw; i++)
		fp_worker_free(g->w[i]);
	for (unsigned s = 0; s < 2; s++) {
		rte_eth_dev_stop(g->port[s]);
		rte_eth_dev_close(g->port[s]);
		for (unsigned q = 0; q < NQ; q++) {
			ring_drain_free(g->rx[s][q]);
			ring_drain_free(g->tx[s][q]);
			rte_ring_free(g->rx[s][q]);
			rte_ring_free(g->tx[s][q]);
		}
	}
	fp_routes_free(g->routes);
	fp_ctrl_free(g->c);
}

/* Ethernet + IPv4 + UDP with a 32-bit id in the payload. */
static struct rte_mbuf *udp_pkt(const char *src, const char *dst, uint16_t sport,
				uint16_t dport, uint32_t id, uint8_t ttl, size_t paylen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t len = (uint16_t)(20 + 8 + paylen);
	uint8_t *b;
	uint32_t sum = 0;

	CU_ASSERT_FATAL(m != NULL);
	b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + len));
	memset(b, 0, 14u + len);
	memset(b, 0x02, 12);
	b[12] = 0x08;
	uint8_t *ip = b + 14;
	ip[0] = 0x45; ip[2] = (uint8_t)(len >> 8); ip[3] = (uint8_t)len;
	ip[8] = ttl; ip[9] = 17;
	ip4(src, ip + 12);
	ip4(dst, ip + 16);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8); ip[11] = (uint8_t)~sum;
	uint8_t *u = ip + 20;
	u[0] = (uint8_t)(sport >> 8); u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8); u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((8 + paylen) >> 8); u[5] = (uint8_t)(8 + paylen);
	if (paylen >= 4) {
		u[8] = (uint8_t)(id >> 24); u[9] = (uint8_t)(id >> 16);
		u[10] = (uint8_t)(id >> 8); u[11] = (uint8_t)id;
	}
	return m;
}

static unsigned ring_take(struct rte_ring *r, struct rte_mbuf **out, unsigned max)
{
	return rte_ring_dequeue_burst(r, (void **)out, max, NULL);
}

static uint64_t wdrops(struct gw *g, unsigned reason)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < g->nw; i++)
		n += fp_worker_stats(g->w[i])->drops[reason];
	return n;
}

/* One worker each, driven from this thread: A encrypts, B decrypts. */
static void test_worker_end_to_end(void)
{
	struct gw a, b;
	struct fp_sa_params p;
	struct fp_spd_rule r[3];
	struct rte_mbuf *mb[64];
	char err[128];
	unsigned n;

	SETUP();
	gw_init(&a, "gwa", "192.0.2.1", 1);
	gw_init(&b, "gwb", "192.0.2.2", 1);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(a.c, 0, a.w[0]) == 0);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(b.c, 0, b.w[0]) == 0);
	gcm(&p, FP_DIR_OUT, 0x7001, true);
	add_sa(a.c, &p);
	gcm(&p, FP_DIR_IN, 0x7001, false);
	p.n_sel = 1;                           /* inner policy: 198.51.100/24 -> 203.0.113/24 */
	p.sel[0].family = 4;
	ip4("198.51.100.0", p.sel[0].src_lo); ip4("198.51.100.255", p.sel[0].src_hi);
	ip4("203.0.113.0", p.sel[0].dst_lo); ip4("203.0.113.255", p.sel[0].dst_hi);
	p.sel[0].sport_hi = p.sel[0].dport_hi = 65535;
	add_sa(b.c, &p);
	rule4(&r[0], "198.51.100.0", "198.51.100.255", "203.0.113.0", "203.0.113.255",
	      FP_SPD_PROTECT, 0x7001);
	rule4(&r[1], "198.51.100.9", "198.51.100.9", "0.0.0.0", "255.255.255.255",
	      FP_SPD_DISCARD, 0);
	rule4(&r[2], "198.51.100.10", "198.51.100.10", "0.0.0.0", "255.255.255.255",
	      FP_SPD_BYPASS, 0);
	/* discard/bypass for .9/.10 must come first: order is priority. */
	struct fp_spd_rule ord[3] = { r[1], r[2], r[0] };
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, ord, 3, err, sizeof(err)) == 0);

	/* 10 protected packets, then one each: discard, bypass, no policy,
	 * TTL 1, and a protected one whose SA is not installed yet. */
	for (uint32_t i = 0; i < 10; i++)
		mb[i] = udp_pkt("198.51.100.1", "203.0.113.5", 1000, 2000, i, 64, 100);
	mb[10] = udp_pkt("198.51.100.9", "203.0.113.5", 1, 2, 0, 64, 10);
	mb[11] = udp_pkt("198.51.100.10", "203.0.113.5", 1, 2, 0, 64, 10);
	mb[12] = udp_pkt("198.51.100.11", "192.0.2.77", 1, 2, 0, 64, 10);
	mb[13] = udp_pkt("198.51.100.1", "203.0.113.5", 1, 2, 0, 1, 10);
	fp_worker_input(a.w[0], mb, 14);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_DISCARD), 1);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_NO_POLICY), 1);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_TTL), 1);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->bypass, 1);
	n = ring_take(a.tx[0][0], mb, 64);          /* bypass goes to the plaintext side */
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free_bulk(mb, n);
	n = ring_take(a.tx[1][0], mb, 64);          /* ESP to the peer */
	CU_ASSERT_EQUAL_FATAL(n, 10);
	CU_ASSERT_EQUAL(rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14 + 9)[0], 50);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->port[a.port[1]].tx, 10);

	/* To B, duplicating packet 3 and adding a packet with an unknown SPI,
	 * an IKE packet, an NAT-T IKE packet (non-ESP marker) and ARP. */
	mb[10] = rte_pktmbuf_copy(mb[3], pool, 0, UINT32_MAX);
	mb[11] = rte_pktmbuf_copy(mb[4], pool, 0, UINT32_MAX);
	rte_pktmbuf_mtod_offset(mb[11], uint8_t *, 14 + 20)[3] ^= 1;     /* SPI */
	mb[12] = udp_pkt("192.0.2.1", "192.0.2.2", 500, 500, 0, 64, 40);
	mb[13] = udp_pkt("192.0.2.1", "192.0.2.2", 4500, 4500, 0, 64, 40);  /* marker 0 */
	mb[14] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 1, 0, 64, 4);
	rte_pktmbuf_mtod(mb[14], uint8_t *)[12] = 0x08;
	rte_pktmbuf_mtod(mb[14], uint8_t *)[13] = 0x06;                   /* ARP */
	mb[15] = udp_pkt("192.0.2.1", "192.0.2.2", 7, 9, 0, 64, 4);        /* to us */
	fp_worker_input(b.w[0], mb, 16);
	n = ring_take(b.tx[0][0], mb, 64);
	CU_ASSERT_EQUAL(n, 10);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14);

		CU_ASSERT_EQUAL(ip[8], 62);                      /* TTL: A and B */
		CU_ASSERT_EQUAL(ip[20 + 8 + 3], i);              /* ids in order */
		CU_ASSERT_EQUAL(mb[i]->pkt_len, 14u + 20 + 8 + 100);
	}
	rte_pktmbuf_free_bulk(mb, n);
	CU_ASSERT_EQUAL(wdrops(&b, FP_DROP_REPLAY), 1);
	CU_ASSERT_EQUAL(wdrops(&b, FP_DROP_NO_SA), 1);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->punt, 4);
	CU_ASSERT_EQUAL(fp_ctrl_poll(b.c), 4);                 /* punts drained */
	struct fp_ctrl_stats cs;
	fp_ctrl_get_stats(b.c, &cs);
	CU_ASSERT_EQUAL(cs.punted, 4);

	/* No route: a bypass to an address with no route. */
	rule4(&r[0], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255",
	      FP_SPD_BYPASS, 0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 1, err, sizeof(err)) == 0);
	mb[0] = udp_pkt("198.51.100.1", "100.64.0.1", 1, 2, 0, 64, 10);
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_NO_ROUTE), 1);

	/* Tunnel-mode runs are routed once, by the SA's peer: an IPv6 peer
	 * with no route drops the run; with a route it leaves on that port
	 * as IPv6. */
	gcm6(&p, FP_DIR_OUT, 0x7002, true);
	add_sa(a.c, &p);
	rule4(&r[0], "198.51.100.20", "198.51.100.20", "0.0.0.0", "255.255.255.255",
	      FP_SPD_PROTECT, 0x7002);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 1, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < 2; i++)
		mb[i] = udp_pkt("198.51.100.20", "203.0.113.5", 1, 2, 0, 64, 10);
	fp_worker_input(a.w[0], mb, 2);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_NO_ROUTE), 3);
	struct fp_nexthop nh6 = { .port = a.port[1] };
	uint8_t pfx6[16];
	inet_pton(AF_INET6, "2001:db8::", pfx6);
	CU_ASSERT_FATAL(fp_routes_add(a.routes, 6, pfx6, 32, &nh6) == 0);
	for (unsigned i = 0; i < 2; i++)
		mb[i] = udp_pkt("198.51.100.20", "203.0.113.5", 1, 2, 0, 64, 10);
	fp_worker_input(a.w[0], mb, 2);
	n = ring_take(a.tx[1][0], mb, 64);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = rte_pktmbuf_mtod(mb[i], const uint8_t *);

		CU_ASSERT(e[12] == 0x86 && e[13] == 0xdd && (e[14] >> 4) == 6 && e[14 + 6] == 50);
	}
	rte_pktmbuf_free_bulk(mb, n);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_NO_ROUTE), 3);

	fp_ctrl_worker_leave(a.c, 0);
	fp_ctrl_worker_leave(b.c, 0);
	gw_fini(&a);
	gw_fini(&b);
}

/* Worker 0 of gateway a joined, everything from 198.51.100.0/24 bypassed. */
static void bypass_lan(struct gw *a)
{
	struct fp_spd_rule r;
	char err[128];

	CU_ASSERT_FATAL(fp_ctrl_worker_join(a->c, 0, a->w[0]) == 0);
	rule4(&r, "198.51.100.0", "198.51.100.255", "0.0.0.0", "255.255.255.255",
	      FP_SPD_BYPASS, 0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a->c, &r, 1, err, sizeof(err)) == 0);
}

/* n bypassed UDP packets (ids id0..) onto gateway a's LAN RX queue 0. */
static void lan_enqueue(struct gw *a, unsigned n, uint16_t id0)
{
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_FATAL(rte_ring_enqueue(a->rx[0][0], udp_pkt("198.51.100.1", "192.0.2.50",
			1, 2, (uint16_t)(id0 + i), 64, 10)) == 0);
}

/* fastpath.rx_burst: a poll takes at most rx_burst packets of a queue. */
static void test_worker_rx_burst(void)
{
	struct gw a;
	struct rte_mbuf *mb[64];
	const struct fp_worker_stats *st;
	struct fp_worker_cfg wc;
	unsigned out = 0;

	SETUP();
	gw_init(&a, "gwr", "192.0.2.1", 1);
	memset(&wc, 0, sizeof(wc));
	wc.dp = &a.dp;
	for (unsigned s = 0; s < 2; s++)
		wc.rxq[s].port = a.port[s];
	wc.n_rxq = 2;
	wc.rx_burst = FP_RX_BURST_MAX + 1;
	CU_ASSERT(fp_worker_create(&wc) == NULL);
	wc.rx_burst = 4;
	fp_worker_free(a.w[0]);
	a.w[0] = fp_worker_create(&wc);
	CU_ASSERT_FATAL(a.w[0] != NULL);
	bypass_lan(&a);
	st = fp_worker_stats(a.w[0]);
	lan_enqueue(&a, 10, 0);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 0);
	CU_ASSERT_EQUAL(st->rx, 4);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 4);
	CU_ASSERT_EQUAL(st->rx, 8);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 4);
	CU_ASSERT_EQUAL(st->rx, 10);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 2);
	out = ring_take(a.tx[1][0], mb, 64);
	CU_ASSERT_EQUAL(out, 10);
	rte_pktmbuf_free_bulk(mb, out);
	fp_ctrl_worker_leave(a.c, 0);
	gw_fini(&a);
}

/* Worker 0 of g made again with an MTU on port 1 (the peer side) and a
 * reassembly table of reasm datagrams (0: none). */
static void gw_rework(struct gw *g, uint16_t mtu1, uint32_t reasm)
{
	struct fp_worker_cfg wc = { .id = 0, .dp = &g->dp, .reasm_max = reasm,
				    .reasm_timeout_ms = 50 };

	g->dp.mtu[g->port[1]] = mtu1;
	for (unsigned s = 0; s < 2; s++)
		wc.rxq[s].port = g->port[s];
	wc.n_rxq = 2;
	fp_worker_free(g->w[0]);
	g->w[0] = fp_worker_create(&wc);
	CU_ASSERT_FATAL(g->w[0] != NULL);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(g->c, 0, g->w[0]) == 0);
}

static uint16_t be16at(const struct rte_mbuf *m, uint32_t off)
{
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);

	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Puts an IPv6 Fragment header (offset/M field fo) after the fixed
 * header of Ethernet + IPv6 frame m. */
static void ins_frag6(struct rte_mbuf *m, uint16_t fo)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, 8), *ip;

	if (p == NULL) {
		CU_FAIL("no headroom for a Fragment header");
		return;
	}
	ip = p + 14;
	memmove(p, p + 8, 14 + 40);
	ip[40] = ip[6];
	ip[41] = 0;
	ip[42] = (uint8_t)(fo >> 8);
	ip[43] = (uint8_t)fo;
	memcpy(ip + 44, "\x12\x34\x56\x78", 4);
	ip[6] = 44;
	uint16_t pl = (uint16_t)((ip[4] << 8 | ip[5]) + 8);
	ip[4] = (uint8_t)(pl >> 8);
	ip[5] = (uint8_t)pl;
}

/* Fragments of one datagram: proto / l4[0..plen) from src to dst, the
 * first of first bytes, then pieces of 1,232 (multiples of 8), IPv4 or
 * IPv6 (a Fragment header after the fixed one); into out[], returns how
 * many. */
static unsigned frags_of(int fam, const char *src, const char *dst, uint8_t proto,
			 const uint8_t *l4, uint32_t plen, uint32_t id, uint32_t first,
			 struct rte_mbuf **out)
{
	unsigned n = 0;

	for (uint32_t off = 0, piece = first; off < plen; off += piece, piece = 1232, n++) {
		uint32_t k = RTE_MIN(piece, plen - off), hl = fam == 4 ? 20 : 48;
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *b, *ip;
		bool more = off + k < plen;

		CU_ASSERT_FATAL(m != NULL);
		b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + hl + k));
		CU_ASSERT_FATAL(b != NULL);
		memset(b, 0, 14 + hl);
		memset(b, 0x02, 12);
		ip = b + 14;
		if (fam == 4) {
			b[12] = 0x08;
			ip[0] = 0x45;
			ip[2] = (uint8_t)((hl + k) >> 8); ip[3] = (uint8_t)(hl + k);
			ip[4] = (uint8_t)(id >> 8); ip[5] = (uint8_t)id;
			ip[6] = (uint8_t)((more ? 0x20 : 0) | (off / 8) >> 8); ip[7] = (uint8_t)(off / 8);
			ip[8] = 64; ip[9] = proto;
			ip4(src, ip + 12);
			ip4(dst, ip + 16);
			((struct rte_ipv4_hdr *)ip)->hdr_checksum =
				rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
		} else {
			b[12] = 0x86; b[13] = 0xdd;
			ip[0] = 0x60;
			ip[4] = (uint8_t)((8 + k) >> 8); ip[5] = (uint8_t)(8 + k);
			ip[6] = 44; ip[7] = 64;
			ip6(src, ip + 8);
			ip6(dst, ip + 24);
			ip[40] = proto;
			ip[42] = (uint8_t)(off >> 8); ip[43] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
			ip[44] = (uint8_t)(id >> 24); ip[45] = (uint8_t)(id >> 16);
			ip[46] = (uint8_t)(id >> 8); ip[47] = (uint8_t)id;
		}
		memcpy(ip + hl, l4 + off, k);
		out[n] = m;
	}
	return n;
}

/* on_punt of the control core in the next test: keeps what it is given. */
struct grabbed {
	struct rte_mbuf *m[4];
	unsigned n;
};

static void grab(void *arg, struct rte_mbuf *m)
{
	struct grabbed *g = arg;

	if (g->n < RTE_DIM(g->m))
		g->m[g->n++] = m;
	else
		rte_pktmbuf_free(m);
}

/* A reassembled datagram to the gateway larger than one mbuf: IKE (UDP to
 * 500, or to 4500 with the non-ESP marker) and other traffic for the
 * control core is punted as a chain with its bytes and a valid IPv4
 * header; ESP (and ESP in UDP) that size is dropped, each fragment
 * counted as `frag`. */
static void test_worker_big_datagrams_punted(void)
{
	static const struct {
		int fam; uint8_t proto; uint16_t dport; uint32_t marker, first; bool punt;
	} cases[] = {
		{ 4, 17, 500, 0x11223344, 1232, true },   /* IKE_SA_INIT of 3,000 bytes */
		{ 4, 17, 4500, 0, 1232, true },           /* IKE after NAT-T */
		{ 4, 17, 4500, 0x00001234, 1232, false }, /* ESP in UDP, SPI 0x1234 */
		{ 4, 50, 0, 0, 1232, false },             /* ESP */
		/* First fragment of 8 bytes, the UDP header: the marker is in the
		 * second segment. */
		{ 4, 17, 4500, 0, 8, true },
		{ 4, 17, 4500, 0x00001234, 8, false },
		{ 6, 17, 500, 0x55667788, 1232, true },
		{ 6, 17, 4500, 0, 8, true },
		{ 6, 17, 4500, 0x00001234, 8, false },
		{ 6, 50, 0, 0, 1232, false },
	};
	struct gw b;
	struct rte_mbuf *f[8], **got;
	struct grabbed gr;
	uint8_t l4[3000];
	uint64_t punts = 0, frag_drops = 0, reasm = 0;
	unsigned avail;

	SETUP();
	avail = rte_mempool_avail_count(pool);
	got = gr.m;
	gw_init(&b, "gbig", "192.0.2.2", 1);
	b.dp.local.n6 = 1;
	inet_pton(AF_INET6, "2001:db8::2", b.dp.local.a6[0]);
	gw_rework(&b, 0, 64);
	for (unsigned c = 0; c < RTE_DIM(cases); c++) {
		const char *src = cases[c].fam == 4 ? "192.0.2.7" : "2001:db8::7";
		const char *dst = cases[c].fam == 4 ? "192.0.2.2" : "2001:db8::2";
		uint32_t hl = cases[c].fam == 4 ? 20 : 40;
		unsigned n;

		for (unsigned i = 0; i < sizeof(l4); i++)
			l4[i] = (uint8_t)(i * 13 + c);
		if (cases[c].proto == 17) {
			l4[0] = 0x01; l4[1] = 0xf4;                    /* from 500 */
			l4[2] = (uint8_t)(cases[c].dport >> 8); l4[3] = (uint8_t)cases[c].dport;
			l4[4] = (uint8_t)(sizeof(l4) >> 8); l4[5] = (uint8_t)sizeof(l4);
			l4[6] = l4[7] = 0;
			l4[8] = (uint8_t)(cases[c].marker >> 24); l4[9] = (uint8_t)(cases[c].marker >> 16);
			l4[10] = (uint8_t)(cases[c].marker >> 8); l4[11] = (uint8_t)cases[c].marker;
		}
		n = frags_of(cases[c].fam, src, dst, cases[c].proto, l4, sizeof(l4), 0x4000 + c,
			     cases[c].first, f);
		CU_ASSERT_EQUAL_FATAL(n, cases[c].first == 8 ? 4u : 3u);
		fp_worker_input(b.w[0], f, (uint16_t)n);
		if (cases[c].punt) {
			punts++;
			reasm++;
		} else {
			frag_drops += n;
		}
		CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->punt, punts);
		CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->reassembled, reasm);
		CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), frag_drops);
		/* The control core's poll hands it to on_punt. */
		gr.n = 0;
		b.c->cfg.on_punt = grab;
		b.c->cfg.arg = &gr;
		while (fp_ctrl_poll(b.c) != 0)
			;
		b.c->cfg.on_punt = NULL;
		n = gr.n;
		CU_ASSERT_EQUAL(n, cases[c].punt ? 1u : 0u);
		if (n == 1) {
			uint8_t whole[14 + 40 + sizeof(l4)];
			const uint8_t *w = rte_pktmbuf_read(got[0], 0, 14 + hl + sizeof(l4), whole);

			CU_ASSERT(got[0]->nb_segs > 1);
			CU_ASSERT_EQUAL(got[0]->pkt_len, 14 + hl + sizeof(l4));
			CU_ASSERT_FATAL(w != NULL);
			CU_ASSERT(memcmp(w + 14 + hl, l4, sizeof(l4)) == 0);
			if (cases[c].fam == 4) {
				CU_ASSERT_EQUAL(be16at(got[0], 14 + 2), 20 + sizeof(l4));
				CU_ASSERT_EQUAL(be16at(got[0], 14 + 6) & 0x3fff, 0);
				CU_ASSERT_EQUAL(rte_raw_cksum(w + 14, 20), 0xffff);
			} else {
				CU_ASSERT_EQUAL(w[14 + 6], cases[c].proto);   /* no Fragment header */
				CU_ASSERT_EQUAL(be16at(got[0], 14 + 4), sizeof(l4));
			}
			rte_pktmbuf_free(got[0]);
		}
	}
	CU_ASSERT_EQUAL(b.c->punt_chains, 0);          /* every chain taken off again */

	/* At most FP_PUNT_CHAINS wait on the punt ring; more are dropped as
	 * ring_full until the control core takes some off. */
	memset(l4, 0, 12);
	l4[0] = 0x01; l4[1] = 0xf4; l4[2] = 0x01; l4[3] = 0xf4;
	l4[4] = (uint8_t)(sizeof(l4) >> 8); l4[5] = (uint8_t)sizeof(l4);
	for (unsigned i = 0; i <= FP_PUNT_CHAINS; i++) {
		unsigned n = frags_of(4, "192.0.2.7", "192.0.2.2", 17, l4, sizeof(l4), 0x5000 + i,
				      1232, f);

		fp_worker_input(b.w[0], f, (uint16_t)n);
	}
	CU_ASSERT_EQUAL(b.c->punt_chains, FP_PUNT_CHAINS);
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_RING_FULL), 1);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->punt, punts + FP_PUNT_CHAINS);
	while (fp_ctrl_poll(b.c) != 0)
		;
	CU_ASSERT_EQUAL(b.c->punt_chains, 0);
	CU_ASSERT_EQUAL(frags_of(4, "192.0.2.7", "192.0.2.2", 17, l4, sizeof(l4), 0x5100, 1232, f),
			3);
	fp_worker_input(b.w[0], f, 3);
	CU_ASSERT_EQUAL(b.c->punt_chains, 1);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->punt, punts + FP_PUNT_CHAINS + 1);
	while (fp_ctrl_poll(b.c) != 0)
		;
	gw_fini(&b);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);  /* every mbuf back */
}

/* Our ESP over the peer port's MTU leaves in fragments (IPv4 outer and
 * IPv6 outer, a fresh identification per packet), the peer gateway
 * reassembles them in any order and decrypts; bypassed packets with DF
 * are dropped as `mtu`; broken, duplicated and unreassembled fragments
 * are counted as `frag`. */
static void test_worker_fragments(void)
{
	struct gw a, b;
	struct fp_sa_params p;
	struct fp_spd_rule r[6];
	struct rte_mbuf *mb[64], *f[64];
	char err[128];
	unsigned n, nf;
	uint16_t id0;

	SETUP();
	gw_init(&a, "gfa", "192.0.2.1", 1);
	gw_init(&b, "gfb", "192.0.2.2", 1);
	gw_rework(&a, 1280, 0);
	gw_rework(&b, 0, 64);
	b.dp.local.n6 = 1;
	inet_pton(AF_INET6, "2001:db8::2", b.dp.local.a6[0]);
	struct fp_nexthop nh6 = { .port = a.port[1] };
	uint8_t pfx6[16];
	inet_pton(AF_INET6, "2001:db8::", pfx6);
	CU_ASSERT_FATAL(fp_routes_add(a.routes, 6, pfx6, 32, &nh6) == 0);

	gcm(&p, FP_DIR_OUT, 0x7101, true);                     /* IPv4 outer */
	add_sa(a.c, &p);
	gcm(&p, FP_DIR_IN, 0x7101, false);
	add_sa(b.c, &p);
	gcm6(&p, FP_DIR_OUT, 0x7102, true);                    /* IPv6 outer */
	add_sa(a.c, &p);
	gcm6(&p, FP_DIR_IN, 0x7102, false);
	add_sa(b.c, &p);
	rule4(&r[0], "198.51.100.1", "198.51.100.1", "0.0.0.0", "255.255.255.255",
	      FP_SPD_PROTECT, 0x7101);
	rule4(&r[1], "198.51.100.2", "198.51.100.2", "0.0.0.0", "255.255.255.255",
	      FP_SPD_PROTECT, 0x7102);
	rule4(&r[2], "198.51.100.3", "198.51.100.3", "0.0.0.0", "255.255.255.255",
	      FP_SPD_BYPASS, 0);
	gcm(&p, FP_DIR_OUT, 0x7103, true);          /* a second SA to the same peer */
	add_sa(a.c, &p);
	rule4(&r[3], "198.51.100.4", "198.51.100.4", "0.0.0.0", "255.255.255.255",
	      FP_SPD_PROTECT, 0x7103);
	/* ICMP errors from A to the LAN; any IPv6 bypassed. */
	rule4(&r[4], "192.0.2.1", "192.0.2.1", "198.51.100.0", "198.51.100.255",
	      FP_SPD_BYPASS, 0);
	memset(&r[5], 0, sizeof(r[5]));
	r[5].sel.family = 6;
	memset(r[5].sel.src_hi, 0xff, 16);
	memset(r[5].sel.dst_hi, 0xff, 16);
	r[5].sel.sport_hi = r[5].sel.dport_hi = 65535;
	r[5].action = FP_SPD_BYPASS;
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 6, err, sizeof(err)) == 0);

	/* 3 packets per SA whose ESP is over 1280 bytes, 2 small ones. */
	for (uint32_t i = 0; i < 3; i++) {
		mb[i] = udp_pkt("198.51.100.1", "203.0.113.5", 1, 2, 100 + i, 64, 1240);
		mb[3 + i] = udp_pkt("198.51.100.2", "203.0.113.5", 1, 2, 200 + i, 64, 1240);
	}
	mb[6] = udp_pkt("198.51.100.1", "203.0.113.5", 1, 2, 300, 64, 100);
	mb[7] = udp_pkt("198.51.100.2", "203.0.113.5", 1, 2, 301, 64, 100);
	fp_worker_input(a.w[0], mb, 8);
	nf = ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(nf, 14);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->frag_out, 12);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->esp_out, 8);
	/* IPv4 fragments: DF clear, MF on the first, offsets in 8s, a
	 * checksum that verifies, and one identification per packet. */
	id0 = be16at(f[0], 14 + 4);
	for (unsigned i = 0; i < 6; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[i], const uint8_t *, 14);
		uint16_t fo = be16at(f[i], 14 + 6);

		CU_ASSERT(f[i]->pkt_len <= 14u + 1280);
		CU_ASSERT_EQUAL(ip[0], 0x45);
		CU_ASSERT_EQUAL(be16at(f[i], 14 + 2), f[i]->pkt_len - 14);
		CU_ASSERT_EQUAL(fo & 0x4000, 0);
		CU_ASSERT_EQUAL(fo & 0x2000, i % 2 == 0 ? 0x2000 : 0);
		CU_ASSERT_EQUAL(fo & 0x1fff, i % 2 == 0 ? 0 : (1280 - 20) / 8);
		CU_ASSERT_EQUAL(be16at(f[i], 14 + 4), (uint16_t)(id0 + i / 2));
		CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
	}
	/* IPv6 fragments: a Fragment header after the fixed one, next
	 * header ESP inside it, M on the first, one identification each. */
	for (unsigned i = 6; i < 12; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[i], const uint8_t *, 14);
		uint16_t fo = be16at(f[i], 14 + 42);

		CU_ASSERT(f[i]->pkt_len <= 14u + 1280);
		CU_ASSERT_EQUAL(ip[6], 44);
		CU_ASSERT_EQUAL(ip[40], 50);
		CU_ASSERT_EQUAL(be16at(f[i], 14 + 4), f[i]->pkt_len - 14 - 40);
		CU_ASSERT_EQUAL(fo & 1, i % 2 == 0 ? 1 : 0);
		CU_ASSERT_EQUAL(fo & ~7u, i % 2 == 0 ? 0 : (1280 - 48) & ~7u);
		CU_ASSERT_EQUAL(memcmp(ip + 44, rte_pktmbuf_mtod_offset(f[i ^ 1], uint8_t *, 14 + 44),
				       4), 0);
		if (i >= 8)
			CU_ASSERT(memcmp(ip + 44, rte_pktmbuf_mtod_offset(f[i - 2], uint8_t *, 14 + 44),
					 4) != 0);
	}
	/* The second SA's first packet (sequence number 1, like the first
	 * SA's) gets an identification of its own: the peer keys
	 * reassembly on addresses, protocol and identification only. */
	mb[0] = udp_pkt("198.51.100.4", "203.0.113.5", 1, 2, 400, 64, 1240);
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL_FATAL(ring_take(a.tx[1][0], mb, 64), 2);
	for (unsigned i = 0; i < 6; i++)
		CU_ASSERT(be16at(mb[0], 14 + 4) != be16at(f[i], 14 + 4));
	CU_ASSERT_EQUAL(be16at(mb[0], 14 + 4), be16at(mb[1], 14 + 4));
	rte_pktmbuf_free_bulk(mb, 2);

	/* To B: every second fragment first, then the first ones. */
	for (unsigned i = 0; i < 6; i++) {
		mb[i] = f[2 * i + 1];
		mb[6 + i] = f[2 * i];
	}
	mb[12] = f[12];
	mb[13] = f[13];
	fp_worker_input(b.w[0], mb, 14);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->frag_in, 12);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->reassembled, 6);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->esp_in, 8);
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 0);
	n = ring_take(b.tx[0][0], mb, 64);
	CU_ASSERT_EQUAL_FATAL(n, 8);
	unsigned seen[400] = { 0 };
	for (unsigned i = 0; i < n; i++) {
		uint32_t id = be16at(mb[i], 14 + 20 + 8 + 2);
		uint32_t want = id >= 300 ? 14u + 20 + 8 + 100 : 14u + 20 + 8 + 1240;

		CU_ASSERT_EQUAL(mb[i]->pkt_len, want);
		CU_ASSERT_EQUAL(mb[i]->nb_segs, 1);
		CU_ASSERT_EQUAL(rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14 + 28 + 4)[0], 0);
		if (id < 400)
			seen[id]++;
	}
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT(seen[100 + i] == 1 && seen[200 + i] == 1);
	CU_ASSERT(seen[300] == 1 && seen[301] == 1);
	rte_pktmbuf_free_bulk(mb, n);

	/* An IPv6 atomic fragment (offset 0, M clear) is a whole packet
	 * (RFC 6946); one inside another is dropped. */
	mb[0] = udp_pkt("198.51.100.2", "203.0.113.5", 1, 2, 500, 64, 100);
	mb[1] = udp_pkt("198.51.100.2", "203.0.113.5", 1, 2, 501, 64, 100);
	fp_worker_input(a.w[0], mb, 2);
	CU_ASSERT_EQUAL_FATAL(ring_take(a.tx[1][0], mb, 64), 2);
	ins_frag6(mb[0], 0);
	ins_frag6(mb[1], 0);
	ins_frag6(mb[1], 0);
	fp_worker_input(b.w[0], mb, 2);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->esp_in, 9);
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 1);
	n = ring_take(b.tx[0][0], mb, 64);
	CU_ASSERT_EQUAL(n, 1);
	if (n == 1)
		CU_ASSERT_EQUAL(be16at(mb[0], 14 + 20 + 8 + 2), 500);
	rte_pktmbuf_free_bulk(mb, n);

	/* Bypassed and too big: DF set is `mtu`, without DF two fragments. */
	mb[0] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;       /* DF */
	mb[1] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	fp_worker_input(a.w[0], mb, 2);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_MTU), 1);
	n = ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL(n, 2);
	if (n == 2)                  /* forwarded: the source's identification */
		CU_ASSERT_EQUAL(be16at(f[0], 14 + 4), be16at(f[1], 14 + 4));
	rte_pktmbuf_free_bulk(f, n);
	/* The DF packet's source was told, from A's address, through the
	 * SPD (rule 4) to the LAN: type 3 code 4, next-hop MTU 1280, the
	 * packet's header quoted, checksums that verify. */
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, 1);
	n = ring_take(a.tx[0][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	{
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[0], const uint8_t *, 14);
		const uint8_t *ic = ip + 20;
		uint8_t want_src[4], want_dst[4];

		ip4("192.0.2.1", want_src);
		ip4("198.51.100.3", want_dst);
		CU_ASSERT_EQUAL(f[0]->pkt_len, 14u + 576);
		CU_ASSERT(ip[0] == 0x45 && ip[9] == 1 && ip[8] == 63);
		CU_ASSERT(memcmp(ip + 12, want_src, 4) == 0 && memcmp(ip + 16, want_dst, 4) == 0);
		CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
		CU_ASSERT(ic[0] == 3 && ic[1] == 4 && be16at(f[0], 14 + 20 + 6) == 1280);
		CU_ASSERT_EQUAL(be16at(f[0], 14 + 20 + 4), 0);           /* unused */
		CU_ASSERT_EQUAL(rte_raw_cksum(ic, 576 - 20), 0xffff);
		CU_ASSERT(ic[8] == 0x45 && (ic[8 + 6] & 0x40) && memcmp(ic + 8 + 12, want_dst, 4) == 0);
	}
	rte_pktmbuf_free_bulk(f, n);
	/* At most FP_ICMP_PER_S a second: 110 more DF packets, 99 more
	 * errors. */
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < 55; i++) {
			mb[i] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
			rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[6] = 0x40;
		}
		fp_worker_input(a.w[0], mb, 55);
	}
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_MTU), 111);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S);
	while ((n = ring_take(a.tx[0][0], f, 64)) != 0)
		rte_pktmbuf_free_bulk(f, n);
	/* An error about an ICMP error is never sent (RFC 1812 4.3.2.7). */
	mb[0] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[9] = 1;          /* ICMP */
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14 + 20)[0] = 3;     /* unreachable */
	rte_delay_ms(1001);                                             /* a new second */
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_MTU), 112);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S);
	/* IPv6 is never fragmented on the way: forwarded over the MTU it is
	 * `mtu` and its source gets a Packet Too Big of 1,280 bytes. */
	a.dp.local.n6 = 1;
	inet_pton(AF_INET6, "2001:db8::1", a.dp.local.a6[0]);
	mb[0] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	{
		uint8_t *e = rte_pktmbuf_mtod(mb[0], uint8_t *), *ip = e + 14;
		uint16_t plen = (uint16_t)(mb[0]->pkt_len - 14 - 40);

		e[12] = 0x86; e[13] = 0xdd;
		memset(ip, 0, 40);
		ip[0] = 0x60; ip[4] = (uint8_t)(plen >> 8); ip[5] = (uint8_t)plen;
		ip[6] = 17; ip[7] = 64;
		inet_pton(AF_INET6, "2001:db8:5::7", ip + 8);
		inet_pton(AF_INET6, "2001:db8::99", ip + 24);
	}
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_MTU), 113);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S + 1);
	n = ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	{
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[0], const uint8_t *, 14);
		uint8_t want[16];
		uint32_t sum;

		inet_pton(AF_INET6, "2001:db8:5::7", want);
		CU_ASSERT_EQUAL(f[0]->pkt_len, 14u + 1280);
		CU_ASSERT(ip[6] == 58 && ip[40] == 2 && ip[41] == 0);
		CU_ASSERT(memcmp(ip + 24, want, 16) == 0);
		inet_pton(AF_INET6, "2001:db8::1", want);                 /* A's address */
		CU_ASSERT(memcmp(ip + 8, want, 16) == 0);
		CU_ASSERT_EQUAL(ip[7], 63);                               /* 64, forwarded once */
		CU_ASSERT(be16at(f[0], 14 + 44) == 0 && be16at(f[0], 14 + 46) == 1280);
		/* pseudo-header (RFC 8200 8.1) + message sum to all ones */
		sum = rte_raw_cksum(ip + 8, 32) + rte_cpu_to_be_16(1240) + rte_cpu_to_be_16(58) +
		      rte_raw_cksum(ip + 40, 1240);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		CU_ASSERT_EQUAL(sum, 0xffff);
	}
	rte_pktmbuf_free_bulk(f, n);
	/* The error's source is an address of the port it leaves by, the one
	 * the DF packet came in on: once the LAN port has 198.51.100.254,
	 * that, not the first address (192.0.2.1). */
	a.dp.local.n4 = 2;
	ip4("198.51.100.254", (uint8_t *)&a.dp.local.a4[1]);
	a.dp.local.a4_port1[1] = (uint8_t)(a.port[0] + 1);
	rule4(&r[4], "198.51.100.254", "198.51.100.254", "198.51.100.0", "198.51.100.255",
	      FP_SPD_BYPASS, 0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 6, err, sizeof(err)) == 0);
	mb[0] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
	mb[0]->port = a.port[0];
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S + 2);
	n = ring_take(a.tx[0][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	{
		uint8_t want[4];

		ip4("198.51.100.254", want);
		CU_ASSERT(memcmp(rte_pktmbuf_mtod_offset(f[0], uint8_t *, 14 + 12), want, 4) == 0);
	}
	rte_pktmbuf_free_bulk(f, n);
	a.dp.local.n4 = 1;
	a.dp.local.a4_port1[1] = 0;
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_MTU), 114);

	/* A frame longer than its IP packet (trailing bytes) is judged by
	 * the packet: 100 bytes with DF leave whole, trimmed. */
	mb[0] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 72);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
	CU_ASSERT_FATAL(rte_pktmbuf_append(mb[0], 1300) != NULL);
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_MTU), 114);
	n = ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(f[0]->pkt_len, 14u + 100);
	rte_pktmbuf_free_bulk(f, n);
	/* A forwarded fragment cut again: offsets add to its own and MF
	 * stays on the last piece; one whose pieces would end past 65,535
	 * bytes is `mtu`. */
	mb[0] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x20;     /* MF, offset 100 */
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[7] = 100;
	mb[1] = udp_pkt("198.51.100.3", "192.0.2.9", 1, 2, 0, 64, 1400);
	rte_pktmbuf_mtod_offset(mb[1], uint8_t *, 14)[6] = 0x1f;     /* offset 0x1fe0 */
	rte_pktmbuf_mtod_offset(mb[1], uint8_t *, 14)[7] = 0xe0;
	fp_worker_input(a.w[0], mb, 2);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_MTU), 115);
	n = ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(be16at(f[0], 14 + 6), 0x2000 | 100);
	CU_ASSERT_EQUAL(be16at(f[1], 14 + 6), 0x2000 | (100 + (1280 - 20) / 8));
	CU_ASSERT_EQUAL(be16at(f[0], 14 + 2) + be16at(f[1], 14 + 2), 20 + 1428);
	rte_pktmbuf_free_bulk(f, n);
	/* Transport mode: the packet keeps its sender's header, DF
	 * included; the ESP packet is ours, so it is fragmented all the
	 * same, DF cleared (no `mtu` drop, no ICMP error). */
	gcm(&p, FP_DIR_OUT, 0x7104, true);
	p.mode = FP_MODE_TRANSPORT;
	add_sa(a.c, &p);
	r[0] = r[5];
	rule4(&r[1], "198.51.100.6", "198.51.100.6", "0.0.0.0", "255.255.255.255",
	      FP_SPD_PROTECT, 0x7104);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 2, err, sizeof(err)) == 0);
	mb[0] = udp_pkt("198.51.100.6", "192.0.2.9", 1, 2, 0, 64, 1300);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
	fp_worker_input(a.w[0], mb, 1);
	CU_ASSERT_EQUAL(wdrops(&a, FP_WD_MTU), 115);
	CU_ASSERT_EQUAL(fp_worker_stats(a.w[0])->icmp_too_big, FP_ICMP_PER_S + 2);
	n = ring_take(a.tx[1][0], f, 64);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(f[i], const uint8_t *, 14);

		CU_ASSERT(ip[9] == 50 && (ip[6] & 0x40) == 0 && f[i]->pkt_len <= 14u + 1280);
		CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
	}
	rte_pktmbuf_free_bulk(f, n);

	/* Broken fragments to B: a middle one whose length is not a
	 * multiple of 8; one that ends past 65,535 bytes; a first fragment
	 * twice (the duplicate spoils the datagram: both go), then its
	 * second half, alone until reassembly.timeout_ms passes. Each is
	 * counted once as `frag`. */
	mb[0] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 13);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x20;        /* MF, length 21 */
	mb[1] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 32);
	rte_pktmbuf_mtod_offset(mb[1], uint8_t *, 14)[6] = 0x1f;        /* offset 65,528 */
	rte_pktmbuf_mtod_offset(mb[1], uint8_t *, 14)[7] = 0xff;
	fp_worker_input(b.w[0], mb, 2);
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 3);
	/* IPv6: a fragment with M set and a length not a multiple of 8. */
	mb[0] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 13);
	{
		uint8_t *e = rte_pktmbuf_mtod(mb[0], uint8_t *), *ip = e + 14;

		e[12] = 0x86; e[13] = 0xdd;
		memset(ip, 0, 40);
		ip[0] = 0x60; ip[5] = (uint8_t)(mb[0]->pkt_len - 14 - 40);
		ip[6] = 50; ip[7] = 64;
		inet_pton(AF_INET6, "2001:db8::1", ip + 8);
		inet_pton(AF_INET6, "2001:db8::2", ip + 24);
	}
	ins_frag6(mb[0], 1);                                            /* offset 0, M */
	fp_worker_input(b.w[0], mb, 1);
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 4);
	mb[0] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 32);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x20;
	mb[1] = rte_pktmbuf_copy(mb[0], pool, 0, UINT32_MAX);
	mb[2] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 32);
	rte_pktmbuf_mtod_offset(mb[2], uint8_t *, 14)[7] = 5;           /* offset 40 */
	fp_worker_input(b.w[0], mb, 3);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->reassembled, 7);    /* 6 + the atomic one */
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 6);
	rte_delay_ms(60);
	fp_worker_poll(b.w[0]);                 /* its first loop looks for expired ones */
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 7);

	/* Three fragments of a 3,860-byte ESP datagram: put together, it
	 * does not fit one mbuf, and each fragment counts as `frag` (what
	 * the control core takes goes there as a chain:
	 * worker_big_datagrams_punted). */
	for (unsigned i = 0; i < 3; i++) {
		mb[i] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 1272);   /* 1,280 of data */
		rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[9] = IPPROTO_ESP;
		rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[5] = 0x77;       /* its own ID */
		rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[6] =
			(uint8_t)((i < 2 ? 0x20 : 0) | ((i * 160) >> 8));
		rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[7] = (uint8_t)(i * 160);
	}
	fp_worker_input(b.w[0], mb, 3);
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 10);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->reassembled, 7);
	/* A hole: [0,16), [24,32) twice, [32,40). The lengths add up, the
	 * reassembly fails, and rte_ip_frag's death row gets three mbufs,
	 * one of them a chain of two: four fragments counted. */
	{
		static const uint8_t off[4] = { 0, 3, 3, 4 }, more[4] = { 1, 1, 1, 0 };
		static const size_t pay[4] = { 8, 0, 0, 0 };

		for (unsigned i = 0; i < 4; i++) {
			mb[i] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, pay[i]);
			rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[5] = 0x78;
			rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[6] = more[i] ? 0x20 : 0;
			rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14)[7] = off[i];
		}
		fp_worker_input(b.w[0], mb, 4);
		CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 14);
	}

	/* Decrypted, then too big for B's LAN (MTU 1280) with DF: the error
	 * goes to the inner source, behind A, only through a tunnel. First
	 * B bypasses everything: the error is dropped (`no_policy`), not
	 * sent in clear; then a PROTECT rule for it: it leaves as ESP. */
	fp_ctrl_worker_leave(b.c, 0);
	b.dp.mtu[b.port[0]] = 1280;
	gw_rework(&b, 0, 64);
	rule4(&r[0], "198.51.100.1", "198.51.100.1", "0.0.0.0", "255.255.255.255",
	      FP_SPD_PROTECT, 0x7101);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 1, err, sizeof(err)) == 0);
	gcm(&p, FP_DIR_OUT, 0x7105, false);
	add_sa(b.c, &p);
	gcm(&p, FP_DIR_IN, 0x7105, true);
	add_sa(a.c, &p);
	/* B's LAN port has 203.0.113.254: the error comes from there, inside
	 * the tunnel's selectors, not from the WAN address the ESP came to. */
	b.dp.local.n4 = 2;
	ip4("203.0.113.254", (uint8_t *)&b.dp.local.a4[1]);
	b.dp.local.a4_port1[1] = (uint8_t)(b.port[0] + 1);
	rule4(&r[1], "203.0.113.254", "203.0.113.254", "198.51.100.0", "198.51.100.255",
	      FP_SPD_PROTECT, 0x7105);
	rule4(&r[2], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255",
	      FP_SPD_BYPASS, 0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(b.c, &r[2], 1, err, sizeof(err)) == 0);
	for (unsigned k = 0; k < 2; k++) {
		mb[0] = udp_pkt("198.51.100.1", "203.0.113.5", 1, 2, 0, 64, 1300);
		rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x40;
		fp_worker_input(a.w[0], mb, 1);
		nf = ring_take(a.tx[1][0], f, 64);
		CU_ASSERT_EQUAL_FATAL(nf, 2);                   /* our ESP, in two */
		fp_worker_input(b.w[0], f, 2);
		CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->esp_in, k + 1);
		CU_ASSERT_EQUAL(wdrops(&b, FP_WD_MTU), k + 1);
		CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->icmp_too_big, k + 1);
		CU_ASSERT_EQUAL(ring_take(b.tx[0][0], f, 64), 0);
		n = ring_take(b.tx[1][0], f, 64);
		if (k == 0) {
			CU_ASSERT_EQUAL(n, 0);
			CU_ASSERT_EQUAL(wdrops(&b, FP_WD_NO_POLICY), 1);
			CU_ASSERT_FATAL(fp_ctrl_replace_spd(b.c, &r[1], 2, err, sizeof(err)) == 0);
		} else {
			CU_ASSERT_EQUAL_FATAL(n, 1);
			CU_ASSERT_EQUAL(rte_pktmbuf_mtod_offset(f[0], uint8_t *, 14 + 9)[0], 50);
			CU_ASSERT_EQUAL(be16at(f[0], 14 + 20 + 2), 0x7105);
			CU_ASSERT_EQUAL(wdrops(&b, FP_WD_NO_POLICY), 1);
			/* Back at A, decrypted: the error for 198.51.100.1. */
			fp_worker_input(a.w[0], f, 1);
			n = ring_take(a.tx[0][0], f, 64);
			CU_ASSERT_EQUAL_FATAL(n, 1);
			{
				const uint8_t *ip = rte_pktmbuf_mtod_offset(f[0], const uint8_t *, 14);
				uint8_t want[4];

				ip4("203.0.113.254", want);
				CU_ASSERT(ip[9] == 1 && memcmp(ip + 12, want, 4) == 0);
				CU_ASSERT(ip[20] == 3 && ip[21] == 4 && be16at(f[0], 14 + 26) == 1280);
			}
			rte_pktmbuf_free_bulk(f, n);
		}
	}

	/* Without a reassembly table every fragment is `frag`. */
	fp_ctrl_worker_leave(b.c, 0);
	gw_rework(&b, 0, 0);
	mb[0] = udp_pkt("192.0.2.1", "192.0.2.2", 1, 2, 0, 64, 32);
	rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14)[6] = 0x20;
	fp_worker_input(b.w[0], mb, 1);
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_FRAG), 1);

	fp_ctrl_worker_leave(a.c, 0);
	fp_ctrl_worker_leave(b.c, 0);
	gw_fini(&a);
	gw_fini(&b);
}

/* An ARP request (op) from 198.51.100.5 / 06:06:..:06 for tpa, received
 * on port. */
static struct rte_mbuf *arp_req(const char *tpa, uint16_t op, uint16_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *e, *a;

	if (m == NULL || (e = (uint8_t *)rte_pktmbuf_append(m, 60)) == NULL)   /* padded */
		abort();                        /* a fresh mbuf from a pool of 16k */
	memset(e, 0, 60);
	memset(e, 0xff, 6);
	memset(e + 6, 0x06, 6);
	e[12] = 0x08; e[13] = 0x06;
	a = e + 14;
	a[1] = 1; a[2] = 0x08; a[4] = 6; a[5] = 4; a[7] = (uint8_t)op;
	memset(a + 8, 0x06, 6);
	ip4("198.51.100.5", a + 14);
	ip4(tpa, a + 24);
	m->port = port;
	return m;
}

/* A neighbour solicitation for tgt from src (NULL: the unspecified
 * address, as in duplicate address detection) with hop limit hl and a
 * valid checksum unless bad. */
static struct rte_mbuf *ns_req(const char *src, const char *tgt, uint8_t hl, bool bad,
			       uint16_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *e, *ip, *ic;
	uint16_t ck;

	if (m == NULL || (e = (uint8_t *)rte_pktmbuf_append(m, 14 + 40 + 24)) == NULL)
		abort();
	memset(e, 0, 14 + 40 + 24);
	e[0] = 0x33; e[1] = 0x33; e[2] = 0xff;
	memset(e + 6, 0x05, 6);
	e[12] = 0x86; e[13] = 0xdd;
	ip = e + 14;
	ic = ip + 40;
	ip[0] = 0x60; ip[5] = 24; ip[6] = 58; ip[7] = hl;
	if (src != NULL)
		inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, "ff02::1:ff00:1", ip + 24);
	ic[0] = 135;
	inet_pton(AF_INET6, tgt, ic + 8);
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &ck, 2);
	if (bad)
		ic[2] ^= 1;
	m->port = port;
	return m;
}

/* The same with an 8-byte option (type, length in 8s) after the target. */
static struct rte_mbuf *ns_opt(const char *src, uint8_t type, uint8_t len8)
{
	struct rte_mbuf *m = ns_req(src, "2001:db8::1", 255, false, 0);
	uint8_t *o = (uint8_t *)rte_pktmbuf_append(m, 8), *ip, *ic;
	uint16_t ck;

	if (o == NULL)
		abort();
	memset(o, 0, 8);
	o[0] = type;
	o[1] = len8;
	memset(o + 2, 0x06, 6);
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
	ic = ip + 40;
	ip[5] = 32;
	ic[2] = ic[3] = 0;
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &ck, 2);
	return m;
}

/* Requests for the gateway's addresses are answered by the worker, on the
 * port they came in on (ARP reply, Neighbor Advertisement; the address
 * bound to another port, an ARP reply, and an NS with the wrong hop limit,
 * a bad checksum or for another target are punted instead). */
static void test_worker_neighbours(void)
{
	struct gw a;
	struct rte_mbuf *mb[16], *f[16];
	const struct fp_worker_stats *st;
	unsigned n;

	SETUP();
	gw_init(&a, "gnb", "192.0.2.1", 1);
	gw_rework(&a, 0, 8);                    /* joined, with a reassembly table */
	st = fp_worker_stats(a.w[0]);
	memset(&a.dp.mac[a.port[1]], 0x0a, sizeof(a.dp.mac[0]));
	a.dp.local.n6 = 1;
	inet_pton(AF_INET6, "2001:db8::1", a.dp.local.a6[0]);

	mb[0] = arp_req("192.0.2.1", 1, a.port[1]);
	fp_worker_input(a.w[0], mb, 1);
	n = ring_take(a.tx[1][0], f, 16);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	{
		const uint8_t *e = rte_pktmbuf_mtod(f[0], const uint8_t *), *r = e + 14;
		uint8_t want[4], five[6], ours[6], zero[18] = { 0 };

		memset(five, 0x06, 6);
		memset(ours, 0x0a, 6);
		CU_ASSERT_EQUAL(f[0]->pkt_len, 60);                   /* a minimum frame */
		CU_ASSERT(memcmp(e + 42, zero, 18) == 0);
		CU_ASSERT(memcmp(e, five, 6) == 0 && memcmp(e + 6, ours, 6) == 0);
		CU_ASSERT_EQUAL(be16at(f[0], 14 + 6), 2);
		CU_ASSERT(memcmp(r + 8, ours, 6) == 0 && memcmp(r + 18, five, 6) == 0);
		ip4("192.0.2.1", want);
		CU_ASSERT(memcmp(r + 14, want, 4) == 0);
		ip4("198.51.100.5", want);
		CU_ASSERT(memcmp(r + 24, want, 4) == 0);
	}
	rte_pktmbuf_free_bulk(f, n);
	CU_ASSERT_EQUAL(st->neigh_replies, 1);

	/* Bound to port 0: a request on port 1 is not ours to answer. An
	 * ARP reply, another target: punted. */
	a.dp.local.a4_port1[0] = (uint8_t)(a.port[0] + 1);
	mb[0] = arp_req("192.0.2.1", 1, a.port[1]);
	mb[1] = arp_req("192.0.2.1", 2, a.port[0]);
	mb[2] = arp_req("192.0.2.77", 1, a.port[0]);
	mb[3] = arp_req("192.0.2.1", 1, a.port[0]);               /* answered */
	fp_worker_input(a.w[0], mb, 4);
	CU_ASSERT_EQUAL(st->punt, 3);
	CU_ASSERT_EQUAL(st->neigh_replies, 2);
	CU_ASSERT_EQUAL(ring_take(a.tx[1][0], f, 16), 0);
	n = ring_take(a.tx[0][0], f, 16);
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free_bulk(f, n);

	/* Neighbour solicitations: one valid, one from :: (duplicate address
	 * detection: to all nodes, S clear), then hop limit 64, a bad
	 * checksum, another target: punted. */
	mb[0] = ns_req("2001:db8::5", "2001:db8::1", 255, false, a.port[1]);
	mb[1] = ns_req(NULL, "2001:db8::1", 255, false, a.port[1]);
	mb[2] = ns_req("2001:db8::5", "2001:db8::1", 64, false, a.port[1]);
	mb[3] = ns_req("2001:db8::5", "2001:db8::1", 255, true, a.port[1]);
	mb[4] = ns_req("2001:db8::5", "2001:db8::7", 255, false, a.port[1]);
	fp_worker_input(a.w[0], mb, 5);
	CU_ASSERT_EQUAL(st->punt, 6);
	CU_ASSERT_EQUAL(st->neigh_replies, 4);
	n = ring_take(a.tx[1][0], f, 16);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = rte_pktmbuf_mtod(f[i], const uint8_t *), *ip = e + 14, *ic = ip + 40;
		uint8_t want[16], ours[6];
		uint32_t sum;

		memset(ours, 0x0a, 6);
		CU_ASSERT_EQUAL(f[i]->pkt_len, 14u + 40 + 32);
		CU_ASSERT(ip[6] == 58 && ip[7] == 255 && be16at(f[i], 14 + 4) == 32);
		CU_ASSERT(ic[0] == 136 && ic[1] == 0);
		CU_ASSERT_EQUAL(ic[4], i == 0 ? 0xe0 : 0xa0);           /* R, S, O; DAD: R, O */
		inet_pton(AF_INET6, "2001:db8::1", want);
		CU_ASSERT(memcmp(ip + 8, want, 16) == 0 && memcmp(ic + 8, want, 16) == 0);
		inet_pton(AF_INET6, i == 0 ? "2001:db8::5" : "ff02::1", want);
		CU_ASSERT(memcmp(ip + 24, want, 16) == 0);
		CU_ASSERT(ic[24] == 2 && ic[25] == 1 && memcmp(ic + 26, ours, 6) == 0);
		CU_ASSERT(memcmp(e + 6, ours, 6) == 0);
		sum = rte_raw_cksum(ip + 8, 32) + rte_cpu_to_be_16(32) + rte_cpu_to_be_16(58) +
		      rte_raw_cksum(ic, 32);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		CU_ASSERT_EQUAL(sum, 0xffff);
	}
	rte_pktmbuf_free_bulk(f, n);

	/* Not answered (punted), RFC 5227 2.4 and RFC 4861 7.1.1 / RFC 6980:
	 * an ARP request whose sender claims our address; one to another
	 * host's MAC (a promiscuous port sees it); an NS option of length 0;
	 * duplicate address detection with a source link-layer option, or to
	 * a destination that is not the target's solicited-node address; an
	 * NS from our own address; one that came as a (atomic) fragment.
	 * Answered: an NS with a valid source link-layer option. */
	mb[0] = arp_req("192.0.2.1", 1, a.port[0]);
	ip4("192.0.2.1", rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 14 + 14));
	mb[1] = arp_req("192.0.2.1", 1, a.port[0]);
	memset(rte_pktmbuf_mtod(mb[1], uint8_t *), 0x02, 6);
	mb[2] = ns_opt("2001:db8::5", 1, 0);
	mb[3] = ns_opt(NULL, 1, 1);
	mb[4] = ns_req(NULL, "2001:db8::1", 255, false, a.port[1]);
	inet_pton(AF_INET6, "ff02::1", rte_pktmbuf_mtod_offset(mb[4], uint8_t *, 14 + 24));
	{                                       /* the checksum again, for the new destination */
		uint8_t *ip = rte_pktmbuf_mtod_offset(mb[4], uint8_t *, 14);
		uint16_t ck;

		ip[40 + 2] = ip[40 + 3] = 0;
		ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ip + 40);
		memcpy(ip + 42, &ck, 2);
	}
	mb[5] = ns_req("2001:db8::1", "2001:db8::1", 255, false, a.port[1]);
	mb[6] = ns_req("2001:db8::5", "2001:db8::1", 255, false, a.port[1]);
	{                                       /* unicast (as in unreachability detection) */
		uint8_t *ip = rte_pktmbuf_mtod_offset(mb[6], uint8_t *, 14);
		uint16_t ck;

		inet_pton(AF_INET6, "2001:db8::1", ip + 24);
		ip[40 + 2] = ip[40 + 3] = 0;
		ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ip + 40);
		memcpy(ip + 42, &ck, 2);
	}
	ins_frag6(mb[6], 0);
	mb[7] = ns_opt("2001:db8::5", 1, 1);
	for (unsigned i = 2; i < 8; i++)
		mb[i]->port = a.port[1];
	fp_worker_input(a.w[0], mb, 8);
	CU_ASSERT_EQUAL(st->punt, 13);
	CU_ASSERT_EQUAL(st->neigh_replies, 5);
	n = ring_take(a.tx[1][0], f, 16);
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free_bulk(f, n);
	CU_ASSERT_EQUAL(ring_take(a.tx[0][0], f, 16), 0);
	CU_ASSERT_EQUAL(fp_ctrl_poll(a.c), 13);                 /* punts freed */

	fp_ctrl_worker_leave(a.c, 0);
	gw_fini(&a);
}

/* fp_worker_poll() processes a burst one loop after receiving it, and at
 * once when nothing new came; a loop that only received is not idle. */
static void test_worker_poll_defers(void)
{
	struct gw a;
	struct rte_mbuf *mb[64];
	const struct fp_worker_stats *st;

	SETUP();
	gw_init(&a, "gwd", "192.0.2.1", 1);
	bypass_lan(&a);
	st = fp_worker_stats(a.w[0]);
	lan_enqueue(&a, 5, 0);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 0);              /* received, held */
	CU_ASSERT_EQUAL(st->rx, 5);
	CU_ASSERT_EQUAL(ring_take(a.tx[1][0], mb, 64), 0);
	CU_ASSERT_EQUAL(st->idle_loops, 0);
	lan_enqueue(&a, 3, 100);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 5);              /* the first 5 go */
	CU_ASSERT_EQUAL(ring_take(a.tx[1][0], mb, 64), 5);
	rte_pktmbuf_free_bulk(mb, 5);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 3);              /* nothing new: the 3 go */
	CU_ASSERT_EQUAL(ring_take(a.tx[1][0], mb, 64), 3);
	rte_pktmbuf_free_bulk(mb, 3);
	CU_ASSERT_EQUAL(st->idle_loops, 0);
	CU_ASSERT_EQUAL(fp_worker_poll(a.w[0]), 0);
	CU_ASSERT_EQUAL(st->idle_loops, 1);
	CU_ASSERT_EQUAL(st->bypass, 8);
	CU_ASSERT_EQUAL(st->loops, 4);
	fp_ctrl_worker_leave(a.c, 0);
	gw_fini(&a);
}

/* ---- two workers on one SA ---- */

struct launch {
	struct gw *g;
	unsigned lc[NQ];
};

static void gw_start(struct gw *g, struct launch *l)
{
	unsigned lc = rte_get_next_lcore(-1, 1, 0);

	l->g = g;
	for (unsigned i = 0; i < g->nw; i++) {
		CU_ASSERT_FATAL(lc < RTE_MAX_LCORE);
		l->lc[i] = lc;
		CU_ASSERT_FATAL(rte_eal_remote_launch(fp_worker_run, g->w[i], lc) == 0);
		lc = rte_get_next_lcore(lc, 1, 0);
	}
}

static void gw_stop(struct launch *l)
{
	for (unsigned i = 0; i < l->g->nw; i++)
		fp_worker_stop(l->g->w[i]);
	for (unsigned i = 0; i < l->g->nw; i++)
		rte_eal_wait_lcore(l->lc[i]);
}

/* Runs the control core until the rings hold want packets (or 10 s);
 * churn != 0 installs and removes other SAs meanwhile. */
static unsigned run_until(struct gw *g, struct rte_ring **rings, unsigned want, bool churn)
{
	uint64_t t0 = rte_get_timer_cycles(), hz = rte_get_timer_hz();
	unsigned have = 0, round = 0;
	char err[128];

	while (rte_get_timer_cycles() - t0 < 10 * hz) {
		have = 0;
		for (unsigned q = 0; q < NQ; q++)
			have += rte_ring_count(rings[q]);
		if (have >= want)
			break;
		if (churn) {
			struct fp_sa_params p;
			uint32_t spi = 0x9000 + round % 32;

			gcm(&p, (round & 1) ? FP_DIR_OUT : FP_DIR_IN, spi, true);
			if (fp_ctrl_add_sa(g->c, &p, err, sizeof(err)) != 0)
				fp_ctrl_del_sa(g->c, p.dir, spi, err, sizeof(err));
			round++;
		}
		fp_ctrl_poll(g->c);
		rte_delay_us(churn ? 20 : 100);
	}
	return have;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void test_two_workers(void)
{
	enum { N = 1000 };                  /* per RX queue */
	struct gw a, b;
	struct launch la, lb;
	struct fp_sa_params p;
	struct fp_spd_rule r[2];
	struct rte_mbuf **esp = calloc(2 * N, sizeof(*esp));
	struct rte_mbuf *mb[64];
	uint64_t *seqs = calloc(2 * N, sizeof(*seqs));
	uint8_t *seen = calloc(2 * N, 1);
	char err[128];
	unsigned n = 0, k;
	uint64_t in_bytes = 0, esp_bytes = 0, rxb = 0, txb = 0;

	SETUP();
	if (rte_lcore_count() < 3) {
		CU_FAIL("needs three lcores");
		return;
	}
	gw_init(&a, "mwa", "192.0.2.1", 2);
	gw_init(&b, "mwb", "192.0.2.2", 2);
	gcm(&p, FP_DIR_OUT, 0x8001, true);
	add_sa(a.c, &p);
	gcm(&p, FP_DIR_IN, 0x8001, false);
	add_sa(b.c, &p);
	CU_ASSERT_EQUAL(fp_sad_ent(&fp_sad_find_in(b.c->sad, 0x8001)->sa)->owner, 1);
	rule4(&r[0], "198.51.100.0", "198.51.100.255", "203.0.113.0", "203.0.113.255",
	      FP_SPD_PROTECT, 0x8001);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(a.c, r, 1, err, sizeof(err)) == 0);

	/* A: the same flow arrives on both RX queues, one per worker. */
	for (uint32_t i = 0; i < 2 * N; i++) {
		struct rte_mbuf *m = udp_pkt("198.51.100.1", "203.0.113.5", 1000, 2000, i, 64, 64);

		in_bytes += m->pkt_len;
		CU_ASSERT_FATAL(rte_ring_enqueue(a.rx[0][i % NQ], m) == 0);
	}
	gw_start(&a, &la);
	k = run_until(&a, a.tx[1], 2 * N, true);
	gw_stop(&la);
	CU_ASSERT_EQUAL(k, 2 * N);
	CU_ASSERT(fp_worker_stats(a.w[0])->esp_out > 0 && fp_worker_stats(a.w[1])->esp_out > 0);
	for (unsigned q = 0; q < NQ; q++)
		while ((k = ring_take(a.tx[1][q], mb, 64)) != 0)
			for (unsigned i = 0; i < k && n < 2 * N; i++)
				esp[n++] = mb[i];
	CU_ASSERT_EQUAL_FATAL(n, 2 * N);
	/* Port byte counters: what came in on the plaintext side, what went
	 * out on the ESP side (frames, Ethernet included), over both workers. */
	for (unsigned i = 0; i < n; i++)
		esp_bytes += esp[i]->pkt_len;
	for (unsigned i = 0; i < 2; i++) {
		rxb += fp_worker_stats(a.w[i])->port[a.port[0]].rx_bytes;
		txb += fp_worker_stats(a.w[i])->port[a.port[1]].tx_bytes;
	}
	CU_ASSERT_EQUAL(rxb, in_bytes);
	CU_ASSERT_EQUAL(txb, esp_bytes);
	/* Every sequence number 1..2N exactly once. */
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = rte_pktmbuf_mtod_offset(esp[i], uint8_t *, 14 + 20);

		seqs[i] = (uint64_t)e[4] << 24 | (uint64_t)e[5] << 16 | e[6] << 8 | e[7];
	}
	qsort(seqs, n, sizeof(seqs[0]), cmp_u64);
	for (unsigned i = 0; i < n; i++)
		if (seqs[i] != i + 1) {
			CU_FAIL("outbound sequence numbers not unique");
			break;
		}
	CU_ASSERT_EQUAL(fp_sad_get_out(a.c->out, (uint32_t)fp_sad_out_slot(a.c->sad, 0x8001, 0))
			->h.seq, 2 * N);

	/* B: every ESP packet arrives twice, once on each queue (each worker),
	 * so worker 0 hands its copies to the owner, worker 1. */
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *dup = rte_pktmbuf_copy(esp[i], pool, 0, UINT32_MAX);

		CU_ASSERT_FATAL(dup != NULL);
		CU_ASSERT_FATAL(rte_ring_enqueue(b.rx[1][0], esp[i]) == 0);
		CU_ASSERT_FATAL(rte_ring_enqueue(b.rx[1][1], dup) == 0);
	}
	gw_start(&b, &lb);
	k = run_until(&b, b.tx[0], 2 * N, false);
	/* Let duplicates still in flight arrive, then stop. */
	rte_delay_ms(100);
	gw_stop(&lb);
	unsigned got = 0;
	for (unsigned q = 0; q < NQ; q++)
		while ((k = ring_take(b.tx[0][q], mb, 64)) != 0) {
			for (unsigned i = 0; i < k; i++) {
				const uint8_t *u = rte_pktmbuf_mtod_offset(mb[i], uint8_t *, 14 + 20);
				uint32_t id = (uint32_t)u[8] << 24 | u[9] << 16 | u[10] << 8 | u[11];

				if (id < 2 * N && !seen[id]) {
					seen[id] = 1;
					got++;
				} else {
					CU_FAIL("duplicate or unknown packet got through");
				}
			}
			rte_pktmbuf_free_bulk(mb, k);
		}
	CU_ASSERT_EQUAL(got, 2 * N);
	CU_ASSERT_EQUAL(wdrops(&b, FP_DROP_REPLAY), 2 * N);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->esp_in, 0);         /* not the owner */
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[0])->handoff_out, 2 * N);
	CU_ASSERT_EQUAL(fp_worker_stats(b.w[1])->esp_in, 2 * N);
	CU_ASSERT_EQUAL(fp_sad_find_in(b.c->sad, 0x8001)->sa.stats.packets, 2 * N);
	CU_ASSERT_EQUAL(wdrops(&b, FP_WD_RING_FULL), 0);
	gw_fini(&a);
	gw_fini(&b);
	free(esp);
	free(seqs);
	free(seen);
}

/* Fragment identifications: every source (workers, then the control
 * core) stays in its own IPv4 range and its own IPv6 residue, across the
 * wrap of its sequence, whatever the count of sources. */
static void test_frag_ids(void)
{
	static const unsigned counts[] = { 2, 3, 5, 17 };

	for (unsigned c = 0; c < RTE_DIM(counts); c++) {
		unsigned nsrc = counts[c], span = 65536u / nsrc;

		for (unsigned src = 0; src < nsrc; src++) {
			unsigned bad4 = 0, bad6 = 0;

			for (uint32_t k = 0; k < 3u * span; k += 7) {
				uint16_t id = fp_frag_id4(src, nsrc, k);

				bad4 += id < src * span || id >= (src + 1) * span;
			}
			for (uint32_t k = UINT32_MAX - 4096; k != 4096; k++)   /* wraps */
				bad6 += fp_frag_id6(src, nsrc, k) % nsrc != src;
			CU_ASSERT_EQUAL(bad4, 0);
			CU_ASSERT_EQUAL(bad6, 0);
			/* consecutive packets of one source: different ids */
			CU_ASSERT(fp_frag_id4(src, nsrc, 10) != fp_frag_id4(src, nsrc, 11));
			CU_ASSERT(fp_frag_id6(src, nsrc, 10) != fp_frag_id6(src, nsrc, 11));
		}
	}
}

/* Routes: longest prefix wins; a /0 is the default (rte_lpm takes depth
 * 1 at least, so the table keeps it aside), for both families. */
static void test_routes_default(void)
{
	struct fp_routes *r;
	struct fp_nexthop a = { .port = 1 }, b = { .port = 2 }, c = { .port = 3 };
	uint8_t p[16] = { 0 }, d6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint32_t d;

	CU_ASSERT_FATAL(test_eal_init() == 0);
	r = fp_routes_create("rtdef", 16, -1);
	CU_ASSERT_FATAL(r != NULL);
	inet_pton(AF_INET, "192.0.2.9", &d);
	CU_ASSERT_PTR_NULL(fp_routes_lookup4(r, d));              /* nothing yet */
	CU_ASSERT_EQUAL(fp_routes_add(r, 4, p, 0, &a), 0);          /* 0.0.0.0/0 */
	inet_pton(AF_INET, "192.0.2.0", p);
	CU_ASSERT_EQUAL(fp_routes_add(r, 4, p, 24, &b), 0);
	CU_ASSERT(fp_routes_lookup4(r, d) != NULL && fp_routes_lookup4(r, d)->port == 2);
	inet_pton(AF_INET, "203.0.113.1", &d);
	CU_ASSERT(fp_routes_lookup4(r, d) != NULL && fp_routes_lookup4(r, d)->port == 1);
	CU_ASSERT_PTR_NULL(fp_routes_lookup6(r, d6));             /* no IPv6 default */
	memset(p, 0, sizeof(p));
	CU_ASSERT_EQUAL(fp_routes_add(r, 6, p, 0, &c), 0);          /* ::/0 */
	CU_ASSERT(fp_routes_lookup6(r, d6) != NULL && fp_routes_lookup6(r, d6)->port == 3);
	CU_ASSERT_EQUAL(fp_routes_add(r, 4, p, 33, &c), -EINVAL);
	fp_routes_free(r);
}

static const struct test_case cases[] = {
	{ "sad", test_sad },
	{ "fragment_identifications_disjoint", test_frag_ids },
	{ "routes_longest_prefix_and_default", test_routes_default },
	{ "spd_acl_vs_reference", test_spd_acl },
	{ "spd_scan_vs_acl_and_reference", test_spd_scan },
	{ "rcu_grace_period", test_rcu_grace },
	{ "concurrent_readers", test_concurrent_readers },
	{ "worker_end_to_end", test_worker_end_to_end },
	{ "worker_poll_defers_one_loop", test_worker_poll_defers },
	{ "worker_rx_burst", test_worker_rx_burst },
	{ "worker_fragments", test_worker_fragments },
	{ "worker_big_datagrams_punted", test_worker_big_datagrams_punted },
	{ "worker_neighbours", test_worker_neighbours },
	{ "two_workers_one_sa", test_two_workers },
	{ NULL, NULL },
};
TEST_SUITE(tables, cases)
