#!/usr/bin/env bash
# Install what kite needs on Debian 12 if it is missing, then run "$@".
#   bash tools/with-deps.sh make demo
#   bash tools/with-deps.sh make check
set -eu
# what `make` (and so `make demo`) needs
pkgs=(gcc make libc6-dev pkg-config libcmocka-dev python3
	# tools: kite-regs (libpci, json-c), kite-capture (libpcap)
	libpci-dev libjson-c-dev libpcap-dev)
# and what the tests need: `make check` installs these too
[[ " $* " == *" check "* ]] && pkgs+=(
	# tshark reads captures back; the TAP test runs ping in a namespace
	g++ tshark iproute2 iputils-ping
	# net-tap.sh: sockperf's ping-pong client against kite-sockperf
	sockperf
	# the fuzz targets: clang's libFuzzer and sanitizer runtimes
	clang libclang-rt-14-dev
	# make install (tested by e2e.sh): man pages from --help
	help2man
	# udevadm for the rules test in the guest
	udev
	# kite.ko: build, sparse, checkpatch and KUnit (UML) from linux-source-6.1
	linux-headers-amd64 linux-source-6.1 sparse flex bison bc xz-utils libelf-dev libssl-dev
	# DKMS, and the other 6.1 flavours kite.ko must build against (PREEMPT_RT matters)
	dkms linux-headers-cloud-amd64 linux-headers-rt-amd64
	# the QEMU guest: Debian's kernel, a static busybox initramfs
	qemu-system-x86 linux-image-amd64 busybox-static cpio file kmod
	# the card clock's PHC driven by linuxptp (phc_ctl, phc2sys) in the guest
	linuxptp
	dpkg-dev debhelper dh-dkms lintian debootstrap)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "kite: installing ${missing[*]}" >&2
	if [ "$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else
		echo "kite: need root to install: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
cd "$(dirname "$0")/.."
exec "$@"
