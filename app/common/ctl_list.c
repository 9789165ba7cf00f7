/* SPDX-License-Identifier: BSD-3-Clause */
/* list-sas in pages and summary (ctl_list.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/common/ctl_list.h"
#include "app/common/ctl_select.h"

static app_metrics_child_fn counters_fn;
static void *counters_arg;

void app_ctl_list_set_counters(app_metrics_child_fn fn, void *arg)
{
	counters_fn = fn;
	counters_arg = arg;
}

void app_ctl_cursor_str(const struct ike_sa_cursor *c, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu32 "-%016" PRIx64, c->below, c->hint);
}

int app_ctl_cursor_parse(const char *s, struct ike_sa_cursor *c)
{
	unsigned long long id, spi;
	char *end;

	if (!s || *s < '1' || *s > '9')
		return -1;
	id = strtoull(s, &end, 10);
	if (*end != '-' || id > UINT32_MAX || end[1] == '\0' || end[1] == '-' || end[1] == '+')
		return -1;
	spi = strtoull(end + 1, &end, 16);
	if (*end)
		return -1;
	c->below = (uint32_t)id;
	c->hint = spi;
	return 0;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the page's text ---- */

/* A page is written as it is built, straight to text (about five times
 * cheaper than building jansson objects and dumping them): its size and
 * the time spent on it include the text, and the reply needs no second
 * pass. */
struct page {
	char *buf;
	size_t len, cap;
	unsigned limit, n;
	uint64_t now, deadline_us;
	bool failed;
};

static bool reserve(struct page *p, size_t n)
{
	size_t cap = p->cap ? p->cap : 65536;
	char *nb;

	if (p->failed)
		return false;
	if (p->len + n + 1 <= p->cap)
		return true;
	while (cap < p->len + n + 1)
		cap *= 2;
	nb = realloc(p->buf, cap);
	if (!nb) {
		p->failed = true;
		return false;
	}
	p->buf = nb;
	p->cap = cap;
	return true;
}

static void put_str(struct page *p, const char *s)
{
	size_t n = strlen(s);

	if (!reserve(p, n))
		return;
	memcpy(p->buf + p->len, s, n + 1);
	p->len += n;
}

static void put_fmt(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put_fmt(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!reserve(p, 512))
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= p->cap - p->len)
		p->failed = true; /* every format here is far shorter */
	else
		p->len += (size_t)n;
}

/* A JSON string; every byte outside printable ASCII escaped, so that
 * whatever a peer put in its identity, the page stays valid JSON. */
static void put_jstr(struct page *p, const char *s)
{
	if (!s) {
		put_str(p, "null");
		return;
	}
	if (!reserve(p, strlen(s) * 6 + 2))
		return;
	p->buf[p->len++] = '"';
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\') {
			p->buf[p->len++] = '\\';
			p->buf[p->len++] = (char)*c;
		} else if (*c < 0x20 || *c >= 0x7f) {
			p->len += (size_t)sprintf(p->buf + p->len, "\\u%04x", *c);
		} else {
			p->buf[p->len++] = (char)*c;
		}
	}
	p->buf[p->len++] = '"';
	p->buf[p->len] = '\0';
}

/* Seconds since t / until t (engine ms), null when t is 0 (none). */
static void put_secs(struct page *p, const char *key, uint64_t t, bool since)
{
	uint64_t d = since ? (p->now > t ? p->now - t : 0) : (t > p->now ? t - p->now : 0);

	if (t)
		put_fmt(p, ",\"%s\":%" PRIu64, key, d / 1000);
	else
		put_fmt(p, ",\"%s\":null", key);
}

static void put_ts(struct page *p, const char *key, const struct ike_ts *ts, unsigned n)
{
	char s[128];

	put_fmt(p, ",\"%s\":[", key);
	for (unsigned i = 0; i < n && i < IKE_MAX_TS; i++) {
		put_str(p, i ? "," : "");
		put_jstr(p, ike_ts_str(&ts[i], s, sizeof(s)));
	}
	put_str(p, "]");
}

