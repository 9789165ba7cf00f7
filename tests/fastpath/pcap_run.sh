#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# pcap-in/pcap-out run of the whole gateway (build/ipsecgw, one worker) on
# net_pcap ports without hugepages: scapy writes plaintext (LAN) and ESP
# (WAN) input, the gateway runs until its input is used up, then
# pcap_esp.py decrypts and checks what came out, and the drop counters.
# Twice: with the intel-ipsec-mb backend, then with the cryptodev backend
# on a crypto_aesni_mb vdev the gateway probes itself. tshark, when
# present, must decrypt the AES-GCM ESP of the last run too.
#   bash tests/fastpath/pcap_run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
PY=/usr/bin/python3
DIR=$(mktemp -d /tmp/pcap_run.XXXXXX)
# (the EAL's runtime files of the --file-prefix too: /var/run/dpdk is memory)
trap 'rm -rf "$DIR" "/var/run/dpdk/pcap$$"' EXIT

$PY tests/fastpath/pcap_esp.py gen "$DIR"
$PY -c 'import json, sys
cfg = json.load(open("tests/fastpath/gw.json"))
cfg["fastpath"]["crypto"] = {"backend": "cryptodev", "devargs": "crypto_aesni_mb0",
                             "profile": "aesni_mb"}
json.dump(cfg, open(sys.argv[1], "w"), indent=1)' "$DIR/gw_cdev.json"

for backend in imb cryptodev; do
	conf=tests/fastpath/gw.json
	want="crypto: intel-ipsec-mb"
	if [ "$backend" = cryptodev ]; then
		conf="$DIR/gw_cdev.json"
		want="crypto: cryptodev crypto_aesni_mb0"
	fi
	rm -f "$DIR/lan_out.pcap" "$DIR/wan_out.pcap" "$DIR/stats.json"
	# --idle-exit: stop 1 s after the last packet; --duration bounds the run.
	timeout 60 "$BUILD/ipsecgw" --no-huge -m 512 --no-pci --no-telemetry --file-prefix "pcap$$" \
		-l 0-1 --log-level=lib.eal:error \
		--vdev "net_pcap0,rx_pcap=$DIR/lan_in.pcap,tx_pcap=$DIR/lan_out.pcap" \
		--vdev "net_pcap1,rx_pcap=$DIR/wan_in.pcap,tx_pcap=$DIR/wan_out.pcap" \
		-- -c "$conf" --idle-exit 1000 --duration 30 --stats "$DIR/stats.json" \
		> "$DIR/gw.log" 2>&1 || { rc=$?; cat "$DIR/gw.log"; echo "FAIL ($backend): build/ipsecgw exited with status $rc (124: still running after 60 s)"; exit 1; }
	grep -q "INFO fastpath: $want" "$DIR/gw.log" || { cat "$DIR/gw.log"; echo "FAIL: backend $backend not used"; exit 1; }
	$PY tests/fastpath/pcap_esp.py check "$DIR" || { cat "$DIR/gw.log" "$DIR/stats.json"; echo "FAIL ($backend)"; exit 1; }
	echo "pcap_run: backend $backend: OK"
done

if command -v tshark > /dev/null; then
	n=$(tshark -r "$DIR/wan_out.pcap" -o esp.enable_encryption_decode:TRUE \
		-o 'uat:esp_sa:"IPv4","192.0.2.1","192.0.2.2","0x00001001","AES-GCM with 16 octet ICV [RFC4106]","0x101112131415161718191a1b1c1d1e1f20212223","NULL",""' \
		-Y 'esp.spi == 0x1001 && udp.dstport == 2000' 2> /dev/null | wc -l)
	# 41: one of them left in two IPv4 fragments, which tshark reassembles.
	if [ "$n" -ne 41 ]; then
		echo "FAIL: tshark decrypted $n of 41 AES-GCM packets"
		exit 1
	fi
	echo "tshark: 41 AES-GCM ESP packets decrypted (one from fragments): OK"
fi
echo "pcap_run: OK"
