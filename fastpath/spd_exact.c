/* SPDX-License-Identifier: BSD-3-Clause */
/* The SPD's exact tier: rules by destination prefix in an rte_hash with
 * lock-free readers (spd.h says why). The control core is the only
 * writer: a bucket is never changed in place but copied, the copy
 * published with the hash's atomic data update, the old one retired. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "fastpath/spd_priv.h"

/* Shorter prefixes are rare and broad (configured catch-alls): each
 * length in use costs every packet one more probe. */
#define SPD_EXACT_MIN4 8u
#define SPD_EXACT_MIN6 16u

struct xkey4 {
	uint32_t addr, plen; /* host order, masked */
};
struct xkey6 {
	uint64_t hi, lo;
	uint32_t plen, pad;
};

struct spd_exact {
	struct rte_hash *h;
	/* Bit p of the 129: some key has prefix length p. Workers load the
	 * words one by one; a bit set before its first key is added and
	 * cleared after its last is removed costs at most a probe in vain. */
	uint64_t plens[3];
	uint32_t per_plen[129]; /* keys of each length (control core) */
	uint32_t n_rules;
	uint8_t family;
};

struct spd_exact *spd_exact_new(uint8_t family, uint32_t cap, int socket)
{
	static unsigned seq; /* control core only: names must be unique */
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		/* deleted keys' slots wait a grace period (spd_exact_del) */
		.entries = cap + cap / 8 + 64,
		.key_len = family == 4 ? sizeof(struct xkey4) : sizeof(struct xkey6),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct spd_exact *x = rte_zmalloc_socket("spd_exact", sizeof(*x), 0, socket);

	if (x == NULL)
		return NULL;
	snprintf(name, sizeof(name), "spdx%u_%u", family, seq++);
	x->family = family;
	x->h = rte_hash_create(&hp);
	if (x->h == NULL) {
		rte_free(x);
		return NULL;
	}
	return x;
}

void spd_exact_free(void *arg)
{
	struct spd_exact *x = arg;
	const void *key;
	void *data;
	uint32_t it = 0;

	if (x == NULL)
		return;
	while (rte_hash_iterate(x->h, &key, &data, &it) >= 0)
		rte_free(data);
	rte_hash_free(x->h);
	rte_free(x);
}

uint32_t spd_exact_count(const struct spd_exact *x)
{
	return x ? x->n_rules : 0;
}

static u128 addr128(const uint8_t *a, unsigned len)
{
	u128 v = 0;

	for (unsigned i = 0; i < len; i++)
		v = v << 8 | a[i];
	return v;
}

static u128 pmask(unsigned plen, unsigned bits)
{
	u128 all = bits == 128 ? ~(u128)0 : ((u128)1 << bits) - 1;

	return plen == 0 ? 0 : all & ~((((u128)1) << (bits - plen)) - 1);
}

unsigned spd_exact_plen(uint8_t family, const uint8_t *lo, const uint8_t *hi)
{
	unsigned bits = family == 4 ? 32 : 128;
	u128 l = addr128(lo, bits / 8), h = addr128(hi, bits / 8), span = h - l;

	if (!spd_exact_enabled() || h < l)
		return 0;
	/* one prefix: span + 1 is a power of two and lo is aligned to it */
	if ((span & (span + 1)) != 0 || (l & span) != 0)
		return 0;
	unsigned host = (unsigned)__builtin_popcountll((uint64_t)span) +
			(unsigned)__builtin_popcountll((uint64_t)(span >> 64));
	unsigned plen = bits - host;

	return plen >= (family == 4 ? SPD_EXACT_MIN4 : SPD_EXACT_MIN6) ? plen : 0;
}

/* The key of a rule's destination; its size. */
static size_t key_of(const struct spd_exact *x, const struct fp_selector *s, unsigned plen,
		     void *key)
{
	if (x->family == 4) {
		struct xkey4 *k = key;

		k->addr = (uint32_t)(addr128(s->dst_lo, 4) & pmask(plen, 32));
		k->plen = plen;
		return sizeof(*k);
	}
	struct xkey6 *k = key;
	u128 a = addr128(s->dst_lo, 16) & pmask(plen, 128);

	k->hi = (uint64_t)(a >> 64);
	k->lo = (uint64_t)a;
	k->plen = plen;
	k->pad = 0;
	return sizeof(*k);
}

static void xent_set(struct spd_xent *e, const struct fp_selector *s, uint32_t rank, uint32_t res)
{
	unsigned alen = s->family == 4 ? 4 : 16;

	e->src_lo = addr128(s->src_lo, alen);
	e->src_span = addr128(s->src_hi, alen) - e->src_lo;
	e->r.sp_lo = s->sport_lo;
	e->r.sp_span = (uint16_t)(s->sport_hi - s->sport_lo);
	e->r.dp_lo = s->dport_lo;
	e->r.dp_span = (uint16_t)(s->dport_hi - s->dport_lo);
	e->r.proto = s->proto;
	e->r.res = res;
	e->r.rank = rank;
}

