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
t "the PHC is root's: a group member cannot adjust it" sh -c \
	"! su kuser -c '/phc_ctl /dev/$ptp adj 1' >/tmp/phc 2>&1"
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
