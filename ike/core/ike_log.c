/* SPDX-License-Identifier: BSD-3-Clause */
/* Log lines, events and the opt-in key log. Every line about an SA names the
 * connection and the peer so an operator can grep one tunnel's story. */
#include <stdio.h>
#include <string.h>

#include "ike/core/ike_priv.h"

static void vlog(struct ike_engine *e, enum ike_log_level lvl, const char *prefix, const char *fmt,
		 va_list ap)
{
	char line[1536];
	int n;

	if (!e->ops.log || (int)lvl > e->cfg.log_level)
		return;
	n = snprintf(line, sizeof(line), "%s", prefix);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	e->ops.log(e->ctx, lvl, line);
}

void ike_log(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(e, lvl, "", fmt, ap);
	va_end(ap);
}

static const char *sa_prefix(const struct ike_sa *sa, char *buf, size_t len)
{
	char a[64];

	snprintf(buf, len, "%s #%u %016llx_i %016llx_r peer %s: ", sa->conn->cfg.name, sa->id,
		 (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		 ike_addr_str(&sa->remote, a, sizeof(a)));
	return buf;
}

void ike_sa_log(const struct ike_sa *sa, enum ike_log_level lvl, const char *fmt, ...)
{
	char prefix[160];
	va_list ap;

	if (!sa->e->ops.log || (int)lvl > sa->e->cfg.log_level)
		return;
	va_start(ap, fmt);
	vlog(sa->e, lvl, sa_prefix(sa, prefix, sizeof(prefix)), fmt, ap);
	va_end(ap);
}

static const char *const logk_name[IKE_LOGK_N] = {
	[IKE_LOGK_INIT_REFUSED] = "refused IKE_SA_INIT",
	[IKE_LOGK_MALFORMED] = "malformed message",
	[IKE_LOGK_INTEGRITY] = "integrity check failed",
};

static void limit_summary(struct ike_engine *e, enum ike_logk k)
{
	struct ike_log_limit *l = &e->log_limit[k];
	enum ike_log_level lvl = (enum ike_log_level)l->lvl;
	uint64_t since = 0;
	uint32_t n = ike_limit_summary(l, e->cfg.log_rate, e->now, &since);

	if (n)
		ike_log(e, lvl, "suppressed %u similar lines (%s) in the last %llu s", n,
			logk_name[k], (unsigned long long)((e->now - since) / 1000 + 1));
}

void ike_log_unauth(struct ike_engine *e, const struct ike_sa *sa, enum ike_logk k,
		    enum ike_log_level lvl, const char *fmt, ...)
{
	struct ike_log_limit *l = &e->log_limit[k];
	char prefix[160];
	va_list ap;

	if (lvl < IKE_LOG_WARN)
		lvl = IKE_LOG_WARN;
	if (!e->ops.log || (int)lvl > e->cfg.log_level)
		return;
	if (l->suppressed)
		limit_summary(e, k);
	if (!ike_limit_take(l, e->cfg.log_rate, e->now)) {
		if (l->suppressed == 1 || lvl < l->lvl)
			l->lvl = (uint8_t)lvl;
		return;
	}
	va_start(ap, fmt);
	vlog(e, lvl, sa ? sa_prefix(sa, prefix, sizeof(prefix)) : "", fmt, ap);
	va_end(ap);
}

void ike_log_limit_flush(struct ike_engine *e)
{
	for (unsigned k = 0; k < IKE_LOGK_N; k++)
		if (e->log_limit[k].suppressed)
			limit_summary(e, (enum ike_logk)k);
}

uint64_t ike_log_limit_next(const struct ike_engine *e)
{
	uint64_t t = UINT64_MAX;

	for (unsigned k = 0; k < IKE_LOGK_N; k++) {
		uint64_t n = ike_limit_next(&e->log_limit[k], e->cfg.log_rate);

		t = n < t ? n : t;
	}
	return t;
}

void ike_emit(struct ike_engine *e, const struct ike_event *ev)
{
	if (e->ops.event)
		e->ops.event(e->ctx, ev);
}

void ike_event_init(struct ike_event *ev, const struct ike_sa *sa, enum ike_event_type t,
		    const char *reason)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->conn = sa->conn->cfg.name;
	ev->spi_i = sa->spi_i;
	ev->spi_r = sa->spi_r;
	ev->ike_id = sa->id;
	ev->reason = reason;
}

