/* SPDX-License-Identifier: BSD-3-Clause */
/* Message framing: the encrypted payload (RFC 7296 3.14, RFC 5282 for AEAD),
 * sending with the non-ESP marker, the request window and retransmission. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

#define MARK IKEV2_NON_ESP_MARKER

void ikev2_out_init(struct ikev2_out *o, const struct ike_sa *sa, uint8_t exchange, bool response)
{
	o->exchange = exchange;
	o->response = response;
	o->encrypted = sa != NULL;
	o->msgid = 0;
	o->inner_off = MARK + IKEV2_HDR_LEN;
	if (o->encrypted)
		o->inner_off += IKEV2_PL_HDR_LEN + sa->ei.ivlen;
	/* Leave room at the end for padding, pad length and ICV. */
	ikev2_w_init(&o->w, o->buf, sizeof(o->buf) - 64,
		     o->encrypted ? MARK + IKEV2_HDR_LEN : MARK + 16);
	o->w.len = o->inner_off;
	memset(o->buf, 0, o->inner_off);
}

int ikev2_sk_seal(struct ike_sa *sa, uint8_t *msg, size_t iv_off, size_t inner, size_t cap,
		  size_t *wire_len)
{
	const struct ike_encr_info *ei = &sa->ei;
	bool from_i = sa->initiator;
	const uint8_t *ek = from_i ? sa->sk_ei : sa->sk_er;
	const uint8_t *ak = from_i ? sa->sk_ai : sa->sk_ar;
	uint8_t *iv = msg + iv_off;
	uint8_t *pt = iv + ei->ivlen;
	size_t pad = ei->aead ? 0 : (ei->blocklen - (inner + 1) % ei->blocklen) % ei->blocklen;
	size_t ptlen = inner + pad + 1;
	size_t total = iv_off + ei->ivlen + ptlen + sa->icv_len;
	int r;

	if (total > cap)
		return -EMSGSIZE;
	memset(pt + inner, 0, pad);
	pt[inner + pad] = (uint8_t)pad;
	msg[IKEV2_HDR_LEN + 1] = 0;
	ikev2_put16(msg + IKEV2_HDR_LEN + 2, (uint16_t)(total - IKEV2_HDR_LEN));
	ikev2_put32(msg + 24, (uint32_t)total);
	if (ike_random_public(iv, ei->ivlen) < 0)
		return -EIO;
	/* The associated data (RFC 5282 5.1) is all before the IV: the IKE
	 * header and the payload's header, with an SKF's fragment fields. */
	if (ei->aead)
		r = ike_aead_encrypt(ei, ek, iv, msg, iv_off, pt, ptlen, pt, pt + ptlen);
	else {
		r = ike_cbc_encrypt(ei, ek, iv, pt, ptlen, pt);
		if (r == 0)
			r = ike_integ(sa->algs.integ, ak, sa->integ_len, msg,
				      (size_t)(pt + ptlen - msg), pt + ptlen);
	}
	*wire_len = total;
	return r;
}

int ikev2_out_seal(struct ike_sa *sa, struct ikev2_out *o, uint64_t spi_i, uint64_t spi_r,
		   uint8_t flags)
{
	uint8_t *msg = o->buf + MARK;
	struct ikev2_hdr h;

	if (o->w.overflow)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.spi_i = spi_i;
	h.spi_r = spi_r;
	h.exchange = o->exchange;
	h.flags = flags | (o->response ? IKEV2_FLAG_RESPONSE : 0);
	h.msgid = o->msgid;
	h.next_payload = msg[16];
	if (o->encrypted) {
		h.next_payload = IKEV2_PL_SK;
		/* The SK header's next-payload names the first inner payload;
		 * an empty INFORMATIONAL has none. */
		if (o->w.len == o->inner_off)
			msg[IKEV2_HDR_LEN] = IKEV2_PL_NONE;
	}
	h.length = (uint32_t)(o->w.len - MARK);
	ikev2_hdr_write(msg, &h);
	o->wire = msg;
	o->wire_len = h.length;
	if (o->encrypted)
		return ikev2_sk_seal(sa, msg, IKEV2_HDR_LEN + IKEV2_PL_HDR_LEN,
				     o->w.len - o->inner_off, sizeof(o->buf) - MARK, &o->wire_len);
	return 0;
}

void ikev2_send_raw(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
		    const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (len > IKE_MSG_MAX)
		return;
	if (local->port == e->cfg.natt_port || remote->port == e->cfg.natt_port) {
		memset(e->txbuf, 0, MARK);
		off = MARK;
	}
	memcpy(e->txbuf + off, buf, len);
	e->stats.tx++;
	if (e->ops.send)
		e->ops.send(e->ctx, local, remote, e->txbuf, len + off);
}

