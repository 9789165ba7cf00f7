/* SPDX-License-Identifier: BSD-3-Clause */
/* ipsecgw-ctl: sends one command to the daemon's control socket and prints
 * the reply. Exit status: 0 ok, 1 the daemon refused (reply "ok": false),
 * 2 usage error or the daemon could not be reached / answered garbage. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/cli/cli.h"
#include "app/common/ctl_socket.h"
#include "app/common/version.h"

#define CTL_TIMEOUT_S 10
#define CTL_MAX_REPLY (16u << 20)

static const struct {
	const char *cmd;
	bool needs_conn;
	bool takes_child; /* an optional second argument */
	bool takes_sel;   /* --id, --peer, --peer-id, --spi instead of / with CONN */
} commands[] = {
	{ "initiate", true, true, false },    { "rekey-child", true, false, true },
	{ "rekey-ike", true, false, true },   { "delete-child", true, false, true },
	{ "delete-ike", true, false, true },  { "terminate", true, false, true },
	{ "dpd", true, false, true },         { "acquire", true, true, false },
	{ "list-sas", false, false, false },  { "list-certs", false, false, false },
	{ "list-crls", false, false, false }, { "summary", false, false, false },
	{ "stats", false, false, false },     { "reload-creds", false, false, false },
	{ "reload", false, false, false },    { "version", false, false, false },
	{ "log-level", false, false, false }, /* build_log_level() */
	{ "routes", false, false, false },    { "neighbours", false, false, false },
	{ "route-add", false, false, false }, /* build_route() */
	{ "route-del", false, false, false },
};

/* Selector options of SA commands, and the request field each fills. */
static const struct {
	const char *opt, *field;
	bool number; /* sent as a JSON integer */
} sel_opts[] = {
	{ "--id", "id", true },
	{ "--peer", "peer", false },
	{ "--peer-id", "peer_id", false },
	{ "--spi", "spi", false },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ipsecgw-ctl [-s SOCKET] CMD [CONN [CHILD]] [SELECTOR...]\n"
		"  -s SOCKET       the program's control socket (default %s)\n"
		"  --version       this program's version; `version`: both programs'\n"
		"  initiate CONN [CHILD]: the connection, or one CHILD SA of it\n"
		"  SA commands:   rekey-child, rekey-ike, delete-child, delete-ike\n"
		"                 (or terminate), dpd; on CONN's newest established SA,\n"
		"                 or the one the selectors name (all must match):\n"
		"                 --id N (an IKE or CHILD SA id, see list-sas),\n"
		"                 --peer ADDR, --peer-id IDENTITY, --spi HEX (a CHILD SA)\n"
		"  acquire CONN [CHILD]: what a trap policy's first packet does\n"
		"                 (CHILD: a child name, the first by default)\n"
		"  list-sas [--conn NAME] [--peer ADDR] [--peer-id ID] [--state STATE]\n"
		"           [--limit N] [--json]: SAs, newest first, fetched in pages; a\n"
		"                 table on a terminal, JSON otherwise or with --json\n"
		"  summary:       SAs counted per connection and state\n"
		"  CMD alone:     list-certs, list-crls, stats, version,\n"
		"                 reload-creds (certificates, CRLs, responders),\n"
		"                 reload (the whole configuration file)\n"
		"  route-add PREFIX [via ADDR] [dev PORT] [mac MAC] | PREFIX tunnel IF_ID,\n"
		"  route-del PREFIX,\n"
		"  routes, neighbours: the DPDK gateway's routes and next hops\n"
		"                 (ARP / neighbour discovery states)\n"
		"  log-level [SUBSYS LEVEL]: list the log levels, or set one\n"
		"                 (ike, fastpath, eal, control, all; error, warning,\n"
		"                 info, debug)\n",
		APP_CTL_SOCKET_DEFAULT);
}

