# SPDX-License-Identifier: BSD-3-Clause
# tests/interop/lib.sh - helpers for the strongSwan interoperability tests and
# the demo. Sourced (not executed) by tests/interop/run.sh and scripts/demo.sh.
#
# Topology (created by ipgw_ns_setup):
#
#   namespace $US_NS (our daemon)            namespace $SS_NS (strongSwan charon)
#     v0 192.0.2.1/24  <------ veth ------>  v1 192.0.2.2/24
#     lo 198.51.100.1/24 (inner)              lo 203.0.113.1/24 (inner)
#
# Only documentation prefixes are used, only inside namespaces created here.
# charon runs with kernel-libipsec (user-space ESP over a TUN device, always
# UDP-encapsulated on port 4500), a private /run (unshare -m) and a config
# (strongswan.conf + swanctl.conf) generated into a per-case directory.
#
# Every wait is a bounded poll (see wait_until); nothing sleeps a fixed long
# time. Processes started here are recorded and killed by ipgw_cleanup, which
# callers install as the EXIT/INT/TERM trap.

IPGW_ROOT=${IPGW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
IKE_BIN=${IKE_BIN:-$IPGW_ROOT/build/ipsecgw-ike}
CTL_BIN=${CTL_BIN:-$IPGW_ROOT/build/ipsecgw-ctl}
CHARON=${CHARON:-/usr/lib/ipsec/charon}
SWANCTL=${SWANCTL:-swanctl}
# the distribution interpreter: starts in ~30 ms (shims like pyenv cost 10x)
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

US_NS=${US_NS:-ipgw-us-$$}
SS_NS=${SS_NS:-ipgw-ss-$$}
US_IP=192.0.2.1
SS_IP=192.0.2.2
US_NET=198.51.100.0/24
SS_NET=203.0.113.0/24
US_INNER=198.51.100.1
SS_INNER=203.0.113.1

IPGW_WORK=${IPGW_WORK:-}          # temp dir, made by ipgw_init
IPGW_PIDS=()                      # every background process we started
IPGW_NS_MADE=()                   # namespaces we created
IPGW_RUNDIRS=()                   # DPDK runtime dirs (/var/run/dpdk/PREFIX) to remove

# ---------------------------------------------------------------- generic

ipgw_now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

# wait_until SECONDS CMD [ARGS...]: polls CMD every 0.1 s until it succeeds
# (0) or SECONDS (integer or decimal) have passed (1).
wait_until() {
	local limit_ms end i=0
	limit_ms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')
	shift
	end=$(( $(ipgw_now_ms) + limit_ms ))
	while (( i++ < 100000 )); do
		"$@" && return 0
		(( $(ipgw_now_ms) >= end )) && return 1
		sleep 0.1
	done
	return 1
}

ipgw_info() { echo "  $*" >&2; }

ipgw_track_pid() { IPGW_PIDS+=("$1"); }

# ipgw_kill_pid PID [GRACE_SECONDS]: TERM, wait, then KILL. Only for PIDs we
# started ourselves.
ipgw_kill_pid() {
	local pid=$1 grace=${2:-3}
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	if ! wait_until "$grace" ipgw_pid_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait_until 2 ipgw_pid_gone "$pid"
	fi
	wait "$pid" 2>/dev/null
	return 0
}
ipgw_pid_gone() { ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; }

ipgw_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "interop: must run as root (network namespaces)" >&2
		return 1
	fi
}

# ipgw_require_tools WHO FILE... -- TOOL...: each FILE built (executable),
# each TOOL on the PATH; else a line "WHO: ... (run: make / make deps)"
# on stderr and status 1.
ipgw_require_tools() {
	local who=$1
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[ -x "$1" ] || { echo "$who: $1 is not built (run: make)" >&2; return 1; }
		shift
	done
	[ "${1:-}" = -- ] && shift
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || { echo "$who: $tool missing (run: make deps)" >&2; return 1; }
	done
}

# ipgw_init: temp work dir; call once, after installing the trap.
ipgw_init() {
	IPGW_WORK=$(mktemp -d /tmp/ipgw-interop.XXXXXX) || return 1
	chmod 755 "$IPGW_WORK"
}

# ipgw_cleanup: kill what we started, remove namespaces and the temp dir.
ipgw_cleanup() {
	local pid ns
	for pid in "${IPGW_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${IPGW_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	IPGW_PIDS=()
	for ns in "${IPGW_NS_MADE[@]}"; do ip netns del "$ns" 2>/dev/null; done
	IPGW_NS_MADE=()
	if [ -n "$IPGW_WORK" ] && [ -d "$IPGW_WORK" ]; then
		rm -rf -- "$IPGW_WORK"
	fi
	for ns in "${IPGW_RUNDIRS[@]}"; do rm -rf -- "$ns"; done
	IPGW_RUNDIRS=()
	IPGW_WORK=
}

