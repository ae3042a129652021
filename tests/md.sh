#!/usr/bin/env bash
# Market data over multicast on kite-net: kite-emu with its two ports cabled
# back to back (--wire pair), kite-md-pub on port 0 and kite-md-sub on port 1
# of the same card, each on queues of its own.
#  1. a subscriber joined to the group gets every message: no gap, no duplicate;
#     kite-stat --net on its counters file agrees with what it received;
#  2. a subscriber joined to another group gets none (kite-net drops them,
#     counted as not ours);
#  3. kite-stat --net refuses a missing, truncated or inconsistent counters
#     file with a message naming it (exit 1, never a crash).
# Ends with "md: N passed, N failed". Waits are generous: a slow, loaded host
# (the model polls one core, publisher and subscriber share the other) only
# makes it slower.
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
. tests/lib.sh
emu_session md
logs="$dir/emu.log $dir/sub.log $dir/sub2.log $dir/pub.log"
N=${MD_MESSAGES:-20000}	# messages in part 1
M=2000			# messages in part 2
G=239.77.0.1 G2=239.77.0.2 UDP=5000
PUB="$B/kite-md-pub -d $dev -p 0 -q 0 -a 169.254.78.1/16 --group $G:$UDP"
SUB="$B/kite-md-sub -d $dev -p 1 -q 2 -a 169.254.78.2/16 --udp $UDP"
sub_pid=
finish() {
	echo "md: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
stop_sub() {	# SIGTERM: the subscriber prints its summary and removes its counters file
	[ -n "$sub_pid" ] || return 0
	kill -TERM "$sub_pid" 2>/dev/null
	wait "$sub_pid"
	sub_rc=$?
	sub_pid=
}
trap 'stop_sub; emu_session_end' EXIT
# counter NAME FILE: one counter of a kite-net counters file, through kite-stat --net --json
counter() {
	"$B/kite-stat" --net "$2" --json | python3 -c "import json, sys; print(json.load(sys.stdin)['counters']['$1'])"
}
# settle NAME FILE MIN: wait (up to 120 s) until counter NAME is at least MIN and
# stays the same for a second; prints it
settle() {
	local v last=-1 i
	for ((i = 0; i < 240; i++)); do
		v=$(counter "$1" "$2" 2>/dev/null) || v=-1
		if [ "$v" -ge "$3" ] && [ "$v" = "$last" ]; then echo "$v"; return 0; fi
		last=$v
		sleep 0.5
	done
	echo "$v"
	return 1
}

v=$(cat VERSION)
for t in kite-md-pub kite-md-sub; do
	check "$t: --help, --version ($v), a man page from them (help2man, as make man does)" bash -c "
		$B/$t --help | grep -q '^usage: $t' && $B/$t --version | grep -qx '$t (kite) $v' &&
		help2man -N --no-discard-stderr -n 'market data' -o $dir/$t.1 $B/$t &&
		grep -q '^\.TH \"*${t^^}' $dir/$t.1 && grep -qi 'multicast' $dir/$t.1"
done
check "bad arguments are refused, naming the option (exit 2)" bash -c "
	$B/kite-md-sub -d $dev >/dev/null 2>$dir/e; [ \$? = 2 ] && grep -q 'no group: give --join' $dir/e &&
	$B/kite-md-sub -d $dev --join 10.1.2.3 2>$dir/e; [ \$? = 2 ] && grep -q \"'10.1.2.3': not a multicast group\" $dir/e &&
	$B/kite-md-pub -d $dev --group $G 2>$dir/e; [ \$? = 2 ] && grep -q 'not GROUP:PORT' $dir/e &&
	$B/kite-md-pub -d $dev --rate x 2>$dir/e; [ \$? = 2 ] && grep -q \"'x': not a number\" $dir/e"

"$B/kite-emu" -s "$sock" --wire pair >"$dir/emu.log" 2>&1 &
emu_pid=$!
if ! wait_for "$sock" "" 30; then
	echo "FAIL - kite-emu did not create $sock" >&2
	cat "$dir/emu.log" >&2
	fail=$((fail + 1))
	finish
fi

# ---- 1. the joined subscriber gets everything -------------------------------
# its ring holds 16384 messages: the subscriber may lose its CPU for over a
# second without the card dropping any
$SUB --join $G --join $G2 --ring 16384 -t 600 --stats "$dir/sub.stats" >"$dir/sub.log" 2>&1 &
sub_pid=$!
wait_for "$dir/sub.log" "joined $G $G2" 60
check "kite-stat --net: the subscriber's counters file names its process, address, card port and MAC" bash -c "
	$B/kite-stat --net $dir/sub.stats > $dir/st &&
	grep -q '^kite-net $dir/sub.stats: process $sub_pid (kite-md-sub), 169.254.78.2 on card port 1, MAC 02:6b:69:74:65:01\$' $dir/st &&
	grep -Eq '^  igmp_reports_tx +[1-9]' $dir/st && ! grep -Eq ' 0  ' $dir/st &&
	$B/kite-stat --net $dir/sub.stats --all | grep -Eq '^  drop_fragment +0  IPv4 fragment'" 
check "kite-md-pub: $N messages to $G:$UDP from port 0, at 20000/s at most" bash -c "
	$PUB -n $N --rate 20000 --card-time --stats $dir/pub.stats > $dir/pub.log 2>&1 &&
	grep -q '^kite-md-pub: sent $N messages to $G:$UDP' $dir/pub.log && [ ! -e $dir/pub.stats ]"
# all of them, and the 3 end messages
dgrams=$(settle rx_dgrams "$dir/sub.stats" $((N + 3)))
cp "$dir/sub.stats" "$dir/copy.stats" 2>/dev/null
stop_sub
sed -n 's/^kite-md-sub: received .*/&/p' "$dir/sub.log" >&2
check "kite-md-sub exits 0 on SIGTERM and removes its counters file" bash -c "
	[ ${sub_rc:-1} = 0 ] && [ ! -e $dir/sub.stats ]"
check "the subscriber received all $N messages: 0 gaps, 0 duplicates, the publisher's end seen" bash -c "
	grep -q '^kite-md-sub: received $N messages from 1 publishers: 0 gaps (0 missing), 0 duplicates, ' $dir/sub.log &&
	grep -q '^kite-md-sub: publisher 169.254.78.1:$UDP session 0x[0-9a-f]*: received $N, seq 1..$N, 0 gaps (0 missing), 0 duplicates, .*, ended after $N\$' $dir/sub.log &&
	grep -q '^kite-md-sub: latency (card RX timestamp - send time) over $N messages' $dir/sub.log"
check "kite-stat --net's rx_dgrams ($dgrams) is the subscriber's count of datagrams" \
	grep -q "; $dgrams datagrams in all, 0 malformed" "$dir/sub.log"
reord=$(sed -n 's/^kite-md-sub: received .* duplicates, \([0-9]*\) reordered;.*/\1/p' "$dir/sub.log")
[ "${reord:-0}" = 0 ] || echo "note: ${reord} messages arrived out of order (kite-net's send path; not a loss)" >&2

# ---- 2. a subscriber of another group gets none -------------------------------
$SUB --join $G2 -t 600 --stats "$dir/sub2.stats" >"$dir/sub2.log" 2>&1 &
sub_pid=$!
wait_for "$dir/sub2.log" "joined $G2" 60
check "kite-md-pub: $M messages to $G:$UDP" bash -c "
	$PUB -n $M --rate 20000 > $dir/pub.log 2>&1 && grep -q '^kite-md-pub: sent $M messages' $dir/pub.log"
nours=$(settle drop_not_ours "$dir/sub2.stats" $((M + 3)))
rx2=$(counter rx_dgrams "$dir/sub2.stats" 2>/dev/null)
check "kite-net drops all $M (and the 3 end messages) as not ours at the subscriber of $G2" bash -c "
	echo 'drop_not_ours $nours, rx_dgrams $rx2'; [ '$nours' -ge $((M + 3)) ] && [ '$rx2' = 0 ]"
stop_sub
check "the subscriber of $G2 received nothing" \
	grep -q '^kite-md-sub: received 0 messages from 0 publishers: 0 gaps (0 missing), 0 duplicates, 0 reordered; 0 datagrams' "$dir/sub2.log"

# ---- 3. kite-stat --net on files it must refuse ---------------------------------
# refused NAME FILE PATTERN: exit 1 (not a signal), the message names the file and the problem
refused() {
	check "kite-stat --net refuses $1" bash -c "
		$B/kite-stat --net '$2' > $dir/r.out 2> $dir/r.err; rc=\$?
		cat $dir/r.err; [ \$rc = 1 ] && [ ! -s $dir/r.out ] &&
		grep -q -- '^kite-stat: --net $2: $3' $dir/r.err"
}
c=$dir/copy.stats
copied=$(counter rx_dgrams "$c" 2>/dev/null)
check "the counters file copied while the subscriber ran reads whole (its process exited)" bash -c "
	$B/kite-stat --net $c | grep -q '^kite-net $c: process [0-9]* (exited: its last counts)' &&
	[ '$copied' = '$dgrams' ]"
size=$(stat -c %s "$c" 2>/dev/null || echo 0)
head -c 40 "$c" >"$dir/t.hdr"
head -c 600 "$c" >"$dir/t.names"
head -c $((size - 4)) "$c" >"$dir/t.values"
: >"$dir/t.empty"
cat "$c" "$c" >"$dir/t.long"
head -c "$size" /dev/urandom >"$dir/t.garbage"
patch() {	# patch OUT OFFSET FORMAT VALUE: a copy of the file with one field rewritten
	python3 -c "
import struct, sys
b = bytearray(open('$c', 'rb').read())
struct.pack_into('$3', b, $2, $4)
open('$1', 'wb').write(b)"
}
patch "$dir/t.count" 8 '<I' 1000000
patch "$dir/t.count2" 8 '<I' 20
patch "$dir/t.namelen" 12 '<I' 0
patch "$dir/t.voff" 40 '<Q' 1140
patch "$dir/t.voff2" 40 '<Q' 64
patch "$dir/t.voffbig" 40 '<Q' 0xfffffffffffffff8
patch "$dir/t.name" 48 '<32s' "b'x' * 32"
patch "$dir/t.name2" 80 '<4s' "b'a b\\0'"
refused "a file that is not there" "$dir/nope" 'No such file or directory'
refused "a directory" "$dir" 'not a regular file'
mkfifo "$dir/fifo"
# a FIFO planted at the path: refused at once (it once blocked in open() forever)
check "kite-stat --net refuses a FIFO without waiting for a writer" bash -c "
	timeout 60 $B/kite-stat --net '$dir/fifo' 2> $dir/r.err; rc=\$?
	cat $dir/r.err; [ \$rc = 1 ] && grep -q -- '^kite-stat: --net $dir/fifo: not a regular file' $dir/r.err"
refused "an empty file" "$dir/t.empty" '0 bytes, shorter than the 48-byte header'
refused "a file cut inside the header" "$dir/t.hdr" '40 bytes, shorter than the 48-byte header'
refused "a file cut inside the names" "$dir/t.names" "the values. offset [0-9]* is past the end of the file (600 bytes): truncated"
refused "a file cut inside the values" "$dir/t.values" "$((size - 4)) bytes, but its header .* says $size: truncated"
refused "a file with bytes past its values" "$dir/t.long" "$((size * 2)) bytes, but its header .* says $size: bytes past the end"
refused "garbage" "$dir/t.garbage" 'not a kite-net counters file (no KITENET1 magic'
refused "a counter count out of range" "$dir/t.count" 'counter count 1000000 is not 1..65536'
refused "a counter count the size does not match" "$dir/t.count2" "$size bytes, but its header (20 counters, values at [0-9]*) says [0-9]*: bytes past the end"
refused "a zero name length" "$dir/t.namelen" 'name length 0 is not 1..256'
refused "values not 8-aligned" "$dir/t.voff" 'the values. offset 1140 is not 8-aligned'
refused "values over the names" "$dir/t.voff2" 'the values. offset 64 is inside the header or the names'
refused "values far past the end" "$dir/t.voffbig" "the values. offset 18446744073709551608 is past the end of the file ($size bytes)"
refused "a name without its NUL" "$dir/t.name" "counter 0.s name is not NUL-terminated"
refused "a name with a space" "$dir/t.name2" "counter 1.s name is not printable"
check "kite-stat --net takes no device options" bash -c "
	$B/kite-stat --net $c -q 1 2>$dir/e; [ \$? = 2 ] && grep -q 'do not apply' $dir/e"

kill -TERM "$emu_pid"
wait "$emu_pid"
rc=$?
emu_pid=
check "kite-emu exits 0 on SIGTERM" test "$rc" = 0
finish
