/* SPDX-License-Identifier: BSD-3-Clause */
/* The SPD's rule database on the control core: every rule with its rank,
 * the lists the rest tiers are rebuilt from, the chains of rules naming
 * one SA or trap, and the commit that publishes what workers read.
 *
 * Ranks keep the list order without renumbering: a full replace numbers
 * the rules from RANK_MID up, rules put in front take the numbers just
 * below the first one. So a change costs the rules it touches, not the
 * rules there are (2^31 prepends between two replaces before a
 * renumbering, which is a full replace of the same list). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "fastpath/spd_priv.h"

#define NIL      UINT32_MAX
#define RANK_MID 0x80000000u

enum { L_ALL, L_REST }; /* the two lists a rule is on */

struct spd_rec {
	struct fp_spd_rule r;
	uint32_t rank, res;
	uint32_t prev[2], next[2]; /* L_ALL: the family's rules; L_REST */
	uint32_t next_spi;         /* chain of the rules of one (action, spi) */
	uint8_t plen;              /* exact tier: destination prefix; 0: rest */
};

struct dlist {
	uint32_t head, tail, n;
};

struct famdb {
	struct dlist l[2];
	struct spd_exact *ex;
	const struct spd_famgen *gen; /* published */
	bool dirty;                   /* gen out of date */
};

/* What a full replace builds anew and swaps. */
struct db_state {
	struct spd_rec *rec;
	uint32_t n, free_head, hiwat;
	struct rte_hash *names; /* (action << 32 | spi) -> 1 + first rule */
	uint32_t front, back;   /* rank of the first rule; after the last */
	struct famdb f[2];
};

struct unnamed {
	uint32_t a, spi;
};

struct fp_spd_db {
	struct fp_spd_db_cfg cfg;
	struct spd_retire rt;
	struct db_state st;
	struct fp_spd *gen; /* published */
	struct unnamed *unq;
	uint32_t n_unq, cap_unq;
};

/* ---- state ---- */

static int state_init(struct fp_spd_db *db, struct db_state *st)
{
	static unsigned seq; /* control core only: names must be unique */
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = db->cfg.max_rules + 64,
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = db->cfg.socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	memset(st, 0, sizeof(*st));
	snprintf(name, sizeof(name), "spdn_%u", seq++);
	st->rec = malloc(db->cfg.max_rules * sizeof(st->rec[0]));
	st->names = rte_hash_create(&hp);
	if (st->rec == NULL || st->names == NULL) {
		free(st->rec);
		rte_hash_free(st->names);
		return -ENOMEM;
	}
	st->free_head = NIL;
	st->front = st->back = RANK_MID;
	for (unsigned f = 0; f < 2; f++)
		for (unsigned l = 0; l < 2; l++)
			st->f[f].l[l] = (struct dlist){ NIL, NIL, 0 };
	return 0;
}

/* The control side of a state; what workers may read (exact tiers,
 * generations) is retired by the caller. */
static void state_fini(struct db_state *st)
{
	free(st->rec);
	rte_hash_free(st->names);
	st->rec = NULL;
	st->names = NULL;
}

static struct famdb *fam(struct db_state *st, uint8_t family)
{
	return &st->f[family == 6];
}

static uint32_t rec_alloc(struct db_state *st)
{
	uint32_t id = st->free_head;

	if (id != NIL)
		st->free_head = st->rec[id].next_spi;
	else
		id = st->hiwat++;
	st->n++;
	return id;
}

static void rec_release(struct db_state *st, uint32_t id)
{
	st->rec[id].next_spi = st->free_head;
	st->free_head = id;
	st->n--;
}

static void dl_push(struct db_state *st, struct dlist *d, unsigned l, uint32_t id, bool front)
{
	struct spd_rec *r = &st->rec[id];

	r->prev[l] = front ? NIL : d->tail;
	r->next[l] = front ? d->head : NIL;
	if (front) {
		if (d->head != NIL)
			st->rec[d->head].prev[l] = id;
		d->head = id;
		if (d->tail == NIL)
			d->tail = id;
	} else {
		if (d->tail != NIL)
			st->rec[d->tail].next[l] = id;
		d->tail = id;
		if (d->head == NIL)
			d->head = id;
	}
	d->n++;
}

