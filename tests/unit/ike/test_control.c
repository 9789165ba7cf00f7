/* SPDX-License-Identifier: BSD-3-Clause */
/* Operators' commands (ike_engine_command, the control socket): which SA
 * a selector names, that a spoofed IKE_SA_INIT never takes an established
 * SA's place, and shutdown deleting every SA. Three engines on an
 * in-memory network: B answers any peer of 192.0.2.0/24 on connection
 * "c"; A1 (192.0.2.1) and A3 (192.0.2.3) connect to it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "app/common/ctl_socket.h"
#include "tests/unit/ike/conn_fixture.h"
#include "tests/unit/test.h"

#define QMAX  64
#define N_ENG 4 /* index = last octet of the engine's address; 0 unused */

struct cpkt {
	ike_addr_t from, to;
	size_t len;
	uint8_t buf[2048];
};

struct ceng {
	struct ike_engine *e;
	unsigned n_type[16];
	uint32_t last_ike_id, last_child_id; /* of the last IKE_UP / CHILD_UP */
};

static struct {
	struct cpkt q[QMAX];
	unsigned n;
	uint64_t now;
	struct ceng eng[N_ENG];
} cn;

static void c_send(void *ctx, const ike_addr_t *l, const ike_addr_t *r, const uint8_t *buf,
		   size_t len)
{
	(void)ctx;
	CU_ASSERT_FATAL(cn.n < QMAX && len <= sizeof(cn.q[0].buf));
	cn.q[cn.n].from = *l;
	cn.q[cn.n].to = *r;
	cn.q[cn.n].len = len;
	memcpy(cn.q[cn.n].buf, buf, len);
	cn.n++;
}

static void c_event(void *ctx, const struct ike_event *ev)
{
	struct ceng *p = ctx;

	p->n_type[ev->type & 15]++;
	if (ev->type == IKE_EV_IKE_UP)
		p->last_ike_id = ev->ike_id;
	if (ev->type == IKE_EV_CHILD_UP && ev->child) {
		CU_ASSERT_EQUAL(ev->child->ike_id, ev->ike_id);
		p->last_child_id = ev->child->id;
	}
}

static void c_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	(void)lvl;
	if (getenv("TEST_IKE_LOG"))
		fprintf(stderr, "    [%u] %s\n", (unsigned)((struct ceng *)ctx - cn.eng), line);
}

static const struct ike_ops c_ops = { .send = c_send, .event = c_event, .log = c_log };

static void c_conn(struct ike_conn_cfg *c, unsigned me)
{
	test_psk_conn_trio(c, me);
}

static struct ike_engine *c_engine(unsigned me)
{
	struct ike_engine_cfg ec;
	struct ike_conn_cfg c;
	struct ike_engine *e;

	ike_engine_cfg_defaults(&ec);
	ec.log_level = IKE_LOG_DEBUG;
	e = ike_engine_new(&ec, &c_ops, &cn.eng[me]);
	CU_ASSERT_FATAL(e != NULL);
	c_conn(&c, me);
	CU_ASSERT_FATAL(ike_engine_add_conn(e, &c) == 0);
	return e;
}

static void c_setup(void)
{
	memset(&cn, 0, sizeof(cn));
	cn.now = 1000;
	for (unsigned i = 1; i < N_ENG; i++)
		cn.eng[i].e = c_engine(i);
}

static void c_teardown(void)
{
	for (unsigned i = 1; i < N_ENG; i++)
		ike_engine_free(cn.eng[i].e);
	memset(&cn, 0, sizeof(cn));
}

/* Delivers queued datagrams by their destination's last octet until the
 * network is quiet. */
static void c_pump(void)
{
	for (unsigned guard = 0; cn.n && guard < 400; guard++) {
		struct cpkt p = cn.q[0];
		unsigned to = p.to.a[3];

		memmove(cn.q, cn.q + 1, (cn.n - 1) * sizeof(cn.q[0]));
		cn.n--;
		if (to > 0 && to < N_ENG)
			ike_engine_input(cn.eng[to].e, &p.to, &p.from, p.buf, p.len, cn.now);
	}
}

