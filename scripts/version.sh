#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prints the version compiled into the programs: `git describe` when a tag
# exists (0.1.0-12-gabcdef0[-dirty]); in a checkout without tags the VERSION
# file and the commit (0.1.0-gabcdef0[-dirty]); outside git (a source tarball)
# the VERSION file alone.
cd "$(dirname "$0")/.." || exit 1
base=$(head -n 1 VERSION 2>/dev/null || echo 0.0.0)
if [ -e .git ] && command -v git >/dev/null 2>&1; then
	if v=$(git describe --tags --dirty 2>/dev/null); then
		echo "$v"
		exit 0
	fi
	if h=$(git describe --always --dirty 2>/dev/null); then
		echo "$base-g$h"
		exit 0
	fi
fi
echo "$base"
