#!/bin/sh
# One harness's test run (ctest label fuzz):
#   smoke.sh BINARY NAME SECONDS FUZZ_DIR WORK_DIR
# 1. every regression input in FUZZ_DIR/regress/NAME runs once (a crash
#    fixed once must stay fixed);
# 2. SECONDS of fuzzing from the seed corpus FUZZ_DIR/corpus/NAME, with the
#    dictionary FUZZ_DIR/dict/NAME.dict when there is one. New inputs go to
#    WORK_DIR/NAME, never into the source tree.
# A crash, leak, timeout or sanitizer report fails the test and names the
# input libFuzzer saved; README "Fuzzing" says how to minimise it and add it
# to the regression inputs.
set -eu
bin=$1 name=$2 secs=$3 fuzz_dir=$4 work=$5

mkdir -p "$work/$name" "$work/artifacts"
regress=$fuzz_dir/regress/$name
if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
	echo "fuzz: $name: $(ls "$regress" | wc -l) regression input(s)"
	# Each file given on the command line runs exactly once.
	"$bin" -timeout=10 "$regress"/*
fi
set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/$name-"
if [ -f "$fuzz_dir/dict/$name.dict" ]; then
	set -- "$@" -dict="$fuzz_dir/dict/$name.dict"
fi
set -- "$@" "$work/$name"
if [ -d "$fuzz_dir/corpus/$name" ]; then
	set -- "$@" "$fuzz_dir/corpus/$name"
fi
echo "fuzz: $name: $secs s from $# input dir(s)"
if ! "$bin" "$@"; then
	echo "fuzz: $name FAILED: the input is in $work/artifacts/ (see README, Fuzzing)" >&2
	exit 1
fi