static void dl_unlink(struct db_state *st, struct dlist *d, unsigned l, uint32_t id)
{
	struct spd_rec *r = &st->rec[id];

	if (r->prev[l] != NIL)
		st->rec[r->prev[l]].next[l] = r->next[l];
	else
		d->head = r->next[l];
	if (r->next[l] != NIL)
		st->rec[r->next[l]].prev[l] = r->prev[l];
	else
		d->tail = r->prev[l];
	d->n--;
}

static uint64_t name_key(uint32_t a, uint32_t spi)
{
	return (uint64_t)a << 32 | spi;
}

static bool named(enum fp_spd_action a)
{
	return a == FP_SPD_PROTECT || a == FP_SPD_TRAP;
}

static uint32_t names_get(const struct db_state *st, uint32_t a, uint32_t spi)
{
	uint64_t k = name_key(a, spi);
	void *d;

	return rte_hash_lookup_data(st->names, &k, &d) < 0 ? NIL : (uint32_t)(uintptr_t)d - 1;
}

static int names_set(struct db_state *st, uint32_t a, uint32_t spi, uint32_t head)
{
	uint64_t k = name_key(a, spi);

	if (head == NIL)
		return rte_hash_del_key(st->names, &k) < 0 ? 0 : 0;
	return rte_hash_add_key_data(st->names, &k, (void *)(uintptr_t)(head + 1));
}

static void chain_unlink(struct db_state *st, uint32_t id)
{
	struct spd_rec *r = &st->rec[id];
	uint32_t cur = names_get(st, r->r.action, r->r.spi), prev = NIL;

	while (cur != NIL && cur != id) {
		prev = cur;
		cur = st->rec[cur].next_spi;
	}
	if (cur == NIL)
		return;
	if (prev == NIL)
		names_set(st, r->r.action, r->r.spi, r->next_spi);
	else
		st->rec[prev].next_spi = r->next_spi;
}

/* ---- one rule in, one rule out ---- */

static int rec_insert(struct fp_spd_db *db, struct db_state *st, const struct fp_spd_rule *r,
		      uint32_t rank, uint32_t res, bool front)
{
	const struct fp_selector *s = &r->sel;
	struct famdb *f = fam(st, s->family);
	unsigned plen = spd_exact_plen(s->family, s->dst_lo, s->dst_hi);
	uint32_t id;
	int rc = 0;

	if (plen != 0 && f->ex == NULL) {
		f->ex = spd_exact_new(s->family, db->cfg.max_rules, db->cfg.socket);
		if (f->ex == NULL)
			return -ENOMEM;
		f->dirty = true; /* generations must point to it */
	}
	if (plen != 0)
		rc = spd_exact_add(f->ex, s, plen, rank, res, &db->rt);
	if (rc != 0)
		return rc;
	id = rec_alloc(st);
	st->rec[id] = (struct spd_rec){ .r = *r, .rank = rank, .res = res, .plen = (uint8_t)plen };
	if (plen == 0) {
		dl_push(st, &f->l[L_REST], L_REST, id, front);
		f->dirty = true;
	}
	dl_push(st, &f->l[L_ALL], L_ALL, id, front);
	if (f->l[L_ALL].n <= spd_linear_max() + 1)
		f->dirty = true; /* scanned, or was */
	st->rec[id].next_spi = NIL;
	if (named(r->action)) {
		st->rec[id].next_spi = names_get(st, r->action, r->spi);
		rc = names_set(st, r->action, r->spi, id);
	}
	return rc;
}

