#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Inputs and checks for tests/fastpath/pcap_run.sh (run with /usr/bin/python3,
which has scapy).

  pcap_esp.py gen DIR     writes DIR/lan_in.pcap and DIR/wan_in.pcap
  pcap_esp.py check DIR   checks DIR/lan_out.pcap, DIR/wan_out.pcap, DIR/stats.json

ESP is built and opened here with `cryptography` (RFC 4303/4106/3948 by
hand), not with scapy's ESP layer, so the check does not share code or
bugs with what it checks. The SAs match tests/fastpath/gw.json.
"""
import hashlib
import hmac
import json
import os
import struct
import sys

from scapy.all import Ether, ARP, IP, IPv6, UDP, ICMP, IPerror, UDPerror, Raw, raw, rdpcap, wrpcap, fragment, defragment
from scapy.layers.inet6 import ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr, in6_getnsma, in6_getnsmac
from scapy.utils6 import inet_pton as inet6_pton
import socket
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

GW_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
GW_V6 = "2001:db8:1::1"      # the LAN port's IPv6 address in gw.json
N = 40                      # packets per flow

# SAs of gw.json: (spi, kind, key, auth_key, udp)
GCM_KEY = bytes(range(0x10, 0x24))           # 16 + 4 salt
CBC_KEY = bytes(range(0x30, 0x40))
CBC_AKEY = bytes(range(0x50, 0x70))
OUT_GCM, OUT_CBC_UDP = 0x1001, 0x1002
IN_GCM, IN_GCM_UDP = 0x2001, 0x2002
IN_KEY = bytes(range(0x60, 0x74))


def esp_gcm(spi, seq, inner, key, nh=4):
    pad = (-(len(inner) + 2)) % 4
    pt = inner + bytes(range(1, pad + 1)) + bytes([pad, nh])
    iv = struct.pack("!Q", seq)
    hdr = struct.pack("!II", spi, seq)
    ct = AESGCM(key[:-4]).encrypt(key[-4:] + iv, pt, hdr)
    return hdr + iv + ct


def open_gcm(esp, key):
    hdr, iv, ct = esp[:8], esp[8:16], esp[16:]
    pt = AESGCM(key[:-4]).decrypt(key[-4:] + iv, ct, hdr)
    padlen, nh = pt[-2], pt[-1]
    assert list(pt[-2 - padlen:-2]) == list(range(1, padlen + 1)), "padding"
    return pt[:-2 - padlen], nh


def open_cbc(esp, key, akey):
    icv = esp[-16:]
    want = hmac.new(akey, esp[:-16], hashlib.sha256).digest()[:16]
    assert hmac.compare_digest(icv, want), "HMAC-SHA-256-128"
    iv, ct = esp[8:24], esp[24:-16]
    d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    pt = d.update(ct) + d.finalize()
    padlen, nh = pt[-2], pt[-1]
    assert list(pt[-2 - padlen:-2]) == list(range(1, padlen + 1)), "padding"
    return pt[:-2 - padlen], nh


def ip_sum_ok(ip):
    """The IPv4 header checksum as sent equals one computed afresh (scapy
    keeps a parsed checksum when it rebuilds, so it must be deleted)."""
    q = ip.copy()
    del q.chksum
    return IP(raw(q)).chksum == ip.chksum


def eth(p):
    return Ether(src=PEER_MAC, dst=GW_MAC) / p


def plain(dst, i, src="198.51.100.5", ttl=64, size=60, df=False):
    return (IP(src=src, dst=dst, ttl=ttl, flags="DF" if df else 0) / UDP(sport=1000, dport=2000)
            / Raw(struct.pack("!I", i) + b"x" * size))


# Fragments and MTU (the WAN port's MTU is 1500, gw.json): inner packets
# of BIG bytes payload make ESP packets over 1500 bytes.
BIG = 1450


def gen(d):
    lan = []
    for i in range(N):
        lan.append(eth(plain("203.0.113.10", i)))          # -> ESP 0x1001
        lan.append(eth(plain("203.0.113.200", 1000 + i)))  # -> ESP-in-UDP 0x1002
    lan.append(eth(plain("192.0.2.50", 5000)))             # bypass
    lan.append(eth(plain("192.0.2.51", 5001)))             # bypass
    lan.append(eth(plain("203.0.113.10", 5002, src="198.51.100.66")))   # discard
    lan.append(eth(IPv6(src="2001:db8:1::5", dst="2001:db8:9::1") / UDP(sport=1, dport=2)))  # no policy
    lan.append(eth(plain("203.0.113.10", 5003, ttl=1)))    # TTL
    # ARP and neighbour solicitation for the gateway's LAN addresses are
    # answered on the spot; ARP for another address goes to the control core.
    lan.append(Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(pdst="198.51.100.1", psrc="198.51.100.5", hwsrc=PEER_MAC))
    lan.append(Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(pdst="198.51.100.77", psrc="198.51.100.5", hwsrc=PEER_MAC))
    nsma = socket.inet_ntop(socket.AF_INET6, in6_getnsma(inet6_pton(socket.AF_INET6, GW_V6)))
    lan.append(Ether(src=PEER_MAC, dst=in6_getnsmac(inet6_pton(socket.AF_INET6, nsma)))
               / IPv6(src="2001:db8:1::5", dst=nsma, hlim=255)
               / ICMPv6ND_NS(tgt=GW_V6) / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC))
    # Over the WAN MTU once encrypted: our ESP leaves in fragments.
    lan.append(eth(plain("203.0.113.10", 7000, size=BIG)))              # -> ESP 0x1001
    lan.append(eth(plain("203.0.113.200", 7001, size=BIG, df=True)))    # -> ESP-in-UDP, inner DF
    # Bypassed and over the MTU: fragmented without DF, dropped with it.
    lan.append(eth(plain("192.0.2.52", 7002, size=1500)))
    lan.append(eth(plain("192.0.2.53", 7003, size=1500, df=True)))      # mtu
    wrpcap(os.path.join(d, "lan_in.pcap"), lan)

    wan = []
    for i in range(N):
        inner = raw(plain("198.51.100.7", 2000 + i, src="203.0.113.10"))
        e = esp_gcm(IN_GCM, i + 1, inner, IN_KEY)
        wan.append(eth(IP(src="192.0.2.2", dst="192.0.2.1", proto=50) / Raw(e)))
        inner = raw(plain("198.51.100.8", 3000 + i, src="203.0.113.200"))
        e = esp_gcm(IN_GCM_UDP, i + 1, inner, IN_KEY)
        wan.append(eth(IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=4500, dport=4500, chksum=0) / Raw(e)))
    wan.append(wan[0].copy())                                               # replay
    e = bytearray(esp_gcm(IN_GCM, N + 5, raw(plain("198.51.100.7", 1, src="203.0.113.10")), IN_KEY))
    e[-1] ^= 1                                                              # ICV
    wan.append(eth(IP(src="192.0.2.2", dst="192.0.2.1", proto=50) / Raw(bytes(e))))
    e = esp_gcm(0x7777, 1, raw(plain("198.51.100.7", 1)), IN_KEY)
    wan.append(eth(IP(src="192.0.2.2", dst="192.0.2.1", proto=50) / Raw(e)))  # no SA
    wan.append(eth(IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=500, dport=500) / Raw(b"\0" * 28)))   # IKE
    wan.append(eth(IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=4500, dport=4500) / Raw(b"\0" * 32)))  # marker
    # Fragmented by the sender (a peer's kernel does this when ESP
    # exceeds its MTU): reassembled, then decrypted. Last fragment first.
    inner = raw(plain("198.51.100.7", 6000, src="203.0.113.10", size=BIG))
    e = esp_gcm(IN_GCM, N + 10, inner, IN_KEY)
    frags = fragment(IP(src="192.0.2.2", dst="192.0.2.1", proto=50, id=0x4242) / Raw(e), fragsize=600)
    wan += [eth(f) for f in reversed(frags)]
    nfrag = len(frags)
    inner = raw(plain("198.51.100.8", 6001, src="203.0.113.200", size=BIG))
    e = esp_gcm(IN_GCM_UDP, N + 1, inner, IN_KEY)
    frags = fragment(IP(src="192.0.2.2", dst="192.0.2.1", id=0x4243)
                     / UDP(sport=4500, dport=4500, chksum=0) / Raw(e), fragsize=800)
    wan += [eth(f) for f in frags]
    nfrag += len(frags)
    # IKE in two fragments (large certificates do this): reassembled, punted.
    frags = fragment(IP(src="192.0.2.2", dst="192.0.2.1", id=0x4244) / UDP(sport=500, dport=500)
                     / Raw(b"\0" * 1200), fragsize=800)
    wan += [eth(f) for f in frags]
    nfrag += len(frags)
    # A fragment whose length is not a multiple of 8 though more follow
    # (dropped at once), and a first fragment that is never completed
    # (dropped when reassembly.timeout_ms passes): both `frag`.
    wan.append(eth(IP(src="192.0.2.2", dst="192.0.2.1", proto=50, id=0x4245, flags="MF") / Raw(b"\1" * 13)))
    wan.append(eth(IP(src="192.0.2.2", dst="192.0.2.1", proto=50, id=0x4246, flags="MF") / Raw(b"\1" * 64)))
    nfrag += 2
    wrpcap(os.path.join(d, "wan_in.pcap"), wan)
    json.dump({"frag_in": nfrag}, open(os.path.join(d, "expect.json"), "w"))


def check(d):
    fails = []

    def want(cond, what):
        if not cond:
            fails.append(what)

    # WAN side: ESP we made.
    seqs = {OUT_GCM: [], OUT_CBC_UDP: []}
    ids = {OUT_GCM: set(), OUT_CBC_UDP: set()}
    other = bypassed = nfrag = 0
    wan = rdpcap(os.path.join(d, "wan_out.pcap"))
    for p in wan:
        want(len(p[IP]) <= 1500, "packet of %d bytes over the WAN MTU" % len(p[IP]))
        want(ip_sum_ok(p[IP]), "outer IPv4 checksum (fragments included)")
        if p[IP].flags.MF or p[IP].frag:
            nfrag += 1
    # scapy puts the fragments back together, independently of us.
    for p in defragment(wan):
        ip = p[IP]
        want(ip.src != "192.0.2.1" or ip.dst == "192.0.2.2", "outer addresses %s->%s" % (ip.src, ip.dst))
        if ip.proto == 50:
            esp = raw(ip.payload)
        elif ip.proto == 17 and ip[UDP].dport == 4500:
            want(ip[UDP].chksum == 0 and ip[UDP].len == len(raw(ip[UDP])), "UDP encapsulation header")
            esp = raw(ip[UDP].payload)
        else:
            if UDP in ip and struct.unpack("!I", raw(ip[UDP].payload)[:4])[0] in (5000, 5001, 7002):
                bypassed += 1
                want(ip.ttl == 63, "bypassed TTL")
            else:
                other += 1
            continue
        spi, seq = struct.unpack("!II", esp[:8])
        if spi == OUT_GCM:
            inner, nh = open_gcm(esp, GCM_KEY)
        elif spi == OUT_CBC_UDP:
            want(ip.proto == 17, "SA 0x1002 is UDP-encapsulated")
            inner, nh = open_cbc(esp, CBC_KEY, CBC_AKEY)
        else:
            fails.append("unknown SPI 0x%x" % spi)
            continue
        want(nh == 4, "next header %d" % nh)
        q = IP(inner)
        want(q.ttl == 63, "inner TTL %d (decremented once)" % q.ttl)
        seqs[spi].append(seq)
        ids[spi].add(struct.unpack("!I", raw(q[UDP].payload)[:4])[0])
    want(other == 0, "%d unexpected packets on the WAN side" % other)
    want(bypassed == 3, "%d bypassed packets on the WAN side, expected 3" % bypassed)
    for spi, base, big in ((OUT_GCM, 0, 7000), (OUT_CBC_UDP, 1000, 7001)):
        want(sorted(seqs[spi]) == list(range(1, N + 2)), "SA 0x%x sequence numbers %s" % (spi, seqs[spi][:5]))
        want(ids[spi] == set(range(base, base + N)) | {big}, "SA 0x%x inner packets" % spi)
    # 7000, 7001 (ESP of 1,540-1,560 bytes) and 7002 (1,532) in two each
    want(nfrag == 6, "%d fragments on the WAN side, expected 6" % nfrag)

    # LAN side: decrypted and bypassed packets.
    got = {}
    icmps = arps = nas = 0
    for p in rdpcap(os.path.join(d, "lan_out.pcap")):
        if ARP in p:
            # RFC 826 reply from the port's MAC, to the asker.
            arps += 1
            a = p[ARP]
            want(a.op == 2 and a.psrc == "198.51.100.1" and a.pdst == "198.51.100.5"
                 and a.hwdst == PEER_MAC and a.hwsrc == p[Ether].src and p[Ether].dst == PEER_MAC,
                 "ARP reply: %s" % a.summary())
            continue
        if ICMPv6ND_NA in p:
            # RFC 4861 7.2.4: router, solicited, override, our link-layer address.
            nas += 1
            na = p[ICMPv6ND_NA]
            q = p[IPv6].copy()
            del q[ICMPv6ND_NA].cksum
            want(IPv6(raw(q))[ICMPv6ND_NA].cksum == na.cksum, "NA checksum")
            want(p[IPv6].src == GW_V6 and p[IPv6].dst == "2001:db8:1::5" and p[IPv6].hlim == 255
                 and na.tgt == GW_V6 and na.S == 1 and na.O == 1 and na.R == 1
                 and ICMPv6NDOptDstLLAddr in p and p[ICMPv6NDOptDstLLAddr].lladdr == p[Ether].src
                 and p[Ether].dst == PEER_MAC, "NA: %s" % p.summary())
            continue
        if IP in p and ICMP in p:
            # The DF packet 7003 dropped as `mtu`: its source is told, from
            # the gateway's first address (the policy in gw.json lets it out).
            icmps += 1
            ic = p[ICMP]
            want(p[IP].src == "198.51.100.1" and p[IP].dst == "198.51.100.5", "ICMP addresses")
            want(ip_sum_ok(p[IP]), "ICMP's IPv4 checksum")
            want(ic.type == 3 and ic.code == 4 and ic.nexthopmtu == 1500,
                 "ICMP type %d code %d MTU %d" % (ic.type, ic.code, ic.nexthopmtu))
            chk = ic.chksum
            ic2 = ICMP(raw(ic))
            del ic2.chksum
            want(ICMP(raw(ic2)).chksum == chk, "ICMP checksum")
            want(len(p[IP]) == 576, "ICMP error of %d bytes, expected 576" % len(p[IP]))
            want(IPerror in p and p[IPerror].dst == "192.0.2.53" and UDPerror in p
                 and struct.unpack("!I", raw(p[UDPerror].payload)[:4])[0] == 7003,
                 "ICMP quotes the dropped packet")
            continue
        if IP not in p or UDP not in p:
            fails.append("non-IPv4/UDP packet on the LAN side")
            continue
        i = struct.unpack("!I", raw(p[UDP].payload)[:4])[0]
        got[i] = p[IP]
        want(ip_sum_ok(p[IP]), "IPv4 checksum after TTL decrement (id %d)" % i)
    want(set(got) == set(range(2000, 2000 + N)) | set(range(3000, 3000 + N)) | {6000, 6001},
         "LAN output ids: %d packets" % len(got))
    for i in (6000, 6001):
        want(i in got and len(raw(got[i][UDP].payload)) == 4 + BIG, "reassembled packet %d whole" % i)
    for i in range(N):
        want(2000 + i in got and got[2000 + i].ttl == 63, "decrypted TTL")
    want(icmps == 1, "%d ICMP errors on the LAN side, expected 1" % icmps)
    want(arps == 1 and nas == 1, "%d ARP replies and %d neighbour advertisements, expected 1 each" % (arps, nas))

    st = json.load(open(os.path.join(d, "stats.json")))
    dr = st["drops"]
    expect = {"replay": 1, "auth": 1, "no_sa": 1, "discard": 1, "no_policy": 1, "ttl": 1,
              "mtu": 1, "frag": 2}
    for k, v in expect.items():
        want(dr.get(k) == v, "drop %s = %s, expected %d" % (k, dr.get(k), v))
    others = {k: v for k, v in dr.items() if k not in expect and v}
    want(not others, "unexpected drops %s" % others)
    w = st["workers"][0]
    want(w["punt"] == 4, "punted %d, expected 4 (ARP for another host, IKE 500 twice, NAT-T marker)" % w["punt"])
    want(w["neigh_replies"] == 2, "neigh_replies %d, expected 2" % w["neigh_replies"])
    want(w["bypass"] == 5, "bypass %d (4 and the ICMP error)" % w["bypass"])
    want(w["icmp_too_big"] == 1, "icmp_too_big %d" % w["icmp_too_big"])
    want(w["esp_out"] == 2 * N + 2 and w["esp_in"] == 2 * N + 2,
         "esp_out/esp_in %d/%d" % (w["esp_out"], w["esp_in"]))
    ex = json.load(open(os.path.join(d, "expect.json")))
    want(w["frag_in"] == ex["frag_in"], "frag_in %d, expected %d" % (w["frag_in"], ex["frag_in"]))
    want(w["reassembled"] == 3, "reassembled %d, expected 3" % w["reassembled"])
    want(w["frag_out"] == 6, "frag_out %d, expected 6" % w["frag_out"])
    if fails:
        for f in fails:
            print("FAIL:", f)
        return 1
    print("pcap check: %d+%d ESP out (seq 1..%d each, one in fragments), %d decrypted "
          "(two reassembled), %d fragments out, 1 ICMP too big, drops %s, 4 punted: OK"
          % (N + 1, N + 1, N + 1, 2 * N + 2, nfrag, expect))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        sys.exit(__doc__)
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
