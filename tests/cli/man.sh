#!/bin/sh
# man.sh - every man page is mdoc that mandoc -Tlint passes, and documents
# every command and option the program has
. "$srcdir/tests/cli/lib.sh"

MANDOC=${MANDOC:-mandoc}
if ! command -v "$MANDOC" >/dev/null 2>&1; then
	skip "mandoc is not installed (Debian's mandoc)"
	done_testing
fi
for page in "$srcdir"/man/*.[1-9]; do
	out=$("$MANDOC" -Tlint -W warning "$page" 2>&1)
	ok $([ -z "$out" ] && echo 0 || echo 1) "$(basename "$page"): mandoc -Tlint is clean"
	[ -n "$out" ] && diag "$out"
done
# the page as text, without the overstrike of bold and underline
"$MANDOC" -Tascii "$srcdir/man/whittle.1" | sed 's/.\x08//g' >"$TMPD/whittle.txt"
# each long option that --help lists appears in whittle(1)
for cmd in inspect eval plan apply; do
	for opt in $($WHITTLE $cmd --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$opt" "$TMPD/whittle.txt"
		ok $? "whittle(1) documents $cmd $opt"
	done
	grep -q "whittle $cmd\|$cmd" "$TMPD/whittle.txt"
	ok $? "whittle(1) documents the $cmd command"
done
for code in 0 2 3 4; do
	grep -q "^ *$code " "$TMPD/whittle.txt"
	ok $? "whittle(1) documents exit status $code"
done
done_testing
