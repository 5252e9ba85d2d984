#!/bin/sh
# Assemble the kernel tree in build/linux: Debian's linux-source-6.12, then
# patches/ (one git commit each, zero fuzz), then the project's new files
# linked in from the repository (so an edit of mm/vas.c only rebuilds
# mm/vas.o).
#
# The tree is a git repository: tag "base" is the pristine source, branch
# "vas" carries one commit per patch.  Change upstream files there, commit,
# and run "make patches" to write patches/ back.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree="$top/build/linux"
pin="$1"
tarball=/usr/src/linux-source-6.12.tar.xz
export GIT_AUTHOR_NAME=vas GIT_AUTHOR_EMAIL=vas@localhost
export GIT_COMMITTER_NAME=vas GIT_COMMITTER_EMAIL=vas@localhost
export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
g() { git -C "$tree" -c core.autocrlf=false -c gc.auto=0 "$@"; }

if [ ! -d "$tree/.git" ]; then
	have=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	if [ "$have" != "$pin" ]; then
		echo "assemble: WARNING: linux-source-6.12 $have is installed, the project is tested on $pin" >&2
	fi
	echo "assemble: extracting linux-source-6.12 $have"
	rm -rf "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
	g_tmp() { git -C "$tree.tmp" -c gc.auto=0 "$@"; }
	g_tmp init -q -b vas
	g_tmp add -A -f .
	g_tmp commit -q -m "linux-source-6.12 $have"
	g_tmp tag base
	mv "$tree.tmp" "$tree"
	echo "$have" > "$tree/.git/vas-base-version"
fi
echo "assemble: base is linux-source-6.12 $(cat "$tree/.git/vas-base-version")"

# Patches: re-applied whenever patches/ changed since the last assembly.
stamp=$(cat "$top/patches/series" $(sed "s|^|$top/patches/|" "$top/patches/series") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$tree/.git/vas-patches-stamp" 2>/dev/null)" != "$stamp" ]; then
	applied=$(cat "$tree/.git/vas-patches-head" 2>/dev/null || g rev-parse base)
	if [ "$(g rev-parse HEAD)" != "$applied" ]; then
		echo "assemble: build/linux has commits that are not in patches/: run 'make patches' first" >&2
		exit 1
	fi
	echo "assemble: applying patches/"
	g reset -q --hard base
	while read -r p; do
		g am -q --whitespace=nowarn "$top/patches/$p" || {
			g am --abort
			echo "assemble: $p does not apply to the base tree" >&2
			exit 1
		}
	done < "$top/patches/series"
	g rev-parse HEAD > "$tree/.git/vas-patches-head"
	echo "$stamp" > "$tree/.git/vas-patches-stamp"
fi

# New files: symlinks into the repository, kept out of the tree's git.
cd "$top"
git ls-files --cached --others --exclude-standard Documentation include mm fs kernel arch samples tools MAINTAINERS 2>/dev/null |
	sort > "$tree/.git/vas-overlay.new"
touch "$tree/.git/vas-overlay"
comm -23 "$tree/.git/vas-overlay" "$tree/.git/vas-overlay.new" | while read -r f; do
	rm -f "$tree/$f"
done
while read -r f; do
	if g cat-file -e "HEAD:$f" 2>/dev/null; then
		echo "assemble: $f is an upstream file: change it with a patch" >&2
		exit 1
	fi
	if [ "$(readlink "$tree/$f" 2>/dev/null)" != "$top/$f" ]; then
		mkdir -p "$(dirname "$tree/$f")"
		ln -sfn "$top/$f" "$tree/$f"
	fi
done < "$tree/.git/vas-overlay.new"
mv "$tree/.git/vas-overlay.new" "$tree/.git/vas-overlay"
cp "$tree/.git/vas-overlay" "$tree/.git/info/exclude"
