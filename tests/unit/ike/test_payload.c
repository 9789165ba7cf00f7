/* SPDX-License-Identifier: BSD-3-Clause */
/* ike/v2/ikev2_payload.c (writer and parsers, round trips and malformed input),
 * the text forms of ike/core/ike_addr.c and ike/core/ike_proposal.c, and traffic
 * selector narrowing (ike/v2/ikev2_ts.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"
#include "tests/unit/test.h"

#define SPI_I 0x0102030405060708ull
#define SPI_R 0x1112131415161718ull

/* Writes an IKE header for a message of total length len. */
static void put_hdr(uint8_t *buf, uint8_t first, size_t len)
{
	struct ikev2_hdr h = {
		.spi_i = SPI_I,
		.spi_r = SPI_R,
		.next_payload = first,
		.exchange = IKEV2_EXCH_INFORMATIONAL,
		.flags = IKEV2_FLAG_INITIATOR,
		.msgid = 3,
		.length = (uint32_t)len,
	};
	ikev2_hdr_write(buf, &h);
}

/* Header + body bytes; returns the message length. */
static size_t mkmsg(uint8_t *out, uint8_t first, const uint8_t *body, size_t blen)
{
	memcpy(out + IKEV2_HDR_LEN, body, blen);
	put_hdr(out, first, IKEV2_HDR_LEN + blen);
	return IKEV2_HDR_LEN + blen;
}

/* Header parse and chain walk, as the engine does. */
static int parse_msg(const uint8_t *msg, size_t len, struct ikev2_chain *c, uint8_t *bad)
{
	struct ikev2_hdr h;
	int r = ikev2_hdr_parse(msg, len, &h);

	if (r < 0)
		return r;
	return ikev2_chain_parse(h.next_payload, msg + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN, c, bad);
}

static struct ike_ts ts_of(const char *s)
{
	struct ike_ts t;

	CU_ASSERT_EQUAL_FATAL(ike_ts_parse(s, &t), 0);
	return t;
}

