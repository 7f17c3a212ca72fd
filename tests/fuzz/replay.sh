#!/bin/sh
# replay.sh - the fuzzers' findings, replayed through the normal build
#
# Each harness (tests/fuzz/fuzz-*.c) is linked with replay.c into
# tests/fuzz/replay-HARNESS, and fed every file of its regression corpus
# (tests/fuzz/regress/HARNESS: inputs that once crashed it) and its seeds
# (written by mkseeds, plus the bundled models and plans).  A harness
# aborts on any broken invariant, so passing means no crash, no abort and
# a message for every refusal.
. "$srcdir/tests/cli/lib.sh"

: "${top_builddir:=.}"
fz=$top_builddir/tests/fuzz
if ! "$fz/mkseeds" "$TMPD/seeds" >"$TMPD/mkseeds.log" 2>&1; then
	ok 1 "mkseeds writes the seed inputs"
	diag "$(cat "$TMPD/mkseeds.log")"
	done_testing
fi

for h in onnx idx npy plan image; do
	set --
	[ -d "$TMPD/seeds/$h" ] && set -- "$TMPD/seeds/$h"
	reg=$srcdir/tests/fuzz/regress/$h
	[ -d "$reg" ] && set -- "$reg" "$@"
	case $h in
	onnx) set -- "$@" "$srcdir"/share/models/*.onnx \
	    "$srcdir"/tests/fixtures/models/*.onnx ;;
	plan) set -- "$@" "$srcdir"/share/plans/*.json ;;
	image) set -- "$@" "$srcdir"/tests/fuzz/seeds/image/*.bin ;;
	esac
	"$fz/replay-$h" "$@" >"$TMPD/$h.out" 2>"$TMPD/$h.err"
	st=$?
	count=$(cat "$TMPD/$h.out" 2>/dev/null)
	ok $st "$h: ${count:-?} inputs replayed without a crash"
	if [ $st -ne 0 ]; then
		diag "exit status $st; the last input fed:"
		diag "$(grep '^replay: ' "$TMPD/$h.err" | tail -n 1)"
		diag "$(grep -v '^replay: ' "$TMPD/$h.err" | tail -n 20)"
	fi
	# the seeds must not be empty: a harness that sees nothing tests nothing
	[ -n "$count" ] && [ "$count" -gt 3 ]
	ok $? "$h: more than 3 inputs"
done
done_testing
