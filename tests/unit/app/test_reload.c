/* SPDX-License-Identifier: BSD-3-Clause */
/* Live reload decisions (app/common/reload.h): which connections a new
 * file adds, removes, changes or leaves alone, and what needs a restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/config.h"
#include "app/common/reload.h"
#include "tests/unit/ike/pki_fixture.h"
#include "tests/unit/test.h"

#define CHILD(ts) "{'name':'net','local_ts':['198.51.100.0/24'],'remote_ts':['" ts "']}"
#define CONN(name, remote, extra, ts)                                                                            \
	"{'name':'" name "','local_addr':'192.0.2.1','remote_addr':'" remote "',"                                \
	"'auth':{'method':'psk','psk':'secret-psk-123'},'ike_proposals':['aes128gcm16-prfsha256-x25519']," extra \
	"'children':[" CHILD(ts) "]}"
#define A CONN("a", "192.0.2.2", "", "203.0.113.0/24")
#define B CONN("b", "192.0.2.3", "", "203.0.113.0/25")
#define C CONN("c", "192.0.2.4", "", "203.0.113.128/25")

static char err[512];

static struct app_config *parse(const char *doc)
{
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	char *text = strdup(doc);

	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (app_config_parse(text, strlen(text), cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "\nunexpected error: %s\n", err);
		CU_FAIL_FATAL("parse");
	}
	free(text);
	return cfg;
}

static void drop(struct app_config *cfg)
{
	app_config_clear(cfg);
	free(cfg);
}

static const struct app_conn_change_item *item(const struct app_conn_diff *d, const char *name)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->item[i].name, name) == 0)
			return &d->item[i];
	return NULL;
}

/* old -> next: the category of connection `name` and, for CHANGED, why. */
static const struct app_conn_change_item *diff_one(const char *old_doc, const char *next_doc,
						   const char *name, struct app_conn_diff *d)
{
	struct app_config *o = parse(old_doc), *n = parse(next_doc);

	app_conn_diff_free(d); /* an earlier diff_one's */
	app_config_diff_conns(o, n, d);
	drop(o);
	drop(n);
	return item(d, name);
}

static void test_categories(void)
{
	struct app_conn_diff d = { 0 };
	const struct app_conn_change_item *it;

	diff_one("{'connections':[" A "," B "," C "]}",
		 "{'connections':[" CONN("d", "192.0.2.5", "", "203.0.113.0/26") "," A "," CONN(
			 "b", "192.0.2.3", "", "203.0.113.0/26") "]}",
		 "a", &d);
	CU_ASSERT_EQUAL(d.n, 4);
	CU_ASSERT_EQUAL(d.count[APP_CONN_UNCHANGED], 1);
	CU_ASSERT_EQUAL(d.count[APP_CONN_ADDED], 1);
	CU_ASSERT_EQUAL(d.count[APP_CONN_REMOVED], 1);
	CU_ASSERT_EQUAL(d.count[APP_CONN_CHANGED], 1);
	CU_ASSERT(item(&d, "a") && item(&d, "a")->what == APP_CONN_UNCHANGED);
	CU_ASSERT(item(&d, "a") && !item(&d, "a")->creds);
	CU_ASSERT(item(&d, "b") && item(&d, "b")->what == APP_CONN_CHANGED);
	CU_ASSERT(item(&d, "c") && item(&d, "c")->what == APP_CONN_REMOVED);
	CU_ASSERT(item(&d, "d") && item(&d, "d")->what == APP_CONN_ADDED);
	it = item(&d, "b");
	CU_ASSERT(it && it->why && strcmp(it->why, "children") == 0);
	app_conn_diff_free(&d);
}

/* The same text twice: nothing changes (no padding or pointer compared). */
static void test_same_file(void)
{
	struct app_conn_diff d = { 0 };
	struct app_config *o = parse("{'connections':[" A "," B "]}");
	struct app_config *n = parse("{'connections':[" B "," A "]}");

	app_config_diff_conns(o, n, &d);
	CU_ASSERT_EQUAL(d.count[APP_CONN_UNCHANGED], 2);
	CU_ASSERT_EQUAL(d.n, 2);
	CU_ASSERT_FALSE(app_config_restart_needed(o, n, true, err, sizeof(err)));
	drop(o);
	drop(n);
	app_conn_diff_free(&d);
}

