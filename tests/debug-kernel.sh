#!/usr/bin/env bash
# A debug guest kernel for tests/qemu.sh (issue 15): Debian's linux-source-6.1
# with x86_64_defconfig trimmed (no DRM, sound, USB, wireless) plus KASAN,
# lockdep, atomic-sleep and object debugging, the hung-task detector,
# VFIO with no-IOMMU mode, the Intel IOMMU (with SVM, which brings the MMU
# notifiers uio_kite needs), PCI hotplug, userfaultfd and lockdown (the guests'
# attacks use both). The drivers the
# guests modprobe (uio, vfio, vfio-pci, e1000) stay modules, as in Debian's
# kernel, so the guest scripts run unchanged on both kernels.
# Built once and cached outside the repo, as the UML tree is; rebuilt only
# when this script's configuration changes. Prints the build directory.
# usage: tests/debug-kernel.sh [LINUX_SOURCE]
set -eu
src=${1:-/var/cache/kite/linux-source-6.1}
cache=${KITE_CACHE:-/var/cache/kite}
out=$cache/debug-guest
stamp=$out/.kite-config-stamp
me=$(sha256sum "$0" | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$me" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	echo "$out"
	exit 0
fi
[ -f "$src/Makefile" ] || { echo "debug-kernel: no kernel source at $src" >&2; exit 1; }
mkdir -p "$out"
rm -f "$stamp"
log=$out/build.log
start=$SECONDS
# each step's failure ends it (set -e does not hold inside a function called with ||)
build() {
	make -C "$src" O="$out" x86_64_defconfig || return 1
	cfg="$src/scripts/config --file $out/.config"
	# what the guests do not need: the bulk of defconfig's build time
	$cfg -d DRM -d SOUND -d USB_SUPPORT -d WLAN -d WIRELESS -d CFG80211 -d NETFILTER \
		-d AGP -d HID -d INPUT_JOYSTICK -d INPUT_TABLET -d INPUT_TOUCHSCREEN -d FB \
		-d DEBUG_INFO -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -d MODULE_SIG -d SECURITY_SELINUX \
		-d E1000E -d IPV6 -d NFS_FS -d ETHERNET_VENDOR_REALTEK -d MACINTOSH_DRIVERS
	# the debugging the issue asks for; KASAN inline for speed under TCG
	$cfg -e KASAN -e KASAN_GENERIC -e KASAN_INLINE -e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP \
		-e DEBUG_OBJECTS -e DEBUG_OBJECTS_FREE -e DEBUG_OBJECTS_TIMERS -e DEBUG_OBJECTS_WORK \
		-e DEBUG_LIST -e DETECT_HUNG_TASK --set-val DEFAULT_HUNG_TASK_TIMEOUT 120 \
		-e BOOTPARAM_HUNG_TASK_PANIC -e SOFTLOCKUP_DETECTOR -e HARDLOCKUP_DETECTOR
	# what kite and the guests use
	$cfg -e MODULES -e MODULE_UNLOAD -e PCI -e PCI_MSI -e HOTPLUG_PCI -e HOTPLUG_PCI_ACPI \
		-e HOTPLUG_PCI_PCIE -e IOMMU_SUPPORT -e INTEL_IOMMU -e IRQ_REMAP -e HUGETLBFS \
		-e INTEL_IOMMU_SVM -e USERFAULTFD -e SECURITY -e SECURITYFS -e SECURITY_LOCKDOWN_LSM \
		-e PTP_1588_CLOCK -e BLK_DEV_INITRD -e RD_GZIP -e DEVTMPFS -e SERIAL_8250_CONSOLE \
		-m UIO -m VFIO -m VFIO_PCI -m VFIO_IOMMU_TYPE1 -e VFIO_NOIOMMU -m E1000 \
		-e VIRTUALIZATION -e IRQ_BYPASS_MANAGER -e POSIX_TIMERS -e SYSVIPC
	$cfg --set-str LOCALVERSION -kite-debug -d LOCALVERSION_AUTO
	make -C "$src" O="$out" olddefconfig || return 1
	make -C "$src" O="$out" -j"$(nproc)" bzImage modules || return 1
	rm -rf "$out/modroot"
	make -C "$src" O="$out" INSTALL_MOD_PATH="$out/modroot" modules_install
}
build >"$log" 2>&1 || { tail -30 "$log" >&2; echo "debug-kernel: build failed, log in $log" >&2; exit 1; }
# the options must have survived olddefconfig (a missing dependency drops them)
for opt in KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_OBJECTS VFIO_NOIOMMU INTEL_IOMMU \
	HOTPLUG_PCI_ACPI DETECT_HUNG_TASK MMU_NOTIFIER USERFAULTFD SECURITYFS SECURITY_LOCKDOWN_LSM; do
	grep -q "^CONFIG_$opt=y" "$out/.config" || { echo "debug-kernel: CONFIG_$opt is not set" >&2; exit 1; }
done
for opt in UIO VFIO VFIO_PCI E1000; do
	grep -q "^CONFIG_$opt=m" "$out/.config" || { echo "debug-kernel: CONFIG_$opt is not a module" >&2; exit 1; }
done
echo "debug-kernel: built in $((SECONDS - start)) s" >&2
echo "$me" >"$stamp"
echo "$out"