# ---------------------------------------------------------------- namespaces

ipgw_ns_setup() {
	ip netns add "$US_NS" || return 1
	IPGW_NS_MADE+=("$US_NS")
	ip netns add "$SS_NS" || return 1
	IPGW_NS_MADE+=("$SS_NS")
	ip link add name v0 netns "$US_NS" type veth peer name v1 netns "$SS_NS" || return 1
	ip -n "$US_NS" link set lo up
	ip -n "$SS_NS" link set lo up
	ip -n "$US_NS" addr add "$US_IP/24" dev v0
	ip -n "$SS_NS" addr add "$SS_IP/24" dev v1
	ip -n "$US_NS" addr add "$US_INNER/24" dev lo
	ip -n "$SS_NS" addr add "$SS_INNER/24" dev lo
	ip -n "$US_NS" link set v0 up
	ip -n "$SS_NS" link set v1 up
	# no IPv6 DAD delays or router solicitations on the test link
	ip netns exec "$US_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ip netns exec "$SS_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	wait_until 5 ip netns exec "$US_NS" ping -c 1 -W 1 -q "$SS_IP" >/dev/null 2>&1 || {
		echo "interop: veth link between namespaces does not pass traffic" >&2
		return 1
	}
}

ipgw_ns_teardown() {
	local ns
	for ns in "${IPGW_NS_MADE[@]}"; do ip netns del "$ns" 2>/dev/null; done
	IPGW_NS_MADE=()
}

# ---------------------------------------------------------------- strongSwan

# Settings read by ss_gen_conf (set them before calling; these are defaults).
ss_defaults() {
	SS_IKE_PROPS="aes128gcm16-prfsha256-x25519"
	SS_ESP_PROPS="aes128gcm16"
	SS_PSK="interop-test-psk-0123456789"
	SS_DPD_DELAY=0
	SS_LOGLEVEL=${IPGW_CHARON_LOGLEVEL:-2}   # ike/cfg/chd level; 4 prints key material
	SS_ENCAP=no
	SS_START_ACTION=none
	# "no": an older IKE SA of the same peer is replaced only when the new
	# one's IKE_AUTH carries INITIAL_CONTACT (strongSwan's default "yes"
	# replaces it anyway, which would hide whether we send it)
	SS_UNIQUEIDS=no
}
ss_defaults

# ss_gen_conf DIR LOCAL_ADDR REMOTE_ADDR LOCAL_TS REMOTE_TS
# Writes DIR/strongswan.conf and DIR/swanctl.conf for connection "c1" with
# child "net" (PSK, IDs = addresses). Proposals are comma-separated lists.
ss_gen_conf() {
	local dir=$1 laddr=$2 raddr=$3 lts=$4 rts=$5
	local lvl=$SS_LOGLEVEL
	cat >"$dir/strongswan.conf" <<EOF
charon {
  load = random nonce openssl pem pkcs1 x509 revocation constraints pubkey curve25519 aes sha1 sha2 hmac gcm chapoly kdf kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = yes
  install_virtual_ip = no
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_tries = 3
  delete_rekeyed_delay = 2
  uniqueids = $SS_UNIQUEIDS
  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
    kernel-libipsec {
      allow_peer_ts = no
    }
  }
  syslog {
    daemon {
      default = -1
    }
    auth {
      default = -1
    }
  }
  filelog {
    charonlog {
      path = $dir/charon.log
      time_format = %H:%M:%S
      append = no
      flush_line = yes
      default = 1
      ike = $lvl
      cfg = $lvl
      chd = $lvl
      enc = 1
      net = 1
      knl = 1
      esp = 1
    }
  }
}
EOF
	cat >"$dir/swanctl.conf" <<EOF
connections {
  c1 {
    version = 2
    local_addrs = $laddr
    remote_addrs = $raddr
    proposals = $SS_IKE_PROPS
    rekey_time = 0
    reauth_time = 0
    over_time = 0
    dpd_delay = $SS_DPD_DELAY
    encap = $SS_ENCAP
    mobike = no
    local {
      auth = psk
      id = $laddr
    }
    remote {
      auth = psk
      id = $raddr
    }
    children {
      net {
        local_ts = $lts
        remote_ts = $rts
        esp_proposals = $SS_ESP_PROPS
        mode = tunnel
        rekey_time = 0
        life_time = 0
        rand_time = 0
        start_action = $SS_START_ACTION
        dpd_action = clear
      }
    }
  }
}
secrets {
  ike-c1 {
    id-1 = $laddr
    id-2 = $raddr
    secret = "$SS_PSK"
  }
}
EOF
}

