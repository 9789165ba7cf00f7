/* SPDX-License-Identifier: BSD-3-Clause */
#include "tests/unit/ike/pki_fixture.h"

#include <stdio.h>
#include <stdlib.h>

static char dir[64];
static int state; /* 0 not made, 1 made, -1 failed */

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pki_fixture: cannot remove %s\n", dir);
}

const char *pki_fixture_dir(void)
{
	char cmd[256];

	if (state == 0) {
		snprintf(dir, sizeof(dir), "build/pki-XXXXXX");
		state = -1;
		if (mkdtemp(dir)) {
			atexit(cleanup);
			snprintf(cmd, sizeof(cmd), "bash tests/unit/ike/pki_gen.sh %s >/dev/null",
				 dir);
			state = system(cmd) == 0 ? 1 : -1;
			if (state < 0)
				fprintf(stderr, "pki_gen.sh failed: see %s/gen.log\n", dir);
		}
	}
	return state == 1 ? dir : NULL;
}

const char *pki_fixture_path(const char *name)
{
	static char buf[4][160];
	static unsigned i;
	char *b = buf[i++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}
