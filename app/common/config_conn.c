/* SPDX-License-Identifier: BSD-3-Clause */
/* "connections" section: connections, their authentication, proposals and
 * CHILD SAs. The PSK is never echoed in an error message. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/config_priv.h"
#include "ike/ike_pki.h"

#define CFG_MAX_TIME 31536000u /* one year, in seconds */

static const char *const conn_keys[] = {
	"name",       "local_addr",        "remote_addr", "local_id",    "remote_id",
	"auth",       "ike_proposals",     "rekey_time",  "rand_time",   "dpd_delay",
	"encap",      "allow_weak_groups", "initiate",    "children",    "start_action",
	"dpd_action", "close_action",      "keyingtries", "remote_auth", NULL
};
static const char *const child_keys[] = { "name",  "local_ts",   "remote_ts", "esp_proposals",
					  "mode",  "rekey_time", "life_time", "rand_time",
					  "if_id", NULL };

static const char *const ike_default_props[] = { "aes256gcm16-prfsha256-x25519-ecp256",
						 "aes256-sha256-modp2048", NULL };
static const char *const esp_default_props[] = { "aes128gcm16", "aes256-sha256", NULL };

/* ---- addresses and identities ---- */

/* remote_addr: an address, "%any", or a prefix such as "192.0.2.0/24"; the
 * last two make a responder-only connection. */
static int cfg_remote(struct cfg_ctx *c, const char *path, json_t *o, uint16_t port,
		      struct ike_conn_cfg *conn)
{
	char p[CFG_PATH_MAX];
	const char *s;
	struct ike_ts ts;
	int rc = cfg_get_string(c, path, o, "remote_addr", true, &s);

	if (rc)
		return rc;
	if (strcmp(s, "%any") == 0) {
		conn->remote = conn->local;
		conn->remote_is_prefix = true;
		conn->remote_plen = 0;
		return 0;
	}
	if (strchr(s, '/') && ike_ts_parse(s, &ts) == 0 && !strchr(s, '[')) {
		unsigned n = ts.family == 4 ? 4 : 16, plen = 0;
		while (plen < n * 8 && ts.start[plen / 8] == ts.end[plen / 8] && plen % 8 == 0)
			plen += 8;
		while (plen < n * 8 &&
		       !((ts.start[plen / 8] ^ ts.end[plen / 8]) & (0x80u >> (plen % 8))))
			plen++;
		memset(&conn->remote, 0, sizeof(conn->remote));
		conn->remote.family = ts.family;
		memcpy(conn->remote.a, ts.start, n);
		conn->remote.port = port;
		conn->remote_is_prefix = true;
		conn->remote_plen = (uint8_t)plen;
		return 0;
	}
	if (ike_addr_parse(s, &conn->remote) != 0) {
		cfg_path_key(p, path, "remote_addr");
		return cfg_fail(c, p, "invalid address '%s' (an address, a prefix or \"%%any\")",
				s);
	}
	conn->remote.port = port;
	return 0;
}

static int cfg_conn_addrs(struct cfg_ctx *c, const char *path, json_t *o, uint16_t port,
			  struct ike_conn_cfg *conn)
{
	char p[CFG_PATH_MAX];
	int rc;

	if ((rc = cfg_get_addr(c, path, o, "local_addr", port, &conn->local)) ||
	    (rc = cfg_remote(c, path, o, port, conn)))
		return rc;
	if (conn->local.family != conn->remote.family) {
		cfg_path_key(p, path, "remote_addr");
		return cfg_fail(c, p,
				"address family (IPv%u) differs from "
				"local_addr (IPv%u)",
				conn->remote.family, conn->local.family);
	}
	return 0;
}

/* key is optional; defaults to the string of the address key dflt. */
static int cfg_id(struct cfg_ctx *c, const char *path, json_t *o, const char *key, const char *dflt,
		  struct ike_id *out)
{
	char p[CFG_PATH_MAX];
	const char *s;
	int rc = cfg_get_string(c, path, o, key, false, &s);

	if (rc)
		return rc;
	if (!s)
		s = json_string_value(json_object_get(o, dflt));
	if (s && strchr(s, '/') && !strchr(s, '='))
		s = "%any"; /* a prefix of peers: any identity unless given */
	if (s && strchr(s, '=') ? ike_pki_id_from_dn(s, out) != 0 : ike_id_parse(s, out) != 0) {
		cfg_path_key(p, path, key);
		return cfg_fail(c, p, "invalid identity '%s'", s);
	}
	return 0;
}