ss_uri() { echo "unix://$1/charon.vici"; }

# ss_swanctl DIR ARGS...: runs swanctl against that charon (bounded in time).
ss_swanctl() {
	local dir=$1; shift
	timeout 30 "$SWANCTL" "$@" --uri "$(ss_uri "$dir")"
}

# ss_start NS DIR: starts charon in NS with DIR/strongswan.conf, waits for
# its vici socket, loads DIR/swanctl.conf.
ss_start() {
	local ns=$1 dir=$2 pid
	rm -f "$dir/charon.vici"
	# shellcheck disable=SC2016  # $1/$2 are expanded by the inner sh
	ip netns exec "$ns" unshare -m sh -c \
		'mount -t tmpfs none /run && mkdir -p /run/strongswan && STRONGSWAN_CONF="$1/strongswan.conf" exec "$2"' \
		sh "$dir" "$CHARON" >"$dir/charon.stdout" 2>&1 </dev/null &
	pid=$!
	ipgw_track_pid "$pid"
	echo "$pid" >"$dir/charon.pid"
	if ! wait_until 10 test -S "$dir/charon.vici"; then
		echo "charon did not create its vici socket within 10 s" >"$dir/ss_error"
		return 1
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "charon exited at start" >"$dir/ss_error"
		return 1
	fi
	if ! ss_swanctl "$dir" --load-all --noprompt --file "$dir/swanctl.conf" >"$dir/swanctl-load.out" 2>&1; then
		echo "swanctl --load-all failed: $(tail -n 3 "$dir/swanctl-load.out")" >"$dir/ss_error"
		return 1
	fi
}

ss_pid() { cat "$1/charon.pid" 2>/dev/null; }

ss_stop() {
	local dir=$1
	ipgw_kill_pid "$(ss_pid "$dir")" 3
}

