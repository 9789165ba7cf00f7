# SPDX-License-Identifier: BSD-3-Clause
# perf/lib_bench.sh - network namespaces and responders for IKE load runs.
# Sourced (not executed) by perf/ike_bench.sh and tests/interop/load.sh.
# Builds on tests/interop/lib.sh (wait_until, process tracking, ss_start /
# us_start, ss_query / us_ctl ...), which it sources.
#
# Topology (lb_ns_setup):
#
#   namespace $LB_RESP_NS (responder)          namespace $LB_GEN_NS (ikeload)
#     vr 192.0.2.1/24  <-------- veth -------->  vg 192.0.2.2/24 (generator)
#                                                   192.0.2.3/24 (flooder)
#     lo 203.0.113.1/24, 2001:db8:2::1/64           lo 198.51.100.1/24
#        (inner, for charon's routes)                  (inner, charon initiator)
#
# The responder (build/ipsecgw-ike or strongSwan's charon) listens on
# 192.0.2.1 and is pinned to CPU $LB_RESP_CPU (0); every ikeload runs pinned
# to CPU $LB_GEN_CPU (1). Only documentation addresses, only inside the
# namespaces made here; every wait is bounded (wait_until, timeout).
#
# Callers: install `trap lb_cleanup EXIT`, then lb_init, lb_ns_setup.
# Per responder run: a directory D (lb_newdir NAME), lb_us_conf D / lb_ss_conf
# D, lb_us_start D / lb_ss_start D, lb_gen D OUT.json ARGS..., lb_*_stop D.
# Certificates instead of the PSK: lb_pki_make DIR once, then LB_AUTH=cert
# and LB_PKI=DIR (responders and ikeload then use that PKI).

LB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
source "$LB_LIB_DIR/../tests/interop/lib.sh"

IKELOAD_BIN=${IKELOAD_BIN:-$IPGW_ROOT/build/ikeload}
CEILING_BIN=${CEILING_BIN:-$IPGW_ROOT/build/x25519_ceiling}

LB_RESP_NS=${LB_RESP_NS:-resp-$$}
LB_GEN_NS=${LB_GEN_NS:-gen-$$}
LB_RESP_IP=192.0.2.1
LB_GEN_IP=192.0.2.2
LB_FLOOD_IP=192.0.2.3
LB_RESP_CPU=${LB_RESP_CPU:-0}
LB_GEN_CPU=${LB_GEN_CPU:-1}

# Settings read by lb_us_conf / lb_ss_conf (lb_defaults resets them).
lb_defaults() {
	LB_PSK="load-test-psk-0123456789abcdef"
	LB_IKE_PROP="aes128gcm16-prfsha256-x25519"
	LB_ESP_PROP="aes128gcm16"
	LB_COOKIE_THRESHOLD=1000        # ours; charon gets the same number in flood runs
	LB_FORCE_COOKIES=false
	LB_SS_DOS=off                   # off: DoS limits raised out of the way; cookies: cookie_threshold=$LB_COOKIE_THRESHOLD
	LB_US_LOGLEVEL=info
	LB_METRICS=""                   # ours: metrics.listen (ADDR:PORT in the responder namespace), "" = off
	LB_LIVENESS_IDLE=600            # ours: liveness check of idle SAs without dpd_delay
	LB_SS_LOGLEVEL=0                # charon filelog default level (0 = audit: SA up/down, errors)
	LB_AUTH=psk                     # psk or cert (ECDSA P-256 from lb_pki_make, in $LB_PKI)
	LB_PKI=${LB_PKI:-}
	LB_CERT_PEERS=1                 # >1: ikeload authenticates as that many distinct peers (lb_pki_peers)
}
lb_defaults

# ---------------------------------------------------------------- setup

lb_init() {
	ipgw_require_root || return 1
	ipgw_init || return 1
	LB_WORK=$IPGW_WORK
}

lb_cleanup() { ipgw_cleanup; }

lb_newdir() { local d=$LB_WORK/$1; rm -rf -- "$d"; mkdir -p "$d" && echo "$d"; }

