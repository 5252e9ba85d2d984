#!/bin/sh
# mkinitramfs.sh OUT USERSPACE_DIR [EXTRA_DIR]: a busybox initramfs with the
# guest init, the project's static programs in /vas and, optionally, a
# user's directory in /extra.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "$1")
userspace=$2
extra=${3:-}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc" "$root/vas"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
printf 'root:x:0:0:root:/:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
cp "$top/guest/init" "$root/init"
cp -r "$userspace/." "$root/vas/"
if [ -n "$extra" ]; then
	[ -x "$extra/run" ] || { echo "mkinitramfs: $extra/run is not an executable" >&2; exit 1; }
	cp -r "$extra/." "$root/extra/" 2>/dev/null || { mkdir -p "$root/extra"; cp -r "$extra/." "$root/extra/"; }
fi
(cd "$root" && find . | sort | cpio --quiet -o -H newc | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
