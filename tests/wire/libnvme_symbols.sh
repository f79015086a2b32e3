#!/bin/sh
# Exported symbols of libnvmf.so against libnvme.so: an application may link
# both, so no symbol may be defined by the two. Also: libnvmf exports exactly
# the functions <nvmf/nvmf.h> declares with NVMF_API, all named nvmf_*.
#   libnvme_symbols.sh NM LIBNVMF_SO LIBNVME_SO NVMF_H
set -eu
nm=$1; nvmf=$2; nvme=$3; hdr=$4
tmp=$(mktemp -d /tmp/nvmf-syms-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# "ADDRESS TYPE NAME[@[@]VERSION]"; type A is a version node, not a symbol.
exports() {
	"$nm" -D --defined-only "$1" | awk 'NF >= 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }' |
		sort -u
}
exports "$nvmf" >"$tmp/nvmf"
exports "$nvme" >"$tmp/nvme"
n_nvmf=$(wc -l <"$tmp/nvmf")
n_nvme=$(wc -l <"$tmp/nvme")
# Guard against an empty comparison passing by itself.
[ "$n_nvmf" -ge 40 ] || { echo "FAIL: only $n_nvmf symbols exported by $nvmf" >&2; exit 1; }
grep -qx nvmf_get_discovery_log "$tmp/nvme" ||
	{ echo "FAIL: $nvme does not export nvmf_get_discovery_log: wrong library?" >&2; exit 1; }

both=$(comm -12 "$tmp/nvmf" "$tmp/nvme")
if [ -n "$both" ]; then
	echo "FAIL: exported by both $nvmf and $nvme:" >&2
	echo "$both" >&2
	exit 1
fi

grep -oE '^NVMF_API[^(]*[^a-z0-9_]nvmf_[a-z0-9_]+\(' "$hdr" |
	sed -E 's/.*[^a-z0-9_](nvmf_[a-z0-9_]+)\($/\1/' | sort -u >"$tmp/decl"
[ -s "$tmp/decl" ] || { echo "FAIL: no NVMF_API declaration found in $hdr" >&2; exit 1; }
if ! diff "$tmp/decl" "$tmp/nvmf" >"$tmp/diff"; then
	echo "FAIL: exports of $nvmf differ from the NVMF_API declarations of $hdr" >&2
	echo "(< declared only, > exported only)" >&2
	cat "$tmp/diff" >&2
	exit 1
fi
echo "ok: $n_nvmf libnvmf symbols, all declared in nvmf.h, none among libnvme's $n_nvme"