lb_ns_setup() {
	ip netns add "$LB_RESP_NS" || return 1
	IPGW_NS_MADE+=("$LB_RESP_NS")
	ip netns add "$LB_GEN_NS" || return 1
	IPGW_NS_MADE+=("$LB_GEN_NS")
	ip link add name vr netns "$LB_RESP_NS" type veth peer name vg netns "$LB_GEN_NS" || return 1
	ip -n "$LB_RESP_NS" link set lo up
	ip -n "$LB_GEN_NS" link set lo up
	ip -n "$LB_RESP_NS" addr add "$LB_RESP_IP/24" dev vr
	ip -n "$LB_GEN_NS" addr add "$LB_GEN_IP/24" dev vg
	ip -n "$LB_GEN_NS" addr add "$LB_FLOOD_IP/24" dev vg
	# no IPv6 on the link (no DAD, no router solicitations); the responder
	# keeps IPv6 for lo and for charon's TUN device (the IPv6 selectors)
	ip netns exec "$LB_GEN_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ip netns exec "$LB_RESP_NS" sysctl -qw net.ipv6.conf.vr.disable_ipv6=1 net.ipv6.conf.default.accept_dad=0 2>/dev/null
	# charon's kernel-libipsec routes each CHILD SA's remote selector through
	# its TUN device from an address of the local selector: give the
	# responder one in each (203.0.113.0/24, 2001:db8:2::/64), on lo
	ip -n "$LB_RESP_NS" addr add 203.0.113.1/24 dev lo
	ip -n "$LB_RESP_NS" addr add 2001:db8:2::1/64 dev lo nodad 2>/dev/null
	# an inner address for a charon initiator in the generator namespace
	ip -n "$LB_GEN_NS" addr add 198.51.100.1/24 dev lo
	ip -n "$LB_RESP_NS" link set vr up
	ip -n "$LB_GEN_NS" link set vg up
	wait_until 5 ip netns exec "$LB_GEN_NS" ping -c 1 -W 1 -q "$LB_RESP_IP" >/dev/null 2>&1 || {
		echo "lib_bench: veth link between the namespaces does not pass traffic" >&2
		return 1
	}
}

