/* SPDX-License-Identifier: BSD-3-Clause */
/* Listings of many SAs (ike_engine_list_sas, list-sas and summary on the
 * control socket): pages that together show every SA once, a cursor that
 * stays right while SAs come and go between pages, each filter, and the
 * bound on SAs examined per page. Responder B (192.0.2.2) holds SAs of
 * A1 (192.0.2.1, identity a1.example) and A3 (192.0.2.3, a3.example). */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ike/ike.h"
#include "app/common/ctl_list.h"
#include "app/common/ctl_socket.h"
#include "tests/unit/ike/conn_fixture.h"
#include "tests/unit/test.h"

#define LQMAX 16
#define N_A1  30
#define N_A3  5

struct lpkt {
	ike_addr_t from, to;
	size_t len;
	uint8_t buf[2048];
};

static struct {
	struct lpkt q[LQMAX];
	unsigned n;
	uint64_t now;
	struct ike_engine *e[4]; /* by the address's last octet */
} ln;

static void l_send(void *ctx, const ike_addr_t *l, const ike_addr_t *r, const uint8_t *buf,
		   size_t len)
{
	(void)ctx;
	CU_ASSERT_FATAL(ln.n < LQMAX && len <= sizeof(ln.q[0].buf));
	ln.q[ln.n] = (struct lpkt){ .from = *l, .to = *r, .len = len };
	memcpy(ln.q[ln.n].buf, buf, len);
	ln.n++;
}

static const struct ike_ops l_ops = { .send = l_send };
static const char *l_id1; /* A1's identity instead of a1.example */

static void l_conn(struct ike_conn_cfg *c, unsigned me)
{
	test_psk_conn_trio(c, me);
	if (me == 1 && l_id1) { /* raw bytes, as a peer may send them */
		c->local_id.len = (uint8_t)strlen(l_id1);
		memcpy(c->local_id.data, l_id1, c->local_id.len);
	}
	c->children[0].rekey_time_s = 3600;
}

static struct ike_engine *l_engine(unsigned me)
{
	struct ike_engine_cfg ec;
	struct ike_conn_cfg c;
	struct ike_engine *e;

	ike_engine_cfg_defaults(&ec);
	e = ike_engine_new(&ec, &l_ops, NULL);
	CU_ASSERT_FATAL(e != NULL);
	l_conn(&c, me);
	CU_ASSERT_FATAL(ike_engine_add_conn(e, &c) == 0);
	return e;
}

static void l_pump(void)
{
	for (unsigned guard = 0; ln.n && guard < 400; guard++) {
		struct lpkt p = ln.q[0];
		unsigned to = p.to.a[3];

		memmove(ln.q, ln.q + 1, (ln.n - 1) * sizeof(ln.q[0]));
		ln.n--;
		if (to > 0 && to < 4 && ln.e[to])
			ike_engine_input(ln.e[to], &p.to, &p.from, p.buf, p.len, ln.now);
	}
}

/* One more IKE SA from A<who> to B, up when this returns. */
static void l_up(unsigned who)
{
	CU_ASSERT_EQUAL_FATAL(ike_engine_initiate_ex(ln.e[who], "c", NULL, ln.now, NULL), 0);
	l_pump();
	ln.now += 10;
}

/* B's SA #id deleted (its Delete answered). */
static void l_delete(uint32_t id)
{
	CU_ASSERT_EQUAL_FATAL(ike_engine_command(ln.e[2], IKE_CMD_DELETE_IKE,
						 &(struct ike_sel){ .id = id }, ln.now, NULL),
			      0);
	l_pump();
}

static void l_setup(void)
{
	memset(&ln, 0, sizeof(ln));
	ln.now = 1000;
	for (unsigned i = 1; i < 4; i++)
		ln.e[i] = l_engine(i);
	for (unsigned i = 0; i < N_A1; i++)
		l_up(1);
	for (unsigned i = 0; i < N_A3; i++)
		l_up(3);
}

static void l_teardown(void)
{
	for (unsigned i = 1; i < 4; i++)
		ike_engine_free(ln.e[i]);
	memset(&ln, 0, sizeof(ln));
}

/* What a listing collected: ids in order, up to a page's worth. */
struct got {
	uint32_t ids[256];
	unsigned n, page, limit;
	bool bad_order;
};

static bool got_one(void *arg, const struct ike_sa_summary *s)
{
	struct got *g = arg;

	if (g->n && s->id >= g->ids[g->n - 1])
		g->bad_order = true;
	if (g->n < 256)
		g->ids[g->n++] = s->id;
	return ++g->page < g->limit;
}

