#!/bin/sh
# Smoke test of the interop fixture's control channel: through NVMF_TEST_CTL
# it creates a throw-away subsystem (not linked to any port, so hosts testing
# the same target never see it), adds a namespace, resizes and removes it,
# removes the subsystem, and checks the configfs state after each step. It
# also checks that the fixture configured what target.env promises (block
# size, allow-list and DH-HMAC-CHAP settings) and that the target still
# answers an ICReq. Fails, never skips, when the target is not there.
set -eu

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${NVMF_TEST_CONSOLE_LOG:-}" ] && [ -r "$NVMF_TEST_CONSOLE_LOG" ]; then
		echo "---- guest console ($NVMF_TEST_CONSOLE_LOG, last 30 lines) ----" >&2
		tail -n 30 "$NVMF_TEST_CONSOLE_LOG" >&2
	fi
	exit 1
}

[ -n "${NVMF_TEST_ENV:-}" ] || fail "NVMF_TEST_ENV is not set: run through ctest (an interop fixture)"
[ -r "$NVMF_TEST_ENV" ] || fail "$NVMF_TEST_ENV is missing: the interop target did not start (see interop-setup-*)"
. "$NVMF_TEST_ENV"
here=$(cd "$(dirname "$0")" && pwd)
ctl=$NVMF_TEST_CTL
cfs=/sys/kernel/config/nvmet
nqn="nqn.2014-08.org.libnvmf:smoke-$$"
step=0

# expect DESCRIPTION EXPECTED GUEST-COMMAND
expect() {
	step=$((step + 1))
	got=$("$ctl" "$3" 2>/dev/null) || fail "step $step ($1): guest command failed: $3"
	[ "$got" = "$2" ] || fail "step $step ($1): expected '$2', got '$got'"
	echo "ok $step - $1"
}

# The fixture's own configuration, read in one round trip.
n="$cfs/subsystems/$NVMF_TEST_SUBNQN"
h="$cfs/hosts/$NVMF_TEST_HOSTNQN"
facts=$("$ctl" "echo enable=\$(cat $n/namespaces/1/enable)
echo uuid=\$(cat $n/namespaces/1/device_uuid)
echo nguid=\$(cat $n/namespaces/1/device_nguid)
echo lba=\$(cat /sys/block/\$(basename \$(cat $n/namespaces/1/device_path))/queue/logical_block_size)
echo allow_any=\$(cat $n/attr_allow_any_host)
[ -L $cfs/ports/1/subsystems/$NVMF_TEST_SUBNQN ] && echo port=yes
[ -L $n/allowed_hosts/$NVMF_TEST_HOSTNQN ] && echo allowed=yes
if [ -e $h/dhchap_key ]; then echo key=\$(cat $h/dhchap_key); echo ctrl_key=\$(cat $h/dhchap_ctrl_key)
echo hash=\$(cat $h/dhchap_hash); echo dhgroup=\$(cat $h/dhchap_dhgroup); fi
true" 2>/dev/null) || fail "reading the target's configfs failed"
fact() {	# DESCRIPTION KEY EXPECTED
	step=$((step + 1))
	got=$(printf '%s\n' "$facts" | sed -n "s/^$2=//p")
	[ "$got" = "$3" ] || fail "step $step ($1): expected '$3', got '$got'"
	echo "ok $step - $1"
}
fact "namespace 1 enabled" enable 1
fact "namespace 1 UUID fixed" uuid "$NVMF_TEST_NS_UUID"
fact "namespace 1 NGUID fixed" nguid "$NVMF_TEST_NS_NGUID"
fact "disk LBA size" lba "$NVMF_TEST_LBA"
fact "allow_any_host" allow_any "$NVMF_TEST_ALLOW_ANY_HOST"
fact "port 4420 linked" port yes
if [ "$NVMF_TEST_ALLOW_ANY_HOST" = 0 ]; then
	fact "host on allow-list" allowed yes
fi
if [ "$NVMF_TEST_AUTH" = 1 ]; then
	fact "dhchap host key" key "$NVMF_TEST_DHCHAP_KEY"
	fact "dhchap controller key" ctrl_key "$NVMF_TEST_DHCHAP_CTRL_KEY"
	fact "dhchap hash" hash "$NVMF_TEST_DHCHAP_HASH"
	fact "dhchap dhgroup" dhgroup "$NVMF_TEST_DHCHAP_DHGROUP"
fi

# Runtime changes through the named sub-commands.
"$ctl" subsys-add "$nqn" >/dev/null || fail "subsys-add $nqn"
trap '"$ctl" subsys-remove "$nqn" >/dev/null 2>&1 || true' EXIT
expect "subsystem created" yes "[ -d $cfs/subsystems/$nqn ] && echo yes"
"$ctl" ns-add "$nqn" 7 --size 4M >/dev/null || fail "ns-add $nqn 7"
expect "namespace 7 enabled" 1 "cat $cfs/subsystems/$nqn/namespaces/7/enable"
expect "namespace 7 size" 4194304 "stat -c %s \$(cat $cfs/subsystems/$nqn/namespaces/7/device_path)"
"$ctl" ns-resize "$nqn" 7 8M >/dev/null || fail "ns-resize $nqn 7 8M"
expect "namespace 7 resized" 8388608 "stat -c %s \$(cat $cfs/subsystems/$nqn/namespaces/7/device_path)"
if "$ctl" ns-add "$nqn" 7 --size 4M >/dev/null 2>&1; then fail "adding namespace 7 twice succeeded"; fi
echo "ok - duplicate namespace refused"
backing=$("$ctl" "cat $cfs/subsystems/$nqn/namespaces/7/device_path" 2>/dev/null)
"$ctl" ns-remove "$nqn" 7 >/dev/null || fail "ns-remove $nqn 7"
expect "namespace 7 gone" gone "[ -e $cfs/subsystems/$nqn/namespaces/7 ] || echo gone"
expect "backing file gone" gone "[ -e '$backing' ] || echo gone"
"$ctl" subsys-remove "$nqn" >/dev/null || fail "subsys-remove $nqn"
trap - EXIT
expect "subsystem gone" gone "[ -e $cfs/subsystems/$nqn ] || echo gone"

# The target still answers.
"$here/nvmet" probe 127.0.0.1 "$NVMF_TEST_TRSVCID" >/dev/null || fail "no ICResp after the changes"
echo "ok - ICResp on 127.0.0.1:$NVMF_TEST_TRSVCID"
echo "ctl_smoke: all steps passed"
