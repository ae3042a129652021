#!/usr/bin/env bash
# Sum the counts `make test` left in each build directory given.
set -u
pass=0 fail=0
for b in "$@"; do
	read -r p f <"$b/test-counts" || { p=0; f=1; }
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
