#!/usr/bin/env bash
# Run every test of one build directory: the cmocka suites, then the
# multi-process end-to-end tests. Writes "passed failed" to $BUILD/test-counts
# and ends with "N passed, N failed".
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
pass=0 fail=0

# HUGEPAGES=N: run this build's tests with N 2 MiB pages reserved (root only),
# so the hugepage path is tested; the other build tests the 4 KiB fallback.
hp=/proc/sys/vm/nr_hugepages
if [ -n "${HUGEPAGES:-}" ] && [ -w "$hp" ]; then
	old_hp=$(cat "$hp")
	trap 'echo "$old_hp" > "$hp"' EXIT
	echo "$HUGEPAGES" >"$hp"
	echo "$BUILD: $(cat "$hp") hugepages reserved for this run"
fi

for t in test_regtab test_emu test_emu_clock test_servo test_iova test_lib test_fastpath test_forward test_net; do
	out=$(mktemp)
	timeout 600 "$BUILD/$t" >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$out" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi	# crashed or timed out
	if [ "$f" -ne 0 ]; then cat "$out"; fi
	echo "$BUILD/$t: $p passed, $f failed"
	pass=$((pass + p)) fail=$((fail + f))
	rm -f "$out"
done

read -r p f < <(bash tests/e2e.sh "$BUILD" | tee -a /dev/stderr | sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))

read -r p f < <(bash tests/tap.sh "$BUILD" | tee -a /dev/stderr | sed -n 's/^tap: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))

read -r p f < <(bash tests/net-tap.sh "$BUILD" | tee -a /dev/stderr | sed -n 's/^net-tap: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))

read -r p f < <(bash tests/md.sh "$BUILD" | tee -a /dev/stderr | sed -n 's/^md: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))

read -r p f < <(bash tests/fwd.sh "$BUILD" | tee -a /dev/stderr | sed -n 's/^fwd: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))

read -r p f < <(bash tests/clock.sh "$BUILD" | tee -a /dev/stderr | sed -n 's/^clock: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))

read -r p f < <(bash tests/soak.sh "$BUILD" 2>&1 | tee -a /dev/stderr | sed -n 's/^soak: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))

echo "$pass $fail" >"$BUILD/test-counts"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
