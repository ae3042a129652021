# Sourced by the host-side test scripts (e2e.sh, tap.sh). The script sets
# $dir (its scratch directory) and $logs (files to show when a check fails).
pass=0
fail=0

# check NAME COMMAND...: one test, bounded in time; on failure its output and the logs
check() {
	local name=$1 f
	shift
	if timeout 300 "$@" >"$dir/out" 2>&1; then
		pass=$((pass + 1))
		echo "ok - $name" >&2
	else
		fail=$((fail + 1))
		echo "FAIL - $name" >&2
		sed 's/^/    /' "$dir/out" >&2
		for f in ${logs:-}; do
			[ -f "$f" ] || continue
			echo "    $(basename "$f"):" >&2
			sed 's/^/    /' "$f" | tail -40 >&2
		done
	fi
}

# wait_for FILE PATTERN SECONDS: until FILE holds PATTERN (empty: FILE is a socket)
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		if [ -z "$2" ]; then [ -S "$1" ] && return 0
		else grep -q "$2" "$1" 2>/dev/null && return 0; fi
		sleep 0.1
	done
	return 1
}

# emu_session NAME: a scratch $dir, the daemon's socket ($sock, $dev), its log
# ($logs) and, once started into $emu_pid, its SIGTERM and the cleanup on exit
emu_session() {
	dir=$(mktemp -d "/tmp/kite-$1.XXXXXX")
	sock=$dir/emu.sock
	dev=emu:$sock
	emu_pid=
	logs=$dir/emu.log
	trap emu_session_end EXIT
}

emu_session_end() {
	[ -n "$emu_pid" ] && kill -TERM "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$dir"
}
