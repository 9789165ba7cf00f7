/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 payload parsing and building (RFC 7296 section 3). Parsers check each
 * length against what is left before reading and name the problem they find. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ike/v2/ikev2_payload.h"
#include "ike/v2/ikev2_wire.h"

const char *ikev2_perr_str(int err)
{
	switch (err) {
	case IKEV2_E_SHORT: return "message shorter than the IKE header";
	case IKEV2_E_HDR_LENGTH: return "header length does not match the datagram";
	case IKEV2_E_VERSION: return "unsupported major version";
	case IKEV2_E_PL_LENGTH: return "payload length out of bounds";
	case IKEV2_E_CRITICAL: return "unsupported critical payload";
	case IKEV2_E_TOO_MANY: return "too many payloads";
	case IKEV2_E_SK_NOT_LAST: return "encrypted payload is not the last payload";
	case IKEV2_E_MALFORMED: return "malformed payload";
	case IKEV2_E_COUNT: return "count field disagrees with payload content";
	case IKEV2_E_TRAILING: return "trailing bytes after the last payload";
	case IKEV2_E_SPI: return "invalid SPI size";
	case IKEV2_E_FRAG_OFF: return "fragment received with fragmentation off";
	case IKEV2_E_FRAG_LIMIT: return "fragmented message over the reassembly limits";
	default: return "unknown parse error";
	}
}

int ikev2_hdr_parse(const uint8_t *buf, size_t len, struct ikev2_hdr *h)
{
	if (len < IKEV2_HDR_LEN)
		return IKEV2_E_SHORT;
	h->spi_i = ikev2_get64(buf);
	h->spi_r = ikev2_get64(buf + 8);
	h->next_payload = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msgid = ikev2_get32(buf + 20);
	h->length = ikev2_get32(buf + 24);
	if ((h->version >> 4) != 2)
		return IKEV2_E_VERSION;
	if (h->length != len)
		return IKEV2_E_HDR_LENGTH;
	return 0;
}

void ikev2_hdr_write(uint8_t *buf, const struct ikev2_hdr *h)
{
	ikev2_put64(buf, h->spi_i);
	ikev2_put64(buf + 8, h->spi_r);
	buf[16] = h->next_payload;
	buf[17] = IKEV2_VERSION;
	buf[18] = h->exchange;
	buf[19] = h->flags;
	ikev2_put32(buf + 20, h->msgid);
	ikev2_put32(buf + 24, h->length);
}

static bool pl_known(uint8_t t)
{
	return (t >= IKEV2_PL_SA && t <= IKEV2_PL_EAP) || t == IKEV2_PL_SKF;
}

int ikev2_chain_parse(uint8_t first, const uint8_t *buf, size_t len, struct ikev2_chain *c,
		      uint8_t *bad_type)
{
	uint8_t type = first;
	size_t off = 0;

	c->n = 0;
	while (type != IKEV2_PL_NONE) {
		struct ikev2_pl *p;
		uint16_t plen;

		if (len - off < IKEV2_PL_HDR_LEN)
			return IKEV2_E_PL_LENGTH;
		plen = ikev2_get16(buf + off + 2);
		if (plen < IKEV2_PL_HDR_LEN || plen > len - off)
			return IKEV2_E_PL_LENGTH;
		if (c->n == IKEV2_MAX_PL)
			return IKEV2_E_TOO_MANY;
		p = &c->pl[c->n++];
		p->type = type;
		p->critical = buf[off + 1] & 0x80;
		p->hdr = buf + off;
		p->body = buf + off + IKEV2_PL_HDR_LEN;
		p->len = plen - IKEV2_PL_HDR_LEN;
		if (!pl_known(type) && p->critical) {
			if (bad_type)
				*bad_type = type;
			return IKEV2_E_CRITICAL;
		}
		off += plen;
		if (type == IKEV2_PL_SK || type == IKEV2_PL_SKF) {
			/* Its next-payload names the first inner payload. */
			if (off != len)
				return IKEV2_E_SK_NOT_LAST;
			return 0;
		}
		type = buf[off - plen];
	}
	return off == len ? 0 : IKEV2_E_TRAILING;
}

const struct ikev2_pl *ikev2_chain_find(const struct ikev2_chain *c, uint8_t type)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->pl[i].type == type)
			return &c->pl[i];
	return NULL;
}

unsigned ikev2_chain_count(const struct ikev2_chain *c, uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n; i++)
		n += c->pl[i].type == type;
	return n;
}

