#!/usr/bin/env bash
# make bench: every figure of bench/README.md from one run, side by side on
# the same two cores (the app on CPU 0, its peer: the model, the echo thread
# or the floor's partner, on CPU 1). Prints one table, writes it as JSON.
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
N=${KITE_BENCH_ITERS:-1000000}
out=$B/bench
json=$B/bench.json
mkdir -p "$out"
rm -f "$out"/*.json
emu=
sock=$out/emu.sock
cleanup() { [ -n "$emu" ] && kill -TERM "$emu" 2>/dev/null && wait "$emu" 2>/dev/null; }
trap cleanup EXIT
peer=$(($(nproc) > 1 ? 1 : 0))

echo "kite bench, $(date -u +%Y-%m-%dT%H:%MZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, app on CPU 0, peer on CPU $peer"
echo "round trips per latency figure: $N (after warm-up)"
"$B/kite-pingpong" --no-device --floor -c 0 -C "$peer" -n "$N" --json "$out/floor1.json" | sed -n 2p

"$B/kite-emu" -s "$sock" -c "$peer" 2>"$out/emu.log" &
emu=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
"$B/kite-pingpong" -d "emu:$sock" -c 0 -n "$N" --json "$out/kite.json" --breakdown 2>/dev/null \
	>"$out/kite.txt" || { cat "$out/kite.txt"; exit 1; }
for b in 1 8 32 64; do
	"$B/kite-throughput" -d "emu:$sock" -b "$b" -t 2 -c 0 --json "$out/tput$b.json" \
		2>/dev/null >"$out/tput$b.txt"
done
for b in 1 32; do	# the 1.3 forwarder: kite_rx_recs + kite_tx_forward_next, in place
	"$B/kite-throughput" -d "emu:$sock" -b "$b" -t 2 -c 0 --stream \
		--json "$out/tput-stream$b.json" 2>/dev/null >"$out/tput-stream$b.txt"
done
kill -TERM "$emu"
wait "$emu"
emu=
# kite-net: UDP echo through the stack vs a raw PIO echo, port 0 to port 1 and back
"$B/kite-emu" -s "$sock" -c "$peer" --wire pair 2>"$out/emu-pair.log" &
emu=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
"$B/kite-net-rtt" -d "emu:$sock" -c 0 -n "$((N / 4))" --json "$out/net.json" 2>/dev/null \
	>"$out/net.txt" || { cat "$out/net.txt"; exit 1; }
kill -TERM "$emu"
wait "$emu"
emu=
# the floor again, right after: noise only ever inflates it, the lower run counts
"$B/kite-pingpong" --no-device --floor -c 0 -C "$peer" -n "$N" --json "$out/floor2.json" >/dev/null

"$B/udp-pingpong" -c 0 -C "$peer" -n "$((N / 4))" --json "$out/udp-block.json" >/dev/null
"$B/udp-pingpong" -c 0 -C "$peer" -n "$N" --busy --json "$out/udp-busy.json" >/dev/null
for b in 1 32; do
	bash bench/ipp.sh "$B" "$b" desc >"$out/ipp$b.txt"
	bash bench/ipp.sh "$B" "$b" stream >"$out/ipp-stream$b.txt"
	bash bench/ipp.sh "$B" "$b" next >"$out/ipp-next$b.txt"
	bash bench/ipp.sh "$B" "$b" recs >"$out/ipp-recs$b.txt"
	bash bench/net-ipp.sh "$B" "$b" >"$out/net-ipp$b.txt"
done
"$B/kite-bus" 10000 --json "$out/bus.json" >"$out/bus.txt" 2>/dev/null || { cat "$out/bus.txt"; exit 1; }

python3 - "$out" "$json" <<'PY'
import json, sys, re
out, dst = sys.argv[1], sys.argv[2]
def load(name): return json.load(open(f"{out}/{name}.json"))
floors = [load(f"floor{i}")["results"][0] for i in (1, 2)]
lat = {r["path"]: r for r in [min(floors, key=lambda f: f["p50_ns"])] + load("kite")["results"]}
for n in ("udp-block", "udp-busy"):
    r = load(n); lat[r["path"]] = r
for r in load("net")["results"]:
    lat[r["path"]] = r
tput = {b: load(f"tput{b}")["mpps"] for b in (1, 8, 32, 64)}
tputs = {b: load(f"tput-stream{b}")["mpps"] for b in (1, 32)}
def ipp_of(name):
    return float(re.search(r"([0-9.]+) instructions", open(f"{out}/{name}.txt").read()).group(1))
ipp = {b: ipp_of(f"ipp{b}") for b in (1, 32)}
ipps = {b: ipp_of(f"ipp-stream{b}") for b in (1, 32)}
ippn = {b: ipp_of(f"ipp-next{b}") for b in (1, 32)}
ippr = {b: ipp_of(f"ipp-recs{b}") for b in (1, 32)}
names = [("floor", "floor: cache-line ping-pong"), ("descriptor", "kite descriptor path"),
         ("pio", "kite PIO path"), ("stream", "kite stream path (v1.3)"),
         ("raw-echo", "raw PIO echo, port 0 -> 1 -> 0"),
         ("kite-net-echo", "kite-net UDP echo, 0 -> 1 -> 0"),
         ("udp-block", "kernel UDP, blocking"),
         ("udp-busy", "kernel UDP, busy-poll")]
print("floor measured before and after the kite runs: p50 " +
      " and ".join(f"{f['p50_ns']:.0f}" for f in floors) + " ns; the lower is used")
print(f"\n{'round trip, 64 B':32} {'p50 ns':>9} {'p99 ns':>9} {'p99.9 ns':>9} {'max ns':>10}")
for k, label in names:
    r = lat[k]
    print(f"{label:32} {r['p50_ns']:9.0f} {r['p99_ns']:9.0f} {r['p999_ns']:9.0f} {r['max_ns']:10.0f}")
print(f"\n{'throughput, 64 B, app -> model -> app':40}")
for b, v in tput.items():
    r = load(f"tput{b}")
    print(f"  batch {b:2}: {v:6.2f} Mpps  (median of 5; range {r['min']:.2f}..{r['max']:.2f})")
print("  stream forwarder (kite_rx_recs + kite_tx_forward_next, in place):")
for b, v in tputs.items():
    r = load(f"tput-stream{b}")
    print(f"  batch {b:2}: {v:6.2f} Mpps  (median of 5; range {r['min']:.2f}..{r['max']:.2f})")
print("\ninstructions per frame of a forwarding loop (callgrind, model in step mode)")
print("  descriptor path: kite_rx_burst + kite_tx_burst; stream path: kite_rx_stream + kite_tx_forward;")
print("  next: kite_rx_stream + kite_tx_forward_next; records: kite_rx_recs + kite_tx_forward_next")
for b in ipp:
    print(f"  batch {b:2}: descriptor {ipp[b]:6.1f}   stream {ipps[b]:6.1f}   next {ippn[b]:6.1f}"
          f"   records {ippr[b]:6.1f}")
print("\ninstructions per UDP datagram in kite-net (callgrind; libkite's calls and checksums included)")
for b in (1, 32):
    for line in open(f"{out}/net-ipp{b}.txt"):
        print("  " + line.rstrip())
bus = load("bus")
print()
print(open(f"{out}/bus.txt").read().rstrip())
pio, desc, fl, st = lat["pio"], lat["descriptor"], lat["floor"], lat["stream"]
ratios = {
    "kite_stream_p50_over_floor_p50": st["p50_ns"] / fl["p50_ns"],
    "kite_stream_p99_over_floor_p99": st["p99_ns"] / fl["p99_ns"],
    "kite_stream_p999_over_floor_p999": st["p999_ns"] / fl["p999_ns"],
    "kite_pio_p50_over_floor_p50": pio["p50_ns"] / fl["p50_ns"],
    "kite_pio_p99_over_floor_p99": pio["p99_ns"] / fl["p99_ns"],
    "kite_desc_p50_over_floor_p50": desc["p50_ns"] / fl["p50_ns"],
    "udp_block_p50_over_kite_pio_p50": lat["udp-block"]["p50_ns"] / pio["p50_ns"],
    "udp_busy_p50_over_kite_pio_p50": lat["udp-busy"]["p50_ns"] / pio["p50_ns"],
    "kite_net_p50_over_raw_echo_p50": lat["kite-net-echo"]["p50_ns"] / lat["raw-echo"]["p50_ns"],
    "udp_block_p50_over_kite_net_p50": lat["udp-block"]["p50_ns"] / lat["kite-net-echo"]["p50_ns"],
    "udp_busy_p50_over_kite_net_p50": lat["udp-busy"]["p50_ns"] / lat["kite-net-echo"]["p50_ns"],
}
goals = [("kite stream p50 / floor p50", ratios["kite_stream_p50_over_floor_p50"], "<=", 1.3),
         ("kite stream p99 / floor p99", ratios["kite_stream_p99_over_floor_p99"], "<=", 2.0),
         ("kite stream p99.9 / floor p99.9", ratios["kite_stream_p999_over_floor_p999"], "<=", 3.0),
         ("kernel blocking UDP p50 / kite p50", ratios["udp_block_p50_over_kite_pio_p50"], ">=", 50),
         ("kernel busy-poll UDP p50 / kite p50", ratios["udp_busy_p50_over_kite_pio_p50"], ">=", 10),
         ("kite-net echo p50 / raw PIO echo p50", ratios["kite_net_p50_over_raw_echo_p50"], "<=", 1.2),
         ("kernel blocking UDP p50 / kite-net p50", ratios["udp_block_p50_over_kite_net_p50"], ">=", 50),
         ("kernel busy-poll UDP p50 / kite-net p50", ratios["udp_busy_p50_over_kite_net_p50"], ">=", 10),
         ("Mpps at batch 32", tput[32], ">=", 20),
         ("stream Mpps / descriptor Mpps, batch 32", tputs[32] / tput[32], ">=", 1.0),
         ("stream instructions per frame, batch 32", min(ipps[32], ippn[32], ippr[32]), "<=", 40),
         ("stream instructions per frame, batch 1", min(ipps[1], ippn[1], ippr[1]), "<=", 90)]
print("\ngoals")
for label, v, op, g in goals:
    ok = v <= g if op == "<=" else v >= g
    print(f"  {label:40} {v:8.2f}  goal {op} {g:<5} {'met' if ok else 'MISSED'}")
json.dump({"latency": lat, "throughput_mpps": tput, "throughput_mpps_stream": tputs,
           "instructions_per_frame": ipp,
           "instructions_per_frame_stream": ipps, "instructions_per_frame_stream_next": ippn,
           "instructions_per_frame_stream_records": ippr,
           "bus_per_round_trip": bus, "ratios": ratios}, open(dst, "w"), indent=1)
print(f"\nJSON: {dst}")
PY
echo
sed -n '/^breakdown/,$p' "$out/kite.txt" | grep -v "^path\|^descriptor \|^pio \|^stream "
