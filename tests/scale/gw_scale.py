#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of tests/scale/gw_scale.sh (run with /usr/bin/python3: scapy).

  gw_scale.py tel PREFIX CMD             one DPDK telemetry command (JSON)
  gw_scale.py listing LIST.json N        checks `ipsecgw-ctl list-sas`: N
                                         ESTABLISHED IKE SAs, one CHILD SA
                                         each, N distinct remote /128s
  gw_scale.py sample LIST KEYLOG K OUT   K random CHILD SAs with their keys
  gw_scale.py gen SAMPLE DIR             DIR/wan_in.pcap (ESP for each
                                         sample, as the peer sends it) and
                                         DIR/lan_in.pcap (clear IPv6 to each
                                         sample's remote selector)
  gw_scale.py send PCAP IFACE            sends a pcap's frames (run inside
                                         the namespace of IFACE)
  gw_scale.py check SAMPLE DIR           DIR/lan_cap.pcap holds every
                                         decrypted inbound packet, and
                                         DIR/wan_cap.pcap ESP that opens with
                                         each sample's outbound key

ESP is built and opened with `cryptography` (RFC 4303/4106 by hand), as
tests/fastpath/pcap_esp.py does, not with the code under test.
"""
import json
import random
import socket
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.all import Ether, IP, IPv6, UDP, Raw, raw, rdpcap, wrpcap, sendp

GW_WAN_MAC, GW_LAN_MAC = "02:00:00:00:01:01", "02:00:00:00:01:02"
GEN_MAC, LAN_MAC = "02:00:00:00:02:02", "02:00:00:00:03:03"
GW_IP, GEN_IP = "192.0.2.1", "192.0.2.2"
LAN_HOST = "2001:db8:2::10"
DPORT = 9


def tel(prefix, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    info = json.loads(s.recv(4096).decode())
    s.send(cmd.encode())
    out = s.recv(int(info.get("max_output_len", 16384)) + 1024).decode()
    s.close()
    print(json.dumps(json.loads(out)[cmd.split(",")[0]]))


def children(listing):
    for sa in json.load(open(listing))["sas"]:
        if sa.get("state") != "ESTABLISHED":
            continue
        for c in sa.get("children") or []:
            yield sa, c


def remote_host(c):
    ts = c.get("remote_ts") or []
    return ts[0].split("/")[0] if len(ts) == 1 and ts[0].endswith("/128") else None


def listing(path, n):
    sas = json.load(open(path))["sas"]
    est = [s for s in sas if s.get("state") == "ESTABLISHED"]
    one = sum(1 for s in est if len(s.get("children") or []) == 1)
    hosts = {remote_host(c) for _, c in children(path)} - {None}
    print("%d IKE SAs listed, %d ESTABLISHED, %d with one CHILD SA, %d distinct remote /128"
          % (len(sas), len(est), one, len(hosts)))
    if len(est) != n or one != n or len(hosts) != n:
        sys.exit("want %d of each" % n)


def keylog(path):
    keys = {}
    for line in open(path):
        if not line.startswith("CHILD_SA "):
            continue
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        keys[int(f["spi"], 16)] = (f["encr"], bytes.fromhex(f["enc_key"]), f["src"], f["dst"])
    return keys


def sample(listing_path, keylog_path, k, out):
    keys = keylog(keylog_path)
    all_c = [c for _, c in children(listing_path) if remote_host(c)]
    rnd = random.Random()
    picked = rnd.sample(all_c, min(k, len(all_c)))
    res = []
    for c in picked:
        si, so = int(c["spi_in"], 16), int(c["spi_out"], 16)
        if si not in keys or so not in keys:
            sys.exit("keylog lacks SPI %08x or %08x" % (si, so))
        ki, ko = keys[si], keys[so]
        if ki[0] != "aes128gcm16" or ko[0] != "aes128gcm16":
            sys.exit("unexpected cipher %s / %s" % (ki[0], ko[0]))
        if (ki[2], ki[3], ko[2], ko[3]) != (GEN_IP, GW_IP, GW_IP, GEN_IP):
            sys.exit("keylog addresses of %08x/%08x: %s" % (si, so, (ki[2:], ko[2:])))
        res.append({"host": remote_host(c), "spi_in": si, "spi_out": so,
                    "key_in": ki[1].hex(), "key_out": ko[1].hex()})
    json.dump(res, open(out, "w"))
    print("%d CHILD SAs sampled of %d" % (len(res), len(all_c)))


def esp_gcm(spi, seq, inner, key, nh):
    pad = (-(len(inner) + 2)) % 4
    pt = inner + bytes(range(1, pad + 1)) + bytes([pad, nh])
    iv = struct.pack("!Q", seq)
    hdr = struct.pack("!II", spi, seq)
    return hdr + iv + AESGCM(key[:-4]).encrypt(key[-4:] + iv, pt, hdr)


def open_gcm(esp, key):
    hdr, iv, ct = esp[:8], esp[8:16], esp[16:]
    pt = AESGCM(key[:-4]).decrypt(key[-4:] + iv, ct, hdr)
    return pt[:-2 - pt[-2]], pt[-1]


def payload(s, way):
    return ("scale-%s-%08x" % (way, s["spi_in"])).encode()


def gen(sample_path, d):
    smp = json.load(open(sample_path))
    wan, lan = [], []
    for s in smp:
        inner = IPv6(src=s["host"], dst=LAN_HOST, hlim=64) / UDP(sport=40000, dport=DPORT) / Raw(payload(s, "in"))
        esp = esp_gcm(s["spi_in"], 1, raw(inner), bytes.fromhex(s["key_in"]), 41)
        wan.append(Ether(src=GEN_MAC, dst=GW_WAN_MAC) / IP(src=GEN_IP, dst=GW_IP, proto=50) / Raw(esp))
        clear = IPv6(src=LAN_HOST, dst=s["host"], hlim=64) / UDP(sport=40001, dport=DPORT) / Raw(payload(s, "out"))
        lan.append(Ether(src=LAN_MAC, dst=GW_LAN_MAC) / clear)
    wrpcap(d + "/wan_in.pcap", wan)
    wrpcap(d + "/lan_in.pcap", lan)


def send(pcap, iface):
    sendp(rdpcap(pcap), iface=iface, verbose=False, inter=0.002)


def got_inbound(d):
    seen = set()
    for p in rdpcap(d + "/lan_cap.pcap"):
        if IPv6 in p and UDP in p and p[UDP].dport == DPORT and p[Ether].src == GW_LAN_MAC:
            seen.add((p[IPv6].src, p[IPv6].dst, bytes(p[UDP].payload)))
    return seen


def got_outbound(d, by_spi):
    seen = set()
    for p in rdpcap(d + "/wan_cap.pcap"):
        if IP not in p or p[IP].proto != 50 or p[IP].src != GW_IP:
            continue
        esp = bytes(p[IP].payload)
        s = by_spi.get(struct.unpack("!I", esp[:4])[0])
        if s is None:
            continue
        try:
            inner, nh = open_gcm(esp, bytes.fromhex(s["key_out"]))
        except Exception:
            continue
        q = IPv6(inner)
        if nh == 41 and UDP in q:
            seen.add((q.src, q.dst, bytes(q[UDP].payload)))
    return seen


def check(sample_path, d):
    smp = json.load(open(sample_path))
    ins, outs = got_inbound(d), got_outbound(d, {s["spi_out"]: s for s in smp})
    n_in = sum(1 for s in smp if (s["host"], LAN_HOST, payload(s, "in")) in ins)
    n_out = sum(1 for s in smp if (LAN_HOST, s["host"], payload(s, "out")) in outs)
    print("%d of %d inbound decrypted onto the LAN, %d of %d outbound opened with the SA's key"
          % (n_in, len(smp), n_out, len(smp)))
    if n_in != len(smp) or n_out != len(smp):
        sys.exit(1)


def main(a):
    if a[0] == "tel":
        tel(a[1], a[2])
    elif a[0] == "listing":
        listing(a[1], int(a[2]))
    elif a[0] == "sample":
        sample(a[1], a[2], int(a[3]), a[4])
    elif a[0] == "gen":
        gen(a[1], a[2])
    elif a[0] == "send":
        send(a[1], a[2])
    elif a[0] == "check":
        check(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
