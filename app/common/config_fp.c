/* SPDX-License-Identifier: BSD-3-Clause */
/* "fastpath" section: ports, workers, crypto backend, static SAs, policies,
 * routes of the DPDK gateway. Keys are never echoed in an error. See
 * docs/config.md. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "app/common/config_priv.h"

static const char *const fp_keys[] = { "workers",  "max_sas",    "max_routes", "rx_burst",
				       "crypto",   "reassembly", "ports",      "static_sas",
				       "policies", "routes",     NULL };
static const char *const reasm_keys[] = { "max_datagrams", "timeout_ms", NULL };
static const char *const crypto_keys[] = { "backend",        "device",        "devargs",
					   "profile",        "qp_desc",       "timeout_us",
					   "imb_short_arch", "imb_short_max", NULL };
static const char *const port_keys[] = { "name",      "profile", "devargs", "device", "addresses",
					 "rx_queues", "rx_desc", "tx_desc", "mtu",    NULL };
static const char *const sa_keys[] = { "spi",
				       "dir",
				       "mode",
				       "local",
				       "remote",
				       "encap",
				       "encap_local_port",
				       "encap_remote_port",
				       "cipher",
				       "key",
				       "auth",
				       "auth_key",
				       "esn",
				       "replay_window",
				       "soft_packets",
				       "hard_packets",
				       "soft_bytes",
				       "hard_bytes",
				       "selectors",
				       NULL };
static const char *const sel_keys[] = { "src", "dst", NULL };
static const char *const pol_keys[] = { "src",   "dst",    "proto", "sport",
					"dport", "action", "sa",    NULL };
static const char *const route_keys[] = { "dst", "port", "via", "mac", "tunnel", NULL };

/* ---- small value parsers ---- */

/* Hex, "0x" optional, exactly want bytes; the value is never echoed. */
static int get_hexkey(struct cfg_ctx *c, const char *path, json_t *o, const char *key,
		      unsigned want, uint8_t *out)
{
	char p[CFG_PATH_MAX];
	const char *s;
	size_t n;
	int rc = cfg_get_string(c, path, o, key, true, &s);

	if (rc)
		return rc;
	cfg_path_key(p, path, key);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n != 2u * want)
		return cfg_fail(c, p, "expected %u bytes in hex, got %zu hex digits", want, n);
	for (size_t i = 0; i < want; i++) {
		unsigned v;

		if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]))
			return cfg_fail(c, p, "not a hex string");
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* SPI: integer or "0x..." string, >= 256. */
static int get_spi(struct cfg_ctx *c, const char *path, json_t *o, const char *key, uint32_t *out)
{
	char p[CFG_PATH_MAX];
	json_t *v;
	int rc = cfg_require(c, path, o, key, &v);
	long long n = -1;

	if (rc)
		return rc;
	cfg_path_key(p, path, key);
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		char *end;
		const char *s = json_string_value(v);

		errno = 0;
		n = strtoll(s, &end, 0);
		if (*s == '\0' || *end != '\0' || errno)
			n = -1;
	}
	if (n < 256 || n > 0xffffffffLL)
		return cfg_fail(c, p, "expected SPI 256-4294967295 (integer or \"0x...\")");
	*out = (uint32_t)n;
	return 0;
}

/* An address, prefix or range, without "[proto/port]". */
static int get_range(struct cfg_ctx *c, const char *path, json_t *o, const char *key,
		     struct ike_ts *ts)
{
	char p[CFG_PATH_MAX];
	const char *s;
	int rc = cfg_get_string(c, path, o, key, true, &s);

	if (rc)
		return rc;
	cfg_path_key(p, path, key);
	if (strchr(s, '['))
		return cfg_fail(c, p, "'%s': give the protocol and ports in proto/sport/dport", s);
	if (ike_ts_parse(s, ts) != 0)
		return cfg_fail(c, p, "invalid address, prefix or range '%s'", s);
	return 0;
}

