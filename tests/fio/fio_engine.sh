#!/bin/sh
# fio_engine: fio with the libnvmf engine (tools/fio) against nvmf-target on a
# RAM namespace:
#   1. 4 KiB random writes at iodepth 32, then fio's verify read of every
#      block (verify=crc32c, do_verify=1, verify_fatal=1);
#   2. trims (Dataset Management, Deallocate) of another range;
#   3. two jobs in one process sharing one controller (thread=1, share=1),
#      each writing and verifying its own range;
#   4. a URI whose ':' are not escaped is refused with the hint to escape;
#   5. a TLS PSK given as the job option tls_key against a second target
#      that requires TLS: the engine reads the option for the size probe
#      and again for the open, so it must still be the key the second time;
#   6. block sizes above the controller's transfer limit (nvmf-target's MDTS
#      is 256 KiB): 1 MiB and 768 KiB writes, each split into several
#      commands, then verified; once shared (the completions then come from
#      the library's thread);
#   7. the engine's refusals: queue_size's range as --enghelp, the README
#      and the check have it; tls_key_file= without tls=1 named with the
#      engine's options, not nvmf-fuse's; a namespace the controller does
#      not have said once.
# Fails on any fio error, any verify failure, or a job that moved fewer bytes
# than asked. Skips (77) when the engine was not built (no fio source: see
# scripts/fio-src) or fio is missing.
#
#   fio_engine.sh ENGINE_SO NVMF_TARGET [ASAN_RUNTIME]
# ASAN_RUNTIME: the engine was built with AddressSanitizer, preload this
# into fio (which is not instrumented).
set -u
eng=${1:-}
target=${2:-}
asan=${3:-}

