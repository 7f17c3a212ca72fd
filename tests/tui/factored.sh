#!/bin/sh
# factored.sh - the workbench shows a low-rank export's factored layer as
# the one layer it is: the original's name, its rank, the factors'
# parameters, and no half-layers
. "$srcdir/tests/cli/lib.sh"
. "$srcdir/tests/tui/lib.sh"

tui_require

"$WHITTLE" plan --rank 16 --layers /7/Gemm --quiet -o "$TMPD/lr.json" \
	>/dev/null 2>&1 &&
	"$WHITTLE" apply --plan "$TMPD/lr.json" -o "$TMPD/lr.onnx" --quiet \
	>/dev/null 2>&1
ok $? "a rank-16 plan for /7/Gemm is applied"

tui_start 120 30 "$TMPD/lr.onnx"
wait_for "history:" 30
ok $? "the workbench opens the export"
screen >"$TMPD/s"
! grep -q "lowrank" "$TMPD/s"
ok $? "no row is half of a factored layer"
rows=$(grep -Ec '^/(0|3)/Conv |^/(7|9)/Gemm ' "$TMPD/s")
[ "$rows" -eq 4 ]
ok $? "the four layers of the model are listed ($rows)"
grep -q '27\.1K' "$TMPD/s"
ok $? "the factors' 27.1K parameters are shown"
keys j j
wait_for 'weights of /7/Gemm \(128, 1568\) r16'
ok $? "its panes show the original shape at rank 16"
keys q
wait_for "unsaved changes|^EXITED" 10 >/dev/null
done_testing
