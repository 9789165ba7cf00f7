/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 message and payload parsing (validate before use: every length is
 * checked against what is left) and building. */
#ifndef IKEV2_PAYLOAD_H
#define IKEV2_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"

/* Parse errors: negative, each names one problem. */
enum ikev2_perr {
	IKEV2_E_SHORT = -1,       /* datagram shorter than the IKE header */
	IKEV2_E_HDR_LENGTH = -2,  /* header length differs from datagram */
	IKEV2_E_VERSION = -3,     /* major version is not 2 */
	IKEV2_E_PL_LENGTH = -4,   /* payload length < 4 or beyond the message */
	IKEV2_E_CRITICAL = -5,    /* unknown payload with the critical bit */
	IKEV2_E_TOO_MANY = -6,    /* more payloads than we track */
	IKEV2_E_SK_NOT_LAST = -7, /* encrypted payload is not the last one */
	IKEV2_E_MALFORMED = -8,   /* payload content inconsistent */
	IKEV2_E_COUNT = -9,       /* a count field disagrees with the content */
	IKEV2_E_TRAILING = -10,   /* bytes after the last payload */
	IKEV2_E_SPI = -11,        /* SPI size invalid for the protocol */
	/* Encrypted Fragment payloads (RFC 7383), refused after parsing */
	IKEV2_E_FRAG_OFF = -12,   /* fragment while we do not do fragmentation */
	IKEV2_E_FRAG_LIMIT = -13, /* over the reassembly limits */
};
const char *ikev2_perr_str(int err);

struct ikev2_hdr {
	uint64_t spi_i, spi_r;
	uint8_t next_payload, version, exchange, flags;
	uint32_t msgid, length;
};
int ikev2_hdr_parse(const uint8_t *buf, size_t len, struct ikev2_hdr *h);
void ikev2_hdr_write(uint8_t *buf, const struct ikev2_hdr *h);

struct ikev2_pl {
	uint8_t type;
	bool critical;
	const uint8_t *hdr; /* generic payload header */
	const uint8_t *body;
	size_t len; /* body length */
};

#define IKEV2_MAX_PL 48
struct ikev2_chain {
	unsigned n;
	struct ikev2_pl pl[IKEV2_MAX_PL];
};
/* Walks a payload chain. Unknown non-critical payloads are kept with their
 * type (callers ignore them); an unknown critical one fails with
 * IKEV2_E_CRITICAL and *bad_type set. An SK/SKF payload must be last. */
int ikev2_chain_parse(uint8_t first, const uint8_t *buf, size_t len, struct ikev2_chain *c,
		      uint8_t *bad_type);
const struct ikev2_pl *ikev2_chain_find(const struct ikev2_chain *c, uint8_t type);
unsigned ikev2_chain_count(const struct ikev2_chain *c, uint8_t type);

/* SA payload (3.3). */
#define IKEV2_MAX_TRANS 64
struct ikev2_transform {
	uint8_t type;
	uint16_t id;
	uint16_t keybits;  /* 0 when no Key Length attribute */
	bool unknown_attr; /* transform carries an attribute we don't know */
};
struct ikev2_prop {
	uint8_t num, proto, spi_size, n_trans;
	uint8_t spi[8];
	struct ikev2_transform trans[IKEV2_MAX_TRANS];
};
int ikev2_sa_parse(const uint8_t *buf, size_t len, struct ikev2_prop *props, unsigned max,
		   unsigned *n);

struct ikev2_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};
int ikev2_ke_parse(const uint8_t *buf, size_t len, struct ikev2_ke *ke);
/* Nonce: 16..256 octets (2.10). */
int ikev2_nonce_parse(const uint8_t *buf, size_t len);
int ikev2_id_parse(const uint8_t *buf, size_t len, struct ike_id *id);
struct ikev2_auth {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};
int ikev2_auth_parse(const uint8_t *buf, size_t len, struct ikev2_auth *a);
struct ikev2_ntf {
	uint8_t proto, spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t dlen;
};
int ikev2_notify_parse(const uint8_t *buf, size_t len, struct ikev2_ntf *n);
struct ikev2_delete {
	uint8_t proto, spi_size;
	uint16_t n_spi;
	const uint8_t *spis;
};
int ikev2_delete_parse(const uint8_t *buf, size_t len, struct ikev2_delete *d);
int ikev2_ts_parse(const uint8_t *buf, size_t len, struct ike_ts *ts, unsigned max, unsigned *n);
/* Encrypted Fragment payload body (RFC 7383 2.5): Fragment Number and
 * Total Fragments (1 <= number <= total), then IV, ciphertext and ICV,
 * returned as data/len for the IKE SA's transforms to check. */
struct ikev2_skf {
	uint16_t num, total;
	const uint8_t *data;
	size_t len;
};
#define IKEV2_SKF_FIELDS 4u /* Fragment Number, Total Fragments */
int ikev2_skf_parse(const uint8_t *buf, size_t len, struct ikev2_skf *f);

/* Writer: appends payloads, patching the previous next-payload field. */
struct ikev2_writer {
	uint8_t *buf;
	size_t cap, len;
	size_t np_off; /* where the next payload type goes */
	bool overflow;
};
void ikev2_w_init(struct ikev2_writer *w, uint8_t *buf, size_t cap, size_t np_off);
size_t ikev2_w_begin(struct ikev2_writer *w, uint8_t type, bool critical);
void ikev2_w_end(struct ikev2_writer *w, size_t start);
void ikev2_w_bytes(struct ikev2_writer *w, const void *p, size_t n);
void ikev2_w_u8(struct ikev2_writer *w, uint8_t v);
void ikev2_w_u16(struct ikev2_writer *w, uint16_t v);
void ikev2_w_u32(struct ikev2_writer *w, uint32_t v);

void ikev2_w_sa(struct ikev2_writer *w, const struct ikev2_prop *props, unsigned n);
void ikev2_w_ke(struct ikev2_writer *w, uint16_t group, const uint8_t *d, size_t n);
void ikev2_w_nonce(struct ikev2_writer *w, const uint8_t *d, size_t n);
void ikev2_w_id(struct ikev2_writer *w, uint8_t pl_type, const struct ike_id *id);
void ikev2_w_auth(struct ikev2_writer *w, uint8_t method, const uint8_t *d, size_t n);
void ikev2_w_notify(struct ikev2_writer *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
		    uint16_t type, const uint8_t *d, size_t n);
void ikev2_w_delete(struct ikev2_writer *w, uint8_t proto, uint8_t spi_size, const uint8_t *spis,
		    uint16_t n_spi);
void ikev2_w_ts(struct ikev2_writer *w, uint8_t pl_type, const struct ike_ts *ts, unsigned n);

const char *ikev2_exchange_name(uint8_t exch);
const char *ikev2_notify_name(uint16_t type);
const char *ikev2_payload_name(uint8_t type);

#endif
