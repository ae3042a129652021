#!/usr/bin/env bash
# kite.ko in a real kernel: boots Debian's linux-image-amd64 in QEMU (TCG) with
# a busybox initramfs holding kite.ko and the test programs. The NIC model runs
# on the host and is the guest's PCI device: an ivshmem-plain device shares the
# model's BAR file, and guest RAM is a shared file the model DMAs into
# (IOVA = guest physical address, the guest has no IOMMU). The guest runs
# tests/guest-init.sh; this script fails on any failed step and on any WARN,
# BUG, oops or KASAN line in the guest's log.
# usage: tests/qemu.sh KITE_KO USERSPACE_BUILD_DIR
set -u
ko=$1
B=${2:-build}
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/kite-qemu.XXXXXX)
emu=
cleanup() {
	[ -n "$emu" ] && kill -TERM "$emu" 2>/dev/null && wait "$emu" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
die() { echo "qemu: $*"; echo "qemu: 0 passed, 1 failed"; exit 1; }

kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1)
[ -n "$kernel" ] || die "no /boot/vmlinuz-*-amd64 (install linux-image-amd64)"
kver=${kernel#/boot/vmlinuz-}
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
[ "$vermagic" = "$kver" ] || die "kite.ko is built for '$vermagic', the guest kernel is $kver"
busybox=$(command -v busybox || echo /bin/busybox)
file "$busybox" | grep -q "statically linked" || die "need a static busybox (busybox-static)"
make -s BUILD="$B" guest >/dev/null || die "cannot build the guest programs"

root=$dir/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp "$busybox" "$root/bin/busybox"
cp "$ko" "$root/kite.ko"
# uio_kite.ko and the kernel's uio.ko, where modprobe finds them (dependency test)
mods=$root/lib/modules/$kver
mkdir -p "$mods/kernel/drivers/uio" "$mods/extra"
cp "/lib/modules/$kver/kernel/drivers/uio/uio.ko" "$mods/kernel/drivers/uio/"
cp "$(dirname "$ko")/uio_kite.ko" "$mods/extra/"
cp "$B"/guest/* "$root/"
# kite-regs and kite-stat link libpci/json-c dynamically: bring their libraries
for bin in kite-regs kite-stat kite-bind; do
	cp "$B/$bin" "$root/"
	for lib in $(ldd "$B/$bin" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
cp tests/guest-init.sh "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initrd.gz" ||
	die "cannot pack the initramfs"

truncate -s 512M "$dir/ram"
taskset -c 1 "$B/kite-emu" -s "$dir/emu.sock" --bar-file "$dir/bars" \
	--guest-ram "$dir/ram" >"$dir/emu.log" 2>&1 &
emu=$!
for _ in $(seq 50); do [ -S "$dir/emu.sock" ] && break; sleep 0.1; done
[ -S "$dir/emu.sock" ] || die "kite-emu did not start: $(cat "$dir/emu.log")"

start=$SECONDS
timeout 600 taskset -c 0 qemu-system-x86_64 -machine pc,memory-backend=ram -cpu max -smp 1 \
	-m 512M -nographic -no-reboot -display none \
	-object memory-backend-file,id=ram,size=512M,mem-path="$dir/ram",share=on \
	-object memory-backend-file,id=bars,size=128K,mem-path="$dir/bars",share=on \
	-device ivshmem-plain,memdev=bars \
	-kernel "$kernel" -initrd "$dir/initrd.gz" \
	-append "console=ttyS0 panic=-1 hugepages=32 quiet" </dev/null >"$dir/serial.log" 2>&1
rc=$?
echo "qemu: guest ran $((SECONDS - start)) s (exit $rc)"
sed 's/^/    guest: /' "$dir/serial.log" | grep -v "^    guest: $" | tail -n +1 >"$dir/shown"
line=$(grep -Eo 'KITE-GUEST: [0-9]+ passed, [0-9]+ failed' "$dir/serial.log" | tail -1)
bad=$(grep -E 'WARNING:|BUG:|Oops|KASAN|general protection|Call Trace|Kernel panic' "$dir/serial.log")
grep -E '^(ok|FAIL) - |^    ' "$dir/serial.log"
if [ -z "$line" ] || [ -n "$bad" ] || echo "$line" | grep -qv ' 0 failed'; then
	echo "qemu: the guest failed; its console:"
	cat "$dir/shown"
	echo "qemu: kite-emu log:"
	cat "$dir/emu.log"
	[ -n "$bad" ] && echo "qemu: kernel log has: $bad"
	p=$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
	echo "qemu: ${p:-0} passed, $(echo "$line" | sed -n 's/.* \([0-9]*\) failed/\1/p' | sed 's/^0$/1/;s/^$/1/') failed"
	exit 1
fi
echo "qemu: ${line#KITE-GUEST: }"