static void put_counters(struct page *p, const struct ike_child_info *c)
{
	struct app_metrics_child m;

	memset(&m, 0, sizeof(m));
	counters_fn(counters_arg, c, &m);
	put_fmt(p,
		",\"fp\":{\"packets_in\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"drops_in\":%" PRIu64
		",\"packets_out\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\"drops_out\":%" PRIu64 "}",
		m.packets[0], m.bytes[0], m.drops[0], m.packets[1], m.bytes[1], m.drops[1]);
}

static void put_child(struct page *p, const struct ike_sa_summary *s, unsigned i)
{
	const struct ike_child_info *c = s->children[i];
	char algs[128];

	put_fmt(p, "{\"id\":%" PRIu32 ",\"child\":", c->id);
	put_jstr(p, c->child ? c->child : "");
	put_fmt(p,
		",\"spi_in\":\"%08" PRIx32 "\",\"spi_out\":\"%08" PRIx32 "\",\"algs\":", c->spi_in,
		c->spi_out);
	put_jstr(p, ike_algs_str(&c->algs, false, algs, sizeof(algs)));
	put_fmt(p, ",\"mode\":\"%s\",\"encap\":%s",
		c->mode == IKE_MODE_TRANSPORT ? "transport" : "tunnel",
		c->encap ? "true" : "false");
	put_ts(p, "local_ts", c->local_ts, c->n_local_ts);
	put_ts(p, "remote_ts", c->remote_ts, c->n_remote_ts);
	put_secs(p, "uptime_s", s->child_up[i], true);
	put_secs(p, "rekey_in_s", s->child_rekey_at[i], false);
	if (counters_fn)
		put_counters(p, c);
	put_str(p, "}");
}

/* One IKE SA, keys in the order list-sas always had, new ones last. */
static void put_sa(struct page *p, const struct ike_sa_summary *s)
{
	char t[128];

	put_fmt(p, "{\"id\":%" PRIu32 ",\"conn\":", s->id);
	put_jstr(p, s->conn ? s->conn : "");
	put_fmt(p, ",\"spi_i\":\"%016" PRIx64 "\",\"spi_r\":\"%016" PRIx64 "\",\"initiator\":%s",
		s->spi_i, s->spi_r, s->initiator ? "true" : "false");
	put_fmt(p, ",\"state\":\"%s\",\"ike_algs\":", s->state ? s->state : "unknown");
	put_jstr(p, ike_algs_str(&s->algs, true, t, sizeof(t)));
	put_str(p, ",\"local\":");
	put_jstr(p, ike_addr_str(&s->local, t, sizeof(t)));
	put_str(p, ",\"remote\":");
	put_jstr(p, ike_addr_str(&s->remote, t, sizeof(t)));
	put_fmt(p, ",\"nat_local\":%s,\"nat_remote\":%s,\"children\":[",
		s->nat_local ? "true" : "false", s->nat_remote ? "true" : "false");
	for (unsigned i = 0, k = 0; i < s->n_children && i < IKE_MAX_CHILDREN * 2; i++)
		if (s->children[i]) {
			put_str(p, k++ ? "," : "");
			put_child(p, s, i);
		}
	put_str(p, "],\"peer_id\":");
	put_jstr(p, s->peer_id);
	put_secs(p, "uptime_s", s->established, true);
	put_secs(p, "rekey_in_s", s->rekey_at, false);
	put_str(p, "}");
}

/* ---- list-sas ---- */

/* The page ends at its count, its size (it must fit the socket's send
 * buffer, so that a slow client never holds the event loop) or its time. */
static bool page_add(void *arg, const struct ike_sa_summary *s)
{
	struct page *p = arg;

	if (p->n++)
		put_str(p, ",");
	put_sa(p, s);
	return !p->failed && p->n < p->limit && p->len < APP_LIST_PAGE_BYTES &&
	       mono_us() < p->deadline_us;
}

static json_t *bad(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static const char *parse_page(json_t *req, unsigned *limit, struct ike_sa_cursor *cur)
{
	json_t *v = json_object_get(req, "limit");

	*limit = APP_LIST_PAGE_DEFAULT;
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1))
		return "\"limit\" must be a positive number of SAs";
	if (v)
		*limit = json_integer_value(v) > APP_LIST_PAGE_MAX
				 ? APP_LIST_PAGE_MAX
				 : (unsigned)json_integer_value(v);
	memset(cur, 0, sizeof(*cur));
	v = json_object_get(req, "cursor");
	if (v && app_ctl_cursor_parse(json_string_value(v), cur) < 0)
		return "\"cursor\" must be the \"next\" of the page before";
	return NULL;
}

