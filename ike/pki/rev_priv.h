/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the revocation module: fetch jobs and the fetch thread
 * (rev_fetch.c), shared with the cache (rev_cache.c). */
#ifndef IKE_REV_PRIV_H
#define IKE_REV_PRIV_H

#include "ike/pki/revocation.h"

enum rev_kind {
	REV_CRL_FILE,
	REV_CRL_URL,
	REV_OCSP,
};

/* One fetch. The caller's thread fills the request part and submits it;
 * the fetch thread fills the result part and hands it back. Neither
 * touches a job the other holds. */
struct rev_job {
	struct rev_job *next;
	/* request */
	enum rev_kind kind;
	char *key;    /* the cache entry it fills */
	uint64_t gen; /* ... if the entry still has this generation */
	char url[1024];
	X509 *cert;   /* OCSP only */
	X509 *issuer; /* up-referenced */
	OCSP_REQUEST *req;
	uint8_t *body; /* request body (OCSP), OPENSSL_free */
	size_t body_len;
	size_t max_body;
	unsigned timeout_ms;
	time_t now; /* caller's clock at submission, for the OCSP signer */
	/* result */
	int ok; /* 1: crl or ans holds a checked answer; 0: err says why */
	X509_CRL *crl;
	struct ike_rev_ocsp_answer ans;
	char err[300];
};

struct rev_fetcher;
struct rev_fetcher *rev_fetch_start(void);
void rev_fetch_stop(struct rev_fetcher *f);
/* 0, or -1 when the fetch thread cannot start (the job stays the caller's). */
int rev_fetch_submit(struct rev_fetcher *f, struct rev_job *job);
/* The finished jobs, oldest first (NULL: none); clears the fd. */
struct rev_job *rev_fetch_take(struct rev_fetcher *f);
int rev_fetch_fd(const struct rev_fetcher *f);
/* Makes the fd readable: checks wait in ctx->ready. */
void rev_fetch_kick(struct rev_fetcher *f);
void rev_job_free(struct rev_job *job);

/* The fetch thread's work on a fetched body: parse and check. */
void rev_job_process(struct rev_job *job, const uint8_t *body, size_t len);

/* ---- The cache (rev_cache.c) and the checks (rev_check.c). ---- */

#define REV_IKH_LEN  20 /* SHA-1 of the issuer's public key (OCSP's issuerKeyHash) */
#define REV_BUCKETS  1024
#define REV_MAX_URLS 4
#define REV_URL_MAX  512

enum rev_state {
	REV_FETCHING, /* a job is out; checks wait for it */
	REV_HAVE,     /* crl or ans holds a checked answer */
	REV_FAILED,   /* err says why */
};

/* A CRL (file or URL) or an OCSP answer for one certificate, or the
 * failure to get one. Keyed by text (rev_key). */
struct rev_ent {
	struct rev_ent *next;
	char *key;
	enum rev_kind kind;
	enum rev_state state;
	uint64_t gen;
	unsigned char ikh[REV_IKH_LEN]; /* the issuer's */
	char src[REV_URL_MAX + 16];     /* "CRL http://...", "OCSP ...", "CRL file ..." */
	char issuer_dn[256];
	X509_CRL *crl;
	struct ike_rev_ocsp_answer ans;
	time_t refetch_at; /* ask again from then on; a good answer vouches until then */
	time_t used;
	char err[300];
};

struct rev_responder {
	struct rev_responder *next;
	unsigned char ikh[REV_IKH_LEN];
	char url[REV_URL_MAX];
};

struct rev_check {
	struct rev_check *next;
	uint64_t id;
	X509 *cert, *issuer;
	enum ike_rev_policy policy;
	ike_rev_done_fn done;
	void *arg;
	unsigned char ikh[REV_IKH_LEN];
	char ocsp[REV_MAX_URLS][REV_URL_MAX];
	char crl[REV_MAX_URLS][REV_URL_MAX];
	unsigned n_ocsp, n_crl;
	bool has_source;
	char skipped[REV_URL_MAX + 64]; /* a URI we cannot fetch, for the message */
	struct ike_rev_result res;      /* when done, waiting in ready */
};

struct ike_rev_ctx {
	struct ike_rev_cfg cfg;
	struct rev_fetcher *fetch;
	struct rev_ent *buckets[REV_BUCKETS];
	unsigned n_ent;
	struct rev_ent *files; /* configured CRL files, never evicted */
	struct rev_responder *responders;
	struct rev_check *checks; /* pending */
	struct rev_check *ready;  /* done outside ike_rev_poll, delivered by it */
	uint64_t next_id, next_gen;
};

time_t rev_now(const struct ike_rev_ctx *ctx);
void rev_ikh(X509 *issuer, unsigned char *ikh);
/* "C|<ikh>|url", "O|<ikh>|<serial>|url" */
char *rev_key(enum rev_kind kind, const unsigned char *ikh, const char *serial, const char *url);
struct rev_ent *rev_find(struct ike_rev_ctx *ctx, const char *key);
/* Finds or makes the entry for key (evicting the least recently used when
 * the cache is full); NULL when out of memory. */
struct rev_ent *rev_get(struct ike_rev_ctx *ctx, const char *key, enum rev_kind kind);
void rev_ent_clear(struct rev_ent *e);
void rev_cache_free(struct ike_rev_ctx *ctx);
/* Evaluates pending checks again (after a fetch ended or a flush); those
 * done move to ctx->ready. */
void rev_checks_reeval(struct ike_rev_ctx *ctx);
/* Stores a finished job in its entry (if it still waits for it). */
void rev_cache_store(struct ike_rev_ctx *ctx, struct rev_job *job);

#endif
