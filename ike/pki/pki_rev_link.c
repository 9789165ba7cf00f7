/* SPDX-License-Identifier: BSD-3-Clause */
/* The chain verifier's revocation hook on the revocation module: one
 * element checked under the connection's policy, the answer cached there.
 * A check whose fetch runs says PENDING; the exchange waits for the peer's
 * retransmission (or ours), by which time the answer is in the cache. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike/pki/pki_priv.h"
#include "ike/pki/pki_rev_link.h"
#include "ike/pki/rev_priv.h"
#include "ike/pki/revocation.h"

struct ike_rev_ctx *ike_pki_rev_new(void)
{
	struct ike_rev_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	return ike_rev_new(&cfg);
}

void ike_pki_rev_free(struct ike_rev_ctx *ctx)
{
	if (ctx)
		ike_rev_free(ctx);
}

void ike_pki_rev_poll(struct ike_rev_ctx *ctx)
{
	ike_rev_poll(ctx);
}

unsigned ike_pki_rev_pending(const struct ike_rev_ctx *ctx)
{
	return ike_rev_pending(ctx);
}

void ike_pki_rev_reset(struct ike_rev_ctx *ctx)
{
	ike_rev_reset(ctx);
}

/* The answer goes to the cache; the exchange asks again. */
static void nothing(void *arg, const struct ike_rev_result *r)
{
	(void)arg;
	(void)r;
}

enum ike_pki_rev ike_pki_rev_check(struct ike_rev_ctx *ctx, unsigned policy, struct x509_st *cert,
				   struct x509_st *issuer, char *reason, size_t rlen)
{
	static const enum ike_rev_policy map[] = { [IKE_REVOCATION_RELAXED] = IKE_REV_RELAXED,
						   [IKE_REVOCATION_IFURI] = IKE_REV_IFURI,
						   [IKE_REVOCATION_STRICT] = IKE_REV_STRICT };
	struct ike_rev_result out;
	uint64_t id;
	int r;

	if (policy == IKE_REVOCATION_NONE || policy > IKE_REVOCATION_STRICT)
		return IKE_PKI_REV_NOT_CHECKED;
	r = ike_rev_check_start(ctx, cert, issuer, map[policy], nothing, NULL, &out, &id);
	if (r == IKE_REV_PENDING)
		return IKE_PKI_REV_PENDING;
	if (r != IKE_REV_DONE) {
		snprintf(reason, rlen, "revocation check could not start");
		return policy == IKE_REVOCATION_RELAXED ? IKE_PKI_REV_NOT_CHECKED
							: IKE_PKI_REV_UNKNOWN;
	}
	snprintf(reason, rlen, "%s", out.msg);
	if (out.status == IKE_REV_REVOKED)
		return IKE_PKI_REV_REVOKED;
	if (!out.pass)
		return IKE_PKI_REV_UNKNOWN;
	return out.status == IKE_REV_GOOD ? IKE_PKI_REV_GOOD : IKE_PKI_REV_NOT_CHECKED;
}

struct list_arg {
	void (*fn)(void *arg, const struct ike_crl_info *);
	void *arg;
};

static void time_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t && gmtime_r(&t, &tm))
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		buf[0] = '\0';
}

static void list_one(void *arg, const struct ike_rev_crl_info *ci)
{
	const struct list_arg *la = arg;
	struct ike_crl_info out = { .source = ci->source,
				    .issuer = ci->issuer,
				    .n_revoked = ci->n_revoked,
				    .error = ci->error };

	time_text(ci->this_update, out.this_update, sizeof(out.this_update));
	time_text(ci->next_update, out.next_update, sizeof(out.next_update));
	la->fn(la->arg, &out);
}

void ike_pki_rev_list(struct ike_rev_ctx *ctx, void (*fn)(void *arg, const struct ike_crl_info *),
		      void *arg)
{
	struct list_arg la = { fn, arg };

	ike_rev_list_crls(ctx, list_one, &la);
}

static X509_CRL *read_crl(const char *path, char *err, size_t errlen)
{
	X509_CRL *crl = NULL;
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	if (!crl) {
		rewind(f);
		crl = d2i_X509_CRL_fp(f, NULL);
	}
	fclose(f);
	if (!crl)
		snprintf(err, errlen, "%s: not a CRL (PEM or DER)", path);
	return crl;
}

/* The CA or intermediate of the store whose subject issued crl. */
static X509 *issuer_of(const struct ike_creds *c, X509_CRL *crl)
{
	const struct pki_certs *sets[] = { &c->cas, &c->inters };

	for (unsigned s = 0; s < 2; s++)
		for (unsigned i = 0; i < sets[s]->n; i++)
			if (X509_NAME_cmp(X509_get_subject_name(sets[s]->v[i].x),
					  X509_CRL_get_issuer(crl)) == 0)
				return sets[s]->v[i].x;
	return NULL;
}

