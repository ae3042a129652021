#!/usr/bin/env bash
# Instructions kite-net spends per UDP datagram, counted by callgrind on
# bench/kite-net-ipp (the model in step mode: the same count on every run).
#   usage: bench/net-ipp.sh BUILD BATCH
# Prints one line per call: kn_udp_recv (server and client, per datagram
# received), kn_udp_sendto and kn_udp_reply (per datagram sent); everything
# each calls (libkite's burst calls, checksums) included.
set -eu
B=$1
batch=$2
rounds=$((32000 / batch))
for call in kn_udp_recv kn_udp_sendto kn_udp_reply; do
	out=$(mktemp)
	dgrams=$(valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
		--toggle-collect="$call" "$B/kite-net-ipp" "$batch" "$rounds" 2>/dev/null |
		sed -n 's/^datagrams //p')
	ir=$(sed -n 's/^summary: //p' "$out")
	rm -f "$out"
	per=$dgrams
	[ "$call" = kn_udp_recv ] && per=$((dgrams * 2))	# both ends receive
	awk -v ir="$ir" -v f="$per" -v b="$batch" -v c="$call" \
		'BEGIN { printf "batch %2d: %-14s %.1f instructions per datagram (%d datagrams)\n", b, c, ir / f, f }'
done