static void c_establish(unsigned who)
{
	CU_ASSERT_EQUAL_FATAL(ike_engine_initiate(cn.eng[who].e, "c", cn.now), 0);
	c_pump();
	CU_ASSERT_EQUAL_FATAL(cn.eng[who].n_type[IKE_EV_CHILD_UP], 1);
}

/* A forged IKE_SA_INIT "from" 192.0.2.1, made by a throw-away engine with
 * that address; B answers it and holds a half-open SA of connection c. */
static void c_spoof_init(void)
{
	struct ike_engine *m = c_engine(1);
	struct ike_stats st;

	cn.n = 0;
	CU_ASSERT_EQUAL_FATAL(ike_engine_initiate(m, "c", cn.now), 0);
	CU_ASSERT_EQUAL_FATAL(cn.n, 1);
	ike_engine_input(cn.eng[2].e, &cn.q[0].to, &cn.q[0].from, cn.q[0].buf, cn.q[0].len, cn.now);
	cn.n = 0; /* B's answer never reaches anyone */
	ike_engine_free(m);
	ike_engine_stats(cn.eng[2].e, &st);
	CU_ASSERT_EQUAL_FATAL(st.half_open, 1);
}

/* Each command by connection name, after a spoofed IKE_SA_INIT made a
 * newer (half-open) SA of the connection: it acts on the established one. */
static void test_spoofed_init(void)
{
	struct ceng *a = &cn.eng[1];
	struct ike_engine *b;
	struct ike_stats st;
	unsigned down;

	c_setup();
	b = cn.eng[2].e;
	c_establish(1);
	c_spoof_init();
	CU_ASSERT_EQUAL(ike_engine_rekey_child(b, "c", cn.now), 0);
	c_pump();
	CU_ASSERT_EQUAL(a->n_type[IKE_EV_CHILD_REKEYED], 1);
	CU_ASSERT_EQUAL(ike_engine_dpd(b, "c", cn.now), 0);
	c_pump();
	CU_ASSERT_EQUAL(ike_engine_rekey_ike(b, "c", cn.now), 0);
	c_pump();
	CU_ASSERT_EQUAL(a->n_type[IKE_EV_IKE_REKEYED], 1);
	down = a->n_type[IKE_EV_CHILD_DOWN]; /* the rekeyed one's */
	CU_ASSERT_EQUAL(ike_engine_delete_child(b, "c", cn.now), 0);
	c_pump();
	CU_ASSERT_EQUAL(a->n_type[IKE_EV_CHILD_DOWN], down + 1);
	CU_ASSERT_EQUAL(ike_engine_delete_ike(b, "c", cn.now), 0);
	c_pump();
	CU_ASSERT_EQUAL(a->n_type[IKE_EV_IKE_DOWN], 1);
	ike_engine_stats(b, &st);
	CU_ASSERT_EQUAL(st.established, 0);
	/* The forged SA is not the operator's to delete, nor is it deleted
	 * in the established one's place: it times out on its own. */
	CU_ASSERT_EQUAL(st.half_open, 1);
	CU_ASSERT_EQUAL(ike_engine_delete_ike(b, "c", cn.now), -ENOENT);
	c_teardown();
}

struct c_sa_ids {
	uint32_t ike[4], child[4];
	ike_addr_t peer[4];
	unsigned n;
};

static void ids_visit(void *arg, const struct ike_sa_summary *s)
{
	struct c_sa_ids *ids = arg;

	if (ids->n >= 4 || strcmp(s->state, "ESTABLISHED") != 0)
		return;
	ids->peer[ids->n] = s->remote;
	ids->child[ids->n] = s->n_children ? s->children[0]->id : 0;
	ids->ike[ids->n++] = s->id;
}