/* Port: integer, or "lo-hi"; absent = any. */
static int get_ports(struct cfg_ctx *c, const char *path, json_t *o, const char *key, uint16_t *lo,
		     uint16_t *hi)
{
	char p[CFG_PATH_MAX];
	json_t *v = json_object_get(o, key);
	unsigned a, b;
	int end = 0;

	*lo = 0;
	*hi = 65535;
	if (!v)
		return 0;
	cfg_path_key(p, path, key);
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 65535) {
		*lo = *hi = (uint16_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && sscanf(json_string_value(v), "%u-%u%n", &a, &b, &end) == 2 &&
	    json_string_value(v)[end] == '\0' && a <= b && b <= 65535) {
		*lo = (uint16_t)a;
		*hi = (uint16_t)b;
		return 0;
	}
	return cfg_fail(c, p, "expected a port 0-65535 or a range \"lo-hi\"");
}

static int get_proto(struct cfg_ctx *c, const char *path, json_t *o, uint8_t *out)
{
	static const struct {
		const char *n;
		uint8_t v;
	} names[] = { { "any", 0 },    { "icmp", 1 },       { "tcp", 6 },
		      { "udp", 17 },   { "gre", 47 },       { "esp", 50 },
		      { "icmp6", 58 }, { "ipv6-icmp", 58 }, { "sctp", 132 } };
	char p[CFG_PATH_MAX];
	json_t *v = json_object_get(o, "proto");

	*out = 0;
	if (!v)
		return 0;
	cfg_path_key(p, path, "proto");
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255) {
		*out = (uint8_t)json_integer_value(v);
		return 0;
	}
	for (unsigned i = 0; json_is_string(v) && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(json_string_value(v), names[i].n) == 0) {
			*out = names[i].v;
			return 0;
		}
	return cfg_fail(c, p,
			"expected a protocol number 0-255 or one of any, icmp, tcp, "
			"udp, gre, esp, icmp6, sctp");
}

static int get_u64(struct cfg_ctx *c, const char *path, json_t *o, const char *key, uint64_t *out)
{
	char p[CFG_PATH_MAX];
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		cfg_path_key(p, path, key);
		return cfg_fail(c, p, "expected a non-negative integer");
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* ---- crypto backend ---- */

/* Cryptodev names are driver-made: "crypto_aesni_mb0", and for PCI devices
 * the address plus a suffix ("0000:6b:00.1_qat_sym"), so ':' is allowed. */
static int get_cdev_name(struct cfg_ctx *c, const char *path, json_t *o, char *out)
{
	char p[CFG_PATH_MAX];
	int rc = cfg_get_strbuf(c, path, o, "device", out, APP_FP_CDEV_NAME_MAX);

	if (rc || !out[0])
		return rc;
	for (const char *s = out; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-:", *s)) {
			cfg_path_key(p, path, "device");
			return cfg_fail(c, p, "invalid cryptodev name (A-Z a-z 0-9 _ . - :)");
		}
	return 0;
}

static int imb_short(struct cfg_ctx *c, const char *path, json_t *o, struct app_fp_crypto *cr)
{
	static const char *const names[] = { "auto", "off", "sse", "avx", "avx2" };
	char p[CFG_PATH_MAX];
	const char *s = NULL;
	int rc;

	if ((rc = cfg_get_string(c, path, o, "imb_short_arch", false, &s)) ||
	    (rc = cfg_get_uint(c, path, o, "imb_short_max", 16, 9216, &cr->imb_short_max)))
		return rc;
	cr->imb_short = APP_FP_IMB_SHORT_AUTO;
	if (s == NULL)
		return 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			cr->imb_short = (enum app_fp_imb_short)i;
			return 0;
		}
	cfg_path_key(p, path, "imb_short_arch");
	return cfg_fail(c, p, "unknown '%s' (auto, off, sse, avx, avx2)", s);
}

