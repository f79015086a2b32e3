#!/bin/sh
# Builds the Debian packages, installs them, runs the README flow against the
# installed programs, builds examples/ against libnvmf-dev, purges them.
#   package_deb.sh SOURCE_DIR OUT_DIR CMAKE
set -eu
src=$1; out=$2; cmake=$3
pkgs="libnvmf1 libnvmf-dev nvmf-tools nvmf-target"

skip() { echo "package_deb: $*; skipped" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i, FUSE mount)"
command -v dpkg-buildpackage >/dev/null 2>&1 || skip "no dpkg-buildpackage (scripts/deps installs dpkg-dev)"
[ -e /dev/fuse ] || skip "no /dev/fuse"
for p in $pkgs; do
	case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) in
	*" installed"|*" half-installed"|*" unpacked"|*"config-files")
		skip "$p is already installed (dpkg -r it first); not touching it" ;;
	esac
done

t0=$(date +%s)
sh "$src/scripts/package-deb" "$out" || fail "scripts/package-deb"
echo "package_deb: built and checked in $(($(date +%s) - t0)) s"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvmf-pkgtest.XXXXXX")
mnt=$tmp/mnt
# nvmf-fuse's state records stay in the scratch folder.
export NVMF_RUNTIME_DIR="$tmp/run"
tpid=
installed=0
cleanup() {
	status=$?
	set +e
	if grep -qs " $mnt " /proc/self/mounts; then fusermount3 -u "$mnt" || umount -l "$mnt"; fi
	if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; fi
	if [ "$installed" = 1 ]; then
		# shellcheck disable=SC2086
		dpkg --purge $pkgs >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; status=1; }
		for p in $pkgs; do
			if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
				echo "FAIL: $p is still installed after dpkg --purge" >&2; status=1
			fi
		done
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

set --
for p in $pkgs; do
	f=$(ls "$out/${p}_"*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || fail "no $p .deb in $out"
	set -- "$@" "$f"
done
installed=1
dpkg -i "$@" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "dpkg -i"; }
echo "package_deb: installed $pkgs"

# Installed where Debian puts them, without RUNPATH, and found by the linker.
for exe in /usr/bin/nvmfctl /usr/bin/nvmf-fuse /usr/sbin/nvmf-target; do
	[ -x "$exe" ] || fail "$exe is not installed"
	if readelf -d "$exe" | grep -q -E '\((RUNPATH|RPATH)\)'; then fail "$exe has a RUNPATH"; fi
done
env -u LD_LIBRARY_PATH /usr/bin/nvmfctl --version || fail "installed nvmfctl --version"

# The README flow: a target on a file, nvmf-fuse, I/O through the namespace file.
nqn=nqn.2026-12.org.libnvmf:package
truncate -s 64M "$tmp/disk.img"
/usr/sbin/nvmf-target -a 127.0.0.1 -p 0 -P 0 -n "$nqn" "$tmp/disk.img" >"$tmp/target.out" 2>"$tmp/target.err" &
tpid=$!
i=0
while ! grep -qs '^listening on' "$tmp/target.out"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$tpid" 2>/dev/null; then
		cat "$tmp/target.err" >&2; fail "nvmf-target did not start in 10 s"
	fi
	sleep 0.1
done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/target.out")
[ -n "$port" ] || fail "no port in: $(cat "$tmp/target.out")"
uri="nvme+tcp://127.0.0.1:$port/$nqn"
nvmfctl discover -t tcp -a 127.0.0.1 -s "$port" >"$tmp/disc.out" 2>&1 || { cat "$tmp/disc.out"; fail "nvmfctl discover"; }
grep -q "subnqn:  $nqn" "$tmp/disc.out" || { cat "$tmp/disc.out"; fail "discover does not list $nqn"; }
echo "package_deb: nvmfctl discover lists $nqn"

mkdir "$mnt"
# mount: nvmf-fuse on $mnt, n1 there within 10 s; umount: fusermount3 -u, gone within 10 s.
mount_ns() {
	nvmf-fuse "$mnt" "$uri" >"$tmp/fuse.out" 2>&1 || { cat "$tmp/fuse.out"; fail "nvmf-fuse $mnt $uri"; }
	i=0
	while [ ! -e "$mnt/n1" ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { cat "$tmp/fuse.out"; fail "no $mnt/n1 after 10 s"; }
		sleep 0.1
	done
}
umount_ns() {
	fusermount3 -u "$mnt" || fail "fusermount3 -u $mnt"
	i=0
	while grep -qs " $mnt " /proc/self/mounts; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "$mnt still mounted 10 s after fusermount3 -u"
		sleep 0.1
	done
}
head -c 4194304 /dev/urandom >"$tmp/payload"
mount_ns
dd if="$tmp/payload" of="$mnt/n1" bs=1M seek=3 conv=notrunc,fsync status=none || fail "write to $mnt/n1"
umount_ns
dd if="$tmp/disk.img" of="$tmp/backing" bs=1M skip=3 count=4 status=none
cmp "$tmp/payload" "$tmp/backing" || fail "the backing file does not hold what was written through nvmf-fuse"
# A new mount: nothing cached, the read goes to the target.
mount_ns
dd if="$mnt/n1" of="$tmp/readback" bs=1M skip=3 count=4 status=none || fail "read $mnt/n1"
cmp "$tmp/payload" "$tmp/readback" || fail "read back through nvmf-fuse differs from what was written"
umount_ns
echo "package_deb: 4 MiB written through nvmf-fuse, found in the backing file, read back through a new mount"

# libnvmf-dev: examples/ against the system's libnvmf, pkg-config and CMake (static).
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$tmp/nvmf-ls" "$src/examples/nvmf-ls.c" $(pkg-config --cflags --libs libnvmf) ||
	fail "examples/nvmf-ls.c with pkg-config libnvmf"
"$tmp/nvmf-ls" "$uri" | grep -q '^namespace 1: 131072 blocks of 512 bytes' || fail "nvmf-ls (pkg-config) against the target"
"$cmake" -S "$src/examples" -B "$tmp/ex" -DNVMF_EXAMPLES_STATIC=ON >"$tmp/ex.log" 2>&1 &&
	"$cmake" --build "$tmp/ex" >>"$tmp/ex.log" 2>&1 || { cat "$tmp/ex.log"; fail "examples/ with find_package, static"; }
grep -q '^libnvmf_DIR:PATH=/usr/lib/' "$tmp/ex/CMakeCache.txt" || fail "find_package did not use the package's CMake files"
"$tmp/ex/nvmf-ls" "$uri" | grep -q '^namespace 1: 131072 blocks' || fail "nvmf-ls (CMake, static) against the target"
echo "package_deb: examples/ built against libnvmf-dev (pkg-config; find_package, static) and ran"

kill "$tpid"; wait "$tpid" || fail "nvmf-target exited with status $?"
tpid=
echo "package_deb: every step passed in $(($(date +%s) - t0)) s"
