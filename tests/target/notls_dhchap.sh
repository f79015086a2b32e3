#!/bin/sh
# nvmf-target built without OpenSSL (NVMF_WITH_TLS=OFF): each DH-HMAC-CHAP
# entry point (command-line options, configuration-file options and policy
# directives) refuses with "built without OpenSSL", names the file and line
# for the configuration file, and prints no key.
# usage: notls_dhchap.sh NVMF_TARGET
set -u
target=$1
key='DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:'
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
host=nqn.2024-01.org.libnvmf:host1

check() {	# NAME EXPECTED-TEXT COMMAND...
	name=$1 want=$2
	shift 2
	out=$(timeout 20 "$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq 0 ] || ! printf '%s' "$out" | grep -q -- "$want"; then
		echo "FAIL: $name: exit $rc, output:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok: $name: $(printf '%s' "$out" | grep -- "$want" | head -1)"
	fi
	if printf '%s' "$out" | grep -q 'ia6zGodOr4SEG0Zz'; then
		echo "FAIL: $name printed the key"
		fails=$((fails + 1))
	fi
}

printf '%s\n' "$key" > "$dir/key"
chmod 600 "$dir/key"
check "--dhchap-secret" "--dhchap-secret: nvmf-target was built without OpenSSL" \
	"$target" -p 0 -P 0 -H "$host" --dhchap-secret "$key" ram:1M
check "--dhchap-secret-file" "--dhchap-secret-file: nvmf-target was built without OpenSSL" \
	"$target" -p 0 -P 0 -H "$host" --dhchap-secret-file "$dir/key" ram:1M
printf 'subsystem nqn.2024-01.org.libnvmf:x\nhost %s dhchap-secret=%s\n' "$host" "$key" \
	> "$dir/a.conf"
check "config dhchap-secret=" "a.conf:2: dhchap-secret: nvmf-target was built without OpenSSL" \
	"$target" -p 0 -P 0 -c "$dir/a.conf"
printf '# policy\ndhchap-hash sha256\n' > "$dir/b.conf"
check "config dhchap-hash" "b.conf:2: dhchap-hash: nvmf-target was built without OpenSSL" \
	"$target" -p 0 -P 0 -c "$dir/b.conf"
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "every DH-HMAC-CHAP entry point refuses without OpenSSL"
