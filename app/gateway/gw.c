/* SPDX-License-Identifier: BSD-3-Clause */
/* Config / IKE -> fast-path conversions. See gw.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "ike/ike.h"
#include "app/gateway/gw.h"
#include "fastpath/sad.h"

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

int app_gw_algs(uint16_t encr, uint16_t keybits, uint16_t integ, uint8_t key_len,
		uint8_t auth_key_len, struct fp_sa_params *p, char *err, size_t errlen)
{
	switch (encr) {
	case IKEV2_ENCR_AES_GCM_16: p->cipher = FP_CIPHER_AES_GCM; break;
	case IKEV2_ENCR_CHACHA20_POLY1305: p->cipher = FP_CIPHER_CHACHA20_POLY1305; break;
	case IKEV2_ENCR_AES_CBC: p->cipher = FP_CIPHER_AES_CBC; break;
	case IKEV2_ENCR_NULL: p->cipher = FP_CIPHER_NULL; break;
	default: FAIL("encryption transform %u not supported by the fast path", encr);
	}
	if (encr == IKEV2_ENCR_AES_GCM_16 && keybits != 128 && keybits != 256)
		FAIL("AES-GCM with %u-bit keys not supported by the fast path", keybits);
	switch (integ) {
	case IKEV2_INTEG_NONE: p->auth = FP_AUTH_NONE; break;
	case IKEV2_INTEG_HMAC_SHA2_256_128: p->auth = FP_AUTH_HMAC_SHA256_128; break;
	case IKEV2_INTEG_HMAC_SHA2_384_192: p->auth = FP_AUTH_HMAC_SHA384_192; break;
	case IKEV2_INTEG_HMAC_SHA2_512_256: p->auth = FP_AUTH_HMAC_SHA512_256; break;
	default: FAIL("integrity transform %u not supported by the fast path", integ);
	}
	if (key_len > FP_MAX_KEY || auth_key_len > FP_MAX_KEY)
		FAIL("key too long");
	p->cipher_key_len = key_len;
	p->auth_key_len = auth_key_len;
	return 0;
}

static void addr_to(const ike_addr_t *a, uint8_t out[16])
{
	memset(out, 0, 16);
	memcpy(out, a->a, a->family == 4 ? 4 : 16);
}

/* Inner selector from (src side, dst side) ranges; false when the two
 * sides name different protocols (the pair selects nothing). */
static bool ts_pair(const struct ike_ts *src, const struct ike_ts *dst, struct fp_selector *s)
{
	unsigned alen = src->family == 4 ? 4 : 16;

	if (src->family != dst->family || (src->proto && dst->proto && src->proto != dst->proto))
		return false;
	memset(s, 0, sizeof(*s));
	s->family = src->family;
	s->proto = src->proto ? src->proto : dst->proto;
	s->sport_lo = src->sport;
	s->sport_hi = src->eport;
	s->dport_lo = dst->sport;
	s->dport_hi = dst->eport;
	memcpy(s->src_lo, src->start, alen);
	memcpy(s->src_hi, src->end, alen);
	memcpy(s->dst_lo, dst->start, alen);
	memcpy(s->dst_hi, dst->end, alen);
	return true;
}

int app_gw_static_sa(const struct app_fp_sa *s, struct fp_sa_params *p, char *err, size_t errlen)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = app_gw_algs(s->encr, s->encr_keybits, s->integ, s->key_len, s->auth_key_len, p,
			      err, errlen)))
		return rc;
	p->spi = s->spi;
	p->dir = s->out ? FP_DIR_OUT : FP_DIR_IN;
	snprintf(p->conn, sizeof(p->conn), "static");
	p->mode = s->mode == IKE_MODE_TRANSPORT ? FP_MODE_TRANSPORT : FP_MODE_TUNNEL;
	p->outer_family = s->local.family;
	addr_to(&s->local, p->local);
	addr_to(&s->remote, p->remote);
	p->udp_encap = s->encap;
	p->encap_local_port = s->encap_local_port;
	p->encap_remote_port = s->encap_remote_port;
	memcpy(p->cipher_key, s->key, s->key_len);
	memcpy(p->auth_key, s->auth_key, s->auth_key_len);
	p->esn = s->esn;
	p->replay_window = s->replay_window;
	p->soft_packets = s->soft_packets;
	p->hard_packets = s->hard_packets;
	p->soft_bytes = s->soft_bytes;
	p->hard_bytes = s->hard_bytes;
	for (unsigned i = 0; i < s->n_sel; i++)
		if (ts_pair(&s->sel_src[i], &s->sel_dst[i], &p->sel[p->n_sel]))
			p->n_sel++;
	return fp_sa_params_check(p, err, errlen);
}

