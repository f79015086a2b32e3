#!/bin/sh
# Smoke run of bench/nvmf-perf: it must exit 0 and print its summary line.
# No timing is asserted.
#   perf_smoke.sh NVMF_PERF [args...]       (args may use $NVMF_TEST_* of NVMF_TEST_ENV)
#   perf_smoke.sh --fake FAKE_CTRL NVMF_PERF [args...]   (args may use $FAKE_PORT)
set -eu
fpid=
tmp=
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null || true
	if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
if [ "$1" = --fake ]; then
	# The scripted fake controller of tests/fake on a free loopback port.
	tmp=$(mktemp -d /tmp/nvmf-perf-XXXXXX)
	mkfifo "$tmp/in"
	"$2" --scenario good --port 0 --stdin-eof <"$tmp/in" >"$tmp/fake.out" 2>&1 &
	fpid=$!
	exec 3>"$tmp/in"
	FAKE_PORT=
	for _ in $(seq 100); do
		FAKE_PORT=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/fake.out")
		[ -n "$FAKE_PORT" ] && break
		sleep 0.1
	done
	[ -n "$FAKE_PORT" ] || { echo "FAIL: the fake controller did not start" >&2; exit 1; }
	shift 2
	perf=$1; shift
	set -- $(for a in "$@"; do eval "printf '%s\n' \"$a\""; done)
else
	perf=$1; shift
fi
if [ -n "${NVMF_TEST_ENV:-}" ]; then
	[ -r "$NVMF_TEST_ENV" ] || { echo "FAIL: $NVMF_TEST_ENV missing: the target did not start" >&2; exit 1; }
	. "$NVMF_TEST_ENV"
	# Expand $NVMF_TEST_* references in the arguments.
	set -- $(for a in "$@"; do eval "printf '%s\n' \"$a\""; done)
fi
out=$("$perf" "$@") || { echo "$out"; echo "FAIL: nvmf-perf $* exited $?" >&2; exit 1; }
echo "$out"
echo "$out" | grep -Eq 'IOPS [0-9.]+, MiB/s [0-9.]+, avg [0-9.]+ us, p50 [0-9.]+ us, p99 [0-9.]+ us, p99\.9 [0-9.]+ us, cpu [0-9]+% of a core, [0-9.]+ us per I/O$' ||
	{ echo "FAIL: no summary line" >&2; exit 1; }
# -c N: the run says it used N controllers.
case " $* " in
*" -c "*) echo "$out" | grep -Eq ' on each of [0-9]+ controllers' ||
	{ echo "FAIL: -c given, no controllers in the summary" >&2; exit 1; } ;;
esac
# -p: the run says it polled.
case " $* " in
*" -p "*) echo "$out" | grep -q ', polling, ' || { echo "FAIL: -p given, no \"polling\" in the summary" >&2; exit 1; } ;;
esac
