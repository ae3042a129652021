#!/bin/busybox sh
# /init of the QEMU guest (tests/qemu.sh): kite.ko against kite-emu on the host.
. /guest-lib.sh
k=/sys/class/misc/kite0

t "insmod kite.ko" insmod /kite.ko allow_unsafe_noiommu=1
t "bind the ivshmem board via new_id; /dev/kite0 appears" sh -c \
	'echo "1af4 1110 ffffffff ffffffff 0 0 1" > /sys/bus/pci/drivers/kite/new_id &&
	 [ -c /dev/kite0 ]'
t "sysfs fw_version 1.4" sh -c "[ \"\$(cat $k/fw_version)\" = 1.4 ]"
t "sysfs link: port0 up 10G" grep -q "port0 up 10G" $k/link
t "sysfs mac: port1 02:6b:69:74:65:01" grep -q "port1 02:6b:69:74:65:01" $k/mac
t "sysfs num_queues 16" sh -c "[ \"\$(cat $k/num_queues)\" = 16 ]"
t "/dev/kite0 is 0660" sh -c "ls -l /dev/kite0 | grep -q '^crw-rw----'"
t "udev rule: /dev/kite0 group kite, 0660 (udevadm test)" sh -c \
	"/udevadm test --action=add /sys/class/misc/kite0 2>&1 | tee /tmp/u |
	 grep -q 'gid=1000, mode=0660' || { cat /tmp/u; false; }"
t "every ioctl with bad arguments" /kmod_client ioctls /dev/kite0
mount -t debugfs debugfs /sys/kernel/debug
db=$(printf '0x%016x' $(( $(cut -d' ' -f1 /sys/bus/pci/devices/$(basename "$(readlink $k/device)")/resource | sed -n 3p) + 0x10000 )))
t "the doorbell window is write-combining (PAT), the registers uncached" sh -c \
	"grep -q '^PAT: \\[mem $db-.*\\] write-combining' /sys/kernel/debug/x86/pat_memtype_list ||
	 { grep -i 'write\|uncached' /sys/kernel/debug/x86/pat_memtype_list | head; false; }"
addr=$(basename "$(readlink /sys/class/misc/kite0/device)")
t "kite-regs list finds the card bound to kite ($addr)" sh -c "/kite-regs list | grep -q '^$addr .*driver kite'"
t "kite-regs dump through /dev/kite0" sh -c "/kite-regs -d /dev/kite0 dump | grep -q 'ID_MAGIC  *0x4b495445'"
t "kite-regs by PCI address, set as root (CAP_SYS_RAWIO)" sh -c \
	"/kite-regs -d $addr set SCRATCH=0x77 -y && /kite-regs -d /dev/kite0 get SCRATCH | grep -q 0x00000077"
chgrp 1000 /dev/kite0
t "mmap and ioctl rules for a group member" /kmod_client perms /dev/kite0
mkdir -p /ramfs && mount -t ramfs ramfs /ramfs && touch /ramfs/file && chmod 666 /ramfs/file
t "a group member against another: one tenant, doorbells revoked, filters die with their queue, read-only opens, memory kinds, DMA_MAP's undo" \
	/kmod_attack isolation /dev/kite0 /ramfs/file
t "a port's default queue dies with its queue (released, or its process killed)" \
	/kmod_attack default /dev/kite0
t "bar0_writable cannot be changed at run time" sh -c \
	'! echo 1 > /sys/module/kite/parameters/bar0_writable'
# longer by hand: KITE_STRESS_SECONDS=600 KITE_STRESS_SEED=7 make kernel-check
t "no hang, no leak: three deadlock sequences, then $KITE_STRESS_SECONDS s of random ioctl/mmap/mremap/fork/close from 4 threads (seed $KITE_STRESS_SEED)" \
	/kmod_stress /dev/kite0 "$KITE_STRESS_SEED" "$KITE_STRESS_SECONDS"
t "outsiders cannot open /dev/kite0" /kmod_client denied /dev/kite0
t "kite-regs as a group member: dump works, set says it needs CAP_SYS_RAWIO" sh -c \
	"su kuser -c '/kite-regs -d /dev/kite0 dump' | grep -q ID_MAGIC &&
	 ! su kuser -c '/kite-regs -d /dev/kite0 set SCRATCH=1 -y' 2>/tmp/e &&
	 grep -q 'needs CAP_SYS_RAWIO' /tmp/e || { cat /tmp/e; false; }"
t "kite-pingpong over /dev/kite0, both paths" /kite-pingpong -d /dev/kite0 -n 2000 -W 100
sed 's/^/    /' /tmp/out	# guest latencies under TCG: a function check, not a benchmark
t "3000 frames byte-exact through kite.ko" /e2e_client traffic /dev/kite0 1 3000 32
t "kite-stat through kite.ko counts them" sh -c \
	"/kite-stat -d /dev/kite0 | grep -q '^queue 1 .* rx_pkts 3008 '"
