# SPDX-License-Identifier: BSD-3-Clause
"""Counts the rekeys and rekey collisions in the logs of a soak
(tests/interop/soak.sh).

  soak_count.py OUT.json NAME=KIND:LOG...

KIND is "us" (our IKE engine's log: build/ipsecgw's stderr) or "charon"
(strongSwan 5.9's filelog, ike level 2). Prints one table line per kind
of event with the count from each log, writes the counts to OUT.json.

Rows are from the point of view of the log's owner ("sent" = this end
refused the peer's request). A "-" is an event that log does not record.
Our engine answers a crossing IKE rekey (RFC 7296 2.8.2) and logs it
("simultaneous IKE SA rekey: answered the peer's ..."), then how it was
settled (won / lost / the peer's replaced it); a CHILD/CHILD collision
shows in ours as two CHILD_REKEYED events with the same old_spi_in. charon's
lines are strongSwan 5.9's (filelog, ike level 2).
"""
import json
import re
import sys

# row: (name, pattern in our log, pattern in charon's); None: not shown
# there; "TWICE" / "DOWN": computed (see count_us).
ROWS = [
    ("CHILD rekeys started", r"rekeying CHILD_SA ", r"activating CHILD_REKEY task"),
    ("IKE rekeys started", r"rekeying IKE SA", r"activating IKE_REKEY task"),
    ("CHILD/CHILD collisions", "TWICE", r"detected CHILD_REKEY collision with CHILD_REKEY"),
    ("  lost by this end (its new SA redundant)", r"simultaneous CHILD_SA rekey lost",
     r"CHILD_SA rekey collision lost"),
    ("IKE/IKE collisions", r"simultaneous IKE SA rekey: answered the peer's",
     r"detected IKE_REKEY collision with IKE_REKEY"),
    ("  lost by this end (its new IKE SA redundant)", r"simultaneous IKE SA rekey lost",
     r"IKE_SA rekey collision lost"),
    ("  settled by the peer's rekey", r"ours did not complete, the peer's replaces",
     r"peer (did not|may not have) notice"),
    ("CHILD rekey vs CHILD delete collisions", None,
     r"detected CHILD_REKEY collision with CHILD_DELETE"),
    ("TEMPORARY_FAILURE sent, IKE rekey vs CHILD rekey", None,
     r"peer initiated rekeying, but a child is half-open"),
    ("TEMPORARY_FAILURE sent, CHILD rekey vs IKE rekey", None,
     r"unable to create CHILD_SA while rekeying IKE_SA"),
    ("TEMPORARY_FAILURE sent, rekey of a replaced SA", r"already replaced or being deleted",
     r"unable to rekey, we are deleting the CHILD_SA"),
    ("TEMPORARY_FAILURE received, IKE rekey",
     r"CREATE_CHILD_SA \(IKE rekey\) refused for now", r"IKE_SA rekeying failed, trying again"),
    ("TEMPORARY_FAILURE received, CHILD rekey",
     r"CREATE_CHILD_SA \(CHILD rekey\) refused for now", r"CHILD_SA rekeying failed, trying again"),
    ("  retried after a delay", r"refused for now: .*trying again",
     r"rekeying failed, trying again in"),
    ("CHILD_SA_NOT_FOUND sent", r"CHILD_SA we no longer have", r"unable to rekey, CHILD_SA not found"),
    ("CHILD_SA_NOT_FOUND received", r"peer answered CHILD_SA_NOT_FOUND", None),
    ("retransmissions", r"retransmit [0-9]+ of", r"retransmit [0-9]+ of request"),
    ("requests dropped as 'already processing'", None,
     r"ignoring request with ID .* already processing"),
    ("IKE SAs down (not by a rekey)", r"event IKE_DOWN", None),
    ("CHILD SAs down (not by a rekey or its delete)", "DOWN", None),
    ("ERR lines", r" ERR ", None),
]
EXPECTED_DOWN = {"rekeyed", "deleted locally", "deleted by peer"}


def count(path, col):
    n = {r[0]: 0 for r in ROWS if r[col]}
    olds = {}
    with open(path, errors="replace") as f:
        for line in f:
            for r in ROWS:
                if r[col] and r[col] not in ("TWICE", "DOWN") and re.search(r[col], line):
                    n[r[0]] += 1
            m = re.search(r"event CHILD_REKEYED conn=(\S+) .*old_spi_in=([0-9a-f]+)", line)
            if m:
                olds[m.groups()] = olds.get(m.groups(), 0) + 1
            m = re.search(r'event CHILD_DOWN .*reason="([^"]*)"', line)
            if m and m.group(1) not in EXPECTED_DOWN and col == 1:
                n["CHILD SAs down (not by a rekey or its delete)"] += 1
    if col == 1:
        n["CHILD/CHILD collisions"] = sum(1 for v in olds.values() if v >= 2)
    return n


def main():
    out, specs = sys.argv[1], sys.argv[2:]
    cols = []
    for spec in specs:
        name, rest = spec.split("=", 1)
        kind, path = rest.split(":", 1)
        cols.append((name, count(path, 1 if kind == "us" else 2)))
    w = max(len(r[0]) for r in ROWS)
    print("  %-*s %s" % (w, "", " ".join("%8s" % c[0] for c in cols)))
    for r in ROWS:
        print("  %-*s %s" % (w, r[0], " ".join("%8s" % c[1].get(r[0], "-") for c in cols)))
    # What crossed, once per event: a CHILD/CHILD collision is in both logs;
    # an IKE/IKE one in charon's, or (between our engines) as an IKE rekey
    # refused on each end; CHILD vs IKE as the refusal charon sent, or
    # (between our engines) a CHILD rekey refused by the peer.
    def most(row):
        return max([c[1].get(row, 0) for c in cols] + [0])
    charon = [c[1] for c in cols if "TEMPORARY_FAILURE sent, IKE rekey vs CHILD rekey" in c[1]]
    ike_ike = most("IKE/IKE collisions")
    child_ike = (charon[0]["TEMPORARY_FAILURE sent, IKE rekey vs CHILD rekey"] +
                 charon[0]["TEMPORARY_FAILURE sent, CHILD rekey vs IKE rekey"]) if charon else \
        most("TEMPORARY_FAILURE received, CHILD rekey")
    crossed = {"CHILD/CHILD": most("CHILD/CHILD collisions"), "IKE/IKE": ike_ike,
               "CHILD vs IKE": child_ike, "TEMPORARY_FAILURE retries":
               sum(c[1].get("  retried after a delay", 0) for c in cols)}
    print("  crossed: " + ", ".join("%s %d" % kv for kv in crossed.items()))
    with open(out, "w") as f:
        json.dump({"crossed": crossed, "logs": {c[0]: c[1] for c in cols}}, f, indent=1)


if __name__ == "__main__":
    main()
