# IPsec gateway: top-level build. Everything lands under build/.
#   make          build the library, daemon and tools
#   make test     unit tests, fast-path runs and fuzzing, strongSwan interop (PSK and certificates; installs deps)
#   make asan     unit tests, the gateway on pcap traffic and with strongSwan, live reload
#                 of both programs, under ASan + UBSan
#   make interop  interop with strongSwan and Libreswan, the gateway, IKE load,
#                 100,000 tunnels through the gateway (tests/scale/gw_scale.sh)
#   make demo     IKEv2 tunnels with strongSwan in namespaces (daemon, then DPDK gateway with traffic)
#   make bench    fast-path, IKE and gateway-scale benchmarks (perf/fp_bench.sh, perf/ike_bench.sh,
#                 perf/gw_bench.sh, perf/secgw_startup.sh)
#   make install  programs, units, manual pages, drivers-config (PREFIX=/usr, DESTDIR)
#   make format   format every C file as .clang-format says; format-check (in make test) checks

CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -fno-strict-aliasing -D_GNU_SOURCE -MMD -MP -I.
LDFLAGS ?=

PKG_CONFIG ?= pkg-config
CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcrypto 2>/dev/null)
CRYPTO_LIBS   := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
JANSSON_LIBS  := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
# app/common/privs.c
CAP_LIBS      := $(shell $(PKG_CONFIG) --libs libcap 2>/dev/null || echo -lcap)
# app/common/metrics.c (Prometheus endpoint)
MHD_LIBS      := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
CUNIT_LIBS    := $(shell $(PKG_CONFIG) --libs cunit 2>/dev/null || echo -lcunit)
# libsystemd for sd_notify (app/common/notify.c); without it the programs
# build, but do not speak systemd's Type=notify protocol.
SYSTEMD_LIBS  := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)
# Fast path: DPDK headers as -isystem so -Wextra/-Wshadow/-Werror apply to our
# code only. DPDK 22.11 headers need SSSE3+ intrinsics; its .pc says
# -march=corei7, we use MARCH=native for builds that run where they are made
# (CI runs on the same kind of machine); debian/rules sets MARCH=corei7,
# Debian's DPDK baseline, so that a package runs on any x86-64 machine
# DPDK itself runs on (intel-ipsec-mb picks its AVX code at run time).
MARCH         ?= native
DPDK_CFLAGS   := $(subst -I,-isystem ,$(filter-out -march=%,$(shell $(PKG_CONFIG) --cflags libdpdk 2>/dev/null))) -march=$(MARCH)
DPDK_LIBS     := $(shell $(PKG_CONFIG) --libs libdpdk 2>/dev/null)
IMB_LIBS      := -lIPSec_MB
# net_ring for rte_eth_from_rings() in the unit tests (PMDs are otherwise
# loaded as plugins by the EAL).
RING_LIBS     := -lrte_net_ring

