/* SPDX-License-Identifier: BSD-3-Clause */
#include "app_build.h"
#include "app/common/version.h"

const char *app_version(void)
{
	return APP_BUILD_VERSION;
}

const char *app_datadir(void)
{
	return APP_BUILD_DATADIR;
}
