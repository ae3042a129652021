#!/bin/busybox sh
# /init of the q35 guest with a virtual Intel IOMMU (tests/qemu.sh): the card
# bound to vfio-pci with kite-bind, opened by libkite's vfio backend.
. /guest-lib.sh

addr=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1110 ] && basename $d; done)
t "the IOMMU put the card ($addr) in a group" test -e /sys/bus/pci/devices/$addr/iommu_group
t "modprobe vfio-pci and vfio_iommu_type1" sh -c "modprobe vfio-pci && modprobe vfio_iommu_type1"
t "kite-bind $addr vfio-pci --board shmem" /kite-bind $addr vfio-pci --board shmem
group=$(basename "$(readlink /sys/bus/pci/devices/$addr/iommu_group)")
t "/dev/vfio/$group exists" test -c /dev/vfio/$group
t "udev rule: the card's VFIO group to group kite, 0660 (udevadm test)" sh -c \
	"/udevadm test --action=add /sys/class/vfio/$group 2>&1 | tee /tmp/u |
	 grep -q 'gid=1000, mode=0660' || { cat /tmp/u; false; }"
t "kite-regs through VFIO: BAR mapped, identity read" sh -c \
	"/kite-regs -d $addr dump | grep -q 'ID_MAGIC  *0x4b495445'"
t "kite-regs set through VFIO" sh -c \
	"/kite-regs -d $addr set SCRATCH=0x99 -y && /kite-regs -d $addr get SCRATCH | grep -q 0x00000099"
# IOVAs (issue: IOVA = VA breaks on common IOMMUs). KITE_AW is the virtual
# IOMMU's address width qemu.sh gave this boot: 48 holds a user VA, 39 (QEMU's
# default, and many real machines) does not, so libkite allocates IOVAs.
if [ "$KITE_AW" = 48 ]; then
	t "a 48-bit IOMMU: MAP_DMA at IOVA = VA (auto)" sh -c \
		"/e2e_client open $addr > /tmp/o && grep -q 'open: vfio backend' /tmp/o &&
		 grep -q '^closed' /tmp/o && cat /tmp/o &&
		 sed -n 's/.*IOVA \\(0x[0-9a-f]*\\), VA \\(0x[0-9a-f]*\\)/\\1 \\2/p' /tmp/o | awk '{ exit \$1 != \$2 }'"
else
	t "a $KITE_AW-bit IOMMU: IOVA = VA cannot fit, KITE_IOVA_MODE=va says so with the ranges" sh -c \
		"! KITE_IOVA_MODE=va /e2e_client open $addr 2>/tmp/e &&
		 grep -q 'outside the IOMMU.s usable IOVA ranges (0x' /tmp/e || { cat /tmp/e; false; }"
	t "a $KITE_AW-bit IOMMU: libkite allocates IOVAs inside the ranges (auto)" sh -c \
		"/e2e_client open $addr > /tmp/o && grep -q '^closed' /tmp/o && cat /tmp/o &&
		 sed -n 's/.*IOVA \\(0x[0-9a-f]*\\), VA \\(0x[0-9a-f]*\\)/\\1 \\2/p' /tmp/o |
		 awk '{ exit !(\$1 != \$2 && length(\$1) <= 12) }'"
fi
t "KITE_IOVA_MODE=nonsense is refused by name" sh -c \
	"! KITE_IOVA_MODE=nonsense /e2e_client open $addr 2>/tmp/e && grep -q 'auto, va, alloc or pa' /tmp/e"
# Traffic: the model DMAs into guest-physical memory and never sees the guest's
# IOMMU, so IOVA = PA (what a device behind an identity map sees) carries frames
export KITE_IOVA_MODE=pa
t "IOVA = PA: 3000 frames byte-exact through vfio-pci" /e2e_client traffic $addr 1 3000 32
t "IOVA = PA: kite-pingpong through vfio-pci" /kite-pingpong -d $addr -n 2000 -W 100
t "card time as UTC through vfio-pci: the servo in the application's process locks, a frame converts" \
	env KITE_CLOCK_STATE=/tmp/vfio-clock /clock_client $addr SERVO
kill_hog "kill -9 under traffic: the container closed, its hugepages free again" $addr 3
t "... and the card reusable at once: the next open resets it, 1000 frames byte-exact" \
	/e2e_client traffic $addr 2 1000 32
unset KITE_IOVA_MODE
t "IOVA = PA needs root (physical addresses): said" sh -c \
	"chown 1000 /dev/vfio/$group && ! KITE_IOVA_MODE=pa /e2e_client open $addr 1000 2>/tmp/e;
	 chown 0 /dev/vfio/$group; grep -q 'shows them to root only' /tmp/e || { cat /tmp/e; false; }"
cat /tmp/out | sed 's/^/    /'
chown 1000 /dev/vfio/$group	# a user without CAP_IPC_LOCK meets the memlock limit
t "memlock limit too low: said, with the limit" sh -c \
	"ulimit -l 64 && ! /e2e_client open $addr 1000 2>/tmp/e &&
	 grep -q 'memlock limit is 64 KiB' /tmp/e || { cat /tmp/e; false; }"
chown 0 /dev/vfio/$group
chmod 600 /dev/vfio/$group
t "no permission on /dev/vfio/$group: said" sh -c \
	"! /e2e_client open $addr 1000 2>/tmp/e && grep -q 'permission denied' /tmp/e ||
	 { cat /tmp/e; false; }"
t "after the app closed: kite-bind --unbind" /kite-bind --unbind $addr --board shmem

# kite.ko behind a translating IOMMU, then under passthrough (an identity domain,
# what iommu=pt gives): passthrough protects nothing, so it counts as no IOMMU
echo > /sys/bus/pci/devices/$addr/driver_override
t "insmod kite.ko without allow_unsafe_noiommu; the card binds" sh -c \
	'insmod /kite.ko && echo "1af4 1110 ffffffff ffffffff 0 0 1" > /sys/bus/pci/drivers/kite/new_id &&
	 [ -c /dev/kite0 ]'
t "a translating IOMMU: DMA_MAP allowed, kernel untainted" /kmod_attack iommu /dev/kite0 translating
t "unbind, switch the IOMMU group to passthrough (identity), rebind" sh -c \
	"echo $addr > /sys/bus/pci/drivers/kite/unbind &&
	 echo identity > /sys/kernel/iommu_groups/$group/type &&
	 grep -q identity /sys/kernel/iommu_groups/$group/type &&
	 echo $addr > /sys/bus/pci/drivers/kite/bind && [ -c /dev/kite0 ]"
t "passthrough: DMA_MAP refused, INFO says no IOMMU" /kmod_attack iommu /dev/kite0 passthrough
t "the log names passthrough as the reason" sh -c "dmesg | grep -q 'no translating IOMMU (none, or passthrough)'"
# lockdown is one way: last
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
t "kernel lockdown (integrity): root gets no writable BAR0, not even through an older file" \
	/kmod_attack lockdown /dev/kite0
t "rmmod kite" rmmod kite
finish "vfio|dmar|iommu|kite"