static int find_command(const char *cmd)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].cmd) == 0)
			return (int)i;
	return -1;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CTL_TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ipsecgw-ctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "ipsecgw-ctl: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "ipsecgw-ctl: cannot connect to %s: %s%s\n", path, strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED
				? " (is ipsecgw-ike running with this control socket?)"
				: "");
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until EOF; returns a malloc'd NUL-terminated buffer or NULL. */
static char *recv_all(int fd, size_t *out_len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb = cap < CTL_MAX_REPLY ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				errno = EMSGSIZE;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = recv(fd, buf + n, cap - n - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			break;
		}
		if (r == 0) {
			buf[n] = '\0';
			*out_len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	return NULL;
}

json_t *cli_transact(const char *path, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT), *reply_text;
	json_error_t jerr;
	json_t *reply;
	size_t len = 0;
	int fd;

	if (!text) {
		fprintf(stderr, "ipsecgw-ctl: out of memory\n");
		return NULL;
	}
	fd = connect_socket(path);
	if (fd < 0) {
		free(text);
		return NULL;
	}
	if (app_ctlsock_send_all(fd, text, strlen(text)) < 0 ||
	    app_ctlsock_send_all(fd, "\n", 1) < 0) {
		fprintf(stderr, "ipsecgw-ctl: cannot send to %s: %s\n", path, strerror(errno));
		free(text);
		close(fd);
		return NULL;
	}
	free(text);
	shutdown(fd, SHUT_WR);
	reply_text = recv_all(fd, &len);
	close(fd);
	if (!reply_text) {
		fprintf(stderr, "ipsecgw-ctl: no reply from %s: %s\n", path, strerror(errno));
		return NULL;
	}
	reply = json_loadb(reply_text, len, 0, &jerr);
	free(reply_text);
	if (!json_is_object(reply)) {
		fprintf(stderr, "ipsecgw-ctl: bad reply from daemon: %s\n",
			reply ? "not a JSON object" : jerr.text);
		json_decref(reply);
		return NULL;
	}
	return reply;
}

/* "--id 12" or "--id=12": the option's index in sel_opts and its value,
 * -1 for an argument that is no selector option. */
static int sel_opt(char **argv, int argc, int *i, const char **val)
{
	for (size_t k = 0; k < sizeof(sel_opts) / sizeof(sel_opts[0]); k++) {
		size_t n = strlen(sel_opts[k].opt);

		if (strncmp(argv[*i], sel_opts[k].opt, n) != 0)
			continue;
		if (argv[*i][n] == '=') {
			*val = argv[*i] + n + 1;
			return (int)k;
		}
		if (argv[*i][n] == '\0' && *i + 1 < argc) {
			*val = argv[++*i];
			return (int)k;
		}
	}
	return -1;
}

static int add_sel(json_t *req, int k, const char *val)
{
	char *end;
	unsigned long long n;

	if (!sel_opts[k].number)
		return json_object_set_new(req, sel_opts[k].field, json_string(val));
	n = strtoull(val, &end, 10);
	if (!*val || *end || n == 0 || n > UINT32_MAX) {
		fprintf(stderr, "ipsecgw-ctl: %s takes a positive number, not '%s'\n",
			sel_opts[k].opt, val);
		return -1;
	}
	return json_object_set_new(req, sel_opts[k].field, json_integer((json_int_t)n));
}

/* The request for command idx from the arguments after it; NULL after a
 * message on a usage error. */
static json_t *build_request(int idx, int argc, char **argv, int first)
{
	json_t *req = json_pack("{s:s}", "cmd", commands[idx].cmd);
	const char *pos[2] = { NULL, NULL }, *val;
	unsigned npos = 0, nsel = 0;
	bool bad = !req;

	for (int i = first; i < argc && !bad; i++) {
		int k = commands[idx].takes_sel ? sel_opt(argv, argc, &i, &val) : -1;

		if (k >= 0 && add_sel(req, k, val) < 0) {
			json_decref(req);
			return NULL; /* said why */
		} else if (k >= 0) {
			nsel++;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			bad = true;
		} else if (npos < (commands[idx].takes_child ? 2u : 1u)) {
			pos[npos++] = argv[i];
		} else {
			bad = true;
		}
	}
	if (!bad && ((commands[idx].needs_conn && !pos[0] && !nsel) ||
		     (!commands[idx].needs_conn && pos[0]))) {
		bad = true;
	}
	if (bad) {
		fprintf(stderr, "ipsecgw-ctl: command '%s' takes %s\n", commands[idx].cmd,
			commands[idx].takes_child  ? "a connection name and optionally a child name"
			: commands[idx].takes_sel  ? "a connection name and/or selectors"
			: commands[idx].needs_conn ? "exactly one connection name"
						   : "no argument");
		json_decref(req);
		return NULL;
	}
	if (pos[0])
		json_object_set_new(req, "conn", json_string(pos[0]));
	if (pos[1])
		json_object_set_new(req, "child", json_string(pos[1]));
	return req;
}

