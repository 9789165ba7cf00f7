/* SPDX-License-Identifier: BSD-3-Clause */
/* The SAD's outbound slots (fastpath/sad.c) at concentrator size: found by
 * SPI or trap id through an index, slot numbers past 65,535 kept whole,
 * a quarantined slot neither found nor reused until it is released. */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_lcore.h>

#include "fastpath/sad.h"
#include "tests/unit/fastpath/fp_test.h"

#define SLOTS 70000u

static void test_slots(void)
{
	static struct fp_sad_ent e;
	struct fp_sad *s;
	int last = -1;

	FPT_SETUP();
	s = fp_sad_create("slots", SLOTS, (int)rte_socket_id());
	CU_ASSERT_FATAL(s != NULL);
	for (uint32_t i = 0; i < SLOTS; i++) {
		int k = fp_sad_out_slot(s, 0x1000 + i, 1);

		if (k < 0 || (last >= 0 && k == last)) {
			CU_FAIL("a slot per SPI");
			break;
		}
		last = k;
	}
	CU_ASSERT_EQUAL(fp_sad_out_slot(s, 0x1000 + SLOTS, 1), -ENOSPC);
	CU_ASSERT_EQUAL(fp_sad_out_slot(s, 0x1000 + SLOTS - 1, 0), last);
	CU_ASSERT_EQUAL(fp_sad_out_slot(s, 0x1000 + 5, 0), 5); /* slot 0 first, in order */
	CU_ASSERT_EQUAL(fp_sad_out_slot(s, 7, 0), -ENOENT);
	fp_sad_set_out(s, (uint32_t)last, &e);
	CU_ASSERT_EQUAL(e.slot, (uint32_t)last); /* past 65,535 */
	CU_ASSERT(e.slot > 65535);
	fp_sad_set_out(s, (uint32_t)last, NULL);

	/* quarantined: gone from the index, not free yet */
	fp_sad_out_quarantine(s, 5);
	CU_ASSERT_EQUAL(fp_sad_out_slot(s, 0x1000 + 5, 0), -ENOENT);
	CU_ASSERT_EQUAL(fp_sad_out_slot(s, 0x9999999, 1), -ENOSPC);
	fp_sad_out_release(s, 5);
	CU_ASSERT_EQUAL(fp_sad_out_slot(s, 0x9999999, 1), 5);
	/* a trap id and an SPI of the same number are two slots */
	fp_sad_out_release(s, 6);
	fp_sad_out_release(s, 7);
	CU_ASSERT_EQUAL(fp_sad_trap_slot(s, 0x1000 + 8, 1), 7);
	CU_ASSERT_EQUAL(fp_sad_out_slot(s, 0x1000 + 8, 0), 8);
	CU_ASSERT_EQUAL(fp_sad_trap_slot(s, 0x1000 + 8, 0), 7);
	fp_sad_free(s);
}

static void count_visit(void *arg, struct fp_sad_ent *e)
{
	unsigned *seen = arg;

	seen[e->hash_pos]++; /* the test's own numbering */
}

/* A listing a page at a time visits every SA once, whatever the page
 * size, and a page over empty slots ends early with a cursor. */
static void test_walk(void)
{
	static struct fp_sad_ent in[20], out[3];
	unsigned seen[23], pages = 0, zero = 0;
	struct fp_sad *s;
	uint32_t pos = 0;

	FPT_SETUP();
	s = fp_sad_create("walk", SLOTS, (int)rte_socket_id());
	CU_ASSERT_FATAL(s != NULL);
	for (unsigned i = 0; i < 20; i++) {
		in[i].sa.h.spi_be = rte_cpu_to_be_32(0x5000 + i);
		in[i].hash_pos = (int32_t)i;
		CU_ASSERT_FATAL(fp_sad_add_in(s, &in[i]) == 0);
	}
	for (unsigned i = 0; i < 3; i++) {
		int slot = fp_sad_out_slot(s, 0x7000 + i, 1);

		out[i].hash_pos = (int32_t)(20 + i);
		CU_ASSERT_FATAL(slot >= 0);
		/* the last one far out: pages of empty slots before it */
		fp_sad_set_out(s, i == 2 ? SLOTS - 1 : (uint32_t)slot, &out[i]);
	}
	memset(seen, 0, sizeof(seen));
	while (pos != FP_SAD_WALK_END && pages < 100) {
		unsigned before = 0, after = 0;

		for (unsigned i = 0; i < 23; i++)
			before += seen[i];
		pos = fp_sad_walk(s, pos, 3, count_visit, seen);
		for (unsigned i = 0; i < 23; i++)
			after += seen[i];
		CU_ASSERT(after - before <= 3);
		zero += after == before;
		pages++;
	}
	for (unsigned i = 0; i < 23; i++)
		CU_ASSERT_EQUAL(seen[i], 1);
	CU_ASSERT(zero >= 2); /* 70,000 slots: at least 3 slices of 16,384 to the last */
	CU_ASSERT_EQUAL(fp_sad_walk(s, FP_SAD_WALK_END, 3, count_visit, seen), FP_SAD_WALK_END);
	fp_sad_free(s);
}

static const struct test_case cases[] = {
	{ "walk in pages", test_walk },
	{ "outbound slots by index", test_slots },
	{ NULL, NULL },
};
TEST_SUITE(sad_slots, cases)
