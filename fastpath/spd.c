/* SPDX-License-Identifier: BSD-3-Clause */
/* The SPD's generations: per family, a scan of few rules, or the exact
 * tier (spd_exact.c) plus the rest tier on rte_acl or a scan; immutable
 * once built. See spd.h. Runs on the control core, except the classify
 * functions. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "fastpath/spd_priv.h"

enum { F4_PROTO, F4_SRC, F4_DST, F4_SPORT, F4_DPORT, F4_NUM };
enum { F6_PROTO, F6_SRC0, F6_DST0 = F6_SRC0 + 4, F6_SPORT = F6_DST0 + 4, F6_DPORT, F6_NUM };

RTE_ACL_RULE_DEF(acl4_rule, F4_NUM);
RTE_ACL_RULE_DEF(acl6_rule, F6_NUM);

/* A family with at most linear_max policies is classified by scanning its
 * ranges in priority order instead of through the tiers: rte_acl's cost
 * per packet is one trie transition per key byte, whatever the rule
 * count, and a hash probe about as much, while a scan that stops at the
 * first match costs a few compares per rule it passes (perf/fp_bench -P
 * compares them). The rest tier is scanned too when it is that small.
 * Ranges need no splitting into prefixes here. */
static unsigned linear_max = FP_SPD_LINEAR_DEFAULT;

void fp_spd_set_linear_max(unsigned n)
{
	linear_max = n < FP_SPD_LINEAR_CAP ? n : FP_SPD_LINEAR_CAP;
}

static bool exact_on = true;

void fp_spd_set_exact_tier(int on)
{
	exact_on = on != 0;
}

unsigned spd_linear_max(void)
{
	return linear_max;
}

bool spd_exact_enabled(void)
{
	return exact_on;
}

#define K4(f) offsetof(struct fp_spd_key4, f)
#define K6(f) offsetof(struct fp_spd_key6, f)

/* rte_acl: the first field is one byte; 4-byte input groups. */
static const struct rte_acl_field_def defs4[F4_NUM] = {
	{ RTE_ACL_FIELD_TYPE_BITMASK, 1, F4_PROTO, 0, K4(proto) },
	{ RTE_ACL_FIELD_TYPE_MASK, 4, F4_SRC, 1, K4(src) },
	{ RTE_ACL_FIELD_TYPE_MASK, 4, F4_DST, 2, K4(dst) },
	{ RTE_ACL_FIELD_TYPE_RANGE, 2, F4_SPORT, 3, K4(sport) },
	{ RTE_ACL_FIELD_TYPE_RANGE, 2, F4_DPORT, 3, K4(dport) },
};

static struct rte_acl_field_def defs6[F6_NUM];

static void defs6_init(void)
{
	defs6[F6_PROTO] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 1, F6_PROTO, 0,
						      K6(proto) };
	for (unsigned i = 0; i < 4; i++) {
		defs6[F6_SRC0 + i] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_MASK, 4,
								 (uint8_t)(F6_SRC0 + i),
								 (uint8_t)(1 + i),
								 (uint32_t)(K6(src) + 4 * i) };
		defs6[F6_DST0 + i] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_MASK, 4,
								 (uint8_t)(F6_DST0 + i),
								 (uint8_t)(5 + i),
								 (uint32_t)(K6(dst) + 4 * i) };
	}
	defs6[F6_SPORT] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, 2, F6_SPORT, 9,
						      K6(sport) };
	defs6[F6_DPORT] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, 2, F6_DPORT, 9,
						      K6(dport) };
}

/* ---- address ranges to prefixes ---- */

static u128 to_u128(const uint8_t *a, unsigned len)
{
	u128 v = 0;

	for (unsigned i = 0; i < len; i++)
		v = v << 8 | a[i];
	return v;
}

struct pfx {
	u128 addr;
	uint8_t plen;
};

/* Splits [lo, hi] of a bits-wide space into at most max prefixes; the
 * count, or -1 when more are needed. */
