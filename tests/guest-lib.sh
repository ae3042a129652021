# Sourced by the QEMU guests' /init scripts (tests/guest-*.sh): a shell, the
# pseudo filesystems, and t NAME COMMAND... which runs one check.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p "/lib/modules/$(uname -r)" && depmod
# where the kernel's own boot ends and the tests begin, in the kernel log and
# on the console: log_clean and tests/qemu.sh judge what comes after it
echo "<5>KITE-GUEST: init started" > /dev/kmsg
echo "KITE-GUEST: init started"
# a task stuck in the kernel this long is a hung-task splat, and finish() fails on it
echo 60 > /proc/sys/kernel/hung_task_timeout_secs
pass=0
fail=0

t() {
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then
		pass=$((pass + 1))
		echo "ok - $name"
	else
		fail=$((fail + 1))
		echo "FAIL - $name"
		sed 's/^/    /' /tmp/out
	fi
}

# start_hog DEV Q [hog-fork]: an app keeping queue Q busy (its PID in $hog), once it runs
start_hog() {
	# emptied here, not by the background job's redirection: that one may run
	# after the loop below has already found the previous hog's "ready"
	: >/tmp/hog
	/e2e_client "${3:-hog}" "$1" "$2" >/tmp/hog 2>&1 &
	hog=$!
	i=0
	while ! grep -q ready /tmp/hog && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q ready /tmp/hog || sed 's/^/    hog (never ready): /' /tmp/hog	# the next check fails
}

# free 2 MiB pages: memory still pinned for a dead process would keep some
hp_free() { awk '/HugePages_Free/ {print $2}' /proc/meminfo; }

# hugepages_back N: the free count returns to N (30 s: a slow host, not a leak)
hugepages_back() {
	i=0
	while [ "$(hp_free)" != "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ $i -lt 300 ]
}

# kill_hog NAME DEV Q: kill -9 an app under traffic on queue Q; check NAME:
# the memory it had pinned is free again
kill_hog() {
	hp=$(hp_free)
	start_hog "$2" "$3"
	kill -9 $hog
	wait $hog 2>/dev/null
	t "$1 ($hp)" hugepages_back "$hp"
}

# log_clean FILE: no kernel trouble in a saved kernel log since the tests
# began; tests/guest-inject.sh shows that this catches each bug the debug
# kernel reports
log_clean() {
	from=1
	grep -q "KITE-GUEST: init started" "$1" && from='/KITE-GUEST: init started/'
	! sed -n "$from,\$p" "$1" | grep -A40 -E "WARNING:|BUG:|Oops|KASAN|general protection|Call Trace|possible circular|blocked for more than|scheduling while atomic"
}

# the end of every guest: a clean kernel log, the count, power off
finish() {
	dmesg >/tmp/dmesg
	t "kernel log: no WARN, BUG, oops, lockdep splat, hung task" log_clean /tmp/dmesg
	# a debug kernel's report, even one before /init, turns lockdep off: it must still be on
	[ -e /proc/lockdep_stats ] && t "lockdep still validating (no report turned it off)" \
		grep -q 'debug_locks: *1' /proc/lockdep_stats
	echo "KITE-GUEST: $pass passed, $fail failed"
	grep -iE "$1" /tmp/dmesg | tail -5
	poweroff -f
}
