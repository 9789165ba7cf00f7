/* SPDX-License-Identifier: BSD-3-Clause */
/* Revocation checks: where a certificate's status can come from (a
 * configured responder, the AIA's OCSP URIs, configured CRL files, the CRL
 * distribution points), what the cache already says, and which fetch to
 * start when it says nothing. OCSP is asked before CRLs (one answer about
 * one certificate is cheaper than a whole list); a revocation from any
 * source wins, a current "good" from any source is enough. A check waits
 * for one fetch at a time and is evaluated again when any fetch ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "ike/pki/rev_priv.h"

static void rk_add_url(struct rev_check *c, char (*list)[REV_URL_MAX], unsigned *n, const char *url)
{
	c->has_source = true;
	if (strncasecmp(url, "http://", 7) != 0 || strlen(url) >= REV_URL_MAX) {
		if (!c->skipped[0])
			snprintf(c->skipped, sizeof(c->skipped),
				 "%.*s is not fetched (http:// only)", REV_URL_MAX - 1, url);
		return;
	}
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(list[i], url) == 0)
			return;
	if (*n < REV_MAX_URLS)
		snprintf(list[(*n)++], REV_URL_MAX, "%s", url);
}

static void rk_cdp(struct rev_check *c)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(c->cert, NID_crl_distribution_points, NULL,
						     NULL);

	for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *names;

		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (int k = 0; k < sk_GENERAL_NAME_num(names); k++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, k);

			if (gn->type == GEN_URI)
				rk_add_url(c, c->crl, &c->n_crl,
					   (const char *)ASN1_STRING_get0_data(
						   gn->d.uniformResourceIdentifier));
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
}

/* The sources of c's status, responders configured for its issuer first. */
static void rk_sources(struct ike_rev_ctx *ctx, struct rev_check *c)
{
	STACK_OF(OPENSSL_STRING) *aia = X509_get1_ocsp(c->cert);

	for (struct rev_responder *r = ctx->responders; r; r = r->next)
		if (memcmp(r->ikh, c->ikh, REV_IKH_LEN) == 0)
			rk_add_url(c, c->ocsp, &c->n_ocsp, r->url);
	for (int i = 0; i < sk_OPENSSL_STRING_num(aia); i++)
		rk_add_url(c, c->ocsp, &c->n_ocsp, sk_OPENSSL_STRING_value(aia, i));
	X509_email_free(aia);
	rk_cdp(c);
	for (struct rev_ent *e = ctx->files; e; e = e->next)
		if (memcmp(e->ikh, c->ikh, REV_IKH_LEN) == 0)
			c->has_source = true;
}

/* Why a check ended unknown: each source's story, "; " between. */
struct rk_notes {
	char buf[600];
	size_t len;
};

static void rk_note(struct rk_notes *n, const char *a, const char *b)
{
	int w = snprintf(n->buf + n->len, sizeof(n->buf) - n->len, "%s%s%s%s", n->len ? "; " : "",
			 a, b ? ": " : "", b ? b : "");

	if (w > 0)
		n->len += (size_t)w < sizeof(n->buf) - n->len ? (size_t)w
							      : sizeof(n->buf) - n->len - 1;
}

/* True when the cached entry e gives a definite answer (into r). */
static bool rk_from_ent(struct rev_check *c, struct rev_ent *e, time_t now,
			struct ike_rev_result *r, struct rk_notes *notes)
{
	struct ike_rev_result t;
	const char *why;

	if (!e)
		return false;
	e->used = now;
	if (e->state == REV_FAILED)
		rk_note(notes, e->src, e->err);
	if (e->state != REV_HAVE)
		return false;
	ike_rev_result_init(&t, c->cert);
	if (e->kind == REV_OCSP)
		ike_rev_ocsp_result(&e->ans, c->cert, now, e->src, &t);
	else
		ike_rev_crl_lookup(e->crl, c->cert, now, e->src, &t);
	/* A fetched "good" vouches until the answer is due again. */
	if (t.status == IKE_REV_GOOD && e->kind != REV_CRL_FILE && now >= e->refetch_at)
		return false;
	if (t.status != IKE_REV_UNKNOWN) {
		t.has_source = r->has_source;
		*r = t;
		return true;
	}
	why = strstr(t.msg, " unknown: ");
	rk_note(notes, why ? why + 10 : t.msg, NULL);
	return false;
}

static struct rev_ent *rk_find(struct ike_rev_ctx *ctx, struct rev_check *c, enum rev_kind kind,
			       const char *url)
{
	char *key = rev_key(kind, c->ikh, kind == REV_OCSP ? c->res.serial : NULL, url);
	struct rev_ent *e = key ? rev_find(ctx, key) : NULL;

	free(key);
	return e;
}

