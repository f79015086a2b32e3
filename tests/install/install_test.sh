#!/bin/sh
# An install under a non-system prefix, used as a new user would use it.
#   install_test.sh BUILD_DIR SOURCE_DIR CMAKE CC RPATH(0|1) [CFLAGS...]
# RPATH 1: the build gives the installed tools an $ORIGIN RUNPATH
# (NVMF_INSTALL_RPATH with a non-system libdir); 0: it gives none.
set -eu
build=$1; src=$2; cmake=$3; cc=$4; rpath=$5; shift 5
cflags="$*"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvmf-inst-XXXXXX")
prefix=$tmp/prefix
tpid=
cleanup() {
	if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; fi
	rm -rf "$tmp"
	:
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Nothing below may find the library through the environment.
unset LD_LIBRARY_PATH PKG_CONFIG_SYSROOT_DIR CMAKE_PREFIX_PATH 2>/dev/null || true

"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
pc=$(find "$prefix" -name libnvmf.pc)
[ -n "$pc" ] || fail "no libnvmf.pc under $prefix"
pcdir=$(dirname "$pc")
# LIBDIR/cmake/libnvmf/libnvmfConfig.cmake (the .pc may be elsewhere:
# libdata/pkgconfig on FreeBSD).
cfg=$(find "$prefix" -name libnvmfConfig.cmake)
[ -n "$cfg" ] || fail "no libnvmfConfig.cmake under $prefix"
libdir=$(cd "$(dirname "$cfg")/../.." && pwd -P)

# libnvmf.pc names the prefix it was installed to, not the configured one.
export PKG_CONFIG_PATH="$pcdir"
pclib=$(cd "$(pkg-config --variable=libdir libnvmf)" && pwd -P) || fail "libnvmf.pc's libdir does not exist"
[ "$pclib" = "$libdir" ] || fail "libnvmf.pc says libdir $pclib, installed in $libdir"
pcinc=$(pkg-config --variable=includedir libnvmf)
[ -f "$pcinc/nvmf/nvmf.h" ] || fail "libnvmf.pc's includedir $pcinc has no nvmf/nvmf.h"
echo "ok: libnvmf.pc points into $prefix"

# The installed tools: RUNPATH, and they run with nothing in the environment.
for t in "$prefix/bin/nvmfctl" "$prefix/bin/nvmf-fuse"; do
	[ -x "$t" ] || continue
	# GNU readelf: "(RUNPATH) Library runpath: [...]"; elftoolchain's: "RUNPATH ... [...]".
	rp=$(readelf -d "$t" | grep -E -i 'R(UN)?PATH' | sed -n 's/.*\[\(.*\)\].*/\1/p')
	if [ "$rpath" = 1 ]; then
		case $rp in *'$ORIGIN'*) ;; *) fail "$t has no \$ORIGIN RUNPATH (readelf: '$rp')" ;; esac
		"$t" --version >"$tmp/version.out" 2>&1 || { cat "$tmp/version.out"; fail "$t --version"; }
		echo "ok: $(basename "$t") RUNPATH $rp: $(cat "$tmp/version.out")"
	else
		[ -z "$rp" ] || fail "$t has a RUNPATH ($rp) though the build asked for none"
		echo "ok: $(basename "$t") has no RUNPATH (not asked for); not run"
	fi
done

# The installed nvmf-target on a sparse file, for the examples to list.
nqn=nqn.2026-12.org.libnvmf:install
truncate -s 8M "$tmp/disk.img"
"$prefix/sbin/nvmf-target" -a 127.0.0.1 -p 0 -P 0 -n "$nqn" "$tmp/disk.img" >"$tmp/target.out" 2>"$tmp/target.err" &
tpid=$!
i=0
while ! grep -qs '^listening on' "$tmp/target.out"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$tpid" 2>/dev/null; then
		cat "$tmp/target.err" >&2; fail "the installed nvmf-target did not start in 10 s"
	fi
	sleep 0.1
