#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A large IKE_SA_INIT in IP fragments, through the whole DPDK gateway
# (build/ipsecgw with a responder connection, net_pcap ports, --no-huge):
# the worker reassembles the 2,3xx-byte datagram, which does not fit one
# mbuf, punts it to the control core as a chain (docs/fastpath.md,
# "Fragments and MTU"), and the IKE engine answers it from the control
# core's TX queue. scapy writes the request and reads the answer.
#   bash tests/fastpath/ike_frag_run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
PY=/usr/bin/python3
DIR=$(mktemp -d /tmp/ike_frag_run.XXXXXX)
PFX=ikefrag$$
trap 'rm -rf "$DIR" "/var/run/dpdk/$PFX"' EXIT

$PY - "$DIR" <<'PYEOF'
import os, sys
from scapy.all import Ether, IP, UDP, fragment, wrpcap
from scapy.contrib.ikev2 import (IKEv2, IKEv2_payload_SA, IKEv2_payload_Proposal,
                                 IKEv2_payload_Transform, IKEv2_payload_KE,
                                 IKEv2_payload_Nonce, IKEv2_payload_VendorID)
d = sys.argv[1]
tr = (IKEv2_payload_Transform(transform_type="Encryption", transform_id=20, key_length=128) /
      IKEv2_payload_Transform(transform_type="PRF", transform_id=5) /
      IKEv2_payload_Transform(transform_type="GroupDesc", transform_id=31))
# scapy leaves next_payload 0 where another payload follows: set each.
sa = IKEv2_payload_SA(next_payload=34,
                      prop=IKEv2_payload_Proposal(proposal=1, proto=1, trans_nb=3, trans=tr))
# x25519 key share: any 32 bytes are a public key; a 2,000-byte vendor ID
# makes the message too big for one 2 KiB mbuf.
ike = (IKEv2(init_SPI=bytes.fromhex("0123456789abcdef"), exch_type=34, flags="Initiator") /
       sa / IKEv2_payload_KE(next_payload=40, group=31, load=os.urandom(32)) /
       IKEv2_payload_Nonce(next_payload=43, load=os.urandom(32)) /
       IKEv2_payload_VendorID(vendorID=os.urandom(2000)))
pkt = (Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
       IP(src="192.0.2.2", dst="192.0.2.1", id=0x4242) / UDP(sport=500, dport=500) / ike)
raw = bytes(pkt)
open(os.path.join(d, "size"), "w").write(str(len(raw) - 14))
frags = fragment(pkt, fragsize=1232)
wrpcap(os.path.join(d, "wan_in.pcap"), frags)
wrpcap(os.path.join(d, "lan_in.pcap"), [], linktype=1)
print("ike_frag_run: IKE_SA_INIT of %d bytes of IP in %d fragments" % (len(raw) - 14, len(frags)))
PYEOF

cat > "$DIR/gw.json" <<'JEOF'
{
  "log": { "level": "debug" },
  "connections": [
    { "name": "c1", "local_addr": "192.0.2.1", "remote_addr": "192.0.2.2",
      "local_id": "192.0.2.1", "remote_id": "192.0.2.2",
      "auth": { "method": "psk", "psk": "ike-frag-run-test-psk" },
      "ike_proposals": ["aes128gcm16-prfsha256-x25519"],
      "children": [ { "name": "net", "local_ts": ["198.51.100.0/24"],
                      "remote_ts": ["203.0.113.0/24"], "esp_proposals": ["aes128gcm16"] } ] }
  ],
  "fastpath": {
    "workers": 1,
    "ports": [
      { "name": "lan", "device": "net_pcap0", "profile": "net_pcap", "addresses": ["198.51.100.1"] },
      { "name": "wan", "device": "net_pcap1", "profile": "net_pcap", "addresses": ["192.0.2.1"] }
    ],
    "routes": [
      { "dst": "192.0.2.0/24", "port": "wan", "mac": "02:00:00:00:00:02" },
      { "dst": "198.51.100.0/24", "port": "lan", "mac": "02:00:00:00:00:03" }
    ]
  }
}
JEOF

# Two TX queues a port: the worker's and the control core's.
rc=0
timeout 60 "$BUILD/ipsecgw" --no-huge -m 512 --no-pci --no-telemetry --file-prefix "$PFX" \
	-l 0-1 --log-level=lib.eal:error \
	--vdev "net_pcap0,rx_pcap=$DIR/lan_in.pcap,tx_pcap=$DIR/lan_w.pcap,tx_pcap=$DIR/lan_c.pcap" \
	--vdev "net_pcap1,rx_pcap=$DIR/wan_in.pcap,tx_pcap=$DIR/wan_w.pcap,tx_pcap=$DIR/wan_c.pcap" \
	-- -c "$DIR/gw.json" --idle-exit 1500 --duration 20 --stats "$DIR/stats.json" \
	> "$DIR/gw.log" 2>&1 || rc=$?
$PY - "$DIR" "$rc" <<'PYEOF' || { cat "$DIR/gw.log"; echo "ike_frag_run: FAILED"; exit 1; }
import json, os, sys
from scapy.all import rdpcap, IP, UDP
from scapy.contrib.ikev2 import IKEv2
d, rc = sys.argv[1], int(sys.argv[2])
npass = nfail = 0
def check(ok, what):
    global npass, nfail
    print(("PASS " if ok else "FAIL ") + what)
    if ok: npass += 1
    else: nfail += 1
check(rc == 0, "the gateway exited with status 0 (%d)" % rc)
st = json.load(open(os.path.join(d, "stats.json"))) if rc == 0 else {}
w = (st.get("workers") or [{}])[0]
ike = st.get("ike", {})
size = int(open(os.path.join(d, "size")).read())
check(w.get("frag_in") == 2 and w.get("reassembled") == 1,
      "worker: 2 fragments in, 1 datagram of %d bytes reassembled (%s, %s)" %
      (size, w.get("frag_in"), w.get("reassembled")))
check(st.get("drops", {}).get("frag", 0) == 0, "no fragment dropped (frag %s)" %
      st.get("drops", {}).get("frag"))
check(ike.get("rx") == 1 and ike.get("rx_bad") == 0,
      "control core: the chained datagram parsed, UDP checksum good (rx %s, rx_bad %s)" %
      (ike.get("rx"), ike.get("rx_bad")))
out = [p for p in rdpcap(os.path.join(d, "wan_c.pcap")) if UDP in p and p[UDP].sport == 500]
resp = [p for p in out if IKEv2 in p and p[IKEv2].init_SPI == bytes.fromhex("0123456789abcdef")
        and p[IKEv2].exch_type == 34 and p[IKEv2].flags & 0x20]
check(len(resp) >= 1 and resp[0][IP].dst == "192.0.2.2",
      "the engine answered it: IKE_SA_INIT response to 192.0.2.2 from the control core's queue "
      "(%d UDP/500 packets there)" % len(out))
print("%d passed, %d failed" % (npass, nfail))
sys.exit(1 if nfail else 0)
PYEOF
echo "ike_frag_run: OK"
