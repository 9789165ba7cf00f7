/* SPDX-License-Identifier: BSD-3-Clause */
/* Static SAs and configured policies on reload (gw_reload.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/log.h"
#include "app/common/reload.h"
#include "app/gateway/gw.h"
#include "app/gateway/gw_reload.h"

struct sa_counts {
	unsigned added, removed, changed, failed;
};

static const char *dir_name(bool out)
{
	return out ? "out" : "in";
}

static const struct app_fp_sa *sa_find(const struct app_fp_cfg *f, bool out, uint32_t spi)
{
	for (unsigned i = 0; i < f->n_sas; i++)
		if (f->sas[i].out == out && f->sas[i].spi == spi)
			return &f->sas[i];
	return NULL;
}

/* Both parsed into zeroed memory: equal settings are equal bytes. */
static bool sa_same(const struct app_fp_sa *a, const struct app_fp_sa *b)
{
	return a != NULL && b != NULL && memcmp(a, b, sizeof(*a)) == 0;
}

static bool spi_held(const struct fp_ctrl *c, const struct app_fp_sa *s)
{
	return s->out ? fp_ctrl_out_sa(c, s->spi) != NULL : fp_ctrl_has_in_sa(c, s->spi);
}

static int check_sa(const struct fp_ctrl *c, const struct app_fp_cfg *run,
		    const struct app_fp_sa *s, char *err, size_t errlen)
{
	const struct app_fp_sa *old = sa_find(run, s->out, s->spi);
	struct fp_sa_params p;
	char why[160];
	int rc;

	if (sa_same(old, s))
		return 0;
	rc = app_gw_static_sa(s, &p, why, sizeof(why));
	ike_wipe(&p, sizeof(p));
	if (rc != 0) {
		snprintf(err, errlen, "fastpath.static_sas: SA %s 0x%08x: %s", dir_name(s->out),
			 s->spi, why);
		return -1;
	}
	if (old == NULL && spi_held(c, s)) {
		snprintf(err, errlen,
			 "fastpath.static_sas: SA %s 0x%08x: the SPI is held by an IKE "
			 "CHILD SA",
			 dir_name(s->out), s->spi);
		return -1;
	}
	return 0;
}

int app_gw_fp_reload_check(const struct fp_ctrl *c, const struct app_fp_cfg *run,
			   const struct app_fp_cfg *next, char *err, size_t errlen)
{
	uint32_t others = fp_ctrl_n_rules(c) - run->n_policies;

	for (unsigned i = 0; i < next->n_sas; i++)
		if (check_sa(c, run, &next->sas[i], err, errlen) != 0)
			return -1;
	if (others + next->n_policies > FP_SPD_MAX_RULES) {
		snprintf(err, errlen,
			 "fastpath.policies: %u policies with the %u CHILD SA and trap "
			 "policies installed exceed the SPD's %u",
			 next->n_policies, others, FP_SPD_MAX_RULES);
		return -1;
	}
	return 0;
}

static void sa_out_of_fp(struct fp_ctrl *c, const struct app_fp_sa *s, bool changed,
			 struct sa_counts *n)
{
	char err[160];

	if (fp_ctrl_del_sa(c, s->out ? FP_DIR_OUT : FP_DIR_IN, s->spi, err, sizeof(err)) != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR, "reload: static SA %s 0x%08x: %s",
			 dir_name(s->out), s->spi, err);
		n->failed++;
		return;
	}
	if (!changed) {
		n->removed++;
		app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO, "reload: static SA %s 0x%08x removed",
			 dir_name(s->out), s->spi);
	}
}

static void sa_into_fp(struct fp_ctrl *c, const struct app_fp_sa *s, bool changed,
		       struct sa_counts *n)
{
	struct fp_sa_params p;
	char err[160];
	int rc = app_gw_static_sa(s, &p, err, sizeof(err));

	if (rc == 0)
		rc = fp_ctrl_add_sa(c, &p, err, sizeof(err));
	ike_wipe(&p, sizeof(p));
	if (rc != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR,
			 "reload: static SA %s 0x%08x not installed: %s", dir_name(s->out), s->spi,
			 err);
		n->failed++;
		return;
	}
	changed ? n->changed++ : n->added++;
	app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO, "reload: static SA %s 0x%08x %s", dir_name(s->out),
		 s->spi, changed ? "changed (new keys or settings)" : "added");
}

