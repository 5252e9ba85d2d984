# First-class virtual address spaces for Linux 6.12: build, boot and check.
#
#   make run      build the patched kernel and a static userspace, boot it in
#                 QEMU and run the demo (installs what it needs)
#   make check    every check; ends with "N passed, N failed[, N skipped]"
#   make shell    boot the test kernel with an interactive shell
#   make guest GUEST_EXTRA=dir   boot it and run dir/run (dir goes to /extra)
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
USR := $(B)/usr
GUEST := $(B)/guest
NPROC := $(shell nproc)
KMAKE = $(MAKE) -s -C $(TREE) CC="ccache gcc" -j$(NPROC)

DEBUG_FRAGMENTS := configs/base.config configs/debug.config \
	tools/testing/selftests/vas/config
OFF_FRAGMENTS := configs/base.config configs/vas-off.config

.PHONY: all deps tree kernel kernel-off headers userspace initramfs run shell \
	guest check patches clean

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
		-o $(GUEST)/vas-demo samples/vas/vas-demo.c

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

check: deps
	@sh scripts/check.sh

patches:
	@sh scripts/patches.sh export

clean:
	rm -rf $(B)
