#!/usr/bin/env bash
# kite-fwd, the zero-copy reflector, end to end: kite-emu with its ports
# cabled back to back (--wire pair), kite-fwd on port 1, senders on port 0.
#  1. kite-pingpong's frames (descriptor, PIO and stream paths) all come back
#     through kite-fwd, each the one sent (length and sequence number);
#  2. with --swap-mac, frames come back with their addresses swapped (a
#     capture on port 0 by copy filter, read by tshark);
#  3. on SIGTERM kite-fwd's summary balances: every frame in was forwarded and
#     sent by the card, none dropped;
#  4. SIGHUP stops it cleanly, except under nohup; a second signal ends it.
# Ends with "fwd: N passed, N failed". Three busy-polling processes share two
# cores here, so a round trip can wait a scheduler slice: few round trips,
# generous time limits (a slow host only makes it slower).
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
. tests/lib.sh
emu_session fwd
logs="$dir/emu.log $dir/fwd.log"
fwd_pid=
stop_fwd() {
	[ -n "$fwd_pid" ] || return 0
	kill -TERM "$fwd_pid" 2>/dev/null
	wait "$fwd_pid"
	fwd_pid=
}
trap 'stop_fwd; emu_session_end' EXIT

"$B/kite-emu" -s "$sock" --wire pair >"$dir/emu.log" 2>&1 &
emu_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
"$B/kite-fwd" -d "$dev" -p 1 -q 1 --swap-mac >"$dir/fwd.out" 2>"$dir/fwd.log" &
fwd_pid=$!
for _ in $(seq 600); do grep -q "^kite-fwd: forwarding" "$dir/fwd.log" && break; sleep 0.1; done

N=200 W=10
check "kite-pingpong through kite-fwd: every frame back, the one sent, on the descriptor, PIO and stream paths" \
	"$B/kite-pingpong" -d "$dev" -q 0 -n $N -W $W -T 60

# port 0's MAC (regs.def reset value) and what kite-net sends from it to a group
mac0=02:6b:69:74:65:00 group_mac=01:00:5e:4d:00:01
# kite-md-pub sends 20 messages and an end message to the group
check "--swap-mac: a sender's frames come back to it with the addresses swapped" bash -c "
	$B/kite-capture -d $dev -p 0 -q 15 --all -f udp -w $dir/cap.pcap -n 21 -t 120 \
		>$dir/cap.log 2>&1 &
	cap=\$!
	for _ in \$(seq 600); do grep -q capturing $dir/cap.log && break; sleep 0.1; done
	$B/kite-md-pub -d $dev -p 0 -q 2 -n 20 --rate 1000 >$dir/pub.log 2>&1 || exit 1
	wait \$cap || { cat $dir/cap.log; exit 1; }
	tshark -r $dir/cap.pcap -T fields -e eth.src -e eth.dst >$dir/cap.txt 2>/dev/null
	cat $dir/cap.txt
	[ \$(grep -c . $dir/cap.txt) -eq 21 ] &&
	! grep -v -x '$group_mac	$mac0' $dir/cap.txt"

stop_fwd
check "kite-fwd on SIGTERM: every frame in forwarded and sent, none dropped" bash -c "
	cat $dir/fwd.out
	in=\$(awk '{print \$2}' $dir/fwd.out)
	[ \"\$in\" -ge $((3 * (N + W) + 21)) ] && grep -qx \"kite-fwd: \$in frames in, \$in \
forwarded (\$in sent by the card, 0 failed), 0 dropped for a full TX ring\" $dir/fwd.out"

# tools/stop_signal.c, as an operator meets it: a closed terminal (SIGHUP)
# stops kite-fwd cleanly, nohup keeps it running, and a second signal ends it
# even when the first one's stop is not seen
check "SIGHUP stops kite-fwd cleanly; under nohup it keeps forwarding; a second signal ends it" bash -c "
	$B/kite-fwd -d $dev -p 1 -q 1 >$dir/hup.out 2>$dir/hup.log &
	f=\$!
	for _ in \$(seq 600); do grep -q '^kite-fwd: forwarding' $dir/hup.log && break; sleep 0.1; done
	kill -HUP \$f; wait \$f || exit 1
	grep -q '^kite-fwd: 0 frames in' $dir/hup.out || exit 1
	nohup $B/kite-fwd -d $dev -p 1 -q 1 >$dir/nohup.out 2>$dir/nohup.log &
	f=\$!
	for _ in \$(seq 600); do grep -q '^kite-fwd: forwarding' $dir/nohup.log && break; sleep 0.1; done
	kill -HUP \$f; sleep 1
	kill -0 \$f || { echo 'nohup: SIGHUP stopped it'; exit 1; }
	# both arrive before its loop can see the first (SIGINT is delivered first)
	kill -STOP \$f; kill -INT \$f; kill -TERM \$f; kill -CONT \$f
	wait \$f; rc=\$?
	[ \$rc -eq 143 ] || { echo \"SIGINT then SIGTERM at once: exit \$rc, want 143\"; exit 1; }"

echo "fwd: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
