#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent ESP implementation for tests/unit/fastpath/test_esp.c (scapy).

  esp_scapy.py gen OUT     writes the SA matrix and, per SA, packets that
                           scapy encrypted: our inbound path must decrypt them
                           to the same inner packet.
  esp_scapy.py check IN    reads packets our outbound path encrypted (same
                           file format) and decrypts them with scapy; prints
                           "OK <n>" and exits 0 when every one matches.

File format, one record a line:
  sa NAME spi=HEX mode=tunnel|transport outer=4|6 udp=0|1 esn=0|1
     cipher=gcm|cbc|null|chacha ckey=HEX auth=none|sha256|sha384|sha512 akey=HEX
  pkt NAME seq=DEC inner=HEX esp=HEX
inner is the packet before encryption (tunnel: inner packet; transport: the
whole IP packet), esp the packet on the wire (outer IP [+UDP] + ESP).

Worked around scapy 2.5 bugs: ESP HMAC ignores the ESN high bits (RFC 4303
2.2.1), so AuthAlgo.sign/verify are replaced; seq_num=0 means "the SA's
counter", so the counter is set instead; the NAT-T UDP length is left at 8, so
it is fixed after encryption; the padding it returns is wrong, so the trailer
is checked on a plaintext decrypted here with `cryptography`.
"""
import struct
import sys

from scapy.all import IP, IPv6, UDP, ICMP, Raw, raw
from scapy.layers.inet6 import ICMPv6EchoRequest
from scapy.layers.ipsec import ESP, SecurityAssociation, AuthAlgo, IPSecIntegrityError
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

ESN = {"en": False, "hi": 0}


def _sign(self, pkt, key, esn_en=False, esn=0):
    if not self.mac:
        return pkt
    mac = self.new_mac(key)
    mac.update(raw(pkt[ESP]) + (struct.pack("!L", ESN["hi"]) if ESN["en"] else b""))
    pkt[ESP].data += mac.finalize()[:self.icv_size]
    return pkt


def _verify(self, pkt, key, esn_en=False, esn=0):
    if not self.mac or self.icv_size == 0:
        return
    icv = pkt.data[len(pkt.data) - self.icv_size:]
    clone = pkt.copy()
    clone.data = clone.data[:len(clone.data) - self.icv_size]
    mac = self.new_mac(key)
    mac.update(raw(clone) + (struct.pack("!L", ESN["hi"]) if ESN["en"] else b""))
    if mac.finalize()[:self.icv_size] != icv:
        raise IPSecIntegrityError("icv mismatch")


AuthAlgo.sign = _sign
AuthAlgo.verify = _verify

SUITES = [  # name, cipher, cipher key bytes (incl. salt), auth, auth key bytes
    ("gcm128", "gcm", 20, "none", 0),
    ("gcm256", "gcm", 36, "none", 0),
    ("chacha", "chacha", 36, "none", 0),
    ("cbc128sha256", "cbc", 16, "sha256", 32),
    ("cbc256sha384", "cbc", 32, "sha384", 48),
    ("cbc128sha512", "cbc", 16, "sha512", 64),
    ("nullsha256", "null", 0, "sha256", 32),
]
MODES = [  # name, mode, outer family, inner family
    ("t44", "tunnel", 4, 4), ("t46", "tunnel", 4, 6), ("t64", "tunnel", 6, 4),
    ("t66", "tunnel", 6, 6), ("tr4", "transport", 4, 4), ("tr6", "transport", 6, 6),
]
SCAPY_CIPHER = {"gcm": "AES-GCM", "cbc": "AES-CBC", "null": "NULL", "chacha": "CHACHA20-POLY1305"}
SCAPY_AUTH = {"none": "NULL", "sha256": "SHA2-256-128", "sha384": "SHA2-384-192",
              "sha512": "SHA2-512-256"}
ADDR = {4: ("192.0.2.1", "192.0.2.2"), 6: ("2001:db8::1", "2001:db8::2")}
INNER = {4: ("198.51.100.1", "203.0.113.1"), 6: ("2001:db8:1::1", "2001:db8:2::1")}
ESN_SEQS = [0x1fffffffe, 0x1ffffffff, 0x200000000]   # crosses a low-32 wrap
SEQS = [1, 2, 3]


def parse_kv(fields):
    return dict(f.split("=", 1) for f in fields)


def make_sa(kv, dir_out_from_local=True):
    """scapy SA for an sa record; outer addresses ADDR[outer] (src, dst)."""
    outer = int(kv["outer"])
    src, dst = ADDR[outer]
    ckey = bytes.fromhex(kv["ckey"])
    akey = bytes.fromhex(kv["akey"]) if kv["akey"] else None
    args = dict(spi=int(kv["spi"], 16), crypt_algo=SCAPY_CIPHER[kv["cipher"]],
                crypt_key=ckey or None, auth_algo=SCAPY_AUTH[kv["auth"]], auth_key=akey)
    if kv["mode"] == "tunnel":
        args["tunnel_header"] = IP(src=src, dst=dst) if outer == 4 else IPv6(src=src, dst=dst)
    if kv["udp"] == "1":
        args["nat_t_header"] = UDP(sport=4500, dport=4500)
    return SecurityAssociation(ESP, **args)


def inner_packets(kv):
    fam = int(kv["outer"]) if kv["mode"] == "transport" else int(kv["inner"])
    src, dst = (ADDR if kv["mode"] == "transport" else INNER)[fam]
    out = []
    for i, n in enumerate((0, 13, 101)):
        payload = bytes((i * 7 + j) & 0xff for j in range(n))
        if fam == 4:
            p = IP(src=src, dst=dst, id=100 + i, tos=0x28) / (
                ICMP(id=7, seq=i) if i != 1 else UDP(sport=1234, dport=5678)) / Raw(payload)
        else:
            p = IPv6(src=src, dst=dst, tc=0x28) / (
                ICMPv6EchoRequest(id=7, seq=i) if i != 1 else UDP(sport=1234, dport=5678)) / Raw(payload)
        out.append(raw(p))
    return out


def sa_records():
    recs = []
    idx = 0
    for sname, cipher, cklen, auth, aklen in SUITES:
        for mname, mode, outer, inner in MODES:
            for udp in (0, 1):
                for esn in (0, 1):
                    idx += 1
                    ckey = bytes((idx * 3 + j) & 0xff for j in range(cklen))
                    akey = bytes((idx * 5 + 0x40 + j) & 0xff for j in range(aklen))
                    name = "%s-%s%s%s" % (sname, mname, "-udp" if udp else "", "-esn" if esn else "")
                    recs.append(dict(name=name, spi="%08x" % (0x1000 + idx), mode=mode,
                                     outer=str(outer), inner=str(inner), udp=str(udp),
                                     esn=str(esn), cipher=cipher, ckey=ckey.hex(),
                                     auth=auth, akey=akey.hex()))
    return recs


def sa_line(r):
    return "sa %s spi=%s mode=%s outer=%s inner=%s udp=%s esn=%s cipher=%s ckey=%s auth=%s akey=%s" % (
        r["name"], r["spi"], r["mode"], r["outer"], r["inner"], r["udp"], r["esn"],
        r["cipher"], r["ckey"], r["auth"], r["akey"])


def gen(path):
    n = 0
    with open(path, "w") as f:
        for r in sa_records():
            f.write(sa_line(r) + "\n")
            sa = make_sa(r)
            esn = r["esn"] == "1"
            for seq, inner in zip(ESN_SEQS if esn else SEQS, inner_packets(r)):
                ESN.update(en=esn, hi=seq >> 32)
                pkt = (IP if r["mode"] == "transport" and r["outer"] == "4" else
                       IPv6 if r["mode"] == "transport" else
                       IP if r["inner"] == "4" else IPv6)(inner)
                iv = struct.pack("!Q", seq) if r["cipher"] in ("gcm", "chacha") else None
                sa.seq_num = seq & 0xffffffff
                e = sa.encrypt(pkt, iv=iv, esn_en=esn, esn=seq >> 32)
                if r["udp"] == "1":
                    e[UDP].len = 8 + len(raw(e[UDP].payload))
                f.write("pkt %s seq=%d inner=%s esp=%s\n" % (r["name"], seq, inner.hex(), raw(e).hex()))
                n += 1
    print("OK %d" % n)
    return 0


def check_outer(kv, wire, seq):
    """Our outer header: lengths, checksum, UDP 4500 with checksum 0 over IPv4
    (RFC 3948 2.1) and a correct, non-zero one over IPv6 (RFC 8200 8.1), SPI,
    seq."""
    outer = int(kv["outer"])
    p = IP(wire) if outer == 4 else IPv6(wire)
    if outer == 4:
        if p.len != len(wire):
            return "IPv4 total length %d != %d" % (p.len, len(wire))
        c = p.chksum
        q = IP(wire)
        del q.chksum
        if IP(raw(q)).chksum != c:
            return "bad IPv4 header checksum"
    elif p.plen != len(wire) - 40:
        return "IPv6 payload length %d != %d" % (p.plen, len(wire) - 40)
    if kv["mode"] == "tunnel" and (p.src, p.dst) != ADDR[outer]:
        return "outer addresses %s -> %s" % (p.src, p.dst)
    if kv["udp"] == "1":
        u = p[UDP]
        if (u.sport, u.dport) != (4500, 4500):
            return "UDP %d->%d" % (u.sport, u.dport)
        if outer == 4 and u.chksum != 0:
            return "UDP checksum %#x over IPv4, not 0" % u.chksum
        if outer == 6:
            q = IPv6(wire)
            del q[UDP].chksum
            want = IPv6(raw(q))[UDP].chksum
            if u.chksum == 0 or u.chksum != want:
                return "UDP checksum %#x over IPv6, want %#x" % (u.chksum, want)
        if u.len != len(wire) - (20 if outer == 4 else 40):
            return "UDP length %d" % u.len
        esp = ESP(raw(u.payload))
    else:
        esp = p[ESP]
    if esp.spi != int(kv["spi"], 16) or esp.seq != seq & 0xffffffff:
        return "ESP spi/seq %x/%d" % (esp.spi, esp.seq)
    return None


def check_one(kv, sa, seq, inner, wire):
    err = check_outer(kv, wire, seq)
    if err:
        return err
    esn = kv["esn"] == "1"
    ESN.update(en=esn, hi=seq >> 32)
    p = IP(wire) if kv["outer"] == "4" else IPv6(wire)
    if kv["udp"] == "1":   # scapy decrypts ESP only right after IP
        u = p[UDP]
        esp = ESP(raw(u.payload))
        p = (IP(src=p.src, dst=p.dst, proto=50) if kv["outer"] == "4"
             else IPv6(src=p.src, dst=p.dst, nh=50)) / esp
        p = p.__class__(raw(p))
    try:
        plain = plaintext(kv, sa, raw(p[ESP]), seq)
        d = sa.decrypt(p, esn_en=esn, esn=seq >> 32)
    except Exception as ex:   # IPSecIntegrityError and decode errors
        return "decrypt: %r" % ex
    padlen, nh = plain[-2], plain[-1]
    if plain[len(plain) - 2 - padlen:-2] != bytes(range(1, padlen + 1)):
        return "padding %s" % plain[len(plain) - 2 - padlen:-2].hex()
    align = 16 if kv["cipher"] == "cbc" else 4
    if len(plain) % align or padlen >= align:
        return "padded to %d with %d bytes" % (len(plain), padlen)
    want_nh = {"4": 4, "6": 41}[kv["inner"]] if kv["mode"] == "tunnel" else None
    if want_nh is not None and nh != want_nh:
        return "next header %d" % nh
    got = raw(d)
    if kv["mode"] == "transport":
        # scapy rebuilds the header from the outer one; compare as a packet
        orig = (IP if kv["outer"] == "4" else IPv6)(inner)
        if kv["outer"] == "4":
            got_p = IP(got)
            if raw(got_p.payload) != raw(orig.payload) or got_p.proto != orig.proto:
                return "transport payload differs"
        elif raw(IPv6(got).payload) != raw(orig.payload):
            return "transport payload differs"
        return None
    if got != inner:
        return "inner differs:\n got %s\nwant %s" % (got.hex(), inner.hex())
    return None


def plaintext(kv, sa, esp, seq):
    """Decrypts an ESP header..ICV with `cryptography` (ICV not checked here
    for CBC/NULL; scapy's decrypt checks it)."""
    c = kv["cipher"]
    if c in ("gcm", "chacha"):
        aad = esp[:4] + (struct.pack("!Q", seq) if kv["esn"] == "1" else esp[4:8])
        aead = AESGCM(sa.crypt_key) if c == "gcm" else ChaCha20Poly1305(sa.crypt_key)
        return aead.decrypt(sa.crypt_salt + esp[8:16], esp[16:], aad)
    icv = {"sha256": 16, "sha384": 24, "sha512": 32}[kv["auth"]]
    if c == "null":
        return esp[8:len(esp) - icv]
    d = Cipher(algorithms.AES(sa.crypt_key), modes.CBC(esp[8:24])).decryptor()
    return d.update(esp[24:len(esp) - icv]) + d.finalize()


def check(path):
    sas, n, bad = {}, 0, 0
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "sa":
                kv = parse_kv(w[2:])
                sas[w[1]] = (kv, make_sa(kv))
                continue
            kv, sa = sas[w[1]]
            f2 = parse_kv(w[2:])
            err = check_one(kv, sa, int(f2["seq"]), bytes.fromhex(f2["inner"]),
                            bytes.fromhex(f2["esp"]))
            n += 1
            if err:
                bad += 1
                print("FAIL %s seq=%s: %s" % (w[1], f2["seq"], err))
    if n == 0:
        print("FAIL no packets")
        return 1
    print("OK %d" % n if bad == 0 else "FAILED %d of %d" % (bad, n))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        print(__doc__)
        sys.exit(2)
    sys.exit(gen(sys.argv[2]) if sys.argv[1] == "gen" else check(sys.argv[2]))
