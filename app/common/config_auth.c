/* SPDX-License-Identifier: BSD-3-Clause */
/* How each end of a connection authenticates ("auth": ours, "remote_auth":
 * what we accept) and the "credentials" section (trust anchors and
 * intermediates). Certificates and keys are loaded into the configuration's
 * store (ike/ike_pki.h) as they are named, so a missing file or a key that
 * does not match fails here, with its path. The PSK is never echoed. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "app/common/config_priv.h"
#include "ike/ike_pki.h"

#define CFG_PSK_MIN 8u

static const char *const auth_keys[] = { "method", "psk", "psk_hex",
					 "cert",   "key", "key_passphrase_file",
					 "certs",  "pss", NULL };
static const char *const remote_keys[] = { "method",     "psk",          "psk_hex", "ca",
					   "revocation", "id_is_source", NULL };
static const char *const cert_keys[] = { "cert", "key", "key_passphrase_file", NULL };
static const char *const cred_keys[] = { "cacerts", "intermediates", "crls", "ocsp_responders",
					 NULL };
static const char *const ocsp_keys[] = { "ca", "uri", NULL };

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Decodes "0x..." (prefix optional) into out; -1 on bad text or size. */
static long hex_decode(const char *s, uint8_t *out, size_t max)
{
	size_t n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

static int cfg_psk_text(struct cfg_ctx *c, const char *p, const char *s, struct ike_conn_cfg *conn)
{
	size_t n = strlen(s);

	if (n == 0)
		return cfg_fail(c, p, "must not be empty");
	if (n < CFG_PSK_MIN)
		return cfg_fail(c, p, "too short (at least %u characters)", CFG_PSK_MIN);
	if (n > IKE_MAX_PSK)
		return cfg_fail(c, p, "too long (at most %u bytes)", IKE_MAX_PSK);
	memcpy(conn->psk, s, n);
	conn->psk_len = n;
	return 0;
}

static int cfg_psk_hex(struct cfg_ctx *c, const char *p, const char *s, struct ike_conn_cfg *conn)
{
	long n = hex_decode(s, conn->psk, IKE_MAX_PSK);

	if (n < 0)
		return cfg_fail(c, p,
				"expected 0x followed by pairs of hex digits, "
				"at most %u bytes",
				IKE_MAX_PSK);
	if (n < (long)CFG_PSK_MIN)
		return cfg_fail(c, p, "too short (at least %u bytes)", CFG_PSK_MIN);
	conn->psk_len = (size_t)n;
	return 0;
}

/* "psk" or "psk_hex" of object a (path ap); required says whether one must be. */
static int cfg_psk(struct cfg_ctx *c, const char *ap, json_t *a, bool required,
		   struct ike_conn_cfg *conn)
{
	char p[CFG_PATH_MAX];
	const char *psk, *hex;
	int rc;

	if ((rc = cfg_get_string(c, ap, a, "psk", false, &psk)) ||
	    (rc = cfg_get_string(c, ap, a, "psk_hex", false, &hex)))
		return rc;
	if (psk && hex)
		return cfg_fail(c, ap, "set only one of 'psk' and 'psk_hex'");
	if (!psk && !hex)
		return required ? cfg_fail(c, ap, "missing 'psk' (or 'psk_hex')") : 0;
	if (conn->psk_len)
		return cfg_fail(c, ap, "the connection has a PSK already (one serves both ends)");
	cfg_path_key(p, ap, psk ? "psk" : "psk_hex");
	return psk ? cfg_psk_text(c, p, psk, conn) : cfg_psk_hex(c, p, hex, conn);
}

/* "method": one of names[] (indexed by enum ike_authby); *out its index. */
static int cfg_method(struct cfg_ctx *c, const char *path, json_t *a, bool remote, uint8_t *out)
{
	static const char *const names[] = { "psk", "pubkey", "any" };
	char p[CFG_PATH_MAX];
	const char *m;
	int rc = cfg_get_string(c, path, a, "method", true, &m);

	if (rc)
		return rc;
	for (uint8_t i = 0; i < (remote ? 3 : 2); i++)
		if (strcmp(m, names[i]) == 0) {
			*out = i;
			return 0;
		}
	cfg_path_key(p, path, "method");
	return cfg_fail(c, p, "unknown method '%s' (%s)", m,
			remote ? "\"psk\", \"pubkey\" or \"any\"" : "\"psk\" or \"pubkey\"");
}

static struct ike_creds *store_of(struct ike_creds **store)
{
	if (!*store)
		*store = ike_creds_new();
	return *store;
}

/* One certificate with its key: {"cert", "key", "key_passphrase_file"}. */
static int cfg_one_cert(struct cfg_ctx *c, const char *path, json_t *o, struct ike_conn_cfg *conn,
			struct ike_creds **store)
{
	const char *cert, *key, *pass;
	const struct ike_cred *cr = NULL;
	char err[512];
	int rc;

	if ((rc = cfg_get_string(c, path, o, "cert", true, &cert)) ||
	    (rc = cfg_get_string(c, path, o, "key", true, &key)) ||
	    (rc = cfg_get_string(c, path, o, "key_passphrase_file", false, &pass)))
		return rc;
	if (conn->n_local_creds >= IKE_MAX_LOCAL_CREDS)
		return cfg_fail(c, path, "at most %u certificates per connection",
				IKE_MAX_LOCAL_CREDS);
	if (!store_of(store))
		return cfg_fail(c, path, "out of memory");
	if (ike_creds_load_local(*store, cert, key, pass, &cr, err, sizeof(err)) < 0)
		return cfg_fail(c, path, "%s", err);
	conn->local_creds[conn->n_local_creds++] = cr;
	return 0;
}

/* Our certificates: "cert"/"key" in auth, or a list in "certs". */
static int cfg_local_certs(struct cfg_ctx *c, const char *ap, json_t *a, struct ike_conn_cfg *conn,
			   struct ike_creds **store)
{
	char p[CFG_PATH_MAX], ep[CFG_PATH_MAX];
	json_t *list;
	int rc = cfg_get_array(c, ap, a, "certs", IKE_MAX_LOCAL_CREDS, &list);

	if (rc)
		return rc;
	if (!list)
		return cfg_one_cert(c, ap, a, conn, store);
	if (json_object_get(a, "cert") || json_object_get(a, "key"))
		return cfg_fail(c, ap, "set either 'cert' and 'key' or 'certs'");
	cfg_path_key(p, ap, "certs");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);

		cfg_path_idx(ep, p, i);
		if ((rc = cfg_check_object(c, ep, e, cert_keys)) ||
		    (rc = cfg_one_cert(c, ep, e, conn, store)))
			return rc;
	}
	return conn->n_local_creds ? 0 : cfg_fail(c, p, "at least one certificate is required");
}

