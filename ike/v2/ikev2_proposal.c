/* SPDX-License-Identifier: BSD-3-Clause */
/* SA payload proposals: built from configuration, and the selection of one
 * proposal (RFC 7296 2.7, 3.3.6). The responder prefers its own order. */
#include <stdio.h>
#include <string.h>

#include "ike/core/ike_priv.h"

static void add_trans(struct ikev2_prop *p, uint8_t type, uint16_t id, uint16_t keybits)
{
	if (p->n_trans < IKEV2_MAX_TRANS) {
		struct ikev2_transform *t = &p->trans[p->n_trans++];
		t->type = type;
		t->id = id;
		t->keybits = keybits;
		t->unknown_attr = false;
	}
}

/* ChaCha20-Poly1305 has a fixed key size and no Key Length attribute. */
static uint16_t wire_keybits(uint16_t id, uint16_t keybits)
{
	return id == IKEV2_ENCR_CHACHA20_POLY1305 ? 0 : keybits;
}

static void prop_header(struct ikev2_prop *p, uint8_t num, uint8_t proto, const uint8_t *spi,
			uint8_t spi_size)
{
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->proto = proto;
	p->spi_size = spi_size;
	if (spi_size)
		memcpy(p->spi, spi, spi_size);
}

unsigned ikev2_props_from_cfg(const struct ike_proposal *cfg, unsigned n, uint8_t proto,
			      const uint8_t *spi, uint8_t spi_size, bool with_dh,
			      struct ikev2_prop *out)
{
	for (unsigned i = 0; i < n; i++) {
		const struct ike_proposal *c = &cfg[i];
		struct ikev2_prop *p = &out[i];

		prop_header(p, (uint8_t)(i + 1), proto, spi, spi_size);
		for (unsigned k = 0; k < c->n_encr; k++)
			add_trans(p, IKEV2_TRANS_ENCR, c->encr[k].id,
				  wire_keybits(c->encr[k].id, c->encr[k].keybits));
		if (proto == IKEV2_PROTO_IKE)
			for (unsigned k = 0; k < c->n_prf; k++)
				add_trans(p, IKEV2_TRANS_PRF, c->prf[k], 0);
		for (unsigned k = 0; k < c->n_integ; k++)
			add_trans(p, IKEV2_TRANS_INTEG, c->integ[k], 0);
		if (with_dh)
			for (unsigned k = 0; k < c->n_dh; k++)
				add_trans(p, IKEV2_TRANS_DH, c->dh[k], 0);
		if (proto == IKEV2_PROTO_ESP)
			for (unsigned k = 0; k < c->n_esn; k++)
				add_trans(p, IKEV2_TRANS_ESN, c->esn[k], 0);
	}
	return n;
}

static bool has(const struct ikev2_prop *p, uint8_t type, uint16_t id, uint16_t keybits)
{
	for (unsigned i = 0; i < p->n_trans; i++) {
		const struct ikev2_transform *t = &p->trans[i];
		if (t->type == type && t->id == id && !t->unknown_attr &&
		    (type != IKEV2_TRANS_ENCR || t->keybits == keybits))
			return true;
	}
	return false;
}

static unsigned count(const struct ikev2_prop *p, uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n_trans; i++)
		n += p->trans[i].type == type &&
		     !(type == IKEV2_TRANS_INTEG && p->trans[i].id == 0) &&
		     !(type == IKEV2_TRANS_DH && p->trans[i].id == 0);
	return n;
}

static int pick(const struct ikev2_prop *p, uint8_t type, const uint16_t *ours, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (has(p, type, ours[i], 0))
			return ours[i];
	return -1;
}

static int pick_none_ok(const struct ike_proposal *o)
{
	for (unsigned i = 0; i < o->n_esn; i++)
		if (o->esn[i] == IKEV2_ESN_NO)
			return 0;
	return o->n_esn ? -1 : 0;
}

/* One of our proposals against one of theirs. */
static bool match_one(const struct ike_proposal *o, const struct ikev2_prop *t, uint8_t proto,
		      bool with_dh, struct ike_algs *a)
{
	int v;

	memset(a, 0, sizeof(*a));
	if (t->proto != proto)
		return false;
	for (unsigned i = 0; i < o->n_encr && !a->encr; i++)
		if (has(t, IKEV2_TRANS_ENCR, o->encr[i].id,
			wire_keybits(o->encr[i].id, o->encr[i].keybits))) {
			a->encr = o->encr[i].id;
			a->encr_keybits = o->encr[i].keybits;
		}
	if (!a->encr)
		return false;
	if (proto == IKEV2_PROTO_IKE) {
		if ((v = pick(t, IKEV2_TRANS_PRF, o->prf, o->n_prf)) < 0)
			return false;
		a->prf = (uint16_t)v;
	}
	if (o->n_integ) {
		if ((v = pick(t, IKEV2_TRANS_INTEG, o->integ, o->n_integ)) < 0)
			return false;
		a->integ = (uint16_t)v;
	} else if (count(t, IKEV2_TRANS_INTEG)) {
		return false;
	}
	if (with_dh) {
		if (o->n_dh) {
			if ((v = pick(t, IKEV2_TRANS_DH, o->dh, o->n_dh)) < 0)
				return false;
			a->dh = (uint16_t)v;
		} else if (count(t, IKEV2_TRANS_DH)) {
			return false;
		}
	}
	if (proto == IKEV2_PROTO_ESP && count(t, IKEV2_TRANS_ESN)) {
		if ((v = pick(t, IKEV2_TRANS_ESN, o->esn, o->n_esn)) < 0)
			return false;
		a->esn = (uint16_t)v;
	} else if (proto == IKEV2_PROTO_ESP) {
		/* No ESN transform at all means 32-bit sequence numbers. */
		if (pick_none_ok(o) < 0)
			return false;
	}
	return true;
}