/* B's established SA with peer 192.0.2.<who>: its IKE and CHILD SA ids. */
static void b_ids(unsigned who, uint32_t *ike, uint32_t *child)
{
	struct c_sa_ids ids = { .n = 0 };

	*ike = *child = 0;
	ike_engine_foreach_sa(cn.eng[2].e, ids_visit, &ids);
	for (unsigned i = 0; i < ids.n; i++)
		if (ids.peer[i].a[3] == who) {
			*ike = ids.ike[i];
			*child = ids.child[i];
		}
	CU_ASSERT_FATAL(*ike && *child);
}

static void c_two_peers(void)
{
	c_setup();
	c_establish(1);
	c_establish(3);
}

/* Ids: one counter for IKE and CHILD SAs, the same in events and listings. */
static void test_ids(void)
{
	uint32_t i1, c1, i3, c3;

	c_two_peers();
	b_ids(1, &i1, &c1);
	b_ids(3, &i3, &c3);
	CU_ASSERT(i1 != c1 && i1 != i3 && i1 != c3 && c1 != i3 && c1 != c3 && i3 != c3);
	CU_ASSERT_EQUAL(cn.eng[2].last_ike_id, i3);
	CU_ASSERT_EQUAL(cn.eng[2].last_child_id, c3);
	c_teardown();
}

static int cmd(enum ike_cmd k, const struct ike_sel *sel, uint32_t *acted)
{
	int r = ike_engine_command(cn.eng[2].e, k, sel, cn.now, acted);

	c_pump();
	return r;
}

/* Each selector alone picks the SA it names, not the connection's newest. */
static void test_selectors(void)
{
	struct ceng *a1 = &cn.eng[1], *a3 = &cn.eng[3];
	uint32_t i1, c1, i3, c3, acted = 0;
	unsigned down1;
	ike_addr_t p1;
	struct ike_id id1;

	c_two_peers();
	b_ids(1, &i1, &c1);
	b_ids(3, &i3, &c3);
	/* by the IKE SA's id: A1's, though A3's is newer */
	CU_ASSERT_EQUAL(cmd(IKE_CMD_REKEY_IKE, &(struct ike_sel){ .id = i1 }, &acted), 0);
	CU_ASSERT_EQUAL(acted, i1);
	CU_ASSERT_EQUAL(a1->n_type[IKE_EV_IKE_REKEYED], 1);
	CU_ASSERT_EQUAL(a3->n_type[IKE_EV_IKE_REKEYED], 0);
	/* by a CHILD SA's id, which stayed through the IKE rekey */
	CU_ASSERT_EQUAL(cmd(IKE_CMD_REKEY_CHILD, &(struct ike_sel){ .id = c1 }, &acted), 0);
	CU_ASSERT_EQUAL(acted, c1);
	CU_ASSERT_EQUAL(a1->n_type[IKE_EV_CHILD_REKEYED], 1);
	CU_ASSERT_EQUAL(a3->n_type[IKE_EV_CHILD_REKEYED], 0);
	/* by peer address */
	ike_addr_parse("192.0.2.1", &p1);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DPD, &(struct ike_sel){ .peer = &p1 }, &acted), 0);
	b_ids(1, &i1, &c1);
	CU_ASSERT_EQUAL(acted, i1);
	/* by peer identity */
	ike_id_parse("a1.example", &id1);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_REKEY_CHILD, &(struct ike_sel){ .peer_id = &id1 }, &acted), 0);
	CU_ASSERT_EQUAL(acted, c1);
	CU_ASSERT_EQUAL(a1->n_type[IKE_EV_CHILD_REKEYED], 2);
	CU_ASSERT_EQUAL(a3->n_type[IKE_EV_CHILD_REKEYED], 0);
	/* A3's CHILD SA by its id (A1's rekeyed ones went down too) */
	down1 = a1->n_type[IKE_EV_CHILD_DOWN];
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DELETE_CHILD, &(struct ike_sel){ .id = c3 }, &acted), 0);
	CU_ASSERT_EQUAL(a3->n_type[IKE_EV_CHILD_DOWN], 1);
	CU_ASSERT_EQUAL(a1->n_type[IKE_EV_CHILD_DOWN], down1);
	/* the connection alone: its newest, A1's since its IKE SA was rekeyed */
	b_ids(1, &i1, &c1);
	CU_ASSERT(i1 > i3);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DELETE_IKE, &(struct ike_sel){ .conn = "c" }, &acted), 0);
	CU_ASSERT_EQUAL(acted, i1);
	CU_ASSERT_EQUAL(a1->n_type[IKE_EV_IKE_DOWN], 1);
	CU_ASSERT_EQUAL(a3->n_type[IKE_EV_IKE_DOWN], 0);
	c_teardown();
}