/* ---- proposals ---- */

static int cfg_proposal(struct cfg_ctx *c, const char *p, const char *s, bool is_ike,
			bool allow_weak, struct ike_proposal *out)
{
	char why[160] = "";

	if (ike_proposal_parse(s, is_ike, out, why, sizeof why) != 0)
		return why[0] ? cfg_fail(c, p, "%s", why)
			      : cfg_fail(c, p, "invalid proposal '%s'", s);
	for (unsigned i = 0; i < out->n_dh && !allow_weak; i++)
		if (ike_dh_is_weak(out->dh[i]) > 0)
			return cfg_fail(c, p,
					"weak DH group %s in '%s' (set "
					"allow_weak_groups to permit MODP groups "
					"below 2048 bits)",
					ike_dh_name(out->dh[i]), s);
	return 0;
}

static int cfg_proposal_defaults(struct cfg_ctx *c, const char *p, const char *const dflt[],
				 bool is_ike, bool allow_weak, struct ike_proposal *out, uint8_t *n)
{
	int rc;

	for (*n = 0; dflt[*n]; (*n)++)
		if ((rc = cfg_proposal(c, p, dflt[*n], is_ike, allow_weak, &out[*n])))
			return rc;
	return 0;
}

/* Array "key" of proposal strings, or dflt when absent. */
static int cfg_proposals(struct cfg_ctx *c, const char *path, json_t *o, const char *key,
			 const char *const dflt[], bool is_ike, bool allow_weak,
			 struct ike_proposal *out, uint8_t *n)
{
	char ap[CFG_PATH_MAX], p[CFG_PATH_MAX];
	const char *s;
	json_t *arr;
	int rc = cfg_get_array(c, path, o, key, IKE_MAX_PROPOSALS, &arr);

	cfg_path_key(ap, path, key);
	if (rc || !arr)
		return rc ? rc : cfg_proposal_defaults(c, ap, dflt, is_ike, allow_weak, out, n);
	if (json_array_size(arr) == 0)
		return cfg_fail(c, ap, "must not be empty");
	for (*n = 0; *n < json_array_size(arr); (*n)++) {
		cfg_path_idx(p, ap, *n);
		if ((rc = cfg_elem_string(c, ap, arr, *n, &s)) ||
		    (rc = cfg_proposal(c, p, s, is_ike, allow_weak, &out[*n])))
			return rc;
	}
	return 0;
}

/* ---- timers ---- */

/* rekey_time (default dflt), rand_time (default 10% of rekey_time). */
static int cfg_rekey(struct cfg_ctx *c, const char *path, json_t *o, uint32_t dflt, uint32_t *rekey,
		     uint32_t *rand)
{
	char p[CFG_PATH_MAX];
	int rc;

	*rekey = dflt;
	if ((rc = cfg_get_uint(c, path, o, "rekey_time", 0, CFG_MAX_TIME, rekey)))
		return rc;
	*rand = *rekey / 10;
	if ((rc = cfg_get_uint(c, path, o, "rand_time", 0, CFG_MAX_TIME, rand)))
		return rc;
	if (*rekey && *rand >= *rekey) {
		cfg_path_key(p, path, "rand_time");
		return cfg_fail(c, p, "must be less than rekey_time (%u)", *rekey);
	}
	return 0;
}

/* ---- children ---- */

static int cfg_ts_list(struct cfg_ctx *c, const char *path, json_t *o, const char *key,
		       struct ike_ts *out, uint8_t *n)
{
	char ap[CFG_PATH_MAX], p[CFG_PATH_MAX];
	const char *s;
	json_t *arr;
	int rc;

	cfg_path_key(ap, path, key);
	if ((rc = cfg_require(c, path, o, key, &arr)) ||
	    (rc = cfg_get_array(c, path, o, key, IKE_MAX_TS, &arr)))
		return rc;
	if (json_array_size(arr) == 0)
		return cfg_fail(c, ap, "must not be empty");
	for (*n = 0; *n < json_array_size(arr); (*n)++) {
		if ((rc = cfg_elem_string(c, ap, arr, *n, &s)))
			return rc;
		if (ike_ts_parse(s, &out[*n]) != 0) {
			cfg_path_idx(p, ap, *n);
			return cfg_fail(c, p, "invalid traffic selector '%s'", s);
		}
	}
	return 0;
}

