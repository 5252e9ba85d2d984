#!/bin/sh
# qemu.sh MODE KERNEL INITRAMFS LOGDIR [CMDLINE...]: boot the guest under TCG
# (2 vCPUs, -cpu max) in MODE (see guest/init).
#   demo, bench, guest: console on stdout, also kept in LOGDIR/MODE-console.log;
#                       exits with the status the guest reports.
#   check:              console in LOGDIR/console.log, test output in
#                       LOGDIR/results.log; exits 0 when the guest finished.
#   shell:              interactive.
set -eu

mode=$1 kernel=$2 initrd=$3 logdir=$4
shift 4
mkdir -p "$logdir"
limit=${VAS_QEMU_TIMEOUT:-1800}
# VAS_QEMU_PAGING: 4 (no5lvl, the default) or 5 levels of page tables;
# -cpu max offers LA57, so 5 is what the kernel picks by itself.
case "${VAS_QEMU_PAGING:-4}" in
4) paging=" no5lvl" ;;
5) paging="" ;;
*) echo "qemu.sh: VAS_QEMU_PAGING must be 4 or 5" >&2; exit 2 ;;
esac
# Two NUMA nodes, emulated: QEMU's guest has no SRAT without ACPI.
# loglevel=5 prints KERN_WARNING and above: WARN(), lockdep and OOM reports
# are warnings, and the check scans the console for them.  The demo and the
# benchmark share the console with their output: "quiet" (loglevel 4) there.
append="console=ttyS0 loglevel=5 panic=-1 oops=panic numa=fake=2$paging vasmode=$mode $*"
set -- qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2G -nic none \
	-bios /usr/share/qemu/qboot.rom -kernel "$kernel" -initrd "$initrd" -no-reboot

case "$mode" in
shell)
	exec "$@" -nographic -append "$append"
	;;
check)
	rm -f "$logdir/console.log" "$logdir/results.log"
	timeout "$limit" "$@" -display none -monitor none \
		-serial "file:$logdir/console.log" -serial "file:$logdir/results.log" \
		-append "$append" || :
	grep -q '^VAS-DONE' "$logdir/results.log"
	;;
*)
	log="$logdir/$mode-console.log"
	case "$mode" in
	demo|bench) append="$append quiet" ;;
	esac
	timeout "$limit" "$@" -nographic -append "$append" < /dev/null | tee "$log" || :
	rc=$(sed -n "s/^VAS-$(echo "$mode" | tr a-z A-Z)-RC=\([0-9]*\).*/\1/p" "$log" | tail -n 1)
	exit "${rc:-1}"
	;;
esac
