/* ipsecgw-ctl: sends one command to the daemon's control socket and prints
 * the reply. Exit status: 0 ok, 1 the daemon refused (reply "ok": false),
 * 2 usage error or the daemon could not be reached / answered garbage. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/common/ctl_socket.h"

#define CTL_TIMEOUT_S 10
#define CTL_MAX_REPLY (16u << 20)

static const struct {
	const char *cmd;
	bool needs_conn;
	bool takes_child; /* an optional second argument */
} commands[] = {
	{ "initiate", true, false },    { "rekey-child", true, false },
	{ "rekey-ike", true, false },   { "delete-child", true, false },
	{ "delete-ike", true, false },  { "dpd", true, false },
	{ "acquire", true, true },      { "list-sas", false, false },
	{ "list-certs", false, false }, { "list-crls", false, false },
	{ "stats", false, false },      { "reload-creds", false, false },
	{ "reload", false, false },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ipsecgw-ctl -s SOCKET CMD [CONN [CHILD]]\n"
		   "  CMD with CONN: initiate, rekey-child, rekey-ike, delete-child,\n"
		   "                 delete-ike, dpd\n"
		   "  acquire CONN [CHILD]: what a trap policy's first packet does\n"
		   "                 (CHILD: a child name, the first by default)\n"
		   "  CMD alone:     list-sas, list-certs, list-crls, stats,\n"
		   "                 reload-creds (certificates, CRLs, responders),\n"
		   "                 reload (the whole configuration file)\n");
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

/* Sends req, returns the parsed reply or NULL (message printed). */
static json_t *transact(const char *path, json_t *req)
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

int main(int argc, char **argv)
{
	const char *path = NULL, *cmd, *conn = NULL, *child = NULL;
	json_t *req, *reply;
	char *out;
	int opt, idx, rc;

	while ((opt = getopt(argc, argv, "+s:h")) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!path || optind >= argc) {
		if (!path)
			fprintf(stderr, "ipsecgw-ctl: -s SOCKET is required\n");
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
	if (optind < argc)
		conn = argv[optind++];
	if (optind < argc && commands[idx].takes_child)
		child = argv[optind++];
	if (optind < argc || (commands[idx].needs_conn && !conn) ||
	    (!commands[idx].needs_conn && conn)) {
		fprintf(stderr, "ipsecgw-ctl: command '%s' takes %s\n", cmd,
			commands[idx].takes_child  ? "a connection name and optionally a child name"
			: commands[idx].needs_conn ? "exactly one connection name"
						   : "no argument");
		usage(stderr);
		return 2;
	}

	req = child  ? json_pack("{s:s, s:s, s:s}", "cmd", cmd, "conn", conn, "child", child)
	      : conn ? json_pack("{s:s, s:s}", "cmd", cmd, "conn", conn)
		     : json_pack("{s:s}", "cmd", cmd);
	reply = req ? transact(path, req) : NULL;
	json_decref(req);
	if (!reply)
		return 2;
	out = json_dumps(reply, JSON_INDENT(2));
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
