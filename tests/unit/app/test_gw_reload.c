/* SPDX-License-Identifier: BSD-3-Clause */
/* A reload's static SAs and policies on a running control core
 * (app/gateway/gw_reload.c): the untouched SAs are the same objects after
 * it, the others removed, replaced or added, and IKE's rules stay in
 * front of the new configured ones. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/common/config.h"
#include "app/gateway/gw.h"
#include "app/gateway/gw_reload.h"
#include "fastpath/ctrl_core.h"
#include "fastpath/sad.h"
#include "tests/unit/test.h"
#include "tests/unit/test_eal.h"

static struct app_config *load_gw_json(void)
{
	static char text[16384];
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	FILE *f = fopen("tests/fastpath/gw.json", "r");
	char err[256];
	size_t n;

	CU_ASSERT_FATAL(cfg != NULL && f != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(app_config_parse(text, n, cfg, err, sizeof(err)), 0);
	return cfg;
}

/* What the gateway does at start (app/gateway/main.c tables_setup). */
static void install(struct fp_ctrl *c, const struct app_fp_cfg *f)
{
	struct fp_spd_rule r[APP_FP_MAX_POLICIES];
	struct fp_sa_params p;
	char err[160];

	for (unsigned i = 0; i < f->n_sas; i++) {
		CU_ASSERT_FATAL(app_gw_static_sa(&f->sas[i], &p, err, sizeof(err)) == 0);
		CU_ASSERT_FATAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)) == 0);
	}
	for (unsigned i = 0; i < f->n_policies; i++)
		app_gw_policy(&f->policies[i], &r[i]);
	CU_ASSERT_FATAL(fp_ctrl_spd_replace_config(c, r, f->n_policies, err, sizeof(err)) == 0);
}

