#!/bin/sh
# Installs the build tree into a temporary prefix, compiles examples/nvmf-ls.c
# against the installed libnvmf through pkg-config alone, and runs it against
# the fake controller on loopback.
#   pkgconfig_example.sh BUILD_DIR EXAMPLE_SOURCE FAKE_CTRL CC [CFLAGS...]
set -eu
build=$1; src=$2; fake=$3; cc=$4; shift 4
tmp=$(mktemp -d /tmp/nvmf-pc-XXXXXX)
fpid=
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null || true
	rm -rf "$tmp"
	:
}
trap cleanup EXIT

# A staged install (DESTDIR): the .pc file's paths are relative to its own
# folder (${pcfiledir}), so it is right in the stage without
# PKG_CONFIG_SYSROOT_DIR.
DESTDIR="$tmp/stage" cmake --install "$build" >/dev/null
PKG_CONFIG_PATH=$(find "$tmp/stage" -name libnvmf.pc -exec dirname {} \;)
export PKG_CONFIG_PATH
[ -n "$PKG_CONFIG_PATH" ] || { echo "FAIL: libnvmf.pc not installed" >&2; exit 1; }
pkg-config --exists libnvmf || { echo "FAIL: pkg-config does not find libnvmf" >&2; exit 1; }
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror "$@" -o "$tmp/nvmf-ls" "$src" $(pkg-config --cflags --libs libnvmf)
LD_LIBRARY_PATH=$(pkg-config --variable=libdir libnvmf)
case $LD_LIBRARY_PATH in "$tmp/stage"/*) ;; *) echo "FAIL: libdir $LD_LIBRARY_PATH is not in the stage" >&2; exit 1 ;; esac
export LD_LIBRARY_PATH

# Usage error: exit status 2.
st=0; "$tmp/nvmf-ls" >/dev/null 2>&1 || st=$?
[ "$st" = 2 ] || { echo "FAIL: nvmf-ls without arguments exited $st, not 2" >&2; exit 1; }

# Against the fake controller: namespaces and the first block.
mkfifo "$tmp/in"
"$fake" --scenario good --port 0 --stdin-eof <"$tmp/in" >"$tmp/fake.out" 2>&1 &
fpid=$!
exec 3>"$tmp/in"
port=
for _ in $(seq 100); do
	port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/fake.out")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: the fake controller did not start" >&2; exit 1; }
"$tmp/nvmf-ls" "nvme+tcp://127.0.0.1:$port/nqn.2014-08.org.example:pc" >"$tmp/ls.out"
grep -q "^namespace 1: 8192 blocks of 512 bytes" "$tmp/ls.out" || { cat "$tmp/ls.out"; echo "FAIL: no namespace line" >&2; exit 1; }
grep -q "^  000000  03 0a 11 18" "$tmp/ls.out" || { cat "$tmp/ls.out"; echo "FAIL: first block not printed" >&2; exit 1; }
exec 3>&-
wait "$fpid" || true
fpid=
echo "ok: nvmf-ls built with pkg-config and ran"
