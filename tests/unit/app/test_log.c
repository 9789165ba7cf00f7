/* SPDX-License-Identifier: BSD-3-Clause */
/* The log lines of both programs (app/common/log.c): the text, journal and
 * JSON shapes of one line, level and subsystem names, per-subsystem
 * filtering, DPDK's lines, the line limiter, and the log keys of the
 * configuration. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/common/config.h"
#include "app/common/ctl_socket.h"
#include "app/common/log.h"
#include "tests/unit/test.h"

/* 1970-01-02T03:04:05.678 in UTC. */
static const struct timespec ts0 = { 97445, 678000000 };

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_text_line(void)
{
	struct app_log_style st = { APP_LOG_FMT_TEXT, false };
	char buf[256];
	size_t n;

	utc();
	n = app_log_format(buf, sizeof(buf), &st, &ts0, APP_LOG_FASTPATH, IKE_LOG_WARN,
			   "port lan: start\x01\x1b[2Jfake");
	CU_ASSERT_STRING_EQUAL(buf,
			       "1970-01-02T03:04:05.678 WARN fastpath: port lan: start??[2Jfake\n");
	CU_ASSERT_EQUAL(n, strlen(buf));
	app_log_format(buf, sizeof(buf), &st, &ts0, APP_LOG_IKE, IKE_LOG_ERR, "x\ny");
	CU_ASSERT_STRING_EQUAL(buf, "1970-01-02T03:04:05.678 ERR ike: x?y\n");
}

static void test_journal_line(void)
{
	struct app_log_style st = { APP_LOG_FMT_TEXT, true };
	char buf[256];

	app_log_format(buf, sizeof(buf), &st, &ts0, APP_LOG_EAL, IKE_LOG_WARN, "m");
	CU_ASSERT_STRING_EQUAL(buf, "<4>WARN eal: m\n");
	app_log_format(buf, sizeof(buf), &st, &ts0, APP_LOG_CONTROL, IKE_LOG_DEBUG, "m");
	CU_ASSERT_STRING_EQUAL(buf, "<7>DEBUG control: m\n");
	CU_ASSERT_EQUAL(app_log_priority(IKE_LOG_ERR), 3);
	CU_ASSERT_EQUAL(app_log_priority(IKE_LOG_WARN), 4);
	CU_ASSERT_EQUAL(app_log_priority(IKE_LOG_INFO), 6);
	CU_ASSERT_EQUAL(app_log_priority(IKE_LOG_DEBUG), 7);
}

/* buf must be one JSON object and a newline; its fields are checked. */
static void expect_json(const char *buf, const char *level, const char *subsys, const char *msg)
{
	size_t n = strlen(buf);
	json_error_t je;
	json_t *j;

	CU_ASSERT(n > 0 && buf[n - 1] == '\n');
	j = json_loadb(buf, n, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "time")),
			       "1970-01-02T03:04:05.678");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "level")), level);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "subsys")), subsys);
	if (msg)
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "msg")), msg);
	json_decref(j);
}

static void test_json_line(void)
{
	struct app_log_style st = { APP_LOG_FMT_JSON, false };
	char buf[256], big[4000], small[216];

	utc();
	app_log_format(buf, sizeof(buf), &st, &ts0, APP_LOG_EAL, IKE_LOG_INFO,
		       "a \"q\" \\ \x01 \x7f end");
	expect_json(buf, "INFO", "eal", "a \"q\" \\ \x01 \x7f end");
	/* Cut short, a line is still one valid object, within its buffer. */
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(small, 'Z', sizeof(small));
	app_log_format(small, 200, &st, &ts0, APP_LOG_IKE, IKE_LOG_ERR, big);
	CU_ASSERT(strlen(small) < 200);
	for (size_t i = 200; i < sizeof(small); i++)
		CU_ASSERT_EQUAL(small[i], 'Z');
	expect_json(small, "ERR", "ike", NULL);
	st.journal = true;
	app_log_format(buf, sizeof(buf), &st, &ts0, APP_LOG_IKE, IKE_LOG_ERR, "m");
	CU_ASSERT_EQUAL(strncmp(buf, "<3>{", 4), 0);
	expect_json(buf + 3, "ERR", "ike", "m");
}

