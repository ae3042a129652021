#!/usr/bin/env bash
# The Debian packages (issue 16) as an operator meets them: built with
# dpkg-buildpackage from a copy of the tree, checked by lintian and by
# dpkg-gensymbols (the ABI), then installed with apt into a fresh Debian 12
# minbase chroot (debootstrap, cached in /var/cache/kite): DKMS builds the
# modules, the group kite exists, an app compiles against libkite-dev through
# pkg-config and runs against kite-emu; purging leaves nothing behind.
# Ends with "packages: N passed, N failed".
# usage: tests/packages.sh [OUT_DIR]
set -u
cd "$(dirname "$0")/.."
repo=$(pwd)
OUT=${1:-build-pkg}
cache=${KITE_CACHE:-/var/cache/kite}
version=$(cat VERSION)
pass=0 fail=0
mkdir -p "$OUT"
log=$(realpath "$OUT")/log
work=$(mktemp -d /tmp/kite-pkg.XXXXXX)
root=$work/root
emu=

cleanup() {
	[ -n "$emu" ] && kill "$emu" 2>/dev/null
	if mountpoint -q "$root/proc"; then umount -l "$root/proc"; fi
	# never delete through a mount point into the host
	mountpoint -q "$root/proc" || rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# t NAME COMMAND...: one check; its output is shown when it fails
t() {
	local name=$1
	shift
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "ok - $name"
	else
		fail=$((fail + 1))
		echo "FAIL - $name"
		sed 's/^/    /' "$log" | tail -40
	fi
}
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

t "debian/changelog's version is VERSION ($version)" \
	test "$(dpkg-parsechangelog -S Version)" = "$version"

# ---- build, from a copy of the tree (dpkg-buildpackage writes to ..) -----
src=$work/kite-$version
mkdir -p "$src"
if [ -d .git ]; then
	git ls-files -co --exclude-standard | grep -vE '^(build|debian/build)' | tar -cf - -T - |
		tar -xf - -C "$src"
else
	tar -cf - --exclude='./build*' --exclude=./debian/build . | tar -xf - -C "$src"
fi
build() {
	(cd "$src" && dpkg-buildpackage -us -uc -b) &&
	[ "$(ls "$work"/*.deb | grep -cv dbgsym)" = 4 ] || { echo "not four packages:"; ls "$work"; false; }
}
t "dpkg-buildpackage -us -uc -b: four packages (the symbols file checked at level 4)" build
debs=$(ls "$work"/*.deb 2>/dev/null | grep -v dbgsym)
deb() { ls "$work/$1"_*.deb; }

t "lintian: no error or warning (pedantic tags shown)" \
	lintian --fail-on error,warning --pedantic --info "$work"/kite_"$version"_*.changes

# the files land where Debian expects them
has() { dpkg -c "$(deb "$1")" | awk '{print $6}' | sed 's|^\./|/|' | grep -qx "$2" ||
	{ echo "$1 lacks $2"; return 1; }; }
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
layout() {
	has libkite0 "/usr/lib/$multiarch/libkite.so.0" &&
	has libkite-dev "/usr/lib/$multiarch/libkite.so" &&
	has libkite-dev "/usr/lib/$multiarch/libkite.a" &&
	has libkite-dev "/usr/lib/$multiarch/pkgconfig/kite.pc" &&
	has libkite-dev /usr/include/kite/kite.h &&
	has libkite-dev /usr/include/kite/net.h &&
	has libkite-dev "/usr/lib/$multiarch/libkite-net.a" &&
	has libkite-dev "/usr/lib/$multiarch/pkgconfig/kite-net.pc" &&
	has kite-tools /usr/bin/kite-regs &&
	has kite-tools /usr/share/man/man1/kite-regs.1.gz &&
	has kite-tools /usr/share/bash-completion/completions/kite-stat &&
	for t in kite-responder kite-md-pub kite-md-sub kite-fwd; do
		has kite-tools "/usr/bin/$t" && has kite-tools "/usr/share/man/man1/$t.1.gz" &&
		has kite-tools "/usr/share/bash-completion/completions/$t" || return 1
	done &&
	has kite-tools /usr/lib/udev/rules.d/60-kite.rules &&
	has kite-dkms "/usr/src/kite-$version/dkms.conf" &&
	has kite-dkms "/usr/src/kite-$version/kmod/kite_main.c" &&
	! dpkg -c "$(deb kite-tools)" | grep -q ' \./etc/'
}
t "files where Debian expects them (multiarch libdir, /usr/lib/udev, /usr/src for DKMS)" layout
deps() {
	local d
	for p in libkite0 libkite-dev kite-tools; do
		d=$(dpkg-deb -f "$(deb $p)" Depends) || return 1
		! echo "$d" | grep -q linux-headers || { echo "$p depends on kernel headers"; return 1; }
	done
	dpkg-deb -f "$(deb kite-dkms)" Depends | grep -q linux-headers
}
t "only kite-dkms depends on kernel headers" deps

# The ABI check must fail on a break: libkite without one exported symbol, as
# the next release would build it (dpkg-gensymbols lets symbols of the version
# being built change; from the next one they are the ABI)
abi_break() {
	local b=$work/abi-break
	mkdir -p "$b"
	grep -v '	kite_time;' userlib/libkite.map >"$b/libkite.map"
	gcc -shared -Wl,-soname,libkite.so.0 -Wl,--version-script="$b/libkite.map" \
		"$src"/debian/build/userlib/*.o "$src"/debian/build/hw/*.o -o "$b/libkite.so.0" \
		-pthread -lm &&
	mkdir -p "$b/pkg/DEBIAN" "$b/debian" && cp debian/libkite0.symbols "$b/debian/" || return 1
	# at the level debian/rules sets (it must be 4: new symbols fail too)
	level=$(sed -n 's/^export DPKG_GENSYMBOLS_CHECK_LEVEL = //p' debian/rules)
	[ "$level" = 4 ] || { echo "debian/rules: DPKG_GENSYMBOLS_CHECK_LEVEL is '$level'"; return 1; }
	if (cd "$b" && DPKG_GENSYMBOLS_CHECK_LEVEL=$level dpkg-gensymbols -plibkite0 \
		-v"$version+next" -P"$b/pkg" -e"$b/libkite.so.0" -O"$b/out.symbols" >"$b/msg" 2>&1); then
		cat "$b/msg"; echo "dpkg-gensymbols accepted a library without kite_time"; return 1
	fi
	cat "$b/msg"
	grep -q -- '^+#MISSING: .*kite_time@KITE_0.1' "$b/msg"
}
t "ABI check: a library missing kite_time fails dpkg-gensymbols, naming it" abi_break

# ---- a fresh Debian 12 (minbase) root, as a new host ------------------
base=$cache/bookworm-minbase.tar.gz
make_base() {
	local d=$work/base
	debootstrap --variant=minbase bookworm "$d" http://deb.debian.org/debian &&
		tar -C "$d" -czf "$base.tmp" . && mv "$base.tmp" "$base" &&
		rm -rf --one-file-system "$d"
}
[ -f "$base" ] || t "debootstrap --variant=minbase bookworm (once; cached in $cache)" make_base
mkdir -p "$root"
fresh_root() {
	tar -C "$root" -xzf "$base" && mount -t proc proc "$root/proc" &&
	cp /etc/resolv.conf "$root/etc/" && cp $debs "$root/tmp/" &&
	cp tests/install_app.c "$root/tmp/app.c" && cp tests/net_install_app.c "$root/tmp/netapp.c"
}
t "a fresh root from the cached minbase, the four packages copied in" fresh_root
# the packages the debs pull in come from Debian's archive; keep them for the next run
mkdir -p "$cache/pkg-apt"
cp "$cache"/pkg-apt/*.deb "$root/var/cache/apt/archives/" 2>/dev/null
# what the packages need first, so that only kite's own files differ afterwards
apt_deps() {
	in_root apt-get update -q &&
	in_root apt-get install -y -q --no-install-recommends adduser dkms linux-headers-amd64 \
		gcc libc6-dev pkgconf udev &&
	cp "$root"/var/cache/apt/archives/*.deb "$cache/pkg-apt/"
}
t "apt: the packages' dependencies in the fresh root (dkms, kernel headers, gcc, pkgconf)" apt_deps
# what may differ: package and apt state, logs, the system group (Debian keeps
# system groups on purge), the dynamic linker's cache and depmod's indexes
snapshot() { (cd "$root" && find . -xdev -path ./proc -prune -o -path ./tmp -prune -o \
	-path ./var/lib/dpkg -prune -o -path ./var/lib/apt -prune -o -path ./var/cache -prune -o \
	-path ./var/log -prune -o -path ./var/lib/dkms -prune -o -path ./run -prune -o \
	\( -path './etc/*shadow*' -o -path './etc/group*' -o -path ./etc/ld.so.cache \) -prune -o \
	-path './usr/lib/modules/*/modules.*' -prune -o \
	-print | sort); }
snapshot >"$work/before"
hkver=$(basename "$(ls -d "$root"/usr/src/linux-headers-*-amd64 | sort -V | tail -1)")
hkver=${hkver#linux-headers-}

t "apt install the four packages" in_root sh -c "apt-get install -y -q --no-install-recommends \
	$(for d in $debs; do printf '/tmp/%s ' "$(basename "$d")"; done) &&
	dpkg-query -W -f='\${Status}\n' kite-dkms kite-tools libkite0 libkite-dev |
	grep -c 'install ok installed' | grep -qx 4"
t "kite-dkms: DKMS built and installed kite.ko and uio_kite.ko for $hkver" in_root sh -c \
	"dkms status kite | grep -q '$version, $hkver, x86_64: installed' &&
	 ls /lib/modules/$hkver/updates/dkms/kite.ko* /lib/modules/$hkver/updates/dkms/uio_kite.ko* &&
	 modinfo -F version /lib/modules/$hkver/updates/dkms/kite.ko* | grep -qx '$version'"
t "kite-tools: the system group kite exists" in_root getent group kite
t "kite-tools: the udev rule names group kite" \
	grep -q 'GROUP="kite"' "$root/usr/lib/udev/rules.d/60-kite.rules"
t "kite-tools: the tools run (kite-regs --version is $version), man pages installed" in_root sh -c \
	"kite-regs --version | grep -q '$version' && test -f /usr/share/man/man1/kite-regs.1.gz"
app() {
	in_root sh -c 'gcc -std=c11 -Wall -Werror /tmp/app.c $(pkg-config --cflags --libs kite) -o /tmp/app' &&
	in_root sh -c 'kite-emu -s /tmp/emu.sock >/tmp/emu.log 2>&1 & echo $! >/tmp/emu.pid;
		i=0; while [ ! -S /tmp/emu.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		/tmp/app emu:/tmp/emu.sock; rc=$?; kill $(cat /tmp/emu.pid); exit $rc' >"$work/app.out" &&
	cat "$work/app.out" && grep -q "libkite $version, built against $version" "$work/app.out" &&
	grep -q 'emu card v1\.' "$work/app.out" &&
	in_root ldd /tmp/app | grep "libkite.so.0 => .*/lib/$multiarch/libkite.so.0"
}
t "libkite-dev: an app built with pkg-config runs against kite-emu, linked to the packaged libkite.so.0" app
netapp() {
	in_root sh -c 'gcc -std=c11 -Wall -Werror /tmp/netapp.c $(pkg-config --cflags --libs kite-net) -o /tmp/netapp' &&
	in_root sh -c 'kite-emu -s /tmp/emu2.sock >/tmp/emu2.log 2>&1 & echo $! >/tmp/emu2.pid;
		i=0; while [ ! -S /tmp/emu2.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		/tmp/netapp emu:/tmp/emu2.sock; rc=$?; kill $(cat /tmp/emu2.pid); exit $rc' >"$work/netapp.out" &&
	cat "$work/netapp.out" && grep -q '^kite-net: 169.254.78.9 on port 0, MAC ' "$work/netapp.out" &&
	in_root ldd /tmp/netapp | grep "libkite.so.0 => .*/lib/$multiarch/libkite.so.0"
}
t "libkite-dev: a kite-net app built with pkg-config kite-net (static kite-net, shared libkite) runs against kite-emu" netapp

# (and the libraries kite-tools pulled in, as apt's autoremove offers)
t "apt purge the four packages" in_root sh -c \
	"apt-get purge -y -q kite-dkms kite-tools libkite-dev libkite0 && apt-get autoremove --purge -y -q"
leftovers() {
	snapshot >"$work/after"
	diff "$work/before" "$work/after" && ! in_root dpkg -l 'kite*' 'libkite*' 2>/dev/null | grep -q '^[ir]' &&
		! ls -d "$root"/var/lib/dkms/kite "$root"/usr/src/kite-* 2>/dev/null
}
t "nothing left behind: the root's files are as before the install (DKMS tree too)" leftovers

echo "$pass $fail" >"$OUT/test-counts"
echo "packages: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
