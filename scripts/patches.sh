#!/bin/sh
# patches.sh export: write the commits base..vas of build/linux to patches/.
# patches.sh verify: check that patches/ is exactly what the assembled tree
#                    regenerates (the tree was built from patches/ by git am,
#                    which applies with zero fuzz).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree="$top/build/linux"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A fixed abbreviation: git's default depends on how many objects the repository holds.
git -C "$tree" -c core.abbrev=12 format-patch -q --zero-commit --no-signature --no-numbered \
	-o "$out" base..HEAD
(cd "$out" && ls *.patch > series) 2>/dev/null || : > "$out/series"

case "${1:-}" in
export)
	rm -f "$top"/patches/*.patch
	cp "$out"/*.patch "$out/series" "$top/patches/"
	git -C "$tree" rev-parse HEAD > "$tree/.git/vas-patches-head"
	stamp=$(cat "$top/patches/series" $(sed "s|^|$top/patches/|" "$top/patches/series") |
		sha256sum | cut -d' ' -f1)
	echo "$stamp" > "$tree/.git/vas-patches-stamp"
	echo "patches: wrote $(wc -l < "$out/series") patches"
	;;
verify)
	if ! diff -r -u "$top/patches" "$out" >&2; then
		echo "patches: patches/ differs from what build/linux regenerates" >&2
		exit 1
	fi
	;;
*)
	echo "usage: $0 export|verify" >&2
	exit 2
	;;
esac
