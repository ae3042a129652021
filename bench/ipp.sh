#!/usr/bin/env bash
# Instructions per frame of kite_rx_burst + kite_tx_burst (everything they
# call included), counted by callgrind on bench/kite-ipp: the model in step
# mode, so the count is the same on every run.  usage: bench/ipp.sh BUILD BATCH
set -eu
B=$1
batch=$2
rounds=$((64000 / batch))
out=$(mktemp)
frames=$(valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
	--toggle-collect=kite_rx_burst --toggle-collect=kite_tx_burst \
	"$B/kite-ipp" "$batch" "$rounds" 2>/dev/null | sed -n 's/^frames //p')
ir=$(sed -n 's/^summary: //p' "$out")
rm -f "$out"
awk -v ir="$ir" -v f="$frames" -v b="$batch" \
	'BEGIN { printf "batch %2d: %.1f instructions per frame (rx+tx; %d frames)\n", b, ir / f, f }'