/* ---- round trip of every payload the writer builds ---- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

static void test_roundtrip(void)
{
	static uint8_t msg[4096];
	struct ikev2_prop props[3], got[8];
	struct ike_ts tsi[2], tsr[3], ts[IKE_MAX_TS];
	struct ike_id idi, idr, id;
	uint8_t ke[32], nonce[32], auth[32], ntf_data[20], esp_spis[12], spi8[8];
	struct ikev2_writer w;
	struct ikev2_chain c;
	struct ikev2_hdr h;
	static const uint8_t want_types[] = {
		IKEV2_PL_SA,     IKEV2_PL_KE,     IKEV2_PL_NONCE,  IKEV2_PL_IDI,    IKEV2_PL_IDR,
		IKEV2_PL_AUTH,   IKEV2_PL_NOTIFY, IKEV2_PL_NOTIFY, IKEV2_PL_NOTIFY, IKEV2_PL_DELETE,
		IKEV2_PL_DELETE, IKEV2_PL_TSI,    IKEV2_PL_TSR,
	};
	unsigned n, k = 0;

	memset(props, 0, sizeof(props));
	/* IKE proposal: 8-byte SPI, two ciphers with Key Length, PRF, integ, DH. */
	props[0].num = 1;
	props[0].proto = IKEV2_PROTO_IKE;
	props[0].spi_size = 8;
	fill(props[0].spi, 8, 0x10);
	props[0].n_trans = 5;
	props[0].trans[0] = (struct ikev2_transform){ IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 256,
						      false };
	props[0].trans[1] = (struct ikev2_transform){ IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 128,
						      false };
	props[0].trans[2] = (struct ikev2_transform){ IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0,
						      false };
	props[0].trans[3] = (struct ikev2_transform){ IKEV2_TRANS_INTEG,
						      IKEV2_INTEG_HMAC_SHA2_256_128, 0, false };
	props[0].trans[4] = (struct ikev2_transform){ IKEV2_TRANS_DH, IKEV2_DH_X25519, 0, false };
	/* ESP proposals: 4-byte SPI. */
	props[1].num = 2;
	props[1].proto = IKEV2_PROTO_ESP;
	props[1].spi_size = 4;
	fill(props[1].spi, 4, 0x20);
	props[1].n_trans = 3;
	props[1].trans[0] = (struct ikev2_transform){ IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 256,
						      false };
	props[1].trans[1] = (struct ikev2_transform){ IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0, false };
	props[1].trans[2] = (struct ikev2_transform){ IKEV2_TRANS_ESN, IKEV2_ESN_YES, 0, false };
	props[2].num = 3;
	props[2].proto = IKEV2_PROTO_ESP;
	props[2].spi_size = 4;
	fill(props[2].spi, 4, 0x30);
	props[2].n_trans = 1;
	props[2].trans[0] = (struct ikev2_transform){ IKEV2_TRANS_ENCR,
						      IKEV2_ENCR_CHACHA20_POLY1305, 0, false };

	fill(ke, sizeof(ke), 1);
	fill(nonce, sizeof(nonce), 2);
	fill(auth, sizeof(auth), 3);
	fill(ntf_data, sizeof(ntf_data), 4);
	fill(esp_spis, sizeof(esp_spis), 5);
	fill(spi8, sizeof(spi8), 6);
	CU_ASSERT_EQUAL_FATAL(ike_id_parse("a.example", &idi), 0);
	CU_ASSERT_EQUAL_FATAL(ike_id_parse("2001:db8::2", &idr), 0);
	tsi[0] = ts_of("198.51.100.0/24");
	tsi[1] = ts_of("2001:db8:1::-2001:db8:1::ff[tcp/1000-2000]");
	tsr[0] = ts_of("203.0.113.7[udp/500]");
	tsr[1] = ts_of("2001:db8::/32");
	tsr[2] = ts_of("0.0.0.0/0[icmp/2048]");

	memset(msg, 0xcc, sizeof(msg));
	ikev2_w_init(&w, msg, sizeof(msg), 16);
	w.len = IKEV2_HDR_LEN;
	ikev2_w_sa(&w, props, 3);
	ikev2_w_ke(&w, IKEV2_DH_X25519, ke, sizeof(ke));
	ikev2_w_nonce(&w, nonce, sizeof(nonce));
	ikev2_w_id(&w, IKEV2_PL_IDI, &idi);
	ikev2_w_id(&w, IKEV2_PL_IDR, &idr);
	ikev2_w_auth(&w, IKEV2_AUTH_PSK, auth, sizeof(auth));
	ikev2_w_notify(&w, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ikev2_w_notify(&w, IKEV2_PROTO_ESP, esp_spis, 4, IKEV2_N_REKEY_SA, NULL, 0);
	ikev2_w_notify(&w, IKEV2_PROTO_IKE, spi8, 8, 40000, ntf_data, sizeof(ntf_data));
	ikev2_w_delete(&w, IKEV2_PROTO_IKE, 0, NULL, 0);
	ikev2_w_delete(&w, IKEV2_PROTO_ESP, 4, esp_spis, 3);
	ikev2_w_ts(&w, IKEV2_PL_TSI, tsi, 2);
	ikev2_w_ts(&w, IKEV2_PL_TSR, tsr, 3);
	CU_ASSERT_FALSE_FATAL(w.overflow);
	put_hdr(msg, msg[16], w.len);
	CU_ASSERT_EQUAL(msg[w.len], 0xcc); /* nothing written past len */

	CU_ASSERT_EQUAL_FATAL(ikev2_hdr_parse(msg, w.len, &h), 0);
	CU_ASSERT_EQUAL(h.spi_i, SPI_I);
	CU_ASSERT_EQUAL(h.spi_r, SPI_R);
	CU_ASSERT_EQUAL(h.next_payload, IKEV2_PL_SA);
	CU_ASSERT_EQUAL(h.version, 0x20);
	CU_ASSERT_EQUAL(h.exchange, IKEV2_EXCH_INFORMATIONAL);
	CU_ASSERT_EQUAL(h.flags, IKEV2_FLAG_INITIATOR);
	CU_ASSERT_EQUAL(h.msgid, 3);
	CU_ASSERT_EQUAL(h.length, w.len);
	CU_ASSERT_EQUAL_FATAL(ikev2_chain_parse(h.next_payload, msg + IKEV2_HDR_LEN,
						w.len - IKEV2_HDR_LEN, &c, NULL),
			      0);
	CU_ASSERT_EQUAL_FATAL(c.n, sizeof(want_types));
	for (unsigned i = 0; i < c.n; i++) {
		CU_ASSERT_EQUAL(c.pl[i].type, want_types[i]);
		CU_ASSERT_FALSE(c.pl[i].critical);
		CU_ASSERT_EQUAL(ikev2_get16(c.pl[i].hdr + 2), c.pl[i].len + 4);
	}
	CU_ASSERT_EQUAL(ikev2_chain_count(&c, IKEV2_PL_NOTIFY), 3);
	CU_ASSERT_PTR_EQUAL(ikev2_chain_find(&c, IKEV2_PL_DELETE), &c.pl[9]);
	CU_ASSERT_PTR_NULL(ikev2_chain_find(&c, IKEV2_PL_CP));

	/* SA */
	CU_ASSERT_EQUAL(ikev2_sa_parse(c.pl[k].body, c.pl[k].len, got, 8, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (unsigned p = 0; p < 3; p++) {
		CU_ASSERT_EQUAL(got[p].num, props[p].num);
		CU_ASSERT_EQUAL(got[p].proto, props[p].proto);
		CU_ASSERT_EQUAL(got[p].spi_size, props[p].spi_size);
		CU_ASSERT_EQUAL(memcmp(got[p].spi, props[p].spi, props[p].spi_size), 0);
		CU_ASSERT_EQUAL_FATAL(got[p].n_trans, props[p].n_trans);
		for (unsigned t = 0; t < props[p].n_trans; t++) {
			CU_ASSERT_EQUAL(got[p].trans[t].type, props[p].trans[t].type);
			CU_ASSERT_EQUAL(got[p].trans[t].id, props[p].trans[t].id);
			CU_ASSERT_EQUAL(got[p].trans[t].keybits, props[p].trans[t].keybits);
			CU_ASSERT_FALSE(got[p].trans[t].unknown_attr);
		}
	}
	/* Wire form of the first transform: more, len 12, ENCR 12, TV attr 14 = 256. */
	{
		const uint8_t *t = c.pl[k].body + 8 + 8;
		static const uint8_t want[] = { 3, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x0e, 0x01, 0x00 };
		CU_ASSERT_EQUAL(memcmp(t, want, sizeof(want)), 0);
		CU_ASSERT_EQUAL(c.pl[k].body[0], 2); /* more proposals follow */
	}
	k++;
	/* KE */
	{
		struct ikev2_ke x;
		CU_ASSERT_EQUAL(ikev2_ke_parse(c.pl[k].body, c.pl[k].len, &x), 0);
		CU_ASSERT_EQUAL(x.group, IKEV2_DH_X25519);
		CU_ASSERT_EQUAL_FATAL(x.len, sizeof(ke));
		CU_ASSERT_EQUAL(memcmp(x.data, ke, sizeof(ke)), 0);
		k++;
	}
	/* Nonce */
	CU_ASSERT_EQUAL(ikev2_nonce_parse(c.pl[k].body, c.pl[k].len), 0);
	CU_ASSERT_EQUAL_FATAL(c.pl[k].len, sizeof(nonce));
	CU_ASSERT_EQUAL(memcmp(c.pl[k].body, nonce, sizeof(nonce)), 0);
	k++;
	/* IDi, IDr */
	CU_ASSERT_EQUAL(ikev2_id_parse(c.pl[k].body, c.pl[k].len, &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_FQDN);
	CU_ASSERT_EQUAL_FATAL(id.len, 9);
	CU_ASSERT_EQUAL(memcmp(id.data, "a.example", 9), 0);
	k++;
	CU_ASSERT_EQUAL(ikev2_id_parse(c.pl[k].body, c.pl[k].len, &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_IPV6_ADDR);
	CU_ASSERT_EQUAL_FATAL(id.len, 16);
	CU_ASSERT_EQUAL(memcmp(id.data, idr.data, 16), 0);
	k++;
	/* AUTH */
	{
		struct ikev2_auth a;
		CU_ASSERT_EQUAL(ikev2_auth_parse(c.pl[k].body, c.pl[k].len, &a), 0);
		CU_ASSERT_EQUAL(a.method, IKEV2_AUTH_PSK);
		CU_ASSERT_EQUAL_FATAL(a.len, sizeof(auth));
		CU_ASSERT_EQUAL(memcmp(a.data, auth, sizeof(auth)), 0);
		k++;
	}
	/* Notify without SPI, with a 4-byte SPI, with an 8-byte SPI and data */
	{
		struct ikev2_ntf x;
		CU_ASSERT_EQUAL(ikev2_notify_parse(c.pl[k].body, c.pl[k].len, &x), 0);
		CU_ASSERT_EQUAL(x.proto, 0);
		CU_ASSERT_EQUAL(x.spi_size, 0);
		CU_ASSERT_EQUAL(x.type, IKEV2_N_INITIAL_CONTACT);
		CU_ASSERT_EQUAL(x.dlen, 0);
		k++;
		CU_ASSERT_EQUAL(ikev2_notify_parse(c.pl[k].body, c.pl[k].len, &x), 0);
		CU_ASSERT_EQUAL(x.proto, IKEV2_PROTO_ESP);
		CU_ASSERT_EQUAL(x.spi_size, 4);
		CU_ASSERT_EQUAL(x.type, IKEV2_N_REKEY_SA);
		CU_ASSERT_EQUAL(memcmp(x.spi, esp_spis, 4), 0);
		CU_ASSERT_EQUAL(x.dlen, 0);
		k++;
		CU_ASSERT_EQUAL(ikev2_notify_parse(c.pl[k].body, c.pl[k].len, &x), 0);
		CU_ASSERT_EQUAL(x.proto, IKEV2_PROTO_IKE);
		CU_ASSERT_EQUAL(x.spi_size, 8);
		CU_ASSERT_EQUAL(x.type, 40000);
		CU_ASSERT_EQUAL(memcmp(x.spi, spi8, 8), 0);
		CU_ASSERT_EQUAL_FATAL(x.dlen, sizeof(ntf_data));
		CU_ASSERT_EQUAL(memcmp(x.data, ntf_data, sizeof(ntf_data)), 0);
		k++;
	}
	/* Delete IKE, Delete ESP with three SPIs */
	{
		struct ikev2_delete d;
		CU_ASSERT_EQUAL(ikev2_delete_parse(c.pl[k].body, c.pl[k].len, &d), 0);
		CU_ASSERT_EQUAL(d.proto, IKEV2_PROTO_IKE);
		CU_ASSERT_EQUAL(d.spi_size, 0);
		CU_ASSERT_EQUAL(d.n_spi, 0);
		k++;
		CU_ASSERT_EQUAL(ikev2_delete_parse(c.pl[k].body, c.pl[k].len, &d), 0);
		CU_ASSERT_EQUAL(d.proto, IKEV2_PROTO_ESP);
		CU_ASSERT_EQUAL(d.spi_size, 4);
		CU_ASSERT_EQUAL(d.n_spi, 3);
		CU_ASSERT_EQUAL(memcmp(d.spis, esp_spis, 12), 0);
		k++;
	}
	/* TSi, TSr */
	CU_ASSERT_EQUAL(ikev2_ts_parse(c.pl[k].body, c.pl[k].len, ts, IKE_MAX_TS, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(memcmp(ts, tsi, sizeof(tsi)), 0);
	{
		/* IPv4 selector on the wire: type 7, any proto, len 16, 0-65535. */
		static const uint8_t want[] = { 2,   0, 0,   0,    7,    0,    0,
						16,  0, 0,   0xff, 0xff, 198,  51,
						100, 0, 198, 51,   100,  255,  8,
						6,   0, 40,  0x03, 0xe8, 0x07, 0xd0 };
		CU_ASSERT_EQUAL(memcmp(c.pl[k].body, want, sizeof(want)), 0);
		CU_ASSERT_EQUAL(c.pl[k].len, 4 + 16 + 40);
	}
	k++;
	CU_ASSERT_EQUAL(ikev2_ts_parse(c.pl[k].body, c.pl[k].len, ts, IKE_MAX_TS, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(memcmp(ts, tsr, sizeof(tsr)), 0);
	CU_ASSERT_EQUAL(ts[0].proto, 17);
	CU_ASSERT_EQUAL(ts[0].sport, 500);
	CU_ASSERT_EQUAL(ts[0].eport, 500);
	CU_ASSERT_EQUAL(ts[2].proto, 1);
	/* Fewer slots than selectors: the first ones are kept. */
	CU_ASSERT_EQUAL(ikev2_ts_parse(c.pl[k].body, c.pl[k].len, ts, 1, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(memcmp(ts, tsr, sizeof(tsr[0])), 0);
	k++;
	CU_ASSERT_EQUAL(k, c.n);
	/* SA parse with fewer slots than proposals keeps the first ones. */
	CU_ASSERT_EQUAL(ikev2_sa_parse(c.pl[0].body, c.pl[0].len, got, 1, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(got[0].num, 1);
}

/* IPv4 ID and an IKE SA proposal without SPI, as in IKE_SA_INIT. */
static void test_roundtrip_small(void)
{
	uint8_t msg[256];
	struct ikev2_writer w;
	struct ikev2_chain c;
	struct ikev2_prop p, got;
	struct ike_id id, out;
	unsigned n;

	memset(&p, 0, sizeof(p));
	p.num = 1;
	p.proto = IKEV2_PROTO_IKE;
	p.n_trans = 1;
	p.trans[0] = (struct ikev2_transform){ IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 192,
					       false };
	CU_ASSERT_EQUAL_FATAL(ike_id_parse("192.0.2.1", &id), 0);
	ikev2_w_init(&w, msg, sizeof(msg), 16);
	w.len = IKEV2_HDR_LEN;
	ikev2_w_id(&w, IKEV2_PL_IDI, &id);
	ikev2_w_sa(&w, &p, 1);
	CU_ASSERT_FALSE_FATAL(w.overflow);
	put_hdr(msg, msg[16], w.len);
	CU_ASSERT_EQUAL_FATAL(parse_msg(msg, w.len, &c, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT_EQUAL(c.pl[0].type, IKEV2_PL_IDI);
	CU_ASSERT_EQUAL(c.pl[1].type, IKEV2_PL_SA);
	CU_ASSERT_EQUAL(c.pl[0].len, 8);
	CU_ASSERT_EQUAL(ikev2_id_parse(c.pl[0].body, c.pl[0].len, &out), 0);
	CU_ASSERT_EQUAL(out.type, IKEV2_ID_IPV4_ADDR);
	CU_ASSERT_EQUAL(out.len, 4);
	CU_ASSERT_EQUAL(memcmp(out.data, "\xc0\x00\x02\x01", 4), 0);
	CU_ASSERT_EQUAL(ikev2_sa_parse(c.pl[1].body, c.pl[1].len, &got, 1, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(got.spi_size, 0);
	CU_ASSERT_EQUAL(got.n_trans, 1);
	CU_ASSERT_EQUAL(got.trans[0].keybits, 192);
	CU_ASSERT_EQUAL(c.pl[1].body[0], 0); /* last proposal */
	CU_ASSERT_EQUAL(c.pl[1].body[8], 0); /* last transform */
}

/* ---- header and chain errors ---- */

static void test_header_errors(void)
{
	uint8_t msg[128];
	static const uint8_t nonce_pl[20] = { 0, 0, 0, 20 };
	struct ikev2_hdr h;
	struct ikev2_chain c;
	size_t len = mkmsg(msg, IKEV2_PL_NONCE, nonce_pl, sizeof(nonce_pl));

	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), 0);
	CU_ASSERT_EQUAL(ikev2_hdr_parse(msg, 0, &h), IKEV2_E_SHORT);
	CU_ASSERT_EQUAL(ikev2_hdr_parse(msg, IKEV2_HDR_LEN - 1, &h), IKEV2_E_SHORT);
	/* Header length larger / smaller than the datagram. */
	CU_ASSERT_EQUAL(ikev2_hdr_parse(msg, len - 1, &h), IKEV2_E_HDR_LENGTH);
	ikev2_put32(msg + 24, (uint32_t)len + 1);
	CU_ASSERT_EQUAL(ikev2_hdr_parse(msg, len, &h), IKEV2_E_HDR_LENGTH);
	ikev2_put32(msg + 24, (uint32_t)len);
	/* Major version 3 and 1; a minor version is fine. */
	msg[17] = 0x30;
	CU_ASSERT_EQUAL(ikev2_hdr_parse(msg, len, &h), IKEV2_E_VERSION);
	msg[17] = 0x10;
	CU_ASSERT_EQUAL(ikev2_hdr_parse(msg, len, &h), IKEV2_E_VERSION);
	msg[17] = 0x21;
	CU_ASSERT_EQUAL(ikev2_hdr_parse(msg, len, &h), 0);
	CU_ASSERT_EQUAL(h.version, 0x21);
	CU_ASSERT_STRING_NOT_EQUAL(ikev2_perr_str(IKEV2_E_VERSION), ikev2_perr_str(-99));
}

static void test_chain_lengths(void)
{
	uint8_t msg[128];
	struct ikev2_chain c;
	uint8_t body[24] = { 0, 0, 0, 20 }; /* Nonce, 16 octets */
	size_t len;

	/* Payload length below the generic header. */
	for (unsigned bad = 0; bad < 4; bad++) {
		ikev2_put16(body + 2, (uint16_t)bad);
		len = mkmsg(msg, IKEV2_PL_NONCE, body, 20);
		CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_PL_LENGTH);
	}
	/* Beyond the message. */
	ikev2_put16(body + 2, 21);
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 20);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_PL_LENGTH);
	ikev2_put16(body + 2, 0xffff);
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 20);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_PL_LENGTH);
	/* Next payload named but fewer than 4 octets left for its header. */
	ikev2_put16(body + 2, 20);
	body[0] = IKEV2_PL_NONCE;
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 22);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_PL_LENGTH);
	/* Message ends right after the header although a payload is named. */
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 0);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_PL_LENGTH);
	/* No payloads at all is a valid (empty) chain. */
	len = mkmsg(msg, IKEV2_PL_NONE, body, 0);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), 0);
	CU_ASSERT_EQUAL(c.n, 0);
	/* Trailing bytes after the last payload. */
	body[0] = IKEV2_PL_NONE;
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 24);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_TRAILING);
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 21);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_TRAILING);
}

