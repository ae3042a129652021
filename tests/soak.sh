#!/usr/bin/env bash
# Soak: applications against one kite-emu daemon for SOAK_SECONDS (default 20
# in make check, `make soak` runs 300): each round two byte-exact traffic
# clients and one that is killed with kill -9 under traffic, on rotating
# queues. Oracles: every traffic client's frames arrive intact (it checks each
# byte) or it fails; the killed client's queue goes quiet and is reusable;
# at the end the card's books balance (frames received = delivered + every
# drop counter, frames sent = received on the loopback), and the daemon's fds
# and RSS, free hugepages and files in /dev/shm are where they started.
# Ends with "soak: N passed, N failed".
set -u
B=${1:-build}
secs=${SOAK_SECONDS:-20}
. "$(dirname "$0")/lib.sh"
emu_session soak

hp_free() { awk '/HugePages_Free/ {print $2}' /proc/meminfo; }
shm_files() { find /dev/shm -maxdepth 1 -type f 2>/dev/null | wc -l; }
reg() { "$B/kite-regs" -d "$dev" get "$1" | awk '{print $3}'; }

"$B/kite-emu" -s "$sock" >"$logs" 2>&1 &
emu_pid=$!
wait_for "$sock" "" 10 || { echo "soak: kite-emu did not start"; echo "soak: 0 passed, 1 failed"; exit 1; }
"$B/e2e_client" traffic "$dev" 0 1000 32 >/dev/null 2>&1	# warm the daemon up
fds0=$(ls /proc/$emu_pid/fd | wc -l)
rss0=$(awk '/VmRSS/ {print $2}' /proc/$emu_pid/status)
hp0=$(hp_free) shm0=$(shm_files)

rounds=0 ok=0 bad=0 start=$SECONDS
while [ $((SECONDS - start)) -lt "$secs" ]; do
	q=$((rounds % 5))
	"$B/e2e_client" traffic "$dev" $((q + 1)) 20000 32 >"$dir/a" 2>&1 & a=$!
	"$B/e2e_client" traffic "$dev" $((q + 6)) 20000 8 >"$dir/b" 2>&1 & b=$!
	"$B/e2e_client" hog "$dev" $((q + 11)) >"$dir/h" 2>&1 & h=$!
	wait_for "$dir/h" ready 30
	sleep 0.$((RANDOM % 9 + 1))
	kill -9 "$h"
	wait "$h" 2>/dev/null
	if wait "$a" && wait "$b" && "$B/e2e_client" check-idle "$dev" $((q + 11)) >"$dir/c" 2>&1; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1))
		echo "FAIL - soak round $rounds:"; cat "$dir/a" "$dir/b" "$dir/h" "$dir/c" | sed 's/^/    /'
	fi
	rounds=$((rounds + 1))
done
check "$ok of $rounds rounds (2 byte-exact clients + 1 killed under traffic each) in ${secs} s" \
	test "$bad" = 0 -a "$rounds" -gt 0
check "the books balance: received = delivered + counted drops, sent = received" bash -c "
	in=0 out=0 sent=0
	for p in 0 1; do
		in=\$((in + \$($B/kite-regs -d $dev get P_RX_PKTS[\$p] | awk '{print \$3}')))
		sent=\$((sent + \$($B/kite-regs -d $dev get P_TX_PKTS[\$p] | awk '{print \$3}')))
		for c in P_RX_DROP_NOMATCH P_RX_DROP_MTU P_RX_DROP_NOQ; do
			out=\$((out + \$($B/kite-regs -d $dev get \$c[\$p] | awk '{print \$3}')))
		done
	done
	for q in \$(seq 0 15); do
		for c in Q_RX_PKTS Q_RX_DROP_NOBUF Q_RX_DROP_BUFSZ; do
			out=\$((out + \$($B/kite-regs -d $dev get \$c[\$q] | awk '{print \$3}')))
		done
	done
	echo \"received \$in, delivered or counted \$out, sent \$sent\"
	[ \$in = \$out ] && [ \$sent = \$in ]"
sleep 0.5
check "the daemon's fds ($fds0) and RSS ($rss0 KiB) stay flat" bash -c "
	f=\$(ls /proc/$emu_pid/fd | wc -l) r=\$(awk '/VmRSS/ {print \$2}' /proc/$emu_pid/status)
	echo \"fds \$f, RSS \$r KiB\"; [ \$f = $fds0 ] && [ \$r -lt \$(( $rss0 + 16384 )) ]"
check "no hugepage ($hp0 free) or /dev/shm file ($shm0) left behind" bash -c "
	[ \$(awk '/HugePages_Free/ {print \$2}' /proc/meminfo) = $hp0 ] && [ \$(find /dev/shm -maxdepth 1 -type f | wc -l) = $shm0 ]"
echo "$pass $fail" >"$B/soak-counts"
echo "soak: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
