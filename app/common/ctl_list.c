/* SPDX-License-Identifier: BSD-3-Clause */
/* list-sas in pages and summary (ctl_list.h). */
#include <inttypes.h>
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

/* ---- one SA as JSON ---- */

static json_t *hex_u64(uint64_t v)
{
	char s[17];

	snprintf(s, sizeof(s), "%016" PRIx64, v);
	return json_string(s);
}

static json_t *hex_u32(uint32_t v)
{
	char s[9];

	snprintf(s, sizeof(s), "%08" PRIx32, v);
	return json_string(s);
}

static json_t *addr_json(const ike_addr_t *a)
{
	char s[80];

	return json_string(ike_addr_str(a, s, sizeof(s)));
}

static json_t *ts_list_json(const struct ike_ts *ts, unsigned n)
{
	json_t *arr = json_array();
	char s[128];

	for (unsigned i = 0; i < n && i < IKE_MAX_TS; i++)
		json_array_append_new(arr, json_string(ike_ts_str(&ts[i], s, sizeof(s))));
	return arr;
}

/* Seconds since t / until t (engine ms), null when t is 0 (none). */
static json_t *secs_since(uint64_t t, uint64_t now)
{
	return t ? json_integer((json_int_t)((now > t ? now - t : 0) / 1000)) : json_null();
}

static json_t *secs_until(uint64_t t, uint64_t now)
{
	return t ? json_integer((json_int_t)((t > now ? t - now : 0) / 1000)) : json_null();
}

static void add_counters(json_t *o, const struct ike_child_info *c)
{
	struct app_metrics_child m;

	memset(&m, 0, sizeof(m));
	counters_fn(counters_arg, c, &m);
	json_object_set_new(o, "fp",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "packets_in",
				      (json_int_t)m.packets[0], "bytes_in", (json_int_t)m.bytes[0],
				      "drops_in", (json_int_t)m.drops[0], "packets_out",
				      (json_int_t)m.packets[1], "bytes_out", (json_int_t)m.bytes[1],
				      "drops_out", (json_int_t)m.drops[1]));
}

static json_t *child_json(const struct ike_sa_summary *s, unsigned i, uint64_t now)
{
	const struct ike_child_info *c = s->children[i];
	char algs[128];
	json_t *o;

	o = json_pack("{s:I, s:s, s:o, s:o, s:s, s:s, s:b, s:o, s:o, s:o, s:o}", "id",
		      (json_int_t)c->id, "child", c->child ? c->child : "", "spi_in",
		      hex_u32(c->spi_in), "spi_out", hex_u32(c->spi_out), "algs",
		      ike_algs_str(&c->algs, false, algs, sizeof(algs)), "mode",
		      c->mode == IKE_MODE_TRANSPORT ? "transport" : "tunnel", "encap", c->encap,
		      "local_ts", ts_list_json(c->local_ts, c->n_local_ts), "remote_ts",
		      ts_list_json(c->remote_ts, c->n_remote_ts), "uptime_s",
		      secs_since(s->child_up[i], now), "rekey_in_s",
		      secs_until(s->child_rekey_at[i], now));
	if (o && counters_fn)
		add_counters(o, c);
	return o;
}

static json_t *sa_json(const struct ike_sa_summary *s, uint64_t now)
{
	json_t *children = json_array(), *sa;
	char algs[128];

	for (unsigned i = 0; i < s->n_children && i < IKE_MAX_CHILDREN * 2; i++)
		if (s->children[i])
			json_array_append_new(children, child_json(s, i, now));
	sa = json_pack("{s:I, s:s, s:o, s:o, s:b, s:s, s:s, s:o, s:o, s:b, s:b, s:o}", "id",
		       (json_int_t)s->id, "conn", s->conn ? s->conn : "", "spi_i",
		       hex_u64(s->spi_i), "spi_r", hex_u64(s->spi_r), "initiator", s->initiator,
		       "state", s->state ? s->state : "unknown", "ike_algs",
		       ike_algs_str(&s->algs, true, algs, sizeof(algs)), "local",
		       addr_json(&s->local), "remote", addr_json(&s->remote), "nat_local",
		       s->nat_local, "nat_remote", s->nat_remote, "children", children);
	if (!sa)
		return NULL;
	json_object_set_new(sa, "peer_id", s->peer_id ? json_string(s->peer_id) : json_null());
	json_object_set_new(sa, "uptime_s", secs_since(s->established, now));
	json_object_set_new(sa, "rekey_in_s", secs_until(s->rekey_at, now));
	return sa;
}

/* ---- list-sas ---- */

/* A page is written as it is built: its size and the time spent on it
 * include the JSON text, and the reply needs no second pass. */
struct page {
	char *buf;
	size_t len, cap;
	unsigned limit, n;
	uint64_t now, deadline_us;
	bool failed;
};

static void put(struct page *p, const char *s, size_t n)
{
	if (p->failed)
		return;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 65536;
		char *nb;

		while (cap < p->len + n + 1)
			cap *= 2;
		nb = realloc(p->buf, cap);
		if (!nb) {
			p->failed = true;
			return;
		}
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void put_str(struct page *p, const char *s)
{
	put(p, s, strlen(s));
}

/* The page ends at its count, its size (it must fit the socket's send
 * buffer, so that a slow client never holds the event loop) or its time. */
static bool page_add(void *arg, const struct ike_sa_summary *s)
{
	struct page *p = arg;
	json_t *sa = sa_json(s, p->now);
	char *t = sa ? json_dumps(sa, JSON_COMPACT) : NULL;

	json_decref(sa);
	if (!t) {
		p->failed = true;
		return false;
	}
	if (p->n++)
		put_str(p, ",");
	put_str(p, t);
	free(t);
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
