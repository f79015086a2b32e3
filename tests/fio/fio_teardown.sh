#!/bin/sh
# fio_teardown: fio with the libnvmf engine (tools/fio) stopped while commands
# are in flight. nvmf-target is frozen (SIGSTOP) in the middle of a job, so
# that its commands hang (the library times them out after io_timeout=1 and
# holds them for a reconnect that cannot succeed), then fio is aborted
# (SIGINT). Two jobs files:
#   1. own: one job on its own loop (the engine's default);
#   2. shared: two threads sharing one controller (thread=1, share=1): the
#      first to end leaves its commands with the controller the other still
#      holds, to complete after the job is gone.
# Each must end within 60 s of the abort (the engine waits io_timeout plus
# 5 s, then abandons what is still outstanding), say how many commands it
# abandoned, and, when the engine was built with AddressSanitizer (third
# argument: the runtime to preload into fio), draw no sanitizer report.
# Skips (77) when the engine was not built or fio is missing.
#
#   fio_teardown.sh ENGINE_SO NVMF_TARGET [ASAN_RUNTIME]
set -u
eng=${1:-}
target=${2:-}
asan=${3:-}

. "$(dirname "$0")/common.sh"
fio_need fio

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvmf-fio-td-XXXXXX")
tpid=
fpid=
cleanup() {
	[ -n "$fpid" ] && stop "$fpid"
	[ -n "$tpid" ] && stop "$tpid"
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

nqn=nqn.2014-08.org.libnvmf:fio-teardown

# start_target: nvmf-target on a free port (-p 0), its port into $port.
start_target() {
	# The shell truncates the output file in the background child: a
	# file left from the previous run could still be read here and give
	# the old target's port, so it goes first.
	rm -f "$tmp/target.out" "$tmp/target.err"
	"$target" -a 127.0.0.1 -p 0 -P 0 -n "$nqn" ram:64M >"$tmp/target.out" 2>"$tmp/target.err" &
	tpid=$!
	port=
	i=0
	while [ $i -lt 100 ]; do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/target.out" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$port" ] || { cat "$tmp/target.err"; fail "nvmf-target printed no listening line within 10 s"; }
}

# run NAME: fio on $tmp/NAME.fio; freeze the target once I/O runs, abort
# fio, and check how it ended.
run() {
	echo "== $1"
	start_target
	uri="nvme+tcp\\://127.0.0.1\\:$port/$(echo "$nqn" | sed 's/:/\\:/g')/1"
	# sed's replacement text takes '\', '&' and '|' literally only escaped.
	esc=$(printf '%s\n' "$uri" | sed 's/[\\&|]/\\&/g')
	sed "s|@ENGINE@|$eng|; s|@URI@|$esc|" "$tmp/$1.fio.in" >"$tmp/$1.fio"
	cat "$tmp/$1.fio"
	env $fio_env fio "$tmp/$1.fio" >"$tmp/$1.out" 2>&1 &
	fpid=$!
	# I/O is under way milliseconds after fio starts (a loopback connect),
	# but neither fio nor the target says so until the end: 3 s is ample,
	# and the checks below fail if no command was in flight.
	sleep 3
	kill -0 "$fpid" 2>/dev/null || { cat "$tmp/$1.out"; fail "$1: fio ended before the target was stopped"; }
	kill -STOP "$tpid"
	sleep 1
	start=$(date +%s)
	kill -INT "$fpid"
	i=0
	while kill -0 "$fpid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$fpid" 2>/dev/null; then
		cat "$tmp/$1.out"
		fail "$1: fio did not end within 60 s of SIGINT with the target stopped"
	fi
	wait "$fpid"
	rc=$?
	fpid=
	took=$(($(date +%s) - start))
	kill -CONT "$tpid"
	stop "$tpid"
	tpid=
	cat "$tmp/$1.out"
	echo "$1: fio exited $rc, $took s after SIGINT"
	if grep -q -e 'AddressSanitizer' -e 'runtime error:' "$tmp/$1.out"; then
		fail "$1: sanitizer report"
	fi
	# fio aborted by a signal exits 128 plus the number of jobs that
	# failed (backend.c, exit_value); killed, it would be 128 + 9.
	[ "$rc" -ge 128 ] && [ "$rc" -le $((128 + $2)) ] || fail "$1: fio exited $rc"
	n=$(grep -c 'command(s) still outstanding.*abandoned' "$tmp/$1.out")
	[ "$n" -ge "$2" ] || fail "$1: $n job(s) said they abandoned commands, expected $2"
}

# Common to both: reads that hang once the target is frozen; the library
# times a command out after 1 s, then holds it while reconnecting (every
# attempt bounded by 10 s, for up to ctrl_loss_tmo 600 s). connect_timeout
# is 10, not 1: the first connect, on a loaded machine, must not time out
# before the I/O the test stops in flight has begun.
common="ioengine=external:@ENGINE@
filename=@URI@
rw=randread
bs=4k
iodepth=16
size=32m
time_based=1
runtime=120
io_timeout=1
connect_timeout=10
reconnect_delay=1"

cat >"$tmp/own.fio.in" <<JOB
[global]
$common

[own]
JOB
run own 1

cat >"$tmp/shared.fio.in" <<JOB
[global]
$common
share=1
thread=1

[shared-a]
offset=0

[shared-b]
offset=32m
JOB
run shared 2

echo "PASS"
