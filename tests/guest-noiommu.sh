#!/bin/busybox sh
# /init of the VFIO no-IOMMU guest (tests/qemu.sh, debug kernel only: Debian's
# kernel has no CONFIG_VFIO_NOIOMMU): a pc machine without an IOMMU, the card
# bound to vfio-pci in vfio's unsafe no-IOMMU mode, libkite's vfio backend
# giving the card physical addresses.
. /guest-lib.sh

addr=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1110 ] && basename $d; done)
t "no IOMMU: the card ($addr) has no IOMMU group" test ! -e /sys/bus/pci/devices/$addr/iommu_group
t "modprobe vfio-pci" modprobe vfio-pci
t "without no-IOMMU mode vfio-pci cannot take the card: kite-bind says why" sh -c \
	"! /kite-bind $addr vfio-pci --board shmem 2>/tmp/e &&
	 grep -q enable_unsafe_noiommu_mode /tmp/e || { cat /tmp/e; false; }"
t "enable_unsafe_noiommu_mode, then kite-bind $addr vfio-pci" sh -c \
	"echo Y > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode &&
	 /kite-bind $addr vfio-pci --board shmem"
group=$(basename "$(readlink /sys/bus/pci/devices/$addr/iommu_group)")
t "the group is /dev/vfio/noiommu-$group, and the kernel tainted itself saying so" sh -c \
	"test -c /dev/vfio/noiommu-$group && dmesg | grep -q 'Adding kernel taint for vfio-noiommu'"
t "kite-regs through VFIO no-IOMMU: identity read" sh -c \
	"/kite-regs -d $addr dump | grep -q 'ID_MAGIC  *0x4b495445'"
t "libkite opens it and warns that nothing checks the card's addresses" sh -c \
	"/e2e_client open $addr >/tmp/o 2>/tmp/e && grep -q '^closed' /tmp/o &&
	 grep -q 'VFIO no-IOMMU mode: nothing checks' /tmp/e || { cat /tmp/o /tmp/e; false; }"
t "3000 frames byte-exact through vfio-pci in no-IOMMU mode" /e2e_client traffic $addr 1 3000 32
t "kite-pingpong through vfio-pci in no-IOMMU mode" /kite-pingpong -d $addr -n 2000 -W 100
t "kite-bind refuses to unbind the card under an open application" sh -c \
	"/e2e_client hog $addr 3 >/tmp/h 2>&1 & h=\$!; i=0;
	 while ! grep -q ready /tmp/h && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done;
	 ! /kite-bind --unbind $addr --board shmem 2>/tmp/e; rc=\$?; kill -9 \$h; wait \$h;
	 [ \$rc = 0 ] && grep -q 'in use' /tmp/e || { cat /tmp/e; false; }"
kill_hog "kill -9 under traffic: the locked hugepages free again" $addr 3
t "... and the card reusable at once: 1000 frames byte-exact" /e2e_client traffic $addr 2 1000 32
chown 1000 /dev/vfio/noiommu-$group
t "no-IOMMU mode is root only (CAP_SYS_RAWIO), even with access to the node: said" sh -c \
	"! /e2e_client open $addr 1000 2>/tmp/e && grep -q 'CAP_SYS_RAWIO' /tmp/e ||
	 { cat /tmp/e; false; }"
chown 0 /dev/vfio/noiommu-$group
t "kite-bind --unbind" /kite-bind --unbind $addr --board shmem
finish "vfio|kite"