/* One transform substructure (3.3.2); returns its length or an error. */
static int transform_parse(const uint8_t *p, size_t left, bool *last, struct ikev2_transform *t)
{
	uint16_t tlen;
	size_t off = 8;

	if (left < 8)
		return IKEV2_E_MALFORMED;
	tlen = ikev2_get16(p + 2);
	if (tlen < 8 || tlen > left || (p[0] != 0 && p[0] != 3))
		return IKEV2_E_MALFORMED;
	*last = p[0] == 0;
	t->type = p[4];
	t->id = ikev2_get16(p + 6);
	t->keybits = 0;
	t->unknown_attr = false;
	while (off < tlen) {
		uint16_t at;

		if (tlen - off < 4)
			return IKEV2_E_MALFORMED;
		at = ikev2_get16(p + off);
		if (at & IKEV2_ATTR_TV) {
			if ((at & 0x7fff) == IKEV2_ATTR_KEY_LENGTH)
				t->keybits = ikev2_get16(p + off + 2);
			else
				t->unknown_attr = true;
			off += 4;
		} else {
			uint16_t alen = ikev2_get16(p + off + 2);
			if (alen > tlen - off - 4)
				return IKEV2_E_MALFORMED;
			t->unknown_attr = true;
			off += 4u + alen;
		}
	}
	return tlen;
}

static int proposal_parse(const uint8_t *p, size_t left, bool *last, struct ikev2_prop *pr)
{
	uint16_t plen;
	size_t off;
	unsigned ntrans;

	if (left < 8)
		return IKEV2_E_MALFORMED;
	plen = ikev2_get16(p + 2);
	if (plen < 8 || plen > left || (p[0] != 0 && p[0] != 2))
		return IKEV2_E_MALFORMED;
	*last = p[0] == 0;
	pr->num = p[4];
	pr->proto = p[5];
	pr->spi_size = p[6];
	ntrans = p[7];
	if (pr->spi_size > 8)
		return IKEV2_E_SPI;
	if (8u + pr->spi_size > plen)
		return IKEV2_E_MALFORMED;
	memcpy(pr->spi, p + 8, pr->spi_size);
	off = 8u + pr->spi_size;
	pr->n_trans = 0;
	for (unsigned i = 0; i < ntrans; i++) {
		bool tlast;
		struct ikev2_transform t;
		int r = transform_parse(p + off, plen - off, &tlast, &t);

		if (r < 0)
			return r;
		off += (size_t)r;
		if (pr->n_trans < IKEV2_MAX_TRANS)
			pr->trans[pr->n_trans++] = t;
		if (tlast != (i + 1 == ntrans))
			return IKEV2_E_COUNT;
	}
	if (off != plen)
		return IKEV2_E_COUNT;
	return plen;
}

int ikev2_sa_parse(const uint8_t *buf, size_t len, struct ikev2_prop *props, unsigned max,
		   unsigned *n)
{
	size_t off = 0;
	bool last = false;

	*n = 0;
	while (!last) {
		struct ikev2_prop tmp;
		int r = proposal_parse(buf + off, len - off, &last, &tmp);

		if (r < 0)
			return r;
		off += (size_t)r;
		if (*n < max)
			props[(*n)++] = tmp;
	}
	if (off != len)
		return IKEV2_E_TRAILING;
	return *n ? 0 : IKEV2_E_MALFORMED;
}

int ikev2_ke_parse(const uint8_t *buf, size_t len, struct ikev2_ke *ke)
{
	if (len < 4)
		return IKEV2_E_MALFORMED;
	ke->group = ikev2_get16(buf);
	ke->data = buf + 4;
	ke->len = len - 4;
	return 0;
}

int ikev2_nonce_parse(const uint8_t *buf, size_t len)
{
	(void)buf;
	return len >= 16 && len <= 256 ? 0 : IKEV2_E_MALFORMED;
}

int ikev2_skf_parse(const uint8_t *buf, size_t len, struct ikev2_skf *f)
{
	if (len < IKEV2_SKF_FIELDS)
		return IKEV2_E_PL_LENGTH;
	f->num = ikev2_get16(buf);
	f->total = ikev2_get16(buf + 2);
	if (f->num == 0 || f->num > f->total)
		return IKEV2_E_MALFORMED;
	f->data = buf + IKEV2_SKF_FIELDS;
	f->len = len - IKEV2_SKF_FIELDS;
	return 0;
}