static int rec_remove(struct fp_spd_db *db, struct db_state *st, uint32_t id)
{
	struct spd_rec *r = &st->rec[id];
	struct famdb *f = fam(st, r->r.sel.family);

	if (r->plen != 0) {
		int rc = spd_exact_del(f->ex, &r->r.sel, r->plen, r->rank, &db->rt);

		if (rc != 0)
			return rc;
	} else {
		dl_unlink(st, &f->l[L_REST], L_REST, id);
		f->dirty = true;
	}
	dl_unlink(st, &f->l[L_ALL], L_ALL, id);
	if (f->l[L_ALL].n <= spd_linear_max())
		f->dirty = true;
	if (named(r->r.action))
		chain_unlink(st, id);
	rec_release(st, id);
	return 0;
}

/* ---- checks ---- */

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
	/* a rest tier rule may have to go into rte_acl one day */
	if (spd_exact_plen(s->family, s->dst_lo, s->dst_hi) == 0 && !spd_splittable(s)) {
		snprintf(err, errlen, "rule %u: address range needs more than %u prefixes", i,
			 FP_SPD_MAX_SPLIT);
		return -E2BIG;
	}
	return 0;
}

static int unq_push(struct fp_spd_db *db, uint32_t a, uint32_t spi)
{
	if (db->n_unq == db->cap_unq) {
		uint32_t cap = db->cap_unq ? 2 * db->cap_unq : 64;
		struct unnamed *q = realloc(db->unq, cap * sizeof(*q));

		if (q == NULL)
			return -ENOMEM; /* the slot stays used: a leak, not a hazard */
		db->unq = q;
		db->cap_unq = cap;
	}
	db->unq[db->n_unq++] = (struct unnamed){ a, spi };
	return 0;
}

/* Results of rules[0..n): an action, or PROTECT + the slot of its SA or
 * trap (slot_of may make the slot; on failure those made are queued for
 * the unnamed check). */
static int resolve(struct fp_spd_db *db, const struct fp_spd_rule *r, uint32_t n, uint32_t *res,
		   char *err, size_t errlen)
{
	for (uint32_t i = 0; i < n; i++) {
		int rc = check_rule(&r[i], i, err, errlen), slot;

		res[i] = (uint32_t)r[i].action;
		if (rc == 0 && named(r[i].action)) {
			slot = db->cfg.slot_of(db->cfg.arg, &r[i]);
			if (slot >= 0) {
				res[i] = FP_SPD_PROTECT + (uint32_t)slot;
			} else {
				snprintf(err, errlen, "rule %u: no slot for %s 0x%08x", i,
					 r[i].action == FP_SPD_TRAP ? "trap" : "SA", r[i].spi);
				rc = slot;
			}
		}
		if (rc != 0) {
			for (uint32_t j = 0; j < i; j++)
				if (named(r[j].action))
					unq_push(db, r[j].action, r[j].spi);
			return rc;
		}
	}
	return 0;
}

/* ---- generations ---- */

static void gen_free(void *p)
{
	rte_free(p);
}

static void retire(struct fp_spd_db *db, void (*fn)(void *), void *p)
{
	if (p == NULL)
		return;
	if (db->rt.fn == NULL)
		fn(p);
	else
		db->rt.fn(db->rt.arg, fn, p); /* on failure leaked, not freed under a reader */
}

/* The family's generation from its lists. */
static int famgen_make(struct fp_spd_db *db, struct db_state *st, unsigned fi,
		       struct spd_famgen **out, char *err, size_t errlen)
{
	struct famdb *f = &st->f[fi];
	bool every = f->l[L_ALL].n <= spd_linear_max();
	unsigned l = every ? L_ALL : L_REST;
	struct spd_brule *b;
	uint32_t n = 0;

	*out = NULL;
	if (f->l[L_ALL].n == 0)
		return 0;
	b = malloc((f->l[l].n + 1) * sizeof(*b));
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t id = f->l[l].head; id != NIL; id = st->rec[id].next[l])
		b[n++] = (struct spd_brule){ &st->rec[id].r.sel, st->rec[id].rank,
					     st->rec[id].res };
	*out = spd_famgen_build(b, n, every, f->ex, db->cfg.socket, err, errlen);
	free(b);
	return *out == NULL ? -ENOMEM : 0;
}

