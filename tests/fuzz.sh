#!/usr/bin/env bash
# The fuzz targets (fuzz/), each run for FUZZ_SECONDS (default 30) from its
# seed corpus (copied: the repo's corpus is only changed by hand), with
# ASan+UBSan. A crash is a failure; its input is kept in $OUT for replay:
#   $OUT/fuzz_model $OUT/crash-*
# Writes counts to $OUT/test-counts and ends with "fuzz: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
OUT=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-30}
pass=0 fail=0
make -s FUZZ_OUT="$OUT" fuzz || { echo "fuzz: 0 passed, 1 failed"; echo "0 1" >"$OUT/test-counts"; exit 1; }
for target in model api net; do
	corpus=$(mktemp -d)
	cp fuzz/corpus/$target/* "$corpus/"
	# -timeout: an input that hangs libkite fails in seconds, not libFuzzer's 20 minutes
	if (cd "$OUT" && "./fuzz_$target" -max_total_time="$secs" -timeout=30 -print_final_stats=1 \
		"$corpus" >"fuzz_$target.log" 2>&1); then
		pass=$((pass + 1))
		echo "ok - fuzz_$target: $(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz_$target.log") inputs in ${secs} s, oracles held"
	else
		fail=$((fail + 1))
		echo "FAIL - fuzz_$target (replay: $OUT/fuzz_$target $OUT/crash-*)"
		grep -E "fuzz_$target:|kite-emu:|ERROR|SUMMARY|runtime error" "$OUT/fuzz_$target.log" | head -20 | sed 's/^/    /'
	fi
	rm -rf "$corpus"
done
echo "$pass $fail" >"$OUT/test-counts"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
