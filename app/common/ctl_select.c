/* SPDX-License-Identifier: BSD-3-Clause */
/* Selector fields of control requests (ctl_select.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/ctl_select.h"

static const struct {
	const char *name;
	enum ike_cmd cmd;
} cmds[] = {
	{ "rekey-ike", IKE_CMD_REKEY_IKE },     { "delete-ike", IKE_CMD_DELETE_IKE },
	{ "terminate", IKE_CMD_DELETE_IKE },    { "dpd", IKE_CMD_DPD },
	{ "rekey-child", IKE_CMD_REKEY_CHILD }, { "delete-child", IKE_CMD_DELETE_CHILD },
};

int app_ctl_cmd_of(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return (int)cmds[i].cmd;
	return -1;
}

/* A number given as JSON integer or as a string: decimal for ids, hex
 * (with or without 0x) for SPIs, as list-sas prints them. */
static int get_u32(json_t *v, int base, uint32_t *out)
{
	const char *s = json_string_value(v);
	unsigned long long n;
	char *end;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i <= 0 || i > UINT32_MAX)
			return -1;
		*out = (uint32_t)i;
		return 0;
	}
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	n = strtoull(s, &end, base);
	if (errno || *end || n == 0 || n > UINT32_MAX)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int parse_numbers(json_t *req, struct app_ctl_sel *s, char *err, size_t errlen)
{
	json_t *v;

	if ((v = json_object_get(req, "id")) && get_u32(v, 10, &s->sel.id) < 0) {
		snprintf(err, errlen, "\"id\" must be an SA id (a positive number, see list-sas)");
		return -1;
	}
	if ((v = json_object_get(req, "spi")) && get_u32(v, 16, &s->sel.spi) < 0) {
		snprintf(err, errlen,
			 "\"spi\" must be a CHILD SA's SPI in hex (e.g. \"c1a2b3c4\")");
		return -1;
	}
	return 0;
}

static int parse_peers(json_t *req, struct app_ctl_sel *s, char *err, size_t errlen)
{
	json_t *v;
	const char *t;

	if ((v = json_object_get(req, "peer"))) {
		t = json_string_value(v);
		if (!t || ike_addr_parse(t, &s->peer) < 0) {
			snprintf(err, errlen,
				 "\"peer\" must be an IP address (e.g. \"192.0.2.1\")");
			return -1;
		}
		s->sel.peer = &s->peer;
	}
	if ((v = json_object_get(req, "peer_id"))) {
		t = json_string_value(v);
		if (!t || !*t || strcmp(t, "%any") == 0 || ike_id_parse(t, &s->peer_id) < 0) {
			snprintf(
				err, errlen,
				"\"peer_id\" must be an identity (FQDN, email, address, keyid:HEX)");
			return -1;
		}
		s->sel.peer_id = &s->peer_id;
	}
	return 0;
}

int app_ctl_sel_parse(json_t *req, struct app_ctl_sel *s, char *err, size_t errlen)
{
	json_t *v = json_object_get(req, "conn");

	memset(s, 0, sizeof(*s));
	if (v && (!json_is_string(v) || !*json_string_value(v))) {
		snprintf(err, errlen, "\"conn\" must be a connection name");
		return -1;
	}
	s->sel.conn = v ? json_string_value(v) : NULL;
	if (parse_numbers(req, s, err, errlen) < 0)
		return -1;
	return parse_peers(req, s, err, errlen);
}

const char *app_ctl_sel_str(const struct app_ctl_sel *s, char *buf, size_t len)
{
	char a[64], id[300];
	size_t o = 0;

	buf[0] = '\0';
#define ADD(...) (o += (size_t)snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__))
	if (s->sel.conn)
		ADD("%sconn '%.64s'", o ? ", " : "", s->sel.conn);
	if (s->sel.id)
		ADD("%sid %u", o ? ", " : "", s->sel.id);
	if (s->sel.peer) {
		ike_addr_str(&s->peer, a, sizeof(a));
		a[strcspn(a, "[")] = '\0'; /* the port is not compared */
		ADD("%speer %s", o ? ", " : "", a);
	}
	if (s->sel.peer_id)
		ADD("%speer_id '%s'", o ? ", " : "", ike_id_str(&s->peer_id, id, sizeof(id)));
	if (s->sel.spi)
		ADD("%sspi %08x", o ? ", " : "", s->sel.spi);
#undef ADD
	return buf;
}
