#!/usr/bin/env bash
# End-to-end: libkite applications in their own processes against a kite-emu
# daemon: concurrent clients, queue ownership, an app killed under traffic,
# kite-pingpong, clean daemon shutdown. Ends with "e2e: N passed, N failed".
set -u
B=${1:-build}
dir=$(mktemp -d /tmp/kite-e2e.XXXXXX)
sock=$dir/emu.sock
dev=emu:$sock
pass=0 fail=0 emu_pid=

cleanup() {
	[ -n "$emu_pid" ] && kill -TERM "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

check() {
	local name=$1
	shift
	if timeout 300 "$@" >"$dir/out" 2>&1; then
		pass=$((pass + 1))
		echo "ok - $name" >&2
	else
		fail=$((fail + 1))
		echo "FAIL - $name" >&2
		sed 's/^/    /' "$dir/out" >&2
		echo "    kite-emu log:" >&2
		sed 's/^/    /' "$dir/emu.log" >&2
	fi
}

wait_for() {	# file, pattern-or-empty, seconds
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		if [ -z "$2" ]; then [ -S "$1" ] && return 0
		else grep -q "$2" "$1" 2>/dev/null && return 0; fi
		sleep 0.1
	done
	return 1
}

check "kite-emu --help" "$B/kite-emu" --help
check "kite-emu rejects an unknown wire" bash -c "! $B/kite-emu -w nosuch"

"$B/kite-emu" -s "$sock" >"$dir/emu.log" 2>&1 &
emu_pid=$!
if ! wait_for "$sock" "" 10; then
	echo "FAIL - kite-emu did not create $sock" >&2
	cat "$dir/emu.log" >&2
	echo "e2e: $pass passed, $((fail + 1)) failed"
	exit 1
fi

check "one client, 20000 frames, batch 32" "$B/e2e_client" traffic "$dev" 0 20000 32
check "two clients at once on queues 1 and 2" bash -c \
	"$B/e2e_client traffic $dev 1 20000 8 & a=\$!; $B/e2e_client traffic $dev 2 20000 64; r=\$?; wait \$a && [ \$r = 0 ]"

"$B/e2e_client" hog "$dev" 3 >"$dir/hog" 2>&1 &
hog=$!
if wait_for "$dir/hog" ready 20; then
	check "queue 3 busy while its owner lives" "$B/e2e_client" expect-busy "$dev" 3
	kill -9 "$hog"
	wait "$hog" 2>/dev/null
	check "killed app: its queue stopped, released, reusable" "$B/e2e_client" check-idle "$dev" 3
else
	kill -9 "$hog"
	fail=$((fail + 1))
	echo "FAIL - hog never became ready" >&2
	cat "$dir/hog" >&2
fi

# Packaging: install, build an app with pkg-config against the shared library.
inst=$dir/inst
check "make install; an app builds with pkg-config and runs on libkite.so" bash -c "
	make -s install BUILD=$B DESTDIR=$inst PREFIX=/opt/kite >/dev/null &&
	flags=\$(PKG_CONFIG_SYSROOT_DIR=$inst PKG_CONFIG_LIBDIR=$inst/opt/kite/lib/pkgconfig pkg-config --cflags --libs kite) &&
	cc -std=c11 -Wall -Werror ${APP_CFLAGS:-} tests/install_app.c \$flags -o $dir/app &&
	LD_LIBRARY_PATH=$inst/opt/kite/lib $dir/app $dev | grep -q 'emu card v1.0, 16 queues' &&
	! LD_LIBRARY_PATH=$inst/opt/kite/lib $dir/app emu:/nonexistent"
check "libkite.so exports only kite_* symbols, soname libkite.so.0" bash -c "
	! nm -D --defined-only $B/libkite.so.0 | awk '{print \$3}' | grep -v '^kite_' &&
	objdump -p $B/libkite.so.0 | grep -q 'SONAME *libkite.so.0'"

check "kite-pingpong through the daemon" "$B/kite-pingpong" -d "$dev" -n 2000 -w 100

kill -TERM "$emu_pid"
wait "$emu_pid"
rc=$?
emu_pid=
check "kite-emu exits 0 on SIGTERM and removes its socket" bash -c "[ $rc = 0 ] && [ ! -e $sock ]"

echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