/* log-level [SUBSYS LEVEL]: nothing lists the levels; the program checks
 * the names. */
static json_t *build_log_level(int argc, char **argv, int first)
{
	if (argc - first == 0)
		return json_pack("{s:s}", "cmd", "log-level");
	if (argc - first == 2)
		return json_pack("{s:s, s:s, s:s}", "cmd", "log-level", "subsys", argv[first],
				 "level", argv[first + 1]);
	fprintf(stderr, "ipsecgw-ctl: log-level takes a subsystem and a level, or nothing\n");
	return NULL;
}

/* route-add PREFIX [via ADDR] [dev PORT] [mac MAC] | PREFIX tunnel N /
 * route-del PREFIX:
 * the gateway checks the values. */
static json_t *build_route(const char *cmd, int argc, char **argv, int first)
{
	static const char *const keys[] = { "via", "dev", "mac", "tunnel" };
	bool add = strcmp(cmd, "route-add") == 0;
	json_t *req;
	int i;

	if (first >= argc || argv[first][0] == '-') {
		fprintf(stderr, "ipsecgw-ctl: %s takes a prefix first\n", cmd);
		return NULL;
	}
	req = json_pack("{s:s, s:s}", "cmd", cmd, "dst", argv[first]);
	for (i = first + 1; req && add && i + 1 < argc; i += 2) {
		size_t k;

		for (k = 0; k < 4 && strcmp(argv[i], keys[k]) != 0; k++)
			;
		if (k == 4)
			break;
		json_object_set_new(req, keys[k], json_string(argv[i + 1]));
	}
	if (req && i < argc) {
		fprintf(stderr, "ipsecgw-ctl: %s: unexpected '%s'\n", cmd, argv[i]);
		json_decref(req);
		return NULL;
	}
	return req;
}

/* The reply to `version` as two lines, this program's first. */
static void print_version(json_t *reply)
{
	const char *prog = json_string_value(json_object_get(reply, "program"));
	const char *v = json_string_value(json_object_get(reply, "version"));

	printf("ipsecgw-ctl %s\n%s %s\n", app_version(), prog ? prog : "program",
	       v ? v : "(no version in the reply)");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = APP_CTL_SOCKET_DEFAULT, *cmd;
	json_t *req, *reply;
	char *out;
	int opt, idx, rc;

	while ((opt = getopt_long(argc, argv, "+s:h", lo, NULL)) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ipsecgw-ctl %s\n", app_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	idx = find_command(cmd);
	if (idx < 0) {
		fprintf(stderr, "ipsecgw-ctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "list-sas") == 0)
		return cli_list_sas(path, argc - optind, argv + optind);
	if (strcmp(cmd, "log-level") == 0)
		req = build_log_level(argc, argv, optind);
	else if (strncmp(cmd, "route-", 6) == 0)
		req = build_route(cmd, argc, argv, optind);
	else
		req = build_request(idx, argc, argv, optind);
	if (!req) {
		usage(stderr);
		return 2;
	}
	reply = cli_transact(path, req);
	json_decref(req);
	if (!reply)
		return 2;
	out = strcmp(cmd, "version") == 0 ? NULL : json_dumps(reply, JSON_INDENT(2));
	if (!out && strcmp(cmd, "version") == 0 && json_is_true(json_object_get(reply, "ok")))
		print_version(reply);
	if (out) {
		printf("%s\n", out);
		free(out);
	}
	rc = json_is_true(json_object_get(reply, "ok")) ? 0 : 1;
	if (rc) {
		const char *e = json_string_value(json_object_get(reply, "error"));

		fprintf(stderr, "ipsecgw-ctl: %s\n", e ? e : "command failed");
	}
	json_decref(reply);
	return rc;
}