static int cfg_mode(struct cfg_ctx *c, const char *path, json_t *o, enum ike_mode *out)
{
	char p[CFG_PATH_MAX];
	const char *s;
	int rc = cfg_get_string(c, path, o, "mode", false, &s);

	*out = IKE_MODE_TUNNEL;
	if (rc || !s || strcmp(s, "tunnel") == 0)
		return rc;
	if (strcmp(s, "transport") == 0) {
		*out = IKE_MODE_TRANSPORT;
		return 0;
	}
	cfg_path_key(p, path, "mode");
	return cfg_fail(c, p, "expected \"tunnel\" or \"transport\", got '%s'", s);
}

static int cfg_child_life(struct cfg_ctx *c, const char *path, json_t *o, struct ike_child_cfg *ch)
{
	char p[CFG_PATH_MAX];
	int rc;

	if ((rc = cfg_rekey(c, path, o, 3600, &ch->rekey_time_s, &ch->rand_time_s)) ||
	    (rc = cfg_get_uint(c, path, o, "life_time", 0, CFG_MAX_TIME, &ch->life_time_s)))
		return rc;
	if (ch->life_time_s && ch->rekey_time_s && ch->life_time_s <= ch->rekey_time_s) {
		cfg_path_key(p, path, "life_time");
		return cfg_fail(c, p, "must be greater than rekey_time (%u)", ch->rekey_time_s);
	}
	return 0;
}

static int cfg_child(struct cfg_ctx *c, const char *path, json_t *o, bool allow_weak,
		     struct ike_child_cfg *ch)
{
	int rc;

	if ((rc = cfg_check_object(c, path, o, child_keys)) ||
	    (rc = cfg_get_name(c, path, o, "name", true, IKE_NAME_MAX, ch->name)) ||
	    (rc = cfg_ts_list(c, path, o, "local_ts", ch->local_ts, &ch->n_local_ts)) ||
	    (rc = cfg_ts_list(c, path, o, "remote_ts", ch->remote_ts, &ch->n_remote_ts)) ||
	    (rc = cfg_proposals(c, path, o, "esp_proposals", esp_default_props, false, allow_weak,
				ch->proposals, &ch->n_proposals)) ||
	    (rc = cfg_mode(c, path, o, &ch->mode)) || (rc = cfg_child_life(c, path, o, ch)) ||
	    (rc = cfg_get_uint(c, path, o, "if_id", 1, UINT32_MAX - 1, &ch->if_id)))
		return rc;
	return 0;
}

static int cfg_children(struct cfg_ctx *c, const char *path, json_t *o, struct ike_conn_cfg *conn)
{
	char ap[CFG_PATH_MAX], p[CFG_PATH_MAX], np[CFG_PATH_MAX];
	json_t *arr;
	int rc;

	cfg_path_key(ap, path, "children");
	if ((rc = cfg_require(c, path, o, "children", &arr)) ||
	    (rc = cfg_get_array(c, path, o, "children", IKE_MAX_CHILDREN, &arr)))
		return rc;
	if (json_array_size(arr) == 0)
		return cfg_fail(c, ap, "at least one child is required");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct ike_child_cfg *ch = &conn->children[i];

		cfg_path_idx(p, ap, i);
		if ((rc = cfg_child(c, p, json_array_get(arr, i), conn->allow_weak_dh, ch)))
			return rc;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(conn->children[j].name, ch->name) != 0)
				continue;
			cfg_path_key(np, p, "name");
			return cfg_fail(c, np, "duplicate child name '%s'", ch->name);
		}
		conn->n_children = (uint8_t)(i + 1);
	}
	return 0;
}

/* ---- connections ---- */

/* start_action (initiate is its older boolean form), dpd_action,
 * close_action, keyingtries: a connection we start restarts by itself
 * after a failed liveness check and retries a failed attempt forever,
 * unless told otherwise; after the peer's delete it stays down (a peer's
 * operator meant it) unless close_action says restart. A trapped one is
 * started by traffic, each acquire one attempt (the trap asks again while
 * traffic lasts), and its policies stay trapped whatever ends its SAs. */
static int cfg_conn_actions(struct cfg_ctx *c, const char *path, json_t *o,
			    struct ike_conn_cfg *conn)
{
	static const char *const start[] = { "none", "start", "trap", NULL };
	static const char *const dpd[] = { "clear", "restart", "trap", NULL };
	static const char *const close[] = { "none", "restart", "trap", NULL };
	int st = conn->initiate, da, ca = IKE_ACTION_CLEAR, rc;
	uint32_t tries;