static void page(const struct ike_sa_filter *f, struct ike_sa_cursor *cur, unsigned scan,
		 struct got *g)
{
	g->page = 0;
	ike_engine_list_sas(ln.e[2], f, cur, scan, got_one, g);
}

/* Every page of size limit, from the start: the ids seen. */
static void list_all(const struct ike_sa_filter *f, unsigned limit, unsigned scan, struct got *g)
{
	struct ike_sa_cursor cur = { 0, 0 };
	unsigned pages = 0;

	memset(g, 0, sizeof(*g));
	g->limit = limit;
	do
		page(f, &cur, scan, g);
	while (cur.below && ++pages < 1000);
	CU_ASSERT(pages < 1000);
}

static unsigned count_id(const struct got *g, uint32_t id)
{
	unsigned n = 0;

	for (unsigned i = 0; i < g->n; i++)
		n += g->ids[i] == id;
	return n;
}

/* Pages of 7 put together are the whole list, newest first, once each. */
static void test_pages(void)
{
	struct got all, paged;

	l_setup();
	list_all(NULL, 1000, 0, &all);
	CU_ASSERT_EQUAL(all.n, N_A1 + N_A3);
	list_all(NULL, 7, 0, &paged);
	CU_ASSERT_EQUAL(paged.n, all.n);
	CU_ASSERT_FALSE(paged.bad_order);
	CU_ASSERT(memcmp(all.ids, paged.ids, all.n * sizeof(all.ids[0])) == 0);
	l_teardown();
}

/* Between pages: a listed SA, an unlisted one and the cursor's own SA
 * deleted, new SAs made. The rest is shown exactly once, the deleted
 * unlisted one and the new ones not at all. */
static void test_cursor_stable(void)
{
	struct ike_sa_cursor cur = { 0, 0 };
	uint32_t listed, unlisted, at_cursor, newest;
	struct got g, before;

	l_setup();
	list_all(NULL, 1000, 0, &before);
	memset(&g, 0, sizeof(g));
	g.limit = 10;
	page(NULL, &cur, 0, &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 10);
	CU_ASSERT_EQUAL(cur.below, g.ids[9]);
	listed = g.ids[3];
	unlisted = before.ids[20];
	l_delete(listed);
	l_delete(unlisted);
	l_up(1);
	page(NULL, &cur, 0, &g); /* resumes through the hint */
	CU_ASSERT_EQUAL(g.n, 20);
	at_cursor = cur.below;
	CU_ASSERT_EQUAL(at_cursor, g.ids[19]);
	l_delete(at_cursor);
	l_up(3);
	newest = before.ids[0];
	g.limit = 1000;
	page(NULL, &cur, 0, &g); /* resumes by a walk: its SA is gone */
	CU_ASSERT_EQUAL(cur.below, 0);
	CU_ASSERT_FALSE(g.bad_order);
	CU_ASSERT_EQUAL(g.n, before.n - 1);
	for (unsigned i = 0; i < before.n; i++)
		CU_ASSERT_EQUAL(count_id(&g, before.ids[i]), before.ids[i] == unlisted ? 0 : 1);
	for (unsigned i = 0; i < g.n; i++)
		CU_ASSERT(g.ids[i] <= newest);
	l_teardown();
}

static unsigned n_matching(const struct ike_sa_filter *f, unsigned scan)
{
	struct got g;

	list_all(f, 1000, scan, &g);
	return g.n;
}

/* A3's spoofed IKE_SA_INIT to B, whose answer is lost: a half-open SA. */
static void l_half_open(void)
{
	CU_ASSERT_EQUAL_FATAL(ike_engine_initiate_ex(ln.e[3], "c", NULL, ln.now, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ln.n, 1);
	ike_engine_input(ln.e[2], &ln.q[0].to, &ln.q[0].from, ln.q[0].buf, ln.q[0].len, ln.now);
	ln.n = 0;
}

static void test_filters(void)
{
	ike_addr_t p1, p3, p9;
	struct ike_id id1, id3, id9;

	l_setup();
	l_half_open();
	ike_addr_parse("192.0.2.1", &p1);
	ike_addr_parse("192.0.2.3", &p3);
	ike_addr_parse("192.0.2.9", &p9);
	ike_id_parse("a1.example", &id1);
	ike_id_parse("a3.example", &id3);
	ike_id_parse("a9.example", &id9);
	CU_ASSERT_EQUAL(n_matching(NULL, 0), N_A1 + N_A3 + 1);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .conn = "c" }, 0), N_A1 + N_A3 + 1);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .conn = "zz" }, 0), 0);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .peer = &p1 }, 0), N_A1);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .peer = &p3 }, 0), N_A3 + 1);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .peer = &p9 }, 0), 0);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .peer_id = &id1 }, 0), N_A1);
	/* the half-open SA has no authenticated identity */
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .peer_id = &id3 }, 0), N_A3);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .peer_id = &id9 }, 0), 0);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .state = "HALF_OPEN" }, 0), 1);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .state = "ESTABLISHED" }, 0),
			N_A1 + N_A3);
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .peer = &p3, .state = "ESTABLISHED" },
				   0),
			N_A3);
	/* examining 4 SAs a page still finds every match, over more pages */
	CU_ASSERT_EQUAL(n_matching(&(struct ike_sa_filter){ .peer_id = &id3 }, 4), N_A3);
	l_teardown();
}

