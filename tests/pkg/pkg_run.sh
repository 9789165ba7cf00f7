#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Packaging, in scratch roots only (nothing is installed into this system):
#  1. `make install DESTDIR=...`: every file where docs/operations.md says,
#     an existing configuration kept on a second install, the manual pages
#     without groff warnings, the installed programs' --version;
#  2. the installed ipsecgw-ike started as systemd would (private /run with
#     /run/ipsecgw, a notify socket, WATCHDOG_USEC) in its own network and
#     mount namespace: READY=1, watchdog pings, `ipsecgw-ctl version` on the
#     default socket, SIGHUP (systemctl reload) framed by RELOADING=1 and
#     READY=1, STOPPING=1 on SIGTERM;
#  3. the installed ipsecgw outside the checkout finds its driver profiles in
#     $(PREFIX)/share/ipsecgw/drivers-config (and fails without them);
#  4. `dpkg-buildpackage -b -us -uc` on a copy of the tree, the .deb extracted
#     (dpkg-deb -x) and checked: files, conffiles, --version;
#  5. `systemd-analyze verify` of both units in that root.
# Needs the programs built (make programs). Prints "N passed, N failed".
# PKG_SKIP_DEB=1 leaves out 4. and 5. (about 1.5 min), saying so.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
PASS=0
FAIL=0
T=$(mktemp -d /tmp/ipsecgw-pkg.XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

check() { # check NAME CMD...: CMD's status decides
	local name=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then
		PASS=$((PASS + 1))
		echo "PASS: $name"
	else
		FAIL=$((FAIL + 1))
		echo "FAIL: $name"
		sed 's/^/    /' "$T/check.out" | tail -n 20
	fi
}

skip() {
	echo "SKIP (not counted): $1"
}

VERSION=$(bash scripts/version.sh)
export IPSECGW_VERSION=$VERSION
echo "== version $VERSION"

for b in ipsecgw-ike ipsecgw ipsecgw-ctl; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "pkg_run: $BUILD/$b missing: run make programs first" >&2
		exit 1
	fi
done

# ---- 1. make install ----

DOC_FILES=(
	usr/sbin/ipsecgw-ike usr/sbin/ipsecgw usr/sbin/ipsecgw-ctl
	etc/ipsecgw/ipsecgw-ike.json etc/ipsecgw/ipsecgw.json etc/default/ipsecgw
	usr/share/ipsecgw/drivers-config/net_af_packet.json
	usr/share/ipsecgw/drivers-config/i40e.json
	usr/share/man/man8/ipsecgw-ike.8 usr/share/man/man8/ipsecgw.8 usr/share/man/man8/ipsecgw-ctl.8
	lib/systemd/system/ipsecgw-ike.service lib/systemd/system/ipsecgw.service
	usr/share/doc/ipsecgw/LICENSE usr/share/doc/ipsecgw/operations.md
)

files_in() { # files_in ROOT: every documented file there, programs executable
	local r=$1 f ok=0
	for f in "${DOC_FILES[@]}"; do
		# debhelper compresses manual pages and larger documents
		if [ ! -f "$r/$f" ] && [ ! -f "$r/$f.gz" ]; then
			echo "missing /$f"
			ok=1
		fi
	done
	for f in usr/sbin/ipsecgw-ike usr/sbin/ipsecgw usr/sbin/ipsecgw-ctl; do
		[ -x "$r/$f" ] || { echo "/$f not executable" && ok=1; }
	done
	[ "$(ls "$r/usr/share/ipsecgw/drivers-config" | wc -l)" = "$(ls drivers-config | wc -l)" ] ||
		{ echo "drivers-config incomplete" && ok=1; }
	return $ok
}

version_is() { # version_is BIN NAME: one line "NAME VERSION", exit 0
	local out
	out=$("$1" --version) || { echo "$1 --version: exit $?" && return 1; }
	echo "$1 --version: '$out'"
	[ "$out" = "$2 $VERSION" ]
}

I=$T/inst
echo "== 1. make install DESTDIR=$I"
check "make install DESTDIR PREFIX=/usr" make --no-print-directory install DESTDIR="$I" PREFIX=/usr
check "installed files where docs/operations.md says" files_in "$I"
check "units run the installed programs with /etc/ipsecgw" \
	grep -q '^ExecStart=/usr/sbin/ipsecgw-ike -c /etc/ipsecgw/ipsecgw-ike.json$' \
	"$I/lib/systemd/system/ipsecgw-ike.service"
echo '{"operator": "edited"}' >"$I/etc/ipsecgw/ipsecgw.json"
check "a second install keeps an existing configuration" sh -c \
	"make --no-print-directory install DESTDIR='$I' PREFIX=/usr >/dev/null &&
	 grep -q edited '$I/etc/ipsecgw/ipsecgw.json'"
man_clean() { # groff prints warnings on stderr and still exits 0
	local f err
	for f in "$I"/usr/share/man/man8/*.8; do
		err=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1) || return 1
		[ -z "$err" ] || { echo "$f: $err" && return 1; }
	done
	[ "$(ls "$I"/usr/share/man/man8/*.8 | wc -l)" = 3 ]
}
check "manual pages: groff -man -ww without warnings" man_clean
check "installed ipsecgw-ike --version" version_is "$I/usr/sbin/ipsecgw-ike" ipsecgw-ike
check "installed ipsecgw --version (no EAL)" version_is "$I/usr/sbin/ipsecgw" ipsecgw
check "installed ipsecgw-ctl --version" version_is "$I/usr/sbin/ipsecgw-ctl" ipsecgw-ctl

# ---- 2. ipsecgw-ike as systemd starts it ----

echo "== 2. installed ipsecgw-ike under a fake service manager"
NOTIFY=$T/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        f.flush()
' "$NOTIFY" "$T/notify.log" &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done

# The example configuration as installed; its control socket is the default
# path, in the private /run the service's RuntimeDirectory would make.
cat >"$T/service.sh" <<EOF
set -e
mount -t tmpfs none /run
mkdir -m 0750 /run/ipsecgw
ip link set lo up
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=400000 "$I/usr/sbin/ipsecgw-ike" \
	-c "$I/etc/ipsecgw/ipsecgw-ike.json" >"$T/ike.log" 2>&1 &
pid=\$!
for i in \$(seq 50); do grep -q READY=1 "$T/notify.log" 2>/dev/null && break; sleep 0.1; done
"$I/usr/sbin/ipsecgw-ctl" version >"$T/ctl_version.out" 2>&1 || echo "ctl rc=\$?" >>"$T/ctl_version.out"
# systemctl reload: ExecReload sends SIGHUP
kill -HUP \$pid
for i in \$(seq 50); do grep -q "SIGHUP: reload" "$T/ike.log" && break; sleep 0.1; done
sleep 1
kill -TERM \$pid
wait \$pid
echo "exit \$?" >>"$T/ike.log"
ls /run/ipsecgw >"$T/run_after.out"
# Without "control" in the file: the default socket when /run/ipsecgw
# exists, none when it does not.
for run in default none; do
	[ \$run = none ] && rmdir /run/ipsecgw
	"$I/usr/sbin/ipsecgw-ike" -c "$T/nocontrol.json" >"$T/ike_\$run.log" 2>&1 &
	pid=\$!
	for i in \$(seq 50); do grep -q started "$T/ike_\$run.log" && break; sleep 0.1; done
	rc=0
	"$I/usr/sbin/ipsecgw-ctl" version >"$T/ctl_\$run.out" 2>&1 || rc=\$?
	echo "ctl rc=\$rc" >>"$T/ctl_\$run.out"
	kill -TERM \$pid
	wait \$pid
done
EOF
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); del c["control"]; json.dump(c, open(sys.argv[2], "w"))' \
	"$I/etc/ipsecgw/ipsecgw-ike.json" "$T/nocontrol.json"
timeout 30 unshare -m -n bash "$T/service.sh" >"$T/service.out" 2>&1
grep -q 'exit 0' "$T/ike.log" || cat "$T/service.out" "$T/ike.log"

check "READY=1 once the sockets are open" grep -q 'READY=1' "$T/notify.log"
check "start-up line carries the version" grep -q "ipsecgw-ike $VERSION started: 1 connection" "$T/ike.log"
check "ipsecgw-ctl version on the default socket: both versions" \
	diff <(printf 'ipsecgw-ctl %s\nipsecgw-ike %s\n' "$VERSION" "$VERSION") "$T/ctl_version.out"
check "WATCHDOG=1 every 200 ms (WATCHDOG_USEC=400000, >= 3 in ~1 s)" \
	test "$(grep -c '^WATCHDOG=1' "$T/notify.log")" -ge 3
# READY=1, then on SIGHUP RELOADING=1 with the time it began (systemd 253
# wants MONOTONIC_USEC), the reload, READY=1 again
reloaded() {
	grep -q 'SIGHUP: reload: .*0 added, 0 removed, 0 changed, 1 unchanged' "$T/ike.log" &&
		awk '/^READY=1/ { if (l) a = 1; else r = 1 }
		     r && /^RELOADING=1 MONOTONIC_USEC=[0-9]+ *$/ { l = 1 }
		     END { exit !(r && l && a) }' "$T/notify.log"
}
check "SIGHUP (systemctl reload): RELOADING=1 MONOTONIC_USEC=..., the reload, READY=1" reloaded
check "STOPPING=1 on SIGTERM, then exit 0" sh -c \
	"grep -q '^STOPPING=1' '$T/notify.log' && grep -q '^exit 0' '$T/ike.log'"
check "control socket removed at exit" test ! -s "$T/run_after.out"
check "no control.socket, /run/ipsecgw exists: the default socket" sh -c \
	"grep -q 'control socket /run/ipsecgw/ipsecgw.ctl' '$T/ike_default.log' &&
	 grep -qx 'ctl rc=0' '$T/ctl_default.out'"
check "no control.socket, no /run/ipsecgw: no socket, the CLI says so" sh -c \
	"! grep -q 'control socket' '$T/ike_none.log' && grep -qx 'ctl rc=2' '$T/ctl_none.out' &&
	 grep -q 'cannot connect to /run/ipsecgw/ipsecgw.ctl' '$T/ctl_none.out'"

# ---- 3. drivers-config from the install ----

echo "== 3. installed ipsecgw outside the checkout: profiles from /usr/share/ipsecgw"
cat >"$T/gw.json" <<'EOF'
{ "fastpath": { "workers": 1,
  "ports": [ { "name": "p0", "devargs": "net_null0", "profile": "net_null" } ] } }
EOF
gw_from() { # gw_from SHARE_DIR: the gateway in $T with SHARE_DIR as /usr/share
	(cd "$T" && timeout 30 unshare -m sh -c "mount --bind '$1' /usr/share &&
		NOTIFY_SOCKET='$NOTIFY' WATCHDOG_USEC=400000 '$I/usr/sbin/ipsecgw' \
		--no-huge -m 256 --no-pci -l 0-1 --file-prefix ipsecgw_pkg$$ -- -c gw.json \
		--duration 1")
}
export -f gw_from
export T I VERSION NOTIFY
check "the gateway runs with the installed profiles" bash -c \
	'gw_from "$I/usr/share" 2>&1 | tee "$T/gw1.out" | grep -q "INFO fastpath: running: ipsecgw $VERSION,"'
gw_notified() { # after the gateway's READY: watchdog pings, then STOPPING
	awk '/^READY=1 STATUS=ports/ { r = 1 } r && /^WATCHDOG=1/ { w++ }
	     r && w && /^STOPPING=1/ { s = 1 } END { print "pings " w; exit !(r && w >= 2 && s) }' \
		"$T/notify.log"
}
check "the gateway: READY=1, WATCHDOG=1 from the control loop, STOPPING=1" gw_notified
mkdir -p "$T/empty_share"
check "... and names the installed path when they are missing" bash -c \
	'gw_from "$T/empty_share" 2>&1 | tee "$T/gw2.out" |
	 grep -q "profile /usr/share/ipsecgw/drivers-config/net_null.json"'

# ---- 4. the Debian package ----

if [ "${PKG_SKIP_DEB:-0}" = 1 ]; then
	skip "4. and 5.: the Debian package and its units (PKG_SKIP_DEB=1)"
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit
fi
echo "== 4. dpkg-buildpackage -b -us -uc (copy of the tree in $T/src)"
S=$T/src/ipsecgw
mkdir -p "$S"
git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$S" 2>/dev/null
start=$(date +%s)
(cd "$S" && dpkg-buildpackage -b -us -uc) >"$T/deb.log" 2>&1
rc=$?
echo "dpkg-buildpackage: exit $rc in $(($(date +%s) - start)) s"
[ $rc -eq 0 ] || tail -n 30 "$T/deb.log"
DEB=$(ls "$T"/src/ipsecgw_*_amd64.deb 2>/dev/null | head -n 1)
check "dpkg-buildpackage made ipsecgw_*.deb" test -n "$DEB"
R=$T/root
mkdir -p "$R"
[ -n "$DEB" ] && dpkg-deb -x "$DEB" "$R" && dpkg-deb -e "$DEB" "$T/DEBIAN"
check "the .deb's files where docs/operations.md says" files_in "$R"
# debian/rules builds for Debian's DPDK baseline (corei7), not this
# machine: no AVX register in the packaged programs' own code (a
# -march=native build here has them: 165 in build/ipsecgw when written).
no_avx() {
	local f n
	for f in "$R/usr/sbin/ipsecgw" "$R/usr/sbin/ipsecgw-ike"; do
		n=$(objdump -d "$f" | grep -c '%[yz]mm')
		[ "$n" = 0 ] || { echo "$f: $n instructions on AVX registers" && return 1; }
	done
}
check "built for the baseline, not -march=native: no AVX instruction" no_avx
conffiles_ok() {
	local f
	for f in /etc/ipsecgw/ipsecgw-ike.json /etc/ipsecgw/ipsecgw.json /etc/default/ipsecgw; do
		grep -qx "$f" "$T/DEBIAN/conffiles" || { echo "$f not a conffile" && return 1; }
	done
}
check "the configuration files are conffiles" conffiles_ok
check "Depends names libsystemd, DPDK and procps (ExecReload's kill)" sh -c \
	"dpkg-deb -f '$DEB' Depends | tee /dev/stderr | grep -q libsystemd0 &&
	 dpkg-deb -f '$DEB' Depends | grep -q librte-eal &&
	 dpkg-deb -f '$DEB' Depends | grep -qw procps"
check "packaged ipsecgw-ike --version" version_is "$R/usr/sbin/ipsecgw-ike" ipsecgw-ike
check "packaged ipsecgw --version" version_is "$R/usr/sbin/ipsecgw" ipsecgw
check "packaged ipsecgw-ctl --version" version_is "$R/usr/sbin/ipsecgw-ctl" ipsecgw-ctl

# ---- 5. the units ----

echo "== 5. systemd-analyze verify in the package's root"
verify_unit() { # no message at all: unknown keys are only warnings
	local out
	out=$(MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" "$1" 2>&1) || {
		echo "$out" && return 1
	}
	[ -z "$out" ] || { echo "$out" && return 1; }
}
if ! command -v systemd-analyze >/dev/null; then
	skip "systemd-analyze verify: systemd-analyze not installed"
elif ! systemd-analyze verify --root=/ /lib/systemd/system/basic.target >/dev/null 2>&1; then
	skip "systemd-analyze verify: it cannot run in this container"
else
	# The targets and units ours refer to, from this system (no overwrite),
	# and ExecReload's /bin/kill (procps, in the package's Depends).
	cp -rn /lib/systemd/system/. "$R/lib/systemd/system/"
	mkdir -p "$R/bin" && cp -n /bin/kill "$R/bin/"
	check "systemd-analyze verify ipsecgw-ike.service" verify_unit ipsecgw-ike.service
	check "systemd-analyze verify ipsecgw.service" verify_unit ipsecgw.service
fi
check "units: Type=notify, RuntimeDirectory=ipsecgw, WatchdogSec, ExecReload sends SIGHUP" sh -c \
	"for u in ipsecgw-ike ipsecgw; do f='$R'/lib/systemd/system/\$u.service;
	 grep -qx Type=notify \$f && grep -qx RuntimeDirectory=ipsecgw \$f &&
	 grep -q '^WatchdogSec=' \$f && grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' \$f || exit 1; done"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