static int publish(struct fp_spd_db *db, struct db_state *st, char *err, size_t errlen)
{
	struct spd_famgen *g[2] = { NULL, NULL };
	struct fp_spd *spd, *old = db->gen;
	int rc = 0;

	for (unsigned fi = 0; fi < 2 && rc == 0; fi++)
		if (st->f[fi].dirty)
			rc = famgen_make(db, st, fi, &g[fi], err, errlen);
	spd = rc == 0 ? rte_zmalloc_socket("fp_spd", sizeof(*spd), 0, db->cfg.socket) : NULL;
	if (spd == NULL) {
		if (rc == 0)
			snprintf(err, errlen, "out of memory");
		spd_famgen_free(g[0]);
		spd_famgen_free(g[1]);
		return rc ? rc : -ENOMEM;
	}
	for (unsigned fi = 0; fi < 2; fi++) {
		const struct spd_famgen *cur = st->f[fi].gen;

		if (st->f[fi].dirty) {
			retire(db, spd_famgen_free, (void *)(uintptr_t)cur);
			cur = st->f[fi].gen = g[fi];
			st->f[fi].dirty = false;
		}
		if (fi == 0)
			spd->f4 = cur;
		else
			spd->f6 = cur;
	}
	db->gen = spd;
	if (db->cfg.publish != NULL)
		__atomic_store_n(db->cfg.publish, spd, __ATOMIC_RELEASE);
	retire(db, gen_free, old);
	return 0;
}

int fp_spd_db_commit(struct fp_spd_db *db, char *err, size_t errlen)
{
	int rc = 0;

	if (db->gen == NULL || db->st.f[0].dirty || db->st.f[1].dirty)
		rc = publish(db, &db->st, err, errlen);
	if (rc != 0)
		return rc;
	/* Only now: the published structures no longer name these. */
	for (uint32_t i = 0; i < db->n_unq; i++)
		if (db->cfg.unnamed != NULL &&
		    names_get(&db->st, db->unq[i].a, db->unq[i].spi) == NIL)
			db->cfg.unnamed(db->cfg.arg, db->unq[i].a, db->unq[i].spi);
	db->n_unq = 0;
	return 0;
}

/* ---- changes ---- */

/* Every (action, spi) of the old state that the new one lacks. */
static void names_gone(struct fp_spd_db *db, const struct db_state *old, const struct db_state *st)
{
	const void *key;
	void *data;
	uint32_t it = 0;

	while (rte_hash_iterate(old->names, &key, &data, &it) >= 0) {
		uint64_t k = *(const uint64_t *)key;

		if (names_get(st, (uint32_t)(k >> 32), (uint32_t)k) == NIL)
			unq_push(db, (uint32_t)(k >> 32), (uint32_t)k);
	}
}

static void state_retire(struct fp_spd_db *db, struct db_state *st)
{
	for (unsigned fi = 0; fi < 2; fi++) {
		retire(db, spd_famgen_free, (void *)(uintptr_t)st->f[fi].gen);
		retire(db, spd_exact_free, st->f[fi].ex);
	}
	state_fini(st);
}

static int fill(struct fp_spd_db *db, struct db_state *st, const struct fp_spd_rule *r, uint32_t n,
		const uint32_t *res, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < n; i++) {
		int rc = rec_insert(db, st, &r[i], RANK_MID + i, res[i], false);

		if (rc != 0) {
			snprintf(err, errlen, "rule %u: %s", i, strerror(-rc));
			return rc;
		}
	}
	st->back = RANK_MID + n;
	st->f[0].dirty = st->f[1].dirty = true;
	return 0;
}