static void test_chain_critical(void)
{
	/* Unknown payload 200, then a Nonce. */
	uint8_t body[8 + 20] = { IKEV2_PL_NONCE, 0x00,          0, 8, 0xde, 0xad, 0xbe,
				 0xef,           IKEV2_PL_NONE, 0, 0, 20 };
	uint8_t msg[128], bad = 0;
	struct ikev2_chain c;
	size_t len = mkmsg(msg, 200, body, sizeof(body));

	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, &bad), 0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT_EQUAL(c.pl[0].type, 200);
	CU_ASSERT_FALSE(c.pl[0].critical);
	CU_ASSERT_EQUAL(c.pl[0].len, 4);
	CU_ASSERT_EQUAL(c.pl[1].type, IKEV2_PL_NONCE);
	CU_ASSERT_EQUAL(c.pl[1].len, 16);

	body[1] = 0x80;
	len = mkmsg(msg, 200, body, sizeof(body));
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, &bad), IKEV2_E_CRITICAL);
	CU_ASSERT_EQUAL(bad, 200);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_CRITICAL);
	/* The critical bit on a known payload is fine. */
	body[1] = 0;
	body[8 + 1] = 0x80;
	len = mkmsg(msg, 200, body, sizeof(body));
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, &bad), 0);
	CU_ASSERT_TRUE(c.pl[1].critical);
	/* Reserved and private-use types between known ones are unknown too. */
	body[1] = 0x80;
	len = mkmsg(msg, 49, body, sizeof(body));
	bad = 0;
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, &bad), IKEV2_E_CRITICAL);
	CU_ASSERT_EQUAL(bad, 49);
	len = mkmsg(msg, 1, body, sizeof(body));
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, &bad), IKEV2_E_CRITICAL);
	CU_ASSERT_EQUAL(bad, 1);
}

