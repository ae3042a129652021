#!/usr/bin/env bash
# Print the path of an unpacked linux-source-6.1 tree, unpacking Debian's
# tarball into the cache (outside the repo) the first time.
set -eu
cache=${KITE_CACHE:-/var/cache/kite}
src=$cache/linux-source-6.1
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1)
if [ ! -f "$src/Makefile" ]; then
	[ -n "$tarball" ] || { echo "linux-source-6.1 is not installed" >&2; exit 1; }
	mkdir -p "$cache"
	tar -xf "$tarball" -C "$cache"
fi
echo "$src"
