/* SPDX-License-Identifier: BSD-3-Clause */
/* The test PKI (tests/unit/ike/pki_gen.sh), made once per run under build/
 * and removed at exit. */
#ifndef PKI_FIXTURE_H
#define PKI_FIXTURE_H

/* Its folder, or NULL (with a line on stderr) when it could not be made. */
const char *pki_fixture_dir(void);
/* A file in it; four results in rotation. */
const char *pki_fixture_path(const char *name);

#endif
