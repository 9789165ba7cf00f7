/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE message fragmentation (RFC 7383). An encrypted message too large for
 * the path leaves as Encrypted Fragment (SKF) payloads, each protected on
 * its own with the IKE SA's keys (2.5). Received fragments are verified and
 * decrypted one by one before anything is kept (2.6, 5: no state for
 * unauthenticated data), and the message is put together once all are in,
 * within per-SA limits of count, octets and time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

#define SKF_HDR (IKEV2_PL_HDR_LEN + IKEV2_SKF_FIELDS)

struct ikev2_defrag {
	uint32_t msgid;
	uint16_t total, have;
	uint8_t first; /* inner first payload type, from fragment 1 */
	size_t bytes;
	uint64_t expires;
	struct {
		uint8_t *p;
		size_t len;
	} frag[]; /* total entries, by fragment number - 1 */
};

_Static_assert(IKE_FRAG_MAX_BYTES <= IKEV2_MAX_MSG, "a reassembled message fits the rxbuf");

/* ---- sending ---- */

/* Octets around an IKE message in its IP datagram: IP and UDP headers and,
 * on the NAT-T port, the non-ESP marker. */
static size_t datagram_overhead(const struct ike_sa *sa)
{
	size_t n = (sa->remote.family == 6 ? 40u : 20u) + 8u;

	if (sa->local.port == sa->e->cfg.natt_port || sa->remote.port == sa->e->cfg.natt_port)
		n += IKEV2_NON_ESP_MARKER;
	return n;
}

/* Plaintext octets one fragment carries so that its datagram stays within
 * fragment_size: the rest goes to headers, IV, ICV, padding and pad length. */
static size_t frag_chunk(const struct ike_sa *sa)
{
	const struct ike_encr_info *ei = &sa->ei;
	size_t fixed = datagram_overhead(sa) + IKEV2_HDR_LEN + SKF_HDR + ei->ivlen + sa->icv_len;
	size_t room = sa->e->cfg.fragment_size > fixed ? sa->e->cfg.fragment_size - fixed : 0;

	if (!ei->aead && ei->blocklen)
		room -= room % ei->blocklen;
	/* The pad length octet; at least one octet of content whatever the
	 * transforms (fragment_size is at least IKE_FRAG_SIZE_MIN anyway). */
	return room > 1 ? room - 1 : 1;
}

bool ikev2_frag_needed(const struct ike_sa *sa, const struct ikev2_out *o)
{
	const struct ike_encr_info *ei;
	size_t inner, wire;

	if (!o->encrypted)
		return false; /* IKE_SA_INIT is never fragmented (2.5) */
	ei = &sa->ei;
	inner = o->w.len - o->inner_off;
	wire = IKEV2_HDR_LEN + IKEV2_PL_HDR_LEN + ei->ivlen + inner + 1 + sa->icv_len;
	if (!ei->aead && ei->blocklen)
		wire += (ei->blocklen - (inner + 1) % ei->blocklen) % ei->blocklen;
	if (wire + datagram_overhead(sa) <= sa->e->cfg.fragment_size)
		return false;
	if (!sa->frag_ok || !sa->e->cfg.fragmentation) {
		ike_sa_log(sa, IKE_LOG_DEBUG,
			   "%s %s of %zu octets sent whole: fragmentation not negotiated",
			   ikev2_exchange_name(o->exchange), o->response ? "response" : "request",
			   wire);
		return false;
	}
	return true;
}

int ikev2_frag_build(struct ike_sa *sa, const struct ikev2_hdr *h, uint8_t first, uint16_t num,
		     uint16_t total, const uint8_t *pt, size_t len, uint8_t *out, size_t cap)
{
	size_t iv_off = IKEV2_HDR_LEN + SKF_HDR, wire;
	int r;

	if (iv_off + sa->ei.ivlen + len > cap)
		return -EMSGSIZE;
	ikev2_hdr_write(out, h);
	out[16] = IKEV2_PL_SKF;
	/* 2.5: only the first fragment names the first inner payload. */
	out[IKEV2_HDR_LEN] = num == 1 ? first : IKEV2_PL_NONE;
	ikev2_put16(out + IKEV2_HDR_LEN + IKEV2_PL_HDR_LEN, num);
	ikev2_put16(out + IKEV2_HDR_LEN + IKEV2_PL_HDR_LEN + 2, total);
	memcpy(out + iv_off + sa->ei.ivlen, pt, len);
	r = ikev2_sk_seal(sa, out, iv_off, len, cap, &wire);
	return r < 0 ? r : (int)wire;
}