static int fp_crypto(struct cfg_ctx *c, json_t *fo, struct app_fp_crypto *cr)
{
	static const char *const path = "fastpath.crypto";
	char p[CFG_PATH_MAX];
	const char *s = NULL;
	json_t *o;
	int rc = cfg_get_object(c, "fastpath", fo, "crypto", crypto_keys, &o);

	if (rc || !o)
		return rc;
	if ((rc = cfg_get_string(c, path, o, "backend", false, &s)))
		return rc;
	if (s == NULL || strcmp(s, "imb") == 0) {
		cr->backend = APP_FP_CRYPTO_IMB;
	} else if (strcmp(s, "cryptodev") == 0) {
		cr->backend = APP_FP_CRYPTO_CRYPTODEV;
	} else {
		cfg_path_key(p, path, "backend");
		return cfg_fail(c, p, "unknown backend '%s' (imb, cryptodev)", s);
	}
	if ((rc = get_cdev_name(c, path, o, cr->device)) ||
	    (rc = cfg_get_strbuf(c, path, o, "devargs", cr->devargs, sizeof cr->devargs)) ||
	    (rc = cfg_get_name(c, path, o, "profile", false, APP_FP_NAME_MAX, cr->profile)) ||
	    (rc = cfg_get_uint(c, path, o, "qp_desc", 32, 16384, &cr->qp_desc)) ||
	    (rc = cfg_get_uint(c, path, o, "timeout_us", 1, 1000000, &cr->timeout_us)))
		return rc;
	if (cr->qp_desc & (cr->qp_desc - 1)) {
		cfg_path_key(p, path, "qp_desc");
		return cfg_fail(c, p, "must be a power of two");
	}
	if ((rc = imb_short(c, path, o, cr)))
		return rc;
	if (cr->backend == APP_FP_CRYPTO_IMB) {
		if (cr->device[0] || cr->devargs[0] || cr->profile[0] || cr->qp_desc ||
		    cr->timeout_us)
			return cfg_fail(c, path,
					"'device', 'devargs', 'profile', 'qp_desc' and "
					"'timeout_us' only with backend 'cryptodev'");
		return 0;
	}
	if (json_object_get(o, "imb_short_arch") || json_object_get(o, "imb_short_max"))
		return cfg_fail(c, path,
				"'imb_short_arch' and 'imb_short_max' only with backend "
				"'imb' (a cryptodev PMD picks its own code)");
	if (!cr->device[0] && !cr->devargs[0])
		return cfg_fail(c, path, "backend 'cryptodev' needs 'device' or 'devargs'");
	return 0;
}

/* ---- ports ---- */

static int fp_port(struct cfg_ctx *c, const char *path, json_t *o, struct app_fp_cfg *f,
		   struct app_fp_port *pt)
{
	char p[CFG_PATH_MAX];
	json_t *arr;
	int rc;

	pt->mtu = APP_FP_MTU;
	if ((rc = cfg_check_object(c, path, o, port_keys)) ||
	    (rc = cfg_get_name(c, path, o, "name", true, APP_FP_NAME_MAX, pt->name)) ||
	    (rc = cfg_get_name(c, path, o, "profile", false, APP_FP_NAME_MAX, pt->profile)) ||
	    (rc = cfg_get_strbuf(c, path, o, "devargs", pt->devargs, sizeof pt->devargs)) ||
	    (rc = cfg_get_name(c, path, o, "device", false, APP_FP_NAME_MAX, pt->device)) ||
	    (rc = cfg_get_u16(c, path, o, "rx_queues", 1, 16, &pt->rx_queues)) ||
	    (rc = cfg_get_u16(c, path, o, "rx_desc", 64, 16384, &pt->rx_desc)) ||
	    (rc = cfg_get_u16(c, path, o, "tx_desc", 64, 16384, &pt->tx_desc)) ||
	    (rc = cfg_get_u16(c, path, o, "mtu", 1280, 9216, &pt->mtu)) ||
	    (rc = cfg_get_array(c, path, o, "addresses", APP_FP_MAX_ADDRS, &arr)))
		return rc;
	if (pt->devargs[0] && pt->device[0])
		return cfg_fail(c, path, "give 'devargs' or 'device', not both");
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		const char *s;

