#!/bin/sh
# bench/nvmf-perf against misbehaving fake controllers (tests/fake): what the
# user sees. The library prints nothing by itself, so nvmf-perf's one failure
# line must carry the library's cause; an orderly end against a controller
# that drops its connections after shutdown prints nothing and logs no error
# or warning even with LIBNVMF_DEBUG=1.
#   perf_fault.sh FAKE_CTRL NVMF_PERF
set -eu
fake=$1; perf=$2
tmp=$(mktemp -d /tmp/nvmf-perf-fault-XXXXXX)
fpid=
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Start the fake with scenario $1 on a free port; sets FAKE_PORT.
start_fake() {
	rm -f "$tmp/in" "$tmp/fake.out"
	mkfifo "$tmp/in"
	"$fake" --scenario "$1" --port 0 --stdin-eof <"$tmp/in" >"$tmp/fake.out" 2>&1 &
	fpid=$!
	exec 3>"$tmp/in"
	FAKE_PORT=
	for _ in $(seq 100); do
		FAKE_PORT=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/fake.out")
		[ -n "$FAKE_PORT" ] && return 0
		sleep 0.1
	done
	fail "the fake controller ($1) did not start"
}

stop_fake() {
	exec 3>&-
	wait "$fpid" 2>/dev/null || true
	fpid=
}

uri() { echo "nvme+tcp://127.0.0.1:$FAKE_PORT/nqn.2014-08.org.example:perf"; }

# 1. C2HData out of order: exit 1, one line naming the PDU error.
start_fake c2h-out-of-order
rc=0
env -u LIBNVMF_DEBUG "$perf" -r "$(uri)" -q 4 -o 4096 -w randread -t 5 -i 1 \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
stop_fake
cat "$tmp/err"
[ "$rc" = 1 ] || fail "c2h-out-of-order: exit $rc, expected 1"
[ "$(grep -c . "$tmp/err")" = 1 ] || fail "c2h-out-of-order: expected one line on stderr"
grep -q '^nvmf-perf: I/O failed: Protocol error \[Read failed: queue 1: .*DATAO 2048, expected 0 (data out of order).*\]$' \
	"$tmp/err" || fail "c2h-out-of-order: the failure line does not carry the library's cause"

# 2. Connections closed after CC.SHN: a clean run, nothing on stderr...
start_fake close-after-shn
env -u LIBNVMF_DEBUG "$perf" -r "$(uri)" -q 8 -o 4096 -w randwrite -t 1 -i 2 \
	>"$tmp/out" 2>"$tmp/err" || fail "close-after-shn: exit $?: $(cat "$tmp/err")"
stop_fake
[ ! -s "$tmp/err" ] || fail "close-after-shn: stderr not empty: $(cat "$tmp/err")"
# ...and, with the library's log on, no error or warning in it.
start_fake close-after-shn
LIBNVMF_DEBUG=1 "$perf" -r "$(uri)" -q 8 -o 4096 -w randwrite -t 1 -i 2 \
	>"$tmp/out" 2>"$tmp/err" || fail "close-after-shn (LIBNVMF_DEBUG=1): exit $?"
stop_fake
grep -q '^libnvmf: debug: ' "$tmp/err" || fail "LIBNVMF_DEBUG=1 printed no debug log"
if grep -E '^libnvmf: (error|warning): ' "$tmp/err"; then
	fail "close-after-shn: the orderly disconnect logged the errors above"
fi
echo "ok"