static void test_chain_sk(void)
{
	/* Nonce then SK (inner first payload IDi), SK last: fine. */
	uint8_t body[20 + 24 + 8] = { IKEV2_PL_SK, 0, 0, 20 };
	uint8_t msg[128];
	struct ikev2_chain c;
	size_t len;

	body[20] = IKEV2_PL_IDI;
	ikev2_put16(body + 22, 24);
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 44);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT_EQUAL(c.pl[1].type, IKEV2_PL_SK);
	CU_ASSERT_EQUAL(c.pl[1].hdr[0], IKEV2_PL_IDI);
	CU_ASSERT_EQUAL(c.pl[1].len, 20);
	/* Bytes after the SK payload: SK not last. */
	body[44] = IKEV2_PL_NONE;
	ikev2_put16(body + 46, 8);
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 52);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_SK_NOT_LAST);
	/* Same for SKF. */
	body[0] = IKEV2_PL_SKF;
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_SK_NOT_LAST);
	len = mkmsg(msg, IKEV2_PL_NONCE, body, 44);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), 0);
}

static void test_chain_too_many(void)
{
	uint8_t body[4 * (IKEV2_MAX_PL + 1)];
	uint8_t msg[sizeof(body) + IKEV2_HDR_LEN];
	struct ikev2_chain c;
	size_t len;

	for (unsigned i = 0; i <= IKEV2_MAX_PL; i++) {
		body[4 * i] = i == IKEV2_MAX_PL ? IKEV2_PL_NONE : IKEV2_PL_VENDOR;
		body[4 * i + 1] = 0;
		ikev2_put16(body + 4 * i + 2, 4);
	}
	len = mkmsg(msg, IKEV2_PL_VENDOR, body, sizeof(body));
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), IKEV2_E_TOO_MANY);
	/* Exactly IKEV2_MAX_PL is fine. */
	body[4 * (IKEV2_MAX_PL - 1)] = IKEV2_PL_NONE;
	len = mkmsg(msg, IKEV2_PL_VENDOR, body, 4 * IKEV2_MAX_PL);
	CU_ASSERT_EQUAL(parse_msg(msg, len, &c, NULL), 0);
	CU_ASSERT_EQUAL(c.n, IKEV2_MAX_PL);
	CU_ASSERT_EQUAL(ikev2_chain_count(&c, IKEV2_PL_VENDOR), IKEV2_MAX_PL);
}

/* ---- SA payload errors ---- */

/* Proposal: last, num 1, ESP, spi_size 4, given count; then the transforms. */
static size_t mk_prop(uint8_t *out, uint8_t count, const uint8_t *trans, size_t tlen)
{
	static const uint8_t spi[4] = { 1, 2, 3, 4 };

	out[0] = 0;
	out[1] = 0;
	ikev2_put16(out + 2, (uint16_t)(8 + 4 + tlen));
	out[4] = 1;
	out[5] = IKEV2_PROTO_ESP;
	out[6] = 4;
	out[7] = count;
	memcpy(out + 8, spi, 4);
	memcpy(out + 12, trans, tlen);
	return 12 + tlen;
}

static void test_sa_errors(void)
{
	/* ENCR AES-GCM-16 keylen 128 (more), ESN no (last). */
	static const uint8_t two[] = {
		3, 0, 0, 12, IKEV2_TRANS_ENCR, 0, 0, 20, 0x80, 0x0e, 0x00, 0x80,
		0, 0, 0, 8,  IKEV2_TRANS_ESN,  0, 0, 0,
	};
	uint8_t sa[128], t[64];
	struct ikev2_prop p[2];
	unsigned n;
	size_t len;

	len = mk_prop(sa, 2, two, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(p[0].n_trans, 2);
	CU_ASSERT_EQUAL(p[0].trans[0].keybits, 128);
	CU_ASSERT_EQUAL(memcmp(p[0].spi, "\x01\x02\x03\x04", 4), 0);

	/* Transform count disagreeing with the content, both ways, and zero. */
	len = mk_prop(sa, 3, two, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_COUNT);
	len = mk_prop(sa, 1, two, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_COUNT);
	len = mk_prop(sa, 0, two, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_COUNT);
	/* Last transform flagged "more", count 2: count disagrees. */
	memcpy(t, two, sizeof(two));
	t[12] = 3;
	len = mk_prop(sa, 2, t, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_COUNT);

	/* SPI size above 8. */
	len = mk_prop(sa, 2, two, sizeof(two));
	sa[6] = 9;
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_SPI);
	/* SPI longer than the proposal. */
	len = mk_prop(sa, 0, two, 0);
	sa[6] = 8;
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);

	/* Truncated transform: its length runs past the proposal. */
	memcpy(t, two, sizeof(two));
	t[15] = 12;
	len = mk_prop(sa, 2, t, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);
	/* Fewer than 8 octets left for a transform. */
	len = mk_prop(sa, 2, two, sizeof(two) - 2);
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);
	/* Transform length below 8. */
	memcpy(t, two, sizeof(two));
	t[15] = 7;
	len = mk_prop(sa, 2, t, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);
	/* Bad "more" marker on a transform. */
	memcpy(t, two, sizeof(two));
	t[0] = 2;
	len = mk_prop(sa, 2, t, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);

	/* Attribute overrunning the transform: TLV form with length 10 in a
	 * 12-octet transform, and a TV attribute cut to 2 octets. */
	{
		static const uint8_t tlv[] = { 0,    0,    0,    12,  IKEV2_TRANS_ENCR, 0, 0, 12,
					       0x00, 0x0e, 0x00, 0x0a };
		static const uint8_t tv_short[] = { 0, 0, 0,  10,   IKEV2_TRANS_ENCR,
						    0, 0, 12, 0x80, 0x0e };
		static const uint8_t tlv_ok[] = { 0,    0,    0,    14,   IKEV2_TRANS_ENCR,
						  0,    0,    12,   0x00, 0x63,
						  0x00, 0x02, 0xaa, 0xbb };
		static const uint8_t tv_unknown[] = { 0,    0,    0,    16,   IKEV2_TRANS_ENCR,
						      0,    0,    12,   0x80, 0x0e,
						      0x01, 0x00, 0x80, 0x63, 0,
						      1 };

		len = mk_prop(sa, 1, tlv, sizeof(tlv));
		CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);
		len = mk_prop(sa, 1, tv_short, sizeof(tv_short));
		CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);
		/* Unknown attributes that fit are flagged, not fatal. */
		len = mk_prop(sa, 1, tlv_ok, sizeof(tlv_ok));
		CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), 0);
		CU_ASSERT_TRUE(p[0].trans[0].unknown_attr);
		CU_ASSERT_EQUAL(p[0].trans[0].keybits, 0);
		len = mk_prop(sa, 1, tv_unknown, sizeof(tv_unknown));
		CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), 0);
		CU_ASSERT_TRUE(p[0].trans[0].unknown_attr);
		CU_ASSERT_EQUAL(p[0].trans[0].keybits, 256);
	}

	/* Proposal length past the payload, below 8, bad marker; empty SA;
	 * bytes after the last proposal; "more" with nothing following. */
	len = mk_prop(sa, 2, two, sizeof(two));
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len - 1, p, 2, &n), IKEV2_E_MALFORMED);
	ikev2_put16(sa + 2, 7);
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);
	len = mk_prop(sa, 2, two, sizeof(two));
	sa[0] = 3;
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, 0, p, 2, &n), IKEV2_E_MALFORMED);
	len = mk_prop(sa, 2, two, sizeof(two));
	sa[len] = 0;
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len + 1, p, 2, &n), IKEV2_E_TRAILING);
	sa[0] = 2;
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, len, p, 2, &n), IKEV2_E_MALFORMED);
	/* Two proposals. */
	memcpy(sa + len, sa, len);
	sa[len] = 0;
	CU_ASSERT_EQUAL(ikev2_sa_parse(sa, 2 * len, p, 2, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
}

/* ---- other payload errors ---- */

static void test_payload_errors(void)
{
	uint8_t b[300];
	struct ikev2_ke ke;
	struct ike_id id;
	struct ikev2_auth a;
	struct ikev2_ntf nt;
	struct ikev2_delete d;

	memset(b, 0, sizeof(b));
	/* KE: at least group + reserved. */
	CU_ASSERT_EQUAL(ikev2_ke_parse(b, 3, &ke), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_ke_parse(b, 0, &ke), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_ke_parse(b, 4, &ke), 0);
	CU_ASSERT_EQUAL(ke.len, 0);

	/* Nonce: 16..256. */
	CU_ASSERT_EQUAL(ikev2_nonce_parse(b, 15), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_nonce_parse(b, 16), 0);
	CU_ASSERT_EQUAL(ikev2_nonce_parse(b, 256), 0);
	CU_ASSERT_EQUAL(ikev2_nonce_parse(b, 257), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_nonce_parse(b, 0), IKEV2_E_MALFORMED);

	/* ID: IPv4 must be 4 octets, IPv6 16, anything at least 1 and at most 255. */
	b[0] = IKEV2_ID_IPV4_ADDR;
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 4 + 3, &id), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 4 + 5, &id), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 4 + 4, &id), 0);
	b[0] = IKEV2_ID_IPV6_ADDR;
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 4 + 4, &id), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 4 + 16, &id), 0);
	b[0] = IKEV2_ID_FQDN;
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 4, &id), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 3, &id), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 4 + 255, &id), 0);
	CU_ASSERT_EQUAL(id.len, 255);
	CU_ASSERT_EQUAL(ikev2_id_parse(b, 4 + 256, &id), IKEV2_E_MALFORMED);

	/* AUTH: method + reserved + at least one octet. */
	b[0] = IKEV2_AUTH_PSK;
	CU_ASSERT_EQUAL(ikev2_auth_parse(b, 4, &a), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_auth_parse(b, 5, &a), 0);
	CU_ASSERT_EQUAL(a.len, 1);

	/* Notify: SPI size larger than the payload, or not 0/4/8. */
	memset(b, 0, 16);
	CU_ASSERT_EQUAL(ikev2_notify_parse(b, 3, &nt), IKEV2_E_MALFORMED);
	b[1] = 4;
	CU_ASSERT_EQUAL(ikev2_notify_parse(b, 7, &nt), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_notify_parse(b, 8, &nt), 0);
	CU_ASSERT_EQUAL(nt.dlen, 0);
	b[1] = 8;
	CU_ASSERT_EQUAL(ikev2_notify_parse(b, 11, &nt), IKEV2_E_MALFORMED);
	b[1] = 255;
	CU_ASSERT_EQUAL(ikev2_notify_parse(b, 16, &nt), IKEV2_E_MALFORMED);
	b[1] = 3;
	CU_ASSERT_EQUAL(ikev2_notify_parse(b, 16, &nt), IKEV2_E_SPI);

	/* Delete: n_spi * spi_size must equal the rest. */
	b[0] = IKEV2_PROTO_ESP;
	b[1] = 4;
	ikev2_put16(b + 2, 2);
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4 + 8, &d), 0);
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4 + 7, &d), IKEV2_E_COUNT);
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4 + 12, &d), IKEV2_E_COUNT);
	ikev2_put16(b + 2, 0xffff);
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4 + 8, &d), IKEV2_E_COUNT);
	ikev2_put16(b + 2, 2);
	b[1] = 8; /* ESP with 8-byte SPIs */
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4 + 16, &d), IKEV2_E_SPI);
	b[0] = IKEV2_PROTO_AH;
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4 + 16, &d), IKEV2_E_SPI);
	b[0] = IKEV2_PROTO_IKE; /* IKE with 4-byte SPIs */
	b[1] = 4;
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4 + 8, &d), IKEV2_E_SPI);
	b[1] = 0;
	ikev2_put16(b + 2, 0);
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4, &d), 0);
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 5, &d), IKEV2_E_COUNT);
	b[0] = 9; /* unknown protocol */
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 4, &d), IKEV2_E_MALFORMED);
	CU_ASSERT_EQUAL(ikev2_delete_parse(b, 3, &d), IKEV2_E_MALFORMED);
}