done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/target.out")
[ -n "$port" ] || fail "no port in: $(cat "$tmp/target.out")"
uri="nvme+tcp://127.0.0.1:$port/$nqn"
if [ "$rpath" = 1 ]; then
	"$prefix/bin/nvmfctl" discover -t tcp -a 127.0.0.1 -s "$port" >"$tmp/disc.out" 2>&1 ||
		{ cat "$tmp/disc.out"; fail "installed nvmfctl discover"; }
	grep -q "$nqn" "$tmp/disc.out" || { cat "$tmp/disc.out"; fail "discover does not list $nqn"; }
	echo "ok: installed nvmfctl discovers the installed nvmf-target"
fi

# run_ls NAME EXE STATIC(0|1): the example lists the namespace; it links
# libnvmf.so (0) or has it built in (1).
run_ls() {
	needed=$(readelf -d "$2" | grep 'NEEDED.*libnvmf\.so' || true)
	if [ "$3" = 1 ]; then
		[ -z "$needed" ] || fail "$1: linked statically, yet needs $needed"
	else
		[ -n "$needed" ] || fail "$1: does not need libnvmf.so"
	fi
	"$2" "$uri" >"$tmp/ls.out" 2>&1 || { cat "$tmp/ls.out"; fail "$1: nvmf-ls failed"; }
	grep -q '^namespace 1: 16384 blocks of 512 bytes' "$tmp/ls.out" ||
		{ cat "$tmp/ls.out"; fail "$1: no namespace line"; }
	echo "ok: $1"
}

# CMake consumers: examples/ on its own, find_package(libnvmf).
for st in OFF ON; do
	d=$tmp/ex-cmake-$st
	# shellcheck disable=SC2086
	"$cmake" -S "$src/examples" -B "$d" -DCMAKE_PREFIX_PATH="$prefix" -DNVMF_EXAMPLES_STATIC=$st \
		-DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$cflags" >"$d.log" 2>&1 ||
		{ cat "$d.log"; fail "configure examples/ with find_package (static $st)"; }
	grep -q "^libnvmf_DIR:PATH=$prefix" "$d/CMakeCache.txt" ||
		fail "find_package found another libnvmf: $(grep '^libnvmf_DIR' "$d/CMakeCache.txt")"
	"$cmake" --build "$d" >>"$d.log" 2>&1 || { cat "$d.log"; fail "build examples/ (static $st)"; }
	[ $st = ON ] && s=1 || s=0
	run_ls "find_package, static $st" "$d/nvmf-ls" $s
done

# pkg-config consumers. The shared one names its RUNPATH as any program
# using a non-system prefix must; the static one takes the archive (-l:)
# and the libraries it needs from Libs.private/Requires.private.
ex=$src/examples/nvmf-ls.c
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $cflags -o "$tmp/ls-pc" "$ex" $(pkg-config --cflags --libs libnvmf) \
	-Wl,-rpath,"$(pkg-config --variable=libdir libnvmf)" || fail "pkg-config --libs build"
run_ls "pkg-config" "$tmp/ls-pc" 0
static_libs=$(pkg-config --static --libs libnvmf | sed -e 's/-lnvmf$/-l:libnvmf.a/' -e 's/-lnvmf /-l:libnvmf.a /')
plain_libs=$(pkg-config --libs libnvmf | sed -e 's/-lnvmf$/-l:libnvmf.a/' -e 's/-lnvmf /-l:libnvmf.a /')
# Without --static the archive's own dependencies are missing: the link fails.
# shellcheck disable=SC2046,SC2086
if "$cc" -std=c11 $cflags -o "$tmp/ls-nostatic" "$ex" $(pkg-config --cflags libnvmf) $plain_libs \
	>/dev/null 2>&1; then
	fail "libnvmf.a linked without pkg-config --static: this check shows nothing"
fi
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $cflags -o "$tmp/ls-pcs" "$ex" $(pkg-config --cflags libnvmf) \
	$static_libs || fail "pkg-config --static build ($static_libs)"
run_ls "pkg-config --static" "$tmp/ls-pcs" 1

kill "$tpid"
wait "$tpid" || fail "nvmf-target exited with status $?"
tpid=
echo "ok: the install under $prefix works without LD_LIBRARY_PATH"
