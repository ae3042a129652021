# kite: top-level build. `make` builds userspace; `make check` runs every test
# (normal and ASan+UBSan builds); `make demo` runs kite-pingpong on kite-emu.
# The kernel module (kmod/) builds with `make modules` (see Kbuild).

BUILD   ?= build
VERSION := 0.1.0
SAN     ?=
PREFIX  ?= /usr/local
UDEVDIR ?= /etc/udev/rules.d
CC      ?= cc

ifeq ($(origin CC),default)
CC := gcc
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALLCFLAGS := -std=c11 -D_GNU_SOURCE -fno-strict-aliasing -pthread $(WARN) -Iinclude -Ihw -MMD -MP \
	     -DKITE_VERSION_STRING='"$(VERSION)"' $(CFLAGS)
LDLIBS  := -pthread -lm
SANFLAGS := -fsanitize=address,undefined
ifneq ($(SAN),)
ALLCFLAGS += -O1 $(SANFLAGS) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += $(SANFLAGS)
endif

LIB_SRCS := $(wildcard userlib/*.c) hw/kite_hw.c
EMU_SRCS := $(filter-out emu/kite-emu.c,$(wildcard emu/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
EMU_OBJS := $(EMU_SRCS:%.c=$(BUILD)/%.o)
TOOLS    := kite-pingpong regdoc kite-regs kite-stat kite-capture kite-responder kite-bind
BENCH    := udp-pingpong kite-throughput kite-ipp
TESTS    := test_regtab test_emu test_lib e2e_client hostile_client

SOVER    := 0
LIBA     := $(BUILD)/libkite.a
LIBSO    := $(BUILD)/libkite.so.$(SOVER)

all: $(LIBA) $(LIBSO) $(BUILD)/kite.pc $(BUILD)/kite-emu $(TOOLS:%=$(BUILD)/%) \
     $(TESTS:%=$(BUILD)/%) $(BENCH:%=$(BUILD)/%)

$(BUILD)/userlib/%.o: userlib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -fPIC -fvisibility=hidden -DKITE_BUILDING_LIB -Iuserlib -c $< -o $@

# the control sequences kite.ko and uio_kite.ko share, inside libkite (not exported)
$(BUILD)/hw/%.o: hw/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -fPIC -fvisibility=hidden -Iuserlib -c $< -o $@

$(BUILD)/emu/%.o: emu/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Iemu -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Iemu -Iuserlib -c $< -o $@

$(LIBA): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(LIBSO): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libkite.so.$(SOVER) -Wl,-z,defs $(LDFLAGS) $^ -o $@ $(LDLIBS)
	ln -sf libkite.so.$(SOVER) $(BUILD)/libkite.so

$(BUILD)/libkite-emu.a: $(EMU_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/kite.pc: userlib/kite.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/kite-emu: $(BUILD)/emu/kite-emu.o $(BUILD)/tools/args.o $(BUILD)/libkite-emu.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/kite-pingpong: $(BUILD)/tools/kite-pingpong.o $(BUILD)/tools/tsc.o \
		       $(BUILD)/tools/port_default.o $(BUILD)/tools/args.o $(LIBA)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/udp-pingpong: $(BUILD)/bench/udp-pingpong.o $(BUILD)/tools/tsc.o
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/kite-throughput: $(BUILD)/bench/kite-throughput.o $(LIBA)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/kite-ipp: $(BUILD)/bench/kite-ipp.o $(LIBA) $(BUILD)/libkite-emu.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/kite-regs: $(BUILD)/tools/kite-regs.o $(BUILD)/tools/regs_access.o \
		   $(BUILD)/tools/pci_list.o $(BUILD)/tools/args.o $(LIBA)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lpci -ljson-c

$(BUILD)/kite-bind: $(BUILD)/tools/kite-bind.o $(BUILD)/tools/pci_list.o $(BUILD)/tools/args.o
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lpci

$(BUILD)/kite-stat: $(BUILD)/tools/kite-stat.o $(BUILD)/tools/args.o $(LIBA)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -ljson-c

$(BUILD)/kite-capture: $(BUILD)/tools/kite-capture.o $(BUILD)/tools/port_default.o \
		      $(BUILD)/tools/args.o $(LIBA)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lpcap

$(BUILD)/kite-responder: $(BUILD)/examples/kite-responder.o $(BUILD)/tools/args.o $(LIBA)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/regdoc: $(BUILD)/tools/regdoc.o
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/test_regtab: $(BUILD)/tests/test_regtab.o
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

$(BUILD)/test_emu: $(BUILD)/tests/test_emu.o $(BUILD)/libkite-emu.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

$(BUILD)/test_lib: $(BUILD)/tests/test_lib.o $(BUILD)/tests/harness.o $(LIBA) $(BUILD)/libkite-emu.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

$(BUILD)/e2e_client: $(BUILD)/tests/e2e_client.o $(BUILD)/tests/harness.o $(LIBA)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/hostile_client: $(BUILD)/tests/hostile_client.o $(LIBA)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Static programs for the QEMU guest's initramfs (tests/qemu.sh)
GUEST_BINS := kite-pingpong e2e_client kmod_client kmod_attack kmod_stress
guest: $(GUEST_BINS:%=$(BUILD)/guest/%)

$(BUILD)/guest/kite-pingpong: $(BUILD)/tools/kite-pingpong.o $(BUILD)/tools/tsc.o \
			     $(BUILD)/tools/port_default.o $(BUILD)/tools/args.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) -static $^ -o $@ $(LDLIBS)

$(BUILD)/guest/e2e_client: $(BUILD)/tests/e2e_client.o $(BUILD)/tests/harness.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) -static $^ -o $@ $(LDLIBS)

$(BUILD)/guest/kmod_%: $(BUILD)/tests/kmod_%.o $(BUILD)/tests/kmod_util.o
	@mkdir -p $(@D)
	$(CC) -static $^ -o $@ $(LDLIBS)

# ---- tests ---------------------------------------------------------------
test: all
	BUILD=$(BUILD) APP_CFLAGS="$(if $(SAN),$(SANFLAGS))" bash tests/run.sh

check: docs-check
	HUGEPAGES=256 $(MAKE) BUILD=build test	# also builds what the QEMU guest runs
	$(MAKE) BUILD=build-san SAN=1 test
	bash tests/fuzz.sh build-fuzz
	bash tests/kernel.sh build-kernel
	bash tests/summary.sh build build-san build-fuzz build-kernel

# libFuzzer targets (clang, ASan+UBSan): `make fuzz` builds, `make fuzz-long` runs
# them for 10 minutes each; make check runs them for 30 s (tests/fuzz.sh)
FUZZ_OUT ?= build-fuzz
FUZZ_CC  ?= clang
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Iinclude -Iemu \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz: $(FUZZ_OUT)/fuzz_model $(FUZZ_OUT)/fuzz_api

$(FUZZ_OUT)/fuzz_model: fuzz/fuzz_model.c $(EMU_SRCS) $(wildcard emu/*.h include/kite/*.h include/kite/*.def)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) fuzz/fuzz_model.c $(EMU_SRCS) -o $@ -pthread -lm

$(FUZZ_OUT)/fuzz_api: fuzz/fuzz_api.c $(EMU_SRCS) $(LIB_SRCS) $(wildcard emu/*.h userlib/*.h include/kite/*.h include/kite/*.def)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iuserlib -Ihw fuzz/fuzz_api.c $(EMU_SRCS) $(LIB_SRCS) -o $@ -pthread -lm

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

# ---- benchmarks: one table, side by side on the same two cores --------------
bench: all
	bash bench/run.sh $(BUILD)

# ---- demo: kite-pingpong on kite-emu (README's first command) --------------
demo: all
	bash tools/demo.sh $(BUILD)

# ---- kernel module (issue: kite.ko) ----------------------------------------
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) $(wildcard /usr/src/linux-headers-*-amd64))
modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# DKMS: sources to /usr/src/kite-VERSION, then dkms add/build/install (root)
DKMS_SRC := $(DESTDIR)/usr/src/kite-$(VERSION)
dkms-install:
	rm -rf $(DKMS_SRC) && install -d $(DKMS_SRC)
	cp -r Kbuild dkms.conf kmod uio hw include $(DKMS_SRC)/
	dkms add -m kite -v $(VERSION) && dkms build -m kite -v $(VERSION) && \
		dkms install -m kite -v $(VERSION)

dkms-uninstall:
	dkms remove -m kite -v $(VERSION) --all; rm -rf $(DKMS_SRC)

# man pages from each tool's --help and --version (help2man)
MAN_TOOLS := kite-emu kite-pingpong kite-regs kite-stat kite-capture kite-bind kite-responder
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESC_kite-emu       := software model of the kite NIC
DESC_kite-pingpong  := round-trip latency through a kite card
DESC_kite-regs      := read, write and watch the kite NIC's registers by name
DESC_kite-stat      := kite NIC port and queue counters and rates
DESC_kite-capture   := capture kite NIC traffic to pcap with card timestamps
DESC_kite-bind      := bind a kite card to kite, vfio-pci or uio_kite
DESC_kite-responder := ARP, ping and UDP echo on a kite card
man: $(MAN_TOOLS:%=$(BUILD)/man/%.1)

$(BUILD)/man/%.1: $(BUILD)/%
	@mkdir -p $(@D)
	help2man -N --no-discard-stderr -n "$(DESC_$*)" -o $@ ./$<

install: all man
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/kite $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libkite.so.$(SOVER) $(DESTDIR)$(PREFIX)/lib/libkite.so
	install -m 644 include/kite/*.h include/kite/regs.def $(DESTDIR)$(PREFIX)/include/kite/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' userlib/kite.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/kite.pc
	install -m 755 $(BUILD)/kite-emu $(BUILD)/kite-pingpong $(BUILD)/kite-regs \
		$(BUILD)/kite-stat $(BUILD)/kite-capture $(BUILD)/kite-responder $(BUILD)/kite-bind \
		$(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(UDEVDIR)
	install -m 644 udev/60-kite.rules $(DESTDIR)$(UDEVDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 $(MAN_TOOLS:%=$(BUILD)/man/%.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 tools/completion/kite.bash $(DESTDIR)$(BASHCOMPDIR)/kite-regs
	for t in $(filter-out kite-regs,$(MAN_TOOLS)); do ln -sf kite-regs $(DESTDIR)$(BASHCOMPDIR)/$$t; done

clean:
	rm -rf build build-san build-kernel build-fuzz

.PHONY: all bench guest dkms-install dkms-uninstall test check kernel-check docs docs-check demo modules install clean fuzz fuzz-long fuzz-seeds soak man

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# kite.ko: W=1, sparse, checkpatch, KUnit (UML), QEMU guest; part of `make check`
kernel-check:
	bash tests/kernel.sh build-kernel
