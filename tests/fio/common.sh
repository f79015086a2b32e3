# Shared by the fio engine tests (sourced, POSIX sh): what makes them skip,
# the environment fio runs in, stopping a daemon, failing.
#
#   . common.sh   (with eng, asan set from the script's arguments)

# Skip (77) unless the engine was built and each tool given is installed.
fio_need() {
	if [ -z "$eng" ] || [ ! -f "$eng" ]; then
		echo "SKIP: the fio engine was not built (run scripts/fio-src and configure with" \
			"-DNVMF_FIO_SRC=<its output>; never built in ThreadSanitizer builds)"
		exit 77
	fi
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t is not installed"; exit 77; }
	done
	if [ -n "$asan" ] && [ ! -f "$asan" ]; then
		echo "FAIL: sanitizer runtime $asan not found"
		exit 1
	fi
}

# fio's environment (env(1) arguments): the sanitizer runtime first when the
# engine was built with AddressSanitizer (fio is not instrumented); leaks at
# exit are fio's own (it leaves the io_us it gave up allocated).
fio_env=
[ -z "${asan:-}" ] || fio_env="LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0"

# stop PID: SIGCONT (it may be frozen), SIGTERM (SIGKILL after 5 s), reaped.
stop() {
	kill -CONT "$1" 2>/dev/null
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

fail() {
	echo "FAIL: $*"
	exit 1
}
