#!/bin/sh
# The installed systemd units pass `systemd-analyze verify` (packaging/systemd).
#
#   units_verify.sh CMAKE BUILD_DIR PREFIX UNITDIR BINDIR SBINDIR MANDIR UNIT...
#
# The build is installed into a scratch DESTDIR; verify checks that the
# programs a unit names exist and are executable, so the installed units
# are verified with those paths rewritten into the scratch tree (the rest
# of each unit as installed). Documentation= is checked against the
# installed man pages (MANPATH). Any line verify prints about our units,
# a warning included (an unknown setting is only a warning, exit 0),
# fails the test. A control run shows the check sees a non-executable
# program, so the test cannot pass by seeing nothing.
# Skips (77) without systemd-analyze.
set -u
cmake=$1 build=$2 prefix=$3 unitdir=$4 bindir=$5 sbindir=$6 mandir=$7
shift 7

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: no systemd-analyze (Debian: apt-get install systemd)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvmf-units.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
fail=0

case $unitdir in
/*) inst=$root$unitdir ;;
*) inst=$root$prefix/$unitdir ;;
esac
if ! DESTDIR=$root "$cmake" --install "$build" >"$tmp/install.log" 2>&1; then
	echo "FAIL: cmake --install into $root:"
	cat "$tmp/install.log"
	exit 1
fi
man_opt=""
if command -v man >/dev/null 2>&1; then
	MANPATH=$root$mandir
	export MANPATH
else
	echo "note: no man(1): Documentation= not checked (--man=no)"
	man_opt="--man=no"
fi
mkdir "$tmp/units"
for u in "$@"; do
	if [ ! -f "$inst/$u" ]; then
		echo "FAIL: $u is not installed in $inst"
		fail=1
		continue
	fi
	sed -e "s|=$bindir/|=$root$bindir/|" -e "s|=$sbindir/|=$root$sbindir/|" \
		"$inst/$u" >"$tmp/units/$u"
	if cmp -s "$inst/$u" "$tmp/units/$u"; then
		echo "FAIL: $u names no program under $bindir or $sbindir"
		fail=1
	fi
done
[ $fail = 0 ] || exit 1

# verify: exit status and what it says about nvmf units (other units of the
# machine it loads as dependencies are not ours to judge).
verify() {
	out=$(systemd-analyze verify $man_opt "$1" 2>&1)
	rc=$?
	ours=$(printf '%s\n' "$out" | grep -i 'nvmf' || true)
	if [ $rc -ne 0 ] || [ -n "$ours" ]; then
		printf '%s\n' "$out"
		return 1
	fi
	return 0
}

for u in "$@"; do
	if verify "$tmp/units/$u"; then
		echo "ok: $u"
	else
		echo "FAIL: systemd-analyze verify $u (above)"
		fail=1
	fi
done

# Control: the same check on a unit whose program is not executable.
for u in "$@"; do
	exe=$(sed -n 's/^ExecStart=[-@!+:]*\([^ ]*\).*/\1/p' "$tmp/units/$u")
	[ -n "$exe" ] || continue
	chmod a-x "$exe"
	if verify "$tmp/units/$u" >"$tmp/control.log" 2>&1 ||
	   ! grep -q "not executable" "$tmp/control.log"; then
		echo "FAIL: control: verify did not report $exe as not executable:"
		cat "$tmp/control.log"
		fail=1
	else
		echo "ok: control ($u with a non-executable program is reported)"
	fi
	chmod a+x "$exe"
	break
done
exit $fail
