#!/usr/bin/env bash
# KUnit suites of kite.ko's logic under UML (STYLE.md 15): link kmod's logic
# and tests into drivers/kite_kunit/ of an unpacked linux-source-6.1 tree and
# run kunit.py with the build directory cached outside the repo.
set -eu
src=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${KITE_CACHE:-/var/cache/kite}/kunit-build
d=$src/drivers/kite_kunit
mkdir -p "$d"
ln -sfn "$repo/kmod/kite_logic.c" "$d/kite_logic.c"
ln -sfn "$repo/kmod/kite_logic.h" "$d/kite_logic.h"
ln -sfn "$repo/kmod/tests/kite_logic_test.c" "$d/kite_logic_test.c"
ln -sfn "$repo/hw/kite_hw.c" "$d/kite_hw.c"
ln -sfn "$repo/hw/kite_hw.h" "$d/kite_hw.h"
ln -sfn "$repo/kmod/tests/kite_hw_test.c" "$d/kite_hw_test.c"
ln -sfn "$repo/kmod/tests/.kunitconfig" "$d/.kunitconfig"
cat >"$d/Kconfig" <<'KCONFIG'
config KITE_KUNIT_TEST
	tristate "KUnit tests of kite.ko's logic" if !KUNIT_ALL_TESTS
	depends on KUNIT
	default KUNIT_ALL_TESTS
KCONFIG
cat >"$d/Makefile" <<MAKEFILE
obj-\$(CONFIG_KITE_KUNIT_TEST) += kite_logic.o kite_logic_test.o kite_hw.o kite_hw_test.o
ccflags-y += -I$repo/include
MAKEFILE
grep -q kite_kunit "$src/drivers/Kconfig" ||
	sed -i '$ s|^endmenu$|source "drivers/kite_kunit/Kconfig"\n\nendmenu|' "$src/drivers/Kconfig"
grep -q kite_kunit "$src/drivers/Makefile" ||
	echo 'obj-$(CONFIG_KITE_KUNIT_TEST) += kite_kunit/' >>"$src/drivers/Makefile"
cd "$src"
out=$(mktemp)
set +e
python3 tools/testing/kunit/kunit.py run --kunitconfig=drivers/kite_kunit \
	--build_dir="$build" --jobs="$(nproc)" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
# "Testing complete. Ran 52 tests: passed: 52" -> "52 passed, 0 failed"
line=$(grep -E "Testing complete. Ran [0-9]+ tests" "$out" | tail -1)
total=$(echo "$line" | sed -n 's/.*Ran \([0-9]*\) tests.*/\1/p')
passed=$(echo "$line" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
rm -f "$out"
echo "kunit: ${passed:-0} passed, $(( ${total:-1} - ${passed:-0} )) failed"
exit "$rc"
