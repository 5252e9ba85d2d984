#!/bin/sh
# Install what the build, the checks and the QEMU guest need, from Debian's
# archive.  Quiet and quick when everything is already there.
set -eu

pin="$1"	# the linux-source-6.12 version this project is tested on

pkgs="build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils
      git perl python3 python3-ply python3-git ccache sparse qemu-system-x86
      busybox-static rsync debootstrap linux-config-6.12"

missing=""
for p in $pkgs linux-source-6.12; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
if ! dpkg-query -W -f='${Status}\n' linux-source-6.12 2>/dev/null | grep -q '^install ok installed'; then
	if ! apt-get install -y -qq --no-install-recommends "linux-source-6.12=$pin" >/dev/null; then
		echo "deps: WARNING: linux-source-6.12=$pin is not available; using the newest 6.12" >&2
		apt-get install -y -qq --no-install-recommends linux-source-6.12 >/dev/null
	fi
fi
