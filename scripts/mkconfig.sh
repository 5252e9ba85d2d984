#!/bin/sh
# mkconfig.sh TREE OBJ FRAGMENT...: tinyconfig plus the fragments, into
# OBJ/.config.  Fails if the merged configuration lost any option a fragment
# asks for (Kconfig drops options with unmet dependencies silently).  The
# .config is only replaced when it changed, so that an unchanged
# configuration never triggers a rebuild, and the merge itself is skipped
# while its inputs (the fragments, the patches, the base tree and this
# script) are those of the last merge and .config was not edited since.
set -eu

tree=$(realpath "$1") obj=$(realpath -m "$2")
shift 2
mkdir -p "$obj"
stamp=$(cat "$@" "$tree/.git/vas-patches-stamp" "$tree/.git/vas-base-version" "$0" |
	sha256sum | cut -d' ' -f1)
if [ -f "$obj/.config" ] && [ "$(cat "$obj/.config-stamp" 2>/dev/null)" = "$stamp" ] &&
	[ ! "$obj/.config" -nt "$obj/.config-stamp" ]; then
	exit 0
fi
new=.config.new
make -s -C "$tree" O="$obj" KCONFIG_CONFIG=$new tinyconfig >/dev/null
cat "$@" >> "$obj/$new"
make -s -C "$tree" O="$obj" KCONFIG_CONFIG=$new olddefconfig >/dev/null 2>&1

# What the fragments ask for: for each symbol, the last fragment that names
# it wins, as in the merge above.
cat "$@" | sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=.*/\1 &/p; s/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 &/p' |
	awk '{ sym = $1; sub(/^[^ ]* /, ""); want[sym] = $0 }
	     END { for (s in want) print want[s] }' |
while read -r line; do
	case "$line" in
	"# CONFIG_"*)
		sym=${line#\# }
		sym=${sym%% *}
		if grep -q "^$sym=" "$obj/$new"; then
			echo "mkconfig: wants '$line', got '$(grep "^$sym=" "$obj/$new")'"
		fi
		;;
	*)
		if ! grep -qx "$line" "$obj/$new"; then
			sym=${line%%=*}
			echo "mkconfig: wants '$line', got '$(grep -E "^(# )?$sym[= ]" "$obj/$new" || echo unset)'"
		fi
		;;
	esac
done > "$obj/config-mismatch.txt"
if [ -s "$obj/config-mismatch.txt" ]; then
	cat "$obj/config-mismatch.txt" >&2
	echo "mkconfig: the merged .config in $obj dropped options (see above)" >&2
	exit 1
fi
if ! cmp -s "$obj/$new" "$obj/.config"; then
	mv "$obj/$new" "$obj/.config"
else
	rm -f "$obj/$new"
fi
echo "$stamp" > "$obj/.config-stamp"