/* What the cache says, definitely, about c. */
static bool rk_cached(struct ike_rev_ctx *ctx, struct rev_check *c, time_t now,
		      struct ike_rev_result *r, struct rk_notes *notes)
{
	for (unsigned i = 0; i < c->n_ocsp; i++)
		if (rk_from_ent(c, rk_find(ctx, c, REV_OCSP, c->ocsp[i]), now, r, notes))
			return true;
	for (struct rev_ent *e = ctx->files; e; e = e->next)
		if (memcmp(e->ikh, c->ikh, REV_IKH_LEN) == 0 && rk_from_ent(c, e, now, r, notes))
			return true;
	for (unsigned i = 0; i < c->n_crl; i++)
		if (rk_from_ent(c, rk_find(ctx, c, REV_CRL_URL, c->crl[i]), now, r, notes))
			return true;
	return false;
}

static struct rev_job *rk_job(struct ike_rev_ctx *ctx, struct rev_check *c, enum rev_kind kind,
			      const char *url, const char *key, time_t now)
{
	struct rev_job *j = calloc(1, sizeof(*j));

	if (!j || !(j->key = strdup(key))) {
		free(j);
		return NULL;
	}
	j->kind = kind;
	snprintf(j->url, sizeof(j->url), "%s", url);
	j->issuer = c->issuer;
	X509_up_ref(c->issuer);
	j->timeout_ms = ctx->cfg.timeout_ms;
	j->now = now;
	j->max_body = kind == REV_OCSP ? ctx->cfg.max_ocsp : ctx->cfg.max_crl;
	if (kind == REV_OCSP) {
		j->cert = c->cert;
		X509_up_ref(c->cert);
		j->req = ike_rev_ocsp_request(c->cert, c->issuer, &j->body, &j->body_len);
		if (!j->req) {
			rev_job_free(j);
			return NULL;
		}
	}
	return j;
}

/* True when c must wait for a fetch of url: one running, or one started
 * now because the cache holds nothing current and no recent failure. */
static bool rk_fetch(struct ike_rev_ctx *ctx, struct rev_check *c, enum rev_kind kind,
		     const char *url, time_t now)
{
	char *key = rev_key(kind, c->ikh, kind == REV_OCSP ? c->res.serial : NULL, url);
	struct rev_ent *e = key ? rev_get(ctx, key, kind) : NULL;
	struct rev_job *j;
	uint64_t gen = 0;
	bool wait = false;

	if (!e || e->state == REV_FETCHING || (e->refetch_at > now && e->src[0])) {
		wait = e && e->state == REV_FETCHING;
		goto out;
	}
	snprintf(e->src, sizeof(e->src), "%s %s", kind == REV_OCSP ? "OCSP" : "CRL", url);
	memcpy(e->ikh, c->ikh, REV_IKH_LEN);
	j = rk_job(ctx, c, kind, url, key, now);
	if (j) {
		j->gen = gen = ++ctx->next_gen;
		if (rev_fetch_submit(ctx->fetch, j) < 0) {
			rev_job_free(j);
			j = NULL;
		}
	}
	if (!j) {
		rev_ent_clear(e);
		e->state = REV_FAILED;
		snprintf(e->err, sizeof(e->err), "cannot make the request");
		e->refetch_at = now + ctx->cfg.retry_s;
		goto out;
	}
	e->state = REV_FETCHING;
	e->gen = gen; /* j is the fetch thread's now */
	wait = true;
out:
	free(key);
	return wait;
}

static int rk_eval(struct ike_rev_ctx *ctx, struct rev_check *c, struct ike_rev_result *r)
{
	time_t now = rev_now(ctx);
	struct rk_notes notes = { .len = 0 };

	ike_rev_result_init(r, c->cert);
	r->has_source = c->has_source;
	if (rk_cached(ctx, c, now, r, &notes))
		return IKE_REV_DONE;
	for (unsigned i = 0; i < c->n_ocsp; i++)
		if (rk_fetch(ctx, c, REV_OCSP, c->ocsp[i], now))
			return IKE_REV_PENDING;
	for (unsigned i = 0; i < c->n_crl; i++)
		if (rk_fetch(ctx, c, REV_CRL_URL, c->crl[i], now))
			return IKE_REV_PENDING;
	if (c->skipped[0])
		rk_note(&notes, c->skipped, NULL);
	if (!notes.len)
		rk_note(&notes,
			c->has_source ? "no answer from any source"
				      : "no CRL or OCSP source (none in the certificate, none "
					"configured for its issuer)",
			NULL);
	ike_rev_set_unknown(r, c->cert, notes.buf);
	r->has_source = c->has_source;
	return IKE_REV_DONE;
}

static void rk_free(struct rev_check *c)
{
	X509_free(c->cert);
	X509_free(c->issuer);
	free(c);
}