static struct spd_bucket *bucket_new(uint32_t n)
{
	struct spd_bucket *b = rte_malloc("spd_bucket", sizeof(*b) + n * sizeof(b->e[0]), 16);

	if (b != NULL)
		b->n = n;
	return b;
}

static void retire(const struct spd_retire *rt, void (*fn)(void *), void *p)
{
	if (rt->fn == NULL)
		fn(p);
	else if (rt->fn(rt->arg, fn, p) != 0)
		RTE_SET_USED(p); /* leaked: better than freed under a reader */
}

static void bucket_free(void *p)
{
	rte_free(p);
}

static void plen_use(struct spd_exact *x, unsigned plen, int d)
{
	uint64_t bit = 1ull << (plen & 63);

	x->per_plen[plen] = (uint32_t)((int)x->per_plen[plen] + d);
	if (d > 0 && x->per_plen[plen] == 1)
		__atomic_fetch_or(&x->plens[plen >> 6], bit, __ATOMIC_RELEASE);
	else if (d < 0 && x->per_plen[plen] == 0)
		__atomic_fetch_and(&x->plens[plen >> 6], ~bit, __ATOMIC_RELEASE);
}

int spd_exact_add(struct spd_exact *x, const struct fp_selector *s, unsigned plen, uint32_t rank,
		  uint32_t res, const struct spd_retire *rt)
{
	uint8_t key[sizeof(struct xkey6)];
	struct spd_bucket *old = NULL, *b;
	uint32_t i = 0, j = 0;
	int rc;

	key_of(x, s, plen, key);
	if (rte_hash_lookup_data(x->h, key, (void **)&old) < 0)
		old = NULL;
	b = bucket_new(old ? old->n + 1 : 1);
	if (b == NULL)
		return -ENOMEM;
	for (; old && i < old->n && old->e[i].r.rank < rank; i++)
		b->e[j++] = old->e[i];
	xent_set(&b->e[j++], s, rank, res);
	for (; old && i < old->n; i++)
		b->e[j++] = old->e[i];
	if (old == NULL)
		plen_use(x, plen, 1);
	/* an existing key's data is replaced atomically (lock-free mode) */
	rc = rte_hash_add_key_data(x->h, key, b);
	if (rc != 0) {
		if (old == NULL)
			plen_use(x, plen, -1);
		rte_free(b);
		return rc;
	}
	if (old != NULL)
		retire(rt, bucket_free, old);
	x->n_rules++;
	return 0;
}

struct key_pos {
	struct rte_hash *h;
	int32_t pos;
};

static void key_pos_free(void *p)
{
	struct key_pos *kp = p;

	rte_hash_free_key_with_position(kp->h, kp->pos);
	rte_free(kp);
}

/* The last rule of a key: the key goes; its slot and bucket wait for the
 * readers that may have found them. */
static int key_drop(struct spd_exact *x, const void *key, unsigned plen, struct spd_bucket *old,
		    const struct spd_retire *rt)
{
	struct key_pos *kp = rte_malloc("spd_keypos", sizeof(*kp), 0);
	int32_t pos;

	if (kp == NULL)
		return -ENOMEM;
	pos = rte_hash_del_key(x->h, key);
	if (pos < 0) {
		rte_free(kp);
		return pos;
	}
	kp->h = x->h;
	kp->pos = pos;
	plen_use(x, plen, -1);
	retire(rt, bucket_free, old);
	retire(rt, key_pos_free, kp);
	return 0;
}

int spd_exact_del(struct spd_exact *x, const struct fp_selector *s, unsigned plen, uint32_t rank,
		  const struct spd_retire *rt)
{
	uint8_t key[sizeof(struct xkey6)];
	struct spd_bucket *old, *b;
	uint32_t j = 0;
	int rc;

	key_of(x, s, plen, key);
	if (rte_hash_lookup_data(x->h, key, (void **)&old) < 0)
		return -ENOENT;
	if (old->n == 1) {
		rc = old->e[0].r.rank == rank ? key_drop(x, key, plen, old, rt) : -ENOENT;
	} else {
		b = bucket_new(old->n - 1);
		if (b == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < old->n && j < b->n; i++)
			if (old->e[i].r.rank != rank)
				b->e[j++] = old->e[i];
		rc = rte_hash_add_key_data(x->h, key, b);
		if (rc != 0)
			rte_free(b);
		else
			retire(rt, bucket_free, old);
	}
	if (rc == 0)
		x->n_rules--;
	return rc;
}