static void expect_changed(const char *extra_old, const char *extra_new, const char *why)
{
	struct app_conn_diff d = { 0 };
	char o[2048], n[2048];
	const struct app_conn_change_item *it;

	snprintf(o, sizeof(o),
		 "{'connections':[" CONN("a", "192.0.2.2", "%s", "203.0.113.0/24") "]}", extra_old);
	snprintf(n, sizeof(n),
		 "{'connections':[" CONN("a", "192.0.2.2", "%s", "203.0.113.0/24") "]}", extra_new);
	it = diff_one(o, n, "a", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(it);
	CU_ASSERT_EQUAL(it->what, APP_CONN_CHANGED);
	if (it->why && strcmp(it->why, why) != 0)
		fprintf(stderr, "\nwhy: '%s', expected '%s'\n", it->why, why);
	CU_ASSERT(it->why && strcmp(it->why, why) == 0);
	app_conn_diff_free(&d);
}

static void test_changes(void)
{
	struct app_conn_diff d = { 0 };
	char n[2048];

	expect_changed("", "'remote_id':'peer.example.org',", "identities");
	expect_changed("", "'rekey_time':600,", "IKE SA settings");
	expect_changed("", "'initiate':true,", "actions");
	expect_changed("", "'dpd_action':'restart',", "actions");
	CU_ASSERT_EQUAL(
		diff_one("{'connections':[" A "]}",
			 "{'connections':[" CONN("a", "192.0.2.9", "", "203.0.113.0/24") "]}", "a",
			 &d)
			->what,
		APP_CONN_CHANGED);
	CU_ASSERT_STRING_EQUAL(d.item[0].why, "remote address");
	snprintf(n, sizeof(n), "%s", "{'connections':[" A "]}");
	memcpy(strstr(n, "aes128gcm16-prf"), "aes256", 6);
	CU_ASSERT_EQUAL(diff_one("{'connections':[" A "]}", n, "a", &d)->what, APP_CONN_CHANGED);
	CU_ASSERT_STRING_EQUAL(d.item[0].why, "proposals");
	app_conn_diff_free(&d);
}

/* A PSK alone is a credential: the connection stays, updated in place. */
static void test_psk_in_place(void)
{
	struct app_conn_diff d = { 0 };
	char n[2048];
	const struct app_conn_change_item *it;

	snprintf(n, sizeof(n), "%s", "{'connections':[" A "]}");
	memcpy(strstr(n, "secret-psk-123"), "secret-psk-456", 14);
	it = diff_one("{'connections':[" A "]}", n, "a", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(it);
	CU_ASSERT_EQUAL(it->what, APP_CONN_UNCHANGED);
	CU_ASSERT_TRUE(it->creds);
	app_conn_diff_free(&d);
}

static char *cert_conn(char *buf, size_t len, const char *cert, const char *key)
{
	const char *dir = pki_fixture_dir();

	snprintf(buf, len,
		 "{'credentials':{'cacerts':['%s/root.crt'],'intermediates':['%s/inter.crt']},"
		 "'connections':[{'name':'a','local_addr':'192.0.2.1','remote_addr':'192.0.2.2',"
		 "'auth':{'method':'pubkey','cert':'%s/%s','key':'%s/%s'},"
		 "'children':[" CHILD("203.0.113.0/24") "]}]}",
		 dir, dir, dir, cert, dir, key);
	return buf;
}

/* Certificates are compared as certificates: two loads of one file are
 * the same (other pointers), another certificate is a credential change. */
static void test_certificates(void)
{
	static char a[2048], b[2048];
	struct app_conn_diff d = { 0 };
	const struct app_conn_change_item *it;

	if (!pki_fixture_dir())
		CU_FAIL_FATAL("no PKI fixture");
	cert_conn(a, sizeof(a), "p256chain.crt", "p256.key");
	it = diff_one(a, a, "a", &d);
	CU_ASSERT(it && it->what == APP_CONN_UNCHANGED && !it->creds);
	cert_conn(b, sizeof(b), "rsa.crt", "rsa.key");
	it = diff_one(a, b, "a", &d);
	CU_ASSERT(it && it->what == APP_CONN_UNCHANGED && it->creds);
	app_conn_diff_free(&d);
}

static void test_restart_needed(void)
{
	struct app_config *o = parse("{'local':{'addresses':['192.0.2.1']},'connections':[" A "]}");
	struct app_config *n =
		parse("{'local':{'addresses':['192.0.2.1','192.0.2.7']},'connections':[" A "]}");
	struct app_config *k = parse("{'local':{'addresses':['192.0.2.1']},"
				     "'control':{'socket':'/run/x.sock'},'connections':[" A "]}");
	struct app_config *m = parse("{'local':{'addresses':['192.0.2.1']},"
				     "'metrics':{'listen':'127.0.0.1:9460'},'connections':[" A
				     "]}");

	CU_ASSERT_TRUE(app_config_restart_needed(o, n, false, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "local (addresses"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a restart"));
	CU_ASSERT_TRUE(app_config_restart_needed(o, k, false, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "control.socket"));
	CU_ASSERT_FALSE(app_config_restart_needed(o, o, false, err, sizeof(err)));
	CU_ASSERT_TRUE(app_config_restart_needed(o, m, false, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "metrics.listen"));
	drop(o);
	drop(n);
	drop(k);
	drop(m);
}

#define FP_PORT "'ports':[{'name':'a','addresses':['192.0.2.1']}]"
#define FP_SA(spi)                                                            \
	"{'spi':" spi ",'dir':'in','local':'192.0.2.1','remote':'192.0.2.2'," \
	"'cipher':'aes128gcm16','key':'606162636465666768696a6b6c6d6e6f70717273'}"

/* The gateway applies static SAs, policies (app/gateway/gw_reload.c)
 * and routes (gw_routes.c) at run time; ports and workers still need a
 * restart. */
static void test_restart_fastpath(void)
{
	struct app_config *o = parse("{'fastpath':{" FP_PORT ",'static_sas':[" FP_SA("300") "]}}");
	struct app_config *s = parse("{'fastpath':{" FP_PORT ",'static_sas':[" FP_SA(
		"301") "],"
		       "'policies':[{'src':'0.0.0.0/0','dst':'0.0.0.0/0',"
		       "'action':'bypass'}]}}");
	struct app_config *w = parse("{'fastpath':{'workers':2," FP_PORT
				     ",'static_sas':[" FP_SA("300") "]}}");
	struct app_config *r = parse("{'fastpath':{" FP_PORT ",'static_sas':[" FP_SA(
		"300") "],'routes':[{'dst':'0.0.0.0/0','port':'a'}]}}");

	CU_ASSERT_FALSE(app_config_restart_needed(o, s, true, err, sizeof(err)));
	CU_ASSERT_TRUE(app_config_restart_needed(o, w, true, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "fastpath.workers changed: needs a restart");
	w->fastpath.workers = o->fastpath.workers;
	w->fastpath.max_sas = 4096;
	CU_ASSERT_TRUE(app_config_restart_needed(o, w, true, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "fastpath.max_sas changed: needs a restart");
	w->fastpath.max_sas = 0;
	w->fastpath.max_routes = 4096;
	CU_ASSERT_TRUE(app_config_restart_needed(o, w, true, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "fastpath.max_routes changed: needs a restart");
	CU_ASSERT_FALSE(app_config_restart_needed(o, r, true, err, sizeof(err)));
	CU_ASSERT_FALSE(app_config_restart_needed(o, w, false, err, sizeof(err))); /* the daemon */
	drop(o);
	drop(s);
	drop(w);
	drop(r);
}

static const struct test_case cases[] = {
	{ "added, removed, changed, unchanged by name", test_categories },
	{ "the same file twice: nothing changes", test_same_file },
	{ "each kind of setting makes a change, named", test_changes },
	{ "a new PSK: unchanged, credentials in place", test_psk_in_place },
	{ "certificates compared as certificates", test_certificates },
	{ "sockets, control socket, metrics: need a restart", test_restart_needed },
	{ "static SAs, policies, routes: no restart; workers: one", test_restart_fastpath },
	{ NULL, NULL },
};
TEST_SUITE(reload, cases)