int fp_spd_db_replace(struct fp_spd_db *db, const struct fp_spd_rule *r, uint32_t n, char *err,
		      size_t errlen)
{
	uint32_t *res = malloc((n + 1) * sizeof(*res));
	struct db_state st = { 0 }, old;
	int rc;

	if (res == NULL || n > db->cfg.max_rules) {
		free(res);
		snprintf(err, errlen, "%u rules, at most %u", n, db->cfg.max_rules);
		return res == NULL ? -ENOMEM : -E2BIG;
	}
	rc = resolve(db, r, n, res, err, errlen);
	if (rc == 0 && (rc = state_init(db, &st)) != 0)
		snprintf(err, errlen, "out of memory");
	if (rc == 0 && (rc = fill(db, &st, r, n, res, err, errlen)) == 0)
		rc = publish(db, &st, err, errlen);
	free(res);
	if (rc != 0) {
		if (st.rec != NULL) { /* nothing of it was published */
			db->rt.fn = NULL;
			state_retire(db, &st);
			db->rt = (struct spd_retire){ db->cfg.retire, db->cfg.arg };
		}
		for (uint32_t i = 0; i < n; i++)
			if (named(r[i].action))
				unq_push(db, r[i].action, r[i].spi);
		return rc;
	}
	old = db->st;
	db->st = st;
	names_gone(db, &old, &st);
	state_retire(db, &old);
	return 0;
}

uint32_t fp_spd_db_list(const struct fp_spd_db *db, struct fp_spd_rule *out, uint32_t max)
{
	const struct db_state *st = &db->st;
	uint32_t a = st->f[0].l[L_ALL].head, b = st->f[1].l[L_ALL].head, n = 0;

	/* merge the two families' lists by rank */
	while (n < max && (a != NIL || b != NIL)) {
		uint32_t *p = b == NIL || (a != NIL && st->rec[a].rank < st->rec[b].rank) ? &a : &b;

		out[n++] = st->rec[*p].r;
		*p = st->rec[*p].next[L_ALL];
	}
	return n;
}