/* An IKE CHILD SA's: inbound 0x9002, outbound 0x9001 for 203.0.113.200. */
static void ike_child(struct fp_ctrl *c)
{
	struct app_config *cfg = load_gw_json();
	struct fp_sa_params p;
	struct fp_spd_rule r;
	char err[160];

	cfg->fastpath.sas[0].spi = 0x9001;
	cfg->fastpath.sas[2].spi = 0x9002;
	CU_ASSERT_FATAL(app_gw_static_sa(&cfg->fastpath.sas[0], &p, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(app_gw_static_sa(&cfg->fastpath.sas[2], &p, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(fp_ctrl_add_sa(c, &p, err, sizeof(err)) == 0);
	cfg->fastpath.policies[2].spi = 0x9001;
	inet_pton(AF_INET, "203.0.113.200", cfg->fastpath.policies[2].dst.start);
	inet_pton(AF_INET, "203.0.113.200", cfg->fastpath.policies[2].dst.end);
	app_gw_policy(&cfg->fastpath.policies[2], &r);
	r.origin = FP_SPD_DYNAMIC;
	CU_ASSERT_FATAL(fp_ctrl_spd_prepend(c, &r, 1, err, sizeof(err)) == 0);
	app_config_clear(cfg);
	free(cfg);
}

static uint32_t to(const struct fp_ctrl *c, const char *dst)
{
	uint8_t s[4], d[4];

	inet_pton(AF_INET, "198.51.100.9", s);
	inet_pton(AF_INET, dst, d);
	return fp_ctrl_spd_result(c, 4, 6, s, d, 1000, 80);
}

/* next: 0x1001 out gone, 0x1002 out with a new key, 0x2001 and 0x2002 in
 * as they were, 0x3003 in new; the last policy dropped. */
static void edit(struct app_fp_cfg *f)
{
	struct app_fp_sa added = f->sas[3];

	f->sas[0] = f->sas[1];
	f->sas[0].key[0] ^= 1;
	f->sas[1] = f->sas[2];
	f->sas[2] = f->sas[3];
	added.spi = 0x3003;
	f->sas[3] = added;
	f->n_policies--;
}

static void test_reload_static_sas(void)
{
	struct fp_ctrl_cfg cc = { .name = "gwr", .n_workers = 1, .max_sa = 64 };
	struct app_config *run = load_gw_json(), *next = load_gw_json();
	char err[300], msg[300];

	CU_ASSERT_FATAL(test_eal_init() == 0);
	struct fp_ctrl *c = fp_ctrl_create(&cc, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	install(c, &run->fastpath);
	ike_child(c);
	const struct fp_sa *in1 = fp_ctrl_in_sa(c, 0x2001), *in2 = fp_ctrl_in_sa(c, 0x2002);
	const struct fp_sa *out2 = fp_ctrl_out_sa(c, 0x1002);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 6);
	edit(&next->fastpath);
	CU_ASSERT_EQUAL_FATAL(
		app_gw_fp_reload_check(c, &run->fastpath, &next->fastpath, err, sizeof(err)), 0);
	app_gw_fp_reload_apply(c, &run->fastpath, &next->fastpath, msg, sizeof(msg));
	CU_ASSERT_STRING_EQUAL(msg, "static SAs: 1 added, 1 removed, 1 changed; policies "
				    "replaced (4)");
	CU_ASSERT_PTR_NULL(fp_ctrl_out_sa(c, 0x1001));
	CU_ASSERT_PTR_NOT_NULL(fp_ctrl_out_sa(c, 0x1002));
	CU_ASSERT_PTR_NOT_EQUAL(fp_ctrl_out_sa(c, 0x1002), out2);
	CU_ASSERT_PTR_EQUAL(fp_ctrl_in_sa(c, 0x2001), in1); /* untouched: the same SA */
	CU_ASSERT_PTR_EQUAL(fp_ctrl_in_sa(c, 0x2002), in2);
	CU_ASSERT(fp_ctrl_has_in_sa(c, 0x3003));
	CU_ASSERT(fp_ctrl_has_in_sa(c, 0x9002) && fp_ctrl_out_sa(c, 0x9001) != NULL);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 5); /* IKE's one and the file's four */
	CU_ASSERT_EQUAL(fp_spd_slot(to(c, "203.0.113.200")), (uint32_t)fp_ctrl_out_slot(c, 0x9001));
	CU_ASSERT_EQUAL(fp_spd_slot(to(c, "203.0.113.201")), (uint32_t)fp_ctrl_out_slot(c, 0x1002));

	/* Nothing changed: nothing said, the same objects. */
	app_gw_fp_reload_apply(c, &next->fastpath, &next->fastpath, msg, sizeof(msg));
	CU_ASSERT_STRING_EQUAL(msg, "");
	CU_ASSERT_PTR_EQUAL(fp_ctrl_in_sa(c, 0x2001), in1);

	/* A new static SA on the SPI of IKE's inbound SA: refused, named. */
	run->fastpath = next->fastpath;
	next->fastpath.sas[3].spi = 0x9002;
	CU_ASSERT_EQUAL(
		app_gw_fp_reload_check(c, &run->fastpath, &next->fastpath, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "fastpath.static_sas: SA in 0x00009002: the SPI is held by an "
				    "IKE CHILD SA");
	/* A static SA that was already there keeps its SPI. */
	next->fastpath.sas[3].spi = 0x3003;
	next->fastpath.sas[3].key[1] ^= 1;
	CU_ASSERT_EQUAL(
		app_gw_fp_reload_check(c, &run->fastpath, &next->fastpath, err, sizeof(err)), 0);
	fp_ctrl_free(c);
	app_config_clear(run);
	app_config_clear(next);
	free(run);
	free(next);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

#define NO_IKE_FILE(spi, extra)                                                      \
	"{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\"]}]," \
	"\"static_sas\":[{\"spi\":" spi ",\"dir\":\"in\",\"local\":\"192.0.2.1\","   \
	"\"remote\":\"192.0.2.2\",\"cipher\":\"aes128gcm16\","                       \
	"\"key\":\"606162636465666768696a6b6c6d6e6f70717273\"}]}" extra "}"

/* SIGHUP on a gateway started without connections: no IKE engine, the
 * static SAs reloaded all the same, connections refused. */
static void test_reload_without_ike(void)
{
	struct fp_ctrl_cfg cc = { .name = "gwn", .n_workers = 1, .max_sa = 16 };
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	char path[] = "/tmp/gw_reload_XXXXXX", err[300], msg[600];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0 && cfg != NULL && test_eal_init() == 0);
	close(fd);
	write_file(path, NO_IKE_FILE("300", ""));
	CU_ASSERT_EQUAL_FATAL(app_config_load(path, cfg, err, sizeof(err)), 0);
	struct fp_ctrl *c = fp_ctrl_create(&cc, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	install(c, &cfg->fastpath);
	write_file(path, NO_IKE_FILE("301", ""));
	CU_ASSERT_EQUAL(app_gw_fp_reload(cfg, c, 0, msg, sizeof(msg)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg,
				      "0 added, 0 removed, 0 changed, 0 unchanged; static SAs: "
				      "1 added, 1 removed, 0 changed"));
	CU_ASSERT(fp_ctrl_has_in_sa(c, 301) && !fp_ctrl_has_in_sa(c, 300));
	CU_ASSERT_EQUAL(cfg->fastpath.sas[0].spi, 301); /* the running configuration now */
	write_file(
		path,
		NO_IKE_FILE(
			"302",
			",\"connections\":[{\"name\":\"c\","
			"\"local_addr\":\"192.0.2.1\",\"remote_addr\":\"192.0.2.2\",\"auth\":{\"method\":"
			"\"psk\",\"psk\":\"0123456789abcdef0123\"},"
			"\"children\":[{\"name\":\"n\",\"local_ts\":[\"0.0.0.0/0\"],"
			"\"remote_ts\":[\"0.0.0.0/0\"]}]}]"));
	CU_ASSERT_EQUAL(app_gw_fp_reload(cfg, c, 0, msg, sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "adding some needs a restart; nothing changed"));
	CU_ASSERT(fp_ctrl_has_in_sa(c, 301) && !fp_ctrl_has_in_sa(c, 302));
	unlink(path);
	fp_ctrl_free(c);
	app_config_clear(cfg);
	free(cfg);
}

/* fastpath.max_sas against the EAL's free memory. */
static void test_sa_room(void)
{
	size_t per = fp_sad_bytes(1);
	uint32_t max = 0;
	char msg[400];

	CU_ASSERT_EQUAL(app_gw_sa_room(0, 2 * per * 5000, &max, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(max, 5000); /* half of it */
	CU_ASSERT_EQUAL(app_gw_sa_room(0, (size_t)1 << 40, &max, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(max, APP_FP_SAS_DEFAULT);
	CU_ASSERT_EQUAL(app_gw_sa_room(8192, per * 8192, &max, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(max, 8192); /* given: all of it may go */
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "room for 8192 SAs per direction (fastpath.max_sas;"));
	max = 1;
	CU_ASSERT_EQUAL(app_gw_sa_room(8192, per * 8192 - 1, &max, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(max, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "fastpath.max_sas 8192: about "));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "lower fastpath.max_sas or give the EAL more memory"));
	CU_ASSERT_EQUAL(app_gw_sa_room(0, per * APP_FP_SAS_MIN, &max, msg, sizeof(msg)), -1);
}

static const struct test_case cases[] = {
	{ "sa_room", test_sa_room },
	{ "without_ike", test_reload_without_ike },
	{ "static_sas_and_policies", test_reload_static_sas },
	{ NULL, NULL },
};
TEST_SUITE(gw_reload, cases)
