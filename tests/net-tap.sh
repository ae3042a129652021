#!/usr/bin/env bash
# kite-net against the real Linux kernel: kite-emu's port 0 is cabled to a TAP
# device moved into a network namespace this test creates (and removes), and
# the kernel there is the peer (as tests/tap.sh; link-local addresses that
# exist only in the namespace). Each phase runs one kite-net application,
# with tshark capturing the TAP and kite-net's counters in a stats file:
#  A. net_client sends to the kernel: ARP from kite-net's side (the first
#     send is -EAGAIN), datagrams byte-exact in a kernel socket;
#  B. kite-responder: the kernel resolves it and pings it, UDP echo byte-exact
#     up to 1472 bytes, fragments dropped and counted, port unreachable and
#     its rate limit, and crafted frames from an AF_PACKET socket
#     (tests/net_tap.py inject): each counted in its drop_* counter and never
#     answered, or answered exactly as it should be;
#  C. net_client joins groups: IGMPv3 reports, multicast delivery (and none
#     for groups not joined), answers to v3/v2 queries, leaves;
#  D. kite-sockperf answers Debian's sockperf ping-pong client; the same run
#     against `sockperf server` over a veth pair (two more namespaces) for
#     comparison (informational);
#  E. tshark re-reads every capture: no malformed frame, no bad checksum, no
#     expert warning in anything kite-net sent (the checker is tested first
#     on frames made bad on purpose).
# Ends with "net-tap: N passed, N failed". Needs root (netns, TAP), tshark,
# sockperf, python3 (tools/with-deps.sh installs them for make check).
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/kite-net-tap.XXXXXX)
ns=kite-nt-$$ nsa=kite-nta-$$ nsb=kite-ntb-$$
tap=kntap$$ va=knva$$ vb=knvb$$
dev=emu:$dir/emu.sock
host_ip=169.254.77.1 kite_ip=169.254.77.2
va_ip=169.254.78.1 vb_ip=169.254.78.2
st=$dir/net.stats
fake_mac=02:6e:65:74:00:01	# tests/net_tap.py's injector station
emu= pids= caps=
logs="$dir/emu.log"
PY="python3 tests/net_tap.py"
WAIT=120	# seconds: every wait's bound (they end as soon as what they wait for happens)
. "$(dirname "$0")/lib.sh"
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -n "$emu" ] && kill -TERM "$emu" 2>/dev/null && wait "$emu" 2>/dev/null
	for n in "$ns" "$nsa" "$nsb"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
