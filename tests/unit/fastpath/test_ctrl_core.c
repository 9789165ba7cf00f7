/* SPDX-License-Identifier: BSD-3-Clause */
/* The control core (fastpath/ctrl_core.c): RCU reclamation only after a
 * grace period, and readers on another lcore while the control core
 * changes the tables. */
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "fastpath/ctrl_core_priv.h"
#include "tests/unit/fastpath/fp_test.h"

/* ---- RCU: nothing is freed before every worker passed a quiescent state ---- */

/* fp_ctrl_move_out_sa(): the peer's NAT mapping moved; a new outbound SA
 * takes the slot with the new outer header, counters and sequence numbers
 * going on (a few skipped), the old one freed after the grace period. */
static void test_move_out_sa(void)
{
	struct fp_sa_params p;
	struct fp_sa *sa;
	char err[128];
	int slot;

	FPT_SETUP();
	struct fp_ctrl *c = fpt_ctrl_new("mv", 1);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(c, 0, NULL) == 0);
	fpt_gcm(&p, FP_DIR_OUT, 0x4101, true);
	p.udp_encap = true;
	p.encap_local_port = p.encap_remote_port = 4500;
	fpt_add_sa(c, &p);
	slot = fp_ctrl_out_slot(c, 0x4101);
	CU_ASSERT_FATAL(slot >= 0);
	sa = &c->out[slot].e->sa;
	sa->h.seq = 1000;
	sa->stats.packets = 77;
	p.encap_remote_port = 14500;
	fpt_ip4("192.0.2.99", p.remote);
	CU_ASSERT_EQUAL(fp_ctrl_move_out_sa(c, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_out_slot(c, 0x4101), slot);
	CU_ASSERT_PTR_NOT_EQUAL(&c->out[slot].e->sa, sa);
	sa = &c->out[slot].e->sa;
	CU_ASSERT_EQUAL(sa->h.seq, 1000 + 65536);
	CU_ASSERT_EQUAL(sa->stats.packets, 77);
	CU_ASSERT(memcmp(sa->tmpl + 16, p.remote, 4) == 0); /* IPv4 destination */
	CU_ASSERT_EQUAL((uint16_t)(sa->tmpl[22] << 8 | sa->tmpl[23]),
			14500);                 /* UDP destination port */
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 1); /* the old SA, after a grace period */
	rte_rcu_qsbr_quiescent(c->rcu, 0);
	fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 0);
	p.spi = 0x4102;
	CU_ASSERT_EQUAL(fp_ctrl_move_out_sa(c, &p, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "outbound SA 0x00004102 not installed"));
	fp_ctrl_worker_leave(c, 0);
	fp_ctrl_free(c);
}

