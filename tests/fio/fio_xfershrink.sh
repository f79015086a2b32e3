#!/bin/sh
# fio_xfershrink: fio with the libnvmf engine (tools/fio) across a reconnect
# that lowers the controller's transfer limit. The fake controller
# (tests/fake) answers MDTS 5 (128 KiB) to its first association and MDTS 1
# (8 KiB) to every later one (--mdts 5 --mdts2 1). Rate-limited jobs write
# the namespace in 64 KiB and 256 KiB blocks (256 KiB: two commands at
# first) under fio's verify, and the controller reconnects in the middle:
#   1. drop: SIGUSR1, the fake drops its connections, under a job sharing
#      the controller (thread=1, share=1: the library's thread sees the loss
#      at once and reconnects at once), most likely while fio waits for its
#      rate: the next io_us, cut by the limit the engine read at connect,
#      are refused at submission (-EINVAL);
#   2. freeze: the fake is stopped (SIGSTOP) for 3 s under a job on its own
#      loop (a thread: the log lines of a job that is a process of its own
#      do not reach fio's --output file): the library times the command in flight out (io_timeout=1) and
#      holds it, its reconnect attempts time out (connect_timeout=1,
#      reconnect_delay=1), and when the controller is back with 8 KiB the
#      held command, replayed, is refused for its length (-EINVAL at
#      completion, on the job's thread);
#   3. shared: the same freeze under two threads sharing the controller
#      (completions and replays on the library's thread), the second
#      starting (startdelay=3) while the fake is stopped: its io_us are all
#      submitted during the outage, held, and refused when replayed.
# The engine must read the limit again and cut what was refused to 8 KiB
# (and, in a 4th run, find a larger limit after a reconnect, and in a 5th
# fail an io_u whose single block does not fit, below):
# fio must end without an error, every byte written and read back right by
# verify, the engine having said the limit shrank. Each run has a fake of
# its own (whose first association the job's controller must be:
# create_serialize=0, so that fio's size probe, a connection of its own
# made before the job's, is answered by the job's own).
# Skips (77) when the engine was not built or fio is missing.
#
#   fio_xfershrink.sh ENGINE_SO NVMF_FAKE_CTRL [ASAN_RUNTIME]
set -u
eng=${1:-}
fake=${2:-}
asan=${3:-}

. "$(dirname "$0")/common.sh"
fio_need fio jq timeout

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvmf-fio-xs-XXXXXX")
fkpid=
fiopid=
cleanup() {
	[ -z "$fiopid" ] || stop "$fiopid"
	[ -z "$fkpid" ] || stop "$fkpid"
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

nqn=nqn.2014-08.org.libnvmf:fio-xfershrink

# start_fake NAME MDTS MDTS2 [ARGS...]: a fresh fake controller (its first
# association is still to come), its port into $port.
start_fake() {
	n=$1
	m=$2
	m2=$3
	shift 3
	"$fake" --scenario good --port 0 --mdts "$m" --mdts2 "$m2" "$@" >"$tmp/$n.fake" 2>&1 &
	fkpid=$!
	port=
	i=0
	while [ $i -lt 100 ]; do
		port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/$n.fake" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$fkpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$port" ] || { cat "$tmp/$n.fake"; fail "the fake controller printed no port within 10 s"; }
}