static int store(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len)
{
	uint8_t *p = realloc(*dst, len);

	if (!p)
		return -ENOMEM;
	memcpy(p, src, len);
	*dst = p;
	*dlen = len;
	return 0;
}

static uint8_t hdr_flags(const struct ike_sa *sa)
{
	return sa->initiator ? IKEV2_FLAG_INITIATOR : 0;
}

void ikev2_send_stored(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
		       const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (len - off >= IKEV2_HDR_LEN) {
		size_t l = ikev2_get32(buf + off + 24);

		if (l < IKEV2_HDR_LEN || l > len - off)
			return;
		ikev2_send_raw(e, local, remote, buf + off, l);
		off += l;
	}
}

/* Seals o whole, or in fragments (RFC 7383), into *dst. */
static int seal_store(struct ike_sa *sa, struct ikev2_out *o, uint8_t **dst, size_t *dlen)
{
	int r;

	if (ikev2_frag_needed(sa, o))
		return ikev2_frag_seal(sa, o, hdr_flags(sa), dst, dlen);
	r = ikev2_out_seal(sa, o, sa->spi_i, sa->spi_r, hdr_flags(sa));
	if (r < 0)
		return r;
	return store(dst, dlen, o->wire, o->wire_len);
}

static const char *seal_err(int r)
{
	return r == -EMSGSIZE ? "too large" : r == -ENOMEM ? "out of memory" : "crypto error";
}

int ikev2_send_request(struct ike_sa *sa, struct ikev2_out *o, enum ike_req_kind kind)
{
	int r;

	o->msgid = sa->msgid_out;
	r = seal_store(sa, o, &sa->req_buf, &sa->req_len);
	if (r < 0) {
		ike_sa_log(sa, IKE_LOG_ERR, "cannot build %s request: %s",
			   ikev2_exchange_name(o->exchange), seal_err(r));
		return r;
	}
	sa->msgid_out++;
	sa->req_kind = kind;
	sa->rtx_count = 0;
	sa->rtx_dropped_at = sa->e->stats.rx_dropped_early;
	sa->rtx_at = sa->e->now + sa->e->cfg.retransmit_timeout_ms;
	ikev2_send_stored(sa->e, &sa->local, &sa->remote, sa->req_buf, sa->req_len);
	return 0;
}

int ikev2_send_response(struct ike_sa *sa, struct ikev2_out *o, uint32_t msgid)
{
	int r;

	o->msgid = msgid;
	r = seal_store(sa, o, &sa->resp_buf, &sa->resp_len);
	if (r < 0) {
		ike_sa_log(sa, IKE_LOG_ERR, "cannot build %s response: %s",
			   ikev2_exchange_name(o->exchange), seal_err(r));
		return r;
	}
	sa->resp_valid = true;
	sa->msgid_in = msgid + 1;
	ikev2_send_stored(sa->e, &sa->local, &sa->remote, sa->resp_buf, sa->resp_len);
	return 0;
}

void ikev2_request_done(struct ike_sa *sa)
{
	free(sa->req_buf);
	sa->req_buf = NULL;
	sa->req_len = 0;
	sa->rtx_at = 0;
	sa->req_kind = REQ_NONE;
	ikev2_frag_free(sa, 1); /* a half-arrived answer to it is moot */
}

