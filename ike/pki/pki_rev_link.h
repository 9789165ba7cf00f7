/* SPDX-License-Identifier: BSD-3-Clause */
/* The engine's side of revocation (ike/pki/revocation.h): one context per
 * engine, checks of one chain element under a connection's policy as the
 * chain verifier's hook wants them, CRL files matched to their CA in the
 * credential store. Internal to ike/. */
#ifndef IKE_PKI_REV_LINK_H
#define IKE_PKI_REV_LINK_H

#include <stddef.h>

#include "ike/ike.h"
#include "ike/ike_pki.h"

struct ike_rev_ctx;

/* Starts the fetch thread; NULL on failure. */
struct ike_rev_ctx *ike_pki_rev_new(void);
void ike_pki_rev_free(struct ike_rev_ctx *ctx);
/* Delivers finished fetches into the cache; never blocks. */
void ike_pki_rev_poll(struct ike_rev_ctx *ctx);
unsigned ike_pki_rev_pending(const struct ike_rev_ctx *ctx);
/* Forgets configured CRL files and responders and fetched answers. */
void ike_pki_rev_reset(struct ike_rev_ctx *ctx);
/* cert (issued by issuer) under policy (enum ike_revocation): GOOD, REVOKED
 * or UNKNOWN with a line in reason, or PENDING while a fetch runs (the
 * answer is cached for the next check). */
enum ike_pki_rev ike_pki_rev_check(struct ike_rev_ctx *ctx, unsigned policy, struct x509_st *cert,
				   struct x509_st *issuer, char *reason, size_t rlen);
/* The CRLs held, in the engine's public form. */
void ike_pki_rev_list(struct ike_rev_ctx *ctx, void (*fn)(void *arg, const struct ike_crl_info *),
		      void *arg);
/* A CRL file (PEM or DER) for the CA of the store that issued it. */
int ike_pki_rev_add_crl(struct ike_rev_ctx *ctx, const struct ike_creds *c, const char *path,
			char *err, size_t errlen);
/* A configured OCSP responder for the store's CA that `ca` names
 * (ike_creds_find_ca), asked before the certificates' AIA. */
int ike_pki_rev_add_ocsp(struct ike_rev_ctx *ctx, const struct ike_creds *c, const char *ca,
			 const char *url, char *err, size_t errlen);

#endif