static int split_range(u128 lo, u128 hi, unsigned bits, struct pfx *out, int max)
{
	const u128 all = bits == 128 ? ~(u128)0 : ((u128)1 << bits) - 1;
	int n = 0;

	for (;;) {
		unsigned k = 0; /* the block has 2^k addresses */
		u128 last;

		while (k < bits) {
			u128 sz;

			if (k + 1 == bits) {
				if (lo == 0 && hi == all)
					k = bits;
				break;
			}
			sz = (u128)1 << (k + 1);
			if ((lo & (sz - 1)) != 0 || hi - lo < sz - 1)
				break;
			k++;
		}
		if (n == max)
			return -1;
		out[n].addr = lo;
		out[n].plen = (uint8_t)(bits - k);
		n++;
		if (k == bits)
			return n;
		last = lo + (((u128)1 << k) - 1);
		if (last >= hi)
			return n;
		lo = last + 1;
	}
}

static void rule_common(struct rte_acl_rule_data *d, uint32_t prio, uint32_t res)
{
	d->category_mask = 1;
	d->priority = (int32_t)prio;
	d->userdata = res;
}

static uint32_t proto_ports(const struct fp_selector *s, struct rte_acl_field *f, unsigned fp,
			    unsigned fsp, unsigned fdp)
{
	f[fp].value.u8 = s->proto;
	f[fp].mask_range.u8 = s->proto ? 0xff : 0;
	f[fsp].value.u16 = s->sport_lo;
	f[fsp].mask_range.u16 = s->sport_hi;
	f[fdp].value.u16 = s->dport_lo;
	f[fdp].mask_range.u16 = s->dport_hi;
	return 0;
}

static void set6(struct rte_acl_field *f, const struct pfx *p)
{
	for (unsigned i = 0; i < 4; i++) {
		int bits = (int)p->plen - 32 * (int)i;

		f[i].value.u32 = (uint32_t)(p->addr >> (96 - 32 * i));
		f[i].mask_range.u32 = (uint32_t)(bits < 0 ? 0 : bits > 32 ? 32 : bits);
	}
}

struct builder {
	struct rte_acl_ctx *ctx;
	uint32_t added;
	char *err;
	size_t errlen;
};

static struct rte_acl_ctx *ctx_new(uint8_t family, uint32_t max, int socket)
{
	static unsigned gen; /* control core only: names must be unique */
	char name[RTE_ACL_NAMESIZE];
	struct rte_acl_param prm = {
		.name = name,
		.socket_id = socket,
		.rule_size = family == 4 ? RTE_ACL_RULE_SZ(F4_NUM) : RTE_ACL_RULE_SZ(F6_NUM),
		.max_rule_num = max,
	};

	snprintf(name, sizeof(name), "spd%u_%u", family, gen++);
	return rte_acl_create(&prm);
}

static int split_sel(const struct fp_selector *s, struct pfx *sp, int *ns, struct pfx *dp, int *nd)
{
	unsigned bits = s->family == 4 ? 32 : 128, alen = bits / 8;

	*ns = split_range(to_u128(s->src_lo, alen), to_u128(s->src_hi, alen), bits, sp,
			  FP_SPD_MAX_SPLIT);
	*nd = split_range(to_u128(s->dst_lo, alen), to_u128(s->dst_hi, alen), bits, dp,
			  FP_SPD_MAX_SPLIT);
	return *ns < 0 || *nd < 0 ? -E2BIG : 0;
}

bool spd_splittable(const struct fp_selector *s)
{
	struct pfx sp[FP_SPD_MAX_SPLIT], dp[FP_SPD_MAX_SPLIT];
	int ns, nd;

	return split_sel(s, sp, &ns, dp, &nd) == 0;
}

