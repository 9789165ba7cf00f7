/* SPDX-License-Identifier: BSD-3-Clause */
/* ipsecgw-ctl list-sas: fetches the daemon's pages one request at a time
 * (the daemon builds each within a bounded time, ctl_list.h) and prints
 * them as one listing. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli/cli.h"
#include "app/common/ctl_list.h"

struct list_opts {
	json_t *filter; /* the request's filter fields */
	unsigned long limit;
	bool json;
};

static const struct {
	const char *opt, *field;
} filter_opts[] = {
	{ "--conn", "conn" },
	{ "--peer", "peer" },
	{ "--peer-id", "peer_id" },
	{ "--state", "state" },
};

/* "--opt V" or "--opt=V": the value, NULL when argv[*i] is not opt. */
static const char *opt_val(const char *opt, int argc, char **argv, int *i)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int parse_limit(const char *v, unsigned long *out)
{
	char *end;

	*out = strtoul(v, &end, 10);
	if (*v < '1' || *v > '9' || *end) {
		fprintf(stderr, "ipsecgw-ctl: --limit takes a positive number, not '%s'\n", v);
		return -1;
	}
	return 0;
}

static int parse_arg(struct list_opts *o, int argc, char **argv, int *i)
{
	const char *v;

	if (strcmp(argv[*i], "--json") == 0) {
		o->json = true;
		return 0;
	}
	if ((v = opt_val("--limit", argc, argv, i)))
		return parse_limit(v, &o->limit);
	for (size_t k = 0; k < sizeof(filter_opts) / sizeof(filter_opts[0]); k++)
		if ((v = opt_val(filter_opts[k].opt, argc, argv, i)))
			return json_object_set_new(o->filter, filter_opts[k].field, json_string(v));
	fprintf(stderr,
		"ipsecgw-ctl: list-sas takes --conn NAME, --peer ADDR, --peer-id ID, "
		"--state STATE, --limit N and --json, not '%s'\n",
		argv[*i]);
	return -1;
}

/* One page into all; the cursor of the next one (in the reply, which the
 * caller frees), NULL at the end. *rc set on an error. */
static const char *fetch_page(const char *path, const struct list_opts *o, const char *cursor,
			      size_t have, json_t *all, json_t **reply, int *rc)
{
	json_t *req = json_deep_copy(o->filter), *sas;
	size_t want = APP_LIST_PAGE_DEFAULT;

	if (o->limit && o->limit - have < want)
		want = o->limit - have;
	json_object_set_new(req, "cmd", json_string("list-sas"));
	json_object_set_new(req, "limit", json_integer((json_int_t)want));
	if (cursor)
		json_object_set_new(req, "cursor", json_string(cursor));
	*reply = cli_transact(path, req);
	json_decref(req);
	if (!*reply) {
		*rc = 2;
		return NULL;
	}
	if (!json_is_true(json_object_get(*reply, "ok"))) {
		const char *e = json_string_value(json_object_get(*reply, "error"));

		fprintf(stderr, "ipsecgw-ctl: %s\n", e ? e : "list-sas failed");
		*rc = 1;
		return NULL;
	}
	sas = json_object_get(*reply, "sas");
	for (size_t i = 0; i < json_array_size(sas) && (!o->limit || have + i < o->limit); i++)
		json_array_append(all, json_array_get(sas, i));
	return json_string_value(json_object_get(*reply, "next"));
}

/* Every page, or the first o->limit SAs; NULL on an error (*rc set). */
static json_t *fetch_all(const char *path, const struct list_opts *o, int *rc)
{
	json_t *all = json_array(), *prev = NULL, *reply;
	const char *cursor = NULL;

	do {
		cursor = fetch_page(path, o, cursor, json_array_size(all), all, &reply, rc);
		json_decref(prev); /* cursor points into reply, not prev */
		prev = reply;
	} while (cursor && (!o->limit || json_array_size(all) < o->limit));
	json_decref(prev);
	if (*rc) {
		json_decref(all);
		return NULL;
	}
	return all;
}

/* "3d04h", "2h05m", "4m07s", "12s", "-" */
static const char *dur(json_t *v, char *buf, size_t len)
{
	json_int_t s = json_integer_value(v);

	if (!json_is_integer(v))
		snprintf(buf, len, "-");
	else if (s >= 86400)
		snprintf(buf, len, "%lldd%02lldh", (long long)s / 86400,
			 (long long)s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)s / 3600, (long long)s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", (long long)s / 60, (long long)s % 60);
	else
		snprintf(buf, len, "%llds", (long long)s);
	return buf;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && *s ? s : "-";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_child(json_t *c)
{
	char up[24], rk[24];
	json_t *fp = json_object_get(c, "fp");

	printf("  %-8lld %-12s %s/%s %-28s %-8s %-8s", num(c, "id"), str(c, "child"),
	       str(c, "spi_in"), str(c, "spi_out"), str(c, "algs"),
	       dur(json_object_get(c, "uptime_s"), up, sizeof(up)),
	       dur(json_object_get(c, "rekey_in_s"), rk, sizeof(rk)));
	if (fp)
		printf(" in %lld pkts %lld B %lld drops, out %lld pkts %lld B %lld drops",
		       num(fp, "packets_in"), num(fp, "bytes_in"), num(fp, "drops_in"),
		       num(fp, "packets_out"), num(fp, "bytes_out"), num(fp, "drops_out"));
	printf("\n");
}

static void print_table(json_t *sas)
{
	char up[24], rk[24];
	size_t i;
	json_t *sa, *c;

	printf("%-8s %-16s %-11s %-24s %-28s %-8s %-8s %s\n", "ID", "CONN", "STATE", "PEER",
	       "PEER-ID", "UPTIME", "REKEY", "IKE ALGS");
	json_array_foreach(sas, i, sa) {
		size_t k;

		printf("%-8lld %-16s %-11s %-24s %-28s %-8s %-8s %s\n", num(sa, "id"),
		       str(sa, "conn"), str(sa, "state"), str(sa, "remote"), str(sa, "peer_id"),
		       dur(json_object_get(sa, "uptime_s"), up, sizeof(up)),
		       dur(json_object_get(sa, "rekey_in_s"), rk, sizeof(rk)), str(sa, "ike_algs"));
		json_array_foreach(json_object_get(sa, "children"), k, c)
			print_child(c);
	}
	printf("%zu IKE SA%s\n", json_array_size(sas), json_array_size(sas) == 1 ? "" : "s");
}

static int print_json(json_t *sas)
{
	json_t *doc = json_pack("{s:b, s:O}", "ok", 1, "sas", sas);
	char *out = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	json_decref(doc);
	if (!out)
		return 2;
	printf("%s\n", out);
	free(out);
	return 0;
}

int cli_list_sas(const char *path, int argc, char **argv)
{
	struct list_opts o = { .filter = json_object() };
	json_t *sas;
	int rc = 0;

	for (int i = 0; i < argc && rc == 0; i++)
		rc = parse_arg(&o, argc, argv, &i) < 0 ? 2 : 0;
	sas = rc ? NULL : fetch_all(path, &o, &rc);
	json_decref(o.filter);
	if (!sas)
		return rc;
	/* scripts (no terminal) keep getting JSON, as before pages */
	if (o.json || !isatty(STDOUT_FILENO))
		rc = print_json(sas);
	else
		print_table(sas);
	json_decref(sas);
	return rc;
}