/* Out first, then in: a changed SA keeps its SPI, so its old self must go
 * before the new one can be added (packets in between count as no_sa). */
static void apply_sas(struct fp_ctrl *c, const struct app_fp_cfg *run,
		      const struct app_fp_cfg *next, struct sa_counts *n)
{
	for (unsigned i = 0; i < run->n_sas; i++) {
		const struct app_fp_sa *o = &run->sas[i], *s = sa_find(next, o->out, o->spi);

		if (!sa_same(o, s))
			sa_out_of_fp(c, o, s != NULL, n);
	}
	for (unsigned i = 0; i < next->n_sas; i++) {
		const struct app_fp_sa *s = &next->sas[i], *o = sa_find(run, s->out, s->spi);

		if (!sa_same(o, s))
			sa_into_fp(c, s, o != NULL, n);
	}
}

static bool policies_same(const struct app_fp_cfg *a, const struct app_fp_cfg *b)
{
	return a->n_policies == b->n_policies &&
	       memcmp(a->policies, b->policies, a->n_policies * sizeof(a->policies[0])) == 0;
}

/* 1 replaced, 0 unchanged, -1 failed (logged). */
static int apply_policies(struct fp_ctrl *c, const struct app_fp_cfg *run,
			  const struct app_fp_cfg *next)
{
	struct fp_spd_rule *rules;
	char err[160] = "out of memory";
	int rc = -1;

	if (policies_same(run, next))
		return 0;
	rules = calloc(next->n_policies + 1, sizeof(*rules));
	if (rules != NULL) {
		for (unsigned i = 0; i < next->n_policies; i++)
			app_gw_policy(&next->policies[i], &rules[i]);
		rc = fp_ctrl_spd_replace_config(c, rules, next->n_policies, err, sizeof(err));
		free(rules);
	}
	if (rc != 0) {
		app_logs(APP_LOG_FASTPATH, IKE_LOG_ERR,
			 "reload: fastpath.policies not replaced: %s; the old ones stay", err);
		return -1;
	}
	app_logs(APP_LOG_FASTPATH, IKE_LOG_INFO, "reload: fastpath.policies replaced: %u -> %u",
		 run->n_policies, next->n_policies);
	return 1;
}

void app_gw_fp_reload_apply(struct fp_ctrl *c, const struct app_fp_cfg *run,
			    const struct app_fp_cfg *next, char *msg, size_t len)
{
	struct sa_counts n = { 0 };
	int pol;
	size_t k = 0;

	apply_sas(c, run, next, &n);
	pol = apply_policies(c, run, next);
	msg[0] = '\0';
	if (n.added + n.removed + n.changed + n.failed)
		k = (size_t)snprintf(msg, len, "static SAs: %u added, %u removed, %u changed%s",
				     n.added, n.removed, n.changed,
				     n.failed ? ", some failed (see the log)" : "");
	if (pol != 0 && k < len)
		snprintf(msg + k, len - k, "%spolicies %s (%u)", k ? "; " : "",
			 pol > 0 ? "replaced" : "NOT replaced (see the log)", next->n_policies);
}

static int fp_check(void *arg, const struct app_config *run, const struct app_config *next,
		    const struct app_conn_diff *d, char *err, size_t errlen)
{
	(void)d;
	return app_gw_fp_reload_check(arg, &run->fastpath, &next->fastpath, err, errlen);
}

static void fp_apply(void *arg, const struct app_config *run, const struct app_config *next,
		     const struct app_conn_diff *d, char *note, size_t len)
{
	(void)d;
	app_gw_fp_reload_apply(arg, &run->fastpath, &next->fastpath, note, len);
}

int app_gw_fp_reload(struct app_config *cfg, struct fp_ctrl *c, uint64_t now_ms, char *msg,
		     size_t len)
{
	static const struct app_reload_ops ops = { .check = fp_check, .apply = fp_apply };

	return app_config_reload(cfg, NULL, true, &ops, c, now_ms, msg, len);
}