/* Renumbers by a full replace with the same list (after 2^31 prepends). */
static int renumber(struct fp_spd_db *db, char *err, size_t errlen)
{
	uint32_t n = db->st.n;
	struct fp_spd_rule *all = malloc((n + 1) * sizeof(*all));
	int rc;

	if (all == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fp_spd_db_list(db, all, n);
	rc = fp_spd_db_replace(db, all, n, err, errlen);
	free(all);
	return rc;
}

int fp_spd_db_prepend(struct fp_spd_db *db, const struct fp_spd_rule *r, uint32_t n, char *err,
		      size_t errlen)
{
	struct db_state *st = &db->st;
	uint32_t *res, i;
	int rc = 0;

	if (st->n + n > db->cfg.max_rules) {
		snprintf(err, errlen, "%u rules, at most %u", st->n + n, db->cfg.max_rules);
		return -E2BIG;
	}
	if (st->front < n + 1 && (rc = renumber(db, err, errlen)) != 0)
		return rc;
	res = malloc((n + 1) * sizeof(*res));
	if (res == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = resolve(db, r, n, res, err, errlen);
	/* rules[0] ends first: inserted last, each in front */
	for (i = n; rc == 0 && i-- > 0;)
		rc = rec_insert(db, st, &r[i], st->front - n + i, res[i], true);
	if (rc != 0 && i < n) {
		snprintf(err, errlen, "rule %u: %s", i, strerror(-rc));
		for (uint32_t j = i + 1; j < n; j++) {
			rec_remove(db, st, st->f[r[j].sel.family == 6].l[L_ALL].head);
			if (named(r[j].action))
				unq_push(db, r[j].action, r[j].spi);
		}
	}
	if (rc == 0)
		st->front -= n;
	free(res);
	return rc;
}

uint32_t fp_spd_db_del(struct fp_spd_db *db, enum fp_spd_action a, uint32_t spi)
{
	struct db_state *st = &db->st;
	uint32_t id = names_get(st, a, spi), n = 0;

	while (id != NIL) {
		uint32_t next = st->rec[id].next_spi;

		if (rec_remove(db, st, id) != 0)
			break; /* out of memory: the rest stay */
		n++;
		id = next;
	}
	if (n != 0)
		unq_push(db, a, spi);
	return n;
}

int fp_spd_db_retarget(struct fp_spd_db *db, uint32_t old_spi, uint32_t new_spi, char *err,
		       size_t errlen)
{
	struct db_state *st = &db->st;
	uint32_t head = names_get(st, FP_SPD_PROTECT, old_spi), id, tail = NIL, res;
	struct fp_spd_rule probe = { .action = FP_SPD_PROTECT, .spi = new_spi };
	int slot;

	if (head == NIL || old_spi == new_spi)
		return 0;
	slot = db->cfg.slot_of(db->cfg.arg, &probe);
	if (slot < 0) {
		snprintf(err, errlen, "no slot for SA 0x%08x", new_spi);
		unq_push(db, FP_SPD_PROTECT, new_spi);
		return slot;
	}
	res = FP_SPD_PROTECT + (uint32_t)slot;
	for (id = head; id != NIL; id = st->rec[id].next_spi) {
		struct spd_rec *r = &st->rec[id];
		struct famdb *f = fam(st, r->r.sel.family);

		r->r.spi = new_spi;
		r->res = res;
		if (r->plen != 0)
			spd_exact_set_res(f->ex, &r->r.sel, r->plen, r->rank, res, &db->rt);
		else
			f->dirty = true;
		if (f->l[L_ALL].n <= spd_linear_max())
			f->dirty = true;
		tail = id;
	}
	st->rec[tail].next_spi = names_get(st, FP_SPD_PROTECT, new_spi);
	names_set(st, FP_SPD_PROTECT, new_spi, head);
	names_set(st, FP_SPD_PROTECT, old_spi, NIL);
	unq_push(db, FP_SPD_PROTECT, old_spi);
	return 0;
}

/* ---- the rest ---- */

struct fp_spd_db *fp_spd_db_create(const struct fp_spd_db_cfg *cfg, char *err, size_t errlen)
{
	struct fp_spd_db *db = calloc(1, sizeof(*db));

	if (db == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	db->cfg = *cfg;
	if (db->cfg.max_rules == 0)
		db->cfg.max_rules = FP_SPD_MAX_RULES;
	db->rt = (struct spd_retire){ cfg->retire, cfg->arg };
	if (state_init(db, &db->st) != 0 || fp_spd_db_commit(db, err, errlen) != 0) {
		snprintf(err, errlen, "out of memory");
		state_fini(&db->st);
		free(db);
		return NULL;
	}
	return db;
}

void fp_spd_db_free(struct fp_spd_db *db)
{
	if (db == NULL)
		return;
	db->rt.fn = NULL; /* no reader left */
	if (db->cfg.publish != NULL)
		*db->cfg.publish = NULL;
	retire(db, gen_free, db->gen);
	state_retire(db, &db->st);
	free(db->unq);
	free(db);
}

uint32_t fp_spd_db_count(const struct fp_spd_db *db)
{
	return db->st.n;
}

bool fp_spd_db_names(const struct fp_spd_db *db, enum fp_spd_action a, uint32_t spi)
{
	return names_get(&db->st, a, spi) != NIL;
}

const struct fp_spd *fp_spd_db_current(const struct fp_spd_db *db)
{
	return db->gen;
}

/* ---- a standalone SPD (tests, benchmarks) ---- */

struct fp_spd *fp_spd_build(const struct fp_spd_rule *rules, uint32_t n, fp_spd_slot_fn slot_of,
			    void *arg, int socket, char *err, size_t errlen)
{
	struct fp_spd_db_cfg cfg = {
		.max_rules = n + 1, .socket = socket, .slot_of = slot_of, .arg = arg
	};
	struct fp_spd_db *db = fp_spd_db_create(&cfg, err, errlen);

	if (db == NULL)
		return NULL;
	if (fp_spd_db_replace(db, rules, n, err, errlen) != 0 ||
	    fp_spd_db_commit(db, err, errlen) != 0) {
		fp_spd_db_free(db);
		return NULL;
	}
	db->gen->own = db;
	return db->gen;
}

void fp_spd_free(struct fp_spd *spd)
{
	if (spd != NULL && spd->own != NULL)
		fp_spd_db_free(spd->own);
}