int spd_exact_set_res(struct spd_exact *x, const struct fp_selector *s, unsigned plen,
		      uint32_t rank, uint32_t res, const struct spd_retire *rt)
{
	uint8_t key[sizeof(struct xkey6)];
	struct spd_bucket *old, *b;
	int rc;

	key_of(x, s, plen, key);
	if (rte_hash_lookup_data(x->h, key, (void **)&old) < 0)
		return -ENOENT;
	b = bucket_new(old->n);
	if (b == NULL)
		return -ENOMEM;
	memcpy(b->e, old->e, old->n * sizeof(old->e[0]));
	for (uint32_t i = 0; i < b->n; i++)
		if (b->e[i].r.rank == rank)
			b->e[i].r.res = res;
	rc = rte_hash_add_key_data(x->h, key, b);
	if (rc != 0)
		rte_free(b);
	else
		retire(rt, bucket_free, old);
	return rc;
}

/* ---- workers ---- */

static inline bool rest_ok(const struct lin_rest *l, uint8_t proto, uint16_t sp, uint16_t dp)
{
	return (l->proto == 0 || l->proto == proto) && (uint16_t)(sp - l->sp_lo) <= l->sp_span &&
	       (uint16_t)(dp - l->dp_lo) <= l->dp_span;
}

/* The bucket's first match (it is sorted by rank), if better than *rank. */
static inline void bucket_match(const struct spd_bucket *b, u128 src, uint8_t proto, uint16_t sp,
				uint16_t dp, uint32_t *rank, uint32_t *res)
{
	for (uint32_t j = 0; j < b->n && b->e[j].r.rank < *rank; j++) {
		const struct spd_xent *e = &b->e[j];

		if (src - e->src_lo <= e->src_span && rest_ok(&e->r, proto, sp, dp)) {
			*rank = e->r.rank;
			*res = e->r.res;
			return;
		}
	}
}

/* The buckets found are cache misses with many tunnels: all asked for
 * before the first is read. */
static inline void prefetch_hits(uint64_t hit, void *const data[])
{
	while (hit != 0) {
		rte_prefetch0(data[__builtin_ctzll(hit)]);
		hit &= hit - 1;
	}
}

static unsigned next_plen(uint64_t *m, unsigned word)
{
	unsigned b = 63 - (unsigned)__builtin_clzll(*m);

	*m &= ~(1ull << b);
	return word * 64 + b;
}

void spd_exact_lookup4(const struct spd_exact *x, const struct fp_spd_key4 *const k[],
		       uint32_t rank[], uint32_t res[], uint32_t n)
{
	uint64_t m = __atomic_load_n(&x->plens[0], __ATOMIC_ACQUIRE);
	struct xkey4 key[RTE_HASH_LOOKUP_BULK_MAX];
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];

	while (m != 0) {
		unsigned plen = next_plen(&m, 0);
		uint32_t mask = (uint32_t)pmask(plen, 32);
		uint64_t hit = 0;

		for (uint32_t i = 0; i < n; i++) {
			key[i].addr = rte_be_to_cpu_32(k[i]->dst) & mask;
			key[i].plen = plen;
			kp[i] = &key[i];
		}
		rte_hash_lookup_bulk_data(x->h, kp, n, &hit, data);
		prefetch_hits(hit, data);
		while (hit != 0) {
			unsigned i = (unsigned)__builtin_ctzll(hit);

			hit &= hit - 1;
			bucket_match(data[i], rte_be_to_cpu_32(k[i]->src), k[i]->proto,
				     rte_be_to_cpu_16(k[i]->sport), rte_be_to_cpu_16(k[i]->dport),
				     &rank[i], &res[i]);
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

static void lookup6_plen(const struct spd_exact *x, unsigned plen,
			 const struct fp_spd_key6 *const k[], uint32_t rank[], uint32_t res[],
			 uint32_t n)
{
	struct xkey6 key[RTE_HASH_LOOKUP_BULK_MAX];
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	u128 mask = pmask(plen, 128);
	uint64_t hit = 0;

	for (uint32_t i = 0; i < n; i++) {
		u128 a = be128(k[i]->dst) & mask;

		key[i] = (struct xkey6){ (uint64_t)(a >> 64), (uint64_t)a, plen, 0 };
		kp[i] = &key[i];
	}
	rte_hash_lookup_bulk_data(x->h, kp, n, &hit, data);
	prefetch_hits(hit, data);
	while (hit != 0) {
		unsigned i = (unsigned)__builtin_ctzll(hit);

		hit &= hit - 1;
		bucket_match(data[i], be128(k[i]->src), k[i]->proto, rte_be_to_cpu_16(k[i]->sport),
			     rte_be_to_cpu_16(k[i]->dport), &rank[i], &res[i]);
	}
}

void spd_exact_lookup6(const struct spd_exact *x, const struct fp_spd_key6 *const k[],
		       uint32_t rank[], uint32_t res[], uint32_t n)
{
	for (unsigned w = 0; w < 3; w++) {
		uint64_t m = __atomic_load_n(&x->plens[w], __ATOMIC_ACQUIRE);

		while (m != 0)
			lookup6_plen(x, next_plen(&m, w), k, rank, res, n);
	}
}
