/* SPDX-License-Identifier: BSD-3-Clause */
/* perf/spd_bench.c - the outbound SPD at concentrator scale (fastpath/spd.h).
 *
 * With N tunnels installed through the control core (each one CHILD SA's
 * policy: local 192.168.0.0/16 or 0/0 -> one remote /32 in 10/8, every
 * fourth a /24 in 172.16/12, protocol any; behind them the configured
 * rules: a BYPASS of 192.0.2.0/24 and a DISCARD catch-all):
 *   install  one more CHILD SA's 2 policies put in front
 *            (fp_ctrl_spd_prepend) and taken out again (fp_ctrl_spd_del_sa),
 *            each timed alone, against one full rte_acl build of the same
 *            N + 2 rules (what every change cost before the tiers:
 *            fp_spd_build with the exact tier off); repeats interleaved
 *            (install ops, rebuild, install ops, ...), medians;
 *   classify TSC cycles per packet of fp_spd_classify4 in bursts of 32 over
 *            keys spread evenly over the tunnels, tiered and flat rte_acl,
 *            interleaved repeats, medians.
 * Usage: spd_bench [EAL args] -- [-n 1,1000,10000,100000] [-r repeats]
 *        [-o ops per repeat] [-t secs per classify run]
 * JSON lines on stdout, a table on stderr. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_random.h>

#include "fastpath/ctrl_core_priv.h"
#include "fastpath/spd.h"

static void set4(uint8_t *lo, uint8_t *hi, uint32_t a, unsigned plen)
{
	uint32_t host = plen == 32 ? 0 : (plen == 0 ? UINT32_MAX : (1u << (32 - plen)) - 1);
	uint32_t l = rte_cpu_to_be_32(a & ~host), h = rte_cpu_to_be_32((a & ~host) | host);

	memcpy(lo, &l, 4);
	memcpy(hi, &h, 4);
}

/* Tunnel i's remote: 10.x.y.z/32, or 172.16+.x.y/24 for every fourth. */
static uint32_t tunnel_dst(uint32_t i, unsigned *plen)
{
	*plen = i % 4 == 3 ? 24 : 32;
	return *plen == 24 ? (172u << 24 | 16u << 16) + (i << 8) : (10u << 24) + i;
}

static void tunnel_rule(struct fp_spd_rule *r, uint32_t i, uint32_t spi, unsigned variant)
{
	unsigned plen;
	uint32_t dst = tunnel_dst(i, &plen);

	memset(r, 0, sizeof(*r));
	r->sel.family = 4;
	r->sel.sport_hi = r->sel.dport_hi = 65535;
	set4(r->sel.src_lo, r->sel.src_hi, (192u << 24 | 168u << 16) + variant * 256,
	     i % 2 ? 0 : 16 + variant * 8);
	set4(r->sel.dst_lo, r->sel.dst_hi, dst, plen);
	r->action = FP_SPD_PROTECT;
	r->spi = spi;
}

static void config_rules(struct fp_spd_rule *r)
{
	memset(r, 0, 2 * sizeof(*r));
	for (unsigned k = 0; k < 2; k++) {
		r[k].sel.family = 4;
		r[k].sel.sport_hi = r[k].sel.dport_hi = 65535;
		set4(r[k].sel.src_lo, r[k].sel.src_hi, 0, 0);
		r[k].origin = FP_SPD_CONFIG;
	}
	set4(r[0].sel.dst_lo, r[0].sel.dst_hi, 192u << 24 | 2u, 24);
	r[0].action = FP_SPD_BYPASS;
	set4(r[1].sel.dst_lo, r[1].sel.dst_hi, 0, 0);
	r[1].action = FP_SPD_DISCARD;
}

static struct fp_ctrl *ctrl_with(uint32_t n)
{
	struct fp_ctrl_cfg cfg = {
		.name = "spdb",
		.n_workers = 1,
		.max_sa = n + 64,
		.max_rules = n + 64,
		.socket = (int)rte_socket_id(),
	};
	struct fp_spd_rule r[2];
	char err[160] = "";
	struct fp_ctrl *c = fp_ctrl_create(&cfg, err, sizeof(err));

	if (c == NULL) {
		fprintf(stderr, "fp_ctrl_create: %s\n", err);
		return NULL;
	}
	config_rules(r);
	if (fp_ctrl_replace_spd(c, r, 2, err, sizeof(err)) != 0)
		goto fail;
	for (uint32_t i = 0; i < n; i++) {
		tunnel_rule(&r[0], i, 0x1000 + i, 0);
		if (fp_ctrl_spd_prepend(c, r, 1, err, sizeof(err)) != 0)
			goto fail;
		if (i % 4096 == 0)
			fp_ctrl_poll(c); /* no worker: deferred frees go at once */
	}
	fp_ctrl_poll(c);
	return c;
fail:
	fprintf(stderr, "installing %u tunnels: %s\n", n, err);
	fp_ctrl_free(c);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_d);
	return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double us_since(uint64_t t0)
{
	return (double)(rte_rdtsc() - t0) * 1e6 / (double)rte_get_tsc_hz();
}

