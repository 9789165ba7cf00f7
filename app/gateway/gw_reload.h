/* SPDX-License-Identifier: BSD-3-Clause */
/* The fast-path part of a configuration reload (app/common/reload.h):
 * the new file's static SAs and configured policies, applied on the
 * control core while the workers run. Static SAs are matched by
 * direction and SPI: those gone or changed are removed, new and changed
 * ones installed, and the others keep running untouched (sequence
 * numbers, replay window, counters). The configured policies are replaced
 * as a whole, behind the CHILD SA and trap policies IKE put in front. */
#ifndef APP_GW_RELOAD_H
#define APP_GW_RELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "app/common/config.h"
#include "app/common/config_fp.h"
#include "fastpath/ctrl_core.h"

/* Whether next's static SAs and policies can replace run's on c: every
 * new or changed SA converts, a new SA's SPI is not held by anything but
 * a static SA of run (an IKE CHILD SA's), and the SPD has room. 0, or -1
 * with the reason in err. Changes nothing. */
int app_gw_fp_reload_check(const struct fp_ctrl *c, const struct app_fp_cfg *run,
			   const struct app_fp_cfg *next, char *err, size_t errlen);
/* Applies them, after the check; a summary in msg ("" when nothing of
 * this changed). A step that still fails (out of memory) is logged and
 * counted in the summary; the rest goes on. */
void app_gw_fp_reload_apply(struct fp_ctrl *c, const struct app_fp_cfg *run,
			    const struct app_fp_cfg *next, char *msg, size_t len);

/* SIGHUP on a gateway started without connections (no IKE engine): the
 * file read again (app_config_reload() with no engine), its static SAs
 * and policies applied as above. 0 with a summary, or -1 with the reason
 * (connections added need a restart) and nothing changed. */
int app_gw_fp_reload(struct app_config *cfg, struct fp_ctrl *c, uint64_t now_ms, char *msg,
		     size_t len);

#endif