finish() {
	echo "net-tap: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
inns() { ip netns exec "$ns" "$@"; }
NS="ip netns exec $ns"	# for check, which runs programs (not functions)
info() { echo "# $*" >&2; }

# run NAME CMD...: in the background, output in $dir/NAME.log (shown when a check
# fails); $last is its pid (CMD is a program, not a function: stop signals that pid)
run() {
	local name=$1
	shift
	"$@" >"$dir/$name.log" 2>&1 &
	last=$!
	pids="$pids $last"
	logs="$logs $dir/$name.log"
}
# stop_wait PID: its exit status in $rc, once it ends by itself (SIGKILL after $WAIT s)
stop_wait() {
	local i
	for ((i = 0; i < WAIT * 10; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	rc=$?
}
# stop PID: SIGTERM, and wait for it (SIGKILL if it does not go in $WAIT s)
stop() {
	local i
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < WAIT * 10; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
# frames in a capture matching a display filter (decoded as data on the test's ports:
# they must not be parsed as the protocols Wireshark registers there, e.g. AFS on 7000)
tsh() {
	local f=$1
	shift
	tshark -r "$f" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-d udp.port==7000,data -d udp.port==7001,data -d udp.port==5000,data \
		-d udp.port==5001,data -d udp.port==5555,data -d udp.port==6000,data \
		-d udp.port==9998,data -d udp.port==9999,data -d udp.port==11111,data \
		-d udp.port==40000,data "$@" 2>/dev/null
}
tcount() { tsh "$1" -Y "$2" | wc -l; }
# sentinel PCAP NAME: a frame nobody answers, sent until the capture has it (so the
# capture runs, or has everything before it). Only while no kite-net app runs.
sentinel() {
	local i
	for ((i = 0; i < WAIT * 2; i++)); do
		inns $PY sentinel "$tap" "$2"
		[ "$(tcount "$1" "frame contains \"sentinel $2\"")" -gt 0 ] && return 0
		sleep 0.5
	done
	return 1
}
tx_pkts() { echo $(( $("$B/kite-regs" -d "$dev" get "P_TX_PKTS[0]" | awk '{print $3}') )); }
cap_pid= cap_tx0=
# cap_start NAME: tshark on the TAP into $dir/NAME.pcapng, running when this returns
cap_start() {
	ip netns exec "$ns" tshark -i "$tap" -w "$dir/$1.pcapng" >"$dir/$1.tshark.log" 2>&1 &
	cap_pid=$!
	pids="$pids $cap_pid"
	caps="$caps $1"
	wait_for "$dir/$1.tshark.log" "Capturing on" $WAIT
	sentinel "$dir/$1.pcapng" "$1-start"
	cap_tx0=$(tx_pkts)
}
# cap_stop NAME (its application stopped): once the capture holds every frame the
# card sent since cap_start (P_TX_PKTS[0]) and what the kernel sent, stop it
cap_stop() {
	local i sent
	for ((i = 0; i < WAIT; i++)); do
		sent=$(( $(tx_pkts) - cap_tx0 ))
		[ "$(tcount "$dir/$1.pcapng" "eth.src == $mac")" -ge "$sent" ] && break
		sleep 1
	done
	sentinel "$dir/$1.pcapng" "$1-end"
	stop "$cap_pid"
}
stat_of() { $PY stats "$st" "$1" | awk '{print $2}'; }
# wait_stat NAME MIN: until kite-net's counter NAME reaches MIN
wait_stat() {
	local i
	for ((i = 0; i < WAIT * 10; i++)); do
		[ "$(stat_of "$1" 2>/dev/null || echo 0)" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$1 is $(stat_of "$1" 2>&1), waited for $2"
	return 1
}
export -f tsh tcount stat_of wait_stat
export PY st WAIT

if [ "$(id -u)" != 0 ]; then
	echo "FAIL - net-tap tests need root (network namespaces, TAP device)" >&2
	fail=1
	finish
fi
for t in tshark sockperf python3; do
	if ! command -v "$t" >/dev/null; then
		echo "FAIL - $t is missing (bash tools/with-deps.sh make check installs it)" >&2
		fail=1
		finish
	fi
done
start_time=$SECONDS

check "create namespace $ns (IPv6 off: only the test's frames on the wire)" bash -c "
	ip netns add $ns && ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1"
"$B/kite-emu" -s "$dir/emu.sock" --tap "$tap" >"$dir/emu.log" 2>&1 &
emu=$!
wait_for "$dir/emu.log" "port 0 on TAP" $WAIT
check "kite-emu cables port 0 to TAP $tap" grep -q "port 0 on TAP $tap" "$dir/emu.log"
check "the TAP goes into the namespace, $host_ip/16, up" bash -c "
	ip link set $tap netns $ns &&
	ip netns exec $ns sysctl -qw net.ipv6.conf.$tap.disable_ipv6=1 &&
	ip netns exec $ns ip addr add $host_ip/16 dev $tap &&
	ip netns exec $ns ip link set $tap up && ip netns exec $ns ip link set lo up"
mac=$("$B/kite-regs" -d "$dev" get "P_MAC[0]" | awk '{print $3}' | sed 's/^0x0000//; s/../&:/g; s/:$//')
mtu=$(( $("$B/kite-regs" -d "$dev" get "P_MTU[0]" | awk '{print $3}') ))
info "kite port 0: MAC $mac, MTU $mtu; kernel side $host_ip on $tap in $ns"
check "the card port's MTU is 1500, as the TAP's" [ "$mtu" = 1500 ]
export mac kite_ip host_ip

# ---- A. kite-net resolves the kernel --------------------------------------
cap_start a
check "the kernel has no neighbour entry for $kite_ip (nothing static)" bash -c "
	[ -z \"\$(ip netns exec $ns ip neigh show $kite_ip)\" ]"
run recv ip netns exec "$ns" $PY recv "$host_ip" 6000 5 200 "$kite_ip" "$dir/recv.ready"
recv=$last
for ((i = 0; i < WAIT * 10; i++)); do [ -e "$dir/recv.ready" ] && break; sleep 0.1; done
run client-send "$B/net_client" -d "$dev" -a "$kite_ip/16" -s "$st" send "$host_ip" 6000 5 200
client=$last
wait_for "$dir/client-send.log" "^sent 5" $WAIT
check "kite-net's first send to the kernel returns -EAGAIN (ARP pending)" \
	grep -qx "first send: -11 (EAGAIN)" "$dir/client-send.log"
check "then all 5 sends succeed" grep -qx "sent 5" "$dir/client-send.log"
stop_wait "$recv"
check "the kernel's UDP socket receives the 5 datagrams byte-exact, from $kite_ip:5555" \
	bash -c "cat $dir/recv.log; exit $rc"
check "kite-net counted the resolution: tx_no_arp, arp_requests_tx, arp_replies_rx" bash -c "
	$PY stats $st tx_no_arp arp_requests_tx arp_replies_rx &&
	[ \$(stat_of tx_no_arp) -ge 1 ] && [ \$(stat_of arp_requests_tx) -ge 2 ] &&
	[ \$(stat_of arp_replies_rx) -ge 1 ]"
stop "$client"
check "kite-net gives up on an address nobody answers: -EHOSTUNREACH after its ARP retries" bash -c "
	! $B/net_client -d $dev -a $kite_ip/16 send 169.254.77.50 6000 1 10 >$dir/noarp.log 2>&1
	cat $dir/noarp.log
	grep -qx 'first send: -11 (EAGAIN)' $dir/noarp.log && grep -q 'send 0: -113: ' $dir/noarp.log"
cap_stop a
check "capture: kite-net's gratuitous ARP, its request for $host_ip, the kernel's reply" bash -c "
	tsh $dir/a.pcapng -Y arp -T fields -e eth.src -e eth.dst -e _ws.col.Info
	[ \$(tcount $dir/a.pcapng 'eth.src == $mac && eth.dst == ff:ff:ff:ff:ff:ff && arp.opcode == 1 && arp.src.proto_ipv4 == $kite_ip && arp.dst.proto_ipv4 == $kite_ip') -ge 1 ] &&
	[ \$(tcount $dir/a.pcapng 'eth.src == $mac && eth.dst == ff:ff:ff:ff:ff:ff && arp.opcode == 1 && arp.src.hw_mac == $mac && arp.dst.proto_ipv4 == $host_ip') -ge 1 ] &&
	[ \$(tcount $dir/a.pcapng 'eth.dst == $mac && arp.opcode == 2 && arp.src.proto_ipv4 == $host_ip && arp.dst.hw_mac == $mac') -ge 1 ]"
check "capture: 3 ARP requests for the silent 169.254.77.50, a second apart, and no datagram to it" bash -c "
	tsh $dir/a.pcapng -Y 'arp.dst.proto_ipv4 == 169.254.77.50' -T fields -e frame.time_relative -e _ws.col.Info
	[ \$(tcount $dir/a.pcapng 'eth.src == $mac && eth.dst == ff:ff:ff:ff:ff:ff && arp.opcode == 1 && arp.dst.proto_ipv4 == 169.254.77.50') = 3 ] &&
	[ \$(tcount $dir/a.pcapng 'ip.dst == 169.254.77.50') = 0 ]"
check "capture: the 5 datagrams from kite-net to the kernel, after the ARP reply" bash -c "
	[ \$(tcount $dir/a.pcapng 'eth.src == $mac && ip.src == $kite_ip && udp.srcport == 5555 && udp.dstport == 6000 && udp.length == 208') = 5 ]"

# ---- B. kite-responder: ping, UDP, fragments, unreachables, crafted frames --
cap_start b
inns ip neigh flush dev "$tap"
check "the kernel forgot $kite_ip (phase A's ARP taught it)" bash -c "
	[ -z \"\$(ip netns exec $ns ip neigh show $kite_ip | grep -v FAILED)\" ]"
run responder "$B/kite-responder" -d "$dev" -a "$kite_ip/16" --udp 7000-7001 --stats "$st"
responder=$last
wait_for "$dir/responder.log" "kite-responder: $kite_ip" $WAIT
check "ping from the kernel gets replies (it resolves $kite_ip by ARP)" \
	$NS ping -c 3 -i 0.2 -W 10 "$kite_ip"
check "the kernel's neighbour entry for $kite_ip is kite's MAC, learned (not permanent)" bash -c "
	ip netns exec $ns ip neigh show $kite_ip
	ip netns exec $ns ip neigh show $kite_ip | grep -q 'lladdr $mac' &&
	! ip netns exec $ns ip neigh show $kite_ip | grep -q PERMANENT"
check "a kernel UDP socket: 0..1472-byte datagrams to port 7000 echoed byte-exact" \
	$NS $PY udp-echo "$kite_ip" 7000 0 1 18 64 100 512 1000 1471 1472
check "and to port 7001 (the second socket)" $NS $PY udp-echo "$kite_ip" 7001 1472 1 300
check "64 datagrams at once, small (PIO) and large in turn: all echoed, in order, byte-exact" \
	$NS $PY burst-echo "$st" "$kite_ip" 7000 64
check "ping -s 1472 (full 1500-byte packets) gets replies" $NS ping -c 2 -i 0.2 -W 10 -s 1472 "$kite_ip"
check "ping -s 1473 (fragmented by the kernel): no reply, both fragments in drop_fragment" bash -c "
	f0=\$(stat_of drop_fragment)
	! ip netns exec $ns ping -c 1 -W 3 -s 1473 $kite_ip && wait_stat drop_fragment \$((f0 + 2))"
check "1473 and 4000 bytes (fragmented by the kernel): drop_fragment, never answered" \
	$NS $PY frag "$st" "$kite_ip" 7000 1473 4000
check "the socket still echoes 1472 bytes after them" $NS $PY udp-echo "$kite_ip" 7000 1472
check "a closed port: port unreachable, the connected kernel socket gets ECONNREFUSED" \
	$NS $PY unreach "$kite_ip" 9999 13
check "and for a 1472-byte datagram (the unreachable quotes at most 548 bytes)" \
	$NS $PY unreach "$kite_ip" 9999 1472
check "100 datagrams to a closed port: unreachables rate limited, the rest icmp_unreach_limited" \
	$NS $PY burst "$st" "$tap" "$kite_ip" 9998 100
info "  $(tail -1 "$dir/out")"
answered=$(inns $PY inject "$st" "$tap" list-answered)
# one python process sends them all (a line each in inject.out), one check each
timeout 3600 ip netns exec "$ns" $PY inject "$st" "$tap" all "$dir/inject.out" >"$dir/inject.log" 2>&1
for c in $(inns $PY inject "$st" "$tap" list); do
	check "crafted frame: $c" bash -c "cat $dir/inject.log; grep '^$c ' $dir/inject.out; grep -q '^$c ok ' $dir/inject.out"
done
positive=$(echo "$answered" | wc -w)
check "the crafted frames ran: over 70 of them, $positive to be answered" bash -c "
	[ \$(ip netns exec $ns $PY inject $st $tap list | wc -l) -gt 70 ] && [ $positive -ge 10 ]"
check "kite-stat --net reads the same counters from the stats file" bash -c "
	$B/kite-stat --net $st --all --json >$dir/kite-stat.json && $PY kite-stat-json $st $dir/kite-stat.json"
stop "$responder"
cap_stop b
check "capture: the kernel's ARP request for $kite_ip, answered from kite's MAC" bash -c "
	[ \$(tcount $dir/b.pcapng 'eth.dst == ff:ff:ff:ff:ff:ff && arp.opcode == 1 && arp.src.proto_ipv4 == $host_ip && arp.dst.proto_ipv4 == $kite_ip') -ge 1 ] &&
	[ \$(tcount $dir/b.pcapng 'eth.src == $mac && arp.opcode == 2 && arp.src.hw_mac == $mac && arp.src.proto_ipv4 == $kite_ip && arp.dst.proto_ipv4 == $host_ip') -ge 1 ]"
check "capture: port unreachables quote the datagram within 576 bytes (RFC 1812)" bash -c "
	tsh $dir/b.pcapng -Y 'eth.src == $mac && icmp.type == 3' -T fields -e ip.len -e icmp.code | sort | uniq -c
	[ \$(tcount $dir/b.pcapng 'eth.src == $mac && icmp.type == 3 && icmp.code == 3 && ip.len#1 == 576 && ip.dsfield#1 == 0xc0') = 1 ] &&
	[ \$(tcount $dir/b.pcapng 'eth.src == $mac && icmp.type == 3 && (ip.len#1 > 576 || icmp.code != 3)') = 0 ]"
check "capture: kite answered the crafted frames exactly $positive times, and nothing else to them" bash -c "
	tsh $dir/b.pcapng -Y 'eth.src == $mac && eth.dst == $fake_mac'
	[ \$(tcount $dir/b.pcapng 'eth.src == $mac && eth.dst == $fake_mac') = $positive ]"
check "capture: kite sent no broadcast or multicast but its gratuitous ARP" bash -c "
	tsh $dir/b.pcapng -Y 'eth.src == $mac && eth.dst.ig == 1'
	[ \$(tcount $dir/b.pcapng 'eth.src == $mac && eth.dst.ig == 1 && !(arp.opcode == 1 && arp.src.proto_ipv4 == $kite_ip && arp.dst.proto_ipv4 == $kite_ip)') = 0 ]"

# ---- C. multicast: IGMP and group delivery --------------------------------
g=239.1.2.3 g2=239.1.2.5 g3=239.1.2.9
cap_start c
run client-join "$B/net_client" -d "$dev" -a "$kite_ip/16" -s "$st" join 5000 "$g"
client=$last
wait_for "$dir/client-join.log" "^joined 1" $WAIT
check "join $g: two unsolicited IGMP reports (robustness 2)" bash -c "wait_stat igmp_reports_tx 2"
check "a kernel socket's datagrams to $g:5000 (IP_MULTICAST_IF) reach the kite-net socket, echoed byte-exact" \
	$NS $PY mcast "$st" "$host_ip" "$g" 5000 1 100 1472
check "a datagram to 239.1.2.4:5000 (not joined) is not delivered" \
	$NS $PY mcast-none "$st" "$host_ip" 239.1.2.4 5000 drop_not_ours
check "a datagram to $g:5001 (no socket) is dropped, and no port unreachable for a group" \
	$NS $PY mcast-none "$st" "$host_ip" "$g" 5001 drop_no_port
check "an IGMPv3 general query is answered with an IGMPv3 report" \
	$NS $PY igmp-query "$st" "$tap" "$host_ip" v3-general "$g"
check "an IGMPv3 query for $g is answered with a report for $g" \
	$NS $PY igmp-query "$st" "$tap" "$host_ip" v3-group "$g"
check "an IGMPv3 query from 0.0.0.0 (a bridge's querier) is answered too" \
	$NS $PY igmp-query "$st" "$tap" "$host_ip" v3-general-from-0 "$g"
r0=$(stat_of igmp_reports_tx)
kill -USR1 "$client"
wait_for "$dir/client-join.log" "^left" $WAIT
check "leave $g: two IGMP leave reports" bash -c "wait_stat igmp_reports_tx $((r0 + 2))"
check "after the leave, datagrams to $g:5000 are not delivered" \
	$NS $PY mcast-none "$st" "$host_ip" "$g" 5000 drop_not_ours
stop "$client"
run client-join2 "$B/net_client" -d "$dev" -a "$kite_ip/16" -s "$st" join 5000 "$g2"
client=$last
wait_for "$dir/client-join2.log" "^joined 1" $WAIT
check "join $g2: two IGMPv3 reports" bash -c "wait_stat igmp_reports_tx 2"
check "an IGMPv2 query: kite-net answers in IGMPv2" \
	$NS $PY igmp-query "$st" "$tap" "$host_ip" v2-general "$g2"
stop "$client"	# closing the interface leaves $g2 (IGMPv2 now: a leave to 224.0.0.2)
check "net_client closed cleanly" grep -q "^rx " "$dir/client-join2.log"
rm -f "$dir/recv.ready"
run recv-group ip netns exec "$ns" $PY recv "$g3" 6001 3 100 "$kite_ip" "$dir/recv.ready" "$host_ip"
recv=$last
for ((i = 0; i < WAIT * 10; i++)); do [ -e "$dir/recv.ready" ] && break; sleep 0.1; done
run client-send-group "$B/net_client" -d "$dev" -a "$kite_ip/16" send "$g3" 6001 3 100
client=$last
wait_for "$dir/client-send-group.log" "^sent 3" $WAIT
check "kite-net sends to a group at once (no ARP: the group's MAC)" \
	grep -qx "first send: 0" "$dir/client-send-group.log"
stop_wait "$recv"
check "a kernel socket that joined $g3 receives kite-net's 3 datagrams byte-exact" \
	bash -c "cat $dir/recv-group.log; exit $rc"
stop "$client"
cap_stop c
igmp_from_kite="eth.src == $mac && ip.src == $kite_ip && ip.ttl == 1 && ip.opt.ra && ip.dsfield == 0xc0"
check "capture: IGMPv3 joins for $g: 2 reports CHANGE_TO_EXCLUDE to 224.0.0.22 (TTL 1, Router Alert)" bash -c "
	tsh $dir/c.pcapng -Y igmp -T fields -e eth.src -e ip.dst -e igmp.type -e igmp.record_type -e igmp.maddr
	[ \$(tcount $dir/c.pcapng '$igmp_from_kite && ip.dst == 224.0.0.22 && eth.dst == 01:00:5e:00:00:16 && igmp.type == 0x22 && igmp.record_type == 4 && igmp.maddr == $g') = 2 ]"
check "capture: the three v3 queries answered, MODE_IS_EXCLUDE $g" bash -c "
	[ \$(tcount $dir/c.pcapng '$igmp_from_kite && ip.dst == 224.0.0.22 && igmp.type == 0x22 && igmp.record_type == 2 && igmp.maddr == $g') = 3 ]"
check "capture: the leave of $g: 2 reports CHANGE_TO_INCLUDE" bash -c "
	[ \$(tcount $dir/c.pcapng '$igmp_from_kite && ip.dst == 224.0.0.22 && igmp.type == 0x22 && igmp.record_type == 3 && igmp.maddr == $g') = 2 ]"
check "capture: $g2 reported in IGMPv2 to its group after the v2 query" bash -c "
	[ \$(tcount $dir/c.pcapng '$igmp_from_kite && ip.dst == $g2 && eth.dst == 01:00:5e:01:02:05 && igmp.type == 0x16 && igmp.maddr == $g2') = 1 ]"
check "capture: closing the interface left $g2 with an IGMPv2 leave to 224.0.0.2" bash -c "
	tsh $dir/c.pcapng -Y 'igmp.maddr == $g2' -T fields -e frame.time_relative -e ip.dst -e igmp.type
	[ \$(tcount $dir/c.pcapng '$igmp_from_kite && ip.dst == 224.0.0.2 && igmp.type == 0x17 && igmp.maddr == $g2') -ge 1 ]"
check "capture: kite-net's datagrams to $g3: its group MAC, TTL 1 (the multicast default)" bash -c "
	[ \$(tcount $dir/c.pcapng 'eth.src == $mac && eth.dst == 01:00:5e:01:02:09 && ip.dst == $g3 && ip.ttl == 1 && udp.dstport == 6001') = 3 ]"
check "capture: kite sent no IGMP for any other group, and no datagram to another group" bash -c "
	tsh $dir/c.pcapng -Y 'eth.src == $mac && (igmp && !(igmp.maddr == $g || igmp.maddr == $g2) || ip.dst >= 224.0.0.0 && udp && ip.dst != $g3)'
	[ \$(tcount $dir/c.pcapng 'eth.src == $mac && (igmp && !(igmp.maddr == $g || igmp.maddr == $g2) || ip.dst >= 224.0.0.0 && udp && ip.dst != $g3)') = 0 ]"

# ---- D. sockperf: kite-sockperf, and the kernel over veth -----------------
SP_ARGS="-t 3 -m 64 --mps=5000"
cap_start d
run sockperf-kite "$B/kite-sockperf" -d "$dev" -a "$kite_ip/16" --stats "$st"
ksp=$last
wait_for "$dir/sockperf-kite.log" "kite-sockperf: $kite_ip" $WAIT
check "kite-sockperf: pong requests answered with the client flag cleared, nothing else answered" \
	$NS $PY sockperf-proto "$st" "$tap" "$kite_ip" 11111
# shellcheck disable=SC2086
check "sockperf ping-pong $SP_ARGS against kite-sockperf: a latency summary, nothing dropped" bash -c "
	ip netns exec $ns sockperf ping-pong -i $kite_ip -p 11111 $SP_ARGS >$dir/sp-kite.out 2>&1; e=\$?
	cat $dir/sp-kite.out; [ \$e = 0 ] &&
	grep -q 'Summary: Latency is [0-9.]* usec' $dir/sp-kite.out &&
	grep -q '# dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0' $dir/sp-kite.out &&
	grep -Eq 'Valid Duration.*ReceivedMessages=[1-9]' $dir/sp-kite.out"
stop "$ksp"
check "kite-sockperf counted the protocol test: 1 warm-up, 1 no pong, 1 no client flag, 8 malformed" \
	grep -q "ignored 1 warm-up, 1 without pong request, 1 without client flag; malformed 8 (2 short, 5 bad length, 1 from port 0); 0 replies not sent" \
	"$dir/sockperf-kite.log"
check "kite-sockperf replied to every request of sockperf's run (and the protocol test's 14)" bash -c "
	sent=\$(sed -n 's/.*\[Total Run\].*SentMessages=\([0-9]*\);.*/\1/p' $dir/sp-kite.out)
	replied=\$(sed -n 's/^kite-sockperf: replied \([0-9]*\);.*/\1/p' $dir/sockperf-kite.log)
	echo \"sockperf sent \$sent, kite-sockperf replied \$replied\"
	[ -n \"\$sent\" ] && [ \"\$replied\" = \$((sent + 14)) ]"
cap_stop d
kill -TERM "$emu" 2>/dev/null && wait "$emu" 2>/dev/null	# its polling core back for the kernel run
emu=

check "veth pair $va/$vb between namespaces $nsa and $nsb, $va_ip and $vb_ip" bash -c "
	ip netns add $nsa && ip netns add $nsb &&
	for n in $nsa $nsb; do ip netns exec \$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 && ip netns exec \$n ip link set lo up || exit 1; done &&
	ip link add $va netns $nsa type veth peer name $vb netns $nsb &&
	ip netns exec $nsa ip addr add $va_ip/24 dev $va && ip netns exec $nsa ip link set $va up &&
	ip netns exec $nsb ip addr add $vb_ip/24 dev $vb && ip netns exec $nsb ip link set $vb up"
run sockperf-kernel ip netns exec "$nsb" sockperf server -i "$vb_ip" -p 11111
ksrv=$last
for ((i = 0; i < WAIT * 10; i++)); do
	ip netns exec "$nsb" ss -Hlun 2>/dev/null | grep -q ":11111 " && break
	sleep 0.1
done
# shellcheck disable=SC2086
check "sockperf ping-pong $SP_ARGS against sockperf server in the kernel (veth): a latency summary" bash -c "
	ip netns exec $nsa sockperf ping-pong -i $vb_ip -p 11111 $SP_ARGS >$dir/sp-kernel.out 2>&1; e=\$?
	cat $dir/sp-kernel.out; [ \$e = 0 ] && grep -q 'Summary: Latency is [0-9.]* usec' $dir/sp-kernel.out"
stop "$ksrv"
sp_line() {
	[ -f "$1" ] || { echo "no result"; return; }
	awk '/Summary: Latency is/ {avg = $(NF-1)} /percentile 50.000/ {p50 = $NF}
	     /percentile 99.000/ {p99 = $NF} /<MAX> observation/ {mx = $NF}
	     /Valid Duration/ {for (i = 1; i <= NF; i++) if ($i ~ /^ReceivedMessages=/) n = substr($i, 18)}
	     END {printf "%s round trips, one-way latency avg %s us, p50 %s, p99 %s, max %s\n", n, avg, p50, p99, mx}' "$1"
}
info "sockperf ping-pong $SP_ARGS (informational, same host, shared cores):"
info "  kite-sockperf on kite-net (via kite-emu and a TAP): $(sp_line "$dir/sp-kite.out")"
info "  sockperf server in the Linux kernel (veth):        $(sp_line "$dir/sp-kernel.out")"

# ---- E. everything kite-net sent, re-read by tshark ------------------------
bad_filter="eth.src == $mac && (_ws.malformed || _ws.expert.severity >= 0x00600000 || ip.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0 || igmp.checksum.status == 0)"
check "the checker flags frames with bad IP/UDP/ICMP/IGMP checksums and a cut frame (self-test)" bash -c "
	python3 tests/net_tap.py checker-pcap $dir/bad.pcap $mac &&
	tsh $dir/bad.pcap -Y '$bad_filter' -T fields -e frame.number -e _ws.col.Info
	[ \$(tcount $dir/bad.pcap '$bad_filter') = 5 ]"
for c in $caps; do
	check "capture $c: kite-net's frames ($(tcount "$dir/$c.pcapng" "eth.src == $mac")) have good checksums, none malformed, no expert warning" bash -c "
		tsh $dir/$c.pcapng -Y '$bad_filter' -T fields -e frame.number -e _ws.col.Protocol -e _ws.col.Info -e _ws.expert.message
		[ \$(tcount $dir/$c.pcapng 'eth.src == $mac') -gt 0 ] && [ \$(tcount $dir/$c.pcapng '$bad_filter') = 0 ]"
done
check "no frame in any capture came from a broadcast or multicast MAC (but the injector's own test frame)" bash -c "
	for c in $caps; do
		tsh $dir/\$c.pcapng -Y 'eth.src.ig == 1 && eth.src != 01:00:5e:00:00:05'
		[ \$(tcount $dir/\$c.pcapng 'eth.src.ig == 1 && eth.src != 01:00:5e:00:00:05') = 0 ] || exit 1
	done"
check "no sanitizer report in the kite-net applications' logs" bash -c "
	! grep -E 'Sanitizer|runtime error:' $logs"
info "net-tap took $((SECONDS - start_time)) s"
finish