/* One CHILD SA's two policies in and out, each timed (microseconds). */
static int install_ops(struct fp_ctrl *c, uint32_t n, unsigned ops, double *ins, double *del)
{
	struct fp_spd_rule r[2];
	char err[160];

	for (unsigned k = 0; k < ops; k++) {
		uint32_t t = n + k % 60, spi = 0x80000000u + k;
		uint64_t t0;

		tunnel_rule(&r[0], t, spi, 0);
		tunnel_rule(&r[1], t, spi, 1);
		t0 = rte_rdtsc();
		if (fp_ctrl_spd_prepend(c, r, 2, err, sizeof(err)) != 0)
			goto fail;
		ins[k] = us_since(t0);
		t0 = rte_rdtsc();
		if (fp_ctrl_spd_del_sa(c, spi, err, sizeof(err)) != 0)
			goto fail;
		del[k] = us_since(t0);
		fp_ctrl_poll(c);
	}
	return 0;
fail:
	fprintf(stderr, "install: %s\n", err);
	return -1;
}

static int slot0(void *arg, const struct fp_spd_rule *r)
{
	(void)arg;
	(void)r;
	return 0;
}

/* The same N + 2 rules as one flat rte_acl (the earlier design's cost of
 * any change); milliseconds. */
static double acl_rebuild(uint32_t n, struct fp_spd **keep)
{
	struct fp_spd_rule *r = calloc(n + 2, sizeof(*r));
	char err[160] = "";
	struct fp_spd *spd;
	uint64_t t0;
	double ms;

	if (r == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		tunnel_rule(&r[n - 1 - i], i, 0x1000 + i, 0);
	config_rules(&r[n]);
	fp_spd_set_exact_tier(0);
	fp_spd_set_linear_max(0);
	t0 = rte_rdtsc();
	spd = fp_spd_build(r, n + 2, slot0, NULL, (int)rte_socket_id(), err, sizeof(err));
	ms = us_since(t0) / 1000;
	fp_spd_set_exact_tier(1);
	fp_spd_set_linear_max(FP_SPD_LINEAR_DEFAULT);
	free(r);
	if (spd == NULL) {
		fprintf(stderr, "rte_acl build of %u rules: %s\n", n + 2, err);
		return -1;
	}
	if (keep != NULL && *keep == NULL)
		*keep = spd;
	else
		fp_spd_free(spd);
	return ms;
}

enum { NK = 8192 };
static struct fp_spd_key4 keys[NK];

static void make_keys(uint32_t n)
{
	for (unsigned i = 0; i < NK; i++) {
		uint32_t t = (uint32_t)rte_rand_max(n ? n : 1);
		unsigned plen;
		uint32_t dst = tunnel_dst(t, &plen) +
			       (plen == 24 ? (uint32_t)rte_rand_max(256) : 0);
		uint32_t src = (192u << 24 | 168u << 16) + (uint32_t)rte_rand_max(65536);

		keys[i] = (struct fp_spd_key4){ .proto = 17,
						.src = rte_cpu_to_be_32(src),
						.dst = rte_cpu_to_be_32(dst),
						.sport = rte_cpu_to_be_16(1024),
						.dport = rte_cpu_to_be_16(4789) };
	}
}

/* Cycles per packet over secs; *miss: packets not PROTECTed. */
static double classify_run(const struct fp_spd *spd, double secs, uint64_t *miss)
{
	const struct fp_spd_key4 *kp[32];
	uint64_t cyc = 0, cnt = 0, end = rte_rdtsc() + (uint64_t)(secs * (double)rte_get_tsc_hz());
	uint32_t res[32];
	unsigned ki = 0;

	*miss = 0;
	while (rte_rdtsc() < end) {
		for (unsigned rep = 0; rep < 256; rep++) {
			uint64_t t0;

			for (unsigned k = 0; k < 32; k++)
				kp[k] = &keys[(ki + k) % NK];
			t0 = rte_rdtsc();
			fp_spd_classify4(spd, kp, res, 32);
			cyc += rte_rdtsc() - t0;
			for (unsigned k = 0; k < 32; k++)
				*miss += fp_spd_action(res[k]) != FP_SPD_PROTECT;
			cnt += 32;
			ki = (ki + 32) % NK;
		}
	}
	return (double)cyc / (double)cnt;
}

struct opts {
	const char *counts;
	unsigned reps, ops;
	double secs;
};

static void report_install(uint32_t n, double *ins, double *del, unsigned nops, double *acl,
			   unsigned nacl)
{
	double mi = median(ins, nops), md = median(del, nops), ma = median(acl, nacl);

	fprintf(stderr,
		"install %6u tunnels: prepend 2 rules %8.1f us, delete %8.1f us (median of %u); "
		"full rte_acl build %9.1f ms (median of %u): %.0fx\n",
		n, mi, md, nops, ma, nacl, ma * 1000 / mi);
	printf("{\"bench\":\"spd_install\",\"tunnels\":%u,\"prepend_us\":%.2f,\"delete_us\":%.2f,"
	       "\"ops\":%u,\"acl_rebuild_ms\":%.2f,\"rebuilds\":%u}\n",
	       n, mi, md, nops, ma, nacl);
}

static void report_classify(uint32_t n, double *tier, double *flat, unsigned reps, uint64_t miss)
{
	double t = median(tier, reps), f = median(flat, reps);

	fprintf(stderr,
		"classify %6u tunnels: tiered %6.1f cycles/packet, flat rte_acl %6.1f "
		"(median of %u, bursts of 32), %llu misses\n",
		n, t, f, reps, (unsigned long long)miss);
	printf("{\"bench\":\"spd_classify_scale\",\"tunnels\":%u,\"tiered_cycles\":%.1f,"
	       "\"acl_cycles\":%.1f,\"repeats\":%u,\"misses\":%llu}\n",
	       n, t, f, reps, (unsigned long long)miss);
	fflush(stdout);
}

static int one_count(uint32_t n, const struct opts *o)
{
	double *ins = calloc(o->reps * o->ops, sizeof(double)),
	       *del = calloc(o->reps * o->ops, sizeof(double)), acl[32], tier[32], flat[32];
	struct fp_ctrl *c = ctrl_with(n);
	struct fp_spd *flat_spd = NULL;
	uint64_t miss = 0, m;
	int rc = 0;

	if (c == NULL || ins == NULL || del == NULL) {
		rc = -1;
		goto out;
	}
	make_keys(n);
	for (unsigned r = 0; r < o->reps && rc == 0; r++) {
		rc = install_ops(c, n, o->ops, ins + r * o->ops, del + r * o->ops);
		acl[r] = acl_rebuild(n, &flat_spd);
		if (acl[r] < 0)
			rc = -1;
	}
	for (unsigned r = 0; r < o->reps && rc == 0; r++) {
		tier[r] = classify_run(fp_ctrl_spd(c), o->secs, &m);
		miss += m;
		flat[r] = classify_run(flat_spd, o->secs, &m);
		miss += m;
	}
	if (rc == 0) {
		report_install(n, ins, del, o->reps * o->ops, acl, o->reps);
		report_classify(n, tier, flat, o->reps, miss);
	}
out:
	fp_spd_free(flat_spd);
	fp_ctrl_free(c);
	free(ins);
	free(del);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .counts = "1,1000,10000,100000", .reps = 5, .ops = 200, .secs = 0.3 };
	char *dflt[] = { argv[0],       "--no-huge",      "-m", "6144", "--no-pci",
			 "--no-shconf", "--no-telemetry", "-l", "0",    "--log-level=lib.eal:error",
			 NULL };
	int ret, rc = 0, opt;

	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--") != 0) {
		ret = rte_eal_init(argc, argv);
	} else {
		ret = rte_eal_init((int)RTE_DIM(dflt) - 1, dflt);
		if (ret >= 0)
			ret = argc > 1 && strcmp(argv[1], "--") == 0 ? 1 : 0;
	}
	if (ret < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	optind = 1;
	while ((opt = getopt(argc, argv, "n:r:o:t:h")) != -1) {
		switch (opt) {
		case 'n': o.counts = optarg; break;
		case 'r': o.reps = (unsigned)atoi(optarg); break;
		case 'o': o.ops = (unsigned)atoi(optarg); break;
		case 't': o.secs = atof(optarg); break;
		default:
			fprintf(stderr, "usage: spd_bench [EAL args] -- [-n 1,1000,10000,100000] "
					"[-r repeats] [-o ops] [-t secs]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (o.reps == 0 || o.reps > 32 || o.ops == 0) {
		fprintf(stderr, "repeats 1..32, ops >= 1\n");
		return 2;
	}
	char *list = strdup(o.counts), *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (one_count((uint32_t)strtoul(t, NULL, 10), &o) != 0)
			rc = 1;
	free(list);
	rte_eal_cleanup();
	return rc;
}
