#!/bin/busybox sh
# /init of the debug kernel's self-test (tests/qemu.sh with KITE_GUEST_KERNEL):
# kite_inject.ko commits one bug at a time, and the log check every guest ends
# with (log_clean in guest-lib.sh) must catch each; a clean load must pass it.
. /guest-lib.sh
echo 0 > /proc/sys/kernel/hung_task_panic	# the hang must be reported, not fatal
echo 3 > /proc/sys/kernel/hung_task_timeout_secs

# inject BUG: load the module with bug=BUG, keep the log it produced
inject() {
	dmesg -c >/dev/null
	insmod /kite_inject.ko bug=$1 && rmmod kite_inject
	dmesg >/tmp/inject-$1
}

# caught BUG SIGNATURE: the kernel reported it, and log_clean fails on it
caught() {
	grep -q "$2" /tmp/inject-$1 && ! log_clean /tmp/inject-$1 >/dev/null
}

t "the debug kernel runs KASAN and lockdep" sh -c \
	"dmesg | grep -q 'KernelAddressSanitizer initialized' && [ -e /proc/lockdep ]"
inject none
t "a clean load: the log check passes" log_clean /tmp/inject-none
# lockdep first: the taint a KASAN report sets turns lockdep off
inject inversion
t "a lock inversion: lockdep reports it, the log check fails" \
	caught inversion "possible circular locking dependency"
inject oob
t "an out-of-bounds write: KASAN reports it, the log check fails" \
	caught oob "BUG: KASAN: slab-out-of-bounds"
inject sleep
t "a sleeping call under a spinlock: reported, the log check fails" \
	caught sleep "BUG: sleeping function called from invalid context"
inject hang
t "a task stuck in the kernel: the hung-task detector reports it, the log check fails" \
	caught hang "blocked for more than"
echo "KITE-GUEST: $pass passed, $fail failed"
poweroff -f