# ss_kill9 DIR: simulate a crash.
ss_kill9() {
	local pid; pid=$(ss_pid "$1")
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# ss_sas_raw DIR: swanctl --list-sas --raw (one line per IKE SA).
ss_sas_raw() { ss_swanctl "$1" --list-sas --raw 2>/dev/null; }

# ss_sas_json DIR: the same, as a JSON list of IKE SAs (python converts the
# vici raw syntax "name {k=v k2=[a b] sub {..}}").
ss_sas_json() {
	ss_sas_raw "$1" | "$PYTHON" -c '
import sys, json, re
def parse(tokens, i):
    d = {}
    while i < len(tokens):
        t = tokens[i]
        if t == "}":
            return d, i + 1
        if i + 1 < len(tokens) and tokens[i + 1] == "{":
            sub, i = parse(tokens, i + 2)
            d[t] = sub
            continue
        k, _, v = t.partition("=")
        if v == "[":
            lst = []; i += 1
            while tokens[i] != "]":
                lst.append(tokens[i]); i += 1
            d[k] = lst; i += 1
            continue
        d[k] = v; i += 1
    return d, i
out = []
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("list-sa event"):
        continue
    body = line[len("list-sa event"):].strip()
    toks = re.findall(r"[^\s{}\[\]=]+=\[|[^\s{}\[\]]+|[{}\[\]]", body)
    fixed = []
    for t in toks:
        if t.endswith("=["):
            fixed.append(t[:-1] + "["); continue
        fixed.append(t)
    d, _ = parse(fixed[1:], 0) if fixed and fixed[0] == "{" else ({}, 0)
    for name, sa in d.items():
        sa["name"] = name
        out.append(sa)
print(json.dumps(out))
'
}

# Python helpers available to ss_query / us_query expressions:
#   spi(v)   32-bit SPI (hex string, 0x..., or integer) -> 8 lower-case hex digits
#   spi64(v) 64-bit IKE SPI -> 16 lower-case hex digits
IPGW_PY_PRELUDE='
def _hex(v, w):
    if v is None:
        return None
    if isinstance(v, int):
        return format(v, "0%dx" % w)
    t = str(v).strip().lower()
    if t.startswith("0x"):
        t = t[2:]
    try:
        return format(int(t, 16), "0%dx" % w)
    except ValueError:
        return "invalid:" + str(v)
def spi(v):
    return _hex(v, 8)
def spi64(v):
    return _hex(v, 16)
'

# ss_query DIR PYEXPR: evaluates PYEXPR with "sas" bound to ss_sas_json's list
# and prints the result (used for small checks in run.sh).
ss_query() {
	local dir=$1 expr=$2
	ss_sas_json "$dir" | "$PYTHON" -c "
import sys, json
sas = json.load(sys.stdin)
$IPGW_PY_PRELUDE
def children(sa):
    return list((sa.get('child-sas') or {}).values())
r = $expr
print(r if not isinstance(r, (list, dict)) else json.dumps(r))
"
}

# ---------------------------------------------------------------- our daemon

us_defaults() {
	US_IKE_PROPS="aes128gcm16-prfsha256-x25519"     # space-separated list
	US_ESP_PROPS="aes128gcm16"
	US_PSK="interop-test-psk-0123456789"
	US_DPD_DELAY=0
	US_REKEY_TIME=0
	US_CHILD_REKEY_TIME=0
	US_RETRANS_MS=500
	US_RETRANS_TRIES=3
	US_KEYINGTRIES=1
	US_ENCAP=false
	US_INITIATE=false
	US_LOGLEVEL=debug
	US_USER=""                                      # "privileges.user", "" = none
	US_METRICS=""                                   # "metrics.listen", "" = off
}
us_defaults

ipgw_json_list() {
	local first=1 x out="["
	for x in "$@"; do
		[ $first = 1 ] || out+=", "
		out+="\"$x\""; first=0
	done
	echo "$out]"
}

# us_gen_conf DIR: writes DIR/us.json from the US_* settings. An empty
# US_IKE_PROPS / US_ESP_PROPS leaves the key out: the daemon's defaults.
us_gen_conf() {
	local dir=$1
	# shellcheck disable=SC2086
	cat >"$dir/us.json" <<EOF
{
  "local": { "addresses": ["$US_IP"] },
  "log": { "level": "$US_LOGLEVEL", "keylog": "$dir/us.keylog" },
  "control": { "socket": "$dir/ctl.sock" },
$( [ -n "$US_USER" ] && echo "  \"privileges\": { \"user\": \"$US_USER\" },")
$( [ -n "$US_METRICS" ] && echo "  \"metrics\": { \"listen\": \"$US_METRICS\" },")
  "ike": { "retransmit_timeout_ms": $US_RETRANS_MS, "retransmit_tries": $US_RETRANS_TRIES },
  "connections": [
    {
      "name": "c1",
      "local_addr": "$US_IP",
      "remote_addr": "$SS_IP",
      "local_id": "$US_IP",
      "remote_id": "$SS_IP",
      "auth": { "method": "psk", "psk": "$US_PSK" },
$( [ -n "$US_IKE_PROPS" ] && echo "      \"ike_proposals\": $(ipgw_json_list $US_IKE_PROPS),")
      "rekey_time": $US_REKEY_TIME,
      "dpd_delay": $US_DPD_DELAY,
      "encap": $US_ENCAP,
      "initiate": $US_INITIATE,
      "keyingtries": $US_KEYINGTRIES,
      "children": [
        {
          "name": "net",
          "local_ts": ["$US_NET"],
          "remote_ts": ["$SS_NET"],
$( [ -n "$US_ESP_PROPS" ] && echo "          \"esp_proposals\": $(ipgw_json_list $US_ESP_PROPS),")
          "mode": "tunnel",
          "rekey_time": $US_CHILD_REKEY_TIME
        }
      ]
    }
  ]
}
EOF
}

# us_start NS DIR: starts build/ipsecgw-ike in NS (stderr -> DIR/us.log) and
# waits for its control socket.
us_start() {
	local ns=$1 dir=$2 pid
	rm -f "$dir/ctl.sock"
	if [ ! -x "$IKE_BIN" ]; then
		echo "$IKE_BIN not built" >"$dir/us_error"
		return 1
	fi
	ip netns exec "$ns" "$IKE_BIN" -c "$dir/us.json" >"$dir/us.stdout" 2>"$dir/us.log" </dev/null &
	pid=$!
	ipgw_track_pid "$pid"
	echo "$pid" >"$dir/us.pid"
	wait_until 10 us_ready_or_dead "$dir" "$pid"
	if [ ! -S "$dir/ctl.sock" ] || ! kill -0 "$pid" 2>/dev/null; then
		if kill -0 "$pid" 2>/dev/null; then
			echo "ipsecgw-ike did not create its control socket within 10 s" >"$dir/us_error"
		else
			wait "$pid"; echo "ipsecgw-ike exited at start with status $?" >"$dir/us_error"
		fi
		return 1
	fi
}
us_ready_or_dead() { [ -S "$1/ctl.sock" ] || ! kill -0 "$2" 2>/dev/null; }

us_pid() { cat "$1/us.pid" 2>/dev/null; }
us_alive() { kill -0 "$(us_pid "$1")" 2>/dev/null; }
us_stop() { ipgw_kill_pid "$(us_pid "$1")" 3; }

# us_ctl DIR ARGS...: build/ipsecgw-ctl against that daemon; output is also
# appended to DIR/ctl.log.
us_ctl() {
	local dir=$1 rc out; shift
	out=$(timeout 15 "$CTL_BIN" -s "$dir/ctl.sock" "$@" 2>&1); rc=$?
	printf '$ ipsecgw-ctl %s (rc=%d)\n%s\n' "$*" "$rc" "$out" >>"$dir/ctl.log"
	printf '%s\n' "$out"
	return $rc
}

# us_sas_json DIR: our list-sas answer (JSON) or nothing.
us_sas_json() { us_ctl "$1" list-sas 2>/dev/null; }

# us_query DIR PYEXPR: like ss_query, "sas" bound to our list-sas "sas" list.
us_query() {
	local dir=$1 expr=$2
	us_sas_json "$dir" | "$PYTHON" -c "
import sys, json
try:
    doc = json.loads(sys.stdin.read())
except Exception:
    doc = {}
sas = doc.get('sas') or []
$IPGW_PY_PRELUDE
def children(sa):
    return sa.get('children') or []
r = $expr
print(r if not isinstance(r, (list, dict)) else json.dumps(r))
"
}

# us_event DIR TYPE [N]: prints the Nth (default last) "event TYPE conn=c1"
# line of our log; fails if none.
us_event() {
	local dir=$1 type=$2 n=${3:-}
	local lines
	lines=$(grep -E "event $type( |$)" "$dir/us.log" 2>/dev/null) || return 1
	if [ -n "$n" ]; then
		printf '%s\n' "$lines" | sed -n "${n}p" | grep . || return 1
	else
		printf '%s\n' "$lines" | tail -n 1
	fi
}
us_event_count() { grep -cE "event $2( |$)" "$1/us.log" 2>/dev/null; }
us_has_event() { grep -qE "event $2( |$)" "$1/us.log" 2>/dev/null; }
us_log_has() { grep -qE -- "$2" "$1/us.log" 2>/dev/null; }

# ev_field LINE KEY: value of key=value (or key="value with spaces").
ev_field() {
	local line=$1 key=$2
	local re="(^|[[:space:]])$key=(\"[^\"]*\"|[^[:space:]]*)"
	if [[ $line =~ $re ]]; then
		local v=${BASH_REMATCH[2]}
		v=${v#\"}; v=${v%\"}
		printf '%s\n' "$v"
		return 0
	fi
	return 1
}

# norm_spi SPI: "0xC1A2B3C4" / "c1a2b3c4" / "1a2b" -> 8 lower-case hex digits.
norm_spi() {
	local s=${1,,}
	s=${s#0x}
	[[ $s =~ ^[0-9a-f]+$ ]] || { echo "invalid:$1"; return 1; }
	printf '%08x\n' "$((16#$s))"
}
norm_spi64() {
	local s=${1,,}
	s=${s#0x}
	[[ $s =~ ^[0-9a-f]+$ ]] || { echo "invalid:$1"; return 1; }
	printf '%016s\n' "$s" | tr ' ' 0
}

# algs_match ALGS PROPOSAL: every algorithm named in a strongSwan-style
# proposal ("aes256-sha256-modp2048") appears as a token of ALGS (tokens are
# split at anything but letters and digits, case-insensitive). An IKE
# proposal's implicit PRF is not required.
# shellcheck disable=SC2046,SC2086  # word splitting into tokens is the point
algs_match() {
	local algs=${1,,} prop=${2,,} t toks
	toks=" $(alg_alias $(printf '%s' "$algs" | tr -c 'a-z0-9_' ' ')) "
	for t in $(alg_alias ${prop//-/ }); do
		[[ $toks == *" $t "* ]] || return 1
	done
	return 0
}
# alg_alias NAME...: strongSwan's synonyms mapped to one spelling.
alg_alias() {
	local t res=()
	for t in "$@"; do
		case $t in
		curve25519) t=x25519 ;;
		curve448) t=x448 ;;
		sha2_256|sha256_128) t=sha256 ;;
		sha2_384|sha384_192) t=sha384 ;;
		sha2_512|sha512_256) t=sha512 ;;
		aes128gcm128) t=aes128gcm16 ;;
		aes256gcm128) t=aes256gcm16 ;;
		esac
		res+=("$t")
	done
	echo "${res[*]}"
}