static void test_ts_errors(void)
{
	/* Two selectors: IPv4 (16) and IPv6 (40). */
	uint8_t b[4 + 16 + 40 + 8] = { 2, 0, 0, 0, IKEV2_TS_IPV4_ADDR_RANGE, 0, 0, 16 };
	struct ike_ts ts[4];
	unsigned n;
	const size_t len = 4 + 16 + 40;

	b[20] = IKEV2_TS_IPV6_ADDR_RANGE;
	b[23] = 40;
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(ts[0].family, 4);
	CU_ASSERT_EQUAL(ts[1].family, 6);

	CU_ASSERT_EQUAL(ikev2_ts_parse(b, 3, ts, 4, &n), IKEV2_E_MALFORMED);
	b[0] = 0; /* count 0 */
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), IKEV2_E_COUNT);
	b[0] = 3; /* count too high */
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), IKEV2_E_COUNT);
	b[0] = 1; /* count too low */
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), IKEV2_E_COUNT);
	b[0] = 2;
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len + 1, ts, 4, &n), IKEV2_E_COUNT);
	/* Wrong selector lengths for the type. */
	b[7] = 40;
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), IKEV2_E_MALFORMED);
	b[7] = 15;
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), IKEV2_E_MALFORMED);
	b[7] = 16;
	b[23] = 16;
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), IKEV2_E_MALFORMED);
	b[23] = 40;
	/* Selector length right but the payload is cut short. */
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len - 1, ts, 4, &n), IKEV2_E_MALFORMED);
	/* Unknown TS type (e.g. 9, TS_FC_ADDR_RANGE) */
	b[20] = 9;
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), IKEV2_E_MALFORMED);
	b[4] = 0;
	CU_ASSERT_EQUAL(ikev2_ts_parse(b, len, ts, 4, &n), IKEV2_E_MALFORMED);
}

/* ---- writer bounds ---- */

static size_t write_all(uint8_t *buf, size_t cap, bool *overflow)
{
	struct ikev2_writer w;
	struct ikev2_prop p;
	struct ike_id id;
	struct ike_ts ts[2];
	uint8_t d[64];

	memset(&p, 0, sizeof(p));
	p.num = 1;
	p.proto = IKEV2_PROTO_ESP;
	p.spi_size = 4;
	p.n_trans = 3;
	p.trans[0] = (struct ikev2_transform){ IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128, false };
	p.trans[1] = (struct ikev2_transform){ IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0,
					       false };
	p.trans[2] = (struct ikev2_transform){ IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0, false };
	fill(d, sizeof(d), 9);
	ike_id_parse("gw.example.org", &id);
	ts[0] = ts_of("10.0.0.0/8");
	ts[1] = ts_of("2001:db8::/48[tcp/80]");

	ikev2_w_init(&w, buf, cap, 16);
	w.len = cap < IKEV2_HDR_LEN ? cap : IKEV2_HDR_LEN;
	ikev2_w_sa(&w, &p, 1);
	ikev2_w_ke(&w, IKEV2_DH_ECP256, d, 64);
	ikev2_w_nonce(&w, d, 32);
	ikev2_w_id(&w, IKEV2_PL_IDR, &id);
	ikev2_w_auth(&w, IKEV2_AUTH_PSK, d, 32);
	ikev2_w_notify(&w, IKEV2_PROTO_ESP, d, 4, IKEV2_N_REKEY_SA, d, 3);
	ikev2_w_delete(&w, IKEV2_PROTO_ESP, 4, d, 4);
	ikev2_w_ts(&w, IKEV2_PL_TSI, ts, 2);
	ikev2_w_u8(&w, 1);
	ikev2_w_u16(&w, 2);
	ikev2_w_u32(&w, 3);
	CU_ASSERT(w.len <= cap);
	*overflow = w.overflow;
	return w.len;
}

