#!/usr/bin/env bash
# Reproduces the nvme-cli vectors of test_tls_psk.c (not run by ctest).
#
# nvme-cli 2.16 / libnvme 1.16 (Debian sid) and nvme-cli 2.13 / libnvme 1.13
# (Debian 13) are fetched with apt-get download into a scratch folder,
# unpacked with dpkg -x and run with their own loader: nothing is installed.
# For each key, NQN pair and identity version it prints the identity that
# `check-tls-key` gives and the TLS PSK that `check-tls-key --insert` puts in
# a user keyring of a throwaway session keyring (needs keyctl: keyutils).
#
#   tests/unit/tls_psk_vectors.sh [WORKDIR]     (as root, for apt-get)
#
# Expected: 2.16 without options gives the RFC 8446 table, 2.16 --compat and
# 2.13 the COMPAT one; the script says whether 2.13 and 2.16 --compat agree.
set -euo pipefail

work=${1:-/tmp/tls-psk-vectors}
mkdir -p "$work"

# unpack SUITE: nvme-cli and the libraries it loads, into $work/SUITE/root
unpack() {
	local suite=$1 d="$work/$1"
	mkdir -p "$d/src" "$d/lists/partial" "$d/cache/archives/partial" "$d/debs" "$d/root"
	sed "s/^Suites:.*/Suites: $suite/" /etc/apt/sources.list.d/debian.sources |
		awk -v RS= -v ORS='\n\n' 'NR == 1' > "$d/src/$suite.sources"
	local o=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$d/src"
		 -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache")
	apt-get "${o[@]}" update >/dev/null
	(cd "$d/debs" && apt-get "${o[@]}" download nvme-cli libnvme1t64 libc6 libjson-c5 \
		libkeyutils1 libssl3t64 zlib1g libdbus-1-3 libsystemd0 liburing2 >/dev/null 2>&1)
	for deb in "$d"/debs/*.deb; do dpkg -x "$deb" "$d/root"; done
	local lib="$d/root/usr/lib/x86_64-linux-gnu"
	printf '#!/bin/sh\nexec %s --library-path %s %s "$@"\n' \
		"$lib/ld-linux-x86-64.so.2" "$lib" "$d/root/usr/sbin/nvme" > "$d/nvme"
	chmod +x "$d/nvme"
	"$d/nvme" version >&2
}

keys=(
	'NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:'
	'NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:'
	'NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:'
	'NVMeTLSkey-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:'
)
nqns=(
	'nqn.psk-test-host nqn.psk-test-subsys'
	'nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6 nqn.2014-08.org.nvmexpress:uuid:36ebf5a9-1df9-47b3-a6d0-e9ba32e428a2'
)

# vectors NVME [--compat]
vectors() {
	local nvme=$1 extra=${2:-} k pair h s v id psk
	for k in "${keys[@]}"; do
		for pair in "${nqns[@]}"; do
			read -r h s <<<"$pair"
			for v in 0 1; do
				id=$("$nvme" check-tls-key --keydata="$k" --hostnqn="$h" \
					--subsysnqn="$s" --identity=$v $extra)
				psk=$(keyctl session - sh -c '
					keyctl newring nvmfvec @s >/dev/null
					"$@" --insert --keyring=nvmfvec --keytype=user >/dev/null
					for i in $(keyctl rlist %keyring:nvmfvec); do
						keyctl pipe "$i" | od -An -v -tx1 | tr -d " \n"
					done' sh "$nvme" check-tls-key --keydata="$k" --hostnqn="$h" \
					--subsysnqn="$s" --identity=$v $extra 2>/dev/null | grep -v '^Joined')
				printf '%s\n  %s\n  %s\n' "$k" "$id" "$psk"
			done
		done
	done
}

unpack sid
unpack trixie
echo "== nvme-cli 2.16, RFC 8446"
vectors "$work/sid/nvme"
echo "== nvme-cli 2.16 --compat"
vectors "$work/sid/nvme" --compat | tee "$work/compat-2.16.txt"
vectors "$work/trixie/nvme" > "$work/compat-2.13.txt"
if cmp -s "$work/compat-2.16.txt" "$work/compat-2.13.txt"; then
	echo "== nvme-cli 2.13 (no option) gives the same as 2.16 --compat"
else
	echo "== nvme-cli 2.13 differs from 2.16 --compat:"
	diff "$work/compat-2.16.txt" "$work/compat-2.13.txt" || true
fi
