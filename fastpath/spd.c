/* SPDX-License-Identifier: BSD-3-Clause */
/* SPD on rte_acl, or a scan for a family with few policies: a generation
 * is immutable once built from the whole rule list; see spd.h. Runs on
 * the control core, except the classify functions. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "fastpath/spd.h"

enum { F4_PROTO, F4_SRC, F4_DST, F4_SPORT, F4_DPORT, F4_NUM };
enum { F6_PROTO, F6_SRC0, F6_DST0 = F6_SRC0 + 4, F6_SPORT = F6_DST0 + 4, F6_DPORT, F6_NUM };

RTE_ACL_RULE_DEF(acl4_rule, F4_NUM);
RTE_ACL_RULE_DEF(acl6_rule, F6_NUM);

typedef unsigned __int128 u128;

/* A family with at most linear_max policies is classified by scanning its
 * ranges in priority order instead of through rte_acl: rte_acl's cost per
 * packet is one trie transition per key byte, whatever the rule count,
 * while a scan that stops at the first match costs a few compares per
 * rule it passes (perf/fp_bench -P compares the two). Ranges need no
 * splitting into prefixes here. Values in host order; *_span = hi - lo, so
 * one unsigned compare checks both ends. */
struct lin_rest { /* what both families' entries hold */
	uint16_t sp_lo, sp_span, dp_lo, dp_span;
	uint32_t res;
	uint8_t proto;
};
struct lin4 {
	uint32_t src_lo, src_span, dst_lo, dst_span;
	struct lin_rest r;
};
struct lin6 {
	u128 src_lo, src_span, dst_lo, dst_span;
	struct lin_rest r;
};

static unsigned linear_max = FP_SPD_LINEAR_DEFAULT;

void fp_spd_set_linear_max(unsigned n)
{
	linear_max = n < FP_SPD_LINEAR_CAP ? n : FP_SPD_LINEAR_CAP;
}

struct fp_spd {
	struct rte_acl_ctx *acl4, *acl6; /* NULL when scanned or no rule of that family */
	uint32_t n_acl;                  /* ACL rules after splitting */
	uint16_t n_lin4, n_lin6;
	struct lin4 lin4[FP_SPD_LINEAR_CAP];
	struct lin6 lin6[FP_SPD_LINEAR_CAP];
};

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

static struct rte_acl_ctx *ctx_new(const char *fam, unsigned nf, uint32_t max, int socket)
{
	static unsigned gen; /* control core only: names must be unique */
	char name[RTE_ACL_NAMESIZE];
	struct rte_acl_param prm = {
		.name = name,
		.socket_id = socket,
		.rule_size = RTE_ACL_RULE_SZ(nf),
		.max_rule_num = max,
	};

	snprintf(name, sizeof(name), "spd%s_%u", fam, gen++);
	return rte_acl_create(&prm);
}

