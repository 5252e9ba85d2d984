#!/bin/sh
# fresh.sh LOGDIR: prove that a bare Debian 12 has everything the project
# needs once scripts/deps.sh has run.
#
# A Debian 12 minbase tree (debootstrap --variant=minbase: apt, dpkg and the
# essential packages, nothing else) gets a copy of this repository at the
# same path as here, and in a chroot there, as a new user would:
#   apt-get install make     the one prerequisite the README names
#   make run                 deps.sh, the tree, the test kernel, the static
#                            userspace, the initramfs and the demo in QEMU
#   scripts/check.sh tree static kernel userspace
#                            the patches, checkpatch, kernel-doc, the ABI
#                            check, sparse and W=1
# A command that any of them uses and that deps.sh does not install fails
# the step.  Exits with the chroot's status; the logs go to LOGDIR.
#
# Cached between runs in $VAS_CACHE (default ~/.cache/vas), beside ccache:
# the minbase tree as debootstrap left it, and the .deb files apt fetched.
# The host's ccache directory is shared, and the repository sits at the same
# path, so the kernel compiles from the cache once the host has built it.
# The chroot uses the host's apt sources and settings.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
logs=$(realpath -m "$1")
suite=bookworm
cache=${VAS_CACHE:-$HOME/.cache/vas}
base="$cache/minbase-$suite.tar"
debs="$cache/debs-$suite"
root="$top/build/fresh"
ccache_dir=$(ccache -k cache_dir)
mkdir -p "$logs" "$cache" "$debs/partial" "$ccache_dir"

# The Debian mirror of the host's apt sources (deb822 or one-line format).
mirror() {
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk -v s="$suite" '/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) { print u; exit } }'
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }'
}

if [ ! -s "$base" ]; then
	url=$(mirror | head -n 1)
	[ -n "$url" ] || { echo "fresh: no $suite source in the host's apt sources" >&2; exit 1; }
	echo "fresh: debootstrap --variant=minbase $suite (cached in $base)"
	rm -rf "$root"
	if ! debootstrap --variant=minbase "$suite" "$root" "$url" > "$logs/debootstrap.log" 2>&1; then
		tail -n 20 "$logs/debootstrap.log" >&2
		exit 1
	fi
	tar -C "$root" -cf "$base.tmp" .
	mv "$base.tmp" "$base"
fi

echo "fresh: a new minbase tree in $root"
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base"
# The host's apt sources and settings, name resolution, and no daemons.
rm -f "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
	/etc/apt/apt.conf.d/*; do
	[ -f "$f" ] && cp "$f" "$root$f"
done
cp /etc/resolv.conf /etc/hosts "$root/etc/"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

# The repository as checked out here (with its uncommitted changes), without
# its build folder, at the same path.
mkdir -p "$root$top"
tar -C "$top" --exclude=./build -cf - . | tar -C "$root$top" -xf -

# In a mount namespace of its own: the mounts vanish with it.
cat > "$root/fresh-run" <<EOF
#!/bin/sh
set -e
start=\$(date +%s)
step() { echo "fresh: \$* (\$((\$(date +%s) - start)) s)"; }
export DEBIAN_FRONTEND=noninteractive
step "apt-get install make"
apt-get update -qq
apt-get install -y -qq --no-install-recommends make >/dev/null
cd "$top"
step "make run"
make run
step "check.sh tree static kernel userspace"
sh scripts/check.sh tree static kernel userspace
step "done"
EOF
chmod 755 "$root/fresh-run"
unshare --mount --propagation private sh -eu -c '
	root=$1 debs=$2 ccache_dir=$3
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mount -t sysfs sysfs "$root/sys"
	mkdir -p "$root/var/cache/apt/archives" "$root/root/.cache/ccache"
	mount --bind "$debs" "$root/var/cache/apt/archives"
	mount --bind "$ccache_dir" "$root/root/.cache/ccache"
	exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 TERM=dumb CCACHE_DIR=/root/.cache/ccache /fresh-run
' fresh "$root" "$debs" "$ccache_dir" > "$logs/fresh.log" 2>&1
