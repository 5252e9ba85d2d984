#!/bin/sh
# distcmp.sh TREE DOTCONFIG: compare the memory management of the test
# kernel's DOTCONFIG with Debian's amd64 6.12 kernel (linux-config-6.12).
# The symbols compared: every one defined in mm/Kconfig, the memory options
# of arch/x86/Kconfig and the features named in configs/distro.config's
# header, listed below.  A module counts as built in (the guest has no
# modules).  Prints each difference; exits 1 if one is not explained in
# configs/distro-exceptions ("SYMBOL  reason", one per line).
set -eu

tree=$1 config=$2
top=$(cd "$(dirname "$0")/.." && pwd)
exceptions="$top/configs/distro-exceptions"
debian_xz=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz

x86_mm="X86_5LEVEL X86_DIRECT_GBPAGES NUMA X86_64_ACPI_NUMA AMD_NUMA
	X86_SUPPORTS_MEMORY_FAILURE X86_MCE ARCH_MEMORY_PROBE X86_PMEM_LEGACY
	X86_CHECK_BIOS_CORRUPTION MTRR X86_PAT X86_INTEL_MEMORY_PROTECTION_KEYS
	X86_USER_SHADOW_STACK X86_VSYSCALL_EMULATION RANDOMIZE_BASE
	RANDOMIZE_MEMORY ADDRESS_MASKING MODIFY_LDT_SYSCALL AMD_MEM_ENCRYPT
	X86_SGX MITIGATION_PAGE_TABLE_ISOLATION"
features="TRANSPARENT_HUGEPAGE HUGETLBFS SWAP ZRAM MIGRATION COMPACTION KSM
	NUMA NUMA_EMU MEMCG CGROUPS USERFAULTFD IO_URING SECCOMP SECCOMP_FILTER
	COREDUMP CROSS_MEMORY_ATTACH MMU_NOTIFIER PROC_PAGE_MONITOR PREEMPT
	UPROBES PAGE_TABLE_CHECK DEBUG_KMEMLEAK"

[ -r "$debian_xz" ] || { echo "distcmp: $debian_xz is missing (linux-config-6.12)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xz -dc "$debian_xz" > "$tmp/debian"

# value CONFIG SYMBOL: the symbol's value, "n" when unset, m as y.
value() {
	v=$(sed -n "s/^CONFIG_$2=//p" "$1")
	case "$v" in
	"") echo n ;;
	m) echo y ;;
	*) echo "$v" ;;
	esac
}

{
	awk '/^(menu)?config [A-Z0-9_]+/ { print $2 }' "$tree/mm/Kconfig"
	echo $x86_mm $features | tr ' \t' '\n\n'
} | grep . | sort -u > "$tmp/symbols"

bad=0 known=0
while read -r sym; do
	d=$(value "$tmp/debian" "$sym")
	o=$(value "$config" "$sym")
	[ "$d" = "$o" ] && continue
	reason=$(sed -n "s/^$sym[[:space:]]\{1,\}//p" "$exceptions")
	if [ -n "$reason" ]; then
		known=$((known + 1))
		echo "  $sym: debian=$d ours=$o ($reason)"
	else
		bad=$((bad + 1))
		echo "DIFF $sym: debian=$d ours=$o, not in configs/distro-exceptions"
	fi
done < "$tmp/symbols"

# An exception that no longer differs is stale.
while read -r sym _; do
	case "$sym" in ''|'#'*) continue ;; esac
	if ! grep -qx "$sym" "$tmp/symbols"; then
		echo "STALE $sym: listed in configs/distro-exceptions but not compared"
		bad=$((bad + 1))
	elif [ "$(value "$tmp/debian" "$sym")" = "$(value "$config" "$sym")" ]; then
		echo "STALE $sym: listed in configs/distro-exceptions but no longer differs"
		bad=$((bad + 1))
	fi
done < "$exceptions"

echo "distcmp: $(wc -l < "$tmp/symbols") symbols, $known known differences, $bad unexplained"
[ "$bad" -eq 0 ]
