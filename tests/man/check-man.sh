#!/bin/sh
# Checks the manual pages (issue 17):
#  1. every page (man/man3 and the tools' pages) renders with groff's
#     warnings on (-ww) without a single diagnostic;
#  2. every function the library exports (NVMF_API in include/nvmf/*.h) has
#     a page man/man3/NAME.3 (the group page, or a .so link to it), and its
#     NAME section lists the function;
#  3. each such function's prototype in the rendered SYNOPSIS is the
#     header's, word for word (white space aside).
# Usage: check-man.sh SOURCE_DIR. Exits 77 (ctest's SKIP_RETURN_CODE) when
# groff is missing.
set -u
src=${1:?usage: check-man.sh SOURCE_DIR}
if ! command -v groff >/dev/null 2>&1; then
	echo "check-man: groff not found (Debian: groff-base; FreeBSD: groff): skipped"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
bad() { echo "check-man: $*"; fail=1; }

# ---- 1. render every page, warnings on ----------------------------------
pages=$(cd "$src" && ls man/man3/*.3 tools/*/*.[1-8] 2>/dev/null)
[ -n "$pages" ] || bad "no manual pages found under $src"
npages=0 nlinks=0
for p in $pages; do
	npages=$((npages + 1))
	# A link page (.so man3/x.3, relative to the man/ folder): one line,
	# naming a page that exists and is rendered on its own.
	if head -n 1 "$src/$p" | grep -q '^\.so '; then
		t=$(head -n 1 "$src/$p" | sed 's/^\.so *//')
		[ -f "$src/man/$t" ] || bad "$p: link to missing page $t"
		[ "$(wc -l < "$src/$p")" -eq 1 ] || bad "$p: a link page holds one .so line only"
		nlinks=$((nlinks + 1))
		continue
	fi
	out=$(cd "$src/$(dirname "$p")" && groff -mandoc -Tutf8 -ww -z "$src/$p" 2>&1)
	[ -z "$out" ] || bad "$p: groff warns:
$out"
done

# ---- 2. a page per exported function -------------------------------------
# Declarations start a line with NVMF_API and may span lines up to ';'.
awk '/^NVMF_API / { d = ""; on = 1 }
     on { d = d " " $0; if (index($0, ";")) { print d; on = 0 } }' \
	"$src"/include/nvmf/*.h > "$tmp/decls"
sed -e 's/^ *NVMF_API //' -e 's/;.*$//' -e 's/[[:space:]][[:space:]]*/ /g' \
	-e 's/ *\([*(),]\) */\1/g' -e 's/\[ */[/g' "$tmp/decls" > "$tmp/protos"
sed -n 's/^[^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$tmp/protos" > "$tmp/names"
nfun=$(wc -l < "$tmp/names")
[ "$nfun" -gt 0 ] || bad "no NVMF_API declarations found in $src/include/nvmf"
missing=""
while read -r f; do
	pg=$src/man/man3/$f.3
	if [ ! -f "$pg" ]; then
		missing="$missing $f"
		continue
	fi
	if head -n 1 "$pg" | grep -q '^\.so '; then
		pg=$src/man/$(head -n 1 "$pg" | sed 's/^\.so *//')
		[ -f "$pg" ] || continue	# reported above
	fi
	# The NAME section: .Nm lines before .Nd.
	sed -n '/^\.Sh NAME/,/^\.Nd/p' "$pg" | grep -q "^\.Nm $f\( ,\)\{0,1\}\$" ||
		bad "$f: not in the NAME section of $(basename "$pg")"
done < "$tmp/names"
[ -z "$missing" ] || bad "functions without a page in man/man3:$missing"

# ---- 3. prototypes as in the headers -------------------------------------
for pg in "$src"/man/man3/*.3; do
	head -n 1 "$pg" | grep -q '^\.so ' && continue
	# No line breaks, no hyphenation, no emphasis: plain text to compare.
	(cd "$src/man" && groff -mandoc -Tascii -P-cbou -rLL=2000n -rHY=0 "$pg" 2>/dev/null) |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | tr '\n' ' ' |
		sed -e 's/[[:space:]][[:space:]]*/ /g' -e 's/ *\([*(),]\) */\1/g' -e 's/\[ */[/g'
	echo
done > "$tmp/synopses"
while read -r proto; do
	grep -qF -- "$proto;" "$tmp/synopses" || grep -qF -- "$proto " "$tmp/synopses" ||
		bad "prototype not in any page's SYNOPSIS as in the header: $proto"
done < "$tmp/protos"

if [ "$fail" -ne 0 ]; then
	echo "check-man: FAILED"
	exit 1
fi
echo "check-man: $((npages - nlinks)) pages render without warnings, $nlinks link pages; $nfun exported functions have a page and their header prototype"