int ikev2_id_parse(const uint8_t *buf, size_t len, struct ike_id *id)
{
	if (len < 5 || len - 4 > IKE_MAX_ID)
		return IKEV2_E_MALFORMED;
	id->type = buf[0];
	id->len = (uint8_t)(len - 4);
	memcpy(id->data, buf + 4, len - 4);
	if ((id->type == IKEV2_ID_IPV4_ADDR && id->len != 4) ||
	    (id->type == IKEV2_ID_IPV6_ADDR && id->len != 16))
		return IKEV2_E_MALFORMED;
	return 0;
}

int ikev2_auth_parse(const uint8_t *buf, size_t len, struct ikev2_auth *a)
{
	if (len < 5)
		return IKEV2_E_MALFORMED;
	a->method = buf[0];
	a->data = buf + 4;
	a->len = len - 4;
	return 0;
}

int ikev2_notify_parse(const uint8_t *buf, size_t len, struct ikev2_ntf *n)
{
	if (len < 4)
		return IKEV2_E_MALFORMED;
	n->proto = buf[0];
	n->spi_size = buf[1];
	n->type = ikev2_get16(buf + 2);
	if (n->spi_size > len - 4)
		return IKEV2_E_MALFORMED;
	if (n->spi_size != 0 && n->spi_size != 4 && n->spi_size != 8)
		return IKEV2_E_SPI;
	n->spi = buf + 4;
	n->data = buf + 4 + n->spi_size;
	n->dlen = len - 4 - n->spi_size;
	return 0;
}

int ikev2_delete_parse(const uint8_t *buf, size_t len, struct ikev2_delete *d)
{
	if (len < 4)
		return IKEV2_E_MALFORMED;
	d->proto = buf[0];
	d->spi_size = buf[1];
	d->n_spi = ikev2_get16(buf + 2);
	d->spis = buf + 4;
	if (d->proto == IKEV2_PROTO_IKE) {
		if (d->spi_size != 0 && d->spi_size != 8)
			return IKEV2_E_SPI;
	} else if (d->proto == IKEV2_PROTO_ESP || d->proto == IKEV2_PROTO_AH) {
		if (d->spi_size != 4)
			return IKEV2_E_SPI;
	} else {
		return IKEV2_E_MALFORMED;
	}
	if ((size_t)d->n_spi * d->spi_size != len - 4)
		return IKEV2_E_COUNT;
	return 0;
}

int ikev2_ts_parse(const uint8_t *buf, size_t len, struct ike_ts *ts, unsigned max, unsigned *n)
{
	unsigned count;
	size_t off = 4;

	if (len < 4)
		return IKEV2_E_MALFORMED;
	count = buf[0];
	if (count == 0)
		return IKEV2_E_COUNT;
	*n = 0;
	for (unsigned i = 0; i < count; i++) {
		uint16_t slen;
		size_t alen;
		struct ike_ts t;

		if (len - off < 8)
			return IKEV2_E_COUNT;
		slen = ikev2_get16(buf + off + 2);
		if (buf[off] == IKEV2_TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (buf[off] == IKEV2_TS_IPV6_ADDR_RANGE)
			alen = 16;
		else
			return IKEV2_E_MALFORMED; /* unknown TS types: none used today */
		if (slen != 8 + 2 * alen || slen > len - off)
			return IKEV2_E_MALFORMED;
		memset(&t, 0, sizeof(t));
		t.family = alen == 4 ? 4 : 6;
		t.proto = buf[off + 1];
		t.sport = ikev2_get16(buf + off + 4);
		t.eport = ikev2_get16(buf + off + 6);
		memcpy(t.start, buf + off + 8, alen);
		memcpy(t.end, buf + off + 8 + alen, alen);
		if (*n < max)
			ts[(*n)++] = t;
		off += slen;
	}
	return off == len ? 0 : IKEV2_E_COUNT;
}

/* ---- writer ---- */

void ikev2_w_init(struct ikev2_writer *w, uint8_t *buf, size_t cap, size_t np_off)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->np_off = np_off;
	w->overflow = false;
}