void ikev2_retransmit(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	uint64_t next = e->cfg.retransmit_timeout_ms;

	if (sa->rtx_count >= e->cfg.retransmit_tries && sa->state == IKE_S_REKEYED) {
		/* Its successor carries the tunnel: a lost Delete is no loss. */
		ike_sa_log(sa, IKE_LOG_INFO,
			   "no answer to the %s request on a replaced IKE SA after %u "
			   "retransmissions: dropping it",
			   ikev2_exchange_name(sa->req_buf[18]), sa->rtx_count);
		ike_sa_end(sa, IKE_END_REPLACED, "replaced, peer did not answer");
		return;
	}
	if (sa->rtx_count >= e->cfg.retransmit_tries) {
		char why[240];
		uint64_t dropped = e->stats.rx_dropped_early - sa->rtx_dropped_at;
		int n = snprintf(why, sizeof(why),
				 "peer not responding: no answer to %s request after %u "
				 "retransmissions",
				 ikev2_exchange_name(sa->req_buf[18]), sa->rtx_count);

		/* The answers may have come and been dropped before us. */
		if (dropped && n > 0 && (size_t)n < sizeof(why))
			snprintf(why + n, sizeof(why) - (size_t)n,
				 " (%llu IKE datagram%s from any peer dropped on arrival "
				 "meanwhile: bad UDP checksum or malformed)",
				 (unsigned long long)dropped, dropped == 1 ? "" : "s");
		ike_sa_log(sa, IKE_LOG_WARN, "%s, declaring the peer dead", why);
		if (sa->state != IKE_S_ESTABLISHED && sa->state != IKE_S_DELETING)
			ike_emit_sa(sa, IKE_EV_FAILED, why);
		/* A delete we asked for, in flight or waiting behind the
		 * unanswered exchange, makes the end ours, not a loss. */
		ike_sa_end(sa,
			   sa->req_kind == REQ_DELETE_IKE ||
					   ike_sa_queued(sa, IKE_ACT_DELETE_IKE, 0)
				   ? IKE_END_LOCAL
				   : IKE_END_DEAD,
			   why);
		return;
	}
	sa->rtx_count++;
	for (unsigned i = 0; i < sa->rtx_count; i++)
		next = next * e->cfg.retransmit_base_pct / 100;
	sa->rtx_at = e->now + next;
	e->stats.retransmits++;
	ike_sa_log(sa, IKE_LOG_DEBUG, "retransmit %u of %s request", sa->rtx_count,
		   ikev2_exchange_name(sa->req_buf[18]));
	ikev2_send_stored(e, &sa->local, &sa->remote, sa->req_buf, sa->req_len);
}

int ikev2_sk_open(struct ike_sa *sa, uint8_t *msg, bool from_i, uint8_t *iv, size_t len,
		  uint8_t **pt, size_t *ptlen)
{
	const struct ike_encr_info *ei = &sa->ei;
	const uint8_t *ek = from_i ? sa->sk_ei : sa->sk_er;
	const uint8_t *ak = from_i ? sa->sk_ai : sa->sk_ar;
	uint8_t *ct = iv + ei->ivlen, icv[IKE_MAX_PRF_LEN];
	size_t ctlen, padlen;
	int r;

	if (len < (size_t)ei->ivlen + sa->icv_len + 1)
		return IKEV2_E_PL_LENGTH;
	ctlen = len - ei->ivlen - sa->icv_len;
	if (ei->aead) {
		r = ike_aead_decrypt(ei, ek, iv, msg, (size_t)(iv - msg), ct, ctlen, ct + ctlen,
				     ct);
	} else {
		if (ctlen % ei->blocklen)
			return IKEV2_E_MALFORMED;
		r = ike_integ(sa->algs.integ, ak, sa->integ_len, msg, (size_t)(ct + ctlen - msg),
			      icv);
		if (r == 0 && !ike_memeq_ct(icv, ct + ctlen, sa->icv_len))
			r = -EBADMSG;
		if (r == 0)
			r = ike_cbc_decrypt(ei, ek, iv, ct, ctlen, ct);
	}
	if (r < 0)
		return -EBADMSG;
	padlen = ct[ctlen - 1];
	if (padlen + 1 > ctlen)
		return IKEV2_E_MALFORMED;
	*pt = ct;
	*ptlen = ctlen - padlen - 1;
	return 0;
}

int ikev2_decrypt(struct ike_sa *sa, uint8_t *msg, size_t len, const struct ikev2_hdr *h,
		  const struct ikev2_chain *outer, struct ikev2_chain *inner, uint8_t *bad_type)
{
	const struct ikev2_pl *sk;
	uint8_t *pt;
	size_t ptlen;
	int r;

	(void)len;
	if (!outer->n || !sa->ei.keylen)
		return IKEV2_E_MALFORMED;
	sk = &outer->pl[outer->n - 1];
	if (sk->type == IKEV2_PL_SKF)
		return ikev2_frag_input(sa, msg, h, sk, inner, bad_type);
	if (sk->type != IKEV2_PL_SK)
		return IKEV2_E_MALFORMED;
	r = ikev2_sk_open(sa, msg, h->flags & IKEV2_FLAG_INITIATOR, msg + (sk->body - msg), sk->len,
			  &pt, &ptlen);
	if (r < 0)
		return r;
	/* A whole message came: fragments of one before it are moot. */
	ikev2_frag_free(sa, h->flags & IKEV2_FLAG_RESPONSE ? 1 : 0);
	return ikev2_chain_parse(sk->hdr[0], pt, ptlen, inner, bad_type);
}
