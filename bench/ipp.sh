#!/usr/bin/env bash
# Instructions per frame of a forwarding loop's burst calls (everything they
# call included), counted by callgrind on bench/kite-ipp: the model in step
# mode, so the count is the same on every run.
#   usage: bench/ipp.sh BUILD BATCH [desc|stream|next|recs]
# desc: kite_rx_burst + kite_tx_burst; stream: kite_rx_stream + kite_tx_forward;
# next: kite_rx_stream + kite_tx_forward_next; recs: kite_rx_recs +
# kite_tx_forward_next.
set -eu
B=$1
batch=$2
mode=${3:-desc}
rounds=$((64000 / batch))
case $mode in
desc) calls="--toggle-collect=kite_rx_burst --toggle-collect=kite_tx_burst" ;;
stream) calls="--toggle-collect=kite_rx_stream --toggle-collect=kite_tx_forward" ;;
next) calls="--toggle-collect=kite_rx_stream --toggle-collect=kite_tx_forward_next" ;;
recs) calls="--toggle-collect=kite_rx_recs --toggle-collect=kite_tx_forward_next" ;;
*) echo "ipp.sh: mode is desc, stream, next or recs" >&2; exit 2 ;;
esac
out=$(mktemp)
# shellcheck disable=SC2086 # two options
frames=$(valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no $calls \
	"$B/kite-ipp" "$batch" "$rounds" "$mode" 2>/dev/null | sed -n 's/^frames //p')
ir=$(sed -n 's/^summary: //p' "$out")
rm -f "$out"
awk -v ir="$ir" -v f="$frames" -v b="$batch" -v m="$mode" \
	'BEGIN { printf "batch %2d: %.1f instructions per frame (%s; %d frames)\n", b, ir / f, m, f }'
