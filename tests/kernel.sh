#!/usr/bin/env bash
# Kernel-side checks, once per `make check`: kite.ko built with W=1 and sparse
# against Debian's 6.1 headers, checkpatch --strict, the KUnit suites under UML,
# and the module in a QEMU guest. Writes counts to $OUT/test-counts and ends
# with "kernel: N passed, N failed". A missing prerequisite is a failure.
set -u
cd "$(dirname "$0")/.."
OUT=${1:-build-kernel}
mkdir -p "$OUT"
pass=0 fail=0
log=$OUT/log

result() {	# name rc logfile
	if [ "$2" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $1 ($SECONDS s so far)"
	else
		fail=$((fail + 1))
		echo "FAIL - $1"
		sed 's/^/    /' "$3" | tail -60
	fi
}

kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1)
src=$(bash tests/linux-src.sh 2>"$log") || src=

# Build in a scratch copy so the repo stays free of kbuild output.
tree=$OUT/modsrc
rm -rf "$tree"
mkdir -p "$tree"
cp -r Kbuild kmod include "$tree/"
if [ -n "$kdir" ]; then
	make -s -C "$kdir" M="$(realpath "$tree")" W=1 modules >"$log" 2>&1
	rc=$?
	grep -E "warning:|error:" "$log" >/dev/null && rc=1
else
	echo "no linux-headers-*-amd64 installed" >"$log"
	rc=1
fi
result "kite.ko builds against $(basename "${kdir:-none}") with W=1, no warnings" $rc "$log"
cp "$tree/kmod/kite.ko" "$OUT/" 2>/dev/null

if [ -n "$kdir" ] && command -v sparse >/dev/null; then
	make -s -C "$kdir" M="$(realpath "$tree")" C=2 modules >"$log" 2>&1
	rc=$?
	grep -E "warning:|error:" "$log" >/dev/null && rc=1
else
	echo "sparse or headers missing" >"$log"
	rc=1
fi
result "sparse (C=2) is clean" $rc "$log"

if [ -n "$src" ]; then
	"$src/scripts/checkpatch.pl" --strict --no-tree --terse -f kmod/kite_*.[ch] kmod/tests/*.c \
		include/kite/uapi.h >"$log" 2>&1
	rc=$?
else
	rc=1
fi
result "checkpatch.pl --strict is clean" $rc "$log"

if [ -n "$src" ]; then
	bash tests/kunit.sh "$src" >"$log" 2>&1
	rc=$?
else
	rc=1
fi
result "KUnit under UML: $(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)" $rc "$log"

echo "$pass $fail" >"$OUT/test-counts"
echo "kernel: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