static void rk_free_list(struct rev_check *c)
{
	while (c) {
		struct rev_check *next = c->next;

		rk_free(c);
		c = next;
	}
}

void rev_checks_reeval(struct ike_rev_ctx *ctx)
{
	struct rev_check **pp = &ctx->checks, **tail = &ctx->ready;
	bool any = false;

	while (*tail)
		tail = &(*tail)->next;
	while (*pp) {
		struct rev_check *c = *pp;

		if (rk_eval(ctx, c, &c->res) == IKE_REV_PENDING) {
			pp = &c->next;
			continue;
		}
		ike_rev_apply_policy(c->policy, &c->res);
		*pp = c->next;
		c->next = NULL;
		*tail = c;
		tail = &c->next;
		any = true;
	}
	if (any && ctx->fetch)
		rev_fetch_kick(ctx->fetch);
}

int ike_rev_check_start(struct ike_rev_ctx *ctx, X509 *cert, X509 *issuer,
			enum ike_rev_policy policy, ike_rev_done_fn done, void *arg,
			struct ike_rev_result *out, uint64_t *id)
{
	struct rev_check *c = calloc(1, sizeof(*c));

	*id = 0;
	if (!c) {
		ike_rev_result_init(out, cert);
		ike_rev_set_unknown(out, cert, "out of memory");
		ike_rev_apply_policy(policy, out);
		return IKE_REV_DONE;
	}
	c->cert = cert;
	c->issuer = issuer;
	X509_up_ref(cert);
	X509_up_ref(issuer);
	c->policy = policy;
	c->done = done;
	c->arg = arg;
	rev_ikh(issuer, c->ikh);
	ike_rev_result_init(&c->res, cert);
	rk_sources(ctx, c);
	if (rk_eval(ctx, c, out) == IKE_REV_DONE) {
		ike_rev_apply_policy(policy, out);
		rk_free(c);
		return IKE_REV_DONE;
	}
	c->id = *id = ++ctx->next_id;
	c->next = ctx->checks;
	ctx->checks = c;
	return IKE_REV_PENDING;
}

static bool rk_unlink(struct rev_check **pp, uint64_t id)
{
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			struct rev_check *c = *pp;

			*pp = c->next;
			rk_free(c);
			return true;
		}
	return false;
}

void ike_rev_cancel(struct ike_rev_ctx *ctx, uint64_t id)
{
	if (!rk_unlink(&ctx->checks, id))
		rk_unlink(&ctx->ready, id);
}

unsigned ike_rev_pending(const struct ike_rev_ctx *ctx)
{
	unsigned n = 0;

	for (const struct rev_check *c = ctx->checks; c; c = c->next)
		n++;
	for (const struct rev_check *c = ctx->ready; c; c = c->next)
		n++;
	return n;
}

unsigned ike_rev_poll(struct ike_rev_ctx *ctx)
{
	struct rev_job *jobs = rev_fetch_take(ctx->fetch);
	struct rev_check *ready;
	unsigned n = 0;

	while (jobs) {
		struct rev_job *next = jobs->next;

		rev_cache_store(ctx, jobs);
		rev_job_free(jobs);
		jobs = next;
	}
	rev_checks_reeval(ctx);
	/* Callbacks may start, cancel or flush: take the list first. */
	ready = ctx->ready;
	ctx->ready = NULL;
	while (ready) {
		struct rev_check *c = ready;

		ready = c->next;
		c->done(c->arg, &c->res);
		rk_free(c);
		n++;
	}
	return n;
}

struct ike_rev_ctx *ike_rev_new(const struct ike_rev_cfg *cfg)
{
	struct ike_rev_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	if (cfg)
		ctx->cfg = *cfg;
	if (!ctx->cfg.timeout_ms)
		ctx->cfg.timeout_ms = 5000;
	if (!ctx->cfg.max_crl)
		ctx->cfg.max_crl = 4u << 20;
	if (!ctx->cfg.max_ocsp)
		ctx->cfg.max_ocsp = 64u << 10;
	if (!ctx->cfg.retry_s)
		ctx->cfg.retry_s = 30;
	if (!ctx->cfg.max_cache)
		ctx->cfg.max_cache = 10000;
	if (!ctx->cfg.no_next_s)
		ctx->cfg.no_next_s = 3600;
	ctx->fetch = rev_fetch_start();
	if (!ctx->fetch) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

void ike_rev_free(struct ike_rev_ctx *ctx)
{
	if (!ctx)
		return;
	rev_fetch_stop(ctx->fetch);
	ctx->fetch = NULL;
	rk_free_list(ctx->checks);
	rk_free_list(ctx->ready);
	ctx->checks = ctx->ready = NULL;
	rev_cache_free(ctx);
	free(ctx);
}

int ike_rev_fd(const struct ike_rev_ctx *ctx)
{
	return rev_fetch_fd(ctx->fetch);
}
