/* SPDX-License-Identifier: BSD-3-Clause */
/* Which SA a control request names: besides "conn", an SA "id", a "peer"
 * address, a "peer_id" identity or a CHILD SA "spi" (hex), turned into
 * the engine's struct ike_sel. See docs/operations.md. */
#ifndef APP_CTL_SELECT_H
#define APP_CTL_SELECT_H

#include <jansson.h>
#include <stddef.h>

#include "ike/ike.h"

struct app_ctl_sel {
	struct ike_sel sel; /* points into the fields below and the request */
	ike_addr_t peer;
	struct ike_id peer_id;
};

/* 0, or -1 with the reason in err. No selector at all is not an error
 * here (ike_sel all empty): the caller says what is missing. */
int app_ctl_sel_parse(json_t *req, struct app_ctl_sel *s, char *err, size_t errlen);
/* "conn 'x', id 12, peer 192.0.2.1" for replies and log lines. */
const char *app_ctl_sel_str(const struct app_ctl_sel *s, char *buf, size_t len);
/* The engine command of a control command name, -1 for none
 * ("terminate" is "delete-ike"). */
int app_ctl_cmd_of(const char *name);

#endif