#define MIB(b) ((b) >> 20)

int app_gw_sa_room(unsigned want, size_t have, uint32_t *max, char *msg, size_t len)
{
	size_t fit = have / 2 / fp_sad_bytes(1);
	unsigned n = want ? want : (unsigned)RTE_MIN(fit, (size_t)APP_FP_SAS_DEFAULT);

	if ((want && fp_sad_bytes(want) > have) || n < APP_FP_SAS_MIN) {
		n = want ? want : APP_FP_SAS_MIN;
		snprintf(
			msg, len,
			"fastpath.max_sas %u: about %zu MiB when full (2 x %u SAs of %zu bytes and "
			"their tables), the EAL has %zu MiB free: lower fastpath.max_sas or give "
			"the EAL more memory (hugepages, --socket-mem, -m)",
			n, MIB(fp_sad_bytes(n)), n, sizeof(struct fp_sad_ent), MIB(have));
		return -1;
	}
	*max = n;
	snprintf(msg, len,
		 "room for %u SAs per direction (%s; about %zu MiB when full, the EAL has %zu MiB "
		 "free)",
		 n, want ? "fastpath.max_sas" : "what half the free memory holds, up to 131072",
		 MIB(fp_sad_bytes(n)), MIB(have));
	return 0;
}

void app_gw_policy(const struct app_fp_policy *pol, struct fp_spd_rule *r)
{
	struct ike_ts src = pol->src, dst = pol->dst;

	src.proto = dst.proto = pol->proto;
	src.sport = pol->sport_lo;
	src.eport = pol->sport_hi;
	dst.sport = pol->dport_lo;
	dst.eport = pol->dport_hi;
	memset(r, 0, sizeof(*r));
	ts_pair(&src, &dst, &r->sel);
	r->action = (enum fp_spd_action)pol->action;
	r->spi = pol->spi;
	r->origin = FP_SPD_CONFIG;
}

static int child_one(const struct ike_child_info *ci, bool out, struct fp_sa_params *p, char *err,
		     size_t errlen)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = app_gw_algs(ci->algs.encr, ci->algs.encr_keybits, ci->algs.integ, ci->enc_key_len,
			      ci->integ_key_len, p, err, errlen)))
		return rc;
	p->spi = out ? ci->spi_out : ci->spi_in;
	p->out_key = out ? ci->spi_in : 0; /* ours, unique: the peer's SPI may not be */
	p->dir = out ? FP_DIR_OUT : FP_DIR_IN;
	snprintf(p->conn, sizeof(p->conn), "%s", ci->conn ? ci->conn : "");
	snprintf(p->child, sizeof(p->child), "%s", ci->child ? ci->child : "");
	p->child_id = ci->id;
	p->mode = ci->mode == IKE_MODE_TRANSPORT ? FP_MODE_TRANSPORT : FP_MODE_TUNNEL;
	p->outer_family = ci->local.family;
	addr_to(&ci->local, p->local);
	addr_to(&ci->remote, p->remote);
	p->udp_encap = ci->encap;
	p->encap_local_port = ci->local.port;
	p->encap_remote_port = ci->remote.port;
	memcpy(p->cipher_key, out ? ci->enc_out : ci->enc_in, ci->enc_key_len);
	memcpy(p->auth_key, out ? ci->integ_out : ci->integ_in, ci->integ_key_len);
	p->esn = ci->algs.esn == IKEV2_ESN_YES;
	/* Without ESN an outbound SA has 2^32 - 1 sequence numbers, which one
	 * worker sends in about seven minutes at 10 Mpps, and the fast path
	 * ends the SA there rather than wrap (RFC 4303 3.3.3): IKE is told to
	 * rekey while 2^30 remain (app_gw_ike_fp_event()), minutes even when
	 * several workers share the SA and the rekey waits behind another
	 * exchange; the packet count lags the sequence number only by packets
	 * that failed encryption. */
	if (out && !p->esn)
		p->soft_packets = UINT32_MAX - (1u << 30);
	return 0;
}