# lb_pin PID CPU: every thread of PID onto CPU (new threads inherit it).
lb_pin() { taskset -a -p -c "$2" "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- certificates

# lb_pki_make DIR: a PKI made with openssl, every key ECDSA P-256: a root CA
# (the trust anchor), an intermediate CA under it, and under the
# intermediate the responder's end entity (subjectAltName IP 192.0.2.1, the
# identity it claims) and the generator's (identity: its subject DN).
# Files: root.pem inter.pem resp.pem resp.key gen.pem gen.key, and
# gen-chain.pem (the generator's end entity + intermediate, what it sends).
lb_pki_make() {
	local d=$1
	mkdir -p "$d" || return 1
	cat >"$d/ext.cnf" <<EOF
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[resp]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectAltName = IP:$LB_RESP_IP, DNS:responder.bench.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[gen]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectAltName = DNS:generator.bench.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	lb_pki_key "$d/root.key" && lb_pki_key "$d/inter.key" &&
		lb_pki_key "$d/resp.key" && lb_pki_key "$d/gen.key" || return 1
	if ! { openssl req -new -x509 -key "$d/root.key" -subj "/C=CH/O=ipsecgw bench/CN=Bench Root CA" \
		-days 30 -sha256 -extensions ca -config "$d/ext.cnf" -out "$d/root.pem" 2>>"$d/pki.log" &&
		lb_pki_issue "$d" inter root ca "/C=CH/O=ipsecgw bench/CN=Bench Intermediate CA" &&
		lb_pki_issue "$d" resp inter resp "/C=CH/O=ipsecgw bench/CN=responder.bench.example" &&
		lb_pki_issue "$d" gen inter gen "/C=CH/O=ipsecgw bench/CN=generator.bench.example"; }; then
		echo "lib_bench: openssl could not make the PKI: $(tail -n 3 "$d/pki.log")" >&2
		return 1
	fi
	cat "$d/gen.pem" "$d/inter.pem" >"$d/gen-chain.pem"
}
# lb_pki_peers DIR N: N more generator end entities under the intermediate,
# DIR/peer-I.pem (end entity + intermediate) and DIR/peer-I.key, I = 1..N:
# with LB_CERT_PEERS=N ikeload is N distinct peers, one per SA in turn.
lb_pki_peers() {
	local d=$1 i
	for i in $(seq 1 "$2"); do
		[ -s "$d/peer-$i.pem" ] && continue
		if ! { (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/peer-$i.key" -subj "/C=CH/O=ipsecgw bench/CN=peer-$i.bench.example" \
			-out "$d/peer-$i.csr" 2>>"$d/pki.log") &&
			openssl x509 -req -in "$d/peer-$i.csr" -CA "$d/inter.pem" -CAkey "$d/inter.key" \
				-CAcreateserial -days 30 -sha256 -extfile "$d/ext.cnf" -extensions gen \
				-out "$d/peer-$i.crt" 2>>"$d/pki.log" &&
			cat "$d/peer-$i.crt" "$d/inter.pem" >"$d/peer-$i.pem"; }; then
			echo "lib_bench: openssl could not make peer $i: $(tail -n 3 "$d/pki.log")" >&2
			return 1
		fi
	done
}
# lb_pki_key FILE: an EC P-256 key (SEC1 PEM), mode 0600 as both daemons want.
lb_pki_key() {
	(umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null)
}
# lb_pki_issue DIR NAME ISSUER EXT SUBJECT: DIR/NAME.pem signed by DIR/ISSUER.
lb_pki_issue() {
	local d=$1
	openssl req -new -key "$d/$2.key" -subj "$5" -out "$d/$2.csr" 2>>"$d/pki.log" &&
		openssl x509 -req -in "$d/$2.csr" -CA "$d/$3.pem" -CAkey "$d/$3.key" -CAcreateserial \
			-days 30 -sha256 -extfile "$d/ext.cnf" -extensions "$4" -out "$d/$2.pem" 2>>"$d/pki.log"
}

# ---------------------------------------------------------------- our daemon

# lb_us_conf DIR: DIR/us.json, a responder-only connection for 192.0.2.0/24
# (LB_AUTH=cert: root trusted, the intermediate known, our end entity sent
# with the intermediate, any peer identity its certificate carries).
# The child accepts the generator's default selectors (198.51.100.0/24 <->
# 203.0.113.0/24) and its --unique-ts IPv6 ones (2001:db8:1::/64 <->
# 2001:db8:2::/64), narrowed to what the initiator proposed.
lb_us_conf() {
	local dir=$1 creds="" auth="\"auth\": { \"method\": \"psk\", \"psk\": \"$LB_PSK\" },"
	if [ "$LB_AUTH" = cert ]; then
		creds="\"credentials\": { \"cacerts\": [\"$LB_PKI/root.pem\"], \"intermediates\": [\"$LB_PKI/inter.pem\"] },"
		auth="\"auth\": { \"method\": \"pubkey\", \"cert\": \"$LB_PKI/resp.pem\", \"key\": \"$LB_PKI/resp.key\" },
      \"remote_auth\": { \"method\": \"pubkey\" },"
	fi
	local metrics=""
	[ -n "$LB_METRICS" ] && metrics="\"metrics\": { \"listen\": \"$LB_METRICS\" },"
	cat >"$dir/us.json" <<EOF
{
  "local": { "addresses": ["$LB_RESP_IP"] },
  $creds
  $metrics
  "log": { "level": "$LB_US_LOGLEVEL" },
  "control": { "socket": "$dir/ctl.sock" },
  "ike": { "retransmit_timeout_ms": 1000, "retransmit_tries": 3,
           "cookie_threshold": $LB_COOKIE_THRESHOLD, "force_cookies": $LB_FORCE_COOKIES,
           "liveness_idle": $LB_LIVENESS_IDLE },
  "connections": [
    {
      "name": "load",
      "local_addr": "$LB_RESP_IP",
      "remote_addr": "192.0.2.0/24",
      "local_id": "$LB_RESP_IP",
      "remote_id": "%any",
      $auth
      "ike_proposals": ["$LB_IKE_PROP"],
      "rekey_time": 0,
      "dpd_delay": 0,
      "children": [
        {
          "name": "net",
          "local_ts": ["203.0.113.0/24", "2001:db8:2::/64"],
          "remote_ts": ["198.51.100.0/24", "2001:db8:1::/64"],
          "esp_proposals": ["$LB_ESP_PROP"],
          "rekey_time": 0
        }
      ]
    }
  ]
}
EOF
}

# lb_us_start DIR: our daemon in the responder namespace, pinned.
lb_us_start() {
	local dir=$1
	us_start "$LB_RESP_NS" "$dir" || return 1
	lb_pin "$(us_pid "$dir")" "$LB_RESP_CPU"
}
lb_us_stop() { us_stop "$1"; }

# lb_us_stat DIR KEY: one counter of `ipsecgw-ctl stats` (empty if none).
lb_us_stat() {
	us_ctl "$1" stats 2>/dev/null | "$PYTHON" -c '
import sys, json
try:
    print(json.load(sys.stdin)["stats"][sys.argv[1]])
except Exception:
    pass' "$2"
}
# lb_us_nsas DIR: IKE SAs our daemon lists.
lb_us_nsas() { us_query "$1" 'len(sas)'; }

# ---------------------------------------------------------------- charon

# lb_ss_conf DIR: DIR/strongswan.conf + DIR/swanctl.conf for charon as a
# responder to any peer in 192.0.2.0/24 (connection "load", child "net").
# LB_AUTH=cert: the same files as ours in swanctl's folders under DIR
# (x509ca: the root; x509: our end entity and the intermediate, untrusted,
# which charon sends with ours; private: our key); lb_ss_start points
# swanctl at DIR (SWANCTL_DIR).
lb_ss_conf() {
	local dir=$1 dos auth=psk
	if [ "$LB_AUTH" = cert ]; then
		auth=pubkey
		mkdir -p "$dir/x509" "$dir/x509ca" "$dir/private"
		cp "$LB_PKI/root.pem" "$dir/x509ca/" && cp "$LB_PKI/resp.pem" "$LB_PKI/inter.pem" "$dir/x509/" &&
			cp -p "$LB_PKI/resp.key" "$dir/private/" || return 1
	fi
	if [ "$LB_SS_DOS" = cookies ]; then
		# the same policy as our daemon: cookies for everybody above a
		# global number of half-open SAs, no per-IP limit
		dos="cookie_threshold = $LB_COOKIE_THRESHOLD"
	else
		dos="cookie_threshold = 100000"
	fi
	cat >"$dir/strongswan.conf" <<EOF
charon {
  load = random nonce openssl pem pkcs1 x509 revocation constraints pubkey curve25519 aes sha1 sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici updown
  # a single-IP load generator is not an attack: DoS limits out of the way
  $dos
  cookie_threshold_ip = 100000
  block_threshold = 100000
  init_limit_half_open = 0
  init_limit_job_load = 0
  ikesa_table_size = 32768
  ikesa_table_segments = 16
  reuse_ikesa = no
  # kernel-libipsec installs the CHILD SAs (user-space ESP); no routes for
  # thousands of selectors
  install_routes = no
  install_virtual_ip = no
  retransmit_timeout = 1.0
  retransmit_tries = 3
  plugins {
    vici {
      socket = unix://$dir/charon.vici
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
      flush_line = no
      default = $LB_SS_LOGLEVEL
    }
  }
}
EOF
	cat >"$dir/swanctl.conf" <<EOF
connections {
  load {
    version = 2
    local_addrs = $LB_RESP_IP
    remote_addrs = 192.0.2.0/24
    proposals = $LB_IKE_PROP
    rekey_time = 0
    reauth_time = 0
    over_time = 0
    dpd_delay = 0
    mobike = no
    unique = no
    local {
      auth = $auth
      id = $LB_RESP_IP
$( [ "$LB_AUTH" = cert ] && echo "      certs = resp.pem")
    }
    remote {
      auth = $auth
      id = %any
    }
    children {
      net {
        local_ts = 203.0.113.0/24,2001:db8:2::/64
        remote_ts = 198.51.100.0/24,2001:db8:1::/64
        esp_proposals = $LB_ESP_PROP
        mode = tunnel
        rekey_time = 0
        life_time = 0
        rand_time = 0
        start_action = none
      }
    }
  }
}
secrets {
  ike-load {
    secret = "$LB_PSK"
  }
}
EOF
}

lb_ss_start() {
	local dir=$1
	SWANCTL_DIR=$dir ss_start "$LB_RESP_NS" "$dir" || return 1
	lb_pin "$(ss_pid "$dir")" "$LB_RESP_CPU"
}
lb_ss_stop() { ss_stop "$1"; }

# lb_ss_nsas DIR: IKE SAs charon holds (swanctl --stats, cheap at 100k SAs).
lb_ss_nsas() {
	ss_swanctl "$1" --stats 2>/dev/null | sed -n 's/^IKE_SAs: \([0-9]*\) total.*/\1/p'
}

# ---------------------------------------------------------------- measuring

# lb_rss_kib PID: VmRSS in KiB.
lb_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# lb_cpu_ticks PID: utime + stime of the whole process (all threads), in clock ticks.
lb_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# shellcheck disable=SC2034  # used by perf/ike_bench.sh
LB_HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
# lb_cpu_busy CPU: busy clock ticks of that CPU so far (everything but idle
# and iowait, whoever ran), from /proc/stat.
lb_cpu_busy() { awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# lb_gen DIR JSON ARGS...: ikeload from 192.0.2.2 to the responder, pinned,
# bounded by its --timeout plus a margin (LB_GEN_LIMIT seconds, default 900).
# Output in DIR/ikeload.out (appended); the exit status is ikeload's.
lb_gen() {
	local dir=$1 json=$2; shift 2
	local auth=(--psk "$LB_PSK") i
	if [ "$LB_AUTH" = cert ] && [ "$LB_CERT_PEERS" -gt 1 ]; then
		auth=(--ca "$LB_PKI/root.pem")
		for i in $(seq 1 "$LB_CERT_PEERS"); do auth+=(--cert "$LB_PKI/peer-$i.pem" --key "$LB_PKI/peer-$i.key"); done
	elif [ "$LB_AUTH" = cert ]; then
		auth=(--ca "$LB_PKI/root.pem" --cert "$LB_PKI/gen-chain.pem" --key "$LB_PKI/gen.key")
	fi
	rm -f "$json"
	echo "\$ ikeload $*" >>"$dir/ikeload.out"
	timeout -k 5 "${LB_GEN_LIMIT:-900}" ip netns exec "$LB_GEN_NS" taskset -c "$LB_GEN_CPU" \
		"$IKELOAD_BIN" --local "$LB_GEN_IP" --remote "$LB_RESP_IP" "${auth[@]}" \
		--proposal "$LB_IKE_PROP" --esp "$LB_ESP_PROP" --remote-id "$LB_RESP_IP" \
		--json "$json" "$@" >>"$dir/ikeload.out" 2>&1
}

# lb_flood_start DIR RATE SECONDS: an ikeload --flood from 192.0.2.3 in the
# background (pid in DIR/flood.pid, JSON in DIR/flood.json).
lb_flood_start() {
	local dir=$1 rate=$2 secs=$3 pid n
	# one slot per request: the flood never wraps its slot table
	n=$(awk -v r="$rate" -v s="$secs" 'BEGIN { printf "%d", r * s + 1000 }')
	timeout -k 5 $((secs + 60)) ip netns exec "$LB_GEN_NS" taskset -c "$LB_GEN_CPU" \
		"$IKELOAD_BIN" --local "$LB_FLOOD_IP" --remote "$LB_RESP_IP" --psk "flood-never-authenticates" \
		--proposal "$LB_IKE_PROP" --esp "$LB_ESP_PROP" --port-base 30000 --ports 64 \
		--count "$n" --flood "$rate" --duration "$secs" --quiet \
		--json "$dir/flood.json" >"$dir/flood.out" 2>&1 </dev/null &
	pid=$!
	ipgw_track_pid "$pid"
	echo "$pid" >"$dir/flood.pid"
}
lb_flood_wait() {
	local pid; pid=$(cat "$1/flood.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	wait_until "${2:-120}" ipgw_pid_gone "$pid" || ipgw_kill_pid "$pid" 2
	wait "$pid" 2>/dev/null
	return 0
}

# lb_json FILE KEY[.SUB]: one value of an ikeload JSON file (empty if none).
lb_json() {
	"$PYTHON" - "$1" "$2" <<'EOF' 2>/dev/null
import sys, json
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(json.dumps(v) if isinstance(v, (dict, list)) else v)
EOF
}