/* Adds the ACL rules of one policy (src prefixes x dst prefixes). */
static int add_rule(struct builder *b, const struct fp_spd_rule *r, uint32_t prio, uint32_t res,
		    int socket, uint32_t max)
{
	const struct fp_selector *s = &r->sel;
	unsigned bits = s->family == 4 ? 32 : 128, alen = bits / 8;
	struct pfx sp[FP_SPD_MAX_SPLIT], dp[FP_SPD_MAX_SPLIT];
	int ns = split_range(to_u128(s->src_lo, alen), to_u128(s->src_hi, alen), bits, sp,
			     FP_SPD_MAX_SPLIT);
	int nd = split_range(to_u128(s->dst_lo, alen), to_u128(s->dst_hi, alen), bits, dp,
			     FP_SPD_MAX_SPLIT);

	if (ns < 0 || nd < 0) {
		snprintf(b->err, b->errlen, "address range needs more than %u prefixes",
			 FP_SPD_MAX_SPLIT);
		return -E2BIG;
	}
	if (b->ctx == NULL) {
		b->ctx = s->family == 4 ? ctx_new("4", F4_NUM, max, socket)
					: ctx_new("6", F6_NUM, max, socket);
		if (b->ctx == NULL) {
			snprintf(b->err, b->errlen, "rte_acl_create: %s", rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	for (int i = 0; i < ns; i++) {
		for (int j = 0; j < nd; j++) {
			int rc;

			if (b->added == max) {
				snprintf(b->err, b->errlen, "more than %u ACL rules", max);
				return -E2BIG;
			}
			if (s->family == 4) {
				struct acl4_rule a;

				memset(&a, 0, sizeof(a));
				rule_common(&a.data, prio, res);
				proto_ports(s, a.field, F4_PROTO, F4_SPORT, F4_DPORT);
				a.field[F4_SRC].value.u32 = (uint32_t)sp[i].addr;
				a.field[F4_SRC].mask_range.u32 = sp[i].plen;
				a.field[F4_DST].value.u32 = (uint32_t)dp[j].addr;
				a.field[F4_DST].mask_range.u32 = dp[j].plen;
				rc = rte_acl_add_rules(b->ctx, (struct rte_acl_rule *)&a, 1);
			} else {
				struct acl6_rule a;

				memset(&a, 0, sizeof(a));
				rule_common(&a.data, prio, res);
				proto_ports(s, a.field, F6_PROTO, F6_SPORT, F6_DPORT);
				set6(a.field + F6_SRC0, &sp[i]);
				set6(a.field + F6_DST0, &dp[j]);
				rc = rte_acl_add_rules(b->ctx, (struct rte_acl_rule *)&a, 1);
			}
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

static int finish(struct builder *b, const struct rte_acl_field_def *defs, unsigned nf)
{
	struct rte_acl_config cfg = { .num_categories = 1, .num_fields = nf };
	int rc;

	if (b->ctx == NULL)
		return 0;
	memcpy(cfg.defs, defs, nf * sizeof(defs[0]));
	rc = rte_acl_build(b->ctx, &cfg);
	if (rc != 0)
		snprintf(b->err, b->errlen, "rte_acl_build: %s", rte_strerror(-rc));
	return rc;
}

void fp_spd_free(struct fp_spd *spd)
{
	if (spd == NULL)
		return;
	rte_acl_free(spd->acl4);
	rte_acl_free(spd->acl6);
	rte_free(spd);
}

uint32_t fp_spd_rule_count(const struct fp_spd *spd)
{
	return spd ? spd->n_acl : 0;
}

uint32_t fp_spd_scan_count(const struct fp_spd *spd)
{
	return spd ? (uint32_t)spd->n_lin4 + spd->n_lin6 : 0;
}

static void lin_rest_set(struct lin_rest *l, const struct fp_selector *s, uint32_t res)
{
	l->sp_lo = s->sport_lo;
	l->sp_span = (uint16_t)(s->sport_hi - s->sport_lo);
	l->dp_lo = s->dport_lo;
	l->dp_span = (uint16_t)(s->dport_hi - s->dport_lo);
	l->proto = s->proto;
	l->res = res;
}

static void add_scanned(struct fp_spd *spd, const struct fp_spd_rule *r, uint32_t res)
{
	const struct fp_selector *s = &r->sel;

	if (s->family == 4) {
		struct lin4 *l = &spd->lin4[spd->n_lin4++];
		uint32_t slo = (uint32_t)to_u128(s->src_lo, 4),
			 dlo = (uint32_t)to_u128(s->dst_lo, 4);

		l->src_lo = slo;
		l->src_span = (uint32_t)to_u128(s->src_hi, 4) - slo;
		l->dst_lo = dlo;
		l->dst_span = (uint32_t)to_u128(s->dst_hi, 4) - dlo;
		lin_rest_set(&l->r, s, res);
	} else {
		struct lin6 *l = &spd->lin6[spd->n_lin6++];

		l->src_lo = to_u128(s->src_lo, 16);
		l->src_span = to_u128(s->src_hi, 16) - l->src_lo;
		l->dst_lo = to_u128(s->dst_lo, 16);
		l->dst_span = to_u128(s->dst_hi, 16) - l->dst_lo;
		lin_rest_set(&l->r, s, res);
	}
}

static int check_rule(const struct fp_spd_rule *r, uint32_t i, char *err, size_t errlen)
{
	const struct fp_selector *s = &r->sel;
	unsigned alen = s->family == 4 ? 4 : 16;

	if (s->family != 4 && s->family != 6) {
		snprintf(err, errlen, "rule %u: family %u", i, s->family);
		return -EINVAL;
	}
	if (s->sport_lo > s->sport_hi || s->dport_lo > s->dport_hi ||
	    memcmp(s->src_lo, s->src_hi, alen) > 0 || memcmp(s->dst_lo, s->dst_hi, alen) > 0) {
		snprintf(err, errlen, "rule %u: empty range", i);
		return -EINVAL;
	}
	if (r->action < FP_SPD_DISCARD || r->action > FP_SPD_TRAP) {
		snprintf(err, errlen, "rule %u: bad action", i);
		return -EINVAL;
	}
	return 0;
}

struct fp_spd *fp_spd_build(const struct fp_spd_rule *rules, uint32_t n, fp_spd_slot_fn slot_of,
			    void *arg, int socket, char *err, size_t errlen)
{
	struct builder b4 = { .err = err, .errlen = errlen }, b6 = b4;
	struct fp_spd *spd;
	uint32_t n4 = 0, n6 = 0;
	bool scan4, scan6;
	int rc = 0;

	if (n > FP_SPD_MAX_RULES) {
		snprintf(err, errlen, "%u rules, at most %u", n, FP_SPD_MAX_RULES);
		return NULL;
	}
	if (defs6[F6_DPORT].size == 0)
		defs6_init();
	spd = rte_zmalloc_socket("fp_spd", sizeof(*spd), 0, socket);
	if (spd == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		n4 += rules[i].sel.family == 4;
		n6 += rules[i].sel.family == 6;
	}
	scan4 = n4 <= linear_max;
	scan6 = n6 <= linear_max;
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		const struct fp_spd_rule *r = &rules[i];
		uint32_t res = (uint32_t)r->action;
		bool v4 = r->sel.family == 4;

		if ((rc = check_rule(r, i, err, errlen)) != 0)
			break;
		if (r->action == FP_SPD_PROTECT || r->action == FP_SPD_TRAP) {
			int slot = slot_of(arg, r);

			if (slot < 0) {
				snprintf(err, errlen, "rule %u: no slot for %s 0x%08x", i,
					 r->action == FP_SPD_TRAP ? "trap" : "SA", r->spi);
				rc = slot;
				break;
			}
			res = FP_SPD_PROTECT + (uint32_t)slot;
		}
		if (v4 ? scan4 : scan6)
			add_scanned(spd, r, res);
		else
			rc = add_rule(v4 ? &b4 : &b6, r, FP_SPD_MAX_RULES - i, res, socket,
				      FP_SPD_MAX_RULES * 4);
	}
	if (rc == 0)
		rc = finish(&b4, defs4, F4_NUM);
	if (rc == 0)
		rc = finish(&b6, defs6, F6_NUM);
	spd->acl4 = b4.ctx;
	spd->acl6 = b6.ctx;
	spd->n_acl = b4.added + b6.added;
	if (rc != 0) {
		fp_spd_free(spd);
		return NULL;
	}
	return spd;
}

/* Protocol and ports of an entry against a key's (ports are 0 in keys of
 * protocols without them, as for rte_acl). */
static inline bool rest_in(const struct lin_rest *l, uint8_t proto, uint16_t sp, uint16_t dp)
{
	return (l->proto == 0 || l->proto == proto) && (uint16_t)(sp - l->sp_lo) <= l->sp_span &&
	       (uint16_t)(dp - l->dp_lo) <= l->dp_span;
}

static void scan4(const struct fp_spd *spd, const struct fp_spd_key4 *k[], uint32_t res[],
		  uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct fp_spd_key4 *key = k[i];
		uint32_t src = rte_be_to_cpu_32(key->src), dst = rte_be_to_cpu_32(key->dst);
		uint16_t sp = rte_be_to_cpu_16(key->sport), dp = rte_be_to_cpu_16(key->dport);
		unsigned j = 0;

		while (j < spd->n_lin4 && !(src - spd->lin4[j].src_lo <= spd->lin4[j].src_span &&
					    dst - spd->lin4[j].dst_lo <= spd->lin4[j].dst_span &&
					    rest_in(&spd->lin4[j].r, key->proto, sp, dp)))
			j++;
		res[i] = j < spd->n_lin4 ? spd->lin4[j].r.res : 0;
	}
}

static inline u128 be128(const uint8_t *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
	return (u128)rte_be_to_cpu_64(hi) << 64 | rte_be_to_cpu_64(lo);
}

static void scan6(const struct fp_spd *spd, const struct fp_spd_key6 *k[], uint32_t res[],
		  uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct fp_spd_key6 *key = k[i];
		u128 src = be128(key->src), dst = be128(key->dst);
		uint16_t sp = rte_be_to_cpu_16(key->sport), dp = rte_be_to_cpu_16(key->dport);
		unsigned j = 0;

		while (j < spd->n_lin6 && !(src - spd->lin6[j].src_lo <= spd->lin6[j].src_span &&
					    dst - spd->lin6[j].dst_lo <= spd->lin6[j].dst_span &&
					    rest_in(&spd->lin6[j].r, key->proto, sp, dp)))
			j++;
		res[i] = j < spd->n_lin6 ? spd->lin6[j].r.res : 0;
	}
}

void fp_spd_classify4(const struct fp_spd *spd, const struct fp_spd_key4 *k[], uint32_t res[],
		      uint32_t n)
{
	if (spd != NULL && spd->n_lin4 != 0) {
		scan4(spd, k, res, n);
		return;
	}
	if (spd == NULL || spd->acl4 == NULL || n == 0) {
		memset(res, 0, n * sizeof(res[0]));
		return;
	}
	rte_acl_classify(spd->acl4, (const uint8_t **)k, res, n, 1);
}

void fp_spd_classify6(const struct fp_spd *spd, const struct fp_spd_key6 *k[], uint32_t res[],
		      uint32_t n)
{
	if (spd != NULL && spd->n_lin6 != 0) {
		scan6(spd, k, res, n);
		return;
	}
	if (spd == NULL || spd->acl6 == NULL || n == 0) {
		memset(res, 0, n * sizeof(res[0]));
		return;
	}
	rte_acl_classify(spd->acl6, (const uint8_t **)k, res, n, 1);
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