/* The store's CA that issued the CRL in path, its signature checked. */
static X509 *crl_issuer(const struct ike_creds *c, const char *path, char *err, size_t errlen)
{
	X509_CRL *crl = read_crl(path, err, errlen);
	X509 *issuer;
	char dn[256], why[300];

	if (!crl)
		return NULL;
	issuer = c ? issuer_of(c, crl) : NULL;
	if (!issuer) {
		ike_pki_dn_str(X509_CRL_get_issuer(crl), dn, sizeof(dn));
		snprintf(err, errlen, "%s: issued by '%s', which is none of our CAs", path, dn);
	} else if (ike_rev_crl_verify(crl, issuer, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		issuer = NULL;
	}
	X509_CRL_free(crl);
	return issuer;
}

int ike_creds_check_crl(const struct ike_creds *c, const char *path, char *err, size_t errlen)
{
	return crl_issuer(c, path, err, errlen) ? 0 : -EINVAL;
}

int ike_pki_rev_add_crl(struct ike_rev_ctx *ctx, const struct ike_creds *c, const char *path,
			char *err, size_t errlen)
{
	X509 *issuer = crl_issuer(c, path, err, errlen);

	if (!issuer)
		return -1;
	return ike_rev_add_crl_file(ctx, issuer, path, err, errlen) < 0 ? -1 : 0;
}

/* The CA or intermediate of the store equal to the first certificate of
 * the file at path. */
static X509 *ca_by_file(const struct ike_creds *c, const char *path, char *err, size_t errlen)
{
	const struct pki_certs *sets[] = { &c->cas, &c->inters };
	STACK_OF(X509) *sk = NULL;
	X509 *found = NULL;

	if (pki_certs_from_file(path, &sk, err, errlen) < 0)
		return NULL;
	for (unsigned s = 0; s < 2 && !found; s++)
		for (unsigned i = 0; i < sets[s]->n && !found; i++)
			if (X509_cmp(sets[s]->v[i].x, sk_X509_value(sk, 0)) == 0)
				found = sets[s]->v[i].x;
	sk_X509_pop_free(sk, X509_free);
	if (!found)
		snprintf(err, errlen,
			 "%s: not one of the CA certificates loaded "
			 "(credentials.cacerts or intermediates)",
			 path);
	return found;
}

/* The one CA or intermediate of the store whose subject matches pattern. */
static X509 *ca_by_dn(const struct ike_creds *c, const char *pattern, char *err, size_t errlen)
{
	const struct pki_certs *sets[] = { &c->cas, &c->inters };
	X509 *found = NULL;
	unsigned n = 0;

	for (unsigned s = 0; s < 2; s++)
		for (unsigned i = 0; i < sets[s]->n; i++)
			if (ike_pki_dn_match(pattern, X509_get_subject_name(sets[s]->v[i].x))) {
				/* one CA in two sets (a root named as an
				 * intermediate too) is still one */
				if (found && X509_cmp(found, sets[s]->v[i].x) == 0)
					continue;
				found = sets[s]->v[i].x;
				n++;
			}
	if (n == 1)
		return found;
	if (n)
		snprintf(
			err, errlen,
			"CA '%s' matches %u of our CA certificates: name one (its file or full DN)",
			pattern, n);
	else
		snprintf(err, errlen, "CA '%s' matches none of our CA certificates", pattern);
	return NULL;
}

struct x509_st *ike_creds_find_ca(const struct ike_creds *c, const char *ca, char *err,
				  size_t errlen)
{
	if (!c) {
		snprintf(err, errlen, "CA '%s': no CA certificates are loaded", ca);
		return NULL;
	}
	if (access(ca, F_OK) == 0)
		return ca_by_file(c, ca, err, errlen);
	if (!strchr(ca, '=')) {
		snprintf(err, errlen, "CA '%s': no such file, and not a DN", ca);
		return NULL;
	}
	return ca_by_dn(c, ca, err, errlen);
}

int ike_pki_ocsp_url_check(const char *url, char *err, size_t errlen)
{
	struct ike_rev_url u;
	char why[300];

	if (strlen(url) >= REV_URL_MAX) {
		snprintf(err, errlen, "OCSP URL longer than %d bytes", REV_URL_MAX - 1);
		return -EINVAL;
	}
	if (ike_rev_url_parse(url, &u, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "'%s': %s", url, why);
		return -EINVAL;
	}
	return 0;
}

int ike_pki_rev_add_ocsp(struct ike_rev_ctx *ctx, const struct ike_creds *c, const char *ca,
			 const char *url, char *err, size_t errlen)
{
	X509 *issuer;

	if (ike_pki_ocsp_url_check(url, err, errlen) < 0 ||
	    !(issuer = ike_creds_find_ca(c, ca, err, errlen)))
		return -1;
	return ike_rev_add_ocsp_uri(ctx, issuer, url, err, errlen) < 0 ? -1 : 0;
}
