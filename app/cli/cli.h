/* SPDX-License-Identifier: BSD-3-Clause */
/* Pieces of ipsecgw-ctl shared by its files. */
#ifndef APP_CLI_H
#define APP_CLI_H

#include <jansson.h>

/* Sends req, returns the parsed reply object or NULL (message printed). */
json_t *cli_transact(const char *path, json_t *req);
/* list-sas [--conn C] [--peer A] [--peer-id I] [--state S] [--limit N]
 * [--json]: every page (or the first N SAs), a table on a terminal, JSON
 * otherwise. Returns the exit status. */
int cli_list_sas(const char *path, int argc, char **argv);

#endif
