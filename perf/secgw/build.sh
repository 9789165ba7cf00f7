#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds DPDK's ipsec-secgw example (the comparison gateway for perf/fp_bench.sh)
# from the Debian dpdk-doc sources into build/secgw/. Its sources are never
# committed here: they are copied from /usr/share/dpdk/examples at bench time
# and perf/secgw/*.patch is applied:
#   no-rx-cksum.patch  ipsec-secgw asks every port for RTE_ETH_RX_OFFLOAD_CHECKSUM
#                      and refuses to start on ports without it (net_ring,
#                      net_pcap, net_null have none); the patch asks for none.
#                      Its data path does not look at the checksum flags.
# Usage: bash perf/secgw/build.sh [BUILD_DIR]   (default build/secgw)
# Prints the path of the binary on success.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/build/secgw}
EX=${DPDK_EXAMPLES:-/usr/share/dpdk/examples}

if [ ! -d "$EX/ipsec-secgw" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpdk-doc >/dev/null
	fi
fi
[ -d "$EX/ipsec-secgw" ] || { echo "secgw/build.sh: $EX/ipsec-secgw missing (apt-get install dpdk-doc)" >&2; exit 1; }

BIN=$OUT/src/ipsec-secgw/build/ipsec-secgw-shared
STAMP=$OUT/.stamp
want="$(cat "$HERE"/*.patch | md5sum | cut -c1-32) $(dpkg-query -W -f='${Version}' dpdk-doc 2>/dev/null || echo ?)"
if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
	ln -sf "$BIN" "$OUT/ipsec-secgw"
	echo "$OUT/ipsec-secgw"
	exit 0
fi
rm -rf "$OUT/src"
mkdir -p "$OUT/src"
cp -r "$EX/ipsec-secgw" "$EX/common" "$OUT/src/"
for p in "$HERE"/*.patch; do
	patch -s -p1 -d "$OUT/src/ipsec-secgw" <"$p"
done
make -s -C "$OUT/src/ipsec-secgw" -j"$(nproc)" shared >"$OUT/build.log" 2>&1 || {
	tail -30 "$OUT/build.log" >&2
	echo "secgw/build.sh: ipsec-secgw build failed (log: $OUT/build.log)" >&2
	exit 1
}
echo "$want" >"$STAMP"
ln -sf "$BIN" "$OUT/ipsec-secgw"
echo "$OUT/ipsec-secgw"
