/* SPDX-License-Identifier: BSD-3-Clause */
/* The revocation cache: fetched CRLs by issuer and URL, OCSP answers by
 * issuer, serial and responder, failures (not asked again for retry_s),
 * and the configured CRL files and responders. Used on the caller's thread
 * only. A fetched answer is asked again at its nextUpdate (or no_next_s
 * after the fetch when it has none); when full, the least recently used
 * entry that no fetch fills goes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ike/pki/rev_priv.h"

/* Largest CRL file read at configuration time. */
#define RC_MAX_FILE (64u << 20)

time_t rev_now(const struct ike_rev_ctx *ctx)
{
	return ctx->cfg.now ? ctx->cfg.now(ctx->cfg.now_arg) : time(NULL);
}

void rev_ikh(X509 *issuer, unsigned char *ikh)
{
	unsigned int len = REV_IKH_LEN;

	if (!X509_pubkey_digest(issuer, EVP_sha1(), ikh, &len))
		memset(ikh, 0, REV_IKH_LEN);
}

char *rev_key(enum rev_kind kind, const unsigned char *ikh, const char *serial, const char *url)
{
	static const char tag[] = { [REV_CRL_FILE] = 'F', [REV_CRL_URL] = 'C', [REV_OCSP] = 'O' };
	char hex[2 * REV_IKH_LEN + 1];
	char *key;

	for (int i = 0; i < REV_IKH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", ikh[i]);
	if (asprintf(&key, "%c|%s|%s|%s", tag[kind], hex, serial ? serial : "", url) < 0)
		return NULL;
	return key;
}

static unsigned rc_hash(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % REV_BUCKETS;
}

struct rev_ent *rev_find(struct ike_rev_ctx *ctx, const char *key)
{
	for (struct rev_ent *e = ctx->buckets[rc_hash(key)]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void rev_ent_clear(struct rev_ent *e)
{
	X509_CRL_free(e->crl);
	e->crl = NULL;
	memset(&e->ans, 0, sizeof(e->ans));
	e->err[0] = '\0';
}

static void rc_ent_free(struct rev_ent *e)
{
	rev_ent_clear(e);
	free(e->key);
	free(e);
}

static void rc_unlink(struct ike_rev_ctx *ctx, struct rev_ent *victim)
{
	for (struct rev_ent **pp = &ctx->buckets[rc_hash(victim->key)]; *pp; pp = &(*pp)->next)
		if (*pp == victim) {
			*pp = victim->next;
			ctx->n_ent--;
			rc_ent_free(victim);
			return;
		}
}

/* Drops the least recently used entry no fetch is filling. */
static void rc_evict(struct ike_rev_ctx *ctx)
{
	struct rev_ent *old = NULL;

	for (unsigned b = 0; b < REV_BUCKETS; b++)
		for (struct rev_ent *e = ctx->buckets[b]; e; e = e->next)
			if (e->state != REV_FETCHING && (!old || e->used < old->used))
				old = e;
	if (old)
		rc_unlink(ctx, old);
}

struct rev_ent *rev_get(struct ike_rev_ctx *ctx, const char *key, enum rev_kind kind)
{
	struct rev_ent *e = rev_find(ctx, key);
	unsigned b;

	if (e)
		return e;
	if (ctx->n_ent >= ctx->cfg.max_cache)
		rc_evict(ctx);
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	e->kind = kind;
	e->state = REV_FAILED;
	b = rc_hash(key);
	e->next = ctx->buckets[b];
	ctx->buckets[b] = e;
	ctx->n_ent++;
	return e;
}

/* When a fetched answer is asked again: at its nextUpdate, or no_next_s
 * from now without one; one already past (a stale CRL served) waits
 * retry_s like a failure, or every check would fetch it again at once. */
static time_t rc_refetch_at(const struct ike_rev_ctx *ctx, time_t next_update, time_t now)
{
	if (!next_update)
		return now + ctx->cfg.no_next_s;
	return next_update > now ? next_update : now + ctx->cfg.retry_s;
}

void rev_cache_store(struct ike_rev_ctx *ctx, struct rev_job *job)
{
	struct rev_ent *e = rev_find(ctx, job->key);
	time_t now = rev_now(ctx);

	if (!e || e->state != REV_FETCHING || e->gen != job->gen)
		return; /* flushed or evicted meanwhile */
	rev_ent_clear(e);
	e->used = now;
	if (!job->ok) {
		e->state = REV_FAILED;
		snprintf(e->err, sizeof(e->err), "%s", job->err);
		e->refetch_at = now + ctx->cfg.retry_s;
		return;
	}
	e->state = REV_HAVE;
	if (job->kind == REV_OCSP) {
		e->ans = job->ans;
		e->refetch_at = rc_refetch_at(ctx, e->ans.next_update, now);
		return;
	}
	e->crl = job->crl;
	job->crl = NULL;
	X509_NAME_oneline(X509_CRL_get_issuer(e->crl), e->issuer_dn, sizeof(e->issuer_dn));
	e->refetch_at = rc_refetch_at(ctx, ike_rev_time(X509_CRL_get0_nextUpdate(e->crl)), now);
}

/* The whole file, at most RC_MAX_FILE bytes. */
static uint8_t *rc_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = f ? malloc(RC_MAX_FILE + 1) : NULL;

	if (!f || !buf) {
		snprintf(err, errlen, "cannot read CRL file %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, RC_MAX_FILE + 1, f);
	fclose(f);
	if (*len > RC_MAX_FILE) {
		snprintf(err, errlen, "CRL file %s is over %u bytes", path, RC_MAX_FILE);
		free(buf);
		return NULL;
	}
	return buf;
}

static X509_CRL *rc_load_crl(X509 *issuer, const char *path, char *err, size_t errlen)
{
	char why[300];
	size_t len;
	uint8_t *buf = rc_read_file(path, &len, err, errlen);
	X509_CRL *crl = buf ? ike_rev_crl_parse(buf, len, why, sizeof(why)) : NULL;

	if (buf && !crl)
		snprintf(err, errlen, "CRL file %s: %s", path, why);
	if (crl && ike_rev_crl_verify(crl, issuer, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "CRL file %s: %s", path, why);
		X509_CRL_free(crl);
		crl = NULL;
	}
	free(buf);
	return crl;
}

int ike_rev_add_crl_file(struct ike_rev_ctx *ctx, X509 *issuer, const char *path, char *err,
			 size_t errlen)
{
	unsigned char ikh[REV_IKH_LEN];
	X509_CRL *crl = rc_load_crl(issuer, path, err, errlen);
	struct rev_ent *e;
	char *key;

	if (!crl)
		return -1;
	rev_ikh(issuer, ikh);
	key = rev_key(REV_CRL_FILE, ikh, NULL, path);
	for (e = ctx->files; e && key && strcmp(e->key, key) != 0; e = e->next)
		;
	if (!e && key && (e = calloc(1, sizeof(*e)))) {
		e->key = key;
		key = NULL;
		e->kind = REV_CRL_FILE;
		memcpy(e->ikh, ikh, REV_IKH_LEN);
		e->next = ctx->files;
		ctx->files = e;
	}
	free(key);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		X509_CRL_free(crl);
		return -1;
	}
	rev_ent_clear(e);
	e->crl = crl;
	e->state = REV_HAVE;
	snprintf(e->src, sizeof(e->src), "CRL file %s", path);
	X509_NAME_oneline(X509_CRL_get_issuer(crl), e->issuer_dn, sizeof(e->issuer_dn));
	return 0;
}

int ike_rev_add_ocsp_uri(struct ike_rev_ctx *ctx, X509 *issuer, const char *url, char *err,
			 size_t errlen)
{
	struct ike_rev_url u;
	struct rev_responder *r;

	if (ike_rev_url_parse(url, &u, err, errlen) != 0)
		return -1;
	if (strlen(url) >= REV_URL_MAX) {
		snprintf(err, errlen, "OCSP URL longer than %d bytes", REV_URL_MAX - 1);
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rev_ikh(issuer, r->ikh);
	snprintf(r->url, sizeof(r->url), "%s", url);
	r->next = ctx->responders;
	ctx->responders = r;
	return 0;
}

void ike_rev_flush(struct ike_rev_ctx *ctx)
{
	for (unsigned b = 0; b < REV_BUCKETS; b++) {
		while (ctx->buckets[b]) {
			struct rev_ent *e = ctx->buckets[b];

			ctx->buckets[b] = e->next;
			rc_ent_free(e);
		}
	}
	ctx->n_ent = 0;
	rev_checks_reeval(ctx);
}

void ike_rev_reset(struct ike_rev_ctx *ctx)
{
	ike_rev_flush(ctx);
	while (ctx->files) {
		struct rev_ent *e = ctx->files;

		ctx->files = e->next;
		rc_ent_free(e);
	}
	while (ctx->responders) {
		struct rev_responder *r = ctx->responders;

		ctx->responders = r->next;
		free(r);
	}
}

void rev_cache_free(struct ike_rev_ctx *ctx)
{
	ike_rev_reset(ctx);
}

static void rc_list_one(const struct rev_ent *e,
			void (*fn)(void *arg, const struct ike_rev_crl_info *ci), void *arg)
{
	struct ike_rev_crl_info ci = {
		.source = e->src,
		.issuer = e->issuer_dn,
		.error = e->state == REV_FAILED ? e->err : "",
	};

	if (e->crl) {
		ci.this_update = ike_rev_time(X509_CRL_get0_lastUpdate(e->crl));
		ci.next_update = ike_rev_time(X509_CRL_get0_nextUpdate(e->crl));
		int n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(e->crl));

		ci.n_revoked = n > 0 ? (unsigned)n : 0;
	}
	fn(arg, &ci);
}

void ike_rev_list_crls(struct ike_rev_ctx *ctx,
		       void (*fn)(void *arg, const struct ike_rev_crl_info *ci), void *arg)
{
	for (struct rev_ent *e = ctx->files; e; e = e->next)
		rc_list_one(e, fn, arg);
	for (unsigned b = 0; b < REV_BUCKETS; b++)
		for (struct rev_ent *e = ctx->buckets[b]; e; e = e->next)
			if (e->kind == REV_CRL_URL)
				rc_list_one(e, fn, arg);
}
