#!/usr/bin/env bash
# The one version (VERSION) written into the files that cannot read it at build
# time: include/kite/version.h (installed, for applications' #if) and dkms.conf
# (DKMS reads it as it is). `make version` writes them; `make check` runs this
# with --check, which fails on a file that says another version.
#   usage: tools/version-files.sh [--check]
set -eu
cd "$(dirname "$0")/.."
v=$(cat VERSION)
case $v in
[0-9]*.[0-9]*.[0-9]*) ;;
*) echo "VERSION '$v' is not MAJOR.MINOR.PATCH" >&2; exit 1 ;;
esac
IFS=. read -r major minor patch <<<"$v"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/version.h" <<H
/* SPDX-License-Identifier: BSD-3-Clause */
/* libkite's version: generated from VERSION by \`make version\`; do not edit. */
#ifndef KITE_VERSION_H
#define KITE_VERSION_H

/* (the card's contract version is another thing: KITE_VERSION_MAJOR/MINOR, hw.h) */
#define KITE_LIB_VERSION	"$v"
#define KITE_LIB_VERSION_MAJOR	$major
#define KITE_LIB_VERSION_MINOR	$minor
#define KITE_LIB_VERSION_PATCH	$patch
/** For #if: 10000 * major + 100 * minor + patch */
#define KITE_LIB_VERSION_NUM	($major * 10000 + $minor * 100 + $patch)

#endif /* KITE_VERSION_H */
H
sed "s/@VERSION@/$v/g" dkms.conf.in >"$tmp/dkms.conf"
rc=0
for f in include/kite/version.h:version.h dkms.conf:dkms.conf; do
	dst=${f%%:*} src=$tmp/${f##*:}
	if [ "${1:-}" = --check ]; then
		cmp -s "$src" "$dst" || { echo "$dst does not say version $v: run make version" >&2; rc=1; }
	else
		cp "$src" "$dst"
	fi
done
exit $rc