# ---------------------------------------------------------------- captures

# cap_start NS DIR IFACE: tcpdump of UDP 4500 into DIR/esp.pcap.
cap_start() {
	local ns=$1 dir=$2 ifc=$3 pid
	ip netns exec "$ns" tcpdump -i "$ifc" -n -U --immediate-mode -s 0 -w "$dir/esp.pcap" udp port 4500 \
		>"$dir/tcpdump.out" 2>&1 </dev/null &
	pid=$!
	ipgw_track_pid "$pid"
	echo "$pid" >"$dir/tcpdump.pid"
	wait_until 5 grep -q 'listening on' "$dir/tcpdump.out"
}
cap_stop() {
	local pid; pid=$(cat "$1/tcpdump.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	# let the last packets reach the file (bounded), then stop
	wait_until 2 cap_has_data "$1"
	sleep 0.3
	kill -INT "$pid" 2>/dev/null
	wait_until 3 ipgw_pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$1/tcpdump.pid"
	return 0
}

cap_has_data() { [ "$(stat -c %s "$1/esp.pcap" 2>/dev/null || echo 0)" -gt 24 ]; }

# tshark names for our keylog's algorithm names.
tshark_encr_name() {
	case $1 in
	aes*gcm16) echo "AES-GCM with 16 octet ICV [RFC4106]" ;;
	aes*gcm12) echo "AES-GCM with 12 octet ICV [RFC4106]" ;;
	aes*gcm8)  echo "AES-GCM with 8 octet ICV [RFC4106]" ;;
	aes128|aes192|aes256|aes) echo "AES-CBC [RFC3602]" ;;
	aes*ctr)   echo "AES-CTR [RFC3686]" ;;
	null)      echo "NULL" ;;
	*) return 1 ;;
	esac
}
tshark_integ_name() {
	case $1 in
	none|"") echo "NULL" ;;
	sha1|sha1_96|hmac_sha1_96) echo "HMAC-SHA-1-96 [RFC2404]" ;;
	sha256|sha2_256|sha256_128) echo "HMAC-SHA-256-128 [RFC4868]" ;;
	sha384|sha2_384|sha384_192) echo "HMAC-SHA-384-192 [RFC4868]" ;;
	sha512|sha2_512|sha512_256) echo "HMAC-SHA-512-256 [RFC4868]" ;;
	*) return 1 ;;
	esac
}