static void test_writer_overflow(void)
{
	enum { BIG = 1024, CANARY = 64 };
	static uint8_t buf[BIG + CANARY];
	struct ikev2_chain c;
	bool ovf;
	size_t full;

	full = write_all(buf, BIG, &ovf);
	CU_ASSERT_FALSE_FATAL(ovf);
	CU_ASSERT_FATAL(full > 200 && full < BIG);
	/* The complete output is a valid chain (after the 7 trailing octets). */
	put_hdr(buf, buf[16], full - 7);
	CU_ASSERT_EQUAL(parse_msg(buf, full - 7, &c, NULL), 0);
	CU_ASSERT_EQUAL(c.n, 8);

	for (size_t cap = 0; cap <= full; cap++) {
		size_t len;

		memset(buf, 0xa5, sizeof(buf));
		len = write_all(buf, cap, &ovf);
		CU_ASSERT_EQUAL(ovf, cap < full);
		if (cap == full)
			CU_ASSERT_EQUAL(len, full);
		for (size_t i = cap; i < sizeof(buf); i++)
			if (buf[i] != 0xa5) {
				CU_FAIL("writer wrote past its capacity");
				break;
			}
	}
	CU_ASSERT_STRING_EQUAL(ikev2_payload_name(IKEV2_PL_TSR), "TSr");
	CU_ASSERT_STRING_EQUAL(ikev2_payload_name(IKEV2_PL_SKF), "SKF");
	CU_ASSERT_STRING_EQUAL(ikev2_payload_name(99), "unknown");
	CU_ASSERT_STRING_EQUAL(ikev2_notify_name(IKEV2_N_COOKIE), "COOKIE");
	CU_ASSERT_STRING_EQUAL(ikev2_exchange_name(IKEV2_EXCH_IKE_AUTH), "IKE_AUTH");
}

/* A payload over 65535 octets cannot be written. */
static void test_writer_payload_too_long(void)
{
	size_t cap = 70000 + 64;
	uint8_t *buf = malloc(cap), *d = calloc(1, 70000);
	struct ikev2_writer w;

	CU_ASSERT_FATAL(buf && d);
	ikev2_w_init(&w, buf, cap, 16);
	w.len = IKEV2_HDR_LEN;
	ikev2_w_nonce(&w, d, 0xffff - 4);
	CU_ASSERT_FALSE(w.overflow);
	CU_ASSERT_EQUAL(ikev2_get16(buf + IKEV2_HDR_LEN + 2), 0xffff);
	ikev2_w_init(&w, buf, cap, 16);
	w.len = IKEV2_HDR_LEN;
	ikev2_w_nonce(&w, d, 0xffff - 3);
	CU_ASSERT_TRUE(w.overflow);
	free(buf);
	free(d);
}

/* ---- text forms: traffic selectors ---- */

static void ts_ok(const char *in, const char *want_str)
{
	struct ike_ts t, t2;
	char s[128];

	if (ike_ts_parse(in, &t) != 0) {
		fprintf(stderr, "\n    ike_ts_parse(\"%s\") failed\n", in);
		CU_FAIL("ike_ts_parse refused a valid selector");
		return;
	}
	ike_ts_str(&t, s, sizeof(s));
	if (strcmp(s, want_str) != 0) {
		fprintf(stderr, "\n    ike_ts_str(\"%s\") = \"%s\", want \"%s\"\n", in, s,
			want_str);
		CU_FAIL("ike_ts_str");
	}
	CU_ASSERT_EQUAL_FATAL(ike_ts_parse(s, &t2), 0);
	CU_ASSERT_EQUAL(memcmp(&t, &t2, sizeof(t)), 0);
}

static void test_ts_text(void)
{
	static const char *const bad[] = {
		"198.51.100.1/24",
		"198.51.100.0/33",
		"2001:db8::1/32",
		"2001:db8::/129",
		"x",
		"",
		"198.51.100.0/",
		"/24",
		"198.51.100.0/x",
		"198.51.100.0/24x",
		"192.0.2.9-192.0.2.1",
		"192.0.2.1-2001:db8::1",
		"192.0.2.1-",
		"-192.0.2.1",
		"10.0.0.0/8[udp/70000]",
		"10.0.0.0/8[udp/2000-1000]",
		"10.0.0.0/8[bogus]",
		"10.0.0.0/8[udp/500",
		"10.0.0.0/8[]",
		"10.0.0.0/8[256]",
		"10.0.0.0/8[udp/5x]",
		"10.0.0.0/8[udp/1-]",
		"10.0.0.0/8[udp]x",
		"256.0.0.0/8",
		"10.0.0.0/4294967304", /* 2^32 + 8 must not wrap to /8 */
		"10.0.0.0/+8",
		"10.0.0.0/ 8",
	};
	struct ike_ts t;

	ts_ok("198.51.100.0/24", "198.51.100.0/24");
	CU_ASSERT_EQUAL_FATAL(ike_ts_parse("198.51.100.0/24", &t), 0);
	CU_ASSERT_EQUAL(t.family, 4);
	CU_ASSERT_EQUAL(t.proto, 0);
	CU_ASSERT_EQUAL(t.sport, 0);
	CU_ASSERT_EQUAL(t.eport, 65535);
	CU_ASSERT_EQUAL(memcmp(t.start, "\xc6\x33\x64\x00", 4), 0);
	CU_ASSERT_EQUAL(memcmp(t.end, "\xc6\x33\x64\xff", 4), 0);
	ts_ok("2001:db8::/32", "2001:db8::/32");
	CU_ASSERT_EQUAL_FATAL(ike_ts_parse("2001:db8::/32", &t), 0);
	CU_ASSERT_EQUAL(t.family, 6);
	CU_ASSERT_EQUAL(memcmp(t.end,
			       "\x20\x01\x0d\xb8\xff\xff\xff\xff\xff\xff\xff\xff"
			       "\xff\xff\xff\xff",
			       16),
			0);
	ts_ok("0.0.0.0/0", "0.0.0.0/0");
	ts_ok("::/0", "::/0");
	ts_ok("192.0.2.7", "192.0.2.7/32");
	ts_ok("2001:db8::1/128", "2001:db8::1/128");
	ts_ok("10.1.2.0/23", "10.1.2.0/23");
	ts_ok("192.0.2.1-192.0.2.9", "192.0.2.1-192.0.2.9");
	ts_ok("192.0.2.0-192.0.2.255", "192.0.2.0/24");
	ts_ok("192.0.2.5-192.0.2.5", "192.0.2.5/32");
	ts_ok("2001:db8::1-2001:db8::9", "2001:db8::1-2001:db8::9");
	ts_ok("198.51.100.0/24[udp/500]", "198.51.100.0/24[17/500]");
	CU_ASSERT_EQUAL_FATAL(ike_ts_parse("198.51.100.0/24[udp/500]", &t), 0);
	CU_ASSERT_EQUAL(t.proto, 17);
	CU_ASSERT_EQUAL(t.sport, 500);
	CU_ASSERT_EQUAL(t.eport, 500);
	ts_ok("10.0.0.0/8[tcp/1000-2000]", "10.0.0.0/8[6/1000-2000]");
	CU_ASSERT_EQUAL_FATAL(ike_ts_parse("10.0.0.0/8[tcp/1000-2000]", &t), 0);
	CU_ASSERT_EQUAL(t.proto, 6);
	CU_ASSERT_EQUAL(t.sport, 1000);
	CU_ASSERT_EQUAL(t.eport, 2000);
	ts_ok("10.0.0.0/8[icmp]", "10.0.0.0/8[1]");
	ts_ok("10.0.0.0/8[any/443]", "10.0.0.0/8[0/443]");
	ts_ok("10.0.0.0/8[udp/any]", "10.0.0.0/8[17]");
	ts_ok("10.0.0.0/8[any]", "10.0.0.0/8");
	ts_ok("2001:db8::/64[sctp/0-1023]", "2001:db8::/64[132/0-1023]");
	ts_ok("10.0.0.0/8[47]", "10.0.0.0/8[47]");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ike_ts_parse(bad[i], &t) != -EINVAL) {
			fprintf(stderr, "\n    ike_ts_parse(\"%s\") accepted\n", bad[i]);
			CU_FAIL("ike_ts_parse accepted an invalid selector");
		}
}

/* ---- text forms: identities ---- */

