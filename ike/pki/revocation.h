/* SPDX-License-Identifier: BSD-3-Clause */
/* Certificate revocation for IKE authentication: CRLs (RFC 5280) from files
 * and from the certificate's CRL distribution points, OCSP (RFC 6960) from
 * its AIA or a configured responder, cached until their nextUpdate, and a
 * policy per connection like strongSwan's (strict, ifuri, relaxed).
 *
 * The module works on OpenSSL objects only (X509, X509_CRL, OCSP_*): the
 * caller has already built and verified the chain, and asks about one
 * certificate and the issuer that signed it.
 *
 * Threading rule. An ike_rev_ctx belongs to one thread, the caller's (the
 * IKE loop): every ike_rev_* function below that takes a ctx must be called
 * from that thread only, and done callbacks run on it, from ike_rev_poll().
 * ike_rev_new() starts one fetch thread that owns the sockets: it gets a
 * job (URL, request, issuer), fetches over plain HTTP with a deadline and a
 * size bound, parses and checks signatures, and hands the result back; it
 * never touches the cache or calls back. The caller learns that results
 * wait from ike_rev_fd() becoming readable (poll it with its own sockets)
 * and delivers them with ike_rev_poll(). A callback may start or cancel
 * checks, but must not free the context. X509 objects passed in are
 * up-referenced, never modified; the caller may free its references when a
 * call returns. Other functions (those without a ctx) are pure and
 * thread-safe.
 */
#ifndef IKE_REVOCATION_H
#define IKE_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

enum ike_rev_policy {
	IKE_REV_STRICT,  /* the status must be known and good */
	IKE_REV_IFURI,   /* unknown fails if the certificate has a source */
	IKE_REV_RELAXED, /* only a known revocation fails */
};

enum ike_rev_status {
	IKE_REV_GOOD,
	IKE_REV_REVOKED,
	IKE_REV_UNKNOWN,
};

/* What a check found, and its verdict under the check's policy. msg is one
 * line for the log, e.g.
 *   certificate '/O=Test/CN=peer' serial 1002 revoked on 2024-01-02 03:04:05 UTC (keyCompromise) by CRL http://192.0.2.1/ca.crl
 *   revocation status of '/O=Test/CN=peer' serial 1004 unknown: CRL http://192.0.2.1/x.crl: no complete answer within 5000 ms; refused under strict */
struct ike_rev_result {
	enum ike_rev_status status;
	bool pass;        /* the policy accepts the certificate */
	bool has_source;  /* a CRL/OCSP URI or a configured CRL/responder */
	int reason;       /* CRL reason code when revoked, -1 when none */
	time_t rev_time;  /* when revoked */
	char serial[80];  /* hex, as openssl prints it */
	char source[300]; /* "CRL file PATH", "CRL URL", "OCSP URL" */
	char msg[800];
};

struct ike_rev_cfg {
	unsigned timeout_ms; /* one fetch, connect to last byte; 0: 5000 */
	size_t max_crl;      /* bytes of a fetched CRL body; 0: 4 MiB */
	size_t max_ocsp;     /* bytes of an OCSP response body; 0: 64 KiB */
	unsigned retry_s;    /* a failed source is not asked again for so long; 0: 30 */
	unsigned max_cache;  /* cached CRLs, OCSP answers and failures; 0: 10000 */
	unsigned no_next_s;  /* life of a fetched answer without nextUpdate; 0: 3600 */
	/* Wall clock for validity times, called on the caller's thread only;
	 * NULL: time(). Tests move it. */
	time_t (*now)(void *arg);
	void *now_arg;
};

struct ike_rev_ctx;
typedef void (*ike_rev_done_fn)(void *arg, const struct ike_rev_result *r);

enum {
	IKE_REV_DONE = 0,    /* *out holds the result; the callback is not called */
	IKE_REV_PENDING = 1, /* the callback gets it from a later ike_rev_poll() */
};

/* Starts the fetch thread. NULL on failure (errno set). */
struct ike_rev_ctx *ike_rev_new(const struct ike_rev_cfg *cfg);
/* Stops the fetch thread (open fetches are dropped, their callbacks never
 * run) and frees everything. */
