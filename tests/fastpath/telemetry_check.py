#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The running gateway's rte_telemetry commands, read with DPDK's own
client (dpdk-telemetry.py, non-interactive: one command per line on stdin,
one JSON reply per line), while it forwards the traffic of
`pcap_esp.py gen` (tests/fastpath/telemetry_run.sh starts it).

    telemetry_check.py FILE_PREFIX FRAMES_IN

Waits (30 s at most) until /ipsecgw/stats has counted FRAMES_IN frames
received and all 9 drops (one of them a lone fragment that expires after
gw.json's reassembly.timeout_ms), then checks each command's answer against what that traffic
gives, and that malformed parameters get an error reply while the gateway
keeps answering. Prints one line per check and 'N passed, N failed'.
"""
import json
import subprocess
import sys
import time

CLIENT = "/usr/bin/dpdk-telemetry.py"
N = 40                       # packets per flow in pcap_esp.py (plus one over the MTU)
DROPS = 9                    # one each of 7 reasons, 2 frag


def query(prefix, cmds):
    """Replies to cmds, in order; None where the gateway answered null."""
    p = subprocess.run(["/usr/bin/python3", CLIENT, "-f", prefix], input="\n".join(cmds) + "\n",
                       capture_output=True, text=True, timeout=20)
    # Non-interactive, the client prints one compact JSON line per reply
    # (and "Error connecting to ..." when there is no socket yet).
    replies = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    replies = [r for r in replies if "version" not in r]   # a greeting, if printed
    if not replies:
        raise RuntimeError("no telemetry reply: %r %r" % (p.stdout[-300:], p.stderr[-300:]))
    out = []
    for cmd, r in zip(cmds, replies):
        out.append(r.get(cmd.split(",")[0]))
    if len(out) != len(cmds):
        raise RuntimeError("%d replies to %d commands: %r" % (len(out), len(cmds), p.stdout[-500:]))
    return out


def main():
    prefix, frames = sys.argv[1], int(sys.argv[2])
    results = []

    def check(cond, what):
        results.append(bool(cond))
        print("%s %s" % ("PASS" if cond else "FAIL", what))

    st = None
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            st = query(prefix, ["/ipsecgw/stats"])[0]
            if st and st.get("rx") == frames and st.get("dropped") == DROPS:
                break
        except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError):
            pass
        time.sleep(0.3)
    check(st is not None and st.get("rx") == frames,
          "/ipsecgw/stats counts the %d frames received (rx %s)" % (frames, st and st.get("rx")))
    if st is None:
        print("%d passed, %d failed" % (results.count(True), results.count(False)))
        return 1

    cmds = ["/ipsecgw/stats", "/ipsecgw/drops", "/ipsecgw/workers", "/ipsecgw/worker,0",
            "/ipsecgw/ports", "/ipsecgw/port,0", "/ipsecgw/port,1", "/ipsecgw/sa/list",
            "/ipsecgw/sa/info,0x1001,out", "/ipsecgw/sa/info,0x2001,in", "/ipsecgw/sa/info,0x2001",
            # malformed or unknown: an error reply (null), never a crash
            "/ipsecgw/worker,7", "/ipsecgw/worker,x", "/ipsecgw/port,999",
            "/ipsecgw/sa/info,0x7777", "/ipsecgw/sa/info,0x1001,sideways", "/ipsecgw/sa/info,",
            "/ipsecgw/sa/info,99999999999",
            "/ipsecgw/stats"]
    (stats, drops, workers, w0, ports, p0, p1, salist, out1, in1, in1any,
     bad_w, bad_w2, bad_p, bad_sa, bad_dir, bad_empty, bad_big, again) = query(prefix, cmds)

    check(stats["esp_out"] == 2 * N + 2 and stats["esp_in"] == 2 * N + 2,
          "stats: esp_out %d, esp_in %d (%d each)" % (stats["esp_out"], stats["esp_in"], 2 * N + 2))
    check(stats["bypass"] == 5 and stats["punt"] == 4,
          "stats: bypass %d (5: 4 and an ICMP error), punt %d (4: ARP for another host, IKE twice, NAT-T marker)" % (
              stats["bypass"], stats["punt"]))
    check(stats["frag_in"] == 9 and stats["reassembled"] == 3 and stats["frag_out"] == 6
          and stats["icmp_too_big"] == 1 and stats["neigh_replies"] == 2,
          "stats: frag_in %s (9), reassembled %s (3), frag_out %s (6), icmp_too_big %s (1), "
          "neigh_replies %s (2: ARP, NS)" % (
              stats.get("frag_in"), stats.get("reassembled"), stats.get("frag_out"),
              stats.get("icmp_too_big"), stats.get("neigh_replies")))
    check(stats["dropped"] == DROPS and stats["workers"] == 1,
          "stats: dropped %d (%d), workers %d (1)" % (stats["dropped"], DROPS, stats["workers"]))
    check(stats["sa_in"] == 2 and stats["sa_out"] == 2 and stats["spd_rules"] >= 4,
          "stats: 2 + 2 SAs, %d SPD rules" % stats["spd_rules"])
    # gw.json has fewer than 9 policies per family: all scanned, no ACL rule.
    check(stats.get("spd_scan_rules") == stats["spd_rules"] and stats.get("spd_acl_rules") == 0,
          "stats: %s of %d policies scanned, %s ACL rules" % (
              stats.get("spd_scan_rules"), stats["spd_rules"], stats.get("spd_acl_rules")))
    check(all(stats.get(k) == 0 for k in ("crypto_timeouts", "crypto_abandoned", "crypto_late",
                                            "crypto_no_op", "crypto_orphans")),
          "stats: crypto engine counters present and zero")
    want = {"replay": 1, "auth": 1, "no_sa": 1, "discard": 1, "no_policy": 1, "ttl": 1, "mtu": 1,
            "frag": 2}
    check(all(drops.get(k) == v for k, v in want.items()) and sum(drops.values()) == DROPS,
          "drops: %s" % ", ".join("%s %d" % kv for kv in sorted(want.items())))
    check(workers == [0], "workers: [0] (%s)" % workers)
    check(w0["rx"] == frames and w0["esp_out"] == 2 * N + 2 and w0["drop_replay"] == 1
          and "crypto_timeouts" in w0, "worker,0: its own counters, drops and crypto counters")
    check(ports == [0, 1], "ports: [0, 1] (%s)" % ports)
    # Ports by their configured name (gw.json), the ethdev's as "device".
    check(p0["name"] == "lan" and p0["device"] == "net_pcap0" and p1["name"] == "wan"
          and p1["device"] == "net_pcap1",
          "port,0/1: names lan/wan, devices net_pcap0/1 (%s/%s, %s/%s)" % (
              p0.get("name"), p0.get("device"), p1.get("name"), p1.get("device")))
    check(p0["rx"] == 2 * N + 12 and p0["rx_bytes"] > 0
          and p0["tx"] == 2 * N + 5 and p0["eth_ipackets"] == p0["rx"],
          "port,0 (LAN): rx %s, tx %s, ethdev ipackets %s" % (p0["rx"], p0["tx"], p0["eth_ipackets"]))
    # ESP adds 40-60 bytes to each of the 2N + 2 packets, fragments 34
    # more; the LAN frames not forwarded (one of 1,542 bytes) are fewer.
    # WAN in: 2N ESP, 5 others, 9 fragments; out: 2N + 2 ESP, two of them
    # in two fragments, and 3 bypassed, one in two fragments.
    check(p1["rx"] == 2 * N + 14 and p1["tx"] == 2 * N + 8 and p1["tx_bytes"] > p0["rx_bytes"],
          "port,1 (WAN): rx %s, tx %s (ESP and 3 bypassed, 4 in fragments), tx_bytes %s" % (
              p1["rx"], p1["tx"], p1["tx_bytes"]))
    check(sorted(salist) == ["in:0x00002001", "in:0x00002002", "out:0x00001001", "out:0x00001002"],
          "sa/list: %s" % salist)
    check(out1 and out1["dir"] == "out" and out1["packets"] == N + 1 and out1["seq"] == N + 1,
          "sa/info,0x1001,out: %s packets, seq %s" % (out1 and out1["packets"], out1 and out1["seq"]))
    check(in1 and in1["dir"] == "in" and in1["packets"] == N + 1 and in1["drop_replay"] == 1
          and in1["drop_auth"] == 1 and in1["owner_worker"] == 0,
          "sa/info,0x2001,in: %s packets, replay and auth drops" % (in1 and in1["packets"]))
    check(in1any == in1, "sa/info without a direction finds the inbound SA")
    # SPIs in hex as everywhere else; a configured SA is labelled "static"
    # (IKE's carry their connection, child and CHILD SA id: gw_run.sh).
    check(out1 and out1["spi"] == "0x00001001" and in1 and in1["spi"] == "0x00002001"
          and out1["conn"] == "static" and out1["child"] == "" and out1["child_id"] == 0,
          "sa/info: spi %s / %s in hex, conn %r child %r" % (
              out1 and out1.get("spi"), in1 and in1.get("spi"), out1 and out1.get("conn"),
              out1 and out1.get("child")))
    for r, what in ((bad_w, "worker,7"), (bad_w2, "worker,x"), (bad_p, "port,999"),
                    (bad_sa, "sa/info,0x7777 (no such SA)"), (bad_dir, "sa/info,0x1001,sideways"),
                    (bad_empty, "sa/info,"), (bad_big, "sa/info,99999999999")):
        check(r is None, "%s: error reply (%s)" % (what, r))
    moving = ("loops", "idle_loops")        # the worker keeps polling
    check({k: v for k, v in again.items() if k not in moving} ==
          {k: v for k, v in stats.items() if k not in moving},
          "still answering after the bad commands, counters unchanged")
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main())