		cfg_path_key(p, path, "addresses");
		if ((rc = cfg_elem_string(c, p, arr, i, &s)))
			return rc;
		if (ike_addr_parse(s, &pt->addr[i]) != 0) {
			char q[CFG_PATH_MAX];

			cfg_path_idx(q, p, i);
			return cfg_fail(c, q, "invalid address '%s'", s);
		}
		pt->addr[i].port = 0;
		pt->n_addr = (unsigned)i + 1;
	}
	for (unsigned j = 0; j < f->n_ports; j++)
		if (strcmp(f->ports[j].name, pt->name) == 0) {
			cfg_path_key(p, path, "name");
			return cfg_fail(c, p, "duplicate port name '%s'", pt->name);
		}
	return 0;
}

/* fastpath.reassembly: fragments addressed to the gateway. */
static int fp_reasm(struct cfg_ctx *c, json_t *fo, struct app_fp_cfg *f)
{
	json_t *o;
	int rc = cfg_get_object(c, "fastpath", fo, "reassembly", reasm_keys, &o);

	f->reasm_max = APP_FP_REASM_MAX;
	f->reasm_timeout_ms = APP_FP_REASM_TIMEOUT;
	if (rc || !o)
		return rc;
	if ((rc = cfg_get_uint(c, "fastpath.reassembly", o, "max_datagrams", 0, APP_FP_REASM_LIMIT,
			       &f->reasm_max)) ||
	    (rc = cfg_get_uint(c, "fastpath.reassembly", o, "timeout_ms", 10, 60000,
			       &f->reasm_timeout_ms)))
		return rc;
	return 0;
}

static bool is_ours(const struct app_fp_cfg *f, const ike_addr_t *a)
{
	for (unsigned i = 0; i < f->n_ports; i++)
		for (unsigned j = 0; j < f->ports[i].n_addr; j++)
			if (ike_addr_ip_eq(&f->ports[i].addr[j], a))
				return true;
	return false;
}

/* ---- static SAs ---- */

struct cipher_name {
	const char *name;
	uint16_t encr, keybits;
	uint8_t key_len; /* incl. salt */
	bool aead;
};

static const struct cipher_name ciphers[] = {
	{ "aes128gcm16", IKEV2_ENCR_AES_GCM_16, 128, 20, true },
	{ "aes256gcm16", IKEV2_ENCR_AES_GCM_16, 256, 36, true },
	{ "chacha20poly1305", IKEV2_ENCR_CHACHA20_POLY1305, 256, 36, true },
	{ "aes128", IKEV2_ENCR_AES_CBC, 128, 16, false },
	{ "aes256", IKEV2_ENCR_AES_CBC, 256, 32, false },
	{ "null", IKEV2_ENCR_NULL, 0, 0, false },
};