/* Every field given must match. */
static void test_selector_spi_and_mismatch(void)
{
	uint32_t i1, c1, i3, c3;
	ike_addr_t p1;
	struct ike_id id3;

	c_two_peers();
	b_ids(1, &i1, &c1);
	b_ids(3, &i3, &c3);
	ike_addr_parse("192.0.2.1", &p1);
	ike_id_parse("a3.example", &id3);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DPD, &(struct ike_sel){ .peer = &p1, .id = i3 }, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DPD, &(struct ike_sel){ .peer = &p1, .peer_id = &id3 }, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DPD, &(struct ike_sel){ .conn = "zz" }, NULL), -ENOENT);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DPD, &(struct ike_sel){ .id = 9999 }, NULL), -ENOENT);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DPD, &(struct ike_sel){ .conn = NULL }, NULL), -EINVAL);
	/* A CHILD SA id does not name a CHILD SA of another IKE SA. */
	CU_ASSERT_EQUAL(cmd(IKE_CMD_REKEY_CHILD, &(struct ike_sel){ .id = c3, .peer = &p1 }, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(
		cn.eng[1].n_type[IKE_EV_CHILD_REKEYED] + cn.eng[3].n_type[IKE_EV_CHILD_REKEYED], 0);
	c_teardown();
}

/* SPIs as the data plane and list-sas show them: B's inbound or its
 * outbound (the peer's inbound). */
static void spi_visit(void *arg, const struct ike_sa_summary *s)
{
	uint32_t *spis = arg;

	if (s->remote.a[3] == 3 && s->n_children) {
		spis[0] = s->children[0]->spi_in;
		spis[1] = s->children[0]->spi_out;
	}
}

static void test_selector_spi(void)
{
	uint32_t spis[2] = { 0, 0 }, i3, c3, acted = 0;

	c_two_peers();
	ike_engine_foreach_sa(cn.eng[2].e, spi_visit, spis);
	b_ids(3, &i3, &c3);
	CU_ASSERT_FATAL(spis[0] && spis[1]);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_REKEY_CHILD, &(struct ike_sel){ .spi = spis[1] }, &acted), 0);
	CU_ASSERT_EQUAL(acted, c3);
	CU_ASSERT_EQUAL(cn.eng[3].n_type[IKE_EV_CHILD_REKEYED], 1);
	CU_ASSERT_EQUAL(cn.eng[1].n_type[IKE_EV_CHILD_REKEYED], 0);
	/* the replaced SA's SPI names nothing any more */
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DELETE_CHILD, &(struct ike_sel){ .spi = spis[0] }, NULL),
			-ENOENT);
	/* a CHILD command with an IKE SA's id: that IKE SA's CHILD SA */
	b_ids(3, &i3, &c3);
	CU_ASSERT_EQUAL(cmd(IKE_CMD_DELETE_CHILD, &(struct ike_sel){ .id = i3 }, &acted), 0);
	CU_ASSERT_EQUAL(acted, c3);
	c_teardown();
}

/* Shutdown: a Delete to each peer of the responder connection; a
 * half-open SA is dropped without one. */
