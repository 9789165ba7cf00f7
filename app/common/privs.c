/* SPDX-License-Identifier: BSD-3-Clause */
/* Dropping privileges (app/common/privs.h) with libcap: the bounding set
 * first (it needs CAP_SETPCAP, which goes last), then the user and group
 * with the capabilities kept across the change (PR_SET_KEEPCAPS), then the
 * permitted and effective sets reduced to what the program named. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "app/common/privs.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool kept(cap_value_t c, const int *keep, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (keep[i] == (int)c)
			return true;
	return false;
}

/* The user's and group's ids; the group is the user's unless named. */
static int lookup(const struct app_privs_cfg *p, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if (!(pw = getpwnam(p->user)))
		return fail(err, errlen, "privileges.user: no user '%s'%s%s", p->user,
			    errno ? ": " : "", errno ? strerror(errno) : "");
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (!p->group[0])
		return 0;
	errno = 0;
	if (!(gr = getgrnam(p->group)))
		return fail(err, errlen, "privileges.group: no group '%s'%s%s", p->group,
			    errno ? ": " : "", errno ? strerror(errno) : "");
	*gid = gr->gr_gid;
	return 0;
}

static int drop_bounding(const int *keep, unsigned n, char *err, size_t errlen)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (!kept(c, keep, n) && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0)
			return fail(err, errlen,
				    "cannot drop capability %d from the bounding set: %s", (int)c,
				    strerror(errno));
	return 0;
}

static int change_user(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0 || setgroups(1, &gid) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return fail(err, errlen, "cannot become uid %u gid %u: %s", (unsigned)uid,
			    (unsigned)gid, strerror(errno));
	prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	/* a process that can become root again dropped nothing */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return fail(err, errlen, "still able to become root after dropping to uid %u",
			    (unsigned)uid);
	return 0;
}

static int set_caps(const int *keep, unsigned n, char *err, size_t errlen)
{
	cap_t caps = cap_init();
	int rc = 0;

	for (unsigned i = 0; caps && i < n && rc == 0; i++) {
		cap_value_t v = keep[i];

		rc = cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET) |
		     cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
	}
	if (!caps || rc != 0 || cap_set_proc(caps) < 0)
		rc = fail(err, errlen, "cannot set capabilities: %s", strerror(errno));
	cap_free(caps);
	return rc;
}

static void describe(char *info, size_t ilen)
{
	cap_t caps = cap_get_proc();
	char *text = caps ? cap_to_text(caps, NULL) : NULL;

	snprintf(info, ilen, "running as uid %u gid %u, capabilities \"%s\", no new privileges",
		 (unsigned)getuid(), (unsigned)getgid(), text ? text : "?");
	cap_free(text);
	cap_free(caps);
}

int app_privs_drop(const struct app_privs_cfg *p, const int *keep, unsigned n_keep, char *info,
		   size_t ilen, char *err, size_t errlen)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	bool root = geteuid() == 0;

	if (p->user[0] && lookup(p, &uid, &gid, err, errlen) < 0)
		return -1;
	if (p->user[0] && !root && uid != geteuid())
		return fail(err, errlen, "privileges.user '%s': only root can change user",
			    p->user);
	if (root && drop_bounding(keep, n_keep, err, errlen) < 0)
		return -1;
	if (root && p->user[0] && change_user(uid, gid, err, errlen) < 0)
		return -1;
	if (root && set_caps(keep, n_keep, err, errlen) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
		return fail(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	describe(info, ilen);
	return 0;
}
