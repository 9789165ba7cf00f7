/* SPDX-License-Identifier: BSD-3-Clause */
/* Least privilege once a program is set up: the sockets bound, the key log
 * and the control socket open, DPDK started. What is dropped then cannot
 * come back: the user and group of "privileges" (when given), every
 * capability but those the program names, and new privileges through
 * execve (PR_SET_NO_NEW_PRIVS).
 *
 * Capabilities belong to threads: the calling thread is the one reduced,
 * and threads it creates afterwards inherit that. Threads made before keep
 * theirs, except that a change of user (which glibc applies to every
 * thread) clears the capabilities of all the others. */
#ifndef APP_PRIVS_H
#define APP_PRIVS_H

#include <stddef.h>

#define APP_PRIVS_NAME_MAX 64

struct app_privs_cfg {
	char user[APP_PRIVS_NAME_MAX];  /* "" = stay the user we are */
	char group[APP_PRIVS_NAME_MAX]; /* "" = the user's primary group */
};

/* keep: capability numbers (CAP_*) the program still needs. 0, or -1 with
 * one line in err (the program must then stop: it would run with more than
 * it asked for). info gets a line saying what the process runs as. */
int app_privs_drop(const struct app_privs_cfg *p, const int *keep, unsigned n_keep, char *info,
		   size_t ilen, char *err, size_t errlen);

#endif