t "contract 1.3 through kite.ko: 2000 frames by descriptor and direct PIO into a stream ring, read as frames and records" \
	/e2e_client stream /dev/kite0 5 2000
. /guest-ptp.sh

base=$(cat $k/pinned_bytes)
start_hog /dev/kite0 3
t "an app under traffic pins memory and owns queue 3" sh -c \
	"[ \$(cat $k/pinned_bytes) -gt $base ] && grep -qw 3 $k/queues_owned"
t "kite-bind --status shows the card on kite" sh -c "/kite-bind | grep -q '^$addr .*driver kite'"
modprobe e1000
nic=$(for d in /sys/bus/pci/devices/*; do [ "$(readlink $d/driver)" != "${d%/*}" ] &&
	[ "$(basename "$(readlink $d/driver)")" = e1000 ] && basename $d; done)
t "kite-bind refuses the NIC ($nic, e1000), which stays bound; --unbind too" sh -c \
	"[ -n '$nic' ] && ! /kite-bind $nic uio_kite 2>/tmp/kb && grep -q 'is not a kite card' /tmp/kb &&
	 ! /kite-bind --unbind $nic 2>/tmp/kb && grep -q 'is not a kite card' /tmp/kb &&
	 [ \"\$(basename \$(readlink /sys/bus/pci/devices/$nic/driver))\" = e1000 ] || { cat /tmp/kb; false; }"
t "libkite says the NIC is not a kite card, and suggests no kite-bind" sh -c \
	"! /kite-stat -d $nic 2>/tmp/ks && grep -q 'is not a kite card' /tmp/ks &&
	 ! grep -q kite-bind /tmp/ks || { cat /tmp/ks; false; }"
t "kite-bind refuses to unbind a card in use" sh -c \
	"! /kite-bind --unbind $addr 2>/tmp/kb && grep -q 'in use: process [0-9]* has /dev/kite0 open' /tmp/kb"
kill -9 $hog
wait $hog 2>/dev/null
t "after kill -9: pinned memory back to $base bytes" sh -c "[ \$(cat $k/pinned_bytes) = $base ]"
t "after kill -9: no queue owned" sh -c "[ -z \"\$(cat $k/queues_owned)\" ]"
t "after kill -9: queue 3 stopped, then reusable" /e2e_client check-idle /dev/kite0 3
start_hog /dev/kite0 6 stream-hog
kill -9 $hog
wait $hog 2>/dev/null
t "after kill -9 mid-stream: pinned memory back to $base bytes, no queue owned" sh -c \
	"[ \$(cat $k/pinned_bytes) = $base ] && [ -z \"\$(cat $k/queues_owned)\" ]"
t "after kill -9 mid-stream: queue 6 stopped, then reusable" /e2e_client check-idle /dev/kite0 6

# a card that will not stop a queue (kite-emu --fault-hooks, hw-spec §8)
t "a queue the card will not stop: kite.ko resets the card, then unpins" \
	/kmod_attack stuck /dev/kite0 reset
t "the log says which queue and what it read" sh -c "dmesg | grep -q 'queue 7 did not stop within 2 s: Q_STATUS 0x'"
t "neither stop nor reset: bus mastering off, the memory stays pinned, DMA_MAP refused" \
	/kmod_attack stuck /dev/kite0 wedge
t "the log says so" sh -c \
	"dmesg | grep -q 'bus mastering off' && dmesg | grep -q 'leaking 2097152 pinned bytes'"
t "a rebind brings the card back, with traffic" sh -c \
	"echo $addr > /sys/bus/pci/drivers/kite/unbind && echo $addr > /sys/bus/pci/drivers/kite/bind &&
	 [ -c /dev/kite0 ] && /e2e_client traffic /dev/kite0 1 500 32"

# unbinding revokes every user mapping (vfio-pci does the same)
rm -f /tmp/go
/kmod_attack hold /dev/kite0 /tmp/go >/tmp/hold 2>&1 &
holder=$!
i=0
while ! grep -q ready /tmp/hold && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t "unbind while a process maps BAR0 and a doorbell" sh -c "echo $addr > /sys/bus/pci/drivers/kite/unbind"
touch /tmp/go
wait $holder
held=$?
t "after the unbind both mappings fault (SIGBUS), ioctls say ENODEV" sh -c \
	"[ $held = 0 ] || { cat /tmp/hold; false; }"
t "rebind" sh -c "echo $addr > /sys/bus/pci/drivers/kite/bind && [ -c /dev/kite0 ]"

# unbinding under a running app (what kite-bind refuses, done through sysfs directly)
hp=$(hp_free)
start_hog /dev/kite0 4
t "unbind through sysfs while an app runs: the device and its PTP clock go" sh -c \
	"echo $addr > /sys/bus/pci/drivers/kite/unbind && [ ! -e /dev/kite0 ] && [ ! -e /dev/$ptp ]"
kill -9 $hog
wait $hog 2>/dev/null
t "the app's hugepages come back when it dies after the unbind ($hp free)" sh -c \
	"i=0; while [ \$(awk '/HugePages_Free/ {print \$2}' /proc/meminfo) != $hp ] &&
	 [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done; [ \$i -lt 50 ]"
t "rebind: /dev/kite0 and a PTP clock are back" sh -c \
	"echo $addr > /sys/bus/pci/drivers/kite/bind && [ -c /dev/kite0 ] && [ -c /dev/\$(cat $k/ptp) ]"
t "rmmod refused while /dev/kite0 is open" sh -c 'exec 3</dev/kite0 && ! rmmod kite'
t "rmmod" rmmod kite
t "no kite device left" sh -c '[ ! -e /dev/kite0 ]'
# the same card through uio_kite and libkite's uio backend
t "modprobe uio_kite loads uio first (module dependency)" sh -c \
	'! grep -q "^uio " /proc/modules && modprobe uio_kite && grep -q "^uio " /proc/modules'
t "kite-bind: vfio-pci not loaded is said clearly" sh -c \
	"! /kite-bind $addr vfio-pci --board shmem 2>/tmp/kb && grep -q 'vfio-pci is not loaded' /tmp/kb"
t "kite-bind the board to uio_kite; /dev/uio0 appears" sh -c \
	"/kite-bind $addr uio_kite --board shmem && [ -c /dev/uio0 ] &&
	 [ -d /sys/bus/pci/devices/$addr/uio/uio0 ]"
t "3000 frames byte-exact through the uio backend ($addr)" /e2e_client traffic $addr 2 3000 32
t "contract 1.3 through the uio backend: 2000 frames into a stream ring, read as frames and records, byte-exact" \
	/e2e_client stream $addr 5 2000
t "kite-pingpong through uio, and it gives the port's default back" sh -c \
	"/kite-pingpong -d $addr -n 2000 -W 100 >/tmp/pp &&
	 /kite-regs -d $addr get P_CTRL[0].DEFAULT_EN | grep -q '= 0' || { cat /tmp/pp; false; }"
start_hog $addr 3
t "kite-bind refuses to unbind a card an app uses through UIO" sh -c \
	"! /kite-bind --unbind $addr 2>/tmp/kb && grep -q 'has /dev/uio0 open' /tmp/kb"
t "uio_kite lists the app's claim of queue 3" sh -c \
	"grep -qx '3 $hog' /sys/bus/pci/devices/$addr/kite_queues"
sleep 1000 </dev/uio0 &	# another user (kite-stat, say) keeps /dev/uio0 open
holder=$!
i=0
while [ "$(readlink /proc/$holder/fd/0)" != /dev/uio0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $hog
wait $hog 2>/dev/null
t "after kill -9 of a uio app, with /dev/uio0 still open elsewhere: uio_kite stopped its queue" \
	/e2e_client check-idle $addr 3
kill $holder
start_hog $addr 4 hog-fork
kill -9 $hog
wait $hog 2>/dev/null
t "after kill -9 of a uio app whose forked child still holds its /dev/uio0: queue stopped" \
	/e2e_client check-idle $addr 4
killall e2e_client 2>/dev/null
t "kite-bind --unbind, then rmmod uio_kite" sh -c "/kite-bind --unbind $addr && rmmod uio_kite"

# the card is pulled (ACPI hot-unplug from the QEMU monitor) under a running app
hp=$(hp_free)
t "insmod kite.ko again; the card binds" sh -c \
	'insmod /kite.ko allow_unsafe_noiommu=1 &&
	 echo "1af4 1110 ffffffff ffffffff 0 0 1" > /sys/bus/pci/drivers/kite/new_id && [ -c /dev/kite0 ]'
start_hog /dev/kite0 5
t "an app runs queue 5 with memory pinned" sh -c "[ \$(cat $k/pinned_bytes) -gt 0 ]"
echo KITE-UNPLUG-NOW	# tests/qmp-unplug.py on the host sends device_del
t "hot-unplug: the card and /dev/kite0 go" sh -c \
	"i=0; while [ -e /sys/bus/pci/devices/$addr ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done;
	 [ ! -e /sys/bus/pci/devices/$addr ] && [ ! -e /dev/kite0 ]"
t "the app gets SIGBUS on its next doorbell and dies" sh -c \
	"i=0; while kill -0 $hog 2>/dev/null && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done;
	 ! kill -0 $hog 2>/dev/null"
wait $hog 2>/dev/null
t "its hugepages are all free again ($hp)" sh -c "[ \$(awk '/HugePages_Free/ {print \$2}' /proc/meminfo) = $hp ]"
t "rmmod kite after the unplug" rmmod kite

finish kite