/* "revocation": strongSwan's policies, "relaxed" unless said. */
static int cfg_revocation(struct cfg_ctx *c, const char *rp, json_t *r, struct ike_conn_cfg *conn)
{
	static const char *const names[] = { [IKE_REVOCATION_RELAXED] = "relaxed",
					     [IKE_REVOCATION_IFURI] = "ifuri",
					     [IKE_REVOCATION_STRICT] = "strict",
					     [IKE_REVOCATION_NONE] = "none" };
	char p[CFG_PATH_MAX];
	const char *s;
	int rc = cfg_get_string(c, rp, r, "revocation", false, &s);

	if (rc || !s)
		return rc;
	for (uint8_t i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			conn->revocation = i;
			return 0;
		}
	cfg_path_key(p, rp, "revocation");
	return cfg_fail(c, p, "unknown policy '%s' (strict, ifuri, relaxed or none)", s);
}

/* "remote_auth": what the peer may authenticate with; without it, what we
 * do. The PSK may be given here (we sign, the peer uses the PSK). */
static int cfg_remote_auth(struct cfg_ctx *c, const char *path, json_t *o,
			   struct ike_conn_cfg *conn)
{
	char rp[CFG_PATH_MAX], p[CFG_PATH_MAX];
	json_t *r;
	int rc = cfg_get_object(c, path, o, "remote_auth", remote_keys, &r);