static void test_rcu_grace(void)
{
	struct fp_sa_params p;
	struct fp_spd_rule r;
	char err[128];

	FPT_SETUP();
	struct fp_ctrl *c = fpt_ctrl_new("rcu", 1);
	/* This thread plays worker 0: online, reporting nothing yet. */
	CU_ASSERT_FATAL(fp_ctrl_worker_join(c, 0, NULL) == 0);
	fpt_gcm(&p, FP_DIR_IN, 0x4001, false);
	fpt_add_sa(c, &p);
	fpt_gcm(&p, FP_DIR_OUT, 0x4002, true);
	fpt_add_sa(c, &p);
	fpt_rule4(&r, "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255", FP_SPD_PROTECT,
		  0x4002);
	CU_ASSERT(fp_ctrl_replace_spd(c, &r, 1, err, sizeof(err)) == 0);
	CU_ASSERT(fp_ctrl_replace_spd(c, &r, 1, err, sizeof(err)) == 0); /* old SPD deferred */
	CU_ASSERT(fp_ctrl_del_sa(c, FP_DIR_IN, 0x4001, err, sizeof(err)) == 0);
	CU_ASSERT(fp_ctrl_del_sa(c, FP_DIR_OUT, 0x4002, err, sizeof(err)) == 0);
	for (int i = 0; i < 5; i++)
		fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 3); /* SPD, SA in, SA out */
	rte_rcu_qsbr_quiescent(c->rcu, 0);
	fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(fp_ctrl_pending(c), 0);
	/* A deletion after the quiescent state waits for the next one. */
	fpt_gcm(&p, FP_DIR_IN, 0x4003, false);
	fpt_add_sa(c, &p);
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

	FPT_SETUP();
	if (lc >= RTE_MAX_LCORE) {
		CU_FAIL("needs a second lcore");
		return;
	}
	struct fp_ctrl *c = fpt_ctrl_new("conc", 1);
	fpt_gcm(&p, FP_DIR_IN, 0x5000, false);
	fpt_add_sa(c, &p);
	fpt_rule4(&r[0], "0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255", FP_SPD_BYPASS,
		  0);
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(c, r, 1, err, sizeof(err)) == 0);
	rd.c = c;
	CU_ASSERT_FATAL(rte_eal_remote_launch(reader_main, &rd, lc) == 0);
	for (unsigned round = 0; round < 400; round++) {
		uint32_t spi = 0x6000 + round % 64;

		fpt_gcm(&p, FP_DIR_IN, spi, false);
		if (fp_sad_find_in(c->sad, spi) != NULL) {
			CU_ASSERT(fp_ctrl_del_sa(c, FP_DIR_IN, spi, err, sizeof(err)) == 0);
		} else {
			fpt_add_sa(c, &p);
		}
		if (round % 20 == 0) {
			/* New SPD generation, same answer for the reader. */
			fpt_rule4(&r[1], "203.0.113.0", "203.0.113.255", "0.0.0.0",
				  "255.255.255.255", FP_SPD_DISCARD, 0);
			CU_ASSERT(fp_ctrl_replace_spd(c, r, 1 + (round / 20) % 2, err,
						      sizeof(err)) == 0);
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

/* ---- what a configuration reload changes ---- */

static enum fp_spd_action act_to(const struct fp_ctrl *c, const char *dst)
{
	uint8_t s[4], d[4];

	fpt_ip4("192.0.2.1", s);
	fpt_ip4(dst, d);
	return fp_ctrl_spd_lookup(c, 4, 17, s, d, 1000, 2000);
}

static void rule_to(struct fp_spd_rule *r, const char *lo, const char *hi, enum fp_spd_action a,
		    uint32_t spi)
{
	fpt_rule4(r, "0.0.0.0", "255.255.255.255", lo, hi, a, spi);
}

/* The configured rules are replaced behind the others, which keep their
 * order; a trap's rules go by its id alone. */
static void test_spd_config_and_traps(void)
{
	struct fp_sa_params p;
	struct fp_spd_rule r[2];
	char err[128];

	FPT_SETUP();
	struct fp_ctrl *c = fpt_ctrl_new("cfg", 1);
	fpt_gcm(&p, FP_DIR_OUT, 0x5002, true);
	fpt_add_sa(c, &p);
	rule_to(&r[0], "198.51.100.0", "198.51.100.255", FP_SPD_BYPASS, 0);
	CU_ASSERT_FATAL(fp_ctrl_spd_replace_config(c, r, 1, err, sizeof(err)) == 0);
	rule_to(&r[0], "198.51.100.7", "198.51.100.7", FP_SPD_PROTECT, 0x5002);
	rule_to(&r[1], "203.0.113.0", "203.0.113.255", FP_SPD_TRAP, 7);
	CU_ASSERT_FATAL(fp_ctrl_spd_prepend(c, r, 2, err, sizeof(err)) == 0);
	rule_to(&r[0], "198.51.100.0", "198.51.100.255", FP_SPD_DISCARD, 0);
	rule_to(&r[1], "203.0.113.0", "203.0.113.255", FP_SPD_BYPASS, 0);
	CU_ASSERT_FATAL(fp_ctrl_spd_replace_config(c, r, 2, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 4); /* the old BYPASS gone */
	CU_ASSERT_EQUAL(act_to(c, "198.51.100.7"), FP_SPD_PROTECT);
	CU_ASSERT_EQUAL(act_to(c, "198.51.100.9"), FP_SPD_DISCARD);
	CU_ASSERT_EQUAL(act_to(c, "203.0.113.5"), FP_SPD_PROTECT); /* the trap, in front */
	CU_ASSERT_EQUAL(fp_ctrl_spd_del_trap(c, 8, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 4);
	CU_ASSERT_EQUAL(fp_ctrl_spd_del_trap(c, 7, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 3);
	CU_ASSERT_EQUAL(act_to(c, "203.0.113.5"), FP_SPD_BYPASS);
	CU_ASSERT_EQUAL(act_to(c, "198.51.100.7"), FP_SPD_PROTECT);
	CU_ASSERT_FATAL(fp_ctrl_spd_replace_config(c, NULL, 0, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 1);
	CU_ASSERT_EQUAL(act_to(c, "198.51.100.9"), FP_SPD_NONE);
	fp_ctrl_free(c);
}

static void count_call(void *arg)
{
	(*(int *)arg)++;
}

static void test_defer_free(void)
{
	int calls = 0;

	FPT_SETUP();
	struct fp_ctrl *c = fpt_ctrl_new("dfr", 1);
	CU_ASSERT_FATAL(fp_ctrl_worker_join(c, 0, NULL) == 0);
	CU_ASSERT_FATAL(fp_ctrl_defer_free(c, count_call, &calls) == 0);
	fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(calls, 0); /* worker 0 has not passed a quiescent state */
	rte_rcu_qsbr_quiescent(c->rcu, 0);
	fp_ctrl_poll(c);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_FATAL(fp_ctrl_defer_free(c, count_call, &calls) == 0);
	fp_ctrl_worker_leave(c, 0);
	fp_ctrl_free(c); /* what is still deferred runs when the tables go */
	CU_ASSERT_EQUAL(calls, 2);
}

static const struct test_case cases[] = {
	{ "spd_config_and_traps", test_spd_config_and_traps },
	{ "defer_free", test_defer_free },
	{ "move_out_sa", test_move_out_sa },
	{ "rcu_grace_period", test_rcu_grace },
	{ "concurrent_readers", test_concurrent_readers },
	{ NULL, NULL },
};
TEST_SUITE(ctrl_core, cases)