static void test_names(void)
{
	static const struct {
		const char *name;
		enum ike_log_level lvl;
	} ok[] = { { "error", IKE_LOG_ERR }, { "err", IKE_LOG_ERR },   { "warning", IKE_LOG_WARN },
		   { "warn", IKE_LOG_WARN }, { "info", IKE_LOG_INFO }, { "debug", IKE_LOG_DEBUG } };
	enum ike_log_level lvl;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		lvl = (enum ike_log_level)99;
		CU_ASSERT_EQUAL(app_log_parse_level(ok[i].name, &lvl), 0);
		CU_ASSERT_EQUAL(lvl, ok[i].lvl);
	}
	CU_ASSERT_EQUAL(app_log_parse_level("verbose", &lvl), -1);
	CU_ASSERT_EQUAL(app_log_parse_level("", &lvl), -1);
	CU_ASSERT_EQUAL(app_log_parse_level("INFO", &lvl), -1);
	CU_ASSERT_EQUAL(app_log_parse_subsys("ike"), APP_LOG_IKE);
	CU_ASSERT_EQUAL(app_log_parse_subsys("fastpath"), APP_LOG_FASTPATH);
	CU_ASSERT_EQUAL(app_log_parse_subsys("eal"), APP_LOG_EAL);
	CU_ASSERT_EQUAL(app_log_parse_subsys("control"), APP_LOG_CONTROL);
	CU_ASSERT_EQUAL(app_log_parse_subsys("all"), APP_LOG_NSUB);
	CU_ASSERT_EQUAL(app_log_parse_subsys("fast"), -1);
	CU_ASSERT_EQUAL(app_log_parse_subsys(""), -1);
	CU_ASSERT_STRING_EQUAL(app_log_subsys_name(APP_LOG_CONTROL), "control");
}

/* What app_logs() wrote to a scratch file, as one string (freed by the
 * caller). */
static char *captured(FILE *f)
{
	long n;
	char *s;

	app_log_flush();
	n = ftell(f);
	s = calloc(1, (size_t)n + 1);
	rewind(f);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	return s;
}

