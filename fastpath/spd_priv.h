/* SPDX-License-Identifier: BSD-3-Clause */
/* The SPD's inner structures, shared by spd.c (generations, classify),
 * spd_exact.c (the exact tier) and spd_db.c (the rule database). Not a
 * public header: see spd.h for the design. */
#ifndef FP_SPD_PRIV_H
#define FP_SPD_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "fastpath/spd.h"

typedef unsigned __int128 u128;

#define SPD_RANK_NONE UINT32_MAX

/* What every classified entry holds besides addresses: ports and protocol
 * as ranges (*_span = hi - lo, one unsigned compare checks both ends),
 * the result and the rule's rank (lower wins: spd_db.c). */
struct lin_rest {
	uint16_t sp_lo, sp_span, dp_lo, dp_span;
	uint32_t res, rank;
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

/* ---- exact tier (spd_exact.c) ----
 * Rules whose destination is one prefix, in an rte_hash keyed by that
 * prefix (lock-free readers); the value is a bucket, immutable once
 * published, of the rules with that destination sorted by rank. */
struct spd_xent {
	u128 src_lo, src_span;
	struct lin_rest r;
};
struct spd_bucket {
	uint32_t n;
	struct spd_xent e[];
};

struct spd_exact;

struct spd_retire {
	int (*fn)(void *arg, void (*free_fn)(void *), void *p); /* NULL: free now */
	void *arg;
};

struct spd_exact *spd_exact_new(uint8_t family, uint32_t cap, int socket);
/* Frees the table and its buckets: no worker may still read it. */
void spd_exact_free(void *x);
/* The prefix length when [lo, hi] (network order, family's length) is one
 * prefix the tier takes, else 0. */
unsigned spd_exact_plen(uint8_t family, const uint8_t *lo, const uint8_t *hi);
int spd_exact_add(struct spd_exact *x, const struct fp_selector *s, unsigned plen, uint32_t rank,
		  uint32_t res, const struct spd_retire *rt);
int spd_exact_del(struct spd_exact *x, const struct fp_selector *s, unsigned plen, uint32_t rank,
		  const struct spd_retire *rt);
int spd_exact_set_res(struct spd_exact *x, const struct fp_selector *s, unsigned plen,
		      uint32_t rank, uint32_t res, const struct spd_retire *rt);
uint32_t spd_exact_count(const struct spd_exact *x);
/* Lowers rank[i]/res[i] to the best exact rule of key i, for n <= 64. */
void spd_exact_lookup4(const struct spd_exact *x, const struct fp_spd_key4 *const k[],
		       uint32_t rank[], uint32_t res[], uint32_t n);
void spd_exact_lookup6(const struct spd_exact *x, const struct fp_spd_key6 *const k[],
		       uint32_t rank[], uint32_t res[], uint32_t n);

/* ---- one family of a generation (spd.c): immutable once built ----
 * ex == NULL and lin holding every rule of the family: a plain scan
 * (few rules). Otherwise the exact tier (ex, may be NULL when empty) and
 * the rest tier: scanned (lin) when small, else rte_acl whose userdata
 * is 1 + an index into rest[]. */
struct spd_rest_ent {
	uint32_t rank, res;
};
struct spd_famgen {
	const struct spd_exact *ex;
	struct rte_acl_ctx *acl;
	struct spd_rest_ent *rest;
	uint32_t rest_min; /* rank of the rest tier's first rule */
	uint32_t n_acl;    /* ACL rules after splitting */
	uint32_t n_lin;
	bool tiered;
	union {
		struct lin4 *lin4;
		struct lin6 *lin6;
	};
};

struct fp_spd {
	const struct spd_famgen *f4, *f6; /* NULL: no rule of that family */
	struct fp_spd_db *own;            /* fp_spd_build(): freed with it */
};

/* One rule as the builder sees it (spd_db.c walks its lists). */
struct spd_brule {
	const struct fp_selector *sel;
	uint32_t rank, res;
};
/* Builds a family: every = true, the n rules are every rule of the family
 * (scanned); else they are its rest tier and ex its exact tier. */
struct spd_famgen *spd_famgen_build(const struct spd_brule *r, uint32_t n, bool every,
				    const struct spd_exact *ex, int socket, char *err,
				    size_t errlen);
void spd_famgen_free(void *g);
unsigned spd_linear_max(void);
bool spd_exact_enabled(void);
/* Whether the range splits into at most FP_SPD_MAX_SPLIT prefixes. */
bool spd_splittable(const struct fp_selector *s);

#endif
