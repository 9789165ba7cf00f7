/* SPDX-License-Identifier: BSD-3-Clause */
/* Trap ids of the gateway (gw_traps.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/gateway/gw_traps.h"

/* 'of' sized and filled for cfg, from the used entries by name. */
static int index_build(struct gw_traps *t, const struct app_config *cfg)
{
	uint32_t *of = calloc((size_t)cfg->n_conns * IKE_MAX_CHILDREN + 1, sizeof(*of));

	if (!of)
		return -1;
	for (unsigned i = 0; i < t->n; i++) {
		int ci = t->v[i].used ? app_config_conn(cfg, t->v[i].conn) : -1;

		if (ci >= 0 && t->v[i].child < IKE_MAX_CHILDREN)
			of[(unsigned)ci * IKE_MAX_CHILDREN + t->v[i].child] = i + 1;
	}
	free(t->of);
	t->of = of;
	t->of_conns = cfg->n_conns;
	t->of_generation = cfg->generation;
	t->stale = false;
	return 0;
}

static uint32_t *slot(struct gw_traps *t, const struct app_config *cfg, unsigned ci, unsigned k)
{
	bool old = t->stale || !t->of || t->of_conns != cfg->n_conns ||
		   t->of_generation != cfg->generation;

	if (old && index_build(t, cfg) != 0)
		return NULL;
	return ci < t->of_conns && k < IKE_MAX_CHILDREN ? &t->of[ci * IKE_MAX_CHILDREN + k] : NULL;
}

uint32_t gw_traps_find(struct gw_traps *t, const struct app_config *cfg, unsigned ci, unsigned k)
{
	uint32_t *s = slot(t, cfg, ci, k);

	return s ? *s : 0;
}

static uint32_t id_take(struct gw_traps *t)
{
	if (t->n_free)
		return t->free_ids[--t->n_free];
	if (t->n == t->cap) {
		unsigned cap = t->cap ? 2 * t->cap : 64;
		struct gw_trap *v = realloc(t->v, cap * sizeof(*v));
		uint32_t *f = v ? realloc(t->free_ids, cap * sizeof(*f)) : NULL;

		if (v)
			t->v = v;
		if (!f)
			return 0;
		t->free_ids = f;
		t->cap = cap;
	}
	return ++t->n;
}

uint32_t gw_traps_new(struct gw_traps *t, const struct app_config *cfg, unsigned ci, unsigned k)
{
	uint32_t *s = slot(t, cfg, ci, k), id = s ? id_take(t) : 0;
	struct gw_trap *e;

	if (!id)
		return 0;
	e = &t->v[id - 1];
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->child = k;
	snprintf(e->conn, sizeof(e->conn), "%s", cfg->conns[ci].name);
	*s = id;
	return id;
}

const struct gw_trap *gw_traps_get(const struct gw_traps *t, uint32_t id)
{
	return id >= 1 && id <= t->n && t->v[id - 1].used ? &t->v[id - 1] : NULL;
}

void gw_traps_release(struct gw_traps *t, uint32_t id)
{
	if (!gw_traps_get(t, id))
		return;
	t->v[id - 1].used = false;
	t->free_ids[t->n_free++] = id; /* room: free_ids has cap >= n entries */
	t->stale = true;
}

void gw_traps_free(struct gw_traps *t)
{
	free(t->v);
	free(t->free_ids);
	free(t->of);
	memset(t, 0, sizeof(*t));
}
