# kite: top-level build. `make` builds userspace; `make check` runs every test
# (normal and ASan+UBSan builds); `make demo` runs kite-pingpong on kite-emu.
# The kernel module (kmod/) builds with `make modules` (see Kbuild).

BUILD   ?= build
# the one version (tools/version-files.sh writes it where it cannot be read)
VERSION := $(shell cat VERSION)
SAN     ?=
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
# a package's rules go under /usr/lib/udev (the admin's /etc overrides them); a local install's under /etc
UDEVDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,/etc/udev/rules.d)
CC      ?= cc

ifeq ($(origin CC),default)
CC := gcc
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALLCFLAGS := -std=c11 -D_GNU_SOURCE -fno-strict-aliasing -pthread $(WARN) -Iinclude -Ihw -Icommon -MMD -MP \
	     -DKITE_VERSION_STRING='"$(VERSION)"' $(CFLAGS)
LDLIBS  := -pthread -lm
SANFLAGS := -fsanitize=address,undefined
ifneq ($(SAN),)
ALLCFLAGS += -O1 $(SANFLAGS) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += $(SANFLAGS)
endif

LIB_SRCS := $(wildcard userlib/*.c) hw/kite_hw.c
EMU_SRCS := $(filter-out emu/kite-emu.c,$(wildcard emu/*.c))
NET_SRCS := $(wildcard net/*.c)
NET_OBJS := $(NET_SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
EMU_OBJS := $(EMU_SRCS:%.c=$(BUILD)/%.o)
TOOLS    := kite-pingpong regdoc kite-regs kite-stat kite-capture kite-responder kite-bind \
            kite-clock-sync kite-sockperf kite-md-pub kite-md-sub kite-fwd
BENCH    := udp-pingpong kite-throughput kite-ipp kite-bus kite-net-rtt kite-net-ipp
TESTS    := test_regtab test_emu test_emu_clock test_servo test_iova test_lib test_fastpath test_forward test_net e2e_client hostile_client \
            clock_client net_client

SOVER    := 0
LIBA     := $(BUILD)/libkite.a
LIBSO    := $(BUILD)/libkite.so.$(SOVER)

all: $(LIBA) $(LIBSO) $(BUILD)/libkite-net.a $(BUILD)/kite.pc $(BUILD)/kite-net.pc $(BUILD)/kite-emu $(TOOLS:%=$(BUILD)/%) \
     $(TESTS:%=$(BUILD)/%) $(BENCH:%=$(BUILD)/%)

$(BUILD)/userlib/%.o: userlib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LIBCFLAGS_$*) -fPIC -fvisibility=hidden -DKITE_BUILDING_LIB -Iuserlib -c $< -o $@

# the stream fast path's counters as two adds, not packed into a vector (callgrind: 4
# instructions a call more, at one frame a call)
LIBCFLAGS_stream := -fno-tree-slp-vectorize

# the control sequences kite.ko and uio_kite.ko share, inside libkite (not exported)
$(BUILD)/hw/%.o: hw/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -fPIC -fvisibility=hidden -Iuserlib -c $< -o $@

$(BUILD)/net/%.o: net/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Inet -c $< -o $@

$(BUILD)/emu/%.o: emu/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Iemu -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Iemu -Iuserlib -c $< -o $@

# the one file that compiles VERSION in (KITE_VERSION_STRING): rebuilt when it changes
$(BUILD)/tools/args.o: VERSION

$(LIBA): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

# symbol versions (userlib/libkite.map): an exported name missing there is not exported
$(LIBSO): $(LIB_OBJS) userlib/libkite.map
	$(CC) -shared -Wl,-soname,libkite.so.$(SOVER) -Wl,-z,defs -Wl,--version-script=userlib/libkite.map \
		-Wl,--no-undefined-version $(LDFLAGS) $(LIB_OBJS) -o $@ $(LDLIBS)
	ln -sf libkite.so.$(SOVER) $(BUILD)/libkite.so

$(BUILD)/libkite-net.a: $(NET_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libkite-emu.a: $(EMU_OBJS)
	rm -f $@
	ar rcs $@ $^

# rebuilt when the directories change (make install PREFIX=/opt/kite after make)
$(BUILD)/.prefix: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' | cmp -s - $@ || echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' > $@

$(BUILD)/kite.pc: userlib/kite.pc.in $(BUILD)/.prefix
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/kite-net.pc: net/kite-net.pc.in $(BUILD)/.prefix
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@

# Programs: the objects each links (under $(BUILD)) and its extra libraries;
# one rule links them all, and the QEMU guest's static copies.
OBJS_kite-emu        := emu/kite-emu.o tools/args.o libkite-emu.a
OBJS_kite-pingpong   := tools/kite-pingpong.o tools/tsc.o tools/port_default.o tools/args.o \
			libkite.a
OBJS_kite-regs       := tools/kite-regs.o tools/regs_access.o tools/pci_list.o tools/args.o \
			libkite.a
OBJS_kite-bind       := tools/kite-bind.o tools/pci_list.o tools/args.o
OBJS_kite-stat       := tools/kite-stat.o tools/args.o libkite.a
OBJS_kite-clock-sync := tools/kite-clock-sync.o tools/args.o tools/stop_signal.o libkite.a
OBJS_kite-capture    := tools/kite-capture.o tools/port_default.o tools/args.o tools/stop_signal.o libkite.a
OBJS_kite-responder  := examples/kite-responder.o examples/example_args.o tools/args.o tools/stop_signal.o libkite-net.a libkite.a
OBJS_kite-md-pub     := examples/kite-md-pub.o examples/example_args.o tools/args.o tools/stop_signal.o libkite-net.a libkite.a
OBJS_kite-md-sub     := examples/kite-md-sub.o examples/example_args.o tools/args.o tools/stop_signal.o libkite-net.a libkite.a
OBJS_kite-sockperf   := examples/kite-sockperf.o examples/example_args.o tools/args.o tools/stop_signal.o libkite-net.a libkite.a
OBJS_kite-fwd        := examples/kite-fwd.o tools/port_default.o tools/args.o tools/stop_signal.o libkite.a
OBJS_regdoc          := tools/regdoc.o
OBJS_udp-pingpong    := bench/udp-pingpong.o tools/tsc.o
OBJS_kite-throughput := bench/kite-throughput.o libkite.a
OBJS_kite-ipp        := bench/kite-ipp.o bench/inproc.o libkite.a libkite-emu.a
OBJS_kite-net-rtt    := bench/kite-net-rtt.o tools/tsc.o tools/args.o libkite-net.a libkite.a
OBJS_kite-net-ipp    := bench/kite-net-ipp.o libkite-net.a libkite.a libkite-emu.a
OBJS_kite-bus        := bench/kite-bus.o bench/inproc.o libkite.a libkite-emu.a
OBJS_test_regtab     := tests/test_regtab.o
OBJS_test_emu        := tests/test_emu.o libkite-emu.a
OBJS_test_emu_clock  := tests/test_emu_clock.o libkite-emu.a
OBJS_test_servo      := tests/test_servo.o libkite.a
OBJS_test_iova       := tests/test_iova.o libkite.a
OBJS_test_lib        := tests/test_lib.o tests/lib_fixture.o tests/harness.o libkite.a libkite-emu.a
OBJS_test_fastpath   := tests/test_fastpath.o tests/lib_fixture.o tests/harness.o libkite.a libkite-emu.a
OBJS_test_forward    := tests/test_forward.o tests/lib_fixture.o tests/harness.o libkite.a libkite-emu.a
OBJS_test_net        := tests/test_net.o tests/lib_fixture.o tests/harness.o libkite-net.a libkite.a libkite-emu.a
OBJS_e2e_client      := tests/e2e_client.o tests/harness.o libkite.a
OBJS_hostile_client  := tests/hostile_client.o libkite.a
OBJS_clock_client    := tests/clock_client.o tests/harness.o libkite.a
OBJS_net_client      := tests/net_client.o libkite-net.a libkite.a
OBJS_kmod_client     := tests/kmod_client.o tests/kmod_util.o
OBJS_kmod_attack     := tests/kmod_attack.o tests/kmod_util.o
OBJS_kmod_stress     := tests/kmod_stress.o tests/kmod_util.o
LIBS_kite-regs       := -lpci -ljson-c
LIBS_kite-bind       := -lpci
LIBS_kite-stat       := -ljson-c
LIBS_kite-capture    := -lpcap
LIBS_test_regtab     := -lcmocka
LIBS_test_emu        := -lcmocka
LIBS_test_emu_clock  := -lcmocka
LIBS_test_servo      := -lcmocka
LIBS_test_iova       := -lcmocka
LIBS_test_lib        := -lcmocka
LIBS_test_fastpath   := -lcmocka
LIBS_test_forward    := -lcmocka
LIBS_test_net        := -lcmocka

define program
$(BUILD)/$(1): $(addprefix $(BUILD)/,$(OBJS_$(1)))
	$$(CC) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS) $(LIBS_$(1))
endef
$(foreach p,kite-emu $(TOOLS) $(BENCH) $(TESTS),$(eval $(call program,$(p))))

# Static programs for the QEMU guest's initramfs (tests/qemu.sh)
GUEST_BINS := kite-pingpong e2e_client kmod_client kmod_attack kmod_stress clock_client
guest: $(GUEST_BINS:%=$(BUILD)/guest/%)

define guest_program
$(BUILD)/guest/$(1): $(addprefix $(BUILD)/,$(OBJS_$(1)))
	@mkdir -p $$(@D)
	$$(CC) -static $$^ -o $$@ $$(LDLIBS)
endef
$(foreach p,$(GUEST_BINS),$(eval $(call guest_program,$(p))))

# ---- tests ---------------------------------------------------------------
test: all
	BUILD=$(BUILD) APP_CFLAGS="$(if $(SAN),$(SANFLAGS))" bash tests/run.sh

check: docs-check
	HUGEPAGES=256 $(MAKE) BUILD=build test	# also builds what the QEMU guest runs
	$(MAKE) BUILD=build-san SAN=1 test
	bash tests/fuzz.sh build-fuzz
	bash tests/kernel.sh build-kernel
	bash tests/packages.sh build-pkg
	bash tests/summary.sh build build-san build-fuzz build-kernel build-pkg

# libFuzzer targets (clang, ASan+UBSan): `make fuzz` builds, `make fuzz-long` runs
# them for 10 minutes each; make check runs them for 30 s (tests/fuzz.sh)
FUZZ_OUT ?= build-fuzz
FUZZ_CC  ?= clang
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Iinclude -Iemu -Icommon \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz: $(FUZZ_OUT)/fuzz_model $(FUZZ_OUT)/fuzz_api $(FUZZ_OUT)/fuzz_net

$(FUZZ_OUT)/fuzz_model: fuzz/fuzz_model.c $(EMU_SRCS) $(wildcard emu/*.h include/kite/*.h include/kite/*.def)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) fuzz/fuzz_model.c $(EMU_SRCS) -o $@ -pthread -lm

$(FUZZ_OUT)/fuzz_api: fuzz/fuzz_api.c $(EMU_SRCS) $(LIB_SRCS) $(wildcard emu/*.h userlib/*.h include/kite/*.h include/kite/*.def)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iuserlib -Ihw fuzz/fuzz_api.c $(EMU_SRCS) $(LIB_SRCS) -o $@ -pthread -lm

$(FUZZ_OUT)/fuzz_net: fuzz/fuzz_net.c $(EMU_SRCS) $(LIB_SRCS) $(NET_SRCS) $(wildcard emu/*.h userlib/*.h net/*.h include/kite/*.h include/kite/*.def)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iuserlib -Ihw -Inet fuzz/fuzz_net.c $(EMU_SRCS) $(LIB_SRCS) $(NET_SRCS) -o $@ -pthread -lm

# minutes of applications started and killed against one daemon (tests/soak.sh)
soak: all
	SOAK_SECONDS=$${SOAK_SECONDS:-300} bash tests/soak.sh $(BUILD)

fuzz-long:
	FUZZ_SECONDS=600 bash tests/fuzz.sh $(FUZZ_OUT)

fuzz-seeds:
	python3 fuzz/make_seeds.py

docs: $(BUILD)/regdoc
	$(BUILD)/regdoc --update docs/hw-spec.md

docs-check: $(BUILD)/regdoc
	$(BUILD)/regdoc --check docs/hw-spec.md
	bash tools/version-files.sh --check

# VERSION into include/kite/version.h and dkms.conf
version:
	bash tools/version-files.sh

# ---- benchmarks: one table, side by side on the same two cores --------------
bench: all
	bash bench/run.sh $(BUILD)

# ---- demo: kite-pingpong on kite-emu (README's first command) --------------
demo: all
	bash tools/demo.sh $(BUILD)

# ---- kernel module (issue: kite.ko) ----------------------------------------
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) $(wildcard /usr/src/linux-headers-*-amd64))
modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "make modules: no kernel build tree" \
		"(install linux-headers-$$(uname -r), or set KDIR=/path/to/build)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# DKMS: sources to /usr/src/kite-VERSION, then dkms add/build/install (root)
DKMS_SRC := $(DESTDIR)/usr/src/kite-$(VERSION)
dkms-install:
	rm -rf $(DKMS_SRC) && install -d $(DKMS_SRC)
	cp -r Kbuild VERSION dkms.conf kmod uio hw include $(DKMS_SRC)/
	dkms add -m kite -v $(VERSION) && dkms build -m kite -v $(VERSION) && \
		dkms install -m kite -v $(VERSION)

dkms-uninstall:
	dkms remove -m kite -v $(VERSION) --all; rm -rf $(DKMS_SRC)

# man pages from each tool's --help and --version (help2man)
MAN_TOOLS := kite-emu kite-pingpong kite-regs kite-stat kite-capture kite-bind kite-responder \
             kite-clock-sync kite-sockperf kite-md-pub kite-md-sub kite-fwd
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESC_kite-emu       := software model of the kite NIC
DESC_kite-pingpong  := round-trip latency through a kite card
DESC_kite-regs      := read, write and watch the kite NIC's registers by name
DESC_kite-stat      := kite NIC port and queue counters and rates
DESC_kite-capture   := capture kite NIC traffic to pcap with card timestamps
DESC_kite-bind      := bind a kite card to kite, vfio-pci or uio_kite
DESC_kite-responder := ARP, ping and UDP echo on a kite card
DESC_kite-md-pub    := publish sequenced market data to a multicast group on a kite card
DESC_kite-md-sub    := receive market data from multicast groups on a kite card, checking sequences
DESC_kite-sockperf  := a sockperf server (UDP ping-pong) on a kite card
DESC_kite-fwd       := forward frames back out of a kite card port, in place (zero copy)
DESC_kite-clock-sync := keep a kite card clock on UTC and publish its state
man: $(MAN_TOOLS:%=$(BUILD)/man/%.1)

$(BUILD)/man/%.1: $(BUILD)/%
	@mkdir -p $(@D)
	help2man -N --no-discard-stderr -n "$(DESC_$*)" -o $@ $(abspath $<)

# what install copies; it builds only these (not the tests)
HEADERS := $(filter-out include/kite/board.h,$(wildcard include/kite/*.h)) include/kite/regs.def

installable: $(LIBA) $(LIBSO) $(BUILD)/kite.pc $(BUILD)/libkite-net.a $(BUILD)/kite-net.pc $(MAN_TOOLS:%=$(BUILD)/%) man

install: installable
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/kite $(DESTDIR)$(BINDIR)
	install -m 644 $(LIBA) $(BUILD)/libkite-net.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIBSO) $(DESTDIR)$(LIBDIR)/
	ln -sf libkite.so.$(SOVER) $(DESTDIR)$(LIBDIR)/libkite.so
	install -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/kite/
	install -m 644 $(BUILD)/kite.pc $(BUILD)/kite-net.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(MAN_TOOLS:%=$(BUILD)/%) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(UDEVDIR)
	install -m 644 udev/60-kite.rules $(DESTDIR)$(UDEVDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 $(MAN_TOOLS:%=$(BUILD)/man/%.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 tools/completion/kite.bash $(DESTDIR)$(BASHCOMPDIR)/kite-regs
	for t in $(filter-out kite-regs,$(MAN_TOOLS)); do ln -sf kite-regs $(DESTDIR)$(BASHCOMPDIR)/$$t; done

# exactly what install put there (same variables as the install)
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libkite.a $(DESTDIR)$(LIBDIR)/libkite.so \
	      $(DESTDIR)$(LIBDIR)/libkite.so.$(SOVER) $(DESTDIR)$(LIBDIR)/pkgconfig/kite.pc \
	      $(DESTDIR)$(LIBDIR)/libkite-net.a $(DESTDIR)$(LIBDIR)/pkgconfig/kite-net.pc \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/kite/,$(notdir $(HEADERS))) \
	      $(MAN_TOOLS:%=$(DESTDIR)$(BINDIR)/%) $(MAN_TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1) \
	      $(MAN_TOOLS:%=$(DESTDIR)$(BASHCOMPDIR)/%) $(DESTDIR)$(UDEVDIR)/60-kite.rules
	-rmdir $(DESTDIR)$(INCLUDEDIR)/kite 2>/dev/null

clean:
	@case "$(BUILD)" in ""|.|./|/|..|../) echo "make clean: refusing BUILD=$(BUILD)" >&2; exit 1;; esac
	rm -rf $(sort $(BUILD) build build-san build-kernel build-pkg $(FUZZ_OUT))

.PHONY: FORCE all bench guest version installable uninstall dkms-install dkms-uninstall test check kernel-check docs docs-check demo modules install clean fuzz fuzz-long fuzz-seeds soak man

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# kite.ko: W=1, sparse, checkpatch, KUnit (UML), QEMU guest; part of `make check`
kernel-check:
	bash tests/kernel.sh build-kernel