static int acl_add(struct builder *b, const struct fp_selector *s, const struct pfx *sp,
		   const struct pfx *dp, uint32_t prio, uint32_t ud)
{
	if (s->family == 4) {
		struct acl4_rule a;

		memset(&a, 0, sizeof(a));
		rule_common(&a.data, prio, ud);
		proto_ports(s, a.field, F4_PROTO, F4_SPORT, F4_DPORT);
		a.field[F4_SRC].value.u32 = (uint32_t)sp->addr;
		a.field[F4_SRC].mask_range.u32 = sp->plen;
		a.field[F4_DST].value.u32 = (uint32_t)dp->addr;
		a.field[F4_DST].mask_range.u32 = dp->plen;
		return rte_acl_add_rules(b->ctx, (struct rte_acl_rule *)&a, 1);
	}
	struct acl6_rule a;

	memset(&a, 0, sizeof(a));
	rule_common(&a.data, prio, ud);
	proto_ports(s, a.field, F6_PROTO, F6_SPORT, F6_DPORT);
	set6(a.field + F6_SRC0, sp);
	set6(a.field + F6_DST0, dp);
	return rte_acl_add_rules(b->ctx, (struct rte_acl_rule *)&a, 1);
}

/* Adds the ACL rules of one policy (src prefixes x dst prefixes). */
static int add_rule(struct builder *b, const struct fp_selector *s, uint32_t prio, uint32_t ud)
{
	struct pfx sp[FP_SPD_MAX_SPLIT], dp[FP_SPD_MAX_SPLIT];
	int ns, nd;

	if (split_sel(s, sp, &ns, dp, &nd) != 0) {
		snprintf(b->err, b->errlen, "address range needs more than %u prefixes",
			 FP_SPD_MAX_SPLIT);
		return -E2BIG;
	}
	for (int i = 0; i < ns; i++) {
		for (int j = 0; j < nd; j++) {
			int rc = acl_add(b, s, &sp[i], &dp[j], prio, ud);

			if (rc != 0) {
				snprintf(b->err, b->errlen, "rte_acl_add_rules: %s",
					 rte_strerror(-rc));
				return rc;
			}
			b->added++;
		}
	}
	return 0;
}

static int finish(struct builder *b, uint8_t family)
{
	struct rte_acl_config cfg = { .num_categories = 1 };
	int rc;

	if (b->ctx == NULL)
		return 0;
	if (defs6[F6_DPORT].size == 0)
		defs6_init();
	cfg.num_fields = family == 4 ? F4_NUM : F6_NUM;
	memcpy(cfg.defs, family == 4 ? defs4 : defs6, cfg.num_fields * sizeof(defs4[0]));
	rc = rte_acl_build(b->ctx, &cfg);
	if (rc != 0)
		snprintf(b->err, b->errlen, "rte_acl_build: %s", rte_strerror(-rc));
	return rc;
}

/* The ACL rules the rest tier needs: rte_acl wants their number first. */
static uint32_t acl_count(const struct spd_brule *r, uint32_t n)
{
	struct pfx sp[FP_SPD_MAX_SPLIT], dp[FP_SPD_MAX_SPLIT];
	uint32_t total = 0;

	for (uint32_t i = 0; i < n; i++) {
		int ns, nd;

		if (split_sel(r[i].sel, sp, &ns, dp, &nd) == 0)
			total += (uint32_t)(ns * nd);
	}
	return total;
}

/* The rest tier on rte_acl: priority by position (rte_acl: higher wins),
 * userdata 1 + the index into rest[] where the rank and result are. */
static int acl_build(struct spd_famgen *g, uint8_t family, const struct spd_brule *r, uint32_t n,
		     int socket, char *err, size_t errlen)
{
	struct builder b = { .err = err, .errlen = errlen };
	uint32_t max = acl_count(r, n);
	int rc = 0;

	g->rest = rte_malloc_socket("spd_rest", n * sizeof(g->rest[0]), 0, socket);
	b.ctx = ctx_new(family, max ? max : 1, socket);
	if (g->rest == NULL || b.ctx == NULL) {
		snprintf(err, errlen, "rte_acl_create: %s", rte_strerror(rte_errno));
		rte_acl_free(b.ctx);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		g->rest[i] = (struct spd_rest_ent){ r[i].rank, r[i].res };
		rc = add_rule(&b, r[i].sel, n - i, i + 1);
	}
	if (rc == 0)
		rc = finish(&b, family);
	g->acl = b.ctx;
	g->n_acl = b.added;
	return rc;
}

