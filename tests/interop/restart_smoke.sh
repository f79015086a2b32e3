#!/bin/sh
# Stop/restart of a target with the same disk (what fault tests build on).
# Boots a private target (its own state directory, not a shared fixture,
# since restarting a fixture would disturb the tests using it), writes a
# marker through the guest onto namespace 1's disk, restarts, and checks
# that the marker is still there, that the host-side image holds it, that
# the ports and the namespace's UUID and NGUID stayed and that the target
# answers an ICReq again.
# Usage: restart_smoke.sh STATEDIR CACHEDIR
set -eu

fail() { echo "FAIL: $*" >&2; exit 1; }
[ $# -eq 2 ] || fail "usage: $0 STATEDIR CACHEDIR"
here=$(cd "$(dirname "$0")" && pwd)
nvmet="$here/nvmet"
dir=$1
nqn=nqn.2014-08.org.libnvmf:restart

trap '"$nvmet" stop "$dir" --log 30 >&2 || true' EXIT
"$nvmet" start "$dir" --cache "$2" --kernel 6.1 --lba 512 --disk-size 16M --subsys "$nqn" >/dev/null ||
	fail "the target did not start"
. "$dir/target.env"
port1=$NVMF_TEST_TRSVCID
uuid1=$NVMF_TEST_NS_UUID
nguid1=$NVMF_TEST_NS_NGUID
marker="libnvmf-restart-$$"

# Write in the guest, on the disk behind namespace 1 (1 MiB in), and flush:
# QEMU writes it through to the image file on this machine.
"$NVMF_TEST_CTL" "printf '%s' $marker | dd of=/dev/vda bs=512 seek=2048 conv=notrunc,fsync 2>/dev/null" ||
	fail "writing the marker in the guest failed"
echo "ok 1 - marker written"

"$NVMF_TEST_CTL" restart >/dev/null || fail "restart failed"
. "$dir/target.env"
echo "ok 2 - restarted"
[ "$NVMF_TEST_TRSVCID" = "$port1" ] || fail "port changed across restart: $port1 -> $NVMF_TEST_TRSVCID"
echo "ok 3 - same port $port1"

got=$("$NVMF_TEST_CTL" "dd if=/dev/vda bs=512 skip=2048 count=1 2>/dev/null | head -c ${#marker}") ||
	fail "reading the marker in the guest failed"
[ "$got" = "$marker" ] || fail "marker after restart: expected '$marker', got '$got'"
echo "ok 4 - marker survived the restart"

got=$(dd if="$NVMF_TEST_IMAGE" bs=512 skip=2048 count=1 2>/dev/null | head -c ${#marker})
[ "$got" = "$marker" ] || fail "host image $NVMF_TEST_IMAGE: expected '$marker', got '$got'"
echo "ok 5 - marker in the host image"

got=$("$NVMF_TEST_CTL" "cat /sys/kernel/config/nvmet/subsystems/$nqn/namespaces/1/enable")
[ "$got" = 1 ] || fail "namespace 1 not enabled after restart ('$got')"
# The same namespace to a host: UUID and NGUID as before the restart.
[ -n "$NVMF_TEST_NS_UUID" ] && [ "$NVMF_TEST_NS_UUID" = "$uuid1" ] && [ "$NVMF_TEST_NS_NGUID" = "$nguid1" ] ||
	fail "namespace identity in target.env changed: $uuid1/$nguid1 -> $NVMF_TEST_NS_UUID/$NVMF_TEST_NS_NGUID"
got=$("$NVMF_TEST_CTL" "cd /sys/kernel/config/nvmet/subsystems/$nqn/namespaces/1 && echo \$(cat device_uuid) \$(cat device_nguid)")
[ "$got" = "$uuid1 $nguid1" ] || fail "namespace 1 after restart: UUID and NGUID '$got', expected '$uuid1 $nguid1'"
echo "ok 6 - namespace 1 enabled, same UUID $uuid1 and NGUID $nguid1"
"$nvmet" probe 127.0.0.1 "$NVMF_TEST_TRSVCID" >/dev/null || fail "no ICResp after restart"
echo "ok 7 - ICResp after restart"

"$nvmet" stop "$dir" >/dev/null 2>&1 || fail "stop failed"
trap - EXIT
if "$nvmet" probe 127.0.0.1 "$NVMF_TEST_TRSVCID" >/dev/null 2>&1; then fail "target still answers after stop"; fi
echo "ok 8 - stopped"
echo "restart_smoke: all steps passed"