. "$(dirname "$0")/common.sh"
fio_need fio jq timeout

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvmf-fio-XXXXXX")
tpid=
tpid2=
started_pid=
cleanup() {
	for p in $tpid $tpid2 ${started_pid:-}; do
		stop "$p"
	done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

nqn=nqn.2014-08.org.libnvmf:fio-engine

# start_target NAME ARGS...: nvmf-target ARGS on a free loopback port, its
# output in $tmp/NAME.out and .err; sets started_pid and started_port
# (empty if it printed no listening line within 10 s).
start_target() {
	name=$1
	shift
	"$target" -a 127.0.0.1 -p 0 -P 0 -n "$nqn" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	started_pid=$!
	started_port=
	i=0
	while [ $i -lt 100 ]; do
		started_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$name.out")
		[ -n "$started_port" ] && break
		kill -0 "$started_pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}

start_target target ram:64M
tpid=$started_pid
port=$started_port
[ -n "$port" ] || { cat "$tmp/target.err"; fail "nvmf-target printed no listening line within 10 s"; }

# fio splits filename= at every ':' not written '\:'.
uri="nvme+tcp\\://127.0.0.1\\:$port/$(echo "$nqn" | sed 's/:/\\:/g')/1"

# run NAME: fio on $tmp/NAME.fio (JSON into NAME.json); fails unless fio
# exits 0 and every job reports error 0.
run() {
	echo "== $1"
	cat "$tmp/$1.fio"
	if ! timeout -k 5 60 env $fio_env fio --output-format=json --output="$tmp/$1.json" "$tmp/$1.fio" \
		>"$tmp/$1.out" 2>&1; then
		cat "$tmp/$1.out" "$tmp/$1.json" 2>/dev/null
		fail "fio $1 failed"
	fi
	cat "$tmp/$1.out"
	# The engine's messages all start "nvmf:"; a clean run has none.
	if grep -q '^nvmf:' "$tmp/$1.out"; then
		fail "fio $1: the engine logged a failure"
	fi
	# fio writes its warnings into the output file too, ahead of the JSON.
	sed -n '/^{/,$p' "$tmp/$1.json" >"$tmp/$1.j" && mv "$tmp/$1.j" "$tmp/$1.json"
	jq -e '[.jobs[].error] | all(. == 0)' "$tmp/$1.json" >/dev/null ||
		fail "fio $1: a job reported an error: $(jq -c '[.jobs[] | {jobname, error}]' "$tmp/$1.json")"
}

# bytes NAME DIR: the bytes every job of NAME moved in DIR (read, write, trim), one a line.
bytes() {
	jq -r ".jobs[].$2.io_bytes" "$tmp/$1.json"
}

# 1. Random writes, then the verify pass reads every block back.
cat >"$tmp/verify.fio" <<JOB
[global]
ioengine=external:$eng
filename=$uri
bs=4k
iodepth=32
size=8m

[randwrite-verify]
rw=randwrite
verify=crc32c
do_verify=1
verify_fatal=1
JOB
run verify
[ "$(bytes verify write)" = 8388608 ] || fail "verify: wrote $(bytes verify write) bytes, not 8 MiB"
[ "$(bytes verify read)" = 8388608 ] || fail "verify: read back $(bytes verify read) bytes, not 8 MiB"

# 2. Trims: Dataset Management (Deallocate) commands.
cat >"$tmp/trim.fio" <<JOB
[global]
ioengine=external:$eng
filename=$uri

[trim]
rw=randtrim
bs=64k
iodepth=8
offset=16m
size=8m
JOB
run trim
[ "$(bytes trim trim)" = 8388608 ] || fail "trim: trimmed $(bytes trim trim) bytes, not 8 MiB"

# 3. Two threads sharing one controller, each on its own range.
cat >"$tmp/shared.fio" <<JOB
[global]
ioengine=external:$eng
share=1
nr_io_queues=2
thread=1
filename=$uri
bs=4k
iodepth=16
size=4m

rw=randwrite
verify=crc32c
do_verify=1
verify_fatal=1

[shared-a]
offset=32m

[shared-b]
offset=40m
JOB
run shared
[ "$(bytes shared read | tr '\n' ' ')" = "4194304 4194304 " ] ||
	fail "shared: read back $(bytes shared read | tr '\n' ' ')bytes, not 4 MiB per job"

# 4. An unescaped URI: refused, with the hint.
echo "== unescaped URI"
if timeout -k 5 60 env $fio_env fio --name=bad --ioengine=external:"$eng" \
	--filename="nvme+tcp://127.0.0.1:$port/$nqn/1" --rw=read --size=1m >"$tmp/bad.out" 2>&1; then
	cat "$tmp/bad.out"
	fail "fio accepted a URI split at ':'"
fi
grep -q "write each ':' of the URI as" "$tmp/bad.out" || { cat "$tmp/bad.out"; fail "no hint to escape ':'"; }

# 5. tls_key=: a target that requires TLS with this PSK (builds with OpenSSL).
key='NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:'
start_target tls-target --tls required --tls-key "$key" ram:16M
tpid2=$started_pid
port2=$started_port
if [ -z "$port2" ] && grep -qi "without OpenSSL\|not built with TLS\|TLS support" "$tmp/tls-target.err"; then
	echo "== tls_key: skipped (nvmf-target has no TLS: $(cat "$tmp/tls-target.err"))"
else
	[ -n "$port2" ] || { cat "$tmp/tls-target.err"; fail "the TLS target printed no listening line"; }
	uri2="nvme+tcp\\://127.0.0.1\\:$port2/$(echo "$nqn" | sed 's/:/\\:/g')/1"
	cat >"$tmp/tls.fio" <<JOB
[global]
ioengine=external:$eng
filename=$uri2
tls_key=$key
bs=4k
iodepth=8
size=1m

[tls-verify]
rw=randwrite
verify=crc32c
do_verify=1
verify_fatal=1
JOB
	run tls
	[ "$(bytes tls read)" = 1048576 ] || fail "tls: read back $(bytes tls read) bytes, not 1 MiB"
fi

# 6. Above MDTS: each io_u is several commands; verify reads them back.
cat >"$tmp/split.fio" <<JOB
[global]
ioengine=external:$eng
filename=$uri
iodepth=8
verify=crc32c
do_verify=1
verify_fatal=1

[split-1m]
rw=randwrite
bs=1m
offset=0
size=16m

[split-768k]
stonewall
rw=write
bs=768k
offset=16m
size=12m

[split-shared]
stonewall
thread=1
share=1
rw=randwrite
bs=640k
offset=32m
size=10m
JOB
run split
[ "$(bytes split write | tr '\n' ' ')" = "16777216 12582912 10485760 " ] ||
	fail "split: wrote $(bytes split write | tr '\n' ' ')bytes, not 16, 12 and 10 MiB"
[ "$(bytes split read | tr '\n' ' ')" = "16777216 12582912 10485760 " ] ||
	fail "split: read back $(bytes split read | tr '\n' ' ')bytes, not 16, 12 and 10 MiB"

# refused NAME OPTIONS...: fio with OPTIONS must fail; its output in $tmp/NAME.out.
refused() {
	name=$1
	shift
	echo "== refused: $name"
	if timeout -k 5 60 env $fio_env fio --name="$name" --ioengine=external:"$eng" \
		--rw=read --size=1m "$@" >"$tmp/$name.out" 2>&1; then
		cat "$tmp/$name.out"
		fail "fio accepted $name"
	fi
	cat "$tmp/$name.out"
}

# 7a. queue_size: one range in --enghelp, the README and the check.
help=$(env $fio_env fio --enghelp="$eng" 2>&1 | sed -n 's/^queue_size *: .*, \([0-9]*-[0-9]*\) .*/\1/p')
readme="$(dirname "$0")/../../tools/fio/README.md"
doc=$(sed -n 's/^| `queue_size=N` | entries per I\/O queue, \([0-9]*-[0-9]*\) .*/\1/p' "$readme")
hi=${help#*-}
refused qsize --filename="$uri" --queue_size=$((hi + 1))
checked=$(sed -n "s/.*option queue_size: '[0-9]*' is not a number from \([0-9]*\) to \([0-9]*\).*/\1-\2/p" \
	"$tmp/qsize.out")
echo "queue_size: --enghelp '$help', README '$doc', check '$checked'"
[ -n "$help" ] && [ "$help" = "$doc" ] && [ "$help" = "$checked" ] ||
	fail "queue_size: --enghelp says '$help', the README '$doc', the check '$checked'"

# 7b. tls_key_file= without tls=1: the engine's option names.
refused notls --filename="$uri" --tls_key_file="$tmp/no-such-keys"
grep -q "option tls_key_file.* need option tls " "$tmp/notls.out" ||
	fail "tls_key_file without tls: not refused with the engine's option names"
! grep -q -- "--tls" "$tmp/notls.out" || fail "tls_key_file without tls: nvmf-fuse's option names"

# 7c. No namespace 9: said once.
refused nons --filename="${uri%/1}/9"
n=$(grep -c "no active namespace 9" "$tmp/nons.out")
[ "$n" = 1 ] || fail "no namespace 9: said $n times, not once"
echo "PASS"