void ikev2_w_bytes(struct ikev2_writer *w, const void *p, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void ikev2_w_u8(struct ikev2_writer *w, uint8_t v)
{
	ikev2_w_bytes(w, &v, 1);
}
void ikev2_w_u16(struct ikev2_writer *w, uint16_t v)
{
	uint8_t b[2];
	ikev2_put16(b, v);
	ikev2_w_bytes(w, b, 2);
}
void ikev2_w_u32(struct ikev2_writer *w, uint32_t v)
{
	uint8_t b[4];
	ikev2_put32(b, v);
	ikev2_w_bytes(w, b, 4);
}

size_t ikev2_w_begin(struct ikev2_writer *w, uint8_t type, bool critical)
{
	size_t start = w->len;

	if (!w->overflow && w->np_off < w->cap)
		w->buf[w->np_off] = type;
	w->np_off = start;
	ikev2_w_u8(w, IKEV2_PL_NONE);
	ikev2_w_u8(w, critical ? 0x80 : 0);
	ikev2_w_u16(w, 0);
	return start;
}

void ikev2_w_end(struct ikev2_writer *w, size_t start)
{
	if (w->overflow || w->len - start > 0xffff) {
		w->overflow = true;
		return;
	}
	ikev2_put16(w->buf + start + 2, (uint16_t)(w->len - start));
}

static void w_transform(struct ikev2_writer *w, const struct ikev2_transform *t, bool last)
{
	ikev2_w_u8(w, last ? 0 : 3);
	ikev2_w_u8(w, 0);
	ikev2_w_u16(w, t->keybits ? 12 : 8);
	ikev2_w_u8(w, t->type);
	ikev2_w_u8(w, 0);
	ikev2_w_u16(w, t->id);
	if (t->keybits) {
		ikev2_w_u16(w, IKEV2_ATTR_TV | IKEV2_ATTR_KEY_LENGTH);
		ikev2_w_u16(w, t->keybits);
	}
}

void ikev2_w_sa(struct ikev2_writer *w, const struct ikev2_prop *props, unsigned n)
{
	size_t start = ikev2_w_begin(w, IKEV2_PL_SA, false);

	for (unsigned i = 0; i < n; i++) {
		const struct ikev2_prop *p = &props[i];
		size_t pstart = w->len;

		ikev2_w_u8(w, i + 1 == n ? 0 : 2);
		ikev2_w_u8(w, 0);
		ikev2_w_u16(w, 0);
		ikev2_w_u8(w, p->num);
		ikev2_w_u8(w, p->proto);
		ikev2_w_u8(w, p->spi_size);
		ikev2_w_u8(w, p->n_trans);
		ikev2_w_bytes(w, p->spi, p->spi_size);
		for (unsigned t = 0; t < p->n_trans; t++)
			w_transform(w, &p->trans[t], t + 1 == p->n_trans);
		if (!w->overflow)
			ikev2_put16(w->buf + pstart + 2, (uint16_t)(w->len - pstart));
	}
	ikev2_w_end(w, start);
}

void ikev2_w_ke(struct ikev2_writer *w, uint16_t group, const uint8_t *d, size_t n)
{
	size_t start = ikev2_w_begin(w, IKEV2_PL_KE, false);

	ikev2_w_u16(w, group);
	ikev2_w_u16(w, 0);
	ikev2_w_bytes(w, d, n);
	ikev2_w_end(w, start);
}

void ikev2_w_nonce(struct ikev2_writer *w, const uint8_t *d, size_t n)
{
	size_t start = ikev2_w_begin(w, IKEV2_PL_NONCE, false);

	ikev2_w_bytes(w, d, n);
	ikev2_w_end(w, start);
}

void ikev2_w_id(struct ikev2_writer *w, uint8_t pl_type, const struct ike_id *id)
{
	size_t start = ikev2_w_begin(w, pl_type, false);

	ikev2_w_u8(w, id->type);
	ikev2_w_u8(w, 0);
	ikev2_w_u16(w, 0);
	ikev2_w_bytes(w, id->data, id->len);
	ikev2_w_end(w, start);
}

void ikev2_w_auth(struct ikev2_writer *w, uint8_t method, const uint8_t *d, size_t n)
{
	size_t start = ikev2_w_begin(w, IKEV2_PL_AUTH, false);

	ikev2_w_u8(w, method);
	ikev2_w_u8(w, 0);
	ikev2_w_u16(w, 0);
	ikev2_w_bytes(w, d, n);
	ikev2_w_end(w, start);
}

void ikev2_w_notify(struct ikev2_writer *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
		    uint16_t type, const uint8_t *d, size_t n)
{
	size_t start = ikev2_w_begin(w, IKEV2_PL_NOTIFY, false);

	ikev2_w_u8(w, proto);
	ikev2_w_u8(w, spi_size);
	ikev2_w_u16(w, type);
	ikev2_w_bytes(w, spi, spi_size);
	ikev2_w_bytes(w, d, n);
	ikev2_w_end(w, start);
}

void ikev2_w_delete(struct ikev2_writer *w, uint8_t proto, uint8_t spi_size, const uint8_t *spis,
		    uint16_t n_spi)
{
	size_t start = ikev2_w_begin(w, IKEV2_PL_DELETE, false);

	ikev2_w_u8(w, proto);
	ikev2_w_u8(w, spi_size);
	ikev2_w_u16(w, n_spi);
	ikev2_w_bytes(w, spis, (size_t)spi_size * n_spi);
	ikev2_w_end(w, start);
}

void ikev2_w_ts(struct ikev2_writer *w, uint8_t pl_type, const struct ike_ts *ts, unsigned n)
{
	size_t start = ikev2_w_begin(w, pl_type, false);

	ikev2_w_u8(w, (uint8_t)n);
	ikev2_w_u8(w, 0);
	ikev2_w_u16(w, 0);
	for (unsigned i = 0; i < n; i++) {
		size_t alen = ts[i].family == 4 ? 4 : 16;

		ikev2_w_u8(w,
			   ts[i].family == 4 ? IKEV2_TS_IPV4_ADDR_RANGE : IKEV2_TS_IPV6_ADDR_RANGE);
		ikev2_w_u8(w, ts[i].proto);
		ikev2_w_u16(w, (uint16_t)(8 + 2 * alen));
		ikev2_w_u16(w, ts[i].sport);
		ikev2_w_u16(w, ts[i].eport);
		ikev2_w_bytes(w, ts[i].start, alen);
		ikev2_w_bytes(w, ts[i].end, alen);
	}
	ikev2_w_end(w, start);
}

const char *ikev2_exchange_name(uint8_t exch)
{
	switch (exch) {
	case IKEV2_EXCH_IKE_SA_INIT: return "IKE_SA_INIT";
	case IKEV2_EXCH_IKE_AUTH: return "IKE_AUTH";
	case IKEV2_EXCH_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case IKEV2_EXCH_INFORMATIONAL: return "INFORMATIONAL";
	default: return "UNKNOWN_EXCHANGE";
	}
}

const char *ikev2_payload_name(uint8_t type)
{
	static const char *const names[] = {
		"SA",     "KE",     "IDi",    "IDr", "CERT", "CERTREQ", "AUTH", "Nonce",
		"Notify", "Delete", "Vendor", "TSi", "TSr",  "SK",      "CP",   "EAP",
	};
	if (type >= IKEV2_PL_SA && type <= IKEV2_PL_EAP)
		return names[type - IKEV2_PL_SA];
	return type == IKEV2_PL_SKF ? "SKF" : "unknown";
}

const char *ikev2_notify_name(uint16_t type)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
		{ IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD" },
		{ IKEV2_N_INVALID_IKE_SPI, "INVALID_IKE_SPI" },
		{ IKEV2_N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION" },
		{ IKEV2_N_INVALID_SYNTAX, "INVALID_SYNTAX" },
		{ IKEV2_N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID" },
		{ IKEV2_N_INVALID_SPI, "INVALID_SPI" },
		{ IKEV2_N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN" },
		{ IKEV2_N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD" },
		{ IKEV2_N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED" },
		{ IKEV2_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED" },
		{ IKEV2_N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS" },
		{ IKEV2_N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE" },
		{ IKEV2_N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED" },
		{ IKEV2_N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE" },
		{ IKEV2_N_INVALID_SELECTORS, "INVALID_SELECTORS" },
		{ IKEV2_N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE" },
		{ IKEV2_N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND" },
		{ IKEV2_N_INITIAL_CONTACT, "INITIAL_CONTACT" },
		{ IKEV2_N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE" },
		{ IKEV2_N_ADDITIONAL_TS_POSSIBLE, "ADDITIONAL_TS_POSSIBLE" },
		{ IKEV2_N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP" },
		{ IKEV2_N_NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP" },
		{ IKEV2_N_COOKIE, "COOKIE" },
		{ IKEV2_N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE" },
		{ IKEV2_N_REKEY_SA, "REKEY_SA" },
		{ IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PADDING_NOT_SUPPORTED" },
		{ IKEV2_N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO" },
		{ IKEV2_N_MOBIKE_SUPPORTED, "MOBIKE_SUPPORTED" },
		{ IKEV2_N_MULTIPLE_AUTH_SUPPORTED, "MULTIPLE_AUTH_SUPPORTED" },
		{ IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, "IKEV2_FRAGMENTATION_SUPPORTED" },
		{ IKEV2_N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == type)
			return names[i].n;
	return type < 16384 ? "UNKNOWN_ERROR" : "UNKNOWN_STATUS";
}