# tshark_esp_check PCAP KEYLOG OUTDIR [CONN]: builds tshark's esp_sa table
# from the CHILD_SA lines of KEYLOG (our key log format:
#   CHILD_SA conn=c1 child=net src=A dst=B spi=HEX encr=NAME enc_key=HEX
#            integ=NAME integ_key=HEX)
# and decrypts PCAP. Prints the number of decrypted ICMP packets; returns 0 if
# at least one echo request was decrypted. OUTDIR gets tshark.txt / tshark.err.
tshark_esp_check() {
	local pcap=$1 keylog=$2 out=$3 conn=${4:-c1}
	local line src dst spi encr key integ ikey ename iname n=0 fam
	local -a opts=(-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE)
	while IFS= read -r line; do
		[[ $line == CHILD_SA* ]] || continue
		[ "$(ev_field "$line" conn)" = "$conn" ] || continue
		src=$(ev_field "$line" src); dst=$(ev_field "$line" dst)
		src=${src%%\[*}; dst=${dst%%\[*}
		spi=$(norm_spi "$(ev_field "$line" spi)") || continue
		encr=$(ev_field "$line" encr); key=$(ev_field "$line" enc_key)
		integ=$(ev_field "$line" integ); ikey=$(ev_field "$line" integ_key)
		ename=$(tshark_encr_name "$encr") || { echo "tshark: no mapping for encr=$encr" >>"$out/tshark.err"; continue; }
		iname=$(tshark_integ_name "$integ") || { echo "tshark: no mapping for integ=$integ" >>"$out/tshark.err"; continue; }
		fam=IPv4; [[ $src == *:* ]] && fam=IPv6
		[ -n "$ikey" ] && ikey="0x${ikey#0x}"
		opts+=(-o "uat:esp_sa:\"$fam\",\"$src\",\"$dst\",\"0x$spi\",\"$ename\",\"0x${key#0x}\",\"$iname\",\"$ikey\"")
		n=$((n + 1))
	done <"$keylog"
	printf '%s\n' "${opts[@]}" >"$out/tshark.opts"
	if [ "$n" = 0 ]; then
		echo "no usable CHILD_SA lines for conn=$conn in $keylog" >>"$out/tshark.err"
		echo 0
		return 1
	fi
	timeout 60 tshark -n -r "$pcap" "${opts[@]}" -Y icmp \
		-T fields -e frame.number -e esp.spi -e ip.src -e ip.dst -e icmp.type -e esp.icv_good \
		>"$out/tshark.txt" 2>>"$out/tshark.err"
	# count echo requests whose ICV (HMAC or GCM tag) tshark verified: a
	# wrong integrity key or GCM salt still "decrypts" but fails the ICV
	local total req
	total=$(awk -F'\t' '$6 ~ /^(1|True)/' "$out/tshark.txt" | grep -c .)
	req=$(awk -F'\t' '$5 ~ /(^|,)8(,|$)/ && $6 ~ /^(1|True)/' "$out/tshark.txt" | grep -c .)
	echo "$total"
	[ "$req" -ge 1 ] && return 0
	[ -s "$out/tshark.txt" ] && echo "ICMP decoded but ICV check failed: $(grep -c . "$out/tshark.txt") packets" >>"$out/tshark.err"
	# full decode for humans reading the failure
	timeout 60 tshark -n -r "$pcap" "${opts[@]}" -V >"$out/tshark-all.txt" 2>/dev/null
	return 1
}

# ---------------------------------------------------------------- reporting

# ipgw_show_logs DIR: tails of both daemons' logs for a failed case.
ipgw_show_logs() {
	local dir=$1 f n=${IPGW_TAIL_LINES:-25} mark lines
	for f in us_error ss_error; do
		[ -s "$dir/$f" ] && sed 's/^/  | /' "$dir/$f"
	done
	# ipgw_mark_logs recorded how long the logs were when the case ended:
	# show the lines before that, not the teardown that followed
	for f in us.log charon.log; do
		[ -s "$dir/$f" ] || continue
		mark=$(cat "$dir/$f.mark" 2>/dev/null || wc -l <"$dir/$f")
		lines=$(wc -l <"$dir/$f")
		echo "  ---- $f, last $n lines before the verdict$( [ "$lines" -gt "$mark" ] && echo " ($((lines - mark)) teardown lines follow in the file)") ----"
		head -n "$mark" "$dir/$f" |
			grep -v -e 'vici client' -e '\[CFG\]   ' -e '\[CHD\]   [0-9 ]*:' |
			tail -n "$n" | sed 's/^/  | /'
	done
	lines=$(grep '^\$ ipsecgw-ctl' "$dir/ctl.log" 2>/dev/null | grep -v 'list-sas (rc=0)' | tail -n 8)
	if [ -n "$lines" ]; then
		echo "  ---- control commands (ctl.log; list-sas calls left out) ----"
		printf '%s\n' "$lines" | sed 's/^/  | /'
	fi
}

# ipgw_mark_logs DIR: remembers the current length of both logs (call when a
# case's verdict is known, before stopping the daemons).
ipgw_mark_logs() {
	local f
	for f in us.log charon.log; do
		[ -f "$1/$f" ] && wc -l <"$1/$f" >"$1/$f.mark"
	done
}

# ipgw_keep_logs DIR NAME: copies a case dir to build/interop-logs/NAME.
ipgw_keep_logs() {
	local dir=$1 name=$2 dest
	dest=${IPGW_LOG_DIR:-$IPGW_ROOT/build/interop-logs}/$name
	mkdir -p "$dest" 2>/dev/null || return 0
	rm -rf -- "${dest:?}"/* 2>/dev/null
	find "$dir" -maxdepth 1 -type f ! -name '*.sock' ! -name '*.vici' -exec cp -- {} "$dest/" \; 2>/dev/null
	echo "  logs kept in ${dest#"$IPGW_ROOT"/}"
}

# Fills SELECTED with the names from all_cases (defined by the caller) that
# match any of the regexes given, or all of them without arguments; fails
# when none matches.
ipgw_select_cases() {
	SELECTED=()
	local c pat
	while read -r c; do
		if [ $# = 0 ]; then SELECTED+=("$c"); continue; fi
		for pat in "$@"; do
			if grep -qE -- "$pat" <<<"$c"; then SELECTED+=("$c"); break; fi
		done
	done < <(all_cases)
	[ ${#SELECTED[@]} -gt 0 ]
}

# ---------------------------------------------------------------- IKE fragmentation

# RFC 7383 cases (run.sh frag.*, gw_run.sh): both ends at FRAG_SIZE (IPv4's
# minimum datagram, RFC 7383 2.5.1), identities of about 200 octets and
# FRAG_NETS /27 selectors a side, so that IKE_AUTH outgrows it both ways as
# a certificate chain would make it.
FRAG_SIZE=576
FRAG_NETS=8 # selectors a side (the gateway's fast path takes 4 pairs)
frag_id() { # SIDE: a long FQDN identity
	printf '%s-%s.%s.%s.example' "$1" "$(printf 'a%.0s' {1..60})" "$(printf 'b%.0s' {1..60})" "$(printf 'c%.0s' {1..60})"
}
frag_nets() { # PREFIX (three octets): FRAG_NETS /27s of its /24, comma-separated
	local i out=""
	for ((i = 0; i < FRAG_NETS; i++)); do out+="${out:+,}$1.$((i * 32))/27"; done
	echo "$out"
}
# frag_ss_conf DIR US_ID SS_ID: charon's fragment_size, fragmentation = yes
# and the identities in what ss_gen_conf wrote.
frag_ss_conf() {
	"$PYTHON" - "$@" "$FRAG_SIZE" <<'PY'
import re, sys
d, us_id, ss_id, size = sys.argv[1:]
s = open(d + "/strongswan.conf").read()
s = s.replace("  install_routes = yes\n", "  install_routes = yes\n  fragment_size = %s\n" % size, 1)
open(d + "/strongswan.conf", "w").write(s)
s = open(d + "/swanctl.conf").read()
s = s.replace("    mobike = no\n", "    mobike = no\n    fragmentation = yes\n", 1)
s = re.sub(r"(local \{\n\s*auth = psk\n\s*id = )\S+", r"\g<1>" + ss_id, s)
s = re.sub(r"(remote \{\n\s*auth = psk\n\s*id = )\S+", r"\g<1>" + us_id, s)
s = re.sub(r"id-1 = \S+", "id-1 = " + ss_id, s)
s = re.sub(r"id-2 = \S+", "id-2 = " + us_id, s)
open(d + "/swanctl.conf", "w").write(s)
PY
}
# frag_us_json FILE US_ID SS_ID: the same in our JSON (daemon or gateway).
frag_us_json() {
	"$PYTHON" - "$@" "$FRAG_SIZE" "$(frag_nets 198.51.100)" "$(frag_nets 203.0.113)" <<'PY'
import json, sys
f, us_id, ss_id, size, us_nets, ss_nets = sys.argv[1:]
j = json.load(open(f))
j["ike"]["fragment_size"] = int(size)
c = j["connections"][0]
c["local_id"], c["remote_id"] = us_id, ss_id
c["children"][0]["local_ts"] = us_nets.split(",")
c["children"][0]["remote_ts"] = ss_nets.split(",")
json.dump(j, open(f, "w"), indent=1)
PY
}
# frag_ss_addrs add|del: charon routes each selector pair through its TUN
# from an address of the local selector: one in each /27 of its side.
frag_ss_addrs() {
	local i
	for i in 33 65 97 129 161 193 225; do
		ip -n "$SS_NS" addr "$1" "203.0.113.$i/32" dev lo 2>/dev/null
	done
	return 0
}
# frag_count PCAP: "SKF datagrams of IKE_AUTH from 192.0.2.1, from
# 192.0.2.2, largest IP datagram among them" in a capture of UDP 500/4500.
frag_count() {
	tshark -r "$1" -T fields -e ip.src -e ip.len -e udp.srcport -e udp.dstport -e udp.payload 2>/dev/null |
		"$PYTHON" -c '
import sys
n = {"192.0.2.1": 0, "192.0.2.2": 0}; big = 0
for line in sys.stdin:
    f = line.split("\t")
    if len(f) < 5:
        continue
    b = bytes.fromhex(f[4].strip().replace(":", ""))
    if "4500" in (f[2], f[3]):
        if b[:4] != bytes(4):
            continue  # ESP
        b = b[4:]
    if len(b) >= 28 and b[16] == 53 and b[18] == 35:
        n[f[0]] = n.get(f[0], 0) + 1
        big = max(big, int(f[1]))
print(n["192.0.2.1"], n["192.0.2.2"], big)
'
}