static const char *parse_filter(json_t *req, struct app_ctl_sel *sel, struct ike_sa_filter *f,
				char *err, size_t errlen)
{
	json_t *v = json_object_get(req, "state");

	if (app_ctl_sel_parse(req, sel, err, errlen) < 0)
		return err;
	if (sel->sel.id || sel->sel.spi)
		return "list-sas filters by \"conn\", \"peer\", \"peer_id\" and \"state\"";
	if (v && (!json_is_string(v) || !ike_sa_state_valid(json_string_value(v))))
		return "\"state\" must be a state name as listed (ESTABLISHED, HALF_OPEN, "
		       "INIT_SENT, AUTH_SENT, REKEYED, DELETING, NEW)";
	f->conn = sel->sel.conn;
	f->peer = sel->sel.peer;
	f->peer_id = sel->sel.peer_id;
	f->state = json_string_value(v);
	return NULL;
}

static char *error_text(const char *msg)
{
	json_t *j = bad(msg);
	char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return t;
}

char *app_ctl_list_sas(struct ike_engine *e, json_t *req, uint64_t now_ms)
{
	struct page p = { .now = now_ms, .deadline_us = mono_us() + APP_LIST_BUDGET_US };
	struct ike_sa_filter f = { 0 };
	struct ike_sa_cursor cur;
	struct app_ctl_sel sel;
	char err[256], next[64];
	const char *why;

	why = parse_page(req, &p.limit, &cur);
	if (!why)
		why = parse_filter(req, &sel, &f, err, sizeof(err));
	if (why)
		return error_text(why);
	put_str(&p, "{\"ok\":true,\"sas\":[");
	ike_engine_list_sas(e, &f, &cur, APP_LIST_SCAN_MAX, page_add, &p);
	put_str(&p, "]");
	if (cur.below) {
		app_ctl_cursor_str(&cur, next, sizeof(next));
		put_str(&p, ",\"next\":\"");
		put_str(&p, next);
		put_str(&p, "\"");
	}
	put_str(&p, "}");
	if (!p.failed)
		return p.buf;
	free(p.buf);
	return NULL;
}

/* ---- summary ---- */

#define SUMMARY_MAX 1024u /* (connection, state) pairs; more are "other" */

struct tally {
	unsigned n, total, last;
	struct {
		const char *conn, *state;
		unsigned count;
	} t[SUMMARY_MAX];
};

static void tally_one(void *arg, const char *conn, const char *state)
{
	struct tally *y = arg;
	unsigned i = y->last;

	y->total++;
	if (i < y->n && y->t[i].state == state && strcmp(y->t[i].conn, conn) == 0) {
		y->t[i].count++;
		return;
	}
	for (i = 0; i < y->n; i++)
		if (y->t[i].state == state && strcmp(y->t[i].conn, conn) == 0)
			break;
	if (i == y->n && y->n == SUMMARY_MAX)
		return; /* counted in the total only */
	if (i == y->n)
		y->t[y->n++] = (typeof(y->t[0])){ conn, state, 0 };
	y->t[i].count++;
	y->last = i;
}

json_t *app_ctl_summary(struct ike_engine *e)
{
	struct tally *y = calloc(1, sizeof(*y));
	json_t *conns = json_object(), *r;

	if (!y || !conns) {
		free(y);
		json_decref(conns);
		return NULL;
	}
	ike_engine_count_sas(e, tally_one, y);
	for (unsigned i = 0; i < y->n; i++) {
		json_t *c = json_object_get(conns, y->t[i].conn);

		if (!c)
			json_object_set_new(conns, y->t[i].conn, c = json_object());
		json_object_set_new(c, y->t[i].state, json_integer(y->t[i].count));
	}
	r = json_pack("{s:b, s:I, s:o}", "ok", 1, "total", (json_int_t)y->total, "conns", conns);
	free(y);
	return r;
}
