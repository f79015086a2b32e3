#!/bin/sh
# A build without OpenSSL: each TLS entry point refuses with a message that
# says so, at once (no connection is attempted: port 9 is discard/closed).
# usage: notls_options.sh NVMFCTL NVMF_TARGET NVMF_FUSE
set -u
nvmfctl=$1 target=$2 fuse=$3
key='NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:'
fails=0

check() {	# NAME EXPECTED-TEXT COMMAND...
	name=$1 want=$2
	shift 2
	out=$(timeout 20 "$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq 0 ] || ! printf '%s' "$out" | grep -q "$want"; then
		echo "FAIL: $name: exit $rc, output:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok: $name: $(printf '%s' "$out" | grep "$want" | head -1)"
	fi
	# No key material in any message.
	if printf '%s' "$out" | grep -q 'VRLbtnN9AQb2'; then
		echo "FAIL: $name printed the key"
		fails=$((fails + 1))
	fi
}

check "nvmfctl id-ctrl --tls-key" "without OpenSSL" \
	"$nvmfctl" id-ctrl --tls-key "$key" nvme+tcp://127.0.0.1:9/nqn.2024-01.io.test:x
check "nvmfctl discover --tls" "without OpenSSL" \
	"$nvmfctl" discover --tls -t tcp -a 127.0.0.1 -s 9
check "nvmfctl gen-tls-key" "built without OpenSSL" "$nvmfctl" gen-tls-key
check "nvmfctl check-tls-key" "built without OpenSSL" "$nvmfctl" check-tls-key -d "$key"
check "nvmf-target --tls required" "built without OpenSSL" \
	"$target" -p 0 -P 0 --tls required --tls-key "$key" ram:1M
dir=$(mktemp -d)
check "nvmf-fuse --tls" "without OpenSSL" \
	"$fuse" -f "$dir" --tls nvme+tcp://127.0.0.1:9/nqn.2024-01.io.test:x
rmdir "$dir" 2>/dev/null
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all TLS entry points refuse without OpenSSL"
