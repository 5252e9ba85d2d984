#!/bin/sh
# check.sh [STAGE...]: every check of the project, cheapest first.  Each
# check adds one result, each selftest case in the guest adds one; the last
# line is "N passed, N failed, N skipped".  Exits non-zero if anything
# failed.  Logs are kept in build/check/.
#
# The stages, all of them by default, in this order whatever the order of
# the arguments:
#   tree       patches/ apply with zero fuzz and regenerate identically
#              (always run: every other stage needs the tree)
#   static     checkpatch --strict, kernel-doc, get_abi.pl
#   kernel     the test kernel (its mm config against Debian's), sparse, W=1
#   userspace  the selftests and the demo, static, and the initramfs
#   guest      the selftests in the guest, 4-level paging with pti=on and
#              5-level paging
#   off        the same guest with CONFIG_VAS=n (its kernel compiles at
#              low priority during the guest stage when both run)
#   fresh      a bare Debian 12 gets all it needs from scripts/deps.sh
#              (scripts/fresh.sh)
set -u
# ccache keys relative to the checkout, as in the Makefile.
export CCACHE_BASEDIR="$(cd "$(dirname "$0")/.." && pwd)" CCACHE_NOHASHDIR=1

top=$(cd "$(dirname "$0")/.." && pwd)
b="$top/build"
tree="$b/linux"
logs="$b/check"
mkdir -p "$logs"
: > "$logs/results.txt"
passed=0 failed=0 skipped=0
start=$(date +%s)

result() {	# result pass|fail|skip NAME [LOG]
	case "$1" in
	pass) passed=$((passed + 1)); tag=PASS ;;
	fail) failed=$((failed + 1)); tag=FAIL ;;
	skip) skipped=$((skipped + 1)); tag=SKIP ;;
	esac
	echo "$tag $2" | tee -a "$logs/results.txt"
	if [ "$1" = fail ] && [ -n "${3:-}" ] && [ -s "$3" ]; then
		sed 's/^/    | /' "$3" | head -n 40
	fi
}

stage() {
	echo "== $* ($(($(date +%s) - start)) s)"
}

