#!/bin/sh
# bench/nvmf-perf -S with -z SIZE: the raw server answers reads from random
# offsets of SIZE bytes; the client checks the bytes of every read
# (perf_raw.c, raw_complete), so a server that sent from outside the filled
# span fails the run. Reads larger than the span come from the one buffer.
# A bad size, or -z without -S, is refused with exit status 2.
#   perf_span.sh NVMF_PERF
set -eu
perf=$1
tmp=$(mktemp -d /tmp/nvmf-perf-span-XXXXXX)
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for bad in "-S 0 -z 0" "-S 0 -z 12X" "-S 0 -z 65G" "-z 1M"; do
	rc=0
	# shellcheck disable=SC2086 # the options split on purpose
	"$perf" $bad >"$tmp/bad.out" 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "nvmf-perf $bad exited $rc, not 2"
	grep -q -- '-z\|span' "$tmp/bad.out" || fail "nvmf-perf $bad: no word of -z: $(cat "$tmp/bad.out")"
	echo "ok: nvmf-perf $bad refused: $(cat "$tmp/bad.out")"
done

"$perf" -S 0 -z 64K >"$tmp/srv.out" 2>&1 &
spid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/srv.out")
	[ -n "$port" ] && break
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$port" ] || fail "nvmf-perf -S 0 -z 64K printed no port: $(cat "$tmp/srv.out")"
for args in "-q 16 -o 4096 -w randread" "-q 4 -o 65536 -w read" "-q 2 -o 131072 -w read" \
	    "-q 8 -o 4096 -w randwrite"; do
	# shellcheck disable=SC2086
	out=$("$perf" -R -r "tcp://127.0.0.1:$port" $args -t 1 -i 2 2>&1) ||
		fail "nvmf-perf -R $args against the -z server: $out"
	echo "$out" | grep -q 'IOPS [0-9]' || fail "no summary line: $out"
	echo "ok: $args: ${out#*: }"
done
kill -0 "$spid" 2>/dev/null || fail "the -z server died: $(cat "$tmp/srv.out")"