	if ((rc = cfg_get_enum(c, path, o, "start_action", start, &st)))
		return rc;
	conn->initiate = st == 1;
	conn->trap = st == 2;
	da = conn->initiate ? IKE_ACTION_RESTART : IKE_ACTION_CLEAR;
	tries = conn->initiate ? 0 : 1;
	if ((rc = cfg_get_enum(c, path, o, "dpd_action", dpd, &da)) ||
	    (rc = cfg_get_enum(c, path, o, "close_action", close, &ca)) ||
	    (rc = cfg_get_uint(c, path, o, "keyingtries", 0, 1000000, &tries)))
		return rc;
	conn->dpd_action = (enum ike_conn_action)da;
	conn->close_action = (enum ike_conn_action)ca;
	conn->keyingtries = tries ? tries : IKE_KEYINGTRIES_FOREVER;
	if (conn->remote_is_prefix &&
	    (conn->trap || da == IKE_ACTION_TRAP || ca == IKE_ACTION_TRAP))
		return cfg_fail(c, path,
				"'trap' needs a single remote_addr: a prefix of peers "
				"cannot be initiated to");
	return 0;
}

static int cfg_conn_flags(struct cfg_ctx *c, const char *path, json_t *o, struct ike_conn_cfg *conn)
{
	int rc;

	conn->dpd_delay_s = 30;
	if ((rc = cfg_rekey(c, path, o, 14400, &conn->rekey_time_s, &conn->rand_time_s)) ||
	    (rc = cfg_get_uint(c, path, o, "dpd_delay", 0, 86400, &conn->dpd_delay_s)) ||
	    (rc = cfg_get_bool(c, path, o, "encap", &conn->force_encap)) ||
	    (rc = cfg_get_bool(c, path, o, "allow_weak_groups", &conn->allow_weak_dh)) ||
	    (rc = cfg_get_bool(c, path, o, "initiate", &conn->initiate)) ||
	    (rc = cfg_conn_actions(c, path, o, conn)))
		return rc;
	return 0;
}

static int cfg_conn(struct cfg_ctx *c, const char *path, json_t *o, uint16_t port,
		    struct ike_conn_cfg *conn, struct ike_creds **store)
{
	int rc;

	if ((rc = cfg_check_object(c, path, o, conn_keys)) ||
	    (rc = cfg_get_name(c, path, o, "name", true, IKE_NAME_MAX, conn->name)) ||
	    (rc = cfg_conn_addrs(c, path, o, port, conn)) ||
	    (rc = cfg_id(c, path, o, "local_id", "local_addr", &conn->local_id)) ||
	    (rc = cfg_id(c, path, o, "remote_id", "remote_addr", &conn->remote_id)) ||
	    (rc = cfg_auth(c, path, o, conn, store)) || (rc = cfg_conn_flags(c, path, o, conn)) ||
	    (rc = cfg_proposals(c, path, o, "ike_proposals", ike_default_props, true,
				conn->allow_weak_dh, conn->proposals, &conn->n_proposals)) ||
	    (rc = cfg_children(c, path, o, conn)))
		return rc;
	return 0;
}

int cfg_connections(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	char p[CFG_PATH_MAX], np[CFG_PATH_MAX];
	json_t *arr;
	int rc = cfg_get_array(c, "", root, "connections", APP_CONNS_LIMIT, &arr);
	size_t n = arr ? json_array_size(arr) : 0;

	if (rc)
		return rc;
	if (n == 0)
		return cfg_fail(c, arr ? "connections" : "", "at least one connection is required");
	cfg->conns = calloc(n, sizeof(*cfg->conns));
	if (!cfg->conns || cfg_conn_index_new(cfg, n) != 0)
		return cfg_fail(c, "connections", "out of memory for %zu connections", n);
	for (size_t i = 0; i < n; i++) {
		struct ike_conn_cfg *conn = &cfg->conns[i];

		cfg_path_idx(p, "connections", i);
		/* counted first: a connection parsed halfway holds secrets to wipe */
		cfg->n_conns = (unsigned)i + 1;
		if ((rc = cfg_conn(c, p, json_array_get(arr, i), cfg->ike_port, conn, &cfg->creds)))
			return rc;
		rc = cfg_conn_index_add(cfg, (unsigned)i);
		cfg_path_key(np, p, "name");
		if (rc == -EEXIST)
			return cfg_fail(c, np, "duplicate connection name '%s'", conn->name);
		if (rc)
			return cfg_fail(c, np, "out of memory");
	}
	return 0;
}