static void test_delete_all(void)
{
	struct ike_stats st;

	c_two_peers();
	c_spoof_init();
	CU_ASSERT_EQUAL(ike_engine_delete_all(cn.eng[2].e, cn.now), 2);
	c_pump();
	CU_ASSERT_EQUAL(cn.eng[1].n_type[IKE_EV_IKE_DOWN], 1);
	CU_ASSERT_EQUAL(cn.eng[3].n_type[IKE_EV_IKE_DOWN], 1);
	ike_engine_stats(cn.eng[2].e, &st);
	CU_ASSERT_EQUAL(st.established, 0);
	CU_ASSERT_EQUAL(st.half_open, 0);
	c_teardown();
}

static void ctl(const char *req, const char *want)
{
	char *out = app_ctlsock_handle(cn.eng[2].e, NULL, req, strlen(req), cn.now);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	if (!strstr(out, want))
		fprintf(stderr, "\n%s: wanted '%s', got '%s'\n", req, want, out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	free(out);
	c_pump();
}

/* The control socket's selector fields, and what it answers. */
static void test_ctl_selectors(void)
{
	uint32_t i1, c1, i3, c3;
	char req[128], want[64];

	c_two_peers();
	b_ids(1, &i1, &c1);
	b_ids(3, &i3, &c3);
	ctl("{\"cmd\":\"dpd\"}", "needs \\\"conn\\\", \\\"id\\\"");
	ctl("{\"cmd\":\"dpd\",\"id\":\"x\"}", "\\\"id\\\" must be an SA id");
	ctl("{\"cmd\":\"dpd\",\"id\":-3}", "\\\"id\\\" must be an SA id");
	ctl("{\"cmd\":\"rekey-child\",\"spi\":\"zz\"}", "\\\"spi\\\" must be");
	ctl("{\"cmd\":\"dpd\",\"peer\":\"nope\"}", "\\\"peer\\\" must be an IP address");
	ctl("{\"cmd\":\"dpd\",\"peer_id\":\"%any\"}", "\\\"peer_id\\\" must be an identity");
	ctl("{\"cmd\":\"terminate\",\"id\":9999,\"peer\":\"192.0.2.9\"}",
	    "no established SA matches id 9999, peer 192.0.2.9");
	snprintf(req, sizeof(req), "{\"cmd\":\"rekey-child\",\"id\":\"%u\"}", c1);
	snprintf(want, sizeof(want), "{\"ok\":true,\"id\":%u}", c1);
	ctl(req, want);
	CU_ASSERT_EQUAL(cn.eng[1].n_type[IKE_EV_CHILD_REKEYED], 1);
	ctl("{\"cmd\":\"delete-child\",\"peer_id\":\"a3.example\"}", "{\"ok\":true,\"id\":");
	CU_ASSERT_EQUAL(cn.eng[3].n_type[IKE_EV_CHILD_DOWN], 1);
	snprintf(want, sizeof(want), "{\"ok\":true,\"id\":%u}", i3);
	ctl("{\"cmd\":\"terminate\",\"conn\":\"c\",\"peer\":\"192.0.2.3\"}", want);
	CU_ASSERT_EQUAL(cn.eng[3].n_type[IKE_EV_IKE_DOWN], 1);
	CU_ASSERT_EQUAL(cn.eng[1].n_type[IKE_EV_IKE_DOWN], 0);
	snprintf(want, sizeof(want), "\"id\":%u,\"conn\":\"c\"", i1);
	ctl("{\"cmd\":\"list-sas\"}", want);
	c_teardown();
}

static const struct test_case cases[] = {
	{ "a spoofed IKE_SA_INIT does not take the established SA's place", test_spoofed_init },
	{ "unique ids for IKE and CHILD SAs, in events and listings", test_ids },
	{ "selectors: id, child id, peer, identity, connection", test_selectors },
	{ "selectors: every field must match", test_selector_spi_and_mismatch },
	{ "selectors: a CHILD SA by either SPI", test_selector_spi },
	{ "shutdown deletes every IKE SA of a responder connection", test_delete_all },
	{ "control socket: selector fields and replies", test_ctl_selectors },
	{ NULL, NULL },
};
TEST_SUITE(control, cases)
