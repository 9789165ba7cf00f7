/* SPDX-License-Identifier: BSD-3-Clause */
/* What the build stamped into the programs (build/gen/app_build.h, written by
 * the Makefile): the version and the folder `make install` puts shared data
 * in. Only version.c sees that header, so a new version relinks rather than
 * recompiles. */
#ifndef APP_VERSION_H
#define APP_VERSION_H

/* "0.1.0-gabcdef0", see scripts/version.sh */
const char *app_version(void);
/* $(PREFIX)/share/ipsecgw at build time */
const char *app_datadir(void);

/* The control socket both programs open when the configuration names none,
 * and where ipsecgw-ctl looks without -s. Its folder is made by systemd
 * (RuntimeDirectory=ipsecgw); without the folder there is no default socket,
 * so programs started by hand or by the tests never share one by accident. */
#define APP_RUN_DIR            "/run/ipsecgw"
#define APP_CTL_SOCKET_DEFAULT APP_RUN_DIR "/ipsecgw.ctl"

#endif