static int sa_crypto(struct cfg_ctx *c, const char *path, json_t *o, struct app_fp_sa *sa)
{
	static const char *const auths[] = { "none", "sha256", "sha384", "sha512", NULL };
	static const uint16_t auth_ids[] = { 0, IKEV2_INTEG_HMAC_SHA2_256_128,
					     IKEV2_INTEG_HMAC_SHA2_384_192,
					     IKEV2_INTEG_HMAC_SHA2_512_256 };
	char p[CFG_PATH_MAX];
	const struct cipher_name *cn = NULL;
	const char *s;
	int auth = 0, rc = cfg_get_string(c, path, o, "cipher", true, &s);

	if (rc)
		return rc;
	for (unsigned i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		if (strcmp(s, ciphers[i].name) == 0)
			cn = &ciphers[i];
	cfg_path_key(p, path, "cipher");
	if (!cn)
		return cfg_fail(c, p,
				"unknown cipher '%s' (aes128gcm16, aes256gcm16, "
				"chacha20poly1305, aes128, aes256, null)",
				s);
	sa->encr = cn->encr;
	sa->encr_keybits = cn->keybits;
	sa->key_len = cn->key_len;
	if (cn->key_len && (rc = get_hexkey(c, path, o, "key", cn->key_len, sa->key)))
		return rc;
	if (!cn->key_len && json_object_get(o, "key"))
		return cfg_fail(c, path, "cipher 'null' takes no key");
	if ((rc = cfg_get_enum(c, path, o, "auth", auths, &auth)))
		return rc;
	if (cn->aead && auth)
		return cfg_fail(c, path, "AEAD cipher '%s' takes no 'auth'", cn->name);
	if (!cn->aead && !auth)
		return cfg_fail(c, path, "cipher '%s' needs 'auth' (sha256, sha384, sha512)",
				cn->name);
	sa->integ = auth_ids[auth];
	sa->auth_key_len = (uint8_t)(auth == 1 ? 32 : auth == 2 ? 48 : auth == 3 ? 64 : 0);
	if (auth)
		return get_hexkey(c, path, o, "auth_key", sa->auth_key_len, sa->auth_key);
	if (json_object_get(o, "auth_key"))
		return cfg_fail(c, path, "'auth_key' without 'auth'");
	return 0;
}

static int sa_selectors(struct cfg_ctx *c, const char *path, json_t *o, struct app_fp_sa *sa)
{
	char p[CFG_PATH_MAX], q[CFG_PATH_MAX];
	json_t *arr;
	int rc = cfg_get_array(c, path, o, "selectors", APP_FP_MAX_SEL, &arr);

	if (rc)
		return rc;
	cfg_path_key(p, path, "selectors");
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		json_t *s = json_array_get(arr, i);

		cfg_path_idx(q, p, i);
		if ((rc = cfg_check_object(c, q, s, sel_keys)) ||
		    (rc = get_range(c, q, s, "src", &sa->sel_src[i])) ||
		    (rc = get_range(c, q, s, "dst", &sa->sel_dst[i])))
			return rc;
		if (sa->sel_src[i].family != sa->sel_dst[i].family)
			return cfg_fail(c, q, "src and dst of different families");
		sa->n_sel = (uint8_t)(i + 1);
	}
	return 0;
}

static int fp_sa(struct cfg_ctx *c, const char *path, json_t *o, struct app_fp_cfg *f,
		 struct app_fp_sa *sa)
{
	static const char *const dirs[] = { "in", "out", NULL };
	static const char *const modes[] = { "tunnel", "transport", NULL };
	int dir = -1, mode = 0, rc;
	uint32_t w = 0;