int ikev2_props_select(const struct ike_proposal *ours, unsigned n_ours,
		       const struct ikev2_prop *theirs, unsigned n_theirs, uint8_t proto,
		       bool with_dh, struct ike_algs *out)
{
	for (unsigned i = 0; i < n_ours; i++)
		for (unsigned k = 0; k < n_theirs; k++)
			if (match_one(&ours[i], &theirs[k], proto, with_dh, out))
				return (int)k;
	return -1;
}

int ikev2_props_accept(const struct ike_proposal *ours, unsigned n_ours,
		       const struct ikev2_prop *reply, uint8_t proto, bool with_dh,
		       struct ike_algs *out)
{
	/* A reply carries exactly one transform of each type it uses. */
	for (uint8_t t = IKEV2_TRANS_ENCR; t <= IKEV2_TRANS_ESN; t++) {
		unsigned n = 0;
		for (unsigned i = 0; i < reply->n_trans; i++)
			n += reply->trans[i].type == t;
		if (n > 1)
			return -1;
	}
	return ikev2_props_select(ours, n_ours, reply, 1, proto, with_dh, out) == 0 ? 0 : -1;
}

void ikev2_prop_from_algs(const struct ike_algs *a, uint8_t num, uint8_t proto, const uint8_t *spi,
			  uint8_t spi_size, struct ikev2_prop *out)
{
	prop_header(out, num, proto, spi, spi_size);
	add_trans(out, IKEV2_TRANS_ENCR, a->encr, wire_keybits(a->encr, a->encr_keybits));
	if (proto == IKEV2_PROTO_IKE)
		add_trans(out, IKEV2_TRANS_PRF, a->prf, 0);
	if (a->integ)
		add_trans(out, IKEV2_TRANS_INTEG, a->integ, 0);
	if (a->dh)
		add_trans(out, IKEV2_TRANS_DH, a->dh, 0);
	if (proto == IKEV2_PROTO_ESP)
		add_trans(out, IKEV2_TRANS_ESN, a->esn, 0);
}

static const char *trans_type_name(uint8_t type)
{
	static const char *const names[] = { "type0", "encr", "prf", "integ", "dh", "esn" };

	return names[type <= IKEV2_TRANS_ESN ? type : 0];
}

static const char *trans_name(const struct ikev2_transform *t, char *buf, size_t len)
{
	const char *n = "?";

	switch (t->type) {
	case IKEV2_TRANS_ENCR:
		n = ike_encr_name(t->id, t->id == IKEV2_ENCR_CHACHA20_POLY1305 ? 256 : t->keybits);
		break;
	case IKEV2_TRANS_PRF: n = ike_prf_name(t->id); break;
	case IKEV2_TRANS_INTEG: n = ike_integ_name(t->id); break;
	case IKEV2_TRANS_DH: n = ike_dh_name(t->id); break;
	case IKEV2_TRANS_ESN: n = t->id ? "esn" : "noesn"; break;
	default: break;
	}
	if (strcmp(n, "unknown") != 0 && strcmp(n, "?") != 0)
		snprintf(buf, len, "%s", n);
	else if (t->type == IKEV2_TRANS_ENCR && t->id == IKEV2_ENCR_AES_CBC)
		snprintf(buf, len, "aes%u", t->keybits); /* a key size we do not take */
	else if (t->type == IKEV2_TRANS_ENCR && t->id == IKEV2_ENCR_AES_GCM_16)
		snprintf(buf, len, "aes%ugcm16", t->keybits);
	else if ((n = ike_alg_unsupported_name(t->type, t->id)) != NULL)
		snprintf(buf, len, "%s", n);
	else if (t->type <= IKEV2_TRANS_ESN) /* no name known: the number */
		snprintf(buf, len, "%s:%u", trans_type_name(t->type), t->id);
	else
		snprintf(buf, len, "type%u:%u", t->type, t->id);
	return buf;
}

const char *ikev2_props_str(const struct ikev2_prop *p, unsigned n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && off + 1 < len; i++) {
		char num[8];

		snprintf(num, sizeof(num), "#%u ", p[i].num);
		off = ike_str_cat(buf, len, off, i ? ", " : "", num);
		for (unsigned k = 0; k < p[i].n_trans && off + 1 < len; k++) {
			char tn[48];
			off = ike_str_cat(buf, len, off, k ? "/" : "",
					  trans_name(&p[i].trans[k], tn, sizeof(tn)));
		}
	}
	return buf;
}

const char *ike_cfg_props_str(const struct ike_proposal *p, unsigned n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && off + 1 < len; i++) {
		char one[256];
		off = ike_str_cat(buf, len, off, i ? ", " : "",
				  ike_proposal_str(&p[i], one, sizeof(one)));
	}
	return buf;
}