unsigned app_gw_trap_rules(const struct ike_child_cfg *cc, uint32_t trap, struct fp_spd_rule *rules,
			   unsigned max)
{
	unsigned n = 0;

	for (unsigned l = 0; l < cc->n_local_ts; l++)
		for (unsigned r = 0; r < cc->n_remote_ts && n < max; r++) {
			memset(&rules[n], 0, sizeof(rules[0]));
			if (!ts_pair(&cc->local_ts[l], &cc->remote_ts[r], &rules[n].sel))
				continue;
			rules[n].action = FP_SPD_TRAP;
			rules[n++].spi = trap;
		}
	return n;
}

int app_gw_child_params(const struct ike_child_info *ci, struct fp_sa_params *in,
			struct fp_sa_params *out, struct fp_spd_rule *rules, unsigned max,
			unsigned *n_rules, char *err, size_t errlen)
{
	int rc;

	*n_rules = 0;
	if ((rc = child_one(ci, false, in, err, errlen)) ||
	    (rc = child_one(ci, true, out, err, errlen)))
		goto fail;
	for (unsigned l = 0; l < ci->n_local_ts; l++) {
		for (unsigned r = 0; r < ci->n_remote_ts; r++) {
			struct fp_selector s;

			/* Outbound: local -> remote. */
			if (!ts_pair(&ci->local_ts[l], &ci->remote_ts[r], &s))
				continue;
			if (*n_rules == max) {
				snprintf(err, errlen, "more than %u policies", max);
				rc = -E2BIG;
				goto fail;
			}
			memset(&rules[*n_rules], 0, sizeof(rules[0]));
			rules[*n_rules].sel = s;
			rules[*n_rules].action = FP_SPD_PROTECT;
			rules[(*n_rules)++].spi = ci->spi_in; /* the outbound SA's key */
			/* Inbound inner check: remote -> local. */
			if (in->n_sel == RTE_DIM(in->sel)) {
				snprintf(err, errlen, "more than %zu selector pairs",
					 RTE_DIM(in->sel));
				rc = -E2BIG;
				goto fail;
			}
			ts_pair(&ci->remote_ts[r], &ci->local_ts[l], &in->sel[in->n_sel++]);
		}
	}
	if ((rc = fp_sa_params_check(in, err, errlen)) == 0 &&
	    (rc = fp_sa_params_check(out, err, errlen)) == 0)
		return 0;
fail:
	ike_wipe(in, sizeof(*in));
	ike_wipe(out, sizeof(*out));
	*n_rules = 0;
	return rc;
}

static const char *ip_str(const ike_addr_t *a, char *buf, size_t len)
{
	return inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len) ? buf
											 : "?";
}

int app_gw_check_conns(const struct app_config *cfg, char *err, size_t errlen)
{
	const struct app_fp_cfg *f = &cfg->fastpath;
	char as[80];

	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct ike_conn_cfg *c = &cfg->conns[i];
		bool local = false, route = c->remote_is_prefix;

		for (unsigned p = 0; p < f->n_ports && !local; p++)
			for (unsigned a = 0; a < f->ports[p].n_addr && !local; a++)
				local = ike_addr_ip_eq(&f->ports[p].addr[a], &c->local);
		for (unsigned r = 0; r < f->n_routes && !route; r++) {
			ike_addr_t net = { .family = f->routes[r].family };

			memcpy(net.a, f->routes[r].prefix, sizeof(net.a));
			route = ike_addr_in_prefix(&net, f->routes[r].plen, &c->remote);
		}
		if (!local) {
			snprintf(err, errlen,
				 "connection '%s': local_addr %s is not an address of a "
				 "fastpath port (fastpath.ports[].addresses)",
				 c->name, ip_str(&c->local, as, sizeof(as)));
			return -EINVAL;
		}
		if (!route) {
			snprintf(err, errlen,
				 "connection '%s': no route to remote_addr %s in "
				 "fastpath.routes",
				 c->name, ip_str(&c->remote, as, sizeof(as)));
			return -EINVAL;
		}
	}
	return 0;
}