void ike_rev_free(struct ike_rev_ctx *ctx);
/* Readable (POLLIN) when ike_rev_poll() has results to deliver. */
int ike_rev_fd(const struct ike_rev_ctx *ctx);
/* Delivers finished fetches: updates the cache and runs the callbacks of
 * the checks that they complete. Never blocks. Returns callbacks run. */
unsigned ike_rev_poll(struct ike_rev_ctx *ctx);

/* Configuration (caller's thread, at load or reload; reads local files).
 * A CRL file for the CA `issuer` (PEM or DER), verified now with its key;
 * loading the same path again replaces it. 0, or -1 with err set. */
int ike_rev_add_crl_file(struct ike_rev_ctx *ctx, X509 *issuer, const char *path, char *err,
			 size_t errlen);
/* An OCSP responder for certificates of `issuer`, asked before the AIA's. */
int ike_rev_add_ocsp_uri(struct ike_rev_ctx *ctx, X509 *issuer, const char *url, char *err,
			 size_t errlen);
/* Forgets fetched CRLs, OCSP answers and failures (reload); configured CRL
 * files and responders stay. Pending checks fetch again. */
void ike_rev_flush(struct ike_rev_ctx *ctx);
/* Forgets configured CRL files and responders too (before a reload). */
void ike_rev_reset(struct ike_rev_ctx *ctx);

/* Checks `cert`, issued by `issuer`, under `policy`. Returns IKE_REV_DONE
 * with *out filled (cache, or nothing to ask), or IKE_REV_PENDING: a fetch
 * runs and done(arg, result) comes from ike_rev_poll(); *id names the check
 * for ike_rev_cancel(). Never blocks on the network. */
int ike_rev_check_start(struct ike_rev_ctx *ctx, X509 *cert, X509 *issuer,
			enum ike_rev_policy policy, ike_rev_done_fn done, void *arg,
			struct ike_rev_result *out, uint64_t *id);
/* Drops a pending check (its SA went away): its callback never runs. */
void ike_rev_cancel(struct ike_rev_ctx *ctx, uint64_t id);
/* Pending checks (for tests and `ipsecgw-ctl`). */
unsigned ike_rev_pending(const struct ike_rev_ctx *ctx);

/* Cached CRLs, for `ipsecgw-ctl list-crls`. */
struct ike_rev_crl_info {
	const char *source; /* "CRL file PATH" or "CRL URL" */
	const char *issuer; /* the CRL's issuer DN */
	time_t this_update; /* 0 when the CRL is not loaded */
	time_t next_update; /* 0 when none */
	unsigned n_revoked; /* entries */
	const char *error;  /* the last failure, "" when none */
};
void ike_rev_list_crls(struct ike_rev_ctx *ctx,
		       void (*fn)(void *arg, const struct ike_rev_crl_info *ci), void *arg);

/* "strict", "ifuri", "relaxed" <-> enum; parse returns -1 for other text. */
const char *ike_rev_policy_name(enum ike_rev_policy p);
int ike_rev_policy_parse(const char *s, enum ike_rev_policy *p);
/* Sets r->pass and appends the verdict to r->msg when the status is unknown. */
void ike_rev_apply_policy(enum ike_rev_policy p, struct ike_rev_result *r);

/* ---- The parts, pure and thread-safe (tested one by one). ---- */

/* A CRL from DER or PEM bytes; NULL with err set. */
X509_CRL *ike_rev_crl_parse(const uint8_t *buf, size_t len, char *err, size_t errlen);
/* 0 when `crl` is a complete (not delta) CRL whose issuer is `issuer` and
 * whose signature verifies with its key; -1 with err set. */
int ike_rev_crl_verify(X509_CRL *crl, X509 *issuer, char *err, size_t errlen);
/* Looks cert up in a verified CRL at `now`: revoked (even when the CRL is
 * stale: a revocation stays), good while the CRL is current, unknown when
 * it is past nextUpdate or not yet valid. `source` names it in r. */
