# First-class virtual address spaces for Linux 6.12: build, boot and check.
#
#   make run      build the patched kernel and a static userspace, boot it in
#                 QEMU and run the demo (installs what it needs)
#   make check    every check; ends with "N passed, N failed[, N skipped]"
#   make shell    boot the test kernel with an interactive shell
#   make guest GUEST_EXTRA=dir   boot it and run dir/run (dir goes to /extra)
#   make bench    boot a kernel without debugging options and run the
#                 benchmark; its table goes to build/logs/bench.txt
#   make headers  export the uapi headers to build/usr/include
#   make patches  write the commits of build/linux back to patches/
#   make clean    remove build/ (keeps the ccache)
#
# See README.md.

# The linux-source-6.12 version this project is tested on.
PIN := 6.12.117-1~deb12u1

TOP := $(CURDIR)
B := $(TOP)/build
TREE := $(B)/linux
DBG := $(B)/obj-debug
OFF := $(B)/obj-off
BENCH := $(B)/obj-bench
USR := $(B)/usr
GUEST := $(B)/guest
NPROC := $(shell nproc)
KMAKE = $(MAKE) -s -C $(TREE) CC="ccache gcc" -j$(NPROC)
# Paths relative to the checkout in ccache's keys: a fresh clone elsewhere
# (CI, scripts/fresh.sh) hits the objects this one compiled.
export CCACHE_BASEDIR := $(TOP)
export CCACHE_NOHASHDIR := 1

DEBUG_FRAGMENTS := configs/base.config configs/distro.config configs/debug.config \
	tools/testing/selftests/vas/config
OFF_FRAGMENTS := configs/base.config configs/vas-off.config
BENCH_FRAGMENTS := configs/base.config configs/bench.config \
	tools/testing/selftests/vas/config

.PHONY: all deps tree kernel kernel-off kernel-bench headers userspace \
	initramfs run shell guest bench check patches clean

all: run

deps:
	@sh scripts/deps.sh $(PIN)

tree: deps
	@sh scripts/assemble.sh $(PIN)

# The test kernel: lockdep, KASAN, DEBUG_VM, ... (configs/debug.config).
kernel: tree
	@sh scripts/mkconfig.sh $(TREE) $(DBG) $(DEBUG_FRAGMENTS)
	@echo "kernel: building $(DBG)/arch/x86/boot/bzImage"
	+@$(KMAKE) O=$(DBG) bzImage

# The same guest with CONFIG_VAS=n.
kernel-off: tree
	@sh scripts/mkconfig.sh $(TREE) $(OFF) $(OFF_FRAGMENTS)
	@echo "kernel-off: building $(OFF)/arch/x86/boot/bzImage"
	+@$(KMAKE) O=$(OFF) bzImage

# The benchmark kernel: the same guest without debugging options.
kernel-bench: tree
	@sh scripts/mkconfig.sh $(TREE) $(BENCH) $(BENCH_FRAGMENTS)
	@echo "kernel-bench: building $(BENCH)/arch/x86/boot/bzImage"
	+@$(KMAKE) O=$(BENCH) bzImage

headers: tree
	@sh scripts/mkconfig.sh $(TREE) $(DBG) $(DEBUG_FRAGMENTS)
	+@$(KMAKE) O=$(DBG) headers_install INSTALL_HDR_PATH=$(USR) >/dev/null

# Static programs for the guest: the selftests and the demo.
userspace: headers
	@mkdir -p $(GUEST)/selftests
	+@$(MAKE) -s -C $(TREE)/tools/testing/selftests/vas OUTPUT=$(GUEST)/selftests \
		KHDR_INCLUDES="-isystem $(USR)/include" USERCFLAGS=-Werror \
		USERLDFLAGS=-static
	@gcc -static -O2 -Wall -Werror -isystem $(USR)/include \
		-pthread -o $(GUEST)/vas-demo samples/vas/vas-demo.c

initramfs: userspace
	@sh scripts/mkinitramfs.sh $(B)/initramfs.cpio.gz $(GUEST) $(GUEST_EXTRA)

run: kernel initramfs
	@sh scripts/qemu.sh demo $(DBG)/arch/x86/boot/bzImage $(B)/initramfs.cpio.gz $(B)/logs

shell: kernel initramfs
	@sh scripts/qemu.sh shell $(DBG)/arch/x86/boot/bzImage $(B)/initramfs.cpio.gz $(B)/logs

guest: kernel
	@test -n "$(GUEST_EXTRA)" || { echo "usage: make guest GUEST_EXTRA=dir" >&2; exit 2; }
	+@$(MAKE) -s initramfs GUEST_EXTRA=$(abspath $(GUEST_EXTRA))
	@sh scripts/qemu.sh guest $(DBG)/arch/x86/boot/bzImage $(B)/initramfs.cpio.gz $(B)/logs

# 5-level paging (see scripts/qemu.sh).
# The table, from the program's first line to its status, is kept in
# build/logs/bench.txt; the status is the benchmark's.
bench: kernel-bench initramfs
	@VAS_QEMU_PAGING=5 sh scripts/qemu.sh bench $(BENCH)/arch/x86/boot/bzImage \
		$(B)/initramfs.cpio.gz $(B)/logs; rc=$$?; \
	tr -d '\r' < $(B)/logs/bench-console.log | \
		sed -n '/^vas_bench: /,/^VAS-BENCH-RC=/p' > $(B)/logs/bench.txt; \
	echo "bench: table in $(B)/logs/bench.txt"; exit $$rc

check: deps
	@sh scripts/check.sh

patches:
	@sh scripts/patches.sh export

clean:
	rm -rf $(B)