	sa->encap_local_port = sa->encap_remote_port = f->natt_port;
	if ((rc = cfg_check_object(c, path, o, sa_keys)) ||
	    (rc = get_spi(c, path, o, "spi", &sa->spi)) ||
	    (rc = cfg_get_enum(c, path, o, "dir", dirs, &dir)) ||
	    (rc = cfg_get_enum(c, path, o, "mode", modes, &mode)) ||
	    (rc = cfg_get_addr(c, path, o, "local", 0, &sa->local)) ||
	    (rc = cfg_get_addr(c, path, o, "remote", 0, &sa->remote)) ||
	    (rc = cfg_get_bool(c, path, o, "encap", &sa->encap)) ||
	    (rc = cfg_get_u16(c, path, o, "encap_local_port", 1, 65535, &sa->encap_local_port)) ||
	    (rc = cfg_get_u16(c, path, o, "encap_remote_port", 1, 65535, &sa->encap_remote_port)) ||
	    (rc = sa_crypto(c, path, o, sa)) || (rc = cfg_get_bool(c, path, o, "esn", &sa->esn)) ||
	    (rc = cfg_get_uint(c, path, o, "replay_window", 0, 4096, &w)) ||
	    (rc = get_u64(c, path, o, "soft_packets", &sa->soft_packets)) ||
	    (rc = get_u64(c, path, o, "hard_packets", &sa->hard_packets)) ||
	    (rc = get_u64(c, path, o, "soft_bytes", &sa->soft_bytes)) ||
	    (rc = get_u64(c, path, o, "hard_bytes", &sa->hard_bytes)) ||
	    (rc = sa_selectors(c, path, o, sa)))
		return rc;
	if (dir < 0)
		return cfg_fail(c, path, "missing 'dir'");
	sa->out = dir == 1;
	sa->mode = mode ? IKE_MODE_TRANSPORT : IKE_MODE_TUNNEL;
	if ((w & (w - 1)) || (w > 0 && w < 64)) {
		char p[CFG_PATH_MAX];

		cfg_path_key(p, path, "replay_window");
		return cfg_fail(c, p, "must be 0 (off) or a power of two in [64, 4096]");
	}
	/* 0 given explicitly turns anti-replay off; absent means the default */
	if (w == 0 && json_object_get(o, "replay_window") != NULL) {
		if (sa->esn) {
			char p[CFG_PATH_MAX];

			cfg_path_key(p, path, "replay_window");
			return cfg_fail(c, p, "0 (anti-replay off) cannot be used with esn");
		}
		w = UINT32_MAX; /* FP_REPLAY_OFF */
	}
	sa->replay_window = w;
	if (sa->local.family != sa->remote.family)
		return cfg_fail(c, path, "local and remote of different families");
	if (!is_ours(f, &sa->local))
		return cfg_fail(c, path, "local is not an address of any fastpath port");
	if ((sa->soft_packets && sa->hard_packets && sa->soft_packets > sa->hard_packets) ||
	    (sa->soft_bytes && sa->hard_bytes && sa->soft_bytes > sa->hard_bytes))
		return cfg_fail(c, path, "soft lifetime beyond the hard one");
	for (unsigned j = 0; j < f->n_sas; j++)
		if (f->sas[j].spi == sa->spi && f->sas[j].out == sa->out)
			return cfg_fail(c, path, "duplicate SPI 0x%08x for direction '%s'", sa->spi,
					dirs[dir]);
	return 0;
}

/* ---- policies and routes ---- */

static int fp_policy(struct cfg_ctx *c, const char *path, json_t *o, struct app_fp_cfg *f,
		     struct app_fp_policy *pol)
{
	static const char *const acts[] = { "", "discard", "bypass", "protect", NULL };
	int act = 0, rc;

	if ((rc = cfg_check_object(c, path, o, pol_keys)) ||
	    (rc = get_range(c, path, o, "src", &pol->src)) ||
	    (rc = get_range(c, path, o, "dst", &pol->dst)) ||
	    (rc = get_proto(c, path, o, &pol->proto)) ||
	    (rc = get_ports(c, path, o, "sport", &pol->sport_lo, &pol->sport_hi)) ||
	    (rc = get_ports(c, path, o, "dport", &pol->dport_lo, &pol->dport_hi)) ||
	    (rc = cfg_get_enum(c, path, o, "action", acts, &act)))
		return rc;
	if (act <= 0)
		return cfg_fail(c, path, "missing 'action' (protect, bypass or discard)");
	pol->action = (enum app_fp_action)act;
	if (pol->src.family != pol->dst.family)
		return cfg_fail(c, path, "src and dst of different families");
	if (pol->action != APP_FP_PROTECT) {
		if (json_object_get(o, "sa"))
			return cfg_fail(c, path, "'sa' only with action 'protect'");
		return 0;
	}
	if ((rc = get_spi(c, path, o, "sa", &pol->spi)))
		return rc;
	for (unsigned j = 0; j < f->n_sas; j++)
		if (f->sas[j].out && f->sas[j].spi == pol->spi)
			return 0;
	return cfg_fail(c, path, "sa 0x%08x is not an outbound static SA", pol->spi);
}

