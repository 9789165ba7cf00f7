/* SPDX-License-Identifier: BSD-3-Clause */
/* app/common/privs.c (dropping privileges, in forked children: what is
 * dropped cannot come back) and the key log's refusals (app/common/log.c). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/common/config.h"
#include "app/common/log.h"
#include "app/common/privs.h"
#include "tests/unit/test.h"

/* ---- dropping, checked from /proc/self/status by the child ---- */

static unsigned long long status_hex(const char *field)
{
	char line[256];
	unsigned long long v = ~0ull;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static unsigned long status_dec(const char *field)
{
	char line[256];
	unsigned long v = ~0ul;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtoul(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* In the child: what must hold after the drop; the exit status says which
 * check failed (0: all held). */
static int child_checks(const char *user, unsigned long long want_caps)
{
	struct app_privs_cfg p = { .user = "", .group = "" };
	int keep[64], n = 0;
	char info[300], err[300];

	snprintf(p.user, sizeof(p.user), "%s", user);
	for (int c = 0; c < 64; c++)
		if (want_caps & (1ull << c))
			keep[n++] = c;
	if (app_privs_drop(&p, keep, (unsigned)n, info, sizeof(info), err, sizeof(err)) < 0) {
		fprintf(stderr, "\n    drop: %s\n", err);
		return 10;
	}
	if (status_hex("CapEff") != want_caps || status_hex("CapPrm") != want_caps)
		return 11;
	if (status_hex("CapBnd") != want_caps)
		return 12;
	if (status_dec("NoNewPrivs") != 1)
		return 13;
	if (user[0] && (getuid() != getpwnam(user)->pw_uid || geteuid() != getuid()))
		return 14;
	if (user[0] && (setuid(0) == 0 || seteuid(0) == 0))
		return 15;
	if (!strstr(info, "no new privileges"))
		return 16;
	return 0;
}

static int in_child(const char *user, unsigned long long want_caps)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(child_checks(user, want_caps));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static bool need_root(void)
{
	if (geteuid() == 0)
		return true;
	CU_FAIL("dropping privileges is tested as root (make test runs as root)");
	return false;
}

static void test_drop_to_user(void)
{
	if (!need_root())
		return;
	/* the daemon's case: a user, no capability */
	CU_ASSERT_EQUAL(in_child("nobody", 0), 0);
	/* one capability kept across the change of user */
	CU_ASSERT_EQUAL(in_child("nobody", 1ull << CAP_NET_BIND_SERVICE), 0);
}

static void test_drop_as_root(void)
{
	if (!need_root())
		return;
	/* no user: uid 0 stays, the capabilities go */
	CU_ASSERT_EQUAL(in_child("", (1ull << CAP_IPC_LOCK) | (1ull << CAP_NET_ADMIN)), 0);
	CU_ASSERT_EQUAL(in_child("", 0), 0);
}

static void test_drop_errors(void)
{
	struct app_privs_cfg p = { .user = "no-such-user-xyz", .group = "" };
	char info[200], err[200] = "";

	CU_ASSERT_EQUAL(app_privs_drop(&p, NULL, 0, info, sizeof(info), err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no user 'no-such-user-xyz'"));
	snprintf(p.user, sizeof(p.user), "nobody");
	snprintf(p.group, sizeof(p.group), "no-such-group-xyz");
	CU_ASSERT_EQUAL(app_privs_drop(&p, NULL, 0, info, sizeof(info), err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no group 'no-such-group-xyz'"));
}

/* ---- configuration ---- */

static int parse(const char *doc, struct app_config *cfg, char *err, size_t errlen)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{%s \"connections\":[{\"name\":\"a\",\"local_addr\":\"192.0.2.1\","
		 "\"remote_addr\":\"192.0.2.2\",\"auth\":{\"method\":\"psk\",\"psk\":"
		 "\"0123456789abcdef\"},\"children\":[{\"name\":\"n\",\"local_ts\":"
		 "[\"198.51.100.0/24\"],\"remote_ts\":[\"203.0.113.0/24\"]}]}]}",
		 doc);
	memset(cfg, 0, sizeof(*cfg));
	return app_config_parse(text, strlen(text), cfg, err, errlen);
}

static void test_config(void)
{
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	char err[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(parse("\"privileges\":{\"user\":\"ipsecgw\",\"group\":\"nogroup\"},", cfg,
			      err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(cfg->privs.user, "ipsecgw");
	CU_ASSERT_STRING_EQUAL(cfg->privs.group, "nogroup");
	app_config_clear(cfg);
	CU_ASSERT_EQUAL(parse("", cfg, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg->privs.user, "");
	app_config_clear(cfg);
	CU_ASSERT_NOT_EQUAL(parse("\"privileges\":{\"group\":\"nogroup\"},", cfg, err, sizeof(err)),
			    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "privileges.group: needs 'user'"));
	CU_ASSERT_NOT_EQUAL(parse("\"privileges\":{\"uid\":0},", cfg, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "uid"));
	free(cfg);
}

/* ---- the key log ---- */

static char dir[] = "/tmp/keylog-test-XXXXXX";

static const char *path_in(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static bool opens(const char *name)
{
	FILE *f = app_keylog_open(path_in(name));

	if (f)
		fclose(f);
	return f != NULL;
}

static void make_file(const char *name, mode_t mode, uid_t owner)
{
	FILE *f = fopen(path_in(name), "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	CU_ASSERT_EQUAL(chmod(path_in(name), mode), 0);
	CU_ASSERT_EQUAL(chown(path_in(name), owner, (gid_t)-1), 0);
}

static void test_keylog(void)
{
	struct stat st;
	FILE *quiet = fopen("/dev/null", "w");

	if (!need_root() || !mkdtemp(dir))
		return;
	app_log_set_output(quiet);
	CU_ASSERT(opens("new.log")); /* created 0600 */
	CU_ASSERT_EQUAL(stat(path_in("new.log"), &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT(opens("new.log")); /* ours, 0600: appended to */
	make_file("loose.log", 0644, geteuid());
	CU_ASSERT_FALSE(opens("loose.log"));
	make_file("theirs.log", 0600, 65534);
	CU_ASSERT_FALSE(opens("theirs.log"));
	CU_ASSERT_EQUAL(symlink("new.log", path_in("link.log")), 0);
	CU_ASSERT_FALSE(opens("link.log"));
	CU_ASSERT_EQUAL(mkfifo(path_in("fifo.log"), 0600), 0);
	CU_ASSERT_FALSE(opens("fifo.log"));
	/* a device of ours, 0600 (a key log pointed at /dev/null's twin) */
	CU_ASSERT_EQUAL(mknod(path_in("dev.log"), S_IFCHR | 0600, makedev(1, 3)), 0);
	CU_ASSERT_FALSE(opens("dev.log"));
	app_log_set_output(stderr);
	if (quiet)
		fclose(quiet);
	CU_ASSERT_EQUAL(system("rm -rf /tmp/keylog-test-*"), 0);
}

static const struct test_case cases[] = {
	{ "drop to a user", test_drop_to_user },
	{ "drop capabilities as root", test_drop_as_root },
	{ "unknown user or group", test_drop_errors },
	{ "privileges section", test_config },
	{ "key log: created 0600, refused when not ours or loose", test_keylog },
	{ NULL, NULL },
};
TEST_SUITE(privs, cases)