static void test_scan_bound(void)
{
	struct ike_sa_cursor cur = { 0, 0 };
	struct ike_id id1;
	struct got g;

	l_setup();
	ike_id_parse("a1.example", &id1);
	memset(&g, 0, sizeof(g));
	g.limit = 1000;
	/* A3's are the newest: a page that may look at 4 SAs finds 4 of them */
	CU_ASSERT_EQUAL(ike_engine_list_sas(ln.e[2], &(struct ike_sa_filter){ .peer_id = &id1 },
					    &cur, 4, got_one, &g),
			4);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT(cur.below != 0);
	l_teardown();
}

/* ---- the control socket ---- */

static json_t *ctl(const char *req)
{
	char *out = app_ctlsock_handle(ln.e[2], NULL, req, strlen(req), ln.now);
	json_t *j = out ? json_loads(out, 0, NULL) : NULL;

	free(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	return j;
}

static void ctl_error(const char *req, const char *want)
{
	json_t *j = ctl(req);
	const char *e = json_string_value(json_object_get(j, "error"));

	CU_ASSERT(e && strstr(e, want));
	if (!e || !strstr(e, want))
		fprintf(stderr, "\n%s: wanted '%s', got '%s'\n", req, want, e ? e : "(none)");
	json_decref(j);
}

/* Pages of 8 through the socket, each request with the last "next". */
static void test_ctl_pages(void)
{
	char req[200];
	const char *next = NULL;
	unsigned total = 0, pages = 0;
	json_t *j = NULL, *sa;

	l_setup();
	do {
		snprintf(req, sizeof(req), "{\"cmd\":\"list-sas\",\"limit\":8%s%s%s}",
			 next ? ",\"cursor\":\"" : "", next ? next : "", next ? "\"" : "");
		json_decref(j);
		j = ctl(req);
		CU_ASSERT_FATAL(json_is_true(json_object_get(j, "ok")));
		total += json_array_size(json_object_get(j, "sas"));
		CU_ASSERT(json_array_size(json_object_get(j, "sas")) <= 8);
		next = json_string_value(json_object_get(j, "next"));
	} while (next && ++pages < 100);
	json_decref(j);
	CU_ASSERT_EQUAL(total, N_A1 + N_A3);
	ln.now += 5000;
	j = ctl("{\"cmd\":\"list-sas\",\"peer_id\":\"a3.example\",\"limit\":1}");
	sa = json_array_get(json_object_get(j, "sas"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(sa, "peer_id")), "a3.example");
	CU_ASSERT(json_integer_value(json_object_get(sa, "uptime_s")) >= 5);
	sa = json_array_get(json_object_get(sa, "children"), 0);
	CU_ASSERT(json_integer_value(json_object_get(sa, "rekey_in_s")) > 3000);
	CU_ASSERT(json_integer_value(json_object_get(sa, "rekey_in_s")) <= 3600);
	CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(j, "next")));
	json_decref(j);
	l_teardown();
}

static void test_ctl_errors_summary(void)
{
	json_t *j, *c;

	l_setup();
	l_half_open();
	ctl_error("{\"cmd\":\"list-sas\",\"limit\":0}", "\"limit\" must be");
	ctl_error("{\"cmd\":\"list-sas\",\"cursor\":\"x\"}", "\"cursor\" must be");
	ctl_error("{\"cmd\":\"list-sas\",\"cursor\":\"12\"}", "\"cursor\" must be");
	ctl_error("{\"cmd\":\"list-sas\",\"state\":\"UP\"}", "\"state\" must be");
	ctl_error("{\"cmd\":\"list-sas\",\"peer\":\"x\"}", "\"peer\" must be");
	ctl_error("{\"cmd\":\"list-sas\",\"id\":3}", "filters by");
	j = ctl("{\"cmd\":\"list-sas\",\"state\":\"HALF_OPEN\"}");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "sas")), 1);
	CU_ASSERT_PTR_NULL(json_object_get(j, "next"));
	json_decref(j);
	j = ctl("{\"cmd\":\"summary\"}");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "total")), N_A1 + N_A3 + 1);
	c = json_object_get(json_object_get(j, "conns"), "c");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c, "ESTABLISHED")), N_A1 + N_A3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c, "HALF_OPEN")), 1);
	json_decref(j);
	l_teardown();
}