/* The next hop: "via" an address of the route's family (its MAC found by
 * ARP / neighbour discovery unless "mac" gives it), or "mac" alone; with
 * neither, the broadcast address (an on-link route without resolution). */
static int fp_route_nh(struct cfg_ctx *c, const char *path, json_t *o, struct app_fp_route *rt)
{
	char p[CFG_PATH_MAX];
	unsigned m[6];
	ike_addr_t via;
	const char *s;
	int rc, end = 0;

	if ((rc = cfg_get_string(c, path, o, "via", false, &s)))
		return rc;
	if (s) {
		cfg_path_key(p, path, "via");
		if (ike_addr_parse(s, &via) != 0)
			return cfg_fail(c, p, "invalid address '%s'", s);
		if (via.family != rt->family)
			return cfg_fail(c, p, "'%s' is not of the family of 'dst'", s);
		rt->has_via = true;
		memcpy(rt->via, via.a, sizeof(rt->via));
	}
	if ((rc = cfg_get_string(c, path, o, "mac", false, &s)) || !s)
		return rc;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
		   &end) != 6 ||
	    s[end] != '\0') {
		cfg_path_key(p, path, "mac");
		return cfg_fail(c, p, "invalid MAC address '%s'", s);
	}
	for (int i = 0; i < 6; i++)
		rt->mac[i] = (uint8_t)m[i];
	rt->has_mac = true;
	return 0;
}

static int fp_route(struct cfg_ctx *c, const char *path, json_t *o, struct app_fp_cfg *f,
		    struct app_fp_route *rt)
{
	char p[CFG_PATH_MAX];
	struct ike_ts ts;
	const char *s;
	int rc;

	memset(rt->mac, 0xff, sizeof rt->mac);
	if ((rc = cfg_check_object(c, path, o, route_keys)) ||
	    (rc = cfg_get_string(c, path, o, "dst", true, &s)))
		return rc;
	cfg_path_key(p, path, "dst");
	if (strchr(s, '[') || ike_ts_parse(s, &ts) != 0)
		return cfg_fail(c, p, "invalid prefix '%s'", s);
	{
		unsigned alen = ts.family == 4 ? 4 : 16, plen = 0;

		while (plen < alen * 8 &&
		       !((ts.start[plen / 8] ^ ts.end[plen / 8]) & (0x80u >> (plen % 8))))
			plen++;
		/* Must be exactly a prefix: start has the host bits 0, end 1. */
		for (unsigned b = plen; b < alen * 8; b++)
			if ((ts.start[b / 8] & (0x80u >> (b % 8))) ||
			    !(ts.end[b / 8] & (0x80u >> (b % 8))))
				return cfg_fail(c, p, "'%s' is not a prefix", s);
		rt->family = ts.family;
		rt->plen = (uint8_t)plen;
		memcpy(rt->prefix, ts.start, alen);
	}
	if ((rc = cfg_get_uint(c, path, o, "tunnel", 1, UINT32_MAX - 1, &rt->tunnel)))
		return rc;
	if (rt->tunnel) { /* route-based: into a tunnel interface, no port */
		if (json_object_get(o, "port") || json_object_get(o, "via") ||
		    json_object_get(o, "mac"))
			return cfg_fail(c, path, "a route into a tunnel takes no port, via or mac");
		return 0;
	}
	if ((rc = cfg_get_string(c, path, o, "port", true, &s)))
		return rc;
	for (rt->port = 0; rt->port < f->n_ports; rt->port++)
		if (strcmp(f->ports[rt->port].name, s) == 0)
			break;
	if (rt->port == f->n_ports) {
		cfg_path_key(p, path, "port");
		return cfg_fail(c, p, "no port named '%s'", s);
	}
	return fp_route_nh(c, path, o, rt);
}

/* ---- the section ---- */