void ike_emit_sa(struct ike_sa *sa, enum ike_event_type t, const char *reason)
{
	struct ike_event ev;

	ike_event_init(&ev, sa, t, reason);
	ev.algs = sa->algs;
	if (t == IKE_EV_IKE_UP)
		sa->e->stats.ike_up++;
	if (t == IKE_EV_FAILED)
		sa->e->stats.ike_failed++;
	ike_emit(sa->e, &ev);
}

void ike_emit_child(struct ike_sa *sa, enum ike_event_type t, const struct ike_child *c,
		    const char *reason)
{
	struct ike_event ev;

	ike_event_init(&ev, sa, t, reason);
	ev.child = &c->info;
	if (t == IKE_EV_CHILD_UP || t == IKE_EV_CHILD_REKEYED)
		sa->e->stats.child_up++;
	ike_emit(sa->e, &ev);
}

static size_t hex(char *out, size_t cap, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		out[o++] = digits[p[i] >> 4];
		out[o++] = digits[p[i] & 15];
	}
	out[o] = '\0';
	return o;
}

void ike_keylog_ike(struct ike_sa *sa)
{
	char line[1024], k[4][2 * IKE_MAX_KEY_LEN + 1];
	size_t el = sa->ei.keylen, il = sa->integ_len;

	if (!sa->e->cfg.keylog || !sa->e->ops.keylog)
		return;
	hex(k[0], sizeof(k[0]), sa->sk_ei, el);
	hex(k[1], sizeof(k[1]), sa->sk_er, el);
	hex(k[2], sizeof(k[2]), sa->sk_ai, il);
	hex(k[3], sizeof(k[3]), sa->sk_ar, il);
	snprintf(line, sizeof(line),
		 "IKE_SA conn=%s spi_i=%016llx spi_r=%016llx encr=%s integ=%s "
		 "sk_ei=%s sk_er=%s sk_ai=%s sk_ar=%s",
		 sa->conn->cfg.name, (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		 ike_encr_name(sa->algs.encr, sa->algs.encr_keybits),
		 ike_integ_name(sa->algs.integ), k[0], k[1], k[2], k[3]);
	sa->e->ops.keylog(sa->e->ctx, line);
	ike_wipe(k, sizeof(k));
	ike_wipe(line, sizeof(line));
}

static void keylog_dir(struct ike_sa *sa, const struct ike_child *c, bool in)
{
	const struct ike_child_info *ci = &c->info;
	char line[1024], src[48], dst[48], ek[2 * IKE_MAX_KEY_LEN + 1], ik[2 * IKE_MAX_KEY_LEN + 1];
	const ike_addr_t *s = in ? &ci->remote : &ci->local, *d = in ? &ci->local : &ci->remote;
	ike_addr_t sip = *s, dip = *d;
	char *p;

	hex(ek, sizeof(ek), in ? ci->enc_in : ci->enc_out, ci->enc_key_len);
	hex(ik, sizeof(ik), in ? ci->integ_in : ci->integ_out, ci->integ_key_len);
	ike_addr_str(&sip, src, sizeof(src));
	ike_addr_str(&dip, dst, sizeof(dst));
	if ((p = strchr(src, '[')) != NULL)
		*p = '\0';
	if ((p = strchr(dst, '[')) != NULL)
		*p = '\0';
	snprintf(
		line, sizeof(line),
		"CHILD_SA conn=%s child=%s src=%s dst=%s spi=%08x encr=%s enc_key=%s integ=%s integ_key=%s",
		ci->conn, ci->child, src, dst, in ? ci->spi_in : ci->spi_out,
		ike_encr_name(ci->algs.encr, ci->algs.encr_keybits), ek,
		ike_integ_name(ci->algs.integ), ik);
	sa->e->ops.keylog(sa->e->ctx, line);
	ike_wipe(ek, sizeof(ek));
	ike_wipe(ik, sizeof(ik));
	ike_wipe(line, sizeof(line));
}

void ike_keylog_child(struct ike_sa *sa, const struct ike_child *c)
{
	if (!sa->e->cfg.keylog || !sa->e->ops.keylog)
		return;
	keylog_dir(sa, c, true);
	keylog_dir(sa, c, false);
}