void spd_famgen_free(void *p)
{
	struct spd_famgen *g = p;

	if (g == NULL)
		return;
	rte_acl_free(g->acl);
	rte_free(g->rest);
	rte_free(g->lin4);
	rte_free(g);
}

static void lin_rest_set(struct lin_rest *l, const struct spd_brule *b)
{
	const struct fp_selector *s = b->sel;

	l->sp_lo = s->sport_lo;
	l->sp_span = (uint16_t)(s->sport_hi - s->sport_lo);
	l->dp_lo = s->dport_lo;
	l->dp_span = (uint16_t)(s->dport_hi - s->dport_lo);
	l->proto = s->proto;
	l->res = b->res;
	l->rank = b->rank;
}

static void lin_set(struct spd_famgen *g, uint32_t i, const struct spd_brule *b)
{
	const struct fp_selector *s = b->sel;

	if (s->family == 4) {
		struct lin4 *l = &g->lin4[i];
		uint32_t slo = (uint32_t)to_u128(s->src_lo, 4),
			 dlo = (uint32_t)to_u128(s->dst_lo, 4);

		l->src_lo = slo;
		l->src_span = (uint32_t)to_u128(s->src_hi, 4) - slo;
		l->dst_lo = dlo;
		l->dst_span = (uint32_t)to_u128(s->dst_hi, 4) - dlo;
		lin_rest_set(&l->r, b);
	} else {
		struct lin6 *l = &g->lin6[i];

		l->src_lo = to_u128(s->src_lo, 16);
		l->src_span = to_u128(s->src_hi, 16) - l->src_lo;
		l->dst_lo = to_u128(s->dst_lo, 16);
		l->dst_span = to_u128(s->dst_hi, 16) - l->dst_lo;
		lin_rest_set(&l->r, b);
	}
}

static int lin_build(struct spd_famgen *g, uint8_t family, const struct spd_brule *r, uint32_t n,
		     int socket)
{
	size_t esz = family == 4 ? sizeof(struct lin4) : sizeof(struct lin6);

	g->lin4 = rte_malloc_socket("spd_lin", n * esz, 64, socket);
	if (g->lin4 == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		lin_set(g, i, &r[i]);
	g->n_lin = n;
	return 0;
}

struct spd_famgen *spd_famgen_build(const struct spd_brule *r, uint32_t n, bool every,
				    const struct spd_exact *ex, int socket, char *err,
				    size_t errlen)
{
	struct spd_famgen *g = rte_zmalloc_socket("spd_famgen", sizeof(*g), 64, socket);
	uint8_t family = n ? r[0].sel->family : 4;
	int rc = 0;

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->tiered = !every;
	g->ex = every ? NULL : ex;
	g->rest_min = n ? r[0].rank : SPD_RANK_NONE;
	if (n != 0 && (every || n <= linear_max))
		rc = lin_build(g, family, r, n, socket);
	else if (n != 0)
		rc = acl_build(g, family, r, n, socket, err, errlen);
	if (rc == -ENOMEM && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	if (rc != 0) {
		spd_famgen_free(g);
		return NULL;
	}
	return g;
}

uint32_t fp_spd_rule_count(const struct fp_spd *spd)
{
	return spd ? (spd->f4 ? spd->f4->n_acl : 0) + (spd->f6 ? spd->f6->n_acl : 0) : 0;
}

uint32_t fp_spd_scan_count(const struct fp_spd *spd)
{
	return spd ? (spd->f4 ? spd->f4->n_lin : 0) + (spd->f6 ? spd->f6->n_lin : 0) : 0;
}

uint32_t fp_spd_exact_count(const struct fp_spd *spd)
{
	if (spd == NULL)
		return 0;
	return (spd->f4 ? spd_exact_count(spd->f4->ex) : 0) +
	       (spd->f6 ? spd_exact_count(spd->f6->ex) : 0);
}

/* ---- classification (workers) ---- */

/* Protocol and ports of an entry against a key's (ports are 0 in keys of
 * protocols without them, as for rte_acl). */
static inline bool rest_in(const struct lin_rest *l, uint8_t proto, uint16_t sp, uint16_t dp)
{
	return (l->proto == 0 || l->proto == proto) && (uint16_t)(sp - l->sp_lo) <= l->sp_span &&
	       (uint16_t)(dp - l->dp_lo) <= l->dp_span;
}

/* First entry that matches and ranks better than rank[i]; the entries are
 * in rank order, so the scan stops at the first one that cannot win. */
static void scan4(const struct spd_famgen *g, const struct fp_spd_key4 *const k[], uint32_t rank[],
		  uint32_t res[], uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct fp_spd_key4 *key = k[i];
		uint32_t src = rte_be_to_cpu_32(key->src), dst = rte_be_to_cpu_32(key->dst);
		uint16_t sp = rte_be_to_cpu_16(key->sport), dp = rte_be_to_cpu_16(key->dport);
		const struct lin4 *l = g->lin4;

		for (uint32_t j = 0; j < g->n_lin && l[j].r.rank < rank[i]; j++) {
			if (src - l[j].src_lo <= l[j].src_span &&
			    dst - l[j].dst_lo <= l[j].dst_span &&
			    rest_in(&l[j].r, key->proto, sp, dp)) {
				rank[i] = l[j].r.rank;
				res[i] = l[j].r.res;
				break;
			}
		}
	}
}

static inline u128 be128(const uint8_t *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
	return (u128)rte_be_to_cpu_64(hi) << 64 | rte_be_to_cpu_64(lo);
}

static void scan6(const struct spd_famgen *g, const struct fp_spd_key6 *const k[], uint32_t rank[],
		  uint32_t res[], uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct fp_spd_key6 *key = k[i];
		u128 src = be128(key->src), dst = be128(key->dst);
		uint16_t sp = rte_be_to_cpu_16(key->sport), dp = rte_be_to_cpu_16(key->dport);
		const struct lin6 *l = g->lin6;

		for (uint32_t j = 0; j < g->n_lin && l[j].r.rank < rank[i]; j++) {
			if (src - l[j].src_lo <= l[j].src_span &&
			    dst - l[j].dst_lo <= l[j].dst_span &&
			    rest_in(&l[j].r, key->proto, sp, dp)) {
				rank[i] = l[j].r.rank;
				res[i] = l[j].r.res;
				break;
			}
		}
	}
}