typedef int (*elem_fn)(struct cfg_ctx *, const char *, json_t *, struct app_fp_cfg *, void *);

static int fp_list(struct cfg_ctx *c, json_t *o, const char *key, size_t max, size_t esize,
		   void *base, unsigned *count, struct app_fp_cfg *f, elem_fn fn)
{
	char p[CFG_PATH_MAX], q[CFG_PATH_MAX];
	json_t *arr;
	int rc = cfg_get_array(c, "fastpath", o, key, max, &arr);

	if (rc)
		return rc;
	cfg_path_key(p, "fastpath", key);
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		cfg_path_idx(q, p, i);
		if ((rc = fn(c, q, json_array_get(arr, i), f, (char *)base + i * esize)))
			return rc;
		*count = (unsigned)i + 1;
	}
	return 0;
}

int cfg_fastpath(struct cfg_ctx *c, json_t *root, struct app_config *cfg)
{
	struct app_fp_cfg *f = &cfg->fastpath;
	json_t *o;
	int rc = cfg_get_object(c, "", root, "fastpath", fp_keys, &o);

	if (rc || !o)
		return rc;
	f->present = true;
	f->workers = 1;
	f->natt_port = cfg->natt_port;
	if ((rc = cfg_get_uint(c, "fastpath", o, "workers", 1, APP_FP_MAX_WORKERS, &f->workers)) ||
	    (rc = cfg_get_uint(c, "fastpath", o, "max_sas", APP_FP_SAS_MIN, APP_FP_SAS_MAX,
			       &f->max_sas)) ||
	    (rc = cfg_get_uint(c, "fastpath", o, "max_routes", APP_FP_MAX_ROUTES, APP_FP_ROUTES_MAX,
			       &f->max_routes)) ||
	    (rc = cfg_get_uint(c, "fastpath", o, "rx_burst", 8, APP_FP_MAX_RX_BURST,
			       &f->rx_burst)) ||
	    (rc = fp_crypto(c, o, &f->crypto)) || (rc = fp_reasm(c, o, f)) ||
	    (rc = fp_list(c, o, "ports", APP_FP_MAX_PORTS, sizeof(f->ports[0]), f->ports,
			  &f->n_ports, f, (elem_fn)fp_port)) ||
	    (rc = fp_list(c, o, "static_sas", APP_FP_MAX_SAS, sizeof(f->sas[0]), f->sas, &f->n_sas,
			  f, (elem_fn)fp_sa)) ||
	    (rc = fp_list(c, o, "policies", APP_FP_MAX_POLICIES, sizeof(f->policies[0]),
			  f->policies, &f->n_policies, f, (elem_fn)fp_policy)) ||
	    (rc = fp_list(c, o, "routes", APP_FP_MAX_ROUTES, sizeof(f->routes[0]), f->routes,
			  &f->n_routes, f, (elem_fn)fp_route)))
		return rc;
	/* Vector RX paths (i40e, ice, ixgbe, mlx5) take multiples of 4 or 8
	 * and round a request down: 1-7 would receive nothing there. */
	if (f->rx_burst % 8 != 0)
		return cfg_fail(c, "fastpath.rx_burst", "must be a multiple of 8 (8-%u)",
				APP_FP_MAX_RX_BURST);
	if (f->n_ports == 0)
		return cfg_fail(c, "fastpath", "at least one port is required in 'ports'");
	return 0;
}

void cfg_fp_scrub_json(json_t *root)
{
	static const char *const keys[] = { "key", "auth_key" };
	json_t *sas = json_object_get(json_object_get(root, "fastpath"), "static_sas");

	for (size_t i = 0; i < json_array_size(sas); i++)
		for (unsigned k = 0; k < 2; k++) {
			json_t *v = json_object_get(json_array_get(sas, i), keys[k]);

			if (json_is_string(v))
				ike_wipe((char *)json_string_value(v), json_string_length(v));
		}
}