static void test_id_text(void)
{
	static const char *const bad[] = {
		"keyid:",   "keyid:abc", "keyid:zz",
		"keyid:0x", "has space", "fqdn:",
		"email:",   "tab\tname", "caf\xc3\xa9.example",
	};
	struct ike_id id;
	char s[600], big[300];

	CU_ASSERT_EQUAL(ike_id_parse("192.0.2.1", &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_IPV4_ADDR);
	CU_ASSERT_EQUAL(id.len, 4);
	CU_ASSERT_EQUAL(memcmp(id.data, "\xc0\x00\x02\x01", 4), 0);
	CU_ASSERT_STRING_EQUAL(ike_id_str(&id, s, sizeof(s)), "192.0.2.1");

	CU_ASSERT_EQUAL(ike_id_parse("2001:db8::1", &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_IPV6_ADDR);
	CU_ASSERT_EQUAL(id.len, 16);
	CU_ASSERT_EQUAL(id.data[15], 1);
	CU_ASSERT_STRING_EQUAL(ike_id_str(&id, s, sizeof(s)), "2001:db8::1");

	CU_ASSERT_EQUAL(ike_id_parse("gw.example.org", &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_FQDN);
	CU_ASSERT_EQUAL(id.len, 14);
	CU_ASSERT_STRING_EQUAL(ike_id_str(&id, s, sizeof(s)), "gw.example.org");

	CU_ASSERT_EQUAL(ike_id_parse("user@example.org", &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_RFC822_ADDR);
	CU_ASSERT_EQUAL(id.len, 16);
	CU_ASSERT_STRING_EQUAL(ike_id_str(&id, s, sizeof(s)), "user@example.org");

	CU_ASSERT_EQUAL(ike_id_parse("fqdn:odd@name", &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_FQDN);
	CU_ASSERT_EQUAL(id.len, 8);
	CU_ASSERT_EQUAL(ike_id_parse("email:nobody", &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_RFC822_ADDR);
	CU_ASSERT_EQUAL(id.len, 6);

	CU_ASSERT_EQUAL(ike_id_parse("keyid:0a0B0c", &id), 0);
	CU_ASSERT_EQUAL(id.type, IKEV2_ID_KEY_ID);
	CU_ASSERT_EQUAL(id.len, 3);
	CU_ASSERT_EQUAL(memcmp(id.data, "\x0a\x0b\x0c", 3), 0);
	CU_ASSERT_STRING_EQUAL(ike_id_str(&id, s, sizeof(s)), "keyid:0a0b0c");
	CU_ASSERT_EQUAL(ike_id_parse("keyid:0x0102", &id), 0);
	CU_ASSERT_EQUAL(id.len, 2);
	CU_ASSERT_EQUAL(memcmp(id.data, "\x01\x02", 2), 0);

	CU_ASSERT_EQUAL(ike_id_parse("%any", &id), 0);
	CU_ASSERT_EQUAL(id.type, 0);
	CU_ASSERT_EQUAL(id.len, 0);
	CU_ASSERT_STRING_EQUAL(ike_id_str(&id, s, sizeof(s)), "%any");
	CU_ASSERT_EQUAL(ike_id_parse("", &id), 0);
	CU_ASSERT_EQUAL(id.type, 0);

	/* 255 octets is the limit. */
	memset(big, 'a', sizeof(big));
	big[255] = '\0';
	CU_ASSERT_EQUAL(ike_id_parse(big, &id), 0);
	CU_ASSERT_EQUAL(id.len, 255);
	big[255] = 'a';
	big[256] = '\0';
	CU_ASSERT_EQUAL(ike_id_parse(big, &id), -EINVAL);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ike_id_parse(bad[i], &id) != -EINVAL) {
			fprintf(stderr, "\n    ike_id_parse(\"%s\") accepted\n", bad[i]);
			CU_FAIL("ike_id_parse accepted an invalid identity");
		}

	/* Peer-supplied bytes are made printable; small buffers are safe. */
	id.type = IKEV2_ID_FQDN;
	id.len = 4;
	memcpy(id.data,
	       "a\x01\x7f"
	       "b",
	       4);
	CU_ASSERT_STRING_EQUAL(ike_id_str(&id, s, sizeof(s)), "a??b");
	id.type = IKEV2_ID_DER_ASN1_DN;
	id.len = 255;
	memset(id.data, 0xab, 255);
	ike_id_str(&id, s, 8);
	CU_ASSERT(strlen(s) < 8);
	ike_id_str(&id, s, sizeof(s));
	CU_ASSERT_EQUAL(strlen(s), 3 + 2 * 255);
}

/* ---- text forms: proposals ---- */

static void prop_err(const char *s, bool is_ike, const char *needle)
{
	struct ike_proposal p;
	char err[160] = "";

	CU_ASSERT_EQUAL(ike_proposal_parse(s, is_ike, &p, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle)) {
		fprintf(stderr, "\n    \"%s\": error \"%s\", want \"%s\"\n", s, err, needle);
		CU_FAIL("proposal error message");
	}
}

static void test_proposal_text(void)
{
	struct ike_proposal p;
	char err[160], s[256];

	CU_ASSERT_EQUAL_FATAL(
		ike_proposal_parse("aes128gcm16-prfsha256-x25519", true, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.n_encr, 1);
	CU_ASSERT_EQUAL(p.encr[0].id, IKEV2_ENCR_AES_GCM_16);
	CU_ASSERT_EQUAL(p.encr[0].keybits, 128);
	CU_ASSERT_EQUAL(p.n_prf, 1);
	CU_ASSERT_EQUAL(p.prf[0], IKEV2_PRF_HMAC_SHA2_256);
	CU_ASSERT_EQUAL(p.n_integ, 0);
	CU_ASSERT_EQUAL(p.n_dh, 1);
	CU_ASSERT_EQUAL(p.dh[0], IKEV2_DH_X25519);
	CU_ASSERT_EQUAL(p.n_esn, 0);
	CU_ASSERT_STRING_EQUAL(ike_proposal_str(&p, s, sizeof(s)), "aes128gcm16/prfsha256/x25519");

	/* IKE with a non-AEAD cipher: the PRF follows from the integrity algorithm. */
	CU_ASSERT_EQUAL_FATAL(
		ike_proposal_parse("aes256-sha384-modp2048", true, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.encr[0].id, IKEV2_ENCR_AES_CBC);
	CU_ASSERT_EQUAL(p.encr[0].keybits, 256);
	CU_ASSERT_EQUAL(p.n_integ, 1);
	CU_ASSERT_EQUAL(p.integ[0], IKEV2_INTEG_HMAC_SHA2_384_192);
	CU_ASSERT_EQUAL(p.n_prf, 1);
	CU_ASSERT_EQUAL(p.prf[0], IKEV2_PRF_HMAC_SHA2_384);
	CU_ASSERT_EQUAL(p.dh[0], IKEV2_DH_MODP2048);

	/* Several choices per type keep their order. */
	CU_ASSERT_EQUAL_FATAL(
		ike_proposal_parse(
			"aes256gcm16-aes128gcm16-prfsha384-prfsha256-ecp256-x25519-modp3072", true,
			&p, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(p.n_encr, 2);
	CU_ASSERT_EQUAL(p.encr[0].keybits, 256);
	CU_ASSERT_EQUAL(p.encr[1].keybits, 128);
	CU_ASSERT_EQUAL(p.n_prf, 2);
	CU_ASSERT_EQUAL(p.prf[1], IKEV2_PRF_HMAC_SHA2_256);
	CU_ASSERT_EQUAL(p.n_dh, 3);
	CU_ASSERT_EQUAL(p.dh[2], IKEV2_DH_MODP3072);

	CU_ASSERT_EQUAL_FATAL(ike_proposal_parse("chacha20poly1305-prfsha512-x448", true, &p, err,
						 sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(p.encr[0].id, IKEV2_ENCR_CHACHA20_POLY1305);
	CU_ASSERT_EQUAL(p.encr[0].keybits, 256);

	/* ESP: no PRF, ESN defaults to "no", DH means PFS. */
	CU_ASSERT_EQUAL_FATAL(ike_proposal_parse("aes128gcm16", false, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.n_esn, 1);
	CU_ASSERT_EQUAL(p.esn[0], IKEV2_ESN_NO);
	CU_ASSERT_EQUAL(p.n_dh, 0);
	CU_ASSERT_EQUAL(p.n_prf, 0);
	CU_ASSERT_EQUAL_FATAL(
		ike_proposal_parse("aes256-sha256-esn-noesn", false, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.n_esn, 2);
	CU_ASSERT_EQUAL(p.esn[0], IKEV2_ESN_YES);
	CU_ASSERT_EQUAL(p.esn[1], IKEV2_ESN_NO);
	CU_ASSERT_EQUAL(p.integ[0], IKEV2_INTEG_HMAC_SHA2_256_128);
	CU_ASSERT_EQUAL_FATAL(ike_proposal_parse("aes128gcm16-x25519", false, &p, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(p.n_dh, 1);

	prop_err("foo-prfsha256-x25519", true, "unknown algorithm 'foo'");
	prop_err("aes128-sha1-prfsha256-x25519", true, "SHA-1");
	prop_err("aes128-sha1-prfsha256-x25519", true, "refused");
	prop_err("aes128gcm16-prfsha1-x25519", true, "refused");
	prop_err("3des-sha256-prfsha256-x25519", true, "refused");
	prop_err("aes128gcm16-prfsha256-modp768", true, "refused");
	prop_err("null-sha256", false, "refused");
	prop_err("aes128gcm16-sha256-prfsha256-x25519", true,
		 "integrity algorithm given with an AEAD");
	prop_err("aes128gcm16-sha256", false, "integrity algorithm given with an AEAD");
	prop_err("aes256-prfsha256-x25519", true, "no integrity algorithm");
	prop_err("aes256", false, "no integrity algorithm");
	prop_err("aes128gcm16-prfsha256", true, "no DH group");
	prop_err("aes128gcm16-prfsha256", false, "PRF is only for IKE");
	prop_err("aes128gcm16-prfsha256-x25519-esn", true, "only for ESP");
	prop_err("aes128gcm16-prfsha256-x25519-noesn", true, "only for ESP");
	prop_err("aes128gcm16-aes128-sha256", false, "mixed");
	prop_err("sha256-prfsha256-x25519", true, "no encryption");
	prop_err("", true, "empty");
	prop_err("aes128-aes128-aes128-aes128-aes128-aes128-aes128-aes128-aes128-sha256", false,
		 "too many");
	prop_err("esn-noesn-esn", false, "too many");
	prop_err("AES128GCM16-prfsha256-x25519", true, "unknown");
}

/* ---- traffic selector narrowing (2.9) ---- */

static unsigned narrow(const char *ours, const char *theirs, struct ike_ts *out)
{
	struct ike_ts o = ts_of(ours), t = ts_of(theirs);

	return ikev2_ts_narrow(&o, 1, &t, 1, out);
}

static void assert_ts(const struct ike_ts *t, const char *want)
{
	char s[128];

	ike_ts_str(t, s, sizeof(s));
	if (strcmp(s, want) != 0) {
		fprintf(stderr, "\n    got %s, want %s\n", s, want);
		CU_FAIL("narrowed selector");
	}
}

static void test_ts_narrow(void)
{
	struct ike_ts out[IKE_MAX_TS], ours[IKE_MAX_TS + 1], theirs[2];
	char name[32];

	/* Theirs inside ours: theirs unchanged. Theirs wider: cut to ours. */
	CU_ASSERT_EQUAL_FATAL(narrow("10.0.0.0/8", "10.1.0.0/16", out), 1);
	assert_ts(&out[0], "10.1.0.0/16");
	CU_ASSERT_EQUAL_FATAL(narrow("10.1.0.0/16", "10.0.0.0/8", out), 1);
	assert_ts(&out[0], "10.1.0.0/16");
	CU_ASSERT_EQUAL_FATAL(narrow("10.1.0.0/16", "10.1.0.0/16", out), 1);
	assert_ts(&out[0], "10.1.0.0/16");
	/* Partial overlap. */
	CU_ASSERT_EQUAL_FATAL(narrow("10.0.0.0-10.0.0.100", "10.0.0.50-10.0.0.200", out), 1);
	assert_ts(&out[0], "10.0.0.50-10.0.0.100");
	CU_ASSERT_EQUAL_FATAL(narrow("2001:db8::/32", "2001:db8:5::1-2001:db9::", out), 1);
	assert_ts(&out[0], "2001:db8:5::1-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	/* Touching in one address. */
	CU_ASSERT_EQUAL_FATAL(narrow("10.0.0.0-10.0.0.10", "10.0.0.10-10.0.0.20", out), 1);
	assert_ts(&out[0], "10.0.0.10/32");
	/* Disjoint. */
	CU_ASSERT_EQUAL(narrow("10.0.0.0/8", "192.0.2.0/24", out), 0);
	CU_ASSERT_EQUAL(narrow("10.0.0.0-10.0.0.9", "10.0.0.10-10.0.0.20", out), 0);
	/* Protocol and ports intersect; "any" takes the other side's value. */
	CU_ASSERT_EQUAL_FATAL(narrow("10.0.0.0/8[tcp]", "10.0.0.0/8[any/1000-3000]", out), 1);
	assert_ts(&out[0], "10.0.0.0/8[6/1000-3000]");
	CU_ASSERT_EQUAL_FATAL(narrow("10.0.0.0/8[tcp/2000-4000]", "10.0.0.0/8[tcp/1000-3000]", out),
			      1);
	assert_ts(&out[0], "10.0.0.0/8[6/2000-3000]");
	CU_ASSERT_EQUAL_FATAL(narrow("10.0.0.0/8", "10.0.0.0/16[udp/500]", out), 1);
	assert_ts(&out[0], "10.0.0.0/16[17/500]");
	CU_ASSERT_EQUAL(narrow("10.0.0.0/8[tcp]", "10.0.0.0/8[udp]", out), 0);
	CU_ASSERT_EQUAL(narrow("10.0.0.0/8[tcp/1-10]", "10.0.0.0/8[tcp/11-20]", out), 0);
	/* Family mismatch. */
	CU_ASSERT_EQUAL(narrow("0.0.0.0/0", "::/0", out), 0);
	CU_ASSERT_EQUAL(narrow("::/0", "0.0.0.0/0", out), 0);
	theirs[0] = ts_of("0.0.0.0/0");
	theirs[1] = ts_of("2001:db8::/32");
	ours[0] = ts_of("::/0");
	CU_ASSERT_EQUAL_FATAL(ikev2_ts_narrow(ours, 1, theirs, 2, out), 1);
	assert_ts(&out[0], "2001:db8::/32");
	/* Duplicates collapse. */
	ours[0] = ts_of("10.0.0.0/8");
	ours[1] = ts_of("10.0.0.0/8");
	theirs[0] = ts_of("10.1.0.0/16");
	CU_ASSERT_EQUAL(ikev2_ts_narrow(ours, 2, theirs, 1, out), 1);
	/* One of theirs against several of ours, bounded by IKE_MAX_TS. */
	for (unsigned i = 0; i <= IKE_MAX_TS; i++) {
		snprintf(name, sizeof(name), "192.0.2.%u", i + 1);
		ours[i] = ts_of(name);
	}
	theirs[0] = ts_of("0.0.0.0/0");
	CU_ASSERT_EQUAL_FATAL(ikev2_ts_narrow(ours, IKE_MAX_TS + 1, theirs, 1, out), IKE_MAX_TS);
	assert_ts(&out[0], "192.0.2.1/32");
	assert_ts(&out[IKE_MAX_TS - 1], "192.0.2.8/32");
	CU_ASSERT_EQUAL(ikev2_ts_narrow(ours, 0, theirs, 1, out), 0);
	CU_ASSERT_EQUAL(ikev2_ts_narrow(ours, 1, theirs, 0, out), 0);
}

static const struct test_case cases[] = {
	{ "every payload round trips", test_roundtrip },
	{ "IPv4 ID and SPI-less proposal round trip", test_roundtrip_small },
	{ "header: short, length, version", test_header_errors },
	{ "chain: payload lengths and trailing bytes", test_chain_lengths },
	{ "chain: unknown payloads, critical or not", test_chain_critical },
	{ "chain: SK must be last", test_chain_sk },
	{ "chain: too many payloads", test_chain_too_many },
	{ "SA payload errors", test_sa_errors },
	{ "KE/Nonce/ID/AUTH/Notify/Delete errors", test_payload_errors },
	{ "TS payload errors", test_ts_errors },
	{ "writer never passes its capacity", test_writer_overflow },
	{ "writer refuses payloads over 65535 octets", test_writer_payload_too_long },
	{ "traffic selector text forms", test_ts_text },
	{ "identity text forms", test_id_text },
	{ "proposal strings", test_proposal_text },
	{ "traffic selector narrowing", test_ts_narrow },
	{ NULL, NULL },
};
TEST_SUITE(payload, cases)