/* The rest tier on rte_acl, for the keys whose best so far ranks below
 * its first rule (the others cannot change). */
static void acl_rest(const struct spd_famgen *g, const void *const k[], uint32_t rank[],
		     uint32_t res[], uint32_t n)
{
	const uint8_t *kk[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t idx[RTE_HASH_LOOKUP_BULK_MAX], ud[RTE_HASH_LOOKUP_BULK_MAX], m = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (rank[i] > g->rest_min) {
			idx[m] = i;
			kk[m++] = k[i];
		}
	}
	if (m == 0)
		return;
	rte_acl_classify(g->acl, kk, ud, m, 1);
	for (uint32_t j = 0; j < m; j++) {
		const struct spd_rest_ent *e;

		if (ud[j] == 0)
			continue;
		e = &g->rest[ud[j] - 1];
		if (e->rank < rank[idx[j]]) {
			rank[idx[j]] = e->rank;
			res[idx[j]] = e->res;
		}
	}
}

enum { CHUNK = RTE_HASH_LOOKUP_BULK_MAX };

/* Both tiers asked, the better rank wins (spd.h); one function per family. */
#define TIERED_FN(name, key_t, exact, scan)                                                  \
	static void name(const struct spd_famgen *g, const key_t *const k[], uint32_t res[], \
			 uint32_t n)                                                         \
	{                                                                                    \
		uint32_t rank[CHUNK];                                                        \
                                                                                             \
		for (uint32_t i = 0; i < n; i++) {                                           \
			rank[i] = SPD_RANK_NONE;                                             \
			res[i] = 0;                                                          \
		}                                                                            \
		if (g->ex != NULL)                                                           \
			exact(g->ex, k, rank, res, n);                                       \
		if (g->acl != NULL)                                                          \
			acl_rest(g, (const void *const *)k, rank, res, n);                   \
		else if (g->n_lin != 0)                                                      \
			scan(g, k, rank, res, n);                                            \
	}