void ike_rev_crl_lookup(X509_CRL *crl, X509 *cert, time_t now, const char *source,
			struct ike_rev_result *r);

/* An OCSP request for cert with a fresh nonce; its DER in *der (free with
 * OPENSSL_free). NULL on failure. */
OCSP_REQUEST *ike_rev_ocsp_request(X509 *cert, X509 *issuer, uint8_t **der, size_t *len);
/* What a checked OCSP response says about one certificate. */
struct ike_rev_ocsp_answer {
	int status; /* V_OCSP_CERTSTATUS_*; -1 when the response is bad */
	int reason; /* OCSP_REVOKED_STATUS_*, -1 when none */
	time_t rev_time;
	time_t this_update;
	time_t next_update; /* 0 when none */
	char err[300];
};
/* Checks a DER response to req: successful, basic, our nonce (a response
 * without one is taken: many responders pre-sign), signed by the issuer or
 * by a responder the issuer certified for OCSP signing (valid at now), with
 * a SingleResponse for cert. Times are not checked here. 0, or -1 with
 * a->err set. */
int ike_rev_ocsp_check(OCSP_REQUEST *req, const uint8_t *der, size_t len, X509 *cert, X509 *issuer,
		       time_t now, struct ike_rev_ocsp_answer *a);
/* The result of a checked answer at now: thisUpdate not in the future
 * (5 min skew), nextUpdate not past. */
void ike_rev_ocsp_result(const struct ike_rev_ocsp_answer *a, X509 *cert, time_t now,
			 const char *source, struct ike_rev_result *r);

/* Helpers shared by the files of the module. */
void ike_rev_result_init(struct ike_rev_result *r, X509 *cert);
void ike_rev_set_revoked(struct ike_rev_result *r, X509 *cert, int reason, time_t when,
			 const char *source);
void ike_rev_set_good(struct ike_rev_result *r, X509 *cert, const char *source, time_t until);
void ike_rev_set_unknown(struct ike_rev_result *r, X509 *cert, const char *why);
/* ASN1_TIME to time_t (UTC); 0 when t is NULL or unreadable. */
time_t ike_rev_time(const ASN1_TIME *t);
/* "2024-01-02 03:04:05 UTC" */
void ike_rev_time_str(time_t t, char *buf, size_t len);
/* Name of a CRL reason code ("keyCompromise"), "unspecified" for others. */
const char *ike_rev_reason_str(int reason);

/* ---- HTTP (ike/pki/rev_http.c): no OpenSSL, fuzzed. ---- */

#define IKE_REV_HTTP_MAX_HDR 16384 /* status line and headers */

struct ike_rev_url {
	char host[256]; /* without brackets for IPv6 */
	char port[6];
	char path[1024]; /* from the first '/', query included */
};
/* http://host[:port][/path]; refuses other schemes, user info, controls
 * and spaces. 0, or -1 with err set. */
int ike_rev_url_parse(const char *url, struct ike_rev_url *u, char *err, size_t errlen);
/* An HTTP/1.0 request: GET when ctype is NULL, else POST with a body of
 * body_len bytes (sent after it). Returns its length, -1 when cap is short. */
int ike_rev_http_request(char *out, size_t cap, const struct ike_rev_url *u, const char *ctype,
			 size_t body_len);

enum {
	IKE_REV_HTTP_MORE = 0, /* read on */
	IKE_REV_HTTP_DONE = 1, /* body at buf + body_off, body_len bytes */
	IKE_REV_HTTP_ERR = -1, /* err says why */
};
struct ike_rev_http_resp {
	int status;
	size_t body_off;
	size_t body_len;
};
/* Parses what arrived so far (the whole of it, each time); eof: the peer
 * closed. A 200 response with a body of at most max_body bytes, delimited
 * by Content-Length or the end of the connection; no Transfer-Encoding
 * (we ask with HTTP/1.0). */
int ike_rev_http_parse(const uint8_t *buf, size_t len, bool eof, size_t max_body,
		       struct ike_rev_http_resp *r, char *err, size_t errlen);

#endif