	conn->remote_auth = conn->local_auth;
	if (rc || !r)
		return rc;
	cfg_path_key(rp, path, "remote_auth");
	if ((rc = cfg_method(c, rp, r, true, &conn->remote_auth)) ||
	    (rc = cfg_psk(c, rp, r, false, conn)) ||
	    (rc = cfg_get_strbuf(c, rp, r, "ca", conn->remote_ca_dn, sizeof(conn->remote_ca_dn))) ||
	    (rc = cfg_get_bool(c, rp, r, "id_is_source", &conn->id_is_source)))
		return rc;
	if (conn->remote_auth != IKE_AUTHBY_PUBKEY && conn->remote_auth != IKE_AUTHBY_ANY &&
	    conn->remote_ca_dn[0]) {
		cfg_path_key(p, rp, "ca");
		return cfg_fail(c, p, "a CA constraint needs method \"pubkey\" or \"any\"");
	}
	if (conn->remote_auth == IKE_AUTHBY_PSK && !conn->psk_len)
		return cfg_fail(c, rp, "missing 'psk' (or 'psk_hex')");
	return cfg_revocation(c, rp, r, conn);
}

int cfg_auth(struct cfg_ctx *c, const char *path, json_t *o, struct ike_conn_cfg *conn,
	     struct ike_creds **store)
{
	char ap[CFG_PATH_MAX];
	bool pss = false;
	json_t *a;
	int rc;

	cfg_path_key(ap, path, "auth");
	if ((rc = cfg_require(c, path, o, "auth", &a)) ||
	    (rc = cfg_check_object(c, ap, a, auth_keys)) ||
	    (rc = cfg_method(c, ap, a, false, &conn->local_auth)) ||
	    (rc = cfg_psk(c, ap, a, conn->local_auth == IKE_AUTHBY_PSK, conn)) ||
	    (rc = cfg_get_bool(c, ap, a, "pss", &pss)))
		return rc;
	conn->sig_pss = pss;
	if (conn->local_auth == IKE_AUTHBY_PUBKEY) {
		if ((rc = cfg_local_certs(c, ap, a, conn, store)))
			return rc;
		/* Our identity: the certificate's subject unless configured. */
		if (!json_object_get(o, "local_id"))
			memset(&conn->local_id, 0, sizeof(conn->local_id));
	} else if (json_object_get(a, "cert") || json_object_get(a, "certs")) {
		return cfg_fail(c, ap, "certificates need method \"pubkey\"");
	}
	return cfg_remote_auth(c, path, o, conn);
}

/* A list of certificate files or folders loaded with load(). */
static int cfg_cert_list(struct cfg_ctx *c, json_t *o, const char *key, struct ike_creds **store,
			 int (*load)(struct ike_creds *, const char *, char *, size_t))
{
	char p[CFG_PATH_MAX], ep[CFG_PATH_MAX], err[512];
	json_t *arr;
	const char *path;
	int rc = cfg_get_array(c, "credentials", o, key, 256, &arr);

	cfg_path_key(p, "credentials", key);
	for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
		cfg_path_idx(ep, p, i);
		if ((rc = cfg_elem_string(c, p, arr, i, &path)))
			break;
		if (!store_of(store))
			return cfg_fail(c, ep, "out of memory");
		if (load(*store, path, err, sizeof(err)) < 0)
			rc = cfg_fail(c, ep, "%s", err);
	}
	return rc;
}

/* CRL files: each issued by a CA loaded above, its signature checked now
 * (the engine checks again when it takes them). */