# One folder a library or program: ike/ (engine, no DPDK), fastpath/ (DPDK
# data plane, no OpenSSL), app/common/ (configuration, control socket, log:
# no DPDK), and one folder per program under app/.
IKE_SRCS  := $(sort $(wildcard ike/*/*.c))
APP_SRCS  := $(sort $(wildcard app/common/*.c))
FP_SRCS   := $(sort $(wildcard fastpath/*.c))
DAEMON_SRCS := $(sort $(wildcard app/ike_daemon/*.c))
CTL_SRCS  := $(sort $(wildcard app/cli/*.c))
# The gateway's objects but its main(), which the unit tests link too.
GW_SRCS   := $(filter-out app/gateway/main.c,$(sort $(wildcard app/gateway/*.c)))
# tests/unit/ mirrors the tree: one folder per library or program.
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c))

IKE_OBJS  := $(IKE_SRCS:%.c=$(BUILD)/%.o)
APP_OBJS  := $(APP_SRCS:%.c=$(BUILD)/%.o)
FP_OBJS   := $(FP_SRCS:%.c=$(BUILD)/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
FP_UNIT_SRCS := $(sort $(wildcard tests/unit/fastpath/*.c)) tests/unit/app/test_gw.c \
                tests/unit/app/test_gw_reload.c \
                tests/unit/test_eal.c
FP_UNIT_OBJS := $(FP_UNIT_SRCS:%.c=$(BUILD)/%.o)
GW_OBJS   := $(GW_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS  := $(CTL_SRCS:%.c=$(BUILD)/%.o)

LIBIKE    := $(BUILD)/libike.a
LIBAPP    := $(BUILD)/libapp.a
LIBFP     := $(BUILD)/libfp.a
DAEMON    := $(BUILD)/ipsecgw-ike
CTL       := $(BUILD)/ipsecgw-ctl
UNIT      := $(BUILD)/tests/unit_tests
IKELOAD   := $(BUILD)/ikeload
CEILING   := $(BUILD)/x25519_ceiling
ECDSACEIL := $(BUILD)/ecdsa_ceiling
GW        := $(BUILD)/ipsecgw
# Fast-path benchmarks (perf/fp_bench.sh): ESP layer alone, raw
# intel-ipsec-mb, zero-copy traffic source/sink for net_ring ports.
FPBENCH   := $(BUILD)/fp_bench
IMBCEIL   := $(BUILD)/imb_ceiling
ZCGEN     := $(BUILD)/zc_gen
XCORE     := $(BUILD)/xcore_rtt
SPDBENCH  := $(BUILD)/spd_bench
FP_PERF_BINS := $(FPBENCH) $(IMBCEIL) $(ZCGEN) $(XCORE) $(SPDBENCH)
# LD_PRELOAD shim that stands in for the kernel's ESP states under Libreswan's
# pluto in tests/interop/ls_run.sh
LSFAKESA  := $(BUILD)/tests/interop/ls_fakesa.so

# Where `make install` puts things (docs/operations.md): PREFIX for programs,
# data and manual pages, DESTDIR a staging root (packages). The data folder is
# compiled in (drivers-config is looked for there), so an install with another
# PREFIX rebuilds what depends on it.
PREFIX     ?= /usr
DESTDIR    ?=
SBINDIR    ?= $(PREFIX)/sbin
DATADIR    ?= $(PREFIX)/share/ipsecgw
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
# scripts/version.sh; IPSECGW_VERSION=... from outside wins (a package built
# from a copy of the tree without .git, tests/pkg/pkg_run.sh).
IPSECGW_VERSION ?= $(shell bash scripts/version.sh)

.PHONY: all test unit asan interop demo deps clean fuzz fuzz-fp bench format format-check \
        programs install pkg-test FORCE
all: $(LIBIKE) $(LIBFP) $(DAEMON) $(CTL) $(GW) $(UNIT) $(IKELOAD) $(CEILING) $(ECDSACEIL) $(FP_PERF_BINS) $(LSFAKESA)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CRYPTO_CFLAGS) -c $< -o $@

# The version and data folder, rewritten only when they change (so a build
# with nothing new relinks nothing); only app/common/version.c includes it.
$(BUILD)/gen/app_build.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define APP_BUILD_VERSION "%s"\n#define APP_BUILD_DATADIR "%s"\n' \
	    '$(IPSECGW_VERSION)' '$(DATADIR)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/app/common/version.o: $(BUILD)/gen/app_build.h
$(BUILD)/app/common/version.o: CFLAGS += -I$(BUILD)/gen
$(BUILD)/app/common/notify.o: CFLAGS += $(if $(SYSTEMD_LIBS),-DAPP_HAVE_LIBSYSTEMD)

$(LIBIKE): $(IKE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBAPP): $(APP_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(FP_OBJS) $(FP_UNIT_OBJS) $(GW_OBJS) $(BUILD)/app/gateway/main.o: CFLAGS += $(DPDK_CFLAGS)

$(LIBFP): $(FP_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DAEMON): $(DAEMON_OBJS) $(LIBAPP) $(LIBIKE)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(JANSSON_LIBS) $(CAP_LIBS) $(MHD_LIBS) $(CRYPTO_LIBS) $(SYSTEMD_LIBS)

$(CTL): $(CTL_OBJS) $(LIBAPP) $(LIBIKE)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(JANSSON_LIBS) $(CAP_LIBS) $(MHD_LIBS) $(CRYPTO_LIBS) $(SYSTEMD_LIBS)

$(IKELOAD): $(BUILD)/perf/ikeload.o $(LIBIKE)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(CRYPTO_LIBS)

$(CEILING): $(BUILD)/perf/x25519_ceiling.o $(LIBIKE)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(CRYPTO_LIBS)

# ECDSA P-256 sign/verify and chain checks per second through ike/pki.
$(ECDSACEIL): $(BUILD)/perf/ecdsa_ceiling.o $(LIBIKE)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(CRYPTO_LIBS)

$(BUILD)/perf/fp_bench.o $(BUILD)/perf/zc_gen.o $(BUILD)/perf/spd_bench.o: CFLAGS += $(DPDK_CFLAGS)

$(SPDBENCH): $(BUILD)/perf/spd_bench.o $(LIBFP)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(DPDK_LIBS) $(IMB_LIBS)

$(FPBENCH): $(BUILD)/perf/fp_bench.o $(LIBFP)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(DPDK_LIBS) $(IMB_LIBS)

$(ZCGEN): $(BUILD)/perf/zc_gen.o $(LIBFP)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(DPDK_LIBS) $(IMB_LIBS)

$(XCORE): $(BUILD)/perf/xcore_rtt.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) -pthread

$(LSFAKESA): tests/interop/ls_fakesa.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< $(LDFLAGS) -ldl

$(IMBCEIL): $(BUILD)/perf/imb_ceiling.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(IMB_LIBS)

$(GW): $(BUILD)/app/gateway/main.o $(GW_OBJS) $(LIBAPP) $(LIBIKE) $(LIBFP)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(JANSSON_LIBS) $(CAP_LIBS) $(MHD_LIBS) $(CRYPTO_LIBS) $(DPDK_LIBS) $(IMB_LIBS) \
	    $(SYSTEMD_LIBS)

$(UNIT): $(UNIT_OBJS) $(GW_OBJS) $(LIBAPP) $(LIBIKE) $(LIBFP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(CUNIT_LIBS) $(JANSSON_LIBS) $(CAP_LIBS) $(MHD_LIBS) $(CRYPTO_LIBS) \
	    $(DPDK_LIBS) $(IMB_LIBS) $(RING_LIBS) $(SYSTEMD_LIBS)

deps:
	@bash scripts/deps.sh

# The three programs alone (what a package needs; debian/rules builds this).
programs: $(DAEMON) $(GW) $(CTL)

# FHS layout (docs/operations.md, "Installing"). Configuration files that
# exist already are kept: an upgrade never overwrites an operator's file.
INSTALL_UNIT = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
install: programs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/drivers-config \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/ipsecgw $(DESTDIR)$(SYSCONFDIR)/default \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/doc/ipsecgw/examples
	install -m 0755 $(DAEMON) $(GW) $(CTL) $(DESTDIR)$(SBINDIR)/
	install -m 0644 drivers-config/*.json $(DESTDIR)$(DATADIR)/drivers-config/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 README.md LICENSE docs/*.md $(DESTDIR)$(PREFIX)/share/doc/ipsecgw/
	install -m 0644 docs/examples/* $(DESTDIR)$(PREFIX)/share/doc/ipsecgw/examples/
	for u in ipsecgw-ike ipsecgw; do \
	    $(INSTALL_UNIT) dist/systemd/$$u.service.in >$(DESTDIR)$(UNITDIR)/$$u.service && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; done
	@for f in ipsecgw/ipsecgw-ike.json ipsecgw/ipsecgw.json default/ipsecgw; do \
	    src=dist/etc/$$(basename $$f); [ $$f = default/ipsecgw ] && src=dist/etc/default-ipsecgw; \
	    if [ -e $(DESTDIR)$(SYSCONFDIR)/$$f ]; then echo "kept $(DESTDIR)$(SYSCONFDIR)/$$f"; \
	    else install -m 0640 $$src $(DESTDIR)$(SYSCONFDIR)/$$f || exit 1; fi; done

# The install tree, the Debian package and the systemd units in a scratch
# root (tests/pkg/pkg_run.sh).
pkg-test: deps
	bash tests/pkg/pkg_run.sh

unit: deps
	@$(MAKE) --no-print-directory $(UNIT)
	$(UNIT)

interop: deps
	@$(MAKE) --no-print-directory all
	bash tests/interop/run.sh
	bash tests/interop/cert_run.sh
	bash tests/interop/ls_run.sh
	bash tests/interop/gw_run.sh
	bash tests/interop/gw_nbr_run.sh
	bash tests/interop/gw_reload_run.sh
	bash tests/interop/nat_run.sh
	LOAD_BUSY_COUNT=50000 LOAD_BUDGET_S=600 bash tests/interop/load.sh
	SOAK_SECS=600 bash tests/interop/soak.sh
	bash tests/scale/gw_scale.sh

test: deps
	@$(MAKE) --no-print-directory format-check
	bash scripts/check_spdx.sh
	@$(MAKE) --no-print-directory all
	$(UNIT)
	bash tests/pkg/pkg_run.sh
	bash tests/fastpath/pcap_run.sh $(BUILD)
	bash tests/fastpath/telemetry_run.sh $(BUILD)
	bash tests/fastpath/check_run.sh $(BUILD)
	bash tests/fastpath/ike_frag_run.sh $(BUILD)
	@$(MAKE) --no-print-directory fuzz FUZZ_RUNS=100000
	@$(MAKE) --no-print-directory fuzz-fp
	IPGW_LOSS_ROUNDS=10 bash tests/interop/run.sh
	bash tests/interop/reload_run.sh
	bash tests/interop/cert_run.sh
	bash tests/interop/gw_run.sh
	bash tests/interop/gw_nbr_run.sh
	bash tests/interop/gw_reload_run.sh
	bash tests/interop/nat_run.sh
	bash tests/interop/load.sh
	bash tests/interop/soak.sh

# Random and mutated messages through every payload parser and the RFC 7427
# parsers of ike/pki/pki_wire.c, under ASan+UBSan
# (fuzz/fuzz_ikev2_msg.c also builds as a libFuzzer target with clang).
FUZZ_RUNS ?= 1000000
$(BUILD)/fuzz/fuzz_ikev2_msg: fuzz/fuzz_ikev2_msg.c ike/v2/ikev2_payload.c ike/v2/ikev2_cert.c \
    ike/core/ike_addr.c ike/pki/pki_wire.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. -DFUZZ_STANDALONE \
	    -fsanitize=address,undefined -fno-sanitize-recover=all $^ -o $@

# The HTTP of revocation fetches (ike/pki/rev_http.c): response parser and
# URL parser, on what a CRL/OCSP server or a certificate could hold.
$(BUILD)/fuzz/fuzz_rev_http: fuzz/fuzz_rev_http.c ike/pki/rev_http.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. -DFUZZ_STANDALONE \
	    -fsanitize=address,undefined -fno-sanitize-recover=all $^ -o $@

fuzz: $(BUILD)/fuzz/fuzz_ikev2_msg $(BUILD)/fuzz/fuzz_rev_http
	$(BUILD)/fuzz/fuzz_ikev2_msg $(FUZZ_RUNS) 1
	$(BUILD)/fuzz/fuzz_rev_http $(FUZZ_RUNS) 1

ASAN_OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# The fast path's worker on mutated traffic (fuzz/fuzz_fastpath.c), built
# under ASan+UBSan in build/asan with the rest of the fast path.
FUZZ_FP_RUNS ?= 20000
$(BUILD)/fuzz/fuzz_fastpath.o: CFLAGS += $(DPDK_CFLAGS) -DFUZZ_STANDALONE
$(BUILD)/fuzz/fuzz_fastpath: $(BUILD)/fuzz/fuzz_fastpath.o $(LIBFP)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(DPDK_LIBS) $(IMB_LIBS) $(RING_LIBS)

fuzz-fp:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="$(ASAN_OPT)" \
	    LDFLAGS="-fsanitize=address,undefined" build/asan/fuzz/fuzz_fastpath
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    build/asan/fuzz/fuzz_fastpath $(FUZZ_FP_RUNS) 1

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="$(ASAN_OPT)" \
	    LDFLAGS="-fsanitize=address,undefined" build/asan/tests/unit_tests build/asan/ipsecgw \
	    build/asan/ipsecgw-ike
	@$(MAKE) --no-print-directory $(CTL)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/asan/tests/unit_tests
	# the whole gateway on the pcap traffic: malformed packets, fragments, both backends
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 bash tests/fastpath/pcap_run.sh build/asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 bash tests/fastpath/ike_frag_run.sh build/asan
	# ... and negotiating with strongSwan, carrying the tunnel's traffic
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 GW_BIN=build/asan/ipsecgw \
	    bash tests/interop/gw_run.sh
	# ... and live reload: connections removed (with their credential store), changed, added
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 GW_BIN=build/asan/ipsecgw \
	    bash tests/interop/gw_reload_run.sh
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 IKE_BIN=build/asan/ipsecgw-ike \
	    bash tests/interop/reload_run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	bash scripts/demo.sh

# Benchmarks: the fast path (perf/fp_bench.sh, ~14 min; BENCH_QUICK=1 ~1.5 min)
# and the IKE engine (perf/ike_bench.sh), each when its script is present.
# Both run even if the first fails; the target fails if either did.
bench: deps
	@$(MAKE) --no-print-directory all
	@rc=0; for s in perf/fp_bench.sh perf/ike_bench.sh perf/gw_bench.sh perf/secgw_startup.sh; do \
	    if [ -f $$s ]; then bash $$s || rc=1; fi; \
	done; exit $$rc

# Every tracked C file, formatted as .clang-format says (clang-format 14,
# Debian 12's). format-check fails naming each file and line that differs.
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i --style=file $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror --style=file $(FORMAT_FILES) && \
	    echo "format-check: $(words $(FORMAT_FILES)) files as .clang-format says"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