static void frag_hdr(const struct ike_sa *sa, const struct ikev2_out *o, uint8_t flags,
		     struct ikev2_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->spi_i = sa->spi_i;
	h->spi_r = sa->spi_r;
	h->exchange = o->exchange;
	h->flags = flags | (o->response ? IKEV2_FLAG_RESPONSE : 0);
	h->msgid = o->msgid;
	h->next_payload = IKEV2_PL_SKF;
}

int ikev2_frag_seal(struct ike_sa *sa, const struct ikev2_out *o, uint8_t flags, uint8_t **dst,
		    size_t *dlen)
{
	const uint8_t *pt = o->buf + o->inner_off;
	size_t inner = o->w.len - o->inner_off, chunk = frag_chunk(sa);
	size_t n = (inner + chunk - 1) / chunk, off = 0;
	/* 256: padding (at most 255 octets) and the pad length. */
	size_t per = IKEV2_HDR_LEN + SKF_HDR + sa->ei.ivlen + chunk + 256 + sa->icv_len;
	uint8_t first = o->buf[IKEV2_NON_ESP_MARKER + IKEV2_HDR_LEN], *buf, *shrunk;
	struct ikev2_hdr h;

	if (o->w.overflow)
		return -EMSGSIZE;
	if (n > UINT16_MAX)
		return -EMSGSIZE;
	buf = malloc(n * per);
	if (!buf)
		return -ENOMEM;
	frag_hdr(sa, o, flags, &h);
	for (size_t i = 0; i < n; i++) {
		size_t len = inner - i * chunk < chunk ? inner - i * chunk : chunk;
		int r = ikev2_frag_build(sa, &h, first, (uint16_t)(i + 1), (uint16_t)n,
					 pt + i * chunk, len, buf + off, n * per - off);

		if (r < 0) {
			free(buf);
			return r;
		}
		off += (size_t)r;
	}
	/* Kept as the SA's last response or request: no room left over for
	 * the worst case (~1.8 KB an SA with a certificate chain). */
	shrunk = realloc(buf, off);
	free(*dst);
	*dst = shrunk ? shrunk : buf;
	*dlen = off;
	sa->e->stats.frag_tx += n;
	ike_sa_log(sa, IKE_LOG_DEBUG, "%s %s of %zu octets of payloads sent in %zu fragments",
		   ikev2_exchange_name(o->exchange), o->response ? "response" : "request", inner,
		   n);
	return 0;
}

/* ---- receiving ---- */

void ikev2_frag_free(struct ike_sa *sa, unsigned slot)
{
	struct ikev2_defrag *d = sa->defrag[slot];

	if (!d)
		return;
	for (unsigned i = 0; i < d->total; i++) {
		if (d->frag[i].p)
			ike_wipe(d->frag[i].p, d->frag[i].len);
		free(d->frag[i].p);
	}
	free(d);
	sa->defrag[slot] = NULL;
}

void ikev2_frag_free_all(struct ike_sa *sa)
{
	ikev2_frag_free(sa, 0);
	ikev2_frag_free(sa, 1);
}

uint64_t ikev2_frag_deadline(const struct ike_sa *sa)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < 2; i++)
		if (sa->defrag[i] && (!t || sa->defrag[i]->expires < t))
			t = sa->defrag[i]->expires;
	return t;
}

void ikev2_frag_expire(struct ike_sa *sa, uint64_t now)
{
	for (unsigned i = 0; i < 2; i++) {
		struct ikev2_defrag *d = sa->defrag[i];

		if (!d || now < d->expires)
			continue;
		ike_sa_log(sa, IKE_LOG_DEBUG,
			   "%s %u: %u of %u fragments came in %u s, discarding them",
			   i ? "response" : "request", d->msgid, d->have, d->total,
			   IKE_FRAG_TIMEOUT_MS / 1000);
		ikev2_frag_free(sa, i);
	}
}

bool ikev2_frag_later(const struct ikev2_chain *outer)
{
	const struct ikev2_pl *p;
	struct ikev2_skf f;

	if (!outer->n)
		return false;
	p = &outer->pl[outer->n - 1];
	if (p->type != IKEV2_PL_SKF)
		return false;
	return ikev2_skf_parse(p->body, p->len, &f) < 0 || f.num != 1;
}

static struct ikev2_defrag *defrag_new(struct ike_sa *sa, unsigned slot, uint32_t msgid,
				       uint16_t total)
{
	struct ikev2_defrag *d = calloc(1, sizeof(*d) + total * sizeof(d->frag[0]));

	if (!d)
		return NULL;
	d->msgid = msgid;
	d->total = total;
	d->expires = sa->e->now + IKE_FRAG_TIMEOUT_MS;
	sa->defrag[slot] = d;
	return d;
}

