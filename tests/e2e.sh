#!/usr/bin/env bash
# End-to-end: libkite applications in their own processes against a kite-emu
# daemon: concurrent clients, queue ownership, an app killed under traffic,
# kite-pingpong, clean daemon shutdown. Ends with "e2e: N passed, N failed".
set -u
B=${1:-build}
. "$(dirname "$0")/lib.sh"
emu_session e2e

check "kite-emu --help" "$B/kite-emu" --help
check "every short flag a tool shows is in README's flag table, one meaning across the tools" \
	python3 tests/flags.py "$B"
check "kite-emu rejects an unknown wire" bash -c "! $B/kite-emu --wire nosuch"

"$B/kite-emu" -s "$sock" >"$dir/emu.log" 2>&1 &
emu_pid=$!
if ! wait_for "$sock" "" 10; then
	echo "FAIL - kite-emu did not create $sock" >&2
	cat "$dir/emu.log" >&2
	echo "e2e: $pass passed, $((fail + 1)) failed"
	exit 1
fi

check "one client, 20000 frames, batch 32" "$B/e2e_client" traffic "$dev" 0 20000 32
check "hostile clients (malformed, fd games, memfd tricks, IOVA churn, limits, a slow reader): a good client keeps working, the daemon's fds and RSS stay flat" \
	"$B/hostile_client" "$sock" "$emu_pid"
check "kite-stat agrees: queue 0 sent and received 20000" bash -c "
	$B/kite-stat -d $dev --json | python3 -c '
