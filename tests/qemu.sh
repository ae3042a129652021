#!/usr/bin/env bash
# kite's kernel side in a real kernel: Debian's linux-image-amd64 booted in
# QEMU (TCG) with a busybox initramfs holding the modules and test programs.
# The NIC model runs on the host and is the guest's PCI device: an
# ivshmem-plain device shares the model's BAR file, and guest RAM is a shared
# file the model DMAs into (IOVA = guest physical address).
#   1. pc machine, no IOMMU (tests/guest-init.sh): kite.ko, then uio_kite;
#   2. q35 with a virtual Intel IOMMU (tests/guest-vfio.sh): vfio-pci.
# With KITE_GUEST_KERNEL=DIR, the debug kernel tests/debug-kernel.sh built in
# DIR (KASAN, lockdep, ...) instead, and two more boots that need it:
#   3. pc, VFIO's unsafe no-IOMMU mode (tests/guest-noiommu.sh);
#   4. the self-test of the bug detectors (tests/guest-inject.sh, kite_inject.ko
#      next to KITE_KO).
# Fails on any failed step and on any WARN, BUG, oops or KASAN line.
# usage: [KITE_GUEST_KERNEL=DIR] tests/qemu.sh KITE_KO USERSPACE_BUILD_DIR
set -u
ko=$1
B=${2:-build}
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/kite-qemu.XXXXXX)
emu=
total_pass=0 total_fail=0 inject_boot=
cleanup() {
	[ -n "$emu" ] && kill -TERM "$emu" 2>/dev/null && wait "$emu" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
die() { echo "qemu: $*"; echo "qemu: $total_pass passed, $((total_fail + 1)) failed"; exit 1; }

debug=${KITE_GUEST_KERNEL:-}
cpu=max debug_append=
if [ -n "$debug" ]; then
	# KASAN under TCG with 5-level paging reported a wild access in an early
	# IRQ, before /init; and every report counts, not only the first
	cpu=max,la57=off debug_append=kasan_multi_shot
	kernel=$debug/arch/x86/boot/bzImage
	[ -f "$kernel" ] || die "no debug kernel in $debug (tests/debug-kernel.sh builds it)"
	kver=$(cat "$debug/include/config/kernel.release")
	moddir=$debug/modroot/lib/modules/$kver
else
	kernel=$(ls /boot/vmlinuz-*[0-9]-amd64 2>/dev/null | sort -V | tail -1)
	[ -n "$kernel" ] || die "no /boot/vmlinuz-*-amd64 (install linux-image-amd64)"
	kver=${kernel#/boot/vmlinuz-}
	moddir=/lib/modules/$kver
fi
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
[ "$vermagic" = "$kver" ] || die "kite.ko is built for '$vermagic', the guest kernel is $kver"
busybox=$(command -v busybox || echo /bin/busybox)
file "$busybox" | grep -q "statically linked" || die "need a static busybox (busybox-static)"
make -s BUILD="$B" guest >/dev/null || die "cannot build the guest programs"

# initramfs INIT MODULE... : pack the test programs, the given kernel modules
# (paths under $moddir, or our .ko files) and INIT as /init
initramfs() {
	local init=$1 root=$dir/root bin lib m
	shift
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp} "$root/lib/modules/$kver/extra"
	cp "$busybox" "$root/bin/busybox"
	cp "$ko" "$root/kite.ko"
	cp "$B"/guest/* "$root/"
	# kite-regs, kite-stat, kite-bind (libpci, json-c) and udevadm are dynamic
	for bin in "$B/kite-regs" "$B/kite-stat" "$B/kite-bind" "$B/kite-clock-sync" /usr/bin/udevadm \
		/usr/sbin/phc_ctl /usr/sbin/phc2sys; do
		cp "$bin" "$root/"
		for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
	# the udev rules, and (for the test only) the same VFIO rule for the ivshmem
	# board's vendor; a group kite for GROUP= to resolve
	mkdir -p "$root/etc/udev/rules.d"
	cp udev/60-kite.rules "$root/etc/udev/rules.d/"
	sed -n 's/0x1de5/0x1af4/p' udev/60-kite.rules >"$root/etc/udev/rules.d/61-kite-test-board.rules"
	printf 'root:x:0:\nkite:x:1000:\n' >"$root/etc/group"
	printf 'root:x:0:0::/:/bin/sh\nkuser:x:1000:1000::/:/bin/sh\n' >"$root/etc/passwd"
	for m in "$@"; do
		if [ -f "$m" ]; then
			cp "$m" "$root/lib/modules/$kver/extra/"
		elif grep -qx "$m" "$moddir/modules.builtin" 2>/dev/null; then
			continue	# built into this kernel (the debug one)
		else
			mkdir -p "$root/lib/modules/$kver/$(dirname "$m")"
			cp "$moddir/$m" "$root/lib/modules/$kver/$m"
		fi
	done
	cp "$init" "$root/init"
	cp tests/guest-lib.sh tests/guest-ptp.sh "$root/"
	[ -f "$(dirname "$ko")/kite_inject.ko" ] && cp "$(dirname "$ko")/kite_inject.ko" "$root/"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initrd.gz" ||
		die "cannot pack the initramfs"
}

# boot NAME MACHINE APPEND: the model on the host, the guest in QEMU
boot() {
	local name=$1 machine=$2 append=$3 line bad= p f start rc trouble boot_trouble
	shift 3
	rm -f "$dir/bars" "$dir/emu.sock"
	truncate -s 0 "$dir/ram" && truncate -s 512M "$dir/ram"
	# --fault-hooks: the guests' tests can make the card refuse to stop (hw-spec §8);
	# --clock-ppm: an oscillator the PHC's servo must correct (tests/guest-ptp.sh)
	taskset -c 1 "$B/kite-emu" -s "$dir/emu.sock" --bar-file "$dir/bars" \
		--guest-ram "$dir/ram" --fault-hooks --clock-ppm 25 >"$dir/emu.log" 2>&1 &
	emu=$!
	for _ in $(seq 50); do [ -S "$dir/emu.sock" ] && break; sleep 0.1; done
	[ -S "$dir/emu.sock" ] || die "kite-emu did not start: $(cat "$dir/emu.log")"
	start=$SECONDS
	rm -f "$dir/qmp.sock" "$dir/serial.log"
	# the guest may ask for the card to be hot-unplugged (tests/qmp-unplug.py)
	python3 tests/qmp-unplug.py "$dir/qmp.sock" "$dir/serial.log" kite >"$dir/qmp.log" 2>&1 &
	qmp=$!
	timeout $((600 + ${KITE_STRESS_SECONDS:-0})) taskset -c 0 qemu-system-x86_64 -machine "$machine" -cpu "$cpu" -smp 1 \
		-m 512M -nographic -no-reboot -display none "$@" \
		-object memory-backend-file,id=ram,size=512M,mem-path="$dir/ram",share=on \
		-object memory-backend-file,id=bars,size=128K,mem-path="$dir/bars",share=on \
		-device ivshmem-plain,memdev=bars,id=kite \
		-qmp unix:"$dir/qmp.sock",server=on,wait=off \
		-kernel "$kernel" -initrd "$dir/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet $debug_append $append" </dev/null >"$dir/serial.log" 2>&1
	rc=$?
	kill "$qmp" 2>/dev/null
	wait "$qmp" 2>/dev/null
	kill -TERM "$emu" 2>/dev/null
	wait "$emu" 2>/dev/null
	emu=
	echo "qemu: $name guest ran $((SECONDS - start)) s (exit $rc)"
	grep -E '^(ok|FAIL) - |^    ' "$dir/serial.log"
	line=$(grep -Eo 'KITE-GUEST: [0-9]+ passed, [0-9]+ failed' "$dir/serial.log" | tail -1)
	# the bug-injecting guest checks its own log, section by section. Trouble
	# in the kernel's own boot, before /init, is not kite's: said, not failed
	# (the debug kernel under q35 + TCG sometimes reports an early IRQ there)
	trouble='WARNING:|BUG:|Oops|KASAN|general protection|Call Trace|Kernel panic|blocked for more than'
	boot_trouble=$(sed '/KITE-GUEST: init started/,$d' "$dir/serial.log" | grep -E "$trouble" | head -3)
	[ -n "$boot_trouble" ] && echo "qemu: note: the $name kernel's own boot, before /init, reported: $boot_trouble"
	[ "$name" = "$inject_boot" ] || bad=$(sed -n '/KITE-GUEST: init started/,$p' "$dir/serial.log" |
		grep -E "$trouble")
	p=$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
	if [ -z "$line" ] || [ -n "$bad" ]; then
		f=$((${f:-0} + 1))
	fi
	total_pass=$((total_pass + ${p:-0})) total_fail=$((total_fail + ${f:-1}))
	if [ "${f:-1}" != 0 ]; then
		echo "qemu: the $name guest failed; its console:"
		sed 's/^/    guest: /' "$dir/serial.log" | grep -v "^    guest: $"
		echo "qemu: kite-emu log:"
		cat "$dir/emu.log"
		[ -n "$bad" ] && echo "qemu: kernel log has: $bad"
	fi
}

# e1000: the pc machine's NIC, a device kite-bind must refuse to touch
initramfs tests/guest-init.sh kernel/drivers/uio/uio.ko "$(dirname "$ko")/uio_kite.ko" \
	kernel/drivers/net/ethernet/intel/e1000/e1000.ko
# unknown kernel parameters reach /init as environment variables
boot "pc (no IOMMU)" pc,memory-backend=ram "hugepages=32 \
KITE_STRESS_SEED=${KITE_STRESS_SEED:-1} KITE_STRESS_SECONDS=${KITE_STRESS_SECONDS:-15}"

initramfs tests/guest-vfio.sh kernel/virt/lib/irqbypass.ko kernel/drivers/vfio/vfio.ko \
	kernel/drivers/vfio/vfio_virqfd.ko kernel/drivers/vfio/vfio_iommu_type1.ko \
	kernel/drivers/vfio/pci/vfio-pci-core.ko kernel/drivers/vfio/pci/vfio-pci.ko
boot "q35 + intel-iommu, 48-bit" q35,memory-backend=ram "hugepages=32 intel_iommu=on KITE_AW=48" \
	-device intel-iommu,intremap=on,aw-bits=48
# QEMU's default width (39 bits, as many real machines): IOVA = VA does not fit
boot "q35 + intel-iommu, 39-bit" q35,memory-backend=ram "hugepages=32 intel_iommu=on KITE_AW=39" \
	-device intel-iommu,intremap=on

if [ -n "$debug" ]; then
	initramfs tests/guest-noiommu.sh kernel/virt/lib/irqbypass.ko kernel/drivers/vfio/vfio.ko \
		kernel/drivers/vfio/vfio_virqfd.ko kernel/drivers/vfio/vfio_iommu_type1.ko \
		kernel/drivers/vfio/pci/vfio-pci-core.ko kernel/drivers/vfio/pci/vfio-pci.ko
	boot "pc, VFIO no-IOMMU (debug kernel)" pc,memory-backend=ram "hugepages=32"
	[ -f "$(dirname "$ko")/kite_inject.ko" ] || die "no kite_inject.ko next to $ko"
	inject_boot="pc, injected bugs (debug kernel)"
	initramfs tests/guest-inject.sh
	boot "$inject_boot" pc,memory-backend=ram ""
fi

echo "qemu: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