static void test_subsys_levels(void)
{
	FILE *f = tmpfile();
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	app_log_set_output(f);
	app_log_set_level(IKE_LOG_INFO);
	app_log_set_subsys_level(APP_LOG_FASTPATH, IKE_LOG_DEBUG);
	app_log_set_subsys_level(APP_LOG_IKE, IKE_LOG_ERR);
	app_logs(APP_LOG_FASTPATH, IKE_LOG_DEBUG, "fp-debug %d", 1);
	app_log(IKE_LOG_WARN, "ike-warn");
	app_log(IKE_LOG_ERR, "ike-err");
	app_logs(APP_LOG_CONTROL, IKE_LOG_INFO, "ctl-info");
	app_logs(APP_LOG_CONTROL, IKE_LOG_DEBUG, "ctl-debug");
	app_log_set_subsys_level(APP_LOG_EAL, IKE_LOG_WARN);
	app_log_dpdk_line(IKE_LOG_WARN, "EAL: one\nEAL: two\n", 18);
	app_log_dpdk_line(IKE_LOG_INFO, "EAL: quiet\n", 11);
	s = captured(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " DEBUG fastpath: fp-debug 1\n"));
	CU_ASSERT_PTR_NULL(strstr(s, "ike-warn"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " ERR ike: ike-err\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " INFO control: ctl-info\n"));
	CU_ASSERT_PTR_NULL(strstr(s, "ctl-debug"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " WARN eal: EAL: one\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " WARN eal: EAL: two\n"));
	CU_ASSERT_PTR_NULL(strstr(s, "quiet"));
	CU_ASSERT_EQUAL(app_log_get_level(), IKE_LOG_ERR);
	free(s);
	app_log_set_output(NULL);
	app_log_set_level(IKE_LOG_INFO);
	fclose(f);
}

static void test_limit(void)
{
	struct app_log_limit l;
	unsigned held = 99, ok = 0;

	memset(&l, 0, sizeof(l));
	for (int i = 0; i < 7; i++) {
		ok += app_log_limit_take(&l, 1000 + (uint64_t)i, 5, 10000, &held);
		CU_ASSERT_EQUAL(held, 0);
	}
	CU_ASSERT_EQUAL(ok, 5);
	CU_ASSERT_FALSE(app_log_limit_take(&l, 10999, 5, 10000, &held));
	CU_ASSERT_TRUE(app_log_limit_take(&l, 11000, 5, 10000, &held));
	CU_ASSERT_EQUAL(held, 3);
	CU_ASSERT_TRUE(app_log_limit_take(&l, 11001, 5, 10000, &held));
	CU_ASSERT_EQUAL(held, 0);
}

/* {"log": LOG} with the least a file needs beside it (a fast path port). */
static int parse(const char *log, struct app_config *cfg, char *err, size_t len)
{
	char doc[600];

	snprintf(doc, sizeof(doc),
		 "{\"fastpath\":{\"workers\":1,\"ports\":[{\"name\":\"p0\","
		 "\"devargs\":\"net_null0\"}]},\"log\":%s}",
		 log);
	memset(cfg, 0, sizeof(*cfg));
	return app_config_parse(doc, strlen(doc), cfg, err, len);
}

static void test_config_keys(void)
{
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	char err[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(parse("{\"level\":\"warn\",\"format\":\"json\","
			      "\"levels\":{\"fastpath\":\"debug\",\"control\":\"error\"}}",
			      cfg, err, sizeof(err)),
			0);
	CU_ASSERT_TRUE(cfg->log_json);
	CU_ASSERT_EQUAL(cfg->log_levels[APP_LOG_FASTPATH], IKE_LOG_DEBUG);
	CU_ASSERT_EQUAL(cfg->log_levels[APP_LOG_CONTROL], IKE_LOG_ERR);
	CU_ASSERT_EQUAL(cfg->log_levels[APP_LOG_IKE], -1);
	app_config_apply_log(cfg);
	CU_ASSERT_EQUAL(app_log_subsys_level(APP_LOG_IKE), IKE_LOG_WARN);
	CU_ASSERT_EQUAL(app_log_subsys_level(APP_LOG_FASTPATH), IKE_LOG_DEBUG);
	CU_ASSERT_EQUAL(cfg->engine.log_level, IKE_LOG_WARN);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL(parse("{}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(cfg->log_json);
	CU_ASSERT_EQUAL(cfg->log_levels[APP_LOG_FASTPATH], -1);
	app_config_clear(cfg);
	CU_ASSERT_NOT_EQUAL(parse("{\"format\":\"xml\"}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "log.format"));
	CU_ASSERT_NOT_EQUAL(parse("{\"levels\":{\"dpdk\":\"info\"}}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown subsystem 'dpdk'"));
	CU_ASSERT_NOT_EQUAL(parse("{\"levels\":{\"eal\":\"loud\"}}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "log.levels"));
	/* back to the defaults for the suites after this one */
	app_log_set_level(IKE_LOG_INFO);
	app_log_set_format(APP_LOG_FMT_TEXT);
	app_log_set_journal(false);
	free(cfg);
}

/* The control socket's log-level command (both programs serve it). */
static char *ctl(struct ike_engine *e, const char *req)
{
	return app_ctlsock_handle(e, NULL, req, strlen(req), 0);
}

static void test_ctl_log_level(void)
{
	struct ike_engine_cfg ec;
	struct ike_engine *e;
	FILE *f = tmpfile();
	char *out;

	ike_engine_cfg_defaults(&ec);
	e = ike_engine_new(&ec, &(struct ike_ops){ 0 }, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	app_log_set_level(IKE_LOG_INFO);
	app_log_set_output(f);
	out = ctl(e, "{\"cmd\":\"log-level\",\"subsys\":\"fastpath\",\"level\":\"debug\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"ok\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"fastpath\":\"debug\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"ike\":\"info\""));
	CU_ASSERT_EQUAL(app_log_subsys_level(APP_LOG_FASTPATH), IKE_LOG_DEBUG);
	CU_ASSERT_EQUAL(app_log_subsys_level(APP_LOG_EAL), IKE_LOG_INFO);
	free(out);
	out = ctl(e, "{\"cmd\":\"log-level\",\"subsys\":\"all\",\"level\":\"warning\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"ok\":true"));
	for (int i = 0; i < APP_LOG_NSUB; i++)
		CU_ASSERT_EQUAL(app_log_subsys_level((enum app_log_subsys)i), IKE_LOG_WARN);
	free(out);
	out = ctl(e, "{\"cmd\":\"log-level\",\"subsys\":\"dpdk\",\"level\":\"debug\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "unknown subsystem 'dpdk'"));
	free(out);
	out = ctl(e, "{\"cmd\":\"log-level\",\"subsys\":\"ike\",\"level\":\"loud\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "unknown level 'loud'"));
	free(out);
	out = ctl(e, "{\"cmd\":\"log-level\",\"subsys\":\"ike\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "takes a subsystem and a level"));
	free(out);
	out = ctl(e, "{\"cmd\":\"log-level\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"control\":\"warning\""));
	CU_ASSERT_EQUAL(app_log_subsys_level(APP_LOG_IKE), IKE_LOG_WARN);
	free(out);
	ike_engine_free(e);
	app_log_set_output(NULL);
	if (f)
		fclose(f);
	app_log_set_level(IKE_LOG_INFO);
}

static void test_journal_stream(void)
{
	unsetenv("JOURNAL_STREAM");
	CU_ASSERT_FALSE(app_log_stderr_is_journal());
	setenv("JOURNAL_STREAM", "1:1", 1);
	CU_ASSERT_FALSE(app_log_stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
}

static const struct test_case cases[] = {
	{ "text line: time, level, subsystem, control characters", test_text_line },
	{ "journal line: <N> priority, no time", test_journal_line },
	{ "JSON line: valid and escaped, also cut short", test_json_line },
	{ "level and subsystem names", test_names },
	{ "levels per subsystem, DPDK's lines", test_subsys_levels },
	{ "line limiter: burst, then the count held back", test_limit },
	{ "log.format and log.levels", test_config_keys },
	{ "JOURNAL_STREAM must name stderr", test_journal_stream },
	{ "control socket: log-level sets, lists, refuses unknown names", test_ctl_log_level },
	{ NULL, NULL },
};
TEST_SUITE(app_log, cases)
