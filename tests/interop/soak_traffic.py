# SPDX-License-Identifier: BSD-3-Clause
"""Sequence-numbered UDP echo traffic for tests/interop/soak.sh.

  soak_traffic.py echo OUT.json ADDR...
      echoes UDP port 7777 on each ADDR (one socket each, so that the
      answer leaves from the address it was sent to and matches that
      CHILD SA's selectors); on SIGTERM writes, per address, the
      sequence numbers it received to OUT.json.
  soak_traffic.py send OUT.json SECS PPS ADDR...
      sends PPS datagrams a second to each ADDR for SECS seconds, each
      carrying (address index, sequence number); waits 3 s for late
      answers; writes per address: sent, answered, the sequence numbers
      never answered with their send time (wall clock, to find them in
      the daemons' logs), duplicates and the largest round trip.

Losses are told apart by direction with the echo side's record: a
sequence number the echo side got but whose answer never came back was
lost on the way back (peer to LAN), otherwise on the way out.
"""
import json
import select
import signal
import socket
import struct
import sys
import time

PORT = 7777
HDR = struct.Struct("!IId")  # target index, sequence, send time (monotonic)


def echo(out, addrs):
    socks = []
    for a in addrs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, PORT))
        s.setblocking(False)
        socks.append(s)
    seen = {a: [] for a in addrs}
    by_fd = {s.fileno(): (a, s) for a, s in zip(addrs, socks)}

    def dump(*_):
        with open(out, "w") as f:
            json.dump(seen, f)
        sys.exit(0)

    signal.signal(signal.SIGTERM, dump)
    poll = select.poll()
    for s in socks:
        poll.register(s, select.POLLIN)
    while True:
        for fd, _ in poll.poll(1000):
            a, s = by_fd[fd]
            while True:
                try:
                    d, peer = s.recvfrom(2048)
                except BlockingIOError:
                    break
                if len(d) >= HDR.size:
                    seen[a].append(HDR.unpack_from(d)[1])
                s.sendto(d, peer)


def wall(t_mono, base_wall, base_mono):
    t = base_wall + (t_mono - base_mono)
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % (int(t * 1000) % 1000)


def send(out, secs, pps, addrs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.setblocking(False)
    n = int(secs * pps)
    sent_at = [[0.0] * n for _ in addrs]
    got = [[0] * n for _ in addrs]
    dups = [0] * len(addrs)
    rtt_max = [0.0] * len(addrs)
    base_wall, base_mono = time.time(), time.monotonic()
    pad = b"\0" * 36

    def drain():
        while True:
            try:
                d = s.recv(2048)
            except BlockingIOError:
                return
            if len(d) < HDR.size:
                continue
            i, seq, t = HDR.unpack_from(d)
            if i >= len(addrs) or seq >= n:
                continue
            if got[i][seq]:
                dups[i] += 1
            got[i][seq] = 1
            rtt_max[i] = max(rtt_max[i], time.monotonic() - t)

    for seq in range(n):
        due = base_mono + seq / pps
        while True:
            now = time.monotonic()
            if now >= due:
                break
            select.select([s], [], [], due - now)
            drain()
        for i, a in enumerate(addrs):
            t = time.monotonic()
            sent_at[i][seq] = t
            try:
                s.sendto(HDR.pack(i, seq, t) + pad, (a, PORT))
            except OSError:
                sent_at[i][seq] = -t  # not even handed to the kernel
        drain()
    end = time.monotonic() + 3
    while time.monotonic() < end:
        select.select([s], [], [], 0.1)
        drain()
    res = {}
    for i, a in enumerate(addrs):
        lost = [[seq, wall(abs(sent_at[i][seq]), base_wall, base_mono)]
                for seq in range(n) if not got[i][seq]]
        res[a] = {"sent": n, "answered": n - len(lost), "lost": lost,
                  "send_errors": sum(1 for t in sent_at[i] if t < 0),
                  "dups": dups[i], "rtt_max_ms": round(rtt_max[i] * 1000, 1),
                  "start": wall(base_mono, base_wall, base_mono)}
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        echo(sys.argv[2], sys.argv[3:])
    else:
        send(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5:])