TIERED_FN(tiered4, struct fp_spd_key4, spd_exact_lookup4, scan4)
TIERED_FN(tiered6, struct fp_spd_key6, spd_exact_lookup6, scan6)

/* Field by field: the keys' padding is nobody's to set. */
static inline bool key4_eq(const struct fp_spd_key4 *a, const struct fp_spd_key4 *b)
{
	return a->dst == b->dst && a->src == b->src && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

static inline bool key6_eq(const struct fp_spd_key6 *a, const struct fp_spd_key6 *b)
{
	return memcmp(a->dst, b->dst, 16) == 0 && memcmp(a->src, b->src, 16) == 0 &&
	       a->sport == b->sport && a->dport == b->dport && a->proto == b->proto;
}

/* Runs of equal keys (a flow's packets side by side in a burst, as a NIC
 * queue delivers them) are classified once: the tiers cost 60-80 cycles a
 * lookup at concentrator scale (docs/performance.md). Equal keys have
 * equal results, whatever the rules. */
#define RUNS_FN(name, key_t, tiered, eq)                                                     \
	static void name(const struct spd_famgen *g, const key_t *const k[], uint32_t res[], \
			 uint32_t n)                                                         \
	{                                                                                    \
		const key_t *u[CHUNK];                                                       \
		uint32_t ures[CHUNK], nu = 0;                                                \
		uint8_t of[CHUNK];                                                           \
                                                                                             \
		for (uint32_t i = 0; i < n; i++) {                                           \
			if (i == 0 || !eq(k[i], k[i - 1]))                                   \
				u[nu++] = k[i];                                              \
			of[i] = (uint8_t)(nu - 1);                                           \
		}                                                                            \
		if (nu == n) {                                                               \
			tiered(g, k, res, n);                                                \
			return;                                                              \
		}                                                                            \
		tiered(g, u, ures, nu);                                                      \
		for (uint32_t i = 0; i < n; i++)                                             \
			res[i] = ures[of[i]];                                                \
	}
RUNS_FN(runs4, struct fp_spd_key4, tiered4, key4_eq)
RUNS_FN(runs6, struct fp_spd_key6, tiered6, key6_eq)

void fp_spd_classify4(const struct fp_spd *spd, const struct fp_spd_key4 *k[], uint32_t res[],
		      uint32_t n)
{
	const struct spd_famgen *g = spd ? spd->f4 : NULL;

	if (g == NULL) {
		memset(res, 0, n * sizeof(res[0]));
		return;
	}
	for (uint32_t i = 0; i < n; i += CHUNK)
		runs4(g, k + i, res + i, RTE_MIN(n - i, (uint32_t)CHUNK));
}

void fp_spd_classify6(const struct fp_spd *spd, const struct fp_spd_key6 *k[], uint32_t res[],
		      uint32_t n)
{
	const struct spd_famgen *g = spd ? spd->f6 : NULL;

	if (g == NULL) {
		memset(res, 0, n * sizeof(res[0]));
		return;
	}
	for (uint32_t i = 0; i < n; i += CHUNK)
		runs6(g, k + i, res + i, RTE_MIN(n - i, (uint32_t)CHUNK));
}

uint32_t fp_spd_match_ref(const struct fp_spd_rule *rules, uint32_t n, uint8_t family,
			  const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t sport,
			  uint16_t dport)
{
	unsigned alen = family == 4 ? 4 : 16;

	for (uint32_t i = 0; i < n; i++) {
		const struct fp_selector *s = &rules[i].sel;

		if (s->family != family || (s->proto && s->proto != proto))
			continue;
		if (memcmp(src, s->src_lo, alen) < 0 || memcmp(src, s->src_hi, alen) > 0 ||
		    memcmp(dst, s->dst_lo, alen) < 0 || memcmp(dst, s->dst_hi, alen) > 0)
			continue;
		if (sport < s->sport_lo || sport > s->sport_hi || dport < s->dport_lo ||
		    dport > s->dport_hi)
			continue;
		return i + 1;
	}
	return 0;
}