static int cfg_crls(struct cfg_ctx *c, json_t *o, struct app_config *cfg)
{
	char p[CFG_PATH_MAX], ep[CFG_PATH_MAX], e[512];
	json_t *arr;
	const char *s;
	int rc = cfg_get_array(c, "credentials", o, "crls", APP_MAX_CRLS, &arr);

	cfg_path_key(p, "credentials", "crls");
	for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
		cfg_path_idx(ep, p, i);
		if ((rc = cfg_elem_string(c, p, arr, i, &s)))
			break;
		if (strlen(s) >= APP_PATH_MAX)
			return cfg_fail(c, p, "path %zu too long", i);
		if (ike_creds_check_crl(cfg->creds, s, e, sizeof(e)) < 0)
			return cfg_fail(c, ep, "%s", e);
		snprintf(cfg->crls[cfg->n_crls++], APP_PATH_MAX, "%s", s);
	}
	return rc;
}

/* One configured OCSP responder: {"ca": file or DN pattern, "uri"}. */
static int cfg_ocsp_one(struct cfg_ctx *c, const char *ep, json_t *r, struct app_config *cfg)
{
	struct app_ocsp *oc = &cfg->ocsp[cfg->n_ocsp];
	char p[CFG_PATH_MAX], e[512];
	const char *ca, *uri;
	int rc;

	if ((rc = cfg_check_object(c, ep, r, ocsp_keys)) ||
	    (rc = cfg_get_string(c, ep, r, "ca", true, &ca)) ||
	    (rc = cfg_get_string(c, ep, r, "uri", true, &uri)) ||
	    (rc = cfg_get_strbuf(c, ep, r, "ca", oc->ca, sizeof(oc->ca))) ||
	    (rc = cfg_get_strbuf(c, ep, r, "uri", oc->uri, sizeof(oc->uri))))
		return rc;
	cfg_path_key(p, ep, "uri");
	if (ike_pki_ocsp_url_check(oc->uri, e, sizeof(e)) < 0)
		return cfg_fail(c, p, "%s", e);
	cfg_path_key(p, ep, "ca");
	if (!ike_creds_find_ca(cfg->creds, oc->ca, e, sizeof(e)))
		return cfg_fail(c, p, "%s", e);
	cfg->n_ocsp++;
	return 0;
}

/* OCSP responders per CA (strongSwan's authorities.NAME.ocsp_uris). */
static int cfg_ocsp(struct cfg_ctx *c, json_t *o, struct app_config *cfg)
{
	char p[CFG_PATH_MAX], ep[CFG_PATH_MAX];
	json_t *arr;
	int rc = cfg_get_array(c, "credentials", o, "ocsp_responders", APP_MAX_OCSP, &arr);

	cfg_path_key(p, "credentials", "ocsp_responders");
	for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
		cfg_path_idx(ep, p, i);
		rc = cfg_ocsp_one(c, ep, json_array_get(arr, i), cfg);
	}
	return rc;
}

int cfg_credentials(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	json_t *o;
	int rc = cfg_get_object(c, "", root, "credentials", cred_keys, &o);

	if (rc || !o)
		return rc;
	if ((rc = cfg_cert_list(c, o, "cacerts", &cfg->creds, ike_creds_load_ca)) ||
	    (rc = cfg_cert_list(c, o, "intermediates", &cfg->creds, ike_creds_load_intermediate)))
		return rc;
	if ((rc = cfg_crls(c, o, cfg)))
		return rc;
	return cfg_ocsp(c, o, cfg);
}

/* The Jansson tree is freed without wiping; overwrite the PSK strings it
 * still holds first (in auth and remote_auth). */
void cfg_scrub_json(json_t *root)
{
	static const char *const objs[] = { "auth", "remote_auth" };
	static const char *const keys[] = { "psk", "psk_hex" };
	json_t *conns = json_object_get(root, "connections");

	for (size_t i = 0; i < json_array_size(conns); i++)
		for (unsigned k = 0; k < 4; k++) {
			json_t *a = json_object_get(json_array_get(conns, i), objs[k / 2]);
			json_t *v = json_object_get(a, keys[k % 2]);

			if (json_is_string(v))
				ike_wipe((char *)json_string_value(v), json_string_length(v));
		}
}
