# The card clock as kite.ko's PTP hardware clock (kmod/kite_ptp.c), driven by
# linuxptp as any NIC's is. Sourced by guest-init.sh with kite0 bound; kite-emu
# runs its oscillator --clock-ppm 25 fast, so phc2sys has real work to do.
ptp=$(cat $k/ptp)
t "kite0/ptp names the card's PTP clock ($ptp): /dev/$ptp, clock_name kite0, under the PCI device" sh -c \
	"[ -n '$ptp' ] && [ -c /dev/$ptp ] && [ \"\$(cat /sys/class/ptp/$ptp/clock_name)\" = kite0 ] &&
	 [ -e /sys/bus/pci/devices/$addr/ptp/$ptp ]"
# phc_ctl prints "clock time is SECONDS.NANOSECONDS or DATE"
t "phc_ctl set, get: the clock reads what was set (plus the seconds between)" sh -c \
	"/phc_ctl /dev/$ptp set 1000000000 get >/tmp/phc 2>&1 && s=\$(awk '/clock time is/ { split(\$5, a, \".\"); print a[1] }' /tmp/phc) &&
	 [ \"\$s\" -ge 1000000000 ] && [ \"\$s\" -lt 1000000010 ] || { cat /tmp/phc; false; }"
t "phc_ctl adj 3600: an hour later at once (adjtime)" sh -c \
	"/phc_ctl /dev/$ptp set 2000000000 adj 3600 get >/tmp/phc 2>&1 && s=\$(awk '/clock time is/ { split(\$5, a, \".\"); print a[1] }' /tmp/phc) &&
	 [ \"\$s\" -ge 2000003600 ] && [ \"\$s\" -lt 2000003610 ] || { cat /tmp/phc; false; }"
# (phc_ctl exits 0 after a refused adjustment: its message tells)
t "phc_ctl freq: 100 ppm taken, 600 ppm refused (max_adj 500 ppm)" sh -c \
	"/phc_ctl /dev/$ptp freq 100000 >/tmp/phc 2>&1 && ! grep -q failed /tmp/phc &&
	 /phc_ctl /dev/$ptp freq 600000 >/tmp/phc 2>&1; grep -q 'Numerical result out of range' /tmp/phc &&
	 /phc_ctl /dev/$ptp freq 0 >/tmp/phc 2>&1 && ! grep -q failed /tmp/phc || { cat /tmp/phc; false; }"
# phc_ctl's 100000 ppb is CLK_FREQ 0x00640000 (ppm x 2^16)
t "an operator's card reset keeps the PHC's rate: kite.ko writes CLK_FREQ back" sh -c \
	"/phc_ctl /dev/$ptp freq 100000 >/tmp/phc 2>&1 && /kmod_client reset /dev/kite0 >/tmp/kr 2>&1 &&
	 /kite-regs -d /dev/kite0 get CLK_FREQ >/tmp/kr2 && grep -q 0x00640000 /tmp/kr2 &&
	 /phc_ctl /dev/$ptp freq 0 >/tmp/phc 2>&1 ||
	 { cat /tmp/phc /tmp/kr /tmp/kr2; /phc_ctl /dev/$ptp freq 0 >/dev/null 2>&1; false; }"
t "udev rule: the card's PTP clock to group kite, 0640 (udevadm test)" sh -c \
	"/udevadm test --action=add /sys/class/ptp/$ptp 2>&1 | tee /tmp/u |
	 grep -q 'gid=1000, mode=0640' || { cat /tmp/u; false; }"
chgrp 1000 /dev/$ptp && chmod 0640 /dev/$ptp	# what the rule does (no udevd here)
mkdir -p /tmp/kuser && chown 1000 /tmp/kuser	# where kuser's kite-clock-sync publishes
t "a group member reads the card clock through kite.ko (libkite, kite-clock-sync --monitor)" sh -c \
	"su kuser -c 'KITE_CLOCK_STATE=/tmp/kuser/state /kite-clock-sync -d /dev/kite0 --monitor -t 1' >/tmp/kcs 2>&1 ||
	 { cat /tmp/kcs; false; }"
t "... but cannot adjust it: kite-clock-sync says it needs write access (root); phc_ctl is refused" sh -c \
	"! su kuser -c 'KITE_CLOCK_STATE=/tmp/kuser/state /kite-clock-sync -d /dev/kite0 -t 1' >/tmp/kcs 2>&1 &&
	 grep -q 'adjusting the card clock needs write access (root)' /tmp/kcs &&
	 ! su kuser -c '/phc_ctl /dev/$ptp adj 1' >/tmp/phc 2>&1 || { cat /tmp/kcs /tmp/phc; false; }"
# The PHC's own rate against the guest's CLOCK_REALTIME, undisciplined: the
# model's 25 ppm and the TCG guest's clock error (tens of ppm) together.
/phc_ctl /dev/$ptp freq 0 cmp wait 10 cmp >/tmp/phc 2>&1
drift=$(sed -n 's/.*offset from CLOCK_REALTIME is \(-*[0-9]*\)ns.*/\1/p' /tmp/phc |
	awk 'NR == 1 { a = $1 } NR == 2 { printf "%.0f", ($1 - a) / 10 }')	# ns/s = ppb
echo "    undisciplined, the PHC drifts ${drift:-?} ppb from CLOCK_REALTIME (phc_ctl cmp)"
# phc2sys disciplines the PHC to the guest's CLOCK_REALTIME: it steps it, then
# locks (state s2) and cancels that drift. The offsets it prints after locking
# are the bound we hold; TCG makes each reading slow and noisy.
/phc2sys -s CLOCK_REALTIME -c /dev/$ptp -O 0 -R 4 -m -q >/tmp/phc2sys 2>&1 &
p2s=$!
sleep 40
kill $p2s
wait $p2s 2>/dev/null
sed -n 's/.* offset *\(-*[0-9]*\) s2 freq *\([-+0-9]*\) .*/\1 \2/p' /tmp/phc2sys | tail -40 >/tmp/locked
echo "    phc2sys, last 40 locked updates: $(awk '{ o = $1 < 0 ? -$1 : $1; if (o > m) m = o; f += $2 } END {
	if (NR) printf "max |offset| %d ns, mean freq %+.0f ppb", m, f / NR }' /tmp/locked)"
t "phc2sys locks the PHC to CLOCK_REALTIME and holds it: 40 locked updates, |offset| < 20 us, its frequency cancels the drift (within 2 ppm)" sh -c \
	"[ -n '$drift' ] && [ \$(wc -l </tmp/locked) -eq 40 ] &&
	 awk -v d='$drift' '{ o = \$1 < 0 ? -\$1 : \$1; if (o >= 20000) bad = 1; f += \$2 }
	      END { f /= NR; e = f + d; exit bad || e > 2000 || e < -2000 }' /tmp/locked ||
	 { cat /tmp/phc; tail -20 /tmp/phc2sys; false; }"
t "kite-clock-sync through kite.ko's PHC (libkite's kmod path) locks it to CLOCK_REALTIME" sh -c \
	"KITE_CLOCK_STATE=/tmp/ks /kite-clock-sync -d /dev/kite0 -t 10 --trust-unsynced-reference >/tmp/kcs 2>&1 &&
	 grep -q '^locked (the last time)' /tmp/kcs || { cat /tmp/kcs; false; }"
echo "    kite-clock-sync via /dev/$ptp: $(grep '^locked (the last time)' /tmp/kcs)"
