#!/bin/sh
# Reproduces the nvme-cli vectors of tests/unit/test_auth_secret.c (not run
# by ctest). NVME names the nvme binary: Debian 12's nvme-cli 2.3 by default;
# tests/unit/tls_psk_vectors.sh shows how nvme-cli 2.13 (Debian 13) and 2.16
# (sid) were unpacked and run with their own loader. All three printed the
# same lines here.
#
#   NVME=/path/to/nvme sh tests/unit/vectors/auth_nvme_cli.sh
set -eu
nvme=${NVME:-nvme}
nqn=nqn.2014-08.org.nvmexpress:uuid:2cd2c43b-a90a-45c1-a8cd-86b33ab273b5
s32=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
s48=${s32}202122232425262728292a2b2c2d2e2f
s64=${s48}303132333435363738393a3b3c3d3e3f

"$nvme" version
gen() { printf '%s -> ' "$*"; "$nvme" gen-dhchap-key "$@"; }
# --secret without a transformation: the key is the secret
gen --secret=$s32 --hmac=0
gen --secret=$s48 --key-length=48 --hmac=0
gen --secret=$s64 --key-length=64 --hmac=0
# hh != 00: the key printed is HMAC-hh(secret, NQN || "NVMe-over-Fabrics")
gen --secret=$s32 --hmac=1 --nqn=$nqn
gen --secret=$s48 --hmac=2 --nqn=$nqn
gen --secret=$s64 --hmac=3 --nqn=$nqn
# upper-case hex is accepted
gen --secret="$(echo $s32 | tr a-f A-F)" --hmac=0
# refusals: these must fail
for args in "--secret=$s32 --key-length=48" "--secret=${s32}00" "--secret=zz${s32#??}" \
	    "--secret=$s48 --key-length=48 --hmac=1" "--key-length=40" "--hmac=4"; do
	# shellcheck disable=SC2086
	if "$nvme" gen-dhchap-key $args >/dev/null 2>&1; then
		echo "gen-dhchap-key $args: accepted?"; exit 1
	fi
	echo "gen-dhchap-key $args: refused"
done
# check-dhchap-key: the CRC it reports, and what it refuses
for k in 'DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:' \
	 'DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:' \
	 'DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P4zODhA=:' \
	 'DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:' \
	 'DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:' \
	 'DHHC-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:' \
	 'DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:' \
	 'DHHC-1:04:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:' \
	 'DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS:'; do
	printf '%s -> ' "$k"
	"$nvme" check-dhchap-key --key="$k" 2>&1 || true
done