# run NAME HOW JOBS: the jobs (fio job sections, the global ones below
# first) against a fresh fake; 1.5 s after fio started the fake drops its
# connections (HOW drop) or is frozen for 3 s (HOW freeze).
run() {
	name=$1
	mdts=${4:-5}
	mdts2=${5:-1}
	start_fake "$name" "$mdts" "$mdts2"
	uri="nvme+tcp\\://127.0.0.1\\:$port/$(echo "$nqn" | sed 's/:/\\:/g')/1"
	cat >"$tmp/$name.fio" <<JOB
[global]
ioengine=external:$eng
filename=$uri
create_serialize=0
reconnect_delay=1
connect_timeout=1
io_timeout=1
rw=randwrite
bssplit=64k/50:256k/50
verify=crc32c
do_verify=1
verify_fatal=1
$3
JOB
	echo "== $name ($2)"
	cat "$tmp/$name.fio"
	timeout -k 5 90 env $fio_env fio --output-format=json --output="$tmp/$name.json" \
		"$tmp/$name.fio" >"$tmp/$name.out" 2>&1 &
	fiopid=$!
	sleep 1.5
	if [ "$2" = drop ]; then
		kill -USR1 "$fkpid"
	else
		kill -STOP "$fkpid"
		sleep 3
		kill -CONT "$fkpid"
	fi
	wait "$fiopid"
	rc=$?
	fiopid=
	stop "$fkpid"
	fkpid=
	cat "$tmp/$name.out"
	# With --output, fio writes log lines (the engine's too) into that
	# file, ahead of the JSON, from a job that is a thread; a job's own
	# process writes its errors to stderr. Both, together:
	awk '/^{/ { exit } { print }' "$tmp/$name.json" | tee "$tmp/$name.log"
	cat "$tmp/$name.out" >>"$tmp/$name.log"
	sed -n '/^{/,$p' "$tmp/$name.json" >"$tmp/$name.j"
	[ $rc = 0 ] || { cat "$tmp/$name.j"; fail "$name: fio exited $rc"; }
	jq -e '[.jobs[].error] | all(. == 0)' "$tmp/$name.j" >/dev/null ||
		fail "$name: a job reported an error"
	# Every job read back (verify) what it wrote; together, the namespace.
	jq -e '[.jobs[] | .write.io_bytes == .read.io_bytes] | all' "$tmp/$name.j" >/dev/null &&
	[ "$(jq '[.jobs[].write.io_bytes] | add' "$tmp/$name.j")" = 4194304 ] ||
		fail "$name: wrote and read back $(jq -c '[.jobs[] | [.write.io_bytes, .read.io_bytes]]' \
			"$tmp/$name.j") bytes, not 4 MiB in all"
	# The reconnect happened under the jobs, after an outage of a second
	# or more when frozen; the engine found the smaller limit; no command
	# failed.
	grep -q '^nvmf: connection lost' "$tmp/$name.log" ||
		fail "$name: the connection was not lost under the jobs (too late?)"
	if [ "$2" = freeze ]; then
		grep -Eq '^nvmf: reconnected after ([2-9]|[1-9][0-9]+) attempt' "$tmp/$name.log" ||
			fail "$name: no reconnect after a failed attempt (an outage of a second or more)"
	else
		grep -q '^nvmf: reconnected after' "$tmp/$name.log" || fail "$name: no reconnect"
	fi
	grep -q "transfer limit (MDTS) is now $((4096 << mdts2)) bytes (it was $((4096 << mdts)))" \
		"$tmp/$name.log" || fail "$name: the engine did not say the transfer limit changed"
	if grep '^nvmf:' "$tmp/$name.log" |
		grep -v '^nvmf: connection lost\|^nvmf: reconnected after\|transfer limit (MDTS) is now'; then
		fail "$name: the engine logged a failure"
	fi
	! grep -q "AddressSanitizer" "$tmp/$name.log" || fail "$name: a sanitizer report"
	echo "$name: write latency max $(jq -c '[.jobs[].write.clat_ns.max]' "$tmp/$name.j") ns"
}

run drop drop "
thread=1
share=1

[drop]
iodepth=8
rate_iops=6
size=4m"
run freeze freeze "
thread=1

[freeze]
iodepth=8
rate_iops=6
size=4m"
run shared freeze "
thread=1
share=1
iodepth=16

[shared-a]
rate_iops=4
size=2m

[shared-b]
startdelay=3
offset=2m
size=2m"
# 4. grow: the other way round (8 KiB, then 128 KiB), a drop under a shared
#    controller: nothing is refused, and only the RECONNECTED event tells
#    the engine that the io_us after it may go in fewer commands.
run grow drop "
thread=1
share=1

[grow]
iodepth=8
rate_iops=6
size=4m" 1 5
# 5. block: 16 KiB blocks (--lbads 14), 128 KiB then 8 KiB: after the drop
#    not even one block fits in a command. The io_u cannot be cut: fio must
#    fail, the engine saying why, not hang or loop.
start_fake block 5 1 --lbads 14
uri="nvme+tcp\\://127.0.0.1\\:$port/$(echo "$nqn" | sed 's/:/\\:/g')/1"
echo "== block (drop, 16 KiB blocks, MDTS 8 KiB after)"
timeout -k 5 60 env $fio_env fio --output-format=json --output="$tmp/block.json" \
	--name=block --ioengine=external:"$eng" --filename="$uri" --create_serialize=0 \
	--reconnect_delay=1 --connect_timeout=1 --thread=1 --share=1 --rw=randwrite --bs=64k \
	--iodepth=8 --rate_iops=6 --size=4m >"$tmp/block.out" 2>&1 &
fiopid=$!
sleep 1.5
kill -USR1 "$fkpid"
wait "$fiopid"
rc=$?
fiopid=
stop "$fkpid"
fkpid=
cat "$tmp/block.out" "$tmp/block.json" | grep -v '^[ {}\[\]"]' | tee "$tmp/block.log"
[ $rc != 0 ] && [ $rc != 124 ] && [ $rc != 137 ] ||
	fail "block: fio exited $rc (0: the writes that cannot fit succeeded; 124/137: it hung)"
grep -q "a single block of 16384 bytes, above the controller's transfer limit of 8192 bytes: it cannot be cut smaller" \
	"$tmp/block.log" || fail "block: the engine did not say why a block cannot be sent"
! grep -q "AddressSanitizer" "$tmp/block.log" || fail "block: a sanitizer report"
echo "PASS"