/* An identity with a quote, a backslash and bytes outside printable
 * ASCII, as a peer may send: the page stays JSON and gives it back (the
 * identity's text shows those bytes as '?'). */
static void test_ctl_escaping(void)
{
	json_t *j, *sa;

	l_id1 = "we\"ird\\id\x01\xe9.example";
	l_setup();
	l_id1 = NULL;
	j = ctl("{\"cmd\":\"list-sas\",\"peer\":\"192.0.2.1\",\"limit\":1}");
	sa = json_array_get(json_object_get(j, "sas"), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(sa, "peer_id")),
			       "we\"ird\\id??.example");
	json_decref(j);
	l_teardown();
}

/* After serving a request the socket rests (poll fd -1, a wake time
 * given), then is polled again. */
static void test_ctl_rest(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char req[] = "{\"cmd\":\"list-sas\"}\n";
	struct app_ctlsock *c;
	uint64_t wake = UINT64_MAX;
	char err[256], buf[4096];
	int fd;

	l_setup();
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/ipsecgw-test-rest-%d.sock", getpid());
	c = app_ctlsock_open(sun.sun_path, ln.e[2], NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(app_ctlsock_poll_fd(c, &wake), app_ctlsock_fd(c));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CU_ASSERT_FATAL(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	app_ctlsock_serve(c, ln.now);
	CU_ASSERT(read(fd, buf, sizeof(buf)) > 0);
	close(fd);
	CU_ASSERT_EQUAL(app_ctlsock_poll_fd(c, &wake), -1);
	CU_ASSERT(wake != UINT64_MAX);
	usleep(110000); /* longer than the longest rest */
	CU_ASSERT_EQUAL(app_ctlsock_poll_fd(c, NULL), app_ctlsock_fd(c));
	app_ctlsock_close(c);
	l_teardown();
}

/* SAs deleted in a scrambled order (the newest, the oldest, ones in
 * between) while new ones come: after each step the list of all SAs holds
 * exactly the live ones, newest first (the reap unlinks the dead through
 * their back pointers, without a walk). */
static void test_delete_order(void)
{
	uint32_t live[N_A1 + N_A3 + 8];
	unsigned n = 0, added = 0;
	struct got g;

	l_setup();
	list_all(NULL, 1000, 0, &g);
	for (unsigned i = 0; i < g.n; i++)
		live[n++] = g.ids[i];
	for (unsigned step = 0; n > 0; step++) {
		unsigned k = step % 3 == 0 ? 0 : step % 3 == 1 ? n - 1 : (step * 7) % n;

		l_delete(live[k]);
		memmove(live + k, live + k + 1, (n - k - 1) * sizeof(live[0]));
		n--;
		if (step % 5 == 4 && added < 8) {
			l_up(1 + 2 * (added % 2)); /* the newest: first */
			memmove(live + 1, live, n * sizeof(live[0]));
			list_all(NULL, 1, 0, &g);
			live[0] = g.ids[0];
			n++;
			added++;
		}
		list_all(NULL, 1000, 0, &g);
		CU_ASSERT_EQUAL_FATAL(g.n, n);
		CU_ASSERT_FALSE(g.bad_order);
		CU_ASSERT(memcmp(g.ids, live, n * sizeof(live[0])) == 0);
	}
	CU_ASSERT_EQUAL(added, 8);
	l_teardown();
}

static const struct test_case cases[] = {
	{ "deletes in any order keep the list of all SAs whole", test_delete_order },
	{ "pages together list every SA once, newest first", test_pages },
	{ "a cursor stays right while SAs come and go between pages", test_cursor_stable },
	{ "filters: connection, peer, identity, state", test_filters },
	{ "a page examines at most max_scan SAs", test_scan_bound },
	{ "control socket: list-sas pages, fields", test_ctl_pages },
	{ "control socket: list-sas errors, summary", test_ctl_errors_summary },
	{ "control socket: a peer's odd identity stays valid JSON", test_ctl_escaping },
	{ "control socket: rests after a request, then serves again", test_ctl_rest },
	{ NULL, NULL },
};
TEST_SUITE(listing, cases)