/* All fragments are in: their plaintexts, in order, make the inner chain. */
static int defrag_finish(struct ike_sa *sa, unsigned slot, const struct ikev2_hdr *h,
			 struct ikev2_chain *inner, uint8_t *bad_type)
{
	struct ikev2_defrag *d = sa->defrag[slot];
	uint8_t *out = sa->e->rxbuf, first = d->first;
	size_t off = 0;
	uint16_t n = d->total;

	for (unsigned i = 0; i < d->total; i++) {
		memcpy(out + off, d->frag[i].p, d->frag[i].len);
		off += d->frag[i].len;
	}
	ikev2_frag_free(sa, slot);
	sa->e->stats.frag_reassembled++;
	ike_sa_log(sa, IKE_LOG_DEBUG, "%s %s %u put together from %u fragments (%zu octets)",
		   ikev2_exchange_name(h->exchange), slot ? "response" : "request", h->msgid, n,
		   off);
	return ikev2_chain_parse(first, out, off, inner, bad_type);
}

/* Which partial message the fragment joins: the current one, a new one
 * (none yet, another message ID, or a larger Total Fragments: 2.6 says
 * the sender went to smaller fragments, start again), or none (a smaller
 * Total Fragments than before: 2.6, drop it). */
static struct ikev2_defrag *defrag_for(struct ike_sa *sa, unsigned slot, uint32_t msgid,
				       uint16_t total)
{
	struct ikev2_defrag *d = sa->defrag[slot];

	if (d && d->msgid == msgid && total < d->total)
		return NULL;
	if (d && (d->msgid != msgid || total > d->total || sa->e->now >= d->expires)) {
		ikev2_frag_free(sa, slot);
		d = NULL;
	}
	return d ? d : defrag_new(sa, slot, msgid, total);
}

static int frag_keep(struct ike_sa *sa, unsigned slot, const struct ikev2_hdr *h,
		     const struct ikev2_skf *f, uint8_t type, const uint8_t *pt, size_t len)
{
	struct ikev2_defrag *d = defrag_for(sa, slot, h->msgid, f->total);

	if (!d) {
		ike_sa_log(sa, IKE_LOG_DEBUG, "fragment %u/%u of message %u dropped: %s", f->num,
			   f->total, h->msgid,
			   sa->defrag[slot] ? "fewer Total Fragments than before"
					    : "out of memory");
		return IKEV2_FRAG_MORE;
	}
	if (d->frag[f->num - 1].p)
		return IKEV2_FRAG_MORE; /* a duplicate, from a retransmission */
	if (d->bytes + len > IKE_FRAG_MAX_BYTES) {
		ike_sa_log(sa, IKE_LOG_DEBUG, "message %u: its fragments exceed %u octets",
			   h->msgid, IKE_FRAG_MAX_BYTES);
		ikev2_frag_free(sa, slot);
		return IKEV2_E_FRAG_LIMIT;
	}
	d->frag[f->num - 1].p = malloc(len ? len : 1);
	if (!d->frag[f->num - 1].p)
		return -ENOMEM;
	memcpy(d->frag[f->num - 1].p, pt, len);
	d->frag[f->num - 1].len = len;
	d->bytes += len;
	d->have++;
	if (f->num == 1)
		d->first = type;
	return 0;
}

int ikev2_frag_input(struct ike_sa *sa, uint8_t *msg, const struct ikev2_hdr *h,
		     const struct ikev2_pl *skf, struct ikev2_chain *inner, uint8_t *bad_type)
{
	unsigned slot = h->flags & IKEV2_FLAG_RESPONSE ? 1 : 0;
	struct ikev2_skf f;
	uint8_t *pt;
	size_t ptlen;
	int r = ikev2_skf_parse(skf->body, skf->len, &f);

	if (r < 0)
		return r;
	/* Accepted whenever we announce support, also on an IKE SA that came
	 * from a rekey, where the peer keeps what IKE_SA_INIT negotiated. */
	if (!sa->e->cfg.fragmentation)
		return IKEV2_E_FRAG_OFF;
	if (f.total > IKE_FRAG_MAX_COUNT) {
		ike_sa_log(sa, IKE_LOG_DEBUG, "message %u: %u fragments, we take %u", h->msgid,
			   f.total, IKE_FRAG_MAX_COUNT);
		return IKEV2_E_FRAG_LIMIT;
	}
	r = ikev2_sk_open(sa, msg, h->flags & IKEV2_FLAG_INITIATOR, msg + (f.data - msg), f.len,
			  &pt, &ptlen);
	if (r < 0)
		return r;
	sa->e->stats.frag_rx++;
	r = frag_keep(sa, slot, h, &f, skf->hdr[0], pt, ptlen);
	if (r != 0)
		return r;
	if (sa->defrag[slot]->have < sa->defrag[slot]->total)
		return IKEV2_FRAG_MORE;
	return defrag_finish(sa, slot, h, inner, bad_type);
}
