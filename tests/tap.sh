#!/usr/bin/env bash
# Real kernel traffic through kite: kite-emu's port 0 is cabled to a TAP
# device moved into a network namespace this test creates (and removes), with
# a link-local address that exists only there. Bounded traffic, all inside it.
#  1. kite-capture on the kite side and tshark on the TAP see the same ICMP
#     echo requests (static ARP entry, nobody answers yet);
#  2. kite-responder answers: ping and a kernel UDP socket get replies.
# Ends with "tap: N passed, N failed". Needs root (netns, TAP).
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/kite-tap.XXXXXX)
ns=kite-e2e-$$
tap=ktap$$
dev=emu:$dir/emu.sock
host_ip=169.254.77.1
kite_ip=169.254.77.2
emu= pids=
logs="$dir/emu.log $dir/cap.log $dir/responder.log $dir/tshark.log"
. "$(dirname "$0")/lib.sh"
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ -n "$emu" ] && kill -TERM "$emu" 2>/dev/null && wait "$emu" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
finish() {
	echo "tap: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
inns() { ip netns exec "$ns" "$@"; }

if [ "$(id -u)" != 0 ]; then
	echo "FAIL - tap tests need root (network namespace, TAP device)" >&2
	fail=1
	finish
fi
check "create namespace $ns" ip netns add "$ns"
"$B/kite-emu" -s "$dir/emu.sock" --tap "$tap" >"$dir/emu.log" 2>&1 &
emu=$!
wait_for "$dir/emu.log" "port 0 on TAP" 10
check "kite-emu cables port 0 to TAP $tap" grep -q "port 0 on TAP $tap" "$dir/emu.log"
check "the TAP goes into the namespace, $host_ip/16, up" bash -c "
	ip link set $tap netns $ns &&
	ip netns exec $ns ip addr add $host_ip/16 dev $tap &&
	ip netns exec $ns ip link set $tap up && ip netns exec $ns ip link set lo up"
mac=$("$B/kite-regs" -d "$dev" get "P_MAC[0]" | awk '{print $3}' | sed 's/^0x0000//; s/../&:/g; s/:$//')
check "static ARP entry for the kite port ($mac)" ip netns exec "$ns" ip neigh add "$kite_ip" lladdr "$mac" dev "$tap"

# 1. both sides of the cable see the same frames
inns tshark -i "$tap" -f "icmp" -w "$dir/tap.pcap" -c 5 >"$dir/tshark.log" 2>&1 &
pids="$pids $!"
"$B/kite-capture" -d "$dev" -q 9 --ip "$kite_ip" -n 5 -t 60 -w "$dir/kite.pcap" 2>"$dir/cap.log" &
cap=$!
wait_for "$dir/cap.log" capturing 10
sleep 2	# tshark needs a moment before it captures
check "5 pings sent (unanswered yet)" bash -c "! ip netns exec $ns ping -c 5 -i 0.2 -W 1 $kite_ip"
wait "$cap"
sleep 1
check "kite-capture and tshark on the TAP saw the same 5 echo requests" bash -c "
	a=\$(tshark -r $dir/kite.pcap -T fields -e icmp.type -e icmp.seq -e ip.src -e ip.dst 2>/dev/null)
	b=\$(tshark -r $dir/tap.pcap -T fields -e icmp.type -e icmp.seq -e ip.src -e ip.dst 2>/dev/null)
	echo \"kite: \$a\"; echo \"tap: \$b\"
	[ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ] && [ \$(echo \"\$a\" | wc -l) = 5 ]"

# 2. the kite app answers real kernel traffic
inns ip neigh del "$kite_ip" dev "$tap"
"$B/kite-responder" -d "$dev" -a "$kite_ip/16" --udp 7000-7004 -t 60 >"$dir/responder.log" 2>&1 &
pids="$pids $!"
wait_for "$dir/responder.log" "kite-responder: $kite_ip" 10
check "ping gets answers from the kite app (ARP resolved by it)" ip netns exec "$ns" ping -c 5 -i 0.2 -W 2 "$kite_ip"
check "a kernel UDP socket gets its datagram echoed" ip netns exec "$ns" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(5):
    msg = b'kite udp %d' % i
    s.sendto(msg, ('$kite_ip', 7000 + i))
    data, addr = s.recvfrom(2048)
    assert data == msg and addr == ('$kite_ip', 7000 + i), (data, addr)
print('5 UDP echoes')"

# a jumbo frame longer than the port takes: counted as too long, with its real length
R="$B/kite-regs -d $dev"
reg() { $R get "$1" | awk '{print $3}'; }
check "port 0 MTU 9000 (kite-regs commits it)" bash -c "$R set P_MTU[0]=9000 -y 2>&1 | grep -q committed"
drop0=$(reg P_RX_DROP_MTU[0]) bytes0=$(reg P_RX_BYTES[0])
check "a 9442-byte frame from the kernel (TAP MTU 9500)" bash -c "
	ip netns exec $ns ip link set $tap mtu 9500 && ip netns exec $ns python3 -c \"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'j' * 9400, ('$kite_ip', 9))\""
check "it is counted in P_RX_DROP_MTU[0], with all 9442 bytes in P_RX_BYTES[0]" bash -c "
	for i in \$(seq 50); do [ \$(( \$($R get P_RX_DROP_MTU[0] | awk '{print \$3}') )) = \$(( $drop0 + 1 )) ] && break; sleep 0.1; done
	[ \$(( \$($R get P_RX_DROP_MTU[0] | awk '{print \$3}') )) = \$(( $drop0 + 1 )) ] &&
	[ \$(( \$($R get P_RX_BYTES[0] | awk '{print \$3}') - $bytes0 )) -ge 9442 ]"
# a burst faster than the model's TAP queue holds: what the kernel drops is the
# card's P_RX_DROP_OVERRUN, and every frame is counted on one side or the other
rx0=$(reg P_RX_PKTS[0]) ov0=$(reg P_RX_DROP_OVERRUN[0])
read -r ktx0 kdrop0 < <(ip netns exec "$ns" awk -v t="$tap:" '$1 == t {print $11, $13}' /proc/net/dev)
check "bursts of 30000 frames into a TAP queue of 4 until the kernel drops some" bash -c "
	ip netns exec $ns ip link set $tap txqueuelen 4 && ip netns exec $ns python3 -c \"
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('$tap', 0))
f = bytes.fromhex('ffffffffffff026b6974650988b5') + bytes(50)

def dropped():
    for line in open('/proc/net/dev'):
        if line.split(':')[0].strip() == '$tap':
            return int(line.split(':')[1].split()[11])

before = dropped()
for burst in range(20):  # a fast model may keep up with a slow sender for a while
    for i in range(30000):
        try:
            s.send(f)
        except OSError:
            pass
    if dropped() > before:
        break
assert dropped() > before, 'the model kept up with every burst'\""
check "the kernel's drops are the card's P_RX_DROP_OVERRUN[0], and received + overrun = sent" bash -c "
	for i in \$(seq 50); do
		read -r ktx kdrop < <(ip netns exec $ns awk -v t='$tap:' '\$1 == t {print \$11, \$13}' /proc/net/dev)
		rx=\$(( \$($R get P_RX_PKTS[0] | awk '{print \$3}') - $rx0 ))
		ov=\$(( \$($R get P_RX_DROP_OVERRUN[0] | awk '{print \$3}') - $ov0 ))
		[ \$ov -gt 0 ] && [ \$ov = \$((kdrop - $kdrop0)) ] &&
		[ \$((rx + ov)) = \$((ktx - $ktx0 + kdrop - $kdrop0)) ] && {
			echo \"sent \$((ktx - $ktx0 + kdrop - $kdrop0)), received \$rx, overrun \$ov\"; exit 0; }
		sleep 0.1
	done
	echo \"kernel tx \$((ktx - $ktx0)) dropped \$((kdrop - $kdrop0)); card rx \$rx overrun \$ov\"; exit 1"
finish
