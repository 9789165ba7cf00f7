#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Makes Libreswan's pluto and whack available as a second interop peer without
# installing the libreswan package: it conflicts with strongswan-charon, and
# installing it would remove the strongSwan peer. The .deb is fetched with
# `apt-get download` (the only network access: Debian's archive) and unpacked
# with `dpkg -x` into a cache folder; its shared-library dependencies that
# charon does not already pull in are installed by scripts/deps.sh.
#
#   bash scripts/libreswan.sh          fetch + extract once; prints the root
#
# The root is $LIBRESWAN_ROOT, default /var/cache/ipsecgw/libreswan (outside
# the build folder so that `make clean` does not throw it away). Idempotent:
# nothing is fetched when ROOT/usr/libexec/ipsec/pluto is already there.
set -euo pipefail

ROOT=${LIBRESWAN_ROOT:-/var/cache/ipsecgw/libreswan}
PLUTO=$ROOT/usr/libexec/ipsec/pluto

if [ -x "$PLUTO" ] && [ -x "$ROOT/usr/libexec/ipsec/whack" ]; then
	echo "$ROOT"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "libreswan.sh: run as root to fetch libreswan into $ROOT" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/ipsecgw-libreswan.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT
# apt-get download drops privileges to _apt, which must be able to write here
chmod 755 "$tmp"
chown _apt "$tmp" 2>/dev/null || true

fetch() { (cd "$tmp" && apt-get download -q libreswan >"$tmp/download.log" 2>&1); }
if ! fetch; then
	# a fresh machine may have no package lists yet
	apt-get update -qq
	fetch || { cat "$tmp/download.log" >&2; echo "libreswan.sh: apt-get download libreswan failed" >&2; exit 1; }
fi

deb=$(ls "$tmp"/libreswan_*.deb)
# unpack beside the final folder and rename, so a half-done extraction is
# never mistaken for a complete one
mkdir -p "$(dirname "$ROOT")"
rm -rf -- "$ROOT.new"
dpkg -x "$deb" "$ROOT.new"
dpkg-deb -f "$deb" Version >"$ROOT.new/VERSION"
rm -rf -- "$ROOT"
mv "$ROOT.new" "$ROOT"
echo "libreswan.sh: libreswan $(cat "$ROOT/VERSION") extracted into $ROOT" >&2
echo "$ROOT"
