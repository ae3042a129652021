#!/usr/bin/env bash
# The main job: kite-pingpong on the NIC model. Measures the floor (a raw
# cache-line ping-pong between CPU 0 and CPU 1) first, then starts kite-emu on
# CPU 1, runs kite-pingpong on CPU 0 (descriptor, PIO and contract 1.3 stream
# paths), stops kite-emu.
set -u
B=${1:-build}
N=${KITE_DEMO_ITERS:-1000000}
dir=$(mktemp -d /tmp/kite-demo.XXXXXX)
sock=$dir/emu.sock
emu=
cleanup() {
	[ -n "$emu" ] && kill -TERM "$emu" 2>/dev/null && wait "$emu"
	rm -rf "$dir"
}
trap cleanup EXIT
cpus=$(nproc)
peer=$((cpus > 1 ? 1 : 0))

echo "== floor: cache-line ping-pong, CPU 0 <-> CPU $peer"
"$B/kite-pingpong" --no-device --floor -c 0 -C "$peer" -n "$N" | tail -n +3
echo
echo "== kite: kite-pingpong on CPU 0, kite-emu on CPU $peer"
"$B/kite-emu" -s "$sock" -c "$peer" &
emu=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
"$B/kite-pingpong" -d "emu:$sock" -c 0 -n "$N"
