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

# name rc logfile [suite]: a suite's own "N passed, N failed" counts test by test
result() {
	local p=1 f=0 counts
	if [ -n "${4:-}" ]; then
		counts=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$3" | tail -1)
		p=$(echo "$counts" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
		f=$(echo "$counts" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
		p=${p:-0} f=${f:-0}
	fi
	[ "$2" -ne 0 ] && [ "$f" -eq 0 ] && f=1 && p=0
	pass=$((pass + p)) fail=$((fail + f))
	if [ "$2" -eq 0 ]; then
		echo "ok - $1 ($SECONDS s so far)"
	else
		echo "FAIL - $1"
		sed 's/^/    /' "$3" | tail -60
	fi
}

# The generic flavour (what linux-image-amd64 boots); cloud and rt are compile-checked too.
kdir=$(ls -d /usr/src/linux-headers-*[0-9]-amd64 2>/dev/null | sort -V | tail -1)
src=$(bash tests/linux-src.sh 2>"$log") || src=

# Build in a scratch copy so the repo stays free of kbuild output.
tree=$OUT/modsrc
rm -rf "$tree"
mkdir -p "$tree"
cp -r Kbuild VERSION kmod uio hw include "$tree/"
version=$(cat VERSION)
# kbuild ARGS...: build the module with extra make flags; any warning fails it
kbuild() {
	if [ -z "$kdir" ]; then
		echo "no linux-headers-*-amd64 installed" >"$log"
		return 1
	fi
	make -s -C "$kdir" M="$(realpath "$tree")" "$@" modules >"$log" 2>&1 &&
		! grep -E "warning:|error:" "$log" >/dev/null
}

kbuild W=1
result "kite.ko and uio_kite.ko build against $(basename "${kdir:-none}") with W=1, no warnings" $? "$log"
cp "$tree/kmod/kite.ko" "$tree/uio/uio_kite.ko" "$OUT/" 2>/dev/null
{ modinfo -F version "$OUT/kite.ko" && modinfo -F version "$OUT/uio_kite.ko"; } >"$log" 2>&1
[ "$(sort -u "$log")" = "$version" ]
result "MODULE_VERSION of both modules is VERSION ($version)" $? "$log"

for flavour in cloud-amd64 rt-amd64; do
	fdir=$(ls -d /usr/src/linux-headers-*[0-9]-$flavour 2>/dev/null | sort -V | tail -1)
	if [ -n "$fdir" ]; then
		kdir=$fdir kbuild W=1
		rc=$?
	else
		echo "linux-headers-$flavour is not installed" >"$log"
		rc=1
	fi
	result "kite.ko and uio_kite.ko build against $(basename "${fdir:-linux-headers-$flavour}") with W=1" $rc "$log"
done

# DKMS as an admin would use it: the installed source tree, built for this kernel flavour
kver=${kdir#/usr/src/linux-headers-}
if command -v dkms >/dev/null && [ -n "$kdir" ] && [ -e "/lib/modules/$kver/build" ]; then
	dtree=$(realpath "$OUT")/dkms
	rm -rf "$dtree" && mkdir -p "$dtree/tree" "$dtree/kite-$version"
	cp -r Kbuild VERSION dkms.conf kmod uio hw include "$dtree/kite-$version/"
	dkms build --dkmstree "$dtree/tree" --sourcetree "$dtree" -m kite -v "$version" -k "$kver" \
		>"$log" 2>&1 &&
		ls "$dtree/tree/kite/$version/$kver/x86_64/module/"kite.ko* \
		   "$dtree/tree/kite/$version/$kver/x86_64/module/"uio_kite.ko* >>"$log" 2>&1
	rc=$?
else
	echo "dkms or /lib/modules/$kver/build missing" >"$log"
	rc=1
fi
result "dkms build of kite and uio_kite for $kver" $rc "$log"

if command -v sparse >/dev/null; then
	kbuild C=2
else
	echo "sparse is not installed" >"$log"
	false
fi
result "sparse (C=2) is clean" $? "$log"

if [ -n "$src" ]; then
	"$src/scripts/checkpatch.pl" --strict --no-tree --terse -f kmod/kite_*.[ch] kmod/tests/*.c uio/*.c hw/*.[ch] \
		include/kite/board.h include/kite/uapi.h >"$log" 2>&1
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
result "KUnit under UML: $(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)" $rc "$log" suite

if [ -f "$OUT/kite.ko" ]; then
	bash tests/qemu.sh "$OUT/kite.ko" "${USERSPACE_BUILD:-build}" >"$log" 2>&1
	rc=$?
else
	echo "kite.ko did not build" >"$log"
	rc=1
fi
result "QEMU guest: insmod, sysfs, ioctls, mmap rules, traffic, kill -9, rmmod: $(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)" $rc "$log" suite
grep -E "^    (path|descriptor|pio) " "$log" | sed 's/^    /    guest /'

# The same guests on a debug kernel (KASAN, lockdep, atomic-sleep and hung-task
# checks, VFIO no-IOMMU), built once from the same source and cached outside the
# repo; kite.ko, uio_kite.ko and the bug-injecting test module built against it.
dbg=
if [ -n "$src" ]; then
	dbg=$(bash tests/debug-kernel.sh "$src" 2>"$log")
	rc=$?
else
	rc=1
fi
result "debug guest kernel: built, or cached in ${dbg:-/var/cache/kite/debug-guest}" $rc "$log"
dtree=$OUT/debugsrc
rm -rf "$dtree" "$OUT/debug"
mkdir -p "$dtree" "$OUT/debug"
cp -r Kbuild VERSION kmod uio hw include tests/kinject "$dtree/"
if [ -n "$dbg" ]; then
	kdir=$dbg tree=$dtree kbuild && kdir=$dbg tree=$dtree/kinject kbuild &&
		cp "$dtree/kmod/kite.ko" "$dtree/uio/uio_kite.ko" "$dtree/kinject/kite_inject.ko" \
			"$OUT/debug/"
	rc=$?
	[ $rc -eq 0 ] && KITE_GUEST_KERNEL=$dbg bash tests/qemu.sh "$OUT/debug/kite.ko" \
		"${USERSPACE_BUILD:-build}" >"$log" 2>&1
	rc=$?
fi
result "QEMU guests on the debug kernel (KASAN, lockdep; VFIO no-IOMMU; injected bugs caught): $(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)" $rc "$log" suite

echo "$pass $fail" >"$OUT/test-counts"
echo "kernel: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
