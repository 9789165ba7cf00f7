#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs every Debian 12 package the project needs. Idempotent: packages that
# are already present are skipped, and apt-get is not run at all when nothing
# is missing, so `make test` on a prepared machine costs no time here.
set -euo pipefail

PKGS=(
  build-essential pkg-config clang-format
  dpdk dpdk-dev libdpdk-dev dpdk-doc
  libipsec-mb-dev
  libssl-dev openssl
  libjansson-dev libcap-dev libmicrohttpd-dev
  libcunit1-dev
  strongswan-charon strongswan-swanctl strongswan-pki
  libcharon-extra-plugins libstrongswan-extra-plugins libstrongswan-standard-plugins
  # libsystemd: sd_notify of the daemons; the rest builds and checks the
  # Debian package, the manual pages and the systemd units (tests/pkg)
  libsystemd-dev debhelper dpkg-dev fakeroot groff-base man-db systemd
  tshark tcpdump iproute2 iputils-ping nftables ethtool python3 python3-scapy python3-cryptography
  # promtool checks the metrics endpoint's text in the tests
  prometheus curl
  # Libreswan's pluto (tests/interop/ls_run.sh) is extracted by
  # scripts/libreswan.sh, not installed; these are the libraries and tools
  # it needs beyond what charon pulls in
  libldns3 libevent-pthreads-2.1-7 libnss3-tools
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# libreswan conflicts with strongswan-charon as a package: extract it instead
# (idempotent; nothing is fetched when it is already there)
libreswan() {
  if [ "$(id -u)" -eq 0 ]; then
    bash "$(dirname "${BASH_SOURCE[0]}")/libreswan.sh" >/dev/null
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  libreswan
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]}" >&2
  echo "deps.sh: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# charon must not run as a system service: tests start their own in namespaces.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now strongswan-starter strongswan 2>/dev/null || true
fi
libreswan
echo "deps.sh: done"