import json, sys
q = {x[\"queue\"]: x for x in json.load(sys.stdin)[\"queues\"]}[0]
assert q[\"tx_pkts\"] == 20000 and q[\"rx_pkts\"] == 20000, q'"
check "kite-stat -i prints rates" bash -c "$B/kite-stat -d $dev -i 0.1 -n 2 | grep -q 'rx_pkts 0/s'"
check "kite-stat: --info on one screen; -i blocks under their time, with units; -q one queue" bash -c "
	$B/kite-stat -d $dev --info > $dir/info &&
	grep -q '^card      contract v1.4 through the emu backend; 2 ports, 16 queues' $dir/info &&
	grep -q '^port 0    link up 10G, MAC 02:6b:69:74:65:00, MTU 1500' $dir/info &&
	grep -q '^features  PIO TX_TS RX_TS FILTERS' $dir/info &&
	$B/kite-stat -d $dev -i 0.1 -n 1 -q 0 > $dir/rate &&
	grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\$' $dir/rate &&
	grep -q '^queue 0 .* rx_bytes 0 B/s' $dir/rate && [ \$(wc -l < $dir/rate) = 2 ]"

# kite-regs against the daemon
R="$B/kite-regs -d $dev"
check "kite-regs --help" "$B/kite-regs" --help
check "kite-regs dump: every group, decoded" bash -c "$R dump > $dir/dump &&
	grep -q '== Flow filters ==' $dir/dump && grep -q 'ID_MAGIC  *0x4b495445' $dir/dump &&
	grep -q 'P_STATUS\[1\] .*LINK_UP=1 SPEED=10G' $dir/dump && [ \$(grep -c '^0x' $dir/dump) -gt 400 ]"
check "kite-regs get a field by value name" bash -c "$R get P_STATUS[0].SPEED | grep -qx 'P_STATUS\[0\].SPEED = 10G (1)'"
expect_fail() {	# name pattern command...: must exit 1 and say pattern
	local name=$1 pat=$2
	shift 2
	check "$name" bash -c "! \"\$@\" > $dir/ef 2>&1 && grep -q \"$pat\" $dir/ef" _ "$@"
}
expect_fail "kite-regs: unknown register" "unknown register 'NOPE'" $R get NOPE
expect_fail "kite-regs: unknown field" "F_CTRL has no field 'NOPE'" $R get F_CTRL[0].NOPE
expect_fail "kite-regs: instance needed" "Q_CTRL has 16 instances" $R get Q_CTRL
expect_fail "kite-regs: instance out of range" "instances 0..15, not 16" $R get Q_CTRL[16]
expect_fail "kite-regs: read-only register refused" "ID_MAGIC is read-only" $R set ID_MAGIC=1 -y
expect_fail "kite-regs: value out of range" "PORT is 4 bits" $R set F_CTRL[3].PORT=16 -y
expect_fail "kite-regs: no write without confirmation" "without confirmation" $R set SCRATCH=1
expect_fail "kite-regs list: no card on this machine's bus" "no kite card found" \
	env -u KITE_DEV "$B/kite-regs" list
check "kite-regs list shows the model it is pointed at (README's walkthrough)" bash -c \
	"KITE_DEV=$dev $B/kite-regs list | grep -q '^$dev  kite-emu (the model, not on the PCI bus)  contract v1.4'"
check "kite-regs dump --json, set --yes, diff shows the change" bash -c "
	$R dump --json > $dir/a.json && $R set SCRATCH=0xa5 --yes | grep -q 'SCRATCH .*0x000000a5' &&
	$R set P_CTRL[1].DEFAULT_QUEUE=7 -y >/dev/null && $R dump -j > $dir/b.json &&
	! $B/kite-regs diff $dir/a.json $dir/b.json > $dir/diff &&
	grep -q '^SCRATCH  *0x0 -> 0xa5' $dir/diff && grep -q 'DEFAULT_QUEUE: 0 -> 7' $dir/diff &&
	$B/kite-regs diff $dir/a.json $dir/a.json"
check "kite-regs watch logs changes" bash -c "$R watch TIME -i 0.05 -n 4 | grep -c 'TIME 0x' | grep -qx 3"
check "kite-regs set of a port register commits it; --no-commit stages; commit applies" bash -c "
	R='$B/kite-regs -d $dev'
	c0=\$(( \$(\$R get CFG_COMMIT | awk '{print \$3}') ))
	\$R set P_MTU[1]=9000 -y 2>&1 | grep -q 'committed (CFG_COMMIT' &&
	[ \$(( \$(\$R get CFG_ACK | awk '{print \$3}') )) = \$((c0 + 1)) ] &&
	\$R set P_MTU[1]=1500 -y --no-commit 2>&1 | grep -q 'staged' &&
	[ \$(( \$(\$R get CFG_COMMIT | awk '{print \$3}') )) = \$((c0 + 1)) ] &&
	\$R commit 2>&1 | grep -q 'committed' &&
	[ \$(( \$(\$R get CFG_ACK | awk '{print \$3}') )) = \$((c0 + 2)) ]"
check "kite-regs: offsets, the magic as text, a MAC, counters in decimal, value names listed" bash -c "
	R='$B/kite-regs -d $dev'
	\$R get 0x404 | grep -q '^0x0404 P_STATUS\[0\] ' &&
	\$R get ID_MAGIC | grep -q '\"KITE\"' &&
	\$R get P_MAC[1] | grep -q '02:6b:69:74:65:01\$' &&
	\$R get P_RX_PKTS[0] | grep -Eq ' [0-9]+\$' &&
	\$R set F_CTRL[0].TYPE=NOPE -y 2>&1 | grep -q 'one of DST_MAC IPV4_DST UDP_DST'"
check "kite-regs watch takes NAME[N] and offsets; NO_COLOR marks changes with *" bash -c "
	R='$B/kite-regs -d $dev'
	\$R watch P_STATUS[1] 0x200 -i 0.05 -n 3 | grep -q ' TIME 0x' &&
	NO_COLOR=1 script -qec \"\$R watch TIME -i 0.05 -n 2\" /dev/null | grep -q '^\* 0x0200 TIME'"
check "tools range-check their numbers and say what was wrong; KITE_DEV reaches kite-pingpong" bash -c "
	! $B/kite-pingpong -q abc 2>$dir/pe && grep -q \"kite-pingpong: -q 'abc': not a number in 0..15\" $dir/pe &&
	! $B/kite-capture -d $dev -q 16 --udp 1 -w $dir/x.pcap 2>$dir/pe && grep -q -e \"-q '16'\" $dir/pe &&
	! $B/kite-stat -d $dev -i x 2>$dir/pe && grep -q -e \"-i 'x'\" $dir/pe &&
	KITE_DEV=$dev $B/kite-pingpong -n 100 -W 10 -m pio >/dev/null"
check "a capture that cannot start leaves no file behind" bash -c "
	$B/kite-capture -d $dev -q 9 --udp 4242 -t 60 -w $dir/hold.pcap 2>$dir/hold.err & h=\$!
	for i in \$(seq 300); do grep -q capturing $dir/hold.err && break; sleep 0.1; done
	! $B/kite-capture -d $dev -q 10 --udp 4242 -w $dir/none.pcap 2>/dev/null && [ ! -e $dir/none.pcap ]
	r=\$?; kill \$h; wait \$h 2>/dev/null; exit \$r"
check "kite-regs get --json prints JSON for registers and fields alike" bash -c "
	$B/kite-regs -d $dev get --json P_STATUS[0] P_STATUS[0].SPEED | python3 -c '
import json, sys
reg, field = (json.loads(line) for line in sys.stdin)
assert reg[\"name\"] == \"P_STATUS[0]\", reg
assert field == {\"name\": \"P_STATUS[0].SPEED\", \"offset\": 1028, \"value\": 1, \"meaning\": \"10G\"}, field'"
check "KITE_TRACE records libkite's register writes by name, in order, decoded" bash -c "
	KITE_TRACE=$dir/trace $B/e2e_client traffic $dev 1 100 8 >/dev/null 2>&1 &&
	grep -n 'Q_CTRL\[1\] <- 0x08080001 ENABLE=1 RX_STREAM=0 PIO_DIRECT=0 TX_WB=0 PORT=0 TX_LOG2=8 RX_LOG2=8' $dir/trace | grep -q '^7:' &&
	grep -q 'F_CTRL\[0\] <- 0x00010011 VALID=1 COPY=0 TYPE=DST_MAC PORT=0 QUEUE=1' $dir/trace &&
	tail -1 $dir/trace | grep -q 'Q_CTRL\[1\] <- 0x00000000 ENABLE=0'"
check "kite-emu --trace logs software's register and doorbell writes, decoded" bash -c "
	$B/kite-emu -s $dir/t.sock --trace $dir/emu.trace >/dev/null 2>&1 & e=\$!
	for i in \$(seq 50); do [ -S $dir/t.sock ] && break; sleep 0.1; done
	$B/e2e_client traffic emu:$dir/t.sock 1 100 8 >/dev/null 2>&1; r=\$?
	kill \$e; wait \$e
	[ \$r = 0 ] && grep -q ' Q_CTRL\[1\] <- 0x08080001 ENABLE=1 RX_STREAM=0 PIO_DIRECT=0 TX_WB=0 PORT=0 TX_LOG2=8 RX_LOG2=8\$' $dir/emu.trace &&
	grep -q ' F_CTRL\[0\] <- 0x00010011 VALID=1 COPY=0 TYPE=DST_MAC PORT=0 QUEUE=1\$' $dir/emu.trace &&
	grep -q ' DB\[1\].TX_TAIL <- 0x' $dir/emu.trace && ! grep -q 'P_RX_PKTS' $dir/emu.trace"
check "a v1.1 card (no copy filters): capture steers, so it is refused a flow an app owns, naming it" bash -c "
	$B/kite-emu -s $dir/old.sock --contract 1.1 >/dev/null 2>&1 & e=\$!
	for i in \$(seq 50); do [ -S $dir/old.sock ] && break; sleep 0.1; done
	$B/e2e_client listen emu:$dir/old.sock 11 5 6000 >$dir/old.app 2>&1 & a=\$!
	for i in \$(seq 300); do grep -q ready $dir/old.app && break; sleep 0.1; done
	! $B/kite-capture -d emu:$dir/old.sock -q 12 --udp 6000 -t 1 -w $dir/old.pcap 2>$dir/old.err &&
	grep -q 'has no copy filters: steering the flow' $dir/old.err &&
	grep -q \"UDP_DST 0x1770 on port 0 is already steered by process \$a\" $dir/old.err &&
	! $B/kite-capture -d emu:$dir/old.sock -q 12 --all -t 1 -w $dir/old.pcap 2>$dir/old.err &&
	grep -q -e '--all needs copy filters' $dir/old.err && [ ! -e $dir/old.pcap ] &&
	$B/kite-regs -d emu:$dir/old.sock get ID_VERSION | grep -q 0x00010001
	r=\$?; kill \$a \$e; wait \$e; exit \$r"
check "kite-bus: a descriptor round trip costs the card 2 DMA reads, a PIO one none" bash -c "
	$B/kite-bus 200 2>/dev/null | grep -Eq '^descriptor +1.00 +2.00 ' &&
	$B/kite-bus 200 2>/dev/null | grep -Eq '^pio +3.00 +0.00 '"
check "kite-regs dump --raw" bash -c "$R dump --raw 0:16 | grep -qx '0x0000: 4b495445 00010004 000001ff 400f1002'"

# kite-capture: a UDP filter to queue 9, a BPF expression on top, read back by tshark
"$B/kite-capture" -d "$dev" -q 9 --ip 169.254.0.2 -f "udp dst port 7777" -n 50 -t 30 \
	-w "$dir/cap.pcap" 2>"$dir/cap.err" &
cap=$!
wait_for "$dir/cap.err" capturing 10
check "a second capture of the same flow is refused, naming the process that has it" bash -c "
	! $B/kite-capture -d $dev -q 10 --ip 169.254.0.2 -t 1 -w $dir/cap2.pcap 2>$dir/cap2.err &&
	grep -q 'IPV4_DST 0xa9fe0002 on port 0 is already copied by process $cap' $dir/cap2.err"
check "traffic for the capture: 30 frames to port 7778, 50 to 7777" bash -c "
	$B/e2e_client udp $dev 8 30 7778 && $B/e2e_client udp $dev 8 50 7777"
wait "$cap"
check "kite-capture wrote 50, filtered 30 out" grep -q "50 frames written .*(30 did not match" "$dir/cap.err"
check "tshark reads 50 UDP frames to 7777 with nanosecond timestamps" bash -c "
	[ \"\$(tshark -r $dir/cap.pcap -T fields -e udp.dstport 2>/dev/null | sort | uniq -c | tr -s ' ')\" = ' 50 7777' ] &&
	tshark -r $dir/cap.pcap -T fields -e frame.time_epoch 2>/dev/null | head -1 | grep -Eq '\.[0-9]{9}$'"
check "capture and an application on the same flow both get every frame (a copy filter); kite-stat --info names both owners" bash -c "
	$B/e2e_client listen $dev 11 40 6000 >$dir/app.out 2>&1 & a=\$!
	$B/kite-capture -d $dev -q 12 --udp 6000 -n 40 -t 60 -w $dir/copy.pcap 2>$dir/copy.err & c=\$!
	wait_for() { for i in \$(seq 300); do grep -q \"\$2\" \$1 && return 0; sleep 0.1; done; return 1; }
	wait_for $dir/app.out ready && wait_for $dir/copy.err 'capturing.*(a copy)' &&
	$B/kite-stat -d $dev --info > $dir/owners &&
	$B/e2e_client udp $dev 8 40 6000 >/dev/null; wait \$a; ra=\$?; wait \$c; rc=\$?
	grep -q \"^queue 11 .*, process \$a (e2e_client)\$\" $dir/owners &&
	grep -q \"^queue 12 .*, process \$c (kite-capture)\$\" $dir/owners &&
	grep -q \"UDP_DST 0x1770 on port 0 -> queue 11, [0-9]* hits, process \$a (e2e_client)\$\" $dir/owners &&
	grep -q \"UDP_DST 0x1770 on port 0 copied to queue 12, [0-9]* hits, process \$c (kite-capture)\$\" $dir/owners &&
	[ \$ra = 0 ] && [ \$rc = 0 ] && grep -q 'received 40 UDP frames' $dir/app.out &&
	grep -q '^kite-capture: 40 frames written' $dir/copy.err &&
	[ \$(tshark -r $dir/copy.pcap -T fields -e udp.dstport 2>/dev/null | grep -c '^6000\$') = 40 ] ||
	{ cat $dir/owners $dir/app.out $dir/copy.err; exit 1; }"
check "four processes adding and deleting filters at once: every filter takes effect (no commit lost)" bash -c "
	p=''; for q in 1 2 3 4; do $B/e2e_client churn $dev \$q 200 >/dev/null & p=\"\$p \$!\"; done
	r=0; for j in \$p; do wait \$j || r=1; done; exit \$r"
check "two clients at once on queues 1 and 2" bash -c \
	"$B/e2e_client traffic $dev 1 20000 8 & a=\$!; $B/e2e_client traffic $dev 2 20000 64; r=\$?; wait \$a && [ \$r = 0 ]"

check "contract 1.3: 3000 frames by descriptor and direct PIO into a stream ring, read as frames and as records, byte-exact" \
	"$B/e2e_client" stream "$dev" 5 3000
"$B/e2e_client" stream-hog "$dev" 6 >"$dir/shog" 2>&1 &
shog=$!
if wait_for "$dir/shog" ready 20; then
	kill -9 "$shog"
	wait "$shog" 2>/dev/null
	check "killed mid-stream: its queue stopped, released, reusable" \
		"$B/e2e_client" check-idle "$dev" 6
else
	kill -9 "$shog"
	fail=$((fail + 1))
	echo "FAIL - stream-hog never became ready" >&2
	cat "$dir/shog" >&2
fi
"$B/e2e_client" hog "$dev" 3 >"$dir/hog" 2>&1 &
hog=$!
if wait_for "$dir/hog" ready 20; then
	check "queue 3 busy while its owner lives" "$B/e2e_client" expect-busy "$dev" 3
	kill -9 "$hog"
	wait "$hog" 2>/dev/null
	check "killed app: its queue stopped, released, reusable" "$B/e2e_client" check-idle "$dev" 3
else
	kill -9 "$hog"
	fail=$((fail + 1))
	echo "FAIL - hog never became ready" >&2
	cat "$dir/hog" >&2
fi

# Packaging: install, build an app with pkg-config against the shared library.
inst=$dir/inst
check "make install (tools with --version, man pages, completion); an app builds with pkg-config and runs on libkite.so" bash -c "
	make -s install BUILD=$B DESTDIR=$inst PREFIX=/opt/kite UDEVDIR=/etc/udev/rules.d >/dev/null &&
	flags=\$(PKG_CONFIG_SYSROOT_DIR=$inst PKG_CONFIG_LIBDIR=$inst/opt/kite/lib/pkgconfig pkg-config --cflags --libs kite) &&
	cc -std=c11 -Wall -Werror ${APP_CFLAGS:-} tests/install_app.c \$flags -o $dir/app &&
	LD_LIBRARY_PATH=$inst/opt/kite/lib $dir/app $dev > $dir/app.out &&
	grep -q 'emu card v1.4, 16 queues' $dir/app.out &&
	v=\$(cat VERSION) && grep -qx \"libkite \$v, built against \$v ([0-9]*)\" $dir/app.out &&
	for t in kite-emu kite-pingpong kite-regs kite-stat kite-capture kite-responder kite-bind \
		kite-clock-sync; do
		$inst/opt/kite/bin/\$t --help >/dev/null &&
		$inst/opt/kite/bin/\$t --version | grep -qx \"\$t (kite) \$v\" &&
		[ -f $inst/opt/kite/share/man/man1/\$t.1 ] &&
		[ -e $inst/opt/kite/share/bash-completion/completions/\$t ] || exit 1; done &&
	bash -c '. $inst/opt/kite/share/bash-completion/completions/kite-regs &&
		COMP_WORDS=(kite-regs get P_MT); COMP_CWORD=2; PATH=$B:\$PATH; _kite &&
		[ \"\${COMPREPLY[*]}\" = P_MTU ]' &&
	[ -f $inst/etc/udev/rules.d/60-kite.rules ] &&
	! LD_LIBRARY_PATH=$inst/opt/kite/lib $dir/app emu:/nonexistent"
check "make install PREFIX=/usr LIBDIR=multiarch: files where Debian puts them; uninstall leaves nothing; install builds no tests" bash -c "
	deb=$dir/debroot && ma=/usr/lib/\$(gcc -print-multiarch) &&
	make -s install BUILD=$B DESTDIR=\$deb PREFIX=/usr LIBDIR=\$ma >/dev/null &&
	[ -f \$deb\$ma/libkite.so.0 ] && [ -f \$deb\$ma/pkgconfig/kite.pc ] &&
	grep -qx \"libdir=\$ma\" \$deb\$ma/pkgconfig/kite.pc &&
	[ -f \$deb/usr/lib/udev/rules.d/60-kite.rules ] && [ ! -e \$deb/etc ] &&
	[ -f \$deb/usr/include/kite/version.h ] && [ -x \$deb/usr/bin/kite-clock-sync ] &&
	[ -f \$deb/usr/share/man/man1/kite-clock-sync.1 ] &&
	make -s uninstall DESTDIR=\$deb PREFIX=/usr LIBDIR=\$ma &&
	[ -z \"\$(find \$deb \\( -type f -o -type l \\) | tee /dev/stderr)\" ] &&
	! make -n install BUILD=$dir/fresh PREFIX=/usr 2>/dev/null | grep -E 'test_|e2e_client|hostile_client'"
check "libkite.so exports only kite_* symbols, 0.1's at KITE_0.1, kite_tx_inflight at KITE_0.2, kite_rx_recs and kite_rx_rec_frame at KITE_0.3; soname libkite.so.0" bash -c "
	objdump -T $B/libkite.so.0 | awk '\$2 == \"g\" {print \$(NF-1), \$NF}' >$dir/exports &&
	grep -q '^KITE_0.1 kite_open\$' $dir/exports && grep -q '^KITE_0.2 kite_tx_inflight\$' $dir/exports &&
	grep -q '^KITE_0.3 kite_rx_recs\$' $dir/exports &&
	grep -q '^KITE_0.3 kite_rx_rec_frame\$' $dir/exports &&
	! grep -v -e '^KITE_0.1 kite_' -e '^KITE_0.1 KITE_0.1\$' -e '^KITE_0.2 kite_tx_inflight\$' \
		-e '^KITE_0.2 KITE_0.2\$' -e '^KITE_0.3 kite_rx_recs\$' -e '^KITE_0.3 kite_rx_rec_frame\$' \
		-e '^KITE_0.3 KITE_0.3\$' $dir/exports &&
	objdump -p $B/libkite.so.0 | grep -q 'SONAME *libkite.so.0'"

check "kite.h from C++ (g++ -Wall -Wextra -Werror): the sized calls work, NULL is -EINVAL" bash -c "
	g++ -std=c++11 -Wall -Wextra -Werror -pedantic ${APP_CFLAGS:-} -Iinclude tests/cxx_app.cc \
		$B/libkite.a -o $dir/cxx_app -pthread -lm && $dir/cxx_app $dev >$dir/cxx.out &&
	grep -q '^emu 16$' $dir/cxx.out"

check "kite-pingpong through the daemon" "$B/kite-pingpong" -d "$dev" -n 2000 -W 100

# tools leave the card as they found it; a dead app's default queue is forgotten
pctrl() { "$B/kite-regs" -d "$dev" get P_CTRL[0] | awk '{print $3}'; }
before=$(pctrl)
check "kite-pingpong leaves P_CTRL[0] as it found it ($before)" bash -c "
	$B/kite-pingpong -d $dev -n 1000 -W 10 >/dev/null && [ \$($B/kite-regs -d $dev get P_CTRL[0] | awk '{print \$3}') = $before ]"
check "kite-capture --default gives the port back its default queue 3" bash -c "
	R='$B/kite-regs -d $dev'
	\$R set P_CTRL[0].DEFAULT_QUEUE=3 -y --no-commit >/dev/null 2>&1 &&
	\$R set P_CTRL[0].DEFAULT_EN=1 -y >/dev/null 2>&1 &&
	was=\$(\$R get P_CTRL[0] | awk '{print \$3}') &&
	$B/kite-capture -d $dev -q 9 --default -t 0.3 -w $dir/dflt.pcap 2>/dev/null &&
	[ \$(\$R get P_CTRL[0] | awk '{print \$3}') = \$was ] &&
	\$R set P_CTRL[0].DEFAULT_EN=0 -y >/dev/null 2>&1"
check "an app killed while its queue is the port's default: the default is switched off" bash -c "
	$B/kite-pingpong -d $dev -q 5 -n 100000000 -W 10 >/dev/null 2>&1 & p=\$!
	for i in \$(seq 100); do
		[ \$(( \$($B/kite-regs -d $dev get P_CTRL[0].DEFAULT_EN | awk '{print \$NF}' | tr -dc 0-9) )) = 1 ] && break
		sleep 0.1
	done
	kill -9 \$p; wait \$p 2>/dev/null
	for i in \$(seq 50); do [ \$($B/kite-regs -d $dev get P_CTRL[0] | awk '{print \$3}') = $before ] && exit 0; sleep 0.1; done
	$B/kite-regs -d $dev get P_CTRL[0]; exit 1"

check "a tool borrowing the default does not give it back to a queue whose owner died meanwhile" bash -c "
	R='$B/kite-regs -d $dev'
	$B/kite-pingpong -d $dev -q 5 -n 100000000 -W 10 >/dev/null 2>&1 & p=\$!
	for i in \$(seq 100); do
		[ \$(( \$(\$R get P_CTRL[0].DEFAULT_EN | awk '{print \$NF}' | tr -dc 0-9) )) = 1 ] && break
		sleep 0.1
	done
	$B/kite-capture -d $dev -q 9 --default -t 60 -w $dir/borrow.pcap 2>$dir/borrow.err & c=\$!
	for i in \$(seq 300); do grep -q capturing $dir/borrow.err && break; sleep 0.1; done
	kill -9 \$p; wait \$p 2>/dev/null
	kill -INT \$c; wait \$c
	# queue 5 has no owner now: unmatched frames must not be steered to it
	[ \$(\$R get P_CTRL[0] | awk '{print \$3}') = $before ] || { \$R get P_CTRL[0]; exit 1; }"

kill -TERM "$emu_pid"
wait "$emu_pid"
rc=$?
emu_pid=
check "kite-emu exits 0 on SIGTERM and removes its socket" bash -c "[ $rc = 0 ] && [ ! -e $sock ]"

echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
