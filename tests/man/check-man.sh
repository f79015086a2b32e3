#!/bin/sh
# Checks the manual pages (issue 17):
#  1. every page (man/man3 and the tools' pages) renders with groff's
#     warnings on (-ww) without a single diagnostic; a link page is one
#     ".so man3/PAGE.3" line naming a page that exists;
#  2. every public function of include/nvmf/*.h (the library's exports,
#     NVMF_API, and the headers' static inline helpers) has a page
#     man/man3/NAME.3 (the group page, or a link to it) whose NAME section
#     lists the function;
#  3. each such function's prototype is in the rendered SYNOPSIS of a page
#     word for word as in the header (white space aside).
# Usage: check-man.sh SOURCE_DIR. Exits 77 (ctest's SKIP_RETURN_CODE) when
# groff is missing. Few processes per page: the machine running the suite
# may be busy.
set -u
src=${1:?usage: check-man.sh SOURCE_DIR}
if ! command -v groff >/dev/null 2>&1; then
	echo "check-man: groff not found (Debian: groff-base; FreeBSD: groff): skipped"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
fail=0
bad() { echo "check-man: $*"; fail=1; }
# Whether page $1 is a link (.so), without a process per page.
islink() {
	first=
	read -r first < "$1" || true
	case $first in .so\ *) return 0 ;; esac
	return 1
}
m3=$src/man/man3
ls "$m3"/*.3 >/dev/null 2>&1 || { echo "check-man: no pages in $m3"; exit 1; }

# ---- the pages: links, and what each group page's NAME lists -------------
# links: "NAME.3 TARGET LINES" per link page; names: "PAGE.3 FUNCTION".
(cd "$m3" && awk 'FNR == 1 && /^\.so / { so[FILENAME] = $2 }
	{ n[FILENAME]++ }
	END { for (f in so) print f, so[f], n[f] }' *.3) > "$tmp/links"
(cd "$m3" && awk 'FNR == 1 { inname = 0 }
	/^\.Sh NAME/ { inname = 1; next }
	/^\.(Nd|Sh)/ { inname = 0 }
	inname && /^\.Nm / { print FILENAME, $2 }' *.3) > "$tmp/names"
while read -r l t n; do
	[ -f "$src/man/$t" ] || bad "man3/$l: link to missing page $t"
	[ "$n" -eq 1 ] || bad "man3/$l: a link page holds one .so line only"
	case $t in man3/*.3) ;; *) bad "man3/$l: link target $t is not man3/PAGE.3" ;; esac
done < "$tmp/links"

# ---- 1. render every page that is not a link, warnings on ----------------
npages=0
for p in "$m3"/*.3 "$src"/tools/*/*.[1-8]; do
	[ -f "$p" ] || continue
	islink "$p" && continue
	npages=$((npages + 1))
	out=$(cd "$(dirname "$p")" && groff -mandoc -Tutf8 -ww -z "$p" 2>&1)
	[ -z "$out" ] || bad "${p#$src/}: groff warns:
$out"
done
nlinks=$(wc -l < "$tmp/links")

# ---- 2. a page per public function ---------------------------------------
# The library's exports start a line with NVMF_API and may span lines up to
# ';'; the headers' inline helpers start one with "static inline" and end
# their prototype at '{' (endian.h defines some twice, one per byte order).
awk '/^NVMF_API / { d = ""; on = 1; end = ";" }
     /^static inline / { d = ""; on = 1; end = "{" }
     on { d = d " " $0; if (index($0, end)) { print d; on = 0 } }' \
	"$src"/include/nvmf/*.h > "$tmp/decls"
sed -e 's/^ *NVMF_API //' -e 's/^ *static inline //' -e 's/[;{].*$//' \
	-e 's/[[:space:]][[:space:]]*/ /g' -e 's/ *\([*(),]\) */\1/g' -e 's/\[ */[/g' \
	-e 's/ $//' "$tmp/decls" | sort -u > "$tmp/protos"
sed -n 's/^[^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$tmp/protos" > "$tmp/funcs"
nfun=$(wc -l < "$tmp/funcs")
[ "$nfun" -gt 0 ] || bad "no function declarations found in $src/include/nvmf"
awk -v m3="$m3" '
	FILENAME == ARGV[1] { so[$1] = $2; sub(/^man3\//, "", so[$1]); next }
	FILENAME == ARGV[2] { listed[$1 " " $2] = 1; next }
	{
		pg = $1 ".3"
		if ((getline line < (m3 "/" pg)) <= 0) { missing = missing " " $1; next }
		close(m3 "/" pg)
		if (pg in so) pg = so[pg]
		if (!((pg " " $1) in listed))
			print "check-man: " $1 ": not in the NAME section of " pg
	}
	END { if (missing != "") print "check-man: functions without a page in man/man3:" missing }
' "$tmp/links" "$tmp/names" "$tmp/funcs" > "$tmp/out2"
[ -s "$tmp/out2" ] && { cat "$tmp/out2"; fail=1; }

# ---- 3. prototypes as in the headers -------------------------------------
for p in "$m3"/*.3; do
	islink "$p" && continue
	# No line breaks, no hyphenation, no emphasis: plain text to compare.
	# mdoc puts a blank line before each prototype: it becomes "# ", so a
	# prototype matches whole, never as the tail of a longer one.
	(cd "$m3" && groff -mandoc -Tascii -P-cbou -rLL=2000n -rHY=0 "$p" 2>/dev/null) |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p'
done | sed 's/^[[:space:]]*$/#/' | tr '\n' ' ' | sed -e 's/[[:space:]][[:space:]]*/ /g' \
	-e 's/ *\([*(),]\) */\1/g' -e 's/\[ */[/g' > "$tmp/synopses"
awk 'FILENAME == ARGV[1] { syn = syn $0; next }
     index(syn, "# " $0 ";") == 0 {
	print "check-man: prototype not in any page'"'"'s SYNOPSIS as in the header: " $0 }' \
	"$tmp/synopses" "$tmp/protos" > "$tmp/out3"
[ -s "$tmp/out3" ] && { cat "$tmp/out3"; fail=1; }

if [ "$fail" -ne 0 ]; then
	echo "check-man: FAILED"
	exit 1
fi
echo "check-man: $npages pages render without warnings, $nlinks link pages; $nfun public functions have a page and their header prototype"