# The tree is assembled whatever the stages: everything else needs it.
stages=${*:-tree static kernel userspace guest off fresh}
want() {
	case " $stages " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

finish() {
	echo "check took $(($(date +%s) - start)) s; results in $logs/results.txt"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

stage "assemble the tree"
if ! make -s -C "$top" tree > "$logs/tree.log" 2>&1; then
	result fail "tree: patches apply to linux-source-6.12 with zero fuzz" "$logs/tree.log"
	finish
fi
result pass "tree: patches apply to linux-source-6.12 with zero fuzz"

if sh "$top/scripts/patches.sh" verify > "$logs/patches.log" 2>&1; then
	result pass "tree: patches/ regenerates identically"
else
	result fail "tree: patches/ regenerates identically" "$logs/patches.log"
fi

cd "$tree" || finish
new_files=$(grep -v -e '^Documentation/ABI/' -e '/Makefile$' -e '/config$' \
	-e '/settings$' -e '/\.gitignore$' "$tree/.git/vas-overlay")
# Debian's python3 (with ply and git, for spdxcheck.py) before any other.
PATH=/usr/bin:$PATH

if want static; then
stage "static checks"
for p in $(cat "$top/patches/series"); do
	if scripts/checkpatch.pl --strict --quiet --no-signoff "$top/patches/$p" \
		> "$logs/checkpatch.log" 2>&1; then
		result pass "checkpatch --strict: patches/$p"
	else
		result fail "checkpatch --strict: patches/$p" "$logs/checkpatch.log"
	fi
done
for f in $new_files; do
	# Userspace programs must test for ENOSYS: a kernel without CONFIG_VAS.
	case "$f" in
	tools/*|samples/*) ignore="--ignore ENOSYS" ;;
	*) ignore="" ;;
	esac
	if scripts/checkpatch.pl --strict --quiet $ignore -f "$f" > "$logs/checkpatch.log" 2>&1; then
		result pass "checkpatch --strict: $f"
	else
		result fail "checkpatch --strict: $f" "$logs/checkpatch.log"
	fi
done
kdoc_files=$(echo "$new_files" | grep -E '^(mm|include|fs|kernel)/.*\.[ch]$')
if scripts/kernel-doc -none -Wall $kdoc_files > "$logs/kernel-doc.log" 2>&1 &&
	[ ! -s "$logs/kernel-doc.log" ]; then
	result pass "kernel-doc -Wall: $(echo $kdoc_files)"
else
	result fail "kernel-doc -Wall: $(echo $kdoc_files)" "$logs/kernel-doc.log"
fi
if perl scripts/get_abi.pl --dir "$top/Documentation/ABI" validate \
	> "$logs/abi.log" 2>&1 && [ ! -s "$logs/abi.log" ]; then
	result pass "get_abi.pl validate: Documentation/ABI"
else
	result fail "get_abi.pl validate: Documentation/ABI" "$logs/abi.log"
fi
fi

if want kernel; then
stage "test kernel (lockdep, KASAN, DEBUG_VM)"
if ! make -s -C "$top" kernel > "$logs/kernel.log" 2>&1; then
	result fail "test kernel: config keeps every fragment option, builds" "$logs/kernel.log"
	finish
fi
result pass "test kernel: config keeps every fragment option, builds"

if sh "$top/scripts/distcmp.sh" "$tree" "$b/obj-debug/.config" > "$logs/distcmp.log" 2>&1; then
	result pass "test kernel: mm config is Debian's but for configs/distro-exceptions"
else
	result fail "test kernel: mm config is Debian's but for configs/distro-exceptions" "$logs/distcmp.log"
fi

objs=$(echo "$new_files" | grep -E '^(mm|fs|kernel)/.*\.c$' | sed 's/\.c$/.o/')
make -s CC="ccache gcc" O="$b/obj-debug" C=2 W=1 $objs > "$logs/sparse-w1.log" 2>&1
if [ $? -eq 0 ] && ! grep -qE 'warning|error' "$logs/sparse-w1.log"; then
	result pass "sparse and W=1: $(echo $objs)"
else
	result fail "sparse and W=1: $(echo $objs)" "$logs/sparse-w1.log"
fi
fi

if want userspace; then
stage "userspace and initramfs"
if ! make -s -C "$top" initramfs > "$logs/userspace.log" 2>&1; then
	result fail "userspace: selftests and demo build static with -Werror" "$logs/userspace.log"
	finish
fi
result pass "userspace: selftests and demo build static with -Werror"
fi

# count_ktap LOG LABEL: count the KTAP results of each test program.
count_ktap() {
	tr -d '\r' < "$1" | awk -v label="$2" '
	/^VAS-BEGIN / { prog = $2; n = 0; plan = -1; bad = 0; next }
	/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }
	/^(not )?ok [0-9]+ / {
		n++
		name = $0
		sub(/^(not )?ok [0-9]+ /, "", name)
		if ($0 ~ /# SKIP/) print "skip " label prog ": " name
		else if ($0 ~ /^ok/) print "pass " label prog ": " name
		else { print "fail " label prog ": " name; bad++ }
		next
	}
	/^VAS-END / {
		rc = substr($3, 4) + 0
		if (plan >= 0 && n < plan)
			print "fail " label prog ": " (plan - n) " of " plan " tests did not report (rc " rc ")"
		else if (rc != 0 && rc != 4 && bad == 0)
			print "fail " label prog ": exited with " rc
	}'
}

# scan_console LOG: kernel splats fail the run even when every test passed.
# A test that provokes an OOM kill brackets it with VAS-EXPECT-OOM-BEGIN and
# -END in the kernel log: the OOM reports in between, from "invoked
# oom-killer" to "Killed process" (or the end marker), are not splats.
# Anything else there is.
scan_console() {
	tr -d '\r' < "$1" | awk '
	/VAS-EXPECT-OOM-BEGIN/ { expect = 1 }
	/VAS-EXPECT-OOM-END/ { expect = 0; oom = 0 }
	expect && /invoked oom-killer:/ { oom = 1 }
	oom { if (/Killed process/) oom = 0; next }
	{ print NR ": " $0 }' | grep -E 'WARNING:|BUG:|Oops|Kernel panic|KASAN|UBSAN:|cut here|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|detected stall|blocked for more than|soft lockup|hung_task|Call Trace:|unreferenced object|Bad rss-counter|non-zero pgtables_bytes|general protection'
}

boot_check() {	# boot_check LABEL KERNEL [CMDLINE...]
	label=$1 kernel=$2
	shift 2
	dir="$logs/$label"
	if ! sh "$top/scripts/qemu.sh" check "$kernel" "$b/initramfs.cpio.gz" "$dir" "$@" \
		> "$dir.qemu.log" 2>&1; then
		tail -n 30 "$dir/console.log" > "$dir.tail.log" 2>/dev/null
		result fail "$label: guest ran every test program to the end" "$dir.tail.log"
	else
		result pass "$label: guest ran every test program to the end"
	fi
}

# guest_suite LEVELS [CMDLINE...]: the selftests on the test kernel with 4-
# or 5-level paging (VAS_QEMU_PAGING, see scripts/qemu.sh).
guest_suite() {
	levels=$1
	shift
	label=debug-${levels}level
	mkdir -p "$logs/$label"
	export VAS_QEMU_PAGING=$levels
	boot_check "$label" "$b/obj-debug/arch/x86/boot/bzImage" "$@"
	count_ktap "$logs/$label/results.log" "$levels-level: " > "$logs/$label.ktap" 2>/dev/null
	while read -r kind name; do
		result "$kind" "$name"
	done < "$logs/$label.ktap"
	# Every test skips on ENOSYS: on the VAS kernel, a skip for that
	# reason means the system calls are missing, which would otherwise
	# pass unnoticed.
	if grep '^skip .*ENOSYS' "$logs/$label.ktap" > "$logs/$label.enosys.log"; then
		result fail "$label: no test skipped for ENOSYS (the VAS system calls exist)" "$logs/$label.enosys.log"
	else
		result pass "$label: no test skipped for ENOSYS (the VAS system calls exist)"
	fi
	if scan_console "$logs/$label/console.log" > "$logs/$label.splats.log"; then
		result fail "$label: guest console has no WARN/BUG/KASAN/lockdep/RCU/hung-task report" "$logs/$label.splats.log"
	else
		result pass "$label: guest console has no WARN/BUG/KASAN/lockdep/RCU/hung-task report"
	fi
}

# The CONFIG_VAS=n kernel compiles while the guest suites run, at the lowest
# priority: the guest keeps the CPUs it uses, the build takes the idle time.
off_pid=
if want guest && want off; then
	nice -n 19 make -s -C "$top" kernel-off > "$logs/kernel-off.log" 2>&1 &
	off_pid=$!
fi

if want guest; then
stage "guest: selftests on the test kernel, 4-level paging, pti=on"
guest_suite 4 pti=on
# The object, permission, object-leak, accounting and namespace tests do
# not depend on the paging mode: they run on 4-level paging only.
stage "guest: page-table selftests on the test kernel, 5-level paging"
guest_suite 5 vasskip=vas_object_test,vas_perm_test,vas_leak_test,vas_account_test,vas_ns_test
fi

if want off; then
stage "CONFIG_VAS=n"
if [ -n "$off_pid" ]; then
	wait "$off_pid"
else
	make -s -C "$top" kernel-off > "$logs/kernel-off.log" 2>&1
fi
if [ $? -ne 0 ]; then
	result fail "CONFIG_VAS=n: kernel builds and links" "$logs/kernel-off.log"
	finish
fi
result pass "CONFIG_VAS=n: kernel builds and links"
# The lean CONFIG_VAS=n config must compile every C file the patches hook.
git -C "$tree" diff --name-only base HEAD -- '*.c' |
while read -r f; do
	[ -f "$b/obj-off/${f%.c}.o" ] || echo "$f: not compiled"
done > "$logs/off-uncompiled.log"
if [ -s "$logs/off-uncompiled.log" ]; then
	result fail "CONFIG_VAS=n: every hooked C file is compiled" "$logs/off-uncompiled.log"
else
	result pass "CONFIG_VAS=n: every hooked C file is compiled"
fi
mkdir -p "$logs/vas-off"
boot_check vas-off "$b/obj-off/arch/x86/boot/bzImage"
count_ktap "$logs/vas-off/results.log" "" > "$logs/ktap-off.txt" 2>/dev/null
if [ -s "$logs/ktap-off.txt" ] && ! grep -qv '^skip ' "$logs/ktap-off.txt"; then
	result pass "CONFIG_VAS=n: every selftest skips (syscalls give ENOSYS)"
else
	grep -v '^skip ' "$logs/ktap-off.txt" > "$logs/off-not-skipped.log"
	result fail "CONFIG_VAS=n: every selftest skips (syscalls give ENOSYS)" "$logs/off-not-skipped.log"
fi
fi

if want fresh; then
stage "fresh machine: Debian 12 minbase, deps.sh, make run, static checks"
if sh "$top/scripts/fresh.sh" "$logs/fresh" > "$logs/fresh.log" 2>&1; then
	result pass "fresh machine: deps.sh gives a bare Debian 12 all that make run and the static checks use"
else
	tail -n 40 "$logs/fresh/fresh.log" >> "$logs/fresh.log" 2>/dev/null
	result fail "fresh machine: deps.sh gives a bare Debian 12 all that make run and the static checks use" "$logs/fresh.log"
fi
fi

finish
